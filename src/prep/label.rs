//! [`LabelEncoder`]: class labels (numbers or text) ↔ class indices 0..k.

use std::cmp::Ordering;
use std::collections::{HashMap, HashSet};
use std::fmt::{Display, Write};

use nalgebra::DMatrix;

use super::Target;
use super::codec::{Kind, Reader, Writer};
use crate::{Error, Real, Result};

/// The mapping between a classification target's labels and the class
/// indices 0, 1, …, k − 1 that a network's output neurons stand for.
///
/// Labels may be anything written as text: integers (`0`, `7`, `-1`),
/// other numbers, or words (`"setosa"`), any number of classes. The
/// classes are numbered in sorted order of their labels:
/// - if every label is a number (it parses as a finite `f64`, as `"3"`,
///   `"-1"`, `"2.5"` do), by value (labels of equal value, `"7"` and
///   `"07"`, by their text);
/// - otherwise by their text, byte by byte (Unicode code point order, so
///   `"Zebra"` < `"apple"` and `"10"` < `"9"` when words are among them).
///
/// This is scikit-learn's `LabelEncoder` order for integer labels and for
/// text labels.
///
/// # Examples
/// ```
/// use neuralnet::prep::LabelEncoder;
/// let enc = LabelEncoder::fit(&[10, 9, 10, -1])?;
/// assert_eq!(enc.classes(), ["-1", "9", "10"]); // by value, not "10" < "9"
/// assert_eq!(enc.encode(&[9, 10])?, [1, 2]);
/// assert_eq!(enc.decode(&[0, 2])?, ["-1", "10"]);
///
/// let words = LabelEncoder::fit(&["setosa", "virginica", "versicolor"])?;
/// assert_eq!(words.classes(), ["setosa", "versicolor", "virginica"]);
/// # Ok::<(), neuralnet::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(
        try_from = "super::serde_impls::LabelRepr",
        into = "super::serde_impls::LabelRepr"
    )
)]
pub struct LabelEncoder {
    classes: Vec<String>,
    index: HashMap<String, usize>,
}

impl LabelEncoder {
    /// Learns the classes from the training labels (anything that
    /// implements `Display`: `&str`, `String`, integers).
    ///
    /// # Errors
    /// [`Error::EmptyData`] if there are no labels; [`Error::InvalidConfig`]
    /// if there are 2³² or more, or a label is 4 GiB long or more.
    pub fn fit<L: Display>(labels: &[L]) -> Result<LabelEncoder> {
        let mut text = String::new();
        let mut seen = HashSet::new();
        for label in labels {
            text.clear();
            write!(text, "{label}").expect("writing to a String cannot fail");
            if !seen.contains(text.as_str()) {
                seen.insert(text.clone());
            }
        }
        LabelEncoder::from_distinct(seen.into_iter().collect(), labels.len())
    }

    /// Learns the classes from a [`Target`]: its text labels, or its
    /// numbers written as Rust writes an `f64` (`3` for 3.0, `2.5`).
    ///
    /// # Errors
    /// As [`LabelEncoder::fit`].
    pub fn fit_target(target: &Target) -> Result<LabelEncoder> {
        match target {
            Target::Numeric(v) => LabelEncoder::fit(v),
            Target::Labels(v) => LabelEncoder::fit(v),
        }
    }

    fn from_distinct(mut classes: Vec<String>, labels: usize) -> Result<LabelEncoder> {
        if labels == 0 {
            return Err(Error::EmptyData {
                what: "list of labels",
            });
        }
        if labels >= u32::MAX as usize || classes.iter().any(|c| c.len() >= u32::MAX as usize) {
            return Err(Error::InvalidConfig {
                name: "labels",
                reason: "2³² labels or more, or a label of 4 GiB or more".into(),
            });
        }
        sort_labels(&mut classes);
        Ok(LabelEncoder::from_sorted(classes))
    }

    pub(crate) fn from_sorted(classes: Vec<String>) -> LabelEncoder {
        let index = classes
            .iter()
            .enumerate()
            .map(|(i, c)| (c.clone(), i))
            .collect();
        LabelEncoder { classes, index }
    }

    /// Number of classes k.
    pub fn n_classes(&self) -> usize {
        self.classes.len()
    }

    /// The labels of the classes 0..k, in order.
    pub fn classes(&self) -> &[String] {
        &self.classes
    }

    /// The class index of a label, if it was seen when fitting.
    pub fn class_of(&self, label: &str) -> Option<usize> {
        self.index.get(label).copied()
    }

    /// The label of class `class`, if there is such a class.
    pub fn label(&self, class: usize) -> Option<&str> {
        self.classes.get(class).map(String::as_str)
    }

    /// The class index of each label.
    ///
    /// # Errors
    /// [`Error::UnknownLabel`] for the first label not seen when fitting.
    pub fn encode<L: Display>(&self, labels: &[L]) -> Result<Vec<usize>> {
        let mut text = String::new();
        labels
            .iter()
            .map(|label| {
                text.clear();
                write!(text, "{label}").expect("writing to a String cannot fail");
                self.class_of(&text).ok_or_else(|| Error::UnknownLabel {
                    label: text.clone(),
                    classes: self.n_classes(),
                })
            })
            .collect()
    }

    /// The class index of each example of a [`Target`].
    ///
    /// # Errors
    /// As [`LabelEncoder::encode`].
    pub fn encode_target(&self, target: &Target) -> Result<Vec<usize>> {
        match target {
            Target::Numeric(v) => self.encode(v),
            Target::Labels(v) => self.encode(v),
        }
    }

