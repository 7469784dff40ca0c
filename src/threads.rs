//! The thread policy: how many threads the crate may use, and when a piece
//! of work is worth splitting across them.
//!
//! One global setting ([`set_num_threads`], 1 by default) caps the threads.
//! A call is split only where a cost model of its shape says the split
//! saves 30% of its time or more (so the lecture's networks at m = 10 run
//! on one thread), and never again on a thread that is already
//! one of several workers. Large kernel calls are split by
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
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex};

/// Threads the kernels and evaluations may use (see [`set_num_threads`]).
static THREADS: AtomicUsize = AtomicUsize::new(1);

thread_local! {
    /// Set on threads that are already one of several working in parallel,
    /// so that they do not split their work again.
    static IN_PARALLEL: Cell<bool> = const { Cell::new(false) };
}

/// The cost of splitting a call in multiply-adds' worth (about 1.5 µs on
/// one core): waking the workers, who spin for [`SPIN`] after each part
/// before they sleep, and waiting for the last of them. Measured on a
/// 2-core VM: 0.8-0.9 µs per split call when the previous one ended less
/// than 150 µs before, 6 µs after 300 µs, 47 µs after 1 ms (a sleeping
/// virtual CPU takes some 40 µs to wake).
const SPLIT_WORK: usize = 1 << 17;

/// What a split must save: a part's time, estimated, at most this many
/// tenths of the whole call's on one thread (a gain of 1.43× or more).
/// The margin covers what the estimate leaves out: smaller blocks per
/// thread, the unsplit work between the calls, two cores sharing caches
/// and memory, a second core slower than the first.
const SPLIT_GAIN_TENTHS: usize = 7;

/// Multiply-adds' worth of each weight a part of a layer's kernel call
/// reads after another core wrote it, for the weights' trips between the
/// cores' caches, which one thread never pays. The update splits the
/// neurons, each part writing its share of w in its core's cache; the
/// backward pass, and the forward pass on the dot blocks, split the
/// examples, so every part reads all of w (the packed forward pass splits
/// the neurons as the update does, and reads only its own share).
/// Estimated at about 100 µs a mini-batch for the 650,000 weights of
/// 784-500-500-10 (some 25 GB/s between the caches), 12-16 multiply-adds'
/// time a weight; measured, splitting every call of that network at
/// m = 10 made its epoch on two threads take twice as long as on one.
/// With this figure the dense layers at m = 10 stay on one thread and at
/// m = 100 split.
pub(crate) const WEIGHT_TRIP_WORK: usize = 16;

/// Sets how many threads the crate may use for large kernel calls (big
/// mini-batches) and for evaluating data sets; 0 means one per available
/// core. The default is 1. A dense network trained with small
/// mini-batches (the lecture's m = 10) runs on one thread: splitting so
/// little work costs more than it gains (see the cost model of
/// `threads_for` in the source).
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

/// How many threads to split a call into, at most `parts`: the count
/// whose estimated time is least, by a cost model of the call's shape.
///
/// The call does `work` multiply-adds, split evenly; each part beyond the
/// first repeats `per_part` multiply-adds' worth of work that every part
/// needs whole (reading an operand another core wrote), and each
/// worker woken costs [`SPLIT_WORK`]. So `t` threads take
/// `work / t + per_part + (t − 1) · SPLIT_WORK`, and a split is taken
/// only if that is at most [`SPLIT_GAIN_TENTHS`] tenths of `work`. A thread that is
/// already one of several workers never splits again.
pub(crate) fn threads_for(work: usize, per_part: usize, parts: usize) -> usize {
    if IN_PARALLEL.with(Cell::get) {
        return 1;
    }
    let threads = split_count(work, per_part, num_threads().min(parts).clamp(1, MAX_PARTS));
    #[cfg(test)]
    if threads > 1 {
        tests::SPLITS.with(|n| n.set(n.get() + 1));
    }
    threads
}

