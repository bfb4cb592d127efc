//! Helpers shared by the store tests: run one check against both stores, and snapshot a
//! store's whole observable content to compare it with another (or with itself reopened).

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use fastnats_store::{
    FileStore, FileStoreConfig, MemStore, Store, StoreLimits, StoredMsg, StreamState,
};

/// Which store a check runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Mem,
    File,
}

/// Everything a client can observe of a store.
#[derive(Debug, PartialEq, Eq)]
pub struct Snapshot {
    pub state: StreamState,
    pub deleted: Vec<u64>,
    pub msgs: Vec<StoredMsg>,
}

pub fn snapshot(s: &dyn Store) -> Snapshot {
    let mut msgs = Vec::new();
    let mut seq = 0;
    while let Some(m) = s.next_matching(seq, &[]).unwrap() {
        seq = m.seq + 1;
        msgs.push(m);
    }
    Snapshot {
        state: s.state(),
        deleted: s.deleted(),
        msgs,
    }
}

/// A small block size so tests cross segment boundaries.
pub fn small_blocks() -> FileStoreConfig {
    FileStoreConfig {
        block_size: 512,
        ..FileStoreConfig::default()
    }
}

pub fn open_file(dir: &Path, limits: StoreLimits) -> FileStore {
    FileStore::open(dir, small_blocks(), limits).unwrap().0
}

/// Runs `check` on a memory store and on a file store; the file store is then synced,
/// closed and reopened, and must show exactly what it showed before.
pub fn with_both(limits: StoreLimits, check: impl Fn(&mut dyn Store, Kind)) {
    let mut mem = MemStore::new(limits);
    check(&mut mem, Kind::Mem);

    let dir = tempfile::tempdir().unwrap();
    let mut file = open_file(dir.path(), limits);
    check(&mut file, Kind::File);
    let before = snapshot(&file);
    let limits = file.limits();
    file.close().unwrap();
    let (file, report) = FileStore::open(dir.path(), small_blocks(), limits).unwrap();
    assert!(report.is_clean(), "{report:?}");
    assert_eq!(snapshot(&file), before, "file store changed across reopen");
}

/// nats-server's size of a message in store `kind`.
pub fn size(kind: Kind, subject: &str, hdr: usize, payload: usize) -> u64 {
    let s = subject.len() + payload;
    (match kind {
        Kind::Mem => s + hdr + 16,
        Kind::File if hdr > 0 => s + hdr + 34,
        Kind::File => s + 30,
    }) as u64
}

/// Appends `payload` on `subject` at timestamp `ts`, returning the sequence.
pub fn put(s: &mut dyn Store, subject: &str, payload: &str, ts: i64) -> u64 {
    s.append(subject, None, payload.as_bytes(), ts).unwrap().0
}

/// Sequences of every stored message.
pub fn seqs(s: &dyn Store) -> Vec<u64> {
    snapshot(s).msgs.iter().map(|m| m.seq).collect()
}
