//! The batching [`Publisher`] without sockets: recipients' queues and wake-ups read back.

use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;

use super::{internal_connection, PublishError, Publisher};
use crate::account::Account;
use crate::connection::Connection;
use crate::kind::Kind;
use crate::stats::ServerStats;
use crate::subscription::SubRef;

fn client(account: &Arc<Account>, cid: u64, subject: &str) -> Arc<Connection> {
    let addr = "127.0.0.1:4222".parse().expect("address");
    let conn = Arc::new(Connection::new(
        cid,
        Kind::Client,
        account.clone(),
        1 << 20,
        addr,
    ));
    let sub = SubRef::new(conn.clone(), subject.as_bytes(), None, b"1");
    account.index.insert(sub.clone()).expect("valid subject");
    conn.subs.lock().insert(b"1".as_slice().into(), sub);
    conn
}

/// Whether `conn` was woken (flushed) since the last call: takes the stored permit.
fn woken(conn: &Connection) -> bool {
    let notified = conn.wake.notified();
    let mut notified = std::pin::pin!(notified);
    notified.as_mut().enable()
}

#[test]
fn a_batch_is_queued_without_wake_ups_then_flushed_once() {
    let account = Arc::new(Account::new("$G", true));
    let stats = Arc::new(ServerStats::default());
    let a = client(&account, 1, "a.*");
    let b = client(&account, 2, "b");
    let mut p = Publisher::new(
        internal_connection(9, account.clone(), 0),
        account.clone(),
        stats.clone(),
    );
    for i in 0..3 {
        let body = i.to_string();
        assert_eq!(p.publish(b"a.x", None, None, body.as_bytes()), Ok(1));
        assert_eq!(
            p.publish(b"b", Some(b"r.1"), Some(b"NATS/1.0\r\n\r\n"), b"h"),
            Ok(1)
        );
    }
    assert_eq!(p.publish(b"nobody", None, None, b"x"), Ok(0));
    assert!(
        !woken(&a) && !woken(&b),
        "nothing flushed before the batch ends"
    );
    assert_eq!(
        a.out.lock().buf,
        b"MSG a.x 1 1\r\n0\r\nMSG a.x 1 1\r\n1\r\nMSG a.x 1 1\r\n2\r\n"
    );
    p.flush();
    assert!(woken(&a) && woken(&b), "each recipient flushed at the end");
    // Sent like any message, received from nobody: the server's own.
    assert_eq!(stats.out_msgs.load(Relaxed), 6);
    assert_eq!(stats.in_msgs.load(Relaxed), 0);
    p.flush();
    assert!(!woken(&a) && !woken(&b), "an empty batch flushes nobody");
}

#[test]
fn bad_subjects_are_refused() {
    let account = Arc::new(Account::new("$G", true));
    let stats = Arc::new(ServerStats::default());
    let mut p = Publisher::new(internal_connection(9, account.clone(), 0), account, stats);
    assert_eq!(
        p.publish(b"a.*", None, None, b"x"),
        Err(PublishError::InvalidSubject("a.*".into()))
    );
    assert_eq!(
        p.publish(b"a", Some(b"r..x"), None, b"x"),
        Err(PublishError::InvalidReply("r..x".into()))
    );
}
