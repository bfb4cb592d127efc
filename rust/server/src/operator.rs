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
//!   [`ImportPlans`] as the `accounts` option's ([`OperatorMode::snapshot`]); an import
//!   that does not resolve is left out and logged, as nats-server does.
//!
//! Not here: account updates through `$SYS` (`$SYS.REQ.ACCOUNT.*.CLAIMS.UPDATE`), the URL
//! resolver, activation tokens (an import carrying one is left out), and
//! `resolver_pinned_accounts`. A scoped signing key's template has its `{{...}}`
//! placeholders expanded ([`crate::jwt::expand_template`]).

use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use fastnats_proto::ConnectInfo;
use parking_lot::Mutex;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::{Deserialize, Serialize};

use crate::account::{
    check, AccountConfig, Accounts, Export, Import, ImportPlans, ImportSource, ResponseType,
};
use crate::auth::{
    verify_nkey, AuthMethod, CompiledPermissions, Identity, Permissions, ResponsePermission,
    SubjectPermission,
};
use crate::config::{Config, ConfigError};
use crate::jwt::{
    decode_account, decode_operator, decode_user, expand_template, parse_decorated_jwt,
    verify_user_chain, AccountClaims, ExportType, JwtError, OperatorClaims, TimeWindow, NO_LIMIT,
};
use crate::log::Level;

/// Which kind of account resolver.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ResolverType {
    /// `MEMORY`: the accounts of `resolver_preload`, nothing else.
    Memory,
    /// `{type: full, dir}`: account JWTs in `<dir>/<pubkey>.jwt` (and the preloads).
    Full,
    /// `{type: cache, dir}`: the same on a single server.
    Cache,
}

/// The `resolver` option: `"MEMORY"` (or `"MEM"`), or `{type: full|cache|memory, dir,
/// allow_delete, hard_delete, interval, ttl, timeout, limit}` (durations in seconds).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResolverConfig {
    /// The kind.
    #[serde(rename = "type")]
    pub kind: ResolverType,
    /// Where the account JWTs are (`full` and `cache`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dir: Option<PathBuf>,
    /// `allow_delete` (`full` only; deletions come through `$SYS`, which is not served).
    #[serde(default, deserialize_with = "crate::forms::strict_bool")]
    pub allow_delete: bool,
    /// `hard_delete` (`full` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hard_delete: Option<bool>,
    /// `interval`: the cluster sync interval (`full` only; no effect on a single server).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::forms::opt_seconds"
    )]
    pub interval: Option<Duration>,
    /// `ttl` (`cache` only; no effect here: files are read when needed).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::forms::opt_seconds"
    )]
    pub ttl: Option<Duration>,
    /// `timeout`: the fetch timeout (no effect on a single server).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::forms::opt_seconds"
    )]
    pub timeout: Option<Duration>,
    /// `limit`: the most accounts kept (not enforced here).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<i64>,
}

impl ResolverConfig {
    /// `resolver: MEMORY`.
    pub fn memory() -> Self {
        ResolverConfig {
            kind: ResolverType::Memory,
            dir: None,
            allow_delete: false,
            hard_delete: None,
            interval: None,
            ttl: None,
            timeout: None,
            limit: None,
        }
    }
}

/// Reads the string form (`"MEMORY"`/`"MEM"`, any case) or the map form.
pub(crate) fn resolver_form<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<ResolverConfig>, D::Error> {
    struct Form;
    impl<'de> Visitor<'de> for Form {
        type Value = Option<ResolverConfig>;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("\"MEMORY\" or a map with type and dir")
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            match v.trim().to_ascii_uppercase().as_str() {
                "MEM" | "MEMORY" => Ok(Some(ResolverConfig::memory())),
                _ => Err(E::custom(
                    "error parsing account resolver, should be MEM or  URL(\"url\") or a map containing dir and type state=[FULL|CACHE])",
                )),
            }
        }
        fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
            ResolverConfig::deserialize(de::value::MapAccessDeserializer::new(map)).map(Some)
        }
    }
    d.deserialize_any(Form)
}

/// A string or a list of strings (`operator`, `trusted_keys`).
pub(crate) fn one_or_many<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Form {
        One(String),
        Many(Vec<String>),
    }
    Ok(match Option::<Form>::deserialize(d)? {
        None => Vec::new(),
        Some(Form::One(s)) => vec![s],
        Some(Form::Many(v)) => v,
    })
}

