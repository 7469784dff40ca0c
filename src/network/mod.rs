//! `Network`: layers of neurons (sigmoid by default), feedforward,
//! backpropagation and evaluation.
//!
//! One type, its impls split by concern: this file builds the network and
//! answers questions about it; `workspace.rs` holds the buffers and the
//! order of a forward and backward pass (shared with training);
//! `gradient.rs` the gradient of [`Network::backprop`]; `evaluation.rs`
//! what evaluation reports; `predictor.rs` the forward pass with buffers
//! of its own, for serving ([`Predictor`]).

mod evaluation;
mod gradient;
mod predictor;
mod workspace;

use nalgebra::{
    DMatrix, DMatrixView, DVector, DVectorView, Dyn, IsContiguous, Matrix, RawStorage, U1,
};
use rand::Rng;
use rand_distr::{Distribution, StandardNormal};

use crate::dataset::check_finite;
pub(crate) use crate::dataset::class_of;
use crate::layer::{Layer, check_layers};
use crate::params::{Layout, Parameters};
use crate::threads;
use crate::{Activation, Cost, Dataset, Error, Real, Result};

pub use evaluation::{ConfusionMatrix, Evaluation};
pub use gradient::Gradient;
pub(crate) use gradient::GradientSink;
pub use predictor::Predictor;
pub(crate) use workspace::{Backward, Workspace};

/// How the weights and biases of a new network are drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Init {
    /// Weights and biases from the standard normal N(0, 1), as in the
    /// lecture's network (Nielsen's `network.py`).
    #[default]
    StandardNormal,
    /// Weights from N(0, 1/n_in), biases from N(0, 1) (Nielsen, chapter 3):
    /// the weighted input z of a neuron then starts near N(0, 1), so hidden
    /// neurons do not start saturated and learn faster.
    ScaledNormal,
    /// Weights from N(0, 2/n_in), biases 0 (He et al., 2015, "Delving deep
    /// into rectifiers"), for ReLU layers: a ReLU passes on only the
    /// positive half of z, so twice the scaled-normal variance keeps the
    /// activations' size from layer to layer, and zero biases let no neuron
    /// start switched off. With N(0, 1) biases a wide ReLU layer starts
    /// with many neurons far below 0, and one large early step can switch
    /// off a whole layer for every input: the network then always answers
    /// the most common class and never recovers.
    He,
}

crate::names::named_enum! {
    Init, "init", "an initialisation",
    StandardNormal => "standard-normal",
    ScaledNormal => "scaled-normal",
    He => "he",
}

/// A feedforward network of sigmoid neurons (or tanh, ReLU and softmax
/// layers), fully connected layer to layer.
///
/// Built from its layer sizes, input layer first: `[784, 30, 10]` is the
/// lecture's digit network, with 784 input neurons (28 × 28 pixels), a
/// hidden layer of 30 neurons and 10 output neurons, one per digit
/// (section 5 of the lecture notes).
///
/// Each layer l after the input has a weight matrix wˡ, whose entry wˡ_jk is
/// the weight from neuron k of layer l−1 to neuron j of layer l, and a bias
/// vector bˡ. Its activations are aˡ = σ(wˡ aˡ⁻¹ + bˡ).
///
/// Every layer is of sigmoid neurons unless set otherwise: each layer after
/// the input has an [`Activation`] f, and aˡ = f(wˡ aˡ⁻¹ + bˡ).
/// [`Network::with_hidden`], [`Network::with_output`] and
/// [`Network::with_activations`] set them (Nielsen, chapter 3: tanh or
/// rectified linear hidden layers, a softmax output layer).
///
/// Internally each neuron's weight vector is stored contiguously (the
/// transpose of the lecture's wˡ), which makes the training loop fast;
/// [`Network::weights`] returns the lecture's orientation.
///
/// # Examples
/// ```
/// use nalgebra::DVector;
/// use neuralnet::{Init, Network};
/// use rand::{SeedableRng, rngs::StdRng};
///
/// let mut rng = StdRng::seed_from_u64(1);
/// let net = Network::<f64>::new(&[784, 30, 10], Init::StandardNormal, &mut rng)?;
/// assert_eq!(net.sizes(), &[784, 30, 10]);
/// assert_eq!(net.weights()[0].shape(), (30, 784)); // rows: neurons of layer 1
/// let digit = net.predict(&DVector::zeros(784))?;   // which output neuron fires most
/// assert!(digit < 10);
/// # Ok::<(), neuralnet::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Network<T: Real> {
    /// The layers, first hidden layer first.
    layers: Vec<Layer>,
    /// The layer sizes, input first (from `layers`).
    sizes: Vec<usize>,
    /// Per layer after the input: its activation function (from `layers`).
    activations: Vec<Activation>,
    /// Every weight and bias, laid out by `layers`: per dense layer
    /// n_in × n_out, column-major, column i = neuron i's weights
    /// (neuron-major), starting on a cache line for the kernels, then the
    /// biases.
    params: Parameters<T>,
}

