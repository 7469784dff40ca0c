//! [`Preprocessor`]: a fitted [`Pipeline`](super::Pipeline) that turns a
//! table into a network's input matrix.

use std::collections::HashSet;

use nalgebra::DMatrix;

use super::codec::{Kind, Reader, Writer};
use super::table::{MISSING, Values};
use super::{ColumnKind, OneHotEncoder, Standardizer, Table, Unknown};
use crate::scalar::from_f64;
use crate::{Error, Real, Result};

/// A fitted step of one column.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(deny_unknown_fields))]
pub(crate) enum Fitted {
    /// A numeric column, standardised (or kept: the identity).
    Numeric {
        scaler: Standardizer,
        /// The training mean, for [`Missing::Impute`](super::Missing::Impute).
        fill: Option<f64>,
    },
    /// A column one-hot encoded.
    OneHot {
        encoder: OneHotEncoder,
        /// The position of the training mode, for [`Missing::Impute`](super::Missing::Impute).
        fill: Option<usize>,
    },
}

/// A fitted column: its name and step.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(deny_unknown_fields))]
pub(crate) struct FittedColumn {
    name: String,
    step: Fitted,
}

impl FittedColumn {
    pub(crate) fn new(name: String, step: Fitted) -> Self {
        FittedColumn { name, step }
    }

    #[cfg(feature = "serde")]
    pub(crate) fn name(&self) -> &str {
        &self.name
    }

    #[cfg(feature = "serde")]
    pub(crate) fn step(&self) -> &Fitted {
        &self.step
    }

    fn width(&self) -> usize {
        match &self.step {
            Fitted::Numeric { .. } => 1,
            Fitted::OneHot { encoder, .. } => encoder.n_features(),
        }
    }
}

/// Preprocessing fitted on training data (by [`Pipeline::fit`](super::Pipeline::fit)):
/// turns a [`Table`] with the training table's columns into a network's
/// input matrix, the same way for training, validation, test and new data.
///
/// Columns are found by name, so a table to transform may have its
/// columns in another order, and more columns (they are ignored); each
/// fitted column becomes one feature (numeric) or one per category
/// (one-hot), in the training table's column order
/// ([`Preprocessor::feature_names`]).
///
/// # Examples
/// ```
/// use neuralnet::prep::{Pipeline, Preprocessor, Table};
/// let train = Table::from_rows(&["x"], &[[1.0], [3.0]])?;
/// let prep = Pipeline::new().fit(&train)?;
/// let x = prep.transform::<f32>(&Table::from_rows(&["x"], &[[5.0]])?)?;
/// assert_eq!(x[(0, 0)], 3.0); // (5 − 2) / 1
///
/// // Saved with a model, loaded back.
/// let loaded = Preprocessor::from_bytes(&prep.to_bytes())?;
/// assert_eq!(loaded, prep);
/// # Ok::<(), neuralnet::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(
        try_from = "super::serde_impls::PreprocessorRepr",
        into = "super::serde_impls::PreprocessorRepr"
    )
)]
pub struct Preprocessor {
    columns: Vec<FittedColumn>,
}

impl Preprocessor {
    pub(crate) fn new(columns: Vec<FittedColumn>) -> Self {
        Preprocessor { columns }
    }

    #[cfg(feature = "serde")]
    pub(crate) fn into_columns(self) -> Vec<FittedColumn> {
        self.columns
    }

    /// Number of features n_in: the rows of [`Preprocessor::transform`]'s
    /// output, the size of a network's input layer.
    pub fn n_features(&self) -> usize {
        self.columns.iter().map(FittedColumn::width).sum()
    }

    /// The name of each feature: a numeric column's name, or
    /// `column=category` for a one-hot feature.
    pub fn feature_names(&self) -> Vec<String> {
        let mut names = Vec::with_capacity(self.n_features());
        for c in &self.columns {
            match &c.step {
                Fitted::Numeric { .. } => names.push(c.name.clone()),
                Fitted::OneHot { encoder, .. } => {
                    names.extend(
                        encoder
                            .categories()
                            .iter()
                            .map(|k| format!("{}={k}", c.name)),
                    );
                }
            }
        }
        names
    }

