//! Accepting clients: the listener, the accept loop, and serving one accepted socket from
//! INFO (and the TLS handshake) to the end of its reader and writer tasks.

use std::net::SocketAddr;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::time::Duration;

use fastnats_proto::{encode, CloseReason, ProtoError};
use rand::Rng;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

use crate::account::Account;
use crate::connection::Connection;
use crate::io::{ReadSock, WriteSock};
use crate::kind::Kind;
use crate::log::Level;
use crate::log_at;
use crate::outbound::CloseMode;
use crate::reader::Reader;
use crate::shared::Shared;
use crate::tls::TlsConfig;

/// nats-server's listen backlog; the OS default (128) overflows when hundreds of clients
/// connect at once, and those wait a second for their SYN retransmit.
const LISTEN_BACKLOG: u32 = 4096;

/// Binds `host:port` (port 0: a free one) and reads back the bound address; an error
/// comes with the `host:port` text the start error names.
pub(crate) async fn bind_at(
    host: &str,
    port: u16,
) -> Result<(TcpListener, std::net::SocketAddr), (String, std::io::Error)> {
    let bind_to = format!("{host}:{port}");
    let bound = match bind(&bind_to).await {
        Ok(listener) => listener.local_addr().map(|addr| (listener, addr)),
        Err(e) => Err(e),
    };
    bound.map_err(|e| (bind_to, e))
}

