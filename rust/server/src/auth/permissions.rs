//! Compiled publish/subscribe permissions, decided as nats-server 2.15 decides them.
//!
//! [`CompiledPermissions::compile`] turns a [`Permissions`] into sublists (one per allow/deny
//! list), so a check costs a trie walk whatever the number of entries. It is immutable and
//! shared (`Arc`) by every connection of the user; the per-connection state lives with the
//! caller: a [`PubCache`] of publish decisions, the flag that turns on the delivery filter,
//! and a [`super::ResponseTracker`] for `allow_responses`.
//!
//! # Semantics (nats-server `client.go`: `setPermissions`, `pubAllowedFullCheck`,
//! `canSubscribe`, `queueMatches`, `checkDenySub`; checked against nats-server 2.15.1)
//!
//! - A check matches the subject against each list as the sublist does: entry wildcards match
//!   any token, the subject's own `*` / `>` tokens are literal bytes that entry wildcards also
//!   match. So `allow: ["foo.*"]` lets a client subscribe to `foo.>` (nats-server does this).
//! - Publish: allowed if there is no allow list or an allow entry matches, and no deny entry
//!   matches. `allow_responses` without publish allow entries means an empty allow list:
//!   nothing is publishable except responses (see [`super::ResponseTracker`]).
//! - Subscribe entries are `"subject"` or `"subject queue"` (queue may use `*` / `>` as a
//!   subject pattern over queue names, e.g. `"> v1.>"`).
//!   Allow: a plain entry matching the subject allows it; but for a queue subscription, if
//!   any queue entry matches the subject, the queue must match one of those (so
//!   `["foo", "foo v1"]` allows `SUB foo` and `SUB foo v1`, not `SUB foo v2`).
//!   Deny: a plain entry matching the subject denies it (queue or not); otherwise a queue
//!   entry matching the subject and the queue denies a queue subscription.
//! - Queue group `_sys_` is refused to every client, permissions or not
//!   ([`is_reserved_queue`]).
//! - A wildcard subscription overlapping a plain deny entry is allowed (`SUB >` with
//!   `deny: ["secret.>"]`), and messages whose subject a plain deny entry matches are then
//!   dropped at delivery ([`CompiledPermissions::deny_delivery`]). nats-server arms this
//!   filter per connection on the first such subscription and keeps it on; since only a
//!   wildcard subscription that overlaps a deny entry can receive such a message, "filter
//!   after [`CompiledPermissions::needs_delivery_filter`] said yes once" and "always filter"
//!   give the same deliveries. Queue-qualified deny entries never filter deliveries.

use std::collections::HashMap;
use std::fmt;

use fastnats_sublist::Sublist;

use super::config::{Permissions, ResponsePermission, SubjectPermission};
use super::responses::ResponseTracker;

/// The queue group name nats-server reserves for its own services.
pub const SYS_QUEUE_GROUP: &[u8] = b"_sys_";

/// nats-server's `maxPermCacheSize`: publish decisions kept per connection.
pub const PUB_CACHE_MAX: usize = 128;
/// nats-server's `pruneSize`: entries dropped when the cache is full.
const PUB_CACHE_PRUNE: usize = 32;

/// Whether a client may never use `queue` as a queue group (nats-server refuses `_sys_`,
/// with `Permissions Violation for Subscription to "<subj>" using queue "_sys_"`, even for
/// users without permissions).
pub fn is_reserved_queue(queue: &[u8]) -> bool {
    queue == SYS_QUEUE_GROUP
}

/// A user's permissions, ready for checks. Build once per user (per config load), share with
/// `Arc`. All checks take `&self` and never lock.
pub struct CompiledPermissions {
    source: Permissions,
    pub_allow: Option<Sublist<()>>,
    pub_deny: Option<Sublist<()>>,
    /// Plain and queue-qualified entries (the queue is the sublist queue name).
    sub_allow: Option<Sublist<()>>,
    sub_deny: Option<Sublist<()>>,
    /// The plain subscribe deny entries alone: the delivery filter.
    deny_filter: Option<Sublist<()>>,
    /// The same entries as subjects, for the overlap check.
    deny_subjects: Vec<Box<[u8]>>,
    responses: Option<ResponsePermission>,
}

