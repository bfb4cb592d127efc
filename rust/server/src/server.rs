//! The server handle: runtime, listener, accept loop, registry of connections, shutdown.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::atomic::{AtomicBool, AtomicU64};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use fastnats_proto::{encode, CloseReason, ProtoError, ServerInfo};
use parking_lot::{Mutex, RwLock};
use tokio::net::{TcpListener, TcpStream};
use tokio::runtime::Runtime;
use tokio::sync::Notify;

use crate::auth::Authorizer;
use crate::client::{ClientHandle, CloseMode};
use crate::compiled::CompiledConfig;
use crate::config::{Config, ConfigError, COMPATIBLE_NATS_VERSION};
use crate::conn::Conn;
use crate::hooks::Hooks;
use crate::io::{ReadSock, WriteSock};
use crate::log::Level;
use crate::log_at;
use crate::stats::{ServerStats, StatsSnapshot};
use crate::subs::SubIndex;
use crate::tls::TlsConfig;

/// fastnats' own version, carried in INFO as `fastnats`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// State every connection task shares.
pub struct Shared {
    /// The live configuration; replaced whole by a reload.
    config: RwLock<Arc<Config>>,
    /// Bumped by every reload, so connections refresh their copy with one atomic load.
    config_gen: AtomicU64,
    pub index: SubIndex,
    pub stats: Arc<ServerStats>,
    pub(crate) clients: Mutex<HashMap<u64, Arc<ClientHandle>>>,
    next_cid: AtomicU64,
    pub(crate) info: RwLock<ServerInfo>,
    shutting_down: AtomicBool,
    pub(crate) stop_accept: Notify,
    /// The last closed connections, newest last, for monitoring (`/connz?state=closed`).
    pub(crate) closed: Mutex<std::collections::VecDeque<crate::monitor::ConnSnapshot>>,
    pub(crate) started: Instant,
    pub started_wall: SystemTime,
    /// The compiled authentication config, swapped on reload.
    authorizer: RwLock<Arc<Authorizer>>,
    pub(crate) hooks: Hooks,
    /// The TLS acceptor and its settings, rebuilt on reload.
    tls: RwLock<Option<(tokio_rustls::TlsAcceptor, TlsConfig)>>,
}

impl Shared {
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

