//! The `leafnodes` option: this server as a hub that leaf nodes dial into (the listener and
//! its authorization) and as a leaf of other servers (the remotes), as nats-server's
//! `leafnodes {}` block describes it. `Config::leafnodes` is `None` without the block.
//!
//! ```text
//! leafnodes: null | { host: "0.0.0.0", port: 7422 | null, advertise: "h:7422",
//!                     no_advertise: false, reconnect: 1.0,
//!                     authorization: { user, password, account, timeout,
//!                                      users: [{user, password, account}] },
//!                     tls: {..}, compression: "off",
//!                     remotes: [ { urls: ["nats-leaf://u:p@hub:7422"], account: "A",
//!                                  credentials: "/x.creds" | nkey: "SU...",
//!                                  tls: {cert_file?, key_file?, ca_file?, timeout,
//!                                        handshake_first},
//!                                  deny_imports: [], deny_exports: [], hub: false,
//!                                  no_randomize: false } ] }
//! ```
//!
//! `port: null` is a leaf-only server (nothing listens; nats-server's block without a
//! port). The Python layer reads nats-server's forms (`listen: "h:p"`, `url` or `urls`,
//! `-1` for a random port, Go durations) and hands the engine this one form.

use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::config_error::ConfigError;
use crate::forms::{seconds, strict_bool};
use crate::tls::TlsConfig;

/// The `leafnodes` option (see the module doc).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LeafNodeConfig {
    /// Interface of the leaf-node listener.
    pub host: String,
    /// Leaf-node port; 0 picks a free one; `None`: no listener (only remotes).
    pub port: Option<u16>,
    /// `host:port` leaf nodes should dial (sent to them in `leafnode_urls`).
    pub advertise: Option<String>,
    /// Do not tell leaf nodes of the other servers of this cluster.
    #[serde(deserialize_with = "strict_bool")]
    pub no_advertise: bool,
    /// Delay between attempts at a remote (nats-server's `reconnect`, 1 s).
    #[serde(with = "seconds")]
    pub reconnect: Duration,
    /// Who may dial in, and the account each one is bound to.
    pub authorization: Option<LeafAuth>,
    /// TLS on the listener.
    pub tls: Option<TlsConfig>,
    /// Compression: only `"off"` (or `"disabled"`/`"accept"`).
    pub compression: String,
    /// The hubs this server is a leaf of.
    pub remotes: Vec<RemoteLeaf>,
}

impl Default for LeafNodeConfig {
    fn default() -> Self {
        LeafNodeConfig {
            host: "0.0.0.0".to_string(),
            port: None,
            advertise: None,
            no_advertise: false,
            reconnect: Duration::from_secs(1),
            authorization: None,
            tls: None,
            compression: "off".to_string(),
            remotes: Vec::new(),
        }
    }
}

/// `leafnodes.authorization`: one user (with the account it binds to) or a users list.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LeafAuth {
    /// The single user.
    pub user: Option<String>,
    /// Its password (plain or bcrypt).
    pub password: Option<String>,
    /// The account the single user (or any leaf without credentials) is bound to.
    pub account: Option<String>,
    /// Time a leaf has to send its CONNECT.
    #[serde(with = "crate::forms::opt_seconds")]
    pub timeout: Option<Duration>,
    /// Several users, each with its account.
    pub users: Vec<LeafUser>,
}

/// One user of `leafnodes.authorization.users`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LeafUser {
    /// The user.
    pub user: String,
    /// Its password (plain or bcrypt).
    pub password: String,
    /// The account its leaf connection is bound to (`$G` when absent).
    #[serde(default)]
    pub account: Option<String>,
}

/// One remote: a hub this server dials as a leaf.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RemoteLeaf {
    /// The hub's URLs (`nats-leaf://[user:pw@]host:port`, `tls://`), tried in turn.
    pub urls: Vec<String>,
    /// The local account the connection is bound to (`$G` when absent).
    pub account: Option<String>,
    /// A `.creds` file: its user JWT is sent and its seed signs the hub's nonce.
    pub credentials: Option<PathBuf>,
    /// A user nkey seed (`SU...`) that signs the hub's nonce.
    pub nkey: Option<String>,
    /// TLS to the hub.
    pub tls: Option<RemoteTls>,
    /// Subjects not taken from the hub (its interest in them is not followed).
    pub deny_imports: Vec<String>,
    /// Subjects not sent to the hub.
    pub deny_exports: Vec<String>,
    /// This server is the hub of the connection (it dials, the other side is the leaf).
    #[serde(deserialize_with = "strict_bool")]
    pub hub: bool,
    /// Try `urls` in order instead of shuffled.
    #[serde(deserialize_with = "strict_bool")]
    pub no_randomize: bool,
}

/// TLS of a remote: all files optional (a certificate only when the hub verifies).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RemoteTls {
    /// This server's certificate chain, when the hub asks for one.
    pub cert_file: Option<PathBuf>,
    /// Its key.
    pub key_file: Option<PathBuf>,
    /// The CA that signed the hub's certificate (the system's roots without one).
    pub ca_file: Option<PathBuf>,
    /// Handshake time limit.
    #[serde(with = "seconds")]
    pub timeout: Duration,
    /// TLS before the hub's INFO.
    #[serde(deserialize_with = "strict_bool")]
    pub handshake_first: bool,
}

impl Default for RemoteTls {
    fn default() -> Self {
        RemoteTls {
            cert_file: None,
            key_file: None,
            ca_file: None,
            timeout: Duration::from_secs(2),
            handshake_first: false,
        }
    }
}

impl LeafNodeConfig {
    /// Start-up checks of the block (compression, URLs, credentials).
    pub(crate) fn check(&self) -> Result<(), ConfigError> {
        let invalid = |path: String, message: String| ConfigError::Invalid {
            path: format!("leafnodes.{path}"),
            message,
        };

        if !crate::route::config::is_uncompressed(&self.compression) {
            return Err(invalid(
                "compression".into(),
                format!(
                    "compression mode {:?} is not supported by fastnats (leaf connections are not compressed)",
                    self.compression
                ),
            ));
        }
        for (i, r) in self.remotes.iter().enumerate() {
            if r.urls.is_empty() {
                return Err(invalid(format!("remotes[{i}]"), "missing url".into()));
            }
            for (j, url) in r.urls.iter().enumerate() {
                crate::route::url::RouteUrl::parse_with_port(url, 7422)
                    .map_err(|e| invalid(format!("remotes[{i}].urls[{j}]"), e))?;
            }
            for (what, list) in [
                ("deny_imports", &r.deny_imports),
                ("deny_exports", &r.deny_exports),
            ] {
                let p = crate::auth::Permissions {
                    subscribe: Some(crate::auth::SubjectPermission {
                        allow: Vec::new(),
                        deny: list.clone(),
                    }),
                    ..crate::auth::Permissions::default()
                };
                crate::auth::CompiledPermissions::compile(&p)
                    .map_err(|e| invalid(format!("remotes[{i}].{what}"), e))?;
            }
            if r.credentials.is_some() && r.nkey.is_some() {
                return Err(invalid(
                    format!("remotes[{i}]"),
                    "Remote leafnode can not have both credentials and nkey configured".into(),
                ));
            }
        }
        Ok(())
    }
}
