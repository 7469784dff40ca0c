//! How good predictions are: accuracy and a per-class report for
//! classification; MSE, RMSE, MAE and R² for regression.
//!
//! The definitions are scikit-learn's (`accuracy_score`,
//! `classification_report`, `mean_squared_error`, `mean_absolute_error`,
//! `r2_score`), and `tests/suite/prep.rs` checks them against its values.

use std::fmt;

use crate::{Error, Result};

/// Checks that there is one prediction per true value, and at least one.
fn check_lengths(truth: usize, predicted: usize) -> Result<()> {
    if truth != predicted {
        return Err(Error::PredictionCount { truth, predicted });
    }
    if truth == 0 {
        return Err(Error::EmptyData {
            what: "list of true values",
        });
    }
    Ok(())
}

/// The fraction of examples whose predicted class is the true one.
///
/// # Examples
/// ```
/// use neuralnet::prep::accuracy;
/// assert_eq!(accuracy(&[0, 1, 2, 1], &[0, 1, 1, 1])?, 0.75);
/// # Ok::<(), neuralnet::Error>(())
/// ```
///
/// # Errors
/// [`Error::PredictionCount`] if the lists differ in length;
/// [`Error::EmptyData`] if they are empty.
pub fn accuracy(truth: &[usize], predicted: &[usize]) -> Result<f64> {
    check_lengths(truth.len(), predicted.len())?;
    let correct = truth.iter().zip(predicted).filter(|(t, p)| t == p).count();
    Ok(correct as f64 / truth.len() as f64)
}

/// Precision, recall, F1 and support of one class (or their average).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ClassMetrics {
    /// Precision: of the examples predicted to be of the class, the
    /// fraction that are, tp / (tp + fp) (0 when none is predicted).
    pub precision: f64,
    /// Recall: of the examples of the class, the fraction predicted to be,
    /// tp / (tp + fn) (0 when the class has no example).
    pub recall: f64,
    /// F1, the harmonic mean of precision and recall:
    /// 2 tp / (2 tp + fp + fn) (0 when both are 0).
    pub f1: f64,
    /// The number of examples of the class (for an average: of all classes).
    pub support: usize,
}

/// Precision, recall and F1 of each class, with their macro average (the
/// plain mean over classes) and weighted average (weighted by support),
/// and the accuracy: scikit-learn's `classification_report`.
///
/// Its `Display` is scikit-learn's table, two decimals (as many as asked
/// for with `{:.4}`); the example's:
/// ```text
///               precision    recall  f1-score   support
///
///          cat       1.00      0.67      0.80         3
///          dog       0.50      1.00      0.67         2
///          fox       0.00      0.00      0.00         1
///
///     accuracy                           0.67         6
///    macro avg       0.50      0.56      0.49         6
/// weighted avg       0.67      0.67      0.62         6
/// ```
///
/// # Examples
/// ```
/// use neuralnet::prep::ClassificationReport;
/// let truth = [0, 0, 0, 1, 1, 2];
/// let predicted = [0, 0, 1, 1, 1, 1];
/// let report = ClassificationReport::new(&truth, &predicted, &["cat", "dog", "fox"])?;
/// assert_eq!(report.class(1).unwrap().precision, 0.5);
/// assert!((report.macro_avg().f1 - (0.8 + 2.0 / 3.0 + 0.0) / 3.0).abs() < 1e-12);
/// let table = report.to_string();
/// let lines: Vec<&str> = table.lines().collect();
/// assert_eq!(lines[0], "              precision    recall  f1-score   support");
/// assert_eq!(lines[2], "         cat       1.00      0.67      0.80         3");
/// assert_eq!(lines[6], "    accuracy                           0.67         6");
/// assert_eq!(lines[8], "weighted avg       0.67      0.67      0.62         6");
/// # Ok::<(), neuralnet::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct ClassificationReport {
    names: Vec<String>,
    classes: Vec<ClassMetrics>,
    accuracy: f64,
    macro_avg: ClassMetrics,
    weighted_avg: ClassMetrics,
}

