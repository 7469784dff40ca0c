//! The layers a [`Network`](crate::Network) is made of.
//!
//! A layer takes the outputs of the layer before it (for the first layer,
//! the network's input) and computes its own. Each kind of layer is a
//! variant of [`Layer`] with a file of its own here: the lecture's fully
//! connected [`Dense`] layer, and chapter 6's convolutional [`Conv2d`] and
//! [`MaxPool2d`] layers. Images flow between those as [`Shape`]d maps
//! stored one after the other, which is also the flat vector a dense layer
//! takes, so there is no flattening layer.
//!
//! Everything else in the crate walks a network's layers through this one
//! description: the network's parameters sit in one aligned buffer, with
//! each layer's weights and biases at the offsets its
//! [`num_weights`](Layer::num_weights) and [`num_biases`](Layer::num_biases)
//! give; gradients, optimizer state, dropout, the max-norm limit and the
//! model file use the same offsets. A new kind of layer adds a variant,
//! its forward and backward kernels and its parameter counts; the
//! optimizers and the parameter buffer need no change (that is how the
//! convolutional layers came in).
//!
//! `Layer` is a closed enum rather than a trait that users implement: a
//! saved network must be readable back, so the model file has to know
//! every kind of layer there is, and the training loop dispatches on the
//! kind once per layer and mini-batch without a virtual call. It is
//! `#[non_exhaustive]`, so new kinds are not breaking changes.

mod conv;
mod dense;
mod pool;

pub use conv::{Conv2d, Shape};
pub use dense::Dense;
pub use pool::MaxPool2d;

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
///
/// Nielsen's first convolutional network (chapter 6): 20 feature maps of
/// 5 × 5 on the 28 × 28 image, 2 × 2 max-pooling, 100 sigmoid neurons and
/// a softmax output.
/// ```
/// use neuralnet::layer::{Layer, Shape};
/// use neuralnet::{Activation, Init, Network};
/// use rand::{SeedableRng, rngs::StdRng};
/// let layers = [
///     Layer::conv(Shape::new(1, 28, 28), 20, 5, Activation::Sigmoid),
///     Layer::max_pool(Shape::new(20, 24, 24), 2),
///     Layer::dense(20 * 12 * 12, 100, Activation::Sigmoid),
///     Layer::dense(100, 10, Activation::Softmax),
/// ];
/// let net = Network::<f32>::from_layers(&layers, Init::ScaledNormal, &mut StdRng::seed_from_u64(1))?;
/// assert_eq!(net.sizes(), &[784, 11_520, 2_880, 100, 10]);
/// assert_eq!(net.num_parameters(), (500 + 20) + 0 + (288_000 + 100) + (1_000 + 10));
/// # Ok::<(), neuralnet::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Layer {
    /// A fully connected layer (the lecture's).
    Dense(Dense),
    /// A 2-D convolution (chapter 6).
    Conv2d(Conv2d),
    /// Max-pooling (chapter 6).
    MaxPool2d(MaxPool2d),
}

impl From<Dense> for Layer {
    fn from(dense: Dense) -> Self {
        Layer::Dense(dense)
    }
}

impl From<Conv2d> for Layer {
    fn from(conv: Conv2d) -> Self {
        Layer::Conv2d(conv)
    }
}

impl From<MaxPool2d> for Layer {
    fn from(pool: MaxPool2d) -> Self {
        Layer::MaxPool2d(pool)
    }
}

impl Layer {
    /// A [`Dense`] layer of `outputs` neurons with activation `activation`,
    /// fed by `inputs` values.
    pub fn dense(inputs: usize, outputs: usize, activation: Activation) -> Self {
        Layer::Dense(Dense::new(inputs, outputs).with_activation(activation))
    }

    /// A [`Conv2d`] layer of `out_channels` feature maps with `kernel` ×
    /// `kernel` receptive fields and activation `activation`, on inputs of
    /// shape `input`.
    pub fn conv(input: Shape, out_channels: usize, kernel: usize, activation: Activation) -> Self {
        Layer::Conv2d(Conv2d::new(input, out_channels, kernel).with_activation(activation))
    }

    /// A [`MaxPool2d`] layer of `size` × `size` blocks on inputs of shape
    /// `input`.
    pub fn max_pool(input: Shape, size: usize) -> Self {
        Layer::MaxPool2d(MaxPool2d::new(input, size))
    }

    /// The number of values the layer takes per example.
    pub fn input_size(&self) -> usize {
        match self {
            Layer::Dense(d) => d.inputs(),
            Layer::Conv2d(c) => c.input_shape().len(),
            Layer::MaxPool2d(p) => p.input_shape().len(),
        }
    }

    /// The number of values the layer outputs per example.
    pub fn output_size(&self) -> usize {
        match self {
            Layer::Dense(d) => d.outputs(),
            Layer::Conv2d(c) => c.output_shape().len(),
            Layer::MaxPool2d(p) => p.output_shape().len(),
        }
    }

