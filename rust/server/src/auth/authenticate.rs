//! Deciding a CONNECT: who is this client, and with which permissions.
//!
//! Built-in methods follow nats-server's `processClientOrLeafAuthentication` for client
//! connections (no JWT):
//!
//! 1. auth not required → allowed, anonymous, unrestricted (credentials are ignored);
//! 2. nkey users configured and CONNECT has an `nkey` → that nkey user or nothing: the key
//!    must be configured, allow the connection's type and `sig` must verify against the
//!    nonce;
//! 3. else, `users` configured and the listener has `verify_and_map` → the user the TLS
//!    client certificate names ([`super::tlsmap`]) or nothing; the CONNECT's `user` is
//!    ignored, its `pass` must match the user's password (none for the usual
//!    certificate-only user). Without `verify_and_map`: with `no_auth_user` set and no `user`, `pass` or
//!    `auth_token` in CONNECT, the client becomes that user; a `user` must be configured and
//!    its password must match. Either way the user must allow the connection's type. No
//!    `user` falls through to 4/5;
//! 4. a token configured → `auth_token` must match;
//! 5. a single user configured → `user` must equal it and `pass` match;
//! 6. anything else is denied.
//!
//! The connection's type is a [`ConnectionType`] (`STANDARD`, `WEBSOCKET`, `LEAFNODE`); a
//! user or nkey entry whose `allowed_connection_types` is not empty and does not name it
//! is refused, as nats-server's `connectionTypeAllowed` does (the token and the single user
//! have no such list).
//!
//! A user without a password whom `verify_and_map` on a listener could select is a
//! certificate identity: it can not log in with its name alone on a listener without the
//! mapping (nats-server's `canTLSMap`), unless it is the `no_auth_user`.
//!
//! A custom [`Authenticator`] (the Python auth hook) replaces all of that when installed, as
//! nats-server's `CustomClientAuthentication` does: see [`Authorizer::authenticate_with`].
//!
//! Faithful oddity: for `no_auth_user`, nats-server copies the configured password into the
//! client's and compares them with bcrypt semantics, so a `no_auth_user` whose password is a
//! bcrypt hash can never connect without credentials (verified on nats-server 2.15.1). This
//! module does the same.
//!
//! bcrypt can take tens of milliseconds: run authentication on a blocking thread.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

use fastnats_proto::ConnectInfo;

use super::config::{
    non_empty, AuthConfig, AuthRuleError, ConnectionType, ConnectionTypes, NkeyUser, Permissions,
    User,
};
use super::nkey::verify_nkey;
use super::password::compare_password;
use super::permissions::CompiledPermissions;
use super::tlsmap::{map_user, CertNames};
use crate::account::Accounts;

/// How a client was authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMethod {
    /// No authentication configured.
    None,
    /// `token` (or `--auth`): shown as `[REDACTED]` in monitoring.
    Token,
    /// The single `user` / `password`.
    SingleUser,
    /// A `users` entry.
    User,
    /// A `users` entry taken for a client without credentials.
    NoAuthUser,
    /// A user public nkey that signed the nonce.
    Nkey,
    /// A custom [`Authenticator`].
    Custom,
    /// A user JWT (operator mode, [`crate::operator`]).
    Jwt,
}

/// Who the client is once authenticated.
#[derive(Debug, Clone)]
pub struct Identity {
    /// What nats-server reports as the authorized user (`/connz` `authorized_user`): the
    /// user name, or the public nkey for nkey users; `None` for token and anonymous clients.
    pub user: Option<String>,
    /// `None` means unrestricted.
    pub permissions: Option<Arc<CompiledPermissions>>,
    /// Which method admitted the client.
    pub method: AuthMethod,
    /// The account it joins; `None` is the global account `$G`.
    pub account: Option<String>,
}

impl Identity {
    /// An unrestricted client with no name (auth not required).
    pub fn anonymous() -> Self {
        Identity {
            user: None,
            permissions: None,
            method: AuthMethod::None,
            account: None,
        }
    }
}

/// The decision on one CONNECT.
#[derive(Debug, Clone)]
pub enum AuthOutcome {
    /// Admitted, as this identity.
    Allowed(Identity),
    /// Send `-ERR 'Authorization Violation'` and close.
    Denied,
}

