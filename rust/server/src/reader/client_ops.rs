//! The client protocol's ops: CONNECT, PUB/HPUB (checks, then the delivery core), SUB,
//! UNSUB, PING/PONG, and the ops a client may send that the server ignores or closes on.
//!
//! Order of checks follows nats-server's `client.go` so that the same input produces the same
//! bytes: e.g. SUB checks max_subscriptions before the subject, and a duplicate sid is
//! silently accepted.

use std::sync::atomic::Ordering::{Acquire, Relaxed, Release};

use fastnats_proto::error::PermissionViolation;
use fastnats_proto::{encode, headers, ClientOp, ConnectOptions, ProtoError, Publish};
use fastnats_sublist::{is_valid_literal_subject, is_valid_subject, matches};

use super::{go_quote, Reader};
use crate::auth::{is_reserved_queue, ConnectionType};
use crate::delivery::Origin;
use crate::log::{Area, Level};
use crate::subscription::{self, SubRef};

/// Reply prefixes reserved for server-internal mappings (gateway replies, service import
/// replies, JetStream acks): a client may not use them as its own reply subject.
const RESERVED_REPLY_PREFIXES: [&[u8]; 3] = [b"_R_.", b"$JS.ACK.", b"_GR_."];

impl Reader {
    /// Handles one op. A returned error is sent (and closes) by the caller.
    pub(super) fn dispatch(&mut self, op: ClientOp<'_>) -> Result<(), ProtoError> {
        if !self.authed && !matches!(op, ClientOp::Connect(_)) {
            // Auth required and no CONNECT yet: only a no_auth_user lets the client in.
            match self
                .shared
                .authorizer_for(self.me.websocket)
                .no_auth_identity(ConnectionType::client(self.me.websocket))
            {
                Some(id) if self.can_join(&id) => {
                    self.authorize(id);
                    self.announce();
                }
                _ => {
                    self.log_auth_error();
                    return Err(ProtoError::AuthorizationViolation);
                }
            }
        }
        match op {
            ClientOp::Pub(p) => {
                self.touch();
                self.msg_activity = true;
                self.publish(&p)
            }
            ClientOp::Sub {
                subject,
                queue,
                sid,
            } => {
                self.touch();
                self.msg_activity = true;
                self.subscribe(subject, queue, sid)
            }
            ClientOp::Unsub { sid, max } => {
                self.touch();
                self.msg_activity = true;
                self.unsubscribe(sid, max);
                Ok(())
            }
            ClientOp::Ping => {
                self.touch();
                self.reply(encode::PONG);
                Ok(())
            }
            ClientOp::Pong => {
                self.pong();
                Ok(())
            }
            ClientOp::Connect(json) => {
                self.touch();
                self.connect(json)
            }
            ClientOp::Info(json) => {
                // Accepted and ignored, but it must read as nats-server's INFO document: a
                // JSON object (or null); anything else closes silently, as there.
                match serde_json::from_slice::<serde_json::Value>(json) {
                    Ok(serde_json::Value::Object(_) | serde_json::Value::Null) => Ok(()),
                    _ => Err(ProtoError::MalformedJson),
                }
            }
            ClientOp::Ok => Ok(()),
            ClientOp::Err(text) => {
                crate::log_at!(
                    crate::log::Level::Debug,
                    "{} - Client error: {}",
                    self.me.log_tag(),
                    String::from_utf8_lossy(text)
                );
                Err(ProtoError::ClientError)
            }
        }
    }

    /// Queues `+OK` when the client asked for verbose acks.
    #[inline]
    pub(super) fn ok(&mut self) {
        if self.connect.verbose {
            self.reply(encode::OK);
        }
    }

