//! JetStream for fastnats: streams and consumers served on `$JS.API.>`.
//!
//! # Contract
//!
//! - [`api`] is the wire layer, pure and fast to compile: nats-server's JSON for every
//!   request and reply (field names, `omitempty` omissions, nanosecond durations, RFC 3339
//!   times, the `type` of each reply), its error objects with their texts to the byte, and
//!   its normalisation and checks of stream and consumer configs. Unmodified clients
//!   compare all of these, so each is a tested contract: unit tests per rule, and
//!   `tests/transcripts.rs` replaying requests recorded against a real nats-server
//!   (`tests/jetstream/transcripts/record.py` records them).
//! - The engine (streams on the store, consumers, the API handlers as an internal client)
//!   builds on [`api`] in this crate; nothing in [`api`] knows about it.
//!
//! # The running part
//!
//! [`JetStream::start`] attaches to a running [`Engine`] as internal clients:
//!
//! - the API subscriptions ([`service::API_SUBJECTS`]: `$JS.API.>` but for the subjects
//!   streams and consumers serve themselves; [`service`], [`stream_api`], [`consumer_api`]);
//! - per stream, one subscription on all its subjects for ingest ([`ingest`]: checks, store,
//!   one `sync` per batch, then the PubAcks) and, with `allow_direct`, two for DIRECT.GET
//!   ([`direct`]);
//! - a timer task for `max_age` expiry (at the earliest `Store::next_expiry`) and, with
//!   [`Sync::Interval`], the periodic sync.
//!
//! Streams belong to a [`JsAccount`] (only `$G` in this slice); file streams live in
//! `<store_dir>/jetstream/$G/streams/<stream>/` with `meta.inf` (the config, written with
//! `atomic_write`) and `msgs/` (the store), as nats-server lays them out. On start every
//! stream directory is reopened; memory streams do not survive a restart.
//!
//! Compatibility target: nats-server 2.10. Where 2.11+ (the 2.15.1 the side-by-side tests
//! run) behaves differently, the module concerned says so and which it follows.

// Lints for this pure crate beyond the workspace's, as in fastnats-sublist (but for
// `doc_markdown`, which would want every "JetStream" in backticks).
#![warn(
    missing_docs,
    clippy::must_use_candidate,
    clippy::missing_errors_doc,
    clippy::redundant_closure_for_method_calls,
    clippy::explicit_iter_loop,
    clippy::semicolon_if_nothing_returned,
    clippy::needless_pass_by_value,
    clippy::cast_lossless,
    clippy::uninlined_format_args
)]

pub mod advisories;
pub mod api;
pub mod commit;
pub mod consumer;
pub mod consumer_api;
pub mod dedup;
pub mod direct;
pub mod headers;
pub mod ingest;
pub mod monitor;
pub mod options;
pub mod republish;
pub mod service;
pub mod starter;
pub mod stream;
pub mod stream_api;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use fastnats_server::engine::InAccount;
use fastnats_server::internal::{InternalHandler, InternalSubscription, SubscribeError};
use fastnats_server::Engine;
use parking_lot::{Mutex, RwLock};

pub use options::{JetStreamOptions, Sync};
pub use stream::Stream;

use api::{AccountLimits, ApiError, StorageType};

/// Bytes waiting for a stream's ingest past which its publishers wait for it (the engine's
/// [`Connection::hold_publishers_at`](fastnats_server::connection::Connection::hold_publishers_at):
/// no time limit, nothing dropped, the subscription is never cut).
///
/// Why 8 MiB: the handler takes everything waiting as one batch with one sync, so this
/// bounds a batch, and a flooded stream holds about twice this (the batch being stored
/// and the next one filling). Group commit has paid for itself long before: even a slow
/// 10 ms `fdatasync` per 8 MiB batch would cap ingest near 800 MB/s, far above what the
/// store writes, so a larger value buys no throughput, only memory and latency.
pub const INGEST_STALL: usize = 8 * 1024 * 1024;
/// Most bytes that may wait for one stream's ingest: a hard cap on memory past which a
/// delivery is refused (a publish with a reply is answered `429 Too Many Requests`, see
/// [`ingest::TOO_MANY_REQUESTS`]) while the subscription stays open.
///
/// Why 128 MiB, nats-server's own cap on a stream's ingest queue
/// (`streamDefaultMaxQueueBytes`, where it answers 429): each publisher waits as soon as
/// a read of its pushed the queue past [`INGEST_STALL`], so the queue passes it by at most
/// one read per publisher (64 KiB, or one message of up to `max_payload`, itself at most
/// 64 MiB). The cap leaves room for the largest message plus the reads of hundreds of
/// publishers landing together; one publisher, or a few, never reach it.
pub const INGEST_MAX_PENDING: usize = 128 * 1024 * 1024;
/// The API subscription's limits.
const API_MAX_PENDING: usize = 1 << 30;
const API_STALL: usize = 8 * 1024 * 1024;
/// Longest the expiry timer sleeps (new streams and updates are noticed by then at worst).
const TIMER_MAX: Duration = Duration::from_millis(250);

