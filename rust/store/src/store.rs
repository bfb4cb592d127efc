//! The [`Store`] trait: what the JetStream layer asks of a stream's storage, implemented by
//! [`crate::MemStore`] and [`crate::FileStore`].
//!
//! Object-safe and `Send`: the layer above keeps a `Box<dyn Store>` per stream behind its own
//! lock. Writes take `&mut self`; reads take `&self` (the file store reads with positional
//! reads, and from its write buffer for records not yet written out).

use std::sync::Arc;

use crate::error::Result;
use crate::limits::{LimitExceeded, StoreLimits};
use crate::msg::{StoredMsg, StreamState, SubjectState};
use crate::sync_job::SyncJob;

/// A stream's message storage.
///
/// Sequences, counters and removal rules follow nats-server's memory and file stores (see
/// [`StreamState`]). Removals never lower `last_seq`; the next append always gets
/// `last_seq + 1`.
pub trait Store: Send {
    /// Stores a message with the next sequence and timestamp `ts` (Unix nanoseconds), then
    /// enforces the discard-old limits (which may remove older messages, even this one).
    /// Returns the sequence and timestamp. For the file store the message is buffered: it is
    /// durable after the next [`Store::sync`].
    ///
    /// # Errors
    /// [`crate::StoreError::TooLarge`] if it cannot be framed; I/O errors.
    fn append(
        &mut self,
        subject: &str,
        headers: Option<&[u8]>,
        payload: &[u8],
        ts: i64,
    ) -> Result<(u64, i64)>;

    /// Consumes `num` sequences without messages (nats-server `SkipMsgs`); `ts` becomes
    /// `last_ts` if there was none. Returns the last skipped sequence.
    ///
    /// # Errors
    /// I/O errors.
    fn skip_msgs(&mut self, num: u64, ts: i64) -> Result<u64>;

    /// Writes buffered records to the operating system (they then survive the process being
    /// killed, not a power cut).
    ///
    /// # Errors
    /// I/O errors.
    fn flush(&mut self) -> Result<()>;

    /// Makes everything stored or removed so far durable (`fdatasync`), per the sync policy.
    /// The group-commit point: call it once for all the messages of a short window, then
    /// release their acknowledgements.
    ///
    /// # Errors
    /// I/O errors.
    fn sync(&mut self) -> Result<()> {
        Ok(self.begin_sync()?.run()?)
    }

    /// The first half of [`Store::sync`]: writes everything out and returns the flushes
    /// still to do, to be run without the store's lock (in the order begun; see
    /// [`SyncJob`]). What was stored before this call is durable once the job has run.
    ///
    /// # Errors
    /// I/O errors.
    fn begin_sync(&mut self) -> Result<SyncJob>;

    /// The message with sequence `seq`, if stored.
    ///
    /// # Errors
    /// [`crate::StoreError::Corrupt`] if its record fails its checksum; I/O errors.
    fn get(&self, seq: u64) -> Result<Option<StoredMsg>>;

    /// The first stored sequence at or after `start` whose subject matches any of `filters`
    /// (`*`/`>` wildcards; none means all). Decided from the in-memory index alone. `None`
    /// means there is none up to `state().last_seq`.
    fn next_matching_seq(&self, start: u64, filters: &[&str]) -> Option<u64>;

    /// The message at [`Store::next_matching_seq`].
    ///
    /// # Errors
    /// As [`Store::get`].
    fn next_matching(&self, start: u64, filters: &[&str]) -> Result<Option<StoredMsg>> {
        match self.next_matching_seq(start, filters) {
            Some(seq) => self.get(seq),
            None => Ok(None),
        }
    }

    /// The last stored sequence whose subject matches `filter`.
    fn last_matching_seq(&self, filter: &str) -> Option<u64>;

    /// The last stored message whose subject matches `filter` (KV get, direct get by subject).
    ///
    /// # Errors
    /// As [`Store::get`].
    fn last_for_subject(&self, filter: &str) -> Result<Option<StoredMsg>> {
        match self.last_matching_seq(filter) {
            Some(seq) => self.get(seq),
            None => Ok(None),
        }
    }

    /// The state of one literal subject (its first sequence is `first`).
    fn subject_state(&self, subject: &str) -> Option<SubjectState>;

    /// Every stored subject matching `filter`, with its state, in no particular order
    /// (stream info `subjects_filter`, KV keys).
    fn subjects_state(&self, filter: &str) -> Vec<(Arc<str>, SubjectState)>;

    /// Totals over the subjects matching any of `filters`.
    fn filtered_state(&self, filters: &[&str]) -> SubjectState;

    /// Messages at or after `start` matching `filters`; with `last_per_subject`, the number of
    /// matching subjects whose last message is at or after `start` (consumer `num_pending`).
    fn num_pending(&self, start: u64, filters: &[&str], last_per_subject: bool) -> u64;

