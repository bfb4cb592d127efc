//! A consumer's internal subscriptions: pull requests (`CONSUMER.MSG.NEXT`), acks
//! (`$JS.ACK.<stream>.<consumer>.>`) and flow-control replies (`$JS.FC.<stream>.
//! <consumer>.>`), with nats-server's `processNextMsgRequest` and `processAck` rules.
//!
//! Acks: an empty body or `+ACK`, `-NAK` (optionally followed by `{"delay": ns}` or a Go
//! duration), `+WPI`, `+NXT` (acks, then a pull request with the rest of the body),
//! `+TERM` (optionally with a reason). An ack with a reply subject gets an empty reply
//! once processed (ack sync), except `+NXT` whose reply receives the messages. Anything
//! else is ignored, as nats-server does.

use std::sync::{Arc, Weak};

use fastnats_server::internal::{
    InternalBatch, InternalHandler, InternalSubscription, SubscribeError,
};
use tokio::time::{Duration, Instant};

use crate::advisories;
use crate::api::{check_next_request, parse_next_request, AckPolicy, Nanos, RetentionPolicy};
use crate::stream::now_nanos;

use super::pump::{send, Out};
use super::state::{ConsumerState, Waiting};
use super::subjects::AckInfo;
use super::{retention, subjects, Consumer};

/// Pull requests and acks queued for one consumer past this many bytes close its
/// subscription as a slow consumer (never reached in practice).
const MAX_PENDING: usize = 1 << 30;
/// Publishers of acks are stalled past this many queued bytes.
const STALL: usize = 8 * 1024 * 1024;

/// Subscribes the consumer's handlers.
///
/// # Errors
/// A refused subscription.
pub fn subscribe(c: &Arc<Consumer>) -> Result<Vec<InternalSubscription>, SubscribeError> {
    let engine = &c.ctx.engine;
    let weak = Arc::downgrade(c);
    let mut subs = Vec::new();
    let pull = c.state.lock().cfg.is_pull();
    // nats-server subscribes the NEXT subject for push consumers too, answering 409.
    let next = subjects::next_subject(&c.stream_name, &c.name);
    let h = Arc::new(NextHandler(weak.clone()));
    subs.push(engine.subscribe_internal(next.as_bytes(), None, MAX_PENDING, STALL, h)?);
    let acks = format!("{}>", c.ack_prefix);
    let h = Arc::new(AckHandler(weak.clone()));
    subs.push(engine.subscribe_internal(acks.as_bytes(), None, MAX_PENDING, STALL, h)?);
    if !pull {
        let fc = format!("{}>", c.fc_prefix);
        let h = Arc::new(FcHandler(weak));
        subs.push(engine.subscribe_internal(fc.as_bytes(), None, MAX_PENDING, STALL, h)?);
    }
    Ok(subs)
}

struct NextHandler(Weak<Consumer>);

impl InternalHandler for NextHandler {
    fn deliver(&self, batch: &InternalBatch) {
        let Some(c) = self.0.upgrade() else {
            return;
        };
        let mut out = Vec::new();
        for m in batch.iter() {
            let Some(reply) = m.reply.and_then(|r| std::str::from_utf8(r).ok()) else {
                continue;
            };
            c.next_request(reply, m.payload, &mut out);
        }
        send(&c.ctx, &out);
        c.pump();
    }
}