impl ClassificationReport {
    /// The report for true and predicted class indices (0..k), with a name
    /// for each of the k classes (as
    /// [`LabelEncoder::classes`](super::LabelEncoder::classes) gives them).
    /// Every class is reported, even one absent from both lists.
    ///
    /// # Errors
    /// [`Error::PredictionCount`] if the lists differ in length;
    /// [`Error::EmptyData`] if they are empty; [`Error::InvalidConfig`]
    /// for a class index of k or more.
    pub fn new<S: AsRef<str>>(
        truth: &[usize],
        predicted: &[usize],
        class_names: &[S],
    ) -> Result<ClassificationReport> {
        check_lengths(truth.len(), predicted.len())?;
        let k = class_names.len();
        if let Some(&c) = truth.iter().chain(predicted).find(|&&c| c >= k) {
            return Err(Error::InvalidConfig {
                name: "class",
                reason: format!(
                    "class {c} in a report of {k} classes; give a name for every class"
                ),
            });
        }
        // tp, fp, fn per class.
        let mut counts = vec![(0usize, 0usize, 0usize); k];
        for (&t, &p) in truth.iter().zip(predicted) {
            if t == p {
                counts[t].0 += 1;
            } else {
                counts[p].1 += 1;
                counts[t].2 += 1;
            }
        }
        let ratio = |a: usize, b: usize| if b == 0 { 0.0 } else { a as f64 / b as f64 };
        let classes: Vec<ClassMetrics> = counts
            .iter()
            .map(|&(tp, fp, fn_)| ClassMetrics {
                precision: ratio(tp, tp + fp),
                recall: ratio(tp, tp + fn_),
                f1: ratio(2 * tp, 2 * tp + fp + fn_),
                support: tp + fn_,
            })
            .collect();
        let n = truth.len();
        let average = |weight: &dyn Fn(&ClassMetrics) -> f64| {
            let total: f64 = classes.iter().map(weight).sum();
            let mean = |f: fn(&ClassMetrics) -> f64| {
                if total == 0.0 {
                    0.0
                } else {
                    classes.iter().map(|c| weight(c) * f(c)).sum::<f64>() / total
                }
            };
            ClassMetrics {
                precision: mean(|c| c.precision),
                recall: mean(|c| c.recall),
                f1: mean(|c| c.f1),
                support: n,
            }
        };
        let macro_avg = average(&|_| 1.0);
        let weighted_avg = average(&|c| c.support as f64);
        Ok(ClassificationReport {
            names: class_names.iter().map(|s| s.as_ref().to_owned()).collect(),
            accuracy: accuracy(truth, predicted)?,
            classes,
            macro_avg,
            weighted_avg,
        })
    }

    /// The metrics of class `class` (from 0).
    pub fn class(&self, class: usize) -> Option<&ClassMetrics> {
        self.classes.get(class)
    }

    /// The metrics of every class, in order.
    pub fn classes(&self) -> &[ClassMetrics] {
        &self.classes
    }

    /// The classes' names.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// The fraction of examples classified correctly.
    pub fn accuracy(&self) -> f64 {
        self.accuracy
    }

    /// The plain mean of the classes' metrics (support: all examples).
    pub fn macro_avg(&self) -> ClassMetrics {
        self.macro_avg
    }

    /// The mean of the classes' metrics weighted by their support.
    pub fn weighted_avg(&self) -> ClassMetrics {
        self.weighted_avg
    }
}

impl fmt::Display for ClassificationReport {
    /// scikit-learn's layout: names right-aligned to the longest (at least
    /// `weighted avg`), columns 9 wide, two decimals (more with `{:.4}`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let digits = f.precision().unwrap_or(2);
        let width = self
            .names
            .iter()
            .map(|n| n.chars().count())
            .max()
            .unwrap_or(0)
            .max("weighted avg".len());
        writeln!(
            f,
            "{:>width$}  {:>9} {:>9} {:>9} {:>9}\n",
            "", "precision", "recall", "f1-score", "support"
        )?;
        let row = |f: &mut fmt::Formatter<'_>, name: &str, m: &ClassMetrics| {
            writeln!(
                f,
                "{name:>width$}  {:>9.digits$} {:>9.digits$} {:>9.digits$} {:>9}",
                m.precision, m.recall, m.f1, m.support
            )
        };
        for (name, m) in self.names.iter().zip(&self.classes) {
            row(f, name, m)?;
        }
        writeln!(f)?;
        writeln!(
            f,
            "{:>width$}  {:>9} {:>9} {:>9.digits$} {:>9}",
            "accuracy", "", "", self.accuracy, self.macro_avg.support
        )?;
        row(f, "macro avg", &self.macro_avg)?;
        row(f, "weighted avg", &self.weighted_avg)
    }
}

