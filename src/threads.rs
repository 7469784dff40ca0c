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
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Threads the kernels and evaluations may use (see [`set_num_threads`]).
static THREADS: AtomicUsize = AtomicUsize::new(1);

thread_local! {
    /// Set on threads that are already one of several working in parallel,
    /// so that they do not split their work again.
    static IN_PARALLEL: Cell<bool> = const { Cell::new(false) };
}

/// Multiply-adds above which a kernel call is split across threads: about
/// 0.4 ms of work on one core. Below it, starting a thread (and, for the
/// packed products, filling its panel buffers) costs more than it saves:
/// with 2M, workload C at m = 10 took 3.6 s per epoch on two threads
/// against 1.9 s on one, and A at m = 100 0.15 s against 0.08 s.
const PARALLEL_WORK: usize = 1 << 23;

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
/// `units·t/threads .. units·(t+1)/threads` and their values. The parts run
/// on scoped threads and this one (see [`run_tasks`]), each marked as a
/// worker so that it does not split its part again.
pub(crate) fn split_across_threads<T: Send>(
    threads: usize,
    units: usize,
    unit_len: usize,
    out: &mut [T],
    job: impl Fn(std::ops::Range<usize>, &mut [T]) + Sync,
) {
    let mut tasks = Vec::with_capacity(threads);
    let mut rest = &mut out[..units * unit_len];
    let mut u0 = 0;
    for t in 0..threads {
        let u1 = units * (t + 1) / threads;
        let (part, tail) = std::mem::take(&mut rest).split_at_mut((u1 - u0) * unit_len);
        rest = tail;
        tasks.push((u0..u1, part));
        u0 = u1;
    }
    run_tasks(tasks, |(range, part)| job(range, part));
}

/// Runs `job` on each of the `parts` tasks of `tasks` as [`run_tasks`]
/// does; a single task directly on this thread (so nothing is marked,
/// spawned or allocated for it).
pub(crate) fn run_each<I: Send>(
    parts: usize,
    tasks: impl Iterator<Item = I>,
    job: impl Fn(I) + Sync,
) {
    if parts <= 1 {
        // One part: run here, without collecting the task into a vector
        // (an allocation per call, which the training loop must not make).
        tasks.for_each(job);
        return;
    }
    run_tasks(tasks.collect(), job);
}

/// `job` of each part of `parts`, in order, computed as [`run_tasks`] does.
pub(crate) fn map_parts<R: Send>(
    parts: &[std::ops::Range<usize>],
    job: impl Fn(std::ops::Range<usize>) -> R + Sync,
) -> Vec<R> {
    if let [only] = parts {
        return vec![job(only.clone())];
    }
    let results: Vec<Mutex<Option<R>>> = parts.iter().map(|_| Mutex::new(None)).collect();
    let tasks = parts.iter().cloned().zip(&results).collect();
    run_tasks(tasks, |(range, result)| {
        *lock(result) = Some(job(range));
    });
    results
        .into_iter()
        .map(|r| {
            r.into_inner()
                .unwrap_or_else(|p| p.into_inner())
                .expect("run_tasks runs every task before it returns")
        })
        .collect()
}

/// Runs every task, each exactly once, as a worker (see [`as_worker`]): the
/// first ones on scoped threads of their own, the last on this thread. When
/// a thread cannot be created (a process limit, say), its task runs on this
/// thread instead: slower, never a panic, and the same result, since each
/// task computes its part exactly as on one thread.
fn run_tasks<I: Send>(tasks: Vec<I>, job: impl Fn(I) + Sync) {
    let slots: Vec<Mutex<Option<I>>> = tasks.into_iter().map(|t| Mutex::new(Some(t))).collect();
    let run = |slot: &Mutex<Option<I>>| {
        // Whoever takes a task first runs it: its thread or, if that thread
        // could not be created, this one.
        let task = lock(slot).take();
        if let Some(task) = task {
            as_worker(|| job(task));
        }
    };
    let Some((last, first)) = slots.split_last() else {
        return;
    };
    std::thread::scope(|scope| {
        for slot in first {
            let run = &run;
            // A failed spawn drops its closure; the task stays in its slot.
            let _ = std::thread::Builder::new().spawn_scoped(scope, move || run(slot));
        }
        run(last);
        for slot in first {
            run(slot);
        }
    });
}

/// Locks `m`, whether or not another thread panicked while holding it (the
/// data is a plain slot, valid either way).
fn lock<X>(m: &Mutex<X>) -> std::sync::MutexGuard<'_, X> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}