    /// Sends a permissions `-ERR` (the connection stays open) and logs nats-server's `[ERR]`
    /// line for it (`Publish Violation - Subject "x"`, `Subscription Violation - Subject
    /// "x", SID 1`): operators find misconfigured clients in the log, not only the clients.
    /// `sid` is the refused SUB's.
    fn permission_violation(&mut self, v: PermissionViolation<'_>, sid: &[u8]) {
        let mut line = Vec::new();
        v.write_err(&mut line);
        self.reply(&line);
        if crate::log::enabled(Level::Error) {
            let what = match v {
                PermissionViolation::Publish(s) => {
                    format!("Publish Violation - Subject {}", go_quote(s))
                }
                PermissionViolation::PublishReply(r) => {
                    format!("Publish Violation - Reply {}", go_quote(r))
                }
                PermissionViolation::Subscribe(s, None) => format!(
                    "Subscription Violation - Subject {}, SID {}",
                    go_quote(s),
                    String::from_utf8_lossy(sid)
                ),
                PermissionViolation::Subscribe(s, Some(q)) => format!(
                    "Subscription Violation - Subject {}, Queue: {}, SID {}",
                    go_quote(s),
                    go_quote(q),
                    String::from_utf8_lossy(sid)
                ),
                // Not sent from here (max_sub_tokens, reload).
                PermissionViolation::TooManyTokens(_)
                | PermissionViolation::SubscriptionRevoked(..) => return,
            };
            let tag = self.log_tag();
            crate::log::log_to(Area::Auth, Level::Error, &format!("{tag} - {what}"));
        }
    }

    /// PUB/HPUB: nats-server's checks (pedantic subject, publish permissions, reserved
    /// subjects and reply prefixes), `+OK` if verbose, then delivery; no-responders when a
    /// request reached nobody.
    fn publish(&mut self, p: &Publish<'_>) -> Result<(), ProtoError> {
        self.delivery.count_in(p.data.len());
        if self.connect.pedantic && !is_valid_literal_subject(p.subject) {
            // Reported, but the message is still processed (nats-server does the same).
            self.error(ProtoError::InvalidPublishSubject);
        }
        if let Some(perms) = &self.perms {
            if perms.restricts_publish()
                && !perms.can_publish_cached(&mut self.pub_cache, p.subject)
                && !self.me.response_allowed(p.subject)
            {
                self.permission_violation(PermissionViolation::Publish(p.subject), b"");
                return Ok(());
            }
        }
        if p.subject.starts_with(b"_GR_.") || p.subject.starts_with(b"$NRG.") {
            self.permission_violation(PermissionViolation::Publish(p.subject), b"");
            return Ok(());
        }
        if let Some(reply) = p.reply {
            if RESERVED_REPLY_PREFIXES.iter().any(|r| reply.starts_with(r)) {
                self.permission_violation(PermissionViolation::PublishReply(reply), b"");
                return Ok(());
            }
        }
        self.ok();
        let from = Origin {
            cid: self.me.cid,
            echo: self.connect.echo,
        };
        let delivered = self.delivery.route(&self.account, from, p);
        if delivered == 0 && self.connect.no_responders {
            if let Some(reply) = p.reply {
                self.no_responders(p.subject, reply);
            }
        }
        Ok(())
    }

    /// Nobody took a request: send the 503 status to the requester's own plain subscription
    /// that matches the reply subject, so its request fails fast instead of timing out.
    fn no_responders(&mut self, subject: &[u8], reply: &[u8]) {
        let target = self
            .me
            .subs
            .lock()
            .values()
            .find(|s| s.queue().is_none() && matches(s.subject(), reply))
            .cloned();
        let Some(sub) = target else { return };
        self.scratch.clear();
        headers::write_no_responders(&mut self.scratch, subject);
        let mut msg = Vec::with_capacity(self.scratch.len() + reply.len() + 48);
        encode::write_hmsg(
            &mut msg,
            reply,
            sub.sid(),
            None,
            self.scratch.len(),
            &self.scratch,
        );
        self.reply(&msg);
    }

