//! Reads by subject: the next message matching a filter (consumers), the last one (KV get,
//! direct get), per-subject and filtered state (stream info, KV keys) and pending counts.
//!
//! All of it runs on the in-memory index and subject table; no message is read to decide
//! whether it matches. A single literal filter uses the subject's state and chain; a filter set
//! over a small subject table is turned into a set of subject ids with sequence bounds; over a
//! large table (key-value buckets) the index is scanned with a per-call memo of which subject
//! ids match, so each distinct subject is matched once.

use std::collections::HashSet;
use std::sync::Arc;

use foldhash::fast::RandomState;

use super::{Loc, Log};
use crate::filter::Filters;
use crate::msg::SubjectState;
use crate::subjects::SubjectEntry;

/// Subject tables up to this size are matched up front in `next_matching`.
const SMALL_TABLE: usize = 64;

/// Slots of the per-call match memo.
const MEMO: usize = 256;

/// A direct-mapped memo of "does subject id match": on the stack, no allocation, and a hit is
/// an array access (a miss just matches the subject again).
struct Memo {
    ids: [u32; MEMO],
    hits: [bool; MEMO],
}

impl Memo {
    fn new() -> Self {
        // Ids are below 2^31, so `u32::MAX` is never a stored id.
        Memo {
            ids: [u32::MAX; MEMO],
            hits: [false; MEMO],
        }
    }

    fn get(&mut self, id: u32, matches: impl FnOnce(u32) -> bool) -> bool {
        let i = id as usize % MEMO;
        if self.ids[i] != id {
            self.ids[i] = id;
            self.hits[i] = matches(id);
        }
        self.hits[i]
    }
}

impl<L: Loc> Log<L> {
    /// The first stored sequence at or after `start` whose subject matches `filters`.
    /// `None` means none up to `last_seq`, so a consumer may move its cursor past it.
    pub(crate) fn next_matching(&self, start: u64, filters: &Filters) -> Option<u64> {
        let start = start.max(self.first_seq);
        if self.msgs == 0 || start > self.last_seq {
            return None;
        }
        if filters.is_all() {
            return self.index.next_live(start);
        }
        if let Some(subject) = filters.single_literal() {
            let id = self.subjects.id(subject)?;
            let e = self.subjects.get(id)?;
            if start <= e.first {
                return Some(e.first);
            }
            if start > e.last {
                return None;
            }
            // A consumer reading one subject asks for "after the one I just got": follow the
            // chain from there.
            if self
                .index
                .live(start - 1)
                .is_some_and(|(_, s)| s.subject() == id)
            {
                return self.next_of_subject(id, start - 1, e.last);
            }
            return self
                .index
                .scan_forward(start, e.last, |s| s.subject() == id);
        }
        if self.subjects.len() <= SMALL_TABLE {
            let mut ids: HashSet<u32, RandomState> = HashSet::default();
            let mut upper = 0;
            let mut earliest: Option<u64> = None;
            for (id, e) in self
                .subjects
                .iter()
                .filter(|(_, e)| filters.matches(&e.name))
            {
                if e.last < start {
                    continue;
                }
                ids.insert(id);
                upper = upper.max(e.last);
                if e.first >= start {
                    earliest = Some(earliest.map_or(e.first, |x: u64| x.min(e.first)));
                }
            }
            if ids.is_empty() {
                return None;
            }
            let to = earliest.map_or(upper, |x| x.saturating_sub(1));
            return self
                .index
                .scan_forward(start, to, |s| ids.contains(&s.subject()))
                .or(earliest);
        }
        let mut memo = Memo::new();
        self.index.scan_forward(start, self.last_seq, |s| {
            memo.get(s.subject(), |id| {
                self.subjects
                    .get(id)
                    .is_some_and(|e| filters.matches(&e.name))
            })
        })
    }

