//! One leaf connection from its first byte to its end, either side:
//!
//! - as the hub (a leaf node dialled this server): INFO at once (with the connection's id,
//!   a nonce and the `leafnode_urls`), then the leaf's CONNECT, authenticated by the
//!   `leafnodes` authorization (or, without one, as a client would be), which binds the
//!   connection to an account;
//! - as the leaf (this server dialled a remote): the hub's INFO first (a hub sets the
//!   connection's id and `leafnode_urls`; a client port does not: `Wrong Port`), then this
//!   server's CONNECT (its credentials signing the hub's nonce), and, when the hub asks for
//!   it (`info_on_connect`), the hub's answer.
//!
//! Then both sides tell each other their interest in the bound account (`LS+`, with this
//! account's loop-detection subject `$LDS.<id>`: a leaf that hears its own back is in a loop)
//! and send messages as `LMSG`/`HMSG` (see [`crate::route::peer`] for the reader loop).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use fastnats_proto::route::{parse_leaf, route_limits, RouteOp, RouteParsed, RoutedMsg};
use fastnats_proto::{CloseReason, ConnectInfo, ConnectOptions, Limits, ProtoError};
use tokio::net::TcpStream;

use crate::auth::{
    AuthOutcome, AuthRequest, CompiledPermissions, ConnectionType, Permissions, SubjectPermission,
};
use crate::delivery::{Hop, HopKind, Origin};
use crate::io::{ReadSock, WriteSock};
use crate::kind::Kind;
use crate::leaf::config::RemoteLeaf;
use crate::leaf::info::{LeafConnect, LeafInfo};
use crate::leaf::nodes::{Leaf, LeafNodes};
use crate::log::Level;
use crate::log_at;
use crate::route::peer::{new_connection, KeepAlive, PeerIo, Protocol};
use crate::route::url::RouteUrl;
use crate::shared::Shared;

/// Time the other side has to complete the handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// A connection this server dialled as a leaf.
#[derive(Clone)]
pub struct Dialled {
    /// The remote's configuration.
    pub remote: RemoteLeaf,
    /// The URL dialled.
    pub url: RouteUrl,
    /// TLS to the hub: the connector, the handshake's time limit, TLS before INFO.
    pub tls: Option<(tokio_rustls::TlsConnector, Duration, bool)>,
}

/// How a leaf connection ended, for its dialer.
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    /// The hub's `leafnode_urls`, to reconnect through.
    pub hub_urls: Vec<String>,
    /// A loop was detected: wait before dialling again.
    pub looped: bool,
    /// Whether the handshake was done.
    pub registered: bool,
}

/// Serves one leaf socket to its end. `dialled` is set when this server dialled it.
pub async fn serve(
    shared: Arc<Shared>,
    leafs: Arc<LeafNodes>,
    stream: TcpStream,
    addr: SocketAddr,
    dialled: Option<Dialled>,
) -> Outcome {
    let Some(drain) = shared.drain_token() else {
        return Outcome::default();
    };
    let config = shared.config();
    let me = new_connection(&shared, Kind::Leaf, addr);
    let cid = me.cid;
    let hello = if dialled.is_none() {
        let nonce = crate::auth::new_nonce();
        let cluster = shared
            .cluster
            .as_ref()
            .map(|c| c.name())
            .unwrap_or_default();
        Some((
            nonce.clone(),
            leafs.info_line(cid, &addr.ip().to_string(), &nonce, &cluster),
        ))
    } else {
        None
    };
    let (rd, wr, initial) = match handshake(
        &leafs,
        stream,
        dialled.as_ref(),
        hello.as_ref().map(|(_, line)| line.as_slice()),
    )
    .await
    {
        Ok(sides) => sides,
        Err(e) => {
            log_at!(
                Level::Error,
                "{addr} - lid:{cid} - TLS leafnode handshake error: {e}"
            );
            return Outcome::default();
        }
    };
    me.out.lock().socket = Some(wr);
    let nonce = hello.map(|(nonce, _)| nonce);
    let writer = tokio::spawn(crate::writer::write_loop(me.clone(), shared.clone()));
    me.flush();
    let keep = KeepAlive {
        interval: config.ping_interval,
        ping_max: config.ping_max,
        handshake: match (&dialled, &leafs.config.authorization) {
            (None, Some(a)) => a.timeout.unwrap_or(HANDSHAKE_TIMEOUT),
            _ => HANDSHAKE_TIMEOUT,
        },
    };
    let mut leaf = LeafProtocol {
        limits: route_limits(&Limits {
            max_control_line: config.max_control_line,
            max_payload: config.max_payload,
            headers: true,
        }),
        leafs,
        dialled,
        nonce,
        state: State::Start,
        lds: None,
        deny_imports: None,
        outcome: Outcome::default(),
    };
    drop(config);
    let mut io = PeerIo::new(shared, me);
    io.run(&mut leaf, rd, keep, initial).await;
    let _ = writer.await;
    drop(drain);
    leaf.outcome
}

