//! [`SyncJob`]: the `fdatasync`s that make a store's writes durable, taken out of the store
//! so they can run without the store's lock.
//!
//! Group commit alone makes one `fdatasync` serve a whole batch, but a store that syncs
//! under its owner's lock stops the next batch from being checked and written while the
//! disk flushes: the CPU work and the flush add up. [`Store::begin_sync`](crate::Store::begin_sync)
//! writes the buffers out (cheap, under the lock) and hands back what is left to do; the
//! caller runs it after releasing the lock, and batch N+1 is stored while batch N's flush is
//! in flight. Jobs must run in the order they were begun (a later job may delete a segment
//! file only after the records that made it redundant are durable); [`SyncJob::merge`] folds
//! jobs that queued up into one, each file flushed once.

use std::fs::{self, File};
use std::io;
use std::path::PathBuf;
use std::sync::Arc;

use crate::atomic::sync_dir;

/// What is left to make a store's writes so far durable.
#[derive(Debug, Default)]
#[must_use = "a sync job does nothing until it runs"]
pub struct SyncJob {
    /// Segment files written since the last job (`fdatasync` each).
    files: Vec<Arc<File>>,
    /// A directory whose entries changed (`fsync` it after the files).
    dir: Option<PathBuf>,
    /// Files to delete once the rest is durable.
    unlink: Vec<PathBuf>,
}

impl SyncJob {
    /// A job for `files`, then `dir`, then the deletions `unlink`.
    pub(crate) fn new(files: Vec<Arc<File>>, dir: Option<PathBuf>, unlink: Vec<PathBuf>) -> Self {
        SyncJob { files, dir, unlink }
    }

    /// Whether running it would do nothing (a memory store, or nothing written).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.files.is_empty() && self.dir.is_none() && self.unlink.is_empty()
    }

    /// Adds `later`, a job begun after this one: one job that does both, in order.
    pub fn merge(&mut self, later: SyncJob) {
        for f in later.files {
            if !self.files.iter().any(|have| Arc::ptr_eq(have, &f)) {
                self.files.push(f);
            }
        }
        if later.dir.is_some() {
            self.dir = later.dir;
        }
        self.unlink.extend(later.unlink);
    }

    /// Flushes the files, then the directory, then deletes the files to delete.
    ///
    /// # Errors
    /// The first I/O error (what follows it is not done: a deletion must not outrun a
    /// failed flush).
    pub fn run(self) -> io::Result<()> {
        for f in &self.files {
            f.sync_data()?;
        }
        if let Some(dir) = &self.dir {
            sync_dir(dir)?;
        }
        for path in &self.unlink {
            match fs::remove_file(path) {
                Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
                _ => {}
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merged_jobs_flush_each_file_once_and_delete_after() {
        let dir = tempfile::tempdir().unwrap();
        let a = Arc::new(File::create(dir.path().join("a")).unwrap());
        let gone = dir.path().join("gone");
        fs::write(&gone, b"x").unwrap();
        let mut job = SyncJob::new(vec![a.clone()], None, Vec::new());
        job.merge(SyncJob::new(
            vec![a.clone()],
            Some(dir.path().to_path_buf()),
            vec![gone.clone()],
        ));
        assert_eq!(job.files.len(), 1);
        assert!(!job.is_empty());
        job.run().unwrap();
        assert!(!gone.exists());
        assert!(SyncJob::default().is_empty());
    }
}
