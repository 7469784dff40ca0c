//! [`Standardizer`]: z = (x − mean) / std for one numeric column.

use super::codec::{Kind, Reader, Writer};
use crate::{Error, Result};

/// Standardisation of one numeric column, fitted on training data:
/// z = (x − μ) / s, with μ the mean and s the population standard
/// deviation √(Σ (x − μ)² / n) of the training values (as scikit-learn's
/// `StandardScaler`), so that the training values have mean 0 and
/// variance 1.
///
/// A constant column (every value the same) gets s = 1, so that it
/// becomes all zeros rather than a division by zero. Missing values (NaN)
/// are left out of the fit.
///
/// # Examples
/// ```
/// use neuralnet::prep::Standardizer;
/// let s = Standardizer::fit(&[1.0, 2.0, 3.0, 4.0])?;
/// assert_eq!(s.mean(), 2.5);
/// assert!((s.scale() - 1.25f64.sqrt()).abs() < 1e-15);
/// assert_eq!(s.transform(2.5), 0.0);
/// assert!((s.inverse(s.transform(4.0)) - 4.0).abs() < 1e-15);
///
/// let constant = Standardizer::fit(&[7.0, 7.0])?;
/// assert_eq!((constant.scale(), constant.transform(7.0)), (1.0, 0.0));
/// # Ok::<(), neuralnet::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(
        try_from = "super::serde_impls::StandardizerRepr",
        into = "super::serde_impls::StandardizerRepr"
    )
)]
pub struct Standardizer {
    mean: f64,
    scale: f64,
}

impl Standardizer {
    /// The identity: mean 0, scale 1 (a column kept as it is).
    pub const IDENTITY: Standardizer = Standardizer {
        mean: 0.0,
        scale: 1.0,
    };

    /// Fits the mean and population standard deviation of the values that
    /// are not NaN (NaN marks a missing value).
    ///
    /// # Errors
    /// [`Error::UnfittableColumn`] (with the column name `""`; a
    /// [`Preprocessor`](super::Preprocessor) names it) if no value is
    /// there, if a value is infinite, or if the variance overflows.
    pub fn fit(values: &[f64]) -> Result<Standardizer> {
        fit_named(values, "")
    }

    /// A standardizer with this mean μ and scale s (s > 0).
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] unless μ is finite and s finite and positive.
    pub fn new(mean: f64, scale: f64) -> Result<Standardizer> {
        check(mean, scale).map_err(|reason| Error::InvalidConfig {
            name: "standardizer",
            reason: reason.to_owned(),
        })?;
        Ok(Standardizer { mean, scale })
    }

    /// The training mean μ.
    pub fn mean(&self) -> f64 {
        self.mean
    }

    /// The scale s: the training population standard deviation, or 1 for
    /// a constant column.
    pub fn scale(&self) -> f64 {
        self.scale
    }

    /// z = (x − μ) / s.
    pub fn transform(&self, x: f64) -> f64 {
        (x - self.mean) / self.scale
    }

    /// x = z s + μ, the inverse of [`Standardizer::transform`].
    pub fn inverse(&self, z: f64) -> f64 {
        z * self.scale + self.mean
    }

    /// The standardizer as bytes: see [`Preprocessor::to_bytes`](super::Preprocessor::to_bytes)
    /// for the format.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut w = Writer::new(Kind::Standardizer);
        self.write(&mut w);
        w.finish()
    }

    /// A standardizer from [`Standardizer::to_bytes`].
    ///
    /// # Errors
    /// [`Error::PrepFormat`] if the bytes are not a valid standardizer.
    pub fn from_bytes(bytes: &[u8]) -> Result<Standardizer> {
        let mut r = Reader::new(bytes, Kind::Standardizer)?;
        let s = Standardizer::read(&mut r)?;
        r.finish()?;
        Ok(s)
    }

    pub(crate) fn write(&self, w: &mut Writer) {
        w.f64(self.mean);
        w.f64(self.scale);
    }

    pub(crate) fn read(r: &mut Reader<'_>) -> Result<Standardizer> {
        let (mean, scale) = (r.f64()?, r.f64()?);
        check(mean, scale).map_err(|reason| r.error(reason))?;
        Ok(Standardizer { mean, scale })
    }
}

fn check(mean: f64, scale: f64) -> std::result::Result<(), &'static str> {
    if !mean.is_finite() {
        return Err("the mean is not finite");
    }
    if !(scale.is_finite() && scale > 0.0) {
        return Err("the scale is not a finite positive number");
    }
    Ok(())
}

/// [`Standardizer::fit`], naming `column` in errors.
pub(crate) fn fit_named(values: &[f64], column: &str) -> Result<Standardizer> {
    let unfittable = |reason| Error::UnfittableColumn {
        column: column.to_owned(),
        reason,
    };
    let present = || values.iter().copied().filter(|x| !x.is_nan());
    if present().any(f64::is_infinite) {
        return Err(unfittable("it holds an infinite value; use finite numbers"));
    }
    let (n, min, max, sum) = present().fold(
        (0usize, f64::INFINITY, f64::NEG_INFINITY, 0.0),
        |(n, lo, hi, s), x| (n + 1, lo.min(x), hi.max(x), s + x),
    );
    if n == 0 {
        return Err(unfittable(
            "every value is missing; drop the column or fill in its values",
        ));
    }
    if min == max {
        // A constant column: scale 1, and the value itself as the mean, so
        // that it becomes exactly 0.
        return Ok(Standardizer {
            mean: min,
            scale: 1.0,
        });
    }
    // Two passes (the mean, then the squared deviations from it) for
    // accuracy, as scikit-learn computes them. Values near f64::MAX would
    // overflow the sums: then both passes run on values divided by the
    // largest magnitude.
    let nf = n as f64;
    let mut mean = sum / nf;
    let mut scale = (present().map(|x| (x - mean).powi(2)).sum::<f64>() / nf).sqrt();
    if !(mean.is_finite() && scale.is_finite()) {
        let span = max.abs().max(min.abs());
        mean = present().map(|x| x / span).sum::<f64>() / nf * span;
        let var = present()
            .map(|x| (x / span - mean / span).powi(2))
            .sum::<f64>()
            / nf;
        scale = var.sqrt() * span;
    }
    if !(mean.is_finite() && scale.is_finite() && scale > 0.0) {
        return Err(unfittable(
            "its values are too large to standardise (the variance overflows); rescale the column",
        ));
    }
    Ok(Standardizer { mean, scale })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mean_and_population_std() {
        let s = Standardizer::fit(&[2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0]).unwrap();
        assert_eq!((s.mean(), s.scale()), (5.0, 2.0));
    }

    #[test]
    fn missing_values_are_left_out_and_all_missing_is_an_error() {
        let s = Standardizer::fit(&[1.0, f64::NAN, 3.0]).unwrap();
        assert_eq!((s.mean(), s.scale()), (2.0, 1.0));
        assert!(matches!(
            Standardizer::fit(&[f64::NAN]),
            Err(Error::UnfittableColumn { .. })
        ));
        assert!(Standardizer::fit(&[]).is_err());
    }

    #[test]
    fn huge_values_do_not_overflow() {
        let s = Standardizer::fit(&[1e308, -1e308]).unwrap();
        assert_eq!(s.mean(), 0.0);
        assert!((s.scale() - 1e308).abs() < 1e293);
        assert!(Standardizer::fit(&[1.0, f64::INFINITY]).is_err());
    }
}
