//! The claim types, read from the claims JSON as the Go library (nats-io/jwt v2) reads them.
//!
//! Defaults matter because nats-server acts on them: a field that is absent is Go's zero
//! value, so a v2 account JWT without `limits` has every limit `0` (not unlimited; `-1`,
//! [`NO_LIMIT`], is unlimited, and `nsc` writes it explicitly), and so does a v2 user JWT.
//! The exceptions are the Go decoder's: a v1 user's `subs`/`data`/`payload` and a scoped
//! signing key's template `subs`/`data`/`payload` default to [`NO_LIMIT`]. A JSON `null`
//! counts as absent, as in Go. v1 claims (top-level `type`) are mapped onto the same structs
//! the way the Go library migrates them: fields v1 did not have stay at their zero value.

use std::collections::BTreeMap;

use serde::de::{self, Deserializer};
use serde::Deserialize;
use serde_json::{Map, Value};

/// `-1`: the limit is off (`jwt.NoLimit`).
pub const NO_LIMIT: i64 = -1;

/// The revocation entry that revokes every key (`jwt.All`).
pub const REVOKE_ALL: &str = "*";

/// A JSON `null` (or an absent field, with `#[serde(default)]`) is the type's default, as
/// Go leaves a field alone on `null`.
fn nullable<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// The registered claims every NATS JWT has (`ClaimsData`). Times are Unix seconds, `0`
/// when absent.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct ClaimsData {
    /// `aud`
    #[serde(default, deserialize_with = "nullable")]
    pub aud: String,
    /// `exp`: expiry, Unix seconds; 0 = never.
    #[serde(default, deserialize_with = "nullable")]
    pub exp: i64,
    /// `jti`: base32 of SHA-512/256 of the claims; nobody checks it.
    #[serde(default, deserialize_with = "nullable")]
    pub jti: String,
    /// `iat`: issued at, Unix seconds (what revocations compare with).
    #[serde(default, deserialize_with = "nullable")]
    pub iat: i64,
    /// `iss`: the public nkey that signed the JWT.
    #[serde(default, deserialize_with = "nullable")]
    pub iss: String,
    /// `name`
    #[serde(default, deserialize_with = "nullable")]
    pub name: String,
    /// `nbf`: not before, Unix seconds; 0 = always.
    #[serde(default, deserialize_with = "nullable")]
    pub nbf: i64,
    /// `sub`: the public nkey the JWT is about.
    #[serde(default, deserialize_with = "nullable")]
    pub sub: String,
    /// 1 (claim type at the top level, signature over the claims only) or 2.
    #[serde(skip)]
    pub version: u8,
    /// `tags` (v2: under `nats`; v1: at the top level).
    #[serde(skip)]
    pub tags: Vec<String>,
}

impl ClaimsData {
    /// The Go library's rule (`ClaimsData.Validate`), which nats-server applies to user
    /// JWTs: expired once `now` is past `exp` (`now > exp`, Unix seconds).
    pub fn is_expired(&self, now: i64) -> bool {
        self.exp > 0 && now > self.exp
    }

    /// Not valid before `nbf` (`nbf > now`).
    pub fn not_yet_valid(&self, now: i64) -> bool {
        self.nbf > 0 && self.nbf > now
    }

    /// Whether the subject signed its own JWT (an operator's own JWT normally is).
    pub fn is_self_signed(&self) -> bool {
        self.iss == self.sub
    }
}

/// An operator JWT's `nats` section.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OperatorClaims {
    /// The registered claims.
    pub claims: ClaimsData,
    /// Operator keys allowed to sign account JWTs besides the operator's own.
    pub signing_keys: Vec<String>,
    /// `account_server_url`
    pub account_server_url: String,
    /// `operator_service_urls`
    pub operator_service_urls: Vec<String>,
    /// `system_account`: the system account's public key, if any.
    pub system_account: String,
    /// `assert_server_version` (v2)
    pub assert_server_version: String,
    /// `strict_signing_key_usage` (v2): the operator's own key signs no accounts, and the
    /// accounts its signing keys sign may not sign users with their own key.
    pub strict_signing_key_usage: bool,
}

