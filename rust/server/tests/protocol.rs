//! The client protocol outside delivery: INFO, PING/PONG, CONNECT and its options, verbose
//! and pedantic, and the ops that close a connection (with or without an `-ERR`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use fastnats_server::Config;

#[tokio::test(start_paused = true)]
async fn info_has_nats_server_fields() {
    let engine = start_default().await;
    let mut c = Client::dial(engine.local_addr()).await;
    let line = c.expect_line().await;
    assert!(line.starts_with(b"INFO {\"server_id\":\"N"), "{line:?}");
    assert!(line.ends_with(b"}\r\n"));
    let info = parse_info(&line);
    let id = info["server_id"].as_str().unwrap();
    assert_eq!(id.len(), 56);
    assert!(id.starts_with('N'));
    assert!(id
        .bytes()
        .all(|b| b.is_ascii_uppercase() || (b'2'..=b'7').contains(&b)));
    assert_eq!(info["server_name"], info["server_id"]);
    assert_eq!(info["version"], "2.10.0");
    assert_eq!(info["proto"], 1);
    assert_eq!(info["headers"], true);
    assert_eq!(info["max_payload"], 1_048_576);
    assert_eq!(info["host"], "127.0.0.1");
    assert_eq!(info["port"], engine.local_addr().port());
    assert!(info["client_id"].as_u64().unwrap() >= 1);
    assert_eq!(info["client_ip"], "127.0.0.1");
    for absent in [
        "auth_required",
        "tls_required",
        "tls_verify",
        "nonce",
        "ldm",
    ] {
        assert!(info.get(absent).is_none(), "{absent} in {info}");
    }
    engine.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn client_ids_count_up() {
    // The server's own internal clients take ids too (nats-server's first client is 5).
    let engine = start_default().await;
    let a = Client::new(&engine).await;
    let b = Client::new(&engine).await;
    let c = Client::new(&engine).await;
    assert_eq!((b.cid(), c.cid()), (a.cid() + 1, a.cid() + 2));
    assert_eq!(a.info["server_id"], c.info["server_id"]);
    engine.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn info_follows_the_config() {
    let engine = start(Config {
        server_name: "alpha".into(),
        max_payload: 1000,
        no_header_support: true,
        ..config()
    })
    .await;
    let c = Client::new(&engine).await;
    assert_eq!(c.info["server_name"], "alpha");
    assert_ne!(c.info["server_id"], "alpha");
    assert_eq!(c.info["max_payload"], 1000);
    assert_eq!(c.info["headers"], false);
    engine.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn ping_is_answered_before_connect() {
    let engine = start_default().await;
    let mut c = Client::new(&engine).await;
    c.send(b"PING\r\nPING\r\n").await;
    c.expect(b"PONG\r\nPONG\r\n").await;
    engine.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn ops_are_case_insensitive_and_tolerate_bare_newlines() {
    let engine = start_default().await;
    let mut c = Client::connected(&engine).await;
    c.send(b"sub foo 1\npub foo 2\nhi\r\nping\n").await;
    c.expect(b"MSG foo 1 2\r\nhi\r\nPONG\r\n").await;
    engine.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn connect_without_verbose_key_is_acknowledged() {
    let engine = start_default().await;
    let mut c = Client::new(&engine).await;
    c.send(b"CONNECT {}\r\nPING\r\n").await;
    c.expect(b"+OK\r\nPONG\r\n").await;
    engine.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn verbose_acks_sub_pub_unsub_but_not_ping() {
    let engine = start_default().await;
    let mut c = Client::new(&engine).await;
    c.connect(r#"{"verbose":true,"pedantic":false}"#).await;
    c.send(b"SUB foo 1\r\nPUB foo 1\r\nx\r\nUNSUB 1\r\nUNSUB 99\r\nPING\r\n")
        .await;
    c.expect(b"+OK\r\n+OK\r\nMSG foo 1 1\r\nx\r\n+OK\r\n+OK\r\nPONG\r\n")
        .await;
    engine.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn verbose_false_sends_no_acks() {
    let engine = start_default().await;
    let mut c = Client::connected(&engine).await;
    c.send(b"SUB foo 1\r\nPUB bar 1\r\nx\r\nUNSUB 1\r\n").await;
    c.sync().await;
    engine.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn pedantic_invalid_publish_subject_is_reported_and_still_delivered() {
    let engine = start_default().await;
    let mut c = Client::new(&engine).await;
    c.connect(r#"{"verbose":false,"pedantic":true}"#).await;
    c.send(b"SUB foo.> 1\r\nPUB foo.* 2\r\nhi\r\nPUB foo..bar 1\r\nx\r\nPING\r\n")
        .await;
    let mut want = err("Invalid Publish Subject");
    want.extend_from_slice(b"MSG foo.* 1 2\r\nhi\r\n");
    want.extend_from_slice(&err("Invalid Publish Subject"));
    want.extend_from_slice(PONG);
    c.expect(&want).await;
    engine.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn pedantic_by_default_when_connect_omits_it() {
    let engine = start_default().await;
    let mut c = Client::new(&engine).await;
    c.connect(r#"{"verbose":false}"#).await;
    c.send(b"PUB foo.> 0\r\n\r\nPING\r\n").await;
    let mut want = err("Invalid Publish Subject");
    want.extend_from_slice(PONG);
    c.expect(&want).await;
    engine.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn not_pedantic_publishes_wildcards_as_literals() {
    let engine = start_default().await;
    let mut c = Client::connected(&engine).await;
    c.send(b"SUB foo.* 1\r\nPUB foo.* 1\r\nx\r\nPING\r\n").await;
    c.expect(b"MSG foo.* 1 1\r\nx\r\nPONG\r\n").await;
    engine.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn unknown_op_is_an_error_and_closes() {
    let engine = start_default().await;
    let mut c = Client::connected(&engine).await;
    c.send(b"FOO bar\r\n").await;
    c.expect(&err("Unknown Protocol Operation")).await;
    c.expect_closed().await;
    let closed = closed_conn(&engine, c.cid()).await;
    assert_eq!(closed.reason, Some("Protocol Violation"));
    engine.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn msg_from_a_client_is_an_unknown_op() {
    let engine = start_default().await;
    let mut c = Client::connected(&engine).await;
    c.send(b"MSG foo 1 2\r\nhi\r\n").await;
    c.expect(&err("Unknown Protocol Operation")).await;
    c.expect_closed().await;
    engine.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn payload_longer_than_announced_closes() {
    let engine = start_default().await;
    let mut c = Client::connected(&engine).await;
    c.send(b"PUB foo 2\r\nhello\r\n").await;
    c.expect(&err("Unknown Protocol Operation")).await;
    c.expect_closed().await;
    engine.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn bad_connect_json_closes_silently() {
    let engine = start_default().await;
    let mut c = Client::new(&engine).await;
    c.send(b"CONNECT {\"verbose\":\r\nPING\r\n").await;
    c.expect_closed().await;
    engine.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn bad_pub_arguments_close_silently() {
    let engine = start_default().await;
    for bad in [
        &b"PUB foo\r\n"[..],
        b"PUB foo bar baz 1\r\n",
        b"PUB foo -1\r\n",
    ] {
        let mut c = Client::connected(&engine).await;
        c.send(bad).await;
        c.expect_closed().await;
    }
    engine.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn info_from_a_client_is_ignored() {
    let engine = start_default().await;
    let mut c = Client::connected(&engine).await;
    c.send(b"INFO {\"server_id\":\"x\"}\r\n+OK\r\n").await;
    c.sync().await;
    engine.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn err_from_a_client_closes_silently() {
    let engine = start_default().await;
    let mut c = Client::connected(&engine).await;
    c.send(b"-ERR 'boom'\r\n").await;
    c.expect_closed().await;
    engine.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn connect_protocol_out_of_range() {
    let engine = start_default().await;
    for protocol in ["2", "-1"] {
        let mut c = Client::new(&engine).await;
        c.send(
            format!("CONNECT {{\"verbose\":false,\"protocol\":{protocol}}}\r\nPING\r\n").as_bytes(),
        )
        .await;
        c.expect(&err("invalid client protocol")).await;
        c.expect_closed().await;
    }
    let mut ok = Client::new(&engine).await;
    ok.connect(r#"{"verbose":false,"protocol":0}"#).await;
    engine.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn no_responders_requires_headers() {
    let engine = start_default().await;
    let mut c = Client::new(&engine).await;
    c.send(b"CONNECT {\"verbose\":false,\"no_responders\":true}\r\nPING\r\n")
        .await;
    c.expect(&err("no responders requires headers support"))
        .await;
    c.expect_closed().await;
    // A server without header support refuses it even when the client says headers:true.
    let engine2 = start(Config {
        no_header_support: true,
        ..config()
    })
    .await;
    let mut c = Client::new(&engine2).await;
    c.send(b"CONNECT {\"verbose\":false,\"headers\":true,\"no_responders\":true}\r\nPING\r\n")
        .await;
    c.expect(&err("no responders requires headers support"))
        .await;
    c.expect_closed().await;
    engine.shutdown().await;
    engine2.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn legacy_account_field_is_an_authorization_violation() {
    let engine = start_default().await;
    let mut c = Client::new(&engine).await;
    c.send(b"CONNECT {\"verbose\":false,\"account\":\"A\"}\r\nPING\r\n")
        .await;
    c.expect(&err("Authorization Violation")).await;
    c.expect_closed().await;
    engine.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn hpub_without_negotiated_headers_closes_silently() {
    let engine = start_default().await;
    let mut c = Client::new(&engine).await;
    c.connect(r#"{"verbose":false,"pedantic":false}"#).await;
    c.send(b"HPUB foo 12 14\r\nNATS/1.0\r\n\r\nhi\r\n").await;
    c.expect_closed().await;
    engine.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn second_connect_is_accepted() {
    let engine = start_default().await;
    let mut c = Client::connected(&engine).await;
    c.connect(r#"{"verbose":true}"#).await;
    c.send(b"SUB a 1\r\n").await;
    c.expect(OK).await;
    engine.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn header_size_over_total_closes_silently() {
    let engine = start_default().await;
    let mut c = Client::connected(&engine).await;
    c.send(b"HPUB foo 14 12\r\nNATS/1.0\r\n\r\nhi\r\n").await;
    c.expect_closed().await;
    engine.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn reserved_subjects_and_reply_prefixes_are_permission_violations() {
    let engine = start_default().await;
    let mut c = Client::connected(&engine).await;
    c.send(b"SUB > 1\r\n").await;
    c.send(b"PUB _GR_.x 1\r\na\r\nPUB $NRG.x 1\r\nb\r\nPUB foo _R_.abc 1\r\nc\r\nPUB foo $JS.ACK.x 1\r\nd\r\nPUB foo _INBOX.ok 1\r\ne\r\nPING\r\n")
        .await;
    let mut want = err(r#"Permissions Violation for Publish to "_GR_.x""#);
    want.extend(err(r#"Permissions Violation for Publish to "$NRG.x""#));
    want.extend(err(
        r#"Permissions Violation for Publish with Reply of "_R_.abc""#,
    ));
    want.extend(err(
        r#"Permissions Violation for Publish with Reply of "$JS.ACK.x""#,
    ));
    want.extend(msg("foo", "1", Some("_INBOX.ok"), b"e"));
    want.extend_from_slice(PONG);
    c.expect(&want).await;
    engine.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn pong_follows_the_messages_queued_before_it() {
    let engine = start_default().await;
    let mut c = Client::connected(&engine).await;
    let mut batch = b"SUB foo 1\r\n".to_vec();
    for i in 0..50 {
        batch.extend(publish("foo", format!("{i:02}").as_bytes()));
    }
    batch.extend_from_slice(PING);
    c.send(&batch).await;
    for i in 0..50 {
        c.expect(&msg("foo", "1", None, format!("{i:02}").as_bytes()))
            .await;
    }
    c.expect(PONG).await;
    engine.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn blanks_tabs_and_junk_after_ping() {
    let engine = start_default().await;
    let mut c = Client::connected(&engine).await;
    c.send(b"SUB\tfoo \t 1\r\nPUB  foo\t\t2  \r\nhi\r\nUNSUB 1 \r\nPUB foo 1\r\nx\r\nPING foo\r\n")
        .await;
    c.expect(b"MSG foo 1 2\r\nhi\r\nPONG\r\n").await;
    engine.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn verbose_acks_follow_a_pedantic_error_but_no_other() {
    let engine = start(Config {
        max_subscriptions: 1,
        ..config()
    })
    .await;
    let mut c = Client::new(&engine).await;
    c.connect(r#"{"verbose":true,"pedantic":true}"#).await;
    c.send(b"PUB foo.* 0\r\n\r\nSUB a..b 1\r\nSUB a 2\r\nSUB b 3\r\nSUB x _sys_ 4\r\nPING\r\n")
        .await;
    let mut want = err("Invalid Publish Subject");
    want.extend_from_slice(OK); // the message still goes out
    want.extend(err("Invalid Subject"));
    want.extend_from_slice(OK); // SUB a
    want.extend(err("maximum subscriptions exceeded"));
    want.extend(err(
        r#"Permissions Violation for Subscription to "x" using queue "_sys_""#,
    ));
    want.extend_from_slice(PONG);
    c.expect(&want).await;
    engine.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn max_connections_zero_refuses_everyone() {
    let engine = start(Config {
        max_connections: 0,
        ..config()
    })
    .await;
    let mut c = Client::new(&engine).await;
    c.expect(&err("maximum connections exceeded")).await;
    c.expect_closed().await;
    engine.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn a_headers_only_message_to_a_subscriber_without_headers() {
    let engine = start_default().await;
    let mut plain = Client::new(&engine).await;
    plain.connect(r#"{"verbose":false,"pedantic":false}"#).await;
    plain.send(b"SUB foo 1\r\n").await;
    plain.sync().await;
    let mut h = Client::connected(&engine).await;
    h.send(b"SUB foo 2\r\nHPUB foo r 22 22\r\nNATS/1.0\r\nBar: Baz\r\n\r\n\r\nPING\r\n")
        .await;
    h.expect(b"HMSG foo 2 r 22 22\r\nNATS/1.0\r\nBar: Baz\r\n\r\n\r\nPONG\r\n")
        .await;
    plain.send(PING).await;
    plain.expect(b"MSG foo 1 r 0\r\n\r\nPONG\r\n").await;
    engine.shutdown().await;
}
