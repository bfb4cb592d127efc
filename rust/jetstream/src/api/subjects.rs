//! Subject and name rules of JetStream, as nats-server's `sublist.go` and `jetstream.go`
//! define them.
//!
//! These differ from the client protocol's grammar in `fastnats-sublist` on purpose:
//! nats-server's `IsValidSubject`, used for stream subjects, filters and deliver subjects,
//! also refuses blanks (space, tab, CR, LF, FF) inside a token, which the protocol's argument
//! splitting makes impossible on the wire but a JSON config can contain. And
//! [`subjects_collide`] answers "can one subject match both patterns?", a question the
//! subscription trie never asks.

const BLANKS: &[char] = &[' ', '\t', '\n', '\r', '\x0c'];

/// nats-server's `IsValidSubject`: non-empty, no empty token, `>` only last, no blanks.
#[must_use]
pub fn is_valid_subject(subject: &str) -> bool {
    if subject.is_empty() {
        return false;
    }
    let mut after_fwc = false;
    for token in subject.split('.') {
        if token.is_empty() || after_fwc || token.contains(BLANKS) {
            return false;
        }
        after_fwc = token == ">";
    }
    true
}

/// nats-server's `subjectIsLiteral`: no token is exactly `*` or `>`.
#[must_use]
pub fn subject_is_literal(subject: &str) -> bool {
    !subject.split('.').any(|t| t == "*" || t == ">")
}

/// nats-server's `IsValidPublishSubject`: valid and literal.
#[must_use]
pub fn is_valid_publish_subject(subject: &str) -> bool {
    is_valid_subject(subject) && subject_is_literal(subject)
}

/// nats-server's `SubjectsCollide`: whether some literal subject matches both patterns.
#[must_use]
pub fn subjects_collide(a: &str, b: &str) -> bool {
    if a == b {
        return true;
    }
    let ta: Vec<&str> = a.split('.').collect();
    let tb: Vec<&str> = b.split('.').collect();
    let (pwc_a, fwc_a) = wildcards(&ta);
    let (pwc_b, fwc_b) = wildcards(&tb);
    let (lit_a, lit_b) = (!(pwc_a || fwc_a), !(pwc_b || fwc_b));
    match (lit_a, lit_b) {
        (true, true) => return a == b,
        (true, false) => return is_subset_match(&ta, &tb),
        (false, true) => return is_subset_match(&tb, &ta),
        (false, false) => {}
    }
    // Both have wildcards: of different lengths, only if the shorter ends in `>`.
    if ta.len() != tb.len() {
        let shorter_fwc = if ta.len() < tb.len() { fwc_a } else { fwc_b };
        if !shorter_fwc {
            return false;
        }
    }
    ta.iter().zip(&tb).all(|(x, y)| tokens_can_match(x, y))
}

/// nats-server's `subjectIsSubsetMatch`: whether every subject `subject` matches is matched
/// by `test` too (`foo.bar` and `foo.*` are subsets of `foo.>`; `*` is a subset of `*` but
/// not of `foo`).
#[must_use]
pub fn subject_is_subset_match(subject: &str, test: &str) -> bool {
    let tokens: Vec<&str> = subject.split('.').collect();
    let test: Vec<&str> = test.split('.').collect();
    is_subset_match(&tokens, &test)
}

/// nats-server's `isSubsetMatchTokenized`.
fn is_subset_match(tokens: &[&str], test: &[&str]) -> bool {
    for (i, t2) in test.iter().enumerate() {
        let Some(t1) = tokens.get(i) else {
            return false;
        };
        if t2.is_empty() {
            return false;
        }
        if *t2 == ">" {
            return true;
        }
        if t1.is_empty() || *t1 == ">" {
            return false;
        }
        if *t1 == "*" {
            if *t2 != "*" {
                return false;
            }
            continue;
        }
        if *t2 != "*" && t1 != t2 {
            return false;
        }
    }
    tokens.len() == test.len()
}

/// Whether the tokens hold a `*` and a `>` (whole tokens).
fn wildcards(tokens: &[&str]) -> (bool, bool) {
    (tokens.contains(&"*"), tokens.contains(&">"))
}

