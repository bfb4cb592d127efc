//! A consumer's delivery and acknowledgement state, as nats-server's `consumer` keeps it:
//! the next stream sequence to look at (`sseq`) and the next delivery sequence (`dseq`), the
//! ack floors, the deliveries waiting for an ack (`pending`, by stream sequence, keeping the
//! first delivery's consumer sequence), the redelivery counts (`rdc`) and the queue of
//! sequences to redeliver (`rdq`).
//!
//! Plain data and the rules that change it (acks, naks, floors, ack deadlines); no locks, no
//! store, no publishing: [`super::pump`] and [`super::acks`] drive it under the consumer's
//! lock.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};

use tokio::time::{Duration, Instant};

use crate::api::{AckPolicy, ConsumerConfig};

/// One delivery waiting for its ack.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pending {
    /// The consumer sequence of its first delivery.
    pub dseq: u64,
    /// When it was last delivered (or its redelivery was pushed back), Unix nanoseconds.
    pub ts: i64,
    /// When it is due for redelivery.
    pub deadline: Instant,
}

/// Flow control of a push consumer (nats-server's `pbytes`, `maxpb`, `fcid`, `fcsz`).
#[derive(Debug, Default, Clone)]
pub struct FlowControl {
    /// Bytes delivered and not yet released by a flow-control reply.
    pub pbytes: i64,
    /// The current window (doubles on each reply up to [`FC_LIMIT`]).
    pub maxpb: i64,
    /// The reply subject of the outstanding flow-control request.
    pub fcid: Option<String>,
    /// `pbytes` when it was sent: what its reply releases.
    pub fcsz: i64,
}

/// nats-server's `JsFlowControlMaxPending`: the largest flow-control window.
pub const FC_LIMIT: i64 = 32 * 1024 * 1024;

/// A pull request waiting for messages (nats-server's `waitingRequest`).
#[derive(Debug, Clone)]
pub struct Waiting {
    /// Where to deliver.
    pub reply: String,
    /// Messages still wanted.
    pub n: i64,
    /// Bytes still wanted (0: no limit).
    pub b: i64,
    /// Messages delivered to it.
    pub d: i64,
    /// `no_wait`.
    pub no_wait: bool,
    /// When it expires.
    pub expires: Option<Instant>,
    /// Its idle heartbeat interval.
    pub hb: Option<Duration>,
    /// When its next heartbeat is due.
    pub hb_due: Option<Instant>,
}

/// The state behind a consumer's lock.
#[derive(Debug)]
pub struct ConsumerState {
    /// The config in force.
    pub cfg: ConsumerConfig,
    /// The next stream sequence to look at.
    pub sseq: u64,
    /// The next consumer (delivery) sequence.
    pub dseq: u64,
    /// Ack floor, consumer sequence.
    pub adflr: u64,
    /// Ack floor, stream sequence.
    pub asflr: u64,
    /// Deliveries waiting for an ack, by stream sequence.
    pub pending: BTreeMap<u64, Pending>,
    /// Redeliveries made, by stream sequence.
    pub rdc: HashMap<u64, u64>,
    /// Stream sequences due for redelivery, lowest first.
    pub rdq: BTreeSet<u64>,
    /// `last_per_subject`: the sequences still to deliver, ascending, and where to go on.
    pub lss: VecDeque<u64>,
    /// Where `sseq` goes once `lss` is done.
    pub lss_resume: u64,
    /// Messages left to deliver (kept up to date by [`super::pump`]).
    pub npc: u64,
    /// The stream's last sequence `npc` accounts for.
    pub npc_seq: u64,
    /// Pull requests, oldest first.
    pub waiting: VecDeque<Waiting>,
    /// When the last delivery was made, Unix nanoseconds (0: none).
    pub last_delivered: i64,
    /// When the last ack came, Unix nanoseconds (0: none).
    pub last_ack: i64,
    /// Last sign of life (a pull request, an ack, interest on the deliver subject).
    pub last_active: Instant,
    /// Push flow control.
    pub fc: FlowControl,
    /// When the next push idle heartbeat is due.
    pub hb_due: Option<Instant>,
    /// The earliest redelivery deadline, if any delivery is pending.
    pub next_redeliver: Option<Instant>,
    /// `replay_policy: original`: replay paced until this stream sequence.
    pub replay_until: u64,
    /// The stored time of the last message delivered while replaying, and when it was sent.
    pub replay_last: Option<(i64, Instant)>,
    /// Paced replay or the rate limit: nothing more is pushed before this.
    pub replay_due: Option<Instant>,
    /// `rate_limit_bps`: the bytes that may be pushed now and when that was counted (a token
    /// bucket of nats-server's shape: refilled at `rate_limit_bps / 8` bytes a second, as
    /// deep as the largest message the stream takes).
    pub rate: Option<(f64, Instant)>,
    /// Changed since last written to disk.
    pub dirty: bool,
    /// When the change is to be written.
    pub flush_due: Option<Instant>,
    /// Deleted or stopped: no more deliveries.
    pub closed: bool,
    /// Messages that reached `max_deliver` since the last look: stream sequence and
    /// deliveries (for the advisory, sent once the lock is released).
    pub exceeded: Vec<(u64, u64)>,
}

