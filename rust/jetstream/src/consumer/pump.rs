//! Delivery: [`Consumer::pump`] gathers what can be delivered now under the consumer's
//! lock (redeliveries first, then the `last_per_subject` list, then new messages; each to
//! the oldest pull request or to the deliver subject), then [`send`] publishes it with no
//! lock held. The order and rules are nats-server's `loopAndGatherMsgs`, `getNextMsg`,
//! `nextWaiting` and `processWaiting`:
//!
//! - pull requests take turns, one message each; a request takes messages until its `batch` is done (then `409 Batch Completed`
//!   if it still had `max_bytes` left), a message larger than its remaining `max_bytes`
//!   ends it with `409 Message Size Exceeds MaxBytes`; an expired request gets `408
//!   Request Timeout`, a `no_wait` one at the end of the stream `404 No Messages` (or 408
//!   if it has `expires` and got nothing); requests whose reply subject lost its
//!   subscriber are dropped;
//! - a push consumer delivers only while someone subscribes to its deliver subject, stops
//!   while its flow-control window is full, and sends a flow-control request when half of
//!   the window is used;
//! - `max_ack_pending` stops new deliveries (not redeliveries); `max_deliver` drops a
//!   message from pending once exhausted;
//! - `replay_policy: original` spaces the messages stored before the consumer was made as
//!   they were stored.
//!
//! The sizes nats-server counts for `max_bytes` and flow control are subject + ack reply +
//! headers + payload.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use bytes::Bytes;
use fastnats_store::{Store, StoredMsg};
use tokio::time::{Duration, Instant};

use crate::api::{DeliverPolicy, ReplayPolicy, RetentionPolicy};
use crate::headers;
use crate::stream::{now_nanos, Stream};
use crate::Ctx;

use super::state::{ConsumerState, FC_LIMIT};
use super::{retention, subjects, Consumer};

/// At most this many deliveries are gathered under one lock (then sent, then more).
const GATHER_MAX: usize = 256;

/// One message to publish.
#[derive(Debug, Clone)]
pub struct Out {
    /// Where it is routed (deliver subject, request inbox).
    pub route: String,
    /// The subject the receiver sees (`None`: `route`).
    pub subject: Option<Arc<str>>,
    /// Its reply subject.
    pub reply: Option<String>,
    /// Its header block.
    pub headers: Option<Bytes>,
    /// Its payload.
    pub payload: Bytes,
}

impl Out {
    /// A status-only message (`NATS/1.0 404 No Messages\r\n\r\n` and the like).
    #[must_use]
    pub fn status(route: String, header: &[u8]) -> Out {
        Out {
            route,
            subject: None,
            reply: None,
            headers: Some(Bytes::copy_from_slice(header)),
            payload: Bytes::new(),
        }
    }

    /// An empty message (the reply to a synchronous ack).
    #[must_use]
    pub fn empty(route: String) -> Out {
        Out {
            route,
            subject: None,
            reply: None,
            headers: None,
            payload: Bytes::new(),
        }
    }

    /// A status with the pending-messages and pending-bytes headers of a pull request.
    #[must_use]
    pub fn pull_status(route: String, status: &str, n: i64, b: i64) -> Out {
        let h = format!(
            "NATS/1.0 {status}\r\nNats-Pending-Messages: {n}\r\nNats-Pending-Bytes: {b}\r\n\r\n"
        );
        Out::status(route, h.as_bytes())
    }
}

/// Publishes `out`, in order, through the shared batching publisher (one flush per
/// recipient for the whole batch): the one place consumers publish.
pub fn send(ctx: &Ctx, out: &[Out]) {
    if out.is_empty() {
        return;
    }
    let mut publisher = ctx.deliveries.lock();
    for o in out {
        let headers = o.headers.as_deref().filter(|h| !h.is_empty());
        let route = o.route.as_bytes();
        let subject = o.subject.as_deref().map_or(route, str::as_bytes);
        // An invalid subject (a deliver subject is checked at create) reaches nobody.
        let _ = publisher.publish_routed(
            route,
            subject,
            o.reply.as_deref().map(str::as_bytes),
            headers,
            &o.payload,
        );
    }
    publisher.flush();
}