/// Checks layer sizes for a network; returns its number of parameters
/// (weights and biases), which fits in memory.
pub(crate) fn check_sizes(sizes: &[usize]) -> Result<usize> {
    let invalid = |reason| {
        Err(Error::InvalidLayers {
            sizes: sizes.to_vec(),
            reason,
        })
    };
    if sizes.len() < 2 {
        return invalid(
            "a network needs at least an input and an output layer, e.g. [784, 30, 10]",
        );
    }
    if sizes.contains(&0) {
        return invalid("every layer needs at least one neuron");
    }
    let weights = sizes.windows(2).try_fold(0usize, |acc, p| {
        acc.checked_add(p[0].checked_mul(p[1])?.checked_add(p[1])?)
    });
    match weights {
        Some(w) if w <= isize::MAX as usize / 8 => Ok(w),
        _ => invalid("the network would have more weights than memory can address"),
    }
}

impl<T: Real> Network<T> {
    /// A network with the given layer sizes, weights and biases drawn from
    /// `rng` as `init` says. The same seed gives bit-identical networks.
    ///
    /// The input layer has no biases: its neurons only hold the input.
    ///
    /// # Errors
    /// [`Error::InvalidLayers`] if there are fewer than two layers or a layer
    /// has no neurons; [`Error::Allocation`] if the weights do not fit in
    /// memory (say `[784, 100_000_000, 10]`).
    pub fn new<R: Rng + ?Sized>(sizes: &[usize], init: Init, rng: &mut R) -> Result<Self> {
        check_sizes(sizes)?;
        let layers: Vec<Layer> = sizes
            .windows(2)
            .map(|p| Layer::dense(p[0], p[1], Activation::Sigmoid))
            .collect();
        Self::from_layers(&layers, init, rng)
    }

    /// A network of the given layers, first hidden layer first (the input
    /// layer is the first layer's input), weights and biases drawn from
    /// `rng` as `init` says. [`Network::new`] is this with dense sigmoid
    /// layers; see [`Layer`] for an example.
    ///
    /// # Errors
    /// [`Error::InvalidLayers`] if there is no layer, a layer is empty or
    /// does not take what the layer before it outputs;
    /// [`Error::InvalidConfig`] for a softmax before the last layer;
    /// [`Error::Allocation`] if the parameters do not fit in memory.
    pub fn from_layers<R: Rng + ?Sized>(layers: &[Layer], init: Init, rng: &mut R) -> Result<Self> {
        let mut net = Self::zeros(layers)?;
        let mut normal = || -> T { nalgebra::convert::<f64, T>(StandardNormal.sample(rng)) };
        for (l, layer) in layers.iter().enumerate() {
            let fan_in = nalgebra::convert::<f64, T>(layer.fan_in() as f64);
            let scale: T = match init {
                Init::StandardNormal => T::one(),
                Init::ScaledNormal => T::one() / fan_in.sqrt(),
                Init::He => (nalgebra::convert::<f64, T>(2.0) / fan_in).sqrt(),
            };
            // Drawn in the lecture's order (row j, then column k of wˡ,
            // which is how a dense layer stores them), then the biases.
            let (w, b) = net.params.layer_mut(l);
            w.iter_mut().for_each(|v| *v = normal() * scale);
            if init != Init::He {
                b.iter_mut().for_each(|v| *v = normal());
            }
        }
        Ok(net)
    }

    /// A network of `layers` with every weight and bias 0.
    fn zeros(layers: &[Layer]) -> Result<Self> {
        let (sizes, _) = check_layers(layers)?;
        Ok(Network {
            layers: layers.to_vec(),
            sizes,
            activations: layers.iter().map(Layer::activation).collect(),
            params: Parameters::zeros(Layout::of(layers), "the weights")?,
        })
    }

