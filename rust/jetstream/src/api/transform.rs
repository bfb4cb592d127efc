//! Subject transforms (`src` pattern → `dest` template), as nats-server 2.10's
//! `subject_transform.go` builds and applies them: the republish of a stream and its
//! `subject_transform` use them, and the stream checks need to know whether one is valid.
//!
//! A destination token is a literal, `$n` or `{{wildcard(n)}}` (the n-th `*` of the
//! source), or one of the functions `{{partition(n, i, ...)}}` (FNV-1a hash of the named
//! wildcards modulo n), `{{splitFromLeft(i, pos)}}`, `{{splitFromRight(i, pos)}}`,
//! `{{sliceFromLeft(i, size)}}`, `{{sliceFromRight(i, size)}}`, `{{split(i, delim)}}`,
//! `{{left(i, len)}}`, `{{right(i, len)}}`. Function names match with the first letter of
//! each word in either case (`{{Wildcard(1)}}`, `{{splitfromleft(1,2)}}` does not), as
//! nats-server's regular expressions do; its quirks are kept (`{{wildcard(0)}}` and `$0`
//! take the first token of the subject, a `$` token that is not a number is a literal).
//!
//! Functions that cut tokens (`split`, `slice`, `left`, `right`) work on bytes, as Go's
//! string slicing does; a cut inside a UTF-8 character becomes U+FFFD here, where Go would
//! publish the broken bytes.

use std::fmt;

use super::subjects::subject_is_subset_match;

/// Why a transform can not be built; `Display` is nats-server's error text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransformError {
    /// The source or destination is not a valid subject, the destination has a `*`, or only
    /// one of them ends in `>` (Go's `ErrBadSubject`).
    #[error("invalid subject")]
    BadSubject,
    /// A destination token is wrong (Go's `mappingDestinationErr`).
    #[error("invalid mapping destination: {kind} in {token}")]
    Destination {
        /// What is wrong.
        kind: DestinationError,
        /// The token (with `: [n]` for an index out of range, as nats-server writes it).
        token: String,
    },
}

/// What is wrong with a destination token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DestinationError {
    /// `{{...}}` names no known function.
    UnknownFunction,
    /// A wildcard index beyond the source's wildcards, or a function with a source that has
    /// none.
    IndexOutOfRange,
    /// Too few arguments.
    NotEnoughArgs,
    /// Too many arguments.
    TooManyArgs,
    /// An argument is not a number, or a `split` delimiter has a space or a dot.
    InvalidArg,
}

impl fmt::Display for DestinationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DestinationError::UnknownFunction => "unknown function",
            DestinationError::IndexOutOfRange => "wildcard index out of range",
            DestinationError::NotEnoughArgs => "not enough arguments passed to the function",
            DestinationError::TooManyArgs => "too many arguments passed to the function",
            DestinationError::InvalidArg => "function argument is invalid or in the wrong format",
        })
    }
}

/// What one destination token becomes. Indexes are positions of subject tokens.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Op {
    Literal,
    Wildcard(usize),
    Partition { buckets: i32, from: Vec<usize> },
    SplitFromLeft(usize, i32),
    SplitFromRight(usize, i32),
    SliceFromLeft(usize, i32),
    SliceFromRight(usize, i32),
    Split(usize, String),
    Left(usize, i32),
    Right(usize, i32),
}

/// A parsed destination token, before wildcard numbers become token positions.
enum Parsed {
    Literal,
    /// The function and the wildcard numbers (1-based) it reads.
    Function(Op, Vec<i64>),
}

/// A transform from subjects matching `src` to subjects built from `dest`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubjectTransform {
    src: String,
    dest: String,
    src_tokens: usize,
    dest_tokens: Vec<String>,
    /// One per destination token; empty when the source has no wildcards (the destination
    /// is then a literal).
    ops: Vec<Op>,
}

