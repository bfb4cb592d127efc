//! nats-server's `ClientInfo` JSON: who a client is, as the `Nats-Request-Info` header of a
//! request through a service import and the system account's events and replies show it.
//!
//! Field names, order and omissions are nats-server's (`omitempty`: empty strings, zero ids
//! and absent times are left out). Times are RFC 3339 in UTC with Go's trimmed nanoseconds
//! ([`rfc3339`]).

use std::time::SystemTime;

use serde::Serialize;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::connection::Connection;
use crate::kind::Kind;

/// `ClientInfo`, with the fields fastnats knows.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct ClientInfo {
    /// When the connection was accepted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start: Option<String>,
    /// The client's IP address.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub host: String,
    /// The connection id.
    #[serde(skip_serializing_if = "is_zero")]
    pub id: u64,
    /// Its account.
    #[serde(rename = "acc", skip_serializing_if = "String::is_empty")]
    pub account: String,
    /// The authenticated user.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub user: String,
    /// CONNECT `name`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// CONNECT `lang`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub lang: String,
    /// CONNECT `version`.
    #[serde(rename = "ver", skip_serializing_if = "String::is_empty")]
    pub version: String,
    /// The server's name.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub server: String,
    /// When the connection closed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stop: Option<String>,
    /// nats-server's `NameTag`, which means two things: in connect/disconnect events the
    /// account's name tag (the account JWT's name, else the account's name), in a
    /// request's `Nats-Request-Info` the user JWT's name (none without a JWT).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub name_tag: String,
    /// `Client` for client connections.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub kind: String,
    /// `nats` for standard client connections.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub client_type: String,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl ClientInfo {
    /// What nats-server always tells a service about a requester: its account.
    pub fn brief(account: &str) -> Self {
        ClientInfo {
            account: account.to_string(),
            ..ClientInfo::default()
        }
    }

    /// The details of `conn` as nats-server's connect/disconnect events give them (the
    /// account's name tag in `name_tag`), without the server's fields, which the caller adds
    /// where it has them.
    pub fn detailed(conn: &Connection) -> Self {
        let meta = conn.meta.lock().clone();
        let account = conn.account().name().to_string();
        let client = conn.kind == Kind::Client;
        ClientInfo {
            start: Some(rfc3339(conn.started_wall)),
            host: if client {
                conn.addr.ip().to_string()
            } else {
                String::new()
            },
            id: conn.cid,
            name_tag: conn.account().name_tag(),
            account,
            user: meta.user.unwrap_or_default(),
            name: meta.name,
            lang: meta.lang,
            version: meta.version,
            kind: "Client".to_string(),
            client_type: if client {
                "nats".to_string()
            } else {
                String::new()
            },
            ..ClientInfo::default()
        }
    }

    /// The details of `conn` as a service that shares them sees its requests (nats-server's
    /// `getClientInfo(true)`): as [`ClientInfo::detailed`], but `name_tag` is the connection's
    /// own, the user JWT's name (`auth.go` sets `c.nameTag = juc.Name`; empty otherwise).
    pub fn requestor(conn: &Connection) -> Self {
        let name_tag = conn.meta.lock().user_name.clone();
        ClientInfo {
            name_tag,
            ..ClientInfo::detailed(conn)
        }
    }

    /// The JSON text.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// The JSON text, appended to `out` (nothing when it cannot be written, as
    /// [`ClientInfo::to_json`] gives an empty text).
    pub fn write_json(&self, out: &mut Vec<u8>) {
        let mark = out.len();
        if serde_json::to_writer(&mut *out, self).is_err() {
            out.truncate(mark);
        }
    }
}

/// `t` as Go's `time.Time` marshals it in UTC: RFC 3339 with the nanoseconds' trailing zeros
/// trimmed (`2026-12-03T16:28:05.1234Z`).
pub fn rfc3339(t: SystemTime) -> String {
    OffsetDateTime::from(t).format(&Rfc3339).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    #[test]
    fn times_and_omissions_are_gos() {
        let t = UNIX_EPOCH + Duration::new(1_764_779_285, 123_400_000);
        assert_eq!(rfc3339(t), "2025-12-03T16:28:05.1234Z");
        assert_eq!(rfc3339(UNIX_EPOCH), "1970-01-01T00:00:00Z");
        assert_eq!(ClientInfo::brief("B").to_json(), r#"{"acc":"B"}"#);
    }
}
