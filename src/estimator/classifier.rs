//! [`Classifier`]: a network that sorts table rows into the user's classes.

use std::path::Path;
use std::time::Instant;

use nalgebra::DMatrix;
use rand::SeedableRng;
use rand::rngs::StdRng;

use super::fit::{self, Head, Scalar};
use super::{FitReport, Settings, file};
use crate::model::TrainingRecord;
use crate::prep::{
    ClassificationReport, LabelEncoder, Preprocessor, Table, Target, TargetEncoding,
};
use crate::{Activation, CostKind, Error, LogLikelihood, Network, Result};

/// A classifier of table rows: preprocessing fitted on the training rows,
/// a network with a softmax output (one neuron per class) trained on the
/// log-likelihood cost, and the mapping between the user's labels and the
/// output neurons.
///
/// [`Classifier::fit`] learns all three from a table and its target
/// column, with the [`Settings`] given; [`Classifier::predict`] then takes
/// raw rows (with the training table's columns, in any order) and gives
/// the user's own labels, [`Classifier::predict_proba`] each class's
/// probability. [`Classifier::save`] keeps it all in one model file.
///
/// # Examples
/// ```
/// use neuralnet::estimator::{Classifier, Settings};
/// use neuralnet::prep::{Table, Target};
/// # fn main() -> Result<(), neuralnet::Error> {
/// // Points above the line y = x are "up", below it "down".
/// let rows: Vec<[f64; 2]> = (0..200).map(|i| [(i % 20) as f64, (i / 10) as f64]).collect();
/// let labels = rows.iter().map(|r| if r[1] > r[0] { "up" } else { "down" }.to_string());
/// let features = Table::from_rows(&["x", "y"], &rows)?;
/// let target = Target::Labels(labels.collect());
///
/// let (model, report) = Classifier::fit(&features, &target, &Settings::new())?;
/// assert!(report.warnings.is_empty(), "{report}");
/// assert_eq!(model.classes(), ["down", "up"]);
/// let new = Table::from_rows(&["x", "y"], &[[2.0, 15.0], [15.0, 2.0]])?;
/// assert_eq!(model.predict(&new)?, ["up", "down"]);
/// assert!(model.score(&features, &target)? > 0.95);
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Classifier {
    network: Network<Scalar>,
    features: Preprocessor,
    labels: LabelEncoder,
    record: TrainingRecord,
}

impl Classifier {
    /// Fits a classifier to the rows of `features` and their labels in
    /// `target` (text labels, or numbers taken as labels: `0`, `1`, `7`).
    ///
    /// With a [validation fraction](Settings::with_validation_fraction)
    /// above 0 (0.1 by default), that share of each class's rows is held
    /// out; the preprocessing is fitted on the other rows, the network
    /// trained on them, and after each epoch the cost on the held-out rows
    /// decides the best epoch and when to stop. The model keeps the
    /// weights of the best epoch.
    ///
    /// The report says how it went; read its
    /// [`warnings`](FitReport::warnings): one says so when the model does
    /// no better than always answering the most common class.
    ///
    /// # Errors
    /// - [`Error::InvalidConfig`] for invalid settings
    ///   ([`Settings::validate`]), a target of another length than the
    ///   table, or a target of a single class;
    /// - [`Error::EmptyData`] for a table without rows;
    /// - the errors of fitting and applying the
    ///   [`Pipeline`](crate::prep::Pipeline) (a missing value, say);
    /// - [`Error::Diverged`] if training diverged (try a smaller
    ///   learning rate).
    pub fn fit(
        features: &Table,
        target: &Target,
        settings: &Settings,
    ) -> Result<(Classifier, FitReport)> {
        let started = Instant::now();
        settings.validate()?;
        fit::check_rows(features, target)?;
        let labels = LabelEncoder::fit_target(target)?;
        if labels.n_classes() < 2 {
            return Err(Error::InvalidConfig {
                name: "target",
                reason: format!(
                    "every row has the label {:?}: a classifier needs at least two classes",
                    labels.classes()[0]
                ),
            });
        }
        let classes = labels.encode_target(target)?;
        let mut rng = StdRng::seed_from_u64(settings.seed());
        let split = fit::hold_out(classes.len(), Some(&classes), settings, &mut rng)?;
        let (prep, x_train, x_val) = fit::prepare(features, &split, settings)?;
        let pick = |rows: &[usize]| rows.iter().map(|&r| classes[r]).collect::<Vec<_>>();
        let y_train = labels.one_hot::<Scalar>(&pick(&split.train))?;
        let validation = match x_val {
            Some(x) => Some((x, labels.one_hot::<Scalar>(&pick(&split.test))?)),
            None => None,
        };
        let head = Head {
            outputs: labels.n_classes(),
            activation: Activation::Softmax,
            cost: &LogLikelihood,
            kind: CostKind::LogLikelihood,
        };
        let check = match &validation {
            Some((x, _)) => (x.clone(), pick(&split.test)),
            None => (x_train.clone(), pick(&split.train)),
        };
        let trained = fit::train(settings, &head, (x_train, y_train), validation, &mut rng)?;
        let model = Classifier {
            network: trained.network,
            features: prep,
            labels,
            record: trained.record,
        };
        let mut report = trained.report;
        let predicted = model.network.predict_batch(&check.0)?;
        report.score = crate::prep::accuracy(&check.1, &predicted)?;
        if let Some(w) = model.collapse_warning(&check.1, report.score, report.score_on_validation)
        {
            report.warnings.insert(0, w);
        }
        report.fit_time = started.elapsed();
        Ok((model, report))
    }

