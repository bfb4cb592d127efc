//! NATS nkeys: user public keys and the signature check of the nkey handshake.
//!
//! A public nkey is RFC 4648 base32 (upper case, no padding) of
//! `[prefix byte] ++ 32-byte Ed25519 public key ++ CRC-16/XMODEM (little endian)` of the first
//! 33 bytes: 35 bytes, 56 characters. The user prefix byte is `20 << 3`, which is why user keys
//! start with `U`. Only user keys are accepted here: nats-server only verifies user nkeys when
//! a client connects.
//!
//! The client proves it owns the key by signing the INFO `nonce` (the string's bytes) with
//! Ed25519 and sending the 64-byte signature as base64 URL-safe without padding; standard
//! base64 with padding is accepted too. Like Go's decoders, CR and LF inside the signature
//! are ignored and non-zero trailing bits are tolerated.

use base64::alphabet;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::Engine as _;
use ed25519_dalek::{Signature, Verifier as _, VerifyingKey};

/// Prefix byte of user public keys (`'U'` once encoded).
pub const PREFIX_BYTE_USER: u8 = 20 << 3;

/// Length of an encoded public nkey.
pub const PUBLIC_KEY_LEN: usize = 56;

const B32_ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

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

/// CRC-16/XMODEM (polynomial 0x1021, initial value 0), as nkeys uses.
fn crc16(data: &[u8]) -> u16 {
    let mut crc: u16 = 0;
    for &b in data {
        crc ^= u16::from(b) << 8;
        for _ in 0..8 {
            crc = if crc & 0x8000 != 0 {
                (crc << 1) ^ 0x1021
            } else {
                crc << 1
            };
        }
    }
    crc
}

/// Base32 decoding (standard alphabet, no padding), as Go's `base32.StdEncoding.
/// WithPadding(NoPadding)`: upper case only, CR/LF ignored, a dangling partial group is an
/// error.
fn base32_decode(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len() * 5 / 8);
    let mut acc: u32 = 0;
    let mut bits = 0u32;
    let mut chars = 0usize;
    for &c in s.as_bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'2'..=b'7' => c - b'2' + 26,
            b'\r' | b'\n' => continue,
            _ => return None,
        };
        chars += 1;
        acc = (acc << 5) | u32::from(v);
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            // Keeps the low 8 bits on purpose: that is the next output byte.
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    // A final group of 1, 3 or 6 characters cannot come from whole bytes.
    matches!(chars % 8, 0 | 2 | 4 | 5 | 7).then_some(out)
}

fn base32_encode(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len().div_ceil(5) * 8);
    let mut acc: u32 = 0;
    let mut bits = 0u32;
    for &b in data {
        acc = (acc << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(char::from(B32_ALPHABET[((acc >> bits) & 31) as usize]));
        }
        acc &= (1 << bits) - 1;
    }
    if bits > 0 {
        out.push(char::from(
            B32_ALPHABET[((acc << (5 - bits)) & 31) as usize],
        ));
    }
    out
}

/// The 32-byte Ed25519 public key inside a user public nkey (`U...`).
pub fn decode_user_public_key(nkey: &str) -> Result<[u8; 32], NkeyError> {
    let raw = base32_decode(nkey).ok_or(NkeyError::Encoding)?;
    if raw.len() != 35 {
        return Err(NkeyError::Encoding);
    }
    let (body, crc) = raw.split_at(33);
    if crc16(body) != u16::from_le_bytes([crc[0], crc[1]]) {
        return Err(NkeyError::Checksum);
    }
    // nkeys masks the low 3 bits (they carry key-type bits in seeds only).
    if body[0] & 0xF8 != PREFIX_BYTE_USER {
        return Err(NkeyError::Prefix);
    }
    let mut key = [0u8; 32];
    key.copy_from_slice(&body[1..]);
    Ok(key)
}

/// Whether `nkey` is a well-formed user public key (nats-server's
/// `nkeys.IsValidPublicUserKey`).
pub fn is_valid_user_public_key(nkey: &str) -> bool {
    decode_user_public_key(nkey).is_ok()
}

