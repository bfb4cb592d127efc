//! The delivery core with routes among the recipients: one `RMSG` per route with the queue
//! groups picked for it, the one-hop rule, and the queue groups a routed message names.

use std::sync::Arc;

use super::tests::{conn_in, publish, queued, subscribe};
use super::{Delivery, Hop, HopKind, Origin};
use crate::account::Account;
use crate::connection::Connection;
use crate::kind::Kind;
use crate::route::interest::Peers;
use crate::stats::ServerStats;
use crate::subscription::SubRef;

fn route_conn(cid: u64) -> Arc<Connection> {
    let addr = "127.0.0.1:6222".parse().expect("address");
    Arc::new(Connection::new(
        cid,
        Kind::Route,
        Arc::new(Account::new("$G", true)),
        1 << 20,
        addr,
    ))
}

/// Interest a route announced: its sid is the account's name, as the route reader makes it.
fn remote(account: &Account, route: &Arc<Connection>, subject: &str, queue: Option<&str>) {
    let sub = SubRef::new(
        route.clone(),
        subject.as_bytes(),
        queue.map(str::as_bytes),
        account.name().as_bytes(),
    );
    account.index.insert(sub).expect("valid subject");
}

fn routed(queues: &[u8]) -> Hop<'_> {
    Hop {
        kind: HopKind::Route,
        queues: Some(queues),
    }
}

fn from(cid: u64) -> Origin {
    Origin { cid, echo: true }
}

#[test]
fn a_route_gets_one_copy_however_many_of_its_subjects_match() {
    let account = Arc::new(Account::new("$G", true));
    let mut d = Delivery::new(Arc::new(ServerStats::default()));
    let r = route_conn(50);
    remote(&account, &r, "foo.*", None);
    remote(&account, &r, "foo.bar", None);
    remote(&account, &r, ">", None);
    let local = conn_in(&account, 1, 1 << 20);
    subscribe(&local, "foo.bar", None, "3");
    assert_eq!(
        d.route(&account, from(9), &publish(b"foo.bar", b"hi", b"2")),
        2
    );
    assert_eq!(queued(&r), "RMSG $G foo.bar 2\r\nhi\r\n");
    assert_eq!(queued(&local), "MSG foo.bar 3 2\r\nhi\r\n");
}

#[test]
fn a_queue_group_picked_on_a_route_is_named_in_the_rmsg() {
    let account = Arc::new(Account::new("$G", true));
    let mut d = Delivery::new(Arc::new(ServerStats::default()));
    let r = route_conn(50);
    remote(&account, &r, "q", Some("workers"));
    remote(&account, &r, "q", None);
    let mut msg = publish(b"q", b"x", b"1");
    msg.reply = Some(b"_INBOX.1");
    d.route(&account, from(9), &msg);
    assert_eq!(queued(&r), "RMSG $G q + _INBOX.1 workers 1\r\nx\r\n");
}

#[test]
fn a_message_from_a_route_never_goes_to_another_route() {
    let account = Arc::new(Account::new("$G", true));
    let mut d = Delivery::new(Arc::new(ServerStats::default()));
    let other = route_conn(51);
    remote(&account, &other, "foo", None);
    remote(&account, &other, "foo", Some("g"));
    let local = conn_in(&account, 1, 1 << 20);
    subscribe(&local, "foo", None, "1");
    let n = d.route_from_peer(
        &account,
        from(50),
        &publish(b"foo", b"x", b"1"),
        routed(b"g"),
    );
    assert_eq!(n, 1);
    assert_eq!(queued(&other), "");
    assert_eq!(queued(&local), "MSG foo 1 1\r\nx\r\n");
}

#[test]
fn a_routed_message_reaches_only_the_queue_groups_it_names() {
    let account = Arc::new(Account::new("$G", true));
    let mut d = Delivery::new(Arc::new(ServerStats::default()));
    let a = conn_in(&account, 1, 1 << 20);
    let b = conn_in(&account, 2, 1 << 20);
    subscribe(&a, "foo", Some("named"), "1");
    subscribe(&b, "foo", Some("other"), "2");
    d.route_from_peer(
        &account,
        from(50),
        &publish(b"foo", b"x", b"1"),
        routed(b"x named"),
    );
    assert_eq!(queued(&a), "MSG foo 1 1\r\nx\r\n");
    assert_eq!(queued(&b), "");
    // Named, but its only member is across another route: nobody here gets it.
    let r = route_conn(51);
    remote(&account, &r, "bar", Some("g"));
    assert_eq!(
        d.route_from_peer(
            &account,
            from(50),
            &publish(b"bar", b"x", b"1"),
            routed(b"g")
        ),
        0
    );
    assert_eq!(queued(&r), "");
}

#[test]
fn queue_members_are_weighted_by_node() {
    let account = Arc::new(Account::new("$G", true));
    let mut d = Delivery::new(Arc::new(ServerStats::default()));
    let r = route_conn(50);
    // The peer has three members (weight 3): three entries.
    for _ in 0..3 {
        remote(&account, &r, "w", Some("g"));
    }
    let local = conn_in(&account, 1, 1 << 20);
    subscribe(&local, "w", Some("g"), "1");
    for _ in 0..4000 {
        d.route(&account, from(9), &publish(b"w", b"x", b"1"));
    }
    let remote_share = r.out.lock().msgs as f64 / 4000.0;
    assert!((0.70..0.80).contains(&remote_share), "{remote_share}");
}

#[test]
fn interest_is_counted_per_subject_and_sent_on_change() {
    let peers = Arc::new(Peers::default());
    let account = Arc::new(Account::new("acc", true));
    account.index.feed_routes("acc", &peers, false);
    let r = route_conn(50);
    peers.register(r.clone());
    let c = conn_in(&account, 1, 1 << 20);
    let s1 = subscribe(&c, "foo", None, "1");
    let s2 = subscribe(&c, "foo", None, "2");
    let q1 = subscribe(&c, "foo", Some("g"), "3");
    let q2 = subscribe(&c, "foo", Some("g"), "4");
    // A route's own interest is never passed on.
    remote(&account, &route_conn(51), "bar", None);
    assert_eq!(
        queued(&r),
        "RS+ acc foo\r\nRS+ acc foo g 1\r\nRS+ acc foo g 2\r\n"
    );
    r.out.lock().buf.clear();
    account.index.remove(&s1);
    account.index.remove(&q1);
    assert_eq!(queued(&r), "RS+ acc foo g 1\r\n");
    account.index.remove_all([&s2, &q2]);
    assert_eq!(
        queued(&r),
        "RS+ acc foo g 1\r\nRS- acc foo\r\nRS- acc foo g\r\n"
    );
    // A route that registers now gets the snapshot: nothing is left.
    let late = route_conn(52);
    account.index.snapshot_routes(&late);
    assert_eq!(queued(&late), "");
    subscribe(&c, "baz", None, "5");
    account.index.snapshot_routes(&late);
    assert_eq!(queued(&late), "RS+ acc baz\r\n");
}
