//! Account JWTs as accounts: their exports and imports in the `accounts` option's form, so
//! the account set and its bridges are built the same way in both modes; and their names
//! (`name_tag`). An import that does not resolve is left out and logged, as nats-server does.

use std::collections::HashMap;
use std::time::Duration;

use super::OperatorMode;
use crate::account::{
    check, AccountConfig, AccountJetStream, Accounts, Export, Import, ImportPlans, ImportSource,
    ResponseType,
};
use crate::jwt::{AccountClaims, ExportType};
use crate::log::Level;

impl OperatorMode {
    /// The accounts known now, in the `accounts` option's form (exports and imports from
    /// their JWTs), and what their imports come to. An import that does not resolve is
    /// left out and logged.
    pub fn snapshot(&self) -> (Accounts, ImportPlans) {
        let loaded = self.loaded.lock();
        let mut accounts: Accounts = loaded
            .accounts
            .iter()
            .map(|(k, known)| (k.clone(), exports_of(&known.claims)))
            .collect();
        let mut plans = ImportPlans::default();
        for (name, known) in &loaded.accounts {
            for im in &known.claims.imports {
                let Some(import) = import_of(name, im) else {
                    continue;
                };
                let Some(exporter) = accounts.get(&im.account) else {
                    crate::log_at!(
                        Level::Error,
                        "Can't locate account [{}] for import of [{}] {} (err=account missing)",
                        im.account,
                        im.subject,
                        type_name(im.import_type)
                    );
                    continue;
                };
                let mut pair = Accounts::new();
                pair.insert(im.account.clone(), exporter.clone());
                let importer = pair.entry(name.clone()).or_default();
                importer.imports = vec![import];
                match check(&pair, None) {
                    Ok(p) => {
                        plans.streams.extend(p.streams);
                        plans.services.extend(p.services);
                    }
                    Err(e) => crate::log_at!(
                        Level::Debug,
                        "Error adding {} import to account [{name}]: {e}",
                        type_name(im.import_type)
                    ),
                }
            }
        }
        for acc in accounts.values_mut() {
            acc.imports.clear();
        }
        (accounts, plans)
    }

    /// The name tag (the account JWT's `name`) of each known account.
    pub fn name_tags(&self) -> HashMap<String, String> {
        self.loaded
            .lock()
            .accounts
            .iter()
            .map(|(k, v)| (k.clone(), v.claims.claims.name.clone()))
            .collect()
    }
}

fn type_name(t: ExportType) -> &'static str {
    match t {
        ExportType::Stream => "stream",
        ExportType::Service => "service",
        ExportType::Unknown => "unknown",
    }
}

/// An account JWT's exports in the `accounts` option's form. An export that needs an
/// activation token is private to no account (activation tokens are not supported).
fn exports_of(claims: &AccountClaims) -> AccountConfig {
    let mut acc = AccountConfig::default();
    for e in &claims.exports {
        let subject = Some(e.subject.clone());
        let (stream, service) = match e.export_type {
            ExportType::Stream => (subject, None),
            ExportType::Service => (None, subject),
            ExportType::Unknown => continue,
        };
        let service_kind = service.is_some();
        acc.exports.push(Export {
            stream,
            service,
            accounts: e.token_req.then(Vec::new),
            response_type: service_kind.then_some(match e.response_type.as_str() {
                "Stream" => ResponseType::Stream,
                "Chunked" => ResponseType::Chunked,
                _ => ResponseType::Singleton,
            }),
            response_threshold: (service_kind && e.response_threshold > 0)
                .then(|| Duration::from_nanos(e.response_threshold as u64)),
        });
    }
    acc.jetstream = jetstream_of(&claims.limits.jetstream);
    acc
}

