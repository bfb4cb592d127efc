//! Stream configuration, information and state, as nats-server 2.10's `StreamConfig`,
//! `StreamInfo` and `StreamState` (`server/stream.go`, `server/store.go`) read and write them.
//!
//! Field names, order and omissions follow the Go struct tags: a field tagged `omitempty`
//! is left out when zero/empty, every other field is always written (`"max_age":0`,
//! `"sealed":false`). Reading is tolerant the way `json.Unmarshal` is (a missing field is
//! its zero value, an unknown one is ignored; see [`decode`](super::decode)).
//!
//! Fields nats-server 2.11+ added to `StreamConfig` are not here: `allow_msg_ttl` (always
//! written by 2.11+), `subject_delete_marker_ttl`, `allow_msg_counter`, `allow_atomic`,
//! `allow_msg_schedules`, `persist_mode`, `allow_batched`, `placement.preferred`, and the
//! `_nats.*` metadata keys 2.11+ stamps. A 2.10 client never sends them; a newer client that
//! does has them ignored, as 2.10 ignores them.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::enums::{DiscardPolicy, RetentionPolicy, StorageType, StoreCompression};
use super::omit::{is_false, is_zero_i32, is_zero_i64, is_zero_u64};
use super::time::{Nanos, Timestamp};

/// A stream's configuration (`StreamConfig`): what STREAM.CREATE/UPDATE take and every
/// stream info shows, normalised by [`check_stream_config`](super::check_stream_config).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct StreamConfig {
    /// The stream's name; see [`is_valid_name`](super::is_valid_name).
    pub name: String,
    /// Free text, at most 4096 bytes.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// The subjects stored; none means the stream's name.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub subjects: Vec<String>,
    /// When messages leave.
    pub retention: RetentionPolicy,
    /// At most this many consumers; -1 (or 0 in a request) is no limit.
    pub max_consumers: i64,
    /// At most this many messages; -1 (or 0 in a request) is no limit.
    pub max_msgs: i64,
    /// At most this many bytes; -1 (or 0 in a request) is no limit.
    pub max_bytes: i64,
    /// Messages older than this are removed; 0 is no limit.
    pub max_age: Nanos,
    /// At most this many messages per subject; -1 (or 0 in a request) is no limit.
    pub max_msgs_per_subject: i64,
    /// Larger messages are refused; -1 (or 0 in a request) is no limit.
    #[serde(skip_serializing_if = "is_zero_i32")]
    pub max_msg_size: i32,
    /// What happens when a limit is reached.
    pub discard: DiscardPolicy,
    /// File or memory.
    pub storage: StorageType,
    /// Copies; only 1 on a server that is not clustered.
    pub num_replicas: i64,
    /// No PubAck replies to publishes.
    #[serde(skip_serializing_if = "is_false")]
    pub no_ack: bool,
    /// The stream template that owns the stream (templates: 2.10 only, not supported).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub template_owner: String,
    /// How long a `Nats-Msg-Id` is remembered for de-duplication.
    #[serde(skip_serializing_if = "Nanos::is_zero")]
    pub duplicate_window: Nanos,
    /// Cluster placement (kept and shown; a single server places everything on itself).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub placement: Option<Placement>,
    /// The stream this one mirrors (refused by fastnats' checks).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mirror: Option<StreamSource>,
    /// The streams this one sources from (refused by fastnats' checks).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<StreamSource>,
    /// On-disk compression.
    pub compression: StoreCompression,
    /// The first sequence of a new stream.
    #[serde(skip_serializing_if = "is_zero_u64")]
    pub first_seq: u64,
    /// A transform applied to the subject of each incoming message before it is stored.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject_transform: Option<SubjectTransformConfig>,
    /// Republish stored messages to other subjects.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub republish: Option<RePublish>,
    /// Serve DIRECT.GET.
    pub allow_direct: bool,
    /// Serve DIRECT.GET for the mirrored stream (mirrors only).
    pub mirror_direct: bool,
    /// Discard new applies per subject (needs discard new and `max_msgs_per_subject`).
    #[serde(skip_serializing_if = "is_false")]
    pub discard_new_per_subject: bool,
    /// No messages in or out, no deletes or purges (update only, never undone).
    pub sealed: bool,
    /// Refuse STREAM.MSG.DELETE (never undone).
    pub deny_delete: bool,
    /// Refuse STREAM.PURGE (never undone).
    pub deny_purge: bool,
    /// Honour the `Nats-Rollup` header.
    pub allow_rollup_hdrs: bool,
    /// Defaults and limits for the stream's consumers.
    pub consumer_limits: StreamConsumerLimits,
    /// Free key/value pairs, at most 128 KiB in all (keys and values).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub metadata: BTreeMap<String, String>,
}

/// Defaults and limits a stream sets for its consumers (`consumer_limits`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct StreamConsumerLimits {
    /// Default and maximum `inactive_threshold` of consumers.
    #[serde(skip_serializing_if = "Nanos::is_zero")]
    pub inactive_threshold: Nanos,
    /// Default and maximum `max_ack_pending` of consumers.
    #[serde(skip_serializing_if = "is_zero_i64")]
    pub max_ack_pending: i64,
}

