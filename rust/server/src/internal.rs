//! The server's own clients: the embedding application (`fastnats.Server.publish`,
//! `.subscribe`, `.request` in Python) publishes and subscribes without a socket.
//!
//! **Publishing** takes the path a client's `PUB` takes after parsing — the same subject
//! checks, the same [`Delivery`] core, the same account index — so subscribers cannot tell
//! it from a message a connected client sent. It runs on the caller's thread: one lock of
//! the publishing client's delivery state, the fan-out, and the flush of the recipients, as
//! at the end of a client's read. The publishing client is a [`Connection`] of
//! [`Kind::Internal`] with id 0.
//!
//! **Batching**: a handler that answers a whole batch (JetStream's PubAcks) publishes
//! through its own [`Publisher`] instead, which queues every message and flushes each
//! recipient once when the handler ends the batch.
//!
//! **Subscribing** makes one internal [`Connection`] per subscription, with its own
//! outbound queue and `max_pending`: delivery appends a compact record per message to it
//! ([`write_record`]) exactly as it appends `MSG` to a client's queue, so the network
//! threads never wait for the application and never take the GIL. The subscription's
//! delivery loop (a task, like a client's writer) takes the whole queue as one
//! [`InternalBatch`] and hands it to the [`InternalHandler`] on a blocking thread, one batch
//! at a time, in order. While a batch is being handled its bytes still count as pending, so
//! a handler that falls behind is a slow consumer: its subscription is closed (and counted,
//! and logged) like any client's, and nobody else slows down.
//!
//! Internal connections are never registered: `/connz` does not list them, but their
//! subscriptions count in `/subsz` and the server's message counters, as nats-server's
//! internal clients' do.

use std::sync::Arc;

use fastnats_proto::{CloseReason, Publish};
use fastnats_sublist::{is_valid_literal_subject, is_valid_subject};
use parking_lot::Mutex;

use crate::account::Account;
use crate::auth::CompiledPermissions;
use crate::connection::Connection;
use crate::delivery::{Delivery, Origin};
use crate::kind::Kind;
use crate::outbound::CloseMode;
use crate::stats::ServerStats;
use crate::subscription::{self, SubRef};

/// Why an internal publish was refused (the message is not delivered).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PublishError {
    /// The subject is empty, has empty tokens or wildcards (a `PUB` subject must be literal).
    #[error("invalid subject {0:?}")]
    InvalidSubject(String),
    /// The reply subject is not a valid literal subject.
    #[error("invalid reply subject {0:?}")]
    InvalidReply(String),
    /// Headers and payload together exceed `max_payload`.
    #[error("maximum payload exceeded: {size} bytes, max_payload is {max}")]
    PayloadTooLarge {
        /// Headers plus payload, in bytes.
        size: usize,
        /// The server's `max_payload`.
        max: usize,
    },
    /// The named user is not configured.
    #[error("unknown user {0:?}")]
    UnknownUser(String),
    /// The named user may not publish to the subject (nats-server's text).
    #[error("Permissions Violation for Publish to {0:?}")]
    PermissionViolation(String),
    /// The server runs without a system account (`no_system_account`).
    #[error("the server has no system account")]
    NoSystemAccount,
}

/// The server's own publishing client.
pub struct InternalClient {
    conn: Arc<Connection>,
    delivery: Mutex<Delivery>,
}

impl InternalClient {
    /// The internal client of `account`.
    pub(crate) fn new(account: Arc<Account>, stats: Arc<ServerStats>) -> Self {
        InternalClient {
            conn: internal_connection(0, account, 0),
            delivery: Mutex::new(Delivery::new(stats)),
        }
    }

