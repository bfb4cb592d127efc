//! Client authentication and authorization, with nats-server's semantics.
//!
//! # Contract
//!
//! - [`AuthConfig`] is the configuration (token, single user, `users` with passwords or
//!   nkeys, `no_auth_user`, `timeout`, `default_permissions`); [`AuthConfig::validate`]
//!   refuses what nats-server refuses, with its texts. [`Authorizer::new`] validates and
//!   compiles it once; keep it in an `Arc` and swap it on reload.
//! - INFO: `auth_required` = [`AuthConfig::advertise_auth_required`] (false with a
//!   `no_auth_user`); a `nonce` from [`new_nonce`] when [`AuthConfig::needs_nonce`] (or when a
//!   custom authenticator wants verified nkeys). [`AuthConfig::required`] (or a custom
//!   authenticator) arms the auth timer ([`AuthConfig::timeout`], `Authentication Timeout`)
//!   and makes CONNECT mandatory as the first op — except that with a `no_auth_user` a
//!   non-CONNECT first op makes the client that user ([`Authorizer::no_auth_identity`]).
//! - CONNECT: [`Authorizer::authenticate`] (built-in methods, nats-server's precedence: nkeys,
//!   users, token, single user; a user's `allowed_connection_types` must name the
//!   connection's [`ConnectionType`]) or [`Authorizer::authenticate_with`] (a custom
//!   [`Authenticator`], the Python hook, decides alone when installed). [`AuthOutcome::Denied`]
//!   means `-ERR 'Authorization Violation'` and close. bcrypt is slow: call it on a blocking
//!   thread. The legacy `account` / `new_account` CONNECT fields are the caller's check (they
//!   fail CONNECT whether auth is required or not).
//! - The [`Identity`] carries the user name shown in `/connz` and the user's
//!   [`CompiledPermissions`] (`None` = unrestricted: the hot path pays nothing).
//!
//! # Using the permissions (per connection)
//!
//! - PUB: if `perms.restricts_publish()` and not `perms.can_publish_cached(&mut pub_cache,
//!   subject)`, the message is allowed only if the connection's [`ResponseTracker`] (from
//!   [`CompiledPermissions::response_tracker`]) says [`ResponseTracker::allow`]; else
//!   `Permissions Violation for Publish to "<subject>"`, message dropped, connection kept.
//! - Delivery of a message with a reply subject to a connection that has a
//!   [`ResponseTracker`]: [`ResponseTracker::record`] the reply subject.
//! - SUB: refuse queue `_sys_` always ([`is_reserved_queue`]); with permissions,
//!   [`CompiledPermissions::can_subscribe`]. If accepted and
//!   [`CompiledPermissions::needs_delivery_filter`] says so, set the connection's delivery
//!   filter flag (it stays on); while on, drop deliveries to it whose subject
//!   [`CompiledPermissions::deny_delivery`] matches.
//!
//! # Modules
//!
//! - `config`: the configuration types and their validation.
//! - `forms`: nats-server's forms of them, read (and written) by serde.
//! - `password`: plain (constant-time) and bcrypt comparison.
//! - `nkey`: user public nkeys and the Ed25519 nonce signature (the `nkeys` crate, with
//!   nats-server's lenient base64 for the signature).
//! - `nonce`: the INFO nonce.
//! - `permissions`: compiled allow/deny sublists, the publish cache, the delivery filter.
//! - `responses`: the `allow_responses` reply tracker.
//! - `authenticate`: the CONNECT decision, [`Authorizer`], the [`Authenticator`] trait.

mod authenticate;
mod config;
mod forms;
pub mod nkey;
mod nonce;
mod password;
mod permissions;
mod responses;
pub mod tlsmap;

#[cfg(test)]
mod tests;

pub use authenticate::{
    authenticate, AuthMethod, AuthOutcome, AuthRequest, Authenticator, Authorizer, Identity,
};
pub use config::{
    AuthConfig, AuthRuleError, ConnectionType, NkeyUser, Permissions, ResponsePermission,
    SubjectPermission, User, DEFAULT_ALLOW_RESPONSE_EXPIRATION, DEFAULT_ALLOW_RESPONSE_MAX_MSGS,
    DEFAULT_AUTH_TIMEOUT,
};
pub use forms::UserEntries;
pub use nkey::verify_nkey;
pub use nonce::{new_nonce, NONCE_LEN};
pub use password::{compare_password, is_bcrypt};
pub use permissions::{
    is_reserved_queue, CompiledPermissions, PubCache, PUB_CACHE_MAX, SYS_QUEUE_GROUP,
};
pub use responses::{ResponseTracker, REPLY_PERM_LIMIT};