/// Why JetStream did not start.
#[derive(Debug, thiserror::Error)]
pub enum JsStartError {
    /// The store directory can not be made (nats-server's text).
    #[error("could not create storage directory - {1}")]
    StoreDir(PathBuf, std::io::Error),
    /// The store directory's path names something else (nats-server's text).
    #[error("storage directory is not a directory")]
    NotADirectory(PathBuf),
    /// The store directory can not be written to (nats-server's text).
    #[error("storage directory is not writable")]
    NotWritable(PathBuf),
    /// A stream could not be restored.
    #[error("JetStream could not restore stream {0}: {1}")]
    Restore(String, stream::OpenError),
    /// An internal subscription was refused.
    #[error("JetStream could not subscribe: {0}")]
    Subscribe(#[from] SubscribeError),
    /// The system account was given JetStream (nats-server's text, before JetStream
    /// starts).
    #[error("Not allowed to enable JetStream on the system account")]
    SystemAccount,
    /// Operator mode without a system account (nats-server's text).
    #[error("setting up internal jetstream subscriptions failed: system account not setup")]
    NoSystemAccount,
    /// An account to serve does not exist.
    #[error("jetstream account not registered")]
    NoAccount(String),
    /// The accounts' limits add up past the server's (nats-server's text and error).
    #[error("Error enabling jetstream on configured accounts: {0}")]
    Insufficient(ApiError),
}

/// What every account's [`Ctx`] shares: the server-wide usage per storage type, and the
/// timer's wake-up.
pub struct ServerWide {
    /// Bytes stored, memory then file.
    usage: [AtomicI64; 2],
    /// Wakes the timer task (a stream's expiry may be sooner now).
    timer_wake: tokio::sync::Notify,
    /// Every account served (for the server-wide reservations).
    accounts: RwLock<Vec<std::sync::Weak<JsAccount>>>,
}

impl ServerWide {
    /// The bytes the streams of every account reserve with their `max_bytes`, memory then
    /// file (nats-server's `memReserved`, `storeReserved`).
    #[must_use]
    pub fn reserved(&self) -> [i64; 2] {
        let mut total = [0i64; 2];
        for account in self
            .accounts
            .read()
            .iter()
            .filter_map(std::sync::Weak::upgrade)
        {
            let r = account.reserved();
            total[0] = total[0].saturating_add(r[0]);
            total[1] = total[1].saturating_add(r[1]);
        }
        total
    }
}

/// What the handlers of one account share: the engine in that account to publish and
/// subscribe through, the options, the account's limits and usage, and the server-wide
/// usage per storage type.
pub struct Ctx {
    /// The engine, in the account served.
    pub engine: InAccount,
    /// The options.
    pub opts: JetStreamOptions,
    /// The account's limits.
    pub limits: AccountLimits,
    /// Server-wide state.
    server: Arc<ServerWide>,
    /// The account's bytes stored, memory then file.
    usage: [AtomicI64; 2],
    /// What consumers deliver through ([`consumer::pump::send`]): each batch of deliveries
    /// flushes each recipient once.
    pub deliveries: Mutex<fastnats_server::internal::Publisher>,
}

impl Ctx {
    /// Sends a reply as the server (errors are dropped: the requester is gone).
    pub fn reply(&self, subject: &[u8], headers: Option<&[u8]>, payload: &[u8]) {
        let _ = self.engine.publish(subject, None, headers, payload);
    }

    /// The account's name.
    #[must_use]
    pub fn account_name(&self) -> &str {
        self.engine.account_name()
    }

