//! The `Nats-Msg-Id` duplicate window: ids seen in the last `duplicate_window`, with the
//! sequence they were stored at (nats-server's `ddmap`/`ddarr`).
//!
//! It lives in memory only; a stream reopened after a restart rebuilds it from the stored
//! messages of the window ([`Dedup::rebuild`]), so a client that republishes after a
//! restart still gets `"duplicate": true`.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use fastnats_store::Store;

use crate::headers;

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

    /// The window and the last message's id (`Nats-Expected-Last-Msg-Id`) rebuilt from the
    /// messages of `store` stored at or after `now - window` (nats-server's
    /// `rebuildDedupe`): walks back from the last sequence until a message is older than
    /// the window, reading each message, so it costs one read per message of the window.
    /// Messages that cannot be read are skipped. The last id is that of the last message,
    /// empty when it had none or lies outside the window, as on nats-server.
    #[must_use]
    pub fn rebuild(store: &dyn Store, window: i64, now: i64) -> (Dedup, String) {
        let mut dedup = Dedup::default();
        let mut last_id = String::new();
        let st = store.state();
        if window <= 0 || st.msgs == 0 {
            return (dedup, last_id);
        }
        let cutoff = now.saturating_sub(window);
        let mut found = Vec::new();
        for seq in (st.first_seq..=st.last_seq).rev() {
            let Ok(Some(m)) = store.get(seq) else {
                continue;
            };
            if m.ts < cutoff {
                break;
            }
            let id = m
                .headers
                .as_deref()
                .and_then(|h| headers::get(h, headers::MSG_ID))
                .and_then(|v| std::str::from_utf8(v).ok());
            if let Some(id) = id {
                if seq == st.last_seq {
                    last_id.push_str(id);
                }
                found.push((id.to_string(), seq, m.ts));
            }
        }
        // Oldest first, as ingest records them (`expire` pops from the front); an id stored
        // twice maps to its newest sequence, as nats-server's map does.
        for (id, seq, ts) in found.into_iter().rev() {
            dedup.insert(&id, seq, ts);
        }
        (dedup, last_id)
    }

    /// Forgets everything (the window changed to zero).
    pub fn clear(&mut self) {
        self.ids.clear();
        self.order.clear();
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use fastnats_store::{MemStore, Store, StoreLimits};

    use super::Dedup;

    fn id(v: &str) -> Vec<u8> {
        format!("NATS/1.0\r\nNats-Msg-Id: {v}\r\n\r\n").into_bytes()
    }

    #[test]
    fn rebuild_takes_the_ids_of_the_window_only() {
        let mut store = MemStore::new(StoreLimits::default());
        store.append("a", Some(&id("old")), b"x", 100).unwrap();
        store.append("a", Some(&id("m1")), b"x", 1_000).unwrap();
        store.append("a", None, b"x", 1_001).unwrap();
        store.append("a", Some(&id("m2")), b"x", 1_002).unwrap();
        store.append("a", Some(&id("m3")), b"x", 1_003).unwrap();
        store.remove(4, false).unwrap();
        let (mut d, last) = Dedup::rebuild(&store, 500, 1_400);
        assert_eq!(last, "m3");
        assert_eq!(
            (d.get("old"), d.get("m1"), d.get("m2")),
            (None, Some(2), None)
        );
        assert_eq!(d.get("m3"), Some(5));
        // Oldest first: m1 expires before m3.
        d.expire(1_502, 500);
        assert_eq!((d.get("m1"), d.get("m3")), (None, Some(5)));
    }

    #[test]
    fn the_last_id_is_the_last_messages_and_no_window_means_nothing() {
        let mut store = MemStore::new(StoreLimits::default());
        store.append("a", Some(&id("m1")), b"x", 1_000).unwrap();
        store.append("a", None, b"x", 1_001).unwrap();
        let (d, last) = Dedup::rebuild(&store, 500, 1_200);
        assert_eq!((d.get("m1"), last.as_str()), (Some(1), ""));
        let (d, last) = Dedup::rebuild(&store, 0, 1_200);
        assert_eq!((d.get("m1"), last.as_str()), (None, ""));
    }
}
