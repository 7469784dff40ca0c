//! [`Pipeline`]: what to do with each column, before fitting.

use super::preprocessor::{Fitted, FittedColumn};
use super::table::{MISSING, Values};
use super::{Column, ColumnKind, OneHotEncoder, Preprocessor, Standardizer, Table, Unknown};
use crate::{Error, Result};

/// What to do with missing values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum Missing {
    /// Refuse them: [`Error::MissingValue`] naming the column and row (the
    /// default), both when fitting and when transforming.
    #[default]
    Error,
    /// Fill them in with the training mean (numeric columns) or mode (the
    /// most frequent category; on a tie, the first in sorted order),
    /// learnt when fitting and saved with the preprocessor.
    Impute,
}

/// What to do with one column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum Step {
    /// Standardise a numeric column: z = (x − μ) / s ([`Standardizer`]).
    Standardize,
    /// Keep a numeric column's values as they are.
    Keep,
    /// One feature per category ([`OneHotEncoder`]); a numeric column's
    /// values are then categories too (written as Rust writes an `f64`:
    /// `3`, `2.5`).
    OneHot,
    /// Leave the column out (an identifier, say).
    Drop,
}

/// The settings of a [`Preprocessor`], before it is fitted: one
/// [`Step`] per column, and what to do with missing values and unseen
/// categories.
///
/// By default numeric columns are standardised ([`Step::Standardize`]),
/// categorical columns one-hot encoded ([`Step::OneHot`]), a missing
/// value is an error ([`Missing::Error`]) and so is a category unseen in
/// training ([`Unknown::Error`]). [`Pipeline::fit`] learns the
/// parameters from training data only, then the [`Preprocessor`] applies
/// the same transformation to any table with those columns.
///
/// # Examples
/// ```
/// use neuralnet::prep::{Missing, Pipeline, Step, Table, Unknown};
/// let train = Table::from_rows(&["id", "age", "income"], &[
///     [1.0, 30.0, 2000.0],
///     [2.0, 50.0, f64::NAN], // missing: imputed with the mean, 3000
///     [3.0, 40.0, 4000.0],
/// ])?
/// .with_categorical("city", &[Some("Oslo"), Some("Rome"), Some("Oslo")])?;
/// let prep = Pipeline::new()
///     .with_step("id", Step::Drop)
///     .with_missing(Missing::Impute)
///     .with_unknown(Unknown::Ignore)
///     .fit(&train)?;
/// assert_eq!(prep.feature_names(), ["age", "income", "city=Oslo", "city=Rome"]);
///
/// let x = prep.transform::<f64>(&train)?; // 4 features × 3 examples
/// assert_eq!(x.shape(), (4, 3));
/// assert_eq!(x.column(1).as_slice()[1], 0.0); // the imputed mean, standardised
/// assert_eq!(&x.column(2).as_slice()[2..], [1.0, 0.0]);
/// # Ok::<(), neuralnet::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Pipeline {
    standardize: bool,
    missing: Missing,
    unknown: Unknown,
    steps: Vec<(String, Step)>,
}

impl Pipeline {
    /// The default settings (see [`Pipeline`]).
    pub fn new() -> Self {
        Pipeline {
            standardize: true,
            ..Pipeline::default()
        }
    }

    /// Whether numeric columns without a step of their own are
    /// standardised (`true`, the default) or kept as they are (`false`).
    pub fn with_standardization(mut self, on: bool) -> Self {
        self.standardize = on;
        self
    }

    /// What to do with missing values (default [`Missing::Error`]).
    pub fn with_missing(mut self, missing: Missing) -> Self {
        self.missing = missing;
        self
    }

    /// What to do with categories unseen in training (default
    /// [`Unknown::Error`]).
    pub fn with_unknown(mut self, unknown: Unknown) -> Self {
        self.unknown = unknown;
        self
    }

    /// The step for the column `name`, instead of its kind's default (a
    /// later call for the same column replaces an earlier one).
    pub fn with_step(mut self, name: &str, step: Step) -> Self {
        self.steps.retain(|(n, _)| n != name);
        self.steps.push((name.to_owned(), step));
        self
    }

    /// The step a column gets.
    fn step_of(&self, column: &Column) -> Step {
        match self.steps.iter().find(|(n, _)| n == column.name()) {
            Some(&(_, step)) => step,
            None => match column.kind() {
                ColumnKind::Categorical => Step::OneHot,
                ColumnKind::Numeric if self.standardize => Step::Standardize,
                ColumnKind::Numeric => Step::Keep,
            },
        }
    }

