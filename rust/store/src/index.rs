//! The in-memory sequence index: for every sequence of the stream, where the message is and
//! which subject it has — 16 bytes per message for the file store.
//!
//! The index is a list of *chunks*, each a contiguous run of sequences `first..first+len`
//! belonging to one storage segment (one segment file for the file store; a bounded run of
//! memory for the memory store). A chunk is a plain `Vec` of [`Slot`]s indexed by
//! `seq - first`, so a lookup is a binary search over chunks and an array access. A slot holds:
//!
//! - `loc`: where the message is (file store: offset and length in the segment, 8 bytes;
//!   memory store: the boxed message, 8 bytes); `L::default()` once removed;
//! - `subj`: the subject id ([`crate::subjects`]), with the top bit set once removed (the id
//!   stays, so chains can still be followed through removed slots);
//! - `next`: the distance to the next sequence appended on the same subject (0: not known).
//!   These links form a per-subject chain, so "the next message of this subject" after a
//!   removal, or for a consumer reading one subject, is found without scanning; a broken link
//!   (its target chunk was dropped, or the gap did not fit 32 bits) falls back to a scan.
//!
//! Sequences between chunks are deleted. A chunk whose messages are all gone is dropped at
//! once, and its segment id is reported so the file store can delete the segment file. No
//! timestamps are kept per message: the store knows the first message's timestamp (state) and
//! reads the next one from the record header when the head moves.

use std::collections::VecDeque;

/// A gap of more than this many sequences starts a new chunk instead of padding one with
/// removed slots (a large skip, a compact past the end).
pub(crate) const MAX_PAD: u64 = 4096;

/// Top bit of [`Slot::subj`]: the message was removed.
pub(crate) const DELETED: u32 = 1 << 31;

/// One sequence's entry.
#[derive(Debug, Default)]
pub(crate) struct Slot<L> {
    /// Where the message is; `L::default()` once removed.
    pub loc: L,
    /// Subject id, with [`DELETED`] set once removed.
    pub subj: u32,
    /// Distance to the next sequence appended on the same subject, 0 if unknown.
    pub next: u32,
}

impl<L> Slot<L> {
    /// Whether the message is still stored.
    pub(crate) fn is_live(&self) -> bool {
        self.subj & DELETED == 0
    }

    /// The subject id (whether live or not).
    pub(crate) fn subject(&self) -> u32 {
        self.subj & !DELETED
    }
}

/// A contiguous run of sequences in one segment.
#[derive(Debug)]
pub(crate) struct Chunk<L> {
    /// The segment the messages are in.
    pub seg: u32,
    /// Sequence of `slots[0]`.
    pub first: u64,
    /// One slot per sequence.
    pub slots: Vec<Slot<L>>,
    /// Live slots.
    pub live: u32,
}

impl<L> Chunk<L> {
    /// One past the last sequence of the chunk.
    pub(crate) fn end(&self) -> u64 {
        self.first + self.slots.len() as u64
    }
}

/// The sequence index.
#[derive(Debug)]
pub(crate) struct SeqIndex<L> {
    chunks: VecDeque<Chunk<L>>,
}

impl<L> Default for SeqIndex<L> {
    fn default() -> Self {
        SeqIndex {
            chunks: VecDeque::new(),
        }
    }
}

/// What [`SeqIndex::kill`] took out.
pub(crate) struct Killed<L> {
    /// The location the message had.
    pub loc: L,
    /// Its subject id.
    pub subj: u32,
    /// The segment whose chunk this emptied (the chunk is gone).
    pub emptied: Option<u32>,
}

impl<L: Default> SeqIndex<L> {
    /// Adds `seq` (greater than every indexed sequence) in segment `seg`. Sequences skipped
    /// since the last one of the same chunk become removed slots, up to [`MAX_PAD`] of them.
    pub(crate) fn push(&mut self, seg: u32, seq: u64, subj: u32, loc: L) {
        let same = matches!(self.chunks.back(),
            Some(c) if c.seg == seg && c.end() <= seq && seq - c.end() <= MAX_PAD);
        if !same {
            self.chunks.push_back(Chunk {
                seg,
                first: seq,
                slots: Vec::new(),
                live: 0,
            });
        }
        if let Some(c) = self.chunks.back_mut() {
            while c.end() < seq {
                c.slots.push(Slot {
                    loc: L::default(),
                    subj: DELETED,
                    next: 0,
                });
            }
            c.slots.push(Slot { loc, subj, next: 0 });
            c.live += 1;
        }
    }

    /// Position of the chunk holding `seq`.
    fn position(&self, seq: u64) -> Option<usize> {
        let i = self
            .chunks
            .partition_point(|c| c.first <= seq)
            .checked_sub(1)?;
        (seq < self.chunks[i].end()).then_some(i)
    }

