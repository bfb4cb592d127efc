//! The one server configuration. Every default lives here, in [`Config::default`]; the Python
//! layer reads them through the bindings and never writes them a second time.
//!
//! A `Config` crosses the FFI with serde: [`Config::from_deserializer`] reads it (from a
//! Python dict in the bindings) and refuses unknown keys anywhere in it, naming the path;
//! `Serialize` gives back the same keys. [`Config::compile`] checks it and builds what it
//! needs (the authorizer, the TLS acceptor) once, for a start or a reload.

use std::collections::BTreeMap;
use std::time::Duration;

use fastnats_proto::limits::{DEFAULT_MAX_CONTROL_LINE, DEFAULT_MAX_PAYLOAD};
use serde::{Deserialize, Deserializer, Serialize};

use crate::account::Accounts;
use crate::auth::AuthConfig;
pub use crate::config_error::ConfigError;
use crate::forms::{null_as_default, seconds, strict_bool};
pub use crate::jetstream_config::{JetStreamConfig, JetStreamSync};
pub use crate::leaf::config::{LeafAuth, LeafNodeConfig, LeafUser, RemoteLeaf, RemoteTls};
use crate::operator::ResolverConfig;
pub use crate::route::config::{ClusterConfig, RouteAuth};
use crate::tls::TlsConfig;
pub use crate::ws::config::{WebsocketAuth, WebsocketConfig};

/// The nats-server release whose client-facing behaviour fastnats matches. Sent as `version`
/// in INFO, because clients gate features on it (headers, no-responders need ≥ 2.2).
pub const COMPATIBLE_NATS_VERSION: &str = "2.10.0";

/// Everything the engine needs to run. Durations cross serialization as float seconds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Interface to listen on.
    pub host: String,
    /// Client port; 0 picks a free one (read it back from [`crate::Server::port`]).
    pub port: u16,
    /// `server_name` in INFO; empty means the server id.
    pub server_name: String,
    /// Largest accepted payload (headers included), advertised in INFO.
    pub max_payload: usize,
    /// Longest accepted control-line argument part.
    pub max_control_line: usize,
    /// Outbound bytes queued for one client before it is closed as a slow consumer.
    pub max_pending: usize,
    /// Connections served at once; more get INFO and `-ERR 'maximum connections exceeded'`.
    pub max_connections: usize,
    /// Subscriptions per connection; 0 means unlimited.
    pub max_subscriptions: usize,
    /// Interval of the server's keep-alive PINGs to idle clients.
    #[serde(with = "seconds")]
    pub ping_interval: Duration,
    /// Unanswered server PINGs tolerated before `Stale Connection`.
    pub ping_max: u32,
    /// Time one socket write may take before the client is a slow consumer.
    #[serde(with = "seconds")]
    pub write_deadline: Duration,
    /// Runtime worker threads; 0 means one per core.
    pub worker_threads: usize,
    /// Advertise `headers:false` and refuse HPUB.
    #[serde(deserialize_with = "strict_bool")]
    pub no_header_support: bool,
    /// Turn off the shared subject-match cache (nats-server's `disable_sublist_cache`).
    #[serde(deserialize_with = "strict_bool")]
    pub disable_sublist_cache: bool,
    /// How long [`crate::Server::stop`] waits for connections to flush before dropping them.
    #[serde(with = "seconds")]
    pub shutdown_grace: Duration,
    /// Client authentication and permissions (none by default; `null` means none).
    #[serde(rename = "authorization", deserialize_with = "null_as_default")]
    pub auth: AuthConfig,
    /// TLS for client connections (off by default).
    pub tls: Option<TlsConfig>,
    /// With `tls`: plain clients too on the client port (`allow_non_tls`). INFO then says
    /// `tls_available` instead of `tls_required`, and the first bytes a client sends after
    /// INFO tell which it is (a TLS ClientHello starts with 0x16). Ignored with
    /// `handshake_first`, which always requires TLS, as in nats-server.
    #[serde(deserialize_with = "strict_bool")]
    pub allow_non_tls: bool,
    /// Accounts by name (nats-server's `accounts { }`), with their users, exports and
    /// imports; clients of other users join the global account `$G`.
    #[serde(deserialize_with = "null_as_default")]
    pub accounts: Accounts,
    /// The account of the server's own services (`system_account`); `None` means `$SYS`
    /// unless `no_system_account`.
    pub system_account: Option<String>,
    /// No system account at all (`no_system_account`).
    #[serde(deserialize_with = "strict_bool")]
    pub no_system_account: bool,
    /// Operator mode: the trusted operators' JWTs, each a file (decorated or bare) or the
    /// JWT itself (nats-server's `operator`; a string or a list).
    #[serde(deserialize_with = "crate::operator::one_or_many")]
    pub operator: Vec<String>,
    /// Operator mode without operator JWTs: trusted operator public keys (`trusted`).
    #[serde(deserialize_with = "crate::operator::one_or_many")]
    pub trusted_keys: Vec<String>,
    /// The account resolver of operator mode (`"MEMORY"` or `{type: full|cache, dir}`).
    #[serde(deserialize_with = "crate::operator::resolver_form")]
    pub resolver: Option<ResolverConfig>,
    /// Account JWTs by account public key (`resolver_preload`).
    #[serde(deserialize_with = "null_as_default")]
    pub resolver_preload: BTreeMap<String, String>,
    /// JetStream's settings; `None` (the default) is JetStream off.
    pub jetstream: Option<JetStreamConfig>,
    /// Cluster routes (nats-server's `cluster {}`); `None` (the default): no cluster.
    pub cluster: Option<ClusterConfig>,
    /// Leaf nodes (nats-server's `leafnodes {}`); `None` (the default): none.
    pub leafnodes: Option<LeafNodeConfig>,
    /// WebSocket clients (nats-server's `websocket {}`); `None` (the default): none.
    pub websocket: Option<WebsocketConfig>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            host: "0.0.0.0".to_string(),
            port: 4222,
            server_name: String::new(),
            max_payload: DEFAULT_MAX_PAYLOAD,
            max_control_line: DEFAULT_MAX_CONTROL_LINE,
            max_pending: 64 * 1024 * 1024,
            max_connections: 64 * 1024,
            max_subscriptions: 0,
            ping_interval: Duration::from_secs(120),
            ping_max: 2,
            write_deadline: Duration::from_secs(10),
            worker_threads: 0,
            no_header_support: false,
            disable_sublist_cache: false,
            shutdown_grace: Duration::from_secs(5),
            auth: AuthConfig::default(),
            tls: None,
            allow_non_tls: false,
            accounts: Accounts::new(),
            system_account: None,
            no_system_account: false,
            operator: Vec::new(),
            trusted_keys: Vec::new(),
            resolver: None,
            resolver_preload: BTreeMap::new(),
            jetstream: None,
            cluster: None,
            leafnodes: None,
            websocket: None,
        }
    }
}

