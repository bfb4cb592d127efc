//! Whom the server trusts: the `operator` JWTs and `trusted_keys`, checked with
//! nats-server's rules and texts (`readOperatorJWT`, `validateTrustedOperators`), and the
//! system account they name. These are start-time checks only; the CONNECT path uses the
//! operators they leave.

use super::err;
use crate::config::{Config, ConfigError};
use crate::jwt::{decode_operator, parse_decorated_jwt, OperatorClaims};

/// Whether `key` is a public nkey of `kind`.
pub(super) fn is_key(key: &str, kind: nkeys::KeyPairType) -> bool {
    key.starts_with(match kind {
        nkeys::KeyPairType::Operator => 'O',
        nkeys::KeyPairType::Account => 'A',
        _ => 'U',
    }) && nkeys::KeyPair::from_public_key(key).is_ok_and(|k| k.key_pair_type() == kind)
}

/// nats-server's `readOperatorJWT`: a file (decorated or bare), or the JWT itself when no
/// such file exists and the text starts like a JWT.
fn read_operator(source: &str) -> Result<OperatorClaims, ConfigError> {
    let text = match std::fs::read_to_string(source) {
        Ok(t) => t,
        Err(_) if source.starts_with("eyJ") => source.to_string(),
        Err(e) => {
            let reason = match e.kind() {
                std::io::ErrorKind::NotFound => "no such file or directory".to_string(),
                _ => e.to_string(),
            };
            return err(format!(
                "error parsing operator JWT: open {source}: {reason}"
            ));
        }
    };
    parse_decorated_jwt(&text)
        .and_then(|jwt| decode_operator(&jwt))
        .or_else(|e| err(format!("error parsing operator JWT: {e}")))
}

/// The `operator` option's JWTs, read; every `trusted_keys` entry checked to be an
/// operator key.
pub(super) fn read_operators(config: &Config) -> Result<Vec<OperatorClaims>, ConfigError> {
    let mut operators = Vec::new();
    for source in &config.operator {
        operators.push(read_operator(source)?);
    }
    for key in &config.trusted_keys {
        if !is_key(key, nkeys::KeyPairType::Operator) {
            return err(format!(
                "trust key {key:?} required to be a valid public operator nkey"
            ));
        }
    }
    Ok(operators)
}

/// The system account's public key: the config's, else the one operator JWT's; `None`
/// when neither names one, or with `no_system_account`.
pub(super) fn system_account(config: &Config, operators: &[OperatorClaims]) -> Option<String> {
    // A system account named by the one operator applies unless the config names one.
    let mut system_account = configured_system_account(config);
    if operators.len() == 1 && system_account.is_none() {
        let op_sys = &operators[0].system_account;
        if !op_sys.is_empty() {
            system_account = Some(op_sys.clone());
        }
    }
    // Unnamed, there is none: nats-server's default `$SYS` is not an account a trusted
    // operator signed, so setting it fails and the server runs without one.
    system_account.filter(|_| !config.no_system_account)
}

fn configured_system_account(config: &Config) -> Option<String> {
    config.system_account.clone().filter(|s| !s.is_empty())
}

/// nats-server's rules for `operator` JWTs (none: nothing to check): a resolver, no
/// `accounts`, users or `trusted_keys` beside them, one system account, valid signing keys.
/// `has_dir`: the resolver keeps account JWTs in a directory (`full`/`cache`).
pub(super) fn check_operators(
    config: &Config,
    operators: &[OperatorClaims],
    has_dir: bool,
) -> Result<(), ConfigError> {
    if operators.is_empty() {
        return Ok(());
    }
    if config.resolver.is_none() {
        return err("operators require an account resolver to be configured");
    }
    if !config.accounts.is_empty() {
        return err("operators do not allow Accounts to be configured directly");
    }
    if !config.auth.users.is_empty() || !config.auth.nkeys.is_empty() {
        return err("operators do not allow users to be configured directly");
    }
    if !config.trusted_keys.is_empty() {
        return err("conflicting options for 'TrustedKeys' and 'TrustedOperators'");
    }
    if let Some(sys) = &configured_system_account(config) {
        let non_empty = operators.iter().any(|o| !o.system_account.is_empty());
        let found = operators.iter().any(|o| &o.system_account == sys);
        if non_empty && !found {
            return err("system_account in config and operator JWT must be identical");
        }
    } else if operators[0].system_account.is_empty() && has_dir {
        return err("using nats based account resolver - the system account needs to be specified in configuration or the operator jwt");
    }
    for op in operators {
        for key in op.trusted_keys() {
            if !is_key(key, nkeys::KeyPairType::Operator) {
                return err(format!(
                    "trusted Keys {key:?} are required to be a valid public operator nkey"
                ));
            }
        }
    }
    Ok(())
}

/// A `trusted_keys` entry as an operator with that key alone.
pub(super) fn key_operator(key: &str) -> OperatorClaims {
    OperatorClaims {
        claims: crate::jwt::ClaimsData {
            sub: key.to_string(),
            iss: key.to_string(),
            ..Default::default()
        },
        ..Default::default()
    }
}
