//! Consumers: durable and ephemeral, pull and push, on one stream.
//!
//! # Shape
//!
//! A [`Consumer`] holds its [`ConsumerState`] behind one mutex. Everything that can make a
//! delivery possible calls [`Consumer::pump`] ([`pump`]): a pull request ([`handlers`]), new
//! messages (ingest calls [`Consumers::notify`] after each synced batch), an ack, a
//! flow-control reply, and the consumer's timer ([`timer`]: redelivery deadlines, request
//! expiry, idle heartbeats, paced replay, inactivity, state flushes). `pump` gathers the
//! deliveries under the lock, reading the stream's store under the stream's lock, and
//! publishes them after both are released, in one function ([`pump::send`]).
//!
//! Each consumer has its own internal subscriptions: `$JS.API.CONSUMER.MSG.NEXT.<stream>.
//! <consumer>` for a pull consumer (so a request for a consumer that does not exist gets
//! no responders, as on nats-server), `$JS.ACK.<stream>.<consumer>.>` for acks, and
//! `$JS.FC.<stream>.<consumer>.>` for flow-control replies. One ack subscription per
//! consumer rather than per stream: acks of different consumers are handled in parallel,
//! and an ack needs no lookup of its consumer.
//!
//! Lock order: a consumer's `state`, then the stream's `state`; the stream's consumer map
//! ([`Consumers`]) is innermost (nothing is locked while it is held but the map itself), so
//! ingest may read it under the stream's lock. Retention work (removing acked messages
//! from interest and work-queue streams, [`retention`]) runs with no consumer lock held.
//!
//! Persistence is in [`persist`]; creation rules and starting sequences in [`start`].

pub mod handlers;
pub mod persist;
pub mod pump;
pub mod purge;
pub mod retention;
pub mod start;
pub mod state;
pub mod subjects;
pub mod timer;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Weak};

use fastnats_server::internal::InternalSubscription;
use parking_lot::{Mutex, RwLock};
use tokio::time::Instant;

use crate::api::{
    subject_is_subset_match, ConsumerConfig, ConsumerInfo, RetentionPolicy, SequenceInfo, Timestamp,
};
use crate::stream::Stream;
use crate::Ctx;

pub use state::ConsumerState;

/// A consumer.
pub struct Consumer {
    /// Its name.
    pub name: String,
    /// Its stream's name.
    pub stream_name: String,
    /// Its stream (weak: the stream owns its consumers).
    pub stream: Weak<Stream>,
    /// Shared JetStream state.
    pub ctx: Arc<Ctx>,
    /// When it was created.
    pub created: Timestamp,
    /// `<stream dir>/obs/<name>` when its state is kept on disk.
    pub dir: Option<PathBuf>,
    /// Its delivery and ack state.
    pub state: Mutex<ConsumerState>,
    /// Its filters (copied out of the config for ingest's interest check).
    pub filters: RwLock<Vec<String>>,
    /// `$JS.ACK.<stream>.<name>.`
    pub ack_prefix: String,
    /// `$JS.FC.<stream>.<name>.`
    pub fc_prefix: String,
    /// Its subscriptions (dropping them unsubscribes).
    subs: Mutex<Vec<InternalSubscription>>,
    /// Wakes its timer (a deadline moved earlier, or it should stop).
    pub(crate) wake: Arc<tokio::sync::Notify>,
    /// Its timer task.
    task: Mutex<Option<tokio::task::JoinHandle<()>>>,
    /// Serialises state writes (the newest state is always the one written last).
    flush_lock: Mutex<()>,
}

impl Consumer {
    /// A consumer of `stream` in state `st` (not started: see [`Consumer::start`]).
    #[must_use]
    pub fn new(
        ctx: Arc<Ctx>,
        stream: &Arc<Stream>,
        name: String,
        created: Timestamp,
        st: ConsumerState,
    ) -> Consumer {
        let persisted = stream.dir.is_some()
            && !st.cfg.mem_storage
            && (st.cfg.is_durable() || !st.cfg.name.is_empty());
        let dir = stream
            .dir
            .as_ref()
            .filter(|_| persisted)
            .map(|d| d.join(persist::OBS_DIR).join(&name));
        Consumer {
            ack_prefix: subjects::ack_prefix(&stream.name, &name),
            fc_prefix: subjects::fc_prefix(&stream.name, &name),
            filters: RwLock::new(st.cfg.filters().iter().map(ToString::to_string).collect()),
            name,
            stream_name: stream.name.clone(),
            stream: Arc::downgrade(stream),
            ctx,
            created,
            dir,
            state: Mutex::new(st),
            subs: Mutex::new(Vec::new()),
            wake: Arc::new(tokio::sync::Notify::new()),
            task: Mutex::new(None),
            flush_lock: Mutex::new(()),
        }
    }

