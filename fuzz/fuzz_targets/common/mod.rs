//! What the protocol fuzz targets share: feeding a byte stream to a parser the way the
//! server's read loop does (whole, in pseudo-random chunks, byte by byte) with the parser
//! contract checked at every step, and comparing the outcomes.
//!
//! The contract: an op consumes at least 1 and at most the buffered bytes;
//! `Incomplete { needed: Some(n) }` has n > buffered, stays the same until the op completes
//! and the op then takes exactly n bytes; every way of feeding gives the same ops, the same
//! error and the same leftover.

use fastnats_proto::{ParseStep, ProtoError};

/// What feeding a stream gave: the ops (owned, with the bytes each took), the error that
/// ended it, the bytes left unparsed.
#[derive(Debug, PartialEq, Eq)]
pub struct Outcome<Op> {
    pub ops: Vec<(Op, usize)>,
    pub error: Option<ProtoError>,
    pub leftover: usize,
}

/// The server's read loop over `chunks`: `parse` at the front of what is buffered, giving
/// each op as a comparable owned value (see [`owned`]).
pub fn feed<'c, Op>(
    chunks: impl Iterator<Item = &'c [u8]>,
    parse: impl Fn(&[u8]) -> Result<ParseStep<Op>, ProtoError>,
) -> Outcome<Op> {
    let mut buf: Vec<u8> = Vec::new();
    let mut ops = Vec::new();
    let mut announced: Option<usize> = None;
    for chunk in chunks {
        buf.extend_from_slice(chunk);
        let mut pos = 0;
        loop {
            let rest = &buf[pos..];
            match parse(rest) {
                Ok(ParseStep::Op(op, used)) => {
                    assert!(
                        used > 0 && used <= rest.len(),
                        "used {used} of {}",
                        rest.len()
                    );
                    if let Some(n) = announced.take() {
                        assert_eq!(n, used, "announced {n}, took {used}");
                    }
                    ops.push((op, used));
                    pos += used;
                }
                Ok(ParseStep::Incomplete { needed }) => {
                    match (needed, announced) {
                        (Some(n), prev) => {
                            assert!(n > rest.len(), "needed {n} with {} buffered", rest.len());
                            assert!(prev.is_none() || prev == Some(n), "needed changed");
                            announced = Some(n);
                        }
                        (None, prev) => assert_eq!(prev, None, "needed went back to None"),
                    }
                    break;
                }
                Err(e) => {
                    return Outcome {
                        ops,
                        error: Some(e),
                        leftover: 0,
                    }
                }
            }
        }
        buf.drain(..pos);
    }
    Outcome {
        ops,
        error: None,
        leftover: buf.len(),
    }
}

/// Chunk sizes from a xorshift generator: mostly small, sometimes large.
pub struct Chunks<'a> {
    pub rest: &'a [u8],
    pub state: u64,
}

impl<'a> Iterator for Chunks<'a> {
    type Item = &'a [u8];
    fn next(&mut self) -> Option<&'a [u8]> {
        if self.rest.is_empty() {
            return None;
        }
        self.state ^= self.state << 13;
        self.state ^= self.state >> 7;
        self.state ^= self.state << 17;
        let r = self.state;
        let n = match r & 3 {
            0 => 1 + (r >> 8) as usize % 4,
            1 | 2 => 1 + (r >> 8) as usize % 64,
            _ => 1 + (r >> 8) as usize % 4096,
        };
        let (a, b) = self.rest.split_at(n.min(self.rest.len()));
        self.rest = b;
        Some(a)
    }
}

/// Feeds `stream` whole, in chunks seeded by `seed`, and byte by byte when short; asserts
/// all three agree and the whole feed accounts for every byte. Returns the whole outcome.
pub fn check_all_feeds<Op: PartialEq + std::fmt::Debug>(
    stream: &[u8],
    seed: [u8; 8],
    parse: impl Fn(&[u8]) -> Result<ParseStep<Op>, ProtoError> + Copy,
) -> Outcome<Op> {
    let whole = feed(std::iter::once(stream), parse);
    let used: usize = whole.ops.iter().map(|(_, n)| n).sum();
    assert!(used + whole.leftover <= stream.len());
    if whole.error.is_none() {
        assert_eq!(used + whole.leftover, stream.len());
    }
    let split = feed(
        Chunks {
            rest: stream,
            state: u64::from_le_bytes(seed) | 1,
        },
        parse,
    );
    assert_eq!(split, whole, "split vs whole");
    if stream.len() <= 512 {
        let bytes = feed(stream.chunks(1), parse);
        assert_eq!(bytes, whole, "bytewise vs whole");
    }
    whole
}

/// A parse step with its op made owned by `own` (which may check it too).
pub fn owned<O, Op>(
    step: Result<ParseStep<O>, ProtoError>,
    own: impl FnOnce(&O) -> Op,
) -> Result<ParseStep<Op>, ProtoError> {
    step.map(|s| match s {
        ParseStep::Op(o, n) => ParseStep::Op(own(&o), n),
        ParseStep::Incomplete { needed } => ParseStep::Incomplete { needed },
    })
}
