//! `fastnats-server`: the engine. Listeners, connections, delivery, coalesced flushing,
//! keep-alive, limits and stats, with no Python in it (the bindings crate wraps it).
//!
//! # Modules
//!
//! | module | job |
//! |---|---|
//! | [`server`] | [`Server`]: an [`Engine`] on a runtime of its own, with a blocking API (the bindings use it) |
//! | [`engine`] | [`Engine`]: start, shutdown, reload and lame duck on the caller's runtime (the engine tests use it) |
//! | [`shared`] | [`shared::Shared`]: what every task of one engine shares (config, accounts, registry, counters, signals) |
//! | [`accept`] | the listener, the accept loop, serving one socket from INFO and TLS to the end of its tasks |
//! | [`kind`] | connection kinds: what is on the other end, and so which dialect it speaks |
//! | [`connection`] | [`connection::Connection`]: one connection as every task sees it (queue, flags, subscriptions) |
//! | [`outbound`] | a recipient's outbound queue: message framing, pending bytes, the in-place write |
//! | [`reader`] | the reader task: read loop, keep-alive, auth, stall; `reader::client_ops` dispatches client ops |
//! | [`delivery`] | the delivery core: match, fan-out, queue-member choice, slow consumers; no sockets |
//! | [`internal`] | the server's own client: the embedding application publishes without a socket |
//! | [`flush`] | the per-reader set of recipients flushed once per read buffer |
//! | [`writer`] | the writer task: drains a connection's queue, one write per wake-up, write deadline |
//! | [`account`] | accounts: each owns a subject index; exports and imports bridge them |
//! | [`client_info`] | nats-server's `ClientInfo` JSON (request headers through imports, system events) |
//! | [`system`] | the system account: its events and the requests the engine answers |
//! | [`index`] | an account's subject index and a publisher's private match cache |
//! | [`subscription`] | one subscription, and its removal |
//! | [`config`] | the configuration and its defaults (the only place defaults live) |
//! | [`jetstream_config`] | the `jetstream` option: store directory, limits and their machine defaults, domain, sync policy |
//! | [`config_error`] | [`ConfigError`]: every way a configuration is refused, naming the key or file |
//! | [`forms`] | nats-server's config forms for serde (a permission as a string, a list or `{allow, deny}`, ...) |
//! | [`compiled`] | [`CompiledConfig`]: a config checked once, with its authorizer and TLS acceptor built |
//! | [`auth`] | authentication and permissions with nats-server's semantics |
//! | [`jwt`] | NATS JWTs (operator mode): decode, verify, the operator → account → user checks |
//! | [`operator`] | operator mode: trusted operators, the account resolver, the CONNECT decision for a user JWT |
//! | [`tls`] | TLS settings and the rustls server config |
//! | [`io`] | a connection's socket halves, plain TCP or TLS |
//! | [`reload`] | applying a new configuration to a running engine |
//! | [`lame_duck`] | lame duck mode |
//! | [`hooks`] | the embedder's extension points (custom authenticator, lifecycle events) |
//! | [`monitor`] | snapshots of connections and subscriptions for monitoring |
//! | [`stats`] | server-wide counters, added to once per read buffer |
//! | [`log`], [`trace`] | nats-server's log line format; protocol tracing (`-V`) |
//!
//! # Threading model
//! [`Engine::start`] binds the listener on the caller's runtime ([`Server::start`] builds a
//! multi-threaded one on Rust-owned threads, one worker per core unless configured). Each
//! connection has two tasks: a **reader** ([`reader::Reader`]) that parses, checks and
//! delivers, and a **writer** ([`writer::write_loop`]) that drains the connection's outbound
//! queue. Like nats-server there is no central dispatcher: a publisher's reader does all the
//! work of its messages.
//!
//! # The life of a PUB
//! 1. The reader fills its read buffer (512 B growing to 64 KiB) and hands it to
//!    [`fastnats_proto::parse`], which yields ops borrowing from the buffer.
//! 2. `reader::client_ops`: checks (pedantic subject, permissions, reserved prefixes), `+OK`
//!    if verbose, then [`delivery::Delivery::route`] in the connection's [`account::Account`].
//! 3. Delivery matches through the reader's private cache ([`index::L1Cache`]) tagged with the
//!    index generation, else the account's [`index::SubIndex`] (a sublist with its own cache)
//!    under its lock. For each plain subscriber and one random member per queue group: lock
//!    the recipient's [`outbound::Outbound`] queue, append the message framed for the
//!    recipient's [`kind::Kind`], unlock, and note the recipient in the [`flush::FlushSet`].
//!    echo=false, auto-unsubscribe limits and closed recipients are skipped (a queue group
//!    then tries its next member). A recipient over `max_pending` is closed as a slow
//!    consumer without slowing anyone else.
//! 4. When the whole read buffer is processed, each recipient is flushed once
//!    ([`connection::Connection::flush`]): if its socket is idle and the batch small, the
//!    reader writes it in place with one non-blocking write (no hand-off, no context switch:
//!    the request/reply path); otherwise, or for what the socket did not take, the
//!    recipient's writer task is woken and writes the whole buffer in one call. The
//!    batch's message counts are added then to the publisher, its account and the server.
//! 5. A consumer pushed past 75% of its `max_pending` stalls the publisher briefly (at most
//!    10 ms per read) so its writer can catch up, as nats-server does. An internal
//!    subscriber that holds its publishers (a JetStream stream's ingest) is waited for until
//!    it drains: backpressure instead of a slow-consumer close.
//!
//! # Configuration
//! A [`Config`] is read with serde ([`Config::from_deserializer`]; the bindings hand it a
//! Python dict): nats-server's forms are understood, unknown keys are refused with their
//! path, and every error is a [`ConfigError`] variant. [`Config::compile`] checks it and
//! builds the authorizer and the TLS acceptor once ([`CompiledConfig`]); a start
//! ([`Engine::start_compiled`]) and a reload install those very objects.
//!
//! # Lock order
//! A connection's `subs` map, then its account's index. Outbound locks are leaves: nothing
//! else is locked while one is held (an in-place flush makes one non-blocking `write` under
//! it). No lock is held across an `.await`.
//!
//! # Closing
//! Every close has a [`fastnats_proto::CloseReason`] (nats-server's strings).
//! [`connection::Connection::close`] records the first reason and wakes both tasks; in
//! [`outbound::CloseMode::Flush`] the writer sends what is queued (an `-ERR`, last messages)
//! first, in `Discard` mode it drops it (slow consumer). Shutdown closes every connection
//! and waits for their tasks through a channel each task holds a sender of.

#![warn(missing_docs)]

pub mod accept;
pub mod account;
pub mod auth;
pub mod client_info;
mod closed;
pub mod compiled;
pub mod config;
pub mod config_error;
pub mod connection;
pub mod delivery;
pub mod engine;
pub mod flush;
pub mod forms;
pub mod hooks;
pub mod index;
pub mod internal;
pub mod io;
pub mod jetstream_config;
pub mod jwt;
pub mod kind;
pub mod lame_duck;
pub mod leaf;
pub mod log;
pub mod monitor;
pub mod operator;
pub mod outbound;
pub mod reader;
pub mod reload;
pub mod route;
pub mod rtt;
pub mod server;
pub mod shared;
pub mod stats;
pub mod subscription;
pub mod system;
pub mod tls;
pub mod trace;
mod trim;
pub mod writer;
pub mod ws;

pub use compiled::CompiledConfig;
pub use config::{Config, ConfigError, COMPATIBLE_NATS_VERSION};
pub use engine::Engine;
pub use server::{Server, StartError, VERSION};
pub use stats::StatsSnapshot;
