//! Large products on packed panels and a register tile (the BLIS/GotoBLAS
//! scheme), for layers and batches too big for the dot and update blocks
//! of [`super::simd`]: C ← start(C) + A·B.
//!
//! # The scheme
//!
//! - The depth k is cut into nearly equal blocks of at most
//!   [`DEPTH_BYTES`] per column (for 784 inputs in `f32`: 4 blocks of 196),
//!   so that a sliver of B (depth × [`Shape::nr`] columns) stays in L1
//!   while every panel of A passes by it.
//! - The rows of A go in panels of [`Shape::mr`] rows (3 vectors: 48 `f32`
//!   with AVX-512), grouped in blocks that fit the packing buffer, so that
//!   a block of A stays in L2 while every sliver of B passes by it.
//! - The micro-kernel multiplies one panel of A by one sliver of B into
//!   `3 × 8` vector accumulators (`2 × 6` with 256-bit vectors): per step
//!   of the depth 3 vector loads and 8 broadcasts feed 24 multiply-adds.
//!   With 512-bit vectors, products of at most two vectors of rows (a
//!   5 × 5 convolution's 25 field values) use `2 × 8` tiles instead, not
//!   to compute on padding.
//! - A is read in place when its columns are contiguous (rows of a panel
//!   one after the other); otherwise (wᵀ in the forward pass, whose rows
//!   are contiguous instead: packed by transposes in registers, see
//!   [`super::transpose`]), and for a last panel of fewer rows, it is
//!   *packed*: copied into a zero-padded, 64-byte aligned buffer, panel
//!   after panel, `mr` values per step of the depth. The buffer is per thread,
//!   allocated once at its full size ([`PACK_BYTES`]) and reused.
//!
//! # Summation order
//!
//! Every entry of C has its own accumulator lane, summed over a depth
//! block in order and added to C block after block. The order depends on
//! k and the scalar type only, not on where the entry sits in a tile, so
//! splitting the rows or the columns of C across threads gives the same
//! bits. It differs from the dot and update blocks' order, so the
//! kernels choose this path by the layer's shape alone ([`packed_forward`]
//! and its siblings), never by the part a thread gets.

use std::any::Any;
use std::cell::RefCell;
use std::ops::{Add, Mul};

use pulp::{Simd, WithSimd};

use super::simd::Elem;
use super::transpose::{Panel, pack_across};
use crate::aligned::Aligned;

/// Bytes of one column of a depth block.
pub(super) const DEPTH_BYTES: usize = 800;

/// Bytes of the per-thread packing buffer (a block of A: it should stay in
/// L2, 1 MiB or more on the machines this is tuned for).
pub(super) const PACK_BYTES: usize = 512 << 10;

/// The forward pass takes the packed path for layers of at least this
/// many neurons with batches of at least [`PACKED_BATCH`] examples. The
/// lecture's networks (30 and 100 hidden neurons) stay on the dot blocks.
pub(super) const PACKED_NEURONS: usize = 128;

/// See [`PACKED_NEURONS`].
pub(super) const PACKED_BATCH: usize = 32;

/// Batches of more examples than this go through the dot blocks in the
/// forward pass: streaming that many activations once per depth block
/// cost more than packing saved (inference of 10,000 examples through C
/// took 0.19 s packed, 0.17 s on the blocks).
pub(super) const PACKED_BATCH_MAX: usize = 1024;

/// Whether z = wᵀa + b of an `n_in → n_out` layer on `m` examples takes
/// the packed path.
pub(super) fn packed_forward(n_in: usize, n_out: usize, m: usize) -> bool {
    n_in >= PACKED_NEURONS
        && n_out >= PACKED_NEURONS
        && (PACKED_BATCH..=PACKED_BATCH_MAX).contains(&m)
}

/// Whether (wˡ)ᵀδˡ of an `n_in → n_out` layer takes the packed path: for
/// any batch, the other kernel being one dependency chain per vector. Wide
/// inputs take it from [`PACKED_DEPTH`] neurons on: the 2,880 pooled
/// values feeding 100 neurons in Nielsen's first convolutional network ran
/// at a fifth of the speed on the other kernel. (The lecture's networks,
/// whose wide layer is the first and passes no error back, never do.)
pub(super) fn packed_backward(n_in: usize, n_out: usize, _m: usize) -> bool {
    n_in >= PACKED_NEURONS && n_out >= PACKED_DEPTH
}

/// See [`packed_backward`].
pub(super) const PACKED_DEPTH: usize = 32;

/// Whether the weight update of an `n_in → n_out` layer with `m`
/// examples takes the packed path.
pub(super) fn packed_update(n_in: usize, n_out: usize, m: usize) -> bool {
    n_in >= PACKED_NEURONS && n_out >= PACKED_NEURONS && m >= PACKED_BATCH
}