impl OperatorClaims {
    /// The operator keys nats-server trusts to sign accounts for this operator
    /// (`validateTrustedOperators`): its signing keys, and its own key unless
    /// `strict_signing_key_usage`.
    pub fn trusted_keys(&self) -> impl Iterator<Item = &str> {
        let own = (!self.strict_signing_key_usage).then_some(self.claims.sub.as_str());
        own.into_iter()
            .chain(self.signing_keys.iter().map(String::as_str))
    }
}

#[derive(Deserialize, Default)]
struct RawOperator {
    #[serde(default, deserialize_with = "nullable")]
    signing_keys: Vec<String>,
    #[serde(default, deserialize_with = "nullable")]
    account_server_url: String,
    #[serde(default, deserialize_with = "nullable")]
    operator_service_urls: Vec<String>,
    #[serde(default, deserialize_with = "nullable")]
    system_account: String,
    #[serde(default, deserialize_with = "nullable")]
    assert_server_version: String,
    #[serde(default, deserialize_with = "nullable")]
    strict_signing_key_usage: bool,
}

/// `allow` / `deny` subject lists.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct Permission {
    /// `allow`
    #[serde(default, deserialize_with = "nullable")]
    pub allow: Vec<String>,
    /// `deny`
    #[serde(default, deserialize_with = "nullable")]
    pub deny: Vec<String>,
}

/// `resp`: the allowed responses (nats-server's `allow_responses`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct ResponsePermission {
    /// `max`: responses allowed per request.
    #[serde(default, deserialize_with = "nullable")]
    pub max: i64,
    /// `ttl`: a Go `time.Duration`, in nanoseconds.
    #[serde(default, deserialize_with = "nullable")]
    pub ttl: i64,
}

/// `pub`, `sub` and `resp` (a user's, a scope template's, an account's defaults).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct Permissions {
    /// `pub`
    #[serde(default, rename = "pub", deserialize_with = "nullable")]
    pub publish: Permission,
    /// `sub`
    #[serde(default, rename = "sub", deserialize_with = "nullable")]
    pub subscribe: Permission,
    /// `resp`
    #[serde(default)]
    pub resp: Option<ResponsePermission>,
}

/// One `times` entry: a daily window, `HH:MM:SS` both ends; it may cross midnight.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct TimeRange {
    /// `start`
    #[serde(default, deserialize_with = "nullable")]
    pub start: String,
    /// `end`
    #[serde(default, deserialize_with = "nullable")]
    pub end: String,
}

/// What a user may do and from where (`UserPermissionLimits`): the user JWT's own, or the
/// template of a scoped signing key.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserPermissionLimits {
    /// `pub` / `sub` / `resp`
    pub permissions: Permissions,
    /// `src`: CIDR blocks the client must connect from (v2 writes a list; v1 wrote a
    /// comma-separated string, split, trimmed and lower-cased as Go does).
    pub src: Vec<String>,
    /// `times`: daily connect windows.
    pub times: Vec<TimeRange>,
    /// `times_location`: the IANA zone of `times` (empty: the server's local time).
    pub times_location: String,
    /// `subs`: max subscriptions ([`NO_LIMIT`] = unlimited).
    pub subs: i64,
    /// `data`: max bytes.
    pub data: i64,
    /// `payload`: max message payload.
    pub payload: i64,
    /// `bearer_token`: no nonce signature needed.
    pub bearer_token: bool,
    /// `proxy_required` (v2)
    pub proxy_required: bool,
    /// `allowed_connection_types` (v2): `STANDARD`, `WEBSOCKET`, `LEAFNODE`, ...
    pub allowed_connection_types: Vec<String>,
}

impl UserPermissionLimits {
    /// Nothing set at all (`HasEmptyPermissions`): what a user signed by a scoped key must
    /// be. Go compares with `reflect.DeepEqual`, which also tells an empty list from an
    /// absent one; here both count as empty.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// The CIDR list: a JSON list, or (v1) one comma-separated string.
#[derive(Default)]
struct CidrList(Vec<String>);

impl<'de> Deserialize<'de> for CidrList {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Form {
            List(Vec<String>),
            Joined(String),
        }
        Ok(match Option::<Form>::deserialize(d)? {
            None => CidrList::default(),
            Some(Form::List(list)) => CidrList(list),
            // Go's CIDRList.Set: lower-case, split on ',', trim, drop empty and repeated.
            Some(Form::Joined(s)) => {
                let mut list: Vec<String> = Vec::new();
                for part in s.to_lowercase().split(',') {
                    let part = part.trim();
                    if !part.is_empty() && !list.iter().any(|p| p == part) {
                        list.push(part.to_string());
                    }
                }
                CidrList(list)
            }
        })
    }
}

