//! NATS nkeys: user public keys and the signature check of the nkey handshake.
//!
//! A public nkey is RFC 4648 base32 (upper case, no padding) of
//! `[prefix byte] ++ 32-byte Ed25519 public key ++ CRC-16/XMODEM (little endian)`: 56
//! characters, starting with `U` for a user. The `nkeys` crate (the NATS authors' Rust port
//! of Go's nkeys) decodes and checks them and verifies the Ed25519 signature. Only user keys
//! are accepted here: nats-server only verifies user nkeys when a client connects.
//!
//! The client proves it owns the key by signing the INFO `nonce` (the string's bytes) and
//! sending the 64-byte signature as base64 URL-safe without padding; standard base64 with
//! padding is accepted too, as nats-server does. That leniency is Go's and stays here (the
//! `nkeys` crate takes raw signature bytes): like Go's decoders, CR and LF inside the
//! signature are ignored and non-zero trailing bits are tolerated.

use base64::alphabet;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::Engine as _;
use nkeys::error::ErrorKind;
use nkeys::{KeyPair, KeyPairType};

/// Length of an encoded public nkey.
pub const PUBLIC_KEY_LEN: usize = 56;

/// Go's `base64.RawURLEncoding` (lenient about trailing bits, as Go is).
const RAW_URL: GeneralPurpose = GeneralPurpose::new(
    &alphabet::URL_SAFE,
    GeneralPurposeConfig::new()
        .with_encode_padding(false)
        .with_decode_padding_mode(DecodePaddingMode::RequireNone)
        .with_decode_allow_trailing_bits(true),
);

/// Go's `base64.StdEncoding` (padding required, lenient about trailing bits).
const STD: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_encode_padding(true)
        .with_decode_padding_mode(DecodePaddingMode::RequireCanonical)
        .with_decode_allow_trailing_bits(true),
);

/// Why a string is not a user public nkey.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NkeyError {
    /// Not base32, or the wrong length.
    Encoding,
    /// The CRC does not match.
    Checksum,
    /// A valid key, but not a user key (an account, server, ... key).
    Prefix,
}

/// The user public nkey `nkey` (`U...`), ready to verify signatures.
pub fn user_public_key(nkey: &str) -> Result<KeyPair, NkeyError> {
    let key = KeyPair::from_public_key(nkey).map_err(|e| match e.kind() {
        ErrorKind::ChecksumFailure => NkeyError::Checksum,
        ErrorKind::InvalidPrefix => NkeyError::Prefix,
        _ => NkeyError::Encoding,
    })?;
    if key.key_pair_type() != KeyPairType::User {
        return Err(NkeyError::Prefix);
    }
    Ok(key)
}

/// Whether `nkey` is a well-formed user public key (nats-server's
/// `nkeys.IsValidPublicUserKey`).
pub fn is_valid_user_public_key(nkey: &str) -> bool {
    user_public_key(nkey).is_ok()
}

/// Decodes the CONNECT `sig`: base64 URL-safe without padding first, then standard base64
/// with padding, as nats-server. `None` if neither decodes or it is not 64 bytes.
pub fn decode_signature(sig: &str) -> Option<[u8; 64]> {
    let cleaned;
    let sig = if sig.contains(['\r', '\n']) {
        cleaned = sig.replace(['\r', '\n'], "");
        cleaned.as_str()
    } else {
        sig
    };
    let bytes = RAW_URL.decode(sig).or_else(|_| STD.decode(sig)).ok()?;
    bytes.try_into().ok()
}

