//! The engine-test harness: an [`Engine`] started in-process on `127.0.0.1:0` on the test's
//! own runtime, and raw clients that send bytes and expect bytes over a real TCP socket.
//!
//! Every test runs on `#[tokio::test(start_paused = true)]`: a current-thread runtime whose
//! clock only moves when every task is idle, straight to the next timer. Server timers
//! (keep-alive, auth timeout, write deadline, lame duck) therefore fire in virtual time, and
//! [`Client::expect_silence`] / [`Client::expect_within`] state *when* something happens
//! without a wall clock. Every read is bounded by [`WAIT`] (virtual), so a missing reply fails
//! the test instead of hanging it.
//!
//! "Nothing more was sent" is proved with a barrier, [`Client::sync`]: the server answers a
//! PING only after processing everything sent before it.
//!
//! [`jwt`] builds operator, account and user JWTs (its file is shared with the crate's own
//! JWT unit tests).
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

pub mod jwt;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use fastnats_server::hooks::Hooks;
use fastnats_server::monitor::{self, ConnSnapshot};
use fastnats_server::{Config, Engine};
use serde_json::Value;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;

/// The longest any single expectation waits, in virtual time.
pub const WAIT: Duration = Duration::from_secs(3600);
pub const PING: &[u8] = b"PING\r\n";
pub const PONG: &[u8] = b"PONG\r\n";
pub const OK: &[u8] = b"+OK\r\n";
/// What real clients send: no acks, headers and no-responders on, protocol 1.
pub const CONNECT: &str =
    r#"{"verbose":false,"pedantic":false,"protocol":1,"headers":true,"no_responders":true}"#;

/// The exact `-ERR '<text>'\r\n` line.
pub fn err(text: &str) -> Vec<u8> {
    format!("-ERR '{text}'\r\n").into_bytes()
}

/// `PUB subject n\r\npayload\r\n`.
pub fn publish(subject: &str, payload: &[u8]) -> Vec<u8> {
    let mut v = format!("PUB {subject} {}\r\n", payload.len()).into_bytes();
    v.extend_from_slice(payload);
    v.extend_from_slice(b"\r\n");
    v
}

/// `MSG subject sid [reply] n\r\npayload\r\n`.
pub fn msg(subject: &str, sid: &str, reply: Option<&str>, payload: &[u8]) -> Vec<u8> {
    let reply = reply.map(|r| format!("{r} ")).unwrap_or_default();
    let mut v = format!("MSG {subject} {sid} {reply}{}\r\n", payload.len()).into_bytes();
    v.extend_from_slice(payload);
    v.extend_from_slice(b"\r\n");
    v
}

/// The test configuration: loopback, a free port, everything else default.
pub fn config() -> Config {
    Config {
        host: "127.0.0.1".into(),
        port: 0,
        ..Config::default()
    }
}

/// Starts an engine on the test's runtime.
pub async fn start(config: Config) -> Engine {
    Engine::start(config, Hooks::default())
        .await
        .expect("engine starts")
}

/// Subscriptions of clients and the application: all of them but the system account's own
/// (the server's services there count in `stats().subscriptions`, as nats-server's do).
pub fn client_subscriptions(engine: &Engine) -> u64 {
    let system = fastnats_server::system::account(engine.shared()).map_or(0, |a| a.index.count());
    engine.stats().subscriptions - system as u64
}

/// Starts an engine with the default test configuration.
pub async fn start_default() -> Engine {
    start(config()).await
}

/// Starts an engine that the test can hand to spawned tasks (lame duck, shutdown).
pub async fn start_shared(config: Config) -> Arc<Engine> {
    Arc::new(start(config).await)
}

/// The JSON of an `INFO {json}\r\n` line.
pub fn parse_info(line: &[u8]) -> Value {
    assert!(
        line.starts_with(b"INFO {"),
        "expected INFO: {:?}",
        lossy(line)
    );
    assert!(
        line.ends_with(b"\r\n"),
        "INFO without CRLF: {:?}",
        lossy(line)
    );
    serde_json::from_slice(&line[5..line.len() - 2]).expect("INFO JSON")
}

fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Waits (in virtual time, yielding to the engine's tasks) until `cond` holds.
pub async fn eventually(what: &str, mut cond: impl FnMut() -> bool) {
    for _ in 0..10_000 {
        if cond() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    panic!("never happened: {what}");
}

/// The closed connection `cid` as monitoring records it, once it is recorded.
pub async fn closed_conn(engine: &Engine, cid: u64) -> ConnSnapshot {
    let shared = engine.shared().clone();
    eventually(&format!("cid {cid} recorded as closed"), || {
        monitor::closed_connections(&shared)
            .iter()
            .any(|c| c.cid == cid)
    })
    .await;
    monitor::closed_connections(&shared)
        .into_iter()
        .find(|c| c.cid == cid)
        .unwrap()
}

/// A raw client over any byte stream (plain TCP, or TLS in the TLS tests).
pub struct Client<S = TcpStream> {
    pub stream: S,
    buf: Vec<u8>,
    eof: bool,
    /// The INFO the server greeted with, once read.
    pub info: Value,
}

impl Client<TcpStream> {
    /// Connects without reading anything.
    pub async fn dial(addr: SocketAddr) -> Client {
        let stream = TcpStream::connect(addr).await.expect("connect");
        stream.set_nodelay(true).unwrap();
        Client::over(stream)
    }

    /// Nothing has arrived so far (checked without waiting, so without moving the clock).
    pub fn expect_nothing_yet(&mut self) {
        assert!(self.buf.is_empty(), "unread: {:?}", lossy(&self.buf));
        let mut chunk = [0u8; 1024];
        match self.stream.try_read(&mut chunk) {
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Ok(0) => panic!("closed"),
            Ok(n) => panic!("got {:?}", lossy(&chunk[..n])),
            Err(e) => panic!("read error {e}"),
        }
    }

    /// Connects and reads the INFO.
    pub async fn new(engine: &Engine) -> Client {
        let mut c = Client::dial(engine.local_addr()).await;
        c.read_info().await;
        c
    }

    /// Connects, reads INFO, sends [`CONNECT`] and PING, and gets the PONG.
    pub async fn connected(engine: &Engine) -> Client {
        let mut c = Client::new(engine).await;
        c.connect(CONNECT).await;
        c
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> Client<S> {
    pub fn over(stream: S) -> Client<S> {
        Client {
            stream,
            buf: Vec::new(),
            eof: false,
            info: Value::Null,
        }
    }

    pub async fn send(&mut self, bytes: &[u8]) {
        tokio::time::timeout(WAIT, self.stream.write_all(bytes))
            .await
            .expect("send timed out")
            .expect("send");
    }

    /// Reads more bytes; false at EOF (a reset counts as EOF). Panics after [`WAIT`].
    async fn fill(&mut self) -> bool {
        if self.eof {
            return false;
        }
        let mut chunk = vec![0u8; 64 * 1024];
        let r = tokio::time::timeout(WAIT, self.stream.read(&mut chunk)).await;
        match r {
            Err(_) => panic!("no bytes within {WAIT:?}; so far: {:?}", lossy(&self.buf)),
            Ok(Ok(0)) | Ok(Err(_)) => {
                self.eof = true;
                false
            }
            Ok(Ok(n)) => {
                self.buf.extend_from_slice(&chunk[..n]);
                true
            }
        }
    }

    /// Exactly `n` more bytes (panics on EOF before them).
    pub async fn read_exact(&mut self, n: usize) -> Vec<u8> {
        while self.buf.len() < n {
            assert!(
                self.fill().await,
                "EOF after {:?}, wanted {n} bytes",
                lossy(&self.buf)
            );
        }
        self.buf.drain(..n).collect()
    }

    /// The next bytes are exactly `expected`.
    pub async fn expect(&mut self, expected: &[u8]) {
        while self.buf.len() < expected.len() && expected.starts_with(&self.buf) {
            if !self.fill().await {
                break;
            }
        }
        let n = expected.len().min(self.buf.len());
        assert!(
            self.buf.len() >= expected.len() && self.buf[..n] == *expected,
            "\nexpected: {:?}\n     got: {:?}{}",
            lossy(expected),
            lossy(&self.buf),
            if self.eof { " (then EOF)" } else { "" }
        );
        self.buf.drain(..expected.len());
    }

    /// Bytes up to and including `pattern`.
    pub async fn read_until(&mut self, pattern: &[u8]) -> Vec<u8> {
        loop {
            if let Some(i) = self.buf.windows(pattern.len()).position(|w| w == pattern) {
                return self.buf.drain(..i + pattern.len()).collect();
            }
            assert!(
                self.fill().await,
                "EOF before {:?}; got {:?}",
                lossy(pattern),
                lossy(&self.buf)
            );
        }
    }

    /// One line, CRLF included.
    pub async fn expect_line(&mut self) -> Vec<u8> {
        self.read_until(b"\r\n").await
    }

    /// Reads the `INFO {json}\r\n` line and returns (and keeps) the JSON.
    pub async fn read_info(&mut self) -> Value {
        let line = self.expect_line().await;
        let info = parse_info(&line);
        self.info = info.clone();
        info
    }

    /// Reads one MSG/HMSG: (control line without CRLF, payload without CRLF).
    pub async fn read_msg(&mut self) -> (String, Vec<u8>) {
        let line = self.expect_line().await;
        let text = lossy(&line[..line.len() - 2]);
        assert!(
            text.starts_with("MSG ") || text.starts_with("HMSG "),
            "expected MSG: {text:?}"
        );
        let size: usize = text.rsplit(' ').next().unwrap().parse().unwrap();
        let body = self.read_exact(size + 2).await;
        assert_eq!(&body[size..], b"\r\n");
        (text, body[..size].to_vec())
    }

    /// Sends PING and returns every MSG/HMSG that arrives before the PONG (anything else
    /// fails the test).
    pub async fn msgs_until_pong(&mut self) -> Vec<(String, Vec<u8>)> {
        self.send(PING).await;
        let mut out = Vec::new();
        loop {
            if self.buf.starts_with(PONG) {
                self.buf.drain(..PONG.len());
                return out;
            }
            if self.buf.len() < PONG.len() && PONG.starts_with(&self.buf) {
                assert!(self.fill().await, "EOF before PONG; got {out:?}");
                continue;
            }
            out.push(self.read_msg().await);
        }
    }

    /// Sends `CONNECT json` and PING; expects `+OK` (when verbose, which is the default) and
    /// `PONG`.
    pub async fn connect(&mut self, json: &str) {
        let opts: Value = serde_json::from_str(json).expect("CONNECT JSON");
        let verbose = opts.get("verbose").and_then(Value::as_bool).unwrap_or(true);
        self.send(format!("CONNECT {json}\r\nPING\r\n").as_bytes())
            .await;
        if verbose {
            self.expect(OK).await;
        }
        self.expect(PONG).await;
    }

    /// Barrier: PING, and the next bytes are PONG (so everything sent before was processed
    /// and produced nothing).
    pub async fn sync(&mut self) {
        self.send(PING).await;
        self.expect(PONG).await;
    }

    /// The server closes the connection without sending anything more.
    pub async fn expect_closed(&mut self) {
        while self.fill().await {}
        assert!(
            self.buf.is_empty(),
            "expected EOF, got {:?} first",
            lossy(&self.buf)
        );
    }

    /// Reads until EOF; returns what came before it.
    pub async fn until_closed(&mut self) -> Vec<u8> {
        while self.fill().await {}
        std::mem::take(&mut self.buf)
    }

    /// Reads the keep-alive's first PING after CONNECT and answers it. It comes 2 s plus up
    /// to 20% after CONNECT, whatever the client did (nats-server's short first PING, which
    /// measures the round trip); call it within that time of CONNECT.
    pub async fn answer_first_ping(&mut self) {
        self.expect_within(Duration::from_millis(2500), PING).await;
        self.send(PONG).await;
    }

    /// Nothing arrives (and the connection stays open) for `d` of virtual time.
    pub async fn expect_silence(&mut self, d: Duration) {
        assert!(self.buf.is_empty(), "unread: {:?}", lossy(&self.buf));
        let mut chunk = [0u8; 1024];
        match tokio::time::timeout(d, self.stream.read(&mut chunk)).await {
            Err(_) => {}
            Ok(Ok(0)) | Ok(Err(_)) => panic!("closed within {d:?}"),
            Ok(Ok(n)) => panic!("got {:?} within {d:?}", lossy(&chunk[..n])),
        }
    }

    /// The next bytes are `expected`, and they arrive within `d` of virtual time.
    pub async fn expect_within(&mut self, d: Duration, expected: &[u8]) {
        tokio::time::timeout(d, self.expect(expected))
            .await
            .unwrap_or_else(|_| panic!("{:?} not within {d:?}", lossy(expected)));
    }

    /// EOF (with nothing before it) within `d` of virtual time.
    pub async fn expect_closed_within(&mut self, d: Duration) {
        tokio::time::timeout(d, self.expect_closed())
            .await
            .unwrap_or_else(|_| panic!("not closed within {d:?}"));
    }

    /// The `client_id` from INFO.
    pub fn cid(&self) -> u64 {
        self.info["client_id"].as_u64().expect("client_id in INFO")
    }
}
