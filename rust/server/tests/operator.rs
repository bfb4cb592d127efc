//! Operator mode on the wire: INFO's nonce, CONNECT with a user JWT and the signed nonce (or
//! a bearer JWT), the refusals (unknown signer, expired, revoked, no signature), JWT
//! permissions, account limits (`conn`, `subs`, `payload`), expiry while connected, the
//! dir resolver, imports between JWT accounts, the system imports (`$SYS.REQ.USER.INFO`),
//! `/connz`, and the config errors.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use common::jwt::{jwt_v2, unlimited, Op, IAT};
use common::*;
use fastnats_server::jwt::encode_part;
use fastnats_server::{monitor, Config, ConfigError, Engine};
use nkeys::KeyPair;
use serde_json::{json, Value};

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// A user of account `acc` and its JWT with these `nats` fields (unlimited by default).
fn user(acc: &KeyPair, mut nats: Value, extra: Value) -> (KeyPair, String) {
    let u = KeyPair::new_user();
    for (k, v) in [("subs", -1), ("data", -1), ("payload", -1)] {
        if nats.get(k).is_none() {
            nats[k] = json!(v);
        }
    }
    let mut claims = json!({"sub": u.public_key(), "name": "u", "nats": nats});
    for (k, v) in extra.as_object().unwrap() {
        claims[k] = v.clone();
    }
    let token = jwt_v2("user", claims, acc);
    (u, token)
}

fn op_config(op: &Op, preload: &[(&KeyPair, &str)]) -> Config {
    let mut base = serde_json::to_value(config()).unwrap();
    base["operator"] = json!(op.jwt);
    base["resolver"] = json!("MEMORY");
    let map: serde_json::Map<String, Value> = preload
        .iter()
        .map(|(k, j)| (k.public_key(), json!(j)))
        .collect();
    base["resolver_preload"] = Value::Object(map);
    Config::from_deserializer(base).unwrap()
}

/// Connects and sends CONNECT with `token`, signing the INFO nonce with `key` (no `sig`
/// without one), then PING; returns the client and what came back before EOF or PONG.
async fn jwt_connect(engine: &Engine, token: &str, key: Option<&KeyPair>) -> Client {
    let mut c = Client::dial(engine.local_addr()).await;
    let info = c.read_info().await;
    assert_eq!(info["auth_required"], json!(true));
    let nonce = info["nonce"]
        .as_str()
        .expect("INFO has a nonce")
        .to_string();
    let mut connect = json!({"verbose": false, "jwt": token, "headers": true, "protocol": 1});
    if let Some(key) = key {
        connect["sig"] = json!(encode_part(&key.sign(nonce.as_bytes()).unwrap()));
    }
    c.send(format!("CONNECT {connect}\r\nPING\r\n").as_bytes())
        .await;
    c
}

async fn admitted(engine: &Engine, token: &str, key: Option<&KeyPair>) -> Client {
    let mut c = jwt_connect(engine, token, key).await;
    c.expect(b"PONG\r\n").await;
    c
}

async fn refused(engine: &Engine, token: &str, key: Option<&KeyPair>) {
    let mut c = jwt_connect(engine, token, key).await;
    c.expect(&err("Authorization Violation")).await;
    c.expect_closed().await;
}

#[tokio::test(start_paused = true)]
async fn user_with_signed_nonce_connects_in_its_account() {
    let op = Op::new();
    let acc = KeyPair::new_account();
    let acc_jwt = op.account(&acc, "acc-name", json!({}));
    let engine = start(op_config(&op, &[(&acc, &acc_jwt)])).await;
    let (u, token) = user(&acc, json!({}), json!({}));
    let mut c = admitted(&engine, &token, Some(&u)).await;
    c.send(b"SUB foo 1\r\n").await;
    c.send(&publish("foo", b"hi")).await;
    assert_eq!(c.msgs_until_pong().await.len(), 1);

    let conns = monitor::connections(engine.shared());
    let me = conns.iter().find(|s| s.cid == c.cid()).unwrap();
    assert_eq!(me.user.as_deref(), Some(u.public_key().as_str()));
    assert_eq!(me.account, acc.public_key());
    assert_eq!(me.name_tag, "acc-name");
    let account = engine
        .shared()
        .account(Some(&acc.public_key()))
        .expect("the account is loaded");
    assert_eq!(account.name_tag(), "acc-name");

    // Without a signature, or with another key's, the same JWT is refused.
    refused(&engine, &token, None).await;
    refused(&engine, &token, Some(&KeyPair::new_user())).await;
    // Without a JWT at all.
    let mut c = Client::new(&engine).await;
    c.send(b"CONNECT {\"verbose\":false}\r\nPING\r\n").await;
    c.expect(&err("Authorization Violation")).await;
}

