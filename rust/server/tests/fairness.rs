//! A connection that floods the server does not starve the other connections of its worker
//! thread: a PING sent while a publisher floods is answered before the flood is over.
//!
//! `#[tokio::test]` runs the engine and this test on one thread, as a server pinned to one
//! core runs all its connections: the flooding connection's reader and the prober's reader
//! share it. Event order, no timing: the flood is bytes the publisher's thread cannot hand
//! over before the server has read most of them (far more than the socket buffers hold), and
//! the prober's PONG must come while the publisher is still writing.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::Write;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;
use std::time::Duration;

use common::*;

/// More than loopback's socket buffers hold on both ends together (a few MiB each).
const FLOOD: usize = 32 << 20;

#[tokio::test]
async fn a_flooding_publisher_leaves_room_for_a_ping() {
    let engine = start_default().await;
    let mut prober = Client::connected(&engine).await;
    let addr = engine.local_addr();
    let written = Arc::new(AtomicUsize::new(0));
    let done = Arc::new(AtomicBool::new(false));
    let (w, d) = (written.clone(), done.clone());
    // A blocking socket on a thread of its own keeps the publisher's socket full.
    let publisher = std::thread::spawn(move || {
        let mut s = std::net::TcpStream::connect(addr).unwrap();
        s.write_all(b"CONNECT {\"verbose\":false}\r\n").unwrap();
        let chunk = b"PUB nobody.listens 0\r\n\r\n".repeat(2048);
        while w.load(SeqCst) < FLOOD {
            s.write_all(&chunk).unwrap();
            w.fetch_add(chunk.len(), SeqCst);
        }
        d.store(true, SeqCst);
        s
    });
    // The flood is under way (the server has read some of it) ...
    while written.load(SeqCst) < 1 << 20 {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    // ... and a PING from another connection is answered while it goes on.
    prober.sync().await;
    assert!(
        !done.load(SeqCst),
        "the PONG waited for the whole flood ({FLOOD} bytes) to be read"
    );
    while !done.load(SeqCst) {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    let publisher = publisher.join().unwrap();
    prober.sync().await;
    drop(publisher);
    engine.shutdown().await;
}
