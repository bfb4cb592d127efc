//! The authentication and authorization configuration: what nats-server's `authorization { }`
//! block, `no_auth_user` and the `--auth` / `--user` / `--pass` flags describe.
//!
//! These are plain values (the config loader builds them); [`AuthConfig::validate`] applies
//! nats-server's consistency rules with its error texts, and [`crate::auth::Authorizer::new`]
//! compiles them for use. An empty string counts as absent everywhere, as it does in
//! nats-server's options.
//!
//! They cross serialization in nats-server's forms (see [`super::forms`], where they are read
//! and where unknown keys are refused).
//!
//! `Debug` never prints a token or a password: configs end up in logs.

use std::collections::HashSet;
use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::nkey;
use super::permissions::CompiledPermissions;

/// nats-server's `AUTH_TIMEOUT`: how long a client has to send a valid CONNECT.
pub const DEFAULT_AUTH_TIMEOUT: Duration = Duration::from_secs(2);
/// nats-server's `DEFAULT_ALLOW_RESPONSE_MAX_MSGS`.
pub const DEFAULT_ALLOW_RESPONSE_MAX_MSGS: usize = 1;
/// nats-server's `DEFAULT_ALLOW_RESPONSE_EXPIRATION`.
pub const DEFAULT_ALLOW_RESPONSE_EXPIRATION: Duration = Duration::from_secs(120);

/// A rule of nats-server's for `authorization` that a config breaks; `Display` is
/// nats-server's text, which tests compare byte for byte.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthRuleError {
    #[error("Cannot have a user/pass and token")]
    /// A token next to a user or password.
    UserAndToken,
    #[error("Can not have a single user/pass and a users array")]
    /// A single user next to a `users` array.
    UserAndUsers,
    #[error("Can not have a single user/pass and accounts")]
    /// A single user next to users in `accounts`.
    UserAndAccounts,
    #[error("Can not have a token and accounts")]
    /// A token next to users in `accounts`.
    TokenAndAccounts,
    #[error("Can not have a token and a users array")]
    /// A token next to a `users` array.
    TokenAndUsers,
    /// A `users` entry without a name (or an nkey entry without a key).
    #[error("User entry requires a user")]
    MissingUser,
    #[error("Duplicate user {0:?} detected")]
    /// Two `users` entries with one name.
    DuplicateUser(String),
    #[error("Duplicate nkey {0:?} detected")]
    /// Two `users` entries with one nkey.
    DuplicateNkey(String),
    /// The key is not a user public nkey (another kind of key, or not a key).
    #[error("Not a valid public nkey for a user")]
    InvalidNkey(String),
    #[error("no_auth_user: {0:?} present, but users are not defined")]
    /// `no_auth_user` without any `users` entries.
    NoAuthUserWithoutUsers(String),
    #[error(
        "no_auth_user: {0:?} not present as user in authorization block or account configuration"
    )]
    /// `no_auth_user` naming no configured user.
    NoAuthUserUnknown(String),
    /// A permission subject that does not parse (`subject "a..b" is not a valid subject`).
    #[error("{0}")]
    Permission(String),
    /// An `allowed_connection_types` entry that names no connection type (nats-server's
    /// text for options given directly; a config file's is the loader's).
    #[error("unknown connection type {0:?}")]
    UnknownConnectionType(String),
}

/// A connection's type in `allowed_connection_types` terms (nats-server's
/// `jwt.ConnectionType*`). fastnats accepts clients over TCP ([`ConnectionType::Standard`])
/// and WebSocket ([`ConnectionType::Websocket`]) and leaf nodes over TCP
/// ([`ConnectionType::Leafnode`]); the other names are accepted in a configuration, as
/// nats-server accepts them, and simply never match a connection here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ConnectionType {
    /// `STANDARD`: a client over TCP.
    Standard,
    /// `WEBSOCKET`: a client over WebSocket.
    Websocket,
    /// `LEAFNODE`: a leaf node over TCP.
    Leafnode,
    /// `LEAFNODE_WS`: a leaf node over WebSocket.
    LeafnodeWs,
    /// `MQTT`: an MQTT client.
    Mqtt,
    /// `MQTT_WS`: an MQTT client over WebSocket.
    MqttWs,
    /// `IN_PROCESS`: an in-process client.
    InProcess,
}

