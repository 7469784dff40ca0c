//! Stochastic gradient descent: epochs of shuffled mini-batches.
//!
//! # The parts
//!
//! | file | what it holds |
//! |------|---------------|
//! | `mod.rs` | [`Sgd`] (the settings and the epoch loop), [`Monitor`], [`EpochReport`] |
//! | `step.rs` | one step on a mini-batch: fused SGD (plain, momentum, Nesterov), the general step of any optimizer, max-norm |
//! | `schedule.rs` | [`Schedule`]: η per epoch |
//! | `selection.rs` | [`Selection`]: which epoch is best |
//! | `state.rs` | [`TrainingState`] (optimizer state, schedule, best epoch), [`BestNetwork`] |
//!
//! The optimizers themselves (SGD, momentum, Nesterov, Adam, AdamW) are in
//! [`optim`](crate::optim).
//!
//! [`Sgd`], [`Monitor`] and [`EpochReport`] are also at the crate root;
//! [`Dropout`] (defined with the network's workspace, which applies it) is
//! re-exported here with the other settings of training.

use std::ops::ControlFlow;
use std::time::{Duration, Instant};

use rand::Rng;
use rand::seq::SliceRandom;

use crate::network::Workspace;
use crate::optim::Optimizer;
use crate::{Cost, Dataset, Error, Evaluation, Network, Real, Result};

mod run;
mod schedule;
mod selection;
mod state;
mod step;

pub use crate::dropout::Dropout;
pub use run::Run;
pub use schedule::Schedule;
pub use selection::Selection;
pub(crate) use state::Counters;
pub use state::{BestNetwork, StopReason, TrainingState};
use step::{Rule, adam_step, sgd_step};

/// Settings for training by stochastic gradient descent (SGD).
///
/// Gradient descent moves every weight and bias against the gradient of the
/// cost: Δv = −η∇C (equations (8) and (11) of the lecture notes), that is
/// v → v′ = v − η∇C (equation (12)), or for the network's weights and biases
/// w_k → w_k − η ∂C/∂w_k and b_l → b_l − η ∂C/∂b_l (equations (13) and (14)).
/// For a small learning rate η this lowers the cost by ΔC ≈ ∇C·Δv =
/// −η‖∇C‖² (equations (5), (7) and (9)).
///
/// Stochastic gradient descent estimates ∇C on a random mini-batch of m
/// training inputs X₁, …, X_m instead of all n: (1/m) Σⱼ ∇C_{X_j} ≈ ∇C
/// (equations (15) and (16)). Each epoch shuffles the training data and
/// walks it in mini-batches; for each, backpropagation gives the ∇C_{X_j}
/// and the network takes *the SGD update*, equations (17) and (18):
///
/// ```text
/// w → w − (η/m) Σ_j ∂C_{X_j}/∂w
/// b → b − (η/m) Σ_j ∂C_{X_j}/∂b
/// ```
///
/// A mini-batch of the whole training set (m = n) is plain gradient descent.
///
/// With L2 regularisation λ > 0 (Nielsen, chapter 3) the weights, not the
/// biases, also decay: w → (1 − ηλ/n) w − (η/m) Σ_j ∂C_{X_j}/∂w, where n is
/// the size of the training set. λ = 0 gives exactly (17) and (18).
///
/// In this crate the update is fused with backpropagation: each layer's
/// weights are updated in one pass, right after that layer's error has been
/// passed back to the layer below, so no gradient is ever stored.
///
/// # Chapter 3's toolkit
///
/// Off by default, so that the defaults are the lecture's SGD:
/// - momentum ([`Sgd::with_momentum`], [`Sgd::with_nesterov`]): a velocity
///   v per weight and bias, v → μv − η∇C, w → w + v;
/// - a learning-rate schedule ([`Sgd::with_schedule`], [`Schedule`]);
/// - early stopping on the evaluation data ([`Sgd::with_early_stopping`]);
/// - a max-norm limit on each neuron's incoming weights
///   ([`Sgd::with_max_norm`]).
///
/// The evaluation data that the schedules and early stopping read must be
/// the validation set, never the test set.
///
/// # Examples
/// ```
/// use neuralnet::Sgd;
/// let sgd = Sgd::new().with_learning_rate(3.0).with_mini_batch_size(10).with_epochs(30);
/// assert_eq!(sgd.mini_batch_size(), 10);
/// ```
///
/// The settings are a plain value: `with_*` methods set one and return the
/// settings, methods named after a setting read it, and [`Sgd::validate`]
/// (which training calls first) checks them all at once.
#[derive(Debug, Clone, PartialEq)]
pub struct Sgd {
    learning_rate: f64,
    mini_batch_size: usize,
    epochs: usize,
    l2_lambda: f64,
    monitor_training_cost: bool,
    starting_epoch: usize,
    dropout: Dropout,
    optimizer: Optimizer,
    selection: Selection,
    min_delta: f64,
    schedule: Schedule,
    early_stopping: Option<usize>,
    max_norm: Option<f64>,
}

