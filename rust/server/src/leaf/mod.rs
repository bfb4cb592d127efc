//! Leaf nodes: this server as a hub that leaf nodes dial into, and as a leaf of other
//! servers (nats-server's `leafnode.go`), speaking the leaf dialect of
//! [`fastnats_proto::route`].
//!
//! - [`config`]: the `leafnodes {}` option.

pub mod config;
