//! [`Predictor`]: a network's forward pass with buffers of its own, for
//! answering many requests one after another without allocating.

use nalgebra::{DMatrixView, Dim, Matrix, MatrixViewMut, RawStorage, U1};

use super::workspace;
use crate::aligned::{Aligned, try_vec};
use crate::dataset::check_finite;
use crate::kernels::ConvBuffers;
use crate::{Network, Real, Result};

/// What the buffers are for, in [`Error::Allocation`](crate::Error::Allocation).
const WHAT: &str = "the predictor's activations";

/// A forward-only, reusable view of a [`Network`]: the outputs aᴸ (or the
/// answer) for one example or a batch, computed in buffers it keeps from
/// one call to the next.
///
/// [`Network::feedforward`] and [`Network::predict`] are the simple way to
/// ask a network; each call allocates a fresh workspace and returns an owned
/// vector. A server answering request after request wants neither: a
/// `Predictor` borrows the network, holds only what a forward pass needs
/// (the input and the activations aˡ of each layer, no targets, errors or
/// update coefficients), grows them only when a larger batch than any
/// before comes, and lends the outputs out as a slice or a
/// [`DMatrixView`]. After the first call of a size, calls of that size or
/// smaller allocate nothing.
///
/// It takes any nalgebra vector or matrix, owned or a view (`&m.column(0)`
/// of a matrix `m`, rows of a larger matrix, …), and copies it into its own
/// input buffer, checking the size and that every value is finite. Its
/// outputs equal [`Network::feedforward`]'s (one example) and
/// [`Network::feedforward_batch`]'s (the same batch) bit for bit.
///
/// A `Predictor` is `Send` (and `Sync`): a server gives each of its request
/// threads one, all borrowing the same network. Large batches use as many
/// threads as [`set_num_threads`](crate::threads::set_num_threads) allows.
///
/// # Examples
/// ```
/// use neuralnet::nalgebra::{DMatrix, DVector};
/// use neuralnet::rand::{SeedableRng, rngs::StdRng};
/// use neuralnet::{Init, Network, Predictor};
///
/// let net = Network::<f32>::new(&[784, 30, 10], Init::ScaledNormal, &mut StdRng::seed_from_u64(1))?;
/// let mut predictor = Predictor::new(&net);
///
/// // One example: the ten output activations, borrowed, then the answer.
/// let x = DVector::from_element(784, 0.5_f32);
/// let a = predictor.feedforward(&x)?;
/// assert_eq!(a.len(), 10);
/// assert_eq!(a, net.feedforward(&x)?.as_slice());
/// let digit = predictor.predict(&x)?;
/// assert!(digit < 10);
///
/// // A batch, one example per column, here given as a view of a column.
/// let batch = DMatrix::from_fn(784, 3, |i, j| ((i + j) % 7) as f32 / 7.0);
/// assert_eq!(predictor.feedforward_batch(&batch)?.shape(), (10, 3));
/// assert_eq!(predictor.predict(&batch.column(1))?, net.predict(&batch.column(1).into_owned())?);
/// # Ok::<(), neuralnet::Error>(())
/// ```
#[derive(Debug)]
pub struct Predictor<'a, T: Real> {
    net: &'a Network<T>,
    /// Examples the buffers hold.
    capacity: usize,
    /// The inputs, n_0 × capacity.
    x: Aligned<T>,
    /// Activations aˡ of layers 1..L, n_l × capacity each.
    a: Vec<Aligned<T>>,
    /// The answers of the last [`Predictor::predict_batch`].
    classes: Vec<usize>,
    /// The convolutions' chunk buffers (none without convolutions).
    conv: ConvBuffers<T>,
    /// Examples in the buffers' activations: those of the last call, or
    /// `None` before the first call and after one that failed.
    last: Option<usize>,
}

impl<'a, T: Real> Predictor<'a, T> {
    /// A predictor for `net`. It allocates nothing until its first call
    /// (see [`Predictor::with_capacity`] to allocate up front).
    pub fn new(net: &'a Network<T>) -> Self {
        Predictor {
            net,
            capacity: 0,
            x: Aligned::default(),
            a: Vec::new(),
            classes: Vec::new(),
            conv: ConvBuffers::default(),
            last: None,
        }
    }