    /// The names of the columns a table to transform must have.
    pub fn input_columns(&self) -> Vec<&str> {
        self.columns.iter().map(|c| c.name.as_str()).collect()
    }

    /// The standardisation of a numeric column (the identity for a column
    /// kept as it is), if the column is one.
    pub fn standardizer(&self, column: &str) -> Option<&Standardizer> {
        self.columns.iter().find_map(|c| match &c.step {
            Fitted::Numeric { scaler, .. } if c.name == column => Some(scaler),
            _ => None,
        })
    }

    /// The one-hot encoder of a column, if the column is one-hot encoded.
    pub fn one_hot_encoder(&self, column: &str) -> Option<&OneHotEncoder> {
        self.columns.iter().find_map(|c| match &c.step {
            Fitted::OneHot { encoder, .. } if c.name == column => Some(encoder),
            _ => None,
        })
    }

    /// The network's inputs for the rows of `table`: each row's features
    /// (standardised numbers, one-hot categories, imputed values) as one
    /// column.
    ///
    /// # Shapes
    /// n_features × m: one example per column, m = `table.n_rows()`.
    ///
    /// # Errors
    /// - [`Error::UnknownColumn`] if the table lacks a fitted column;
    /// - [`Error::ColumnType`] if a standardised column holds text;
    /// - [`Error::MissingValue`] for a missing value, unless the pipeline
    ///   imputes them;
    /// - [`Error::UnknownCategory`] for a category unseen in training,
    ///   unless the pipeline ignores them;
    /// - [`Error::NonFiniteCell`] for a value whose feature does not fit
    ///   `T` (beyond about 3.4·10³⁸ for `f32`);
    /// - [`Error::Allocation`] if the matrix does not fit in memory.
    pub fn transform<T: Real>(&self, table: &Table) -> Result<DMatrix<T>> {
        let n = self.n_features();
        let m = table.n_rows();
        let mut x = super::zeros::<T>(n, m, "the preprocessed inputs")?;
        let data = x.as_mut_slice();
        let mut offset = 0;
        for fitted in &self.columns {
            let column = table.require(&fitted.name)?;
            let missing = |row: usize| Error::MissingValue {
                column: fitted.name.clone(),
                row,
                source_name: table.source_name().map(str::to_owned),
                line: table.line(row),
            };
            match (&fitted.step, column.values()) {
                (Fitted::Numeric { .. }, Values::Categorical { .. }) => {
                    return Err(Error::ColumnType {
                        column: fitted.name.clone(),
                        expected: ColumnKind::Numeric,
                        found: ColumnKind::Categorical,
                    });
                }
                (Fitted::Numeric { scaler, fill }, Values::Numeric(values)) => {
                    for (row, &v) in values.iter().enumerate() {
                        let v = if v.is_nan() {
                            fill.ok_or_else(|| missing(row))?
                        } else {
                            v
                        };
                        let z = scaler.transform(v);
                        let zt = from_f64::<T>(z);
                        if !zt.is_finite() {
                            return Err(Error::NonFiniteCell {
                                column: fitted.name.clone(),
                                row,
                                value: v,
                            });
                        }
                        data[row * n + offset] = zt;
                    }
                }
                (Fitted::OneHot { encoder, fill }, values) => {
                    for row in 0..m {
                        let hot = match category(values, row) {
                            None => Some(fill.ok_or_else(|| missing(row))?),
                            Some(text) => match encoder.position(&text) {
                                Some(k) => Some(k),
                                None if encoder.unknown() == Unknown::Ignore => None,
                                None => {
                                    return Err(Error::UnknownCategory {
                                        column: fitted.name.clone(),
                                        row,
                                        source_name: table.source_name().map(str::to_owned),
                                        line: table.line(row),
                                        value: text.into_owned(),
                                        known: encoder.n_features(),
                                    });
                                }
                            },
                        };
                        if let Some(k) = hot {
                            data[row * n + offset + k] = T::one();
                        }
                    }
                }
            }
            offset += fitted.width();
        }
        Ok(x)
    }

