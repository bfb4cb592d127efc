//! `loadgen`: a NATS load generator speaking the raw client protocol, for comparing fastnats
//! with nats-server end to end (driven by `benches/compare.py`).
//!
//! Like nats-server's own `test/bench_test.go`, publishers write pre-built protocol bytes in
//! large chunks and end with PING/PONG; subscribers parse the stream and count messages until
//! the expected total arrived. Every run is bounded in count and in time (`--timeout`), checks
//! that every expected message arrived, and prints one JSON line; the exit code is 0 when the
//! run succeeded, 1 when it failed (the line then has `"ok":false` and an `"error"`), 2 on a
//! usage error. Publishers keep at most `--window` bytes (default 8 MiB) per subscriber in
//! flight, sent but not yet received; `--window 0` floods, as nats-server's bench suite does. Phase markers go to stderr (see [`mark`]).
//!
//! Modes:
//! - `pub`      1 publisher, no subscriber
//! - `pubsub`   1 publisher → 1 subscriber
//! - `pubsub2`  2 pairs of 1 publisher → 1 subscriber at once on the same subject, pair 1 as
//!   `--user`, pair 2 as `--user2` (two accounts): each subscriber must get exactly its own
//!   publisher's `--count` messages, never one of the other's
//! - `fanout`   1 publisher → `--subs` subscribers on the same subject
//! - `fanin`    `--pubs` publishers → 1 subscriber
//! - `queue`    1 publisher → a queue group of `--subs` members (reports the spread)
//! - `hpub`     1 publisher of HPUB with a header → 1 subscriber (HMSG checked)
//! - `reqrep`   request/reply round trips through one responder: latency percentiles
//! - `manysubs` `--nsubs` subscriptions (literal, `*`, `>`), publishes spread over all of them
//! - `idle`     `--conns` connections opened in bursts of `--batch`, CONNECT + PING/PONG, held
//!   `--hold` seconds, re-PINGed
//! - `jspub`    JetStream publishes with PubAcks, `--inflight` unacknowledged (see [`jetstream`])
//! - `jsfetch`  a pull consumer without acks fetched in `--batch`es (see [`jetstream`])
//! - `jskvget`  sequential KV gets (direct gets) of `--keys` keys (see [`jetstream`])
//!
//! `--probe-ms MS` (flow modes: `pub` to `hpub`) adds a prober connection that sends a PING
//! every MS milliseconds during the measured phase and reports the PING/PONG round trips
//! (`ping_latency_us`): how long a busy publisher makes other connections wait.
//!
//! `--tls` makes every connection do the TLS handshake after INFO (the server's certificate
//! unchecked but its handshake signatures verified); `--tls-ca FILE` (implies `--tls`)
//! verifies the certificate against that CA for the host of `--addr` (see [`tls`]).
//!
//! `--user`/`--pass` log every connection in (CONNECT `"user"`/`"pass"`); `--user2`/`--pass2`
//! are `pubsub2`'s second pair (default: the first pair's).

mod jetstream;
mod modes;
mod report;
mod tls;
mod wire;

use std::process::exit;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::time::{Duration, Instant};

use report::{Report, Val};
use wire::Hello;

/// Messages written by all publishers (for progress reports of a run that times out).
pub static SENT: AtomicU64 = AtomicU64::new(0);
/// Messages received by all subscribers.
pub static DELIVERED: AtomicU64 = AtomicU64::new(0);
/// Set by whoever prints the one result line (the run or the watchdog).
static PRINTED: AtomicBool = AtomicBool::new(false);

const USAGE: &str = "usage: loadgen MODE [--addr HOST:PORT] [--sub-addr HOST:PORT]... [--count N] [--size BYTES] [--subs N] \
[--pubs N] [--nsubs N] [--conns N] [--hold SECS] [--batch N] [--warmup N] [--window BYTES] \
[--inflight N] [--keys N] [--timeout SECS] [--probe-ms MS] [--tag TEXT] [--user U --pass P] [--user2 U --pass2 P] \
[--tls] [--tls-ca FILE]
modes: pub pubsub pubsub2 fanout fanin queue hpub reqrep manysubs idle jspub jsfetch jskvget";

