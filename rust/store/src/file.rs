//! [`FileStore`]: a stream kept in a directory of segment files (`storage: file`).
//!
//! Writes append records ([`crate::record`]) to the newest segment's buffer; a segment is
//! sealed when the next record would pass `block_size`. [`Store::sync`] writes the buffer out
//! and `fdatasync`s every segment written since the last sync (plus the directory when a
//! segment was created): that one call is the group commit the layer above makes before it
//! releases the acknowledgements of a window of messages. With [`SyncPolicy::Interval`] the
//! `fdatasync` happens at most once per interval (the buffer is still written out on every
//! call, so messages survive the process being killed, but not a power cut in between).
//!
//! Removals are recorded in the log too: a removal from the head is covered by one head
//! watermark record written at the next flush; an interior removal writes a tombstone; an
//! erase overwrites the record in place. When a segment holds no message any more it is
//! deleted, but only after the next real sync (the records that make it redundant must be
//! durable first); tombstones it held for messages in older, still present segments are
//! written again into the newest segment first.
//!
//! Byte accounting is nats-server's `fileStoreMsgSize`: 30 + subject + payload, plus 4 +
//! headers when there are headers.

use std::collections::BTreeMap;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use bytes::Bytes;

use crate::atomic::sync_dir;
use crate::error::{Result, StoreError};
use crate::limits::StoreLimits;
use crate::log::{Loc, Log};
use crate::msg::StoredMsg;
use crate::record::{self, Kind, HEADER_LEN, MAX_RECORD};
use crate::recovery::{recover, RecoveryReport};
use crate::segment::Segment;
use crate::store::{log_forwards, Store};
use crate::sync_job::SyncJob;

/// When [`Store::sync`] really calls `fdatasync`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SyncPolicy {
    /// On every call: acknowledged means on disk (the default).
    #[default]
    Always,
    /// At most once per interval (nats-server's `sync_interval`).
    Interval(Duration),
}

/// File store settings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FileStoreConfig {
    /// Seal a segment when the next record would make it larger than this (at most 1 GiB).
    pub block_size: u64,
    /// When `sync` calls `fdatasync`.
    pub sync: SyncPolicy,
    /// Write the buffer out once it holds this many bytes, without waiting for a flush.
    pub write_buffer: usize,
}

impl Default for FileStoreConfig {
    fn default() -> Self {
        // nats-server's block size for streams (`defaultLargeBlockSize`).
        FileStoreConfig {
            block_size: 8 * 1024 * 1024,
            sync: SyncPolicy::Always,
            write_buffer: 1024 * 1024,
        }
    }
}

/// Largest block size accepted (offsets in the index are 32-bit).
const MAX_BLOCK_SIZE: u64 = 1 << 30;

/// Where a message is: offset and record length in its segment (top bit of `len`: the
/// message has headers). 8 bytes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct FileLoc {
    off: u32,
    len: u32,
}

const HDR_BIT: u32 = 1 << 31;

impl FileLoc {
    /// The location of a record. Offsets and lengths are bounded by the block size and
    /// [`MAX_RECORD`], so they fit.
    pub(crate) fn new(off: u64, record_len: u64, has_headers: bool) -> FileLoc {
        let len = u32::try_from(record_len).unwrap_or(u32::MAX >> 1);
        FileLoc {
            off: u32::try_from(off).unwrap_or(u32::MAX),
            len: len | if has_headers { HDR_BIT } else { 0 },
        }
    }

    fn record_len(self) -> usize {
        (self.len & !HDR_BIT) as usize
    }
}

impl Loc for FileLoc {
    fn bytes(&self) -> u64 {
        match self.record_len() {
            0 => 0,
            // record = 36 + subject + headers + payload; nats counts 30 + ... (+ 4 with headers).
            n => n as u64 - 6 + if self.len & HDR_BIT != 0 { 4 } else { 0 },
        }
    }

    fn size_of(subject_len: usize, hdr_len: usize, payload_len: usize) -> u64 {
        let base = 30 + subject_len + payload_len;
        (if hdr_len > 0 {
            base + 4 + hdr_len
        } else {
            base
        }) as u64
    }
}

