//! The two halves of a WebSocket client's socket, under [`crate::io::ReadSock`] and
//! [`crate::io::WriteSock`]: the reader sees the NATS bytes the frames carry, the writer's
//! bytes leave as frames.
//!
//! The halves share a [`Link`]: the read half queues the answers to control frames there
//! (a pong, the close frame) and wakes the connection's writer, which sends the pongs before
//! its next data and the close frame after its last.

use std::io;
use std::sync::Arc;

use fastnats_proto::CloseReason;
use parking_lot::Mutex;

use crate::io::{ReadSock, WriteSock};
use fastnats_proto::ws::{close_frame_for, Control, DecodeError, Decoder, Encoder};

/// What the read half hands the write half.
#[derive(Debug, Default)]
pub struct Link {
    /// Framed pongs waiting to go out.
    replies: Mutex<Vec<u8>>,
    /// The close frame to send last, once decided (the client's close echoed, or a
    /// protocol error's); the server's own close otherwise.
    close: Mutex<Option<Vec<u8>>>,
}

/// Wakes the connection's writer (the read half does not know the connection).
pub type Wake = Box<dyn Fn() + Send + Sync>;

/// The read half: raw bytes in, NATS bytes out.
pub struct WsRead {
    inner: ReadSock,
    raw: Vec<u8>,
    decoder: Decoder,
    link: Arc<Link>,
    wake: Wake,
    /// Reading is over (a close frame or a frame error): the next read reports it.
    done: Option<io::Result<usize>>,
}

/// The write half: each write goes out as frames.
pub struct WsWrite {
    inner: WriteSock,
    encoder: Encoder,
    frames: Vec<u8>,
    link: Arc<Link>,
    /// A write was abandoned part way (a slow consumer cut off): the stream ends inside a
    /// frame, so no close frame can follow.
    broken: bool,
}

/// Makes the two halves of an upgraded connection.
pub fn split(
    rd: ReadSock,
    wr: WriteSock,
    decoder: Decoder,
    encoder: Encoder,
    wake: Wake,
) -> (WsRead, WsWrite) {
    let link = Arc::new(Link::default());
    (
        WsRead {
            inner: rd,
            raw: Vec::new(),
            decoder,
            link: link.clone(),
            wake,
            done: None,
        },
        WsWrite {
            inner: wr,
            encoder,
            frames: Vec::new(),
            link,
            broken: false,
        },
    )
}

/// Raw bytes read at once.
const RAW_READ: usize = 64 * 1024;

impl WsRead {
    /// Decodes what `raw` holds into `buf`; `Some(result)` ends reading (with the close
    /// frame queued for the writer).
    fn decode_raw(&mut self, buf: &mut Vec<u8>) -> Option<io::Result<usize>> {
        let before = buf.len();
        let mut control = Control::default();
        let result = self.decoder.decode(&mut self.raw, buf, &mut control);
        self.raw.clear();
        if self.raw.capacity() > RAW_READ {
            self.raw = Vec::new();
        }
        let mut wake = false;
        if !control.replies.is_empty() {
            self.link.replies.lock().extend_from_slice(&control.replies);
            wake = true;
        }
        let end = match result {
            Ok(()) => control.close.map(|frame| {
                *self.link.close.lock() = Some(frame);
                Ok(0)
            }),
            Err(DecodeError::Protocol(message)) => {
                let mut frame = Vec::new();
                fastnats_proto::ws::frame_into(
                    &mut frame,
                    fastnats_proto::ws::OP_CLOSE,
                    &fastnats_proto::ws::close_payload(
                        fastnats_proto::ws::status::PROTOCOL_ERROR,
                        &message,
                    ),
                );
                *self.link.close.lock() = Some(frame);
                Some(Err(io::Error::new(io::ErrorKind::InvalidData, message)))
            }
            Err(DecodeError::MaxPayload) => Some(Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "maximum payload exceeded",
            ))),
            Err(DecodeError::Inflate) => Some(Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "invalid compressed data",
            ))),
        };
        if wake {
            (self.wake)();
        }
        if let Some(end) = end {
            // Data decoded before the end is handed over first.
            let n = buf.len() - before;
            self.done = Some(end);
            if n > 0 {
                return Some(Ok(n));
            }
            return self.done.take();
        }
        let n = buf.len() - before;
        (n > 0).then_some(Ok(n))
    }

    /// Reads until some NATS bytes are decoded into `buf` (or the end).
    pub async fn read_buf(&mut self, buf: &mut Vec<u8>, want: usize) -> io::Result<usize> {
        loop {
            if let Some(end) = self.done.take() {
                return end;
            }
            let n = self
                .inner
                .read_buf(&mut self.raw, want.min(RAW_READ))
                .await?;
            if n == 0 {
                return Ok(0);
            }
            if let Some(r) = self.decode_raw(buf) {
                return r;
            }
        }
    }

    /// Decodes what the socket has now without waiting (`WouldBlock` when that is no NATS
    /// bytes).
    pub fn try_read_buf(&mut self, buf: &mut Vec<u8>) -> io::Result<usize> {
        loop {
            if let Some(end) = self.done.take() {
                return end;
            }
            self.raw.reserve(RAW_READ);
            let n = self.inner.try_read_buf(&mut self.raw)?;
            if n == 0 {
                return Ok(0);
            }
            if let Some(r) = self.decode_raw(buf) {
                return r;
            }
        }
    }

    /// Sets the inflated-message limit (the client's `max_payload` once known).
    pub fn set_max_payload(&mut self, max_payload: usize) {
        self.decoder.set_max_payload(max_payload);
    }
}

impl WsWrite {
    /// Whether pongs wait to be sent.
    pub fn has_replies(&self) -> bool {
        !self.link.replies.lock().is_empty()
    }

    /// Writes the waiting pongs, then `data` as frames.
    pub async fn write_all(&mut self, data: &[u8]) -> io::Result<()> {
        // Cleared when the write completes; a write dropped part way leaves it set.
        self.broken = true;
        self.frames.clear();
        {
            let mut replies = self.link.replies.lock();
            self.frames.extend_from_slice(&replies);
            replies.clear();
        }
        let result = if !data.is_empty() && self.encoder.is_single_frame(data) {
            // The common case: one header in front of the bytes, written without a copy.
            Encoder::header(&mut self.frames, data.len());
            self.inner.write_all_parts(&self.frames, data).await
        } else {
            self.encoder.encode(data, &mut self.frames);
            self.inner.write_all(&self.frames).await
        };
        if self.frames.capacity() > 4 * 1024 * 1024 {
            self.frames = Vec::new();
        }
        self.broken = result.is_err();
        result
    }

    /// The close frame (the one decided by the read half, else one for `reason`), then the
    /// socket's shutdown.
    pub async fn close(&mut self, reason: Option<CloseReason>) -> io::Result<()> {
        if self.broken {
            return self.inner.shutdown(None).await;
        }
        let frame = self
            .link
            .close
            .lock()
            .take()
            .unwrap_or_else(|| close_frame_for(reason.unwrap_or(CloseReason::ServerShutdown)));
        self.frames.clear();
        {
            let mut replies = self.link.replies.lock();
            self.frames.extend_from_slice(&replies);
            replies.clear();
        }
        self.frames.extend_from_slice(&frame);
        let _ = self.inner.write_all(&self.frames).await;
        self.inner.shutdown(None).await
    }
}
