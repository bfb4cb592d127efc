//! CONNECT decisions end to end: every method, wrong credentials, precedence, `no_auth_user`,
//! a custom authenticator, and the free [`authenticate`] agreeing with [`Authorizer`].

use std::net::SocketAddr;
use std::sync::Arc;

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use fastnats_proto::ConnectInfo;
use nkeys::{KeyPair, KeyPairType};

use super::*;

/// From the Python `nkeys` package: seed bytes 1..=32, nonce `ABCDEFGHIJKLMNO`.
const PY_NKEY: &str = "UB43KVROR7TFJ6KAPCYRF2FJROTZAH4FHLTJLPWX4DRZCC5NASLGJBFE";
const PY_NONCE: &str = "ABCDEFGHIJKLMNO";
const PY_SIG: &str =
    "BnqaJHA4sUy7RnVdnJpPiWHU2_9Nt2SaqBppfc1u1DoXlgs23eFL2bdaIUhN55rsWsnECuQUTKBtRc14lJEWCg";

fn connect() -> ConnectInfo {
    ConnectInfo::default()
}

fn with_user(user: &str, pass: &str) -> ConnectInfo {
    ConnectInfo {
        user: Some(user.into()),
        pass: Some(pass.into()),
        ..connect()
    }
}

fn with_token(token: &str) -> ConnectInfo {
    ConnectInfo {
        auth_token: Some(token.into()),
        ..connect()
    }
}

fn with_nkey(nkey: &str, sig: &str) -> ConnectInfo {
    ConnectInfo {
        nkey: Some(nkey.into()),
        sig: Some(sig.into()),
        ..connect()
    }
}

fn user(name: &str, pass: &str, permissions: Option<Permissions>) -> User {
    User {
        user: name.into(),
        password: pass.into(),
        permissions,
        allowed_connection_types: Vec::new(),
    }
}

fn nkey_user(nkey: &str, permissions: Option<Permissions>) -> NkeyUser {
    NkeyUser {
        nkey: nkey.into(),
        permissions,
        allowed_connection_types: Vec::new(),
    }
}

fn pub_allow(subjects: &[&str]) -> Permissions {
    Permissions {
        publish: Some(SubjectPermission {
            allow: subjects.iter().map(|s| s.to_string()).collect(),
            deny: vec![],
        }),
        ..Default::default()
    }
}

/// [`decide_as`] for a TCP client.
fn decide(cfg: &AuthConfig, c: &ConnectInfo, nonce: Option<&str>) -> AuthOutcome {
    decide_as(cfg, c, nonce, ConnectionType::Standard)
}

/// Decides a `conn_type` connection with both the free function and a compiled
/// [`Authorizer`] (directly and through [`Authorizer::authenticate_with`]), checks they
/// agree, and returns the authorizer's outcome.
fn decide_as(
    cfg: &AuthConfig,
    c: &ConnectInfo,
    nonce: Option<&str>,
    conn_type: ConnectionType,
) -> AuthOutcome {
    let a = Authorizer::new(cfg).expect("valid config");
    let compiled = a.authenticate(c, nonce, conn_type);
    let addr: SocketAddr = "127.0.0.1:4222".parse().unwrap();
    let req = AuthRequest::new(c, nonce, addr, None, conn_type);
    assert_eq!(
        a.authenticate_with(None, &req).is_allowed(),
        compiled.is_allowed()
    );
    let free = authenticate(cfg, c, nonce, conn_type);
    match (&compiled, &free) {
        (AuthOutcome::Allowed(x), AuthOutcome::Allowed(y)) => {
            assert_eq!(x.user, y.user);
            assert_eq!(x.method, y.method);
            assert_eq!(
                x.permissions.as_ref().map(|p| p.source().clone()),
                y.permissions.as_ref().map(|p| p.source().clone())
            );
        }
        (AuthOutcome::Denied, AuthOutcome::Denied) => {}
        _ => panic!("authorizer {compiled:?} vs free function {free:?}"),
    }
    compiled
}

fn allowed(o: AuthOutcome) -> Identity {
    match o {
        AuthOutcome::Allowed(id) => id,
        AuthOutcome::Denied => panic!("denied"),
    }
}

fn denied(o: &AuthOutcome) -> bool {
    !o.is_allowed()
}