/// A stream's messages on disk.
#[derive(Debug)]
pub struct FileStore {
    dir: PathBuf,
    cfg: FileStoreConfig,
    log: Log<FileLoc>,
    segs: BTreeMap<u32, Segment>,
    /// The segment appended to.
    active: u32,
    next_id: u32,
    /// The highest head watermark written.
    watermark: u64,
    /// Write the watermark again at the next flush (a segment that may have held it went).
    watermark_dirty: bool,
    /// Files to delete after the next real sync.
    unlink: Vec<PathBuf>,
    /// A segment was created since the last directory sync.
    dir_dirty: bool,
    last_sync: Instant,
    /// The last chunk read ahead from a segment file (see [`ReadAhead`]).
    ahead: std::sync::Mutex<Option<ReadAhead>>,
}

/// Bytes read from a segment file past the record asked for: consumers and fetches read
/// messages in sequence order, so the next records come from this chunk without a system
/// call or a copy (their payloads are slices of it). One chunk per store; records in the
/// file never change but by an erasing removal, which drops it.
#[derive(Debug)]
struct ReadAhead {
    seg: u32,
    off: u64,
    data: Bytes,
}

/// How much a file read takes at once.
const READ_AHEAD: usize = 64 * 1024;

impl FileStore {
    /// The bytes a message counts for in a file store (nats-server's `fileStoreMsgSize`), as
    /// limits and usage see them: for checks made before storing.
    #[must_use]
    pub fn msg_size(subject_len: usize, hdr_len: usize, payload_len: usize) -> u64 {
        FileLoc::size_of(subject_len, hdr_len, payload_len)
    }