impl Default for Sgd {
    /// The lecture's settings: η = 3.0, m = 10, 30 epochs, λ = 0; no
    /// momentum (μ = 0), a constant η, no early stopping, no max-norm.
    fn default() -> Self {
        Sgd {
            learning_rate: 3.0,
            mini_batch_size: 10,
            epochs: 30,
            l2_lambda: 0.0,
            monitor_training_cost: false,
            starting_epoch: 0,
            dropout: Dropout::none(),
            optimizer: Optimizer::Sgd,
            selection: Selection::Accuracy,
            min_delta: 0.0,
            schedule: Schedule::Constant,
            early_stopping: None,
            max_norm: None,
        }
    }
}

impl Sgd {
    /// The default settings (see [`Sgd::default`]).
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the learning rate η > 0.
    pub fn with_learning_rate(mut self, eta: f64) -> Self {
        self.learning_rate = eta;
        self
    }

    /// Sets the mini-batch size m ≥ 1.
    pub fn with_mini_batch_size(mut self, m: usize) -> Self {
        self.mini_batch_size = m;
        self
    }

    /// Sets the number of epochs (0 trains nothing).
    pub fn with_epochs(mut self, epochs: usize) -> Self {
        self.epochs = epochs;
        self
    }

    /// Sets the L2 regularisation parameter λ ≥ 0.
    pub fn with_l2_lambda(mut self, lambda: f64) -> Self {
        self.l2_lambda = lambda;
        self
    }

    /// Continues a run of which `done` epochs were already trained: training
    /// then runs epochs `done + 1` to [`Sgd::with_epochs`], numbered so in the
    /// reports (and trains nothing if `done` is that many already).
    pub fn with_starting_epoch(mut self, done: usize) -> Self {
        self.starting_epoch = done;
        self
    }

    /// Sets dropout: which fraction of the hidden (and input) neurons each
    /// mini-batch drops (see [`Dropout`]; none by default).
    pub fn with_dropout(mut self, dropout: Dropout) -> Self {
        self.dropout = dropout;
        self
    }

    /// The dropout settings.
    pub fn dropout(&self) -> &Dropout {
        &self.dropout
    }

    /// Whether each [`EpochReport`] includes the cost and accuracy on the
    /// training data (costs one feedforward pass over it per epoch).
    pub fn with_monitor_training_cost(mut self, on: bool) -> Self {
        self.monitor_training_cost = on;
        self
    }

    /// Sets the momentum coefficient μ ∈ [0, 1) of momentum-based gradient
    /// descent (Nielsen, chapter 3). Each weight and bias w gets a velocity
    /// v, starting at 0, and each mini-batch's step becomes
    ///
    /// ```text
    /// v → v′ = μv − (η/m) Σ_j ∂C_{X_j}/∂w
    /// w → w′ = (1 − ηλ/n) w + v′
    /// ```
    ///
    /// (biases alike, without the decay). μ is one minus the "friction":
    /// μ = 0 is plain SGD, bit for bit; 0.9 is common. The velocities are
    /// allocated once, before the first mini-batch.
    ///
    /// This sets the optimizer ([`Sgd::with_optimizer`]) to
    /// [`Optimizer::Momentum`], or keeps [`Optimizer::Nesterov`] with the
    /// new μ.
    pub fn with_momentum(mut self, mu: f64) -> Self {
        self.optimizer = match self.optimizer {
            Optimizer::Nesterov { .. } => Optimizer::nesterov(mu),
            _ => Optimizer::momentum(mu),
        };
        self
    }

    /// Sets the optimizer: how each mini-batch's gradient changes the
    /// weights and biases ([`Optimizer`]; the lecture's plain SGD by
    /// default). L2 regularisation ([`Sgd::with_l2_lambda`]) works with
    /// every optimizer.
    ///
    /// # Examples
    /// ```
    /// use neuralnet::Sgd;
    /// use neuralnet::optim::Optimizer;
    /// let adam = Sgd::new().with_optimizer(Optimizer::adam()).with_learning_rate(1e-3);
    /// assert_eq!(adam.optimizer(), Optimizer::adam());
    /// ```
    pub fn with_optimizer(mut self, optimizer: Optimizer) -> Self {
        self.optimizer = optimizer;
        self
    }

    /// The optimizer.
    pub fn optimizer(&self) -> Optimizer {
        self.optimizer
    }

    /// Sets what early stopping, the no-improvement schedule and the best
    /// epoch compare ([`Selection::Accuracy`] by default).
    pub fn with_selection(mut self, selection: Selection) -> Self {
        self.selection = selection;
        self
    }

