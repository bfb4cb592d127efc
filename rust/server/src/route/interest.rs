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

use fastnats_proto::route::{write_ls_minus, write_ls_plus, write_rs_minus, write_rs_plus};
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
type Counts = HashMap<Key, u32, foldhash::fast::RandomState>;

/// One account's local interest, counted for its routes, and for its leaf connections.
#[derive(Debug)]
pub struct Interest {
    account: Box<[u8]>,
    /// What routes are told of: the subscriptions of clients, of the server itself and of
    /// leaf nodes this server is the hub of.
    counts: Counts,
    peers: Arc<Peers>,
    /// Every subscription, and those of routes (kept when leaf nodes are configured: a new
    /// leaf connection is told of all but routes' when it leads to a hub).
    every: Option<(Counts, Counts)>,
    /// The leaf connections bound to this account, each with what it was told.
    leafs: Vec<LeafFeed>,
    /// This account's loop-detection subject (`$LDS.<id>`), announced to every leaf
    /// connection: a leaf that hears it back from its hub is in a loop.
    lds: Box<[u8]>,
    /// Protocol built by the current change, sent when it is complete.
    pending: Vec<u8>,
}

/// What one leaf connection was told.
#[derive(Debug)]
struct LeafFeed {
    conn: Arc<Connection>,
    /// It leads to a hub this server dialled: routes' interest is not passed up.
    spoke: bool,
    /// Subjects it is not told of (a remote's `deny_imports`).
    deny: Option<Arc<crate::auth::CompiledPermissions>>,
    counts: Counts,
    pending: Vec<u8>,
}

/// Whether `sub` is interest this server announces to routes (not interest a route told
/// it of, nor a hub's).
fn announced(sub: &SubRef) -> bool {
    match sub.conn.kind {
        Kind::Route => false,
        Kind::Leaf => !sub.conn.spoke.load(std::sync::atomic::Ordering::Relaxed),
        _ => true,
    }
}

/// Counts one more (`up`) or one less subscription under `key`; returns the new count, or
/// `None` when the key was not counted.
fn count(counts: &mut Counts, key: &Key, up: bool) -> Option<u32> {
    if up {
        let n = counts.entry(key.clone()).or_insert(0);
        *n += 1;
        Some(*n)
    } else {
        let n = counts.get_mut(key)?;
        *n -= 1;
        let left = *n;
        if left == 0 {
            counts.remove(key);
        }
        Some(left)
    }
}

/// The protocol for a count that moved to `n` (`route`: `RS+`/`RS-` in `account`, else
/// `LS+`/`LS-`): a plain subject is announced at its first and withdrawn at its last, a
/// queue group announced with each new weight and withdrawn at zero.
fn announce(out: &mut Vec<u8>, route: Option<&[u8]>, key: &Key, up: bool, n: u32) {
    let (subject, queue) = (&key.0, key.1.as_deref());
    match (queue, n) {
        (None, 1) if up => match route {
            Some(a) => write_rs_plus(out, a, subject, None),
            None => write_ls_plus(out, subject, None),
        },
        (_, 0) => match route {
            Some(a) => write_rs_minus(out, a, subject, queue),
            None => write_ls_minus(out, subject, queue),
        },
        (Some(q), n) => match route {
            Some(a) => write_rs_plus(out, a, subject, Some((q, n))),
            None => write_ls_plus(out, subject, Some((q, n))),
        },
        (None, _) => {}
    }
}

impl Interest {
    /// Counting for `account`, sending changes to `peers`; `leafs`: also for leaf
    /// connections.
    pub fn new(account: &str, peers: Arc<Peers>, leafs: bool) -> Self {
        Interest {
            account: account.as_bytes().into(),
            counts: HashMap::default(),
            peers,
            every: leafs.then(Default::default),
            leafs: Vec::new(),
            lds: format!("$LDS.{}", &crate::accept::new_server_id()[1..23])
                .into_bytes()
                .into(),
            pending: Vec::new(),
        }
    }

    /// This account's loop-detection subject.
    pub fn lds(&self) -> &[u8] {
        &self.lds
    }

    /// Counts a subscription added to the index (call [`Interest::flush`] after a batch).
    pub fn added(&mut self, sub: &SubRef) {
        self.changed(sub, true);
    }

    /// Counts a subscription removed from the index (call [`Interest::flush`] after a batch).
    pub fn removed(&mut self, sub: &SubRef) {
        self.changed(sub, false);
    }

    fn changed(&mut self, sub: &SubRef, up: bool) {
        let key: Key = (sub.subject().into(), sub.queue().map(Into::into));
        if announced(sub) {
            if let Some(n) = count(&mut self.counts, &key, up) {
                announce(&mut self.pending, Some(&self.account), &key, up, n);
            }
        }
        let Some((every, routed)) = self.every.as_mut() else {
            return;
        };
        count(every, &key, up);
        let from_route = sub.conn.kind == Kind::Route;
        if from_route {
            count(routed, &key, up);
        }
        for leaf in &mut self.leafs {
            if leaf.conn.cid == sub.conn.cid
                || (leaf.spoke && from_route)
                || leaf.deny.as_ref().is_some_and(|d| d.deny_delivery(&key.0))
            {
                continue;
            }
            if let Some(n) = count(&mut leaf.counts, &key, up) {
                announce(&mut leaf.pending, None, &key, up, n);
            }
        }
    }

    /// Sends what the changes since the last flush built to every route and leaf.
    pub fn flush(&mut self) {
        if !self.pending.is_empty() {
            self.peers.send(&self.pending);
            self.pending.clear();
            if self.pending.capacity() > 64 * 1024 {
                self.pending = Vec::new();
            }
        }
        for leaf in &mut self.leafs {
            if !leaf.pending.is_empty() {
                leaf.conn.queue(&leaf.pending);
                leaf.conn.wake.notify_one();
                leaf.pending = Vec::new();
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

    /// Starts telling leaf connection `conn` of this account's interest: every subscription
    /// (but routes' when `spoke`: it leads to a hub; none that `deny` filters), and the
    /// loop-detection subject, are queued to it now. False when leaf nodes are not
    /// configured.
    pub fn attach_leaf(
        &mut self,
        conn: Arc<Connection>,
        spoke: bool,
        deny: Option<Arc<crate::auth::CompiledPermissions>>,
    ) -> bool {
        let Some((every, routed)) = self.every.as_ref() else {
            return false;
        };
        let mut counts = every.clone();
        if let Some(d) = &deny {
            counts.retain(|(subject, _), _| !d.deny_delivery(subject));
        }
        if spoke {
            for (key, n) in routed {
                if let Some(c) = counts.get_mut(key) {
                    *c = c.saturating_sub(*n);
                }
            }
            counts.retain(|_, n| *n > 0);
        }
        let mut out = Vec::new();
        for ((subject, queue), n) in &counts {
            write_ls_plus(&mut out, subject, queue.as_deref().map(|q| (q, *n)));
        }
        write_ls_plus(&mut out, &self.lds, None);
        conn.queue(&out);
        self.leafs.push(LeafFeed {
            conn,
            spoke,
            deny,
            counts,
            pending: Vec::new(),
        });
        true
    }

    /// Stops telling leaf connection `cid`.
    pub fn detach_leaf(&mut self, cid: u64) {
        self.leafs.retain(|l| l.conn.cid != cid);
    }
}
