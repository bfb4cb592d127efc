//! Criterion micro-benchmarks of the sublist (numbers and how they compare to the targets are
//! in `BENCHES.md`).
//!
//! - `match/{10k,1M}/{literal,wild}/{hit,miss}/{1..5}`: `match_subject` on subjects of 1–5
//!   tokens. The population has `n` distinct literal subjects, a fifth at each depth, with
//!   tokens spread like digits so the trie is balanced; `wild` adds 1% subscriptions of 2–5
//!   tokens with a `*` in a random position (a tenth of those of 3+ tokens end in `>`
//!   instead). `hit` cycles over 256 pre-warmed subjects
//!   (cache on); `miss` cycles over 4096 subjects with the cache disabled (trie walk, result
//!   allocation and the `Arc` every time).
//! - `target_100k/*`: the 4-token case of the stated targets at 100k subscriptions, including
//!   a miss with the cache on (4096 distinct subjects through a 1024-entry cache: the lookup
//!   miss, the walk, caching the result and the amortised eviction sweeps).
//! - `churn_100k/*`: insert, remove, and insert+remove pairs on a 100k sublist whose cache is
//!   warm (1024 entries), literal and wildcard (a wildcard change scans the cache).
//!
//! Kept short (about two minutes for everything): small sample sizes and measurement times.

#![allow(clippy::unwrap_used)] // benchmark setup: a panic is the failure report

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, BenchmarkGroup, Criterion};
use fastnats_sublist::Sublist;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const DEPTHS: std::ops::RangeInclusive<usize> = 1..=5;

/// The `k`-th subject of depth `depth` in a population of `per_depth` subjects per depth:
/// `k` written in base `ceil(per_depth^(1/depth))`, one digit per token.
fn subject(k: usize, depth: usize, per_depth: usize) -> String {
    let base = ((per_depth as f64).powf(1.0 / depth as f64).ceil() as usize).max(2);
    let mut rest = k;
    let mut toks = Vec::with_capacity(depth);
    for _ in 0..depth {
        toks.push(format!("t{}", rest % base));
        rest /= base;
    }
    toks.join(".")
}

/// `n` subscriptions (`n / 5` distinct literal subjects per depth), plus wildcards if `wild`.
fn build(n: usize, wild: bool, cache: bool) -> Sublist<u64> {
    let mut sl = Sublist::with_cache(cache);
    let per_depth = n / 5;
    let mut id = 0u64;
    for depth in DEPTHS {
        for k in 0..per_depth {
            sl.insert(subject(k, depth, per_depth).as_bytes(), None, id)
                .unwrap();
            id += 1;
        }
    }
    if wild {
        let mut rng = StdRng::seed_from_u64(7);
        for i in 0..n / 100 {
            // a lone `*` would match every 1-token subject: not a realistic population
            let depth = rng.gen_range(2..=*DEPTHS.end());
            let s = subject(rng.gen_range(0..per_depth), depth, per_depth);
            let mut toks: Vec<&str> = s.split('.').collect();
            if i % 10 == 0 && depth >= 3 {
                toks[depth - 1] = ">";
            } else {
                toks[rng.gen_range(0..depth)] = "*";
            }
            sl.insert(toks.join(".").as_bytes(), None, id).unwrap();
            id += 1;
        }
    }
    sl
}

/// `count` distinct stored subjects of `depth` tokens, spread over the population.
fn probes(count: usize, depth: usize, n: usize) -> Vec<Vec<u8>> {
    let per_depth = n / 5;
    let mut rng = StdRng::seed_from_u64(depth as u64);
    let mut out: Vec<Vec<u8>> = (0..count)
        .map(|_| subject(rng.gen_range(0..per_depth), depth, per_depth).into_bytes())
        .collect();
    out.sort();
    out.dedup();
    out
}

fn short(g: &mut BenchmarkGroup<'_, criterion::measurement::WallTime>) {
    g.sample_size(20)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_millis(1200));
}

/// Benchmarks `match_subject` cycling over `subjects`.
fn bench_matches(
    g: &mut BenchmarkGroup<'_, criterion::measurement::WallTime>,
    name: &str,
    sl: &mut Sublist<u64>,
    subjects: &[Vec<u8>],
) {
    let mut i = 0;
    g.bench_function(name, |b| {
        b.iter(|| {
            i = (i + 1) % subjects.len();
            black_box(sl.match_subject(black_box(&subjects[i])));
        })
    });
}

