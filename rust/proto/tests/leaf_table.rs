//! The leaf-node dialect: the route dialect's ops without the account, named `LS+`, `LS-`,
//! `LMSG` (and `HMSG`), read at every split point and written back byte for byte.

use fastnats_proto::route::{
    parse_leaf, route_limits, write_leaf_msg, write_ls_minus, write_ls_plus, RouteOp,
};
use fastnats_proto::{Limits, ParseStep, ProtoError};

fn lim() -> Limits {
    route_limits(&Limits::default())
}

/// Parses `input` whole (one op using all of it) and every proper prefix (incomplete).
fn whole(input: &[u8]) -> RouteOp<'_> {
    for cut in 0..input.len() {
        match parse_leaf(&input[..cut], &lim()) {
            Ok(ParseStep::Incomplete { .. }) => {}
            other => panic!("{:?}[..{cut}]: {other:?}", String::from_utf8_lossy(input)),
        }
    }
    match parse_leaf(input, &lim()) {
        Ok(ParseStep::Op(op, used)) => {
            assert_eq!(used, input.len());
            op
        }
        other => panic!("{:?}: {other:?}", String::from_utf8_lossy(input)),
    }
}

#[test]
fn interest_has_no_account() {
    assert_eq!(
        whole(b"LS+ foo.*\r\n"),
        RouteOp::Sub {
            account: b"",
            subject: b"foo.*",
            queue: None
        }
    );
    assert_eq!(
        whole(b"ls+ foo q 3\r\n"),
        RouteOp::Sub {
            account: b"",
            subject: b"foo",
            queue: Some((b"q", 3))
        }
    );
    assert_eq!(
        whole(b"LS- foo q\r\n"),
        RouteOp::Unsub {
            account: b"",
            subject: b"foo",
            queue: Some(b"q")
        }
    );
    let mut out = Vec::new();
    write_ls_plus(&mut out, b"foo", Some((b"q", 3)));
    write_ls_minus(&mut out, b"foo", None);
    assert_eq!(out, b"LS+ foo q 3\r\nLS- foo\r\n");
}

#[test]
fn messages_read_back() {
    for input in [
        &b"LMSG foo 5\r\nhello\r\n"[..],
        b"LMSG foo r 5\r\nhello\r\n",
        b"LMSG foo + r q1 q2 5\r\nhello\r\n",
        b"LMSG foo | q1 5\r\nhello\r\n",
        b"HMSG foo + r q 12 14\r\nNATS/1.0\r\n\r\nhi\r\n",
        b"HMSG foo 12 14\r\nNATS/1.0\r\n\r\nhi\r\n",
    ] {
        let RouteOp::Msg(m) = whole(input) else {
            panic!("{input:?}")
        };
        assert_eq!(m.account, b"");
        let mut out = Vec::new();
        write_leaf_msg(&mut out, &m.msg, m.queues());
        assert_eq!(out, input, "{}", String::from_utf8_lossy(input));
    }
}

#[test]
fn route_ops_are_not_leaf_ops() {
    let bad = |input: &[u8]| parse_leaf(input, &lim()).unwrap_err();
    assert_eq!(bad(b"RS+ $G foo\r\n"), ProtoError::UnknownProtocolOperation);
    assert_eq!(
        bad(b"RMSG $G foo 1\r\nx\r\n"),
        ProtoError::UnknownProtocolOperation
    );
    assert_eq!(bad(b"LS+ \r\n"), ProtoError::ProtocolViolation);
    assert_eq!(bad(b"LMSG foo\r\n"), ProtoError::ProtocolViolation);
}
