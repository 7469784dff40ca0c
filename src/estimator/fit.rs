//! What fitting a classifier and a regressor share: checking the data,
//! holding out the validation rows, building the network and training it
//! with early stopping on the validation cost.

use nalgebra::DMatrix;
use rand::rngs::StdRng;

use super::{FitReport, Settings};
use crate::layer::Layer;
use crate::model::TrainingRecord;
use crate::prep::{
    Preprocessor, Split, Table, Target, stratified_train_test_split, train_test_split,
};
use crate::sgd::Selection;
use crate::{Activation, Cost, CostKind, Dataset, Error, Init, Network, Result, Sgd};

/// The scalar type the estimators train in: single precision, twice the
/// SIMD lanes of `f64`, and more than tabular data's own precision.
pub(super) type Scalar = f32;

/// The initialisation: weights from N(0, 1/n_in), biases from N(0, 1).
const INIT: Init = Init::ScaledNormal;

/// Refuses a target of another length than the table, or an empty table.
pub(super) fn check_rows(features: &Table, target: &Target) -> Result<()> {
    if features.n_rows() != target.len() {
        return Err(Error::InvalidConfig {
            name: "target",
            reason: format!(
                "{} target values for a table of {} rows: give one target value per row, in the same order",
                target.len(),
                features.n_rows()
            ),
        });
    }
    if features.is_empty() {
        return Err(Error::EmptyData {
            what: "training table",
        });
    }
    Ok(())
}

/// The rows to train on and those to validate on (none with a validation
/// fraction of 0), stratified by `classes` when given.
pub(super) fn hold_out(
    n: usize,
    classes: Option<&[usize]>,
    settings: &Settings,
    rng: &mut StdRng,
) -> Result<Split> {
    let fraction = settings.validation_fraction();
    if fraction == 0.0 {
        return Ok(Split {
            train: (0..n).collect(),
            test: Vec::new(),
        });
    }
    if n < 2 {
        return Err(Error::InvalidConfig {
            name: "validation_fraction",
            reason: format!(
                "{n} row cannot be split into training and validation rows; give more rows, or a validation fraction of 0"
            ),
        });
    }
    match classes {
        Some(c) => stratified_train_test_split(c, fraction, rng),
        None => train_test_split(n, fraction, rng),
    }
}

/// Fits the feature preprocessing on the training rows and turns both
/// sets of rows into input matrices (n_features × rows).
pub(super) fn prepare(
    features: &Table,
    split: &Split,
    settings: &Settings,
) -> Result<(Preprocessor, DMatrix<Scalar>, Option<DMatrix<Scalar>>)> {
    let train = features.select_rows(&split.train)?;
    let prep = settings.pipeline().fit(&train)?;
    let x_train = prep.transform::<Scalar>(&train)?;
    let x_val = if split.test.is_empty() {
        None
    } else {
        Some(prep.transform::<Scalar>(&features.select_rows(&split.test)?)?)
    };
    Ok((prep, x_train, x_val))
}

/// The output layer and cost of a task.
pub(super) struct Head<'a> {
    /// The output neurons: the classes, or 1.
    pub outputs: usize,
    /// The output layer's activation.
    pub activation: Activation,
    /// The cost trained on.
    pub cost: &'a dyn Cost<Scalar>,
    /// Its kind, for the training record.
    pub kind: CostKind,
}

/// A trained network and what training did.
pub(super) struct Trained {
    pub network: Network<Scalar>,
    pub record: TrainingRecord,
    pub report: FitReport,
}

/// Builds the network of `settings` with `head` as its output layer and
/// trains it on (`x`, `y`), with early stopping on the validation cost
/// when there are validation rows. The report's score, fit time and the
/// warnings about the task are left for the caller, who knows the task.
pub(super) fn train(
    settings: &Settings,
    head: &Head<'_>,
    (x, y): (DMatrix<Scalar>, DMatrix<Scalar>),
    validation: Option<(DMatrix<Scalar>, DMatrix<Scalar>)>,
    rng: &mut StdRng,
) -> Result<Trained> {
    let n_in = x.nrows();
    let mut layers = Vec::with_capacity(settings.hidden().len() + 1);
    let mut fan_in = n_in;
    for &h in settings.hidden() {
        layers.push(Layer::dense(fan_in, h, settings.activation()));
        fan_in = h;
    }
    layers.push(Layer::dense(fan_in, head.outputs, head.activation));
    let mut network = Network::from_layers(&layers, INIT, rng)?;

    let training = Dataset::new(x, y)?;
    let validation = validation.map(|(x, y)| Dataset::new(x, y)).transpose()?;
    let mini_batch = settings.mini_batch_size().min(training.len());
    let mut sgd = Sgd::new()
        .with_optimizer(settings.optimizer())
        .with_learning_rate(settings.learning_rate())
        .with_mini_batch_size(mini_batch)
        .with_l2_lambda(settings.l2_lambda())
        .with_epochs(settings.epochs())
        .with_selection(Selection::Cost)
        .with_min_delta(settings.min_delta());
    if validation.is_some() {
        sgd = sgd.with_early_stopping(settings.patience());
    }
    let mut run = sgd.run(&mut network, &training, head.cost, rng);
    if let Some(v) = &validation {
        run = run.evaluation(v);
    }
    let reports = run.train()?;

    let epochs = reports.len();
    let last = reports.last();
    let best_epoch = last.and_then(|r| r.best_epoch);
    let record = TrainingRecord {
        cost: Some(head.kind),
        init: Some(INIT),
        learning_rate: Some(settings.learning_rate()),
        mini_batch_size: Some(mini_batch),
        l2_lambda: Some(settings.l2_lambda()),
        epochs: Some(settings.epochs()),
        epochs_completed: epochs,
        seed: Some(settings.seed()),
        optimizer: Some(settings.optimizer().kind()),
        ..TrainingRecord::default()
    };
    let mut warnings = Vec::new();
    if let Some(best) = best_epoch
        && epochs == settings.epochs()
        && best + settings.patience() > epochs
    {
        warnings.push(format!(
            "the validation cost was still falling at the last of the {epochs} epochs allowed (best epoch {best}); more epochs (Settings::with_epochs) or a larger learning rate may give a better model"
        ));
    }
    let report = FitReport {
        epochs,
        max_epochs: settings.epochs(),
        best_epoch,
        stopped_early: validation.is_some() && epochs < settings.epochs(),
        validation_costs: reports
            .iter()
            .filter_map(|r| r.evaluation.map(|e| e.cost))
            .collect(),
        score: f64::NAN,
        score_on_validation: validation.is_some(),
        training_rows: training.len(),
        validation_rows: validation.as_ref().map_or(0, Dataset::len),
        fit_time: std::time::Duration::ZERO, // the caller's to set
        warnings,
    };
    Ok(Trained {
        network,
        record,
        report,
    })
}