impl AuthOutcome {
    /// Whether the client was admitted.
    pub fn is_allowed(&self) -> bool {
        matches!(self, AuthOutcome::Allowed(_))
    }
}

/// A custom authenticator: the Python auth hook implements it in the bindings. It gets the
/// whole request and its answer is final (the built-in methods are not consulted).
pub trait Authenticator: Send + Sync {
    /// Decides one CONNECT (called on a blocking thread, bounded by the auth timeout).
    fn authenticate(&self, req: &AuthRequest<'_>) -> AuthOutcome;
}

/// What an [`Authenticator`] sees of a connecting client.
#[derive(Debug, Clone, Copy)]
pub struct AuthRequest<'a> {
    /// The merged CONNECT options (credentials included: never log them).
    pub connect: &'a ConnectInfo,
    /// The nonce sent in INFO, if any.
    pub nonce: Option<&'a str>,
    /// The client's address.
    pub client_addr: SocketAddr,
    /// Whether CONNECT carries an `nkey` whose `sig` verifies against `nonce`.
    pub nkey_verified: bool,
    /// The TLS peer certificate's subject (RFC 2253), when the client sent one.
    pub tls_subject: Option<&'a str>,
    /// How the client connected (`STANDARD`, `WEBSOCKET`, `LEAFNODE`).
    pub conn_type: ConnectionType,
    /// The names of the TLS client certificate, for `verify_and_map` (see
    /// [`AuthRequest::with_cert`]).
    pub tls_cert: Option<&'a CertNames>,
}

impl<'a> AuthRequest<'a> {
    /// A request for `connect`, with `nkey_verified` computed here.
    pub fn new(
        connect: &'a ConnectInfo,
        nonce: Option<&'a str>,
        client_addr: SocketAddr,
        tls_subject: Option<&'a str>,
        conn_type: ConnectionType,
    ) -> Self {
        let nkey_verified = match (non_empty(&connect.nkey), non_empty(&connect.sig), nonce) {
            (Some(nkey), Some(sig), Some(nonce)) => verify_nkey(nkey, sig, nonce),
            _ => false,
        };
        AuthRequest {
            connect,
            nonce,
            client_addr,
            nkey_verified,
            tls_subject,
            conn_type,
            tls_cert: None,
        }
    }

    /// This request with the client certificate's names (what `verify_and_map` maps).
    pub fn with_cert(mut self, cert: Option<&'a CertNames>) -> Self {
        self.tls_cert = cert;
        self
    }
}

/// Which configured principal a CONNECT matched.
enum Decision {
    Anonymous,
    Denied,
    Token,
    SingleUser,
    /// Index into `users`, and whether it was the `no_auth_user` stand-in.
    User(usize, bool),
    /// Index into `nkeys`.
    Nkey(usize),
}

/// How [`decide`] finds entries: by name, and whether an entry (by index) allows the
/// connection's type.
struct Lookup<FU, FN, AU, AN> {
    find_user: FU,
    find_nkey: FN,
    user_allowed: AU,
    nkey_allowed: AN,
}

