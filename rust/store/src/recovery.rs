//! Opening a file store: reading every segment back into the index, repairing what a crash
//! left, and reporting it.
//!
//! Each segment is scanned record by record, checking both CRCs (see [`crate::record`]):
//!
//! - a record whose header holds but whose body does not is skipped by its length and
//!   reported with its sequence (the message is lost, the sequence stays used);
//! - where a header does not hold, the scan looks for the next offset where a whole record
//!   holds and continues there, reporting the bytes in between as a corrupt region; so one
//!   bad record in the middle never costs the rest of the segment;
//! - if nothing holds up to the end of the *newest* segment, that tail is a torn write (or
//!   garbage): the file is truncated there, and the stream goes on at the next sequence. In
//!   an older segment the same is reported as corrupt, and left alone.
//!
//! Then the deletions recorded in the log are applied: the highest head watermark, every
//! tombstone, and erased records (which are simply not messages). `last_seq` is the highest
//! sequence any record mentions, so a sequence that was ever handed out is never reused.

use std::fs;
use std::path::Path;

use crate::error::Result;
use crate::file::FileLoc;
use crate::log::Log;
use crate::record::{body_ok, decode_header, Header, Kind, HEADER_LEN};
use crate::segment::{parse_name, Segment};

/// What [`crate::FileStore::open`] found and repaired. Log [`RecoveryReport::warnings`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RecoveryReport {
    /// Segment files read.
    pub segments: usize,
    /// Messages recovered.
    pub msgs: u64,
    /// The torn tail cut off the newest segment, if any.
    pub torn: Option<TornTail>,
    /// Damaged records and regions that were skipped.
    pub corrupt: Vec<CorruptRegion>,
    /// Sequences of messages known to be lost (their record's header named them).
    pub lost: Vec<u64>,
}

/// Bytes cut off the end of the newest segment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TornTail {
    /// The segment id.
    pub segment: u32,
    /// Where the file now ends.
    pub offset: u64,
    /// How many bytes were dropped.
    pub bytes: u64,
}

/// A skipped stretch of a segment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CorruptRegion {
    /// The segment id.
    pub segment: u32,
    /// Where the damage starts.
    pub offset: u64,
    /// Its length in bytes.
    pub len: u64,
    /// The sequence of the damaged record, if its header was readable.
    pub seq: Option<u64>,
}

impl RecoveryReport {
    /// Whether nothing needed repair.
    #[must_use]
    pub fn is_clean(&self) -> bool {
        self.torn.is_none() && self.corrupt.is_empty()
    }

    /// One warning line per repair, for the server log (prefix them with the stream, as
    /// nats-server's `Filestore [<stream>] ` does).
    #[must_use]
    pub fn warnings(&self) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(t) = self.torn {
            // nats-server's line for a log that goes on past what it last knew, then ours.
            out.push(
                "Stream state outdated, last block has additional entries, will rebuild"
                    .to_string(),
            );
            out.push(format!(
                "Dropped a torn tail of {} bytes at offset {} of segment {}",
                t.bytes, t.offset, t.segment
            ));
        }
        for c in &self.corrupt {
            match c.seq {
                Some(seq) => out.push(format!(
                    "Corrupt record for sequence {seq} ({} bytes at offset {} of segment {}): checksum mismatch, skipped",
                    c.len, c.offset, c.segment
                )),
                None => out.push(format!(
                    "Corrupt region of {} bytes at offset {} of segment {}: skipped",
                    c.len, c.offset, c.segment
                )),
            }
        }
        out
    }
}

/// What one segment scan found.
struct Scan {
    /// Length of the valid part (the file is cut there if it had a torn tail).
    valid_len: u64,
    torn: Option<TornTail>,
    corrupt: Vec<CorruptRegion>,
}

/// The first offset at or after `from` where a whole valid record starts.
fn resync(buf: &[u8], from: usize) -> Option<usize> {
    (from..buf.len().saturating_sub(HEADER_LEN - 1)).find(|&q| record_at(buf, q).is_some())
}

/// The valid record at `pos`, if there is one.
fn record_at(buf: &[u8], pos: usize) -> Option<(Header, &[u8])> {
    let h = decode_header(&buf[pos..])?;
    let end = pos.checked_add(usize::try_from(h.record_len()).ok()?)?;
    let body = buf.get(pos + HEADER_LEN..end)?;
    body_ok(&h, body).then_some((h, body))
}

