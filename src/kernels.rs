//! The arithmetic of the hot loop, on column-major slices.
//!
//! Layouts (all column-major, as nalgebra stores matrices):
//! - a layer's weights are stored *neuron-major*: an `n_in × n_out` matrix
//!   whose column `i` is neuron `i`'s weight vector w (that is, Wᵀ in the
//!   lecture's orientation);
//! - a batch of activations is `n × m`, one example per column.
//!
//! Each kernel is written once with explicit SIMD vectors from pulp and run
//! through pulp's safe dispatcher, which picks at run time the widest
//! instruction set the CPU has (AVX-512 on x86-64-v4 machines, AVX2 + FMA on
//! x86-64-v3, scalar code elsewhere). The vectors are explicit because
//! LLVM's auto-vectoriser falls back to 128-bit vectors inside such
//! run-time-selected functions. Nothing here allocates.
//!
//! The two big kernels (weighted inputs and the weight update) work on two
//! neurons at a time against a block of examples: 10 with 512-bit vectors,
//! 5 with narrower ones (as many accumulators as the registers hold), so a
//! weight vector streams through the cache once per 10 (or 5) examples of
//! the lecture's mini-batch of 10. Remainders go through blocks of up to 4.

use std::cell::Cell;
use std::sync::atomic::{AtomicUsize, Ordering};

use pulp::{Arch, Simd, WithSimd};

/// The scalar types the kernels are written for, with their pulp vectors.
///
/// Implemented for `f32` and `f64` only; a bound of [`crate::Real`], so
/// the crate's scalar type is one of the two.
pub trait Elem: Copy + Default + Send + Sync + 'static {
    /// A SIMD vector of `Self` for instruction set `S`.
    type V<S: Simd>: Copy;
    /// Splits a slice into whole vectors and a scalar tail.
    fn as_simd<S: Simd>(s: &[Self]) -> (&[Self::V<S>], &[Self]);
    /// Splits a slice into whole vectors and a scalar tail.
    fn as_mut_simd<S: Simd>(s: &mut [Self]) -> (&mut [Self::V<S>], &mut [Self]);
    /// All lanes `x`.
    fn splat<S: Simd>(simd: S, x: Self) -> Self::V<S>;
    /// `a·b + c`, fused where the CPU can.
    fn fma<S: Simd>(simd: S, a: Self::V<S>, b: Self::V<S>, c: Self::V<S>) -> Self::V<S>;
    /// `a·b`.
    fn mul<S: Simd>(simd: S, a: Self::V<S>, b: Self::V<S>) -> Self::V<S>;
    /// The sum of the lanes.
    fn sum<S: Simd>(simd: S, a: Self::V<S>) -> Self;
    /// Loads up to one vector's worth of `s`, the other lanes zero.
    fn load_partial<S: Simd>(simd: S, s: &[Self]) -> Self::V<S>;
    /// Stores the first `s.len()` lanes of `v` into `s`.
    fn store_partial<S: Simd>(simd: S, s: &mut [Self], v: Self::V<S>);
    /// One.
    const ONE: Self;
    /// σ applied to every lane: 1/(1+e^(−z)), finite and in [0, 1].
    fn sigmoid_v<S: Simd>(simd: S, z: Self::V<S>) -> Self::V<S>;
    /// The type's name, `"f32"` or `"f64"`.
    const NAME: &'static str;
    /// Bytes per value.
    const BYTES: usize;
    /// Appends the little-endian bytes of `self`.
    fn put_le(self, out: &mut Vec<u8>);
    /// The value from `Self::BYTES` little-endian bytes.
    fn get_le(bytes: &[u8]) -> Self;
    /// `self` as an `f64` (exact).
    fn elem_to_f64(self) -> f64;
    /// The nearest `Self` to `x`.
    fn elem_from_f64(x: f64) -> Self;
}

macro_rules! impl_elem {
    ($t:ty, $v:ident, $as_simd:ident, $as_mut_simd:ident, $splat:ident, $fma:ident, $mul:ident, $sum:ident, $load:ident, $store:ident, $sigmoid:ident) => {
        impl Elem for $t {
            type V<S: Simd> = S::$v;
            #[inline(always)]
            fn as_simd<S: Simd>(s: &[Self]) -> (&[Self::V<S>], &[Self]) {
                S::$as_simd(s)
            }
            #[inline(always)]
            fn as_mut_simd<S: Simd>(s: &mut [Self]) -> (&mut [Self::V<S>], &mut [Self]) {
                S::$as_mut_simd(s)
            }
            #[inline(always)]
            fn splat<S: Simd>(simd: S, x: Self) -> Self::V<S> {
                simd.$splat(x)
            }
            #[inline(always)]
            fn fma<S: Simd>(simd: S, a: Self::V<S>, b: Self::V<S>, c: Self::V<S>) -> Self::V<S> {
                simd.$fma(a, b, c)
            }
            #[inline(always)]
            fn mul<S: Simd>(simd: S, a: Self::V<S>, b: Self::V<S>) -> Self::V<S> {
                simd.$mul(a, b)
            }
            #[inline(always)]
            fn sum<S: Simd>(simd: S, a: Self::V<S>) -> Self {
                simd.$sum(a)
            }
            #[inline(always)]
            fn load_partial<S: Simd>(simd: S, s: &[Self]) -> Self::V<S> {
                simd.$load(s)
            }
            #[inline(always)]
            fn store_partial<S: Simd>(simd: S, s: &mut [Self], v: Self::V<S>) {
                simd.$store(s, v)
            }
            const ONE: Self = 1.0;
            #[inline(always)]
            fn sigmoid_v<S: Simd>(simd: S, z: Self::V<S>) -> Self::V<S> {
                $sigmoid(simd, z)
            }
            const NAME: &'static str = stringify!($t);
            const BYTES: usize = std::mem::size_of::<$t>();
            fn put_le(self, out: &mut Vec<u8>) {
                out.extend_from_slice(&self.to_le_bytes());
            }
            fn get_le(bytes: &[u8]) -> Self {
                let mut b = [0u8; std::mem::size_of::<$t>()];
                b.copy_from_slice(&bytes[..std::mem::size_of::<$t>()]);
                <$t>::from_le_bytes(b)
            }
            fn elem_to_f64(self) -> f64 {
                f64::from(self)
            }
            #[allow(clippy::cast_possible_truncation)]
            fn elem_from_f64(x: f64) -> Self {
                x as $t
            }
        }
    };
}

impl_elem!(
    f32,
    f32s,
    as_simd_f32s,
    as_mut_simd_f32s,
    splat_f32s,
    mul_add_e_f32s,
    mul_f32s,
    reduce_sum_f32s,
    partial_load_f32s,
    partial_store_f32s,
    sigmoid_f32s
);
impl_elem!(
    f64,
    f64s,
    as_simd_f64s,
    as_mut_simd_f64s,
    splat_f64s,
    mul_add_e_f64s,
    mul_f64s,
    reduce_sum_f64s,
    partial_load_f64s,
    partial_store_f64s,
    sigmoid_f64s
);

