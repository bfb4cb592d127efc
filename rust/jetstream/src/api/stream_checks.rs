//! nats-server's normalisation and validation of stream configurations, as pure functions
//! that return the error object nats-server returns.
//!
//! The semantics are nats-server 2.10's (`checkStreamCfg`, the single-server parts of
//! `addStreamWithAssignment`, `configUpdateCheck` and the STREAM.CREATE/UPDATE handlers, in
//! `server/stream.go` and `server/jetstream_api.go`), in nats-server's order, so a config
//! with several faults gets the same first error. The order for a request:
//!
//! - STREAM.CREATE: decode, [`check_stream_create`], [`check_stream_config`], then in the
//!   engine: an existing stream of that name (same config: answer it; else
//!   [`ApiError::stream_name_exist`]), account limits, then
//!   [`ApiError::stream_subject_overlap`] when [`stream_subjects_overlap`] with another.
//! - STREAM.UPDATE: decode, [`check_stream_update_request`], look the stream up
//!   ([`ApiError::stream_not_found`]), [`check_stream_update`], then in the engine the
//!   consumer limits (`ApiError::stream_update("change to limits violates consumers: a, b")`)
//!   and the overlap check.
//!
//! Where nats-server 2.11+ (the 2.15.1 the side-by-side tests run) differs, 2.10 is followed
//! and the difference noted:
//! - 2.11+ turns negative `max_msgs`, `max_bytes`, `max_msg_size`, `max_msgs_per_subject` and
//!   `max_consumers` into -1; 2.10 keeps them (any negative value means no limit).
//! - 2.11+ says "max age can not be negative"; 2.10 reaches "duplicates window can not be
//!   negative" (or "... larger then max age") for the same config.
//! - 2.11+ reports a subject listed twice as `subject "a" overlaps with "a"`; 2.10 says
//!   "duplicate subjects detected".
//! - 2.11+ rejects `/` and `\` in names inside the config check, with a longer text; 2.10
//!   rejects them in the create handler (`Stream name can not contain path separators`).
//! - 2.11+ allows `max_consumers` to change on update; 2.10 does not.
//! - 2.11+ validates `subject_transform` in the config check (with its own errors); 2.10
//!   when the stream is made, as a create error.
//!
//! - The JetStream and system API overlap checks are 2.10.29's (`SubjectsCollide`, as 2.11+);
//!   2.10.26 and earlier used a subset match, which let e.g. `*.API.x` through.
//!
//! fastnats' own rules, each an error nats-server 2.10 also has for a case it cannot serve:
//! replicas above 1 are refused on update too (2.10 refuses them only on create), mirrors
//! and sources are refused (not supported), and `template_owner` gets 2.10's "stream not
//! owned by template" (fastnats has no templates).

use super::errors::ApiError;
use super::gofmt::go_quote;
use super::stream::StreamConfig;
use super::subjects::{is_valid_name, is_valid_subject, subject_is_subset_match, subjects_collide};
use super::time::Nanos;
use super::transform::SubjectTransform;
use super::{AccountLimits, DiscardPolicy, RetentionPolicy, StorageType, MAX_NAME_LEN};

/// Longest stream or consumer description (`JSMaxDescriptionLen`).
pub const MAX_DESCRIPTION_LEN: usize = 4 * 1024;
/// Most bytes of metadata keys and values together (`JSMaxMetadataLen`).
pub const MAX_METADATA_LEN: usize = 128 * 1024;
/// Most replicas of a stream in a cluster (`StreamMaxReplicas`).
pub const MAX_REPLICAS: i64 = 5;
/// The default duplicate window (`StreamDefaultDuplicatesWindow`).
pub const DEFAULT_DUPLICATE_WINDOW: Nanos = Nanos::from_secs(120);

/// Server-wide JetStream limits (nats-server's `JSLimitOpts`, the `limits {}` block of the
/// `jetstream` config); zero means not set.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct JsLimits {
    /// Largest `max_batch` a pull consumer may set, and its default.
    pub max_request_batch: i64,
    /// Largest `max_ack_pending` a consumer may set.
    pub max_ack_pending: i64,
    /// Longest duplicate window, and the cap of the default one.
    pub duplicates: Nanos,
}

fn invalid(text: &str) -> ApiError {
    ApiError::stream_invalid_config(text)
}

