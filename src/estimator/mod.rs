//! Estimators: a [`Classifier`] and a [`Regressor`] for tables of your own
//! data, from raw rows to the user's own labels or values in one call.
//!
//! The low-level [`Network`](crate::Network) takes matrices of numbers
//! and answers with output neurons. An estimator wraps one with what
//! tabular data needs around it, each part from the modules below it:
//!
//! - the features: a [`Pipeline`](crate::prep::Pipeline) fitted on the
//!   training rows (numbers standardised, categories one-hot encoded);
//! - the target: a [`LabelEncoder`](crate::prep::LabelEncoder) (classes ↔
//!   softmax output neurons, log-likelihood cost) or a
//!   [`TargetScaler`](crate::prep::TargetScaler) (a standardised target
//!   and one linear output, [`Activation::Identity`](crate::Activation::Identity),
//!   with the quadratic cost, least squares);
//! - training: Adam on mini-batches, with early stopping on the cost of
//!   held-out validation rows ([`Selection::Cost`](crate::sgd::Selection::Cost)),
//!   keeping the weights of the best epoch;
//! - a [`FitReport`] with the epochs, the time, and warnings, among them
//!   one when a classifier does no better than always answering the most
//!   common class;
//! - saving and loading all of it in one model file.
//!
//! | file | what it holds |
//! |------|---------------|
//! | `mod.rs` | this overview, [`Task`], [`Estimator`] (either, as loaded from a file) |
//! | `settings.rs` | [`Settings`]: the hyper-parameters, their defaults, their checks |
//! | `classifier.rs` | [`Classifier`] |
//! | `regressor.rs` | [`Regressor`] |
//! | `fit.rs` | what fitting both shares: the validation rows, the network, the training run |
//! | `report.rs` | [`FitReport`], [`RegressionReport`] |
//! | `validate.rs` | [`Holdout`] (train/test rows) and [`cross_validate`] |
//! | `file.rs` | the model file: network, record and preprocessing together |
//!
//! # Examples
//! ```
//! use neuralnet::estimator::{Classifier, Holdout, Settings, Task};
//! use neuralnet::prep::{Table, Target};
//! # fn main() -> Result<(), neuralnet::Error> {
//! // Two numeric columns and a categorical one; the class depends on all three.
//! let n = 300;
//! let a: Vec<f64> = (0..n).map(|i| ((i * 7) % 13) as f64).collect();
//! let b: Vec<f64> = (0..n).map(|i| ((i * 5) % 11) as f64 * 100.0).collect();
//! let colour: Vec<Option<&str>> = (0..n).map(|i| Some(["red", "blue"][i % 2])).collect();
//! let label = |i: usize| {
//!     let score = a[i] + b[i] / 100.0 + if i % 2 == 0 { 4.0 } else { 0.0 };
//!     if score > 12.0 { "yes" } else { "no" }.to_string()
//! };
//! let features = Table::from_rows(&["a", "b"], &(0..n).map(|i| [a[i], b[i]]).collect::<Vec<_>>())?
//!     .with_categorical("colour", &colour)?;
//! let target = Target::Labels((0..n).map(label).collect());
//!
//! let h = Holdout::new(&features, &target, 0.25, Task::Classification, 1)?;
//! let (model, report) = Classifier::fit(&h.train_features, &h.train_target, &Settings::new())?;
//! assert!(report.warnings.is_empty(), "{report}");
//! let accuracy = model.score(&h.test_features, &h.test_target)?;
//! assert!(accuracy > 0.9, "{accuracy}");
//! println!("{}", model.classification_report(&h.test_features, &h.test_target)?);
//! # Ok(())
//! # }
//! ```
//!
//! # How the defaults were chosen
//!
//! The [`Settings`] defaults start from scikit-learn's `MLPClassifier`
//! and `MLPRegressor` (one hidden layer of 100 ReLU neurons, Adam with
//! η = 10⁻³, L2 λ = 10⁻⁴, at most 200 epochs, a patience of 10 epochs and
//! δ = 10⁻⁴), with early stopping on a (stratified) validation fraction of
//! 0.1 turned on, by the validation cost rather than the accuracy, so that
//! it serves regression too and does not hang on a small validation set's
//! coarse accuracy.
//!
//! One default differs: mini-batches of 32 rows (Keras' default), not
//! 200. scikit-learn pays Python's overhead on every mini-batch, so it
//! wants few of them; here an epoch in mini-batches of 32 costs little
//! more than one in mini-batches of 200, and takes six times as many
//! steps. On the data sets the defaults were chosen on, scikit-learn's
//! `load_iris`, `make_classification` (2,000 and 100,000 rows),
//! `make_regression` and `make_friedman1`
//! (`benches/compare/tabular/compare.py --tuning`), m = 32 needed 36 to
//! 115 epochs where m = 200 needed 68 to 200 (iris, `make_regression` and
//! `make_friedman1` ran out of epochs), for the same or better test
//! scores. The results in the README were measured on other data sets.