/// How a product meets the values C held before.
#[derive(Clone, Copy, Debug)]
pub(super) enum Start<'a, T> {
    /// C = A·B.
    Zero,
    /// C = β·C + A·B.
    Scale(T),
    /// C[i, j] = bias[i] + (A·B)[i, j].
    Bias(&'a [T]),
}

/// C ← start(C) + A·B for C `m × n`, A `m × k`, B `k × n`, with
/// A[i, p] = `a[i·rsa + p·csa]`, B[p, j] = `b[p + j·csb]` and
/// C[i, j] = `c[i·rsc + j·csc]`.
#[derive(Debug)]
pub(super) struct Gemm<'a, T> {
    pub m: usize,
    pub n: usize,
    pub k: usize,
    pub a: &'a [T],
    pub rsa: usize,
    pub csa: usize,
    pub b: &'a [T],
    pub csb: usize,
    pub c: &'a mut [T],
    pub rsc: usize,
    pub csc: usize,
    pub start: Start<'a, T>,
}

/// The scalar types of the packed path: [`Elem`] with `+` and `·`.
pub(crate) trait Num: Elem + Add<Output = Self> + Mul<Output = Self> {}
impl<T: Elem + Add<Output = T> + Mul<Output = T>> Num for T {}

thread_local! {
    /// The packing buffers of this thread, one per scalar size (`f32`,
    /// `f64`), each an `Aligned<T>` of [`PACK_BYTES`].
    static PACKS: RefCell<[Option<Box<dyn Any>>; 2]> = const { RefCell::new([None, None]) };
}

/// Runs `f` with this thread's packing buffer for `T`, allocating it on
/// first use only.
fn with_pack<T: Elem, R>(f: impl FnOnce(&mut [T]) -> R) -> R {
    PACKS.with(|cell| {
        let mut slots = cell.borrow_mut();
        let len = PACK_BYTES / std::mem::size_of::<T>();
        f(slot_for::<T, _>(&mut slots, || Aligned::<T>::zeroed(len)))
    })
}

/// The buffer `B` for scalar type `T` among a thread's buffers (one slot
/// per scalar size, `f32` and `f64`), made by `make` on first use.
pub(super) fn slot_for<T, B: Any>(
    slots: &mut [Option<Box<dyn Any>>; 2],
    make: impl FnOnce() -> B,
) -> &mut B {
    let slot = &mut slots[usize::from(std::mem::size_of::<T>() > 4)];
    if !slot.as_ref().is_some_and(|b| b.is::<B>()) {
        *slot = Some(Box::new(make()));
    }
    slot.as_mut()
        .and_then(|b| b.downcast_mut::<B>())
        .expect("the buffer was just made as a B")
}

/// The register tile: `mrv` vectors of rows × `nr` columns of C.
#[derive(Clone, Copy)]
struct Shape {
    mrv: usize,
    nr: usize,
}

impl Shape {
    #[inline(always)]
    fn of<S: Simd, T: Elem>() -> Self {
        if std::mem::size_of::<T::V<S>>() >= 64 {
            Shape { mrv: 3, nr: 8 }
        } else {
            Shape { mrv: 2, nr: 6 }
        }
    }

    /// Rows of a panel.
    #[inline(always)]
    fn mr<S: Simd, T: Elem>(self) -> usize {
        self.mrv * lanes::<S, T>()
    }
}

#[inline(always)]
fn lanes<S: Simd, T: Elem>() -> usize {
    std::mem::size_of::<T::V<S>>() / std::mem::size_of::<T>()
}

/// The accumulators of one tile, `[column][row vector]`; unused entries
/// stay zero.
type Tile<S, T> = [[<T as Elem>::V<S>; 3]; 8];

/// Generates a micro-kernel with three vectors of rows: `kc` steps of
/// `acc[j][v] += a[p][v] · b[j][p]`, every accumulator a named variable
/// (LLVM keeps those in registers, not arrays of them).
macro_rules! micro3 {
    ($name:ident; $(($j:literal, $c0:ident, $c1:ident, $c2:ident)),+) => {
        #[inline(always)]
        fn $name<S: Simd, T: Elem>(
            simd: S,
            kc: usize,
            a: &[T],
            lda: usize,
            b: &[T],
        ) -> Tile<S, T> {
            let l = lanes::<S, T>();
            let z = T::splat(simd, T::default());
            $(
                let (mut $c0, mut $c1, mut $c2) = (z, z, z);
            )+
            for (p, bp) in b[..kc * 8].chunks_exact(8).enumerate() {
                let (av, _) = T::as_simd::<S>(&a[p * lda..p * lda + 3 * l]);
                let (a0, a1, a2) = (av[0], av[1], av[2]);
                $(
                    let x = T::splat(simd, bp[$j]);
                    $c0 = T::fma(simd, a0, x, $c0);
                    $c1 = T::fma(simd, a1, x, $c1);
                    $c2 = T::fma(simd, a2, x, $c2);
                )+
            }
            let mut t = [[z; 3]; 8];
            $( t[$j] = [$c0, $c1, $c2]; )+
            t
        }
    };
}

