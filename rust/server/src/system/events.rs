//! Client connect and disconnect events, published in the system account on
//! `$SYS.ACCOUNT.<account>.CONNECT` and `.DISCONNECT` with nats-server's JSON
//! (`io.nats.server.advisory.v1.client_connect` / `client_disconnect`).
//!
//! Built only when someone can see them: a subscription in the system account matches, or
//! another account imports the system account's streams. They come from the connection's
//! own task, off the message path.

use std::sync::atomic::Ordering::Relaxed;
use std::time::SystemTime;

use serde::Serialize;

use super::account_stat::MsgBytes;
use super::{event_id, server_info, ServerInfo};
use crate::client_info::{rfc3339, ClientInfo};
use crate::connection::Connection;
use crate::shared::Shared;

#[derive(Serialize)]
struct Event {
    #[serde(rename = "type")]
    kind: &'static str,
    id: String,
    timestamp: String,
    server: ServerInfo,
    client: ClientInfo,
    #[serde(skip_serializing_if = "Option::is_none")]
    sent: Option<MsgBytes>,
    #[serde(skip_serializing_if = "Option::is_none")]
    received: Option<MsgBytes>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<String>,
}

/// `$SYS.ACCOUNT.<account>.CONNECT` for `conn`, just admitted.
pub fn connected(shared: &Shared, conn: &Connection) {
    send(shared, conn, None);
}

/// `$SYS.ACCOUNT.<account>.DISCONNECT` for `conn`, closed for `reason`.
pub fn disconnected(shared: &Shared, conn: &Connection, reason: &str) {
    send(shared, conn, Some(reason));
}

fn send(shared: &Shared, conn: &Connection, reason: Option<&str>) {
    let Some(system) = super::account(shared) else {
        return;
    };
    let subject = format!(
        "$SYS.ACCOUNT.{}.{}",
        conn.account().name(),
        if reason.is_some() {
            "DISCONNECT"
        } else {
            "CONNECT"
        }
    );
    if !super::interested(&system, subject.as_bytes()) {
        return;
    }
    let now = SystemTime::now();
    let client = ClientInfo {
        stop: reason.map(|_| rfc3339(now)),
        ..ClientInfo::detailed(conn)
    };
    let (out_msgs, out_bytes) = {
        let out = conn.out.lock();
        (out.msgs, out.bytes)
    };
    let event = Event {
        kind: if reason.is_some() {
            "io.nats.server.advisory.v1.client_disconnect"
        } else {
            "io.nats.server.advisory.v1.client_connect"
        },
        id: event_id(),
        timestamp: rfc3339(now),
        server: server_info(shared),
        sent: reason.map(|_| MsgBytes {
            msgs: conn.in_msgs.load(Relaxed),
            bytes: conn.in_bytes.load(Relaxed),
        }),
        received: reason.map(|_| MsgBytes {
            msgs: out_msgs,
            bytes: out_bytes,
        }),
        reason: reason.map(str::to_string),
        client,
    };
    let body = serde_json::to_vec(&event).unwrap_or_default();
    super::publish(shared, &system, subject.as_bytes(), &body);
}
