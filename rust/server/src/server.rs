//! The server handle for embedders that do not run tokio themselves (the Python bindings):
//! an [`Engine`] on a multi-threaded runtime of its own, with a blocking API.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use tokio::runtime::Runtime;

use crate::compiled::CompiledConfig;
use crate::config::{Config, ConfigError};
use crate::engine::Engine;
use crate::hooks::{Hooks, Running};
use crate::internal::{InternalHandler, InternalSubscription, PublishError, SubscribeError};
use crate::shared::Shared;
use crate::stats::StatsSnapshot;

/// fastnats' own version, carried in INFO as `fastnats`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The configuration was refused (see [`ConfigError`]).
    #[error("invalid configuration: {0}")]
    Config(#[from] ConfigError),
    /// The address (`host:port`) and the operating system's error.
    #[error("can not listen on {0}: {1}")]
    Bind(String, #[source] std::io::Error),
    /// The WebSocket listener's address could not be bound (nats-server's text).
    #[error("Unable to listen for websocket connections: listen tcp {0}: {1}")]
    WebsocketBind(String, #[source] std::io::Error),
    /// The runtime's threads could not be started.
    #[error("can not start the runtime: {0}")]
    Runtime(#[source] std::io::Error),
    /// A system account service could not be subscribed.
    #[error("can not start the system account's services: {0}")]
    System(#[from] crate::internal::SubscribeError),
    /// JetStream could not start (nats-server's text: its store directory, a stream that
    /// can not be restored).
    #[error("Can't start JetStream: {0}")]
    JetStream(String),
    /// The system account's config enables JetStream (nats-server's text).
    #[error("Not allowed to enable JetStream on the system account")]
    JetStreamSystemAccount,
}

/// A running server. Dropping it stops it.
pub struct Server {
    engine: Arc<Engine>,
    /// JetStream, when configured (started by the hooks' starter, stopped first).
    jetstream: Mutex<Option<Box<dyn Running>>>,
    /// Taken by the first [`Server::stop`]; a mutex so `stop` can run while another thread
    /// is in [`Server::lame_duck`].
    runtime: Mutex<Option<Runtime>>,
    started: Instant,
}

impl Server {
    /// Validates the config, starts the runtime threads and binds the listener. Returns once
    /// the server accepts connections; bind errors are returned here, not logged later.
    pub fn start(config: Config) -> Result<Server, StartError> {
        Self::start_with(config, Hooks::default())
    }

    /// [`Server::start`] with the embedder's hooks (custom authenticator, events).
    pub fn start_with(config: Config, hooks: Hooks) -> Result<Server, StartError> {
        Self::start_compiled(config.compile()?, hooks)
    }

    /// [`Server::start_with`] a configuration compiled already (the bindings compile it when
    /// the server is created, to report errors at once, and start with that very result).
    pub fn start_compiled(compiled: CompiledConfig, hooks: Hooks) -> Result<Server, StartError> {
        let config = &compiled.config;
        let mut rt = tokio::runtime::Builder::new_multi_thread();
        rt.enable_all().thread_name("fastnats");
        if config.worker_threads > 0 {
            rt.worker_threads(config.worker_threads);
        }
        let runtime = rt.build().map_err(StartError::Runtime)?;
        let js_config = config.jetstream.clone();
        let starter = hooks.jetstream.clone();
        let engine = Arc::new(runtime.block_on(Engine::start_compiled(compiled, hooks))?);
        let server = Server {
            engine,
            jetstream: Mutex::new(None),
            runtime: Mutex::new(Some(runtime)),
            started: Instant::now(),
        };
        if js_config.is_some() {
            // nats-server checks this before JetStream starts (not with `-t`).
            let system = server.engine.shared().system_account_name();
            let config = server.engine.shared().config();
            if system
                .and_then(|name| config.accounts.get(&name))
                .is_some_and(|a| a.jetstream.is_some())
            {
                server.stop();
                return Err(StartError::JetStreamSystemAccount);
            }
        }
        if let (Some(js), Some(starter)) = (js_config, starter) {
            match starter.start(&server.engine, &js) {
                Ok(running) => *server.jetstream.lock() = Some(running),
                Err(e) => {
                    server.stop();
                    return Err(StartError::JetStream(e));
                }
            }
        }
        Ok(server)
    }

    /// The bound address (the real port when the config asked for port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.engine.local_addr()
    }

    /// The bound client port.
    pub fn port(&self) -> u16 {
        self.local_addr().port()
    }

    /// The server id INFO carries (`N...`, 56 characters).
    pub fn server_id(&self) -> String {
        self.shared().info.read().server_id.clone()
    }

    /// `server_name`, or the server id when none was configured.
    pub fn server_name(&self) -> String {
        self.shared().info.read().server_name.clone()
    }

    /// The live configuration (changes on [`Server::reload`]).
    pub fn config(&self) -> Arc<Config> {
        self.shared().config()
    }

    /// Publishes a message from the embedding application (see [`Engine::publish`]); runs on
    /// the calling thread.
    pub fn publish(
        &self,
        subject: &[u8],
        reply: Option<&[u8]>,
        headers: Option<&[u8]>,
        payload: &[u8],
        user: Option<&str>,
    ) -> Result<usize, PublishError> {
        self.engine.publish(subject, reply, headers, payload, user)
    }

    /// Subscribes an application handler (see [`Engine::subscribe`]).
    pub fn subscribe(
        &self,
        subject: &[u8],
        queue: Option<&[u8]>,
        max_pending: Option<usize>,
        user: Option<&str>,
        handler: Arc<dyn InternalHandler>,
    ) -> Result<InternalSubscription, SubscribeError> {
        self.engine
            .subscribe(subject, queue, max_pending, user, handler)
    }

    /// Publishes in the system account (see [`Engine::publish_system`]).
    pub fn publish_system(&self, subject: &[u8], payload: &[u8]) -> Result<usize, PublishError> {
        self.engine.publish_system(subject, payload)
    }

    /// Whether a message on `subject` in the system account would reach anyone (see
    /// [`Engine::system_interest`]).
    pub fn system_interest(&self, subject: &[u8]) -> bool {
        self.engine.system_interest(subject)
    }

    /// Subscribes in the system account (see [`Engine::subscribe_system`]).
    pub fn subscribe_system(
        &self,
        subject: &[u8],
        handler: Arc<dyn InternalHandler>,
    ) -> Result<InternalSubscription, SubscribeError> {
        self.engine.subscribe_system(subject, None, handler)
    }

    /// Applies a new configuration to the running server (see [`crate::reload`]).
    pub fn reload(&self, config: Config) -> Result<(), ConfigError> {
        self.engine.reload(config)
    }

    /// Lame duck mode (see [`crate::lame_duck`]); blocks until every client is gone or
    /// [`Server::stop`] is called from another thread. Call [`Server::stop`] afterwards.
    pub fn lame_duck(&self, duration: Duration, grace: Duration) {
        let handle = match self.runtime.lock().as_ref() {
            Some(rt) => rt.handle().clone(),
            None => return,
        };
        // Run on the runtime and wait here for the task's end. If `stop` shuts the runtime
        // down meanwhile, the task is dropped with its sender and `recv` returns at once.
        let (done_tx, done_rx) = std::sync::mpsc::channel::<()>();
        let engine = self.engine.clone();
        handle.spawn(async move {
            engine.lame_duck(duration, grace).await;
            let _ = done_tx.send(());
        });
        let _ = done_rx.recv();
    }

    /// The engine (for services built on it, such as JetStream).
    pub fn engine(&self) -> &Arc<Engine> {
        &self.engine
    }

    /// Shared state, for the monitoring snapshots.
    pub fn shared(&self) -> &Arc<Shared> {
        self.engine.shared()
    }

    /// Time since start.
    pub fn uptime(&self) -> Duration {
        self.started.elapsed()
    }

    /// Whether the server runs (false once stopped).
    pub fn is_running(&self) -> bool {
        self.runtime.lock().is_some()
    }

    /// Counters at this moment.
    pub fn stats(&self) -> StatsSnapshot {
        self.engine.stats()
    }

    /// Graceful stop (see [`Engine::shutdown`]), then the runtime threads stop. Idempotent.
    pub fn stop(&self) {
        let Some(runtime) = self.runtime.lock().take() else {
            return;
        };
        // JetStream first, as nats-server: its last PubAcks go out and its stores are
        // synced while the connections are still open.
        if let Some(js) = self.jetstream.lock().take() {
            js.stop();
        }
        runtime.block_on(self.engine.shutdown());
        runtime.shutdown_timeout(Duration::from_millis(500));
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}