impl ConnectionType {
    /// Every type, in nats-server's order.
    pub const ALL: [ConnectionType; 7] = [
        ConnectionType::Standard,
        ConnectionType::Websocket,
        ConnectionType::Leafnode,
        ConnectionType::LeafnodeWs,
        ConnectionType::Mqtt,
        ConnectionType::MqttWs,
        ConnectionType::InProcess,
    ];

    /// The type of a client connection: `WEBSOCKET` when it came over WebSocket, else
    /// `STANDARD`.
    pub fn client(websocket: bool) -> Self {
        if websocket {
            ConnectionType::Websocket
        } else {
            ConnectionType::Standard
        }
    }

    /// The name as configurations and JWTs write it (`STANDARD`, `LEAFNODE_WS`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            ConnectionType::Standard => "STANDARD",
            ConnectionType::Websocket => "WEBSOCKET",
            ConnectionType::Leafnode => "LEAFNODE",
            ConnectionType::LeafnodeWs => "LEAFNODE_WS",
            ConnectionType::Mqtt => "MQTT",
            ConnectionType::MqttWs => "MQTT_WS",
            ConnectionType::InProcess => "IN_PROCESS",
        }
    }

    /// A name in any case (nats-server upper-cases them); `None` for an unknown name.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|t| t.as_str().eq_ignore_ascii_case(name))
    }

    fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

impl fmt::Display for ConnectionType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A compiled `allowed_connection_types` list: one bit per type, `0` (an empty list) meaning
/// every type, so a user without the option costs one comparison.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct ConnectionTypes(u8);

impl ConnectionTypes {
    /// The list's types; the first unknown name is the error.
    pub(crate) fn parse(names: &[String]) -> Result<Self, AuthRuleError> {
        names.iter().try_fold(ConnectionTypes(0), |acc, name| {
            ConnectionType::parse(name)
                .map(|t| ConnectionTypes(acc.0 | t.bit()))
                .ok_or_else(|| AuthRuleError::UnknownConnectionType(name.clone()))
        })
    }

    /// Whether a connection of type `t` may use the entry (an empty list allows all).
    #[inline]
    pub(crate) fn allows(self, t: ConnectionType) -> bool {
        self.0 == 0 || self.0 & t.bit() != 0
    }
}

/// Shown instead of a secret by the `Debug` impls.
const REDACTED: &str = "[REDACTED]";

/// Client authentication and authorization settings. `Default` is "no authentication".
///
/// Read from the `authorization` option (`{token, user, password, users, no_auth_user,
/// timeout, default_permissions}`; `users` holds both kinds of entries); `Serialize` is in
/// `auth/forms.rs`.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(from = "super::forms::AuthConfigForm")]
pub struct AuthConfig {
    /// `authorization { token }` / `--auth`: plain, or a bcrypt hash.
    pub token: Option<String>,
    /// `authorization { user }` / `--user`: the single user.
    pub user: Option<String>,
    /// `authorization { password }` / `--pass`: plain, or a bcrypt hash.
    pub password: Option<String>,
    /// `authorization { users: [{user, password, permissions}] }`.
    pub users: Vec<User>,
    /// `authorization { users: [{nkey, permissions}] }`: the entries with an `nkey`.
    pub nkeys: Vec<NkeyUser>,
    /// `no_auth_user`: a connection that presents no credentials becomes this user.
    pub no_auth_user: Option<String>,
    /// `authorization { timeout }`: time allowed between accept and a valid CONNECT.
    pub timeout: Duration,
    /// `authorization { default_permissions }`: for `users` and `nkeys` entries without
    /// their own permissions (not for the token or the single user, as in nats-server).
    pub default_permissions: Option<Permissions>,
}

impl Default for AuthConfig {
    fn default() -> Self {
        AuthConfig {
            token: None,
            user: None,
            password: None,
            users: Vec::new(),
            nkeys: Vec::new(),
            no_auth_user: None,
            timeout: DEFAULT_AUTH_TIMEOUT,
            default_permissions: None,
        }
    }
}

