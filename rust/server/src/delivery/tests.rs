//! The delivery core without sockets: connections whose outbound queues are read back.

use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;

use fastnats_proto::{CloseReason, Publish};

use super::{Delivery, Origin};
use crate::account::links::{Links, StreamOut};
use crate::account::mapping::SubjectMap;
use crate::account::{Account, AccountCounts};
use crate::auth::{CompiledPermissions, Permissions, SubjectPermission};
use crate::connection::Connection;
use crate::kind::Kind;
use crate::stats::ServerStats;
use crate::subscription::SubRef;

const MAX_PENDING: usize = 1 << 20;

struct World {
    account: Arc<Account>,
    stats: Arc<ServerStats>,
    delivery: Delivery,
}

impl World {
    fn new() -> Self {
        let stats = Arc::new(ServerStats::default());
        World {
            account: Arc::new(Account::new("$G", true)),
            delivery: Delivery::new(stats.clone()),
            stats,
        }
    }

    fn conn(&self, cid: u64) -> Arc<Connection> {
        conn_in(&self.account, cid, MAX_PENDING)
    }

    fn route(&mut self, from: u64, msg: &Publish<'_>) -> usize {
        let origin = Origin {
            cid: from,
            echo: true,
        };
        self.delivery.route(&self.account, origin, msg)
    }
}

pub(super) fn conn_in(account: &Arc<Account>, cid: u64, max_pending: usize) -> Arc<Connection> {
    let addr = "127.0.0.1:4222".parse().expect("address");
    Arc::new(Connection::new(
        cid,
        Kind::Client,
        account.clone(),
        max_pending,
        addr,
    ))
}

pub(super) fn subscribe(
    conn: &Arc<Connection>,
    subject: &str,
    queue: Option<&str>,
    sid: &str,
) -> SubRef {
    let sub = SubRef::new(
        conn.clone(),
        subject.as_bytes(),
        queue.map(str::as_bytes),
        sid.as_bytes(),
    );
    conn.account()
        .index
        .insert(sub.clone())
        .expect("valid subject");
    conn.subs.lock().insert(sid.as_bytes().into(), sub.clone());
    sub
}

pub(super) fn publish<'a>(subject: &'a [u8], data: &'a [u8], size: &'a [u8]) -> Publish<'a> {
    Publish {
        subject,
        reply: None,
        header_len: None,
        data,
        size_field: size,
        header_field: b"",
    }
}

pub(super) fn queued(conn: &Connection) -> String {
    String::from_utf8_lossy(&conn.out.lock().buf).into_owned()
}

#[test]
fn a_plain_subscriber_gets_msg_with_its_sid() {
    let mut w = World::new();
    let a = w.conn(1);
    subscribe(&a, "foo", None, "7");
    assert_eq!(w.route(9, &publish(b"foo", b"hello", b"5")), 1);
    assert_eq!(queued(&a), "MSG foo 7 5\r\nhello\r\n");
}

#[test]
fn no_subscriber_means_nothing_delivered() {
    let mut w = World::new();
    let a = w.conn(1);
    subscribe(&a, "foo", None, "1");
    assert_eq!(w.route(9, &publish(b"bar", b"x", b"1")), 0);
    assert_eq!(queued(&a), "");
}

#[test]
fn wildcards_match_as_nats_does() {
    let mut w = World::new();
    let star = w.conn(1);
    let gt = w.conn(2);
    let other = w.conn(3);
    subscribe(&star, "a.*.c", None, "1");
    subscribe(&gt, "a.>", None, "2");
    subscribe(&other, "a.b", None, "3");
    assert_eq!(w.route(9, &publish(b"a.b.c", b"x", b"1")), 2);
    assert_eq!(queued(&star), "MSG a.b.c 1 1\r\nx\r\n");
    assert_eq!(queued(&gt), "MSG a.b.c 2 1\r\nx\r\n");
    assert_eq!(queued(&other), "");
}

