//! One subscription, and how it leaves.
//!
//! A subscription is shared between its connection's sid map (for `UNSUB` and monitoring) and
//! its account's subject index (for matching). Equality is identity: two subscriptions with
//! the same subject and sid are still different entries.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use crate::connection::Connection;

/// One subscription.
#[derive(Debug)]
pub struct Subscription {
    /// The subscriber.
    pub conn: Arc<Connection>,
    /// The subject, possibly with `*`/`>` wildcards.
    pub subject: Box<[u8]>,
    /// The queue group, if any.
    pub queue: Option<Box<[u8]>>,
    /// The subscription id the client chose.
    pub sid: Box<[u8]>,
    /// Auto-unsubscribe limit (`UNSUB sid max`); 0 means none.
    pub max: AtomicU64,
    /// Messages delivered, counted only while `max` is set (it is compared with `max`).
    pub delivered: AtomicU64,
}

impl SubRef {
    /// A subscription with no auto-unsubscribe limit.
    pub fn new(conn: Arc<Connection>, subject: &[u8], queue: Option<&[u8]>, sid: &[u8]) -> Self {
        SubRef(Arc::new(Subscription {
            conn,
            subject: subject.into(),
            queue: queue.map(Into::into),
            sid: sid.into(),
            max: AtomicU64::new(0),
            delivered: AtomicU64::new(0),
        }))
    }
}

impl Subscription {
    /// Whether an auto-unsubscribe limit has been reached: the subscription is dead even if
    /// it has not been removed from the index yet.
    pub fn expired(&self) -> bool {
        let max = self.max.load(Ordering::Acquire);
        max != 0 && self.delivered.load(Ordering::Acquire) >= max
    }
}

/// A subscription as stored in the index: equality is identity.
#[derive(Debug, Clone)]
pub struct SubRef(pub Arc<Subscription>);

impl PartialEq for SubRef {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl std::ops::Deref for SubRef {
    type Target = Subscription;
    fn deref(&self) -> &Subscription {
        &self.0
    }
}

/// A connection's subscriptions, keyed by sid bytes.
pub type SubMap = std::collections::HashMap<Box<[u8]>, SubRef, foldhash::fast::RandomState>;

/// Removes a subscription from its account's index and from its connection's sid map (if
/// the map still holds this very subscription). Safe to call twice, from any thread: the
/// subscriber's own reader (`UNSUB`), a publisher that hit the auto-unsubscribe limit, or a
/// reload that revoked it.
pub fn remove(sub: &SubRef) {
    {
        let mut subs = sub.conn.subs.lock();
        if subs.get(&sub.sid).is_some_and(|s| s == sub) {
            subs.remove(&sub.sid);
        }
    }
    sub.conn.account().index.remove(sub);
}

/// Removes every subscription of `conn` from its account's index (a connection that ends).
pub fn remove_all_of(conn: &Connection) {
    let subs: Vec<SubRef> = conn.subs.lock().drain().map(|(_, s)| s).collect();
    if !subs.is_empty() {
        conn.account().index.remove_all(subs.iter());
    }
}
