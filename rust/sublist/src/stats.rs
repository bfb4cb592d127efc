//! Counters a [`crate::Sublist`] keeps for monitoring (`/subsz`).

/// A snapshot of a sublist's counters.
///
/// `matches`, `cache_hits` and the fanout figures count calls to
/// [`crate::Sublist::match_subject`] (the `&self` paths cannot update counters without
/// synchronisation, which the hot path should not pay for).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SublistStats {
    /// Subscriptions stored.
    pub count: usize,
    /// Subjects in the match cache (0 when the cache is disabled).
    pub cache_entries: usize,
    /// Successful inserts since creation.
    pub inserts: u64,
    /// Successful removes since creation.
    pub removes: u64,
    /// Calls to `match_subject`.
    pub matches: u64,
    /// Calls to `match_subject` answered from the cache.
    pub cache_hits: u64,
    /// Largest result (`MatchResult::len`) returned by `match_subject`.
    pub max_fanout: usize,
    /// Sum of the lengths of all results returned by `match_subject`.
    pub total_fanout: u64,
}

impl SublistStats {
    /// Average result length per `match_subject` call (0 when there was none).
    #[must_use]
    pub fn avg_fanout(&self) -> f64 {
        if self.matches == 0 {
            0.0
        } else {
            self.total_fanout as f64 / self.matches as f64
        }
    }

    /// Fraction of `match_subject` calls answered from the cache (0 when there was none).
    #[must_use]
    pub fn cache_hit_rate(&self) -> f64 {
        if self.matches == 0 {
            0.0
        } else {
            self.cache_hits as f64 / self.matches as f64
        }
    }
}
