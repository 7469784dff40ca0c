//! [`TargetEncoding`]: how a model turns its target into network outputs
//! and back, saved beside the [`Preprocessor`](super::Preprocessor).

use super::codec::{Kind, Reader, Writer};
use super::{LabelEncoder, TargetScaler};
use crate::Result;

/// The fitted target side of a model: class labels for a classifier, a
/// scaler for a regressor. With a [`Preprocessor`](super::Preprocessor)
/// for the inputs, it is what a saved model needs to take raw rows and
/// give back the user's own labels or values.
///
/// # Examples
/// ```
/// use neuralnet::prep::{LabelEncoder, TargetEncoding};
/// let enc = TargetEncoding::Classes(LabelEncoder::fit(&["ham", "spam"])?);
/// let bytes = enc.to_bytes();
/// assert_eq!(TargetEncoding::from_bytes(&bytes)?, enc);
/// # Ok::<(), neuralnet::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum TargetEncoding {
    /// Classification: labels ↔ class indices (one output neuron per class).
    Classes(LabelEncoder),
    /// Regression: a standardised target (one output neuron).
    Values(TargetScaler),
}

impl TargetEncoding {
    /// The encoding as bytes: see [`Preprocessor::to_bytes`](super::Preprocessor::to_bytes)
    /// for the format.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut w = Writer::new(Kind::TargetEncoding);
        match self {
            TargetEncoding::Classes(e) => {
                w.u8(1);
                e.write(&mut w);
            }
            TargetEncoding::Values(s) => {
                w.u8(2);
                s.write(&mut w);
            }
        }
        w.finish()
    }

    /// An encoding from [`TargetEncoding::to_bytes`].
    ///
    /// # Errors
    /// [`Error::PrepFormat`](crate::Error::PrepFormat) if the bytes are not
    /// a valid target encoding.
    pub fn from_bytes(bytes: &[u8]) -> Result<TargetEncoding> {
        let mut r = Reader::new(bytes, Kind::TargetEncoding)?;
        let enc = match r.u8()? {
            1 => TargetEncoding::Classes(LabelEncoder::read(&mut r)?),
            2 => TargetEncoding::Values(TargetScaler::read(&mut r)?),
            other => return Err(r.error(format!("target kind {other}, not 1 or 2"))),
        };
        r.finish()?;
        Ok(enc)
    }

    /// Number of network outputs: the number of classes, or 1.
    pub fn n_outputs(&self) -> usize {
        match self {
            TargetEncoding::Classes(e) => e.n_classes(),
            TargetEncoding::Values(_) => 1,
        }
    }
}
