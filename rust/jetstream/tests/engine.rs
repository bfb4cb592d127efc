//! JetStream on a real engine: an `Engine` on 127.0.0.1:0 plus `JetStream::start` on a
//! temporary directory, spoken to with the raw client protocol over TCP. Every read is
//! bounded by a timeout; nothing waits on timings.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::{engine, run, start_js, started, Client, WAIT};
use fastnats_jetstream::{JetStream, JetStreamOptions};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
#[test]
fn streams_store_ack_and_answer_the_api() {
    run(streams_store_ack_and_answer_the_api_body);
}

async fn streams_store_ack_and_answer_the_api_body() {
    let (_dir, e, js, mut c) = started().await;

    let r = c
        .request(
            "$JS.API.STREAM.CREATE.S",
            r#"{"name":"S","subjects":["s.>"],"allow_direct":true}"#,
        )
        .await;
    assert_eq!(r["type"], "io.nats.jetstream.api.v1.stream_create_response");
    assert_eq!(r["did_create"], true, "{r}");
    assert_eq!(r["config"]["max_msgs"], -1);
    // Idempotent create (nats-server says `did_create` again); a different config is refused.
    let r = c
        .request(
            "$JS.API.STREAM.CREATE.S",
            r#"{"name":"S","subjects":["s.>"],"allow_direct":true}"#,
        )
        .await;
    assert!(r.get("error").is_none() && r["did_create"] == true, "{r}");
    let r = c
        .request(
            "$JS.API.STREAM.CREATE.S",
            r#"{"name":"S","subjects":["x.>"]}"#,
        )
        .await;
    assert_eq!(
        r["error"]["description"],
        "stream name already in use with a different configuration"
    );

    // PubAcks in order, byte for byte as nats-server writes them.
    assert_eq!(
        c.publish("s.a", &[], "one").await,
        r#"{"stream":"S", "seq":1}"#
    );
    assert_eq!(
        c.publish("s.b", &[], "two").await,
        r#"{"stream":"S", "seq":2}"#
    );
    assert_eq!(
        c.publish("s.a", &[("Nats-Msg-Id", "m1")], "three").await,
        r#"{"stream":"S", "seq":3}"#
    );
    assert_eq!(
        c.publish("s.a", &[("Nats-Msg-Id", "m1")], "three").await,
        r#"{"stream":"S", "seq":3,"duplicate": true}"#
    );
    // An invalid Nats-Rollup value is dropped without a reply (nats-server returns
    // "rollup value invalid" to nobody): the next reply is the next publish's ack.
    let r = c
        .request(
            "$JS.API.STREAM.CREATE.U",
            r#"{"name":"U","subjects":["u"],"allow_rollup_hdrs":true}"#,
        )
        .await;
    assert_eq!(r["did_create"], true);
    c.send(&Client::pub_bytes(
        "u",
        Some("_R.bad"),
        &[("Nats-Rollup", "x")],
        b"x",
    ))
    .await;
    assert_eq!(
        c.publish("u", &[], "ok").await,
        r#"{"stream":"U", "seq":1}"#
    );
    let r = c.request("$JS.API.STREAM.DELETE.U", "").await;
    assert_eq!(r["success"], true);
    assert_eq!(
        c.publish("s.a", &[("Nats-Expected-Last-Sequence", "1")], "x")
            .await,
        r#"{"error":{"code":400,"err_code":10071,"description":"wrong last sequence: 3"},"stream":"S","seq":0}"#
    );
    assert_eq!(
        c.publish("s.a", &[("Nats-Expected-Stream", "T")], "x")
            .await,
        r#"{"error":{"code":400,"err_code":10060,"description":"expected stream does not match"},"stream":"S","seq":0}"#
    );
    assert_eq!(
        c.publish("s.c", &[("Nats-Expected-Last-Sequence", "3")], "four")
            .await,
        r#"{"stream":"S", "seq":4}"#
    );

    // Info from counters: file store bytes are 30 + subject + payload (+ 4 + headers).
    let r = c.request("$JS.API.STREAM.INFO.S", "").await;
    let st = &r["state"];
    assert_eq!(st["messages"], 4);
    assert_eq!(st["first_seq"], 1);
    assert_eq!(st["last_seq"], 4);
    let hdr = "NATS/1.0\r\nNats-Msg-Id: m1\r\n\r\n".len() as u64;
    let hdr2 = "NATS/1.0\r\nNats-Expected-Last-Sequence: 3\r\n\r\n".len() as u64;
    let want = (30 + 3 + 3) + (30 + 3 + 3) + (30 + 3 + 5 + 4 + hdr) + (30 + 3 + 4 + 4 + hdr2);
    assert_eq!(st["bytes"], want);
    assert_eq!(st["num_subjects"], 3);
    let r = c
        .request("$JS.API.STREAM.INFO.S", r#"{"subjects_filter":"s.a"}"#)
        .await;
    assert_eq!(r["state"]["subjects"], json!({"s.a": 2}));
    assert_eq!(r["total"], 1);

    // MSG.GET and DIRECT.GET.
    let r = c.request("$JS.API.STREAM.MSG.GET.S", r#"{"seq":2}"#).await;
    assert_eq!(r["message"]["subject"], "s.b");
    assert_eq!(r["message"]["data"], "dHdv");
    let r = c
        .request("$JS.API.STREAM.MSG.GET.S", r#"{"last_by_subj":"s.a"}"#)
        .await;
    assert_eq!(r["message"]["seq"], 3);
    let r = c
        .request(
            "$JS.API.STREAM.MSG.GET.S",
            r#"{"seq":2,"next_by_subj":"s.a"}"#,
        )
        .await;
    assert_eq!(r["message"]["seq"], 3);
    let r = c.request("$JS.API.STREAM.MSG.GET.S", r#"{"seq":99}"#).await;
    assert_eq!(r["error"]["description"], "no message found");
    let m = c
        .request_h("$JS.API.DIRECT.GET.S", &[], br#"{"seq":2}"#)
        .await;
    assert_eq!(m.payload, b"two");
    let h = String::from_utf8(m.headers).unwrap();
    assert!(h.starts_with("NATS/1.0\r\nNats-Stream: S\r\nNats-Subject: s.b\r\nNats-Sequence: 2\r\nNats-Time-Stamp: "), "{h}");
    let m = c.request_h("$JS.API.DIRECT.GET.S.s.a", &[], b"").await;
    assert_eq!(m.payload, b"three");
    assert!(String::from_utf8(m.headers)
        .unwrap()
        .starts_with("NATS/1.0\r\nNats-Msg-Id: m1\r\nNats-Stream: S\r\n"));
    let m = c
        .request_h("$JS.API.DIRECT.GET.S", &[], br#"{"seq":99}"#)
        .await;
    assert_eq!(m.headers, b"NATS/1.0 404 Message Not Found\r\n\r\n");
    let m = c.request_h("$JS.API.DIRECT.GET.S", &[], b"").await;
    assert_eq!(m.headers, b"NATS/1.0 408 Empty Request\r\n\r\n");

    // Names, list, delete a message, purge.
    let r = c.request("$JS.API.STREAM.NAMES", "").await;
    assert_eq!(r["streams"], json!(["S"]));
    let r = c
        .request("$JS.API.STREAM.LIST", r#"{"subject":"zzz"}"#)
        .await;
    assert_eq!(r["total"], 0);
    let r = c
        .request("$JS.API.STREAM.MSG.DELETE.S", r#"{"seq":2}"#)
        .await;
    assert_eq!(r["success"], true);
    let r = c
        .request("$JS.API.STREAM.INFO.S", r#"{"deleted_details":true}"#)
        .await;
    assert_eq!(r["state"]["deleted"], json!([2]));
    assert_eq!(r["state"]["num_deleted"], 1);
    let r = c
        .request("$JS.API.STREAM.PURGE.S", r#"{"filter":"s.a","keep":1}"#)
        .await;
    assert_eq!(r["purged"], 1, "{r}");
    let r = c.request("$JS.API.STREAM.PURGE.S", "").await;
    assert_eq!(r["purged"], 2, "{r}");
    let r = c.request("$JS.API.INFO", "").await;
    assert_eq!(r["streams"], 1);
    assert_eq!(r["storage"], 0);
    assert!(r["api"]["total"].as_u64().unwrap() > 10);

    // No stream on the subject: no responders (503) as the engine answers.
    let m = c.request_h("nobody.home", &[], b"x").await;
    assert!(
        m.headers.starts_with(b"NATS/1.0 503\r\n"),
        "{:?}",
        m.headers
    );

    // Delete.
    let r = c.request("$JS.API.STREAM.DELETE.S", "").await;
    assert_eq!(r["success"], true);
    let r = c.request("$JS.API.STREAM.INFO.S", "").await;
    assert_eq!(
        r,
        json!({"type":"io.nats.jetstream.api.v1.stream_info_response","error":{"code":404,"err_code":10059,"description":"stream not found"},"total":0,"offset":0,"limit":0})
    );
    js.shutdown();
    e.shutdown().await;
}

#[test]
fn streams_come_back_after_a_restart() {
    run(restart_body);
}

async fn restart_body() {
    let dir = tempfile::tempdir().unwrap();
    {
        let e = engine().await;
        let js = start_js(&e, dir.path());
        let mut c = Client::connect(&e).await;
        let r = c
            .request(
                "$JS.API.STREAM.CREATE.R",
                r#"{"name":"R","subjects":["r.*"],"max_msgs_per_subject":2}"#,
            )
            .await;
        assert_eq!(r["did_create"], true);
        let r = c
            .request(
                "$JS.API.STREAM.CREATE.MEM",
                r#"{"name":"MEM","subjects":["mem"],"storage":"memory"}"#,
            )
            .await;
        assert_eq!(r["did_create"], true);
        for i in 0..5 {
            let ack = c.publish("r.x", &[], &format!("m{i}")).await;
            assert_eq!(ack, format!(r#"{{"stream":"R", "seq":{}}}"#, i + 1));
        }
        assert_eq!(
            c.publish("r.y", &[("Nats-Msg-Id", "d1")], "once").await,
            r#"{"stream":"R", "seq":6}"#
        );
        assert_eq!(
            c.publish("mem", &[], "gone").await,
            r#"{"stream":"MEM", "seq":1}"#
        );
        js.shutdown();
        drop(js);
        e.shutdown().await;
    }
    let e = engine().await;
    let js = start_js(&e, dir.path());
    let mut c = Client::connect(&e).await;
    let r = c.request("$JS.API.STREAM.INFO.R", "").await;
    assert_eq!(r["config"]["max_msgs_per_subject"], 2);
    assert_eq!(r["state"]["messages"], 3);
    assert_eq!(r["state"]["first_seq"], 4);
    assert_eq!(r["state"]["last_seq"], 6);
    let r = c.request("$JS.API.STREAM.INFO.MEM", "").await;
    assert_eq!(
        r["error"]["code"], 404,
        "memory streams do not survive a restart"
    );
    // The duplicate window and the last id were rebuilt from the stored messages.
    assert_eq!(
        c.publish("r.y", &[("Nats-Msg-Id", "d1")], "once").await,
        r#"{"stream":"R", "seq":6,"duplicate": true}"#
    );
    assert_eq!(
        c.publish("r.y", &[("Nats-Expected-Last-Msg-Id", "d1")], "next")
            .await,
        r#"{"stream":"R", "seq":7}"#
    );
    assert_eq!(
        c.publish("r.x", &[], "again").await,
        r#"{"stream":"R", "seq":8}"#
    );
    let r = c.request("$JS.API.STREAM.MSG.GET.R", r#"{"seq":5}"#).await;
    assert_eq!(r["message"]["data"], "bTQ=");
    js.shutdown();
    e.shutdown().await;
}

// Holding the stream's lock across the sends is the point: the ingest handler waits on it.
#[test]
fn messages_queued_during_a_batch_share_one_sync() {
    run(messages_queued_during_a_batch_share_one_sync_body);
}

#[allow(clippy::await_holding_lock)]
async fn messages_queued_during_a_batch_share_one_sync_body() {
    const N: usize = 500;
    let (_dir, e, js, mut c) = started().await;
    let r = c
        .request(
            "$JS.API.STREAM.CREATE.G",
            r#"{"name":"G","subjects":["g"]}"#,
        )
        .await;
    assert_eq!(r["did_create"], true);
    let stream = js.account().unwrap().stream("G").unwrap();
    {
        // Hold the stream: the first batch's handler waits here, the rest queue up.
        let held = stream.state.lock();
        let mut all = Vec::new();
        for i in 0..N {
            all.extend(Client::pub_bytes("g", Some(&format!("_R.g{i}")), &[], b"x"));
        }
        all.extend_from_slice(b"PING\r\n");
        c.send(&all).await;
        assert_eq!(
            c.line().await,
            b"PONG",
            "every PUB was delivered to the ingest queue"
        );
        drop(held);
    }
    for i in 0..N {
        let m = c.msg().await;
        assert_eq!(
            String::from_utf8(m.payload).unwrap(),
            format!(r#"{{"stream":"G", "seq":{}}}"#, i + 1)
        );
    }
    let syncs = js.stream_syncs("G").unwrap();
    assert!(syncs <= 2, "{N} messages took {syncs} syncs");
    js.shutdown();
    e.shutdown().await;
}

// Holding the stream's lock across the sends makes both subjects' messages wait together.
#[test]
fn messages_on_two_subjects_are_stored_in_publish_order() {
    run(messages_on_two_subjects_are_stored_in_publish_order_body);
}

#[allow(clippy::await_holding_lock)]
async fn messages_on_two_subjects_are_stored_in_publish_order_body() {
    const N: usize = 200;
    let (_dir, e, js, mut c) = started().await;
    let r = c
        .request(
            "$JS.API.STREAM.CREATE.O",
            r#"{"name":"O","subjects":["o.a","o.b"]}"#,
        )
        .await;
    assert_eq!(r["did_create"], true);
    let stream = js.account().unwrap().stream("O").unwrap();
    {
        let held = stream.state.lock();
        let mut all = Vec::new();
        for i in 0..N {
            let subject = if i % 2 == 0 { "o.a" } else { "o.b" };
            all.extend(Client::pub_bytes(
                subject,
                Some(&format!("_R.o{i}")),
                &[],
                b"x",
            ));
        }
        all.extend_from_slice(b"PING\r\n");
        c.send(&all).await;
        assert_eq!(c.line().await, b"PONG");
        drop(held);
    }
    let mut got = 0;
    while got < N {
        let m = c.msg().await;
        let i: usize = m.subject.strip_prefix("_R.o").unwrap().parse().unwrap();
        assert_eq!(
            String::from_utf8(m.payload).unwrap(),
            format!(r#"{{"stream":"O", "seq":{}}}"#, i + 1),
            "publish {i} stored out of order"
        );
        got += 1;
    }
    assert!(
        js.stream_syncs("O").unwrap() <= 2,
        "one batch spans both subjects"
    );

    // An update that changes the subjects re-subscribes: the new one is stored, the
    // dropped one reaches nobody.
    let r = c
        .request(
            "$JS.API.STREAM.UPDATE.O",
            r#"{"name":"O","subjects":["o.a","o.c"]}"#,
        )
        .await;
    assert_eq!(r["config"]["subjects"], json!(["o.a", "o.c"]), "{r}");
    assert_eq!(
        c.publish("o.c", &[], "c").await,
        format!(r#"{{"stream":"O", "seq":{}}}"#, N + 1)
    );
    assert_eq!(
        c.publish("o.a", &[], "a").await,
        format!(r#"{{"stream":"O", "seq":{}}}"#, N + 2)
    );
    let m = c.request_h("o.b", &[], b"x").await;
    assert!(
        m.headers.starts_with(b"NATS/1.0 503\r\n"),
        "{:?}",
        m.headers
    );
    js.shutdown();
    e.shutdown().await;
}

// A flood past the ingest's stall threshold and past its cap (both lowered) while the
// stream is held: the publisher waits, nothing is cut or dropped, the queue stays bounded.
#[test]
fn a_flood_stalls_its_publisher_and_is_stored_whole() {
    run(a_flood_stalls_its_publisher_and_is_stored_whole_body);
}

#[allow(clippy::await_holding_lock)]
async fn a_flood_stalls_its_publisher_and_is_stored_whole_body() {
    const N: usize = 20_000;
    const STALL: usize = 64 * 1024;
    const CAP: usize = 1024 * 1024;
    // What one message takes in the ingest queue: 16 bytes of lengths, the subject "f",
    // the reply "_R.f000000" and the payload.
    const RECORD: usize = 16 + 1 + 10 + 100;
    let dir = tempfile::tempdir().unwrap();
    let e = engine().await;
    let mut opts = JetStreamOptions::new(dir.path());
    opts.ingest_stall = STALL;
    opts.ingest_max_pending = CAP;
    let js = JetStream::start(&e, &opts).unwrap();
    let mut c = Client::connect(&e).await;
    let r = c
        .request(
            "$JS.API.STREAM.CREATE.F",
            r#"{"name":"F","subjects":["f"]}"#,
        )
        .await;
    assert_eq!(r["did_create"], true);
    let stream = js.account().unwrap().stream("F").unwrap();
    let flood = Client::connect(&e).await;
    let mut all = Vec::new();
    for i in 0..N {
        all.extend(Client::pub_bytes(
            "f",
            Some(&format!("_R.f{i:06}")),
            &[],
            &[b'x'; 100],
        ));
    }
    assert!(all.len() > 2 * CAP);
    let held = stream.state.lock();
    // The server stops reading the flood while the stream is held: write it from a task.
    let (_rd, mut wr) = flood.s.into_split();
    let writer = tokio::spawn(async move {
        wr.write_all(&all).await.unwrap();
        wr
    });
    let delivered = || stream.subs.lock().ingest.as_ref().unwrap().delivered() as usize;
    for _ in 0..10_000 {
        if delivered() * RECORD > STALL {
            break;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    assert!(delivered() * RECORD > STALL, "the flood reached the ingest");
    // Longer than a client's brief stall (10 ms): a publisher that stopped waiting would
    // now push the queue past its cap. Nothing is timed; this only gives it the chance.
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(common::ingest_open(&stream), "not cut");
    assert!(
        delivered() * RECORD <= STALL + 2 * 65536,
        "the queue stopped near the threshold: {} bytes",
        delivered() * RECORD
    );
    drop(held);
    let mut acked = vec![false; N];
    for _ in 0..N {
        let m = c.msg().await;
        let i: usize = m.subject.strip_prefix("_R.f").unwrap().parse().unwrap();
        assert_eq!(
            String::from_utf8(m.payload).unwrap(),
            format!(r#"{{"stream":"F", "seq":{}}}"#, i + 1)
        );
        acked[i] = true;
    }
    assert!(acked.iter().all(|a| *a));
    let _ = writer.await;
    let r = c.request("$JS.API.STREAM.INFO.F", "").await;
    assert_eq!(r["state"]["messages"], N);
    assert!(common::ingest_open(&stream));
    js.shutdown();
    e.shutdown().await;
}

/// A quick local measurement, not a check: `cargo test --profile quick -p fastnats-jetstream
/// --test engine -- --ignored --nocapture`.
#[ignore]
#[test]
fn measure_async_publishes_with_acks() {
    run(measure_async_publishes_with_acks_body);
}

async fn measure_async_publishes_with_acks_body() {
    const N: usize = 100_000;
    let (_dir, _e, js, mut c) = started().await;
    let r = c
        .request(
            "$JS.API.STREAM.CREATE.P",
            r#"{"name":"P","subjects":["p"]}"#,
        )
        .await;
    assert_eq!(r["did_create"], true);
    let t = std::time::Instant::now();
    let (mut rd, mut wr) = c.s.into_split();
    let writer = tokio::spawn(async move {
        let mut chunk = Vec::new();
        for i in 0..N {
            chunk.extend(Client::pub_bytes("p", Some("_R.a"), &[], &[b'x'; 128]));
            if i % 1000 == 999 {
                wr.write_all(&chunk).await.unwrap();
                chunk.clear();
            }
        }
        wr.write_all(&chunk).await.unwrap();
        wr
    });
    let mut seen = 0;
    let mut buf = vec![0u8; 1 << 16];
    // The last three bytes of the previous read go first: a "MSG " split across reads counts.
    let mut kept = 0;
    while seen < N {
        let n = tokio::time::timeout(WAIT, rd.read(&mut buf[kept..]))
            .await
            .unwrap()
            .unwrap();
        let end = kept + n;
        seen += buf[..end].windows(4).filter(|w| w == b"MSG ").count();
        kept = end.min(3);
        buf.copy_within(end - kept..end, 0);
    }
    let _ = writer.await;
    let secs = t.elapsed().as_secs_f64();
    println!(
        "{N} publishes acked in {secs:.3}s: {:.0} msgs/s, {} syncs",
        N as f64 / secs,
        js.stream_syncs("P").unwrap()
    );
    js.shutdown();
}

#[test]
fn subject_transforms_and_republish_apply_to_stored_messages() {
    run(subject_transforms_and_republish_body);
}

async fn subject_transforms_and_republish_body() {
    let (_dir, e, js, mut c) = started().await;
    let r = c
        .request(
            "$JS.API.STREAM.CREATE.T",
            r#"{"name":"T","subjects":["in.>"],"subject_transform":{"src":"in.*","dest":"stored.{{wildcard(1)}}"},"republish":{"src":"stored.>","dest":"rp.>"}}"#,
        )
        .await;
    assert_eq!(r["did_create"], true, "{r}");
    c.send(b"SUB rp.> 9\r\nPING\r\n").await;
    assert_eq!(c.line().await, b"PONG");
    let b = Client::pub_bytes("in.a", Some("_R.p1"), &[("K", "v")], b"one");
    c.send(&b).await;
    // The republished copy leaves before the PubAck.
    let rp = c.msg().await;
    assert_eq!(rp.subject, "rp.a"); // `>` maps the tokens after the source prefix
    let h = String::from_utf8(rp.headers).unwrap();
    assert!(
        h.starts_with("NATS/1.0\r\nK: v\r\nNats-Stream: T\r\nNats-Subject: stored.a\r\nNats-Sequence: 1\r\nNats-Time-Stamp: "),
        "{h}"
    );
    assert!(h.ends_with("Nats-Last-Sequence: 0\r\n\r\n"), "{h}");
    assert_eq!(rp.payload, b"one");
    let ack = c.msg().await;
    assert_eq!(ack.payload, br#"{"stream":"T", "seq":1}"#);
    // A second message on the same subject names the first as its predecessor; a subject
    // the transform does not take (two tokens) is stored as it came.
    c.send(&Client::pub_bytes("in.a", None, &[], b"two")).await;
    assert!(String::from_utf8(c.msg().await.headers)
        .unwrap()
        .contains("Nats-Last-Sequence: 1\r\n"));
    assert_eq!(
        c.publish("in.x.y", &[], "three").await,
        r#"{"stream":"T", "seq":3}"#
    );
    let r = c.request("$JS.API.STREAM.MSG.GET.T", r#"{"seq":3}"#).await;
    assert_eq!(r["message"]["subject"], "in.x.y", "{r}");
    let r = c
        .request("$JS.API.STREAM.MSG.GET.T", r#"{"last_by_subj":"stored.a"}"#)
        .await;
    assert_eq!(r["message"]["seq"], 2, "{r}");
    js.shutdown();
    e.shutdown().await;
}
