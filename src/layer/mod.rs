//! The layers a [`Network`](crate::Network) is made of.
//!
//! A layer takes the outputs of the layer before it (for the first layer,
//! the network's input) and computes its own. Each kind of layer is a
//! variant of [`Layer`] with a file of its own here; today that is the
//! lecture's fully connected [`Dense`] layer.
//!
//! Everything else in the crate walks a network's layers through this one
//! description: the network's parameters sit in one aligned buffer, with
//! each layer's weights and biases at the offsets its
//! [`num_weights`](Layer::num_weights) and [`num_biases`](Layer::num_biases)
//! give; gradients, optimizer state, dropout, the max-norm limit and the
//! model file use the same offsets. A new kind of layer (convolution,
//! pooling) adds a variant, its forward and backward kernels and its
//! parameter counts, and the optimizers and the parameter buffer need no
//! change.
//!
//! `Layer` is a closed enum rather than a trait that users implement: a
//! saved network must be readable back, so the model file has to know
//! every kind of layer there is, and the training loop dispatches on the
//! kind once per layer and mini-batch without a virtual call. It is
//! `#[non_exhaustive]`, so new kinds are not breaking changes.

mod dense;

pub use dense::Dense;

use crate::{Activation, Error, Result};

/// One layer of a network (see the [module docs](self)).
///
/// # Examples
/// A regression network: two ReLU hidden layers and a linear output.
/// ```
/// use neuralnet::layer::{Dense, Layer};
/// use neuralnet::{Activation, Init, Network};
/// use rand::{SeedableRng, rngs::StdRng};
/// let layers = [
///     Layer::dense(8, 32, Activation::Relu),
///     Layer::dense(32, 16, Activation::Relu),
///     Layer::dense(16, 1, Activation::Identity),
/// ];
/// let net = Network::<f64>::from_layers(&layers, Init::ScaledNormal, &mut StdRng::seed_from_u64(1))?;
/// assert_eq!(net.sizes(), &[8, 32, 16, 1]);
/// assert_eq!(net.layers()[2], Layer::Dense(Dense::new(16, 1).with_activation(Activation::Identity)));
/// # Ok::<(), neuralnet::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Layer {
    /// A fully connected layer (the lecture's).
    Dense(Dense),
}

impl From<Dense> for Layer {
    fn from(dense: Dense) -> Self {
        Layer::Dense(dense)
    }
}

impl Layer {
    /// A [`Dense`] layer of `outputs` neurons with activation `activation`,
    /// fed by `inputs` values.
    pub fn dense(inputs: usize, outputs: usize, activation: Activation) -> Self {
        Layer::Dense(Dense::new(inputs, outputs).with_activation(activation))
    }

    /// The number of values the layer takes per example.
    pub fn input_size(&self) -> usize {
        match self {
            Layer::Dense(d) => d.inputs(),
        }
    }

    /// The number of values the layer outputs per example.
    pub fn output_size(&self) -> usize {
        match self {
            Layer::Dense(d) => d.outputs(),
        }
    }

    /// The activation applied to the layer's output.
    pub fn activation(&self) -> Activation {
        match self {
            Layer::Dense(d) => d.activation(),
        }
    }

    /// The same layer with another activation.
    pub fn with_activation(self, activation: Activation) -> Self {
        match self {
            Layer::Dense(d) => Layer::Dense(d.with_activation(activation)),
        }
    }

    /// The number of weights: the parameters that L2 regularisation, weight
    /// decay and the max-norm limit act on.
    pub fn num_weights(&self) -> usize {
        match self {
            Layer::Dense(d) => d.inputs().saturating_mul(d.outputs()),
        }
    }

    /// The number of biases.
    pub fn num_biases(&self) -> usize {
        match self {
            Layer::Dense(d) => d.outputs(),
        }
    }

    /// The values each neuron weighs (n_in for a dense layer): the
    /// length of the max-norm limit's weight vectors and the fan-in of
    /// [`Init::ScaledNormal`](crate::Init::ScaledNormal).
    pub fn fan_in(&self) -> usize {
        match self {
            Layer::Dense(d) => d.inputs(),
        }
    }
}

/// Checks that `layers` make a network: at least one layer, none empty,
/// each fed by the one before, a softmax only last, and a parameter count
/// that memory can address. Returns the layer sizes (input first) and the
/// number of parameters.
pub(crate) fn check_layers(layers: &[Layer]) -> Result<(Vec<usize>, usize)> {
    let mut sizes: Vec<usize> = layers.first().map(Layer::input_size).into_iter().collect();
    sizes.extend(layers.iter().map(Layer::output_size));
    let invalid = |reason| {
        Err(Error::InvalidLayers {
            sizes: sizes.clone(),
            reason,
        })
    };
    if layers.is_empty() {
        return invalid(
            "a network needs at least an input and an output layer, e.g. [784, 30, 10]",
        );
    }
    if sizes.contains(&0) {
        return invalid("every layer needs at least one neuron");
    }
    if layers
        .windows(2)
        .any(|p| p[0].output_size() != p[1].input_size())
    {
        return invalid("each layer must take as many inputs as the layer before it outputs");
    }
    let last = layers.len() - 1;
    if let Some(l) = layers[..last]
        .iter()
        .position(|layer| !layer.activation().is_elementwise())
    {
        return Err(Error::InvalidConfig {
            name: "activations",
            reason: format!(
                "layer {} is a hidden layer; a {} layer is allowed only as the output layer",
                l + 1,
                layers[l].activation()
            ),
        });
    }
    let parameters = layers.iter().try_fold(0usize, |acc, layer| {
        acc.checked_add(
            layer
                .input_size()
                .checked_mul(layer.output_size())?
                .checked_add(layer.num_biases())?,
        )
    });
    match parameters {
        Some(p) if p <= isize::MAX as usize / 8 => Ok((sizes, p)),
        _ => invalid("the network would have more weights than memory can address"),
    }
}
