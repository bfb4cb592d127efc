//! Memory per subscription at 1M distinct 3-token subjects (`T = u64`), measured two ways:
//!
//! - **requested**: bytes the sublist asked the allocator for (a counting global allocator);
//!   what the data structure costs, independent of the allocator.
//! - **RSS**: growth of the resident set (`/proc/self/statm`), which adds the allocator's own
//!   overhead (size classes, chunk headers); what the operator sees.
//!
//! Three shapes: `balanced` (`aN.bN.cN`, 100 × 100 × 100: many small maps), `flat`
//! (`foo.bar.N`: one map with a million entries, the worst case for hash-map slack) and
//! `deep` (`foo.N.x`: a million levels of one child each, like `orders.<id>.created`).
//! Run with `cargo bench -p fastnats-sublist --bench sublist_memory`.

// The one `unsafe` in this crate: a global allocator has to implement the unsafe
// `GlobalAlloc` trait. It only forwards to `System` and counts; the library has none.
#![allow(unsafe_code)]
#![allow(clippy::unwrap_used)] // benchmark setup: a panic is the failure report

use std::alloc::{GlobalAlloc, Layout, System};
use std::fmt::Write as _;
use std::hint::black_box;
use std::sync::atomic::{AtomicUsize, Ordering};

use fastnats_sublist::Sublist;

struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every method forwards to `System` with the caller's arguments unchanged, so the
// `GlobalAlloc` contract is upheld by `System`; the counter is only bookkeeping.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size(), Ordering::Relaxed);
        // SAFETY: same contract as our caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: `ptr` was allocated by `System` with `layout` (all allocations go through us).
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE.fetch_add(new_size, Ordering::Relaxed);
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: same contract as our caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn rss_bytes() -> usize {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: usize = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    pages * 4096
}

const N: usize = 1_000_000;

fn measure(shape: &str, subject: impl Fn(usize, &mut String)) {
    let live0 = LIVE.load(Ordering::Relaxed);
    let rss0 = rss_bytes();
    let mut sl: Sublist<u64> = Sublist::new();
    let mut buf = String::with_capacity(64);
    for i in 0..N {
        buf.clear();
        subject(i, &mut buf);
        sl.insert(buf.as_bytes(), None, i as u64).unwrap();
    }
    drop(buf);
    let requested = LIVE.load(Ordering::Relaxed) - live0;
    let rss = rss_bytes().saturating_sub(rss0);
    println!(
        "{shape:>8}: {} subs, {} nodes: requested {:.1} B/sub, RSS {:.1} B/sub",
        sl.count(),
        sl.node_count(),
        requested as f64 / N as f64,
        rss as f64 / N as f64,
    );
    black_box(&sl);
}

/// Each shape runs in a fresh child process, so memory freed by one shape cannot hide the
/// RSS growth of the next.
fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Some(shape) = args.iter().find_map(|a| a.strip_prefix("--shape=")) {
        match shape {
            "balanced" => measure(shape, |i, b| {
                write!(b, "a{}.b{}.c{}", i / 10_000, i / 100 % 100, i % 100).unwrap()
            }),
            "deep" => measure(shape, |i, b| write!(b, "foo.{i}.x").unwrap()),
            _ => measure(shape, |i, b| write!(b, "foo.bar.{i}").unwrap()),
        }
        return;
    }
    // `cargo bench` passes `--bench` and any filter; a filter that is not ours means "skip".
    if args
        .iter()
        .any(|a| !a.starts_with('-') && !"sublist_memory".contains(a.as_str()))
    {
        return;
    }
    println!(
        "sublist memory, T = u64 ({} bytes), {N} distinct 3-token subjects",
        size_of::<u64>()
    );
    let exe = std::env::current_exe().unwrap();
    for shape in ["balanced", "flat", "deep"] {
        let status = std::process::Command::new(&exe)
            .arg(format!("--shape={shape}"))
            .status()
            .unwrap();
        assert!(status.success(), "{shape}: {status}");
    }
}
