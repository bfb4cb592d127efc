//! Encoders for the ops the server sends. Each appends to the caller's output buffer; numbers
//! are formatted on the stack with `itoa`, so encoding a message allocates nothing unless the
//! buffer itself must grow.

use crate::error::ProtoError;
use crate::info::ServerInfo;

/// The server's keep-alive probe; `ping_max` unanswered ones close the client.
pub const PING: &[u8] = b"PING\r\n";
/// The answer to a client's PING (clients use the round trip as a flush barrier).
pub const PONG: &[u8] = b"PONG\r\n";
/// The acknowledgement a `verbose` client gets for each op.
pub const OK: &[u8] = b"+OK\r\n";
/// The end of every line, and of every payload.
pub const CRLF: &[u8] = b"\r\n";

/// `INFO <json>\r\n`.
pub fn write_info(out: &mut Vec<u8>, info: &ServerInfo) {
    out.extend_from_slice(b"INFO ");
    out.extend_from_slice(info.to_json().as_bytes());
    out.extend_from_slice(CRLF);
}

/// `-ERR '<text>'\r\n` for errors that have a text; nothing for silent ones.
pub fn write_err(out: &mut Vec<u8>, err: ProtoError) {
    if let Some(text) = err.text() {
        out.extend_from_slice(b"-ERR '");
        out.extend_from_slice(text.as_bytes());
        out.extend_from_slice(b"'\r\n");
    }
}

/// Length of the control line [`write_msg_line`] writes, for reserving buffer space.
#[inline]
#[must_use]
pub fn msg_line_len(
    subject: &[u8],
    sid: &[u8],
    reply: Option<&[u8]>,
    sizes: (usize, Option<usize>),
) -> usize {
    // "HMSG " / "MSG " + subject + ' ' + sid + [' ' reply] + ' ' + n [+ ' ' + n] + CRLF
    let base = 4 + subject.len() + 1 + sid.len() + 1 + 10 + 2;
    let reply = reply.map_or(0, |r| r.len() + 1);
    let hdr = if sizes.1.is_some() { 1 + 11 } else { 0 };
    base + reply + hdr
}

/// `MSG <subject> <sid> [reply] <n>\r\n` or, with a header length,
/// `HMSG <subject> <sid> [reply] <hdr> <total>\r\n`. Single spaces, upper-case op: async-nats
/// splits on `' '` and nats.py's regexes want `MSG`/`HMSG`.
#[inline]
pub fn write_msg_line(
    out: &mut Vec<u8>,
    subject: &[u8],
    sid: &[u8],
    reply: Option<&[u8]>,
    header_len: Option<usize>,
    total: usize,
) {
    let mut hdr = itoa::Buffer::new();
    let mut num = itoa::Buffer::new();
    let header = header_len.map(|h| hdr.format(h).as_bytes());
    write_msg_line_raw(
        out,
        subject,
        sid,
        reply,
        header,
        num.format(total).as_bytes(),
    );
}

/// [`write_msg_line`] with the sizes given as digits, e.g. those the publisher wrote
/// ([`crate::Publish::size_field`]): nats-server echoes them byte for byte.
#[inline]
pub fn write_msg_line_raw(
    out: &mut Vec<u8>,
    subject: &[u8],
    sid: &[u8],
    reply: Option<&[u8]>,
    header: Option<&[u8]>,
    total: &[u8],
) {
    out.extend_from_slice(if header.is_some() { b"HMSG " } else { b"MSG " });
    out.extend_from_slice(subject);
    out.push(b' ');
    out.extend_from_slice(sid);
    out.push(b' ');
    if let Some(reply) = reply {
        out.extend_from_slice(reply);
        out.push(b' ');
    }
    if let Some(h) = header {
        out.extend_from_slice(h);
        out.push(b' ');
    }
    out.extend_from_slice(total);
    out.extend_from_slice(CRLF);
}

/// A whole `MSG`: control line, payload, CRLF.
#[inline]
pub fn write_msg(
    out: &mut Vec<u8>,
    subject: &[u8],
    sid: &[u8],
    reply: Option<&[u8]>,
    payload: &[u8],
) {
    write_msg_line(out, subject, sid, reply, None, payload.len());
    out.extend_from_slice(payload);
    out.extend_from_slice(CRLF);
}

/// A whole `HMSG`: `data` is the header block followed by the payload.
#[inline]
pub fn write_hmsg(
    out: &mut Vec<u8>,
    subject: &[u8],
    sid: &[u8],
    reply: Option<&[u8]>,
    header_len: usize,
    data: &[u8],
) {
    write_msg_line(out, subject, sid, reply, Some(header_len), data.len());
    out.extend_from_slice(data);
    out.extend_from_slice(CRLF);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn msg_and_hmsg_bytes() {
        let mut out = Vec::new();
        write_msg(&mut out, b"foo.bar", b"1", None, b"hello");
        write_msg(&mut out, b"foo", b"22", Some(b"_INBOX.x"), b"");
        write_hmsg(
            &mut out,
            b"h",
            b"3",
            None,
            22,
            b"NATS/1.0\r\nBar: Baz\r\n\r\nhi",
        );
        assert_eq!(
            out,
            b"MSG foo.bar 1 5\r\nhello\r\nMSG foo 22 _INBOX.x 0\r\n\r\nHMSG h 3 22 24\r\nNATS/1.0\r\nBar: Baz\r\n\r\nhi\r\n".to_vec()
        );
    }

    #[test]
    fn err_lines() {
        let mut out = Vec::new();
        write_err(&mut out, ProtoError::MaxPayloadViolation);
        write_err(&mut out, ProtoError::ProtocolViolation);
        assert_eq!(out, b"-ERR 'Maximum Payload Violation'\r\n");
    }

    #[test]
    fn line_len_is_an_upper_bound() {
        let mut out = Vec::new();
        write_msg_line(
            &mut out,
            b"a.b",
            b"123",
            Some(b"r"),
            Some(999_999_999),
            999_999_999,
        );
        assert!(out.len() <= msg_line_len(b"a.b", b"123", Some(b"r"), (0, Some(0))));
    }
}
