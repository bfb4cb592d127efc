//! Leaving: graceful shutdown (queued bytes are delivered, then EOF; bounded by
//! `shutdown_grace`) and lame duck mode (the `ldm` INFO, no new clients, clients closed after
//! the grace period, early return, shutdown taking over), in virtual time.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::*;
use fastnats_server::{monitor, Config};
use tokio::net::TcpStream;

const SLACK: Duration = Duration::from_millis(50);

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

/// The listener is gone: a new connection is refused, or closed before any INFO.
async fn not_accepting(addr: std::net::SocketAddr) {
    for _ in 0..50 {
        tokio::task::yield_now().await;
    }
    if let Ok(stream) = TcpStream::connect(addr).await {
        let mut c = Client::over(stream);
        c.expect_closed().await;
    }
}

#[tokio::test(start_paused = true)]
async fn shutdown_closes_idle_clients() {
    let engine = start_default().await;
    let mut a = Client::connected(&engine).await;
    let mut b = Client::new(&engine).await;
    engine.shutdown().await;
    a.expect_closed().await;
    b.expect_closed().await;
    assert_eq!(
        closed_conn(&engine, a.cid()).await.reason,
        Some("Server Shutdown")
    );
    assert_eq!(engine.stats().connections, 0);
    not_accepting(engine.local_addr()).await;
}

#[tokio::test(start_paused = true)]
async fn shutdown_delivers_what_was_queued_then_eof() {
    let engine = start_shared(config()).await;
    let mut sub = Client::connected(&engine).await;
    sub.send(b"SUB data 1\r\n").await;
    sub.sync().await;
    let mut publ = Client::connected(&engine).await;
    // More than the socket buffers hold: most of it is still queued at shutdown.
    let one = publish("data", &[b'd'; 128 * 1024]);
    for _ in 0..100 {
        publ.send(&one).await;
    }
    publ.send(b"PUB data 4\r\nlast\r\n").await;
    publ.sync().await;
    let stopping = tokio::spawn({
        let engine = engine.clone();
        async move { engine.shutdown().await }
    });
    for _ in 0..100 {
        let (line, body) = sub.read_msg().await;
        assert_eq!(line, "MSG data 1 131072");
        assert_eq!(body.len(), 128 * 1024);
    }
    sub.expect(b"MSG data 1 4\r\nlast\r\n").await;
    sub.expect_closed().await;
    publ.expect_closed().await;
    stopping.await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn a_second_shutdown_returns_at_once() {
    let engine = start_default().await;
    let _c = Client::connected(&engine).await;
    engine.shutdown().await;
    // Had it waited for anything, the paused clock would have moved past 1 ms.
    tokio::time::timeout(Duration::from_millis(1), engine.shutdown())
        .await
        .expect("second shutdown returns at once");
}

#[tokio::test(start_paused = true)]
async fn shutdown_waits_at_most_the_grace_for_a_stuck_client() {
    let engine = start_shared(Config {
        shutdown_grace: secs(3),
        ..config()
    })
    .await;
    let mut sub = Client::connected(&engine).await;
    sub.send(b"SUB data 1\r\n").await;
    sub.sync().await;
    let mut publ = Client::connected(&engine).await;
    let one = publish("data", &[b'd'; 256 * 1024]);
    for _ in 0..64 {
        publ.send(&one).await;
    }
    publ.sync().await;
    // The subscriber never reads: its writer is stuck (write deadline 10 s).
    let stopping = tokio::spawn({
        let engine = engine.clone();
        async move { engine.shutdown().await }
    });
    tokio::time::sleep(secs(3) - SLACK).await;
    assert!(!stopping.is_finished());
    tokio::time::sleep(2 * SLACK).await;
    assert!(stopping.is_finished());
    stopping.await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn lame_duck_tells_protocol_1_clients_and_stops_accepting() {
    let engine = start_shared(config()).await;
    let mut p1 = Client::connected(&engine).await; // CONNECT says protocol 1
    let mut p0 = Client::new(&engine).await;
    p0.connect(r#"{"verbose":false,"protocol":0}"#).await;
    let lame = tokio::spawn({
        let engine = engine.clone();
        async move { engine.lame_duck(secs(30), secs(10)).await }
    });
    let info = p1.read_info().await;
    assert_eq!(info["ldm"], true);
    assert_eq!(info["server_id"], p1.info["server_id"]);
    assert!(info.get("client_id").is_none());
    p0.sync().await;
    p1.sync().await;
    not_accepting(engine.local_addr()).await;
    engine.shutdown().await;
    lame.await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn lame_duck_closes_clients_after_the_grace_period() {
    let engine = start_shared(config()).await;
    let mut a = Client::connected(&engine).await;
    let mut b = Client::connected(&engine).await;
    let lame = tokio::spawn({
        let engine = engine.clone();
        async move { engine.lame_duck(secs(30), secs(10)).await }
    });
    a.read_info().await;
    b.read_info().await;
    let start = tokio::time::Instant::now();
    a.answer_first_ping().await;
    b.answer_first_ping().await;
    a.expect_silence(secs(10) - SLACK - start.elapsed()).await;
    // The first client goes at the end of the grace period, the next one after a pause of
    // at most min((30 s - 10 s) / 2 clients, 1 s).
    let closed_by = secs(1) + 2 * SLACK;
    tokio::time::timeout(closed_by, async {
        a.expect_closed().await;
        b.expect_closed().await;
    })
    .await
    .expect("both closed");
    tokio::time::timeout(SLACK, lame)
        .await
        .expect("lame duck ends")
        .unwrap();
    for c in monitor::closed_connections(engine.shared()) {
        assert_eq!(c.reason, Some("Server Shutdown"));
    }
    engine.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn lame_duck_returns_early_when_the_clients_leave() {
    let engine = start_shared(config()).await;
    let mut c = Client::connected(&engine).await;
    let lame = tokio::spawn({
        let engine = engine.clone();
        async move { engine.lame_duck(secs(60), secs(30)).await }
    });
    c.read_info().await;
    c.answer_first_ping().await;
    c.expect_silence(secs(3)).await;
    drop(c);
    tokio::time::timeout(secs(1), lame)
        .await
        .expect("lame duck returns once the last client left")
        .unwrap();
    engine.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn shutdown_during_lame_duck_ends_it() {
    let engine = start_shared(config()).await;
    let mut c = Client::connected(&engine).await;
    let lame = tokio::spawn({
        let engine = engine.clone();
        async move { engine.lame_duck(secs(120), secs(60)).await }
    });
    c.read_info().await;
    c.expect_silence(secs(2)).await;
    engine.shutdown().await;
    c.expect_closed().await;
    tokio::time::timeout(Duration::from_millis(1), lame)
        .await
        .expect("lame duck gave way to shutdown")
        .unwrap();
}
