//! The route dialect: what one server of a cluster sends another over a route connection.
//!
//! A route speaks its own ops beside `INFO`/`CONNECT`/`PING`/`PONG`/`+OK`/`-ERR`: interest
//! (`RS+ <account> <subject> [<queue> <weight>]`, `RS- <account> <subject> [<queue>]`) and
//! messages (`RMSG <account> <subject> [+ <reply> | <reply> | '|'] [<queues...>] <size>` and
//! `HMSG` with a header size before the total). [`parse_route`] reads them with the client
//! parser's rules (case-insensitive names, runs of blanks, optional `\r`, restartable at any
//! split, nothing copied) and nats-server's argument rules (`route.go`'s
//! `processRoutedMsgArgs`, `processRemoteSub`, `parseUnsubProto`); the writers at the end of
//! the file encode the same ops.
//!
//! Routes get 16 times a client's `max_control_line` (queue lists make long lines):
//! [`route_limits`] derives a route's limits from the server's.
//!
//! The leaf-node dialect is the same without the account (a leaf connection is bound to one):
//! `LS+`/`LS-`/`LMSG` and `HMSG`, read by [`parse_leaf`] and written by the `write_ls_*` and
//! `write_leaf_msg` functions.
//!
//! Not read here: leaf-origin interest on routes (`LS+ <origin> ...`), which a peer sends
//! only to a route that announced `lnoc` in its CONNECT, and pinned-account routes (no
//! account in the ops), which a peer opens only to a route that announced a pool.

use crate::encode::CRLF;
use crate::error::ProtoError;
use crate::limits::Limits;
use crate::parser::{parse_size, trim_start_blanks, ParseStep, Publish, LINE_SLACK};

/// The result of one [`parse_route`] call.
pub type RouteParsed<'a> = ParseStep<RouteOp<'a>>;

/// How much longer a route's control lines may be than a client's (nats-server).
pub const ROUTE_CONTROL_LINE_FACTOR: usize = 16;

/// A route's parse limits from the server's client limits: the control line 16 times
/// longer, headers always understood (a peer sends `HMSG` only when both sides said so).
#[must_use]
pub fn route_limits(client: &Limits) -> Limits {
    Limits {
        max_control_line: client
            .max_control_line
            .saturating_mul(ROUTE_CONTROL_LINE_FACTOR),
        max_payload: client.max_payload,
        headers: true,
    }
}

/// A message from a route (`RMSG`/`HMSG`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RoutedMsg<'a> {
    /// The account the message was published in.
    pub account: &'a [u8],
    /// Subject, reply, headers and payload, as a client's `PUB`/`HPUB` would have them.
    pub msg: Publish<'a>,
    /// The queue groups the sender picked this server's members for, separated by blanks
    /// (read them with [`RoutedMsg::queues`]); empty when none.
    pub queues: &'a [u8],
}

impl<'a> RoutedMsg<'a> {
    /// The queue group names the message is for on this server.
    pub fn queues(&self) -> impl Iterator<Item = &'a [u8]> + 'a {
        tokens(self.queues)
    }

    /// Whether the message names queue groups (then only those get it, besides plain
    /// subscribers).
    #[must_use]
    pub fn has_queues(&self) -> bool {
        !self.queues.is_empty()
    }
}

