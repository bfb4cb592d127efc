//! The placeholders of a scoped signing key's template (nats-server's
//! `processUserPermissionsTemplate`): what the `pub`/`sub` `allow`/`deny` subjects of a
//! user signed by that key become.
//!
//! A placeholder is `{{ op }}` (nats-server's `{{2}([^}]+)}{2}`; spaces around `op` are
//! trimmed, the names compare case-insensitively):
//!
//! - `name()`, `subject()`: the user JWT's `name` and `sub`;
//! - `account-name()`: the account JWT's `name`; `account-subject()`: the user's
//!   `issuer_account`;
//! - `tag(<t>)`, `account-tag(<t>)`: every value `v` of a user (account) tag `<t>:v`, where
//!   `<t>` is lowercased; several values give several subjects (every combination when a
//!   subject holds several tag placeholders, at most [`MAX_EXPANSIONS`] in a list).
//!
//! Only a list holding a placeholder is rewritten; then each of its subjects that is not
//! valid once expanded (an empty token, whitespace, a token after `>`) is left out of an
//! `allow` list and refuses the user in a `deny` list. A missing tag leaves an `allow`
//! subject out and refuses the user in a `deny` list; an unknown operation refuses it. An
//! `allow` list that expansion leaves empty adds `>` to the `deny` list.

use super::{AccountClaims, Permission, UserClaims, UserPermissionLimits};

/// The most subjects one list may expand to (nats-server's `maxPermTemplateSubjectExpansions`).
pub const MAX_EXPANSIONS: usize = 4096;

/// Why a template refuses the user (nats-server's texts).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    /// An operation other than the six known.
    #[error("template operation in {subject:?}: {op:?} is not defined")]
    UnknownOperation {
        /// The subject holding it.
        subject: String,
        /// The operation.
        op: String,
    },
    /// A `deny` subject names a tag the user (account) does not have.
    #[error("generated invalid subject {subject:?}: {tag:?} is not defined")]
    MissingTag {
        /// The subject holding it.
        subject: String,
        /// The tag name.
        tag: String,
    },
    /// A `deny` subject that is not valid once expanded.
    #[error("generated invalid subject")]
    InvalidSubject,
    /// More than [`MAX_EXPANSIONS`] subjects.
    #[error("template expansion exceeds limit: {MAX_EXPANSIONS}")]
    TooManyExpansions,
}

/// `template` with its placeholders expanded for `user` of `account`.
pub fn expand_template(
    template: &UserPermissionLimits,
    user: &UserClaims,
    account: &AccountClaims,
) -> Result<UserPermissionLimits, TemplateError> {
    let mut lim = template.clone();
    let ctx = Context { user, account };
    for p in [&mut lim.permissions.subscribe, &mut lim.permissions.publish] {
        let allow_was_set = !p.allow.is_empty();
        p.allow = ctx.apply(&p.allow, false)?;
        p.deny = ctx.apply(&p.deny, true)?;
        add_deny_all(p, allow_was_set);
    }
    Ok(lim)
}

fn add_deny_all(p: &mut Permission, allow_was_set: bool) {
    if allow_was_set && p.allow.is_empty() && !p.deny.iter().any(|s| s == ">") {
        p.deny.push(">".to_string());
    }
}

struct Context<'a> {
    user: &'a UserClaims,
    account: &'a AccountClaims,
}

