//! JetStream workloads over the raw protocol (driven by `benches/jetstream.py`), because nats-py
//! caps the publish and fetch rates below what the servers do.
//!
//! Both modes set up what they need through the `$JS.API` (the stream `BENCH` on `bench.js`,
//! file storage), unmeasured, and read every reply: a PubAck must carry a sequence, and each
//! sequence 1..N must come back exactly once; an API reply with an `"error"` fails the run.
//! Replies arrive on one wildcard inbox; the phases never overlap, so the inbox needs no
//! demultiplexing.
//!
//! - `jspub`: `--count` publishes of `--size` bytes with a reply subject each, at most
//!   `--inflight` unacknowledged (1 = synchronous publish); ends at `--budget` seconds with the
//!   rate of what was acknowledged (`"cut": true`).
//! - `jsfetch`: stores `--count` messages (as `jspub` does, 256 in flight), creates a durable
//!   pull consumer with `ack_policy: none`, then pulls them with `CONSUMER.MSG.NEXT` requests of
//!   `--batch` messages, two requests outstanding (as clients' consume loops keep a request
//!   ahead).
//! - `jskvget`: a KV bucket's stream (`KV_bench`, `allow_direct`, one message per key) with
//!   `--keys` keys of `--size` bytes, then `--count` sequential direct gets of the last
//!   message of a key (`$JS.API.DIRECT.GET.KV_bench.$KV.bench.<key>`, what a client's
//!   `kv.get` sends), keys in turn; every reply must be the key's message.

use std::time::{Duration, Instant};

use crate::modes::Outcome;
use crate::report::Report;
use crate::wire::{pub_msg, Client, Op, Reader};
use crate::{mark, Params, DELIVERED, SENT};

const STREAM: &str = "BENCH";
const SUBJECT: &str = "bench.js";
const CONSUMER: &str = "fetcher";
/// JetStream replies (acks, API responses, status messages) are small; data messages of the
/// bench are too, but only their count matters.
const WHOLE: usize = 64 * 1024;

/// A connection with its reply inbox subscribed (`_INBOX.<pid>.>`).
fn connect(p: &Params, name: &str) -> Result<(Client, String), String> {
    let mut c = Client::connect(&p.addr, name, &p.hello(), p.timeout)?;
    // The handshake left nothing unread (it ends at the PONG).
    c.reader = Reader::new().whole_up_to(WHOLE);
    let inbox = format!("_INBOX.{}", std::process::id());
    c.write(format!("SUB {inbox}.> 1\r\n").as_bytes())
        .map_err(|e| format!("SUB inbox: {e}"))?;
    c.flush().map_err(|e| format!("flush inbox: {e}"))?;
    Ok((c, inbox))
}

/// Reads until `f` has seen what it waits for (it returns `Ok(true)`), answering PINGs.
fn read_until(
    c: &mut Client,
    what: &str,
    mut f: impl FnMut(bool, &[u8]) -> Result<bool, String>,
) -> Result<(), String> {
    let mut done = false;
    while !done {
        let mut pings = 0;
        let mut fail: Option<String> = None;
        c.reader
            .read_some(&mut c.sock, |op| match op {
                Op::Msg { hdr, body, .. } if fail.is_none() => {
                    match f(hdr, body.unwrap_or_default()) {
                        Ok(d) => done |= d,
                        Err(e) => fail = Some(e),
                    }
                }
                Op::Ping => pings += 1,
                Op::Err(e) => fail = Some(format!("-ERR {}", String::from_utf8_lossy(e))),
                _ => {}
            })
            .map_err(|e| format!("{what}: {e}"))?;
        for _ in 0..pings {
            c.write(b"PONG\r\n").map_err(|e| format!("PONG: {e}"))?;
        }
        if let Some(e) = fail {
            return Err(format!("{what}: {e}"));
        }
    }
    Ok(())
}

