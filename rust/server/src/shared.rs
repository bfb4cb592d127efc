//! The state every task of one engine shares: the live configuration and what was compiled
//! from it (authorizer, TLS acceptor), the accounts, the registry of connections, the
//! counters, INFO, and the shutdown signals.

use std::collections::HashMap;
use std::sync::atomic::AtomicU64;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::time::{Instant, SystemTime};

use fastnats_proto::ServerInfo;
use parking_lot::{Mutex, RwLock};
use tokio::sync::{mpsc, watch, Notify};

use crate::account::{Account, AccountSet};
use crate::auth::Authorizer;
use crate::compiled::CompiledConfig;
use crate::config::Config;
use crate::connection::Connection;
use crate::hooks::Hooks;
use crate::internal::InternalClient;
use crate::stats::ServerStats;
use crate::tls::TlsConfig;

/// State every connection task shares.
pub struct Shared {
    /// The live configuration; replaced whole by a reload.
    config: RwLock<Arc<Config>>,
    /// Bumped by every reload, so connections refresh their copy with one atomic load.
    config_gen: AtomicU64,
    /// The global account `$G` (the same object for the server's lifetime).
    global: Arc<Account>,
    /// Every account, rebuilt by a reload (accounts that stay are kept).
    accounts: RwLock<Arc<AccountSet>>,
    /// The server's own client, publishing for the embedding application.
    internal: InternalClient,
    /// Server-wide counters.
    pub stats: Arc<ServerStats>,
    /// The sequence number of the system account's messages.
    pub(crate) system_seq: crate::system::Sequence,
    /// When each account with connections gets its next `CONNS` heartbeat.
    pub(crate) conns_schedule: crate::system::conns::Schedule,
    clients: Mutex<HashMap<u64, Arc<Connection>>>,
    /// The number of registered connections, watched by lame duck mode.
    client_count: watch::Sender<usize>,
    /// Gives freed memory back after connection storms.
    trim: Arc<crate::trim::Trim>,
    next_cid: AtomicU64,
    pub(crate) info: RwLock<ServerInfo>,
    /// Set once by [`crate::Engine::shutdown`]; lame duck mode watches it to give way.
    shutdown: watch::Sender<bool>,
    pub(crate) stop_accept: Notify,
    /// Every connection task holds a clone of this sender; shutdown drops this one and
    /// waits for the channel to close, which is when the last connection has finished.
    drain: Mutex<Option<mpsc::Sender<()>>>,
    /// The last closed connections, newest last, for monitoring (`/connz?state=closed`).
    pub(crate) closed: Mutex<std::collections::VecDeque<crate::closed::Closed>>,
    pub(crate) started: Instant,
    /// Wall-clock start, for monitoring.
    pub started_wall: SystemTime,
    /// The compiled authentication config, swapped on reload.
    authorizer: RwLock<Arc<Authorizer>>,
    /// The authorizer of WebSocket clients when the `websocket` block overrides the
    /// credentials or the auth timeout (`None`: the one above).
    ws_authorizer: RwLock<Option<Arc<Authorizer>>>,
    pub(crate) hooks: Hooks,
    /// The TLS acceptor and its settings, rebuilt on reload.
    tls: RwLock<Option<(tokio_rustls::TlsAcceptor, TlsConfig)>>,
    /// The cluster this server is a node of (`cluster {}`), if any.
    pub cluster: Option<Arc<crate::route::cluster::Cluster>>,
    /// Leaf nodes (`leafnodes {}`), if configured.
    pub leafnodes: Option<Arc<crate::leaf::nodes::LeafNodes>>,
    /// The WebSocket listener (`websocket {}`), if configured.
    pub websocket: Option<Arc<crate::ws::Websocket>>,
}

