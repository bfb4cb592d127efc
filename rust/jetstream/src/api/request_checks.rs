//! The checks nats-server makes on the bodies of the message endpoints before it touches the
//! stream: STREAM.PURGE, STREAM.MSG.GET, STREAM.MSG.DELETE, CONSUMER.INFO, DIRECT.GET (both
//! forms) and CONSUMER.MSG.NEXT.
//!
//! DIRECT.GET and CONSUMER.MSG.NEXT answer with a status-only message
//! (`NATS/1.0 408 Bad Request\r\n\r\n`), not JSON: their errors are [`StatusReply`]s.

use super::consumer::{ConsumerConfig, NextRequest};
use super::decode::{decode_request, is_empty_request};
use super::errors::ApiError;
use super::msg::{MsgDeleteRequest, MsgGetRequest, PurgeRequest};

/// A status-only reply: `NATS/1.0 <code> <description>\r\n\r\n` with no payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusReply {
    /// The status code: 400, 404, 408, 409.
    pub code: u16,
    /// The description after it.
    pub description: String,
}

impl StatusReply {
    fn new(code: u16, description: impl Into<String>) -> StatusReply {
        StatusReply {
            code,
            description: description.into(),
        }
    }

    /// The header block to send, `NATS/1.0 408 Bad Request\r\n\r\n`.
    #[must_use]
    pub fn header(&self) -> Vec<u8> {
        format!("NATS/1.0 {} {}\r\n\r\n", self.code, self.description).into_bytes()
    }
}

/// STREAM.PURGE's body: none (purge all) or a [`PurgeRequest`] without both `seq` and
/// `keep`.
///
/// # Errors
/// "invalid JSON" or "bad request", as nats-server.
pub fn check_purge(body: &[u8]) -> Result<PurgeRequest, ApiError> {
    if is_empty_request(body) {
        return Ok(PurgeRequest::default());
    }
    let req: PurgeRequest = decode_request(body)?;
    if req.seq > 0 && req.keep > 0 {
        return Err(ApiError::bad_request());
    }
    Ok(req)
}

/// STREAM.MSG.GET's body: exactly one of `seq` (alone or with `next_by_subj`),
/// `last_by_subj` or `next_by_subj`. nats-server 2.10 reads only those three fields here.
///
/// # Errors
/// "bad request" for an empty body or a bad combination, "invalid JSON" for bad JSON.
pub fn check_msg_get(body: &[u8]) -> Result<MsgGetRequest, ApiError> {
    if is_empty_request(body) {
        return Err(ApiError::bad_request());
    }
    let req: MsgGetRequest = decode_request(body)?;
    let (seq, last, next) = (
        req.seq > 0,
        !req.last_by_subj.is_empty(),
        !req.next_by_subj.is_empty(),
    );
    if (seq && last) || (!seq && !last && !next) || (last && next) {
        return Err(ApiError::bad_request());
    }
    Ok(req)
}

/// STREAM.MSG.DELETE's body: required.
///
/// # Errors
/// "bad request" for an empty body, "invalid JSON" for bad JSON.
pub fn check_msg_delete(body: &[u8]) -> Result<MsgDeleteRequest, ApiError> {
    if is_empty_request(body) {
        return Err(ApiError::bad_request());
    }
    decode_request(body)
}

/// CONSUMER.INFO takes no body.
///
/// # Errors
/// [`ApiError::not_empty_request`] when it has one.
pub fn check_empty_request(body: &[u8]) -> Result<(), ApiError> {
    if is_empty_request(body) {
        Ok(())
    } else {
        Err(ApiError::not_empty_request())
    }
}

