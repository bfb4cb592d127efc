//! [`MemStore`]: a stream kept in memory (`storage: memory`).
//!
//! Each message is one boxed record (timestamp, accounted size, header and payload as
//! [`Bytes`]) held in the shared index's slot; everything else is the shared [`Log`]. Byte
//! accounting is nats-server's `memStoreMsgSize`: subject + headers + payload + 16.
//! The index is cut into chunks of [`CHUNK`] sequences so that memory is returned as the head
//! is removed.

use bytes::Bytes;

use crate::error::Result;
use crate::limits::StoreLimits;
use crate::log::{Loc, Log};
use crate::msg::StoredMsg;
use crate::store::{log_forwards, Store};
use crate::sync_job::SyncJob;

/// Sequences per index chunk.
const CHUNK: usize = 64 * 1024;

/// One stored message.
#[derive(Debug)]
pub(crate) struct MemRecord {
    ts: i64,
    size: u64,
    headers: Option<Bytes>,
    payload: Bytes,
}

/// The memory store's location: the message itself (`None` once removed).
#[derive(Debug, Default)]
pub(crate) struct MemLoc(Option<Box<MemRecord>>);

impl Loc for MemLoc {
    fn bytes(&self) -> u64 {
        self.0.as_ref().map_or(0, |r| r.size)
    }

    fn size_of(subject_len: usize, hdr_len: usize, payload_len: usize) -> u64 {
        (subject_len + hdr_len + payload_len + 16) as u64
    }
}

/// A stream's messages in memory.
#[derive(Debug)]
pub struct MemStore {
    log: Log<MemLoc>,
    /// The current chunk's id.
    seg: u32,
}

impl MemStore {
    /// The bytes a message counts for in a memory store (nats-server's `memStoreMsgSize`),
    /// as limits and usage see them: for checks made before storing.
    #[must_use]
    pub fn msg_size(subject_len: usize, hdr_len: usize, payload_len: usize) -> u64 {
        MemLoc::size_of(subject_len, hdr_len, payload_len)
    }

    /// An empty store with these limits.
    #[must_use]
    pub fn new(limits: StoreLimits) -> Self {
        MemStore {
            log: Log::new(limits, false),
            seg: 0,
        }
    }

    /// Settles what the last operation left: the head's timestamp. Removed chunks need nothing
    /// more here.
    fn settle(&mut self) {
        // Reading a timestamp from memory cannot fail.
        let _ = self
            .log
            .refresh_first_ts(|_, loc| Ok(loc.0.as_ref().map_or(0, |r| r.ts)));
        self.log.take_dropped();
    }
}

impl Store for MemStore {
    fn append(
        &mut self,
        subject: &str,
        headers: Option<&[u8]>,
        payload: &[u8],
        ts: i64,
    ) -> Result<(u64, i64)> {
        let seq = self.log.last_seq() + 1;
        if self.log.index.last_chunk_len() >= CHUNK {
            self.log.index.seal(self.seg);
            self.seg = self.seg.wrapping_add(1);
        }
        let headers = headers.filter(|h| !h.is_empty());
        let hlen = headers.map_or(0, <[u8]>::len);
        let rec = MemRecord {
            ts,
            size: MemLoc::size_of(subject.len(), hlen, payload.len()),
            headers: headers.map(Bytes::copy_from_slice),
            payload: Bytes::copy_from_slice(payload),
        };
        self.log
            .append(self.seg, seq, ts, subject, MemLoc(Some(Box::new(rec))));
        self.log.enforce_after_append(subject);
        self.settle();
        Ok((seq, ts))
    }

    fn skip_msgs(&mut self, num: u64, ts: i64) -> Result<u64> {
        Ok(self.log.skip(num, ts))
    }

    fn flush(&mut self) -> Result<()> {
        Ok(())
    }

    fn begin_sync(&mut self) -> Result<SyncJob> {
        Ok(SyncJob::default())
    }

    fn get(&self, seq: u64) -> Result<Option<StoredMsg>> {
        let Some((_, slot)) = self.log.live(seq) else {
            return Ok(None);
        };
        let (Some(rec), Some(subject)) =
            (slot.loc.0.as_ref(), self.log.subjects.get(slot.subject()))
        else {
            return Ok(None);
        };
        Ok(Some(StoredMsg {
            seq,
            ts: rec.ts,
            subject: subject.name.clone(),
            headers: rec.headers.clone(),
            payload: rec.payload.clone(),
        }))
    }

    fn remove(&mut self, seq: u64, _erase: bool) -> Result<bool> {
        // Erasing in memory is dropping: the bytes may still be shared with a delivery in
        // flight, which is the only other holder.
        let removed = self.log.remove(seq).is_some();
        self.settle();
        Ok(removed)
    }

    fn purge(
        &mut self,
        filter: Option<&str>,
        upto_seq: Option<u64>,
        keep: Option<u64>,
    ) -> Result<u64> {
        let n = self.log.purge_ex(filter, upto_seq, keep);
        self.settle();
        Ok(n)
    }

    fn compact(&mut self, seq: u64) -> Result<u64> {
        let n = self.log.compact(seq);
        self.settle();
        Ok(n)
    }

    fn update_limits(&mut self, limits: StoreLimits) -> Result<()> {
        self.log.set_limits(limits);
        self.log.enforce_all();
        self.settle();
        Ok(())
    }

    fn expire(&mut self, now: i64) -> Result<u64> {
        let mut n = 0;
        while self.log.head_expired(now) {
            if !self.log.remove_by_limit(self.log.first_seq()) {
                break;
            }
            n += 1;
            self.settle();
        }
        Ok(n)
    }

    log_forwards!();
}
