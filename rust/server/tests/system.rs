//! The system account: connect/disconnect events with nats-server's JSON, and
//! `$SYS.REQ.USER.INFO` from any account.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use fastnats_server::Config;
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
    sys.send(b"SUB $SYS.ACCOUNT.> 1\r\n").await;
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
        line.starts_with("MSG $SYS.ACCOUNT.A.DISCONNECT 1 "),
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