#[test]
fn no_auth_configured_allows_anyone_and_ignores_credentials() {
    let cfg = AuthConfig::default();
    let id = allowed(decide(&cfg, &connect(), None));
    assert_eq!(id.method, AuthMethod::None);
    assert!(id.user.is_none() && id.permissions.is_none());
    let id = allowed(decide(&cfg, &with_user("who", "ever"), None));
    assert_eq!(id.method, AuthMethod::None);
}

#[test]
fn token_plain() {
    let cfg = AuthConfig {
        token: Some("s3cr3t".into()),
        ..Default::default()
    };
    let id = allowed(decide(&cfg, &with_token("s3cr3t"), None));
    assert_eq!(id.method, AuthMethod::Token);
    assert!(id.user.is_none() && id.permissions.is_none());
    assert!(denied(&decide(&cfg, &with_token("s3cr3T"), None)));
    assert!(denied(&decide(&cfg, &with_token(""), None)));
    assert!(denied(&decide(&cfg, &connect(), None)));
    // A user/password is not a token.
    assert!(denied(&decide(&cfg, &with_user("s3cr3t", "s3cr3t"), None)));
}

#[test]
fn token_bcrypt() {
    let hash = bcrypt::hash("tok", 4).unwrap();
    let cfg = AuthConfig {
        token: Some(hash.clone()),
        ..Default::default()
    };
    assert_eq!(
        allowed(decide(&cfg, &with_token("tok"), None)).method,
        AuthMethod::Token
    );
    assert!(denied(&decide(&cfg, &with_token("tok2"), None)));
    assert!(denied(&decide(&cfg, &with_token(&hash), None)));
}

#[test]
fn single_user() {
    let cfg = AuthConfig {
        user: Some("derek".into()),
        password: Some("foo".into()),
        ..Default::default()
    };
    let id = allowed(decide(&cfg, &with_user("derek", "foo"), None));
    assert_eq!(id.method, AuthMethod::SingleUser);
    assert_eq!(id.user.as_deref(), Some("derek"));
    assert!(denied(&decide(&cfg, &with_user("derek", "bar"), None)));
    assert!(denied(&decide(&cfg, &with_user("alice", "foo"), None)));
    assert!(denied(&decide(&cfg, &with_user("derek", ""), None)));
    assert!(denied(&decide(&cfg, &connect(), None)));
}

#[test]
fn single_user_bcrypt_and_known_vector() {
    // crypt(3) vector (libxcrypt): "U*U".
    let cfg = AuthConfig {
        user: Some("u".into()),
        password: Some("$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW".into()),
        ..Default::default()
    };
    assert!(decide(&cfg, &with_user("u", "U*U"), None).is_allowed());
    assert!(denied(&decide(&cfg, &with_user("u", "U*U*"), None)));
}

#[test]
fn single_user_without_password() {
    let cfg = AuthConfig {
        user: Some("u".into()),
        ..Default::default()
    };
    assert!(decide(
        &cfg,
        &ConnectInfo {
            user: Some("u".into()),
            ..connect()
        },
        None
    )
    .is_allowed());
    assert!(denied(&decide(&cfg, &with_user("u", "x"), None)));
}

#[test]
fn users_plain_and_bcrypt() {
    let cfg = AuthConfig {
        users: vec![
            user("alice", "wonderland", Some(pub_allow(&["alice.>"]))),
            user("bob", &bcrypt::hash("builder", 4).unwrap(), None),
        ],
        ..Default::default()
    };
    let id = allowed(decide(&cfg, &with_user("alice", "wonderland"), None));
    assert_eq!(id.method, AuthMethod::User);
    assert_eq!(id.user.as_deref(), Some("alice"));
    let perms = id.permissions.expect("alice has permissions");
    assert!(perms.can_publish(b"alice.x") && !perms.can_publish(b"bob.x"));

    let id = allowed(decide(&cfg, &with_user("bob", "builder"), None));
    assert_eq!(id.user.as_deref(), Some("bob"));
    assert!(id.permissions.is_none());

    assert!(denied(&decide(&cfg, &with_user("alice", "builder"), None)));
    assert!(denied(&decide(&cfg, &with_user("bob", "wonderland"), None)));
    assert!(denied(&decide(&cfg, &with_user("carol", "x"), None)));
    assert!(denied(&decide(&cfg, &connect(), None)));
    // Users configured: a token alone is not a credential.
    assert!(denied(&decide(&cfg, &with_token("wonderland"), None)));
}