/// The STREAM.CREATE handler's checks, before the config's: the subject's stream name
/// `subject_stream` must be the config's, without path separators; a new stream can not be
/// sealed; `mirror_direct` needs a mirror.
///
/// # Errors
/// nats-server's error for the first failed check.
pub fn check_stream_create(subject_stream: &str, cfg: &StreamConfig) -> Result<(), ApiError> {
    if subject_stream != cfg.name {
        return Err(ApiError::stream_mismatch());
    }
    if subject_stream.contains(['\\', '/']) {
        return Err(ApiError::stream_name_contains_path_separators());
    }
    if cfg.sealed {
        return Err(invalid("stream configuration for create can not be sealed"));
    }
    if cfg.mirror_direct && cfg.mirror.is_none() {
        return Err(invalid("stream has no mirror but does have mirror direct"));
    }
    Ok(())
}

/// A stream config normalised and checked as nats-server 2.10's `checkStreamCfg` and the
/// single-server parts of stream creation do: defaults filled in (file storage, 1 replica,
/// -1 for unset limits, a duplicate window of 2 minutes or `max_age` if shorter, capped by
/// [`JsLimits::duplicates`], the stream's name as its subject, `>` for an empty republish
/// source), then every rule checked.
///
/// # Errors
/// nats-server's error for the first rule broken.
pub fn check_stream_config(
    cfg: &StreamConfig,
    limits: &JsLimits,
    account: &AccountLimits,
) -> Result<StreamConfig, ApiError> {
    let cfg = normalise_and_check(cfg, limits, account)?;
    // addStreamWithAssignment, single-server mode.
    if cfg.num_replicas > 1 {
        return Err(ApiError::stream_replicas_not_supported());
    }
    if !cfg.template_owner.is_empty() {
        return Err(ApiError::stream_create("stream not owned by template"));
    }
    if let Some(t) = &cfg.subject_transform {
        if let Err(e) = SubjectTransform::new(&t.src, &t.dest) {
            return Err(ApiError::stream_create(format!(
                "stream subject transform from '{}' to '{}': {e}",
                t.src, t.dest
            )));
        }
    }
    Ok(cfg)
}

/// nats-server 2.10's `checkStreamCfg`.
fn normalise_and_check(
    config: &StreamConfig,
    limits: &JsLimits,
    account: &AccountLimits,
) -> Result<StreamConfig, ApiError> {
    if !is_valid_name(&config.name) {
        return Err(invalid(
            "stream name is required and can not contain '.', '*', '>'",
        ));
    }
    if config.name.len() > MAX_NAME_LEN {
        return Err(invalid(&format!(
            "stream name is too long, maximum allowed is {MAX_NAME_LEN}"
        )));
    }
    if config.description.len() > MAX_DESCRIPTION_LEN {
        return Err(invalid(&format!(
            "stream description is too long, maximum allowed is {MAX_DESCRIPTION_LEN}"
        )));
    }
    let metadata_len: usize = config.metadata.iter().map(|(k, v)| k.len() + v.len()).sum();
    if metadata_len > MAX_METADATA_LEN {
        return Err(invalid(&format!(
            "stream metadata exceeds maximum size of {MAX_METADATA_LEN} bytes"
        )));
    }
    let mut cfg = config.clone();
    if cfg.num_replicas == 0 {
        cfg.num_replicas = 1;
    }
    if cfg.num_replicas > MAX_REPLICAS {
        return Err(invalid(&format!("maximum replicas is {MAX_REPLICAS}")));
    }
    if cfg.num_replicas < 0 {
        return Err(ApiError::replicas_count_cannot_be_negative());
    }
    for limit in [
        &mut cfg.max_msgs,
        &mut cfg.max_msgs_per_subject,
        &mut cfg.max_bytes,
    ] {
        if *limit == 0 {
            *limit = -1;
        }
    }
    if cfg.max_msg_size == 0 {
        cfg.max_msg_size = -1;
    }
    if cfg.max_consumers == 0 {
        cfg.max_consumers = -1;
    }
    check_windows(&mut cfg, limits)?;
    if cfg.deny_purge && cfg.allow_rollup_hdrs {
        return Err(invalid("roll-ups require the purge permission"));
    }
    check_discard_new_per_subject(&cfg)?;
    if cfg.mirror.is_some() {
        return Err(invalid("stream mirrors are not supported"));
    }
    if !cfg.sources.is_empty() {
        return Err(invalid("stream sources are not supported"));
    }
    if cfg.subjects.is_empty() {
        cfg.subjects.push(cfg.name.clone());
    } else {
        check_subjects(&cfg)?;
    }
    let max_stream_bytes = match cfg.storage {
        StorageType::Memory => account.memory_max_stream_bytes,
        StorageType::File => account.storage_max_stream_bytes,
    };
    if account.max_bytes_required && cfg.max_bytes <= 0 {
        return Err(ApiError::stream_max_bytes_required());
    }
    if max_stream_bytes > 0 && cfg.max_bytes > max_stream_bytes {
        return Err(ApiError::stream_max_stream_bytes_exceeded());
    }
    for subject in &cfg.subjects {
        if let Some(other) = cfg
            .subjects
            .iter()
            .find(|o| *o != subject && subjects_collide(o, subject))
        {
            return Err(invalid(&format!(
                "subject {} overlaps with {}",
                go_quote(subject),
                go_quote(other)
            )));
        }
    }
    if let Some(rp) = &mut cfg.republish {
        if rp.src.is_empty() {
            rp.src = ">".to_owned();
        }
        if cfg.subjects.iter().any(|s| subjects_collide(&rp.dest, s)) {
            return Err(invalid(
                "stream configuration for republish destination forms a cycle",
            ));
        }
        if SubjectTransform::new(&rp.src, &rp.dest).is_err() {
            return Err(invalid(&format!(
                "stream configuration for republish with transform from '{}' to '{}' not valid",
                rp.src, rp.dest
            )));
        }
    }
    Ok(cfg)
}

