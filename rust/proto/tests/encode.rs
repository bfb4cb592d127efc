//! The encoder, read back the way clients read it.
//!
//! `client_read` is a strict client-side reader of `MSG`/`HMSG` built from what real clients
//! require (reference §1.7): upper-case op, single spaces (async-nats splits on `' '`), sizes in
//! decimal, `\r\n` after the line and after the payload. Encoded messages must read back to
//! exactly what was encoded, and PUB/HPUB parsed by the server must re-encode into the MSG/HMSG
//! a subscriber expects.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

mod common;

use fastnats_proto::encode::{
    msg_line_len, write_err, write_hmsg, write_info, write_msg, write_msg_line, CRLF, OK, PING,
    PONG,
};
use fastnats_proto::{parse, ClientOp, Limits, Parsed, ProtoError, ServerInfo};
use proptest::prelude::*;

#[derive(Debug, PartialEq, Eq)]
struct Msg {
    subject: Vec<u8>,
    sid: Vec<u8>,
    reply: Option<Vec<u8>>,
    header_len: Option<usize>,
    data: Vec<u8>,
}

fn size(b: &[u8]) -> usize {
    assert!(
        !b.is_empty() && b.iter().all(u8::is_ascii_digit),
        "size {b:?}"
    );
    std::str::from_utf8(b).unwrap().parse().unwrap()
}

/// Reads one MSG/HMSG from the front of `buf`; returns it and the bytes it took.
fn client_read(buf: &[u8]) -> (Msg, usize) {
    let nl = buf.windows(2).position(|w| w == b"\r\n").expect("no CRLF");
    let line = &buf[..nl];
    let fields: Vec<&[u8]> = line.split(|&b| b == b' ').collect();
    assert!(
        fields.iter().all(|f| !f.is_empty()),
        "empty field (double space?) in {:?}",
        String::from_utf8_lossy(line)
    );
    let (header_len, subject, sid, reply, total) = match (fields[0], fields.len()) {
        (b"MSG", 4) => (None, fields[1], fields[2], None, size(fields[3])),
        (b"MSG", 5) => (None, fields[1], fields[2], Some(fields[3]), size(fields[4])),
        (b"HMSG", 5) => (
            Some(size(fields[3])),
            fields[1],
            fields[2],
            None,
            size(fields[4]),
        ),
        (b"HMSG", 6) => (
            Some(size(fields[4])),
            fields[1],
            fields[2],
            Some(fields[3]),
            size(fields[5]),
        ),
        _ => panic!("not a MSG/HMSG line: {:?}", String::from_utf8_lossy(line)),
    };
    let start = nl + 2;
    let end = start + total;
    assert_eq!(&buf[end..end + 2], CRLF, "payload not followed by CRLF");
    (
        Msg {
            subject: subject.to_vec(),
            sid: sid.to_vec(),
            reply: reply.map(<[u8]>::to_vec),
            header_len,
            data: buf[start..end].to_vec(),
        },
        end + 2,
    )
}

#[test]
fn fixed_ops() {
    assert_eq!(PING, b"PING\r\n");
    assert_eq!(PONG, b"PONG\r\n");
    assert_eq!(OK, b"+OK\r\n");
    assert_eq!(CRLF, b"\r\n");
}

#[test]
fn msg_bytes_exactly() {
    let mut out = Vec::new();
    write_msg(&mut out, b"a", b"1", None, b"");
    assert_eq!(out, b"MSG a 1 0\r\n\r\n");
    out.clear();
    write_msg(&mut out, b"foo.bar", b"99", Some(b"_INBOX.a.b"), b"\r\n");
    assert_eq!(out, b"MSG foo.bar 99 _INBOX.a.b 2\r\n\r\n\r\n");
    out.clear();
    write_hmsg(&mut out, b"s", b"1", Some(b"r"), 12, b"NATS/1.0\r\n\r\n");
    assert_eq!(out, b"HMSG s 1 r 12 12\r\nNATS/1.0\r\n\r\n\r\n");
    // Encoders append, they never clear.
    out.clear();
    out.extend_from_slice(b"PONG\r\n");
    write_msg(&mut out, b"x", b"2", None, b"y");
    assert_eq!(out, b"PONG\r\nMSG x 2 1\r\ny\r\n");
}

#[test]
fn no_responders_hmsg_matches_nats_server() {
    // nats-server: HMSG <reply> <sid> <n> <n>\r\nNATS/1.0 503\r\nNats-Subject: <subj>\r\n\r\n\r\n
    let subject = b"svc.echo";
    let mut block = Vec::new();
    fastnats_proto::headers::write_no_responders(&mut block, subject);
    let n = 32 + subject.len();
    assert_eq!(block.len(), n);
    let mut out = Vec::new();
    write_hmsg(&mut out, b"_INBOX.x.1", b"7", None, block.len(), &block);
    assert_eq!(
        out,
        format!("HMSG _INBOX.x.1 7 {n} {n}\r\nNATS/1.0 503\r\nNats-Subject: svc.echo\r\n\r\n\r\n")
            .into_bytes()
    );
}

