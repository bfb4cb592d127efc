//! One route connection from its first byte to its end: the handshake (the accepting side
//! sends its INFO at once and waits for CONNECT, then INFO; the dialling side sends CONNECT
//! and INFO at once, never waiting for the peer's INFO — a 2.10+ peer holds its own until it
//! reads ours), then the route dialect: interest (`RS+`/`RS-`) into the account's index,
//! messages (`RMSG`/`HMSG`) into the delivery core, keep-alive, gossip.
//!
//! A route's subscriptions are the interest its peer announced: one index entry per subject,
//! and `weight` entries for a queue group (the peer's member count), so the random pick of
//! a queue member weighs nodes by their members, as nats-server's does. Their sid is the
//! account's name, which the delivery core writes in `RMSG`.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use fastnats_proto::route::{parse_route, route_limits, RouteOp, RoutedMsg};
use fastnats_proto::{encode, CloseReason, Limits, ParseStep};
use tokio::net::TcpStream;
use tokio::time::{interval_at, Instant, MissedTickBehavior};

use crate::account::Account;
use crate::connection::Connection;
use crate::delivery::{Delivery, Hop, HopKind, Origin};
use crate::io::{ReadSock, WriteSock};
use crate::kind::Kind;
use crate::log::Level;
use crate::log_at;
use crate::outbound::CloseMode;
use crate::route::cluster::{Cluster, Refused, Route};
use crate::route::info::{RouteConnect, RouteInfo};
use crate::shared::Shared;
use crate::subscription::SubRef;

/// Most index entries one remote queue group gets (its weight beyond this counts as this).
const MAX_WEIGHT: u32 = 1024;
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
    let _ = stream.set_nodelay(true);
    let Some(drain) = shared.drain_token() else {
        return Outcome::default();
    };
    let config = shared.config();
    let cid = shared.next_cid();
    let me = Arc::new(Connection::new(
        cid,
        Kind::Route,
        shared.global_account().clone(),
        config.max_pending,
        addr,
    ));
    me.headers.store(true, Relaxed);
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
    let mut reader = RouteReader {
        delivery: Delivery::new(shared.stats.clone()).with_publisher(me.clone()),
        limits: route_limits(&Limits {
            max_control_line: config.max_control_line,
            max_payload: config.max_payload,
            headers: true,
        }),
        connected: dialled.is_some(),
        dialled,
        remote: None,
        registered: false,
        remote_subs: HashMap::new(),
        pings_out: 0,
        active: false,
        account: shared.global_account().clone(),
        shared,
        cluster,
        me,
    };
    drop(config);
    reader.run(rd).await;
    let _ = writer.await;
    drop(drain);
    Outcome {
        remote_id: reader.remote.map(|r| r.server_id),
        registered: reader.registered,
        reason: reader.me.close_reason(),
    }
}

/// The peer's interest: account name, subject, queue group.
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

type SubKey = (Box<[u8]>, Box<[u8]>, Option<Box<[u8]>>);

/// The key of a peer's interest in its connection's subscription map (one entry per subject
/// and queue group, whatever its weight), which `/routez` lists.
fn listing_key((account, subject, queue): &SubKey) -> Box<[u8]> {
    let mut k = Vec::with_capacity(account.len() + subject.len() + 2);
    k.extend_from_slice(account);
    k.push(b' ');
    k.extend_from_slice(subject);
    if let Some(q) = queue {
        k.push(b' ');
        k.extend_from_slice(q);
    }
    k.into()
}

struct RouteReader {
    shared: Arc<Shared>,
    cluster: Arc<Cluster>,
    me: Arc<Connection>,
    delivery: Delivery,
    limits: Limits,
    dialled: Option<Dialled>,
    /// The accepting side read a valid CONNECT (the dialling side needs none).
    connected: bool,
    /// The peer's first INFO.
    remote: Option<RouteInfo>,
    registered: bool,
    /// The peer's interest, by account, subject and queue group.
    remote_subs: HashMap<SubKey, (Arc<Account>, Vec<SubRef>)>,
    pings_out: u32,
    active: bool,
    /// The account of the last routed message (whose counters the batch settles in).
    account: Arc<Account>,
}