/// Scans one segment's bytes, calling `visit(offset, header, body)` for each valid record.
fn scan(seg: u32, buf: &[u8], newest: bool, mut visit: impl FnMut(u64, &Header, &[u8])) -> Scan {
    let mut out = Scan {
        valid_len: buf.len() as u64,
        torn: None,
        corrupt: Vec::new(),
    };
    let mut pos = 0usize;
    while pos < buf.len() {
        if let Some((h, body)) = record_at(buf, pos) {
            visit(pos as u64, &h, body);
            pos += HEADER_LEN + body.len();
            continue;
        }
        // A readable header over a complete but damaged body: skip exactly that record.
        if let Some(h) = decode_header(&buf[pos..]) {
            let len = h.record_len();
            if (pos as u64).saturating_add(len) <= buf.len() as u64 {
                out.corrupt.push(CorruptRegion {
                    segment: seg,
                    offset: pos as u64,
                    len,
                    seq: Some(h.seq),
                });
                pos += len as usize;
                continue;
            }
        }
        match resync(buf, pos + 1) {
            Some(next) => {
                let len = (next - pos) as u64;
                out.corrupt.push(CorruptRegion {
                    segment: seg,
                    offset: pos as u64,
                    len,
                    seq: None,
                });
                pos = next;
            }
            None => {
                let bytes = (buf.len() - pos) as u64;
                if newest {
                    out.torn = Some(TornTail {
                        segment: seg,
                        offset: pos as u64,
                        bytes,
                    });
                    out.valid_len = pos as u64;
                } else {
                    out.corrupt.push(CorruptRegion {
                        segment: seg,
                        offset: pos as u64,
                        len: bytes,
                        seq: None,
                    });
                }
                break;
            }
        }
    }
    out
}

/// The segment ids in `dir`, ascending.
fn segment_ids(dir: &Path) -> Result<Vec<u32>> {
    let mut ids = Vec::new();
    for entry in fs::read_dir(dir)? {
        if let Some(id) = entry?.file_name().to_str().and_then(parse_name) {
            ids.push(id);
        }
    }
    ids.sort_unstable();
    Ok(ids)
}

/// Everything recovered from a store directory.
pub(crate) struct Recovered {
    pub segs: Vec<Segment>,
    pub watermark: u64,
    pub report: RecoveryReport,
}

/// Reads every segment of `dir` into `log` (see the module docs).
pub(crate) fn recover(dir: &Path, log: &mut Log<FileLoc>) -> Result<Recovered> {
    let ids = segment_ids(dir)?;
    let mut report = RecoveryReport {
        segments: ids.len(),
        ..RecoveryReport::default()
    };
    let mut segs = Vec::with_capacity(ids.len());
    let mut watermark = 0u64;
    let mut tombstones: Vec<u64> = Vec::new();
    // The highest sequence a non-message record names, with its timestamp.
    let mut max_other: Option<(u64, Option<i64>)> = None;
    let mut note = |seq: u64, ts: Option<i64>| {
        if max_other.map_or(true, |(s, _)| seq > s) {
            max_other = Some((seq, ts));
        }
    };
    for (i, &id) in ids.iter().enumerate() {
        let path = dir.join(crate::segment::file_name(id));
        let buf = fs::read(&path)?;
        let mut seg_tombs = Vec::new();
        let scan = scan(id, &buf, i + 1 == ids.len(), |off, h, body| match h.kind {
            Kind::Msg if h.seq > log.last_seq() => {
                let subject = String::from_utf8_lossy(&body[..usize::from(h.subj_len)]);
                let loc = FileLoc::new(off, h.record_len(), h.hdr_len > 0);
                log.append(id, h.seq, h.ts, &subject, loc);
            }
            Kind::Msg => {
                // Out of order: cannot happen with records this store wrote.
                report.corrupt.push(CorruptRegion {
                    segment: id,
                    offset: off,
                    len: h.record_len(),
                    seq: Some(h.seq),
                });
            }
            Kind::Tombstone => {
                tombstones.push(h.seq);
                seg_tombs.push(h.seq);
                note(h.seq, None);
            }
            Kind::Erased | Kind::Skip => note(h.seq, Some(h.ts)),
            Kind::Watermark => {
                watermark = watermark.max(h.seq);
                note(h.seq.saturating_sub(1), Some(h.ts));
            }
        });
        for c in &scan.corrupt {
            if let Some(seq) = c.seq {
                note(seq, None);
                report.lost.push(seq);
            }
        }
        report.corrupt.extend(scan.corrupt);
        if let Some(t) = scan.torn {
            let f = fs::OpenOptions::new().write(true).open(&path)?;
            f.set_len(t.offset)?;
            f.sync_all()?;
            report.torn = Some(t);
        }
        let mut seg = Segment::open(dir, id, scan.valid_len)?;
        seg.tombs = seg_tombs;
        segs.push(seg);
    }
    if let Some((seq, ts)) = max_other {
        log.raise_last(seq, ts);
    }
    if watermark > 0 {
        log.compact(watermark);
    }
    for seq in tombstones {
        log.remove(seq);
    }
    // Those removals are on disk already.
    log.take_tombs();
    report.msgs = log.msgs();
    Ok(Recovered {
        segs,
        watermark,
        report,
    })
}