/// Runs a kernel with the widest instruction set this CPU has (in tests,
/// optionally a narrower one: see `tests::at_every_level`).
#[inline(always)]
fn dispatch<Op: WithSimd>(op: Op) -> Op::Output {
    #[cfg(test)]
    match tests::LEVEL.with(Cell::get) {
        tests::Level::Scalar => return Simd::vectorize(pulp::Scalar::new(), op),
        #[cfg(target_arch = "x86_64")]
        tests::Level::V3 => {
            if let Some(simd) = pulp::x86::V3::try_new() {
                return Simd::vectorize(simd, op);
            }
        }
        _ => {}
    }
    Arch::new().dispatch(op)
}

/// Threads the kernels and evaluations may use (see [`crate::set_num_threads`]).
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
fn split_across_threads<T: Send>(
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

/// Dot products of `NB` weight vectors with `MB` activation vectors, all of
/// the same length; the tail shorter than a vector goes through masked loads.
#[inline(always)]
fn dot_block<S: Simd, T: Elem, const NB: usize, const MB: usize>(
    simd: S,
    w: [&[T]; NB],
    a: [&[T]; MB],
) -> [[T; MB]; NB] {
    let wv = w.map(|s| T::as_simd::<S>(s));
    let av = a.map(|s| T::as_simd::<S>(s));
    let chunks = wv[0].0.len();
    // Equal lengths, known to the compiler: no bounds checks in the loop.
    let wh = wv.map(|(v, _)| &v[..chunks]);
    let ah = av.map(|(v, _)| &v[..chunks]);
    let zero = T::splat(simd, T::default());
    let mut acc = [[zero; MB]; NB];
    // Plain indexed loops: `array::map` here is not always inlined.
    for k in 0..chunks {
        let mut ak = [zero; MB];
        for c in 0..MB {
            ak[c] = ah[c][k];
        }
        for r in 0..NB {
            let wk = wh[r][k];
            for c in 0..MB {
                acc[r][c] = T::fma(simd, wk, ak[c], acc[r][c]);
            }
        }
    }
    if !wv[0].1.is_empty() {
        let at = av.map(|(_, t)| T::load_partial(simd, t));
        for r in 0..NB {
            let wt = T::load_partial(simd, wv[r].1);
            for c in 0..MB {
                acc[r][c] = T::fma(simd, wt, at[c], acc[r][c]);
            }
        }
    }
    acc.map(|row| row.map(|v| T::sum(simd, v)))
}

/// The 2 × 4 block of [`dot_block`] with named accumulators: arrays of more
/// than about 256 bytes of vectors are not kept in registers by LLVM, and
/// named variables are, also for 512-bit vectors.
#[inline(always)]
fn dot_2x4<S: Simd, T: Elem>(simd: S, w: [&[T]; 2], a: [&[T]; 4]) -> [[T; 4]; 2] {
    let (w0, w0t) = T::as_simd::<S>(w[0]);
    let (w1, w1t) = T::as_simd::<S>(w[1]);
    let (a0, a0t) = T::as_simd::<S>(a[0]);
    let (a1, a1t) = T::as_simd::<S>(a[1]);
    let (a2, a2t) = T::as_simd::<S>(a[2]);
    let (a3, a3t) = T::as_simd::<S>(a[3]);
    let n = w0.len();
    let (w0, w1, a0, a1, a2, a3) = (&w0[..n], &w1[..n], &a0[..n], &a1[..n], &a2[..n], &a3[..n]);
    let z = T::splat(simd, T::default());
    let (mut c00, mut c01, mut c02, mut c03) = (z, z, z, z);
    let (mut c10, mut c11, mut c12, mut c13) = (z, z, z, z);
    let mut step = |p: T::V<S>, q: T::V<S>, x0, x1, x2, x3| {
        c00 = T::fma(simd, p, x0, c00);
        c01 = T::fma(simd, p, x1, c01);
        c02 = T::fma(simd, p, x2, c02);
        c03 = T::fma(simd, p, x3, c03);
        c10 = T::fma(simd, q, x0, c10);
        c11 = T::fma(simd, q, x1, c11);
        c12 = T::fma(simd, q, x2, c12);
        c13 = T::fma(simd, q, x3, c13);
    };
    for k in 0..n {
        step(w0[k], w1[k], a0[k], a1[k], a2[k], a3[k]);
    }
    if !w0t.is_empty() {
        let l = |t: &[T]| T::load_partial(simd, t);
        step(l(w0t), l(w1t), l(a0t), l(a1t), l(a2t), l(a3t));
    }
    let s = |v| T::sum(simd, v);
    [
        [s(c00), s(c01), s(c02), s(c03)],
        [s(c10), s(c11), s(c12), s(c13)],
    ]
}

/// Generates a dot-product block of two weight vectors with `$mb`
/// activation vectors, every accumulator a named variable (see
/// [`dot_2x4`]): per step two weight loads feed `2·$mb` multiply-adds, so
/// each weight vector streams through the cache once per `$mb` examples.
macro_rules! dot_2xn {
    ($name:ident, $mb:literal; $(($a:ident, $at:ident, $c0:ident, $c1:ident)),+) => {
        #[inline(always)]
        fn $name<S: Simd, T: Elem>(simd: S, w: [&[T]; 2], a: [&[T]; $mb]) -> [[T; $mb]; 2] {
            let (w0, w0t) = T::as_simd::<S>(w[0]);
            let (w1, w1t) = T::as_simd::<S>(w[1]);
            let n = w0.len();
            let (w0, w1) = (&w0[..n], &w1[..n]);
            let [$($a),+] = a;
            $(
                let ($a, $at) = T::as_simd::<S>($a);
                let $a = &$a[..n];
            )+
            let z = T::splat(simd, T::default());
            $(
                let mut $c0 = z;
                let mut $c1 = z;
            )+
            for k in 0..n {
                let (p, q) = (w0[k], w1[k]);
                $(
                    let x = $a[k];
                    $c0 = T::fma(simd, p, x, $c0);
                    $c1 = T::fma(simd, q, x, $c1);
                )+
            }
            if !w0t.is_empty() {
                let (p, q) = (T::load_partial(simd, w0t), T::load_partial(simd, w1t));
                $(
                    let x = T::load_partial(simd, $at);
                    $c0 = T::fma(simd, p, x, $c0);
                    $c1 = T::fma(simd, q, x, $c1);
                )+
            }
            [[$(T::sum(simd, $c0)),+], [$(T::sum(simd, $c1)),+]]
        }
    };
}

dot_2xn!(dot_2x5, 5;
    (a0, a0t, c00, c10), (a1, a1t, c01, c11), (a2, a2t, c02, c12), (a3, a3t, c03, c13),
    (a4, a4t, c04, c14));
dot_2xn!(dot_2x10, 10;
    (a0, a0t, c00, c10), (a1, a1t, c01, c11), (a2, a2t, c02, c12), (a3, a3t, c03, c13),
    (a4, a4t, c04, c14), (a5, a5t, c05, c15), (a6, a6t, c06, c16), (a7, a7t, c07, c17),
    (a8, a8t, c08, c18), (a9, a9t, c09, c19));

/// Generates an update block for two weight vectors and `$tb` examples,
/// every coefficient a named variable (see [`update_2x4`]).
macro_rules! update_2xn {
    ($name:ident, $tb:literal; $(($a:ident, $at:ident, $k0:ident, $k1:ident, $c:literal)),+) => {
        #[inline(always)]
        fn $name<S: Simd, T: Elem>(
            simd: S,
            w: [&mut [T]; 2],
            beta: T,
            coef: [[T; $tb]; 2],
            a: [&[T]; $tb],
        ) {
            let [w0, w1] = w;
            let (w0, w0t) = T::as_mut_simd::<S>(w0);
            let (w1, w1t) = T::as_mut_simd::<S>(w1);
            let n = w0.len();
            let (w0, w1) = (&mut w0[..n], &mut w1[..n]);
            let [$($a),+] = a;
            $(
                let ($a, $at) = T::as_simd::<S>($a);
                let $a = &$a[..n];
                let $k0 = T::splat(simd, coef[0][$c]);
                let $k1 = T::splat(simd, coef[1][$c]);
            )+
            let b = T::splat(simd, beta);
            for i in 0..n {
                let mut p = T::mul(simd, b, w0[i]);
                let mut q = T::mul(simd, b, w1[i]);
                $(
                    let x = $a[i];
                    p = T::fma(simd, $k0, x, p);
                    q = T::fma(simd, $k1, x, q);
                )+
                w0[i] = p;
                w1[i] = q;
            }
            if !w0t.is_empty() {
                let mut p = T::mul(simd, b, T::load_partial(simd, w0t));
                let mut q = T::mul(simd, b, T::load_partial(simd, w1t));
                $(
                    let x = T::load_partial(simd, $at);
                    p = T::fma(simd, $k0, x, p);
                    q = T::fma(simd, $k1, x, q);
                )+
                T::store_partial(simd, w0t, p);
                T::store_partial(simd, w1t, q);
            }
        }
    };
}

update_2xn!(update_2x5, 5;
    (a0, a0t, k00, k10, 0), (a1, a1t, k01, k11, 1), (a2, a2t, k02, k12, 2),
    (a3, a3t, k03, k13, 3), (a4, a4t, k04, k14, 4));
update_2xn!(update_2x10, 10;
    (a0, a0t, k00, k10, 0), (a1, a1t, k01, k11, 1), (a2, a2t, k02, k12, 2),
    (a3, a3t, k03, k13, 3), (a4, a4t, k04, k14, 4), (a5, a5t, k05, k15, 5),
    (a6, a6t, k06, k16, 6), (a7, a7t, k07, k17, 7), (a8, a8t, k08, k18, 8),
    (a9, a9t, k09, k19, 9));

/// Bytes of activations a block of examples may take: they are read again
/// for every pair of neurons, so they should stay in the L1 cache (48 KiB on
/// recent x86 cores) next to the streaming weights.
const WIDE_BLOCK_BYTES: usize = 40 << 10;

/// The length of the parts the inputs are split into, so that `wide`
/// examples' part of the activations fits [`WIDE_BLOCK_BYTES`]: all of
/// them for 784 `f32` pixels, halves for `f64`. A multiple of 16 elements
/// (a whole number of vectors) unless it is the whole input.
fn input_part<T>(n_in: usize, wide: usize) -> usize {
    let bytes = n_in.saturating_mul(wide * std::mem::size_of::<T>());
    if bytes <= WIDE_BLOCK_BYTES {
        return n_in.max(1);
    }
    n_in.div_ceil(bytes.div_ceil(WIDE_BLOCK_BYTES))
        .next_multiple_of(16)
}

/// Examples per block of the wide kernels: 10 with 512-bit vectors (32
/// registers hold the 20 accumulators), 5 with narrower ones (16 registers).
#[inline(always)]
fn wide_block<S: Simd, T: Elem>() -> usize {
    if std::mem::size_of::<T::V<S>>() >= 64 {
        10
    } else {
        5
    }
}

struct WeightedInputs<'a, T> {
    w: &'a [T],
    b: &'a [T],
    a: &'a [T],
    n_in: usize,
    n_out: usize,
    m: usize,
    z: &'a mut [T],
}

