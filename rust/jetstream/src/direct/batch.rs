//! Direct gets answered with several messages (nats-server 2.11+'s `getDirectRequest` and
//! `getDirectMulti`): `batch` messages from `seq` or `start_time` (only those on
//! `next_by_subj` when set), or the last message of each subject matching `multi_last`
//! (at most up to `up_to_seq`). Each message carries `Nats-Num-Pending` (matching messages
//! after it) and `Nats-Last-Sequence` (the one sent before it, 0 for the first); a
//! `204 EOB` status ends the reply with the same two headers (and `Nats-UpTo-Sequence`
//! for `multi_last`). `max_bytes` stops a batch once that many bytes (subject, headers,
//! payload) are sent, the first message always going out.
//!
//! Messages are read under the stream's lock and sent after it is released. The pending
//! count is read once from the store's index and decremented per message sent, as
//! nats-server does, so requests never scan the stream.

use bytes::Bytes;
use fastnats_store::{Store, StoredMsg};

use crate::api::{MsgGetRequest, Timestamp};
use crate::headers;
use crate::stream::Stream;

/// nats-server's cap on the subjects of one `multi_last` request (`413 Too Many Results`).
const MAX_MULTI: usize = 1024;

/// One message (or status) of a reply.
pub struct Reply {
    /// The header block.
    pub hdr: Vec<u8>,
    /// The payload.
    pub payload: Bytes,
}

impl Reply {
    fn status(text: &str) -> Reply {
        Reply {
            hdr: format!("NATS/1.0 {text}\r\n\r\n").into_bytes(),
            payload: Bytes::new(),
        }
    }
}

/// Whether `req` asks for more than one message (or for a start time, which the
/// single-message path does not read).
#[must_use]
pub fn is_multi(req: &MsgGetRequest) -> bool {
    req.batch > 0 || !req.multi_last.is_empty() || req.start_time.is_some()
}

/// The replies to a batch, multi-last or start-time request, ending with the EOB status
/// (a single start-time get without `batch` has no EOB, as on nats-server).
#[must_use]
pub fn replies(stream: &Stream, req: &MsgGetRequest) -> Vec<Reply> {
    let st = stream.state.lock();
    let store = st.store.as_ref();
    if req.multi_last.is_empty() {
        sequential(&stream.name, store, req)
    } else {
        multi_last(&stream.name, store, req)
    }
}

/// `batch` messages from `seq` (or the first at or after `start_time`).
fn sequential(name: &str, store: &dyn Store, req: &MsgGetRequest) -> Vec<Reply> {
    let mut seq = match req.start_time {
        Some(t) => match seq_at_time(store, t) {
            Some(s) => s,
            None => return vec![Reply::status("404 Message Not Found")],
        },
        None => req.seq,
    };
    let filter: Vec<&str> = if req.next_by_subj.is_empty() {
        Vec::new()
    } else {
        vec![req.next_by_subj.as_str()]
    };
    let is_batch = req.batch > 0;
    let batch = usize::try_from(req.batch.max(1)).unwrap_or(usize::MAX);
    let mut pending = if is_batch {
        store.num_pending(seq, &filter, false)
    } else {
        0
    };
    let (mut out, mut last, mut sent_bytes) = (Vec::new(), 0u64, 0usize);
    while out.len() < batch {
        let found = if out.is_empty() && filter.is_empty() && req.start_time.is_none() {
            store.get(seq)
        } else {
            store.next_matching(seq, &filter)
        };
        let Ok(Some(msg)) = found else {
            if out.is_empty() {
                return vec![Reply::status("404 Message Not Found")];
            }
            break;
        };
        seq = msg.seq + 1;
        pending = pending.saturating_sub(1);
        sent_bytes += size(&msg);
        let extra = is_batch.then_some((pending, last));
        last = msg.seq;
        out.push(message(name, msg, extra));
        if req.max_bytes > 0 && sent_bytes >= usize::try_from(req.max_bytes).unwrap_or(0) {
            break;
        }
    }
    if is_batch {
        out.push(eob(pending, last, None));
    }
    out
}