#[test]
fn the_reply_subject_is_passed_on() {
    let mut w = World::new();
    let a = w.conn(1);
    subscribe(&a, "req", None, "1");
    let mut msg = publish(b"req", b"ping", b"4");
    msg.reply = Some(b"_INBOX.x");
    w.route(9, &msg);
    assert_eq!(queued(&a), "MSG req 1 _INBOX.x 4\r\nping\r\n");
}

#[test]
fn the_publishers_size_digits_are_echoed() {
    let mut w = World::new();
    let a = w.conn(1);
    subscribe(&a, "foo", None, "1");
    w.route(9, &publish(b"foo", b"ab", b"02"));
    assert_eq!(queued(&a), "MSG foo 1 02\r\nab\r\n");
}

#[test]
fn one_subscription_of_a_connection_gets_one_copy_each() {
    let mut w = World::new();
    let a = w.conn(1);
    subscribe(&a, "foo", None, "1");
    subscribe(&a, "*", None, "2");
    assert_eq!(w.route(9, &publish(b"foo", b"x", b"1")), 2);
    let q = queued(&a);
    assert!(
        q.contains("MSG foo 1 1\r\nx\r\n") && q.contains("MSG foo 2 1\r\nx\r\n"),
        "{q}"
    );
}

#[test]
fn a_queue_group_gets_one_copy_and_spreads_the_load() {
    let mut w = World::new();
    let members: Vec<_> = (1..=3).map(|cid| w.conn(cid)).collect();
    for (i, m) in members.iter().enumerate() {
        subscribe(m, "work", Some("q"), &format!("{i}"));
    }
    for _ in 0..300 {
        assert_eq!(w.route(9, &publish(b"work", b"x", b"1")), 1);
    }
    let counts: Vec<u64> = members.iter().map(|m| m.out.lock().msgs).collect();
    assert_eq!(counts.iter().sum::<u64>(), 300);
    assert!(counts.iter().all(|&n| n > 0), "{counts:?}");
}

#[test]
fn queue_groups_and_plain_subscribers_both_get_it() {
    let mut w = World::new();
    let plain = w.conn(1);
    let q1 = w.conn(2);
    let q2 = w.conn(3);
    subscribe(&plain, "foo", None, "1");
    subscribe(&q1, "foo", Some("g"), "1");
    subscribe(&q2, "foo", Some("h"), "1");
    assert_eq!(w.route(9, &publish(b"foo", b"x", b"1")), 3);
}

#[test]
fn a_closed_queue_member_is_passed_over() {
    let mut w = World::new();
    let gone = w.conn(1);
    let alive = w.conn(2);
    subscribe(&gone, "work", Some("q"), "1");
    subscribe(&alive, "work", Some("q"), "1");
    gone.close(CloseReason::ClientClosed, crate::outbound::CloseMode::Flush);
    for _ in 0..20 {
        assert_eq!(w.route(9, &publish(b"work", b"x", b"1")), 1);
    }
    assert_eq!(alive.out.lock().msgs, 20);
    assert_eq!(gone.out.lock().msgs, 0);
}

#[test]
fn echo_off_skips_the_publishers_own_subscription() {
    let mut w = World::new();
    let me = w.conn(1);
    let other = w.conn(2);
    subscribe(&me, "foo", None, "1");
    subscribe(&other, "foo", None, "1");
    let origin = Origin {
        cid: 1,
        echo: false,
    };
    let msg = publish(b"foo", b"x", b"1");
    assert_eq!(w.delivery.route(&w.account, origin, &msg), 1);
    assert_eq!(queued(&me), "");
    assert_eq!(w.route(1, &msg), 2, "echo on delivers to the publisher too");
}

