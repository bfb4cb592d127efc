//! Round-trip time, measured the way nats-server measures it: the time from a keep-alive
//! PING the server sends to the PONG that answers it, shown by `/connz`, `/routez` and
//! `/leafz` as `rtt`.
//!
//! A client's CONNECT gives a first estimate (the time since the connection was accepted);
//! the first keep-alive tick comes early (at most 2 s for a client, 1 s for a route or leaf,
//! plus up to 20% at random) and always sends a PING, so the real figure follows within a
//! few seconds. After that a PING is sent even to a busy connection when the last one is an
//! hour old. Cost: one clock read per PING sent and per PONG that answers one; nothing per
//! message.

use std::time::{Duration, Instant};

use rand::Rng as _;

use crate::connection::Connection;

/// How old the last measurement may get before a PING is sent to a busy connection too
/// (nats-server's `DEFAULT_RTT_MEASUREMENT_INTERVAL`).
const MEASUREMENT_INTERVAL: Duration = Duration::from_secs(3600);
/// The first keep-alive tick of a client comes after at most this (nats-server's
/// `firstClientPingInterval`).
pub const FIRST_CLIENT_PING: Duration = Duration::from_secs(2);
/// The first keep-alive tick of a route or leaf connection comes after at most this
/// (nats-server's `firstPingInterval`).
pub const FIRST_PEER_PING: Duration = Duration::from_secs(1);

/// The delay of the first keep-alive tick: `interval` capped at `cap`, plus up to 20% of
/// that at random (nats-server spreads the first PINGs of many connections so).
pub fn first_ping(interval: Duration, cap: Duration) -> Duration {
    let d = interval.min(cap);
    let spread = (d / 5).as_nanos() as u64;
    if spread == 0 {
        return d;
    }
    d + Duration::from_nanos(rand::thread_rng().gen_range(0..spread))
}

/// A reader's side of the measurement: when it last sent a PING.
#[derive(Debug, Default)]
pub struct RttProbe {
    sent: Option<Instant>,
    /// Whether measuring has started: a client's at its CONNECT (before it, the keep-alive
    /// is the plain one), a route's or leaf's from the start.
    armed: bool,
}

impl RttProbe {
    /// A probe measuring from the start (routes, leafs).
    pub fn armed() -> Self {
        RttProbe {
            sent: None,
            armed: true,
        }
    }

    /// Starts measuring (a client's CONNECT).
    pub fn arm(&mut self) {
        self.armed = true;
    }

    /// Whether the next keep-alive tick must PING even an active connection: nothing was
    /// measured yet, or the last PING is more than an hour old.
    pub fn due(&self) -> bool {
        self.armed
            && self
                .sent
                .map_or(true, |t| t.elapsed() > MEASUREMENT_INTERVAL)
    }

    /// A PING is being sent now.
    pub fn ping_sent(&mut self) {
        self.sent = Some(Instant::now());
    }

    /// A PONG came while `outstanding` server PINGs were unanswered: the time since the
    /// last one is `me`'s round-trip time. (nats-server also takes a PONG nothing asked
    /// for as an answer, to a PING it may never have sent; fastnats ignores those.)
    pub fn pong(&self, me: &Connection, outstanding: bool) {
        if let (true, Some(t)) = (outstanding, self.sent) {
            me.set_rtt(t.elapsed());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_ping_is_capped_and_spread_by_at_most_a_fifth() {
        for _ in 0..100 {
            let d = first_ping(Duration::from_secs(120), FIRST_CLIENT_PING);
            assert!(
                d >= FIRST_CLIENT_PING && d < FIRST_CLIENT_PING * 6 / 5,
                "{d:?}"
            );
            let d = first_ping(Duration::from_millis(500), FIRST_PEER_PING);
            assert!(d >= Duration::from_millis(500) && d < Duration::from_millis(600));
        }
        assert_eq!(
            first_ping(Duration::ZERO, FIRST_CLIENT_PING),
            Duration::ZERO
        );
    }

    #[test]
    fn probe_is_due_once_armed_until_a_ping_is_sent() {
        let mut p = RttProbe::default();
        assert!(!p.due());
        p.arm();
        assert!(p.due());
        p.ping_sent();
        assert!(!p.due());
        assert!(RttProbe::armed().due());
    }
}
