//! The service imports every account gets from the system account, as nats-server's
//! `registerSystemImports` adds them: an account's clients reach the system's per-account
//! services on fixed subjects, and only their own account's data comes back.

use crate::account::mapping::SubjectMap;
use crate::account::{ResponseType, ServiceImportPlan, DEFAULT_RESPONSE_THRESHOLD};

/// `(subject in the account, subject in the system account with `{}` for the account,
/// response type, whether the requester's details go along)`.
const IMPORTS: [(&str, &str, ResponseType, bool); 4] = [
    (
        "$SYS.REQ.ACCOUNT.PING.CONNZ",
        "$SYS.REQ.ACCOUNT.{}.CONNZ",
        ResponseType::Stream,
        false,
    ),
    (
        "$SYS.REQ.SERVER.PING.CONNZ",
        "$SYS.REQ.ACCOUNT.{}.CONNZ",
        ResponseType::Stream,
        false,
    ),
    (
        "$SYS.REQ.ACCOUNT.PING.STATZ",
        "$SYS.REQ.ACCOUNT.{}.STATZ",
        ResponseType::Stream,
        false,
    ),
    (
        "$SYS.REQ.USER.INFO",
        "$SYS.REQ.USER.{}.INFO",
        ResponseType::Singleton,
        true,
    ),
];

/// The system imports of every account in `accounts` (the system account itself imports
/// only `$SYS.REQ.USER.INFO`, as in nats-server).
pub fn plans<'a>(
    accounts: impl IntoIterator<Item = &'a str>,
    system: &str,
) -> Vec<ServiceImportPlan> {
    let mut out = Vec::new();
    for account in accounts {
        for (local, target, response_type, share) in IMPORTS {
            if account == system && !share {
                continue;
            }
            let mapped = target.replace("{}", account);
            out.push(ServiceImportPlan {
                into: account.to_string(),
                target: system.to_string(),
                local: local.to_string(),
                map: SubjectMap::Literal(mapped.into_bytes().into()),
                response_type,
                threshold: DEFAULT_RESPONSE_THRESHOLD,
                share,
            });
        }
    }
    out
}
