//! The gradient ∇C of [`Network::backprop`].

use nalgebra::{DMatrixView, DVectorView, Dyn};

use super::workspace::Backward;
use crate::params::Parameters;
use crate::{Error, Network, Real, Result, kernels};

/// The gradient of the cost: ∂C/∂wˡ and ∂C/∂bˡ for every layer, shaped like
/// [`Network::weights`] and [`Network::biases`].
///
/// All of them together are the gradient ∇C of equations (6) and (10),
/// ∇C ≡ (∂C/∂v₁, …, ∂C/∂v_m)ᵀ, with the weights and biases as the
/// variables v. Made by [`Network::backprop`]; an
/// [`OptimizerState`](crate::optim::OptimizerState) takes a step with it.
///
/// It is stored as the network's parameters are, in one buffer laid out
/// by the network's layers, so that an optimizer walks the two side by
/// side.
#[derive(Debug, Clone, PartialEq)]
pub struct Gradient<T: Real> {
    sizes: Vec<usize>,
    params: Parameters<T>,
}

impl<T: Real> Gradient<T> {
    /// ∂C/∂wˡ, n_{l+1} × n_l per layer (the lecture's orientation),
    /// borrowed.
    pub fn weights(&self) -> Vec<DMatrixView<'_, T, Dyn, Dyn>> {
        super::weight_views(&self.params)
    }

    /// ∂C/∂bˡ, n_{l+1} per layer, borrowed.
    pub fn biases(&self) -> Vec<DVectorView<'_, T>> {
        super::bias_views(&self.params)
    }

    /// The layer sizes of the network the gradient belongs to.
    pub fn sizes(&self) -> &[usize] {
        &self.sizes
    }

    /// ‖∇C‖², the squared length of the gradient. A gradient-descent step
    /// Δv = −η∇C with a small learning rate η changes the cost by
    /// ΔC ≈ ∇C·Δv = −η‖∇C‖² (equations (7) to (9)).
    pub fn norm_squared(&self) -> T {
        self.sum_of_products(self)
    }

    /// The dot product ∇C·∇C′ of two gradients of networks of the same
    /// layer sizes, summed over every weight and bias.
    ///
    /// # Errors
    /// [`Error::InvalidLayers`] if the two gradients belong to networks of
    /// different layer sizes.
    pub fn dot(&self, other: &Gradient<T>) -> Result<T> {
        if self.sizes != other.sizes {
            return Err(Error::InvalidLayers {
                sizes: other.sizes.clone(),
                reason: "the two gradients belong to networks of different layer sizes",
            });
        }
        Ok(self.sum_of_products(other))
    }

    fn sum_of_products(&self, other: &Gradient<T>) -> T {
        // Every layer's weights, then every layer's biases.
        let w = self
            .weights()
            .into_iter()
            .zip(other.weights())
            .map(|(a, b)| a.dot(&b));
        let b = self
            .biases()
            .into_iter()
            .zip(other.biases())
            .map(|(a, b)| a.dot(&b));
        w.chain(b).fold(T::zero(), |s, x| s + x)
    }

    /// The gradient's buffer, laid out as the network's parameters.
    pub(crate) fn params(&self) -> &Parameters<T> {
        &self.params
    }
}

/// Collects the averaged gradient of [`Network::backprop`], layer by layer,
/// last layer first, into a buffer laid out as the network's parameters.
pub(crate) struct GradientSink<'a, T: Real> {
    net: &'a Network<T>,
    inv_m: T,
    params: &'a mut Parameters<T>,
}

impl<'a, T: Real> GradientSink<'a, T> {
    /// A sink writing the gradient of a batch of `m` examples into
    /// `params` (laid out as `net`'s parameters).
    pub(crate) fn new(net: &'a Network<T>, params: &'a mut Parameters<T>, m: usize) -> Self {
        debug_assert_eq!(params.layout(), net.params().layout());
        GradientSink {
            net,
            inv_m: T::one() / nalgebra::convert::<f64, T>(m as f64),
            params,
        }
    }

    /// The factor 1/m that averages the batch's sums.
    pub(crate) fn inv_m(&self) -> T {
        self.inv_m
    }
}

impl<T: Real> Gradient<T> {
    /// The gradient in `params`, of a network of layer sizes `sizes`.
    pub(crate) fn from_params(sizes: Vec<usize>, params: Parameters<T>) -> Self {
        Gradient { sizes, params }
    }
}

impl<T: Real> Backward<T> for GradientSink<'_, T> {
    fn weights(&self, l: usize) -> &[T] {
        self.net.layer(l).0
    }

    fn layer(&mut self, l: usize, coef: &[T], a_prev: &[T], sums: &[T], m: usize) {
        let (n_in, n_out) = (self.net.sizes()[l], self.net.sizes()[l + 1]);
        let inv_m = self.inv_m;
        let (gw, gb) = self.params.layer_mut(l);
        // ∂C/∂wˡ_jk = (1/m) Σ_t aˡ⁻¹_k δˡ_j: the update kernel with β = 0,
        // written neuron-major (row j of ∂C/∂wˡ contiguous) like the weights.
        let gw = kernels::MatMut::new(gw, n_in, n_out);
        let coef = kernels::MatRef::new(coef, m, n_out);
        let a_prev = kernels::MatRef::new(&a_prev[..n_in * m], n_in, m);
        T::update_weights(gw, T::zero(), coef, a_prev);
        for (g, &s) in gb.iter_mut().zip(sums) {
            *g = s * inv_m;
        }
    }

    fn gradient(&mut self, l: usize, gw: &[T], sums: &[T]) {
        let inv_m = self.inv_m;
        let (w, b) = self.params.layer_mut(l);
        // Already (1/m) Σ_t ∂C_t/∂w.
        w.copy_from_slice(gw);
        for (g, &s) in b.iter_mut().zip(sums) {
            *g = s * inv_m;
        }
    }
}