#[test]
fn default_permissions_apply_to_users_without_their_own() {
    let cfg = AuthConfig {
        users: vec![
            user("own", "p", Some(pub_allow(&["own"]))),
            user("dflt", "p", None),
        ],
        nkeys: vec![nkey_user(PY_NKEY, None)],
        default_permissions: Some(pub_allow(&["default"])),
        ..Default::default()
    };
    let own = allowed(decide(&cfg, &with_user("own", "p"), None))
        .permissions
        .unwrap();
    assert!(own.can_publish(b"own") && !own.can_publish(b"default"));
    let dflt = allowed(decide(&cfg, &with_user("dflt", "p"), None))
        .permissions
        .unwrap();
    assert!(dflt.can_publish(b"default") && !dflt.can_publish(b"own"));
    let nk = allowed(decide(&cfg, &with_nkey(PY_NKEY, PY_SIG), Some(PY_NONCE)))
        .permissions
        .unwrap();
    assert!(nk.can_publish(b"default"));
    // The authorizer compiles the defaults once and shares them.
    let a = Authorizer::new(&cfg).unwrap();
    let p1 = allowed(a.authenticate(&with_user("dflt", "p"), None, ConnectionType::Standard))
        .permissions
        .unwrap();
    let p2 = allowed(a.authenticate(
        &with_nkey(PY_NKEY, PY_SIG),
        Some(PY_NONCE),
        ConnectionType::Standard,
    ))
    .permissions
    .unwrap();
    assert!(Arc::ptr_eq(&p1, &p2));
}

#[test]
fn default_permissions_do_not_apply_to_token_or_single_user() {
    let cfg = AuthConfig {
        token: Some("t".into()),
        default_permissions: Some(pub_allow(&["x"])),
        ..Default::default()
    };
    assert!(allowed(decide(&cfg, &with_token("t"), None))
        .permissions
        .is_none());
}

#[test]
fn nkey_known_vector_from_python_nkeys() {
    let cfg = AuthConfig {
        nkeys: vec![nkey_user(PY_NKEY, None)],
        ..Default::default()
    };
    let id = allowed(decide(&cfg, &with_nkey(PY_NKEY, PY_SIG), Some(PY_NONCE)));
    assert_eq!(id.method, AuthMethod::Nkey);
    assert_eq!(id.user.as_deref(), Some(PY_NKEY));
    // Standard base64 with padding is accepted too.
    let raw = URL_SAFE_NO_PAD.decode(PY_SIG).unwrap();
    let std_sig = STANDARD.encode(&raw);
    assert!(decide(&cfg, &with_nkey(PY_NKEY, &std_sig), Some(PY_NONCE)).is_allowed());
    // Another nonce, no nonce, no signature, a bad signature.
    assert!(denied(&decide(
        &cfg,
        &with_nkey(PY_NKEY, PY_SIG),
        Some("ABCDEFGHIJKLMNP")
    )));
    assert!(denied(&decide(&cfg, &with_nkey(PY_NKEY, PY_SIG), None)));
    let no_sig = ConnectInfo {
        nkey: Some(PY_NKEY.into()),
        ..connect()
    };
    assert!(denied(&decide(&cfg, &no_sig, Some(PY_NONCE))));
    assert!(denied(&decide(
        &cfg,
        &with_nkey(PY_NKEY, "AAAA"),
        Some(PY_NONCE)
    )));
    // Credentials of another kind do not help.
    assert!(denied(&decide(&cfg, &with_user("u", "p"), Some(PY_NONCE))));
}

