//! The route dialect (`parse_route`): every op's accepted spellings with the exact op and
//! byte count, each also checked followed by another op, at every strict prefix (must be
//! `Incomplete`), and split in two at every offset through a caller loop; then the
//! must-fail list, the limits, and the encoders read back by the parser.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use fastnats_proto::route::{
    route_limits, write_routed_msg, write_rs_minus, write_rs_plus, ROUTE_CONTROL_LINE_FACTOR,
};
use fastnats_proto::{parse_route, Limits, ParseStep, ProtoError, RouteOp};

/// An owned [`RouteOp`] (ops borrow the caller's buffer).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Op {
    Info(Vec<u8>),
    Connect(Vec<u8>),
    Ping,
    Pong,
    Ok,
    Err(Vec<u8>),
    Sub(Vec<u8>, Vec<u8>, Option<(Vec<u8>, u32)>),
    Unsub(Vec<u8>, Vec<u8>, Option<Vec<u8>>),
    Msg {
        account: Vec<u8>,
        subject: Vec<u8>,
        reply: Option<Vec<u8>>,
        queues: Vec<Vec<u8>>,
        header_len: Option<usize>,
        data: Vec<u8>,
    },
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
        } => Op::Unsub(
            account.to_vec(),
            subject.to_vec(),
            queue.map(<[u8]>::to_vec),
        ),
        RouteOp::Msg(m) => Op::Msg {
            account: m.account.to_vec(),
            subject: m.msg.subject.to_vec(),
            reply: m.msg.reply.map(<[u8]>::to_vec),
            queues: m.queues().map(<[u8]>::to_vec).collect(),
            header_len: m.msg.header_len,
            data: m.msg.data.to_vec(),
        },
    }
}

fn lim() -> Limits {
    route_limits(&Limits::default())
}

/// The caller loop: appends each chunk, parses until more is needed; returns the ops with
/// their sizes and the error that stopped it, if any.
fn feed(chunks: &[&[u8]], limits: &Limits) -> (Vec<(Op, usize)>, Option<ProtoError>) {
    let mut buf = Vec::new();
    let mut ops = Vec::new();
    for chunk in chunks {
        buf.extend_from_slice(chunk);
        loop {
            match parse_route(&buf, limits) {
                Ok(ParseStep::Op(op, used)) => {
                    assert!(used > 0 && used <= buf.len());
                    ops.push((own(&op), used));
                    buf.drain(..used);
                }
                Ok(ParseStep::Incomplete { needed }) => {
                    if let Some(n) = needed {
                        assert!(n > buf.len());
                    }
                    break;
                }
                Err(e) => return (ops, Some(e)),
            }
        }
    }
    (ops, None)
}

#[track_caller]
fn check(rows: &[(&[u8], Op)]) {
    let lim = lim();
    for (input, want) in rows {
        let shown = String::from_utf8_lossy(input);
        let used = input.len();
        match parse_route(input, &lim) {
            Ok(ParseStep::Op(op, n)) => {
                assert_eq!(own(&op), *want, "{shown:?}");
                assert_eq!(n, used, "{shown:?} consumed");
            }
            other => panic!("{shown:?}: {other:?}"),
        }
        for cut in 0..used {
            match parse_route(&input[..cut], &lim) {
                Ok(ParseStep::Incomplete { .. }) => {}
                other => panic!("{shown:?}[..{cut}]: {other:?}"),
            }
        }
        let mut more = input.to_vec();
        more.extend_from_slice(b"PING\r\n");
        for cut in 0..=more.len() {
            let (ops, err) = feed(&[&more[..cut], &more[cut..]], &lim);
            assert_eq!(err, None, "{shown:?} split at {cut}");
            assert_eq!(
                ops,
                vec![(want.clone(), used), (Op::Ping, 6)],
                "{shown:?} split at {cut}"
            );
        }
    }
}

fn v(s: &[u8]) -> Vec<u8> {
    s.to_vec()
}

fn msg(
    account: &[u8],
    subject: &[u8],
    reply: Option<&[u8]>,
    queues: &[&[u8]],
    header_len: Option<usize>,
    data: &[u8],
) -> Op {
    Op::Msg {
        account: v(account),
        subject: v(subject),
        reply: reply.map(v),
        queues: queues.iter().map(|q| v(q)).collect(),
        header_len,
        data: v(data),
    }
}

