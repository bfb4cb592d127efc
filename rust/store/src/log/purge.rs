//! Purge and compact, with nats-server's `PurgeEx` / `Compact` semantics.

use std::collections::{HashMap, HashSet};

use foldhash::fast::RandomState;

use super::{Loc, Log};
use crate::filter::{has_wildcard, Filters};

impl<L: Loc> Log<L> {
    /// Removes every message (nats-server `Purge`): the head moves to `last_seq + 1`.
    pub(crate) fn purge_all(&mut self) -> u64 {
        self.reset_to(self.last_seq + 1)
    }

    /// Removes every message below `seq` (nats-server `Compact`). `seq == 0` purges all; a
    /// `seq` past the end purges all and makes `seq` the next sequence.
    pub(crate) fn compact(&mut self, seq: u64) -> u64 {
        if seq == 0 {
            return self.purge_all();
        }
        if seq > self.last_seq {
            return self.reset_to(seq);
        }
        if self.first_seq >= seq {
            return 0;
        }
        let mut purged = 0u64;
        let mut bytes = 0u64;
        let mut per_subject: HashMap<u32, u64, RandomState> = HashMap::default();
        let dropped = self.index.drain_below(seq, |_, id, loc| {
            purged += 1;
            bytes += loc.bytes();
            *per_subject.entry(id).or_default() += 1;
        });
        self.dropped.extend(dropped);
        self.msgs -= purged;
        self.bytes = self.bytes.saturating_sub(bytes);
        // Subjects that lost messages: fix their counts, and find new firsts in one pass.
        let mut refirst: HashSet<u32, RandomState> = HashSet::default();
        for (id, n) in per_subject {
            let Some(e) = self.subjects.get_mut(id) else {
                continue;
            };
            if e.msgs <= n {
                self.subjects.remove(id);
            } else {
                e.msgs -= n;
                if e.first < seq {
                    refirst.insert(id);
                }
            }
        }
        let mut cur = seq;
        while !refirst.is_empty() {
            let Some(found) = self
                .index
                .scan_forward(cur, self.last_seq, |s| refirst.contains(&s.subject()))
            else {
                break;
            };
            let id = self
                .index
                .slot(found)
                .map_or(0, crate::index::Slot::subject);
            if let Some(e) = self.subjects.get_mut(id) {
                e.first = found;
            }
            refirst.remove(&id);
            cur = found + 1;
        }
        self.advance_first(seq);
        purged
    }

    /// nats-server's `PurgeEx(subject, sequence, keep)`: remove the messages matching
    /// `filter` (all if `None`) below `upto` ("up to but not including"), keeping the newest
    /// `keep` of them. Returns how many went.
    pub(crate) fn purge_ex(
        &mut self,
        filter: Option<&str>,
        upto: Option<u64>,
        keep: Option<u64>,
    ) -> u64 {
        let sequence = upto.unwrap_or(0);
        let keep = keep.unwrap_or(0);
        if sequence == 1 {
            return 0;
        }
        let filter = filter.unwrap_or("");
        if filter.is_empty() || filter == ">" {
            if keep == 0 && sequence == 0 {
                return self.purge_all();
            }
            if sequence > 1 {
                return self.compact(sequence);
            }
        }
        let filter = if filter.is_empty() { ">" } else { filter };
        let filters = Filters::new(&[filter]);
        let ss = self.filtered_state(&filters);
        if ss.msgs == 0 {
            return 0;
        }
        let mut max_purge = 0;
        if keep > 0 {
            if keep >= ss.msgs {
                return 0;
            }
            max_purge = ss.msgs - keep;
        }
        let last = if sequence >= 1 { sequence - 1 } else { ss.last };
        let mut purged = 0;
        let literal = (!has_wildcard(filter))
            .then(|| self.subjects.id(filter))
            .flatten();
        let mut cur = ss.first;
        while cur <= last {
            let next = match literal {
                Some(id) => match self.subjects.get(id) {
                    Some(e) if e.first <= last => Some(e.first),
                    _ => None,
                },
                None => {
                    let subjects = &self.subjects;
                    self.index.scan_forward(cur, last, |s| {
                        subjects
                            .get(s.subject())
                            .is_some_and(|e| filters.matches(&e.name))
                    })
                }
            };
            let Some(seq) = next else { break };
            if self.remove(seq).is_some() {
                purged += 1;
            }
            if max_purge > 0 && purged >= max_purge {
                break;
            }
            cur = seq + 1;
        }
        purged
    }
}
