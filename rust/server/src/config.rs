//! The one server configuration. Every default lives here, in [`Config::default`]; the Python
//! layer reads them through the bindings and never writes them a second time.

use std::time::Duration;

use fastnats_proto::limits::{DEFAULT_MAX_CONTROL_LINE, DEFAULT_MAX_PAYLOAD};

use crate::auth::{AuthConfig, Authorizer};
use crate::tls::TlsConfig;

/// The nats-server release whose client-facing behaviour fastnats matches. Sent as `version`
/// in INFO, because clients gate features on it (headers, no-responders need ≥ 2.2).
pub const COMPATIBLE_NATS_VERSION: &str = "2.10.0";

/// Everything the engine needs to run.
#[derive(Debug, Clone, PartialEq)]
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
    pub ping_interval: Duration,
    /// Unanswered server PINGs tolerated before `Stale Connection`.
    pub ping_max: u32,
    /// Time one socket write may take before the client is a slow consumer.
    pub write_deadline: Duration,
    /// Runtime worker threads; 0 means one per core.
    pub worker_threads: usize,
    /// Advertise `headers:false` and refuse HPUB.
    pub no_header_support: bool,
    /// Turn off the shared subject-match cache (nats-server's `disable_sublist_cache`).
    pub disable_sublist_cache: bool,
    /// How long [`crate::Server::stop`] waits for connections to flush before dropping them.
    pub shutdown_grace: Duration,
    /// Client authentication and permissions (none by default).
    pub auth: AuthConfig,
    /// TLS for client connections (off by default).
    pub tls: Option<TlsConfig>,
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
        }
    }
}

/// A configuration the server cannot run with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError(pub String);

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ConfigError {}

impl Config {
    /// The checks nats-server makes at startup.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.max_payload == 0 {
            return Err(ConfigError("max_payload must be greater than 0".into()));
        }
        if self.max_payload > self.max_pending {
            return Err(ConfigError(format!(
                "max_payload ({}) can not be higher than max_pending ({})",
                self.max_payload, self.max_pending
            )));
        }
        if self.max_control_line == 0 {
            return Err(ConfigError(
                "max_control_line must be greater than 0".into(),
            ));
        }
        if self.ping_interval.is_zero() {
            return Err(ConfigError("ping_interval must be greater than 0".into()));
        }
        if self.write_deadline.is_zero() {
            return Err(ConfigError("write_deadline must be greater than 0".into()));
        }
        Authorizer::new(&self.auth).map_err(ConfigError)?;
        if let Some(tls) = &self.tls {
            crate::tls::server_config(tls).map_err(ConfigError)?;
        }
        Ok(())
    }
}
