//! The weighted inputs z = wᵀa + b of one layer for a batch (the
//! feedforward step), on the dot blocks of [`super::simd`].
//!
//! Whole blocks of [`wide_block`] examples (10 or 5) go two neurons at a
//! time, with long inputs split into L1-sized parts ([`input_part`]); the
//! remaining examples go in blocks of up to 2 neurons × 4 examples (4 × 2
//! when two examples are left).

use std::any::Any;
use std::cell::RefCell;

use pulp::{Simd, WithSimd};

use super::dispatch;
use super::gemm::{Gemm, Num, Start, packed_forward, slot_for};
use super::simd::{Elem, array, dot_2x4, dot_2x5, dot_2x10, dot_block, input_part, wide_block};
use super::view::{MatMut, MatRef};
use crate::threads::{WEIGHT_TRIP_WORK, split_across_threads, threads_for};

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
        let (w, a) = (self.w, self.a);
        let w: [&[T]; 4] = array(&[], |r| &w[(i + r) * n_in..(i + r + 1) * n_in]);
        let a: [&[T]; 2] = array(&[], |c| &a[(j + c) * n_in..(j + c + 1) * n_in]);
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
        let (wt, at) = (self.w, self.a);
        let w: [&[T]; 2] = array(&[], |r| &wt[i[r] * n_in + k.start..i[r] * n_in + k.end]);
        let a: [&[T]; MB] = array(&[], |c| {
            &at[(j + c) * n_in + k.start..(j + c) * n_in + k.end]
        });
        let zero = T::default();
        let d: [[T; MB]; 2] = if MB == 10 {
            let d = dot_2x10::<S, T>(simd, w, array(&[], |c| a[c]));
            array([zero; MB], |r| array(zero, |c| d[r][c]))
        } else {
            let d = dot_2x5::<S, T>(simd, w, array(&[], |c| a[c]));
            array([zero; MB], |r| array(zero, |c| d[r][c]))
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
        let (wt, at) = (self.w, self.a);
        let w: [&[T]; NB] = array(&[], |r| &wt[(i + r) * n_in..(i + r + 1) * n_in]);
        let a: [&[T]; MB] = array(&[], |c| &at[(j + c) * n_in..(j + c + 1) * n_in]);
        let d = if NB == 2 && MB == 4 {
            // Same shapes, written out: see `dot_2x4`.
            let w2: [&[T]; 2] = array(&[], |r| w[r]);
            let a4: [&[T]; 4] = array(&[], |c| a[c]);
            let d = dot_2x4::<S, T>(simd, w2, a4);
            let zero = T::default();
            array([zero; MB], |r| array(zero, |c| d[r][c]))
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

/// The weighted inputs of one layer for a batch: `z[i, j] = w_i · a_j + b_i`,
/// that is z = wᵀa + b in the lecture's equation (the feedforward step
/// before σ).
///
/// # Shapes
/// - `w`: n_in × n_out, neuron-major (column `i` is neuron `i`'s weights);
/// - `b`: n_out;
/// - `a`: n_in × m, one example per column;
/// - `z`: n_out × m, written.
///
/// # Panics
/// If the shapes disagree (an internal invariant).
pub(crate) fn weighted_inputs<T: Num>(
    w: MatRef<'_, T>,
    b: &[T],
    a: MatRef<'_, T>,
    z: MatMut<'_, T>,
) {
    let (n_in, n_out, m) = (w.rows(), w.cols(), a.cols());
    assert!(a.rows() == n_in && b.len() == n_out);
    assert!(z.rows() == n_out && z.cols() == m);
    // The path is chosen for the whole batch, before any split.
    let packed = packed_forward(n_in, n_out, m);
    if packed {
        // Split the neurons: each part reads all of a and its own share of
        // w (which the update, split the same way, left in its core's
        // cache), and packs only its share of wᵀ; z is copied once.
        let per_part = n_in * m * WEIGHT_TRIP_WORK + 2 * n_out * m;
        let threads = threads_for(n_in * n_out * m, per_part, n_out.div_ceil(16));
        if threads > 1 {
            return packed_by_neurons(threads, w, b, a, z);
        }
    }
    if !packed {
        // Split the examples (each part reads all of w, writes its own
        // columns of z). The neurons are not split here: the dot blocks'
        // shapes follow the count of neurons (pairs, the 4 × 2 block), and
        // their summation order is only known to be the same for the same
        // neurons and inputs, not for a neuron in a block of other shape.
        let per_part = n_in * n_out * WEIGHT_TRIP_WORK;
        let threads = threads_for(n_in * n_out * m, per_part, m.div_ceil(4));
        if threads > 1 {
            split_across_threads(threads, m, n_out, z.into_slice(), |j, zt| {
                let zt = MatMut::new(zt, n_out, j.len());
                weighted_inputs_on(false, w, b, a.columns(j), zt);
            });
            return;
        }
    }
    weighted_inputs_on(packed, w, b, a, z);
}

thread_local! {
    /// The neuron-split forward pass's parts of z, one after another (a
    /// `Vec<T>` per scalar type), kept from call to call.
    static PARTS_OF_Z: RefCell<[Option<Box<dyn Any>>; 2]> = const { RefCell::new([None, None]) };
}

/// [`weighted_inputs`] on the packed path, split into `threads` shares of
/// the neurons (as the update splits them: neurons `n_out·t/threads..`).
/// Each part writes its rows of z, `rows × m`, into a buffer of this
/// thread's; then they are copied into z. The rows of a product are
/// computed alike wherever they sit in it (see [`super::gemm`]), so z has
/// the bits of one thread's.
fn packed_by_neurons<T: Num>(
    threads: usize,
    w: MatRef<'_, T>,
    b: &[T],
    a: MatRef<'_, T>,
    z: MatMut<'_, T>,
) {
    let (n_out, m) = (w.cols(), a.cols());
    let bound = |t: usize| n_out * t / threads;
    PARTS_OF_Z.with(|cell| {
        let mut slots = cell.borrow_mut();
        let parts = slot_for::<T, _>(&mut slots, Vec::<T>::new);
        // Grown only: layers of other widths use its front.
        if parts.len() < n_out * m {
            parts.resize(n_out * m, T::default());
        }
        let parts = &mut parts[..n_out * m];
        split_across_threads(threads, n_out, m, parts, |i, zt| {
            let zt = MatMut::new(zt, i.len(), m);
            let (w, b) = (w.columns(i.clone()), &b[i]);
            weighted_inputs_on(true, w, b, a, zt);
        });
        let z = z.into_slice();
        for t in 0..threads {
            let (i0, i1) = (bound(t), bound(t + 1));
            let part = &parts[i0 * m..i1 * m];
            for (zj, pj) in z.chunks_exact_mut(n_out).zip(part.chunks_exact(i1 - i0)) {
                zj[i0..i1].copy_from_slice(pj);
            }
        }
    });
}

/// [`weighted_inputs`] on this thread, on the packed path or the blocks.
fn weighted_inputs_on<T: Num>(
    packed: bool,
    w: MatRef<'_, T>,
    b: &[T],
    a: MatRef<'_, T>,
    z: MatMut<'_, T>,
) {
    let (n_in, n_out, m) = (w.rows(), w.cols(), a.cols());
    let (w, a, z) = (w.as_slice(), a.as_slice(), z.into_slice());
    if packed {
        // z = wᵀ·a + b, wᵀ packed (neuron-major w read across).
        Gemm {
            m: n_out,
            n: m,
            k: n_in,
            a: w,
            rsa: n_in,
            csa: 1,
            b: a,
            csb: n_in,
            c: z,
            rsc: 1,
            csc: n_out,
            start: Start::Bias(b),
        }
        .compute();
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
