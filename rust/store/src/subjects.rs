//! The subject table: every distinct stored subject once, with its per-subject state.
//!
//! Each subject gets a small integer id (`u32`), which is what the sequence index stores per
//! message (4 bytes instead of the string). The table keeps, per subject, the counters that
//! nats-server keeps in its `psim`/`fss`: how many messages, the first and the last stored
//! sequence, plus `tail`, the last sequence ever appended on the subject (possibly removed
//! since), which is where the index's per-subject chain is extended on the next append.
//!
//! Ids of subjects whose last message went are reused, so a key-value bucket that churns
//! through keys does not grow the table.

use std::collections::HashMap;
use std::sync::Arc;

use foldhash::fast::RandomState;

/// The per-subject counters.
#[derive(Clone, Debug)]
pub(crate) struct SubjectEntry {
    /// The subject, shared with every [`crate::StoredMsg`] handed out for it.
    pub name: Arc<str>,
    /// Stored messages on the subject (never 0 while the entry exists).
    pub msgs: u64,
    /// Lowest stored sequence.
    pub first: u64,
    /// Highest stored sequence.
    pub last: u64,
    /// Last sequence appended on the subject, even if removed since.
    pub tail: u64,
}

/// Interned subjects and their state.
#[derive(Debug, Default)]
pub(crate) struct Subjects {
    ids: HashMap<Arc<str>, u32, RandomState>,
    entries: Vec<Option<SubjectEntry>>,
    free: Vec<u32>,
}

impl Subjects {
    /// The id of `name`, if it has stored messages.
    pub(crate) fn id(&self, name: &str) -> Option<u32> {
        self.ids.get(name).copied()
    }

    /// The entry of `id`.
    pub(crate) fn get(&self, id: u32) -> Option<&SubjectEntry> {
        self.entries.get(id as usize).and_then(Option::as_ref)
    }

    /// The entry of `id`, to update.
    pub(crate) fn get_mut(&mut self, id: u32) -> Option<&mut SubjectEntry> {
        self.entries.get_mut(id as usize).and_then(Option::as_mut)
    }

    /// The entry of `name`.
    pub(crate) fn by_name(&self, name: &str) -> Option<&SubjectEntry> {
        self.id(name).and_then(|id| self.get(id))
    }

    /// Counts an appended message `seq` on `name`. Returns the subject id and the previous
    /// `tail` of the subject (to link the index chain), if the subject was already stored.
    pub(crate) fn add(&mut self, name: &str, seq: u64) -> (u32, Option<u64>) {
        if let Some(&id) = self.ids.get(name) {
            if let Some(e) = self.get_mut(id) {
                let prev = e.tail;
                e.msgs += 1;
                e.last = seq;
                e.tail = seq;
                return (id, Some(prev));
            }
        }
        let name: Arc<str> = Arc::from(name);
        let entry = SubjectEntry {
            name: name.clone(),
            msgs: 1,
            first: seq,
            last: seq,
            tail: seq,
        };
        let id = match self.free.pop() {
            Some(id) => {
                self.entries[id as usize] = Some(entry);
                id
            }
            None => {
                self.entries.push(Some(entry));
                // Ids stay below 2^31 (the index uses the top bit): 2^31 distinct live subjects
                // would need far more memory than any machine has.
                u32::try_from(self.entries.len() - 1).unwrap_or(u32::MAX >> 1)
            }
        };
        self.ids.insert(name, id);
        (id, None)
    }

    /// Forgets `id` (its last message went).
    pub(crate) fn remove(&mut self, id: u32) {
        if let Some(slot) = self.entries.get_mut(id as usize) {
            if let Some(e) = slot.take() {
                self.ids.remove(&*e.name);
                self.free.push(id);
            }
        }
    }

    /// Number of subjects with stored messages.
    pub(crate) fn len(&self) -> usize {
        self.ids.len()
    }

    /// Every subject with its id.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (u32, &SubjectEntry)> {
        self.entries
            .iter()
            .enumerate()
            .filter_map(|(i, e)| e.as_ref().map(|e| (i as u32, e)))
    }

    /// Forgets everything (purge).
    pub(crate) fn clear(&mut self) {
        self.ids.clear();
        self.entries.clear();
        self.free.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_reused() {
        let mut s = Subjects::default();
        let (a, prev) = s.add("a", 1);
        assert_eq!(prev, None);
        let (a2, prev) = s.add("a", 2);
        assert_eq!((a2, prev), (a, Some(1)));
        let (b, _) = s.add("b", 3);
        assert_ne!(a, b);
        s.remove(a);
        assert_eq!(s.id("a"), None);
        let (c, _) = s.add("c", 4);
        assert_eq!(c, a);
        assert_eq!(s.len(), 2);
        assert_eq!(
            s.by_name("c").map(|e| (e.msgs, e.first, e.last)),
            Some((1, 4, 4))
        );
    }
}
