//! What other connections see of one connection: its outbound queue and the flags that
//! delivery reads. Shared as `Arc<ClientHandle>`; the connection's own reader keeps the rest
//! of its state privately (see [`crate::conn`]).

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use fastnats_proto::CloseReason;
use parking_lot::Mutex;
use tokio::sync::Notify;

use std::sync::Arc;

use crate::auth::{CompiledPermissions, ResponseTracker};
use crate::subs::SubRef;

/// A connection's subscriptions, keyed by sid bytes.
pub type SubMap = std::collections::HashMap<Box<[u8]>, SubRef, foldhash::fast::RandomState>;

/// How a closing connection treats bytes still queued for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CloseMode {
    /// Write what is queued (an `-ERR`, the last messages), then close.
    Flush,
    /// Drop what is queued and close now (slow consumer, write error).
    Discard,
}

/// Largest outbound buffer a producer writes inline at the end of its read; larger ones are
/// left to the connection's writer task.
const INLINE_FLUSH_MAX: usize = 256 * 1024;
/// Outbound buffers up to this capacity are freed once flushed.
const SMALL_BUFFER: usize = 4 * 1024;

/// The outbound queue, guarded by [`ClientHandle::out`].
#[derive(Debug, Default)]
pub struct Outbound {
    /// The socket's write half while nobody is writing to it. The writer task takes it out
    /// for a blocking write (so `None` also means "a write is in progress"); a producer may
    /// use it in place for one non-blocking write (see [`ClientHandle::flush`]).
    pub socket: Option<crate::io::WriteSock>,
    /// Bytes waiting for the writer.
    pub buf: Vec<u8>,
    /// Bytes the writer took out of `buf` and is still writing: they count as pending for
    /// the slow-consumer limit and the producer stall, as in nats-server.
    pub in_flight: usize,
    /// Set once: why and how the connection closes.
    pub close: Option<(CloseReason, CloseMode)>,
    /// Messages and bytes delivered to this client (counted where they are queued).
    pub msgs: u64,
    pub bytes: u64,
}

/// What a client told about itself in CONNECT, for logs and monitoring.
#[derive(Debug, Default, Clone)]
pub struct ClientMeta {
    /// The authenticated user (or nkey), if any.
    pub user: Option<String>,
    pub name: String,
    pub lang: String,
    pub version: String,
    pub protocol: i64,
}

/// The shared face of a connection.
#[derive(Debug)]
pub struct ClientHandle {
    pub cid: u64,
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
    pub in_msgs: AtomicU64,
    pub in_bytes: AtomicU64,
    /// The connection's subscriptions by sid. Its own reader changes them; a publisher on
    /// another connection removes one that reached its auto-unsubscribe limit.
    pub subs: Mutex<SubMap>,
    /// Wall-clock start, for monitoring.
    pub started_wall: std::time::SystemTime,
    /// Nanoseconds after server start of the last read from this client.
    pub last_activity: AtomicU64,
    pub meta: Mutex<ClientMeta>,
    pub addr: std::net::SocketAddr,
    /// The user's permissions, read by publishers delivering to this client.
    pub perms: parking_lot::RwLock<Option<Arc<CompiledPermissions>>>,
    /// Set once a subscription overlaps a subscribe-deny entry: deliveries are then
    /// filtered. Off (the common case), delivery pays one relaxed load.
    pub filter_deliveries: AtomicBool,
    /// Set when the user has `allow_responses`: reply subjects delivered to it are recorded.
    pub track_responses: AtomicBool,
    pub responses: Mutex<Option<ResponseTracker>>,
    /// What the client authenticated with (CONNECT and the nonce), kept so a reload can
    /// decide again whether it may stay. `None` until authenticated.
    pub credentials: Mutex<Option<(fastnats_proto::ConnectInfo, Option<String>)>>,
    /// The TLS client certificate's subject, when the client presented one.
    pub tls_subject: Mutex<Option<String>>,
}

impl Outbound {
    /// Bytes queued or being written.
    #[inline]
    pub fn pending(&self) -> usize {
        self.buf.len() + self.in_flight
    }
}

impl ClientHandle {
    pub fn new(cid: u64, max_pending: usize, addr: std::net::SocketAddr) -> Self {
        ClientHandle {
            cid,
            out: Mutex::new(Outbound::default()),
            wake: Notify::new(),
            reader_wake: Notify::new(),
            kill: Notify::new(),
            drained: Notify::new(),
            closed: AtomicBool::new(false),
            echo: AtomicBool::new(true),
            headers: AtomicBool::new(false),
            max_pending,
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
            tls_subject: Mutex::new(None),
        }
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
    pub fn touch_activity(&self, shared: &crate::server::Shared) {
        let now = shared.started.elapsed().as_nanos() as u64;
        self.last_activity.store(now, Ordering::Relaxed);
    }

    /// Past this many pending bytes, producers delivering to this client are stalled briefly
    /// (nats-server's fast-producer stall at 75% of max_pending).
    #[inline]
    pub fn stall_threshold(&self) -> usize {
        self.max_pending / 4 * 3
    }

    #[inline]
    pub fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }

    /// Sends what is queued: in place with one non-blocking write when the socket is idle
    /// and the batch is small (nats-server also flushes in the reader when it can, saving
    /// a hand-off to the writer — a context switch per batch on the latency path), else by
    /// waking the writer task. Whatever the socket does not take goes to the writer.
    pub fn flush(&self) {
        {
            let mut out = self.out.lock();
            let out = &mut *out;
            if out.close.is_none() && !out.buf.is_empty() && out.buf.len() <= INLINE_FLUSH_MAX {
                if let Some(socket) = &out.socket {
                    match socket.try_write(&out.buf) {
                        Ok(n) if n == out.buf.len() => {
                            // Small buffers are released (an idle connection then holds
                            // none); large ones are kept for the next burst.
                            if out.buf.capacity() <= SMALL_BUFFER {
                                out.buf = Vec::new();
                            } else {
                                out.buf.clear();
                            }
                            return;
                        }
                        Ok(n) => {
                            out.buf.drain(..n);
                        }
                        // WouldBlock, or an error the writer will meet and report.
                        Err(_) => {}
                    }
                }
            }
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