    /// Publishes one message in `account`: `headers` is a complete header block (`NATS/1.0\r\n...\r\n\r\n`)
    /// or `None`. Returns how many subscribers got it (plain ones, plus one per queue group).
    /// `perms` are those of the user the application publishes as (`None`: unrestricted).
    #[allow(clippy::too_many_arguments)] // a PUB's parts, plus who publishes where
    pub fn publish(
        &self,
        account: &Account,
        subject: &[u8],
        reply: Option<&[u8]>,
        headers: Option<&[u8]>,
        payload: &[u8],
        max_payload: usize,
        perms: Option<&CompiledPermissions>,
    ) -> Result<usize, PublishError> {
        self.send(
            account,
            subject,
            reply,
            headers,
            payload,
            max_payload,
            perms,
            true,
        )
    }

    /// Publishes the server's own message (an event, a reply to a system request) in
    /// `account`: delivered and counted as sent like any, but not counted as received by
    /// anyone, as nats-server's internal messages are not.
    pub fn publish_as_server(
        &self,
        account: &Account,
        subject: &[u8],
        payload: &[u8],
    ) -> Result<usize, PublishError> {
        self.send(
            account,
            subject,
            None,
            None,
            payload,
            usize::MAX,
            None,
            false,
        )
    }

    #[allow(clippy::too_many_arguments)] // `publish`'s, and whether the message counts in
    fn send(
        &self,
        account: &Account,
        subject: &[u8],
        reply: Option<&[u8]>,
        headers: Option<&[u8]>,
        payload: &[u8],
        max_payload: usize,
        perms: Option<&CompiledPermissions>,
        count_in: bool,
    ) -> Result<usize, PublishError> {
        let parts = Parts {
            subject,
            reply,
            headers,
            payload,
            route: None,
        };
        let mut delivery = self.delivery.lock();
        let delivered = route_checked(
            &mut delivery,
            &self.conn,
            account,
            &parts,
            &mut Vec::new(),
            max_payload,
            perms,
            count_in,
        )?;
        delivery.end_batch(&self.conn, account, false);
        Ok(delivered)
    }
}

/// A message's parts as an internal publisher gets them.
struct Parts<'a> {
    subject: &'a [u8],
    reply: Option<&'a [u8]>,
    headers: Option<&'a [u8]>,
    payload: &'a [u8],
    /// Routed to the subscribers of this subject instead of `subject`'s (a JetStream
    /// delivery, see [`Publisher::publish_routed`]).
    route: Option<&'a [u8]>,
}

/// Checks one message (subject, permissions, reply, size) and routes it from `conn` in
/// `account` without flushing; `scratch` holds headers and payload joined. Whoever calls
/// this ends the batch ([`Delivery::end_batch`]).
#[allow(clippy::too_many_arguments)] // the message, who publishes where, and the checks
fn route_checked(
    delivery: &mut Delivery,
    conn: &Connection,
    account: &Account,
    m: &Parts<'_>,
    scratch: &mut Vec<u8>,
    max_payload: usize,
    perms: Option<&CompiledPermissions>,
    count_in: bool,
) -> Result<usize, PublishError> {
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    if !is_valid_literal_subject(m.subject) {
        return Err(PublishError::InvalidSubject(text(m.subject)));
    }
    if perms.is_some_and(|p| p.restricts_publish() && !p.can_publish(m.subject)) {
        return Err(PublishError::PermissionViolation(text(m.subject)));
    }
    if let Some(r) = m.reply {
        if !is_valid_literal_subject(r) {
            return Err(PublishError::InvalidReply(text(r)));
        }
    }
    let header_len = m.headers.map_or(0, <[u8]>::len);
    let size = header_len + m.payload.len();
    if size > max_payload {
        return Err(PublishError::PayloadTooLarge {
            size,
            max: max_payload,
        });
    }
    scratch.clear();
    scratch.extend_from_slice(m.headers.unwrap_or_default());
    scratch.extend_from_slice(m.payload);
    let mut size_digits = itoa::Buffer::new();
    let mut header_digits = itoa::Buffer::new();
    let msg = Publish {
        subject: m.subject,
        reply: m.reply,
        header_len: (header_len > 0).then_some(header_len),
        data: scratch,
        size_field: size_digits.format(size).as_bytes(),
        header_field: if header_len > 0 {
            header_digits.format(header_len).as_bytes()
        } else {
            b""
        },
    };
    let from = Origin {
        cid: conn.cid,
        echo: true,
    };
    if count_in {
        delivery.count_in(size);
    }
    Ok(match m.route {
        Some(r) => delivery.route_to(account, from, r, &msg),
        None => delivery.route(account, from, &msg),
    })
}

