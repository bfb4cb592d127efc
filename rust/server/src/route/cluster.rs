//! The cluster as this server sees it: its routes by peer id, the cluster name, this
//! server's route INFO, and what changes when a route comes or goes — the interest snapshot
//! sent to it, the news of it forwarded to the other routes (gossip, so a cluster seeded
//! through one server becomes a full mesh), and the `connect_urls` clients are told of.

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::SystemTime;

use fastnats_proto::{encode, CloseReason};
use parking_lot::{Mutex, RwLock};
use tokio::sync::Notify;

use crate::connection::Connection;
use crate::log::Level;
use crate::log_at;
use crate::outbound::CloseMode;
use crate::route::config::ClusterConfig;
use crate::route::info::{gossip, RouteInfo, ROUTE_PROTO};
use crate::route::interest::Peers;
use crate::shared::Shared;

/// One registered route.
#[derive(Debug, Clone)]
pub struct Route {
    /// The connection.
    pub conn: Arc<Connection>,
    /// The peer's INFO (its first one, with `connect_urls` kept up to date).
    pub info: RouteInfo,
    /// Whether this server dialled it.
    pub solicited: bool,
    /// Whether it is one of the configured routes (else learned through gossip, or accepted).
    pub configured: bool,
    /// Where to dial the peer: its advertised `ip`, or its address and route port.
    pub url: String,
    /// When it registered.
    pub started: SystemTime,
}

/// A route as `/routez` shows it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct RouteSnapshot {
    /// The route's connection id.
    pub rid: u64,
    /// The peer's server id.
    pub remote_id: String,
    /// The peer's server name.
    pub remote_name: String,
    /// Whether this server dialled it.
    pub did_solicit: bool,
    /// Whether it is a configured route.
    pub is_configured: bool,
    /// The peer's address.
    pub ip: String,
    /// The peer's port (of this connection).
    pub port: u16,
    /// When it registered (Unix seconds).
    pub start: f64,
    /// Last activity (Unix seconds).
    pub last_activity: f64,
    /// Round-trip time in seconds (0: not measured yet).
    pub rtt: f64,
    /// Bytes queued to it.
    pub pending_size: usize,
    /// Messages received from it.
    pub in_msgs: u64,
    /// Messages sent to it.
    pub out_msgs: u64,
    /// Bytes received from it.
    pub in_bytes: u64,
    /// Bytes sent to it.
    pub out_bytes: u64,
    /// The interest it announced: `subject` or `subject queue`, per account.
    pub subscriptions: Vec<String>,
    /// The accounts of `subscriptions`, in the same order.
    pub subscription_accounts: Vec<String>,
}

/// Why a route could not register.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// Another route to the same server is kept.
    Duplicate,
    /// The server is shutting down.
    ShuttingDown,
}

/// The cluster state of one server.
pub struct Cluster {
    /// The `cluster {}` option (fixed for the server's lifetime: a reload refuses changes).
    pub config: ClusterConfig,
    /// The routes interest changes go to (see [`crate::route::interest`]).
    pub peers: Arc<Peers>,
    /// This server's id.
    pub server_id: String,
    name: RwLock<String>,
    dynamic: AtomicBool,
    routes: Mutex<HashMap<String, Route>>,
    /// Woken when a route goes, and when the server shuts down (dialers wait on it).
    pub changed: Notify,
    /// URLs being dialled now (gossip does not start a second dialer for one).
    dialing: Mutex<HashSet<String>>,
    /// The route listener's address, once bound.
    pub addr: OnceLock<SocketAddr>,
    /// This server's route INFO (the per-connection parts are filled in when sent).
    info: RwLock<RouteInfo>,
    /// This server's own client URLs (`host:port`), first in `connect_urls`.
    own_client_urls: Vec<String>,
    /// This server's own WebSocket URLs (`host:port`; none without a WebSocket listener).
    own_ws_urls: Vec<String>,
    /// TLS on routes (`cluster.tls`), both sides.
    pub tls: Option<crate::compiled::RouteTls>,
}

