//! Accounts on the wire: isolation, users and `no_auth_user` in accounts, stream and service
//! imports (with the `_R_.` reply mapping and `Nats-Request-Info`), account config errors,
//! reloads that add accounts, and `/connz`'s account.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use fastnats_server::{monitor, Config, Engine};
use serde_json::{json, Value};

/// The test configuration with `extra` (JSON, the option's form) merged in.
fn config_with(extra: Value) -> Config {
    let mut base = serde_json::to_value(config()).unwrap();
    for (k, v) in extra.as_object().unwrap() {
        base[k] = v.clone();
    }
    Config::from_deserializer(base).unwrap()
}

/// Accounts A (user a) and B (user b); A exports stream `events.>` and service `svc.>`;
/// B imports the stream with prefix `fromA` and the service `svc.x` as `local.svc`.
fn two_accounts() -> Config {
    config_with(json!({
        "accounts": {
            "A": {
                "users": [{"user": "a", "password": "a"}],
                "exports": [{"stream": "events.>"}, {"service": "svc.>"}],
            },
            "B": {
                "users": [{"user": "b", "password": "b"}],
                "imports": [
                    {"stream": {"account": "A", "subject": "events.>"}, "prefix": "fromA"},
                    {"service": {"account": "A", "subject": "svc.x"}, "to": "local.svc"},
                ],
            },
        }
    }))
}

async fn login(engine: &Engine, user: &str) -> Client {
    let mut c = Client::new(engine).await;
    c.connect(&format!(
        r#"{{"verbose":false,"user":"{user}","pass":"{user}","headers":true,"no_responders":true}}"#
    ))
    .await;
    c
}

#[tokio::test(start_paused = true)]
async fn accounts_do_not_share_subjects() {
    let engine = start(two_accounts()).await;
    let mut a = login(&engine, "a").await;
    let mut b = login(&engine, "b").await;
    a.send(b"SUB foo 1\r\n").await;
    b.send(b"SUB foo 1\r\n").await;
    a.sync().await;
    b.sync().await;
    a.send(&publish("foo", b"from-a")).await;
    assert_eq!(
        a.msgs_until_pong().await,
        vec![("MSG foo 1 6".to_string(), b"from-a".to_vec())]
    );
    assert!(b.msgs_until_pong().await.is_empty());
    let conns = monitor::connections(engine.shared());
    let mut accounts: Vec<_> = conns.iter().map(|c| c.account.clone()).collect();
    accounts.sort();
    assert_eq!(accounts, ["A", "B"]);
}

#[tokio::test(start_paused = true)]
async fn stream_imports_are_prefixed_and_one_way() {
    let engine = start(two_accounts()).await;
    let mut a = login(&engine, "a").await;
    let mut b = login(&engine, "b").await;
    a.send(b"SUB events.> 1\r\n").await;
    b.send(b"SUB > 1\r\n").await;
    a.sync().await;
    b.sync().await;
    a.send(&publish("events.1", b"x")).await;
    assert_eq!(
        a.msgs_until_pong().await,
        vec![("MSG events.1 1 1".to_string(), b"x".to_vec())]
    );
    assert_eq!(
        b.msgs_until_pong().await,
        vec![("MSG fromA.events.1 1 1".to_string(), b"x".to_vec())]
    );
    // One way: B's own events stay in B (its `>` sees them, A does not).
    b.send(&publish("events.2", b"y")).await;
    assert_eq!(b.msgs_until_pong().await.len(), 1);
    assert!(a.msgs_until_pong().await.is_empty());
}