/// Brings `npc` (messages left to deliver) up to date with the store: new messages since
/// the last look are added; `exact` recomputes it from the store's counters.
pub fn refresh_pending(st: &mut ConsumerState, store: &dyn Store, exact: bool) {
    let state = store.state();
    let filters = st
        .cfg
        .filters()
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>();
    let f: Vec<&str> = filters.iter().map(String::as_str).collect();
    if exact {
        let lps = st.cfg.deliver_policy == DeliverPolicy::LastPerSubject && !st.lss.is_empty();
        st.npc = if lps {
            st.lss.len() as u64 + store.num_pending(st.lss_resume + 1, &f, false)
        } else {
            store.num_pending(st.sseq, &f, false)
        };
        st.npc_seq = state.last_seq;
        return;
    }
    if state.last_seq > st.npc_seq {
        let from = (st.npc_seq + 1).max(st.sseq);
        st.npc += store.num_pending(from, &f, false);
        st.npc_seq = state.last_seq;
    }
    // Removals (limits, purges) are not followed one by one: clamp as nats-server's
    // `checkNumPending` does.
    let upper = if st.sseq > state.last_seq {
        0
    } else {
        state.msgs.min(state.last_seq - st.sseq + 1)
    };
    if st.lss.is_empty() {
        st.npc = st.npc.min(upper);
    }
}

/// Where the next delivery comes from.
enum Source {
    Redelivery,
    LastPerSubject,
    New,
}

struct Candidate {
    msg: StoredMsg,
    dc: u64,
    source: Source,
}

/// The next message to deliver, without consuming it (queue entries no longer valid are
/// dropped on the way).
fn next_candidate(
    st: &mut ConsumerState,
    store: &dyn Store,
    filters: &[&str],
    durable: u64,
) -> Option<Candidate> {
    while let Some(&seq) = st.rdq.first() {
        if !st.pending.contains_key(&seq) {
            st.rdq.remove(&seq);
            continue;
        }
        let dc = st.rdc.get(&seq).copied().unwrap_or(0) + 2;
        if st.cfg.max_deliver > 0 && dc > st.cfg.max_deliver.unsigned_abs() {
            st.rdq.remove(&seq);
            st.drop_exhausted(seq);
            continue;
        }
        match store.get(seq) {
            Ok(Some(msg)) => {
                return Some(Candidate {
                    msg,
                    dc,
                    source: Source::Redelivery,
                })
            }
            _ => st.drop_missing(seq),
        }
    }
    if st.at_max_ack_pending() {
        return None;
    }
    while let Some(&seq) = st.lss.front() {
        if let Ok(Some(msg)) = store.get(seq) {
            return Some(Candidate {
                msg,
                dc: 1,
                source: Source::LastPerSubject,
            });
        }
        st.lss.pop_front();
        if st.lss.is_empty() {
            st.sseq = st.sseq.max(st.lss_resume);
        }
    }
    let seq = store
        .next_matching_seq(st.sseq, filters)
        .filter(|&s| s <= durable)?;
    match store.get(seq) {
        Ok(Some(msg)) => Some(Candidate {
            msg,
            dc: 1,
            source: Source::New,
        }),
        _ => None,
    }
}

/// Consumes a candidate that is being delivered.
fn take(st: &mut ConsumerState, c: &Candidate) {
    let seq = c.msg.seq;
    match c.source {
        Source::Redelivery => {
            st.rdq.remove(&seq);
            *st.rdc.entry(seq).or_insert(0) += 1;
        }
        Source::LastPerSubject => {
            st.lss.pop_front();
            st.sseq = if st.lss.is_empty() {
                st.lss_resume.max(seq + 1)
            } else {
                seq + 1
            };
            st.npc = st.npc.saturating_sub(1);
        }
        Source::New => {
            st.sseq = seq + 1;
            st.npc = st.npc.saturating_sub(1);
        }
    }
}

/// What a pump did besides publishing.
#[derive(Default)]
struct Effects {
    out: Vec<Out>,
    /// Stream sequences an ack-none consumer consumed (interest and work-queue retention).
    released: Vec<u64>,
    /// More may be deliverable right away.
    more: bool,
    /// A deadline moved earlier: wake the timer.
    wake: bool,
}

/// Takes `sz` bytes from the rate limit's bucket (refilled since it was last counted), or
/// says when there will be enough (nats-server's `rate.Limiter` reservation). A message larger
/// than the bucket waits for a full bucket and then goes.
fn rate_limited(st: &mut ConsumerState, burst: f64, sz: i64, now: Instant) -> Option<Instant> {
    #[allow(clippy::cast_precision_loss)] // a rate in bytes per second
    let per_sec = st.cfg.rate_limit_bps as f64 / 8.0;
    let (tokens, at) = st.rate.unwrap_or((burst, now));
    let tokens = (tokens + now.saturating_duration_since(at).as_secs_f64() * per_sec).min(burst);
    #[allow(clippy::cast_precision_loss)]
    let need = (sz as f64).min(burst);
    if tokens >= need {
        st.rate = Some((tokens - need, now));
        return None;
    }
    st.rate = Some((tokens, now));
    Some(now + Duration::from_secs_f64((need - tokens) / per_sec))
}