impl<T: Elem + std::ops::Add<Output = T>> WeightedInputs<'_, T> {
    /// Neurons `i..i + 4` with examples `j..j + 2`: the 2 × 4 kernel with
    /// the roles of weights and activations swapped (w·a = a·w).
    #[inline(always)]
    fn block_4x2<S: Simd>(&mut self, simd: S, i: usize, j: usize) {
        let n_in = self.n_in;
        let w: [&[T]; 4] = std::array::from_fn(|r| &self.w[(i + r) * n_in..(i + r + 1) * n_in]);
        let a: [&[T]; 2] = std::array::from_fn(|c| &self.a[(j + c) * n_in..(j + c + 1) * n_in]);
        let d = dot_2x4::<S, T>(simd, a, w);
        for (c, row) in d.iter().enumerate() {
            for (r, &v) in row.iter().enumerate() {
                self.z[(j + c) * self.n_out + i + r] = v + self.b[i + r];
            }
        }
    }

    /// Neurons `i[0]` and `i[1]` with examples `j..j + MB`, MB = 5 or 10,
    /// over the inputs `k` (the first part sets z, later ones add to it).
    #[inline(always)]
    fn wide<S: Simd, const MB: usize>(
        &mut self,
        simd: S,
        i: [usize; 2],
        j: usize,
        k: std::ops::Range<usize>,
    ) {
        let n_in = self.n_in;
        let w = i.map(|i| &self.w[i * n_in + k.start..i * n_in + k.end]);
        let a: [&[T]; MB] =
            std::array::from_fn(|c| &self.a[(j + c) * n_in + k.start..(j + c) * n_in + k.end]);
        let d: [[T; MB]; 2] = if MB == 10 {
            let d = dot_2x10::<S, T>(simd, w, std::array::from_fn(|c| a[c]));
            std::array::from_fn(|r| std::array::from_fn(|c| d[r][c]))
        } else {
            let d = dot_2x5::<S, T>(simd, w, std::array::from_fn(|c| a[c]));
            std::array::from_fn(|r| std::array::from_fn(|c| d[r][c]))
        };
        // A neuron paired with itself is written once.
        let rows = if i[0] == i[1] { 1 } else { 2 };
        for (r, row) in d.iter().enumerate().take(rows) {
            for (c, &v) in row.iter().enumerate() {
                let z = &mut self.z[(j + c) * self.n_out + i[r]];
                *z = v + if k.start == 0 { self.b[i[r]] } else { *z };
            }
        }
    }

    /// The block of neurons `i..i + NB` and examples `j..j + MB`.
    #[inline(always)]
    fn block<S: Simd, const NB: usize, const MB: usize>(&mut self, simd: S, i: usize, j: usize) {
        let n_in = self.n_in;
        let w: [&[T]; NB] = std::array::from_fn(|r| &self.w[(i + r) * n_in..(i + r + 1) * n_in]);
        let a: [&[T]; MB] = std::array::from_fn(|c| &self.a[(j + c) * n_in..(j + c + 1) * n_in]);
        let d = if NB == 2 && MB == 4 {
            // Same shapes, written out: see `dot_2x4`.
            let w2: [&[T]; 2] = std::array::from_fn(|r| w[r]);
            let a4: [&[T]; 4] = std::array::from_fn(|c| a[c]);
            let d = dot_2x4::<S, T>(simd, w2, a4);
            std::array::from_fn(|r| std::array::from_fn(|c| d[r][c]))
        } else {
            dot_block::<S, T, NB, MB>(simd, w, a)
        };
        for (r, row) in d.iter().enumerate() {
            for (c, &v) in row.iter().enumerate() {
                self.z[(j + c) * self.n_out + i + r] = v + self.b[i + r];
            }
        }
    }
}

