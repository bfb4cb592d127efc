//! The CONNECT document.
//!
//! nats-server decodes CONNECT JSON *on top of* the connection's current options, so a key
//! that is absent keeps its previous value, and the initial values of `verbose`, `pedantic`
//! and `echo` are `true` (a hand-written `CONNECT {}` turns on `+OK` acks). [`ConnectOptions`]
//! is the decoded document with every key optional; [`ConnectInfo::apply`] merges it.
//!
//! Decoding follows Go's `encoding/json` into nats-server's `ClientOpts`, because what it
//! accepts and what it refuses decides whether a client stays connected:
//! - keys match case-insensitively (Go folds case: `"Verbose"` and `"VERBOSE"` set `verbose`);
//! - a repeated key is not an error: the last non-null value wins;
//! - `null`, for a key or for the whole document, changes nothing;
//! - unknown keys are ignored; a known key with the wrong JSON type is an error;
//! - bytes that are not UTF-8 inside strings are replaced (Go decodes them as U+FFFD);
//! - `account` / `new_account` only count when set: a non-empty `account` or a true
//!   `new_account` fails authentication, `"account":""` and `"new_account":false` do not.

use serde::de::{self, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde::Deserialize;
use std::fmt;

/// The keys of one CONNECT document, each `None` when absent (or `null`).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ConnectOptions {
    /// `verbose`, as [`ConnectInfo::verbose`] describes it.
    pub verbose: Option<bool>,
    /// `pedantic`, as [`ConnectInfo::pedantic`] describes it.
    pub pedantic: Option<bool>,
    /// `echo`, as [`ConnectInfo::echo`] describes it.
    pub echo: Option<bool>,
    /// `tls_required`, as [`ConnectInfo::tls_required`] describes it.
    pub tls_required: Option<bool>,
    /// `auth_token`, as [`ConnectInfo::auth_token`] describes it.
    pub auth_token: Option<String>,
    /// `user`, as [`ConnectInfo::user`] describes it.
    pub user: Option<String>,
    /// `pass`, as [`ConnectInfo::pass`] describes it.
    pub pass: Option<String>,
    /// `nkey`, as [`ConnectInfo::nkey`] describes it.
    pub nkey: Option<String>,
    /// `sig`, as [`ConnectInfo::sig`] describes it.
    pub sig: Option<String>,
    /// `jwt`, as [`ConnectInfo::jwt`] describes it.
    pub jwt: Option<String>,
    /// `name`, as [`ConnectInfo::name`] describes it.
    pub name: Option<String>,
    /// `lang`, as [`ConnectInfo::lang`] describes it.
    pub lang: Option<String>,
    /// `version`, as [`ConnectInfo::version`] describes it.
    pub version: Option<String>,
    /// `protocol`, as [`ConnectInfo::protocol`] describes it.
    pub protocol: Option<i64>,
    /// `headers`, as [`ConnectInfo::headers`] describes it.
    pub headers: Option<bool>,
    /// `no_responders`, as [`ConnectInfo::no_responders`] describes it.
    pub no_responders: Option<bool>,
    /// Legacy; a non-empty value fails authentication, as in nats-server.
    pub account: Option<String>,
    /// Legacy; `true` fails authentication, as in nats-server.
    pub new_account: Option<bool>,
}

impl ConnectOptions {
    /// Decodes the JSON argument of CONNECT.
    ///
    /// # Errors
    ///
    /// JSON that does not parse, or a known key with the wrong JSON type (Go's decoder
    /// refuses both): nats-server would close the connection without an `-ERR`.
    pub fn from_json(json: &[u8]) -> Result<Self, serde_json::Error> {
        match std::str::from_utf8(json) {
            Ok(s) => serde_json::from_str(s),
            // Go replaces invalid UTF-8 with U+FFFD instead of failing; outside a string the
            // replacement character is still a syntax error, as it is for Go.
            Err(_) => serde_json::from_str(&String::from_utf8_lossy(json)),
        }
    }