/// One `users` entry with a name and a password.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct User {
    /// The user name (CONNECT `user`).
    pub user: String,
    /// Plain, or a bcrypt hash (`$2a$`, `$2b$`, `$2x$`, `$2y$` + two-digit cost).
    #[serde(alias = "pass")]
    pub password: String,
    /// `None` means the config's `default_permissions`, if any, else unrestricted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permissions: Option<Permissions>,
    /// `allowed_connection_types`: the [`ConnectionType`] names (any case) this user may
    /// connect as; empty allows every type.
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "super::forms::string_or_list"
    )]
    pub allowed_connection_types: Vec<String>,
}

/// One `users` entry with an `nkey` (a user public key, `U...`, 56 characters).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NkeyUser {
    /// The user's public nkey (`U...`, 56 characters).
    pub nkey: String,
    /// `None` means the config's `default_permissions`, if any, else unrestricted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permissions: Option<Permissions>,
    /// `allowed_connection_types`, as for [`User`].
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "super::forms::string_or_list"
    )]
    pub allowed_connection_types: Vec<String>,
}

/// `permissions { publish, subscribe, allow_responses }`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Permissions {
    #[serde(skip_serializing_if = "Option::is_none")]
    /// Subjects the user may publish to.
    pub publish: Option<SubjectPermission>,
    /// Entries may be `"subject queue"`: that entry then applies to queue subscriptions
    /// in a matching queue group only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subscribe: Option<SubjectPermission>,
    /// `allow_responses`: publishing to the reply subject of a message this user received
    /// is allowed even where `publish` is not. Setting it with no `publish.allow` entries
    /// makes everything else unpublishable (nats-server turns off the blanket allow).
    #[serde(
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::forms::allow_responses"
    )]
    pub allow_responses: Option<ResponsePermission>,
}

/// `{allow: [...], deny: [...]}`; a bare string or list in a config means allow-only.
/// An empty `allow` means "no allow list" (everything not denied is allowed).
/// `Deserialize` (all of nats-server's forms) is in `auth/forms.rs`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SubjectPermission {
    /// Subjects allowed (empty: everything not denied).
    pub allow: Vec<String>,
    /// Subjects denied, even where an allow entry matches.
    pub deny: Vec<String>,
}

/// `allow_responses: true | {max, expires}`.
///
/// Here `max == 0` means "no limit" and `expires == 0` means "never expires". The config
/// layer maps nats-server's values with [`ResponsePermission::from_config`]: there, `0`
/// means the default and a negative number means unlimited. It crosses serialization in
/// nats-server's terms (`{max, expires}`, `-1` for "no limit"), so a serialized config
/// reads back the same.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(
    from = "super::forms::ResponseForm",
    into = "super::forms::ResponseForm"
)]
pub struct ResponsePermission {
    /// Responses allowed per received reply subject.
    pub max: usize,
    /// How long after delivery a reply subject may be answered.
    pub expires: Duration,
}

impl Default for ResponsePermission {
    /// `allow_responses: true`: one response within two minutes.
    fn default() -> Self {
        ResponsePermission {
            max: DEFAULT_ALLOW_RESPONSE_MAX_MSGS,
            expires: DEFAULT_ALLOW_RESPONSE_EXPIRATION,
        }
    }
}

impl ResponsePermission {
    /// From nats-server's config values: `max` (0 = default 1, negative = unlimited) and
    /// `expires` in nanoseconds (0 = default 2 min, negative = never).
    pub fn from_config(max: i64, expires_nanos: i64) -> Self {
        let d = ResponsePermission::default();
        let max = match max {
            0 => d.max,
            m if m < 0 => 0,
            m => usize::try_from(m).unwrap_or(usize::MAX),
        };
        let expires = match expires_nanos {
            0 => d.expires,
            e if e < 0 => Duration::ZERO,
            e => Duration::from_nanos(e.unsigned_abs()),
        };
        ResponsePermission { max, expires }
    }
}

/// `Some("")` counts as absent, as an empty Go string does.
pub(crate) fn non_empty(s: &Option<String>) -> Option<&str> {
    s.as_deref().filter(|s| !s.is_empty())
}

