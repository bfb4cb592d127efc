//! Cluster routes: this server as one node of a full mesh of NATS servers (nats-server's
//! `route.go`), speaking the route dialect of [`fastnats_proto::route`].
//!
//! - [`config`]: the `cluster {}` option.
//! - [`url`]: route URLs.

pub mod config;
pub mod url;

pub use config::{ClusterConfig, RouteAuth};