    /// Opens (or creates) the store in `dir`, recovering what is there (see
    /// [`crate::recovery`]), and enforces `limits`.
    ///
    /// # Errors
    /// I/O errors, or a `block_size` above 1 GiB.
    pub fn open(
        dir: &Path,
        cfg: FileStoreConfig,
        limits: StoreLimits,
    ) -> Result<(FileStore, RecoveryReport)> {
        if cfg.block_size > MAX_BLOCK_SIZE {
            return Err(StoreError::Io(io::Error::new(
                io::ErrorKind::InvalidInput,
                "block_size above 1 GiB",
            )));
        }
        if !dir.exists() {
            fs::create_dir_all(dir)?;
            if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
                sync_dir(parent)?;
            }
        }
        let mut log = Log::new(limits, true);
        let rec = recover(dir, &mut log)?;
        let mut segs: BTreeMap<u32, Segment> = rec.segs.into_iter().map(|s| (s.id, s)).collect();
        let mut dir_dirty = rec.report.torn.is_some();
        let active = match segs.keys().next_back() {
            Some(&id) => id,
            None => {
                segs.insert(1, Segment::create(dir, 1)?);
                dir_dirty = true;
                1
            }
        };
        let mut store = FileStore {
            dir: dir.to_path_buf(),
            cfg,
            log,
            segs,
            active,
            next_id: active + 1,
            watermark: rec.watermark,
            watermark_dirty: false,
            unlink: Vec::new(),
            dir_dirty,
            last_sync: Instant::now(),
            ahead: std::sync::Mutex::new(None),
        };
        store.log.enforce_all();
        store.settle()?;
        // Segments emptied by what was recovered (or by the limits) go as usual.
        let empty: Vec<u32> = store
            .segs
            .keys()
            .copied()
            .filter(|&id| id != store.active && !store.log.index.has_seg(id))
            .collect();
        for id in empty {
            store.drop_segment(id);
        }
        Ok((store, rec.report))
    }

    /// The store's directory.
    #[must_use]
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Syncs and closes (what a clean shutdown does).
    ///
    /// # Errors
    /// I/O errors.
    pub fn close(mut self) -> Result<()> {
        self.cfg.sync = SyncPolicy::Always;
        self.sync()
    }

    fn active_seg(&mut self) -> Result<&mut Segment> {
        self.segs
            .get_mut(&self.active)
            .ok_or_else(|| StoreError::Io(io::Error::other("the active segment is missing")))
    }

    /// Starts a new segment; the old one is sealed (and dropped if it holds no message).
    fn roll_segment(&mut self) -> Result<()> {
        self.active_seg()?.flush()?;
        let id = self.next_id;
        self.segs.insert(id, Segment::create(&self.dir, id)?);
        self.next_id += 1;
        self.dir_dirty = true;
        let old = std::mem::replace(&mut self.active, id);
        self.log.index.seal(old);
        if !self.log.index.has_seg(old) {
            self.drop_segment(old);
        }
        Ok(())
    }

    /// Forgets segment `id` (no message left in it) and schedules its file's deletion.
    fn drop_segment(&mut self, id: u32) {
        if id == self.active || self.log.index.has_seg(id) {
            return;
        }
        let Some(seg) = self.segs.remove(&id) else {
            return;
        };
        // Tombstones for messages of older segments that are still there must outlive it.
        let first = self.log.first_seq();
        let keep: Vec<u64> = seg
            .tombs
            .iter()
            .copied()
            .filter(|&t| t > first && self.log.index.slot(t).is_some())
            .collect();
        if let Some(active) = self.segs.get_mut(&self.active) {
            for t in keep {
                record::encode_marker(active.buf_mut(), Kind::Tombstone, t, 0);
                active.tombs.push(t);
            }
        }
        self.watermark_dirty = true;
        self.unlink.push(seg.path().to_path_buf());
    }

    /// Acts on what the last log operation left: tombstones to write, segments to drop, the
    /// head's timestamp; and writes the buffer out if it is full.
    fn settle(&mut self) -> Result<()> {
        let tombs = self.log.take_tombs();
        if !tombs.is_empty() {
            let active = self.active_seg()?;
            for t in tombs {
                record::encode_marker(active.buf_mut(), Kind::Tombstone, t, 0);
                active.tombs.push(t);
            }
        }
        for id in self.log.take_dropped() {
            self.drop_segment(id);
        }
        let segs = &self.segs;
        self.log
            .refresh_first_ts(|seg, loc| read_ts(segs, seg, *loc))?;
        if self.active_seg()?.buffered() >= self.cfg.write_buffer {
            self.flush()?;
        }
        Ok(())
    }
}

/// Reads the record header at `loc` and returns its timestamp.
fn read_ts(segs: &BTreeMap<u32, Segment>, seg: u32, loc: FileLoc) -> Result<i64> {
    let mut h = [0u8; HEADER_LEN];
    let s = segs.get(&seg).ok_or(StoreError::Corrupt { seq: 0 })?;
    s.read_into(u64::from(loc.off), &mut h)?;
    record::decode_header(&h)
        .map(|h| h.ts)
        .ok_or(StoreError::Corrupt { seq: 0 })
}

impl FileStore {
    /// The `len` bytes of the record at `off` in segment `seg`: from the write buffer, from
    /// the read-ahead chunk, or with one file read of [`READ_AHEAD`] bytes kept for the next.
    fn read_record(&self, seg: u32, s: &Segment, off: u64, len: usize) -> Result<Bytes> {
        if off >= s.written() {
            let mut rec = vec![0u8; len];
            s.read_into(off, &mut rec)?;
            return Ok(Bytes::from(rec));
        }
        let mut ahead = self
            .ahead
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(a) = ahead.as_ref() {
            if a.seg == seg && off >= a.off && off + len as u64 <= a.off + a.data.len() as u64 {
                let start = (off - a.off) as usize;
                return Ok(a.data.slice(start..start + len));
            }
        }
        // A record is wholly in the file or wholly in the buffer: `len` bytes are there.
        let want = (len.max(READ_AHEAD) as u64).min(s.written() - off) as usize;
        let mut chunk = vec![0u8; want];
        s.read_file(off, &mut chunk)?;
        let data = Bytes::from(chunk);
        let rec = data.slice(..len);
        *ahead = Some(ReadAhead { seg, off, data });
        Ok(rec)
    }

