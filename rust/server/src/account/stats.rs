//! An account's message counters, as nats-server keeps them in the account (`Account.stats`):
//! they outlive the connections, so `/accstatz`, `$SYS.REQ.ACCOUNT.<account>.STATZ` and the
//! `CONNS` events count the traffic of clients that have since gone.
//!
//! What counts where, as in nats-server: a message a client publishes is *received* by the
//! publisher's account; a delivery is *sent* by the account whose subscriber got it (a
//! delivery through an import counts in the importing or exporting account that received it,
//! not in the publisher's). A slow consumer counts in its own account.
//!
//! Publishers add their totals once per batch ([`crate::delivery::Delivery::end_batch`]),
//! never once per message; only deliveries across accounts (imports, rare) add directly.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// The live counters of one account.
#[derive(Debug, Default)]
pub struct AccountStats {
    in_msgs: AtomicU64,
    in_bytes: AtomicU64,
    out_msgs: AtomicU64,
    out_bytes: AtomicU64,
    slow_consumers: AtomicU64,
}

/// A plain copy of an account's counters at one moment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AccountCounts {
    /// Messages the account's clients published.
    pub in_msgs: u64,
    /// Their bytes.
    pub in_bytes: u64,
    /// Messages delivered to the account's subscribers.
    pub out_msgs: u64,
    /// Their bytes.
    pub out_bytes: u64,
    /// The account's connections closed as slow consumers.
    pub slow_consumers: u64,
}

impl AccountStats {
    /// Adds `msgs` messages of `bytes` bytes its clients published.
    #[inline]
    pub fn add_in(&self, msgs: u64, bytes: u64) {
        if msgs != 0 {
            self.in_msgs.fetch_add(msgs, Relaxed);
            self.in_bytes.fetch_add(bytes, Relaxed);
        }
    }

    /// Adds `msgs` deliveries of `bytes` bytes to its subscribers.
    #[inline]
    pub fn add_out(&self, msgs: u64, bytes: u64) {
        if msgs != 0 {
            self.out_msgs.fetch_add(msgs, Relaxed);
            self.out_bytes.fetch_add(bytes, Relaxed);
        }
    }

    /// Counts one of its connections closed as a slow consumer.
    pub fn add_slow_consumer(&self) {
        self.slow_consumers.fetch_add(1, Relaxed);
    }

    /// The counters now.
    pub fn counts(&self) -> AccountCounts {
        AccountCounts {
            in_msgs: self.in_msgs.load(Relaxed),
            in_bytes: self.in_bytes.load(Relaxed),
            out_msgs: self.out_msgs.load(Relaxed),
            out_bytes: self.out_bytes.load(Relaxed),
            slow_consumers: self.slow_consumers.load(Relaxed),
        }
    }
}