    /// Whether the legacy account keys ask for something nats-server refuses.
    #[must_use]
    pub fn wants_legacy_account(&self) -> bool {
        self.account.as_deref().is_some_and(|a| !a.is_empty()) || self.new_account == Some(true)
    }
}

/// Go's `encoding/json` key matching: ASCII case folding, plus the two non-ASCII characters
/// whose simple case fold is an ASCII letter (U+017F long s, U+212A Kelvin sign).
fn fold_eq(key: &str, field: &str) -> bool {
    let mut k = key.chars().map(|c| match c {
        '\u{17F}' => 's',
        '\u{212A}' => 'k',
        c => c.to_ascii_lowercase(),
    });
    let mut f = field.chars();
    loop {
        match (k.next(), f.next()) {
            (None, None) => return true,
            (Some(a), Some(b)) if a == b => {}
            _ => return false,
        }
    }
}

impl<'de> Deserialize<'de> for ConnectOptions {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(OptionsVisitor)
    }
}

struct OptionsVisitor;

impl<'de> Visitor<'de> for OptionsVisitor {
    type Value = ConnectOptions;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a CONNECT JSON object")
    }

    /// `CONNECT null`: Go leaves the options untouched.
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(ConnectOptions::default())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        /// A present, non-null value replaces the previous one; `null` changes nothing.
        fn put<'de, T: Deserialize<'de>, A: MapAccess<'de>>(
            map: &mut A,
            dst: &mut Option<T>,
        ) -> Result<(), A::Error> {
            if let Some(v) = map.next_value::<Option<T>>()? {
                *dst = Some(v);
            }
            Ok(())
        }
        let mut o = ConnectOptions::default();
        while let Some(key) = map.next_key::<String>()? {
            let k = key.as_str();
            if fold_eq(k, "verbose") {
                put(&mut map, &mut o.verbose)?;
            } else if fold_eq(k, "pedantic") {
                put(&mut map, &mut o.pedantic)?;
            } else if fold_eq(k, "echo") {
                put(&mut map, &mut o.echo)?;
            } else if fold_eq(k, "tls_required") {
                put(&mut map, &mut o.tls_required)?;
            } else if fold_eq(k, "auth_token") {
                put(&mut map, &mut o.auth_token)?;
            } else if fold_eq(k, "user") {
                put(&mut map, &mut o.user)?;
            } else if fold_eq(k, "pass") {
                put(&mut map, &mut o.pass)?;
            } else if fold_eq(k, "nkey") {
                put(&mut map, &mut o.nkey)?;
            } else if fold_eq(k, "sig") {
                put(&mut map, &mut o.sig)?;
            } else if fold_eq(k, "jwt") {
                put(&mut map, &mut o.jwt)?;
            } else if fold_eq(k, "name") {
                put(&mut map, &mut o.name)?;
            } else if fold_eq(k, "lang") {
                put(&mut map, &mut o.lang)?;
            } else if fold_eq(k, "version") {
                put(&mut map, &mut o.version)?;
            } else if fold_eq(k, "protocol") {
                put(&mut map, &mut o.protocol)?;
            } else if fold_eq(k, "headers") {
                put(&mut map, &mut o.headers)?;
            } else if fold_eq(k, "no_responders") {
                put(&mut map, &mut o.no_responders)?;
            } else if fold_eq(k, "account") {
                put(&mut map, &mut o.account)?;
            } else if fold_eq(k, "new_account") {
                put(&mut map, &mut o.new_account)?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(o)
    }
}

