//! The arithmetic of the hot loop, on column-major matrix views.
//!
//! # The parts
//!
//! | file | what it holds |
//! |------|---------------|
//! | `view.rs` | [`MatRef`] and [`MatMut`]: the operands' shapes, checked once |
//! | `simd.rs` | [`Elem`] (`f32`/`f64` and their vectors), the dot and update blocks, the block shapes |
//! | `forward.rs` | [`weighted_inputs`]: z = wᵀa + b |
//! | `activation.rs` | [`sigmoid_in_place`], [`tanh_in_place`], [`relu_in_place`]: the vectorised activations |
//! | `backward.rs` | [`back_propagate`]: (wˡ)ᵀδˡ |
//! | `update.rs` | [`update_weights`]: w ← β·w + coef·a, the SGD step |
//! | `gemm.rs` | the packed, register-tiled path all three take for wide layers |
//! | `conv.rs` | convolution (im2col onto `gemm.rs`) and max-pooling, forward and backward |
//! | `compiled.rs` | [`Kernels`]: the entry points, compiled once here for `f32` and `f64` |
//! | `tests.rs` | each kernel against a naive loop, at every instruction set |
//!
//! The thread policy that splits large calls is [`crate::threads`]; the
//! scalar type and its byte codec are [`crate::scalar`].
//!
//! # Layouts
//!
//! All operands are contiguous and column-major, as nalgebra stores
//! matrices (see [`view`]):
//! - a layer's weights are *neuron-major*: an `n_in × n_out` matrix whose
//!   column `i` is neuron `i`'s weight vector w (that is, Wᵀ in the
//!   lecture's orientation);
//! - a batch of activations is `n × m`, one example per column.
//!
//! # Dispatch through pulp
//!
//! Each kernel is written once with explicit SIMD vectors from pulp (a
//! [`pulp::WithSimd`] type, generic over the instruction set `S`) and run
//! through pulp's safe dispatcher ([`dispatch`]), which picks at run time
//! the widest instruction set the CPU has (AVX-512 on x86-64-v4 machines,
//! AVX2 + FMA on x86-64-v3, scalar code elsewhere). The vectors are
//! explicit because LLVM's auto-vectoriser falls back to 128-bit vectors
//! inside such run-time-selected functions. Nothing here allocates, and
//! nothing is `unsafe`.
//!
//! # Block shapes
//!
//! The two big kernels (weighted inputs and the weight update) work on two
//! neurons at a time against a block of examples: 10 with 512-bit vectors,
//! 5 with narrower ones (as many accumulators as the registers hold), so a
//! weight vector streams through the cache once per 10 (or 5) examples of
//! the lecture's mini-batch of 10. Remainders go through blocks of up to 4.
//! Each block's summation order is fixed by its shape alone, and the shapes
//! chosen depend only on the layer sizes, the batch size and the
//! instruction set, so results do not depend on the number of threads.
//!
//! Layers of 128 neurons or more (and, for the forward pass and the
//! update, batches of 32 to 1024 examples) take the packed path of
//! `gemm.rs` instead (the BLIS/GotoBLAS scheme: packed panels, a 3 × 8
//! register tile of vectors). The lecture's networks never do, so their
//! results are unchanged; the choice is made per layer before any split
//! across threads.

#[cfg(test)]
use std::cell::Cell;

use pulp::{Arch, WithSimd};

mod activation;
mod adam;
mod backward;
mod compiled;
mod conv;
mod forward;
mod gemm;
mod simd;
#[cfg(test)]
mod tests;
mod update;
mod view;

pub(crate) use adam::AdamStep;
pub use compiled::Kernels;
pub(crate) use conv::ConvBuffers;
pub use simd::Elem;
pub(crate) use view::{MatMut, MatRef};

use crate::Real;
use crate::layer::MaxPool2d;
use conv::ConvPlan;

// The entry points the rest of the crate calls. Each goes through
// `Kernels`, so that its generic body is compiled once, in this crate, for
// `f32` and `f64` (see `compiled.rs`), whatever crate instantiates the
// caller.