impl Context<'_> {
    fn apply(&self, list: &[String], fail_on_bad: bool) -> Result<Vec<String>, TemplateError> {
        if !list.iter().any(|s| !placeholders(s).is_empty()) {
            return Ok(list.to_vec());
        }
        let mut out = Vec::with_capacity(list.len());
        for subject in list {
            let srcs = placeholders(subject);
            let mut values: Vec<Vec<String>> = Vec::with_capacity(srcs.len());
            let mut has_tags = false;
            for src in &srcs {
                let op = src[2..src.len() - 2].trim();
                let (v, tag) = self.values(subject, op, fail_on_bad)?;
                values.push(v);
                has_tags |= tag;
            }
            if has_tags {
                let mut count = 1usize;
                for v in &values {
                    if count > MAX_EXPANSIONS / v.len() {
                        return Err(TemplateError::TooManyExpansions);
                    }
                    count *= v.len();
                }
                if out.len() > MAX_EXPANSIONS - count {
                    return Err(TemplateError::TooManyExpansions);
                }
            }
            // Every combination, the last placeholder varying fastest (as nats-server).
            let mut idx = vec![0usize; values.len()];
            loop {
                let mut s = subject.clone();
                for (j, src) in srcs.iter().enumerate() {
                    s = s.replace(src.as_str(), &values[j][idx[j]]);
                }
                if is_valid_subject(&s) {
                    out.push(s);
                } else if fail_on_bad {
                    return Err(TemplateError::InvalidSubject);
                }
                let mut j = idx.len();
                loop {
                    if j == 0 {
                        break;
                    }
                    j -= 1;
                    idx[j] += 1;
                    if idx[j] < values[j].len() {
                        break;
                    }
                    idx[j] = 0;
                }
                if idx.iter().all(|&i| i == 0) {
                    break;
                }
            }
        }
        Ok(out)
    }

    /// The values of one operation, and whether it is a tag one.
    fn values(
        &self,
        subject: &str,
        op: &str,
        fail_on_bad: bool,
    ) -> Result<(Vec<String>, bool), TemplateError> {
        let eq = |name: &str| op.eq_ignore_ascii_case(name);
        let one = |v: &str| Ok((vec![v.to_string()], false));
        if eq("name()") {
            return one(&self.user.claims.name);
        }
        if eq("subject()") {
            return one(&self.user.claims.sub);
        }
        if eq("account-name()") {
            return one(&self.account.claims.name);
        }
        if eq("account-subject()") {
            return one(&self.user.issuer_account);
        }
        let Some((tags, name)) = self.tag_op(op) else {
            return Err(TemplateError::UnknownOperation {
                subject: subject.to_string(),
                op: op.to_string(),
            });
        };
        let prefix = format!("{}:", name.to_lowercase());
        let found: Vec<String> = tags
            .iter()
            .filter_map(|t| t.strip_prefix(&prefix))
            .map(str::to_string)
            .collect();
        if !found.is_empty() {
            Ok((found, true))
        } else if fail_on_bad {
            Err(TemplateError::MissingTag {
                subject: subject.to_string(),
                tag: name.to_string(),
            })
        } else {
            // An invalid subject, left out of the list.
            Ok((vec![" ".to_string()], true))
        }
    }

    /// `tag(<t>)` / `account-tag(<t>)`: the tags to look in and `<t>`. As nats-server, the
    /// operation's name compares case-insensitively but only its exact lowercase spelling
    /// is cut off the tag name.
    fn tag_op<'o>(&self, op: &'o str) -> Option<(&[String], &'o str)> {
        let b = op.as_bytes();
        let (tags, lead) = if b.len() >= 4 && b[..4].eq_ignore_ascii_case(b"tag(") {
            (&self.user.claims.tags, "tag(")
        } else if b.len() >= 12 && b[..12].eq_ignore_ascii_case(b"account-tag(") {
            (&self.account.claims.tags, "account-tag(")
        } else {
            return None;
        };
        let inner = op.strip_suffix(')')?;
        Some((tags, inner.strip_prefix(lead).unwrap_or(inner)))
    }
}

/// The `{{...}}` placeholders of `s`, in order (repeats included).
fn placeholders(s: &str) -> Vec<String> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i + 1 < b.len() {
        if b[i] == b'{' && b[i + 1] == b'{' {
            let body = b[i + 2..].iter().take_while(|&&c| c != b'}').count();
            let end = i + 2 + body;
            if body > 0 && b.get(end + 1) == Some(&b'}') {
                out.push(s[i..end + 2].to_string());
                i = end + 2;
                continue;
            }
        }
        i += 1;
    }
    out
}

