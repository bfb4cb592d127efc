//! Accounts: each owns a subject index, so tenants never see each other's subjects.
//!
//! Every connection belongs to one account and its subscriptions live in that account's
//! [`SubIndex`]; a publisher's messages are matched against its own account's index only.
//! Connections join nats-server's global account `$G` unless their user belongs to an
//! account of the `accounts` option. Exports and imports are explicit bridges between
//! indexes ([`links`]): an account that has any pays for them; the others pay one relaxed
//! load per message.
//!
//! - `config`: the `accounts` option and nats-server's rules for it.
//! - `mapping`: subject subsets and the rewriting of imported subjects.
//! - `links`: the bridges, and the delivery of a message across them.
//! - `registry`: the set of accounts a server runs, rebuilt on reload.
//! - `stats`: the account's message counters, kept past its connections.

mod config;
pub mod links;
pub mod mapping;
mod registry;
mod stats;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use parking_lot::{Mutex, RwLock};

pub use config::{
    check, AccountConfig, AccountError, AccountJetStream, Accounts, Export, Import, ImportPlans,
    ImportSource, ResponseType, ServiceImportPlan, StreamImportPlan, DEFAULT_RESPONSE_THRESHOLD,
};
pub use registry::AccountSet;
pub use stats::{AccountCounts, AccountStats};

use crate::index::SubIndex;
use links::{Links, Responses};

/// nats-server's name for the account connections join when no accounts are configured.
pub const GLOBAL_ACCOUNT: &str = "$G";

/// One account: a name, its subject index and its bridges to other accounts.
pub struct Account {
    name: String,
    /// The account's subscriptions.
    pub index: SubIndex,
    /// Which subjects may cross a bridge, read on every message without a lock: 0 none,
    /// [`ANY_SUBJECT`] any (then `links` decides), else the prefix (`<first token>.`, at
    /// most 8 bytes) they all start with, packed by [`pack_prefix`].
    filter: AtomicU64,
    links: RwLock<Arc<Links>>,
    /// Reply subjects of requests that came in through a service import, and where their
    /// responses go.
    pub(crate) responses: Mutex<Responses>,
    /// Client connections in the account (operator mode checks the `conn` limit on it).
    clients: std::sync::atomic::AtomicI64,
    /// Messages and bytes in and out, slow consumers.
    pub stats: AccountStats,
    /// The account JWT's name (operator mode; `/connz` `name_tag`).
    name_tag: RwLock<Option<String>>,
}

impl Account {
    /// An account with an empty index and no bridges; `cache` turns the index's shared
    /// match cache on.
    pub fn new(name: impl Into<String>, cache: bool) -> Self {
        Account {
            name: name.into(),
            index: SubIndex::new(cache),
            filter: AtomicU64::new(0),
            links: RwLock::new(Arc::new(Links::default())),
            responses: Mutex::new(Responses::new()),
            clients: std::sync::atomic::AtomicI64::new(0),
            stats: AccountStats::default(),
            name_tag: RwLock::new(None),
        }
    }

    /// Joins a client connection to the account's count unless `limit` (-1: none) are
    /// already in (nats-server's `MaxTotalConnectionsReached`). Returns whether it joined;
    /// a client that joined calls [`Account::leave`] when it goes.
    pub fn try_join(&self, limit: i64) -> bool {
        self.clients
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (limit < 0 || n < limit).then_some(n + 1)
            })
            .is_ok()
    }

    /// A client counted by [`Account::try_join`] left.
    pub fn leave(&self) {
        self.clients.fetch_sub(1, Ordering::AcqRel);
    }

    /// The client connections in the account now (those that joined and have not left).
    pub fn connections(&self) -> u64 {
        u64::try_from(self.clients.load(Ordering::Acquire)).unwrap_or(0)
    }

    /// The name `/connz` shows in `name_tag`: the account JWT's name, else the account's.
    pub fn name_tag(&self) -> String {
        self.name_tag
            .read()
            .clone()
            .filter(|t| !t.is_empty())
            .unwrap_or_else(|| self.name.clone())
    }

    /// Sets the account JWT's name.
    pub(crate) fn set_name_tag(&self, tag: String) {
        *self.name_tag.write() = Some(tag);
    }

    /// The account's name (`$G` for the global account).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Whether a message on `subject` may cross into other accounts (false: surely not;
    /// one relaxed load and one word compared).
    #[inline]
    pub fn may_cross(&self, subject: &[u8]) -> bool {
        match self.filter.load(Ordering::Relaxed) {
            0 => false,
            ANY_SUBJECT => true,
            prefix => {
                let n = 8 - (prefix.leading_zeros() / 8) as usize;
                subject.len() >= n && pack_prefix(&subject[..n]) == prefix
            }
        }
    }

    /// The bridges out of this account.
    pub(crate) fn links(&self) -> Arc<Links> {
        self.links.read().clone()
    }

    /// The bridges a message on `subject` may cross, or `None` when none can (the common
    /// case, decided on the subject's first token without cloning anything).
    #[inline]
    pub(crate) fn links_for(&self, subject: &[u8]) -> Option<Arc<Links>> {
        let links = self.links.read();
        links.may_match(subject).then(|| links.clone())
    }

    /// Installs this account's bridges (a start or a reload).
    pub(crate) fn set_links(&self, mut links: Links) {
        links.seal();
        let filter = match links.heads() {
            _ if links.is_empty() => 0,
            Some([one]) if one.len() < 8 => pack_prefix(&[&one[..], b"."].concat()),
            _ => ANY_SUBJECT,
        };
        *self.links.write() = Arc::new(links);
        self.filter.store(filter, Ordering::Relaxed);
    }
}

/// [`Account::may_cross`]'s "any subject may".
const ANY_SUBJECT: u64 = u64::MAX;

/// Up to 8 bytes as one word, zero-padded (a subject prefix ends with `.`, so its last
/// byte, and so its length, shows in the word; it is never 0 nor [`ANY_SUBJECT`]).
#[inline]
fn pack_prefix(bytes: &[u8]) -> u64 {
    let mut word = [0u8; 8];
    word[..bytes.len()].copy_from_slice(bytes);
    u64::from_le_bytes(word)
}

impl std::fmt::Debug for Account {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Account").field("name", &self.name).finish()
    }
}