impl CompiledPermissions {
    /// Compiles `p`. Fails, with nats-server's config error text, on an entry that is not a
    /// valid subject (empty, an empty token, `>` not last, whitespace in a token) or a
    /// subscribe entry that is not `"subject"` or `"subject queue"`.
    pub fn compile(p: &Permissions) -> Result<Self, String> {
        let mut c = CompiledPermissions {
            source: p.clone(),
            pub_allow: None,
            pub_deny: None,
            sub_allow: None,
            sub_deny: None,
            deny_filter: None,
            deny_subjects: Vec::new(),
            responses: p.allow_responses,
        };
        let publish = p.publish.as_ref();
        let pub_allow = publish.map_or(&[][..], |s| &s.allow[..]);
        if !pub_allow.is_empty() || p.allow_responses.is_some() {
            c.pub_allow = Some(build(pub_allow, |s| Ok((parse_subject(s)?, None)))?);
        }
        if let Some(deny) = publish.map(|s| &s.deny).filter(|d| !d.is_empty()) {
            c.pub_deny = Some(build(deny, |s| Ok((parse_subject(s)?, None)))?);
        }
        if let Some(SubjectPermission { allow, deny }) = &p.subscribe {
            if !allow.is_empty() {
                c.sub_allow = Some(build(allow, parse_subject_queue)?);
            }
            if !deny.is_empty() {
                c.sub_deny = Some(build(deny, parse_subject_queue)?);
                let mut filter = new_list();
                for entry in deny {
                    if let (subject, None) = parse_subject_queue(entry)? {
                        insert(&mut filter, subject, None)?;
                        c.deny_subjects.push(subject.into());
                    }
                }
                if filter.count() > 0 {
                    c.deny_filter = Some(filter);
                }
            }
        }
        Ok(c)
    }

    /// The permissions this was compiled from.
    pub fn source(&self) -> &Permissions {
        &self.source
    }

    /// Whether publishing is restricted at all; `false` means [`Self::can_publish`] is
    /// always true and the PUB path can skip it.
    pub fn restricts_publish(&self) -> bool {
        self.pub_allow.is_some() || self.pub_deny.is_some()
    }

    /// Whether subscribing is restricted at all (apart from the reserved `_sys_` queue).
    pub fn restricts_subscribe(&self) -> bool {
        self.sub_allow.is_some() || self.sub_deny.is_some()
    }

    /// Whether deliveries to this user can ever be filtered ([`Self::deny_delivery`]).
    pub fn has_delivery_filter(&self) -> bool {
        self.deny_filter.is_some()
    }

    /// The static publish decision for `subject` (allow list, then deny list), uncached.
    /// A `false` may still be overturned by `allow_responses` (see [`Self::allow_responses`]).
    pub fn can_publish(&self, subject: &[u8]) -> bool {
        let allowed = self
            .pub_allow
            .as_ref()
            .map_or(true, |allow| allow.has_interest(subject));
        allowed
            && !self
                .pub_deny
                .as_ref()
                .is_some_and(|d| d.has_interest(subject))
    }

    /// [`Self::can_publish`] through the connection's cache (nats-server's `pcache`, 128
    /// entries). Use one [`PubCache`] per connection and clear it when the connection's
    /// permissions change.
    pub fn can_publish_cached(&self, cache: &mut PubCache, subject: &[u8]) -> bool {
        if !self.restricts_publish() {
            return true;
        }
        if let Some(&hit) = cache.map.get(subject) {
            return hit;
        }
        let decision = self.can_publish(subject);
        cache.insert(subject, decision);
        decision
    }

