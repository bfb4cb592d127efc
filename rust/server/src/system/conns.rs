//! nats-server's account connection events (`AccountNumConns`, type
//! `io.nats.server.advisory.v1.account_connections`): `{"type", "id", "timestamp", "server"}`
//! and the account's [`AccountStat`] fields.
//!
//! - Sent on `$SYS.ACCOUNT.<account>.SERVER.CONNS` and on the old subject nats-server still
//!   sends for compatibility, `$SYS.SERVER.ACCOUNT.<account>.CONNS` (first), when a client
//!   joins or leaves an account ([`changed`]), and again every [`HEARTBEAT`] while the
//!   account has connections ([`heartbeat`]; as nats-server's timer, each event puts the
//!   next one off by a whole interval). Never for the global account `$G`. Built only when
//!   someone would see them ([`super::interested`]).
//! - `$SYS.REQ.ACCOUNT.<account>.CONNS` asks for the same event, sent to the reply subject
//!   only, while the account has connections ([`ConnsService`]); a request body, if any,
//!   must be `{"acc": "<account>"}` naming the same account.

use std::collections::HashMap;
use std::sync::{Arc, Weak};
use std::time::{Duration, SystemTime};

use parking_lot::Mutex;
use serde::Serialize;
use tokio::sync::Notify;
use tokio::time::Instant;

use super::account_stat::AccountStat;
use super::{event_id, server_info, ServerInfo};
use crate::account::{Account, GLOBAL_ACCOUNT};
use crate::client_info::rfc3339;
use crate::internal::{InternalBatch, InternalHandler};
use crate::shared::Shared;

/// How often an account with connections is reported without a change (nats-server's
/// `eventsHBInterval`).
pub const HEARTBEAT: Duration = Duration::from_secs(30);

/// The subject [`ConnsService`] subscribes to in the system account.
pub const REQUEST_SUBJECT: &str = "$SYS.REQ.ACCOUNT.*.CONNS";

/// The event's type.
const TYPE: &str = "io.nats.server.advisory.v1.account_connections";

#[derive(Serialize)]
struct AccountNumConns {
    #[serde(rename = "type")]
    kind: &'static str,
    id: String,
    timestamp: String,
    server: ServerInfo,
    #[serde(flatten)]
    stat: AccountStat,
}

/// The event for `account`, as JSON.
fn event(shared: &Shared, account: &Account) -> Vec<u8> {
    serde_json::to_vec(&AccountNumConns {
        kind: TYPE,
        id: event_id(),
        timestamp: rfc3339(SystemTime::now()),
        server: server_info(shared),
        stat: AccountStat::of(account, shared.leaf_connections(account.name())),
    })
    .unwrap_or_default()
}

/// When each account with connections is reported next, by name.
#[derive(Debug, Default)]
pub struct Schedule {
    due: Mutex<HashMap<String, Instant>>,
    /// Wakes [`heartbeat`] when the first account is scheduled.
    first: Notify,
}

impl Schedule {
    /// Reports `account` again in one [`HEARTBEAT`] (`false`: no more, it has no connections).
    fn set(&self, account: &str, again: bool) {
        let mut due = self.due.lock();
        if !again {
            due.remove(account);
            return;
        }
        let was_empty = due.is_empty();
        due.insert(account.to_string(), Instant::now() + HEARTBEAT);
        if was_empty {
            self.first.notify_one();
        }
    }

    /// The earliest report due, if any.
    fn next(&self) -> Option<Instant> {
        self.due.lock().values().min().copied()
    }

    /// Takes the accounts whose report is due at `now`.
    fn take_due(&self, now: Instant) -> Vec<String> {
        let mut due = self.due.lock();
        let names: Vec<String> = due
            .iter()
            .filter(|(_, at)| **at <= now)
            .map(|(name, _)| name.clone())
            .collect();
        for name in &names {
            due.remove(name);
        }
        names
    }
}

