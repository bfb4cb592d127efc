//! The CONNECT decision for a user JWT (nats-server's `processClientOrLeafAuthentication`,
//! JWT branch), step by step: the user JWT itself, its account from the resolver, the chain
//! to a trusted operator, a scoped key's template, the connection's checks, and the grant.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use fastnats_proto::ConnectInfo;

use super::checks::{chain_refusal, check_connection};
use super::grant::{min_limit, permissions_of, JwtGrant};
use super::OperatorMode;
use crate::auth::{AuthMethod, CompiledPermissions, Identity};
use crate::jwt::{decode_user, expand_template, verify_user_chain, JwtError};
use crate::log::Level;

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

pub(super) fn deny(level: Level, text: impl Into<String>) -> JwtDecision {
    JwtDecision::Denied {
        level,
        text: text.into(),
    }
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

impl OperatorMode {
    /// Decides a CONNECT (see the module doc). `nonce` is the one sent in INFO; `websocket`
    /// whether the client came over WebSocket (for `allowed_connection_types`).
    pub fn authenticate(
        &self,
        connect: &ConnectInfo,
        nonce: Option<&str>,
        ip: IpAddr,
        websocket: bool,
    ) -> JwtDecision {
        let conn_type = if websocket { "WEBSOCKET" } else { "STANDARD" };
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
            Err(e) => return chain_refusal(e),
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
        let valid_for = match check_connection(
            limits,
            &verified.user.claims.sub,
            connect,
            nonce,
            (ip, conn_type),
        ) {
            Ok(v) => v,
            Err(refusal) => return refusal,
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
