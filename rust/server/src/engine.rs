//! The engine on a runtime it does not own: bind, serve, shut down, lame duck — all async.
//!
//! [`Engine::start`] binds the client listener on the calling task's runtime and spawns the
//! accept loop there. [`crate::Server`] wraps it with a runtime of its own for the Python
//! layer; the engine tests run it on a current-thread test runtime with paused time, so
//! timers (keep-alive, auth timeout, write deadline, lame duck) are tested without waiting.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use fastnats_proto::{CloseReason, ServerInfo};
use parking_lot::Mutex;
use tokio::sync::mpsc;

use crate::account::Account;
use crate::auth::CompiledPermissions;
use crate::compiled::CompiledConfig;
use crate::config::{Config, ConfigError, COMPATIBLE_NATS_VERSION};
use crate::hooks::Hooks;
use crate::internal::{
    InternalHandler, InternalSubscription, PublishError, Publisher, SubscribeError,
};
use crate::outbound::CloseMode;
use crate::server::{StartError, VERSION};
use crate::shared::Shared;
use crate::stats::StatsSnapshot;

/// A running engine.
pub struct Engine {
    shared: Arc<Shared>,
    /// The runtime the engine was started on (internal subscriptions' loops run there).
    runtime: tokio::runtime::Handle,
    addr: SocketAddr,
    /// Closes when every connection task has finished (see [`Shared::drain_token`]).
    drained: Mutex<Option<mpsc::Receiver<()>>>,
    /// The system account's services the engine answers itself (`$SYS.REQ.USER.INFO`,
    /// `$SYS.REQ.ACCOUNT.<account>.CONNS`).
    system: Mutex<Vec<InternalSubscription>>,
}

impl Engine {
    /// Compiles the config, binds the listener and spawns the accept loop on the current
    /// runtime. Returns once connections are accepted; bind errors are returned here.
    pub async fn start(config: Config, hooks: Hooks) -> Result<Engine, StartError> {
        Self::start_compiled(config.compile()?, hooks).await
    }

