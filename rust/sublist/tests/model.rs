//! Property tests: a `Sublist` driven by random insert/remove/match sequences must answer
//! exactly like a naive model (a list of (subject, queue, id) filtered with `matches`), with
//! the cache enabled, disabled, and tiny (so eviction runs constantly).
//!
//! The token alphabet is small so that subjects collide, wildcards overlap, cached entries
//! survive across many inserts/removes (exercising cache patching), and equal ids repeat.

#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use std::collections::BTreeMap;

use fastnats_sublist::{is_valid_subject, matches, MatchResult, Sublist};
use proptest::prelude::*;

type Id = u8;
type Queue = Option<String>;

#[derive(Debug, Clone)]
enum Op {
    Insert(String, Queue, Id),
    /// Remove something that may or may not be stored.
    Remove(String, Queue, Id),
    /// Remove the n-th (mod len) stored entry of the model.
    RemoveStored(usize),
    Match(String),
}

/// Multiset view of a result: sorted plain ids, and queue name -> sorted members.
type Norm = (Vec<Id>, BTreeMap<String, Vec<Id>>);

fn norm(r: &MatchResult<Id>) -> Norm {
    let mut p = r.psubs.clone();
    p.sort_unstable();
    let mut q = BTreeMap::new();
    for g in &r.qsubs {
        assert!(!g.members.is_empty(), "empty queue group in result");
        let mut m = g.members.clone();
        m.sort_unstable();
        let name = String::from_utf8(g.name.to_vec()).unwrap();
        assert!(q.insert(name, m).is_none(), "queue group listed twice");
    }
    assert_eq!(r.len(), p.len() + q.values().map(Vec::len).sum::<usize>());
    assert_eq!(r.is_empty(), p.is_empty() && q.is_empty());
    (p, q)
}

fn naive(model: &[(String, Queue, Id)], subject: &str) -> Norm {
    let mut p = Vec::new();
    let mut q: BTreeMap<String, Vec<Id>> = BTreeMap::new();
    for (pattern, queue, id) in model {
        if matches(pattern.as_bytes(), subject.as_bytes()) {
            match queue {
                None => p.push(*id),
                Some(name) => q.entry(name.clone()).or_default().push(*id),
            }
        }
    }
    p.sort_unstable();
    for m in q.values_mut() {
        m.sort_unstable();
    }
    (p, q)
}

/// A subject of 1..=max tokens drawn from `tokens` (weighted towards the first ones).
fn subject(tokens: &'static [&'static str], max: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(tokens), 1..=max).prop_map(|t| t.join("."))
}

/// Subscription subjects: mostly valid, sometimes `>` in the middle or an empty token.
fn sub_subject() -> impl Strategy<Value = String> {
    prop_oneof![
        12 => subject(&["a", "b", "a", "b", "c", "*", "*", ">"], 4),
        1 => subject(&["a", "b", "*", ">", "", "a b"], 3),
    ]
}

/// Published subjects: literal tokens, sometimes `*`/`>` as literal bytes or empty tokens.
fn pub_subject() -> impl Strategy<Value = String> {
    prop_oneof![
        12 => subject(&["a", "b", "a", "b", "c"], 5),
        2 => subject(&["a", "b", "*", ">"], 4),
        1 => subject(&["a", "b", ""], 3),
    ]
}

fn queue() -> impl Strategy<Value = Queue> {
    prop_oneof![
        3 => Just(None),
        1 => Just(Some("q1".to_string())),
        1 => Just(Some("q2".to_string())),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (sub_subject(), queue(), 0u8..4).prop_map(|(s, q, i)| Op::Insert(s, q, i)),
        1 => (sub_subject(), queue(), 0u8..4).prop_map(|(s, q, i)| Op::Remove(s, q, i)),
        2 => any::<usize>().prop_map(Op::RemoveStored),
        5 => pub_subject().prop_map(Op::Match),
    ]
}

#[derive(Debug, Clone, Copy)]
enum CacheMode {
    Default,
    Off,
    Tiny,
}

fn new_sublist(mode: CacheMode) -> Sublist<Id> {
    match mode {
        CacheMode::Default => Sublist::new(),
        CacheMode::Off => Sublist::with_cache(false),
        CacheMode::Tiny => Sublist::with_cache_limits(4, 1),
    }
}