    /// The selection metric.
    pub fn selection(&self) -> Selection {
        self.selection
    }

    /// Sets δ ≥ 0: an epoch improves on the best only if its selection
    /// metric is better by more than δ (0, the default: any improvement).
    pub fn with_min_delta(mut self, min_delta: f64) -> Self {
        self.min_delta = min_delta;
        self
    }

    /// The smallest improvement δ that counts.
    pub fn min_delta(&self) -> f64 {
        self.min_delta
    }

    /// With momentum, whether to use Nesterov's variant, which takes the
    /// gradient at the point momentum is about to carry the weights to
    /// (Sutskever et al. 2013), in the form of Bengio et al. (2012) where w
    /// holds that look-ahead point:
    ///
    /// ```text
    /// v → v′ = μv − (η/m) Σ_j ∂C_{X_j}/∂w
    /// w → w′ = (1 − ηλ/n) w + μv′ − (η/m) Σ_j ∂C_{X_j}/∂w
    /// ```
    ///
    /// Off by default; no effect with μ = 0. This switches the optimizer
    /// between [`Optimizer::Momentum`] and [`Optimizer::Nesterov`] (with the
    /// same μ); on another optimizer, turning it on sets Nesterov with
    /// μ = 0 until [`Sgd::with_momentum`] sets μ.
    pub fn with_nesterov(mut self, on: bool) -> Self {
        let mu = self.optimizer.momentum_coefficient();
        self.optimizer = match (on, self.optimizer) {
            (true, Optimizer::Nesterov { .. }) | (false, Optimizer::Momentum { .. }) => {
                self.optimizer
            }
            (true, _) => Optimizer::nesterov(mu),
            (false, Optimizer::Nesterov { momentum }) => Optimizer::momentum(momentum),
            (false, other) => other,
        };
        self
    }

    /// Sets how η changes from epoch to epoch (default
    /// [`Schedule::Constant`]); η₀ is [`Sgd::with_learning_rate`].
    pub fn with_schedule(mut self, schedule: Schedule) -> Self {
        self.schedule = schedule;
        self
    }

    /// Turns on early stopping: stop once the accuracy on the evaluation
    /// data (or the metric [`Sgd::with_selection`] chose) has not improved
    /// for `patience` ≥ 1 epochs in a row ("no improvement in n epochs",
    /// Nielsen, chapter 3), and leave the network with the weights of its
    /// best epoch. Needs evaluation data, which must be the validation set.
    /// The best epoch is in each [`EpochReport::best_epoch`].
    pub fn with_early_stopping(mut self, patience: usize) -> Self {
        self.early_stopping = Some(patience);
        self
    }

    /// Turns early stopping off (the default).
    pub fn without_early_stopping(mut self) -> Self {
        self.early_stopping = None;
        self
    }

    /// Sets a max-norm limit c > 0: after each step, every neuron whose
    /// incoming weight vector w has ‖w‖₂ > c is scaled back to ‖w‖₂ = c,
    /// w → c·w/‖w‖₂ (Srebro et al. 2005, used with dropout by Hinton et
    /// al. 2012 and Srivastava et al. 2014, with c about 3 or 4). Biases
    /// are not limited.
    pub fn with_max_norm(mut self, c: f64) -> Self {
        self.max_norm = Some(c);
        self
    }

    /// Turns the max-norm limit off (the default).
    pub fn without_max_norm(mut self) -> Self {
        self.max_norm = None;
        self
    }

    /// The momentum coefficient μ of momentum or Nesterov (0 for the other
    /// optimizers).
    pub fn momentum(&self) -> f64 {
        self.optimizer.momentum_coefficient()
    }

    /// Whether the optimizer is Nesterov's momentum.
    pub fn nesterov(&self) -> bool {
        matches!(self.optimizer, Optimizer::Nesterov { .. })
    }

    /// The learning-rate schedule.
    pub fn schedule(&self) -> Schedule {
        self.schedule
    }

    /// The early-stopping patience, if early stopping is on.
    pub fn early_stopping(&self) -> Option<usize> {
        self.early_stopping
    }

    /// The max-norm limit c, if any.
    pub fn max_norm(&self) -> Option<f64> {
        self.max_norm
    }

    /// The learning rate η.
    pub fn learning_rate(&self) -> f64 {
        self.learning_rate
    }

    /// The mini-batch size m.
    pub fn mini_batch_size(&self) -> usize {
        self.mini_batch_size
    }

    /// The number of epochs.
    pub fn epochs(&self) -> usize {
        self.epochs
    }

    /// The L2 regularisation parameter λ.
    pub fn l2_lambda(&self) -> f64 {
        self.l2_lambda
    }

    /// The number of epochs already trained before this run (see
    /// [`Sgd::with_starting_epoch`]).
    pub fn starting_epoch(&self) -> usize {
        self.starting_epoch
    }