impl AuthConfig {
    /// Whether any client authentication is configured: clients must authenticate, the auth
    /// timer runs and the first op must be CONNECT (nats-server's `info.AuthRequired`, kept
    /// true internally even when `no_auth_user` hides it from INFO).
    ///
    /// As in nats-server a password without a user does not count. A custom authenticator
    /// (the Python auth hook) also makes authentication required: the caller ORs it in.
    pub fn required(&self) -> bool {
        !self.users.is_empty()
            || !self.nkeys.is_empty()
            || non_empty(&self.user).is_some()
            || non_empty(&self.token).is_some()
    }

    /// `auth_required` as advertised in INFO: nats-server forces it to false when a
    /// `no_auth_user` is set (clients without credentials are then welcome), while still
    /// treating authentication as required internally (see [`AuthConfig::required`]).
    pub fn advertise_auth_required(&self) -> bool {
        self.required() && non_empty(&self.no_auth_user).is_none()
    }

    /// Whether INFO must carry a `nonce` for clients to sign: nkey users are configured.
    /// (A custom authenticator that wants verified nkeys also needs one; the caller decides.)
    pub fn needs_nonce(&self) -> bool {
        !self.nkeys.is_empty()
    }

    /// Checks the rules nats-server enforces when it loads a config, with its error texts:
    /// token vs single user vs users array (an `nkey` entry is part of the users array in a
    /// config file, so it conflicts too), duplicate entries, user entries without a name,
    /// nkeys that are not user public keys, unknown `allowed_connection_types`,
    /// `no_auth_user` naming a configured user, and permission subjects that do not parse. ([`crate::auth::Authorizer::new`] checks the
    /// same while compiling the permissions once.)
    pub fn validate(&self) -> Result<(), AuthRuleError> {
        self.check_rules()?;
        let all_perms = self
            .users
            .iter()
            .filter_map(|u| u.permissions.as_ref())
            .chain(self.nkeys.iter().filter_map(|n| n.permissions.as_ref()))
            .chain(self.default_permissions.as_ref());
        for p in all_perms {
            CompiledPermissions::compile(p).map_err(AuthRuleError::Permission)?;
        }
        Ok(())
    }

    /// [`AuthConfig::validate`] without the permission subjects.
    pub(crate) fn check_rules(&self) -> Result<(), AuthRuleError> {
        let has_token = non_empty(&self.token).is_some();
        let has_user = non_empty(&self.user).is_some();
        let has_pass = non_empty(&self.password).is_some();
        let has_array = !self.users.is_empty() || !self.nkeys.is_empty();
        if (has_user || has_pass) && has_token {
            return Err(AuthRuleError::UserAndToken);
        }
        if has_user && has_array {
            return Err(AuthRuleError::UserAndUsers);
        }
        if has_token && has_array {
            return Err(AuthRuleError::TokenAndUsers);
        }
        let mut names = HashSet::new();
        for u in &self.users {
            if u.user.is_empty() {
                return Err(AuthRuleError::MissingUser);
            }
            ConnectionTypes::parse(&u.allowed_connection_types)?;
            if !names.insert(u.user.as_str()) {
                return Err(AuthRuleError::DuplicateUser(u.user.clone()));
            }
        }
        let mut keys = HashSet::new();
        for n in &self.nkeys {
            if n.nkey.is_empty() {
                return Err(AuthRuleError::MissingUser);
            }
            ConnectionTypes::parse(&n.allowed_connection_types)?;
            if !keys.insert(n.nkey.as_str()) {
                return Err(AuthRuleError::DuplicateNkey(n.nkey.clone()));
            }
            if !nkey::is_valid_user_public_key(&n.nkey) {
                return Err(AuthRuleError::InvalidNkey(n.nkey.clone()));
            }
        }
        if let Some(nau) = non_empty(&self.no_auth_user) {
            if self.users.is_empty() {
                return Err(AuthRuleError::NoAuthUserWithoutUsers(nau.to_string()));
            }
            if !self.users.iter().any(|u| u.user == nau) {
                return Err(AuthRuleError::NoAuthUserUnknown(nau.to_string()));
            }
        }
        Ok(())
    }

    /// The permissions that apply to `users` / `nkeys` entry `own`: its own, else the
    /// defaults.
    pub(crate) fn effective<'a>(&'a self, own: &'a Option<Permissions>) -> Option<&'a Permissions> {
        own.as_ref().or(self.default_permissions.as_ref())
    }
}

