//! Bridges between accounts, and how a message crosses them — nats-server's stream and
//! service imports, delivered in the same call as the local subscribers (no queue, no task).
//!
//! - A **stream import** of account B from A is a [`StreamOut`] in A: a message published in
//!   A on a matching subject is also routed in B's index under the mapped subject (`prefix`,
//!   `to`), reply unchanged.
//! - A **service import** of B from A is a [`ServiceIn`] in B: a request published in B on the
//!   import's subject is routed in A's index under the exported subject, with a
//!   `Nats-Request-Info` header naming B and a reply subject of A's own
//!   (`_R_.<account token>.<request token>`), which A's response map sends back to the
//!   requester's reply subject in B: once (`singleton`) or until the export's response
//!   threshold passes without a response (`stream`, `chunked`).
//!
//! Counting: deliveries across bridges add to the publisher's count, so a request to an
//! imported service nobody serves gets no-responders like a local one. A message crosses at
//! most [`MAX_HOPS`] bridges (nats-server refuses import cycles in the config; this bounds
//! what the config checks do not see).

use std::cell::Cell;
use std::collections::HashMap;
use std::sync::Weak;
use std::time::{Duration, Instant};

use fastnats_proto::Publish;
use fastnats_sublist::matches;
use rand::Rng;

use super::config::ResponseType;
use super::mapping::SubjectMap;
use super::Account;
use crate::client_info::ClientInfo;
use crate::delivery::{Delivery, Origin};

/// The most bridges one message crosses.
pub const MAX_HOPS: usize = 8;

/// The prefix of the reply subjects service imports give requests.
pub const REPLY_PREFIX: &[u8] = b"_R_.";

/// nats-server's header carrying the requester's identity into a service's account.
pub const REQUEST_INFO_HEADER: &str = "Nats-Request-Info";

/// An account's bridges out.
#[derive(Debug, Default)]
pub struct Links {
    /// Other accounts' stream imports from this one.
    pub streams_out: Vec<StreamOut>,
    /// This account's service imports.
    pub services: Vec<ServiceIn>,
    /// Whether other accounts import services from this one (so its responders' replies
    /// are looked up in its response map).
    pub answers: bool,
    /// The first tokens a subject must start with to cross any bridge (`None`: any may, a
    /// pattern starts with a wildcard). Every account imports the system account's
    /// services, all under `$SYS.`: this keeps the other subjects at one comparison.
    heads: Option<Vec<Box<[u8]>>>,
}

/// A subject's first token.
#[inline]
pub(crate) fn head(subject: &[u8]) -> &[u8] {
    match memchr::memchr(b'.', subject) {
        Some(i) => &subject[..i],
        None => subject,
    }
}

impl Links {
    /// Whether there is no bridge at all.
    pub fn is_empty(&self) -> bool {
        self.streams_out.is_empty() && self.services.is_empty() && !self.answers
    }

    /// Works out [`Links::may_match`]'s filter once the bridges are in.
    pub fn seal(&mut self) {
        let patterns = self
            .streams_out
            .iter()
            .map(|s| &*s.from)
            .chain(self.services.iter().map(|s| &*s.local))
            .chain(self.answers.then_some(REPLY_PREFIX));
        let mut heads: Vec<Box<[u8]>> = Vec::new();
        for p in patterns {
            let p = p.strip_suffix(b".").unwrap_or(p);
            let h = head(p);
            // A one-token pattern is matched by that very token, which has no `.` after
            // it: only a wildcard-free multi-token pattern gives a `<head>.` prefix.
            if h == b"*" || h == b">" || h.len() == p.len() {
                self.heads = None;
                return;
            }
            if !heads.iter().any(|x| **x == *h) {
                heads.push(h.into());
            }
        }
        self.heads = Some(heads);
    }

    /// The first tokens every bridged subject starts with, each followed by a `.` (`None`:
    /// any subject may be bridged), once sealed.
    pub fn heads(&self) -> Option<&[Box<[u8]>]> {
        self.heads.as_deref()
    }

    /// Whether a message on `subject` may cross a bridge (false: it surely does not).
    #[inline]
    pub fn may_match(&self, subject: &[u8]) -> bool {
        match &self.heads {
            None => true,
            Some(heads) => {
                let h = head(subject);
                heads.iter().any(|x| **x == *h)
            }
        }
    }
}

