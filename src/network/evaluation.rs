//! What evaluating a network on a data set tells: [`Evaluation`] and
//! [`ConfusionMatrix`].

use std::fmt;

/// The result of [`Network::evaluate`](crate::Network::evaluate).
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct Evaluation {
    /// Examples classified correctly.
    pub correct: usize,
    /// Examples evaluated.
    pub total: usize,
    /// The average cost (1/n) Σ_x C_x (without any regularisation term).
    pub cost: f64,
}

impl Evaluation {
    /// `correct` of `total` examples right, at an average cost `cost`.
    pub fn new(correct: usize, total: usize, cost: f64) -> Self {
        Evaluation {
            correct,
            total,
            cost,
        }
    }

    /// The fraction classified correctly, in [0, 1] (0 for no examples).
    pub fn accuracy(&self) -> f64 {
        if self.total == 0 {
            0.0
        } else {
            self.correct as f64 / self.total as f64
        }
    }
}

/// How often each class was taken for each other: entry (i, j) counts the
/// examples of true class i that the network called j. The diagonal holds
/// the correct answers. Made by
/// [`Network::confusion_matrix`](crate::Network::confusion_matrix).
///
/// # Examples
/// ```
/// use neuralnet::ConfusionMatrix;
/// let m = ConfusionMatrix::from_pairs(3, [(0, 0), (1, 1), (1, 2), (2, 2)])?;
/// assert_eq!(m.count(1, 2), 1); // one 1 taken for a 2
/// assert_eq!(m.correct(), 3);
/// assert_eq!(m.accuracy(), 0.75);
/// # Ok::<(), neuralnet::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfusionMatrix {
    classes: usize,
    /// Row-major: counts[truth * classes + predicted].
    counts: Vec<usize>,
}

impl ConfusionMatrix {
    /// A matrix of `classes` × `classes` counts from (true class, predicted
    /// class) pairs.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`](crate::Error::InvalidConfig) if a class is
    /// `classes` or more.
    pub fn from_pairs(
        classes: usize,
        pairs: impl IntoIterator<Item = (usize, usize)>,
    ) -> crate::Result<Self> {
        let mut counts = Vec::new();
        counts
            .try_reserve_exact(classes.saturating_mul(classes))
            .map_err(|_| crate::Error::InvalidConfig {
                name: "classes",
                reason: format!("{classes} classes make a matrix too large to allocate"),
            })?;
        counts.resize(classes * classes, 0);
        for (truth, predicted) in pairs {
            if truth >= classes || predicted >= classes {
                return Err(crate::Error::InvalidConfig {
                    name: "classes",
                    reason: format!(
                        "the pair (true {truth}, predicted {predicted}) is not below the {classes} classes"
                    ),
                });
            }
            counts[truth * classes + predicted] += 1;
        }
        Ok(ConfusionMatrix { classes, counts })
    }

    /// Number of classes (rows and columns).
    pub fn classes(&self) -> usize {
        self.classes
    }

    /// Examples of true class `truth` that were predicted as `predicted`
    /// (0 for a class out of range).
    pub fn count(&self, truth: usize, predicted: usize) -> usize {
        if truth < self.classes && predicted < self.classes {
            self.counts[truth * self.classes + predicted]
        } else {
            0
        }
    }

    /// Row `truth`: how the examples of that class were predicted.
    pub fn row(&self, truth: usize) -> &[usize] {
        let start = truth.min(self.classes) * self.classes;
        &self.counts[start..(start + self.classes).min(self.counts.len())]
    }

    /// Examples counted.
    pub fn total(&self) -> usize {
        self.counts.iter().sum()
    }

    /// Examples on the diagonal: predicted as their true class.
    pub fn correct(&self) -> usize {
        (0..self.classes).map(|i| self.count(i, i)).sum()
    }

    /// The fraction predicted correctly (0 for no examples).
    pub fn accuracy(&self) -> f64 {
        match self.total() {
            0 => 0.0,
            n => self.correct() as f64 / n as f64,
        }
    }
}

impl fmt::Display for ConfusionMatrix {
    /// A table: one row per true class, one column per predicted class.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let width = self
            .counts
            .iter()
            .max()
            .map_or(1, |m| m.to_string().len())
            .max(3);
        write!(f, "true\\pred")?;
        for j in 0..self.classes {
            write!(f, " {j:>width$}")?;
        }
        writeln!(f)?;
        for i in 0..self.classes {
            write!(f, "{i:>9}")?;
            for c in self.row(i) {
                write!(f, " {c:>width$}")?;
            }
            writeln!(f)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accuracy_is_correct_over_total() {
        let e = Evaluation {
            correct: 3,
            total: 4,
            cost: 0.0,
        };
        assert_eq!(e.accuracy(), 0.75);
        let none = Evaluation {
            correct: 0,
            total: 0,
            cost: 0.0,
        };
        assert_eq!(none.accuracy(), 0.0);
    }

    #[test]
    fn confusion_matrix_counts_and_refuses_bad_classes() {
        let m = ConfusionMatrix::from_pairs(2, [(0, 1), (0, 1), (1, 1)]).unwrap();
        assert_eq!(m.row(0), &[0, 2]);
        assert_eq!((m.total(), m.correct()), (3, 1));
        assert_eq!(m.count(5, 0), 0);
        assert!(ConfusionMatrix::from_pairs(2, [(2, 0)]).is_err());
        assert!(m.to_string().contains("true\\pred"));
    }
}