/// The server's own batching publisher in one account (JetStream's PubAcks and consumer
/// deliveries).
///
/// Why it exists: [`InternalClient::publish`] settles every message on its own — a lock of
/// the shared delivery state, then a flush of each recipient — which is right for one reply
/// but costs N locks and N flushes (N wake-ups or writes) when a handler answers a batch of
/// N messages. A `Publisher` is owned by one handler: [`Publisher::publish`] only appends
/// to the recipients' queues, and [`Publisher::flush`] ends the batch once, so each
/// recipient is flushed once per batch however many messages it got, as at the end of a
/// client's read.
///
/// It publishes as the server (like [`InternalClient::publish_as_server`]): its messages
/// are counted as sent to their recipients but not as received from anyone, and
/// `max_payload` and permissions do not apply. It has its own internal connection (its
/// id is the messages' origin), which is never registered.
pub struct Publisher {
    conn: Arc<Connection>,
    account: Arc<Account>,
    delivery: Delivery,
    /// Headers and payload joined, reused from message to message.
    scratch: Vec<u8>,
}

impl Publisher {
    /// A publisher in `account` on the internal connection `conn`.
    pub(crate) fn new(
        conn: Arc<Connection>,
        account: Arc<Account>,
        stats: Arc<ServerStats>,
    ) -> Self {
        Publisher {
            conn,
            account,
            delivery: Delivery::new(stats),
            scratch: Vec::new(),
        }
    }

    /// Routes one message (`headers` a complete header block or `None`) to its subscribers'
    /// queues without flushing them; returns how many got it. Call [`Publisher::flush`] at
    /// the end of the batch.
    ///
    /// # Errors
    /// An invalid subject or reply subject (nothing is delivered).
    pub fn publish(
        &mut self,
        subject: &[u8],
        reply: Option<&[u8]>,
        headers: Option<&[u8]>,
        payload: &[u8],
    ) -> Result<usize, PublishError> {
        self.publish_routed(subject, subject, reply, headers, payload)
    }

    /// [`Publisher::publish`] routed to the subscribers of `route` (a consumer's deliver
    /// subject or a pull request's inbox) while the `MSG` they get shows `subject` (the
    /// stored message's own), as nats-server's `pa.deliver` does; not forwarded across
    /// accounts.
    ///
    /// # Errors
    /// An invalid subject or reply subject (nothing is delivered).
    pub fn publish_routed(
        &mut self,
        route: &[u8],
        subject: &[u8],
        reply: Option<&[u8]>,
        headers: Option<&[u8]>,
        payload: &[u8],
    ) -> Result<usize, PublishError> {
        let parts = Parts {
            subject,
            reply,
            headers,
            payload,
            route: (route != subject).then_some(route),
        };
        route_checked(
            &mut self.delivery,
            &self.conn,
            &self.account,
            &parts,
            &mut self.scratch,
            usize::MAX,
            None,
            false,
        )
    }

    /// Ends the batch: flushes every recipient once and settles the counters.
    pub fn flush(&mut self) {
        self.delivery.end_batch(&self.conn, &self.account, false);
    }
}

impl Drop for Publisher {
    fn drop(&mut self) {
        self.flush();
    }
}

/// Why an internal subscription was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SubscribeError {
    /// The subject (or the queue group name) does not parse.
    #[error("invalid subject {0:?}")]
    InvalidSubject(String),
    /// The named user is not configured.
    #[error("unknown user {0:?}")]
    UnknownUser(String),
    /// The named user may not subscribe to the subject (nats-server's text).
    #[error("Permissions Violation for Subscription to {0:?}")]
    PermissionViolation(String),
    /// The server runs without a system account (`no_system_account`).
    #[error("the server has no system account")]
    NoSystemAccount,
}