fn matching(c: &mut Criterion) {
    for (n, label) in [(10_000, "10k"), (1_000_000, "1M")] {
        for wild in [false, true] {
            let kind = if wild { "wild" } else { "literal" };
            let mut g = c.benchmark_group(format!("match/{label}/{kind}"));
            short(&mut g);

            let mut sl = build(n, wild, true);
            let mut fanout = Vec::new();
            for depth in DEPTHS {
                let hot = probes(256, depth, n);
                let before = sl.stats();
                for s in &hot {
                    sl.match_subject(s);
                }
                let after = sl.stats();
                let avg = (after.total_fanout - before.total_fanout) as f64 / hot.len() as f64;
                fanout.push(format!("{depth}:{avg:.1}"));
                bench_matches(&mut g, &format!("hit/{depth}"), &mut sl, &hot);
            }
            drop(sl);

            let mut sl = build(n, wild, false);
            for depth in DEPTHS {
                let cold = probes(4096, depth, n);
                bench_matches(&mut g, &format!("miss/{depth}"), &mut sl, &cold);
            }
            g.finish();
            eprintln!("match/{label}/{kind}: average fanout by depth {fanout:?}");
        }
    }
}

fn target_100k(c: &mut Criterion) {
    let n = 100_000;
    let mut g = c.benchmark_group("target_100k");
    short(&mut g);
    let hot = probes(256, 4, n);
    let cold = probes(4096, 4, n);

    let mut sl = build(n, false, true);
    for s in &hot {
        sl.match_subject(s);
    }
    bench_matches(&mut g, "hit/4", &mut sl, &hot);
    bench_matches(&mut g, "miss_cache_churn/4", &mut sl, &cold);
    let mut i = 0;
    g.bench_function("has_interest/4", |b| {
        b.iter(|| {
            i = (i + 1) % cold.len();
            black_box(sl.has_interest(black_box(&cold[i])))
        })
    });
    let mut i = 0;
    g.bench_function("match_uncached/4", |b| {
        b.iter(|| {
            i = (i + 1) % cold.len();
            black_box(sl.match_uncached(black_box(&cold[i])))
        })
    });
    drop(sl);

    let mut sl = build(n, false, false);
    bench_matches(&mut g, "miss_no_cache/4", &mut sl, &cold);
    g.finish();
}

/// Times `timed` over `iters` subjects taken in chunks from `pool`; `before` and `after` run
/// untimed on each chunk (to set up and then restore the sublist), so the sublist stays near
/// its base size however many iterations criterion asks for.
fn chunked(
    sl: &mut Sublist<u64>,
    pool: &[Vec<u8>],
    iters: u64,
    [before, timed, after]: [Op; 3],
) -> Duration {
    let mut total = Duration::ZERO;
    let mut left = iters as usize;
    while left > 0 {
        let chunk = &pool[..left.min(pool.len())];
        for s in chunk {
            before(sl, s);
        }
        let start = Instant::now();
        for s in chunk {
            timed(sl, s);
        }
        total += start.elapsed();
        for s in chunk {
            after(sl, s);
        }
        left -= chunk.len();
    }
    total
}

type Op = fn(&mut Sublist<u64>, &[u8]);
const ID: u64 = u64::MAX;

fn ins(sl: &mut Sublist<u64>, s: &[u8]) {
    sl.insert(s, None, ID).unwrap();
}

fn rem(sl: &mut Sublist<u64>, s: &[u8]) {
    assert!(sl.remove(s, None, &ID));
}

fn nop(_: &mut Sublist<u64>, _: &[u8]) {}

fn churn(c: &mut Criterion) {
    let n = 100_000;
    let mut g = c.benchmark_group("churn_100k");
    short(&mut g);
    let mut sl = build(n, false, true);
    for s in probes(4096, 4, n).iter().take(1024) {
        sl.match_subject(s);
    }
    // new subjects sharing the population's prefixes, as inbox subjects share `_INBOX.<id>`
    let literal: Vec<Vec<u8>> = (0..10_000)
        .map(|k| format!("{}.new{k}", subject(k, 3, n / 5)).into_bytes())
        .collect();
    let wildcard: Vec<Vec<u8>> = (0..10_000)
        .map(|k| format!("{}.*.new{k}", subject(k, 2, n / 5)).into_bytes())
        .collect();
    g.bench_function("insert/literal", |b| {
        b.iter_custom(|iters| chunked(&mut sl, &literal, iters, [nop, ins, rem]))
    });
    g.bench_function("remove/literal", |b| {
        b.iter_custom(|iters| chunked(&mut sl, &literal, iters, [ins, rem, nop]))
    });
    g.bench_function("insert/wildcard_warm_cache", |b| {
        b.iter_custom(|iters| chunked(&mut sl, &wildcard, iters, [nop, ins, rem]))
    });
    g.bench_function("remove/wildcard_warm_cache", |b| {
        b.iter_custom(|iters| chunked(&mut sl, &wildcard, iters, [ins, rem, nop]))
    });
    // request/reply: subscribe an inbox, publish the reply to it, unsubscribe
    let mut i = 0;
    g.bench_function("reply_inbox_cycle", |b| {
        b.iter(|| {
            i = (i + 1) % literal.len();
            let s = &literal[i];
            sl.insert(s, None, ID).unwrap();
            black_box(sl.match_subject(s));
            sl.remove(s, None, &ID)
        })
    });
    g.finish();
}

criterion_group!(benches, matching, target_100k, churn);
criterion_main!(benches);