impl Shared {
    /// Shared state for a server that starts with `compiled`; returns the receiving end of
    /// the drain channel (see [`Shared::drain_token`]).
    pub(crate) fn new(
        compiled: CompiledConfig,
        hooks: Hooks,
        info: ServerInfo,
        cluster: Option<Arc<crate::route::cluster::Cluster>>,
        leafnodes: Option<Arc<crate::leaf::nodes::LeafNodes>>,
        websocket: Option<Arc<crate::ws::Websocket>>,
    ) -> (Arc<Shared>, mpsc::Receiver<()>) {
        let CompiledConfig {
            config,
            imports,
            authorizer,
            tls,
            route_tls: _,
            leaf_tls: _,
            ws_tls: _,
        } = compiled;
        let (drain_tx, drain_rx) = mpsc::channel(1);
        let accounts = build_accounts(None, &config, &authorizer, &imports);
        feed_routes(&accounts, cluster.as_deref(), &config);
        let global = accounts.global().clone();
        let stats = Arc::new(ServerStats::default());
        let ws_auth = ws_authorizer(&config, &authorizer);
        let shared = Arc::new(Shared {
            internal: InternalClient::new(global.clone(), stats.clone()),
            global,
            accounts: RwLock::new(Arc::new(accounts)),
            config: RwLock::new(Arc::new(config)),
            config_gen: AtomicU64::new(0),
            stats,
            system_seq: Default::default(),
            conns_schedule: Default::default(),
            clients: Mutex::new(HashMap::new()),
            client_count: watch::Sender::new(0),
            trim: Arc::default(),
            next_cid: AtomicU64::new(1),
            info: RwLock::new(info),
            shutdown: watch::Sender::new(false),
            stop_accept: Notify::new(),
            drain: Mutex::new(Some(drain_tx)),
            // Exactly the ring's size (pages are only touched as it fills): growth by doubling
            // would reserve 16,384 entries for 10,000.
            closed: Mutex::new(std::collections::VecDeque::with_capacity(
                crate::monitor::MAX_CLOSED,
            )),
            started: Instant::now(),
            started_wall: SystemTime::now(),
            ws_authorizer: RwLock::new(ws_auth),
            authorizer: RwLock::new(Arc::new(authorizer)),
            hooks,
            tls: RwLock::new(tls),
            cluster,
            leafnodes,
            websocket,
        });
        (shared, drain_rx)
    }

    /// The live configuration.
    #[inline]
    pub fn config(&self) -> Arc<Config> {
        self.config.read().clone()
    }

    /// The configuration generation (changes on reload).
    #[inline]
    pub fn config_gen(&self) -> u64 {
        self.config_gen.load(Relaxed)
    }

    /// The live authorizer.
    pub fn authorizer(&self) -> Arc<Authorizer> {
        self.authorizer.read().clone()
    }

    /// The global account (`$G`): connections of users without an account join it.
    pub fn global_account(&self) -> &Arc<Account> {
        &self.global
    }

    /// The account named `name` (`None`: the global account), if it exists.
    pub fn account(&self, name: Option<&str>) -> Option<Arc<Account>> {
        match name {
            None => Some(self.global.clone()),
            Some(name) => self.accounts.read().get(name).cloned(),
        }
    }

    /// The server's own client (publishes from the embedding application).
    pub fn internal_client(&self) -> &InternalClient {
        &self.internal
    }

    /// Every account.
    pub fn accounts(&self) -> Vec<Arc<Account>> {
        self.accounts.read().iter().cloned().collect()
    }

    /// Subscriptions across all accounts.
    pub fn subscription_count(&self) -> usize {
        self.accounts.read().iter().map(|a| a.index.count()).sum()
    }

    /// Whether clients must authenticate (built-in methods or a custom authenticator).
    pub(crate) fn auth_required(&self) -> bool {
        self.hooks.authenticator.is_some() || self.authorizer.read().required()
    }

    /// The authorizer of a client (`websocket`: one of the WebSocket listener).
    pub fn authorizer_for(&self, websocket: bool) -> Arc<Authorizer> {
        if websocket {
            if let Some(a) = &*self.ws_authorizer.read() {
                return a.clone();
            }
        }
        self.authorizer()
    }

    /// [`Shared::auth_required`] for a client (`websocket`: of the WebSocket listener).
    pub(crate) fn auth_required_for(&self, websocket: bool) -> bool {
        self.hooks.authenticator.is_some() || self.authorizer_for(websocket).required()
    }