/// DIRECT.GET's JSON body, checked as nats-server 2.11+ does (2.10's checks with the batch
/// fields added): something must be asked for, and no conflicting options.
///
/// # Errors
/// 408 "Empty Request", "Malformed Request" or "Bad Request".
pub fn check_direct_get(body: &[u8]) -> Result<MsgGetRequest, StatusReply> {
    if body.is_empty() {
        return Err(StatusReply::new(408, "Empty Request"));
    }
    let req: MsgGetRequest =
        decode_request(body).map_err(|_| StatusReply::new(408, "Malformed Request"))?;
    let seq = req.seq > 0;
    let last = !req.last_by_subj.is_empty();
    let next = !req.next_by_subj.is_empty();
    let multi = !req.multi_last.is_empty();
    let start = req.start_time.is_some();
    if !seq && !last && !next && !multi && !start {
        return Err(StatusReply::new(408, "Empty Request"));
    }
    let conflict = (seq && (last || start))
        || (last && (start || next || multi || req.batch > 0))
        || (next && multi)
        || (req.up_to_seq > 0 && req.up_to_time.is_some());
    if conflict {
        return Err(StatusReply::new(408, "Bad Request"));
    }
    Ok(req)
}

/// DIRECT.GET's last-by-subject form, `$JS.API.DIRECT.GET.<stream>.<subject>`: the body
/// must be empty (nats-server 2.10; 2.11+ also takes a JSON body without any selecting
/// field). Returns the request for the last message on `subject`.
///
/// # Errors
/// 408 "Bad Request" for a body.
pub fn check_direct_get_last_by_subject(
    subject: &str,
    body: &[u8],
) -> Result<MsgGetRequest, StatusReply> {
    if !body.is_empty() || subject.is_empty() {
        return Err(StatusReply::new(408, "Bad Request"));
    }
    Ok(MsgGetRequest {
        last_by_subj: subject.to_owned(),
        ..MsgGetRequest::default()
    })
}

/// A pull request's body as nats-server 2.10's `nextReqFromMsg` reads it: empty (one
/// message), a number (that many), or a JSON [`NextRequest`]; any other text is one
/// message. `batch` is 1 for the first two forms and as sent (maybe 0) for JSON.
///
/// # Errors
/// 400 "Bad Request - ..." for bad JSON or a heartbeat over half the expiry. For bad JSON
/// nats-server appends Go's decoder message, which is not reproduced: the description here
/// is "Bad Request - invalid JSON".
pub fn parse_next_request(body: &[u8]) -> Result<NextRequest, StatusReply> {
    let text = body.trim_ascii();
    let one = NextRequest {
        batch: 1,
        ..NextRequest::default()
    };
    if text.is_empty() {
        return Ok(one);
    }
    if text.first() == Some(&b'{') {
        let req: NextRequest = decode_request(text)
            .map_err(|_| StatusReply::new(400, "Bad Request - invalid JSON"))?;
        if req.idle_heartbeat.0 > 0 && req.idle_heartbeat.0.saturating_mul(2) > req.expires.0 {
            return Err(StatusReply::new(
                400,
                "Bad Request - heartbeat value too large",
            ));
        }
        return Ok(req);
    }
    let batch = std::str::from_utf8(text)
        .ok()
        .and_then(go_atoi)
        .unwrap_or(1);
    Ok(NextRequest {
        batch,
        ..NextRequest::default()
    })
}

/// Go's `strconv.Atoi`.
fn go_atoi(s: &str) -> Option<i64> {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// A pull request against the consumer's limits (`max_batch`, `max_expires`, `max_bytes`);
/// the push check comes first.
///
/// # Errors
/// 409 "Consumer is push based" or "Exceeded MaxRequestBatch of 5" and the like.
pub fn check_next_request(cfg: &ConsumerConfig, req: &NextRequest) -> Result<(), StatusReply> {
    if !cfg.is_pull() {
        return Err(StatusReply::new(409, "Consumer is push based"));
    }
    if cfg.max_batch > 0 && req.batch > cfg.max_batch {
        return Err(StatusReply::new(
            409,
            format!("Exceeded MaxRequestBatch of {}", cfg.max_batch),
        ));
    }
    if req.expires.0 > 0 && cfg.max_expires.0 > 0 && req.expires > cfg.max_expires {
        return Err(StatusReply::new(
            409,
            format!("Exceeded MaxRequestExpires of {}", cfg.max_expires),
        ));
    }
    if req.max_bytes > 0 && cfg.max_bytes > 0 && req.max_bytes > cfg.max_bytes {
        return Err(StatusReply::new(
            409,
            format!("Exceeded MaxRequestMaxBytes of {}", cfg.max_bytes),
        ));
    }
    Ok(())
}
