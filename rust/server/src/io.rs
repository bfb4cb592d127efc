//! A connection's two socket halves, plain TCP or TLS.
//!
//! Plain TCP halves support the non-blocking `try_read`/`try_write` the in-place flush and
//! the cross-read batching use; TLS halves report `WouldBlock` there, which sends the work
//! to the writer task (and a blocking read) instead.

use std::io;

use tokio::io::{AsyncReadExt, AsyncWriteExt, ReadHalf, WriteHalf};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::TcpStream;
use tokio_rustls::server::TlsStream;

pub enum ReadSock {
    Tcp(OwnedReadHalf),
    Tls(ReadHalf<TlsStream<TcpStream>>),
}

pub enum WriteSock {
    Tcp(OwnedWriteHalf),
    Tls(WriteHalf<TlsStream<TcpStream>>),
}

impl std::fmt::Debug for WriteSock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            WriteSock::Tcp(_) => "WriteSock::Tcp",
            WriteSock::Tls(_) => "WriteSock::Tls",
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
        }
    }

    pub fn try_read_buf(&mut self, buf: &mut Vec<u8>) -> io::Result<usize> {
        match self {
            ReadSock::Tcp(r) => r.try_read_buf(buf),
            ReadSock::Tls(_) => Err(would_block()),
        }
    }
}

impl WriteSock {
    pub fn try_write(&self, buf: &[u8]) -> io::Result<usize> {
        match self {
            WriteSock::Tcp(w) => w.try_write(buf),
            WriteSock::Tls(_) => Err(would_block()),
        }
    }

    pub async fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        match self {
            WriteSock::Tcp(w) => w.write_all(buf).await,
            WriteSock::Tls(w) => {
                w.write_all(buf).await?;
                w.flush().await
            }
        }
    }

    pub async fn shutdown(&mut self) -> io::Result<()> {
        match self {
            WriteSock::Tcp(w) => w.shutdown().await,
            WriteSock::Tls(w) => w.shutdown().await,
        }
    }
}
