//! `fastnats-server`: the engine. Listeners, connections, routing, coalesced flushing,
//! keep-alive, limits and stats, with no Python in it (the bindings crate wraps it).
//!
//! # Threading model
//! [`Server::start`] builds a multi-threaded tokio runtime on Rust-owned threads (one worker
//! per core unless configured), binds the listener and returns. Each connection has two tasks:
//! a **reader** ([`conn::Conn`]) that parses and routes, and a **writer**
//! ([`writer::write_loop`]) that drains the connection's outbound buffer. Like nats-server
//! there is no central dispatcher: a publisher's reader does all the work of its messages.
//!
//! # The life of a PUB
//! 1. The reader fills its read buffer (512 B growing to 64 KiB) and hands it to
//!    [`fastnats_proto::parse`], which yields ops borrowing from the buffer.
//! 2. [`route`]: checks (pedantic subject, reserved prefixes), `+OK` if verbose, then the
//!    match: the reader's private cache ([`subs::L1Cache`]) tagged with the index generation,
//!    else the shared [`subs::SubIndex`] (a sublist with its own cache) under its lock.
//! 3. For each plain subscriber and one random member per queue group: lock the recipient's
//!    outbound queue, append `MSG`/`HMSG` + payload, unlock, and note the recipient in the
//!    reader's [`flush::FlushSet`]. echo=false, auto-unsubscribe limits and closed recipients
//!    are skipped (a queue group then tries its next member). A recipient over `max_pending`
//!    is closed as a slow consumer without slowing anyone else.
//! 4. When the whole read buffer is processed, each recipient is flushed once
//!    ([`client::ClientHandle::flush`]): if its socket is idle and the batch small, the reader
//!    writes it in place with one non-blocking write (no hand-off, no context switch: the
//!    request/reply path); otherwise, or for what the socket did not take, the recipient's
//!    writer task is woken and writes the whole buffer in one call. Many messages, few
//!    syscalls.
//! 5. A consumer pushed past 75% of its `max_pending` stalls the publisher briefly (at most
//!    10 ms per read) so its writer can catch up, as nats-server does.
//!
//! # Lock order
//! A connection's `subs` map, then the shared index. Outbound locks are leaves: nothing else
//! is locked while one is held (an in-place flush makes one non-blocking `write` under it).
//! No lock is held across an `.await`.
//!
//! # Configuration
//! A [`Config`] is read with serde ([`Config::from_deserializer`]; the bindings hand it a
//! Python dict): nats-server's forms are understood, unknown keys are refused with their
//! path, and every error is a [`ConfigError`] variant. [`Config::compile`] checks it and
//! builds the authorizer and the TLS acceptor once ([`CompiledConfig`]); a start
//! ([`Server::start_compiled`]) and a reload install those very objects.
//!
//! # Closing
//! Every close has a [`fastnats_proto::CloseReason`] (nats-server's strings).
//! [`client::ClientHandle::close`] records the first reason and wakes both tasks; in
//! [`client::CloseMode::Flush`] the writer sends what is queued (an `-ERR`, last messages)
//! first, in `Discard` mode it drops it (slow consumer).

pub mod auth;
pub mod client;
pub mod compiled;
pub mod config;
pub mod config_error;
pub mod conn;
pub mod flush;
pub mod forms;
pub mod hooks;
pub mod io;
pub mod lame_duck;
pub mod log;
pub mod monitor;
pub mod ops;
pub mod reload;
pub mod route;
pub mod server;
pub mod stats;
pub mod subs;
pub mod tls;
pub mod trace;
pub mod writer;

pub use compiled::CompiledConfig;
pub use config::{Config, ConfigError, COMPATIBLE_NATS_VERSION};
pub use server::{Server, StartError, VERSION};
pub use stats::StatsSnapshot;
