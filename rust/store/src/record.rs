//! The record: the unit of the file store's segment log.
//!
//! ```text
//! offset size field
//!      0    4 hcrc      CRC-32C of bytes 4..36 (the rest of this header)
//!      4    1 kind      1 message, 2 tombstone, 3 erased message, 4 skip, 5 head watermark
//!      5    1 version   0
//!      6    2 subj_len  u16
//!      8    4 hdr_len   u32
//!     12    4 data_len  u32 (payload)
//!     16    8 seq       u64
//!     24    8 ts        i64, Unix nanoseconds
//!     32    4 dcrc      CRC-32C of the body
//!     36    … body      subject, headers, payload
//! ```
//!
//! All integers little-endian. What each kind means:
//!
//! - **message**: a stored message with sequence `seq`;
//! - **tombstone**: message `seq` was removed (an interior delete; no body);
//! - **erased**: a message record overwritten in place by a secure delete: same length, body
//!   zeroed, so the content is gone and the sequence counts as removed;
//! - **skip**: sequences up to `seq` are used (nats-server `SkipMsgs`; no body);
//! - **head watermark**: every sequence below `seq` is removed, and `last_seq >= seq - 1`. It is
//!   written once per flush when the head moved (limits, expiry, compact, purge), instead of a
//!   tombstone per message removed from the head.
//!
//! Why two checksums: the header has its own CRC, so a record whose header is intact but whose
//! body is damaged is skipped *exactly* (its length is trusted) and reported with its
//! sequence; when the header itself is damaged the length cannot be trusted, and recovery
//! resynchronises by looking, byte by byte, for the next offset where a header CRC *and* a
//! body CRC both hold. No magic number is needed for that: a 32-bit header CRC matching by
//! chance has a probability of 2^-32 per offset, and the body CRC must match too.
//!
//! Why CRC-32C: it is the checksum storage systems use for exactly this (ext4 metadata,
//! iSCSI, LevelDB/RocksDB logs, Kafka record batches), detects every burst error up to 32 bits,
//! and the `crc32c` crate computes it with the SSE4.2/ARMv8 CRC instructions at many GB/s, so
//! checking every record on recovery and on every read costs little. (nats-server uses a keyed
//! 64-bit `HighwayHash`; a keyed hash guards against deliberate collisions, which a local log
//! does not need.)

/// Bytes before the body.
pub(crate) const HEADER_LEN: usize = 36;

/// Largest record (lengths must fit the index's 31 bits).
pub(crate) const MAX_RECORD: u64 = (1 << 31) - 1;

/// What a record says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Msg = 1,
    Tombstone = 2,
    Erased = 3,
    Skip = 4,
    Watermark = 5,
}

impl Kind {
    fn from_u8(b: u8) -> Option<Kind> {
        Some(match b {
            1 => Kind::Msg,
            2 => Kind::Tombstone,
            3 => Kind::Erased,
            4 => Kind::Skip,
            5 => Kind::Watermark,
            _ => return None,
        })
    }
}

/// A decoded, header-checked record header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Header {
    pub kind: Kind,
    pub subj_len: u16,
    pub hdr_len: u32,
    pub data_len: u32,
    pub seq: u64,
    pub ts: i64,
    pub dcrc: u32,
}

impl Header {
    /// Body length.
    pub(crate) fn body_len(&self) -> u64 {
        u64::from(self.subj_len) + u64::from(self.hdr_len) + u64::from(self.data_len)
    }

    /// Whole record length.
    pub(crate) fn record_len(&self) -> u64 {
        HEADER_LEN as u64 + self.body_len()
    }
}

/// Length of the record for a message with these parts.
pub(crate) fn record_len(subject_len: usize, hdr_len: usize, payload_len: usize) -> u64 {
    (HEADER_LEN + subject_len + hdr_len + payload_len) as u64
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    let mut a = [0u8; 4];
    a.copy_from_slice(&b[at..at + 4]);
    u32::from_le_bytes(a)
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(a)
}

