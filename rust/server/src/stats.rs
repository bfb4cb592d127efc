//! Server-wide counters. Publishers add their per-read totals once per read buffer, not once
//! per message, so the counters cost nothing measurable on the hot path.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use crate::account::AccountStats;

#[derive(Debug, Default)]
/// Counters of one server, shared by every task.
pub struct ServerStats {
    /// Messages received from clients.
    pub in_msgs: AtomicU64,
    /// Payload bytes received from clients.
    pub in_bytes: AtomicU64,
    /// Messages delivered to clients.
    pub out_msgs: AtomicU64,
    /// Payload bytes delivered to clients.
    pub out_bytes: AtomicU64,
    /// Connections closed as slow consumers.
    pub slow_consumers: AtomicU64,
    /// Connections closed as stale (unanswered PINGs).
    pub stale_connections: AtomicU64,
    /// Connections accepted since start.
    pub total_connections: AtomicU64,
    /// Times a publisher was stalled waiting for a slow consumer to drain (`/varz`
    /// `stalled_clients`; one add per stall, not per message).
    pub stalled_clients: AtomicU64,
}

/// A plain copy of the counters at one moment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StatsSnapshot {
    /// See [`ServerStats::in_msgs`].
    pub in_msgs: u64,
    /// See [`ServerStats::in_bytes`].
    pub in_bytes: u64,
    /// See [`ServerStats::out_msgs`].
    pub out_msgs: u64,
    /// See [`ServerStats::out_bytes`].
    pub out_bytes: u64,
    /// See [`ServerStats::slow_consumers`].
    pub slow_consumers: u64,
    /// See [`ServerStats::stale_connections`].
    pub stale_connections: u64,
    /// See [`ServerStats::total_connections`].
    pub total_connections: u64,
    /// See [`ServerStats::stalled_clients`].
    pub stalled_clients: u64,
    /// Connections open now.
    pub connections: u64,
    /// Subscriptions now, across accounts.
    pub subscriptions: u64,
}

impl ServerStats {
    /// The counters now, with the two gauges the caller reads elsewhere.
    pub fn snapshot(&self, connections: u64, subscriptions: u64) -> StatsSnapshot {
        StatsSnapshot {
            in_msgs: self.in_msgs.load(Relaxed),
            in_bytes: self.in_bytes.load(Relaxed),
            out_msgs: self.out_msgs.load(Relaxed),
            out_bytes: self.out_bytes.load(Relaxed),
            slow_consumers: self.slow_consumers.load(Relaxed),
            stale_connections: self.stale_connections.load(Relaxed),
            total_connections: self.total_connections.load(Relaxed),
            stalled_clients: self.stalled_clients.load(Relaxed),
            connections,
            subscriptions,
        }
    }
}

/// Counters a reader accumulates over one read buffer.
#[derive(Debug, Default)]
pub struct LocalCounts {
    /// Messages received in this batch.
    pub in_msgs: u64,
    /// Payload bytes received in this batch.
    pub in_bytes: u64,
    /// Messages delivered in this batch.
    pub out_msgs: u64,
    /// Payload bytes delivered in this batch.
    pub out_bytes: u64,
    /// Of `out_msgs`, the deliveries in other accounts (through imports), which those
    /// accounts have counted already.
    pub crossed_msgs: u64,
    /// Of `out_bytes`, the bytes of `crossed_msgs`.
    pub crossed_bytes: u64,
}

impl LocalCounts {
    /// The deliveries counted so far: `(msgs, bytes)`, for [`LocalCounts::cross`].
    #[inline]
    pub fn sent(&self) -> (u64, u64) {
        (self.out_msgs, self.out_bytes)
    }

    /// Counts the deliveries made since [`LocalCounts::sent`] returned `since` in `account`
    /// (another account than the batch's: a message that crossed an import) at once.
    #[inline]
    pub fn cross(&mut self, since: (u64, u64), account: &AccountStats) {
        let (msgs, bytes) = (self.out_msgs - since.0, self.out_bytes - since.1);
        account.add_out(msgs, bytes);
        self.crossed_msgs += msgs;
        self.crossed_bytes += bytes;
    }

    /// Adds the totals to the server counters and to `account`'s (the batch's account:
    /// what its publisher sent in, and what was delivered to its own subscribers), and
    /// resets.
    pub fn publish(&mut self, stats: &ServerStats, account: &AccountStats) {
        if self.in_msgs != 0 {
            stats.in_msgs.fetch_add(self.in_msgs, Relaxed);
            stats.in_bytes.fetch_add(self.in_bytes, Relaxed);
        }
        if self.out_msgs != 0 {
            stats.out_msgs.fetch_add(self.out_msgs, Relaxed);
            stats.out_bytes.fetch_add(self.out_bytes, Relaxed);
        }
        account.add_in(self.in_msgs, self.in_bytes);
        account.add_out(
            self.out_msgs - self.crossed_msgs,
            self.out_bytes - self.crossed_bytes,
        );
        *self = LocalCounts::default();
    }
}