    /// Removes message `seq`; with `erase`, its content is overwritten too (nats-server
    /// `EraseMsg`, a stream without `no_erase`). Returns whether it was stored.
    ///
    /// # Errors
    /// I/O errors.
    fn remove(&mut self, seq: u64, erase: bool) -> Result<bool>;

    /// nats-server's `PurgeEx`: removes the messages matching `filter` (all if `None`) below
    /// `upto_seq` (exclusive), keeping the newest `keep`. Returns how many went.
    ///
    /// # Errors
    /// I/O errors.
    fn purge(
        &mut self,
        filter: Option<&str>,
        upto_seq: Option<u64>,
        keep: Option<u64>,
    ) -> Result<u64>;

    /// nats-server's `Compact`: removes every message below `seq`; a `seq` past the end makes
    /// it the next sequence (how a new stream gets its configured `first_seq`).
    ///
    /// # Errors
    /// I/O errors.
    fn compact(&mut self, seq: u64) -> Result<u64>;

    /// The limits in force.
    fn limits(&self) -> StoreLimits;

    /// Replaces the limits and enforces the new ones at once (all but age: call
    /// [`Store::expire`] next).
    ///
    /// # Errors
    /// I/O errors.
    fn update_limits(&mut self, limits: StoreLimits) -> Result<()>;

    /// With [`crate::Discard::New`]: whether a message with these lengths may be appended, by
    /// nats-server's rules (`rollup`: the message carries a rollup header, which may replace a
    /// subject at its limit). Always `Ok` with [`crate::Discard::Old`].
    ///
    /// # Errors
    /// The limit that refuses it.
    fn check_discard_new(
        &self,
        subject: &str,
        hdr_len: usize,
        payload_len: usize,
        rollup: bool,
    ) -> std::result::Result<(), LimitExceeded>;

    /// Removes the messages older than `max_age` at `now`, from the head. Returns how many.
    ///
    /// # Errors
    /// I/O errors.
    fn expire(&mut self, now: i64) -> Result<u64>;

    /// When the next message expires, if any: schedule [`Store::expire`] then.
    fn next_expiry(&self) -> Option<i64>;

    /// The counters, O(1).
    fn state(&self) -> StreamState;

    /// The interior deletes, ascending (`deleted_details`).
    fn deleted(&self) -> Vec<u64>;

    /// Asks the store to remember which sequences limits and expiry remove (off by default).
    fn track_removed(&mut self, on: bool);

    /// The sequences removed by limits or expiry since the last call (when tracking).
    fn take_removed(&mut self) -> Vec<u64>;
}

/// The `Store` methods that only read or update the shared log model, written once for both
/// stores (each has a `log` field).
macro_rules! log_forwards {
    () => {
        fn next_matching_seq(&self, start: u64, filters: &[&str]) -> Option<u64> {
            self.log
                .next_matching(start, &$crate::filter::Filters::new(filters))
        }

        fn last_matching_seq(&self, filter: &str) -> Option<u64> {
            self.log
                .last_matching(&$crate::filter::Filters::new(&[filter]))
        }

        fn subject_state(&self, subject: &str) -> Option<$crate::SubjectState> {
            self.log.subject_state(subject)
        }

        fn subjects_state(&self, filter: &str) -> Vec<(std::sync::Arc<str>, $crate::SubjectState)> {
            self.log
                .subjects_state(&$crate::filter::Filters::new(&[filter]))
        }

        fn filtered_state(&self, filters: &[&str]) -> $crate::SubjectState {
            self.log
                .filtered_state(&$crate::filter::Filters::new(filters))
        }

        fn num_pending(&self, start: u64, filters: &[&str], last_per_subject: bool) -> u64 {
            self.log.num_pending(
                start,
                &$crate::filter::Filters::new(filters),
                last_per_subject,
            )
        }

        fn limits(&self) -> $crate::StoreLimits {
            *self.log.limits()
        }

        fn check_discard_new(
            &self,
            subject: &str,
            hdr_len: usize,
            payload_len: usize,
            rollup: bool,
        ) -> std::result::Result<(), $crate::LimitExceeded> {
            self.log
                .check_discard_new(subject, hdr_len, payload_len, rollup)
        }

        fn next_expiry(&self) -> Option<i64> {
            self.log.next_expiry()
        }

        fn state(&self) -> $crate::StreamState {
            self.log.state()
        }

        fn deleted(&self) -> Vec<u64> {
            self.log.deleted()
        }

        fn track_removed(&mut self, on: bool) {
            self.log.track_removed(on);
        }

        fn take_removed(&mut self) -> Vec<u64> {
            self.log.take_removed()
        }
    };
}
pub(crate) use log_forwards;
