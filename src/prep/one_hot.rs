//! [`OneHotEncoder`]: a categorical column as one 0/1 feature per category.

use super::codec::{Kind, Reader, Writer};
use super::label::{all_numbers, as_number, check_sorted, compare, sort_labels};
use crate::{Error, Result};

/// What to do with a category that was not in the training data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum Unknown {
    /// Refuse it: [`Error::UnknownCategory`] naming the column, row and
    /// value (the default).
    #[default]
    Error,
    /// Encode it as all zeros (no category's feature is 1).
    Ignore,
}

/// One-hot encoding of one categorical column, fitted on training data:
/// the column becomes one feature per category seen in training, 1 for the
/// row's category and 0 for the others.
///
/// The categories are sorted as [`LabelEncoder`](super::LabelEncoder)
/// sorts labels (by value if all are numbers, otherwise by text), so the
/// features come in a fixed order whatever the order of the rows.
///
/// # Examples
/// ```
/// use neuralnet::prep::{OneHotEncoder, Unknown};
/// let enc = OneHotEncoder::fit(&[Some("red"), Some("blue"), None, Some("red")], Unknown::Error)?;
/// assert_eq!(enc.categories(), ["blue", "red"]);
/// assert_eq!(enc.position("red"), Some(1));
/// assert_eq!(enc.position("green"), None);
/// # Ok::<(), neuralnet::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(
        try_from = "super::serde_impls::OneHotRepr",
        into = "super::serde_impls::OneHotRepr"
    )
)]
pub struct OneHotEncoder {
    categories: Vec<String>,
    unknown: Unknown,
    /// Whether the categories are all numbers, sorted by value.
    numeric: bool,
}

impl OneHotEncoder {
    /// Learns the categories from a column's training values (`None`
    /// marks a missing value, left out).
    ///
    /// # Errors
    /// [`Error::UnfittableColumn`] (with the column name `""`; a
    /// [`Preprocessor`](super::Preprocessor) names it) if every value is
    /// missing; [`Error::InvalidConfig`] for 2³² values or more, or a
    /// category of 4 GiB or more.
    pub fn fit<S: AsRef<str>>(values: &[Option<S>], unknown: Unknown) -> Result<OneHotEncoder> {
        super::table::check_category_rows(values.len())?;
        let mut set = std::collections::HashSet::new();
        for v in values.iter().flatten() {
            set.insert(v.as_ref());
        }
        let categories = set.into_iter().map(str::to_owned).collect();
        OneHotEncoder::from_categories(categories, unknown, "")
    }

    /// An encoder of the distinct `categories` (in any order), naming
    /// `column` in errors.
    pub(crate) fn from_categories(
        mut categories: Vec<String>,
        unknown: Unknown,
        column: &str,
    ) -> Result<OneHotEncoder> {
        if categories.is_empty() {
            return Err(Error::UnfittableColumn {
                column: column.to_owned(),
                reason: "every value is missing; drop the column or fill in its values",
            });
        }
        if categories.iter().any(|c| c.len() >= u32::MAX as usize) {
            return Err(Error::InvalidConfig {
                name: "categories",
                reason: format!("column {column:?} has a category of 4 GiB or more"),
            });
        }
        sort_labels(&mut categories);
        Ok(OneHotEncoder::from_sorted(categories, unknown))
    }

    pub(crate) fn from_sorted(categories: Vec<String>, unknown: Unknown) -> OneHotEncoder {
        let numeric = all_numbers(&categories);
        OneHotEncoder {
            categories,
            unknown,
            numeric,
        }
    }

    /// The categories, in the order of their features.
    pub fn categories(&self) -> &[String] {
        &self.categories
    }

    /// Number of features: one per category.
    pub fn n_features(&self) -> usize {
        self.categories.len()
    }

    /// What happens to a category not seen in training.
    pub fn unknown(&self) -> Unknown {
        self.unknown
    }

    /// The feature (from 0) that is 1 for `category`, or `None` if it was
    /// not seen in training.
    pub fn position(&self, category: &str) -> Option<usize> {
        if self.numeric && as_number(category).is_none() {
            return None;
        }
        self.categories
            .binary_search_by(|c| compare(c, category, self.numeric))
            .ok()
    }

    /// The encoder as bytes: see [`Preprocessor::to_bytes`](super::Preprocessor::to_bytes)
    /// for the format.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut w = Writer::new(Kind::OneHotEncoder);
        self.write(&mut w);
        w.finish()
    }

    /// An encoder from [`OneHotEncoder::to_bytes`].
    ///
    /// # Errors
    /// [`Error::PrepFormat`] if the bytes are not a valid one-hot encoder.
    pub fn from_bytes(bytes: &[u8]) -> Result<OneHotEncoder> {
        let mut r = Reader::new(bytes, Kind::OneHotEncoder)?;
        let enc = OneHotEncoder::read(&mut r)?;
        r.finish()?;
        Ok(enc)
    }

    pub(crate) fn write(&self, w: &mut Writer) {
        w.u8(match self.unknown {
            Unknown::Error => 0,
            Unknown::Ignore => 1,
        });
        w.strings(&self.categories);
    }

    pub(crate) fn read(r: &mut Reader<'_>) -> Result<OneHotEncoder> {
        let unknown = match r.u8()? {
            0 => Unknown::Error,
            1 => Unknown::Ignore,
            other => return Err(r.error(format!("unknown-category code {other}, not 0 or 1"))),
        };
        let categories = r.strings()?;
        check_sorted(&categories).map_err(|reason| r.error(reason))?;
        Ok(OneHotEncoder::from_sorted(categories, unknown))
    }
}
