//! A durable consumer on a file stream keeps two files in `<stream dir>/obs/<consumer>/`
//! (nats-server's layout; the contents are fastnats' own):
//!
//! - `meta.inf`: `{"created":..., "name":..., "config":{...}}`, rewritten with
//!   `atomic_write` on create and update;
//! - `o.dat`: the ack state — next stream and consumer sequences, the ack floors, the
//!   pending deliveries (stream seq, consumer seq, delivery time) and the redelivery counts,
//!   little-endian, after the magic `FNC1` and followed by a CRC-32C of everything before
//!   it. Written with `atomic_write` (fsync, rename) by the consumer's timer at most every
//!   [`FLUSH_EVERY`] after a change, and on a clean shutdown or stop.
//!
//! So after a clean shutdown no acked message is redelivered; after `kill -9` or a power cut
//! the acks of the last [`FLUSH_EVERY`] may be lost, and those messages are redelivered
//! (at-least-once, as promised). A missing or damaged `o.dat` (bad checksum) restarts the
//! consumer from its config's start, with a warning. The `last_per_subject` skip list is
//! not kept: a consumer restarted in the middle of it goes on with new messages.
//!
//! Memory-storage consumers (`mem_storage`, or on a memory stream) and ephemerals without
//! a name are not persisted.

use std::path::Path;
use std::time::Duration;

use fastnats_store::atomic_write;
use serde::{Deserialize, Serialize};

use crate::api::{ConsumerConfig, Timestamp};

use super::state::ConsumerState;

/// The consumers' directory in a stream's directory (nats-server's name).
pub const OBS_DIR: &str = "obs";
/// The config file.
pub const META_FILE: &str = "meta.inf";
/// The ack state file.
pub const STATE_FILE: &str = "o.dat";
/// Longest a changed ack state waits before it is written.
pub const FLUSH_EVERY: Duration = Duration::from_millis(100);

const MAGIC: &[u8; 4] = b"FNC1";

/// What `meta.inf` holds.
#[derive(Debug, Serialize, Deserialize)]
pub struct MetaFile {
    /// When the consumer was created.
    pub created: Timestamp,
    /// Its name.
    pub name: String,
    /// Its config.
    pub config: ConsumerConfig,
}

/// Writes `meta.inf` in `dir` (made if needed).
///
/// # Errors
/// The file system's.
pub fn write_meta(dir: &Path, meta: &MetaFile) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let bytes = serde_json::to_vec(meta).map_err(std::io::Error::other)?;
    atomic_write(&dir.join(META_FILE), &bytes)
}

/// Reads `meta.inf` in `dir`.
///
/// # Errors
/// The file system's, or bad JSON.
pub fn read_meta(dir: &Path) -> std::io::Result<MetaFile> {
    let bytes = std::fs::read(dir.join(META_FILE))?;
    serde_json::from_slice(&bytes).map_err(std::io::Error::other)
}

/// The ack state as saved.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SavedState {
    /// Next stream sequence.
    pub sseq: u64,
    /// Next consumer sequence.
    pub dseq: u64,
    /// Ack floor, consumer sequence.
    pub adflr: u64,
    /// Ack floor, stream sequence.
    pub asflr: u64,
    /// Pending: stream seq, consumer seq, last delivery time (Unix nanoseconds).
    pub pending: Vec<(u64, u64, i64)>,
    /// Redelivery counts: stream seq, count.
    pub rdc: Vec<(u64, u64)>,
}

impl SavedState {
    /// What to save of `st`.
    #[must_use]
    pub fn of(st: &ConsumerState) -> SavedState {
        let mut rdc: Vec<(u64, u64)> = st.rdc.iter().map(|(k, v)| (*k, *v)).collect();
        rdc.sort_unstable();
        SavedState {
            sseq: st.sseq,
            dseq: st.dseq,
            adflr: st.adflr,
            asflr: st.asflr,
            pending: st.pending.iter().map(|(s, p)| (*s, p.dseq, p.ts)).collect(),
            rdc,
        }
    }