impl ConsumerState {
    /// A new consumer's state, starting at stream sequence `sseq`.
    #[must_use]
    pub fn new(cfg: ConsumerConfig, sseq: u64, now: Instant) -> ConsumerState {
        let maxpb = if cfg.flow_control { FC_LIMIT / 16 } else { 0 };
        ConsumerState {
            cfg,
            sseq,
            dseq: 1,
            adflr: 0,
            asflr: sseq.saturating_sub(1),
            pending: BTreeMap::new(),
            rdc: HashMap::new(),
            rdq: BTreeSet::new(),
            lss: VecDeque::new(),
            lss_resume: 0,
            npc: 0,
            npc_seq: 0,
            waiting: VecDeque::new(),
            last_delivered: 0,
            last_ack: 0,
            last_active: now,
            fc: FlowControl {
                maxpb,
                ..FlowControl::default()
            },
            hb_due: None,
            next_redeliver: None,
            replay_until: 0,
            replay_last: None,
            replay_due: None,
            rate: None,
            dirty: true,
            flush_due: None,
            closed: false,
            exceeded: Vec::new(),
        }
    }

    /// Whether deliveries wait for acks.
    #[must_use]
    pub fn acked(&self) -> bool {
        self.cfg.ack_policy != AckPolicy::None
    }

    /// How long delivery number `dc` (1 for the first) waits for its ack: the backoff for
    /// that attempt (the last one repeating) or `ack_wait`.
    #[must_use]
    pub fn ack_wait(&self, dc: u64) -> Duration {
        let wait = match self.cfg.backoff.len() {
            0 => self.cfg.ack_wait,
            n => {
                let i = usize::try_from(dc.saturating_sub(1)).unwrap_or(usize::MAX);
                self.cfg.backoff[i.min(n - 1)]
            }
        };
        wait.to_std().unwrap_or_default()
    }

    /// Whether `max_ack_pending` stops new deliveries.
    #[must_use]
    pub fn at_max_ack_pending(&self) -> bool {
        self.acked()
            && self.cfg.max_ack_pending > 0
            && self.pending.len() >= usize::try_from(self.cfg.max_ack_pending).unwrap_or(0)
    }

    /// Records the delivery of stream sequence `seq` as consumer sequence `dseq`
    /// (nats-server's `deliverMsg`: floors for ack none, else `trackPending`).
    pub fn delivered(&mut self, seq: u64, dseq: u64, dc: u64, now: Instant, wall: i64) {
        self.last_delivered = wall;
        self.dirty = true;
        if !self.acked() {
            self.adflr = dseq;
            self.asflr = seq;
            return;
        }
        let deadline = now + self.ack_wait(dc);
        self.pending
            .entry(seq)
            .and_modify(|p| {
                p.ts = wall;
                p.deadline = deadline;
            })
            .or_insert(Pending {
                dseq,
                ts: wall,
                deadline,
            });
        self.next_redeliver = Some(self.next_redeliver.map_or(deadline, |d| d.min(deadline)));
    }

    /// nats-server's `moveAckFloor` after the ack of `(dseq, sseq)`.
    fn move_ack_floor(&mut self, dseq: u64, sseq: u64) {
        if self.pending.is_empty() {
            self.adflr = self.dseq - 1;
            self.asflr = self.sseq - 1;
        } else if dseq == self.adflr + 1 {
            self.adflr = dseq;
            self.asflr = sseq;
            if let Some((&ss, p)) = self.pending.range(sseq + 1..self.sseq).next() {
                if p.dseq > 0 {
                    self.adflr = p.dseq - 1;
                    self.asflr = ss - 1;
                }
            }
        }
    }

