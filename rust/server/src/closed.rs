//! The recently closed connections (`/connz?state=closed`), kept compact.
//!
//! nats-server keeps the last 10,000 closed connections, and so does fastnats. Kept as full
//! [`ConnSnapshot`]s (about 400 bytes each plus eight small strings) the ring cost ~1.1 KB per
//! entry, and its small strings, allocated as each connection closed, sat among the memory the
//! connections freed, so that memory could not go back to the OS (see `trim`). An entry here
//! holds its numbers and its texts inline (a connection's texts, account to user, are a few
//! dozen bytes; longer ones spill to the heap) and its subscriptions, if it had any, in one
//! boxed slice. It turns back into a [`ConnSnapshot`] when monitoring reads it.

use std::net::IpAddr;
use std::time::{Duration, SystemTime};

use smallvec::SmallVec;

use crate::monitor::{ConnSnapshot, SubSnapshot};

/// Several optional texts in one buffer, inline up to `N` bytes.
#[derive(Debug)]
struct Texts<const N: usize, const K: usize> {
    bytes: SmallVec<[u8; N]>,
    /// Where each text ends in `bytes`, or `u32::MAX` for an absent one.
    ends: [u32; K],
}

impl<const N: usize, const K: usize> Texts<N, K> {
    fn new(texts: [Option<&str>; K]) -> Self {
        let mut bytes = SmallVec::new();
        let mut ends = [u32::MAX; K];
        for (end, text) in ends.iter_mut().zip(texts) {
            if let Some(t) = text {
                bytes.extend_from_slice(t.as_bytes());
                *end = u32::try_from(bytes.len()).unwrap_or(u32::MAX - 1);
            }
        }
        bytes.shrink_to_fit();
        Texts { bytes, ends }
    }

    fn get(&self, i: usize) -> Option<&str> {
        if self.ends[i] == u32::MAX {
            return None;
        }
        let start = self.ends[..i]
            .iter()
            .rev()
            .find(|&&e| e != u32::MAX)
            .map_or(0, |&e| e as usize);
        // Every text was a whole `str`, so its bounds are char boundaries.
        std::str::from_utf8(&self.bytes[start..self.ends[i] as usize]).ok()
    }

    fn text(&self, i: usize) -> String {
        self.get(i).unwrap_or_default().to_string()
    }
}

/// One subscription of a closed connection.
#[derive(Debug)]
struct Sub {
    /// Subject, queue group, sid.
    texts: Texts<32, 3>,
    msgs: u64,
    max: u64,
}

/// One closed connection.
#[derive(Debug)]
pub(crate) struct Closed {
    cid: u64,
    ip: IpAddr,
    port: u16,
    start: SystemTime,
    last_activity: SystemTime,
    stop: Option<SystemTime>,
    pending_bytes: u64,
    in_msgs: u64,
    out_msgs: u64,
    in_bytes: u64,
    out_bytes: u64,
    reason: Option<&'static str>,
    websocket: bool,
    tls: Option<(&'static str, &'static str)>,
    rtt: Duration,
    stalls: u64,
    /// Account, name tag, name, lang, version, user.
    texts: Texts<48, 6>,
    subs: Box<[Sub]>,
}

impl Closed {
    /// `ip` is the connection's own (the snapshot's `ip` is its text).
    pub(crate) fn new(s: &ConnSnapshot, ip: IpAddr) -> Self {
        Closed {
            cid: s.cid,
            ip,
            port: s.port,
            start: s.start,
            last_activity: s.last_activity,
            stop: s.stop,
            pending_bytes: s.pending_bytes,
            in_msgs: s.in_msgs,
            out_msgs: s.out_msgs,
            in_bytes: s.in_bytes,
            out_bytes: s.out_bytes,
            reason: s.reason,
            websocket: s.websocket,
            tls: s.tls,
            rtt: s.rtt,
            stalls: s.stalls,
            texts: Texts::new([
                Some(&s.account),
                Some(&s.name_tag),
                Some(&s.name),
                Some(&s.lang),
                Some(&s.version),
                s.user.as_deref(),
            ]),
            subs: s
                .subs
                .iter()
                .map(|sub| Sub {
                    texts: Texts::new([Some(&sub.subject), sub.queue.as_deref(), Some(&sub.sid)]),
                    msgs: sub.msgs,
                    max: sub.max,
                })
                .collect(),
        }
    }

    pub(crate) fn snapshot(&self) -> ConnSnapshot {
        let account = self.texts.text(0);
        ConnSnapshot {
            cid: self.cid,
            ip: self.ip.to_string(),
            port: self.port,
            start: self.start,
            last_activity: self.last_activity,
            pending_bytes: self.pending_bytes,
            in_msgs: self.in_msgs,
            out_msgs: self.out_msgs,
            in_bytes: self.in_bytes,
            out_bytes: self.out_bytes,
            subs: self
                .subs
                .iter()
                .map(|sub| SubSnapshot {
                    cid: self.cid,
                    subject: sub.texts.text(0),
                    queue: sub.texts.get(1).map(str::to_string),
                    sid: sub.texts.text(2),
                    msgs: sub.msgs,
                    max: sub.max,
                    account: account.clone(),
                })
                .collect(),
            name_tag: self.texts.text(1),
            name: self.texts.text(2),
            lang: self.texts.text(3),
            version: self.texts.text(4),
            user: self.texts.get(5).map(str::to_string),
            account,
            stop: self.stop,
            reason: self.reason,
            websocket: self.websocket,
            tls: self.tls,
            rtt: self.rtt,
            stalls: self.stalls,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOOPBACK6: IpAddr = IpAddr::V6(std::net::Ipv6Addr::LOCALHOST);

    #[test]
    fn a_snapshot_comes_back_whole() {
        let now = SystemTime::now();
        let s = ConnSnapshot {
            cid: 7,
            ip: "::1".into(),
            port: 4222,
            start: now,
            last_activity: now,
            pending_bytes: 1,
            in_msgs: 2,
            out_msgs: 3,
            in_bytes: 4,
            out_bytes: 5,
            subs: vec![
                SubSnapshot {
                    cid: 7,
                    subject: "a.b".into(),
                    queue: Some("q".into()),
                    sid: "1".into(),
                    msgs: 9,
                    max: 10,
                    account: "ACC".into(),
                },
                SubSnapshot {
                    cid: 7,
                    subject: "a.very.long.subject.name.beyond.the.inline.room".into(),
                    queue: None,
                    sid: "2".into(),
                    msgs: 0,
                    max: 0,
                    account: "ACC".into(),
                },
            ],
            name: String::new(),
            lang: "python3".into(),
            version: "2.6.0".into(),
            user: None,
            account: "ACC".into(),
            name_tag: "a name tag longer than forty-eight bytes, so it spills".into(),
            stop: Some(now),
            reason: Some("Client Closed"),
            websocket: true,
            tls: Some(("1.3", "TLS_AES_128_GCM_SHA256")),
            rtt: Duration::from_micros(56),
            stalls: 2,
        };
        let back = Closed::new(&s, LOOPBACK6).snapshot();
        assert_eq!(format!("{back:?}"), format!("{s:?}"));
        let with_user = ConnSnapshot {
            user: Some(String::new()),
            ..s
        };
        assert_eq!(
            Closed::new(&with_user, LOOPBACK6)
                .snapshot()
                .user
                .as_deref(),
            Some("")
        );
    }

    #[test]
    fn an_entry_stays_small() {
        // 10,000 of them make the ring: 2.9 MB at most.
        assert!(size_of::<Closed>() <= 288, "{}", size_of::<Closed>());
    }
}