/// As [`micro3`], with two vectors of rows.
macro_rules! micro2 {
    ($name:ident; $(($j:literal, $c0:ident, $c1:ident)),+) => {
        #[inline(always)]
        fn $name<S: Simd, T: Elem>(
            simd: S,
            kc: usize,
            a: &[T],
            lda: usize,
            b: &[T],
        ) -> Tile<S, T> {
            let l = lanes::<S, T>();
            let z = T::splat(simd, T::default());
            $(
                let (mut $c0, mut $c1) = (z, z);
            )+
            for (p, bp) in b[..kc * 8].chunks_exact(8).enumerate() {
                let (av, _) = T::as_simd::<S>(&a[p * lda..p * lda + 2 * l]);
                let (a0, a1) = (av[0], av[1]);
                $(
                    let x = T::splat(simd, bp[$j]);
                    $c0 = T::fma(simd, a0, x, $c0);
                    $c1 = T::fma(simd, a1, x, $c1);
                )+
            }
            let mut t = [[z; 3]; 8];
            $( t[$j] = [$c0, $c1, z]; )+
            t
        }
    };
}

micro3!(tile_3x8;
    (0, c00, c01, c02), (1, c10, c11, c12), (2, c20, c21, c22),
    (3, c30, c31, c32), (4, c40, c41, c42), (5, c50, c51, c52),
    (6, c60, c61, c62), (7, c70, c71, c72));
micro3!(tile_3x4;
    (0, c00, c01, c02), (1, c10, c11, c12), (2, c20, c21, c22),
    (3, c30, c31, c32));
micro2!(tile_2x8;
    (0, c00, c01), (1, c10, c11), (2, c20, c21), (3, c30, c31),
    (4, c40, c41), (5, c50, c51), (6, c60, c61), (7, c70, c71));
micro2!(tile_2x4;
    (0, c00, c01), (1, c10, c11), (2, c20, c21), (3, c30, c31));
micro2!(tile_2x6;
    (0, c00, c01), (1, c10, c11), (2, c20, c21), (3, c30, c31),
    (4, c40, c41), (5, c50, c51));
micro2!(tile_2x3;
    (0, c00, c01), (1, c10, c11), (2, c20, c21));

