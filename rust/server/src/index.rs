//! An account's subject index, and a publisher's private cache of its match results.
//!
//! The index is one [`Sublist`] behind a mutex, plus a generation counter readable without the
//! lock. Publishers keep a per-connection cache of match results tagged with that generation
//! (nats-server's "L1" cache), so the hot path takes the lock only on a cache miss.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use fastnats_sublist::{MatchResult, Sublist};
use parking_lot::Mutex;

use crate::route::interest::{Interest, Peers};
use crate::subscription::SubRef;

/// A match result shared between the index's cache and publishers' caches.
pub type Matches = Arc<MatchResult<SubRef>>;

/// A subject index (one per account).
pub struct SubIndex {
    list: Mutex<Sublist<SubRef>>,
    /// Set when the server is in a cluster: the account's interest as its routes hear of
    /// it, changed under the same lock as `list` (see [`crate::route::interest`]).
    routes: Mutex<Option<Interest>>,
    generation: AtomicU64,
    /// Woken (`notify_waiters`) after every insert: see [`SubIndex::added`].
    added: Arc<tokio::sync::Notify>,
}

impl SubIndex {
    /// An empty index; `cache` turns the sublist's shared match cache on.
    pub fn new(cache: bool) -> Self {
        SubIndex {
            list: Mutex::new(Sublist::with_cache(cache)),
            routes: Mutex::new(None),
            generation: AtomicU64::new(0),
            added: Arc::new(tokio::sync::Notify::new()),
        }
    }

    /// Notified after each subscription is added: an internal client waiting for someone
    /// to subscribe (a JetStream push consumer without a subscriber) creates a
    /// [`tokio::sync::Notify::notified`] future, checks for interest, then awaits it
    /// (a future counts `notify_waiters` calls made after its creation, so none is lost).
    pub fn added(&self) -> Arc<tokio::sync::Notify> {
        self.added.clone()
    }

    /// The generation readers tag cached results with; it changes on every insert/remove.
    #[inline]
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Adds a subscription; fails if its subject (or queue) is not valid.
    pub fn insert(&self, sub: SubRef) -> Result<(), fastnats_sublist::InvalidSubject> {
        let mut list = self.list.lock();
        list.insert(sub.subject(), sub.queue(), sub.clone())?;
        self.generation.store(list.generation(), Ordering::Release);
        self.tell_routes(|i| i.added(&sub));
        drop(list);
        self.added.notify_waiters();
        Ok(())
    }

    /// Removes a subscription; returns whether it was there.
    pub fn remove(&self, sub: &SubRef) -> bool {
        let mut list = self.list.lock();
        let removed = list.remove(sub.subject(), sub.queue(), sub);
        self.generation.store(list.generation(), Ordering::Release);
        if removed {
            self.tell_routes(|i| i.removed(sub));
        }
        removed
    }

