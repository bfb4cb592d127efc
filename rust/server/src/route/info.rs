//! The INFO a route sends (this server's identity for its peers) and reads (a peer's, or
//! news of another server: gossip), with nats-server's field names (`server.go`'s `Info`).
//! Fields fastnats does not use are not read; unknown ones are ignored, as nats-server does.

use serde::{Deserialize, Serialize};

fn is_false(b: &bool) -> bool {
    !*b
}

fn is_zero(n: &u8) -> bool {
    *n == 0
}

/// nats-server's route protocol level with accounts in `RS+`/`RMSG` (`RouteProtoV2`);
/// fastnats does not announce the next one (distributed message tracing).
pub const ROUTE_PROTO: i32 = 2;

/// nats-server's gossip modes (`gossipDefault`, `gossipDisabled`, `gossipOverride`): how the
/// receiver of a forwarded INFO passes on news of the server it then connects to.
pub mod gossip {
    /// Forward as usual.
    pub const DEFAULT: u8 = 0;
    /// Do not forward.
    pub const DISABLED: u8 = 1;
    /// Forward even though the route came from gossip.
    pub const OVERRIDE: u8 = 2;
}

/// A route INFO.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RouteInfo {
    /// The server's id.
    pub server_id: String,
    /// The server's name.
    pub server_name: String,
    /// Its version.
    pub version: String,
    /// Its route protocol level.
    pub proto: i32,
    /// What it runs on.
    pub go: String,
    /// The route listener's host (or the advertised one).
    pub host: String,
    /// The route listener's port (or the advertised one).
    pub port: u16,
    /// Whether it takes `HMSG`.
    pub headers: bool,
    /// Whether a dialer must present the cluster's credentials.
    #[serde(skip_serializing_if = "is_false")]
    pub auth_required: bool,
    /// Whether routes to it use TLS.
    #[serde(skip_serializing_if = "is_false")]
    pub tls_required: bool,
    /// Whether it verifies route certificates.
    #[serde(skip_serializing_if = "is_false")]
    pub tls_verify: bool,
    /// Its payload limit.
    pub max_payload: u64,
    /// `nats-route://host:port/`: where to dial it (set when it advertises an address, and
    /// in gossip).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub ip: String,
    /// The cluster's name.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub cluster: String,
    /// Whether that name was picked at random (and yields to a configured one).
    #[serde(rename = "cluster_dynamic", skip_serializing_if = "is_false")]
    pub dynamic: bool,
    /// The URLs its clients may use (for this server's clients to fail over to).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub connect_urls: Vec<String>,
    /// The URLs its WebSocket clients may use (`host:port`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ws_connect_urls: Vec<String>,
    /// It is in lame duck mode: its client URLs are withdrawn.
    #[serde(skip_serializing_if = "is_false")]
    pub ldm: bool,
    /// Its route pool size (0: no pooling, which is what fastnats announces).
    #[serde(skip_serializing)]
    pub route_pool_size: i64,
    /// The account of a pinned-account route (fastnats opens none and accepts none).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub route_account: String,
    /// How a forwarded INFO is to be passed on (see [`gossip`]).
    #[serde(skip_serializing_if = "is_zero")]
    pub gossip_mode: u8,
}

impl RouteInfo {
    /// `INFO <json>\r\n`.
    pub fn to_line(&self) -> Vec<u8> {
        let mut line = b"INFO ".to_vec();
        // Plain strings, integers and booleans: serializing can not fail.
        line.extend_from_slice(serde_json::to_string(self).unwrap_or_default().as_bytes());
        line.extend_from_slice(b"\r\n");
        line
    }
}

/// The CONNECT a dialling route sends (nats-server's `sendRouteConnect`: no `lang`, which
/// is how a route port tells a client from a server).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct RouteConnect {
    /// Always true.
    pub echo: bool,
    /// Always false.
    pub verbose: bool,
    /// Always false.
    pub pedantic: bool,
    /// The cluster user (from the route URL or the cluster's authorization).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub user: String,
    /// Its password.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub pass: String,
    /// Whether the route runs over TLS.
    pub tls_required: bool,
    /// The dialling server's id.
    pub name: String,
    /// Whether it takes `HMSG`.
    pub headers: bool,
    /// Its cluster's name.
    pub cluster: String,
    /// Whether that name is dynamic.
    #[serde(rename = "cluster_dynamic", skip_serializing_if = "is_false")]
    pub dynamic: bool,
    /// Set by clients (never by servers): a client dialled the route port.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lang: Option<String>,
    /// Set by gateways dialling the wrong port.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub gateway: String,
}
