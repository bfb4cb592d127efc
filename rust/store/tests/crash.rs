//! Crash simulations for the file store: what a crash, a torn write or a damaged disk leaves
//! behind, done to the files directly, then reopened.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use common::{open_file, put, seqs, small_blocks, snapshot};
use fastnats_store::{FileStore, FileStoreConfig, Store, StoreLimits};

/// Record length of a message (36-byte header, see `record`).
fn rec_len(subject: &str, payload: &str) -> u64 {
    (36 + subject.len() + payload.len()) as u64
}

fn segments(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "seg"))
        .collect();
    v.sort();
    v
}

fn copy_dir(from: &Path, to: &Path) {
    for p in segments(from) {
        fs::copy(&p, to.join(p.file_name().unwrap())).unwrap();
    }
}

fn open(dir: &Path) -> (FileStore, fastnats_store::RecoveryReport) {
    FileStore::open(dir, small_blocks(), StoreLimits::default()).unwrap()
}

/// A store of `n` messages in one segment, synced and left as a kill -9 leaves it (no close).
fn written(dir: &Path, n: u64) -> Vec<u64> {
    let cfg = FileStoreConfig {
        block_size: 1 << 20,
        ..FileStoreConfig::default()
    };
    let (mut s, _) = FileStore::open(dir, cfg, StoreLimits::default()).unwrap();
    let mut ends = Vec::new();
    let mut off = 0;
    for i in 0..n {
        let payload = format!("payload-{i}");
        put(&mut s, "crash.test", &payload, i as i64 + 1);
        off += rec_len("crash.test", &payload);
        ends.push(off);
    }
    s.sync().unwrap();
    std::mem::forget(s);
    ends
}

#[test]
fn truncation_at_every_offset_keeps_every_complete_record() {
    let src = tempfile::tempdir().unwrap();
    let ends = written(src.path(), 4);
    let seg = segments(src.path()).pop().unwrap();
    let full = fs::metadata(&seg).unwrap().len();
    // From the start of the third message to the end of the file (its last records and the
    // head watermark written at the sync).
    for cut in ends[1]..=full {
        let dir = tempfile::tempdir().unwrap();
        copy_dir(src.path(), dir.path());
        let f = fs::OpenOptions::new()
            .write(true)
            .open(dir.path().join(seg.file_name().unwrap()))
            .unwrap();
        f.set_len(cut).unwrap();
        drop(f);
        let (mut s, report) = open(dir.path());
        let kept = ends.iter().filter(|&&e| e <= cut).count() as u64;
        assert_eq!(s.state().msgs, kept, "cut at {cut}");
        assert_eq!(seqs(&s), (1..=kept).collect::<Vec<_>>());
        let at_boundary = ends.contains(&cut) || cut == full;
        assert_eq!(
            report.torn.is_some(),
            !at_boundary,
            "cut at {cut}: {report:?}"
        );
        assert!(report.corrupt.is_empty());
        // The stream goes on at the next sequence, and the repaired file reopens clean.
        assert_eq!(put(&mut s, "crash.test", "next", 99), kept + 1);
        s.close().unwrap();
        let (s, report) = open(dir.path());
        assert!(report.is_clean(), "{report:?}");
        assert_eq!(s.state().msgs, kept + 1);
    }
}

#[test]
fn a_flipped_bit_in_a_body_loses_only_that_message() {
    let dir = tempfile::tempdir().unwrap();
    let ends = written(dir.path(), 5);
    let seg = segments(dir.path()).pop().unwrap();
    let mut bytes = fs::read(&seg).unwrap();
    // Inside the payload of message 3.
    let at = (ends[2] - 2) as usize;
    bytes[at] ^= 0x10;
    fs::write(&seg, &bytes).unwrap();
    let (mut s, report) = open(dir.path());
    assert_eq!(report.lost, vec![3]);
    assert_eq!(report.corrupt.len(), 1);
    assert_eq!(report.corrupt[0].seq, Some(3));
    assert_eq!(report.corrupt[0].offset, ends[1]);
    assert!(report.torn.is_none());
    assert!(!report.warnings().is_empty());
    assert_eq!(seqs(&s), vec![1, 2, 4, 5]);
    assert_eq!(s.get(3).unwrap(), None);
    let st = s.state();
    assert_eq!(
        (st.first_seq, st.last_seq, st.msgs, st.num_deleted),
        (1, 5, 4, 1)
    );
    assert_eq!(&s.get(4).unwrap().unwrap().payload[..], b"payload-3");
    assert_eq!(put(&mut s, "crash.test", "next", 99), 6);
}

#[test]
fn a_flipped_bit_in_a_header_is_resynchronised() {
    let dir = tempfile::tempdir().unwrap();
    let ends = written(dir.path(), 5);
    let seg = segments(dir.path()).pop().unwrap();
    let mut bytes = fs::read(&seg).unwrap();
    // The length field of message 2's header.
    bytes[ends[0] as usize + 13] ^= 0x01;
    fs::write(&seg, &bytes).unwrap();
    let (mut s, report) = open(dir.path());
    assert_eq!(report.corrupt.len(), 1);
    assert_eq!(report.corrupt[0].seq, None);
    assert_eq!(
        (report.corrupt[0].offset, report.corrupt[0].len),
        (ends[0], ends[1] - ends[0])
    );
    assert_eq!(seqs(&s), vec![1, 3, 4, 5]);
    assert_eq!(put(&mut s, "crash.test", "next", 99), 6);
}