/// The last message of each subject matching `multi_last`, in sequence order.
fn multi_last(name: &str, store: &dyn Store, req: &MsgGetRequest) -> Vec<Reply> {
    let last_seq = store.state().last_seq;
    let up_to = if req.up_to_seq > 0 {
        req.up_to_seq.min(last_seq)
    } else {
        last_seq
    };
    let mut seqs = Vec::new();
    for filter in &req.multi_last {
        for (subject, ss) in store.subjects_state(filter) {
            if let Some(s) = last_at_or_before(store, &subject, ss.first, ss.last, up_to) {
                seqs.push(s);
            }
            if seqs.len() > MAX_MULTI {
                return vec![Reply::status("413 Too Many Results")];
            }
        }
    }
    seqs.sort_unstable();
    seqs.dedup();
    if seqs.is_empty() {
        return vec![Reply::status("404 No Results")];
    }
    let batch = usize::try_from(req.batch).unwrap_or(0);
    let count = seqs.len();
    let (mut out, mut last, mut pending, mut sent_bytes) = (Vec::new(), 0u64, 0u64, 0usize);
    for (i, seq) in seqs.into_iter().enumerate() {
        if seq < req.seq {
            continue;
        }
        let Ok(Some(msg)) = store.get(seq) else {
            return vec![Reply::status("404 Message Not Found")];
        };
        sent_bytes += size(&msg);
        // The subjects after this one, sent or not.
        pending = (count - 1 - i) as u64;
        let extra = Some((pending, last));
        last = msg.seq;
        out.push(message(name, msg, extra));
        if req.max_bytes > 0 && sent_bytes >= usize::try_from(req.max_bytes).unwrap_or(0) {
            break;
        }
        if batch > 0 && out.len() >= batch {
            break;
        }
    }
    out.push(eob(pending, last, Some(up_to)));
    out
}

/// The last message on literal `subject` at or before `up_to` (its state says `first` and
/// `last`): the index's answer when `last` is in range, else a walk of the subject's own
/// messages.
fn last_at_or_before(
    store: &dyn Store,
    subject: &str,
    first: u64,
    last: u64,
    up_to: u64,
) -> Option<u64> {
    if last <= up_to {
        return Some(last);
    }
    let mut found = None;
    let mut seq = first;
    while let Some(s) = store.next_matching_seq(seq, &[subject]) {
        if s > up_to {
            break;
        }
        found = Some(s);
        seq = s + 1;
    }
    found
}

/// The first stored sequence whose time is at or after `t`: a binary search over the
/// sequence range (times grow with sequences), reading one message per step.
fn seq_at_time(store: &dyn Store, t: Timestamp) -> Option<u64> {
    let state = store.state();
    let want = t.unix_nanos();
    let (mut lo, mut hi) = (state.first_seq.max(1), state.last_seq + 1);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        let Some(s) = store.next_matching_seq(mid, &[]) else {
            hi = mid;
            continue;
        };
        match store.get(s) {
            Ok(Some(m)) if i128::from(m.ts) >= want => hi = mid,
            Ok(Some(_)) => lo = s + 1,
            _ => return None,
        }
    }
    store.next_matching_seq(lo, &[])
}

/// What `max_bytes` counts of a message.
fn size(msg: &StoredMsg) -> usize {
    msg.subject.len() + msg.headers.as_ref().map_or(0, Bytes::len) + msg.payload.len()
}

/// A message with the direct-get headers, and with `(pending, last)` those of a batch.
fn message(name: &str, msg: StoredMsg, batch: Option<(u64, u64)>) -> Reply {
    let mut hdr = msg.headers.as_deref().unwrap_or_default().to_vec();
    let mut n = itoa::Buffer::new();
    headers::append(&mut hdr, "Nats-Stream", name);
    headers::append(&mut hdr, "Nats-Subject", &msg.subject);
    headers::append(&mut hdr, "Nats-Sequence", n.format(msg.seq));
    let ts = Timestamp::from_unix_nanos(msg.ts).to_rfc3339();
    headers::append(&mut hdr, "Nats-Time-Stamp", &ts);
    if let Some((pending, last)) = batch {
        headers::append(&mut hdr, "Nats-Num-Pending", n.format(pending));
        headers::append(&mut hdr, "Nats-Last-Sequence", n.format(last));
    }
    Reply {
        hdr,
        payload: msg.payload,
    }
}