impl RouteReader {
    async fn run(&mut self, mut rd: ReadSock) {
        let cfg = self.shared.config();
        let period = self
            .cluster
            .config
            .ping_interval
            .unwrap_or(cfg.ping_interval)
            .min(MAX_PING_INTERVAL);
        let ping_max = self.cluster.config.ping_max.unwrap_or(cfg.ping_max);
        drop(cfg);
        let mut ping = interval_at(Instant::now() + period, period);
        ping.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let handshake_timeout = match (&self.dialled, &self.cluster.config.authorization) {
            (None, Some(auth)) => auth.timeout,
            _ => HANDSHAKE_TIMEOUT,
        };
        let handshake = tokio::time::sleep(handshake_timeout);
        tokio::pin!(handshake);
        let me = self.me.clone();
        let closing = me.reader_wake.notified();
        tokio::pin!(closing);
        let mut buf: Vec<u8> = Vec::new();
        let mut needed = 0usize;
        while !self.me.is_closed() {
            let want = (16 * 1024).max(needed.saturating_sub(buf.len()));
            tokio::select! {
                biased;
                _ = &mut closing => break,
                r = rd.read_buf(&mut buf, want) => match r {
                    Ok(0) => {
                        self.me.close(CloseReason::ClientClosed, CloseMode::Flush);
                        break;
                    }
                    Ok(_) => {}
                    Err(_) => {
                        self.me.close(CloseReason::ReadError, CloseMode::Discard);
                        break;
                    }
                },
                _ = ping.tick() => {
                    self.ping_tick(ping_max);
                    continue;
                }
                _ = &mut handshake, if !self.registered => {
                    let reason = if self.connected {
                        CloseReason::ProtocolViolation
                    } else {
                        CloseReason::AuthenticationTimeout
                    };
                    if !self.connected && self.cluster.config.authorization.is_some() {
                        self.send(b"-ERR 'Authentication Timeout'\r\n");
                    }
                    self.me.close(reason, CloseMode::Flush);
                    break;
                }
            }
            self.me.touch_activity(&self.shared);
            let used = self.process(&buf, &mut needed);
            self.delivery.end_batch(&self.me, &self.account, false);
            if let Some(consumer) = self.delivery.take_stalled() {
                crate::reader::stall(&consumer, &self.me).await;
            }
            if used == buf.len() {
                buf.clear();
                if buf.capacity() > 1024 * 1024 {
                    buf = Vec::new();
                }
            } else if used > 0 {
                buf.drain(..used);
            }
        }
        self.cleanup();
    }

    /// Parses and handles every complete op in `buf`; returns the bytes used.
    fn process(&mut self, buf: &[u8], needed: &mut usize) -> usize {
        let mut pos = 0;
        *needed = 0;
        while pos < buf.len() && !self.me.is_closed() {
            match parse_route(&buf[pos..], &self.limits) {
                Ok(ParseStep::Op(op, used)) => {
                    pos += used;
                    self.active = true;
                    self.dispatch(op);
                }
                Ok(ParseStep::Incomplete { needed: n }) => {
                    *needed = n.unwrap_or(0);
                    break;
                }
                Err(e) => {
                    log_at!(
                        Level::Error,
                        "{} - rid:{} - Route Error: {e}",
                        self.me.addr,
                        self.me.cid
                    );
                    let mut line = Vec::new();
                    encode::write_err(&mut line, e);
                    self.send(&line);
                    self.me.close(e.close_reason(), CloseMode::Flush);
                    break;
                }
            }
        }
        pos
    }

    fn send(&mut self, bytes: &[u8]) {
        self.me.queue(bytes);
        self.delivery.flush_later(&self.me);
    }

    fn dispatch(&mut self, op: RouteOp<'_>) {
        match op {
            RouteOp::Ping => self.send(encode::PONG),
            RouteOp::Pong => self.pings_out = 0,
            RouteOp::Ok => {}
            RouteOp::Err(text) => {
                log_at!(
                    Level::Error,
                    "{} - rid:{} - Route Error {}",
                    self.me.addr,
                    self.me.cid,
                    String::from_utf8_lossy(text)
                );
                self.me.close(CloseReason::ParseError, CloseMode::Flush);
            }
            RouteOp::Connect(json) => self.connect(json),
            RouteOp::Info(json) => self.info(json),
            RouteOp::Sub {
                account,
                subject,
                queue,
            } if self.registered => self.remote_sub(account, subject, queue),
            RouteOp::Unsub {
                account,
                subject,
                queue,
            } if self.registered => self.remote_unsub(account, subject, queue),
            RouteOp::Msg(msg) if self.registered => self.routed(&msg),
            // Interest or messages before the handshake is done.
            RouteOp::Sub { .. } | RouteOp::Unsub { .. } | RouteOp::Msg(_) => {
                self.me
                    .close(CloseReason::ProtocolViolation, CloseMode::Flush);
            }
        }
    }