    /// Records a store's byte count going from `before` to `after`.
    pub fn add_usage(&self, storage: StorageType, after: u64, before: u64) {
        let delta =
            i64::try_from(after).unwrap_or(i64::MAX) - i64::try_from(before).unwrap_or(i64::MAX);
        if delta != 0 {
            let i = ingest::storage_index(storage);
            self.server.usage[i].fetch_add(delta, Ordering::Relaxed);
            self.usage[i].fetch_add(delta, Ordering::Relaxed);
        }
    }

    /// Whether storing a message of `subject`, `hdr` and `payload` bytes is refused for
    /// lack of room: the server's limit for this storage type passed (nats-server's
    /// `limitsExceeded`: insufficient resources), else the account's limit that the
    /// message would pass (`wouldExceedLimits`: resource limits exceeded for account).
    #[must_use]
    pub fn refuse_store(
        &self,
        storage: StorageType,
        subject: usize,
        hdr: usize,
        payload: usize,
    ) -> Option<ApiError> {
        if self.limits_exceeded(storage) {
            return Some(ApiError::insufficient_resources());
        }
        let (limit, size) = match storage {
            StorageType::Memory => (
                self.limits.max_memory,
                fastnats_store::MemStore::msg_size(subject, hdr, payload),
            ),
            StorageType::File => (
                self.limits.max_storage,
                fastnats_store::FileStore::msg_size(subject, hdr, payload),
            ),
        };
        let used = self.usage[ingest::storage_index(storage)].load(Ordering::Relaxed);
        let size = i64::try_from(size).unwrap_or(i64::MAX);
        (limit >= 0 && used.saturating_add(size) > limit).then(ApiError::account_resources_exceeded)
    }

    /// What the streams of every account reserve, memory then file.
    #[must_use]
    pub fn server_reserved(&self) -> [i64; 2] {
        self.server.reserved()
    }

    /// The account's bytes stored in streams of this storage type.
    #[must_use]
    pub fn account_usage(&self, storage: StorageType) -> u64 {
        u64::try_from(self.usage[ingest::storage_index(storage)].load(Ordering::Relaxed))
            .unwrap_or(0)
    }

    /// Whether the server's limit for this storage type is passed (nats-server's
    /// `limitsExceeded`).
    #[must_use]
    pub fn limits_exceeded(&self, storage: StorageType) -> bool {
        let limit = match storage {
            StorageType::Memory => self.opts.max_memory,
            StorageType::File => self.opts.max_file,
        };
        limit >= 0
            && self.server.usage[ingest::storage_index(storage)].load(Ordering::Relaxed) > limit
    }

    /// Bytes stored in streams of this storage type.
    #[must_use]
    pub fn usage_bytes(&self, storage: StorageType) -> u64 {
        u64::try_from(self.server.usage[ingest::storage_index(storage)].load(Ordering::Relaxed))
            .unwrap_or(0)
    }

    /// The server's name (the leader of every stream and consumer on a single server).
    #[must_use]
    pub fn server_name(&self) -> String {
        self.engine.server_name()
    }

    /// The `cluster` of stream and consumer infos: this server as the leader, as a
    /// nats-server without a cluster shows it.
    #[must_use]
    pub fn cluster_info(&self) -> api::ClusterInfo {
        api::ClusterInfo {
            leader: self.server_name(),
            ..api::ClusterInfo::default()
        }
    }

    /// A stream's expiry may have moved earlier.
    pub fn expiry_changed(&self) {
        self.server.timer_wake.notify_one();
    }

    fn subscribe(
        &self,
        subject: &str,
        max_pending: usize,
        stall: usize,
        handler: Arc<dyn InternalHandler>,
    ) -> Result<InternalSubscription, SubscribeError> {
        self.engine
            .subscribe_internal(subject.as_bytes(), None, max_pending, stall, handler)
    }

    /// Starts a stream's subscriptions: ingest on all its subjects, direct get if allowed.
    ///
    /// # Errors
    /// A refused subscription (the stream's others are dropped).
    pub fn attach(self: &Arc<Self>, stream: &Arc<Stream>) -> Result<(), SubscribeError> {
        let cfg = stream.config.read().clone();
        // One connection for all the subjects: messages are stored in the order they were
        // published whichever subject they took, and a batch (one sync) spans them all. A
        // stream's subjects never overlap (the config checks), so none arrives twice.
        let subjects: Vec<&[u8]> = cfg.subjects.iter().map(String::as_bytes).collect();
        let handler = Arc::new(ingest::Ingest::new(Arc::downgrade(stream), self.clone()));
        let ingest = self.engine.subscribe_internal_many(
            &subjects,
            None,
            self.opts.ingest_max_pending,
            self.opts.ingest_stall,
            handler,
        )?;
        let direct = self.direct_subs(stream, &cfg)?;
        *stream.subs.lock() = stream::Subs {
            ingest: Some(ingest),
            direct,
        };
        self.expiry_changed();
        Ok(())
    }