    /// Whether each report includes the training data's cost and accuracy.
    pub fn monitors_training_cost(&self) -> bool {
        self.monitor_training_cost
    }

    /// Checks the settings.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] if η is not finite or not positive, m is 0,
    /// λ is negative or not finite, μ is not in [0, 1), the schedule's
    /// numbers are out of range, the early-stopping patience is 0, or the
    /// max-norm limit is not a finite number > 0.
    pub fn validate(&self) -> Result<()> {
        if !(self.learning_rate.is_finite() && self.learning_rate > 0.0) {
            return Err(Error::InvalidConfig {
                name: "learning_rate",
                reason: format!(
                    "η = {} but it must be a finite number > 0 (the lecture uses 3.0)",
                    Compact(self.learning_rate)
                ),
            });
        }
        if self.mini_batch_size == 0 {
            return Err(Error::InvalidConfig {
                name: "mini_batch_size",
                reason: "m = 0 but a mini-batch needs at least one example (the lecture uses 10)"
                    .into(),
            });
        }
        if !(self.l2_lambda.is_finite() && self.l2_lambda >= 0.0) {
            return Err(Error::InvalidConfig {
                name: "l2_lambda",
                reason: format!(
                    "λ = {} but it must be a finite number ≥ 0 (0 turns regularisation off)",
                    Compact(self.l2_lambda)
                ),
            });
        }
        self.optimizer.validate(self.learning_rate)?;
        if !(self.min_delta.is_finite() && self.min_delta >= 0.0) {
            return Err(Error::InvalidConfig {
                name: "min_delta",
                reason: format!(
                    "δ = {} but the smallest improvement that counts must be a finite number ≥ 0 (0 counts any)",
                    Compact(self.min_delta)
                ),
            });
        }
        self.schedule.validate(self.learning_rate)?;
        if self.early_stopping == Some(0) {
            return Err(Error::InvalidConfig {
                name: "early_stopping",
                reason: "the patience is 0 epochs but it must be at least 1 (10, say)".into(),
            });
        }
        if let Some(c) = self.max_norm
            && !(c.is_finite() && c > 0.0)
        {
            return Err(Error::InvalidConfig {
                name: "max_norm",
                reason: format!(
                    "c = {c} but the limit on a neuron's weight norm must be a finite number > 0 (3 or 4, say)"
                ),
            });
        }
        self.dropout.validate()
    }