impl SubjectTransform {
    /// nats-server's `NewSubjectTransform(src, dest)`: `Ok(None)` when `dest` is empty (no
    /// transform); an empty `src` is `>`.
    ///
    /// # Errors
    /// The [`TransformError`] nats-server reports for the pair.
    pub fn new(src: &str, dest: &str) -> Result<Option<SubjectTransform>, TransformError> {
        if dest.is_empty() {
            return Ok(None);
        }
        let src = if src.is_empty() { ">" } else { src };
        let (Some(s), Some(d)) = (subject_info(src), subject_info(dest)) else {
            return Err(TransformError::BadSubject);
        };
        if d.pwcs > 0 || s.fwc != d.fwc {
            return Err(TransformError::BadSubject);
        }
        // Token positions of the source's `*`s: wildcard n is `stars[n - 1]`.
        let stars: Vec<usize> = src
            .split('.')
            .enumerate()
            .filter(|(_, t)| *t == "*")
            .map(|(i, _)| i)
            .collect();
        let mut ops = Vec::new();
        for token in dest.split('.') {
            let parsed = parse_token(token)?;
            let wildcards = s.pwcs > 0 || s.fwc;
            match parsed {
                Parsed::Literal => {
                    if wildcards {
                        ops.push(Op::Literal);
                    }
                }
                Parsed::Function(..) if s.pwcs == 0 => {
                    return Err(destination(DestinationError::IndexOutOfRange, token));
                }
                Parsed::Function(op, numbers) => {
                    let mut positions = Vec::with_capacity(numbers.len());
                    for n in numbers {
                        if n > i64::try_from(s.pwcs).unwrap_or(i64::MAX) {
                            let token = format!("{token}: [{n}]");
                            return Err(destination(DestinationError::IndexOutOfRange, &token));
                        }
                        // Go looks `n` up in a map from wildcard number to position: 0 and
                        // negative numbers are missing there and read as position 0.
                        let pos = usize::try_from(n - 1).ok().and_then(|i| stars.get(i));
                        positions.push(pos.copied().unwrap_or(0));
                    }
                    ops.push(op.with_positions(&positions));
                }
            }
        }
        Ok(Some(SubjectTransform {
            src: src.to_owned(),
            dest: dest.to_owned(),
            src_tokens: s.tokens,
            dest_tokens: dest.split('.').map(str::to_owned).collect(),
            ops,
        }))
    }

    /// The source pattern.
    #[must_use]
    pub fn src(&self) -> &str {
        &self.src
    }

    /// The destination template.
    #[must_use]
    pub fn dest(&self) -> &str {
        &self.dest
    }

    /// nats-server's `Match`: the transformed subject, or `None` when `subject` is not a
    /// valid literal subject matched by the source.
    #[must_use]
    pub fn transform_matching(&self, subject: &str) -> Option<String> {
        if self.src == ">" && self.dest == ">" {
            return Some(subject.to_owned());
        }
        if subject
            .split('.')
            .any(|t| t.is_empty() || t == "*" || t == ">")
        {
            return None;
        }
        (self.src == ">" || subject_is_subset_match(subject, &self.src))
            .then(|| self.transform(subject))
    }

    /// nats-server's `TransformSubject`: `subject` (matched by the source) rebuilt from the
    /// destination.
    #[must_use]
    pub fn transform(&self, subject: &str) -> String {
        if self.ops.is_empty() {
            return self.dest.clone();
        }
        let tokens: Vec<&[u8]> = subject.split('.').map(str::as_bytes).collect();
        let token = |i: usize| tokens.get(i).copied().unwrap_or_default();
        let mut out: Vec<u8> = Vec::with_capacity(subject.len() + self.dest.len());
        let last = self.ops.len() - 1;
        for (i, op) in self.ops.iter().enumerate() {
            match op {
                Op::Literal => {
                    let literal = self.dest_tokens.get(i).map_or("", String::as_str);
                    if literal == ">" {
                        break;
                    }
                    out.extend_from_slice(literal.as_bytes());
                }
                Op::Wildcard(p) => out.extend_from_slice(token(*p)),
                Op::Partition { buckets, from } => {
                    let key: Vec<u8> = from.iter().flat_map(|&p| token(p).to_vec()).collect();
                    // Go divides by zero (and panics) for 0 partitions; this writes 0.
                    let n = u32::from_ne_bytes(buckets.to_ne_bytes());
                    let bucket = fnv1a32(&key).checked_rem(n).unwrap_or(0);
                    out.extend_from_slice(bucket.to_string().as_bytes());
                }
                Op::SplitFromLeft(p, at) => split_at(&mut out, token(*p), *at, false),
                Op::SplitFromRight(p, at) => split_at(&mut out, token(*p), *at, true),
                Op::SliceFromLeft(p, size) => slice_from_left(&mut out, token(*p), *size),
                Op::SliceFromRight(p, size) => slice_from_right(&mut out, token(*p), *size),
                Op::Split(p, delim) => split_on(&mut out, token(*p), delim.as_bytes()),
                Op::Left(p, n) => {
                    let t = token(*p);
                    out.extend_from_slice(within(*n, t.len()).map_or(t, |n| &t[..n]));
                }
                Op::Right(p, n) => {
                    let t = token(*p);
                    out.extend_from_slice(within(*n, t.len()).map_or(t, |n| &t[t.len() - n..]));
                }
            }
            if i < last {
                out.push(b'.');
            }
        }
        // A destination ending in `>` takes the subject's tokens from the source's `>` on.
        if self.dest_tokens.last().is_some_and(|t| t == ">") {
            let from = self.src_tokens.saturating_sub(1);
            let rest: Vec<&[u8]> = tokens.iter().skip(from).copied().collect();
            out.extend_from_slice(&rest.join(&b'.'));
        }
        String::from_utf8_lossy(&out).into_owned()
    }
}