/// The socket's sides after TLS, when the connection has it (nats-server's leaf TLS: the
/// hub's INFO in clear, then the TLS handshake the leaf starts; or TLS first with
/// `handshake_first`). The hub's INFO is sent here (`hello`); a leaf reads it here before
/// TLS and returns it to be handled first.
async fn handshake(
    leafs: &LeafNodes,
    stream: TcpStream,
    dialled: Option<&Dialled>,
    hello: Option<&[u8]>,
) -> std::io::Result<(ReadSock, WriteSock, Vec<u8>)> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let timed_out = || std::io::Error::new(std::io::ErrorKind::TimedOut, "TLS handshake timeout");
    let mut stream = stream;
    let plain = |stream: TcpStream, initial: Vec<u8>| {
        let (rd, wr) = stream.into_split();
        (ReadSock::Tcp(rd), WriteSock::Tcp(wr), initial)
    };
    let tls_sides = |s: tokio_rustls::TlsStream<TcpStream>, initial: Vec<u8>| {
        let (rd, wr) = tokio::io::split(s);
        (ReadSock::Tls(rd), WriteSock::Tls(wr), initial)
    };
    match (dialled, &leafs.tls.listener) {
        (None, None) => {
            stream.write_all(hello.unwrap_or_default()).await?;
            Ok(plain(stream, Vec::new()))
        }
        (None, Some((acceptor, cfg))) => {
            if !cfg.handshake_first {
                stream.write_all(hello.unwrap_or_default()).await?;
            }
            let mut tls = tokio::time::timeout(cfg.timeout, acceptor.accept(stream))
                .await
                .map_err(|_| timed_out())??;
            if cfg.handshake_first {
                tls.write_all(hello.unwrap_or_default()).await?;
            }
            Ok(tls_sides(tls.into(), Vec::new()))
        }
        (Some(d), _) => {
            let Some((connector, timeout, first)) = &d.tls else {
                return Ok(plain(stream, Vec::new()));
            };
            let mut initial = Vec::new();
            if !first {
                // The hub's INFO, in clear: read up to its line end (the hub sends nothing
                // more until this side starts TLS).
                let mut byte = [0u8; 1];
                while !initial.ends_with(b"\n") {
                    if initial.len() > 64 * 1024 || stream.read(&mut byte).await? == 0 {
                        return Err(std::io::Error::new(
                            std::io::ErrorKind::InvalidData,
                            "no INFO from the hub",
                        ));
                    }
                    initial.push(byte[0]);
                }
            }
            let name = rustls_pki_types::ServerName::try_from(d.url.host.clone())
                .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
            let tls = tokio::time::timeout(*timeout, connector.connect(name, stream))
                .await
                .map_err(|_| timed_out())??;
            Ok(tls_sides(tls.into(), initial))
        }
    }
}

/// Where the handshake is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Nothing read yet (the hub waits for CONNECT, the leaf for INFO).
    Start,
    /// The leaf sent its CONNECT and waits for the hub's answer.
    AwaitingAnswer,
    /// Done: interest and messages flow.
    Ready,
}

/// The leaf dialect on one connection.
struct LeafProtocol {
    leafs: Arc<LeafNodes>,
    limits: Limits,
    dialled: Option<Dialled>,
    /// The nonce this server sent (as the hub).
    nonce: Option<String>,
    state: State,
    /// The bound account's loop-detection subject.
    lds: Option<Box<[u8]>>,
    /// A remote's `deny_imports`: what is not taken from the hub (nor asked of it).
    deny_imports: Option<Arc<CompiledPermissions>>,
    outcome: Outcome,
}