    /// A network from given weights and biases, in the lecture's orientation:
    /// `weights[l]` is n_{l+1} × n_l (row j holds the weights into neuron j)
    /// and `biases[l]` has n_{l+1} entries.
    ///
    /// # Errors
    /// [`Error::InvalidLayers`] if there are no layers, a layer is empty, or
    /// the two lists differ in length; [`Error::ShapeMismatch`] if a matrix
    /// does not chain with its neighbours or a bias vector does not fit;
    /// [`Error::Allocation`] if the network's own copy does not fit in memory.
    pub fn from_parameters(weights: Vec<DMatrix<T>>, biases: Vec<DVector<T>>) -> Result<Self> {
        let mut sizes: Vec<usize> = weights.first().map(|w| w.ncols()).into_iter().collect();
        sizes.extend(weights.iter().map(|w| w.nrows()));
        if weights.len() != biases.len() {
            return Err(Error::InvalidLayers {
                sizes,
                reason: "there must be one bias vector per weight matrix",
            });
        }
        check_sizes(&sizes)?;
        for (l, (w, b)) in weights.iter().zip(&biases).enumerate() {
            if w.ncols() != sizes[l] {
                return Err(Error::ShapeMismatch {
                    layer: l,
                    what: "weights",
                    expected: (w.nrows(), sizes[l]),
                    got: w.shape(),
                });
            }
            if b.len() != w.nrows() {
                return Err(Error::ShapeMismatch {
                    layer: l,
                    what: "biases",
                    expected: (w.nrows(), 1),
                    got: b.shape(),
                });
            }
        }
        let layers: Vec<Layer> = sizes
            .windows(2)
            .map(|p| Layer::dense(p[0], p[1], Activation::Sigmoid))
            .collect();
        let mut net = Self::zeros(&layers)?;
        for (l, (wl, bl)) in weights.iter().zip(&biases).enumerate() {
            let (w, b) = net.params.layer_mut(l);
            // Neuron-major: row j of wˡ becomes contiguous.
            let n_in = wl.ncols();
            for (j, row) in w.chunks_exact_mut(n_in).enumerate() {
                for (k, v) in row.iter_mut().enumerate() {
                    *v = wl[(j, k)];
                }
            }
            b.copy_from_slice(bl.as_slice());
        }
        Ok(net)
    }

    /// Sets every weight and bias, given as [`Network::weights`] and
    /// [`Network::biases`] show them: for each layer a matrix with one row
    /// per neuron (per feature map for a convolution: its kernels, input
    /// map after map, each row after row; 0 × 0 for pooling) and a bias
    /// vector. For any kind of layer, where [`Network::from_parameters`]
    /// builds dense networks only.
    ///
    /// # Examples
    /// ```
    /// use nalgebra::{DMatrix, DVector};
    /// use neuralnet::layer::{Layer, Shape};
    /// use neuralnet::{Activation, Init, Network};
    /// use rand::{SeedableRng, rngs::StdRng};
    /// let layers = [
    ///     Layer::conv(Shape::new(1, 3, 3), 1, 2, Activation::Identity),
    ///     Layer::dense(4, 1, Activation::Identity),
    /// ];
    /// let mut net = Network::<f64>::from_layers(&layers, Init::StandardNormal, &mut StdRng::seed_from_u64(1))?;
    /// // A 2 × 2 kernel that sums its field, and a dense layer that sums the map.
    /// net.set_parameters(
    ///     &[DMatrix::from_element(1, 4, 1.0), DMatrix::from_element(1, 4, 1.0)],
    ///     &[DVector::zeros(1), DVector::zeros(1)],
    /// )?;
    /// let x = DVector::from_vec((1..=9).map(f64::from).collect());
    /// // Fields (1,2,4,5), (2,3,5,6), (4,5,7,8), (5,6,8,9): 12 + 16 + 24 + 28.
    /// assert_eq!(net.feedforward(&x)?[0], 80.0);
    /// # Ok::<(), neuralnet::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidLayers`] if the lists do not have one entry per
    /// layer; [`Error::ShapeMismatch`] naming the first matrix or vector of
    /// the wrong shape. On an error nothing is changed.
    pub fn set_parameters(&mut self, weights: &[DMatrix<T>], biases: &[DVector<T>]) -> Result<()> {
        if weights.len() != self.layers.len() || biases.len() != self.layers.len() {
            return Err(Error::InvalidLayers {
                sizes: self.sizes.clone(),
                reason: "give one weight matrix and one bias vector per layer",
            });
        }
        let shapes: Vec<_> = self.weights().iter().map(|w| w.shape()).collect();
        for (l, ((w, b), &shape)) in weights.iter().zip(biases).zip(&shapes).enumerate() {
            if w.shape() != shape {
                return Err(Error::ShapeMismatch {
                    layer: l,
                    what: "weights",
                    expected: shape,
                    got: w.shape(),
                });
            }
            if b.len() != self.layers[l].num_biases() {
                return Err(Error::ShapeMismatch {
                    layer: l,
                    what: "biases",
                    expected: (self.layers[l].num_biases(), 1),
                    got: b.shape(),
                });
            }
        }
        for (l, (wl, bl)) in weights.iter().zip(biases).enumerate() {
            let (w, b) = self.params.layer_mut(l);
            // Row j of the matrix becomes contiguous.
            for (j, row) in w.chunks_exact_mut(wl.ncols().max(1)).enumerate() {
                for (k, v) in row.iter_mut().enumerate() {
                    *v = wl[(j, k)];
                }
            }
            b.copy_from_slice(bl.as_slice());
        }
        Ok(())
    }