    /// Follows an update of the stream's subjects or `allow_direct`: ingest changes its
    /// subjects in place (a publish during the update is stored or refused, never left
    /// without responders), direct get starts or stops.
    ///
    /// # Errors
    /// A refused subscription.
    pub fn reattach(self: &Arc<Self>, stream: &Arc<Stream>) -> Result<(), SubscribeError> {
        let cfg = stream.config.read().clone();
        let mut subs = stream.subs.lock();
        if let Some(ingest) = subs.ingest.as_mut() {
            let subjects: Vec<&[u8]> = cfg.subjects.iter().map(String::as_bytes).collect();
            ingest.resubscribe(&subjects)?;
        }
        // Direct get is on exactly when it has its subscriptions.
        if cfg.allow_direct == subs.direct.is_empty() {
            subs.direct = self.direct_subs(stream, &cfg)?;
        }
        Ok(())
    }

    /// The two DIRECT.GET subscriptions of a stream with `allow_direct`.
    fn direct_subs(
        self: &Arc<Self>,
        stream: &Arc<Stream>,
        cfg: &api::StreamConfig,
    ) -> Result<Vec<InternalSubscription>, SubscribeError> {
        if !cfg.allow_direct {
            return Ok(Vec::new());
        }
        let base = format!("$JS.API.DIRECT.GET.{}", cfg.name);
        let handler = Arc::new(direct::Direct {
            stream: Arc::downgrade(stream),
            ctx: self.clone(),
            prefix: format!("{base}."),
        });
        Ok(vec![
            self.subscribe(&base, API_MAX_PENDING, API_STALL, handler.clone())?,
            self.subscribe(&format!("{base}.>"), API_MAX_PENDING, API_STALL, handler)?,
        ])
    }
}

/// A JetStream account: its streams and API counters.
pub struct JsAccount {
    /// The account's name.
    pub name: String,
    /// `<store_dir>/jetstream/<account>/streams`.
    pub streams_dir: PathBuf,
    streams: RwLock<BTreeMap<String, Arc<Stream>>>,
    /// Serialises create/update/delete (checks of other streams then the change).
    pub admin: Mutex<()>,
    /// API requests served.
    pub api_total: AtomicU64,
    /// API requests answered with an error.
    pub api_errors: AtomicU64,
}

impl JsAccount {
    /// The stream `name`.
    #[must_use]
    pub fn stream(&self, name: &str) -> Option<Arc<Stream>> {
        self.streams.read().get(name).cloned()
    }

    /// Every stream, sorted by name.
    #[must_use]
    pub fn all(&self) -> Vec<Arc<Stream>> {
        self.streams.read().values().cloned().collect()
    }

    /// The bytes its streams reserve with their `max_bytes` (those above 0), memory then
    /// file (nats-server's `reservedStorage`).
    #[must_use]
    pub fn reserved(&self) -> [i64; 2] {
        let mut total = [0i64; 2];
        for s in self.all() {
            let cfg = s.config.read();
            if cfg.max_bytes > 0 {
                let i = ingest::storage_index(cfg.storage);
                total[i] = total[i].saturating_add(cfg.max_bytes);
            }
        }
        total
    }

    /// How many streams.
    #[must_use]
    pub fn len(&self) -> usize {
        self.streams.read().len()
    }

    /// Whether there is no stream.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.streams.read().is_empty()
    }

    /// Adds a stream.
    pub fn insert(&self, stream: Arc<Stream>) {
        self.streams.write().insert(stream.name.clone(), stream);
    }

    /// Removes a stream.
    pub fn remove(&self, name: &str) -> Option<Arc<Stream>> {
        self.streams.write().remove(name)
    }
}

/// One account JetStream serves: its handlers' context, its streams, its API subscriptions.
pub struct Served {
    /// What its handlers share.
    pub ctx: Arc<Ctx>,
    /// Its streams and counters.
    pub account: Arc<JsAccount>,
    api: Mutex<Vec<InternalSubscription>>,
}