    /// The settings that need evaluation data, for the error without it.
    fn needs_evaluation(&self) -> Option<&'static str> {
        if self.early_stopping.is_some() {
            Some("early stopping")
        } else if self.schedule.needs_evaluation() {
            Some("the no-improvement schedule")
        } else {
            None
        }
    }

    /// Trains `net` on `training` for the configured number of epochs.
    ///
    /// After every epoch the network is evaluated on `evaluation` (if
    /// given), and `on_epoch` is called with the epoch's [`EpochReport`] and
    /// the network as it now is (to keep the best weights, say); return
    /// [`ControlFlow::Break`] from it to stop early. The reports of all
    /// epochs run are returned. [`Sgd::train_with`] takes a [`Monitor`]
    /// instead, which also sees every mini-batch.
    ///
    /// Every epoch shuffles the training data with `rng`, so the same seed
    /// and the same inputs give bit-identical results.
    ///
    /// # Errors
    /// - [`Error::InvalidConfig`] for bad settings (see [`Sgd::validate`]),
    ///   and for a λ so large that the weight decay factor 1 − ηλ/n is not
    ///   above 0;
    /// - [`Error::Allocation`] if the workspace for a mini-batch does not
    ///   fit in memory;
    /// - [`Error::EmptyData`] if `training` or `evaluation` is empty;
    /// - [`Error::InputSize`] / [`Error::TargetSize`] if a data set does not
    ///   fit the network;
    /// - [`Error::CostActivation`] if the cost cannot train the network's
    ///   output layer ([`Cost::check_output`]);
    /// - [`Error::Diverged`] if a weight, a bias or a reported cost becomes
    ///   NaN or infinite. The network is then restored to the state it had at
    ///   the end of the last good epoch.
    pub fn train<T, C, R, F>(
        &self,
        net: &mut Network<T>,
        training: &Dataset<T>,
        evaluation: Option<&Dataset<T>>,
        cost: &C,
        rng: &mut R,
        on_epoch: F,
    ) -> Result<Vec<EpochReport>>
    where
        T: Real,
        C: Cost<T> + ?Sized,
        R: Rng + ?Sized,
        F: FnMut(&EpochReport, &Network<T>) -> ControlFlow<()>,
    {
        self.train_with(net, training, evaluation, cost, rng, &mut EpochFn(on_epoch))
    }

    /// [`Sgd::train`] with a [`Monitor`], told of every mini-batch and given
    /// the network after every epoch.
    ///
    /// # Errors
    /// As [`Sgd::train`].
    pub fn train_with<T, C, R, M>(
        &self,
        net: &mut Network<T>,
        training: &Dataset<T>,
        evaluation: Option<&Dataset<T>>,
        cost: &C,
        rng: &mut R,
        monitor: &mut M,
    ) -> Result<Vec<EpochReport>>
    where
        T: Real,
        C: Cost<T> + ?Sized,
        R: Rng + ?Sized,
        M: Monitor<T> + ?Sized,
    {
        let mut state = TrainingState::new();
        let reports =
            self.train_with_state(net, &mut state, training, evaluation, cost, rng, monitor)?;
        // With early stopping, the run ends on its best epoch's weights.
        state.restore_best(net);
        Ok(reports)
    }

    /// [`Sgd::train_with`] as one part of a longer run: `state` carries
    /// momentum's velocities, the schedule's learning rate and the best
    /// epoch from one call to the next, so that training one epoch per call
    /// (with [`Sgd::with_starting_epoch`] and [`Sgd::with_epochs`] set to
    /// the epoch) gives the same result as one call for all epochs with the
    /// same shuffles.
    ///
    /// With early stopping, the network is set to the best epoch's weights
    /// when early stopping stops training; when the epochs run out first,
    /// call [`TrainingState::restore_best`] once the whole run is over.
    /// Once the state has [`stopped`](TrainingState::stopped), later calls
    /// train nothing.
    ///
    /// # Errors
    /// As [`Sgd::train`]; also [`Error::InvalidConfig`] if `state` was used
    /// with a network of other layer sizes.
    #[allow(clippy::too_many_arguments)]
    pub fn train_with_state<T, C, R, M>(
        &self,
        net: &mut Network<T>,
        state: &mut TrainingState<T>,
        training: &Dataset<T>,
        evaluation: Option<&Dataset<T>>,
        cost: &C,
        rng: &mut R,
        monitor: &mut M,
    ) -> Result<Vec<EpochReport>>
    where
        T: Real,
        C: Cost<T> + ?Sized,
        R: Rng + ?Sized,
        M: Monitor<T> + ?Sized,
    {
        self.validate()?;
        if training.is_empty() {
            return Err(Error::EmptyData {
                what: "training data",
            });
        }
        net.check_data(training)?;
        if let Some(eval) = evaluation {
            net.check_data(eval)?;
            if eval.is_empty() {
                return Err(Error::EmptyData {
                    what: "evaluation data",
                });
            }
        } else if let Some(what) = self.needs_evaluation() {
            return Err(Error::InvalidConfig {
                name: "evaluation data",
                reason: format!(
                    "{what} reads the accuracy on the evaluation data, but none was given: \
                     pass the validation set (never the test set) as `evaluation`"
                ),
            });
        }
        state.check_sizes(net)?;
        let n = training.len();
        let m = self.mini_batch_size.min(n);
        let lambda: T = nalgebra::convert(self.l2_lambda);
        let n_t: T = nalgebra::convert(n as f64);
        let eta0: T = nalgebra::convert(self.learning_rate);
        let decay0 = T::one() - eta0 * lambda / n_t;
        // The weight-decay factor 1 − ηλ/n must stay in (0, 1]: at 0 or
        // below, every step wipes out or flips the weights, and training
        // "diverges" because of λ, whatever η is.
        let shrink = self.learning_rate * self.l2_lambda / n as f64;
        if shrink >= 1.0 || decay0 <= T::zero() {
            return Err(Error::InvalidConfig {
                name: "l2_lambda",
                reason: format!(
                    "λ = {} with η = {} and n = {n} training examples gives ηλ/n = {}, so the weight decay factor 1 − ηλ/n is not above 0; take λ < n/η = {} (Nielsen uses λ = 5 for n = 50,000)",
                    Compact(self.l2_lambda),
                    Compact(self.learning_rate),
                    Compact(shrink),
                    Compact(n as f64 / self.learning_rate)
                ),
            });
        }
        // What always answering the most common class would score: the
        // baseline below which an epoch has learnt nothing.
        let baseline = |d: &Dataset<T>| {
            let mut counts = vec![0usize; net.output_size().max(2)];
            d.classes().into_iter().for_each(|c| counts[c] += 1);
            counts.into_iter().max().unwrap_or(0)
        };
        let eval_baseline = evaluation.map(baseline);
        let training_baseline = self.monitor_training_cost.then(|| baseline(training));
        // The optimizer's buffers, allocated here, once, not per mini-batch;
        // for Adam, room for one layer's gradient.
        state.optimizer_for(net, self.optimizer)?;
        let mut gradient = if self.optimizer.is_adaptive() {
            let largest = net
                .layers()
                .iter()
                .map(|l| l.num_weights() + l.num_biases());
            Some(crate::aligned::try_vec::<T>(
                largest.max().unwrap_or(0),
                "a layer's gradient",
            )?)
        } else {
            None
        };
        let l2 = self.l2_lambda / n as f64;
        let keep_best = self.early_stopping.is_some();

        cost.check_output(net.output_activation())?;
        let n_out = net.output_size();
        cost.check_targets(training.targets().as_slice(), n_out)?;
        if let Some(eval) = evaluation {
            cost.check_targets(eval.targets().as_slice(), n_out)?;
        }
        let dropout_rates = self.dropout.rates(net.sizes())?;
        let mut ws = Workspace::new(net.layers(), m)?;
        ws.set_dropout(net.sizes(), &dropout_rates)?;
        let mut order: Vec<usize> = (0..n).collect();
        // Reports grow as epochs run: "train until a Monitor stops it" is
        // `with_epochs(usize::MAX)`, and nothing is reserved for it.
        let mut reports = Vec::new();
        let Some(first) = self.starting_epoch.checked_add(1) else {
            return Ok(reports);
        };
        if state.stopped().is_some() {
            return Ok(reports);
        }
        let mut last_good = net.clone();
        for epoch in first..=self.epochs {
            let learning_rate = match self.schedule {
                Schedule::NoImprovementHalving { .. } => state.current_rate(self.learning_rate),
                schedule => schedule.rate(self.learning_rate, epoch),
            };
            let eta: T = nalgebra::convert(learning_rate);
            let rule = Rule {
                eta,
                decay: T::one() - eta * lambda / n_t,
                momentum: nalgebra::convert(self.momentum()),
                nesterov: self.nesterov(),
                max_norm: self.max_norm.map(nalgebra::convert),
            };
            let started = Instant::now();
            order.shuffle(rng);
            let mut done = 0;
            for batch in order.chunks(m) {
                ws.draw_masks(rng, batch.len());
                let optimizer = state
                    .optimizer_mut()
                    .expect("optimizer_for made the optimizer's state before the loop");
                match &mut gradient {
                    Some(gradient) => adam_step(
                        net,
                        optimizer,
                        gradient,
                        &mut ws,
                        training,
                        batch,
                        cost,
                        learning_rate,
                        l2,
                        rule.max_norm,
                    ),
                    None => {
                        let velocity = optimizer.velocity_for_step();
                        sgd_step(net, velocity, &mut ws, training, batch, cost, rule);
                    }
                }
                done += batch.len();
                monitor.on_batch(done, n);
            }
            let training_time = started.elapsed();

            let diverged = |what| Error::Diverged {
                epoch,
                what,
                learning_rate,
            };
            if !net.is_finite() {
                *net = last_good;
                return Err(diverged("a weight or bias"));
            }
            let eval_started = Instant::now();
            let evaluation = evaluation.map(|d| net.evaluate(d, cost)).transpose()?;
            let training_eval = if self.monitor_training_cost {
                Some(net.evaluate(training, cost)?)
            } else {
                None
            };
            let costs = evaluation.iter().chain(&training_eval).map(|e| e.cost);
            if costs.clone().any(|c| !c.is_finite()) {
                *net = last_good;
                return Err(diverged("the cost"));
            }
            let stalled = [
                ("evaluation data", evaluation, eval_baseline),
                ("training data", training_eval, training_baseline),
            ]
            .into_iter()
            .find_map(|(data, e, base)| Stall::check(data, e?, base?));
            if let Some(e) = evaluation {
                state.record(epoch, e, net, keep_best, self.selection, self.min_delta);
            }
            let report = EpochReport {
                epoch,
                epochs: self.epochs,
                evaluation,
                training: training_eval,
                stalled,
                learning_rate,
                best_epoch: state.best_epoch(),
                training_time,
                evaluation_time: eval_started.elapsed(),
            };
            let flow = monitor.on_epoch(&report, net);
            reports.push(report);
            let mut stop = false;
            if let Some(patience) = self.early_stopping
                && state.check_early_stop(patience)
            {
                state.restore_best(net);
                stop = true;
            } else if let Schedule::NoImprovementHalving {
                patience,
                min_fraction,
            } = self.schedule
            {
                state.check_halving(self.learning_rate, patience, min_fraction);
                stop = state.stopped().is_some();
            }
            let end = monitor.on_epoch_end(epoch, net, state);
            if stop || flow.is_break() || end.is_break() {
                break;
            }
            if epoch < self.epochs {
                last_good.clone_from(net);
            }
        }
        Ok(reports)
    }

    /// Trains `net` like [`Sgd::train`], but each epoch on a freshly
    /// distorted copy of `training`, made by `augmenter` (shifts, rotations,
    /// scalings, elastic distortions; see [`augment`](crate::augment)).
    /// `training` itself is not changed.
    ///
    /// A second thread prepares the next epoch's copy while the current one
    /// trains ([`ImageAugmenter::prefetch`](crate::augment::ImageAugmenter::prefetch)), so on a machine with two cores
    /// training waits for augmentation only at the first epoch. The run's
    /// augmentation seed is the first number drawn from `rng`, and epoch e
    /// is distorted with [`epoch_seed`](crate::augment::epoch_seed)`(seed,
    /// e)`: the same `rng` seed gives the same run, and with
    /// [`Sgd::with_starting_epoch`] a resumed run sees the same distorted
    /// images for each epoch as an uninterrupted one. Momentum, schedules and
    /// early stopping work as in [`Sgd::train`] (one [`TrainingState`]
    /// carries them from epoch to epoch, and with early stopping the run
    /// ends on the best epoch's weights). The reports are those of
    /// [`Sgd::train`]; a report's `training` evaluation (with
    /// [`Sgd::with_monitor_training_cost`]) is on that epoch's distorted
    /// copy, and its `training_time` leaves out any wait for it.
    ///
    /// # Examples
    /// ```
    /// use std::ops::ControlFlow;
    /// use neuralnet::augment::ImageAugmenter;
    /// use neuralnet::nalgebra::DMatrix;
    /// use neuralnet::{CrossEntropy, Dataset, Init, Network, Sgd};
    /// use rand::{SeedableRng, rngs::StdRng};
    /// # fn main() -> Result<(), neuralnet::Error> {
    /// // 6 × 6 images of a vertical bar in the left (class 0) or right
    /// // (class 1) half; shifted by a pixel, it stays in its half.
    /// let images = DMatrix::from_fn(36, 40, |p, j| {
    ///     let column = if j % 2 == 0 { 1 } else { 4 };
    ///     f64::from(u8::from(p % 6 == column && p / 6 != j % 6))
    /// });
    /// let labels: Vec<u8> = (0..40).map(|j| (j % 2) as u8).collect();
    /// let data = Dataset::from_labels(images, &labels, 2)?;
    ///
    /// let augmenter = ImageAugmenter::new(6, 6, 1).with_max_shift(1);
    /// let mut rng = StdRng::seed_from_u64(1);
    /// let mut net = Network::new(&[36, 10, 2], Init::ScaledNormal, &mut rng)?;
    /// let reports = Sgd::new().with_learning_rate(0.5).with_epochs(20).train_augmented(
    ///     &mut net, &data, &augmenter, Some(&data), &CrossEntropy, &mut rng,
    ///     |_, _| ControlFlow::Continue(()),
    /// )?;
    /// assert_eq!(reports.len(), 20);
    /// assert_eq!(net.evaluate(&data, &CrossEntropy)?.correct, 40);
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    /// As [`Sgd::train`], and [`Error::InvalidConfig`] if the augmenter's
    /// settings are invalid or its image shape does not match the inputs.
    #[allow(clippy::too_many_arguments)]
    pub fn train_augmented<T, C, R, F>(
        &self,
        net: &mut Network<T>,
        training: &Dataset<T>,
        augmenter: &crate::augment::ImageAugmenter,
        evaluation: Option<&Dataset<T>>,
        cost: &C,
        rng: &mut R,
        mut on_epoch: F,
    ) -> Result<Vec<EpochReport>>
    where
        T: Real,
        C: Cost<T> + ?Sized,
        R: Rng + ?Sized,
        F: FnMut(&EpochReport, &Network<T>) -> ControlFlow<()>,
    {
        // Every check before a seed is drawn and the augmentation thread starts.
        self.validate()?;
        if training.is_empty() {
            return Err(Error::EmptyData {
                what: "training data",
            });
        }
        net.check_data(training)?;
        if let Some(eval) = evaluation {
            net.check_data(eval)?;
        }
        let seed = rng.next_u64();
        let mut monitor = EpochFn(&mut on_epoch);
        let mut run = self
            .run(net, training, cost, rng)
            .monitor(&mut monitor)
            .augment(augmenter, seed);
        if let Some(eval) = evaluation {
            run = run.evaluation(eval);
        }
        run.train()
    }
}

