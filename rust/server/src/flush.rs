//! The per-reader set of clients to wake at the end of a read buffer (nats-server's "pcd").
//!
//! Delivery only appends to a recipient's outbound buffer; the recipient's writer is woken once
//! per publisher read buffer, not once per message, so many messages leave in one write.

use std::sync::Arc;

use crate::client::ClientHandle;

#[derive(Default)]
pub struct FlushSet {
    clients: Vec<Arc<ClientHandle>>,
}

/// Past this many recipients a linear scan is replaced by sort + dedup at flush time.
const SCAN_LIMIT: usize = 16;

impl FlushSet {
    /// Records `client` (once) for waking at the next [`FlushSet::flush`].
    #[inline]
    pub fn add(&mut self, client: &Arc<ClientHandle>) {
        if let Some(last) = self.clients.last() {
            if last.cid == client.cid {
                return;
            }
        }
        if self.clients.len() <= SCAN_LIMIT && self.clients.iter().any(|c| c.cid == client.cid) {
            return;
        }
        self.clients.push(client.clone());
    }

    /// Flushes every recorded client once (in place or through its writer) and empties the
    /// set.
    pub fn flush(&mut self) {
        if self.clients.len() > SCAN_LIMIT {
            self.clients.sort_unstable_by_key(|c| c.cid);
            self.clients.dedup_by_key(|c| c.cid);
        }
        for c in self.clients.drain(..) {
            c.flush();
        }
    }
}