/// The `204 EOB` status that ends a batch.
fn eob(pending: u64, last: u64, up_to: Option<u64>) -> Reply {
    let mut text = format!("204 EOB\r\nNats-Num-Pending: {pending}\r\nNats-Last-Sequence: {last}");
    if let Some(u) = up_to {
        text.push_str(&format!("\r\nNats-UpTo-Sequence: {u}"));
    }
    Reply::status(&text)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use fastnats_store::{MemStore, StoreLimits};

    use super::*;

    /// bt.a, bt.b (deleted), bt.a, bt.c (with a header) at times 10, 20, 30, 40.
    fn store() -> MemStore {
        let mut s = MemStore::new(StoreLimits::default());
        for (i, subj) in ["bt.a", "bt.b", "bt.a", "bt.c"].iter().enumerate() {
            let hdr = (*subj == "bt.c").then_some(&b"NATS/1.0\r\nX: 1\r\n\r\n"[..]);
            let ts = 10 * (i64::try_from(i).unwrap() + 1);
            s.append(subj, hdr, subj.as_bytes(), ts).unwrap();
        }
        s.remove(2, false).unwrap();
        s
    }

    fn header(r: &Reply, key: &str) -> Option<String> {
        let text = String::from_utf8(r.hdr.clone()).unwrap();
        text.lines()
            .find_map(|l| l.strip_prefix(&format!("{key}: ")).map(str::to_owned))
    }

    fn summary(replies: &[Reply], key: &str) -> Vec<Option<String>> {
        replies.iter().map(|r| header(r, key)).collect()
    }

    fn req(json: &str) -> MsgGetRequest {
        serde_json::from_str(json).unwrap()
    }

    fn s(v: &[&str]) -> Vec<Option<String>> {
        v.iter()
            .map(|x| (!x.is_empty()).then(|| (*x).to_owned()))
            .collect()
    }

    #[test]
    fn batches_count_what_is_left_after_each_message() {
        let st = store();
        let r = sequential("B", &st, &req(r#"{"seq":1,"batch":2}"#));
        assert_eq!(summary(&r, "Nats-Sequence"), s(&["1", "3", ""]));
        assert_eq!(summary(&r, "Nats-Num-Pending"), s(&["2", "1", "1"]));
        assert_eq!(summary(&r, "Nats-Last-Sequence"), s(&["0", "1", "3"]));
        assert!(r[2].hdr.starts_with(b"NATS/1.0 204 EOB\r\n"));
        let r = sequential(
            "B",
            &st,
            &req(r#"{"seq":1,"batch":5,"next_by_subj":"bt.a"}"#),
        );
        assert_eq!(summary(&r, "Nats-Sequence"), s(&["1", "3", ""]));
        let r = sequential("B", &st, &req(r#"{"seq":1,"batch":3,"max_bytes":5}"#));
        assert_eq!(summary(&r, "Nats-Sequence"), s(&["1", ""]));
        assert_eq!(header(&r[1], "Nats-Num-Pending").as_deref(), Some("2"));
        let r = sequential("B", &st, &req(r#"{"seq":9,"batch":2}"#));
        assert_eq!(r[0].hdr, b"NATS/1.0 404 Message Not Found\r\n\r\n");
    }

    #[test]
    fn start_time_finds_the_first_message_at_or_after_it() {
        let st = store();
        let at = |ns: i64| {
            let mut r = req(r#"{"batch":1}"#);
            r.start_time = Some(Timestamp::from_unix_nanos(ns));
            summary(&sequential("B", &st, &r), "Nats-Sequence")[0].clone()
        };
        assert_eq!(at(1).as_deref(), Some("1"));
        assert_eq!(at(15).as_deref(), Some("3")); // 2 is deleted
        assert_eq!(at(40).as_deref(), Some("4"));
        assert_eq!(at(41), None);
    }

    #[test]
    fn multi_last_sends_each_subjects_last_message_in_order() {
        let st = store();
        let r = multi_last("B", &st, &req(r#"{"multi_last":["bt.*"]}"#));
        assert_eq!(summary(&r, "Nats-Sequence"), s(&["3", "4", ""]));
        assert_eq!(summary(&r, "Nats-Num-Pending"), s(&["1", "0", "0"]));
        assert_eq!(header(&r[1], "X").as_deref(), Some("1"));
        assert_eq!(header(&r[2], "Nats-UpTo-Sequence").as_deref(), Some("4"));
        let r = multi_last("B", &st, &req(r#"{"multi_last":["bt.*"],"up_to_seq":2}"#));
        assert_eq!(summary(&r, "Nats-Sequence"), s(&["1", ""]));
        let r = multi_last(
            "B",
            &st,
            &req(r#"{"multi_last":["bt.a","bt.c"],"batch":1}"#),
        );
        assert_eq!(summary(&r, "Nats-Num-Pending"), s(&["1", "1"]));
        let r = multi_last("B", &st, &req(r#"{"multi_last":["zz"]}"#));
        assert_eq!(r[0].hdr, b"NATS/1.0 404 No Results\r\n\r\n");
    }
}
