//! The gradient ∇C of [`Network::backprop`].

use nalgebra::{DMatrix, DVector};

use super::workspace::Backward;
use crate::{Error, Network, Real, Result, kernels};

/// The gradient of the cost: ∂C/∂wˡ and ∂C/∂bˡ for every layer, shaped like
/// [`Network::weights`] and [`Network::biases`].
///
/// All of them together are the gradient ∇C of equations (6) and (10),
/// ∇C ≡ (∂C/∂v₁, …, ∂C/∂v_m)ᵀ, with the weights and biases as the
/// variables v. Made by [`Network::backprop`].
#[derive(Debug, Clone, PartialEq)]
pub struct Gradient<T: Real> {
    sizes: Vec<usize>,
    weights: Vec<DMatrix<T>>,
    biases: Vec<DVector<T>>,
}

impl<T: Real> Gradient<T> {
    /// ∂C/∂wˡ, n_{l+1} × n_l per layer (the lecture's orientation).
    pub fn weights(&self) -> &[DMatrix<T>] {
        &self.weights
    }

    /// ∂C/∂bˡ, n_{l+1} per layer.
    pub fn biases(&self) -> &[DVector<T>] {
        &self.biases
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
        let w = self
            .weights
            .iter()
            .zip(&other.weights)
            .map(|(a, b)| a.dot(b));
        let b = self.biases.iter().zip(&other.biases).map(|(a, b)| a.dot(b));
        w.chain(b).fold(T::zero(), |s, x| s + x)
    }
}

/// Collects the averaged gradient of [`Network::backprop`], layer by layer,
/// last layer first.
pub(super) struct GradientSink<'a, T: Real> {
    net: &'a Network<T>,
    inv_m: T,
    weights: Vec<DMatrix<T>>,
    biases: Vec<DVector<T>>,
}

impl<'a, T: Real> GradientSink<'a, T> {
    /// An empty sink for a batch of `m` examples.
    pub(super) fn new(net: &'a Network<T>, m: usize) -> Self {
        GradientSink {
            net,
            inv_m: T::one() / nalgebra::convert::<f64, T>(m as f64),
            weights: Vec::with_capacity(net.num_layers() - 1),
            biases: Vec::with_capacity(net.num_layers() - 1),
        }
    }

    /// The factor 1/m that averages the batch's sums.
    pub(super) fn inv_m(&self) -> T {
        self.inv_m
    }

    /// The gradient, once every layer has been received.
    pub(super) fn into_gradient(mut self) -> Gradient<T> {
        self.weights.reverse();
        self.biases.reverse();
        Gradient {
            sizes: self.net.sizes().to_vec(),
            weights: self.weights,
            biases: self.biases,
        }
    }
}

impl<T: Real> Backward<T> for GradientSink<'_, T> {
    fn weights(&self, l: usize) -> &[T] {
        self.net.layer(l).0
    }

    fn layer(&mut self, l: usize, coef: &[T], a_prev: &[T], sums: &[T], m: usize) {
        let (n_in, n_out) = (self.net.sizes()[l], self.net.sizes()[l + 1]);
        // ∂C/∂wˡ_jk = (1/m) Σ_t aˡ⁻¹_k δˡ_j: the update kernel with β = 0.
        let mut g = DMatrix::zeros(n_in, n_out);
        let gw = kernels::MatMut::new(g.as_mut_slice(), n_in, n_out);
        let coef = kernels::MatRef::new(coef, m, n_out);
        let a_prev = kernels::MatRef::new(&a_prev[..n_in * m], n_in, m);
        kernels::update_weights(gw, T::zero(), coef, a_prev);
        self.weights.push(g.transpose());
        self.biases.push(DVector::from_iterator(
            n_out,
            sums.iter().map(|&s| s * self.inv_m),
        ));
    }
}