    /// Whether `SUB subject [queue]` is allowed (queue `None` or empty: a plain
    /// subscription). See the module docs for the queue rules; `_sys_` is always refused.
    pub fn can_subscribe(&self, subject: &[u8], queue: Option<&[u8]>) -> bool {
        let queue = queue.filter(|q| !q.is_empty());
        if queue.is_some_and(is_reserved_queue) {
            return false;
        }
        let mut allowed = true;
        if let Some(allow) = &self.sub_allow {
            let r = allow.match_uncached(subject);
            allowed = !r.psubs.is_empty();
            if let Some(q) = queue {
                if !r.qsubs.is_empty() {
                    allowed = queue_matches(q, r.qsubs.iter().map(|g| &*g.name));
                }
            }
        }
        if allowed {
            if let Some(deny) = &self.sub_deny {
                let r = deny.match_uncached(subject);
                allowed = r.psubs.is_empty();
                if let Some(q) = queue {
                    if allowed && !r.qsubs.is_empty() {
                        allowed = !queue_matches(q, r.qsubs.iter().map(|g| &*g.name));
                    }
                }
            }
        }
        allowed
    }

    /// Whether the accepted subscription `sub_subject` can receive messages that a plain
    /// deny entry matches: a wildcard subject overlapping a deny entry. Once this is true for
    /// one subscription of a connection, filter every delivery to that connection with
    /// [`Self::deny_delivery`] (nats-server's `loadMsgDenyFilter`).
    pub fn needs_delivery_filter(&self, sub_subject: &[u8]) -> bool {
        self.deny_filter.is_some()
            && has_wildcard_token(sub_subject)
            && self
                .deny_subjects
                .iter()
                .any(|d| subjects_collide(d, sub_subject))
    }

    /// Whether a message published on the literal `subject` must not be delivered to this
    /// user: a plain subscribe deny entry matches it (nats-server's `checkDenySub`). Does not
    /// allocate.
    pub fn deny_delivery(&self, subject: &[u8]) -> bool {
        self.deny_filter
            .as_ref()
            .is_some_and(|f| f.has_interest(subject))
    }

    /// `allow_responses`, if granted.
    pub fn allow_responses(&self) -> Option<&ResponsePermission> {
        self.responses.as_ref()
    }

    /// A fresh per-connection tracker of reply subjects, if `allow_responses` is granted.
    pub fn response_tracker(&self) -> Option<ResponseTracker> {
        self.responses.map(ResponseTracker::new)
    }
}

impl fmt::Debug for CompiledPermissions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CompiledPermissions")
            .field("source", &self.source)
            .finish_non_exhaustive()
    }
}

/// A connection's cache of publish decisions (subject → allowed), at most
/// [`PUB_CACHE_MAX`] entries; owned by the connection's reader, no lock needed.
#[derive(Debug, Default)]
pub struct PubCache {
    map: HashMap<Box<[u8]>, bool, foldhash::fast::RandomState>,
}

impl PubCache {
    /// An empty cache.
    pub fn new() -> Self {
        Self::default()
    }

    /// Forgets every decision (call when the connection's permissions change).
    pub fn clear(&mut self) {
        self.map.clear();
    }

    /// The number of cached decisions.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Whether nothing is cached.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    fn insert(&mut self, subject: &[u8], decision: bool) {
        if self.map.len() >= PUB_CACHE_MAX {
            // Arbitrary victims (hash order), as nats-server's map-order pruning.
            let victims: Vec<Box<[u8]>> = self.map.keys().take(PUB_CACHE_PRUNE).cloned().collect();
            for k in victims {
                self.map.remove(&k);
            }
        }
        self.map.insert(subject.into(), decision);
    }
}

fn new_list() -> Sublist<()> {
    // Only `has_interest` / `match_uncached` are used: the match cache would stay empty.
    Sublist::with_cache(false)
}

fn insert(list: &mut Sublist<()>, subject: &[u8], queue: Option<&[u8]>) -> Result<(), String> {
    list.insert(subject, queue, ())
        .map_err(|_| invalid_subject(subject))
}

