//! The error object of every `$JS.API` response: `{"code":..,"err_code":..,"description":".."}`.
//!
//! Clients compare `err_code` (nats.go, nats.py and the `nats` CLI map it to their own error
//! values) and sometimes the text, so both are nats-server's to the byte. The table of
//! constructors (`errors_table.rs`, one per error of nats-server 2.10's `server/errors.json`,
//! e.g. [`ApiError::stream_not_found`]) is generated; this file holds the type and the
//! filling of templates, which follows nats-server's generated
//! `jetstream_errors_generated.go`: the placeholders
//! (`{err}`, `{stream}`, `{seq}`, ...) are replaced in one left-to-right pass, as Go's
//! `strings.NewReplacer` does, so a value that contains a placeholder is not replaced again.

use std::fmt::{self, Display, Write as _};

use serde::{Deserialize, Serialize};

pub use super::errors_table::err_code;

/// A JetStream API error as nats-server serialises it (`ApiError` in `jetstream_errors.go`):
/// `code` is an HTTP-like status, `err_code` nats-server's error number (see [`err_code`]),
/// `description` the text. `err_code` and `description` are omitted when zero/empty, as Go's
/// `omitempty` does (nats-server never sends either empty).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{description} ({err_code})")]
pub struct ApiError {
    /// The HTTP-like status: 400, 404, 500, 503, ...
    pub code: u16,
    /// nats-server's error number, e.g. 10059 for "stream not found".
    #[serde(default, skip_serializing_if = "is_zero")]
    pub err_code: u16,
    /// The text, with its placeholders filled in.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
}

fn is_zero(n: &u16) -> bool {
    *n == 0
}

impl ApiError {
    /// An error with any code and text; prefer the named constructors, which carry
    /// nats-server's.
    #[must_use]
    pub fn new(code: u16, err_code: u16, description: impl Into<String>) -> Self {
        ApiError {
            code,
            err_code,
            description: description.into(),
        }
    }

    /// An error whose `template` has placeholders, each replaced by its value's `Display`.
    pub(crate) fn filled(
        code: u16,
        err_code: u16,
        template: &str,
        values: &[(&str, &dyn Display)],
    ) -> Self {
        ApiError {
            code,
            err_code,
            description: replace_once(template, values),
        }
    }

    /// Whether this is the error numbered `err_code` (nats-server's `IsNatsErr`).
    #[must_use]
    pub fn is(&self, err_code: u16) -> bool {
        self.err_code == err_code
    }
}

/// One pass over `template`: at each position the first placeholder (in `values` order) that
/// starts there is replaced by its value; other text is copied.
fn replace_once(template: &str, values: &[(&str, &dyn Display)]) -> String {
    let mut out = String::with_capacity(template.len() + 16);
    let mut rest = template;
    'scan: while !rest.is_empty() {
        for (key, value) in values {
            if let Some(tail) = rest.strip_prefix(key) {
                // Writing to a String cannot fail.
                let _ = write!(out, "{value}");
                rest = tail;
                continue 'scan;
            }
        }
        let mut chars = rest.chars();
        if let Some(c) = chars.next() {
            out.push(c);
        }
        rest = chars.as_str();
    }
    out
}

/// A value shown the way Go's `%v` shows a nil `error`: `<nil>`. nats-server prints that in
/// one error text (a negative `sample_freq`), which is part of its contract.
#[derive(Debug, Clone, Copy)]
pub struct GoNil;

impl Display for GoNil {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<nil>")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(e: &ApiError) -> String {
        serde_json::to_string(e).unwrap_or_default()
    }

    #[test]
    fn fixed_errors_serialise_as_nats_server() {
        assert_eq!(
            json(&ApiError::stream_not_found()),
            r#"{"code":404,"err_code":10059,"description":"stream not found"}"#
        );
        assert_eq!(
            json(&ApiError::consumer_bad_durable_name()),
            r#"{"code":400,"err_code":10103,"description":"durable name can not contain '.', '*', '>'"}"#
        );
        assert_eq!(ApiError::invalid_json().description, "invalid JSON");
        assert_eq!(
            ApiError::stream_not_found().to_string(),
            "stream not found (10059)"
        );
    }

    #[test]
    fn templates_are_filled_in_one_pass() {
        let e = ApiError::stream_invalid_config("max age needs to be >= 100ms");
        assert_eq!(
            json(&e),
            r#"{"code":500,"err_code":10052,"description":"max age needs to be >= 100ms"}"#
        );
        assert_eq!(
            ApiError::sequence_not_found(7).description,
            "sequence 7 not found"
        );
        let e = ApiError::stream_external_del_prefix_overlaps("{subject}", "foo");
        assert_eq!(
            e.description,
            "stream external delivery prefix {subject} overlaps with stream subject foo"
        );
        assert_eq!(
            ApiError::consumer_invalid_sampling(GoNil).description,
            "failed to parse consumer sampling configuration: <nil>"
        );
        assert!(ApiError::stream_not_found().is(err_code::STREAM_NOT_FOUND));
    }

    #[test]
    fn deserialises_and_omits_empty_fields() {
        let e: ApiError = serde_json::from_str(r#"{"code":503}"#)
            .unwrap_or_else(|_| ApiError::new(0, 0, "parse failed"));
        assert_eq!(
            e,
            ApiError {
                code: 503,
                err_code: 0,
                description: String::new()
            }
        );
        assert_eq!(json(&e), r#"{"code":503}"#);
    }
}
