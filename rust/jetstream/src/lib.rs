//! JetStream for fastnats: streams and consumers served on `$JS.API.>`.
//!
//! # Contract
//!
//! - [`api`] is the wire layer, pure and fast to compile: nats-server's JSON for every
//!   request and reply (field names, `omitempty` omissions, nanosecond durations, RFC 3339
//!   times, the `type` of each reply), its error objects with their texts to the byte, and
//!   its normalisation and checks of stream and consumer configs. Unmodified clients
//!   compare all of these, so each is a tested contract: unit tests per rule, and
//!   `tests/transcripts.rs` replaying requests recorded against a real nats-server
//!   (`tests/jetstream/transcripts/record.py` records them).
//! - The engine (streams on the store, consumers, the API handlers as an internal client)
//!   builds on [`api`] in this crate; nothing in [`api`] knows about it.
//!
//! Compatibility target: nats-server 2.10. Where 2.11+ (the 2.15.1 the side-by-side tests
//! run) behaves differently, the module concerned says so and which it follows.

// Lints for this pure crate beyond the workspace's, as in fastnats-sublist (but for
// `doc_markdown`, which would want every "JetStream" in backticks).
#![warn(
    missing_docs,
    clippy::must_use_candidate,
    clippy::missing_errors_doc,
    clippy::redundant_closure_for_method_calls,
    clippy::explicit_iter_loop,
    clippy::semicolon_if_nothing_returned,
    clippy::needless_pass_by_value,
    clippy::cast_lossless,
    clippy::uninlined_format_args
)]

pub mod api;
