//! One stream: its config, its store behind a lock, its duplicate window, and the internal
//! subscriptions that feed it (ingest on its subjects, direct get when `allow_direct`).
//!
//! Lock order: `config` before `state`; neither is held while publishing (acks and replies
//! are sent after the lock is released).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use fastnats_server::internal::InternalSubscription;
use fastnats_store::{
    atomic_write, Discard, FileStore, FileStoreConfig, MemStore, Store, StoreLimits, SyncPolicy,
};
use parking_lot::{Mutex, RwLock};
use serde::{Deserialize, Serialize};

use crate::api::transform::SubjectTransform;
use crate::api::{
    DiscardPolicy, StorageType, StreamConfig, StreamInfo, StreamState as ApiState, Timestamp,
};
use crate::dedup::Dedup;
use crate::options::Sync;
use crate::republish::Republisher;

/// The stream's config file in its directory (nats-server's name).
pub const META_FILE: &str = "meta.inf";
/// The messages' directory in the stream's directory (nats-server's name).
pub const MSGS_DIR: &str = "msgs";

/// What `meta.inf` holds: the config and when the stream was made (nats-server's
/// `FileStreamInfo`: `created` plus the config's fields, flattened).
#[derive(Debug, Serialize, Deserialize)]
pub struct MetaFile {
    /// When the stream was created.
    pub created: Timestamp,
    /// Its config.
    #[serde(flatten)]
    pub config: StreamConfig,
}

/// A stream's internal subscriptions.
#[derive(Default)]
pub struct Subs {
    /// Ingest, on all its subjects.
    pub ingest: Option<InternalSubscription>,
    /// DIRECT.GET, with `allow_direct`.
    pub direct: Vec<InternalSubscription>,
}

/// What the ingest handler changes under one lock.
pub struct StreamState {
    /// The messages.
    pub store: Box<dyn Store>,
    /// The duplicate window.
    pub dedup: Dedup,
    /// The last stored `Nats-Msg-Id` (`Nats-Expected-Last-Msg-Id`).
    pub last_msg_id: String,
    /// The PubAck prefix, `{"stream":"S", "seq":` (with the domain when set).
    pub ack_prefix: Vec<u8>,
    /// The config's subject transform and republish rule, compiled.
    pub rules: Rules,
}

/// What ingest applies besides the checks, compiled from the config (again on each update,
/// [`Stream::set_config`]).
#[derive(Default)]
pub struct Rules {
    /// `subject_transform`: stored subjects are transformed first (nats-server's input
    /// transform; a subject its source does not match is kept).
    pub input: Option<SubjectTransform>,
    /// `republish`.
    pub republish: Option<Republisher>,
}

impl Rules {
    /// The rules of `cfg` (checked already: a rule that does not compile is none).
    #[must_use]
    pub fn of(cfg: &StreamConfig) -> Rules {
        Rules {
            input: cfg
                .subject_transform
                .as_ref()
                .and_then(|t| SubjectTransform::new(&t.src, &t.dest).ok().flatten()),
            republish: Republisher::new(cfg.republish.as_ref()),
        }
    }
}

/// A stream.
pub struct Stream {
    /// Its name.
    pub name: String,
    /// When it was created.
    pub created: Timestamp,
    /// Its config (replaced by updates).
    pub config: RwLock<StreamConfig>,
    /// Its store and ingest state.
    pub state: Arc<Mutex<StreamState>>,
    /// Its directory (file streams).
    pub dir: Option<PathBuf>,
    /// Its internal subscriptions (dropping them unsubscribes).
    pub subs: Mutex<Subs>,
    /// `Store::sync` calls made by ingest (the group-commit test counts them).
    pub syncs: AtomicU64,
    /// Its consumers.
    pub consumers: crate::consumer::Consumers,
    /// The last sequence whose sync has completed: consumers deliver nothing past it (see
    /// [`crate::commit`]).
    pub durable: AtomicU64,
}

/// nats-server's PubAck prefix: `{"stream":"S", "seq":` or `{"stream":"S", "domain":"D", "seq":`.
#[must_use]
pub fn ack_prefix(name: &str, domain: Option<&str>) -> Vec<u8> {
    let q = |s: &str| serde_json::to_string(s).unwrap_or_default();
    match domain {
        Some(d) if !d.is_empty() => {
            format!("{{\"stream\":{}, \"domain\":{}, \"seq\":", q(name), q(d)).into_bytes()
        }
        _ => format!("{{\"stream\":{}, \"seq\":", q(name)).into_bytes(),
    }
}

/// The store limits of a (normalised) config: negative limits are none.
#[must_use]
pub fn store_limits(cfg: &StreamConfig) -> StoreLimits {
    let pos = |v: i64| u64::try_from(v).ok().filter(|v| *v > 0);
    StoreLimits {
        max_msgs: pos(cfg.max_msgs),
        max_bytes: pos(cfg.max_bytes),
        max_age: (cfg.max_age.0 > 0).then_some(cfg.max_age.0),
        max_msgs_per_subject: pos(cfg.max_msgs_per_subject),
        discard: match cfg.discard {
            DiscardPolicy::New => Discard::New,
            DiscardPolicy::Old => Discard::Old,
        },
        discard_new_per_subject: cfg.discard_new_per_subject,
    }
}

