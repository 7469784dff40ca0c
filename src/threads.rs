//! The thread policy: how many threads the crate may use, and when a piece
//! of work is worth splitting across them.
//!
//! One global setting ([`set_num_threads`], 1 by default) caps the threads.
//! Only work above about 0.4 ms is split (so the lecture's mini-batches of
//! 10 always run on one thread), and never again on a thread that is
//! already one of several workers. Large kernel calls are split by
//! examples or neurons; evaluation and
//! [`Network::predict_batch`](crate::Network::predict_batch) split a data
//! set by examples. Each part is computed exactly as it would be on one
//! thread, so the results do not depend on the number of threads.
//!
//! The parts run on the calling thread and on worker threads the crate
//! starts on first need and keeps for the process (a pool): a split call
//! costs a wake-up, not a thread start, and each worker keeps its packing
//! buffers from call to call, so training allocates nothing per
//! mini-batch on any number of threads. One call uses the workers at a
//! time; another thread's call meanwhile (a server's request threads)
//! runs on its own thread, so the crate never runs more threads than
//! [`set_num_threads`] allows plus the callers themselves.

use std::cell::Cell;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex};

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
        num_threads().min(parts).clamp(1, MAX_PARTS)
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
/// on the pool's workers and this thread (see [`run_each`]), each marked
/// as a worker so that it does not split its part again.
pub(crate) fn split_across_threads<T: Send>(
    threads: usize,
    units: usize,
    unit_len: usize,
    out: &mut [T],
    job: impl Fn(std::ops::Range<usize>, &mut [T]) + Sync,
) {
    let mut rest = &mut out[..units * unit_len];
    let mut u0 = 0;
    let tasks = (0..threads).map(|t| {
        let u1 = units * (t + 1) / threads;
        let (part, tail) = std::mem::take(&mut rest).split_at_mut((u1 - u0) * unit_len);
        rest = tail;
        let range = u0..u1;
        u0 = u1;
        (range, part)
    });
    run_each(threads, tasks, |(range, part)| job(range, part));
}

/// Runs `job` on each of the first `parts` tasks of `tasks`, each exactly
/// once: the first on this thread, the others on the pool's workers, at
/// most [`MAX_PARTS`] at a time. A single task runs directly on this
/// thread, with nothing marked or woken. Nothing is allocated: the tasks
/// wait in slots on this thread's stack.
pub(crate) fn run_each<I: Send>(
    parts: usize,
    tasks: impl Iterator<Item = I>,
    job: impl Fn(I) + Sync,
) {
    if parts <= 1 {
        tasks.take(1).for_each(job);
        return;
    }
    let mut tasks = tasks.take(parts).peekable();
    while tasks.peek().is_some() {
        let slots: [Mutex<Option<I>>; MAX_PARTS] = std::array::from_fn(|_| Mutex::new(None));
        let mut count = 0;
        // `zip` asks the slots first, so no task is taken without a slot.
        for (slot, task) in slots.iter().zip(&mut tasks) {
            *lock(slot) = Some(task);
            count += 1;
        }
        run_parts(count, &|p| {
            let task = lock(&slots[p]).take();
            if let Some(task) = task {
                job(task);
            }
        });
    }
}

/// `job` of each part of `parts`, in order, computed as [`run_each`] does.
pub(crate) fn map_parts<R: Send>(
    parts: &[std::ops::Range<usize>],
    job: impl Fn(std::ops::Range<usize>) -> R + Sync,
) -> Vec<R> {
    if let [only] = parts {
        return vec![job(only.clone())];
    }
    let results: Vec<Mutex<Option<R>>> = parts.iter().map(|_| Mutex::new(None)).collect();
    run_each(
        parts.len(),
        parts.iter().cloned().zip(&results),
        |(range, result)| {
            *lock(result) = Some(job(range));
        },
    );
    results
        .into_iter()
        .map(|r| {
            r.into_inner()
                .unwrap_or_else(|p| p.into_inner())
                .expect("run_each runs every task before it returns")
        })
        .collect()
}

/// The most parts one call is split into.
pub(crate) const MAX_PARTS: usize = 64;

