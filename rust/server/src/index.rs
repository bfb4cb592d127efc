//! An account's subject index, and a publisher's private cache of its match results.
//!
//! The index is one [`Sublist`] behind a mutex, plus a generation counter readable without the
//! lock. Publishers keep a per-connection cache of match results tagged with that generation
//! (nats-server's "L1" cache), so the hot path takes the lock only on a cache miss.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use fastnats_sublist::{MatchResult, Sublist};
use parking_lot::Mutex;

use crate::subscription::SubRef;

/// A match result shared between the index's cache and publishers' caches.
pub type Matches = Arc<MatchResult<SubRef>>;

/// A subject index (one per account).
pub struct SubIndex {
    list: Mutex<Sublist<SubRef>>,
    generation: AtomicU64,
}

impl SubIndex {
    /// An empty index; `cache` turns the sublist's shared match cache on.
    pub fn new(cache: bool) -> Self {
        SubIndex {
            list: Mutex::new(Sublist::with_cache(cache)),
            generation: AtomicU64::new(0),
        }
    }

    /// The generation readers tag cached results with; it changes on every insert/remove.
    #[inline]
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Adds a subscription; fails if its subject (or queue) is not valid.
    pub fn insert(&self, sub: SubRef) -> Result<(), fastnats_sublist::InvalidSubject> {
        let mut list = self.list.lock();
        let (subject, queue) = (sub.subject.clone(), sub.queue.clone());
        list.insert(&subject, queue.as_deref(), sub)?;
        self.generation.store(list.generation(), Ordering::Release);
        Ok(())
    }

    /// Removes a subscription; returns whether it was there.
    pub fn remove(&self, sub: &SubRef) -> bool {
        let mut list = self.list.lock();
        let removed = list.remove(&sub.subject, sub.queue.as_deref(), sub);
        self.generation.store(list.generation(), Ordering::Release);
        removed
    }

    /// Removes many subscriptions under one lock (a closing connection).
    pub fn remove_all<'a>(&self, subs: impl IntoIterator<Item = &'a SubRef>) {
        let mut list = self.list.lock();
        for sub in subs {
            list.remove(&sub.subject, sub.queue.as_deref(), sub);
        }
        self.generation.store(list.generation(), Ordering::Release);
    }

    #[inline]
    /// The subscriptions matching a literal subject (from the sublist's cache when warm).
    pub fn matches(&self, subject: &[u8]) -> Matches {
        self.list.lock().match_subject(subject)
    }

    /// The number of subscriptions.
    pub fn count(&self) -> usize {
        self.list.lock().count()
    }

    /// The sublist's counters (`/subsz`).
    pub fn stats(&self) -> fastnats_sublist::SublistStats {
        self.list.lock().stats()
    }
}

/// A publisher's private cache of match results ("L1"), dropped whole when the index
/// generation moves. Bounded: when full, it is cleared.
pub struct L1Cache {
    /// Which index the results are from (its address): a connection's account may change
    /// once, at authentication, and the internal client publishes in several.
    index: usize,
    generation: u64,
    map: std::collections::HashMap<Box<[u8]>, Matches, foldhash::fast::RandomState>,
}

const L1_MAX: usize = 512;

impl L1Cache {
    /// An empty cache.
    pub fn new() -> Self {
        L1Cache {
            index: 0,
            generation: u64::MAX,
            map: Default::default(),
        }
    }

    #[inline]
    /// The subscriptions of `index` matching `subject`, from this cache while the index's
    /// generation has not moved.
    pub fn lookup(&mut self, index: &SubIndex, subject: &[u8]) -> Matches {
        let generation = index.generation();
        let id = std::ptr::from_ref(index) as usize;
        if generation != self.generation || id != self.index {
            self.map.clear();
            self.generation = generation;
            self.index = id;
        } else if let Some(m) = self.map.get(subject) {
            return m.clone();
        }
        let m = index.matches(subject);
        if self.map.len() >= L1_MAX {
            self.map.clear();
        }
        self.map.insert(subject.into(), m.clone());
        m
    }
}

impl Default for L1Cache {
    fn default() -> Self {
        Self::new()
    }
}