/// A deny list as permissions whose delivery filter matches it.
fn deny_list(subjects: &[String]) -> Option<Arc<CompiledPermissions>> {
    if subjects.is_empty() {
        return None;
    }
    let p = Permissions {
        subscribe: Some(SubjectPermission {
            allow: Vec::new(),
            deny: subjects.to_vec(),
        }),
        ..Permissions::default()
    };
    // Checked as subjects when the config was compiled.
    CompiledPermissions::compile(&p).ok().map(Arc::new)
}

impl Protocol for LeafProtocol {
    fn parse<'a>(&self, buf: &'a [u8]) -> Result<RouteParsed<'a>, ProtoError> {
        parse_leaf(buf, &self.limits)
    }

    fn ready(&self) -> bool {
        self.state == State::Ready
    }

    fn handshake_expired(&mut self, io: &mut PeerIo) {
        if self.dialled.is_none() && self.leafs.config.authorization.is_some() {
            io.fail("Authentication Timeout", CloseReason::AuthenticationTimeout);
        } else {
            io.close(CloseReason::StaleConnection);
        }
    }

    fn dispatch(&mut self, io: &mut PeerIo, op: RouteOp<'_>) {
        if io.keep_alive(&op) {
            return;
        }
        match op {
            RouteOp::Err(text) => {
                let text = String::from_utf8_lossy(text);
                log_at!(
                    Level::Error,
                    "{} - lid:{} - Leafnode Error {text}",
                    io.me.addr,
                    io.me.cid
                );
                if text.contains("Loop detected") {
                    self.outcome.looped = true;
                }
                io.close(CloseReason::ParseError);
            }
            RouteOp::Connect(json) => self.connect(io, json),
            RouteOp::Info(json) => self.info(io, json),
            RouteOp::Sub { subject, queue, .. } if self.ready() => {
                if self.lds.as_deref() == Some(subject) {
                    let text = format!(
                        "Loop detected for leafnode account={:?}. Delaying attempt to reconnect for 30s",
                        io.account.name()
                    );
                    log_at!(Level::Error, "{} - lid:{} - {text}", io.me.addr, io.me.cid);
                    self.outcome.looped = true;
                    io.fail(&text, CloseReason::ProtocolViolation);
                    return;
                }
                if io.me.denies_delivery(subject) {
                    return; // a subject this server does not export to the hub
                }
                let acc = io.me.account();
                io.interest.add(&io.me, &acc, subject, queue);
            }
            RouteOp::Unsub { subject, queue, .. } if self.ready() => {
                let acc = io.me.account();
                io.interest.remove(&io.me, &acc, subject, queue);
            }
            RouteOp::Msg(msg) if self.ready() => self.message(io, &msg),
            _ => io.close(CloseReason::ProtocolViolation),
        }
    }

    fn ended(&mut self, io: &mut PeerIo) {
        if self.state == State::Ready {
            io.me.account().index.detach_leaf(io.me.cid);
            self.leafs.unregister(io.me.cid);
            log_at!(
                Level::Info,
                "{} - lid:{} - Leafnode connection closed: {}",
                io.me.addr,
                io.me.cid,
                io.me.close_reason().map_or("Client Closed", |r| r.as_str())
            );
        }
    }
}

impl LeafProtocol {
    /// The hub's check of a leaf's CONNECT (nats-server's `processLeafNodeConnect` and its
    /// leaf authorization), binding the connection to an account.
    fn connect(&mut self, io: &mut PeerIo, json: &[u8]) {
        if self.dialled.is_some() || self.state != State::Start {
            io.close(CloseReason::ProtocolViolation);
            return;
        }
        let Ok(c) = serde_json::from_slice::<LeafConnect>(json) else {
            io.close(CloseReason::ProtocolViolation);
            return;
        };
        if c.lang.as_deref().is_some_and(|l| !l.is_empty()) {
            io.fail(
                "Attempted To Connect To Leafnode Port",
                CloseReason::WrongPort,
            );
            return;
        }
        if let (Some(cluster), false) = (&io.shared.cluster, c.cluster.is_empty()) {
            if cluster.name() == c.cluster {
                io.fail(
                    "Leafnode has same cluster name as the hub cluster",
                    CloseReason::ClusterNamesIdentical,
                );
                return;
            }
        }
        let Some(account) = self.authenticate(io, json, &c) else {
            log_at!(
                Level::Error,
                "{} - lid:{} - authentication error",
                io.me.addr,
                io.me.cid
            );
            io.fail(
                "Authorization Violation",
                CloseReason::AuthenticationViolation,
            );
            return;
        };
        io.me
            .headers
            .store(c.headers, std::sync::atomic::Ordering::Relaxed);
        let name = if c.name.is_empty() {
            c.server_id
        } else {
            c.name
        };
        // A leaf that declares itself the hub makes this server its spoke.
        self.finish(io, account, name, c.hub);
    }

