//! Subject grammar: validation of subscription and publish subjects, and the reference
//! `pattern` ⟶ `subject` matcher.
//!
//! A subject is a `.`-separated list of tokens. Tokens are compared byte-wise and may not be
//! empty. Like nats-server's sublist and its pedantic literal check, validation looks at token
//! structure only, not at the bytes inside a token: the protocol's argument splitting already
//! keeps blanks out, and nats-server accepts e.g. a form feed or (in `PUB`) a `\r` inside a
//! subject, as the wire tests against it show.
//!
//! In a subscription subject the token `*` matches exactly one token and the token `>` matches
//! one or more trailing tokens, so `>` may only be the last token. `*` and `>` are wildcards
//! only when they are the whole token: `foo*` and `a.b>` are ordinary literal tokens.
//!
//! [`matches`](fn@matches) is the specification of what the trie in [`crate::Sublist`]
//! computes: the property tests compare the two.

/// Token separator.
pub(crate) const SEP: u8 = b'.';
/// The single-token wildcard, as a whole token.
pub(crate) const PWC: &[u8] = b"*";
/// The full (trailing) wildcard, as a whole token.
pub(crate) const FWC: &[u8] = b">";

/// Whether `s` is a valid *subscription* subject: non-empty, no empty tokens (no leading,
/// trailing or doubled dots), and `>` only as the last token.
/// Wildcards (`*`, `>`) are allowed.
#[must_use]
pub fn is_valid_subject(s: &[u8]) -> bool {
    if s.is_empty() {
        return false;
    }
    let mut after_fwc = false;
    for tok in s.split(|&b| b == SEP) {
        if after_fwc || tok.is_empty() {
            return false;
        }
        after_fwc = tok == FWC;
    }
    true
}

/// Whether `s` is a valid subject that contains no wildcard token: what a pedantic `PUB` must
/// use. `foo*` is literal (the wildcard must be a whole token); `foo.*` is not.
#[must_use]
pub fn is_valid_literal_subject(s: &[u8]) -> bool {
    is_valid_subject(s) && !has_wildcard_token(s)
}

/// Whether the published subject `subject` is matched by the subscription subject `pattern`.
///
/// `*` in `pattern` matches exactly one token, a final `>` one or more trailing tokens (so
/// `foo.>` does not match `foo`). Every other token, and every token of `subject` (even `*` or
/// `>`), is compared byte-wise. A `subject` with an empty token matches nothing, and an invalid
/// `pattern` (see [`is_valid_subject`]) matches nothing.
#[must_use]
pub fn matches(pattern: &[u8], subject: &[u8]) -> bool {
    if !is_valid_subject(pattern) || has_empty_token(subject) {
        return false;
    }
    let mut pat = pattern.split(|&b| b == SEP);
    let mut sub = subject.split(|&b| b == SEP);
    loop {
        match (pat.next(), sub.next()) {
            (None, None) => return true,
            // `>` is the last token of a valid pattern and there is at least one token left.
            (Some(FWC), Some(_)) => return true,
            (Some(PWC), Some(_)) => {}
            (Some(p), Some(s)) if p == s => {}
            _ => return false,
        }
    }
}

/// A valid subscription subject split once, to be matched against many subjects (the match
/// cache checks every cached subject when a wildcard subscription comes or goes).
pub(crate) struct Pattern<'a> {
    /// The tokens, without a final `>`.
    tokens: Vec<&'a [u8]>,
    /// Whether the pattern ended in `>`.
    tail_fwc: bool,
}

impl<'a> Pattern<'a> {
    /// `pattern` must be valid ([`is_valid_subject`]).
    pub(crate) fn new(pattern: &'a [u8]) -> Self {
        let mut tokens: Vec<&[u8]> = pattern.split(|&b| b == SEP).collect();
        let tail_fwc = tokens.last() == Some(&FWC);
        if tail_fwc {
            tokens.pop();
        }
        Pattern { tokens, tail_fwc }
    }

