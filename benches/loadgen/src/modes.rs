//! The workloads. Each sets up its connections (subscriptions flushed with PING/PONG before any
//! publish), runs, checks that every expected message arrived, and fills in a [`Report`].

use std::io::{self, Write};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Barrier, Condvar, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use crate::report::{percentiles, Report, Val};
use crate::wire::{
    connect_line, hpub_msg, payload, pub_msg, Client, Conn, Gate, Hello, Op, PubBuffer, Reader,
};
use crate::{mark, Params, DELIVERED, SENT};

/// Outcome of a workload: the report, or an error text (the report is still printed).
pub type Outcome = Result<(), String>;

/// How the subscribers of one run are doing: deliveries add up here, the first failure or
/// the moment the expected total is reached wakes the waiting main thread.
struct Tracker {
    expected: u64,
    state: Mutex<TrackState>,
    cv: Condvar,
}

#[derive(Default)]
struct TrackState {
    done_at: Option<Instant>,
    failure: Option<String>,
}

impl Tracker {
    fn new(expected: u64) -> Arc<Tracker> {
        Arc::new(Tracker {
            expected,
            state: Mutex::new(TrackState::default()),
            cv: Condvar::new(),
        })
    }

    fn add(&self, k: u64) {
        let total = DELIVERED.fetch_add(k, Relaxed) + k;
        if total >= self.expected {
            let mut st = self.state.lock().unwrap_or_else(|p| p.into_inner());
            if st.done_at.is_none() {
                st.done_at = Some(Instant::now());
                self.cv.notify_all();
            }
        }
    }

    fn fail(&self, msg: String) {
        let mut st = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if st.failure.is_none() {
            st.failure = Some(msg);
        }
        self.cv.notify_all();
    }

    fn finished(&self) -> bool {
        let st = self.state.lock().unwrap_or_else(|p| p.into_inner());
        st.done_at.is_some() || st.failure.is_some()
    }

