//! Helpers shared by the integration tests: an owned copy of `ClientOp` (ops borrow the
//! caller's buffer, which the caller loop below keeps rewriting), and an emulation of the
//! server's read loop that checks the parser's contract on every call.
#![allow(dead_code)]

use fastnats_proto::{parse, ClientOp, Limits, Parsed, ProtoError};

/// An owned [`ClientOp`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    Connect(Vec<u8>),
    Pub {
        subject: Vec<u8>,
        reply: Option<Vec<u8>>,
        header_len: Option<usize>,
        data: Vec<u8>,
    },
    Sub {
        subject: Vec<u8>,
        queue: Option<Vec<u8>>,
        sid: Vec<u8>,
    },
    Unsub {
        sid: Vec<u8>,
        max: Option<u64>,
    },
    Ping,
    Pong,
    Info(Vec<u8>),
    Ok,
    Err(Vec<u8>),
}

pub fn own(op: &ClientOp<'_>) -> Op {
    match *op {
        ClientOp::Connect(j) => Op::Connect(j.to_vec()),
        ClientOp::Pub(p) => Op::Pub {
            subject: p.subject.to_vec(),
            reply: p.reply.map(<[u8]>::to_vec),
            header_len: p.header_len,
            data: p.data.to_vec(),
        },
        ClientOp::Sub {
            subject,
            queue,
            sid,
        } => Op::Sub {
            subject: subject.to_vec(),
            queue: queue.map(<[u8]>::to_vec),
            sid: sid.to_vec(),
        },
        ClientOp::Unsub { sid, max } => Op::Unsub {
            sid: sid.to_vec(),
            max,
        },
        ClientOp::Ping => Op::Ping,
        ClientOp::Pong => Op::Pong,
        ClientOp::Info(j) => Op::Info(j.to_vec()),
        ClientOp::Ok => Op::Ok,
        ClientOp::Err(t) => Op::Err(t.to_vec()),
    }
}

/// What a stream parsed into: the ops with the bytes each took, then how it stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub ops: Vec<(Op, usize)>,
    /// `Some` if the stream ended in a parse error.
    pub error: Option<ProtoError>,
    /// Bytes left unconsumed at the end (an incomplete op), when there was no error.
    pub leftover: usize,
}

/// Emulates the server's read loop: each chunk is appended to a buffer holding the bytes not
/// yet consumed, then `parse` is called until it wants more. Checks on every call:
/// - an op consumes at least one byte and no more than the buffer holds;
/// - `Incomplete { needed: Some(n) }` has `n` greater than what is buffered, stays the same
///   until the op completes, and the op then takes exactly `n` bytes;
/// - parsing is a pure function of the buffer: a second call gives the same answer.
pub fn feed<'c>(chunks: impl IntoIterator<Item = &'c [u8]>, limits: &Limits) -> Outcome {
    let mut buf: Vec<u8> = Vec::new();
    let mut ops = Vec::new();
    let mut announced: Option<usize> = None;
    for chunk in chunks {
        buf.extend_from_slice(chunk);
        loop {
            let r = parse(&buf, limits);
            assert_eq!(r, parse(&buf, limits), "parse is not deterministic");
            match r {
                Ok(Parsed::Op(op, used)) => {
                    assert!(used > 0, "an op consumed nothing");
                    assert!(used <= buf.len(), "consumed {used} of {}", buf.len());
                    if let Some(n) = announced.take() {
                        assert_eq!(n, used, "Incomplete announced {n}, op took {used}");
                    }
                    ops.push((own(&op), used));
                    buf.drain(..used);
                }
                Ok(Parsed::Incomplete { needed }) => {
                    if let Some(n) = needed {
                        assert!(n > buf.len(), "needed {n} but {} buffered", buf.len());
                        if let Some(prev) = announced {
                            assert_eq!(prev, n, "needed changed from {prev} to {n}");
                        }
                        announced = Some(n);
                    } else {
                        assert_eq!(announced, None, "needed went from Some to None");
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
    }
    Outcome {
        ops,
        error: None,
        leftover: buf.len(),
    }
}

/// The whole stream in one read.
pub fn whole(stream: &[u8], limits: &Limits) -> Outcome {
    feed([stream], limits)
}

/// One byte per read.
pub fn bytewise(stream: &[u8], limits: &Limits) -> Outcome {
    feed(stream.chunks(1), limits)
}

/// Reads ending at the given offsets (sorted, deduplicated, clamped here).
pub fn split_at(stream: &[u8], cuts: &[usize], limits: &Limits) -> Outcome {
    let mut cuts: Vec<usize> = cuts.iter().map(|&c| c.min(stream.len())).collect();
    cuts.sort_unstable();
    cuts.dedup();
    let mut chunks = Vec::new();
    let mut start = 0;
    for c in cuts {
        chunks.push(&stream[start..c]);
        start = c;
    }
    chunks.push(&stream[start..]);
    feed(chunks, limits)
}

pub fn limits() -> Limits {
    Limits {
        headers: true,
        ..Limits::default()
    }
}