#[test]
fn handshake_and_keepalive_ops() {
    check(&[
        (
            b"INFO {\"server_id\":\"N1\"}\r\n",
            Op::Info(v(b"{\"server_id\":\"N1\"}")),
        ),
        (b"info {}\n", Op::Info(v(b"{}"))),
        (
            b"CONNECT {\"name\":\"N2\"}\r\n",
            Op::Connect(v(b"{\"name\":\"N2\"}")),
        ),
        (b"PING\r\n", Op::Ping),
        (b"pong\n", Op::Pong),
        (b"+OK\r\n", Op::Ok),
        (
            b"-ERR 'Unknown Protocol Operation'\r\n",
            Op::Err(v(b"'Unknown Protocol Operation'")),
        ),
    ]);
}

#[test]
fn interest() {
    check(&[
        (b"RS+ $G foo\r\n", Op::Sub(v(b"$G"), v(b"foo"), None)),
        (b"rs+\t$G  foo.>\n", Op::Sub(v(b"$G"), v(b"foo.>"), None)),
        (
            b"RS+ $G foo.* workers 3\r\n",
            Op::Sub(v(b"$G"), v(b"foo.*"), Some((v(b"workers"), 3))),
        ),
        // A bad weight counts as one member, as in nats-server.
        (
            b"RS+ A foo q x\r\n",
            Op::Sub(v(b"A"), v(b"foo"), Some((v(b"q"), 1))),
        ),
        (b"RS- $G foo\r\n", Op::Unsub(v(b"$G"), v(b"foo"), None)),
        (
            b"RS- $G foo workers\r\n",
            Op::Unsub(v(b"$G"), v(b"foo"), Some(v(b"workers"))),
        ),
    ]);
}

#[test]
fn messages() {
    check(&[
        (
            b"RMSG $G foo 5\r\nhello\r\n",
            msg(b"$G", b"foo", None, &[], None, b"hello"),
        ),
        (
            b"RMSG $G foo _INBOX.1 0\r\n\r\n",
            msg(b"$G", b"foo", Some(b"_INBOX.1"), &[], None, b""),
        ),
        (
            b"RMSG $G foo + _INBOX.1 q1 q2 2\r\nhi\r\n",
            msg(
                b"$G",
                b"foo",
                Some(b"_INBOX.1"),
                &[b"q1", b"q2"],
                None,
                b"hi",
            ),
        ),
        (
            b"rmsg A foo | q1 2\r\nhi\r\n",
            msg(b"A", b"foo", None, &[b"q1"], None, b"hi"),
        ),
        (
            b"RMSG\t$G  foo\t|  q1\tq2  2\nhi\r\n",
            msg(b"$G", b"foo", None, &[b"q1", b"q2"], None, b"hi"),
        ),
        (
            b"HMSG $G foo 12 14\r\nNATS/1.0\r\n\r\nhi\r\n",
            msg(b"$G", b"foo", None, &[], Some(12), b"NATS/1.0\r\n\r\nhi"),
        ),
        (
            b"HMSG $G foo + r q 12 12\r\nNATS/1.0\r\n\r\n\r\n",
            msg(
                b"$G",
                b"foo",
                Some(b"r"),
                &[b"q"],
                Some(12),
                b"NATS/1.0\r\n\r\n",
            ),
        ),
        // A zero header size is a plain message.
        (
            b"HMSG $G foo r 0 2\r\nhi\r\n",
            msg(b"$G", b"foo", Some(b"r"), &[], None, b"hi"),
        ),
    ]);
}