/// The mean squared error (1/n) Σ (yᵢ − ŷᵢ)².
///
/// # Examples
/// ```
/// use neuralnet::prep::{mean_squared_error, root_mean_squared_error};
/// assert_eq!(mean_squared_error(&[1.0, 2.0], &[1.0, 4.0])?, 2.0);
/// assert_eq!(root_mean_squared_error(&[0.0, 0.0], &[3.0, 3.0])?, 3.0);
/// # Ok::<(), neuralnet::Error>(())
/// ```
///
/// # Errors
/// [`Error::PredictionCount`] if the lists differ in length;
/// [`Error::EmptyData`] if they are empty. (NaN in, NaN out.)
pub fn mean_squared_error(truth: &[f64], predicted: &[f64]) -> Result<f64> {
    check_lengths(truth.len(), predicted.len())?;
    let sum: f64 = truth
        .iter()
        .zip(predicted)
        .map(|(y, p)| (y - p).powi(2))
        .sum();
    Ok(sum / truth.len() as f64)
}

/// The root mean squared error √MSE, in the target's units.
///
/// # Errors
/// As [`mean_squared_error`].
pub fn root_mean_squared_error(truth: &[f64], predicted: &[f64]) -> Result<f64> {
    Ok(mean_squared_error(truth, predicted)?.sqrt())
}

/// The mean absolute error (1/n) Σ |yᵢ − ŷᵢ|.
///
/// # Examples
/// ```
/// use neuralnet::prep::mean_absolute_error;
/// assert_eq!(mean_absolute_error(&[1.0, 2.0], &[2.0, 0.0])?, 1.5);
/// # Ok::<(), neuralnet::Error>(())
/// ```
///
/// # Errors
/// As [`mean_squared_error`].
pub fn mean_absolute_error(truth: &[f64], predicted: &[f64]) -> Result<f64> {
    check_lengths(truth.len(), predicted.len())?;
    let sum: f64 = truth
        .iter()
        .zip(predicted)
        .map(|(y, p)| (y - p).abs())
        .sum();
    Ok(sum / truth.len() as f64)
}

/// The coefficient of determination R² = 1 − Σ (yᵢ − ŷᵢ)² / Σ (yᵢ − ȳ)²:
/// 1 for perfect predictions, 0 for always predicting the mean ȳ,
/// negative for worse.
///
/// When the true values are all equal (Σ (yᵢ − ȳ)² = 0), R² is 1 for
/// perfect predictions and 0 otherwise (scikit-learn's
/// `force_finite=True`).
///
/// # Examples
/// ```
/// use neuralnet::prep::r2_score;
/// assert_eq!(r2_score(&[1.0, 2.0, 3.0], &[1.0, 2.0, 3.0])?, 1.0);
/// assert_eq!(r2_score(&[1.0, 2.0, 3.0], &[2.0, 2.0, 2.0])?, 0.0);
/// # Ok::<(), neuralnet::Error>(())
/// ```
///
/// # Errors
/// As [`mean_squared_error`].
pub fn r2_score(truth: &[f64], predicted: &[f64]) -> Result<f64> {
    check_lengths(truth.len(), predicted.len())?;
    let mean = truth.iter().sum::<f64>() / truth.len() as f64;
    let ss_res: f64 = truth
        .iter()
        .zip(predicted)
        .map(|(y, p)| (y - p).powi(2))
        .sum();
    let ss_tot: f64 = truth.iter().map(|y| (y - mean).powi(2)).sum();
    Ok(if ss_tot == 0.0 {
        if ss_res == 0.0 { 1.0 } else { 0.0 }
    } else {
        1.0 - ss_res / ss_tot
    })
}
