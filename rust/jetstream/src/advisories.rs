//! JetStream's advisories and ack metrics on `$JS.EVENT.>`, as nats-server sends them
//! (`jetstream_events.go`): each is built only when someone in the account subscribes to
//! its subject, and is JSON with nats-server's field names in its order: `type`, `id` (22
//! base-62 characters, like nats-server's nuid; random here), `timestamp` (UTC, RFC 3339
//! with nanoseconds), then the event's fields, `domain` last and left out when empty.
//!
//! | subject | `type` (`io.nats.jetstream.…`) | when |
//! |---|---|---|
//! | `$JS.EVENT.ADVISORY.STREAM.CREATED.<s>` | `advisory.v1.stream_action` (`create`) | a stream is made, before the API reply |
//! | `$JS.EVENT.ADVISORY.STREAM.UPDATED.<s>` | `advisory.v1.stream_action` (`modify`) | an update, before the reply |
//! | `$JS.EVENT.ADVISORY.STREAM.DELETED.<s>` | `advisory.v1.stream_action` (`delete`) | a delete, after its consumers' |
//! | `$JS.EVENT.ADVISORY.CONSUMER.CREATED.<s>.<c>` | `advisory.v1.consumer_action` (`create`) | a consumer is made (not an identical create again) |
//! | `$JS.EVENT.ADVISORY.CONSUMER.DELETED.<s>.<c>` | `advisory.v1.consumer_action` (`delete`) | a delete, an inactive one's removal, its stream's delete |
//! | `$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.<s>.<c>` | `advisory.v1.max_deliver` | the next delivery of a message would pass `max_deliver` |
//! | `$JS.EVENT.ADVISORY.CONSUMER.MSG_NAKED.<s>.<c>` | `advisory.v1.nak` | a `-NAK` of a pending message |
//! | `$JS.EVENT.ADVISORY.CONSUMER.MSG_TERMINATED.<s>.<c>` | `advisory.v1.terminated` | every `+TERM` (`reason` left out when empty) |
//! | `$JS.EVENT.METRIC.CONSUMER.ACK.<s>.<c>` | `metric.v1.consumer_ack` | an explicit ack (or `+NXT`) of a pending message, sampled by `sample_freq` |
//!
//! nats-server 2.10 and 2.11+ send these with the same fields (2.10's stream action has an
//! omitted `template` besides). Not sent: `$JS.EVENT.ADVISORY.API` (the API audit, which
//! carries the requester's client details the internal subscriptions do not see), and the
//! advisories of features fastnats lacks (snapshots, restores, clustering, pauses, pinned
//! groups).

use rand::Rng as _;
use serde::Serialize;

use crate::api::Timestamp;
use crate::consumer::pump::Out;
use crate::consumer::Consumer;
use crate::Ctx;

/// A stream or consumer action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// Made.
    Create,
    /// Updated.
    Modify,
    /// Deleted.
    Delete,
}

/// nats-server's `TypedEvent` and the event's own fields.
#[derive(Serialize)]
struct Event<'a, T: Serialize> {
    #[serde(rename = "type")]
    kind: &'a str,
    id: String,
    timestamp: Timestamp,
    #[serde(flatten)]
    body: T,
}

/// A nuid-shaped id: 22 base-62 characters.
fn event_id() -> String {
    const DIGITS: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let mut rng = rand::thread_rng();
    (0..22)
        .map(|_| char::from(DIGITS[rng.gen_range(0..DIGITS.len())]))
        .collect()
}

fn encode<T: Serialize>(kind: &str, body: T) -> Vec<u8> {
    let e = Event {
        kind,
        id: event_id(),
        timestamp: Timestamp::from(std::time::SystemTime::now()),
        body,
    };
    serde_json::to_vec(&e).unwrap_or_default()
}

fn domain(ctx: &Ctx) -> &str {
    ctx.opts.domain.as_deref().unwrap_or_default()
}

