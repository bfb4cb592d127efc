//! The bounded match cache: published subject ⟶ shared result.
//!
//! Most traffic goes to a few subjects, so a hit (one hash lookup and an `Arc` clone) replaces a
//! trie walk plus the allocations of a fresh result. The cache is kept exact rather than thrown
//! away on every change, because request/reply traffic subscribes and unsubscribes a reply
//! inbox for every request and would otherwise empty the cache constantly. As in nats-server:
//!
//! - **insert** of a literal subject can only change the entry for that exact subject: the sub
//!   is added to it (if cached). A wildcard insert is added to every cached subject it matches.
//! - **remove** of a literal subject deletes that entry; a wildcard remove deletes every cached
//!   subject it matches (they are recomputed on the next match).
//!
//! Patching is copy-on-write ([`Arc::make_mut`]): a result already handed out stays a valid
//! snapshot. Empty results are cached too (publishing to a subject nobody listens to is common).
//! When the cache reaches its capacity, random entries are evicted down to a low-water mark, so
//! the cost of a sweep is spread over many misses and hot subjects usually survive it.

use std::collections::HashMap;
use std::sync::Arc;

use foldhash::fast::RandomState;

use crate::result::MatchResult;
use crate::subject::Pattern;

/// Default number of cached subjects that triggers an eviction sweep (as nats-server).
pub(crate) const DEFAULT_MAX: usize = 1024;
/// Default number of entries an eviction sweep keeps, on average (as nats-server).
pub(crate) const DEFAULT_LOW: usize = 256;

pub(crate) struct MatchCache<T> {
    map: HashMap<Box<[u8]>, Arc<MatchResult<T>>, RandomState>,
    max: usize,
    low: usize,
    /// xorshift64 state for eviction; no need for a real RNG crate.
    rng: u64,
}

impl<T> MatchCache<T> {
    /// A cache holding at most `max` entries (at least 1), evicting down to about `low`.
    pub(crate) fn new(max: usize, low: usize) -> Self {
        let max = max.max(1);
        MatchCache {
            map: HashMap::default(),
            max,
            low: low.min(max - 1),
            rng: 0x9E37_79B9_7F4A_7C15,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.map.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    #[inline]
    pub(crate) fn get(&self, subject: &[u8]) -> Option<&Arc<MatchResult<T>>> {
        self.map.get(subject)
    }

    /// Caches `result` for `subject` (which must have no empty token), evicting first if full.
    pub(crate) fn insert(&mut self, subject: &[u8], result: Arc<MatchResult<T>>) {
        if self.map.len() >= self.max {
            self.evict();
        }
        self.map.insert(subject.into(), result);
    }

    /// Keeps each entry with probability `low / len`, so about `low` remain.
    fn evict(&mut self) {
        let len = self.map.len() as u64;
        let low = self.low as u64;
        let mut rng = self.rng;
        self.map.retain(|_, _| {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            rng % len < low
        });
        self.rng = rng;
    }

    /// A subscription was removed from `pattern` (valid; `wildcard` if it has a wildcard
    /// token): drop every entry it could have been part of.
    pub(crate) fn on_remove(&mut self, pattern: &[u8], wildcard: bool) {
        if wildcard {
            let pattern = Pattern::new(pattern);
            self.map.retain(|subject, _| !pattern.matches(subject));
        } else {
            self.map.remove(pattern);
        }
    }
}

impl<T: Clone> MatchCache<T> {
    /// `sub` was inserted under `pattern` (valid; `wildcard` if it has a wildcard token): add
    /// it to every cached result it belongs to.
    pub(crate) fn on_insert(
        &mut self,
        pattern: &[u8],
        wildcard: bool,
        queue: Option<&[u8]>,
        sub: &T,
    ) {
        if wildcard {
            let pattern = Pattern::new(pattern);
            for (subject, result) in &mut self.map {
                if pattern.matches(subject) {
                    Arc::make_mut(result).add_sub(queue, sub);
                }
            }
        } else if let Some(result) = self.map.get_mut(pattern) {
            Arc::make_mut(result).add_sub(queue, sub);
        }
    }
}