    /// The preprocessor as bytes, to be saved with a model (with its
    /// [`TargetEncoding`](super::TargetEncoding)).
    ///
    /// The format, shared by every fitted type of this module, is
    /// little-endian and length-prefixed: the magic `NNPP`, a version byte
    /// (1), a byte naming the type (1 standardizer, 2 target scaler,
    /// 3 one-hot encoder, 4 label encoder, 5 preprocessor, 6 target
    /// encoding), then its fields. Numbers are `f64`, counts and lengths
    /// `u32`, strings a length and UTF-8 bytes. A preprocessor holds a
    /// count of columns, and for each its name, a step byte (1 numeric:
    /// mean and scale, then a byte 0/1 and the value to impute;
    /// 2 one-hot: an unknown-category byte, the categories, then a byte
    /// 0/1 and the position of the mode to impute).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut w = Writer::new(Kind::Preprocessor);
        w.len(self.columns.len());
        for c in &self.columns {
            w.str(&c.name);
            match &c.step {
                Fitted::Numeric { scaler, fill } => {
                    w.u8(1);
                    scaler.write(&mut w);
                    w.u8(u8::from(fill.is_some()));
                    w.f64(fill.unwrap_or(0.0));
                }
                Fitted::OneHot { encoder, fill } => {
                    w.u8(2);
                    encoder.write(&mut w);
                    w.u8(u8::from(fill.is_some()));
                    w.len(fill.unwrap_or(0));
                }
            }
        }
        w.finish()
    }

    /// A preprocessor from [`Preprocessor::to_bytes`].
    ///
    /// Every length and count is checked against the bytes that remain
    /// before anything is allocated, so that corrupt or hostile bytes give
    /// an error, never a panic or a huge allocation.
    ///
    /// # Errors
    /// [`Error::PrepFormat`] if the bytes are not a valid preprocessor.
    pub fn from_bytes(bytes: &[u8]) -> Result<Preprocessor> {
        let mut r = Reader::new(bytes, Kind::Preprocessor)?;
        // A column takes at least 4 (name) + 1 (step) + 14 (a one-hot
        // step of one empty category) bytes.
        let n = r.count(19)?;
        if n == 0 {
            return Err(r.error("no columns"));
        }
        let mut columns = Vec::with_capacity(n);
        let mut names = HashSet::new();
        for _ in 0..n {
            let name = r.string()?;
            if !names.insert(name.clone()) {
                return Err(r.error(format!("two columns named {name:?}")));
            }
            let step = match r.u8()? {
                1 => {
                    let scaler = Standardizer::read(&mut r)?;
                    let has = flag(&mut r)?;
                    let value = r.f64()?;
                    Fitted::Numeric {
                        scaler,
                        fill: has.then_some(value),
                    }
                }
                2 => {
                    let encoder = OneHotEncoder::read(&mut r)?;
                    let has = flag(&mut r)?;
                    let k = r.index()?;
                    if k >= encoder.n_features() {
                        return Err(r.error(format!(
                            "mode position {k} of {} categories",
                            encoder.n_features()
                        )));
                    }
                    Fitted::OneHot {
                        encoder,
                        fill: has.then_some(k),
                    }
                }
                other => return Err(r.error(format!("step code {other}, not 1 or 2"))),
            };
            columns.push(FittedColumn::new(name, step));
        }
        r.finish()?;
        Ok(Preprocessor { columns })
    }
}

fn flag(r: &mut Reader<'_>) -> Result<bool> {
    match r.u8()? {
        0 => Ok(false),
        1 => Ok(true),
        other => Err(r.error(format!("flag byte {other}, not 0 or 1"))),
    }
}

/// The category of a cell (a numeric cell's value written as text), or
/// `None` if it is missing.
fn category(values: &Values, row: usize) -> Option<std::borrow::Cow<'_, str>> {
    match values {
        Values::Numeric(v) => (!v[row].is_nan()).then(|| super::number_text(v[row]).into()),
        Values::Categorical { codes, levels } => match codes[row] {
            MISSING => None,
            c => Some(levels[c as usize].as_str().into()),
        },
    }
}