    /// A predictor for `net` with buffers for batches of up to `capacity`
    /// examples already allocated, so that not even its first call of that
    /// size allocates.
    ///
    /// # Errors
    /// [`Error::Allocation`](crate::Error::Allocation) if the buffers do not
    /// fit in memory.
    pub fn with_capacity(net: &'a Network<T>, capacity: usize) -> Result<Self> {
        let mut predictor = Self::new(net);
        predictor.reserve(capacity)?;
        Ok(predictor)
    }

    /// The network it computes.
    pub fn network(&self) -> &'a Network<T> {
        self.net
    }

    /// The number of examples its buffers hold: the largest batch so far
    /// (or as given to [`Predictor::with_capacity`]).
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// The output aᴸ for one input x, borrowed until the next call: each
    /// layer computes aˡ = f(wˡ aˡ⁻¹ + bˡ), as [`Network::feedforward`]
    /// does, with the same result bit for bit.
    ///
    /// # Shapes
    /// `x`: n_in values (any nalgebra vector or vector view); result:
    /// n_out values.
    ///
    /// # Errors
    /// [`Error::InputSize`](crate::Error::InputSize) if `x` does not have
    /// one value per input neuron;
    /// [`Error::NonFiniteInput`](crate::Error::NonFiniteInput) if a value
    /// is NaN or infinite; [`Error::Allocation`](crate::Error::Allocation)
    /// if the first call's buffers do not fit in memory.
    pub fn feedforward<R, S>(&mut self, x: &Matrix<T, R, U1, S>) -> Result<&[T]>
    where
        R: Dim,
        S: RawStorage<T, R, U1>,
    {
        self.load(x)?;
        Ok(self.run(1))
    }

    /// The network's answer for input x, as [`Network::predict`] gives it:
    /// the index of the most activated output neuron (the first on a tie),
    /// or for a single output neuron, 1 if its output is above ½ and else 0.
    ///
    /// # Errors
    /// As [`Predictor::feedforward`].
    pub fn predict<R, S>(&mut self, x: &Matrix<T, R, U1, S>) -> Result<usize>
    where
        R: Dim,
        S: RawStorage<T, R, U1>,
    {
        self.feedforward(x).map(Self::class_of)
    }

    /// The outputs for a batch of inputs, one example per column, borrowed
    /// until the next call; equal bit for bit to
    /// [`Network::feedforward_batch`] of the same batch.
    ///
    /// # Shapes
    /// `x`: n_in × m (any nalgebra matrix or view); result: n_out × m.
    ///
    /// # Errors
    /// [`Error::InputSize`](crate::Error::InputSize) if `x` does not have
    /// one row per input neuron;
    /// [`Error::NonFiniteInput`](crate::Error::NonFiniteInput) naming the
    /// example (column) of a NaN or infinite value;
    /// [`Error::Allocation`](crate::Error::Allocation) if buffers for a
    /// batch larger than any before do not fit in memory.
    pub fn feedforward_batch<R, C, S>(
        &mut self,
        x: &Matrix<T, R, C, S>,
    ) -> Result<DMatrixView<'_, T>>
    where
        R: Dim,
        C: Dim,
        S: RawStorage<T, R, C>,
    {
        let m = self.load(x)?;
        let n_out = self.net.output_size();
        Ok(DMatrixView::from_slice(self.run(m), n_out, m))
    }

    /// [`Predictor::predict`] for each column of `x`, borrowed until the
    /// next call.
    ///
    /// # Shapes
    /// `x`: n_in × m; result: m answers.
    ///
    /// # Errors
    /// As [`Predictor::feedforward_batch`].
    pub fn predict_batch<R, C, S>(&mut self, x: &Matrix<T, R, C, S>) -> Result<&[usize]>
    where
        R: Dim,
        C: Dim,
        S: RawStorage<T, R, C>,
    {
        let m = self.load(x)?;
        if self.classes.len() < m {
            self.classes = try_vec(m, WHAT)?;
        }
        let n_out = self.net.output_size();
        self.run(m);
        let out = outputs(&self.a, n_out * m);
        for (class, a) in self.classes.iter_mut().zip(out.chunks_exact(n_out)) {
            *class = Self::class_of(a);
        }
        Ok(&self.classes[..m])
    }

    /// The class that outputs aᴸ of one example stand for, by
    /// [`Network::predict`]'s rule: the index of the largest (the first on
    /// a tie), or for a single output, whether it is above ½.
    ///
    /// # Examples
    /// ```
    /// use neuralnet::Predictor;
    /// assert_eq!(Predictor::class_of(&[0.1_f32, 0.7, 0.7, 0.2]), 1);
    /// assert_eq!(Predictor::class_of(&[0.8_f64]), 1);
    /// ```
    pub fn class_of(outputs: &[T]) -> usize {
        super::class_of(outputs)
    }

    /// The activations aˡ = f(zˡ) of layer `l` in the last call, one
    /// example per column, borrowed until the next call: what the network
    /// computed on its way to the output, for looking inside it (the
    /// `draw` example shows a convolution's feature maps this way). It
    /// copies and allocates nothing.
    ///
    /// `l` counts layers as [`Network::sizes`] does: 0 is the input x
    /// itself (a⁰ = x, as loaded), 1 the first layer after it (`layers()[0]`
    /// in [`Network::layers`]), and `num_layers() − 1` the output layer,
    /// whose activations are what the last call returned. These are the
    /// neurons' values, not their activation functions f, which
    /// [`Network::activations`] lists.
    ///
    /// A dense layer's column holds its n_l neurons in order. A
    /// [`Conv2d`](crate::layer::Conv2d) or
    /// [`MaxPool2d`](crate::layer::MaxPool2d) layer's column holds its c
    /// feature maps (its [`output_shape`](crate::layer::Layer::output_shape))
    /// one after another, each row by row: the value of map k at row i,
    /// column j is entry k·h·w + i·w + j.
    ///
    /// # Shapes
    /// Result: n_l × m, for the m examples of the last call.
    ///
    /// Returns `None` when there was no call yet, when the last call failed
    /// (a wrong input size, a NaN, …), or when `l` is past the output layer.
    ///
    /// # Examples
    /// Nielsen's chapter 6 network in small: two feature maps of 4 × 4
    /// kernels on a 6 × 6 image (3 × 3 maps), each pooled to its largest
    /// value, then a softmax.
    /// ```
    /// use neuralnet::layer::{Layer, Shape};
    /// use neuralnet::nalgebra::DVector;
    /// use neuralnet::rand::{SeedableRng, rngs::StdRng};
    /// use neuralnet::{Activation, Init, Network, Predictor};
    ///
    /// let layers = [
    ///     Layer::conv(Shape::new(1, 6, 6), 2, 4, Activation::Sigmoid),
    ///     Layer::max_pool(Shape::new(2, 3, 3), 3),
    ///     Layer::dense(2, 3, Activation::Softmax),
    /// ];
    /// let net = Network::<f64>::from_layers(&layers, Init::ScaledNormal, &mut StdRng::seed_from_u64(1))?;
    /// let mut predictor = Predictor::new(&net);
    /// assert!(predictor.activations(1).is_none()); // no call yet
    ///
    /// let x = DVector::from_fn(36, |i, _| (i % 6) as f64 / 5.0);
    /// let out = predictor.feedforward(&x)?.to_vec();
    ///
    /// // Layer 1: the two 3 × 3 maps, one after the other, as sigmoids.
    /// let maps = predictor.activations(1).unwrap();
    /// assert_eq!(maps.shape(), (2 * 3 * 3, 1));
    /// assert!(maps.iter().all(|&a| 0.0 < a && a < 1.0));
    /// // Layer 2 pools each whole map (rows 0..9, then 9..18) to its largest value.
    /// let pooled = predictor.activations(2).unwrap();
    /// assert_eq!(pooled.shape(), (2, 1));
    /// assert_eq!(pooled[0], maps.rows(0, 9).max());
    /// assert_eq!(pooled[1], maps.rows(9, 9).max());
    /// // The output layer's activations are what the call returned.
    /// assert_eq!(predictor.activations(3).unwrap(), DVector::from_vec(out));
    /// assert!(predictor.activations(4).is_none());
    /// # Ok::<(), neuralnet::Error>(())
    /// ```
    pub fn activations(&self, l: usize) -> Option<DMatrixView<'_, T>> {
        let m = self.last?;
        let n = *self.net.sizes().get(l)?;
        let buffer: &[T] = match l {
            0 => &self.x,
            // No buffers at all after a call with no examples.
            _ => self.a.get(l - 1).map_or(&[], |a| a),
        };
        let values = buffer.get(..n.checked_mul(m)?)?;
        Some(DMatrixView::from_slice(values, n, m))
    }

    /// Checks `x` (n_0 × m) and copies it into the input buffer, grown to
    /// hold it if need be; returns m.
    fn load<R, C, S>(&mut self, x: &Matrix<T, R, C, S>) -> Result<usize>
    where
        R: Dim,
        C: Dim,
        S: RawStorage<T, R, C>,
    {
        // Whatever happens next, the buffers no longer hold a whole call.
        self.last = None;
        let (n_in, m) = x.shape();
        self.net.check_inputs(n_in)?;
        self.reserve(m)?;
        let input = &mut self.x[..n_in * m];
        let (rows, cols) = x.shape_generic();
        MatrixViewMut::from_slice_generic(input, rows, cols).copy_from(x);
        check_finite("input", n_in, input)?;
        Ok(m)
    }

    /// Grows the buffers to hold `m` examples, if they hold fewer; on an
    /// error they stay as they were.
    fn reserve(&mut self, m: usize) -> Result<()> {
        if m <= self.capacity {
            return Ok(());
        }
        let sizes = self.net.sizes();
        let x = Aligned::try_zeroed(sizes[0].saturating_mul(m), WHAT)?;
        let a = sizes[1..]
            .iter()
            .map(|&n| Aligned::try_zeroed(n.saturating_mul(m), WHAT))
            .collect::<Result<Vec<_>>>()?;
        if self.capacity == 0 {
            // The chunk buffers do not depend on the batch: made once.
            self.conv = ConvBuffers::new(self.net.layers(), m, false)?;
        }
        (self.x, self.a, self.capacity) = (x, a, m);
        Ok(())
    }

    /// The forward pass of the `m` loaded examples; their outputs, n_L × m.
    fn run(&mut self, m: usize) -> &[T] {
        if m > 0 {
            let n_in = self.net.input_size();
            workspace::feedforward_into(
                &mut self.a,
                &mut self.conv,
                self.net,
                &self.x[..n_in * m],
                m,
            );
        }
        self.last = Some(m);
        outputs(&self.a, self.net.output_size() * m)
    }
}

