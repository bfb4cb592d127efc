//! JetStream storage for fastnats: a stream's messages, in memory or in a crash-safe log of
//! segment files, behind one [`Store`] trait.
//!
//! A pure layer: no async runtime, no engine, no other fastnats crate. The JetStream layer
//! owns one store per stream, wraps it in its own lock, calls [`Store::sync`] once per
//! group-commit window before releasing acknowledgements, and runs [`Store::expire`] at
//! [`Store::next_expiry`].
//!
//! # The shared model
//!
//! Both stores are thin shells around one log model (`log`): a sequence index (`index`), a
//! subject table with per-subject state (`subjects`) and the stream counters. Every rule about
//! sequences — what `first_seq`/`last_seq` are after a removal, a purge or a compact, how
//! limits remove messages, what `PurgeEx` removes — is written once, following nats-server's
//! memory and file stores, so the two stores behave identically (the property tests compare
//! them). A store contributes only the *location* of a message: the message itself in
//! memory ([`MemStore`]), an offset and length in a segment file ([`FileStore`]).
//!
//! Byte accounting matches nats-server, which clients compare: for the memory store a
//! message counts `subject + headers + payload + 16` bytes (`memStoreMsgSize`); for the file
//! store `30 + subject + payload`, plus `4 + headers` when it has headers (`fileStoreMsgSize`).
//!
//! Memory per message: the index keeps 16 bytes per sequence (location 8, subject id 4, link
//! to the next message of the same subject 4), plus per distinct subject its name and
//! counters. No payload, no timestamp, no subject string per message: the file store keeps
//! almost nothing per message in memory, like nats-server's.
//!
//! # On disk
//!
//! A file store is a directory of segment files `0000000001.seg`, `0000000002.seg`, … (ids
//! only grow). Each is a sequence of records (format and checksum choice in [`record`]):
//! messages, tombstones, erased messages, skips and head watermarks, appended until the next
//! record would pass `block_size` (8 MiB by default, nats-server's block size for streams).
//! There is no other file and no separate index: opening a store scans its segments
//! (sequential reads, checking every CRC) and rebuilds the index, which is also how it
//! recovers from a crash ([`recovery`]): a torn tail is cut off, a damaged record in the
//! middle is skipped and reported, and everything else is served. [`atomic_write`] is for the
//! small files the layer above keeps beside the segments (stream metadata, consumer state).
//!
//! Durability: a message is on disk once [`Store::sync`] returned (one `fdatasync` for all
//! messages appended since, per segment written); removals and purges are durable at the same
//! point. Files of segments that no longer hold messages are deleted after a sync.
//! [`Store::begin_sync`] splits a sync in two: the writes under the owner's lock, the
//! flushes ([`SyncJob`]) after it, so the next batch is stored while this one flushes.
//!
//! # Modules
//!
//! [`filter`] (subject filters), [`limits`], [`msg`] (the values handed out), [`record`],
//! [`recovery`], [`atomic`], [`error`]; private: `index`, `subjects`, `log` (the shared model),
//! `mem`, `file`, `segment`, `store` (the trait).

// Lints for this pure crate beyond the workspace's (as in fastnats-sublist).
#![warn(
    missing_docs,
    clippy::doc_markdown,
    clippy::must_use_candidate,
    clippy::missing_errors_doc,
    clippy::redundant_closure_for_method_calls,
    clippy::explicit_iter_loop,
    clippy::semicolon_if_nothing_returned,
    clippy::needless_pass_by_value,
    clippy::cast_lossless,
    clippy::uninlined_format_args
)]

pub mod atomic;
pub mod error;
pub mod filter;
pub mod limits;
pub mod msg;
pub mod record;
pub mod recovery;

mod file;
mod index;
mod log;
mod mem;
mod segment;
mod store;
mod subjects;
mod sync_job;

pub use atomic::atomic_write;
pub use error::{Result, StoreError};
pub use file::{FileStore, FileStoreConfig, SyncPolicy};
pub use limits::{Discard, LimitExceeded, StoreLimits};
pub use mem::MemStore;
pub use msg::{StoredMsg, StreamState, SubjectState};
pub use recovery::{CorruptRegion, RecoveryReport, TornTail};
pub use store::Store;
pub use sync_job::SyncJob;