impl Consumer {
    /// The rate limit's bucket depth: the stream's `max_msg_size`, else the server's
    /// `max_payload` (nats-server's burst).
    #[allow(clippy::cast_precision_loss)]
    fn rate_burst(&self, max_msg_size: i32) -> f64 {
        if max_msg_size > 0 {
            f64::from(max_msg_size)
        } else {
            self.ctx.engine.shared().config().max_payload as f64
        }
    }

    /// Delivers what can be delivered now (see the module docs).
    pub fn pump(&self) {
        let Some(stream) = self.stream.upgrade() else {
            return;
        };
        loop {
            let fx = {
                let mut st = self.state.lock();
                if st.closed {
                    return;
                }
                self.gather(&mut st, &stream)
            };
            if fx.wake {
                self.wake_timer();
            }
            send(&self.ctx, &fx.out);
            if !fx.released.is_empty() {
                retention::released(&self.ctx, &stream, self, &fx.released);
            }
            if !fx.more {
                return;
            }
        }
    }

    /// Drops expired pull requests (408) and those nobody listens to any more.
    pub(crate) fn expire_waiting(&self, st: &mut ConsumerState, now: Instant, out: &mut Vec<Out>) {
        let engine = &self.ctx.engine;
        st.waiting.retain(|w| {
            if w.expires.is_some_and(|e| e <= now) {
                out.push(Out::pull_status(
                    w.reply.clone(),
                    "408 Request Timeout",
                    w.n,
                    w.b,
                ));
                return false;
            }
            engine.has_interest(w.reply.as_bytes())
        });
    }