    /// Wait until every expected message arrived (its time), a failure, or the deadline.
    fn wait(&self, deadline: Instant) -> Result<Instant, String> {
        let mut st = self.state.lock().unwrap_or_else(|p| p.into_inner());
        loop {
            if let Some(f) = &st.failure {
                return Err(f.clone());
            }
            if let Some(t) = st.done_at {
                return Ok(t);
            }
            let now = Instant::now();
            if now >= deadline {
                return Err(format!(
                    "timed out waiting for messages: {} of {} arrived",
                    DELIVERED.load(Relaxed),
                    self.expected
                ));
            }
            st = self
                .cv
                .wait_timeout(st, deadline - now)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
    }
}

fn is_timeout(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}

/// A subscriber: counts MSG/HMSG until its own share (`own`) or the run's total arrived.
struct Sub {
    client: Client,
    own: Option<u64>,
    got: Arc<AtomicU64>,
    hmsgs: Arc<AtomicU64>,
    iso: Option<Isolation>,
}

/// A subscriber that must get only its own publisher's messages (`pubsub2`): they carry `tag`
/// as the first payload byte (any other is a stray delivery: the run fails), `expected` of them
/// exactly; `delivered` counts them (its publisher's gate reads it).
#[derive(Clone)]
struct Isolation {
    who: String,
    tag: u8,
    expected: u64,
    delivered: &'static AtomicU64,
}

fn spawn_sub(idx: usize, mut s: Sub, tr: Arc<Tracker>) -> thread::JoinHandle<()> {
    thread::spawn(move || {
        // Short read timeouts so a queue member notices when the others finished the run.
        let _ = s
            .client
            .sock
            .set_read_timeout(Some(Duration::from_millis(20)));
        let mut mine = 0u64;
        let tag = s.iso.as_ref().map(|i| i.tag);
        loop {
            if s.own.is_some_and(|o| mine >= o) || tr.finished() {
                return;
            }
            let (mut k, mut h, mut pings) = (0u64, 0u64, 0u32);
            let (mut stray, mut stray_first) = (0u64, 0u8);
            let mut err = None;
            let r = s
                .client
                .reader
                .read_some(&mut s.client.sock, |op| match op {
                    Op::Msg { first, .. } if tag.is_some_and(|t| t != first) => {
                        stray += 1;
                        stray_first = first;
                    }
                    Op::Msg { hdr, .. } => {
                        k += 1;
                        h += hdr as u64;
                    }
                    Op::Ping => pings += 1,
                    Op::Err(e) => err = Some(String::from_utf8_lossy(e).into_owned()),
                    _ => {}
                });
            if k > 0 {
                mine += k;
                s.got.fetch_add(k, Relaxed);
                s.hmsgs.fetch_add(h, Relaxed);
                if let Some(iso) = &s.iso {
                    iso.delivered.fetch_add(k, Relaxed);
                }
                tr.add(k);
            }
            if stray > 0 {
                let who = s.iso.as_ref().map_or("", |i| i.who.as_str());
                tr.fail(format!(
                    "subscriber {idx} ({who}) got {stray} message(s) that are not its \
                     publisher's (first payload byte {:?}) after {mine} of its own",
                    stray_first as char
                ));
                return;
            }
            for _ in 0..pings {
                if let Err(e) = s.client.write(b"PONG\r\n") {
                    tr.fail(format!("subscriber {idx}: PONG: {e}"));
                    return;
                }
            }
            if let Some(e) = err {
                tr.fail(format!(
                    "subscriber {idx} got -ERR {e} after {mine} messages"
                ));
                return;
            }
            match r {
                Ok(_) => {}
                Err(e) if is_timeout(&e) => {}
                Err(e) => {
                    tr.fail(format!("subscriber {idx} after {mine} messages: {e}"));
                    return;
                }
            }
        }
    })
}

/// One publisher: its connection, what it sends and how many messages.
struct Pub {
    client: Client,
    buf: Arc<PubBuffer>,
    count: u64,
    gate: Arc<Gate>,
}

/// Publish everything (after the start barrier), then PING/PONG: the server has processed
/// every PUB when the PONG arrives.
fn spawn_pub(
    idx: usize,
    mut p: Pub,
    start: Arc<Barrier>,
) -> thread::JoinHandle<Result<Instant, String>> {
    thread::spawn(move || {
        start.wait();
        p.buf
            .send(&mut p.client.sock, p.count, &SENT, &p.gate)
            .map_err(|e| format!("publisher {idx} write: {e}"))?;
        p.client
            .flush()
            .map_err(|e| format!("publisher {idx} flush: {e}"))?;
        Ok(Instant::now())
    })
}

fn subscribe(p: &Params, name: &str, sub_line: &str, hello: &Hello) -> Result<Client, String> {
    subscribe_at(&p.addr, p, name, sub_line, hello)
}

fn subscribe_at(
    addr: &str,
    p: &Params,
    name: &str,
    sub_line: &str,
    hello: &Hello,
) -> Result<Client, String> {
    let mut c = Client::connect(addr, name, hello, p.timeout)?;
    c.write(sub_line.as_bytes())
        .map_err(|e| format!("{name} SUB: {e}"))?;
    c.flush().map_err(|e| format!("{name} SUB flush: {e}"))?;
    Ok(c)
}

/// The subject of the interest probes (`--sub-addr`): every remote subscriber also subscribes
/// to it, with sid 2, right after its own subscription.
fn probe_subject(p: &Params) -> String {
    p.subject("probe")
}

/// Subscriber `i` of a flow, on its `--sub-addr` (else `--addr`). On another server it also
/// subscribes to the probe subject, after `sub_line`, so a server that routes it a probe has
/// learned the subscription too (a route carries one account's interest in order).
fn flow_subscriber(p: &Params, i: usize, name: &str, sub_line: &str) -> Result<Client, String> {
    let line = if p.sub_addrs.is_empty() {
        sub_line.to_string()
    } else {
        format!("{sub_line}SUB {} 2\r\n", probe_subject(p))
    };
    subscribe_at(p.sub_addr(i), p, name, &line, &p.hello())
}

/// With subscribers on other servers of a cluster: publish probes (each followed by
/// PING/PONG) from the publisher's connection until every subscriber got one, so the
/// publisher's server knows all their subscriptions before the measured run; then each
/// subscriber drops the probe subscription (UNSUB, then PING/PONG: probes still arriving are
/// read and discarded before the PONG). Bounded by the run's timeout.
fn await_remote_interest(p: &Params, publisher: &mut Client, subs: &mut [Client]) -> Outcome {
    if p.sub_addrs.is_empty() || subs.is_empty() {
        return Ok(());
    }
    let probe = pub_msg(&probe_subject(p), None, b"");
    let deadline = p.started + p.timeout;
    let mut seen = vec![false; subs.len()];
    for s in subs.iter() {
        s.sock
            .set_read_timeout(Some(Duration::from_millis(5)))
            .map_err(|e| format!("read timeout: {e}"))?;
    }
    let mut probes = 0u64;
    while seen.iter().any(|s| !s) {
        if Instant::now() >= deadline {
            return Err(format!(
                "interest of {} of {} subscribers never reached the publisher's server",
                seen.iter().filter(|s| !**s).count(),
                subs.len()
            ));
        }
        publisher
            .write(&probe)
            .map_err(|e| format!("probe write: {e}"))?;
        publisher.flush().map_err(|e| format!("probe flush: {e}"))?;
        probes += 1;
        for (i, s) in subs.iter_mut().enumerate() {
            if seen[i] {
                continue;
            }
            let mut got = false;
            match s.reader.read_some(&mut s.sock, |op| {
                if let Op::Msg { .. } = op {
                    got = true;
                }
            }) {
                Ok(_) => {}
                Err(e) if is_timeout(&e) => {}
                Err(e) => return Err(format!("subscriber {i} probe read: {e}")),
            }
            seen[i] |= got;
        }
    }
    for (i, s) in subs.iter_mut().enumerate() {
        s.sock
            .set_read_timeout(Some(p.timeout))
            .map_err(|e| format!("read timeout: {e}"))?;
        s.write(b"UNSUB 2\r\n")
            .map_err(|e| format!("subscriber {i} UNSUB: {e}"))?;
        s.flush()
            .map_err(|e| format!("subscriber {i} UNSUB flush: {e}"))?;
    }
    eprintln!("loadgen: remote interest seen after {probes} probe(s)");
    Ok(())
}

/// A publisher of `count` messages, gated to `--window` bytes in flight per subscriber
/// (`factor` deliveries per message; 0 = no subscriber, no gate).
fn publisher(
    p: &Params,
    name: &str,
    buf: Arc<PubBuffer>,
    count: u64,
    factor: u64,
) -> Result<Pub, String> {
    publisher_with(p, name, &p.hello(), buf, count, factor, None)
}

/// [`publisher`] with its own credentials, and (`pair`: its own sent and delivered counters)
/// a gate of its own instead of the run's.
fn publisher_with(
    p: &Params,
    name: &str,
    hello: &Hello,
    buf: Arc<PubBuffer>,
    count: u64,
    factor: u64,
    pair: Option<(&'static AtomicU64, &'static AtomicU64)>,
) -> Result<Pub, String> {
    let client = Client::connect(&p.addr, name, hello, p.timeout)?;
    let gate = if factor == 0 || p.window == 0 {
        Gate::open()
    } else {
        Gate {
            factor,
            window: (p.window / buf.msg_len().max(1)).max(1),
            delivered: pair.map_or(&DELIVERED, |(_, d)| d),
            sent: pair.map(|(s, _)| s),
            deadline: p.started + p.timeout,
        }
    };
    Ok(Pub {
        client,
        buf,
        count,
        gate: Arc::new(gate),
    })
}

/// A flow run: subscribers ready, publishers released together, measured until the last
/// expected message arrived (or, without subscribers, until the publishers' PONGs).
struct Flow {
    pubs: Vec<Pub>,
    subs: Vec<Client>,
    /// Each subscriber's own expected count (fan-out), or None (queue group: the total).
    own: Option<u64>,
    expected: u64,
    /// Payload bytes per message, for MB/s.
    payload: usize,
    /// Empty, or one per subscriber: what it must get and nothing else (`pubsub2`).
    iso: Vec<Isolation>,
}

fn run_flow(p: &Params, mut flow: Flow, r: &mut Report) -> Outcome {
    if let Some(first) = flow.pubs.first_mut() {
        // Every publisher is on `--addr`: one learning the interest is enough.
        await_remote_interest(p, &mut first.client, &mut flow.subs)?;
    }
    let published: u64 = flow.pubs.iter().map(|x| x.count).sum();
    r.int("published", published).int("expected", flow.expected);
    let tr = Tracker::new(flow.expected);
    let mut got = Vec::new();
    let hmsgs = Arc::new(AtomicU64::new(0));
    for (i, client) in flow.subs.into_iter().enumerate() {
        let g = Arc::new(AtomicU64::new(0));
        got.push(g.clone());
        let s = Sub {
            client,
            own: flow.own,
            got: g,
            hmsgs: hmsgs.clone(),
            iso: flow.iso.get(i).cloned(),
        };
        // Detached: a subscriber ends by itself once its share or the run's total arrived.
        spawn_sub(i, s, tr.clone());
    }
    let barrier = Arc::new(Barrier::new(flow.pubs.len() + 1));
    let pub_threads: Vec<_> = flow
        .pubs
        .into_iter()
        .enumerate()
        .map(|(i, x)| spawn_pub(i, x, barrier.clone()))
        .collect();
    let deadline = p.started + p.timeout;
    let probe = if p.probe_ms > 0 {
        Some(Prober::start(p)?)
    } else {
        None
    };
    mark("go");
    let start = Instant::now();
    barrier.wait();
    let mut pub_end = start;
    let mut failure = None;
    for t in pub_threads {
        match t.join() {
            Ok(Ok(t)) => pub_end = pub_end.max(t),
            Ok(Err(e)) => failure = failure.or(Some(e)),
            Err(_) => failure = failure.or(Some("publisher thread panicked".to_string())),
        }
    }
    if let Some(e) = &failure {
        tr.fail(e.clone());
    }
    let end = if flow.expected > 0 {
        tr.wait(deadline)
    } else {
        failure.clone().map_or(Ok(pub_end), Err)
    };
    mark("done");
    if let Some(probe) = probe {
        probe.finish(r)?;
    }
    let delivered = DELIVERED.load(Relaxed);
    r.int("delivered", delivered);
    let pub_s = (pub_end - start).as_secs_f64();
    r.num("pub_elapsed_s", pub_s)
        .num("pub_msgs_per_s", published as f64 / pub_s);
    if !got.is_empty() {
        let counts: Vec<u64> = got.iter().map(|g| g.load(Relaxed)).collect();
        let (mn, mx) = (
            *counts.iter().min().unwrap_or(&0),
            *counts.iter().max().unwrap_or(&0),
        );
        let mean = counts.iter().sum::<u64>() as f64 / counts.len() as f64;
        let mut spread = Report::new();
        spread
            .int("min", mn)
            .int("max", mx)
            .num(
                "max_dev_pct",
                if mean > 0.0 {
                    100.0 * (mx as f64 - mean).max(mean - mn as f64) / mean
                } else {
                    0.0
                },
            )
            .set(
                "per_sub",
                Val::Arr(counts.iter().map(|&c| Val::Int(c)).collect()),
            );
        r.set("per_sub", Val::Obj(spread));
        r.int("hmsgs", hmsgs.load(Relaxed));
    }
    let end = end?;
    let elapsed = (end - start).as_secs_f64();
    let moved = if flow.expected > 0 {
        flow.expected
    } else {
        published
    };
    r.num("elapsed_s", elapsed)
        .num("msgs_per_s", moved as f64 / elapsed)
        .num(
            "mb_per_s",
            (moved as f64 * flow.payload as f64) / elapsed / 1e6,
        );
    // Anything beyond the expected total is a duplicate or a stray delivery.
    thread::sleep(Duration::from_millis(20));
    let after = DELIVERED.load(Relaxed);
    if after > flow.expected && flow.expected > 0 {
        return Err(format!(
            "{} messages delivered, {} expected",
            after, flow.expected
        ));
    }
    if !flow.iso.is_empty() {
        let pairs = flow.iso.iter().map(|iso| {
            let mut o = Report::new();
            o.str("who", iso.who.clone())
                .int("expected", iso.expected)
                .int("delivered", iso.delivered.load(Relaxed));
            Val::Obj(o)
        });
        r.set("per_pair", Val::Arr(pairs.collect()));
        for (i, iso) in flow.iso.iter().enumerate() {
            let n = iso.delivered.load(Relaxed);
            if n != iso.expected {
                return Err(format!(
                    "subscriber {i} ({}) got {n} of its own messages, {} expected",
                    iso.who, iso.expected
                ));
            }
        }
    }
    Ok(())
}

/// `--probe-ms`: a connection of its own that PINGs the server every `probe_ms` during a flow
/// run and times each PONG (one PING outstanding at a time).
struct Prober {
    stop: Arc<std::sync::atomic::AtomicBool>,
    thread: thread::JoinHandle<Result<Vec<u64>, String>>,
}

impl Prober {
    fn start(p: &Params) -> Result<Prober, String> {
        let mut c = Client::connect(&p.addr, "prober", &p.hello(), p.timeout)?;
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let halt = stop.clone();
        let every = Duration::from_millis(p.probe_ms);
        let thread = thread::spawn(move || {
            let mut lat = Vec::new();
            while !halt.load(Relaxed) {
                let t0 = Instant::now();
                c.flush()
                    .map_err(|e| format!("prober after {} PINGs: {e}", lat.len()))?;
                lat.push(t0.elapsed().as_nanos() as u64);
                thread::sleep(every);
            }
            Ok(lat)
        });
        Ok(Prober { stop, thread })
    }

