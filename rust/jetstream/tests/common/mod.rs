//! What the engine tests share: an `Engine` on 127.0.0.1:0 with `JetStream` on a temporary
//! directory, and a raw-protocol client whose every read is bounded by a timeout.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::Duration;

use fastnats_jetstream::{JetStream, JetStreamOptions};
use fastnats_server::hooks::Hooks;
use fastnats_server::{Config, Engine};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

pub const WAIT: Duration = Duration::from_secs(20);

pub async fn engine() -> Arc<Engine> {
    let cfg = Config {
        host: "127.0.0.1".into(),
        port: 0,
        ..Config::default()
    };
    Arc::new(Engine::start(cfg, Hooks::default()).await.unwrap())
}

/// A message received: subject, headers, payload.
#[derive(Debug)]
pub struct Msg {
    pub subject: String,
    /// The subscription it came on (`1`: the `_R.>` inbox).
    pub sid: String,
    pub reply: Option<String>,
    pub headers: Vec<u8>,
    pub payload: Vec<u8>,
}

impl Msg {
    /// The header block as text.
    pub fn hdr(&self) -> String {
        String::from_utf8_lossy(&self.headers).into_owned()
    }

    /// The payload as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.payload).into_owned()
    }
}

pub struct Client {
    pub s: TcpStream,
    pub buf: Vec<u8>,
    pub inbox: u64,
    /// Messages a request skipped over, handed out first by [`Client::msg`].
    pub skipped: std::collections::VecDeque<Msg>,
}

impl Client {
    pub async fn connect(engine: &Engine) -> Client {
        let s = TcpStream::connect(engine.local_addr()).await.unwrap();
        let mut c = Client {
            s,
            buf: Vec::new(),
            inbox: 0,
            skipped: std::collections::VecDeque::new(),
        };
        c.line().await; // INFO
        c.send(b"CONNECT {\"verbose\":false,\"protocol\":1,\"headers\":true,\"no_responders\":true}\r\nSUB _R.> 1\r\nPING\r\n").await;
        assert_eq!(c.line().await, b"PONG");
        c
    }

    pub async fn send(&mut self, b: &[u8]) {
        self.s.write_all(b).await.unwrap();
    }

    /// Reads more into `buf`, in place: a read buffer held across the `.await` would be in
    /// every future built on this one, and a debug build gives each `.await` of a test body
    /// its own stack slot for such a future (64 KiB each overflowed a 2 MiB thread).
    pub async fn fill(&mut self) {
        self.buf.reserve(65536);
        let n = tokio::time::timeout(WAIT, self.s.read_buf(&mut self.buf))
            .await
            .expect("read timed out")
            .unwrap();
        assert!(n > 0, "closed");
    }

    pub async fn line(&mut self) -> Vec<u8> {
        loop {
            if let Some(i) = self.buf.windows(2).position(|w| w == b"\r\n") {
                let l = self.buf[..i].to_vec();
                self.buf.drain(..i + 2);
                return l;
            }
            self.fill().await;
        }
    }

    /// The next MSG/HMSG (skipping PONGs).
    pub async fn msg(&mut self) -> Msg {
        if let Some(m) = self.skipped.pop_front() {
            return m;
        }
        self.read_msg().await
    }

    async fn read_msg(&mut self) -> Msg {
        loop {
            if let Some(m) = self.read_item().await {
                return m;
            }
        }
    }

    /// Waits for a PONG, keeping the deliveries that come before it for [`Client::msg`].
    pub async fn pong(&mut self) {
        while let Some(m) = self.read_item().await {
            self.skipped.push_back(m);
        }
    }

    /// The next message, or `None` for a PONG (PINGs are skipped).
    async fn read_item(&mut self) -> Option<Msg> {
        loop {
            let l = self.line().await;
            let text = String::from_utf8(l).unwrap();
            let parts: Vec<&str> = text.split(' ').collect();
            let reply = match (parts[0], parts.len()) {
                ("MSG", 5) | ("HMSG", 6) => Some(parts[3].to_string()),
                _ => None,
            };
            let (hlen, total) = match parts[0] {
                "MSG" => (0, parts.last().unwrap().parse::<usize>().unwrap()),
                "HMSG" => (
                    parts[parts.len() - 2].parse::<usize>().unwrap(),
                    parts.last().unwrap().parse::<usize>().unwrap(),
                ),
                "PONG" => return None,
                "PING" => continue,
                other => panic!("unexpected {other:?} in {text:?}"),
            };
            while self.buf.len() < total + 2 {
                self.fill().await;
            }
            let data: Vec<u8> = self.buf.drain(..total + 2).collect();
            return Some(Msg {
                subject: parts[1].to_string(),
                sid: parts[2].to_string(),
                reply,
                headers: data[..hlen].to_vec(),
                payload: data[hlen..total].to_vec(),
            });
        }
    }

