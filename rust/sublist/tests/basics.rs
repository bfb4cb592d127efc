//! Example-based tests of `Sublist`: insert/remove/match, queue groups, pruning, cache
//! freshness, counters.

#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use std::collections::BTreeMap;

use fastnats_sublist::{InvalidSubject, MatchResult, Sublist};

/// Plain subs sorted, and queue groups as name -> sorted members (also checks that each name
/// appears once and no group is empty).
fn norm(r: &MatchResult<u32>) -> (Vec<u32>, BTreeMap<String, Vec<u32>>) {
    let mut p = r.psubs.clone();
    p.sort_unstable();
    let mut q = BTreeMap::new();
    for g in &r.qsubs {
        assert!(!g.members.is_empty(), "empty group in result");
        let mut m = g.members.clone();
        m.sort_unstable();
        let name = String::from_utf8(g.name.to_vec()).unwrap();
        assert!(q.insert(name, m).is_none(), "queue group listed twice");
    }
    (p, q)
}

fn both(cache: bool) -> Sublist<u32> {
    Sublist::with_cache(cache)
}

fn plain(s: &mut Sublist<u32>, subject: &str) -> Vec<u32> {
    let r = s.match_subject(subject.as_bytes());
    let (p, q) = norm(&r);
    assert!(q.is_empty());
    // the uncached path must agree
    assert_eq!(norm(&s.match_uncached(subject.as_bytes())).0, p);
    assert_eq!(s.has_interest(subject.as_bytes()), !p.is_empty());
    p
}

#[test]
fn literal_and_wildcards() {
    for cache in [true, false] {
        let mut s = both(cache);
        s.insert(b"foo.bar", None, 1).unwrap();
        s.insert(b"foo.*", None, 2).unwrap();
        s.insert(b"foo.>", None, 3).unwrap();
        s.insert(b">", None, 4).unwrap();
        s.insert(b"*.bar", None, 5).unwrap();
        s.insert(b"foo", None, 6).unwrap();
        s.insert(b"*", None, 7).unwrap();
        assert_eq!(s.count(), 7);

        assert_eq!(plain(&mut s, "foo.bar"), vec![1, 2, 3, 4, 5]);
        assert_eq!(plain(&mut s, "foo.baz"), vec![2, 3, 4]);
        assert_eq!(plain(&mut s, "foo.bar.baz"), vec![3, 4]);
        assert_eq!(plain(&mut s, "foo"), vec![4, 6, 7]);
        assert_eq!(plain(&mut s, "x.bar"), vec![4, 5]);
        assert_eq!(plain(&mut s, "x"), vec![4, 7]);
        assert_eq!(plain(&mut s, "x.y.z"), vec![4]);
        // empty tokens match nothing, not even `>`
        for bad in ["", ".", "foo.", ".foo", "foo..bar"] {
            assert_eq!(plain(&mut s, bad), Vec::<u32>::new(), "{bad:?}");
        }
    }
}

#[test]
fn published_wildcard_tokens_are_literal() {
    let mut s = both(true);
    s.insert(b"foo.bar", None, 1).unwrap();
    s.insert(b"foo.*", None, 2).unwrap();
    s.insert(b"foo.*.x", None, 3).unwrap();
    s.insert(b"foo*", None, 4).unwrap();
    // `foo.*` published: the literal `bar` sub does not match, the wildcard does.
    assert_eq!(plain(&mut s, "foo.*"), vec![2]);
    assert_eq!(plain(&mut s, "foo.>"), vec![2]);
    assert_eq!(plain(&mut s, "foo.>.x"), vec![3]);
    assert_eq!(plain(&mut s, "foo*"), vec![4]);
    assert_eq!(plain(&mut s, "fooX"), Vec::<u32>::new());
}

#[test]
fn full_wildcard_needs_a_token() {
    let mut s = both(true);
    s.insert(b"foo.>", None, 1).unwrap();
    assert_eq!(plain(&mut s, "foo"), Vec::<u32>::new());
    assert_eq!(plain(&mut s, "foo.a"), vec![1]);
}

#[test]
fn invalid_subjects_rejected() {
    let mut s = both(true);
    for bad in ["", "foo.", ".foo", "a..b", "foo.>.bar", ">.>"] {
        assert_eq!(
            s.insert(bad.as_bytes(), None, 1),
            Err(InvalidSubject),
            "{bad:?}"
        );
        assert!(!s.remove(bad.as_bytes(), None, &1));
    }
    assert_eq!(s.count(), 0);
    assert_eq!(s.generation(), 0);
    assert_eq!(InvalidSubject.to_string(), "invalid subject");
}

