//! The INFO `nonce` that nkey clients sign: 11 random bytes, base64 URL-safe without padding,
//! so 15 characters (nats-server's `nonceRawLen` / `nonceLen`).

use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use rand::rngs::OsRng;
use rand::RngCore as _;

/// Random bytes in a nonce.
pub const NONCE_RAW_LEN: usize = 11;
/// Characters in an encoded nonce.
pub const NONCE_LEN: usize = 15;

/// A fresh nonce from the operating system's random source (through `rand`, the engine's
/// one source of randomness).
///
/// If that source fails (it does not on supported platforms once the system has booted), the
/// bytes come from std's per-process random hash keys mixed with a counter and the clock:
/// still unique and unpredictable enough to stop replaying an old signature, rather than a
/// panic in the accept path.
pub fn new_nonce() -> String {
    let mut raw = [0u8; NONCE_RAW_LEN];
    if OsRng.try_fill_bytes(&mut raw).is_err() {
        fallback_fill(&mut raw);
    }
    URL_SAFE_NO_PAD.encode(raw)
}

fn fallback_fill(raw: &mut [u8; NONCE_RAW_LEN]) {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let state = std::collections::hash_map::RandomState::new();
    let mut out = Vec::with_capacity(16);
    for round in 0u8..2 {
        let mut h = state.build_hasher();
        h.write_u8(round);
        h.write_u64(n);
        h.write_u128(now);
        out.extend_from_slice(&h.finish().to_le_bytes());
    }
    raw.copy_from_slice(&out[..NONCE_RAW_LEN]);
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn shape() {
        let n = new_nonce();
        assert_eq!(n.len(), NONCE_LEN);
        assert!(n
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
    }

    #[test]
    fn nonces_differ() {
        let set: HashSet<String> = (0..1000).map(|_| new_nonce()).collect();
        assert_eq!(set.len(), 1000);
    }

    #[test]
    fn fallback_differs_too() {
        let mut a = [0u8; NONCE_RAW_LEN];
        let mut b = [0u8; NONCE_RAW_LEN];
        fallback_fill(&mut a);
        fallback_fill(&mut b);
        assert_ne!(a, b);
        assert_eq!(URL_SAFE_NO_PAD.encode(a).len(), NONCE_LEN);
    }
}