#[derive(Deserialize, Default)]
struct RawUserLimits {
    #[serde(flatten)]
    permissions: Permissions,
    #[serde(default)]
    src: CidrList,
    #[serde(default, deserialize_with = "nullable")]
    times: Vec<TimeRange>,
    #[serde(default, deserialize_with = "nullable")]
    times_location: String,
    #[serde(default)]
    subs: Option<i64>,
    #[serde(default)]
    data: Option<i64>,
    #[serde(default)]
    payload: Option<i64>,
    #[serde(default, deserialize_with = "nullable")]
    bearer_token: bool,
    #[serde(default, deserialize_with = "nullable")]
    proxy_required: bool,
    #[serde(default, deserialize_with = "nullable")]
    allowed_connection_types: Vec<String>,
    #[serde(default, deserialize_with = "nullable")]
    issuer_account: String,
}

impl RawUserLimits {
    /// `unset` is what an absent `subs`/`data`/`payload` is (0, or -1 where Go presets it).
    fn into_limits(self, unset: i64) -> UserPermissionLimits {
        UserPermissionLimits {
            permissions: self.permissions,
            src: self.src.0,
            times: self.times,
            times_location: self.times_location,
            subs: self.subs.unwrap_or(unset),
            data: self.data.unwrap_or(unset),
            payload: self.payload.unwrap_or(unset),
            bearer_token: self.bearer_token,
            proxy_required: self.proxy_required,
            allowed_connection_types: self.allowed_connection_types,
        }
    }
}

/// A user JWT.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserClaims {
    /// The registered claims (`sub` is the user's public key, `iss` the signing account key).
    pub claims: ClaimsData,
    /// `issuer_account`: the account, when `iss` is one of its signing keys.
    pub issuer_account: String,
    /// Permissions and limits.
    pub limits: UserPermissionLimits,
}

impl UserClaims {
    /// The account this user belongs to: `issuer_account`, else the issuer itself (how
    /// nats-server picks the account to look up).
    pub fn account_key(&self) -> &str {
        if self.issuer_account.is_empty() {
            &self.claims.iss
        } else {
            &self.issuer_account
        }
    }
}

/// An account's limits as set by its operator (`OperatorLimits`). Absent = 0.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct AccountLimits {
    /// `subs`: max subscriptions.
    #[serde(default, deserialize_with = "nullable")]
    pub subs: i64,
    /// `data`: max bytes.
    #[serde(default, deserialize_with = "nullable")]
    pub data: i64,
    /// `payload`: max message payload.
    #[serde(default, deserialize_with = "nullable")]
    pub payload: i64,
    /// `imports`: max imports.
    #[serde(default, deserialize_with = "nullable")]
    pub imports: i64,
    /// `exports`: max exports.
    #[serde(default, deserialize_with = "nullable")]
    pub exports: i64,
    /// `wildcards`: wildcard exports allowed.
    #[serde(default, deserialize_with = "nullable")]
    pub wildcards: bool,
    /// `disallow_bearer`: user JWTs may not be bearer tokens.
    #[serde(default, deserialize_with = "nullable")]
    pub disallow_bearer: bool,
    /// `conn`: max client connections.
    #[serde(default, deserialize_with = "nullable")]
    pub conn: i64,
    /// `leaf`: max leaf node connections.
    #[serde(default, deserialize_with = "nullable")]
    pub leaf: i64,
    /// Every other key (the JetStream limits `mem_storage`, `disk_storage`, `streams`,
    /// `consumer`, ..., `tiered_limits`), as raw JSON for whoever implements JetStream.
    /// Empty for v1, whose decoder drops them.
    #[serde(flatten)]
    pub jetstream: Map<String, Value>,
}