    /// The account a leaf's credentials bind it to: the `leafnodes` authorization's user
    /// (or users) when configured, else the clients' authentication; `$G` when neither asks
    /// for credentials.
    fn authenticate(
        &self,
        io: &PeerIo,
        json: &[u8],
        c: &LeafConnect,
    ) -> Option<Arc<crate::account::Account>> {
        let shared = &io.shared;
        if let Some(auth) = &self.leafs.config.authorization {
            let check = |user: &str, password: &str| {
                c.user == user && crate::auth::compare_password(password, &c.pass)
            };
            if let Some(user) = auth.user.as_deref().filter(|u| !u.is_empty()) {
                let ok = check(user, auth.password.as_deref().unwrap_or_default());
                return ok.then(|| shared.account(auth.account.as_deref()))?;
            }
            if !auth.users.is_empty() {
                let u = auth.users.iter().find(|u| check(&u.user, &u.password))?;
                return shared.account(u.account.as_deref());
            }
            return shared.account(auth.account.as_deref());
        }
        if !shared.auth_required() {
            return Some(shared.global_account().clone());
        }
        let mut connect = ConnectInfo::default();
        connect.apply(ConnectOptions::from_json(json).ok()?);
        let req = AuthRequest::new(
            &connect,
            self.nonce.as_deref(),
            io.me.addr,
            None,
            ConnectionType::Leafnode,
        );
        let authorizer = shared.authorizer();
        match authorizer.authenticate_with(shared.hooks.authenticator.as_deref(), &req) {
            AuthOutcome::Allowed(id) => shared.account(id.account.as_deref()),
            AuthOutcome::Denied => None,
        }
    }

    /// The hub's INFO: the first one (the leaf then sends its CONNECT), the answer to the
    /// CONNECT, or news of the hub's `leafnode_urls`.
    fn info(&mut self, io: &mut PeerIo, json: &[u8]) {
        let Ok(info) = serde_json::from_slice::<LeafInfo>(json) else {
            io.close(CloseReason::ProtocolViolation);
            return;
        };
        let Some(dialled) = self.dialled.clone() else {
            return; // a leaf's INFO to its hub says nothing the hub uses
        };
        if !info.leafnode_urls.is_empty() {
            self.outcome.hub_urls.clone_from(&info.leafnode_urls);
        }
        match self.state {
            State::Start => {
                if info.cid == 0 {
                    log_at!(
                        Level::Error,
                        "{} - lid:{} - Attempted to connect to a non leafnode port",
                        io.me.addr,
                        io.me.cid
                    );
                    io.close(CloseReason::WrongPort);
                    return;
                }
                io.me
                    .headers
                    .store(info.headers, std::sync::atomic::Ordering::Relaxed);
                match self.leaf_connect(io, &dialled, &info) {
                    Ok(line) => io.send(&line),
                    Err(e) => {
                        log_at!(Level::Error, "{} - lid:{} - {e}", io.me.addr, io.me.cid);
                        io.close(CloseReason::ProtocolViolation);
                        return;
                    }
                }
                if info.info_on_connect {
                    self.state = State::AwaitingAnswer;
                } else {
                    self.finish_dialled(io, &dialled, &info);
                }
            }
            State::AwaitingAnswer => self.finish_dialled(io, &dialled, &info),
            State::Ready => {}
        }
    }