    /// [`Engine::start`] with a configuration compiled already.
    pub async fn start_compiled(
        compiled: CompiledConfig,
        hooks: Hooks,
    ) -> Result<Engine, StartError> {
        let config = &compiled.config;
        // JetStream is started by the embedder's starter once the engine runs (see
        // [`crate::hooks::JetStreamStarter`]); without one nothing would serve what INFO
        // advertises.
        if config.jetstream.is_some() && hooks.jetstream.is_none() {
            return Err(ConfigError::JetStreamUnavailable.into());
        }
        let (listener, addr) = crate::accept::bind_at(&config.host, config.port)
            .await
            .map_err(|(to, e)| StartError::Bind(to, e))?;

        let server_id = crate::accept::new_server_id();
        let info = ServerInfo {
            server_name: if config.server_name.is_empty() {
                server_id.clone()
            } else {
                config.server_name.clone()
            },
            server_id,
            version: COMPATIBLE_NATS_VERSION.to_string(),
            proto: 1,
            go: format!("fastnats {VERSION} (rust)"),
            host: config.host.clone(),
            port: addr.port(),
            headers: !config.no_header_support,
            max_payload: config.max_payload as u64,
            auth_required: hooks.authenticator.is_some()
                || compiled.authorizer.config().advertise_auth_required()
                || compiled.authorizer.operator().is_some(),
            tls_required: config.tls.is_some() && !config.allow_non_tls,
            tls_available: config.tls.is_some() && config.allow_non_tls,
            tls_verify: config
                .tls
                .as_ref()
                .is_some_and(crate::tls::TlsConfig::verifies),
            jetstream: config.jetstream.is_some(),
            domain: config
                .jetstream
                .as_ref()
                .and_then(|js| js.domain.clone())
                .unwrap_or_default(),
            fastnats: VERSION.to_string(),
            ..ServerInfo::default()
        };
        let mut compiled = compiled;
        let route_tls = compiled.route_tls.take();
        let leaf_tls = std::mem::take(&mut compiled.leaf_tls);
        let ws_tls = compiled.ws_tls.take();
        let config = &compiled.config;
        let websocket = match &config.websocket {
            Some(w) => {
                let (listener, ws_addr) = crate::accept::bind_at(&w.host, w.port)
                    .await
                    .map_err(|(to, e)| StartError::WebsocketBind(to, e))?;
                let ws = Arc::new(crate::ws::Websocket::new(w.clone(), ws_tls));
                let _ = ws.addr.set(ws_addr);
                Some((ws, listener))
            }
            None => None,
        };
        let cluster = match &config.cluster {
            Some(c) => {
                let (routes, route_addr) = crate::accept::bind_at(&c.host, c.port)
                    .await
                    .map_err(|(to, e)| StartError::Bind(to, e))?;
                let cluster = Arc::new(crate::route::cluster::Cluster::new(
                    c.clone(),
                    &info,
                    addr.port(),
                    route_tls,
                    websocket
                        .as_ref()
                        .map(|(ws, _)| ws.own_urls())
                        .unwrap_or_default(),
                ));
                cluster.set_listener(route_addr);
                Some((cluster, routes))
            }
            None => None,
        };
        let leafnodes = match &config.leafnodes {
            Some(l) => {
                let nodes = Arc::new(crate::leaf::nodes::LeafNodes::new(
                    l.clone(),
                    &info,
                    leaf_tls,
                ));
                let listener = match l.port {
                    Some(port) => {
                        let (listener, leaf_addr) = crate::accept::bind_at(&l.host, port)
                            .await
                            .map_err(|(to, e)| StartError::Bind(to, e))?;
                        nodes.set_listener(leaf_addr);
                        Some(listener)
                    }
                    None => None,
                };
                Some((nodes, listener))
            }
            None => None,
        };
        let (shared, drained) = Shared::new(
            compiled,
            hooks,
            info,
            cluster.as_ref().map(|(c, _)| c.clone()),
            leafnodes.as_ref().map(|(l, _)| l.clone()),
            websocket.as_ref().map(|(w, _)| w.clone()),
        );
        tokio::spawn(crate::accept::accept_loop(shared.clone(), listener));
        if let Some((cluster, routes)) = cluster {
            tokio::spawn(crate::route::dial::accept_loop(
                shared.clone(),
                cluster.clone(),
                routes,
            ));
            crate::route::dial::solicit_configured(&shared, &cluster);
        }
        if let Some((nodes, listener)) = leafnodes {
            if let Some(listener) = listener {
                tokio::spawn(crate::leaf::dial::accept_loop(
                    shared.clone(),
                    nodes.clone(),
                    listener,
                ));
            }
            crate::leaf::dial::solicit_remotes(&shared, &nodes);
        }
        if let Some((ws, listener)) = websocket {
            tokio::spawn(crate::ws::accept::accept_loop(shared.clone(), ws, listener));
        }
        let engine = Engine {
            runtime: tokio::runtime::Handle::current(),
            shared,
            addr,
            drained: Mutex::new(Some(drained)),
            system: Mutex::new(Vec::new()),
        };
        if crate::system::account(&engine.shared).is_some() {
            use crate::system::{conns, user_info};
            let weak = Arc::downgrade(&engine.shared);
            let services: [(&str, Arc<dyn InternalHandler>); 2] = [
                (
                    user_info::SUBJECT,
                    Arc::new(user_info::UserInfoService(weak.clone())),
                ),
                (conns::REQUEST_SUBJECT, Arc::new(conns::ConnsService(weak))),
            ];
            for (subject, service) in services {
                let sub = engine.subscribe_system(subject.as_bytes(), None, service)?;
                engine.system.lock().push(sub);
            }
            tokio::spawn(conns::heartbeat(engine.shared.clone()));
        }
        Ok(engine)
    }

    /// Publishes `payload` on `subject` in the system account, as the server itself (replies
    /// to system requests). Fails without a system account.
    pub fn publish_system(&self, subject: &[u8], payload: &[u8]) -> Result<usize, PublishError> {
        let account = crate::system::account(&self.shared).ok_or(PublishError::NoSystemAccount)?;
        self.shared
            .internal_client()
            .publish_as_server(&account, subject, payload)
    }

