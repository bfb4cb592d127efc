//! One route connection from its first byte to its end: the handshake (the accepting side
//! sends its INFO at once and waits for CONNECT, then INFO; the dialling side sends CONNECT
//! and INFO at once, never waiting for the peer's INFO — a 2.10+ peer holds its own until it
//! reads ours), then the route dialect: interest (`RS+`/`RS-`) into the account's index,
//! messages (`RMSG`/`HMSG`) into the delivery core, keep-alive, gossip.
//!
//! The reader loop and the table of the peer's interest are [`crate::route::peer`]'s.

use std::net::SocketAddr;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use fastnats_proto::route::{parse_route, route_limits, RouteOp, RoutedMsg};
use fastnats_proto::{CloseReason, Limits, ProtoError};
use tokio::net::TcpStream;

use crate::account::Account;
use crate::delivery::{Hop, HopKind, Origin};
use crate::io::{ReadSock, WriteSock};
use crate::kind::Kind;
use crate::log::Level;
use crate::log_at;
use crate::route::cluster::{Cluster, Refused, Route};
use crate::route::info::{RouteConnect, RouteInfo};
use crate::route::peer::{new_connection, KeepAlive, PeerIo, Protocol};
use crate::shared::Shared;

/// nats-server caps the keep-alive interval of routes at 30 s.
const MAX_PING_INTERVAL: Duration = Duration::from_secs(30);
/// Time a peer has to complete the handshake (CONNECT and INFO) without authentication.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// How a route connection was made.
#[derive(Debug, Clone)]
pub struct Dialled {
    /// The URL dialled (credentials included).
    pub url: crate::route::url::RouteUrl,
    /// Whether it is a configured route (else learned through gossip).
    pub configured: bool,
}

/// How a route connection ended, for its dialer.
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    /// The peer's id, once its INFO was read.
    pub remote_id: Option<String>,
    /// Whether the route registered (it was up).
    pub registered: bool,
    /// Why it closed.
    pub reason: Option<CloseReason>,
}

/// Serves one route socket to its end. `dialled` is set when this server dialled it.
pub async fn serve(
    shared: Arc<Shared>,
    cluster: Arc<Cluster>,
    stream: TcpStream,
    addr: SocketAddr,
    dialled: Option<Dialled>,
) -> Outcome {
    let Some(drain) = shared.drain_token() else {
        return Outcome::default();
    };
    let config = shared.config();
    let me = new_connection(&shared, Kind::Route, addr);
    let cid = me.cid;
    let rd = match handshake(&cluster, stream, dialled.as_ref()).await {
        Ok((rd, wr)) => {
            me.out.lock().socket = Some(wr);
            rd
        }
        Err(e) => {
            log_at!(
                Level::Error,
                "{addr} - rid:{cid} - TLS route handshake error: {e}"
            );
            return Outcome::default();
        }
    };
    if let Some(d) = &dialled {
        let auth = cluster.config.authorization.as_ref();
        let connect = RouteConnect {
            echo: true,
            user: d
                .url
                .user
                .clone()
                .or_else(|| auth.map(|a| a.user.clone()))
                .unwrap_or_default(),
            pass: d
                .url
                .password
                .clone()
                .or_else(|| auth.map(|a| a.password.clone()))
                .unwrap_or_default(),
            name: cluster.server_id.clone(),
            headers: !config.no_header_support,
            cluster: cluster.name(),
            dynamic: cluster.is_dynamic(),
            ..RouteConnect::default()
        };
        let mut line = b"CONNECT ".to_vec();
        line.extend_from_slice(
            serde_json::to_string(&connect)
                .unwrap_or_default()
                .as_bytes(),
        );
        line.extend_from_slice(b"\r\n");
        me.queue(&line);
    }
    me.queue(&cluster.info_line(true));
    let writer = tokio::spawn(crate::writer::write_loop(me.clone(), shared.clone()));
    me.flush();
    let keep = KeepAlive {
        interval: cluster
            .config
            .ping_interval
            .unwrap_or(config.ping_interval)
            .min(MAX_PING_INTERVAL),
        ping_max: cluster.config.ping_max.unwrap_or(config.ping_max),
        handshake: match (&dialled, &cluster.config.authorization) {
            (None, Some(auth)) => auth.timeout,
            _ => HANDSHAKE_TIMEOUT,
        },
    };
    let mut route = RouteProtocol {
        limits: route_limits(&Limits {
            max_control_line: config.max_control_line,
            max_payload: config.max_payload,
            headers: true,
        }),
        connected: dialled.is_some(),
        dialled,
        remote: None,
        registered: false,
        cluster,
    };
    drop(config);
    let mut io = PeerIo::new(shared, me);
    io.run(&mut route, rd, keep, Vec::new()).await;
    let _ = writer.await;
    drop(drain);
    Outcome {
        remote_id: route.remote.map(|r| r.server_id),
        registered: route.registered,
        reason: io.me.close_reason(),
    }
}

