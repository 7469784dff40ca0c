//! Training and evaluation data: inputs and desired outputs, one example per column.

use nalgebra::DMatrix;
use rand::Rng;
use rand::seq::SliceRandom;

use crate::{Error, Real, Result};

/// A set of examples: inputs x and desired outputs y(x).
///
/// # Shapes
/// - `inputs`: n_in × n, one example per column (for MNIST, 784 × n with
///   pixel values in [0, 1]);
/// - `targets`: n_out × n, the desired output y(x) of each example (for
///   MNIST, the one-hot vector of its digit: y = (0, …, 1, …, 0)ᵀ).
///
/// Keeping each example as a contiguous column lets training gather a
/// mini-batch by copying columns, with no per-example allocations.
///
/// # Examples
/// ```
/// use nalgebra::DMatrix;
/// use neuralnet::Dataset;
/// let inputs = DMatrix::from_column_slice(2, 3, &[0.0, 0.0, 0.0, 1.0, 1.0, 1.0]);
/// let data = Dataset::from_labels(inputs, &[0, 1, 0], 2)?;
/// assert_eq!(data.len(), 3);
/// assert_eq!(data.targets().column(1).as_slice(), &[0.0, 1.0]);
/// # Ok::<(), neuralnet::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Dataset<T: Real> {
    inputs: DMatrix<T>,
    targets: DMatrix<T>,
}

impl<T: Real> Dataset<T> {
    /// A data set from inputs and targets with one column per example.
    ///
    /// Every value must be finite: a data set, once built, never feeds NaN
    /// into training or evaluation.
    ///
    /// # Errors
    /// [`Error::ExampleCount`] if the two have a different number of
    /// columns; [`Error::NonFiniteInput`] naming the first example (column)
    /// and row holding NaN or ±∞.
    pub fn new(inputs: DMatrix<T>, targets: DMatrix<T>) -> Result<Self> {
        if inputs.ncols() != targets.ncols() {
            return Err(Error::ExampleCount {
                inputs: inputs.ncols(),
                targets: targets.ncols(),
            });
        }
        check_finite("input", inputs.nrows(), inputs.as_slice())?;
        check_finite("target", targets.nrows(), targets.as_slice())?;
        Ok(Dataset { inputs, targets })
    }

    /// A data set from inputs and targets with one example per *row*, as
    /// data usually comes in a table (n × n_in and n × n_out): the
    /// matrices are transposed into the column layout.
    ///
    /// # Examples
    /// ```
    /// use neuralnet::Dataset;
    /// use neuralnet::nalgebra::DMatrix;
    /// // Three examples of two features each, one per row.
    /// let x = DMatrix::from_row_slice(3, 2, &[0.0, 1.0, 1.0, 0.0, 1.0, 1.0]);
    /// let y = DMatrix::from_row_slice(3, 1, &[1.0, 1.0, 0.0]);
    /// let data = Dataset::from_rows(&x, &y)?;
    /// assert_eq!((data.len(), data.input_size()), (3, 2));
    /// assert_eq!(data.inputs().column(2).as_slice(), &[1.0, 1.0]);
    /// # Ok::<(), neuralnet::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::ExampleCount`] if the two have a different number of rows.
    pub fn from_rows(inputs: &DMatrix<T>, targets: &DMatrix<T>) -> Result<Self> {
        if inputs.nrows() != targets.nrows() {
            return Err(Error::ExampleCount {
                inputs: inputs.nrows(),
                targets: targets.nrows(),
            });
        }
        Self::new(inputs.transpose(), targets.transpose())
    }

    /// A classification data set: each label `c` becomes the one-hot target
    /// with a 1 in row `c` of `classes` rows.
    ///
    /// # Errors
    /// [`Error::ExampleCount`] if there is not one label per input column;
    /// [`Error::InvalidConfig`] if a label is `classes` or more.
    pub fn from_labels(inputs: DMatrix<T>, labels: &[u8], classes: usize) -> Result<Self> {
        if inputs.ncols() != labels.len() {
            return Err(Error::ExampleCount {
                inputs: inputs.ncols(),
                targets: labels.len(),
            });
        }
        Self::new(inputs, one_hot(labels, classes)?)
    }

    /// Number of examples n.
    pub fn len(&self) -> usize {
        self.inputs.ncols()
    }

    /// Whether there are no examples.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The inputs, n_in × n.
    pub fn inputs(&self) -> &DMatrix<T> {
        &self.inputs
    }

    /// The targets, n_out × n.
    pub fn targets(&self) -> &DMatrix<T> {
        &self.targets
    }

    /// Values per input, n_in.
    pub fn input_size(&self) -> usize {
        self.inputs.nrows()
    }