#[test]
fn nkey_fresh_keypair() {
    let sk = KeyPair::new_from_raw(KeyPairType::User, [9u8; 32]).unwrap();
    let nkey = sk.public_key();
    let perms = pub_allow(&["nk.>"]);
    let cfg = AuthConfig {
        nkeys: vec![
            nkey_user(&nkey, Some(perms.clone())),
            nkey_user(PY_NKEY, None),
        ],
        ..Default::default()
    };
    assert!(cfg.needs_nonce());
    let nonce = new_nonce();
    let sig = URL_SAFE_NO_PAD.encode(sk.sign(nonce.as_bytes()).unwrap());
    let id = allowed(decide(&cfg, &with_nkey(&nkey, &sig), Some(&nonce)));
    assert_eq!(id.user.as_deref(), Some(nkey.as_str()));
    assert_eq!(id.permissions.unwrap().source(), &perms);
    // Signed by the right key but presented as another configured user.
    assert!(denied(&decide(
        &cfg,
        &with_nkey(PY_NKEY, &sig),
        Some(&nonce)
    )));
    // A valid key and signature, but the key is not configured.
    let stranger = KeyPair::new_from_raw(KeyPairType::User, [10u8; 32]).unwrap();
    let stranger_nkey = stranger.public_key();
    let stranger_sig = URL_SAFE_NO_PAD.encode(stranger.sign(nonce.as_bytes()).unwrap());
    assert!(denied(&decide(
        &cfg,
        &with_nkey(&stranger_nkey, &stranger_sig),
        Some(&nonce)
    )));
}

#[test]
fn precedence_nkey_over_users() {
    let cfg = AuthConfig {
        users: vec![user("alice", "pw", None)],
        nkeys: vec![nkey_user(PY_NKEY, None)],
        ..Default::default()
    };
    // Both sent: the nkey decides, right or wrong.
    let both = ConnectInfo {
        user: Some("alice".into()),
        pass: Some("pw".into()),
        ..with_nkey(PY_NKEY, PY_SIG)
    };
    assert_eq!(
        allowed(decide(&cfg, &both, Some(PY_NONCE))).method,
        AuthMethod::Nkey
    );
    let bad_nkey = ConnectInfo {
        sig: Some("AAAA".into()),
        ..both.clone()
    };
    assert!(denied(&decide(&cfg, &bad_nkey, Some(PY_NONCE))));
    // An unknown nkey is not rescued by a good password (checked on nats-server 2.15.1).
    let unknown = ConnectInfo {
        nkey: Some("UXXX".into()),
        ..with_user("alice", "pw")
    };
    assert!(denied(&decide(&cfg, &unknown, Some(PY_NONCE))));
    // No nkey sent: the users list decides.
    assert_eq!(
        allowed(decide(&cfg, &with_user("alice", "pw"), Some(PY_NONCE))).method,
        AuthMethod::User
    );
}

#[test]
fn nkey_ignored_when_no_nkeys_configured() {
    let cfg = AuthConfig {
        users: vec![user("alice", "pw", None)],
        ..Default::default()
    };
    let c = ConnectInfo {
        nkey: Some(PY_NKEY.into()),
        sig: Some("garbage".into()),
        ..with_user("alice", "pw")
    };
    assert_eq!(allowed(decide(&cfg, &c, None)).method, AuthMethod::User);
}

#[test]
fn nkeys_only_without_nkey_is_denied() {
    let cfg = AuthConfig {
        nkeys: vec![nkey_user(PY_NKEY, None)],
        ..Default::default()
    };
    assert!(denied(&decide(&cfg, &connect(), Some(PY_NONCE))));
    assert!(denied(&decide(&cfg, &with_user("a", "b"), Some(PY_NONCE))));
}

#[test]
fn no_auth_user() {
    let cfg = AuthConfig {
        users: vec![
            user("anon", "anonpw", Some(pub_allow(&["public.>"]))),
            user("bob", "bobpw", None),
        ],
        no_auth_user: Some("anon".into()),
        ..Default::default()
    };
    assert!(!cfg.advertise_auth_required() && cfg.required());
    let id = allowed(decide(&cfg, &connect(), None));
    assert_eq!(id.method, AuthMethod::NoAuthUser);
    assert_eq!(id.user.as_deref(), Some("anon"));
    assert!(id.permissions.unwrap().can_publish(b"public.x"));
    // Real credentials still work, and wrong ones are still refused.
    let id = allowed(decide(&cfg, &with_user("bob", "bobpw"), None));
    assert_eq!(id.user.as_deref(), Some("bob"));
    assert!(denied(&decide(&cfg, &with_user("bob", "nope"), None)));
    // Any credential field disables the stand-in: a password alone, or a token.
    let pass_only = ConnectInfo {
        pass: Some("anonpw".into()),
        ..connect()
    };
    assert!(denied(&decide(&cfg, &pass_only, None)));
    assert!(denied(&decide(&cfg, &with_token("x"), None)));
    // The stand-in is also what a non-CONNECT first op gets.
    let a = Authorizer::new(&cfg).unwrap();
    let id = a.no_auth_identity(ConnectionType::Standard).unwrap();
    assert_eq!(
        (id.user.as_deref(), id.method),
        (Some("anon"), AuthMethod::NoAuthUser)
    );
    assert!(Authorizer::new(&AuthConfig::default())
        .unwrap()
        .no_auth_identity(ConnectionType::Standard)
        .is_none());
}

