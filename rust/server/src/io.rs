//! A connection's two socket halves, plain TCP or TLS.
//!
//! Plain TCP halves support the non-blocking `try_read`/`try_write` the in-place flush and
//! the cross-read batching use; TLS halves report `WouldBlock` there, which sends the work
//! to the writer task (and a blocking read) instead.

use std::io;

use tokio::io::{AsyncReadExt, AsyncWriteExt, ReadHalf, WriteHalf};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::TcpStream;
use tokio_rustls::TlsStream;

/// The read half of a connection's socket.
pub enum ReadSock {
    /// Plain TCP.
    Tcp(OwnedReadHalf),
    /// TLS over TCP (a client's or a route's, either side).
    Tls(ReadHalf<TlsStream<TcpStream>>),
    /// WebSocket frames over either of the above.
    Ws(Box<crate::ws::stream::WsRead>),
}

/// The write half of a connection's socket.
pub enum WriteSock {
    /// Plain TCP.
    Tcp(OwnedWriteHalf),
    /// TLS over TCP.
    Tls(WriteHalf<TlsStream<TcpStream>>),
    /// WebSocket frames over either of the above.
    Ws(Box<crate::ws::stream::WsWrite>),
}

impl std::fmt::Debug for WriteSock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            WriteSock::Tcp(_) => "WriteSock::Tcp",
            WriteSock::Tls(_) => "WriteSock::Tls",
            WriteSock::Ws(_) => "WriteSock::Ws",
        })
    }
}

fn would_block() -> io::Error {
    io::Error::from(io::ErrorKind::WouldBlock)
}

impl ReadSock {
    /// Reads into `buf`, reserving `want` bytes only once data is there: an idle plain
    /// connection holds no read buffer at all.
    pub async fn read_buf(&mut self, buf: &mut Vec<u8>, want: usize) -> io::Result<usize> {
        match self {
            ReadSock::Tcp(r) => loop {
                if buf.capacity() - buf.len() < want {
                    r.readable().await?;
                    buf.reserve(want);
                }
                match r.try_read_buf(buf) {
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                        r.readable().await?;
                    }
                    other => return other,
                }
            },
            ReadSock::Tls(r) => {
                buf.reserve(want);
                r.read_buf(buf).await
            }
            ReadSock::Ws(r) => Box::pin(r.read_buf(buf, want)).await,
        }
    }

    /// Reads what is already there without waiting (`WouldBlock` otherwise, and always for TLS).
    pub fn try_read_buf(&mut self, buf: &mut Vec<u8>) -> io::Result<usize> {
        match self {
            ReadSock::Tcp(r) => r.try_read_buf(buf),
            ReadSock::Tls(_) => Err(would_block()),
            ReadSock::Ws(r) => r.try_read_buf(buf),
        }
    }
}

impl WriteSock {
    /// Writes what the socket takes now without waiting (`WouldBlock` for TLS and
    /// WebSocket, whose writes go through the writer task).
    pub fn try_write(&self, buf: &[u8]) -> io::Result<usize> {
        match self {
            WriteSock::Tcp(w) => w.try_write(buf),
            WriteSock::Tls(_) | WriteSock::Ws(_) => Err(would_block()),
        }
    }

    /// Whether the socket has bytes of its own to send (a WebSocket's pongs): the writer
    /// then writes even with nothing queued.
    pub fn has_own_bytes(&self) -> bool {
        matches!(self, WriteSock::Ws(w) if w.has_replies())
    }

    /// Writes all of `buf` (and flushes the TLS layer).
    pub async fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        match self {
            WriteSock::Tcp(w) => w.write_all(buf).await,
            WriteSock::Tls(w) => {
                w.write_all(buf).await?;
                w.flush().await
            }
            WriteSock::Ws(w) => Box::pin(w.write_all(buf)).await,
        }
    }

    /// Writes `head` then `body` (and flushes the TLS layer), with vectored writes on plain
    /// TCP so neither is copied into the other (a WebSocket frame header before the
    /// connection's outbound bytes).
    pub async fn write_all_parts(&mut self, head: &[u8], body: &[u8]) -> io::Result<()> {
        match self {
            WriteSock::Tcp(w) => {
                let (mut head, mut body) = (head, body);
                while !head.is_empty() || !body.is_empty() {
                    let slices = [io::IoSlice::new(head), io::IoSlice::new(body)];
                    let n = w.write_vectored(&slices).await?;
                    if n == 0 {
                        return Err(io::ErrorKind::WriteZero.into());
                    }
                    let from_head = n.min(head.len());
                    head = &head[from_head..];
                    body = &body[n - from_head..];
                }
                Ok(())
            }
            WriteSock::Tls(w) => {
                w.write_all(head).await?;
                w.write_all(body).await?;
                w.flush().await
            }
            // Frames go on a TCP or TLS socket, never inside another WebSocket.
            WriteSock::Ws(_) => Err(io::Error::from(io::ErrorKind::Unsupported)),
        }
    }

    /// Shuts the write side down (a TLS close_notify first; a WebSocket's close frame,
    /// with the status for `reason`, before that).
    pub async fn shutdown(
        &mut self,
        reason: Option<fastnats_proto::CloseReason>,
    ) -> io::Result<()> {
        match self {
            WriteSock::Tcp(w) => w.shutdown().await,
            WriteSock::Tls(w) => w.shutdown().await,
            WriteSock::Ws(w) => Box::pin(w.close(reason)).await,
        }
    }
}
