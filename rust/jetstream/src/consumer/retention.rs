//! Interest and work-queue retention (nats-server's `ackMsg`, `checkInterest`,
//! `needAck`):
//!
//! - work queue: a message acked by its consumer (or delivered, for an ack-none consumer)
//!   is removed from the stream;
//! - interest: a message is stored only when some consumer's filters match its subject
//!   ([`Ingest::interest_skips`]), and removed once no consumer whose filters match still
//!   needs it (each has acked it, or it is below its ack floor). When a consumer is deleted,
//!   the messages only it held go too ([`release_unneeded`]).
//!
//! Called with no consumer lock held: each consumer's lock is taken in turn, then the
//! stream's.

use std::sync::Arc;

use crate::api::RetentionPolicy;
use crate::ingest::Ingest;
use crate::stream::Stream;
use crate::Ctx;

use super::Consumer;

impl Ingest {
    /// Interest retention with no consumer interested in `subject`: the message is not
    /// stored (its sequence is used up, as nats-server's `SkipMsg`).
    #[must_use]
    pub fn interest_skips(&self, subject: &str) -> bool {
        self.stream
            .upgrade()
            .map_or(true, |s| !s.consumers.interested(subject))
    }
}

/// `by` released stream sequences `seqs` (acked, or delivered without acks).
pub fn released(ctx: &Ctx, stream: &Arc<Stream>, by: &Consumer, seqs: &[u64]) {
    let retention = stream.config.read().retention;
    let remove: Vec<u64> = match retention {
        RetentionPolicy::Limits => return,
        RetentionPolicy::WorkQueue => seqs.to_vec(),
        RetentionPolicy::Interest => {
            let others: Vec<Arc<Consumer>> = stream
                .consumers
                .all()
                .into_iter()
                .filter(|c| !std::ptr::eq(c.as_ref(), by))
                .collect();
            let subjects: Vec<(u64, Option<Arc<str>>)> = {
                let st = stream.state.lock();
                seqs.iter()
                    .map(|&s| (s, st.store.get(s).ok().flatten().map(|m| m.subject)))
                    .collect()
            };
            subjects
                .into_iter()
                .filter_map(|(seq, subject)| {
                    let subject = subject?;
                    let needed = others
                        .iter()
                        .any(|c| c.matches(&subject) && c.state.lock().needs_ack(seq));
                    (!needed).then_some(seq)
                })
                .collect()
        }
    };
    remove_all(ctx, stream, &remove);
}

/// After a consumer of an interest stream is deleted: removes every message no remaining
/// consumer needs (all of them when none remains).
pub fn release_unneeded(ctx: &Ctx, stream: &Arc<Stream>) {
    let consumers = stream.consumers.all();
    let storage = stream.config.read().storage;
    if consumers.is_empty() {
        let mut st = stream.state.lock();
        let before = st.store.state().bytes;
        let _ = st.store.purge(None, None, None);
        ctx.add_usage(storage, st.store.state().bytes, before);
        return;
    }
    let candidates: Vec<(u64, Arc<str>)> = {
        let st = stream.state.lock();
        let mut out = Vec::new();
        let mut seq = st.store.state().first_seq;
        while let Some(s) = st.store.next_matching_seq(seq, &[]) {
            if let Ok(Some(m)) = st.store.get(s) {
                out.push((s, m.subject));
            }
            seq = s + 1;
        }
        out
    };
    let remove: Vec<u64> = candidates
        .into_iter()
        .filter(|(seq, subject)| {
            !consumers
                .iter()
                .any(|c| c.matches(subject) && c.state.lock().needs_ack(*seq))
        })
        .map(|(seq, _)| seq)
        .collect();
    remove_all(ctx, stream, &remove);
}

fn remove_all(ctx: &Ctx, stream: &Stream, seqs: &[u64]) {
    if seqs.is_empty() {
        return;
    }
    let storage = stream.config.read().storage;
    let mut st = stream.state.lock();
    let before = st.store.state().bytes;
    for &seq in seqs {
        let _ = st.store.remove(seq, false);
    }
    ctx.add_usage(storage, st.store.state().bytes, before);
}
