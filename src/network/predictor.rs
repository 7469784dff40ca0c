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

    /// Checks `x` (n_0 × m) and copies it into the input buffer, grown to
    /// hold it if need be; returns m.
    fn load<R, C, S>(&mut self, x: &Matrix<T, R, C, S>) -> Result<usize>
    where
        R: Dim,
        C: Dim,
        S: RawStorage<T, R, C>,
    {
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
    use crate::{Error, Init};

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
}
