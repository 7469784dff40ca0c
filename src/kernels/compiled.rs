//! The kernels' entry points, compiled once, in this crate, for `f32` and
//! `f64`.
//!
//! The kernels are generic over the scalar type and the instruction set,
//! and Rust compiles generic code in the crate that names the concrete
//! type. Called generically from `Network<T>`, every program that trains
//! a network (and every test and example of this repository) compiled the
//! SIMD blocks again, three instruction sets × two types × every block
//! shape: a third of the LLVM IR of the `mnist` example (`cargo
//! llvm-lines`), whose release compile took 28 s before this and 15 s
//! after (`-Z time-passes`, one run). Through [`Kernels`], a trait
//! implemented for `f32` and `f64` here, the generic code of a dependent
//! crate only calls these two concrete copies, which the library's own
//! build already made.

use super::conv::{self, ConvBuffers, ConvPlan};
use super::view::{MatMut, MatRef};
use super::{activation, adam, backward, forward, update};
use crate::layer::MaxPool2d;

/// The kernels for one scalar type, implemented for `f32` and `f64`. Public
/// in a private module, and a supertrait of `Sealed` (which seals
/// [`crate::Real`]): no user can name or implement it. Each function calls
/// the kernel of the same name in `super`'s submodules; see the links.
///
/// Most of its functions take the crate's private views and buffers, which
/// no user can make; the activations and max-pooling take slices, so a
/// user's generic `T: Real` code could reach them (as it can `Elem`'s), to
/// no harm: they are the same safe functions the crate calls.
#[allow(clippy::too_many_arguments, private_interfaces)]
pub trait Kernels: Sized {
    /// [`super::forward::weighted_inputs`]: z = wᵀa + b.
    fn weighted_inputs(w: MatRef<'_, Self>, b: &[Self], a: MatRef<'_, Self>, z: MatMut<'_, Self>);
    /// [`super::backward::back_propagate`]: (wˡ)ᵀδˡ.
    fn back_propagate(w: MatRef<'_, Self>, delta: MatRef<'_, Self>, out: MatMut<'_, Self>);
    /// [`super::update::update_weights`]: w ← β·w + coef·a.
    fn update_weights(w: MatMut<'_, Self>, beta: Self, coef: MatRef<'_, Self>, a: MatRef<'_, Self>);
    /// [`super::activation::sigmoid_in_place`].
    fn sigmoid_in_place(z: &mut [Self]);
    /// [`super::activation::tanh_in_place`].
    fn tanh_in_place(z: &mut [Self]);
    /// [`super::activation::relu_in_place`].
    fn relu_in_place(z: &mut [Self]);
    /// [`super::adam::adam_update`].
    fn adam_update(
        p: &mut [Self],
        g: &[Self],
        m: &mut [Self],
        s: &mut [Self],
        step: adam::AdamStep<Self>,
        l2: Self,
        decay: Self,
    );
    /// [`super::conv::conv_forward`].
    fn conv_forward(
        plan: ConvPlan,
        bufs: &mut ConvBuffers<Self>,
        w: &[Self],
        b: &[Self],
        x: &[Self],
        z: &mut [Self],
        m: usize,
    );
    /// [`super::conv::conv_backward`].
    fn conv_backward(
        plan: ConvPlan,
        bufs: &mut ConvBuffers<Self>,
        w: &[Self],
        x: &[Self],
        delta: &[Self],
        m: usize,
        scale: Self,
        gw: &mut [Self],
        sums: &mut [Self],
        prev: Option<&mut [Self]>,
    );
    /// [`super::conv::max_pool_forward`].
    fn max_pool_forward(pool: &MaxPool2d, x: &[Self], z: &mut [Self], m: usize);
    /// [`super::conv::max_pool_backward`].
    fn max_pool_backward(pool: &MaxPool2d, x: &[Self], delta: &[Self], dx: &mut [Self], m: usize);
}

/// Implements [`Kernels`] for `$t` by calling each generic kernel with
/// `$t`: these functions are not generic, so they are compiled here.
macro_rules! impl_kernels {
    ($t:ty) => {
        #[allow(private_interfaces)]
        impl Kernels for $t {
            fn weighted_inputs(w: MatRef<'_, $t>, b: &[$t], a: MatRef<'_, $t>, z: MatMut<'_, $t>) {
                forward::weighted_inputs(w, b, a, z);
            }
            fn back_propagate(w: MatRef<'_, $t>, delta: MatRef<'_, $t>, out: MatMut<'_, $t>) {
                backward::back_propagate(w, delta, out);
            }
            fn update_weights(
                w: MatMut<'_, $t>,
                beta: $t,
                coef: MatRef<'_, $t>,
                a: MatRef<'_, $t>,
            ) {
                update::update_weights(w, beta, coef, a);
            }
            fn sigmoid_in_place(z: &mut [$t]) {
                activation::sigmoid_in_place(z);
            }
            fn tanh_in_place(z: &mut [$t]) {
                activation::tanh_in_place(z);
            }
            fn relu_in_place(z: &mut [$t]) {
                activation::relu_in_place(z);
            }
            fn adam_update(
                p: &mut [$t],
                g: &[$t],
                m: &mut [$t],
                s: &mut [$t],
                step: adam::AdamStep<$t>,
                l2: $t,
                decay: $t,
            ) {
                adam::adam_update(p, g, m, s, step, l2, decay);
            }
            fn conv_forward(
                plan: ConvPlan,
                bufs: &mut ConvBuffers<$t>,
                w: &[$t],
                b: &[$t],
                x: &[$t],
                z: &mut [$t],
                m: usize,
            ) {
                conv::conv_forward(plan, bufs, w, b, x, z, m);
            }
            fn conv_backward(
                plan: ConvPlan,
                bufs: &mut ConvBuffers<$t>,
                w: &[$t],
                x: &[$t],
                delta: &[$t],
                m: usize,
                scale: $t,
                gw: &mut [$t],
                sums: &mut [$t],
                prev: Option<&mut [$t]>,
            ) {
                conv::conv_backward(plan, bufs, w, x, delta, m, scale, gw, sums, prev);
            }
            fn max_pool_forward(pool: &MaxPool2d, x: &[$t], z: &mut [$t], m: usize) {
                conv::max_pool_forward(pool, x, z, m);
            }
            fn max_pool_backward(
                pool: &MaxPool2d,
                x: &[$t],
                delta: &[$t],
                dx: &mut [$t],
                m: usize,
            ) {
                conv::max_pool_backward(pool, x, delta, dx, m);
            }
        }
    };
}

impl_kernels!(f32);
impl_kernels!(f64);