/// The first `len` output activations in the activations `a` of layers
/// 1..L (none when there are no buffers yet).
fn outputs<T>(a: &[Aligned<T>], len: usize) -> &[T] {
    a.last().map_or(&[], |last| &last[..len])
}

#[cfg(test)]
mod tests {
    use nalgebra::{DMatrix, DVector};
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    use super::*;
    use crate::layer::{Layer, Shape};
    use crate::{Activation, Error, Init, activation::sigmoid};

    fn net() -> Network<f64> {
        Network::new(
            &[5, 4, 3],
            Init::StandardNormal,
            &mut StdRng::seed_from_u64(2),
        )
        .unwrap()
    }

    #[test]
    fn buffers_grow_only_for_a_larger_batch() {
        let net = net();
        let mut p = Predictor::new(&net);
        assert_eq!(p.capacity(), 0);
        p.feedforward(&DVector::zeros(5)).unwrap();
        assert_eq!(p.capacity(), 1);
        p.feedforward_batch(&DMatrix::zeros(5, 7)).unwrap();
        assert_eq!(p.capacity(), 7);
        p.feedforward_batch(&DMatrix::zeros(5, 3)).unwrap();
        p.feedforward(&DVector::zeros(5)).unwrap();
        assert_eq!(p.capacity(), 7);
        assert_eq!(Predictor::with_capacity(&net, 9).unwrap().capacity(), 9);
    }

