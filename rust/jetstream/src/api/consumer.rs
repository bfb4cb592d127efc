//! Consumer configuration and information, as nats-server 2.10's `ConsumerConfig`,
//! `ConsumerInfo` and `CreateConsumerRequest` (`server/consumer.go`) read and write them:
//! same names, order and `omitempty` omissions (see [`stream`](super::stream)).
//!
//! Fields nats-server 2.11+ added are not here: `sourcing`, `pause_until`,
//! `priority_groups`, `priority_policy`, `priority_timeout` in the config, `paused`,
//! `pause_remaining`, `priority_groups` in the info, `pedantic` in the create request, and
//! the `_nats.*` metadata keys. (2.11+ also moved `idle_heartbeat` after `deliver_group` in
//! the JSON; only the order differs.)

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::enums::{AckPolicy, ConsumerAction, DeliverPolicy, ReplayPolicy};
use super::omit::{is_false, is_zero_i64, is_zero_u64};
use super::stream::ClusterInfo;
use super::time::{Nanos, Timestamp};

/// A consumer's configuration (`ConsumerConfig`), normalised by
/// [`consumer_config_defaults`](super::consumer_config_defaults).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ConsumerConfig {
    /// Set for a durable consumer (kept until deleted).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub durable_name: String,
    /// The consumer's name (an ephemeral's, or the durable name again).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// Free text, at most 4096 bytes.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// Where delivery starts.
    pub deliver_policy: DeliverPolicy,
    /// The start sequence of `by_start_sequence`.
    #[serde(skip_serializing_if = "is_zero_u64")]
    pub opt_start_seq: u64,
    /// The start time of `by_start_time`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub opt_start_time: Option<Timestamp>,
    /// How deliveries are acknowledged.
    pub ack_policy: AckPolicy,
    /// How long an unacknowledged delivery waits before redelivery.
    #[serde(skip_serializing_if = "Nanos::is_zero")]
    pub ack_wait: Nanos,
    /// Deliveries of one message at most; -1 is no limit.
    #[serde(skip_serializing_if = "is_zero_i64")]
    pub max_deliver: i64,
    /// Redelivery delays, one per attempt (the first is also `ack_wait`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub backoff: Vec<Nanos>,
    /// Only messages on this subject (pattern).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub filter_subject: String,
    /// Only messages on these subjects (patterns); not with `filter_subject`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub filter_subjects: Vec<String>,
    /// Replay pace.
    pub replay_policy: ReplayPolicy,
    /// Push delivery rate limit, bits per second.
    #[serde(skip_serializing_if = "is_zero_u64", rename = "rate_limit_bps")]
    pub rate_limit_bps: u64,
    /// Sampling of ack advisories: a percentage like `"50%"`.
    #[serde(skip_serializing_if = "String::is_empty", rename = "sample_freq")]
    pub sample_freq: String,
    /// Pull requests waiting at most (pull only).
    #[serde(skip_serializing_if = "is_zero_i64")]
    pub max_waiting: i64,
    /// Unacknowledged deliveries at most; -1 is no limit.
    #[serde(skip_serializing_if = "is_zero_i64")]
    pub max_ack_pending: i64,
    /// Idle heartbeats to the deliver subject (push only).
    #[serde(skip_serializing_if = "Nanos::is_zero")]
    pub idle_heartbeat: Nanos,
    /// Push flow control (needs `idle_heartbeat`).
    #[serde(skip_serializing_if = "is_false")]
    pub flow_control: bool,
    /// Deliver headers only, with the payload size in `Nats-Msg-Size`.
    #[serde(skip_serializing_if = "is_false")]
    pub headers_only: bool,
    /// Largest `batch` of a pull request.
    #[serde(skip_serializing_if = "is_zero_i64")]
    pub max_batch: i64,
    /// Longest `expires` of a pull request.
    #[serde(skip_serializing_if = "Nanos::is_zero")]
    pub max_expires: Nanos,
    /// Largest `max_bytes` of a pull request.
    #[serde(skip_serializing_if = "is_zero_i64")]
    pub max_bytes: i64,
    /// Set for a push consumer: where messages are delivered.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub deliver_subject: String,
    /// Queue group of the push subscribers.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub deliver_group: String,
    /// An idle consumer is deleted after this long (ephemerals: 5 s by default).
    #[serde(skip_serializing_if = "Nanos::is_zero")]
    pub inactive_threshold: Nanos,
    /// Copies; 0 means the stream's (written even when 0).
    pub num_replicas: i64,
    /// Keep the consumer's state in memory even on a file stream.
    #[serde(skip_serializing_if = "is_false")]
    pub mem_storage: bool,
    /// An internal direct consumer (mirrors and sources).
    #[serde(skip_serializing_if = "is_false")]
    pub direct: bool,
    /// Free key/value pairs, at most 128 KiB in all.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub metadata: BTreeMap<String, String>,
}

