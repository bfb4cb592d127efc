//! The literal children of one trie level, by token.
//!
//! Most levels have a handful of children: below `orders.<id>` there is often just
//! `created`. A hash map costs at least four buckets and their control bytes (about 250
//! bytes for a single 56-byte child), which made such levels the biggest part of a
//! subscription's memory. So a level keeps up to [`FEW`] children in an exactly-sized vector
//! that lookups scan (a few short comparisons, no hashing), and moves them to a hash map when
//! it grows past that; a map that shrinks to [`FEW`] / 2 moves back.
//!
//! Tokens are [`SmallVec`]s: up to 16 bytes (nearly every token) live inline in the entry,
//! without an allocation of their own; the `union` layout keeps the type at 24 bytes.

use std::collections::HashMap;

use foldhash::fast::RandomState;
use smallvec::SmallVec;

/// A literal token, inline when short.
pub(crate) type Token = SmallVec<[u8; 16]>;

/// Children kept in a scanned vector up to this many.
const FEW: usize = 8;

/// The literal children of one level.
pub(crate) enum Literals<V> {
    Few(Vec<(Token, V)>),
    Many(HashMap<Token, V, RandomState>),
}

impl<V> Default for Literals<V> {
    fn default() -> Self {
        Literals::Few(Vec::new())
    }
}

impl<V> Literals<V> {
    pub(crate) fn is_empty(&self) -> bool {
        match self {
            Literals::Few(v) => v.is_empty(),
            Literals::Many(m) => m.is_empty(),
        }
    }

    /// Every child, in no particular order.
    pub(crate) fn values(&self) -> impl Iterator<Item = &V> + '_ {
        let (few, many) = match self {
            Literals::Few(v) => (Some(v.iter().map(|(_, x)| x)), None),
            Literals::Many(m) => (None, Some(m.values())),
        };
        few.into_iter().flatten().chain(many.into_iter().flatten())
    }

    #[inline]
    pub(crate) fn get(&self, tok: &[u8]) -> Option<&V> {
        match self {
            Literals::Few(v) => v.iter().find(|(t, _)| &t[..] == tok).map(|(_, x)| x),
            Literals::Many(m) => m.get(tok),
        }
    }

    pub(crate) fn get_mut(&mut self, tok: &[u8]) -> Option<&mut V> {
        match self {
            Literals::Few(v) => v.iter_mut().find(|(t, _)| &t[..] == tok).map(|(_, x)| x),
            Literals::Many(m) => m.get_mut(tok),
        }
    }

    /// The child for `tok`, created with `new` if missing.
    pub(crate) fn get_or_insert_with(&mut self, tok: &[u8], new: impl FnOnce() -> V) -> &mut V {
        if let Literals::Few(v) = self {
            if v.len() >= FEW && !v.iter().any(|(t, _)| &t[..] == tok) {
                let map: HashMap<Token, V, RandomState> = std::mem::take(v).into_iter().collect();
                *self = Literals::Many(map);
            }
        }
        match self {
            Literals::Few(v) => {
                let i = match v.iter().position(|(t, _)| &t[..] == tok) {
                    Some(i) => i,
                    None => {
                        // Exactly sized: a level of one child costs one entry, not four.
                        v.reserve_exact(1);
                        v.push((Token::from_slice(tok), new()));
                        v.len() - 1
                    }
                };
                &mut v[i].1
            }
            Literals::Many(m) => {
                // `entry()` would build an owned key even when the child exists; look first.
                if !m.contains_key(tok) {
                    m.insert(Token::from_slice(tok), new());
                }
                match m.get_mut(tok) {
                    Some(x) => x,
                    None => unreachable!("token inserted above"),
                }
            }
        }
    }

    /// Removes the child for `tok`, giving memory back as the level shrinks.
    pub(crate) fn remove(&mut self, tok: &[u8]) {
        match self {
            Literals::Few(v) => {
                if let Some(i) = v.iter().position(|(t, _)| &t[..] == tok) {
                    v.swap_remove(i);
                    v.shrink_to_fit();
                }
            }
            Literals::Many(m) => {
                m.remove(tok);
                if m.len() <= FEW / 2 {
                    let mut few = Vec::with_capacity(m.len());
                    few.extend(m.drain());
                    *self = Literals::Few(few);
                } else {
                    // Hysteresis, so a map that shrinks and grows around one size does not
                    // rehash every time.
                    let cap = m.capacity();
                    if cap > 64 && m.len() * 4 < cap {
                        m.shrink_to_fit();
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_into_a_map_and_back() {
        let mut l: Literals<usize> = Literals::default();
        let toks: Vec<String> = (0..100).map(|i| format!("token-number-{i}-long")).collect();
        for (i, t) in toks.iter().enumerate() {
            *l.get_or_insert_with(t.as_bytes(), || i) += 0;
            assert_eq!(l.values().count(), i + 1);
            assert_eq!(matches!(l, Literals::Few(_)), i < FEW);
        }
        for (i, t) in toks.iter().enumerate() {
            assert_eq!(l.get(t.as_bytes()), Some(&i));
            assert_eq!(*l.get_or_insert_with(t.as_bytes(), || 999), i, "kept");
        }
        assert_eq!(l.get(b"absent"), None);
        for t in &toks[..96] {
            l.remove(t.as_bytes());
            assert_eq!(l.get(t.as_bytes()), None);
        }
        assert!(matches!(l, Literals::Few(_)), "back to a vector");
        let mut rest: Vec<usize> = l.values().copied().collect();
        rest.sort_unstable();
        assert_eq!(rest, vec![96, 97, 98, 99]);
        for t in &toks[96..] {
            l.remove(t.as_bytes());
        }
        assert!(l.is_empty());
    }

    #[test]
    fn a_token_is_24_bytes() {
        assert_eq!(size_of::<Token>(), 24);
    }
}