/// Watches training: told of every mini-batch and every epoch (see
/// [`Sgd::train_with`]).
///
/// Implement it to show progress within an epoch or to look at the network
/// after each epoch (to save a checkpoint, say).
///
/// # Examples
/// ```
/// use std::ops::ControlFlow;
/// use neuralnet::{EpochReport, Monitor, Network};
///
/// /// Stops once 95% of the evaluation data is classified correctly.
/// struct StopAt95;
/// impl Monitor<f32> for StopAt95 {
///     fn on_epoch(&mut self, report: &EpochReport, _net: &Network<f32>) -> ControlFlow<()> {
///         match report.evaluation {
///             Some(e) if e.accuracy() >= 0.95 => ControlFlow::Break(()),
///             _ => ControlFlow::Continue(()),
///         }
///     }
/// }
/// ```
pub trait Monitor<T: Real> {
    /// Called after each epoch, with its report and the network as it now
    /// is. Return [`ControlFlow::Break`] to stop training.
    fn on_epoch(&mut self, report: &EpochReport, net: &Network<T>) -> ControlFlow<()>;

    /// Called after each mini-batch with the number of training examples
    /// done so far in this epoch and the total. Does nothing unless
    /// overridden.
    fn on_batch(&mut self, done: usize, total: usize) {
        let _ = (done, total);
    }

