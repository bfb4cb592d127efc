//! Fuzz target for `fastnats_proto::parse`.
//!
//! Input layout: byte 0 picks the limits (headers on/off, a tiny or the default
//! max_control_line, a tiny or the default max_payload), bytes 1..9 seed the chunk sizes, the
//! rest is the client's byte stream. The stream is parsed
//! - whole, the way the server parses one read buffer (parse at an offset, advance), and
//! - through the emulated read loop: chunks of pseudo-random size are appended to a buffer
//!   that keeps the unconsumed bytes, and `parse` is called until it wants more;
//! - byte by byte, for short streams.
//!
//! Checked: no panic, and the parser contract of `common` (every way of feeding agrees).
#![no_main]

mod common;

use fastnats_proto::{parse, ClientOp, Limits};
use libfuzzer_sys::fuzz_target;

/// An owned op, to compare ops parsed from different buffers.
#[derive(Debug, PartialEq, Eq)]
enum Op {
    Connect(Vec<u8>),
    Pub(Vec<u8>, Option<Vec<u8>>, Option<usize>, Vec<u8>),
    Sub(Vec<u8>, Option<Vec<u8>>, Vec<u8>),
    Unsub(Vec<u8>, Option<u64>),
    Ping,
    Pong,
    Info(Vec<u8>),
    Ok,
    Err(Vec<u8>),
}

fn own(op: &ClientOp<'_>) -> Op {
    match *op {
        ClientOp::Connect(j) => Op::Connect(j.to_vec()),
        ClientOp::Pub(p) => {
            // Accessors must agree with the fields.
            let h = p.header_len.unwrap_or(0);
            assert!(h <= p.data.len());
            assert_eq!(p.payload().len(), p.data.len() - h);
            assert_eq!(p.headers().map(<[u8]>::len), p.header_len);
            assert!(p.header_len != Some(0));
            assert!(!p.subject.is_empty());
            Op::Pub(
                p.subject.to_vec(),
                p.reply.map(<[u8]>::to_vec),
                p.header_len,
                p.data.to_vec(),
            )
        }
        ClientOp::Sub {
            subject,
            queue,
            sid,
        } => Op::Sub(subject.to_vec(), queue.map(<[u8]>::to_vec), sid.to_vec()),
        ClientOp::Unsub { sid, max } => {
            assert!(max != Some(0));
            Op::Unsub(sid.to_vec(), max)
        }
        ClientOp::Ping => Op::Ping,
        ClientOp::Pong => Op::Pong,
        ClientOp::Info(j) => Op::Info(j.to_vec()),
        ClientOp::Ok => Op::Ok,
        ClientOp::Err(t) => Op::Err(t.to_vec()),
    }
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 9 {
        return;
    }
    let sel = data[0];
    let limits = Limits {
        headers: sel & 1 == 1,
        max_control_line: [4096, 16, 64, 1][(sel >> 1 & 3) as usize],
        max_payload: [1 << 20, 0, 10, 100][(sel >> 3 & 3) as usize],
    };
    let mut seed = [0u8; 8];
    seed.copy_from_slice(&data[1..9]);
    common::check_all_feeds(&data[9..], seed, |b| {
        common::owned(parse(b, &limits), own)
    });
});