/// What `verify_and_map` means for one CONNECT.
#[derive(Clone, Copy)]
enum TlsMap<'a> {
    /// The listener maps certificates: the client's (if it sent one).
    On(Option<&'a CertNames>),
    /// It does not; `cert_only(i)`: `users` entry `i` is a certificate identity elsewhere.
    Off(&'a dyn Fn(usize) -> bool),
}

fn decide<FU, FN, AU, AN>(
    cfg: &AuthConfig,
    lookup: Lookup<FU, FN, AU, AN>,
    connect: &ConnectInfo,
    nonce: Option<&str>,
    tls_map: TlsMap<'_>,
) -> Decision
where
    FU: Fn(&str) -> Option<usize>,
    FN: Fn(&str) -> Option<usize>,
    AU: Fn(usize) -> bool,
    AN: Fn(usize) -> bool,
{
    let Lookup {
        find_user,
        find_nkey,
        user_allowed,
        nkey_allowed,
    } = lookup;
    if !cfg.required() {
        return Decision::Anonymous;
    }
    if !cfg.nkeys.is_empty() {
        if let Some(nkey) = non_empty(&connect.nkey) {
            let Some(i) = find_nkey(nkey).filter(|&i| nkey_allowed(i)) else {
                return Decision::Denied;
            };
            let sig = non_empty(&connect.sig).unwrap_or("");
            return match nonce {
                Some(nonce) if verify_nkey(nkey, sig, nonce) => Decision::Nkey(i),
                _ => Decision::Denied,
            };
        }
    }
    let client_user = non_empty(&connect.user);
    let client_pass = non_empty(&connect.pass);
    if !cfg.users.is_empty() {
        let cert_only = match tls_map {
            TlsMap::On(cert) => {
                let allowed = cfg
                    .users
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| user_allowed(*i));
                let found = cert.and_then(|c| {
                    map_user(
                        c,
                        |name| find_user(name).filter(|&i| user_allowed(i)),
                        allowed.map(|(i, u)| (i, u.user.as_str())),
                    )
                });
                return match found {
                    Some(i)
                        if compare_password(&cfg.users[i].password, client_pass.unwrap_or("")) =>
                    {
                        Decision::User(i, false)
                    }
                    _ => Decision::Denied,
                };
            }
            TlsMap::Off(cert_only) => cert_only,
        };
        let stand_in = match non_empty(&cfg.no_auth_user) {
            Some(nau)
                if client_user.is_none()
                    && client_pass.is_none()
                    && non_empty(&connect.auth_token).is_none() =>
            {
                find_user(nau)
            }
            _ => None,
        };
        if let Some(i) = stand_in {
            if !user_allowed(i) {
                return Decision::Denied;
            }
            // nats-server compares the stored password with itself (see the module docs).
            let stored = &cfg.users[i].password;
            return if compare_password(stored, stored) {
                Decision::User(i, true)
            } else {
                Decision::Denied
            };
        }
        if let Some(name) = client_user {
            return match find_user(name) {
                Some(i)
                    if user_allowed(i)
                        && !cert_only(i)
                        && compare_password(&cfg.users[i].password, client_pass.unwrap_or("")) =>
                {
                    Decision::User(i, false)
                }
                _ => Decision::Denied,
            };
        }
    }
    if let Some(token) = non_empty(&cfg.token) {
        return if compare_password(token, non_empty(&connect.auth_token).unwrap_or("")) {
            Decision::Token
        } else {
            Decision::Denied
        };
    }
    if let Some(user) = non_empty(&cfg.user) {
        let pass = non_empty(&cfg.password).unwrap_or("");
        return if client_user == Some(user) && compare_password(pass, client_pass.unwrap_or("")) {
            Decision::SingleUser
        } else {
            Decision::Denied
        };
    }
    Decision::Denied
}

/// Decides a CONNECT of a `conn_type` connection with the built-in methods of `cfg`,
/// compiling the matched user's permissions on the spot. Servers should build an
/// [`Authorizer`] once instead. Permissions or connection types that do not compile deny
/// (fail closed; [`AuthConfig::validate`] reports them).
pub fn authenticate(
    cfg: &AuthConfig,
    connect: &ConnectInfo,
    nonce: Option<&str>,
    conn_type: ConnectionType,
) -> AuthOutcome {
    let allows =
        |names: &[String]| ConnectionTypes::parse(names).is_ok_and(|types| types.allows(conn_type));
    let lookup = Lookup {
        find_user: |name: &str| cfg.users.iter().position(|u| u.user == name),
        find_nkey: |key: &str| cfg.nkeys.iter().position(|n| n.nkey == key),
        user_allowed: |i: usize| allows(&cfg.users[i].allowed_connection_types),
        nkey_allowed: |i: usize| allows(&cfg.nkeys[i].allowed_connection_types),
    };
    let decision = decide(cfg, lookup, connect, nonce, TlsMap::Off(&|_| false));
    let compile = |p: Option<&Permissions>| match p {
        None => Ok(None),
        Some(p) => CompiledPermissions::compile(p).map(|c| Some(Arc::new(c))),
    };
    let (user, perms, method) = match decision {
        Decision::Anonymous => return AuthOutcome::Allowed(Identity::anonymous()),
        Decision::Denied => return AuthOutcome::Denied,
        Decision::Token => (None, Ok(None), AuthMethod::Token),
        Decision::SingleUser => (cfg.user.clone(), Ok(None), AuthMethod::SingleUser),
        Decision::User(i, stand_in) => {
            let u = &cfg.users[i];
            let method = if stand_in {
                AuthMethod::NoAuthUser
            } else {
                AuthMethod::User
            };
            (
                Some(u.user.clone()),
                compile(cfg.effective(&u.permissions)),
                method,
            )
        }
        Decision::Nkey(i) => {
            let n = &cfg.nkeys[i];
            (
                Some(n.nkey.clone()),
                compile(cfg.effective(&n.permissions)),
                AuthMethod::Nkey,
            )
        }
    };
    match perms {
        Ok(permissions) => AuthOutcome::Allowed(Identity {
            user,
            permissions,
            method,
            account: None,
        }),
        Err(_) => AuthOutcome::Denied,
    }
}