    /// Drops the read-ahead chunk (file bytes were rewritten).
    fn forget_read_ahead(&mut self) {
        *self
            .ahead
            .get_mut()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = None;
    }
}

impl Store for FileStore {
    fn append(
        &mut self,
        subject: &str,
        headers: Option<&[u8]>,
        payload: &[u8],
        ts: i64,
    ) -> Result<(u64, i64)> {
        let hdr = headers.unwrap_or_default();
        let len = record::record_len(subject.len(), hdr.len(), payload.len());
        if subject.len() > usize::from(u16::MAX) || len > MAX_RECORD {
            return Err(StoreError::TooLarge);
        }
        let size = self.active_seg()?.len();
        if size > 0 && size + len > self.cfg.block_size {
            self.roll_segment()?;
        }
        let seq = self.log.last_seq() + 1;
        let active = self.active_seg()?;
        let off = active.len();
        record::encode(
            active.buf_mut(),
            Kind::Msg,
            seq,
            ts,
            subject.as_bytes(),
            hdr,
            payload,
        );
        self.log.append(
            self.active,
            seq,
            ts,
            subject,
            FileLoc::new(off, len, !hdr.is_empty()),
        );
        self.log.enforce_after_append(subject);
        self.settle()?;
        Ok((seq, ts))
    }

    fn skip_msgs(&mut self, num: u64, ts: i64) -> Result<u64> {
        if num == 0 {
            return Ok(self.log.last_seq());
        }
        let last = self.log.skip(num, ts);
        let last_ts = self.log.last_ts();
        record::encode_marker(self.active_seg()?.buf_mut(), Kind::Skip, last, last_ts);
        self.settle()?;
        Ok(last)
    }

    fn flush(&mut self) -> Result<()> {
        let first = self.log.first_seq();
        if first > 0 && (first > self.watermark || self.watermark_dirty) {
            let last_ts = self.log.last_ts();
            record::encode_marker(
                self.active_seg()?.buf_mut(),
                Kind::Watermark,
                first,
                last_ts,
            );
            self.watermark = first;
            self.watermark_dirty = false;
        }
        self.active_seg()?.flush()?;
        Ok(())
    }

    fn begin_sync(&mut self) -> Result<SyncJob> {
        self.flush()?;
        if let SyncPolicy::Interval(every) = self.cfg.sync {
            if self.last_sync.elapsed() < every {
                return Ok(SyncJob::default());
            }
        }
        let mut files = Vec::new();
        for seg in self.segs.values_mut().filter(|s| s.is_dirty()) {
            files.extend(seg.take_for_sync()?);
        }
        let dir = std::mem::take(&mut self.dir_dirty).then(|| self.dir.clone());
        self.last_sync = Instant::now();
        Ok(SyncJob::new(files, dir, std::mem::take(&mut self.unlink)))
    }

    fn get(&self, seq: u64) -> Result<Option<StoredMsg>> {
        let Some((seg, slot)) = self.log.live(seq) else {
            return Ok(None);
        };
        let loc = slot.loc;
        let subject = self
            .log
            .subjects
            .get(slot.subject())
            .map(|e| e.name.clone());
        let (Some(s), Some(subject)) = (self.segs.get(&seg), subject) else {
            return Err(StoreError::Corrupt { seq });
        };
        let body = self.read_record(seg, s, u64::from(loc.off), loc.record_len())?;
        let h = record::decode_header(&body)
            .filter(|h| {
                h.kind == Kind::Msg && h.seq == seq && record::body_ok(h, &body[HEADER_LEN..])
            })
            .ok_or(StoreError::Corrupt { seq })?;
        let hdr_start = HEADER_LEN + usize::from(h.subj_len);
        let payload_start = hdr_start + h.hdr_len as usize;
        Ok(Some(StoredMsg {
            seq,
            ts: h.ts,
            subject,
            headers: (h.hdr_len > 0).then(|| body.slice(hdr_start..payload_start)),
            payload: body.slice(payload_start..),
        }))
    }

