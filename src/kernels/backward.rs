//! Backpropagation's (wˡ)ᵀδˡ: one layer's errors sent back through its
//! weights, a column of output at a time in whole vectors and a masked
//! tail.

use pulp::{Simd, WithSimd};

use super::dispatch;
use super::gemm::{Gemm, Num, Start, packed_backward};
use super::simd::Elem;
use super::view::{MatMut, MatRef};
use crate::threads::{WEIGHT_TRIP_WORK, split_across_threads, threads_for};

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
/// that is `out[:, j] = Σ_i δ[i, j]·w_i` (the (wˡ)ᵀδˡ of backpropagation,
/// before the factor σ′(zˡ⁻¹)).
///
/// # Shapes
/// - `w`: n_in × n_out, neuron-major (column `i` is neuron `i`'s weights);
/// - `delta`: n_out × m, one example per column;
/// - `out`: n_in × m, written.
///
/// # Panics
/// If the shapes disagree (an internal invariant).
pub(crate) fn back_propagate<T: Num>(w: MatRef<'_, T>, delta: MatRef<'_, T>, out: MatMut<'_, T>) {
    let (n_in, n_out, m) = (w.rows(), w.cols(), delta.cols());
    assert!(delta.rows() == n_out && out.rows() == n_in && out.cols() == m);
    if !packed_backward(n_in, n_out, m) {
        dispatch(BackPropagate {
            w: w.as_slice(),
            delta: delta.as_slice(),
            n_in,
            n_out,
            m,
            out: out.into_slice(),
        });
        return;
    }
    // Each part reads all of w.
    let threads = threads_for(n_in * n_out * m, n_in * n_out * WEIGHT_TRIP_WORK, m);
    let run = |delta: MatRef<'_, T>, out: &mut [T]| {
        // out = w·δ, w read in place (its columns are contiguous).
        Gemm {
            m: n_in,
            n: delta.cols(),
            k: n_out,
            a: w.as_slice(),
            rsa: 1,
            csa: n_in,
            b: delta.as_slice(),
            csb: n_out,
            c: out,
            rsc: 1,
            csc: n_in,
            start: Start::Zero,
        }
        .compute();
    };
    if threads > 1 {
        // Split the examples: each thread writes its own columns of out.
        split_across_threads(threads, m, n_in, out.into_slice(), |j, ot| {
            run(delta.columns(j), ot);
        });
    } else {
        run(delta, out.into_slice());
    }
}