fn check_match(sl: &mut Sublist<Id>, model: &[(String, Queue, Id)], subject: &str) {
    let want = naive(model, subject);
    let got = sl.match_subject(subject.as_bytes());
    assert_eq!(norm(&got), want, "match_subject({subject:?})");
    // a second call is a cache hit when the cache is on: same answer
    assert_eq!(
        norm(&sl.match_subject(subject.as_bytes())),
        want,
        "repeat {subject:?}"
    );
    assert_eq!(
        norm(&sl.match_uncached(subject.as_bytes())),
        want,
        "uncached {subject:?}"
    );
    let interest = !want.0.is_empty() || !want.1.is_empty();
    assert_eq!(
        sl.has_interest(subject.as_bytes()),
        interest,
        "has_interest({subject:?})"
    );
}

fn run(mode: CacheMode, ops: &[Op]) {
    let mut sl = new_sublist(mode);
    let mut model: Vec<(String, Queue, Id)> = Vec::new();
    // subjects matched so far: re-checked after every change, so stale cache entries show up
    let mut seen: Vec<String> = Vec::new();
    for op in ops {
        let gen = sl.generation();
        let changed = match op {
            Op::Insert(s, q, id) => {
                let ok = sl.insert(s.as_bytes(), q.as_deref().map(str::as_bytes), *id);
                assert_eq!(ok.is_ok(), is_valid_subject(s.as_bytes()), "insert {s:?}");
                if ok.is_ok() {
                    model.push((s.clone(), q.clone(), *id));
                }
                ok.is_ok()
            }
            Op::Remove(s, q, id) => {
                let pos = model
                    .iter()
                    .position(|(ms, mq, mid)| ms == s && mq == q && mid == id);
                let removed = sl.remove(s.as_bytes(), q.as_deref().map(str::as_bytes), id);
                assert_eq!(removed, pos.is_some(), "remove {s:?} {q:?} {id}");
                if let Some(i) = pos {
                    model.remove(i);
                }
                removed
            }
            Op::RemoveStored(n) => {
                if model.is_empty() {
                    false
                } else {
                    let (s, q, id) = model.remove(n % model.len());
                    assert!(sl.remove(s.as_bytes(), q.as_deref().map(str::as_bytes), &id));
                    true
                }
            }
            Op::Match(s) => {
                check_match(&mut sl, &model, s);
                if !seen.contains(s) {
                    seen.push(s.clone());
                }
                false
            }
        };
        assert_eq!(sl.generation(), gen + u64::from(changed));
        assert_eq!(sl.count(), model.len());
        if changed {
            for s in seen.iter().rev().take(8) {
                check_match(&mut sl, &model, s);
            }
        }
    }
    for s in &seen {
        check_match(&mut sl, &model, s);
    }
    // removing everything prunes the whole trie
    while let Some((s, q, id)) = model.pop() {
        assert!(sl.remove(s.as_bytes(), q.as_deref().map(str::as_bytes), &id));
    }
    assert_eq!(sl.count(), 0);
    assert_eq!(sl.node_count(), 0);
    for s in &seen {
        check_match(&mut sl, &model, s);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 500, ..ProptestConfig::default() })]

    #[test]
    fn same_as_model_cache_on(ops in prop::collection::vec(op(), 0..80)) {
        run(CacheMode::Default, &ops);
    }

    #[test]
    fn same_as_model_cache_off(ops in prop::collection::vec(op(), 0..80)) {
        run(CacheMode::Off, &ops);
    }

    #[test]
    fn same_as_model_tiny_cache(ops in prop::collection::vec(op(), 0..80)) {
        run(CacheMode::Tiny, &ops);
    }

    /// `matches` agrees with a token-list definition written independently.
    #[test]
    fn matches_agrees_with_token_definition(p in sub_subject(), s in pub_subject()) {
        let pt: Vec<&str> = p.split('.').collect();
        let st: Vec<&str> = s.split('.').collect();
        let want = is_valid_subject(p.as_bytes())
            && !st.iter().any(|t| t.is_empty())
            && if pt.last() == Some(&">") {
                st.len() >= pt.len()
                    && pt[..pt.len() - 1].iter().zip(&st).all(|(a, b)| *a == "*" || a == b)
            } else {
                pt.len() == st.len() && pt.iter().zip(&st).all(|(a, b)| *a == "*" || a == b)
            };
        prop_assert_eq!(matches(p.as_bytes(), s.as_bytes()), want);
    }
}