    /// Whether a message on `subject` in the system account would reach anyone (see
    /// [`crate::system::interested`]); false without a system account. Periodic events
    /// check this before they build anything.
    pub fn system_interest(&self, subject: &[u8]) -> bool {
        crate::system::account(&self.shared)
            .is_some_and(|system| crate::system::interested(&system, subject))
    }

    /// Subscribes `handler` to `subject` in the system account, as the server itself (the
    /// Python layer serves the monitoring requests this way). Fails without a system account.
    pub fn subscribe_system(
        &self,
        subject: &[u8],
        queue: Option<&[u8]>,
        handler: Arc<dyn InternalHandler>,
    ) -> Result<InternalSubscription, SubscribeError> {
        let account =
            crate::system::account(&self.shared).ok_or(SubscribeError::NoSystemAccount)?;
        let max_pending = self.shared.config().max_pending;
        let conn =
            crate::internal::internal_connection(self.shared.next_cid(), account, max_pending);
        InternalSubscription::start(&self.runtime, conn, &[subject], queue, None, handler)
    }

    /// The bound address (the real port when the config asked for port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// State shared with the connection tasks (monitoring snapshots read it).
    pub fn shared(&self) -> &Arc<Shared> {
        &self.shared
    }

    /// Counters at this moment.
    pub fn stats(&self) -> StatsSnapshot {
        self.shared.stats.snapshot(
            self.shared.num_clients() as u64,
            self.shared.subscription_count() as u64,
        )
    }

    /// Publishes a message from the embedding application, as a client's `PUB`/`HPUB` would
    /// (see [`crate::internal`]); returns how many subscribers got it. With `user`, the
    /// application acts as that configured user: its publish permissions apply.
    pub fn publish(
        &self,
        subject: &[u8],
        reply: Option<&[u8]>,
        headers: Option<&[u8]>,
        payload: &[u8],
        user: Option<&str>,
    ) -> Result<usize, PublishError> {
        let (perms, account) = self
            .acting_as(user)
            .ok_or_else(|| PublishError::UnknownUser(user.unwrap_or_default().to_string()))?;
        let max_payload = self.shared.config().max_payload;
        self.shared.internal_client().publish(
            &account,
            subject,
            reply,
            headers,
            payload,
            max_payload,
            perms.as_deref(),
        )
    }

    /// A batching publisher of the server's own in `$G` (see [`InAccount::publisher`]).
    pub fn publisher(&self) -> Publisher {
        self.global().publisher()
    }

    /// Notified after each subscription made in `$G` (see
    /// [`InAccount::subscriptions_added`]).
    pub fn subscriptions_added(&self) -> Arc<tokio::sync::Notify> {
        self.global().subscriptions_added()
    }

    /// Whether anyone in `$G` subscribes to a subject matching literal `subject`.
    pub fn has_interest(&self, subject: &[u8]) -> bool {
        self.global().has_interest(subject)
    }

    /// The server itself in `$G` (see [`InAccount`]).
    fn global(&self) -> InAccount {
        InAccount {
            shared: self.shared.clone(),
            runtime: self.runtime.clone(),
            account: self.shared.global_account().clone(),
        }
    }

    /// The server itself in account `name` (`None`: `$G`), as JetStream serves each of its
    /// accounts; `None` when no such account exists.
    pub fn in_account(&self, name: Option<&str>) -> Option<InAccount> {
        Some(InAccount {
            shared: self.shared.clone(),
            runtime: self.runtime.clone(),
            account: self.shared.account(name)?,
        })
    }

    /// The permissions (`None`: unrestricted) and account of whom the application acts as:
    /// configured user `user`, or the server itself in `$G`. `None` when no such user is
    /// configured.
    fn acting_as(
        &self,
        user: Option<&str>,
    ) -> Option<(Option<Arc<CompiledPermissions>>, Arc<Account>)> {
        let Some(name) = user else {
            return Some((None, self.shared.global_account().clone()));
        };
        let id = self.shared.authorizer().configured_user(name)?;
        let account = self.shared.account(id.account.as_deref())?;
        Some((id.permissions, account))
    }

