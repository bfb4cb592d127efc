//! The engine's timers, in virtual time: keep-alive PINGs and stale connections, the auth
//! timeout, the write deadline. Each test states when something happens with
//! `expect_silence(d)` (nothing before) and `expect_within(d, ..)` (then it arrives).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::*;
use fastnats_server::auth::AuthConfig;
use fastnats_server::monitor::{self, ConnSnapshot};
use fastnats_server::{Config, Engine};

const MS: Duration = Duration::from_millis(1);
/// Timers are checked to this precision (tokio's timer wheel rounds to milliseconds).
const SLACK: Duration = Duration::from_millis(50);

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

fn keepalive(interval: u64, max: u32) -> Config {
    Config {
        ping_interval: secs(interval),
        ping_max: max,
        ..config()
    }
}

fn token_auth(timeout: Duration) -> Config {
    Config {
        auth: AuthConfig {
            token: Some("s3cr3t".into()),
            timeout,
            ..AuthConfig::default()
        },
        ..config()
    }
}

#[tokio::test(start_paused = true)]
async fn server_pings_an_idle_client_after_the_interval() {
    let engine = start(keepalive(10, 2)).await;
    // Only INFO was exchanged: the first tick finds the client idle.
    let mut c = Client::new(&engine).await;
    c.expect_silence(secs(10) - SLACK).await;
    c.expect_within(2 * SLACK, PING).await;
    engine.shutdown().await;
}

/// The first PING after CONNECT (nats-server's short first PING, 2 s plus up to 20%).
const FIRST: Duration = Duration::from_secs(2);
const SPREAD: Duration = Duration::from_millis(400);

fn open_conn(engine: &Engine, cid: u64) -> ConnSnapshot {
    monitor::connections(engine.shared())
        .into_iter()
        .find(|c| c.cid == cid)
        .unwrap()
}

