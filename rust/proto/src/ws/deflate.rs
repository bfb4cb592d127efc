//! A deflate encoder for the small writes of `permessage-deflate` without context takeover.
//!
//! Every message must be compressed from a fresh state, and resetting a general deflate
//! compressor costs more than compressing a small message: `miniz_oxide` zeroes about 250 KB
//! of tables per reset (8.5 µs for a 1 KiB write, against 0.4 µs of compressing), `zlib-rs`
//! about 128 KB (3.6 µs). nats-server's encoder avoids the reset with table entries that carry
//! absolute positions; so does this one: the hash table is never cleared, each message starts
//! past every position stored before it, so older entries read as empty.
//!
//! What it writes: one block of the fixed Huffman codes (RFC 1951 §3.2.6) from a greedy LZ77
//! (4-byte hash, one candidate, matches of 4 to 258 bytes within 32 KiB), then the empty
//! stored block of a sync flush without its `00 00 ff ff` (RFC 7692 §7.2.1). Larger writes,
//! where the reset is paid back and dynamic Huffman codes compress better, go to `flate2`.

/// Hash table size (entries).
const HASH_BITS: u32 = 13;
/// Farthest back a match may reach.
const WINDOW: usize = 32 * 1024;
const MIN_MATCH: usize = 4;
const MAX_MATCH: usize = 258;

/// Base lengths of the length symbols 257..=285 and their extra bits.
const LENGTH_BASE: [u16; 29] = [
    3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131,
    163, 195, 227, 258,
];
const LENGTH_EXTRA: [u8; 29] = [
    0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0,
];
/// Base distances of the distance symbols 0..=29 and their extra bits.
const DIST_BASE: [u16; 30] = [
    1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537,
    2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577,
];
const DIST_EXTRA: [u8; 30] = [
    0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13,
    13,
];

/// `code` of `len` bits, reversed: Huffman codes go most significant bit first into the
/// least-significant-first bit stream.
const fn reverse(code: u32, len: u32) -> u32 {
    let mut out = 0;
    let mut i = 0;
    while i < len {
        out |= ((code >> i) & 1) << (len - 1 - i);
        i += 1;
    }
    out
}

/// The fixed literal/length code of each symbol 0..=287: (reversed code, length).
const FIXED: [(u16, u8); 288] = {
    let mut t = [(0u16, 0u8); 288];
    let mut v = 0;
    while v < 288 {
        let (code, len) = match v {
            0..=143 => (0x30 + v, 8),
            144..=255 => (0x190 + v - 144, 9),
            256..=279 => (v - 256, 7),
            _ => (0xc0 + v - 280, 8),
        };
        t[v as usize] = (reverse(code, len) as u16, len as u8);
        v += 1;
    }
    t
};

/// Least-significant-bit-first writer.
struct Bits<'a> {
    out: &'a mut Vec<u8>,
    acc: u64,
    n: u32,
}

impl Bits<'_> {
    #[inline]
    fn put(&mut self, bits: u32, len: u32) {
        self.acc |= u64::from(bits) << self.n;
        self.n += len;
        if self.n >= 32 {
            self.out.extend_from_slice(&(self.acc as u32).to_le_bytes());
            self.acc >>= 32;
            self.n -= 32;
        }
    }

    #[inline]
    fn symbol(&mut self, sym: usize) {
        let (code, len) = FIXED[sym];
        self.put(u32::from(code), u32::from(len));
    }

    /// Writes out the last bits, padded with zeros to a byte.
    fn finish(mut self) {
        while self.n > 0 {
            self.out.push(self.acc as u8);
            self.acc >>= 8;
            self.n = self.n.saturating_sub(8);
        }
    }
}

/// The encoder: its hash table lives across messages and is never cleared.
pub struct SmallDeflate {
    /// Per hash: the position stored there, as `base + index + 1` (0: never used).
    table: Box<[u32]>,
    /// Where the next message's positions start.
    base: u32,
}

impl std::fmt::Debug for SmallDeflate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmallDeflate")
            .field("base", &self.base)
            .finish()
    }
}

impl Default for SmallDeflate {
    fn default() -> Self {
        SmallDeflate {
            table: vec![0; 1 << HASH_BITS].into_boxed_slice(),
            base: 0,
        }
    }
}

#[inline]
fn hash(four: u32) -> usize {
    (four.wrapping_mul(2_654_435_761) >> (32 - HASH_BITS)) as usize
}

#[inline]
fn read4(data: &[u8], i: usize) -> u32 {
    u32::from_le_bytes([data[i], data[i + 1], data[i + 2], data[i + 3]])
}

