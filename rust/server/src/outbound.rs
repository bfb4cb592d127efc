//! The outbound queue of one recipient: the bytes waiting to be written to its socket, and
//! how a message is framed for it.
//!
//! Producers (publishers' readers delivering to this connection, its own reader answering
//! PING) append under the connection's lock; the bytes leave either in place, with one
//! non-blocking write by the producer at the end of its read ([`Outbound::write_in_place`]),
//! or through the connection's writer task ([`crate::writer`]), which swaps the whole buffer
//! out so the lock is never held across a blocking write.

use fastnats_proto::{encode, CloseReason, Publish};

use crate::kind::Kind;

/// Largest outbound buffer a producer writes in place at the end of its read; larger ones are
/// left to the connection's writer task.
const INLINE_FLUSH_MAX: usize = 256 * 1024;
/// Outbound buffers up to this capacity are freed once flushed.
const SMALL_BUFFER: usize = 4 * 1024;

/// How a closing connection treats bytes still queued for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CloseMode {
    /// Write what is queued (an `-ERR`, the last messages), then close.
    Flush,
    /// Drop what is queued and close now (slow consumer, write error).
    Discard,
}

/// The outbound queue, guarded by [`crate::connection::Connection::out`].
#[derive(Debug, Default)]
pub struct Outbound {
    /// The socket's write half while nobody is writing to it. The writer task takes it out
    /// for a blocking write (so `None` also means "a write is in progress"); a producer may
    /// use it in place for one non-blocking write. A connection without a socket (tests of
    /// the delivery core) only queues.
    pub socket: Option<crate::io::WriteSock>,
    /// Bytes waiting for the writer.
    pub buf: Vec<u8>,
    /// Bytes the writer took out of `buf` and is still writing: they count as pending for
    /// the slow-consumer limit and the producer stall, as in nats-server.
    pub in_flight: usize,
    /// Set once: why and how the connection closes.
    pub close: Option<(CloseReason, CloseMode)>,
    /// Messages and bytes delivered to this connection (counted where they are queued).
    pub msgs: u64,
    /// Payload bytes delivered to this connection.
    pub bytes: u64,
}

impl Outbound {
    /// Bytes queued or being written.
    #[inline]
    pub fn pending(&self) -> usize {
        self.buf.len() + self.in_flight
    }

    /// Bytes `msg` takes in this queue when delivered to subscription `sid`, framed for
    /// `kind` (the slow-consumer check runs before anything is appended).
    #[inline]
    pub fn msg_size(kind: Kind, msg: &Publish<'_>, sid: &[u8], headers: bool) -> usize {
        match kind {
            Kind::Client => {
                let (header_len, data) = client_view(msg, headers);
                encode::msg_line_len(msg.subject, sid, msg.reply, (0, header_len)) + data.len() + 2
            }
            Kind::Internal => crate::internal::record_len(msg),
            Kind::Route | Kind::Leaf => Self::routed_size(sid, msg, &[]),
        }
    }

    /// Bytes `msg` takes as `RMSG`/`HMSG` in `account` naming `queues`.
    #[inline]
    pub fn routed_size(account: &[u8], msg: &Publish<'_>, queues: &[&[u8]]) -> usize {
        fastnats_proto::route::routed_msg_line_len(account, msg, queues.iter().copied())
            + msg.data.len()
            + 2
    }

    /// Appends `msg` as `RMSG`/`HMSG` in `account` for the queue groups `queues` (a route
    /// recipient), or as `LMSG`/`HMSG` when `leaf` (the account is the connection's);
    /// returns the payload bytes counted as delivered.
    #[inline]
    pub fn push_routed(
        &mut self,
        account: &[u8],
        msg: &Publish<'_>,
        queues: &[&[u8]],
        leaf: bool,
    ) -> usize {
        let queues = queues.iter().copied();
        if leaf {
            fastnats_proto::route::write_leaf_msg(&mut self.buf, msg, queues);
        } else {
            fastnats_proto::route::write_routed_msg(&mut self.buf, account, msg, queues);
        }
        self.msgs += 1;
        self.bytes += msg.data.len() as u64;
        msg.data.len()
    }

    /// Appends `msg` for subscription `sid`, framed for `kind`; returns the payload bytes
    /// counted as delivered. `headers` is whether the recipient takes headers: one that
    /// did not negotiate them gets the payload only, as nats-server strips them.
    #[inline]
    pub fn push_msg(&mut self, kind: Kind, msg: &Publish<'_>, sid: &[u8], headers: bool) -> usize {
        match kind {
            Kind::Route => self.push_routed(sid, msg, &[], false),
            Kind::Leaf => self.push_routed(sid, msg, &[], true),
            Kind::Internal => {
                crate::internal::write_record(&mut self.buf, msg);
                self.msgs += 1;
                self.bytes += msg.data.len() as u64;
                msg.data.len()
            }
            Kind::Client => {
                let (header_len, data) = client_view(msg, headers);
                match (msg.header_len, header_len) {
                    // Headers stripped for this subscriber: the size is recomputed.
                    (Some(_), None) => encode::write_msg_line(
                        &mut self.buf,
                        msg.subject,
                        sid,
                        msg.reply,
                        None,
                        data.len(),
                    ),
                    // Otherwise the publisher's size digits are echoed, as nats-server does.
                    _ => encode::write_msg_line_raw(
                        &mut self.buf,
                        msg.subject,
                        sid,
                        msg.reply,
                        header_len.map(|_| msg.header_field),
                        msg.size_field,
                    ),
                }
                self.buf.extend_from_slice(data);
                self.buf.extend_from_slice(encode::CRLF);
                self.msgs += 1;
                self.bytes += data.len() as u64;
                data.len()
            }
        }
    }

    /// Sends what is queued with one non-blocking write when the socket is idle and the batch
    /// small (nats-server also flushes in the producer when it can, saving a hand-off to the
    /// writer: a context switch per batch on the request/reply path). Returns whether the
    /// queue is now empty; what the socket did not take is left for the writer.
    pub fn write_in_place(&mut self) -> bool {
        if self.close.is_some() || self.buf.is_empty() || self.buf.len() > INLINE_FLUSH_MAX {
            return self.buf.is_empty();
        }
        let Some(socket) = &self.socket else {
            return false;
        };
        match socket.try_write(&self.buf) {
            Ok(n) if n == self.buf.len() => {
                // Small buffers are released (an idle connection then holds none); large
                // ones are kept for the next burst.
                if self.buf.capacity() <= SMALL_BUFFER {
                    self.buf = Vec::new();
                } else {
                    self.buf.clear();
                }
                true
            }
            Ok(n) => {
                self.buf.drain(..n);
                false
            }
            // WouldBlock, or an error the writer will meet and report.
            Err(_) => false,
        }
    }
}

/// What a client recipient gets of `msg`: the header length to announce (none when it did
/// not negotiate headers) and the bytes to copy.
#[inline]
fn client_view<'a>(msg: &Publish<'a>, headers: bool) -> (Option<usize>, &'a [u8]) {
    let header_len = msg.header_len.filter(|_| headers);
    let data = if header_len.is_some() {
        msg.data
    } else {
        msg.payload()
    };
    (header_len, data)
}