    /// Removes many subscriptions under one lock (a closing connection).
    pub fn remove_all<'a>(&self, subs: impl IntoIterator<Item = &'a SubRef>) {
        let mut list = self.list.lock();
        let mut routes = self.routes.lock();
        for sub in subs {
            if list.remove(sub.subject(), sub.queue(), sub) {
                if let Some(i) = routes.as_mut() {
                    i.removed(sub);
                }
            }
        }
        if let Some(i) = routes.as_mut() {
            i.flush();
        }
        self.generation.store(list.generation(), Ordering::Release);
    }

    /// Starts counting this index's interest for the cluster's routes (`account` names it
    /// in `RS+`/`RS-`) and, with `leafs`, for leaf connections: called when the account is
    /// created, before it has subscriptions.
    pub fn feed_routes(&self, account: &str, peers: &Arc<Peers>, leafs: bool) {
        let _list = self.list.lock();
        let mut routes = self.routes.lock();
        if routes.is_none() {
            *routes = Some(Interest::new(account, peers.clone(), leafs));
        }
    }

    /// Starts telling leaf connection `conn` of this index's interest (see
    /// [`Interest::attach_leaf`]), under the index lock; false without leaf nodes.
    pub fn attach_leaf(
        &self,
        conn: Arc<crate::connection::Connection>,
        spoke: bool,
        deny: Option<Arc<crate::auth::CompiledPermissions>>,
    ) -> bool {
        let _list = self.list.lock();
        self.routes
            .lock()
            .as_mut()
            .is_some_and(|i| i.attach_leaf(conn, spoke, deny))
    }

    /// Stops telling leaf connection `cid`.
    pub fn detach_leaf(&self, cid: u64) {
        let _list = self.list.lock();
        if let Some(i) = self.routes.lock().as_mut() {
            i.detach_leaf(cid);
        }
    }

    /// The account's loop-detection subject, with leaf nodes.
    pub fn leaf_loop_subject(&self) -> Option<Box<[u8]>> {
        self.routes.lock().as_ref().map(|i| i.lds().into())
    }

    /// Queues this index's announced interest (one `RS+` per subject and queue group) to a
    /// route that just registered, under the index lock (see [`Peers::register`]).
    pub fn snapshot_routes(&self, route: &crate::connection::Connection) {
        let _list = self.list.lock();
        if let Some(i) = self.routes.lock().as_ref() {
            let mut out = Vec::new();
            i.snapshot(&mut out);
            route.queue(&out);
        }
    }

    /// Applies one change to the route interest, if counted, and sends what it built. The
    /// caller holds the list lock (the order of changes is the order of the protocol).
    #[inline]
    fn tell_routes(&self, change: impl FnOnce(&mut Interest)) {
        if let Some(i) = self.routes.lock().as_mut() {
            change(i);
            i.flush();
        }
    }

    /// Puts `new` in the place of `old` under one lock, so no message finds neither (a
    /// JetStream stream whose subjects change). On an invalid subject nothing changes.
    pub fn replace(
        &self,
        old: &[SubRef],
        new: &[SubRef],
    ) -> Result<(), fastnats_sublist::InvalidSubject> {
        let mut list = self.list.lock();
        for (i, sub) in new.iter().enumerate() {
            if let Err(e) = list.insert(sub.subject(), sub.queue(), sub.clone()) {
                for s in &new[..i] {
                    list.remove(s.subject(), s.queue(), s);
                }
                self.generation.store(list.generation(), Ordering::Release);
                return Err(e);
            }
        }
        let mut removed = Vec::new();
        for sub in old {
            if list.remove(sub.subject(), sub.queue(), sub) {
                removed.push(sub);
            }
        }
        self.generation.store(list.generation(), Ordering::Release);
        self.tell_routes(|i| {
            new.iter().for_each(|s| i.added(s));
            removed.into_iter().for_each(|s| i.removed(s));
        });
        Ok(())
    }

    #[inline]
    /// The subscriptions matching a literal subject (from the sublist's cache when warm).
    pub fn matches(&self, subject: &[u8]) -> Matches {
        self.list.lock().match_subject(subject)
    }

    /// The number of subscriptions.
    pub fn count(&self) -> usize {
        self.list.lock().count()
    }

    /// The sublist's counters (`/subsz`).
    pub fn stats(&self) -> fastnats_sublist::SublistStats {
        self.list.lock().stats()
    }
}

/// A publisher's private cache of match results ("L1"), dropped whole when the index
/// generation moves. Bounded: when full, it is cleared.
///
/// Results sit in a slab the map points into, and the last subject looked up is kept with
/// its slot: a publisher mostly publishes to the same subject again, and then the lookup
/// is a compare of the subject bytes (no hash, no probe). Results are returned by
/// reference: cloning the shared result was two atomic operations per message.
pub struct L1Cache {
    /// Which index the results are from (its address): a connection's account may change
    /// once, at authentication, and the internal client publishes in several.
    index: usize,
    generation: u64,
    /// The slot in `results` of the last subject looked up.
    last: usize,
    /// hashbrown for `entry_ref`: one hash per lookup of a subject not yet cached.
    map: hashbrown::HashMap<Box<[u8]>, usize, foldhash::fast::RandomState>,
    /// Subjects and their results; slot 0 is a placeholder with an empty subject (no
    /// published subject is empty).
    results: Vec<(Box<[u8]>, Matches)>,
}

const L1_MAX: usize = 512;

impl L1Cache {
    /// An empty cache.
    pub fn new() -> Self {
        L1Cache {
            index: 0,
            generation: u64::MAX,
            last: 0,
            map: Default::default(),
            results: vec![Default::default()],
        }
    }

    #[inline]
    /// The subscriptions of `index` matching `subject`, from this cache while the index's
    /// generation has not moved.
    pub fn lookup(&mut self, index: &SubIndex, subject: &[u8]) -> &Matches {
        let generation = index.generation();
        let id = std::ptr::from_ref(index) as usize;
        if generation != self.generation
            || id != self.index
            || *self.results[self.last].0 != *subject
        {
            self.refresh(index, subject, generation, id);
        }
        &self.results[self.last].1
    }

    /// Makes `subject` the last one looked up, from the map or (a miss) the index.
    fn refresh(&mut self, index: &SubIndex, subject: &[u8], generation: u64, id: usize) {
        if generation != self.generation || id != self.index {
            self.clear();
            self.generation = generation;
            self.index = id;
        } else if self.map.len() >= L1_MAX && !self.map.contains_key(subject) {
            self.clear();
        }
        self.last = match self.map.entry_ref(subject) {
            hashbrown::hash_map::EntryRef::Occupied(hit) => *hit.get(),
            hashbrown::hash_map::EntryRef::Vacant(miss) => {
                self.results.push((subject.into(), index.matches(subject)));
                *miss.insert_with_key(subject.into(), self.results.len() - 1)
            }
        };
    }

    fn clear(&mut self) {
        self.map.clear();
        self.results.truncate(1);
        self.last = 0;
    }
}

impl Default for L1Cache {
    fn default() -> Self {
        Self::new()
    }
}