    /// The shape of the output as feature maps, for the layers that make
    /// maps (`None` for a dense layer).
    pub fn output_shape(&self) -> Option<Shape> {
        match self {
            Layer::Dense(_) => None,
            Layer::Conv2d(c) => Some(c.output_shape()),
            Layer::MaxPool2d(p) => Some(p.output_shape()),
        }
    }

    /// The activation applied to the layer's output.
    pub fn activation(&self) -> Activation {
        match self {
            Layer::Dense(d) => d.activation(),
            Layer::Conv2d(c) => c.activation(),
            Layer::MaxPool2d(p) => p.activation(),
        }
    }

    /// The same layer with another activation.
    pub fn with_activation(self, activation: Activation) -> Self {
        match self {
            Layer::Dense(d) => Layer::Dense(d.with_activation(activation)),
            Layer::Conv2d(c) => Layer::Conv2d(c.with_activation(activation)),
            Layer::MaxPool2d(p) => Layer::MaxPool2d(p.with_activation(activation)),
        }
    }

    /// The number of weights: the parameters that L2 regularisation, weight
    /// decay and the max-norm limit act on.
    pub fn num_weights(&self) -> usize {
        match self {
            Layer::Dense(d) => d.inputs().saturating_mul(d.outputs()),
            Layer::Conv2d(c) => c.out_channels().saturating_mul(c.fan_in()),
            Layer::MaxPool2d(_) => 0,
        }
    }

    /// The number of biases.
    pub fn num_biases(&self) -> usize {
        match self {
            Layer::Dense(d) => d.outputs(),
            Layer::Conv2d(c) => c.out_channels(),
            Layer::MaxPool2d(_) => 0,
        }
    }

    /// The values each neuron weighs (n_in for a dense layer, the
    /// in_channels · k² of a kernel for a convolution, 0 for pooling): the
    /// length of the max-norm limit's weight vectors and the fan-in of
    /// [`Init::ScaledNormal`](crate::Init::ScaledNormal).
    pub fn fan_in(&self) -> usize {
        match self {
            Layer::Dense(d) => d.inputs(),
            Layer::Conv2d(c) => c.fan_in(),
            Layer::MaxPool2d(_) => 0,
        }
    }

    /// The kind's name: `"dense"`, `"conv2d"` or `"max_pool2d"` (as the
    /// model file's JSON writes it).
    pub fn kind(&self) -> &'static str {
        match self {
            Layer::Dense(_) => "dense",
            Layer::Conv2d(_) => "conv2d",
            Layer::MaxPool2d(_) => "max_pool2d",
        }
    }

    /// The shape of the input as feature maps, for the layers that take
    /// maps (`None` for a dense layer, which takes any flat vector).
    pub fn input_shape(&self) -> Option<Shape> {
        match self {
            Layer::Dense(_) => None,
            Layer::Conv2d(c) => Some(c.input_shape()),
            Layer::MaxPool2d(p) => Some(p.input_shape()),
        }
    }

    /// Multiply-adds of one example's forward pass (comparisons for
    /// pooling): what threads are planned by.
    pub(crate) fn work(&self) -> usize {
        match self {
            Layer::Dense(_) => self.num_weights(),
            Layer::Conv2d(c) => {
                let out = c.output_shape();
                c.fan_in().saturating_mul(out.len())
            }
            Layer::MaxPool2d(p) => p.input_shape().len(),
        }
    }

    /// Why the layer cannot be built on its own, if it cannot.
    fn check(&self) -> Option<String> {
        match self {
            Layer::Dense(_) => None,
            Layer::Conv2d(c) => c.check(),
            Layer::MaxPool2d(p) => p.check(),
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
    if let Some((l, reason)) = layers
        .iter()
        .enumerate()
        .find_map(|(l, layer)| layer.check().map(|r| (l, r)))
    {
        return Err(Error::InvalidConfig {
            name: "layers",
            reason: format!("layer {} ({}): {reason}", l + 1, layers[l].kind()),
        });
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
    if let Some(l) = layers.windows(2).position(
        |p| matches!((p[0].output_shape(), p[1].input_shape()), (Some(a), Some(b)) if a != b),
    ) {
        return Err(Error::InvalidConfig {
            name: "layers",
            reason: format!(
                "layer {} ({}) takes maps of {} but layer {} gives {}",
                l + 2,
                layers[l + 1].kind(),
                layers[l + 1].input_shape().expect("checked above"),
                l + 1,
                layers[l].output_shape().expect("checked above"),
            ),
        });
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
            match layer {
                Layer::Dense(d) => d.inputs().checked_mul(d.outputs())?,
                Layer::Conv2d(c) => c.out_channels().checked_mul(c.fan_in())?,
                Layer::MaxPool2d(_) => 0,
            }
            .checked_add(layer.num_biases())?,
        )
    });
    match parameters {
        Some(p) if p <= isize::MAX as usize / 8 => Ok((sizes, p)),
        _ => invalid("the network would have more weights than memory can address"),
    }
}
