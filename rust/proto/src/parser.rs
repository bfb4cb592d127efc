//! The incremental parser for client ops.
//!
//! [`parse`] looks at the front of the caller's buffer and returns either one complete op and
//! how many bytes it used, or [`Parsed::Incomplete`]. The caller drops the used bytes, and on
//! `Incomplete` reads more and calls again with the same (grown) buffer. Nothing is copied: ops
//! borrow subject, reply and payload from the buffer. Payload bytes are skipped by the announced
//! size, never scanned.
//!
//! Rules (nats-server's `parser.go`, see the reference file §1.1):
//! - op names are case-insensitive; arguments are separated by runs of spaces or tabs;
//! - a control line ends at `\n`, the `\r` before it is optional;
//! - `PING`, `PONG` and `+OK` ignore whatever follows the op name up to `\n`;
//! - `CONNECT` and `INFO` need no blank before their JSON;
//! - `PUB`/`HPUB`/`SUB`/`UNSUB`/`-ERR` need a blank after the op name;
//! - `PUB`/`HPUB` arguments are split on spaces and tabs, `SUB`/`UNSUB` ones also on `\r`;
//! - argument counts: `PUB` 2–3, `HPUB` 3–4, `SUB` 2–3, `UNSUB` 1–2 (else a silent close);
//! - sizes are 1–9 ASCII digits (else a silent close);
//! - the argument part of a control line may not exceed `max_control_line`, checked also while a
//!   split line is still arriving, and a payload size over `max_payload` fails on the control
//!   line, before any payload byte arrives;
//! - a whole line (blanks and ignored junk included) may not exceed `max_control_line` plus a
//!   fixed slack, whether it arrives whole or split (nats-server has no bound there; fastnats
//!   needs one so a client cannot make it buffer without limit, and applies it identically
//!   both ways so the outcome never depends on how TCP segmented the stream);
//! - a payload must be followed by exactly `\r\n`, else `Unknown Protocol Operation`.

use crate::error::ProtoError;
use crate::limits::Limits;

/// A `PUB` or `HPUB`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Publish<'a> {
    /// The subject published to (checked against the subscriptions, never validated here
    /// beyond pedantic mode: nats-server delivers what it can match).
    pub subject: &'a [u8],
    /// The reply subject, when the client gave one (requests).
    pub reply: Option<&'a [u8]>,
    /// `Some(header block length)` for `HPUB`, `None` for `PUB` and for an `HPUB` that
    /// announces 0 header bytes: nats-server only treats a message as having headers when
    /// the header size is > 0 (`c.pa.hdr > 0`), and delivers such an `HPUB` as a plain `MSG`.
    pub header_len: Option<usize>,
    /// Headers (for `HPUB`) followed by the payload: everything between the control line and
    /// the closing `\r\n`.
    pub data: &'a [u8],
    /// The size digits exactly as the client wrote them (the total size for `HPUB`):
    /// nats-server echoes them verbatim in `MSG`/`HMSG` (`PUB foo 02` → `MSG foo 1 02`),
    /// which also spares formatting a number per delivery.
    pub size_field: &'a [u8],
    /// The header-size digits as written, when `header_len` is `Some`; empty otherwise.
    pub header_field: &'a [u8],
}

impl<'a> Publish<'a> {
    /// The payload without the header block.
    #[must_use]
    pub fn payload(&self) -> &'a [u8] {
        &self.data[self.header_len.unwrap_or(0)..]
    }

    /// The header block (`NATS/1.0...\r\n\r\n`), if this was an `HPUB`.
    #[must_use]
    pub fn headers(&self) -> Option<&'a [u8]> {
        self.header_len.map(|h| &self.data[..h])
    }
}

