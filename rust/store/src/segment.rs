//! A segment file: one piece of a stream's log, `<id>.seg` with a 10-digit id, records
//! appended until it reaches the block size, then sealed (never appended to again).
//!
//! Appends go to an in-memory write buffer; [`Segment::flush`] writes it out with one
//! positional write and [`Segment::take_for_sync`] hands the file out for its `fdatasync`. Reads are positional
//! (`read_exact_at`), served from the buffer for bytes not yet written, so readers need only
//! `&self`. A record is always entirely in the file or entirely in the buffer, because the
//! buffer is written out whole.

use std::fs::{File, OpenOptions};
use std::io;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Suffix of segment files.
const SUFFIX: &str = ".seg";

/// File name of segment `id`.
pub(crate) fn file_name(id: u32) -> String {
    format!("{id:010}{SUFFIX}")
}

/// The id of a segment file name.
pub(crate) fn parse_name(name: &str) -> Option<u32> {
    let digits = name.strip_suffix(SUFFIX)?;
    (digits.len() == 10 && digits.bytes().all(|b| b.is_ascii_digit()))
        .then(|| digits.parse().ok())?
}

/// One segment file.
#[derive(Debug)]
pub(crate) struct Segment {
    pub id: u32,
    /// Shared with the [`crate::SyncJob`]s that flush it outside the store's lock.
    file: Arc<File>,
    path: PathBuf,
    /// Bytes in the file.
    written: u64,
    /// Bytes appended after `written`, not yet in the file.
    buf: Vec<u8>,
    /// Written (or overwritten) since the last `fdatasync`.
    dirty: bool,
    /// Sequences of the tombstones this segment holds (rewritten elsewhere when it goes).
    pub tombs: Vec<u64>,
}

impl Segment {
    /// Creates segment `id` in `dir` (it must not exist).
    pub(crate) fn create(dir: &Path, id: u32) -> io::Result<Segment> {
        let path = dir.join(file_name(id));
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .open(&path)?;
        Ok(Segment {
            id,
            file: Arc::new(file),
            path,
            written: 0,
            buf: Vec::new(),
            dirty: true,
            tombs: Vec::new(),
        })
    }

    /// Opens existing segment `id` whose valid length is `len` (recovery checked it).
    pub(crate) fn open(dir: &Path, id: u32, len: u64) -> io::Result<Segment> {
        let path = dir.join(file_name(id));
        let file = OpenOptions::new().read(true).write(true).open(&path)?;
        Ok(Segment {
            id,
            file: Arc::new(file),
            path,
            written: len,
            buf: Vec::new(),
            dirty: false,
            tombs: Vec::new(),
        })
    }

    /// The file's path.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// Length including buffered bytes: the offset of the next record.
    pub(crate) fn len(&self) -> u64 {
        self.written + self.buf.len() as u64
    }

    /// Bytes waiting in the buffer.
    pub(crate) fn buffered(&self) -> usize {
        self.buf.len()
    }

    /// The write buffer, to encode records into.
    pub(crate) fn buf_mut(&mut self) -> &mut Vec<u8> {
        &mut self.buf
    }

    /// Writes the buffer out.
    pub(crate) fn flush(&mut self) -> io::Result<()> {
        if !self.buf.is_empty() {
            self.file.write_all_at(&self.buf, self.written)?;
            self.written += self.buf.len() as u64;
            self.buf.clear();
            self.dirty = true;
        }
        Ok(())
    }

    /// Writes the buffer out; the file to `fdatasync` when it was written since the last
    /// time (the caller flushes it, possibly after releasing the store).
    pub(crate) fn take_for_sync(&mut self) -> io::Result<Option<Arc<File>>> {
        self.flush()?;
        Ok(std::mem::take(&mut self.dirty).then(|| self.file.clone()))
    }

    /// Whether bytes were written since the last sync.
    pub(crate) fn is_dirty(&self) -> bool {
        self.dirty || !self.buf.is_empty()
    }

    /// Bytes in the file: records below this offset are read from it, the others from the
    /// buffer.
    pub(crate) fn written(&self) -> u64 {
        self.written
    }

    /// Reads `out.len()` bytes at `off` from the file only (all below [`Segment::written`]).
    pub(crate) fn read_file(&self, off: u64, out: &mut [u8]) -> io::Result<()> {
        self.file.read_exact_at(out, off)
    }

    /// Reads `out.len()` bytes at `off`.
    pub(crate) fn read_into(&self, off: u64, out: &mut [u8]) -> io::Result<()> {
        if off >= self.written {
            let start = (off - self.written) as usize;
            let src = self
                .buf
                .get(start..start + out.len())
                .ok_or_else(short_read)?;
            out.copy_from_slice(src);
            Ok(())
        } else {
            self.file.read_exact_at(out, off)
        }
    }

    /// Rewrites the record of length `len` at `off` through `f` (in the buffer or the file).
    pub(crate) fn rewrite(
        &mut self,
        off: u64,
        len: usize,
        f: impl FnOnce(&mut [u8]),
    ) -> io::Result<()> {
        if off >= self.written {
            let start = (off - self.written) as usize;
            let rec = self
                .buf
                .get_mut(start..start + len)
                .ok_or_else(short_read)?;
            f(rec);
        } else {
            let mut rec = vec![0u8; len];
            self.file.read_exact_at(&mut rec, off)?;
            f(&mut rec);
            self.file.write_all_at(&rec, off)?;
            self.dirty = true;
        }
        Ok(())
    }
}

fn short_read() -> io::Error {
    io::Error::new(
        io::ErrorKind::UnexpectedEof,
        "read past the end of a segment",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(file_name(7), "0000000007.seg");
        assert_eq!(parse_name("0000000007.seg"), Some(7));
        assert_eq!(parse_name("7.seg"), None);
        assert_eq!(parse_name("0000000007.seg.tmp"), None);
    }

    #[test]
    fn buffered_and_written_reads() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Segment::create(dir.path(), 1).unwrap();
        s.buf_mut().extend_from_slice(b"hello");
        let mut out = [0u8; 5];
        s.read_into(0, &mut out).unwrap();
        assert_eq!(&out, b"hello");
        let file = s.take_for_sync().unwrap().expect("written: to flush");
        file.sync_data().unwrap();
        assert!(s.take_for_sync().unwrap().is_none(), "flushed once");
        s.buf_mut().extend_from_slice(b"world");
        s.read_into(0, &mut out).unwrap();
        assert_eq!(&out, b"hello");
        s.read_into(5, &mut out).unwrap();
        assert_eq!(&out, b"world");
        s.rewrite(0, 5, |b| b[0] = b'j').unwrap();
        s.read_into(0, &mut out).unwrap();
        assert_eq!(&out, b"jello");
        assert_eq!(s.len(), 10);
    }
}