#[tokio::test(start_paused = true)]
async fn jwt_accounts_import_the_system_user_info() {
    let op = Op::new();
    let acc = KeyPair::new_account();
    let acc_jwt = op.account(&acc, "acc-name", json!({}));
    let sys = KeyPair::new_account();
    let sys_jwt = op.account(&sys, "SYS", json!({}));
    let mut config = op_config(&op, &[(&acc, &acc_jwt), (&sys, &sys_jwt)]);
    config.system_account = Some(sys.public_key());
    let engine = start(config).await;
    // A system user sees the request too, with the requester's details (the import shares
    // them): `name_tag` is the user JWT's name, as nats-server's `ClientInfo.NameTag`.
    let (w, watcher_token) = user(&sys, json!({}), json!({}));
    let mut watcher = admitted(&engine, &watcher_token, Some(&w)).await;
    watcher.send(b"SUB $SYS.REQ.USER.> 1\r\n").await;
    watcher.sync().await;
    let (u, token) = user(&acc, json!({}), json!({}));
    let mut c = admitted(&engine, &token, Some(&u)).await;
    c.send(b"SUB _INBOX.me 1\r\nPUB $SYS.REQ.USER.INFO _INBOX.me 0\r\n\r\n")
        .await;
    let (line, body) = c.read_msg().await;
    assert!(line.starts_with("MSG _INBOX.me 1 "), "{line}");
    let reply: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(reply["data"]["user"], json!(u.public_key()));
    assert_eq!(reply["data"]["account"], json!(acc.public_key()));
    assert_eq!(reply["data"]["user_name"], json!("u"));

    let (line, body) = watcher.read_msg().await;
    assert!(line.starts_with("HMSG $SYS.REQ.USER."), "{line}");
    let text = String::from_utf8(body).unwrap();
    let header = text
        .lines()
        .find_map(|l| l.strip_prefix("Nats-Request-Info: "))
        .expect("a Nats-Request-Info header");
    let info: Value = serde_json::from_str(header).unwrap();
    assert_eq!(info["acc"], json!(acc.public_key()));
    assert_eq!(info["user"], json!(u.public_key()));
    assert_eq!(info["name_tag"], json!("u"));
}

#[tokio::test(start_paused = true)]
async fn no_system_account_unless_one_is_named() {
    // Neither the config nor the operator JWT names one: none (nats-server's `$SYS` default
    // is not an account the operator signed).
    let op = Op::new();
    let acc = KeyPair::new_account();
    let acc_jwt = op.account(&acc, "acc-name", json!({}));
    let engine = start(op_config(&op, &[(&acc, &acc_jwt)])).await;
    assert_eq!(engine.shared().system_account_name(), None);
}

#[tokio::test(start_paused = true)]
async fn bearer_token_needs_no_signature() {
    let op = Op::new();
    let acc = KeyPair::new_account();
    let acc_jwt = op.account(&acc, "a", json!({}));
    let engine = start(op_config(&op, &[(&acc, &acc_jwt)])).await;
    let (_, token) = user(&acc, json!({"bearer_token": true}), json!({}));
    admitted(&engine, &token, None).await;

    // An account that disallows bearer tokens refuses them.
    let acc2 = KeyPair::new_account();
    let mut limits = unlimited();
    limits["disallow_bearer"] = json!(true);
    let acc2_jwt = op.account(&acc2, "b", json!({"limits": limits}));
    let engine = start(op_config(&op, &[(&acc2, &acc2_jwt)])).await;
    let (_, token) = user(&acc2, json!({"bearer_token": true}), json!({}));
    refused(&engine, &token, None).await;
}