/// A connection's effective CONNECT state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectInfo {
    /// Acknowledge every op with `+OK` (nats-server starts with it on; clients send `false`).
    pub verbose: bool,
    /// Check PUB subjects strictly: a wildcard gets `-ERR 'Invalid Publish Subject'` (the
    /// message is still delivered, as nats-server does).
    pub pedantic: bool,
    /// Deliver the connection's own messages back to its matching subscriptions.
    pub echo: bool,
    /// The client requires TLS (the listener's TLS settings decide what happens).
    pub tls_required: bool,
    /// The token to check against the configured one (never logged).
    pub auth_token: Option<String>,
    /// The user name for user/password authentication.
    pub user: Option<String>,
    /// The password for user/password authentication (never logged).
    pub pass: Option<String>,
    /// The client's public nkey, for nkey authentication.
    pub nkey: Option<String>,
    /// The client's signature of the INFO `nonce` with its nkey (base64url or base64).
    pub sig: Option<String>,
    /// A user JWT (decentralized auth, which fastnats refuses by name).
    pub jwt: Option<String>,
    /// The client's name, shown in `/connz` and in logs.
    pub name: String,
    /// The client library's language, shown in `/connz`.
    pub lang: String,
    /// The client library's version, shown in `/connz`.
    pub version: String,
    /// 0 (original) or 1 (dynamic reconfiguration aware); other values are refused.
    pub protocol: i64,
    /// The client understands `HPUB`/`HMSG`; without it headers are stripped on delivery.
    pub headers: bool,
    /// Answer a request with no subscribers with a 503 status (needs `headers`).
    pub no_responders: bool,
    /// Whether a CONNECT ever carried a non-empty `account` or a true `new_account`.
    pub legacy_account: bool,
}

impl Default for ConnectInfo {
    /// The state before any CONNECT: nats-server's initial client options.
    fn default() -> Self {
        ConnectInfo {
            verbose: true,
            pedantic: true,
            echo: true,
            tls_required: false,
            auth_token: None,
            user: None,
            pass: None,
            nkey: None,
            sig: None,
            jwt: None,
            name: String::new(),
            lang: String::new(),
            version: String::new(),
            protocol: 0,
            headers: false,
            no_responders: false,
            legacy_account: false,
        }
    }
}

impl ConnectInfo {
    /// Merges one CONNECT document into this state: present keys win, absent keys stay.
    pub fn apply(&mut self, o: ConnectOptions) {
        fn set<T>(dst: &mut T, v: Option<T>) {
            if let Some(v) = v {
                *dst = v;
            }
        }
        fn set_opt<T>(dst: &mut Option<T>, v: Option<T>) {
            if v.is_some() {
                *dst = v;
            }
        }
        self.legacy_account |= o.wants_legacy_account();
        set(&mut self.verbose, o.verbose);
        set(&mut self.pedantic, o.pedantic);
        set(&mut self.echo, o.echo);
        set(&mut self.tls_required, o.tls_required);
        set_opt(&mut self.auth_token, o.auth_token);
        set_opt(&mut self.user, o.user);
        set_opt(&mut self.pass, o.pass);
        set_opt(&mut self.nkey, o.nkey);
        set_opt(&mut self.sig, o.sig);
        set_opt(&mut self.jwt, o.jwt);
        set(&mut self.name, o.name);
        set(&mut self.lang, o.lang);
        set(&mut self.version, o.version);
        set(&mut self.protocol, o.protocol);
        set(&mut self.headers, o.headers);
        set(&mut self.no_responders, o.no_responders);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absent_keys_keep_defaults() {
        let mut c = ConnectInfo::default();
        c.apply(ConnectOptions::from_json(b"{}").unwrap());
        assert!(c.verbose && c.pedantic && c.echo && !c.headers);
        c.apply(ConnectOptions::from_json(br#"{"verbose":false,"headers":true}"#).unwrap());
        assert!(!c.verbose && c.pedantic && c.headers);
        c.apply(ConnectOptions::from_json(br#"{"name":"x"}"#).unwrap());
        assert!(!c.verbose && c.headers);
        assert_eq!(c.name, "x");
    }

    #[test]
    fn bad_json_and_bad_types_fail() {
        assert!(ConnectOptions::from_json(b"{").is_err());
        assert!(ConnectOptions::from_json(br#"{"verbose":"yes"}"#).is_err());
        assert!(ConnectOptions::from_json(b"").is_err());
    }
}
