//! The fully connected layer of the lecture: every neuron sees every
//! output of the layer before it.

use crate::Activation;

/// A fully connected (dense) layer: n_out neurons, each with a weight for
/// every one of the n_in outputs of the layer before and a bias.
///
/// It computes aˡ = f(wˡ aˡ⁻¹ + bˡ) (the lecture's equation for a layer of
/// sigmoid neurons, with f = σ by default), where wˡ is n_out × n_in, its
/// entry wˡ_jk the weight from neuron k of the layer before to neuron j
/// of this one, and bˡ holds the n_out biases.
///
/// # Parameters
/// n_out · n_in weights, stored neuron after neuron (row j of wˡ
/// contiguous), then n_out biases.
///
/// # Shapes
/// input: n_in × m, output: n_out × m (one example per column).
///
/// # Examples
/// ```
/// use neuralnet::layer::Dense;
/// use neuralnet::Activation;
/// let hidden = Dense::new(784, 30);
/// assert_eq!(hidden.activation(), Activation::Sigmoid); // the lecture's neurons
/// let output = Dense::new(30, 1).with_activation(Activation::Identity);
/// assert_eq!((output.inputs(), output.outputs()), (30, 1));
/// assert_eq!(hidden.num_parameters(), 784 * 30 + 30);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Dense {
    inputs: usize,
    outputs: usize,
    activation: Activation,
}

impl Dense {
    /// A layer of `outputs` sigmoid neurons fed by `inputs` values.
    /// (Sizes are checked when a network is built from it.)
    pub fn new(inputs: usize, outputs: usize) -> Self {
        Dense {
            inputs,
            outputs,
            activation: Activation::Sigmoid,
        }
    }

    /// The same layer with activation f: aˡ = f(wˡ aˡ⁻¹ + bˡ).
    pub fn with_activation(mut self, activation: Activation) -> Self {
        self.activation = activation;
        self
    }

    /// n_in: the values each neuron weighs.
    pub fn inputs(&self) -> usize {
        self.inputs
    }

    /// n_out: the layer's neurons.
    pub fn outputs(&self) -> usize {
        self.outputs
    }

    /// The layer's activation f.
    pub fn activation(&self) -> Activation {
        self.activation
    }

    /// n_out · n_in weights plus n_out biases (saturating, for sizes that
    /// a network would refuse anyway).
    pub fn num_parameters(&self) -> usize {
        self.inputs
            .saturating_mul(self.outputs)
            .saturating_add(self.outputs)
    }
}