    /// The live TLS acceptor, if TLS is on.
    pub(crate) fn tls(&self) -> Option<(tokio_rustls::TlsAcceptor, TlsConfig)> {
        self.tls.read().clone()
    }

    /// Swaps in a new configuration, compiled by the caller ([`Config::compile`]): nothing
    /// here can fail, so a refused reload leaves the old configuration whole.
    pub(crate) fn set_config(&self, compiled: CompiledConfig) {
        let CompiledConfig {
            config,
            imports,
            authorizer,
            tls,
            route_tls: _,
            leaf_tls: _,
            ws_tls: _,
        } = compiled;
        {
            let mut accounts = self.accounts.write();
            *accounts = Arc::new(build_accounts(
                Some(&accounts),
                &config,
                &authorizer,
                &imports,
            ));
            feed_routes(&accounts, self.cluster.as_deref(), &config);
        }
        *self.tls.write() = tls;
        let advertise_auth =
            authorizer.config().advertise_auth_required() || authorizer.operator().is_some();
        *self.ws_authorizer.write() = ws_authorizer(&config, &authorizer);
        *self.authorizer.write() = Arc::new(authorizer);
        {
            let mut info = self.info.write();
            info.max_payload = config.max_payload as u64;
            info.tls_required = config.tls.is_some() && !config.allow_non_tls;
            info.tls_available = config.tls.is_some() && config.allow_non_tls;
            info.tls_verify = config.tls.as_ref().is_some_and(TlsConfig::verifies);
            info.auth_required = self.hooks.authenticator.is_some() || advertise_auth;
        }
        *self.config.write() = Arc::new(config);
        self.config_gen.fetch_add(1, Relaxed);
    }

    /// Operator mode: rebuilds the account set after an account JWT became known (a
    /// CONNECT of its user), keeping every account object.
    pub(crate) fn refresh_jwt_accounts(&self) {
        let config = self.config();
        let authorizer = self.authorizer();
        let mut accounts = self.accounts.write();
        *accounts = Arc::new(build_accounts(
            Some(&accounts),
            &config,
            &authorizer,
            &crate::account::ImportPlans::default(),
        ));
        feed_routes(&accounts, self.cluster.as_deref(), &config);
    }

    /// Makes every connection refresh its copy of the configuration (and permissions).
    pub(crate) fn bump_config_gen(&self) {
        self.config_gen.fetch_add(1, Relaxed);
    }

    /// A new connection id.
    pub(crate) fn next_cid(&self) -> u64 {
        self.next_cid.fetch_add(1, Relaxed)
    }

    /// Registers a connection unless `max_connections` are already served.
    pub(crate) fn register(&self, conn: &Arc<Connection>, max_connections: usize) -> bool {
        let mut clients = self.clients.lock();
        if clients.len() >= max_connections {
            return false;
        }
        clients.insert(conn.cid, conn.clone());
        self.client_count.send_replace(clients.len());
        self.trim.opened(clients.len());
        true
    }

    pub(crate) fn unregister(&self, cid: u64) {
        let mut clients = self.clients.lock();
        if clients.remove(&cid).is_some() {
            self.client_count.send_replace(clients.len());
            self.trim.closed(clients.len());
        }
    }

    /// Resolves once no connection is registered.
    pub(crate) async fn no_clients(&self) {
        let mut count = self.client_count.subscribe();
        let _ = count.wait_for(|n| *n == 0).await;
    }

    /// A token every connection task holds until it has finished (see the `drain` field);
    /// `None` once shutdown has begun.
    pub(crate) fn drain_token(&self) -> Option<mpsc::Sender<()>> {
        self.drain.lock().clone()
    }

    /// Stops the client and WebSocket accept loops.
    pub(crate) fn stop_accepting(&self) {
        self.stop_accept.notify_one();
        if let Some(ws) = &self.websocket {
            ws.stop.notify_one();
        }
    }

    /// Marks the server as shutting down; returns false if it already was.
    pub(crate) fn begin_shutdown(&self) -> bool {
        let first = !self.shutdown.send_replace(true);
        if first {
            self.stop_accepting();
            drop(self.drain.lock().take());
        }
        first
    }

