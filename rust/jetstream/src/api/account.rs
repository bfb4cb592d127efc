//! What `$JS.API.INFO` answers: an account's JetStream usage and limits
//! (`JetStreamAccountStats`, `JetStreamTier`, `JetStreamAccountLimits`, `JetStreamAPIStats` in
//! `server/jetstream.go`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::omit::is_zero_u64;

/// An account's JetStream usage (`JetStreamAccountStats`): the totals of
/// [`JetStreamTier`], then `domain`, `api` and the per-tier figures.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AccountInfo {
    /// The account-wide totals.
    #[serde(flatten)]
    pub usage: JetStreamTier,
    /// The JetStream domain, if any.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub domain: String,
    /// API request counters.
    pub api: ApiStats,
    /// Per-tier usage (`R1`, `R3`, ...) when the account has tiered limits.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub tiers: BTreeMap<String, JetStreamTier>,
}

/// Usage and limits of an account or of one of its tiers (`JetStreamTier`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct JetStreamTier {
    /// Bytes of memory streams.
    pub memory: u64,
    /// Bytes of file streams.
    pub storage: u64,
    /// Memory reserved by streams' `max_bytes`.
    pub reserved_memory: u64,
    /// Storage reserved by streams' `max_bytes`.
    pub reserved_storage: u64,
    /// Streams.
    pub streams: i64,
    /// Consumers.
    pub consumers: i64,
    /// The limits that apply.
    pub limits: AccountLimits,
}

/// An account's JetStream limits (`JetStreamAccountLimits`); -1 is no limit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AccountLimits {
    /// Memory bytes.
    pub max_memory: i64,
    /// Storage bytes.
    pub max_storage: i64,
    /// Streams.
    pub max_streams: i64,
    /// Consumers.
    pub max_consumers: i64,
    /// `max_ack_pending` of any consumer.
    pub max_ack_pending: i64,
    /// `max_bytes` of a memory stream.
    pub memory_max_stream_bytes: i64,
    /// `max_bytes` of a file stream.
    pub storage_max_stream_bytes: i64,
    /// Every stream must set `max_bytes`.
    pub max_bytes_required: bool,
}

impl Default for AccountLimits {
    /// No limits: every number -1, as nats-server shows an account without limits.
    fn default() -> AccountLimits {
        AccountLimits {
            max_memory: -1,
            max_storage: -1,
            max_streams: -1,
            max_consumers: -1,
            max_ack_pending: -1,
            memory_max_stream_bytes: -1,
            storage_max_stream_bytes: -1,
            max_bytes_required: false,
        }
    }
}

/// API request counters (`JetStreamAPIStats`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ApiStats {
    /// The API level served: nats-server 2.11+ writes it (2.11: 1, 2.15: 5), 2.10 does not.
    /// `None` (the default) leaves it out, as 2.10 does.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub level: Option<u32>,
    /// Requests received.
    pub total: u64,
    /// Requests answered with an error.
    pub errors: u64,
    /// Requests being served.
    #[serde(skip_serializing_if = "is_zero_u64")]
    pub inflight: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_info_is_flat_like_go() {
        let info = AccountInfo {
            usage: JetStreamTier {
                storage: 10,
                streams: 1,
                ..JetStreamTier::default()
            },
            api: ApiStats {
                total: 3,
                errors: 1,
                ..ApiStats::default()
            },
            ..AccountInfo::default()
        };
        assert_eq!(
            serde_json::to_string(&info).unwrap(),
            concat!(
                r#"{"memory":0,"storage":10,"reserved_memory":0,"reserved_storage":0,"#,
                r#""streams":1,"consumers":0,"limits":{"max_memory":-1,"max_storage":-1,"#,
                r#""max_streams":-1,"max_consumers":-1,"max_ack_pending":-1,"#,
                r#""memory_max_stream_bytes":-1,"storage_max_stream_bytes":-1,"#,
                r#""max_bytes_required":false},"api":{"total":3,"errors":1}}"#
            )
        );
    }
}
