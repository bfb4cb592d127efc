//! Subject arithmetic for exports and imports: whether an import's subject lies inside an
//! export's, and how a subject published under an import's `subject` becomes the subject
//! the other account sees (`prefix`, `to`).
//!
//! nats-server builds a general subject transform for this (`$1`-style mappings); imports
//! only ever need the positional form — the n-th wildcard of the source fills the n-th
//! wildcard of the destination — so that is all this is.

/// Whether every subject `inner` matches is also matched by `outer` (nats-server's
/// `isSubsetMatch`): an import subject must lie inside an export subject.
pub fn is_subset(inner: &[u8], outer: &[u8]) -> bool {
    let mut inner_tokens = inner.split(|&b| b == b'.');
    let mut outer_tokens = outer.split(|&b| b == b'.');
    loop {
        match (inner_tokens.next(), outer_tokens.next()) {
            (None, None) => return true,
            (Some(_), Some(b">")) => return true,
            (Some(b">"), _) => return false,
            (Some(_), Some(b"*")) => {}
            (Some(b"*"), Some(_)) => return false,
            (Some(a), Some(b)) if a == b => {}
            _ => return false,
        }
    }
}

/// How a matching subject is rewritten: kept, replaced by a literal, or rebuilt from a
/// template whose wildcards take the source's wildcard tokens in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubjectMap {
    /// The subject is delivered as published.
    Same,
    /// Every matching subject becomes this one (a literal source).
    Literal(Box<[u8]>),
    /// `template` with its n-th wildcard token replaced by what the source's n-th wildcard
    /// matched (a `>` takes the rest of the subject).
    Template {
        /// The source pattern's tokens.
        from: Vec<Box<[u8]>>,
        /// The destination pattern's tokens.
        to: Vec<Box<[u8]>>,
    },
}

/// Why a mapping can not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MapError {
    /// The two patterns' wildcards do not pair up.
    #[error("the wildcards of {from:?} and {to:?} do not correspond")]
    Wildcards {
        /// The source pattern.
        from: String,
        /// The destination pattern.
        to: String,
    },
}

fn tokens(s: &[u8]) -> Vec<Box<[u8]>> {
    s.split(|&b| b == b'.').map(Into::into).collect()
}

fn is_wildcard(t: &[u8]) -> bool {
    t == b"*" || t == b">"
}

impl SubjectMap {
    /// The mapping from pattern `from` to pattern `to` (both valid subjects).
    pub fn new(from: &[u8], to: &[u8]) -> Result<SubjectMap, MapError> {
        if from == to {
            return Ok(SubjectMap::Same);
        }
        let (from_t, to_t) = (tokens(from), tokens(to));
        let wild = |t: &[Box<[u8]>]| -> Vec<Box<[u8]>> {
            t.iter().filter(|t| is_wildcard(t)).cloned().collect()
        };
        let (wf, wt) = (wild(&from_t), wild(&to_t));
        if wf.is_empty() && wt.is_empty() {
            return Ok(SubjectMap::Literal(to.into()));
        }
        if wf != wt {
            return Err(MapError::Wildcards {
                from: String::from_utf8_lossy(from).into_owned(),
                to: String::from_utf8_lossy(to).into_owned(),
            });
        }
        Ok(SubjectMap::Template {
            from: from_t,
            to: to_t,
        })
    }

    /// The subject `subject` (matched by the source pattern) becomes; `None` means unchanged.
    pub fn apply(&self, subject: &[u8]) -> Option<Vec<u8>> {
        let (from, to) = match self {
            SubjectMap::Same => return None,
            SubjectMap::Literal(l) => return Some(l.to_vec()),
            SubjectMap::Template { from, to } => (from, to),
        };
        let mut captured: Vec<&[u8]> = Vec::new();
        let mut rest = subject;
        for t in from {
            if &**t == b">" {
                captured.push(rest);
                break;
            }
            let (tok, tail) = match rest.iter().position(|&b| b == b'.') {
                Some(i) => (&rest[..i], &rest[i + 1..]),
                None => (rest, &rest[rest.len()..]),
            };
            if &**t == b"*" {
                captured.push(tok);
            }
            rest = tail;
        }
        let mut out = Vec::with_capacity(subject.len() + 16);
        let mut wildcards = captured.into_iter();
        for (i, t) in to.iter().enumerate() {
            if i > 0 {
                out.push(b'.');
            }
            if is_wildcard(t) {
                out.extend_from_slice(wildcards.next().unwrap_or_default());
            } else {
                out.extend_from_slice(t);
            }
        }
        Some(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subsets() {
        assert!(is_subset(b"foo.bar", b"foo.bar"));
        assert!(is_subset(b"foo.bar", b"foo.*"));
        assert!(is_subset(b"foo.*", b"foo.*"));
        assert!(is_subset(b"foo.*.baz", b"foo.>"));
        assert!(is_subset(b"foo.>", b"foo.>"));
        assert!(is_subset(b"foo.>", b">"));
        assert!(!is_subset(b"foo.*", b"foo.bar"));
        assert!(!is_subset(b"foo.>", b"foo.*"));
        assert!(!is_subset(b"foo", b"foo.>"));
        assert!(!is_subset(b"foo.bar.baz", b"foo.*"));
        assert!(!is_subset(b"foo", b"bar"));
    }

    #[test]
    fn maps() {
        let m = |from: &str, to: &str, subject: &str| {
            SubjectMap::new(from.as_bytes(), to.as_bytes())
                .unwrap()
                .apply(subject.as_bytes())
                .map(|v| String::from_utf8(v).unwrap())
        };
        assert_eq!(m("foo.>", "foo.>", "foo.a"), None);
        assert_eq!(
            m("foo.>", "x.foo.>", "foo.a.b").as_deref(),
            Some("x.foo.a.b")
        );
        assert_eq!(m("svc", "local.svc", "svc").as_deref(), Some("local.svc"));
        assert_eq!(m("a.*.c.*", "b.*.*", "a.1.c.2").as_deref(), Some("b.1.2"));
        assert_eq!(
            m("a.*.>", "z.*.y.>", "a.1.2.3").as_deref(),
            Some("z.1.y.2.3")
        );
        assert!(SubjectMap::new(b"a.*", b"b.>").is_err());
        assert!(SubjectMap::new(b"a.*", b"b.*.*").is_err());
        assert!(SubjectMap::new(b"a", b"b.*").is_err());
    }
}