/// JetStream, running on an engine.
pub struct JetStream {
    server: Arc<ServerWide>,
    /// The accounts served, by name.
    accounts: BTreeMap<String, Served>,
    /// The answers of accounts without JetStream (10039).
    not_enabled: Mutex<Vec<InternalSubscription>>,
    timer: Mutex<Option<tokio::task::JoinHandle<()>>>,
}

impl JetStream {
    /// Opens the store directory, restores the streams of each account of
    /// `opts.accounts` and starts serving `$JS.API.>` and the streams' subjects in each of
    /// them on `engine`; the engine's other accounts answer that JetStream is not enabled
    /// for them.
    ///
    /// # Errors
    /// The store directory cannot be made or read, an account is the system account or
    /// does not exist, the accounts' limits pass the server's, a stream cannot be restored,
    /// or a subscription is refused.
    pub fn start(
        engine: &Arc<Engine>,
        opts: &JetStreamOptions,
    ) -> Result<Arc<JetStream>, JsStartError> {
        let system = engine.shared().system_account_name();
        if system
            .as_deref()
            .is_some_and(|name| opts.accounts.contains_key(name))
        {
            return Err(JsStartError::SystemAccount);
        }
        if system.is_none() && engine.shared().authorizer().operator().is_some() {
            return Err(JsStartError::NoSystemAccount);
        }
        let data_dir = opts.store_dir.join("jetstream");
        check_data_dir(&data_dir)?;
        sufficient_resources(opts)?;
        let runtime = engine.runtime().clone();
        let server = Arc::new(ServerWide {
            usage: [AtomicI64::new(0), AtomicI64::new(0)],
            timer_wake: tokio::sync::Notify::new(),
            accounts: RwLock::new(Vec::new()),
        });
        let mut accounts = BTreeMap::new();
        for (name, limits) in &opts.accounts {
            let handle = engine
                .in_account(Some(name))
                .ok_or_else(|| JsStartError::NoAccount(name.clone()))?;
            let streams_dir = data_dir.join(name).join("streams");
            std::fs::create_dir_all(&streams_dir)
                .map_err(|e| JsStartError::StoreDir(streams_dir.clone(), e))?;
            let ctx = Arc::new(Ctx {
                deliveries: Mutex::new(handle.publisher()),
                engine: handle,
                opts: opts.clone(),
                limits: limits.clone(),
                server: server.clone(),
                usage: [AtomicI64::new(0), AtomicI64::new(0)],
            });
            let account = Arc::new(JsAccount {
                name: name.clone(),
                streams_dir,
                streams: RwLock::new(BTreeMap::new()),
                admin: Mutex::new(()),
                api_total: AtomicU64::new(0),
                api_errors: AtomicU64::new(0),
            });
            server.accounts.write().push(Arc::downgrade(&account));
            let served = Served {
                ctx,
                account,
                api: Mutex::new(Vec::new()),
            };
            accounts.insert(name.clone(), served);
        }
        let js = Arc::new(JetStream {
            server,
            accounts,
            not_enabled: Mutex::new(Vec::new()),
            timer: Mutex::new(None),
        });
        for served in js.accounts.values() {
            restore(served)?;
            let service = Arc::new(service::ApiService {
                ctx: served.ctx.clone(),
                account: served.account.clone(),
            });
            for subject in service::API_SUBJECTS {
                let sub =
                    served
                        .ctx
                        .subscribe(subject, API_MAX_PENDING, API_STALL, service.clone())?;
                served.api.lock().push(sub);
            }
        }
        js.answer_not_enabled(engine, system.as_deref())?;
        *js.timer.lock() = Some(runtime.spawn(timer_loop(Arc::downgrade(&js))));
        Ok(js)
    }