/// nats-server 2.15.1 refuses a credential-less client when the `no_auth_user`'s password
/// is a bcrypt hash (it bcrypt-compares the hash with itself); an explicit login works.
#[test]
fn no_auth_user_with_bcrypt_password_is_refused_like_nats_server() {
    let cfg = AuthConfig {
        users: vec![user("anon", &bcrypt::hash("pw", 4).unwrap(), None)],
        no_auth_user: Some("anon".into()),
        ..Default::default()
    };
    assert!(denied(&decide(&cfg, &connect(), None)));
    assert!(decide(&cfg, &with_user("anon", "pw"), None).is_allowed());
    // The non-CONNECT-first path registers the user without a password check.
    assert!(Authorizer::new(&cfg)
        .unwrap()
        .no_auth_identity(ConnectionType::Standard)
        .is_some());
}

#[test]
fn empty_strings_are_absent() {
    let cfg = AuthConfig {
        token: Some("t".into()),
        user: Some(String::new()),
        password: Some(String::new()),
        no_auth_user: Some(String::new()),
        ..Default::default()
    };
    assert!(cfg.validate().is_ok());
    assert!(decide(&cfg, &with_token("t"), None).is_allowed());
    let empty_user = ConnectInfo {
        user: Some(String::new()),
        pass: Some(String::new()),
        ..with_token("t")
    };
    assert!(decide(&cfg, &empty_user, None).is_allowed());
}

#[test]
fn invalid_config_is_refused_by_authorizer() {
    let cfg = AuthConfig {
        token: Some("t".into()),
        users: vec![user("a", "b", None)],
        ..Default::default()
    };
    assert_eq!(
        Authorizer::new(&cfg).unwrap_err().to_string(),
        "Can not have a token and a users array"
    );
}

#[test]
fn free_function_fails_closed_on_bad_permissions() {
    let cfg = AuthConfig {
        users: vec![user("a", "b", Some(pub_allow(&["bad..subject"])))],
        ..Default::default()
    };
    assert!(denied(&authenticate(
        &cfg,
        &with_user("a", "b"),
        None,
        ConnectionType::Standard
    )));
}

struct Hook;

impl Authenticator for Hook {
    fn authenticate(&self, req: &AuthRequest<'_>) -> AuthOutcome {
        if req.nkey_verified || req.connect.user.as_deref() == Some("hooked") {
            AuthOutcome::Allowed(Identity {
                user: Some("from-hook".into()),
                permissions: None,
                method: AuthMethod::Custom,
                account: None,
            })
        } else {
            AuthOutcome::Denied
        }
    }
}

#[test]
fn custom_authenticator_replaces_built_ins() {
    let cfg = AuthConfig {
        users: vec![user("alice", "pw", None)],
        ..Default::default()
    };
    let a = Authorizer::new(&cfg).unwrap();
    let addr: SocketAddr = "127.0.0.1:4222".parse().unwrap();
    let hook = Hook;

    let c = with_user("hooked", "");
    let req = AuthRequest::new(&c, None, addr, None, ConnectionType::Standard);
    assert!(!req.nkey_verified);
    let id = allowed(a.authenticate_with(Some(&hook), &req));
    assert_eq!(
        (id.user.as_deref(), id.method),
        (Some("from-hook"), AuthMethod::Custom)
    );

    // The hook's "no" is final even for valid built-in credentials...
    let c = with_user("alice", "pw");
    let req = AuthRequest::new(&c, None, addr, None, ConnectionType::Standard);
    assert!(denied(&a.authenticate_with(Some(&hook), &req)));
    // ... which work without a hook.
    assert!(a.authenticate_with(None, &req).is_allowed());

    // nkey_verified is computed from the nonce, whatever the config.
    let c = with_nkey(PY_NKEY, PY_SIG);
    let req = AuthRequest::new(
        &c,
        Some(PY_NONCE),
        addr,
        Some("CN=client"),
        ConnectionType::Standard,
    );
    assert!(req.nkey_verified);
    assert_eq!(req.tls_subject, Some("CN=client"));
    assert!(a.authenticate_with(Some(&hook), &req).is_allowed());
    let req = AuthRequest::new(
        &c,
        Some("another-nonce15"),
        addr,
        None,
        ConnectionType::Standard,
    );
    assert!(!req.nkey_verified);
    assert!(denied(&a.authenticate_with(Some(&hook), &req)));
}

