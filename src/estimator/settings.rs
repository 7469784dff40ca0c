//! [`Settings`]: the hyper-parameters of an estimator, checked once.

use crate::optim::Optimizer;
use crate::prep::Pipeline;
use crate::sgd::Compact;
use crate::{Activation, Error, Result};

/// How a [`Classifier`](super::Classifier) or [`Regressor`](super::Regressor)
/// is built and trained: a plain value, with `with_*` methods that set one
/// setting and return the settings, getters named after the settings, and
/// [`Settings::validate`] (which fitting calls first) to check them all.
///
/// The defaults suit tabular data without tuning:
///
/// | setting | default | symbol |
/// |---|---|---|
/// | [`with_hidden`](Settings::with_hidden) | one hidden layer of 100 neurons | |
/// | [`with_activation`](Settings::with_activation) | ReLU hidden neurons | f |
/// | [`with_optimizer`](Settings::with_optimizer) | Adam (β₁ = 0.9, β₂ = 0.999) | |
/// | [`with_learning_rate`](Settings::with_learning_rate) | 10⁻³ | η |
/// | [`with_mini_batch_size`](Settings::with_mini_batch_size) | 32 (all rows if fewer) | m |
/// | [`with_l2_lambda`](Settings::with_l2_lambda) | 10⁻⁴ | λ |
/// | [`with_epochs`](Settings::with_epochs) | at most 200 | |
/// | [`with_validation_fraction`](Settings::with_validation_fraction) | 0.1 of the rows held out (stratified for a classifier) | |
/// | [`with_patience`](Settings::with_patience) | stop after 10 epochs without improvement of the validation cost | |
/// | [`with_min_delta`](Settings::with_min_delta) | an improvement counts if larger than 10⁻⁴ | δ |
/// | [`with_seed`](Settings::with_seed) | 1 | |
/// | [`with_pipeline`](Settings::with_pipeline) | numeric columns standardised, categorical ones one-hot encoded ([`Pipeline::new`]) | |
///
/// These are scikit-learn's `MLPClassifier` and `MLPRegressor` defaults
/// (hidden layer, activation, optimizer, η, λ = `alpha`, epochs,
/// patience = `n_iter_no_change`, δ = `tol`), with early stopping on a
/// held-out validation set turned on, and mini-batches of 32 rows rather
/// than 200; the [module docs](super#how-the-defaults-were-chosen) say
/// how they were chosen.
///
/// # Examples
/// ```
/// use neuralnet::estimator::Settings;
/// let settings = Settings::new().with_hidden(&[64, 32]).with_epochs(50).with_seed(7);
/// assert_eq!(settings.hidden(), [64, 32]);
/// assert!(settings.validate().is_ok());
///
/// let bad = Settings::new().with_validation_fraction(1.5);
/// assert!(matches!(
///     bad.validate(),
///     Err(neuralnet::Error::InvalidConfig { name: "validation_fraction", .. })
/// ));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    hidden: Vec<usize>,
    activation: Activation,
    optimizer: Optimizer,
    learning_rate: f64,
    mini_batch_size: usize,
    l2_lambda: f64,
    epochs: usize,
    validation_fraction: f64,
    patience: usize,
    min_delta: f64,
    seed: u64,
    pipeline: Pipeline,
}

impl Default for Settings {
    /// The defaults in the table of [`Settings`].
    fn default() -> Self {
        Settings {
            hidden: vec![100],
            activation: Activation::Relu,
            optimizer: Optimizer::adam(),
            learning_rate: 1e-3,
            mini_batch_size: 32,
            l2_lambda: 1e-4,
            epochs: 200,
            validation_fraction: 0.1,
            patience: 10,
            min_delta: 1e-4,
            seed: 1,
            pipeline: Pipeline::new(),
        }
    }
}

impl Settings {
    /// The default settings (see [`Settings`]).
    pub fn new() -> Self {
        Settings::default()
    }

    /// Sets the hidden layers' sizes, first hidden layer first: `&[100]`
    /// (the default) is one layer of 100 neurons, `&[64, 32]` two layers,
    /// `&[]` none (a linear model: multinomial logistic regression for a
    /// classifier, least squares for a regressor).
    pub fn with_hidden(mut self, sizes: &[usize]) -> Self {
        self.hidden = sizes.to_vec();
        self
    }