/// The run's parameters (one set for every mode; each mode reads the ones it needs).
#[derive(Clone)]
pub struct Params {
    pub mode: String,
    pub addr: String,
    /// Where the subscribers of `pubsub`, `hpub`, `fanout` and `queue` connect, in turn
    /// (`--sub-addr`, repeatable: other servers of a cluster); empty = `addr`.
    pub sub_addrs: Vec<String>,
    pub count: u64,
    pub size: usize,
    pub subs: usize,
    pub pubs: usize,
    pub nsubs: usize,
    pub conns: usize,
    pub hold: f64,
    /// Idle connections opened at once before their handshakes are read.
    pub batch: usize,
    pub warmup: u64,
    /// Publisher flow control: bytes in flight per subscriber (0 = flood).
    pub window: u64,
    /// JetStream publishes not yet acknowledged (`jspub`; 1 = synchronous).
    pub inflight: u64,
    /// KV keys (`jskvget`).
    pub keys: u64,
    pub timeout: Duration,
    pub tag: String,
    /// Credentials of every connection (of `pubsub2`'s first pair).
    pub user: Option<String>,
    pub pass: Option<String>,
    /// Credentials of `pubsub2`'s second pair (default: `user`/`pass`).
    pub user2: Option<String>,
    pub pass2: Option<String>,
    /// Milliseconds between the PING probes of a flow run (`--probe-ms`; 0 = none): another
    /// connection PINGs the server throughout the measured phase and reports the round trips,
    /// which shows whether a busy publisher starves other connections.
    pub probe_ms: u64,
    /// `--tls`: TLS on every connection; `tls_ca`: verified against this CA file.
    pub tls: bool,
    pub tls_ca: Option<String>,
    pub started: Instant,
}

impl Params {
    /// The server subscriber `i` connects to.
    pub fn sub_addr(&self, i: usize) -> &str {
        if self.sub_addrs.is_empty() {
            &self.addr
        } else {
            &self.sub_addrs[i % self.sub_addrs.len()]
        }
    }

    /// A subject prefix unique to this run, so nothing else on the server can interfere.
    pub fn subject(&self, what: &str) -> String {
        format!("bench.{}.{what}", std::process::id())
    }

    /// How connections introduce themselves: with `--user`/`--pass` when given.
    pub fn hello(&self) -> Hello {
        Hello {
            user: self.user.clone(),
            pass: self.pass.clone(),
            ..Hello::default()
        }
    }

    /// `pubsub2`'s second pair: `--user2`/`--pass2`, else the first pair's.
    pub fn hello2(&self) -> Hello {
        Hello {
            user: self.user2.clone().or_else(|| self.user.clone()),
            pass: self.pass2.clone().or_else(|| self.pass.clone()),
            ..Hello::default()
        }
    }
}

fn parse_args() -> Result<Params, String> {
    let mut args = std::env::args().skip(1);
    let mode = args.next().ok_or("missing MODE")?;
    if mode == "-h" || mode == "--help" {
        println!("{USAGE}");
        exit(0);
    }
    if ![
        "pub", "pubsub", "pubsub2", "fanout", "fanin", "queue", "hpub", "reqrep", "manysubs",
        "idle", "jspub", "jsfetch", "jskvget",
    ]
    .contains(&mode.as_str())
    {
        return Err(format!("unknown mode {mode:?}"));
    }
    let mut p = Params {
        mode,
        addr: "127.0.0.1:4222".into(),
        sub_addrs: Vec::new(),
        count: 1_000_000,
        size: 128,
        subs: 4,
        pubs: 4,
        nsubs: 100_000,
        conns: 1000,
        hold: 1.0,
        batch: 500,
        warmup: 1000,
        window: 8 << 20,
        inflight: 256,
        keys: 1000,
        timeout: Duration::from_secs(60),
        tag: String::new(),
        user: None,
        pass: None,
        user2: None,
        pass2: None,
        probe_ms: 0,
        tls: false,
        tls_ca: None,
        started: Instant::now(),
    };
    while let Some(flag) = args.next() {
        if flag == "--tls" {
            p.tls = true;
            continue;
        }
        let val = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let num = || {
            val.parse::<u64>()
                .map_err(|_| format!("{flag}: not a number: {val}"))
        };
        let secs = || {
            val.parse::<f64>()
                .ok()
                .filter(|s| *s >= 0.0)
                .ok_or_else(|| format!("{flag}: not seconds: {val}"))
        };
        match flag.as_str() {
            "--addr" => p.addr = val.clone(),
            "--sub-addr" => p.sub_addrs.push(val.clone()),
            "--count" => p.count = num()?.max(1),
            "--size" => p.size = num()? as usize,
            "--subs" => p.subs = (num()? as usize).max(1),
            "--pubs" => p.pubs = (num()? as usize).max(1),
            "--nsubs" => p.nsubs = (num()? as usize).max(1),
            "--conns" => p.conns = (num()? as usize).max(1),
            "--hold" => p.hold = secs()?,
            "--batch" => p.batch = (num()? as usize).max(1),
            "--warmup" => p.warmup = num()?,
            "--window" => p.window = num()?,
            "--inflight" => p.inflight = num()?.max(1),
            "--keys" => p.keys = num()?.max(1),
            "--timeout" => p.timeout = Duration::from_secs_f64(secs()?),
            "--tag" => p.tag = val.clone(),
            "--user" => p.user = Some(val.clone()),
            "--pass" => p.pass = Some(val.clone()),
            "--user2" => p.user2 = Some(val.clone()),
            "--pass2" => p.pass2 = Some(val.clone()),
            "--probe-ms" => p.probe_ms = num()?,
            "--tls-ca" => {
                p.tls = true;
                p.tls_ca = Some(val.clone());
            }
            _ => return Err(format!("unknown flag {flag}")),
        }
    }
    if !p.sub_addrs.is_empty()
        && !matches!(
            p.mode.as_str(),
            "pubsub" | "hpub" | "fanout" | "fanin" | "queue"
        )
    {
        return Err(format!(
            "--sub-addr works with pubsub, hpub, fanout, fanin and queue, not {}",
            p.mode
        ));
    }
    Ok(p)
}