/// Whether `key` is a public nkey of `kind`.
fn is_key(key: &str, kind: nkeys::KeyPairType) -> bool {
    key.starts_with(match kind {
        nkeys::KeyPairType::Operator => 'O',
        nkeys::KeyPairType::Account => 'A',
        _ => 'U',
    }) && nkeys::KeyPair::from_public_key(key).is_ok_and(|k| k.key_pair_type() == kind)
}

fn err<T>(text: impl Into<String>) -> Result<T, ConfigError> {
    Err(ConfigError::Operator(text.into()))
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

/// One account known from its JWT.
#[derive(Debug, Clone)]
struct Known {
    claims: Arc<AccountClaims>,
}

/// What the accounts known so far come to.
#[derive(Debug, Default)]
struct Loaded {
    accounts: BTreeMap<String, Known>,
}

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

/// A user the JWT checks admitted.
#[derive(Debug, Clone)]
pub struct JwtGrant {
    /// User public key, permissions, account public key.
    pub identity: Identity,
    /// The user's and account's subscription limit, combined (-1: none).
    pub max_subs: i64,
    /// The user's and account's payload limit, combined (-1: none).
    pub max_payload: i64,
    /// The account's connection limit (-1: none).
    pub max_conns: i64,
    /// When the JWT (or its connect window) runs out, if it does.
    pub expires_in: Option<Duration>,
    /// The account JWT's name (`/connz` `name_tag`).
    pub account_name: String,
    /// The user JWT's name (`$SYS.REQ.USER.INFO` `user_name`).
    pub user_name: String,
    /// Whether the account is new to the server (the caller adds it to the account set).
    pub new_account: bool,
    /// The log line of the admission (`Authenticated JWT: ...`, debug).
    pub log: String,
}

/// The decision on a CONNECT in operator mode.
#[derive(Debug, Clone)]
pub enum JwtDecision {
    /// Admitted.
    Allowed(Box<JwtGrant>),
    /// `Authorization Violation`; nats-server logs `text` at `level`.
    Denied {
        /// The level of nats-server's line.
        level: Level,
        /// The line, after the client's tag.
        text: String,
    },
}

fn deny(level: Level, text: impl Into<String>) -> JwtDecision {
    JwtDecision::Denied {
        level,
        text: text.into(),
    }
}

/// nats-server's `minLimit` of two limits where -1 is none.
fn min_limit(a: i64, b: i64) -> i64 {
    match (a, b) {
        (NO_LIMIT, b) => b,
        (a, NO_LIMIT) => a,
        (a, b) => a.min(b),
    }
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// The server's UTC offset; without a zone database, UTC.
const LOCAL_OFFSET: i32 = 0;

impl OperatorMode {
    /// Operator mode for `config`, or `None` when it names no operator and no trusted key.
    /// Checks nats-server's rules with its texts.
    pub fn compile(config: &Config) -> Result<Option<OperatorMode>, ConfigError> {
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
        if operators.is_empty() && config.trusted_keys.is_empty() {
            return Ok(None);
        }
        let resolver = config.resolver.as_ref();
        let dir = match resolver {
            Some(r) => check_resolver(r)?,
            None => None,
        };
        // A system account named by the one operator applies unless the config names one.
        let configured_sys = config.system_account.clone().filter(|s| !s.is_empty());
        let mut system_account = configured_sys.clone();
        if operators.len() == 1 && system_account.is_none() {
            let op_sys = &operators[0].system_account;
            if !op_sys.is_empty() {
                system_account = Some(op_sys.clone());
            }
        }
        if !operators.is_empty() {
            if resolver.is_none() {
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
            if let Some(sys) = &configured_sys {
                let non_empty = operators.iter().any(|o| !o.system_account.is_empty());
                let found = operators.iter().any(|o| &o.system_account == sys);
                if non_empty && !found {
                    return err("system_account in config and operator JWT must be identical");
                }
            } else if operators[0].system_account.is_empty() && dir.is_some() {
                return err("using nats based account resolver - the system account needs to be specified in configuration or the operator jwt");
            }
            for op in &operators {
                for key in op.trusted_keys() {
                    if !is_key(key, nkeys::KeyPairType::Operator) {
                        return err(format!(
                            "trusted Keys {key:?} are required to be a valid public operator nkey"
                        ));
                    }
                }
            }
        }
        for key in &config.trusted_keys {
            operators.push(OperatorClaims {
                claims: crate::jwt::ClaimsData {
                    sub: key.clone(),
                    iss: key.clone(),
                    ..Default::default()
                },
                ..Default::default()
            });
        }
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
        if let Some(dir) = &dir {
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
        // Unnamed, there is none: nats-server's default `$SYS` is not an account a trusted
        // operator signed, so setting it fails and the server runs without one.
        let system_account = system_account.filter(|_| !config.no_system_account);
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

    /// The accounts known now, in the `accounts` option's form (exports and imports from
    /// their JWTs), and what their imports come to. An import that does not resolve is
    /// left out and logged.
    pub fn snapshot(&self) -> (Accounts, ImportPlans) {
        let loaded = self.loaded.lock();
        let mut accounts: Accounts = loaded
            .accounts
            .iter()
            .map(|(k, known)| (k.clone(), exports_of(&known.claims)))
            .collect();
        let mut plans = ImportPlans::default();
        for (name, known) in &loaded.accounts {
            for im in &known.claims.imports {
                let Some(import) = import_of(name, im) else {
                    continue;
                };
                let Some(exporter) = accounts.get(&im.account) else {
                    crate::log_at!(
                        Level::Error,
                        "Can't locate account [{}] for import of [{}] {} (err=account missing)",
                        im.account,
                        im.subject,
                        type_name(im.import_type)
                    );
                    continue;
                };
                let mut pair = Accounts::new();
                pair.insert(im.account.clone(), exporter.clone());
                let importer = pair.entry(name.clone()).or_default();
                importer.imports = vec![import];
                match check(&pair, None) {
                    Ok(p) => {
                        plans.streams.extend(p.streams);
                        plans.services.extend(p.services);
                    }
                    Err(e) => crate::log_at!(
                        Level::Debug,
                        "Error adding {} import to account [{name}]: {e}",
                        type_name(im.import_type)
                    ),
                }
            }
        }
        for acc in accounts.values_mut() {
            acc.imports.clear();
        }
        (accounts, plans)
    }

    /// The name tag (the account JWT's `name`) of each known account.
    pub fn name_tags(&self) -> HashMap<String, String> {
        self.loaded
            .lock()
            .accounts
            .iter()
            .map(|(k, v)| (k.clone(), v.claims.claims.name.clone()))
            .collect()
    }

    /// The account JWT for `key`: the dir resolver's file (read again, so an update on
    /// disk applies to the next CONNECT), else the one loaded. The flag says whether it
    /// was not known before.
    fn lookup(&self, key: &str) -> Result<(Arc<AccountClaims>, bool), String> {
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

    /// Decides a CONNECT (see the module doc). `nonce` is the one sent in INFO.
    pub fn authenticate(
        &self,
        connect: &ConnectInfo,
        nonce: Option<&str>,
        ip: IpAddr,
    ) -> JwtDecision {
        let Some(token) = connect.jwt.as_deref().filter(|s| !s.is_empty()) else {
            return deny(Level::Debug, "Authentication requires a user JWT");
        };
        let user = match decode_user(token) {
            Ok(u) => u,
            Err(e) => return deny(Level::Debug, format!("User JWT not valid: {e}")),
        };
        let now = unix_now();
        let invalid = if user.claims.is_expired(now) {
            Some(JwtError::Expired.to_string())
        } else if user.claims.not_yet_valid(now) {
            Some(JwtError::NotYetValid.to_string())
        } else {
            user.limits.validate().err().map(|e| e.to_string())
        };
        if let Some(why) = invalid {
            return deny(Level::Debug, format!("User JWT no longer valid: {why}"));
        }
        let account_key = user.account_key().to_string();
        let (account, new_account) = match self.lookup(&account_key) {
            Ok(a) => a,
            Err(e) => return deny(Level::Debug, format!("Account JWT lookup error: {e}")),
        };
        let verified = match verify_user_chain(token, &account, &self.operators, now) {
            Ok(v) => v,
            Err(e) => {
                let text = match e {
                    JwtError::UntrustedAccount(_) => {
                        "Account JWT not signed by trusted operator".to_string()
                    }
                    JwtError::UnknownUserIssuer(_) => "User JWT issuer is not known".to_string(),
                    JwtError::ScopedUserHasPermissions => format!("User JWT is not valid: {e}"),
                    JwtError::AccountExpired => "Account JWT has expired".to_string(),
                    JwtError::BearerNotAllowed => {
                        "Account does not allow bearer tokens".to_string()
                    }
                    JwtError::Revoked => "User authentication revoked".to_string(),
                    other => format!("User JWT not valid: {other}"),
                };
                return deny(Level::Debug, text);
            }
        };
        // nats-server: a scoped key's template, placeholders expanded, is the user's.
        let expanded;
        let limits = match &verified.scope {
            None => &verified.user.limits,
            Some(scope) => match expand_template(&scope.template, &verified.user, &account) {
                Ok(l) => {
                    expanded = l;
                    &expanded
                }
                Err(_) => return deny(Level::Debug, "User JWT generated invalid permissions"),
            },
        };
        let types = &limits.allowed_connection_types;
        if !types.is_empty() && !types.iter().any(|t| t.eq_ignore_ascii_case("STANDARD")) {
            return deny(Level::Debug, "Connection type not allowed");
        }
        if !limits.bearer_token {
            let sig = connect.sig.as_deref().unwrap_or("");
            if sig.is_empty() {
                return deny(Level::Debug, "Signature missing");
            }
            if !verify_nkey(&verified.user.claims.sub, sig, nonce.unwrap_or("")) {
                return deny(Level::Debug, "Signature not verified");
            }
        }
        if !limits.check_src(ip) {
            return deny(Level::Error, format!("Bad src Ip {ip}"));
        }
        let valid_for = match limits.check_times(SystemTime::now(), LOCAL_OFFSET) {
            Ok(TimeWindow::Outside) | Err(_) => {
                return deny(Level::Error, "Outside connect times");
            }
            Ok(TimeWindow::Unrestricted) => None,
            Ok(TimeWindow::Inside { valid_for }) => Some(valid_for),
        };
        let own = permissions_of(&limits.permissions);
        let perms = match own.or_else(|| permissions_of(&account.default_permissions)) {
            None => None,
            Some(p) => match CompiledPermissions::compile(&p) {
                Ok(c) => Some(Arc::new(c)),
                Err(_) => return deny(Level::Debug, "User JWT generated invalid permissions"),
            },
        };
        let exp = verified.user.claims.exp;
        let expires_in = match (exp > 0).then(|| Duration::from_secs((exp - now).max(0) as u64)) {
            Some(e) => Some(valid_for.map_or(e, |v| v.min(e))),
            None => valid_for,
        };
        let u = &verified.user.claims;
        let log = format!(
            "Authenticated JWT: Client {:?} (claim-name: {:?}, claim-tags: {:?}) signed with {:?} by Account {:?} (claim-name: {:?}, claim-tags: {:?}) signed with {:?} has mappings false",
            u.sub,
            u.name,
            u.tags,
            u.iss,
            account_key,
            account.claims.name,
            account.claims.tags,
            account.claims.iss
        );
        JwtDecision::Allowed(Box::new(JwtGrant {
            identity: Identity {
                user: Some(u.sub.clone()),
                permissions: perms,
                method: AuthMethod::Jwt,
                account: Some(account_key),
            },
            max_subs: min_limit(limits.subs, account.limits.subs),
            max_payload: min_limit(limits.payload, account.limits.payload),
            max_conns: account.limits.conn,
            expires_in,
            account_name: account.claims.name.clone(),
            user_name: u.name.clone(),
            new_account,
            log,
        }))
    }
}

/// nats-server's checks of a `{type: full|cache, dir}` resolver; returns the directory
/// (created if missing, as nats-server does).
fn check_resolver(r: &ResolverConfig) -> Result<Option<PathBuf>, ConfigError> {
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

fn type_name(t: ExportType) -> &'static str {
    match t {
        ExportType::Stream => "stream",
        ExportType::Service => "service",
        ExportType::Unknown => "unknown",
    }
}

/// An account JWT's exports in the `accounts` option's form. An export that needs an
/// activation token is private to no account (activation tokens are not supported).
fn exports_of(claims: &AccountClaims) -> AccountConfig {
    let mut acc = AccountConfig::default();
    for e in &claims.exports {
        let subject = Some(e.subject.clone());
        let (stream, service) = match e.export_type {
            ExportType::Stream => (subject, None),
            ExportType::Service => (None, subject),
            ExportType::Unknown => continue,
        };
        let service_kind = service.is_some();
        acc.exports.push(Export {
            stream,
            service,
            accounts: e.token_req.then(Vec::new),
            response_type: service_kind.then_some(match e.response_type.as_str() {
                "Stream" => ResponseType::Stream,
                "Chunked" => ResponseType::Chunked,
                _ => ResponseType::Singleton,
            }),
            response_threshold: (service_kind && e.response_threshold > 0)
                .then(|| Duration::from_nanos(e.response_threshold as u64)),
        });
    }
    acc
}

/// An account JWT's import in the `accounts` option's form, as nats-server reads it:
/// a stream's `local_subject` is its destination and `to` its prefix; a service's
/// `local_subject` is the subject requesters use (v1's `to` named the exporter's).
fn import_of(importer: &str, im: &crate::jwt::Import) -> Option<Import> {
    if !im.token.is_empty() {
        crate::log_at!(
            Level::Warn,
            "Import of [{}] from account [{}] into [{importer}] ignored: activation tokens are not supported by fastnats",
            im.subject,
            im.account
        );
        return None;
    }
    let source = |subject: &str| ImportSource {
        account: im.account.clone(),
        subject: subject.to_string(),
    };
    let some = |s: &str| (!s.is_empty()).then(|| s.to_string());
    match im.import_type {
        ExportType::Stream => Some(Import {
            stream: Some(source(&im.subject)),
            to: some(&im.local_subject),
            prefix: if im.local_subject.is_empty() {
                some(&im.to)
            } else {
                None
            },
            ..Import::default()
        }),
        ExportType::Service => {
            let (remote, local) = if !im.local_subject.is_empty() {
                (im.subject.as_str(), Some(im.local_subject.clone()))
            } else if !im.to.is_empty() {
                (im.to.as_str(), Some(im.subject.clone()))
            } else {
                (im.subject.as_str(), None)
            };
            Some(Import {
                service: Some(source(remote)),
                to: local,
                ..Import::default()
            })
        }
        ExportType::Unknown => None,
    }
}

/// nats-server's `buildPermissionsFromJwt`: `None` when nothing is set.
fn permissions_of(p: &crate::jwt::Permissions) -> Option<Permissions> {
    let subject = |perm: &crate::jwt::Permission| {
        (!perm.allow.is_empty() || !perm.deny.is_empty()).then(|| SubjectPermission {
            allow: perm.allow.clone(),
            deny: perm.deny.clone(),
        })
    };
    let out = Permissions {
        publish: subject(&p.publish),
        subscribe: subject(&p.subscribe),
        allow_responses: p
            .resp
            .as_ref()
            .map(|r| ResponsePermission::from_config(r.max, r.ttl)),
    };
    (out != Permissions::default()).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_combine_as_nats_server_does() {
        assert_eq!(min_limit(-1, -1), -1);
        assert_eq!(min_limit(-1, 5), 5);
        assert_eq!(min_limit(7, -1), 7);
        assert_eq!(min_limit(7, 0), 0);
    }

    #[test]
    fn resolver_forms() {
        let read = |v: serde_json::Value| resolver_form(v).map_err(|e| e.to_string());
        assert_eq!(
            read(serde_json::json!("MEMORY")).unwrap(),
            Some(ResolverConfig::memory())
        );
        assert_eq!(
            read(serde_json::json!("mem")).unwrap(),
            Some(ResolverConfig::memory())
        );
        let full = read(serde_json::json!({"type": "full", "dir": "/tmp/x"}))
            .unwrap()
            .unwrap();
        assert_eq!(full.kind, ResolverType::Full);
        assert!(read(serde_json::json!({"type": "full", "dri": "x"}))
            .unwrap_err()
            .contains("dri"));
        assert!(read(serde_json::json!("URL(http://x)")).is_err());
    }
}
