//! The `Nats-Msg-Id` duplicate window: ids seen in the last `duplicate_window`, with the
//! sequence they were stored at (nats-server's `ddmap`/`ddarr`).

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

/// Ids within the window, oldest first in `order`.
#[derive(Debug, Default)]
pub struct Dedup {
    ids: HashMap<Arc<str>, u64>,
    order: VecDeque<(i64, Arc<str>)>,
}

impl Dedup {
    /// Forgets ids stored before `now - window`.
    pub fn expire(&mut self, now: i64, window: i64) {
        let cutoff = now.saturating_sub(window);
        while let Some((ts, _)) = self.order.front() {
            if *ts >= cutoff {
                break;
            }
            if let Some((_, id)) = self.order.pop_front() {
                self.ids.remove(&id);
            }
        }
    }

    /// The sequence `id` was stored at, if within the window.
    #[must_use]
    pub fn get(&self, id: &str) -> Option<u64> {
        self.ids.get(id).copied()
    }

    /// Records `id` stored at `seq` at time `ts`.
    pub fn insert(&mut self, id: &str, seq: u64, ts: i64) {
        let id: Arc<str> = Arc::from(id);
        self.ids.insert(id.clone(), seq);
        self.order.push_back((ts, id));
    }

    /// Forgets everything (the window changed to zero).
    pub fn clear(&mut self) {
        self.ids.clear();
        self.order.clear();
    }
}
