//! Subject filters: which stored subjects a consumer, a purge or a `subjects_filter` selects.
//!
//! A filter is a subject whose tokens may be `*` (exactly one token) or a final `>` (one or
//! more tokens), as in nats-server. The store does not depend on the subscription crate
//! (`fastnats-sublist`), so this is the small token matcher the store needs; it follows the
//! same rules (a wildcard is only a whole token, `foo.>` does not match `foo`).
//!
//! `Filters` (crate-private) is a set of filters (a consumer may have several): an empty set, or one that
//! contains `>`, matches every subject, and the store then skips all per-subject work.

/// Whether `filter` contains a wildcard token (`*` anywhere, or `>`).
#[must_use]
pub fn has_wildcard(filter: &str) -> bool {
    filter.split('.').any(|t| t == "*" || t == ">")
}

/// Whether `subject` (a literal subject) is selected by `filter`.
#[must_use]
pub fn subject_matches(filter: &str, subject: &str) -> bool {
    let mut f = filter.split('.');
    let mut s = subject.split('.');
    loop {
        match (f.next(), s.next()) {
            (None, None) => return true,
            (Some(">"), Some(_)) => return f.next().is_none(),
            (Some("*"), Some(_)) => {}
            (Some(a), Some(b)) if a == b => {}
            _ => return false,
        }
    }
}

/// A set of filters, matched as "any of".
#[derive(Clone, Debug)]
pub(crate) struct Filters<'a> {
    list: Vec<&'a str>,
    all: bool,
}

impl<'a> Filters<'a> {
    /// The set of `filters`; empty strings are ignored, and no filter at all means "everything".
    pub(crate) fn new(filters: &[&'a str]) -> Self {
        let list: Vec<&str> = filters.iter().copied().filter(|f| !f.is_empty()).collect();
        let all = list.is_empty() || list.contains(&">");
        Filters { list, all }
    }

    /// Whether every subject matches.
    pub(crate) fn is_all(&self) -> bool {
        self.all
    }

    /// The single literal subject this set selects, if it is exactly one literal.
    pub(crate) fn single_literal(&self) -> Option<&'a str> {
        match self.list.as_slice() {
            [one] if !has_wildcard(one) => Some(one),
            _ => None,
        }
    }

    /// Whether `subject` is selected.
    pub(crate) fn matches(&self, subject: &str) -> bool {
        self.all || self.list.iter().any(|f| subject_matches(f, subject))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens() {
        assert!(subject_matches("a.b", "a.b"));
        assert!(!subject_matches("a.b", "a.b.c"));
        assert!(subject_matches("a.*", "a.b"));
        assert!(!subject_matches("a.*", "a.b.c"));
        assert!(subject_matches("a.>", "a.b.c"));
        assert!(!subject_matches("a.>", "a"));
        assert!(subject_matches(">", "a"));
        assert!(subject_matches("*.b.>", "x.b.y"));
        assert!(!subject_matches("a*", "ab"));
        assert!(subject_matches("a*", "a*"));
        assert!(has_wildcard("a.*") && has_wildcard(">") && !has_wildcard("a*.b>"));
    }

    #[test]
    fn sets() {
        assert!(Filters::new(&[]).is_all());
        assert!(Filters::new(&["a", ">"]).is_all());
        let f = Filters::new(&["a.*", "b"]);
        assert!(f.matches("a.x") && f.matches("b") && !f.matches("c"));
        assert_eq!(Filters::new(&["b"]).single_literal(), Some("b"));
        assert_eq!(f.single_literal(), None);
    }
}
