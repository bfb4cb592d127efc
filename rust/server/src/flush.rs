//! The per-reader set of clients to flush at the end of a read buffer (nats-server's "pcd").
//!
//! Delivery only appends to a recipient's outbound buffer; the recipient is flushed once per
//! publisher read buffer, not once per message, so many messages leave in one write. While
//! the publisher's socket still has data waiting (its read filled the buffer), recipients with
//! little queued are kept for the next read instead, so a publisher feeding many consumers
//! (queue groups, fan-out) makes a few large writes rather than one small write per consumer
//! per read — the batching nats-server's writer loop gets by waiting for its producers.

use std::sync::Arc;

use crate::connection::Connection;

#[derive(Default)]
/// Recipients with bytes queued by this reader and not flushed yet.
pub struct FlushSet {
    /// Recipients with their connection ids inline, so the duplicate check scans one
    /// contiguous array instead of chasing a pointer per entry.
    clients: Vec<(u64, Arc<Connection>)>,
}

/// Past this many recipients a linear scan is replaced by sort + dedup at flush time.
const SCAN_LIMIT: usize = 16;

impl FlushSet {
    /// Records `client` (once) for the next flush.
    #[inline]
    pub fn add(&mut self, client: &Arc<Connection>) {
        let cid = client.cid;
        if let Some((last, _)) = self.clients.last() {
            if *last == cid {
                return;
            }
        }
        if self.clients.len() <= SCAN_LIMIT && self.clients.iter().any(|(id, _)| *id == cid) {
            return;
        }
        self.clients.push((cid, client.clone()));
    }

    /// Whether no recipient is waiting for a flush.
    pub fn is_empty(&self) -> bool {
        self.clients.is_empty()
    }

    fn dedup(&mut self) {
        if self.clients.len() > SCAN_LIMIT {
            self.clients.sort_unstable_by_key(|(id, _)| *id);
            self.clients.dedup_by_key(|(id, _)| *id);
        }
    }

    /// Flushes every recorded client once (in place or through its writer) and empties the
    /// set.
    pub fn flush(&mut self) {
        self.dedup();
        for (_, c) in self.clients.drain(..) {
            c.flush();
        }
    }

    /// Flushes the recipients with at least `min` bytes queued and keeps the others for a
    /// later [`FlushSet::flush`].
    pub fn flush_large(&mut self, min: usize) {
        self.dedup();
        self.clients.retain(|(_, c)| {
            let queued = c.out.lock().buf.len();
            if queued >= min || c.is_closed() {
                c.flush();
                false
            } else {
                true
            }
        });
    }
}