/// z = wᵀa + b: see `forward::weighted_inputs`.
#[inline]
pub(crate) fn weighted_inputs<T: Real>(
    w: MatRef<'_, T>,
    b: &[T],
    a: MatRef<'_, T>,
    z: MatMut<'_, T>,
) {
    T::weighted_inputs(w, b, a, z);
}

/// (wˡ)ᵀδˡ: see `backward::back_propagate`.
#[inline]
pub(crate) fn back_propagate<T: Real>(w: MatRef<'_, T>, delta: MatRef<'_, T>, out: MatMut<'_, T>) {
    T::back_propagate(w, delta, out);
}

/// w ← β·w + coef·a: see `update::update_weights`.
#[inline]
pub(crate) fn update_weights<T: Real>(
    w: MatMut<'_, T>,
    beta: T,
    coef: MatRef<'_, T>,
    a: MatRef<'_, T>,
) {
    T::update_weights(w, beta, coef, a);
}

/// σ(z) in place: see `activation::sigmoid_in_place`.
#[inline]
pub(crate) fn sigmoid_in_place<T: Real>(z: &mut [T]) {
    T::sigmoid_in_place(z);
}

/// tanh z in place: see `activation::tanh_in_place`.
#[inline]
pub(crate) fn tanh_in_place<T: Real>(z: &mut [T]) {
    T::tanh_in_place(z);
}

/// max(0, z) in place: see `activation::relu_in_place`.
#[inline]
pub(crate) fn relu_in_place<T: Real>(z: &mut [T]) {
    T::relu_in_place(z);
}

/// Adam's step: see `adam::adam_update`.
#[inline]
pub(crate) fn adam_update<T: Real>(
    p: &mut [T],
    g: &[T],
    m: &mut [T],
    s: &mut [T],
    step: AdamStep<T>,
    l2: T,
    decay: T,
) {
    T::adam_update(p, g, m, s, step, l2, decay);
}

/// A convolution's forward pass: see `conv::conv_forward`.
#[inline]
pub(crate) fn conv_forward<T: Real>(
    plan: ConvPlan,
    bufs: &mut ConvBuffers<T>,
    w: &[T],
    b: &[T],
    x: &[T],
    z: &mut [T],
    m: usize,
) {
    T::conv_forward(plan, bufs, w, b, x, z, m);
}

/// A convolution's backward pass: see `conv::conv_backward`.
#[allow(clippy::too_many_arguments)]
#[inline]
pub(crate) fn conv_backward<T: Real>(
    plan: ConvPlan,
    bufs: &mut ConvBuffers<T>,
    w: &[T],
    x: &[T],
    delta: &[T],
    m: usize,
    scale: T,
    gw: &mut [T],
    sums: &mut [T],
    prev: Option<&mut [T]>,
) {
    T::conv_backward(plan, bufs, w, x, delta, m, scale, gw, sums, prev);
}

/// Max-pooling's forward pass: see `conv::max_pool_forward`.
#[inline]
pub(crate) fn max_pool_forward<T: Real>(pool: &MaxPool2d, x: &[T], z: &mut [T], m: usize) {
    T::max_pool_forward(pool, x, z, m);
}

/// Max-pooling's backward pass: see `conv::max_pool_backward`.
#[inline]
pub(crate) fn max_pool_backward<T: Real>(
    pool: &MaxPool2d,
    x: &[T],
    delta: &[T],
    dx: &mut [T],
    m: usize,
) {
    T::max_pool_backward(pool, x, delta, dx, m);
}

/// Runs a kernel with the widest instruction set this CPU has (in tests,
/// optionally a narrower one: see `tests::at_every_level`).
#[inline(always)]
fn dispatch<Op: WithSimd>(op: Op) -> Op::Output {
    #[cfg(test)]
    match tests::LEVEL.with(Cell::get) {
        tests::Level::Scalar => return pulp::Simd::vectorize(pulp::Scalar::new(), op),
        #[cfg(target_arch = "x86_64")]
        tests::Level::V3 => {
            if let Some(simd) = pulp::x86::V3::try_new() {
                return pulp::Simd::vectorize(simd, op);
            }
        }
        _ => {}
    }
    Arch::new().dispatch(op)
}
