//! Every stream check with the exact error object nats-server 2.10 returns, beyond the
//! recorded transcripts (`transcripts.rs`): limits, update rules, and fastnats' refusals.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

use fastnats_jetstream::api::{
    check_stream_config, check_stream_create, check_stream_update, check_stream_update_request,
    decode_request, stream_subjects_overlap, AccountLimits, DiscardPolicy, JsLimits, Nanos,
    RePublish, StorageType, StreamConfig, SubjectTransformConfig,
};
use serde_json::{json, Value};

fn cfg(v: Value) -> StreamConfig {
    decode_request(v.to_string().as_bytes()).unwrap()
}

fn check(v: Value) -> Result<StreamConfig, Value> {
    check_with(v, &JsLimits::default(), &AccountLimits::default())
}

fn check_with(v: Value, limits: &JsLimits, account: &AccountLimits) -> Result<StreamConfig, Value> {
    check_stream_config(&cfg(v), limits, account).map_err(|e| serde_json::to_value(e).unwrap())
}

fn invalid(text: &str) -> Value {
    json!({"code": 500, "err_code": 10052, "description": text})
}

#[test]
fn defaults_are_nats_servers() {
    let c = check(json!({"name": "S"})).unwrap();
    assert_eq!(
        serde_json::to_value(&c).unwrap(),
        json!({
            "name": "S", "subjects": ["S"], "retention": "limits", "max_consumers": -1,
            "max_msgs": -1, "max_bytes": -1, "max_age": 0, "max_msgs_per_subject": -1,
            "max_msg_size": -1, "discard": "old", "storage": "file", "num_replicas": 1,
            "duplicate_window": 120_000_000_000_i64, "compression": "none", "allow_direct": false,
            "mirror_direct": false, "sealed": false, "deny_delete": false, "deny_purge": false,
            "allow_rollup_hdrs": false, "consumer_limits": {}
        })
    );
    // Normalising twice changes nothing (nats-server checks an update's config twice).
    let again = check_stream_config(&c, &JsLimits::default(), &AccountLimits::default()).unwrap();
    assert_eq!(again, c);
}

#[test]
fn duplicate_window_defaults_and_limits() {
    let limits = JsLimits {
        duplicates: Nanos::from_secs(60),
        ..JsLimits::default()
    };
    let none = AccountLimits::default();
    let c = check_with(json!({"name": "S"}), &limits, &none).unwrap();
    assert_eq!(c.duplicate_window, Nanos::from_secs(60));
    let c = check_with(
        json!({"name": "S", "max_age": 30_000_000_000_i64}),
        &limits,
        &none,
    )
    .unwrap();
    assert_eq!(c.duplicate_window, Nanos::from_secs(30));
    assert_eq!(
        check_with(
            json!({"name": "S", "duplicate_window": 90_000_000_000_i64}),
            &limits,
            &none
        ),
        Err(invalid(
            "duplicates window can not be larger then server limit of 1m0s"
        ))
    );
}

#[test]
fn account_stream_byte_limits() {
    let account = AccountLimits {
        max_bytes_required: true,
        storage_max_stream_bytes: 1000,
        memory_max_stream_bytes: 10,
        ..AccountLimits::default()
    };
    let limits = JsLimits::default();
    assert_eq!(
        check_with(json!({"name": "S"}), &limits, &account),
        Err(
            json!({"code": 400, "err_code": 10113, "description": "account requires a stream config to have max bytes set"})
        )
    );
    assert_eq!(
        check_with(json!({"name": "S", "max_bytes": 2000}), &limits, &account),
        Err(
            json!({"code": 400, "err_code": 10122, "description": "stream max bytes exceeds account limit max stream bytes"})
        )
    );
    assert!(check_with(json!({"name": "S", "max_bytes": 1000}), &limits, &account).is_ok());
    assert!(check_with(
        json!({"name": "S", "max_bytes": 11, "storage": "memory"}),
        &limits,
        &account
    )
    .is_err());
}

#[test]
fn subject_rules() {
    assert_eq!(
        check(json!({"name": "S", "subjects": [">"], "no_ack": true, "num_replicas": 3})),
        Err(invalid("capturing all subjects requires replicas of 1"))
    );
    let c = check(json!({"name": "S", "subjects": [">"], "no_ack": true})).unwrap();
    assert_eq!(c.subjects, [">"]);
    assert!(check(json!({"name": "S", "subjects": ["$JSC.x"]})).is_err());
    assert_eq!(
        check(json!({"name": "S", "subjects": ["$NRG.>"]})),
        Err(invalid(
            "subjects that overlap with jetstream api require no-ack to be true"
        ))
    );
    assert!(check(json!({"name": "S", "subjects": ["$JS.EVENT.x"]})).is_ok());
    assert_eq!(
        check(json!({"name": "S", "subjects": ["a.b", "a.*"]})),
        Err(invalid("subject \"a.b\" overlaps with \"a.*\""))
    );
    let a = vec!["a.*".to_owned()];
    assert!(stream_subjects_overlap(&a, &["a.b".to_owned()]));
    assert!(!stream_subjects_overlap(&a, &["b.>".to_owned()]));
}

