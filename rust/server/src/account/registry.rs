//! The accounts one server runs: `$G`, every account of the `accounts` option, and the
//! system account when one is named. Built at start and again on each reload, keeping the
//! account objects (and so the subscriptions) of the accounts that stay.

use std::collections::HashMap;
use std::sync::Arc;

use super::config::{Accounts, ImportPlans};
use super::links::{Links, ServiceIn, StreamOut};
use super::{Account, GLOBAL_ACCOUNT};

/// The accounts by name, with their bridges installed.
#[derive(Debug, Clone)]
pub struct AccountSet {
    by_name: HashMap<String, Arc<Account>>,
    global: Arc<Account>,
}

impl AccountSet {
    /// The accounts `accounts` (plus `$G` and `system_account`) describe, with the bridges
    /// of `plans`. Accounts of `previous` that are still configured are kept as they are.
    pub fn build(
        previous: Option<&AccountSet>,
        accounts: &Accounts,
        system_account: Option<&str>,
        plans: &ImportPlans,
        cache: bool,
    ) -> AccountSet {
        let reuse = |name: &str| {
            previous
                .and_then(|p| p.by_name.get(name).cloned())
                .unwrap_or_else(|| Arc::new(Account::new(name, cache)))
        };
        let names = std::iter::once(GLOBAL_ACCOUNT)
            .chain(accounts.keys().map(String::as_str))
            .chain(system_account.filter(|s| !s.is_empty()));
        let by_name: HashMap<String, Arc<Account>> =
            names.map(|n| (n.to_string(), reuse(n))).collect();
        let mut links: HashMap<&str, Links> = HashMap::new();
        let weak = |name: &str| by_name.get(name).map(Arc::downgrade).unwrap_or_default();
        for s in &plans.streams {
            links
                .entry(s.source.as_str())
                .or_default()
                .streams_out
                .push(StreamOut {
                    from: s.from.as_bytes().into(),
                    map: s.map.clone(),
                    into: weak(&s.into),
                });
        }
        for s in &plans.services {
            links
                .entry(s.into.as_str())
                .or_default()
                .services
                .push(ServiceIn {
                    local: s.local.as_bytes().into(),
                    map: s.map.clone(),
                    importer: weak(&s.into),
                    target: weak(&s.target),
                    response_type: s.response_type,
                    threshold: s.threshold,
                    share: s.share,
                });
            links.entry(s.target.as_str()).or_default().answers = true;
        }
        for (name, account) in &by_name {
            account.set_links(links.remove(name.as_str()).unwrap_or_default());
        }
        if let Some(previous) = previous {
            // Accounts that are gone keep no bridges to the ones that stay.
            for (name, account) in &previous.by_name {
                if !by_name.contains_key(name) {
                    account.set_links(Links::default());
                }
            }
        }
        let global = by_name[GLOBAL_ACCOUNT].clone();
        AccountSet { by_name, global }
    }

    /// The global account `$G`.
    pub fn global(&self) -> &Arc<Account> {
        &self.global
    }

    /// The account named `name`.
    pub fn get(&self, name: &str) -> Option<&Arc<Account>> {
        self.by_name.get(name)
    }

    /// Every account, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = &Arc<Account>> {
        self.by_name.values()
    }
}
