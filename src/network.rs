//! `Network`: layers of sigmoid neurons, feedforward, backpropagation and evaluation.

use nalgebra::{DMatrix, DVector};
use rand::Rng;
use rand_distr::{Distribution, StandardNormal};

use crate::aligned::Aligned;
use crate::kernels;
use crate::{Cost, Dataset, Error, Real, Result};

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
}

/// A feedforward network of sigmoid neurons, fully connected layer to layer.
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
    sizes: Vec<usize>,
    /// Per layer: n_in × n_out, column-major, column i = neuron i's weights
    /// (neuron-major), starting on a cache line for the kernels.
    w: Vec<Aligned<T>>,
    b: Vec<DVector<T>>,
}

pub(crate) fn check_sizes(sizes: &[usize]) -> Result<()> {
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
    if weights.is_none_or(|w| w > isize::MAX as usize / 8) {
        return invalid("the network would have more weights than memory can address");
    }
    Ok(())
}

impl<T: Real> Network<T> {
    /// A network with the given layer sizes, weights and biases drawn from
    /// `rng` as `init` says. The same seed gives bit-identical networks.
    ///
    /// The input layer has no biases: its neurons only hold the input.
    ///
    /// # Errors
    /// [`Error::InvalidLayers`] if there are fewer than two layers or a layer
    /// has no neurons.
    pub fn new<R: Rng + ?Sized>(sizes: &[usize], init: Init, rng: &mut R) -> Result<Self> {
        check_sizes(sizes)?;
        let mut normal = || -> T { nalgebra::convert::<f64, T>(StandardNormal.sample(rng)) };
        let mut w = Vec::with_capacity(sizes.len() - 1);
        let mut b = Vec::with_capacity(sizes.len() - 1);
        for pair in sizes.windows(2) {
            let (n_in, n_out) = (pair[0], pair[1]);
            let scale: T = match init {
                Init::StandardNormal => T::one(),
                Init::ScaledNormal => T::one() / nalgebra::convert::<f64, T>(n_in as f64).sqrt(),
            };
            // Drawn in the lecture's order (row j, then column k of wˡ), stored neuron-major.
            let mut wl = Aligned::zeroed(n_in * n_out);
            for j in 0..n_out {
                for k in 0..n_in {
                    wl[j * n_in + k] = normal() * scale;
                }
            }
            w.push(wl);
            b.push(DVector::from_fn(n_out, |_, _| normal()));
        }
        Ok(Network {
            sizes: sizes.to_vec(),
            w,
            b,
        })
    }

    /// A network from given weights and biases, in the lecture's orientation:
    /// `weights[l]` is n_{l+1} × n_l (row j holds the weights into neuron j)
    /// and `biases[l]` has n_{l+1} entries.
    ///
    /// # Errors
    /// [`Error::InvalidLayers`] if there are no layers, a layer is empty, or
    /// the two lists differ in length; [`Error::ShapeMismatch`] if a matrix
    /// does not chain with its neighbours or a bias vector does not fit.
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
        Ok(Network {
            sizes,
            w: weights
                .iter()
                .map(|w| Aligned::from_slice(w.transpose().as_slice()))
                .collect(),
            b: biases,
        })
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

    /// The weight matrices wˡ in the lecture's orientation (a copy):
    /// `weights()[l]` is n_{l+1} × n_l, its entry (j, k) the weight from
    /// neuron k of one layer to neuron j of the next.
    pub fn weights(&self) -> Vec<DMatrix<T>> {
        self.w
            .iter()
            .zip(self.sizes.windows(2))
            .map(|(w, p)| DMatrix::from_row_slice(p[1], p[0], w))
            .collect()
    }

    /// The bias vectors bˡ, one per layer after the input layer.
    pub fn biases(&self) -> &[DVector<T>] {
        &self.b
    }

    /// Total number of weights and biases.
    pub fn num_parameters(&self) -> usize {
        self.w.iter().map(|w| w.len()).sum::<usize>()
            + self.b.iter().map(|b| b.len()).sum::<usize>()
    }