/// nats-server's `IsValidSubject`: non-empty, no empty token, nothing after `>`, no token
/// holding whitespace.
fn is_valid_subject(s: &str) -> bool {
    if s.is_empty() {
        return false;
    }
    let mut after_fwc = false;
    for t in s.split('.') {
        if t.is_empty() || after_fwc || t.contains([' ', '\t', '\n', '\r', '\x0c']) {
            return false;
        }
        after_fwc = t == ">";
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jwt::ClaimsData;

    fn user(name: &str, tags: &[&str]) -> UserClaims {
        UserClaims {
            claims: ClaimsData {
                name: name.to_string(),
                sub: "UABC".to_string(),
                tags: tags.iter().map(|t| t.to_string()).collect(),
                ..ClaimsData::default()
            },
            issuer_account: "AXYZ".to_string(),
            ..UserClaims::default()
        }
    }

    fn account(name: &str, tags: &[&str]) -> AccountClaims {
        let mut a = AccountClaims::default();
        a.claims.name = name.to_string();
        a.claims.tags = tags.iter().map(|t| t.to_string()).collect();
        a
    }

    fn lim(pub_allow: &[&str], pub_deny: &[&str]) -> UserPermissionLimits {
        let mut l = UserPermissionLimits::default();
        l.permissions.publish.allow = pub_allow.iter().map(|s| s.to_string()).collect();
        l.permissions.publish.deny = pub_deny.iter().map(|s| s.to_string()).collect();
        l
    }

    fn expand(
        allow: &[&str],
        deny: &[&str],
        u: &UserClaims,
        a: &AccountClaims,
    ) -> Result<(Vec<String>, Vec<String>), TemplateError> {
        let l = expand_template(&lim(allow, deny), u, a)?;
        Ok((l.permissions.publish.allow, l.permissions.publish.deny))
    }

    #[test]
    fn simple_operations() {
        let (u, a) = (user("bob", &[]), account("acme", &[]));
        let (allow, deny) = expand(
            &[
                "dev.{{name()}}.>",
                "id.{{ subject() }}",
                "{{Account-Name()}}.{{account-subject()}}",
                "plain",
            ],
            &[],
            &u,
            &a,
        )
        .unwrap();
        assert_eq!(allow, ["dev.bob.>", "id.UABC", "acme.AXYZ", "plain"]);
        assert!(deny.is_empty());
    }

    #[test]
    fn untemplated_lists_are_kept_as_they_are() {
        let (u, a) = (user("bob", &[]), account("", &[]));
        let (allow, deny) = expand(&["bad..subject"], &["x"], &u, &a).unwrap();
        assert_eq!(
            (allow, deny),
            (vec!["bad..subject".into()], vec!["x".into()])
        );
    }

    #[test]
    fn tags_with_several_values_give_several_subjects() {
        let u = user("bob", &["dept:eng", "dept:ops", "site:a", "other"]);
        let a = account("acme", &["region:eu", "region:us"]);
        let (allow, _) = expand(
            &["{{tag(DEPT)}}.{{tag(site)}}", "r.{{account-tag(region)}}"],
            &[],
            &u,
            &a,
        )
        .unwrap();
        assert_eq!(allow, ["eng.a", "ops.a", "r.eu", "r.us"]);
        let (allow, _) = expand(&["{{tag(dept)}}.{{account-tag(region)}}"], &[], &u, &a).unwrap();
        assert_eq!(allow, ["eng.eu", "eng.us", "ops.eu", "ops.us"]);
    }

    #[test]
    fn missing_tags_and_invalid_subjects() {
        let (u, a) = (user("", &["dept:eng"]), account("acme", &[]));
        // allow: left out; emptied allow lists add `deny >`.
        let (allow, deny) = expand(&["a.{{tag(site)}}", "n.{{name()}}.x"], &[], &u, &a).unwrap();
        assert!(allow.is_empty());
        assert_eq!(deny, [">"]);
        let (allow, deny) = expand(&["a.{{tag(site)}}", "ok"], &[], &u, &a).unwrap();
        assert_eq!((allow, deny.len()), (vec!["ok".to_string()], 0));
        // deny: refused.
        assert_eq!(
            expand(&[], &["a.{{tag(site)}}"], &u, &a),
            Err(TemplateError::MissingTag {
                subject: "a.{{tag(site)}}".into(),
                tag: "site".into()
            })
        );
        assert_eq!(
            expand(&[], &["n.{{name()}}.x"], &u, &a),
            Err(TemplateError::InvalidSubject)
        );
        assert_eq!(
            expand(&["{{nope()}}"], &[], &u, &a),
            Err(TemplateError::UnknownOperation {
                subject: "{{nope()}}".into(),
                op: "nope()".into()
            })
        );
    }

    #[test]
    fn expansion_limit() {
        let tags: Vec<String> = (0..65).map(|i| format!("t:{i}")).collect();
        let refs: Vec<&str> = tags.iter().map(String::as_str).collect();
        let (u, a) = (user("bob", &refs), account("acme", &[]));
        assert_eq!(
            expand(&["{{tag(t)}}.{{tag(t)}}"], &[], &u, &a),
            Err(TemplateError::TooManyExpansions)
        );
        let (allow, _) = expand(&["{{tag(t)}}.x"], &[], &u, &a).unwrap();
        assert_eq!(allow.len(), 65);
    }

    #[test]
    fn placeholder_scan() {
        assert_eq!(placeholders("a.{{x}}.{{}}.{{y}"), ["{{x}}"]);
        assert_eq!(placeholders("{{{name()}}"), ["{{{name()}}"]);
    }
}