/// Placement in a cluster (`placement`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Placement {
    /// The cluster's name.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub cluster: String,
    /// Server tags to match.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
}

/// A subject transform (`subject_transform`): `src` pattern to `dest` template.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SubjectTransformConfig {
    /// The subjects transformed (empty: all).
    pub src: String,
    /// The template they become; see [`SubjectTransform`](super::SubjectTransform).
    pub dest: String,
}

/// Republishing of stored messages (`republish`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RePublish {
    /// The stored subjects republished (the checks make an empty one `>`).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub src: String,
    /// Where they are republished (a transform of `src`).
    pub dest: String,
    /// Republish the headers only, with the size in `Nats-Msg-Size`.
    #[serde(skip_serializing_if = "is_false")]
    pub headers_only: bool,
}

/// A mirror or source (`StreamSource`). Typed so that requests parse as nats-server parses
/// them; fastnats refuses streams that have one.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct StreamSource {
    /// The origin stream.
    pub name: String,
    /// Start at this sequence of the origin.
    #[serde(skip_serializing_if = "is_zero_u64")]
    pub opt_start_seq: u64,
    /// Start at this time.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub opt_start_time: Option<Timestamp>,
    /// Only these subjects of the origin.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub filter_subject: String,
    /// Filters with transforms.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub subject_transforms: Vec<SubjectTransformConfig>,
    /// The origin is in another account or domain.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub external: Option<ExternalStream>,
}

/// Where an external origin's API and deliveries are (`external`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ExternalStream {
    /// The API prefix.
    pub api: String,
    /// The delivery prefix.
    pub deliver: String,
}

/// What STREAM.INFO, STREAM.LIST, STREAM.CREATE and STREAM.UPDATE answer (`StreamInfo`).
/// nats-server 2.10's `mirror`, `sources` and `alternates` are left out: fastnats has no
/// mirrors, sources or clusters, and nats-server omits them when empty.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct StreamInfo {
    /// The normalised configuration.
    pub config: StreamConfig,
    /// When the stream was created.
    pub created: Timestamp,
    /// Its messages.
    pub state: StreamState,
    /// The JetStream domain, if any.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub domain: String,
    /// The server serving it: a single nats-server shows `{"leader": <its name>}` in STREAM.INFO
    /// replies, and no `cluster` in STREAM.LIST items or the create and update replies.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cluster: Option<ClusterInfo>,
    /// When this information was gathered.
    pub ts: Timestamp,
}

/// The servers of a stream or consumer (`ClusterInfo`; a single server names itself leader).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ClusterInfo {
    /// The cluster's name.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// The RAFT group.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub raft_group: String,
    /// The leader's server name.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub leader: String,
}

/// A stream's messages (`StreamState`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct StreamState {
    /// Messages stored.
    pub messages: u64,
    /// Their bytes, as nats-server counts them (subject, headers, payload and overhead).
    pub bytes: u64,
    /// The first sequence (0 when never used).
    pub first_seq: u64,
    /// The first message's time (Go's zero time when empty).
    pub first_ts: Timestamp,
    /// The last sequence.
    pub last_seq: u64,
    /// The last message's time (Go's zero time when never used).
    pub last_ts: Timestamp,
    /// Distinct subjects stored.
    #[serde(skip_serializing_if = "is_zero_i64")]
    pub num_subjects: i64,
    /// Messages per subject, when STREAM.INFO asked with `subjects_filter`.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub subjects: BTreeMap<String, u64>,
    /// Sequences between first and last that are gone.
    #[serde(skip_serializing_if = "is_zero_i64")]
    pub num_deleted: i64,
    /// Those sequences, when STREAM.INFO asked with `deleted_details`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub deleted: Vec<u64>,
    /// Messages lost to storage damage.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lost: Option<LostStreamData>,
    /// Consumers of the stream.
    pub consumer_count: i64,
}

/// Messages lost to storage damage (`LostStreamData`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct LostStreamData {
    /// Their sequences.
    pub msgs: Vec<u64>,
    /// Their bytes.
    pub bytes: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_default_config_writes_every_field_go_always_writes() {
        let json = serde_json::to_string(&StreamConfig::default()).unwrap();
        assert_eq!(
            json,
            concat!(
                r#"{"name":"","retention":"limits","max_consumers":0,"max_msgs":0,"max_bytes":0,"#,
                r#""max_age":0,"max_msgs_per_subject":0,"discard":"old","storage":"file","#,
                r#""num_replicas":0,"compression":"none","allow_direct":false,"#,
                r#""mirror_direct":false,"sealed":false,"deny_delete":false,"deny_purge":false,"#,
                r#""allow_rollup_hdrs":false,"consumer_limits":{}}"#
            )
        );
    }

    #[test]
    fn an_empty_state_shows_go_zero_times() {
        let json = serde_json::to_string(&StreamState::default()).unwrap();
        assert_eq!(
            json,
            concat!(
                r#"{"messages":0,"bytes":0,"first_seq":0,"first_ts":"0001-01-01T00:00:00Z","#,
                r#""last_seq":0,"last_ts":"0001-01-01T00:00:00Z","consumer_count":0}"#
            )
        );
    }
}