    /// The same network with the activation of every layer after the input
    /// given: `activations[l]` for layer l + 1 (the first hidden layer
    /// first, the output layer last). The weights and biases are unchanged.
    ///
    /// # Examples
    /// ```
    /// use neuralnet::{Activation, Init, Network};
    /// use rand::{SeedableRng, rngs::StdRng};
    /// let net = Network::<f32>::new(&[784, 100, 10], Init::ScaledNormal, &mut StdRng::seed_from_u64(1))?
    ///     .with_activations(&[Activation::Relu, Activation::Softmax])?;
    /// assert_eq!(net.output_activation(), Activation::Softmax);
    /// # Ok::<(), neuralnet::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] (named `"activations"`) if there is not one
    /// activation per layer after the input, or a softmax is anywhere but
    /// the output layer (it has no element-wise derivative to pass errors
    /// back through).
    pub fn with_activations(mut self, activations: &[Activation]) -> Result<Self> {
        if activations.len() != self.layers.len() {
            return Err(Error::InvalidConfig {
                name: "activations",
                reason: format!(
                    "{} activations for a network of {} layers; give one per layer after the input ({})",
                    activations.len(),
                    self.sizes.len(),
                    self.activations.len()
                ),
            });
        }
        let last = activations.len() - 1;
        if let Some(l) = activations[..last].iter().position(|a| !a.is_elementwise()) {
            return Err(Error::InvalidConfig {
                name: "activations",
                reason: format!(
                    "layer {} is a hidden layer; a {} layer is allowed only as the output layer",
                    l + 1,
                    activations[l]
                ),
            });
        }
        for (layer, &a) in self.layers.iter_mut().zip(activations) {
            *layer = layer.with_activation(a);
        }
        self.activations.copy_from_slice(activations);
        Ok(self)
    }

    /// The same network with every hidden layer (every layer between the
    /// input and the output layer) of activation `hidden`.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] for a softmax, which is allowed only as the
    /// output layer.
    pub fn with_hidden(self, hidden: Activation) -> Result<Self> {
        let mut all = self.activations.clone();
        let last = all.len() - 1;
        all[..last].fill(hidden);
        self.with_activations(&all)
    }

    /// The same network with an output layer of activation `output`, e.g.
    /// [`Activation::Softmax`] for the log-likelihood cost.
    ///
    /// # Examples
    /// ```
    /// use neuralnet::{Activation, Init, Network};
    /// use rand::{SeedableRng, rngs::StdRng};
    /// let net = Network::<f64>::new(&[4, 8, 3], Init::ScaledNormal, &mut StdRng::seed_from_u64(1))?
    ///     .with_hidden(Activation::Tanh)?
    ///     .with_output(Activation::Softmax);
    /// assert_eq!(net.activations(), &[Activation::Tanh, Activation::Softmax]);
    /// let a = net.feedforward(&nalgebra::DVector::from_element(4, 0.5))?;
    /// assert!((a.sum() - 1.0).abs() < 1e-12); // a softmax layer's outputs sum to 1
    /// # Ok::<(), neuralnet::Error>(())
    /// ```
    ///
    /// Any activation can be the output layer's, so this cannot fail.
    pub fn with_output(mut self, output: Activation) -> Self {
        let last = self.layers.len() - 1;
        self.layers[last] = self.layers[last].with_activation(output);
        self.activations[last] = output;
        self
    }

    /// The activation of each layer after the input, the output layer last.
    pub fn activations(&self) -> &[Activation] {
        &self.activations
    }

    /// The output layer's activation.
    pub fn output_activation(&self) -> Activation {
        self.activations[self.activations.len() - 1]
    }

    /// The layers, first hidden layer first.
    pub fn layers(&self) -> &[Layer] {
        &self.layers
    }

    /// The layer sizes, input layer first.
    pub fn sizes(&self) -> &[usize] {
        &self.sizes
    }

    /// Number of layers, the input layer included.
    pub fn num_layers(&self) -> usize {
        self.sizes.len()
    }

    /// Neurons in the input layer.
    pub fn input_size(&self) -> usize {
        self.sizes[0]
    }

    /// Neurons in the output layer.
    pub fn output_size(&self) -> usize {
        self.sizes[self.sizes.len() - 1]
    }

