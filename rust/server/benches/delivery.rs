//! Criterion benchmarks of the delivery core ([`fastnats_server::delivery::Delivery`]) alone:
//! no sockets, no parser, no tasks — the cost of matching one message in an account's index
//! and appending it to its recipients' outbound queues.
//!
//! - `fanout/{0,1,10,100}`: one 128-byte message to that many plain subscribers of one
//!   subject (0: publishing to nobody, the cost a publisher pays for matching alone).
//! - `queue/10`: one message to a queue group of 10 (one member picked at random).
//! - `wildcards`: one message to 3 subscribers (`a.b.c`, `a.*.c`, `a.>`) among 10,000
//!   unrelated subscriptions.
//! - `service_import`: one message (no reply) published in account B on a subject B imports
//!   as a service from A, to A's one subscriber: the `Nats-Request-Info` header is built
//!   for each.
//!
//! Each iteration is one batch as a reader makes it: `route` per message, then `end_batch`
//! (flush set, counters). The recipients' queues are emptied after every batch (one lock and
//! a `clear` per recipient, included in the time) so memory stays flat; without sockets the
//! flush only wakes writer tasks that do not exist (a `Notify` permit).

#![allow(clippy::unwrap_used, clippy::expect_used)] // benchmark setup: a panic is the report

use std::hint::black_box;
use std::sync::Arc;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use fastnats_proto::Publish;
use fastnats_server::account::mapping::SubjectMap;
use fastnats_server::account::{
    Account, AccountConfig, AccountSet, Accounts, ImportPlans, ResponseType, ServiceImportPlan,
    DEFAULT_RESPONSE_THRESHOLD,
};
use fastnats_server::connection::Connection;
use fastnats_server::delivery::{Delivery, Origin};
use fastnats_server::kind::Kind;
use fastnats_server::stats::ServerStats;
use fastnats_server::subscription::SubRef;

/// Messages per batch, as a busy reader's 64 KiB read buffer holds a few hundred.
const BATCH: usize = 64;

fn conn(account: &Arc<Account>, cid: u64) -> Arc<Connection> {
    let addr = "127.0.0.1:4222".parse().unwrap();
    Arc::new(Connection::new(
        cid,
        Kind::Client,
        account.clone(),
        1 << 30,
        addr,
    ))
}

fn subscribe(conn: &Arc<Connection>, subject: &str, queue: Option<&str>) {
    let sub = SubRef::new(
        conn.clone(),
        subject.as_bytes(),
        queue.map(str::as_bytes),
        b"1",
    );
    conn.account().index.insert(sub).unwrap();
}

struct Setup {
    account: Arc<Account>,
    recipients: Vec<Arc<Connection>>,
    publisher: Arc<Connection>,
    delivery: Delivery,
}

impl Setup {
    fn new() -> Self {
        let account = Arc::new(Account::new("$G", true));
        let publisher = conn(&account, 0);
        Setup {
            delivery: Delivery::new(Arc::new(ServerStats::default())),
            account,
            recipients: Vec::new(),
            publisher,
        }
    }

    fn recipient(&mut self, subject: &str, queue: Option<&str>) {
        let c = conn(&self.account, self.recipients.len() as u64 + 1);
        subscribe(&c, subject, queue);
        self.recipients.push(c);
    }

    fn batch(&mut self, msg: &Publish<'_>) {
        let from = Origin { cid: 0, echo: true };
        for _ in 0..BATCH {
            black_box(self.delivery.route(&self.account, from, msg));
        }
        self.delivery
            .end_batch(&self.publisher, &self.account, false);
        for r in &self.recipients {
            r.out.lock().buf.clear();
        }
    }
}

fn message<'a>(subject: &'a [u8], payload: &'a [u8]) -> Publish<'a> {
    Publish {
        subject,
        reply: None,
        header_len: None,
        data: payload,
        size_field: b"128",
        header_field: b"",
    }
}

fn fanout(c: &mut Criterion) {
    let payload = [b'x'; 128];
    let mut g = c.benchmark_group("fanout");
    for n in [0usize, 1, 10, 100] {
        let mut s = Setup::new();
        for _ in 0..n {
            s.recipient("orders.new", None);
        }
        let msg = message(b"orders.new", &payload);
        g.throughput(Throughput::Elements((BATCH * n.max(1)) as u64));
        g.bench_with_input(BenchmarkId::from_parameter(n), &n, |b, _| {
            b.iter(|| s.batch(&msg));
        });
    }
    g.finish();
}

fn queue(c: &mut Criterion) {
    let payload = [b'x'; 128];
    let mut s = Setup::new();
    for _ in 0..10 {
        s.recipient("work", Some("workers"));
    }
    let msg = message(b"work", &payload);
    let mut g = c.benchmark_group("queue");
    g.throughput(Throughput::Elements(BATCH as u64));
    g.bench_function("10", |b| b.iter(|| s.batch(&msg)));
    g.finish();
}

fn wildcards(c: &mut Criterion) {
    let payload = [b'x'; 128];
    let mut s = Setup::new();
    let others = conn(&s.account, 10_000);
    for i in 0..10_000 {
        subscribe(&others, &format!("x.{}.y.{}", i % 100, i), None);
    }
    for subject in ["a.b.c", "a.*.c", "a.>"] {
        s.recipient(subject, None);
    }
    let msg = message(b"a.b.c", &payload);
    let mut g = c.benchmark_group("wildcards");
    g.throughput(Throughput::Elements((BATCH * 3) as u64));
    g.bench_function("3_among_10k", |b| b.iter(|| s.batch(&msg)));
    g.finish();
}

fn service_import(c: &mut Criterion) {
    let payload = [b'x'; 128];
    let accounts: Accounts = ["A", "B"]
        .into_iter()
        .map(|n| (n.to_string(), AccountConfig::default()))
        .collect();
    let plans = ImportPlans {
        streams: Vec::new(),
        services: vec![ServiceImportPlan {
            into: "B".to_string(),
            target: "A".to_string(),
            local: "svc.echo".to_string(),
            map: SubjectMap::Same,
            response_type: ResponseType::Singleton,
            threshold: DEFAULT_RESPONSE_THRESHOLD,
            share: false,
        }],
    };
    let set = AccountSet::build(None, &accounts, None, &plans, true);
    let mut s = Setup::new();
    s.account = set.get("A").unwrap().clone();
    s.recipient("svc.echo", None);
    s.account = set.get("B").unwrap().clone();
    s.publisher = conn(&s.account, 0);
    let msg = message(b"svc.echo", &payload);
    let mut g = c.benchmark_group("service_import");
    g.throughput(Throughput::Elements(BATCH as u64));
    g.bench_function("1", |b| b.iter(|| s.batch(&msg)));
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(30)
        .measurement_time(std::time::Duration::from_secs(2))
        .warm_up_time(std::time::Duration::from_millis(500));
    targets = fanout, queue, wildcards, service_import
}
criterion_main!(benches);