/// The examples that fill whole blocks of [`wide_block`], as its own
/// dispatched function (inlined with the narrow blocks, LLVM compiles both
/// worse); returns how many examples it did.
struct WideWeightedInputs<'a, 'b, T>(&'b mut WeightedInputs<'a, T>);

impl<T: Elem + std::ops::Add<Output = T>> WithSimd for WideWeightedInputs<'_, '_, T> {
    type Output = usize;

    #[inline(always)]
    fn with_simd<S: Simd>(self, simd: S) -> usize {
        let this = self.0;
        let wide = wide_block::<S, T>();
        let done = this.m / wide * wide;
        let part = input_part::<T>(this.n_in, wide);
        for j in (0..done).step_by(wide) {
            for k0 in (0..this.n_in).step_by(part) {
                let k = k0..(k0 + part).min(this.n_in);
                // Pairs of neurons; an odd last neuron is paired with itself.
                for i in (0..this.n_out).step_by(2) {
                    let i1 = (i + 1).min(this.n_out - 1);
                    if wide == 10 {
                        this.wide::<S, 10>(simd, [i, i1], j, k.clone());
                    } else {
                        this.wide::<S, 5>(simd, [i, i1], j, k.clone());
                    }
                }
            }
        }
        done
    }
}

impl<T: Elem + std::ops::Add<Output = T>> WithSimd for WeightedInputs<'_, T> {
    type Output = ();

    #[inline(always)]
    fn with_simd<S: Simd>(mut self, simd: S) {
        let (n_out, m) = (self.n_out, self.m);
        let mut j = 0;
        while j < m {
            let mb = (m - j).min(4);
            let mut i = 0;
            if mb == 2 {
                // Two examples left: four neurons at a time keep eight
                // accumulators busy, as in the 2 × 4 block.
                while n_out - i >= 4 {
                    self.block_4x2(simd, i, j);
                    i += 4;
                }
            }
            while i < n_out {
                let nb = (n_out - i).min(2);
                match (nb, mb) {
                    (2, 4) => self.block::<S, 2, 4>(simd, i, j),
                    (2, 3) => self.block::<S, 2, 3>(simd, i, j),
                    (2, 2) => self.block::<S, 2, 2>(simd, i, j),
                    (2, _) => self.block::<S, 2, 1>(simd, i, j),
                    (_, 4) => self.block::<S, 1, 4>(simd, i, j),
                    (_, 3) => self.block::<S, 1, 3>(simd, i, j),
                    (_, 2) => self.block::<S, 1, 2>(simd, i, j),
                    _ => self.block::<S, 1, 1>(simd, i, j),
                }
                i += nb;
            }
            j += mb;
        }
    }
}

/// The weighted inputs of one layer for a batch: `z[i, j] = w_i · a_j + b_i`.
///
/// `w`: n_in × n_out (neuron-major), `b`: n_out, `a`: n_in × m, `z`: n_out × m.
///
/// # Panics
/// If a slice is shorter than its shape says (an internal invariant).
pub(crate) fn weighted_inputs<T: Elem + std::ops::Add<Output = T>>(
    w: &[T],
    b: &[T],
    a: &[T],
    n_in: usize,
    n_out: usize,
    m: usize,
    z: &mut [T],
) {
    assert!(w.len() >= n_in * n_out && b.len() >= n_out);
    assert!(a.len() >= n_in * m && z.len() >= n_out * m);
    let threads = threads_for(n_in * n_out * m, m.div_ceil(4));
    if threads > 1 {
        // Split the examples: each thread writes its own columns of z.
        split_across_threads(threads, m, n_out, z, |j, zt| {
            let at = &a[j.start * n_in..j.end * n_in];
            weighted_inputs(w, b, at, n_in, n_out, j.len(), zt);
        });
        return;
    }
    let mut op = WeightedInputs {
        w,
        b,
        a,
        n_in,
        n_out,
        m,
        z,
    };
    let done = dispatch(WideWeightedInputs(&mut op));
    if done < m {
        dispatch(WeightedInputs {
            a: &a[done * n_in..],
            m: m - done,
            z: &mut op.z[done * n_out..],
            ..op
        });
    }
}

/// `w_r ← β·w_r + Σ_c coef[r][c]·a_c` for `NB` neurons and `TB` examples,
/// all vectors of the same length; the tail goes through masked loads and
/// stores.
#[inline(always)]
fn update_block<S: Simd, T: Elem, const NB: usize, const TB: usize>(
    simd: S,
    w: [&mut [T]; NB],
    beta: T,
    coef: [[T; TB]; NB],
    a: [&[T]; TB],
) {
    let w = w.map(|v| T::as_mut_simd::<S>(v));
    let av = a.map(|v| T::as_simd::<S>(v));
    let chunks = av[0].0.len();
    let ah = av.map(|(v, _)| &v[..chunks]);
    let beta = T::splat(simd, beta);
    let coef = coef.map(|row| row.map(|c| T::splat(simd, c)));
    let zero = T::splat(simd, T::default());
    for k in 0..chunks {
        let mut ak = [zero; TB];
        for c in 0..TB {
            ak[c] = ah[c][k];
        }
        for r in 0..NB {
            let wr = &mut w[r].0[..chunks];
            let mut acc = T::mul(simd, beta, wr[k]);
            for c in 0..TB {
                acc = T::fma(simd, coef[r][c], ak[c], acc);
            }
            wr[k] = acc;
        }
    }
    if !av[0].1.is_empty() {
        let at = av.map(|(_, t)| T::load_partial(simd, t));
        for r in 0..NB {
            let tail = &mut *w[r].1;
            let mut acc = T::mul(simd, beta, T::load_partial(simd, tail));
            for c in 0..TB {
                acc = T::fma(simd, coef[r][c], at[c], acc);
            }
            T::store_partial(simd, tail, acc);
        }
    }
}

