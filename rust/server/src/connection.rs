//! One connection as every part of the engine sees it: its outbound queue, the flags that
//! delivery reads, its subscriptions, and what monitoring shows. Shared as
//! `Arc<Connection>`; its own reader keeps the rest of its state privately (see
//! [`crate::reader`]), its writer drains the queue (see [`crate::writer`]).

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use fastnats_proto::CloseReason;
use parking_lot::Mutex;
use tokio::sync::Notify;

use crate::account::Account;
use crate::auth::{CompiledPermissions, ResponseTracker};
use crate::kind::Kind;
use crate::outbound::{CloseMode, Outbound};
use crate::subscription::SubMap;

/// What a client told about itself in CONNECT, for logs and monitoring.
#[derive(Debug, Default, Clone)]
pub struct ClientMeta {
    /// The authenticated user (or nkey), if any.
    pub user: Option<String>,
    /// CONNECT `name`.
    pub name: String,
    /// CONNECT `lang`.
    pub lang: String,
    /// CONNECT `version`.
    pub version: String,
    /// CONNECT `protocol` (1 makes the client take async INFO, such as lame duck's).
    pub protocol: i64,
    /// The user JWT's `name` in operator mode (nats-server's client `nameTag`; empty
    /// otherwise): `$SYS.REQ.USER.INFO`'s `user_name`.
    pub user_name: String,
}

/// Who is told of refused deliveries ([`Connection::tell_refusals_to`]).
#[derive(Default)]
struct Refusals(std::sync::OnceLock<Arc<dyn crate::internal::InternalHandler>>);

impl std::fmt::Debug for Refusals {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.get().is_some() {
            "Some(..)"
        } else {
            "None"
        })
    }
}

/// The shared face of a connection.
#[derive(Debug)]
pub struct Connection {
    /// The connection id (`cid`), unique for the server's lifetime.
    pub cid: u64,
    /// What is on the other end (see [`Kind`]).
    pub kind: Kind,
    /// The account whose subject index its subscriptions live in: `$G` until
    /// authentication places it (read through [`Connection::account`]).
    account: parking_lot::RwLock<Arc<Account>>,
    /// The outbound queue (see [`Outbound`]); its lock is a leaf in the lock order.
    pub out: Mutex<Outbound>,
    /// Wakes the writer: data was queued or the connection is closing.
    pub wake: Notify,
    /// Wakes the reader when someone else closes the connection.
    pub reader_wake: Notify,
    /// Wakes a writer blocked in a write when the connection is closed in discard mode.
    pub kill: Notify,
    /// Signalled by the writer after each completed write: wakes stalled producers.
    pub drained: Notify,
    /// Fast check for delivery, mirrors `out.close.is_some()`.
    pub closed: AtomicBool,
    /// CONNECT `echo`; read by publishers on other threads.
    pub echo: AtomicBool,
    /// Whether this client takes `HMSG` (CONNECT `headers` and server support).
    pub headers: AtomicBool,
    /// Slow-consumer threshold in bytes.
    pub max_pending: usize,
    /// Fast-producer stall threshold in bytes (75% of `max_pending` unless an internal
    /// subscriber set its own, see [`Connection::hold_publishers_at`]).
    stall_at: std::sync::atomic::AtomicUsize,
    /// Whether publishers wait for this connection for as long as it takes instead of
    /// briefly (see [`Connection::hold_publishers_at`]).
    holds_publishers: AtomicBool,
    /// Told of each delivery refused past `max_pending` (see
    /// [`Connection::hold_publishers_at`]).
    refusals: Refusals,
    /// Messages received from this connection.
    pub in_msgs: AtomicU64,
    /// Payload bytes received from this connection.
    pub in_bytes: AtomicU64,
    /// The connection's subscriptions by sid. Its own reader changes them; a publisher on
    /// another connection removes one that reached its auto-unsubscribe limit.
    pub subs: Mutex<SubMap>,
    /// Wall-clock start, for monitoring.
    pub started_wall: std::time::SystemTime,
    /// Nanoseconds after server start of the last read from this client.
    pub last_activity: AtomicU64,
    /// What the client said about itself in CONNECT.
    pub meta: Mutex<ClientMeta>,
    /// The peer's address.
    pub addr: std::net::SocketAddr,
    /// The user's permissions, read by publishers delivering to this client.
    pub perms: parking_lot::RwLock<Option<Arc<CompiledPermissions>>>,
    /// Set once a subscription overlaps a subscribe-deny entry: deliveries are then
    /// filtered. Off (the common case), delivery pays one relaxed load.
    pub filter_deliveries: AtomicBool,
    /// Set when the user has `allow_responses`: reply subjects delivered to it are recorded.
    pub track_responses: AtomicBool,
    /// Reply subjects this client may answer (`allow_responses`), when tracked.
    pub responses: Mutex<Option<ResponseTracker>>,
    /// What the client authenticated with (CONNECT and the nonce), kept so a reload can
    /// decide again whether it may stay. `None` until authenticated.
    pub credentials: Mutex<Option<(fastnats_proto::ConnectInfo, Option<String>)>>,
    /// The TLS session (version, cipher suite, the client certificate's subject), set once
    /// after the handshake of a TLS client.
    pub tls: std::sync::OnceLock<Box<crate::tls::TlsSession>>,
    /// A leaf connection this server dialled to a hub (nats-server's "spoke" side): the hub's
    /// interest is not passed on to routes, and messages from it not sent to routes.
    pub spoke: AtomicBool,
    /// A client that connected over WebSocket (`/connz` `type: "websocket"`, its INFO names
    /// the WebSocket listener, its auth may be the `websocket` block's).
    pub websocket: bool,
    /// The round-trip time last measured, in nanoseconds (0: none yet; see [`crate::rtt`]).
    rtt_ns: AtomicU64,
    /// How many times a publisher was stalled waiting for this connection to drain
    /// (`/connz` `stalls`).
    pub stalls: AtomicU64,
}

