//! [`Target`]: the column to predict, split off a [`Table`](super::Table).

use super::table::check_rows;
use crate::Result;

/// The values to predict, one per example: numbers (for regression, or
/// integer class labels) or text labels (for classification).
///
/// [`Table::split_target`](super::Table::split_target) makes one from a
/// column; a missing target is an error there, so a `Target` has none.
/// Numbers are finite.
///
/// # Examples
/// ```
/// use neuralnet::prep::Target;
/// let labels = Target::Labels(vec!["cat".into(), "dog".into(), "cat".into()]);
/// assert_eq!(labels.len(), 3);
/// assert_eq!(labels.select(&[1])?, Target::Labels(vec!["dog".into()]));
/// # Ok::<(), neuralnet::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub enum Target {
    /// Numbers: values to regress on, or numeric class labels.
    Numeric(Vec<f64>),
    /// Text labels of classes.
    Labels(Vec<String>),
}

impl Target {
    /// Number of examples.
    pub fn len(&self) -> usize {
        match self {
            Target::Numeric(v) => v.len(),
            Target::Labels(v) => v.len(),
        }
    }

    /// Whether there are no examples.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The numbers of a numeric target.
    pub fn numbers(&self) -> Option<&[f64]> {
        match self {
            Target::Numeric(v) => Some(v),
            Target::Labels(_) => None,
        }
    }

    /// The labels of a text target.
    pub fn labels(&self) -> Option<&[String]> {
        match self {
            Target::Numeric(_) => None,
            Target::Labels(v) => Some(v),
        }
    }

    /// Whether every value is a whole number (or a text label): what a
    /// class label looks like. A numeric target with a fraction (`2.5`)
    /// looks like a regression target.
    ///
    /// # Examples
    /// ```
    /// use neuralnet::prep::Target;
    /// assert!(Target::Numeric(vec![0.0, 1.0, 2.0]).looks_like_classes());
    /// assert!(!Target::Numeric(vec![0.5, 1.0]).looks_like_classes());
    /// ```
    pub fn looks_like_classes(&self) -> bool {
        match self {
            Target::Numeric(v) => v.iter().all(|x| x.fract() == 0.0),
            Target::Labels(_) => true,
        }
    }

    /// The examples `rows` (from 0, in that order) as a new target.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`](crate::Error::InvalidConfig) if a row is
    /// past the end.
    pub fn select(&self, rows: &[usize]) -> Result<Target> {
        check_rows(rows, self.len())?;
        Ok(match self {
            Target::Numeric(v) => Target::Numeric(rows.iter().map(|&r| v[r]).collect()),
            Target::Labels(v) => Target::Labels(rows.iter().map(|&r| v[r].clone()).collect()),
        })
    }
}
