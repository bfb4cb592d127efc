//! Leaf nodes: this server as a hub that leaf nodes dial into, and as a leaf of other
//! servers (nats-server's `leafnode.go`), speaking the leaf dialect of
//! [`fastnats_proto::route`]. A leaf connection is bound to one account on each side.
//!
//! - [`config`]: the `leafnodes {}` option.
//! - [`nodes`]: the leaf connections, the hub INFO, `/leafz`.
//! - [`conn`]: one leaf connection (both handshakes, interest, messages, loop detection).
//! - [`dial`]: the listener and the dialers of remotes; [`creds`]: credentials.
//! - [`info`]: the leaf INFO and CONNECT documents.
//!
//! Interest reaches leaf connections from [`crate::route::interest`], messages from the
//! delivery core (see [`crate::delivery::Hop`] for where they may go on to).

pub mod config;
pub mod conn;
pub mod creds;
pub mod dial;
pub mod info;
pub mod nodes;
