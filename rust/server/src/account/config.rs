//! The `accounts` option (nats-server's `accounts { }` block) and its checks.
//!
//! ```text
//! accounts: { "<name>": { users: [...], default_permissions: {...},
//!                         exports: [ {stream | service, accounts?, response_type?, response_threshold?} ],
//!                         imports: [ {stream | service: {account, subject}, prefix?, to?} ] } }
//! ```
//!
//! Users take the `authorization.users` entry forms. [`check`] applies nats-server's rules
//! with its texts (reserved names, undefined accounts, imports an export does not allow,
//! wildcard prefixes) so a config that nats-server refuses is refused here too.

use std::collections::BTreeMap;
use std::time::Duration;

use fastnats_sublist::{is_valid_literal_subject, is_valid_subject};
use serde::{Deserialize, Serialize};

use super::mapping::{is_subset, SubjectMap};
use super::GLOBAL_ACCOUNT;
use crate::auth::{Permissions, UserEntries};

/// nats-server's default `response_threshold`: how long a service export's reply mapping
/// waits for responses.
pub const DEFAULT_RESPONSE_THRESHOLD: Duration = Duration::from_secs(120);

/// The accounts by name.
pub type Accounts = BTreeMap<String, AccountConfig>;

/// One account of the `accounts` option.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AccountConfig {
    /// Its users (the `authorization.users` entry forms).
    #[serde(deserialize_with = "crate::forms::null_as_default")]
    pub users: UserEntries,
    /// Permissions of its users that have none of their own.
    pub default_permissions: Option<Permissions>,
    /// What it offers other accounts.
    #[serde(deserialize_with = "crate::forms::null_as_default")]
    pub exports: Vec<Export>,
    /// What it takes from other accounts.
    #[serde(deserialize_with = "crate::forms::null_as_default")]
    pub imports: Vec<Import>,
    /// Its JetStream limits when JetStream is enabled for it (nats-server's account
    /// `jetstream`: `enabled` is every limit at -1); `None`: not enabled.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jetstream: Option<AccountJetStream>,
}

/// An account's JetStream limits (nats-server's `JetStreamAccountLimits`); -1 is no limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AccountJetStream {
    /// Bytes in memory streams.
    pub max_memory: i64,
    /// Bytes in file streams.
    pub max_storage: i64,
    /// Streams.
    pub max_streams: i64,
    /// Consumers per stream.
    pub max_consumers: i64,
    /// A consumer's `max_ack_pending`.
    pub max_ack_pending: i64,
    /// A memory stream's `max_bytes`.
    pub memory_max_stream_bytes: i64,
    /// A file stream's `max_bytes`.
    pub storage_max_stream_bytes: i64,
    /// Every stream must set `max_bytes`.
    pub max_bytes_required: bool,
}

impl Default for AccountJetStream {
    /// No limits (`jetstream: enabled`).
    fn default() -> Self {
        AccountJetStream {
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

/// How many responses a service import's reply mapping lets through.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ResponseType {
    /// One response (the default).
    #[default]
    Singleton,
    /// Any number, until the response threshold passes without one.
    Stream,
    /// Any number, until the response threshold passes without one.
    Chunked,
}

/// One `exports` entry: `{stream: "subj"}` or `{service: "subj"}`, each optionally private
/// to `accounts`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Export {
    /// A stream export's subject.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stream: Option<String>,
    /// A service export's subject.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    /// The accounts allowed to import it; `None` is public.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub accounts: Option<Vec<String>>,
    /// A service's response type.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response_type: Option<ResponseType>,
    /// A service's response threshold, in seconds.
    #[serde(
        skip_serializing_if = "Option::is_none",
        with = "crate::forms::opt_seconds"
    )]
    pub response_threshold: Option<Duration>,
}

impl Eq for Export {}

/// Where an import comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImportSource {
    /// The exporting account.
    pub account: String,
    /// The subject, as the exporting account sees it.
    pub subject: String,
}

/// One `imports` entry: `{stream: {account, subject}, prefix?, to?}` or
/// `{service: {account, subject}, to?}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Import {
    /// A stream import.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stream: Option<ImportSource>,
    /// A service import.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service: Option<ImportSource>,
    /// A stream import's prefix (a literal prepended to every subject).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prefix: Option<String>,
    /// The subject in the importing account (a stream import's destination, or the subject
    /// the importing account publishes requests to).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
}

/// A stream import, checked: messages published in `source` on subjects matching `from`
/// are delivered in `into` under `map(subject)`.
#[derive(Debug, Clone)]
pub struct StreamImportPlan {
    /// The importing account.
    pub into: String,
    /// The exporting account.
    pub source: String,
    /// The subject (pattern) in the exporting account.
    pub from: String,
    /// How a subject is rewritten for the importing account.
    pub map: SubjectMap,
}

