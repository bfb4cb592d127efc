//! nats-server's defaults and validation of consumer configurations, as pure functions that
//! return the error object nats-server returns.
//!
//! The semantics are nats-server 2.10's (`setConsumerConfigDefaults`, `checkConsumerCfg`,
//! `addConsumerWithAssignment`, `checkNewConsumerConfig` and the consumer create handler, in
//! `server/consumer.go` and `server/jetstream_api.go`), in nats-server's order. For a create
//! request: decode, [`check_consumer_create`], look the stream up
//! ([`ApiError::stream_not_found`]), [`consumer_config_defaults`] then
//! [`check_consumer_config`]; if a consumer of that name exists, `action: "create"` with a
//! different config is [`ApiError::consumer_already_exists`], a work queue stream checks
//! [`check_workqueue_consumer`] and [`check_consumer_update`] decides the update; otherwise
//! `action: "update"` is [`ApiError::consumer_does_not_exist`], the engine checks
//! `max_consumers` ([`ApiError::maximum_consumers_limit`]), then [`check_workqueue_consumer`],
//! [`check_consumer_name`] (with the name chosen for an unnamed ephemeral) and
//! [`consumer_ephemeral_defaults`].
//!
//! Where nats-server 2.11+ (the 2.15.1 the side-by-side tests run) differs, 2.10 is followed:
//! - 2.11+ turns a negative `max_waiting` or `max_batch` into 0 (and so 512 / unset); 2.10
//!   refuses them ("consumer max waiting needs to be positive", "consumer max request batch
//!   needs to be > 0"). 2.11+ also turns `max_deliver` below -1 into -1; 2.10 keeps it.
//! - 2.11+ checks filter overlaps with `subjectIsSubsetMatch` (`c.*.b` and `c.a.*` may
//!   coexist); 2.10 with `SubjectsCollide` (they may not).
//! - 2.11+ checks names in the config check ("consumer name can not contain '.', '*', '>',
//!   '\\', '/'"); 2.10 after the create handler's path separator check, as
//!   [`ApiError::consumer_bad_durable_name`].
//! - 2.11+ sets `name` to the durable name in CONSUMER.DURABLE.CREATE (so a different
//!   `name` passes); 2.10 leaves `name` empty there. Neither writes the name generated for
//!   an unnamed ephemeral into its config (only into the reply's top-level `name`).
//! - 2.11+'s text for [`ApiError::consumer_pull_requires_ack`] is "consumer in pull mode
//!   requires explicit ack policy on workqueue stream"; 2.10's is "consumer in pull mode
//!   requires ack policy".
//!
//! Taken from 2.11+ because 2.10's acceptance cannot work: a negative `ack_wait` or
//! `backoff` is refused ([`ApiError::consumer_ack_wait_negative`],
//! [`ApiError::consumer_back_off_negative`]).

use super::consumer::ConsumerConfig;
use super::errors::{ApiError, GoNil};
use super::route::ApiRoute;
use super::stream::StreamConfig;
use super::stream_checks::{JsLimits, MAX_DESCRIPTION_LEN, MAX_METADATA_LEN};
use super::subjects::{
    is_valid_name, is_valid_subject, subject_is_literal, subject_is_subset_match, subjects_collide,
};
use super::time::Nanos;
use super::{
    AccountLimits, AckPolicy, CreateConsumerRequest, DeliverPolicy, RetentionPolicy, MAX_NAME_LEN,
};

/// Default `ack_wait` of acknowledged consumers (`JsAckWaitDefault`).
pub const DEFAULT_ACK_WAIT: Nanos = Nanos::from_secs(30);
/// Default `max_ack_pending` of acknowledged consumers (`JsDefaultMaxAckPending`).
pub const DEFAULT_MAX_ACK_PENDING: i64 = 1000;
/// Default `max_waiting` of pull consumers (`JSWaitQueueDefaultMax`).
pub const DEFAULT_MAX_WAITING: i64 = 512;
/// Default `inactive_threshold` of ephemeral consumers (`JsDeleteWaitTimeDefault`).
pub const DEFAULT_EPHEMERAL_INACTIVE_THRESHOLD: Nanos = Nanos::from_secs(5);

