//! What training carries from one epoch to the next besides the network:
//! momentum's velocities, the schedule's learning rate, the best epoch so
//! far (early stopping); and [`BestNetwork`], the "keep the best" helper.

use crate::optim::{Optimizer, OptimizerState};
use crate::{EpochReport, Error, Evaluation, Network, Real, Result};

use super::Selection;

/// Why training stopped before its last epoch (see
/// [`TrainingState::stopped`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum StopReason {
    /// Early stopping: the evaluation accuracy had not improved for the
    /// configured patience (see [`Sgd::with_early_stopping`](crate::Sgd::with_early_stopping)).
    NoImprovement,
    /// [`Schedule::NoImprovementHalving`](crate::sgd::Schedule::NoImprovementHalving)
    /// halved η down to its floor η₀·min_fraction.
    LearningRateFloor,
}

/// The state of a training run between epochs, besides the network itself:
/// the optimizer's state (momentum's velocities, Adam's moments and step
/// count), the learning rate of
/// [`Schedule::NoImprovementHalving`](crate::sgd::Schedule::NoImprovementHalving),
/// the best epoch on the evaluation data and (with early stopping) its
/// weights, and whether training has stopped.
///
/// [`Sgd::train`](crate::Sgd::train) keeps one for the whole run. To run
/// training in several calls (one epoch at a time, say, as the `mnist`
/// example does to checkpoint) and still have momentum and the schedules
/// go on across the calls, create one with [`TrainingState::new`] and pass
/// it to every call of [`Sgd::train_with_state`](crate::Sgd::train_with_state).
///
/// The optimizer's buffers are allocated once, by the first call that
/// needs them. A checkpoint ([`model::Checkpoint`](crate::model::Checkpoint))
/// saves all of it with the network, in one file.
#[derive(Debug, Clone)]
pub struct TrainingState<T: Real> {
    /// The optimizer's state (`None` until the first call).
    optimizer: Option<OptimizerState<T>>,
    /// η for the next epoch under the halving schedule (`None`: η₀).
    learning_rate: Option<f64>,
    /// The best epoch and its evaluation so far.
    best: Option<(usize, Evaluation)>,
    /// The best epoch's network, kept with early stopping on.
    kept: Option<Network<T>>,
    /// Epochs since the best one.
    since_best: usize,
    /// Epochs since the best one or the last halving, whichever is later.
    since_change: usize,
    stopped: Option<StopReason>,
}

impl<T: Real> Default for TrainingState<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Real> TrainingState<T> {
    /// The state before the first epoch: no velocity (v = 0), η = η₀, no
    /// best epoch yet.
    pub fn new() -> Self {
        TrainingState {
            optimizer: None,
            learning_rate: None,
            best: None,
            kept: None,
            since_best: 0,
            since_change: 0,
            stopped: None,
        }
    }

    /// The optimizer's state (momentum's velocities, Adam's moments and
    /// step count), or `None` before the first epoch.
    pub fn optimizer_state(&self) -> Option<&OptimizerState<T>> {
        self.optimizer.as_ref()
    }

    /// Sets the optimizer's state (to go on from another run's).
    pub fn with_optimizer_state(mut self, state: OptimizerState<T>) -> Self {
        self.optimizer = Some(state);
        self
    }

    /// The learning rate set by
    /// [`Schedule::NoImprovementHalving`](crate::sgd::Schedule::NoImprovementHalving)
    /// for the next epoch, or `None` before it first halved η.
    pub fn halved_learning_rate(&self) -> Option<f64> {
        self.learning_rate
    }

    /// The epoch with the best accuracy on the evaluation data so far (the
    /// first of equals), if any epoch was evaluated.
    pub fn best_epoch(&self) -> Option<usize> {
        self.best.map(|(epoch, _)| epoch)
    }

    /// The best epoch's evaluation.
    pub fn best_evaluation(&self) -> Option<Evaluation> {
        self.best.map(|(_, e)| e)
    }

    /// The best epoch's network, kept with early stopping on.
    pub fn best_network(&self) -> Option<&Network<T>> {
        self.kept.as_ref()
    }

    /// Why training stopped early, if it did; later calls of
    /// [`Sgd::train_with_state`](crate::Sgd::train_with_state) with this
    /// state then train nothing.
    pub fn stopped(&self) -> Option<StopReason> {
        self.stopped
    }

