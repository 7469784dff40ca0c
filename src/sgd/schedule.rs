//! Learning-rate schedules: how η changes from epoch to epoch.

use crate::{Error, Result};

/// How the learning rate η changes over the epochs (Nielsen, chapter 3,
/// "variable learning rate schedules"). η₀ is
/// [`Sgd::learning_rate`](crate::Sgd::learning_rate); epochs count from 1,
/// including those before
/// [`Sgd::with_starting_epoch`](crate::Sgd::with_starting_epoch), so that a
/// resumed run goes on where it was.
///
/// The schedules that read accuracy ([`Schedule::NoImprovementHalving`])
/// read it on the `evaluation` data passed to training: that must be the
/// *validation* set, never the test set, or the test set would choose the
/// settings and its accuracy would no longer measure generalisation.
///
/// Each [`EpochReport`](crate::EpochReport) records the η its epoch used.
///
/// # Examples
/// ```
/// use neuralnet::sgd::Schedule;
/// let step = Schedule::Step { every: 10, factor: 0.1 };
/// assert_eq!(step.rate(0.5, 1), 0.5);
/// assert_eq!(step.rate(0.5, 11), 0.5 * 0.1);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Default)]
#[non_exhaustive]
pub enum Schedule {
    /// η = η₀ in every epoch (the lecture's SGD).
    #[default]
    Constant,
    /// Step decay: η = η₀·factor^⌊(epoch − 1)/every⌋, that is η₀ for epochs
    /// 1 to `every`, η₀·factor for the next `every` epochs, and so on.
    Step {
        /// Epochs between two changes (≥ 1).
        every: usize,
        /// The factor applied at each change (> 0; 0.1 or 0.5, say).
        factor: f64,
    },
    /// Cosine annealing from η₀ to `min_rate` over `total_epochs`:
    /// η = η_min + (η₀ − η_min)·(1 + cos(π·(epoch − 1)/total_epochs))/2,
    /// so epoch 1 uses η₀ and the rate falls smoothly towards η_min, which
    /// every epoch after `total_epochs` uses.
    Cosine {
        /// The epochs over which η falls (≥ 1; usually the run's length).
        total_epochs: usize,
        /// The final rate η_min (0 ≤ η_min ≤ η₀).
        min_rate: f64,
    },
    /// Nielsen's recipe: halve η whenever the accuracy on the evaluation
    /// (validation) data has not improved for `patience` epochs in a row,
    /// and stop training when η has dropped to η₀·`min_fraction` (Nielsen:
    /// 1/128, so η₀/64 is the last rate trained with). The count of epochs
    /// without improvement restarts after each halving and after each
    /// improvement. Needs evaluation data. See [`Schedule::nielsen`].
    NoImprovementHalving {
        /// Epochs without improvement before η is halved (≥ 1; Nielsen: 10).
        patience: usize,
        /// Training stops once η ≤ η₀·min_fraction (in (0, 1); Nielsen: 1/128).
        min_fraction: f64,
    },
}

impl Schedule {
    /// Nielsen's schedule: halve η after 10 epochs without improvement of
    /// the validation accuracy, stop when η is 1/128 of its start.
    pub fn nielsen() -> Self {
        Schedule::NoImprovementHalving {
            patience: 10,
            min_fraction: 1.0 / 128.0,
        }
    }

    /// The learning rate of `epoch` (from 1) for a schedule that depends on
    /// the epoch only, with initial rate `eta0`. For
    /// [`Schedule::NoImprovementHalving`], whose rate depends on the
    /// accuracies seen, this is η₀ (training tracks the halvings).
    pub fn rate(&self, eta0: f64, epoch: usize) -> f64 {
        let e = epoch.saturating_sub(1);
        match *self {
            Schedule::Constant | Schedule::NoImprovementHalving { .. } => eta0,
            Schedule::Step { every, factor } => {
                let changes = e / every.max(1);
                eta0 * factor.powi(i32::try_from(changes).unwrap_or(i32::MAX))
            }
            Schedule::Cosine {
                total_epochs,
                min_rate,
            } => {
                let t = e.min(total_epochs) as f64 / total_epochs.max(1) as f64;
                min_rate + (eta0 - min_rate) * (1.0 + (std::f64::consts::PI * t).cos()) / 2.0
            }
        }
    }

    /// Whether the schedule reads the evaluation data's accuracy.
    pub fn needs_evaluation(&self) -> bool {
        matches!(self, Schedule::NoImprovementHalving { .. })
    }

    /// Checks the schedule's numbers against the initial rate η₀.
    pub(super) fn validate(&self, eta0: f64) -> Result<()> {
        let invalid = |reason: String| {
            Err(Error::InvalidConfig {
                name: "schedule",
                reason,
            })
        };
        match *self {
            Schedule::Constant => Ok(()),
            Schedule::Step { every, factor } => {
                if every == 0 {
                    invalid("a step schedule needs `every` ≥ 1 epochs between changes".into())
                } else if !(factor.is_finite() && factor > 0.0) {
                    invalid(format!(
                        "a step schedule's factor is {factor} but it must be a finite number > 0 (0.1 or 0.5, say)"
                    ))
                } else {
                    Ok(())
                }
            }
            Schedule::Cosine {
                total_epochs,
                min_rate,
            } => {
                if total_epochs == 0 {
                    invalid("a cosine schedule needs `total_epochs` ≥ 1".into())
                } else if !(min_rate.is_finite() && (0.0..=eta0).contains(&min_rate)) {
                    invalid(format!(
                        "a cosine schedule's min_rate is {min_rate} but it must lie between 0 and η = {eta0}"
                    ))
                } else {
                    Ok(())
                }
            }
            Schedule::NoImprovementHalving {
                patience,
                min_fraction,
            } => {
                if patience == 0 {
                    invalid(
                        "the no-improvement schedule needs a patience ≥ 1 epochs (Nielsen: 10)"
                            .into(),
                    )
                } else if !(min_fraction.is_finite() && min_fraction > 0.0 && min_fraction < 1.0) {
                    invalid(format!(
                        "the no-improvement schedule's min_fraction is {min_fraction} but it must lie strictly between 0 and 1 (Nielsen: 1/128)"
                    ))
                } else {
                    Ok(())
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn step_and_cosine_rates() {
        let step = Schedule::Step {
            every: 2,
            factor: 0.5,
        };
        let rates: Vec<f64> = (1..=6).map(|e| step.rate(1.0, e)).collect();
        assert_eq!(rates, [1.0, 1.0, 0.5, 0.5, 0.25, 0.25]);
        let cosine = Schedule::Cosine {
            total_epochs: 4,
            min_rate: 0.0,
        };
        let rates: Vec<f64> = (1..=6).map(|e| cosine.rate(2.0, e)).collect();
        let expected = [2.0, 1.0 + 0.5f64.sqrt(), 1.0, 1.0 - 0.5f64.sqrt(), 0.0, 0.0];
        for (r, e) in rates.iter().zip(expected) {
            assert!((r - e).abs() < 1e-12, "{rates:?}");
        }
        assert_eq!(Schedule::Constant.rate(0.3, 100), 0.3);
    }
}