/// The consumer create handler's checks on the subject and the request, before the stream
/// is looked up. `route` is the request's [`ApiRoute`] (`ConsumerCreate` or
/// `ConsumerDurableCreate`); for the new form the subject's consumer name becomes
/// `req.config.name`, as nats-server does.
///
/// # Errors
/// nats-server's error for the first failed check; [`ApiError::bad_request`] for another
/// route.
pub fn check_consumer_create(
    route: ApiRoute<'_>,
    req: &mut CreateConsumerRequest,
) -> Result<(), ApiError> {
    let (stream, consumer, filter, legacy_durable) = match route {
        ApiRoute::ConsumerCreate {
            stream,
            consumer,
            filter,
        } => (stream, consumer, filter, false),
        ApiRoute::ConsumerDurableCreate { stream, durable } => (stream, Some(durable), None, true),
        _ => return Err(ApiError::bad_request()),
    };
    if stream != req.stream_name {
        return Err(ApiError::stream_mismatch());
    }
    if consumer.is_some_and(|c| c.contains(['\\', '/'])) {
        return Err(ApiError::consumer_name_contains_path_separators());
    }
    let cfg = &mut req.config;
    match consumer {
        Some(name) if legacy_durable => {
            if cfg.durable_name.is_empty() {
                return Err(ApiError::consumer_durable_name_not_set());
            }
            if name != cfg.durable_name {
                return Err(ApiError::consumer_durable_name_not_match_subject());
            }
        }
        Some(name) => {
            if !cfg.durable_name.is_empty() && name != cfg.durable_name {
                return Err(ApiError::consumer_durable_name_not_match_subject());
            }
            name.clone_into(&mut cfg.name);
        }
        None => {
            if !cfg.durable_name.is_empty() {
                return Err(ApiError::consumer_ephemeral_with_durable_name());
            }
        }
    }
    if let Some(filter) = filter {
        if !cfg.filter_subjects.is_empty() {
            return Err(ApiError::consumer_multiple_filters_not_allowed());
        }
        if cfg.filter_subject != filter {
            return Err(ApiError::consumer_create_filter_subject_mismatch());
        }
    }
    if cfg.num_replicas > 1 {
        return Err(ApiError::stream_replicas_not_supported());
    }
    Ok(())
}

/// nats-server 2.10's `setConsumerConfigDefaults`: `max_waiting` 512 for pull consumers,
/// `ack_wait` 30 s (or the first backoff) and `max_ack_pending` 1000 (or the stream's,
/// server's or account's lower limit) for acknowledged ones, `max_deliver` -1, the stream's
/// `consumer_limits` as defaults, and the server's `max_request_batch`.
pub fn consumer_config_defaults(
    cfg: &mut ConsumerConfig,
    stream: &StreamConfig,
    limits: &JsLimits,
    account: &AccountLimits,
) {
    let acked = matches!(cfg.ack_policy, AckPolicy::Explicit | AckPolicy::All);
    if cfg.is_pull() && cfg.max_waiting == 0 {
        cfg.max_waiting = DEFAULT_MAX_WAITING;
    }
    if cfg.ack_wait.is_zero() && acked {
        cfg.ack_wait = DEFAULT_ACK_WAIT;
    }
    if cfg.max_deliver == 0 {
        cfg.max_deliver = -1;
    }
    if let Some(first) = cfg.backoff.first() {
        cfg.ack_wait = *first;
    }
    if cfg.max_ack_pending == 0 {
        cfg.max_ack_pending = stream.consumer_limits.max_ack_pending;
    }
    if cfg.inactive_threshold.is_zero() {
        cfg.inactive_threshold = stream.consumer_limits.inactive_threshold;
    }
    if acked && cfg.max_ack_pending == 0 {
        let mut pending = DEFAULT_MAX_ACK_PENDING;
        for limit in [limits.max_ack_pending, account.max_ack_pending] {
            if limit > 0 && limit < pending {
                pending = limit;
            }
        }
        cfg.max_ack_pending = pending;
    }
    if cfg.is_pull() && cfg.max_batch == 0 && limits.max_request_batch > 0 {
        cfg.max_batch = limits.max_request_batch;
    }
}