    fn connect(&mut self, json: &[u8]) -> Result<(), ProtoError> {
        // nats-server's first RTT estimate: the time since the connection was accepted
        // (the first keep-alive PING measures it properly).
        if let Ok(since) = self.me.started_wall.elapsed() {
            self.me.set_rtt(since);
        }
        self.restart_ping = true;
        self.rtt.arm();
        let opts = ConnectOptions::from_json(json).map_err(|_| ProtoError::MalformedJson)?;
        self.connect.apply(opts);
        self.apply_cookies();
        if !(0..=1).contains(&self.connect.protocol) {
            return Err(ProtoError::InvalidClientProtocol);
        }
        if self.connect.legacy_account {
            self.log_auth_error();
            return Err(ProtoError::AuthorizationViolation);
        }
        // Headers count only if the server supports them too.
        let headers = self.connect.headers && !self.cfg.no_header_support;
        if self.connect.no_responders && !headers {
            return Err(ProtoError::NoRespondersRequiresHeaders);
        }
        self.limits.headers = headers;
        self.me.headers.store(headers, Relaxed);
        self.me.echo.store(self.connect.echo, Relaxed);
        {
            let mut meta = self.me.meta.lock();
            meta.name.clone_from(&self.connect.name);
            meta.lang.clone_from(&self.connect.lang);
            meta.version.clone_from(&self.connect.version);
            meta.protocol = self.connect.protocol;
        }
        if self.shared.auth_required_for(self.me.websocket) {
            // Decided by `finish_auth` (off this thread); `+OK` follows the decision.
            self.pending_auth = true;
            return Ok(());
        }
        // Kept for a reload that turns authentication on (see `reload::recheck`).
        *self.me.credentials.lock() = Some((self.connect.clone(), self.nonce.clone()));
        self.ok();
        self.announce();
        Ok(())
    }

    fn subscribe(
        &mut self,
        subject: &[u8],
        queue: Option<&[u8]>,
        sid: &[u8],
    ) -> Result<(), ProtoError> {
        if queue.is_some_and(is_reserved_queue)
            || self
                .perms
                .as_ref()
                .is_some_and(|p| !p.can_subscribe(subject, queue))
        {
            self.permission_violation(PermissionViolation::Subscribe(subject, queue), sid);
            return Ok(());
        }
        let max_subs = self.max_subs();
        {
            let mut subs = self.me.subs.lock();
            // nats-server checks the limit before looking at the sid: at the limit even a
            // duplicate is refused.
            if max_subs.is_some_and(|max| subs.len() >= max) {
                return Err(ProtoError::MaxSubscriptionsExceeded);
            }
            if let Some(existing) = subs.get(sid) {
                if !existing.expired() {
                    drop(subs);
                    self.ok();
                    return Ok(());
                }
                // Dead but not yet removed by the publisher that expired it: replace it.
                if let Some(old) = subs.remove(sid) {
                    self.account.index.remove(&old);
                }
            }
            if !is_valid_subject(subject) {
                return Err(ProtoError::InvalidSubject);
            }
            let sub = SubRef::new(self.me.clone(), subject, queue, sid);
            self.account
                .index
                .insert(sub.clone())
                .map_err(|_| ProtoError::InvalidSubject)?;
            subs.insert(sid.into(), sub);
        }
        if let Some(p) = &self.perms {
            self.me.filter_deliveries_for(p, subject);
        }
        self.ok();
        Ok(())
    }

    fn unsubscribe(&mut self, sid: &[u8], max: Option<u64>) {
        let sub = self.me.subs.lock().get(sid).cloned();
        if let Some(sub) = sub {
            match max {
                Some(max) if sub.delivered.load(Acquire) < max => {
                    sub.max.store(max, Release);
                    // A publisher may have counted a delivery between the load and the store.
                    if sub.delivered.load(Acquire) >= max {
                        subscription::remove(&sub);
                    }
                }
                _ => subscription::remove(&sub),
            }
        }
        self.ok();
    }
}
