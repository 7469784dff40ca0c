//! [`Regressor`]: a network that predicts a number for each table row.

use std::path::Path;
use std::time::Instant;

use nalgebra::DMatrix;
use rand::SeedableRng;
use rand::rngs::StdRng;

use super::fit::{self, Head, Scalar};
use super::{FitReport, RegressionReport, Settings, file};
use crate::model::TrainingRecord;
use crate::prep::{Preprocessor, Table, Target, TargetEncoding, TargetScaler};
use crate::{Activation, CostKind, Error, Network, Quadratic, Result};

/// A regressor of table rows: preprocessing fitted on the training rows, a
/// network with one linear output neuron ([`Activation::Identity`])
/// trained on the quadratic cost C = ½(y − a)² (least squares: its mean
/// is half the mean squared error), and the target's standardisation
/// z = (y − μ)/s, which predictions undo, so they come back in the
/// target's own units.
///
/// A regressor has no notion of a "correct" answer: it is judged by R²,
/// MAE and RMSE ([`Regressor::evaluate`]), and early stopping watches the
/// validation cost.
///
/// # Examples
/// ```
/// use neuralnet::estimator::{Regressor, Settings};
/// use neuralnet::prep::{Table, Target};
/// # fn main() -> Result<(), neuralnet::Error> {
/// // y = 3a − 2b + 1000: a linear target, far from 0.
/// let rows: Vec<[f64; 2]> = (0..300).map(|i| [(i % 17) as f64, (i % 11) as f64]).collect();
/// let y: Vec<f64> = rows.iter().map(|r| 3.0 * r[0] - 2.0 * r[1] + 1000.0).collect();
/// let features = Table::from_rows(&["a", "b"], &rows)?;
/// let target = Target::Numeric(y);
///
/// let (model, report) = Regressor::fit(&features, &target, &Settings::new())?;
/// assert!(model.score(&features, &target)? > 0.99, "{report}");
/// let new = Table::from_rows(&["a", "b"], &[[10.0, 5.0]])?;
/// assert!((model.predict(&new)?[0] - 1020.0).abs() < 2.0);
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Regressor {
    network: Network<Scalar>,
    features: Preprocessor,
    scaler: TargetScaler,
    record: TrainingRecord,
}

impl Regressor {
    /// Fits a regressor to the rows of `features` and their values in
    /// `target` (numbers).
    ///
    /// With a [validation fraction](Settings::with_validation_fraction)
    /// above 0 (0.1 by default), that share of the rows, drawn at random,
    /// is held out; the preprocessing and the target's standardisation are
    /// fitted on the other rows, the network trained on them, and after
    /// each epoch the cost on the held-out rows decides the best epoch and
    /// when to stop. The model keeps the weights of the best epoch.
    ///
    /// The report says how it went; read its
    /// [`warnings`](FitReport::warnings): one says so when the model does
    /// no better than predicting the mean (R² ≤ 0).
    ///
    /// # Errors
    /// - [`Error::ColumnType`] for a target of text labels (use a
    ///   [`Classifier`](super::Classifier));
    /// - [`Error::InvalidConfig`] for invalid settings
    ///   ([`Settings::validate`]) or a target of another length than the
    ///   table;
    /// - [`Error::EmptyData`] for a table without rows;
    /// - the errors of fitting and applying the
    ///   [`Pipeline`](crate::prep::Pipeline) (a missing value, say);
    /// - [`Error::Diverged`] if training diverged (try a smaller
    ///   learning rate).
    pub fn fit(
        features: &Table,
        target: &Target,
        settings: &Settings,
    ) -> Result<(Regressor, FitReport)> {
        let started = Instant::now();
        settings.validate()?;
        fit::check_rows(features, target)?;
        let values = target.numbers().ok_or_else(|| Error::ColumnType {
            column: "target".into(),
            expected: crate::prep::ColumnKind::Numeric,
            found: crate::prep::ColumnKind::Categorical,
        })?;
        let mut rng = StdRng::seed_from_u64(settings.seed());
        let split = fit::hold_out(values.len(), None, settings, &mut rng)?;
        let (prep, x_train, x_val) = fit::prepare(features, &split, settings)?;
        let pick = |rows: &[usize]| rows.iter().map(|&r| values[r]).collect::<Vec<_>>();
        let train_values = pick(&split.train);
        let scaler = TargetScaler::fit(&train_values)?;
        let y_train = scaler.transform::<Scalar>(&train_values)?;
        let validation = match x_val {
            Some(x) => Some((x, scaler.transform::<Scalar>(&pick(&split.test))?)),
            None => None,
        };
        let head = Head {
            outputs: 1,
            activation: Activation::Identity,
            cost: &Quadratic,
            kind: CostKind::Quadratic,
        };
        let check = match &validation {
            Some((x, _)) => (x.clone(), pick(&split.test)),
            None => (x_train.clone(), train_values),
        };
        let trained = fit::train(settings, &head, (x_train, y_train), validation, &mut rng)?;
        let model = Regressor {
            network: trained.network,
            features: prep,
            scaler,
            record: trained.record,
        };
        let mut report = trained.report;
        let predicted = model.predict_matrix(&check.0)?;
        report.score = crate::prep::r2_score(&check.1, &predicted)?;
        if report.score <= 0.0 {
            report.warnings.insert(
                0,
                format!(
                    "the regressor does no better on the {} rows (R² = {:.3}) than always predicting the mean: the features may not predict the target, or training did not get going; look at the data, or try more epochs, another learning rate or more hidden neurons",
                    if report.score_on_validation { "validation" } else { "training" },
                    report.score
                ),
            );
        }
        report.fit_time = started.elapsed();
        Ok((model, report))
    }

