//! The JetStream API's wire layer: nats-server's JSON for `$JS.API.>` requests and replies,
//! its error objects, and its normalisation and validation of stream and consumer configs.
//! Pure: no I/O, no clocks, no engine state (what a check needs about other streams or
//! consumers is passed in).
//!
//! - Types: [`stream`] (`StreamConfig`, `StreamInfo`, `StreamState`), [`consumer`]
//!   (`ConsumerConfig`, `ConsumerInfo`, create and pull requests), [`msg`] (`PubAck`,
//!   `StoredMsg`, message requests), [`account`] (`$JS.API.INFO`), [`responses`] (the
//!   `type`-tagged replies and the paged requests), [`enums`], [`time`] (Go's durations and
//!   times in JSON).
//! - Errors: [`errors`] (`ApiError` and one constructor per nats-server error).
//! - Reading requests: [`decode`] (Go-tolerant decoding), [`route`] (which endpoint a
//!   subject names), [`request_checks`] (message, direct get and pull request bodies).
//! - Config checks: [`stream_checks`], [`consumer_checks`], with [`subjects`] (nats-server's
//!   subject and name rules) and [`transform`] (subject transforms, for republish).
//!
//! Compatibility: nats-server 2.10's behaviour (2.10.29's code), checked against replies
//! recorded from nats-server 2.10.26 and from the 2.15.1 the side-by-side tests run
//! (`tests/transcripts.rs`); each module lists where versions differ and which it follows.

pub mod account;
pub mod consumer;
pub mod consumer_checks;
pub mod decode;
pub mod enums;
pub mod errors;
mod errors_table;
pub mod gofmt;
pub mod msg;
mod omit;
pub mod request_checks;
pub mod responses;
pub mod route;
pub mod stream;
pub mod stream_checks;
pub mod subjects;
pub mod time;
pub mod transform;

pub use account::{AccountInfo, AccountLimits, ApiStats, JetStreamTier};
pub use consumer::{
    ConsumerConfig, ConsumerInfo, CreateConsumerRequest, NextRequest, SequenceInfo,
};
pub use consumer_checks::{
    check_consumer_config, check_consumer_create, check_consumer_name, check_consumer_update,
    check_workqueue_consumer, consumer_config_defaults, consumer_ephemeral_defaults,
    workqueue_partition_unique,
};
pub use decode::{decode_request, is_empty_request};
pub use enums::{
    AckPolicy, ConsumerAction, DeliverPolicy, DiscardPolicy, ReplayPolicy, RetentionPolicy,
    StorageType, StoreCompression,
};
pub use errors::{err_code, ApiError, GoNil};
pub use gofmt::{go_duration, go_quote};
pub use msg::{MsgDeleteRequest, MsgGetRequest, PubAck, PubAckResponse, PurgeRequest, StoredMsg};
pub use request_checks::{
    check_direct_get, check_direct_get_last_by_subject, check_empty_request, check_msg_delete,
    check_msg_get, check_next_request, check_purge, parse_next_request, StatusReply,
};
pub use responses::{response_type, ApiPaged, ApiResponse};
pub use route::{parse_api_subject, ApiRoute};
pub use stream::{
    ClusterInfo, Placement, RePublish, StreamConfig, StreamConsumerLimits, StreamInfo, StreamState,
    SubjectTransformConfig,
};
pub use stream_checks::{
    check_stream_config, check_stream_create, check_stream_update, check_stream_update_request,
    stream_subjects_overlap, JsLimits,
};
pub use subjects::{
    is_valid_asset_name, is_valid_name, is_valid_publish_subject, is_valid_subject,
    subject_is_literal, subject_is_subset_match, subjects_collide, MAX_NAME_LEN,
};
pub use time::{Nanos, Timestamp};
pub use transform::{SubjectTransform, TransformError};
