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
    /// The subject, the queue group and the sid, in one allocation: a hundred thousand
    /// subscriptions then cost one small malloc chunk each for their names, not three.
    text: Box<[u8]>,
    subject_len: u32,
    /// The queue group's length, or [`NO_QUEUE`].
    queue_len: u32,
    /// Auto-unsubscribe limit (`UNSUB sid max`); 0 means none.
    pub max: AtomicU64,
    /// Messages delivered, counted only while `max` is set (it is compared with `max`).
    pub delivered: AtomicU64,
}

/// [`Subscription::queue_len`] of a subscription outside any queue group.
const NO_QUEUE: u32 = u32::MAX;

impl SubRef {
    /// A subscription with no auto-unsubscribe limit.
    pub fn new(conn: Arc<Connection>, subject: &[u8], queue: Option<&[u8]>, sid: &[u8]) -> Self {
        let q = queue.unwrap_or_default();
        let text: Box<[u8]> = [subject, q, sid].concat().into();
        // Lengths are bounded by the control line (and by u32 long before memory runs out).
        let len = |b: &[u8]| u32::try_from(b.len()).unwrap_or(NO_QUEUE - 1);
        SubRef(Arc::new(Subscription {
            conn,
            text,
            subject_len: len(subject),
            queue_len: queue.map_or(NO_QUEUE, len),
            max: AtomicU64::new(0),
            delivered: AtomicU64::new(0),
        }))
    }
}

impl Subscription {
    /// The subject, possibly with `*`/`>` wildcards.
    #[inline]
    pub fn subject(&self) -> &[u8] {
        &self.text[..self.subject_len as usize]
    }

    /// The queue group, if any.
    #[inline]
    pub fn queue(&self) -> Option<&[u8]> {
        if self.queue_len == NO_QUEUE {
            return None;
        }
        let start = self.subject_len as usize;
        Some(&self.text[start..start + self.queue_len as usize])
    }

    /// The subscription id the client chose.
    #[inline]
    pub fn sid(&self) -> &[u8] {
        let queue = if self.queue_len == NO_QUEUE {
            0
        } else {
            self.queue_len as usize
        };
        &self.text[self.subject_len as usize + queue..]
    }

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

/// A key of a connection's sid map: the sid bytes, inline up to 16 bytes (nearly every sid),
/// so a subscription costs its connection no allocation of its own for the key.
pub type SidKey = smallvec::SmallVec<[u8; 16]>;

/// A connection's subscriptions, keyed by sid bytes.
pub type SubMap = std::collections::HashMap<SidKey, SubRef, foldhash::fast::RandomState>;

/// Removes a subscription from its account's index and from its connection's sid map (if
/// the map still holds this very subscription). Safe to call twice, from any thread: the
/// subscriber's own reader (`UNSUB`), a publisher that hit the auto-unsubscribe limit, or a
/// reload that revoked it.
pub fn remove(sub: &SubRef) {
    {
        let mut subs = sub.conn.subs.lock();
        if subs.get(sub.sid()).is_some_and(|s| s == sub) {
            subs.remove(sub.sid());
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