#[test]
fn queue_groups_merge_by_name_across_nodes() {
    for cache in [true, false] {
        let mut s = both(cache);
        s.insert(b"foo.*", Some(b"q1"), 1).unwrap();
        s.insert(b"foo.bar", Some(b"q1"), 2).unwrap();
        s.insert(b"foo.>", Some(b"q1"), 3).unwrap();
        s.insert(b"foo.bar", Some(b"q2"), 4).unwrap();
        s.insert(b"foo.bar", None, 5).unwrap();
        s.insert(b"foo.*", None, 6).unwrap();
        let r = s.match_subject(b"foo.bar");
        let (p, q) = norm(&r);
        assert_eq!(p, vec![5, 6]);
        assert_eq!(q.len(), 2);
        assert_eq!(q["q1"], vec![1, 2, 3]);
        assert_eq!(q["q2"], vec![4]);
        assert_eq!(r.len(), 6);
        assert!(!r.is_empty());

        let (p, q) = norm(&s.match_subject(b"foo.baz"));
        assert_eq!(p, vec![6]);
        assert_eq!(q["q1"], vec![1, 3]);
        assert_eq!(q.len(), 1);
    }
}

#[test]
fn queue_and_plain_are_distinct_keys_for_remove() {
    let mut s = both(true);
    s.insert(b"a", None, 1).unwrap();
    s.insert(b"a", Some(b"q"), 1).unwrap();
    assert!(!s.remove(b"a", Some(b"other"), &1));
    assert!(!s.remove(b"a", Some(b"q"), &2));
    assert!(s.remove(b"a", Some(b"q"), &1));
    let (p, q) = norm(&s.match_subject(b"a"));
    assert_eq!(p, vec![1]);
    assert!(q.is_empty());
    assert!(!s.remove(b"a", Some(b"q"), &1));
    assert!(s.remove(b"a", None, &1));
    assert!(s.match_subject(b"a").is_empty());
}

#[test]
fn duplicates_are_stored_twice_and_removed_one_at_a_time() {
    let mut s = both(true);
    s.insert(b"a.b", None, 7).unwrap();
    s.insert(b"a.b", None, 7).unwrap();
    assert_eq!(plain(&mut s, "a.b"), vec![7, 7]);
    assert!(s.remove(b"a.b", None, &7));
    assert_eq!(plain(&mut s, "a.b"), vec![7]);
    assert!(s.remove(b"a.b", None, &7));
    assert_eq!(plain(&mut s, "a.b"), Vec::<u32>::new());
    assert!(!s.remove(b"a.b", None, &7));
}

#[test]
fn remove_prunes_everything() {
    for cache in [true, false] {
        let mut s = both(cache);
        let subs: &[(&str, Option<&str>)] = &[
            ("a", None),
            ("a.b", None),
            ("a.b.c", Some("q")),
            ("a.*.c", None),
            ("a.>", Some("q")),
            ("*", None),
            (">", None),
            ("*.*.*.*.d", None),
            ("x.y.z.w", Some("r")),
        ];
        for (i, (subj, q)) in subs.iter().enumerate() {
            s.insert(subj.as_bytes(), q.map(str::as_bytes), i as u32)
                .unwrap();
        }
        assert!(s.node_count() > 0);
        let _ = s.match_subject(b"a.b.c");
        // remove in a different order than inserted
        for (i, (subj, q)) in subs.iter().enumerate().rev() {
            assert!(s.remove(subj.as_bytes(), q.map(str::as_bytes), &(i as u32)));
        }
        assert_eq!(s.count(), 0);
        assert_eq!(s.node_count(), 0);
        assert!(s.match_subject(b"a.b.c").is_empty());
        assert!(!s.has_interest(b"a"));
    }
}

#[test]
fn remove_of_a_prefix_keeps_the_longer_subject() {
    let mut s = both(true);
    s.insert(b"a", None, 1).unwrap();
    s.insert(b"a.b.c", None, 2).unwrap();
    assert!(s.remove(b"a", None, &1));
    assert_eq!(plain(&mut s, "a.b.c"), vec![2]);
    assert_eq!(s.node_count(), 3);
    // removing something never stored under an existing path changes nothing
    assert!(!s.remove(b"a.b", None, &2));
    assert!(!s.remove(b"a.b.c.d", None, &2));
    assert!(!s.remove(b"a.*", None, &2));
    assert_eq!(s.node_count(), 3);
}

#[test]
fn many_siblings_then_remove_all() {
    let mut s = both(true);
    for i in 0..2000u32 {
        s.insert(format!("root.{i}.leaf").as_bytes(), None, i)
            .unwrap();
    }
    assert_eq!(s.count(), 2000);
    for i in 0..2000u32 {
        assert_eq!(plain(&mut s, &format!("root.{i}.leaf")), vec![i]);
    }
    for i in 0..2000u32 {
        assert!(s.remove(format!("root.{i}.leaf").as_bytes(), None, &i));
    }
    assert_eq!(s.node_count(), 0);
}

