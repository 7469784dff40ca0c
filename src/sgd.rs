//! Stochastic gradient descent: epochs of shuffled mini-batches.

use std::ops::ControlFlow;
use std::time::{Duration, Instant};

use rand::Rng;
use rand::seq::SliceRandom;

use crate::network::{Backward, Workspace};
use crate::{Cost, Dataset, Dropout, Error, Evaluation, Network, Real, Result, kernels};

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
}

impl Default for Sgd {
    /// The lecture's settings: η = 3.0, m = 10, 30 epochs, λ = 0.
    fn default() -> Self {
        Sgd {
            learning_rate: 3.0,
            mini_batch_size: 10,
            epochs: 30,
            l2_lambda: 0.0,
            monitor_training_cost: false,
            starting_epoch: 0,
            dropout: Dropout::none(),
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
    /// or λ is negative or not finite.
    pub fn validate(&self) -> Result<()> {
        if !(self.learning_rate.is_finite() && self.learning_rate > 0.0) {
            return Err(Error::InvalidConfig {
                name: "learning_rate",
                reason: format!(
                    "η = {} but it must be a finite number > 0 (the lecture uses 3.0)",
                    self.learning_rate
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
                    self.l2_lambda
                ),
            });
        }
        self.dropout.validate()
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
    /// - [`Error::InvalidConfig`] for bad settings (see [`Sgd::validate`]);
    /// - [`Error::EmptyData`] if `training` is empty;
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
        cost.check_output(net.output_activation())?;
        let dropout_rates = self.dropout.rates(net.sizes())?;
        let n = training.len();
        let m = self.mini_batch_size.min(n);
        let eta: T = nalgebra::convert(self.learning_rate);
        let lambda: T = nalgebra::convert(self.l2_lambda);
        let n_t: T = nalgebra::convert(n as f64);
        let decay = T::one() - eta * lambda / n_t;

        let mut ws = Workspace::new(net.sizes(), m);
        ws.set_dropout(net.sizes(), &dropout_rates);
        let mut order: Vec<usize> = (0..n).collect();
        // Reports grow as epochs run: "train until a Monitor stops it" is
        // `with_epochs(usize::MAX)`, and nothing is reserved for it.
        let mut reports = Vec::new();
        let Some(first) = self.starting_epoch.checked_add(1) else {
            return Ok(reports);
        };
        let mut last_good = net.clone();
        for epoch in first..=self.epochs {
            let started = Instant::now();
            order.shuffle(rng);
            let mut done = 0;
            for batch in order.chunks(m) {
                ws.draw_masks(rng, batch.len());
                sgd_step(net, &mut ws, training, batch, cost, eta, decay);
                done += batch.len();
                monitor.on_batch(done, n);
            }
            let training_time = started.elapsed();

            let diverged = |what| Error::Diverged {
                epoch,
                what,
                learning_rate: self.learning_rate,
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
            let report = EpochReport {
                epoch,
                epochs: self.epochs,
                evaluation,
                training: training_eval,
                training_time,
                evaluation_time: eval_started.elapsed(),
            };
            let flow = monitor.on_epoch(&report, net);
            reports.push(report);
            if flow.is_break() {
                break;
            }
            if epoch < self.epochs {
                last_good.clone_from(net);
            }
        }
        Ok(reports)
    }
}

/// One SGD step on the examples `batch` of `data`: gather, feedforward,
/// backpropagate, and update each layer in place (after its error has been
/// passed back, so backpropagation sees the old weights).
fn sgd_step<T: Real, C: Cost<T> + ?Sized>(
    net: &mut Network<T>,
    ws: &mut Workspace<T>,
    data: &Dataset<T>,
    batch: &[usize],
    cost: &C,
    eta: T,
    decay: T,
) {
    let m = batch.len();
    ws.gather(data, batch);
    ws.feedforward_batch(net, m);
    let step = -eta / nalgebra::convert::<f64, T>(m as f64);
    ws.backpropagate_batch(cost, &mut SgdStep { net, step, decay }, m, step);
}

/// The SGD update, applied to each layer as soon as backpropagation has
/// passed its error back (so that it saw the old weights):
/// w ← decay·w + step·Σ_t δ_t a_tᵀ and b ← b + step·Σ_t δ_t, with
/// step = −η/m and decay = 1 − ηλ/n (1 without weight decay).
struct SgdStep<'a, T: Real> {
    net: &'a mut Network<T>,
    step: T,
    decay: T,
}

impl<T: Real> Backward<T> for SgdStep<'_, T> {
    fn weights(&self, l: usize) -> &[T] {
        self.net.layer(l).0
    }

    fn layer(&mut self, l: usize, coef: &[T], a_prev: &[T], sums: &[T], m: usize) {
        let (n_in, n_out) = (self.net.sizes()[l], self.net.sizes()[l + 1]);
        let (w, b) = self.net.layer_mut(l);
        let w = kernels::MatMut::new(w, n_in, n_out);
        let a_prev = kernels::MatRef::new(&a_prev[..n_in * m], n_in, m);
        kernels::update_weights(w, self.decay, kernels::MatRef::new(coef, m, n_out), a_prev);
        for (bi, &s) in b.iter_mut().zip(sums) {
            *bi += self.step * s;
        }
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
    /// Wall time of the epoch's training: shuffle, mini-batches, updates.
    pub training_time: Duration,
    /// Wall time of the evaluations after the epoch.
    pub evaluation_time: Duration,
}