/// The 2 × 4 block of [`update_block`] with named variables (see
/// [`dot_2x4`]).
#[inline(always)]
fn update_2x4<S: Simd, T: Elem>(
    simd: S,
    w: [&mut [T]; 2],
    beta: T,
    coef: [[T; 4]; 2],
    a: [&[T]; 4],
) {
    let [w0, w1] = w;
    let (w0, w0t) = T::as_mut_simd::<S>(w0);
    let (w1, w1t) = T::as_mut_simd::<S>(w1);
    let (a0, a0t) = T::as_simd::<S>(a[0]);
    let (a1, a1t) = T::as_simd::<S>(a[1]);
    let (a2, a2t) = T::as_simd::<S>(a[2]);
    let (a3, a3t) = T::as_simd::<S>(a[3]);
    let n = a0.len();
    let (w0, w1, a0, a1, a2, a3) = (
        &mut w0[..n],
        &mut w1[..n],
        &a0[..n],
        &a1[..n],
        &a2[..n],
        &a3[..n],
    );
    let b = T::splat(simd, beta);
    let k = |c: T| T::splat(simd, c);
    let (k00, k01, k02, k03) = (k(coef[0][0]), k(coef[0][1]), k(coef[0][2]), k(coef[0][3]));
    let (k10, k11, k12, k13) = (k(coef[1][0]), k(coef[1][1]), k(coef[1][2]), k(coef[1][3]));
    let step = |p: T::V<S>, q: T::V<S>, x0, x1, x2, x3| {
        let mut p = T::mul(simd, b, p);
        let mut q = T::mul(simd, b, q);
        p = T::fma(simd, k00, x0, p);
        q = T::fma(simd, k10, x0, q);
        p = T::fma(simd, k01, x1, p);
        q = T::fma(simd, k11, x1, q);
        p = T::fma(simd, k02, x2, p);
        q = T::fma(simd, k12, x2, q);
        p = T::fma(simd, k03, x3, p);
        q = T::fma(simd, k13, x3, q);
        (p, q)
    };
    for i in 0..n {
        (w0[i], w1[i]) = step(w0[i], w1[i], a0[i], a1[i], a2[i], a3[i]);
    }
    if !a0t.is_empty() {
        let l = |t: &[T]| T::load_partial(simd, t);
        let (p, q) = step(l(w0t), l(w1t), l(a0t), l(a1t), l(a2t), l(a3t));
        T::store_partial(simd, w0t, p);
        T::store_partial(simd, w1t, q);
    }
}

struct UpdateWeights<'a, T> {
    w: &'a mut [T],
    beta: T,
    coef: &'a [T],
    a: &'a [T],
    n_in: usize,
    n_out: usize,
    m: usize,
    /// Examples `0..skip` already applied to the pairs of neurons (all but
    /// an odd last one) by [`WideUpdateWeights`].
    skip: usize,
}

/// Bytes of activations per tile of the update.
const UPDATE_TILE_BYTES: usize = 256 << 10;

/// Activations per tile of the update: as many examples (a multiple of 20)
/// as fit in about 256 KiB, so that a tile stays in the L2 cache while
/// every neuron uses it.
fn update_tile<T>(n_in: usize) -> usize {
    (UPDATE_TILE_BYTES / (n_in * std::mem::size_of::<T>()).max(1)).max(20) / 20 * 20
}

/// The examples that fill whole blocks of [`wide_block`], for the pairs of
/// neurons, as its own dispatched function (see [`WideWeightedInputs`]);
/// returns how many examples it did.
struct WideUpdateWeights<'a, 'b, T>(&'b mut UpdateWeights<'a, T>);

impl<T: Elem> WithSimd for WideUpdateWeights<'_, '_, T> {
    type Output = usize;

    #[inline(always)]
    fn with_simd<S: Simd>(self, simd: S) -> usize {
        let this = self.0;
        let wide = wide_block::<S, T>();
        let done = this.m / wide * wide;
        let pairs = this.n_out / 2 * 2;
        if pairs == 0 {
            return 0;
        }
        let tile = update_tile::<T>(this.n_in);
        let part = input_part::<T>(this.n_in, wide);
        for t0 in (0..done).step_by(tile) {
            let t1 = (t0 + tile).min(done);
            for k0 in (0..this.n_in).step_by(part) {
                let k = k0..(k0 + part).min(this.n_in);
                for i in (0..pairs).step_by(2) {
                    for t in (t0..t1).step_by(wide) {
                        let beta = if t == 0 { this.beta } else { T::ONE };
                        if wide == 10 {
                            this.wide::<S, 10>(simd, i, t, beta, k.clone());
                        } else {
                            this.wide::<S, 5>(simd, i, t, beta, k.clone());
                        }
                    }
                }
            }
        }
        done
    }
}