/// One op sent by a client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientOp<'a> {
    /// `CONNECT <json>`: the raw JSON (decode with [`crate::ConnectOptions::from_json`]).
    Connect(&'a [u8]),
    /// `PUB <subject> [reply] <size>` or `HPUB <subject> [reply] <header size> <total size>`,
    /// with its data.
    Pub(Publish<'a>),
    /// `SUB <subject> [queue] <sid>`.
    Sub {
        /// The subject, possibly with `*`/`>` wildcards (validated by the server).
        subject: &'a [u8],
        /// The queue group: one member of each group gets each message.
        queue: Option<&'a [u8]>,
        /// The client's id for this subscription, echoed in every `MSG`.
        sid: &'a [u8],
    },
    /// `UNSUB <sid> [max]`; `max` is `None` when absent, zero or unparsable (remove now).
    Unsub {
        /// The subscription's id, as given in `SUB`.
        sid: &'a [u8],
        /// Deliver this many messages in all, then remove the subscription.
        max: Option<u64>,
    },
    /// `PING`: the server answers `PONG`.
    Ping,
    /// `PONG`: the answer to a server PING, which resets the stale-connection count.
    Pong,
    /// `INFO <json>` from a client: accepted and ignored by the server.
    Info(&'a [u8]),
    /// `+OK`: ignored.
    Ok,
    /// `-ERR <text>`: the server logs it and closes the connection.
    Err(&'a [u8]),
}

/// The result of one parse call: an op of the dialect `O` ([`ClientOp`] for [`parse`],
/// [`crate::route::RouteOp`] for [`crate::route::parse_route`]), or "more bytes".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParseStep<O> {
    /// A complete op and the number of bytes it took from the front of the buffer.
    Op(O, usize),
    /// More bytes are needed. `needed` is the total length, from the start of the buffer, that
    /// the op will take, when it is known (its control line is complete and announced a size).
    Incomplete {
        /// The total length the op needs, when known (see above).
        needed: Option<usize>,
    },
}

/// The result of one [`parse`] call.
pub type Parsed<'a> = ParseStep<ClientOp<'a>>;

const INCOMPLETE: Parsed<'static> = Parsed::Incomplete { needed: None };

/// Extra bytes tolerated beyond `max_control_line` on a still-unterminated line (blanks after
/// an op name, junk after `PING`), so a client cannot make the caller buffer without bound.
pub(crate) const LINE_SLACK: usize = 4096;

/// Most arguments any client op takes is 4 (`HPUB s r h t`); one more detects "too many".
const MAX_ARGS: usize = 5;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Op {
    Pub,
    HPub,
    Sub,
    Unsub,
    Connect,
    Info,
    Ping,
    Pong,
    Ok,
    Err,
}

impl Op {
    fn name(self) -> &'static [u8] {
        match self {
            Op::Pub => b"pub",
            Op::HPub => b"hpub",
            Op::Sub => b"sub",
            Op::Unsub => b"unsub",
            Op::Connect => b"connect",
            Op::Info => b"info",
            Op::Ping => b"ping",
            Op::Pong => b"pong",
            Op::Ok => b"+ok",
            Op::Err => b"-err",
        }
    }
}

/// Parses one op from the front of `buf`.
///
/// # Errors
///
/// The [`ProtoError`] nats-server would answer for a malformed op or one over `limits`.
/// Errors are final: the caller sends [`ProtoError::text`] (if any) and closes when
/// [`ProtoError::closes`] says so (every error the parser itself returns closes).
pub fn parse<'a>(buf: &'a [u8], limits: &Limits) -> Result<Parsed<'a>, ProtoError> {
    let Some(op) = identify(buf)? else {
        return Ok(INCOMPLETE);
    };
    let name_len = op.name().len();

    // Blank requirements right after the name (nats-server's `OP_PUB`, `OP_MINUS_ERR`, ...
    // states go to `parseErr` on anything but a space or tab).
    let needs_blank = matches!(op, Op::Pub | Op::HPub | Op::Sub | Op::Unsub | Op::Err);
    if needs_blank {
        match buf.get(name_len) {
            None => return Ok(INCOMPLETE),
            Some(b' ' | b'\t') => {}
            Some(_) => return Err(ProtoError::UnknownProtocolOperation),
        }
    }

    let after_name = &buf[name_len..];
    let Some(nl) = memchr::memchr(b'\n', after_name) else {
        check_partial_line(op, after_name, limits)?;
        return Ok(INCOMPLETE);
    };
    // Index just past '\n'.
    let line_end = name_len + nl + 1;
    // The same bound as on an unterminated line, so that whether a line arrived whole or in
    // pieces never changes the outcome.
    if nl > limits.max_control_line.saturating_add(LINE_SLACK) {
        return Err(ProtoError::MaxControlLineExceeded);
    }
    let op = match op {
        Op::Ping => ClientOp::Ping,
        Op::Pong => ClientOp::Pong,
        Op::Ok => ClientOp::Ok,
        _ => {
            let mut arg = &after_name[..nl];
            if let [rest @ .., b'\r'] = arg {
                arg = rest;
            }
            let arg = trim_start_blanks(arg);
            if arg.len() > limits.max_control_line {
                return Err(ProtoError::MaxControlLineExceeded);
            }
            match op {
                Op::Pub | Op::HPub => return parse_pub(op == Op::HPub, buf, line_end, arg, limits),
                _ => parse_arg_op(op, arg)?,
            }
        }
    };
    Ok(Parsed::Op(op, line_end))
}