    /// nats-server's `processAckMsg`: the ack of stream sequence `sseq` delivered as
    /// `dseq`. Returns the stream sequences this ack released (for interest and work queue
    /// retention), empty when it changed nothing.
    pub fn ack(&mut self, sseq: u64, dseq: u64, wall: i64) -> Vec<u64> {
        if sseq >= self.sseq && !self.cfg.flow_control {
            return Vec::new();
        }
        let mut released = Vec::new();
        match self.cfg.ack_policy {
            AckPolicy::Explicit => {
                if let Some(p) = self.pending.remove(&sseq) {
                    self.move_ack_floor(p.dseq, sseq);
                    released.push(sseq);
                }
                self.rdc.remove(&sseq);
                self.rdq.remove(&sseq);
            }
            AckPolicy::All => {
                if dseq <= self.adflr || sseq <= self.asflr {
                    return Vec::new();
                }
                self.adflr = dseq;
                self.asflr = sseq;
                let below: Vec<u64> = self.pending.range(..=sseq).map(|(s, _)| *s).collect();
                for s in below {
                    self.pending.remove(&s);
                    self.rdc.remove(&s);
                    self.rdq.remove(&s);
                    released.push(s);
                }
                if !released.contains(&sseq) {
                    released.push(sseq);
                }
            }
            AckPolicy::None => return Vec::new(),
        }
        self.last_ack = wall;
        self.dirty = true;
        released
    }

    /// nats-server's `processNak`: redeliver now, or after `delay` (counted from now).
    /// Whether it applied (the delivery is pending: its advisory is sent then).
    pub fn nak(
        &mut self,
        sseq: u64,
        dseq: u64,
        delay: Option<Duration>,
        now: Instant,
        wall: i64,
    ) -> bool {
        if dseq <= self.adflr || dseq > self.dseq {
            return false;
        }
        let Some(p) = self.pending.get_mut(&sseq) else {
            return false;
        };
        match delay {
            Some(d) => {
                self.rdq.remove(&sseq);
                p.deadline = now + d;
                p.ts = wall;
                self.next_redeliver = Some(
                    self.next_redeliver
                        .map_or(p.deadline, |n| n.min(p.deadline)),
                );
            }
            None => {
                self.rdq.insert(sseq);
            }
        }
        self.dirty = true;
        true
    }

    /// nats-server's `progressUpdate` (`+WPI`): the ack wait starts again.
    pub fn progress(&mut self, sseq: u64, now: Instant, wall: i64) {
        let dc = self.rdc.get(&sseq).copied().unwrap_or(0) + 1;
        let wait = self.ack_wait(dc);
        if let Some(p) = self.pending.get_mut(&sseq) {
            p.ts = wall;
            p.deadline = now + wait;
            self.dirty = true;
        }
    }

    /// Moves the pending deliveries whose deadline passed to the redelivery queue and
    /// recomputes the earliest deadline (nats-server's `checkPending`). One already
    /// delivered `max_deliver` times leaves pending instead, noted in `exceeded` for its
    /// advisory (nats-server's `hasMaxDeliveries`: no further pull request is needed).
    pub fn check_pending(&mut self, now: Instant) {
        let max = u64::try_from(self.cfg.max_deliver).ok().filter(|m| *m > 0);
        let mut next: Option<Instant> = None;
        let mut exhausted = Vec::new();
        for (seq, p) in &self.pending {
            if p.deadline <= now {
                if self.rdq.contains(seq) {
                    continue;
                }
                let dc = self.rdc.get(seq).copied().unwrap_or(0) + 1;
                if max.is_some_and(|m| dc >= m) {
                    exhausted.push((*seq, dc));
                } else {
                    self.rdq.insert(*seq);
                }
            } else {
                next = Some(next.map_or(p.deadline, |n| n.min(p.deadline)));
            }
        }
        for (seq, dc) in exhausted {
            self.exceeded.push((seq, dc));
            self.drop_exhausted(seq);
        }
        // Queued ones are timed again when redelivered.
        self.next_redeliver = next;
    }

    /// A pending delivery went past `max_deliver`: it leaves pending as if acknowledged
    /// (nats-server's `getNextMsg` does the same, after the advisory).
    pub fn drop_exhausted(&mut self, sseq: u64) {
        if let Some(p) = self.pending.remove(&sseq) {
            self.move_ack_floor(p.dseq, sseq);
            self.dirty = true;
        }
    }