/// Appends a record to `out`. The caller has checked the lengths (subject < 64 KiB, whole
/// record within [`MAX_RECORD`]).
pub(crate) fn encode(
    out: &mut Vec<u8>,
    kind: Kind,
    seq: u64,
    ts: i64,
    subject: &[u8],
    hdr: &[u8],
    payload: &[u8],
) {
    let start = out.len();
    let dcrc = crc32c::crc32c_append(crc32c::crc32c_append(crc32c::crc32c(subject), hdr), payload);
    out.extend_from_slice(&[0u8; 4]);
    out.push(kind as u8);
    out.push(0);
    out.extend_from_slice(&(subject.len() as u16).to_le_bytes());
    out.extend_from_slice(&(hdr.len() as u32).to_le_bytes());
    out.extend_from_slice(&(payload.len() as u32).to_le_bytes());
    out.extend_from_slice(&seq.to_le_bytes());
    out.extend_from_slice(&ts.to_le_bytes());
    out.extend_from_slice(&dcrc.to_le_bytes());
    let hcrc = crc32c::crc32c(&out[start + 4..start + HEADER_LEN]);
    out[start..start + 4].copy_from_slice(&hcrc.to_le_bytes());
    out.extend_from_slice(subject);
    out.extend_from_slice(hdr);
    out.extend_from_slice(payload);
}

/// Appends a record without a body (tombstone, skip, watermark).
pub(crate) fn encode_marker(out: &mut Vec<u8>, kind: Kind, seq: u64, ts: i64) {
    encode(out, kind, seq, ts, b"", b"", b"");
}

/// Decodes the header at the start of `b`, if it is complete and its CRC holds.
pub(crate) fn decode_header(b: &[u8]) -> Option<Header> {
    if b.len() < HEADER_LEN || crc32c::crc32c(&b[4..HEADER_LEN]) != u32_at(b, 0) || b[5] != 0 {
        return None;
    }
    Some(Header {
        kind: Kind::from_u8(b[4])?,
        subj_len: u16::from_le_bytes([b[6], b[7]]),
        hdr_len: u32_at(b, 8),
        data_len: u32_at(b, 12),
        seq: u64_at(b, 16),
        ts: u64_at(b, 24) as i64,
        dcrc: u32_at(b, 32),
    })
}

/// Whether `body` (exactly the header's body length) matches the header's body CRC.
pub(crate) fn body_ok(h: &Header, body: &[u8]) -> bool {
    body.len() as u64 == h.body_len() && crc32c::crc32c(body) == h.dcrc
}

/// The same record, erased: kind [`Kind::Erased`], body zeroed, checksums redone.
/// `rec` is the whole record.
pub(crate) fn erase_in_place(rec: &mut [u8]) {
    for b in &mut rec[HEADER_LEN..] {
        *b = 0;
    }
    let dcrc = crc32c::crc32c(&rec[HEADER_LEN..]);
    rec[4] = Kind::Erased as u8;
    rec[32..36].copy_from_slice(&dcrc.to_le_bytes());
    let hcrc = crc32c::crc32c(&rec[4..HEADER_LEN]);
    rec[0..4].copy_from_slice(&hcrc.to_le_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_damage() {
        let mut b = Vec::new();
        encode(
            &mut b,
            Kind::Msg,
            7,
            42,
            b"a.b",
            b"NATS/1.0\r\n\r\n",
            b"hello",
        );
        assert_eq!(b.len() as u64, record_len(3, 12, 5));
        let h = decode_header(&b).unwrap();
        assert_eq!(
            (h.kind, h.seq, h.ts, h.subj_len, h.hdr_len, h.data_len),
            (Kind::Msg, 7, 42, 3, 12, 5)
        );
        assert!(body_ok(&h, &b[HEADER_LEN..]));
        let mut bad = b.clone();
        *bad.last_mut().unwrap() ^= 1;
        assert!(decode_header(&bad).is_some() && !body_ok(&h, &bad[HEADER_LEN..]));
        bad[17] ^= 1;
        assert!(decode_header(&bad).is_none());
        erase_in_place(&mut b);
        let e = decode_header(&b).unwrap();
        assert_eq!((e.kind, e.seq), (Kind::Erased, 7));
        assert!(body_ok(&e, &b[HEADER_LEN..]) && b[HEADER_LEN..].iter().all(|&x| x == 0));
    }
}