    /// The bytes of `o.dat`.
    #[must_use]
    pub fn encode(&self) -> Vec<u8> {
        let mut b = Vec::with_capacity(48 + self.pending.len() * 24 + self.rdc.len() * 16);
        b.extend_from_slice(MAGIC);
        for v in [self.sseq, self.dseq, self.adflr, self.asflr] {
            b.extend_from_slice(&v.to_le_bytes());
        }
        let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX).to_le_bytes();
        b.extend_from_slice(&count(self.pending.len()));
        for (s, d, ts) in &self.pending {
            b.extend_from_slice(&s.to_le_bytes());
            b.extend_from_slice(&d.to_le_bytes());
            b.extend_from_slice(&ts.to_le_bytes());
        }
        b.extend_from_slice(&count(self.rdc.len()));
        for (s, n) in &self.rdc {
            b.extend_from_slice(&s.to_le_bytes());
            b.extend_from_slice(&n.to_le_bytes());
        }
        let crc = crc32c::crc32c(&b);
        b.extend_from_slice(&crc.to_le_bytes());
        b
    }

    /// Reads `o.dat`'s bytes; `None` if damaged.
    #[must_use]
    pub fn decode(b: &[u8]) -> Option<SavedState> {
        let (body, crc) = b.split_at_checked(b.len().checked_sub(4)?)?;
        if crc32c::crc32c(body).to_le_bytes() != crc || !body.starts_with(MAGIC) {
            return None;
        }
        let mut r = Reader(&body[4..]);
        let mut st = SavedState {
            sseq: r.u64()?,
            dseq: r.u64()?,
            adflr: r.u64()?,
            asflr: r.u64()?,
            ..SavedState::default()
        };
        for _ in 0..r.u32()? {
            let (s, d) = (r.u64()?, r.u64()?);
            let ts = i64::from_le_bytes(r.take::<8>()?);
            st.pending.push((s, d, ts));
        }
        for _ in 0..r.u32()? {
            st.rdc.push((r.u64()?, r.u64()?));
        }
        r.0.is_empty().then_some(st)
    }
}

struct Reader<'a>(&'a [u8]);

impl Reader<'_> {
    fn take<const N: usize>(&mut self) -> Option<[u8; N]> {
        let (head, rest) = self.0.split_at_checked(N)?;
        self.0 = rest;
        head.try_into().ok()
    }

    fn u64(&mut self) -> Option<u64> {
        self.take::<8>().map(u64::from_le_bytes)
    }

    fn u32(&mut self) -> Option<u32> {
        self.take::<4>().map(u32::from_le_bytes)
    }
}

/// Writes `o.dat` in `dir`.
///
/// # Errors
/// The file system's.
pub fn write_state(dir: &Path, state: &SavedState) -> std::io::Result<()> {
    atomic_write(&dir.join(STATE_FILE), &state.encode())
}

/// Reads `o.dat` in `dir`: `Ok(None)` when there is none.
///
/// # Errors
/// The file system's, or a damaged file.
pub fn read_state(dir: &Path) -> std::io::Result<Option<SavedState>> {
    match std::fs::read(dir.join(STATE_FILE)) {
        Ok(b) => SavedState::decode(&b).map(Some).ok_or_else(|| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                "consumer state checksum mismatch",
            )
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_state_round_trips_and_damage_is_caught() {
        let s = SavedState {
            sseq: 10,
            dseq: 12,
            adflr: 3,
            asflr: 4,
            pending: vec![(5, 4, 99), (7, 6, -1)],
            rdc: vec![(5, 2)],
        };
        let mut b = s.encode();
        assert_eq!(SavedState::decode(&b), Some(s));
        b[9] ^= 1;
        assert_eq!(SavedState::decode(&b), None);
        assert_eq!(SavedState::decode(b"FNC"), None);
    }
}
