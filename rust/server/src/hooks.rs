//! Extension points the embedding application (the Python layer) plugs into: a custom
//! authenticator and connection lifecycle events. Both run off the message path: the
//! authenticator on a blocking thread during CONNECT, events on a blocking thread after the
//! fact, so a slow hook never holds up anybody's traffic.

use std::net::SocketAddr;
use std::sync::Arc;

use crate::auth::Authenticator;

/// A connection as lifecycle hooks see it.
#[derive(Debug, Clone)]
pub struct ClientEvent {
    /// The connection id.
    pub cid: u64,
    /// The client's address.
    pub addr: SocketAddr,
    /// CONNECT `name`.
    pub name: String,
    /// CONNECT `lang`.
    pub lang: String,
    /// CONNECT `version`.
    pub version: String,
    /// The authenticated user, if any.
    pub user: Option<String>,
    /// The account the client joined.
    pub account: String,
}

/// Connection lifecycle callbacks.
pub trait Events: Send + Sync {
    /// After a client's CONNECT was accepted (authenticated when auth is on).
    fn on_connect(&self, event: &ClientEvent);
    /// After a connection that had connected closed, with nats-server's reason string.
    fn on_disconnect(&self, event: &ClientEvent, reason: &str);
}

/// Starts JetStream on a running engine. The JetStream crate builds on this one (its streams
/// are internal clients of the engine), so this crate can not start it itself: the embedder
/// (the Python bindings) plugs a starter in, and [`crate::Server`] calls it once the engine
/// runs. Without a starter a config with `jetstream` is refused at start, so no server ever
/// advertises JetStream it does not serve.
pub trait JetStreamStarter: Send + Sync {
    /// Starts JetStream with `config` on `engine`; the error is logged and refuses the start.
    fn start(
        &self,
        engine: &Arc<crate::Engine>,
        config: &crate::config::JetStreamConfig,
    ) -> Result<Box<dyn Running>, String>;
}

/// A service started with the server ([`JetStreamStarter`]), stopped before the engine.
pub trait Running: Send + Sync {
    /// Stops it (unsubscribes, syncs and closes what it stores). Called once.
    fn stop(&self);
}

/// What the embedder plugs in.
#[derive(Clone, Default)]
pub struct Hooks {
    /// Decides every CONNECT in place of the built-in methods (see [`Authenticator`]).
    pub authenticator: Option<Arc<dyn Authenticator>>,
    /// Connection lifecycle callbacks (on_connect, on_disconnect).
    pub events: Option<Arc<dyn Events>>,
    /// Starts JetStream when the config has `jetstream` (see [`JetStreamStarter`]).
    pub jetstream: Option<Arc<dyn JetStreamStarter>>,
}

impl std::fmt::Debug for Hooks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hooks")
            .field("authenticator", &self.authenticator.is_some())
            .field("events", &self.events.is_some())
            .field("jetstream", &self.jetstream.is_some())
            .finish()
    }
}

/// Runs an event callback on a blocking thread (it may take the GIL). `drain` is the
/// connection's shutdown token (see [`crate::shared::Shared::drain_token`]): the callback
/// holds it until it returns, so a shutdown waits for the events of the connections it
/// closes instead of dropping them with the runtime.
pub(crate) fn emit(
    hooks: &Hooks,
    event: ClientEvent,
    reason: Option<&'static str>,
    drain: tokio::sync::mpsc::Sender<()>,
) {
    if let Some(events) = hooks.events.clone() {
        tokio::task::spawn_blocking(move || {
            match reason {
                None => events.on_connect(&event),
                Some(r) => events.on_disconnect(&event, r),
            }
            drop(drain);
        });
    }
}
