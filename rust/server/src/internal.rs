//! The server's own client: messages the embedding application publishes into the engine
//! (`fastnats.Server.publish` in Python) without a socket.
//!
//! An internal publish takes the path a client's `PUB` takes after parsing — the same
//! subject checks, the same [`Delivery`] core, the same account index — so subscribers
//! cannot tell it from a message a connected client sent. It runs on the caller's thread
//! (never the GIL-free network threads' business): one lock of this client's delivery state,
//! the fan-out, and the flush of the recipients, as at the end of a client's read.
//!
//! The internal client is a [`Connection`] of [`Kind::Internal`] with id 0 that is never
//! registered, so monitoring does not list it; its counters still count in the server's.

use std::sync::Arc;

use fastnats_proto::Publish;
use fastnats_sublist::is_valid_literal_subject;
use parking_lot::Mutex;

use crate::account::Account;
use crate::connection::Connection;
use crate::delivery::{Delivery, Origin};
use crate::kind::Kind;
use crate::stats::ServerStats;

/// Why an internal publish was refused (the message is not delivered).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PublishError {
    /// The subject is empty, has empty tokens or wildcards (a `PUB` subject must be literal).
    #[error("invalid subject {0:?}")]
    InvalidSubject(String),
    /// The reply subject is not a valid literal subject.
    #[error("invalid reply subject {0:?}")]
    InvalidReply(String),
    /// Headers and payload together exceed `max_payload`.
    #[error("maximum payload exceeded: {size} bytes, max_payload is {max}")]
    PayloadTooLarge {
        /// Headers plus payload, in bytes.
        size: usize,
        /// The server's `max_payload`.
        max: usize,
    },
}

/// The server's own publishing client.
pub struct InternalClient {
    conn: Arc<Connection>,
    delivery: Mutex<Delivery>,
}

impl InternalClient {
    /// The internal client of `account`.
    pub(crate) fn new(account: Arc<Account>, stats: Arc<ServerStats>) -> Self {
        let addr = std::net::SocketAddr::from(([0, 0, 0, 0], 0));
        InternalClient {
            conn: Arc::new(Connection::new(0, Kind::Internal, account, 0, addr)),
            delivery: Mutex::new(Delivery::new(stats)),
        }
    }

    /// Publishes one message: `headers` is a complete header block (`NATS/1.0\r\n...\r\n\r\n`)
    /// or `None`. Returns how many subscribers got it (plain ones, plus one per queue group).
    pub fn publish(
        &self,
        subject: &[u8],
        reply: Option<&[u8]>,
        headers: Option<&[u8]>,
        payload: &[u8],
        max_payload: usize,
    ) -> Result<usize, PublishError> {
        let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        if !is_valid_literal_subject(subject) {
            return Err(PublishError::InvalidSubject(text(subject)));
        }
        if let Some(r) = reply {
            if !is_valid_literal_subject(r) {
                return Err(PublishError::InvalidReply(text(r)));
            }
        }
        let header_len = headers.map_or(0, <[u8]>::len);
        let size = header_len + payload.len();
        if size > max_payload {
            return Err(PublishError::PayloadTooLarge {
                size,
                max: max_payload,
            });
        }
        let mut data = Vec::with_capacity(size);
        data.extend_from_slice(headers.unwrap_or_default());
        data.extend_from_slice(payload);
        let mut size_digits = itoa::Buffer::new();
        let mut header_digits = itoa::Buffer::new();
        let msg = Publish {
            subject,
            reply,
            header_len: (header_len > 0).then_some(header_len),
            data: &data,
            size_field: size_digits.format(size).as_bytes(),
            header_field: if header_len > 0 {
                header_digits.format(header_len).as_bytes()
            } else {
                b""
            },
        };
        let from = Origin {
            cid: self.conn.cid,
            echo: true,
        };
        let mut delivery = self.delivery.lock();
        delivery.count_in(size);
        let delivered = delivery.route(&self.conn.account, from, &msg);
        delivery.end_batch(&self.conn, false);
        Ok(delivered)
    }
}
