//! One client connection: the reader task that owns the socket's read half, the parser and
//! the connection's private state, and dispatches each op (see [`crate::ops`] and
//! [`crate::route`]).
//!
//! Read buffer: starts at 512 bytes, doubles up to 64 KiB while reads fill it, halves again
//! after reads that use less than half (nats-server's scheme). Ops borrow from it; bytes of
//! an op split across reads are moved to the front (the only copy), and an op whose control
//! line announced a large payload gets the room it needs in one reservation.

use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;

use fastnats_proto::{encode, parse, CloseReason, ConnectInfo, Limits, Parsed, ProtoError};
use tokio::time::{interval_at, Instant, MissedTickBehavior};

use crate::auth::{AuthMethod, AuthOutcome, AuthRequest, CompiledPermissions, Identity, PubCache};
use crate::client::{ClientHandle, CloseMode};
use crate::config::Config;
use crate::flush::FlushSet;
use crate::hooks::ClientEvent;
use crate::io::ReadSock;
use crate::server::Shared;
use crate::stats::LocalCounts;
use crate::subs::{L1Cache, SubRef};

const MIN_READ: usize = 512;
const MAX_READ: usize = 64 * 1024;
/// While more input is waiting, recipients with less than this queued are flushed later.
const DEFER_MAX: usize = 64 * 1024;
/// Longest a publisher is stalled per read (nats-server: 10 ms per read-loop iteration).
const STALL_MAX: std::time::Duration = std::time::Duration::from_millis(10);
/// Re-check interval while stalled.
const STALL_STEP: std::time::Duration = std::time::Duration::from_millis(2);

/// The reader's private state.
pub struct Conn {
    pub(crate) shared: Arc<Shared>,
    pub(crate) me: Arc<ClientHandle>,
    pub(crate) connect: ConnectInfo,
    /// This connection's copy of the live config, refreshed when a reload bumps the
    /// generation (checked once per read).
    pub(crate) cfg: Arc<Config>,
    cfg_gen: u64,
    pub(crate) limits: Limits,
    pub(crate) l1: L1Cache,
    pub(crate) flush: FlushSet,
    pub(crate) counts: LocalCounts,
    /// Subscriptions that reached their auto-unsubscribe limit during this read.
    pub(crate) expired: Vec<SubRef>,
    /// Scratch space for blocks the server builds (no-responders headers).
    pub(crate) scratch: Vec<u8>,
    /// A consumer this read pushed past its stall threshold: wait for it before reading on.
    pub(crate) stalled: Option<Arc<ClientHandle>>,
    rng: u64,
    /// Server PINGs sent and not answered.
    pings_out: u32,
    /// Whether the client sent anything but PONG since the last ping tick.
    active: bool,
    /// Whether this read carried messages or SUB/UNSUB (what moves `last_activity`, as in
    /// nats-server; PING/PONG do not).
    pub(crate) msg_activity: bool,
    /// The nonce sent in INFO, for nkey signatures.
    nonce: Option<String>,
    /// Whether the client has passed authentication (always true when none is required).
    pub(crate) authed: bool,
    /// A CONNECT waits for its authentication decision: processing pauses after it.
    pub(crate) pending_auth: bool,
    /// The authenticated user's permissions (`None`: unrestricted, nothing checked).
    pub(crate) perms: Option<Arc<CompiledPermissions>>,
    pub(crate) pub_cache: PubCache,
    /// Whether on_connect fired (so on_disconnect fires too).
    announced: bool,
}

impl Conn {
    pub fn new(shared: Arc<Shared>, me: Arc<ClientHandle>, nonce: Option<String>) -> Self {
        let cfg_gen = shared.config_gen();
        let cfg = shared.config();
        let limits = Limits {
            max_control_line: cfg.max_control_line,
            max_payload: cfg.max_payload,
            headers: false,
        };
        let rng = seed(me.cid);
        let authed = !shared.auth_required();
        Conn {
            shared,
            me,
            connect: ConnectInfo::default(),
            cfg,
            cfg_gen,
            limits,
            l1: L1Cache::new(),
            flush: FlushSet::default(),
            counts: LocalCounts::default(),
            expired: Vec::new(),
            scratch: Vec::new(),
            stalled: None,
            rng,
            pings_out: 0,
            active: false,
            msg_activity: false,
            nonce,
            authed,
            pending_auth: false,
            perms: None,
            pub_cache: PubCache::new(),
            announced: false,
        }
    }

