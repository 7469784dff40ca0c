//! What fitting tells ([`FitReport`]) and how good a regressor's
//! predictions are ([`RegressionReport`]).

use std::fmt;
use std::time::Duration;

use crate::Result;
use crate::prep::{mean_absolute_error, mean_squared_error, r2_score};

/// How fitting went: the epochs run, the best one, the time taken, and
/// warnings to read.
///
/// A warning is not an error: the model was fitted and can predict, but
/// something about it deserves a look, above all a classifier that does
/// no better than always answering the most common class (a collapse,
/// which a high accuracy on imbalanced data can hide), or a regressor that
/// does no better than predicting the mean. [`Classifier::fit`](super::Classifier::fit)
/// and [`Regressor::fit`](super::Regressor::fit) return the report beside
/// the model, so it is in hand where the model is.
///
/// `Display` writes it for a person: one line, then one line per warning.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct FitReport {
    /// Epochs trained.
    pub epochs: usize,
    /// The most epochs the settings allowed.
    pub max_epochs: usize,
    /// The epoch with the lowest validation cost, whose weights the model
    /// kept; `None` without a validation set.
    pub best_epoch: Option<usize>,
    /// Whether early stopping ended training before `max_epochs`.
    pub stopped_early: bool,
    /// The validation cost after each epoch (the log-likelihood per row
    /// for a classifier, half the mean squared error of the standardised
    /// target for a regressor); empty without a validation set.
    pub validation_costs: Vec<f64>,
    /// The model's score on the validation rows (accuracy for a
    /// classifier, R² for a regressor), or on the training rows without
    /// a validation set.
    pub score: f64,
    /// Whether [`score`](FitReport::score) is on the validation rows
    /// (`true`) or the training rows.
    pub score_on_validation: bool,
    /// Rows trained on.
    pub training_rows: usize,
    /// Rows held out to validate on (0 without a validation set).
    pub validation_rows: usize,
    /// Wall time of the whole fit: the split, preprocessing and training.
    pub fit_time: Duration,
    /// Things to look at, each a sentence that says what to try.
    pub warnings: Vec<String>,
}

impl FitReport {
    /// The fit's wall time in seconds.
    pub fn fit_seconds(&self) -> f64 {
        self.fit_time.as_secs_f64()
    }

    /// The lowest validation cost, that of the best epoch.
    pub fn best_validation_cost(&self) -> Option<f64> {
        self.best_epoch
            .and_then(|e| self.validation_costs.get(e.checked_sub(1)?))
            .copied()
    }
}

impl fmt::Display for FitReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} epochs of at most {} in {:.2} s on {} rows",
            self.epochs,
            self.max_epochs,
            self.fit_seconds(),
            self.training_rows
        )?;
        if let Some(best) = self.best_epoch {
            write!(
                f,
                "; best epoch {best} of the validation cost on {} rows{}",
                self.validation_rows,
                if self.stopped_early {
                    " (stopped early)"
                } else {
                    ""
                }
            )?;
        }
        for w in &self.warnings {
            write!(f, "\nwarning: {w}")?;
        }
        Ok(())
    }
}

/// How close a regressor's predictions are to the true values, in the
/// target's units: MSE, RMSE, MAE and R² (see [`prep::r2_score`](crate::prep::r2_score)
/// and its neighbours for the definitions).
///
/// # Examples
/// ```
/// use neuralnet::estimator::RegressionReport;
/// let r = RegressionReport::new(&[1.0, 2.0, 3.0], &[1.0, 2.0, 4.0])?;
/// assert_eq!((r.mae, r.mse), (1.0 / 3.0, 1.0 / 3.0));
/// assert_eq!(r.r2, 0.5);
/// # Ok::<(), neuralnet::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct RegressionReport {
    /// The coefficient of determination R²: 1 for perfect predictions, 0
    /// for always predicting the mean.
    pub r2: f64,
    /// The mean absolute error (1/n) Σ |yᵢ − ŷᵢ|.
    pub mae: f64,
    /// The root mean squared error √MSE.
    pub rmse: f64,
    /// The mean squared error (1/n) Σ (yᵢ − ŷᵢ)².
    pub mse: f64,
}

impl RegressionReport {
    /// The metrics of `predicted` against `truth`.
    ///
    /// # Errors
    /// [`Error::PredictionCount`](crate::Error::PredictionCount) if the
    /// lists differ in length; [`Error::EmptyData`](crate::Error::EmptyData)
    /// if they are empty.
    pub fn new(truth: &[f64], predicted: &[f64]) -> Result<RegressionReport> {
        let mse = mean_squared_error(truth, predicted)?;
        Ok(RegressionReport {
            r2: r2_score(truth, predicted)?,
            mae: mean_absolute_error(truth, predicted)?,
            rmse: mse.sqrt(),
            mse,
        })
    }
}

impl fmt::Display for RegressionReport {
    /// `R² 0.9512  MAE 1.204  RMSE 1.733  MSE 3.003` (four decimals for
    /// R², four significant digits otherwise).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "R² {:.4}  MAE {}  RMSE {}  MSE {}",
            self.r2,
            Significant(self.mae),
            Significant(self.rmse),
            Significant(self.mse)
        )
    }
}

/// A number to four significant digits.
struct Significant(f64);

impl fmt::Display for Significant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let x = self.0;
        if x == 0.0 || !x.is_finite() {
            return write!(f, "{x}");
        }
        let digits = 3 - x.abs().log10().floor() as i32;
        if (0..=12).contains(&digits) {
            write!(f, "{x:.*}", digits as usize)
        } else if digits < 0 && x.abs() < 1e15 {
            write!(f, "{x:.0}")
        } else {
            write!(f, "{x:.3e}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn significant_digits() {
        let s = |x: f64| Significant(x).to_string();
        assert_eq!(s(1.23456), "1.235");
        assert_eq!(s(0.0123456), "0.01235");
        assert_eq!(s(12345.6), "12346");
        assert_eq!(s(0.0), "0");
        assert_eq!(s(1e-20), "1.000e-20");
    }

    #[test]
    fn best_validation_cost_is_that_of_the_best_epoch() {
        let report = FitReport {
            epochs: 3,
            max_epochs: 10,
            best_epoch: Some(2),
            stopped_early: false,
            validation_costs: vec![0.5, 0.25, 0.3],
            score: 0.9,
            score_on_validation: true,
            training_rows: 90,
            validation_rows: 10,
            fit_time: Duration::from_millis(20),
            warnings: vec!["look".into()],
        };
        assert_eq!(report.best_validation_cost(), Some(0.25));
        let text = report.to_string();
        assert!(text.starts_with("3 epochs of at most 10 in 0.02 s on 90 rows; best epoch 2"));
        assert!(text.ends_with("\nwarning: look"), "{text}");
    }
}