/// Encodes a 32-byte Ed25519 public key as a user public nkey (`U...`).
pub fn encode_user_public_key(key: &[u8; 32]) -> String {
    let mut raw = Vec::with_capacity(35);
    raw.push(PREFIX_BYTE_USER);
    raw.extend_from_slice(key);
    let crc = crc16(&raw);
    raw.extend_from_slice(&crc.to_le_bytes());
    base32_encode(&raw)
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
    let Ok(key) = decode_user_public_key(nkey) else {
        return false;
    };
    let Ok(key) = VerifyingKey::from_bytes(&key) else {
        return false;
    };
    key.verify(nonce.as_bytes(), &Signature::from_bytes(&sig))
        .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ed25519_dalek::{Signer as _, SigningKey};

    /// Made with the Python `nkeys` package (0.2.1) from the raw seed bytes 1..=32:
    /// seed `SUAACAQDAQCQMBYIBEFAWDANBYHRAEISCMKBKFQXDAMRUGY4DUPB6IC5CQ`, signing the nonce
    /// `ABCDEFGHIJKLMNO`.
    const PUB: &str = "UB43KVROR7TFJ6KAPCYRF2FJROTZAH4FHLTJLPWX4DRZCC5NASLGJBFE";
    const ACCOUNT: &str = "AB43KVROR7TFJ6KAPCYRF2FJROTZAH4FHLTJLPWX4DRZCC5NASLGIFW3";
    const KEY_HEX: &str = "79b5562e8fe654f94078b112e8a98ba7901f853ae695bed7e0e3910bad049664";
    const NONCE: &str = "ABCDEFGHIJKLMNO";
    const SIG_URL: &str =
        "BnqaJHA4sUy7RnVdnJpPiWHU2_9Nt2SaqBppfc1u1DoXlgs23eFL2bdaIUhN55rsWsnECuQUTKBtRc14lJEWCg";
    const SIG_STD: &str =
        "BnqaJHA4sUy7RnVdnJpPiWHU2/9Nt2SaqBppfc1u1DoXlgs23eFL2bdaIUhN55rsWsnECuQUTKBtRc14lJEWCg==";

    fn seed() -> [u8; 32] {
        core::array::from_fn(|i| i as u8 + 1)
    }

    fn hex(b: &[u8]) -> String {
        b.iter().map(|x| format!("{x:02x}")).collect()
    }

    #[test]
    fn crc16_xmodem_check_value() {
        // The catalogue check value of CRC-16/XMODEM.
        assert_eq!(crc16(b"123456789"), 0x31C3);
        assert_eq!(crc16(b""), 0);
    }

    #[test]
    fn base32_round_trip() {
        for len in 0..40 {
            let data: Vec<u8> = (0..len).map(|i| (i * 37 + 11) as u8).collect();
            let enc = base32_encode(&data);
            assert_eq!(base32_decode(&enc).unwrap(), data, "{len}");
        }
        // RFC 4648 test vectors, padding stripped.
        assert_eq!(base32_encode(b"foobar"), "MZXW6YTBOI");
        assert_eq!(base32_decode("MZXW6YQ").unwrap(), b"foob");
        assert!(base32_decode("mzxw6yq").is_none(), "lower case");
        assert!(base32_decode("MZXW6YQ=").is_none(), "padding");
        assert!(base32_decode("M").is_none(), "dangling character");
    }

    #[test]
    fn known_user_key_decodes() {
        let key = decode_user_public_key(PUB).unwrap();
        assert_eq!(hex(&key), KEY_HEX);
        assert_eq!(encode_user_public_key(&key), PUB);
        assert_eq!(PUB.len(), PUBLIC_KEY_LEN);
        // The same key bytes derived by ed25519-dalek from the same seed.
        let sk = SigningKey::from_bytes(&seed());
        assert_eq!(sk.verifying_key().to_bytes(), key);
    }

    #[test]
    fn bad_keys_are_rejected() {
        assert_eq!(decode_user_public_key(ACCOUNT), Err(NkeyError::Prefix));
        let mut flipped = PUB.to_string();
        flipped.replace_range(10..11, "A");
        assert_eq!(decode_user_public_key(&flipped), Err(NkeyError::Checksum));
        assert_eq!(decode_user_public_key(&PUB[..55]), Err(NkeyError::Encoding));
        assert_eq!(decode_user_public_key(""), Err(NkeyError::Encoding));
        assert_eq!(
            decode_user_public_key(&PUB.to_lowercase()),
            Err(NkeyError::Encoding)
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
        let other = SigningKey::from_bytes(&[7u8; 32]);
        let other_pub = encode_user_public_key(&other.verifying_key().to_bytes());
        assert!(!verify_nkey(&other_pub, SIG_URL, NONCE));
    }

    #[test]
    fn fresh_keypair_round_trip() {
        let sk = SigningKey::from_bytes(&[42u8; 32]);
        let nkey = encode_user_public_key(&sk.verifying_key().to_bytes());
        assert!(nkey.starts_with('U') && nkey.len() == PUBLIC_KEY_LEN);
        assert!(is_valid_user_public_key(&nkey));
        let nonce = "q1w2e3r4t5y6u7i";
        let sig = sk.sign(nonce.as_bytes()).to_bytes();
        assert!(verify_nkey(&nkey, &RAW_URL.encode(sig), nonce));
        assert!(verify_nkey(&nkey, &STD.encode(sig), nonce));
        assert!(!verify_nkey(&nkey, &RAW_URL.encode(sig), "q1w2e3r4t5y6u7j"));
        // The Python-made signature matches ed25519-dalek's (Ed25519 is deterministic).
        let sk = SigningKey::from_bytes(&seed());
        assert_eq!(
            RAW_URL.encode(sk.sign(NONCE.as_bytes()).to_bytes()),
            SIG_URL
        );
    }
}