/// nats-server's `tokensCanMatch`: a token starting with `*` or `>` matches anything (a
/// quirk kept: `*x` counts as a wildcard here), other tokens only themselves.
fn tokens_can_match(a: &str, b: &str) -> bool {
    let (Some(ca), Some(cb)) = (a.bytes().next(), b.bytes().next()) else {
        return false;
    };
    matches!(ca, b'*' | b'>') || matches!(cb, b'*' | b'>') || a == b
}

/// The longest stream or consumer name (`JSMaxNameLen`, a common file name limit).
pub const MAX_NAME_LEN: usize = 255;

/// nats-server 2.10's `isValidName` for stream and consumer names: non-empty, without `.`,
/// `*`, `>` or blanks. Path separators are checked apart (see
/// [`check_stream_create`](super::check_stream_create)); nats-server 2.11+'s
/// `isValidAssetName` folds them in, [`is_valid_asset_name`].
#[must_use]
pub fn is_valid_name(name: &str) -> bool {
    !name.is_empty() && !name.contains([' ', '\t', '\r', '\n', '\x0c', '.', '*', '>'])
}

/// nats-server 2.11+'s `isValidAssetName`: [`is_valid_name`] and no `\` or `/` either, the
/// rule fastnats applies to every stream and consumer name, since names become file names.
#[must_use]
pub fn is_valid_asset_name(name: &str) -> bool {
    is_valid_name(name) && !name.contains(['\\', '/'])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validity_is_nats_servers() {
        for s in [
            "a",
            "a.b",
            "a.*",
            "a.>",
            "*",
            ">",
            "$JS.API.>",
            "a*.b>",
            "é",
        ] {
            assert!(is_valid_subject(s), "{s}");
        }
        for s in [
            "", ".", "a.", ".a", "a..b", "a.>.b", "a b", "a\tb", "\n", "a.\r",
        ] {
            assert!(!is_valid_subject(s), "{s:?}");
        }
        assert!(subject_is_literal("a.b*.>c"));
        assert!(!subject_is_literal("a.*.c") || !subject_is_literal("a.>"));
        assert!(is_valid_publish_subject("dlv.x") && !is_valid_publish_subject("dlv.*"));
    }

    #[test]
    fn collisions_are_nats_servers() {
        let yes = [
            ("a", "a"),
            ("a.*", "a.b"),
            ("a.b", "a.>"),
            ("a.*.c", "a.b.*"),
            ("a.>", "*.b"),
            ("*.API.x", "$JS.>"),
            ("c.*.b", "c.a.*"),
            (">", "anything.at.all"),
        ];
        for (a, b) in yes {
            assert!(subjects_collide(a, b), "{a} {b}");
            assert!(subjects_collide(b, a), "{b} {a}");
        }
        let no = [
            ("a", "b"),
            ("a.*", "a"),
            ("a.*", "a.b.c"),
            ("a.>", "a"),
            ("a.*.c", "b.*.c"),
        ];
        for (a, b) in no {
            assert!(!subjects_collide(a, b), "{a} {b}");
            assert!(!subjects_collide(b, a), "{b} {a}");
        }
    }

    #[test]
    fn subsets_are_nats_servers() {
        assert!(subject_is_subset_match("foo.bar", "foo.>"));
        assert!(subject_is_subset_match("foo.*", "foo.>"));
        assert!(subject_is_subset_match("foo.*", "foo.*"));
        assert!(subject_is_subset_match(
            "$JS.EVENT.ADVISORY.>",
            "$JS.EVENT.>"
        ));
        assert!(!subject_is_subset_match("foo.*", "foo.bar"));
        assert!(!subject_is_subset_match("foo.>", "foo.*"));
        assert!(!subject_is_subset_match("foo", "foo.>"));
        assert!(!subject_is_subset_match("c.*.b", "c.a.*"));
    }

    #[test]
    fn names_are_nats_servers() {
        assert!(is_valid_name("ORDERS") && is_valid_name("a-b_c") && is_valid_name("a/b"));
        for n in ["", "a.b", "*", ">", "a b", "a\tb"] {
            assert!(!is_valid_name(n), "{n:?}");
        }
        assert!(!is_valid_asset_name("a/b") && !is_valid_asset_name("a\\b"));
        assert!(is_valid_asset_name("ORDERS"));
    }
}
