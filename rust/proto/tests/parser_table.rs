//! One table per client op: the spellings nats-server accepts (reference §1.1: case-insensitive
//! names, runs of spaces/tabs, optional `\r`, trailing blanks, junk after PING/PONG/+OK), each
//! with the exact op and byte count expected. Every row is also checked
//! - with a following op in the same buffer (the count must not change),
//! - for every strict prefix (must be `Incomplete`, never an error or an op),
//! - split in two at every offset and fed through the caller loop.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

mod common;

use common::{feed, limits, own, Op};
use fastnats_proto::{parse, Parsed};

fn v(s: &[u8]) -> Vec<u8> {
    s.to_vec()
}

fn publ(subject: &[u8], reply: Option<&[u8]>, hdr: Option<usize>, data: &[u8]) -> Op {
    Op::Pub {
        subject: v(subject),
        reply: reply.map(v),
        header_len: hdr,
        data: v(data),
    }
}

fn sub(subject: &[u8], queue: Option<&[u8]>, sid: &[u8]) -> Op {
    Op::Sub {
        subject: v(subject),
        queue: queue.map(v),
        sid: v(sid),
    }
}

fn unsub(sid: &[u8], max: Option<u64>) -> Op {
    Op::Unsub { sid: v(sid), max }
}

#[track_caller]
fn check(rows: &[(&[u8], Op, usize)]) {
    let lim = limits();
    for (input, want, used) in rows {
        let shown = String::from_utf8_lossy(input);
        // Whole.
        match parse(input, &lim) {
            Ok(Parsed::Op(op, n)) => {
                assert_eq!(own(&op), *want, "{shown:?}");
                assert_eq!(n, *used, "{shown:?} consumed");
            }
            other => panic!("{shown:?}: {other:?}"),
        }
        // Followed by another op.
        let mut more = input.to_vec();
        more.extend_from_slice(b"PING\r\n");
        match parse(&more, &lim) {
            Ok(Parsed::Op(op, n)) => {
                assert_eq!(own(&op), *want, "{shown:?} + PING");
                assert_eq!(n, *used, "{shown:?} + PING consumed");
            }
            other => panic!("{shown:?} + PING: {other:?}"),
        }
        // Every strict prefix of the op is incomplete.
        for cut in 0..*used {
            match parse(&input[..cut], &lim) {
                Ok(Parsed::Incomplete { .. }) => {}
                other => panic!("{shown:?}[..{cut}]: {other:?}"),
            }
        }
        // Two reads, split anywhere, through the caller loop.
        for cut in 0..=more.len() {
            let out = feed([&more[..cut], &more[cut..]], &lim);
            assert_eq!(out.error, None, "{shown:?} split at {cut}");
            assert_eq!(
                out.leftover,
                more.len() - used - 6,
                "{shown:?} split at {cut}"
            );
            assert_eq!(
                out.ops,
                vec![(want.clone(), *used), (Op::Ping, 6)],
                "{shown:?} split at {cut}"
            );
        }
    }
}

