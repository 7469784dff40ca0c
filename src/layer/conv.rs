//! The convolutional layer of Nielsen's chapter 6: local receptive
//! fields, shared weights and biases.

use crate::Activation;

/// The shape of the values a layer takes or gives per example: `channels`
/// feature maps (images) of `height` × `width`, stored map after map, each
/// row after row (the order of MNIST's pixels, and PyTorch's "NCHW").
///
/// A flat vector of `channels · height · width` values is this shape read
/// in order, so a dense layer after a convolutional or pooling layer takes
/// its output as it is: flattening costs nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Shape {
    /// Feature maps (1 for a grey image).
    pub channels: usize,
    /// Rows of each map.
    pub height: usize,
    /// Columns of each map.
    pub width: usize,
}

impl Shape {
    /// `channels` maps of `height` × `width`.
    pub const fn new(channels: usize, height: usize, width: usize) -> Self {
        Shape {
            channels,
            height,
            width,
        }
    }

    /// The values of one example: channels · height · width (saturating,
    /// for shapes that a network refuses anyway).
    pub const fn len(&self) -> usize {
        self.channels
            .saturating_mul(self.height)
            .saturating_mul(self.width)
    }

    /// Whether the shape holds no value.
    pub const fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl std::fmt::Display for Shape {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}×{}×{}", self.channels, self.height, self.width)
    }
}

/// A 2-D convolutional layer: `out_channels` feature maps, each computed
/// from every input map by one k × k kernel slid over it ("valid": only
/// where the kernel fits, stride 1).
///
/// In Nielsen's words (chapter 6), each hidden neuron has a *local
/// receptive field*, a k × k patch of the input, and all the neurons of a
/// feature map *share* the same weights and bias: they detect the same
/// feature at every place of the image. For map j, at output position
/// (y, x),
///
/// ```text
/// a_j,y,x = f( b_j + Σ_c Σ_{l=0}^{k−1} Σ_{m=0}^{k−1} w_j,c,l,m · a′_c,y+l,x+m )
/// ```
///
/// (Nielsen's equation (125), σ(b + Σ_l Σ_m w_l,m a_j+l,k+m), summed over
/// the input maps c as well), where a′ is the layer's input. An input of
/// H × W gives maps of (H − k + 1) × (W − k + 1): 28 × 28 and 5 × 5 give
/// 24 × 24.
///
/// Backpropagation runs the same sums the other way (see
/// [`Network::backprop`](crate::Network::backprop)): with δ the error of
/// the layer's weighted inputs,
///
/// ```text
/// ∂C/∂b_j       = Σ_y,x δ_j,y,x                         (the bias is shared)
/// ∂C/∂w_j,c,l,m = Σ_y,x δ_j,y,x · a′_c,y+l,x+m          (so is each weight)
/// ∂C/∂a′_c,u,v  = Σ_j Σ_l,m w_j,c,l,m · δ_j,u−l,v−m      (where the field fits)
/// ```
///
/// # Parameters
/// out_channels · in_channels · k² weights, map after map (map j's kernel
/// contiguous: input map after input map, each row after row), then
/// out_channels biases: far fewer than a dense layer of as many outputs
/// (20 maps of 5 × 5 on one 28 × 28 image: 500 weights and 20 biases where
/// a dense layer of its 11,520 outputs would need 9 million).
///
/// # Shapes
/// input: in_channels · H · W values per example, output: out_channels ·
/// (H − k + 1) · (W − k + 1) (see [`Shape`] for their order).
///
/// # Examples
/// Nielsen's first convolutional layer: 20 feature maps of 5 × 5 kernels
/// on an MNIST image.
/// ```
/// use neuralnet::layer::{Conv2d, Shape};
/// use neuralnet::Activation;
/// let conv = Conv2d::new(Shape::new(1, 28, 28), 20, 5);
/// assert_eq!(conv.output_shape(), Shape::new(20, 24, 24));
/// assert_eq!(conv.activation(), Activation::Sigmoid);
/// assert_eq!(conv.num_parameters(), 20 * 25 + 20);
/// let relu = conv.with_activation(Activation::Relu);
/// assert_eq!(relu.activation(), Activation::Relu);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Conv2d {
    input: Shape,
    out_channels: usize,
    kernel: usize,
    activation: Activation,
}

impl Conv2d {
    /// A layer of `out_channels` sigmoid feature maps with `kernel` ×
    /// `kernel` receptive fields on inputs of shape `input`. (Sizes are
    /// checked when a network is built from it.)
    pub fn new(input: Shape, out_channels: usize, kernel: usize) -> Self {
        Conv2d {
            input,
            out_channels,
            kernel,
            activation: Activation::Sigmoid,
        }
    }

    /// The same layer with activation f.
    pub fn with_activation(mut self, activation: Activation) -> Self {
        self.activation = activation;
        self
    }

    /// The shape of the input.
    pub fn input_shape(&self) -> Shape {
        self.input
    }

    /// The shape of the output: out_channels maps of (H − k + 1) ×
    /// (W − k + 1) (0 where the kernel does not fit).
    pub fn output_shape(&self) -> Shape {
        let fit = |n: usize| (n + 1).saturating_sub(self.kernel);
        Shape::new(
            self.out_channels,
            fit(self.input.height),
            fit(self.input.width),
        )
    }

    /// The number of feature maps.
    pub fn out_channels(&self) -> usize {
        self.out_channels
    }

    /// k, the side of each kernel.
    pub fn kernel(&self) -> usize {
        self.kernel
    }

    /// The layer's activation f.
    pub fn activation(&self) -> Activation {
        self.activation
    }

    /// The weights of one feature map's kernel: in_channels · k².
    pub fn fan_in(&self) -> usize {
        self.input
            .channels
            .saturating_mul(self.kernel)
            .saturating_mul(self.kernel)
    }

    /// out_channels · in_channels · k² weights plus out_channels biases.
    pub fn num_parameters(&self) -> usize {
        self.out_channels
            .saturating_mul(self.fan_in())
            .saturating_add(self.out_channels)
    }

    /// Why this layer cannot be built, if it cannot.
    pub(crate) fn check(&self) -> Option<String> {
        let Shape {
            channels,
            height,
            width,
        } = self.input;
        if channels == 0 || height == 0 || width == 0 || self.out_channels == 0 {
            return Some(format!(
                "a convolution needs at least one input and one output map of at least 1×1 (input {}, {} maps)",
                self.input, self.out_channels
            ));
        }
        if self.kernel == 0 || self.kernel > height || self.kernel > width {
            return Some(format!(
                "a {k}×{k} kernel does not fit a {height}×{width} input; use a kernel of 1 to {}",
                height.min(width),
                k = self.kernel
            ));
        }
        None
    }
}
