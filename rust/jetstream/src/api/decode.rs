//! Reading request bodies the way nats-server 2.10 does (`json.Unmarshal` into a struct).
//!
//! Go's decoder ignores unknown fields, leaves missing fields at their zero value and treats
//! `null` (a whole body of `null`, or `null` as a field's value) as "leave it alone". The
//! serde types here default every missing field; [`decode_request`] also drops `null`
//! members of objects before decoding, so a `null` reads as a missing field. Any failure is
//! nats-server 2.10's "invalid JSON" error: 2.10 does not say why (2.11+ appends Go's own
//! error text, "invalid JSON: unexpected EOF", which no Rust decoder could reproduce).
//!
//! Differences from Go kept on purpose, all about input no client sends: object keys match
//! case-sensitively (Go also accepts `"Name"` for `name`); a `null` inside an array is an
//! error (Go reads a zero value); `null` for an enum field reads as its default (Go calls the
//! enum's `UnmarshalJSON`, which fails); invalid UTF-8 is an error (Go substitutes U+FFFD);
//! an array in place of a nested object reads as its fields in order (Go refuses it; a
//! whole body that is not an object is refused here too).
//! nats-server 2.11+ in its default strict mode also rejects unknown fields; 2.10 does not,
//! and neither does this.

use serde::de::DeserializeOwned;
use serde_json::Value;

use super::errors::ApiError;

/// Decodes a request body into `T` as nats-server 2.10's `json.Unmarshal` would, or the
/// "invalid JSON" error. An empty body is invalid JSON (endpoints that accept one check
/// [`is_empty_request`] first, as nats-server does).
///
/// # Errors
/// [`ApiError::invalid_json`] when the body is not JSON or does not fit `T`.
pub fn decode_request<T: DeserializeOwned + Default>(body: &[u8]) -> Result<T, ApiError> {
    let mut value: Value = serde_json::from_slice(body).map_err(|_| ApiError::invalid_json())?;
    match value {
        Value::Null => return Ok(T::default()),
        Value::Object(_) => {}
        // serde would read an array as a struct's fields in order; Go refuses it.
        _ => return Err(ApiError::invalid_json()),
    }
    drop_nulls(&mut value);
    serde_json::from_value(value).map_err(|_| ApiError::invalid_json())
}

/// Removes `null` members from every object in `value`, recursively.
fn drop_nulls(value: &mut Value) {
    match value {
        Value::Object(map) => {
            map.retain(|_, v| !v.is_null());
            map.values_mut().for_each(drop_nulls);
        }
        Value::Array(items) => items.iter_mut().for_each(drop_nulls),
        _ => {}
    }
}

/// nats-server's `isEmptyRequest`: no bytes, `{}`, or any JSON object without members
/// (`{ }`). `null`, `[]` and text that is not JSON are not empty.
#[must_use]
pub fn is_empty_request(body: &[u8]) -> bool {
    if body.is_empty() || body == b"{}" {
        return true;
    }
    matches!(serde_json::from_slice::<Value>(body), Ok(Value::Object(m)) if m.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::{RetentionPolicy, StreamConfig};

    #[test]
    fn decoding_is_as_tolerant_as_go() {
        let cfg: StreamConfig =
            decode_request(br#"{"name":"S","bogus":1,"subjects":null,"placement":null}"#).unwrap();
        assert_eq!(cfg.name, "S");
        assert!(cfg.subjects.is_empty() && cfg.placement.is_none());
        let cfg: StreamConfig = decode_request(b"null").unwrap();
        assert_eq!(cfg, StreamConfig::default());
        let cfg: StreamConfig = decode_request(br#" {"retention":"interest"} "#).unwrap();
        assert_eq!(cfg.retention, RetentionPolicy::Interest);
    }

    #[test]
    fn bad_bodies_are_invalid_json() {
        let invalid = Err(ApiError::invalid_json());
        for body in [
            &b""[..],
            b"{",
            b"[]",
            b"\"name\"",
            br#"{"name":"S"} x"#,
            br#"{"max_msgs":"many"}"#,
            br#"{"max_msgs":1.5}"#,
            br#"{"max_msg_size":4294967296}"#,
            br#"{"first_seq":-1}"#,
            br#"{"retention":"forever"}"#,
        ] {
            assert_eq!(decode_request::<StreamConfig>(body), invalid, "{body:?}");
        }
    }

    #[test]
    fn empty_requests_are_nats_servers() {
        for body in [&b""[..], b"{}", b" { } "] {
            assert!(is_empty_request(body), "{body:?}");
        }
        for body in [&b"null"[..], b"[]", b"{x", br#"{"offset":0}"#] {
            assert!(!is_empty_request(body), "{body:?}");
        }
    }
}