/// `max_age` and the duplicate window, defaulted and checked.
fn check_windows(cfg: &mut StreamConfig, limits: &JsLimits) -> Result<(), ApiError> {
    if cfg.duplicate_window.is_zero() && cfg.mirror.is_none() {
        let mut max_window = DEFAULT_DUPLICATE_WINDOW;
        if limits.duplicates.0 > 0 && max_window > limits.duplicates {
            max_window = limits.duplicates;
        }
        cfg.duplicate_window = if cfg.max_age.0 != 0 && cfg.max_age < max_window {
            cfg.max_age
        } else {
            max_window
        };
    }
    let hundred_ms = Nanos::from_millis(100);
    if cfg.max_age.0 > 0 && cfg.max_age < hundred_ms {
        return Err(invalid("max age needs to be >= 100ms"));
    }
    if cfg.duplicate_window.0 < 0 {
        return Err(invalid("duplicates window can not be negative"));
    }
    if cfg.max_age.0 != 0 && cfg.duplicate_window > cfg.max_age {
        return Err(invalid("duplicates window can not be larger then max age"));
    }
    if limits.duplicates.0 > 0 && cfg.duplicate_window > limits.duplicates {
        return Err(invalid(&format!(
            "duplicates window can not be larger then server limit of {}",
            limits.duplicates
        )));
    }
    if cfg.duplicate_window.0 > 0 && cfg.duplicate_window < hundred_ms {
        return Err(invalid("duplicates window needs to be >= 100ms"));
    }
    Ok(())
}

fn check_discard_new_per_subject(cfg: &StreamConfig) -> Result<(), ApiError> {
    if cfg.discard_new_per_subject {
        if cfg.discard != DiscardPolicy::New {
            return Err(invalid(
                "discard new per subject requires discard new policy to be set",
            ));
        }
        if cfg.max_msgs_per_subject <= 0 {
            return Err(invalid(
                "discard new per subject requires max msgs per subject > 0",
            ));
        }
    }
    Ok(())
}

