//! The account resolver: where account JWTs come from. `MEMORY` knows the
//! `resolver_preload` entries; `full` and `cache` (the same on a single server) also read
//! `<dir>/<pubkey>.jwt`, at start and again at each CONNECT of the account's users, so a
//! file written since applies without a reload.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::trust::is_key;
use super::{err, OperatorMode};
use crate::config::{Config, ConfigError};
use crate::jwt::{decode_account, AccountClaims};

use super::options::{ResolverConfig, ResolverType};

/// One account known from its JWT.
#[derive(Debug, Clone)]
pub(super) struct Known {
    pub(super) claims: Arc<AccountClaims>,
}

/// What the accounts known so far come to.
#[derive(Debug, Default)]
pub(super) struct Loaded {
    pub(super) accounts: BTreeMap<String, Known>,
}

impl Loaded {
    /// The accounts known at start: every `resolver_preload` entry and, with a directory,
    /// every `<dir>/<pubkey>.jwt` file that holds that account's JWT (a preload wins).
    pub(super) fn load(config: &Config, dir: Option<&Path>) -> Result<Loaded, ConfigError> {
        let mut loaded = Loaded::default();
        for (key, token) in &config.resolver_preload {
            let claims = decode_account(token)
                .or_else(|e| err(format!("preload account error for {key:?}: {e}")))?;
            loaded.accounts.insert(
                key.clone(),
                Known {
                    claims: Arc::new(claims),
                },
            );
        }
        if let Some(dir) = dir {
            if let Ok(entries) = std::fs::read_dir(dir) {
                for entry in entries.flatten() {
                    let name = entry.file_name().to_string_lossy().into_owned();
                    let Some(key) = name.strip_suffix(".jwt") else {
                        continue;
                    };
                    if loaded.accounts.contains_key(key) {
                        continue;
                    }
                    if let Ok(claims) = read_account_file(dir, key) {
                        loaded.accounts.insert(
                            key.to_string(),
                            Known {
                                claims: Arc::new(claims),
                            },
                        );
                    }
                }
            }
        }
        Ok(loaded)
    }
}

impl OperatorMode {
    /// The account JWT for `key`: the dir resolver's file (read again, so an update on
    /// disk applies to the next CONNECT), else the one loaded. The flag says whether it
    /// was not known before.
    pub(super) fn lookup(&self, key: &str) -> Result<(Arc<AccountClaims>, bool), String> {
        if let Some(dir) = &self.dir {
            if let Ok(claims) = read_account_file(dir, key) {
                let claims = Arc::new(claims);
                let mut loaded = self.loaded.lock();
                let new = !loaded.accounts.contains_key(key);
                loaded.accounts.insert(
                    key.to_string(),
                    Known {
                        claims: claims.clone(),
                    },
                );
                return Ok((claims, new));
            }
        }
        match self.loaded.lock().accounts.get(key) {
            Some(k) => Ok((k.claims.clone(), false)),
            None => Err("account missing".to_string()),
        }
    }
}

/// nats-server's checks of a `{type: full|cache, dir}` resolver; returns the directory
/// (created if missing, as nats-server does).
pub(super) fn check_resolver(r: &ResolverConfig) -> Result<Option<PathBuf>, ConfigError> {
    if r.kind == ResolverType::Memory {
        return Ok(None);
    }
    let Some(dir) = r.dir.as_ref().filter(|d| !d.as_os_str().is_empty()) else {
        return err("dir has no value and needs to point to a directory");
    };
    if let Ok(meta) = std::fs::metadata(dir) {
        if !meta.is_dir() {
            return err("dir needs to point to an accessible directory");
        }
    }
    match r.kind {
        ResolverType::Cache => {
            if r.interval.is_some_and(|i| !i.is_zero()) {
                return err("CACHE does not accept sync");
            }
            if r.allow_delete {
                return err("CACHE does not accept allow_delete");
            }
            if r.hard_delete.is_some() {
                return err("CACHE does not accept hard_delete");
            }
        }
        _ => {
            if r.ttl.is_some_and(|t| !t.is_zero()) {
                return err("FULL does not accept ttl");
            }
            if r.hard_delete.is_some() && !r.allow_delete {
                return err("hard_delete has no effect without delete");
            }
        }
    }
    std::fs::create_dir_all(dir).or_else(|e| err(e.to_string()))?;
    Ok(Some(dir.clone()))
}

/// `<dir>/<key>.jwt`, decoded; the file must hold the JWT of that very account.
fn read_account_file(dir: &Path, key: &str) -> Result<AccountClaims, String> {
    if !is_key(key, nkeys::KeyPairType::Account) {
        return Err("will only fetch valid account keys".to_string());
    }
    let text =
        std::fs::read_to_string(dir.join(format!("{key}.jwt"))).map_err(|e| e.to_string())?;
    let claims = decode_account(text.trim()).map_err(|e| e.to_string())?;
    if claims.claims.sub != key {
        return Err("account missing".to_string());
    }
    Ok(claims)
}