impl SmallDeflate {
    /// Appends `data` deflated as one `permessage-deflate` message (without the sync
    /// flush's last four bytes) to `out`.
    pub fn compress(&mut self, data: &[u8], out: &mut Vec<u8>) {
        let Ok(len) = u32::try_from(data.len()) else {
            unreachable!("small writes only");
        };
        if self.base.checked_add(len + 1).is_none() {
            // Positions would wrap: the one time the table is cleared.
            self.table.fill(0);
            self.base = 0;
        }
        let start = self.base;
        self.base += len + 1;
        out.reserve(data.len() / 2 + 16);
        let mut bits = Bits { out, acc: 0, n: 0 };
        // BFINAL 0, BTYPE 01 (fixed codes).
        bits.put(0b010, 3);
        let mut i = 0;
        let last = data.len().saturating_sub(MIN_MATCH);
        while i < data.len() {
            if i <= last && data.len() >= MIN_MATCH {
                let four = read4(data, i);
                let h = hash(four);
                let stored = self.table[h];
                self.table[h] = start + i as u32 + 1;
                if stored > start {
                    let at = (stored - start - 1) as usize;
                    if i - at <= WINDOW && read4(data, at) == four {
                        let max = (data.len() - i).min(MAX_MATCH);
                        let mut n = MIN_MATCH;
                        while n < max && data[at + n] == data[i + n] {
                            n += 1;
                        }
                        emit_match(&mut bits, n, i - at);
                        i += n;
                        continue;
                    }
                }
            }
            bits.symbol(usize::from(data[i]));
            i += 1;
        }
        // End of block, then the empty stored block's header (BFINAL 0, BTYPE 00) and the
        // padding to a byte; its LEN/NLEN are the `00 00 ff ff` left out.
        bits.symbol(256);
        bits.put(0, 3);
        bits.finish();
    }
}

/// Writes a length/distance pair.
fn emit_match(bits: &mut Bits<'_>, len: usize, dist: usize) {
    let l = LENGTH_BASE
        .iter()
        .rposition(|&b| usize::from(b) <= len)
        .unwrap_or(0);
    bits.symbol(257 + l);
    if LENGTH_EXTRA[l] > 0 {
        bits.put(
            (len - usize::from(LENGTH_BASE[l])) as u32,
            u32::from(LENGTH_EXTRA[l]),
        );
    }
    let d = DIST_BASE
        .iter()
        .rposition(|&b| usize::from(b) <= dist)
        .unwrap_or(0);
    bits.put(reverse(d as u32, 5), 5);
    if DIST_EXTRA[d] > 0 {
        bits.put(
            (dist - usize::from(DIST_BASE[d])) as u32,
            u32::from(DIST_EXTRA[d]),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Inflates `deflated` (a permessage-deflate message) with `flate2`.
    fn inflate(deflated: &[u8]) -> Vec<u8> {
        let mut input = deflated.to_vec();
        input.extend_from_slice(&[0, 0, 0xff, 0xff, 0x01, 0x00, 0x00, 0xff, 0xff]);
        let mut d = flate2::Decompress::new(false);
        let mut out = Vec::with_capacity(1 << 20);
        d.decompress_vec(&input, &mut out, flate2::FlushDecompress::Finish)
            .unwrap();
        out
    }

    #[test]
    fn round_trips_and_forgets_earlier_messages() {
        let mut enc = SmallDeflate::default();
        let texts: Vec<Vec<u8>> = vec![
            Vec::new(),
            b"a".to_vec(),
            b"abc".to_vec(),
            b"MSG a 1 5\r\nhello\r\n".repeat(50),
            (0..5000u32).map(|i| (i * 7919 % 251) as u8).collect(),
            b"x".repeat(32 * 1024),
            br#"{"id":1,"name":"alpha","tags":["a","b"]}"#.repeat(20),
        ];
        for _ in 0..2 {
            for t in &texts {
                let mut out = Vec::new();
                enc.compress(t, &mut out);
                assert_eq!(&inflate(&out), t);
            }
        }
        // The table's positions wrap: it is cleared once and still right.
        enc.base = u32::MAX - 10;
        let mut out = Vec::new();
        enc.compress(&texts[3], &mut out);
        assert_eq!(inflate(&out), texts[3]);
    }

    #[test]
    #[ignore = "a measurement"]
    fn speed() {
        let msg = [
            b"MSG bench.subject.x 1 1024\r\n".as_slice(),
            &[b'x'; 1024],
            b"\r\n",
        ]
        .concat();
        let mut enc = SmallDeflate::default();
        let mut out = Vec::new();
        let t = std::time::Instant::now();
        for _ in 0..100_000 {
            out.clear();
            enc.compress(&msg, &mut out);
        }
        println!(
            "small deflate 1 KiB: {:?} -> {} bytes",
            t.elapsed() / 100_000,
            out.len()
        );
    }
}
