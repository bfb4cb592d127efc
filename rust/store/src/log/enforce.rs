//! Limits: discard-old enforcement after an append or a limits update, the discard-new check
//! before an append, and expiry by age (see [`crate::limits`] for the rules).

use super::{Loc, Log};
use crate::limits::{Discard, LimitExceeded};

/// A limit value, with 0 meaning "none" as in nats-server.
fn set(v: Option<u64>) -> Option<u64> {
    v.filter(|&v| v > 0)
}

impl<L: Loc> Log<L> {
    /// Enforces the limits after appending a message on `subject`: its per-subject limit, then
    /// `max_msgs` and `max_bytes` when discarding old messages.
    pub(crate) fn enforce_after_append(&mut self, subject: &str) {
        if let (Some(max), Some(id)) = (
            set(self.limits.max_msgs_per_subject),
            self.subjects.id(subject),
        ) {
            self.enforce_subject(id, max);
        }
        self.enforce_totals();
    }

    /// Enforces every limit but age (after opening, or a limits update).
    pub(crate) fn enforce_all(&mut self) {
        if let Some(max) = set(self.limits.max_msgs_per_subject) {
            let over: Vec<u32> = self
                .subjects
                .iter()
                .filter(|(_, e)| e.msgs > max)
                .map(|(id, _)| id)
                .collect();
            for id in over {
                self.enforce_subject(id, max);
            }
        }
        self.enforce_totals();
    }

    fn enforce_subject(&mut self, id: u32, max: u64) {
        while let Some(e) = self.subjects.get(id).filter(|e| e.msgs > max) {
            let first = e.first;
            if !self.remove_by_limit(first) {
                break;
            }
        }
    }

    fn enforce_totals(&mut self) {
        if self.limits.discard != Discard::Old {
            return;
        }
        if let Some(max) = set(self.limits.max_msgs) {
            while self.msgs > max && self.remove_by_limit(self.first_seq) {}
        }
        if let Some(max) = set(self.limits.max_bytes) {
            while self.bytes > max && self.remove_by_limit(self.first_seq) {}
        }
    }

    /// nats-server's discard-new check for a message about to be appended (see
    /// [`crate::Store::check_discard_new`]).
    pub(crate) fn check_discard_new(
        &self,
        subject: &str,
        hdr_len: usize,
        payload_len: usize,
        rollup: bool,
    ) -> Result<(), LimitExceeded> {
        if self.limits.discard != Discard::New {
            return Ok(());
        }
        let entry = self.subjects.by_name(subject);
        let at_subject_limit = match (set(self.limits.max_msgs_per_subject), entry) {
            (Some(max), Some(e)) => e.msgs >= max,
            _ => false,
        };
        if at_subject_limit && self.limits.discard_new_per_subject && !rollup {
            return Err(LimitExceeded::MaxMsgsPerSubject);
        }
        if let Some(max) = set(self.limits.max_msgs) {
            if self.msgs >= max && !at_subject_limit {
                return Err(LimitExceeded::MaxMsgs);
            }
        }
        if let Some(max) = set(self.limits.max_bytes) {
            let size = L::size_of(subject.len(), hdr_len, payload_len);
            if self.bytes + size > max {
                if !at_subject_limit {
                    return Err(LimitExceeded::MaxBytes);
                }
                // Replacing the subject's oldest message must free enough room.
                let oldest = entry
                    .and_then(|e| self.index.live(e.first))
                    .map(|(_, s)| s.loc.bytes());
                if !matches!(oldest, Some(b) if b >= size) {
                    return Err(LimitExceeded::MaxBytes);
                }
            }
        }
        Ok(())
    }

    /// When the first message expires (its timestamp plus `max_age`), if it can.
    pub(crate) fn next_expiry(&self) -> Option<i64> {
        let age = self.limits.max_age.filter(|&a| a > 0)?;
        (self.msgs > 0).then(|| self.first_ts.saturating_add(age))
    }

    /// Whether the first message has expired at `now` (`first_ts` must be fresh).
    pub(crate) fn head_expired(&self, now: i64) -> bool {
        match self.limits.max_age.filter(|&a| a > 0) {
            Some(age) => self.msgs > 0 && !self.first_ts_stale && self.first_ts <= now - age,
            None => false,
        }
    }
}
