//! The WebSocket listener: accept, TLS (first, as for any HTTPS server), the upgrade, then
//! the client is served like any other (see [`crate::accept::run`]).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

use super::upgrade::{self, Upgraded};
use super::Websocket;
use crate::io::{ReadSock, WriteSock};
use crate::log::Level;
use crate::log_at;
use crate::shared::Shared;
use fastnats_proto::ws::{Decoder, Encoder};

/// Accepts WebSocket clients until the server stops accepting.
pub async fn accept_loop(shared: Arc<Shared>, ws: Arc<Websocket>, listener: TcpListener) {
    let scheme = if ws.tls.is_some() { "wss" } else { "ws" };
    if let Some(addr) = ws.addr.get() {
        log_at!(
            Level::Info,
            "Listening for websocket clients on {scheme}://{}:{}",
            ws.config.host,
            addr.port()
        );
    }
    if ws.tls.is_none() {
        log_at!(
            Level::Warn,
            "Websocket not configured with TLS. DO NOT USE IN PRODUCTION!"
        );
    }
    loop {
        let accepted = tokio::select! {
            r = listener.accept() => r,
            _ = ws.stop.notified() => break,
        };
        match accepted {
            Ok((stream, addr)) => {
                let Some(drain) = shared.drain_token() else {
                    break; // shutting down
                };
                tokio::spawn(serve(shared.clone(), ws.clone(), stream, addr, drain));
            }
            Err(e) => {
                log_at!(Level::Error, "Error accepting websocket connection: {e}");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
}

/// The socket before the upgrade: plain or TLS.
enum Stream {
    Tcp(TcpStream),
    Tls(Box<tokio_rustls::server::TlsStream<TcpStream>>),
}

/// TLS (when configured) and the upgrade, bounded by `handshake_timeout` when set.
async fn handshake(
    ws: &Websocket,
    stream: TcpStream,
) -> Result<(Stream, Upgraded), Option<(Stream, upgrade::Refused)>> {
    let mut stream = match &ws.tls {
        None => Stream::Tcp(stream),
        Some((acceptor, cfg)) => {
            let limit = if ws.config.handshake_timeout.is_zero() {
                cfg.timeout
            } else {
                ws.config.handshake_timeout
            };
            match tokio::time::timeout(limit, acceptor.accept(stream)).await {
                Ok(Ok(tls)) => Stream::Tls(Box::new(tls)),
                _ => return Err(None),
            }
        }
    };
    let tls = matches!(stream, Stream::Tls(_));
    let (buf, len) = match &mut stream {
        Stream::Tcp(s) => upgrade::read_request(s).await,
        Stream::Tls(s) => upgrade::read_request(s.as_mut()).await,
    }
    .map_err(|_| None)?;
    let extra = len > 0 && buf.len() > len;
    match upgrade::check(ws, &buf, len, tls, extra) {
        Ok(up) => Ok((stream, up)),
        Err(refused) => Err(Some((stream, refused))),
    }
}

/// Serves one accepted WebSocket socket until it closes.
async fn serve(
    shared: Arc<Shared>,
    ws: Arc<Websocket>,
    stream: TcpStream,
    addr: SocketAddr,
    drain: mpsc::Sender<()>,
) {
    let _ = stream.set_nodelay(true);
    let limit = ws.config.handshake_timeout;
    let shaken = if limit.is_zero() {
        Box::pin(handshake(&ws, stream)).await
    } else {
        match tokio::time::timeout(limit, Box::pin(handshake(&ws, stream))).await {
            Ok(r) => r,
            Err(_) => Err(None),
        }
    };
    let (mut stream, up) = match shaken {
        Ok(ok) => ok,
        Err(None) => return,
        Err(Some((mut stream, refused))) => {
            log_at!(
                Level::Error,
                "{addr} - websocket handshake error: {}",
                refused.reason
            );
            if !refused.response.is_empty() {
                let _ = match &mut stream {
                    Stream::Tcp(s) => s.write_all(&refused.response).await,
                    Stream::Tls(s) => s.write_all(&refused.response).await,
                };
            }
            let _ = match &mut stream {
                Stream::Tcp(s) => s.shutdown().await,
                Stream::Tls(s) => s.shutdown().await,
            };
            return;
        }
    };
    let written = match &mut stream {
        Stream::Tcp(s) => s.write_all(&up.response).await,
        Stream::Tls(s) => match s.write_all(&up.response).await {
            Ok(()) => s.flush().await,
            Err(e) => Err(e),
        },
    };
    if written.is_err() {
        return;
    }
    let client_addr = up
        .forwarded_for
        .map_or(addr, |ip| SocketAddr::new(ip, addr.port()));
    let adm = crate::accept::admit(&shared, client_addr, Some(&ws));
    let me = adm.me.clone();
    let (rd, wr) = match stream {
        Stream::Tcp(s) => {
            let (rd, wr) = s.into_split();
            (ReadSock::Tcp(rd), WriteSock::Tcp(wr))
        }
        Stream::Tls(s) => {
            let _ = me.tls.set(crate::tls::TlsSession::of(s.get_ref().1));
            let (rd, wr) = tokio::io::split(tokio_rustls::TlsStream::from(*s));
            (ReadSock::Tls(rd), WriteSock::Tls(wr))
        }
    };
    let max_payload = shared.config().max_payload;
    let decoder = Decoder::new(!up.no_masking, up.compression, max_payload);
    let encoder = Encoder::new(up.compression, up.browser, up.no_compressed_fragments);
    let waker = me.clone();
    let (rd, wr) = super::stream::split(
        rd,
        wr,
        decoder,
        encoder,
        Box::new(move || waker.wake.notify_one()),
    );
    me.queue(&adm.hello);
    crate::accept::run(
        shared,
        adm,
        ReadSock::Ws(Box::new(rd)),
        WriteSock::Ws(Box::new(wr)),
        drain,
        Some(up.cookies),
    )
    .await;
}