#[test]
fn identity_permissions_drive_checks() {
    let perms = Permissions {
        publish: Some(SubjectPermission {
            allow: vec![">".into()],
            deny: vec!["admin.>".into()],
        }),
        subscribe: Some(SubjectPermission {
            allow: vec![],
            deny: vec!["secret.*".into()],
        }),
        allow_responses: Some(ResponsePermission::default()),
    };
    let cfg = AuthConfig {
        users: vec![user("u", "p", Some(perms))],
        ..Default::default()
    };
    let p = allowed(decide(&cfg, &with_user("u", "p"), None))
        .permissions
        .unwrap();
    let mut cache = PubCache::new();
    assert!(p.can_publish_cached(&mut cache, b"foo"));
    assert!(!p.can_publish_cached(&mut cache, b"admin.x"));
    assert!(p.can_subscribe(b">", None) && !p.can_subscribe(b"secret.x", None));
    assert!(p.needs_delivery_filter(b">") && p.deny_delivery(b"secret.x"));
    let mut t = p.response_tracker().unwrap();
    let now = std::time::Instant::now();
    t.record(b"admin.reply", now);
    assert!(t.allow(b"admin.reply", now));
    assert!(!t.allow(b"admin.reply", now));
}

#[test]
fn shared_types_cross_threads() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<CompiledPermissions>();
    send_sync::<Authorizer>();
    send_sync::<Identity>();
    send_sync::<ResponseTracker>();
    send_sync::<PubCache>();
}

fn types(names: &[&str]) -> Vec<String> {
    names.iter().map(|s| s.to_string()).collect()
}

fn typed_user(name: &str, pass: &str, names: &[&str]) -> User {
    User {
        allowed_connection_types: types(names),
        ..user(name, pass, None)
    }
}

#[test]
fn connection_type_names() {
    for t in ConnectionType::ALL {
        assert_eq!(ConnectionType::parse(t.as_str()), Some(t));
        assert_eq!(
            ConnectionType::parse(&t.as_str().to_lowercase()),
            Some(t),
            "nats-server upper-cases the names"
        );
        assert_eq!(t.to_string(), t.as_str());
    }
    assert_eq!(
        ConnectionType::parse("leafnode_ws"),
        Some(ConnectionType::LeafnodeWs)
    );
    assert_eq!(ConnectionType::parse("WS"), None);
    assert_eq!(ConnectionType::parse(""), None);
    assert_eq!(ConnectionType::client(true), ConnectionType::Websocket);
    assert_eq!(ConnectionType::client(false), ConnectionType::Standard);
}

#[test]
fn users_connection_types_are_checked() {
    use ConnectionType::{Leafnode, Mqtt, Standard, Websocket};
    let cfg = AuthConfig {
        users: vec![
            typed_user("ws", "p", &["WEBSOCKET"]),
            typed_user("tcp", "p", &["standard"]),
            typed_user("both", "p", &["STANDARD", "Websocket"]),
            typed_user("any", "p", &[]),
            typed_user("leaf", "p", &["LEAFNODE"]),
            typed_user(
                "mqtt",
                "p",
                &["MQTT", "MQTT_WS", "IN_PROCESS", "LEAFNODE_WS"],
            ),
        ],
        ..Default::default()
    };
    assert!(cfg.validate().is_ok());
    let ok = |name: &str, t: ConnectionType| {
        decide_as(&cfg, &with_user(name, "p"), None, t).is_allowed()
    };
    assert!(ok("ws", Websocket) && !ok("ws", Standard) && !ok("ws", Leafnode));
    assert!(ok("tcp", Standard) && !ok("tcp", Websocket) && !ok("tcp", Leafnode));
    assert!(ok("both", Standard) && ok("both", Websocket) && !ok("both", Leafnode));
    assert!(ok("any", Standard) && ok("any", Websocket) && ok("any", Leafnode));
    assert!(ok("leaf", Leafnode) && !ok("leaf", Standard) && !ok("leaf", Websocket));
    assert!(ok("mqtt", Mqtt) && !ok("mqtt", Standard) && !ok("mqtt", Websocket));
    // The type does not stand in for the password.
    assert!(denied(&decide_as(
        &cfg,
        &with_user("ws", "wrong"),
        None,
        Websocket
    )));
}