    /// A warning if `accuracy` on rows of true classes `truth` is no better
    /// than always answering their most common class.
    fn collapse_warning(&self, truth: &[usize], accuracy: f64, validation: bool) -> Option<String> {
        let mut counts = vec![0usize; self.labels.n_classes()];
        truth.iter().for_each(|&c| counts[c] += 1);
        let (majority, &most) = counts
            .iter()
            .enumerate()
            .max_by_key(|&(c, n)| (n, std::cmp::Reverse(c)))?;
        let baseline = most as f64 / truth.len().max(1) as f64;
        (accuracy <= baseline).then(|| {
            format!(
                "the classifier does no better on the {} rows ({:.1}% correct) than always answering their most common class {:?} ({:.1}%): the features may not tell the classes apart, or training did not get going; look at the data, or try more epochs, another learning rate or more hidden neurons",
                if validation { "validation" } else { "training" },
                100.0 * accuracy,
                self.labels.classes()[majority],
                100.0 * baseline
            )
        })
    }

    /// Fits a classifier to a CSV file: its column `target_column` is the
    /// target, the other columns the features (read as
    /// [`Table::from_csv`] reads them, with the default
    /// [`CsvOptions`](crate::prep::CsvOptions)).
    ///
    /// # Errors
    /// The errors of reading the file, of [`Table::split_target`] and of
    /// [`Classifier::fit`].
    #[cfg(feature = "csv")]
    pub fn fit_csv(
        path: impl AsRef<Path>,
        target_column: &str,
        settings: &Settings,
    ) -> Result<(Classifier, FitReport)> {
        let table = Table::from_csv(path)?;
        let (features, target) = table.split_target(target_column)?;
        Classifier::fit(&features, &target, settings)
    }

    /// The class labels, in the order of the output neurons (and of
    /// [`Classifier::predict_proba`]'s columns).
    pub fn classes(&self) -> &[String] {
        self.labels.classes()
    }

    /// The predicted label of each row of `features`.
    ///
    /// # Errors
    /// The errors of [`Preprocessor::transform`]: a column missing from
    /// the table ([`Error::UnknownColumn`]), a missing value or an unseen
    /// category that the pipeline does not handle.
    pub fn predict(&self, features: &Table) -> Result<Vec<String>> {
        Ok(self
            .predict_classes(features)?
            .into_iter()
            .map(|c| self.labels.classes()[c].clone())
            .collect())
    }

    /// The predicted class index (0..k, into [`Classifier::classes`]) of
    /// each row of `features`.
    ///
    /// # Errors
    /// As [`Classifier::predict`].
    pub fn predict_classes(&self, features: &Table) -> Result<Vec<usize>> {
        let x = self.features.transform::<Scalar>(features)?;
        self.network.predict_batch(&x)
    }