/// Builds one list from config entries, each parsed by `parse` into (subject, queue).
fn build<'a>(
    entries: &'a [String],
    parse: impl Fn(&'a str) -> Result<(&'a [u8], Option<&'a [u8]>), String>,
) -> Result<Sublist<()>, String> {
    let mut list = new_list();
    for e in entries {
        let (subject, queue) = parse(e)?;
        insert(&mut list, subject, queue)?;
    }
    Ok(list)
}

fn invalid_subject(s: &[u8]) -> String {
    format!(
        "subject {:?} is not a valid subject",
        String::from_utf8_lossy(s)
    )
}

/// A publish entry, or one half of a subscribe entry: nats-server's `IsValidSubject`.
fn parse_subject(s: &str) -> Result<&[u8], String> {
    if is_valid_permission_subject(s.as_bytes()) {
        Ok(s.as_bytes())
    } else {
        Err(invalid_subject(s.as_bytes()))
    }
}

/// A subscribe entry: `"subject"` or `"subject queue"` (any whitespace between, around),
/// both parts valid subjects (nats-server's `splitSubjectQueue`).
fn parse_subject_queue(entry: &str) -> Result<(&[u8], Option<&[u8]>), String> {
    let mut fields = entry.split_whitespace();
    match (fields.next(), fields.next(), fields.next()) {
        (Some(subject), queue, None) => {
            let subject = parse_subject(subject)?;
            let queue = queue.map(parse_subject).transpose()?;
            Ok((subject, queue))
        }
        (None, _, _) => Err(invalid_subject(entry.as_bytes())),
        _ => Err(format!("invalid subject-queue {entry:?}")),
    }
}

/// nats-server's `IsValidSubject`: non-empty, no empty token, `>` only as the last token, and
/// no space, tab, CR, LF or form feed in a token.
fn is_valid_permission_subject(s: &[u8]) -> bool {
    !s.is_empty()
        && !s
            .iter()
            .any(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n' | 0x0c))
        && fastnats_sublist::is_valid_subject(s)
}

fn tokens(s: &[u8]) -> impl Iterator<Item = &[u8]> {
    s.split(|&b| b == b'.')
}

/// Whether `s` has a `*` or `>` token.
fn has_wildcard_token(s: &[u8]) -> bool {
    tokens(s).any(|t| t == b"*" || t == b">")
}

/// nats-server's `queueMatches`: the queue equals a group name, or a group name with a
/// wildcard token covers it as a subject pattern.
fn queue_matches<'a>(queue: &[u8], mut names: impl Iterator<Item = &'a [u8]>) -> bool {
    names.any(|name| queue == name || (has_wildcard_token(name) && is_subset_match(queue, name)))
}

/// nats-server's `subjectIsSubsetMatch(subject, test)`: whether every subject `subject`
/// describes is also described by `test` (both may hold wildcards).
fn is_subset_match(subject: &[u8], test: &[u8]) -> bool {
    let toks: Vec<&[u8]> = tokens(subject).collect();
    let tests: Vec<&[u8]> = tokens(test).collect();
    for (i, &t2) in tests.iter().enumerate() {
        let Some(&t1) = toks.get(i) else {
            return false;
        };
        if t2.is_empty() {
            return false;
        }
        if t2 == b">" {
            return true;
        }
        if t1.is_empty() || t1 == b">" {
            return false;
        }
        if t1 == b"*" {
            if t2 != b"*" {
                return false;
            }
            continue;
        }
        if t2 != b"*" && t1 != t2 {
            return false;
        }
    }
    toks.len() == tests.len()
}