    /// Starts its subscriptions and timer.
    ///
    /// # Errors
    /// A refused subscription.
    pub fn start(self: &Arc<Self>) -> Result<(), fastnats_server::internal::SubscribeError> {
        let subs = handlers::subscribe(self)?;
        *self.subs.lock() = subs;
        let task = self
            .ctx
            .engine
            .runtime()
            .spawn(timer::run(Arc::downgrade(self), self.wake.clone()));
        *self.task.lock() = Some(task);
        Ok(())
    }

    /// Whether a message on `subject` is for this consumer.
    #[must_use]
    pub fn matches(&self, subject: &str) -> bool {
        let filters = self.filters.read();
        filters.is_empty() || filters.iter().any(|f| subject_is_subset_match(subject, f))
    }

    /// Its config.
    #[must_use]
    pub fn config(&self) -> ConsumerConfig {
        self.state.lock().cfg.clone()
    }

    /// Replaces its config (an update already checked).
    pub fn set_config(&self, cfg: ConsumerConfig) {
        *self.filters.write() = cfg.filters().iter().map(ToString::to_string).collect();
        let mut st = self.state.lock();
        st.cfg = cfg;
        st.dirty = true;
        drop(st);
        if let Err(e) = self.save_meta() {
            self.log_error("save its config", &e);
        }
        self.wake.notify_one();
    }

    /// Its info, from its counters (`num_pending` from the store's).
    #[must_use]
    pub fn info(&self) -> ConsumerInfo {
        let stream = self.stream.upgrade();
        let mut st = self.state.lock();
        if let Some(s) = &stream {
            let store = s.state.lock();
            pump::refresh_pending(&mut st, &*store.store, true);
        }
        let ts = |t: i64| (t != 0).then(|| Timestamp::from_unix_nanos(t));
        let count = |n: usize| i64::try_from(n).unwrap_or(i64::MAX);
        let push_bound = !st.cfg.is_pull()
            && self
                .ctx
                .engine
                .has_interest(st.cfg.deliver_subject.as_bytes());
        ConsumerInfo {
            stream_name: self.stream_name.clone(),
            name: self.name.clone(),
            created: self.created,
            config: Some(st.cfg.clone()),
            delivered: SequenceInfo {
                consumer_seq: st.dseq - 1,
                stream_seq: st.sseq.saturating_sub(1),
                last_active: ts(st.last_delivered),
            },
            ack_floor: SequenceInfo {
                consumer_seq: st.adflr,
                stream_seq: st.asflr,
                last_active: ts(st.last_ack),
            },
            num_ack_pending: count(st.pending.len()),
            num_redelivered: count(st.rdc.len()),
            num_waiting: count(st.waiting.len()),
            num_pending: st.npc,
            cluster: None,
            push_bound,
            ts: Timestamp::from(std::time::SystemTime::now()),
        }
    }

    /// Writes `meta.inf` (persisted consumers).
    ///
    /// # Errors
    /// The file system's.
    pub fn save_meta(&self) -> std::io::Result<()> {
        let Some(dir) = &self.dir else {
            return Ok(());
        };
        let meta = persist::MetaFile {
            created: self.created,
            name: self.name.clone(),
            config: self.state.lock().cfg.clone(),
        };
        persist::write_meta(dir, &meta)
    }

    /// Writes `o.dat` if the state changed since the last write (persisted consumers).
    pub fn flush(&self) {
        let Some(dir) = &self.dir else {
            return;
        };
        let _writing = self.flush_lock.lock();
        let saved = {
            let mut st = self.state.lock();
            if !st.dirty {
                return;
            }
            st.dirty = false;
            persist::SavedState::of(&st)
        };
        if let Err(e) = persist::write_state(dir, &saved) {
            self.state.lock().dirty = true;
            self.log_error("save its state", &e);
        }
    }