#[test]
fn nkey_connection_types_are_checked() {
    let cfg = AuthConfig {
        nkeys: vec![NkeyUser {
            allowed_connection_types: types(&["WEBSOCKET"]),
            ..nkey_user(PY_NKEY, None)
        }],
        ..Default::default()
    };
    let c = with_nkey(PY_NKEY, PY_SIG);
    let ws = decide_as(&cfg, &c, Some(PY_NONCE), ConnectionType::Websocket);
    assert_eq!(allowed(ws).user.as_deref(), Some(PY_NKEY));
    assert!(denied(&decide_as(
        &cfg,
        &c,
        Some(PY_NONCE),
        ConnectionType::Standard
    )));
}

#[test]
fn no_auth_user_connection_types_are_checked() {
    let cfg = AuthConfig {
        users: vec![
            typed_user("anon", "x", &["STANDARD"]),
            typed_user("bob", "pw", &[]),
        ],
        no_auth_user: Some("anon".into()),
        ..Default::default()
    };
    let id = allowed(decide_as(&cfg, &connect(), None, ConnectionType::Standard));
    assert_eq!(
        (id.user.as_deref(), id.method),
        (Some("anon"), AuthMethod::NoAuthUser)
    );
    // nats-server: the stand-in is taken, then its type refuses the client (no fallback).
    assert!(denied(&decide_as(
        &cfg,
        &connect(),
        None,
        ConnectionType::Websocket
    )));
    assert!(decide_as(
        &cfg,
        &with_user("bob", "pw"),
        None,
        ConnectionType::Websocket
    )
    .is_allowed());
    let a = Authorizer::new(&cfg).unwrap();
    assert!(a.no_auth_identity(ConnectionType::Standard).is_some());
    assert!(a.no_auth_identity(ConnectionType::Websocket).is_none());
}

#[test]
fn account_users_keep_their_connection_types() {
    let mut accounts = crate::account::Accounts::new();
    let mut acc = crate::account::AccountConfig::default();
    acc.users.users.push(typed_user("a", "p", &["WEBSOCKET"]));
    acc.users.nkeys.push(NkeyUser {
        allowed_connection_types: types(&["STANDARD"]),
        ..nkey_user(PY_NKEY, None)
    });
    accounts.insert("A".into(), acc);
    let a = Authorizer::with_accounts(&AuthConfig::default(), &accounts).unwrap();
    let c = with_user("a", "p");
    let id = allowed(a.authenticate(&c, None, ConnectionType::Websocket));
    assert_eq!(id.account.as_deref(), Some("A"));
    assert!(denied(&a.authenticate(&c, None, ConnectionType::Standard)));
    let n = with_nkey(PY_NKEY, PY_SIG);
    assert!(a
        .authenticate(&n, Some(PY_NONCE), ConnectionType::Standard)
        .is_allowed());
    assert!(denied(&a.authenticate(
        &n,
        Some(PY_NONCE),
        ConnectionType::Websocket
    )));
}