/// Writes `Some("[REDACTED]")` for a present secret.
fn redact(s: &Option<String>) -> Option<&'static str> {
    s.as_ref().map(|_| REDACTED)
}

impl fmt::Debug for AuthConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthConfig")
            .field("token", &redact(&self.token))
            .field("user", &self.user)
            .field("password", &redact(&self.password))
            .field("users", &self.users)
            .field("nkeys", &self.nkeys)
            .field("no_auth_user", &self.no_auth_user)
            .field("timeout", &self.timeout)
            .field("default_permissions", &self.default_permissions)
            .finish()
    }
}

impl fmt::Debug for User {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("User")
            .field("user", &self.user)
            .field("password", &REDACTED)
            .field("permissions", &self.permissions)
            .field("allowed_connection_types", &self.allowed_connection_types)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NKEY: &str = "UB43KVROR7TFJ6KAPCYRF2FJROTZAH4FHLTJLPWX4DRZCC5NASLGJBFE";

    fn user(name: &str, pass: &str) -> User {
        User {
            user: name.into(),
            password: pass.into(),
            permissions: None,
            allowed_connection_types: Vec::new(),
        }
    }

    #[test]
    fn default_is_no_auth() {
        let c = AuthConfig::default();
        assert!(!c.required() && !c.advertise_auth_required() && !c.needs_nonce());
        assert_eq!(c.timeout, Duration::from_secs(2));
        assert!(c.validate().is_ok());
    }

    #[test]
    fn required_per_method() {
        let tok = AuthConfig {
            token: Some("t".into()),
            ..Default::default()
        };
        assert!(tok.required() && tok.advertise_auth_required() && !tok.needs_nonce());
        let single = AuthConfig {
            user: Some("u".into()),
            password: Some("p".into()),
            ..Default::default()
        };
        assert!(single.required());
        // A password alone does not turn auth on (nats-server checks the user name only).
        let pass_only = AuthConfig {
            password: Some("p".into()),
            ..Default::default()
        };
        assert!(!pass_only.required());
        let empty_token = AuthConfig {
            token: Some(String::new()),
            ..Default::default()
        };
        assert!(!empty_token.required());
        let nk = AuthConfig {
            nkeys: vec![NkeyUser {
                nkey: NKEY.into(),
                permissions: None,
                allowed_connection_types: Vec::new(),
            }],
            ..Default::default()
        };
        assert!(nk.required() && nk.needs_nonce());
    }

    #[test]
    fn no_auth_user_hides_auth_required_in_info() {
        let c = AuthConfig {
            users: vec![user("anon", "x")],
            no_auth_user: Some("anon".into()),
            ..Default::default()
        };
        assert!(c.required());
        assert!(!c.advertise_auth_required());
        assert!(c.validate().is_ok());
    }

    #[test]
    fn validate_conflicts_use_nats_server_texts() {
        let c = AuthConfig {
            token: Some("t".into()),
            user: Some("u".into()),
            ..Default::default()
        };
        assert_eq!(
            c.validate().unwrap_err().to_string(),
            "Cannot have a user/pass and token"
        );
        let c = AuthConfig {
            token: Some("t".into()),
            password: Some("p".into()),
            ..Default::default()
        };
        assert_eq!(
            c.validate().unwrap_err().to_string(),
            "Cannot have a user/pass and token"
        );
        let c = AuthConfig {
            user: Some("u".into()),
            users: vec![user("a", "b")],
            ..Default::default()
        };
        assert_eq!(
            c.validate().unwrap_err().to_string(),
            "Can not have a single user/pass and a users array"
        );
        let c = AuthConfig {
            token: Some("t".into()),
            users: vec![user("a", "b")],
            ..Default::default()
        };
        assert_eq!(
            c.validate().unwrap_err().to_string(),
            "Can not have a token and a users array"
        );
        // nkey entries live in the users array of a config file: nats-server 2.15 refuses
        // `token` next to a users array holding only nkeys.
        let c = AuthConfig {
            token: Some("t".into()),
            nkeys: vec![NkeyUser {
                nkey: NKEY.into(),
                permissions: None,
                allowed_connection_types: Vec::new(),
            }],
            ..Default::default()
        };
        assert_eq!(
            c.validate().unwrap_err().to_string(),
            "Can not have a token and a users array"
        );
    }