    fn remove(&mut self, seq: u64, erase: bool) -> Result<bool> {
        let seg = self.log.live(seq).map(|(seg, _)| seg);
        let (Some(seg), Some(loc)) = (seg, self.log.remove(seq)) else {
            return Ok(false);
        };
        if erase {
            self.forget_read_ahead();
            if let Some(s) = self.segs.get_mut(&seg) {
                s.rewrite(u64::from(loc.off), loc.record_len(), record::erase_in_place)?;
            }
        }
        self.settle()?;
        Ok(true)
    }

    fn purge(
        &mut self,
        filter: Option<&str>,
        upto_seq: Option<u64>,
        keep: Option<u64>,
    ) -> Result<u64> {
        let n = self.log.purge_ex(filter, upto_seq, keep);
        self.settle()?;
        Ok(n)
    }

    fn compact(&mut self, seq: u64) -> Result<u64> {
        let n = self.log.compact(seq);
        self.settle()?;
        Ok(n)
    }

    fn update_limits(&mut self, limits: StoreLimits) -> Result<()> {
        self.log.set_limits(limits);
        self.log.enforce_all();
        self.settle()
    }

    fn expire(&mut self, now: i64) -> Result<u64> {
        let mut n = 0;
        while self.log.head_expired(now) {
            if !self.log.remove_by_limit(self.log.first_seq()) {
                break;
            }
            n += 1;
            self.settle()?;
        }
        Ok(n)
    }

    log_forwards!();
}

impl Drop for FileStore {
    /// Writes buffered records out (no `fdatasync`): a store dropped without `close` loses
    /// nothing to a process exit.
    fn drop(&mut self) {
        let _ = self.flush();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_memory_per_message() {
        let dir = tempfile::tempdir().unwrap();
        let cfg = FileStoreConfig {
            block_size: 256 * 1024,
            ..FileStoreConfig::default()
        };
        let (mut s, _) = FileStore::open(dir.path(), cfg, StoreLimits::default()).unwrap();
        let n = 200_000u64;
        for i in 0..n {
            s.append(&format!("orders.{}", i % 100), None, &[0u8; 16], i as i64)
                .unwrap();
        }
        let per_msg = s.log.index.slot_bytes() as f64 / n as f64;
        // Sealed segments are exact; only the active one has spare capacity.
        assert!(per_msg <= 16.5, "{per_msg} bytes per message");
        assert_eq!(std::mem::size_of::<crate::index::Slot<FileLoc>>(), 16);
    }

    #[test]
    fn sequential_reads_come_from_the_read_ahead_and_an_erase_drops_it() {
        let dir = tempfile::tempdir().unwrap();
        let cfg = FileStoreConfig {
            block_size: 16 * 1024,
            ..FileStoreConfig::default()
        };
        let (mut s, _) = FileStore::open(dir.path(), cfg, StoreLimits::default()).unwrap();
        for i in 0..2000u64 {
            s.append("a.b", None, format!("m{i}").as_bytes(), 0)
                .unwrap();
        }
        s.flush().unwrap();
        // Across several segments: every record right, each segment read in a few chunks.
        for seq in 1..=2000u64 {
            let m = s.get(seq).unwrap().unwrap();
            assert_eq!(m.payload, format!("m{}", seq - 1).as_bytes());
        }
        let cached = s.ahead.lock().unwrap().as_ref().map(|a| (a.seg, a.off));
        assert!(cached.is_some());
        // Erasing a record that sits in the cached chunk: it is gone, its neighbours are
        // read again from the file.
        assert!(s.remove(1999, true).unwrap());
        assert!(s.ahead.lock().unwrap().is_none());
        assert!(s.get(1999).unwrap().is_none());
        assert_eq!(s.get(2000).unwrap().unwrap().payload, &b"m1999"[..]);
        assert_eq!(s.get(1998).unwrap().unwrap().payload, &b"m1997"[..]);
    }
}