/// Whether `sig` (as sent in CONNECT) is a valid Ed25519 signature of `nonce`'s bytes by the
/// user key `nkey`. False for an empty or undecodable signature, a malformed or non-user
/// key, or a wrong signature.
pub fn verify_nkey(nkey: &str, sig: &str, nonce: &str) -> bool {
    if sig.is_empty() {
        return false;
    }
    let Some(sig) = decode_signature(sig) else {
        return false;
    };
    let Ok(key) = user_public_key(nkey) else {
        return false;
    };
    key.verify(nonce.as_bytes(), &sig).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Made with the Python `nkeys` package (0.2.1) from the raw seed bytes 1..=32:
    /// seed `SUAACAQDAQCQMBYIBEFAWDANBYHRAEISCMKBKFQXDAMRUGY4DUPB6IC5CQ`, signing the nonce
    /// `ABCDEFGHIJKLMNO`.
    const PUB: &str = "UB43KVROR7TFJ6KAPCYRF2FJROTZAH4FHLTJLPWX4DRZCC5NASLGJBFE";
    const ACCOUNT: &str = "AB43KVROR7TFJ6KAPCYRF2FJROTZAH4FHLTJLPWX4DRZCC5NASLGIFW3";
    const SEED: &str = "SUAACAQDAQCQMBYIBEFAWDANBYHRAEISCMKBKFQXDAMRUGY4DUPB6IC5CQ";
    const NONCE: &str = "ABCDEFGHIJKLMNO";
    const SIG_URL: &str =
        "BnqaJHA4sUy7RnVdnJpPiWHU2_9Nt2SaqBppfc1u1DoXlgs23eFL2bdaIUhN55rsWsnECuQUTKBtRc14lJEWCg";
    const SIG_STD: &str =
        "BnqaJHA4sUy7RnVdnJpPiWHU2/9Nt2SaqBppfc1u1DoXlgs23eFL2bdaIUhN55rsWsnECuQUTKBtRc14lJEWCg==";

    fn seed() -> [u8; 32] {
        core::array::from_fn(|i| i as u8 + 1)
    }

    /// A user key pair from raw seed bytes, as the Python `nkeys` package makes them.
    fn user(seed: [u8; 32]) -> KeyPair {
        KeyPair::new_from_raw(KeyPairType::User, seed).unwrap()
    }

    #[test]
    fn known_user_key_decodes() {
        assert!(is_valid_user_public_key(PUB));
        assert_eq!(PUB.len(), PUBLIC_KEY_LEN);
        // The same key derived from the same seed, by raw bytes and from the encoded seed.
        assert_eq!(user(seed()).public_key(), PUB);
        assert_eq!(KeyPair::from_seed(SEED).unwrap().public_key(), PUB);
        assert_eq!(user_public_key(PUB).unwrap().public_key(), PUB);
    }

    #[test]
    fn bad_keys_are_rejected() {
        assert_eq!(user_public_key(ACCOUNT).err(), Some(NkeyError::Prefix));
        let mut flipped = PUB.to_string();
        flipped.replace_range(10..11, "A");
        assert_eq!(user_public_key(&flipped).err(), Some(NkeyError::Checksum));
        assert_eq!(user_public_key(&PUB[..55]).err(), Some(NkeyError::Encoding));
        assert_eq!(user_public_key("").err(), Some(NkeyError::Encoding));
        assert_eq!(
            user_public_key(&PUB.to_lowercase()).err(),
            Some(NkeyError::Encoding)
        );
        assert!(!is_valid_user_public_key("UXXX"));
    }

    #[test]
    fn known_signature_verifies_in_both_encodings() {
        assert!(verify_nkey(PUB, SIG_URL, NONCE));
        assert!(verify_nkey(PUB, SIG_STD, NONCE));
        // Go's decoders skip line breaks.
        let wrapped = format!("{}\r\n{}", &SIG_URL[..40], &SIG_URL[40..]);
        assert!(verify_nkey(PUB, &wrapped, NONCE));
    }

    #[test]
    fn signature_encodings_nats_server_refuses() {
        // Checked against nats-server 2.15.1: padded URL-safe and unpadded standard base64
        // both fail authentication.
        assert!(!verify_nkey(PUB, &format!("{SIG_URL}=="), NONCE));
        assert!(!verify_nkey(PUB, SIG_STD.trim_end_matches('='), NONCE));
    }

    #[test]
    fn wrong_signature_nonce_or_key() {
        assert!(!verify_nkey(PUB, SIG_URL, "ABCDEFGHIJKLMNP"));
        assert!(!verify_nkey(PUB, "", NONCE));
        assert!(!verify_nkey(PUB, "AAAA", NONCE));
        assert!(!verify_nkey(PUB, "not base64!", NONCE));
        assert!(!verify_nkey(ACCOUNT, SIG_URL, NONCE));
        let other_pub = user([7u8; 32]).public_key();
        assert!(!verify_nkey(&other_pub, SIG_URL, NONCE));
    }

    #[test]
    fn fresh_keypair_round_trip() {
        let kp = user([42u8; 32]);
        let nkey = kp.public_key();
        assert!(nkey.starts_with('U') && nkey.len() == PUBLIC_KEY_LEN);
        assert!(is_valid_user_public_key(&nkey));
        let nonce = "q1w2e3r4t5y6u7i";
        let sig = kp.sign(nonce.as_bytes()).unwrap();
        assert!(verify_nkey(&nkey, &RAW_URL.encode(&sig), nonce));
        assert!(verify_nkey(&nkey, &STD.encode(&sig), nonce));
        assert!(!verify_nkey(
            &nkey,
            &RAW_URL.encode(&sig),
            "q1w2e3r4t5y6u7j"
        ));
        // The Python-made signature matches (Ed25519 is deterministic).
        let sig = user(seed()).sign(NONCE.as_bytes()).unwrap();
        assert_eq!(RAW_URL.encode(sig), SIG_URL);
    }
}