    /// [`matches`] for a `subject` without empty tokens.
    pub(crate) fn matches(&self, subject: &[u8]) -> bool {
        debug_assert!(!has_empty_token(subject));
        let mut rest = Some(subject);
        for &want in &self.tokens {
            let Some(r) = rest else {
                return false;
            };
            let (tok, tail) = split_first(r);
            if want != PWC && want != tok {
                return false;
            }
            rest = tail;
        }
        // Every pattern token is used: a match if the subject ended too, or if `>` takes the
        // (at least one) remaining tokens.
        rest.is_some() == self.tail_fwc
    }
}

/// Whether `s` is empty or has an empty token (leading, trailing or doubled dot). Such a
/// published subject matches nothing.
#[inline]
pub(crate) fn has_empty_token(s: &[u8]) -> bool {
    match (s.first(), s.last()) {
        (Some(&first), Some(&last)) => {
            first == SEP || last == SEP || s.windows(2).any(|w| w[0] == SEP && w[1] == SEP)
        }
        _ => true,
    }
}

/// Whether any token of `s` is exactly `*` or `>`.
pub(crate) fn has_wildcard_token(s: &[u8]) -> bool {
    s.split(|&b| b == SEP).any(|t| t == PWC || t == FWC)
}

/// Splits off the first token: `b"a.b.c"` ⟶ (`b"a"`, `Some(b"b.c")`), `b"a"` ⟶ (`b"a"`, `None`).
#[inline]
pub(crate) fn split_first(s: &[u8]) -> (&[u8], Option<&[u8]>) {
    match s.iter().position(|&b| b == SEP) {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const VALID: &[&str] = &[
        "foo",
        "foo.bar",
        "foo.bar.baz",
        "*",
        ">",
        "foo.*",
        "*.bar",
        "foo.*.baz",
        "foo.>",
        "*.>",
        "*.*.*",
        "foo*",     // literal token: wildcard only as a whole token
        "foo.bar*", // literal
        "a.b>",     // literal
        "a.>b",     // literal
        "**",       // literal
        ">>",       // literal
        "a.>>.c",   // `>>` is literal, so not a final wildcard
        "$SYS.REQ", // reserved prefixes are still valid subjects
        "_INBOX.abc.123",
        // bytes inside a token are not checked (nats-server accepts these on the wire)
        "foo bar",
        "foo\x0cbar",
        "foo\rbar",
        "foo-bar_baz:1/2",
        "ünïcödé.日本",
        "a\u{1}b", // so are control bytes
    ];

    const INVALID: &[&str] = &[
        "",
        ".",
        "..",
        ".foo",
        "foo.",
        "foo..bar",
        "foo.bar.",
        ">.foo",
        "foo.>.bar",
        "foo.>.>",
        "foo.*.",
    ];

    #[test]
    fn valid_subjects() {
        for s in VALID {
            assert!(is_valid_subject(s.as_bytes()), "{s:?} should be valid");
        }
    }

    #[test]
    fn invalid_subjects() {
        for s in INVALID {
            assert!(!is_valid_subject(s.as_bytes()), "{s:?} should be invalid");
        }
    }

    #[test]
    fn literal_subjects() {
        for s in ["foo", "foo.bar", "foo*", "a.b>", "**", "a.>>.c", "_INBOX.x"] {
            assert!(is_valid_literal_subject(s.as_bytes()), "{s:?} is literal");
        }
        for s in ["*", ">", "foo.*", "foo.>", "*.bar", "a.*.c", ""] {
            assert!(
                !is_valid_literal_subject(s.as_bytes()),
                "{s:?} is not literal"
            );
        }
        for s in INVALID {
            assert!(!is_valid_literal_subject(s.as_bytes()), "{s:?} is invalid");
        }
    }

    #[test]
    fn matches_table() {
        // (pattern, subject, expected)
        let table: &[(&str, &str, bool)] = &[
            ("foo", "foo", true),
            ("foo", "bar", false),
            ("foo", "foo.bar", false),
            ("foo.bar", "foo", false),
            ("foo.bar", "foo.bar", true),
            ("*", "foo", true),
            ("*", "foo.bar", false),
            ("foo.*", "foo.bar", true),
            ("foo.*", "foo", false),
            ("foo.*", "foo.bar.baz", false),
            ("*.bar", "foo.bar", true),
            ("*.bar", "foo.baz", false),
            ("foo.*.baz", "foo.x.baz", true),
            ("foo.*.baz", "foo.x.bar", false),
            (">", "foo", true),
            (">", "foo.bar.baz", true),
            ("foo.>", "foo", false),
            ("foo.>", "foo.bar", true),
            ("foo.>", "foo.bar.baz", true),
            ("foo.>", "bar.baz", false),
            ("*.>", "foo", false),
            ("*.>", "foo.bar", true),
            ("*.*", "foo.bar", true),
            ("*.*", "foo.bar.baz", false),
            // literal tokens that look like wildcards
            ("foo*", "foo*", true),
            ("foo*", "foobar", false),
            ("a.b>", "a.b>", true),
            ("a.b>", "a.bc", false),
            // published subjects with wildcard tokens are compared byte-wise
            ("foo.*", "foo.*", true),
            ("foo.*", "foo.>", true),
            ("foo.>", "foo.*", true),
            ("foo.bar", "foo.*", false),
            ("foo.*", "foo.*.x", false),
            // byte-wise, case-sensitive
            ("Foo", "foo", false),
            ("日本.*", "日本.x", true),
            // a subject with an empty token matches nothing
            (">", "", false),
            (">", ".", false),
            (">", "foo..bar", false),
            (">", ".foo", false),
            (">", "foo.", false),
            ("*.*", "foo.", false),
            ("foo.>", "foo.", false),
            // an invalid pattern matches nothing
            ("", "", false),
            ("foo..bar", "foo..bar", false),
            ("foo.>.bar", "foo.x.bar", false),
            ("foo bar", "foo bar", true),
            // whitespace inside a published token is just bytes
            ("*", "a b", true),
        ];
        for &(p, s, want) in table {
            assert_eq!(
                matches(p.as_bytes(), s.as_bytes()),
                want,
                "matches({p:?}, {s:?})"
            );
        }
    }

    fn tokens(alphabet: &'static [&'static str]) -> impl Strategy<Value = String> {
        prop::collection::vec(prop::sample::select(alphabet), 1..5).prop_map(|t| t.join("."))
    }

    proptest! {
        /// The cache's pre-split matcher and `matches` are two implementations of one rule.
        #[test]
        fn pattern_agrees_with_matches(
            p in tokens(&["a", "b", "*", ">"]),
            s in tokens(&["a", "b", "*", ">", "ab"]),
        ) {
            prop_assume!(is_valid_subject(p.as_bytes()));
            let (pb, sb) = (p.as_bytes(), s.as_bytes());
            prop_assert_eq!(Pattern::new(pb).matches(sb), matches(pb, sb));
        }
    }

    #[test]
    fn empty_token_detection() {
        for s in ["", ".", "a.", ".a", "a..b", "a.b..", "..a"] {
            assert!(has_empty_token(s.as_bytes()), "{s:?}");
        }
        for s in ["a", "a.b", "a.b.c", "*", ">", "a b"] {
            assert!(!has_empty_token(s.as_bytes()), "{s:?}");
        }
    }

    #[test]
    fn split_first_tokens() {
        assert_eq!(split_first(b"a.b.c"), (&b"a"[..], Some(&b"b.c"[..])));
        assert_eq!(split_first(b"abc"), (&b"abc"[..], None));
        assert_eq!(split_first(b"a."), (&b"a"[..], Some(&b""[..])));
    }

    #[test]
    fn wildcard_tokens() {
        assert!(has_wildcard_token(b"*"));
        assert!(has_wildcard_token(b"a.>"));
        assert!(has_wildcard_token(b"a.*.b"));
        assert!(!has_wildcard_token(b"a*.b>"));
        assert!(!has_wildcard_token(b"a.b"));
    }
}