    /// Subscribes the embedding application's `handler` to `subject` (in queue group `queue`
    /// if given), as a client's `SUB` would; messages reach the handler in batches on a
    /// blocking thread (see [`crate::internal`]). `max_pending` bounds what may wait for it
    /// (the server's `max_pending` when `None`). With `user`, the application acts as that
    /// configured user: its subscribe permissions apply. Dropping the subscription
    /// unsubscribes.
    pub fn subscribe(
        &self,
        subject: &[u8],
        queue: Option<&[u8]>,
        max_pending: Option<usize>,
        user: Option<&str>,
        handler: Arc<dyn InternalHandler>,
    ) -> Result<InternalSubscription, SubscribeError> {
        let (perms, account) = self
            .acting_as(user)
            .ok_or_else(|| SubscribeError::UnknownUser(user.unwrap_or_default().to_string()))?;
        let max_pending = max_pending.unwrap_or(self.shared.config().max_pending);
        let conn =
            crate::internal::internal_connection(self.shared.next_cid(), account, max_pending);
        InternalSubscription::start(&self.runtime, conn, &[subject], queue, perms, handler)
    }

    /// Subscribes `handler` to `subject` in `$G` as the server itself: see
    /// [`InAccount::subscribe_internal`].
    pub fn subscribe_internal(
        &self,
        subject: &[u8],
        queue: Option<&[u8]>,
        max_pending: usize,
        stall_threshold: usize,
        handler: Arc<dyn InternalHandler>,
    ) -> Result<InternalSubscription, SubscribeError> {
        self.global().subscribe_internal_many(
            &[subject],
            queue,
            max_pending,
            stall_threshold,
            handler,
        )
    }

    /// Subscribes `handler` to every subject of `subjects` in `$G` as the server itself: see
    /// [`InAccount::subscribe_internal_many`].
    pub fn subscribe_internal_many(
        &self,
        subjects: &[&[u8]],
        queue: Option<&[u8]>,
        max_pending: usize,
        stall_threshold: usize,
        handler: Arc<dyn InternalHandler>,
    ) -> Result<InternalSubscription, SubscribeError> {
        self.global().subscribe_internal_many(
            subjects,
            queue,
            max_pending,
            stall_threshold,
            handler,
        )
    }

    /// `server_name`, or the server id when none was configured.
    pub fn server_name(&self) -> String {
        self.shared.info.read().server_name.clone()
    }

    /// The runtime the engine runs on (for the tasks of layers built on it, such as
    /// JetStream's timers).
    pub fn runtime(&self) -> &tokio::runtime::Handle {
        &self.runtime
    }

    /// Applies a new configuration (see [`crate::reload`]).
    pub fn reload(&self, config: Config) -> Result<(), ConfigError> {
        crate::reload::apply(&self.shared, config)
    }

    /// Graceful stop: stop accepting, close every connection after flushing what is queued
    /// to it, and wait (at most `shutdown_grace`) until every connection task has finished.
    /// Only the first call waits.
    pub async fn shutdown(&self) {
        if !self.shared.begin_shutdown() {
            return;
        }
        for c in self.shared.client_list() {
            c.close(CloseReason::ServerShutdown, CloseMode::Flush);
        }
        if let Some(cluster) = &self.shared.cluster {
            cluster.close_all();
        }
        if let Some(leafs) = &self.shared.leafnodes {
            leafs.close_all();
        }
        let drained = self.drained.lock().take();
        if let Some(mut drained) = drained {
            let grace = self.shared.config().shutdown_grace;
            let _ = tokio::time::timeout(grace, drained.recv()).await;
        }
    }

    /// Lame duck mode (see [`crate::lame_duck`]); returns when every client is gone or
    /// [`Engine::shutdown`] begins. Shut down afterwards.
    pub async fn lame_duck(&self, duration: Duration, grace: Duration) {
        crate::lame_duck::run(&self.shared, duration, grace).await;
    }
}

