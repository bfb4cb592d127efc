//! The delivery core: a message in, every matching subscriber's outbound queue appended to.
//!
//! Given an account's subject index and a message, [`Delivery::route`] finds the
//! subscribers (through the publisher's private match cache), appends the message to every
//! plain subscriber and to one member of each queue group, and records each recipient in the
//! [flush set](FlushSet) so it is written once per batch, not once per message. It needs no
//! socket: a recipient is a [`Connection`] whose queue it appends to, which is how the unit
//! tests and the criterion bench (`benches/delivery.rs`) drive it. A publisher's reader owns
//! one `Delivery` and calls [`Delivery::end_batch`] when its read buffer is done.
//!
//! Nothing here blocks or calls Python. Per delivery: one uncontended lock of the
//! recipient's outbound queue and one copy of the payload into it.
//!
//! Skipped recipients: the publisher itself when it said `echo: false`, closed connections,
//! deliveries a subscribe-deny permission filters, subscriptions past their auto-unsubscribe
//! limit. A queue group then tries its next member. A recipient whose pending bytes would
//! pass its `max_pending` is closed as a slow consumer, without slowing anyone else (one
//! that holds its publishers, a JetStream stream's ingest, refuses the message instead).

use std::sync::atomic::Ordering::{AcqRel, Acquire, Relaxed};
use std::sync::Arc;

use fastnats_proto::{CloseReason, Publish};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

use crate::account::{links, Account};
use crate::connection::Connection;
use crate::flush::FlushSet;
use crate::index::{L1Cache, Matches};
use crate::kind::Kind;
use crate::outbound::{CloseMode, Outbound};
use crate::stats::{LocalCounts, ServerStats};
use crate::subscription::{self, SubRef};

/// Where a message came from, as far as the servers it may go on to are concerned.
#[derive(Debug, Clone, Copy)]
pub struct Hop<'a> {
    /// The kind of connection it came over.
    pub kind: HopKind,
    /// The queue groups the sending server picked this one for (blank-separated); `None`
    /// for a message published here (every queue group).
    pub queues: Option<&'a [u8]>,
}

/// The kind of connection a message came over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HopKind {
    /// Published on this server (a client, the server itself).
    Local,
    /// From a route: to no other route.
    Route,
    /// From a leaf connection to a hub this server dialled (a spoke's): not to routes.
    SpokeLeaf,
    /// From a leaf node that dialled this server (this server is its hub).
    Leaf,
}

impl Hop<'_> {
    /// A message published on this server.
    pub const LOCAL: Hop<'static> = Hop {
        kind: HopKind::Local,
        queues: None,
    };

    /// Whether routes may get it (nats-server: not from a route, not from a spoke's leaf).
    #[inline]
    fn reaches_routes(self) -> bool {
        matches!(self.kind, HopKind::Local | HopKind::Leaf)
    }

    /// Whether leaf connection `leaf` may get it: a route's message goes only to leaf nodes
    /// this server is the hub of (not up to its own hubs: their cluster has it).
    #[inline]
    fn reaches_leaf(self, leaf: &Connection) -> bool {
        self.kind != HopKind::Route || !leaf.spoke.load(Relaxed)
    }
}

/// One route a message goes to: a subscription of it that matched (its sid is the
/// account's name), and the queue groups it was picked for.
struct RouteTarget<'a> {
    sub: &'a SubRef,
    queues: Vec<&'a [u8]>,
}

impl<'a> RouteTarget<'a> {
    /// Records that `sub` (of a route) matched, for `queue` when it is a queue member.
    fn note(routes: &mut Vec<RouteTarget<'a>>, sub: &'a SubRef, queue: Option<&'a [u8]>) {
        let target = match routes
            .iter_mut()
            .position(|t| t.sub.conn.cid == sub.conn.cid)
        {
            Some(i) => &mut routes[i],
            None => {
                routes.push(RouteTarget {
                    sub,
                    queues: Vec::new(),
                });
                let last = routes.len() - 1;
                &mut routes[last]
            }
        };
        if let Some(q) = queue {
            target.queues.push(q);
        }
    }
}

/// While more input is waiting, recipients with less than this queued are flushed later.
const DEFER_MAX: usize = 64 * 1024;

/// Who published a message, as far as delivery cares.
#[derive(Debug, Clone, Copy)]
pub struct Origin {
    /// The publisher's connection id.
    pub cid: u64,
    /// Whether the publisher receives its own messages (CONNECT `echo`).
    pub echo: bool,
}