#[test]
fn refused() {
    let bad = |input: &[u8]| parse_route(input, &lim()).unwrap_err();
    use ProtoError::*;
    assert_eq!(bad(b"PUB foo 1\r\n"), UnknownProtocolOperation);
    assert_eq!(bad(b"RS* $G foo\r\n"), UnknownProtocolOperation);
    assert_eq!(bad(b"RS+$G foo\r\n"), UnknownProtocolOperation);
    assert_eq!(bad(b"RS+ $G\r\n"), ProtocolViolation);
    assert_eq!(bad(b"RS+ $G foo q\r\n"), ProtocolViolation);
    assert_eq!(bad(b"RS+ $G foo q 1 x\r\n"), ProtocolViolation);
    assert_eq!(bad(b"RS- $G foo q x\r\n"), ProtocolViolation);
    assert_eq!(bad(b"RMSG $G 5\r\n"), ProtocolViolation);
    assert_eq!(bad(b"RMSG $G foo x q 5\r\n"), ProtocolViolation);
    assert_eq!(bad(b"RMSG $G foo ++ r q 5\r\n"), ProtocolViolation);
    assert_eq!(bad(b"RMSG $G foo -1\r\n"), ProtocolViolation);
    assert_eq!(bad(b"HMSG $G foo 3 2\r\n"), ProtocolViolation);
    assert_eq!(bad(b"RMSG $G foo 2\r\nabc\r\n"), UnknownProtocolOperation);
    assert_eq!(bad(b"RMSG $G foo 2000000\r\n"), MaxPayloadViolation);
}

#[test]
fn control_line_is_sixteen_times_a_clients() {
    let client = Limits::default();
    let lim = route_limits(&client);
    assert_eq!(
        lim.max_control_line,
        client.max_control_line * ROUTE_CONTROL_LINE_FACTOR
    );
    // A queue list longer than a client's limit is fine on a route.
    let mut line = b"RMSG $G foo |".to_vec();
    for i in 0..1000 {
        line.extend_from_slice(format!(" q{i}").as_bytes());
    }
    line.extend_from_slice(b" 0\r\n\r\n");
    assert!(line.len() > client.max_control_line);
    match parse_route(&line, &lim).unwrap() {
        ParseStep::Op(RouteOp::Msg(m), n) => {
            assert_eq!(n, line.len());
            assert_eq!(m.queues().count(), 1000);
        }
        other => panic!("{other:?}"),
    }
    // Past the route limit, refused also while the line is still arriving.
    let mut long = b"RS+ $G ".to_vec();
    long.resize(lim.max_control_line + 100, b'a');
    assert_eq!(
        parse_route(&long, &lim),
        Err(ProtoError::MaxControlLineExceeded)
    );
}

#[test]
fn encoders_read_back() {
    let mut out = Vec::new();
    write_rs_plus(&mut out, b"$G", b"foo.*", None);
    write_rs_plus(&mut out, b"$G", b"foo", Some((b"q", 7)));
    write_rs_minus(&mut out, b"$G", b"foo", Some(b"q"));
    write_rs_minus(&mut out, b"A", b"bar", None);
    let (ops, err) = feed(&[&out], &lim());
    assert_eq!(err, None);
    let ops: Vec<Op> = ops.into_iter().map(|(o, _)| o).collect();
    assert_eq!(
        ops,
        vec![
            Op::Sub(v(b"$G"), v(b"foo.*"), None),
            Op::Sub(v(b"$G"), v(b"foo"), Some((v(b"q"), 7))),
            Op::Unsub(v(b"$G"), v(b"foo"), Some(v(b"q"))),
            Op::Unsub(v(b"A"), v(b"bar"), None),
        ]
    );
    assert_eq!(&out[..13], b"RS+ $G foo.*\r\n"[..13].as_ref());

    // Each message form, encoded from a parsed one and parsed again.
    for input in [
        &b"RMSG $G foo 5\r\nhello\r\n"[..],
        b"RMSG $G foo r 5\r\nhello\r\n",
        b"RMSG $G foo + r q1 q2 5\r\nhello\r\n",
        b"RMSG $G foo | q1 5\r\nhello\r\n",
        b"HMSG $G foo + r q 12 14\r\nNATS/1.0\r\n\r\nhi\r\n",
        b"HMSG $G foo 12 14\r\nNATS/1.0\r\n\r\nhi\r\n",
    ] {
        let ParseStep::Op(RouteOp::Msg(m), _) = parse_route(input, &lim()).unwrap() else {
            panic!()
        };
        let mut out = Vec::new();
        write_routed_msg(&mut out, m.account, &m.msg, m.queues());
        assert_eq!(out, input, "{}", String::from_utf8_lossy(input));
        let line = out.iter().position(|&b| b == b'\n').unwrap() + 1;
        assert!(fastnats_proto::route::routed_msg_line_len(m.account, &m.msg, m.queues()) >= line);
    }
}