    /// This server's CONNECT to a hub: credentials from the URL, a `.creds` file or an nkey
    /// seed (signing the hub's nonce).
    fn leaf_connect(&self, io: &PeerIo, d: &Dialled, info: &LeafInfo) -> Result<Vec<u8>, String> {
        let shared = &io.shared;
        let account = d.remote.account.clone().unwrap_or_else(|| "$G".to_string());
        let mut c = LeafConnect {
            version: crate::config::COMPATIBLE_NATS_VERSION.to_string(),
            server_id: shared.info.read().server_id.clone(),
            name: shared.info.read().server_name.clone(),
            hub: d.remote.hub,
            cluster: shared
                .cluster
                .as_ref()
                .map(|c| c.name())
                .unwrap_or_default(),
            headers: !shared.config().no_header_support,
            deny_pub: d.remote.deny_imports.clone(),
            remote_account: account,
            proto: 1,
            ..LeafConnect::default()
        };
        if let Some(path) = &d.remote.credentials {
            let (jwt, seed) = crate::leaf::creds::read(path)?;
            c.jwt = jwt;
            c.sig = crate::leaf::creds::sign(&seed, &info.nonce)?;
        } else if let Some(seed) = &d.remote.nkey {
            c.nkey = crate::leaf::creds::public_key(seed)?;
            c.sig = crate::leaf::creds::sign(seed, &info.nonce)?;
        }
        match (&d.url.user, &d.url.password) {
            (Some(user), Some(pass)) => {
                c.user.clone_from(user);
                c.pass.clone_from(pass);
            }
            (Some(token), None) => c.auth_token.clone_from(token),
            _ => {}
        }
        let mut line = b"CONNECT ".to_vec();
        line.extend_from_slice(serde_json::to_string(&c).unwrap_or_default().as_bytes());
        line.extend_from_slice(b"\r\n");
        Ok(line)
    }

    /// The leaf side's handshake is done: bind the account, tell the hub its interest.
    fn finish_dialled(&mut self, io: &mut PeerIo, d: &Dialled, info: &LeafInfo) {
        let Some(account) = io.shared.account(d.remote.account.as_deref()) else {
            log_at!(
                Level::Error,
                "lid:{} - No local account {:?} for the remote leafnode",
                io.me.cid,
                d.remote.account
            );
            io.close(CloseReason::MissingAccount);
            return;
        };
        let name = if info.server_name.is_empty() {
            info.server_id.clone()
        } else {
            info.server_name.clone()
        };
        self.deny_imports = deny_list(&d.remote.deny_imports);
        if let Some(exports) = deny_list(&d.remote.deny_exports) {
            io.me.set_permissions(Some(exports));
            io.me
                .filter_deliveries
                .store(true, std::sync::atomic::Ordering::Release);
        }
        self.finish(io, account, name, !d.remote.hub);
    }

    /// Binds the connection to `account`, registers it and starts the interest exchange.
    fn finish(
        &mut self,
        io: &mut PeerIo,
        account: Arc<crate::account::Account>,
        name: String,
        spoke: bool,
    ) {
        io.me
            .spoke
            .store(spoke, std::sync::atomic::Ordering::Relaxed);
        io.me.set_account(account.clone());
        io.me.meta.lock().name.clone_from(&name);
        io.account = account.clone();
        self.lds = account.index.leaf_loop_subject();
        self.state = State::Ready;
        self.outcome.registered = true;
        self.leafs.register(Leaf {
            conn: io.me.clone(),
            name,
            account: account.name().to_string(),
            spoke,
            started: SystemTime::now(),
        });
        account
            .index
            .attach_leaf(io.me.clone(), spoke, self.deny_imports.clone());
        io.me.flush();
        log_at!(
            Level::Info,
            "{} - lid:{} - Leafnode connection created for account: {}",
            io.me.addr,
            io.me.cid,
            account.name()
        );
    }

    /// `LMSG`/`HMSG`: delivered in the bound account.
    fn message(&mut self, io: &mut PeerIo, msg: &RoutedMsg<'_>) {
        io.delivery.count_in(msg.msg.data.len());
        if self
            .deny_imports
            .as_ref()
            .is_some_and(|d| d.deny_delivery(msg.msg.subject))
        {
            return;
        }
        let from = Origin {
            cid: io.me.cid,
            echo: false,
        };
        let hop = Hop {
            kind: if io.me.spoke.load(std::sync::atomic::Ordering::Relaxed) {
                HopKind::SpokeLeaf
            } else {
                HopKind::Leaf
            },
            queues: Some(msg.queues),
        };
        io.delivery
            .route_from_peer(&io.account, from, &msg.msg, hop);
    }
}