    /// Called at the very end of each epoch, after early stopping and the
    /// schedule have updated `state`: the moment to save a
    /// [`Checkpoint`](crate::model::Checkpoint) from which a resumed run
    /// goes on exactly. Return [`ControlFlow::Break`] to stop training.
    /// Continues unless overridden.
    fn on_epoch_end(
        &mut self,
        epoch: usize,
        net: &Network<T>,
        state: &TrainingState<T>,
    ) -> ControlFlow<()> {
        let _ = (epoch, net, state);
        ControlFlow::Continue(())
    }
}

/// The closure of [`Sgd::train`] as a [`Monitor`].
struct EpochFn<F>(F);

impl<T: Real, F: FnMut(&EpochReport, &Network<T>) -> ControlFlow<()>> Monitor<T> for EpochFn<F> {
    fn on_epoch(&mut self, report: &EpochReport, net: &Network<T>) -> ControlFlow<()> {
        (self.0)(report, net)
    }
}

/// What happened in one epoch of training.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct EpochReport {
    /// The epoch, from 1.
    pub epoch: usize,
    /// The number of epochs configured.
    pub epochs: usize,
    /// Accuracy and average cost on the evaluation data, if given.
    pub evaluation: Option<Evaluation>,
    /// Accuracy and average cost on the training data, if
    /// [`Sgd::with_monitor_training_cost`] is on.
    pub training: Option<Evaluation>,
    /// The learning rate η this epoch used (see [`Schedule`]).
    pub learning_rate: f64,
    /// The epoch with the best accuracy on the evaluation data so far,
    /// this one included (the first of equals); `None` without evaluation
    /// data. With early stopping, training ends on this epoch's weights.
    pub best_epoch: Option<usize>,
    /// Wall time of the epoch's training: shuffle, mini-batches, updates.
    pub training_time: Duration,
    /// Wall time of the evaluations after the epoch.
    pub evaluation_time: Duration,
    /// A warning, not an error: set when the network did no better after
    /// this epoch than always answering the most common class, on the
    /// evaluation data (or, without it, the training data when
    /// [`Sgd::with_monitor_training_cost`] is on). Its cost may still be
    /// finite, so [`Error::Diverged`] does not catch it; it most often means
    /// η is far too large (saturated outputs), or that training has not got
    /// going yet. `None` when neither data set is evaluated.
    pub stalled: Option<Stall>,
}