    /// Subscribes the answers of the engine's accounts that JetStream does not serve: 503
    /// / 10039 on every endpoint (the system account's as `system_response` but for INFO,
    /// and on DIRECT.GET too).
    fn answer_not_enabled(
        &self,
        engine: &Arc<Engine>,
        system: Option<&str>,
    ) -> Result<(), JsStartError> {
        let mut names: Vec<String> = engine
            .shared()
            .accounts()
            .iter()
            .map(|a| a.name().to_string())
            .collect();
        names.push(engine.shared().global_account().name().to_string());
        names.sort();
        names.dedup();
        for name in names {
            if self.accounts.contains_key(&name) {
                continue;
            }
            let Some(handle) = engine.in_account(Some(&name)) else {
                continue;
            };
            let is_system = system == Some(name.as_str());
            let handler = Arc::new(service::NotEnabled {
                engine: handle.clone(),
                system: is_system,
            });
            let subjects: &[&str] = if is_system {
                &["$JS.API.>"]
            } else {
                &service::API_SUBJECTS
            };
            for subject in subjects {
                let sub = handle.subscribe_internal(
                    subject.as_bytes(),
                    None,
                    API_MAX_PENDING,
                    API_STALL,
                    handler.clone(),
                )?;
                self.not_enabled.lock().push(sub);
            }
        }
        Ok(())
    }

    /// The account `name`, if JetStream serves it.
    #[must_use]
    pub fn served(&self, name: &str) -> Option<&Served> {
        self.accounts.get(name)
    }

    /// Every account served, by name.
    pub fn served_accounts(&self) -> impl Iterator<Item = &Served> {
        self.accounts.values()
    }

    /// The account `$G`, if JetStream serves it.
    #[must_use]
    pub fn account(&self) -> Option<&Arc<JsAccount>> {
        self.served(fastnats_server::account::GLOBAL_ACCOUNT)
            .map(|s| &s.account)
    }

    /// How many times ingest synced stream `name` of `$G` (the group-commit test counts
    /// them).
    #[must_use]
    pub fn stream_syncs(&self, name: &str) -> Option<u64> {
        self.account()?
            .stream(name)
            .map(|s| s.syncs.load(Ordering::Relaxed))
    }

    /// Stops serving: unsubscribes everything, stops the timer, syncs every store and
    /// drops the streams (their files are closed once the last handler is done with them).
    pub fn shutdown(&self) {
        self.not_enabled.lock().clear();
        for served in self.accounts.values() {
            served.api.lock().clear();
        }
        if let Some(t) = self.timer.lock().take() {
            t.abort();
        }
        for served in self.accounts.values() {
            let account = &served.account;
            for s in account.all() {
                s.stop();
                s.consumers.stop_all();
                let mut st = s.state.lock();
                if let Err(e) = st.store.sync() {
                    fastnats_server::log_at!(
                        fastnats_server::log::Level::Error,
                        "JetStream failed to sync stream '{} > {}' on shutdown: {e}",
                        account.name,
                        s.name
                    );
                }
                drop(st);
                account.remove(&s.name);
            }
        }
    }
}

