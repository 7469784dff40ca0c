//! The thread policy: how many threads the crate may use, and when a piece
//! of work is worth splitting across them.
//!
//! One global setting ([`set_num_threads`], 1 by default) caps the threads.
//! Only work above about 0.1 ms is split (so the lecture's mini-batches of
//! 10 always run on one thread), and never again on a thread that is
//! already one of several workers. Large kernel calls are split by
//! neurons; evaluation and [`Network::predict_batch`](crate::Network::predict_batch)
//! split a data set by examples. Each part is computed exactly as it would
//! be on one thread, so the results do not depend on the number of threads.

use std::cell::Cell;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Threads the kernels and evaluations may use (see [`set_num_threads`]).
static THREADS: AtomicUsize = AtomicUsize::new(1);

thread_local! {
    /// Set on threads that are already one of several working in parallel,
    /// so that they do not split their work again.
    static IN_PARALLEL: Cell<bool> = const { Cell::new(false) };
}

/// Multiply-adds above which a kernel call is split across threads: about
/// 0.1 ms of work on one core, well above the cost of starting a thread.
const PARALLEL_WORK: usize = 1 << 21;

/// Sets how many threads the crate may use for large kernel calls (big
/// mini-batches) and for evaluating data sets; 0 means one per available
/// core. The default is 1. Training with small mini-batches (the lecture's
/// m = 10) always runs on one thread: splitting so little work costs more
/// than it gains.
pub fn set_num_threads(n: usize) {
    let n = if n == 0 {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    } else {
        n
    };
    THREADS.store(n, Ordering::Relaxed);
}

/// The number of threads set by [`set_num_threads`] (1 by default).
pub fn num_threads() -> usize {
    THREADS.load(Ordering::Relaxed)
}

/// How many threads to split `work` multiply-adds into, at most `parts`.
pub(crate) fn threads_for(work: usize, parts: usize) -> usize {
    if IN_PARALLEL.with(Cell::get) || work < PARALLEL_WORK {
        1
    } else {
        num_threads().min(parts).max(1)
    }
}

/// Runs `f` on this thread marked as one of several parallel workers.
pub(crate) fn as_worker<R>(f: impl FnOnce() -> R) -> R {
    IN_PARALLEL.with(|p| p.set(true));
    let r = f();
    IN_PARALLEL.with(|p| p.set(false));
    r
}

/// Runs `job` on `threads` consecutive parts of `out`, which holds `units`
/// units of `unit_len` values each: part `t` gets the units
/// `units·t/threads .. units·(t+1)/threads` and their values. The last
/// part runs on this thread, the others on scoped threads, each marked as a
/// worker so that it does not split its part again.
pub(crate) fn split_across_threads<T: Send>(
    threads: usize,
    units: usize,
    unit_len: usize,
    out: &mut [T],
    job: impl Fn(std::ops::Range<usize>, &mut [T]) + Sync,
) {
    std::thread::scope(|scope| {
        let job = &job;
        let mut rest = &mut out[..units * unit_len];
        let mut u0 = 0;
        for t in 0..threads {
            let u1 = units * (t + 1) / threads;
            let (part, tail) = std::mem::take(&mut rest).split_at_mut((u1 - u0) * unit_len);
            rest = tail;
            let mut run = move || as_worker(|| job(u0..u1, part));
            if t + 1 == threads {
                run()
            } else {
                drop(scope.spawn(run))
            }
            u0 = u1;
        }
    });
}

/// `job` of each part of `parts`, in order: on scoped threads when there are
/// several parts, each marked as a worker so that it does not split again.
pub(crate) fn map_parts<R: Send>(
    parts: &[std::ops::Range<usize>],
    job: impl Fn(std::ops::Range<usize>) -> R + Sync,
) -> Vec<R> {
    if let [only] = parts {
        return vec![job(only.clone())];
    }
    std::thread::scope(|scope| {
        let job = &job;
        let handles: Vec<_> = parts
            .iter()
            .map(|range| {
                let range = range.clone();
                scope.spawn(move || as_worker(|| job(range)))
            })
            .collect();
        handles
            .into_iter()
            // A worker only panics if the code has a bug; pass it on.
            .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    })
}
