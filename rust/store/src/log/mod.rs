//! The stream log model shared by both stores: sequence index, subject table and counters,
//! and every rule about sequences (nats-server's semantics) in one place.
//!
//! A [`Log`] knows nothing about bytes on disk or in memory: a message is a location `L`
//! ([`Loc`]) that the store gave it. The memory store's location is the message itself; the
//! file store's is an offset and length in a segment file. So both stores get identical
//! sequence, subject, purge and limit behaviour by construction, and the file store only adds
//! durability. Operations leave behind what the store must act on:
//!
//! - `tombs`: sequences removed from the *interior* of the stream (the file store writes a
//!   tombstone record for each; removals at the head need none, the head watermark covers
//!   them);
//! - `dropped`: segments whose last message went (the file store deletes the file);
//! - `first_ts_stale`: the head moved and its timestamp must be read back
//!   ([`Log::refresh_first_ts`]): no timestamp is kept per message.
//!
//! Submodules: `purge` (purge, compact), `enforce` (limits, expiry, discard-new check), and
//! `query` (filtered reads and counts).

mod enforce;
mod purge;
mod query;

use crate::error::Result;
use crate::index::{SeqIndex, Slot};
use crate::limits::StoreLimits;
use crate::msg::StreamState;
use crate::subjects::Subjects;

/// A stored message's location, as a store defines it.
pub(crate) trait Loc: Default {
    /// The message's size in this store's byte accounting.
    fn bytes(&self) -> u64;
    /// The size a message with these lengths would have, in the same accounting.
    fn size_of(subject_len: usize, hdr_len: usize, payload_len: usize) -> u64;
}

/// The shared log model (see the module docs).
#[derive(Debug)]
pub(crate) struct Log<L> {
    pub(crate) index: SeqIndex<L>,
    pub(crate) subjects: Subjects,
    msgs: u64,
    bytes: u64,
    first_seq: u64,
    first_ts: i64,
    last_seq: u64,
    last_ts: i64,
    /// The head moved and `first_ts` must be read back from the new first message.
    first_ts_stale: bool,
    limits: StoreLimits,
    /// Whether interior removals are collected in `tombs` (the file store wants them).
    want_tombs: bool,
    tombs: Vec<u64>,
    dropped: Vec<u32>,
    /// Sequences removed by limits and expiry, when the caller asked to learn them.
    tracked: Option<Vec<u64>>,
}

impl<L: Loc> Log<L> {
    /// An empty log (a new stream: `first_seq == last_seq == 0`).
    pub(crate) fn new(limits: StoreLimits, want_tombs: bool) -> Self {
        Log {
            index: SeqIndex::default(),
            subjects: Subjects::default(),
            msgs: 0,
            bytes: 0,
            first_seq: 0,
            first_ts: 0,
            last_seq: 0,
            last_ts: 0,
            first_ts_stale: false,
            limits,
            want_tombs,
            tombs: Vec::new(),
            dropped: Vec::new(),
            tracked: None,
        }
    }

    /// The counters, O(1).
    pub(crate) fn state(&self) -> StreamState {
        let num_deleted = if self.last_seq > self.first_seq {
            (self.last_seq - self.first_seq + 1).saturating_sub(self.msgs)
        } else {
            0
        };
        StreamState {
            msgs: self.msgs,
            bytes: self.bytes,
            first_seq: self.first_seq,
            first_ts: self.first_ts,
            last_seq: self.last_seq,
            last_ts: self.last_ts,
            num_deleted,
            num_subjects: self.subjects.len() as u64,
        }
    }

    pub(crate) fn msgs(&self) -> u64 {
        self.msgs
    }

    pub(crate) fn first_seq(&self) -> u64 {
        self.first_seq
    }

    pub(crate) fn last_seq(&self) -> u64 {
        self.last_seq
    }

    pub(crate) fn last_ts(&self) -> i64 {
        self.last_ts
    }

    pub(crate) fn limits(&self) -> &StoreLimits {
        &self.limits
    }

    pub(crate) fn set_limits(&mut self, limits: StoreLimits) {
        self.limits = limits;
    }

    /// The live slot of `seq` and its segment.
    pub(crate) fn live(&self, seq: u64) -> Option<(u32, &Slot<L>)> {
        self.index.live(seq)
    }

    /// Records message `seq` (greater than `last_seq`; gaps are deleted sequences) stored at
    /// `loc` in segment `seg`.
    pub(crate) fn append(&mut self, seg: u32, seq: u64, ts: i64, subject: &str, loc: L) {
        debug_assert!(seq > self.last_seq);
        if self.msgs == 0 {
            self.first_seq = seq;
            self.first_ts = ts;
            self.first_ts_stale = false;
        }
        self.msgs += 1;
        self.bytes += loc.bytes();
        self.last_seq = seq;
        self.last_ts = ts;
        let (id, prev_tail) = self.subjects.add(subject, seq);
        self.index.push(seg, seq, id, loc);
        // Extend the subject's chain from its previous tail (if that slot is still indexed).
        if let Some(tail) = prev_tail {
            if let (Ok(step), Some(s)) = (u32::try_from(seq - tail), self.index.slot_mut(tail)) {
                if s.subject() == id {
                    s.next = step;
                }
            }
        }
    }

    /// Raises `last_seq` (recovery: the highest sequence any record mentions), with the
    /// timestamp of that record if it has one.
    pub(crate) fn raise_last(&mut self, seq: u64, ts: Option<i64>) {
        if seq > self.last_seq {
            self.last_seq = seq;
            if let Some(ts) = ts {
                self.last_ts = ts;
            }
            if self.msgs == 0 {
                self.first_seq = seq + 1;
                self.first_ts = 0;
            }
        }
    }