    /// A pending message is gone from the stream: as `+TERM` (nats-server calls
    /// `processTerm` then).
    pub fn drop_missing(&mut self, sseq: u64) {
        if let Some(p) = self.pending.remove(&sseq) {
            self.move_ack_floor(p.dseq, sseq);
        }
        self.rdc.remove(&sseq);
        self.rdq.remove(&sseq);
        self.dirty = true;
    }

    /// Whether stream sequence `sseq` still needs this consumer's ack (nats-server's
    /// `needAck`), its subject matching the consumer's filters already.
    #[must_use]
    pub fn needs_ack(&self, sseq: u64) -> bool {
        if sseq <= self.asflr {
            return false;
        }
        match self.cfg.ack_policy {
            AckPolicy::None | AckPolicy::All => true,
            AckPolicy::Explicit => sseq >= self.sseq || self.pending.contains_key(&sseq),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::Nanos;

    fn explicit() -> ConsumerState {
        let cfg = ConsumerConfig {
            ack_policy: AckPolicy::Explicit,
            ack_wait: Nanos::from_secs(30),
            ..ConsumerConfig::default()
        };
        ConsumerState::new(cfg, 1, Instant::now())
    }

    fn deliver(st: &mut ConsumerState, seq: u64) -> u64 {
        let dseq = st.dseq;
        st.dseq += 1;
        st.sseq = seq + 1;
        st.delivered(seq, dseq, 1, Instant::now(), 1);
        dseq
    }

    #[test]
    fn explicit_acks_move_the_floor_over_contiguous_acks_only() {
        let mut st = explicit();
        for s in 1..=3 {
            deliver(&mut st, s);
        }
        assert_eq!(st.ack(2, 2, 5), vec![2]);
        assert_eq!((st.adflr, st.asflr), (0, 0));
        assert_eq!(st.ack(1, 1, 5), vec![1]);
        assert_eq!((st.adflr, st.asflr), (2, 2));
        assert_eq!(st.ack(3, 3, 5), vec![3]);
        assert_eq!((st.adflr, st.asflr), (3, 3));
        assert!(st.ack(3, 3, 5).is_empty(), "a second ack changes nothing");
        assert!(
            st.ack(9, 9, 5).is_empty(),
            "an ack past what was delivered is ignored"
        );
    }

    #[test]
    fn ack_all_releases_everything_below() {
        let mut st = explicit();
        st.cfg.ack_policy = AckPolicy::All;
        for s in 1..=4 {
            deliver(&mut st, s);
        }
        let mut r = st.ack(3, 3, 5);
        r.sort_unstable();
        assert_eq!(r, vec![1, 2, 3]);
        assert_eq!(st.pending.len(), 1);
        assert_eq!((st.adflr, st.asflr), (3, 3));
    }

    #[test]
    fn naks_queue_redelivery_and_deadlines_expire() {
        let mut st = explicit();
        deliver(&mut st, 1);
        deliver(&mut st, 2);
        assert!(st.nak(1, 1, None, Instant::now(), 2));
        assert!(!st.nak(9, 9, None, Instant::now(), 2), "not pending");
        assert!(st.rdq.contains(&1));
        let later = Instant::now() + Duration::from_secs(31);
        st.check_pending(later);
        assert!(st.rdq.contains(&2));
        assert!(st.needs_ack(2) && st.needs_ack(5) && !st.needs_ack(0));
    }

    #[test]
    fn an_expired_delivery_at_max_deliver_leaves_pending() {
        let mut st = explicit();
        st.cfg.max_deliver = 1;
        deliver(&mut st, 1);
        deliver(&mut st, 2);
        st.ack(2, 2, 5);
        st.check_pending(Instant::now() + Duration::from_secs(31));
        assert!(st.pending.is_empty() && st.rdq.is_empty());
        assert_eq!(st.exceeded, vec![(1, 1)]);
        assert_eq!((st.adflr, st.asflr), (2, 2));
    }

    #[test]
    fn backoff_picks_the_attempts_delay() {
        let mut st = explicit();
        st.cfg.backoff = vec![Nanos::from_secs(1), Nanos::from_secs(2)];
        assert_eq!(st.ack_wait(1), Duration::from_secs(1));
        assert_eq!(st.ack_wait(2), Duration::from_secs(2));
        assert_eq!(st.ack_wait(7), Duration::from_secs(2));
    }
}
