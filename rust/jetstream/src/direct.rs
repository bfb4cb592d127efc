//! DIRECT.GET: a stream with `allow_direct` subscribes `$JS.API.DIRECT.GET.<stream>` (JSON
//! body) and `$JS.API.DIRECT.GET.<stream>.>` (last message on the rest of the subject) and
//! answers with the message itself, its headers extended with `Nats-Stream`,
//! `Nats-Subject`, `Nats-Sequence` and `Nats-Time-Stamp` (nats-server's
//! `getDirectRequest`), or a status-only reply (404 Message Not Found, 408 ...). Batch
//! and multi-last requests are answered by [`batch`].

mod batch;

use std::sync::Weak;

use fastnats_server::internal::{InternalBatch, InternalHandler};
use fastnats_store::StoredMsg;

use crate::api::{check_direct_get, check_direct_get_last_by_subject, MsgGetRequest, Timestamp};
use crate::headers;
use crate::stream::Stream;
use crate::Ctx;

/// The message a get request names: `seq`, `next_by_subj` from `seq`, or `last_by_subj`.
///
/// # Errors
/// The store's.
pub fn lookup(stream: &Stream, req: &MsgGetRequest) -> fastnats_store::Result<Option<StoredMsg>> {
    let st = stream.state.lock();
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
            let Some(reply) = m.reply else {
                continue;
            };
            let subject = std::str::from_utf8(m.subject).unwrap_or_default();
            let req = match subject.strip_prefix(self.prefix.as_str()) {
                Some(rest) => check_direct_get_last_by_subject(rest, m.payload),
                None => check_direct_get(m.payload),
            };
            let req = match req {
                Ok(r) => r,
                Err(status) => {
                    self.ctx.reply(reply, Some(&status.header()), b"");
                    continue;
                }
            };
            if batch::is_multi(&req) {
                for r in batch::replies(&stream, &req) {
                    self.ctx.reply(reply, Some(&r.hdr), &r.payload);
                }
                continue;
            }
            match lookup(&stream, &req) {
                Ok(Some(msg)) => {
                    hdr.clear();
                    hdr.extend_from_slice(msg.headers.as_deref().unwrap_or_default());
                    let ts = Timestamp::from_unix_nanos(msg.ts).to_rfc3339();
                    let mut seq = itoa::Buffer::new();
                    headers::append(&mut hdr, "Nats-Stream", &stream.name);
                    headers::append(&mut hdr, "Nats-Subject", &msg.subject);
                    headers::append(&mut hdr, "Nats-Sequence", seq.format(msg.seq));
                    headers::append(&mut hdr, "Nats-Time-Stamp", &ts);
                    self.ctx.reply(reply, Some(&hdr), &msg.payload);
                }
                _ => self
                    .ctx
                    .reply(reply, Some(b"NATS/1.0 404 Message Not Found\r\n\r\n"), b""),
            }
        }
    }
}