/// nats-server 2.10's `checkConsumerCfg` for a consumer of the stream `stream` (after
/// [`consumer_config_defaults`]).
///
/// # Errors
/// nats-server's error for the first rule broken.
pub fn check_consumer_config(
    cfg: &ConsumerConfig,
    stream: &StreamConfig,
    limits: &JsLimits,
    account: &AccountLimits,
) -> Result<(), ApiError> {
    if cfg.num_replicas > 0 && cfg.num_replicas > stream.num_replicas {
        return Err(ApiError::consumer_replicas_exceeds_stream());
    }
    if cfg.num_replicas < 0 {
        return Err(ApiError::replicas_count_cannot_be_negative());
    }
    if matches!(
        stream.retention,
        RetentionPolicy::Interest | RetentionPolicy::WorkQueue
    ) && cfg.num_replicas != 0
        && cfg.num_replicas != stream.num_replicas
    {
        return Err(ApiError::consumer_replicas_should_match_stream());
    }
    // From 2.11+: 2.10 takes negative ack waits and backoffs.
    if cfg.backoff.iter().any(|b| b.0 < 0) {
        return Err(ApiError::consumer_back_off_negative());
    }
    if cfg.ack_wait.0 < 0 {
        return Err(ApiError::consumer_ack_wait_negative());
    }
    let backoffs = i64::try_from(cfg.backoff.len()).unwrap_or(i64::MAX);
    if backoffs > 0 && cfg.max_deliver != -1 && backoffs > cfg.max_deliver {
        return Err(ApiError::consumer_max_deliver_backoff());
    }
    if cfg.description.len() > MAX_DESCRIPTION_LEN {
        return Err(ApiError::consumer_description_too_long(MAX_DESCRIPTION_LEN));
    }
    if cfg.is_pull() {
        check_pull(cfg, stream, limits)?;
    } else {
        check_push(cfg, stream)?;
    }
    check_ack_pending_limits(cfg, stream, limits, account)?;
    if cfg.direct {
        if cfg.is_pull() {
            return Err(ApiError::consumer_direct_requires_push());
        }
        if cfg.is_durable() {
            return Err(ApiError::consumer_direct_requires_ephemeral());
        }
    }
    check_filters(cfg)?;
    check_start(cfg)?;
    if !cfg.sample_freq.is_empty() {
        check_sampling(&cfg.sample_freq)?;
    }
    if cfg.flow_control && cfg.idle_heartbeat.is_zero() {
        return Err(ApiError::consumer_with_flow_control_needs_heartbeats());
    }
    if !cfg.durable_name.is_empty() && !cfg.name.is_empty() && cfg.name != cfg.durable_name {
        return Err(ApiError::consumer_create_durable_and_name_mismatch());
    }
    let metadata_len: usize = cfg.metadata.iter().map(|(k, v)| k.len() + v.len()).sum();
    if metadata_len > MAX_METADATA_LEN {
        return Err(ApiError::consumer_metadata_length(format!(
            "{}KB",
            MAX_METADATA_LEN / 1024
        )));
    }
    Ok(())
}