/// A service import, checked: requests published in `into` on subjects matching `local`
/// go to `target` under `map(subject)`, with replies mapped back.
#[derive(Debug, Clone)]
pub struct ServiceImportPlan {
    /// The importing account (the requesters).
    pub into: String,
    /// The exporting account (the responders).
    pub target: String,
    /// The subject (pattern) requesters publish to.
    pub local: String,
    /// How it is rewritten for the exporting account.
    pub map: SubjectMap,
    /// The export's response type.
    pub response_type: ResponseType,
    /// The export's response threshold.
    pub threshold: Duration,
    /// Whether the requester's details go with each request.
    pub share: bool,
}

/// What the accounts' exports and imports come to.
#[derive(Debug, Clone, Default)]
pub struct ImportPlans {
    /// Every stream import.
    pub streams: Vec<StreamImportPlan>,
    /// Every service import.
    pub services: Vec<ServiceImportPlan>,
}

/// A rule of nats-server's that an `accounts` option breaks; the text is nats-server's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct AccountError(pub String);

fn err<T>(text: String) -> Result<T, AccountError> {
    Err(AccountError(text))
}

/// A checked export.
struct ExportRule<'a> {
    subject: &'a str,
    accounts: Option<&'a [String]>,
    response_type: ResponseType,
    threshold: Duration,
}

impl ExportRule<'_> {
    fn allows(&self, importer: &str, subject: &str) -> bool {
        is_subset(subject.as_bytes(), self.subject.as_bytes())
            && self
                .accounts
                .map_or(true, |names| names.iter().any(|n| n == importer))
    }
}

/// Checks `accounts` (and `system_account`) with nats-server's rules and texts, and works
/// out every import.
pub fn check(
    accounts: &Accounts,
    system_account: Option<&str>,
) -> Result<ImportPlans, AccountError> {
    let mut streams: BTreeMap<&str, Vec<ExportRule<'_>>> = BTreeMap::new();
    let mut services: BTreeMap<&str, Vec<ExportRule<'_>>> = BTreeMap::new();
    for (name, acc) in accounts {
        if name == GLOBAL_ACCOUNT {
            return err(format!("{name:?} is a Reserved Account"));
        }
        for e in &acc.exports {
            let (kind, subject) = match (&e.stream, &e.service) {
                (Some(s), None) => ("stream", s),
                (None, Some(s)) => ("service", s),
                _ => {
                    return err(format!(
                        "Expected an export to be a stream or a service in account {name:?}"
                    ))
                }
            };
            if !is_valid_subject(subject.as_bytes()) {
                return err(format!(
                    "Error adding {kind} export {subject:?}: subject is not valid"
                ));
            }
            for other in e.accounts.iter().flatten() {
                if !accounts.contains_key(other) {
                    return err(format!("{other:?} account not defined for {kind} export"));
                }
            }
            if kind == "stream" && (e.response_type.is_some() || e.response_threshold.is_some()) {
                return err(format!(
                    "Detected response directive on non-service export {subject:?}"
                ));
            }
            let rule = ExportRule {
                subject,
                accounts: e.accounts.as_deref(),
                response_type: e.response_type.unwrap_or_default(),
                threshold: e
                    .response_threshold
                    .filter(|t| !t.is_zero())
                    .unwrap_or(DEFAULT_RESPONSE_THRESHOLD),
            };
            let map = if kind == "stream" {
                &mut streams
            } else {
                &mut services
            };
            map.entry(name).or_default().push(rule);
        }
    }
    if let Some(sys) = system_account {
        if sys != crate::config::DEFAULT_SYSTEM_ACCOUNT && !accounts.contains_key(sys) {
            return err("error resolving system account: account missing".to_string());
        }
    }
    let mut plans = ImportPlans::default();
    for (name, acc) in accounts {
        for im in &acc.imports {
            match (&im.stream, &im.service) {
                (Some(src), None) => plans
                    .streams
                    .push(stream_import(name, src, im, accounts, &streams)?),
                (None, Some(src)) => plans
                    .services
                    .push(service_import(name, src, im, accounts, &services)?),
                _ => {
                    return err(format!(
                        "Expected an import to be a stream or a service in account {name:?}"
                    ))
                }
            }
        }
    }
    Ok(plans)
}

fn stream_import(
    into: &str,
    src: &ImportSource,
    im: &Import,
    accounts: &Accounts,
    exports: &BTreeMap<&str, Vec<ExportRule<'_>>>,
) -> Result<StreamImportPlan, AccountError> {
    let subject = &src.subject;
    let fail = |why: &str| err(format!("Error adding stream import {subject:?}: {why}"));
    if !accounts.contains_key(&src.account) {
        return err(format!(
            "{:?} account not defined for stream import",
            src.account
        ));
    }
    if !is_valid_subject(subject.as_bytes()) {
        return fail("subject is not valid");
    }
    let allowed = exports
        .get(src.account.as_str())
        .is_some_and(|rules| rules.iter().any(|r| r.allows(into, subject)));
    if !allowed {
        return fail("stream import not authorized");
    }
    let to = match (
        im.prefix.as_deref().filter(|p| !p.is_empty()),
        im.to.as_deref(),
    ) {
        (Some(prefix), _) => {
            if !is_valid_literal_subject(prefix.trim_end_matches('.').as_bytes()) {
                return fail("stream import prefix can not contain wildcard tokens");
            }
            format!("{}.{subject}", prefix.trim_end_matches('.'))
        }
        (None, Some(to)) if !to.is_empty() => to.to_string(),
        _ => subject.clone(),
    };
    if !is_valid_subject(to.as_bytes()) {
        return fail("subject is not valid");
    }
    let map = SubjectMap::new(subject.as_bytes(), to.as_bytes()).or_else(|e| {
        err(format!(
            "Error adding stream import {subject:?}: failed to create mapping transform for stream import subject from {subject:?} to {to:?}: {e}"
        ))
    })?;
    Ok(StreamImportPlan {
        into: into.to_string(),
        source: src.account.clone(),
        from: subject.clone(),
        map,
    })
}

