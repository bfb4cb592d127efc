//! The `cluster` option: how this server joins a NATS cluster over routes, as nats-server's
//! `cluster {}` block describes it. `Config::cluster` is `None` when the server is alone.
//!
//! ```text
//! cluster: null | { name: "c1", host: "0.0.0.0", port: 6222, advertise: "h:6222",
//!                   routes: ["nats-route://user:pw@h2:6222"], no_advertise: false,
//!                   connect_retries: 0, connect_backoff: false,
//!                   authorization: { user, password, timeout },
//!                   tls: {..}, ping_interval: 120, ping_max: 2, write_deadline: 10,
//!                   pool_size: -1, compression: "off" }
//! ```
//!
//! The Python layer reads nats-server's forms (`listen: "h:p"`, `-1` for a random port, the
//! `--routes`/`--cluster*` flags, Go durations) and hands the engine this one form.
//!
//! Declined, as nats-server lets a server decline them: route pooling (fastnats opens one
//! route per peer and advertises no pool size, which 2.10+ peers accept; `pool_size` is
//! read and checked, and a positive value logs that it is not used) and compression
//! (`compression` may only be off; nats-server peers then send uncompressed).

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::config_error::ConfigError;
use crate::forms::{opt_seconds, seconds, strict_bool};
use crate::tls::TlsConfig;

/// The `cluster` option (see the module doc).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ClusterConfig {
    /// The cluster's name; empty: a random one, replaced by the first peer's (nats-server's
    /// dynamic cluster name).
    pub name: String,
    /// Interface of the route listener.
    pub host: String,
    /// Route port; 0 picks a free one.
    pub port: u16,
    /// `host:port` other servers should dial (gossiped in INFO) instead of the listener's.
    pub advertise: Option<String>,
    /// Route URLs to dial (`nats-route://[user:pw@]host:port`), retried for ever.
    pub routes: Vec<String>,
    /// Do not advertise this server's client URLs to clients of its peers.
    #[serde(deserialize_with = "strict_bool")]
    pub no_advertise: bool,
    /// Attempts at a route learned through gossip before giving it up (0: once).
    pub connect_retries: u32,
    /// Back off between dial attempts (doubling up to 30 s) instead of every second.
    #[serde(deserialize_with = "strict_bool")]
    pub connect_backoff: bool,
    /// The user and password peers must present (and this server presents when a route URL
    /// has none).
    pub authorization: Option<RouteAuth>,
    /// TLS on routes, both ways (`verify` makes peers present certificates).
    pub tls: Option<TlsConfig>,
    /// Keep-alive interval on routes; `None`: the server's `ping_interval`.
    #[serde(with = "opt_seconds")]
    pub ping_interval: Option<Duration>,
    /// Unanswered PINGs before a route is stale; `None`: the server's `ping_max`.
    pub ping_max: Option<u32>,
    /// Longest one route write may take; `None`: the server's `write_deadline`.
    #[serde(with = "opt_seconds")]
    pub write_deadline: Option<Duration>,
    /// nats-server's route pool size: read and checked, not used (see the module doc).
    pub pool_size: i64,
    /// Route compression: only `"off"` (or `"disabled"`/`"accept"`, which come to the same
    /// here); any other mode is refused.
    pub compression: String,
}

impl Default for ClusterConfig {
    fn default() -> Self {
        ClusterConfig {
            name: String::new(),
            host: "0.0.0.0".to_string(),
            port: 6222,
            advertise: None,
            routes: Vec::new(),
            no_advertise: false,
            connect_retries: 0,
            connect_backoff: false,
            authorization: None,
            tls: None,
            ping_interval: None,
            ping_max: None,
            write_deadline: None,
            pool_size: -1,
            compression: "off".to_string(),
        }
    }
}

/// The credentials of a cluster (`cluster.authorization`): one user, as nats-server allows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RouteAuth {
    /// The user peers present.
    pub user: String,
    /// Its password (plain or bcrypt).
    pub password: String,
    /// How long a dialling peer has to send its CONNECT.
    #[serde(default = "default_auth_timeout", with = "seconds")]
    pub timeout: Duration,
}

fn default_auth_timeout() -> Duration {
    Duration::from_secs(2)
}

/// Compression modes that mean "no compression" (nats-server's `off`, `disabled`, and
/// `accept`, which compresses only when the peer asks; fastnats never asks or answers).
const UNCOMPRESSED: [&str; 4] = ["off", "disabled", "accept", ""];

/// Whether a `compression` setting means no compression.
pub(crate) fn is_uncompressed(mode: &str) -> bool {
    UNCOMPRESSED.contains(&mode.to_ascii_lowercase().as_str())
}

impl ClusterConfig {
    /// nats-server's start-up checks of the block (names, compression, URLs).
    pub(crate) fn check(&self) -> Result<(), ConfigError> {
        let invalid = |path: &str, message: String| ConfigError::Invalid {
            path: format!("cluster.{path}"),
            message,
        };
        if self.name.contains([' ', '\t', '\r', '\n']) {
            return Err(invalid(
                "name",
                "Cluster name cannot contain spaces or new lines".into(),
            ));
        }
        if !is_uncompressed(&self.compression) {
            return Err(invalid(
                "compression",
                format!(
                    "compression mode {:?} is not supported by fastnats (routes are not compressed)",
                    self.compression
                ),
            ));
        }
        for (i, url) in self.routes.iter().enumerate() {
            crate::route::url::RouteUrl::parse(url)
                .map_err(|e| invalid(&format!("routes[{i}]"), e))?;
        }
        Ok(())
    }
}