/// `account`'s connection count changed (or its heartbeat is due): the event goes to whoever
/// listens, and the next heartbeat is scheduled while the account has connections.
pub fn changed(shared: &Shared, account: &Account) {
    if account.name() == GLOBAL_ACCOUNT {
        return;
    }
    let Some(system) = super::account(shared) else {
        return;
    };
    shared
        .conns_schedule
        .set(account.name(), account.connections() > 0);
    let subjects = [
        format!("$SYS.SERVER.ACCOUNT.{}.CONNS", account.name()),
        format!("$SYS.ACCOUNT.{}.SERVER.CONNS", account.name()),
    ];
    let wanted: Vec<&String> = subjects
        .iter()
        .filter(|s| super::interested(&system, s.as_bytes()))
        .collect();
    if wanted.is_empty() {
        return;
    }
    let body = event(shared, account);
    for subject in wanted {
        super::publish(shared, &system, subject.as_bytes(), &body);
    }
}

/// Sends the heartbeats until the server shuts down (spawned at start when the server has a
/// system account).
pub(crate) async fn heartbeat(shared: Arc<Shared>) {
    loop {
        let next = shared.conns_schedule.next();
        tokio::select! {
            () = shared.shutting_down() => return,
            () = shared.conns_schedule.first.notified(), if next.is_none() => continue,
            () = tokio::time::sleep_until(next.unwrap_or_else(Instant::now)), if next.is_some() => {}
        }
        for name in shared.conns_schedule.take_due(Instant::now()) {
            if let Some(account) = shared.account(Some(&name)) {
                changed(&shared, &account);
            }
        }
    }
}

/// Answers `$SYS.REQ.ACCOUNT.<account>.CONNS` for the server `shared`.
pub struct ConnsService(pub Weak<Shared>);

/// A request's body: `{"acc": "<account>"}` (nats-server's `accNumConnsReq`; its `server`
/// is ignored).
#[derive(serde::Deserialize)]
struct Request {
    acc: Option<String>,
}

impl InternalHandler for ConnsService {
    fn deliver(&self, batch: &InternalBatch) {
        let Some(shared) = self.0.upgrade() else {
            return;
        };
        let Some(system) = super::account(&shared) else {
            return;
        };
        for msg in batch.iter() {
            let Some(reply) = msg.reply else {
                continue;
            };
            let mut tokens = msg.subject.split(|&b| b == b'.');
            let Some(name) = tokens.nth(3).and_then(|t| std::str::from_utf8(t).ok()) else {
                continue;
            };
            if !msg.payload.is_empty() {
                match serde_json::from_slice::<Request>(msg.payload) {
                    Ok(Request { acc: None }) => {}
                    Ok(Request { acc: Some(acc) }) if acc == name => {}
                    _ => continue, // nats-server logs and stays silent
                }
            }
            let Some(account) = shared.account(Some(name)) else {
                continue;
            };
            if account.connections() == 0 {
                continue;
            }
            if account.name() != GLOBAL_ACCOUNT {
                shared.conns_schedule.set(account.name(), true);
            }
            let body = event(&shared, &account);
            super::publish(&shared, &system, reply, &body);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn the_schedule_keeps_one_deadline_per_account() {
        let s = Schedule::default();
        assert_eq!(s.next(), None);
        s.set("A", true);
        let first = s.next().unwrap();
        tokio::time::advance(Duration::from_secs(10)).await;
        s.set("B", true);
        assert_eq!(s.next(), Some(first), "A is due first");
        assert!(s.take_due(Instant::now()).is_empty());
        tokio::time::advance(HEARTBEAT).await;
        let mut due = s.take_due(Instant::now());
        due.sort();
        assert_eq!(due, ["A", "B"]);
        assert_eq!(s.next(), None);
        s.set("A", true);
        s.set("A", false);
        assert_eq!(
            s.next(),
            None,
            "an account without connections is not reported"
        );
    }
}