#[test]
fn echo_off_in_a_queue_group_tries_the_next_member() {
    let mut w = World::new();
    let me = w.conn(1);
    let other = w.conn(2);
    subscribe(&me, "foo", Some("q"), "1");
    subscribe(&other, "foo", Some("q"), "1");
    let origin = Origin {
        cid: 1,
        echo: false,
    };
    for _ in 0..20 {
        assert_eq!(
            w.delivery
                .route(&w.account, origin, &publish(b"foo", b"x", b"1")),
            1
        );
    }
    assert_eq!(other.out.lock().msgs, 20);
}

#[test]
fn auto_unsubscribe_stops_at_max_and_removes_the_subscription() {
    let mut w = World::new();
    let a = w.conn(1);
    let sub = subscribe(&a, "foo", None, "1");
    sub.max.store(2, Relaxed);
    let delivered: usize = (0..5)
        .map(|_| w.route(9, &publish(b"foo", b"x", b"1")))
        .sum();
    assert_eq!(delivered, 2);
    assert_eq!(
        w.account.index.count(),
        1,
        "removed at the end of the batch"
    );
    let from = w.conn(9);
    w.delivery.end_batch(&from, &w.account, false);
    assert_eq!(w.account.index.count(), 0);
    assert!(a.subs.lock().is_empty());
}

#[test]
fn a_slow_consumer_is_closed_and_others_still_get_the_message() {
    let mut w = World::new();
    let slow = conn_in(&w.account, 1, 64);
    let fine = w.conn(2);
    subscribe(&slow, "foo", None, "1");
    subscribe(&fine, "foo", None, "1");
    let payload = [b'x'; 40];
    assert_eq!(w.route(9, &publish(b"foo", &payload, b"40")), 2);
    assert_eq!(w.route(9, &publish(b"foo", &payload, b"40")), 1);
    assert_eq!(
        slow.close_reason(),
        Some(CloseReason::SlowConsumerPendingBytes)
    );
    assert!(
        slow.out.lock().buf.is_empty(),
        "what it had queued is dropped"
    );
    assert_eq!(fine.out.lock().msgs, 2);
    assert_eq!(w.stats.slow_consumers.load(Relaxed), 1);
    assert_eq!(w.account.stats.counts().slow_consumers, 1, "in its account");
    assert_eq!(w.route(9, &publish(b"foo", &payload, b"40")), 1);
    assert_eq!(w.stats.slow_consumers.load(Relaxed), 1, "counted once");
}

#[test]
fn a_consumer_past_three_quarters_of_max_pending_stalls_the_publisher() {
    let mut w = World::new();
    let c = conn_in(&w.account, 1, 100);
    subscribe(&c, "foo", None, "1");
    w.route(9, &publish(b"foo", b"x", b"1"));
    assert!(w.delivery.take_stalled().is_none());
    let payload = [b'x'; 60];
    w.route(9, &publish(b"foo", &payload, b"60"));
    let stalled = w.delivery.take_stalled().expect("stalled");
    assert_eq!(stalled.cid, 1);
    assert!(w.delivery.take_stalled().is_none(), "taken once");
}

#[test]
fn a_consumer_that_holds_its_publishers_refuses_past_its_cap_and_stays_open() {
    let mut w = World::new();
    let held = conn_in(&w.account, 1, 64);
    held.hold_publishers_at(16);
    subscribe(&held, "foo", None, "1");
    let payload = [b'x'; 40];
    assert_eq!(w.route(9, &publish(b"foo", &payload, b"40")), 1);
    assert_eq!(w.delivery.take_stalled().map(|c| c.cid), Some(1));
    assert_eq!(w.route(9, &publish(b"foo", &payload, b"40")), 0, "refused");
    assert_eq!(
        w.delivery.take_stalled().map(|c| c.cid),
        Some(1),
        "still stalls"
    );
    assert!(held.close_reason().is_none(), "not cut");
    assert_eq!(held.out.lock().msgs, 1, "what it had is kept");
    assert_eq!(w.stats.slow_consumers.load(Relaxed), 0);
}

