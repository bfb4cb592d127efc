//! The INFO document the server sends at accept.
//!
//! Field order and the omitted-when-empty fields follow nats-server's `Info` struct, because
//! clients read it: nats.py requires a semver `version`, nats.go reads `headers`, `proto`,
//! `max_payload`, `nonce`, `tls_*`, `connect_urls`, `ldm`; async-nats types `port` as `u16`.

use serde::Serialize;

fn is_false(b: &bool) -> bool {
    !*b
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// INFO fields for client connections.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct ServerInfo {
    /// The server's unique id (`N...`), also in `/varz`.
    pub server_id: String,
    /// The configured name, or the id when none is set.
    pub server_name: String,
    /// The nats-server version whose behaviour is matched (clients gate features on it).
    pub version: String,
    /// The protocol level; 1: the server may send INFO again later (e.g. lame duck mode).
    pub proto: i32,
    /// The build's commit (omitted when unknown).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub git_commit: String,
    /// nats-server reports its Go runtime here; fastnats reports what it is built with.
    pub go: String,
    /// The address the client listener is bound to.
    pub host: String,
    /// The client port (async-nats reads it as a `u16`).
    pub port: u16,
    /// The server supports `HPUB`/`HMSG`; clients only send headers when it is true.
    pub headers: bool,
    /// The client must authenticate in CONNECT.
    #[serde(skip_serializing_if = "is_false")]
    pub auth_required: bool,
    /// The client must start TLS after this INFO (or already did, with handshake first).
    #[serde(skip_serializing_if = "is_false")]
    pub tls_required: bool,
    /// The server asks for a client certificate.
    #[serde(skip_serializing_if = "is_false")]
    pub tls_verify: bool,
    /// TLS is offered but not required (not used by fastnats yet).
    #[serde(skip_serializing_if = "is_false")]
    pub tls_available: bool,
    /// The largest payload a PUB may carry; clients refuse to send more.
    pub max_payload: u64,
    /// JetStream is enabled (nats-server sends it from its options).
    #[serde(skip_serializing_if = "is_false")]
    pub jetstream: bool,
    /// The connection id (`cid` in `/connz`).
    #[serde(skip_serializing_if = "is_zero")]
    pub client_id: u64,
    /// The client's address as the server sees it.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub client_ip: String,
    /// The challenge an nkey client signs in CONNECT `sig`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub nonce: String,
    /// The JetStream domain, when one is configured.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub domain: String,
    /// Other servers of the cluster for clients to fail over to (none: no clustering).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub connect_urls: Vec<String>,
    /// The server is in lame duck mode: clients reconnect elsewhere.
    #[serde(skip_serializing_if = "is_false")]
    pub ldm: bool,
    /// fastnats' own version (an extra key; clients ignore unknown keys).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub fastnats: String,
}

impl ServerInfo {
    /// The JSON text (no `INFO ` prefix, no line end).
    #[must_use]
    pub fn to_json(&self) -> String {
        // Serializing plain strings, integers and booleans into a String cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn omits_empty_optional_fields() {
        let info = ServerInfo {
            server_id: "N1".into(),
            version: "2.10.0".into(),
            proto: 1,
            headers: true,
            max_payload: 1048576,
            port: 4222,
            ..Default::default()
        };
        let j = info.to_json();
        assert!(j.starts_with(
            r#"{"server_id":"N1","server_name":"","version":"2.10.0","proto":1,"go":"#
        ));
        assert!(!j.contains("auth_required"));
        assert!(!j.contains("client_id"));
        assert!(j.contains(r#""headers":true"#));
    }
}