/// `stream` or `service` (absent: `Unknown`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ExportType {
    /// No `type`.
    #[default]
    Unknown,
    /// `"stream"`
    Stream,
    /// `"service"`
    Service,
}

impl<'de> Deserialize<'de> for ExportType {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match Option::<String>::deserialize(d)?.as_deref() {
            None => Ok(ExportType::Unknown),
            Some("stream") => Ok(ExportType::Stream),
            Some("service") => Ok(ExportType::Service),
            Some(other) => Err(de::Error::custom(format!("unknown export type {other:?}"))),
        }
    }
}

/// One `exports` entry.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct Export {
    /// `name`
    #[serde(default, deserialize_with = "nullable")]
    pub name: String,
    /// `subject`
    #[serde(default, deserialize_with = "nullable")]
    pub subject: String,
    /// `type`
    #[serde(default, rename = "type")]
    pub export_type: ExportType,
    /// `token_req`: importers need an activation token.
    #[serde(default, deserialize_with = "nullable")]
    pub token_req: bool,
    /// `revocations`: activation revocations, account key → Unix seconds.
    #[serde(default, deserialize_with = "nullable")]
    pub revocations: BTreeMap<String, i64>,
    /// `response_type`: `Singleton` (or empty), `Stream`, `Chunked`.
    #[serde(default, deserialize_with = "nullable")]
    pub response_type: String,
    /// `response_threshold`: a Go `time.Duration`, in nanoseconds.
    #[serde(default, deserialize_with = "nullable")]
    pub response_threshold: i64,
    /// `account_token_position`
    #[serde(default, deserialize_with = "nullable")]
    pub account_token_position: u32,
    /// `advertise`
    #[serde(default, deserialize_with = "nullable")]
    pub advertise: bool,
    /// `allow_trace`
    #[serde(default, deserialize_with = "nullable")]
    pub allow_trace: bool,
}

/// One `imports` entry.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct Import {
    /// `name`
    #[serde(default, deserialize_with = "nullable")]
    pub name: String,
    /// `subject`: the exporter's subject.
    #[serde(default, deserialize_with = "nullable")]
    pub subject: String,
    /// `account`: the exporting account's public key.
    #[serde(default, deserialize_with = "nullable")]
    pub account: String,
    /// `token`: the activation JWT (or a URL to it).
    #[serde(default, deserialize_with = "nullable")]
    pub token: String,
    /// `to` (deprecated in favour of `local_subject`).
    #[serde(default, deserialize_with = "nullable")]
    pub to: String,
    /// `local_subject`
    #[serde(default, deserialize_with = "nullable")]
    pub local_subject: String,
    /// `type`
    #[serde(default, rename = "type")]
    pub import_type: ExportType,
    /// `share`
    #[serde(default, deserialize_with = "nullable")]
    pub share: bool,
    /// `allow_trace`
    #[serde(default, deserialize_with = "nullable")]
    pub allow_trace: bool,
}

/// A scoped signing key (`{"kind":"user_scope", ...}`): users it signs get `template`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserScope {
    /// `key`: the signing key.
    pub key: String,
    /// `role`
    pub role: String,
    /// `description`
    pub description: String,
    /// `template`: the users' permissions and limits (unset limits are [`NO_LIMIT`]).
    pub template: UserPermissionLimits,
}

/// An account signing key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SigningKey {
    /// A plain key: the users it signs carry their own permissions.
    Plain,
    /// A scoped key: the users it signs must carry none, and get the template's.
    Scoped(Box<UserScope>),
}