#[tokio::test(start_paused = true)]
async fn unknown_signers_expired_and_revoked_users_are_refused() {
    let op = Op::new();
    let acc = KeyPair::new_account();
    let revoked_user = KeyPair::new_user();
    let acc_jwt = op.account(
        &acc,
        "a",
        json!({"revocations": {revoked_user.public_key(): IAT}}),
    );
    // An account signed by another operator, preloaded all the same.
    let rogue = Op::new();
    let rogue_acc = KeyPair::new_account();
    let rogue_jwt = rogue.account(&rogue_acc, "r", json!({}));
    let engine = start(op_config(
        &op,
        &[(&acc, &acc_jwt), (&rogue_acc, &rogue_jwt)],
    ))
    .await;

    // A user of an account the server does not know.
    let stranger = KeyPair::new_account();
    let (u, token) = user(&stranger, json!({}), json!({}));
    refused(&engine, &token, Some(&u)).await;
    // A user of an account the trusted operator did not sign.
    let (u, token) = user(&rogue_acc, json!({}), json!({}));
    refused(&engine, &token, Some(&u)).await;
    // Expired.
    let (u, token) = user(&acc, json!({}), json!({"exp": 1_600_000_000}));
    refused(&engine, &token, Some(&u)).await;
    // Revoked (issued at the revocation time).
    let claims = json!({"sub": revoked_user.public_key(), "name": "r",
                        "nats": {"subs": -1, "data": -1, "payload": -1}});
    let token = jwt_v2("user", claims, &acc);
    refused(&engine, &token, Some(&revoked_user)).await;
    // Issued after the revocation: fine.
    let claims = json!({"sub": revoked_user.public_key(), "name": "r", "iat": IAT + 1,
                        "nats": {"subs": -1, "data": -1, "payload": -1}});
    let token = jwt_v2("user", claims, &acc);
    admitted(&engine, &token, Some(&revoked_user)).await;
    // Outside its src networks.
    let (u, token) = user(&acc, json!({"src": ["10.0.0.0/8"]}), json!({}));
    refused(&engine, &token, Some(&u)).await;
    // Only for websocket clients.
    let (u, token) = user(
        &acc,
        json!({"allowed_connection_types": ["WEBSOCKET"]}),
        json!({}),
    );
    refused(&engine, &token, Some(&u)).await;
}

#[tokio::test(start_paused = true)]
async fn jwt_permissions_are_enforced() {
    let op = Op::new();
    let acc = KeyPair::new_account();
    let acc_jwt = op.account(&acc, "a", json!({}));
    let engine = start(op_config(&op, &[(&acc, &acc_jwt)])).await;
    let (u, token) = user(
        &acc,
        json!({"pub": {"allow": ["ok.>"]}, "sub": {"deny": ["secret.>"]}}),
        json!({}),
    );
    let mut c = admitted(&engine, &token, Some(&u)).await;
    c.send(&publish("nope", b"x")).await;
    c.expect(b"-ERR 'Permissions Violation for Publish to \"nope\"'\r\n")
        .await;
    c.send(b"SUB secret.x 1\r\n").await;
    c.expect(b"-ERR 'Permissions Violation for Subscription to \"secret.x\"'\r\n")
        .await;
    c.send(b"SUB ok.x 2\r\n").await;
    c.send(&publish("ok.x", b"y")).await;
    assert_eq!(c.msgs_until_pong().await.len(), 1);
}

#[tokio::test(start_paused = true)]
async fn account_limits_apply() {
    let op = Op::new();
    let acc = KeyPair::new_account();
    let mut limits = unlimited();
    limits["conn"] = json!(1);
    limits["subs"] = json!(1);
    limits["payload"] = json!(4);
    let acc_jwt = op.account(&acc, "a", json!({"limits": limits}));
    let engine = start(op_config(&op, &[(&acc, &acc_jwt)])).await;
    let (u, token) = user(&acc, json!({}), json!({}));
    let mut first = admitted(&engine, &token, Some(&u)).await;

    let mut second = jwt_connect(&engine, &token, Some(&u)).await;
    second
        .expect(&err("maximum account active connections exceeded"))
        .await;
    second.expect_closed().await;
    let closed = closed_conn(&engine, second.cid()).await;
    assert_eq!(closed.reason, Some("Maximum Account Connections Exceeded"));

    first.send(b"SUB a 1\r\nSUB b 2\r\n").await;
    first.expect(&err("maximum subscriptions exceeded")).await;
    first.send(b"PUB a 5\r\nhello\r\n").await;
    first.expect(&err("Maximum Payload Violation")).await;
    first.expect_closed().await;

    // The first one gone, another may come.
    admitted(&engine, &token, Some(&u)).await;
}