    /// Each class's probability for each row: the softmax outputs.
    ///
    /// # Shapes
    /// n × k: one row per row of `features`, one column per class (in the
    /// order of [`Classifier::classes`]); each row sums to 1.
    ///
    /// # Errors
    /// As [`Classifier::predict`].
    pub fn predict_proba(&self, features: &Table) -> Result<DMatrix<f64>> {
        let x = self.features.transform::<Scalar>(features)?;
        let a = self.network.feedforward_batch(&x)?;
        Ok(DMatrix::from_fn(a.ncols(), a.nrows(), |i, j| {
            f64::from(a[(j, i)])
        }))
    }

    /// The accuracy on `features` and their true labels `target`: the
    /// fraction of rows whose predicted label is the true one (a label
    /// the model never saw counts as wrong).
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] if `target` is not one label per row;
    /// otherwise as [`Classifier::predict`].
    pub fn score(&self, features: &Table, target: &Target) -> Result<f64> {
        fit::check_rows(features, target)?;
        let predicted = self.predict(features)?;
        let truth = label_texts(target);
        let correct = truth.iter().zip(&predicted).filter(|(t, p)| t == p).count();
        Ok(correct as f64 / truth.len() as f64)
    }

    /// Precision, recall and F1 of each class on `features` and their true
    /// labels `target` (scikit-learn's `classification_report`). Labels
    /// of `target` that the model never saw are reported as classes of
    /// their own, after the model's, with no row predicted as them.
    ///
    /// # Errors
    /// As [`Classifier::score`].
    pub fn classification_report(
        &self,
        features: &Table,
        target: &Target,
    ) -> Result<ClassificationReport> {
        fit::check_rows(features, target)?;
        let predicted = self.predict_classes(features)?;
        let mut names = self.labels.classes().to_vec();
        let truth: Vec<usize> = label_texts(target)
            .into_iter()
            .map(|t| match self.labels.class_of(&t) {
                Some(c) => c,
                None => match names.iter().position(|n| *n == t) {
                    Some(c) => c,
                    None => {
                        names.push(t);
                        names.len() - 1
                    }
                },
            })
            .collect();
        ClassificationReport::new(&truth, &predicted, &names)
    }

    /// The network, which takes the [preprocessor](Classifier::preprocessor)'s
    /// output: `model.network().predict_batch(&model.preprocessor().transform(&table)?)`
    /// is [`Classifier::predict_classes`].
    pub fn network(&self) -> &Network<f32> {
        &self.network
    }

    /// The feature preprocessing, fitted on the training rows.
    pub fn preprocessor(&self) -> &Preprocessor {
        &self.features
    }

    /// The mapping between labels and output neurons.
    pub fn label_encoder(&self) -> &LabelEncoder {
        &self.labels
    }

    /// How the network was trained (saved with it).
    pub fn training_record(&self) -> &TrainingRecord {
        &self.record
    }

    /// Saves the classifier (network, training record, preprocessing and
    /// labels) to `path`, atomically; [`Classifier::load`] reads it back.
    ///
    /// # Errors
    /// As [`Network::save`].
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        file::save(
            path.as_ref(),
            &self.network,
            &self.record,
            &self.features,
            TargetEncoding::Classes(self.labels.clone()),
        )
    }

    /// Loads a classifier saved by [`Classifier::save`].
    ///
    /// # Errors
    /// As [`SavedNetwork::load`](crate::model::SavedNetwork::load);
    /// [`Error::ModelFormat`] if the file holds a regressor, or a network
    /// without an estimator's preprocessing, or parts that do not fit
    /// together.
    pub fn load(path: impl AsRef<Path>) -> Result<Classifier> {
        let path = path.as_ref();
        match super::Estimator::load(path)? {
            super::Estimator::Classifier(model) => Ok(model),
            _ => Err(Error::ModelFormat {
                source_name: path.display().to_string(),
                reason: "it holds a regressor, not a classifier; load it with Regressor::load"
                    .into(),
            }),
        }
    }

    /// A classifier of parts loaded from a model file, checked to fit together.
    pub(super) fn from_parts(
        network: Network<Scalar>,
        features: Preprocessor,
        labels: LabelEncoder,
        record: TrainingRecord,
    ) -> Classifier {
        Classifier {
            network,
            features,
            labels,
            record,
        }
    }
}

/// The labels of a target as text (numbers as [`LabelEncoder`] writes them).
fn label_texts(target: &Target) -> Vec<String> {
    match target {
        Target::Labels(v) => v.clone(),
        Target::Numeric(v) => v.iter().map(|x| x.to_string()).collect(),
    }
}