/// Reads `signing_keys`: a list of strings (plain keys) and `user_scope` objects, keyed by
/// public key (a repeated key: the last one wins, as in Go's map).
fn signing_keys<'de, D: Deserializer<'de>>(d: D) -> Result<BTreeMap<String, SigningKey>, D::Error> {
    #[derive(Deserialize)]
    struct RawScope {
        #[serde(default, deserialize_with = "nullable")]
        key: String,
        #[serde(default, deserialize_with = "nullable")]
        role: String,
        #[serde(default, deserialize_with = "nullable")]
        description: String,
        #[serde(default)]
        template: Option<RawUserLimits>,
    }
    let mut keys = BTreeMap::new();
    for item in Option::<Vec<Value>>::deserialize(d)?.unwrap_or_default() {
        match item {
            Value::String(key) => {
                keys.insert(key, SigningKey::Plain);
            }
            Value::Object(obj) => {
                let kind = obj.get("kind").and_then(Value::as_str).unwrap_or_default();
                if kind != "user_scope" {
                    return Err(de::Error::custom(format!(
                        "unknown signing key scope {kind:?}"
                    )));
                }
                let raw: RawScope =
                    serde_json::from_value(Value::Object(obj)).map_err(de::Error::custom)?;
                let template = raw.template.unwrap_or_default().into_limits(NO_LIMIT);
                let scope = UserScope {
                    key: raw.key,
                    role: raw.role,
                    description: raw.description,
                    template,
                };
                keys.insert(scope.key.clone(), SigningKey::Scoped(Box::new(scope)));
            }
            // Go's decoder skips anything else.
            _ => {}
        }
    }
    Ok(keys)
}

/// Only plain keys (v1's `signing_keys` is a list of strings).
fn plain_signing_keys<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<BTreeMap<String, SigningKey>, D::Error> {
    let keys: Vec<String> = nullable(d)?;
    Ok(keys.into_iter().map(|k| (k, SigningKey::Plain)).collect())
}

/// An account JWT.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccountClaims {
    /// The registered claims (`sub` is the account's public key, `iss` an operator key).
    pub claims: ClaimsData,
    /// `imports`
    pub imports: Vec<Import>,
    /// `exports`
    pub exports: Vec<Export>,
    /// `limits` (all 0 when absent).
    pub limits: AccountLimits,
    /// `signing_keys`: keys besides the account's own that may sign its users.
    pub signing_keys: BTreeMap<String, SigningKey>,
    /// `revocations`: user public key (or `*`) → Unix seconds; users issued at or before
    /// that time are revoked.
    pub revocations: BTreeMap<String, i64>,
    /// `default_permissions` (v2): for users whose JWT sets none.
    pub default_permissions: Permissions,
    /// `description` (v2)
    pub description: String,
}

#[derive(Deserialize, Default)]
struct RawAccountV2 {
    #[serde(default, deserialize_with = "nullable")]
    imports: Vec<Import>,
    #[serde(default, deserialize_with = "nullable")]
    exports: Vec<Export>,
    #[serde(default, deserialize_with = "nullable")]
    limits: AccountLimits,
    #[serde(default, deserialize_with = "signing_keys")]
    signing_keys: BTreeMap<String, SigningKey>,
    #[serde(default, deserialize_with = "nullable")]
    revocations: BTreeMap<String, i64>,
    #[serde(default, deserialize_with = "nullable")]
    default_permissions: Permissions,
    #[serde(default, deserialize_with = "nullable")]
    description: String,
    #[serde(default, deserialize_with = "nullable")]
    tags: Vec<String>,
}

#[derive(Deserialize, Default)]
struct RawAccountV1 {
    #[serde(default, deserialize_with = "nullable")]
    imports: Vec<Import>,
    #[serde(default, deserialize_with = "nullable")]
    exports: Vec<Export>,
    #[serde(default, deserialize_with = "nullable")]
    limits: AccountLimits,
    #[serde(default, deserialize_with = "plain_signing_keys")]
    signing_keys: BTreeMap<String, SigningKey>,
    #[serde(default, deserialize_with = "nullable")]
    revocations: BTreeMap<String, i64>,
}

/// The parts of the claims JSON outside `nats` that v1 used, and `nats` itself.
#[derive(Deserialize)]
struct Envelope<N> {
    #[serde(default, deserialize_with = "nullable")]
    tags: Vec<String>,
    #[serde(default, deserialize_with = "nullable")]
    issuer_account: String,
    #[serde(default)]
    nats: Option<N>,
}

/// `nats.tags` and `nats.version`, read apart so the typed sections stay simple.
#[derive(Deserialize, Default)]
struct NatsTags {
    #[serde(default, deserialize_with = "nullable")]
    tags: Vec<String>,
}