impl ConsumerConfig {
    /// A pull consumer has no deliver subject.
    #[must_use]
    pub fn is_pull(&self) -> bool {
        self.deliver_subject.is_empty()
    }

    /// A durable consumer has a durable name.
    #[must_use]
    pub fn is_durable(&self) -> bool {
        !self.durable_name.is_empty()
    }

    /// The filter subjects, whichever field holds them (nats-server's
    /// `gatherSubjectFilters`): `filter_subjects` then `filter_subject`.
    #[must_use]
    pub fn filters(&self) -> Vec<&str> {
        let mut all: Vec<&str> = self.filter_subjects.iter().map(String::as_str).collect();
        if !self.filter_subject.is_empty() {
            all.push(&self.filter_subject);
        }
        all
    }
}

/// A consumer create request's body (`CreateConsumerRequest`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct CreateConsumerRequest {
    /// Must be the stream named in the subject.
    pub stream_name: String,
    /// The consumer's configuration.
    pub config: ConsumerConfig,
    /// Create, update or either.
    pub action: ConsumerAction,
}

/// What CONSUMER.INFO, CONSUMER.LIST and consumer creates answer (`ConsumerInfo`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ConsumerInfo {
    /// The stream's name.
    pub stream_name: String,
    /// The consumer's name.
    pub name: String,
    /// When it was created.
    pub created: Timestamp,
    /// Its configuration.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub config: Option<ConsumerConfig>,
    /// The last delivery.
    pub delivered: SequenceInfo,
    /// The acknowledgement floor.
    pub ack_floor: SequenceInfo,
    /// Deliveries not acknowledged yet.
    pub num_ack_pending: i64,
    /// Messages redelivered at least once and not acknowledged yet.
    pub num_redelivered: i64,
    /// Pull requests waiting.
    pub num_waiting: i64,
    /// Messages left to deliver.
    pub num_pending: u64,
    /// The servers serving it (a single nats-server leaves it out).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cluster: Option<ClusterInfo>,
    /// A push consumer with a subscriber on its deliver subject.
    #[serde(skip_serializing_if = "is_false")]
    pub push_bound: bool,
    /// When this information was gathered.
    pub ts: Timestamp,
}

/// A consumer and stream sequence pair (`SequenceInfo`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SequenceInfo {
    /// The consumer's sequence (deliveries counted).
    pub consumer_seq: u64,
    /// The stream's sequence.
    pub stream_seq: u64,
    /// When it last moved.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_active: Option<Timestamp>,
}

/// A CONSUMER.MSG.NEXT request's JSON body (`JSApiConsumerGetNextRequest`); see
/// [`parse_next_request`](super::parse_next_request) for the other body forms.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct NextRequest {
    /// The request expires after this long (0: not until answered).
    #[serde(skip_serializing_if = "Nanos::is_zero")]
    pub expires: Nanos,
    /// Messages wanted.
    #[serde(skip_serializing_if = "is_zero_i64")]
    pub batch: i64,
    /// Bytes wanted at most.
    #[serde(skip_serializing_if = "is_zero_i64")]
    pub max_bytes: i64,
    /// Answer at once (404/408 status) when nothing is pending.
    #[serde(skip_serializing_if = "is_false")]
    pub no_wait: bool,
    /// Idle heartbeats while waiting.
    #[serde(skip_serializing_if = "Nanos::is_zero")]
    pub idle_heartbeat: Nanos,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_default_config_writes_only_what_go_always_writes() {
        let json = serde_json::to_string(&ConsumerConfig::default()).unwrap();
        assert_eq!(
            json,
            r#"{"deliver_policy":"all","ack_policy":"none","replay_policy":"instant","num_replicas":0}"#
        );
    }

    #[test]
    fn filters_gather_both_fields() {
        let cfg = ConsumerConfig {
            filter_subjects: vec!["a".into(), "b".into()],
            ..ConsumerConfig::default()
        };
        assert_eq!(cfg.filters(), ["a", "b"]);
        let cfg = ConsumerConfig {
            filter_subject: "c".into(),
            ..ConsumerConfig::default()
        };
        assert_eq!(cfg.filters(), ["c"]);
        assert!(cfg.is_pull() && !cfg.is_durable());
    }

    #[test]
    fn sequence_info_omits_unset_activity() {
        let s = SequenceInfo {
            consumer_seq: 1,
            stream_seq: 2,
            last_active: None,
        };
        assert_eq!(
            serde_json::to_string(&s).unwrap(),
            r#"{"consumer_seq":1,"stream_seq":2}"#
        );
    }
}
