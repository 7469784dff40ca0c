//! The SIMD building blocks every kernel is made of.
//!
//! - [`Elem`]: `f32` and `f64` with their pulp vectors and the few vector
//!   operations the kernels use.
//! - The *dot blocks* (`dot_block`, `dot_2x4`, `dot_2x5`, `dot_2x10`):
//!   `NB` weight vectors against `MB` activation vectors, every product
//!   summed in its own accumulator; used by the weighted inputs.
//! - The *update blocks* (`update_block`, `update_2x4`, `update_2x5`,
//!   `update_2x10`): `w_r ← β·w_r + Σ_c coef[r][c]·a_c` for `NB` neurons and
//!   `TB` examples; used by the weight update.
//! - The block shapes shared by both: [`wide_block`] (10 or 5 examples)
//!   and [`input_part`] (splitting long inputs so a block stays in L1).
//!
//! The 2 × 4, 2 × 5 and 2 × 10 blocks are written out with named
//! variables rather than arrays: LLVM keeps named vectors in registers,
//! arrays of more than about 256 bytes of them it does not.

use pulp::Simd;

/// The scalar types the kernels are written for, with their pulp vectors.
///
/// Implemented for `f32` and `f64` only; a bound of [`crate::Real`]
/// (through its private supertrait), so the crate's scalar type is one of
/// the two. The file format's byte codec lives with `Real` in
/// `crate::scalar`, not here.
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
    /// `a + b`.
    fn add<S: Simd>(simd: S, a: Self::V<S>, b: Self::V<S>) -> Self::V<S>;
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
    /// `s` as `f32`s if `Self` is `f32` (for code written for `f32` only).
    fn as_f32(s: &[Self]) -> Option<&[f32]>;
    /// `s` as `f32`s if `Self` is `f32`.
    fn as_f32_mut(s: &mut [Self]) -> Option<&mut [f32]>;
}