    /// Whether shutdown has begun.
    pub(crate) fn is_shutting_down(&self) -> bool {
        *self.shutdown.borrow()
    }

    /// Resolves once shutdown has begun.
    pub(crate) async fn shutting_down(&self) {
        let mut rx = self.shutdown.subscribe();
        let _ = rx.wait_for(|s| *s).await;
    }

    pub(crate) fn num_clients(&self) -> usize {
        self.clients.lock().len()
    }

    /// The system account's name: in operator mode the one the config or the operator JWT
    /// names (none otherwise), else `system_account` or `$SYS`; `None` with
    /// `no_system_account`.
    pub fn system_account_name(&self) -> Option<String> {
        let authorizer = self.authorizer();
        match authorizer.operator() {
            Some(op) => op.system_account().map(str::to_string),
            None => self.config().system_account_name().map(str::to_string),
        }
    }

    /// The registered connection `cid`.
    pub(crate) fn client(&self, cid: u64) -> Option<Arc<Connection>> {
        self.clients.lock().get(&cid).cloned()
    }

    /// The leaf connections bound to account `name`.
    pub fn leaf_connections(&self, name: &str) -> u64 {
        self.leafnodes
            .as_ref()
            .map_or(0, |l| l.count_in(name) as u64)
    }

    /// Every connection currently registered.
    pub(crate) fn client_list(&self) -> Vec<Arc<Connection>> {
        self.clients.lock().values().cloned().collect()
    }
}

/// The authorizer of WebSocket clients when the `websocket` block overrides credentials or
/// the auth timeout.
fn ws_authorizer(config: &Config, authorizer: &Authorizer) -> Option<Arc<Authorizer>> {
    let ws = config.websocket.as_ref()?;
    let auth = ws.authorization.clone().unwrap_or_default();
    let credentials = ws.auth_override().then(|| {
        [
            auth.token,
            auth.user,
            auth.password,
            ws.no_auth_user.clone(),
        ]
    });
    if credentials.is_none() && auth.timeout.is_none() {
        return None;
    }
    Some(Arc::new(
        authorizer.with_override(credentials, auth.timeout),
    ))
}

/// In a cluster or with leaf nodes, makes every account's index count its interest for
/// the routes and leaf connections (accounts that had it keep it; new ones have no
/// subscriptions yet).
fn feed_routes(
    accounts: &AccountSet,
    cluster: Option<&crate::route::cluster::Cluster>,
    config: &Config,
) {
    let leafs = config.leafnodes.is_some();
    if cluster.is_none() && !leafs {
        return;
    }
    let peers = cluster.map_or_else(Default::default, |c| c.peers.clone());
    for account in accounts.iter() {
        account.index.feed_routes(account.name(), &peers, leafs);
    }
}

/// The account set of `config` (or, in operator mode, of the account JWTs known), keeping
/// the account objects of `previous` that stay.
fn build_accounts(
    previous: Option<&AccountSet>,
    config: &Config,
    authorizer: &Authorizer,
    imports: &crate::account::ImportPlans,
) -> AccountSet {
    let cache = !config.disable_sublist_cache;
    match authorizer.operator() {
        Some(op) => {
            let (accounts, mut plans) = op.snapshot();
            if let Some(system) = op.system_account() {
                // Every account imports the system's per-account services, as in config
                // mode (`Config::compile`).
                let names = std::iter::once(crate::account::GLOBAL_ACCOUNT)
                    .chain(accounts.keys().map(String::as_str))
                    .chain((!accounts.contains_key(system)).then_some(system));
                plans
                    .services
                    .extend(crate::system::imports::plans(names, system));
            }
            let set = AccountSet::build(previous, &accounts, op.system_account(), &plans, cache);
            for (name, tag) in op.name_tags() {
                if let Some(account) = set.get(&name) {
                    account.set_name_tag(tag);
                }
            }
            set
        }
        None => AccountSet::build(
            previous,
            &config.accounts,
            config.system_account_name(),
            imports,
            cache,
        ),
    }
}
