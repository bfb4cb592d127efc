//! One suite of checks run against both stores through the `Store` trait (the file store is
//! also reopened after each check and must look the same). Expected values follow
//! nats-server's stores; the comments name the nats-server 2.15 results they were checked
//! against (a stream of each storage type driven through nats-py).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{put, seqs, size, with_both, Kind};
use fastnats_store::{Discard, LimitExceeded, Store, StoreLimits, SubjectState};

fn walk(s: &dyn Store, filters: &[&str]) -> Vec<u64> {
    let mut out = Vec::new();
    let mut seq = 0;
    while let Some(m) = s.next_matching(seq, filters).unwrap() {
        out.push(m.seq);
        seq = m.seq + 1;
    }
    out
}

fn none() -> StoreLimits {
    StoreLimits::default()
}

#[test]
fn sequences_and_byte_accounting() {
    with_both(none(), |s, kind| {
        let st = s.state();
        assert_eq!((st.first_seq, st.last_seq, st.msgs, st.bytes), (0, 0, 0, 0));
        assert_eq!(s.append("S.a", None, b"hello", 10).unwrap(), (1, 10));
        let hdr = b"NATS/1.0\r\nX: 1\r\n\r\n";
        assert_eq!(s.append("S.a", Some(hdr), b"hello", 20).unwrap(), (2, 20));
        assert_eq!(s.append("S.b", Some(b""), b"x", 30).unwrap(), (3, 30));
        let st = s.state();
        assert_eq!(
            (st.first_seq, st.first_ts, st.last_seq, st.last_ts, st.msgs),
            (1, 10, 3, 30, 3)
        );
        let expect =
            size(kind, "S.a", 0, 5) + size(kind, "S.a", hdr.len(), 5) + size(kind, "S.b", 0, 1);
        assert_eq!(st.bytes, expect);
        // nats-server 2.15: file "Sfile.a"... 144 bytes, memory "Smemory.a"... 104 bytes.
        let m = s.get(2).unwrap().unwrap();
        assert_eq!((m.seq, m.ts, &*m.subject), (2, 20, "S.a"));
        assert_eq!(m.headers.as_deref(), Some(&hdr[..]));
        assert_eq!(&m.payload[..], b"hello");
        assert_eq!(s.get(3).unwrap().unwrap().headers, None);
        assert_eq!(s.get(4).unwrap(), None);
        assert_eq!(s.get(0).unwrap(), None);
        assert_eq!(st.num_subjects, 2);
    });
}

#[test]
fn removals_keep_last_seq_and_move_first() {
    with_both(none(), |s, kind| {
        for i in 1..=3 {
            put(s, "S.a", "hello", i);
        }
        assert!(s.remove(2, false).unwrap());
        assert!(!s.remove(2, false).unwrap());
        let st = s.state();
        assert_eq!(
            (st.first_seq, st.last_seq, st.msgs, st.num_deleted),
            (1, 3, 2, 1)
        );
        assert_eq!(st.bytes, 2 * size(kind, "S.a", 0, 5));
        assert_eq!(s.deleted(), vec![2]);
        assert!(s.remove(1, false).unwrap());
        assert_eq!(
            (
                s.state().first_seq,
                s.state().first_ts,
                s.state().num_deleted
            ),
            (3, 3, 0)
        );
        assert!(s.remove(3, true).unwrap());
        // nats-server: after removing every message, first = last + 1 and last_ts stays.
        let st = s.state();
        assert_eq!(
            (
                st.first_seq,
                st.last_seq,
                st.msgs,
                st.bytes,
                st.first_ts,
                st.last_ts
            ),
            (4, 3, 0, 0, 0, 3)
        );
        assert_eq!(s.deleted(), Vec::<u64>::new());
        assert_eq!(put(s, "S.a", "x", 9), 4);
        assert_eq!((s.state().first_seq, s.state().first_ts), (4, 9));
    });
}

#[test]
fn erase_removes_content() {
    with_both(none(), |s, _| {
        put(s, "a", "secret", 1);
        put(s, "a", "other", 2);
        put(s, "a", "third", 3);
        assert!(s.remove(2, true).unwrap());
        assert_eq!(s.get(2).unwrap(), None);
        assert_eq!(seqs(s), vec![1, 3]);
        assert_eq!(
            s.subject_state("a"),
            Some(SubjectState {
                msgs: 2,
                first: 1,
                last: 3
            })
        );
    });
}