    /// Marks sequences `seq..` as used by nats-server's `SkipMsgs`: `num` sequences are
    /// consumed without messages. Returns the last skipped sequence.
    pub(crate) fn skip(&mut self, num: u64, ts: i64) -> u64 {
        if num == 0 {
            return self.last_seq;
        }
        self.last_seq += num;
        if self.last_ts == 0 {
            self.last_ts = ts;
        }
        if self.msgs == 0 {
            self.first_seq = self.last_seq + 1;
            self.first_ts = 0;
            self.first_ts_stale = false;
        }
        self.last_seq
    }

    /// Removes message `seq`; returns its location, or `None` if it is not stored.
    pub(crate) fn remove(&mut self, seq: u64) -> Option<L> {
        let k = self.index.kill(seq)?;
        if let Some(seg) = k.emptied {
            self.dropped.push(seg);
        }
        self.msgs -= 1;
        self.bytes = self.bytes.saturating_sub(k.loc.bytes());
        self.unlink_subject(k.subj, seq);
        if seq == self.first_seq {
            self.advance_first(seq + 1);
        } else if self.want_tombs && seq > self.first_seq {
            self.tombs.push(seq);
        }
        Some(k.loc)
    }

    /// Removes `seq` because of a limit or expiry (reported to a tracking caller).
    pub(crate) fn remove_by_limit(&mut self, seq: u64) -> bool {
        let removed = self.remove(seq).is_some();
        if removed {
            if let Some(t) = self.tracked.as_mut() {
                t.push(seq);
            }
        }
        removed
    }

    /// Moves the head to the first stored sequence at or after `from` (or past the end).
    fn advance_first(&mut self, from: u64) {
        match self.index.next_live(from) {
            Some(seq) => {
                self.first_seq = seq;
                self.first_ts_stale = true;
            }
            None => {
                self.first_seq = self.last_seq + 1;
                self.first_ts = 0;
                self.first_ts_stale = false;
            }
        }
    }

    /// Updates the subject state of `id` for the removal of `seq`.
    fn unlink_subject(&mut self, id: u32, seq: u64) {
        let Some(e) = self.subjects.get(id) else {
            return;
        };
        if e.msgs <= 1 {
            self.subjects.remove(id);
            return;
        }
        let (first, last) = (e.first, e.last);
        let new_first = if seq == first {
            self.next_of_subject(id, seq, last).unwrap_or(last)
        } else {
            first
        };
        let new_last = if seq == last {
            self.index
                .scan_backward(new_first, seq - 1, |s| s.subject() == id)
                .unwrap_or(new_first)
        } else {
            last
        };
        if let Some(e) = self.subjects.get_mut(id) {
            e.msgs -= 1;
            e.first = new_first;
            e.last = new_last;
        }
    }

    /// The next stored message of subject `id` after `from` (a slot of that subject), up to
    /// `bound`: follows the chain, and scans where a link is missing.
    pub(crate) fn next_of_subject(&self, id: u32, from: u64, bound: u64) -> Option<u64> {
        let mut pos = from;
        while let Some(s) = self
            .index
            .slot(pos)
            .filter(|s| s.subject() == id && s.next != 0)
        {
            pos += u64::from(s.next);
            match self.index.slot(pos) {
                Some(t) if t.subject() == id && t.is_live() => return Some(pos),
                Some(t) if t.subject() == id => {}
                _ => break,
            }
        }
        self.index
            .scan_forward(pos + 1, bound, |s| s.subject() == id)
    }

    /// Sets `first_ts` from the first message if the head moved, using `read_ts(segment, loc)`.
    pub(crate) fn refresh_first_ts(
        &mut self,
        read_ts: impl FnOnce(u32, &L) -> Result<i64>,
    ) -> Result<()> {
        if !self.first_ts_stale {
            return Ok(());
        }
        if let Some((seg, s)) = self.index.live(self.first_seq) {
            self.first_ts = read_ts(seg, &s.loc)?;
        } else {
            self.first_ts = 0;
        }
        self.first_ts_stale = false;
        Ok(())
    }

    /// Takes the interior removals since the last call, dropping those the head has passed.
    pub(crate) fn take_tombs(&mut self) -> Vec<u64> {
        let first = self.first_seq;
        let mut t = std::mem::take(&mut self.tombs);
        t.retain(|&s| s > first);
        t
    }

    /// Takes the segments whose chunks were dropped since the last call.
    pub(crate) fn take_dropped(&mut self) -> Vec<u32> {
        std::mem::take(&mut self.dropped)
    }

    /// Turns reporting of limit/expiry removals on or off.
    pub(crate) fn track_removed(&mut self, on: bool) {
        self.tracked = if on {
            Some(self.tracked.take().unwrap_or_default())
        } else {
            None
        };
    }

    /// Sequences removed by limits or expiry since the last call (when tracking).
    pub(crate) fn take_removed(&mut self) -> Vec<u64> {
        self.tracked
            .as_mut()
            .map(std::mem::take)
            .unwrap_or_default()
    }

    /// Clears all messages and sets the head to `first` and the last sequence to `first - 1`
    /// (purge). Returns how many messages went.
    fn reset_to(&mut self, first: u64) -> u64 {
        let purged = self.msgs;
        let segs = self.index.clear();
        self.dropped.extend(segs);
        self.subjects.clear();
        self.tombs.clear();
        self.msgs = 0;
        self.bytes = 0;
        self.first_seq = first;
        self.last_seq = first.saturating_sub(1);
        self.first_ts = 0;
        self.first_ts_stale = false;
        purged
    }
}
