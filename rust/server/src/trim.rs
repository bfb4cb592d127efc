//! Memory freed by closed connections goes back to the OS after a connection storm.
//!
//! glibc keeps what the connections free in its per-thread arenas, so the server's resident
//! set stays at the high-water mark of concurrent connections: 2,000 connections at once, all
//! closed, left the server 13 MiB bigger, and `malloc_trim(0)` gave back all but 1.2 MiB of it
//! (measured with the closed-connection ring empty; see `benches/README.md`, "Memory under
//! churn"). So once the open connections have fallen to half of their peak since the last
//! trim, and that peak was at least [`MIN_PEAK`], a trim is scheduled [`DELAY`] later (the rest
//! of the storm closes meanwhile) and runs on a blocking thread. At most one is pending at a
//! time. Outside glibc the trim does nothing.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::Relaxed};
use std::sync::Arc;
use std::time::Duration;

/// Peaks below this many connections are not worth a trim.
const MIN_PEAK: usize = 256;
/// How long after the trigger the trim runs.
const DELAY: Duration = Duration::from_secs(1);

/// The open connections, their peak since the last trim, and whether a trim is pending.
#[derive(Default)]
pub(crate) struct Trim {
    open: AtomicUsize,
    peak: AtomicUsize,
    pending: AtomicBool,
}

impl Trim {
    /// A connection was registered; `open` are open now.
    pub(crate) fn opened(&self, open: usize) {
        self.open.store(open, Relaxed);
        self.peak.fetch_max(open, Relaxed);
    }

    /// A connection was unregistered; `open` are open now. When the trim runs, the next
    /// peak starts from the connections open then.
    pub(crate) fn closed(self: &Arc<Self>, open: usize) {
        self.open.store(open, Relaxed);
        let peak = self.peak.load(Relaxed);
        if peak < MIN_PEAK || open > peak / 2 || self.pending.swap(true, Relaxed) {
            return;
        }
        let Ok(rt) = tokio::runtime::Handle::try_current() else {
            self.pending.store(false, Relaxed);
            return;
        };
        let me = self.clone();
        rt.spawn(async move {
            tokio::time::sleep(DELAY).await;
            me.peak.store(me.open.load(Relaxed), Relaxed);
            let _ = tokio::task::spawn_blocking(release).await;
            me.pending.store(false, Relaxed);
        });
    }
}

/// Returns the free memory of every malloc arena to the OS.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
fn release() {
    // SAFETY: `malloc_trim` takes no pointer; it walks glibc's own arenas under their locks.
    unsafe {
        libc::malloc_trim(0);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn release() {}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn trims_once_after_the_open_connections_halved() {
        let trim = Arc::new(Trim::default());
        trim.opened(MIN_PEAK - 1);
        trim.closed(0);
        assert!(!trim.pending.load(Relaxed), "a small peak is not worth it");
        trim.opened(1000);
        trim.closed(600);
        assert!(!trim.pending.load(Relaxed), "not halved yet");
        trim.closed(500);
        assert!(trim.pending.load(Relaxed), "scheduled");
        trim.closed(400);
        trim.closed(7); // the rest of the storm closes before the trim runs
        tokio::time::sleep(DELAY * 2).await;
        for _ in 0..100 {
            if !trim.pending.load(Relaxed) {
                break;
            }
            tokio::task::yield_now().await;
        }
        assert!(!trim.pending.load(Relaxed), "ran");
        assert_eq!(
            trim.peak.load(Relaxed),
            7,
            "the next peak starts from the open count"
        );
    }
}
