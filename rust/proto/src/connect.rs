//! The CONNECT document.
//!
//! nats-server decodes CONNECT JSON *on top of* the connection's current options, so a key
//! that is absent keeps its previous value, and the initial values of `verbose`, `pedantic`
//! and `echo` are `true` (a hand-written `CONNECT {}` turns on `+OK` acks). [`ConnectOptions`]
//! is the decoded document with every key optional; [`ConnectInfo::apply`] merges it.

use serde::Deserialize;

/// The keys of one CONNECT document, each `None` when absent.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct ConnectOptions {
    pub verbose: Option<bool>,
    pub pedantic: Option<bool>,
    pub echo: Option<bool>,
    pub tls_required: Option<bool>,
    pub auth_token: Option<String>,
    pub user: Option<String>,
    pub pass: Option<String>,
    pub nkey: Option<String>,
    pub sig: Option<String>,
    pub jwt: Option<String>,
    pub name: Option<String>,
    pub lang: Option<String>,
    pub version: Option<String>,
    pub protocol: Option<i64>,
    pub headers: Option<bool>,
    pub no_responders: Option<bool>,
    /// Legacy; its presence fails authentication, as in nats-server.
    pub account: Option<serde_json::Value>,
    /// Legacy; its presence fails authentication, as in nats-server.
    pub new_account: Option<serde_json::Value>,
}

impl ConnectOptions {
    /// Decodes the JSON argument of CONNECT. An error means nats-server would close the
    /// connection without an `-ERR`.
    pub fn from_json(json: &[u8]) -> Result<Self, serde_json::Error> {
        serde_json::from_slice(json)
    }
}

/// A connection's effective CONNECT state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectInfo {
    pub verbose: bool,
    pub pedantic: bool,
    pub echo: bool,
    pub tls_required: bool,
    pub auth_token: Option<String>,
    pub user: Option<String>,
    pub pass: Option<String>,
    pub nkey: Option<String>,
    pub sig: Option<String>,
    pub jwt: Option<String>,
    pub name: String,
    pub lang: String,
    pub version: String,
    pub protocol: i64,
    pub headers: bool,
    pub no_responders: bool,
    /// Whether a legacy `account`/`new_account` key was ever sent.
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
        self.legacy_account |= o.account.is_some() || o.new_account.is_some();
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
