//! The subscription trie, without cache or statistics.
//!
//! A [`Level`] holds the children of one token position: its literal children by token
//! ([`Literals`]: a short vector, or a hash map past a few), plus one dedicated slot for the
//! `*` node and one for the `>` node, so a match never has to look for wildcards among them. A [`Node`] holds the subscriptions whose subject ends at
//! it (plain ones and queue groups apart) and, if longer subjects go through it, the next level.
//!
//! Memory is the constraint that shapes these types: a million distinct subjects mean a million
//! leaf nodes, so a node is 40 bytes (plain subs `Vec` + two thin `Option<Box<_>>` for the rarely
//! used queue groups and next level), and the first plain sub is stored in an exactly-sized
//! allocation. Empty nodes and levels are pruned on removal, so the trie never keeps memory for
//! subjects nobody subscribes to any more.
//!
//! Every function here expects a subject already checked by the caller: valid
//! ([`crate::is_valid_subject`]) for insert/remove, free of empty tokens for match.

use crate::literals::Literals;
use crate::result::{MatchResult, QueueGroup};
use crate::subject::{split_first, FWC, PWC};

/// One token position: literal children plus the two wildcard slots.
pub(crate) struct Level<T> {
    literal: Literals<Node<T>>,
    pwc: Option<Box<Node<T>>>,
    fwc: Option<Box<Node<T>>>,
}

/// The subscriptions ending at one token, and the level below it.
pub(crate) struct Node<T> {
    psubs: Vec<T>,
    /// `None` when the node has no queue subscription; otherwise at least one non-empty group.
    qsubs: Option<Box<QueueSubs<T>>>,
    /// `None` when no subscription goes deeper; otherwise a non-empty level.
    next: Option<Box<Level<T>>>,
}

/// Queue groups of one node (a wrapper so the rare case costs one pointer in [`Node`]).
struct QueueSubs<T> {
    groups: Vec<QueueGroup<T>>,
}

impl<T> Default for Level<T> {
    fn default() -> Self {
        Level {
            literal: Literals::default(),
            pwc: None,
            fwc: None,
        }
    }
}

impl<T> Default for Node<T> {
    fn default() -> Self {
        Node {
            psubs: Vec::new(),
            qsubs: None,
            next: None,
        }
    }
}

impl<T> Level<T> {
    /// Whether the level has no child at all (it can then be pruned).
    pub(crate) fn is_empty(&self) -> bool {
        self.literal.is_empty() && self.pwc.is_none() && self.fwc.is_none()
    }

    /// Number of nodes in this level and below (for tests of pruning).
    pub(crate) fn node_count(&self) -> usize {
        self.literal.values().map(Node::node_count).sum::<usize>()
            + self.pwc.as_deref().map_or(0, Node::node_count)
            + self.fwc.as_deref().map_or(0, Node::node_count)
    }

    /// The child for `tok`, created if missing.
    fn child_mut(&mut self, tok: &[u8]) -> &mut Node<T> {
        match tok {
            PWC => self.pwc.get_or_insert_with(Box::default),
            FWC => self.fwc.get_or_insert_with(Box::default),
            _ => self.literal.get_or_insert_with(tok, Node::default),
        }
    }

    /// Whether the level has any interest in `subject` (no empty token), stopping at the
    /// first subscription found.
    pub(crate) fn has_interest(&self, subject: &[u8]) -> bool {
        let mut level = self;
        let mut rest = subject;
        loop {
            let (tok, tail) = split_first(rest);
            if level.fwc.as_deref().is_some_and(Node::has_subs) {
                return true;
            }
            if let Some(pwc) = level.pwc.as_deref() {
                if pwc.has_interest_below(tail) {
                    return true;
                }
            }
            let Some(node) = level.literal_child(tok) else {
                return false;
            };
            match (tail, node.next.as_deref()) {
                (None, _) => return node.has_subs(),
                (Some(t), Some(next)) => {
                    level = next;
                    rest = t;
                }
                (Some(_), None) => return false,
            }
        }
    }

    #[inline]
    fn literal_child(&self, tok: &[u8]) -> Option<&Node<T>> {
        self.literal.get(tok)
    }

    /// Stores `sub` under `subject` (valid), in its queue group if `queue` is given.
    pub(crate) fn insert(&mut self, subject: &[u8], queue: Option<&[u8]>, sub: T) {
        let mut level = self;
        let mut rest = subject;
        loop {
            let (tok, tail) = split_first(rest);
            let node = level.child_mut(tok);
            match tail {
                None => return node.add(queue, sub),
                Some(t) => {
                    rest = t;
                    level = node.next.get_or_insert_with(Box::default);
                }
            }
        }
    }
}

impl<T: Clone> Level<T> {
    /// Appends every subscription matching `subject` (no empty token) to `out`.
    ///
    /// At each level: all of `>` matches, `*` matches this token (recurse with the rest), and
    /// the literal child continues the loop. Recursion only happens through `*` nodes.
    pub(crate) fn collect(&self, subject: &[u8], out: &mut MatchResult<T>) {
        let mut level = self;
        let mut rest = subject;
        loop {
            let (tok, tail) = split_first(rest);
            if let Some(fwc) = level.fwc.as_deref() {
                fwc.append_to(out);
            }
            if let Some(pwc) = level.pwc.as_deref() {
                pwc.collect_below(tail, out);
            }
            let Some(node) = level.literal_child(tok) else {
                return;
            };
            match (tail, node.next.as_deref()) {
                (None, _) => return node.append_to(out),
                (Some(t), Some(next)) => {
                    level = next;
                    rest = t;
                }
                (Some(_), None) => return,
            }
        }
    }
}