/// A validated [`AuthConfig`] with every user's permissions compiled once: what the server
/// keeps (behind an `Arc`, swapped on reload) and asks on every CONNECT.
#[derive(Debug, Clone)]
pub struct Authorizer {
    /// The `authorization` users followed by the accounts' users.
    cfg: AuthConfig,
    /// Operator mode: user JWTs decide instead of the users above.
    operator: Option<Arc<crate::operator::OperatorMode>>,
    users: HashMap<String, usize>,
    nkeys: HashMap<String, usize>,
    user_perms: Vec<Option<Arc<CompiledPermissions>>>,
    nkey_perms: Vec<Option<Arc<CompiledPermissions>>>,
    /// The account of each `cfg.users` entry (`None`: `$G`).
    user_accounts: Vec<Option<String>>,
    /// The account of each `cfg.nkeys` entry (`None`: `$G`).
    nkey_accounts: Vec<Option<String>>,
    /// The `allowed_connection_types` of each `cfg.users` entry.
    user_types: Vec<ConnectionTypes>,
    /// The `allowed_connection_types` of each `cfg.nkeys` entry.
    nkey_types: Vec<ConnectionTypes>,
    /// `verify_and_map` on the client listener and on the WebSocket listener.
    tls_map: [bool; 2],
}

impl Authorizer {
    /// Validates `cfg` (the rules of [`AuthConfig::validate`]) and compiles its permissions,
    /// each once (a subject that does not parse is found here). Users
    /// sharing the default permissions share one compiled copy.
    pub fn new(cfg: &AuthConfig) -> Result<Self, AuthRuleError> {
        Self::with_accounts(cfg, &Accounts::new())
    }