impl Cluster {
    /// The cluster state for `config`; `info` is the client INFO (id, name, limits), `port`
    /// the bound client port, `ws_urls` this server's WebSocket URLs.
    pub fn new(
        config: ClusterConfig,
        info: &fastnats_proto::ServerInfo,
        port: u16,
        tls: Option<crate::compiled::RouteTls>,
        ws_urls: Vec<String>,
    ) -> Self {
        let dynamic = config.name.is_empty();
        let name = if dynamic {
            crate::accept::new_server_id()[1..23].to_string()
        } else {
            config.name.clone()
        };
        let route_info = RouteInfo {
            server_id: info.server_id.clone(),
            server_name: info.server_name.clone(),
            version: info.version.clone(),
            proto: ROUTE_PROTO,
            go: info.go.clone(),
            headers: info.headers,
            auth_required: config.authorization.is_some(),
            tls_required: tls.is_some(),
            tls_verify: config.tls.as_ref().is_some_and(|t| t.verify),
            max_payload: info.max_payload,
            ..RouteInfo::default()
        };
        Cluster {
            own_client_urls: client_urls(&info.host, port),
            own_ws_urls: ws_urls,
            peers: Arc::new(Peers::default()),
            server_id: info.server_id.clone(),
            name: RwLock::new(name),
            dynamic: AtomicBool::new(dynamic),
            routes: Mutex::new(HashMap::new()),
            changed: Notify::new(),
            dialing: Mutex::new(HashSet::new()),
            addr: OnceLock::new(),
            info: RwLock::new(route_info),
            config,
            tls,
        }
    }

    /// Records the bound route listener: the port (and the advertised address) peers get.
    pub fn set_listener(&self, addr: SocketAddr) {
        let _ = self.addr.set(addr);
        let mut info = self.info.write();
        match self
            .config
            .advertise
            .as_deref()
            .and_then(|a| crate::route::url::RouteUrl::parse_with_port(a, addr.port()).ok())
        {
            Some(adv) => {
                info.host.clone_from(&adv.host);
                info.port = adv.port;
                info.ip = format!("nats-route://{}/", adv.host_port);
            }
            None => {
                info.host.clone_from(&self.config.host);
                info.port = addr.port();
            }
        }
    }

    /// The cluster's name (a random one until a peer's replaces it, when not configured).
    pub fn name(&self) -> String {
        self.name.read().clone()
    }

    /// Whether the name was picked at random.
    pub fn is_dynamic(&self) -> bool {
        self.dynamic.load(Ordering::Relaxed)
    }

    /// nats-server's rule for a peer's cluster name `theirs` (`dynamic`: picked at random):
    /// a random name of ours yields to a configured one, or to a random one that sorts
    /// higher. Returns whether the names now agree.
    pub fn accept_name(&self, theirs: &str, dynamic: bool) -> bool {
        if theirs.is_empty() || *self.name.read() == theirs {
            return true;
        }
        let mut name = self.name.write();
        if self.is_dynamic() && (!dynamic || name.as_str() < theirs) {
            log_at!(
                Level::Info,
                "Cluster name updated from {:?} to {:?}",
                *name,
                theirs
            );
            *name = theirs.to_string();
            if !dynamic {
                self.dynamic.store(false, Ordering::Relaxed);
            }
            return true;
        }
        false
    }

    /// This server's route INFO as sent on a new route.
    pub fn info_line(&self, client_urls: bool) -> Vec<u8> {
        let mut info = self.info.read().clone();
        info.cluster = self.name();
        info.dynamic = self.is_dynamic();
        if client_urls && !self.config.no_advertise {
            info.connect_urls.clone_from(&self.own_client_urls);
            info.ws_connect_urls.clone_from(&self.own_ws_urls);
        }
        info.to_line()
    }

    /// Registers a route whose INFO was read (see the module doc). On `Ok`, the route has
    /// been sent the interest snapshot, the other routes the news of it, and clients the
    /// new `connect_urls`.
    pub fn register(&self, shared: &Shared, route: Route) -> Result<(), Refused> {
        if shared.is_shutting_down() {
            return Err(Refused::ShuttingDown);
        }
        let id = route.info.server_id.clone();
        {
            let mut routes = self.routes.lock();
            if routes.contains_key(&id) {
                // nats-server keeps the route it has and closes the new one; doing the same
                // keeps a mixed cluster from closing both.
                return Err(Refused::Duplicate);
            }
            routes.insert(id.clone(), route.clone());
        }
        self.peers.register(route.conn.clone());
        for account in shared.accounts() {
            account.index.snapshot_routes(&route.conn);
        }
        route.conn.flush();
        log_at!(
            Level::Info,
            "{} - rid:{} - Route connection created",
            route.conn.addr,
            route.conn.cid
        );
        self.forward(&route);
        self.connect_urls_changed(shared);
        Ok(())
    }

    /// Removes route `cid` (its connection ended); returns the peer's id if it was
    /// registered.
    pub fn unregister(&self, shared: &Shared, cid: u64) -> Option<String> {
        let id = {
            let mut routes = self.routes.lock();
            let id = routes
                .iter()
                .find(|(_, r)| r.conn.cid == cid)
                .map(|(id, _)| id.clone())?;
            routes.remove(&id);
            id
        };
        self.peers.unregister(cid);
        self.changed.notify_waiters();
        self.connect_urls_changed(shared);
        Some(id)
    }