impl Consumer {
    /// Queues a pull request (nats-server's `processNextMsgRequest`); refusals go to `out`.
    pub fn next_request(&self, reply: &str, body: &[u8], out: &mut Vec<Out>) {
        let refuse = |out: &mut Vec<Out>, code: u16, text: &str| {
            out.push(Out::status(
                reply.to_string(),
                format!("NATS/1.0 {code} {text}\r\n\r\n").as_bytes(),
            ));
        };
        let mut st = self.state.lock();
        if st.closed {
            return;
        }
        if !st.cfg.is_pull() {
            refuse(out, 409, "Consumer is push based");
            return;
        }
        let req = match parse_next_request(body) {
            Ok(r) => r,
            Err(s) => {
                out.push(Out::status(reply.to_string(), &s.header()));
                return;
            }
        };
        if let Err(s) = check_next_request(&st.cfg, &req) {
            out.push(Out::status(reply.to_string(), &s.header()));
            return;
        }
        let now = Instant::now();
        st.last_active = now;
        let expires = req
            .expires
            .to_std()
            .filter(|d| !d.is_zero())
            .map(|d| now + d);
        if req.no_wait {
            let pending = st.npc + st.rdq.len() as u64;
            if pending == 0 && expires.is_none() {
                refuse(out, 404, "No Messages");
                return;
            }
            let batch_pending: i64 = st.waiting.iter().map(|w| w.n).sum();
            if pending > 0 && pending < u64::try_from(batch_pending).unwrap_or(0) {
                refuse(out, 408, "Requests Pending");
                return;
            }
        }
        let hb = req.idle_heartbeat.to_std().filter(|d| !d.is_zero());
        let max_waiting = usize::try_from(st.cfg.max_waiting).unwrap_or(0);
        if st.waiting.len() >= max_waiting {
            let mut expired = Vec::new();
            self.expire_waiting(&mut st, now, &mut expired);
            out.extend(expired);
        }
        if st.waiting.len() >= max_waiting {
            if hb.is_none() {
                refuse(out, 409, "Exceeded MaxWaiting");
            }
            return;
        }
        st.waiting.push_back(Waiting {
            reply: reply.to_string(),
            n: req.batch,
            b: req.max_bytes,
            d: 0,
            no_wait: req.no_wait,
            expires,
            hb,
            hb_due: hb.map(|d| now + d),
        });
        drop(st);
        if expires.is_some() || hb.is_some() {
            self.wake_timer();
        }
    }
}

struct AckHandler(Weak<Consumer>);

/// The ack kinds.
const ACK: &[u8] = b"+ACK";
const OK: &[u8] = b"+OK";
const NAK: &[u8] = b"-NAK";
const WPI: &[u8] = b"+WPI";
const NXT: &[u8] = b"+NXT";
const TERM: &[u8] = b"+TERM";

impl InternalHandler for AckHandler {
    fn deliver(&self, batch: &InternalBatch) {
        let Some(c) = self.0.upgrade() else {
            return;
        };
        let mut out = Vec::new();
        let mut released = Vec::new();
        let now = Instant::now();
        let wall = now_nanos();
        let mut woke = false;
        for m in batch.iter() {
            let Some(info) = std::str::from_utf8(m.subject)
                .ok()
                .and_then(subjects::parse_ack)
            else {
                continue;
            };
            let reply = m.reply.and_then(|r| std::str::from_utf8(r).ok());
            let body = m.payload;
            let mut answer = true;
            let mut st = c.state.lock();
            st.last_active = now;
            if body.is_empty() || body == ACK || body == OK {
                out.extend(c.sample_ack(&st, &info, wall));
                released.extend(st.ack(info.sseq, info.dseq, wall));
            } else if let Some(rest) = body.strip_prefix(NXT) {
                out.extend(c.sample_ack(&st, &info, wall));
                released.extend(st.ack(info.sseq, info.dseq, wall));
                drop(st);
                if let Some(r) = reply {
                    c.next_request(r, rest, &mut out);
                }
                answer = false;
            } else if let Some(rest) = body.strip_prefix(NAK) {
                let delay = nak_delay(rest);
                if st.nak(info.sseq, info.dseq, delay, now, wall) {
                    out.extend(advisories::nak(&c, info.dseq, info.sseq, info.dc));
                }
                woke |= delay.is_some();
            } else if body == WPI {
                st.progress(info.sseq, now, wall);
            } else if let Some(reason) = body.strip_prefix(TERM) {
                released.extend(st.ack(info.sseq, info.dseq, wall));
                let reason = String::from_utf8_lossy(reason.trim_ascii());
                out.extend(advisories::terminated(
                    &c, info.dseq, info.sseq, info.dc, &reason,
                ));
            } else {
                answer = false;
            }
            if answer {
                if let Some(r) = reply {
                    out.push(Out::empty(r.to_string()));
                }
            }
        }
        if woke {
            c.wake_timer();
        }
        // Acked messages leave interest and work-queue streams before the ack-sync replies
        // go out, as nats-server acks in place before it answers.
        if !released.is_empty() {
            if let Some(stream) = c.stream.upgrade() {
                if stream.config.read().retention != RetentionPolicy::Limits {
                    retention::released(&c.ctx, &stream, &c, &released);
                }
            }
        }
        send(&c.ctx, &out);
        c.pump();
    }
}