    pub fn pub_bytes(
        subject: &str,
        reply: Option<&str>,
        hdrs: &[(&str, &str)],
        body: &[u8],
    ) -> Vec<u8> {
        let reply = reply.map(|r| format!(" {r}")).unwrap_or_default();
        if hdrs.is_empty() {
            let mut v = format!("PUB {subject}{reply} {}\r\n", body.len()).into_bytes();
            v.extend_from_slice(body);
            v.extend_from_slice(b"\r\n");
            return v;
        }
        let mut h = b"NATS/1.0\r\n".to_vec();
        for (k, val) in hdrs {
            h.extend_from_slice(format!("{k}: {val}\r\n").as_bytes());
        }
        h.extend_from_slice(b"\r\n");
        let mut v = format!(
            "HPUB {subject}{reply} {} {}\r\n",
            h.len(),
            h.len() + body.len()
        )
        .into_bytes();
        v.extend_from_slice(&h);
        v.extend_from_slice(body);
        v.extend_from_slice(b"\r\n");
        v
    }

    pub async fn request_h(&mut self, subject: &str, hdrs: &[(&str, &str)], body: &[u8]) -> Msg {
        self.inbox += 1;
        let reply = format!("_R.{}", self.inbox);
        let b = Client::pub_bytes(subject, Some(&reply), hdrs, body);
        self.send(&b).await;
        // Skip what other subscriptions of the test get meanwhile (push deliveries).
        loop {
            let m = self.read_msg().await;
            if m.sid == "1" {
                return m;
            }
            self.skipped.push_back(m);
        }
    }

    pub async fn request(&mut self, subject: &str, body: &str) -> Value {
        let m = self.request_h(subject, &[], body.as_bytes()).await;
        serde_json::from_slice(&m.payload)
            .unwrap_or_else(|_| json!({"raw": String::from_utf8_lossy(&m.payload)}))
    }

    pub async fn publish(&mut self, subject: &str, hdrs: &[(&str, &str)], body: &str) -> String {
        let m = self.request_h(subject, hdrs, body.as_bytes()).await;
        String::from_utf8(m.payload).unwrap()
    }
}

/// Runs a test body on a runtime of two workers, on a thread with a 16 MiB stack: these
/// tests' futures (a server, a client and many requests), as a debug build lays them out,
/// overflow the 2 MiB of a test thread.
pub fn run<F: std::future::Future<Output = ()> + 'static>(body: fn() -> F) {
    std::thread::Builder::new()
        .stack_size(16 << 20)
        .spawn(move || {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap()
                .block_on(body());
        })
        .unwrap()
        .join()
        .unwrap();
}

pub fn start_js(engine: &Arc<Engine>, dir: &std::path::Path) -> Arc<JetStream> {
    JetStream::start(engine, &JetStreamOptions::new(dir)).unwrap()
}

/// What most tests start with: a store directory (deleted when dropped), an engine,
/// JetStream on both, and a connected client.
pub async fn started() -> (tempfile::TempDir, Arc<Engine>, Arc<JetStream>, Client) {
    let dir = tempfile::tempdir().unwrap();
    let e = engine().await;
    let js = start_js(&e, dir.path());
    let c = Client::connect(&e).await;
    (dir, e, js, c)
}

/// Whether `stream`'s ingest subscription is still open (publishers are held back, never
/// cut as a slow consumer).
#[allow(dead_code)] // not every test binary uses it
pub fn ingest_open(stream: &fastnats_jetstream::Stream) -> bool {
    stream
        .subs
        .lock()
        .ingest
        .as_ref()
        .is_some_and(|s| s.closed().is_none())
}
