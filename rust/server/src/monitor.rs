//! Point-in-time snapshots of connections, subscriptions and accounts, for monitoring
//! (`/connz`, `/subsz`, `/accstatz`, `Server.connz()` in Python).
//!
//! Read on demand from the same counters the message path updates anyway: taking a snapshot
//! locks each connection briefly, one at a time; nothing is recorded per message for it.

use std::sync::atomic::Ordering::{Acquire, Relaxed};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use crate::connection::Connection;
use crate::shared::Shared;
use crate::system::account_stat::AccountStat;

/// How many closed connections are kept (nats-server's `max_closed_clients` default).
pub const MAX_CLOSED: usize = 10_000;

/// One subscription.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubSnapshot {
    /// The subscriber's connection id.
    pub cid: u64,
    /// The subject subscribed to.
    pub subject: String,
    /// The queue group, if any.
    pub queue: Option<String>,
    /// The subscription id.
    pub sid: String,
    /// Messages delivered to it.
    pub msgs: u64,
    /// Auto-unsubscribe limit, 0 for none.
    pub max: u64,
    /// The subscriber's account.
    pub account: String,
}

/// One connection.
#[derive(Debug, Clone)]
pub struct ConnSnapshot {
    /// The connection id.
    pub cid: u64,
    /// The peer's IP address.
    pub ip: String,
    /// The peer's port.
    pub port: u16,
    /// When the connection was accepted.
    pub start: SystemTime,
    /// The last read with messages or SUB/UNSUB in it (start until then).
    pub last_activity: SystemTime,
    /// Bytes queued or being written to it.
    pub pending_bytes: u64,
    /// Messages received from it.
    pub in_msgs: u64,
    /// Messages delivered to it.
    pub out_msgs: u64,
    /// Payload bytes received from it.
    pub in_bytes: u64,
    /// Payload bytes delivered to it.
    pub out_bytes: u64,
    /// Its subscriptions, by sid.
    pub subs: Vec<SubSnapshot>,
    /// CONNECT `name`.
    pub name: String,
    /// CONNECT `lang`.
    pub lang: String,
    /// CONNECT `version`.
    pub version: String,
    /// The authenticated user, if any.
    pub user: Option<String>,
    /// The account it belongs to (`$G` unless its user is in another).
    pub account: String,
    /// The account's name tag (`/connz` `name_tag`): the account JWT's name in operator
    /// mode, else the account's name.
    pub name_tag: String,
    /// When it closed, and why (closed connections only).
    pub stop: Option<SystemTime>,
    /// nats-server's close reason (closed connections only).
    pub reason: Option<&'static str>,
    /// Whether the client came over WebSocket (`/connz` `type`).
    pub websocket: bool,
    /// The TLS version and cipher suite (`/connz` `tls_version`, `tls_cipher_suite`).
    pub tls: Option<(&'static str, &'static str)>,
    /// The round-trip time last measured (zero: none yet).
    pub rtt: Duration,
    /// Times publishers were stalled waiting for it to drain.
    pub stalls: u64,
}

fn snapshot(shared: &Shared, c: &Connection) -> ConnSnapshot {
    let (pending, out_msgs, out_bytes, reason) = {
        let out = c.out.lock();
        (
            out.pending() as u64,
            out.msgs,
            out.bytes,
            out.close.map(|(r, _)| r.as_str()),
        )
    };
    let mut subs: Vec<SubSnapshot> = c
        .subs
        .lock()
        .values()
        .map(|s| SubSnapshot {
            cid: c.cid,
            subject: String::from_utf8_lossy(s.subject()).into_owned(),
            queue: s
                .queue()
                .as_ref()
                .map(|q| String::from_utf8_lossy(q).into_owned()),
            sid: String::from_utf8_lossy(s.sid()).into_owned(),
            msgs: s.delivered.load(Acquire),
            max: s.max.load(Acquire),
            account: c.account().name().to_string(),
        })
        .collect();
    subs.sort_by(|a, b| a.sid.cmp(&b.sid));
    let meta = c.meta.lock().clone();
    let active = c.last_activity.load(Relaxed);
    ConnSnapshot {
        account: c.account().name().to_string(),
        name_tag: c.account().name_tag(),
        cid: c.cid,
        ip: c.addr.ip().to_string(),
        port: c.addr.port(),
        start: c.started_wall,
        last_activity: if active == 0 {
            c.started_wall
        } else {
            shared.started_wall + Duration::from_nanos(active)
        },
        pending_bytes: pending,
        in_msgs: c.in_msgs.load(Relaxed),
        out_msgs,
        in_bytes: c.in_bytes.load(Relaxed),
        out_bytes,
        subs,
        name: meta.name,
        lang: meta.lang,
        version: meta.version,
        user: meta.user,
        stop: None,
        reason,
        websocket: c.websocket,
        tls: c.tls.get().map(|t| (t.version, t.cipher_suite)),
        rtt: c.rtt(),
        stalls: c.stalls.load(Relaxed),
    }
}

/// Open connections, by connection id.
pub fn connections(shared: &Shared) -> Vec<ConnSnapshot> {
    let mut list: Vec<ConnSnapshot> = shared
        .client_list()
        .iter()
        .map(|c| snapshot(shared, c))
        .collect();
    list.sort_by_key(|c| c.cid);
    list
}

/// Recently closed connections, oldest first.
pub fn closed_connections(shared: &Shared) -> Vec<ConnSnapshot> {
    shared
        .closed
        .lock()
        .iter()
        .map(crate::closed::Closed::snapshot)
        .collect()
}

/// Every subscription of every open connection.
pub fn subscriptions(shared: &Shared) -> Vec<SubSnapshot> {
    let mut clients = shared.client_list();
    clients.sort_by_key(|c| c.cid);
    clients
        .iter()
        .flat_map(|c| snapshot(shared, c).subs)
        .collect()
}

/// Keeps the final state of a connection that just closed.
pub(crate) fn record_closed(shared: &Shared, c: &Arc<Connection>) {
    let mut snap = snapshot(shared, c);
    snap.stop = Some(SystemTime::now());
    let entry = crate::closed::Closed::new(&snap, c.addr.ip());
    drop(snap);
    let mut closed = shared.closed.lock();
    if closed.len() >= MAX_CLOSED {
        closed.pop_front();
    }
    closed.push_back(entry);
}

/// The subject-index counters of every account together, or of the one named `only`
/// (`/subsz`, `/accountz`).
pub fn sublist_stats(shared: &Shared, only: Option<&str>) -> fastnats_sublist::SublistStats {
    let mut total = fastnats_sublist::SublistStats::default();
    let accounts = shared.accounts();
    for account in accounts
        .iter()
        .filter(|a| only.is_none() || only == Some(a.name()))
    {
        let s = account.index.stats();
        total.count += s.count;
        total.cache_entries += s.cache_entries;
        total.inserts += s.inserts;
        total.removes += s.removes;
        total.matches += s.matches;
        total.cache_hits += s.cache_hits;
        total.max_fanout = total.max_fanout.max(s.max_fanout);
        total.total_fanout += s.total_fanout;
    }
    total
}

/// Every account's figures (`/accstatz?unused=1`), by name: the message counts include
/// the connections that have closed.
pub fn account_statz(shared: &Shared) -> Vec<AccountStat> {
    let mut list: Vec<AccountStat> = shared
        .accounts()
        .iter()
        .map(|a| AccountStat::of(a, shared.leaf_connections(a.name())))
        .collect();
    list.sort_by(|a, b| a.acc.cmp(&b.acc));
    list
}