    /// The weight matrices wˡ in the lecture's orientation, borrowed (no
    /// copy): `weights()[l]` is n_{l+1} × n_l, its entry (j, k) the weight
    /// from neuron k of one layer to neuron j of the next. For owned
    /// matrices, see [`Network::to_parameters`].
    pub fn weights(&self) -> Vec<DMatrixView<'_, T, Dyn, Dyn>> {
        weight_views(&self.params)
    }

    /// The bias vectors bˡ, borrowed (no copy): one per layer after the
    /// input layer.
    pub fn biases(&self) -> Vec<DVectorView<'_, T>> {
        bias_views(&self.params)
    }

    /// Owned copies of the weights (lecture's orientation) and biases: the
    /// inverse of [`Network::from_parameters`].
    pub fn to_parameters(&self) -> (Vec<DMatrix<T>>, Vec<DVector<T>>) {
        let w = self.weights().iter().map(|w| w.into_owned()).collect();
        let b = self.biases().iter().map(|b| b.into_owned()).collect();
        (w, b)
    }

    /// Total number of weights and biases.
    pub fn num_parameters(&self) -> usize {
        self.params.layout().num_parameters()
    }

    /// The same network in another scalar type (rounding to the nearest
    /// value when narrowing `f64` to `f32`).
    ///
    /// # Examples
    /// ```
    /// use neuralnet::{Init, Network};
    /// use rand::{SeedableRng, rngs::StdRng};
    /// let n32 = Network::<f32>::new(&[3, 2], Init::StandardNormal, &mut StdRng::seed_from_u64(1))?;
    /// let n64: Network<f64> = n32.cast()?;
    /// assert_eq!(n64.cast::<f32>()?, n32); // every f32 is an f64
    /// # Ok::<(), neuralnet::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::NonFinite`] if a weight or bias does not fit the new type
    /// (an `f64` above 3.4·10³⁸ becomes an infinite `f32`).
    pub fn cast<U: Real>(&self) -> Result<Network<U>> {
        let conv = |v: T| crate::scalar::from_f64::<U>(crate::scalar::to_f64(v));
        let net = Network {
            layers: self.layers.clone(),
            sizes: self.sizes.clone(),
            activations: self.activations.clone(),
            params: self.params.map(conv),
        };
        net.check_finite()?;
        Ok(net)
    }

    /// [`Error::NonFinite`] naming the first layer that holds a NaN or
    /// infinite weight or bias.
    pub(crate) fn check_finite(&self) -> Result<()> {
        for (layer, (w, b)) in self.params.layers().enumerate() {
            if !w.iter().all(|v| v.is_finite()) {
                return Err(Error::NonFinite {
                    layer,
                    what: "weight",
                });
            }
            if !b.iter().all(|v| v.is_finite()) {
                return Err(Error::NonFinite {
                    layer,
                    what: "bias",
                });
            }
        }
        Ok(())
    }

    /// Whether every weight and bias is finite.
    pub fn is_finite(&self) -> bool {
        // Padding is 0, so the whole buffer can be checked at once.
        self.params.as_slice().iter().all(|v| v.is_finite())
    }

    pub(crate) fn check_inputs(&self, rows: usize) -> Result<()> {
        if rows != self.input_size() {
            return Err(Error::InputSize {
                what: "network's input layer",
                expected: self.input_size(),
                got: rows,
            });
        }
        Ok(())
    }

    pub(crate) fn check_data(&self, data: &Dataset<T>) -> Result<()> {
        self.check_inputs(data.input_size())?;
        if data.target_size() != self.output_size() {
            return Err(Error::TargetSize {
                expected: self.output_size(),
                got: data.target_size(),
            });
        }
        Ok(())
    }

    /// The output aᴸ for one input x: each layer computes aˡ = σ(wˡ aˡ⁻¹ + bˡ)
    /// (aˡ = f(wˡ aˡ⁻¹ + bˡ) with the layer's activation f).
    ///
    /// `x` is any contiguous vector: a `DVector`, or a column of a matrix
    /// (`net.feedforward(&m.column(0))`).
    ///
    /// # Errors
    /// [`Error::InputSize`] if `x` does not have one value per input neuron;
    /// [`Error::NonFiniteInput`] if a value is NaN or infinite.
    pub fn feedforward<S>(&self, x: &Matrix<T, Dyn, U1, S>) -> Result<DVector<T>>
    where
        S: RawStorage<T, Dyn, U1> + IsContiguous,
    {
        self.check_inputs(x.len())?;
        check_finite("input", x.len(), x.as_slice())?;
        let mut ws = Workspace::inference(&self.layers, 1)?;
        Ok(DVector::from_column_slice(ws.feedforward(
            self,
            x.as_slice(),
            1,
        )))
    }

    /// The outputs for a batch of inputs, one example per column.
    ///
    /// # Shapes
    /// `x`: n_in × m (any matrix or view); result: n_out × m.
    ///
    /// # Errors
    /// [`Error::InputSize`] if `x` does not have one row per input neuron;
    /// [`Error::NonFiniteInput`] naming the example (column) of a NaN or
    /// infinite value.
    pub fn feedforward_batch<S>(&self, x: &Matrix<T, Dyn, Dyn, S>) -> Result<DMatrix<T>>
    where
        S: RawStorage<T, Dyn, Dyn>,
    {
        self.check_inputs(x.nrows())?;
        let x = column_major(x);
        let x = &x;
        check_finite("input", x.nrows(), x.as_slice())?;
        let m = x.ncols();
        if m == 0 {
            return Ok(DMatrix::zeros(self.output_size(), 0));
        }
        let mut ws = Workspace::inference(&self.layers, m)?;
        let out = ws.feedforward(self, x.as_slice(), m);
        Ok(DMatrix::from_column_slice(self.output_size(), m, out))
    }

    /// The network's answer for input x ("which neuron fires"): the index of
    /// the most activated output neuron (the first one on a tie). For MNIST,
    /// the digit.
    ///
    /// A network with a single output neuron answers a yes/no question: its
    /// answer is 1 when the output is above ½, else 0 (as
    /// [`Network::evaluate`] counts it).
    ///
    /// # Errors
    /// [`Error::InputSize`] if `x` does not have one value per input neuron;
    /// [`Error::NonFiniteInput`] if a value is NaN or infinite.
    pub fn predict<S>(&self, x: &Matrix<T, Dyn, U1, S>) -> Result<usize>
    where
        S: RawStorage<T, Dyn, U1> + IsContiguous,
    {
        Ok(class_of(self.feedforward(x)?.as_slice()))
    }

    /// [`Network::predict`] for each column of `x`.
    ///
    /// # Shapes
    /// `x`: n_in × m (any matrix or view); result: m answers.
    ///
    /// # Errors
    /// [`Error::InputSize`] if `x` does not have one row per input neuron;
    /// [`Error::NonFiniteInput`] naming the example (column) of a NaN or
    /// infinite value.
    pub fn predict_batch<S>(&self, x: &Matrix<T, Dyn, Dyn, S>) -> Result<Vec<usize>>
    where
        S: RawStorage<T, Dyn, Dyn>,
    {
        self.check_inputs(x.nrows())?;
        let x = column_major(x);
        let x = &x;
        check_finite("input", x.nrows(), x.as_slice())?;
        let n = x.ncols();
        let mut out = vec![0; n];
        let x = x.as_slice();
        let failed = std::sync::Mutex::new(None);
        threads::split_across_threads(self.threads_for(n), n, 1, &mut out, |range, out| {
            match Workspace::inference(&self.layers, EVAL_CHUNK.min(range.len().max(1))) {
                Ok(mut ws) => ws.classify(self, x, range, out),
                Err(e) => *failed.lock().unwrap_or_else(|p| p.into_inner()) = Some(e),
            }
        });
        match failed.into_inner().unwrap_or_else(|p| p.into_inner()) {
            Some(e) => Err(e),
            None => Ok(out),
        }
    }

    /// Backpropagation over a mini-batch: the gradient of the batch's average
    /// cost C = (1/m) Σ_x C_x with respect to every weight and bias.
    ///
    /// It is computed for the whole batch at once, as matrix operations, with
    /// the four equations of backpropagation (Nielsen, chapter 2):
    ///
    /// ```text
    /// δᴸ = ∇_a C ⊙ σ′(zᴸ)                 (the cost's output error)
    /// δˡ = ((wˡ⁺¹)ᵀ δˡ⁺¹) ⊙ σ′(zˡ)         (errors flow backwards)
    /// ∂C/∂bˡ_j = δˡ_j
    /// ∂C/∂wˡ_jk = aˡ⁻¹_k δˡ_j
    /// ```
    ///
    /// With other activations f, σ′ becomes f′ (written through the stored
    /// activations, [`Activation::chain`]), and the cost combines with the
    /// output activation as [`Cost::delta`] says.
    ///
    /// # Shapes
    /// `x`: n_in × m, `y`: n_out × m, m ≥ 1 (any matrices or views).
    ///
    /// # Errors
    /// [`Error::InputSize`], [`Error::TargetSize`] or [`Error::ExampleCount`]
    /// if the shapes do not fit the network; [`Error::EmptyData`] if m = 0;
    /// [`Error::NonFiniteInput`] for a NaN or infinite value.
    /// [`Error::CostActivation`] if the cost cannot train the output layer
    /// ([`Cost::check_output`]).
    pub fn backprop<C, S1, S2>(
        &self,
        x: &Matrix<T, Dyn, Dyn, S1>,
        y: &Matrix<T, Dyn, Dyn, S2>,
        cost: &C,
    ) -> Result<Gradient<T>>
    where
        C: Cost<T> + ?Sized,
        S1: RawStorage<T, Dyn, Dyn>,
        S2: RawStorage<T, Dyn, Dyn>,
    {
        self.check_inputs(x.nrows())?;
        if y.nrows() != self.output_size() {
            return Err(Error::TargetSize {
                expected: self.output_size(),
                got: y.nrows(),
            });
        }
        if x.ncols() != y.ncols() {
            return Err(Error::ExampleCount {
                inputs: x.ncols(),
                targets: y.ncols(),
            });
        }
        let m = x.ncols();
        if m == 0 {
            return Err(Error::EmptyData { what: "mini-batch" });
        }
        let (x, y) = (column_major(x), column_major(y));
        check_finite("input", x.nrows(), x.as_slice())?;
        check_finite("target", y.nrows(), y.as_slice())?;
        cost.check_output(self.output_activation())?;
        cost.check_targets(y.as_slice(), self.output_size())?;
        let mut ws = Workspace::new(&self.layers, m)?;
        ws.load(x.as_slice(), y.as_slice(), m);
        ws.feedforward_batch(self, m);
        let mut params = self.params.zeros_like("the gradient")?;
        let mut sink = GradientSink::new(self, &mut params, m);
        let inv_m = sink.inv_m();
        ws.backpropagate_batch(cost, &mut sink, m, inv_m);
        Ok(Gradient::from_params(self.sizes.clone(), params))
    }

    /// How well the network does on a data set: how many examples it
    /// classifies correctly, and the average cost (1/n) Σ_x C_x.
    ///
    /// An example counts as correct when [`Network::predict`]'s answer is
    /// the target's class: the index of its largest entry (for one-hot
    /// targets, the label), or for a single output neuron whether the
    /// target is above ½.
    ///
    /// With [`set_num_threads`](crate::threads::set_num_threads) above 1, large data
    /// sets are split across that many threads.
    ///
    /// # Errors
    /// [`Error::InputSize`] or [`Error::TargetSize`] if the data does not fit
    /// the network; [`Error::EmptyData`] if it has no examples (there is no
    /// accuracy of nothing); [`Error::CostActivation`] if the cost makes no
    /// sense for the output layer ([`Cost::check_output`]). [`Dataset::new`]
    /// has already refused NaN.
    pub fn evaluate<C: Cost<T> + ?Sized>(&self, data: &Dataset<T>, cost: &C) -> Result<Evaluation> {
        self.check_data(data)?;
        cost.check_output(self.output_activation())?;
        if data.is_empty() {
            return Err(Error::EmptyData {
                what: "evaluation data",
            });
        }
        let n = data.len();
        let count = self.threads_for(n);
        let parts: Vec<_> = (0..count)
            .map(|t| n * t / count..n * (t + 1) / count)
            .collect();
        let tallies = threads::map_parts(&parts, |range| {
            let mut ws = Workspace::inference(&self.layers, EVAL_CHUNK.min(range.len().max(1)))?;
            Ok(ws.tally(self, data, range, cost))
        });
        let (correct, total_cost) =
            tallies
                .into_iter()
                .try_fold((0, 0.0), |(c, s), t: Result<(usize, f64)>| {
                    let (pc, ps) = t?;
                    Ok::<_, Error>((c + pc, s + ps))
                })?;
        Ok(Evaluation {
            correct,
            total: n,
            cost: if n == 0 { 0.0 } else { total_cost / n as f64 },
        })
    }

    /// The fraction of `data` classified correctly, in [0, 1]: the accuracy
    /// of [`Network::evaluate`], without a cost to name.
    ///
    /// # Errors
    /// As [`Network::evaluate`].
    pub fn accuracy(&self, data: &Dataset<T>) -> Result<f64> {
        Ok(self.confusion_matrix(data)?.accuracy())
    }

    /// Which classes the network takes for which: entry (i, j) counts the
    /// examples of `data` of class i (the target's class, as in
    /// [`Network::evaluate`]) that it predicts as j.
    ///
    /// # Errors
    /// As [`Network::evaluate`].
    pub fn confusion_matrix(&self, data: &Dataset<T>) -> Result<ConfusionMatrix> {
        self.check_data(data)?;
        let predicted = self.predict_batch(data.inputs())?;
        let classes = self.output_size().max(2);
        let truth = data.targets().column_iter().map(|y| class_of(y.as_slice()));
        ConfusionMatrix::from_pairs(classes, truth.zip(predicted))
    }

    /// How many threads to split `n` examples across: 1 unless there are
    /// enough of them to pay for threads.
    fn threads_for(&self, n: usize) -> usize {
        let per_example: usize = self.layers.iter().map(Layer::work).sum();
        threads::threads_for(n.saturating_mul(per_example), 0, n.div_ceil(EVAL_CHUNK))
    }

    /// A network of `layers` from their weights, stored as the network
    /// stores them (neuron-major, map-major), and biases that the caller
    /// has checked against the layers.
    pub(crate) fn from_storage(layers: &[Layer], w: &[Vec<T>], b: &[Vec<T>]) -> Result<Self> {
        let mut net = Self::zeros(layers)?;
        for (l, (wl, bl)) in w.iter().zip(b).enumerate() {
            let (w, b) = net.params.layer_mut(l);
            w.copy_from_slice(wl);
            b.copy_from_slice(bl);
        }
        Ok(net)
    }

    /// Each layer's neuron-major weights (neuron after neuron) and biases.
    pub(crate) fn storage(&self) -> impl Iterator<Item = (&[T], &[T])> {
        self.params.layers()
    }

    /// Layer `l`'s neuron-major weights (n_in × n_out, column i = neuron
    /// i's weights) and its biases.
    pub(crate) fn layer(&self, l: usize) -> (&[T], &[T]) {
        self.params.layer(l)
    }

    /// Layer `l`'s neuron-major weights and its biases, for the SGD update.
    pub(crate) fn layer_mut(&mut self, l: usize) -> (&mut [T], &mut [T]) {
        self.params.layer_mut(l)
    }

    /// Every parameter, in one buffer.
    pub(crate) fn params(&self) -> &Parameters<T> {
        &self.params
    }

    /// Every parameter, in one buffer, to change.
    pub(crate) fn params_mut(&mut self) -> &mut Parameters<T> {
        &mut self.params
    }
}

