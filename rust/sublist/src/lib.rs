//! Subject routing for fastnats: which subscriptions does a published subject reach?
//!
//! # Contract
//!
//! - [`subject`] is the grammar: [`is_valid_subject`] for `SUB` subjects (wildcards allowed),
//!   [`is_valid_literal_subject`] for pedantic `PUB` subjects, and [`matches`](fn@matches),
//!   the reference definition of "pattern matches subject" (`*` = exactly one token, a final
//!   `>` = one or more tokens, everything else byte-wise).
//! - [`Sublist<T>`] stores subscriptions (any `T: Clone + PartialEq`) under a subject and an
//!   optional queue name, and answers "who matches this published subject?" with a
//!   [`MatchResult`]: plain subscribers in `psubs`, and one [`QueueGroup`] per queue name in
//!   `qsubs` (the server delivers to every plain subscriber and to one member per group).
//!   For every published subject the answer equals filtering all stored subscriptions with
//!   [`matches`](fn@matches); the property tests check exactly that, with the cache on and off.
//! - A published subject with an empty token (`a..b`, `.a`, `a.`) matches nothing; `*` and `>`
//!   tokens in a published subject are plain bytes.
//! - No locks, no I/O, no `unsafe`: the server wraps a `Sublist` in its own lock.
//!   [`Sublist::generation`] changes on every insert/remove, so a per-connection cache of
//!   results can check staleness without taking that lock for long.
//!
//! # How it works, and why
//!
//! - `trie` (private): a trie of levels, one per token position, as in nats-server. A level maps
//!   literal tokens to nodes (foldhash: tokens are short, and the hash is the hot cost) and has
//!   two dedicated slots for the `*` and `>` nodes, so matching a subject of `n` tokens costs
//!   about `n` hash lookups plus a detour into each `*` branch, whatever the number of
//!   subscriptions. Nodes are compact (40 bytes) and pruned when empty, because a server with
//!   a million distinct reply subjects is a normal sight.
//! - `cache` (private): a bounded map from published subject to `Arc<MatchResult>`. A hit is one
//!   hash lookup and an `Arc` clone. It is kept exact by patching, as nats-server does, rather
//!   than cleared on each change: a literal subscribe touches at most its own entry, a wildcard
//!   one every entry it matches; a remove drops the entries it affected. Request/reply traffic
//!   (one inbox subscription per request) therefore does not flush the hot entries. When full
//!   it evicts randomly down to a low-water mark.
//! - [`result`]: the result types. [`stats`]: counters for monitoring ([`SublistStats`]).
//! - `sublist` (private): [`Sublist`] ties the trie, the cache and the counters together.

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

pub mod result;
pub mod stats;
pub mod subject;

mod cache;
mod literals;
mod sublist;
mod trie;

use std::fmt;

pub use result::{MatchResult, QueueGroup};
pub use stats::SublistStats;
pub use subject::{is_valid_literal_subject, is_valid_subject, matches};
pub use sublist::Sublist;

/// The subject given to [`Sublist::insert`] is not a valid subscription subject.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InvalidSubject;

impl fmt::Display for InvalidSubject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("invalid subject")
    }
}

impl std::error::Error for InvalidSubject {}