/// The server itself in one account: what JetStream serves an account through (its API,
/// its streams' ingest, PubAcks and deliveries stay in that account). Obtained from
/// [`Engine::in_account`]; the `$G` methods of [`Engine`] are this in `$G`.
#[derive(Clone)]
pub struct InAccount {
    shared: Arc<Shared>,
    runtime: tokio::runtime::Handle,
    account: Arc<Account>,
}

impl InAccount {
    /// The account's name.
    pub fn account_name(&self) -> &str {
        self.account.name()
    }

    /// State shared with the connection tasks.
    pub fn shared(&self) -> &Arc<Shared> {
        &self.shared
    }

    /// The runtime the engine runs on.
    pub fn runtime(&self) -> &tokio::runtime::Handle {
        &self.runtime
    }

    /// `server_name`, or the server id when none was configured.
    pub fn server_name(&self) -> String {
        self.shared.info.read().server_name.clone()
    }

    /// Publishes a message as the server itself in this account (no permissions apply;
    /// the server's `max_payload` does); returns how many subscribers got it.
    pub fn publish(
        &self,
        subject: &[u8],
        reply: Option<&[u8]>,
        headers: Option<&[u8]>,
        payload: &[u8],
    ) -> Result<usize, PublishError> {
        let max_payload = self.shared.config().max_payload;
        self.shared.internal_client().publish(
            &self.account,
            subject,
            reply,
            headers,
            payload,
            max_payload,
            None,
        )
    }

    /// A batching publisher of the server's own in this account (see [`Publisher`]): what
    /// a handler answering a batch of messages (JetStream's PubAcks) publishes through,
    /// flushing each recipient once per batch.
    pub fn publisher(&self) -> Publisher {
        let conn =
            crate::internal::internal_connection(self.shared.next_cid(), self.account.clone(), 0);
        Publisher::new(conn, self.account.clone(), self.shared.stats.clone())
    }

    /// Notified after each subscription made in this account (see
    /// [`crate::index::SubIndex::added`]).
    pub fn subscriptions_added(&self) -> Arc<tokio::sync::Notify> {
        self.account.index.added()
    }

    /// Whether anyone in this account subscribes to a subject matching literal `subject`.
    pub fn has_interest(&self, subject: &[u8]) -> bool {
        !self.account.index.matches(subject).is_empty()
    }

    /// Subscribes `handler` to `subject` in this account as the server itself (JetStream's
    /// API), with its own slow-consumer limit `max_pending` and fast-producer stall
    /// threshold `stall_threshold`: see [`InAccount::subscribe_internal_many`].
    pub fn subscribe_internal(
        &self,
        subject: &[u8],
        queue: Option<&[u8]>,
        max_pending: usize,
        stall_threshold: usize,
        handler: Arc<dyn InternalHandler>,
    ) -> Result<InternalSubscription, SubscribeError> {
        self.subscribe_internal_many(&[subject], queue, max_pending, stall_threshold, handler)
    }

    /// Subscribes `handler` to every subject of `subjects` in this account as the server
    /// itself, on one internal connection with one delivery loop (JetStream's stream
    /// ingest: messages on any of a stream's subjects reach it in the order they were
    /// delivered, and a batch spans them all). Subjects that overlap deliver a message once
    /// per match. Publishers wait for it rather than cut it: past `stall_threshold` bytes
    /// pending, a publisher that delivered to it waits until it drains, and `max_pending`
    /// is a hard cap on memory past which a delivery is refused without closing it (see
    /// [`crate::connection::Connection::hold_publishers_at`]); `handler` is told of each
    /// refusal ([`InternalHandler::refused`]).
    pub fn subscribe_internal_many(
        &self,
        subjects: &[&[u8]],
        queue: Option<&[u8]>,
        max_pending: usize,
        stall_threshold: usize,
        handler: Arc<dyn InternalHandler>,
    ) -> Result<InternalSubscription, SubscribeError> {
        let conn = crate::internal::internal_connection(
            self.shared.next_cid(),
            self.account.clone(),
            max_pending,
        );
        conn.hold_publishers_at(stall_threshold.min(max_pending));
        conn.tell_refusals_to(handler.clone());
        InternalSubscription::start(&self.runtime, conn, subjects, queue, None, handler)
    }
}
