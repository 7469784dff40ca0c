//! Judging a model on rows it did not see: a train/test [`Holdout`], and
//! k-fold [`cross_validate`].

use rand::SeedableRng;
use rand::rngs::StdRng;

use super::{Classifier, FitReport, Regressor, Settings, Task, fit};
use crate::prep::{
    LabelEncoder, Split, Table, Target, k_fold, stratified_k_fold, stratified_train_test_split,
    train_test_split,
};
use crate::{Error, Result};

/// A table and its target split into training rows and test rows.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Holdout {
    /// The training rows' features.
    pub train_features: Table,
    /// The training rows' target.
    pub train_target: Target,
    /// The test rows' features.
    pub test_features: Table,
    /// The test rows' target.
    pub test_target: Target,
}

impl Holdout {
    /// Holds out ⌈test_fraction · n⌉ rows for testing: for
    /// [`Task::Classification`] class by class (stratified: each label
    /// keeps its share in both sets, and a label of one row stays in
    /// training), for [`Task::Regression`] at random. The rows are drawn
    /// with an RNG seeded with `seed`.
    ///
    /// Fit on the training rows (an estimator holds out its own
    /// validation rows from them), and look at the test rows once, at the
    /// end: train, validation and test sets, each used for one thing.
    ///
    /// # Examples
    /// ```
    /// use neuralnet::estimator::{Holdout, Task};
    /// use neuralnet::prep::{Table, Target};
    /// let features = Table::from_rows(&["x"], &(0..8).map(|i| [i as f64]).collect::<Vec<_>>())?;
    /// let target = Target::Labels(["a", "a", "a", "a", "a", "a", "b", "b"].map(String::from).into());
    /// let h = Holdout::new(&features, &target, 0.5, Task::Classification, 1)?;
    /// assert_eq!((h.train_features.n_rows(), h.test_features.n_rows()), (4, 4));
    /// let b_tested = h.test_target.labels().unwrap().iter().filter(|l| *l == "b").count();
    /// assert_eq!(b_tested, 1);
    /// # Ok::<(), neuralnet::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] unless 0 < `test_fraction` < 1, there are
    /// at least 2 rows, and the target has one value per row.
    pub fn new(
        features: &Table,
        target: &Target,
        test_fraction: f64,
        task: Task,
        seed: u64,
    ) -> Result<Holdout> {
        fit::check_rows(features, target)?;
        let mut rng = StdRng::seed_from_u64(seed);
        let split = match task {
            Task::Classification => {
                stratified_train_test_split(&classes_of(target)?, test_fraction, &mut rng)?
            }
            Task::Regression => train_test_split(target.len(), test_fraction, &mut rng)?,
        };
        Holdout::from_split(features, target, &split)
    }

    fn from_split(features: &Table, target: &Target, split: &Split) -> Result<Holdout> {
        Ok(Holdout {
            train_features: features.select_rows(&split.train)?,
            train_target: target.select(&split.train)?,
            test_features: features.select_rows(&split.test)?,
            test_target: target.select(&split.test)?,
        })
    }
}

/// The class of each row, labels numbered as a [`LabelEncoder`] does.
fn classes_of(target: &Target) -> Result<Vec<usize>> {
    LabelEncoder::fit_target(target)?.encode_target(target)
}

/// The scores of k-fold cross-validation, one per fold.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct CrossValidation {
    /// Each fold's score on its test rows: accuracy for a classifier, R²
    /// for a regressor.
    pub scores: Vec<f64>,
    /// Each fold's fit report (with its warnings).
    pub reports: Vec<FitReport>,
}

impl CrossValidation {
    /// The mean score.
    pub fn mean(&self) -> f64 {
        self.scores.iter().sum::<f64>() / self.scores.len().max(1) as f64
    }

    /// The standard deviation of the scores (population, over the folds).
    pub fn std(&self) -> f64 {
        let mean = self.mean();
        let n = self.scores.len().max(1) as f64;
        (self.scores.iter().map(|s| (s - mean).powi(2)).sum::<f64>() / n).sqrt()
    }
}

/// k-fold cross-validation: the rows dealt into `folds` folds (class by
/// class for [`Task::Classification`], so every fold keeps the class
/// shares; at random for [`Task::Regression`]) with an RNG seeded with
/// the settings' seed; for each fold, a model fitted with `settings` on
/// the other folds and scored on it ([`Classifier::score`],
/// [`Regressor::score`]).
///
/// # Examples
/// ```
/// use neuralnet::estimator::{Settings, Task, cross_validate};
/// use neuralnet::prep::{Table, Target};
/// # fn main() -> Result<(), neuralnet::Error> {
/// let rows: Vec<[f64; 1]> = (0..60).map(|i| [i as f64]).collect();
/// let labels = (0..60).map(|i| if i < 30 { "low" } else { "high" }.to_string());
/// let features = Table::from_rows(&["x"], &rows)?;
/// let target = Target::Labels(labels.collect());
/// let settings = Settings::new().with_hidden(&[8]).with_learning_rate(0.01);
/// let cv = cross_validate(&features, &target, Task::Classification, &settings, 3)?;
/// assert_eq!(cv.scores.len(), 3);
/// assert!(cv.mean() > 0.9, "{:?}", cv.scores);
/// # Ok(())
/// # }
/// ```
///
/// # Errors
/// [`Error::InvalidConfig`] unless 2 ≤ `folds` ≤ the number of rows; the
/// errors of [`Classifier::fit`] or [`Regressor::fit`] and of scoring.
pub fn cross_validate(
    features: &Table,
    target: &Target,
    task: Task,
    settings: &Settings,
    folds: usize,
) -> Result<CrossValidation> {
    settings.validate()?;
    fit::check_rows(features, target)?;
    let mut rng = StdRng::seed_from_u64(settings.seed());
    let splits = match task {
        Task::Classification => stratified_k_fold(&classes_of(target)?, folds, &mut rng)?,
        Task::Regression => k_fold(target.len(), folds, &mut rng)?,
    };
    let mut cv = CrossValidation {
        scores: Vec::with_capacity(folds),
        reports: Vec::with_capacity(folds),
    };
    for split in &splits {
        let h = Holdout::from_split(features, target, split)?;
        let (score, report) = match task {
            Task::Classification => {
                let (model, report) =
                    Classifier::fit(&h.train_features, &h.train_target, settings)?;
                (model.score(&h.test_features, &h.test_target)?, report)
            }
            Task::Regression => {
                let (model, report) = Regressor::fit(&h.train_features, &h.train_target, settings)?;
                (model.score(&h.test_features, &h.test_target)?, report)
            }
        };
        cv.scores.push(score);
        cv.reports.push(report);
    }
    if cv.scores.is_empty() {
        return Err(Error::EmptyData {
            what: "set of folds",
        });
    }
    Ok(cv)
}
