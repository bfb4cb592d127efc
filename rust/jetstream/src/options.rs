//! What JetStream is started with. Defined here, not in the engine's config: the bindings map
//! `Config.jetstream` onto it, so this crate does not depend on how options are spelt.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

/// When stored messages are made durable.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Sync {
    /// Before each PubAck: one `fdatasync` per ingest batch (group commit). The default.
    #[default]
    Always,
    /// At most once per interval (nats-server's `sync_interval`); PubAcks leave at once and a
    /// timer syncs what is outstanding.
    Interval(Duration),
}

/// JetStream's server-wide options (nats-server's `jetstream {}` block).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JetStreamOptions {
    /// Where file streams live: `<store_dir>/jetstream/<account>/streams/<stream>/`.
    pub store_dir: PathBuf,
    /// Most bytes memory streams may hold in all (-1: unlimited).
    pub max_memory: i64,
    /// Most bytes file streams may hold in all (-1: unlimited).
    pub max_file: i64,
    /// The JetStream domain, shown in PubAcks and account info.
    pub domain: Option<String>,
    /// The durability policy.
    pub sync: Sync,
    /// Bytes waiting for one stream's ingest past which its publishers wait for it
    /// ([`crate::INGEST_STALL`] by default; tests lower it).
    pub ingest_stall: usize,
    /// Most bytes that may wait for one stream's ingest ([`crate::INGEST_MAX_PENDING`] by
    /// default; tests lower it).
    pub ingest_max_pending: usize,
    /// The accounts served and their limits (only `$G`, without limits, by default).
    pub accounts: BTreeMap<String, crate::api::AccountLimits>,
}

impl JetStreamOptions {
    /// Options with `store_dir` and everything else unlimited / default.
    #[must_use]
    pub fn new(store_dir: impl Into<PathBuf>) -> JetStreamOptions {
        JetStreamOptions {
            store_dir: store_dir.into(),
            max_memory: -1,
            max_file: -1,
            domain: None,
            sync: Sync::Always,
            ingest_stall: crate::INGEST_STALL,
            ingest_max_pending: crate::INGEST_MAX_PENDING,
            accounts: BTreeMap::from([(
                fastnats_server::account::GLOBAL_ACCOUNT.to_string(),
                crate::api::AccountLimits::default(),
            )]),
        }
    }
}