    /// Copies the best epoch's weights into `net`, if early stopping kept
    /// them; returns whether it did.
    pub fn restore_best(&self, net: &mut Network<T>) -> bool {
        match &self.kept {
            Some(best) => {
                net.clone_from(best);
                true
            }
            None => false,
        }
    }

    /// The optimizer's state for `net` and `optimizer`, its buffers
    /// allocated here the first time.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] if the state was used with a network of
    /// other layers, or with another optimizer;
    /// [`Error::Allocation`] if the buffers do not fit in memory.
    pub(super) fn optimizer_for(
        &mut self,
        net: &Network<T>,
        optimizer: Optimizer,
    ) -> Result<&mut OptimizerState<T>> {
        self.check_sizes(net)?;
        let state = self
            .optimizer
            .get_or_insert_with(|| OptimizerState::new(optimizer));
        if state.optimizer().name() != optimizer.name() {
            return Err(Error::InvalidConfig {
                name: "training state",
                reason: format!(
                    "it holds the state of the {} optimizer but training uses {};                      use a new TrainingState to change optimizers",
                    state.optimizer(),
                    optimizer
                ),
            });
        }
        // The settings (μ, β, ε, d) may change between calls; the buffers stay.
        *state = OptimizerState::from_parts(
            optimizer,
            state.steps(),
            state.first().cloned(),
            state.second().cloned(),
        );
        state.prepare(net)?;
        Ok(state)
    }

    /// The optimizer's state, if any.
    pub(super) fn optimizer_mut(&mut self) -> Option<&mut OptimizerState<T>> {
        self.optimizer.as_mut()
    }

    /// Checks that what the state holds fits `net`.
    pub(super) fn check_sizes(&self, net: &Network<T>) -> Result<()> {
        if let Some(other) = self
            .kept
            .iter()
            .map(Network::sizes)
            .find(|s| *s != net.sizes())
        {
            return Err(Error::InvalidConfig {
                name: "training state",
                reason: format!(
                    "it holds a network of layer sizes {other:?} but this network has {:?}; \
                     use a new TrainingState for another network",
                    net.sizes()
                ),
            });
        }
        let layout = net.params().layout();
        let held = self.optimizer.iter().flat_map(|o| [o.first(), o.second()]);
        if held.flatten().any(|p| p.layout() != layout) {
            return Err(Error::InvalidConfig {
                name: "training state",
                reason: format!(
                    "it holds an optimizer's state for a network of other layers than {:?}; \
                     use a new TrainingState for another network",
                    net.sizes()
                ),
            });
        }
        Ok(())
    }

    /// The learning rate of the halving schedule for the next epoch.
    pub(super) fn current_rate(&self, eta0: f64) -> f64 {
        self.learning_rate.unwrap_or(eta0)
    }

    /// Records an epoch's evaluation; keeps the network if it is the best so
    /// far and `keep` is on. Returns whether it improved on the best.
    pub(super) fn record(
        &mut self,
        epoch: usize,
        evaluation: Evaluation,
        net: &Network<T>,
        keep: bool,
        selection: Selection,
        min_delta: f64,
    ) -> bool {
        let improved = self
            .best
            .is_none_or(|(_, b)| selection.improves(&evaluation, &b, min_delta));
        if improved {
            self.best = Some((epoch, evaluation));
            self.since_best = 0;
            self.since_change = 0;
            if keep {
                match &mut self.kept {
                    Some(kept) => kept.clone_from(net),
                    None => self.kept = Some(net.clone()),
                }
            }
        } else {
            self.since_best += 1;
            self.since_change += 1;
        }
        improved
    }

    /// Early stopping: stops once `patience` epochs passed without
    /// improvement. Returns whether it stopped.
    pub(super) fn check_early_stop(&mut self, patience: usize) -> bool {
        if self.since_best >= patience {
            self.stopped = Some(StopReason::NoImprovement);
        }
        self.stopped.is_some()
    }

    /// Nielsen's halving: after `patience` epochs without improvement (or
    /// since the last halving) η ← η/2; stops once η ≤ η₀·min_fraction.
    pub(super) fn check_halving(&mut self, eta0: f64, patience: usize, min_fraction: f64) {
        if self.since_change >= patience {
            let eta = self.current_rate(eta0) / 2.0;
            self.learning_rate = Some(eta);
            self.since_change = 0;
            if eta <= eta0 * min_fraction {
                self.stopped = Some(StopReason::LearningRateFloor);
            }
        }
    }
}