/// Whether some literal subject is matched by both patterns `a` and `b`.
fn subjects_collide(a: &[u8], b: &[u8]) -> bool {
    let mut ta = tokens(a);
    let mut tb = tokens(b);
    loop {
        match (ta.next(), tb.next()) {
            (None, None) => return true,
            // `>` takes one or more tokens: the other side has at least this one.
            (Some(b">"), Some(_)) | (Some(_), Some(b">")) => return true,
            (Some(x), Some(y)) if x == y || x == b"*" || y == b"*" => {}
            _ => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sp(allow: &[&str], deny: &[&str]) -> Option<SubjectPermission> {
        Some(SubjectPermission {
            allow: allow.iter().map(|s| s.to_string()).collect(),
            deny: deny.iter().map(|s| s.to_string()).collect(),
        })
    }

    fn publish(allow: &[&str], deny: &[&str]) -> CompiledPermissions {
        CompiledPermissions::compile(&Permissions {
            publish: sp(allow, deny),
            ..Default::default()
        })
        .unwrap()
    }

    fn subscribe(allow: &[&str], deny: &[&str]) -> CompiledPermissions {
        CompiledPermissions::compile(&Permissions {
            subscribe: sp(allow, deny),
            ..Default::default()
        })
        .unwrap()
    }

    fn sub_ok(p: &CompiledPermissions, subject: &str, queue: Option<&str>) -> bool {
        p.can_subscribe(subject.as_bytes(), queue.map(str::as_bytes))
    }

    #[test]
    fn empty_permissions_allow_everything() {
        let p = CompiledPermissions::compile(&Permissions::default()).unwrap();
        assert!(!p.restricts_publish() && !p.restricts_subscribe() && !p.has_delivery_filter());
        assert!(p.can_publish(b"anything.at.all"));
        assert!(sub_ok(&p, ">", None) && sub_ok(&p, "foo", Some("q")));
        assert!(!p.deny_delivery(b"foo"));
        assert!(p.allow_responses().is_none() && p.response_tracker().is_none());
        // Empty lists are "no list", as in nats-server.
        let p = publish(&[], &[]);
        assert!(!p.restricts_publish() && p.can_publish(b"x"));
    }

    #[test]
    fn publish_allow_only() {
        let p = publish(&["foo", "bar.*", "baz.>"], &[]);
        assert!(p.restricts_publish());
        for ok in ["foo", "bar.x", "baz.x", "baz.x.y"] {
            assert!(p.can_publish(ok.as_bytes()), "{ok}");
        }
        for no in ["foo.x", "bar", "bar.x.y", "baz", "other", ""] {
            assert!(!p.can_publish(no.as_bytes()), "{no}");
        }
    }

    #[test]
    fn publish_deny_only() {
        let p = publish(&[], &["secret.>", "*.private"]);
        assert!(p.can_publish(b"public"));
        assert!(p.can_publish(b"secret"));
        assert!(!p.can_publish(b"secret.x"));
        assert!(!p.can_publish(b"a.private"));
        assert!(p.can_publish(b"a.b.private"));
    }

    #[test]
    fn publish_deny_wins_over_allow() {
        let p = publish(&[">"], &["admin.>"]);
        assert!(p.can_publish(b"foo.bar"));
        assert!(!p.can_publish(b"admin.x"));
        let p = publish(&["admin.x"], &["admin.*"]);
        assert!(!p.can_publish(b"admin.x"));
    }

    #[test]
    fn published_wildcard_tokens_are_literal() {
        // A non-pedantic client may publish on "foo.*": allow "foo.*" matches it (the entry
        // wildcard takes the token "*"), allow "foo.bar" does not.
        let p = publish(&["foo.*"], &[]);
        assert!(p.can_publish(b"foo.*"));
        let p = publish(&["foo.bar"], &[]);
        assert!(!p.can_publish(b"foo.*"));
    }

    #[test]
    fn pub_cache_remembers_and_stays_bounded() {
        let p = publish(&["ok.>"], &[]);
        let mut cache = PubCache::new();
        assert!(p.can_publish_cached(&mut cache, b"ok.1"));
        assert!(!p.can_publish_cached(&mut cache, b"no.1"));
        assert_eq!(cache.len(), 2);
        assert!(p.can_publish_cached(&mut cache, b"ok.1"));
        assert!(!p.can_publish_cached(&mut cache, b"no.1"));
        for i in 0..1000 {
            let s = format!("ok.{i}");
            assert!(p.can_publish_cached(&mut cache, s.as_bytes()));
            let s = format!("no.{i}");
            assert!(!p.can_publish_cached(&mut cache, s.as_bytes()));
            assert!(cache.len() <= PUB_CACHE_MAX);
        }
        cache.clear();
        assert!(cache.is_empty());
        // Unrestricted publishing never touches the cache.
        let open = publish(&[], &[]);
        assert!(open.can_publish_cached(&mut cache, b"x"));
        assert!(cache.is_empty());
    }

    #[test]
    fn subscribe_allow_wildcards_both_ways() {
        let p = subscribe(&["foo.*", "bar.>", "baz"], &[]);
        assert!(sub_ok(&p, "foo.x", None));
        assert!(sub_ok(&p, "foo.*", None));
        // nats-server 2.15.1 allows `SUB foo.>` under `allow: foo.*` (the `>` token is
        // matched by the entry's `*`).
        assert!(sub_ok(&p, "foo.>", None));
        assert!(!sub_ok(&p, "foo.x.y", None));
        assert!(
            sub_ok(&p, "bar.x.y", None) && sub_ok(&p, "bar.*", None) && sub_ok(&p, "bar.>", None)
        );
        assert!(!sub_ok(&p, "bar", None));
        // A wildcard subscription wider than the allowed literal is refused.
        assert!(sub_ok(&p, "baz", None));
        assert!(!sub_ok(&p, "*", None) && !sub_ok(&p, ">", None));
        // Plain allow entries allow queue subscriptions in any group.
        assert!(sub_ok(&p, "baz", Some("q")));
        // Malformed subjects match nothing, so an allow list refuses them.
        assert!(!sub_ok(&p, "foo..x", None));
    }

    #[test]
    fn subscribe_deny_only() {
        let p = subscribe(&[], &["secret.>", "x.y"]);
        assert!(sub_ok(&p, "public", None));
        assert!(!sub_ok(&p, "secret.a", None));
        assert!(!sub_ok(&p, "secret.*", None));
        assert!(!sub_ok(&p, "x.y", None));
        assert!(!sub_ok(&p, "x.y", Some("q")));
        // Wider wildcards overlapping a deny are allowed (filtered at delivery).
        assert!(sub_ok(&p, ">", None));
        assert!(sub_ok(&p, "x.*", None));
    }

    #[test]
    fn subscribe_deny_wins_over_allow() {
        let p = subscribe(&[">"], &["foo"]);
        assert!(sub_ok(&p, "bar", None));
        assert!(!sub_ok(&p, "foo", None));
        assert!(!sub_ok(&p, "foo", Some("bar")));
    }

    /// The cases of nats-server's `TestQueueSubscribePermissions`.
    #[test]
    fn queue_permissions_nats_server_table() {
        type Case<'a> = (&'a [&'a str], &'a [&'a str], &'a str, Option<&'a str>, bool);
        let cases: &[Case] = &[
            (&["foo"], &[], "foo", None, true),
            (&["foo bar"], &[], "foo", Some("bar"), true),
            (&["foo bar.*"], &[], "foo", Some("bar.fizz"), true),
            (&["> bar.>"], &[], "whizz", Some("bar.bang"), true),
            (&["> bar.>"], &[], "whizz", None, false),
            (&[">"], &["foo"], "foo", Some("bar"), false),
            (&[">"], &["foo"], "bar", None, true),
            (&[">"], &[">"], "foo", Some("bar"), false),
            (&["> v1.>"], &[], "foo", Some("v1.prod"), true),
            (&[">"], &["> >"], "foo", None, true),
            (&[], &["> >"], "foo", Some("bar"), false),
            (&[], &["> *.dev", "> *.stg"], "foo", Some("bar"), true),
            (&["> *.dev", "> *.stg"], &[], "foo", Some("bar"), false),
            (&[], &["foo >"], "foo", Some("bar"), false),
            (&["foo bar"], &[], "foo", Some("fizz"), false),
            (&["foo"], &[], "foo", Some("bar"), true),
        ];
        for (i, &(allow, deny, subject, queue, want)) in cases.iter().enumerate() {
            let p = subscribe(allow, deny);
            assert_eq!(
                sub_ok(&p, subject, queue),
                want,
                "case {i}: {allow:?} {deny:?} {subject} {queue:?}"
            );
        }
    }

    /// Observed on nats-server 2.15.1 (see the module docs).
    #[test]
    fn queue_permissions_observed_on_nats_server() {
        // allow ["foo", "foo v1"]: plain ok, v1 ok, other queues refused.
        let p = subscribe(&["foo", "foo v1"], &[]);
        assert!(sub_ok(&p, "foo", None) && sub_ok(&p, "foo", Some("v1")));
        assert!(!sub_ok(&p, "foo", Some("q2")));
        // A queue-only allow entry refuses plain subscriptions.
        let p = subscribe(&["q.> v1"], &[]);
        assert!(!sub_ok(&p, "q.x", None));
        assert!(sub_ok(&p, "q.x", Some("v1")) && !sub_ok(&p, "q.x", Some("v2")));
        // deny ["foo", "foo v1"]: the plain deny refuses every queue too.
        let p = subscribe(&[">"], &["foo", "foo v1"]);
        assert!(!sub_ok(&p, "foo", Some("q2")) && !sub_ok(&p, "foo", Some("v1")));
        assert!(!sub_ok(&p, "foo", None));
        // allow ["foo.bar"], deny ["foo.bar v1"]: only v1 refused.
        let p = subscribe(&["foo.bar"], &["foo.bar v1"]);
        assert!(sub_ok(&p, "foo.bar", None) && sub_ok(&p, "foo.bar", Some("v2")));
        assert!(!sub_ok(&p, "foo.bar", Some("v1")));
        // deny ["x.*", "y.> q1"]
        let p = subscribe(&[], &["x.*", "y.> q1"]);
        assert!(!sub_ok(&p, "x.a", None));
        assert!(sub_ok(&p, "y.a", None) && sub_ok(&p, "y.a", Some("q2")));
        assert!(!sub_ok(&p, "y.a", Some("q1")));
    }

    #[test]
    fn sys_queue_is_reserved() {
        let open = CompiledPermissions::compile(&Permissions::default()).unwrap();
        assert!(!sub_ok(&open, "foo", Some("_sys_")));
        assert!(sub_ok(&open, "foo", Some("_sys")));
        assert!(is_reserved_queue(b"_sys_") && !is_reserved_queue(b"sys"));
        // An empty queue is a plain subscription.
        assert!(sub_ok(&open, "foo", Some("")));
    }

    #[test]
    fn delivery_filter_for_wildcards_overlapping_denies() {
        let p = subscribe(&[], &["*.bar", "x.y", "q.> v1"]);
        assert!(p.has_delivery_filter());
        // Observed on nats-server 2.15.1: `SUB foo.*` alone, then `PUB foo.bar` is not
        // delivered, `PUB foo.baz` is.
        assert!(sub_ok(&p, "foo.*", None));
        assert!(p.needs_delivery_filter(b"foo.*"));
        assert!(p.deny_delivery(b"foo.bar"));
        assert!(!p.deny_delivery(b"foo.baz"));
        assert!(p.deny_delivery(b"x.y"));
        // Queue-qualified deny entries do not filter deliveries.
        assert!(!p.deny_delivery(b"q.a"));
        assert!(p.needs_delivery_filter(b">"));
        assert!(p.needs_delivery_filter(b"x.>"));
        // Literal subscriptions and wildcards that cannot meet a deny entry need no filter.
        assert!(!p.needs_delivery_filter(b"foo.baz"));
        assert!(!p.needs_delivery_filter(b"foo.*.baz"));
        assert!(!p.needs_delivery_filter(b"z.*.*"));
        // No plain deny entries: nothing to filter.
        let p = subscribe(&[], &["q.> v1"]);
        assert!(!p.has_delivery_filter() && !p.needs_delivery_filter(b">"));
        assert!(!p.deny_delivery(b"q.a"));
    }

    #[test]
    fn invalid_entries_are_rejected() {
        for bad in ["", "a..b", ".a", "a.", "a.>.b", "a b", "a\tb"] {
            let p = Permissions {
                publish: sp(&[bad], &[]),
                ..Default::default()
            };
            assert!(CompiledPermissions::compile(&p).is_err(), "publish {bad:?}");
        }
        for bad in ["", "   ", "a..b", "a b c", "a q..x", "a..b q", "> >.x"] {
            let p = Permissions {
                subscribe: sp(&[], &[bad]),
                ..Default::default()
            };
            assert!(
                CompiledPermissions::compile(&p).is_err(),
                "subscribe {bad:?}"
            );
        }
        let p = Permissions {
            subscribe: sp(&["a b c"], &[]),
            ..Default::default()
        };
        assert_eq!(
            CompiledPermissions::compile(&p).unwrap_err(),
            "invalid subject-queue \"a b c\""
        );
        // Whitespace around and between the parts is fine.
        let p = subscribe(&["  foo \t bar  "], &[]);
        assert!(sub_ok(&p, "foo", Some("bar")));
    }

    #[test]
    fn allow_responses_turns_off_blanket_publish() {
        let p = CompiledPermissions::compile(&Permissions {
            publish: sp(&[], &["secret.>"]),
            allow_responses: Some(ResponsePermission::default()),
            ..Default::default()
        })
        .unwrap();
        assert!(p.restricts_publish());
        assert!(!p.can_publish(b"other"));
        assert!(!p.can_publish(b"secret.x"));
        assert_eq!(p.allow_responses(), Some(&ResponsePermission::default()));
        assert!(p.response_tracker().is_some());
        // With allow entries, those stay publishable.
        let p = CompiledPermissions::compile(&Permissions {
            publish: sp(&["ok.>"], &[]),
            allow_responses: Some(ResponsePermission::default()),
            ..Default::default()
        })
        .unwrap();
        assert!(p.can_publish(b"ok.x") && !p.can_publish(b"other"));
    }

    #[test]
    fn subset_match_as_nats_server() {
        // From nats-server's comment: foo.* is a subset of >, *.*, foo.*; not of foo.bar.
        for t in [">", "*.*", "foo.*"] {
            assert!(is_subset_match(b"foo.*", t.as_bytes()), "{t}");
        }
        assert!(!is_subset_match(b"foo.*", b"foo.bar"));
        assert!(is_subset_match(b"bar.fizz", b"bar.*"));
        assert!(!is_subset_match(b"bar", b"*.dev"));
        assert!(!is_subset_match(b"foo.>", b"foo.*"));
        assert!(is_subset_match(b"foo.>", b"foo.>"));
    }

    #[test]
    fn collisions() {
        let yes = [
            ("*.bar", "foo.*"),
            ("foo.bar", "foo.*"),
            ("a.>", ">"),
            ("a.b", "a.b"),
            ("a.*.c", "a.b.>"),
        ];
        for (a, b) in yes {
            assert!(subjects_collide(a.as_bytes(), b.as_bytes()), "{a} {b}");
            assert!(subjects_collide(b.as_bytes(), a.as_bytes()), "{b} {a}");
        }
        let no = [
            ("foo", "foo.>"),
            ("a.b", "a.c"),
            ("a.*", "a.b.c"),
            ("*", "a.b"),
        ];
        for (a, b) in no {
            assert!(!subjects_collide(a.as_bytes(), b.as_bytes()), "{a} {b}");
            assert!(!subjects_collide(b.as_bytes(), a.as_bytes()), "{b} {a}");
        }
    }
}
