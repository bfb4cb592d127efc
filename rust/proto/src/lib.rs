//! `fastnats-proto`: the NATS client protocol, sans-IO.
//!
//! This crate knows the bytes of the client protocol and nothing else: no sockets, clocks,
//! threads, tokio or Python. The server crate feeds it what a socket read returned and writes
//! what it encodes; everything here can therefore be tested exhaustively and benchmarked alone.
//!
//! Modules:
//! - [`parser`]: an incremental, restartable parser for every op a client may send
//!   (`CONNECT`, `PUB`, `HPUB`, `SUB`, `UNSUB`, `PING`, `PONG`, `INFO`, `+OK`, `-ERR`), with
//!   nats-server's tolerances (case-insensitive op names, runs of spaces/tabs, optional `\r`,
//!   arbitrary splits). Ops borrow subject, reply and payload from the caller's buffer;
//!   "not enough bytes yet" is [`Parsed::Incomplete`], a normal result, not an error.
//! - [`encode`]: appends server ops (`INFO`, `MSG`, `HMSG`, `PING`, `PONG`, `+OK`, `-ERR`) to an
//!   output `Vec<u8>` with no per-message heap allocation (numbers via `itoa` on the stack).
//! - [`connect`] and [`info`]: the CONNECT and INFO JSON documents as typed structs.
//! - [`headers`]: the `NATS/1.0[ status[ description]]` header block, measured and validated.
//! - [`error`]: the one error type. Each variant knows its exact `-ERR` text (or that
//!   nats-server closes silently), whether the connection closes, and the close reason. The
//!   texts are a contract with every NATS client, which prefix-match them.
//! - [`limits`]: the per-connection parse limits (`max_control_line`, `max_payload`).
//! - [`route`]: the route dialect between the servers of a cluster (`RS+`, `RS-`, `RMSG`,
//!   `HMSG` with account and queue lists), parsed by [`route::parse_route`] with the same
//!   rules and tests as the client ops, and its encoders.
//!
//! Testing: `tests/parser_table.rs` (every op's accepted spellings, each also checked at every
//! prefix and split), `tests/parser_errors.rs` (the must-fail list with exact errors),
//! `tests/parser_prop.rs` (random streams parsed whole, byte by byte and at random splits
//! through an emulated read loop), the encoder/JSON/header tests, and a cargo-fuzz target in
//! the repository's `fuzz/` directory. Numbers and the last fuzz run: `BENCHES.md`.
//!
//! Why a restartable parser instead of a byte-at-a-time state machine like nats-server's: the
//! caller keeps unconsumed bytes at the front of its buffer and calls [`parse`] again when more
//! arrive. A control line is at most `max_control_line` bytes, so rescanning it is cheap, and
//! when a control line is complete but its payload is not, [`Parsed::Incomplete`] says exactly
//! how many bytes the op needs so the caller neither rescans nor reallocates repeatedly.

// Lints for this pure crate beyond the workspace's (`[lints] workspace = true` can not be
// extended per crate): every public item documented, and the pedantic lints the code meets.
#![warn(
    missing_docs,
    clippy::doc_markdown,
    clippy::must_use_candidate,
    clippy::missing_errors_doc,
    clippy::redundant_closure_for_method_calls,
    clippy::explicit_iter_loop,
    clippy::semicolon_if_nothing_returned,
    clippy::needless_pass_by_value,
    clippy::cast_lossless,
    clippy::uninlined_format_args
)]

pub mod connect;
pub mod encode;
pub mod error;
pub mod headers;
pub mod info;
pub mod limits;
pub mod parser;
pub mod route;
pub mod ws;

pub use connect::{ConnectInfo, ConnectOptions};
pub use error::{CloseReason, ProtoError};
pub use info::ServerInfo;
pub use limits::Limits;
pub use parser::{parse, ClientOp, ParseStep, Parsed, Publish};
pub use route::{parse_route, route_limits, RouteOp, RouteParsed, RoutedMsg};
