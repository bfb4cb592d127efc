//! Messages in the API: the PubAck a publish to a stream gets, the stored message of
//! STREAM.MSG.GET, and the bodies of the message requests (get, direct get, delete, purge).

use serde::{Deserialize, Serialize};

use super::errors::ApiError;
use super::omit::{is_false, is_zero_i64, is_zero_u64};
use super::time::Timestamp;

/// The reply to a publish stored by a stream (`PubAck`): `{"stream":"S","seq":1}`, with
/// `"duplicate":true` when the `Nats-Msg-Id` was seen within the duplicate window. A refused
/// publish gets [`PubAckResponse`] with only `error` set.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct PubAck {
    /// The stream that stored it.
    pub stream: String,
    /// Its sequence.
    pub seq: u64,
    /// The JetStream domain, if any.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub domain: String,
    /// The message was a duplicate: `seq` is the original's.
    #[serde(skip_serializing_if = "is_false")]
    pub duplicate: bool,
}

/// A publish reply (`JSPubAckResponse`): `error` first, then the PubAck's fields.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PubAckResponse {
    /// Why the message was not stored.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<ApiError>,
    /// What was stored.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub ack: Option<PubAck>,
}

/// A message as STREAM.MSG.GET returns it (`StoredMsg`): headers and payload in standard
/// base64 (Go's `[]byte`), each omitted when empty.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct StoredMsg {
    /// Its subject.
    pub subject: String,
    /// Its sequence.
    pub seq: u64,
    /// Its header block (`NATS/1.0\r\n...\r\n\r\n`), as published.
    #[serde(skip_serializing_if = "Vec::is_empty", with = "base64_bytes")]
    pub hdrs: Vec<u8>,
    /// Its payload.
    #[serde(skip_serializing_if = "Vec::is_empty", with = "base64_bytes")]
    pub data: Vec<u8>,
    /// When it was stored.
    pub time: Timestamp,
}

/// Go's `[]byte` in JSON: a standard base64 string (`null` reads as empty).
mod base64_bytes {
    use base64::engine::general_purpose::STANDARD;
    use base64::Engine as _;
    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&STANDARD.encode(bytes))
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = Option::<std::borrow::Cow<'de, str>>::deserialize(d)?;
        match text {
            None => Ok(Vec::new()),
            Some(t) => STANDARD
                .decode(t.as_bytes())
                .map_err(serde::de::Error::custom),
        }
    }
}

/// The body of STREAM.MSG.GET and DIRECT.GET (`JSApiMsgGetRequest`).
///
/// nats-server 2.10 has `seq`, `last_by_subj` and `next_by_subj`; the batch and multi-last
/// fields are 2.11+'s (DIRECT.GET only), taken here because fastnats serves batched direct
/// gets. See [`check_msg_get`](super::check_msg_get) and
/// [`check_direct_get`](super::check_direct_get).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct MsgGetRequest {
    /// This sequence, or with `next_by_subj` the first match at or after it.
    #[serde(skip_serializing_if = "is_zero_u64")]
    pub seq: u64,
    /// The last message on this subject (pattern).
    #[serde(skip_serializing_if = "String::is_empty", rename = "last_by_subj")]
    pub last_by_subj: String,
    /// The first message on this subject (pattern) at or after `seq`.
    #[serde(skip_serializing_if = "String::is_empty", rename = "next_by_subj")]
    pub next_by_subj: String,
    /// Up to this many messages (2.11+, direct get).
    #[serde(skip_serializing_if = "is_zero_i64")]
    pub batch: i64,
    /// Up to this many bytes in a batch (2.11+, direct get).
    #[serde(skip_serializing_if = "is_zero_i64")]
    pub max_bytes: i64,
    /// From the first message at or after this time (2.11+, direct get).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_time: Option<Timestamp>,
    /// The last message of each of these subjects (2.11+, direct get).
    #[serde(skip_serializing_if = "Vec::is_empty", rename = "multi_last")]
    pub multi_last: Vec<String>,
    /// Only messages up to this sequence (2.11+, direct get).
    #[serde(skip_serializing_if = "is_zero_u64")]
    pub up_to_seq: u64,
    /// Only messages up to this time (2.11+, direct get).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub up_to_time: Option<Timestamp>,
    /// Payloads without headers (2.11+, direct get).
    #[serde(skip_serializing_if = "is_false", rename = "no_hdr")]
    pub no_hdr: bool,
}

/// The body of STREAM.MSG.DELETE (`JSApiMsgDeleteRequest`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct MsgDeleteRequest {
    /// The message's sequence.
    pub seq: u64,
    /// Remove without overwriting its bytes (the default erases).
    #[serde(skip_serializing_if = "is_false")]
    pub no_erase: bool,
}

/// The optional body of STREAM.PURGE (`JSApiStreamPurgeRequest`); see
/// [`check_purge`](super::check_purge).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct PurgeRequest {
    /// Purge up to, not including, this sequence.
    #[serde(skip_serializing_if = "is_zero_u64")]
    pub seq: u64,
    /// Only messages on this subject (pattern).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub filter: String,
    /// Keep this many of the newest messages.
    #[serde(skip_serializing_if = "is_zero_u64")]
    pub keep: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pub_acks_are_nats_servers() {
        let ack = PubAck {
            stream: "S".into(),
            seq: 3,
            domain: String::new(),
            duplicate: true,
        };
        assert_eq!(
            serde_json::to_string(&ack).unwrap(),
            r#"{"stream":"S","seq":3,"duplicate":true}"#
        );
        let refused = PubAckResponse {
            error: Some(ApiError::stream_not_found()),
            ack: None,
        };
        assert_eq!(
            serde_json::to_string(&refused).unwrap(),
            r#"{"error":{"code":404,"err_code":10059,"description":"stream not found"}}"#
        );
        let ok = PubAckResponse {
            error: None,
            ack: Some(ack),
        };
        assert_eq!(
            serde_json::to_string(&ok).unwrap(),
            r#"{"stream":"S","seq":3,"duplicate":true}"#
        );
    }

    #[test]
    fn stored_messages_are_base64() {
        let msg = StoredMsg {
            subject: "m.b".into(),
            seq: 2,
            hdrs: b"NATS/1.0\r\nX-Test: yes\r\n\r\n".to_vec(),
            data: b"two".to_vec(),
            time: Timestamp::from_unix_nanos(0),
        };
        let json = serde_json::to_string(&msg).unwrap();
        assert_eq!(
            json,
            concat!(
                r#"{"subject":"m.b","seq":2,"hdrs":"TkFUUy8xLjANClgtVGVzdDogeWVzDQoNCg==","#,
                r#""data":"dHdv","time":"1970-01-01T00:00:00Z"}"#
            )
        );
        assert_eq!(serde_json::from_str::<StoredMsg>(&json).unwrap(), msg);
        let empty = StoredMsg {
            subject: "m.c".into(),
            seq: 4,
            ..StoredMsg::default()
        };
        assert_eq!(
            serde_json::to_string(&empty).unwrap(),
            r#"{"subject":"m.c","seq":4,"time":"0001-01-01T00:00:00Z"}"#
        );
    }
}
