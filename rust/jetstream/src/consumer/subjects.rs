//! The subjects a consumer answers on and hands out, in nats-server's default (v1) forms:
//!
//! - deliveries carry the reply `$JS.ACK.<stream>.<consumer>.<delivered count>.<stream
//!   seq>.<consumer seq>.<stored nanos>.<pending>` (`ackReplyT`); acks come back on it;
//! - flow-control requests carry `$JS.FC.<stream>.<consumer>.<4 random chars>`;
//! - pull requests arrive on `$JS.API.CONSUMER.MSG.NEXT.<stream>.<consumer>`.
//!
//! nats-server 2.11+ can also use a v2 ack form with domain and account hash behind a
//! feature flag that is off by default; clients parse both, only v1 is written here. Acks in
//! the v2 form (11+ tokens) are read too.

use std::fmt::Write as _;

use rand::Rng as _;

/// The ack prefix of a consumer: `$JS.ACK.<stream>.<consumer>.`.
#[must_use]
pub fn ack_prefix(stream: &str, consumer: &str) -> String {
    format!("$JS.ACK.{stream}.{consumer}.")
}

/// The flow-control prefix of a consumer: `$JS.FC.<stream>.<consumer>.`.
#[must_use]
pub fn fc_prefix(stream: &str, consumer: &str) -> String {
    format!("$JS.FC.{stream}.{consumer}.")
}

/// The pull request subject of a consumer.
#[must_use]
pub fn next_subject(stream: &str, consumer: &str) -> String {
    format!("$JS.API.CONSUMER.MSG.NEXT.{stream}.{consumer}")
}

/// Writes a delivery's ack reply subject after `prefix` into `out`.
pub fn write_ack_reply(
    out: &mut String,
    prefix: &str,
    dc: u64,
    sseq: u64,
    dseq: u64,
    ts: i64,
    pending: u64,
) {
    out.clear();
    out.push_str(prefix);
    let _ = write!(out, "{dc}.{sseq}.{dseq}.{ts}.{pending}");
}

/// A flow-control reply subject: the prefix and four random base-62 characters.
#[must_use]
pub fn fc_reply(prefix: &str) -> String {
    const DIGITS: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
    let mut rng = rand::thread_rng();
    let mut s = String::with_capacity(prefix.len() + 4);
    s.push_str(prefix);
    for _ in 0..4 {
        s.push(char::from(DIGITS[rng.gen_range(0..DIGITS.len())]));
    }
    s
}

/// What an ack subject says: delivered count, stream sequence, consumer sequence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AckInfo {
    /// Delivery count.
    pub dc: u64,
    /// Stream sequence.
    pub sseq: u64,
    /// Consumer sequence.
    pub dseq: u64,
}

/// Reads an ack subject (nats-server's `ackReplyInfo`): v1 has 9 tokens, v2 11 or more.
/// `None` if it is neither.
#[must_use]
pub fn parse_ack(subject: &str) -> Option<AckInfo> {
    let tokens: Vec<&str> = subject.split('.').collect();
    let base = match tokens.len() {
        9 => 4,
        n if n >= 11 => 6,
        _ => return None,
    };
    let n = |i: usize| tokens.get(base + i).and_then(|t| t.parse::<u64>().ok());
    Some(AckInfo {
        dc: n(0)?,
        sseq: n(1)?,
        dseq: n(2)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ack_replies_round_trip() {
        let mut s = String::new();
        write_ack_reply(&mut s, &ack_prefix("S", "C"), 2, 10, 7, 1_700, 3);
        assert_eq!(s, "$JS.ACK.S.C.2.10.7.1700.3");
        assert_eq!(
            parse_ack(&s),
            Some(AckInfo {
                dc: 2,
                sseq: 10,
                dseq: 7
            })
        );
        assert_eq!(
            parse_ack("$JS.ACK.dom.hash.S.C.1.5.6.99.0.token").map(|a| a.sseq),
            Some(5)
        );
        assert_eq!(parse_ack("$JS.ACK.S.C.x.1.1.1.1"), None);
        let fc = fc_reply(&fc_prefix("S", "C"));
        assert!(fc.starts_with("$JS.FC.S.C.") && fc.len() == "$JS.FC.S.C.".len() + 4);
    }
}