#[test]
fn cache_is_fresh_after_insert_and_remove() {
    let mut s = both(true);
    s.insert(b"foo.bar", None, 1).unwrap();
    let before = s.match_subject(b"foo.bar");
    assert_eq!(before.psubs, vec![1]);
    assert_eq!(s.match_subject(b"nobody.home").len(), 0); // empty result cached
    assert_eq!(s.stats().cache_entries, 2);

    // literal insert patches the cached entry for that subject
    s.insert(b"foo.bar", None, 2).unwrap();
    assert_eq!(plain(&mut s, "foo.bar"), vec![1, 2]);
    // the result handed out earlier is an unchanged snapshot
    assert_eq!(before.psubs, vec![1]);

    // wildcard insert patches every matching cached subject, including cached empty ones
    s.insert(b"*.*", Some(b"q"), 3).unwrap();
    let (p, q) = norm(&s.match_subject(b"nobody.home"));
    assert!(p.is_empty());
    assert_eq!(q["q"], vec![3]);
    let (p, q) = norm(&s.match_subject(b"foo.bar"));
    assert_eq!(p, vec![1, 2]);
    assert_eq!(q["q"], vec![3]);

    // wildcard remove
    assert!(s.remove(b"*.*", Some(b"q"), &3));
    assert!(s.match_subject(b"nobody.home").is_empty());
    assert_eq!(norm(&s.match_subject(b"foo.bar")).1.len(), 0);

    // literal remove
    assert!(s.remove(b"foo.bar", None, &1));
    assert_eq!(plain(&mut s, "foo.bar"), vec![2]);

    // a literal insert does not touch other cached subjects
    s.insert(b"foo.baz", None, 9).unwrap();
    assert_eq!(plain(&mut s, "foo.bar"), vec![2]);
    assert_eq!(plain(&mut s, "foo.baz"), vec![9]);
}

#[test]
fn cache_stays_bounded() {
    let mut s: Sublist<u32> = Sublist::new();
    s.insert(b"sub.>", None, 1).unwrap();
    for i in 0..5000u32 {
        let r = s.match_subject(format!("sub.{i}").as_bytes());
        assert_eq!(r.psubs, vec![1]);
        assert!(s.stats().cache_entries <= 1024);
    }
    let mut small: Sublist<u32> = Sublist::with_cache_limits(4, 1);
    small.insert(b">", None, 1).unwrap();
    for i in 0..100u32 {
        assert_eq!(
            small.match_subject(format!("s{}", i % 7).as_bytes()).len(),
            1
        );
        assert!(small.stats().cache_entries <= 4);
    }
}

#[test]
fn stats_and_generation() {
    let mut s: Sublist<u32> = Sublist::default();
    assert_eq!(s.stats(), Default::default());
    s.insert(b"a", None, 1).unwrap();
    s.insert(b"a", Some(b"q"), 2).unwrap();
    s.insert(b"b", None, 3).unwrap();
    assert_eq!(s.generation(), 3);
    assert!(!s.remove(b"a", None, &99));
    assert_eq!(s.generation(), 3);
    assert!(s.remove(b"b", None, &3));
    assert_eq!(s.generation(), 4);

    assert_eq!(s.match_subject(b"a").len(), 2); // miss
    assert_eq!(s.match_subject(b"a").len(), 2); // hit
    assert_eq!(s.match_subject(b"b").len(), 0); // miss
    let st = s.stats();
    assert_eq!(st.count, 2);
    assert_eq!(st.inserts, 3);
    assert_eq!(st.removes, 1);
    assert_eq!(st.matches, 3);
    assert_eq!(st.cache_hits, 1);
    assert_eq!(st.cache_entries, 2);
    assert_eq!(st.max_fanout, 2);
    assert_eq!(st.total_fanout, 4);
    assert!((st.avg_fanout() - 4.0 / 3.0).abs() < 1e-9);
    assert!((st.cache_hit_rate() - 1.0 / 3.0).abs() < 1e-9);

    let no_cache: Sublist<u32> = Sublist::with_cache(false);
    assert_eq!(no_cache.stats().cache_entries, 0);
    assert!(format!("{no_cache:?}").contains("cache_enabled: false"));
}

#[test]
fn has_interest_cases() {
    let mut s: Sublist<u32> = Sublist::new();
    assert!(!s.has_interest(b"a"));
    s.insert(b"a.*.c", None, 1).unwrap();
    assert!(s.has_interest(b"a.b.c"));
    assert!(!s.has_interest(b"a.b"));
    assert!(!s.has_interest(b"a.b.c.d"));
    assert!(!s.has_interest(b"a..c"));
    s.insert(b"a.b.>", Some(b"q"), 2).unwrap();
    assert!(s.has_interest(b"a.b.x.y"));
    assert!(!s.has_interest(b"a.b"));
}

#[test]
fn deep_subjects() {
    let mut s: Sublist<u32> = Sublist::new();
    let deep: Vec<String> = (0..1500).map(|i| format!("t{i}")).collect();
    let deep = deep.join(".");
    s.insert(deep.as_bytes(), None, 1).unwrap();
    let star = vec!["*"; 1500].join(".");
    s.insert(star.as_bytes(), None, 2).unwrap();
    assert_eq!(plain(&mut s, &deep), vec![1, 2]);
    assert!(s.remove(deep.as_bytes(), None, &1));
    assert!(s.remove(star.as_bytes(), None, &2));
    assert_eq!(s.node_count(), 0);
}

#[test]
fn sublist_can_be_shared_between_threads() {
    fn assert_send_sync<S: Send + Sync>() {}
    assert_send_sync::<Sublist<u64>>();
    assert_send_sync::<std::sync::Arc<MatchResult<u64>>>();
}