    /// Stops the probes and reports their round trips (`pings`, `ping_latency_us`).
    fn finish(self, r: &mut Report) -> Outcome {
        self.stop.store(true, Relaxed);
        let mut lat = self
            .thread
            .join()
            .map_err(|_| "prober thread panicked".to_string())??;
        if lat.is_empty() {
            return Err("the prober got no PONG during the run".into());
        }
        r.int("pings", lat.len() as u64)
            .set("ping_latency_us", Val::Obj(percentiles(&mut lat)));
        Ok(())
    }
}

pub fn pub_only(p: &Params, r: &mut Report) -> Outcome {
    let buf = Arc::new(PubBuffer::repeated(&pub_msg(
        &p.subject("pub"),
        None,
        &payload(p.size),
    )));
    let flow = Flow {
        pubs: vec![publisher(p, "pub", buf, p.count, 0)?],
        subs: vec![],
        own: None,
        expected: 0,
        payload: p.size,
        iso: vec![],
    };
    run_flow(p, flow, r)
}

pub fn pubsub(p: &Params, r: &mut Report) -> Outcome {
    let subj = p.subject("pubsub");
    let sub = flow_subscriber(p, 0, "sub", &format!("SUB {subj} 1\r\n"))?;
    let buf = Arc::new(PubBuffer::repeated(&pub_msg(&subj, None, &payload(p.size))));
    let flow = Flow {
        pubs: vec![publisher(p, "pub", buf, p.count, 1)?],
        subs: vec![sub],
        own: Some(p.count),
        expected: p.count,
        payload: p.size,
        iso: vec![],
    };
    run_flow(p, flow, r)
}

/// Two publisher → subscriber pairs at once on the same subject, pair 1 logged in with
/// `--user`/`--pass`, pair 2 with `--user2`/`--pass2`, `--count` messages each. In two
/// accounts the pairs must not see each other: each publisher's payloads start with its own
/// byte (`A`, `B`), each subscriber must get exactly its publisher's `--count` and no message
/// of the other (an empty payload is not tagged: then only the counts are checked). Both
/// pairs in one account (the same credentials) fail on the first stray message. Each
/// publisher has its own `--window`, as in `pubsub`.
pub fn pubsub2(p: &Params, r: &mut Report) -> Outcome {
    let subj = p.subject("pubsub2");
    let (mut subs, mut pubs, mut iso) = (vec![], vec![], vec![]);
    for (k, hello) in [p.hello(), p.hello2()].iter().enumerate() {
        let tag = if p.size > 0 { b'A' + k as u8 } else { 0 };
        let who = format!(
            "pair {} as {}",
            k + 1,
            hello.user.as_deref().unwrap_or("(no user)")
        );
        subs.push(subscribe(
            p,
            &format!("sub{}", k + 1),
            &format!("SUB {subj} 1\r\n"),
            hello,
        )?);
        let mut body = payload(p.size);
        if let Some(b) = body.first_mut() {
            *b = tag;
        }
        let buf = Arc::new(PubBuffer::repeated(&pub_msg(&subj, None, &body)));
        let sent: &'static AtomicU64 = Box::leak(Box::new(AtomicU64::new(0)));
        let delivered: &'static AtomicU64 = Box::leak(Box::new(AtomicU64::new(0)));
        pubs.push(publisher_with(
            p,
            &format!("pub{}", k + 1),
            hello,
            buf,
            p.count,
            1,
            Some((sent, delivered)),
        )?);
        iso.push(Isolation {
            who,
            tag,
            expected: p.count,
            delivered,
        });
    }
    let flow = Flow {
        pubs,
        subs,
        // Every subscriber reads until the run's total arrived, so a stray message is seen.
        own: None,
        expected: 2 * p.count,
        payload: p.size,
        iso,
    };
    run_flow(p, flow, r)
}

pub fn hpub(p: &Params, r: &mut Report) -> Outcome {
    let subj = p.subject("hpub");
    let sub = flow_subscriber(p, 0, "sub", &format!("SUB {subj} 1\r\n"))?;
    let buf = Arc::new(PubBuffer::repeated(&hpub_msg(&subj, &payload(p.size))));
    let flow = Flow {
        pubs: vec![publisher(p, "pub", buf, p.count, 1)?],
        subs: vec![sub],
        own: Some(p.count),
        expected: p.count,
        payload: p.size,
        iso: vec![],
    };
    run_flow(p, flow, r)?;
    let h = r_get_int(r, "hmsgs").unwrap_or(0);
    if h != p.count {
        return Err(format!("{h} of {} deliveries were HMSG", p.count));
    }
    Ok(())
}

fn r_get_int(r: &Report, key: &str) -> Option<u64> {
    r.get(key)
        .and_then(|v| if let Val::Int(n) = v { Some(*n) } else { None })
}

pub fn fanout(p: &Params, r: &mut Report) -> Outcome {
    let subj = p.subject("fanout");
    let subs = (0..p.subs)
        .map(|i| flow_subscriber(p, i, &format!("sub{i}"), &format!("SUB {subj} 1\r\n")))
        .collect::<Result<Vec<_>, _>>()?;
    let buf = Arc::new(PubBuffer::repeated(&pub_msg(&subj, None, &payload(p.size))));
    let flow = Flow {
        pubs: vec![publisher(p, "pub", buf, p.count, p.subs as u64)?],
        subs,
        own: Some(p.count),
        expected: p.count * p.subs as u64,
        payload: p.size,
        iso: vec![],
    };
    run_flow(p, flow, r)
}

pub fn fanin(p: &Params, r: &mut Report) -> Outcome {
    let subj = p.subject("fanin");
    let sub = flow_subscriber(p, 0, "sub", &format!("SUB {subj} 1\r\n"))?;
    let buf = Arc::new(PubBuffer::repeated(&pub_msg(&subj, None, &payload(p.size))));
    let n = p.pubs as u64;
    let pubs = (0..p.pubs)
        .map(|i| {
            let share = p.count / n + u64::from((i as u64) < p.count % n);
            publisher(p, &format!("pub{i}"), buf.clone(), share, 1)
        })
        .collect::<Result<Vec<_>, _>>()?;
    let flow = Flow {
        pubs,
        subs: vec![sub],
        own: Some(p.count),
        expected: p.count,
        payload: p.size,
        iso: vec![],
    };
    run_flow(p, flow, r)
}

pub fn queue(p: &Params, r: &mut Report) -> Outcome {
    let subj = p.subject("queue");
    let subs = (0..p.subs)
        .map(|i| flow_subscriber(p, i, &format!("q{i}"), &format!("SUB {subj} workers 1\r\n")))
        .collect::<Result<Vec<_>, _>>()?;
    let buf = Arc::new(PubBuffer::repeated(&pub_msg(&subj, None, &payload(p.size))));
    let flow = Flow {
        pubs: vec![publisher(p, "pub", buf, p.count, 1)?],
        subs,
        own: None,
        expected: p.count,
        payload: p.size,
        iso: vec![],
    };
    run_flow(p, flow, r)
}

/// 100,000-ish subscriptions on one connection: 97% literal `<p>.<i>.x`, 1% `<p>.<i>.*`,
/// 1% `<p>.<i>.>`, 1% `*.<i>.y` (a root wildcard every lookup must also walk, matching
/// nothing published). Publishes go to `<p>.<j>.x` with j striding over all i, so consecutive
/// subjects differ and result caches miss; each matches exactly one subscription.
pub fn manysubs(p: &Params, r: &mut Report) -> Outcome {
    let pre = p.subject("many");
    let n = p.nsubs.max(1);
    let mut subs = Vec::with_capacity(n * 24);
    for i in 0..n {
        let line = match i % 100 {
            0 => format!("SUB {pre}.{i}.* {}\r\n", i + 1),
            1 => format!("SUB {pre}.{i}.> {}\r\n", i + 1),
            2 => format!("SUB *.{i}.y {}\r\n", i + 1),
            _ => format!("SUB {pre}.{i}.x {}\r\n", i + 1),
        };
        subs.extend_from_slice(line.as_bytes());
    }
    let mut c = Client::connect(&p.addr, "manysubs", &p.hello(), p.timeout)?;
    let t0 = Instant::now();
    c.write(&subs).map_err(|e| format!("SUBs: {e}"))?;
    c.flush().map_err(|e| format!("SUB flush: {e}"))?;
    let sub_s = t0.elapsed().as_secs_f64();
    // Every SUB is in the server now: the driver samples its memory (bytes per subscription).
    mark("up");
    r.int("nsubs", n as u64)
        .num("subscribe_s", sub_s)
        .num("subs_per_s", n as f64 / sub_s);
    // Published subjects: every i except the `*.<i>.y` ones (they match nothing), in a
    // stride coprime to n so neighbours in time are far apart in the table.
    let targets: Vec<usize> = (0..n).filter(|i| i % 100 != 2).collect();
    let m = targets.len();
    let mut stride = 7919 % m.max(1);
    while stride == 0 || gcd(stride, m) != 1 {
        stride += 1;
    }
    let body = payload(p.size);
    let buf = Arc::new(PubBuffer::cycle((0..m).map(|k| {
        pub_msg(
            &format!("{pre}.{}.x", targets[(k * stride) % m]),
            None,
            &body,
        )
    })));
    r.int("distinct_subjects", buf.len() as u64);
    let flow = Flow {
        pubs: vec![publisher(p, "pub", buf, p.count, 1)?],
        subs: vec![c],
        own: Some(p.count),
        expected: p.count,
        payload: p.size,
        iso: vec![],
    };
    run_flow(p, flow, r)
}

fn gcd(a: usize, b: usize) -> usize {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

/// Request/reply round trips, one at a time, through one responder.
pub fn reqrep(p: &Params, r: &mut Report) -> Outcome {
    let req_subj = p.subject("req");
    let reply_subj = p.subject("reply");
    let mut responder = subscribe(p, "responder", &format!("SUB {req_subj} 1\r\n"), &p.hello())?;
    let mut requester = subscribe(
        p,
        "requester",
        &format!("SUB {reply_subj} 1\r\n"),
        &p.hello(),
    )?;
    let body = payload(p.size);
    let reply_body = body.clone();
    let resp_fail: Arc<Mutex<Option<String>>> = Arc::new(Mutex::new(None));
    let rf = resp_fail.clone();
    let _responder = thread::spawn(move || {
        let mut out = Vec::with_capacity(64 * 1024);
        let _ = responder.sock.set_read_timeout(None);
        loop {
            let mut pings = 0;
            let r = responder
                .reader
                .read_some(&mut responder.sock, |op| match op {
                    Op::Msg {
                        reply: Some(rep), ..
                    } => {
                        out.extend_from_slice(b"PUB ");
                        out.extend_from_slice(rep);
                        out.extend_from_slice(format!(" {}\r\n", reply_body.len()).as_bytes());
                        out.extend_from_slice(&reply_body);
                        out.extend_from_slice(b"\r\n");
                    }
                    Op::Ping => pings += 1,
                    _ => {}
                });
            for _ in 0..pings {
                out.extend_from_slice(b"PONG\r\n");
            }
            let w = if out.is_empty() {
                Ok(())
            } else {
                responder.write(&out)
            };
            out.clear();
            if let Err(e) = r.and(w.map(|_| 0)) {
                *rf.lock().unwrap_or_else(|p| p.into_inner()) = Some(format!("responder: {e}"));
                return;
            }
        }
    });
    let request = pub_msg(&req_subj, Some(&reply_subj), &body);
    let total = p.warmup + p.count;
    let mut lat = Vec::with_capacity(p.count as usize);
    let t_start = Instant::now();
    let mut t_measured = t_start;
    for i in 0..total {
        if i == p.warmup {
            mark("go");
            t_measured = Instant::now();
        }
        let t0 = Instant::now();
        requester
            .write(&request)
            .map_err(|e| format!("request {i}: {e}"))?;
        SENT.fetch_add(1, Relaxed);
        let mut got = 0u64;
        while got == 0 {
            let mut pings = 0;
            let res = requester
                .reader
                .read_some(&mut requester.sock, |op| match op {
                    Op::Msg { .. } => got += 1,
                    Op::Ping => pings += 1,
                    _ => {}
                });
            for _ in 0..pings {
                requester
                    .write(b"PONG\r\n")
                    .map_err(|e| format!("PONG: {e}"))?;
            }
            if let Err(e) = res {
                let resp = resp_fail.lock().unwrap_or_else(|p| p.into_inner()).clone();
                return Err(format!(
                    "reply {i}: {e}{}",
                    resp.map(|s| format!(" ({s})")).unwrap_or_default()
                ));
            }
        }
        let dt = t0.elapsed();
        // Request and reply are both deliveries.
        DELIVERED.fetch_add(2 * got, Relaxed);
        if got != 1 {
            return Err(format!("request {i}: {got} replies"));
        }
        if i >= p.warmup {
            lat.push(dt.as_nanos() as u64);
        }
    }
    let elapsed = t_measured.elapsed().as_secs_f64();
    mark("done");
    r.int("published", 2 * total)
        .int("expected", 2 * total)
        .int("delivered", DELIVERED.load(Relaxed))
        .int("round_trips", p.count)
        .num("elapsed_s", elapsed)
        .num("msgs_per_s", p.count as f64 / elapsed)
        .set("latency_us", Val::Obj(percentiles(&mut lat)));
    Ok(())
}

/// N idle connections: CONNECT + PING/PONG each, opened in bursts of `--batch` (all of a burst
/// connect before any handshake is read, as after a server restart), held, then every one
/// must still answer a PING. With `--tls` each connection's TLS handshake is done as it
/// connects (the CONNECT/PONG exchanges of a burst still overlap).
pub fn idle(p: &Params, r: &mut Report) -> Outcome {
    let hello = connect_line("idle", &p.hello());
    let mut conns: Vec<(Conn, Reader)> = Vec::with_capacity(p.conns);
    mark("go");
    let t0 = Instant::now();
    while conns.len() < p.conns {
        let from = conns.len();
        let to = (from + p.batch).min(p.conns);
        for i in from..to {
            let s =
                std::net::TcpStream::connect(&p.addr).map_err(|e| format!("connect #{i}: {e}"))?;
            s.set_read_timeout(Some(p.timeout))
                .map_err(|e| format!("#{i}: {e}"))?;
            let _ = s.set_nodelay(true);
            let (mut s, _) = Conn::open(s, &p.addr).map_err(|e| format!("#{i}: {e}"))?;
            s.write_all(&hello)
                .map_err(|e| format!("CONNECT #{i}: {e}"))?;
            conns.push((s, Reader::with_capacity(2048)));
        }
        for (i, (s, rd)) in conns[from..to].iter_mut().enumerate() {
            rd.wait_pong(s)
                .map_err(|e| format!("handshake #{}: {e}", from + i))?;
            SENT.fetch_add(1, Relaxed);
        }
    }
    let connect_s = t0.elapsed().as_secs_f64();
    r.int("conns", p.conns as u64)
        .num("connect_s", connect_s)
        .num("conns_per_s", p.conns as f64 / connect_s);
    // Tell the driver the connections are all up (it samples memory now), then hold.
    mark("up");
    thread::sleep(Duration::from_secs_f64(p.hold));
    let t1 = Instant::now();
    for (i, (s, _)) in conns.iter_mut().enumerate() {
        s.write_all(b"PING\r\n")
            .map_err(|e| format!("PING #{i} after hold: {e}"))?;
    }
    for (i, (s, rd)) in conns.iter_mut().enumerate() {
        rd.wait_pong(s)
            .map_err(|e| format!("PONG #{i} after hold: {e}"))?;
        DELIVERED.fetch_add(1, Relaxed);
    }
    mark("done");
    r.num("ping_all_s", t1.elapsed().as_secs_f64())
        .int("alive", DELIVERED.load(Relaxed))
        .int("expected", p.conns as u64)
        .int("delivered", DELIVERED.load(Relaxed))
        .num("elapsed_s", connect_s)
        .num("msgs_per_s", p.conns as f64 / connect_s);
    Ok(())
}