/// A stream import seen from the exporting account.
#[derive(Debug)]
pub struct StreamOut {
    /// The imported subject (pattern) in this account.
    pub from: Box<[u8]>,
    /// How it is rewritten for the importer.
    pub map: SubjectMap,
    /// The importing account.
    pub into: Weak<Account>,
}

/// A service import seen from the importing account.
#[derive(Debug)]
pub struct ServiceIn {
    /// The subject (pattern) requesters publish to here.
    pub local: Box<[u8]>,
    /// How it is rewritten for the exporting account.
    pub map: SubjectMap,
    /// This account (where responses return).
    pub importer: Weak<Account>,
    /// The exporting account.
    pub target: Weak<Account>,
    /// The export's response type.
    pub response_type: ResponseType,
    /// The export's response threshold.
    pub threshold: Duration,
    /// Whether the requester's details go with the request (nats-server's `share`; the
    /// system account's own imports share), not only its account.
    pub share: bool,
}

/// Where the responses to one forwarded request go.
#[derive(Debug)]
struct ResponseRoute {
    requester: Weak<Account>,
    reply: Box<[u8]>,
    response_type: ResponseType,
    threshold: Duration,
    touched: Instant,
}

/// An exporting account's open reply subjects.
#[derive(Debug)]
pub struct Responses {
    /// `_R_.<token>.`: this account's reply prefix, fixed for its lifetime.
    prefix: Vec<u8>,
    routes: HashMap<Box<[u8]>, ResponseRoute>,
    next_sweep: Instant,
}

const BASE62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

fn push_token(out: &mut Vec<u8>, rng: &mut impl Rng) {
    out.extend((0..6).map(|_| BASE62[rng.gen_range(0..BASE62.len())]));
}

impl Responses {
    /// An empty map with a fresh account token.
    pub fn new() -> Self {
        let mut prefix = REPLY_PREFIX.to_vec();
        push_token(&mut prefix, &mut rand::thread_rng());
        prefix.push(b'.');
        Responses {
            prefix,
            routes: HashMap::new(),
            next_sweep: Instant::now(),
        }
    }

    /// The number of open reply subjects.
    pub fn len(&self) -> usize {
        self.routes.len()
    }

    /// Whether no reply subject is open.
    pub fn is_empty(&self) -> bool {
        self.routes.is_empty()
    }

    /// Opens a reply subject for `svc`'s request with reply `reply`; drops the routes whose
    /// threshold passed (at most once a second).
    fn open(&mut self, svc: &ServiceIn, reply: &[u8]) -> Box<[u8]> {
        let now = Instant::now();
        if now >= self.next_sweep {
            self.routes
                .retain(|_, r| now.duration_since(r.touched) < r.threshold);
            self.next_sweep = now + Duration::from_secs(1);
        }
        let mut subject = self.prefix.clone();
        push_token(&mut subject, &mut rand::thread_rng());
        let subject: Box<[u8]> = subject.into();
        self.routes.insert(
            subject.clone(),
            ResponseRoute {
                requester: svc.importer.clone(),
                reply: reply.into(),
                response_type: svc.response_type,
                threshold: svc.threshold,
                touched: now,
            },
        );
        subject
    }

    /// Where a response published to `subject` goes: the route is closed for a singleton
    /// (and for a route past its threshold), kept and refreshed otherwise.
    fn take(&mut self, subject: &[u8]) -> Option<(Weak<Account>, Box<[u8]>)> {
        let now = Instant::now();
        let route = self.routes.get_mut(subject)?;
        let expired = now.duration_since(route.touched) >= route.threshold;
        if route.response_type == ResponseType::Singleton || expired {
            let r = self.routes.remove(subject)?;
            return (!expired).then_some((r.requester, r.reply));
        }
        route.touched = now;
        Some((route.requester.clone(), route.reply.clone()))
    }
}

impl Default for Responses {
    fn default() -> Self {
        Self::new()
    }
}