/// Why a stream could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// Its store failed.
    #[error("{0}")]
    Store(#[from] fastnats_store::StoreError),
    /// Its directory or meta file.
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

impl Stream {
    /// Creates or reopens the stream `cfg` (normalised already). File streams live in
    /// `streams_dir/<name>`; on create the config is written there first.
    ///
    /// # Errors
    /// The store's or the file system's.
    pub fn open(
        cfg: StreamConfig,
        created: Timestamp,
        streams_dir: &Path,
        sync: Sync,
        domain: Option<&str>,
        write_meta: bool,
    ) -> Result<Stream, OpenError> {
        let limits = store_limits(&cfg);
        let (store, dir): (Box<dyn Store>, _) = match cfg.storage {
            StorageType::Memory => (Box::new(MemStore::new(limits)), None),
            StorageType::File => {
                let dir = streams_dir.join(&cfg.name);
                std::fs::create_dir_all(&dir)?;
                if write_meta {
                    write_meta_file(&dir, &cfg, &created)?;
                }
                let fcfg = FileStoreConfig {
                    sync: match sync {
                        Sync::Always => SyncPolicy::Always,
                        Sync::Interval(d) => SyncPolicy::Interval(d),
                    },
                    ..FileStoreConfig::default()
                };
                let (store, report) = FileStore::open(&dir.join(MSGS_DIR), fcfg, limits)?;
                for w in report.warnings() {
                    fastnats_server::log_at!(
                        fastnats_server::log::Level::Warn,
                        "Filestore [{}] {w}",
                        cfg.name
                    );
                }
                (Box::new(store), Some(dir))
            }
        };
        let mut store = store;
        if cfg.first_seq > 1 && store.state().last_seq == 0 {
            store.compact(cfg.first_seq)?;
        }
        let (dedup, last_msg_id) =
            Dedup::rebuild(store.as_ref(), cfg.duplicate_window.0, now_nanos());
        let durable = AtomicU64::new(store.state().last_seq);
        Ok(Stream {
            name: cfg.name.clone(),
            created,
            state: Arc::new(Mutex::new(StreamState {
                store,
                dedup,
                last_msg_id,
                ack_prefix: ack_prefix(&cfg.name, domain),
                rules: Rules::of(&cfg),
            })),
            config: RwLock::new(cfg),
            dir,
            subs: Mutex::new(Subs::default()),
            syncs: AtomicU64::new(0),
            consumers: crate::consumer::Consumers::default(),
            durable,
        })
    }

    /// Replaces the config (an update) and recompiles what ingest applies from it.
    pub fn set_config(&self, cfg: StreamConfig) {
        let rules = Rules::of(&cfg);
        *self.config.write() = cfg;
        self.state.lock().rules = rules;
    }

    /// Rewrites `meta.inf` (after an update).
    ///
    /// # Errors
    /// The file system's.
    pub fn save_config(&self) -> std::io::Result<()> {
        match &self.dir {
            Some(dir) => write_meta_file(dir, &self.config.read(), &self.created),
            None => Ok(()),
        }
    }

    /// The stream's info from its counters (no scan), with the subjects matching
    /// `subjects_filter` and the deleted sequences if asked.
    #[must_use]
    pub fn info(&self, domain: Option<&str>) -> StreamInfo {
        let config = self.config.read().clone();
        let st = self.state.lock().store.state();
        let mut state = api_state(&st);
        state.consumer_count = i64::try_from(self.consumers.len()).unwrap_or(i64::MAX);
        StreamInfo {
            config,
            created: self.created,
            state,
            domain: domain.unwrap_or_default().to_string(),
            cluster: None,
            ts: Timestamp::from(std::time::SystemTime::now()),
        }
    }

    /// Counts a sync made by ingest.
    pub fn count_sync(&self) {
        self.syncs.fetch_add(1, Ordering::Relaxed);
    }

    /// Stops its subscriptions.
    pub fn stop(&self) {
        *self.subs.lock() = Subs::default();
    }
}

/// The API's state from the store's counters.
#[must_use]
pub fn api_state(st: &fastnats_store::StreamState) -> ApiState {
    let ts = |t: i64| {
        if t == 0 {
            Timestamp::default()
        } else {
            Timestamp::from_unix_nanos(t)
        }
    };
    ApiState {
        messages: st.msgs,
        bytes: st.bytes,
        first_seq: st.first_seq,
        first_ts: ts(st.first_ts),
        last_seq: st.last_seq,
        last_ts: ts(st.last_ts),
        num_subjects: i64::try_from(st.num_subjects).unwrap_or(i64::MAX),
        num_deleted: i64::try_from(st.num_deleted).unwrap_or(i64::MAX),
        ..ApiState::default()
    }
}

fn write_meta_file(dir: &Path, cfg: &StreamConfig, created: &Timestamp) -> std::io::Result<()> {
    let meta = MetaFile {
        created: *created,
        config: cfg.clone(),
    };
    let bytes = serde_json::to_vec(&meta).map_err(std::io::Error::other)?;
    atomic_write(&dir.join(META_FILE), &bytes)
}

/// Reads a stream's `meta.inf`.
///
/// # Errors
/// The file system's, or bad JSON.
pub fn read_meta_file(dir: &Path) -> std::io::Result<MetaFile> {
    let bytes = std::fs::read(dir.join(META_FILE))?;
    serde_json::from_slice(&bytes).map_err(std::io::Error::other)
}

/// Now, in Unix nanoseconds.
#[must_use]
pub fn now_nanos() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
}