#[test]
fn per_subject_state_follows_removals() {
    with_both(none(), |s, _| {
        for (i, subj) in ["k.a", "k.b", "k.a", "k.c", "k.a", "k.b"]
            .iter()
            .enumerate()
        {
            put(s, subj, "v", i as i64);
        }
        assert_eq!(
            s.subject_state("k.a"),
            Some(SubjectState {
                msgs: 3,
                first: 1,
                last: 5
            })
        );
        s.remove(1, false).unwrap();
        s.remove(5, false).unwrap();
        assert_eq!(
            s.subject_state("k.a"),
            Some(SubjectState {
                msgs: 1,
                first: 3,
                last: 3
            })
        );
        s.remove(3, false).unwrap();
        assert_eq!(s.subject_state("k.a"), None);
        let mut all = s.subjects_state("k.*");
        all.sort_by(|a, b| a.0.cmp(&b.0));
        let names: Vec<_> = all.iter().map(|(n, st)| (n.to_string(), st.msgs)).collect();
        assert_eq!(names, vec![("k.b".into(), 2), ("k.c".into(), 1)]);
        assert_eq!(
            s.filtered_state(&["k.>"]),
            SubjectState {
                msgs: 3,
                first: 2,
                last: 6
            }
        );
        assert_eq!(
            s.filtered_state(&["k.b"]),
            SubjectState {
                msgs: 2,
                first: 2,
                last: 6
            }
        );
        assert_eq!(s.state().num_subjects, 2);
        assert_eq!(s.last_for_subject("k.b").unwrap().unwrap().seq, 6);
        assert_eq!(s.last_for_subject("k.*").unwrap().unwrap().seq, 6);
        assert_eq!(s.last_for_subject("k.c").unwrap().unwrap().seq, 4);
        assert_eq!(s.last_for_subject("k.z").unwrap(), None);
    });
}

#[test]
fn next_matching_with_wildcards_and_several_filters() {
    with_both(none(), |s, _| {
        let subjects = ["o.1.new", "o.2.new", "o.1.done", "x", "o.3.new", "o.1.new"];
        for (i, subj) in subjects.iter().enumerate() {
            put(s, subj, "v", i as i64);
        }
        assert_eq!(walk(s, &[]), vec![1, 2, 3, 4, 5, 6]);
        assert_eq!(walk(s, &[">"]), vec![1, 2, 3, 4, 5, 6]);
        assert_eq!(walk(s, &["o.*.new"]), vec![1, 2, 5, 6]);
        assert_eq!(walk(s, &["o.1.>"]), vec![1, 3, 6]);
        assert_eq!(walk(s, &["o.1.new"]), vec![1, 6]);
        assert_eq!(walk(s, &["x", "o.3.*"]), vec![4, 5]);
        assert_eq!(walk(s, &["nope"]), Vec::<u64>::new());
        assert_eq!(s.next_matching_seq(2, &["o.1.new"]), Some(6));
        s.remove(6, false).unwrap();
        assert_eq!(walk(s, &["o.1.new"]), vec![1]);
        assert_eq!(s.next_matching_seq(7, &[]), None);
        assert_eq!(s.num_pending(0, &[], false), 5);
        assert_eq!(s.num_pending(3, &["o.*.new"], false), 1);
        assert_eq!(s.num_pending(2, &["o.1.>"], false), 1);
        assert_eq!(s.num_pending(0, &["o.>"], true), 4);
        assert_eq!(s.num_pending(4, &[], false), 2);
    });
}

#[test]
fn next_matching_over_many_subjects() {
    // More subjects than the up-front matching threshold: the memo scan is used.
    with_both(none(), |s, _| {
        for i in 0..200 {
            put(s, &format!("kv.{i}"), "v", i);
        }
        put(s, "other.1", "v", 300);
        put(s, "kv.7", "v", 301);
        assert_eq!(s.next_matching_seq(0, &["other.*"]), Some(201));
        assert_eq!(s.next_matching_seq(9, &["kv.7", "kv.8"]), Some(9));
        assert_eq!(s.next_matching_seq(10, &["kv.7", "kv.8"]), Some(202));
        assert_eq!(s.next_matching_seq(203, &["kv.>"]), None);
        assert_eq!(s.num_pending(100, &["kv.*"], false), 102);
        assert_eq!(s.num_pending(0, &["kv.*"], true), 200);
    });
}

