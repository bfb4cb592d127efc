//! The NATS header block (ADR-4): `NATS/1.0[ <status>[ <description>]]\r\n`, then
//! `Name: value\r\n` lines, then an empty line.
//!
//! The server never rewrites client headers (nats-server only checks that the header size is
//! not larger than the total size); this module measures and validates blocks for the few
//! places that look inside, and builds the blocks the server itself sends (no-responders 503).

/// The version line every block starts with.
pub const VERSION_LINE: &[u8] = b"NATS/1.0";

/// Why a block is not a valid header block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeaderError {
    /// Does not start with `NATS/1.0`.
    BadVersion,
    /// Does not end with the empty line `\r\n\r\n`.
    Unterminated,
    /// The inline status is not three digits.
    BadStatus,
}

/// The inline status of a header block, e.g. `503` or `404 No Messages`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Status<'a> {
    /// The three-digit code (`503`: no responders; `404`, `408`: pull requests, ...).
    pub code: u16,
    /// The text after the code, without the separating space; empty when there is none.
    pub description: &'a [u8],
}

/// Validates a complete header block and returns its inline status, if any.
///
/// # Errors
///
/// [`HeaderError`] when the block does not start with the `NATS/1.0` version, does not end
/// with an empty line, or has an inline status that is not three digits.
pub fn validate(block: &[u8]) -> Result<Option<Status<'_>>, HeaderError> {
    let rest = block
        .strip_prefix(VERSION_LINE)
        .ok_or(HeaderError::BadVersion)?;
    if !block.ends_with(b"\r\n\r\n") {
        return Err(HeaderError::Unterminated);
    }
    let line_end = memchr::memmem::find(rest, b"\r\n").ok_or(HeaderError::Unterminated)?;
    let line = &rest[..line_end];
    if line.is_empty() {
        return Ok(None);
    }
    let line = line.strip_prefix(b" ").ok_or(HeaderError::BadVersion)?;
    let (code, description) = match line.iter().position(|&b| b == b' ') {
        Some(i) => (&line[..i], &line[i + 1..]),
        None => (line, &line[line.len()..]),
    };
    if code.len() != 3 || !code.iter().all(u8::is_ascii_digit) {
        return Err(HeaderError::BadStatus);
    }
    let code = code.iter().fold(0u16, |n, &d| n * 10 + u16::from(d - b'0'));
    Ok(Some(Status { code, description }))
}

/// Length of the no-responders block for a request to `subject`.
#[must_use]
pub fn no_responders_len(subject: &[u8]) -> usize {
    NO_RESPONDERS_HEAD.len() + subject.len() + 4
}

const NO_RESPONDERS_HEAD: &[u8] = b"NATS/1.0 503\r\nNats-Subject: ";

/// Appends the block nats-server (2.12+) sends to a requester nobody answered:
/// `NATS/1.0 503\r\nNats-Subject: <subject>\r\n\r\n`.
pub fn write_no_responders(out: &mut Vec<u8>, subject: &[u8]) {
    out.extend_from_slice(NO_RESPONDERS_HEAD);
    out.extend_from_slice(subject);
    out.extend_from_slice(b"\r\n\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses() {
        assert_eq!(validate(b"NATS/1.0\r\nBar: Baz\r\n\r\n"), Ok(None));
        assert_eq!(
            validate(b"NATS/1.0 503\r\n\r\n"),
            Ok(Some(Status {
                code: 503,
                description: b""
            }))
        );
        assert_eq!(
            validate(b"NATS/1.0 404 No Messages\r\n\r\n"),
            Ok(Some(Status {
                code: 404,
                description: b"No Messages"
            }))
        );
        assert_eq!(validate(b"HTTP/1.1\r\n\r\n"), Err(HeaderError::BadVersion));
        assert_eq!(validate(b"NATS/1.0\r\n"), Err(HeaderError::Unterminated));
        assert_eq!(
            validate(b"NATS/1.0 50x\r\n\r\n"),
            Err(HeaderError::BadStatus)
        );
    }

    #[test]
    fn no_responders_block_is_32_plus_subject() {
        let mut out = Vec::new();
        write_no_responders(&mut out, b"svc.x");
        assert_eq!(out, b"NATS/1.0 503\r\nNats-Subject: svc.x\r\n\r\n");
        assert_eq!(out.len(), 32 + 5);
        assert_eq!(no_responders_len(b"svc.x"), out.len());
        assert!(matches!(validate(&out), Ok(Some(Status { code: 503, .. }))));
    }
}
