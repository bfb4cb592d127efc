//! DIRECT.GET: a stream with `allow_direct` subscribes `$JS.API.DIRECT.GET.<stream>` (JSON
//! body) and `$JS.API.DIRECT.GET.<stream>.>` (last message on the rest of the subject) and
//! answers with the message itself, its headers extended with `Nats-Stream`,
//! `Nats-Subject`, `Nats-Sequence` and `Nats-Time-Stamp` (nats-server's
//! `getDirectRequest`), or a status-only reply (404 Message Not Found, 408 ...). Batch
//! and multi-last requests are answered by [`batch`].

mod batch;

use std::sync::Weak;

use fastnats_server::internal::{InternalBatch, InternalHandler, InternalMsg};
use fastnats_store::StoredMsg;

use crate::api::{check_direct_get, check_direct_get_last_by_subject, MsgGetRequest, Timestamp};
use crate::headers;
use crate::stream::{Stream, StreamState};
use crate::Ctx;

/// The message a get request names: `seq`, `next_by_subj` from `seq`, or `last_by_subj`.
///
/// # Errors
/// The store's.
pub fn lookup(stream: &Stream, req: &MsgGetRequest) -> fastnats_store::Result<Option<StoredMsg>> {
    lookup_in(&stream.state.lock(), req)
}

/// [`lookup`] in a stream state already locked.
fn lookup_in(st: &StreamState, req: &MsgGetRequest) -> fastnats_store::Result<Option<StoredMsg>> {
    if !req.next_by_subj.is_empty() {
        st.store
            .next_matching(req.seq, &[req.next_by_subj.as_str()])
    } else if req.seq > 0 {
        st.store.get(req.seq)
    } else {
        st.store.last_for_subject(&req.last_by_subj)
    }
}

/// The direct-get handler of one stream.
pub struct Direct {
    /// The stream.
    pub stream: Weak<Stream>,
    /// Shared JetStream state.
    pub ctx: std::sync::Arc<Ctx>,
    /// `$JS.API.DIRECT.GET.<stream>.`, to cut the subject off the last-by-subject form.
    pub prefix: String,
}

impl InternalHandler for Direct {
    fn deliver(&self, batch: &InternalBatch) {
        let Some(stream) = self.stream.upgrade() else {
            return;
        };
        let mut hdr = Vec::with_capacity(256);
        for m in batch.iter() {
            let Some((reply, req)) = self.request(&m) else {
                continue;
            };
            if batch::is_multi(&req) {
                for r in batch::replies(&stream, &req) {
                    self.ctx.reply(reply, Some(&r.hdr), &r.payload);
                }
            } else {
                self.answer(&stream, reply, lookup(&stream, &req), &mut hdr);
            }
        }
    }

    /// One single get (what a KV get sends) is answered on the delivery task when the
    /// stream's lock is free: a lookup in the index and one read, no thread hand-off. The
    /// lock is released before the reply is published, as everywhere.
    fn try_deliver_now(&self, batch: &InternalBatch) -> bool {
        let mut msgs = batch.iter();
        let (Some(m), None) = (msgs.next(), msgs.next()) else {
            return false;
        };
        let Some(stream) = self.stream.upgrade() else {
            return true;
        };
        let Some((reply, req)) = self.request(&m) else {
            return true;
        };
        if batch::is_multi(&req) {
            return false;
        }
        let Some(st) = stream.state.try_lock() else {
            return false;
        };
        let found = lookup_in(&st, &req);
        drop(st);
        self.answer(&stream, reply, found, &mut Vec::with_capacity(256));
        true
    }
}

impl Direct {
    /// The reply subject and the checked request of `m`; `None` when there is nothing more
    /// to do (no reply subject, or a bad request already answered with its status).
    fn request<'m>(&self, m: &InternalMsg<'m>) -> Option<(&'m [u8], MsgGetRequest)> {
        let reply = m.reply?;
        let subject = std::str::from_utf8(m.subject).unwrap_or_default();
        let req = match subject.strip_prefix(self.prefix.as_str()) {
            Some(rest) => check_direct_get_last_by_subject(rest, m.payload),
            None => check_direct_get(m.payload),
        };
        match req {
            Ok(r) => Some((reply, r)),
            Err(status) => {
                self.ctx.reply(reply, Some(&status.header()), b"");
                None
            }
        }
    }

    /// Answers a single get with the message found (its headers extended) or 404.
    fn answer(
        &self,
        stream: &Stream,
        reply: &[u8],
        found: fastnats_store::Result<Option<StoredMsg>>,
        hdr: &mut Vec<u8>,
    ) {
        match found {
            Ok(Some(msg)) => {
                hdr.clear();
                hdr.extend_from_slice(msg.headers.as_deref().unwrap_or_default());
                let ts = Timestamp::from_unix_nanos(msg.ts).to_rfc3339();
                let mut seq = itoa::Buffer::new();
                headers::append(hdr, "Nats-Stream", &stream.name);
                headers::append(hdr, "Nats-Subject", &msg.subject);
                headers::append(hdr, "Nats-Sequence", seq.format(msg.seq));
                headers::append(hdr, "Nats-Time-Stamp", &ts);
                self.ctx.reply(reply, Some(hdr), &msg.payload);
            }
            _ => self
                .ctx
                .reply(reply, Some(b"NATS/1.0 404 Message Not Found\r\n\r\n"), b""),
        }
    }
}
