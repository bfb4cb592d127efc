//! The system account: connect/disconnect and account connection (`CONNS`) events with
//! nats-server's JSON, `$SYS.REQ.USER.INFO` from any account, `$SYS.REQ.ACCOUNT.<acc>.CONNS`,
//! and the per-account counters.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::*;
use fastnats_server::system::conns::HEARTBEAT;
use fastnats_server::{monitor, Config};
use serde_json::{json, Value};

fn with_system() -> Config {
    let mut base = serde_json::to_value(config()).unwrap();
    base["system_account"] = json!("SYS");
    base["accounts"] = json!({
        "SYS": {"users": [{"user": "sys", "password": "sys"}]},
        "A": {"users": [{"user": "a", "password": "a",
                         "permissions": {"publish": {"allow": ["$SYS.REQ.USER.INFO", "a.>"]}}}]},
    });
    Config::from_deserializer(base).unwrap()
}

async fn login(engine: &fastnats_server::Engine, user: &str) -> Client {
    let mut c = Client::new(engine).await;
    c.connect(&format!(
        r#"{{"verbose":false,"user":"{user}","pass":"{user}","headers":true,"name":"n-{user}","lang":"rust","version":"1.0"}}"#
    ))
    .await;
    c
}

fn json_of(body: &[u8]) -> Value {
    serde_json::from_slice(body).unwrap()
}

#[tokio::test(start_paused = true)]
async fn connect_and_disconnect_events() {
    let engine = start(with_system()).await;
    let mut sys = login(&engine, "sys").await;
    sys.send(b"SUB $SYS.ACCOUNT.*.CONNECT 1\r\nSUB $SYS.ACCOUNT.*.DISCONNECT 2\r\n")
        .await;
    sys.sync().await;
    let mut a = login(&engine, "a").await;
    a.send(&publish("a.x", b"hello")).await;
    a.sync().await;
    let (line, body) = sys.read_msg().await;
    assert_eq!(line, format!("MSG $SYS.ACCOUNT.A.CONNECT 1 {}", body.len()));
    let event = json_of(&body);
    assert_eq!(event["type"], "io.nats.server.advisory.v1.client_connect");
    assert_eq!(event["id"].as_str().unwrap().len(), 22);
    assert_eq!(event["client"]["acc"], "A");
    assert_eq!(event["client"]["user"], "a");
    assert_eq!(event["client"]["name"], "n-a");
    assert_eq!(event["client"]["kind"], "Client");
    assert_eq!(event["client"]["client_type"], "nats");
    assert_eq!(event["client"]["id"], a.cid());
    assert_eq!(event["server"]["ver"], "2.10.0");
    assert!(event["server"]["seq"].as_u64().unwrap() >= 1);
    drop(a);
    let (line, body) = sys.read_msg().await;
    assert!(
        line.starts_with("MSG $SYS.ACCOUNT.A.DISCONNECT 2 "),
        "{line}"
    );
    let event = json_of(&body);
    assert_eq!(
        event["type"],
        "io.nats.server.advisory.v1.client_disconnect"
    );
    assert_eq!(event["reason"], "Client Closed");
    assert_eq!(event["sent"], json!({"msgs": 1, "bytes": 5}));
    assert_eq!(event["received"], json!({"msgs": 0, "bytes": 0}));
    assert!(event["client"]["stop"].is_string());
}

#[tokio::test(start_paused = true)]
async fn user_info_names_the_requester() {
    let engine = start(with_system()).await;
    let mut a = login(&engine, "a").await;
    a.send(b"SUB _INBOX.me 1\r\nPUB $SYS.REQ.USER.INFO _INBOX.me 0\r\n\r\n")
        .await;
    let (line, body) = a.read_msg().await;
    assert!(line.starts_with("MSG _INBOX.me 1 "), "{line}");
    let reply = json_of(&body);
    assert_eq!(reply["data"]["user"], "a");
    assert_eq!(reply["data"]["account"], "A");
    assert_eq!(reply["data"]["account_name"], "A");
    assert_eq!(
        reply["data"]["permissions"]["publish"]["allow"],
        json!(["$SYS.REQ.USER.INFO", "a.>"])
    );
    assert!(reply["server"]["id"].is_string());
}

