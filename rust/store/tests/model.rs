//! Property test: random operation sequences applied to the file store (small segments,
//! reopened at random points) and to the memory store as the model must give the same
//! results and the same observable content after every step.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{size, small_blocks, snapshot, Kind, Snapshot};
use fastnats_store::{FileStore, MemStore, Store, StoreLimits, StoredMsg};
use proptest::prelude::*;

const SUBJECTS: [&str; 5] = ["a", "b", "c.x", "c.y", "d.e.f"];
const FILTERS: [&str; 6] = ["a", "c.*", "c.>", ">", "zz", "d.*.f"];

#[derive(Clone, Debug)]
enum Op {
    Append {
        subject: usize,
        payload: usize,
        headers: bool,
    },
    Remove {
        back: u64,
        erase: bool,
    },
    Purge {
        filter: Option<usize>,
        upto_back: Option<u64>,
        keep: Option<u64>,
    },
    Compact {
        back: u64,
    },
    Skip {
        num: u64,
    },
    Expire {
        age: i64,
    },
    Limits {
        max_msgs: Option<u64>,
        per_subject: Option<u64>,
        max_age: Option<i64>,
    },
    Reopen {
        sync: bool,
    },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        8 => (0..SUBJECTS.len(), 0..40usize, any::<bool>())
            .prop_map(|(subject, payload, headers)| Op::Append { subject, payload, headers }),
        3 => (0..12u64, any::<bool>()).prop_map(|(back, erase)| Op::Remove { back, erase }),
        1 => (proptest::option::of(0..FILTERS.len()), proptest::option::of(0..12u64), proptest::option::of(0..4u64))
            .prop_map(|(filter, upto_back, keep)| Op::Purge { filter, upto_back, keep }),
        1 => (0..15u64).prop_map(|back| Op::Compact { back }),
        1 => prop_oneof![1..4u64, Just(5000u64)].prop_map(|num| Op::Skip { num }),
        1 => (0..200i64).prop_map(|age| Op::Expire { age }),
        1 => (proptest::option::of(1..30u64), proptest::option::of(1..4u64), proptest::option::of(20..300i64))
            .prop_map(|(max_msgs, per_subject, max_age)| Op::Limits { max_msgs, per_subject, max_age }),
        1 => any::<bool>().prop_map(|sync| Op::Reopen { sync }),
    ]
}

/// What an operation returned, comparable across stores.
#[derive(Debug, PartialEq, Eq)]
enum Outcome {
    Seq(u64),
    Removed(bool),
    Count(u64),
    Unit,
}

fn apply(s: &mut dyn Store, op: &Op, ts: i64) -> Outcome {
    let last = s.state().last_seq;
    let back = |b: u64| last.saturating_add(3).saturating_sub(b);
    match *op {
        Op::Append {
            subject,
            payload,
            headers,
        } => {
            let body = vec![b'x'; payload];
            let hdr = headers.then_some(&b"NATS/1.0\r\nK: v\r\n\r\n"[..]);
            Outcome::Seq(s.append(SUBJECTS[subject], hdr, &body, ts).unwrap().0)
        }
        Op::Remove { back: b, erase } => Outcome::Removed(s.remove(back(b), erase).unwrap()),
        Op::Purge {
            filter,
            upto_back,
            keep,
        } => Outcome::Count(
            s.purge(filter.map(|f| FILTERS[f]), upto_back.map(back), keep)
                .unwrap(),
        ),
        Op::Compact { back: b } => Outcome::Count(s.compact(back(b)).unwrap()),
        Op::Skip { num } => Outcome::Seq(s.skip_msgs(num, ts).unwrap()),
        Op::Expire { age } => Outcome::Count(s.expire(ts - age).unwrap()),
        Op::Limits {
            max_msgs,
            per_subject,
            max_age,
        } => {
            let limits = StoreLimits {
                max_msgs,
                max_msgs_per_subject: per_subject,
                max_age,
                ..StoreLimits::default()
            };
            s.update_limits(limits).unwrap();
            Outcome::Unit
        }
        Op::Reopen { .. } => Outcome::Unit,
    }
}

fn accounted(kind: Kind, msgs: &[StoredMsg]) -> u64 {
    msgs.iter()
        .map(|m| {
            size(
                kind,
                &m.subject,
                m.headers.as_ref().map_or(0, |h| h.len()),
                m.payload.len(),
            )
        })
        .sum()
}

/// The snapshot with `bytes` checked against the store's own accounting and then cleared
/// (the two stores count bytes differently).
fn normalised(s: &dyn Store, kind: Kind) -> Snapshot {
    let mut snap = snapshot(s);
    assert_eq!(
        snap.state.bytes,
        accounted(kind, &snap.msgs),
        "{kind:?} byte accounting"
    );
    snap.state.bytes = 0;
    snap
}

/// Per filter: next match from the middle, pending counts, and the subjects' states.
type Answers = Vec<(Option<u64>, u64, u64, Vec<(String, u64, u64, u64)>)>;

fn queries(s: &dyn Store) -> Answers {
    let last = s.state().last_seq;
    FILTERS
        .iter()
        .map(|f| {
            let mut subjects: Vec<_> = s
                .subjects_state(f)
                .into_iter()
                .map(|(n, st)| (n.to_string(), st.msgs, st.first, st.last))
                .collect();
            subjects.sort();
            (
                s.next_matching_seq(last / 2, &[f]),
                s.num_pending(last / 2, &[f], false),
                s.num_pending(0, &[f], true),
                subjects,
            )
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn file_store_behaves_like_memory_store(ops in proptest::collection::vec(op(), 1..60)) {
        let dir = tempfile::tempdir().unwrap();
        let mut mem = MemStore::new(StoreLimits::default());
        let mut file = FileStore::open(dir.path(), small_blocks(), StoreLimits::default()).unwrap().0;
        let mut ts = 1_000i64;
        for op in &ops {
            ts += 7;
            if let Op::Reopen { sync } = *op {
                let limits = file.limits();
                if sync {
                    file.sync().unwrap();
                    std::mem::forget(file);
                } else {
                    drop(file);
                }
                let (f, report) = FileStore::open(dir.path(), small_blocks(), limits).unwrap();
                prop_assert!(report.is_clean(), "{:?}", report);
                file = f;
            }
            let a = apply(&mut mem, op, ts);
            let b = apply(&mut file, op, ts);
            prop_assert_eq!(a, b, "{:?}", op);
            prop_assert_eq!(normalised(&mem, Kind::Mem), normalised(&file, Kind::File), "after {:?}", op);
            prop_assert_eq!(queries(&mem), queries(&file), "after {:?}", op);
            prop_assert_eq!(mem.next_expiry(), file.next_expiry());
        }
    }
}