    /// Whether a route to server `id` is registered.
    pub fn has(&self, id: &str) -> bool {
        self.routes.lock().contains_key(id)
    }

    /// Every registered route.
    pub fn routes(&self) -> Vec<Route> {
        self.routes.lock().values().cloned().collect()
    }

    /// Every registered route as `/routez` shows it (oldest first).
    pub fn snapshot(&self, shared: &Shared) -> Vec<RouteSnapshot> {
        let mut routes = self.routes();
        routes.sort_by_key(|r| r.conn.cid);
        let unix = |t: SystemTime| {
            t.duration_since(std::time::UNIX_EPOCH)
                .map_or(0.0, |d| d.as_secs_f64())
        };
        routes
            .into_iter()
            .map(|r| {
                let c = &r.conn;
                let (pending, out_msgs, out_bytes) = {
                    let out = c.out.lock();
                    (out.pending(), out.msgs, out.bytes)
                };
                let mut subscriptions = Vec::new();
                let mut subscription_accounts = Vec::new();
                for sub in c.subs.lock().values() {
                    let mut s = String::from_utf8_lossy(sub.subject()).into_owned();
                    if let Some(q) = sub.queue() {
                        s.push(' ');
                        s.push_str(&String::from_utf8_lossy(q));
                    }
                    subscriptions.push(s);
                    subscription_accounts.push(String::from_utf8_lossy(sub.sid()).into_owned());
                }
                let last = std::time::Duration::from_nanos(c.last_activity.load(Ordering::Relaxed));
                RouteSnapshot {
                    rid: c.cid,
                    remote_id: r.info.server_id.clone(),
                    remote_name: r.info.server_name.clone(),
                    did_solicit: r.solicited,
                    is_configured: r.configured,
                    ip: c.addr.ip().to_string(),
                    port: c.addr.port(),
                    start: unix(r.started),
                    last_activity: unix(shared.started_wall + last),
                    rtt: c.rtt().as_secs_f64(),
                    pending_size: pending,
                    in_msgs: c.in_msgs.load(Ordering::Relaxed),
                    out_msgs,
                    in_bytes: c.in_bytes.load(Ordering::Relaxed),
                    out_bytes,
                    subscriptions,
                    subscription_accounts,
                }
            })
            .collect()
    }

    /// A peer's client URLs changed (an async INFO, lame duck mode): `info` is its INFO.
    pub fn update_peer_urls(&self, shared: &Shared, id: &str, info: RouteInfo) {
        {
            let mut routes = self.routes.lock();
            let Some(r) = routes.get_mut(id) else { return };
            let ldm = info.ldm;
            r.info.connect_urls = if ldm { Vec::new() } else { info.connect_urls };
            r.info.ws_connect_urls = if ldm {
                Vec::new()
            } else {
                info.ws_connect_urls
            };
            r.info.ldm = ldm;
        }
        self.connect_urls_changed(shared);
    }

    /// Whether `url` is one of the configured routes (gossip does not dial those a second
    /// time: their own dialer does).
    pub fn is_configured(&self, host: &str, port: u16) -> bool {
        self.config.routes.iter().any(|r| {
            crate::route::url::RouteUrl::parse(r)
                .is_ok_and(|u| u.port == port && u.host.eq_ignore_ascii_case(host))
        })
    }

    /// Claims `url` for a dialer; false if one is dialling it already.
    pub fn claim_dial(&self, url: &str) -> bool {
        self.dialing.lock().insert(url.to_string())
    }

    /// Releases a claim of [`Cluster::claim_dial`].
    pub fn release_dial(&self, url: &str) {
        self.dialing.lock().remove(url);
    }

    /// Tells every peer this server entered lame duck mode: they withdraw its client URLs
    /// from their clients' `connect_urls` (nats-server sends its route INFO with `ldm`).
    pub fn announce_lame_duck(&self) {
        let mut info = self.info.read().clone();
        info.cluster = self.name();
        info.dynamic = self.is_dynamic();
        info.ldm = true;
        let line = info.to_line();
        for r in self.routes() {
            r.conn.queue(&line);
            r.conn.flush();
        }
    }

    /// Closes every route (shutdown).
    pub fn close_all(&self) {
        let routes: Vec<Arc<Connection>> = self
            .routes
            .lock()
            .values()
            .map(|r| r.conn.clone())
            .collect();
        for r in routes {
            r.close(CloseReason::ServerShutdown, CloseMode::Flush);
        }
        self.changed.notify_waiters();
    }

