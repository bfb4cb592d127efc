//! [`Server`] (the engine on a runtime of its own, as the Python bindings use it) and the
//! lifecycle events at `stop()`. Real threads and a real clock here, so no paused time.
//!
//! KNOWN BUG (ignored until fixed): `hooks::emit` runs `on_disconnect` with
//! `spawn_blocking`, and `Server::stop` ends the runtime with `shutdown_timeout`, which
//! cancels blocking tasks that have not started yet: the `Server Shutdown` disconnect event
//! of a client is lost now and then: a few stops in a thousand on an idle machine, about
//! 1 in 12 on a loaded one (measured: 2 of 500 idle, 17 of 200 loaded). The Python test
//! `tests/security/test_hooks.py::test_disconnect_reason_on_server_shutdown` fails the same
//! way under load. Run with `cargo test -p fastnats-server --test server_stop -- --ignored`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use fastnats_server::hooks::{ClientEvent, Events, Hooks};
use fastnats_server::{Config, Server};

#[derive(Default)]
struct Disconnects(Mutex<Vec<String>>);

impl Events for Disconnects {
    fn on_connect(&self, _: &ClientEvent) {}
    fn on_disconnect(&self, _: &ClientEvent, reason: &str) {
        self.0.lock().unwrap().push(reason.to_string());
    }
}

/// One server with one connected client, stopped; returns the disconnect reasons reported
/// by the time `stop()` returned.
fn stop_with_a_client() -> Vec<String> {
    let events = Arc::new(Disconnects::default());
    let config = Config {
        host: "127.0.0.1".into(),
        port: 0,
        worker_threads: 1,
        ..Config::default()
    };
    let hooks = Hooks {
        authenticator: None,
        events: Some(events.clone()),
    };
    let server = Server::start_with(config, hooks).unwrap();
    let mut c = TcpStream::connect(server.local_addr()).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut r = BufReader::new(c.try_clone().unwrap());
    let mut line = String::new();
    r.read_line(&mut line).unwrap();
    assert!(line.starts_with("INFO {"), "{line}");
    c.write_all(b"CONNECT {\"verbose\":false}\r\nPING\r\n")
        .unwrap();
    line.clear();
    r.read_line(&mut line).unwrap();
    assert_eq!(line, "PONG\r\n");
    server.stop();
    let got = events.0.lock().unwrap().clone();
    got
}

#[test]
#[ignore = "engine bug: on_disconnect events lost at Server::stop (see the module doc)"]
fn stop_reports_every_disconnect() {
    let lost = (0..500)
        .filter(|_| stop_with_a_client() != ["Server Shutdown"])
        .count();
    assert_eq!(lost, 0, "on_disconnect lost in {lost} of 500 stops");
}