/// The parts of a [`TrainingState`] that a checkpoint saves besides the
/// optimizer's state.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Counters {
    pub(crate) learning_rate: Option<f64>,
    pub(crate) best: Option<(usize, Evaluation)>,
    pub(crate) since_best: usize,
    pub(crate) since_change: usize,
    pub(crate) stopped: Option<StopReason>,
}

impl<T: Real> TrainingState<T> {
    /// The schedule's η, the best epoch, the patience counters and the
    /// stop reason.
    pub(crate) fn counters(&self) -> Counters {
        Counters {
            learning_rate: self.learning_rate,
            best: self.best,
            since_best: self.since_best,
            since_change: self.since_change,
            stopped: self.stopped,
        }
    }

    /// A state from a checkpoint's parts.
    pub(crate) fn from_parts(
        counters: Counters,
        optimizer: Option<OptimizerState<T>>,
        kept: Option<Network<T>>,
    ) -> Self {
        TrainingState {
            optimizer,
            learning_rate: counters.learning_rate,
            best: counters.best,
            kept,
            since_best: counters.since_best,
            since_change: counters.since_change,
            stopped: counters.stopped,
        }
    }
}

/// Keeps the network of the best epoch seen on the evaluation data: offer
/// it every epoch's report and network (from the callback of
/// [`Sgd::train`](crate::Sgd::train) or a [`Monitor`](crate::Monitor)), and
/// it keeps a copy whenever the evaluation accuracy beats the best so far.
///
/// Early stopping ([`Sgd::with_early_stopping`](crate::Sgd::with_early_stopping))
/// does this for you; this is for keeping the best network without
/// stopping. The copy reuses its storage, so offering allocates only the
/// first time.
///
/// # Examples
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use std::ops::ControlFlow;
/// use neuralnet::{CrossEntropy, Dataset, Init, Network, Sgd};
/// use neuralnet::sgd::BestNetwork;
/// use neuralnet::nalgebra::DMatrix;
/// use neuralnet::rand::{SeedableRng, rngs::StdRng};
///
/// let mut rng = StdRng::seed_from_u64(1);
/// let x = DMatrix::from_row_slice(2, 4, &[0.0, 0.0, 1.0, 1.0, 0.0, 1.0, 0.0, 1.0]);
/// let data = Dataset::from_labels(x, &[0, 1, 1, 0], 2)?;
/// let mut net = Network::<f64>::new(&[2, 4, 2], Init::ScaledNormal, &mut rng)?;
/// let mut best = BestNetwork::new();
/// Sgd::new().with_epochs(20).with_mini_batch_size(4).train(
///     &mut net, &data, Some(&data), &CrossEntropy, &mut rng,
///     |report, net| { best.offer(report, net); ControlFlow::Continue(()) },
/// )?;
/// assert!(best.epoch().is_some());
/// if let Some(best_net) = best.network() {
///     net = best_net.clone();
/// }
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct BestNetwork<T: Real> {
    best: Option<(usize, Evaluation, Network<T>)>,
}

impl<T: Real> Default for BestNetwork<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Real> BestNetwork<T> {
    /// Nothing kept yet.
    pub fn new() -> Self {
        BestNetwork { best: None }
    }

    /// Keeps a copy of `net` if `report`'s evaluation accuracy is strictly
    /// better than the best so far (or is the first); returns whether it
    /// did. Reports without evaluation data are ignored.
    pub fn offer(&mut self, report: &EpochReport, net: &Network<T>) -> bool {
        let Some(e) = report.evaluation else {
            return false;
        };
        match &mut self.best {
            Some((_, best, _)) if !Selection::Accuracy.improves(&e, best, 0.0) => false,
            Some((epoch, best, kept)) => {
                (*epoch, *best) = (report.epoch, e);
                kept.clone_from(net);
                true
            }
            None => {
                self.best = Some((report.epoch, e, net.clone()));
                true
            }
        }
    }

    /// The epoch of the network kept.
    pub fn epoch(&self) -> Option<usize> {
        self.best.as_ref().map(|b| b.0)
    }

    /// The evaluation of the network kept.
    pub fn evaluation(&self) -> Option<Evaluation> {
        self.best.as_ref().map(|b| b.1)
    }

    /// The network kept.
    pub fn network(&self) -> Option<&Network<T>> {
        self.best.as_ref().map(|b| &b.2)
    }

    /// The network kept, by value.
    pub fn into_network(self) -> Option<Network<T>> {
        self.best.map(|b| b.2)
    }
}
