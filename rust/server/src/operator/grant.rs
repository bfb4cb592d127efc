//! What an admitted user JWT gives its connection: nats-server's `buildPermissionsFromJwt`
//! and the limits of user and account combined (`minLimit`), gathered in a [`JwtGrant`] the
//! reader applies to the connection.

use std::time::Duration;

use crate::auth::{Identity, Permissions, ResponsePermission, SubjectPermission};
use crate::jwt::NO_LIMIT;

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

/// nats-server's `minLimit` of two limits where -1 is none.
pub(super) fn min_limit(a: i64, b: i64) -> i64 {
    match (a, b) {
        (NO_LIMIT, b) => b,
        (a, NO_LIMIT) => a,
        (a, b) => a.min(b),
    }
}

/// nats-server's `buildPermissionsFromJwt`: `None` when nothing is set.
pub(super) fn permissions_of(p: &crate::jwt::Permissions) -> Option<Permissions> {
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
}
