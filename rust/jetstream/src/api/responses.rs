//! The replies of the `$JS.API` endpoints: `{"type": ..., "error"?: {...}, ...body}`.
//!
//! Every reply starts with its `type` string ([`response_type`]), then `error` when the
//! request failed, then the fields of its body, flattened as Go embeds structs. On an error
//! nats-server still writes its body's fields that are not pointers: STREAM.INFO adds
//! `"total":0,"offset":0,"limit":0`, the names and list replies add the paging fields and an
//! empty list (`"streams":[]`, `"consumers":[]`), STREAM.PURGE adds `"purged":0`; the other
//! replies carry `type` and `error` only. [`ApiResponse::err`] writes the short form and
//! [`ApiResponse::err_with`] the long one, so the lead can match nats-server byte for byte.

use serde::{Deserialize, Serialize};

use super::account::AccountInfo;
use super::consumer::ConsumerInfo;
use super::errors::ApiError;
use super::msg::StoredMsg;
use super::omit::is_false;
use super::stream::StreamInfo;

/// The `type` strings of the replies (`io.nats.jetstream.api.v1.*`).
pub mod response_type {
    /// `$JS.API.INFO`.
    pub const ACCOUNT_INFO: &str = "io.nats.jetstream.api.v1.account_info_response";
    /// `STREAM.CREATE` (and a stream info asked for with the create reply type).
    pub const STREAM_CREATE: &str = "io.nats.jetstream.api.v1.stream_create_response";
    /// `STREAM.UPDATE`.
    pub const STREAM_UPDATE: &str = "io.nats.jetstream.api.v1.stream_update_response";
    /// `STREAM.INFO`.
    pub const STREAM_INFO: &str = "io.nats.jetstream.api.v1.stream_info_response";
    /// `STREAM.DELETE`.
    pub const STREAM_DELETE: &str = "io.nats.jetstream.api.v1.stream_delete_response";
    /// `STREAM.PURGE`.
    pub const STREAM_PURGE: &str = "io.nats.jetstream.api.v1.stream_purge_response";
    /// `STREAM.NAMES`.
    pub const STREAM_NAMES: &str = "io.nats.jetstream.api.v1.stream_names_response";
    /// `STREAM.LIST`.
    pub const STREAM_LIST: &str = "io.nats.jetstream.api.v1.stream_list_response";
    /// `STREAM.MSG.GET`.
    pub const STREAM_MSG_GET: &str = "io.nats.jetstream.api.v1.stream_msg_get_response";
    /// `STREAM.MSG.DELETE`.
    pub const STREAM_MSG_DELETE: &str = "io.nats.jetstream.api.v1.stream_msg_delete_response";
    /// `CONSUMER.CREATE` and `CONSUMER.DURABLE.CREATE`.
    pub const CONSUMER_CREATE: &str = "io.nats.jetstream.api.v1.consumer_create_response";
    /// `CONSUMER.INFO`.
    pub const CONSUMER_INFO: &str = "io.nats.jetstream.api.v1.consumer_info_response";
    /// `CONSUMER.DELETE`.
    pub const CONSUMER_DELETE: &str = "io.nats.jetstream.api.v1.consumer_delete_response";
    /// `CONSUMER.NAMES`.
    pub const CONSUMER_NAMES: &str = "io.nats.jetstream.api.v1.consumer_names_response";
    /// `CONSUMER.LIST`.
    pub const CONSUMER_LIST: &str = "io.nats.jetstream.api.v1.consumer_list_response";
    /// Errors not tied to an endpoint (JetStream not enabled for the account, ...).
    pub const SYSTEM: &str = "io.nats.jetstream.api.v1.system_response";
}

/// One API reply: `type`, then `error` if any, then the body's fields.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ApiResponse<T> {
    /// One of [`response_type`].
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// Why the request failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<ApiError>,
    /// The body, flattened into the reply.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub body: Option<T>,
}

impl<T> ApiResponse<T> {
    /// A successful reply.
    #[must_use]
    pub fn ok(kind: &'static str, body: T) -> Self {
        ApiResponse {
            kind,
            error: None,
            body: Some(body),
        }
    }