    /// Whether clients must authenticate (built-in methods or a custom authenticator).
    pub(crate) fn auth_required(&self) -> bool {
        self.hooks.authenticator.is_some() || self.authorizer.read().required()
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
            authorizer,
            tls,
        } = compiled;
        *self.tls.write() = tls;
        *self.authorizer.write() = Arc::new(authorizer);
        {
            let mut info = self.info.write();
            info.max_payload = config.max_payload as u64;
            info.tls_required = config.tls.is_some();
            info.tls_verify = config.tls.as_ref().is_some_and(|t| t.verify);
            info.auth_required =
                self.hooks.authenticator.is_some() || config.auth.advertise_auth_required();
        }
        *self.config.write() = Arc::new(config);
        self.config_gen.fetch_add(1, Relaxed);
    }

    pub(crate) fn unregister(&self, cid: u64) {
        self.clients.lock().remove(&cid);
    }

    /// Makes every connection refresh its copy of the configuration (and permissions).
    pub(crate) fn bump_config_gen(&self) {
        self.config_gen.fetch_add(1, Relaxed);
    }

    /// Whether [`Server::stop`] has begun.
    pub(crate) fn is_shutting_down(&self) -> bool {
        self.shutting_down.load(Relaxed)
    }

    pub(crate) fn num_clients(&self) -> usize {
        self.clients.lock().len()
    }

    /// Every connection currently registered.
    pub(crate) fn client_list(&self) -> Vec<Arc<ClientHandle>> {
        self.clients.lock().values().cloned().collect()
    }
}

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("invalid configuration: {0}")]
    Config(#[from] ConfigError),
    /// The address (`host:port`) and the operating system's error.
    #[error("can not listen on {0}: {1}")]
    Bind(String, #[source] std::io::Error),
    #[error("can not start the runtime: {0}")]
    Runtime(#[source] std::io::Error),
}

/// A running server. Dropping it stops it.
pub struct Server {
    shared: Arc<Shared>,
    /// Taken by the first [`Server::stop`]; a mutex so `stop` can run while another thread
    /// is in [`Server::lame_duck`].
    runtime: Mutex<Option<Runtime>>,
    addr: SocketAddr,
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
        let CompiledConfig {
            config,
            authorizer,
            tls,
        } = compiled;
        let mut rt = tokio::runtime::Builder::new_multi_thread();
        rt.enable_all().thread_name("fastnats");
        if config.worker_threads > 0 {
            rt.worker_threads(config.worker_threads);
        }
        let runtime = rt.build().map_err(StartError::Runtime)?;
        let bind_to = format!("{}:{}", config.host, config.port);
        let listener = runtime
            .block_on(bind(&bind_to))
            .map_err(|e| StartError::Bind(bind_to.clone(), e))?;
        let addr = listener
            .local_addr()
            .map_err(|e| StartError::Bind(bind_to, e))?;

        let server_id = new_server_id();
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
            auth_required: hooks.authenticator.is_some() || config.auth.advertise_auth_required(),
            tls_required: config.tls.is_some(),
            tls_verify: config.tls.as_ref().is_some_and(|t| t.verify),
            fastnats: VERSION.to_string(),
            ..ServerInfo::default()
        };
        let shared = Arc::new(Shared {
            index: SubIndex::new(!config.disable_sublist_cache),
            config: RwLock::new(Arc::new(config)),
            config_gen: AtomicU64::new(0),
            stats: Arc::new(ServerStats::default()),
            clients: Mutex::new(HashMap::new()),
            next_cid: AtomicU64::new(1),
            info: RwLock::new(info),
            shutting_down: AtomicBool::new(false),
            stop_accept: Notify::new(),
            closed: Mutex::new(std::collections::VecDeque::new()),
            started: Instant::now(),
            started_wall: SystemTime::now(),
            authorizer: RwLock::new(Arc::new(authorizer)),
            hooks,
            tls: RwLock::new(tls),
        });
        runtime.spawn(accept_loop(shared.clone(), listener));
        Ok(Server {
            shared,
            runtime: Mutex::new(Some(runtime)),
            addr,
            started: Instant::now(),
        })
    }

    /// The bound address (the real port when the config asked for port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    pub fn server_id(&self) -> String {
        self.shared.info.read().server_id.clone()
    }

    pub fn server_name(&self) -> String {
        self.shared.info.read().server_name.clone()
    }

    /// The live configuration (changes on [`Server::reload`]).
    pub fn config(&self) -> Arc<Config> {
        self.shared.config()
    }

    /// Applies a new configuration to the running server (see [`crate::reload`]).
    pub fn reload(&self, config: Config) -> Result<(), ConfigError> {
        crate::reload::apply(&self.shared, config)
    }

    /// Lame duck mode (see [`crate::lame_duck`]); blocks until every client is gone. Call
    /// [`Server::stop`] afterwards.
    pub fn lame_duck(&self, duration: Duration, grace: Duration) {
        crate::lame_duck::run(&self.shared, duration, grace);
    }

    /// Shared state, for the monitoring snapshots.
    pub fn shared(&self) -> &Arc<Shared> {
        &self.shared
    }

    pub fn uptime(&self) -> Duration {
        self.started.elapsed()
    }

    pub fn is_running(&self) -> bool {
        self.runtime.lock().is_some()
    }

    /// Counters at this moment.
    pub fn stats(&self) -> StatsSnapshot {
        self.shared.stats.snapshot(
            self.shared.num_clients() as u64,
            self.shared.index.count() as u64,
        )
    }

    /// Graceful stop: stop accepting, close every connection after flushing what is queued
    /// to it (bounded by `shutdown_grace`), then stop the runtime threads. Idempotent.
    pub fn stop(&self) {
        let Some(runtime) = self.runtime.lock().take() else {
            return;
        };
        self.shared.shutting_down.store(true, Relaxed);
        self.shared.stop_accept.notify_one();
        let clients: Vec<_> = self.shared.clients.lock().values().cloned().collect();
        for c in clients {
            c.close(CloseReason::ServerShutdown, CloseMode::Flush);
        }
        let deadline = Instant::now() + self.shared.config().shutdown_grace;
        while self.shared.num_clients() > 0 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        runtime.shutdown_timeout(Duration::from_millis(500));
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

/// nats-server's listen backlog; the OS default (128) overflows when hundreds of clients
/// connect at once, and those wait a second for their SYN retransmit.
const LISTEN_BACKLOG: u32 = 4096;

async fn bind(addr: &str) -> std::io::Result<TcpListener> {
    let mut last = None;
    for a in tokio::net::lookup_host(addr).await? {
        let socket = if a.is_ipv4() {
            tokio::net::TcpSocket::new_v4()?
        } else {
            tokio::net::TcpSocket::new_v6()?
        };
        socket.set_reuseaddr(true)?;
        match socket.bind(a).and_then(|()| socket.listen(LISTEN_BACKLOG)) {
            Ok(l) => return Ok(l),
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or_else(|| {
        std::io::Error::new(std::io::ErrorKind::AddrNotAvailable, "no address to bind")
    }))
}

async fn accept_loop(shared: Arc<Shared>, listener: TcpListener) {
    loop {
        let accepted = tokio::select! {
            r = listener.accept() => r,
            _ = shared.stop_accept.notified() => break,
        };
        match accepted {
            Ok((stream, addr)) => {
                if shared.shutting_down.load(Relaxed) {
                    break;
                }
                tokio::spawn(serve(shared.clone(), stream, addr));
            }
            Err(e) => {
                // Out of file descriptors and the like: back off instead of spinning.
                log_at!(Level::Error, "Error accepting client connection: {e}");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
}

/// Serves one accepted socket until it closes.
async fn serve(shared: Arc<Shared>, stream: TcpStream, addr: SocketAddr) {
    let _ = stream.set_nodelay(true);
    let cid = shared.next_cid.fetch_add(1, Relaxed);
    let config = shared.config();
    let me = Arc::new(ClientHandle::new(cid, config.max_pending, addr));
    shared.stats.total_connections.fetch_add(1, Relaxed);

    let mut info = shared.info.read().clone();
    info.client_id = cid;
    info.client_ip = addr.ip().to_string();
    // A nonce for nkey signatures (and for a custom authenticator, which may check them).
    let nonce = (shared.hooks.authenticator.is_some()
        || shared.authorizer().config().needs_nonce())
    .then(crate::auth::new_nonce);
    if let Some(n) = &nonce {
        info.nonce.clone_from(n);
    }
    let mut hello = Vec::with_capacity(512);
    encode::write_info(&mut hello, &info);

    let admitted = {
        let mut clients = shared.clients.lock();
        let ok = clients.len() < config.max_connections;
        if ok {
            clients.insert(cid, me.clone());
        }
        ok
    };
    log_at!(
        Level::Debug,
        "{addr} - cid:{cid} - Client connection created"
    );
    let tls = if admitted { shared.tls() } else { None };
    let (rd, wr) = match tls {
        None => {
            me.queue(&hello);
            let (rd, wr) = stream.into_split();
            (ReadSock::Tcp(rd), WriteSock::Tcp(wr))
        }
        // Boxed: the TLS handshake state is large and would otherwise size every
        // connection task, TLS or not.
        Some((acceptor, cfg)) => match Box::pin(handshake(stream, &acceptor, &cfg, &hello)).await {
            Ok(tls) => {
                *me.tls_subject.lock() = crate::tls::peer_subject(tls.get_ref().1);
                if cfg.handshake_first {
                    me.queue(&hello);
                }
                let (rd, wr) = tokio::io::split(tls);
                (ReadSock::Tls(rd), WriteSock::Tls(wr))
            }
            Err(e) => {
                log_at!(
                    Level::Error,
                    "{addr} - cid:{cid} - TLS handshake error: {e}"
                );
                me.close(CloseReason::TlsHandshakeError, CloseMode::Discard);
                crate::monitor::record_closed(&shared, &me);
                shared.unregister(cid);
                return;
            }
        },
    };
    me.out.lock().socket = Some(wr);
    let writer = tokio::spawn(crate::writer::write_loop(me.clone(), shared.clone()));
    if !admitted {
        let mut err = Vec::new();
        encode::write_err(&mut err, ProtoError::MaxConnectionsExceeded);
        me.queue(&err);
        me.close(CloseReason::MaxConnectionsExceeded, CloseMode::Flush);
        let _ = writer.await;
        return;
    }
    me.flush();
    // What only the handshake needed is not kept for the connection's lifetime (a few
    // hundred bytes per idle connection).
    drop((hello, info, config));
    Conn::new(shared.clone(), me.clone(), nonce).run(rd).await;
    let _ = writer.await;
    crate::monitor::record_closed(&shared, &me);
    // Breaks the cycle client -> subscription -> client.
    me.subs.lock().clear();
    shared.unregister(cid);
    if let Some(reason) = me.close_reason() {
        log_at!(
            Level::Debug,
            "{addr} - cid:{cid} - Client connection closed: {reason}"
        );
    }
}

/// The TLS handshake of one client: INFO in clear first unless `handshake_first`, bounded by
/// the TLS timeout; on timeout the connection is closed.
async fn handshake(
    stream: TcpStream,
    acceptor: &tokio_rustls::TlsAcceptor,
    cfg: &TlsConfig,
    hello: &[u8],
) -> std::io::Result<tokio_rustls::server::TlsStream<TcpStream>> {
    use tokio::io::AsyncWriteExt;
    let mut stream = stream;
    if !cfg.handshake_first {
        stream.write_all(hello).await?;
    }
    // A second handle on the socket, to close it if the handshake times out.
    let std = stream.into_std()?;
    let spare = std.try_clone()?;
    let stream = TcpStream::from_std(std)?;
    match tokio::time::timeout(cfg.timeout, acceptor.accept(stream)).await {
        Ok(r) => r,
        // nats-server (2.15) closes without a word here, whatever its docs say: so does
        // fastnats, since clients treat an unknown -ERR as fatal anyway.
        Err(_) => {
            let _ = spare.shutdown(std::net::Shutdown::Both);
            Err(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                "TLS handshake timeout",
            ))
        }
    }
}

/// A 56-character id starting with `N`, shaped like nats-server's public nkey.
fn new_server_id() -> String {
    use std::hash::{BuildHasher, Hasher};
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut id = String::with_capacity(56);
    id.push('N');
    let state = std::collections::hash_map::RandomState::new();
    let mut n = 0u64;
    while id.len() < 56 {
        let mut h = state.build_hasher();
        h.write_u64(n);
        let mut x = h.finish();
        for _ in 0..12 {
            if id.len() == 56 {
                break;
            }
            id.push(ALPHABET[(x & 31) as usize] as char);
            x >>= 5;
        }
        n += 1;
    }
    id
}