impl Consumer {
    /// The ack metric of an explicit ack of a pending delivery, if `sample_freq` samples
    /// it (nats-server's `sampleAck`, before the ack is applied).
    fn sample_ack(&self, st: &ConsumerState, info: &AckInfo, wall: i64) -> Option<Out> {
        if st.cfg.ack_policy != AckPolicy::Explicit || st.cfg.sample_freq.is_empty() {
            return None;
        }
        let p = st.pending.get(&info.sseq)?;
        if !advisories::should_sample(&st.cfg.sample_freq) {
            return None;
        }
        advisories::ack_metric(self, info.dseq, info.sseq, wall - p.ts, info.dc)
    }
}

/// The delay of a `-NAK`: `{"delay": ns}` or a Go duration; none (redeliver now) if absent
/// or unreadable (nats-server logs a warning and naks without delay).
fn nak_delay(rest: &[u8]) -> Option<Duration> {
    let arg = rest.trim_ascii();
    if arg.is_empty() {
        return None;
    }
    if arg.first() == Some(&b'{') {
        #[derive(serde::Deserialize)]
        struct NakOptions {
            #[serde(default)]
            delay: Nanos,
        }
        let o: NakOptions = serde_json::from_slice(arg).ok()?;
        return o.delay.to_std();
    }
    parse_go_duration(std::str::from_utf8(arg).ok()?)
}

/// Go's `time.ParseDuration` for the forms clients send (`1.5s`, `300ms`, `2m`, `1h30m`).
fn parse_go_duration(s: &str) -> Option<Duration> {
    let mut rest = s;
    let mut total = 0f64;
    if rest == "0" {
        return Some(Duration::ZERO);
    }
    while !rest.is_empty() {
        let num_end = rest
            .find(|ch: char| !(ch.is_ascii_digit() || ch == '.'))
            .unwrap_or(rest.len());
        let value: f64 = rest[..num_end].parse().ok()?;
        rest = &rest[num_end..];
        let unit_end = rest
            .find(|ch: char| ch.is_ascii_digit() || ch == '.')
            .unwrap_or(rest.len());
        let scale = match &rest[..unit_end] {
            "ns" => 1.0,
            "us" | "µs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            _ => return None,
        };
        rest = &rest[unit_end..];
        total += value * scale;
    }
    Some(Duration::from_nanos(total as u64))
}

struct FcHandler(Weak<Consumer>);

impl InternalHandler for FcHandler {
    fn deliver(&self, batch: &InternalBatch) {
        let Some(c) = self.0.upgrade() else {
            return;
        };
        for m in batch.iter() {
            if let Ok(subject) = std::str::from_utf8(m.subject) {
                c.flow_control_reply(subject);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nak_delays_read_json_and_go_durations() {
        assert_eq!(nak_delay(b""), None);
        assert_eq!(
            nak_delay(br#" {"delay":2000000000}"#),
            Some(Duration::from_secs(2))
        );
        assert_eq!(nak_delay(b" 1.5s"), Some(Duration::from_millis(1500)));
        assert_eq!(nak_delay(b" 1m30s"), Some(Duration::from_secs(90)));
        assert_eq!(nak_delay(b" bogus"), None);
    }
}
