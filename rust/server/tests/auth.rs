//! Authentication and permissions on the wire: token, user/password (plain and bcrypt),
//! nkey signatures, no_auth_user, permission violations, allow_responses, reloads that change
//! authorization, and the embedder's authenticator and event hooks.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use common::*;
use fastnats_server::auth::{
    AuthConfig, AuthOutcome, AuthRequest, Authenticator, NkeyUser, Permissions, ResponsePermission,
    SubjectPermission, User,
};
use fastnats_server::hooks::{ClientEvent, Events, Hooks};
use fastnats_server::{monitor, Config, Engine};

const VIOLATION: &str = "Authorization Violation";

fn with_auth(auth: AuthConfig) -> Config {
    Config { auth, ..config() }
}

fn user(name: &str, password: &str, permissions: Option<Permissions>) -> User {
    User {
        user: name.into(),
        password: password.into(),
        permissions,
        allowed_connection_types: Vec::new(),
    }
}

fn allow(subjects: &[&str]) -> Option<SubjectPermission> {
    Some(SubjectPermission {
        allow: subjects.iter().map(|s| s.to_string()).collect(),
        deny: Vec::new(),
    })
}

fn deny(subjects: &[&str]) -> Option<SubjectPermission> {
    Some(SubjectPermission {
        allow: Vec::new(),
        deny: subjects.iter().map(|s| s.to_string()).collect(),
    })
}

/// A client that sends `CONNECT json` + PING and must be refused.
async fn refused(engine: &Engine, json: &str) {
    let mut c = Client::new(engine).await;
    c.send(format!("CONNECT {json}\r\nPING\r\n").as_bytes())
        .await;
    c.expect(&err(VIOLATION)).await;
    c.expect_closed().await;
    assert_eq!(
        closed_conn(engine, c.cid()).await.reason,
        Some("Authentication Failure")
    );
}

/// A client that connects with `json` (verbose off is added).
async fn admitted(engine: &Engine, creds: &str) -> Client {
    let mut c = Client::new(engine).await;
    let sep = if creds.is_empty() { "" } else { "," };
    c.connect(&format!(
        r#"{{"verbose":false,"pedantic":false{sep}{creds}}}"#
    ))
    .await;
    c
}

fn user_of(engine: &Engine, cid: u64) -> Option<String> {
    monitor::connections(engine.shared())
        .into_iter()
        .find(|c| c.cid == cid)
        .and_then(|c| c.user)
}