async fn bind(addr: &str) -> std::io::Result<TcpListener> {
    let mut last = None;
    for a in tokio::net::lookup_host(addr).await? {
        let socket = if a.is_ipv4() {
            tokio::net::TcpSocket::new_v4()?
        } else {
            tokio::net::TcpSocket::new_v6()?
        };
        socket.set_reuseaddr(true)?;
        match socket.bind(a).and_then(|()| socket.listen(LISTEN_BACKLOG)) {
            Ok(l) => return Ok(l),
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or_else(|| {
        std::io::Error::new(std::io::ErrorKind::AddrNotAvailable, "no address to bind")
    }))
}

pub(crate) async fn accept_loop(shared: Arc<Shared>, listener: TcpListener) {
    loop {
        let accepted = tokio::select! {
            r = listener.accept() => r,
            _ = shared.stop_accept.notified() => break,
        };
        match accepted {
            Ok((stream, addr)) => {
                let Some(drain) = shared.drain_token() else {
                    break; // shutting down
                };
                tokio::spawn(serve(shared.clone(), stream, addr, drain));
            }
            Err(e) => {
                // Out of file descriptors and the like: back off instead of spinning.
                log_at!(Level::Error, "Error accepting client connection: {e}");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
}

/// A client accepted and registered, with its INFO ready: what the client and WebSocket
/// listeners share once their sockets are set up.
pub(crate) struct Admission {
    /// The connection.
    pub me: Arc<Connection>,
    /// Its INFO line.
    pub hello: Vec<u8>,
    /// The nonce in it, if any.
    pub nonce: Option<String>,
    /// Whether it fits under `max_connections` (if not, it is told and closed).
    pub admitted: bool,
}

/// Creates and registers the connection of a client at `addr`; `ws` when it came through
/// the WebSocket listener (its INFO then names that listener, as nats-server's does).
pub(crate) fn admit(
    shared: &Arc<Shared>,
    addr: SocketAddr,
    ws: Option<&crate::ws::Websocket>,
) -> Admission {
    let cid = shared.next_cid();
    let config = shared.config();
    let account: Arc<Account> = shared.global_account().clone();
    let mut conn = Connection::new(cid, Kind::Client, account, config.max_pending, addr);
    conn.websocket = ws.is_some();
    let me = Arc::new(conn);
    shared.stats.total_connections.fetch_add(1, Relaxed);

    let mut info = shared.info.read().clone();
    info.client_id = cid;
    info.client_ip = addr.ip().to_string();
    if let Some(ws) = ws {
        ws.client_info(&mut info);
    } else if config.tls.as_ref().is_some_and(|t| t.handshake_first) {
        // TLS first is TLS required, `allow_non_tls` or not (nats-server's INFO after
        // such a handshake says so).
        info.tls_required = true;
    }
    // A nonce for nkey signatures (and for a custom authenticator, which may check them).
    let nonce = {
        let authorizer = shared.authorizer();
        (shared.hooks.authenticator.is_some()
            || authorizer.config().needs_nonce()
            || authorizer.operator().is_some())
        .then(crate::auth::new_nonce)
    };
    if let Some(n) = &nonce {
        info.nonce.clone_from(n);
    }
    let mut hello = Vec::with_capacity(512);
    encode::write_info(&mut hello, &info);

    let admitted = shared.register(&me, config.max_connections);
    if admitted && shared.is_shutting_down() {
        // Accepted while shutdown began: shutdown may have missed it in its sweep.
        me.close(CloseReason::ServerShutdown, CloseMode::Flush);
    }
    log_at!(Level::Debug, "{} - Client connection created", me.log_tag());
    Admission {
        me,
        hello,
        nonce,
        admitted,
    }
}

/// Serves one accepted socket until it closes. `drain` is held to the end (and lent to the
/// connection's lifecycle events): shutdown waits for every such token to be dropped.
async fn serve(shared: Arc<Shared>, stream: TcpStream, addr: SocketAddr, drain: mpsc::Sender<()>) {
    let _ = stream.set_nodelay(true);
    let adm = admit(&shared, addr, None);
    let (me, cid) = (adm.me.clone(), adm.me.cid);
    let tls = if adm.admitted { shared.tls() } else { None };
    let (rd, wr) = match tls {
        None => {
            me.queue(&adm.hello);
            let (rd, wr) = stream.into_split();
            (ReadSock::Tcp(rd), WriteSock::Tcp(wr))
        }
        // Boxed: the TLS handshake state is large and would otherwise size every
        // connection task, TLS or not.
        Some((acceptor, cfg)) => {
            let sniff = shared.config().allow_non_tls && !cfg.handshake_first;
            match Box::pin(handshake(stream, &acceptor, &cfg, &adm.hello, sniff)).await {
                Ok(Handshake::Plain(stream)) => {
                    let (rd, wr) = stream.into_split();
                    (ReadSock::Tcp(rd), WriteSock::Tcp(wr))
                }
                Ok(Handshake::Tls(tls)) => {
                    let _ = me.tls.set(crate::tls::TlsSession::of(tls.get_ref().1));
                    if cfg.handshake_first {
                        me.queue(&adm.hello);
                    }
                    let (rd, wr) = tokio::io::split(tokio_rustls::TlsStream::from(*tls));
                    (ReadSock::Tls(rd), WriteSock::Tls(wr))
                }
                Err(e) => {
                    log_at!(
                        Level::Error,
                        "{addr} - cid:{cid} - TLS handshake error: {e}"
                    );
                    me.close(CloseReason::TlsHandshakeError, CloseMode::Discard);
                    crate::monitor::record_closed(&shared, &me);
                    shared.unregister(cid);
                    return;
                }
            }
        }
    };
    run(shared, adm, rd, wr, drain, None).await;
}

/// Runs an admitted client on its socket halves until it closes, then cleans up.
/// `cookies` are a WebSocket client's credentials from its upgrade request.
pub(crate) async fn run(
    shared: Arc<Shared>,
    adm: Admission,
    rd: ReadSock,
    wr: WriteSock,
    drain: mpsc::Sender<()>,
    cookies: Option<crate::ws::upgrade::Cookies>,
) {
    let Admission {
        me,
        hello,
        nonce,
        admitted,
    } = adm;
    let cid = me.cid;
    me.out.lock().socket = Some(wr);
    let writer = tokio::spawn(crate::writer::write_loop(me.clone(), shared.clone()));
    if !admitted {
        let mut err = Vec::new();
        encode::write_err(&mut err, ProtoError::MaxConnectionsExceeded);
        me.queue(&err);
        me.close(CloseReason::MaxConnectionsExceeded, CloseMode::Flush);
        let _ = writer.await;
        return;
    }
    me.flush();
    // What only the handshake needed is not kept for the connection's lifetime (a few
    // hundred bytes per idle connection).
    drop(hello);
    Reader::new(shared.clone(), me.clone(), nonce, drain.clone())
        .with_cookies(cookies)
        .run(rd)
        .await;
    let _ = writer.await;
    crate::monitor::record_closed(&shared, &me);
    // Breaks the cycle client -> subscription -> client.
    me.subs.lock().clear();
    shared.unregister(cid);
    if let Some(reason) = me.close_reason() {
        log_at!(
            Level::Debug,
            "{} - Client connection closed: {reason}",
            me.log_tag()
        );
    }
}

/// How a client on a TLS port goes on.
enum Handshake {
    /// Over TLS.
    Tls(Box<tokio_rustls::server::TlsStream<TcpStream>>),
    /// In clear (`allow_non_tls`), INFO sent.
    Plain(TcpStream),
}

/// The TLS handshake of one client: INFO in clear first unless `handshake_first`, bounded by
/// the TLS timeout; on timeout the connection is closed. `sniff` (`allow_non_tls`): after
/// INFO, the client's first byte (peeked, not consumed) tells a TLS ClientHello (0x16) from
/// a plain client, who goes on in clear; one that sends nothing within the TLS timeout is
/// taken as plain too, as nats-server does.
async fn handshake(
    stream: TcpStream,
    acceptor: &tokio_rustls::TlsAcceptor,
    cfg: &TlsConfig,
    hello: &[u8],
    sniff: bool,
) -> std::io::Result<Handshake> {
    use tokio::io::AsyncWriteExt;
    let mut stream = stream;
    if !cfg.handshake_first {
        stream.write_all(hello).await?;
    }
    if sniff {
        let mut first = [0u8; 1];
        let tls = matches!(
            tokio::time::timeout(cfg.timeout, stream.peek(&mut first)).await,
            Ok(Ok(1..)) if first[0] == 0x16
        );
        if !tls {
            return Ok(Handshake::Plain(stream));
        }
    }
    // A second handle on the socket, to close it if the handshake times out.
    let std = stream.into_std()?;
    let spare = std.try_clone()?;
    let stream = TcpStream::from_std(std)?;
    match tokio::time::timeout(cfg.timeout, acceptor.accept(stream)).await {
        Ok(r) => r.map(|t| Handshake::Tls(Box::new(t))),
        // nats-server (2.15) closes without a word here, whatever its docs say: so does
        // fastnats, since clients treat an unknown -ERR as fatal anyway.
        Err(_) => {
            let _ = spare.shutdown(std::net::Shutdown::Both);
            Err(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                "TLS handshake timeout",
            ))
        }
    }
}

/// A 56-character id starting with `N`, shaped like nats-server's public nkey.
pub(crate) fn new_server_id() -> String {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut rng = rand::thread_rng();
    let mut id = String::with_capacity(56);
    id.push('N');
    while id.len() < 56 {
        id.push(ALPHABET[rng.gen_range(0..32)] as char);
    }
    id
}