    /// Whether every weight and bias is finite.
    pub fn is_finite(&self) -> bool {
        self.w.iter().all(|w| w.iter().all(|v| v.is_finite()))
            && self.b.iter().all(|b| b.iter().all(|v| v.is_finite()))
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

    /// The output aᴸ for one input x: each layer computes aˡ = σ(wˡ aˡ⁻¹ + bˡ).
    ///
    /// # Errors
    /// [`Error::InputSize`] if `x` does not have one value per input neuron.
    pub fn feedforward(&self, x: &DVector<T>) -> Result<DVector<T>> {
        let out = self.feedforward_batch(&DMatrix::from_column_slice(x.len(), 1, x.as_slice()))?;
        Ok(DVector::from_column_slice(out.as_slice()))
    }

    /// The outputs for a batch of inputs, one example per column.
    ///
    /// # Shapes
    /// `x`: n_in × m; result: n_out × m.
    ///
    /// # Errors
    /// [`Error::InputSize`] if `x` does not have one row per input neuron.
    pub fn feedforward_batch(&self, x: &DMatrix<T>) -> Result<DMatrix<T>> {
        self.check_inputs(x.nrows())?;
        let m = x.ncols();
        if m == 0 {
            return Ok(DMatrix::zeros(self.output_size(), 0));
        }
        let mut ws = Workspace::new(&self.sizes, m);
        ws.forward(self, x.as_slice(), m);
        Ok(DMatrix::from_column_slice(
            self.output_size(),
            m,
            ws.output(m),
        ))
    }

    /// The network's answer for input x: the index of the most activated
    /// output neuron ("which neuron fires"). For MNIST, the digit.
    ///
    /// # Errors
    /// [`Error::InputSize`] if `x` does not have one value per input neuron.
    pub fn predict(&self, x: &DVector<T>) -> Result<usize> {
        Ok(argmax(self.feedforward(x)?.as_slice()))
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
    /// # Shapes
    /// `x`: n_in × m, `y`: n_out × m, m ≥ 1.
    ///
    /// # Errors
    /// [`Error::InputSize`], [`Error::TargetSize`] or [`Error::ExampleCount`]
    /// if the shapes do not fit the network; [`Error::EmptyData`] if m = 0.
    pub fn backprop<C: Cost<T> + ?Sized>(
        &self,
        x: &DMatrix<T>,
        y: &DMatrix<T>,
        cost: &C,
    ) -> Result<Gradient<T>> {
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
        let mut ws = Workspace::new(&self.sizes, m);
        ws.forward(self, x.as_slice(), m);
        ws.output_error(cost, y.as_slice(), m);
        let inv_m = T::one() / nalgebra::convert::<f64, T>(m as f64);
        let mut sink = GradientSink {
            net: self,
            inv_m,
            weights: Vec::with_capacity(self.w.len()),
            biases: Vec::with_capacity(self.w.len()),
        };
        ws.backward(&mut sink, x.as_slice(), m, inv_m);
        let (mut grad_w, mut grad_b) = (sink.weights, sink.biases);
        grad_w.reverse();
        grad_b.reverse();
        Ok(Gradient {
            weights: grad_w,
            biases: grad_b,
        })
    }

    /// How well the network does on a data set: how many examples it
    /// classifies correctly, and the average cost (1/n) Σ_x C_x.
    ///
    /// An example counts as correct when the most activated output neuron is
    /// the target's largest entry (for one-hot targets, the label); for a
    /// network with a single output neuron, when output and target are on the
    /// same side of ½.
    ///
    /// # Errors
    /// [`Error::InputSize`] or [`Error::TargetSize`] if the data does not fit
    /// the network.
    ///
    /// With [`set_num_threads`](crate::set_num_threads) above 1, large data
    /// sets are split across that many threads.
    pub fn evaluate<C: Cost<T> + ?Sized>(&self, data: &Dataset<T>, cost: &C) -> Result<Evaluation> {
        self.check_data(data)?;
        Ok(evaluate_checked(self, data, cost))
    }

    /// A network from neuron-major weights (n_in × n_out per layer,
    /// column-major: neuron after neuron) that the caller has checked against
    /// `sizes`.
    pub(crate) fn from_storage(sizes: Vec<usize>, w: &[Vec<T>], b: Vec<DVector<T>>) -> Self {
        let w = w.iter().map(|w| Aligned::from_slice(w)).collect();
        Network { sizes, w, b }
    }

    /// The neuron-major weights (neuron after neuron) and the biases.
    pub(crate) fn storage(&self) -> (impl Iterator<Item = &[T]>, &[DVector<T>]) {
        (self.w.iter().map(|w| &w[..]), &self.b)
    }

    /// Layer `l`'s neuron-major weights.
    pub(crate) fn layer_weights(&self, l: usize) -> &[T] {
        &self.w[l]
    }

    /// Layer `l`'s neuron-major weights and its biases, for the SGD update.
    pub(crate) fn layer_mut(&mut self, l: usize) -> (&mut [T], &mut [T]) {
        (&mut self.w[l][..], self.b[l].as_mut_slice())
    }
}

/// Columns evaluated per pass when evaluating a data set.
const EVAL_CHUNK: usize = 256;

/// [`Network::evaluate`] for data already checked against the network:
/// split across threads when the data set is large enough to pay for them.
pub(crate) fn evaluate_checked<T: Real, C: Cost<T> + ?Sized>(
    net: &Network<T>,
    data: &Dataset<T>,
    cost: &C,
) -> Evaluation {
    let n = data.len();
    let per_example: usize = net.sizes.windows(2).map(|p| p[0] * p[1]).sum();
    let threads = crate::threads::threads_for(n * per_example, n.div_ceil(EVAL_CHUNK));
    let tally = |range: std::ops::Range<usize>| {
        let mut ws = Workspace::new(&net.sizes, EVAL_CHUNK.min(range.len().max(1)));
        ws.tally(net, data, range, cost)
    };
    let (correct, total_cost) = if threads <= 1 {
        tally(0..n)
    } else {
        std::thread::scope(|scope| {
            let parts: Vec<_> = (0..threads)
                .map(|t| {
                    let range = n * t / threads..n * (t + 1) / threads;
                    scope.spawn(move || crate::threads::as_worker(|| tally(range)))
                })
                .collect();
            parts.into_iter().fold((0, 0.0), |(c, s), h| {
                // A worker only panics if the code has a bug; pass it on.
                let (pc, ps) = h.join().unwrap_or_else(|e| std::panic::resume_unwind(e));
                (c + pc, s + ps)
            })
        })
    };
    Evaluation {
        correct,
        total: n,
        cost: if n == 0 { 0.0 } else { total_cost / n as f64 },
    }
}

pub(crate) use crate::scalar::to_f64;

pub(crate) fn argmax<T: Real>(v: &[T]) -> usize {
    let mut best = 0;
    for (i, &x) in v.iter().enumerate() {
        if x > v[best] {
            best = i;
        }
    }
    best
}

/// The gradient of the cost: ∂C/∂wˡ and ∂C/∂bˡ for every layer, shaped like
/// [`Network::weights`] and [`Network::biases`].
///
/// All of them together are the gradient ∇C of equations (6) and (10),
/// ∇C ≡ (∂C/∂v₁, …, ∂C/∂v_m)ᵀ, with the weights and biases as the
/// variables v.
#[derive(Debug, Clone, PartialEq)]
pub struct Gradient<T: Real> {
    /// ∂C/∂wˡ, n_{l+1} × n_l per layer.
    pub weights: Vec<DMatrix<T>>,
    /// ∂C/∂bˡ, n_{l+1} per layer.
    pub biases: Vec<DVector<T>>,
}

impl<T: Real> Gradient<T> {
    /// ‖∇C‖², the squared length of the gradient. A gradient-descent step
    /// Δv = −η∇C with a small learning rate η changes the cost by
    /// ΔC ≈ ∇C·Δv = −η‖∇C‖² (equations (7) to (9)).
    pub fn norm_squared(&self) -> T {
        self.dot(self)
    }

    /// The dot product ∇C·∇C′ of two gradients of the same network, summed
    /// over every weight and bias. Layers whose shapes differ contribute 0.
    pub fn dot(&self, other: &Gradient<T>) -> T {
        let w = self.weights.iter().zip(&other.weights).map(|(a, b)| {
            if a.shape() == b.shape() {
                a.dot(b)
            } else {
                T::zero()
            }
        });
        let b = self.biases.iter().zip(&other.biases).map(|(a, b)| {
            if a.len() == b.len() {
                a.dot(b)
            } else {
                T::zero()
            }
        });
        w.chain(b).fold(T::zero(), |s, x| s + x)
    }
}

/// The result of [`Network::evaluate`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Evaluation {
    /// Examples classified correctly.
    pub correct: usize,
    /// Examples evaluated.
    pub total: usize,
    /// The average cost (1/n) Σ_x C_x (without any regularisation term).
    pub cost: f64,
}

impl Evaluation {
    /// The fraction classified correctly, in [0, 1] (0 for no examples).
    pub fn accuracy(&self) -> f64 {
        if self.total == 0 {
            0.0
        } else {
            self.correct as f64 / self.total as f64
        }
    }
}

/// Where [`Workspace::backward`] sends each layer's share: into the weights
/// themselves (the SGD step) or into a gradient ([`Network::backprop`]).
pub(crate) trait Backward<T: Real> {
    /// Layer `l`'s neuron-major weights, as they are before
    /// [`Backward::layer`] is called for `l`.
    fn weights(&self, l: usize) -> &[T];