#[tokio::test(start_paused = true)]
async fn connect_arms_a_short_first_ping_that_measures_the_rtt() {
    let engine = start(keepalive(10, 2)).await;
    let mut c = Client::connected(&engine).await;
    // CONNECT estimates the rtt (the time since the accept).
    assert!(open_conn(&engine, c.cid()).rtt > Duration::ZERO);
    // The first tick comes 2-2.4 s after CONNECT and pings although the client was active
    // (CONNECT + PING): no rtt was measured yet.
    c.expect_silence(FIRST - SLACK).await;
    c.expect_within(SPREAD + 2 * SLACK, PING).await;
    let before = open_conn(&engine, c.cid()).rtt;
    tokio::time::sleep(Duration::from_millis(1)).await;
    c.send(PONG).await;
    c.sync().await;
    // The PONG answered it: the rtt is the PING's round trip now (real time, whatever the
    // paused clock says; it differs from the estimate).
    assert_ne!(open_conn(&engine, c.cid()).rtt, before);
    // Then the ordinary keep-alive: the client sent a PING since (activity), so the tick at
    // +10 s skips and the one at +20 s pings.
    c.expect_silence(secs(20) - SLACK).await;
    c.expect_within(2 * SLACK, PING).await;
    engine.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn an_unanswered_first_ping_counts_toward_stale() {
    let engine = start(keepalive(10, 1)).await;
    let mut c = Client::connected(&engine).await;
    c.expect_silence(FIRST - SLACK).await;
    c.expect_within(SPREAD + 2 * SLACK, PING).await;
    c.expect_silence(secs(10) - SLACK).await;
    c.expect_within(2 * SLACK, &err("Stale Connection")).await;
    c.expect_closed().await;
    engine.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn unanswered_pings_make_a_stale_connection() {
    let engine = start(keepalive(10, 2)).await;
    let mut c = Client::new(&engine).await;
    c.expect_silence(secs(10) - SLACK).await;
    c.expect_within(2 * SLACK, PING).await;
    c.expect_silence(secs(10) - SLACK).await;
    c.expect_within(2 * SLACK, PING).await;
    assert_eq!(engine.stats().stale_connections, 0);
    c.expect_silence(secs(10) - SLACK).await;
    c.expect_within(2 * SLACK, &err("Stale Connection")).await;
    c.expect_closed().await;
    assert_eq!(engine.stats().stale_connections, 1);
    assert_eq!(
        closed_conn(&engine, c.cid()).await.reason,
        Some("Stale Connection")
    );
    engine.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn ping_max_one_is_stale_at_the_second_tick() {
    let engine = start(keepalive(5, 1)).await;
    let mut c = Client::new(&engine).await;
    c.expect_within(secs(5) + SLACK, PING).await;
    c.expect_silence(secs(5) - SLACK).await;
    c.expect_within(2 * SLACK, &err("Stale Connection")).await;
    c.expect_closed().await;
    engine.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn answered_pings_keep_the_connection() {
    let engine = start(keepalive(10, 2)).await;
    let mut c = Client::new(&engine).await;
    // PONG is not activity: a PING comes every interval, and each PONG clears the count.
    for _ in 0..6 {
        c.expect_silence(secs(10) - SLACK).await;
        c.expect_within(2 * SLACK, PING).await;
        c.send(PONG).await;
    }
    c.sync().await;
    assert_eq!(engine.stats().stale_connections, 0);
    engine.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn activity_postpones_the_ping() {
    let engine = start(keepalive(10, 2)).await;
    let mut c = Client::new(&engine).await;
    c.expect_silence(secs(5)).await;
    c.send(b"SUB foo 1\r\n").await; // at 5 s: the tick at 10 s skips
    c.expect(OK).await; // no CONNECT: verbose by default
    c.expect_silence(secs(15) - SLACK).await;
    c.expect_within(2 * SLACK, PING).await;
    engine.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn messages_to_a_client_do_not_keep_it_alive() {
    let engine = start(keepalive(10, 1)).await;
    let mut sub = Client::new(&engine).await;
    sub.send(b"SUB foo 1\r\n").await; // activity at 0 s
    let mut publ = Client::new(&engine).await;
    // The publisher is active every 3 s; the subscriber only receives.
    let mut got = Vec::new();
    for _ in 0..9 {
        tokio::time::sleep(secs(3)).await;
        publ.send(&publish("foo", b"x")).await;
        publ.expect(OK).await;
        got.extend(sub.read_until(b"x\r\n").await);
    }
    // Ticks at 10 s (skipped: the SUB), 20 s (PING, between messages), 30 s (stale).
    let text = String::from_utf8(got).unwrap();
    assert_eq!(text.matches("PING\r\n").count(), 1, "{text}");
    let tail = sub.until_closed().await;
    assert_eq!(tail, err("Stale Connection"));
    engine.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn auth_timeout_without_connect() {
    let engine = start(token_auth(secs(2))).await;
    let mut c = Client::new(&engine).await;
    assert_eq!(c.info["auth_required"], true);
    c.expect_silence(secs(2) - SLACK).await;
    c.expect_within(2 * SLACK, &err("Authentication Timeout"))
        .await;
    c.expect_closed().await;
    assert_eq!(
        closed_conn(&engine, c.cid()).await.reason,
        Some("Authentication Timeout")
    );
    engine.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn connect_within_the_auth_timeout_stops_the_timer() {
    let engine = start(token_auth(Duration::from_millis(500))).await;
    let mut c = Client::new(&engine).await;
    c.expect_silence(Duration::from_millis(400)).await;
    c.connect(r#"{"verbose":false,"auth_token":"s3cr3t"}"#)
        .await;
    // Only the first keep-alive PING (2-2.4 s after CONNECT), then none for 120 s.
    c.expect_silence(FIRST - SLACK).await;
    c.expect_within(SPREAD + 2 * SLACK, PING).await;
    c.send(PONG).await;
    c.expect_silence(secs(100)).await;
    c.sync().await;
    engine.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn a_failed_connect_is_refused_at_once_not_at_the_timeout() {
    let engine = start(token_auth(secs(2))).await;
    let mut c = Client::new(&engine).await;
    c.send(b"CONNECT {\"verbose\":false,\"auth_token\":\"nope\"}\r\nPING\r\n")
        .await;
    c.expect_within(MS, &err("Authorization Violation")).await;
    c.expect_closed_within(MS).await;
    engine.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn no_auth_timer_without_auth() {
    let engine = start(Config {
        auth: AuthConfig {
            timeout: Duration::from_millis(500),
            ..AuthConfig::default()
        },
        ..config()
    })
    .await;
    let mut c = Client::new(&engine).await;
    c.expect_silence(secs(60)).await;
    c.sync().await;
    engine.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn write_deadline_closes_a_consumer_that_does_not_read() {
    let engine = start(Config {
        write_deadline: secs(2),
        ..config()
    })
    .await;
    let mut sub = Client::connected(&engine).await;
    sub.send(b"SUB big 1\r\n").await;
    sub.sync().await;
    let mut publ = Client::connected(&engine).await;
    // 32 MiB: far more than the socket buffers hold, less than the producer stall threshold
    // (48 MiB, 75% of max_pending).
    let one = publish("big", &[b'x'; 256 * 1024]);
    for _ in 0..128 {
        publ.send(&one).await;
    }
    publ.sync().await;
    // The writer is now blocked on the full socket.
    tokio::time::sleep(secs(2) - 10 * MS).await;
    assert_eq!(engine.stats().slow_consumers, 0);
    assert!(fastnats_server::monitor::closed_connections(engine.shared()).is_empty());
    tokio::time::sleep(20 * MS).await;
    assert_eq!(engine.stats().slow_consumers, 1);
    assert_eq!(
        closed_conn(&engine, sub.cid()).await.reason,
        Some("Slow Consumer (Write Deadline)")
    );
    // What the socket had taken arrives, then EOF; the publisher is unaffected.
    let got = sub.until_closed().await;
    assert!(got.starts_with(b"MSG big 1 262144\r\nxxx"));
    assert!(got.len() < 32 * 1024 * 1024);
    // 2 s have passed: the publisher's short first PING (2 s plus up to 20%) may be due.
    publ.answer_first_ping().await;
    publ.sync().await;
    engine.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn a_consumer_that_reads_in_time_is_not_closed() {
    let engine = start(Config {
        write_deadline: secs(2),
        ..config()
    })
    .await;
    let mut sub = Client::connected(&engine).await;
    sub.send(b"SUB big 1\r\n").await;
    sub.sync().await;
    let mut publ = Client::connected(&engine).await;
    let one = publish("big", &[b'x'; 256 * 1024]);
    for _ in 0..64 {
        publ.send(&one).await;
    }
    publ.sync().await;
    // Slow, but each write completes within the deadline.
    tokio::time::sleep(secs(1)).await;
    for _ in 0..64 {
        let (line, _) = sub.read_msg().await;
        assert_eq!(line, "MSG big 1 262144");
    }
    sub.sync().await;
    assert_eq!(engine.stats().slow_consumers, 0);
    engine.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn a_reloaded_ping_interval_applies_from_the_next_read() {
    let engine = start_default().await; // ping_interval 120 s
    let mut c = Client::connected(&engine).await;
    engine.reload(keepalive(10, 2)).unwrap();
    c.sync().await; // a read: the reader takes the new interval (and this is activity)
                    // The short first PING (2 s after CONNECT) gave way to the new interval:
                    // its first tick, at 10 s, pings although the client was active, as no
                    // rtt was measured yet; the one at 20 s sees the PONG (not activity) and
                    // pings too.
    c.expect_silence(secs(10) - SLACK).await;
    c.expect_within(2 * SLACK, PING).await;
    c.send(PONG).await;
    c.expect_silence(secs(10) - SLACK).await;
    c.expect_within(2 * SLACK, PING).await;
    engine.shutdown().await;
}