/// Each subject valid, listed once, and outside the JetStream and system APIs unless the
/// stream does not ack.
fn check_subjects(cfg: &StreamConfig) -> Result<(), ApiError> {
    for (i, subject) in cfg.subjects.iter().enumerate() {
        if !is_valid_subject(subject) {
            return Err(invalid("invalid subject"));
        }
        if cfg.subjects[..i].contains(subject) {
            return Err(invalid("duplicate subjects detected"));
        }
        if subject == ">" {
            if !cfg.no_ack {
                return Err(invalid("capturing all subjects requires no-ack to be true"));
            }
            if cfg.num_replicas != 1 {
                return Err(invalid("capturing all subjects requires replicas of 1"));
            }
        }
        if !cfg.no_ack {
            let js_api = ["$JS.>", "$JSC.>", "$NRG.>"]
                .iter()
                .any(|ns| subjects_collide(subject, ns));
            if js_api && !subject_is_subset_match(subject, "$JS.EVENT.>") {
                return Err(invalid(
                    "subjects that overlap with jetstream api require no-ack to be true",
                ));
            }
            if subjects_collide(subject, "$SYS.>")
                && !subject_is_subset_match(subject, "$SYS.ACCOUNT.>")
            {
                return Err(invalid(
                    "subjects that overlap with system api require no-ack to be true",
                ));
            }
        }
    }
    Ok(())
}

/// Whether a stream with `subjects` would capture a subject `other`'s also capture (the
/// engine answers [`ApiError::stream_subject_overlap`] then).
#[must_use]
pub fn stream_subjects_overlap(subjects: &[String], other: &[String]) -> bool {
    subjects
        .iter()
        .any(|s| other.iter().any(|o| subjects_collide(s, o)))
}

/// The STREAM.UPDATE handler's checks before the stream is looked up: the config normalised
/// and checked ([`check_stream_config`]'s rules, the replica rule included), then the
/// subject's stream name compared with it.
///
/// # Errors
/// nats-server's error for the first failed check.
pub fn check_stream_update_request(
    subject_stream: &str,
    cfg: &StreamConfig,
    limits: &JsLimits,
    account: &AccountLimits,
) -> Result<StreamConfig, ApiError> {
    let cfg = normalise_and_check(cfg, limits, account)?;
    if subject_stream != cfg.name {
        return Err(ApiError::stream_mismatch());
    }
    if cfg.num_replicas > 1 {
        return Err(ApiError::stream_replicas_not_supported());
    }
    Ok(cfg)
}

/// nats-server 2.10's `configUpdateCheck`: which changes from `old` to `new` (both
/// normalised) an update may make, and the adjustments of a seal (no `max_age`, discard new,
/// deletes and purges denied, no roll-ups). Returns the config to apply.
///
/// # Errors
/// nats-server's error for the first change refused.
pub fn check_stream_update(
    old: &StreamConfig,
    new: &StreamConfig,
) -> Result<StreamConfig, ApiError> {
    let mut cfg = new.clone();
    let refuse = |what: &str| Err(invalid(&format!("stream configuration update {what}")));
    if cfg.name != old.name {
        return Err(invalid("stream configuration name must match original"));
    }
    if cfg.max_consumers != old.max_consumers {
        return refuse("can not change MaxConsumers");
    }
    if cfg.storage != old.storage {
        return refuse("can not change storage type");
    }
    if cfg.retention != old.retention
        && (old.retention == RetentionPolicy::WorkQueue
            || cfg.retention == RetentionPolicy::WorkQueue)
    {
        return refuse("can not change retention policy to/from workqueue");
    }
    if !old.template_owner.is_empty() {
        return refuse("not allowed on template owned stream");
    }
    if !cfg.template_owner.is_empty() {
        return refuse("can not be owned by a template");
    }
    if !cfg.sealed && old.sealed {
        return refuse("can not unseal a sealed stream");
    }
    if !cfg.deny_delete && old.deny_delete {
        return refuse("can not cancel deny message deletes");
    }
    if !cfg.deny_purge && old.deny_purge {
        return refuse("can not cancel deny purge");
    }
    if cfg.mirror != old.mirror {
        return Err(ApiError::stream_mirror_not_updatable());
    }
    check_discard_new_per_subject(&cfg)?;
    if cfg.sealed {
        cfg.max_age = Nanos::ZERO;
        cfg.discard = DiscardPolicy::New;
        cfg.deny_delete = true;
        cfg.deny_purge = true;
        cfg.allow_rollup_hdrs = false;
    }
    if cfg.subject_transform != old.subject_transform {
        if let Some(t) = &cfg.subject_transform {
            if let Err(e) = SubjectTransform::new(&t.src, &t.dest) {
                return Err(ApiError::stream_update(format!(
                    "stream configuration for subject transform from '{}' to '{}': {e}",
                    t.src, t.dest
                )));
            }
        }
    }
    Ok(cfg)
}