/// A refused message: subject, reply, payload.
type Refused = (Vec<u8>, Option<Vec<u8>>, Vec<u8>);

/// Records what it is told was refused.
#[derive(Default)]
struct Refusals(parking_lot::Mutex<Vec<Refused>>);

impl crate::internal::InternalHandler for Refusals {
    fn deliver(&self, _batch: &crate::internal::InternalBatch) {}

    fn refused(&self, msg: &crate::internal::InternalMsg<'_>) {
        self.0.lock().push((
            msg.subject.to_vec(),
            msg.reply.map(<[u8]>::to_vec),
            msg.payload.to_vec(),
        ));
    }
}

#[test]
fn each_refusal_past_the_cap_is_told_to_the_handler() {
    let mut w = World::new();
    let held = conn_in(&w.account, 1, 64);
    held.hold_publishers_at(16);
    let told = Arc::new(Refusals::default());
    held.tell_refusals_to(told.clone());
    subscribe(&held, "foo", None, "1");
    let payload = [b'x'; 40];
    assert_eq!(w.route(9, &publish(b"foo", &payload, b"40")), 1);
    assert!(told.0.lock().is_empty(), "a delivery is not a refusal");
    let refused = Publish {
        reply: Some(b"_INBOX.1"),
        ..publish(b"foo", &payload, b"40")
    };
    assert_eq!(w.route(9, &refused), 0);
    assert_eq!(w.route(9, &publish(b"foo", &payload, b"40")), 0);
    let told = told.0.lock();
    assert_eq!(told.len(), 2);
    assert_eq!(
        told[0],
        (
            b"foo".to_vec(),
            Some(b"_INBOX.1".to_vec()),
            payload.to_vec()
        )
    );
    assert_eq!(told[1].1, None);
}

#[test]
fn headers_go_to_subscribers_that_negotiated_them() {
    let mut w = World::new();
    let with = w.conn(1);
    let without = w.conn(2);
    with.headers.store(true, Relaxed);
    subscribe(&with, "foo", None, "1");
    subscribe(&without, "foo", None, "1");
    let data = b"NATS/1.0\r\nA: b\r\n\r\nhi";
    let msg = Publish {
        subject: b"foo",
        reply: None,
        header_len: Some(18),
        data,
        size_field: b"20",
        header_field: b"18",
    };
    assert_eq!(w.route(9, &msg), 2);
    assert_eq!(
        queued(&with),
        "HMSG foo 1 18 20\r\nNATS/1.0\r\nA: b\r\n\r\nhi\r\n"
    );
    assert_eq!(queued(&without), "MSG foo 1 2\r\nhi\r\n");
}

#[test]
fn a_subscribe_deny_filters_deliveries_to_an_overlapping_wildcard() {
    let mut w = World::new();
    let a = w.conn(1);
    let perms = Permissions {
        subscribe: Some(SubjectPermission {
            allow: vec![],
            deny: vec!["secret.>".into()],
        }),
        ..Permissions::default()
    };
    let perms = Arc::new(CompiledPermissions::compile(&perms).expect("compiles"));
    a.set_permissions(Some(perms.clone()));
    subscribe(&a, ">", None, "1");
    a.filter_deliveries_for(&perms, b">");
    assert_eq!(w.route(9, &publish(b"secret.x", b"x", b"1")), 0);
    assert_eq!(w.route(9, &publish(b"public.x", b"y", b"1")), 1);
    assert_eq!(queued(&a), "MSG public.x 1 1\r\ny\r\n");
}

#[test]
fn a_new_subscription_is_seen_by_a_publisher_with_a_warm_cache() {
    let mut w = World::new();
    let a = w.conn(1);
    let b = w.conn(2);
    subscribe(&a, "foo", None, "1");
    assert_eq!(w.route(9, &publish(b"foo", b"x", b"1")), 1);
    subscribe(&b, "foo", None, "1");
    assert_eq!(w.route(9, &publish(b"foo", b"x", b"1")), 2);
    let first = a.subs.lock().get(&b"1"[..]).cloned().expect("sub");
    crate::subscription::remove(&first);
    assert_eq!(w.route(9, &publish(b"foo", b"x", b"1")), 1);
}

