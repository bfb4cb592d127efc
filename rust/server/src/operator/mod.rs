//! Operator (decentralized JWT) mode on a single server: the `operator`, `trusted_keys`,
//! `resolver` and `resolver_preload` options, the account JWTs they make known, and the
//! CONNECT decision for a user JWT (nats-server's `processClientOrLeafAuthentication`, JWT
//! branch).
//!
//! - [`OperatorMode::compile`] checks the options with nats-server's texts
//!   (`validateTrustedOperators`, the resolver's `dir` rules) and loads the accounts it can
//!   see at start: every `resolver_preload` entry and, with a `full`/`cache` resolver,
//!   every `<dir>/<pubkey>.jwt` file.
//! - [`OperatorMode::authenticate`] decides a CONNECT: the user JWT (`jwt`), the nonce
//!   signature (`sig`, unless the JWT is a bearer token), the account JWT from the resolver
//!   (a file of the dir resolver that appeared since is read then), the chain to a trusted
//!   operator ([`crate::jwt::verify_user_chain`]), revocations, `src`, `times` and
//!   `allowed_connection_types`. A refusal carries nats-server's log line for it.
//! - Accounts are named by their public key. Their exports and imports become the same
//!   [`ImportPlans`](crate::account::ImportPlans) as the `accounts` option's
//!   ([`OperatorMode::snapshot`]); an import that does not resolve is left out and logged,
//!   as nats-server does.
//!
//! Not here: account updates through `$SYS` (`$SYS.REQ.ACCOUNT.*.CLAIMS.UPDATE`), the URL
//! resolver, activation tokens (an import carrying one is left out), and
//! `resolver_pinned_accounts`. A scoped signing key's template has its `{{...}}`
//! placeholders expanded ([`crate::jwt::expand_template`]).
//!
//! # How the parts fit
//! The JWTs themselves (decoding, signatures, the operator → account → user chain) are
//! [`crate::jwt`]'s; this module decides what they mean for the server.
//!
//! - `options`: the config file's forms of `resolver`, `operator` and `trusted_keys`
//!   ([`ResolverConfig`]), read by [`crate::config::Config`].
//! - At start, [`OperatorMode::compile`] (here) runs `trust` (the operator JWTs and
//!   `trusted_keys`, nats-server's rules for them, the system account), then `resolver`
//!   (the `dir` rules, then the accounts of `resolver_preload` and the directory).
//! - `accounts`: the known account JWTs as accounts ([`OperatorMode::snapshot`],
//!   [`OperatorMode::name_tags`]), which the engine builds its account set from.
//! - At CONNECT, `authenticate` ([`OperatorMode::authenticate`]) walks the steps: it asks
//!   `resolver` for the account JWT, `checks` for each refusal and its line, and `grant`
//!   for the permissions and limits of the [`JwtDecision::Allowed`] grant.

mod accounts;
mod authenticate;
mod checks;
mod grant;
mod options;
mod resolver;
mod trust;

use std::path::PathBuf;

use parking_lot::Mutex;

use crate::config::{Config, ConfigError};
use crate::jwt::OperatorClaims;
use resolver::Loaded;

pub use authenticate::JwtDecision;
pub use grant::JwtGrant;
pub(crate) use options::{one_or_many, resolver_form};
pub use options::{ResolverConfig, ResolverType};

/// Operator mode, compiled: the trusted operators, the resolver and the accounts loaded.
#[derive(Debug)]
pub struct OperatorMode {
    /// The trusted operators (a `trusted_keys` entry is an operator with that key alone).
    operators: Vec<OperatorClaims>,
    /// The resolver's directory (`full`/`cache`); `None` for `MEMORY`.
    dir: Option<PathBuf>,
    /// The system account's public key: the config's or the operator JWT's; `None` when
    /// neither names one, or with `no_system_account`.
    system_account: Option<String>,
    loaded: Mutex<Loaded>,
}

fn err<T>(text: impl Into<String>) -> Result<T, ConfigError> {
    Err(ConfigError::Operator(text.into()))
}

impl OperatorMode {
    /// Operator mode for `config`, or `None` when it names no operator and no trusted key.
    /// Checks nats-server's rules with its texts.
    pub fn compile(config: &Config) -> Result<Option<OperatorMode>, ConfigError> {
        let mut operators = trust::read_operators(config)?;
        if operators.is_empty() && config.trusted_keys.is_empty() {
            return Ok(None);
        }
        let dir = match &config.resolver {
            Some(r) => resolver::check_resolver(r)?,
            None => None,
        };
        trust::check_operators(config, &operators, dir.is_some())?;
        let system_account = trust::system_account(config, &operators);
        operators.extend(config.trusted_keys.iter().map(|k| trust::key_operator(k)));
        let loaded = Loaded::load(config, dir.as_deref())?;
        Ok(Some(OperatorMode {
            operators,
            dir,
            system_account,
            loaded: Mutex::new(loaded),
        }))
    }

    /// The system account's public key, if there is one.
    pub fn system_account(&self) -> Option<&str> {
        self.system_account.as_deref()
    }
}