/// What an internal subscription's messages are handed to: the embedding application.
pub trait InternalHandler: Send + Sync {
    /// Handles a batch of messages, in the order they were delivered. Called on a blocking
    /// thread, one batch at a time per subscription; the subscription's queue fills up (and
    /// eventually overflows, closing it as a slow consumer) while this runs.
    fn deliver(&self, batch: &InternalBatch);

    /// Handles `batch` on the delivery task itself, if that can be done at once without
    /// blocking (no lock to wait for, no disk to flush); returns `false`, having done
    /// nothing, to have it go to [`InternalHandler::deliver`] on a blocking thread as usual.
    /// A request/reply handler saves a thread hand-off per request this way (JetStream's
    /// direct get). The default never does.
    fn try_deliver_now(&self, batch: &InternalBatch) -> bool {
        let _ = batch;
        false
    }

    /// A message refused because the subscription's queue is at its cap (only for a
    /// subscription whose publishers wait for it, [`crate::Engine::subscribe_internal_many`]:
    /// the message is not delivered, the publisher is not told). Called synchronously on
    /// the publisher's thread, once per refused message, so the handler can answer it
    /// (JetStream's `429 Too Many Requests`). It may run inside another internal
    /// publisher's publish, holding that publisher's lock: it must be quick and must not
    /// publish through the engine itself (hand the answer to a task). Nothing by default.
    fn refused(&self, msg: &InternalMsg<'_>) {
        let _ = msg;
    }
}

/// A subscription of the embedding application: one internal connection, one delivery
/// loop, and one or more subjects.
pub struct InternalSubscription {
    conn: Arc<Connection>,
    subs: Vec<SubRef>,
}

impl InternalSubscription {
    /// Subscribes `handler` to `subjects` (wildcards allowed) for `conn`, a fresh internal
    /// connection (its account and `max_pending` apply), in queue group `queue` if given,
    /// with the permissions `perms` of the user it acts as (`None`: unrestricted). The
    /// delivery loop runs on `runtime`. Every subject feeds the same queue, so the handler
    /// sees messages in the order they were delivered whichever subject they matched; a
    /// message matching two of the subjects is delivered twice.
    pub(crate) fn start(
        runtime: &tokio::runtime::Handle,
        conn: Arc<Connection>,
        subjects: &[&[u8]],
        queue: Option<&[u8]>,
        perms: Option<Arc<CompiledPermissions>>,
        handler: Arc<dyn InternalHandler>,
    ) -> Result<InternalSubscription, SubscribeError> {
        let text = |subject: &[u8]| String::from_utf8_lossy(subject).into_owned();
        check_subjects(subjects, queue, perms.as_deref())?;
        conn.set_permissions(perms.clone());
        let mut this = InternalSubscription {
            conn: conn.clone(),
            subs: Vec::with_capacity(subjects.len()),
        };
        let mut sid = itoa::Buffer::new();
        for (i, subject) in subjects.iter().enumerate() {
            if let Some(p) = &perms {
                // Deliveries a subscribe-deny entry forbids are filtered, as for a client.
                conn.filter_deliveries_for(p, subject);
            }
            let sid = sid.format(i + 1).as_bytes();
            let sub = SubRef::new(conn.clone(), subject, queue, sid);
            if conn.account().index.insert(sub.clone()).is_err() {
                // Dropping `this` removes the subjects inserted so far.
                return Err(SubscribeError::InvalidSubject(text(subject)));
            }
            conn.subs.lock().insert(sub.sid().into(), sub.clone());
            this.subs.push(sub);
        }
        runtime.spawn(deliver_loop(conn, handler));
        Ok(this)
    }