/// The ops whose whole content is their control line.
fn parse_arg_op(op: Op, arg: &[u8]) -> Result<ClientOp<'_>, ProtoError> {
    Ok(match op {
        Op::Connect => ClientOp::Connect(arg),
        Op::Info => ClientOp::Info(arg),
        Op::Err => ClientOp::Err(arg),
        Op::Sub => {
            let (args, n) = split_args::<true>(arg);
            match n {
                2 => ClientOp::Sub {
                    subject: args[0],
                    queue: None,
                    sid: args[1],
                },
                3 => ClientOp::Sub {
                    subject: args[0],
                    queue: Some(args[1]),
                    sid: args[2],
                },
                _ => return Err(ProtoError::ProtocolViolation),
            }
        }
        Op::Unsub => {
            let (args, n) = split_args::<true>(arg);
            match n {
                1 => ClientOp::Unsub {
                    sid: args[0],
                    max: None,
                },
                2 => ClientOp::Unsub {
                    sid: args[0],
                    max: parse_size(args[1]).filter(|&m| m > 0).map(|m| m as u64),
                },
                _ => return Err(ProtoError::ProtocolViolation),
            }
        }
        // Handled by the caller: no arguments to parse.
        Op::Pub | Op::HPub | Op::Ping | Op::Pong | Op::Ok => {
            return Err(ProtoError::UnknownProtocolOperation)
        }
    })
}

/// Finds which op starts `buf`; `Ok(None)` when `buf` is a proper prefix of an op name.
#[inline]
fn identify(buf: &[u8]) -> Result<Option<Op>, ProtoError> {
    let Some(&first) = buf.first() else {
        return Ok(None);
    };
    let op = match first | 0x20 {
        b'p' => match buf.get(1).map(|b| b | 0x20) {
            None => return Ok(None),
            Some(b'u') => Op::Pub,
            Some(b'i') => Op::Ping,
            Some(b'o') => Op::Pong,
            Some(_) => return Err(ProtoError::UnknownProtocolOperation),
        },
        b'h' => Op::HPub,
        b's' => Op::Sub,
        b'u' => Op::Unsub,
        b'c' => Op::Connect,
        b'i' => Op::Info,
        _ => match first {
            b'+' => Op::Ok,
            b'-' => Op::Err,
            _ => return Err(ProtoError::UnknownProtocolOperation),
        },
    };
    let name = op.name();
    let have = buf.len().min(name.len());
    for (&b, &want) in buf[..have].iter().zip(name) {
        // Letters compare case-insensitively (`b | 0x20` lower-cases only ASCII capitals into
        // the letter range); '+' and '-' exactly.
        let b = if want.is_ascii_alphabetic() {
            b | 0x20
        } else {
            b
        };
        if b != want {
            return Err(ProtoError::UnknownProtocolOperation);
        }
    }
    Ok((have == name.len()).then_some(op))
}