    /// The label of each class index (as a network's predictions give them).
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] for an index of k or more.
    pub fn decode(&self, classes: &[usize]) -> Result<Vec<&str>> {
        classes
            .iter()
            .map(|&c| self.label(c).ok_or_else(|| self.bad_class(c)))
            .collect()
    }

    fn bad_class(&self, class: usize) -> Error {
        Error::InvalidConfig {
            name: "class",
            reason: format!("class {class} asked of {} classes", self.n_classes()),
        }
    }

    /// One-hot targets for a network: column j is all zeros but a 1 in row
    /// `classes[j]`.
    ///
    /// # Shapes
    /// k × m: one row per class, one column per example.
    ///
    /// # Examples
    /// ```
    /// use neuralnet::prep::LabelEncoder;
    /// let enc = LabelEncoder::fit(&["no", "yes"])?;
    /// let y = enc.one_hot::<f32>(&enc.encode(&["yes", "no", "yes"])?)?;
    /// assert_eq!(y.shape(), (2, 3));
    /// assert_eq!(y.column(0).as_slice(), [0.0, 1.0]);
    /// # Ok::<(), neuralnet::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] for an index of k or more;
    /// [`Error::Allocation`] if the matrix does not fit in memory.
    pub fn one_hot<T: Real>(&self, classes: &[usize]) -> Result<DMatrix<T>> {
        let k = self.n_classes();
        if let Some(&c) = classes.iter().find(|&&c| c >= k) {
            return Err(self.bad_class(c));
        }
        let mut y = super::zeros::<T>(k, classes.len(), "the one-hot targets")?;
        for (j, &c) in classes.iter().enumerate() {
            y[(c, j)] = T::one();
        }
        Ok(y)
    }

    /// The encoder as bytes: see [`Preprocessor::to_bytes`](super::Preprocessor::to_bytes)
    /// for the format.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut w = Writer::new(Kind::LabelEncoder);
        self.write(&mut w);
        w.finish()
    }

    /// An encoder from [`LabelEncoder::to_bytes`].
    ///
    /// # Errors
    /// [`Error::PrepFormat`] if the bytes are not a valid label encoder.
    pub fn from_bytes(bytes: &[u8]) -> Result<LabelEncoder> {
        let mut r = Reader::new(bytes, Kind::LabelEncoder)?;
        let enc = LabelEncoder::read(&mut r)?;
        r.finish()?;
        Ok(enc)
    }

    pub(crate) fn write(&self, w: &mut Writer) {
        w.strings(&self.classes);
    }

    pub(crate) fn read(r: &mut Reader<'_>) -> Result<LabelEncoder> {
        let classes = r.strings()?;
        check_sorted(&classes).map_err(|reason| r.error(reason))?;
        Ok(LabelEncoder::from_sorted(classes))
    }
}

/// The number a label stands for, if it is one (finite).
pub(crate) fn as_number(label: &str) -> Option<f64> {
    label.parse::<f64>().ok().filter(|x| x.is_finite())
}

/// Whether labels sort by value: every one is a number.
pub(crate) fn all_numbers(labels: &[String]) -> bool {
    labels.iter().all(|l| as_number(l).is_some())
}

/// Sorts labels (or categories) as [`LabelEncoder`] documents: by value
/// when all are numbers, otherwise by text.
pub(crate) fn sort_labels(labels: &mut [String]) {
    let numeric = all_numbers(labels);
    labels.sort_by(|a, b| compare(a, b, numeric));
}

/// The order of two labels: by value then text if `numeric` (a label that
/// is not a number then counts as 0), otherwise by text.
pub(crate) fn compare(a: &str, b: &str, numeric: bool) -> Ordering {
    if !numeric {
        return a.cmp(b);
    }
    let (x, y) = (as_number(a).unwrap_or(0.0), as_number(b).unwrap_or(0.0));
    x.total_cmp(&y).then_with(|| a.cmp(b))
}

/// Whether `labels` are non-empty, distinct and in [`sort_labels`] order
/// (what a valid saved encoder holds).
pub(crate) fn check_sorted(labels: &[String]) -> std::result::Result<(), &'static str> {
    if labels.is_empty() {
        return Err("the list is empty");
    }
    let numeric = all_numbers(labels);
    if !labels
        .windows(2)
        .all(|w| compare(&w[0], &w[1], numeric) == Ordering::Less)
    {
        return Err("the labels are not distinct and in sorted order");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_sort_by_value_and_words_by_text() {
        let mut v: Vec<String> = ["10", "9", "-1", "2.5", "07", "7"].map(String::from).into();
        sort_labels(&mut v);
        assert_eq!(v, ["-1", "2.5", "07", "7", "9", "10"]);
        let mut w: Vec<String> = ["b", "10", "9", "B", "a"].map(String::from).into();
        sort_labels(&mut w);
        assert_eq!(w, ["10", "9", "B", "a", "b"]);
        assert!(check_sorted(&v).is_ok() && check_sorted(&w).is_ok());
        assert!(check_sorted(&["9".into(), "10".into(), "10".into()]).is_err());
    }

    #[test]
    fn integer_and_float_labels_of_a_target_agree() {
        let enc = LabelEncoder::fit_target(&Target::Numeric(vec![2.0, 0.0, 1.0])).unwrap();
        assert_eq!(enc.classes(), ["0", "1", "2"]);
        assert_eq!(enc.encode(&[2u8, 0]).unwrap(), [2, 0]);
        assert!(matches!(
            enc.encode(&["3"]),
            Err(Error::UnknownLabel { classes: 3, .. })
        ));
    }
}
