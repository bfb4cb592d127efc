//! Password and token comparison, as nats-server's `comparePasswords`.
//!
//! A configured secret that looks like a bcrypt hash (`$2a$`, `$2b$`, `$2x$` or `$2y$`, two
//! digits of cost, `$`) is checked with bcrypt; anything else is compared as plain bytes in
//! constant time (for equal lengths: the length itself is not hidden, as in Go's
//! `subtle.ConstantTimeCompare`). A value with the bcrypt prefix that is not a well-formed
//! hash never matches: it is not silently compared as plain text.
//!
//! bcrypt costs real CPU (cost 11 is tens of milliseconds): call this off the async reactor.

use subtle::ConstantTimeEq;

/// Whether `secret` is treated as a bcrypt hash: nats-server's `^\$2[abxy]\$\d{2}\$.*`.
pub fn is_bcrypt(secret: &str) -> bool {
    let b = secret.as_bytes();
    b.len() >= 7
        && b[0] == b'$'
        && b[1] == b'2'
        && matches!(b[2], b'a' | b'b' | b'x' | b'y')
        && b[3] == b'$'
        && b[4].is_ascii_digit()
        && b[5].is_ascii_digit()
        && b[6] == b'$'
}

/// Whether the client's `client` secret matches the configured `server` one (plain or
/// bcrypt). Passwords longer than 72 bytes are cut at 72 by bcrypt, as Go's bcrypt does.
pub fn compare_password(server: &str, client: &str) -> bool {
    if is_bcrypt(server) {
        bcrypt::verify(client.as_bytes(), server).unwrap_or(false)
    } else {
        server.as_bytes().ct_eq(client.as_bytes()).into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bcrypt_prefix_detection() {
        for h in ["$2a$04$x", "$2b$10$", "$2x$11$abc", "$2y$31$abc"] {
            assert!(is_bcrypt(h), "{h}");
        }
        for p in [
            "", "$2a$", "$2a$4$x", "$2c$04$x", "$3a$04$x", "2a$04$x", "$2a$0a$x", "plain",
        ] {
            assert!(!is_bcrypt(p), "{p}");
        }
    }

    #[test]
    fn plain_comparison() {
        assert!(compare_password("s3cr3t", "s3cr3t"));
        assert!(!compare_password("s3cr3t", "s3cr3T"));
        assert!(!compare_password("s3cr3t", "s3cr3"));
        assert!(!compare_password("s3cr3t", ""));
        assert!(compare_password("", ""));
    }

    #[test]
    fn bcrypt_hash_generated_here() {
        let h = bcrypt::hash("pa55", 4).unwrap();
        assert!(is_bcrypt(&h));
        assert!(compare_password(&h, "pa55"));
        assert!(!compare_password(&h, "pa56"));
        assert!(!compare_password(&h, ""));
        // The hash itself is not the password.
        assert!(!compare_password(&h, &h));
    }

    /// Vectors from libxcrypt's crypt(3) (`crypt.crypt` in Python), an implementation
    /// independent of the bcrypt crate; the first is the classic OpenWall test vector.
    #[test]
    fn bcrypt_known_vectors() {
        assert!(compare_password(
            "$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW",
            "U*U"
        ));
        assert!(!compare_password(
            "$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW",
            "U*U*"
        ));
        assert!(compare_password(
            "$2b$04$abcdefghijklmnopqrstuu35fBIWlNgF8BcAW/t2cO158N8svSFHy",
            "s3cr3t"
        ));
        assert!(compare_password(
            "$2y$04$abcdefghijklmnopqrstuu35fBIWlNgF8BcAW/t2cO158N8svSFHy",
            "s3cr3t"
        ));
        assert!(compare_password(
            "$2x$04$abcdefghijklmnopqrstuu35fBIWlNgF8BcAW/t2cO158N8svSFHy",
            "s3cr3t"
        ));
    }

    #[test]
    fn malformed_bcrypt_never_matches() {
        // Looks like bcrypt, so it is not compared as plain text, even with itself.
        let bad = "$2a$04$tooshort";
        assert!(!compare_password(bad, bad));
        assert!(!compare_password(bad, "tooshort"));
    }
}