#[test]
fn garbage_after_the_last_record_is_dropped() {
    let dir = tempfile::tempdir().unwrap();
    written(dir.path(), 3);
    let seg = segments(dir.path()).pop().unwrap();
    let len = fs::metadata(&seg).unwrap().len();
    let mut f = fs::OpenOptions::new().append(true).open(&seg).unwrap();
    let garbage: Vec<u8> = (0..1000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    f.write_all(&garbage).unwrap();
    drop(f);
    let (mut s, report) = open(dir.path());
    let torn = report.torn.unwrap();
    assert_eq!((torn.offset, torn.bytes), (len, 1000));
    assert_eq!(fs::metadata(&seg).unwrap().len(), len);
    assert_eq!(put(&mut s, "crash.test", "next", 99), 4);
    assert_eq!(seqs(&s), vec![1, 2, 3, 4]);
}

#[test]
fn zeroed_tail_after_a_power_cut_is_dropped() {
    let dir = tempfile::tempdir().unwrap();
    written(dir.path(), 3);
    let seg = segments(dir.path()).pop().unwrap();
    let len = fs::metadata(&seg).unwrap().len();
    fs::OpenOptions::new()
        .write(true)
        .open(&seg)
        .unwrap()
        .set_len(len + 4096)
        .unwrap();
    let (s, report) = open(dir.path());
    assert_eq!(report.torn.map(|t| t.bytes), Some(4096));
    assert_eq!(s.state().msgs, 3);
}

#[test]
fn removals_and_purges_survive_a_kill() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = open_file(dir.path(), StoreLimits::default());
    for i in 0..60 {
        put(&mut s, &format!("k.{}", i % 4), "0123456789", i);
    }
    s.remove(30, false).unwrap();
    s.remove(31, true).unwrap();
    s.purge(Some("k.1"), None, Some(2)).unwrap();
    s.compact(10).unwrap();
    s.skip_msgs(3, 99).unwrap();
    let before = snapshot(&s);
    s.sync().unwrap();
    std::mem::forget(s);
    let (s, report) = open(dir.path());
    assert!(report.is_clean(), "{report:?}");
    assert_eq!(snapshot(&s), before);
}

#[test]
fn flushed_but_unsynced_writes_survive_a_process_kill() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = open_file(dir.path(), StoreLimits::default());
    put(&mut s, "a", "v", 1);
    s.flush().unwrap();
    std::mem::forget(s);
    let (s, _) = open(dir.path());
    assert_eq!(seqs(&s), vec![1]);
}

#[test]
fn empty_segments_are_deleted_after_a_sync() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = open_file(dir.path(), StoreLimits::default());
    for i in 0..100 {
        put(&mut s, "a", "0123456789abcdef", i);
    }
    s.sync().unwrap();
    let many = segments(dir.path()).len();
    assert!(many > 5, "{many}");
    s.compact(95).unwrap();
    assert_eq!(
        segments(dir.path()).len(),
        many,
        "deleted only after a sync"
    );
    s.sync().unwrap();
    assert!(
        segments(dir.path()).len() <= 2,
        "{:?}",
        segments(dir.path())
    );
    s.purge(None, None, None).unwrap();
    put(&mut s, "a", "x", 200);
    s.close().unwrap();
    let (s, report) = open(dir.path());
    assert!(report.is_clean());
    assert_eq!(seqs(&s), vec![101]);
    assert_eq!(s.state().first_seq, 101);
}

#[test]
fn tombstones_outlive_the_segment_that_held_them() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = open_file(dir.path(), StoreLimits::default());
    // Segment 1 holds messages 1..; message 2 is removed while a later segment is the newest.
    for i in 0..40 {
        put(&mut s, "a", "0123456789abcdef", i);
    }
    s.remove(2, false).unwrap();
    let last = s.state().last_seq;
    // Everything after segment 1's messages goes, so the segment holding the tombstone is
    // deleted; the tombstone must be written again.
    for i in 0..40 {
        put(&mut s, "b", "0123456789abcdef", i);
    }
    // 53-byte records in 512-byte blocks: segment 1 holds messages 1..=9.
    for q in 10..=last + 40 {
        s.remove(q, false).unwrap();
    }
    assert_eq!(seqs(&s), vec![1, 3, 4, 5, 6, 7, 8, 9]);
    assert!(segments(dir.path()).len() > 3);
    let before = snapshot(&s);
    s.sync().unwrap();
    std::mem::forget(s);
    let (s, report) = open(dir.path());
    assert!(report.is_clean(), "{report:?}");
    assert_eq!(snapshot(&s), before);
    assert_eq!(s.get(2).unwrap(), None);
}

#[test]
fn limits_removals_survive_raised_limits() {
    // Head removals by max_msgs are kept by the watermark, not recomputed from the limits.
    let dir = tempfile::tempdir().unwrap();
    let limits = StoreLimits {
        max_msgs: Some(3),
        ..StoreLimits::default()
    };
    let mut s = open_file(dir.path(), limits);
    for i in 0..10 {
        put(&mut s, "a", "v", i);
    }
    s.sync().unwrap();
    std::mem::forget(s);
    let (s, _) = open(dir.path());
    assert_eq!(seqs(&s), vec![8, 9, 10]);
}