fn check_push(cfg: &ConsumerConfig, stream: &StreamConfig) -> Result<(), ApiError> {
    let deliver = cfg.deliver_subject.as_str();
    if !subject_is_literal(deliver) {
        return Err(ApiError::consumer_deliver_to_wildcards());
    }
    if !is_valid_subject(deliver) {
        return Err(ApiError::consumer_invalid_deliver_subject());
    }
    if stream
        .subjects
        .iter()
        .any(|s| subject_is_subset_match(deliver, s))
    {
        return Err(ApiError::consumer_deliver_cycle());
    }
    if cfg.max_waiting != 0 {
        return Err(ApiError::consumer_push_max_waiting());
    }
    if cfg.max_ack_pending > 0 && cfg.ack_policy == AckPolicy::None {
        return Err(ApiError::consumer_max_pending_ack_policy_required());
    }
    if cfg.idle_heartbeat.0 > 0 && cfg.idle_heartbeat < Nanos::from_millis(100) {
        return Err(ApiError::consumer_small_heartbeat());
    }
    Ok(())
}

fn check_pull(
    cfg: &ConsumerConfig,
    stream: &StreamConfig,
    limits: &JsLimits,
) -> Result<(), ApiError> {
    if cfg.ack_policy == AckPolicy::None && stream.retention == RetentionPolicy::WorkQueue {
        return Err(ApiError::consumer_pull_requires_ack());
    }
    if cfg.rate_limit_bps > 0 {
        return Err(ApiError::consumer_pull_with_rate_limit());
    }
    if cfg.max_waiting < 0 {
        return Err(ApiError::consumer_max_waiting_negative());
    }
    if cfg.idle_heartbeat.0 > 0 {
        return Err(ApiError::consumer_hb_requires_push());
    }
    if cfg.flow_control {
        return Err(ApiError::consumer_fc_requires_push());
    }
    if cfg.max_batch < 0 {
        return Err(ApiError::consumer_max_request_batch_negative());
    }
    if cfg.max_expires.0 != 0 && cfg.max_expires < Nanos::from_millis(1) {
        return Err(ApiError::consumer_max_request_expires_to_small());
    }
    if limits.max_request_batch > 0 && cfg.max_batch > limits.max_request_batch {
        return Err(ApiError::consumer_max_request_batch_exceeded(
            limits.max_request_batch,
        ));
    }
    Ok(())
}

fn check_ack_pending_limits(
    cfg: &ConsumerConfig,
    stream: &StreamConfig,
    limits: &JsLimits,
    account: &AccountLimits,
) -> Result<(), ApiError> {
    for limit in [
        limits.max_ack_pending,
        account.max_ack_pending,
        stream.consumer_limits.max_ack_pending,
    ] {
        if limit > 0 && cfg.max_ack_pending > limit {
            return Err(ApiError::consumer_max_pending_ack_excess(limit));
        }
    }
    let threshold = stream.consumer_limits.inactive_threshold;
    if threshold.0 > 0 && cfg.inactive_threshold > threshold {
        return Err(ApiError::consumer_inactive_threshold_excess(threshold));
    }
    Ok(())
}

fn check_filters(cfg: &ConsumerConfig) -> Result<(), ApiError> {
    if !cfg.filter_subject.is_empty() && !cfg.filter_subjects.is_empty() {
        return Err(ApiError::consumer_duplicate_filter_subjects());
    }
    let bad_subject = || ApiError::stream_invalid_config("invalid subject");
    if !cfg.filter_subject.is_empty() && !is_valid_subject(&cfg.filter_subject) {
        return Err(bad_subject());
    }
    if cfg.filter_subjects.iter().any(String::is_empty) {
        return Err(ApiError::consumer_empty_filter());
    }
    let filters = cfg.filters();
    for (i, f) in filters.iter().enumerate() {
        if !is_valid_subject(f) {
            return Err(bad_subject());
        }
        if filters
            .iter()
            .enumerate()
            .any(|(j, g)| i != j && subjects_collide(f, g))
        {
            return Err(ApiError::consumer_overlapping_subject_filters());
        }
    }
    Ok(())
}

