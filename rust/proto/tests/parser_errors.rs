//! Inputs nats-server refuses, each with the exact `ProtoError` (and so the exact `-ERR` text
//! or silent close). Every row is checked whole, byte by byte and split in two at every
//! offset through the caller loop: the error must not depend on how the bytes arrived.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

mod common;

use common::{bytewise, feed, limits, whole};
use fastnats_proto::{parse, Limits, Parsed, ProtoError};

use ProtoError::{
    MaxControlLineExceeded as Mcl, MaxPayloadViolation as Mpv, ProtocolViolation as Pv,
    UnknownProtocolOperation as Unknown,
};

#[track_caller]
fn fails(rows: &[(&[u8], ProtoError)], lim: &Limits) {
    for (input, want) in rows {
        let shown = String::from_utf8_lossy(&input[..input.len().min(60)]);
        assert_eq!(parse(input, lim), Err(*want), "{shown:?}");
        let w = whole(input, lim);
        assert_eq!((w.ops.len(), w.error), (0, Some(*want)), "{shown:?} whole");
        let b = bytewise(input, lim);
        assert_eq!(
            (b.ops.len(), b.error),
            (0, Some(*want)),
            "{shown:?} bytewise"
        );
        // Two-way splits (every offset for short inputs, a sample for long ones).
        let step = (input.len() / 200).max(1);
        for cut in (0..=input.len()).step_by(step) {
            let s = feed([&input[..cut], &input[cut..]], lim);
            assert_eq!(
                (s.ops.len(), s.error),
                (0, Some(*want)),
                "{shown:?} split at {cut}"
            );
        }
    }
}