impl Op {
    /// The op with wildcard numbers replaced by the token positions they name.
    fn with_positions(self, positions: &[usize]) -> Op {
        let first = positions.first().copied().unwrap_or(0);
        match self {
            Op::Wildcard(_) => Op::Wildcard(first),
            Op::Partition { buckets, .. } => Op::Partition {
                buckets,
                from: positions.to_vec(),
            },
            Op::SplitFromLeft(_, n) => Op::SplitFromLeft(first, n),
            Op::SplitFromRight(_, n) => Op::SplitFromRight(first, n),
            Op::SliceFromLeft(_, n) => Op::SliceFromLeft(first, n),
            Op::SliceFromRight(_, n) => Op::SliceFromRight(first, n),
            Op::Split(_, d) => Op::Split(first, d),
            Op::Left(_, n) => Op::Left(first, n),
            Op::Right(_, n) => Op::Right(first, n),
            Op::Literal => Op::Literal,
        }
    }
}

fn destination(kind: DestinationError, token: &str) -> TransformError {
    TransformError::Destination {
        kind,
        token: token.to_owned(),
    }
}

/// nats-server's `subjectInfo`: valid (non-empty, no empty token, nothing after `>`),
/// token count, `*` count, ends in `>`.
struct SubjectInfo {
    tokens: usize,
    pwcs: usize,
    fwc: bool,
}

fn subject_info(subject: &str) -> Option<SubjectInfo> {
    let mut info = SubjectInfo {
        tokens: 0,
        pwcs: 0,
        fwc: false,
    };
    for t in subject.split('.') {
        if t.is_empty() || info.fwc {
            return None;
        }
        info.tokens += 1;
        match t {
            "*" => info.pwcs += 1,
            ">" => info.fwc = true,
            _ => {}
        }
    }
    (info.tokens > 0).then_some(info)
}