/// TLS first on a route, when the cluster has it (nats-server's routes handshake before
/// INFO), bounded by the TLS timeout.
async fn handshake(
    cluster: &Cluster,
    stream: TcpStream,
    dialled: Option<&Dialled>,
) -> std::io::Result<(ReadSock, WriteSock)> {
    let Some(tls) = &cluster.tls else {
        let (rd, wr) = stream.into_split();
        return Ok((ReadSock::Tcp(rd), WriteSock::Tcp(wr)));
    };
    let timed_out = || std::io::Error::new(std::io::ErrorKind::TimedOut, "TLS handshake timeout");
    let stream: tokio_rustls::TlsStream<TcpStream> = match dialled {
        Some(d) => {
            let name = rustls_pki_types::ServerName::try_from(d.url.host.clone())
                .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
            tokio::time::timeout(tls.timeout, tls.connector.connect(name, stream))
                .await
                .map_err(|_| timed_out())??
                .into()
        }
        None => tokio::time::timeout(tls.timeout, tls.acceptor.accept(stream))
            .await
            .map_err(|_| timed_out())??
            .into(),
    };
    let (rd, wr) = tokio::io::split(stream);
    Ok((ReadSock::Tls(rd), WriteSock::Tls(wr)))
}

/// The route dialect on one connection.
struct RouteProtocol {
    cluster: Arc<Cluster>,
    limits: Limits,
    dialled: Option<Dialled>,
    /// The accepting side read a valid CONNECT (the dialling side needs none).
    connected: bool,
    /// The peer's first INFO.
    remote: Option<RouteInfo>,
    registered: bool,
}

impl Protocol for RouteProtocol {
    fn parse<'a>(
        &self,
        buf: &'a [u8],
    ) -> Result<fastnats_proto::route::RouteParsed<'a>, ProtoError> {
        parse_route(buf, &self.limits)
    }

    fn ready(&self) -> bool {
        self.registered
    }

    fn handshake_expired(&mut self, io: &mut PeerIo) {
        if !self.connected && self.cluster.config.authorization.is_some() {
            io.fail("Authentication Timeout", CloseReason::AuthenticationTimeout);
        } else {
            io.close(CloseReason::ProtocolViolation);
        }
    }

    fn dispatch(&mut self, io: &mut PeerIo, op: RouteOp<'_>) {
        if io.keep_alive(&op) {
            return;
        }
        match op {
            RouteOp::Err(text) => {
                log_at!(
                    Level::Error,
                    "{} - rid:{} - Route Error {}",
                    io.me.addr,
                    io.me.cid,
                    String::from_utf8_lossy(text)
                );
                io.close(CloseReason::ParseError);
            }
            RouteOp::Connect(json) => self.connect(io, json),
            RouteOp::Info(json) => self.info(io, json),
            RouteOp::Sub {
                account,
                subject,
                queue,
            } if self.registered => {
                if let Some(acc) = account_named(io, account) {
                    io.interest.add(&io.me, &acc, subject, queue);
                }
            }
            RouteOp::Unsub {
                account,
                subject,
                queue,
            } if self.registered => {
                if let Some(acc) = account_named(io, account) {
                    io.interest.remove(&io.me, &acc, subject, queue);
                }
            }
            RouteOp::Msg(msg) if self.registered => routed(io, &msg),
            // Interest or messages before the handshake is done.
            _ => io.close(CloseReason::ProtocolViolation),
        }
    }

    fn ended(&mut self, io: &mut PeerIo) {
        if self.registered {
            self.cluster.unregister(&io.shared, io.me.cid);
            log_at!(
                Level::Info,
                "{} - rid:{} - Router connection closed: {}",
                io.me.addr,
                io.me.cid,
                io.me.close_reason().map_or("Client Closed", |r| r.as_str())
            );
        }
    }
}

/// The account a route op names; unknown accounts are skipped (the peers' configs differ).
fn account_named(io: &PeerIo, name: &[u8]) -> Option<Arc<Account>> {
    let text = std::str::from_utf8(name).ok()?;
    let account = io.shared.account(Some(text));
    if account.is_none() {
        log_at!(
            Level::Debug,
            "rid:{} - Unknown account {text:?} from route",
            io.me.cid
        );
    }
    account
}

