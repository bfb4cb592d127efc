//! What the monitoring endpoints show of JetStream (nats-server's `/jsz` and `/varz`
//! `jetstream.stats`): usage from the counters ingest keeps, API counts, and per stream its
//! state from the store's counters (no scan). The embedder adds the server's own fields
//! (`server_id`, `now`, the resolved `config`).

use std::sync::atomic::Ordering;

use serde::Serialize;

use crate::api::{ClusterInfo, ConsumerInfo, StreamConfig, StreamState, Timestamp};
use crate::JetStream;

/// nats-server's `JetStreamAPIStats`.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ApiStats {
    /// Requests served.
    pub total: u64,
    /// Requests answered with an error.
    pub errors: u64,
}

/// nats-server's `JetStreamStats` (server-wide in `/varz` and `/jsz`, per account in
/// `account_details`).
#[derive(Debug, Clone, Default, Serialize)]
pub struct Stats {
    /// Bytes in memory streams.
    pub memory: u64,
    /// Bytes in file streams.
    pub storage: u64,
    /// Memory reserved by account limits.
    pub reserved_memory: u64,
    /// Storage reserved by account limits.
    pub reserved_storage: u64,
    /// Accounts with JetStream.
    pub accounts: u64,
    /// Replicated assets (none on a single server).
    pub ha_assets: u64,
    /// API counts.
    pub api: ApiStats,
}

/// `/jsz`'s totals after the stats.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Totals {
    /// Streams.
    pub streams: u64,
    /// Consumers.
    pub consumers: u64,
    /// Messages stored.
    pub messages: u64,
    /// Bytes stored.
    pub bytes: u64,
}

/// One stream in `account_details[].stream_detail`.
#[derive(Debug, Clone, Serialize)]
pub struct StreamDetail {
    /// Its name.
    pub name: String,
    /// When it was created.
    pub created: Timestamp,
    /// The single server as its leader, as nats-server shows it.
    pub cluster: ClusterInfo,
    /// Its config (with `config=true`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub config: Option<StreamConfig>,
    /// Its state.
    pub state: StreamState,
    /// Its consumers (with `consumers=true`; their configs with `config=true`).
    #[serde(rename = "consumer_detail", skip_serializing_if = "Vec::is_empty")]
    pub consumers: Vec<ConsumerInfo>,
}

/// One account in `/jsz`'s `account_details`.
#[derive(Debug, Clone, Serialize)]
pub struct AccountDetail {
    /// The account's name.
    pub name: String,
    /// Its id (the name, without JWTs).
    pub id: String,
    /// Its usage.
    #[serde(flatten)]
    pub stats: Stats,
    /// Its streams (with `streams=true`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub stream_detail: Vec<StreamDetail>,
}

impl JetStream {
    /// Server-wide usage and API counts (over every account served).
    #[must_use]
    pub fn stats(&self) -> Stats {
        let mut api = ApiStats::default();
        for served in self.served_accounts() {
            api.total += served.account.api_total.load(Ordering::Relaxed);
            api.errors += served.account.api_errors.load(Ordering::Relaxed);
        }
        let ctx = self.served_accounts().next().map(|s| s.ctx.clone());
        let ctx_reserved = ctx.as_ref().map_or([0, 0], |c| {
            c.server_reserved().map(|r| u64::try_from(r).unwrap_or(0))
        });
        Stats {
            memory: ctx
                .as_ref()
                .map_or(0, |c| c.usage_bytes(crate::api::StorageType::Memory)),
            storage: ctx.map_or(0, |c| c.usage_bytes(crate::api::StorageType::File)),
            reserved_memory: ctx_reserved[0],
            reserved_storage: ctx_reserved[1],
            accounts: self.served_accounts().count() as u64,
            api,
            ..Stats::default()
        }
    }

    /// Streams, consumers, messages and bytes over every stream of every account.
    #[must_use]
    pub fn totals(&self) -> Totals {
        let mut t = Totals::default();
        for s in self.served_accounts().flat_map(|a| a.account.all()) {
            let st = s.state.lock().store.state();
            t.streams += 1;
            t.consumers += s.consumers.len() as u64;
            t.messages += st.msgs;
            t.bytes += st.bytes;
        }
        t
    }

    /// `account_details`: every account served (with its limits as reserved bytes, as
    /// nats-server shows them: `u64::MAX` without one), with its streams when `streams`, their
    /// consumers when `consumers`, the configs of both when `config`.
    #[must_use]
    pub fn account_details(
        &self,
        streams: bool,
        consumers: bool,
        config: bool,
    ) -> Vec<AccountDetail> {
        self.served_accounts()
            .map(|served| detail(served, streams, consumers, config))
            .collect()
    }

    /// The names of stream `stream`'s consumers in account `account`
    /// (`/healthz?consumer=`), sorted; empty for a missing account or stream.
    #[must_use]
    pub fn consumer_names(&self, account: &str, stream: &str) -> Vec<String> {
        self.served(account)
            .and_then(|a| a.account.stream(stream))
            .map_or_else(Vec::new, |s| {
                s.consumers.all().iter().map(|c| c.name.clone()).collect()
            })
    }
}

fn detail(served: &crate::Served, streams: bool, consumers: bool, config: bool) -> AccountDetail {
    let (ctx, account) = (&served.ctx, &served.account);
    let stats = Stats {
        memory: ctx.account_usage(crate::api::StorageType::Memory),
        storage: ctx.account_usage(crate::api::StorageType::File),
        // The account's limits, as Go's `uint64` of them (-1, no limit: `u64::MAX`).
        reserved_memory: ctx.limits.max_memory as u64,
        reserved_storage: ctx.limits.max_storage as u64,
        accounts: 0,
        ha_assets: 0,
        api: ApiStats {
            total: account.api_total.load(Ordering::Relaxed),
            errors: account.api_errors.load(Ordering::Relaxed),
        },
    };
    let cluster = ctx.cluster_info();
    let stream_detail = if streams {
        account
            .all()
            .iter()
            .map(|s| {
                let info = s.info(None);
                StreamDetail {
                    name: s.name.clone(),
                    created: s.created,
                    cluster: cluster.clone(),
                    config: config.then_some(info.config),
                    state: info.state,
                    consumers: if consumers {
                        s.consumers
                            .all()
                            .iter()
                            .map(|c| {
                                let mut i = c.info();
                                if !config {
                                    i.config = None;
                                }
                                i
                            })
                            .collect()
                    } else {
                        Vec::new()
                    },
                }
            })
            .collect()
    } else {
        Vec::new()
    };
    AccountDetail {
        name: account.name.clone(),
        id: account.name.clone(),
        stats,
        stream_detail,
    }
}