/// One publisher's delivery state: its match cache, and the [`Sink`] the matches are
/// delivered into. Two fields so a cached match result can be read by reference while the
/// sink is written (a clone of the shared result per message — two atomic operations —
/// showed in profiles of pure publishing).
pub struct Delivery {
    l1: L1Cache,
    sink: Sink,
}

/// Where a publisher's deliveries go: the recipients to flush, the counters and
/// subscriptions to settle at the end of the batch.
struct Sink {
    flush: FlushSet,
    counts: LocalCounts,
    /// Subscriptions that reached their auto-unsubscribe limit during this batch.
    expired: Vec<SubRef>,
    /// A consumer this batch pushed past its stall threshold (see [`Delivery::take_stalled`]).
    stalled: Option<Arc<Connection>>,
    /// Queue-member choice.
    rng: SmallRng,
    stats: Arc<ServerStats>,
    /// The publishing connection, when known: its details go with requests through imports
    /// that share them.
    publisher: Option<Arc<Connection>>,
}

impl Delivery {
    /// Delivery state for one publisher; slow consumers are counted in `stats`.
    pub fn new(stats: Arc<ServerStats>) -> Self {
        Delivery {
            l1: L1Cache::new(),
            sink: Sink {
                flush: FlushSet::default(),
                counts: LocalCounts::default(),
                expired: Vec::new(),
                stalled: None,
                rng: SmallRng::from_rng(rand::thread_rng())
                    .unwrap_or_else(|_| SmallRng::seed_from_u64(1)),
                stats,
                publisher: None,
            },
        }
    }

    /// The same, for messages `publisher` publishes.
    pub fn with_publisher(mut self, publisher: Arc<Connection>) -> Self {
        self.sink.publisher = Some(publisher);
        self
    }

    /// The publishing connection, if set.
    pub(crate) fn publisher(&self) -> Option<&Arc<Connection>> {
        self.sink.publisher.as_ref()
    }

    /// Delivers `msg` to every plain subscriber of `account` whose subject matches, and to
    /// one member of each matching queue group (picked at random; the next member is tried
    /// when one can not take it), then across the account's exports and imports (see
    /// [`crate::account::links`]). Returns how many subscribers got it.
    pub fn route(&mut self, account: &Account, from: Origin, msg: &Publish<'_>) -> usize {
        let result = self.l1.lookup(&account.index, msg.subject);
        let mut delivered = self.sink.fan_out(result, from, msg, Hop::LOCAL);
        if account.may_cross(msg.subject) {
            delivered += links::forward(self, account, from, msg, 0);
        }
        delivered
    }

    /// Delivers `msg` to the subscribers of `route` in `account` (not its own subject), for
    /// JetStream deliveries: no cross-account forwarding.
    pub fn route_to(
        &mut self,
        account: &Account,
        from: Origin,
        route: &[u8],
        msg: &Publish<'_>,
    ) -> usize {
        let result = self.l1.lookup(&account.index, route);
        self.sink.fan_out(result, from, msg, Hop::LOCAL)
    }

    /// Delivers a message that came from another server (see [`Hop`]): to every plain
    /// subscriber, and to one member of each queue group the sender named (it picked this
    /// server for them); a route's message to no other route (the one-hop rule). No
    /// cross-account forwarding: the publishing server crossed the account bridges already.
    pub fn route_from_peer(
        &mut self,
        account: &Account,
        from: Origin,
        msg: &Publish<'_>,
        hop: Hop<'_>,
    ) -> usize {
        let result = self.l1.lookup(&account.index, msg.subject);
        self.sink.fan_out(result, from, msg, hop)
    }

    /// [`Delivery::route`] in an account a message reached over `hops` bridges: matched
    /// without the publisher's cache (which holds its own account's results).
    pub(crate) fn route_in(
        &mut self,
        account: &Account,
        from: Origin,
        msg: &Publish<'_>,
        hops: usize,
    ) -> usize {
        let result = account.index.matches(msg.subject);
        let sent = self.sink.counts.sent();
        let mut delivered = self.sink.fan_out(&result, from, msg, Hop::LOCAL);
        self.sink.counts.cross(sent, &account.stats);
        if account.may_cross(msg.subject) {
            delivered += links::forward(self, account, from, msg, hops);
        }
        delivered
    }

    /// Counts a message received from the publisher (routed or refused: nats-server counts
    /// both), settled with the batch.
    #[inline]
    pub fn count_in(&mut self, bytes: usize) {
        self.sink.counts.in_msgs += 1;
        self.sink.counts.in_bytes += bytes as u64;
    }

