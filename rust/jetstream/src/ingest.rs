//! The publish path: one internal subscription per stream on its subjects. Its handler gets
//! every message queued since the last batch, checks and stores each under one lock of the
//! stream, begins **one** sync for the batch (group commit: whatever arrives meanwhile waits
//! in the subscription and forms the next batch) and hands the flush and the PubAcks to the
//! stream's [`Committer`] ([`crate::commit`]), which flushes while the next batch is stored
//! and only then sends the PubAcks, one flush per requester per round. The stream's
//! `subject_transform` is applied to each subject first; `republish`ed copies
//! ([`crate::republish`]) leave after the flush, before the PubAcks.
//!
//! The checks and their order are nats-server 2.10's `processJetStreamMsg`: sealed,
//! `Nats-Expected-Stream`, the `Nats-Msg-Id` duplicate window, `Nats-Expected-Last-Subject-
//! Sequence`, `Nats-Expected-Last-Sequence`, `Nats-Expected-Last-Msg-Id`, `Nats-Rollup`,
//! `max_msg_size`, the header size, the server's storage limits, then the store (whose
//! discard-new refusal is `stream_store_failed`). A refused message gets
//! `{"error":{...},"stream":"S","seq":0}`; a stored one `{"stream":"S", "seq":N}` written
//! with itoa into buffers the committer hands back for reuse.

use std::sync::{Arc, Weak};

use fastnats_server::internal::{InternalBatch, InternalHandler, InternalMsg};

use crate::api::{ApiError, PubAck, PubAckResponse, RetentionPolicy, StorageType, StreamConfig};
use crate::commit::Committer;
use crate::headers;
use crate::republish::Republished;
use crate::stream::{now_nanos, Stream, StreamState};
use crate::Ctx;

/// Header blocks larger than this are refused (`math.MaxUint16`).
const MAX_HEADER: usize = u16::MAX as usize;

/// The ingest handler of one stream.
pub struct Ingest {
    /// The stream (weak: the stream owns the subscription that owns this).
    pub stream: Weak<Stream>,
    /// Shared JetStream state.
    pub ctx: Arc<Ctx>,
    /// Makes each batch durable and answers it, while the next one is stored.
    commit: Arc<Committer>,
}

impl Ingest {
    /// The ingest handler of `stream`.
    #[must_use]
    pub fn new(stream: Weak<Stream>, ctx: Arc<Ctx>) -> Ingest {
        let commit = Committer::new(stream.clone(), ctx.clone());
        Ingest {
            stream,
            ctx,
            commit,
        }
    }
}

/// What became of one message.
enum Outcome {
    /// Stored (or skipped) at this sequence: a PubAck.
    Stored(u64),
    /// A duplicate of the message stored at this sequence.
    Duplicate(u64),
    /// Refused.
    Refused(ApiError),
    /// Refused without a reply (nats-server answers an invalid `Nats-Rollup` with nothing).
    Dropped,
}

impl InternalHandler for Ingest {
    fn deliver(&self, batch: &InternalBatch) {
        let Some(stream) = self.stream.upgrade() else {
            return;
        };
        let mut commit = self.commit.fresh();
        let cfg = stream.config.read();
        let mut st = stream.state.lock();
        let before = st.store.state().bytes;
        let mut stored = false;
        let now = now_nanos();
        if cfg.duplicate_window.0 > 0 {
            st.dedup.expire(now, cfg.duplicate_window.0);
        }
        for m in batch.iter() {
            let outcome = self.process(&cfg, &mut st, &m, now, &mut commit.republished);
            stored |= matches!(outcome, Outcome::Stored(_));
            let Some(reply) = m
                .reply
                .filter(|_| !cfg.no_ack && !matches!(outcome, Outcome::Dropped))
            else {
                continue;
            };
            let start = commit.bodies.len();
            write_ack(&mut commit.bodies, &st.ack_prefix, &cfg.name, outcome);
            commit.ack(reply, start);
        }
        if stored {
            commit.job = Some(st.store.begin_sync().map_err(|e| e.to_string()));
            stream.count_sync();
        }
        commit.last_seq = st.store.state().last_seq;
        let after = st.store.state().bytes;
        self.ctx.add_usage(cfg.storage, after, before);
        drop(st);
        drop(cfg);
        self.commit.submit(commit);
    }
}

