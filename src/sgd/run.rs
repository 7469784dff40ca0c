//! A training run described by a value: [`Run`], made by [`Sgd::run`].

use std::ops::ControlFlow;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::{EpochReport, Monitor, Sgd, TrainingState};
use crate::augment::ImageAugmenter;
use crate::{Cost, Dataset, Network, Real, Result};

/// One training run: the network, the data, the cost and the randomness,
/// and what else the run uses, each set by name instead of by position.
/// Made by [`Sgd::run`]; [`Run::train`] trains.
///
/// | method | what it adds | default |
/// |---|---|---|
/// | [`evaluation`](Run::evaluation) | the validation set, evaluated after each epoch (early stopping, schedules and the best epoch read it) | none |
/// | [`state`](Run::state) | a [`TrainingState`] that carries the optimizer's state, the schedule and the best epoch into and out of the run (to go on from a [`Checkpoint`](crate::model::Checkpoint)) | a new one |
/// | [`monitor`](Run::monitor) | a [`Monitor`], told of every mini-batch and epoch | none |
/// | [`epoch_seed`](Run::epoch_seed) | each epoch shuffles and draws dropout masks with its own RNG, seeded from this seed and the epoch alone, so that a run resumed after epoch e ([`Sgd::with_starting_epoch`]) takes exactly the steps of an uninterrupted one | the run's `rng` throughout |
/// | [`augment`](Run::augment) | each epoch trains on a freshly distorted copy of the training images, made on the other core while the epoch before trains | the training data as it is |
///
/// # Examples
/// ```
/// use neuralnet::nalgebra::DMatrix;
/// use neuralnet::rand::{SeedableRng, rngs::StdRng};
/// use neuralnet::sgd::TrainingState;
/// use neuralnet::{CrossEntropy, Dataset, Init, Network, Sgd};
/// # fn main() -> Result<(), neuralnet::Error> {
/// let x = DMatrix::from_column_slice(2, 4, &[0., 0., 0., 1., 1., 0., 1., 1.]);
/// let data = Dataset::from_labels(x, &[0, 1, 1, 0], 2)?;
/// let mut rng = StdRng::seed_from_u64(3);
/// let mut net = Network::<f64>::new(&[2, 4, 2], Init::ScaledNormal, &mut rng)?;
/// let mut state = TrainingState::new();
/// let sgd = Sgd::new().with_learning_rate(2.0).with_mini_batch_size(4).with_epochs(3000);
/// let reports = sgd
///     .run(&mut net, &data, &CrossEntropy, &mut rng)
///     .evaluation(&data)
///     .state(&mut state)
///     .epoch_seed(7)
///     .train()?;
/// assert_eq!(reports.len(), 3000);
/// assert_eq!(reports.last().and_then(|r| r.evaluation).map(|e| e.correct), Some(4));
/// # Ok(())
/// # }
/// ```
#[must_use = "a Run does nothing until `train` is called"]
pub struct Run<'a, T: Real, C: ?Sized, R: ?Sized> {
    sgd: &'a Sgd,
    net: &'a mut Network<T>,
    training: &'a Dataset<T>,
    cost: &'a C,
    rng: &'a mut R,
    evaluation: Option<&'a Dataset<T>>,
    state: Option<&'a mut TrainingState<T>>,
    monitor: Option<&'a mut dyn Monitor<T>>,
    epoch_seed: Option<u64>,
    augment: Option<(&'a ImageAugmenter, u64)>,
}

impl<T: Real, C: ?Sized, R: ?Sized> std::fmt::Debug for Run<'_, T, C, R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Run")
            .field("sgd", self.sgd)
            .field("network", &self.net.sizes())
            .field("training", &self.training.len())
            .field("evaluation", &self.evaluation.map(Dataset::len))
            .field("state", &self.state.is_some())
            .field("monitor", &self.monitor.is_some())
            .field("epoch_seed", &self.epoch_seed)
            .field("augment", &self.augment.map(|(_, seed)| seed))
            .finish()
    }
}