/// How log lines name a client: `addr - cid:N` (`wid:N` for a WebSocket client, as
/// nats-server names them).
pub struct LogTag<'a>(&'a Connection);

impl std::fmt::Display for LogTag<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = if self.0.websocket { "wid" } else { "cid" };
        write!(f, "{} - {kind}:{}", self.0.addr, self.0.cid)
    }
}

impl Connection {
    /// The TLS client certificate's subject, when the client presented one.
    pub fn tls_subject(&self) -> Option<String> {
        self.tls.get().and_then(|t| t.subject.clone())
    }

    /// The names of the TLS client certificate, when the client presented one (what
    /// `verify_and_map` maps to a user).
    pub fn tls_cert(&self) -> Option<Arc<crate::auth::tlsmap::CertNames>> {
        self.tls.get().and_then(|t| t.cert.clone())
    }

    /// This client as log lines name it (see [`LogTag`]).
    pub fn log_tag(&self) -> LogTag<'_> {
        LogTag(self)
    }

    /// A connection with an empty outbound queue and no socket yet.
    pub fn new(
        cid: u64,
        kind: Kind,
        account: Arc<Account>,
        max_pending: usize,
        addr: std::net::SocketAddr,
    ) -> Self {
        Connection {
            cid,
            kind,
            account: parking_lot::RwLock::new(account),
            out: Mutex::new(Outbound::default()),
            wake: Notify::new(),
            reader_wake: Notify::new(),
            kill: Notify::new(),
            drained: Notify::new(),
            closed: AtomicBool::new(false),
            echo: AtomicBool::new(true),
            headers: AtomicBool::new(false),
            max_pending,
            stall_at: std::sync::atomic::AtomicUsize::new(max_pending / 4 * 3),
            holds_publishers: AtomicBool::new(false),
            refusals: Refusals::default(),
            in_msgs: AtomicU64::new(0),
            in_bytes: AtomicU64::new(0),
            subs: Mutex::new(SubMap::default()),
            started_wall: std::time::SystemTime::now(),
            last_activity: AtomicU64::new(0),
            meta: Mutex::new(ClientMeta::default()),
            addr,
            perms: parking_lot::RwLock::new(None),
            filter_deliveries: AtomicBool::new(false),
            track_responses: AtomicBool::new(false),
            responses: Mutex::new(None),
            credentials: Mutex::new(None),
            tls: std::sync::OnceLock::new(),
            spoke: AtomicBool::new(false),
            websocket: false,
            rtt_ns: AtomicU64::new(0),
            stalls: AtomicU64::new(0),
        }
    }

    /// The round-trip time last measured (zero: none yet).
    pub fn rtt(&self) -> std::time::Duration {
        std::time::Duration::from_nanos(self.rtt_ns.load(Ordering::Relaxed))
    }

    /// Records a round-trip time (at least 1 ns, so that it reads as measured).
    pub fn set_rtt(&self, rtt: std::time::Duration) {
        let ns = u64::try_from(rtt.as_nanos()).unwrap_or(u64::MAX).max(1);
        self.rtt_ns.store(ns, Ordering::Relaxed);
    }

    /// The account the connection belongs to.
    pub fn account(&self) -> Arc<Account> {
        self.account.read().clone()
    }

    /// Places the connection in `account` (once authenticated, before it has
    /// subscriptions: they stay in the index they were made in).
    pub fn set_account(&self, account: Arc<Account>) {
        *self.account.write() = account;
    }

    /// Installs the permissions of the authenticated user.
    pub fn set_permissions(&self, perms: Option<Arc<CompiledPermissions>>) {
        let tracker = perms.as_ref().and_then(|p| p.response_tracker());
        self.track_responses
            .store(tracker.is_some(), Ordering::Release);
        *self.responses.lock() = tracker;
        self.filter_deliveries.store(false, Ordering::Release);
        *self.perms.write() = perms;
    }

    /// Whether a message on `subject` must not reach this client (a wildcard subscription
    /// overlapping a subscribe-deny entry).
    #[inline]
    pub fn denies_delivery(&self, subject: &[u8]) -> bool {
        self.filter_deliveries.load(Ordering::Acquire)
            && self
                .perms
                .read()
                .as_ref()
                .is_some_and(|p| p.deny_delivery(subject))
    }

    /// Turns on delivery filtering when a subscription on `subject` overlaps one of the
    /// user's subscribe-deny entries (it then stays on for the connection).
    pub fn filter_deliveries_for(&self, perms: &CompiledPermissions, subject: &[u8]) {
        if perms.needs_delivery_filter(subject) {
            self.filter_deliveries.store(true, Ordering::Release);
        }
    }

    /// Records that a request with this reply subject was delivered (`allow_responses`).
    #[inline]
    pub fn record_reply(&self, reply: &[u8]) {
        if self.track_responses.load(Ordering::Relaxed) {
            if let Some(t) = self.responses.lock().as_mut() {
                t.record(reply, std::time::Instant::now());
            }
        }
    }

    /// Whether `subject` is a reply this client may still publish to (`allow_responses`).
    pub fn response_allowed(&self, subject: &[u8]) -> bool {
        self.responses
            .lock()
            .as_mut()
            .is_some_and(|t| t.allow(subject, std::time::Instant::now()))
    }

    /// Records that the client sent something now (once per read).
    #[inline]
    pub fn touch_activity(&self, shared: &crate::shared::Shared) {
        let now = shared.started.elapsed().as_nanos() as u64;
        self.last_activity.store(now, Ordering::Relaxed);
    }

    /// Past this many pending bytes, producers delivering to this client are stalled briefly
    /// (nats-server's fast-producer stall at 75% of max_pending).
    #[inline]
    pub fn stall_threshold(&self) -> usize {
        self.stall_at.load(Ordering::Relaxed)
    }

    /// Makes this (internal) connection one that publishers wait for instead of one that is
    /// cut: a JetStream stream's ingest must neither lose messages nor grow without bound.
    /// Past `bytes` pending, a publisher that delivered to it waits until it drains below
    /// `bytes` again, however long that takes (a client's stall is brief), or until either
    /// side closes. Its `max_pending` is then a hard cap on memory, not a slow-consumer
    /// limit: only many publishers' reads landing together could pass it (each waits after
    /// its read), and a delivery that would is refused — that message is not delivered —
    /// while the connection stays open.
    pub fn hold_publishers_at(&self, bytes: usize) {
        self.stall_at.store(bytes, Ordering::Relaxed);
        self.holds_publishers.store(true, Ordering::Relaxed);
    }

    /// Has `handler` told of each delivery this connection refuses past its `max_pending`
    /// ([`crate::internal::InternalHandler::refused`]; the first handler set stays).
    pub fn tell_refusals_to(&self, handler: Arc<dyn crate::internal::InternalHandler>) {
        let _ = self.refusals.0.set(handler);
    }

    /// Tells the refusal handler, if any, that `msg` was refused (cold: only past the cap).
    #[cold]
    pub fn refused(&self, msg: &fastnats_proto::Publish<'_>) {
        if let Some(h) = self.refusals.0.get() {
            let hl = msg.header_len.unwrap_or(0).min(msg.data.len());
            let (headers, payload) = msg.data.split_at(hl);
            h.refused(&crate::internal::InternalMsg {
                subject: msg.subject,
                reply: msg.reply,
                headers: (hl > 0).then_some(headers),
                payload,
            });
        }
    }

    /// Whether publishers wait for this connection until it drains (see
    /// [`Connection::hold_publishers_at`]).
    #[inline]
    pub fn holds_publishers(&self) -> bool {
        self.holds_publishers.load(Ordering::Relaxed)
    }

    #[inline]
    /// Whether the connection is closing (one atomic load; delivery checks it first).
    pub fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }

    /// Sends what is queued: in place when the socket is idle and the batch small (see
    /// [`Outbound::write_in_place`]), else, or for what the socket did not take, by waking
    /// the writer task.
    pub fn flush(&self) {
        if self.out.lock().write_in_place() {
            return;
        }
        self.wake.notify_one();
    }

    /// Queues protocol bytes (PONG, +OK, -ERR, INFO) for this client. The caller flushes
    /// (directly, or through its flush set at the end of the read).
    pub fn queue(&self, bytes: &[u8]) {
        if crate::trace::enabled() {
            crate::trace::outbound(self, bytes);
        }
        let mut out = self.out.lock();
        if out.close.is_none() {
            out.buf.extend_from_slice(bytes);
        }
    }

    /// Marks the connection closing (the first reason wins) and wakes both its tasks.
    /// Returns whether this call was the one that closed it.
    pub fn close(&self, reason: CloseReason, mode: CloseMode) -> bool {
        let first = {
            let mut out = self.out.lock();
            if out.close.is_some() {
                false
            } else {
                out.close = Some((reason, mode));
                if mode == CloseMode::Discard {
                    out.buf = Vec::new();
                }
                true
            }
        };
        if first {
            self.closed.store(true, Ordering::Release);
            self.wake.notify_one();
            self.reader_wake.notify_one();
            if mode == CloseMode::Discard {
                self.kill.notify_one();
            }
        }
        first
    }

    /// The close reason, once closing.
    pub fn close_reason(&self) -> Option<CloseReason> {
        self.out.lock().close.map(|(r, _)| r)
    }
}
