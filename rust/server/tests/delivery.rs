//! Delivery as clients see it: MSG framing, wildcards, queue groups, UNSUB (with a max),
//! echo, headers, no-responders, fan-out and ordering.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;

#[tokio::test(start_paused = true)]
async fn sub_pub_msg_between_two_connections() {
    let engine = start_default().await;
    let mut sub = Client::connected(&engine).await;
    let mut publ = Client::connected(&engine).await;
    sub.send(b"SUB foo 7\r\n").await;
    sub.sync().await;
    publ.send(&publish("foo", b"hello")).await;
    publ.sync().await;
    sub.expect(b"MSG foo 7 5\r\nhello\r\n").await;
    sub.sync().await;
    engine.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn sid_is_echoed_verbatim() {
    let engine = start_default().await;
    let mut c = Client::connected(&engine).await;
    c.send(b"SUB foo abc.DEF-1\r\nPUB foo 1\r\nx\r\nPING\r\n")
        .await;
    c.expect(b"MSG foo abc.DEF-1 1\r\nx\r\nPONG\r\n").await;
    engine.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn reply_subject_is_carried() {
    let engine = start_default().await;
    let mut c = Client::connected(&engine).await;
    c.send(b"SUB svc 1\r\nPUB svc _INBOX.abc.1 4\r\nping\r\nPING\r\n")
        .await;
    c.expect(b"MSG svc 1 _INBOX.abc.1 4\r\nping\r\nPONG\r\n")
        .await;
    engine.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn star_matches_exactly_one_token() {
    let engine = start_default().await;
    let mut c = Client::connected(&engine).await;
    c.send(b"SUB foo.* 1\r\n").await;
    for s in ["foo", "foo.bar", "foo.bar.baz", "foo.baz", "bar.foo"] {
        c.send(&publish(s, b"x")).await;
    }
    c.send(PING).await;
    let mut want = msg("foo.bar", "1", None, b"x");
    want.extend(msg("foo.baz", "1", None, b"x"));
    want.extend_from_slice(PONG);
    c.expect(&want).await;
    engine.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn gt_matches_one_or_more_trailing_tokens() {
    let engine = start_default().await;
    let mut c = Client::connected(&engine).await;
    c.send(b"SUB foo.> 1\r\nSUB > 2\r\n").await;
    for s in ["foo", "foo.bar", "foo.bar.baz"] {
        c.send(&publish(s, b"x")).await;
    }
    let got = c.msgs_until_pong().await;
    let mut lines: Vec<String> = got.into_iter().map(|(l, _)| l).collect();
    lines.sort();
    assert_eq!(
        lines,
        [
            "MSG foo 2 1",
            "MSG foo.bar 1 1",
            "MSG foo.bar 2 1",
            "MSG foo.bar.baz 1 1",
            "MSG foo.bar.baz 2 1"
        ]
    );
    engine.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn overlapping_subscriptions_each_get_a_copy() {
    let engine = start_default().await;
    let mut c = Client::connected(&engine).await;
    c.send(b"SUB a.b 1\r\nSUB a.* 2\r\nSUB a.> 3\r\nPUB a.b 1\r\nx\r\n")
        .await;
    let mut sids: Vec<String> = c
        .msgs_until_pong()
        .await
        .into_iter()
        .map(|(l, _)| l)
        .collect();
    sids.sort();
    assert_eq!(sids, ["MSG a.b 1 1", "MSG a.b 2 1", "MSG a.b 3 1"]);
    engine.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn duplicate_sid_keeps_the_first_subscription() {
    let engine = start_default().await;
    let mut c = Client::connected(&engine).await;
    c.send(b"SUB foo 1\r\nSUB bar 1\r\nPUB bar 1\r\nx\r\nPUB foo 1\r\ny\r\nPING\r\n")
        .await;
    c.expect(b"MSG foo 1 1\r\ny\r\nPONG\r\n").await;
    assert_eq!(client_subscriptions(&engine), 1);
    engine.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn queue_group_gets_one_copy_and_plain_subscribers_theirs() {
    let engine = start_default().await;
    let mut members = Vec::new();
    for _ in 0..3 {
        let mut m = Client::connected(&engine).await;
        m.send(b"SUB work workers 1\r\n").await;
        m.sync().await;
        members.push(m);
    }
    let mut plain = Client::connected(&engine).await;
    plain.send(b"SUB work 9\r\n").await;
    plain.sync().await;
    let mut publ = Client::connected(&engine).await;
    publ.send(&publish("work", b"job")).await;
    publ.sync().await;
    plain.expect(b"MSG work 9 3\r\njob\r\n").await;
    let mut got = 0;
    for m in &mut members {
        got += m.msgs_until_pong().await.len();
    }
    assert_eq!(got, 1);
    engine.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn queue_group_spreads_the_load() {
    let engine = start_default().await;
    let mut a = Client::connected(&engine).await;
    let mut b = Client::connected(&engine).await;
    a.send(b"SUB work q 1\r\n").await;
    b.send(b"SUB work q 1\r\n").await;
    a.sync().await;
    b.sync().await;
    let mut publ = Client::connected(&engine).await;
    let mut batch = Vec::new();
    for i in 0..200 {
        batch.extend(publish("work", format!("{i}").as_bytes()));
    }
    publ.send(&batch).await;
    publ.sync().await;
    let (na, nb) = (
        a.msgs_until_pong().await.len(),
        b.msgs_until_pong().await.len(),
    );
    assert_eq!(na + nb, 200);
    // Random choice: the chance of a 180/20 split or worse is below 1e-30.
    assert!(na > 20 && nb > 20, "{na} / {nb}");
    engine.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn queue_group_skips_the_publisher_without_echo() {
    let engine = start_default().await;
    let mut me = Client::new(&engine).await;
    me.connect(r#"{"verbose":false,"echo":false}"#).await;
    let mut other = Client::connected(&engine).await;
    me.send(b"SUB work q 1\r\n").await;
    other.send(b"SUB work q 1\r\n").await;
    me.sync().await;
    other.sync().await;
    let mut batch = Vec::new();
    for _ in 0..20 {
        batch.extend(publish("work", b"x"));
    }
    me.send(&batch).await;
    assert!(me.msgs_until_pong().await.is_empty());
    assert_eq!(other.msgs_until_pong().await.len(), 20);
    engine.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn unsub_stops_delivery() {
    let engine = start_default().await;
    let mut c = Client::connected(&engine).await;
    c.send(b"SUB foo 1\r\nPUB foo 1\r\na\r\nUNSUB 1\r\nPUB foo 1\r\nb\r\nPING\r\n")
        .await;
    c.expect(b"MSG foo 1 1\r\na\r\nPONG\r\n").await;
    assert_eq!(client_subscriptions(&engine), 0);
    engine.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn unsub_with_max_delivers_max_then_removes() {
    let engine = start_default().await;
    let mut sub = Client::connected(&engine).await;
    sub.send(b"SUB foo 1\r\nUNSUB 1 2\r\n").await;
    sub.sync().await;
    let mut publ = Client::connected(&engine).await;
    for p in [b"a", b"b", b"c", b"d"] {
        publ.send(&publish("foo", p)).await;
    }
    publ.sync().await;
    sub.send(PING).await;
    sub.expect(b"MSG foo 1 1\r\na\r\nMSG foo 1 1\r\nb\r\nPONG\r\n")
        .await;
    eventually("subscription removed", || {
        client_subscriptions(&engine) == 0
    })
    .await;
    engine.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn unsub_max_counts_from_sub_not_from_unsub() {
    let engine = start_default().await;
    let mut c = Client::connected(&engine).await;
    c.send(
        b"SUB foo 1\r\nPUB foo 1\r\na\r\nPUB foo 1\r\nb\r\nUNSUB 1 2\r\nPUB foo 1\r\nc\r\nPING\r\n",
    )
    .await;
    c.expect(b"MSG foo 1 1\r\na\r\nMSG foo 1 1\r\nb\r\nPONG\r\n")
        .await;
    assert_eq!(client_subscriptions(&engine), 0);
    engine.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn echo_false_skips_own_messages_only() {
    let engine = start_default().await;
    let mut me = Client::new(&engine).await;
    me.connect(r#"{"verbose":false,"echo":false}"#).await;
    let mut other = Client::connected(&engine).await;
    me.send(b"SUB foo 1\r\n").await;
    me.send(&publish("foo", b"mine")).await;
    me.sync().await;
    other.send(&publish("foo", b"theirs")).await;
    other.sync().await;
    me.send(PING).await;
    me.expect(b"MSG foo 1 6\r\ntheirs\r\nPONG\r\n").await;
    engine.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn hpub_arrives_as_hmsg_with_the_sizes_echoed() {
    let engine = start_default().await;
    let mut c = Client::connected(&engine).await;
    c.send(b"SUB foo 1\r\nHPUB foo reply 22 24\r\nNATS/1.0\r\nBar: Baz\r\n\r\nhi\r\nPING\r\n")
        .await;
    c.expect(b"HMSG foo 1 reply 22 24\r\nNATS/1.0\r\nBar: Baz\r\n\r\nhi\r\nPONG\r\n")
        .await;
    engine.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn headers_are_stripped_for_a_subscriber_without_them() {
    let engine = start_default().await;
    let mut plain = Client::new(&engine).await;
    plain
        .connect(r#"{"verbose":false,"pedantic":false,"headers":false}"#)
        .await;
    plain.send(b"SUB foo 1\r\n").await;
    plain.sync().await;
    let mut publ = Client::connected(&engine).await;
    publ.send(b"HPUB foo 22 27\r\nNATS/1.0\r\nBar: Baz\r\n\r\nhello\r\n")
        .await;
    publ.sync().await;
    plain.send(PING).await;
    plain.expect(b"MSG foo 1 5\r\nhello\r\nPONG\r\n").await;
    engine.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn no_responders_sends_a_503_to_the_requester() {
    let engine = start_default().await;
    let mut c = Client::connected(&engine).await;
    c.send(b"SUB _INBOX.x.* 3\r\nPUB svc.none _INBOX.x.1 2\r\nhi\r\nPING\r\n")
        .await;
    let block = b"NATS/1.0 503\r\nNats-Subject: svc.none\r\n\r\n";
    assert_eq!(block.len(), 32 + "svc.none".len());
    let mut want = format!("HMSG _INBOX.x.1 3 {0} {0}\r\n", block.len()).into_bytes();
    want.extend_from_slice(block);
    want.extend_from_slice(b"\r\n");
    want.extend_from_slice(PONG);
    c.expect(&want).await;
    engine.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn no_503_when_someone_answered_or_without_no_responders() {
    let engine = start_default().await;
    let mut c = Client::connected(&engine).await;
    let mut svc = Client::connected(&engine).await;
    svc.send(b"SUB svc 1\r\n").await;
    svc.sync().await;
    c.send(b"SUB _INBOX.x.* 3\r\nPUB svc _INBOX.x.1 2\r\nhi\r\nPING\r\n")
        .await;
    c.expect(PONG).await;
    let mut quiet = Client::new(&engine).await;
    quiet.connect(r#"{"verbose":false,"headers":true}"#).await;
    quiet
        .send(b"SUB _INBOX.y.* 3\r\nPUB nobody _INBOX.y.1 2\r\nhi\r\n")
        .await;
    quiet.sync().await;
    engine.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn size_digits_are_echoed_as_sent() {
    let engine = start_default().await;
    let mut c = Client::connected(&engine).await;
    c.send(b"SUB foo 1\r\nPUB foo 02\r\nhi\r\nPUB foo 0005\r\nhello\r\nPING\r\n")
        .await;
    c.expect(b"MSG foo 1 02\r\nhi\r\nMSG foo 1 0005\r\nhello\r\nPONG\r\n")
        .await;
    engine.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn zero_length_payloads() {
    let engine = start_default().await;
    let mut c = Client::connected(&engine).await;
    c.send(b"SUB foo 1\r\nPUB foo 0\r\n\r\nPUB foo r 0\r\n\r\nHPUB foo 12 12\r\nNATS/1.0\r\n\r\n\r\nPING\r\n")
        .await;
    c.expect(
        b"MSG foo 1 0\r\n\r\nMSG foo 1 r 0\r\n\r\nHMSG foo 1 12 12\r\nNATS/1.0\r\n\r\n\r\nPONG\r\n",
    )
    .await;
    engine.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn fan_out_to_many_subscribers() {
    let engine = start_default().await;
    let mut subs = Vec::new();
    for i in 0..40 {
        let mut s = Client::connected(&engine).await;
        s.send(format!("SUB fan.> {i}\r\n").as_bytes()).await;
        s.sync().await;
        subs.push(s);
    }
    let mut publ = Client::connected(&engine).await;
    publ.send(&publish("fan.out", b"all")).await;
    publ.send(&publish("fan.out", b"again")).await;
    publ.sync().await;
    for (i, s) in subs.iter_mut().enumerate() {
        s.send(PING).await;
        let mut want = msg("fan.out", &i.to_string(), None, b"all");
        want.extend(msg("fan.out", &i.to_string(), None, b"again"));
        want.extend_from_slice(PONG);
        s.expect(&want).await;
    }
    let stats = engine.stats();
    assert_eq!(stats.in_msgs, 2);
    assert_eq!(stats.out_msgs, 80);
    assert_eq!(stats.out_bytes, 40 * 8);
    assert_eq!(client_subscriptions(&engine), 40);
    engine.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn order_is_kept_per_publisher() {
    let engine = start_default().await;
    let mut sub = Client::connected(&engine).await;
    sub.send(b"SUB seq 1\r\n").await;
    sub.sync().await;
    let mut publ = Client::connected(&engine).await;
    let mut batch = Vec::new();
    for i in 0..500 {
        batch.extend(publish("seq", format!("{i}").as_bytes()));
    }
    publ.send(&batch).await;
    publ.sync().await;
    let got = sub.msgs_until_pong().await;
    let payloads: Vec<String> = got
        .into_iter()
        .map(|(_, p)| String::from_utf8(p).unwrap())
        .collect();
    let want: Vec<String> = (0..500).map(|i| i.to_string()).collect();
    assert_eq!(payloads, want);
    engine.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn ops_split_at_every_byte() {
    let engine = start_default().await;
    let mut c = Client::connected(&engine).await;
    let ops =
        b"SUB foo 1\r\nPUB foo bar 5\r\nhello\r\nHPUB foo 12 14\r\nNATS/1.0\r\n\r\nhi\r\nPING\r\n";
    for b in ops {
        c.send(&[*b]).await;
        tokio::task::yield_now().await;
    }
    c.expect(b"MSG foo 1 bar 5\r\nhello\r\nHMSG foo 1 12 14\r\nNATS/1.0\r\n\r\nhi\r\nPONG\r\n")
        .await;
    engine.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn large_payload_arrives_whole() {
    let engine = start_default().await;
    let mut c = Client::connected(&engine).await;
    let payload: Vec<u8> = (0..1_000_000u32).map(|i| b'a' + (i % 26) as u8).collect();
    c.send(b"SUB big 1\r\n").await;
    c.send(&publish("big", &payload)).await;
    let (line, body) = c.read_msg().await;
    assert_eq!(line, "MSG big 1 1000000");
    assert!(body == payload);
    c.sync().await;
    engine.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn connection_counters() {
    let engine = start_default().await;
    let mut c = Client::connected(&engine).await;
    c.send(b"SUB a 1\r\nPUB a 3\r\nabc\r\nPUB b 2\r\nxy\r\n")
        .await;
    c.msgs_until_pong().await;
    let conns = fastnats_server::monitor::connections(engine.shared());
    assert_eq!(conns.len(), 1);
    let me = &conns[0];
    assert_eq!((me.in_msgs, me.in_bytes), (2, 5));
    assert_eq!((me.out_msgs, me.out_bytes), (1, 3));
    assert_eq!(me.subs.len(), 1);
    assert_eq!(me.subs[0].subject, "a");
    assert_eq!(me.subs[0].msgs, 1);
    let s = engine.stats();
    assert_eq!(
        (s.in_msgs, s.in_bytes, s.out_msgs, s.out_bytes),
        (2, 5, 1, 3)
    );
    assert_eq!((s.connections, s.total_connections), (1, 1));
    engine.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn a_queue_member_that_leaves_hands_over_to_the_rest() {
    let engine = start_default().await;
    let mut a = Client::connected(&engine).await;
    let mut b = Client::connected(&engine).await;
    a.send(b"SUB work q 1\r\n").await;
    b.send(b"SUB work q 1\r\n").await;
    a.sync().await;
    b.sync().await;
    a.send(b"UNSUB 1\r\n").await;
    a.sync().await;
    let mut publ = Client::connected(&engine).await;
    for _ in 0..10 {
        publ.send(&publish("work", b"x")).await;
    }
    publ.sync().await;
    assert!(a.msgs_until_pong().await.is_empty());
    assert_eq!(b.msgs_until_pong().await.len(), 10);
    engine.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn a_closed_connection_takes_its_subscriptions_along() {
    let engine = start_default().await;
    let mut sub = Client::connected(&engine).await;
    sub.send(b"SUB a 1\r\nSUB b 2\r\nSUB c q 3\r\n").await;
    sub.sync().await;
    assert_eq!(client_subscriptions(&engine), 3);
    let cid = sub.cid();
    drop(sub);
    let closed = closed_conn(&engine, cid).await;
    assert_eq!(closed.reason, Some("Client Closed"));
    // Monitoring keeps what the closed connection had.
    let subjects: Vec<&str> = closed.subs.iter().map(|s| s.subject.as_str()).collect();
    assert_eq!(subjects, ["a", "b", "c"]);
    assert_eq!(client_subscriptions(&engine), 0);
    let mut publ = Client::connected(&engine).await;
    publ.send(&publish("a", b"nobody")).await;
    publ.sync().await;
    assert_eq!(engine.stats().out_msgs, 0);
    engine.shutdown().await;
}
