//! Server-wide counters. Publishers add their per-read totals once per read buffer, not once
//! per message, so the counters cost nothing measurable on the hot path.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

#[derive(Debug, Default)]
pub struct ServerStats {
    pub in_msgs: AtomicU64,
    pub in_bytes: AtomicU64,
    pub out_msgs: AtomicU64,
    pub out_bytes: AtomicU64,
    pub slow_consumers: AtomicU64,
    pub stale_connections: AtomicU64,
    pub total_connections: AtomicU64,
}

/// A plain copy of the counters at one moment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StatsSnapshot {
    pub in_msgs: u64,
    pub in_bytes: u64,
    pub out_msgs: u64,
    pub out_bytes: u64,
    pub slow_consumers: u64,
    pub stale_connections: u64,
    pub total_connections: u64,
    pub connections: u64,
    pub subscriptions: u64,
}

impl ServerStats {
    pub fn snapshot(&self, connections: u64, subscriptions: u64) -> StatsSnapshot {
        StatsSnapshot {
            in_msgs: self.in_msgs.load(Relaxed),
            in_bytes: self.in_bytes.load(Relaxed),
            out_msgs: self.out_msgs.load(Relaxed),
            out_bytes: self.out_bytes.load(Relaxed),
            slow_consumers: self.slow_consumers.load(Relaxed),
            stale_connections: self.stale_connections.load(Relaxed),
            total_connections: self.total_connections.load(Relaxed),
            connections,
            subscriptions,
        }
    }
}

/// Counters a reader accumulates over one read buffer.
#[derive(Debug, Default)]
pub struct LocalCounts {
    pub in_msgs: u64,
    pub in_bytes: u64,
    pub out_msgs: u64,
    pub out_bytes: u64,
}

impl LocalCounts {
    /// Adds the totals to the server counters and resets.
    pub fn publish(&mut self, stats: &ServerStats) {
        if self.in_msgs != 0 {
            stats.in_msgs.fetch_add(self.in_msgs, Relaxed);
            stats.in_bytes.fetch_add(self.in_bytes, Relaxed);
        }
        if self.out_msgs != 0 {
            stats.out_msgs.fetch_add(self.out_msgs, Relaxed);
            stats.out_bytes.fetch_add(self.out_bytes, Relaxed);
        }
        *self = LocalCounts::default();
    }
}