    /// A failed reply with only `type` and `error`.
    #[must_use]
    pub fn err(kind: &'static str, error: ApiError) -> Self {
        ApiResponse {
            kind,
            error: Some(error),
            body: None,
        }
    }

    /// A failed reply that also carries a body (the zero fields nats-server writes).
    #[must_use]
    pub fn err_with(kind: &'static str, error: ApiError, body: T) -> Self {
        ApiResponse {
            kind,
            error: Some(error),
            body: Some(body),
        }
    }
}

impl<T: Serialize> ApiResponse<T> {
    /// The reply's JSON bytes.
    #[must_use]
    pub fn to_vec(&self) -> Vec<u8> {
        // Serialising these types cannot fail: every map key is a string and no Serialize
        // impl here returns an error for a value it can hold.
        serde_json::to_vec(self).unwrap_or_default()
    }
}

/// The paging fields of list replies (`ApiPaged`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiPaged {
    /// Items in all.
    pub total: usize,
    /// The offset this page starts at.
    pub offset: usize,
    /// The most items a page holds.
    pub limit: usize,
}

impl ApiPaged {
    /// nats-server's page of `total` items from `offset` holding at most `limit`: an offset
    /// past the end becomes the end (a negative one, which Go would crash on, becomes 0).
    /// Returns the paging fields and the range of items to include.
    #[must_use]
    pub fn page(total: usize, offset: i64, limit: usize) -> (ApiPaged, std::ops::Range<usize>) {
        let offset = usize::try_from(offset).unwrap_or(0).min(total);
        let end = total.min(offset.saturating_add(limit));
        (
            ApiPaged {
                total,
                offset,
                limit,
            },
            offset..end,
        )
    }
}

/// Most names in a STREAM.NAMES or CONSUMER.NAMES page (`JSApiNamesLimit`).
pub const NAMES_LIMIT: usize = 1024;
/// Most infos in a STREAM.LIST or CONSUMER.LIST page (`JSApiListLimit`).
pub const LIST_LIMIT: usize = 256;
/// Most subjects in a STREAM.INFO with `subjects_filter` (`JSMaxSubjectDetails`).
pub const SUBJECT_DETAILS_LIMIT: usize = 100_000;

/// STREAM.CREATE's body: the stream's info and `did_create` (true when it was made now).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StreamCreateBody {
    /// The stream.
    #[serde(flatten)]
    pub info: StreamInfo,
    /// The stream did not exist before this request.
    #[serde(skip_serializing_if = "is_false")]
    pub did_create: bool,
}

/// STREAM.INFO's body: paging of `state.subjects`, then the info.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StreamInfoBody {
    /// Paging of the subjects asked for with `subjects_filter` (zeros otherwise).
    #[serde(flatten)]
    pub paged: ApiPaged,
    /// The stream.
    #[serde(flatten)]
    pub info: StreamInfo,
}

/// STREAM.NAMES' body. `streams` is `None` (written `null`) when no stream matched, as
/// nats-server writes it; `[]` only in error replies.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct StreamNamesBody {
    /// Paging.
    #[serde(flatten)]
    pub paged: ApiPaged,
    /// The names, sorted.
    pub streams: Option<Vec<String>>,
}

/// STREAM.LIST's body.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct StreamListBody {
    /// Paging.
    #[serde(flatten)]
    pub paged: ApiPaged,
    /// The infos, sorted by name.
    pub streams: Vec<StreamInfo>,
    /// Streams that did not answer (clusters only).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub missing: Vec<String>,
}

/// The body of STREAM.DELETE, STREAM.MSG.DELETE and CONSUMER.DELETE.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct SuccessBody {
    /// It was done.
    #[serde(skip_serializing_if = "is_false")]
    pub success: bool,
}

/// STREAM.PURGE's body.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct StreamPurgeBody {
    /// It was done.
    #[serde(skip_serializing_if = "is_false")]
    pub success: bool,
    /// Messages removed (also written, as 0, in error replies).
    pub purged: u64,
}