/// Routes `msg`, published in `account`, across `account`'s bridges; returns how many
/// subscribers got it on the other side. `hops` is how many bridges it already crossed.
pub(crate) fn forward(
    d: &mut Delivery,
    account: &Account,
    from: Origin,
    msg: &Publish<'_>,
    hops: usize,
) -> usize {
    if hops >= MAX_HOPS {
        return 0;
    }
    let Some(links) = account.links_for(msg.subject) else {
        return 0;
    };
    let mut delivered = 0;
    for s in &links.streams_out {
        if !matches(&s.from, msg.subject) {
            continue;
        }
        let Some(into) = s.into.upgrade() else {
            continue;
        };
        let mapped = s.map.apply(msg.subject);
        let m = Publish {
            subject: mapped.as_deref().unwrap_or(msg.subject),
            ..*msg
        };
        delivered += d.route_in(&into, from, &m, hops + 1);
    }
    for svc in &links.services {
        if matches(&svc.local, msg.subject) {
            delivered += request(d, svc, from, msg, hops);
        }
    }
    if links.answers && msg.subject.starts_with(REPLY_PREFIX) {
        delivered += respond(d, account, from, msg, hops);
    }
    delivered
}

/// A request through a service import: into the exporter, reply mapped back.
fn request(
    d: &mut Delivery,
    svc: &ServiceIn,
    from: Origin,
    msg: &Publish<'_>,
    hops: usize,
) -> usize {
    let (Some(target), Some(importer)) = (svc.target.upgrade(), svc.importer.upgrade()) else {
        return 0;
    };
    let reply = msg.reply.map(|r| target.responses.lock().open(svc, r));
    let mapped = svc.map.apply(msg.subject);
    let info = match d.publisher() {
        Some(conn) if svc.share => ClientInfo::requestor(conn),
        _ => ClientInfo::brief(importer.name()),
    };
    let mut data = SCRATCH.with(Cell::take);
    let header_len = with_request_info(&mut data, msg, &info);
    let (mut size, mut hsize) = (itoa::Buffer::new(), itoa::Buffer::new());
    let m = Publish {
        subject: mapped.as_deref().unwrap_or(msg.subject),
        reply: reply.as_deref(),
        header_len: Some(header_len),
        data: &data,
        size_field: size.format(data.len()).as_bytes(),
        header_field: hsize.format(header_len).as_bytes(),
    };
    let delivered = d.route_in(&target, from, &m, hops + 1);
    if data.capacity() <= SCRATCH_KEEP {
        data.clear();
        SCRATCH.with(|s| s.set(data));
    }
    if delivered == 0 {
        if let Some(r) = &reply {
            target.responses.lock().routes.remove(r);
        }
    }
    delivered
}

/// A response to a forwarded request: back to the requester's reply subject.
fn respond(
    d: &mut Delivery,
    account: &Account,
    from: Origin,
    msg: &Publish<'_>,
    hops: usize,
) -> usize {
    let Some((requester, reply)) = account.responses.lock().take(msg.subject) else {
        return 0;
    };
    let Some(requester) = requester.upgrade() else {
        return 0;
    };
    let m = Publish {
        subject: &reply,
        reply: None,
        ..*msg
    };
    let delivered = d.route_in(&requester, from, &m, hops + 1);
    if delivered == 0 {
        account.responses.lock().routes.remove(msg.subject);
    }
    delivered
}

thread_local! {
    /// The buffer the last request through a service import on this thread was built in,
    /// kept so the next one reuses its allocation. Taken out while a request is routed (a
    /// request that crosses another service import on its way builds its own).
    static SCRATCH: Cell<Vec<u8>> = const { Cell::new(Vec::new()) };
}

/// The largest [`SCRATCH`] buffer kept: a rare large request does not pin its size.
const SCRATCH_KEEP: usize = 64 * 1024;

/// Writes `msg`'s headers and payload into `out` (empty) with `Nats-Request-Info: <info>`
/// set (replacing one the publisher sent: services trust it); returns the new header length.
fn with_request_info(out: &mut Vec<u8>, msg: &Publish<'_>, info: &ClientInfo) -> usize {
    match msg.header_len {
        Some(n) if n >= 4 => {
            let block = &msg.data[..n - 2]; // without the closing blank line
            let mut lines = block.split_inclusive(|&b| b == b'\n');
            out.extend_from_slice(lines.next().unwrap_or_default()); // NATS/1.0 ...
            for l in lines {
                if !is_header(l, REQUEST_INFO_HEADER) {
                    out.extend_from_slice(l);
                }
            }
        }
        _ => out.extend_from_slice(b"NATS/1.0\r\n"),
    }
    out.extend_from_slice(REQUEST_INFO_HEADER.as_bytes());
    out.extend_from_slice(b": ");
    info.write_json(out);
    out.extend_from_slice(b"\r\n\r\n");
    let header_len = out.len();
    out.extend_from_slice(msg.payload());
    header_len
}