impl<T: PartialEq> Level<T> {
    /// Removes the first stored subscription equal to `sub` under `subject` (valid) and
    /// `queue`, pruning nodes and levels that become empty. Returns whether one was removed.
    ///
    /// Recursive so each level can prune its child on the way back up; the depth is the
    /// number of tokens in `subject`, which the protocol's control-line limit bounds.
    pub(crate) fn remove(&mut self, subject: &[u8], queue: Option<&[u8]>, sub: &T) -> bool {
        let (tok, tail) = split_first(subject);
        match tok {
            PWC => remove_in_slot(&mut self.pwc, tail, queue, sub),
            FWC => remove_in_slot(&mut self.fwc, tail, queue, sub),
            _ => {
                let Some(node) = self.literal.get_mut(tok) else {
                    return false;
                };
                let removed = node.remove(tail, queue, sub);
                if removed && node.is_empty() {
                    self.literal.remove(tok);
                }
                removed
            }
        }
    }
}

/// [`Level::remove`] for a wildcard slot: prunes the slot when its node becomes empty.
fn remove_in_slot<T: PartialEq>(
    slot: &mut Option<Box<Node<T>>>,
    tail: Option<&[u8]>,
    queue: Option<&[u8]>,
    sub: &T,
) -> bool {
    let Some(node) = slot.as_deref_mut() else {
        return false;
    };
    let removed = node.remove(tail, queue, sub);
    if removed && node.is_empty() {
        *slot = None;
    }
    removed
}

impl<T> Node<T> {
    fn add(&mut self, queue: Option<&[u8]>, sub: T) {
        match queue {
            None => push_compact(&mut self.psubs, sub),
            Some(name) => {
                let qs = self
                    .qsubs
                    .get_or_insert_with(|| Box::new(QueueSubs { groups: Vec::new() }));
                match qs.groups.iter_mut().find(|g| &*g.name == name) {
                    Some(group) => push_compact(&mut group.members, sub),
                    None => qs.groups.push(QueueGroup {
                        name: name.into(),
                        members: vec![sub],
                    }),
                }
            }
        }
    }

    fn has_subs(&self) -> bool {
        !self.psubs.is_empty() || self.qsubs.is_some()
    }

    fn is_empty(&self) -> bool {
        !self.has_subs() && self.next.is_none()
    }

    fn node_count(&self) -> usize {
        1 + self.next.as_deref().map_or(0, Level::node_count)
    }

    /// Interest in this node if the subject ends here (`tail` is `None`), else below it.
    fn has_interest_below(&self, tail: Option<&[u8]>) -> bool {
        match (tail, self.next.as_deref()) {
            (None, _) => self.has_subs(),
            (Some(t), Some(next)) => next.has_interest(t),
            (Some(_), None) => false,
        }
    }
}

impl<T: PartialEq> Node<T> {
    fn remove(&mut self, tail: Option<&[u8]>, queue: Option<&[u8]>, sub: &T) -> bool {
        let Some(rest) = tail else {
            return self.remove_sub(queue, sub);
        };
        let Some(next) = self.next.as_deref_mut() else {
            return false;
        };
        let removed = next.remove(rest, queue, sub);
        if removed && next.is_empty() {
            self.next = None;
        }
        removed
    }

    fn remove_sub(&mut self, queue: Option<&[u8]>, sub: &T) -> bool {
        let Some(name) = queue else {
            return remove_first(&mut self.psubs, sub);
        };
        let Some(qs) = self.qsubs.as_deref_mut() else {
            return false;
        };
        let Some(i) = qs.groups.iter().position(|g| &*g.name == name) else {
            return false;
        };
        if !remove_first(&mut qs.groups[i].members, sub) {
            return false;
        }
        if qs.groups[i].members.is_empty() {
            qs.groups.swap_remove(i);
            if qs.groups.is_empty() {
                self.qsubs = None;
            }
        }
        true
    }
}

impl<T: Clone> Node<T> {
    fn append_to(&self, out: &mut MatchResult<T>) {
        out.psubs.extend_from_slice(&self.psubs);
        if let Some(qs) = self.qsubs.as_deref() {
            for group in &qs.groups {
                out.add_queue_members(&group.name, &group.members);
            }
        }
    }

    /// Collects this node's subs if the subject ends here (`tail` is `None`), else matches of
    /// the rest below it.
    fn collect_below(&self, tail: Option<&[u8]>, out: &mut MatchResult<T>) {
        match (tail, self.next.as_deref()) {
            (None, _) => self.append_to(out),
            (Some(t), Some(next)) => next.collect(t, out),
            (Some(_), None) => {}
        }
    }
}

/// Pushes `x`, allocating exactly one slot for the first element (most subjects have one
/// subscriber; `Vec`'s default first allocation is four).
fn push_compact<T>(v: &mut Vec<T>, x: T) {
    if v.capacity() == 0 {
        v.reserve_exact(1);
    }
    v.push(x);
}

/// Removes the first element equal to `x`, keeping order; returns whether one was found.
fn remove_first<T: PartialEq>(v: &mut Vec<T>, x: &T) -> bool {
    let Some(i) = v.iter().position(|e| e == x) else {
        return false;
    };
    v.remove(i);
    if v.is_empty() {
        *v = Vec::new();
    } else if v.capacity() > 16 && v.len() * 4 < v.capacity() {
        v.shrink_to_fit();
    }
    true
}