#[tokio::test(start_paused = true)]
async fn an_account_without_limits_takes_no_connection() {
    let op = Op::new();
    let acc = KeyPair::new_account();
    let acc_jwt = op.account(&acc, "a", json!({"limits": {}}));
    let engine = start(op_config(&op, &[(&acc, &acc_jwt)])).await;
    let (u, token) = user(&acc, json!({}), json!({}));
    let mut c = jwt_connect(&engine, &token, Some(&u)).await;
    c.expect(&err("maximum account active connections exceeded"))
        .await;
}

#[tokio::test(start_paused = true)]
async fn a_jwt_that_expires_while_connected_closes_the_connection() {
    let op = Op::new();
    let acc = KeyPair::new_account();
    let acc_jwt = op.account(&acc, "a", json!({}));
    let engine = start(op_config(&op, &[(&acc, &acc_jwt)])).await;
    let (u, token) = user(&acc, json!({}), json!({"exp": now() + 3}));
    let mut c = admitted(&engine, &token, Some(&u)).await;
    // The keep-alive's first PING (2-2.4 s after CONNECT) may come before the expiry (2-3 s).
    let expired = err("User Authentication Expired");
    let got = tokio::time::timeout(Duration::from_secs(5), c.read_until(&expired))
        .await
        .unwrap();
    assert!(
        got == expired || got == [PING, &expired].concat(),
        "{got:?}"
    );
    c.expect_closed().await;
    let closed = closed_conn(&engine, c.cid()).await;
    assert_eq!(closed.reason, Some("Authentication Expired"));
}