#[test]
fn err_catalogue_is_exact() {
    use ProtoError::*;
    let table: &[(ProtoError, Option<&str>, bool)] = &[
        (
            UnknownProtocolOperation,
            Some("Unknown Protocol Operation"),
            true,
        ),
        (
            AuthorizationViolation,
            Some("Authorization Violation"),
            true,
        ),
        (AuthenticationTimeout, Some("Authentication Timeout"), true),
        (
            MaxConnectionsExceeded,
            Some("maximum connections exceeded"),
            true,
        ),
        (
            SecureConnectionTlsRequired,
            Some("Secure Connection - TLS Required"),
            true,
        ),
        (
            MaxControlLineExceeded,
            Some("maximum control line exceeded"),
            true,
        ),
        (MaxPayloadViolation, Some("Maximum Payload Violation"), true),
        (InvalidClientProtocol, Some("invalid client protocol"), true),
        (
            NoRespondersRequiresHeaders,
            Some("no responders requires headers support"),
            true,
        ),
        (StaleConnection, Some("Stale Connection"), true),
        (
            MaxSubscriptionsExceeded,
            Some("maximum subscriptions exceeded"),
            false,
        ),
        (InvalidSubject, Some("Invalid Subject"), false),
        (
            InvalidPublishSubject,
            Some("Invalid Publish Subject"),
            false,
        ),
        (ProtocolViolation, None, true),
        (MalformedJson, None, true),
        (ClientError, None, true),
    ];
    for &(e, text, closes) in table {
        assert_eq!(e.text(), text, "{e:?}");
        assert_eq!(e.closes(), closes, "{e:?}");
        let mut out = Vec::new();
        write_err(&mut out, e);
        match text {
            Some(t) => assert_eq!(out, format!("-ERR '{t}'\r\n").into_bytes()),
            None => assert!(out.is_empty(), "{e:?} must be silent"),
        }
    }
}

#[test]
fn info_line() {
    let info = ServerInfo {
        server_id: "NABC".into(),
        version: "2.10.0".into(),
        proto: 1,
        max_payload: 1024,
        ..Default::default()
    };
    let mut out = Vec::new();
    write_info(&mut out, &info);
    assert!(out.starts_with(b"INFO {\"server_id\":\"NABC\""));
    assert!(out.ends_with(b"}\r\n"));
    assert_eq!(out.iter().filter(|&&b| b == b'\n').count(), 1);
    let json = &out[5..out.len() - 2];
    let v: serde_json::Value = serde_json::from_slice(json).unwrap();
    assert_eq!(v["max_payload"], 1024);
}

#[test]
fn pub_reencodes_as_the_msg_a_subscriber_expects() {
    let lim = Limits {
        headers: true,
        ..Limits::default()
    };
    let rows: &[(&[u8], &[u8])] = &[
        (
            b"pub\tfoo.bar \t _INBOX.1   5 \r\nhello\r\n",
            b"MSG foo.bar 42 _INBOX.1 5\r\nhello\r\n",
        ),
        (b"PUB foo 0\n\r\n", b"MSG foo 42 0\r\n\r\n"),
        (
            b"HPUB foo 12  14\r\nNATS/1.0\r\n\r\nhi\r\n",
            b"HMSG foo 42 12 14\r\nNATS/1.0\r\n\r\nhi\r\n",
        ),
    ];
    for (wire, want) in rows {
        let Ok(Parsed::Op(ClientOp::Pub(p), _)) = parse(wire, &lim) else {
            panic!("{wire:?}")
        };
        let mut out = Vec::new();
        match p.header_len {
            Some(h) => write_hmsg(&mut out, p.subject, b"42", p.reply, h, p.data),
            None => write_msg(&mut out, p.subject, b"42", p.reply, p.data),
        }
        assert_eq!(&out, want);
        // Headers stripped for a subscriber without headers: MSG with total - header bytes.
        if p.header_len.is_some() {
            out.clear();
            write_msg(&mut out, p.subject, b"42", p.reply, p.payload());
            assert_eq!(out, b"MSG foo 42 2\r\nhi\r\n");
        }
    }
}

#[test]
fn msg_line_len_bounds_the_largest_sizes() {
    for (reply, hdr) in [(None, None), (Some(&b"r.e.p"[..]), None), (None, Some(0))] {
        for total in [0, 9, 10, 999_999_999, 4_294_967_295] {
            let mut out = Vec::new();
            let h = hdr.map(|_| total);
            write_msg_line(&mut out, b"sub.ject", b"123456", reply, h, total);
            let bound = msg_line_len(b"sub.ject", b"123456", reply, (total, h));
            assert!(out.len() <= bound, "{} > {bound}", out.len());
        }
    }
}

fn token() -> impl Strategy<Value = Vec<u8>> {
    "[!-~]{1,20}".prop_map(String::into_bytes)
}

proptest! {
    #[test]
    fn msg_and_hmsg_read_back(
        subject in token(),
        sid in "[0-9]{1,10}",
        reply in prop::option::of(token()),
        hdr in prop::option::of(prop::collection::vec(any::<u8>(), 0..64)),
        payload in prop::collection::vec(any::<u8>(), 0..512),
        prefix in prop::collection::vec(any::<u8>(), 0..8),
    ) {
        let mut out = prefix.clone();
        let (header_len, data) = match &hdr {
            Some(h) => {
                let data = [h.as_slice(), payload.as_slice()].concat();
                write_hmsg(&mut out, &subject, sid.as_bytes(), reply.as_deref(), h.len(), &data);
                (Some(h.len()), data)
            }
            None => {
                write_msg(&mut out, &subject, sid.as_bytes(), reply.as_deref(), &payload);
                (None, payload.clone())
            }
        };
        prop_assert_eq!(&out[..prefix.len()], &prefix[..]);
        let (msg, used) = client_read(&out[prefix.len()..]);
        prop_assert_eq!(used, out.len() - prefix.len());
        prop_assert_eq!(msg, Msg {
            subject: subject.clone(),
            sid: sid.clone().into_bytes(),
            reply: reply.clone(),
            header_len,
            data: data.clone(),
        });
        let line_len = out[prefix.len()..].windows(2).position(|w| w == b"\r\n").unwrap() + 2;
        let bound = msg_line_len(&subject, sid.as_bytes(), reply.as_deref(), (data.len(), header_len));
        prop_assert!(line_len <= bound);
    }
}