    /// Learns each column's parameters (means, scales, categories, the
    /// values to impute) from the training table.
    ///
    /// Fit on the training data only, then transform the training,
    /// validation and test data with the one [`Preprocessor`]: fitting on
    /// all of it would leak the test set into training.
    ///
    /// # Errors
    /// - [`Error::UnknownColumn`] if a step names a column the table lacks;
    /// - [`Error::ColumnType`] for [`Step::Standardize`] or [`Step::Keep`]
    ///   on a categorical column;
    /// - [`Error::MissingValue`] naming the first missing cell, with
    ///   [`Missing::Error`];
    /// - [`Error::UnfittableColumn`] for a column whose every value is
    ///   missing, or too large to standardise;
    /// - [`Error::EmptyData`] if the table has no rows, or every column
    ///   is dropped.
    /// - [`Error::InvalidConfig`] for a column name of 4 GiB or more (it
    ///   could not be saved).
    pub fn fit(&self, table: &Table) -> Result<Preprocessor> {
        if table.is_empty() {
            return Err(Error::EmptyData {
                what: "training table",
            });
        }
        for (name, _) in &self.steps {
            table.require(name)?;
        }
        if let Some(c) = table
            .columns()
            .iter()
            .find(|c| c.name().len() >= u32::MAX as usize)
        {
            return Err(Error::InvalidConfig {
                name: "column names",
                reason: format!(
                    "a column name of {} bytes; at most 4 GiB fit",
                    c.name().len()
                ),
            });
        }
        let steps: Vec<(&Column, Step)> = table
            .columns()
            .iter()
            .map(|c| (c, self.step_of(c)))
            .filter(|&(_, step)| step != Step::Drop)
            .collect();
        // Settings first: a step that cannot apply to its column.
        if let Some((column, _)) = steps.iter().find(|(c, step)| {
            matches!(step, Step::Standardize | Step::Keep) && c.kind() == ColumnKind::Categorical
        }) {
            return Err(Error::ColumnType {
                column: column.name().to_owned(),
                expected: ColumnKind::Numeric,
                found: ColumnKind::Categorical,
            });
        }
        let mut columns = Vec::new();
        for (column, step) in steps {
            if self.missing == Missing::Error
                && let Some(row) =
                    (0..column.len()).find(|&r| column.cell(r) == Some(super::Cell::Missing))
            {
                return Err(Error::MissingValue {
                    column: column.name().to_owned(),
                    row,
                    source_name: table.source_name().map(str::to_owned),
                    line: table.line(row),
                });
            }
            let impute = self.missing == Missing::Impute;
            let fitted = match (step, column.values()) {
                (Step::Drop, _) => unreachable!("dropped above"),
                (Step::Standardize | Step::Keep, Values::Categorical { .. }) => {
                    unreachable!("checked above")
                }
                (Step::Standardize | Step::Keep, Values::Numeric(v)) => {
                    let stats = super::standardizer::fit_named(v, column.name())?;
                    Fitted::Numeric {
                        scaler: if step == Step::Standardize {
                            stats
                        } else {
                            Standardizer::IDENTITY
                        },
                        fill: impute.then_some(stats.mean()),
                    }
                }
                (Step::OneHot, values) => {
                    let (categories, counts) = category_counts(values);
                    let encoder = OneHotEncoder::from_categories(
                        categories.clone(),
                        self.unknown,
                        column.name(),
                    )?;
                    let fill = impute.then(|| mode(&encoder, &categories, &counts));
                    Fitted::OneHot { encoder, fill }
                }
            };
            columns.push(FittedColumn::new(column.name().to_owned(), fitted));
        }
        if columns.is_empty() {
            return Err(Error::EmptyData {
                what: "set of feature columns (every column is dropped)",
            });
        }
        Ok(Preprocessor::new(columns))
    }
}

/// The distinct present values of a column as categories, and how often
/// each occurs.
fn category_counts(values: &Values) -> (Vec<String>, Vec<usize>) {
    match values {
        Values::Categorical { codes, levels } => {
            let mut counts = vec![0usize; levels.len()];
            for &c in codes.iter().filter(|&&c| c != MISSING) {
                counts[c as usize] += 1;
            }
            // Levels absent from these rows (after a split) are no categories.
            levels
                .iter()
                .zip(counts)
                .filter(|&(_, n)| n > 0)
                .map(|(l, n)| (l.clone(), n))
                .unzip()
        }
        Values::Numeric(v) => {
            let mut seen = std::collections::HashMap::<String, usize>::new();
            for x in v.iter().filter(|x| !x.is_nan()) {
                *seen.entry(super::number_text(*x)).or_default() += 1;
            }
            seen.into_iter().unzip()
        }
    }
}

/// The position of the most frequent category (the first in sorted order
/// on a tie).
fn mode(encoder: &OneHotEncoder, categories: &[String], counts: &[usize]) -> usize {
    let best = counts.iter().copied().max().unwrap_or(0);
    categories
        .iter()
        .zip(counts)
        .filter(|&(_, &n)| n == best)
        .filter_map(|(c, _)| encoder.position(c))
        .min()
        .unwrap_or(0)
}