/// `event` for `subject` if anyone listens (built only then).
fn build<T: Serialize>(
    ctx: &Ctx,
    subject: String,
    kind: &str,
    event: impl FnOnce() -> T,
) -> Option<Out> {
    if !ctx.engine.has_interest(subject.as_bytes()) {
        return None;
    }
    let payload = encode(kind, event());
    Some(Out {
        route: subject,
        subject: None,
        reply: None,
        headers: None,
        payload: payload.into(),
    })
}

fn send_now(ctx: &Ctx, out: Option<Out>) {
    if let Some(o) = out {
        ctx.reply(o.route.as_bytes(), None, &o.payload);
    }
}

const STREAM_ACTION: &str = "io.nats.jetstream.advisory.v1.stream_action";
const CONSUMER_ACTION: &str = "io.nats.jetstream.advisory.v1.consumer_action";
const MAX_DELIVER: &str = "io.nats.jetstream.advisory.v1.max_deliver";
const NAK: &str = "io.nats.jetstream.advisory.v1.nak";
const TERMINATED: &str = "io.nats.jetstream.advisory.v1.terminated";
const ACK_METRIC: &str = "io.nats.jetstream.metric.v1.consumer_ack";

#[derive(Serialize)]
struct StreamAction<'a> {
    stream: &'a str,
    action: Action,
    #[serde(skip_serializing_if = "str::is_empty")]
    domain: &'a str,
}

/// Sends stream `stream`'s action advisory now.
pub fn stream_action(ctx: &Ctx, stream: &str, action: Action) {
    let verb = match action {
        Action::Create => "CREATED",
        Action::Modify => "UPDATED",
        Action::Delete => "DELETED",
    };
    let subject = format!("$JS.EVENT.ADVISORY.STREAM.{verb}.{stream}");
    let out = build(ctx, subject, STREAM_ACTION, || StreamAction {
        stream,
        action,
        domain: domain(ctx),
    });
    send_now(ctx, out);
}

#[derive(Serialize)]
struct ConsumerAction<'a> {
    stream: &'a str,
    consumer: &'a str,
    action: Action,
    #[serde(skip_serializing_if = "str::is_empty")]
    domain: &'a str,
}

/// Sends consumer `c`'s action advisory now (create or delete).
pub fn consumer_action(c: &Consumer, action: Action) {
    let verb = if action == Action::Delete {
        "DELETED"
    } else {
        "CREATED"
    };
    let subject = format!(
        "$JS.EVENT.ADVISORY.CONSUMER.{verb}.{}.{}",
        c.stream_name, c.name
    );
    let out = build(&c.ctx, subject, CONSUMER_ACTION, || ConsumerAction {
        stream: &c.stream_name,
        consumer: &c.name,
        action,
        domain: domain(&c.ctx),
    });
    send_now(&c.ctx, out);
}

#[derive(Serialize)]
struct MaxDeliver<'a> {
    stream: &'a str,
    consumer: &'a str,
    stream_seq: u64,
    deliveries: u64,
    #[serde(skip_serializing_if = "str::is_empty")]
    domain: &'a str,
}

/// The advisory that stream sequence `sseq`, delivered `deliveries` times, reached
/// `max_deliver`.
#[must_use]
pub fn max_deliver(c: &Consumer, sseq: u64, deliveries: u64) -> Option<Out> {
    let subject = format!(
        "$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.{}.{}",
        c.stream_name, c.name
    );
    build(&c.ctx, subject, MAX_DELIVER, || MaxDeliver {
        stream: &c.stream_name,
        consumer: &c.name,
        stream_seq: sseq,
        deliveries,
        domain: domain(&c.ctx),
    })
}

/// One delivery, as the nak and term advisories give it.
#[derive(Serialize)]
struct Delivery<'a> {
    stream: &'a str,
    consumer: &'a str,
    consumer_seq: u64,
    stream_seq: u64,
    deliveries: u64,
    #[serde(skip_serializing_if = "str::is_empty")]
    reason: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    domain: &'a str,
}

