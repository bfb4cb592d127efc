//! Every consumer check with the exact error object nats-server 2.10 returns, beyond the
//! recorded transcripts (`transcripts.rs`): server and account limits, update rules, work
//! queue partitions, names, and the request-body checks of pulls and direct gets.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

use fastnats_jetstream::api::{
    check_consumer_config, check_consumer_create, check_consumer_name, check_consumer_update,
    check_direct_get, check_direct_get_last_by_subject, check_next_request, check_stream_config,
    check_workqueue_consumer, consumer_config_defaults, consumer_ephemeral_defaults,
    decode_request, parse_api_subject, parse_next_request, AccountLimits, ConsumerConfig,
    CreateConsumerRequest, JsLimits, Nanos, NextRequest, StatusReply, StreamConfig,
};
use serde_json::{json, Value};

fn stream(v: Value) -> StreamConfig {
    let cfg: StreamConfig = decode_request(v.to_string().as_bytes()).unwrap();
    check_stream_config(&cfg, &JsLimits::default(), &AccountLimits::default()).unwrap()
}

fn consumer(v: Value) -> ConsumerConfig {
    decode_request(v.to_string().as_bytes()).unwrap()
}

/// Defaults then checks, as a create does; the error as JSON.
fn check_with(
    s: &StreamConfig,
    v: Value,
    limits: &JsLimits,
    account: &AccountLimits,
) -> Result<ConsumerConfig, Value> {
    let mut c = consumer(v);
    consumer_config_defaults(&mut c, s, limits, account);
    check_consumer_config(&c, s, limits, account).map_err(|e| serde_json::to_value(e).unwrap())?;
    Ok(c)
}

fn check(s: &StreamConfig, v: Value) -> Result<ConsumerConfig, Value> {
    check_with(s, v, &JsLimits::default(), &AccountLimits::default())
}

fn error(code: u16, err_code: u16, description: &str) -> Result<ConsumerConfig, Value> {
    Err(json!({"code": code, "err_code": err_code, "description": description}))
}

#[test]
fn defaults_are_nats_servers() {
    let s = stream(json!({"name": "S"}));
    let c = check(&s, json!({"durable_name": "D", "ack_policy": "explicit"})).unwrap();
    assert_eq!(
        serde_json::to_value(&c).unwrap(),
        json!({"durable_name": "D", "deliver_policy": "all", "ack_policy": "explicit",
            "ack_wait": 30_000_000_000_i64, "max_deliver": -1, "replay_policy": "instant",
            "max_waiting": 512, "max_ack_pending": 1000, "num_replicas": 0})
    );
    let limits = JsLimits {
        max_ack_pending: 100,
        max_request_batch: 10,
        ..JsLimits::default()
    };
    let account = AccountLimits {
        max_ack_pending: 50,
        ..AccountLimits::default()
    };
    let c = check_with(&s, json!({"ack_policy": "all"}), &limits, &account).unwrap();
    assert_eq!((c.max_ack_pending, c.max_batch), (50, 10));
    let c = check(&s, json!({"ack_policy": "none", "deliver_subject": "d"})).unwrap();
    assert_eq!(
        (c.max_waiting, c.max_ack_pending, c.ack_wait),
        (0, 0, Nanos::ZERO)
    );
    let mut e = c.clone();
    consumer_ephemeral_defaults(&mut e);
    assert_eq!(e.inactive_threshold, Nanos::from_secs(5));
    let mut d = check(&s, json!({"durable_name": "D"})).unwrap();
    consumer_ephemeral_defaults(&mut d);
    assert_eq!(d.inactive_threshold, Nanos::ZERO);
}

#[test]
fn server_and_account_limits() {
    let s = stream(json!({"name": "S"}));
    let limits = JsLimits {
        max_ack_pending: 100,
        max_request_batch: 10,
        ..JsLimits::default()
    };
    let none = AccountLimits::default();
    assert_eq!(
        check_with(
            &s,
            json!({"ack_policy": "explicit", "max_ack_pending": 200}),
            &limits,
            &none
        ),
        error(
            400,
            10121,
            "consumer max ack pending exceeds system limit of 100"
        )
    );
    assert_eq!(
        check_with(&s, json!({"max_batch": 20}), &limits, &none),
        error(
            400,
            10125,
            "consumer max request batch exceeds server limit of 10"
        )
    );
}