    fn log_error(&self, what: &str, e: &dyn std::fmt::Display) {
        fastnats_server::log_at!(
            fastnats_server::log::Level::Error,
            "JetStream consumer '{} > {} > {}' failed to {what}: {e}",
            self.ctx.account_name(),
            self.stream_name,
            self.name
        );
    }

    /// Stops it: no more deliveries, subscriptions and timer gone, pull requests answered
    /// `409 Consumer Deleted` when `deleted`; the state is flushed unless `deleted`.
    pub fn stop(&self, deleted: bool) {
        let waiting: Vec<String> = {
            let mut st = self.state.lock();
            st.closed = true;
            st.waiting.drain(..).map(|w| w.reply).collect()
        };
        self.subs.lock().clear();
        if let Some(t) = self.task.lock().take() {
            t.abort();
        }
        if deleted {
            crate::advisories::consumer_action(self, crate::advisories::Action::Delete);
            let out = waiting
                .into_iter()
                .map(|reply| pump::Out::status(reply, b"NATS/1.0 409 Consumer Deleted\r\n\r\n"))
                .collect::<Vec<_>>();
            pump::send(&self.ctx, &out);
        } else {
            self.state.lock().dirty = true;
            self.flush();
        }
    }

    /// Deletes it: stops it, removes its files, and for interest retention releases the
    /// messages only it held.
    pub fn delete(&self) {
        self.stop(true);
        if let Some(dir) = &self.dir {
            let _writing = self.flush_lock.lock();
            let _ = std::fs::remove_dir_all(dir);
        }
        if let Some(stream) = self.stream.upgrade() {
            if stream.config.read().retention == RetentionPolicy::Interest {
                retention::release_unneeded(&self.ctx, &stream);
            }
        }
    }

    /// Wakes the timer now.
    pub fn wake_timer(&self) {
        self.wake.notify_one();
    }

    /// Marks it active (an ack, a request).
    pub fn touch(&self, now: Instant) {
        self.state.lock().last_active = now;
    }
}

/// A stream's consumers, by name.
#[derive(Default)]
pub struct Consumers {
    map: RwLock<BTreeMap<String, Arc<Consumer>>>,
}

impl Consumers {
    /// The consumer `name`.
    #[must_use]
    pub fn get(&self, name: &str) -> Option<Arc<Consumer>> {
        self.map.read().get(name).cloned()
    }

    /// Every consumer, by name.
    #[must_use]
    pub fn all(&self) -> Vec<Arc<Consumer>> {
        self.map.read().values().cloned().collect()
    }

    /// How many.
    #[must_use]
    pub fn len(&self) -> usize {
        self.map.read().len()
    }

    /// Whether there are none.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.map.read().is_empty()
    }

    /// Adds one.
    pub fn insert(&self, c: Arc<Consumer>) {
        self.map.write().insert(c.name.clone(), c);
    }

    /// Removes one (only if it is `c`, not a newer one of the same name).
    pub fn remove(&self, c: &Arc<Consumer>) -> bool {
        let mut map = self.map.write();
        if map.get(&c.name).is_some_and(|x| Arc::ptr_eq(x, c)) {
            map.remove(&c.name);
            return true;
        }
        false
    }

    /// Whether some consumer wants messages on `subject` (interest retention stores only
    /// those).
    #[must_use]
    pub fn interested(&self, subject: &str) -> bool {
        self.map.read().values().any(|c| c.matches(subject))
    }

    /// New messages were stored: every consumer delivers what it can.
    pub fn notify(&self) {
        for c in self.all() {
            c.pump();
        }
    }

    /// Stops them all (shutdown: their state is flushed).
    pub fn stop_all(&self) {
        for c in self.all() {
            c.stop(false);
        }
    }

    /// Stops them all and forgets them (the stream is deleted with its files).
    pub fn clear(&self) {
        let all: Vec<Arc<Consumer>> = std::mem::take(&mut *self.map.write())
            .into_values()
            .collect();
        for c in all {
            c.stop(true);
        }
    }
}