#[test]
fn purge_variants_match_nats_server() {
    with_both(none(), |s, _| {
        // The nats-server run: 3 messages, all deleted, then c/d alternating at 4..=13.
        for i in 1..=3 {
            put(s, "S.x", "v", i);
        }
        for i in 1..=3 {
            s.remove(i, false).unwrap();
        }
        for i in 0..5 {
            put(s, "S.c", "1", 10 + i);
            put(s, "S.d", "2", 10 + i);
        }
        assert_eq!(s.purge(Some("S.c"), None, Some(2)).unwrap(), 3);
        let st = s.state();
        assert_eq!(
            (st.first_seq, st.last_seq, st.msgs, st.num_deleted),
            (5, 13, 7, 2)
        );
        assert_eq!(s.purge(None, Some(9), None).unwrap(), 2);
        let st = s.state();
        assert_eq!((st.first_seq, st.msgs), (9, 5));
        assert_eq!(s.purge(None, None, Some(1)).unwrap(), 4);
        let st = s.state();
        assert_eq!((st.first_seq, st.last_seq, st.msgs), (13, 13, 1));
        assert_eq!(s.purge(None, None, None).unwrap(), 1);
        let st = s.state();
        assert_eq!(
            (st.first_seq, st.last_seq, st.msgs, st.first_ts, st.last_ts),
            (14, 13, 0, 0, 14)
        );
    });
}

#[test]
fn purge_by_filter_and_sequence() {
    with_both(none(), |s, _| {
        for i in 0..10 {
            put(s, if i % 2 == 0 { "e.a" } else { "o.b" }, "v", i);
        }
        assert_eq!(s.purge(Some("e.*"), Some(6), None).unwrap(), 3); // 1, 3, 5
        assert_eq!(seqs(s), vec![2, 4, 6, 7, 8, 9, 10]);
        assert_eq!(s.purge(Some("o.b"), Some(1), None).unwrap(), 0);
        assert_eq!(s.purge(Some(">"), None, Some(3)).unwrap(), 4);
        assert_eq!(seqs(s), vec![8, 9, 10]);
        assert_eq!(s.purge(Some("zzz"), None, None).unwrap(), 0);
        assert_eq!(s.purge(Some("o.b"), None, Some(5)).unwrap(), 0);
        assert_eq!(s.purge(Some("e.a"), None, None).unwrap(), 1);
        assert_eq!(seqs(s), vec![8, 10]);
        assert_eq!(s.state().num_deleted, 1);
    });
}

#[test]
fn compact_cases() {
    with_both(none(), |s, _| {
        for i in 1..=10 {
            put(s, if i % 3 == 0 { "t" } else { "u" }, "v", i);
        }
        s.remove(5, false).unwrap();
        assert_eq!(s.compact(1).unwrap(), 0);
        assert_eq!(s.compact(5).unwrap(), 4);
        assert_eq!((s.state().first_seq, s.state().first_ts), (6, 6));
        assert_eq!(
            s.subject_state("t"),
            Some(SubjectState {
                msgs: 2,
                first: 6,
                last: 9
            })
        );
        assert_eq!(
            s.subject_state("u"),
            Some(SubjectState {
                msgs: 3,
                first: 7,
                last: 10
            })
        );
        assert_eq!(s.compact(3).unwrap(), 0);
        assert_eq!(s.compact(20).unwrap(), 5);
        let st = s.state();
        assert_eq!(
            (st.first_seq, st.last_seq, st.msgs, st.num_subjects),
            (20, 19, 0, 0)
        );
        assert_eq!(put(s, "t", "v", 11), 20);
        assert_eq!(s.compact(0).unwrap(), 1);
        assert_eq!((s.state().first_seq, s.state().last_seq), (21, 20));
    });
}