/// One op received on a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RouteOp<'a> {
    /// `INFO <json>`: the peer's identity, or (later) news of another server (gossip).
    Info(&'a [u8]),
    /// `CONNECT <json>`: the dialling peer's route CONNECT.
    Connect(&'a [u8]),
    /// `PING`.
    Ping,
    /// `PONG`.
    Pong,
    /// `+OK`.
    Ok,
    /// `-ERR <text>`.
    Err(&'a [u8]),
    /// `RS+ <account> <subject> [<queue> <weight>]`: the peer's interest appeared, or a queue
    /// group's member count there changed.
    Sub {
        /// The account.
        account: &'a [u8],
        /// The subject, possibly with wildcards.
        subject: &'a [u8],
        /// The queue group and how many members it has on the peer.
        queue: Option<(&'a [u8], u32)>,
    },
    /// `RS- <account> <subject> [<queue>]`: the peer has no interest left.
    Unsub {
        /// The account.
        account: &'a [u8],
        /// The subject.
        subject: &'a [u8],
        /// The queue group.
        queue: Option<&'a [u8]>,
    },
    /// `RMSG` or `HMSG`.
    Msg(RoutedMsg<'a>),
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Name {
    Info,
    Connect,
    Ping,
    Pong,
    Ok,
    Err,
    Sub,
    Unsub,
    Rmsg,
    Hmsg,
}

/// Which dialect a connection speaks: a route's ops carry the account, a leaf node's do not
/// (the connection is bound to one account) and are named `LS+`/`LS-`/`LMSG`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Dialect {
    Route,
    Leaf,
}

const LEAF_NAMES: [(&[u8], Name); 10] = [
    (b"info", Name::Info),
    (b"connect", Name::Connect),
    (b"ping", Name::Ping),
    (b"pong", Name::Pong),
    (b"+ok", Name::Ok),
    (b"-err", Name::Err),
    (b"ls+", Name::Sub),
    (b"ls-", Name::Unsub),
    (b"lmsg", Name::Rmsg),
    (b"hmsg", Name::Hmsg),
];

const NAMES: [(&[u8], Name); 10] = [
    (b"info", Name::Info),
    (b"connect", Name::Connect),
    (b"ping", Name::Ping),
    (b"pong", Name::Pong),
    (b"+ok", Name::Ok),
    (b"-err", Name::Err),
    (b"rs+", Name::Sub),
    (b"rs-", Name::Unsub),
    (b"rmsg", Name::Rmsg),
    (b"hmsg", Name::Hmsg),
];

/// Which op starts `buf`, and its name's length; `Ok(None)` while `buf` is a proper prefix
/// of one or more names.
fn identify(buf: &[u8], dialect: Dialect) -> Result<Option<(Name, usize)>, ProtoError> {
    let mut prefix_of_some = false;
    let names = match dialect {
        Dialect::Route => &NAMES,
        Dialect::Leaf => &LEAF_NAMES,
    };
    for &(name, op) in names {
        let have = buf.len().min(name.len());
        if buf[..have]
            .iter()
            .zip(name)
            .all(|(&b, &want)| b.to_ascii_lowercase() == want)
        {
            if have == name.len() {
                return Ok(Some((op, name.len())));
            }
            prefix_of_some = true;
        }
    }
    if prefix_of_some {
        Ok(None)
    } else {
        Err(ProtoError::UnknownProtocolOperation)
    }
}

const INCOMPLETE: RouteParsed<'static> = ParseStep::Incomplete { needed: None };

/// Parses one route op from the front of `buf` (see the module doc; `limits` from
/// [`route_limits`]).
///
/// # Errors
///
/// A malformed op or one over `limits`; every one closes the route.
pub fn parse_route<'a>(buf: &'a [u8], limits: &Limits) -> Result<RouteParsed<'a>, ProtoError> {
    parse_dialect(buf, limits, Dialect::Route)
}

/// Parses one leaf-node op from the front of `buf`: the route dialect without the account
/// (`LS+ <subject> [<queue> <weight>]`, `LS- <subject> [<queue>]`, `LMSG <subject> [...]
/// <size>`, `HMSG <subject> [...] <hdr> <size>`); the ops' `account` is empty. `limits` as
/// for routes ([`route_limits`]).
///
/// # Errors
///
/// A malformed op or one over `limits`; every one closes the connection.
pub fn parse_leaf<'a>(buf: &'a [u8], limits: &Limits) -> Result<RouteParsed<'a>, ProtoError> {
    parse_dialect(buf, limits, Dialect::Leaf)
}

