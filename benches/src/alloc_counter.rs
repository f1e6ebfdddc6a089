//! A global allocator that counts allocations, so that the report can give heap
//! allocations per operation beside each median, and the heap bytes an operation holds at
//! its peak ([`peak_bytes`]).

use core::alloc::{GlobalAlloc, Layout};
use core::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::alloc::System;

static COUNTING: AtomicBool = AtomicBool::new(false);
static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);
/// Bytes allocated minus bytes freed while counting (blocks from before may be freed, so
/// it can go below zero), and its highest value.
static LIVE: AtomicI64 = AtomicI64::new(0);
static PEAK: AtomicI64 = AtomicI64::new(0);

fn counted(allocated: usize, freed: usize) {
    ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
    moved(allocated, freed);
}

fn moved(allocated: usize, freed: usize) {
    let delta =
        i64::try_from(allocated).unwrap_or(i64::MAX) - i64::try_from(freed).unwrap_or(i64::MAX);
    let live = LIVE.fetch_add(delta, Ordering::Relaxed) + delta;
    PEAK.fetch_max(live, Ordering::Relaxed);
}

/// The system allocator, counting calls to `alloc` and `realloc` while [`count`] runs.
/// Outside it the cost is one relaxed load per allocation, so criterion's timings are
/// not disturbed.
#[derive(Debug)]
pub struct CountingAllocator;

// `unsafe` is allowed here and only here (the crate denies it; the protocol crate forbids
// it): `GlobalAlloc` is an unsafe trait. Every method forwards its arguments unchanged to
// `System`, so the contract `System` fulfils is the one callers get.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if COUNTING.load(Ordering::Relaxed) {
            counted(layout.size(), 0);
        }
        // SAFETY: forwarded unchanged; the caller upholds `GlobalAlloc::alloc`'s contract.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if COUNTING.load(Ordering::Relaxed) {
            counted(layout.size(), 0);
        }
        // SAFETY: as for `alloc`.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if COUNTING.load(Ordering::Relaxed) {
            moved(0, layout.size());
        }
        // SAFETY: `ptr` came from `System` through this allocator with this `layout`.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if COUNTING.load(Ordering::Relaxed) {
            counted(new_size, layout.size());
        }
        // SAFETY: as for `dealloc`, and the caller upholds `realloc`'s size rules.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

/// Runs `op` `runs` times and returns the heap allocations (and reallocations) per run.
/// Counts every thread's allocations: call it while nothing else runs.
pub fn count(runs: u32, mut op: impl FnMut()) -> f64 {
    op(); // warm up: lazily initialised statics are not the operation's cost
    ALLOCATIONS.store(0, Ordering::Relaxed);
    COUNTING.store(true, Ordering::SeqCst);
    for _ in 0..runs {
        op();
    }
    COUNTING.store(false, Ordering::SeqCst);
    ALLOCATIONS.load(Ordering::Relaxed) as f64 / f64::from(runs.max(1))
}

/// [`count`] for an operation that consumes an input: `setup` runs outside the count.
pub fn count_batched<I>(runs: u32, mut setup: impl FnMut() -> I, mut op: impl FnMut(I)) -> f64 {
    op(setup());
    ALLOCATIONS.store(0, Ordering::Relaxed);
    for _ in 0..runs {
        let input = setup();
        COUNTING.store(true, Ordering::SeqCst);
        op(input);
        COUNTING.store(false, Ordering::SeqCst);
    }
    ALLOCATIONS.load(Ordering::Relaxed) as f64 / f64::from(runs.max(1))
}

/// Runs `op` once and returns its result and the heap bytes it held at its peak, beyond
/// what was live when it started. Counts every thread: call it while nothing else runs.
pub fn peak_bytes<T>(op: impl FnOnce() -> T) -> (T, usize) {
    LIVE.store(0, Ordering::Relaxed);
    PEAK.store(0, Ordering::Relaxed);
    COUNTING.store(true, Ordering::SeqCst);
    let out = op();
    COUNTING.store(false, Ordering::SeqCst);
    (
        out,
        usize::try_from(PEAK.load(Ordering::Relaxed)).unwrap_or(0),
    )
}