/// `x` as an owned column-major matrix, for the kernels: a copy (one pass,
/// small beside a forward pass through the network) of any matrix or view.
fn column_major<T: Real, S: RawStorage<T, Dyn, Dyn>>(x: &Matrix<T, Dyn, Dyn, S>) -> DMatrix<T> {
    DMatrix::from_iterator(x.nrows(), x.ncols(), x.iter().copied())
}

/// The weights in `params` as matrices in the lecture's orientation, one
/// row per neuron (stored neuron-major: row j of wˡ contiguous): n_out ×
/// n_in for a dense layer, out_channels × (in_channels · k²) for a
/// convolution (row j = map j's kernels), 0 × 0 for pooling.
fn weight_views<T: Real>(params: &Parameters<T>) -> Vec<DMatrixView<'_, T, Dyn, Dyn>> {
    params
        .layout()
        .slots()
        .iter()
        .zip(params.layers())
        .map(|(slot, (w, _))| {
            let (rows, cols) = (slot.biases.len(), slot.fan_in);
            let (rows, cols) = if w.is_empty() { (0, 0) } else { (rows, cols) };
            DMatrixView::from_slice_with_strides_generic(w, Dyn(rows), Dyn(cols), Dyn(cols), Dyn(1))
        })
        .collect()
}

