//! Limits: payload size, control line, subscriptions, connections, slow consumers (pending
//! bytes), subject validity, and limits changed by a reload.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use fastnats_server::monitor;
use fastnats_server::Config;

#[tokio::test(start_paused = true)]
async fn max_payload_violation_closes() {
    let engine = start(Config {
        max_payload: 8,
        ..config()
    })
    .await;
    let mut c = Client::connected(&engine).await;
    assert_eq!(c.info["max_payload"], 8);
    c.send(b"SUB foo 1\r\nPUB foo 8\r\n12345678\r\nPING\r\n")
        .await;
    c.expect(b"MSG foo 1 8\r\n12345678\r\nPONG\r\n").await;
    c.send(b"PUB foo 9\r\n").await;
    c.expect(&err("Maximum Payload Violation")).await;
    c.expect_closed().await;
    assert_eq!(
        closed_conn(&engine, c.cid()).await.reason,
        Some("Maximum Message Payload Exceeded")
    );
    engine.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn max_payload_counts_headers_too() {
    let engine = start(Config {
        max_payload: 16,
        ..config()
    })
    .await;
    let mut c = Client::connected(&engine).await;
    c.send(b"HPUB foo 12 17\r\n").await;
    c.expect(&err("Maximum Payload Violation")).await;
    c.expect_closed().await;
    engine.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn max_control_line_exceeded_closes() {
    let engine = start(Config {
        max_control_line: 100,
        ..config()
    })
    .await;
    let mut c = Client::connected(&engine).await;
    // The argument part is what counts: 100 bytes pass, 101 do not.
    let subject = "s".repeat(98);
    c.send(format!("SUB {subject} 1\r\nPING\r\n").as_bytes())
        .await;
    c.expect(PONG).await;
    c.send(format!("SUB {subject}x 1\r\n").as_bytes()).await;
    c.expect(&err("maximum control line exceeded")).await;
    c.expect_closed().await;
    engine.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn max_control_line_is_checked_before_the_line_ends() {
    let engine = start(Config {
        max_control_line: 100,
        ..config()
    })
    .await;
    let mut c = Client::connected(&engine).await;
    c.send(format!("PUB {}", "a".repeat(200)).as_bytes()).await;
    c.expect(&err("maximum control line exceeded")).await;
    c.expect_closed().await;
    engine.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn max_subscriptions_exceeded_keeps_the_connection() {
    let engine = start(Config {
        max_subscriptions: 2,
        ..config()
    })
    .await;
    let mut c = Client::connected(&engine).await;
    c.send(b"SUB a 1\r\nSUB b 2\r\nSUB c 3\r\nSUB a 1\r\nPING\r\n")
        .await;
    let mut want = err("maximum subscriptions exceeded");
    want.extend(err("maximum subscriptions exceeded"));
    want.extend_from_slice(PONG);
    c.expect(&want).await;
    assert_eq!(client_subscriptions(&engine), 2);
    c.send(b"UNSUB 1\r\nSUB c 3\r\nPUB c 1\r\nx\r\nPING\r\n")
        .await;
    c.expect(b"MSG c 3 1\r\nx\r\nPONG\r\n").await;
    engine.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn max_connections_sends_info_then_the_error() {
    let engine = start(Config {
        max_connections: 1,
        ..config()
    })
    .await;
    let mut first = Client::connected(&engine).await;
    let mut second = Client::new(&engine).await;
    assert_eq!(second.info["client_id"], first.cid() + 1);
    second.expect(&err("maximum connections exceeded")).await;
    second.expect_closed().await;
    first.sync().await;
    assert_eq!(engine.stats().connections, 1);
    engine.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn a_freed_slot_is_taken_by_the_next_client() {
    let engine = start(Config {
        max_connections: 1,
        ..config()
    })
    .await;
    let first = Client::connected(&engine).await;
    drop(first);
    eventually("first client gone", || engine.stats().connections == 0).await;
    let mut next = Client::connected(&engine).await;
    next.sync().await;
    engine.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn slow_consumer_by_max_pending_is_closed_silently() {
    let engine = start(Config {
        max_pending: 1024,
        max_payload: 1024,
        ..config()
    })
    .await;
    let mut sub = Client::connected(&engine).await;
    sub.send(b"SUB foo 1\r\n").await;
    sub.sync().await;
    let mut publ = Client::connected(&engine).await;
    // "MSG foo 1 1000\r\n" + 1000 + CRLF fits in 1024; 1020 bytes of payload do not.
    publ.send(&publish("foo", &[b'a'; 1000])).await;
    publ.sync().await;
    let (line, _) = sub.read_msg().await;
    assert_eq!(line, "MSG foo 1 1000");
    assert_eq!(engine.stats().slow_consumers, 0);
    publ.send(&publish("foo", &[b'b'; 1020])).await;
    publ.sync().await;
    sub.expect_closed().await;
    assert_eq!(engine.stats().slow_consumers, 1);
    assert_eq!(
        closed_conn(&engine, sub.cid()).await.reason,
        Some("Slow Consumer (Pending Bytes)")
    );
    // The publisher is not affected.
    publ.send(&publish("foo", b"more")).await;
    publ.sync().await;
    engine.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn invalid_subscription_subjects_keep_the_connection() {
    let engine = start_default().await;
    let mut c = Client::connected(&engine).await;
    let bad = ["foo..bar", ".foo", "foo.", "foo.>.bar", "a.>.>"];
    for (i, s) in bad.iter().enumerate() {
        c.send(format!("SUB {s} {i}\r\n").as_bytes()).await;
    }
    c.send(b"SUB foo.*.> 10\r\nSUB * 11\r\nSUB > 12\r\nSUB foo* 13\r\nPING\r\n")
        .await;
    let mut want = Vec::new();
    for _ in bad {
        want.extend(err("Invalid Subject"));
    }
    want.extend_from_slice(PONG);
    c.expect(&want).await;
    assert_eq!(client_subscriptions(&engine), 4);
    engine.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn reload_applies_a_new_max_payload() {
    let engine = start_default().await;
    let mut old = Client::connected(&engine).await;
    engine
        .reload(Config {
            max_payload: 100,
            ..config()
        })
        .unwrap();
    let fresh = Client::new(&engine).await;
    assert_eq!(fresh.info["max_payload"], 100);
    old.send(&publish("foo", &[b'x'; 200])).await;
    old.expect(&err("Maximum Payload Violation")).await;
    old.expect_closed().await;
    engine.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn reload_refuses_fixed_options() {
    let engine = start_default().await;
    let refused = engine
        .reload(Config {
            server_name: "renamed".into(),
            ..config()
        })
        .unwrap_err();
    assert!(
        refused
            .to_string()
            .starts_with("config reload not supported for ServerName"),
        "{refused}"
    );
    let c = Client::new(&engine).await;
    assert_ne!(c.info["server_name"], "renamed");
    engine.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn reload_lowering_max_connections_closes_the_excess() {
    let engine = start_default().await;
    let mut clients = Vec::new();
    for _ in 0..3 {
        clients.push(Client::connected(&engine).await);
    }
    engine
        .reload(Config {
            max_connections: 1,
            ..config()
        })
        .unwrap();
    let open: Vec<u64> = monitor::connections(engine.shared())
        .iter()
        .filter(|c| c.reason.is_none())
        .map(|c| c.cid)
        .collect();
    assert_eq!(open.len(), 1);
    for c in &mut clients {
        if open.contains(&c.cid()) {
            c.sync().await;
        } else {
            c.expect(&err("maximum connections exceeded")).await;
            c.expect_closed().await;
        }
    }
    engine.shutdown().await;
}
