//! Accounts: each owns a subject index, so tenants never see each other's subjects.
//!
//! Every connection belongs to one account and its subscriptions live in that account's
//! [`SubIndex`]; a publisher's messages are matched against its own account's index only.
//! Until accounts can be configured there is one, nats-server's global account `$G`, which
//! every connection joins. Exports and imports will be explicit bridges between indexes.

use crate::index::SubIndex;

/// nats-server's name for the account connections join when no accounts are configured.
pub const GLOBAL_ACCOUNT: &str = "$G";

/// One account: a name and its subject index.
pub struct Account {
    name: String,
    /// The account's subscriptions.
    pub index: SubIndex,
}

impl Account {
    /// An account with an empty index; `cache` turns the index's shared match cache on.
    pub fn new(name: impl Into<String>, cache: bool) -> Self {
        Account {
            name: name.into(),
            index: SubIndex::new(cache),
        }
    }

    /// The account's name (`$G` for the global account).
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl std::fmt::Debug for Account {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Account").field("name", &self.name).finish()
    }
}