/// nats-server's `indexPlaceHolders`.
fn parse_token(token: &str) -> Result<Parsed, TransformError> {
    if token.len() <= 1 {
        return Ok(Parsed::Literal);
    }
    if let Some(n) = token.strip_prefix('$') {
        // `$1`-style wildcards; a `$` token that is not a number is a literal.
        return Ok(match atoi(n) {
            Some(n) => Parsed::Function(Op::Wildcard(0), vec![n]),
            None => Parsed::Literal,
        });
    }
    if !(token.len() > 4 && token.starts_with("{{") && token.ends_with("}}")) {
        return Ok(Parsed::Literal);
    }
    let err = |kind| Err(destination(kind, token));
    if let Some(args) = function_args(token, "Wildcard") {
        return match args.as_slice() {
            [a] if a.is_empty() => err(DestinationError::NotEnoughArgs),
            [a] => match atoi(a.trim_matches(' ')) {
                Some(n) => Ok(Parsed::Function(Op::Wildcard(0), vec![n])),
                None => err(DestinationError::InvalidArg),
            },
            _ => err(DestinationError::TooManyArgs),
        };
    }
    if let Some(args) = function_args(token, "Partition") {
        if args.len() < 2 {
            return err(DestinationError::NotEnoughArgs);
        }
        let numbers: Option<Vec<i64>> = args.iter().map(|a| atoi(a.trim_matches(' '))).collect();
        return match numbers.as_deref() {
            Some([buckets, from @ ..]) => Ok(Parsed::Function(
                Op::Partition {
                    buckets: go_int32(*buckets),
                    from: Vec::new(),
                },
                from.to_vec(),
            )),
            _ => err(DestinationError::InvalidArg),
        };
    }
    type MakeOp = fn(usize, i32) -> Op;
    let index_int: [(&str, MakeOp); 6] = [
        ("SplitFromLeft", Op::SplitFromLeft),
        ("SplitFromRight", Op::SplitFromRight),
        ("SliceFromLeft", Op::SliceFromLeft),
        ("SliceFromRight", Op::SliceFromRight),
        ("Right", Op::Right),
        ("Left", Op::Left),
    ];
    for (name, make) in index_int {
        if let Some(args) = function_args(token, name) {
            return match args.as_slice() {
                [_] => err(DestinationError::NotEnoughArgs),
                [i, n] => match (atoi(i.trim_matches(' ')), atoi(n.trim_matches(' '))) {
                    (Some(i), Some(n)) => Ok(Parsed::Function(make(0, go_int32(n)), vec![i])),
                    _ => err(DestinationError::InvalidArg),
                },
                _ => err(DestinationError::TooManyArgs),
            };
        }
    }
    if let Some(args) = function_args(token, "Split") {
        return match args.as_slice() {
            [_] => err(DestinationError::NotEnoughArgs),
            [i, delim] => match atoi(i.trim_matches(' ')) {
                Some(_) if delim.contains([' ', '.']) => err(DestinationError::InvalidArg),
                Some(i) => Ok(Parsed::Function(Op::Split(0, delim.clone()), vec![i])),
                None => err(DestinationError::InvalidArg),
            },
            _ => err(DestinationError::TooManyArgs),
        };
    }
    err(DestinationError::UnknownFunction)
}

