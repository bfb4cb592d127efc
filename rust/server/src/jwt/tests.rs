//! JWTs built here with a test-only encoder (v1 and v2), and JWTs produced by the Python
//! generator `tests/accounts/jwtgen.py` that the real nats-server accepts or refuses
//! (`tests/accounts/test_jwtgen_reference.py` checks both the server and these strings).

use std::net::IpAddr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use nkeys::KeyPair;
use serde_json::{json, Value};

use super::*;

/// The JWT builders the integration tests use too.
#[path = "../../tests/common/jwt.rs"]
mod build;

use build::{jwt_v2, unlimited, Op, IAT};

/// A v1 JWT: top-level `type`, the signature over the claims part only.
fn v1(kind: &str, mut claims: Value, signer: &KeyPair) -> String {
    claims["iss"] = json!(signer.public_key());
    claims["iat"] = json!(IAT);
    claims["type"] = json!(kind);
    let header = encode_part(br#"{"typ":"jwt","alg":"ed25519"}"#);
    let payload = encode_part(claims.to_string().as_bytes());
    let sig = signer.sign(payload.as_bytes()).unwrap();
    format!("{header}.{payload}.{}", encode_part(&sig))
}

/// A user JWT for `user` signed by `signer` with these `nats` fields.
fn user_jwt(user: &KeyPair, signer: &KeyPair, nats: Value) -> String {
    jwt_v2(
        "user",
        json!({"sub": user.public_key(), "name": "u", "nats": nats}),
        signer,
    )
}

struct Chain {
    op: Op,
    operator: OperatorClaims,
    acc: KeyPair,
}

impl Chain {
    fn new() -> Chain {
        let op = Op::new();
        let operator = decode_operator(&op.jwt).unwrap();
        Chain {
            op,
            operator,
            acc: KeyPair::new_account(),
        }
    }

    fn account(&self, nats: Value) -> AccountClaims {
        decode_account(&self.op.account(&self.acc, "", nats)).unwrap()
    }

    fn verify(&self, user: &str, account: &AccountClaims) -> Result<VerifiedUser, JwtError> {
        verify_user_chain(
            user,
            account,
            std::slice::from_ref(&self.operator),
            IAT + 10,
        )
    }
}

fn at(unix: i64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(u64::try_from(unix).unwrap())
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

// ----------------------------------------------------------------------------------------
// decode
// ----------------------------------------------------------------------------------------

#[test]
fn v2_claims_of_every_kind_decode() {
    let c = Chain::new();
    let signing = KeyPair::new_operator();
    let sys = KeyPair::new_account();
    let op_jwt = jwt_v2(
        "operator",
        json!({"sub": c.op.key.public_key(), "name": "op", "nats": {
            "signing_keys": [signing.public_key()], "system_account": sys.public_key(),
            "account_server_url": "http://x", "strict_signing_key_usage": true, "tags": ["a"]}}),
        &c.op.key,
    );
    let decoded = decode(&op_jwt).unwrap();
    assert_eq!(decoded.header.alg, "ed25519-nkey");
    let Claims::Operator(op) = decoded.claims else {
        panic!("not an operator")
    };
    assert_eq!(op.claims.version, 2);
    assert_eq!(op.claims.name, "op");
    assert!(op.claims.is_self_signed());
    assert_eq!(op.signing_keys, [signing.public_key()]);
    assert_eq!(op.system_account, sys.public_key());
    assert_eq!(op.account_server_url, "http://x");
    assert!(op.strict_signing_key_usage);
    assert_eq!(op.claims.tags, ["a"]);
    assert_eq!(
        op.trusted_keys().collect::<Vec<_>>(),
        [signing.public_key()]
    );

    let exporter = KeyPair::new_account();
    let acc = c.account(json!({
        "exports": [{"name": "e", "subject": "svc.>", "type": "service",
                     "response_type": "Stream", "response_threshold": 5_000_000_000_i64,
                     "token_req": true, "revocations": {"AX": 5}}],
        "imports": [{"subject": "feed.>", "account": exporter.public_key(), "type": "stream",
                     "local_subject": "mine.>", "to": "old"}],
        "limits": {"subs": 10, "conn": 2, "leaf": 1, "data": 100, "payload": 64,
                   "imports": 3, "exports": 4, "wildcards": true, "disallow_bearer": true,
                   "mem_storage": 1024, "tiered_limits": {"R1": {"streams": 1}}},
        "default_permissions": {"pub": {"deny": ["x"]}},
        "revocations": {"UX": 7}}));
    assert_eq!(acc.claims.iss, c.op.key.public_key());
    let e = &acc.exports[0];
    assert_eq!(
        (e.export_type, e.subject.as_str()),
        (ExportType::Service, "svc.>")
    );
    assert_eq!(
        (e.response_type.as_str(), e.response_threshold),
        ("Stream", 5_000_000_000)
    );
    assert!(e.token_req && e.is_revoked("AX", 5) && !e.is_revoked("AX", 6));
    let i = &acc.imports[0];
    assert_eq!(
        (i.import_type, i.account.as_str()),
        (ExportType::Stream, exporter.public_key().as_str())
    );
    assert_eq!((i.local_subject.as_str(), i.to.as_str()), ("mine.>", "old"));
    let l = &acc.limits;
    assert_eq!(
        (l.subs, l.conn, l.leaf, l.data, l.payload, l.imports, l.exports),
        (10, 2, 1, 100, 64, 3, 4)
    );
    assert!(l.wildcards && l.disallow_bearer);
    assert_eq!(l.jetstream["mem_storage"], json!(1024));
    assert_eq!(l.jetstream["tiered_limits"]["R1"]["streams"], json!(1));
    assert_eq!(acc.default_permissions.publish.deny, ["x"]);
    assert_eq!(acc.revocations["UX"], 7);

    let u = KeyPair::new_user();
    let token = user_jwt(
        &u,
        &c.acc,
        json!({
        "pub": {"allow": ["a.>"], "deny": ["a.b"]}, "sub": {"allow": ["_INBOX.>"]},
        "resp": {"max": 1, "ttl": 1_000_000_000}, "src": ["10.0.0.0/8"],
        "times": [{"start": "08:00:00", "end": "17:00:00"}], "times_location": "UTC",
        "bearer_token": true, "allowed_connection_types": ["STANDARD"], "subs": 5,
        "tags": ["t"]}),
    );
    let user = decode_user(&token).unwrap();
    assert_eq!(user.claims.sub, u.public_key());
    assert_eq!(user.account_key(), c.acc.public_key());
    assert_eq!(user.claims.tags, ["t"]);
    let l = &user.limits;
    assert_eq!(l.permissions.publish.allow, ["a.>"]);
    assert_eq!(l.permissions.publish.deny, ["a.b"]);
    assert_eq!(l.permissions.subscribe.allow, ["_INBOX.>"]);
    assert_eq!(
        l.permissions.resp,
        Some(ResponsePermission {
            max: 1,
            ttl: 1_000_000_000
        })
    );
    assert_eq!(l.src, ["10.0.0.0/8"]);
    assert_eq!(
        l.times,
        [TimeRange {
            start: "08:00:00".into(),
            end: "17:00:00".into()
        }]
    );
    assert_eq!(l.times_location, "UTC");
    assert!(l.bearer_token);
    assert_eq!(l.allowed_connection_types, ["STANDARD"]);
    // Unset v2 limits are 0, as Go's decoder leaves them.
    assert_eq!((l.subs, l.data, l.payload), (5, 0, 0));
    assert!(matches!(
        decode_account(&token),
        Err(JwtError::WrongClaimType { .. })
    ));
}

#[test]
fn absent_v2_limits_are_zero_not_unlimited() {
    let c = Chain::new();
    let token = jwt_v2(
        "account",
        json!({"sub": c.acc.public_key(), "nats": {}}),
        &c.op.key,
    );
    let acc = decode_account(&token).unwrap();
    assert_eq!(acc.limits, AccountLimits::default());
    assert_eq!(acc.limits.conn, 0);
}

#[test]
fn v1_claims_map_onto_the_same_structs() {
    let c = Chain::new();
    let u = KeyPair::new_user();
    let signer = KeyPair::new_account();
    let token = v1(
        "user",
        json!({"sub": u.public_key(), "issuer_account": c.acc.public_key(), "tags": ["x"],
               "nats": {"pub": {"allow": ["a"]}, "src": "10.0.0.0/8, 192.168.1.0/24,",
                        "max": 5, "allowed_connection_types": ["MQTT"]}}),
        &signer,
    );
    let decoded = decode(&token).unwrap();
    assert_eq!(decoded.header.alg, "ed25519");
    let Claims::User(user) = decoded.claims else {
        panic!("not a user")
    };
    assert_eq!(user.claims.version, 1);
    assert_eq!(user.issuer_account, c.acc.public_key());
    assert_eq!(user.claims.tags, ["x"]);
    assert_eq!(user.limits.src, ["10.0.0.0/8", "192.168.1.0/24"]);
    assert_eq!(user.limits.permissions.publish.allow, ["a"]);
    // v1 users are unlimited unless set; v1 had no connection types.
    assert_eq!(
        (user.limits.subs, user.limits.data, user.limits.payload),
        (-1, -1, -1)
    );
    assert!(user.limits.allowed_connection_types.is_empty());

    let sk = KeyPair::new_account();
    let acc = v1(
        "account",
        json!({"sub": c.acc.public_key(), "nats": {"signing_keys": [sk.public_key()],
               "limits": {"conn": 3, "mem_storage": 5}, "revocations": {"*": 9}}}),
        &c.op.key,
    );
    let acc = decode_account(&acc).unwrap();
    assert_eq!(acc.claims.version, 1);
    assert_eq!(
        acc.find_signing_key(&sk.public_key()),
        Some(&SigningKey::Plain)
    );
    assert_eq!(acc.limits.conn, 3);
    assert!(acc.limits.jetstream.is_empty());
    assert!(acc.is_user_revoked("Uanything", 9));

    // A v1 operator keeps its v1 fields.
    let op_v1 = v1(
        "operator",
        json!({"sub": c.op.key.public_key(), "nats": {"system_account": "A"}}),
        &c.op.key,
    );
    assert_eq!(decode_operator(&op_v1).unwrap().system_account, "A");
}

/// The three parts of a token.
fn parts(token: &str) -> Vec<String> {
    token.split('.').map(str::to_string).collect()
}

#[test]
fn tampered_claims_or_signature_fail_verification() {
    let c = Chain::new();
    let u = KeyPair::new_user();
    let good = user_jwt(&u, &c.acc, json!({"pub": {"allow": ["a"]}}));
    let other = user_jwt(&u, &c.acc, json!({"pub": {"allow": [">"]}}));
    let (g, o) = (parts(&good), parts(&other));
    let swapped = format!("{}.{}.{}", g[0], o[1], g[2]);
    assert!(matches!(decode(&swapped), Err(JwtError::BadSignature(2))));

    let mut sig = g[2].clone().into_bytes();
    sig[3] = if sig[3] == b'A' { b'B' } else { b'A' };
    let bad_sig = format!("{}.{}.{}", g[0], g[1], String::from_utf8(sig).unwrap());
    assert!(matches!(decode(&bad_sig), Err(JwtError::BadSignature(2))));

    // v2 signs the header too: another (valid) header breaks the signature.
    let v1_header = encode_part(br#"{"typ":"jwt","alg":"ed25519"}"#);
    let reheaded = format!("{v1_header}.{}.{}", g[1], g[2]);
    assert!(matches!(decode(&reheaded), Err(JwtError::BadSignature(2))));

    let v1_token = v1("user", json!({"sub": u.public_key(), "nats": {}}), &c.acc);
    let p = parts(&v1_token);
    let other_v1 = parts(&v1(
        "user",
        json!({"sub": u.public_key(), "name": "x", "nats": {}}),
        &c.acc,
    ));
    assert!(matches!(
        decode(&format!("{}.{}.{}", p[0], other_v1[1], p[2])),
        Err(JwtError::BadSignature(1))
    ));
    // v1 signs the claims only: another header is fine.
    let v2_header = encode_part(br#"{"typ":"JWT","alg":"ed25519-nkey"}"#);
    assert!(decode(&format!("{v2_header}.{}.{}", p[1], p[2])).is_ok());
}

#[test]
fn issuer_must_be_of_the_right_kind() {
    let c = Chain::new();
    let u = KeyPair::new_user();
    let by_operator = user_jwt(&u, &c.op.key, json!({}));
    assert!(matches!(
        decode(&by_operator),
        Err(JwtError::WrongIssuerKind {
            kind: ClaimKind::User,
            ..
        })
    ));
    let self_signed_account = jwt_v2(
        "account",
        json!({"sub": c.acc.public_key(), "nats": {}}),
        &c.acc,
    );
    assert!(matches!(
        decode(&self_signed_account),
        Err(JwtError::WrongIssuerKind {
            kind: ClaimKind::Account,
            ..
        })
    ));
    let by_user = jwt_v2(
        "operator",
        json!({"sub": c.op.key.public_key(), "nats": {}}),
        &u,
    );
    let err = decode(&by_user).unwrap_err();
    assert!(
        err.to_string().contains("which is not a operator key"),
        "{err}"
    );
}

#[test]
fn malformed_tokens_are_refused() {
    let c = Chain::new();
    let good = user_jwt(&KeyPair::new_user(), &c.acc, json!({}));
    let p = parts(&good);
    assert!(matches!(decode("a.b"), Err(JwtError::Chunks)));
    assert!(matches!(
        decode(&format!("{good}.x")),
        Err(JwtError::Chunks)
    ));
    // Go's RawURLEncoding refuses padding.
    assert!(matches!(
        decode(&format!("{}=.{}.{}", p[0], p[1], p[2])),
        Err(JwtError::Base64("header"))
    ));
    // ... and skips line breaks.
    assert!(decode(&format!("{}.{}.{}\r\n", p[0], p[1], p[2])).is_ok());
    let header = |h: &str| format!("{}.{}.{}", encode_part(h.as_bytes()), p[1], p[2]);
    assert!(matches!(
        decode(&header(r#"{"typ":"jws","alg":"ed25519-nkey"}"#)),
        Err(JwtError::HeaderType(_))
    ));
    assert!(matches!(
        decode(&header(r#"{"typ":"JWT","alg":"HS256"}"#)),
        Err(JwtError::Algorithm(_))
    ));
    assert!(matches!(
        decode(&"a".repeat(MAX_TOKEN_SIZE + 1)),
        Err(JwtError::TooLarge(_))
    ));

    let claims = |c: Value| {
        format!(
            "{}.{}.{}",
            p[0],
            encode_part(c.to_string().as_bytes()),
            p[2]
        )
    };
    assert!(matches!(
        decode(&claims(json!({"nats": {"type": "user", "version": 3}}))),
        Err(JwtError::NewerVersion(3))
    ));
    assert!(matches!(
        decode(&claims(json!({"nats": {"type": "user"}}))),
        Err(JwtError::UnsupportedVersion(0))
    ));
    assert!(matches!(
        decode(&claims(json!({"nats": {"type": "activation", "version": 2}}))),
        Err(JwtError::UnsupportedClaimType(t)) if t == "activation"
    ));
    assert!(matches!(
        decode(&claims(json!({"nats": {"type": "account", "version": 2,
            "signing_keys": [{"kind": "other_scope", "key": "A"}]}}))),
        Err(JwtError::Json(_))
    ));
    assert!(matches!(
        decode(&claims(json!({"nats": {"type": "account", "version": 2,
            "exports": [{"type": "queue"}]}}))),
        Err(JwtError::Json(_))
    ));
}

// ----------------------------------------------------------------------------------------
// times, revocations, src, signing keys
// ----------------------------------------------------------------------------------------

#[test]
fn expiry_and_not_before() {
    let data = ClaimsData {
        exp: 100,
        nbf: 50,
        ..ClaimsData::default()
    };
    assert!(
        !data.is_expired(100),
        "the Go library: expired only once now > exp"
    );
    assert!(data.is_expired(101));
    assert!(data.not_yet_valid(49));
    assert!(!data.not_yet_valid(50));
    assert!(!ClaimsData::default().is_expired(i64::MAX));

    let c = Chain::new();
    let u = KeyPair::new_user();
    let acc = c.account(json!({}));
    let expired = user_jwt(&u, &c.acc, json!({}));
    let expired = {
        let mut cl: Value = serde_json::from_slice(
            &base64::Engine::decode(
                &base64::engine::general_purpose::URL_SAFE_NO_PAD,
                parts(&expired)[1].as_bytes(),
            )
            .unwrap(),
        )
        .unwrap();
        cl["exp"] = json!(IAT + 9);
        jwt_v2("user", cl, &c.acc)
    };
    assert!(matches!(c.verify(&expired, &acc), Err(JwtError::Expired)));
    let later = jwt_v2(
        "user",
        json!({"sub": u.public_key(), "nbf": IAT + 11, "nats": {}}),
        &c.acc,
    );
    assert!(matches!(c.verify(&later, &acc), Err(JwtError::NotYetValid)));

    // An account expires at exp itself in nats-server.
    let ending = c.account(json!({}));
    let ending = AccountClaims {
        claims: ClaimsData {
            exp: IAT + 10,
            ..ending.claims
        },
        ..ending
    };
    let fresh = user_jwt(&u, &c.acc, json!({}));
    assert!(matches!(
        c.verify(&fresh, &ending),
        Err(JwtError::AccountExpired)
    ));
}

#[test]
fn revocations_with_wildcard() {
    let c = Chain::new();
    let (u1, u2) = (KeyPair::new_user(), KeyPair::new_user());
    let acc = c.account(json!({"revocations": {u1.public_key(): IAT}}));
    assert!(
        acc.is_user_revoked(&u1.public_key(), IAT),
        "revoked in the very second"
    );
    assert!(acc.is_user_revoked(&u1.public_key(), IAT - 1));
    assert!(
        !acc.is_user_revoked(&u1.public_key(), IAT + 1),
        "reissued after the revocation"
    );
    assert!(!acc.is_user_revoked(&u2.public_key(), 0));
    let u1_jwt = user_jwt(&u1, &c.acc, json!({}));
    assert!(matches!(c.verify(&u1_jwt, &acc), Err(JwtError::Revoked)));

    let all = c.account(json!({"revocations": {"*": IAT + 5}}));
    assert!(all.is_user_revoked(&u2.public_key(), IAT + 5));
    assert!(!all.is_user_revoked(&u2.public_key(), IAT + 6));
    let u2_jwt = user_jwt(&u2, &c.acc, json!({}));
    assert!(matches!(c.verify(&u2_jwt, &all), Err(JwtError::Revoked)));
    let u2_new = jwt_v2(
        "user",
        json!({"sub": u2.public_key(), "iat": IAT + 6, "nats": {}}),
        &c.acc,
    );
    assert!(c.verify(&u2_new, &all).is_ok());
}

#[test]
fn source_cidrs() {
    let limits = |src: &[&str]| UserPermissionLimits {
        src: src.iter().map(|s| s.to_string()).collect(),
        ..UserPermissionLimits::default()
    };
    assert!(limits(&[]).check_src(ip("8.8.8.8")));
    let l = limits(&["10.0.0.0/8", "2001:db8::/32"]);
    assert!(l.check_src(ip("10.1.2.3")));
    assert!(
        l.check_src(ip("::ffff:10.1.2.3")),
        "IPv4-mapped counts as IPv4, as in Go"
    );
    assert!(l.check_src(ip("2001:db8::1")));
    assert!(!l.check_src(ip("11.0.0.1")));
    assert!(!l.check_src(ip("2001:db9::1")));
    assert!(limits(&["0.0.0.0/0"]).check_src(ip("1.2.3.4")));
    assert!(!limits(&["0.0.0.0/0"]).check_src(ip("::1")));
    assert!(limits(&["127.0.0.1/32"]).check_src(ip("127.0.0.1")));
    assert!(limits(&["::ffff:10.0.0.0/104"]).check_src(ip("10.9.9.9")));
    // A bad block refuses, as soon as nats-server reaches it; validate() names it.
    assert!(!limits(&["bad", "10.0.0.0/8"]).check_src(ip("10.1.2.3")));
    assert!(limits(&["10.0.0.0/8", "bad"]).check_src(ip("10.1.2.3")));
    for bad in [
        "10.0.0.0",
        "10.0.0.0/33",
        "10.0.0.0/-1",
        "010.0.0.0/8",
        "::/129",
    ] {
        assert!(
            matches!(limits(&[bad]).validate(), Err(JwtError::InvalidCidr(_))),
            "{bad}"
        );
    }
    assert!(limits(&["10.0.0.0/8", "::/0"]).validate().is_ok());
}

fn window(ranges: &[(&str, &str)], location: &str) -> UserPermissionLimits {
    UserPermissionLimits {
        times: ranges
            .iter()
            .map(|(s, e)| TimeRange {
                start: s.to_string(),
                end: e.to_string(),
            })
            .collect(),
        times_location: location.to_string(),
        ..UserPermissionLimits::default()
    }
}

#[test]
fn connect_time_windows() {
    // 2023-11-14T22:13:20Z
    let now = at(IAT);
    assert_eq!(
        window(&[], "").check_times(now, 0).unwrap(),
        TimeWindow::Unrestricted
    );
    let office = window(&[("08:00:00", "17:00:00")], "UTC");
    assert_eq!(office.check_times(now, 0).unwrap(), TimeWindow::Outside);
    let evening = window(&[("22:00:00", "23:00:00")], "UTC");
    assert_eq!(
        evening.check_times(now, 0).unwrap(),
        TimeWindow::Inside {
            valid_for: Duration::from_secs(46 * 60 + 40)
        }
    );
    // Crossing midnight, both sides of it.
    let night = window(&[("22:00:00", "06:00:00")], "");
    assert_eq!(
        night.check_times(now, 0).unwrap(),
        TimeWindow::Inside {
            valid_for: Duration::from_secs(7 * 3600 + 46 * 60 + 40)
        }
    );
    assert_eq!(
        night.check_times(at(IAT + 4 * 3600), 0).unwrap(),
        TimeWindow::Inside {
            valid_for: Duration::from_secs(3 * 3600 + 46 * 60 + 40)
        }
    );
    assert_eq!(
        night.check_times(at(IAT + 12 * 3600), 0).unwrap(),
        TimeWindow::Outside
    );
    // The start is exclusive (Go's start.Before(now)), the end too.
    let from_now = window(&[("22:13:20", "23:00:00")], "UTC");
    assert_eq!(from_now.check_times(now, 0).unwrap(), TimeWindow::Outside);
    assert!(matches!(
        from_now
            .check_times(now + Duration::from_millis(1), 0)
            .unwrap(),
        TimeWindow::Inside { .. }
    ));
    // The longest of the windows that hold.
    let two = window(&[("22:00:00", "22:30:00"), ("21:00:00", "23:30:00")], "UTC");
    assert_eq!(
        two.check_times(now, 0).unwrap(),
        TimeWindow::Inside {
            valid_for: Duration::from_secs(3600 + 16 * 60 + 40)
        }
    );
    // Locations: Etc/GMT-2 is UTC+2 (00:13:20 there), "" is the server's local offset.
    let early = window(&[("00:00:00", "01:00:00")], "Etc/GMT-2");
    assert!(matches!(
        early.check_times(now, 0).unwrap(),
        TimeWindow::Inside { .. }
    ));
    let local = window(&[("00:00:00", "01:00:00")], "");
    assert!(matches!(
        local.check_times(now, 7200).unwrap(),
        TimeWindow::Inside { .. }
    ));
    assert_eq!(local.check_times(now, 0).unwrap(), TimeWindow::Outside);
    assert_eq!(zone_offset("Etc/GMT+5", 0).unwrap(), -5 * 3600);
    assert_eq!(zone_offset("Etc/UTC", 3600).unwrap(), 0);
    assert_eq!(zone_offset("Local", 3600).unwrap(), 3600);
    let paris = window(&[("00:00:00", "01:00:00")], "Europe/Paris");
    assert!(
        matches!(paris.check_times(now, 0), Err(JwtError::UnknownTimeZone(z)) if z == "Europe/Paris")
    );
    assert!(matches!(
        paris.validate(),
        Err(JwtError::UnknownTimeZone(_))
    ));
    for bad in ["8:00", "24:00:00", "08:60:00", "08:00:0", "08:00:00x"] {
        assert!(
            matches!(
                window(&[(bad, "09:00:00")], "").validate(),
                Err(JwtError::InvalidTimeRange(_))
            ),
            "{bad}"
        );
    }
    assert!(window(&[("8:00:00", "09:00:00.5")], "").validate().is_ok());
}

#[test]
fn scoped_signing_key_with_template() {
    let c = Chain::new();
    let (plain, scoped) = (KeyPair::new_account(), KeyPair::new_account());
    let acc = c.account(json!({"signing_keys": [
        plain.public_key(),
        {"kind": "user_scope", "key": scoped.public_key(), "role": "dev",
         "template": {"pub": {"allow": ["dev.{{name()}}.>"]}, "bearer_token": true}}]}));
    assert_eq!(
        acc.find_signing_key(&plain.public_key()),
        Some(&SigningKey::Plain)
    );
    let Some(SigningKey::Scoped(scope)) = acc.find_signing_key(&scoped.public_key()) else {
        panic!("not scoped")
    };
    assert_eq!(scope.role, "dev");
    assert_eq!(
        scope.template.permissions.publish.allow,
        ["dev.{{name()}}.>"]
    );
    // A template's unset limits are unlimited (NewUserScope).
    assert_eq!(
        (
            scope.template.subs,
            scope.template.data,
            scope.template.payload
        ),
        (NO_LIMIT, NO_LIMIT, NO_LIMIT)
    );
    assert!(acc.find_signing_key(&c.acc.public_key()).is_none());

    let u = KeyPair::new_user();
    let issuer = json!(c.acc.public_key());
    let by_scoped = user_jwt(&u, &scoped, json!({"issuer_account": issuer}));
    let verified = c.verify(&by_scoped, &acc).unwrap();
    assert_eq!(
        verified.scope.as_ref().map(|s| s.role.as_str()),
        Some("dev")
    );
    assert!(verified.limits().bearer_token);
    let with_perms = user_jwt(&u, &scoped, json!({"issuer_account": issuer, "subs": -1}));
    assert!(matches!(
        c.verify(&with_perms, &acc),
        Err(JwtError::ScopedUserHasPermissions)
    ));

    let by_plain = user_jwt(
        &u,
        &plain,
        json!({"issuer_account": issuer, "pub": {"allow": ["p"]}}),
    );
    let verified = c.verify(&by_plain, &acc).unwrap();
    assert!(verified.scope.is_none());
    assert_eq!(verified.limits().permissions.publish.allow, ["p"]);

    let stranger = KeyPair::new_account();
    let by_stranger = user_jwt(&u, &stranger, json!({"issuer_account": issuer}));
    assert!(matches!(
        c.verify(&by_stranger, &acc),
        Err(JwtError::UnknownUserIssuer(_))
    ));

    // The template's bearer token against an account that disallows them.
    let strict = c.account(json!({"limits": {"disallow_bearer": true, "conn": -1},
        "signing_keys": [{"kind": "user_scope", "key": scoped.public_key(),
                          "template": {"bearer_token": true}}]}));
    assert!(matches!(
        c.verify(&by_scoped, &strict),
        Err(JwtError::BearerNotAllowed)
    ));
}

#[test]
fn chain_trust() {
    let c = Chain::new();
    let u = KeyPair::new_user();
    let acc = c.account(json!({}));
    let token = user_jwt(&u, &c.acc, json!({}));
    assert!(c.verify(&token, &acc).is_ok());
    assert!(matches!(
        verify_user_chain(&token, &acc, &[], IAT),
        Err(JwtError::UntrustedAccount(_))
    ));
    let other = Chain::new();
    let other_acc = other.account(json!({}));
    assert!(matches!(
        c.verify(&token, &other_acc),
        Err(JwtError::AccountMismatch { .. })
    ));

    // An account signed by an operator signing key is trusted; with strict signing key
    // usage the operator's own key is not, and the account's own key signs no users.
    let op_sk = KeyPair::new_operator();
    let user_sk = KeyPair::new_account();
    for strict in [false, true] {
        let operator = decode_operator(&jwt_v2(
            "operator",
            json!({"sub": c.op.key.public_key(), "nats": {"signing_keys": [op_sk.public_key()],
                   "strict_signing_key_usage": strict}}),
            &c.op.key,
        ))
        .unwrap();
        let nats = json!({"limits": unlimited(), "signing_keys": [user_sk.public_key()]});
        let by_sk = decode_account(&jwt_v2(
            "account",
            json!({"sub": c.acc.public_key(), "nats": nats}),
            &op_sk,
        ))
        .unwrap();
        let by_own = decode_account(&jwt_v2(
            "account",
            json!({"sub": c.acc.public_key(), "nats": nats}),
            &c.op.key,
        ))
        .unwrap();
        let ops = [operator];
        let by_account_key = user_jwt(&u, &c.acc, json!({}));
        let issuer = json!(c.acc.public_key());
        let by_user_sk = user_jwt(&u, &user_sk, json!({"issuer_account": issuer}));
        assert_eq!(
            verify_user_chain(&by_account_key, &by_sk, &ops, IAT).is_ok(),
            !strict
        );
        assert!(verify_user_chain(&by_user_sk, &by_sk, &ops, IAT).is_ok());
        assert_eq!(
            verify_user_chain(&by_user_sk, &by_own, &ops, IAT).is_ok(),
            !strict
        );
    }
}

#[test]
fn decorated_files() {
    let c = Chain::new();
    let token = jwt_v2(
        "operator",
        json!({"sub": c.op.key.public_key(), "nats": {}}),
        &c.op.key,
    );
    let decorated = format!(
        "-----BEGIN NATS OPERATOR JWT-----\n{token}\n------END NATS OPERATOR JWT------\n\n"
    );
    assert_eq!(parse_decorated_jwt(&decorated).unwrap(), token);
    assert_eq!(
        parse_decorated_jwt(&decorated.replace('\n', "\r\n")).unwrap(),
        token
    );
    let unterminated = decorated.trim_end();
    assert_eq!(parse_decorated_jwt(unterminated).unwrap(), token);
    assert_eq!(parse_decorated_jwt(&format!("{token}\n")).unwrap(), token);
    assert_eq!(
        parse_decorated_jwt(&format!("\n  {token}  \n")).unwrap(),
        token
    );
    assert!(matches!(parse_decorated_jwt(" \n"), Err(JwtError::NoJwt)));
    // A .creds file: the JWT is the first block, the seed the second.
    let seed = KeyPair::new_user().seed().unwrap();
    let creds = format!(
        "{decorated}************************* IMPORTANT *************************\n\
         NKEY Seed printed below can be used to sign and prove identity.\n\n\
         -----BEGIN USER NKEY SEED-----\n{seed}\n------END USER NKEY SEED------\n"
    );
    assert_eq!(parse_decorated_jwt(&creds).unwrap(), token);
    assert_eq!(
        decode_operator(&parse_decorated_jwt(&creds).unwrap())
            .unwrap()
            .claims
            .sub,
        c.op.key.public_key()
    );
    // A marker line needs two runs of three dashes.
    let weak = format!("--- BEGIN\n{token}\n--- END ---\n");
    assert_eq!(parse_decorated_jwt(&weak).unwrap(), weak.trim());
}

// ----------------------------------------------------------------------------------------
// JWTs from tests/accounts/jwtgen.py (`python3 tests/accounts/jwtgen.py`), fixed seeds and
// times; test_jwtgen_reference.py shows nats-server 2.x accepting PY_USER and PY_SCOPED and
// refusing PY_EXPIRED, PY_REVOKED and PY_STRANGER_USER, and that these strings are current.
// ----------------------------------------------------------------------------------------

const PY_OPERATOR: &str = "eyJ0eXAiOiJKV1QiLCJhbGciOiJlZDI1NTE5LW5rZXkifQ.eyJzdWIiOiJPQU9ZTlA0RkNWTVFWS1BBREVVT1I3UlpWRU5aTFg0S1hLWlhMWk5FNURQNUJGUkxNUzI1U01BTSIsIm5hbWUiOiJmaXh0dXJlLW9wIiwibmF0cyI6eyJ0eXBlIjoib3BlcmF0b3IiLCJ2ZXJzaW9uIjoyfSwiaXNzIjoiT0FPWU5QNEZDVk1RVktQQURFVU9SN1JaVkVOWkxYNEtYS1pYTFpORTVEUDVCRlJMTVMyNVNNQU0iLCJpYXQiOjE3MDAwMDAwMDAsImp0aSI6IldYNTZNQk1XTlpWUEY2RDVKQ0U2Vk1ZNU1OM0tHVkcyRkw3QlZBRkM1VFJHQllRSkhKV1EifQ.2KfvWn_V6JhIMyH9U5xgcX5mYMmOL9pQyf0JEFLzJ3iwNXBJLUuhbaI0ZStWDfetaGzpnoKUWItsMVmIBk20Ag";
const PY_ACCOUNT_PUB: &str = "AAY4H4RN7TA3LIAQXKYSB5SWAILCWNL7TKDW7K3LZVICTBJQS6NRCCO4";
const PY_ACCOUNT: &str = "eyJ0eXAiOiJKV1QiLCJhbGciOiJlZDI1NTE5LW5rZXkifQ.eyJzdWIiOiJBQVk0SDRSTjdUQTNMSUFRWEtZU0I1U1dBSUxDV05MN1RLRFc3SzNMWlZJQ1RCSlFTNk5SQ0NPNCIsIm5hbWUiOiJmaXh0dXJlLWFjYyIsIm5hdHMiOnsic2lnbmluZ19rZXlzIjpbIkFCQkQ1SllQV1JER1hRV1BIUVZZWUtEUkVMU0c1QjQyVktFWUROTUdCTlVHUlgzTUpOR1pJVDY1Iix7ImtpbmQiOiJ1c2VyX3Njb3BlIiwia2V5IjoiQUQ3UEw3WFlGN1YyNktBQkFJU1BUTVlHRUtVQjc1STc3T1c2RlZVT1haSFczQkdJVkFFQzNXN1QiLCJyb2xlIjoic3ZjIiwidGVtcGxhdGUiOnsicHViIjp7ImFsbG93IjpbInNjb3BlZC4-Il19LCJzdWIiOnsiYWxsb3ciOlsiX0lOQk9YLj4iLCJzY29wZWQuPiJdfX19XSwicmV2b2NhdGlvbnMiOnsiVUFGWlBSUk1LT1FWQkRIWk9MRTZLNkJUTUhKM1dXNkdESUVVR1dDR0JFWUI0MklCVzRVTUNYNjQiOjE3MDAwMDAwMDB9LCJ0eXBlIjoiYWNjb3VudCIsInZlcnNpb24iOjIsImxpbWl0cyI6eyJzdWJzIjotMSwiZGF0YSI6LTEsInBheWxvYWQiOi0xLCJpbXBvcnRzIjotMSwiZXhwb3J0cyI6LTEsIndpbGRjYXJkcyI6dHJ1ZSwiY29ubiI6LTEsImxlYWYiOi0xfX0sImlzcyI6Ik9BT1lOUDRGQ1ZNUVZLUEFERVVPUjdSWlZFTlpMWDRLWEtaWExaTkU1RFA1QkZSTE1TMjVTTUFNIiwiaWF0IjoxNzAwMDAwMDAwLCJqdGkiOiJXVVFNT1VORjVBTjY0TEhSWUxEVUlXUEYyNlJHUEI1VERXVkJTVlNaVU9SM1lVUVFEUExBIn0.l8CA6jiQGx-jQM1mb_FzaESCnNhAUi9dk-fZOwyzPopNNAHS8vNwtdO4D9D_uSQQvAXtyDJdjVl3CPzb-J_tDA";
const PY_USER: &str = "eyJ0eXAiOiJKV1QiLCJhbGciOiJlZDI1NTE5LW5rZXkifQ.eyJzdWIiOiJVQTRJV1NTWERJNUNaR1A2N01TU1FNNFJHSlpDSjZSRTQyVFVBTEoyNUhMUUFaTzczS0JOM0pXRyIsIm5hbWUiOiJmaXh0dXJlLXVzZXIiLCJuYXRzIjp7InN1YnMiOi0xLCJkYXRhIjotMSwicGF5bG9hZCI6LTEsInB1YiI6eyJhbGxvdyI6WyJmaXh0dXJlLj4iLCJfSU5CT1guPiJdfSwic3ViIjp7ImFsbG93IjpbImZpeHR1cmUuPiIsIl9JTkJPWC4-Il19LCJzcmMiOlsiMTI3LjAuMC4wLzgiLCI6OjEvMTI4Il0sInR5cGUiOiJ1c2VyIiwidmVyc2lvbiI6Mn0sImlzcyI6IkFBWTRINFJON1RBM0xJQVFYS1lTQjVTV0FJTENXTkw3VEtEVzdLM0xaVklDVEJKUVM2TlJDQ080IiwiaWF0IjoxNzAwMDAwMDAwLCJqdGkiOiJWVERYVEJDRzdJSjZWMkc1M1FPVE8zTElBNlRITVFLTkVQUERXQ083UUNERkdCRUsyNldRIn0.7sQbeqieXtlC8tShQLL0_js2UhjC9ZRmnNaHRsQ8dMJjIgmiyHT0EsPIJeoh6ivaWLHiIzWtV5K60J42ydS2Cw";
const PY_EXPIRED: &str = "eyJ0eXAiOiJKV1QiLCJhbGciOiJlZDI1NTE5LW5rZXkifQ.eyJzdWIiOiJVQUQ0WlZIR01ZTDc2NVVESUlNVENUTExXV0JHRTUyTjRQVkJPVzVMNURPT1dJREtaUzVPMklUNSIsIm5hbWUiOiJmaXh0dXJlLWV4cGlyZWQiLCJuYXRzIjp7InN1YnMiOi0xLCJkYXRhIjotMSwicGF5bG9hZCI6LTEsInR5cGUiOiJ1c2VyIiwidmVyc2lvbiI6Mn0sImV4cCI6MTYwMDAwMDAwMCwiaXNzIjoiQUFZNEg0Uk43VEEzTElBUVhLWVNCNVNXQUlMQ1dOTDdUS0RXN0szTFpWSUNUQkpRUzZOUkNDTzQiLCJpYXQiOjE3MDAwMDAwMDAsImp0aSI6IkxBUlVFSTVUWVZMNEtZRU5JUExYS1c2N1RMWkpQTlVVTFFXSEpWSVQ0T0g0WktBUURYQUEifQ.YHovSTurSk5W_ztgfN4DJVx76ESZJEJJwcKnk2_gTuXJyto9oh3MyFnE6daGHaTyBh1HSslpBnHaaUvVe985Bw";
const PY_SCOPED: &str = "eyJ0eXAiOiJKV1QiLCJhbGciOiJlZDI1NTE5LW5rZXkifQ.eyJzdWIiOiJVQkdLWUQzSUhOTjZEQkwzM0tZTTI0NTVTVlBDSk1HQjNDQjQ2WFQ3TU9YVDJZVDdBWUc3SFFDSyIsIm5hbWUiOiJmaXh0dXJlLXNjb3BlZCIsIm5hdHMiOnsiaXNzdWVyX2FjY291bnQiOiJBQVk0SDRSTjdUQTNMSUFRWEtZU0I1U1dBSUxDV05MN1RLRFc3SzNMWlZJQ1RCSlFTNk5SQ0NPNCIsInR5cGUiOiJ1c2VyIiwidmVyc2lvbiI6Mn0sImlzcyI6IkFEN1BMN1hZRjdWMjZLQUJBSVNQVE1ZR0VLVUI3NUk3N09XNkZWVU9YWkhXM0JHSVZBRUMzVzdUIiwiaWF0IjoxNzAwMDAwMDAwLCJqdGkiOiJPWlBERkJJNEozQVlVQlFXNkdFRVVYQlpFVjRVNE1ZU0NFR1pZRjUyUkdUM09PUlhZRVdBIn0.scr3CbzOUZL0NnDMfGqsFOBpzzEn80lQjw86pu7XJvcJNsft0xEpJvhHtiz32hSLuxXKek6XFq0kd6zjHq6lAg";
const PY_REVOKED: &str = "eyJ0eXAiOiJKV1QiLCJhbGciOiJlZDI1NTE5LW5rZXkifQ.eyJzdWIiOiJVQUZaUFJSTUtPUVZCREhaT0xFNks2QlRNSEozV1c2R0RJRVVHV0NHQkVZQjQySUJXNFVNQ1g2NCIsIm5hbWUiOiJmaXh0dXJlLXJldm9rZWQiLCJuYXRzIjp7InN1YnMiOi0xLCJkYXRhIjotMSwicGF5bG9hZCI6LTEsImlzc3Vlcl9hY2NvdW50IjoiQUFZNEg0Uk43VEEzTElBUVhLWVNCNVNXQUlMQ1dOTDdUS0RXN0szTFpWSUNUQkpRUzZOUkNDTzQiLCJ0eXBlIjoidXNlciIsInZlcnNpb24iOjJ9LCJpc3MiOiJBQkJENUpZUFdSREdYUVdQSFFWWVlLRFJFTFNHNUI0MlZLRVlETk1HQk5VR1JYM01KTkdaSVQ2NSIsImlhdCI6MTcwMDAwMDAwMCwianRpIjoiQ1RRRjdaM0xZRE1QVTU3SFZFVlJYR0FKWVJVRUtKUEZHSVRWU1RaTERCTUtLRVhRUTNVQSJ9.7hpja3mLkJXS0l9x6tHwZI2DQTRJKBc-4fK_wXdVLctQgwZzGCdiUKiwiNwX2wJBLIFr86YmuKFwXB-e480DDw";
const PY_STRANGER_USER: &str = "eyJ0eXAiOiJKV1QiLCJhbGciOiJlZDI1NTE5LW5rZXkifQ.eyJzdWIiOiJVQ043VVVEQ09WRlhMTllZNjdIWDdJTlBTVkpENFdCTlc0N1lRMkdSR0tTWFJDQ0ROTzYzT1pVTiIsIm5hbWUiOiJmaXh0dXJlLXN0cmFuZ2VyIiwibmF0cyI6eyJzdWJzIjotMSwiZGF0YSI6LTEsInBheWxvYWQiOi0xLCJ0eXBlIjoidXNlciIsInZlcnNpb24iOjJ9LCJpc3MiOiJBQ0Q3V0VKTUJKSUJXR1pYWVpYSzRHUk5EVlRFUkkyN1hFM05GU1dCNVhRQUdCNUVWTjRHRVpJVCIsImlhdCI6MTcwMDAwMDAwMCwianRpIjoiVkxJVVYyM09TWlBNSlNHSlhSM0lDVE5EM0lONFVBN1hENVAyWTZGUkpBSFdZVVlFUkQ3USJ9.Dr3e9JA3V4NV5nOKugWOuhhiWc3HArb3bgBBrVwpSaNeQ3YO3syj_Wai76T5h4rhdXTTPLex9CQ2wHWaZdbLAg";

#[test]
fn python_generated_jwts_decode_and_chain() {
    let operator = decode_operator(PY_OPERATOR).unwrap();
    assert_eq!(operator.claims.name, "fixture-op");
    assert!(operator.claims.is_self_signed());
    let account = decode_account(PY_ACCOUNT).unwrap();
    assert_eq!(account.claims.sub, PY_ACCOUNT_PUB);
    assert_eq!(account.claims.iss, operator.claims.sub);
    assert_eq!(account.claims.version, 2);
    assert_eq!(account.limits.conn, NO_LIMIT);
    assert!(account.limits.wildcards);
    assert_eq!(account.signing_keys.len(), 2);
    assert_eq!(
        account.revocations.values().copied().collect::<Vec<_>>(),
        [IAT]
    );
    let ops = [operator];
    let now = IAT + 1;

    let user = verify_user_chain(PY_USER, &account, &ops, now).unwrap();
    assert_eq!(user.user.claims.name, "fixture-user");
    assert_eq!(user.user.claims.iat, IAT);
    assert_eq!(
        user.limits().permissions.publish.allow,
        ["fixture.>", "_INBOX.>"]
    );
    assert_eq!(
        (user.limits().subs, user.limits().data),
        (NO_LIMIT, NO_LIMIT)
    );
    assert!(user.limits().check_src(ip("127.0.0.1")));
    assert!(user.limits().check_src(ip("::1")));
    assert!(!user.limits().check_src(ip("192.0.2.1")));

    let scoped = verify_user_chain(PY_SCOPED, &account, &ops, now).unwrap();
    let scope = scoped.scope.as_ref().unwrap();
    assert_eq!(scope.role, "svc");
    assert_eq!(scoped.limits().permissions.publish.allow, ["scoped.>"]);
    assert_eq!(scoped.limits().subs, NO_LIMIT);

    assert!(matches!(
        verify_user_chain(PY_EXPIRED, &account, &ops, now),
        Err(JwtError::Expired)
    ));
    assert!(matches!(
        verify_user_chain(PY_REVOKED, &account, &ops, now),
        Err(JwtError::Revoked)
    ));
    assert!(matches!(
        verify_user_chain(PY_STRANGER_USER, &account, &ops, now),
        Err(JwtError::AccountMismatch { .. })
    ));
    // jti is base32 of SHA-512/256: 52 characters, unchecked.
    assert_eq!(decode_user(PY_USER).unwrap().claims.jti.len(), 52);
}