    /// Layer `l`'s coefficients `coef` (m × n_out: neuron `i`'s scaled
    /// errors contiguous), the activations `a_prev` that fed it (n_in × m)
    /// and the unscaled error sums `sums` (n_out).
    fn layer(&mut self, l: usize, coef: &[T], a_prev: &[T], sums: &[T], m: usize);
}

/// The averaged gradient of [`Network::backprop`], layer by layer, last
/// layer first.
struct GradientSink<'a, T: Real> {
    net: &'a Network<T>,
    inv_m: T,
    weights: Vec<DMatrix<T>>,
    biases: Vec<DVector<T>>,
}

impl<T: Real> Backward<T> for GradientSink<'_, T> {
    fn weights(&self, l: usize) -> &[T] {
        self.net.layer_weights(l)
    }

    fn layer(&mut self, l: usize, coef: &[T], a_prev: &[T], sums: &[T], m: usize) {
        let (n_in, n_out) = (self.net.sizes[l], self.net.sizes[l + 1]);
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

/// Buffers for a batch of up to `m` examples, sized once and reused, so that
/// the training loop allocates nothing.
#[derive(Debug)]
pub(crate) struct Workspace<T: Real> {
    pub(crate) capacity: usize,
    /// Gathered inputs, n_0 × m.
    pub(crate) x: Aligned<T>,
    /// Gathered targets, n_L × m.
    pub(crate) y: Vec<T>,
    /// Activations aˡ of layers 1..L, n_l × m each.
    pub(crate) a: Vec<Aligned<T>>,
    /// Errors δˡ of layers 1..L, n_l × m each.
    pub(crate) delta: Vec<Aligned<T>>,
    /// Scaled, transposed δ of one layer (m × n_l): the update's coefficients.
    pub(crate) coef: Vec<T>,
    /// Σ_t δ[i, t] of one layer (n_l): the bias update.
    pub(crate) sums: Vec<T>,
}

impl<T: Real> Workspace<T> {
    pub(crate) fn new(sizes: &[usize], m: usize) -> Self {
        let per_layer = || sizes[1..].iter().map(|&n| Aligned::zeroed(n * m)).collect();
        let widest = sizes[1..].iter().max().copied().unwrap_or(0);
        Workspace {
            capacity: m,
            x: Aligned::zeroed(sizes[0] * m),
            y: vec![T::zero(); sizes[sizes.len() - 1] * m],
            a: per_layer(),
            delta: per_layer(),
            coef: vec![T::zero(); widest * m],
            sums: vec![T::zero(); widest],
        }
    }

    /// Feedforward of `m` examples from `x` (n_0 × m), filling `self.a`.
    pub(crate) fn forward(&mut self, net: &Network<T>, x: &[T], m: usize) {
        for l in 0..net.w.len() {
            let (n_in, n_out) = (net.sizes[l], net.sizes[l + 1]);
            let (done, rest) = self.a.split_at_mut(l);
            let input = if l == 0 { x } else { &done[l - 1][..] };
            let z = &mut rest[0][..n_out * m];
            let w = kernels::MatRef::new(&net.w[l], n_in, n_out);
            let input = kernels::MatRef::new(&input[..n_in * m], n_in, m);
            let zv = kernels::MatMut::new(z, n_out, m);
            kernels::weighted_inputs(w, net.b[l].as_slice(), input, zv);
            kernels::sigmoid_in_place(z);
        }
    }

    /// The output activations of the last forward pass.
    pub(crate) fn output(&self, m: usize) -> &[T] {
        let last = self
            .a
            .last()
            .expect("a network has at least one layer of weights");
        &last[..last.len() / self.capacity * m]
    }

    /// δᴸ from the cost, for targets `y` (n_L × m).
    pub(crate) fn output_error<C: Cost<T> + ?Sized>(&mut self, cost: &C, y: &[T], m: usize) {
        let last = self.a.len() - 1;
        let n = self.a[last].len() / self.capacity;
        cost.delta(
            &self.a[last][..n * m],
            &y[..n * m],
            &mut self.delta[last][..n * m],
        );
    }

    /// Backpropagation after [`Workspace::forward`] and
    /// [`Workspace::output_error`], for each weight layer `l` from the last
    /// to the first: δˡ⁻¹ = ((wˡ)ᵀ δˡ) ⊙ σ′(zˡ⁻¹) with layer `l`'s weights as
    /// `sink` has them *before* it is given the layer, then `sink` receives
    /// the layer's coefficients `scale · δᵀ`, the activations that fed the
    /// layer (`x` for the first) and Σ_t δˡ[·, t]. The one place that fixes
    /// this order, for both the SGD step and [`Network::backprop`].
    pub(crate) fn backward<S: Backward<T>>(&mut self, sink: &mut S, x: &[T], m: usize, scale: T) {
        for l in (0..self.a.len()).rev() {
            if l > 0 {
                self.hidden_error(sink.weights(l), l, m);
            }
            let n_out = self.delta[l].len() / self.capacity;
            let delta = &self.delta[l];
            for i in 0..n_out {
                let mut sum = T::zero();
                for t in 0..m {
                    let d = delta[t * n_out + i];
                    self.coef[i * m + t] = scale * d;
                    sum += d;
                }
                self.sums[i] = sum;
            }
            let a_prev = if l == 0 { x } else { &self.a[l - 1][..] };
            sink.layer(l, &self.coef[..n_out * m], a_prev, &self.sums[..n_out], m);
        }
    }

    /// δˡ⁻¹ = ((wˡ)ᵀ δˡ) ⊙ σ′(zˡ⁻¹) for weight layer `l` > 0 with weights `w`.
    fn hidden_error(&mut self, w: &[T], l: usize, m: usize) {
        let (lower, upper) = self.delta.split_at_mut(l);
        let n_in = lower[l - 1].len() / self.capacity;
        let n_out = upper[0].len() / self.capacity;
        let out = &mut lower[l - 1][..n_in * m];
        kernels::back_propagate(
            kernels::MatRef::new(w, n_in, n_out),
            kernels::MatRef::new(&upper[0][..n_out * m], n_out, m),
            kernels::MatMut::new(out, n_in, m),
        );
        for (d, &a) in out.iter_mut().zip(self.a[l - 1].iter()) {
            *d = *d * a * (T::one() - a);
        }
    }

    /// The number classified correctly and the summed cost over the
    /// examples `range` of `data`, `capacity` columns at a time.
    pub(crate) fn tally<C: Cost<T> + ?Sized>(
        &mut self,
        net: &Network<T>,
        data: &Dataset<T>,
        range: std::ops::Range<usize>,
        cost: &C,
    ) -> (usize, f64) {
        let n_out = net.output_size();
        let (inputs, targets) = (data.inputs().as_slice(), data.targets().as_slice());
        let n_in = net.input_size();
        let (mut correct, mut total_cost) = (0, 0.0);
        let mut start = range.start;
        while start < range.end {
            let m = self.capacity.min(range.end - start);
            self.forward(net, &inputs[start * n_in..(start + m) * n_in], m);
            let out = self.output(m);
            let y = &targets[start * n_out..(start + m) * n_out];
            total_cost += to_f64(cost.cost(out, y));
            for (a, y) in out.chunks_exact(n_out).zip(y.chunks_exact(n_out)) {
                let right = if n_out == 1 {
                    let half: T = nalgebra::convert(0.5);
                    (a[0] > half) == (y[0] > half)
                } else {
                    argmax(a) == argmax(y)
                };
                correct += usize::from(right);
            }
            start += m;
        }
        (correct, total_cost)
    }
}
