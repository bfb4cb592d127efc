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
//! Checked: no panic; an op consumes at least 1 and at most the buffered bytes;
//! `Incomplete { needed: Some(n) }` has n > buffered, stays the same until the op completes and
//! the op then takes exactly n bytes; every way of feeding gives the same ops, the same error
//! and the same leftover.
#![no_main]

use fastnats_proto::{parse, ClientOp, Limits, Parsed, ProtoError};
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

#[derive(Debug, PartialEq, Eq)]
struct Outcome {
    ops: Vec<(Op, usize)>,
    error: Option<ProtoError>,
    leftover: usize,
}

/// The server's read loop over the given chunks, with the contract checks.
fn feed<'a>(chunks: impl Iterator<Item = &'a [u8]>, limits: &Limits) -> Outcome {
    let mut buf: Vec<u8> = Vec::new();
    let mut ops = Vec::new();
    let mut announced: Option<usize> = None;
    for chunk in chunks {
        buf.extend_from_slice(chunk);
        let mut pos = 0;
        loop {
            let rest = &buf[pos..];
            match parse(rest, limits) {
                Ok(Parsed::Op(op, used)) => {
                    assert!(
                        used > 0 && used <= rest.len(),
                        "used {used} of {}",
                        rest.len()
                    );
                    if let Some(n) = announced.take() {
                        assert_eq!(n, used, "announced {n}, took {used}");
                    }
                    ops.push((own(&op), used));
                    pos += used;
                }
                Ok(Parsed::Incomplete { needed }) => {
                    match (needed, announced) {
                        (Some(n), prev) => {
                            assert!(n > rest.len(), "needed {n} with {} buffered", rest.len());
                            assert!(prev.is_none() || prev == Some(n), "needed changed");
                            announced = Some(n);
                        }
                        (None, prev) => assert_eq!(prev, None, "needed went back to None"),
                    }
                    break;
                }
                Err(e) => {
                    return Outcome {
                        ops,
                        error: Some(e),
                        leftover: 0,
                    }
                }
            }
        }
        buf.drain(..pos);
    }
    Outcome {
        ops,
        error: None,
        leftover: buf.len(),
    }
}

/// Chunk sizes from a xorshift generator: mostly small, sometimes large.
struct Chunks<'a> {
    rest: &'a [u8],
    state: u64,
}

impl<'a> Iterator for Chunks<'a> {
    type Item = &'a [u8];
    fn next(&mut self) -> Option<&'a [u8]> {
        if self.rest.is_empty() {
            return None;
        }
        self.state ^= self.state << 13;
        self.state ^= self.state >> 7;
        self.state ^= self.state << 17;
        let r = self.state;
        let n = match r & 3 {
            0 => 1 + (r >> 8) as usize % 4,
            1 | 2 => 1 + (r >> 8) as usize % 64,
            _ => 1 + (r >> 8) as usize % 4096,
        };
        let (a, b) = self.rest.split_at(n.min(self.rest.len()));
        self.rest = b;
        Some(a)
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
    let stream = &data[9..];

    let whole = feed(std::iter::once(stream), &limits);
    let used: usize = whole.ops.iter().map(|(_, n)| n).sum();
    assert!(used + whole.leftover <= stream.len());
    if whole.error.is_none() {
        assert_eq!(used + whole.leftover, stream.len());
    }

    let split = feed(
        Chunks {
            rest: stream,
            state: u64::from_le_bytes(seed) | 1,
        },
        &limits,
    );
    assert_eq!(split, whole, "split vs whole");

    if stream.len() <= 512 {
        let bytes = feed(stream.chunks(1), &limits);
        assert_eq!(bytes, whole, "bytewise vs whole");
    }
});
