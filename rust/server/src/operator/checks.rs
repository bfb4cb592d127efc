//! nats-server's refusals of a user JWT at CONNECT, with its log lines: the chain check's
//! (untrusted signer, expired account, bearer not allowed, revoked user), then the
//! connection's against the user's limits (connection type, nonce signature, `src`,
//! `times`). Kept apart from the decision's flow so each refusal and its text are in one
//! place.

use std::net::IpAddr;
use std::time::{Duration, SystemTime};

use fastnats_proto::ConnectInfo;

use super::authenticate::{deny, JwtDecision};
use crate::auth::verify_nkey;
use crate::jwt::{JwtError, TimeWindow, UserPermissionLimits};
use crate::log::Level;

/// The server's UTC offset; without a zone database, UTC.
const LOCAL_OFFSET: i32 = 0;

/// nats-server's line for a user JWT that [`crate::jwt::verify_user_chain`] refused.
pub(super) fn chain_refusal(e: JwtError) -> JwtDecision {
    let text = match e {
        JwtError::UntrustedAccount(_) => "Account JWT not signed by trusted operator".to_string(),
        JwtError::UnknownUserIssuer(_) => "User JWT issuer is not known".to_string(),
        JwtError::ScopedUserHasPermissions => format!("User JWT is not valid: {e}"),
        JwtError::AccountExpired => "Account JWT has expired".to_string(),
        JwtError::BearerNotAllowed => "Account does not allow bearer tokens".to_string(),
        JwtError::Revoked => "User authentication revoked".to_string(),
        other => format!("User JWT not valid: {other}"),
    };
    deny(Level::Debug, text)
}

/// The connection's checks of the user's `limits` (its scope's template, expanded, for a
/// scoped user), in nats-server's order. `user` is the user's public key, which signs the
/// INFO `nonce` unless the JWT is a bearer token; `conn_type` is the connection's type in
/// `allowed_connection_types` terms (`STANDARD`, `WEBSOCKET`). `Ok`: how long the `times`
/// window still runs (`None`: unrestricted).
pub(super) fn check_connection(
    limits: &UserPermissionLimits,
    user: &str,
    connect: &ConnectInfo,
    nonce: Option<&str>,
    (ip, conn_type): (IpAddr, &str),
) -> Result<Option<Duration>, JwtDecision> {
    let types = &limits.allowed_connection_types;
    if !types.is_empty() && !types.iter().any(|t| t.eq_ignore_ascii_case(conn_type)) {
        return Err(deny(Level::Debug, "Connection type not allowed"));
    }
    if !limits.bearer_token {
        let sig = connect.sig.as_deref().unwrap_or("");
        if sig.is_empty() {
            return Err(deny(Level::Debug, "Signature missing"));
        }
        if !verify_nkey(user, sig, nonce.unwrap_or("")) {
            return Err(deny(Level::Debug, "Signature not verified"));
        }
    }
    if !limits.check_src(ip) {
        return Err(deny(Level::Error, format!("Bad src Ip {ip}")));
    }
    match limits.check_times(SystemTime::now(), LOCAL_OFFSET) {
        Ok(TimeWindow::Outside) | Err(_) => Err(deny(Level::Error, "Outside connect times")),
        Ok(TimeWindow::Unrestricted) => Ok(None),
        Ok(TimeWindow::Inside { valid_for }) => Ok(Some(valid_for)),
    }
}