impl<T: Elem> UpdateWeights<'_, T> {
    /// Neurons `i..i + NB` with examples `t..t + TB`, scaling by `beta` first.
    #[inline(always)]
    fn block<S: Simd, const NB: usize, const TB: usize>(
        &mut self,
        simd: S,
        i: usize,
        t: usize,
        beta: T,
    ) {
        let (n_in, m) = (self.n_in, self.m);
        let mut rows = self.w[i * n_in..(i + NB) * n_in].chunks_exact_mut(n_in);
        let w: [&mut [T]; NB] = std::array::from_fn(|_| rows.next().expect("NB rows"));
        let coef: [[T; TB]; NB] =
            std::array::from_fn(|r| std::array::from_fn(|c| self.coef[(i + r) * m + t + c]));
        let a: [&[T]; TB] = std::array::from_fn(|c| &self.a[(t + c) * n_in..(t + c + 1) * n_in]);
        if NB == 2 && TB == 4 {
            // Same shapes, written out: see `update_2x4`.
            let mut it = w.into_iter();
            let w2: [&mut [T]; 2] = std::array::from_fn(|_| it.next().expect("2 rows"));
            let c2: [[T; 4]; 2] = std::array::from_fn(|r| std::array::from_fn(|c| coef[r][c]));
            let a4: [&[T]; 4] = std::array::from_fn(|c| a[c]);
            update_2x4::<S, T>(simd, w2, beta, c2, a4);
        } else {
            update_block::<S, T, NB, TB>(simd, w, beta, coef, a);
        }
    }

    /// Neurons `i` and `i + 1` with examples `t..t + TB`, TB = 5 or 10, over
    /// the inputs `k`.
    #[inline(always)]
    fn wide<S: Simd, const TB: usize>(
        &mut self,
        simd: S,
        i: usize,
        t: usize,
        beta: T,
        k: std::ops::Range<usize>,
    ) {
        let (n_in, m) = (self.n_in, self.m);
        let (w0, w1) = self.w[i * n_in..(i + 2) * n_in].split_at_mut(n_in);
        let (w0, w1) = (&mut w0[k.clone()], &mut w1[k.clone()]);
        let coef: [[T; TB]; 2] =
            std::array::from_fn(|r| std::array::from_fn(|c| self.coef[(i + r) * m + t + c]));
        let a: [&[T]; TB] =
            std::array::from_fn(|c| &self.a[(t + c) * n_in + k.start..(t + c) * n_in + k.end]);
        if TB == 10 {
            let c10 = std::array::from_fn(|r| std::array::from_fn(|c| coef[r][c]));
            update_2x10::<S, T>(simd, [w0, w1], beta, c10, std::array::from_fn(|c| a[c]));
        } else {
            let c5 = std::array::from_fn(|r| std::array::from_fn(|c| coef[r][c]));
            update_2x5::<S, T>(simd, [w0, w1], beta, c5, std::array::from_fn(|c| a[c]));
        }
    }

    /// Examples `t0..t1` for neurons `i..i + NB`, in blocks of up to 4;
    /// `beta` scales the weights in the first block only.
    #[inline(always)]
    fn neurons<S: Simd, const NB: usize>(
        &mut self,
        simd: S,
        i: usize,
        t0: usize,
        t1: usize,
        mut beta: T,
    ) {
        let mut t = t0;
        while t < t1 {
            let tb = (t1 - t).min(4);
            match tb {
                4 => self.block::<S, NB, 4>(simd, i, t, beta),
                3 => self.block::<S, NB, 3>(simd, i, t, beta),
                2 => self.block::<S, NB, 2>(simd, i, t, beta),
                _ => self.block::<S, NB, 1>(simd, i, t, beta),
            }
            t += tb;
            beta = T::ONE;
        }
    }
}

impl<T: Elem> WithSimd for UpdateWeights<'_, T> {
    type Output = ();

    #[inline(always)]
    fn with_simd<S: Simd>(mut self, simd: S) {
        let tile = update_tile::<T>(self.n_in);
        let first_beta = self.beta;
        let beta_from = |t: usize| if t == 0 { first_beta } else { T::ONE };
        let mut t0 = 0;
        while t0 < self.m {
            let t1 = (t0 + tile).min(self.m);
            let mut i = 0;
            while i < self.n_out {
                // Two neurons at a time share the loads of the activations.
                if self.n_out - i >= 2 {
                    let lo = t0.max(self.skip);
                    if lo < t1 {
                        self.neurons::<S, 2>(simd, i, lo, t1, beta_from(lo));
                    }
                    i += 2;
                } else {
                    self.neurons::<S, 1>(simd, i, t0, t1, beta_from(t0));
                    i += 1;
                }
            }
            t0 = t1;
        }
    }
}

/// The SGD step for one layer's weights, fused: for every neuron `i`,
/// `w_i ← β·w_i + Σ_t coef[i, t]·a_t`.
///
/// With β = 1 − ηλ/n and coef = −(η/m)·δ this is the SGD update with weight
/// decay; with β = 0 and coef = δ/m it writes the averaged gradient.
///
/// `w`: n_in × n_out (neuron-major), `coef`: m × n_out (neuron `i`'s
/// coefficients contiguous), `a`: n_in × m, m ≥ 1.
///
/// # Panics
/// If a slice is shorter than its shape says (an internal invariant).
pub(crate) fn update_weights<T: Elem>(
    w: &mut [T],
    beta: T,
    coef: &[T],
    a: &[T],
    n_in: usize,
    n_out: usize,
    m: usize,
) {
    assert!(m >= 1 && w.len() >= n_in * n_out && coef.len() >= m * n_out && a.len() >= n_in * m);
    let threads = threads_for(n_in * n_out * m, n_out.div_ceil(2));
    if threads > 1 {
        // Split the neurons: each thread updates its own weight vectors.
        split_across_threads(threads, n_out, n_in, w, |i, wt| {
            let ct = &coef[i.start * m..i.end * m];
            update_weights(wt, beta, ct, a, n_in, i.len(), m);
        });
        return;
    }
    let mut op = UpdateWeights {
        w,
        beta,
        coef,
        a,
        n_in,
        n_out,
        m,
        skip: 0,
    };
    op.skip = dispatch(WideUpdateWeights(&mut op));
    if op.skip < m || n_out % 2 == 1 {
        dispatch(op);
    }
}

struct BackPropagate<'a, T> {
    w: &'a [T],
    delta: &'a [T],
    n_in: usize,
    n_out: usize,
    m: usize,
    out: &'a mut [T],
}

impl<T: Elem> WithSimd for BackPropagate<'_, T> {
    type Output = ();

    #[inline(always)]
    fn with_simd<S: Simd>(self, simd: S) {
        let Self {
            w,
            delta,
            n_in,
            n_out,
            m,
            out,
        } = self;
        let zero = T::splat(simd, T::default());
        for (j, oj) in out.chunks_exact_mut(n_in).take(m).enumerate() {
            let dj = &delta[j * n_out..(j + 1) * n_out];
            let (ov, ot) = T::as_mut_simd::<S>(oj);
            for (k, o) in ov.iter_mut().enumerate() {
                let mut acc = zero;
                for (i, &d) in dj.iter().enumerate() {
                    let wi = T::as_simd::<S>(&w[i * n_in..(i + 1) * n_in]).0;
                    acc = T::fma(simd, T::splat(simd, d), wi[k], acc);
                }
                *o = acc;
            }
            if !ot.is_empty() {
                let mut acc = zero;
                for (i, &d) in dj.iter().enumerate() {
                    let wt = T::as_simd::<S>(&w[i * n_in..(i + 1) * n_in]).1;
                    acc = T::fma(simd, T::splat(simd, d), T::load_partial(simd, wt), acc);
                }
                T::store_partial(simd, ot, acc);
            }
        }
    }
}

/// Propagates errors back through one layer's weights: `out = W_trueᵀ · δ`,
/// that is `out[:, j] = Σ_i δ[i, j]·w_i`.
///
/// `w`: n_in × n_out (neuron-major), `delta`: n_out × m, `out`: n_in × m.
///
/// # Panics
/// If a slice is shorter than its shape says (an internal invariant).
pub(crate) fn back_propagate<T: Elem>(
    w: &[T],
    delta: &[T],
    n_in: usize,
    n_out: usize,
    m: usize,
    out: &mut [T],
) {
    assert!(w.len() >= n_in * n_out && delta.len() >= n_out * m && out.len() >= n_in * m);
    dispatch(BackPropagate {
        w,
        delta,
        n_in,
        n_out,
        m,
        out,
    });
}