    /// Records `conn` for the end-of-batch flush (after queueing protocol bytes to it).
    #[inline]
    pub fn flush_later(&mut self, conn: &Arc<Connection>) {
        self.sink.flush.add(conn);
    }

    /// Whether recipients are waiting for a flush.
    pub fn has_unflushed(&self) -> bool {
        !self.sink.flush.is_empty()
    }

    /// Flushes every recorded recipient now.
    pub fn flush_now(&mut self) {
        self.sink.flush.flush();
    }

    /// The consumer this batch pushed past 75% of its `max_pending`, if any: the publisher
    /// should wait for it to drain before reading on (nats-server's fast-producer stall).
    pub fn take_stalled(&mut self) -> Option<Arc<Connection>> {
        self.sink.stalled.take()
    }

    /// Settles a batch (one read buffer of `from`): flushes the recipients (while
    /// `more_waiting`, those with little queued wait for the next batch; see [`FlushSet`]),
    /// adds the counters to `from`, to `account` (the one it published in) and to the server
    /// totals, and removes the subscriptions that reached their auto-unsubscribe limit.
    pub fn end_batch(&mut self, from: &Connection, account: &Account, more_waiting: bool) {
        // Counters first: a recipient (a requester's responder, say) may act on what the
        // flush sends before this thread goes on, and monitoring must already count it.
        let c = &self.sink.counts;
        if c.in_msgs != 0 {
            from.in_msgs.fetch_add(c.in_msgs, Relaxed);
            from.in_bytes.fetch_add(c.in_bytes, Relaxed);
        }
        self.sink.counts.publish(&self.sink.stats, &account.stats);
        if more_waiting {
            self.sink.flush.flush_large(DEFER_MAX);
        } else {
            self.sink.flush.flush();
        }
        for sub in self.sink.expired.drain(..) {
            subscription::remove(&sub);
        }
    }
}

impl Sink {
    /// The local part of a delivery (inlined: it was part of `route` before accounts, and a
    /// call per message showed in profiles of pure publishing).
    ///
    /// Other servers among the matches (subscriptions of [`Kind::Route`] and [`Kind::Leaf`]
    /// connections) get the message once per connection, however many of their
    /// subscriptions matched, with the names of the queue groups whose pick fell on them:
    /// they are collected while the matches are walked and sent at the end. Which of them
    /// may get it, and which queue groups, depends on where it came from (see [`Hop`]).
    /// A queue group's member is picked at random among local and route members (routes
    /// weigh by their member counts); a leaf connection's member only when none of those
    /// took it, as nats-server picks.
    #[inline]
    fn fan_out(
        &mut self,
        result: &Matches,
        from: Origin,
        msg: &Publish<'_>,
        hop: Hop<'_>,
    ) -> usize {
        let mut delivered = 0usize;
        let mut remotes: Vec<RouteTarget<'_>> = Vec::new();
        for sub in &result.psubs {
            match sub.conn.kind {
                Kind::Route => {
                    if hop.reaches_routes() {
                        RouteTarget::note(&mut remotes, sub, None);
                    }
                }
                Kind::Leaf => {
                    if sub.conn.cid != from.cid && hop.reaches_leaf(&sub.conn) {
                        RouteTarget::note(&mut remotes, sub, None);
                    }
                }
                _ => delivered += usize::from(self.deliver(sub, from, msg)),
            }
        }
        for group in &result.qsubs {
            if let Some(named) = hop.queues {
                if !fastnats_proto::route::has_token(named, &group.name) {
                    continue;
                }
            }
            // One member picked at random among those that may take it here (local members,
            // and routes unless the message came from one), then the next ones in turn; a
            // leaf connection's member only when none of them took it.
            let eligible = |m: &SubRef| match m.conn.kind {
                Kind::Route => hop.kind != HopKind::Route && !m.conn.is_closed(),
                Kind::Leaf => false,
                _ => true,
            };
            let members = &group.members;
            let n = members.len();
            let mut taken = false;
            // A random member; when it may not take the message, a random one of those that
            // may (both uniform among them; the second pass only runs with routes or leaf
            // connections in the group).
            let first = self.rng.gen_range(0..n);
            let start = if eligible(&members[first]) {
                Some(first)
            } else {
                let count = members.iter().filter(|m| eligible(m)).count();
                (count > 0).then(|| {
                    let k = self.rng.gen_range(0..count);
                    members
                        .iter()
                        .enumerate()
                        .filter(|(_, m)| eligible(m))
                        .nth(k)
                        .map_or(0, |(i, _)| i)
                })
            };
            if let Some(start) = start {
                for i in 0..n {
                    let member = &members[(start + i) % n];
                    if !eligible(member) {
                        continue;
                    }
                    if member.conn.kind == Kind::Route {
                        RouteTarget::note(&mut remotes, member, Some(&group.name));
                        taken = true;
                        break;
                    }
                    if self.deliver(member, from, msg) {
                        delivered += 1;
                        taken = true;
                        break;
                    }
                }
            }
            if !taken {
                let leaf = members.iter().find(|m| {
                    m.conn.kind == Kind::Leaf && m.conn.cid != from.cid && !m.conn.is_closed()
                });
                if let Some(leaf) = leaf {
                    RouteTarget::note(&mut remotes, leaf, Some(&group.name));
                }
            }
        }
        for target in &remotes {
            delivered += usize::from(self.deliver_routed(target, msg));
        }
        delivered
    }