/// [`threads_for`]'s cost model, with at most `most` threads.
fn split_count(work: usize, per_part: usize, most: usize) -> usize {
    // In f64: no overflow, and a handful of operations per count.
    #[allow(clippy::cast_precision_loss)]
    let (work, per_part) = (work as f64, per_part as f64);
    let time = |t: usize| work / t as f64 + per_part + (t - 1) as f64 * SPLIT_WORK as f64;
    let best = (2..=most)
        .min_by(|&s, &t| time(s).total_cmp(&time(t)))
        .unwrap_or(1);
    if best > 1 && time(best) * 10.0 <= work * SPLIT_GAIN_TENTHS as f64 {
        best
    } else {
        1
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
    if parts <= 1 {
        // Nothing for the workers: not woken.
        as_worker(|| (0..parts).for_each(job));
        return;
    }
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
    // its own parts run under `catch_unwind`, and neither spinning nor
    // waiting can panic)
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
    PENDING.store(helpers, Ordering::Release);
    CALL.store(state.call, Ordering::Release);
    drop(state);
    POOL.wake.notify_all();
    // Part 0, and any part no worker could be started for.
    let mine = run_here(0..1).and_then(|()| run_here(helpers + 1..parts));
    spin_until(|| PENDING.load(Ordering::Acquire) == 0);
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
    // Only a worker with a core of its own spins (workers beyond the cores,
    // with `set_num_threads` above their number, would take the time of
    // the threads doing parts), and only after a call it took part in.
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut spin = false;
    let mut state = lock(&POOL.state);
    loop {
        if spin && w < cores && state.call == seen {
            drop(state);
            spin_until(|| CALL.load(Ordering::Acquire) != seen);
            state = lock(&POOL.state);
        }
        while state.call == seen {
            state = POOL.wake.wait(state).unwrap_or_else(|p| p.into_inner());
        }
        seen = state.call;
        spin = w < state.parts;
        if !spin {
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
        PENDING.store(state.pending, Ordering::Release);
        if state.pending == 0 {
            POOL.done.notify_one();
        }
    }
}

/// [`PoolState::call`], readable without the lock, for spinning.
static CALL: AtomicU64 = AtomicU64::new(0);

/// [`PoolState::pending`], readable without the lock, for spinning.
static PENDING: AtomicUsize = AtomicUsize::new(0);

/// How long a worker that finished its part, or a caller waiting for the
/// workers, checks for what it waits for before it sleeps.
const SPIN: std::time::Duration = std::time::Duration::from_micros(200);

/// Waits until `ready()` or [`SPIN`] has passed, whichever comes first.
fn spin_until(ready: impl Fn() -> bool) {
    let start = std::time::Instant::now();
    loop {
        for _ in 0..64 {
            if ready() {
                return;
            }
            std::hint::spin_loop();
        }
        if start.elapsed() >= SPIN {
            return;
        }
    }
}

/// Locks `m`, whether or not another thread panicked while holding it (the
/// data is a plain slot, valid either way).
fn lock<X>(m: &Mutex<X>) -> std::sync::MutexGuard<'_, X> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    thread_local! {
        /// Calls this thread's [`threads_for`] split.
        pub(crate) static SPLITS: Cell<usize> = const { Cell::new(0) };
    }

    /// Held by the tests that change the thread count, one at a time.
    static THREAD_COUNT: Mutex<()> = Mutex::new(());

    /// `f()` with `n` threads allowed, and how many of its calls split.
    pub(crate) fn with_threads<R>(n: usize, f: impl FnOnce() -> R) -> (R, usize) {
        let _only = lock(&THREAD_COUNT);
        set_num_threads(n);
        SPLITS.with(|s| s.set(0));
        let r = f();
        set_num_threads(1);
        (r, SPLITS.with(Cell::get))
    }

    #[test]
    fn the_cost_model_splits_only_what_two_threads_do_faster() {
        let w = WEIGHT_TRIP_WORK;
        // The lecture's networks at m = 10 stay on one thread, whatever the
        // threads allowed: 784-30 and 784-100 forward passes, and
        // 784-500-500-10's largest call (each weight read 10 times, sent
        // between the caches at 16 multiply-adds' time).
        for (n_in, n_out) in [(784, 30), (784, 100), (784, 500)] {
            assert_eq!(split_count(n_in * n_out * 10, n_in * n_out * w, 8), 1);
        }
        // At m = 100 the 784 -> 500 layer's backward pass and update split
        // in two, and its packed forward pass (by neurons: the activations'
        // trip and the copy of z); split by examples, with wᵀ packed by
        // every part, it would not.
        let (n_in, n_out, m) = (784, 500, 100);
        let work = n_in * n_out * m;
        assert_eq!(split_count(work, n_in * n_out * w, 2), 2);
        assert_eq!(split_count(work, n_in * m * w + 2 * n_out * m, 2), 2);
        assert_eq!(split_count(work, n_in * n_out * (w + 16), 2), 1);
        // Work with nothing repeated splits as far as it is allowed, and
        // not below a few times the cost of splitting.
        assert_eq!(split_count(1 << 30, 0, 2), 2);
        assert_eq!(split_count(1 << 30, 0, 8), 8);
        assert_eq!(split_count(2 * SPLIT_WORK, 0, 8), 1);
        // The edge for two threads, nothing repeated: work / 2 + SPLIT_WORK
        // at 0.7 of work, that is 5 · SPLIT_WORK.
        assert_eq!(split_count(5 * SPLIT_WORK, 0, 2), 2);
        assert_eq!(split_count(5 * SPLIT_WORK - 10, 0, 2), 1);
        assert_eq!(split_count(1 << 30, 0, 1), 1);
        // No overflow at the edges.
        assert_eq!(split_count(usize::MAX, usize::MAX, 4), 1);
    }

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