/// nats-server's name for the system account when none is configured.
pub const DEFAULT_SYSTEM_ACCOUNT: &str = "$SYS";

impl Config {
    /// The system account's name: `system_account`, else `$SYS`; `None` with
    /// `no_system_account`.
    pub fn system_account_name(&self) -> Option<&str> {
        if self.no_system_account {
            return None;
        }
        Some(
            self.system_account
                .as_deref()
                .filter(|s| !s.is_empty())
                .unwrap_or(DEFAULT_SYSTEM_ACCOUNT),
        )
    }

    /// Reads a config from any serde source (the bindings pass a Python dict): unknown keys
    /// are refused everywhere, and an error names its path
    /// (`authorization.users[0].permissions: unknown key "publsh"`).
    pub fn from_deserializer<'de, D>(source: D) -> Result<Config, ConfigError>
    where
        D: Deserializer<'de>,
        D::Error: std::fmt::Display,
    {
        crate::config_error::deserialize("", source)
    }

    /// nats-server's start-up checks of the limits (and of the JetStream domain). The rest (authorization rules, TLS
    /// files) is checked by [`Config::compile`], which builds what they describe.
    pub(crate) fn check_limits(&self) -> Result<(), ConfigError> {
        let positive = |key, v: bool| {
            if v {
                Ok(())
            } else {
                Err(ConfigError::NotPositive { key })
            }
        };
        positive("max_payload", self.max_payload > 0)?;
        if self.max_payload > self.max_pending {
            return Err(ConfigError::PayloadOverPending {
                max_payload: self.max_payload,
                max_pending: self.max_pending,
            });
        }
        positive("max_control_line", self.max_control_line > 0)?;
        positive("ping_interval", !self.ping_interval.is_zero())?;
        positive("write_deadline", !self.write_deadline.is_zero())?;
        if let Some(cluster) = &self.cluster {
            cluster.check()?;
        }
        if let Some(leafnodes) = &self.leafnodes {
            leafnodes.check()?;
        }
        if let Some(ws) = &self.websocket {
            let account_users = self.accounts.values().map(|a| &a.users);
            let has_users = !self.auth.users.is_empty()
                || !self.auth.nkeys.is_empty()
                || account_users
                    .clone()
                    .any(|u| !u.users.is_empty() || !u.nkeys.is_empty());
            let user_exists = |name: &str| {
                self.auth.users.iter().any(|u| u.user == name)
                    || self.auth.nkeys.iter().any(|n| n.nkey == name)
                    || account_users.clone().any(|a| {
                        a.users.iter().any(|u| u.user == name)
                            || a.nkeys.iter().any(|n| n.nkey == name)
                    })
            };
            let trusted = !self.operator.is_empty() || !self.trusted_keys.is_empty();
            ws.check(has_users, &user_exists, trusted)?;
        }
        self.jetstream
            .as_ref()
            .map_or(Ok(()), JetStreamConfig::check)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// JSON parsed first: serde_json's own deserializer adds "at line 1 column N" to errors.
    fn json_value(json: &str) -> serde_json::Value {
        serde_json::from_str(json).unwrap()
    }

    fn from_json(json: &str) -> Result<Config, ConfigError> {
        Config::from_deserializer(json_value(json))
    }

    #[test]
    fn empty_is_default_and_default_round_trips() {
        assert_eq!(from_json("{}").unwrap(), Config::default());
        let json = serde_json::to_string(&Config::default()).unwrap();
        assert_eq!(from_json(&json).unwrap(), Config::default());
        let v: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(v["ping_interval"], 120.0);
        assert_eq!(v["port"], 4222);
        assert_eq!(v["tls"], serde_json::Value::Null);
        assert_eq!(v["jetstream"], serde_json::Value::Null);
        assert_eq!(v["authorization"]["timeout"], 2.0);
        assert_eq!(v["authorization"]["users"], serde_json::json!([]));
    }

    #[test]
    fn values_and_paths() {
        let c = from_json(
            r#"{"port": 0, "ping_interval": 0.5, "authorization": null,
                "tls": {"cert_file": "c.pem", "key_file": "k.pem", "timeout": 1}}"#,
        )
        .unwrap();
        assert_eq!(c.ping_interval, Duration::from_millis(500));
        assert_eq!(c.auth, AuthConfig::default());
        let tls = c.tls.unwrap();
        assert_eq!(tls.timeout, Duration::from_secs(1));
        assert!(!tls.verify && tls.ca_file.is_none());

        let e = from_json(r#"{"tls": {"cert_file": "c", "key_file": "k", "verfy": true}}"#);
        assert_eq!(e.unwrap_err().to_string(), r#"tls: unknown key "verfy""#);
        let e = from_json(r#"{"tls": {"cert_file": "c"}}"#);
        assert_eq!(e.unwrap_err().to_string(), r#"tls: missing key "key_file""#);
        let e = from_json(r#"{"tls": {"cert_file": "c", "key_file": "k", "verify": "no"}}"#);
        assert!(e
            .unwrap_err()
            .to_string()
            .starts_with("tls.verify: invalid type"));
        let e = from_json(r#"{"port": 70000}"#).unwrap_err();
        assert!(e.to_string().starts_with("port: invalid value"), "{e}");
        let e = from_json(r#"{"max_payloads": 1}"#).unwrap_err();
        assert_eq!(e.to_string(), r#"unknown key "max_payloads""#);
        let e = from_json(r#"{"authorization": {"userz": [{"user": "a", "password": "b"}]}}"#);
        assert_eq!(
            e.unwrap_err().to_string(),
            r#"authorization: unknown key "userz""#
        );
    }

    #[test]
    fn limits() {
        let bad = |c: Config| c.check_limits().unwrap_err().to_string();
        assert_eq!(
            bad(Config {
                max_payload: 0,
                ..Config::default()
            }),
            "max_payload must be greater than 0"
        );
        assert_eq!(
            bad(Config {
                max_payload: 10,
                max_pending: 5,
                ..Config::default()
            }),
            "max_payload (10) can not be higher than max_pending (5)"
        );
        assert!(Config::default().check_limits().is_ok());
    }

    #[test]
    fn jetstream_is_off_unless_given() {
        assert_eq!(from_json(r#"{"jetstream": null}"#).unwrap().jetstream, None);
        let c = from_json(r#"{"jetstream": {"domain": "hub"}}"#).unwrap();
        let js = c.jetstream.as_ref().unwrap();
        assert_eq!(js.domain.as_deref(), Some("hub"));
        assert_eq!(js.sync, JetStreamSync::Always);
        assert!(c.check_limits().is_ok());
        let e = from_json(r#"{"jetstream": {"max_mem": 1}}"#).unwrap_err();
        assert_eq!(e.to_string(), r#"jetstream: unknown key "max_mem""#);
        let c = from_json(r#"{"jetstream": {"domain": "a.b"}}"#).unwrap();
        assert_eq!(
            c.check_limits().unwrap_err().to_string(),
            "invalid domain name: may not contain ., * or >"
        );
    }
}
