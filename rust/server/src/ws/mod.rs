//! WebSocket clients (nats-server's `websocket {}` listener): the HTTP upgrade of RFC 6455,
//! then the NATS client protocol carried in WebSocket frames.
//!
//! A WebSocket client is a [`crate::kind::Kind::Client`] like any other: the same reader,
//! authorization, permissions and delivery. Only its socket differs: [`crate::io::ReadSock`]
//! unframes (and inflates) what it reads, and [`crate::io::WriteSock`] frames each write as
//! one unmasked binary frame (deflated when `permessage-deflate` was negotiated), with the
//! control frames the reader answers (pong, close) queued in front of it.
//!
//! Written here rather than taken from a crate: the WebSocket crates on crates.io own the
//! socket and hand out whole messages, where the reader needs the raw bytes of frames as
//! they come (a NATS op may span frames and a frame many ops) in its own buffer, and none
//! of them negotiates `permessage-deflate`. `httparse` parses the upgrade request, `sha1`
//! and `base64` make the accept key, `flate2` inflates and deflates.

pub mod accept;
pub mod codec;
pub mod config;
pub mod origin;
pub mod stream;
pub mod upgrade;

use std::net::SocketAddr;
use std::sync::OnceLock;

pub use config::{WebsocketAuth, WebsocketConfig};

use crate::tls::TlsConfig;

/// The WebSocket listener's state, shared by its accept loop and monitoring.
pub struct Websocket {
    /// The block as configured.
    pub config: WebsocketConfig,
    /// The bound address, once listening.
    pub addr: OnceLock<SocketAddr>,
    /// TLS on the listener, when configured.
    pub tls: Option<(tokio_rustls::TlsAcceptor, TlsConfig)>,
    /// The compiled origin checks.
    pub origins: origin::OriginPolicy,
    /// The configured extra headers of the upgrade response, as raw lines.
    pub raw_headers: String,
}

impl std::fmt::Debug for Websocket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Websocket")
            .field("config", &self.config)
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl Websocket {
    /// The listener's state for `config`, with its TLS acceptor built already.
    pub fn new(
        config: WebsocketConfig,
        tls: Option<(tokio_rustls::TlsAcceptor, TlsConfig)>,
    ) -> Websocket {
        let origins = origin::OriginPolicy::new(config.same_origin, &config.allowed_origins);
        let raw_headers = config
            .headers
            .iter()
            .map(|(k, v)| format!("{k}: {v}\r\n"))
            .collect();
        Websocket {
            config,
            addr: OnceLock::new(),
            tls,
            origins,
            raw_headers,
        }
    }

    /// The URL clients use (`ws://` or `wss://`, the configured host and the bound port).
    pub fn url(&self) -> Option<String> {
        let addr = self.addr.get()?;
        let scheme = if self.tls.is_some() { "wss" } else { "ws" };
        Some(format!("{scheme}://{}:{}", self.config.host, addr.port()))
    }
}
