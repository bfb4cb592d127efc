//! A real `kill -9`: a child process appends and group-commits, printing each sequence it
//! acknowledges (after `sync`); the parent kills it mid-stream and reopens the store. Every
//! acknowledged message must be there, and the stream must go on at the next sequence.
//!
//! The child is this same test binary, run with `STORE_KILL_CHILD_DIR` set.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};

use fastnats_store::{FileStore, FileStoreConfig, Store, StoreLimits};

const CHILD_DIR: &str = "STORE_KILL_CHILD_DIR";

fn config() -> FileStoreConfig {
    FileStoreConfig {
        block_size: 64 * 1024,
        ..FileStoreConfig::default()
    }
}

/// The child: append in windows of 10, sync, acknowledge. Bounded, in case nobody kills it.
fn child(dir: &Path) {
    let (mut s, _) = FileStore::open(dir, config(), StoreLimits::default()).unwrap();
    for window in 0..20_000u64 {
        let mut last = 0;
        for i in 0..10 {
            let n = window * 10 + i;
            last = s
                .append(
                    &format!("k.{}", n % 13),
                    None,
                    format!("msg-{n}").as_bytes(),
                    n as i64,
                )
                .unwrap()
                .0;
        }
        s.sync().unwrap();
        println!("acked {last}");
    }
}

#[test]
fn acknowledged_messages_survive_kill_9() {
    if let Some(dir) = std::env::var_os(CHILD_DIR) {
        child(Path::new(&dir));
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut proc = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "acknowledged_messages_survive_kill_9",
            "--nocapture",
            "--test-threads",
            "1",
        ])
        .env(CHILD_DIR, dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = proc.stdout.take().unwrap();
    let mut acked = 0u64;
    // Kept open until the kill, so the child is killed while writing, not by a closed pipe.
    let mut lines = BufReader::new(stdout).lines();
    for line in lines.by_ref() {
        let line = line.unwrap();
        if let Some(n) = line.strip_prefix("acked ") {
            acked = n.parse().unwrap();
            if acked >= 3000 {
                break;
            }
        }
    }
    proc.kill().unwrap();
    proc.wait().unwrap();
    drop(lines);
    assert!(acked >= 3000, "the child stopped early at {acked}");

    let (mut s, report) = FileStore::open(dir.path(), config(), StoreLimits::default()).unwrap();
    assert!(report.corrupt.is_empty(), "{report:?}");
    let st = s.state();
    assert!(
        st.msgs >= acked && st.last_seq == st.msgs,
        "{st:?} acked {acked}"
    );
    for seq in [1, acked / 2, acked] {
        let m = s.get(seq).unwrap().unwrap();
        assert_eq!(&m.payload[..], format!("msg-{}", seq - 1).as_bytes());
    }
    let next = st.last_seq + 1;
    assert_eq!(s.append("k.0", None, b"after", 0).unwrap().0, next);
}