fn parse_dialect<'a>(
    buf: &'a [u8],
    limits: &Limits,
    dialect: Dialect,
) -> Result<RouteParsed<'a>, ProtoError> {
    if buf.is_empty() {
        return Ok(INCOMPLETE);
    }
    let Some((name, name_len)) = identify(buf, dialect)? else {
        return Ok(INCOMPLETE);
    };
    if matches!(
        name,
        Name::Sub | Name::Unsub | Name::Rmsg | Name::Hmsg | Name::Err
    ) {
        match buf.get(name_len) {
            None => return Ok(INCOMPLETE),
            Some(b' ' | b'\t') => {}
            Some(_) => return Err(ProtoError::UnknownProtocolOperation),
        }
    }
    let after_name = &buf[name_len..];
    let Some(nl) = memchr::memchr(b'\n', after_name) else {
        if after_name.len() > limits.max_control_line.saturating_add(LINE_SLACK) {
            return Err(ProtoError::MaxControlLineExceeded);
        }
        if !matches!(name, Name::Ping | Name::Pong | Name::Ok) {
            let mut arg = trim_start_blanks(after_name);
            if let [rest @ .., b'\r'] = arg {
                arg = rest;
            }
            if arg.len() > limits.max_control_line {
                return Err(ProtoError::MaxControlLineExceeded);
            }
        }
        return Ok(INCOMPLETE);
    };
    let line_end = name_len + nl + 1;
    if nl > limits.max_control_line.saturating_add(LINE_SLACK) {
        return Err(ProtoError::MaxControlLineExceeded);
    }
    let mut arg = &after_name[..nl];
    if let [rest @ .., b'\r'] = arg {
        arg = rest;
    }
    let arg = trim_start_blanks(arg);
    if arg.len() > limits.max_control_line {
        return Err(ProtoError::MaxControlLineExceeded);
    }
    let op = match name {
        Name::Ping => RouteOp::Ping,
        Name::Pong => RouteOp::Pong,
        Name::Ok => RouteOp::Ok,
        Name::Info => RouteOp::Info(arg),
        Name::Connect => RouteOp::Connect(arg),
        Name::Err => RouteOp::Err(arg),
        Name::Sub => parse_sub(arg, dialect)?,
        Name::Unsub => parse_unsub(arg, dialect)?,
        Name::Rmsg | Name::Hmsg => {
            return parse_msg(name == Name::Hmsg, buf, line_end, arg, limits, dialect);
        }
    };
    Ok(ParseStep::Op(op, line_end))
}

/// The account of a route op (its first word), or the empty account of a leaf op.
fn account_of<'a>(
    t: &mut impl Iterator<Item = &'a [u8]>,
    arg: &'a [u8],
    dialect: Dialect,
) -> Option<&'a [u8]> {
    match dialect {
        Dialect::Route => t.next(),
        Dialect::Leaf => Some(&arg[..0]),
    }
}

/// `RS+ <account> <subject> [<queue> <weight>]` (`LS+` without the account).
fn parse_sub(arg: &[u8], dialect: Dialect) -> Result<RouteOp<'_>, ProtoError> {
    let mut t = tokens(arg);
    let (Some(account), Some(subject)) = (account_of(&mut t, arg, dialect), t.next()) else {
        return Err(ProtoError::ProtocolViolation);
    };
    let queue = match (t.next(), t.next(), t.next()) {
        (None, _, _) => None,
        (Some(queue), Some(weight), None) => {
            // nats-server reads a bad weight as -1 and then treats it as 1.
            let w = parse_size(weight).map_or(1, |w| w.clamp(1, u32::MAX as usize) as u32);
            Some((queue, w))
        }
        _ => return Err(ProtoError::ProtocolViolation),
    };
    Ok(RouteOp::Sub {
        account,
        subject,
        queue,
    })
}

/// `RS- <account> <subject> [<queue>]` (`LS-` without the account).
fn parse_unsub(arg: &[u8], dialect: Dialect) -> Result<RouteOp<'_>, ProtoError> {
    let mut t = tokens(arg);
    let (Some(account), Some(subject)) = (account_of(&mut t, arg, dialect), t.next()) else {
        return Err(ProtoError::ProtocolViolation);
    };
    let queue = t.next();
    if t.next().is_some() {
        return Err(ProtoError::ProtocolViolation);
    }
    Ok(RouteOp::Unsub {
        account,
        subject,
        queue,
    })
}