#[tokio::test(start_paused = true)]
async fn user_info_in_the_global_account_without_configured_accounts() {
    let engine = start_default().await;
    let mut c = Client::connected(&engine).await;
    c.send(b"SUB _INBOX.me 1\r\nPUB $SYS.REQ.USER.INFO _INBOX.me 0\r\n\r\n")
        .await;
    let (_, body) = c.read_msg().await;
    let reply = json_of(&body);
    assert_eq!(reply["data"]["account"], "$G");
    assert_eq!(reply["data"]["user"], "");
    assert!(reply["data"].get("permissions").is_none());
}

/// nats-server's `AccountNumConns` fields (2.10+), sorted.
const CONNS_KEYS: [&str; 13] = [
    "acc",
    "conns",
    "id",
    "leafnodes",
    "name",
    "num_subscriptions",
    "received",
    "sent",
    "server",
    "slow_consumers",
    "timestamp",
    "total_conns",
    "type",
];

fn keys(v: &Value) -> Vec<String> {
    let mut keys: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
    keys.sort();
    keys
}

/// `(msgs, bytes)` of a `DataStats`, after checking its shape.
fn data_stats(v: &Value) -> (u64, u64) {
    assert_eq!(keys(v), ["bytes", "gateways", "leafs", "msgs", "routes"]);
    (v["msgs"].as_u64().unwrap(), v["bytes"].as_u64().unwrap())
}

#[tokio::test(start_paused = true)]
async fn account_conns_events_when_a_client_joins_and_leaves() {
    let engine = start(with_system()).await;
    let mut sys = login(&engine, "sys").await;
    sys.send(b"SUB $SYS.ACCOUNT.A.SERVER.CONNS 1\r\nSUB $SYS.SERVER.ACCOUNT.A.CONNS 2\r\n")
        .await;
    sys.sync().await;
    let mut a = login(&engine, "a").await;
    // The old subject first, as nats-server sends them.
    let (line, body) = sys.read_msg().await;
    assert_eq!(
        line,
        format!("MSG $SYS.SERVER.ACCOUNT.A.CONNS 2 {}", body.len())
    );
    let (line, same) = sys.read_msg().await;
    assert_eq!(
        line,
        format!("MSG $SYS.ACCOUNT.A.SERVER.CONNS 1 {}", same.len())
    );
    let event = json_of(&body);
    assert_eq!(keys(&event), CONNS_KEYS);
    assert_eq!(json_of(&same)["id"], event["id"]);
    assert_eq!(
        event["type"],
        "io.nats.server.advisory.v1.account_connections"
    );
    assert_eq!(event["id"].as_str().unwrap().len(), 22);
    assert!(event["server"]["seq"].as_u64().is_some());
    assert_eq!((&event["acc"], &event["name"]), (&json!("A"), &json!("A")));
    assert_eq!(
        (&event["conns"], &event["leafnodes"], &event["total_conns"]),
        (&json!(1), &json!(0), &json!(1))
    );
    assert_eq!(data_stats(&event["received"]), (0, 0));
    a.send(&publish("a.x", b"hello")).await;
    a.sync().await;
    drop(a);
    let (_, body) = sys.read_msg().await;
    let _ = sys.read_msg().await;
    let event = json_of(&body);
    assert_eq!(
        (&event["conns"], &event["total_conns"]),
        (&json!(0), &json!(0))
    );
    assert_eq!(
        data_stats(&event["received"]),
        (1, 5),
        "kept past the connection"
    );
    assert_eq!(data_stats(&event["sent"]), (0, 0));
    assert_eq!(event["slow_consumers"], 0);
    // No heartbeat for an account without connections.
    sys.answer_first_ping().await;
    sys.expect_silence(HEARTBEAT * 2).await;
}