    /// Changes the subjects to `subjects`, in place: the same handler and queue, and no
    /// moment where a message matching both the old and the new subjects finds neither or
    /// both (the index swaps them under one lock). On an error nothing changes.
    ///
    /// # Errors
    /// An invalid subject, or one the subscription's permissions forbid.
    pub fn resubscribe(&mut self, subjects: &[&[u8]]) -> Result<(), SubscribeError> {
        let text = |subject: &[u8]| String::from_utf8_lossy(subject).into_owned();
        let perms = self.conn.perms.read().clone();
        let queue = self.subs.first().and_then(|s| s.queue());
        check_subjects(subjects, queue, perms.as_deref())?;
        // Fresh sids, after the highest in use: old and new are both in the sid map for a
        // moment.
        let next = self
            .subs
            .iter()
            .filter_map(|s| std::str::from_utf8(s.sid()).ok()?.parse::<usize>().ok())
            .max()
            .unwrap_or(0);
        let mut sid = itoa::Buffer::new();
        let new: Vec<SubRef> = subjects
            .iter()
            .enumerate()
            .map(|(i, subject)| {
                let sid = sid.format(next + i + 1).as_bytes();
                SubRef::new(self.conn.clone(), subject, queue, sid)
            })
            .collect();
        if let Some(p) = &perms {
            for subject in subjects {
                self.conn.filter_deliveries_for(p, subject);
            }
        }
        self.conn
            .account()
            .index
            .replace(&self.subs, &new)
            .map_err(|_| SubscribeError::InvalidSubject(text(subjects[0])))?;
        let mut map = self.conn.subs.lock();
        for old in &self.subs {
            map.remove(old.sid());
        }
        for sub in &new {
            map.insert(sub.sid().into(), sub.clone());
        }
        drop(map);
        self.subs = new;
        Ok(())
    }

    /// Stops the subscription: no message is handed to the handler after this returns,
    /// except one of a batch already being handled.
    pub fn unsubscribe(&self) {
        for sub in &self.subs {
            subscription::remove(sub);
        }
        self.conn
            .close(CloseReason::ClientClosed, CloseMode::Discard);
    }

    /// Why the subscription ended (`Slow Consumer (Pending Bytes)` when its handler fell
    /// behind), or `None` while it is active.
    pub fn closed(&self) -> Option<CloseReason> {
        self.conn.close_reason()
    }

    /// Messages delivered to it so far.
    pub fn delivered(&self) -> u64 {
        self.conn.out.lock().msgs
    }
}

impl Drop for InternalSubscription {
    fn drop(&mut self) {
        self.unsubscribe();
    }
}

/// Refuses an invalid subject, or one `perms` do not let the subscription take.
fn check_subjects(
    subjects: &[&[u8]],
    queue: Option<&[u8]>,
    perms: Option<&CompiledPermissions>,
) -> Result<(), SubscribeError> {
    let text = |subject: &[u8]| String::from_utf8_lossy(subject).into_owned();
    for subject in subjects {
        if !is_valid_subject(subject) {
            return Err(SubscribeError::InvalidSubject(text(subject)));
        }
        if perms.is_some_and(|p| !p.can_subscribe(subject, queue)) {
            return Err(SubscribeError::PermissionViolation(text(subject)));
        }
    }
    Ok(())
}

/// A connection of the server's own (never registered; no socket).
pub(crate) fn internal_connection(
    cid: u64,
    account: Arc<Account>,
    max_pending: usize,
) -> Arc<Connection> {
    let addr = std::net::SocketAddr::from(([0, 0, 0, 0], 0));
    Arc::new(Connection::new(
        cid,
        Kind::Internal,
        account,
        max_pending,
        addr,
    ))
}