impl<T: Num> Gemm<'_, T> {
    /// Writes the tile `acc` (`rows × cols` of it valid) to C at rows
    /// `i0..`, columns `j0..`: the first depth block meets C as
    /// `self.start` says, later ones are added.
    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    fn store<S: Simd>(
        &mut self,
        simd: S,
        acc: &Tile<S, T>,
        i0: usize,
        j0: usize,
        rows: usize,
        cols: usize,
        first: bool,
    ) {
        let l = lanes::<S, T>();
        let (rsc, csc) = (self.rsc, self.csc);
        if rsc == 1 {
            for (j, acc_j) in acc.iter().enumerate().take(cols) {
                let at = (j0 + j) * csc + i0;
                let col = &mut self.c[at..at + rows];
                for (v, s) in col.chunks_mut(l).enumerate() {
                    let x = acc_j[v];
                    let f = |old: T::V<S>| {
                        if !first {
                            return <T as Elem>::add(simd, old, x);
                        }
                        match self.start {
                            Start::Zero => x,
                            Start::Scale(beta) => T::fma(simd, T::splat(simd, beta), old, x),
                            Start::Bias(bias) => {
                                let lo = i0 + v * l;
                                let b = T::load_partial(simd, &bias[lo..(lo + l).min(i0 + rows)]);
                                <T as Elem>::add(simd, b, x)
                            }
                        }
                    };
                    let (sv, st) = T::as_mut_simd::<S>(s);
                    if let Some(v) = sv.first_mut() {
                        *v = f(*v);
                    } else {
                        let v = T::load_partial(simd, st);
                        T::store_partial(simd, st, f(v));
                    }
                }
            }
        } else {
            // Rows of C not contiguous: through a small array, value by
            // value.
            let mut tmp = [T::default(); 48];
            for (j, acc_j) in acc.iter().enumerate().take(cols) {
                for (v, t) in tmp.chunks_mut(l).take(3).enumerate() {
                    T::store_partial(simd, t, acc_j[v]);
                }
                for (i, &x) in tmp.iter().enumerate().take(rows) {
                    let old = &mut self.c[(i0 + i) * rsc + (j0 + j) * csc];
                    *old = if !first {
                        *old + x
                    } else {
                        match self.start {
                            Start::Zero => x,
                            Start::Scale(beta) => beta * *old + x,
                            Start::Bias(bias) => bias[i0 + i] + x,
                        }
                    };
                }
            }
        }
    }

    #[inline(always)]
    fn run<S: Simd>(mut self, simd: S, pack: &mut [T]) {
        let mut shape = Shape::of::<S, T>();
        let (m, n, k) = (self.m, self.n, self.k);
        if shape.mrv == 3 && m <= 2 * lanes::<S, T>() {
            // At most two vectors of rows (the 25 field values of a 5 × 5
            // convolution's weight gradient): panels of two vectors, where
            // three would leave half the multiply-adds on padding. Each
            // entry's sum runs over the depth in the same order either way.
            shape.mrv = 2;
        }
        let (mr, nr) = (shape.mr::<S, T>(), shape.nr);
        let kc_max = DEPTH_BYTES / std::mem::size_of::<T>();
        let kc_even = k.div_ceil(k.div_ceil(kc_max).max(1)).max(1);
        // The front of the buffer holds a sliver of B, the rest a block of A.
        let (bpack, apack) = pack.split_at_mut(kc_max * 8);
        let mc = (apack.len() / (kc_even * mr)).max(1) * mr;
        let direct = self.rsa == 1;
        let zero = T::default();
        for p0 in (0..k).step_by(kc_even) {
            let kc = kc_even.min(k - p0);
            let first = p0 == 0;
            for i0 in (0..m).step_by(mc) {
                let rows_blk = mc.min(m - i0);
                let panels = rows_blk.div_ceil(mr);
                // Pack the panels that cannot be read in place: mr values
                // per step of the depth, zeros below the last row.
                for q in 0..panels {
                    let r0 = i0 + q * mr;
                    if direct && r0 + mr <= i0 + rows_blk {
                        continue;
                    }
                    let live = mr.min(i0 + rows_blk - r0);
                    let dst = &mut apack[q * mr * kc..(q + 1) * mr * kc];
                    if self.csa == 1 {
                        // Rows contiguous (wᵀ in the forward pass).
                        let src = self.a;
                        let panel = Panel {
                            src,
                            rs: self.rsa,
                            r0,
                            p0,
                            kc,
                            mr,
                            live,
                        };
                        pack_across(simd, panel, dst);
                        continue;
                    }
                    for (p, d) in dst.chunks_exact_mut(mr).enumerate() {
                        let src = &self.a[(p0 + p) * self.csa + r0 * self.rsa..];
                        for (r, d) in d.iter_mut().enumerate() {
                            *d = if r < live { src[r * self.rsa] } else { zero };
                        }
                    }
                }
                for j0 in (0..n).step_by(nr) {
                    let cols = nr.min(n - j0);
                    // Pack the sliver of B: 8 values per step, zeros
                    // right of the last column.
                    let (src, rs, r0) = (self.b, self.csb, j0);
                    let panel = Panel {
                        src,
                        rs,
                        r0,
                        p0,
                        kc,
                        mr: 8,
                        live: cols,
                    };
                    pack_across(simd, panel, bpack);
                    for q in 0..panels {
                        let r0 = i0 + q * mr;
                        let rows = mr.min(i0 + rows_blk - r0);
                        let (ap, lda) = if direct && rows == mr {
                            (&self.a[r0 + p0 * self.csa..], self.csa)
                        } else {
                            (&apack[q * mr * kc..(q + 1) * mr * kc], mr)
                        };
                        let acc = match (shape.mrv, nr, cols > nr / 2) {
                            (3, _, true) => tile_3x8::<S, T>(simd, kc, ap, lda, bpack),
                            (3, _, false) => tile_3x4::<S, T>(simd, kc, ap, lda, bpack),
                            (_, 8, true) => tile_2x8::<S, T>(simd, kc, ap, lda, bpack),
                            (_, 8, false) => tile_2x4::<S, T>(simd, kc, ap, lda, bpack),
                            (_, _, true) => tile_2x6::<S, T>(simd, kc, ap, lda, bpack),
                            (_, _, false) => tile_2x3::<S, T>(simd, kc, ap, lda, bpack),
                        };
                        self.store(simd, &acc, r0, j0, rows, cols, first);
                    }
                }
            }
        }
    }
}

/// Runs one product on this thread's packing buffer.
struct WithPack<'a, 'p, T>(Gemm<'a, T>, &'p mut [T]);

impl<T: Num> WithSimd for WithPack<'_, '_, T> {
    type Output = ();

    #[inline(always)]
    fn with_simd<S: Simd>(self, simd: S) {
        self.0.run(simd, self.1);
    }
}

impl<T: Num> Gemm<'_, T> {
    /// Computes the product, on this thread.
    pub(super) fn compute(self) {
        if self.m == 0 || self.n == 0 {
            return;
        }
        with_pack(|pack| super::dispatch(WithPack(self, pack)));
    }
}