#[test]
fn first_seq_of_a_new_stream() {
    with_both(none(), |s, _| {
        // How the layer above applies `first_seq: 100` (nats-server: state 100/99).
        assert_eq!(s.compact(100).unwrap(), 0);
        let st = s.state();
        assert_eq!((st.first_seq, st.last_seq, st.msgs), (100, 99, 0));
        assert_eq!(put(s, "a", "v", 1), 100);
        assert_eq!((s.state().first_seq, s.state().last_seq), (100, 100));
        // A far jump in the same segment (the file store reopens it at the end of the check:
        // the index must not pad the gap).
        assert_eq!(s.compact(1 << 40).unwrap(), 1);
        assert_eq!(put(s, "a", "v", 2), 1 << 40);
        assert_eq!(s.deleted(), Vec::<u64>::new());
    });
}

#[test]
fn skip_msgs() {
    with_both(none(), |s, _| {
        assert_eq!(s.skip_msgs(5, 7).unwrap(), 5);
        let st = s.state();
        assert_eq!(
            (st.first_seq, st.last_seq, st.last_ts, st.msgs),
            (6, 5, 7, 0)
        );
        assert_eq!(put(s, "a", "v", 8), 6);
        assert_eq!(s.skip_msgs(3, 9).unwrap(), 9);
        assert_eq!(s.state().last_ts, 8);
        assert_eq!(put(s, "a", "v", 10), 10);
        assert_eq!(s.deleted(), vec![7, 8, 9]);
        // A large skip starts a new segment / chunk rather than padding the index.
        assert_eq!(s.skip_msgs(1_000_000, 11).unwrap(), 1_000_010);
        assert_eq!(put(s, "a", "v", 12), 1_000_011);
        assert_eq!(s.state().num_deleted, 1_000_003);
        assert_eq!(s.next_matching_seq(11, &["a"]), Some(1_000_011));
        assert_eq!(
            s.subject_state("a"),
            Some(SubjectState {
                msgs: 3,
                first: 6,
                last: 1_000_011
            })
        );
    });
}

#[test]
fn max_msgs_and_per_subject_limits() {
    let limits = StoreLimits {
        max_msgs: Some(5),
        max_msgs_per_subject: Some(2),
        ..none()
    };
    with_both(limits, |s, _| {
        for i in 0..4 {
            put(s, "P.a", "1", i);
            put(s, "P.b", "2", i);
        }
        put(s, "P.c", "2", 9);
        // nats-server 2.15: first 5, last 9, 5 messages.
        let st = s.state();
        assert_eq!((st.first_seq, st.last_seq, st.msgs), (5, 9, 5));
        for i in 0..3 {
            put(s, "P.z", "3", 20 + i);
        }
        assert_eq!(seqs(s), vec![7, 8, 9, 11, 12]);
        assert_eq!(
            s.subject_state("P.z"),
            Some(SubjectState {
                msgs: 2,
                first: 11,
                last: 12
            })
        );
        assert_eq!(s.state().num_deleted, 1);
    });
}

#[test]
fn max_bytes_removes_from_the_head() {
    with_both(none(), |s, kind| {
        let one = size(kind, "b", 0, 10);
        s.update_limits(StoreLimits {
            max_bytes: Some(3 * one),
            ..none()
        })
        .unwrap();
        for i in 0..5 {
            put(s, "b", "0123456789", i);
        }
        assert_eq!(seqs(s), vec![3, 4, 5]);
        assert_eq!(s.state().bytes, 3 * one);
        // A message larger than the limit removes everything, itself included (discard old).
        s.append("b", None, &[0u8; 500], 9).unwrap();
        let st = s.state();
        assert_eq!((st.msgs, st.first_seq, st.last_seq, st.bytes), (0, 7, 6, 0));
    });
}

#[test]
fn lowering_limits_enforces_them() {
    with_both(none(), |s, _| {
        for i in 0..6 {
            put(s, if i < 4 { "a" } else { "b" }, "v", i);
        }
        s.track_removed(true);
        s.update_limits(StoreLimits {
            max_msgs_per_subject: Some(1),
            ..none()
        })
        .unwrap();
        assert_eq!(seqs(s), vec![4, 6]);
        let mut removed = s.take_removed();
        removed.sort_unstable();
        assert_eq!(removed, vec![1, 2, 3, 5]);
        s.update_limits(StoreLimits {
            max_msgs: Some(1),
            ..none()
        })
        .unwrap();
        assert_eq!(seqs(s), vec![6]);
        assert_eq!(s.take_removed(), vec![4]);
        s.track_removed(false);
        put(s, "c", "v", 9);
        assert_eq!(s.take_removed(), Vec::<u64>::new());
    });
}