/// σ(z) = 1/(1+e^(−z)) on a vector of `f32`.
///
/// e^x for x = −z, clamped to ±126·ln 2 so that nothing overflows, is
/// 2ⁿ·eʳ with n = round(x·log₂e) (the magic-number trick) and
/// r = x − n·ln 2 ∈ [−½ ln 2, ½ ln 2], computed with ln 2 split in a high
/// and a low part so that r keeps its accuracy for large |x| (Cody and
/// Waite). eʳ is its degree-6 Taylor polynomial (relative error below
/// 1.3·10⁻⁷), and 2ⁿ is built in the exponent bits. Because of the clamp,
/// σ(z) for z < −87.3 is about 1.2·10⁻³⁸ (the smallest normal `f32`)
/// rather than a subnormal or 0; it never leaves [0, 1].
#[inline(always)]
fn sigmoid_f32s<S: Simd>(simd: S, z: S::f32s) -> S::f32s {
    const LIMIT: f32 = 126.0 * std::f32::consts::LN_2;
    const LN2_HI: f32 = 0.693_359_4; // 0.693359375: few bits, so n·LN2_HI is exact
    const LN2_LO: f32 = -2.121_944_4e-4;
    let x = simd.sub_f32s(simd.splat_f32s(0.0), z);
    let x = simd.min_f32s(
        simd.max_f32s(x, simd.splat_f32s(-LIMIT)),
        simd.splat_f32s(LIMIT),
    );
    let magic = simd.splat_f32s(12_582_912.0); // 1.5·2²³: adding it rounds to an integer
    let t = simd.mul_add_e_f32s(x, simd.splat_f32s(std::f32::consts::LOG2_E), magic);
    let n = simd.sub_f32s(t, magic);
    let r = simd.mul_add_e_f32s(n, simd.splat_f32s(-LN2_HI), x);
    let r = simd.mul_add_e_f32s(n, simd.splat_f32s(-LN2_LO), r);
    let mut p = simd.splat_f32s(1.0 / 720.0);
    for c in [1.0 / 120.0, 1.0 / 24.0, 1.0 / 6.0, 0.5, 1.0, 1.0] {
        p = simd.mul_add_e_f32s(p, r, simd.splat_f32s(c));
    }
    // The low bits of t hold n; (n + 127)·2²³ are the bits of 2ⁿ.
    let ni = simd.sub_u32s(simd.transmute_u32s_f32s(t), simd.transmute_u32s_f32s(magic));
    let bits = simd.mul_u32s(
        simd.add_u32s(ni, simd.splat_u32s(127)),
        simd.splat_u32s(1 << 23),
    );
    let e = simd.mul_f32s(p, simd.transmute_f32s_u32s(bits));
    let one = simd.splat_f32s(1.0);
    simd.div_f32s(one, simd.add_f32s(one, e))
}

/// σ(z) on a vector of `f64`: as [`sigmoid_f32s`], with x clamped to
/// ±1022·ln 2 (so σ bottoms out near the smallest normal `f64`, 2.2·10⁻³⁰⁸)
/// and a degree-12 polynomial (relative error below 10⁻¹⁵).
#[inline(always)]
fn sigmoid_f64s<S: Simd>(simd: S, z: S::f64s) -> S::f64s {
    const LIMIT: f64 = 1022.0 * std::f64::consts::LN_2;
    const LN2_HI: f64 = 0.693_147_180_369_123_8;
    const LN2_LO: f64 = 1.908_214_929_270_587_7e-10;
    let x = simd.sub_f64s(simd.splat_f64s(0.0), z);
    let x = simd.min_f64s(
        simd.max_f64s(x, simd.splat_f64s(-LIMIT)),
        simd.splat_f64s(LIMIT),
    );
    let magic = simd.splat_f64s(6_755_399_441_055_744.0); // 1.5·2⁵²
    let t = simd.mul_add_e_f64s(x, simd.splat_f64s(std::f64::consts::LOG2_E), magic);
    let n = simd.sub_f64s(t, magic);
    let r = simd.mul_add_e_f64s(n, simd.splat_f64s(-LN2_HI), x);
    let r = simd.mul_add_e_f64s(n, simd.splat_f64s(-LN2_LO), r);
    // 1/k! for k = 12 down to 0.
    let mut inv_factorial = [1.0f64; 13];
    for k in 1..13 {
        inv_factorial[k] = inv_factorial[k - 1] / k as f64;
    }
    let mut p = simd.splat_f64s(inv_factorial[12]);
    for &c in inv_factorial[..12].iter().rev() {
        p = simd.mul_add_e_f64s(p, r, simd.splat_f64s(c));
    }
    let ni = simd.sub_u64s(simd.transmute_u64s_f64s(t), simd.transmute_u64s_f64s(magic));
    let bits = simd.mul_u64s(
        simd.add_u64s(ni, simd.splat_u64s(1023)),
        simd.splat_u64s(1 << 52),
    );
    let e = simd.mul_f64s(p, simd.transmute_f64s_u64s(bits));
    let one = simd.splat_f64s(1.0);
    simd.div_f64s(one, simd.add_f64s(one, e))
}

struct SigmoidInPlace<'a, T>(&'a mut [T]);

impl<T: Elem> WithSimd for SigmoidInPlace<'_, T> {
    type Output = ();

    #[inline(always)]
    fn with_simd<S: Simd>(self, simd: S) {
        let (head, tail) = T::as_mut_simd::<S>(self.0);
        for v in head {
            *v = T::sigmoid_v(simd, *v);
        }
        if !tail.is_empty() {
            let v = T::sigmoid_v(simd, T::load_partial(simd, tail));
            T::store_partial(simd, tail, v);
        }
    }
}