    /// Values per target, n_out.
    pub fn target_size(&self) -> usize {
        self.targets.nrows()
    }

    /// The inputs and targets, giving up the data set.
    pub fn into_parts(self) -> (DMatrix<T>, DMatrix<T>) {
        (self.inputs, self.targets)
    }

    /// The class of each example: the index of its target's largest entry
    /// (the label, for one-hot targets), or for a single target value
    /// whether it is above ½ (as [`Network::evaluate`](crate::Network::evaluate)
    /// counts it).
    pub fn classes(&self) -> Vec<usize> {
        self.targets
            .column_iter()
            .map(|y| class_of(y.as_slice()))
            .collect()
    }

    /// Shuffles the examples in place (inputs and targets together) with
    /// `rng`: the same seed gives the same order.
    pub fn shuffle<R: Rng + ?Sized>(&mut self, rng: &mut R) {
        let mut order: Vec<usize> = (0..self.len()).collect();
        order.shuffle(rng);
        self.inputs = self.inputs.select_columns(&order);
        self.targets = self.targets.select_columns(&order);
    }

    /// Splits the data set in two at example `mid`: the examples `0..mid`
    /// and `mid..n`, for a training and a validation set (shuffle first if
    /// the examples are ordered).
    ///
    /// # Examples
    /// ```
    /// use neuralnet::Dataset;
    /// use neuralnet::nalgebra::DMatrix;
    /// let x = DMatrix::from_fn(2, 10, |i, j| (i + j) as f64);
    /// let data = Dataset::from_labels(x, &[0, 1, 0, 1, 0, 1, 0, 1, 0, 1], 2)?;
    /// let (train, validation) = data.split_at(8)?;
    /// assert_eq!((train.len(), validation.len()), (8, 2));
    /// # Ok::<(), neuralnet::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] if `mid` is past the end.
    pub fn split_at(&self, mid: usize) -> Result<(Self, Self)> {
        let first = self.slice(0, mid)?;
        let second = self.slice(mid, self.len() - mid)?;
        Ok((first, second))
    }

    /// The examples `start..start + len` as a new data set.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] if the range goes past the end.
    pub fn slice(&self, start: usize, len: usize) -> Result<Self> {
        if start.checked_add(len).is_none_or(|end| end > self.len()) {
            return Err(Error::InvalidConfig {
                name: "range",
                reason: format!(
                    "examples {start}..{} asked of a data set of {}",
                    start.saturating_add(len),
                    self.len()
                ),
            });
        }
        Ok(Dataset {
            inputs: self.inputs.columns(start, len).into_owned(),
            targets: self.targets.columns(start, len).into_owned(),
        })
    }
}

/// [`Error::NonFiniteInput`] for the first NaN or infinite value of
/// `values`, column-major with `rows` rows.
pub(crate) fn check_finite<T: Real>(what: &'static str, rows: usize, values: &[T]) -> Result<()> {
    match values.iter().position(|v| !v.is_finite()) {
        None => Ok(()),
        Some(i) => Err(Error::NonFiniteInput {
            what,
            example: i / rows.max(1),
            row: i % rows.max(1),
            value: crate::scalar::to_f64(values[i]),
        }),
    }
}

/// One-hot targets: column `j` is all zeros but a 1 in row `labels[j]`.
///
/// # Errors
/// [`Error::InvalidConfig`] if a label is `classes` or more, or if the
/// matrix would be too large to allocate.
pub fn one_hot<T: Real>(labels: &[u8], classes: usize) -> Result<DMatrix<T>> {
    if classes
        .checked_mul(labels.len())
        .is_none_or(|n| n > isize::MAX as usize / 8)
    {
        return Err(Error::InvalidConfig {
            name: "classes",
            reason: format!(
                "{classes} classes for {} labels is more than memory can hold",
                labels.len()
            ),
        });
    }
    let mut y = DMatrix::zeros(classes, labels.len());
    for (j, &c) in labels.iter().enumerate() {
        if usize::from(c) >= classes {
            return Err(Error::InvalidConfig {
                name: "labels",
                reason: format!("label {c} of example {j} is not below the {classes} classes"),
            });
        }
        y[(usize::from(c), j)] = T::one();
    }
    Ok(y)
}

/// The class an output (or a target) stands for: the index of its largest
/// entry (the first on a tie) or, for a single value, whether it is above ½.
pub(crate) fn class_of<T: Real>(v: &[T]) -> usize {
    if let [single] = v {
        return usize::from(*single > nalgebra::convert(0.5));
    }
    let mut best = 0;
    for (i, &x) in v.iter().enumerate() {
        if x > v[best] {
            best = i;
        }
    }
    best
}