/// Limits on a control line that has not seen its `\n` yet.
fn check_partial_line(op: Op, after_name: &[u8], limits: &Limits) -> Result<(), ProtoError> {
    if after_name.len() > limits.max_control_line.saturating_add(LINE_SLACK) {
        return Err(ProtoError::MaxControlLineExceeded);
    }
    if matches!(op, Op::Ping | Op::Pong | Op::Ok) {
        return Ok(());
    }
    let mut arg = trim_start_blanks(after_name);
    if let [rest @ .., b'\r'] = arg {
        arg = rest;
    }
    if arg.len() > limits.max_control_line {
        return Err(ProtoError::MaxControlLineExceeded);
    }
    Ok(())
}

fn parse_pub<'a>(
    hpub: bool,
    buf: &'a [u8],
    line_end: usize,
    arg: &'a [u8],
    limits: &Limits,
) -> Result<Parsed<'a>, ProtoError> {
    // nats-server's `processPub`/`processHeaderPub` split on spaces and tabs only (a stray
    // `\r` stays inside an argument, so `5\r` is a bad size); `SUB`/`UNSUB` also split on
    // `\r` and `\n`.
    let (args, n) = split_args::<false>(arg);
    let (subject, reply, header_len, header_field, size, size_field) = if hpub {
        if !limits.headers {
            return Err(ProtoError::ProtocolViolation);
        }
        let (subject, reply, hdr_field, total_field) = match n {
            3 => (args[0], None, args[1], args[2]),
            4 => (args[0], Some(args[1]), args[2], args[3]),
            _ => return Err(ProtoError::ProtocolViolation),
        };
        let (Some(hdr), Some(total)) = (parse_size(hdr_field), parse_size(total_field)) else {
            return Err(ProtoError::ProtocolViolation);
        };
        if hdr > total {
            return Err(ProtoError::ProtocolViolation);
        }
        let (header_len, header_field) = if hdr > 0 {
            (Some(hdr), hdr_field)
        } else {
            (None, &hdr_field[..0])
        };
        (subject, reply, header_len, header_field, total, total_field)
    } else {
        let (subject, reply, size_field) = match n {
            2 => (args[0], None, args[1]),
            3 => (args[0], Some(args[1]), args[2]),
            _ => return Err(ProtoError::ProtocolViolation),
        };
        let Some(size) = parse_size(size_field) else {
            return Err(ProtoError::ProtocolViolation);
        };
        (subject, reply, None, &size_field[..0], size, size_field)
    };
    if size > limits.max_payload {
        return Err(ProtoError::MaxPayloadViolation);
    }
    let data_end = line_end + size;
    let total = data_end + 2;
    if buf.len() < total {
        // A wrong byte where "\r" must be is an error as soon as it arrives.
        if buf.len() > data_end && buf[data_end] != b'\r' {
            return Err(ProtoError::UnknownProtocolOperation);
        }
        return Ok(Parsed::Incomplete {
            needed: Some(total),
        });
    }
    if buf[data_end] != b'\r' || buf[data_end + 1] != b'\n' {
        return Err(ProtoError::UnknownProtocolOperation);
    }
    Ok(Parsed::Op(
        ClientOp::Pub(Publish {
            subject,
            reply,
            header_len,
            data: &buf[line_end..data_end],
            size_field,
            header_field,
        }),
        total,
    ))
}

/// An argument separator: space or tab, and with `CRLF` also `\r` and `\n`.
#[inline]
fn is_sep<const CRLF: bool>(b: u8) -> bool {
    b == b' ' || b == b'\t' || (CRLF && (b == b'\r' || b == b'\n'))
}

#[inline]
pub(crate) fn trim_start_blanks(s: &[u8]) -> &[u8] {
    let start = s
        .iter()
        .position(|&b| b != b' ' && b != b'\t')
        .unwrap_or(s.len());
    &s[start..]
}

/// Splits on runs of separators (see [`is_sep`]) into a fixed array; `n` counts every
/// argument found, so a count above the array size still reads as "too many".
#[inline]
fn split_args<const CRLF: bool>(arg: &[u8]) -> ([&[u8]; MAX_ARGS], usize) {
    let mut out: [&[u8]; MAX_ARGS] = [&[]; MAX_ARGS];
    let mut n = 0;
    let mut start = None;
    for (i, &b) in arg.iter().enumerate() {
        if is_sep::<CRLF>(b) {
            if let Some(s) = start.take() {
                if n < MAX_ARGS {
                    out[n] = &arg[s..i];
                }
                n += 1;
            }
        } else if start.is_none() {
            start = Some(i);
        }
    }
    if let Some(s) = start {
        if n < MAX_ARGS {
            out[n] = &arg[s..];
        }
        n += 1;
    }
    (out, n)
}