fn cat(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

fn rep(b: u8, n: usize) -> Vec<u8> {
    vec![b; n]
}

#[test]
fn unknown_ops() {
    fails(
        &[
            (b"FOO\r\n", Unknown),
            (b"X", Unknown),
            (b"\x00", Unknown),
            (b"\xff", Unknown),
            (b"\r\n", Unknown),
            (b"\n", Unknown),
            (b" PING\r\n", Unknown),
            (b"\tPING\r\n", Unknown),
            // Server-to-client and route/leaf ops are unknown from a client.
            (b"MSG foo 1 5\r\nhello\r\n", Unknown),
            (b"HMSG foo 1 2 2\r\nhi\r\n", Unknown),
            (b"RS+ $G foo\r\n", Unknown),
            (b"RS- $G foo\r\n", Unknown),
            (b"LS+ $G foo\r\n", Unknown),
            (b"LS- $G foo\r\n", Unknown),
            (b"A+ foo\r\n", Unknown),
            (b"A- foo\r\n", Unknown),
            (b"RMSG $G foo 5\r\n", Unknown),
            (b"LMSG foo 5\r\n", Unknown),
            // Misspelled or truncated names.
            (b"P\r\n", Unknown),
            (b"PX", Unknown),
            (b"PIN\r\n", Unknown),
            (b"PINX\r\n", Unknown),
            (b"PON\r\n", Unknown),
            (b"PUX", Unknown),
            (b"HPX", Unknown),
            (b"SUX", Unknown),
            (b"UNSUX", Unknown),
            (b"CONNEC {}\r\n", Unknown),
            (b"CONECT {}\r\n", Unknown),
            (b"INF {}\r\n", Unknown),
            (b"INFX", Unknown),
            (b"+O\r\n", Unknown),
            (b"+OX", Unknown),
            (b"+ ok", Unknown),
            (b"-ER 'x'\r\n", Unknown),
            (b"-EX", Unknown),
            // Ops that need a blank after the name.
            (b"PUB\r\n", Unknown),
            (b"PUB\n", Unknown),
            (b"PUBfoo 5\r\n", Unknown),
            (b"PUBLISH foo 5\r\n", Unknown),
            (b"HPUB\r\n", Unknown),
            (b"HPUBfoo 1 1\r\n", Unknown),
            (b"SUB\r\n", Unknown),
            (b"SUBSCRIBE foo 1\r\n", Unknown),
            (b"UNSUB\r\n", Unknown),
            (b"UNSUBSCRIBE 1\r\n", Unknown),
            (b"-ERR\r\n", Unknown),
            (b"-ERR'x'\r\n", Unknown),
        ],
        &limits(),
    );
}

#[test]
fn bad_payload_terminator() {
    fails(
        &[
            // Size larger than the payload sent ("lying size").
            (b"PUB foo 3\r\nhi\r\n", Unknown),
            // Size smaller than the payload sent.
            (b"PUB foo 1\r\nhi\r\n", Unknown),
            (b"PUB foo 2\r\nabc\r\n", Unknown),
            (b"PUB foo 2\r\nab\n\r\n", Unknown),
            (b"PUB foo 2\r\nab\rX", Unknown),
            (b"PUB foo 2\r\nab\r\r", Unknown),
            // The wrong byte is an error as soon as it arrives, before the rest.
            (b"PUB foo 2\r\nabX", Unknown),
            (b"PUB foo 0\r\nX", Unknown),
            (b"PUB foo 0\r\n\n", Unknown),
            (b"HPUB foo 12 12\r\nNATS/1.0\r\n\r\nXX", Unknown),
            (b"HPUB foo 12 14\r\nNATS/1.0\r\n\r\nhi\n\n", Unknown),
            // An error after good ops: the good ops still come out (checked below).
        ],
        &limits(),
    );
    let out = whole(b"PING\r\nPUB foo 1\r\nab\r\n", &limits());
    assert_eq!(out.ops.len(), 1);
    assert_eq!(out.error, Some(Unknown));
}

#[test]
fn wrong_argument_counts() {
    fails(
        &[
            (b"PUB foo\r\n", Pv),
            (b"PUB \r\n", Pv),
            (b"PUB \t \r\n", Pv),
            (b"PUB a b c 5\r\n", Pv),
            (b"PUB a b c d e f g 5\r\n", Pv),
            (b"HPUB foo 5\r\n", Pv),
            (b"HPUB \r\n", Pv),
            (b"HPUB a b c d 5\r\n", Pv),
            (b"HPUB a b c d e f g 5\r\n", Pv),
            (b"SUB foo\r\n", Pv),
            (b"SUB \r\n", Pv),
            (b"SUB a b c d\r\n", Pv),
            (b"SUB a b c d e f g\r\n", Pv),
            (b"UNSUB \r\n", Pv),
            (b"UNSUB \t\n", Pv),
            (b"UNSUB 1 2 3\r\n", Pv),
        ],
        &limits(),
    );
}

#[test]
fn bad_sizes() {
    fails(
        &[
            (b"PUB foo +5\r\n", Pv),
            (b"PUB foo -5\r\n", Pv),
            (b"PUB foo 5a\r\n", Pv),
            (b"PUB foo a5\r\n", Pv),
            (b"PUB foo 0x5\r\n", Pv),
            (b"PUB foo 5.0\r\n", Pv),
            (b"PUB foo 1e3\r\n", Pv),
            (b"PUB foo \xef\xbc\x95\r\n", Pv), // fullwidth '5'
            // 10 digits, even small in value, and huge values.
            (b"PUB foo 0000000005\r\n", Pv),
            (b"PUB foo 1234567890\r\n", Pv),
            (b"PUB foo 99999999999999999999999\r\n", Pv),
            // PUB splits on spaces and tabs only: a stray `\r` makes the size `5\r`.
            (b"PUB foo 5\r\r\n", Pv),
            (b"PUB foo bar 5\r\r\n", Pv),
            // HPUB: header size, total size, header larger than total.
            (b"HPUB foo x 5\r\n", Pv),
            (b"HPUB foo 2 x\r\n", Pv),
            (b"HPUB foo -1 5\r\n", Pv),
            (b"HPUB foo 1 -5\r\n", Pv),
            (b"HPUB foo 1234567890 5\r\n", Pv),
            (b"HPUB foo 2 1234567890\r\n", Pv),
            (b"HPUB foo 3 2\r\n", Pv),
            (b"HPUB foo bar 15 14\r\n", Pv),
            // Header larger than total is refused before max_payload is looked at.
            (b"HPUB foo 2000000 1048577\r\n", Pv),
        ],
        &limits(),
    );
}

#[test]
fn hpub_without_negotiated_headers() {
    let no_headers = Limits::default();
    assert!(!no_headers.headers);
    fails(
        &[
            (b"HPUB foo 12 14\r\nNATS/1.0\r\n\r\nhi\r\n", Pv),
            (b"hpub foo reply 12 14\r\n", Pv),
            // Refused at the control line, whatever follows.
            (b"HPUB foo 12 14\r\n", Pv),
            (b"HPUB foo 1 1048577\r\n", Pv),
        ],
        &no_headers,
    );
    // ... while PUB still works.
    assert!(matches!(
        parse(b"PUB foo 2\r\nhi\r\n", &no_headers),
        Ok(Parsed::Op(..))
    ));
}

#[test]
fn max_payload_on_the_control_line() {
    // No payload byte has arrived: the control line alone is refused.
    fails(
        &[
            (b"PUB foo 1048577\r\n", Mpv),
            (b"PUB foo reply 999999999\r\n", Mpv),
            (b"HPUB foo 10 1048577\r\n", Mpv),
            (b"HPUB foo r 0 999999999\r\n", Mpv),
        ],
        &limits(),
    );
    let small = Limits {
        max_payload: 10,
        headers: true,
        ..Limits::default()
    };
    fails(
        &[
            (b"PUB foo 11\r\n", Mpv),
            (b"pub foo 11\n", Mpv),
            // HPUB counts headers plus payload.
            (b"HPUB foo 5 11\r\n", Mpv),
            (b"HPUB foo 11 11\r\n", Mpv),
        ],
        &small,
    );
    // At the limit: accepted, and the op's full length is known at once.
    assert_eq!(
        parse(b"PUB foo 10\r\n", &small),
        Ok(Parsed::Incomplete { needed: Some(24) })
    );
    assert_eq!(
        parse(b"HPUB foo 4 10\r\n", &small),
        Ok(Parsed::Incomplete { needed: Some(27) })
    );
    assert_eq!(
        parse(b"PUB foo 1048576\r\n", &limits()),
        Ok(Parsed::Incomplete {
            needed: Some(17 + 1048576 + 2)
        })
    );
}

#[test]
fn max_control_line_complete_and_split() {
    let lim = limits();
    let over = rep(b'a', 4095); // "aaa... 1" is 4097 argument bytes
    let at = rep(b'a', 4094); // "aaa... 1" is 4096 argument bytes
    let long_sub = cat(&[b"SUB ", &over, b" 1\r\n"]);
    let long_pub = cat(&[b"PUB ", &over, b" 1\r\nx\r\n"]);
    let long_hpub = cat(&[b"HPUB ", &over, b" 0 1\r\nx\r\n"]);
    let long_connect = cat(&[b"CONNECT {\"name\":\"", &rep(b'n', 4090), b"\"}\r\n"]);
    let long_info = cat(&[b"INFO ", &rep(b'i', 4097), b"\r\n"]);
    let long_err = cat(&[b"-ERR ", &rep(b'e', 4097), b"\n"]);
    let long_unsub = cat(&[b"UNSUB ", &rep(b'1', 4097), b"\r\n"]);
    fails(
        &[
            // Complete lines.
            (&long_sub, Mcl),
            (&long_pub, Mcl),
            (&long_hpub, Mcl),
            (&long_connect, Mcl),
            (&long_info, Mcl),
            (&long_err, Mcl),
            (&long_unsub, Mcl),
            // Still split: no `\n` yet, and the argument is already too long.
            (&cat(&[b"PUB ", &rep(b'a', 4097)]), Mcl),
            (&cat(&[b"SUB foo ", &rep(b'a', 4097)]), Mcl),
            (&cat(&[b"CONNECT {", &rep(b'a', 4096)]), Mcl),
            (&cat(&[b"UNSUB\t", &rep(b'1', 4097)]), Mcl),
            // The limit is checked before anything else on the line.
            (&cat(&[b"HPUB ", &over, b" 1 0\r\n"]), Mcl),
            (&cat(&[b"PUB ", &over, b" 99999999999\r\n"]), Mcl),
        ],
        &lim,
    );
    // HPUB over the limit without headers: the limit still comes first.
    fails(&[(&long_hpub, Mcl)], &Limits::default());

    // Exactly at the limit: accepted, whole and split, with or without `\r`.
    for line in [
        cat(&[b"SUB ", &at, b" 1\r\n"]),
        cat(&[b"SUB ", &at, b" 1\n"]),
        // Leading blanks are not part of the arguments.
        cat(&[b"SUB", &rep(b' ', 100), &at, b" 1\r\n"]),
    ] {
        assert!(matches!(parse(&line, &lim), Ok(Parsed::Op(..))));
        let b = bytewise(&line, &lim);
        assert_eq!((b.ops.len(), b.error), (1, None));
    }
    // At the limit, waiting for `\n` (a trailing `\r` does not count yet).
    assert_eq!(
        parse(&cat(&[b"SUB ", &at, b" 1"]), &lim),
        Ok(Parsed::Incomplete { needed: None })
    );
    assert_eq!(
        parse(&cat(&[b"SUB ", &at, b" 1\r"]), &lim),
        Ok(Parsed::Incomplete { needed: None })
    );
    // The limit follows the configured value.
    let tiny = Limits {
        max_control_line: 8,
        ..limits()
    };
    assert!(matches!(
        parse(b"SUB foo 12\r\n", &tiny),
        Ok(Parsed::Op(..))
    ));
    fails(
        &[(b"SUB foobar 123\r\n", Mcl), (b"SUB foobar 123", Mcl)],
        &tiny,
    );
}

#[test]
fn unbounded_junk_is_bounded_the_same_whole_or_split() {
    // nats-server ignores anything after PING/PONG/+OK up to `\n` and skips any number of
    // blanks after an op name; fastnats bounds the whole line at max_control_line + 4096 so
    // that a client cannot make it buffer forever, and must apply the bound identically
    // whether the line arrives whole or in pieces.
    let lim = limits();
    let slack = 4096 + 4096;
    for op in [&b"PING"[..], b"PONG", b"+OK"] {
        let ok = cat(&[op, &rep(b'x', slack - 1), b"\r\n"]);
        assert!(matches!(parse(&ok, &lim), Ok(Parsed::Op(..))));
        let b = bytewise(&ok, &lim);
        assert_eq!((b.ops.len(), b.error), (1, None));
        fails(
            &[
                (&cat(&[op, &rep(b'x', slack), b"\r\n"]), Mcl),
                (&cat(&[op, &rep(b'x', slack + 1)]), Mcl),
            ],
            &lim,
        );
    }
    fails(
        &[
            (&cat(&[b"SUB", &rep(b' ', slack + 1), b"foo 1\r\n"]), Mcl),
            (&cat(&[b"CONNECT", &rep(b'\t', slack + 1), b"{}\r\n"]), Mcl),
        ],
        &lim,
    );
}

#[test]
fn extreme_limits_do_not_overflow() {
    let huge = Limits {
        max_control_line: usize::MAX,
        max_payload: usize::MAX,
        headers: true,
    };
    let stream = b"PING junk\r\nSUB foo 1\r\nPUB foo 999999999\r\nab";
    let w = whole(stream, &huge);
    assert_eq!((w.ops.len(), w.error), (2, None));
    assert_eq!(
        parse(b"PUB foo 999999999\r\n", &huge),
        Ok(Parsed::Incomplete {
            needed: Some(19 + 999_999_999 + 2)
        })
    );
    let zero = Limits {
        max_control_line: 0,
        max_payload: 0,
        headers: true,
    };
    assert_eq!(
        parse(b"PING\r\n", &zero),
        Ok(Parsed::Op(fastnats_proto::ClientOp::Ping, 6))
    );
    fails(&[(b"SUB a 1\r\n", Mcl), (b"PUB a 0\r\n\r\n", Mcl)], &zero);
}