    /// The accepting side's check of the dialler's CONNECT (nats-server's
    /// `processRouteConnect` and `isRouterAuthorized`).
    fn connect(&mut self, json: &[u8]) {
        if self.dialled.is_some() || self.connected {
            self.me
                .close(CloseReason::ProtocolViolation, CloseMode::Flush);
            return;
        }
        let Ok(c) = serde_json::from_slice::<RouteConnect>(json) else {
            self.me
                .close(CloseReason::ProtocolViolation, CloseMode::Flush);
            return;
        };
        if c.lang.as_deref().is_some_and(|l| !l.is_empty()) {
            self.send(b"-ERR 'Attempted To Connect To Route Port'\r\n");
            self.me.close(CloseReason::WrongPort, CloseMode::Flush);
            return;
        }
        if let Some(auth) = &self.cluster.config.authorization {
            if c.user != auth.user || !crate::auth::compare_password(&auth.password, &c.pass) {
                log_at!(
                    Level::Error,
                    "{} - rid:{} - authentication error",
                    self.me.addr,
                    self.me.cid
                );
                self.send(b"-ERR 'Authorization Violation'\r\n");
                self.me
                    .close(CloseReason::AuthenticationViolation, CloseMode::Flush);
                return;
            }
        }
        if !self.cluster.accept_name(&c.cluster, c.dynamic) {
            let text = format!(
                "Rejecting connection, cluster name {:?} does not match {:?}",
                c.cluster,
                self.cluster.name()
            );
            log_at!(
                Level::Error,
                "{} - rid:{} - {text}",
                self.me.addr,
                self.me.cid
            );
            self.send(format!("-ERR '{text}'\r\n").as_bytes());
            self.me
                .close(CloseReason::ClusterNameConflict, CloseMode::Flush);
            return;
        }
        self.me.headers.store(c.headers, Relaxed);
        self.connected = true;
    }

    /// A peer's INFO: its identity (the first), news of another server (gossip), or a
    /// change of its own client URLs.
    fn info(&mut self, json: &[u8]) {
        let Ok(info) = serde_json::from_slice::<RouteInfo>(json) else {
            self.me
                .close(CloseReason::ProtocolViolation, CloseMode::Flush);
            return;
        };
        if let Some(remote) = &self.remote {
            if info.server_id != remote.server_id {
                crate::route::dial::implicit(&self.shared, &self.cluster, &info);
            } else {
                let id = remote.server_id.clone();
                self.cluster
                    .update_peer_urls(&self.shared, &id, info.connect_urls, info.ldm);
            }
            return;
        }
        if !self.connected {
            // The dialler must send CONNECT first.
            self.me
                .close(CloseReason::ProtocolViolation, CloseMode::Flush);
            return;
        }
        if info.server_id == self.cluster.server_id {
            log_at!(
                Level::Debug,
                "Detected route to self, ignoring {}",
                self.me.addr
            );
            self.remote = Some(info);
            self.me.close(CloseReason::DuplicateRoute, CloseMode::Flush);
            return;
        }
        if !self.cluster.accept_name(&info.cluster, info.dynamic) {
            self.remote = Some(info);
            self.me
                .close(CloseReason::ClusterNameConflict, CloseMode::Flush);
            return;
        }
        let config = self.shared.config();
        if self.dialled.is_none()
            && !config.server_name.is_empty()
            && info.server_name == config.server_name
        {
            log_at!(
                Level::Error,
                "{} - rid:{} - Remote server has a duplicate name: {:?}",
                self.me.addr,
                self.me.cid,
                info.server_name
            );
            self.remote = Some(info);
            self.me
                .close(CloseReason::DuplicateServerName, CloseMode::Flush);
            return;
        }
        let url = if info.ip.is_empty() {
            format!("nats-route://{}:{}/", self.me.addr.ip(), info.port)
        } else {
            info.ip.clone()
        };
        let route = Route {
            conn: self.me.clone(),
            info: info.clone(),
            solicited: self.dialled.is_some(),
            configured: self.dialled.as_ref().is_some_and(|d| d.configured),
            url,
            started: SystemTime::now(),
        };
        self.me.meta.lock().name.clone_from(&info.server_name);
        self.remote = Some(info);
        match self.cluster.register(&self.shared, route) {
            Ok(()) => self.registered = true,
            Err(Refused::Duplicate) => {
                self.me.close(CloseReason::DuplicateRoute, CloseMode::Flush);
            }
            Err(Refused::ShuttingDown) => {
                self.me.close(CloseReason::ServerShutdown, CloseMode::Flush);
            }
        }
    }