    /// Sets the hidden neurons' activation f (ReLU by default; any but the
    /// softmax, which only an output layer may have).
    pub fn with_activation(mut self, activation: Activation) -> Self {
        self.activation = activation;
        self
    }

    /// Sets the optimizer (Adam by default).
    pub fn with_optimizer(mut self, optimizer: Optimizer) -> Self {
        self.optimizer = optimizer;
        self
    }

    /// Sets the learning rate η > 0 (10⁻³ by default, Adam's usual one).
    pub fn with_learning_rate(mut self, eta: f64) -> Self {
        self.learning_rate = eta;
        self
    }

    /// Sets the mini-batch size m ≥ 1 (32 by default; a training set of
    /// fewer rows is one mini-batch).
    pub fn with_mini_batch_size(mut self, m: usize) -> Self {
        self.mini_batch_size = m;
        self
    }

    /// Sets the L2 regularisation λ ≥ 0 (10⁻⁴ by default): each step also
    /// shrinks the weights by ηλ/n.
    pub fn with_l2_lambda(mut self, lambda: f64) -> Self {
        self.l2_lambda = lambda;
        self
    }

    /// Sets the most epochs to train, ≥ 1 (200 by default); early stopping
    /// usually ends training sooner.
    pub fn with_epochs(mut self, epochs: usize) -> Self {
        self.epochs = epochs;
        self
    }

    /// Sets the fraction of the rows held out to validate on, in [0, 1)
    /// (0.1 by default): after each epoch the cost on them decides which
    /// epoch is best and when to stop. For a classifier the rows are drawn
    /// class by class (stratified), so each class keeps its share. 0
    /// trains on every row for all the epochs, with no early stopping.
    pub fn with_validation_fraction(mut self, fraction: f64) -> Self {
        self.validation_fraction = fraction;
        self
    }

    /// Sets the patience ≥ 1: training stops once the validation cost has
    /// not improved (by more than [δ](Settings::with_min_delta)) for this
    /// many epochs in a row (10 by default), and the network goes back to
    /// the weights of its best epoch.
    pub fn with_patience(mut self, epochs: usize) -> Self {
        self.patience = epochs;
        self
    }

    /// Sets δ ≥ 0, the smallest fall of the validation cost that counts as
    /// an improvement (10⁻⁴ by default).
    pub fn with_min_delta(mut self, min_delta: f64) -> Self {
        self.min_delta = min_delta;
        self
    }

