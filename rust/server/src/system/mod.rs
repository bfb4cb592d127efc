//! The system account (`$SYS` unless `system_account` names another; none with
//! `no_system_account`): an account like the others, where the server itself publishes
//! events and answers requests, as an internal client.
//!
//! - `events`: `$SYS.ACCOUNT.<account>.CONNECT` / `.DISCONNECT` with nats-server's JSON.
//! - `conns`: `$SYS.ACCOUNT.<account>.SERVER.CONNS` when an account's connections change and
//!   as a heartbeat, and the `$SYS.REQ.ACCOUNT.<account>.CONNS` request.
//! - `account_stat`: nats-server's `AccountStat` (those events' body, `/accstatz` entries).
//! - `user_info`: `$SYS.REQ.USER.INFO`, which every account imports (a client asks who it
//!   is: user, account, permissions).
//! - `imports`: the service imports every account gets from the system account
//!   (`$SYS.REQ.USER.INFO`, `$SYS.REQ.ACCOUNT.PING.CONNZ`/`.STATZ`,
//!   `$SYS.REQ.SERVER.PING.CONNZ`), as nats-server registers them.
//!
//! The monitoring requests (`$SYS.REQ.SERVER.PING[.<Z>]`, `$SYS.REQ.SERVER.<id>.<Z>`,
//! `$SYS.REQ.ACCOUNT.<account>.<Z>`) answer with the documents the monitoring endpoints
//! serve, which the Python layer builds; it subscribes to them through the engine's
//! in-process subscriptions ([`crate::Engine::subscribe_system`]), and publishes the periodic
//! `$SYS.SERVER.<id>.STATSZ` when [`crate::Engine::system_interest`] says someone listens.
//! Every reply and event carries [`server_info`], nats-server's `ServerInfo` with a sequence
//! number.

pub mod account_stat;
pub mod conns;
pub mod events;
pub mod imports;
pub mod user_info;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::SystemTime;

use serde::Serialize;

use crate::account::Account;
use crate::client_info::rfc3339;
use crate::shared::Shared;

/// nats-server's `ServerInfo`: which server sent an event or a reply.
#[derive(Debug, Clone, Serialize)]
pub struct ServerInfo {
    /// The server's name (its id when none is configured).
    pub name: String,
    /// The client listener's host.
    pub host: String,
    /// The server id.
    pub id: String,
    /// The JetStream domain, when one is configured.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub domain: String,
    /// The nats-server version fastnats matches.
    pub ver: String,
    /// Whether JetStream is enabled.
    pub jetstream: bool,
    /// Capability flags: with JetStream, nats-server's `JetStreamEnabled` and
    /// `BinaryStreamSnapshot`.
    pub flags: u64,
    /// This message's number among the server's system messages.
    pub seq: u64,
    /// When it was sent.
    pub time: String,
}

/// nats-server's capability flags of a server with JetStream: `JetStreamEnabled` (1) and
/// `BinaryStreamSnapshot` (2).
const JETSTREAM_CAPABILITIES: u64 = 0b11;

/// The system account's sequence of messages.
#[derive(Debug, Default)]
pub struct Sequence(AtomicU64);

/// The `server` block of the next system message.
pub fn server_info(shared: &Shared) -> ServerInfo {
    let seq = shared.system_seq.0.fetch_add(1, Ordering::Relaxed) + 1;
    let info = shared.info.read();
    ServerInfo {
        name: if info.server_name.is_empty() {
            info.server_id.clone()
        } else {
            info.server_name.clone()
        },
        host: info.host.clone(),
        id: info.server_id.clone(),
        domain: info.domain.clone(),
        ver: info.version.clone(),
        jetstream: info.jetstream,
        flags: if info.jetstream {
            JETSTREAM_CAPABILITIES
        } else {
            0
        },
        seq,
        time: rfc3339(SystemTime::now()),
    }
}

/// The system account, unless the server runs without one.
pub fn account(shared: &Shared) -> Option<Arc<Account>> {
    let name = shared.system_account_name()?;
    shared.account(Some(&name))
}

/// Publishes `body` on `subject` in the system account (to `reply` subjects of requests
/// too, which the account's response map sends back to the requester).
pub(crate) fn publish(shared: &Shared, account: &Account, subject: &[u8], body: &[u8]) {
    let _ = shared
        .internal_client()
        .publish_as_server(account, subject, body);
}

/// Whether a message on `subject` in the system account would reach anyone: a subscription
/// there matches, or another account imports the system account's streams. Events are
/// built only then.
pub fn interested(system: &Account, subject: &[u8]) -> bool {
    !system.index.matches(subject).is_empty() || !system.links().streams_out.is_empty()
}

/// `{"server": <server_info>, "data": data}`: nats-server's reply to a system request.
pub fn reply_json(shared: &Shared, data: &impl Serialize) -> Vec<u8> {
    #[derive(Serialize)]
    struct Reply<'a, T: Serialize> {
        server: ServerInfo,
        data: &'a T,
    }
    serde_json::to_vec(&Reply {
        server: server_info(shared),
        data,
    })
    .unwrap_or_default()
}

/// nats-server's event ids (a NUID: 22 base-62 characters).
pub fn event_id() -> String {
    use rand::Rng;
    const BASE62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let mut rng = rand::thread_rng();
    (0..22)
        .map(|_| char::from(BASE62[rng.gen_range(0..BASE62.len())]))
        .collect()
}
