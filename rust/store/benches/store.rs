//! Store micro-benchmarks: append (128-byte payloads, a group-commit sync every N messages),
//! get by sequence, and a filtered consumer scan, for the file and memory stores.
//!
//! `cargo bench -p fastnats-store --bench store` (add `-- --quick` for a smoke run).

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use fastnats_store::{FileStore, FileStoreConfig, MemStore, Store, StoreLimits};

const PAYLOAD: [u8; 128] = [7u8; 128];
const SUBJECTS: u64 = 100;

fn subject(i: u64) -> String {
    format!("orders.{}", i % SUBJECTS)
}

fn filled(store: &mut dyn Store, n: u64) {
    for i in 0..n {
        store.append(&subject(i), None, &PAYLOAD, i as i64).unwrap();
    }
    store.sync().unwrap();
}

fn append(c: &mut Criterion) {
    let mut g = c.benchmark_group("append_128B");
    g.throughput(Throughput::Elements(1));
    for every in [1u64, 100, 1000] {
        g.bench_with_input(
            BenchmarkId::new("file_sync_every", every),
            &every,
            |b, &every| {
                let dir = tempfile::tempdir().unwrap();
                let (mut s, _) = FileStore::open(
                    dir.path(),
                    FileStoreConfig::default(),
                    StoreLimits::default(),
                )
                .unwrap();
                let mut i = 0u64;
                b.iter(|| {
                    s.append(&subject(i), None, &PAYLOAD, i as i64).unwrap();
                    i += 1;
                    if i % every == 0 {
                        s.sync().unwrap();
                    }
                });
            },
        );
    }
    g.bench_function("file_limit_bound_max_msgs_10k", |b| {
        let dir = tempfile::tempdir().unwrap();
        let limits = StoreLimits {
            max_msgs: Some(10_000),
            ..StoreLimits::default()
        };
        let (mut s, _) = FileStore::open(dir.path(), FileStoreConfig::default(), limits).unwrap();
        let mut i = 0u64;
        b.iter(|| {
            s.append(&subject(i), None, &PAYLOAD, i as i64).unwrap();
            i += 1;
            if i % 1000 == 0 {
                s.sync().unwrap();
            }
        });
    });
    g.bench_function("memory", |b| {
        let mut s = MemStore::new(StoreLimits {
            max_msgs: Some(1_000_000),
            ..StoreLimits::default()
        });
        let mut i = 0u64;
        b.iter(|| {
            s.append(&subject(i), None, &PAYLOAD, i as i64).unwrap();
            i += 1;
        });
    });
    g.finish();
}

fn reads(c: &mut Criterion) {
    const N: u64 = 100_000;
    let dir = tempfile::tempdir().unwrap();
    let (mut file, _) = FileStore::open(
        dir.path(),
        FileStoreConfig::default(),
        StoreLimits::default(),
    )
    .unwrap();
    filled(&mut file, N);
    let mut mem = MemStore::new(StoreLimits::default());
    filled(&mut mem, N);
    let stores: [(&str, &dyn Store); 2] = [("file", &file), ("memory", &mem)];

    let mut g = c.benchmark_group("get_by_seq");
    g.throughput(Throughput::Elements(1));
    for (name, s) in stores {
        g.bench_function(name, |b| {
            let mut seq = 1u64;
            b.iter(|| {
                seq = (seq * 7919) % N + 1;
                black_box(s.get(seq).unwrap());
            });
        });
    }
    g.finish();

    // A consumer walking the whole stream with a filter that matches 1 message in 100.
    let mut g = c.benchmark_group("next_matching_scan_100k");
    g.throughput(Throughput::Elements(N));
    for (name, s) in stores {
        for filter in ["orders.42", "orders.*", "*.42"] {
            g.bench_function(BenchmarkId::new(name, filter), |b| {
                b.iter(|| {
                    let mut seq = 0;
                    let mut n = 0;
                    while let Some(q) = s.next_matching_seq(seq, &[filter]) {
                        n += 1;
                        seq = q + 1;
                    }
                    black_box(n)
                });
            });
        }
    }
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20).measurement_time(Duration::from_secs(3)).warm_up_time(Duration::from_secs(1));
    targets = append, reads
}
criterion_main!(benches);