    /// Fits a regressor to a CSV file: its column `target_column` is the
    /// target, the other columns the features (read as
    /// [`Table::from_csv`] reads them, with the default
    /// [`CsvOptions`](crate::prep::CsvOptions)).
    ///
    /// # Errors
    /// The errors of reading the file, of [`Table::split_target`] and of
    /// [`Regressor::fit`].
    #[cfg(feature = "csv")]
    pub fn fit_csv(
        path: impl AsRef<Path>,
        target_column: &str,
        settings: &Settings,
    ) -> Result<(Regressor, FitReport)> {
        let table = Table::from_csv(path)?;
        let (features, target) = table.split_target(target_column)?;
        Regressor::fit(&features, &target, settings)
    }

    /// The predicted value of each row of `features`, in the target's
    /// units.
    ///
    /// # Errors
    /// The errors of [`Preprocessor::transform`]: a column missing from
    /// the table ([`Error::UnknownColumn`]), a missing value or an unseen
    /// category that the pipeline does not handle.
    pub fn predict(&self, features: &Table) -> Result<Vec<f64>> {
        self.predict_matrix(&self.features.transform::<Scalar>(features)?)
    }

    fn predict_matrix(&self, x: &DMatrix<Scalar>) -> Result<Vec<f64>> {
        Ok(self
            .scaler
            .inverse_transform(&self.network.feedforward_batch(x)?))
    }

    /// R² on `features` and their true values `target` (1 is perfect, 0
    /// no better than the mean).
    ///
    /// # Errors
    /// [`Error::ColumnType`] for a target of text labels;
    /// [`Error::InvalidConfig`] if `target` is not one value per row;
    /// otherwise as [`Regressor::predict`].
    pub fn score(&self, features: &Table, target: &Target) -> Result<f64> {
        Ok(self.evaluate(features, target)?.r2)
    }

    /// R², MAE, RMSE and MSE on `features` and their true values `target`.
    ///
    /// # Errors
    /// As [`Regressor::score`].
    pub fn evaluate(&self, features: &Table, target: &Target) -> Result<RegressionReport> {
        fit::check_rows(features, target)?;
        let truth = target.numbers().ok_or_else(|| Error::ColumnType {
            column: "target".into(),
            expected: crate::prep::ColumnKind::Numeric,
            found: crate::prep::ColumnKind::Categorical,
        })?;
        RegressionReport::new(truth, &self.predict(features)?)
    }

    /// The network, which takes the [preprocessor](Regressor::preprocessor)'s
    /// output and gives the standardised target z; the
    /// [target scaler](Regressor::target_scaler) turns z back into the
    /// target's units.
    pub fn network(&self) -> &Network<f32> {
        &self.network
    }

    /// The feature preprocessing, fitted on the training rows.
    pub fn preprocessor(&self) -> &Preprocessor {
        &self.features
    }

    /// The target's standardisation, fitted on the training rows.
    pub fn target_scaler(&self) -> &TargetScaler {
        &self.scaler
    }

    /// How the network was trained (saved with it).
    pub fn training_record(&self) -> &TrainingRecord {
        &self.record
    }

    /// Saves the regressor (network, training record, preprocessing and
    /// target scaler) to `path`, atomically; [`Regressor::load`] reads it
    /// back.
    ///
    /// # Errors
    /// As [`Network::save`].
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        file::save(
            path.as_ref(),
            &self.network,
            &self.record,
            &self.features,
            TargetEncoding::Values(self.scaler),
        )
    }

    /// Loads a regressor saved by [`Regressor::save`].
    ///
    /// # Errors
    /// As [`SavedNetwork::load`](crate::model::SavedNetwork::load);
    /// [`Error::ModelFormat`] if the file holds a classifier, or a network
    /// without an estimator's preprocessing, or parts that do not fit
    /// together.
    pub fn load(path: impl AsRef<Path>) -> Result<Regressor> {
        let path = path.as_ref();
        match super::Estimator::load(path)? {
            super::Estimator::Regressor(model) => Ok(model),
            _ => Err(Error::ModelFormat {
                source_name: path.display().to_string(),
                reason: "it holds a classifier, not a regressor; load it with Classifier::load"
                    .into(),
            }),
        }
    }

    /// A regressor of parts loaded from a model file, checked to fit together.
    pub(super) fn from_parts(
        network: Network<Scalar>,
        features: Preprocessor,
        scaler: TargetScaler,
        record: TrainingRecord,
    ) -> Regressor {
        Regressor {
            network,
            features,
            scaler,
            record,
        }
    }
}