#[tokio::test(start_paused = true)]
async fn service_imports_map_the_request_and_the_reply() {
    let engine = start(two_accounts()).await;
    let mut responder = login(&engine, "a").await;
    let mut requester = login(&engine, "b").await;
    responder.send(b"SUB svc.x 1\r\n").await;
    requester.send(b"SUB _INBOX.r 9\r\n").await;
    responder.sync().await;
    requester
        .send(b"PUB local.svc _INBOX.r 4\r\nping\r\n")
        .await;
    requester.sync().await;
    let got = responder.msgs_until_pong().await;
    assert_eq!(got.len(), 1);
    let (line, body) = &got[0];
    let parts: Vec<&str> = line.split(' ').collect();
    assert_eq!((parts[0], parts[1], parts[2]), ("HMSG", "svc.x", "1"));
    let reply = parts[3];
    let token = |t: &str| t.len() == 6 && t.bytes().all(|b| b.is_ascii_alphanumeric());
    let tokens: Vec<&str> = reply.split('.').collect();
    assert!(tokens.len() == 3 && tokens[0] == "_R_" && token(tokens[1]) && token(tokens[2]));
    let text = String::from_utf8_lossy(body);
    assert!(
        text.starts_with("NATS/1.0\r\nNats-Request-Info: {\"acc\":\"B\"}\r\n\r\n"),
        "{text:?}"
    );
    assert!(text.ends_with("ping"));
    responder
        .send(format!("PUB {reply} 4\r\npong\r\n").as_bytes())
        .await;
    responder.sync().await;
    assert_eq!(
        requester.msgs_until_pong().await,
        vec![("MSG _INBOX.r 9 4".to_string(), b"pong".to_vec())]
    );
    // A singleton reply mapping is gone after one response.
    responder
        .send(format!("PUB {reply} 4\r\nmore\r\n").as_bytes())
        .await;
    responder.sync().await;
    assert!(requester.msgs_until_pong().await.is_empty());
}

#[tokio::test(start_paused = true)]
async fn an_imported_service_without_responders_gets_no_responders() {
    let engine = start(two_accounts()).await;
    let mut requester = login(&engine, "b").await;
    requester.send(b"SUB _INBOX.r 9\r\n").await;
    requester.send(b"PUB local.svc _INBOX.r 0\r\n\r\n").await;
    let got = requester.msgs_until_pong().await;
    assert_eq!(got.len(), 1);
    assert!(got[0].0.starts_with("HMSG _INBOX.r 9 "), "{:?}", got[0]);
    assert!(String::from_utf8_lossy(&got[0].1).starts_with("NATS/1.0 503"));
}

#[tokio::test(start_paused = true)]
async fn no_auth_user_joins_its_account() {
    let mut cfg = two_accounts();
    cfg.auth.no_auth_user = Some("b".into());
    let engine = start(cfg).await;
    let mut anon = Client::new(&engine).await;
    anon.connect(r#"{"verbose":false}"#).await;
    let mut a = login(&engine, "a").await;
    anon.send(b"SUB fromA.events.> 1\r\n").await;
    anon.sync().await;
    a.send(&publish("events.9", b"z")).await;
    a.sync().await;
    assert_eq!(
        anon.msgs_until_pong().await,
        vec![("MSG fromA.events.9 1 1".to_string(), b"z".to_vec())]
    );
}

#[tokio::test(start_paused = true)]
async fn account_rules_are_nats_servers() {
    let refused = |extra: Value| async move {
        Engine::start(config_with(extra), Default::default())
            .await
            .err()
            .expect("refused")
            .to_string()
            .trim_start_matches("invalid configuration: ")
            .to_string()
    };
    assert_eq!(
        refused(json!({"accounts": {"A": {}, "B": {"imports": [
            {"stream": {"account": "A", "subject": "x"}}]}}}))
        .await,
        r#"Error adding stream import "x": stream import not authorized"#
    );
    assert_eq!(
        refused(
            json!({"accounts": {"A": {"users": [{"user": "u", "password": "p"}]},
                                    "B": {"users": [{"user": "u", "password": "q"}]}}})
        )
        .await,
        r#"Duplicate user "u" detected"#
    );
    assert_eq!(
        refused(json!({"authorization": {"token": "t"},
                       "accounts": {"A": {"users": [{"user": "u", "password": "p"}]}}}))
        .await,
        "Can not have a token and accounts"
    );
}

#[tokio::test(start_paused = true)]
async fn reload_adds_an_account_and_keeps_the_others() {
    let engine = start(two_accounts()).await;
    let mut a = login(&engine, "a").await;
    a.send(b"SUB events.> 1\r\n").await;
    a.sync().await;
    let mut cfg = two_accounts();
    cfg.accounts.insert(
        "C".into(),
        serde_json::from_value(json!({"users": [{"user": "c", "password": "c"}],
            "imports": [{"stream": {"account": "A", "subject": "events.>"}}]}))
        .unwrap(),
    );
    engine.reload(cfg).unwrap();
    let mut c = login(&engine, "c").await;
    c.send(b"SUB events.> 1\r\n").await;
    c.sync().await;
    a.send(&publish("events.3", b"k")).await;
    assert_eq!(
        a.msgs_until_pong().await.len(),
        1,
        "A keeps its subscription"
    );
    assert_eq!(
        c.msgs_until_pong().await,
        vec![("MSG events.3 1 1".to_string(), b"k".to_vec())]
    );
}