impl Sgd {
    /// A training [`Run`] of `net` on `training` with `cost`, shuffling
    /// with `rng`; add what else it needs by name, then call
    /// [`Run::train`].
    pub fn run<'a, T, C, R>(
        &'a self,
        net: &'a mut Network<T>,
        training: &'a Dataset<T>,
        cost: &'a C,
        rng: &'a mut R,
    ) -> Run<'a, T, C, R>
    where
        T: Real,
        C: Cost<T> + ?Sized,
        R: Rng + ?Sized,
    {
        Run {
            sgd: self,
            net,
            training,
            cost,
            rng,
            evaluation: None,
            state: None,
            monitor: None,
            epoch_seed: None,
            augment: None,
        }
    }
}

impl<'a, T, C, R> Run<'a, T, C, R>
where
    T: Real,
    C: Cost<T> + ?Sized,
    R: Rng + ?Sized,
{
    /// Evaluates on `data` after each epoch: it must be the validation
    /// set, never the test set.
    pub fn evaluation(mut self, data: &'a Dataset<T>) -> Self {
        self.evaluation = Some(data);
        self
    }

    /// Carries `state` into and out of the run.
    pub fn state(mut self, state: &'a mut TrainingState<T>) -> Self {
        self.state = Some(state);
        self
    }

    /// Tells `monitor` of every mini-batch and epoch.
    pub fn monitor(mut self, monitor: &'a mut dyn Monitor<T>) -> Self {
        self.monitor = Some(monitor);
        self
    }

    /// Shuffles epoch e (and draws its dropout masks) with an RNG seeded
    /// from `seed` and e alone: `StdRng::seed_from_u64(seed ^ e·0x9E3779B97F4A7C15)`.
    pub fn epoch_seed(mut self, seed: u64) -> Self {
        self.epoch_seed = Some(seed);
        self
    }

    /// Trains each epoch e on a copy of the training images distorted by
    /// `augmenter` with [`epoch_seed`](crate::augment::epoch_seed)`(seed, e)`,
    /// prepared on a second thread while the epoch before trains. A
    /// report's `training_time` leaves out any wait for it.
    pub fn augment(mut self, augmenter: &'a ImageAugmenter, seed: u64) -> Self {
        self.augment = Some((augmenter, seed));
        self
    }

    /// Trains, from epoch [`Sgd::starting_epoch`] + 1 to [`Sgd::epochs`],
    /// and returns the reports of the epochs run. Without a
    /// [`state`](Run::state) of the caller's, a run with early stopping
    /// ends on its best epoch's weights; with one, call
    /// [`TrainingState::restore_best`] when the whole run is over.
    ///
    /// # Errors
    /// As [`Sgd::train`]; and [`Error::InvalidConfig`](crate::Error::InvalidConfig)
    /// if the augmenter's settings are invalid or its image shape does not
    /// match the inputs.
    pub fn train(self) -> Result<Vec<EpochReport>> {
        let Run {
            sgd,
            net,
            training,
            cost,
            rng,
            evaluation,
            state,
            monitor,
            epoch_seed,
            augment,
        } = self;
        let mut own_state = TrainingState::new();
        let owns_state = state.is_none();
        let state = state.unwrap_or(&mut own_state);
        let mut quiet = Quiet;
        let monitor: &mut dyn Monitor<T> = match monitor {
            Some(m) => m,
            None => &mut quiet,
        };
        let reports = if augment.is_none() && epoch_seed.is_none() {
            // The whole run in one call, shuffled by `rng` throughout.
            sgd.train_with_state(net, state, training, evaluation, cost, rng, monitor)?
        } else {
            if augment.is_some() {
                // Every check before the augmentation thread starts.
                sgd.validate()?;
                net.check_data(training)?;
            }
            let mut epochs = Epochs {
                sgd,
                net,
                state,
                evaluation,
                cost,
                monitor,
                reports: Vec::new(),
            };
            let range = epochs.range();
            // Epoch `e` on `data`, with its own RNG or the run's.
            let mut one =
                |epochs: &mut Epochs<'_, '_, T, C>, e: usize, data: &Dataset<T>| match epoch_seed {
                    Some(seed) => epochs.one(e, data, &mut epoch_rng(seed, e)),
                    None => epochs.one(e, data, &mut *rng),
                };
            match augment {
                None => {
                    for e in range {
                        if one(&mut epochs, e, training)?.is_break() {
                            break;
                        }
                    }
                }
                Some((augmenter, augmentation_seed)) => {
                    augmenter.prefetch(
                        training,
                        augmentation_seed,
                        range.clone(),
                        |prefetcher| {
                            for e in range {
                                if one(&mut epochs, e, prefetcher.epoch(e))?.is_break() {
                                    break;
                                }
                            }
                            Ok::<_, crate::Error>(())
                        },
                    )??;
                }
            }
            epochs.reports
        };
        if owns_state {
            // With early stopping, the run ends on its best epoch's weights.
            state.restore_best(net);
        }
        Ok(reports)
    }
}