#[test]
fn fastnats_refusals_and_single_server_rules() {
    assert_eq!(
        check(json!({"name": "S", "num_replicas": 2})),
        Err(
            json!({"code": 500, "err_code": 10074, "description": "replicas > 1 not supported in non-clustered mode"})
        )
    );
    assert_eq!(
        check(json!({"name": "S", "mirror": {"name": "O"}})),
        Err(invalid("stream mirrors are not supported"))
    );
    assert_eq!(
        check(json!({"name": "S", "sources": [{"name": "O"}]})),
        Err(invalid("stream sources are not supported"))
    );
    assert_eq!(
        check(json!({"name": "S", "template_owner": "T"})),
        Err(json!({"code": 500, "err_code": 10049, "description": "stream not owned by template"}))
    );
    assert_eq!(
        check(
            json!({"name": "S", "subjects": ["in.*"], "subject_transform": {"src": "in.*", "dest": "out.$2"}})
        ),
        Err(json!({"code": 500, "err_code": 10049, "description":
            "stream subject transform from 'in.*' to 'out.$2': invalid mapping destination: wildcard index out of range in $2: [2]"}))
    );
    assert!(check(json!({"name": "S", "subjects": ["in.*"], "subject_transform": {"src": "in.*", "dest": "out.$1"}})).is_ok());
}

#[test]
fn republish_source_defaults_to_everything() {
    let c = check(json!({"name": "S", "subjects": ["a"], "republish": {"dest": "b.>"}})).unwrap();
    assert_eq!(
        c.republish,
        Some(RePublish {
            src: ">".into(),
            dest: "b.>".into(),
            headers_only: false
        })
    );
    // `>` to a literal is no transform.
    assert_eq!(
        check(json!({"name": "S", "subjects": ["a"], "republish": {"dest": "b"}})),
        Err(invalid(
            "stream configuration for republish with transform from '>' to 'b' not valid"
        ))
    );
}

#[test]
fn create_handler_checks() {
    let c = cfg(json!({"name": "S"}));
    assert!(check_stream_create("S", &c).is_ok());
    assert_eq!(
        serde_json::to_value(check_stream_create("T", &c).unwrap_err()).unwrap(),
        json!({"code": 400, "err_code": 10056, "description": "stream name in subject does not match request"})
    );
}

fn normalised(v: Value) -> StreamConfig {
    check(v).unwrap()
}

fn update(old: &StreamConfig, new: Value) -> Result<StreamConfig, Value> {
    let new = check_stream_update_request(
        "S",
        &cfg(new),
        &JsLimits::default(),
        &AccountLimits::default(),
    )
    .map_err(|e| serde_json::to_value(e).unwrap())?;
    check_stream_update(old, &new).map_err(|e| serde_json::to_value(e).unwrap())
}

#[test]
fn update_rules() {
    let old = normalised(json!({"name": "S", "deny_purge": true, "max_consumers": 3}));
    let refused = |what: &str| Err(invalid(&format!("stream configuration update {what}")));
    assert_eq!(
        update(&old, json!({"name": "S", "max_consumers": 3})),
        refused("can not cancel deny purge")
    );
    assert_eq!(
        update(
            &old,
            json!({"name": "S", "deny_purge": true, "max_consumers": 4})
        ),
        refused("can not change MaxConsumers")
    );
    assert_eq!(
        update(
            &old,
            json!({"name": "S", "deny_purge": true, "max_consumers": 3, "template_owner": "T"})
        ),
        refused("can not be owned by a template")
    );
    assert_eq!(
        update(
            &old,
            json!({"name": "S", "deny_purge": true, "max_consumers": 3, "num_replicas": 3})
        ),
        Err(
            json!({"code": 500, "err_code": 10074, "description": "replicas > 1 not supported in non-clustered mode"})
        )
    );
    let renamed = normalised(json!({"name": "T"}));
    assert_eq!(
        check_stream_update(&renamed, &old).map_err(|e| e.description),
        Err("stream configuration name must match original".to_owned())
    );
    let sealed = update(
        &old,
        json!({"name": "S", "deny_purge": true, "max_consumers": 3, "sealed": true, "max_age": 1_000_000_000}),
    )
    .unwrap();
    assert_eq!(
        (sealed.max_age, sealed.discard),
        (Nanos::ZERO, DiscardPolicy::New)
    );
    assert!(sealed.deny_delete && sealed.deny_purge && !sealed.allow_rollup_hdrs);
    let memory = normalised(json!({"name": "S", "storage": "memory"}));
    assert_eq!(memory.storage, StorageType::Memory);
    let mut with_transform = normalised(json!({"name": "S"}));
    with_transform.subject_transform = Some(SubjectTransformConfig {
        src: "a".into(),
        dest: "b.*".into(),
    });
    assert_eq!(
        check_stream_update(&normalised(json!({"name": "S"})), &with_transform)
            .map_err(|e| (e.err_code, e.description)),
        Err((
            10069,
            "stream configuration for subject transform from 'a' to 'b.*': invalid subject"
                .to_owned()
        ))
    );
}