/// Replaces every weighted input z in `z` by its activation σ(z), with the
/// vectorised σ above (within a few units in the last place of the scalar
/// [`crate::sigmoid`]).
pub(crate) fn sigmoid_in_place<T: Elem>(z: &mut [T]) {
    dispatch(SigmoidInPlace(z));
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The instruction sets a test can make the kernels use.
    #[derive(Clone, Copy, Debug, PartialEq)]
    pub(super) enum Level {
        /// The widest this CPU has (AVX-512 or AVX2 on x86-64).
        Best,
        /// AVX2 + FMA, where the CPU has them.
        V3,
        /// pulp's portable scalar code.
        Scalar,
    }

    thread_local! {
        pub(super) static LEVEL: Cell<Level> = const { Cell::new(Level::Best) };
    }

    /// Runs `f` with the kernels at each level in turn: every block shape
    /// (10, 5 or 4 examples wide, masked tails) is checked on this machine.
    fn at_every_level(mut f: impl FnMut(Level)) {
        for level in [Level::Best, Level::V3, Level::Scalar] {
            LEVEL.with(|l| l.set(level));
            f(level);
        }
        LEVEL.with(|l| l.set(Level::Best));
    }

    /// Neuron-major weights as a plain function of (k, i).
    fn naive_z(w: &[f64], b: &[f64], a: &[f64], n_in: usize, n_out: usize, m: usize) -> Vec<f64> {
        let mut z = vec![0.0; n_out * m];
        for j in 0..m {
            for i in 0..n_out {
                let mut s = b[i];
                for k in 0..n_in {
                    s += w[i * n_in + k] * a[j * n_in + k];
                }
                z[j * n_out + i] = s;
            }
        }
        z
    }

    fn seq(n: usize, scale: f64) -> Vec<f64> {
        (0..n)
            .map(|x| ((x * 7919 % 97) as f64 - 48.0) * scale)
            .collect()
    }

    #[test]
    fn weighted_inputs_match_naive_for_awkward_shapes() {
        // Odd neuron counts, and batches with and without a remainder after
        // the blocks of 10 and of 5 examples.
        let shapes = [
            (1, 1, 1),
            (17, 3, 5),
            (33, 5, 7),
            (784, 30, 10),
            (40, 2, 4),
            (19, 7, 13),
            (784, 31, 23),
            (9, 1, 20),
            // Inputs long enough to be split into parts, the last one
            // ending in a masked tail, in f32 as in f64.
            (1500, 3, 10),
        ];
        at_every_level(|level| {
            for &(n_in, n_out, m) in &shapes {
                let w = seq(n_in * n_out, 0.01);
                let b = seq(n_out, 0.1);
                let a = seq(n_in * m, 0.02);
                let mut z = vec![0.0; n_out * m];
                weighted_inputs(&w, &b, &a, n_in, n_out, m, &mut z);
                let expect = naive_z(&w, &b, &a, n_in, n_out, m);
                for (x, y) in z.iter().zip(&expect) {
                    assert!(
                        (x - y).abs() < 1e-9,
                        "{level:?} {n_in}x{n_out}x{m}: {x} vs {y}"
                    );
                }
                // f32 agrees to f32 precision.
                let f = |v: &[f64]| v.iter().map(|&x| x as f32).collect::<Vec<f32>>();
                let mut z32 = vec![0.0f32; n_out * m];
                weighted_inputs(&f(&w), &f(&b), &f(&a), n_in, n_out, m, &mut z32);
                for (x, y) in z32.iter().zip(&expect) {
                    assert!(
                        (f64::from(*x) - y).abs() < 1e-3,
                        "{level:?} f32 {n_in}x{n_out}x{m}: {x} vs {y}"
                    );
                }
            }
        });
    }

    #[test]
    fn inputs_are_split_only_when_a_block_outgrows_l1() {
        // Ten f32 images of 784 pixels (31 KB) stay whole; in f64 (63 KB)
        // they are halved, in whole vectors.
        assert_eq!(input_part::<f32>(784, 10), 784);
        assert_eq!(input_part::<f64>(784, 10), 400);
        assert_eq!(input_part::<f32>(1500, 10), 752);
        assert_eq!(input_part::<f64>(1500, 10), 512);
        assert_eq!(input_part::<f64>(1, 10), 1);
        for n_in in [1, 100, 784, 1024, 1025, 5000, 100_000] {
            let part = input_part::<f64>(n_in, 10);
            assert!(
                part == n_in
                    || (part.is_multiple_of(16) && part * 80 <= WIDE_BLOCK_BYTES + 16 * 80)
            );
        }
    }

    #[test]
    fn update_matches_naive() {
        // (784, 3, 100) in f64 spans tiles of 40, 40 and 20 examples; the
        // others have odd neuron counts or a remainder after the blocks of
        // 10 and of 5 examples.
        let shapes = [
            (37, 3, 4),
            (8, 1, 1),
            (784, 2, 10),
            (784, 3, 100),
            (19, 5, 13),
            (33, 4, 27),
            (9, 1, 20),
            (1500, 4, 10),
        ];
        at_every_level(|level| {
            for &(n_in, n_out, m) in &shapes {
                let mut w = seq(n_in * n_out, 0.01);
                let w0 = w.clone();
                let coef = seq(m * n_out, 0.05);
                let a = seq(n_in * m, 0.02);
                update_weights(&mut w, 0.9, &coef, &a, n_in, n_out, m);
                for i in 0..n_out {
                    for k in 0..n_in {
                        let mut s = 0.9 * w0[i * n_in + k];
                        for t in 0..m {
                            s += coef[i * m + t] * a[t * n_in + k];
                        }
                        let got = w[i * n_in + k];
                        assert!(
                            (got - s).abs() < 1e-12,
                            "{level:?} {n_in}x{n_out}x{m}: {got} vs {s}"
                        );
                    }
                }
            }
        });
    }

    #[test]
    fn vector_sigmoid_matches_the_scalar_one() {
        let zs: Vec<f64> = (-2000..=2000)
            .map(|i| f64::from(i) * 0.05)
            .chain([
                -1e30, -1000.0, -88.0, -87.5, 87.5, 88.0, 1000.0, 1e30, 0.0, -0.0,
            ])
            .collect();
        at_every_level(|level| {
            let mut v64 = zs.clone();
            sigmoid_in_place(&mut v64);
            let mut v32: Vec<f32> = zs.iter().map(|&z| z as f32).collect();
            sigmoid_in_place(&mut v32);
            for ((&z, &a64), &a32) in zs.iter().zip(&v64).zip(&v32) {
                let exact = crate::sigmoid(z);
                assert!(
                    (0.0..=1.0).contains(&a64) && (0.0..=1.0).contains(&a32),
                    "σ({z})"
                );
                assert!(
                    (a64 - exact).abs() <= 1e-15 * exact + 2.0 * f64::MIN_POSITIVE,
                    "{level:?} f64 σ({z}) = {a64}, expected {exact}"
                );
                // Below z ≈ −87.3 the f32 version stops at the smallest normal f32.
                let exact32 = crate::sigmoid(z as f32);
                assert!(
                    (a32 - exact32).abs() <= 4e-7 * exact32 + 2.0 * f32::MIN_POSITIVE,
                    "{level:?} f32 σ({z}) = {a32}, expected {exact32}"
                );
            }
        });
    }

    #[test]
    fn back_propagate_matches_naive() {
        at_every_level(|level| {
            for &(n_in, n_out, m) in &[(5, 3, 2), (30, 10, 10), (17, 4, 3)] {
                let w = seq(n_in * n_out, 0.1);
                let d = seq(n_out * m, 0.3);
                let mut out = vec![1.0; n_in * m];
                back_propagate(&w, &d, n_in, n_out, m, &mut out);
                for j in 0..m {
                    for k in 0..n_in {
                        let s: f64 = (0..n_out).map(|i| d[j * n_out + i] * w[i * n_in + k]).sum();
                        assert!((out[j * n_in + k] - s).abs() < 1e-12, "{level:?}");
                    }
                }
            }
        });
    }
}