/// An account JWT's JetStream limits as nats-server reads them (`UpdateAccountClaims`):
/// enabled when `mem_storage` or `disk_storage` is not 0 (`-1` is unlimited), or, with
/// `tiered_limits`, when a tier's is; then the flat limits, or the `R1` tier's (what a
/// single server's streams use; none: not enabled here). Stream and consumer counts of 0
/// are unlimited; the per-stream byte limits and `max_ack_pending` are unlimited unless
/// above 0.
fn jetstream_of(raw: &serde_json::Map<String, serde_json::Value>) -> Option<AccountJetStream> {
    let int = |m: &serde_json::Map<String, serde_json::Value>, k: &str| {
        m.get(k).and_then(serde_json::Value::as_i64).unwrap_or(0)
    };
    let enabled = |m: &serde_json::Map<String, serde_json::Value>| {
        int(m, "mem_storage") != 0 || int(m, "disk_storage") != 0
    };
    let tiers = raw
        .get("tiered_limits")
        .and_then(serde_json::Value::as_object)
        .filter(|t| !t.is_empty());
    let limits = match tiers {
        Some(tiers) => {
            if !tiers
                .values()
                .filter_map(serde_json::Value::as_object)
                .any(enabled)
            {
                return None;
            }
            if enabled(raw) {
                raw
            } else {
                tiers.get("R1").and_then(serde_json::Value::as_object)?
            }
        }
        None if enabled(raw) => raw,
        None => return None,
    };
    let unlimited_unless_positive = |v: i64| if v > 0 { v } else { -1 };
    Some(AccountJetStream {
        max_memory: int(limits, "mem_storage"),
        max_storage: int(limits, "disk_storage"),
        max_streams: int(limits, "streams"),
        max_consumers: int(limits, "consumer"),
        max_ack_pending: unlimited_unless_positive(int(limits, "max_ack_pending")),
        memory_max_stream_bytes: unlimited_unless_positive(int(limits, "mem_max_stream_bytes")),
        storage_max_stream_bytes: unlimited_unless_positive(int(limits, "disk_max_stream_bytes")),
        max_bytes_required: limits
            .get("max_bytes_required")
            .and_then(serde_json::Value::as_bool)
            .unwrap_or(false),
    })
}

/// An account JWT's import in the `accounts` option's form, as nats-server reads it:
/// a stream's `local_subject` is its destination and `to` its prefix; a service's
/// `local_subject` is the subject requesters use (v1's `to` named the exporter's).
fn import_of(importer: &str, im: &crate::jwt::Import) -> Option<Import> {
    if !im.token.is_empty() {
        crate::log_at!(
            Level::Warn,
            "Import of [{}] from account [{}] into [{importer}] ignored: activation tokens are not supported by fastnats",
            im.subject,
            im.account
        );
        return None;
    }
    let source = |subject: &str| ImportSource {
        account: im.account.clone(),
        subject: subject.to_string(),
    };
    let some = |s: &str| (!s.is_empty()).then(|| s.to_string());
    match im.import_type {
        ExportType::Stream => Some(Import {
            stream: Some(source(&im.subject)),
            to: some(&im.local_subject),
            prefix: if im.local_subject.is_empty() {
                some(&im.to)
            } else {
                None
            },
            ..Import::default()
        }),
        ExportType::Service => {
            let (remote, local) = if !im.local_subject.is_empty() {
                (im.subject.as_str(), Some(im.local_subject.clone()))
            } else if !im.to.is_empty() {
                (im.to.as_str(), Some(im.subject.clone()))
            } else {
                (im.subject.as_str(), None)
            };
            Some(Import {
                service: Some(source(remote)),
                to: local,
                ..Import::default()
            })
        }
        ExportType::Unknown => None,
    }
}

#[cfg(test)]
mod jetstream_tests {
    use super::jetstream_of;
    use crate::account::AccountJetStream;

    fn of(json: serde_json::Value) -> Option<AccountJetStream> {
        jetstream_of(json.as_object().expect("a map"))
    }

    #[test]
    fn flat_limits_enable_jetstream_when_a_storage_is_not_zero() {
        assert_eq!(of(serde_json::json!({})), None);
        assert_eq!(of(serde_json::json!({"streams": 3})), None);
        let js = of(serde_json::json!({
            "mem_storage": -1, "disk_storage": 1024, "streams": 2, "consumer": 0,
            "max_ack_pending": 0, "mem_max_stream_bytes": 5, "max_bytes_required": true
        }))
        .expect("enabled");
        assert_eq!(
            js,
            AccountJetStream {
                max_memory: -1,
                max_storage: 1024,
                max_streams: 2,
                max_consumers: 0,
                max_ack_pending: -1,
                memory_max_stream_bytes: 5,
                storage_max_stream_bytes: -1,
                max_bytes_required: true,
            }
        );
    }

    #[test]
    fn tiered_limits_use_the_r1_tier() {
        let tiers = serde_json::json!({"tiered_limits": {
            "R1": {"disk_storage": 10, "streams": 4},
            "R3": {"mem_storage": 20}
        }});
        let js = of(tiers).expect("enabled");
        assert_eq!((js.max_storage, js.max_memory, js.max_streams), (10, 0, 4));
        let no_r1 = serde_json::json!({"tiered_limits": {"R3": {"mem_storage": 20}}});
        assert_eq!(of(no_r1), None);
        let none_enabled = serde_json::json!({"tiered_limits": {"R1": {"streams": 1}}});
        assert_eq!(of(none_enabled), None);
    }
}