/// `RMSG`/`HMSG`: delivered to this server's subscribers and leaf nodes, not to routes.
fn routed(io: &mut PeerIo, msg: &RoutedMsg<'_>) {
    io.delivery.count_in(msg.msg.data.len());
    // Most messages are in the account of the one before: no registry lookup for them.
    let acc = if io.account.name().as_bytes() == msg.account {
        io.account.clone()
    } else {
        let Some(acc) = account_named(io, msg.account) else {
            return;
        };
        acc
    };
    let from = Origin {
        cid: io.me.cid,
        echo: true,
    };
    let hop = Hop {
        kind: HopKind::Route,
        queues: Some(msg.queues),
    };
    io.delivery.route_from_peer(&acc, from, &msg.msg, hop);
    if !Arc::ptr_eq(&acc, &io.account) {
        io.account = acc;
    }
}

impl RouteProtocol {
    /// The accepting side's check of the dialler's CONNECT (nats-server's
    /// `processRouteConnect` and `isRouterAuthorized`).
    fn connect(&mut self, io: &mut PeerIo, json: &[u8]) {
        if self.dialled.is_some() || self.connected {
            io.close(CloseReason::ProtocolViolation);
            return;
        }
        let Ok(c) = serde_json::from_slice::<RouteConnect>(json) else {
            io.close(CloseReason::ProtocolViolation);
            return;
        };
        if c.lang.as_deref().is_some_and(|l| !l.is_empty()) {
            io.fail("Attempted To Connect To Route Port", CloseReason::WrongPort);
            return;
        }
        if let Some(auth) = &self.cluster.config.authorization {
            if c.user != auth.user || !crate::auth::compare_password(&auth.password, &c.pass) {
                log_at!(
                    Level::Error,
                    "{} - rid:{} - authentication error",
                    io.me.addr,
                    io.me.cid
                );
                io.fail(
                    "Authorization Violation",
                    CloseReason::AuthenticationViolation,
                );
                return;
            }
        }
        if !self.cluster.accept_name(&c.cluster, c.dynamic) {
            let text = format!(
                "Rejecting connection, cluster name {:?} does not match {:?}",
                c.cluster,
                self.cluster.name()
            );
            log_at!(Level::Error, "{} - rid:{} - {text}", io.me.addr, io.me.cid);
            io.fail(&text, CloseReason::ClusterNameConflict);
            return;
        }
        io.me.headers.store(c.headers, Relaxed);
        self.connected = true;
    }

    /// A peer's INFO: its identity (the first), news of another server (gossip), or a
    /// change of its own client URLs.
    fn info(&mut self, io: &mut PeerIo, json: &[u8]) {
        let Ok(info) = serde_json::from_slice::<RouteInfo>(json) else {
            io.close(CloseReason::ProtocolViolation);
            return;
        };
        if let Some(remote) = &self.remote {
            if info.server_id != remote.server_id {
                crate::route::dial::implicit(&io.shared, &self.cluster, &info);
            } else {
                let id = remote.server_id.clone();
                self.cluster.update_peer_urls(&io.shared, &id, info);
            }
            return;
        }
        if !self.connected {
            // The dialler must send CONNECT first.
            io.close(CloseReason::ProtocolViolation);
            return;
        }
        if info.server_id == self.cluster.server_id {
            log_at!(
                Level::Debug,
                "Detected route to self, ignoring {}",
                io.me.addr
            );
            self.remote = Some(info);
            io.close(CloseReason::DuplicateRoute);
            return;
        }
        if !self.cluster.accept_name(&info.cluster, info.dynamic) {
            self.remote = Some(info);
            io.close(CloseReason::ClusterNameConflict);
            return;
        }
        let server_name = io.shared.config().server_name.clone();
        if self.dialled.is_none() && !server_name.is_empty() && info.server_name == server_name {
            log_at!(
                Level::Error,
                "{} - rid:{} - Remote server has a duplicate name: {:?}",
                io.me.addr,
                io.me.cid,
                info.server_name
            );
            self.remote = Some(info);
            io.close(CloseReason::DuplicateServerName);
            return;
        }
        let url = if info.ip.is_empty() {
            format!("nats-route://{}:{}/", io.me.addr.ip(), info.port)
        } else {
            info.ip.clone()
        };
        let route = Route {
            conn: io.me.clone(),
            info: info.clone(),
            solicited: self.dialled.is_some(),
            configured: self.dialled.as_ref().is_some_and(|d| d.configured),
            url,
            started: SystemTime::now(),
        };
        io.me.meta.lock().name.clone_from(&info.server_name);
        self.remote = Some(info);
        match self.cluster.register(&io.shared, route) {
            Ok(()) => self.registered = true,
            Err(Refused::Duplicate) => io.close(CloseReason::DuplicateRoute),
            Err(Refused::ShuttingDown) => io.close(CloseReason::ServerShutdown),
        }
    }
}