    /// Position of the first chunk with sequences at or after `seq`.
    fn position_from(&self, seq: u64) -> usize {
        self.chunks.partition_point(|c| c.end() <= seq)
    }

    /// The slot of `seq`, live or not, if its chunk is still indexed.
    pub(crate) fn slot(&self, seq: u64) -> Option<&Slot<L>> {
        let c = &self.chunks[self.position(seq)?];
        c.slots.get((seq - c.first) as usize)
    }

    /// The slot of `seq`, to update.
    pub(crate) fn slot_mut(&mut self, seq: u64) -> Option<&mut Slot<L>> {
        let i = self.position(seq)?;
        let c = &mut self.chunks[i];
        c.slots.get_mut((seq - c.first) as usize)
    }

    /// The live slot of `seq` and the segment it is in.
    pub(crate) fn live(&self, seq: u64) -> Option<(u32, &Slot<L>)> {
        let c = &self.chunks[self.position(seq)?];
        c.slots
            .get((seq - c.first) as usize)
            .filter(|s| s.is_live())
            .map(|s| (c.seg, s))
    }

    /// Marks `seq` removed and takes its location out. Drops the chunk if it is now empty.
    pub(crate) fn kill(&mut self, seq: u64) -> Option<Killed<L>> {
        let i = self.position(seq)?;
        let c = &mut self.chunks[i];
        let s = c.slots.get_mut((seq - c.first) as usize)?;
        if !s.is_live() {
            return None;
        }
        s.subj |= DELETED;
        let loc = std::mem::take(&mut s.loc);
        let subj = s.subject();
        c.live -= 1;
        let emptied = if c.live == 0 {
            let seg = c.seg;
            self.chunks.remove(i);
            Some(seg)
        } else {
            None
        };
        Some(Killed { loc, subj, emptied })
    }

    /// The first live sequence in `from..=to` whose slot satisfies `pred`.
    pub(crate) fn scan_forward(
        &self,
        from: u64,
        to: u64,
        mut pred: impl FnMut(&Slot<L>) -> bool,
    ) -> Option<u64> {
        if from > to {
            return None;
        }
        for c in self.chunks.range(self.position_from(from)..) {
            if c.first > to {
                break;
            }
            let start = from.saturating_sub(c.first) as usize;
            let stop = (to.min(c.end() - 1) - c.first) as usize;
            if let Some(off) = c.slots[start..=stop]
                .iter()
                .position(|s| s.is_live() && pred(s))
            {
                return Some(c.first + (start + off) as u64);
            }
        }
        None
    }

    /// The last live sequence in `from..=to` whose slot satisfies `pred`.
    pub(crate) fn scan_backward(
        &self,
        from: u64,
        to: u64,
        mut pred: impl FnMut(&Slot<L>) -> bool,
    ) -> Option<u64> {
        if from > to {
            return None;
        }
        let upto = self.chunks.partition_point(|c| c.first <= to);
        for c in self.chunks.range(..upto).rev() {
            if c.end() <= from {
                break;
            }
            let start = from.saturating_sub(c.first) as usize;
            let stop = (to.min(c.end() - 1) - c.first) as usize;
            if let Some(off) = c.slots[start..=stop]
                .iter()
                .rposition(|s| s.is_live() && pred(s))
            {
                return Some(c.first + (start + off) as u64);
            }
        }
        None
    }

    /// How many live sequences in `from..=to` satisfy `pred`.
    pub(crate) fn count(&self, from: u64, to: u64, mut pred: impl FnMut(&Slot<L>) -> bool) -> u64 {
        if from > to {
            return 0;
        }
        let mut n = 0;
        for c in self.chunks.range(self.position_from(from)..) {
            if c.first > to {
                break;
            }
            let start = from.saturating_sub(c.first) as usize;
            let stop = (to.min(c.end() - 1) - c.first) as usize;
            n += c.slots[start..=stop]
                .iter()
                .filter(|s| s.is_live() && pred(s))
                .count() as u64;
        }
        n
    }

    /// How many live sequences are in `from..=to` (whole chunks by their counters).
    pub(crate) fn count_live(&self, from: u64, to: u64) -> u64 {
        if from > to {
            return 0;
        }
        let mut n = 0;
        for c in self.chunks.range(self.position_from(from)..) {
            if c.first > to {
                break;
            }
            if from <= c.first && c.end() - 1 <= to {
                n += u64::from(c.live);
            } else {
                let start = from.saturating_sub(c.first) as usize;
                let stop = (to.min(c.end() - 1) - c.first) as usize;
                n += c.slots[start..=stop].iter().filter(|s| s.is_live()).count() as u64;
            }
        }
        n
    }

    /// The first live sequence at or after `from`.
    pub(crate) fn next_live(&self, from: u64) -> Option<u64> {
        self.scan_forward(from, u64::MAX, |_| true)
    }

