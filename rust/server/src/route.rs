//! The life of a PUB after parsing: checks, match, delivery into recipients' outbound
//! buffers, queue-group choice, no-responders.
//!
//! Nothing here blocks or calls Python. Per delivery: one uncontended lock of the recipient's
//! outbound queue and a copy of the payload into it; the recipient's writer is woken later, once
//! per read buffer, through the flush set.

use std::sync::atomic::Ordering::{AcqRel, Acquire, Relaxed};

use fastnats_proto::error::PermissionViolation;
use fastnats_proto::{encode, headers, CloseReason, ProtoError, Publish};
use fastnats_sublist::{is_valid_literal_subject, matches};

use crate::client::CloseMode;
use crate::conn::Conn;
use crate::subs::SubRef;

/// Reply prefixes reserved for server-internal mappings (gateway replies, service import
/// replies, JetStream acks): a client may not use them as its own reply subject.
const RESERVED_REPLY_PREFIXES: [&[u8]; 3] = [b"_R_.", b"$JS.ACK.", b"_GR_."];

impl Conn {
    pub(crate) fn publish(&mut self, p: &Publish<'_>) -> Result<(), ProtoError> {
        self.counts.in_msgs += 1;
        self.counts.in_bytes += p.data.len() as u64;
        if self.connect.pedantic && !is_valid_literal_subject(p.subject) {
            // Reported, but the message is still processed (nats-server does the same).
            self.error(ProtoError::InvalidPublishSubject);
        }
        if let Some(perms) = &self.perms {
            if perms.restricts_publish()
                && !perms.can_publish_cached(&mut self.pub_cache, p.subject)
                && !self.me.response_allowed(p.subject)
            {
                self.permission_violation(PermissionViolation::Publish(p.subject));
                return Ok(());
            }
        }
        if p.subject.starts_with(b"_GR_.") || p.subject.starts_with(b"$NRG.") {
            self.permission_violation(PermissionViolation::Publish(p.subject));
            return Ok(());
        }
        if let Some(reply) = p.reply {
            if RESERVED_REPLY_PREFIXES.iter().any(|r| reply.starts_with(r)) {
                self.permission_violation(PermissionViolation::PublishReply(reply));
                return Ok(());
            }
        }
        self.ok();
        self.route(p);
        Ok(())
    }

    /// Sends a permissions `-ERR` (the connection stays open).
    pub(crate) fn permission_violation(&mut self, v: PermissionViolation<'_>) {
        let mut line = Vec::new();
        v.write_err(&mut line);
        self.me.queue(&line);
        self.flush.add(&self.me);
    }

    /// Delivers to every plain subscriber and one member of each queue group.
    fn route(&mut self, p: &Publish<'_>) {
        let result = self.l1.lookup(&self.shared.index, p.subject);
        let mut delivered = 0usize;
        for sub in &result.psubs {
            delivered += usize::from(self.deliver(sub, p));
        }
        for group in &result.qsubs {
            let n = group.members.len();
            let start = self.random_below(n);
            for i in 0..n {
                let idx = if start + i >= n {
                    start + i - n
                } else {
                    start + i
                };
                if self.deliver(&group.members[idx], p) {
                    delivered += 1;
                    break;
                }
            }
        }
        if delivered == 0 && self.connect.no_responders {
            if let Some(reply) = p.reply {
                self.no_responders(p.subject, reply);
            }
        }
    }

    /// Appends one MSG/HMSG for `sub`; false if the subscriber could not take it (echo off,
    /// auto-unsubscribed, closed, slow consumer), so a queue group tries the next member.
    #[inline]
    fn deliver(&mut self, sub: &SubRef, p: &Publish<'_>) -> bool {
        let client = &sub.client;
        if client.cid == self.me.cid && !self.connect.echo {
            return false;
        }
        if client.is_closed() || client.denies_delivery(p.subject) {
            return false;
        }
        let n = sub.delivered.fetch_add(1, AcqRel) + 1;
        let max = sub.max.load(Acquire);
        if max != 0 {
            if n > max {
                return false;
            }
            if n == max {
                self.expired.push(sub.clone());
            }
        }
        // Subscribers that did not negotiate headers get the payload only.
        let header_len = p.header_len.filter(|_| client.headers.load(Relaxed));
        let data = if header_len.is_some() {
            p.data
        } else {
            p.payload()
        };
        let pending = {
            let mut out = client.out.lock();
            if out.close.is_some() {
                return false;
            }
            let need = encode::msg_line_len(p.subject, &sub.sid, p.reply, (0, header_len))
                + data.len()
                + 2;
            let pending = out.pending() + need;
            if pending > client.max_pending {
                drop(out);
                if client.close(CloseReason::SlowConsumerPendingBytes, CloseMode::Discard) {
                    self.shared.stats.slow_consumers.fetch_add(1, Relaxed);
                    crate::log_at!(
                        crate::log::Level::Info,
                        "{} - cid:{} - Slow Consumer Detected: MaxPending of {} Exceeded",
                        client.addr,
                        client.cid,
                        client.max_pending
                    );
                }
                return false;
            }
            match (p.header_len, header_len) {
                // Headers stripped for this subscriber: the size is recomputed.
                (Some(_), None) => encode::write_msg_line(
                    &mut out.buf,
                    p.subject,
                    &sub.sid,
                    p.reply,
                    None,
                    data.len(),
                ),
                // Otherwise the publisher's size digits are echoed, as nats-server does.
                _ => encode::write_msg_line_raw(
                    &mut out.buf,
                    p.subject,
                    &sub.sid,
                    p.reply,
                    header_len.map(|_| p.header_field),
                    p.size_field,
                ),
            }
            out.buf.extend_from_slice(data);
            out.buf.extend_from_slice(encode::CRLF);
            out.msgs += 1;
            out.bytes += data.len() as u64;
            pending
        };
        if pending > client.stall_threshold() && self.stalled.is_none() {
            self.stalled = Some(client.clone());
        }
        if let Some(reply) = p.reply {
            client.record_reply(reply);
        }
        self.flush.add(client);
        self.counts.out_msgs += 1;
        self.counts.out_bytes += data.len() as u64;
        true
    }

    /// Nobody took a request: send the 503 status to the requester's own plain subscription
    /// that matches the reply subject, so its request fails fast instead of timing out.
    fn no_responders(&mut self, subject: &[u8], reply: &[u8]) {
        let target = self
            .me
            .subs
            .lock()
            .values()
            .find(|s| s.queue.is_none() && matches(&s.subject, reply))
            .cloned();
        let Some(sub) = target else { return };
        self.scratch.clear();
        headers::write_no_responders(&mut self.scratch, subject);
        let mut msg = Vec::with_capacity(self.scratch.len() + reply.len() + 48);
        encode::write_hmsg(
            &mut msg,
            reply,
            &sub.sid,
            None,
            self.scratch.len(),
            &self.scratch,
        );
        self.me.queue(&msg);
        self.flush.add(&self.me);
    }
}