#[test]
fn max_age_expiry() {
    let limits = StoreLimits {
        max_age: Some(100),
        ..none()
    };
    with_both(limits, |s, _| {
        assert_eq!(s.next_expiry(), None);
        for ts in [1000, 1010, 1050, 1200] {
            put(s, "a", "v", ts);
        }
        assert_eq!(s.next_expiry(), Some(1100));
        assert_eq!(s.expire(1099).unwrap(), 0);
        assert_eq!(s.expire(1110).unwrap(), 2);
        assert_eq!((s.state().first_seq, s.state().first_ts), (3, 1050));
        assert_eq!(s.next_expiry(), Some(1150));
        assert_eq!(s.expire(10_000).unwrap(), 2);
        assert_eq!(s.next_expiry(), None);
        let st = s.state();
        assert_eq!((st.first_seq, st.last_seq, st.msgs), (5, 4, 0));
    });
}

#[test]
fn discard_new_checks() {
    let limits = StoreLimits {
        max_msgs: Some(2),
        max_msgs_per_subject: Some(1),
        discard: Discard::New,
        ..none()
    };
    with_both(limits, |s, kind| {
        assert_eq!(s.check_discard_new("a", 0, 1, false), Ok(()));
        put(s, "a", "v", 1);
        put(s, "b", "v", 2);
        // At max_msgs, but "a" is at its subject limit: the new one replaces the old one.
        assert_eq!(s.check_discard_new("a", 0, 1, false), Ok(()));
        assert_eq!(
            s.check_discard_new("c", 0, 1, false),
            Err(LimitExceeded::MaxMsgs)
        );
        // Discard new never removes old messages for max_msgs.
        let mut l = s.limits();
        l.max_msgs = Some(1);
        s.update_limits(l).unwrap();
        assert_eq!(s.state().msgs, 2);
        l.discard_new_per_subject = true;
        l.max_msgs = None;
        l.max_bytes = Some(2 * size(kind, "a", 0, 1));
        s.update_limits(l).unwrap();
        assert_eq!(
            s.check_discard_new("a", 0, 1, false),
            Err(LimitExceeded::MaxMsgsPerSubject)
        );
        assert_eq!(s.check_discard_new("a", 0, 1, true), Ok(()));
        assert_eq!(
            s.check_discard_new("a", 0, 2, true),
            Err(LimitExceeded::MaxBytes)
        );
        assert_eq!(
            s.check_discard_new("c", 0, 1, false),
            Err(LimitExceeded::MaxBytes)
        );
        // The per-subject limit still applies with discard new.
        put(s, "a", "w", 3);
        assert_eq!(seqs(s), vec![2, 3]);
    });
}

#[test]
fn empty_stream_edge_cases() {
    with_both(none(), |s, _| {
        assert_eq!(s.purge(None, None, None).unwrap(), 0);
        let st = s.state();
        assert_eq!((st.first_seq, st.last_seq), (1, 0));
        assert_eq!(s.compact(5).unwrap(), 0);
        assert_eq!((s.state().first_seq, s.state().last_seq), (5, 4));
        assert!(!s.remove(1, false).unwrap());
        assert_eq!(s.next_matching(0, &[]).unwrap(), None);
        assert_eq!(s.last_for_subject(">").unwrap(), None);
        assert_eq!(s.filtered_state(&[]), SubjectState::default());
        assert_eq!(s.num_pending(0, &[], false), 0);
        assert_eq!(s.deleted(), Vec::<u64>::new());
        assert_eq!(s.expire(i64::MAX).unwrap(), 0);
    });
}

#[test]
fn many_messages_across_segments() {
    with_both(none(), |s, kind| {
        for i in 0..300 {
            put(s, &format!("m.{}", i % 7), "payload-payload", i);
        }
        for seq in (1..=300).step_by(3) {
            s.remove(seq, false).unwrap();
        }
        s.compact(40).unwrap();
        assert_eq!(s.state().msgs, seqs(s).len() as u64);
        assert_eq!(s.state().first_seq, 41);
        if kind == Kind::File {
            s.sync().unwrap();
        }
        let total: u64 = s.subjects_state(">").iter().map(|(_, st)| st.msgs).sum();
        assert_eq!(total, s.state().msgs);
    });
}