#[test]
fn rules_the_transcripts_do_not_reach() {
    let s = stream(json!({"name": "S", "subjects": ["s.>"]}));
    assert_eq!(
        check(&s, json!({"num_replicas": 2})),
        error(
            400,
            10126,
            "consumer config replica count exceeds parent stream"
        )
    );
    assert_eq!(
        check(&s, json!({"backoff": [-1]})),
        error(400, 10184, "consumer backoff needs to be positive")
    );
    assert_eq!(
        check(
            &s,
            json!({"deliver_subject": "d", "direct": true, "durable_name": "D"})
        ),
        error(400, 10091, "consumer direct requires an ephemeral consumer")
    );
    assert!(check(&s, json!({"deliver_subject": "d", "direct": true})).is_ok());
    assert_eq!(
        check(&s, json!({"deliver_policy": "by_start_sequence", "opt_start_seq": 1, "opt_start_time": "2024-01-01T00:00:00Z"})),
        error(400, 10094, "consumer delivery policy is deliver by start sequence, but optional start time is also set")
    );
    assert_eq!(
        check(&s, json!({"sample_freq": "99999999999999999999%"})),
        error(400, 10095, "failed to parse consumer sampling configuration: strconv.Atoi: parsing \"99999999999999999999\": value out of range")
    );
    assert!(check(&s, json!({"sample_freq": "100"})).is_ok());
    assert_eq!(
        check(&s, json!({"filter_subject": "a b"})),
        error(500, 10052, "invalid subject")
    );
    // `max_deliver` -1 allows any number of backoffs.
    assert!(check(&s, json!({"ack_policy": "explicit", "backoff": [1, 2, 3]})).is_ok());
}