/// A part's job, as the pool's workers see it: `job(p)` runs part `p`.
type Job<'a> = &'a (dyn Fn(usize) + Sync + 'a);

/// The crate's worker threads, started on first use and kept for the
/// process, so that a parallel call costs a wake-up (tens of
/// microseconds) instead of starting threads, and each worker keeps its
/// packing buffers from call to call (nothing allocated per mini-batch).
/// One parallel call uses the workers at a time; a call from another
/// thread meanwhile (a server's request threads, say) runs its parts on
/// its own thread, so threads never oversubscribe the cores.
struct Pool {
    /// Held by the call that is using the workers.
    busy: Mutex<()>,
    state: Mutex<PoolState>,
    /// Workers wait here for a new call.
    wake: Condvar,
    /// The calling thread waits here for its workers' parts.
    done: Condvar,
}

/// What the workers share with the calling thread.
struct PoolState {
    /// Counts the calls; a worker runs its part once per call.
    call: u64,
    /// The current call's job, valid until `pending` is back to 0.
    job: Option<Job<'static>>,
    /// Worker `w` (1-based) runs part `w` of the current call if `w < parts`.
    parts: usize,
    /// Workers' parts of the current call not finished yet.
    pending: usize,
    /// The first panic of a worker's part, resumed on the calling thread.
    panic: Option<Box<dyn std::any::Any + Send>>,
    /// Workers started so far.
    workers: usize,
}

static POOL: Pool = Pool {
    busy: Mutex::new(()),
    state: Mutex::new(PoolState {
        call: 0,
        job: None,
        parts: 0,
        pending: 0,
        panic: None,
        workers: 0,
    }),
    wake: Condvar::new(),
    done: Condvar::new(),
};

/// Runs `job(0)`, …, `job(parts − 1)`, each once, marked as workers: part 0
/// on this thread, the others on the pool's workers (started as needed).
/// When the workers are busy with another thread's call, or a worker cannot
/// be started, the parts run here instead: slower, never a panic, and the
/// same result, since each part is computed exactly as on one thread. A
/// panic in any part is resumed here, after every part has finished.
fn run_parts(parts: usize, job: Job<'_>) {
    let run_here = |range: std::ops::Range<usize>| {
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            as_worker(|| range.for_each(job));
        }))
    };
    let _busy = match POOL.busy.try_lock() {
        Ok(guard) => guard,
        Err(std::sync::TryLockError::Poisoned(p)) => p.into_inner(),
        Err(std::sync::TryLockError::WouldBlock) => {
            if let Err(p) = run_here(0..parts) {
                std::panic::resume_unwind(p);
            }
            return;
        }
    };
    let mut state = lock(&POOL.state);
    while state.workers < parts - 1 {
        let (w, call) = (state.workers + 1, state.call);
        let started = std::thread::Builder::new()
            .name(format!("neuralnet-{w}"))
            .spawn(move || worker(w, call));
        if started.is_err() {
            break;
        }
        state.workers = w;
    }
    let helpers = state.workers.min(parts - 1);
    // SAFETY: the workers use `job` only between this point and `pending`
    // falling back to 0, and this function does not return (nor unwind:
    // its own parts run under `catch_unwind`, and waiting cannot panic)
    // before `pending` is 0 and `job` is taken back out of the state. So
    // the reference never outlives the borrow it comes from; the lifetime
    // is erased only because the workers, started once for the process,
    // cannot name it.
    #[allow(unsafe_code)]
    let job_for_workers: Job<'static> =
        unsafe { std::mem::transmute::<Job<'_>, Job<'static>>(job) };
    state.job = Some(job_for_workers);
    state.parts = helpers + 1;
    state.pending = helpers;
    state.call += 1;
    drop(state);
    POOL.wake.notify_all();
    // Part 0, and any part no worker could be started for.
    let mine = run_here(0..1).and_then(|()| run_here(helpers + 1..parts));
    let mut state = lock(&POOL.state);
    while state.pending > 0 {
        state = POOL.done.wait(state).unwrap_or_else(|p| p.into_inner());
    }
    state.job = None;
    let theirs = state.panic.take();
    drop(state);
    if let Some(p) = mine.err().or(theirs) {
        std::panic::resume_unwind(p);
    }
}

/// Worker `w`'s loop: wait for a call after `seen`, run part `w` of it if
/// there is one, report, and wait again.
fn worker(w: usize, mut seen: u64) {
    IN_PARALLEL.with(|p| p.set(true));
    let mut state = lock(&POOL.state);
    loop {
        while state.call == seen {
            state = POOL.wake.wait(state).unwrap_or_else(|p| p.into_inner());
        }
        seen = state.call;
        if w >= state.parts {
            continue;
        }
        let job = state.job.expect("a call with parts has a job");
        drop(state);
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| job(w)));
        state = lock(&POOL.state);
        if let Err(p) = result {
            state.panic.get_or_insert(p);
        }
        state.pending -= 1;
        if state.pending == 0 {
            POOL.done.notify_one();
        }
    }
}

/// Locks `m`, whether or not another thread panicked while holding it (the
/// data is a plain slot, valid either way).
fn lock<X>(m: &Mutex<X>) -> std::sync::MutexGuard<'_, X> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_part_runs_once_in_order_even_beyond_max_parts() {
        // 70 parts: a first round of MAX_PARTS on the pool, then 6 more.
        let parts: Vec<_> = (0..70).map(|i| i..i + 1).collect();
        let results = map_parts(&parts, |r| r.start * 2);
        assert_eq!(results, (0..70).map(|i| i * 2).collect::<Vec<_>>());
        let mut out = vec![0usize; 70];
        split_across_threads(70, 70, 1, &mut out, |r, part| {
            part.iter_mut().zip(r).for_each(|(o, i)| *o += i + 1);
        });
        assert_eq!(out, (1..=70).collect::<Vec<_>>());
    }
}