    /// Sets the seed of every random choice: the validation rows, the
    /// initial weights and the order of the mini-batches (1 by default).
    /// The same seed and data give the same model, bit for bit.
    pub fn with_seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Sets what is done to each feature column (see [`Pipeline`]: steps
    /// per column, missing values, unseen categories). The default,
    /// [`Pipeline::new`], standardises numeric columns and one-hot encodes
    /// categorical ones, and refuses missing values;
    /// `Pipeline::new().with_standardization(false)` keeps numbers as they
    /// are.
    pub fn with_pipeline(mut self, pipeline: Pipeline) -> Self {
        self.pipeline = pipeline;
        self
    }

    /// The hidden layers' sizes.
    pub fn hidden(&self) -> &[usize] {
        &self.hidden
    }

    /// The hidden neurons' activation.
    pub fn activation(&self) -> Activation {
        self.activation
    }

    /// The optimizer.
    pub fn optimizer(&self) -> Optimizer {
        self.optimizer
    }

    /// The learning rate η.
    pub fn learning_rate(&self) -> f64 {
        self.learning_rate
    }

    /// The mini-batch size m.
    pub fn mini_batch_size(&self) -> usize {
        self.mini_batch_size
    }

    /// The L2 regularisation λ.
    pub fn l2_lambda(&self) -> f64 {
        self.l2_lambda
    }

    /// The most epochs to train.
    pub fn epochs(&self) -> usize {
        self.epochs
    }

    /// The fraction of the rows held out to validate on.
    pub fn validation_fraction(&self) -> f64 {
        self.validation_fraction
    }

    /// The early-stopping patience, in epochs.
    pub fn patience(&self) -> usize {
        self.patience
    }

    /// The smallest improvement δ that counts.
    pub fn min_delta(&self) -> f64 {
        self.min_delta
    }

    /// The seed.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The preprocessing of the feature columns, before it is fitted.
    pub fn pipeline(&self) -> &Pipeline {
        &self.pipeline
    }

    /// Checks every setting.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`], named after the setting (`"hidden"`,
    /// `"activation"`, `"learning_rate"`, `"mini_batch_size"`,
    /// `"l2_lambda"`, `"epochs"`, `"validation_fraction"`, `"patience"`,
    /// `"min_delta"`, or the optimizer's), if a hidden layer has no
    /// neurons, the activation is the softmax, η is not a positive finite
    /// number, m or the epochs or the patience is 0, λ or δ is negative or
    /// not finite, the validation fraction is not in [0, 1), or the
    /// optimizer's settings are out of range.
    pub fn validate(&self) -> Result<()> {
        let invalid =
            |name: &'static str, reason: String| Err(Error::InvalidConfig { name, reason });
        if let Some(l) = self.hidden.iter().position(|&n| n == 0) {
            return invalid(
                "hidden",
                format!(
                    "hidden layer {} of {:?} has no neurons; give every hidden layer at least one (100 is the default), or none at all for a linear model",
                    l + 1,
                    self.hidden
                ),
            );
        }
        if !self.activation.is_elementwise() {
            return invalid(
                "activation",
                format!(
                    "a {} hidden layer is not possible (only an output layer may be one); use relu, tanh or sigmoid",
                    self.activation
                ),
            );
        }
        if !(self.learning_rate.is_finite() && self.learning_rate > 0.0) {
            return invalid(
                "learning_rate",
                format!(
                    "η = {} but it must be a finite number > 0 (10⁻³ suits Adam)",
                    Compact(self.learning_rate)
                ),
            );
        }
        if self.mini_batch_size == 0 {
            return invalid(
                "mini_batch_size",
                "m = 0 but a mini-batch needs at least one row (32 is the default)".into(),
            );
        }
        if !(self.l2_lambda.is_finite() && self.l2_lambda >= 0.0) {
            return invalid(
                "l2_lambda",
                format!(
                    "λ = {} but it must be a finite number ≥ 0 (0 turns regularisation off)",
                    Compact(self.l2_lambda)
                ),
            );
        }
        if self.epochs == 0 {
            return invalid(
                "epochs",
                "0 epochs would train nothing; give at least 1 (200 is the default)".into(),
            );
        }
        if !(0.0..1.0).contains(&self.validation_fraction) {
            return invalid(
                "validation_fraction",
                format!(
                    "{} is not in [0, 1): hold out a fraction of the rows (0.1 is the default), or 0 to train on all of them without early stopping",
                    Compact(self.validation_fraction)
                ),
            );
        }
        if self.patience == 0 {
            return invalid(
                "patience",
                "0 epochs; early stopping needs at least 1 (10 is the default)".into(),
            );
        }
        if !(self.min_delta.is_finite() && self.min_delta >= 0.0) {
            return invalid(
                "min_delta",
                format!(
                    "δ = {} but the smallest improvement that counts must be a finite number ≥ 0",
                    Compact(self.min_delta)
                ),
            );
        }
        self.optimizer.validate(self.learning_rate)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_each_bad_setting_is_named() {
        assert!(Settings::new().validate().is_ok());
        assert!(Settings::new().with_hidden(&[]).validate().is_ok());
        let name = |s: Settings| match s.validate() {
            Err(Error::InvalidConfig { name, .. }) => name,
            other => panic!("{other:?}"),
        };
        assert_eq!(name(Settings::new().with_hidden(&[10, 0])), "hidden");
        assert_eq!(
            name(Settings::new().with_activation(Activation::Softmax)),
            "activation"
        );
        assert_eq!(
            name(Settings::new().with_learning_rate(f64::NAN)),
            "learning_rate"
        );
        assert_eq!(
            name(Settings::new().with_mini_batch_size(0)),
            "mini_batch_size"
        );
        assert_eq!(name(Settings::new().with_l2_lambda(-1.0)), "l2_lambda");
        assert_eq!(name(Settings::new().with_epochs(0)), "epochs");
        assert_eq!(
            name(Settings::new().with_validation_fraction(1.0)),
            "validation_fraction"
        );
        assert_eq!(name(Settings::new().with_patience(0)), "patience");
        assert_eq!(name(Settings::new().with_min_delta(-0.5)), "min_delta");
        assert_eq!(
            name(Settings::new().with_optimizer(Optimizer::momentum(1.5))),
            "momentum"
        );
    }
}