/// Go's `strconv.Atoi`: an optional sign and decimal digits, within 64 bits.
fn atoi(s: &str) -> Option<i64> {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// Go's `int32(n)` conversion: the low 32 bits.
fn go_int32(n: i64) -> i32 {
    let low = n.to_le_bytes();
    i32::from_le_bytes([low[0], low[1], low[2], low[3]])
}

/// The regular expression `{{\s*<name>\s*\((.*)\)\s*}}` of nats-server, unanchored, its
/// capture split on `,\s*`. In `name` an upper-case letter matches either case.
fn function_args(token: &str, name: &str) -> Option<Vec<String>> {
    let bytes = token.as_bytes();
    let is_space = |b: u8| matches!(b, b' ' | b'\t' | b'\n' | b'\r' | b'\x0c');
    let skip_spaces = |mut i: usize| {
        while bytes.get(i).copied().is_some_and(is_space) {
            i += 1;
        }
        i
    };
    for start in (0..bytes.len()).filter(|&i| bytes[i..].starts_with(b"{{")) {
        let mut i = skip_spaces(start + 2);
        let named = name.bytes().all(|want| {
            let ok = bytes.get(i).is_some_and(|&b| {
                b == want || (want.is_ascii_uppercase() && b == want.to_ascii_lowercase())
            });
            i += 1;
            ok
        });
        if !named {
            continue;
        }
        i = skip_spaces(i);
        if bytes.get(i) != Some(&b'(') {
            continue;
        }
        let args_start = i + 1;
        // `.` does not match a newline: the capture ends before the first one.
        let limit = bytes[args_start..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(bytes.len(), |p| p + args_start);
        // Greedy `.*`: the last `)` followed by optional spaces and `}}`.
        let close = (args_start..limit)
            .rev()
            .find(|&j| bytes[j] == b')' && bytes[skip_spaces(j + 1)..].starts_with(b"}}"));
        if let Some(j) = close {
            return Some(split_args(&token[args_start..j]));
        }
    }
    None
}

/// Go's `regexp.MustCompile(`,\s*`).Split(s, -1)`.
fn split_args(s: &str) -> Vec<String> {
    s.split(',')
        .enumerate()
        .map(|(i, part)| {
            if i == 0 {
                part.to_owned()
            } else {
                part.trim_start_matches([' ', '\t', '\n', '\r', '\x0c'])
                    .to_owned()
            }
        })
        .collect()
}

/// 32-bit FNV-1a, Go's `hash/fnv.New32a`.
fn fnv1a32(data: &[u8]) -> u32 {
    data.iter().fold(0x811c_9dc5_u32, |h, &b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    })
}

/// `n` as a cut length when `0 < n < len`.
fn within(n: i32, len: usize) -> Option<usize> {
    usize::try_from(n).ok().filter(|&n| n > 0 && n < len)
}

fn split_at(out: &mut Vec<u8>, t: &[u8], at: i32, from_right: bool) {
    match within(at, t.len()) {
        Some(n) => {
            let cut = if from_right { t.len() - n } else { n };
            out.extend_from_slice(&t[..cut]);
            out.push(b'.');
            out.extend_from_slice(&t[cut..]);
        }
        None => out.extend_from_slice(t),
    }
}

fn slice_from_left(out: &mut Vec<u8>, t: &[u8], size: i32) {
    let Some(size) = within(size, t.len()) else {
        out.extend_from_slice(t);
        return;
    };
    let parts: Vec<&[u8]> = t.chunks(size).collect();
    out.extend_from_slice(&parts.join(&b'.'));
}

fn slice_from_right(out: &mut Vec<u8>, t: &[u8], size: i32) {
    let Some(size) = within(size, t.len()) else {
        out.extend_from_slice(t);
        return;
    };
    let head = t.len() % size;
    let mut parts: Vec<&[u8]> = Vec::new();
    if head > 0 {
        parts.push(&t[..head]);
    }
    parts.extend(t[head..].chunks(size));
    out.extend_from_slice(&parts.join(&b'.'));
}

/// nats-server's `split`: the pieces between delimiters, empty pieces dropped, with its way
/// of placing dots kept (`--b` split on `-` gives `.b`).
fn split_on(out: &mut Vec<u8>, t: &[u8], delim: &[u8]) {
    let pieces: Vec<&[u8]> = if delim.is_empty() {
        // Go splits into UTF-8 characters; for ASCII that is bytes.
        std::str::from_utf8(t).map_or_else(
            |_| t.chunks(1).collect(),
            |s| {
                s.char_indices()
                    .map(|(i, c)| &t[i..i + c.len_utf8()])
                    .collect()
            },
        )
    } else {
        split_bytes(t, delim)
    };
    for (j, piece) in pieces.iter().enumerate() {
        out.extend_from_slice(piece);
        let next_non_empty = pieces.get(j + 1).is_some_and(|p| !p.is_empty());
        if next_non_empty && !(j == 0 && piece.is_empty()) {
            out.push(b'.');
        }
    }
}

fn split_bytes<'a>(t: &'a [u8], delim: &[u8]) -> Vec<&'a [u8]> {
    let mut pieces = Vec::new();
    let mut rest = t;
    while let Some(p) = rest.windows(delim.len()).position(|w| w == delim) {
        pieces.push(&rest[..p]);
        rest = &rest[p + delim.len()..];
    }
    pieces.push(rest);
    pieces
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tr(src: &str, dest: &str) -> SubjectTransform {
        SubjectTransform::new(src, dest).unwrap().unwrap()
    }

    fn err(src: &str, dest: &str) -> String {
        SubjectTransform::new(src, dest).unwrap_err().to_string()
    }

    #[test]
    fn validity_is_nats_servers() {
        assert!(SubjectTransform::new("a.*", "").unwrap().is_none());
        assert_eq!(
            err("rb.*", "out.{{wildcard(2)}}"),
            "invalid mapping destination: wildcard index out of range in {{wildcard(2)}}: [2]"
        );
        assert_eq!(err("rd.*", "out..x"), "invalid subject");
        assert_eq!(err("a.*", "b.*"), "invalid subject");
        assert_eq!(err("a.>", "b"), "invalid subject");
        assert_eq!(
            err("a", "{{wildcard(1)}}"),
            "invalid mapping destination: wildcard index out of range in {{wildcard(1)}}"
        );
        assert_eq!(
            err("a.>", "b.$1.>"),
            "invalid mapping destination: wildcard index out of range in $1"
        );
        assert_eq!(
            err("a.*", "{{nope(1)}}"),
            "invalid mapping destination: unknown function in {{nope(1)}}"
        );
        assert_eq!(err("a.*", "{{wildcard()}}"), "invalid mapping destination: not enough arguments passed to the function in {{wildcard()}}");
        assert_eq!(err("a.*", "{{wildcard(1,2)}}"), "invalid mapping destination: too many arguments passed to the function in {{wildcard(1,2)}}");
        assert_eq!(err("a.*", "{{wildcard(x)}}"), "invalid mapping destination: function argument is invalid or in the wrong format in {{wildcard(x)}}");
        assert_eq!(err("a.*", "{{split(1,a b)}}"), "invalid mapping destination: function argument is invalid or in the wrong format in {{split(1,a b)}}");
        // A dot splits the destination into tokens first: `{{split(1,` is a literal.
        assert!(SubjectTransform::new("a.*", "{{split(1,.)}}").is_ok());
        assert_eq!(err("a.*", "{{partition(3)}}"), "invalid mapping destination: not enough arguments passed to the function in {{partition(3)}}");
        assert_eq!(
            err("a.*", "{{WILDCARD(1)}}"),
            "invalid mapping destination: unknown function in {{WILDCARD(1)}}"
        );
        assert!(SubjectTransform::new("a.*", "{{ Wildcard( 1 ) }}").is_ok());
        assert!(SubjectTransform::new("a.*", "$JS.x").is_ok());
    }

    #[test]
    fn transforms_are_nats_servers() {
        assert_eq!(tr("rp.>", "out.rp.>").transform("rp.a.b"), "out.rp.a.b");
        assert_eq!(tr("", "out.>").transform("a.b"), "out.a.b");
        assert_eq!(
            tr("rt.*.*", "out.{{wildcard(2)}}.{{wildcard(1)}}").transform("rt.x.y"),
            "out.y.x"
        );
        assert_eq!(tr("a.*.*", "b.$2.$1").transform("a.1.2"), "b.2.1");
        assert_eq!(tr("a", "b").transform("a"), "b");
        assert_eq!(
            tr("a.*", "{{splitFromLeft(1,2)}}").transform("a.abcde"),
            "ab.cde"
        );
        assert_eq!(
            tr("a.*", "{{splitFromRight(1,2)}}").transform("a.abcde"),
            "abc.de"
        );
        assert_eq!(
            tr("a.*", "{{sliceFromLeft(1,2)}}").transform("a.abcde"),
            "ab.cd.e"
        );
        assert_eq!(
            tr("a.*", "{{sliceFromRight(1,2)}}").transform("a.abcde"),
            "a.bc.de"
        );
        assert_eq!(tr("a.*", "{{split(1,-)}}").transform("a.-x--y-"), "x.y");
        assert_eq!(tr("a.*", "{{split(1,-)}}").transform("a.--b"), ".b");
        assert_eq!(
            tr("a.*", "{{left(1,2)}}.{{right(1,2)}}").transform("a.abcde"),
            "ab.de"
        );
        assert_eq!(tr("a.*", "{{left(1,9)}}").transform("a.abc"), "abc");
        // FNV-1a of "foo" is 0xa9f37ed7; mod 10 = 3.
        assert_eq!(tr("a.*", "p.{{partition(10,1)}}").transform("a.foo"), "p.3");
        assert_eq!(
            tr("a.*.>", "{{wildcard(1)}}.>").transform("a.x.y.z"),
            "x.y.z"
        );
        let t = tr("a.*", "b.$1");
        assert_eq!(t.transform_matching("a.x"), Some("b.x".to_owned()));
        assert_eq!(t.transform_matching("c.x"), None);
        assert_eq!(t.transform_matching("a.*"), None);
        assert_eq!(
            tr(">", ">").transform_matching("any.thing"),
            Some("any.thing".to_owned())
        );
    }
}
