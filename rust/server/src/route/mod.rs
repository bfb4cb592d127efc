//! Cluster routes: this server as one node of a full mesh of NATS servers (nats-server's
//! `route.go`), speaking the route dialect of [`fastnats_proto::route`].
//!
//! - [`config`]: the `cluster {}` option; [`url`]: route URLs.
//! - [`cluster`]: the routes by peer, registration, gossip, `connect_urls`.
//! - [`conn`]: one route connection (handshake, interest, messages, keep-alive).
//! - [`dial`]: the route listener and the dialers.
//! - [`interest`]: what local subscriptions tell the routes (`RS+`/`RS-`).
//! - [`peer`]: the reader loop and remote interest table routes and leaf connections share.
//! - [`info`]: the route INFO and CONNECT documents.
//!
//! Declined, as nats-server lets a peer decline them: route pooling and pinned-account
//! routes (one route per peer; no pool size is announced) and compression.

pub mod cluster;
pub mod config;
pub mod conn;
pub mod dial;
pub mod info;
pub mod interest;
pub mod peer;
pub mod url;

pub use config::{ClusterConfig, RouteAuth};