    #[test]
    fn validate_entries() {
        let c = AuthConfig {
            users: vec![user("a", "1"), user("a", "2")],
            ..Default::default()
        };
        assert_eq!(
            c.validate().unwrap_err().to_string(),
            "Duplicate user \"a\" detected"
        );
        let c = AuthConfig {
            users: vec![user("", "1")],
            ..Default::default()
        };
        assert_eq!(
            c.validate().unwrap_err().to_string(),
            "User entry requires a user"
        );
        let nk = |k: &str| NkeyUser {
            nkey: k.into(),
            permissions: None,
            allowed_connection_types: Vec::new(),
        };
        let c = AuthConfig {
            nkeys: vec![nk(NKEY), nk(NKEY)],
            ..Default::default()
        };
        assert_eq!(
            c.validate().unwrap_err().to_string(),
            format!("Duplicate nkey {NKEY:?} detected")
        );
        // An account key (prefix 'A') is not a user key; a flipped character breaks the CRC.
        let account = "AB43KVROR7TFJ6KAPCYRF2FJROTZAH4FHLTJLPWX4DRZCC5NASLGIFW3";
        for bad in [
            account,
            "UB43KVROR7TFJ6KAPCYRF2FJROTZAH4FHLTJLPWX4DRZCC5NASLGJBFF",
            "Ufoo",
        ] {
            let c = AuthConfig {
                nkeys: vec![nk(bad)],
                ..Default::default()
            };
            assert_eq!(
                c.validate().unwrap_err().to_string(),
                "Not a valid public nkey for a user",
                "{bad}"
            );
        }
    }

    #[test]
    fn validate_no_auth_user() {
        let c = AuthConfig {
            token: Some("t".into()),
            no_auth_user: Some("x".into()),
            ..Default::default()
        };
        assert_eq!(
            c.validate().unwrap_err().to_string(),
            "no_auth_user: \"x\" present, but users are not defined"
        );
        let c = AuthConfig {
            users: vec![user("a", "b")],
            no_auth_user: Some("x".into()),
            ..Default::default()
        };
        assert_eq!(
            c.validate().unwrap_err().to_string(),
            "no_auth_user: \"x\" not present as user in authorization block or account configuration"
        );
    }

    #[test]
    fn validate_compiles_permissions() {
        let bad = Permissions {
            publish: Some(SubjectPermission {
                allow: vec!["a..b".into()],
                deny: vec![],
            }),
            ..Default::default()
        };
        let c = AuthConfig {
            users: vec![User {
                permissions: Some(bad.clone()),
                ..user("a", "b")
            }],
            ..Default::default()
        };
        assert_eq!(
            c.validate().unwrap_err().to_string(),
            "subject \"a..b\" is not a valid subject"
        );
        let c = AuthConfig {
            users: vec![user("a", "b")],
            default_permissions: Some(bad),
            ..Default::default()
        };
        assert!(c.validate().is_err());
    }

    #[test]
    fn debug_redacts_secrets() {
        let c = AuthConfig {
            token: Some("tok-secret".into()),
            users: vec![user("alice", "pw-secret")],
            ..Default::default()
        };
        let s = format!("{c:?}");
        assert!(!s.contains("tok-secret") && !s.contains("pw-secret"), "{s}");
        assert!(s.contains("alice") && s.contains(REDACTED));
        let single = AuthConfig {
            user: Some("bob".into()),
            password: Some("pw2-secret".into()),
            ..Default::default()
        };
        assert!(!format!("{single:?}").contains("pw2-secret"));
    }

    #[test]
    fn response_permission_from_config() {
        let d = ResponsePermission::default();
        assert_eq!((d.max, d.expires), (1, Duration::from_secs(120)));
        assert_eq!(ResponsePermission::from_config(0, 0), d);
        let r = ResponsePermission::from_config(-1, -1);
        assert_eq!((r.max, r.expires), (0, Duration::ZERO));
        let r = ResponsePermission::from_config(5, 1_000_000_000);
        assert_eq!((r.max, r.expires), (5, Duration::from_secs(1)));
    }
}