#[tokio::test(start_paused = true)]
async fn account_conns_heartbeat_while_the_account_has_connections() {
    let engine = start(with_system()).await;
    let mut sys = login(&engine, "sys").await;
    sys.send(b"SUB $SYS.ACCOUNT.A.SERVER.CONNS 1\r\n").await;
    sys.sync().await;
    let a = login(&engine, "a").await;
    assert_eq!(json_of(&sys.read_msg().await.1)["conns"], 1);
    // The next one a whole heartbeat after the last event.
    let event_at = tokio::time::Instant::now();
    sys.answer_first_ping().await;
    sys.expect_silence(HEARTBEAT - Duration::from_secs(1) - event_at.elapsed())
        .await;
    let (_, body) = tokio::time::timeout(Duration::from_secs(2), sys.read_msg())
        .await
        .expect("heartbeat");
    let event = json_of(&body);
    assert_eq!(keys(&event), CONNS_KEYS);
    assert_eq!(event["conns"], 1);
    drop(a);
    assert_eq!(json_of(&sys.read_msg().await.1)["conns"], 0);
    sys.expect_silence(HEARTBEAT * 2).await;
}

#[tokio::test(start_paused = true)]
async fn account_conns_request_answers_while_the_account_has_connections() {
    let engine = start(with_system()).await;
    let mut sys = login(&engine, "sys").await;
    sys.send(b"SUB _INBOX.c 1\r\n").await;
    sys.sync().await;
    // A has no connection (silent), the body names another account (silent), then SYS
    // (the one that answers: replies come in order).
    sys.send(b"PUB $SYS.REQ.ACCOUNT.A.CONNS _INBOX.c 0\r\n\r\n")
        .await;
    sys.send(b"PUB $SYS.REQ.ACCOUNT.SYS.CONNS _INBOX.c 11\r\n{\"acc\":\"A\"}\r\n")
        .await;
    sys.send(b"PUB $SYS.REQ.ACCOUNT.SYS.CONNS _INBOX.c 0\r\n\r\n")
        .await;
    let (line, body) = sys.read_msg().await;
    assert!(line.starts_with("MSG _INBOX.c 1 "), "{line}");
    let reply = json_of(&body);
    assert_eq!(keys(&reply), CONNS_KEYS);
    assert_eq!((&reply["acc"], &reply["conns"]), (&json!("SYS"), &json!(1)));
    let _a = login(&engine, "a").await;
    sys.send(b"PUB $SYS.REQ.ACCOUNT.A.CONNS _INBOX.c 11\r\n{\"acc\":\"A\"}\r\n")
        .await;
    let reply = json_of(&sys.read_msg().await.1);
    assert_eq!((&reply["acc"], &reply["conns"]), (&json!("A"), &json!(1)));
}

#[tokio::test(start_paused = true)]
async fn account_counters_keep_the_traffic_of_closed_connections() {
    let engine = start(with_system()).await;
    let mut sub = login(&engine, "a").await;
    sub.send(b"SUB a.x 1\r\n").await;
    sub.sync().await;
    let mut publisher = login(&engine, "a").await;
    publisher
        .send(&[publish("a.x", b"hello"), publish("a.x", b"hello")].concat())
        .await;
    publisher.sync().await;
    sub.read_msg().await;
    sub.read_msg().await;
    drop(publisher);
    let shared = engine.shared().clone();
    let stat_of_a = || {
        monitor::account_statz(&shared)
            .into_iter()
            .find(|s| s.acc == "A")
            .unwrap()
    };
    eventually("the publisher left A", || stat_of_a().conns == 1).await;
    let a = stat_of_a();
    assert_eq!((a.received.msgs, a.received.bytes), (2, 10));
    assert_eq!((a.sent.msgs, a.sent.bytes), (2, 10));
    assert_eq!(a.num_subscriptions, 1);
    let every: Vec<String> = monitor::account_statz(&shared)
        .into_iter()
        .map(|s| s.acc)
        .collect();
    assert_eq!(every, ["$G", "A", "SYS"], "every account, by name");
}