#[tokio::test(start_paused = true)]
async fn dir_resolver_reads_account_files_when_needed() {
    let dir = std::env::temp_dir().join(format!("fastnats-op-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let op = Op::new();
    let sys = KeyPair::new_account();
    let exporter = KeyPair::new_account();
    let importer = KeyPair::new_account();
    let mut base = serde_json::to_value(config()).unwrap();
    base["operator"] = json!(op.jwt);
    base["system_account"] = json!(sys.public_key());
    base["resolver"] = json!({"type": "full", "dir": dir});
    let engine = start(Config::from_deserializer(base).unwrap()).await;

    // Written after the start: read at the CONNECT of its users.
    let exp_jwt = op.account(
        &exporter,
        "exp",
        json!({"exports": [{"subject": "events.>", "type": "stream"}]}),
    );
    std::fs::write(dir.join(format!("{}.jwt", exporter.public_key())), &exp_jwt).unwrap();
    let imp_jwt = op.account(
        &importer,
        "imp",
        json!({"imports": [{"subject": "events.>", "account": exporter.public_key(),
                            "type": "stream", "local_subject": "in.events.>"}]}),
    );
    std::fs::write(dir.join(format!("{}.jwt", importer.public_key())), &imp_jwt).unwrap();

    let (eu, etoken) = user(&exporter, json!({}), json!({}));
    let mut e = admitted(&engine, &etoken, Some(&eu)).await;
    let (iu, itoken) = user(&importer, json!({}), json!({}));
    let mut i = admitted(&engine, &itoken, Some(&iu)).await;
    i.send(b"SUB in.events.> 1\r\n").await;
    i.sync().await;
    e.send(&publish("events.x", b"hello")).await;
    e.sync().await;
    let got = i.msgs_until_pong().await;
    assert_eq!(got.len(), 1, "{got:?}");
    assert!(got[0].0.starts_with("MSG in.events.x 1"), "{got:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn operator_config_errors_have_nats_server_texts() {
    let op = Op::new();
    let compile = |extra: Value| -> Result<(), String> {
        let mut base = serde_json::to_value(config()).unwrap();
        base["operator"] = json!(op.jwt);
        for (k, v) in extra.as_object().unwrap() {
            base[k] = v.clone();
        }
        Config::from_deserializer(base)
            .map_err(|e| e.to_string())?
            .compile()
            .map(|_| ())
            .map_err(|e| e.to_string())
    };
    assert_eq!(
        compile(json!({})).unwrap_err(),
        "operators require an account resolver to be configured"
    );
    assert_eq!(
        compile(json!({"resolver": "MEMORY", "accounts": {"A": {}}})).unwrap_err(),
        "operators do not allow Accounts to be configured directly"
    );
    assert_eq!(
        compile(json!({"resolver": "MEMORY",
                       "authorization": {"users": [{"user": "a", "password": "b"}]}}))
        .unwrap_err(),
        "operators do not allow users to be configured directly"
    );
    assert_eq!(
        compile(json!({"resolver": {"type": "full"}})).unwrap_err(),
        "dir has no value and needs to point to a directory"
    );
    assert_eq!(
        compile(json!({"resolver": {"type": "full", "dir": "/tmp"}})).unwrap_err(),
        "using nats based account resolver - the system account needs to be specified in configuration or the operator jwt"
    );
    assert_eq!(
        compile(json!({"resolver": {"type": "cache", "dir": "/tmp", "allow_delete": true}}))
            .unwrap_err(),
        "CACHE does not accept allow_delete"
    );
    assert_eq!(
        compile(json!({"resolver": {"type": "full", "dri": "/tmp"}})).unwrap_err(),
        "resolver: unknown key \"dri\""
    );
    assert!(
        compile(json!({"resolver": "MEMORY", "resolver_preload": {"A": "junk"}}))
            .unwrap_err()
            .starts_with("preload account error for \"A\"")
    );
    assert_eq!(
        compile(json!({"resolver": "MEMORY", "trusted_keys": [op.key.public_key()]})).unwrap_err(),
        "conflicting options for 'TrustedKeys' and 'TrustedOperators'"
    );
    let e = Config {
        operator: vec!["/nonexistent/op.jwt".into()],
        ..config()
    }
    .compile()
    .unwrap_err();
    assert!(matches!(e, ConfigError::Operator(_)));
    assert_eq!(
        e.to_string(),
        "error parsing operator JWT: open /nonexistent/op.jwt: no such file or directory"
    );
    assert!(compile(json!({"resolver": "MEMORY"})).is_ok());
}

#[tokio::test(start_paused = true)]
async fn trusted_keys_and_a_decorated_operator_file() {
    let op = Op::new();
    let acc = KeyPair::new_account();
    let acc_jwt = op.account(&acc, "a", json!({}));
    let (u, token) = user(&acc, json!({}), json!({}));

    let mut base = serde_json::to_value(config()).unwrap();
    base["trusted_keys"] = json!(op.key.public_key());
    base["resolver"] = json!("MEMORY");
    base["resolver_preload"] = json!({acc.public_key(): acc_jwt});
    let engine = start(Config::from_deserializer(base).unwrap()).await;
    admitted(&engine, &token, Some(&u)).await;

    let file = std::env::temp_dir().join(format!("fastnats-op-{}.jwt", std::process::id()));
    std::fs::write(
        &file,
        format!(
            "-----BEGIN NATS OPERATOR JWT-----\n{}\n------END NATS OPERATOR JWT------\n",
            op.jwt
        ),
    )
    .unwrap();
    let mut base = serde_json::to_value(config()).unwrap();
    base["operator"] = json!([file]);
    base["resolver"] = json!("MEMORY");
    base["resolver_preload"] = json!({acc.public_key(): acc_jwt});
    let engine = start(Config::from_deserializer(base).unwrap()).await;
    admitted(&engine, &token, Some(&u)).await;
    let _ = std::fs::remove_file(&file);
}

#[tokio::test(start_paused = true)]
async fn a_reload_that_revokes_a_user_closes_it_and_operator_changes_are_refused() {
    let op = Op::new();
    let acc = KeyPair::new_account();
    let acc_jwt = op.account(&acc, "a", json!({}));
    let engine = start(op_config(&op, &[(&acc, &acc_jwt)])).await;
    let (u, token) = user(&acc, json!({}), json!({}));
    let mut c = admitted(&engine, &token, Some(&u)).await;

    let other = Op::new();
    let mut changed = op_config(&op, &[(&acc, &acc_jwt)]);
    changed.operator = vec![other.jwt.clone()];
    let e = engine.reload(changed).unwrap_err().to_string();
    assert!(
        e.starts_with("config reload not supported for TrustedOperators"),
        "{e}"
    );

    let revoking = op.account(&acc, "a", json!({"revocations": {u.public_key(): IAT}}));
    engine.reload(op_config(&op, &[(&acc, &revoking)])).unwrap();
    c.expect(&err("Authorization Violation")).await;
    c.expect_closed().await;
    refused(&engine, &token, Some(&u)).await;
}
