//! `republish`: every stored message whose subject matches the config's `src` is published
//! again, as the server, on the transformed `dest` subject, with the headers nats-server
//! adds (`Nats-Stream`, `Nats-Subject`, `Nats-Sequence`, `Nats-Time-Stamp`,
//! `Nats-Last-Sequence` — the previous sequence of the same subject, 0 for its first — and
//! with `headers_only` `Nats-Msg-Size` instead of the payload). Lightweight clients follow a
//! stream this way without a consumer.
//!
//! nats-server queues the republished message before the PubAck; fastnats sends a batch's
//! republished messages after its sync and before its PubAcks (nothing is republished that
//! is not durable).

use crate::api::transform::SubjectTransform;
use crate::api::{RePublish, Timestamp};
use crate::headers;

/// A stream's republish rule, compiled once per config.
pub struct Republisher {
    transform: SubjectTransform,
    headers_only: bool,
}

/// One message to republish, built under the stream's lock and sent after the sync.
pub struct Republished {
    /// The destination subject.
    pub subject: String,
    /// The header block.
    pub headers: Vec<u8>,
    /// The payload (empty with `headers_only`).
    pub payload: Vec<u8>,
}

impl Republisher {
    /// The rule of `cfg` (`None` when the config has none or it does not compile: the
    /// config checks refuse such a config first).
    #[must_use]
    pub fn new(cfg: Option<&RePublish>) -> Option<Republisher> {
        let rp = cfg?;
        let src = if rp.src.is_empty() { ">" } else { &rp.src };
        let transform = SubjectTransform::new(src, &rp.dest).ok()??;
        Some(Republisher {
            transform,
            headers_only: rp.headers_only,
        })
    }

    /// The message to republish for a message stored at `seq` on `subject` (or `None` when
    /// its subject is not the rule's), `last_seq` the sequence of the same subject before it.
    #[must_use]
    #[allow(clippy::too_many_arguments)] // a stored message's parts and the stream's name
    pub fn message(
        &self,
        stream: &str,
        subject: &str,
        hdr: &[u8],
        payload: &[u8],
        seq: u64,
        last_seq: u64,
        ts: i64,
    ) -> Option<Republished> {
        let dest = self.transform.transform_matching(subject)?;
        if !crate::api::subjects::is_valid_publish_subject(&dest) {
            return None;
        }
        let mut h = hdr.to_vec();
        let mut digits = itoa::Buffer::new();
        headers::append(&mut h, "Nats-Stream", stream);
        headers::append(&mut h, "Nats-Subject", subject);
        headers::append(&mut h, "Nats-Sequence", digits.format(seq));
        headers::append(
            &mut h,
            "Nats-Time-Stamp",
            &Timestamp::from_unix_nanos(ts).to_rfc3339(),
        );
        headers::append(&mut h, "Nats-Last-Sequence", digits.format(last_seq));
        let payload = if self.headers_only {
            headers::append(&mut h, "Nats-Msg-Size", digits.format(payload.len()));
            Vec::new()
        } else {
            payload.to_vec()
        };
        Some(Republished {
            subject: dest,
            headers: h,
            payload,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(src: &str, dest: &str, headers_only: bool) -> Republisher {
        Republisher::new(Some(&RePublish {
            src: src.into(),
            dest: dest.into(),
            headers_only,
        }))
        .unwrap()
    }

    #[test]
    fn adds_nats_servers_headers_in_its_order() {
        let r = rule(">", "rp.>", false);
        let m = r.message("S", "a.b", b"", b"hi", 5, 3, 0).unwrap();
        assert_eq!(m.subject, "rp.a.b");
        assert_eq!(
            std::str::from_utf8(&m.headers).unwrap(),
            "NATS/1.0\r\nNats-Stream: S\r\nNats-Subject: a.b\r\nNats-Sequence: 5\r\n\
             Nats-Time-Stamp: 1970-01-01T00:00:00Z\r\nNats-Last-Sequence: 3\r\n\r\n"
        );
        assert_eq!(m.payload, b"hi");
    }

    #[test]
    fn keeps_the_publishers_headers_and_can_leave_the_payload_out() {
        let r = rule("a.*", "x.{{wildcard(1)}}", true);
        let m = r
            .message("S", "a.q", b"NATS/1.0\r\nK: v\r\n\r\n", b"12345", 1, 0, 0)
            .unwrap();
        assert_eq!(m.subject, "x.q");
        let text = std::str::from_utf8(&m.headers).unwrap();
        assert!(
            text.starts_with("NATS/1.0\r\nK: v\r\nNats-Stream: S\r\n"),
            "{text}"
        );
        assert!(text.ends_with("Nats-Msg-Size: 5\r\n\r\n"), "{text}");
        assert!(m.payload.is_empty());
        assert!(r.message("S", "b.q", b"", b"", 1, 0, 0).is_none());
    }
}
