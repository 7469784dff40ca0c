//! [`TargetScaler`]: a regression target standardised for training, and
//! predictions turned back into the target's units.

use nalgebra::DMatrix;

use super::codec::{Kind, Reader, Writer};
use super::standardizer::fit_named;
use super::{Standardizer, Target};
use crate::scalar::{from_f64, to_f64};
use crate::{Error, Real, Result};

/// Standardisation of a regression target: the network learns
/// z = (y − μ) / s, values of about unit size whatever the target's units
/// (prices in the hundreds of thousands, say), and
/// [`TargetScaler::inverse_transform`] turns its outputs back into y.
///
/// μ and s are fitted on the training targets as [`Standardizer`] fits
/// them (population standard deviation; s = 1 for a constant target).
///
/// # Examples
/// ```
/// use neuralnet::prep::TargetScaler;
/// let scaler = TargetScaler::fit(&[100.0, 200.0, 300.0])?;
/// let y = scaler.transform::<f64>(&[100.0, 300.0])?; // 1 × 2
/// assert!((y[(0, 1)] - 1.5f64.sqrt()).abs() < 1e-12);
/// let back = scaler.inverse_transform(&y);
/// assert!((back[1] - 300.0).abs() < 1e-9);
/// # Ok::<(), neuralnet::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(deny_unknown_fields))]
pub struct TargetScaler {
    standardizer: Standardizer,
}

/// The column name errors give the target.
const TARGET: &str = "target";

impl TargetScaler {
    /// Fits μ and s on the training targets.
    ///
    /// # Errors
    /// [`Error::NonFiniteCell`] for a NaN or infinite target (a target
    /// cannot be missing); [`Error::UnfittableColumn`] if there are none,
    /// or their variance overflows.
    pub fn fit(values: &[f64]) -> Result<TargetScaler> {
        check_finite(values)?;
        Ok(TargetScaler {
            standardizer: fit_named(values, TARGET)?,
        })
    }

    /// Fits μ and s on a numeric [`Target`].
    ///
    /// # Errors
    /// [`Error::ColumnType`] for a target of text labels; otherwise as
    /// [`TargetScaler::fit`].
    pub fn fit_target(target: &Target) -> Result<TargetScaler> {
        TargetScaler::fit(numbers(target)?)
    }

    /// A target scaler that applies `standardizer` (use
    /// [`Standardizer::IDENTITY`] to train on the raw target).
    pub fn new(standardizer: Standardizer) -> TargetScaler {
        TargetScaler { standardizer }
    }

    /// The standardisation: μ and s.
    pub fn standardizer(&self) -> &Standardizer {
        &self.standardizer
    }

    /// The network's targets: z = (y − μ) / s for each value.
    ///
    /// # Shapes
    /// 1 × m: one column per example.
    ///
    /// # Errors
    /// [`Error::NonFiniteCell`] for a NaN or infinite value, or one whose
    /// z does not fit `T`; [`Error::Allocation`] if the matrix does not
    /// fit in memory.
    pub fn transform<T: Real>(&self, values: &[f64]) -> Result<DMatrix<T>> {
        check_finite(values)?;
        let mut y = super::zeros::<T>(1, values.len(), "the scaled targets")?;
        for (j, &v) in values.iter().enumerate() {
            let z = from_f64::<T>(self.standardizer.transform(v));
            if !z.is_finite() {
                return Err(non_finite(j, v));
            }
            y[(0, j)] = z;
        }
        Ok(y)
    }

    /// [`TargetScaler::transform`] of a numeric [`Target`].
    ///
    /// # Errors
    /// [`Error::ColumnType`] for a target of text labels; otherwise as
    /// [`TargetScaler::transform`].
    pub fn transform_target<T: Real>(&self, target: &Target) -> Result<DMatrix<T>> {
        self.transform(numbers(target)?)
    }

    /// Predictions in the target's units: y = z s + μ for each entry of
    /// the network's outputs (1 × m: one per example), in column-major
    /// order.
    pub fn inverse_transform<T: Real>(&self, outputs: &DMatrix<T>) -> Vec<f64> {
        outputs
            .iter()
            .map(|&z| self.standardizer.inverse(to_f64(z)))
            .collect()
    }

    /// The scaler as bytes: see [`Preprocessor::to_bytes`](super::Preprocessor::to_bytes)
    /// for the format.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut w = Writer::new(Kind::TargetScaler);
        self.write(&mut w);
        w.finish()
    }

    /// A scaler from [`TargetScaler::to_bytes`].
    ///
    /// # Errors
    /// [`Error::PrepFormat`] if the bytes are not a valid target scaler.
    pub fn from_bytes(bytes: &[u8]) -> Result<TargetScaler> {
        let mut r = Reader::new(bytes, Kind::TargetScaler)?;
        let s = TargetScaler::read(&mut r)?;
        r.finish()?;
        Ok(s)
    }

    pub(crate) fn write(&self, w: &mut Writer) {
        self.standardizer.write(w);
    }

    pub(crate) fn read(r: &mut Reader<'_>) -> Result<TargetScaler> {
        Ok(TargetScaler {
            standardizer: Standardizer::read(r)?,
        })
    }
}

fn numbers(target: &Target) -> Result<&[f64]> {
    target.numbers().ok_or_else(|| Error::ColumnType {
        column: TARGET.into(),
        expected: super::ColumnKind::Numeric,
        found: super::ColumnKind::Categorical,
    })
}

fn check_finite(values: &[f64]) -> Result<()> {
    match values.iter().position(|v| !v.is_finite()) {
        Some(row) => Err(non_finite(row, values[row])),
        None => Ok(()),
    }
}

fn non_finite(row: usize, value: f64) -> Error {
    Error::NonFiniteCell {
        column: TARGET.into(),
        row,
        value,
    }
}