#[test]
fn create_request_routes() {
    let mut req: CreateConsumerRequest =
        decode_request(br#"{"stream_name":"S","config":{"durable_name":"D"}}"#).unwrap();
    let route = parse_api_subject("$JS.API.CONSUMER.CREATE.S.D").unwrap();
    check_consumer_create(route, &mut req).unwrap();
    assert_eq!(req.config.name, "D");
    let route = parse_api_subject("$JS.API.STREAM.INFO.S").unwrap();
    assert_eq!(
        check_consumer_create(route, &mut req).unwrap_err().err_code,
        10003
    );
}

#[test]
fn workqueue_partitions() {
    let s = stream(json!({"name": "W", "subjects": ["w.>"], "retention": "workqueue"}));
    let a =
        consumer(json!({"durable_name": "A", "ack_policy": "explicit", "filter_subject": "w.a"}));
    let b = consumer(
        json!({"durable_name": "B", "ack_policy": "explicit", "filter_subjects": ["w.b", "w.c"]}),
    );
    assert!(check_workqueue_consumer(&b, &s, &[&a]).is_ok());
    let c =
        consumer(json!({"durable_name": "C", "ack_policy": "explicit", "filter_subject": "w.c"}));
    assert_eq!(
        check_workqueue_consumer(&c, &s, &[&a, &b])
            .unwrap_err()
            .err_code,
        10100
    );
    let unfiltered = consumer(json!({"durable_name": "U", "ack_policy": "explicit"}));
    assert!(check_workqueue_consumer(&unfiltered, &s, &[]).is_ok());
    assert_eq!(
        check_workqueue_consumer(&c, &s, &[&unfiltered])
            .unwrap_err()
            .err_code,
        10100
    );
    let direct = consumer(json!({"ack_policy": "none", "direct": true}));
    assert!(check_workqueue_consumer(&direct, &s, &[&a]).is_ok());
    let limits = stream(json!({"name": "L"}));
    assert!(check_workqueue_consumer(&unfiltered, &limits, &[&a]).is_ok());
}

#[test]
fn names() {
    let durable = consumer(json!({"durable_name": "D".repeat(256)}));
    let d = durable.durable_name.clone();
    assert_eq!(
        check_consumer_name(&durable, &d).unwrap_err().description,
        "consumer name is too long, maximum allowed is 255"
    );
    let eph = consumer(json!({}));
    for bad in ["a.b", "a/b", "a\\b", "a b", ""] {
        assert_eq!(
            check_consumer_name(&eph, bad).unwrap_err().err_code,
            10103,
            "{bad:?}"
        );
    }
    assert!(check_consumer_name(&eph, "GENERATED").is_ok());
}

#[test]
fn update_rules() {
    let s = stream(json!({"name": "S"}));
    let old = check(
        &s,
        json!({"durable_name": "D", "ack_policy": "explicit", "deliver_subject": "x"}),
    )
    .unwrap();
    let refused = |v: Value, text: &str| {
        let new = check(&s, v).unwrap();
        let e = check_consumer_update(&old, &new, false).unwrap_err();
        assert_eq!(
            (e.code, e.err_code, e.description.as_str()),
            (500, 10012, text)
        );
    };
    refused(
        json!({"durable_name": "D", "ack_policy": "all", "deliver_subject": "x"}),
        "ack policy can not be updated",
    );
    refused(
        json!({"durable_name": "D", "ack_policy": "explicit"}),
        "can not update push consumer to pull based",
    );
    refused(
        json!({"durable_name": "D", "ack_policy": "explicit", "deliver_subject": "x", "deliver_policy": "new"}),
        "deliver policy can not be updated",
    );
    refused(
        json!({"durable_name": "D", "ack_policy": "explicit", "deliver_subject": "x", "idle_heartbeat": 1_000_000_000}),
        "heart beats can not be updated",
    );
    let moved = check(
        &s,
        json!({"durable_name": "D", "ack_policy": "explicit", "deliver_subject": "y"}),
    )
    .unwrap();
    assert!(check_consumer_update(&old, &moved, false).is_ok());
    assert_eq!(
        check_consumer_update(&old, &moved, true)
            .unwrap_err()
            .err_code,
        10013
    );
    let more = check(&s, json!({"durable_name": "D", "ack_policy": "explicit", "deliver_subject": "x", "max_ack_pending": 5})).unwrap();
    assert!(check_consumer_update(&old, &more, false).is_ok());
    assert!(check_consumer_update(&old, &old, true).is_ok());
}

fn status(code: u16, description: &str) -> StatusReply {
    StatusReply {
        code,
        description: description.to_owned(),
    }
}

#[test]
fn pull_requests() {
    assert_eq!(parse_next_request(b"").unwrap().batch, 1);
    assert_eq!(parse_next_request(b" 10 ").unwrap().batch, 10);
    assert_eq!(parse_next_request(b"junk").unwrap().batch, 1);
    assert_eq!(
        parse_next_request(br#"{"no_wait":true}"#).unwrap(),
        NextRequest {
            no_wait: true,
            ..NextRequest::default()
        }
    );
    assert_eq!(
        parse_next_request(br#"{"idle_heartbeat":5}"#),
        Err(status(400, "Bad Request - heartbeat value too large"))
    );
    assert_eq!(
        status(409, "Consumer is push based").header(),
        b"NATS/1.0 409 Consumer is push based\r\n\r\n"
    );
    let pull = consumer(json!({"max_batch": 0}));
    assert!(check_next_request(
        &pull,
        &NextRequest {
            batch: 1_000_000,
            ..NextRequest::default()
        }
    )
    .is_ok());
}

#[test]
fn direct_gets() {
    let bad = Err(status(408, "Bad Request"));
    for body in [
        json!({"last_by_subj": "a", "batch": 2}),
        json!({"last_by_subj": "a", "multi_last": ["b"]}),
        json!({"next_by_subj": "a", "multi_last": ["b"]}),
        json!({"seq": 1, "start_time": "2024-01-01T00:00:00Z"}),
        json!({"multi_last": ["a"], "up_to_seq": 3, "up_to_time": "2024-01-01T00:00:00Z"}),
    ] {
        assert_eq!(
            check_direct_get(body.to_string().as_bytes()).map(drop),
            bad,
            "{body}"
        );
    }
    let ok = check_direct_get(br#"{"multi_last":["a.>"],"up_to_seq":3,"batch":10}"#).unwrap();
    assert_eq!((ok.multi_last.len(), ok.up_to_seq, ok.batch), (1, 3, 10));
    assert_eq!(
        check_direct_get_last_by_subject("a.b", b"")
            .unwrap()
            .last_by_subj,
        "a.b"
    );
    assert_eq!(
        check_direct_get_last_by_subject("", b""),
        Err(status(408, "Bad Request"))
    );
}