#[test]
fn unknown_connection_types_are_refused() {
    let cfg = AuthConfig {
        users: vec![typed_user("a", "p", &["STANDARD", "foo"])],
        ..Default::default()
    };
    // nats-server's validateAuth text (a config file's error is the loader's).
    let want = "unknown connection type \"foo\"";
    assert_eq!(cfg.validate().unwrap_err().to_string(), want);
    assert_eq!(Authorizer::new(&cfg).unwrap_err().to_string(), want);
    // The free function fails closed.
    assert!(denied(&authenticate(
        &cfg,
        &with_user("a", "p"),
        None,
        ConnectionType::Standard
    )));
    let cfg = AuthConfig {
        nkeys: vec![NkeyUser {
            allowed_connection_types: types(&["MQTT", "Bogus"]),
            ..nkey_user(PY_NKEY, None)
        }],
        ..Default::default()
    };
    assert_eq!(
        cfg.validate().unwrap_err().to_string(),
        "unknown connection type \"Bogus\""
    );
    let mut accounts = crate::account::Accounts::new();
    let mut acc = crate::account::AccountConfig::default();
    acc.users.users.push(typed_user("a", "p", &["nope"]));
    accounts.insert("A".into(), acc);
    assert_eq!(
        Authorizer::with_accounts(&AuthConfig::default(), &accounts)
            .unwrap_err()
            .to_string(),
        "unknown connection type \"nope\""
    );
}

#[test]
fn websocket_override_keeps_connection_types() {
    let cfg = AuthConfig {
        users: vec![typed_user("tcp", "p", &["STANDARD"])],
        ..Default::default()
    };
    let a = Authorizer::new(&cfg).unwrap().with_override(None, None);
    let c = with_user("tcp", "p");
    assert!(a
        .authenticate(&c, None, ConnectionType::Standard)
        .is_allowed());
    assert!(denied(&a.authenticate(&c, None, ConnectionType::Websocket)));
}

/// `verify_and_map` on the client listener only: the certificate picks the user (its
/// password still checked), a CONNECT user is ignored, and a password-less user the
/// mapping could pick is refused by name over WebSocket unless it is the `no_auth_user`.
#[test]
fn tls_map_and_certificate_only_users() {
    use super::tlsmap::CertNames;
    let cfg = AuthConfig {
        users: vec![
            user("alice@x", "", Some(pub_allow(&["a.>"]))),
            user("pw@x", "secret", None),
            user("bob", "bobpw", None),
            User {
                allowed_connection_types: vec!["WEBSOCKET".into()],
                ..user("ws_only", "", None)
            },
        ],
        ..AuthConfig::default()
    };
    let mut a = Authorizer::new(&cfg).unwrap();
    a.set_tls_map(true, false);
    let cert = |email: &str| CertNames {
        emails: vec![email.into()],
        has_subject: true,
        ..CertNames::default()
    };
    let std = ConnectionType::Standard;
    let ws = ConnectionType::Websocket;
    let id = allowed(a.authenticate_cert(&with_user("bob", ""), None, std, Some(&cert("alice@x"))));
    assert_eq!(id.user.as_deref(), Some("alice@x"));
    assert!(id.permissions.is_some());
    assert!(denied(&a.authenticate_cert(
        &connect(),
        None,
        std,
        Some(&cert("pw@x"))
    )));
    let id = allowed(a.authenticate_cert(&with_user("", "secret"), None, std, Some(&cert("pw@x"))));
    assert_eq!(id.user.as_deref(), Some("pw@x"));
    assert!(denied(&a.authenticate_cert(
        &connect(),
        None,
        std,
        Some(&cert("nobody"))
    )));
    assert!(denied(&a.authenticate_cert(
        &with_user("bob", "bobpw"),
        None,
        std,
        None
    )));
    // WebSocket does not map: names and passwords as usual, but not certificate users.
    assert!(a
        .authenticate_cert(&with_user("bob", "bobpw"), None, ws, None)
        .is_allowed());
    assert!(denied(&a.authenticate_cert(
        &with_user("alice@x", ""),
        None,
        ws,
        None
    )));
    assert!(a
        .authenticate_cert(&with_user("ws_only", ""), None, ws, None)
        .is_allowed());
    // ws_only can not be mapped on STANDARD (its types leave it out).
    assert!(denied(&a.authenticate_cert(
        &connect(),
        None,
        std,
        Some(&cert("ws_only"))
    )));
    // The no_auth_user is never a certificate-only user.
    let mut with_nau = cfg.clone();
    with_nau.no_auth_user = Some("alice@x".into());
    let mut b = Authorizer::new(&with_nau).unwrap();
    b.set_tls_map(true, false);
    assert!(b
        .authenticate_cert(&with_user("alice@x", ""), None, ws, None)
        .is_allowed());
}