/// The claim kinds this module decodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClaimKind {
    /// `operator`
    Operator,
    /// `account`
    Account,
    /// `user`
    User,
}

impl std::fmt::Display for ClaimKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ClaimKind::Operator => "operator",
            ClaimKind::Account => "account",
            ClaimKind::User => "user",
        })
    }
}

/// Decoded claims of one of the three kinds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claims {
    /// An operator JWT.
    Operator(OperatorClaims),
    /// An account JWT.
    Account(AccountClaims),
    /// A user JWT.
    User(UserClaims),
}

impl Claims {
    /// The registered claims.
    pub fn data(&self) -> &ClaimsData {
        match self {
            Claims::Operator(c) => &c.claims,
            Claims::Account(c) => &c.claims,
            Claims::User(c) => &c.claims,
        }
    }

    /// Which kind.
    pub fn kind(&self) -> ClaimKind {
        match self {
            Claims::Operator(_) => ClaimKind::Operator,
            Claims::Account(_) => ClaimKind::Account,
            Claims::User(_) => ClaimKind::User,
        }
    }

    /// Reads the claims JSON of a `kind` JWT of `version` (1 or 2).
    pub(crate) fn from_json(
        kind: ClaimKind,
        version: u8,
        json: &[u8],
    ) -> serde_json::Result<Claims> {
        let mut data: ClaimsData = serde_json::from_slice(json)?;
        data.version = version;
        let v1 = version == 1;
        if !v1 {
            let env: Envelope<NatsTags> = serde_json::from_slice(json)?;
            data.tags = env.nats.unwrap_or_default().tags;
        }
        Ok(match kind {
            ClaimKind::Operator => {
                let env: Envelope<RawOperator> = serde_json::from_slice(json)?;
                let nats = env.nats.unwrap_or_default();
                if v1 {
                    data.tags = env.tags;
                }
                Claims::Operator(OperatorClaims {
                    claims: data,
                    signing_keys: nats.signing_keys,
                    account_server_url: nats.account_server_url,
                    operator_service_urls: nats.operator_service_urls,
                    system_account: nats.system_account,
                    // Fields v1 did not have.
                    assert_server_version: if v1 {
                        String::new()
                    } else {
                        nats.assert_server_version
                    },
                    strict_signing_key_usage: !v1 && nats.strict_signing_key_usage,
                })
            }
            ClaimKind::Account if v1 => {
                let env: Envelope<RawAccountV1> = serde_json::from_slice(json)?;
                let nats = env.nats.unwrap_or_default();
                data.tags = env.tags;
                let mut limits = nats.limits;
                limits.jetstream.clear();
                Claims::Account(AccountClaims {
                    claims: data,
                    imports: nats.imports,
                    exports: nats.exports,
                    limits,
                    signing_keys: nats.signing_keys,
                    revocations: nats.revocations,
                    ..AccountClaims::default()
                })
            }
            ClaimKind::Account => {
                let env: Envelope<RawAccountV2> = serde_json::from_slice(json)?;
                let nats = env.nats.unwrap_or_default();
                data.tags = nats.tags;
                Claims::Account(AccountClaims {
                    claims: data,
                    imports: nats.imports,
                    exports: nats.exports,
                    limits: nats.limits,
                    signing_keys: nats.signing_keys,
                    revocations: nats.revocations,
                    default_permissions: nats.default_permissions,
                    description: nats.description,
                })
            }
            ClaimKind::User => {
                let env: Envelope<RawUserLimits> = serde_json::from_slice(json)?;
                let mut nats = env.nats.unwrap_or_default();
                let issuer_account = if v1 {
                    // v1 kept these at the top level and had no connection types or
                    // proxy requirement; its unset limits are unlimited.
                    data.tags = env.tags;
                    nats.allowed_connection_types.clear();
                    nats.proxy_required = false;
                    env.issuer_account
                } else {
                    std::mem::take(&mut nats.issuer_account)
                };
                let unset = if v1 { NO_LIMIT } else { 0 };
                Claims::User(UserClaims {
                    claims: data,
                    issuer_account,
                    limits: nats.into_limits(unset),
                })
            }
        })
    }
}
