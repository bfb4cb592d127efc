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
//! of them negotiates `permessage-deflate`. The framing and deflate are
//! [`fastnats_proto::ws`] (sans-IO, fuzzed); `httparse` parses the upgrade request, `sha1`
//! and `base64` make the accept key.

pub mod accept;
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
    /// Stops the accept loop (lame duck mode, shutdown).
    pub stop: tokio::sync::Notify,
    /// The cluster's WebSocket URLs (`host:port`) for clients' INFO: none outside a
    /// cluster, as in nats-server.
    pub connect_urls: parking_lot::RwLock<Vec<String>>,
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
            stop: tokio::sync::Notify::new(),
            connect_urls: parking_lot::RwLock::new(Vec::new()),
        }
    }

    /// Makes the server's INFO one for a client of this listener: its host, port and TLS
    /// (nats-server's `generateClientInfoJSON`), its auth override, and the cluster's
    /// WebSocket URLs as `connect_urls`.
    pub fn client_info(&self, info: &mut fastnats_proto::ServerInfo) {
        info.auth_required |= self.config.auth_override();
        info.tls_required = self.tls.is_some();
        info.tls_available = self.tls.is_some();
        info.tls_verify = self.tls.as_ref().is_some_and(|(_, t)| t.verifies());
        info.host.clone_from(&self.config.host);
        info.port = self.addr.get().map_or(self.config.port, SocketAddr::port);
        info.connect_urls = self.connect_urls.read().clone();
    }

    /// This server's own WebSocket URLs for the cluster (`advertise`, else the bound
    /// address, every interface's when it listens on all; nats-server's `getConnectURLs`).
    pub fn own_urls(&self) -> Vec<String> {
        if let Some(a) = self.config.advertise.as_deref().filter(|a| !a.is_empty()) {
            return vec![a.to_string()];
        }
        let port = self.addr.get().map_or(self.config.port, SocketAddr::port);
        crate::route::cluster::client_urls(&self.config.host, port)
    }
}
