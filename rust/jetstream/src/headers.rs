//! Reading the JetStream headers of a published message (`Nats-Msg-Id`,
//! `Nats-Expected-*`, `Nats-Rollup`) out of its raw header block, without allocating.
//!
//! Keys match exactly (case-sensitive), as nats-server's `getHeader` does; the value is
//! trimmed of surrounding spaces.

/// `Nats-Msg-Id`: the de-duplication id.
pub const MSG_ID: &[u8] = b"Nats-Msg-Id";
/// `Nats-Expected-Stream`.
pub const EXPECTED_STREAM: &[u8] = b"Nats-Expected-Stream";
/// `Nats-Expected-Last-Sequence`.
pub const EXPECTED_LAST_SEQ: &[u8] = b"Nats-Expected-Last-Sequence";
/// `Nats-Expected-Last-Subject-Sequence`.
pub const EXPECTED_LAST_SUBJ_SEQ: &[u8] = b"Nats-Expected-Last-Subject-Sequence";
/// `Nats-Expected-Last-Msg-Id`.
pub const EXPECTED_LAST_MSG_ID: &[u8] = b"Nats-Expected-Last-Msg-Id";
/// `Nats-Rollup` (`sub` or `all`).
pub const ROLLUP: &[u8] = b"Nats-Rollup";

/// The value of the first `key` header in `hdr`, if present and not empty.
#[must_use]
pub fn get<'a>(hdr: &'a [u8], key: &[u8]) -> Option<&'a [u8]> {
    // Skip the status line.
    let mut rest = match memchr_crlf(hdr) {
        Some(i) => &hdr[i + 2..],
        None => return None,
    };
    while let Some(end) = memchr_crlf(rest) {
        let line = &rest[..end];
        rest = &rest[end + 2..];
        if line.len() > key.len() && line.starts_with(key) && line[key.len()] == b':' {
            let v = line[key.len() + 1..].trim_ascii();
            return (!v.is_empty()).then_some(v);
        }
    }
    None
}

/// A header parsed as nats-server's `parseInt64` then `uint64(...)`: anything but digits is
/// -1, which becomes `u64::MAX` (so it never matches a real sequence).
#[must_use]
pub fn get_u64(hdr: &[u8], key: &[u8]) -> Option<u64> {
    let v = get(hdr, key)?;
    if v.is_empty() || v.len() > 19 || !v.iter().all(u8::is_ascii_digit) {
        return Some(u64::MAX);
    }
    Some(v.iter().fold(0u64, |n, d| n * 10 + u64::from(d - b'0')))
}

fn memchr_crlf(b: &[u8]) -> Option<usize> {
    b.windows(2).position(|w| w == b"\r\n")
}

/// Appends `Key: value\r\n` before the blank line that ends `hdr` (nats-server's
/// `genHeader`), or starts a header block when `hdr` is empty.
pub fn append(hdr: &mut Vec<u8>, key: &str, value: &str) {
    if hdr.len() >= 4 && hdr.ends_with(b"\r\n\r\n") {
        hdr.truncate(hdr.len() - 2);
    } else if hdr.is_empty() {
        hdr.extend_from_slice(b"NATS/1.0\r\n");
    }
    hdr.extend_from_slice(key.as_bytes());
    hdr.extend_from_slice(b": ");
    hdr.extend_from_slice(value.as_bytes());
    hdr.extend_from_slice(b"\r\n\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_exact_keys() {
        let h = b"NATS/1.0\r\nNats-Msg-Id: a1 \r\nNats-Expected-Last-Sequence: 7\r\n\r\n";
        assert_eq!(get(h, MSG_ID), Some(&b"a1"[..]));
        assert_eq!(get_u64(h, EXPECTED_LAST_SEQ), Some(7));
        assert_eq!(get(h, b"nats-msg-id"), None);
        assert_eq!(get(h, ROLLUP), None);
        assert_eq!(
            get_u64(
                b"NATS/1.0\r\nNats-Expected-Last-Sequence: x\r\n\r\n",
                EXPECTED_LAST_SEQ
            ),
            Some(u64::MAX)
        );
    }

    #[test]
    fn appends_before_the_end() {
        let mut h = b"NATS/1.0\r\nA: 1\r\n\r\n".to_vec();
        append(&mut h, "B", "2");
        assert_eq!(h, b"NATS/1.0\r\nA: 1\r\nB: 2\r\n\r\n");
        let mut e = Vec::new();
        append(&mut e, "B", "2");
        assert_eq!(e, b"NATS/1.0\r\nB: 2\r\n\r\n");
    }
}
