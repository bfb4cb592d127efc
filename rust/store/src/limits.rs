//! Stream limits as the store enforces them.
//!
//! The store enforces *discard old* itself, right after each append, in nats-server's order:
//! the per-subject limit of the appended subject first, then `max_msgs`, then `max_bytes`
//! (each removes from the head: the oldest message of the subject, or of the stream). The
//! per-subject limit applies whatever the discard policy (as in nats-server); with
//! [`Discard::New`] the msgs/bytes limits are instead checked *before* an append by
//! [`crate::Store::check_discard_new`], which the layer above calls because it alone knows
//! whether the message is a rollup. `max_age` is applied by [`crate::Store::expire`], which the
//! caller runs at [`crate::Store::next_expiry`].

use std::fmt;

/// What happens when `max_msgs` / `max_bytes` is reached.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Discard {
    /// Remove the oldest messages to make room (the default).
    #[default]
    Old,
    /// Refuse new messages (the caller checks with `check_discard_new`).
    New,
}

/// The limits of one stream. `None` means unlimited.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StoreLimits {
    /// At most this many messages.
    pub max_msgs: Option<u64>,
    /// At most this many bytes (by the store's byte accounting).
    pub max_bytes: Option<u64>,
    /// Messages older than this many nanoseconds expire.
    pub max_age: Option<i64>,
    /// At most this many messages per subject (the oldest of the subject goes).
    pub max_msgs_per_subject: Option<u64>,
    /// The discard policy for `max_msgs` and `max_bytes`.
    pub discard: Discard,
    /// With [`Discard::New`]: also refuse a message whose subject is at its limit (nats-server's
    /// `discard_new_per_subject`) instead of replacing the oldest.
    pub discard_new_per_subject: bool,
}

/// Why a [`Discard::New`] stream refuses a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LimitExceeded {
    /// `max_msgs` is reached (nats-server: "maximum messages exceeded").
    MaxMsgs,
    /// `max_bytes` would be passed (nats-server: "maximum bytes exceeded").
    MaxBytes,
    /// The subject is at `max_msgs_per_subject` and `discard_new_per_subject` is set
    /// (nats-server: "maximum messages per subject exceeded").
    MaxMsgsPerSubject,
}

impl fmt::Display for LimitExceeded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            LimitExceeded::MaxMsgs => "maximum messages exceeded",
            LimitExceeded::MaxBytes => "maximum bytes exceeded",
            LimitExceeded::MaxMsgsPerSubject => "maximum messages per subject exceeded",
        })
    }
}

impl std::error::Error for LimitExceeded {}
