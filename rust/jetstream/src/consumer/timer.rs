//! A consumer's timer: one tokio task per consumer that sleeps until the earliest of its
//! deadlines (a pending delivery's ack wait, a pull request's expiry or heartbeat, the push
//! idle heartbeat, paced replay, the inactivity threshold, the next state write) or until
//! woken, then runs [`Consumer::tick`] on a blocking thread. Deadlines are
//! [`tokio::time::Instant`]s, so tests may run it on paused time.
//!
//! A push consumer delivers only while its deliver subject has a subscriber; while it has
//! none its timer also wakes when anyone in the account subscribes
//! ([`fastnats_server::Engine::subscriptions_added`]), so a new subscriber is served at
//! once, without polling. (Any subscription in the account wakes such consumers, each for
//! one interest check.)

use std::sync::{Arc, Weak};

use tokio::sync::Notify;
use tokio::time::Instant;

use super::persist::FLUSH_EVERY;
use super::pump::{send, Out};
use super::Consumer;

/// The timer task of `weak` (ends when the consumer is gone).
pub async fn run(weak: Weak<Consumer>, wake: Arc<Notify>) {
    let Some(added) = weak.upgrade().map(|c| c.ctx.engine.subscriptions_added()) else {
        return;
    };
    // Made before each interest check: a subscription made after the check wakes it.
    let mut subscribed = Box::pin(added.clone().notified_owned());
    // Whether the last tick found a push consumer without a subscriber.
    let mut ticked_unbound = false;
    loop {
        let (deadline, unbound) = {
            let Some(c) = weak.upgrade() else { return };
            let d = c.next_deadline();
            let st = c.state.lock();
            if st.closed {
                return;
            }
            // Unbound now, or when the tick looked: a subscription made since then has
            // fired `subscribed` already and must get its tick.
            let unbound = ticked_unbound
                || (!st.cfg.is_pull()
                    && !c.ctx.engine.has_interest(st.cfg.deliver_subject.as_bytes()));
            (d, unbound)
        };
        let sleep = async {
            match deadline {
                Some(d) => tokio::time::sleep_until(d).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            () = sleep => {}
            () = wake.notified() => {}
            () = subscribed.as_mut(), if unbound => {}
        }
        subscribed = Box::pin(added.clone().notified_owned());
        let Some(c) = weak.upgrade() else { return };
        match tokio::task::spawn_blocking(move || c.tick()).await {
            Ok(unbound) => ticked_unbound = unbound,
            Err(_) => return,
        }
    }
}

/// The heartbeat nats-server sends: last consumer and stream sequences delivered, and the
/// outstanding flow-control subject when stalled on it.
fn heartbeat(route: String, dseq: u64, sseq: u64, stalled: Option<&str>) -> Out {
    let mut h = format!(
        "NATS/1.0 100 Idle Heartbeat\r\nNats-Last-Consumer: {}\r\nNats-Last-Stream: {}\r\n",
        dseq.saturating_sub(1),
        sseq.saturating_sub(1)
    );
    if let Some(fc) = stalled {
        h.push_str("Nats-Consumer-Stalled: ");
        h.push_str(fc);
        h.push_str("\r\n");
    }
    h.push_str("\r\n");
    Out::status(route, h.as_bytes())
}

impl Consumer {
    /// The earliest deadline, if any.
    fn next_deadline(&self) -> Option<Instant> {
        let now = Instant::now();
        let mut st = self.state.lock();
        if st.dirty && self.dir.is_some() && st.flush_due.is_none() {
            st.flush_due = Some(now + FLUSH_EVERY);
        }
        let push = !st.cfg.is_pull();
        if push && st.hb_due.is_none() {
            if let Some(hb) = st.cfg.idle_heartbeat.to_std().filter(|d| !d.is_zero()) {
                st.hb_due = Some(now + hb);
            }
        }
        let mut all = vec![st.next_redeliver, st.flush_due, st.replay_due, st.hb_due];
        for w in &st.waiting {
            all.push(w.expires);
            all.push(w.hb_due);
        }
        if let Some(t) = st.cfg.inactive_threshold.to_std().filter(|d| !d.is_zero()) {
            all.push(Some(st.last_active + t));
        }
        all.into_iter().flatten().min()
    }

    /// Does what is due (see the module docs), then delivers. Returns whether it found a
    /// push consumer without a subscriber on its deliver subject.
    pub fn tick(self: Arc<Self>) -> bool {
        let now = Instant::now();
        let mut out = Vec::new();
        let mut inactive = false;
        let mut flush = false;
        let unbound;
        {
            let mut st = self.state.lock();
            if st.closed {
                return false;
            }
            if st.next_redeliver.is_some_and(|d| d <= now) {
                st.check_pending(now);
            }
            let push = !st.cfg.is_pull();
            let active = if push {
                let interest = self
                    .ctx
                    .engine
                    .has_interest(st.cfg.deliver_subject.as_bytes());
                if st.hb_due.is_some_and(|d| d <= now) {
                    if interest {
                        let fc = st.fc.fcid.clone();
                        out.push(heartbeat(
                            st.cfg.deliver_subject.clone(),
                            st.dseq,
                            st.sseq,
                            fc.as_deref(),
                        ));
                    }
                    st.hb_due = st.cfg.idle_heartbeat.to_std().map(|d| now + d);
                }
                interest
            } else {
                self.expire_waiting(&mut st, now, &mut out);
                let (dseq, sseq) = (st.dseq, st.sseq);
                for w in &mut st.waiting {
                    if let (Some(due), Some(hb)) = (w.hb_due, w.hb) {
                        if due <= now {
                            out.push(heartbeat(w.reply.clone(), dseq, sseq, None));
                            w.hb_due = Some(now + hb);
                        }
                    }
                }
                !st.waiting.is_empty()
            };
            unbound = push && !active;
            if active {
                st.last_active = now;
            } else if let Some(t) = st.cfg.inactive_threshold.to_std().filter(|d| !d.is_zero()) {
                inactive = now.duration_since(st.last_active) >= t;
            }
            if st.flush_due.is_some_and(|d| d <= now) {
                st.flush_due = None;
                flush = true;
            }
        }
        send(&self.ctx, &out);
        if inactive {
            if let Some(stream) = self.stream.upgrade() {
                if stream.consumers.remove(&self) {
                    self.delete();
                    return false;
                }
            }
        }
        if flush {
            self.flush();
        }
        self.pump();
        unbound
    }
}