    /// The last stored sequence whose subject matches `filters`.
    pub(crate) fn last_matching(&self, filters: &Filters) -> Option<u64> {
        if self.msgs == 0 {
            return None;
        }
        if filters.is_all() {
            return self
                .index
                .scan_backward(self.first_seq, self.last_seq, |_| true);
        }
        if let Some(subject) = filters.single_literal() {
            return self.subjects.by_name(subject).map(|e| e.last);
        }
        self.subjects
            .iter()
            .filter(|(_, e)| filters.matches(&e.name))
            .map(|(_, e)| e.last)
            .max()
    }

    /// The subjects `filters` selects, without walking the table for a single literal.
    fn matching<'a>(
        &'a self,
        filters: &'a Filters,
    ) -> Box<dyn Iterator<Item = (u32, &'a SubjectEntry)> + 'a> {
        match filters.single_literal() {
            Some(s) => Box::new(
                self.subjects
                    .id(s)
                    .and_then(|id| self.subjects.get(id).map(|e| (id, e)))
                    .into_iter(),
            ),
            None => Box::new(
                self.subjects
                    .iter()
                    .filter(|(_, e)| filters.matches(&e.name)),
            ),
        }
    }

    /// The state of one literal subject.
    pub(crate) fn subject_state(&self, subject: &str) -> Option<SubjectState> {
        self.subjects.by_name(subject).map(|e| SubjectState {
            msgs: e.msgs,
            first: e.first,
            last: e.last,
        })
    }

    /// Every stored subject matching `filters`, with its state (in no particular order).
    pub(crate) fn subjects_state(&self, filters: &Filters) -> Vec<(Arc<str>, SubjectState)> {
        self.matching(filters)
            .map(|(_, e)| {
                (
                    e.name.clone(),
                    SubjectState {
                        msgs: e.msgs,
                        first: e.first,
                        last: e.last,
                    },
                )
            })
            .collect()
    }

    /// Totals over the subjects matching `filters` (nats-server's `FilteredState` from 1).
    pub(crate) fn filtered_state(&self, filters: &Filters) -> SubjectState {
        if filters.is_all() {
            if self.msgs == 0 {
                return SubjectState::default();
            }
            return SubjectState {
                msgs: self.msgs,
                first: self.first_seq,
                last: self.last_matching(filters).unwrap_or(0),
            };
        }
        let mut out = SubjectState::default();
        for (_, e) in self.matching(filters) {
            out.msgs += e.msgs;
            out.first = if out.first == 0 {
                e.first
            } else {
                out.first.min(e.first)
            };
            out.last = out.last.max(e.last);
        }
        out
    }

    /// Messages at or after `start` matching `filters`; with `last_per_subject`, the number of
    /// matching subjects whose last message is at or after `start`.
    pub(crate) fn num_pending(&self, start: u64, filters: &Filters, last_per_subject: bool) -> u64 {
        let start = start.max(self.first_seq);
        if self.msgs == 0 || start > self.last_seq {
            return 0;
        }
        if filters.is_all() && !last_per_subject {
            return if start <= self.first_seq {
                self.msgs
            } else {
                self.index.count_live(start, self.last_seq)
            };
        }
        let mut total = 0;
        let mut partial: HashSet<u32, RandomState> = HashSet::default();
        let mut upper = 0;
        for (id, e) in self.matching(filters) {
            if last_per_subject {
                total += u64::from(e.last >= start);
            } else if e.first >= start {
                total += e.msgs;
            } else if e.last >= start {
                partial.insert(id);
                upper = upper.max(e.last);
            }
        }
        if !partial.is_empty() {
            total += self
                .index
                .count(start, upper, |s| partial.contains(&s.subject()));
        }
        total
    }

    /// Interior deletes, ascending (for `deleted_details`).
    pub(crate) fn deleted(&self) -> Vec<u64> {
        if self.msgs == 0 {
            return Vec::new();
        }
        self.index.deleted_between(self.first_seq, self.last_seq)
    }
}
