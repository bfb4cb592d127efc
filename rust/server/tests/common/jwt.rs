//! Builders of operator, account and user JWTs for the operator-mode tests, in one copy for
//! both kinds of test: the integration tests reach it as `common::jwt` (`tests/operator.rs`),
//! and the JWT module's unit tests (`src/jwt/tests.rs`) include this same file with
//! `#[path]`.
//!
//! A shared file rather than a `test-util` feature of the crate: it needs nothing from the
//! crate itself (only base64, nkeys and serde_json, which both kinds of test can use), so
//! both compile it as it is, with no feature, no self dev-dependency and nothing test-only
//! in the library. That is also why it signs with its own base64 call: the crate is
//! `crate` in one and `fastnats_server` in the other.
#![allow(dead_code, clippy::unwrap_used)]

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use nkeys::KeyPair;
use serde_json::{json, Value};

/// The `iat` of the JWTs built here, unless the claims give one.
pub const IAT: i64 = 1_700_000_000;

/// A JWT part: base64url without padding.
fn part(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// A v2 JWT of `claims` (`nats.type`/`version` set from `kind`), issued by `signer`.
pub fn jwt_v2(kind: &str, mut claims: Value, signer: &KeyPair) -> String {
    claims["iss"] = json!(signer.public_key());
    if claims.get("iat").is_none() {
        claims["iat"] = json!(IAT);
    }
    claims["nats"]["type"] = json!(kind);
    claims["nats"]["version"] = json!(2);
    let header = part(br#"{"typ":"JWT","alg":"ed25519-nkey"}"#);
    let signed = format!("{header}.{}", part(claims.to_string().as_bytes()));
    let sig = signer.sign(signed.as_bytes()).unwrap();
    format!("{signed}.{}", part(&sig))
}

/// Account limits with nothing limited.
pub fn unlimited() -> Value {
    json!({"subs": -1, "data": -1, "payload": -1, "imports": -1, "exports": -1,
           "wildcards": true, "conn": -1, "leaf": -1})
}

/// An operator and its self-signed JWT (named `op`).
pub struct Op {
    /// The operator's key pair.
    pub key: KeyPair,
    /// Its JWT.
    pub jwt: String,
}

impl Op {
    /// A fresh operator.
    pub fn new() -> Op {
        let key = KeyPair::new_operator();
        let jwt = jwt_v2(
            "operator",
            json!({"sub": key.public_key(), "name": "op", "nats": {}}),
            &key,
        );
        Op { key, jwt }
    }

    /// The JWT of account `acc` named `name`, signed by this operator; `nats` may set
    /// `limits` (else unlimited).
    pub fn account(&self, acc: &KeyPair, name: &str, mut nats: Value) -> String {
        if nats.get("limits").is_none() {
            nats["limits"] = unlimited();
        }
        jwt_v2(
            "account",
            json!({"sub": acc.public_key(), "name": name, "nats": nats}),
            &self.key,
        )
    }
}
