//! Which epoch is best: what early stopping, the no-improvement schedule
//! and the kept best network compare.

use crate::Evaluation;

/// The number on the evaluation data that says one epoch beats another, for
/// early stopping ([`Sgd::with_early_stopping`](crate::Sgd::with_early_stopping)),
/// [`Schedule::NoImprovementHalving`](crate::sgd::Schedule::NoImprovementHalving)
/// and the best epoch of each [`EpochReport`](crate::EpochReport). With
/// [`Sgd::with_min_delta`](crate::Sgd::with_min_delta) = δ, an epoch
/// improves on the best only by more than δ.
///
/// # Examples
/// ```
/// use neuralnet::Sgd;
/// use neuralnet::sgd::Selection;
/// // Regression: stop when the validation cost has not fallen by 10⁻⁴ in 5 epochs.
/// let sgd = Sgd::new().with_early_stopping(5).with_selection(Selection::Cost).with_min_delta(1e-4);
/// assert_eq!(sgd.selection(), Selection::Cost);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Selection {
    /// The fraction classified correctly, higher is better (δ is a
    /// fraction: 0.001 is a tenth of a point). Nielsen's choice for MNIST.
    #[default]
    Accuracy,
    /// The mean cost (1/n) Σ_x C_x, lower is better: the choice for
    /// regression, where no answer is "correct", and a smoother signal
    /// than accuracy on small validation sets.
    Cost,
}

crate::names::named_enum! {
    Selection, "selection", "a selection metric",
    Accuracy => "accuracy",
    Cost => "cost",
}

impl Selection {
    /// Whether evaluation `new` beats `best` by more than `min_delta`.
    pub(crate) fn improves(self, new: &Evaluation, best: &Evaluation, min_delta: f64) -> bool {
        match self {
            Selection::Accuracy if min_delta == 0.0 => {
                // new.correct / new.total > best.correct / best.total, in
                // integers (exact, whatever the sizes).
                (new.correct as u128) * (best.total as u128)
                    > (best.correct as u128) * (new.total as u128)
            }
            Selection::Accuracy => new.accuracy() > best.accuracy() + min_delta,
            Selection::Cost => new.cost < best.cost - min_delta,
        }
    }
}
