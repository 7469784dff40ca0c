//! The arithmetic of the hot loop, on column-major matrix views.
//!
//! # The parts
//!
//! | file | what it holds |
//! |------|---------------|
//! | `view.rs` | [`MatRef`] and [`MatMut`]: the operands' shapes, checked once |
//! | `simd.rs` | [`Elem`] (`f32`/`f64` and their vectors), the dot and update blocks, the block shapes |
//! | `forward.rs` | [`Kernels::weighted_inputs`]: z = wᵀa + b |
//! | `activation.rs` | [`Kernels::sigmoid_in_place`], [`Kernels::tanh_in_place`], [`Kernels::relu_in_place`]: the vectorised activations |
//! | `backward.rs` | [`Kernels::back_propagate`]: (wˡ)ᵀδˡ |
//! | `update.rs` | [`Kernels::update_weights`]: w ← β·w + coef·a, the SGD step |
//! | `gemm.rs` | the packed, register-tiled path all three take for wide layers |
//! | `transpose.rs` | packing a panel whose rows are contiguous (wᵀ), by transposes in registers |
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
//! inside such run-time-selected functions. Nothing is `unsafe`, and
//! nothing allocates per call: each thread keeps a packing buffer, and a
//! calling thread the parts of z of a forward pass split by neurons,
//! allocated on first use (grown when a larger layer needs it).
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
mod transpose;
mod update;
mod view;

pub(crate) use adam::AdamStep;
pub use compiled::Kernels;
pub(crate) use conv::ConvBuffers;
pub use simd::Elem;
pub(crate) use view::{MatMut, MatRef};

// The rest of the crate calls the kernels as `T::weighted_inputs(..)` and
// so on, through `Kernels` (a supertrait of `Real`'s seal), so that their
// generic bodies are compiled once, in this crate, for `f32` and `f64`
// (see `compiled.rs`), whatever crate instantiates the caller.

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
