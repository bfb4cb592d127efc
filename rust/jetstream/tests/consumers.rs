//! Consumers on a real engine, through the raw client protocol: the API, pull requests and
//! their status messages, acks, redelivery, push delivery, retention and restarts. Every
//! read is bounded by a timeout; no test asserts a timing (short ack waits only make the
//! tests quick).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{engine, run, start_js, started, Client, Msg};
use serde_json::{json, Value};

/// Creates stream `name` on `subjects` with extra config fields.
async fn stream(c: &mut Client, name: &str, subjects: &[&str], extra: Value) {
    let mut cfg = json!({"name": name, "subjects": subjects});
    for (k, v) in extra.as_object().unwrap() {
        cfg[k] = v.clone();
    }
    let r = c
        .request(&format!("$JS.API.STREAM.CREATE.{name}"), &cfg.to_string())
        .await;
    assert_eq!(r["did_create"], true, "{r}");
}

/// Creates a durable consumer `name` on `stream`.
async fn durable(c: &mut Client, stream: &str, name: &str, cfg: Value) -> Value {
    let mut cfg = cfg;
    cfg["durable_name"] = json!(name);
    let body = json!({"stream_name": stream, "config": cfg});
    c.request(
        &format!("$JS.API.CONSUMER.CREATE.{stream}.{name}"),
        &body.to_string(),
    )
    .await
}

/// Sends a pull request with `body` and a reply of its own, returns the reply subject.
async fn pull(c: &mut Client, stream: &str, consumer: &str, body: &str) -> String {
    c.inbox += 1;
    let reply = format!("_R.p{}", c.inbox);
    let b = Client::pub_bytes(
        &format!("$JS.API.CONSUMER.MSG.NEXT.{stream}.{consumer}"),
        Some(&reply),
        &[],
        body.as_bytes(),
    );
    c.send(&b).await;
    reply
}

/// Acks `m` with `body`.
async fn ack(c: &mut Client, m: &Msg, body: &str) {
    let b = Client::pub_bytes(m.reply.as_deref().unwrap(), None, &[], body.as_bytes());
    c.send(&b).await;
}

/// Acks `m` and waits for the server's confirmation (ack sync).
async fn ack_sync(c: &mut Client, m: &Msg, body: &str) {
    let reply = format!("_R.ack{}", m.reply.as_deref().unwrap().len());
    let b = Client::pub_bytes(
        m.reply.as_deref().unwrap(),
        Some(&reply),
        &[],
        body.as_bytes(),
    );
    c.send(&b).await;
    let r = c.msg().await;
    assert_eq!(r.subject, reply);
    assert!(r.payload.is_empty() && r.headers.is_empty());
}

async fn info(c: &mut Client, stream: &str, consumer: &str) -> Value {
    c.request(&format!("$JS.API.CONSUMER.INFO.{stream}.{consumer}"), "")
        .await
}

#[test]
fn the_consumer_api_creates_lists_and_deletes() {
    run(api_body);
}

