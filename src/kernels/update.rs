//! The weight update w ← β·w + coef·a of one layer (the SGD step, or with
//! β = 0 the gradient), on the update blocks of [`super::simd`].
//!
//! The examples go in tiles that stay in L2 ([`update_tile`]); within a
//! tile, whole blocks of [`wide_block`] examples (10 or 5) go two neurons
//! at a time over L1-sized parts of the inputs ([`input_part`]), and the
//! rest (an odd last neuron, the last few examples) in blocks of up to
//! 2 neurons × 4 examples. β scales each weight once, in its first block.

use pulp::{Simd, WithSimd};

use super::dispatch;
use super::gemm::{Gemm, Num, Start, packed_update};
use super::simd::{
    Elem, array, input_part, update_2x4, update_2x5, update_2x10, update_block, wide_block,
};
use super::view::{MatMut, MatRef};
use crate::threads::{WEIGHT_TRIP_WORK, split_across_threads, threads_for};

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
/// neurons, as its own dispatched function (as `WideWeightedInputs` in
/// `forward.rs`); returns how many examples it did.
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
        let (ct, at, zero) = (self.coef, self.a, T::default());
        let coef: [[T; TB]; NB] = array([zero; TB], |r| array(zero, |c| ct[(i + r) * m + t + c]));
        let a: [&[T]; TB] = array(&[], |c| &at[(t + c) * n_in..(t + c + 1) * n_in]);
        if NB == 2 && TB == 4 {
            // Same shapes, written out: see `update_2x4`.
            let mut it = w.into_iter();
            let w2: [&mut [T]; 2] = std::array::from_fn(|_| it.next().expect("2 rows"));
            let c2: [[T; 4]; 2] = array([zero; 4], |r| array(zero, |c| coef[r][c]));
            let a4: [&[T]; 4] = array(&[], |c| a[c]);
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
        let (ct, at, zero) = (self.coef, self.a, T::default());
        let coef: [[T; TB]; 2] = array([zero; TB], |r| array(zero, |c| ct[(i + r) * m + t + c]));
        let a: [&[T]; TB] = array(&[], |c| {
            &at[(t + c) * n_in + k.start..(t + c) * n_in + k.end]
        });
        if TB == 10 {
            let c10 = array([zero; 10], |r| array(zero, |c| coef[r][c]));
            update_2x10::<S, T>(simd, [w0, w1], beta, c10, array(&[], |c| a[c]));
        } else {
            let c5 = array([zero; 5], |r| array(zero, |c| coef[r][c]));
            update_2x5::<S, T>(simd, [w0, w1], beta, c5, array(&[], |c| a[c]));
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
/// `w_i ← β·w_i + Σ_t coef[t, i]·a_t`.
///
/// With β = 1 − ηλ/n and coef = −(η/m)·δᵀ this is the SGD update with
/// weight decay; with β = 0 and coef = δᵀ/m it writes the averaged
/// gradient ∂C/∂w.
///
/// # Shapes
/// - `w`: n_in × n_out, neuron-major (column `i` is neuron `i`'s weights),
///   updated in place;
/// - `coef`: m × n_out (column `i` is neuron `i`'s coefficients over the
///   batch);
/// - `a`: n_in × m, one example per column; m ≥ 1.
///
/// # Panics
/// If the shapes disagree or m = 0 (an internal invariant).
pub(crate) fn update_weights<T: Num>(
    w: MatMut<'_, T>,
    beta: T,
    coef: MatRef<'_, T>,
    a: MatRef<'_, T>,
) {
    let (n_in, n_out, m) = (w.rows(), w.cols(), a.cols());
    assert!(m >= 1 && a.rows() == n_in && coef.rows() == m && coef.cols() == n_out);
    // The path is chosen for the whole layer, before any split.
    let packed = packed_update(n_in, n_out, m);
    // Each part writes its share of w, which the backward pass reads on
    // every thread (and each part reads all of the activations).
    let per_part = n_in * n_out * WEIGHT_TRIP_WORK + n_in * m;
    let threads = threads_for(n_in * n_out * m, per_part, n_out.div_ceil(2));
    if threads > 1 {
        // Split the neurons: each thread updates its own weight vectors.
        split_across_threads(threads, n_out, n_in, w.into_slice(), |i, wt| {
            let wt = MatMut::new(wt, n_in, i.len());
            update_weights_on(packed, wt, beta, coef.columns(i), a);
        });
        return;
    }
    update_weights_on(packed, w, beta, coef, a);
}

/// [`update_weights`] on this thread, on the packed path or the blocks.
fn update_weights_on<T: Num>(
    packed: bool,
    w: MatMut<'_, T>,
    beta: T,
    coef: MatRef<'_, T>,
    a: MatRef<'_, T>,
) {
    let (n_in, n_out, m) = (w.rows(), w.cols(), a.cols());
    if packed {
        // w = β·w + a·coef, a read in place (its columns are contiguous).
        Gemm {
            m: n_in,
            n: n_out,
            k: m,
            a: a.as_slice(),
            rsa: 1,
            csa: n_in,
            b: coef.as_slice(),
            csb: m,
            c: w.into_slice(),
            rsc: 1,
            csc: n_in,
            start: Start::Scale(beta),
        }
        .compute();
        return;
    }
    let mut op = UpdateWeights {
        w: w.into_slice(),
        beta,
        coef: coef.as_slice(),
        a: a.as_slice(),
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