    /// [`Authorizer::new`] for `cfg` and the users of `accounts`, who join their account
    /// and take its `default_permissions` (not those of `authorization`, as in nats-server).
    /// User names and nkeys are unique across both; a single user or a token can not be
    /// combined with account users.
    pub fn with_accounts(cfg: &AuthConfig, accounts: &Accounts) -> Result<Self, AuthRuleError> {
        let mut merged = cfg.clone();
        let mut user_accounts = vec![None; cfg.users.len()];
        let mut nkey_accounts = vec![None; cfg.nkeys.len()];
        for (name, acc) in accounts {
            let entries = &acc.users;
            if entries.users.is_empty() && entries.nkeys.is_empty() {
                continue;
            }
            if non_empty(&cfg.user).is_some() {
                return Err(AuthRuleError::UserAndAccounts);
            }
            if non_empty(&cfg.token).is_some() {
                return Err(AuthRuleError::TokenAndAccounts);
            }
            let own = |p: &Option<Permissions>| p.clone().or(acc.default_permissions.clone());
            for u in &entries.users {
                merged.users.push(User {
                    permissions: own(&u.permissions),
                    ..u.clone()
                });
                user_accounts.push(Some(name.clone()));
            }
            for n in &entries.nkeys {
                merged.nkeys.push(NkeyUser {
                    permissions: own(&n.permissions),
                    ..n.clone()
                });
                nkey_accounts.push(Some(name.clone()));
            }
        }
        merged.check_rules()?;
        let compile_one = |p: &Permissions| {
            CompiledPermissions::compile(p)
                .map(Arc::new)
                .map_err(AuthRuleError::Permission)
        };
        let default = merged
            .default_permissions
            .as_ref()
            .map(compile_one)
            .transpose()?;
        // The `authorization` defaults are for its own users; account users have theirs.
        let compile = |own: &Option<Permissions>, account: &Option<String>| {
            Ok::<_, AuthRuleError>(match own {
                Some(p) => Some(compile_one(p)?),
                None if account.is_none() => default.clone(),
                None => None,
            })
        };
        let user_perms = merged
            .users
            .iter()
            .zip(&user_accounts)
            .map(|(u, a)| compile(&u.permissions, a))
            .collect::<Result<Vec<_>, _>>()?;
        let nkey_perms = merged
            .nkeys
            .iter()
            .zip(&nkey_accounts)
            .map(|(n, a)| compile(&n.permissions, a))
            .collect::<Result<Vec<_>, _>>()?;
        let user_types = merged
            .users
            .iter()
            .map(|u| ConnectionTypes::parse(&u.allowed_connection_types))
            .collect::<Result<Vec<_>, _>>()?;
        let nkey_types = merged
            .nkeys
            .iter()
            .map(|n| ConnectionTypes::parse(&n.allowed_connection_types))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Authorizer {
            users: merged
                .users
                .iter()
                .enumerate()
                .map(|(i, u)| (u.user.clone(), i))
                .collect(),
            nkeys: merged
                .nkeys
                .iter()
                .enumerate()
                .map(|(i, n)| (n.nkey.clone(), i))
                .collect(),
            cfg: merged,
            operator: None,
            user_perms,
            nkey_perms,
            user_accounts,
            nkey_accounts,
            user_types,
            nkey_types,
            tls_map: [false; 2],
        })
    }

    /// Sets which listeners map client certificates to users (`verify_and_map` in the
    /// `tls` block of the client listener, and of the `websocket` block).
    pub fn set_tls_map(&mut self, client: bool, websocket: bool) {
        self.tls_map = [client, websocket];
    }

    /// Whether `conn_type` connections map certificates to users.
    fn maps(&self, conn_type: ConnectionType) -> bool {
        match conn_type {
            ConnectionType::Standard => self.tls_map[0],
            ConnectionType::Websocket => self.tls_map[1],
            _ => false,
        }
    }

    /// Whether `users` entry `i` is a certificate identity: no password, not the
    /// `no_auth_user`, and selectable by `verify_and_map` on some listener (nats-server's
    /// `canTLSMap`).
    fn cert_only(&self, i: usize) -> bool {
        let u = &self.cfg.users[i];
        u.password.is_empty()
            && non_empty(&self.cfg.no_auth_user) != Some(u.user.as_str())
            && [ConnectionType::Standard, ConnectionType::Websocket]
                .into_iter()
                .any(|t| self.maps(t) && self.user_types[i].allows(t))
    }

    /// The configuration this authorizer was compiled from.
    pub fn config(&self) -> &AuthConfig {
        &self.cfg
    }

    /// [`AuthConfig::required`], or operator mode.
    pub fn required(&self) -> bool {
        self.cfg.required() || self.operator.is_some()
    }

    /// This authorizer for clients of a listener with credentials of its own (the
    /// `websocket` block): `credentials` (token, user, password, `no_auth_user`) replace the
    /// single user, the token and the `no_auth_user` (the users list stays), and `timeout`
    /// the auth timeout, as nats-server's override does.
    pub fn with_override(
        &self,
        credentials: Option<[Option<String>; 4]>,
        timeout: Option<std::time::Duration>,
    ) -> Authorizer {
        let mut a = self.clone();
        if let Some([token, user, password, no_auth_user]) = credentials {
            a.cfg.token = token;
            a.cfg.user = user;
            a.cfg.password = password;
            a.cfg.no_auth_user = no_auth_user;
        }
        if let Some(t) = timeout {
            a.cfg.timeout = t;
        }
        a
    }

    /// Operator mode, when configured.
    pub fn operator(&self) -> Option<&Arc<crate::operator::OperatorMode>> {
        self.operator.as_ref()
    }

    /// Installs operator mode (see [`crate::Config::compile`]).
    pub(crate) fn set_operator(&mut self, op: Option<Arc<crate::operator::OperatorMode>>) {
        self.operator = op;
    }

    /// Decides a CONNECT of a `conn_type` connection with the built-in methods (see the
    /// module docs).
    pub fn authenticate(
        &self,
        connect: &ConnectInfo,
        nonce: Option<&str>,
        conn_type: ConnectionType,
    ) -> AuthOutcome {
        self.authenticate_cert(connect, nonce, conn_type, None)
    }

    /// [`Authorizer::authenticate`] for a client that presented a TLS certificate with
    /// these names (`verify_and_map` maps them to a user).
    pub fn authenticate_cert(
        &self,
        connect: &ConnectInfo,
        nonce: Option<&str>,
        conn_type: ConnectionType,
        cert: Option<&CertNames>,
    ) -> AuthOutcome {
        let cert_only = |i: usize| self.cert_only(i);
        let tls_map = if self.maps(conn_type) {
            TlsMap::On(cert)
        } else {
            TlsMap::Off(&cert_only)
        };
        let lookup = Lookup {
            find_user: |name: &str| self.users.get(name).copied(),
            find_nkey: |key: &str| self.nkeys.get(key).copied(),
            user_allowed: |i: usize| self.user_types[i].allows(conn_type),
            nkey_allowed: |i: usize| self.nkey_types[i].allows(conn_type),
        };
        let decision = decide(&self.cfg, lookup, connect, nonce, tls_map);
        match decision {
            Decision::Anonymous => AuthOutcome::Allowed(Identity::anonymous()),
            Decision::Denied => AuthOutcome::Denied,
            Decision::Token => AuthOutcome::Allowed(Identity {
                user: None,
                permissions: None,
                method: AuthMethod::Token,
                account: None,
            }),
            Decision::SingleUser => AuthOutcome::Allowed(Identity {
                user: self.cfg.user.clone(),
                permissions: None,
                method: AuthMethod::SingleUser,
                account: None,
            }),
            Decision::User(i, stand_in) => AuthOutcome::Allowed(self.user_identity(i, stand_in)),
            Decision::Nkey(i) => AuthOutcome::Allowed(self.nkey_identity(i)),
        }
    }

    /// With a custom authenticator installed, its answer; otherwise the built-in methods.
    /// (nats-server: a custom authenticator replaces the built-in checks.)
    pub fn authenticate_with(
        &self,
        custom: Option<&dyn Authenticator>,
        req: &AuthRequest<'_>,
    ) -> AuthOutcome {
        match custom {
            Some(a) => a.authenticate(req),
            None => self.authenticate_cert(req.connect, req.nonce, req.conn_type, req.tls_cert),
        }
    }

    /// The identity of the `no_auth_user`, for a `conn_type` connection whose first op is
    /// not CONNECT: nats-server then registers it as that user instead of refusing it (handy
    /// for telnet). `None` if no `no_auth_user` is configured, or if its
    /// `allowed_connection_types` leave out `conn_type`.
    pub fn no_auth_identity(&self, conn_type: ConnectionType) -> Option<Identity> {
        let name = non_empty(&self.cfg.no_auth_user)?;
        let i = *self.users.get(name)?;
        self.user_types[i]
            .allows(conn_type)
            .then(|| self.user_identity(i, true))
    }

    /// A configured user by name (a `users` entry, an nkey, or the single `user`), without
    /// its credentials: whom the embedding application acts as when it names a user for an
    /// in-process publish or subscription. `None` if no such user is configured.
    pub fn configured_user(&self, name: &str) -> Option<Identity> {
        if let Some(&i) = self.users.get(name) {
            return Some(self.user_identity(i, false));
        }
        if let Some(&i) = self.nkeys.get(name) {
            return Some(self.nkey_identity(i));
        }
        (non_empty(&self.cfg.user) == Some(name)).then(|| Identity {
            user: Some(name.to_string()),
            permissions: None,
            method: AuthMethod::SingleUser,
            account: None,
        })
    }

    fn nkey_identity(&self, i: usize) -> Identity {
        Identity {
            user: Some(self.cfg.nkeys[i].nkey.clone()),
            permissions: self.nkey_perms[i].clone(),
            method: AuthMethod::Nkey,
            account: self.nkey_accounts[i].clone(),
        }
    }

    fn user_identity(&self, i: usize, stand_in: bool) -> Identity {
        Identity {
            user: Some(self.cfg.users[i].user.clone()),
            permissions: self.user_perms[i].clone(),
            method: if stand_in {
                AuthMethod::NoAuthUser
            } else {
                AuthMethod::User
            },
            account: self.user_accounts[i].clone(),
        }
    }
}
