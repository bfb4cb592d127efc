//! Parser and encoder throughput.
//!
//! Each parser bench parses a prepared stream of ops the way the server's read loop does:
//! `parse` at an offset, advance by the bytes used, repeat. Every stream is measured twice,
//! once with `Throughput::Elements` (ops/s) and once with `Throughput::Bytes` (bytes/s).
//! `split_1400` feeds a stream in 1400-byte chunks (one Ethernet MSS) through the caller loop:
//! append the chunk to a buffer that keeps the unconsumed tail, parse, drop what was used.
//!
//! Targets (see BENCHES.md): >= 25 M `PUB subject 16` ops/s on one core; >= 5 GB/s on 64 KiB
//! payloads (payload bytes are skipped by the announced size, never scanned).

use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use fastnats_proto::{encode, parse, Limits, Parsed};
use std::time::Duration;

fn limits() -> Limits {
    Limits {
        headers: true,
        max_payload: 1 << 20,
        ..Limits::default()
    }
}

fn pub_stream(payload: usize, count: usize) -> Vec<u8> {
    let mut s = Vec::new();
    let body = vec![b'x'; payload];
    for _ in 0..count {
        s.extend_from_slice(format!("PUB subject {payload}\r\n").as_bytes());
        s.extend_from_slice(&body);
        s.extend_from_slice(b"\r\n");
    }
    s
}

fn mixed_stream(count: usize) -> Vec<u8> {
    let mut s = Vec::new();
    for i in 0..count {
        match i % 8 {
            0 => s.extend_from_slice(format!("SUB foo.{i}.* q {i}\r\n").as_bytes()),
            1 => s.extend_from_slice(b"PING\r\n"),
            2 => s.extend_from_slice(
                b"HPUB foo.bar _INBOX.abc 22 27\r\nNATS/1.0\r\nBar: Baz\r\n\r\nhello\r\n",
            ),
            3 => s.extend_from_slice(format!("UNSUB {i} 10\r\n").as_bytes()),
            _ => s.extend_from_slice(b"PUB foo.bar _INBOX.abc 16\r\n0123456789abcdef\r\n"),
        }
    }
    s
}

/// Parses a whole stream; returns the number of ops (checked against the expected count).
#[inline(never)]
fn parse_all(stream: &[u8], limits: &Limits) -> usize {
    let mut pos = 0;
    let mut n = 0;
    while pos < stream.len() {
        match parse(&stream[pos..], limits) {
            Ok(Parsed::Op(op, used)) => {
                black_box(&op);
                pos += used;
                n += 1;
            }
            other => panic!("unexpected {other:?} at {pos}"),
        }
    }
    n
}

/// The caller loop: chunks of `chunk` bytes appended to a carry buffer.
#[inline(never)]
fn parse_chunked(stream: &[u8], chunk: usize, buf: &mut Vec<u8>, limits: &Limits) -> usize {
    buf.clear();
    let mut n = 0;
    for c in stream.chunks(chunk) {
        buf.extend_from_slice(c);
        let mut pos = 0;
        loop {
            match parse(&buf[pos..], limits) {
                Ok(Parsed::Op(op, used)) => {
                    black_box(&op);
                    pos += used;
                    n += 1;
                }
                Ok(Parsed::Incomplete { .. }) => break,
                Err(e) => panic!("unexpected {e:?}"),
            }
        }
        buf.drain(..pos);
    }
    assert!(buf.is_empty());
    n
}

fn parser(c: &mut Criterion) {
    let lim = limits();
    let streams: Vec<(&str, Vec<u8>, usize)> = vec![
        ("pub_16", pub_stream(16, 10_000), 10_000),
        ("pub_128", pub_stream(128, 10_000), 10_000),
        ("pub_1k", pub_stream(1024, 2_000), 2_000),
        ("mixed", mixed_stream(10_000), 10_000),
        ("pub_64k", pub_stream(64 * 1024, 64), 64),
    ];
    for (name, stream, ops) in &streams {
        assert_eq!(parse_all(stream, &lim), *ops, "{name}");
    }
    let split = pub_stream(16, 10_000);
    let mut carry = Vec::with_capacity(4096);
    assert_eq!(parse_chunked(&split, 1400, &mut carry, &lim), 10_000);

    for (unit, group_name) in [("ops", "parse_ops"), ("bytes", "parse_bytes")] {
        let mut g = c.benchmark_group(group_name);
        for (name, stream, ops) in &streams {
            g.throughput(if unit == "ops" {
                Throughput::Elements(*ops as u64)
            } else {
                Throughput::Bytes(stream.len() as u64)
            });
            g.bench_with_input(BenchmarkId::from_parameter(name), stream, |b, s| {
                b.iter(|| parse_all(black_box(s), &lim))
            });
        }
        g.throughput(if unit == "ops" {
            Throughput::Elements(10_000)
        } else {
            Throughput::Bytes(split.len() as u64)
        });
        g.bench_function("split_1400_pub_16", |b| {
            b.iter(|| parse_chunked(black_box(&split), 1400, &mut carry, &lim))
        });
        g.finish();
    }
}

fn encoder(c: &mut Criterion) {
    let mut g = c.benchmark_group("encode");
    let payload = [b'x'; 16];
    let mut out = Vec::with_capacity(64 * 1024);
    const N: usize = 1000;
    g.throughput(Throughput::Elements(N as u64));
    g.bench_function("write_msg_16", |b| {
        b.iter(|| {
            out.clear();
            for _ in 0..N {
                encode::write_msg(
                    &mut out,
                    black_box(b"subject"),
                    black_box(b"1"),
                    None,
                    black_box(&payload),
                );
            }
            black_box(out.len())
        })
    });
    g.finish();
}

criterion_group! {
    name = all;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_millis(1500))
        .sample_size(20);
    targets = parser, encoder
}
criterion_main!(all);
