//! The second half of ingest: making a batch durable and releasing its PubAcks, pipelined
//! with the storing of the next batch.
//!
//! Ingest ([`crate::ingest`]) checks and stores a batch under the stream's lock, begins the
//! sync there ([`Store::begin_sync`](fastnats_store::Store::begin_sync): the writes) and
//! hands the rest to the stream's [`Committer`] as a [`Commit`]: the flushes, the PubAcks and
//! the republished copies. A committer task (on the blocking pool, started when work arrives
//! and ending when none is left) runs the flushes without the stream's lock and then sends
//! the replies, so batch N+1 is checked and written while batch N's `fdatasync` is in
//! flight: the CPU work and the disk's flush latency overlap instead of adding up. Commits
//! that queue while one runs are merged (each file flushed once for all of them) and
//! answered in order.
//!
//! Bounds: at most one commit waits while one runs; the next batch's handler waits for room
//! (and its publishers, through the ingest subscription's stall threshold, wait for it).
//!
//! Visibility: a message is readable from the store as soon as it is written, but consumers
//! deliver only up to [`Stream::durable`] (set here once the flushes have run), so nothing
//! is delivered that a crash could still take back — a later message would otherwise reuse
//! its sequence after the restart. A flush that fails still moves the mark: its publishers
//! get `stream_store_failed`, but the messages stay in the store and are served.
//!
//! A commit with nothing to flush (a memory stream, `sync_interval` between its syncs, a
//! batch of refusals) is answered at once on the handler's thread when no commit is pending
//! (no hand-off), else queued behind the pending ones to keep the replies in order.

use std::ops::Range;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Weak};

use fastnats_server::internal::Publisher;
use fastnats_store::SyncJob;
use parking_lot::{Condvar, Mutex};

use crate::api::ApiError;
use crate::republish::Republished;
use crate::stream::Stream;
use crate::Ctx;

/// What one ingest batch leaves to do after the stream's lock is released.
#[derive(Default)]
pub struct Commit {
    /// The flushes (or why beginning the sync failed).
    pub job: Option<Result<SyncJob, String>>,
    /// The stream's last sequence when the sync began: durable once the job has run.
    pub last_seq: u64,
    /// The reply subjects, one after another.
    pub replies: Vec<u8>,
    /// The PubAck bodies, one after another.
    pub bodies: Vec<u8>,
    /// Per ack: its reply subject and its body in the two buffers.
    pub acks: Vec<(Range<usize>, Range<usize>)>,
    /// Copies to republish once durable, before the acks.
    pub republished: Vec<Republished>,
}

impl Commit {
    /// Records an ack: `reply` gets the body just written to [`Commit::bodies`] from `start`.
    pub fn ack(&mut self, reply: &[u8], start: usize) {
        let r = self.replies.len();
        self.replies.extend_from_slice(reply);
        self.acks
            .push((r..self.replies.len(), start..self.bodies.len()));
    }

    fn needs_flush(&self) -> bool {
        matches!(&self.job, Some(Ok(job)) if !job.is_empty())
    }
}

struct Queue {
    /// Commits begun, not yet taken by the committer task.
    waiting: Vec<Commit>,
    /// A committer task is running.
    running: bool,
    /// Emptied commits whose buffers the next batches reuse.
    spare: Vec<Commit>,
}

/// The commit stage of one stream (see the module doc).
pub struct Committer {
    stream: Weak<Stream>,
    ctx: Arc<Ctx>,
    queue: Mutex<Queue>,
    /// Signalled when the committer takes the waiting commits.
    room: Condvar,
    /// Sends the replies, flushing each requester once per round.
    out: Mutex<Publisher>,
}

/// Commits waiting while one runs, past which the handler waits.
const MAX_WAITING: usize = 1;

impl Committer {
    /// The commit stage of `stream`.
    #[must_use]
    pub fn new(stream: Weak<Stream>, ctx: Arc<Ctx>) -> Arc<Committer> {
        let out = Mutex::new(ctx.engine.publisher());
        Arc::new(Committer {
            stream,
            ctx,
            queue: Mutex::new(Queue {
                waiting: Vec::new(),
                running: false,
                spare: Vec::new(),
            }),
            room: Condvar::new(),
            out,
        })
    }

    /// An empty commit, with buffers reused from an earlier one.
    pub fn fresh(&self) -> Commit {
        self.queue.lock().spare.pop().unwrap_or_default()
    }

    /// Hands over a batch's commit; waits while another already waits (see the module doc).
    pub fn submit(self: &Arc<Self>, commit: Commit) {
        let mut q = self.queue.lock();
        while q.running && q.waiting.len() >= MAX_WAITING {
            self.room.wait(&mut q);
        }
        if !q.running && q.waiting.is_empty() && !commit.needs_flush() {
            drop(q);
            self.finish(vec![commit]);
            return;
        }
        q.waiting.push(commit);
        if !q.running {
            q.running = true;
            let me = self.clone();
            drop(q);
            self.ctx.engine.runtime().spawn_blocking(move || me.run());
        }
    }

    /// The committer task: takes what waits, flushes it, answers it, until nothing waits.
    fn run(&self) {
        loop {
            let commits = {
                let mut q = self.queue.lock();
                if q.waiting.is_empty() {
                    q.running = false;
                    return;
                }
                std::mem::take(&mut q.waiting)
            };
            self.room.notify_all();
            self.finish(commits);
        }
    }

    /// Runs the flushes of `commits` (merged), marks them durable and sends their replies.
    fn finish(&self, mut commits: Vec<Commit>) {
        let mut job = SyncJob::default();
        let mut failed: Vec<Option<String>> = Vec::with_capacity(commits.len());
        for c in &mut commits {
            match c.job.take() {
                Some(Err(e)) => failed.push(Some(e)),
                Some(Ok(j)) => {
                    job.merge(j);
                    failed.push(None);
                }
                None => failed.push(None),
            }
        }
        if let Err(e) = job.run() {
            let e = e.to_string();
            for f in &mut failed {
                f.get_or_insert_with(|| e.clone());
            }
        }
        let Some(stream) = self.stream.upgrade() else {
            return;
        };
        if let Some(last) = commits.last() {
            stream.durable.fetch_max(last.last_seq, Ordering::AcqRel);
        }
        let name = &stream.name;
        let mut out = self.out.lock();
        for (c, failed) in commits.iter().zip(&failed) {
            if let Some(e) = failed {
                fastnats_server::log_at!(
                    fastnats_server::log::Level::Error,
                    "JetStream failed to sync stream '{} > {name}': {e}",
                    self.ctx.account_name()
                );
            } else {
                for r in &c.republished {
                    // A destination the transform makes invalid is not republished.
                    let _ = out.publish(r.subject.as_bytes(), None, Some(&r.headers), &r.payload);
                }
            }
            let refused = failed
                .as_ref()
                .map(|e| crate::ingest::refusal(name, ApiError::stream_store_failed(e)));
            for (reply, body) in &c.acks {
                let body = refused.as_deref().unwrap_or(&c.bodies[body.clone()]);
                // An invalid reply subject gets no ack (the requester cannot be answered).
                let _ = out.publish(&c.replies[reply.clone()], None, None, body);
            }
        }
        out.flush();
        drop(out);
        stream.consumers.notify();
        let mut q = self.queue.lock();
        for mut c in commits {
            c.replies.clear();
            c.bodies.clear();
            c.acks.clear();
            c.republished.clear();
            c.last_seq = 0;
            if q.spare.len() < 2 {
                q.spare.push(c);
            }
        }
    }
}
