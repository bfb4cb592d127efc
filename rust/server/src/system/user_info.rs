//! `$SYS.REQ.USER.INFO`: a client asks who it is. Every account imports it from the system
//! account (with the requester's details in `Nats-Request-Info`), where this handler
//! answers `{"server": ..., "data": {"user", "account", "account_name", "user_name",
//! "permissions"}}` (`user_name`: the user JWT's name, when there is one).

use std::sync::{Arc, Weak};

use serde::Serialize;

use crate::account::links::REQUEST_INFO_HEADER;
use crate::auth::SubjectPermission;
use crate::internal::{InternalBatch, InternalHandler};
use crate::shared::Shared;

/// The subject the handler subscribes to in the system account.
/// (Each account imports `$SYS.REQ.USER.INFO` as `$SYS.REQ.USER.<account>.INFO`.)
pub const SUBJECT: &str = "$SYS.REQ.USER.*.INFO";

/// Answers user info requests for the server `shared`.
pub struct UserInfoService(pub Weak<Shared>);

#[derive(Serialize)]
struct UserInfo {
    user: String,
    account: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    account_name: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    user_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    permissions: Option<PublicPermissions>,
}

/// The permissions as nats-server shows them: `publish` and `subscribe`, each
/// `{allow?, deny?}`.
#[derive(Serialize)]
struct PublicPermissions {
    publish: Side,
    subscribe: Side,
}

#[derive(Serialize, Default)]
struct Side {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    allow: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    deny: Vec<String>,
}

impl From<Option<&SubjectPermission>> for Side {
    fn from(p: Option<&SubjectPermission>) -> Self {
        p.map(|p| Side {
            allow: p.allow.clone(),
            deny: p.deny.clone(),
        })
        .unwrap_or_default()
    }
}

/// The `Nats-Request-Info` value in a header block.
fn request_info(headers: &[u8]) -> Option<serde_json::Value> {
    let key = REQUEST_INFO_HEADER.as_bytes();
    headers
        .split(|&b| b == b'\n')
        .find_map(|line| line.strip_prefix(key)?.strip_prefix(b":"))
        .and_then(|v| serde_json::from_slice(v.trim_ascii()).ok())
}

impl InternalHandler for UserInfoService {
    fn deliver(&self, batch: &InternalBatch) {
        let Some(shared) = self.0.upgrade() else {
            return;
        };
        let Some(system) = super::account(&shared) else {
            return;
        };
        for msg in batch.iter() {
            let (Some(reply), Some(headers)) = (msg.reply, msg.headers) else {
                continue;
            };
            // A request without the import's header did not come through an import: it
            // names no requester.
            let Some(info) = request_info(headers) else {
                continue;
            };
            let body = super::reply_json(&shared, &answer(&shared, &info));
            super::publish(&shared, &system, reply, &body);
        }
    }
}

fn answer(shared: &Shared, info: &serde_json::Value) -> UserInfo {
    let text = |key: &str| {
        info.get(key)
            .and_then(|v| v.as_str())
            .unwrap_or("")
            .to_string()
    };
    let account = text("acc");
    let conn = info
        .get("id")
        .and_then(serde_json::Value::as_u64)
        .and_then(|cid| shared.client(cid));
    let user_name = conn
        .as_ref()
        .map(|c| c.meta.lock().user_name.clone())
        .unwrap_or_default();
    let permissions = conn.and_then(|c| c.perms.read().clone()).map(
        |p: Arc<crate::auth::CompiledPermissions>| {
            let source = p.source();
            PublicPermissions {
                publish: source.publish.as_ref().into(),
                subscribe: source.subscribe.as_ref().into(),
            }
        },
    );
    // nats-server's `account_name` is the account's name tag (the account JWT's name).
    let account_name = shared
        .account(Some(&account))
        .map_or_else(|| account.clone(), |a| a.name_tag());
    UserInfo {
        user: text("user"),
        user_name,
        account_name,
        account,
        permissions,
    }
}
