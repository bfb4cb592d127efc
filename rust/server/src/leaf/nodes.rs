//! The leaf connections of a server: this server's hub INFO, the connections by id (for
//! `/leafz`), and the listener's address.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::{Arc, OnceLock};
use std::time::SystemTime;

use fastnats_proto::CloseReason;
use parking_lot::{Mutex, RwLock};

use crate::connection::Connection;
use crate::leaf::config::LeafNodeConfig;
use crate::leaf::info::LeafInfo;
use crate::outbound::CloseMode;
use crate::shared::Shared;

/// One leaf connection, registered once its handshake is done.
#[derive(Debug, Clone)]
pub struct Leaf {
    /// The connection.
    pub conn: Arc<Connection>,
    /// The other server's name.
    pub name: String,
    /// The account the connection is bound to here.
    pub account: String,
    /// Whether it leads to a hub this server dialled.
    pub spoke: bool,
    /// When it registered.
    pub started: SystemTime,
}

/// A leaf connection as `/leafz` shows it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct LeafSnapshot {
    /// The connection id.
    pub cid: u64,
    /// The other server's name.
    pub name: String,
    /// Whether it leads to a hub this server dialled.
    pub is_spoke: bool,
    /// The account it is bound to.
    pub account: String,
    /// The other side's address.
    pub ip: String,
    /// The other side's port.
    pub port: u16,
    /// Round-trip time in seconds (0: not measured yet).
    pub rtt: f64,
    /// Messages received from it.
    pub in_msgs: u64,
    /// Messages sent to it.
    pub out_msgs: u64,
    /// Bytes received from it.
    pub in_bytes: u64,
    /// Bytes sent to it.
    pub out_bytes: u64,
    /// The interest it announced: `subject` or `subject queue`.
    pub subscriptions: Vec<String>,
}

/// The leaf-node state of one server.
pub struct LeafNodes {
    /// The `leafnodes {}` option (fixed for the server's lifetime).
    pub config: LeafNodeConfig,
    /// The listener's address, once bound.
    pub addr: OnceLock<SocketAddr>,
    leafs: Mutex<HashMap<u64, Leaf>>,
    info: RwLock<LeafInfo>,
    /// TLS of the listener and of each remote.
    pub tls: crate::compiled::LeafTls,
}

impl LeafNodes {
    /// The leaf-node state for `config`; `info` is the client INFO (id, name, limits).
    pub fn new(
        config: LeafNodeConfig,
        info: &fastnats_proto::ServerInfo,
        tls: crate::compiled::LeafTls,
    ) -> Self {
        let auth_required = config.authorization.as_ref().is_some_and(|a| {
            a.user.as_deref().is_some_and(|u| !u.is_empty()) || !a.users.is_empty()
        });
        LeafNodes {
            addr: OnceLock::new(),
            leafs: Mutex::new(HashMap::new()),
            info: RwLock::new(LeafInfo {
                server_id: info.server_id.clone(),
                server_name: info.server_name.clone(),
                version: info.version.clone(),
                proto: 1,
                go: info.go.clone(),
                headers: info.headers,
                auth_required,
                tls_required: tls.listener.is_some(),
                max_payload: info.max_payload,
                ..LeafInfo::default()
            }),
            config,
            tls,
        }
    }

    /// Records the bound listener: the URL leaf nodes are given.
    pub fn set_listener(&self, addr: SocketAddr) {
        let _ = self.addr.set(addr);
        let mut info = self.info.write();
        info.host.clone_from(&self.config.host);
        info.port = addr.port();
        let url = match &self.config.advertise {
            Some(a) => a.clone(),
            None => {
                let host = if self.config.host == "0.0.0.0" || self.config.host == "::" {
                    addr.ip().to_string()
                } else {
                    self.config.host.clone()
                };
                format!("{host}:{}", addr.port())
            }
        };
        info.leafnode_urls = vec![url];
    }

    /// The hub INFO for a new leaf connection `cid` from `ip`, with `nonce` and the cluster's
    /// name.
    pub fn info_line(&self, cid: u64, ip: &str, nonce: &str, cluster: &str) -> Vec<u8> {
        let mut info = self.info.read().clone();
        info.cid = cid;
        info.client_ip = ip.to_string();
        info.nonce = nonce.to_string();
        info.cluster = cluster.to_string();
        let mut line = b"INFO ".to_vec();
        line.extend_from_slice(serde_json::to_string(&info).unwrap_or_default().as_bytes());
        line.extend_from_slice(b"\r\n");
        line
    }

    /// Registers a leaf connection whose handshake is done.
    pub fn register(&self, leaf: Leaf) {
        self.leafs.lock().insert(leaf.conn.cid, leaf);
    }

    /// Removes leaf connection `cid`; returns whether it was registered.
    pub fn unregister(&self, cid: u64) -> bool {
        self.leafs.lock().remove(&cid).is_some()
    }

    /// The number of leaf connections.
    pub fn count(&self) -> usize {
        self.leafs.lock().len()
    }

    /// The number of leaf connections bound to account `name`.
    pub fn count_in(&self, name: &str) -> usize {
        self.leafs
            .lock()
            .values()
            .filter(|l| l.account == name)
            .count()
    }

    /// Closes every leaf connection (shutdown).
    pub fn close_all(&self) {
        let conns: Vec<Arc<Connection>> =
            self.leafs.lock().values().map(|l| l.conn.clone()).collect();
        for c in conns {
            c.close(CloseReason::ServerShutdown, CloseMode::Flush);
        }
    }

    /// Every leaf connection as `/leafz` shows it, oldest first.
    pub fn snapshot(&self, _shared: &Shared) -> Vec<LeafSnapshot> {
        let mut leafs: Vec<Leaf> = self.leafs.lock().values().cloned().collect();
        leafs.sort_by_key(|l| l.conn.cid);
        leafs
            .into_iter()
            .map(|l| {
                let c = &l.conn;
                let (out_msgs, out_bytes) = {
                    let out = c.out.lock();
                    (out.msgs, out.bytes)
                };
                let subscriptions = c
                    .subs
                    .lock()
                    .values()
                    .map(|sub| {
                        let mut s = String::from_utf8_lossy(sub.subject()).into_owned();
                        if let Some(q) = sub.queue() {
                            s.push(' ');
                            s.push_str(&String::from_utf8_lossy(q));
                        }
                        s
                    })
                    .collect();
                LeafSnapshot {
                    cid: c.cid,
                    name: l.name.clone(),
                    is_spoke: l.spoke,
                    account: l.account.clone(),
                    ip: c.addr.ip().to_string(),
                    port: c.addr.port(),
                    rtt: c.rtt().as_secs_f64(),
                    in_msgs: c.in_msgs.load(Ordering::Relaxed),
                    out_msgs,
                    in_bytes: c.in_bytes.load(Ordering::Relaxed),
                    out_bytes,
                    subscriptions,
                }
            })
            .collect()
    }
}