/// One `$JS.API` request; the reply must not be an error.
fn api(c: &mut Client, inbox: &str, subject: &str, body: &str) -> Result<(), String> {
    let reply = format!("{inbox}.api");
    c.write(&pub_msg(subject, Some(&reply), body.as_bytes()))
        .map_err(|e| format!("{subject}: {e}"))?;
    read_until(c, subject, |_, b| {
        if contains(b, b"\"error\"") {
            Err(String::from_utf8_lossy(b).into_owned())
        } else {
            Ok(true)
        }
    })
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// The `"seq":N` of a PubAck.
fn ack_seq(b: &[u8]) -> Result<u64, String> {
    let bad = || format!("not a PubAck: {}", String::from_utf8_lossy(b));
    if contains(b, b"\"error\"") {
        return Err(bad());
    }
    let key = b"\"seq\":";
    let at = b
        .windows(key.len())
        .position(|w| w == key)
        .ok_or_else(bad)?
        + key.len();
    let digits = b[at..].iter().take_while(|d| d.is_ascii_digit());
    let mut n = 0u64;
    let mut any = false;
    for d in digits {
        n = n * 10 + u64::from(d - b'0');
        any = true;
    }
    if any {
        Ok(n)
    } else {
        Err(bad())
    }
}

fn create_stream(c: &mut Client, inbox: &str) -> Result<(), String> {
    let cfg = format!(r#"{{"name":"{STREAM}","subjects":["{SUBJECT}"],"storage":"file"}}"#);
    api(c, inbox, &format!("$JS.API.STREAM.CREATE.{STREAM}"), &cfg)
}

/// What a publish phase did.
struct Published {
    acked: u64,
    cut: bool,
}

/// Publishes `count` messages, at most `inflight` unacknowledged, until `budget` passes;
/// every sequence 1..=acked must be acknowledged exactly once.
fn publish(
    c: &mut Client,
    inbox: &str,
    count: u64,
    size: usize,
    inflight: u64,
    budget: Duration,
) -> Result<Published, String> {
    let body = crate::wire::payload(size);
    let reply = format!("{inbox}.a");
    // One pre-built message; all PubAcks share the reply subject (seq tells them apart).
    let one = pub_msg(SUBJECT, Some(&reply), &body);
    let mut seen = vec![false; count as usize + 1];
    let (mut sent, mut acked) = (0u64, 0u64);
    let deadline = Instant::now() + budget;
    let mut cut = false;
    let mut out = Vec::with_capacity(one.len() * inflight.min(1024) as usize);
    while acked < sent || (sent < count && !cut) {
        if !cut && Instant::now() > deadline {
            cut = true;
        }
        out.clear();
        while !cut && sent < count && sent - acked < inflight {
            out.extend_from_slice(&one);
            sent += 1;
        }
        if !out.is_empty() {
            c.write(&out).map_err(|e| format!("publish: {e}"))?;
            SENT.store(sent, std::sync::atomic::Ordering::Relaxed);
        }
        if acked < sent {
            // Read at least one PubAck (more when they are there).
            read_until(c, "PubAck", |_, b| {
                let seq = ack_seq(b)?;
                let slot = seen
                    .get_mut(seq as usize)
                    .filter(|s| seq > 0 && !**s)
                    .ok_or_else(|| format!("unexpected PubAck seq {seq}"))?;
                *slot = true;
                acked += 1;
                Ok(true)
            })?;
        }
    }
    if let Some(missing) = (1..=acked).find(|&s| !seen[s as usize]) {
        return Err(format!("PubAck for seq {missing} missing ({acked} acks)"));
    }
    Ok(Published { acked, cut })
}

fn budget(p: &Params) -> Duration {
    // Stop publishing early enough to collect the acks before the watchdog ends the run.
    p.timeout.mul_f64(0.8)
}

pub fn jspub(p: &Params, r: &mut Report) -> Outcome {
    let (mut c, inbox) = connect(p, "jspub")?;
    create_stream(&mut c, &inbox)?;
    mark("go");
    let t0 = Instant::now();
    let res = publish(&mut c, &inbox, p.count, p.size, p.inflight, budget(p))?;
    let elapsed = t0.elapsed().as_secs_f64();
    mark("done");
    r.int("published", res.acked)
        .int("done", res.acked)
        .int("inflight", p.inflight)
        .bool("cut", res.cut)
        .num("elapsed_s", elapsed)
        .num("msgs_per_s", res.acked as f64 / elapsed);
    Ok(())
}

pub fn jsfetch(p: &Params, r: &mut Report) -> Outcome {
    let (mut c, inbox) = connect(p, "jsfetch")?;
    create_stream(&mut c, &inbox)?;
    let stored = publish(&mut c, &inbox, p.count, p.size, 256, budget(p))?;
    if stored.cut {
        return Err(format!("stored only {} messages in time", stored.acked));
    }
    let cfg = format!(
        r#"{{"stream_name":"{STREAM}","config":{{"durable_name":"{CONSUMER}","ack_policy":"none","deliver_policy":"all"}}}}"#
    );
    api(
        &mut c,
        &inbox,
        &format!("$JS.API.CONSUMER.CREATE.{STREAM}.{CONSUMER}"),
        &cfg,
    )?;
    let next = format!("$JS.API.CONSUMER.MSG.NEXT.{STREAM}.{CONSUMER}");
    let reply = format!("{inbox}.f");
    let batch = p.batch as u64;
    let (mut requested, mut received) = (0u64, 0u64);
    let deadline = Instant::now() + budget(p);
    let mut cut = false;
    mark("go");
    let t0 = Instant::now();
    while received < p.count {
        if Instant::now() > deadline {
            cut = true;
            break;
        }
        let mut out = Vec::new();
        while requested < p.count && requested - received < 2 * batch {
            let n = batch.min(p.count - requested);
            let req = format!(r#"{{"batch":{n},"expires":5000000000}}"#);
            out.extend_from_slice(&pub_msg(&next, Some(&reply), req.as_bytes()));
            requested += n;
        }
        if !out.is_empty() {
            c.write(&out).map_err(|e| format!("pull request: {e}"))?;
        }
        read_until(&mut c, "fetch", |hdr, b| {
            if !hdr {
                received += 1;
                return Ok(true);
            }
            // A status message: 404/408 end a request, 100 is a heartbeat; others are errors.
            let status = b.get(9..12).unwrap_or_default();
            if status == b"100" || status == b"404" || status == b"408" {
                Ok(false)
            } else {
                Err(format!("status {}", String::from_utf8_lossy(b).trim()))
            }
        })?;
        DELIVERED.store(received, std::sync::atomic::Ordering::Relaxed);
    }
    let elapsed = t0.elapsed().as_secs_f64();
    mark("done");
    r.int("stored", stored.acked)
        .int("delivered", received)
        .int("done", received)
        .bool("cut", cut)
        .num("elapsed_s", elapsed)
        .num("msgs_per_s", received as f64 / elapsed);
    Ok(())
}

pub fn jskvget(p: &Params, r: &mut Report) -> Outcome {
    let (mut c, inbox) = connect(p, "jskvget")?;
    let cfg = r#"{"name":"KV_bench","subjects":["$KV.bench.>"],"allow_direct":true,"max_msgs_per_subject":1,"storage":"file"}"#;
    api(&mut c, &inbox, "$JS.API.STREAM.CREATE.KV_bench", cfg)?;
    let body = crate::wire::payload(p.size);
    let reply = format!("{inbox}.a");
    for k in 0..p.keys {
        c.write(&pub_msg(&format!("$KV.bench.k{k}"), Some(&reply), &body))
            .map_err(|e| format!("put: {e}"))?;
        read_until(&mut c, "put", |_, b| ack_seq(b).map(|_| true))?;
    }
    let gets: Vec<Vec<u8>> = (0..p.keys)
        .map(|k| {
            pub_msg(
                &format!("$JS.API.DIRECT.GET.KV_bench.$KV.bench.k{k}"),
                Some(&reply),
                b"",
            )
        })
        .collect();
    let deadline = Instant::now() + budget(p);
    let mut done = 0u64;
    let mut cut = false;
    mark("go");
    let t0 = Instant::now();
    while done < p.count {
        if Instant::now() > deadline {
            cut = true;
            break;
        }
        c.write(&gets[(done % p.keys) as usize])
            .map_err(|e| format!("get: {e}"))?;
        read_until(&mut c, "get", |hdr, b| {
            if hdr && b.ends_with(&body) && b.starts_with(b"NATS/1.0\r\n") {
                Ok(true)
            } else {
                Err(format!("not the value: {}", String::from_utf8_lossy(b)))
            }
        })?;
        done += 1;
        DELIVERED.store(done, std::sync::atomic::Ordering::Relaxed);
    }
    let elapsed = t0.elapsed().as_secs_f64();
    mark("done");
    r.int("delivered", done)
        .int("done", done)
        .bool("cut", cut)
        .num("elapsed_s", elapsed)
        .num("msgs_per_s", done as f64 / elapsed);
    Ok(())
}
