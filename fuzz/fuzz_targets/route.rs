//! Fuzz target for `fastnats_proto::parse_route`, the route dialect (`RS+`, `RS-`, `RMSG`,
//! `HMSG`, INFO/CONNECT/PING/PONG/+OK/-ERR), and `parse_leaf`, the leaf-node dialect (the
//! same without the account: `LS+`, `LS-`, `LMSG`).
//!
//! Input layout as the `parser` target's: byte 0 picks the dialect (bit 0: leaf) and the
//! limits (a tiny or the default
//! max_control_line, a tiny or the default max_payload; routes always carry headers), bytes
//! 1..9 seed the chunk sizes, the rest is the peer's byte stream.
//!
//! Checked: no panic; the parser contract of `common` (whole, chunked and bytewise feeds
//! agree); and each interest or message op, written back with the dialect's encoders
//! (`write_rs_plus`, `write_rs_minus`, `write_routed_msg`; `write_ls_plus`,
//! `write_ls_minus`, `write_leaf_msg`), parses to the same op.
#![no_main]

mod common;

use fastnats_proto::route::{
    parse_leaf, write_leaf_msg, write_ls_minus, write_ls_plus, write_routed_msg, write_rs_minus,
    write_rs_plus,
};
use fastnats_proto::{parse_route, Limits, ParseStep, RouteOp};
use libfuzzer_sys::fuzz_target;

type Bytes = Vec<u8>;

/// An owned op, to compare ops parsed from different buffers.
#[derive(Debug, PartialEq, Eq)]
enum Op {
    Info(Bytes),
    Connect(Bytes),
    Ping,
    Pong,
    Ok,
    Err(Bytes),
    Sub(Bytes, Bytes, Option<(Bytes, u32)>),
    Unsub(Bytes, Bytes, Option<Bytes>),
    /// Account, subject, reply, header length, data, queue names.
    Msg(Bytes, Bytes, Option<Bytes>, Option<usize>, Bytes, Vec<Bytes>),
}

fn own(op: &RouteOp<'_>) -> Op {
    match *op {
        RouteOp::Info(j) => Op::Info(j.to_vec()),
        RouteOp::Connect(j) => Op::Connect(j.to_vec()),
        RouteOp::Ping => Op::Ping,
        RouteOp::Pong => Op::Pong,
        RouteOp::Ok => Op::Ok,
        RouteOp::Err(t) => Op::Err(t.to_vec()),
        RouteOp::Sub {
            account,
            subject,
            queue,
        } => Op::Sub(
            account.to_vec(),
            subject.to_vec(),
            queue.map(|(q, w)| (q.to_vec(), w)),
        ),
        RouteOp::Unsub {
            account,
            subject,
            queue,
        } => Op::Unsub(account.to_vec(), subject.to_vec(), queue.map(<[u8]>::to_vec)),
        RouteOp::Msg(m) => {
            let p = m.msg;
            let h = p.header_len.unwrap_or(0);
            assert!(h <= p.data.len());
            assert_eq!(m.has_queues(), m.queues().next().is_some());
            Op::Msg(
                m.account.to_vec(),
                p.subject.to_vec(),
                p.reply.map(<[u8]>::to_vec),
                p.header_len,
                p.data.to_vec(),
                m.queues().map(<[u8]>::to_vec).collect(),
            )
        }
    }
}

/// The op written back with the encoders of its dialect, for the ops that have one.
fn encode(op: &RouteOp<'_>, leaf: bool) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    if leaf {
        match *op {
            RouteOp::Sub { subject, queue, .. } => write_ls_plus(&mut out, subject, queue),
            RouteOp::Unsub { subject, queue, .. } => write_ls_minus(&mut out, subject, queue),
            RouteOp::Msg(m) => write_leaf_msg(&mut out, &m.msg, m.queues()),
            _ => return None,
        }
        return Some(out);
    }
    match *op {
        RouteOp::Sub {
            account,
            subject,
            queue,
        } => write_rs_plus(&mut out, account, subject, queue),
        RouteOp::Unsub {
            account,
            subject,
            queue,
        } => write_rs_minus(&mut out, account, subject, queue),
        RouteOp::Msg(m) => write_routed_msg(&mut out, m.account, &m.msg, m.queues()),
        _ => return None,
    }
    Some(out)
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 9 {
        return;
    }
    let sel = data[0];
    let leaf = sel & 1 == 1;
    let parse = if leaf { parse_leaf } else { parse_route };
    let limits = Limits {
        headers: true,
        max_control_line: [4096, 16, 64, 1][(sel >> 1 & 3) as usize],
        max_payload: [1 << 20, 0, 10, 100][(sel >> 3 & 3) as usize],
    };
    let mut seed = [0u8; 8];
    seed.copy_from_slice(&data[1..9]);
    let stream = &data[9..];
    common::check_all_feeds(stream, seed, |b| {
        common::owned(parse(b, &limits), own)
    });

    // Round trip: what the encoders write for a parsed op parses back to it (with roomy
    // limits: the encoders do not enforce them).
    let roomy = Limits {
        headers: true,
        max_control_line: 1 << 20,
        max_payload: 1 << 20,
    };
    let mut pos = 0;
    while let Ok(ParseStep::Op(op, used)) = parse(&stream[pos..], &limits) {
        if let Some(bytes) = encode(&op, leaf) {
            match parse(&bytes, &roomy) {
                Ok(ParseStep::Op(again, n)) => {
                    assert_eq!(n, bytes.len(), "took all it wrote");
                    assert_eq!(own(&again), own(&op), "round trip");
                }
                other => panic!("{op:?} wrote {bytes:?}, which parses as {other:?}"),
            }
        }
        pos += used;
    }
});