    /// Appends `msg` for one route (see [`Sink::fan_out`]); false if it could not take it.
    #[cold]
    fn deliver_routed(&mut self, target: &RouteTarget<'_>, msg: &Publish<'_>) -> bool {
        let conn = &target.sub.conn;
        if conn.is_closed() || conn.denies_delivery(msg.subject) {
            return false;
        }
        let account = &target.sub.sid();
        let bytes = {
            let mut out = conn.out.lock();
            if out.close.is_some() {
                return false;
            }
            let pending = out.pending() + Outbound::routed_size(account, msg, &target.queues);
            if pending > conn.max_pending {
                drop(out);
                self.over_limit(conn, msg);
                return false;
            }
            out.push_routed(account, msg, &target.queues, conn.kind == Kind::Leaf)
        };
        self.flush.add(conn);
        self.counts.out_msgs += 1;
        self.counts.out_bytes += bytes as u64;
        true
    }

    /// Appends `msg` for `sub`; false if the subscriber could not take it (echo off,
    /// auto-unsubscribed, closed, filtered, slow consumer).
    #[inline]
    fn deliver(&mut self, sub: &SubRef, from: Origin, msg: &Publish<'_>) -> bool {
        let conn = &sub.conn;
        if conn.cid == from.cid && !from.echo {
            return false;
        }
        if conn.is_closed() || conn.denies_delivery(msg.subject) {
            return false;
        }
        let n = sub.delivered.fetch_add(1, AcqRel) + 1;
        let max = sub.max.load(Acquire);
        if max != 0 {
            if n > max {
                return false;
            }
            if n == max {
                self.expired.push(sub.clone());
            }
        }
        let headers = conn.headers.load(Relaxed);
        let (pending, bytes) = {
            let mut out = conn.out.lock();
            if out.close.is_some() {
                return false;
            }
            let pending = out.pending() + Outbound::msg_size(conn.kind, msg, sub.sid(), headers);
            if pending > conn.max_pending {
                drop(out);
                self.over_limit(conn, msg);
                return false;
            }
            (pending, out.push_msg(conn.kind, msg, sub.sid(), headers))
        };
        if pending > conn.stall_threshold() && self.stalled.is_none() {
            self.stalled = Some(conn.clone());
        }
        if let Some(reply) = msg.reply {
            conn.record_reply(reply);
        }
        self.flush.add(conn);
        self.counts.out_msgs += 1;
        self.counts.out_bytes += bytes as u64;
        true
    }

    /// A recipient whose queue would pass `max_pending`: one that holds its publishers
    /// (see [`Connection::hold_publishers_at`]) only refuses this message (telling its
    /// refusal handler) and stalls the publisher; any other is a slow consumer.
    #[cold]
    fn over_limit(&mut self, conn: &Arc<Connection>, msg: &Publish<'_>) {
        if conn.holds_publishers() {
            conn.refused(msg);
            if self.stalled.is_none() {
                self.stalled = Some(conn.clone());
            }
            return;
        }
        self.slow_consumer(conn);
    }

    /// Closes a recipient whose queue would pass `max_pending` (nats-server's "Slow Consumer
    /// Detected"), dropping what it has queued.
    #[cold]
    fn slow_consumer(&self, conn: &Connection) {
        if conn.close(CloseReason::SlowConsumerPendingBytes, CloseMode::Discard) {
            self.stats.slow_consumers.fetch_add(1, Relaxed);
            conn.account().stats.add_slow_consumer();
            crate::log_at!(
                crate::log::Level::Info,
                "{} - Slow Consumer Detected: MaxPending of {} Exceeded",
                conn.log_tag(),
                conn.max_pending
            );
        }
    }
}

#[cfg(test)]
mod route_tests;
#[cfg(test)]
mod tests;