async fn api_body() {
    let (_dir, e, js, mut c) = started().await;
    stream(&mut c, "S", &["s.>"], json!({})).await;
    for i in 0..3 {
        c.publish("s.a", &[], &format!("m{i}")).await;
    }
    let r = durable(&mut c, "S", "D", json!({"ack_policy": "explicit"})).await;
    assert_eq!(
        r["type"],
        "io.nats.jetstream.api.v1.consumer_create_response"
    );
    assert_eq!(r["name"], "D");
    assert_eq!(r["stream_name"], "S");
    assert_eq!(r["config"]["ack_wait"], 30_000_000_000u64);
    assert_eq!(r["config"]["max_ack_pending"], 1000);
    assert_eq!(r["config"]["max_waiting"], 512);
    assert_eq!(r["num_pending"], 3, "{r}");
    assert_eq!(r["delivered"], json!({"consumer_seq": 0, "stream_seq": 0}));
    // The same config again is fine; a different one with action create is refused.
    let r = durable(&mut c, "S", "D", json!({"ack_policy": "explicit"})).await;
    assert!(r.get("error").is_none(), "{r}");
    let body = json!({"stream_name": "S", "action": "create",
        "config": {"durable_name": "D", "ack_policy": "explicit", "max_deliver": 5}});
    let r = c
        .request("$JS.API.CONSUMER.CREATE.S.D", &body.to_string())
        .await;
    assert_eq!(r["error"]["description"], "consumer already exists");
    let body = json!({"stream_name": "S", "action": "update",
        "config": {"durable_name": "X", "ack_policy": "explicit"}});
    let r = c
        .request("$JS.API.CONSUMER.CREATE.S.X", &body.to_string())
        .await;
    assert_eq!(r["error"]["description"], "consumer does not exist");
    // An update that may be made, and one that may not.
    let r = durable(
        &mut c,
        "S",
        "D",
        json!({"ack_policy": "explicit", "description": "new"}),
    )
    .await;
    assert_eq!(r["config"]["description"], "new", "{r}");
    let r = durable(&mut c, "S", "D", json!({"ack_policy": "all"})).await;
    assert_eq!(r["error"]["description"], "ack policy can not be updated");
    // Legacy durable create, and an ephemeral with a generated name.
    let body =
        json!({"stream_name": "S", "config": {"durable_name": "L", "filter_subject": "s.b"}});
    let r = c
        .request("$JS.API.CONSUMER.DURABLE.CREATE.S.L", &body.to_string())
        .await;
    assert_eq!(r["num_pending"], 0, "{r}");
    let body = json!({"stream_name": "S", "config": {"deliver_policy": "last"}});
    let r = c
        .request("$JS.API.CONSUMER.CREATE.S", &body.to_string())
        .await;
    let eph = r["name"].as_str().unwrap().to_string();
    assert_eq!(eph.len(), 8);
    assert_eq!(r["num_pending"], 1);
    assert_eq!(r["config"]["inactive_threshold"], 5_000_000_000u64);
    // Filter in the subject.
    let body = json!({"stream_name": "S", "config": {"name": "F", "filter_subject": "s.a"}});
    let r = c
        .request("$JS.API.CONSUMER.CREATE.S.F.s.a", &body.to_string())
        .await;
    assert_eq!(r["num_pending"], 3, "{r}");

    let r = c.request("$JS.API.CONSUMER.NAMES.S", "").await;
    let mut want = vec!["D", "F", "L", eph.as_str()];
    want.sort_unstable();
    assert_eq!(r["consumers"], json!(want));
    assert_eq!(r["total"], 4);
    let r = c
        .request("$JS.API.CONSUMER.LIST.S", r#"{"offset":3}"#)
        .await;
    assert_eq!(r["consumers"].as_array().unwrap().len(), 1);
    assert_eq!(r["offset"], 3);
    let r = c.request("$JS.API.STREAM.INFO.S", "").await;
    assert_eq!(r["state"]["consumer_count"], 4);
    let r = c.request("$JS.API.CONSUMER.DELETE.S.F", "").await;
    assert_eq!(
        r,
        json!({"type": "io.nats.jetstream.api.v1.consumer_delete_response", "success": true})
    );
    let r = info(&mut c, "S", "F").await;
    assert_eq!(
        r["error"],
        json!({"code": 404, "err_code": 10014, "description": "consumer not found"})
    );
    let r = info(&mut c, "NOPE", "F").await;
    assert_eq!(r["error"]["description"], "stream not found");
    // A pull request for a consumer that does not exist: no responders.
    let m = c.request_h("$JS.API.CONSUMER.MSG.NEXT.S.F", &[], b"").await;
    assert!(m.headers.starts_with(b"NATS/1.0 503"), "{}", m.hdr());
    js.shutdown();
    e.shutdown().await;
}

#[test]
fn pull_requests_get_messages_and_status_replies() {
    run(pull_body);
}

async fn pull_body() {
    let (_dir, e, js, mut c) = started().await;
    stream(&mut c, "P", &["p.*"], json!({})).await;
    for i in 1..=5 {
        c.publish(&format!("p.{}", i % 2), &[("K", "v")], &format!("m{i}"))
            .await;
    }
    let r = durable(
        &mut c,
        "P",
        "C",
        json!({"ack_policy": "explicit", "max_waiting": 1}),
    )
    .await;
    assert!(r.get("error").is_none(), "{r}");

    // One message: original subject, headers kept, the v1 ack reply.
    let m = c.request_h("$JS.API.CONSUMER.MSG.NEXT.P.C", &[], b"").await;
    assert_eq!(m.subject, "p.1");
    assert_eq!(m.text(), "m1");
    assert_eq!(m.hdr(), "NATS/1.0\r\nK: v\r\n\r\n");
    let reply = m.reply.clone().unwrap();
    let t: Vec<&str> = reply.split('.').collect();
    assert_eq!(&t[..7], ["$JS", "ACK", "P", "C", "1", "1", "1"], "{reply}");
    assert_eq!(t[8], "4", "pending after this one");
    ack_sync(&mut c, &m, "").await;

    // A batch of two with a number body.
    pull(&mut c, "P", "C", "2").await;
    let a = c.msg().await;
    let b = c.msg().await;
    assert_eq!((a.subject.as_str(), a.text().as_str()), ("p.0", "m2"));
    assert_eq!(b.text(), "m3");
    ack_sync(&mut c, &a, "+ACK").await;
    // +NXT acks and asks for the next one on its reply.
    let nxt = "_R.nxt";
    c.send(&Client::pub_bytes(
        b.reply.as_deref().unwrap(),
        Some(nxt),
        &[],
        b"+NXT",
    ))
    .await;
    let n = c.msg().await;
    assert_eq!((n.subject.as_str(), n.text().as_str()), ("p.0", "m4"));
    ack_sync(&mut c, &n, "+TERM because").await;

    // max_bytes: the message is larger than asked for.
    pull(&mut c, "P", "C", r#"{"batch":5,"max_bytes":10}"#).await;
    let s = c.msg().await;
    assert!(
        s.hdr().starts_with("NATS/1.0 409 Message Size Exceeds MaxBytes\r\nNats-Pending-Messages: 5\r\nNats-Pending-Bytes: 10\r\n"),
        "{}",
        s.hdr()
    );
    // no_wait with one message left: the message, then 404.
    pull(&mut c, "P", "C", r#"{"batch":3,"no_wait":true}"#).await;
    let m5 = c.msg().await;
    assert_eq!(m5.text(), "m5");
    let s = c.msg().await;
    assert_eq!(s.hdr(), "NATS/1.0 404 No Messages\r\n\r\n");
    ack_sync(&mut c, &m5, "").await;
    // Nothing left: no_wait is 404 at once; expires gives 408 with the counts.
    pull(&mut c, "P", "C", r#"{"batch":1,"no_wait":true}"#).await;
    assert_eq!(c.msg().await.hdr(), "NATS/1.0 404 No Messages\r\n\r\n");
    pull(&mut c, "P", "C", r#"{"batch":2,"expires":50000000}"#).await;
    assert_eq!(
        c.msg().await.hdr(),
        "NATS/1.0 408 Request Timeout\r\nNats-Pending-Messages: 2\r\nNats-Pending-Bytes: 0\r\n\r\n"
    );
    // max_waiting 1: a second waiting request is refused.
    pull(&mut c, "P", "C", r#"{"batch":1}"#).await;
    pull(&mut c, "P", "C", r#"{"batch":1}"#).await;
    assert_eq!(
        c.msg().await.hdr(),
        "NATS/1.0 409 Exceeded MaxWaiting\r\n\r\n"
    );
    // The waiting one gets the next message published.
    let dbg = c.request_h("$JS.API.CONSUMER.INFO.P.C", &[], b"").await;
    let r: Value = serde_json::from_slice(&dbg.payload).unwrap_or_else(|_| panic!("{dbg:?}"));
    assert_eq!(r["num_waiting"], 1, "{r}");
    c.send(&Client::pub_bytes("p.9", None, &[], b"late")).await;
    let m = c.msg().await;
    assert_eq!((m.subject.as_str(), m.text().as_str()), ("p.9", "late"));
    assert!(m.reply.unwrap().starts_with("$JS.ACK.P.C.1.6.6."));
    // Limits of the request checked against the consumer's.
    let r = durable(
        &mut c,
        "P",
        "B",
        json!({"ack_policy": "explicit", "max_batch": 2, "deliver_policy": "new"}),
    )
    .await;
    assert!(r.get("error").is_none(), "{r}");
    pull(&mut c, "P", "B", r#"{"batch":3}"#).await;
    assert_eq!(
        c.msg().await.hdr(),
        "NATS/1.0 409 Exceeded MaxRequestBatch of 2\r\n\r\n"
    );
    // Deleting a consumer answers its waiting requests.
    pull(&mut c, "P", "B", r#"{"batch":1,"expires":60000000000}"#).await;
    let r = c.request("$JS.API.CONSUMER.INFO.P.B", "").await;
    assert_eq!(r["num_waiting"], 1, "{r}");
    c.send(&Client::pub_bytes(
        "$JS.API.CONSUMER.DELETE.P.B",
        Some("_R.del"),
        &[],
        b"",
    ))
    .await;
    let first = c.msg().await;
    let second = c.msg().await;
    let (status, answer) = if first.headers.is_empty() {
        (second, first)
    } else {
        (first, second)
    };
    assert_eq!(status.hdr(), "NATS/1.0 409 Consumer Deleted\r\n\r\n");
    assert!(answer.text().contains("\"success\":true"));

    let r = info(&mut c, "P", "C").await;
    assert_eq!(r["delivered"]["consumer_seq"], 6);
    assert_eq!(r["delivered"]["stream_seq"], 6);
    assert_eq!(r["ack_floor"]["stream_seq"], 5, "{r}");
    assert_eq!(r["num_ack_pending"], 1);
    assert_eq!(r["num_pending"], 0);
    js.shutdown();
    e.shutdown().await;
}

#[test]
fn unacked_messages_come_back_and_naks_redeliver() {
    run(redeliver_body);
}

async fn redeliver_body() {
    let (_dir, e, js, mut c) = started().await;
    stream(&mut c, "R", &["r"], json!({})).await;
    c.publish("r", &[], "one").await;
    c.publish("r", &[], "two").await;
    let r = durable(
        &mut c,
        "R",
        "C",
        json!({"ack_policy": "explicit", "ack_wait": 200_000_000, "max_deliver": 3}),
    )
    .await;
    assert!(r.get("error").is_none(), "{r}");
    pull(&mut c, "R", "C", r#"{"batch":10,"expires":30000000000}"#).await;
    let m1 = c.msg().await;
    let m2 = c.msg().await;
    assert_eq!((m1.text().as_str(), m2.text().as_str()), ("one", "two"));
    ack(&mut c, &m2, "").await;
    // m1 is not acked: after ack_wait it comes again with delivery count 2.
    let again = c.msg().await;
    assert_eq!(again.text(), "one");
    assert!(
        again
            .reply
            .as_deref()
            .unwrap()
            .starts_with("$JS.ACK.R.C.2.1.3."),
        "{again:?}"
    );
    // -NAK: at once, count 3; then it is exhausted (max_deliver 3).
    ack(&mut c, &again, "-NAK").await;
    let third = c.msg().await;
    assert!(third
        .reply
        .as_deref()
        .unwrap()
        .starts_with("$JS.ACK.R.C.3.1.4."));
    ack(&mut c, &third, "-NAK").await;
    let r = info(&mut c, "R", "C").await;
    assert_eq!(r["num_ack_pending"], 0, "{r}");
    assert_eq!(r["num_redelivered"], 1, "{r}");
    assert_eq!(r["ack_floor"]["stream_seq"], 2, "{r}");
    // A nak with a delay, and +WPI.
    c.publish("r", &[], "three").await;
    let m3 = c.msg().await;
    assert_eq!(m3.text(), "three");
    ack_sync(&mut c, &m3, "+WPI").await;
    ack_sync(&mut c, &m3, r#"-NAK {"delay":100000000}"#).await;
    let m3b = c.msg().await;
    assert_eq!(m3b.text(), "three");
    ack_sync(&mut c, &m3b, "+ACK").await;
    let r = info(&mut c, "R", "C").await;
    assert_eq!(r["num_ack_pending"], 0, "{r}");
    js.shutdown();
    e.shutdown().await;
}

#[test]
fn ack_state_survives_a_restart() {
    run(restart_body);
}

async fn restart_body() {
    let dir = tempfile::tempdir().unwrap();
    {
        let e = engine().await;
        let js = start_js(&e, dir.path());
        let mut c = Client::connect(&e).await;
        stream(&mut c, "K", &["k"], json!({})).await;
        for i in 1..=4 {
            c.publish("k", &[], &format!("m{i}")).await;
        }
        durable(&mut c, "K", "C", json!({"ack_policy": "explicit"})).await;
        let r = durable(
            &mut c,
            "K",
            "M",
            json!({"ack_policy": "explicit", "mem_storage": true}),
        )
        .await;
        assert!(r.get("error").is_none());
        pull(&mut c, "K", "C", "3").await;
        let m1 = c.msg().await;
        let _m2 = c.msg().await;
        let m3 = c.msg().await;
        ack_sync(&mut c, &m1, "").await;
        ack_sync(&mut c, &m3, "").await;
        js.shutdown();
        drop(js);
        e.shutdown().await;
    }
    let e = engine().await;
    let js = start_js(&e, dir.path());
    let mut c = Client::connect(&e).await;
    let r = info(&mut c, "K", "C").await;
    assert_eq!(r["delivered"]["consumer_seq"], 3, "{r}");
    assert_eq!(r["ack_floor"]["stream_seq"], 1, "{r}");
    assert_eq!(r["num_ack_pending"], 1);
    assert_eq!(r["num_pending"], 1);
    let r = info(&mut c, "K", "M").await;
    assert_eq!(r["error"]["code"], 404, "memory consumers are not kept");
    // The next is m4; m2 is still pending (redelivered after its ack wait, 30 s).
    let m = c.request_h("$JS.API.CONSUMER.MSG.NEXT.K.C", &[], b"").await;
    assert_eq!(m.text(), "m4");
    assert!(m.reply.unwrap().starts_with("$JS.ACK.K.C.1.4.4."));
    js.shutdown();
    e.shutdown().await;
}

/// Subscribes `subject` (queue `queue`) as `sid` and waits until the server has it.
async fn sub(c: &mut Client, subject: &str, queue: Option<&str>, sid: u32) {
    let q = queue.map(|q| format!(" {q}")).unwrap_or_default();
    c.send(format!("SUB {subject}{q} {sid}\r\nPING\r\n").as_bytes())
        .await;
    // Deliveries to earlier subscriptions may come first: kept for `msg`.
    c.pong().await;
}

#[test]
fn push_consumers_deliver_with_heartbeats_and_flow_control() {
    run(push_body);
}

async fn push_body() {
    let (_dir, e, js, mut c) = started().await;
    stream(&mut c, "Q", &["q.>"], json!({})).await;
    for i in 1..=3 {
        c.publish("q.x", &[("A", "b")], &format!("m{i}")).await;
    }
    sub(&mut c, "d.in", None, 2).await;
    let r = durable(
        &mut c,
        "Q",
        "P",
        json!({"deliver_subject": "d.in", "ack_policy": "explicit", "idle_heartbeat": 100_000_000,
               "flow_control": true, "headers_only": true}),
    )
    .await;
    assert!(r.get("error").is_none(), "{r}");
    let mut got = Vec::new();
    while got.len() < 3 {
        let m = c.msg().await;
        if m.subject == "q.x" {
            got.push(m);
        }
    }
    for m in &got {
        assert_eq!(m.hdr(), "NATS/1.0\r\nA: b\r\nNats-Msg-Size: 2\r\n\r\n");
        assert!(m.payload.is_empty());
    }
    for m in &got {
        ack(&mut c, m, "").await;
    }
    // Idle: a heartbeat with the last sequences.
    let hb = loop {
        let m = c.msg().await;
        if m.hdr().starts_with("NATS/1.0 100 Idle Heartbeat") {
            break m;
        }
    };
    assert_eq!(
        hb.hdr(),
        "NATS/1.0 100 Idle Heartbeat\r\nNats-Last-Consumer: 3\r\nNats-Last-Stream: 3\r\n\r\n"
    );
    assert_eq!(hb.subject, "d.in");

    // Flow control: past half of the first 2 MiB window a request comes; answering it
    // lets delivery go on.
    let r = durable(
        &mut c,
        "Q",
        "F",
        json!({"deliver_subject": "d.fc", "ack_policy": "none", "idle_heartbeat": 1_000_000_000,
               "flow_control": true, "deliver_policy": "new"}),
    )
    .await;
    assert!(r.get("error").is_none(), "{r}");
    sub(&mut c, "d.fc", None, 3).await;
    let big = "x".repeat(100_000);
    for _ in 0..30 {
        c.send(&Client::pub_bytes("q.big", None, &[], big.as_bytes()))
            .await;
    }
    let mut data = 0;
    let mut fc = None;
    while data < 30 {
        let m = c.msg().await;
        if m.subject == "q.big" {
            data += 1;
        } else if m.hdr() == "NATS/1.0 100 FlowControl Request\r\n\r\n" {
            assert_eq!(m.subject, "d.fc");
            let reply = m.reply.clone().unwrap();
            assert!(reply.starts_with("$JS.FC.Q.F."), "{reply}");
            c.send(&Client::pub_bytes(&reply, None, &[], b"")).await;
            fc = Some(reply);
        }
    }
    assert!(fc.is_some(), "a flow-control request came");

    // A queue group on the deliver subject, and a push consumer nobody listens to yet.
    let r = durable(
        &mut c,
        "Q",
        "G",
        json!({"deliver_subject": "d.g", "deliver_group": "grp", "filter_subject": "q.g",
               "ack_policy": "explicit"}),
    )
    .await;
    assert!(r.get("error").is_none(), "{r}");
    c.publish("q.g", &[], "queued").await;
    let r = info(&mut c, "Q", "G").await;
    assert_eq!(
        r["num_pending"], 1,
        "nobody listens: nothing delivered, {r}"
    );
    assert_eq!(r["delivered"]["consumer_seq"], 0);
    sub(&mut c, "d.g", Some("grp"), 4).await;
    let m = loop {
        let m = c.msg().await;
        if m.sid == "4" {
            break m;
        }
    };
    assert_eq!(m.text(), "queued");
    assert!(m.reply.unwrap().starts_with("$JS.ACK.Q.G.1."));
    js.shutdown();
    e.shutdown().await;
}

#[test]
fn retention_removes_what_consumers_are_done_with() {
    run(retention_body);
}

async fn retention_body() {
    let (_dir, e, js, mut c) = started().await;
    // Work queue: an acked message leaves the stream.
    stream(&mut c, "W", &["w.*"], json!({"retention": "workqueue"})).await;
    c.publish("w.a", &[], "1").await;
    c.publish("w.a", &[], "2").await;
    let r = durable(&mut c, "W", "C", json!({"ack_policy": "none"})).await;
    assert_eq!(
        r["error"]["description"], "consumer in pull mode requires ack policy",
        "{r}"
    );
    let r = durable(&mut c, "W", "C", json!({"ack_policy": "explicit"})).await;
    assert!(r.get("error").is_none(), "{r}");
    let r = durable(&mut c, "W", "D", json!({"ack_policy": "explicit"})).await;
    assert_eq!(
        r["error"]["description"],
        "multiple non-filtered consumers not allowed on workqueue stream"
    );
    let m = c.request_h("$JS.API.CONSUMER.MSG.NEXT.W.C", &[], b"").await;
    ack_sync(&mut c, &m, "").await;
    let r = c.request("$JS.API.STREAM.INFO.W", "").await;
    assert_eq!(r["state"]["messages"], 1, "{r}");
    assert_eq!(r["state"]["first_seq"], 2);

    // Interest: nothing is kept without a consumer; with two, a message goes once both
    // are done with it.
    stream(&mut c, "I", &["i.*"], json!({"retention": "interest"})).await;
    assert_eq!(
        c.publish("i.a", &[], "lost").await,
        r#"{"stream":"I", "seq":1}"#
    );
    let r = c.request("$JS.API.STREAM.INFO.I", "").await;
    assert_eq!(r["state"]["messages"], 0);
    durable(&mut c, "I", "A", json!({"ack_policy": "explicit"})).await;
    let r = durable(
        &mut c,
        "I",
        "B",
        json!({"ack_policy": "explicit", "filter_subject": "i.b"}),
    )
    .await;
    assert!(r.get("error").is_none(), "{r}");
    c.publish("i.a", &[], "x").await;
    c.publish("i.b", &[], "y").await;
    let r = c.request("$JS.API.STREAM.INFO.I", "").await;
    assert_eq!(r["state"]["messages"], 2);
    pull(&mut c, "I", "A", "2").await;
    let x = c.msg().await;
    let y = c.msg().await;
    ack_sync(&mut c, &x, "").await;
    ack_sync(&mut c, &y, "").await;
    let r = c.request("$JS.API.STREAM.INFO.I", "").await;
    assert_eq!(r["state"]["messages"], 1, "i.b is still B's: {r}");
    let m = c.request_h("$JS.API.CONSUMER.MSG.NEXT.I.B", &[], b"").await;
    assert_eq!(m.text(), "y");
    ack_sync(&mut c, &m, "").await;
    let r = c.request("$JS.API.STREAM.INFO.I", "").await;
    assert_eq!(r["state"]["messages"], 0, "{r}");
    // Deleting the last consumer releases what it held.
    c.publish("i.a", &[], "z").await;
    let r = c.request("$JS.API.CONSUMER.DELETE.I.A", "").await;
    assert_eq!(r["success"], true);
    let r = c.request("$JS.API.CONSUMER.DELETE.I.B", "").await;
    assert_eq!(r["success"], true);
    let r = c.request("$JS.API.STREAM.INFO.I", "").await;
    assert_eq!(r["state"]["messages"], 0, "{r}");

    // An ephemeral goes away once inactive.
    let body = json!({"stream_name": "I", "config": {"name": "E", "ack_policy": "explicit",
        "inactive_threshold": 100_000_000}});
    let r = c
        .request("$JS.API.CONSUMER.CREATE.I.E", &body.to_string())
        .await;
    assert!(r.get("error").is_none(), "{r}");
    let mut gone = false;
    for _ in 0..200 {
        let r = info(&mut c, "I", "E").await;
        if r["error"]["code"] == 404 {
            gone = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(gone, "the inactive ephemeral was deleted");
    js.shutdown();
    e.shutdown().await;
}

#[test]
fn deliver_policies_pick_their_start() {
    run(policies_body);
}

async fn policies_body() {
    let (_dir, e, js, mut c) = started().await;
    stream(&mut c, "L", &["l.*"], json!({"storage": "memory"})).await;
    for (s, v) in [
        ("l.a", "a1"),
        ("l.b", "b1"),
        ("l.a", "a2"),
        ("l.c", "c1"),
        ("l.b", "b2"),
    ] {
        c.publish(s, &[], v).await;
    }
    let cases = [
        (json!({"deliver_policy": "all"}), "a1", 5),
        (json!({"deliver_policy": "last"}), "b2", 1),
        (
            json!({"deliver_policy": "last", "filter_subject": "l.a"}),
            "a2",
            1,
        ),
        (
            json!({"deliver_policy": "by_start_sequence", "opt_start_seq": 4}),
            "c1",
            2,
        ),
        (
            json!({"deliver_policy": "last_per_subject", "filter_subject": "l.*"}),
            "a2",
            3,
        ),
        (json!({"filter_subjects": ["l.c", "l.b"]}), "b1", 3),
    ];
    for (i, (cfg, first, pending)) in cases.iter().enumerate() {
        let name = format!("C{i}");
        let r = durable(&mut c, "L", &name, cfg.clone()).await;
        assert_eq!(r["num_pending"], *pending, "{cfg}: {r}");
        let m = c
            .request_h(&format!("$JS.API.CONSUMER.MSG.NEXT.L.{name}"), &[], b"")
            .await;
        assert_eq!(m.text(), *first, "{cfg}");
    }
    // last_per_subject goes on in stream order, then with new messages.
    let r = pull(&mut c, "L", "C4", "3").await;
    let b = c.msg().await;
    let c1 = c.msg().await;
    assert_eq!((b.text().as_str(), c1.text().as_str()), ("c1", "b2"), "{r}");
    c.publish("l.z", &[], "new").await;
    let n = c.msg().await;
    assert_eq!(n.text(), "new");
    assert!(n.reply.unwrap().ends_with(".0"), "nothing pending after it");
    // new and by_start_time start after what is stored.
    let r = durable(&mut c, "L", "N", json!({"deliver_policy": "new"})).await;
    assert_eq!(r["num_pending"], 0);
    assert_eq!(r["delivered"]["stream_seq"], 6);
    let r = durable(
        &mut c,
        "L",
        "T",
        json!({"deliver_policy": "by_start_time", "opt_start_time": "2000-01-01T00:00:00Z"}),
    )
    .await;
    assert_eq!(r["num_pending"], 6, "{r}");
    js.shutdown();
    e.shutdown().await;
}

#[test]
fn waiting_pull_requests_take_turns() {
    run(turns_body);
}

async fn turns_body() {
    let (_dir, e, js, mut c) = started().await;
    stream(&mut c, "T", &["t"], json!({})).await;
    durable(&mut c, "T", "C", json!({"ack_policy": "none"})).await;
    pull(&mut c, "T", "C", r#"{"batch":2}"#).await;
    pull(&mut c, "T", "C", r#"{"batch":2}"#).await;
    // Pull requests and INFO reach the consumer through different subscriptions: wait
    // (bounded) until INFO has seen both requests.
    let mut r = info(&mut c, "T", "C").await;
    for _ in 0..200 {
        if r["num_waiting"] == 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        r = info(&mut c, "T", "C").await;
    }
    assert_eq!(r["num_waiting"], 2, "{r}");
    c.send(&Client::pub_bytes("t", None, &[], b"1")).await;
    c.send(&Client::pub_bytes("t", None, &[], b"2")).await;
    // One message each, in turn: both requests still wait for a second one.
    let m1 = c.msg().await;
    let m2 = c.msg().await;
    assert_eq!((m1.text().as_str(), m2.text().as_str()), ("1", "2"));
    let r = info(&mut c, "T", "C").await;
    assert_eq!(r["num_waiting"], 2, "both still want one more: {r}");
    js.shutdown();
    e.shutdown().await;
}

#[test]
fn a_push_rate_limit_holds_back_what_exceeds_it() {
    run(rate_body);
}

async fn rate_body() {
    let (_dir, e, js, mut c) = started().await;
    // A bucket of 700 bytes refilled at 1 byte a second: the first ~600-byte message goes at
    // once, the second would need ten minutes.
    stream(&mut c, "R", &["r"], json!({"max_msg_size": 700})).await;
    let body = "x".repeat(600);
    c.publish("r", &[], &body).await;
    c.publish("r", &[], &body).await;
    sub(&mut c, "d.r", None, 3).await;
    let r = durable(
        &mut c,
        "R",
        "L",
        json!({"deliver_subject": "d.r", "ack_policy": "none", "rate_limit_bps": 8}),
    )
    .await;
    assert!(r.get("error").is_none(), "{r}");
    let first = c.msg().await;
    assert_eq!((first.subject.as_str(), first.payload.len()), ("r", 600));
    // Held back: the consumer has delivered one and has one pending (the INFO reply is the
    // next message this client gets, not the second delivery).
    let i = info(&mut c, "R", "L").await;
    assert_eq!(i["delivered"]["stream_seq"], 1, "{i}");
    assert_eq!(i["num_pending"], 1, "{i}");
    // A pull consumer can not have one (nats-server's error).
    let r = durable(
        &mut c,
        "R",
        "PL",
        json!({"ack_policy": "explicit", "rate_limit_bps": 8}),
    )
    .await;
    assert_eq!(r["error"]["err_code"], 10086, "{r}");
    js.shutdown();
    e.shutdown().await;
}

#[test]
fn consumers_deliver_nothing_past_the_durable_sequence() {
    run(durable_cap_body);
}

/// Ingest flushes a batch while the next one is stored (`commit.rs`); a message written but
/// not yet flushed must not reach a consumer. Here the flush of 2 and 3 is "still running"
/// (the durable mark held back by hand): a pull gets 1 only, then the rest once it moves.
async fn durable_cap_body() {
    use std::sync::atomic::Ordering::SeqCst;
    let (_dir, _e, js, mut c) = started().await;
    stream(&mut c, "D", &["d"], json!({})).await;
    for i in 1..=3 {
        c.publish("d", &[], &format!("m{i}")).await;
    }
    let s = js.account().unwrap().stream("D").unwrap();
    assert_eq!(s.durable.load(SeqCst), 3, "acknowledged means durable");
    s.durable.store(1, SeqCst);
    let r = durable(&mut c, "D", "C", json!({"ack_policy": "none"})).await;
    assert!(r.get("error").is_none(), "{r}");
    pull(&mut c, "D", "C", r#"{"batch":3,"no_wait":true}"#).await;
    assert_eq!(c.msg().await.text(), "m1");
    assert_eq!(c.msg().await.hdr(), "NATS/1.0 404 No Messages\r\n\r\n");
    s.durable.store(3, SeqCst);
    pull(&mut c, "D", "C", r#"{"batch":3,"no_wait":true}"#).await;
    assert_eq!(c.msg().await.text(), "m2");
    assert_eq!(c.msg().await.text(), "m3");
}
