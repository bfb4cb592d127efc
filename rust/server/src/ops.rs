//! Dispatch of client ops other than publishing: CONNECT, SUB, UNSUB, PING/PONG, and the
//! ops a client may send that the server ignores or closes on.
//!
//! Order of checks follows nats-server's `client.go` so that the same input produces the same
//! bytes: e.g. SUB checks max_subscriptions before the subject, and a duplicate sid is
//! silently accepted.

use std::sync::atomic::AtomicU64;
use std::sync::atomic::Ordering::{Acquire, Relaxed, Release};
use std::sync::Arc;

use fastnats_proto::error::PermissionViolation;
use fastnats_proto::{encode, ClientOp, ConnectOptions, ProtoError};

use crate::auth::is_reserved_queue;
use fastnats_sublist::is_valid_subject;

use crate::conn::Conn;
use crate::server::Shared;
use crate::subs::{SubRef, Subscription};

impl Conn {
    /// Handles one op. A returned error is sent (and closes) by the caller.
    pub(crate) fn dispatch(&mut self, op: ClientOp<'_>) -> Result<(), ProtoError> {
        if !self.authed && !matches!(op, ClientOp::Connect(_)) {
            // Auth required and no CONNECT yet: only a no_auth_user lets the client in.
            match self.shared.authorizer().no_auth_identity() {
                Some(id) => {
                    self.authorize(id);
                    self.announce();
                }
                None => return Err(ProtoError::AuthorizationViolation),
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
                self.me.queue(encode::PONG);
                self.flush.add(&self.me);
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
                // Accepted and ignored, but it must be JSON.
                serde_json::from_slice::<serde_json::Value>(json)
                    .map(|_| ())
                    .map_err(|_| ProtoError::MalformedJson)
            }
            ClientOp::Ok => Ok(()),
            ClientOp::Err(text) => {
                crate::log_at!(
                    crate::log::Level::Debug,
                    "{} - cid:{} - Client error: {}",
                    self.me.addr,
                    self.me.cid,
                    String::from_utf8_lossy(text)
                );
                Err(ProtoError::ClientError)
            }
        }
    }

    /// Queues `+OK` when the client asked for verbose acks.
    #[inline]
    pub(crate) fn ok(&mut self) {
        if self.connect.verbose {
            self.me.queue(encode::OK);
            self.flush.add(&self.me);
        }
    }

    fn connect(&mut self, json: &[u8]) -> Result<(), ProtoError> {
        let opts = ConnectOptions::from_json(json).map_err(|_| ProtoError::MalformedJson)?;
        self.connect.apply(opts);
        if !(0..=1).contains(&self.connect.protocol) {
            return Err(ProtoError::InvalidClientProtocol);
        }
        if self.connect.legacy_account {
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
        if self.shared.auth_required() {
            // Decided by `finish_auth` (off this thread); `+OK` follows the decision.
            self.pending_auth = true;
            return Ok(());
        }
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
            self.permission_violation(PermissionViolation::Subscribe(subject, queue));
            return Ok(());
        }
        let max_subs = self.cfg.max_subscriptions;
        {
            let mut subs = self.me.subs.lock();
            // nats-server checks the limit before looking at the sid: at the limit even a
            // duplicate is refused.
            if max_subs > 0 && subs.len() >= max_subs {
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
                    self.shared.index.remove(&old);
                }
            }
            if !is_valid_subject(subject) {
                return Err(ProtoError::InvalidSubject);
            }
            let sub = SubRef(Arc::new(Subscription {
                client: self.me.clone(),
                subject: subject.into(),
                queue: queue.map(Into::into),
                sid: sid.into(),
                max: AtomicU64::new(0),
                delivered: AtomicU64::new(0),
            }));
            self.shared
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
                        remove_subscription(&self.shared, &sub);
                    }
                }
                _ => remove_subscription(&self.shared, &sub),
            }
        }
        self.ok();
    }
}

/// Removes a subscription from the index and from its connection's sid map (if the map still
/// holds this very subscription). Safe to call twice.
pub(crate) fn remove_subscription(shared: &Shared, sub: &SubRef) {
    {
        let mut subs = sub.client.subs.lock();
        if subs.get(&sub.sid).is_some_and(|s| s == sub) {
            subs.remove(&sub.sid);
        }
    }
    shared.index.remove(sub);
}