/// The deliver policy and the optional start sequence and time agree.
fn check_start(cfg: &ConsumerConfig) -> Result<(), ApiError> {
    let bad_start = |policy: &str, start: &str| {
        Err(ApiError::consumer_invalid_policy(format!(
            "consumer delivery policy is deliver {policy}, but optional start {start} is also set"
        )))
    };
    let not_set = |policy: &str, what: &str| {
        Err(ApiError::consumer_invalid_policy(format!(
            "consumer delivery policy is deliver {policy}, but optional {what} is not set"
        )))
    };
    let (seq, time) = (cfg.opt_start_seq > 0, cfg.opt_start_time.is_some());
    let policy = match cfg.deliver_policy {
        DeliverPolicy::All => "all",
        DeliverPolicy::Last => "last",
        DeliverPolicy::New => "new",
        DeliverPolicy::LastPerSubject => "last per subject",
        DeliverPolicy::ByStartSequence => {
            if !seq {
                return not_set("by start sequence", "start sequence");
            }
            if time {
                return bad_start("by start sequence", "time");
            }
            return Ok(());
        }
        DeliverPolicy::ByStartTime => {
            if !time {
                return not_set("by start time", "start time");
            }
            if seq {
                return bad_start("by start time", "start sequence");
            }
            return Ok(());
        }
    };
    if seq {
        return bad_start(policy, "sequence");
    }
    if time {
        return bad_start(policy, "time");
    }
    if cfg.deliver_policy == DeliverPolicy::LastPerSubject && cfg.filters().is_empty() {
        return not_set(policy, "filter subject");
    }
    Ok(())
}

/// `sample_freq` is a non-negative integer with an optional `%` (Go's `strconv.Atoi`).
fn check_sampling(freq: &str) -> Result<(), ApiError> {
    let s = freq.strip_suffix('%').unwrap_or(freq);
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ApiError::consumer_invalid_sampling(format!(
            "strconv.Atoi: parsing {}: invalid syntax",
            super::gofmt::go_quote(s)
        )));
    }
    match s.parse::<i64>() {
        Ok(n) if n >= 0 => Ok(()),
        Ok(_) => Err(ApiError::consumer_invalid_sampling(GoNil)),
        Err(_) => Err(ApiError::consumer_invalid_sampling(format!(
            "strconv.Atoi: parsing {}: value out of range",
            super::gofmt::go_quote(s)
        ))),
    }
}

/// The work queue rules nats-server 2.10 applies when a consumer is added to a work queue
/// stream that already has `others` (the other consumers' configs): acks must be explicit,
/// only one consumer may be unfiltered, filters may not overlap, delivery must start at the
/// first message. Direct consumers are exempt. Call it for other streams too: it passes.
///
/// # Errors
/// The work queue error of the first rule broken.
pub fn check_workqueue_consumer(
    cfg: &ConsumerConfig,
    stream: &StreamConfig,
    others: &[&ConsumerConfig],
) -> Result<(), ApiError> {
    if stream.retention != RetentionPolicy::WorkQueue || cfg.direct {
        return Ok(());
    }
    if cfg.ack_policy != AckPolicy::Explicit {
        return Err(ApiError::consumer_wq_requires_explicit_ack());
    }
    if !others.is_empty() {
        let filters = cfg.filters();
        if filters.is_empty() {
            return Err(ApiError::consumer_wq_multiple_unfiltered());
        }
        if !workqueue_partition_unique(&filters, others) {
            return Err(ApiError::consumer_wq_consumer_not_unique());
        }
    }
    if cfg.deliver_policy != DeliverPolicy::All {
        return Err(ApiError::consumer_wq_consumer_not_deliver_all());
    }
    Ok(())
}

/// nats-server's `partitionUnique`: no filter of `filters` collides with another consumer's
/// (an unfiltered consumer collides with everything).
#[must_use]
pub fn workqueue_partition_unique(filters: &[&str], others: &[&ConsumerConfig]) -> bool {
    others.iter().all(|o| {
        let theirs = o.filters();
        if theirs.is_empty() {
            return false;
        }
        !theirs
            .iter()
            .any(|t| filters.iter().any(|f| subjects_collide(t, f)))
    })
}