/// STREAM.MSG.GET's body.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct MsgGetBody {
    /// The message.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<StoredMsg>,
}

/// CONSUMER.NAMES' body.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ConsumerNamesBody {
    /// Paging.
    #[serde(flatten)]
    pub paged: ApiPaged,
    /// The names, sorted.
    pub consumers: Vec<String>,
}

/// CONSUMER.LIST's body.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ConsumerListBody {
    /// Paging.
    #[serde(flatten)]
    pub paged: ApiPaged,
    /// The infos, sorted by name.
    pub consumers: Vec<ConsumerInfo>,
    /// Consumers that did not answer (clusters only).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub missing: Vec<String>,
}

/// The replies whose body is one value: `$JS.API.INFO` ([`AccountInfo`]), STREAM.UPDATE
/// ([`StreamInfo`]), CONSUMER.CREATE and CONSUMER.INFO ([`ConsumerInfo`]) use
/// `ApiResponse<AccountInfo>` and so on directly.
pub type AccountInfoResponse = ApiResponse<AccountInfo>;

/// The optional body of STREAM.INFO (`JSApiStreamInfoRequest`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct StreamInfoRequest {
    /// Offset into the subject details.
    pub offset: i64,
    /// List the deleted sequences in `state.deleted`.
    #[serde(skip_serializing_if = "is_false")]
    pub deleted_details: bool,
    /// Count messages per subject matching this pattern in `state.subjects`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub subjects_filter: String,
}

/// The optional body of STREAM.NAMES and STREAM.LIST (`JSApiStreamNamesRequest`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct StreamNamesRequest {
    /// The page's offset.
    pub offset: i64,
    /// Only streams whose subjects collide with this one (a pattern).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub subject: String,
}

/// The optional body of CONSUMER.NAMES and CONSUMER.LIST (`JSApiConsumersRequest`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ConsumersRequest {
    /// The page's offset.
    pub offset: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_and_bodies_are_laid_out_as_go() {
        let r = ApiResponse::<SuccessBody>::err(
            response_type::STREAM_DELETE,
            ApiError::stream_not_found(),
        );
        assert_eq!(
            String::from_utf8(r.to_vec()).unwrap(),
            concat!(
                r#"{"type":"io.nats.jetstream.api.v1.stream_delete_response","#,
                r#""error":{"code":404,"err_code":10059,"description":"stream not found"}}"#
            )
        );
        let r = ApiResponse::ok(response_type::STREAM_DELETE, SuccessBody { success: true });
        assert_eq!(
            String::from_utf8(r.to_vec()).unwrap(),
            r#"{"type":"io.nats.jetstream.api.v1.stream_delete_response","success":true}"#
        );
        let r = ApiResponse::err_with(
            response_type::STREAM_PURGE,
            ApiError::bad_request(),
            StreamPurgeBody::default(),
        );
        assert_eq!(
            String::from_utf8(r.to_vec()).unwrap(),
            concat!(
                r#"{"type":"io.nats.jetstream.api.v1.stream_purge_response","#,
                r#""error":{"code":400,"err_code":10003,"description":"bad request"},"purged":0}"#
            )
        );
        let names = StreamNamesBody {
            paged: ApiPaged {
                total: 0,
                offset: 0,
                limit: NAMES_LIMIT,
            },
            streams: None,
        };
        assert_eq!(
            String::from_utf8(ApiResponse::ok(response_type::STREAM_NAMES, names).to_vec())
                .unwrap(),
            concat!(
                r#"{"type":"io.nats.jetstream.api.v1.stream_names_response","#,
                r#""total":0,"offset":0,"limit":1024,"streams":null}"#
            )
        );
    }

    #[test]
    fn pages_clamp_like_nats_server() {
        assert_eq!(ApiPaged::page(26, 10, 1024).1, 10..26);
        assert_eq!(ApiPaged::page(26, 100, 1024).0.offset, 26);
        assert_eq!(ApiPaged::page(26, -1, 1024).1, 0..26);
        assert_eq!(ApiPaged::page(2000, 0, 1024).1, 0..1024);
    }
}