/// nats-server's `parseSize`: 1–9 ASCII digits, nothing else.
#[inline]
#[must_use]
pub fn parse_size(d: &[u8]) -> Option<usize> {
    if d.is_empty() || d.len() > 9 {
        return None;
    }
    let mut n = 0usize;
    for &b in d {
        if !b.is_ascii_digit() {
            return None;
        }
        n = n * 10 + (b - b'0') as usize;
    }
    Some(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lim() -> Limits {
        Limits {
            headers: true,
            ..Limits::default()
        }
    }

    fn one(buf: &[u8]) -> Result<Parsed<'_>, ProtoError> {
        parse(buf, &lim())
    }

    #[test]
    fn pub_with_and_without_reply() {
        let b = b"PUB foo 5\r\nhello\r\n";
        assert_eq!(
            one(b),
            Ok(Parsed::Op(
                ClientOp::Pub(Publish {
                    subject: b"foo",
                    reply: None,
                    header_len: None,
                    data: b"hello",
                    size_field: b"5",
                    header_field: b"",
                }),
                b.len()
            ))
        );
        let b = b"pub\tfoo  \t bar 0\n\r\n";
        assert_eq!(
            one(b),
            Ok(Parsed::Op(
                ClientOp::Pub(Publish {
                    subject: b"foo",
                    reply: Some(b"bar"),
                    header_len: None,
                    data: b"",
                    size_field: b"0",
                    header_field: b"",
                }),
                b.len()
            ))
        );
    }

    #[test]
    fn incomplete_payload_reports_needed() {
        assert_eq!(
            one(b"PUB foo 5\r\nhel"),
            Ok(Parsed::Incomplete { needed: Some(18) })
        );
        assert_eq!(one(b"PU"), Ok(Parsed::Incomplete { needed: None }));
        assert_eq!(one(b"PUB foo"), Ok(Parsed::Incomplete { needed: None }));
    }

    #[test]
    fn ping_ignores_trailing_bytes() {
        assert_eq!(one(b"PING foo\r\n"), Ok(Parsed::Op(ClientOp::Ping, 10)));
        assert_eq!(one(b"ping\n"), Ok(Parsed::Op(ClientOp::Ping, 5)));
        assert_eq!(one(b"+OK\r\n"), Ok(Parsed::Op(ClientOp::Ok, 5)));
    }

    #[test]
    fn errors() {
        assert_eq!(one(b"FOO\r\n"), Err(ProtoError::UnknownProtocolOperation));
        assert_eq!(one(b"PUBX"), Err(ProtoError::UnknownProtocolOperation));
        assert_eq!(one(b"\r\n"), Err(ProtoError::UnknownProtocolOperation));
        assert_eq!(one(b"PUB foo\r\n"), Err(ProtoError::ProtocolViolation));
        assert_eq!(one(b"PUB foo -1\r\n"), Err(ProtoError::ProtocolViolation));
        assert_eq!(
            one(b"PUB foo 1234567890\r\n"),
            Err(ProtoError::ProtocolViolation)
        );
        assert_eq!(
            one(b"PUB foo 2000000\r\n"),
            Err(ProtoError::MaxPayloadViolation)
        );
        assert_eq!(
            one(b"PUB foo 2\r\nabc\r\n"),
            Err(ProtoError::UnknownProtocolOperation)
        );
        assert_eq!(
            parse(b"HPUB foo 2 2\r\n", &Limits::default()),
            Err(ProtoError::ProtocolViolation)
        );
        assert_eq!(one(b"HPUB foo 3 2\r\n"), Err(ProtoError::ProtocolViolation));
    }

    #[test]
    fn control_line_limit_on_split_line() {
        let mut long = b"SUB ".to_vec();
        long.extend(std::iter::repeat(b'a').take(5000));
        assert_eq!(one(&long), Err(ProtoError::MaxControlLineExceeded));
    }
}