#[test]
fn connect() {
    let j = |s: &[u8]| Op::Connect(v(s));
    check(&[
        (b"CONNECT {}\r\n", j(b"{}"), 12),
        (b"CONNECT {}\n", j(b"{}"), 11),
        (b"connect {}\r\n", j(b"{}"), 12),
        (b"CoNnEcT {}\r\n", j(b"{}"), 12),
        (b"CONNECT{}\r\n", j(b"{}"), 11),
        (b"CONNECT\t{}\r\n", j(b"{}"), 12),
        (b"CONNECT \t  \t{\"a\":1}\r\n", j(b"{\"a\":1}"), 21),
        // Trailing blanks stay in the JSON (JSON ignores them); only the last `\r` goes.
        (b"CONNECT {} \r\n", j(b"{} "), 13),
        (b"CONNECT {}\t\n", j(b"{}\t"), 12),
        (b"CONNECT {}\r\r\n", j(b"{}\r"), 13),
        (
            br#"CONNECT {"verbose":false,"pedantic":false,"tls_required":false,"name":"","lang":"go","version":"1.41.1","protocol":1,"echo":true,"headers":true,"no_responders":true}"#
                .iter()
                .chain(b"\r\n")
                .copied()
                .collect::<Vec<u8>>()
                .leak(),
            j(br#"{"verbose":false,"pedantic":false,"tls_required":false,"name":"","lang":"go","version":"1.41.1","protocol":1,"echo":true,"headers":true,"no_responders":true}"#),
            167,
        ),
        // An empty argument is returned as is; the JSON decoder rejects it.
        (b"CONNECT \r\n", j(b""), 10),
        (b"CONNECT\r\n", j(b""), 9),
    ]);
}

#[test]
fn pub_() {
    check(&[
        (
            b"PUB foo 5\r\nhello\r\n",
            publ(b"foo", None, None, b"hello"),
            18,
        ),
        (
            b"pub foo 5\r\nhello\r\n",
            publ(b"foo", None, None, b"hello"),
            18,
        ),
        (
            b"PuB foo 5\r\nhello\r\n",
            publ(b"foo", None, None, b"hello"),
            18,
        ),
        // No `\r` on the control line.
        (
            b"PUB foo 5\nhello\r\n",
            publ(b"foo", None, None, b"hello"),
            17,
        ),
        (
            b"PUB\tfoo\t5\r\nhello\r\n",
            publ(b"foo", None, None, b"hello"),
            18,
        ),
        (
            b"PUB  \t foo \t\t bar   5 \t \r\nhello\r\n",
            publ(b"foo", Some(b"bar"), None, b"hello"),
            33,
        ),
        (
            b"PUB foo.bar _INBOX.x.1 0\r\n\r\n",
            publ(b"foo.bar", Some(b"_INBOX.x.1"), None, b""),
            28,
        ),
        // Payload bytes are never interpreted: CRLF and op names inside are data.
        (
            b"PUB foo 10\r\n\r\nPING\r\n\r\n\r\n",
            publ(b"foo", None, None, b"\r\nPING\r\n\r\n"),
            24,
        ),
        (
            b"PUB foo 3\r\n\n\n\n\r\n",
            publ(b"foo", None, None, b"\n\n\n"),
            16,
        ),
        // 9 digits, leading zeros.
        (
            b"PUB foo 000000002\r\nhi\r\n",
            publ(b"foo", None, None, b"hi"),
            23,
        ),
        // Wildcards and odd bytes in a published subject are the server's business.
        (
            b"PUB foo.* 1\r\nx\r\n",
            publ(b"foo.*", None, None, b"x"),
            16,
        ),
    ]);
}

#[test]
fn hpub() {
    check(&[
        (
            b"HPUB foo 22 22\r\nNATS/1.0\r\nBar: Baz\r\n\r\n\r\n",
            publ(b"foo", None, Some(22), b"NATS/1.0\r\nBar: Baz\r\n\r\n"),
            40,
        ),
        (
            b"hpub foo 12 14\r\nNATS/1.0\r\n\r\nhi\r\n",
            publ(b"foo", None, Some(12), b"NATS/1.0\r\n\r\nhi"),
            32,
        ),
        (
            b"HpUb\tfoo \t rep\t12  14 \nNATS/1.0\r\n\r\nhi\r\n",
            publ(b"foo", Some(b"rep"), Some(12), b"NATS/1.0\r\n\r\nhi"),
            39,
        ),
        // Header size 0 is accepted, and means no headers (nats-server: `c.pa.hdr > 0`).
        (
            b"HPUB foo 0 2\r\nhi\r\n",
            publ(b"foo", None, None, b"hi"),
            18,
        ),
        (b"HPUB foo 0 0\r\n\r\n", publ(b"foo", None, None, b""), 16),
    ]);
    // The split accessors.
    let b = b"HPUB foo 12 14\r\nNATS/1.0\r\n\r\nhi\r\n";
    let Ok(Parsed::Op(fastnats_proto::ClientOp::Pub(p), _)) = parse(b, &limits()) else {
        panic!("not a pub")
    };
    assert_eq!(p.headers(), Some(&b"NATS/1.0\r\n\r\n"[..]));
    assert_eq!(p.payload(), b"hi");
    let b = b"PUB foo 2\r\nhi\r\n";
    let Ok(Parsed::Op(fastnats_proto::ClientOp::Pub(p), _)) = parse(b, &limits()) else {
        panic!("not a pub")
    };
    assert_eq!(p.headers(), None);
    assert_eq!(p.payload(), b"hi");
}

#[test]
fn sub_() {
    check(&[
        (b"SUB foo 1\r\n", sub(b"foo", None, b"1"), 11),
        (b"sub foo 1\n", sub(b"foo", None, b"1"), 10),
        (b"SuB foo q 1\r\n", sub(b"foo", Some(b"q"), b"1"), 13),
        (
            b"SUB\t foo.*.>\t\tq.1  22 \r\n",
            sub(b"foo.*.>", Some(b"q.1"), b"22"),
            24,
        ),
        (b"SUB foo 1 \t \n", sub(b"foo", None, b"1"), 13),
        // SUB arguments are also split on a stray `\r` (nats-server's splitArg).
        (b"SUB foo 1\r\r\n", sub(b"foo", None, b"1"), 12),
        (b"SUB foo\r1\r\n", sub(b"foo", None, b"1"), 11),
    ]);
}

#[test]
fn unsub_() {
    check(&[
        (b"UNSUB 1\r\n", unsub(b"1", None), 9),
        (b"unsub 1\n", unsub(b"1", None), 8),
        // nats.c really sends a trailing space.
        (b"UNSUB 5 \r\n", unsub(b"5", None), 10),
        (b"UnSuB\t5\t10\r\n", unsub(b"5", Some(10)), 12),
        (
            b"UNSUB  5   999999999  \r\n",
            unsub(b"5", Some(999_999_999)),
            24,
        ),
        // max 0, unparsable, signed or too long: remove now.
        (b"UNSUB 5 0\r\n", unsub(b"5", None), 11),
        (b"UNSUB 5 x\r\n", unsub(b"5", None), 11),
        (b"UNSUB 5 -1\r\n", unsub(b"5", None), 12),
        (b"UNSUB 5 +1\r\n", unsub(b"5", None), 12),
        (b"UNSUB 5 1234567890\r\n", unsub(b"5", None), 20),
        // sids are opaque tokens.
        (b"UNSUB abc.def 2\r\n", unsub(b"abc.def", Some(2)), 17),
    ]);
}

#[test]
fn ping_pong() {
    check(&[
        (b"PING\r\n", Op::Ping, 6),
        (b"PING\n", Op::Ping, 5),
        (b"ping\r\n", Op::Ping, 6),
        (b"PiNg\r\n", Op::Ping, 6),
        (b"PING \r\n", Op::Ping, 7),
        (b"PING\t\t\r\n", Op::Ping, 8),
        (b"PING foo\r\n", Op::Ping, 10),
        (b"PINGPONG\r\n", Op::Ping, 10),
        (b"PING\r\r\n", Op::Ping, 7),
        (b"PONG\r\n", Op::Pong, 6),
        (b"pong\n", Op::Pong, 5),
        (b"pOnG \t\r\n", Op::Pong, 8),
        (b"PONGG\r\n", Op::Pong, 7),
    ]);
}

#[test]
fn info() {
    let i = |s: &[u8]| Op::Info(v(s));
    check(&[
        (b"INFO {}\r\n", i(b"{}"), 9),
        (b"info {}\n", i(b"{}"), 8),
        (b"InFo\t \t{\"x\":1}\r\n", i(b"{\"x\":1}"), 16),
        (b"INFO{}\r\n", i(b"{}"), 8),
        (b"INFO {} \r\n", i(b"{} "), 10),
    ]);
}

#[test]
fn ok_and_err() {
    let e = |s: &[u8]| Op::Err(v(s));
    check(&[
        (b"+OK\r\n", Op::Ok, 5),
        (b"+OK\n", Op::Ok, 4),
        (b"+ok\r\n", Op::Ok, 5),
        (b"+oK junk\r\n", Op::Ok, 10),
        (b"-ERR 'x'\r\n", e(b"'x'"), 10),
        (b"-err 'x'\n", e(b"'x'"), 9),
        (
            b"-ErR\t \t'Unknown Protocol Operation'\r\n",
            e(b"'Unknown Protocol Operation'"),
            37,
        ),
        (b"-ERR 'x' \r\n", e(b"'x' "), 11),
        // A blank and nothing else: nats-server reaches the argument state at the line end.
        (b"-ERR \r\n", e(b""), 7),
    ]);
}

#[test]
fn a_conversation_in_one_buffer() {
    let stream = b"CONNECT {\"verbose\":false}\r\nPING\r\nSUB foo 1\r\nPUB foo 2\r\nhi\r\nHPUB foo 12 12\r\nNATS/1.0\r\n\r\n\r\nUNSUB 1\r\nPONG\r\n+OK\r\nINFO {}\r\n-ERR 'bye'\r\n";
    let out = common::whole(stream, &limits());
    let ops: Vec<Op> = out.ops.iter().map(|(o, _)| o.clone()).collect();
    assert_eq!(
        ops,
        vec![
            Op::Connect(v(b"{\"verbose\":false}")),
            Op::Ping,
            sub(b"foo", None, b"1"),
            publ(b"foo", None, None, b"hi"),
            publ(b"foo", None, Some(12), b"NATS/1.0\r\n\r\n"),
            unsub(b"1", None),
            Op::Pong,
            Op::Ok,
            Op::Info(v(b"{}")),
            Op::Err(v(b"'bye'")),
        ]
    );
    assert_eq!(out.ops.iter().map(|(_, n)| n).sum::<usize>(), stream.len());
    assert_eq!(out.error, None);
    assert_eq!(out.leftover, 0);
    assert_eq!(common::bytewise(stream, &limits()), out);
}