impl Drop for JetStream {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// nats-server's `sufficientResources` on a single server: the accounts' `max_memory` and
/// `max_storage` limits (those above 0) must fit in the server's, in all.
fn sufficient_resources(opts: &JetStreamOptions) -> Result<(), JsStartError> {
    let (mut memory, mut storage) = (0i64, 0i64);
    for limits in opts.accounts.values() {
        if limits.max_memory > 0 {
            memory = memory.saturating_add(limits.max_memory);
        }
        if limits.max_storage > 0 {
            storage = storage.saturating_add(limits.max_storage);
        }
        // Checked account by account, as nats-server enables them one after the other.
        if opts.max_memory >= 0 && memory > opts.max_memory {
            return Err(JsStartError::Insufficient(
                ApiError::memory_resources_exceeded(),
            ));
        }
        if opts.max_file >= 0 && storage > opts.max_file {
            return Err(JsStartError::Insufficient(
                ApiError::storage_resources_exceeded(),
            ));
        }
    }
    Ok(())
}

/// Restores the streams of an account from its streams directory.
fn restore(served: &Served) -> Result<(), JsStartError> {
    let (ctx, account) = (&served.ctx, &served.account);
    let streams_dir = &account.streams_dir;
    let entries = std::fs::read_dir(streams_dir)
        .map_err(|e| JsStartError::StoreDir(streams_dir.clone(), e))?;
    let mut dirs: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    dirs.sort();
    for dir in dirs.into_iter().filter(|d| d.is_dir()) {
        let meta = match stream::read_meta_file(&dir) {
            Ok(m) => m,
            Err(e) => {
                fastnats_server::log_at!(
                    fastnats_server::log::Level::Warn,
                    "  Error unmarshalling stream metafile {:?}: {e}",
                    dir.join(stream::META_FILE)
                );
                continue;
            }
        };
        let name = meta.config.name.clone();
        let acc = &account.name;
        fastnats_server::log_at!(
            fastnats_server::log::Level::Info,
            "  Starting restore for stream '{acc} > {name}'"
        );
        let started = std::time::Instant::now();
        let s = Stream::open(
            meta.config,
            meta.created,
            streams_dir,
            ctx.opts.sync,
            ctx.opts.domain.as_deref(),
            false,
        )
        .map_err(|e| JsStartError::Restore(name.clone(), e))?;
        let s = Arc::new(s);
        {
            let st = s.state.lock();
            let cfg = s.config.read();
            ctx.add_usage(cfg.storage, st.store.state().bytes, 0);
        }
        ctx.attach(&s)?;
        consumer::start::restore(ctx, &s);
        // Go's `time.Since(start).Round(time.Millisecond)`.
        let took = (started.elapsed().as_nanos() + 500_000) / 1_000_000;
        fastnats_server::log_at!(
            fastnats_server::log::Level::Info,
            "  Restored {} messages for stream '{acc} > {name}' in {}",
            api::gofmt::comma(s.state.lock().store.state().msgs),
            api::gofmt::go_duration(i64::try_from(took).unwrap_or(i64::MAX) * 1_000_000)
        );
        account.insert(s);
    }
    Ok(())
}

/// nats-server's checks of the data directory at start: made if missing, else it must be a
/// directory that a file can be created in.
fn check_data_dir(dir: &std::path::Path) -> Result<(), JsStartError> {
    match std::fs::metadata(dir) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            std::fs::create_dir_all(dir).map_err(|e| JsStartError::StoreDir(dir.to_path_buf(), e))
        }
        Ok(m) if m.is_dir() => {
            let probe = dir.join(format!("_test_{}", std::process::id()));
            std::fs::write(&probe, b"")
                .and_then(|()| std::fs::remove_file(&probe))
                .map_err(|_| JsStartError::NotWritable(dir.to_path_buf()))
        }
        _ => Err(JsStartError::NotADirectory(dir.to_path_buf())),
    }
}

/// Expires messages at the earliest `next_expiry` of all streams and, with
/// [`Sync::Interval`], syncs every stream once per interval.
async fn timer_loop(js: std::sync::Weak<JetStream>) {
    let mut last_sync = tokio::time::Instant::now();
    loop {
        let Some(j) = js.upgrade() else { return };
        let server = j.server.clone();
        let streams: Vec<(Arc<Ctx>, Arc<Stream>)> = j
            .accounts
            .values()
            .flat_map(|a| a.account.all().into_iter().map(|s| (a.ctx.clone(), s)))
            .collect();
        let sync_policy = j.accounts.values().next().map(|a| a.ctx.opts.sync);
        drop(j);
        let now = stream::now_nanos();
        let mut next: Option<i64> = None;
        let interval = match sync_policy {
            Some(Sync::Interval(d)) => Some(d),
            Some(Sync::Always) | None => None,
        };
        let sync_now = interval.is_some_and(|d| last_sync.elapsed() >= d);
        if sync_now {
            last_sync = tokio::time::Instant::now();
        }
        let expired = tokio::task::spawn_blocking(move || {
            let mut next: Option<i64> = None;
            for (ctx, s) in &streams {
                let storage = s.config.read().storage;
                let mut st = s.state.lock();
                if st.store.next_expiry().is_some_and(|t| t <= now) {
                    let before = st.store.state().bytes;
                    if st.store.expire(now).is_ok() {
                        let _ = st.store.sync();
                    }
                    ctx.add_usage(storage, st.store.state().bytes, before);
                } else if sync_now {
                    let _ = st.store.sync();
                }
                if let Some(t) = st.store.next_expiry() {
                    next = Some(next.map_or(t, |n: i64| n.min(t)));
                }
            }
            next
        })
        .await;
        if let Ok(n) = expired {
            next = n;
        }
        let mut wait = TIMER_MAX;
        if let Some(t) = next {
            let until = u64::try_from(t.saturating_sub(stream::now_nanos())).unwrap_or(0);
            wait = wait.min(Duration::from_nanos(until));
        }
        if let Some(d) = interval {
            wait = wait.min(d);
        }
        tokio::select! {
            () = tokio::time::sleep(wait) => {}
            () = server.timer_wake.notified() => {}
        }
    }
}