    fn gather(&self, st: &mut ConsumerState, stream: &Stream) -> Effects {
        let mut fx = Effects::default();
        let now = Instant::now();
        let push = !st.cfg.is_pull();
        if push {
            if !self
                .ctx
                .engine
                .has_interest(st.cfg.deliver_subject.as_bytes())
            {
                return fx;
            }
            st.last_active = now;
        } else {
            self.expire_waiting(st, now, &mut fx.out);
            if st.waiting.is_empty() {
                return fx;
            }
        }
        let filters: Vec<String> = st.cfg.filters().iter().map(ToString::to_string).collect();
        let filters: Vec<&str> = filters.iter().map(String::as_str).collect();
        let (retention, burst) = {
            let cfg = stream.config.read();
            (cfg.retention, self.rate_burst(cfg.max_msg_size))
        };
        let wall = now_nanos();
        let store_guard = stream.state.lock();
        let store = &*store_guard.store;
        // A sequence written but not yet flushed is not delivered (see crate::commit).
        let durable = stream.durable.load(Ordering::Acquire);
        refresh_pending(st, store, false);
        let mut reply = String::with_capacity(self.ack_prefix.len() + 48);
        let mut eos = false;
        loop {
            if fx.out.len() >= GATHER_MAX {
                fx.more = true;
                break;
            }
            if push {
                if st.fc.maxpb > 0 && st.fc.pbytes > st.fc.maxpb {
                    break;
                }
                if st.replay_due.is_some_and(|d| d > now) {
                    break;
                }
            } else if st.waiting.is_empty() {
                break;
            }
            let Some(c) = next_candidate(st, store, &filters, durable) else {
                eos = true;
                break;
            };
            let m = &c.msg;
            let pending = if c.dc == 1 {
                st.npc.saturating_sub(1)
            } else {
                st.npc
            };
            subjects::write_ack_reply(
                &mut reply,
                &self.ack_prefix,
                c.dc,
                m.seq,
                st.dseq,
                m.ts,
                pending,
            );
            let headers = if st.cfg.headers_only {
                let mut h = m.headers.as_deref().unwrap_or_default().to_vec();
                headers::append(
                    &mut h,
                    "Nats-Msg-Size",
                    itoa::Buffer::new().format(m.payload.len()),
                );
                Some(Bytes::from(h))
            } else {
                m.headers.clone()
            };
            let payload = if st.cfg.headers_only {
                Bytes::new()
            } else {
                m.payload.clone()
            };
            let sz = m.subject.len()
                + reply.len()
                + headers.as_ref().map_or(0, Bytes::len)
                + payload.len();
            let sz = i64::try_from(sz).unwrap_or(i64::MAX);
            // Paced replay of what was stored before the consumer was made.
            if push && st.cfg.replay_policy == ReplayPolicy::Original && m.seq <= st.replay_until {
                if let Some((lts, sent)) = st.replay_last {
                    let gap = u64::try_from(m.ts.saturating_sub(lts)).unwrap_or(0);
                    let due = sent + Duration::from_nanos(gap);
                    if gap > 1_000_000 && due > now {
                        st.replay_due = Some(due);
                        fx.wake = true;
                        break;
                    }
                }
                st.replay_last = Some((m.ts, now));
            }
            if push && st.cfg.rate_limit_bps > 0 {
                if let Some(due) = rate_limited(st, burst, sz, now) {
                    st.replay_due = Some(due);
                    fx.wake = true;
                    break;
                }
            }
            let route = if push {
                st.cfg.deliver_subject.clone()
            } else {
                let Some(w) = st.waiting.front_mut() else {
                    break;
                };
                if w.b > 0 {
                    if sz <= w.b {
                        w.b -= sz;
                        if w.b == 0 {
                            w.n = 1;
                        }
                    } else {
                        fx.out.push(Out::pull_status(
                            w.reply.clone(),
                            "409 Message Size Exceeds MaxBytes",
                            w.n,
                            w.b,
                        ));
                        st.waiting.pop_front();
                        continue;
                    }
                }
                w.reply.clone()
            };
            take(st, &c);
            let dseq = st.dseq;
            st.dseq += 1;
            let had_deadline = st.next_redeliver;
            st.delivered(m.seq, dseq, c.dc, now, wall);
            if st.next_redeliver != had_deadline {
                fx.wake = true;
            }
            if !st.acked() && retention != RetentionPolicy::Limits {
                fx.released.push(m.seq);
            }
            fx.out.push(Out {
                route,
                subject: Some(m.subject.clone()),
                reply: Some(reply.clone()),
                headers,
                payload,
            });
            if push {
                if let Some(hb) = st.cfg.idle_heartbeat.to_std().filter(|d| !d.is_zero()) {
                    st.hb_due = Some(now + hb);
                }
                if st.fc.maxpb > 0 {
                    st.fc.pbytes += sz;
                    if st.fc.fcid.is_none() && st.fc.pbytes > st.fc.maxpb / 2 {
                        let fc = subjects::fc_reply(&self.fc_prefix);
                        st.fc.fcid = Some(fc.clone());
                        st.fc.fcsz = st.fc.pbytes;
                        let mut o = Out::status(
                            st.cfg.deliver_subject.clone(),
                            b"NATS/1.0 100 FlowControl Request\r\n\r\n",
                        );
                        o.reply = Some(fc);
                        fx.out.push(o);
                    }
                }
            } else if let Some(w) = st.waiting.front_mut() {
                w.n -= 1;
                w.d += 1;
                if w.n <= 0 {
                    if w.b > 0 {
                        fx.out.push(Out::pull_status(
                            w.reply.clone(),
                            "409 Batch Completed",
                            0,
                            w.b,
                        ));
                    }
                    st.waiting.pop_front();
                } else {
                    if let Some(hb) = w.hb {
                        w.hb_due = Some(now + hb);
                    }
                    // Requests take turns (nats-server's `waitQueue.pop`).
                    if let Some(w) = st.waiting.pop_front() {
                        st.waiting.push_back(w);
                    }
                }
            }
        }
        drop(store_guard);
        if eos && !push {
            // nats-server's `processWaiting(true)`: one-shot requests end here.
            st.waiting.retain(|w| {
                if !w.no_wait {
                    return true;
                }
                if w.expires.is_none() || w.d > 0 {
                    fx.out.push(Out::status(
                        w.reply.clone(),
                        b"NATS/1.0 404 No Messages\r\n\r\n",
                    ));
                    return false;
                }
                true
            });
        }
        if st.replay_due.is_some_and(|d| d <= now) {
            st.replay_due = None;
        }
        fx
    }

    /// A flow-control reply on `subject`: the window is released (and grows).
    pub fn flow_control_reply(&self, subject: &str) {
        {
            let mut st = self.state.lock();
            if st.fc.fcid.as_deref() != Some(subject) {
                return;
            }
            if st.fc.maxpb < FC_LIMIT {
                st.fc.maxpb = (st.fc.maxpb * 2).min(FC_LIMIT);
            }
            st.fc.pbytes = (st.fc.pbytes - st.fc.fcsz).max(0);
            st.fc.fcid = None;
            st.fc.fcsz = 0;
        }
        self.pump();
    }
}