/// Training that has stopped learning: the accuracy of an epoch is no
/// better than a constant answer would score (see [`EpochReport::stalled`]).
///
/// `Display` words it for a person: what was measured and what to try.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct Stall {
    /// Which data set showed it (`"evaluation data"` or `"training data"`).
    pub data: &'static str,
    /// The network's accuracy on it, in [0, 1].
    pub accuracy: f64,
    /// The accuracy of always answering its most common class, in [0, 1].
    pub baseline: f64,
}

impl Stall {
    fn check(data: &'static str, e: Evaluation, majority: usize) -> Option<Stall> {
        (e.total > 0 && e.correct <= majority).then(|| Stall {
            data,
            accuracy: e.accuracy(),
            baseline: majority as f64 / e.total as f64,
        })
    }
}

impl std::fmt::Display for Stall {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the network has stopped learning: {:.2}% correct on the {} is no better than always answering its most common class ({:.2}%); if this lasts, try a smaller learning rate η (saturated neurons learn nothing)",
            100.0 * self.accuracy,
            self.data,
            100.0 * self.baseline
        )
    }
}

/// An `f64` written briefly: plain for ordinary magnitudes, in scientific
/// notation for huge or tiny ones (η = 1e308 prints as `1e308`, not as 309
/// digits).
pub(crate) struct Compact(pub(crate) f64);

impl std::fmt::Display for Compact {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let a = self.0.abs();
        if a == 0.0 || !a.is_finite() || (1e-4..1e15).contains(&a) {
            write!(f, "{}", self.0)
        } else {
            write!(f, "{:e}", self.0)
        }
    }
}