    #[test]
    fn a_batch_too_large_for_memory_is_an_error_and_changes_nothing() {
        let net = net();
        let mut p = Predictor::new(&net);
        p.feedforward(&DVector::zeros(5)).unwrap();
        assert!(matches!(
            p.reserve(usize::MAX / 2),
            Err(Error::Allocation { .. })
        ));
        assert_eq!(p.capacity(), 1);
        assert_eq!(p.feedforward(&DVector::zeros(5)).unwrap().len(), 3);
    }

    #[test]
    fn activations_are_each_layers_outputs_of_the_last_call() {
        let net = net();
        let mut p = Predictor::new(&net);
        assert!(p.activations(0).is_none() && p.activations(1).is_none());
        let x = DMatrix::from_fn(5, 2, |i, j| (i as f64 - 2.0) / 3.0 + j as f64);
        let out = p.feedforward_batch(&x).unwrap().into_owned();

        // a⁰ = x; a¹ = σ(w¹ x + b¹), computed by hand; a² the output.
        assert_eq!(p.activations(0).unwrap(), x);
        let (w, b) = (&net.weights()[0], &net.biases()[0]);
        let a1 = p.activations(1).unwrap();
        assert_eq!(a1.shape(), (4, 2));
        for col in 0..2 {
            for j in 0..4 {
                let z: f64 = (0..5).map(|k| w[(j, k)] * x[(k, col)]).sum::<f64>() + b[j];
                assert!((a1[(j, col)] - sigmoid(z)).abs() < 1e-14, "({j}, {col})");
            }
        }
        assert_eq!(p.activations(2).unwrap(), out);
        assert!(p.activations(3).is_none() && p.activations(usize::MAX).is_none());

        // A smaller call: its own columns only.
        let a = p.feedforward(&x.column(1)).unwrap().to_vec();
        assert_eq!(p.activations(2).unwrap(), DVector::from_vec(a));
        assert_eq!(
            p.activations(1).unwrap(),
            a1_of(&net, &x.column(1).into_owned())
        );

        // A failed call leaves none; an empty batch leaves empty ones.
        assert!(p.feedforward(&DVector::from_element(5, f64::NAN)).is_err());
        assert!(p.activations(1).is_none());
        p.feedforward(&DVector::zeros(5)).unwrap();
        assert!(p.activations(0).is_some());
        assert!(p.feedforward(&DVector::zeros(4)).is_err());
        assert!(p.activations(0).is_none());
        let mut fresh = Predictor::new(&net);
        fresh.feedforward_batch(&DMatrix::zeros(5, 0)).unwrap();
        assert_eq!(fresh.activations(1).unwrap().shape(), (4, 0));
        assert_eq!(fresh.activations(2).unwrap().shape(), (3, 0));
    }