#[test]
fn accounts_do_not_see_each_others_subscriptions() {
    let mut w = World::new();
    let other = Arc::new(Account::new("B", true));
    let mine = w.conn(1);
    let theirs = conn_in(&other, 2, MAX_PENDING);
    subscribe(&mine, "foo", None, "1");
    subscribe(&theirs, "foo", None, "1");
    assert_eq!(w.route(9, &publish(b"foo", b"x", b"1")), 1);
    assert_eq!(queued(&theirs), "");
}

#[test]
fn the_batch_settles_counters_once() {
    let mut w = World::new();
    let a = w.conn(1);
    let from = w.conn(9);
    subscribe(&a, "foo", None, "1");
    for _ in 0..3 {
        w.delivery.count_in(5);
        w.route(9, &publish(b"foo", b"hello", b"5"));
    }
    assert_eq!(
        w.stats.in_msgs.load(Relaxed),
        0,
        "nothing before the batch ends"
    );
    assert_eq!(w.account.stats.counts(), AccountCounts::default());
    w.delivery.end_batch(&from, &w.account, false);
    assert_eq!(w.stats.in_msgs.load(Relaxed), 3);
    assert_eq!(w.stats.in_bytes.load(Relaxed), 15);
    assert_eq!(w.stats.out_msgs.load(Relaxed), 3);
    assert_eq!(w.stats.out_bytes.load(Relaxed), 15);
    assert_eq!(from.in_msgs.load(Relaxed), 3);
    let account = w.account.stats.counts();
    assert_eq!(
        (
            account.in_msgs,
            account.in_bytes,
            account.out_msgs,
            account.out_bytes
        ),
        (3, 15, 3, 15)
    );
    assert!(!w.delivery.has_unflushed(), "recipients flushed");
}

#[test]
fn a_delivery_through_an_import_counts_in_the_account_that_got_it() {
    let mut w = World::new();
    let importer = Arc::new(Account::new("B", true));
    let mut links = Links::default();
    links.streams_out.push(StreamOut {
        from: b"foo".to_vec().into(),
        map: SubjectMap::Same,
        into: Arc::downgrade(&importer),
    });
    w.account.set_links(links);
    let mine = w.conn(1);
    let theirs = conn_in(&importer, 2, MAX_PENDING);
    subscribe(&mine, "foo", None, "1");
    subscribe(&theirs, "foo", None, "1");
    let from = w.conn(9);
    w.delivery.count_in(5);
    assert_eq!(w.route(9, &publish(b"foo", b"hello", b"5")), 2);
    w.delivery.end_batch(&from, &w.account, false);
    let (a, b) = (w.account.stats.counts(), importer.stats.counts());
    assert_eq!((a.in_msgs, a.out_msgs, a.out_bytes), (1, 1, 5));
    assert_eq!((b.in_msgs, b.out_msgs, b.out_bytes), (0, 1, 5));
    assert_eq!(w.stats.out_msgs.load(Relaxed), 2, "the server counts both");
}

#[test]
fn recipients_are_flushed_once_per_batch() {
    let mut w = World::new();
    let a = w.conn(1);
    subscribe(&a, "foo", None, "1");
    for _ in 0..10 {
        w.route(9, &publish(b"foo", b"x", b"1"));
    }
    assert!(w.delivery.has_unflushed());
    assert_eq!(a.out.lock().msgs, 10);
    // Small batches wait while more input is coming.
    let from = w.conn(9);
    w.delivery.end_batch(&from, &w.account, true);
    assert!(w.delivery.has_unflushed());
    w.delivery.end_batch(&from, &w.account, false);
    assert!(!w.delivery.has_unflushed());
}