    /// Removes every live sequence below `seq`, calling `f(seq, subject id, loc)` for each,
    /// and returns the segments whose chunks were dropped.
    pub(crate) fn drain_below(&mut self, seq: u64, mut f: impl FnMut(u64, u32, L)) -> Vec<u32> {
        let mut dropped = Vec::new();
        while let Some(c) = self.chunks.front_mut() {
            if c.first >= seq {
                break;
            }
            let stop = ((seq.min(c.end())) - c.first) as usize;
            for (i, s) in c.slots[..stop].iter_mut().enumerate() {
                if s.is_live() {
                    s.subj |= DELETED;
                    c.live -= 1;
                    f(c.first + i as u64, s.subject(), std::mem::take(&mut s.loc));
                }
            }
            if c.live == 0 {
                dropped.push(c.seg);
                self.chunks.pop_front();
            } else {
                break;
            }
        }
        dropped
    }

    /// Drops everything and returns the segments that had chunks.
    pub(crate) fn clear(&mut self) -> Vec<u32> {
        let segs = self.chunks.iter().map(|c| c.seg).collect();
        self.chunks.clear();
        segs
    }

    /// Whether a chunk of segment `seg` is indexed.
    pub(crate) fn has_seg(&self, seg: u32) -> bool {
        self.chunks.iter().rev().any(|c| c.seg == seg)
    }

    /// Releases the spare capacity of segment `seg`'s chunks (no more appends go there), so
    /// a sealed segment costs exactly 16 bytes per sequence.
    pub(crate) fn seal(&mut self, seg: u32) {
        for c in self.chunks.iter_mut().rev().filter(|c| c.seg == seg) {
            c.slots.shrink_to_fit();
        }
    }

    /// Slots in the newest chunk (the memory store starts a new chunk past a bound).
    pub(crate) fn last_chunk_len(&self) -> usize {
        self.chunks.back().map_or(0, |c| c.slots.len())
    }

    /// The sequences in `first..=last` that are not stored (interior deletes).
    pub(crate) fn deleted_between(&self, first: u64, last: u64) -> Vec<u64> {
        let mut out = Vec::new();
        let mut cur = first;
        for c in self.chunks.range(self.position_from(first)..) {
            if cur > last {
                break;
            }
            out.extend(cur..c.first.min(last + 1));
            let start = cur.max(c.first);
            let stop = c.end().min(last + 1);
            for seq in start..stop {
                if !c.slots[(seq - c.first) as usize].is_live() {
                    out.push(seq);
                }
            }
            cur = cur.max(c.end());
        }
        if cur <= last {
            out.extend(cur..=last);
        }
        out
    }

    /// Bytes of memory the slots use (for the memory-per-message check).
    #[cfg(test)]
    pub(crate) fn slot_bytes(&self) -> usize {
        self.chunks
            .iter()
            .map(|c| c.slots.capacity() * std::mem::size_of::<Slot<L>>())
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn idx(seqs: &[(u32, u64)]) -> SeqIndex<u32> {
        let mut i = SeqIndex::default();
        for &(seg, seq) in seqs {
            i.push(seg, seq, 1, 7);
        }
        i
    }

    #[test]
    fn lookup_kill_and_drop() {
        let mut i = idx(&[(1, 1), (1, 2), (1, 4), (2, 10), (2, 11)]);
        assert!(i.live(3).is_none() && i.slot(3).is_some());
        assert!(i.slot(5).is_none());
        assert_eq!(i.live(4).map(|(seg, s)| (seg, s.loc)), Some((1, 7)));
        assert_eq!(i.next_live(5), Some(10));
        assert_eq!(i.deleted_between(1, 11), vec![3, 5, 6, 7, 8, 9]);
        assert_eq!(i.kill(10).map(|k| (k.loc, k.emptied)), Some((7, None)));
        assert!(i.kill(10).is_none());
        assert_eq!(i.kill(11).map(|k| k.emptied), Some(Some(2)));
        assert!(!i.has_seg(2));
        assert_eq!(i.scan_backward(1, 100, |_| true), Some(4));
        assert_eq!(i.scan_forward(3, 100, |_| true), Some(4));
        let mut seen = Vec::new();
        assert_eq!(i.drain_below(4, |s, _, _| seen.push(s)), Vec::<u32>::new());
        assert_eq!(seen, vec![1, 2]);
        assert_eq!(i.drain_below(100, |s, _, _| seen.push(s)), vec![1]);
        assert_eq!(i.next_live(0), None);
    }

    #[test]
    fn slots_are_16_bytes_for_file_locations() {
        assert_eq!(std::mem::size_of::<Slot<u64>>(), 16);
        assert_eq!(std::mem::size_of::<Slot<Option<Box<u8>>>>(), 16);
    }
}
