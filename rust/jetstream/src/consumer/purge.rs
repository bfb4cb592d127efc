//! What a stream purge does to its consumers (nats-server's `purgeLocked` choosing the
//! consumers and their first sequence, and `consumer.purge` moving them on).
//!
//! - A plain purge (all subjects, with or without `seq` or `keep`) moves every consumer to
//!   the stream's new first sequence; a filtered purge moves a consumer whose filters are
//!   all within the purged subject (equal or a subset) to the first message left on that
//!   subject, or past the end when none is left.
//! - A consumer whose filters are wider than the purged subject (no filter, or `q.*` for a
//!   purge of `q.a`) is moved to the stream's first sequence, and its pending deliveries
//!   whose messages are gone leave pending too.
//! - A consumer neither within nor wider (`q.b` for a purge of `q.a`) is left alone.
//!
//! Moving a consumer on: its next sequence is at least the new first; pending deliveries
//! below it leave pending, the ack floor taking the highest consumer sequence among them
//! (nats-server's, even when acks below it were still missing); with nothing pending the
//! floors are the delivered sequences; the redelivery queue keeps only what is at or past
//! the next sequence. The state is written at once.

use std::sync::Arc;

use crate::api::subject_is_subset_match;
use crate::stream::Stream;

use super::pump::refresh_pending;
use super::{Consumer, ConsumerState};

/// Where the stream stands after a purge.
#[derive(Debug, Clone, Copy)]
pub struct Purged<'a> {
    /// The purged subject (`None`: all).
    pub filter: Option<&'a str>,
    /// The stream's first sequence after the purge.
    pub first_seq: u64,
    /// The first message left on `filter` (0: none), or `first_seq` without a filter.
    pub filter_first: u64,
    /// The stream's last sequence.
    pub last_seq: u64,
}

/// How a purge concerns a consumer with these filters (`None`: it does not).
fn concerns(filters: &[String], purged: Option<&str>) -> Option<bool> {
    let Some(subject) = purged else {
        return Some(false);
    };
    // nats-server's `isEqualOrSubsetMatch`: a filter within the purged subject.
    if filters
        .iter()
        .any(|f| f == subject || subject_is_subset_match(f, subject))
    {
        return Some(false);
    }
    // `isFilteredMatch`: no filter, or one the purged subject is within.
    if filters.is_empty()
        || filters
            .iter()
            .any(|f| f == subject || subject_is_subset_match(subject, f))
    {
        return Some(true);
    }
    None
}

impl ConsumerState {
    /// nats-server's `consumer.purge`: `sseq` is the consumer's new first sequence (0 when
    /// nothing it wants is left and it is not `wider`), `last_seq` the stream's; for a
    /// `wider` consumer `gone(seq)` says whether a pending message was removed.
    pub fn purge(&mut self, sseq: u64, last_seq: u64, wider: bool, gone: impl Fn(u64) -> bool) {
        let sseq = if sseq == 0 && !wider {
            last_seq + 1
        } else {
            sseq
        };
        if self.sseq < sseq {
            self.sseq = sseq;
        }
        if self.asflr < sseq {
            self.asflr = sseq - 1;
            let drop: Vec<(u64, u64)> = self
                .pending
                .iter()
                .filter(|(s, _)| **s <= self.asflr || (wider && gone(**s)))
                .map(|(s, p)| (*s, p.dseq))
                .collect();
            for (seq, dseq) in drop {
                if dseq > self.adflr {
                    self.adflr = dseq;
                    self.dseq = self.dseq.max(self.adflr);
                }
                self.pending.remove(&seq);
                self.rdc.remove(&seq);
            }
        }
        if self.pending.is_empty() {
            self.rdc.clear();
            self.adflr = self.dseq - 1;
            self.asflr = self.sseq - 1;
        }
        let keep = self.sseq;
        self.rdq.retain(|s| *s >= keep);
        self.dirty = true;
    }
}

/// Moves `stream`'s consumers on after a purge (called with no lock held).
pub fn purged(stream: &Arc<Stream>, p: Purged<'_>) {
    for c in stream.consumers.all() {
        c.after_purge(stream, p);
    }
}

impl Consumer {
    fn after_purge(&self, stream: &Arc<Stream>, p: Purged<'_>) {
        let Some(wider) = concerns(&self.filters.read(), p.filter) else {
            return;
        };
        let start = if wider { p.first_seq } else { p.filter_first };
        {
            let mut st = self.state.lock();
            if st.closed {
                return;
            }
            let store = stream.state.lock();
            let gone = |seq: u64| !matches!(store.store.get(seq), Ok(Some(_)));
            st.purge(start, p.last_seq, wider, gone);
            refresh_pending(&mut st, &*store.store, true);
        }
        self.flush();
        self.wake_timer();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::{AckPolicy, ConsumerConfig, Nanos};
    use tokio::time::Instant;

    fn delivered(seqs: &[u64]) -> ConsumerState {
        let cfg = ConsumerConfig {
            ack_policy: AckPolicy::Explicit,
            ack_wait: Nanos::from_secs(30),
            ..ConsumerConfig::default()
        };
        let mut st = ConsumerState::new(cfg, 1, Instant::now());
        for &s in seqs {
            let d = st.dseq;
            st.dseq += 1;
            st.sseq = s + 1;
            st.delivered(s, d, 1, Instant::now(), 1);
        }
        st
    }

    #[test]
    fn which_consumers_a_filtered_purge_concerns() {
        let f = |v: &[&str]| v.iter().map(ToString::to_string).collect::<Vec<_>>();
        assert_eq!(concerns(&f(&[]), None), Some(false));
        assert_eq!(concerns(&f(&["q.a"]), Some("q.a")), Some(false));
        assert_eq!(concerns(&f(&["q.a"]), Some("q.*")), Some(false));
        assert_eq!(concerns(&f(&[]), Some("q.a")), Some(true));
        assert_eq!(concerns(&f(&["q.*"]), Some("q.a")), Some(true));
        assert_eq!(concerns(&f(&["q.b"]), Some("q.a")), None);
        assert_eq!(concerns(&f(&["q.*.b"]), Some("q.a.*")), None);
    }

    #[test]
    fn a_purge_below_pending_moves_the_floors() {
        // Delivered 1..=4, 2 acked; the stream is purged up to 3 (first is 3 now).
        let mut st = delivered(&[1, 2, 3, 4]);
        st.ack(2, 2, 5);
        st.rdq.insert(1);
        st.purge(3, 10, false, |_| false);
        assert_eq!(st.pending.keys().copied().collect::<Vec<_>>(), vec![3, 4]);
        assert_eq!((st.adflr, st.asflr, st.sseq, st.dseq), (1, 2, 5, 5));
        assert!(st.rdq.is_empty());
        // Everything it wanted is gone: the floors are what was delivered.
        st.purge(0, 10, false, |_| false);
        assert!(st.pending.is_empty());
        assert_eq!((st.adflr, st.asflr, st.sseq, st.dseq), (4, 10, 11, 5));
    }

    #[test]
    fn a_wider_consumer_drops_the_pending_messages_that_went() {
        let mut st = delivered(&[1, 2, 3, 4]);
        st.purge(2, 10, true, |s| s == 3);
        assert_eq!(st.pending.keys().copied().collect::<Vec<_>>(), vec![2, 4]);
        assert_eq!((st.adflr, st.asflr), (3, 1));
    }
}