fn is_header(line: &[u8], key: &str) -> bool {
    line.len() > key.len() && line[key.len()] == b':' && line[..key.len()] == *key.as_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn publish<'a>(data: &'a [u8], header_len: Option<usize>) -> Publish<'a> {
        Publish {
            subject: b"s",
            reply: None,
            header_len,
            data,
            size_field: b"",
            header_field: b"",
        }
    }

    #[test]
    fn request_info_is_added_or_replaced() {
        let b = ClientInfo::brief("B");
        let mut out = Vec::new();
        let n = with_request_info(&mut out, &publish(b"hi", None), &b);
        assert_eq!(
            std::str::from_utf8(&out).unwrap(),
            "NATS/1.0\r\nNats-Request-Info: {\"acc\":\"B\"}\r\n\r\nhi"
        );
        assert_eq!(&out[n..], b"hi");
        let hdr = b"NATS/1.0\r\nA: 1\r\nNats-Request-Info: {\"acc\":\"forged\"}\r\n\r\n";
        let mut data = hdr.to_vec();
        data.extend_from_slice(b"x");
        out.clear();
        let n = with_request_info(&mut out, &publish(&data, Some(hdr.len())), &b);
        assert_eq!(
            std::str::from_utf8(&out[..n]).unwrap(),
            "NATS/1.0\r\nA: 1\r\nNats-Request-Info: {\"acc\":\"B\"}\r\n\r\n"
        );
        assert_eq!(&out[n..], b"x");
    }

    #[test]
    fn only_subjects_under_a_bridged_first_token_look_at_the_bridges() {
        let svc = |local: &str| ServiceIn {
            local: local.as_bytes().into(),
            map: SubjectMap::Same,
            importer: Weak::new(),
            target: Weak::new(),
            response_type: ResponseType::Singleton,
            threshold: Duration::from_secs(1),
            share: false,
        };
        let account = Account::new("A", false);
        assert!(!account.may_cross(b"$SYS.REQ.USER.INFO"));
        account.set_links(Links {
            services: vec![
                svc("$SYS.REQ.USER.INFO"),
                svc("$SYS.REQ.ACCOUNT.PING.STATZ"),
            ],
            ..Links::default()
        });
        assert!(account.may_cross(b"$SYS.REQ.USER.INFO"));
        assert!(!account.may_cross(b"orders.new"));
        assert!(!account.may_cross(b"$SYSX.y"));
        account.set_links(Links {
            services: vec![svc("a.b"), svc("c.d")],
            ..Links::default()
        });
        assert!(account.may_cross(b"orders.new"), "two heads: links decide");
        assert!(account.links_for(b"orders.new").is_none());
        assert!(account.links_for(b"c.d").is_some());
        account.set_links(Links {
            services: vec![svc("c")],
            ..Links::default()
        });
        assert!(account.may_cross(b"c"), "a one-token pattern: links decide");
        account.set_links(Links {
            services: vec![svc("*.x")],
            ..Links::default()
        });
        assert!(account.links_for(b"orders.x").is_some());
    }

    #[test]
    fn singleton_routes_close_after_one_response() {
        let svc = |rt| ServiceIn {
            local: b"x".to_vec().into(),
            map: SubjectMap::Same,
            importer: Weak::new(),
            target: Weak::new(),
            response_type: rt,
            threshold: Duration::from_secs(60),
            share: false,
        };
        let mut r = Responses::new();
        let one = r.open(&svc(ResponseType::Singleton), b"_INBOX.1");
        let text = std::str::from_utf8(&one).unwrap();
        assert!(text.starts_with("_R_.") && text.len() == 17, "{text}");
        assert_eq!(&r.take(&one).unwrap().1[..], b"_INBOX.1");
        assert!(r.take(&one).is_none());
        let many = r.open(&svc(ResponseType::Stream), b"_INBOX.2");
        assert!(r.take(&many).is_some());
        assert!(r.take(&many).is_some());
        assert_eq!(r.len(), 1);
    }
}