/// `RMSG`/`HMSG`: account, subject, then (by count) nothing, a reply, or a `+`/`|`
/// indicator with an optional reply and the queue names, then the size(s).
fn parse_msg<'a>(
    hmsg: bool,
    buf: &'a [u8],
    line_end: usize,
    arg: &'a [u8],
    limits: &Limits,
    dialect: Dialect,
) -> Result<RouteParsed<'a>, ProtoError> {
    let n = tokens(arg).count();
    let sizes = if hmsg { 2 } else { 1 };
    let fixed = if dialect == Dialect::Route { 2 } else { 1 };
    if n < fixed + sizes {
        return Err(ProtoError::ProtocolViolation);
    }
    let mut t = tokens(arg);
    let (Some(account), Some(subject)) = (account_of(&mut t, arg, dialect), t.next()) else {
        return Err(ProtoError::ProtocolViolation);
    };
    let middle = n - fixed - sizes;
    let (reply, queues) = match middle {
        0 => (None, &arg[..0]),
        1 => (t.next(), &arg[..0]),
        _ => {
            let indicator = t.next().unwrap_or_default();
            let reply = match indicator {
                b"+" => t.next(),
                b"|" => None,
                _ => return Err(ProtoError::ProtocolViolation),
            };
            let count = middle - 1 - usize::from(reply.is_some());
            let mut span = &arg[..0];
            for i in 0..count {
                let q = t.next().unwrap_or_default();
                span = if i == 0 { q } else { join(arg, span, q) };
            }
            (reply, span)
        }
    };
    let header_field = if hmsg {
        t.next().unwrap_or_default()
    } else {
        &arg[..0]
    };
    let size_field = t.next().unwrap_or_default();
    let Some(size) = parse_size(size_field) else {
        return Err(ProtoError::ProtocolViolation);
    };
    let header_len = if hmsg {
        let Some(hdr) = parse_size(header_field) else {
            return Err(ProtoError::ProtocolViolation);
        };
        if hdr > size {
            return Err(ProtoError::ProtocolViolation);
        }
        (hdr > 0).then_some(hdr)
    } else {
        None
    };
    if size > limits.max_payload {
        return Err(ProtoError::MaxPayloadViolation);
    }
    let data_end = line_end + size;
    let total = data_end + 2;
    if buf.len() < total {
        if buf.len() > data_end && buf[data_end] != b'\r' {
            return Err(ProtoError::UnknownProtocolOperation);
        }
        return Ok(ParseStep::Incomplete {
            needed: Some(total),
        });
    }
    if buf[data_end] != b'\r' || buf[data_end + 1] != b'\n' {
        return Err(ProtoError::UnknownProtocolOperation);
    }
    Ok(ParseStep::Op(
        RouteOp::Msg(RoutedMsg {
            account,
            queues,
            msg: Publish {
                subject,
                reply,
                header_len,
                data: &buf[line_end..data_end],
                size_field,
                header_field: if header_len.is_some() {
                    header_field
                } else {
                    &header_field[..0]
                },
            },
        }),
        total,
    ))
}

/// The part of `whole` from the start of `first` to the end of `last` (both slices of it).
fn join<'a>(whole: &'a [u8], first: &'a [u8], last: &'a [u8]) -> &'a [u8] {
    let base = whole.as_ptr() as usize;
    let start = first.as_ptr() as usize - base;
    let end = last.as_ptr() as usize - base + last.len();
    &whole[start..end]
}

/// The blank-separated words of a route op's arguments (nats-server splits route
/// arguments on spaces, tabs, `\r` and `\n`).
fn tokens(arg: &[u8]) -> impl Iterator<Item = &[u8]> {
    arg.split(|&b| matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
        .filter(|w| !w.is_empty())
}

/// Whether the blank-separated list `list` (a routed message's queue names) holds `word`.
#[must_use]
pub fn has_token(list: &[u8], word: &[u8]) -> bool {
    tokens(list).any(|w| w == word)
}

/// `RS+ <account> <subject>\r\n` or, for a queue group, `RS+ <account> <subject> <queue>
/// <weight>\r\n`.
pub fn write_rs_plus(
    out: &mut Vec<u8>,
    account: &[u8],
    subject: &[u8],
    queue: Option<(&[u8], u32)>,
) {
    write_interest(
        out,
        b"RS+ ",
        Some(account),
        subject,
        queue.map(|(q, w)| (q, Some(w))),
    );
}

/// `RS- <account> <subject>[ <queue>]\r\n`.
pub fn write_rs_minus(out: &mut Vec<u8>, account: &[u8], subject: &[u8], queue: Option<&[u8]>) {
    write_interest(
        out,
        b"RS- ",
        Some(account),
        subject,
        queue.map(|q| (q, None)),
    );
}

/// An interest op: `op`, the account (routes), the subject, and the queue group with its
/// weight (`+` ops) or without (`-` ops).
fn write_interest(
    out: &mut Vec<u8>,
    op: &[u8],
    account: Option<&[u8]>,
    subject: &[u8],
    queue: Option<(&[u8], Option<u32>)>,
) {
    out.extend_from_slice(op);
    if let Some(account) = account {
        out.extend_from_slice(account);
        out.push(b' ');
    }
    out.extend_from_slice(subject);
    if let Some((q, weight)) = queue {
        out.push(b' ');
        out.extend_from_slice(q);
        if let Some(weight) = weight {
            out.push(b' ');
            out.extend_from_slice(itoa::Buffer::new().format(weight).as_bytes());
        }
    }
    out.extend_from_slice(CRLF);
}

/// Length of the control line [`write_routed_msg_line`] writes (an upper bound on the size
/// digits), for the slow-consumer check before anything is appended.
#[must_use]
pub fn routed_msg_line_len<'q>(
    account: &[u8],
    msg: &Publish<'_>,
    queues: impl Iterator<Item = &'q [u8]>,
) -> usize {
    let queues: usize = queues.map(|q| q.len() + 1).sum();
    5 + account.len()
        + 1
        + msg.subject.len()
        + 1
        + msg.reply.map_or(0, |r| r.len() + 3)
        + if queues > 0 { 2 + queues } else { 0 }
        + if msg.header_len.is_some() { 11 } else { 0 }
        + 10
        + 2
}