/// The RNG of epoch `epoch` for a run with [`Run::epoch_seed`] `seed`.
pub(crate) fn epoch_rng(seed: u64, epoch: usize) -> StdRng {
    StdRng::seed_from_u64(seed ^ (epoch as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15))
}

/// A monitor that watches nothing.
struct Quiet;

impl<T: Real> Monitor<T> for Quiet {
    fn on_epoch(&mut self, _: &EpochReport, _: &Network<T>) -> ControlFlow<()> {
        ControlFlow::Continue(())
    }
}

/// Training one epoch at a time, each a call of
/// [`Sgd::train_with_state`] reported as an epoch of the whole run.
struct Epochs<'a, 'm, T: Real, C: ?Sized> {
    sgd: &'a Sgd,
    net: &'a mut Network<T>,
    state: &'a mut TrainingState<T>,
    evaluation: Option<&'a Dataset<T>>,
    cost: &'a C,
    monitor: &'m mut dyn Monitor<T>,
    reports: Vec<EpochReport>,
}

impl<T: Real, C: Cost<T> + ?Sized> Epochs<'_, '_, T, C> {
    /// The epochs to run.
    fn range(&self) -> std::ops::RangeInclusive<usize> {
        self.sgd.starting_epoch().saturating_add(1)..=self.sgd.epochs()
    }

    /// Epoch `epoch` on `data`; whether the run should stop.
    fn one<R: Rng + ?Sized>(
        &mut self,
        epoch: usize,
        data: &Dataset<T>,
        rng: &mut R,
    ) -> Result<ControlFlow<()>> {
        let one = self
            .sgd
            .clone()
            .with_starting_epoch(epoch - 1)
            .with_epochs(epoch);
        let mut whole = WholeRun {
            inner: &mut *self.monitor,
            epochs: self.sgd.epochs(),
            flow: ControlFlow::Continue(()),
        };
        for mut report in one.train_with_state(
            self.net,
            self.state,
            data,
            self.evaluation,
            self.cost,
            rng,
            &mut whole,
        )? {
            report.epochs = self.sgd.epochs();
            self.reports.push(report);
        }
        let stopped = whole.flow.is_break() || self.state.stopped().is_some();
        Ok(if stopped {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        })
    }
}

/// Passes a one-epoch call's reports on as epochs of the whole run, and
/// remembers whether the monitor asked to stop.
struct WholeRun<'m, T: Real> {
    inner: &'m mut dyn Monitor<T>,
    epochs: usize,
    flow: ControlFlow<()>,
}

impl<T: Real> Monitor<T> for WholeRun<'_, T> {
    fn on_batch(&mut self, done: usize, total: usize) {
        self.inner.on_batch(done, total);
    }

    fn on_epoch(&mut self, report: &EpochReport, net: &Network<T>) -> ControlFlow<()> {
        let mut report = report.clone();
        report.epochs = self.epochs;
        self.flow = self.inner.on_epoch(&report, net);
        self.flow
    }

    fn on_epoch_end(
        &mut self,
        epoch: usize,
        net: &Network<T>,
        state: &TrainingState<T>,
    ) -> ControlFlow<()> {
        let end = self.inner.on_epoch_end(epoch, net, state);
        if end.is_break() {
            self.flow = end;
        }
        end
    }
}
