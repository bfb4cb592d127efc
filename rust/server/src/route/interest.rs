//! What a server tells its routes about its subscriptions (nats-server's
//! `updateRouteSubscriptionMap`): per account, how many local subscriptions there are for
//! each subject (and queue group), and the `RS+`/`RS-` that a change of those counts sends.
//!
//! A peer needs one `RS+` per subject, not one per subscription: a plain subject is announced
//! when its first local subscription comes and withdrawn when its last goes; a queue group is
//! announced again with its new member count (its weight, which the peer uses to pick
//! among nodes) whenever that changes. Interest learned from routes is never passed on to
//! other routes (the one-hop rule), so subscriptions of route connections are not counted.
//!
//! An [`Interest`] lives inside its account's index lock ([`crate::index::SubIndex`]), so the
//! protocol it queues to a route is in the same order as the changes to the index, and a
//! route that registers (see [`Peers::register`]) gets every subscription exactly once
//! between the snapshot it is sent and the changes it hears of afterwards.

use std::collections::HashMap;
use std::sync::Arc;

use fastnats_proto::route::{write_rs_minus, write_rs_plus};
use parking_lot::RwLock;

use crate::connection::Connection;
use crate::kind::Kind;
use crate::subscription::SubRef;

/// The registered routes, in the order they registered: what every account's [`Interest`]
/// sends its changes to.
#[derive(Debug, Default)]
pub struct Peers(RwLock<Vec<Arc<Connection>>>);

impl Peers {
    /// Adds `route` to the routes that hear of interest changes. The caller then sends it
    /// each account's snapshot ([`crate::index::SubIndex::snapshot_routes`]): a change made
    /// in between reaches it twice, which the protocol allows (`RS+` is idempotent).
    pub fn register(&self, route: Arc<Connection>) {
        self.0.write().push(route);
    }

    /// Removes route `cid`.
    pub fn unregister(&self, cid: u64) {
        self.0.write().retain(|r| r.cid != cid);
    }

    /// Queues `protocol` to every registered route and wakes their writers.
    fn send(&self, protocol: &[u8]) {
        if protocol.is_empty() {
            return;
        }
        for route in self.0.read().iter() {
            route.queue(protocol);
            route.wake.notify_one();
        }
    }

    /// Whether any route is registered.
    pub fn is_empty(&self) -> bool {
        self.0.read().is_empty()
    }
}

type Key = (Box<[u8]>, Option<Box<[u8]>>);

/// One account's local interest, counted for its routes.
#[derive(Debug)]
pub struct Interest {
    account: Box<[u8]>,
    counts: HashMap<Key, u32, foldhash::fast::RandomState>,
    peers: Arc<Peers>,
    /// Protocol built by the current change, sent when it is complete.
    pending: Vec<u8>,
}

/// Whether `sub` is interest this server announces (not interest a route told it of).
fn announced(sub: &SubRef) -> bool {
    sub.conn.kind != Kind::Route
}

impl Interest {
    /// Counting for `account`, sending changes to `peers`.
    pub fn new(account: &str, peers: Arc<Peers>) -> Self {
        Interest {
            account: account.as_bytes().into(),
            counts: HashMap::default(),
            peers,
            pending: Vec::new(),
        }
    }

    /// Counts a subscription added to the index (call [`Interest::flush`] after a batch).
    pub fn added(&mut self, sub: &SubRef) {
        if !announced(sub) {
            return;
        }
        let n = self
            .counts
            .entry((sub.subject.clone(), sub.queue.clone()))
            .or_insert(0);
        *n += 1;
        match &sub.queue {
            None if *n == 1 => write_rs_plus(&mut self.pending, &self.account, &sub.subject, None),
            None => {}
            Some(q) => {
                let n = *n;
                write_rs_plus(&mut self.pending, &self.account, &sub.subject, Some((q, n)));
            }
        }
    }

    /// Counts a subscription removed from the index (call [`Interest::flush`] after a batch).
    pub fn removed(&mut self, sub: &SubRef) {
        if !announced(sub) {
            return;
        }
        let key = (sub.subject.clone(), sub.queue.clone());
        let Some(n) = self.counts.get_mut(&key) else {
            return;
        };
        *n -= 1;
        let left = *n;
        if left == 0 {
            self.counts.remove(&key);
            write_rs_minus(
                &mut self.pending,
                &self.account,
                &sub.subject,
                sub.queue.as_deref(),
            );
        } else if let Some(q) = &sub.queue {
            write_rs_plus(
                &mut self.pending,
                &self.account,
                &sub.subject,
                Some((q, left)),
            );
        }
    }

    /// Sends what the changes since the last flush built to every route.
    pub fn flush(&mut self) {
        if !self.pending.is_empty() {
            self.peers.send(&self.pending);
            self.pending.clear();
            if self.pending.capacity() > 64 * 1024 {
                self.pending = Vec::new();
            }
        }
    }

    /// Writes one `RS+` per announced subject and queue group (a route that registers).
    pub fn snapshot(&self, out: &mut Vec<u8>) {
        for ((subject, queue), n) in &self.counts {
            write_rs_plus(
                out,
                &self.account,
                subject,
                queue.as_deref().map(|q| (q, *n)),
            );
        }
    }
}