fn service_import(
    into: &str,
    src: &ImportSource,
    im: &Import,
    accounts: &Accounts,
    exports: &BTreeMap<&str, Vec<ExportRule<'_>>>,
) -> Result<ServiceImportPlan, AccountError> {
    let subject = &src.subject;
    let fail = |why: &str| err(format!("Error adding service import {subject:?}: {why}"));
    if !accounts.contains_key(&src.account) {
        return err(format!(
            "{:?} account not defined for service import",
            src.account
        ));
    }
    let local = im
        .to
        .as_deref()
        .filter(|t| !t.is_empty())
        .unwrap_or(subject);
    if !is_valid_subject(subject.as_bytes()) || !is_valid_subject(local.as_bytes()) {
        return fail("invalid subject");
    }
    let rule = exports
        .get(src.account.as_str())
        .and_then(|rules| rules.iter().find(|r| r.allows(into, subject)));
    let Some(rule) = rule else {
        return fail("service import not authorized");
    };
    if src.account == into {
        return fail("service import forms a cycle");
    }
    let map = match SubjectMap::new(local.as_bytes(), subject.as_bytes()) {
        Ok(map) => map,
        Err(e) => return fail(&e.to_string()),
    };
    Ok(ServiceImportPlan {
        into: into.to_string(),
        target: src.account.clone(),
        local: local.to_string(),
        map,
        response_type: rule.response_type,
        threshold: rule.threshold,
        share: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accounts(json: &str) -> Accounts {
        serde_json::from_value(serde_json::from_str(json).unwrap()).unwrap()
    }

    fn check_json(json: &str) -> Result<ImportPlans, String> {
        check(&accounts(json), None).map_err(|e| e.0)
    }

    #[test]
    fn imports_need_a_matching_export() {
        let ok = check_json(
            r#"{"A": {"exports": [{"stream": "events.>"}, {"service": "svc.*", "response_type": "stream"}]},
                "B": {"imports": [{"stream": {"account": "A", "subject": "events.>"}, "prefix": "fromA"},
                                  {"service": {"account": "A", "subject": "svc.x"}, "to": "local.svc"}]}}"#,
        )
        .unwrap();
        assert_eq!(ok.streams.len(), 1);
        let s = &ok.streams[0];
        assert_eq!((s.into.as_str(), s.source.as_str()), ("B", "A"));
        assert_eq!(s.map.apply(b"events.1").unwrap(), b"fromA.events.1");
        let svc = &ok.services[0];
        assert_eq!(
            (svc.local.as_str(), svc.response_type),
            ("local.svc", ResponseType::Stream)
        );
        assert_eq!(svc.map.apply(b"local.svc").unwrap(), b"svc.x");

        assert_eq!(
            check_json(
                r#"{"A": {}, "B": {"imports": [{"stream": {"account": "A", "subject": "x"}}]}}"#
            )
            .unwrap_err(),
            r#"Error adding stream import "x": stream import not authorized"#
        );
        assert_eq!(
            check_json(r#"{"B": {"imports": [{"service": {"account": "Z", "subject": "x"}}]}}"#)
                .unwrap_err(),
            r#""Z" account not defined for service import"#
        );
        assert_eq!(
            check_json(
                r#"{"A": {"exports": [{"stream": "x.>", "accounts": ["C"]}]}, "B": {"imports": [{"stream": {"account": "A", "subject": "x.>"}}]}, "C": {}}"#
            )
            .unwrap_err(),
            r#"Error adding stream import "x.>": stream import not authorized"#
        );
        assert_eq!(
            check_json(
                r#"{"A": {"exports": [{"stream": "x"}]}, "B": {"imports": [{"stream": {"account": "A", "subject": "x"}, "prefix": "p.*"}]}}"#
            )
            .unwrap_err(),
            r#"Error adding stream import "x": stream import prefix can not contain wildcard tokens"#
        );
        assert_eq!(
            check_json(r#"{"$G": {}}"#).unwrap_err(),
            r#""$G" is a Reserved Account"#
        );
        assert_eq!(
            check_json(r#"{"A": {"exports": [{"stream": "x", "accounts": ["Q"]}]}}"#).unwrap_err(),
            r#""Q" account not defined for stream export"#
        );
    }
}