impl Ingest {
    fn process(
        &self,
        cfg: &StreamConfig,
        st: &mut StreamState,
        m: &InternalMsg<'_>,
        now: i64,
        republished: &mut Vec<Republished>,
    ) -> Outcome {
        let Ok(subject) = std::str::from_utf8(m.subject) else {
            return Outcome::Refused(ApiError::bad_request());
        };
        let transformed = st
            .rules
            .input
            .as_ref()
            .and_then(|t| t.transform_matching(subject));
        let subject = transformed.as_deref().unwrap_or(subject);
        if cfg.sealed {
            return Outcome::Refused(ApiError::stream_sealed());
        }
        let hdr = m.headers.unwrap_or_default();
        let mut msg_id: Option<&str> = None;
        let (mut rollup_sub, mut rollup_all) = (false, false);
        if !hdr.is_empty() {
            if let Some(name) = headers::get(hdr, headers::EXPECTED_STREAM) {
                if name != cfg.name.as_bytes() {
                    return Outcome::Refused(ApiError::stream_not_match());
                }
            }
            msg_id = headers::get(hdr, headers::MSG_ID).and_then(|v| std::str::from_utf8(v).ok());
            if let Some(id) = msg_id {
                if let Some(seq) = st.dedup.get(id) {
                    return Outcome::Duplicate(seq);
                }
            }
            if let Some(want) = headers::get_u64(hdr, headers::EXPECTED_LAST_SUBJ_SEQ) {
                let have = st.store.last_matching_seq(subject).unwrap_or(0);
                if have != want {
                    return Outcome::Refused(ApiError::stream_wrong_last_sequence(have));
                }
            }
            if let Some(want) = headers::get_u64(hdr, headers::EXPECTED_LAST_SEQ) {
                let have = st.store.state().last_seq;
                if have != want {
                    return Outcome::Refused(ApiError::stream_wrong_last_sequence(have));
                }
            }
            if let Some(want) = headers::get(hdr, headers::EXPECTED_LAST_MSG_ID) {
                if want != st.last_msg_id.as_bytes() {
                    return Outcome::Refused(ApiError::stream_wrong_last_msg_id(&st.last_msg_id));
                }
            }
            if let Some(r) = headers::get(hdr, headers::ROLLUP) {
                if !cfg.allow_rollup_hdrs || cfg.deny_purge {
                    return Outcome::Refused(ApiError::stream_rollup_failed(
                        "rollup not permitted",
                    ));
                }
                match r {
                    b"sub" => rollup_sub = true,
                    b"all" => rollup_all = true,
                    // nats-server returns "rollup value invalid" without a reply.
                    _ => return Outcome::Dropped,
                }
            }
        }
        let size = hdr.len() + m.payload.len();
        if cfg.max_msg_size >= 0 && size > cfg.max_msg_size as usize {
            return Outcome::Refused(ApiError::stream_message_exceeds_maximum());
        }
        if hdr.len() > MAX_HEADER {
            return Outcome::Refused(ApiError::stream_header_exceeds_maximum());
        }
        if let Some(e) =
            self.ctx
                .refuse_store(cfg.storage, subject.len(), hdr.len(), m.payload.len())
        {
            return Outcome::Refused(e);
        }
        // Interest retention with no consumer for this subject: the sequence is consumed
        // without storing (nats-server `SkipMsg`).
        if cfg.retention == RetentionPolicy::Interest && self.interest_skips(subject) {
            return match st.store.skip_msgs(1, now) {
                Ok(seq) => {
                    self.remember(st, msg_id, seq, now, cfg);
                    Outcome::Stored(seq)
                }
                Err(e) => Outcome::Refused(ApiError::stream_store_failed(e)),
            };
        }
        if let Err(limit) = st.store.check_discard_new(
            subject,
            hdr.len(),
            m.payload.len(),
            rollup_sub || rollup_all,
        ) {
            return Outcome::Refused(ApiError::stream_store_failed(limit));
        }
        // Republished messages carry the subject's previous sequence (gap detection).
        let last_of_subject = if st.rules.republish.is_some() {
            st.store.last_matching_seq(subject).unwrap_or(0)
        } else {
            0
        };
        let stored = st
            .store
            .append(subject, (!hdr.is_empty()).then_some(hdr), m.payload, now);
        let seq = match stored {
            Ok((seq, _)) => seq,
            Err(e) => return Outcome::Refused(ApiError::stream_store_failed(e)),
        };
        if let Some(rp) = &st.rules.republish {
            republished.extend(rp.message(
                &cfg.name,
                subject,
                hdr,
                m.payload,
                seq,
                last_of_subject,
                now,
            ));
        }
        self.remember(st, msg_id, seq, now, cfg);
        let purged = if rollup_sub {
            st.store.purge(Some(subject), None, Some(1))
        } else if rollup_all {
            st.store.purge(None, None, Some(1))
        } else {
            Ok(0)
        };
        if let Err(e) = purged {
            fastnats_server::log_at!(
                fastnats_server::log::Level::Error,
                "JetStream rollup on stream '{} > {}' failed: {e}",
                self.ctx.account_name(),
                cfg.name
            );
        }
        Outcome::Stored(seq)
    }

    fn remember(
        &self,
        st: &mut StreamState,
        msg_id: Option<&str>,
        seq: u64,
        now: i64,
        cfg: &StreamConfig,
    ) {
        st.last_msg_id.clear();
        if let Some(id) = msg_id {
            st.last_msg_id.push_str(id);
            if cfg.duplicate_window.0 > 0 {
                st.dedup.insert(id, seq, now);
            }
        }
    }
}

/// Appends the reply for `outcome` to `buf`.
fn write_ack(buf: &mut Vec<u8>, prefix: &[u8], name: &str, outcome: Outcome) {
    let mut digits = itoa::Buffer::new();
    match outcome {
        Outcome::Stored(seq) => {
            buf.extend_from_slice(prefix);
            buf.extend_from_slice(digits.format(seq).as_bytes());
            buf.push(b'}');
        }
        Outcome::Duplicate(seq) => {
            buf.extend_from_slice(prefix);
            buf.extend_from_slice(digits.format(seq).as_bytes());
            buf.extend_from_slice(b",\"duplicate\": true}");
        }
        Outcome::Refused(e) => buf.extend_from_slice(&refusal(name, e)),
        Outcome::Dropped => {}
    }
}

/// `{"error":{...},"stream":"S","seq":0}`: nats-server's reply to a refused publish.
pub(crate) fn refusal(name: &str, error: ApiError) -> Vec<u8> {
    let resp = PubAckResponse {
        error: Some(error),
        ack: Some(PubAck {
            stream: name.to_string(),
            ..PubAck::default()
        }),
    };
    serde_json::to_vec(&resp).unwrap_or_default()
}

/// Whether this storage type is one the server limits count (memory or file).
#[must_use]
pub fn storage_index(storage: StorageType) -> usize {
    match storage {
        StorageType::Memory => 0,
        StorageType::File => 1,
    }
}