    /// Reads and processes until the connection closes; returns after cleanup.
    pub async fn run(mut self, mut rd: ReadSock) {
        let mut buf: Vec<u8> = Vec::new();
        let mut read_size = MIN_READ;
        let mut short_reads = 0u32;
        let mut needed = 0usize;
        let mut period = self.cfg.ping_interval;
        let mut ping = interval_at(Instant::now() + period, period);
        ping.set_missed_tick_behavior(MissedTickBehavior::Delay);

        // One registration for the whole connection: re-creating the `Notified` future per
        // read would take and release the notifier's lock each time.
        let me = self.me.clone();
        let closing = me.reader_wake.notified();
        tokio::pin!(closing);
        // nats-server's auth timer: no accepted CONNECT within the auth timeout closes.
        let auth_timer = tokio::time::sleep(self.shared.authorizer().config().timeout);
        tokio::pin!(auth_timer);
        while !self.me.is_closed() {
            let len = buf.len();
            let want = read_size.max(needed.saturating_sub(len));
            // Recipients still unflushed from the last read: read on only if bytes are
            // already waiting, else flush them before sleeping.
            let ready = if self.flush.is_empty() {
                None
            } else {
                buf.reserve(want);
                match rd.try_read_buf(&mut buf) {
                    Ok(0) => {
                        self.me.close(CloseReason::ClientClosed, CloseMode::Flush);
                        break;
                    }
                    Ok(n) => Some(n),
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                        self.flush.flush();
                        None
                    }
                    Err(_) => {
                        self.me.close(CloseReason::ReadError, CloseMode::Discard);
                        break;
                    }
                }
            };
            let n = if let Some(n) = ready {
                n
            } else {
                tokio::select! {
                biased;
                _ = &mut closing => break, // closed by someone else
                r = rd.read_buf(&mut buf, want) => match r {
                    Ok(0) => {
                        self.me.close(CloseReason::ClientClosed, CloseMode::Flush);
                        break;
                    }
                    Ok(n) => n,
                    Err(_) => {
                        self.me.close(CloseReason::ReadError, CloseMode::Discard);
                        break;
                    }
                },
                _ = ping.tick() => {
                    self.ping_tick();
                    continue;
                }
                _ = &mut auth_timer, if !self.authed => {
                    self.error(ProtoError::AuthenticationTimeout);
                    self.flush.flush();
                    break;
                }
                }
            };
            if n >= read_size && read_size < MAX_READ {
                read_size *= 2;
                short_reads = 0;
            } else if n < read_size / 2 {
                short_reads += 1;
                if short_reads > 2 && read_size > MIN_READ {
                    read_size /= 2;
                    short_reads = 0;
                }
            }

            if self.cfg_gen != self.shared.config_gen() {
                self.refresh_config();
                if self.cfg.ping_interval != period {
                    period = self.cfg.ping_interval;
                    ping = interval_at(Instant::now() + period, period);
                    ping.set_missed_tick_behavior(MissedTickBehavior::Delay);
                }
            }
            let mut used = self.process_buffer(&buf, &mut needed);
            while self.pending_auth && !self.me.is_closed() {
                self.flush.flush();
                self.finish_auth().await;
                used += self.process_buffer(&buf[used..], &mut needed);
            }
            self.end_of_read(n >= want);
            if self.stalled.is_some() {
                self.stall().await;
            }
            if used == buf.len() {
                buf.clear();
                if buf.capacity() > 2 * MAX_READ || n < read_size / 2 {
                    // A large payload passed through, or the client went quiet: give the
                    // memory back (idle connections then hold no read buffer).
                    buf = Vec::new();
                }
            } else if used > 0 {
                buf.copy_within(used.., 0);
                buf.truncate(buf.len() - used);
            }
        }
        self.cleanup();
    }

    /// Parses and dispatches every complete op in `buf`; returns the bytes used.
    fn process_buffer(&mut self, buf: &[u8], needed: &mut usize) -> usize {
        let mut pos = 0;
        *needed = 0;
        while pos < buf.len() {
            match parse(&buf[pos..], &self.limits) {
                Ok(Parsed::Op(op, used)) => {
                    pos += used;
                    if crate::trace::enabled() {
                        crate::trace::inbound(&self.me, &op);
                    }
                    if let Err(e) = self.dispatch(op) {
                        self.error(e);
                    }
                    if self.me.is_closed() || self.pending_auth {
                        break;
                    }
                }
                Ok(Parsed::Incomplete { needed: n }) => {
                    *needed = n.unwrap_or(0);
                    break;
                }
                Err(e) => {
                    self.error(e);
                    break;
                }
            }
        }
        pos
    }

    /// Takes the reloaded configuration: new limits apply from the next op.
    fn refresh_config(&mut self) {
        self.cfg_gen = self.shared.config_gen();
        self.cfg = self.shared.config();
        self.limits.max_control_line = self.cfg.max_control_line;
        self.limits.max_payload = self.cfg.max_payload;
        // A reload may have re-decided this client's permissions (see reload::recheck).
        if self.authed {
            self.perms = self.me.perms.read().clone();
            self.pub_cache.clear();
        }
    }

    /// Sends an error's `-ERR` (if it has one) and closes when nats-server would.
    pub(crate) fn error(&mut self, e: ProtoError) {
        let mut line = Vec::new();
        encode::write_err(&mut line, e);
        self.me.queue(&line);
        self.flush.add(&self.me);
        if e.closes() {
            self.me.close(e.close_reason(), CloseMode::Flush);
        }
    }

    /// Work done once per read buffer: flush recipients (those with little queued may wait
    /// for the next read when the socket has more; see [`FlushSet`]), publish counters, drop
    /// auto-unsubscribed subscriptions.
    fn end_of_read(&mut self, more_waiting: bool) {
        if std::mem::take(&mut self.msg_activity) {
            self.me.touch_activity(&self.shared);
        }
        if more_waiting {
            self.flush.flush_large(DEFER_MAX);
        } else {
            self.flush.flush();
        }
        let c = &self.counts;
        if c.in_msgs != 0 {
            self.me.in_msgs.fetch_add(c.in_msgs, Relaxed);
            self.me.in_bytes.fetch_add(c.in_bytes, Relaxed);
        }
        self.counts.publish(&self.shared.stats);
        if !self.expired.is_empty() {
            for sub in std::mem::take(&mut self.expired) {
                crate::ops::remove_subscription(&self.shared, &sub);
            }
        }
    }

    /// nats-server's fast-producer stall: when this read pushed a consumer past 75% of its
    /// max_pending, wait (at most [`STALL_MAX`] per read) for its writer to drain instead of
    /// letting it reach the limit and be dropped. Only this publisher waits; the stalled
    /// consumer's writer runs meanwhile.
    async fn stall(&mut self) {
        let Some(consumer) = self.stalled.take() else {
            return;
        };
        let deadline = Instant::now() + STALL_MAX;
        loop {
            if consumer.is_closed() || consumer.out.lock().pending() <= consumer.stall_threshold() {
                return;
            }
            let now = Instant::now();
            if now >= deadline {
                return;
            }
            let wait = (deadline - now).min(STALL_STEP);
            let _ = tokio::time::timeout(wait, consumer.drained.notified()).await;
        }
    }

    /// Marks inbound activity (anything but PONG), which makes the next ping tick skip.
    #[inline]
    pub(crate) fn touch(&mut self) {
        self.active = true;
    }

    /// Any PONG answers every outstanding server PING.
    pub(crate) fn pong(&mut self) {
        self.pings_out = 0;
    }

    /// nats-server's keep-alive: skip when the client was active, else PING or declare stale.
    fn ping_tick(&mut self) {
        if std::mem::take(&mut self.active) {
            return;
        }
        if self.pings_out + 1 > self.cfg.ping_max {
            self.shared.stats.stale_connections.fetch_add(1, Relaxed);
            self.error(ProtoError::StaleConnection);
        } else {
            self.pings_out += 1;
            self.me.queue(encode::PING);
            self.flush.add(&self.me);
        }
        self.flush.flush();
    }

    /// A uniformly distributed index below `n` (xorshift64*; queue member choice only).
    #[inline]
    pub(crate) fn random_below(&mut self, n: usize) -> usize {
        let mut x = self.rng;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.rng = x;
        ((x.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 32) as usize * n) >> 32
    }

    /// Decides the pending CONNECT on a blocking thread (bcrypt and Python hooks are slow),
    /// bounded by the auth timeout; denial, error or timeout is `Authorization Violation`.
    async fn finish_auth(&mut self) {
        self.pending_auth = false;
        let authorizer = self.shared.authorizer();
        let custom = self.shared.hooks.authenticator.clone();
        let timeout = authorizer.config().timeout;
        let connect = self.connect.clone();
        let nonce = self.nonce.clone();
        let addr = self.me.addr;
        let subject = self.me.tls_subject.lock().clone();
        let decide = tokio::task::spawn_blocking(move || {
            let req = AuthRequest::new(&connect, nonce.as_deref(), addr, subject.as_deref());
            authorizer.authenticate_with(custom.as_deref(), &req)
        });
        match tokio::time::timeout(timeout, decide).await {
            Ok(Ok(AuthOutcome::Allowed(id))) => {
                self.authorize(id);
                self.ok();
                self.announce();
            }
            _ => {
                crate::log_at!(
                    crate::log::Level::Error,
                    "{} - cid:{} - authentication error",
                    self.me.addr,
                    self.me.cid
                );
                self.error(ProtoError::AuthorizationViolation);
            }
        }
    }

    /// Takes on an authenticated identity: user name and permissions.
    pub(crate) fn authorize(&mut self, id: Identity) {
        self.authed = true;
        // A token is the credential itself: nats-server shows its holder as "[REDACTED]".
        let user = match id.method {
            AuthMethod::Token => Some("[REDACTED]".to_string()),
            _ => id.user.clone(),
        };
        self.me.meta.lock().user = user;
        *self.me.credentials.lock() = Some((self.connect.clone(), self.nonce.clone()));
        self.pub_cache.clear();
        self.me.set_permissions(id.permissions.clone());
        self.perms = id.permissions;
    }

    /// Fires on_connect once the client is in (authenticated when auth is on).
    pub(crate) fn announce(&mut self) {
        if !self.announced && self.shared.hooks.events.is_some() {
            self.announced = true;
            crate::hooks::emit(&self.shared.hooks, self.event(), None);
        }
    }

    fn event(&self) -> ClientEvent {
        let meta = self.me.meta.lock().clone();
        ClientEvent {
            cid: self.me.cid,
            addr: self.me.addr,
            name: meta.name,
            lang: meta.lang,
            version: meta.version,
            user: meta.user,
        }
    }

    /// Removes the connection's subscriptions (its registration goes once its writer is done).
    fn cleanup(&mut self) {
        if self.announced {
            let reason = self
                .me
                .close_reason()
                .unwrap_or(CloseReason::ClientClosed)
                .as_str();
            crate::hooks::emit(&self.shared.hooks, self.event(), Some(reason));
        }
        self.flush.flush();
        // The sid map stays until the connection is recorded as closed (monitoring shows a
        // closed connection's subscriptions); `serve` clears it then.
        let subs: Vec<SubRef> = self.me.subs.lock().values().cloned().collect();
        if !subs.is_empty() {
            self.shared.index.remove_all(subs.iter());
        }
    }
}

fn seed(cid: u64) -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(cid);
    h.finish() | 1
}