#[tokio::test(start_paused = true)]
async fn token() {
    let engine = start(with_auth(AuthConfig {
        token: Some("s3cr3t".into()),
        ..AuthConfig::default()
    }))
    .await;
    let c = admitted(&engine, r#""auth_token":"s3cr3t""#).await;
    assert_eq!(c.info["auth_required"], true);
    assert!(c.info.get("nonce").is_none());
    assert_eq!(user_of(&engine, c.cid()).as_deref(), Some("[REDACTED]"));
    refused(&engine, r#"{"verbose":false,"auth_token":"wrong"}"#).await;
    refused(&engine, r#"{"verbose":false}"#).await;
    refused(
        &engine,
        r#"{"verbose":false,"user":"s3cr3t","pass":"s3cr3t"}"#,
    )
    .await;
    engine.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn any_op_before_connect_is_refused_when_auth_is_required() {
    let engine = start(with_auth(AuthConfig {
        token: Some("s3cr3t".into()),
        ..AuthConfig::default()
    }))
    .await;
    for first in [
        &b"PING\r\n"[..],
        b"SUB foo 1\r\n",
        b"PUB foo 1\r\nx\r\n",
        b"UNSUB 1\r\n",
    ] {
        let mut c = Client::new(&engine).await;
        c.send(first).await;
        c.expect(&err(VIOLATION)).await;
        c.expect_closed().await;
    }
    engine.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn single_user_and_password() {
    let engine = start(with_auth(AuthConfig {
        user: Some("alice".into()),
        password: Some("s3cr3t".into()),
        ..AuthConfig::default()
    }))
    .await;
    let c = admitted(&engine, r#""user":"alice","pass":"s3cr3t""#).await;
    assert_eq!(user_of(&engine, c.cid()).as_deref(), Some("alice"));
    refused(
        &engine,
        r#"{"verbose":false,"user":"alice","pass":"S3cr3t"}"#,
    )
    .await;
    refused(&engine, r#"{"verbose":false,"user":"bob","pass":"s3cr3t"}"#).await;
    refused(&engine, r#"{"verbose":false,"user":"alice"}"#).await;
    engine.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn users_with_plain_and_bcrypt_passwords() {
    let hash = bcrypt::hash("s3cr3t", 4).unwrap();
    assert!(hash.starts_with("$2"));
    let engine = start(with_auth(AuthConfig {
        users: vec![user("alice", &hash, None), user("bob", "plain", None)],
        ..AuthConfig::default()
    }))
    .await;
    admitted(&engine, r#""user":"alice","pass":"s3cr3t""#).await;
    admitted(&engine, r#""user":"bob","pass":"plain""#).await;
    // The hash itself is not a password.
    refused(
        &engine,
        &format!(r#"{{"verbose":false,"user":"alice","pass":"{hash}"}}"#),
    )
    .await;
    refused(
        &engine,
        r#"{"verbose":false,"user":"alice","pass":"S3cr3t"}"#,
    )
    .await;
    refused(&engine, r#"{"verbose":false,"user":"bob","pass":"s3cr3t"}"#).await;
    engine.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn bcrypt_token() {
    let hash = bcrypt::hash("t0k3n", 4).unwrap();
    let engine = start(with_auth(AuthConfig {
        token: Some(hash),
        ..AuthConfig::default()
    }))
    .await;
    admitted(&engine, r#""auth_token":"t0k3n""#).await;
    refused(&engine, r#"{"verbose":false,"auth_token":"t0k3N"}"#).await;
    engine.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn nkey_signature_over_the_nonce() {
    let alice = nkeys::KeyPair::new_user();
    let stranger = nkeys::KeyPair::new_user();
    let engine = start(with_auth(AuthConfig {
        nkeys: vec![NkeyUser {
            nkey: alice.public_key(),
            permissions: None,
            allowed_connection_types: Vec::new(),
        }],
        ..AuthConfig::default()
    }))
    .await;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;

    let mut c = Client::new(&engine).await;
    assert_eq!(c.info["auth_required"], true);
    let nonce = c.info["nonce"].as_str().unwrap().to_string();
    assert_eq!(nonce.len(), fastnats_server::auth::NONCE_LEN);
    let sig = b64.encode(alice.sign(nonce.as_bytes()).unwrap());
    c.connect(&format!(
        r#"{{"verbose":false,"nkey":"{}","sig":"{sig}"}}"#,
        alice.public_key()
    ))
    .await;
    assert_eq!(user_of(&engine, c.cid()), Some(alice.public_key()));

    // Standard base64 (with padding) is accepted too.
    let mut c = Client::new(&engine).await;
    let nonce = c.info["nonce"].as_str().unwrap().to_string();
    let sig =
        base64::engine::general_purpose::STANDARD.encode(alice.sign(nonce.as_bytes()).unwrap());
    c.connect(&format!(
        r#"{{"verbose":false,"nkey":"{}","sig":"{sig}"}}"#,
        alice.public_key()
    ))
    .await;

    // A signature of another nonce, a stranger's key, no signature: refused.
    let mut c = Client::new(&engine).await;
    let sig = b64.encode(alice.sign(b"some other nonce").unwrap());
    c.send(
        format!(
            "CONNECT {{\"verbose\":false,\"nkey\":\"{}\",\"sig\":\"{sig}\"}}\r\nPING\r\n",
            alice.public_key()
        )
        .as_bytes(),
    )
    .await;
    c.expect(&err(VIOLATION)).await;
    c.expect_closed().await;

    let mut c = Client::new(&engine).await;
    let nonce = c.info["nonce"].as_str().unwrap().to_string();
    let sig = b64.encode(stranger.sign(nonce.as_bytes()).unwrap());
    c.send(
        format!(
            "CONNECT {{\"verbose\":false,\"nkey\":\"{}\",\"sig\":\"{sig}\"}}\r\nPING\r\n",
            stranger.public_key()
        )
        .as_bytes(),
    )
    .await;
    c.expect(&err(VIOLATION)).await;
    c.expect_closed().await;

    refused(
        &engine,
        &format!(r#"{{"verbose":false,"nkey":"{}"}}"#, alice.public_key()),
    )
    .await;
    engine.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn no_auth_user_takes_in_clients_without_credentials() {
    let engine = start(with_auth(AuthConfig {
        users: vec![
            user("alice", "s3cr3t", None),
            user(
                "guest",
                "guest",
                Some(Permissions {
                    publish: allow(&["public.>"]),
                    ..Permissions::default()
                }),
            ),
        ],
        no_auth_user: Some("guest".into()),
        ..AuthConfig::default()
    }))
    .await;
    let mut c = admitted(&engine, "").await;
    assert!(c.info.get("auth_required").is_none());
    assert_eq!(user_of(&engine, c.cid()).as_deref(), Some("guest"));
    c.send(b"SUB > 1\r\nPUB public.x 1\r\na\r\nPUB private 1\r\nb\r\nPING\r\n")
        .await;
    let mut want = msg("public.x", "1", None, b"a");
    want.extend(err(r#"Permissions Violation for Publish to "private""#));
    want.extend_from_slice(PONG);
    c.expect(&want).await;
    // Real credentials still count, and wrong ones are still refused.
    let a = admitted(&engine, r#""user":"alice","pass":"s3cr3t""#).await;
    assert_eq!(user_of(&engine, a.cid()).as_deref(), Some("alice"));
    refused(&engine, r#"{"verbose":false,"user":"alice","pass":"nope"}"#).await;
    // Without any CONNECT, the first op makes the client the no_auth_user.
    let mut t = Client::new(&engine).await;
    t.sync().await;
    assert_eq!(user_of(&engine, t.cid()).as_deref(), Some("guest"));
    engine.shutdown().await;
}

fn restricted_users() -> Config {
    with_auth(AuthConfig {
        users: vec![
            user("admin", "a", None),
            user(
                "limited",
                "l",
                Some(Permissions {
                    publish: Some(SubjectPermission {
                        allow: vec!["allowed.>".into()],
                        deny: vec!["allowed.secret".into()],
                    }),
                    subscribe: Some(SubjectPermission {
                        allow: vec!["feed.>".into(), "jobs.* workers".into()],
                        deny: vec!["feed.secret".into()],
                    }),
                    allow_responses: None,
                }),
            ),
        ],
        ..AuthConfig::default()
    })
}

#[tokio::test(start_paused = true)]
async fn publish_permissions() {
    let engine = start(restricted_users()).await;
    let mut admin = admitted(&engine, r#""user":"admin","pass":"a""#).await;
    admin.send(b"SUB > 1\r\n").await;
    admin.sync().await;
    let mut c = admitted(&engine, r#""user":"limited","pass":"l""#).await;
    c.send(b"PUB x 1\r\n1\r\nPUB allowed.ok 1\r\n2\r\nPUB allowed.secret 1\r\n3\r\nPING\r\n")
        .await;
    let mut want = err(r#"Permissions Violation for Publish to "x""#);
    want.extend(err(
        r#"Permissions Violation for Publish to "allowed.secret""#,
    ));
    want.extend_from_slice(PONG);
    c.expect(&want).await;
    admin.send(PING).await;
    admin.expect(&msg("allowed.ok", "1", None, b"2")).await;
    admin.expect(PONG).await;
    engine.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn subscribe_permissions() {
    let engine = start(restricted_users()).await;
    let mut c = admitted(&engine, r#""user":"limited","pass":"l""#).await;
    c.send(b"SUB other 1\r\nSUB jobs.a 2\r\nSUB jobs.a other 3\r\nSUB jobs.a workers 4\r\nSUB feed.x _sys_ 5\r\nSUB feed.x 6\r\nPING\r\n")
        .await;
    let mut want = err(r#"Permissions Violation for Subscription to "other""#);
    want.extend(err(r#"Permissions Violation for Subscription to "jobs.a""#));
    want.extend(err(
        r#"Permissions Violation for Subscription to "jobs.a" using queue "other""#,
    ));
    want.extend(err(
        r#"Permissions Violation for Subscription to "feed.x" using queue "_sys_""#,
    ));
    want.extend_from_slice(PONG);
    c.expect(&want).await;
    assert_eq!(client_subscriptions(&engine), 2);
    engine.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn a_wildcard_overlapping_a_subscribe_deny_is_filtered_at_delivery() {
    let engine = start(restricted_users()).await;
    let mut c = admitted(&engine, r#""user":"limited","pass":"l""#).await;
    c.send(b"SUB feed.> 1\r\nSUB feed.secret 2\r\nPING\r\n")
        .await;
    let mut want = err(r#"Permissions Violation for Subscription to "feed.secret""#);
    want.extend_from_slice(PONG);
    c.expect(&want).await;
    let mut admin = admitted(&engine, r#""user":"admin","pass":"a""#).await;
    admin
        .send(&[publish("feed.secret", b"s"), publish("feed.news", b"n")].concat())
        .await;
    admin.sync().await;
    c.send(PING).await;
    let mut want = msg("feed.news", "1", None, b"n");
    want.extend_from_slice(PONG);
    c.expect(&want).await;
    engine.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn allow_responses_permits_one_reply_per_request() {
    let engine = start(with_auth(AuthConfig {
        users: vec![
            user("client", "c", None),
            user(
                "service",
                "s",
                Some(Permissions {
                    allow_responses: Some(ResponsePermission::default()),
                    ..Permissions::default()
                }),
            ),
        ],
        ..AuthConfig::default()
    }))
    .await;
    let mut svc = admitted(&engine, r#""user":"service","pass":"s""#).await;
    svc.send(b"SUB svc 1\r\n").await;
    svc.sync().await;
    let mut client = admitted(&engine, r#""user":"client","pass":"c""#).await;
    client
        .send(b"SUB _INBOX.r 1\r\nPUB svc _INBOX.r 3\r\nreq\r\n")
        .await;
    client.sync().await;
    svc.expect(&msg("svc", "1", Some("_INBOX.r"), b"req")).await;
    svc.send(
        b"PUB _INBOX.r 3\r\nrep\r\nPUB _INBOX.r 4\r\nrep2\r\nPUB elsewhere 1\r\nx\r\nPING\r\n",
    )
    .await;
    let mut want = err(r#"Permissions Violation for Publish to "_INBOX.r""#);
    want.extend(err(r#"Permissions Violation for Publish to "elsewhere""#));
    want.extend_from_slice(PONG);
    svc.expect(&want).await;
    client.send(PING).await;
    client.expect(&msg("_INBOX.r", "1", None, b"rep")).await;
    client.expect(PONG).await;
    engine.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn reload_removing_a_user_closes_its_clients() {
    let both = with_auth(AuthConfig {
        users: vec![user("alice", "a", None), user("bob", "b", None)],
        ..AuthConfig::default()
    });
    let engine = start(both).await;
    let mut alice = admitted(&engine, r#""user":"alice","pass":"a""#).await;
    let mut bob = admitted(&engine, r#""user":"bob","pass":"b""#).await;
    engine
        .reload(with_auth(AuthConfig {
            users: vec![user("alice", "a", None)],
            ..AuthConfig::default()
        }))
        .unwrap();
    bob.expect(&err(VIOLATION)).await;
    bob.expect_closed().await;
    assert_eq!(
        closed_conn(&engine, bob.cid()).await.reason,
        Some("Authentication Failure")
    );
    alice.sync().await;
    refused(&engine, r#"{"verbose":false,"user":"bob","pass":"b"}"#).await;
    engine.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn reload_changing_a_password_closes_clients_that_used_the_old_one() {
    let engine = start(with_auth(AuthConfig {
        token: Some("old".into()),
        ..AuthConfig::default()
    }))
    .await;
    let mut c = admitted(&engine, r#""auth_token":"old""#).await;
    engine
        .reload(with_auth(AuthConfig {
            token: Some("new".into()),
            ..AuthConfig::default()
        }))
        .unwrap();
    c.expect(&err(VIOLATION)).await;
    c.expect_closed().await;
    admitted(&engine, r#""auth_token":"new""#).await;
    engine.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn reload_tightening_subscribe_permissions_removes_subscriptions() {
    let open = with_auth(AuthConfig {
        users: vec![user("alice", "a", None), user("admin", "x", None)],
        ..AuthConfig::default()
    });
    let engine = start(open).await;
    let mut alice = admitted(&engine, r#""user":"alice","pass":"a""#).await;
    alice
        .send(b"SUB foo 1\r\nSUB bar 2\r\nSUB bar q 3\r\n")
        .await;
    alice.sync().await;
    engine
        .reload(with_auth(AuthConfig {
            users: vec![
                user(
                    "alice",
                    "a",
                    Some(Permissions {
                        subscribe: allow(&["foo"]),
                        ..Permissions::default()
                    }),
                ),
                user("admin", "x", None),
            ],
            ..AuthConfig::default()
        }))
        .unwrap();
    let mut got = vec![
        String::from_utf8(alice.expect_line().await).unwrap(),
        String::from_utf8(alice.expect_line().await).unwrap(),
    ];
    got.sort();
    assert_eq!(
        got,
        [
            "-ERR 'Permissions Violation for Subscription to \"bar\" (sid \"2\")'\r\n",
            "-ERR 'Permissions Violation for Subscription to \"bar\" using queue \"q\" (sid \"3\")'\r\n",
        ]
    );
    let mut admin = admitted(&engine, r#""user":"admin","pass":"x""#).await;
    admin
        .send(&[publish("bar", b"b"), publish("foo", b"f")].concat())
        .await;
    admin.sync().await;
    alice.send(PING).await;
    alice.expect(&msg("foo", "1", None, b"f")).await;
    alice.expect(PONG).await;
    engine.shutdown().await;
}

/// An authenticator that admits whoever says `"user":"ok"`, after waiting for `gate` when
/// there is one (a hook slower than the auth timeout).
struct Hook {
    gate: Option<Mutex<std::sync::mpsc::Receiver<()>>>,
}

impl Authenticator for Hook {
    fn authenticate(&self, req: &AuthRequest<'_>) -> AuthOutcome {
        if let Some(gate) = &self.gate {
            // Bounded, so a broken test cannot leave the thread behind for long.
            let _ = gate.lock().unwrap().recv_timeout(Duration::from_secs(30));
        }
        if req.connect.user.as_deref() == Some("ok") {
            AuthOutcome::Allowed(fastnats_server::auth::Identity {
                user: Some("ok".into()),
                permissions: None,
                method: fastnats_server::auth::AuthMethod::Custom,
                account: None,
            })
        } else {
            AuthOutcome::Denied
        }
    }
}

#[tokio::test(start_paused = true)]
async fn custom_authenticator_decides() {
    let hooks = Hooks {
        jetstream: None,
        authenticator: Some(Arc::new(Hook { gate: None })),
        events: None,
    };
    let engine = Engine::start(config(), hooks).await.unwrap();
    let c = admitted(&engine, r#""user":"ok""#).await;
    assert_eq!(c.info["auth_required"], true);
    assert!(c.info["nonce"].is_string());
    refused(&engine, r#"{"verbose":false,"user":"nope"}"#).await;
    engine.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn an_authenticator_slower_than_the_auth_timeout_is_a_violation() {
    let (release, gate) = std::sync::mpsc::channel();
    let hooks = Hooks {
        jetstream: None,
        authenticator: Some(Arc::new(Hook {
            gate: Some(Mutex::new(gate)),
        })),
        events: None,
    };
    let cfg = with_auth(AuthConfig {
        timeout: Duration::from_millis(500),
        ..AuthConfig::default()
    });
    let engine = Engine::start(cfg, hooks).await.unwrap();
    let mut c = Client::new(&engine).await;
    c.send(b"CONNECT {\"verbose\":false,\"user\":\"ok\"}\r\nPING\r\n")
        .await;
    // While the hook runs on its blocking thread tokio does not move the paused clock by
    // itself; the test moves it. Before the timeout: no answer yet.
    settle().await;
    tokio::time::advance(Duration::from_millis(400)).await;
    settle().await;
    c.expect_nothing_yet();
    tokio::time::advance(Duration::from_millis(101)).await;
    // The timeout, not the hook (still blocked), decided.
    c.expect(&err(VIOLATION)).await;
    c.expect_closed().await;
    release.send(()).unwrap();
    engine.shutdown().await;
}

/// Lets the engine's tasks run without moving the clock.
async fn settle() {
    for _ in 0..50 {
        tokio::task::yield_now().await;
    }
}

#[derive(Default)]
struct Recorder(Mutex<Vec<String>>);

impl Events for Recorder {
    fn on_connect(&self, e: &ClientEvent) {
        self.0
            .lock()
            .unwrap()
            .push(format!("connect {} {} {:?}", e.cid, e.name, e.user));
    }
    fn on_disconnect(&self, e: &ClientEvent, reason: &str) {
        self.0
            .lock()
            .unwrap()
            .push(format!("disconnect {} {reason}", e.cid));
    }
}

#[tokio::test(start_paused = true)]
async fn lifecycle_events_report_connect_and_disconnect_reasons() {
    let rec = Arc::new(Recorder::default());
    let hooks = Hooks {
        jetstream: None,
        authenticator: None,
        events: Some(rec.clone()),
    };
    let engine = Engine::start(
        with_auth(AuthConfig {
            users: vec![user("alice", "a", None)],
            ..AuthConfig::default()
        }),
        hooks,
    )
    .await
    .unwrap();
    let mut a = Client::new(&engine).await;
    a.connect(r#"{"verbose":false,"name":"app","user":"alice","pass":"a"}"#)
        .await;
    refused(&engine, r#"{"verbose":false,"user":"alice","pass":"x"}"#).await;
    a.send(b"FOO\r\n").await;
    a.expect(&err("Unknown Protocol Operation")).await;
    a.expect_closed().await;
    let rec2 = rec.clone();
    eventually("both events", move || rec2.0.lock().unwrap().len() == 2).await;
    let cid = a.cid();
    assert_eq!(
        *rec.0.lock().unwrap(),
        [
            format!("connect {cid} app Some(\"alice\")"),
            format!("disconnect {cid} Protocol Violation")
        ]
    );
    engine.shutdown().await;
}
#[tokio::test(start_paused = true)]
async fn reload_turning_auth_on_closes_clients_without_credentials() {
    let engine = start_default().await;
    let mut c = Client::connected(&engine).await;
    engine
        .reload(with_auth(AuthConfig {
            token: Some("s3cr3t".into()),
            ..AuthConfig::default()
        }))
        .unwrap();
    c.expect(&err(VIOLATION)).await;
    c.expect_closed().await;
    engine.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn default_permissions_apply_to_users_without_their_own() {
    let engine = start(with_auth(AuthConfig {
        users: vec![
            user("plain", "p", None),
            user(
                "own",
                "o",
                Some(Permissions {
                    publish: allow(&["own.>"]),
                    ..Permissions::default()
                }),
            ),
        ],
        default_permissions: Some(Permissions {
            publish: deny(&["secret.>"]),
            ..Permissions::default()
        }),
        ..AuthConfig::default()
    }))
    .await;
    let mut plain = admitted(&engine, r#""user":"plain","pass":"p""#).await;
    plain
        .send(b"PUB secret.x 0\r\n\r\nPUB own.x 0\r\n\r\nPUB other 0\r\n\r\nPING\r\n")
        .await;
    let mut want = err(r#"Permissions Violation for Publish to "secret.x""#);
    want.extend_from_slice(PONG);
    plain.expect(&want).await;
    let mut own = admitted(&engine, r#""user":"own","pass":"o""#).await;
    own.send(b"PUB secret.x 0\r\n\r\nPUB own.x 0\r\n\r\nPUB other 0\r\n\r\nPING\r\n")
        .await;
    let mut want = err(r#"Permissions Violation for Publish to "secret.x""#);
    want.extend(err(r#"Permissions Violation for Publish to "other""#));
    want.extend_from_slice(PONG);
    own.expect(&want).await;
    engine.shutdown().await;
}
