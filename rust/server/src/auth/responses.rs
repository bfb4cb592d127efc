//! `allow_responses`: a user may publish to the reply subject of a message it received, a
//! limited number of times within a limited time, even where its publish permissions say no
//! (nats-server's `c.replies` map, `deliverMsg` and `pubAllowedFullCheck`).
//!
//! One [`ResponseTracker`] per connection whose permissions grant `allow_responses`:
//! - on every delivery to that connection of a message that has a reply subject, call
//!   [`ResponseTracker::record`] (this (re)starts that reply subject's allowance, even if it
//!   was used up);
//! - on a PUB that the static permissions refuse, call [`ResponseTracker::allow`]: it counts
//!   the response and says whether it is still within `max` and `expires`.
//!
//! Deliveries happen on publishers' threads and PUBs on the owner's reader, so the caller
//! keeps the tracker behind the connection's lock. Checked against nats-server 2.15.1:
//! with `max: 2` the third response is refused, an expired reply subject is refused, and a
//! new request with the same reply subject allows responses again.

use std::collections::HashMap;
use std::time::Instant;

use super::config::ResponsePermission;

/// nats-server's `replyPermLimit`: past this many tracked reply subjects, used-up and
/// expired ones are dropped.
pub const REPLY_PERM_LIMIT: usize = 4096;

#[derive(Debug, Clone, Copy)]
struct Reply {
    delivered: Instant,
    sent: usize,
}

/// The reply subjects one connection may still answer.
#[derive(Debug)]
pub struct ResponseTracker {
    perm: ResponsePermission,
    replies: HashMap<Box<[u8]>, Reply, foldhash::fast::RandomState>,
}

impl ResponseTracker {
    /// A tracker for the user's `allow_responses` limits.
    pub fn new(perm: ResponsePermission) -> Self {
        ResponseTracker {
            perm,
            replies: HashMap::default(),
        }
    }

    /// The permission this tracker enforces.
    pub fn permission(&self) -> ResponsePermission {
        self.perm
    }

    /// A message with reply subject `reply` was delivered to this connection at `now`.
    pub fn record(&mut self, reply: &[u8], now: Instant) {
        if reply.is_empty() {
            return;
        }
        self.replies.insert(
            reply.into(),
            Reply {
                delivered: now,
                sent: 0,
            },
        );
        if self.replies.len() > REPLY_PERM_LIMIT {
            self.prune(now);
        }
    }

    /// The connection publishes on `subject` at `now`, which its static permissions refuse:
    /// whether it may as a response. Counts the attempt; a used-up or expired reply subject
    /// is forgotten.
    pub fn allow(&mut self, subject: &[u8], now: Instant) -> bool {
        let Some(r) = self.replies.get_mut(subject) else {
            return false;
        };
        r.sent += 1;
        let over = self.perm.max > 0 && r.sent > self.perm.max;
        if over || expired(self.perm, r, now) {
            self.replies.remove(subject);
            return false;
        }
        true
    }

    /// Number of reply subjects tracked.
    pub fn len(&self) -> usize {
        self.replies.len()
    }

    /// Whether no reply subject is tracked.
    pub fn is_empty(&self) -> bool {
        self.replies.is_empty()
    }

    /// nats-server's `pruneReplyPerms`.
    fn prune(&mut self, now: Instant) {
        let perm = self.perm;
        self.replies.retain(|_, r| {
            let used_up = perm.max > 0 && r.sent >= perm.max;
            !(used_up || expired(perm, r, now))
        });
    }
}

fn expired(perm: ResponsePermission, r: &Reply, now: Instant) -> bool {
    !perm.expires.is_zero() && now.saturating_duration_since(r.delivered) > perm.expires
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn tracker(max: usize, secs: u64) -> ResponseTracker {
        ResponseTracker::new(ResponsePermission {
            max,
            expires: Duration::from_secs(secs),
        })
    }

    #[test]
    fn unknown_reply_is_refused() {
        let mut t = tracker(1, 60);
        assert!(!t.allow(b"inbox.1", Instant::now()));
    }

    #[test]
    fn default_allows_one_response() {
        let mut t = ResponseTracker::new(ResponsePermission::default());
        let now = Instant::now();
        t.record(b"inbox.1", now);
        assert!(t.allow(b"inbox.1", now));
        assert!(!t.allow(b"inbox.1", now));
        assert!(t.is_empty());
    }

    #[test]
    fn max_two_third_refused() {
        let mut t = tracker(2, 60);
        let now = Instant::now();
        t.record(b"inbox.1", now);
        assert!(t.allow(b"inbox.1", now));
        assert!(t.allow(b"inbox.1", now));
        assert!(!t.allow(b"inbox.1", now));
        assert!(!t.allow(b"inbox.2", now));
        // A new request with the same reply subject starts over.
        t.record(b"inbox.1", now);
        assert!(t.allow(b"inbox.1", now));
    }

    #[test]
    fn expiry() {
        let mut t = tracker(10, 3);
        let t0 = Instant::now();
        t.record(b"inbox.3", t0);
        assert!(t.allow(b"inbox.3", t0 + Duration::from_secs(2)));
        assert!(!t.allow(b"inbox.3", t0 + Duration::from_millis(3500)));
        assert!(t.is_empty());
    }

    #[test]
    fn unlimited() {
        let mut t = tracker(0, 0);
        let t0 = Instant::now();
        t.record(b"r", t0);
        for i in 0..100 {
            assert!(t.allow(b"r", t0 + Duration::from_secs(i * 3600)));
        }
        t.record(b"", t0);
        assert_eq!(t.len(), 1);
    }

    #[test]
    fn prune_keeps_the_map_bounded() {
        let mut t = tracker(1, 60);
        let t0 = Instant::now();
        for i in 0..REPLY_PERM_LIMIT {
            let r = format!("inbox.{i}");
            t.record(r.as_bytes(), t0);
            assert!(t.allow(r.as_bytes(), t0));
            // Answered once: used up, yet tracked until the next attempt or a prune.
        }
        assert_eq!(t.len(), REPLY_PERM_LIMIT);
        t.record(b"fresh", t0);
        assert_eq!(t.len(), 1);
        // Expired entries go too.
        let mut t = tracker(5, 1);
        for i in 0..=REPLY_PERM_LIMIT {
            t.record(format!("old.{i}").as_bytes(), t0);
        }
        assert!(t.len() <= REPLY_PERM_LIMIT + 1);
        t.record(b"new", t0 + Duration::from_secs(5));
        assert_eq!(t.len(), 1);
    }
}