    /// The account an op names; unknown accounts are skipped (their peers' config differs).
    fn account(&self, name: &[u8]) -> Option<Arc<Account>> {
        let name = std::str::from_utf8(name).ok()?;
        self.shared.account(Some(name))
    }

    /// `RS+`: the peer's interest in `subject` (a queue group's weight replaces the last).
    fn remote_sub(&mut self, account: &[u8], subject: &[u8], queue: Option<(&[u8], u32)>) {
        let Some(acc) = self.account(account) else {
            log_at!(
                Level::Debug,
                "rid:{} - Unknown account {:?} for remote subject {:?}",
                self.me.cid,
                String::from_utf8_lossy(account),
                String::from_utf8_lossy(subject)
            );
            return;
        };
        let key: SubKey = (account.into(), subject.into(), queue.map(|(q, _)| q.into()));
        let listed = listing_key(&key);
        let want = queue.map_or(1, |(_, w)| w.clamp(1, MAX_WEIGHT)) as usize;
        let (_, entries) = self
            .remote_subs
            .entry(key)
            .or_insert_with(|| (acc.clone(), Vec::new()));
        if entries.len() == want {
            return;
        }
        while entries.len() > want {
            if let Some(sub) = entries.pop() {
                acc.index.remove(&sub);
            }
        }
        while entries.len() < want {
            let sub = SubRef::new(self.me.clone(), subject, queue.map(|(q, _)| q), account);
            if acc.index.insert(sub.clone()).is_err() {
                log_at!(
                    Level::Debug,
                    "rid:{} - Invalid remote subject {:?}",
                    self.me.cid,
                    String::from_utf8_lossy(subject)
                );
                break;
            }
            entries.push(sub);
        }
        match entries.first() {
            Some(first) => {
                self.me.subs.lock().insert(listed, first.clone());
            }
            None => {
                self.me.subs.lock().remove(&listed);
            }
        }
    }

    /// `RS-`: the peer has no interest left in `subject` (and queue group).
    fn remote_unsub(&mut self, account: &[u8], subject: &[u8], queue: Option<&[u8]>) {
        let key: SubKey = (account.into(), subject.into(), queue.map(Into::into));
        if let Some((acc, subs)) = self.remote_subs.remove(&key) {
            acc.index.remove_all(subs.iter());
            self.me.subs.lock().remove(&listing_key(&key));
        }
    }

    /// `RMSG`/`HMSG`: delivered to this server's subscribers only.
    fn routed(&mut self, msg: &RoutedMsg<'_>) {
        self.delivery.count_in(msg.msg.data.len());
        let Some(acc) = self.account(msg.account) else {
            return;
        };
        let from = Origin {
            cid: self.me.cid,
            echo: true,
        };
        self.delivery
            .route_from_peer(
                &acc,
                from,
                &msg.msg,
                Hop {
                    kind: HopKind::Route,
                    queues: Some(msg.queues),
                },
            );
        if !Arc::ptr_eq(&acc, &self.account) {
            self.account = acc;
        }
    }

    /// nats-server's keep-alive: skip when the peer was active, else PING or declare stale.
    fn ping_tick(&mut self, ping_max: u32) {
        if std::mem::take(&mut self.active) {
            return;
        }
        if self.pings_out + 1 > ping_max {
            self.shared.stats.stale_connections.fetch_add(1, Relaxed);
            log_at!(
                Level::Debug,
                "{} - rid:{} - Stale Route Connection - Closing",
                self.me.addr,
                self.me.cid
            );
            self.me
                .close(CloseReason::StaleConnection, CloseMode::Flush);
        } else {
            self.pings_out += 1;
            self.send(encode::PING);
        }
        self.delivery.flush_now();
    }

    /// The route ended: its interest leaves the indexes, its registration the cluster.
    fn cleanup(&mut self) {
        self.delivery.flush_now();
        for (_, (acc, subs)) in self.remote_subs.drain() {
            acc.index.remove_all(subs.iter());
        }
        self.me.subs.lock().clear();
        if self.registered {
            self.cluster.unregister(&self.shared, self.me.cid);
            log_at!(
                Level::Info,
                "{} - rid:{} - Router connection closed: {}",
                self.me.addr,
                self.me.cid,
                self.me
                    .close_reason()
                    .map_or("Client Closed", |r| r.as_str())
            );
        }
    }
}