/// `RMSG <account> <subject> [<reply>] <size>\r\n`, with queue names
/// `RMSG <account> <subject> + <reply> <q...> <size>\r\n` or `... | <q...> <size>\r\n`,
/// and `HMSG` with the header size before the total when `msg` has headers. The sizes are
/// the publisher's digits, echoed.
pub fn write_routed_msg_line<'q>(
    out: &mut Vec<u8>,
    account: &[u8],
    msg: &Publish<'_>,
    queues: impl Iterator<Item = &'q [u8]>,
) {
    write_msg_line(out, b"RMSG ", Some(account), msg, queues);
}

/// The leaf-node form of [`write_routed_msg_line`]: `LMSG`/`HMSG` without the account.
pub fn write_leaf_msg_line<'q>(
    out: &mut Vec<u8>,
    msg: &Publish<'_>,
    queues: impl Iterator<Item = &'q [u8]>,
) {
    write_msg_line(out, b"LMSG ", None, msg, queues);
}

fn write_msg_line<'q>(
    out: &mut Vec<u8>,
    op: &[u8],
    account: Option<&[u8]>,
    msg: &Publish<'_>,
    queues: impl Iterator<Item = &'q [u8]>,
) {
    out.extend_from_slice(if msg.header_len.is_some() {
        b"HMSG "
    } else {
        op
    });
    if let Some(account) = account {
        out.extend_from_slice(account);
        out.push(b' ');
    }
    out.extend_from_slice(msg.subject);
    out.push(b' ');
    let mut queues = queues.peekable();
    if queues.peek().is_some() {
        match msg.reply {
            Some(reply) => {
                out.extend_from_slice(b"+ ");
                out.extend_from_slice(reply);
                out.push(b' ');
            }
            None => out.extend_from_slice(b"| "),
        }
        for q in queues {
            out.extend_from_slice(q);
            out.push(b' ');
        }
    } else if let Some(reply) = msg.reply {
        out.extend_from_slice(reply);
        out.push(b' ');
    }
    if msg.header_len.is_some() {
        out.extend_from_slice(msg.header_field);
        out.push(b' ');
    }
    out.extend_from_slice(msg.size_field);
    out.extend_from_slice(CRLF);
}

/// A whole routed message: [`write_routed_msg_line`], the data, CRLF.
pub fn write_routed_msg<'q>(
    out: &mut Vec<u8>,
    account: &[u8],
    msg: &Publish<'_>,
    queues: impl Iterator<Item = &'q [u8]>,
) {
    write_routed_msg_line(out, account, msg, queues);
    out.extend_from_slice(msg.data);
    out.extend_from_slice(CRLF);
}

/// A whole leaf message: [`write_leaf_msg_line`], the data, CRLF.
pub fn write_leaf_msg<'q>(
    out: &mut Vec<u8>,
    msg: &Publish<'_>,
    queues: impl Iterator<Item = &'q [u8]>,
) {
    write_leaf_msg_line(out, msg, queues);
    out.extend_from_slice(msg.data);
    out.extend_from_slice(CRLF);
}

/// `LS+ <subject>\r\n` or, for a queue group, `LS+ <subject> <queue> <weight>\r\n`.
pub fn write_ls_plus(out: &mut Vec<u8>, subject: &[u8], queue: Option<(&[u8], u32)>) {
    write_interest(
        out,
        b"LS+ ",
        None,
        subject,
        queue.map(|(q, w)| (q, Some(w))),
    );
}

/// `LS- <subject>[ <queue>]\r\n`.
pub fn write_ls_minus(out: &mut Vec<u8>, subject: &[u8], queue: Option<&[u8]>) {
    write_interest(out, b"LS- ", None, subject, queue.map(|q| (q, None)));
}
