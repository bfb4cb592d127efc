//! The server's own client: publishes from the embedding application reach subscribers as a
//! connected client's messages do.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use fastnats_server::internal::PublishError;

#[tokio::test(start_paused = true)]
async fn a_subscriber_gets_what_the_application_publishes() {
    let engine = start_default().await;
    let mut sub = Client::connected(&engine).await;
    sub.send(b"SUB orders.* 1\r\n").await;
    sub.sync().await;
    assert_eq!(
        engine.publish(b"orders.new", None, None, b"hello", None),
        Ok(1)
    );
    sub.expect(b"MSG orders.new 1 5\r\nhello\r\n").await;
    sub.sync().await;
    assert_eq!(engine.stats().in_msgs, 1);
    assert_eq!(engine.stats().out_msgs, 1);
    engine.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn reply_and_headers_are_carried() {
    let engine = start_default().await;
    let mut sub = Client::new(&engine).await;
    sub.connect(r#"{"verbose":false,"headers":true}"#).await;
    sub.send(b"SUB svc 9\r\n").await;
    sub.sync().await;
    let headers = b"NATS/1.0\r\nA: b\r\n\r\n";
    assert_eq!(
        engine.publish(b"svc", Some(b"_INBOX.1"), Some(headers), b"hi", None),
        Ok(1)
    );
    sub.expect(b"HMSG svc 9 _INBOX.1 18 20\r\nNATS/1.0\r\nA: b\r\n\r\nhi\r\n")
        .await;
    sub.sync().await;
    engine.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn a_queue_group_shares_the_applications_messages() {
    let engine = start_default().await;
    let mut a = Client::connected(&engine).await;
    let mut b = Client::connected(&engine).await;
    a.send(b"SUB work q 1\r\n").await;
    b.send(b"SUB work q 1\r\n").await;
    a.sync().await;
    b.sync().await;
    for _ in 0..20 {
        assert_eq!(engine.publish(b"work", None, None, b"x", None), Ok(1));
    }
    let got = a.msgs_until_pong().await.len() + b.msgs_until_pong().await.len();
    assert_eq!(got, 20);
    engine.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn a_publisher_batch_reaches_the_subscriber_in_order_counted_as_the_servers() {
    let engine = start_default().await;
    let mut sub = Client::connected(&engine).await;
    sub.send(b"SUB acks.* 1\r\n").await;
    sub.sync().await;
    let mut p = engine.publisher();
    for i in 0..5 {
        let subject = format!("acks.{i}");
        assert_eq!(p.publish(subject.as_bytes(), None, None, b"ok"), Ok(1));
    }
    p.flush();
    for i in 0..5 {
        sub.expect(format!("MSG acks.{i} 1 2\r\nok\r\n").as_bytes())
            .await;
    }
    sub.sync().await;
    let stats = engine.stats();
    assert_eq!(stats.out_msgs, 5);
    assert_eq!(
        stats.in_msgs, 0,
        "the server's own messages are received from nobody"
    );
    engine.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn nobody_listening_means_nothing_delivered() {
    let engine = start_default().await;
    assert_eq!(engine.publish(b"nobody", None, None, b"x", None), Ok(0));
    engine.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn bad_subjects_and_oversized_messages_are_refused() {
    let engine = start(fastnats_server::Config {
        max_payload: 8,
        ..config()
    })
    .await;
    assert_eq!(
        engine.publish(b"a.*", None, None, b"x", None),
        Err(PublishError::InvalidSubject("a.*".into()))
    );
    assert_eq!(
        engine.publish(b"a..b", None, None, b"x", None),
        Err(PublishError::InvalidSubject("a..b".into()))
    );
    assert_eq!(
        engine.publish(b"a", Some(b"r.>"), None, b"x", None),
        Err(PublishError::InvalidReply("r.>".into()))
    );
    assert_eq!(
        engine.publish(b"a", None, None, b"123456789", None),
        Err(PublishError::PayloadTooLarge { size: 9, max: 8 })
    );
    assert_eq!(engine.publish(b"a", None, None, b"12345678", None), Ok(0));
    engine.shutdown().await;
}

// Internal subscriptions: their handlers run on blocking threads, so these tests use a real
// clock (a paused clock does not move while a blocking task runs); nothing is timed.

use std::sync::{Arc, Mutex};

use fastnats_proto::CloseReason;
use fastnats_server::internal::{InternalBatch, InternalHandler};

type Got = (String, Option<String>, Option<Vec<u8>>, Vec<u8>);

/// Collects what it is handed; optionally blocks in its first batch until released.
#[derive(Default)]
struct Collect {
    got: Mutex<Vec<Got>>,
    batches: Mutex<usize>,
    hold: Mutex<Option<std::sync::mpsc::Receiver<()>>>,
}

impl InternalHandler for Collect {
    fn deliver(&self, batch: &InternalBatch) {
        if let Some(rx) = self.hold.lock().unwrap().take() {
            let _ = rx.recv();
        }
        *self.batches.lock().unwrap() += 1;
        let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        let mut got = self.got.lock().unwrap();
        for m in batch.iter() {
            got.push((
                text(m.subject),
                m.reply.map(text),
                m.headers.map(<[u8]>::to_vec),
                m.payload.to_vec(),
            ));
        }
    }
}

impl Collect {
    fn count(&self) -> usize {
        self.got.lock().unwrap().len()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_handler_gets_what_a_client_publishes() {
    let engine = start_default().await;
    let h = Arc::new(Collect::default());
    let _sub = engine
        .subscribe(b"orders.>", None, None, None, h.clone())
        .unwrap();
    let mut publ = Client::new(&engine).await;
    publ.connect(r#"{"verbose":false,"headers":true}"#).await;
    publ.send(b"PUB orders.eu.new _INBOX.7 5\r\nhello\r\n")
        .await;
    publ.send(b"HPUB orders.us 18 20\r\nNATS/1.0\r\nA: b\r\n\r\nhi\r\n")
        .await;
    publ.sync().await;
    eventually("two messages handled", || h.count() == 2).await;
    let got = h.got.lock().unwrap().clone();
    assert_eq!(
        got[0],
        (
            "orders.eu.new".to_string(),
            Some("_INBOX.7".to_string()),
            None,
            b"hello".to_vec()
        )
    );
    assert_eq!(
        got[1],
        (
            "orders.us".to_string(),
            None,
            Some(b"NATS/1.0\r\nA: b\r\n\r\n".to_vec()),
            b"hi".to_vec()
        )
    );
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_internal_subscription_on_many_subjects_keeps_publish_order() {
    let engine = start_default().await;
    let h = Arc::new(Collect::default());
    let before = engine.stats().subscriptions;
    let sub = engine
        .subscribe_internal_many(&[b"x", b"y.*"], None, 1 << 20, 1 << 19, h.clone())
        .unwrap();
    let mut publ = Client::connected(&engine).await;
    let mut all = Vec::new();
    for i in 0..100 {
        let subject = if i % 2 == 0 { "x" } else { "y.1" };
        all.extend_from_slice(
            format!("PUB {subject} {}\r\n{i}\r\n", i.to_string().len()).as_bytes(),
        );
    }
    publ.send(&all).await;
    publ.sync().await;
    eventually("100 handled", || h.count() == 100).await;
    let got: Vec<(String, String)> = h
        .got
        .lock()
        .unwrap()
        .iter()
        .map(|g| (g.0.clone(), String::from_utf8(g.3.clone()).unwrap()))
        .collect();
    let expected: Vec<(String, String)> = (0..100)
        .map(|i| {
            (
                if i % 2 == 0 { "x" } else { "y.1" }.to_string(),
                i.to_string(),
            )
        })
        .collect();
    assert_eq!(got, expected);
    assert_eq!(sub.delivered(), 100);
    assert_eq!(engine.stats().subscriptions, before + 2);
    drop(sub);
    assert_eq!(
        engine.stats().subscriptions,
        before,
        "both subjects unsubscribed"
    );
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_application_talks_to_itself_and_order_is_kept() {
    let engine = start_default().await;
    let h = Arc::new(Collect::default());
    let _sub = engine.subscribe(b"n", None, None, None, h.clone()).unwrap();
    for i in 0..1000u32 {
        assert_eq!(
            engine.publish(b"n", None, None, i.to_string().as_bytes(), None),
            Ok(1)
        );
    }
    eventually("1000 handled", || h.count() == 1000).await;
    let payloads: Vec<String> = h
        .got
        .lock()
        .unwrap()
        .iter()
        .map(|g| String::from_utf8(g.3.clone()).unwrap())
        .collect();
    let expected: Vec<String> = (0..1000).map(|i| i.to_string()).collect();
    assert_eq!(payloads, expected);
    assert!(*h.batches.lock().unwrap() <= 1000);
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_queue_group_shared_with_a_client_gets_each_message_once() {
    let engine = start_default().await;
    let h = Arc::new(Collect::default());
    let _sub = engine
        .subscribe(b"work", Some(b"q"), None, None, h.clone())
        .unwrap();
    let mut member = Client::connected(&engine).await;
    member.send(b"SUB work q 1\r\n").await;
    member.sync().await;
    for _ in 0..200 {
        assert_eq!(engine.publish(b"work", None, None, b"x", None), Ok(1));
    }
    let on_wire = member.msgs_until_pong().await.len();
    eventually("every message handled once", || h.count() + on_wire == 200).await;
    assert!(on_wire > 0 && h.count() > 0, "{on_wire} / {}", h.count());
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unsubscribe_stops_delivery_and_frees_the_subject() {
    let engine = start_default().await;
    let h = Arc::new(Collect::default());
    let sub = engine.subscribe(b"a", None, None, None, h.clone()).unwrap();
    assert_eq!(client_subscriptions(&engine), 1);
    assert_eq!(engine.publish(b"a", None, None, b"1", None), Ok(1));
    eventually("one handled", || h.count() == 1).await;
    sub.unsubscribe();
    assert_eq!(client_subscriptions(&engine), 0);
    assert_eq!(engine.publish(b"a", None, None, b"2", None), Ok(0));
    assert_eq!(sub.closed(), Some(CloseReason::ClientClosed));
    drop(sub);
    assert_eq!(h.count(), 1);
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_handler_that_falls_behind_is_a_slow_consumer_and_nobody_else_waits() {
    let engine = start_default().await;
    let (release, hold) = std::sync::mpsc::channel();
    let slow = Arc::new(Collect {
        hold: Mutex::new(Some(hold)),
        ..Collect::default()
    });
    let fine = Arc::new(Collect::default());
    let slow_sub = engine
        .subscribe(b"s", None, Some(4096), None, slow.clone())
        .unwrap();
    let _fine_sub = engine
        .subscribe(b"s", None, None, None, fine.clone())
        .unwrap();
    assert_eq!(engine.publish(b"s", None, None, b"first", None), Ok(2));
    // The slow handler is now stuck in its first batch; its queue fills up.
    eventually("first batch taken", || {
        slow_sub.closed().is_none() && fine.count() == 1
    })
    .await;
    let payload = [b'x'; 512];
    for _ in 0..20 {
        engine.publish(b"s", None, None, &payload, None).unwrap();
    }
    assert_eq!(
        slow_sub.closed(),
        Some(CloseReason::SlowConsumerPendingBytes)
    );
    assert_eq!(engine.stats().slow_consumers, 1);
    eventually("the other handler got everything", || fine.count() == 21).await;
    release.send(()).unwrap();
    eventually("the stuck batch finished", || slow.count() == 1).await;
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_subject_is_refused() {
    let engine = start_default().await;
    let h = Arc::new(Collect::default());
    assert!(engine
        .subscribe(b"a..b", None, None, None, h.clone())
        .is_err());
    assert!(engine.subscribe(b"", None, None, None, h).is_err());
    engine.shutdown().await;
}

/// alice may publish under `a.>` only and may not subscribe under `secret.>`.
fn alice_config() -> fastnats_server::Config {
    use fastnats_server::auth::{AuthConfig, Permissions, SubjectPermission, User};
    let perms = Permissions {
        publish: Some(SubjectPermission {
            allow: vec!["a.>".into()],
            deny: vec![],
        }),
        subscribe: Some(SubjectPermission {
            allow: vec![],
            deny: vec!["secret.>".into()],
        }),
        allow_responses: None,
    };
    fastnats_server::Config {
        auth: AuthConfig {
            users: vec![User {
                user: "alice".into(),
                password: "pw".into(),
                permissions: Some(perms),
                allowed_connection_types: Vec::new(),
            }],
            ..AuthConfig::default()
        },
        ..config()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_application_acting_as_a_user_gets_its_permissions() {
    use fastnats_server::internal::SubscribeError;
    let engine = start(alice_config()).await;
    let alice = Some("alice");
    assert_eq!(engine.publish(b"a.x", None, None, b"1", alice), Ok(0));
    assert_eq!(
        engine.publish(b"b", None, None, b"1", alice),
        Err(PublishError::PermissionViolation("b".into()))
    );
    assert_eq!(
        engine.publish(b"a.x", None, None, b"1", Some("mallory")),
        Err(PublishError::UnknownUser("mallory".into()))
    );
    assert_eq!(
        engine.publish(b"b", None, None, b"1", None),
        Ok(0),
        "the server itself"
    );
    let h = Arc::new(Collect::default());
    assert_eq!(
        engine
            .subscribe(b"secret.x", None, None, alice, h.clone())
            .err(),
        Some(SubscribeError::PermissionViolation("secret.x".into()))
    );
    // A wildcard overlapping the deny entry is allowed, and its deliveries are filtered.
    let _all = engine
        .subscribe(b">", None, None, alice, h.clone())
        .unwrap();
    engine
        .publish(b"secret.y", None, None, b"hidden", None)
        .unwrap();
    engine
        .publish(b"public.y", None, None, b"shown", None)
        .unwrap();
    eventually("the public message", || h.count() == 1).await;
    assert_eq!(h.got.lock().unwrap()[0].3, b"shown".to_vec());
    engine.shutdown().await;
}

/// Answers on the delivery task what it can (payload `now`), the rest on the pool.
#[derive(Default)]
struct Split {
    seen: Mutex<Vec<(String, &'static str)>>,
}

impl InternalHandler for Split {
    fn deliver(&self, batch: &InternalBatch) {
        for m in batch.iter() {
            let p = String::from_utf8_lossy(m.payload).into_owned();
            self.seen.lock().unwrap().push((p, "deliver"));
        }
    }

    fn try_deliver_now(&self, batch: &InternalBatch) -> bool {
        if batch.iter().any(|m| m.payload != b"now") {
            return false;
        }
        for _ in batch.iter() {
            self.seen.lock().unwrap().push(("now".into(), "now"));
        }
        true
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_handler_may_take_a_batch_on_the_delivery_task_or_leave_it_to_the_pool() {
    let engine = start_default().await;
    let h = Arc::new(Split::default());
    let _sub = engine
        .subscribe(b"svc", None, None, None, h.clone())
        .unwrap();
    let mut publ = Client::connected(&engine).await;
    for (i, body) in ["now", "later", "now"].iter().enumerate() {
        publ.send(format!("PUB svc {}\r\n{body}\r\n", body.len()).as_bytes())
            .await;
        publ.sync().await;
        eventually("handled", || h.seen.lock().unwrap().len() == i + 1).await;
    }
    let seen = h.seen.lock().unwrap().clone();
    let want = [("now", "now"), ("later", "deliver"), ("now", "now")];
    let seen: Vec<(&str, &str)> = seen.iter().map(|(p, w)| (p.as_str(), *w)).collect();
    assert_eq!(seen, want);
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resubscribe_swaps_the_subjects_in_place() {
    let engine = start_default().await;
    let h = Arc::new(Collect::default());
    let before = engine.stats().subscriptions;
    let mut sub = engine
        .subscribe_internal_many(&[b"a.*"], None, 1 << 20, 1 << 20, h.clone())
        .unwrap();
    assert_eq!(engine.publish(b"a.x", None, None, b"1", None), Ok(1));
    sub.resubscribe(&[b"a.>", b"b"]).unwrap();
    // Old and new both match a.x: it still arrives once.
    assert_eq!(engine.publish(b"a.x", None, None, b"2", None), Ok(1));
    assert_eq!(engine.publish(b"a.x.y", None, None, b"3", None), Ok(1));
    assert_eq!(engine.publish(b"b", None, None, b"4", None), Ok(1));
    assert!(sub.resubscribe(&[b"c", b"bad..subject"]).is_err());
    assert_eq!(
        engine.publish(b"b", None, None, b"5", None),
        Ok(1),
        "unchanged"
    );
    sub.resubscribe(&[b"c"]).unwrap();
    assert_eq!(engine.publish(b"a.x", None, None, b"-", None), Ok(0));
    assert_eq!(engine.publish(b"c", None, None, b"6", None), Ok(1));
    eventually("six messages handled", || h.count() == 6).await;
    let got: Vec<Vec<u8>> = h.got.lock().unwrap().iter().map(|g| g.3.clone()).collect();
    assert_eq!(got, [b"1", b"2", b"3", b"4", b"5", b"6"]);
    assert_eq!(engine.stats().subscriptions, before + 1);
    drop(sub);
    engine.shutdown().await;
}
