//! [`Sublist`]: the trie, the match cache and the counters, behind one `&mut self` API.

use std::fmt;
use std::sync::Arc;

use crate::cache::{MatchCache, DEFAULT_LOW, DEFAULT_MAX};
use crate::result::MatchResult;
use crate::stats::SublistStats;
use crate::subject::{has_empty_token, has_wildcard_token, is_valid_subject};
use crate::trie::Level;
use crate::InvalidSubject;

/// The subscription table: subjects (with `*` / `>` wildcards) and optional queue names to
/// subscriptions of type `T`, matched against published subjects.
///
/// `T` is whatever identifies a subscription to the caller (an id, a handle, an `Arc`); it is
/// cloned into match results and compared with `==` on removal. Equal values may be inserted
/// more than once and are then stored (and returned) more than once.
///
/// There is no interior locking: share a `Sublist` behind the caller's lock.
/// [`Sublist::match_subject`] needs `&mut self` because it fills the cache;
/// [`Sublist::match_uncached`] and [`Sublist::has_interest`] work on `&self`.
pub struct Sublist<T> {
    root: Level<T>,
    cache: Option<MatchCache<T>>,
    /// Shared answer for subjects that match nothing and are not cached.
    empty: Arc<MatchResult<T>>,
    count: usize,
    generation: u64,
    inserts: u64,
    removes: u64,
    matches: u64,
    cache_hits: u64,
    max_fanout: usize,
    total_fanout: u64,
}

impl<T: Clone + PartialEq> Sublist<T> {
    /// An empty sublist with the match cache enabled.
    #[must_use]
    pub fn new() -> Self {
        Self::with_cache(true)
    }

    /// An empty sublist, with the match cache enabled or not (the `disable_sublist_cache`
    /// option turns it off).
    #[must_use]
    pub fn with_cache(enabled: bool) -> Self {
        Self::build(enabled.then(|| MatchCache::new(DEFAULT_MAX, DEFAULT_LOW)))
    }

    /// A sublist whose cache sweeps at `max` entries down to about `low` (for tests).
    #[doc(hidden)]
    #[must_use]
    pub fn with_cache_limits(max: usize, low: usize) -> Self {
        Self::build(Some(MatchCache::new(max, low)))
    }

    fn build(cache: Option<MatchCache<T>>) -> Self {
        Sublist {
            root: Level::default(),
            cache,
            empty: Arc::new(MatchResult::new()),
            count: 0,
            generation: 0,
            inserts: 0,
            removes: 0,
            matches: 0,
            cache_hits: 0,
            max_fanout: 0,
            total_fanout: 0,
        }
    }

    /// Stores `sub` under `subject`, in queue group `queue` if given (queue names are not
    /// validated here).
    ///
    /// # Errors
    ///
    /// [`InvalidSubject`] if `subject` is not a valid subscription subject
    /// ([`crate::is_valid_subject`]); nothing is stored then.
    pub fn insert(
        &mut self,
        subject: &[u8],
        queue: Option<&[u8]>,
        sub: T,
    ) -> Result<(), InvalidSubject> {
        if !is_valid_subject(subject) {
            return Err(InvalidSubject);
        }
        if let Some(cache) = &mut self.cache {
            if !cache.is_empty() {
                cache.on_insert(subject, has_wildcard_token(subject), queue, &sub);
            }
        }
        self.root.insert(subject, queue, sub);
        self.count += 1;
        self.inserts += 1;
        self.generation = self.generation.wrapping_add(1);
        Ok(())
    }

    /// Removes the first stored subscription equal to `sub` under exactly this `subject` and
    /// `queue`; returns whether one was removed. Nodes left empty are pruned.
    ///
    /// Cost is linear in the number of subscriptions stored at that one subject/queue.
    pub fn remove(&mut self, subject: &[u8], queue: Option<&[u8]>, sub: &T) -> bool {
        if !is_valid_subject(subject) || !self.root.remove(subject, queue, sub) {
            return false;
        }
        if let Some(cache) = &mut self.cache {
            cache.on_remove(subject, has_wildcard_token(subject));
        }
        self.count -= 1;
        self.removes += 1;
        self.generation = self.generation.wrapping_add(1);
        true
    }

    /// The subscriptions matching the published `subject`, from the cache when possible (a
    /// miss computes the result and caches it). Tokens of `subject` are literal, even `*` and
    /// `>`; a subject with an empty token matches nothing.
    pub fn match_subject(&mut self, subject: &[u8]) -> Arc<MatchResult<T>> {
        self.matches += 1;
        let result = match self.cache.as_ref().and_then(|c| c.get(subject)) {
            Some(hit) => {
                self.cache_hits += 1;
                Arc::clone(hit)
            }
            None => self.match_miss(subject),
        };
        let fanout = result.len();
        self.total_fanout += fanout as u64;
        self.max_fanout = self.max_fanout.max(fanout);
        result
    }

    fn match_miss(&mut self, subject: &[u8]) -> Arc<MatchResult<T>> {
        if has_empty_token(subject) {
            return Arc::clone(&self.empty);
        }
        let mut result = MatchResult::new();
        self.root.collect(subject, &mut result);
        let result = if result.is_empty() {
            Arc::clone(&self.empty)
        } else {
            Arc::new(result)
        };
        if let Some(cache) = &mut self.cache {
            cache.insert(subject, Arc::clone(&result));
        }
        result
    }

    /// Like [`Sublist::match_subject`] but neither reads nor fills the cache nor counts.
    #[must_use]
    pub fn match_uncached(&self, subject: &[u8]) -> MatchResult<T> {
        let mut result = MatchResult::new();
        if !has_empty_token(subject) {
            self.root.collect(subject, &mut result);
        }
        result
    }

    /// Whether at least one subscription matches `subject`; stops at the first one found and
    /// does not allocate.
    #[must_use]
    pub fn has_interest(&self, subject: &[u8]) -> bool {
        !has_empty_token(subject) && self.root.has_interest(subject)
    }

    /// Number of subscriptions stored.
    #[must_use]
    pub fn count(&self) -> usize {
        self.count
    }

    /// A counter bumped by every successful insert and remove: a per-connection cache of
    /// match results tagged with it is stale when it differs.
    #[must_use]
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// A snapshot of the counters.
    pub fn stats(&self) -> SublistStats {
        SublistStats {
            count: self.count,
            cache_entries: self.cache.as_ref().map_or(0, MatchCache::len),
            inserts: self.inserts,
            removes: self.removes,
            matches: self.matches,
            cache_hits: self.cache_hits,
            max_fanout: self.max_fanout,
            total_fanout: self.total_fanout,
        }
    }

    /// Number of trie nodes (0 when empty): lets tests check that removal prunes.
    #[doc(hidden)]
    #[must_use]
    pub fn node_count(&self) -> usize {
        self.root.node_count()
    }
}

impl<T: Clone + PartialEq> Default for Sublist<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> fmt::Debug for Sublist<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sublist")
            .field("count", &self.count)
            .field("generation", &self.generation)
            .field("cache_enabled", &self.cache.is_some())
            .field(
                "cache_entries",
                &self.cache.as_ref().map_or(0, MatchCache::len),
            )
            .finish_non_exhaustive()
    }
}