/// The `-NAK` advisory of delivery `dseq` of stream sequence `sseq` (its `dc`th).
#[must_use]
pub fn nak(c: &Consumer, dseq: u64, sseq: u64, dc: u64) -> Option<Out> {
    let subject = format!(
        "$JS.EVENT.ADVISORY.CONSUMER.MSG_NAKED.{}.{}",
        c.stream_name, c.name
    );
    build(&c.ctx, subject, NAK, || Delivery {
        stream: &c.stream_name,
        consumer: &c.name,
        consumer_seq: dseq,
        stream_seq: sseq,
        deliveries: dc,
        reason: "",
        domain: domain(&c.ctx),
    })
}

/// The `+TERM` advisory of delivery `dseq` of stream sequence `sseq`.
#[must_use]
pub fn terminated(c: &Consumer, dseq: u64, sseq: u64, dc: u64, reason: &str) -> Option<Out> {
    let subject = format!(
        "$JS.EVENT.ADVISORY.CONSUMER.MSG_TERMINATED.{}.{}",
        c.stream_name, c.name
    );
    build(&c.ctx, subject, TERMINATED, || Delivery {
        stream: &c.stream_name,
        consumer: &c.name,
        consumer_seq: dseq,
        stream_seq: sseq,
        deliveries: dc,
        reason,
        domain: domain(&c.ctx),
    })
}

#[derive(Serialize)]
struct AckMetric<'a> {
    stream: &'a str,
    consumer: &'a str,
    consumer_seq: u64,
    stream_seq: u64,
    ack_time: i64,
    deliveries: u64,
    #[serde(skip_serializing_if = "str::is_empty")]
    domain: &'a str,
}

/// The ack metric of delivery `dseq` of `sseq`, acked `ack_time` ns after it was sent.
#[must_use]
pub fn ack_metric(c: &Consumer, dseq: u64, sseq: u64, ack_time: i64, dc: u64) -> Option<Out> {
    let subject = format!("$JS.EVENT.METRIC.CONSUMER.ACK.{}.{}", c.stream_name, c.name);
    build(&c.ctx, subject, ACK_METRIC, || AckMetric {
        stream: &c.stream_name,
        consumer: &c.name,
        consumer_seq: dseq,
        stream_seq: sseq,
        ack_time,
        deliveries: dc,
        domain: domain(&c.ctx),
    })
}

/// Whether this ack is sampled under `sample_freq` (nats-server's `shouldSample`: the
/// number before an optional `%`; 0 or unreadable never, 100 or more always, else a
/// random draw of 0..100 at most it).
#[must_use]
pub fn should_sample(sample_freq: &str) -> bool {
    let freq: i64 = sample_freq
        .strip_suffix('%')
        .unwrap_or(sample_freq)
        .parse()
        .unwrap_or(0);
    match freq {
        f if f <= 0 => false,
        f if f >= 100 => true,
        f => rand::thread_rng().gen_range(0..100) <= f,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_have_nats_servers_field_order() {
        let body = encode(
            NAK,
            Delivery {
                stream: "S",
                consumer: "C",
                consumer_seq: 2,
                stream_seq: 3,
                deliveries: 1,
                reason: "",
                domain: "",
            },
        );
        let text = String::from_utf8(body).unwrap();
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
        assert!(text.starts_with(r#"{"type":"io.nats.jetstream.advisory.v1.nak","id":""#));
        assert!(
            text.ends_with(
                r#""stream":"S","consumer":"C","consumer_seq":2,"stream_seq":3,"deliveries":1}"#
            ),
            "{text}"
        );
        assert_eq!(keys.len(), 8);
        assert_eq!(v["id"].as_str().unwrap().len(), 22);
        assert!(v["timestamp"].as_str().unwrap().ends_with('Z'));
    }

    #[test]
    fn sampling_follows_sample_freq() {
        assert!(!should_sample(""));
        assert!(!should_sample("0%"));
        assert!(!should_sample("x"));
        assert!(should_sample("100%"));
        assert!(should_sample("100"));
    }
}