    /// Tells the other routes of a new one (nats-server's
    /// `forwardNewRouteInfoToKnownServers`), so each of them dials it: a route this server
    /// dialled because of gossip is not passed on (unless the news said to), nor one whose
    /// news said not to.
    fn forward(&self, new: &Route) {
        let from_gossip = new.solicited && !new.configured;
        if (from_gossip && new.info.gossip_mode != gossip::OVERRIDE)
            || new.info.gossip_mode == gossip::DISABLED
        {
            return;
        }
        let mut info = new.info.clone();
        info.ip.clone_from(&new.url);
        let others: Vec<Route> = self
            .routes
            .lock()
            .values()
            .filter(|r| r.info.server_id != new.info.server_id)
            .cloned()
            .collect();
        for r in others {
            info.gossip_mode = if (!new.solicited && r.configured && r.solicited)
                || (new.solicited && new.configured)
            {
                gossip::OVERRIDE
            } else if !new.solicited {
                gossip::DISABLED
            } else {
                gossip::DEFAULT
            };
            r.conn.queue(&info.to_line());
            r.conn.flush();
        }
    }

    /// Every client URL of the cluster: this server's, then its peers'; none with
    /// `no_advertise` (nats-server then tells its clients of no other server).
    pub fn connect_urls(&self) -> Vec<String> {
        self.gather(&self.own_client_urls, |i| &i.connect_urls)
    }

    /// Every WebSocket URL of the cluster, as [`Cluster::connect_urls`].
    pub fn ws_connect_urls(&self) -> Vec<String> {
        self.gather(&self.own_ws_urls, |i| &i.ws_connect_urls)
    }

    /// `own`, then the peers' URLs `urls` picks from their INFO, oldest route first.
    fn gather(&self, own: &[String], urls: impl Fn(&RouteInfo) -> &Vec<String>) -> Vec<String> {
        if self.config.no_advertise {
            return Vec::new();
        }
        let mut all = own.to_vec();
        let mut peers: Vec<Route> = self.routes.lock().values().cloned().collect();
        peers.sort_by_key(|r| r.started);
        for r in peers {
            for u in urls(&r.info) {
                if !all.contains(u) {
                    all.push(u.clone());
                }
            }
        }
        all
    }

    /// Puts the cluster's client URLs in INFO and tells clients that take async INFO
    /// (nats-server's `sendAsyncInfoToClients`), when they changed; the same for the
    /// WebSocket URLs and WebSocket clients.
    fn connect_urls_changed(&self, shared: &Shared) {
        let urls = self.connect_urls();
        let info = {
            let mut info = shared.info.write();
            (info.connect_urls != urls).then(|| {
                info.connect_urls = urls;
                info.clone()
            })
        };
        let ws_info = shared.websocket.as_ref().and_then(|ws| {
            let urls = self.ws_connect_urls();
            let mut current = ws.connect_urls.write();
            if *current == urls {
                return None;
            }
            *current = urls;
            drop(current);
            let mut info = shared.info.read().clone();
            ws.client_info(&mut info);
            Some(info)
        });
        if shared.is_shutting_down() || (info.is_none() && ws_info.is_none()) {
            return;
        }
        let line = |info: &Option<fastnats_proto::ServerInfo>| {
            info.as_ref().map(|i| {
                let mut line = Vec::new();
                encode::write_info(&mut line, i);
                line
            })
        };
        let (line, ws_line) = (line(&info), line(&ws_info));
        for c in &shared.client_list() {
            let line = if c.websocket { &ws_line } else { &line };
            if let Some(line) = line {
                if c.meta.lock().protocol >= 1 {
                    c.queue(line);
                    c.flush();
                }
            }
        }
    }
}

/// nats-server's client URLs of a server listening on `host:port`: every global unicast
/// address of the machine when `host` is unspecified (`0.0.0.0`, `::`), else `host:port`.
pub(crate) fn client_urls(host: &str, port: u16) -> Vec<String> {
    let join = |ip: &str| {
        if ip.contains(':') {
            format!("[{ip}]:{port}")
        } else {
            format!("{ip}:{port}")
        }
    };
    match host.parse::<std::net::IpAddr>() {
        Ok(ip) if ip.is_unspecified() => if_addrs::get_if_addrs()
            .unwrap_or_default()
            .into_iter()
            .map(|i| i.ip())
            .filter(|ip| !ip.is_loopback() && !ip.is_unspecified() && !ip.is_multicast())
            .filter(|ip| match ip {
                std::net::IpAddr::V6(v6) => (v6.segments()[0] & 0xffc0) != 0xfe80,
                std::net::IpAddr::V4(v4) => !v4.is_link_local(),
            })
            .map(|ip| join(&ip.to_string()))
            .collect(),
        _ => vec![join(host)],
    }
}
