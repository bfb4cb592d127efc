//! The `websocket` option: nats-server's `websocket {}` block, a listener of its own for
//! clients that speak NATS over WebSocket (browsers, nats.ws, nats-py's WebSocket transport).
//! `Config::websocket` is `None` without the block.
//!
//! ```text
//! websocket: null | { host: "0.0.0.0", port: 8080 (0: a free one), advertise: "h:443",
//!                     no_tls: false, tls: {..} | null, same_origin: false,
//!                     allowed_origins: ["https://app.example.com"],
//!                     handshake_timeout: 0.0 (seconds; 0: none), compression: false,
//!                     authorization: {user, password, token, timeout} | null,
//!                     no_auth_user: "u", jwt_cookie, user_cookie, pass_cookie,
//!                     token_cookie, headers: {"Strict-Transport-Security": "max-age=.."},
//!                     ping_interval: null | seconds }
//! ```
//!
//! The Python layer reads nats-server's forms (`listen: "h:p"`, `-1` for a random port, Go
//! durations, the key aliases) and hands the engine this one form; the checks here are
//! nats-server's `validateWebsocketOptions`, with its messages.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::config_error::ConfigError;
use crate::forms::{seconds, strict_bool};
use crate::tls::TlsConfig;

/// The `websocket` option (see the module doc).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WebsocketConfig {
    /// Interface of the WebSocket listener.
    pub host: String,
    /// WebSocket port; 0 picks a free one.
    pub port: u16,
    /// `host:port` WebSocket clients should use (sent in `ws_connect_urls`).
    pub advertise: Option<String>,
    /// Serve plain `ws://` (nats-server refuses a block with neither `tls` nor this).
    #[serde(deserialize_with = "strict_bool")]
    pub no_tls: bool,
    /// TLS on the listener (`wss://`); the handshake comes first, as in HTTPS.
    pub tls: Option<TlsConfig>,
    /// The `Origin` header must name this server (scheme, host and port of the request).
    #[serde(deserialize_with = "strict_bool")]
    pub same_origin: bool,
    /// When not empty, only these origins (`scheme://host[:port]`) may connect.
    pub allowed_origins: Vec<String>,
    /// Time allowed for the upgrade request (and the TLS handshake); zero: no limit.
    #[serde(with = "seconds")]
    pub handshake_timeout: Duration,
    /// Offer `permessage-deflate` to clients that ask for it.
    #[serde(deserialize_with = "strict_bool")]
    pub compression: bool,
    /// Credentials for WebSocket clients that replace the top-level single user, token
    /// and `no_auth_user` (the users list still applies), as in nats-server.
    pub authorization: Option<WebsocketAuth>,
    /// The user a WebSocket client without credentials becomes (a `users` entry).
    pub no_auth_user: Option<String>,
    /// Cookie whose value stands in for CONNECT `jwt` when the client sends none.
    pub jwt_cookie: Option<String>,
    /// Cookie whose value stands in for CONNECT `user`.
    pub user_cookie: Option<String>,
    /// Cookie whose value stands in for CONNECT `pass`.
    pub pass_cookie: Option<String>,
    /// Cookie whose value stands in for CONNECT `auth_token`.
    pub token_cookie: Option<String>,
    /// Extra headers of the upgrade response (`Strict-Transport-Security` and the like).
    pub headers: BTreeMap<String, String>,
    /// PING interval for WebSocket clients; `None`: the server's `ping_interval`.
    #[serde(with = "crate::forms::opt_seconds")]
    pub ping_interval: Option<Duration>,
}

impl Default for WebsocketConfig {
    fn default() -> Self {
        WebsocketConfig {
            host: "0.0.0.0".to_string(),
            port: 0,
            advertise: None,
            no_tls: false,
            tls: None,
            same_origin: false,
            allowed_origins: Vec::new(),
            handshake_timeout: Duration::ZERO,
            compression: false,
            authorization: None,
            no_auth_user: None,
            jwt_cookie: None,
            user_cookie: None,
            pass_cookie: None,
            token_cookie: None,
            headers: BTreeMap::new(),
            ping_interval: None,
        }
    }
}

/// `websocket.authorization`: nats-server's "simple auth" (one user or a token).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WebsocketAuth {
    /// The single user of WebSocket clients.
    pub user: Option<String>,
    /// Its password (plain or bcrypt).
    pub password: Option<String>,
    /// The token of WebSocket clients (plain or bcrypt).
    pub token: Option<String>,
    /// Time a WebSocket client has to send its CONNECT (the server's when absent).
    #[serde(with = "crate::forms::opt_seconds")]
    pub timeout: Option<Duration>,
}

/// Headers the upgrade response sets itself (nats-server refuses them in `headers`).
const RESERVED_HEADERS: [&str; 5] = [
    "host",
    "content-length",
    "connection",
    "upgrade",
    "nats-no-masking",
];

impl WebsocketConfig {
    /// Whether the block replaces the clients' single user, token or `no_auth_user`
    /// (nats-server's `authOverride`).
    pub fn auth_override(&self) -> bool {
        let set = |s: &Option<String>| s.as_deref().is_some_and(|s| !s.is_empty());
        self.authorization
            .as_ref()
            .is_some_and(|a| set(&a.user) || set(&a.token))
            || set(&self.no_auth_user)
    }

    /// nats-server's `validateWebsocketOptions`: `has_users` is whether `authorization`
    /// has users or nkeys, `user_exists` whether a user of that name is configured,
    /// `trusted` whether operator mode is on.
    pub(crate) fn check(
        &self,
        has_users: bool,
        user_exists: &dyn Fn(&str) -> bool,
        trusted: bool,
    ) -> Result<(), ConfigError> {
        let fail = |message: String| {
            Err(ConfigError::Invalid {
                path: "websocket".into(),
                message,
            })
        };
        if self.tls.is_none() && !self.no_tls {
            return fail("websocket requires TLS configuration".into());
        }
        for origin in &self.allowed_origins {
            if let Err(e) = super::origin::Origin::parse_allowed(origin) {
                return fail(e);
            }
        }
        if let Some(user) = self.no_auth_user.as_deref().filter(|u| !u.is_empty()) {
            if !user_exists(user) {
                return fail(format!(
                    "no_auth_user: \"{user}\" not present as user or nkey in authorization block or account configuration"
                ));
            }
        }
        if has_users {
            if let Some(a) = &self.authorization {
                if a.user.as_deref().is_some_and(|u| !u.is_empty()) {
                    return fail(
                        "websocket authentication username not compatible with presence of users/nkeys"
                            .into(),
                    );
                }
                if a.token.as_deref().is_some_and(|t| !t.is_empty()) {
                    return fail(
                        "websocket authentication token not compatible with presence of users/nkeys"
                            .into(),
                    );
                }
            }
        }
        if let Some(cookie) = self.jwt_cookie.as_deref().filter(|c| !c.is_empty()) {
            if !trusted {
                return fail(format!(
                    "trusted operators or trusted keys configuration is required for JWT authentication via cookie \"{cookie}\""
                ));
            }
        }
        for key in self.headers.keys() {
            let k = key.to_ascii_lowercase();
            if RESERVED_HEADERS.contains(&k.as_str()) {
                return fail(format!("websocket: invalid header \"{key}\" not allowed"));
            }
            if k.starts_with("sec-websocket-") {
                return fail(format!(
                    "websocket: invalid header \"{key}\", \"Sec-WebSocket-\" prefix not allowed"
                ));
            }
        }
        Ok(())
    }
}
