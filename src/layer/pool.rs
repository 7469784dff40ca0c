//! Max-pooling, the layer Nielsen puts after each convolution.

use super::Shape;
use crate::Activation;

/// Max-pooling: each feature map is cut into p × p blocks (2 × 2 in
/// Nielsen's networks) and each block is replaced by its largest value.
///
/// It condenses a convolutional layer's output, asking *whether* a
/// feature was found somewhere in a region rather than exactly where
/// (Nielsen, chapter 6): a 24 × 24 map becomes 12 × 12. Rows and columns
/// that do not fill a whole block are left out (Theano's
/// `ignore_border=True`, which `network3.py` uses), so H × W gives
/// ⌊H/p⌋ × ⌊W/p⌋.
///
/// ```text
/// a_c,y,x = f( max_{0≤l,m<p} a′_c,py+l,px+m )
/// ```
///
/// with f the layer's activation, the identity unless set otherwise.
///
/// It has no weights or biases, so it learns nothing; backpropagation
/// passes each block's error back to the one input that was largest (the
/// only one that moved the output; on a tie, the first in row-major
/// order) and 0 to the rest:
///
/// ```text
/// ∂C/∂a′_c,u,v = ∂C/∂a_c,⌊u/p⌋,⌊v/p⌋  if (u, v) is its block's maximum, else 0
/// ```
///
/// # Shapes
/// input: channels · H · W values per example, output: channels ·
/// ⌊H/p⌋ · ⌊W/p⌋.
///
/// # Examples
/// ```
/// use neuralnet::layer::{MaxPool2d, Shape};
/// let pool = MaxPool2d::new(Shape::new(20, 24, 24), 2);
/// assert_eq!(pool.output_shape(), Shape::new(20, 12, 12));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MaxPool2d {
    input: Shape,
    size: usize,
    activation: Activation,
}

impl MaxPool2d {
    /// Max-pooling of `size` × `size` blocks on inputs of shape `input`,
    /// with the identity as activation. (Sizes are checked when a network
    /// is built from it.)
    pub fn new(input: Shape, size: usize) -> Self {
        MaxPool2d {
            input,
            size,
            activation: Activation::Identity,
        }
    }

    /// The same layer with activation f applied to each maximum.
    pub fn with_activation(mut self, activation: Activation) -> Self {
        self.activation = activation;
        self
    }

    /// The shape of the input.
    pub fn input_shape(&self) -> Shape {
        self.input
    }

    /// The shape of the output: as many maps, ⌊H/p⌋ × ⌊W/p⌋.
    pub fn output_shape(&self) -> Shape {
        let p = self.size.max(1);
        Shape::new(
            self.input.channels,
            self.input.height / p,
            self.input.width / p,
        )
    }

    /// p, the side of each block.
    pub fn size(&self) -> usize {
        self.size
    }

    /// The layer's activation f.
    pub fn activation(&self) -> Activation {
        self.activation
    }

    /// Why this layer cannot be built, if it cannot.
    pub(crate) fn check(&self) -> Option<String> {
        let Shape {
            channels,
            height,
            width,
        } = self.input;
        if channels == 0 || height == 0 || width == 0 {
            return Some(format!(
                "pooling needs at least one map of at least 1×1 (input {})",
                self.input
            ));
        }
        if self.size == 0 || self.size > height || self.size > width {
            return Some(format!(
                "a {p}×{p} pooling block does not fit a {height}×{width} map; use a block of 1 to {}",
                height.min(width),
                p = self.size
            ));
        }
        None
    }
}
