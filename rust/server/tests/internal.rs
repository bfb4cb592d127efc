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
    assert_eq!(engine.publish(b"orders.new", None, None, b"hello"), Ok(1));
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
        engine.publish(b"svc", Some(b"_INBOX.1"), Some(headers), b"hi"),
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
        assert_eq!(engine.publish(b"work", None, None, b"x"), Ok(1));
    }
    let got = a.msgs_until_pong().await.len() + b.msgs_until_pong().await.len();
    assert_eq!(got, 20);
    engine.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn nobody_listening_means_nothing_delivered() {
    let engine = start_default().await;
    assert_eq!(engine.publish(b"nobody", None, None, b"x"), Ok(0));
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
        engine.publish(b"a.*", None, None, b"x"),
        Err(PublishError::InvalidSubject("a.*".into()))
    );
    assert_eq!(
        engine.publish(b"a..b", None, None, b"x"),
        Err(PublishError::InvalidSubject("a..b".into()))
    );
    assert_eq!(
        engine.publish(b"a", Some(b"r.>"), None, b"x"),
        Err(PublishError::InvalidReply("r.>".into()))
    );
    assert_eq!(
        engine.publish(b"a", None, None, b"123456789"),
        Err(PublishError::PayloadTooLarge { size: 9, max: 8 })
    );
    assert_eq!(engine.publish(b"a", None, None, b"12345678"), Ok(0));
    engine.shutdown().await;
}