/// Takes what is queued for an internal subscription, batch by batch, and hands it to the
/// handler until the subscription is closed.
async fn deliver_loop(conn: Arc<Connection>, handler: Arc<dyn InternalHandler>) {
    loop {
        let (batch, closed) = {
            let mut out = conn.out.lock();
            let batch = std::mem::take(&mut out.buf);
            out.in_flight = batch.len();
            (batch, out.close.is_some())
        };
        if batch.is_empty() {
            if closed {
                break;
            }
            conn.wake.notified().await;
            continue;
        }
        let batch = InternalBatch(batch);
        let now = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            handler.try_deliver_now(&batch)
        }));
        let handled = match now {
            Ok(true) => Ok(()),
            Ok(false) => {
                let h = handler.clone();
                tokio::task::spawn_blocking(move || h.deliver(&batch))
                    .await
                    .map_err(|_| ())
            }
            Err(_) => Err(()),
        };
        conn.out.lock().in_flight = 0;
        conn.drained.notify_waiters();
        if handled.is_err() {
            // The handler panicked: the subscription ends, as a connection whose task failed.
            subscription::remove_all_of(&conn);
            conn.close(CloseReason::ClientClosed, CloseMode::Discard);
            break;
        }
    }
    conn.out.lock().in_flight = 0;
    subscription::remove_all_of(&conn);
}

/// `None` in a record's reply length.
const NO_REPLY: u32 = u32::MAX;

/// Bytes [`write_record`] appends for `msg`.
#[inline]
pub(crate) fn record_len(msg: &Publish<'_>) -> usize {
    16 + msg.subject.len() + msg.reply.map_or(0, <[u8]>::len) + msg.data.len()
}

/// Appends one message record: subject length, reply length (`u32::MAX` for none), header
/// length, data length (all `u32` little-endian), then subject, reply and data (headers
/// followed by the payload). Internal subscribers always take headers.
#[inline]
pub(crate) fn write_record(buf: &mut Vec<u8>, msg: &Publish<'_>) {
    let len = |n: usize| u32::try_from(n).unwrap_or(u32::MAX).to_le_bytes();
    buf.extend_from_slice(&len(msg.subject.len()));
    buf.extend_from_slice(&msg.reply.map_or(NO_REPLY.to_le_bytes(), |r| len(r.len())));
    buf.extend_from_slice(&len(msg.header_len.unwrap_or(0)));
    buf.extend_from_slice(&len(msg.data.len()));
    buf.extend_from_slice(msg.subject);
    buf.extend_from_slice(msg.reply.unwrap_or_default());
    buf.extend_from_slice(msg.data);
}

/// Messages queued for an internal subscription, in delivery order.
pub struct InternalBatch(Vec<u8>);

/// One message of an [`InternalBatch`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InternalMsg<'a> {
    /// The subject it was published to.
    pub subject: &'a [u8],
    /// The reply subject, if any.
    pub reply: Option<&'a [u8]>,
    /// The header block (`NATS/1.0\r\n...`), if it had one.
    pub headers: Option<&'a [u8]>,
    /// The payload.
    pub payload: &'a [u8],
}

impl InternalBatch {
    /// The messages, in order.
    pub fn iter(&self) -> impl Iterator<Item = InternalMsg<'_>> {
        let mut rest: &[u8] = &self.0;
        std::iter::from_fn(move || {
            let word = |b: &[u8], i: usize| {
                let mut w = [0u8; 4];
                w.copy_from_slice(&b[i * 4..i * 4 + 4]);
                u32::from_le_bytes(w)
            };
            if rest.len() < 16 {
                return None;
            }
            let subject_len = word(rest, 0) as usize;
            let reply_len = word(rest, 1);
            let header_len = word(rest, 2) as usize;
            let data_len = word(rest, 3) as usize;
            let reply_bytes = if reply_len == NO_REPLY {
                0
            } else {
                reply_len as usize
            };
            let body = &rest[16..];
            let (subject, body) = body.split_at(subject_len);
            let (reply, body) = body.split_at(reply_bytes);
            let (data, body) = body.split_at(data_len);
            rest = body;
            let (headers, payload) = data.split_at(header_len);
            Some(InternalMsg {
                subject,
                reply: (reply_len != NO_REPLY).then_some(reply),
                headers: (header_len > 0).then_some(headers),
                payload,
            })
        })
    }
}

#[cfg(test)]
mod tests;