/// The name checks nats-server 2.10 makes once a new consumer's name is known: a durable
/// name at most 255 bytes, a valid name (`name` is the durable name, the ephemeral's name or
/// the one generated for it), and a name that fits a file name (nats-server fails to make
/// the consumer's store for a longer one).
///
/// # Errors
/// [`ApiError::consumer_name_too_long`], [`ApiError::consumer_bad_durable_name`] or the
/// store error nats-server answers.
pub fn check_consumer_name(cfg: &ConsumerConfig, name: &str) -> Result<(), ApiError> {
    if cfg.is_durable() && cfg.durable_name.len() > MAX_NAME_LEN {
        return Err(ApiError::consumer_name_too_long(MAX_NAME_LEN));
    }
    if !is_valid_name(name) || name.contains(['\\', '/']) {
        return Err(ApiError::consumer_bad_durable_name());
    }
    if name.len() > MAX_NAME_LEN {
        return Err(ApiError::consumer_create(
            "error creating store for consumer",
        ));
    }
    Ok(())
}

/// What nats-server stamps on a new consumer's config once it is set up: an ephemeral
/// without an `inactive_threshold` gets 5 s.
pub fn consumer_ephemeral_defaults(cfg: &mut ConsumerConfig) {
    if !cfg.is_durable() && cfg.inactive_threshold.0 <= 0 {
        cfg.inactive_threshold = DEFAULT_EPHEMERAL_INACTIVE_THRESHOLD;
    }
}

/// nats-server 2.10's `checkNewConsumerConfig`: which changes from `old` to `new` (both with
/// defaults) an update of an existing consumer may make. `deliver_subject_bound` says
/// whether someone subscribes to the old deliver subject (a bound push consumer can not
/// move).
///
/// # Errors
/// [`ApiError::consumer_create`] with nats-server's text ("deliver policy can not be
/// updated", ...), [`ApiError::consumer_name_exist`] or
/// [`ApiError::consumer_max_deliver_backoff`].
pub fn check_consumer_update(
    old: &ConsumerConfig,
    new: &ConsumerConfig,
    deliver_subject_bound: bool,
) -> Result<(), ApiError> {
    if old == new {
        return Ok(());
    }
    let refuse = |what: &str| Err(ApiError::consumer_create(what));
    if old.deliver_policy != new.deliver_policy {
        return refuse("deliver policy can not be updated");
    }
    if old.opt_start_seq != new.opt_start_seq {
        return refuse("start sequence can not be updated");
    }
    let same_time = match (&old.opt_start_time, &new.opt_start_time) {
        (Some(a), Some(b)) => a.unix_nanos() == b.unix_nanos(),
        (None, None) => true,
        _ => false,
    };
    if !same_time {
        return refuse("start time can not be updated");
    }
    if old.ack_policy != new.ack_policy {
        return refuse("ack policy can not be updated");
    }
    if old.replay_policy != new.replay_policy {
        return refuse("replay policy can not be updated");
    }
    if old.idle_heartbeat != new.idle_heartbeat {
        return refuse("heart beats can not be updated");
    }
    if old.flow_control != new.flow_control {
        return refuse("flow control can not be updated");
    }
    if old.deliver_subject != new.deliver_subject {
        if old.deliver_subject.is_empty() {
            return refuse("can not update pull consumer to push based");
        }
        if new.deliver_subject.is_empty() {
            return refuse("can not update push consumer to pull based");
        }
        if deliver_subject_bound {
            return Err(ApiError::consumer_name_exist());
        }
    }
    if old.max_waiting != new.max_waiting {
        return refuse("max waiting can not be updated");
    }
    let backoffs = i64::try_from(new.backoff.len()).unwrap_or(i64::MAX);
    if backoffs > 0 && new.max_deliver != -1 && backoffs > new.max_deliver {
        return Err(ApiError::consumer_max_deliver_backoff());
    }
    Ok(())
}
