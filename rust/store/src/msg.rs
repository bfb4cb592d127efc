//! The values the store hands out: a stored message, the stream's state counters and the
//! per-subject state. They mirror nats-server's `StoreMsg`, `StreamState` and `SimpleState`.

use std::sync::Arc;

use bytes::Bytes;

/// One message as stored. Payload and headers are [`Bytes`]: cloning is a reference-count
/// bump, so the network layer can queue them without copying. `subject` is the store's interned
/// subject (shared by every message on it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredMsg {
    /// The stream sequence.
    pub seq: u64,
    /// When the message was stored, in nanoseconds since the Unix epoch.
    pub ts: i64,
    /// The subject it was published on.
    pub subject: Arc<str>,
    /// The raw header block (`NATS/1.0\r\n...\r\n\r\n`), if the message had one.
    pub headers: Option<Bytes>,
    /// The payload.
    pub payload: Bytes,
}

/// A stream's counters, all kept up to date by every operation so reading them is O(1).
///
/// Semantics follow nats-server: a stream that never held a message has `first_seq ==
/// last_seq == 0`; once messages are gone (removed, purged, expired) `first_seq ==
/// last_seq + 1`; `last_seq` never goes down. A zero timestamp means "none" (nats-server shows
/// the zero time, `0001-01-01T00:00:00Z`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StreamState {
    /// Messages stored.
    pub msgs: u64,
    /// Bytes stored, by nats-server's accounting of the store type (see the crate docs).
    pub bytes: u64,
    /// The first sequence still stored (or the next one to be used when empty).
    pub first_seq: u64,
    /// Timestamp of the first stored message, 0 when empty.
    pub first_ts: i64,
    /// The last sequence used.
    pub last_seq: u64,
    /// Timestamp of the last message stored (kept when it is removed), 0 if none.
    pub last_ts: i64,
    /// Interior deletes: sequences between `first_seq` and `last_seq` not stored.
    pub num_deleted: u64,
    /// Distinct subjects with at least one stored message.
    pub num_subjects: u64,
}

/// The state of one subject, or of all subjects a filter selects (nats-server's
/// `SimpleState`): how many messages and the first and last of their sequences (0 when none).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SubjectState {
    /// Messages stored on the subject(s).
    pub msgs: u64,
    /// The lowest stored sequence on the subject(s).
    pub first: u64,
    /// The highest stored sequence on the subject(s).
    pub last: u64,
}
