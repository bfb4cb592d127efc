//! A publish past a stream's ingest cap (`ingest_max_pending`) is answered as nats-server
//! 2.11+ answers it: `429 Too Many Requests` with a PubAck error. Counted, not timed: the
//! stream is held while the publishes are made, so what fits waits and the rest is refused.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{engine, run, Client};
use fastnats_jetstream::{JetStream, JetStreamOptions};

#[test]
fn publishes_past_the_ingest_cap_get_429() {
    run(publishes_past_the_ingest_cap_get_429_body);
}

#[allow(clippy::await_holding_lock)]
async fn publishes_past_the_ingest_cap_get_429_body() {
    const N: usize = 200;
    const CAP: usize = 4096;
    const PAYLOAD: usize = 100;
    let dir = tempfile::tempdir().unwrap();
    let e = engine().await;
    let mut opts = JetStreamOptions::new(dir.path());
    opts.ingest_stall = 1024;
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
    let accepted = {
        // The ingest cannot store while this is held: its queue only fills.
        let _held = stream.state.lock();
        let mut accepted = 0;
        for i in 0..N {
            let reply = format!("_R.f{i:03}");
            // The application's own publishes never wait for a stalled recipient.
            let n = e
                .publish(b"f", Some(reply.as_bytes()), None, &[b'x'; PAYLOAD], None)
                .unwrap();
            accepted += n;
        }
        accepted
    };
    // Every record holds at least the payload: no more than CAP / PAYLOAD fit.
    assert!(
        accepted > 0 && accepted <= CAP / PAYLOAD,
        "{accepted} accepted"
    );
    let (mut acked, mut refused) = (Vec::new(), Vec::new());
    for _ in 0..N {
        let m = c.msg().await;
        let i: usize = m.subject.strip_prefix("_R.f").unwrap().parse().unwrap();
        if m.headers.is_empty() {
            acked.push((i, m.text()));
        } else {
            assert_eq!(m.hdr(), "NATS/1.0 429 Too Many Requests\r\n\r\n");
            assert_eq!(
                m.text(),
                r#"{"error":{"code":429,"err_code":10167,"description":"too many requests"},"stream":"F","seq":0}"#
            );
            refused.push(i);
        }
    }
    assert_eq!(acked.len(), accepted, "every accepted publish is stored");
    assert_eq!(
        refused.len(),
        N - accepted,
        "every other one is answered 429"
    );
    // What fitted were the first ones, stored in order.
    acked.sort_unstable();
    for (k, (i, body)) in acked.iter().enumerate() {
        assert_eq!(*i, k);
        assert_eq!(*body, format!(r#"{{"stream":"F", "seq":{}}}"#, k + 1));
    }
    let r = c.request("$JS.API.STREAM.INFO.F", "").await;
    assert_eq!(r["state"]["messages"], accepted);
    assert!(common::ingest_open(&stream), "not cut");
    // A publish now that the queue drained is stored again.
    assert_eq!(
        c.publish("f", &[], "after").await,
        format!(r#"{{"stream":"F", "seq":{}}}"#, accepted + 1)
    );
    js.shutdown();
    e.shutdown().await;
}