    /// Layer 1 of `net` on `x`, through [`Network::feedforward`] of a network
    /// made of that layer alone.
    fn a1_of(net: &Network<f64>, x: &DVector<f64>) -> DVector<f64> {
        let w = net.weights()[0].into_owned();
        let b = net.biases()[0].into_owned();
        Network::from_parameters(vec![w], vec![b])
            .unwrap()
            .feedforward(x)
            .unwrap()
    }

    #[test]
    fn a_convolutions_activations_are_its_maps_one_after_another() {
        // Two maps of 2 × 2 kernels on a 3 × 4 image: maps of 2 × 3.
        let layers = [
            Layer::conv(Shape::new(1, 3, 4), 2, 2, Activation::Sigmoid),
            Layer::dense(12, 2, Activation::Sigmoid),
        ];
        let mut net =
            Network::<f64>::from_layers(&layers, Init::ScaledNormal, &mut StdRng::seed_from_u64(3))
                .unwrap();
        let kernels = DMatrix::from_row_slice(2, 4, &[1.0, 0.0, 0.0, -1.0, 0.5, 0.5, 0.5, 0.5]);
        let biases = DVector::from_column_slice(&[0.0, -1.0]);
        let (mut w, mut b) = net.to_parameters();
        (w[0], b[0]) = (kernels, biases);
        net.set_parameters(&w, &b).unwrap();
        let x = DVector::from_fn(12, |i, _| i as f64 / 12.0);
        let mut p = Predictor::new(&net);
        p.feedforward(&x).unwrap();
        let maps = p.activations(1).unwrap();
        assert_eq!(maps.shape(), (12, 1));
        // Map k at (i, j): σ(Σ_uv kernel_k(u, v) x(i + u, j + v) + b_k).
        let px = |i: usize, j: usize| x[i * 4 + j];
        for i in 0..2 {
            for j in 0..3 {
                let first = sigmoid(px(i, j) - px(i + 1, j + 1));
                let sum = px(i, j) + px(i, j + 1) + px(i + 1, j) + px(i + 1, j + 1);
                let second = sigmoid(0.5 * sum - 1.0);
                assert!((maps[i * 3 + j] - first).abs() < 1e-14, "map 0 ({i}, {j})");
                assert!(
                    (maps[6 + i * 3 + j] - second).abs() < 1e-14,
                    "map 1 ({i}, {j})"
                );
            }
        }
    }
}