/// The biases in `params`, one vector per layer.
fn bias_views<T: Real>(params: &Parameters<T>) -> Vec<DVectorView<'_, T>> {
    params
        .layers()
        .map(|(_, b)| DVectorView::from_slice(b, b.len()))
        .collect()
}

/// Columns evaluated per pass when evaluating a data set.
const EVAL_CHUNK: usize = 256;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cast_that_overflows_is_an_error() {
        let w = DMatrix::from_row_slice(1, 2, &[1e300_f64, 0.5]);
        let big = Network::from_parameters(vec![w], vec![DVector::from_element(1, 0.0)]).unwrap();
        assert!(matches!(
            big.cast::<f32>(),
            Err(Error::NonFinite {
                layer: 0,
                what: "weight"
            })
        ));
        let small = big.cast::<f64>().unwrap();
        assert_eq!(small, big);
    }

    #[test]
    fn class_of_takes_the_first_largest_and_thresholds_one_output() {
        assert_eq!(class_of(&[0.1_f64, 0.7, 0.7, 0.2]), 1);
        assert_eq!(class_of(&[0.3_f32, 0.3]), 0);
        assert_eq!(class_of(&[0.51_f64]), 1);
        assert_eq!(class_of(&[0.5_f64]), 0);
        assert_eq!(class_of(&[0.49_f32]), 0);
    }

    #[test]
    fn sizes_too_large_to_address_are_refused() {
        let err = check_sizes(&[1 << 31, 1 << 31]).unwrap_err();
        assert!(matches!(err, Error::InvalidLayers { .. }));
        assert!(check_sizes(&[1000, 1000, 10]).is_ok());
    }

    #[test]
    fn the_parameter_bound_is_inclusive() {
        // n_out (n_in + 1) parameters: (h − 1)(h + 1) = h² − 1 is exactly
        // the bound isize::MAX / 8, and h² one more.
        let h = 1usize << ((usize::BITS - 4) / 2);
        assert_eq!(h * h - 1, isize::MAX as usize / 8);
        assert!(check_sizes(&[h - 2, h + 1]).is_ok());
        assert!(check_sizes(&[h - 1, h]).is_err());
        // Over it only in total.
        assert!(check_sizes(&[h - 2, h + 1, 1]).is_err());
        assert!(check_sizes(&[1, 1, h - 2, h + 1]).is_err());
    }
}