macro_rules! impl_elem {
    ($t:ty, $v:ident, $as_simd:ident, $as_mut_simd:ident, $splat:ident, $fma:ident, $add:ident, $mul:ident, $sum:ident, $load:ident, $store:ident, $sigmoid:ident, $as_f32:ident, $as_f32_mut:ident) => {
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
            fn add<S: Simd>(simd: S, a: Self::V<S>, b: Self::V<S>) -> Self::V<S> {
                simd.$add(a, b)
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
                super::activation::$sigmoid(simd, z)
            }
            #[inline(always)]
            fn as_f32(s: &[Self]) -> Option<&[f32]> {
                $as_f32(s)
            }
            #[inline(always)]
            fn as_f32_mut(s: &mut [Self]) -> Option<&mut [f32]> {
                $as_f32_mut(s)
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
    add_f32s,
    mul_f32s,
    reduce_sum_f32s,
    partial_load_f32s,
    partial_store_f32s,
    sigmoid_f32s,
    Some,
    Some
);
impl_elem!(
    f64,
    f64s,
    as_simd_f64s,
    as_mut_simd_f64s,
    splat_f64s,
    mul_add_e_f64s,
    add_f64s,
    mul_f64s,
    reduce_sum_f64s,
    partial_load_f64s,
    partial_store_f64s,
    sigmoid_f64s,
    none,
    none
);

/// No `f32` view (of `f64`s).
fn none<X, Y>(_: X) -> Option<Y> {
    None
}

/// Bytes of activations a block of examples may take: they are read again
/// for every pair of neurons, so they should stay in the L1 cache (48 KiB on
/// recent x86 cores) next to the streaming weights.
pub(super) const WIDE_BLOCK_BYTES: usize = 40 << 10;

/// The length of the parts the inputs are split into, so that `wide`
/// examples' part of the activations fits [`WIDE_BLOCK_BYTES`]: all of
/// them for 784 `f32` pixels, halves for `f64`. A multiple of 16 elements
/// (a whole number of vectors) unless it is the whole input.
pub(super) fn input_part<T>(n_in: usize, wide: usize) -> usize {
    let bytes = n_in.saturating_mul(wide * std::mem::size_of::<T>());
    if bytes <= WIDE_BLOCK_BYTES {
        return n_in.max(1);
    }
    n_in.div_ceil(bytes.div_ceil(WIDE_BLOCK_BYTES))
        .next_multiple_of(16)
}

/// `[f(0), …, f(N − 1)]`, filled by a plain loop from `[fill; N]`.
///
/// `std::array::from_fn` and `<[T; N]>::map` do the same, but each call
/// site of theirs instantiates half a dozen functions of `core::array` for
/// every SIMD level, element type and block size. In these kernels they
/// made about a third of the LLVM IR of the library and of a program that
/// trains, and so of its build time; this one inlines to the same code.
#[inline(always)]
pub(super) fn array<T: Copy, const N: usize>(fill: T, mut f: impl FnMut(usize) -> T) -> [T; N] {
    let mut out = [fill; N];
    // A counted loop: an iterator here would add its own instances too.
    let mut i = 0;
    while i < N {
        out[i] = f(i);
        i += 1;
    }
    out
}

/// Examples per block of the wide kernels: 10 with 512-bit vectors (32
/// registers hold the 20 accumulators), 5 with narrower ones (16 registers).
#[inline(always)]
pub(super) fn wide_block<S: Simd, T: Elem>() -> usize {
    if std::mem::size_of::<T::V<S>>() >= 64 {
        10
    } else {
        5
    }
}

/// Dot products of `NB` weight vectors with `MB` activation vectors, all of
/// the same length; the tail shorter than a vector goes through masked loads.
#[inline(always)]
pub(super) fn dot_block<S: Simd, T: Elem, const NB: usize, const MB: usize>(
    simd: S,
    w: [&[T]; NB],
    a: [&[T]; MB],
) -> [[T; MB]; NB] {
    let none: (&[T::V<S>], &[T]) = (&[], &[]);
    let wv: [_; NB] = array(none, |r| T::as_simd::<S>(w[r]));
    let av: [_; MB] = array(none, |c| T::as_simd::<S>(a[c]));
    let chunks = wv[0].0.len();
    // Equal lengths, known to the compiler: no bounds checks in the loop.
    let wh: [_; NB] = array(none.0, |r| &wv[r].0[..chunks]);
    let ah: [_; MB] = array(none.0, |c| &av[c].0[..chunks]);
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
        let at: [_; MB] = array(zero, |c| T::load_partial(simd, av[c].1));
        for r in 0..NB {
            let wt = T::load_partial(simd, wv[r].1);
            for c in 0..MB {
                acc[r][c] = T::fma(simd, wt, at[c], acc[r][c]);
            }
        }
    }
    array([T::default(); MB], |r| {
        array(T::default(), |c| T::sum(simd, acc[r][c]))
    })
}

/// The 2 × 4 block of [`dot_block`] with named accumulators: arrays of more
/// than about 256 bytes of vectors are not kept in registers by LLVM, and
/// named variables are, also for 512-bit vectors.
#[inline(always)]
pub(super) fn dot_2x4<S: Simd, T: Elem>(simd: S, w: [&[T]; 2], a: [&[T]; 4]) -> [[T; 4]; 2] {
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
        pub(super) fn $name<S: Simd, T: Elem>(simd: S, w: [&[T]; 2], a: [&[T]; $mb]) -> [[T; $mb]; 2] {
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

/// `w_r ← β·w_r + Σ_c coef[r][c]·a_c` for `NB` neurons and `TB` examples,
/// all vectors of the same length; the tail goes through masked loads and
/// stores.
#[inline(always)]
pub(super) fn update_block<S: Simd, T: Elem, const NB: usize, const TB: usize>(
    simd: S,
    w: [&mut [T]; NB],
    beta: T,
    coef: [[T; TB]; NB],
    a: [&[T]; TB],
) {
    let w = w.map(|v| T::as_mut_simd::<S>(v));
    let none: (&[T::V<S>], &[T]) = (&[], &[]);
    let av: [_; TB] = array(none, |c| T::as_simd::<S>(a[c]));
    let chunks = av[0].0.len();
    let ah: [_; TB] = array(none.0, |c| &av[c].0[..chunks]);
    let beta = T::splat(simd, beta);
    let zero = T::splat(simd, T::default());
    let coef: [_; NB] = array([zero; TB], |r| array(zero, |c| T::splat(simd, coef[r][c])));
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
        let at: [_; TB] = array(zero, |c| T::load_partial(simd, av[c].1));
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
pub(super) fn update_2x4<S: Simd, T: Elem>(
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

/// Generates an update block for two weight vectors and `$tb` examples,
/// every coefficient a named variable (see [`update_2x4`]).
macro_rules! update_2xn {
    ($name:ident, $tb:literal; $(($a:ident, $at:ident, $k0:ident, $k1:ident, $c:literal)),+) => {
        #[inline(always)]
        pub(super) fn $name<S: Simd, T: Elem>(
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
