//! The INFO a hub sends a leaf node and the CONNECT a leaf node sends its hub, with
//! nats-server's field names (`server.go`'s `Info`, `leafnode.go`'s `leafConnectInfo`).
//! Unknown fields are ignored, as nats-server does.

use serde::{Deserialize, Serialize};

fn is_false(b: &bool) -> bool {
    !*b
}

/// A hub's INFO, as sent and as read.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct LeafInfo {
    /// The server's id.
    pub server_id: String,
    /// The server's name.
    pub server_name: String,
    /// Its version.
    pub version: String,
    /// Its protocol level.
    pub proto: i32,
    /// What it runs on.
    pub go: String,
    /// The leaf listener's host.
    pub host: String,
    /// The leaf listener's port.
    pub port: u16,
    /// Whether it takes `HMSG`.
    pub headers: bool,
    /// Whether a leaf must authenticate.
    #[serde(skip_serializing_if = "is_false")]
    pub auth_required: bool,
    /// Whether the connection uses TLS.
    #[serde(skip_serializing_if = "is_false")]
    pub tls_required: bool,
    /// Its payload limit.
    pub max_payload: u64,
    /// The connection's id on the hub (a leaf checks it is set: a client port has none).
    #[serde(rename = "client_id", skip_serializing_if = "is_zero")]
    pub cid: u64,
    /// The leaf's address as the hub sees it.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub client_ip: String,
    /// The challenge a leaf with an nkey or credentials signs.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub nonce: String,
    /// The hub's cluster.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub cluster: String,
    /// Where the hub's cluster takes leaf connections (a leaf reconnects through them).
    pub leafnode_urls: Vec<String>,
    /// This INFO answers the leaf's CONNECT.
    #[serde(skip_serializing_if = "is_false")]
    pub connect_info: bool,
    /// The hub answers the CONNECT with an INFO (the leaf waits for it).
    #[serde(skip_serializing_if = "is_false")]
    pub info_on_connect: bool,
    /// The account the leaf is bound to on the hub.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub remote_account: String,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// A leaf node's CONNECT.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct LeafConnect {
    /// The leaf's version.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub version: String,
    /// Its user nkey (with `sig`).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub nkey: String,
    /// Its user JWT (credentials, with `sig`).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub jwt: String,
    /// The nonce signed.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub sig: String,
    /// User.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub user: String,
    /// Password.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub pass: String,
    /// Token.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub auth_token: String,
    /// The leaf server's id.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub server_id: String,
    /// Its name.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// The dialler is the hub of this connection.
    #[serde(rename = "is_hub", skip_serializing_if = "is_false")]
    pub hub: bool,
    /// Its cluster.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub cluster: String,
    /// Whether it takes `HMSG`.
    #[serde(skip_serializing_if = "is_false")]
    pub headers: bool,
    /// Subjects it will not take from the hub.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub deny_pub: Vec<String>,
    /// Its local account.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub remote_account: String,
    /// Its protocol level.
    #[serde(rename = "protocol")]
    pub proto: i32,
    /// Set by clients (never by servers): a client dialled the leaf port.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lang: Option<String>,
    /// Set by gateways dialling the wrong port.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub gateway: String,
}
