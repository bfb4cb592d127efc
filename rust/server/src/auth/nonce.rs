//! The INFO `nonce` that nkey clients sign: 11 random bytes, base64 URL-safe without padding,
//! so 15 characters (nats-server's `nonceRawLen` / `nonceLen`).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use rand::RngCore as _;

/// Random bytes in a nonce.
pub const NONCE_RAW_LEN: usize = 11;
/// Characters in an encoded nonce.
pub const NONCE_LEN: usize = 15;

/// A fresh nonce from `rand`'s thread generator, the engine's one source of randomness: a
/// cryptographically secure generator (ChaCha) seeded from the operating system and
/// reseeded periodically, so nonces are unpredictable and an old signature can not be
/// replayed.
pub fn new_nonce() -> String {
    let mut raw = [0u8; NONCE_RAW_LEN];
    rand::thread_rng().fill_bytes(&mut raw);
    URL_SAFE_NO_PAD.encode(raw)
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
}
