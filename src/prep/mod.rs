//! Your own data: tables, preprocessing fitted on training data, metrics
//! and splits, for tabular classification and regression.
//!
//! A network takes a matrix of finite numbers, one example per column,
//! values of about unit size. Data comes as a table: named columns of
//! numbers and of categories (text), some cells missing, one row per
//! example. This module goes from one to the other and back:
//!
//! 1. **A [`Table`]** from a CSV file ([`Table::from_csv`], [`CsvOptions`];
//!    cargo feature `csv`, on by default), from Rust rows
//!    ([`Table::from_rows`]) or from a matrix in either orientation
//!    ([`Table::from_matrix_rows`], [`Table::from_matrix_columns`]).
//!    [`Table::split_target`] splits off the column to predict as a
//!    [`Target`].
//! 2. **Splits** of the examples: [`train_test_split`],
//!    [`stratified_train_test_split`], [`k_fold`] and [`stratified_k_fold`]
//!    give row indices for [`Table::select_rows`] and [`Target::select`],
//!    shuffled with the caller's RNG.
//! 3. **Preprocessing fitted on the training rows only**: a [`Pipeline`]
//!    says what to do with each column ([`Step`]: standardise, keep,
//!    one-hot encode, drop), with missing values ([`Missing`]) and with
//!    categories unseen in training ([`Unknown`]); [`Pipeline::fit`] gives
//!    a [`Preprocessor`] whose [`transform`](Preprocessor::transform)
//!    makes the network's n_features × m input matrix. The target gets a
//!    [`LabelEncoder`] (classification: labels ↔ classes 0..k) or a
//!    [`TargetScaler`] (regression: z = (y − μ)/s and back), together a
//!    [`TargetEncoding`]. The parts are also usable alone: a
//!    [`Standardizer`] and a [`OneHotEncoder`] fit one column.
//! 4. **Saving**: every fitted type has `to_bytes` and `from_bytes`
//!    (little-endian, length-prefixed, read defensively; see
//!    [`Preprocessor::to_bytes`]), for a model file to keep them.
//! 5. **Metrics**: [`accuracy`], a [`ClassificationReport`] (precision,
//!    recall and F1 per class, macro and weighted averages), and
//!    [`mean_squared_error`], [`root_mean_squared_error`],
//!    [`mean_absolute_error`], [`r2_score`].
//!
//! # Examples
//! ```
//! use neuralnet::prep::{LabelEncoder, Pipeline, Table, stratified_train_test_split};
//! use neuralnet::rand::{SeedableRng, rngs::StdRng};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let table = Table::from_rows(&["petal", "sepal"], &[
//!     [1.4, 5.1], [1.3, 4.9], [1.5, 5.0], [1.4, 4.6],
//!     [4.7, 7.0], [4.5, 6.4], [4.9, 6.9], [4.0, 5.5],
//! ])?
//! .with_categorical("species", &[
//!     Some("setosa"), Some("setosa"), Some("setosa"), Some("setosa"),
//!     Some("versicolor"), Some("versicolor"), Some("versicolor"), Some("versicolor"),
//! ])?;
//! let (features, target) = table.split_target("species")?;
//! let labels = LabelEncoder::fit_target(&target)?;
//! let classes = labels.encode_target(&target)?;
//!
//! let mut rng = StdRng::seed_from_u64(1);
//! let split = stratified_train_test_split(&classes, 0.25, &mut rng)?;
//! let train = features.select_rows(&split.train)?;
//! let prep = Pipeline::new().fit(&train)?; // fitted on the training rows only
//!
//! let x_train = prep.transform::<f32>(&train)?; // 2 features × 6 examples
//! let y_train = labels.one_hot::<f32>(&split.train.iter().map(|&i| classes[i]).collect::<Vec<_>>())?;
//! let x_test = prep.transform::<f32>(&features.select_rows(&split.test)?)?;
//! assert_eq!((x_train.shape(), y_train.shape(), x_test.shape()), ((2, 6), (2, 6), (2, 2)));
//! # Ok(())
//! # }
//! ```

mod codec;
#[cfg(feature = "csv")]
mod csv;
mod label;
mod metrics;
mod one_hot;
mod pipeline;
mod preprocessor;
#[cfg(feature = "serde")]
mod serde_impls;
mod split;
mod standardizer;
mod table;
mod target;
mod target_encoding;
mod target_scaler;

#[cfg(feature = "csv")]
pub use self::csv::CsvOptions;
pub use label::LabelEncoder;
pub use metrics::{
    ClassMetrics, ClassificationReport, accuracy, mean_absolute_error, mean_squared_error,
    r2_score, root_mean_squared_error,
};
pub use one_hot::{OneHotEncoder, Unknown};
pub use pipeline::{Missing, Pipeline, Step};
pub use preprocessor::Preprocessor;
pub use split::{Split, k_fold, stratified_k_fold, stratified_train_test_split, train_test_split};
pub use standardizer::Standardizer;
pub use table::{Cell, Column, ColumnKind, Table};
pub use target::Target;
pub use target_encoding::TargetEncoding;
pub use target_scaler::TargetScaler;

use nalgebra::DMatrix;

use crate::{Error, Real, Result};

/// A `rows` × `cols` matrix of zeros, or [`Error::Allocation`] naming
/// `what` if it does not fit in memory (instead of aborting).
fn zeros<T: Real>(rows: usize, cols: usize, what: &'static str) -> Result<DMatrix<T>> {
    let len = rows.checked_mul(cols).ok_or(Error::Allocation {
        what,
        bytes: (rows as u128) * (cols as u128) * std::mem::size_of::<T>() as u128,
    })?;
    let mut v = Vec::new();
    v.try_reserve_exact(len).map_err(|_| Error::Allocation {
        what,
        bytes: (len as u128) * std::mem::size_of::<T>() as u128,
    })?;
    v.resize(len, T::zero());
    Ok(DMatrix::from_vec(rows, cols, v))
}

/// A number as a category or label: as Rust writes an `f64` (`3` for 3.0,
/// `2.5`), the shortest text that reads back as the same number.
fn number_text(x: f64) -> String {
    x.to_string()
}