mod classifier;
mod file;
mod fit;
mod regressor;
mod report;
mod settings;
mod validate;

use std::path::Path;

pub use classifier::Classifier;
pub use regressor::Regressor;
pub use report::{FitReport, RegressionReport};
pub use settings::Settings;
pub use validate::{CrossValidation, Holdout, cross_validate};

use crate::Result;
use crate::prep::{Table, Target, TargetEncoding};

/// What an estimator predicts: classes or numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Task {
    /// Classes: a [`Classifier`].
    Classification,
    /// Numbers: a [`Regressor`].
    Regression,
}

crate::names::named_enum! {
    Task, "task", "a task",
    Classification => "classification",
    Regression => "regression",
}

impl Task {
    /// The task a target looks like: [`Task::Regression`] for numbers of
    /// which at least one has a fraction (`2.5`), else
    /// [`Task::Classification`] (text labels, or whole numbers, which may
    /// be class labels: `0`, `1`, `2`).
    ///
    /// A guess: whole numbers can be quantities too (a count, a price in
    /// euros); say [`Task::Regression`] then.
    ///
    /// # Examples
    /// ```
    /// use neuralnet::estimator::Task;
    /// use neuralnet::prep::Target;
    /// assert_eq!(Task::guess(&Target::Numeric(vec![0.0, 1.0, 1.0])), Task::Classification);
    /// assert_eq!(Task::guess(&Target::Numeric(vec![0.5, 1.0])), Task::Regression);
    /// assert_eq!(Task::guess(&Target::Labels(vec!["cat".into()])), Task::Classification);
    /// ```
    pub fn guess(target: &Target) -> Task {
        if target.looks_like_classes() {
            Task::Classification
        } else {
            Task::Regression
        }
    }
}

/// A fitted estimator of either kind, as [`Estimator::load`] finds it in a
/// model file.
#[derive(Debug, Clone, PartialEq)]
pub enum Estimator {
    /// A classifier.
    Classifier(Classifier),
    /// A regressor.
    Regressor(Regressor),
}

impl Estimator {
    /// Loads a classifier or a regressor saved by [`Classifier::save`] or
    /// [`Regressor::save`], whichever the file holds.
    ///
    /// # Errors
    /// As [`Classifier::load`], but a regressor is not an error.
    pub fn load(path: impl AsRef<Path>) -> Result<Estimator> {
        let parts = file::load(path.as_ref())?;
        Ok(match parts.target {
            TargetEncoding::Classes(labels) => Estimator::Classifier(Classifier::from_parts(
                parts.network,
                parts.features,
                labels,
                parts.record,
            )),
            TargetEncoding::Values(scaler) => Estimator::Regressor(Regressor::from_parts(
                parts.network,
                parts.features,
                scaler,
                parts.record,
            )),
        })
    }

    /// The task: classification or regression.
    pub fn task(&self) -> Task {
        match self {
            Estimator::Classifier(_) => Task::Classification,
            Estimator::Regressor(_) => Task::Regression,
        }
    }

    /// Each row's prediction as text: the label, or the number as Rust
    /// writes an `f64` (the shortest text that reads back as the same
    /// number).
    ///
    /// # Errors
    /// As [`Classifier::predict`] and [`Regressor::predict`].
    pub fn predict_text(&self, features: &Table) -> Result<Vec<String>> {
        match self {
            Estimator::Classifier(c) => c.predict(features),
            Estimator::Regressor(r) => {
                Ok(r.predict(features)?.iter().map(f64::to_string).collect())
            }
        }
    }

    /// The score on `features` and their true `target`: accuracy for a
    /// classifier, R² for a regressor.
    ///
    /// # Errors
    /// As [`Classifier::score`] and [`Regressor::score`].
    pub fn score(&self, features: &Table, target: &Target) -> Result<f64> {
        match self {
            Estimator::Classifier(c) => c.score(features, target),
            Estimator::Regressor(r) => r.score(features, target),
        }
    }
}