fn base_report(p: &Params) -> Report {
    let mut params = Report::new();
    params
        .int("count", p.count)
        .int("size", p.size as u64)
        .int("subs", p.subs as u64)
        .int("pubs", p.pubs as u64)
        .int("nsubs", p.nsubs as u64)
        .int("conns", p.conns as u64)
        .num("hold", p.hold)
        .int("batch", p.batch as u64)
        .int("warmup", p.warmup)
        .int("window", p.window)
        .int("inflight", p.inflight)
        .int("keys", p.keys)
        .int("probe_ms", p.probe_ms)
        .bool("tls", p.tls)
        .num("timeout", p.timeout.as_secs_f64());
    // The users (never the passwords) of a run that logs in.
    for (key, user) in [("user", &p.user), ("user2", &p.user2)] {
        if let Some(u) = user {
            params.str(key, u.clone());
        }
    }
    let mut r = Report::new();
    r.str("tool", "fastnats-loadgen")
        .str("mode", p.mode.clone())
        .str("addr", p.addr.clone());
    if !p.sub_addrs.is_empty() {
        r.set(
            "sub_addrs",
            Val::Arr(p.sub_addrs.iter().map(|a| Val::Str(a.clone())).collect()),
        );
    }
    if !p.tag.is_empty() {
        r.str("tag", p.tag.clone());
    }
    r.set("params", Val::Obj(params));
    r
}

/// A phase marker on stderr (`loadgen: go` when the measured phase starts, `loadgen: up` when
/// idle connections are all up or `manysubs`' subscriptions are all in, `loadgen: done` when
/// it ends): the driver samples the server's
/// CPU time and memory when it reads one.
pub fn mark(what: &str) {
    eprintln!("loadgen: {what}");
}

/// Print the one result line (first caller wins) and exit.
fn finish(mut r: Report, outcome: Result<(), String>) -> ! {
    if PRINTED.swap(true, Relaxed) {
        // The other side is printing; wait for it to exit the process.
        loop {
            std::thread::park();
        }
    }
    let ok = outcome.is_ok();
    r.bool("ok", ok);
    r.set("error", outcome.err().map_or(Val::Null, Val::Str));
    if r.get("published").is_none() {
        r.int("published", SENT.load(Relaxed));
    }
    if r.get("delivered").is_none() {
        r.int("delivered", DELIVERED.load(Relaxed));
    }
    println!("{}", r.to_json());
    exit(if ok { 0 } else { 1 });
}

fn main() {
    let p = match parse_args() {
        Ok(p) => Arc::new(p),
        Err(e) => {
            eprintln!("loadgen: {e}\n{USAGE}");
            exit(2);
        }
    };
    if p.tls {
        if let Err(e) = tls::enable(p.tls_ca.as_deref()) {
            eprintln!("loadgen: {e}");
            exit(2);
        }
    }
    // The watchdog: whatever hangs, the run ends at its deadline with a failure line.
    let wp = p.clone();
    std::thread::spawn(move || {
        std::thread::sleep(wp.timeout + Duration::from_millis(500));
        let mut r = base_report(&wp);
        r.int("published", SENT.load(Relaxed))
            .int("delivered", DELIVERED.load(Relaxed));
        r.num("wall_s", wp.started.elapsed().as_secs_f64());
        finish(r, Err(format!("run exceeded its {:?} timeout", wp.timeout)));
    });
    let mut r = base_report(&p);
    let outcome = match p.mode.as_str() {
        "pub" => modes::pub_only(&p, &mut r),
        "pubsub" => modes::pubsub(&p, &mut r),
        "pubsub2" => modes::pubsub2(&p, &mut r),
        "fanout" => modes::fanout(&p, &mut r),
        "fanin" => modes::fanin(&p, &mut r),
        "queue" => modes::queue(&p, &mut r),
        "hpub" => modes::hpub(&p, &mut r),
        "reqrep" => modes::reqrep(&p, &mut r),
        "manysubs" => modes::manysubs(&p, &mut r),
        "idle" => modes::idle(&p, &mut r),
        "jspub" => jetstream::jspub(&p, &mut r),
        "jsfetch" => jetstream::jsfetch(&p, &mut r),
        "jskvget" => jetstream::jskvget(&p, &mut r),
        _ => unreachable!("checked in parse_args"),
    };
    r.num("wall_s", p.started.elapsed().as_secs_f64());
    finish(r, outcome);
}
