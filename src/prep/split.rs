//! Train/test splits and k-fold cross-validation, plain or stratified, as
//! row indices, shuffled with the caller's RNG.

use rand::Rng;
use rand::seq::SliceRandom;

use crate::{Error, Result};

/// Two sets of row indices: the examples to train on and those to test
/// (or validate) on. Together they hold every row once.
///
/// Pass them to [`Table::select_rows`](super::Table::select_rows) and
/// [`Target::select`](super::Target::select).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Split {
    /// Rows to train on, in random order.
    pub train: Vec<usize>,
    /// Rows to test on, in random order.
    pub test: Vec<usize>,
}

/// How many of `n` examples a fraction takes: ⌈fraction · n⌉, at least 1
/// and leaving at least 1 (scikit-learn's rounding).
fn test_count(n: usize, fraction: f64) -> Result<usize> {
    if !(fraction > 0.0 && fraction < 1.0) {
        return Err(Error::InvalidConfig {
            name: "test_fraction",
            reason: format!("{fraction} is not between 0 and 1 (exclusive); 0.2 is usual"),
        });
    }
    if n < 2 {
        return Err(Error::InvalidConfig {
            name: "examples",
            reason: format!("{n} examples cannot be split in two; at least 2 are needed"),
        });
    }
    Ok(((fraction * n as f64).ceil() as usize).clamp(1, n - 1))
}

/// A random train/test split of `n` examples: ⌈test_fraction · n⌉ of them
/// (at least one, and leaving one) for testing, the rest for training.
///
/// # Examples
/// ```
/// use neuralnet::prep::train_test_split;
/// use neuralnet::rand::{SeedableRng, rngs::StdRng};
/// let split = train_test_split(10, 0.25, &mut StdRng::seed_from_u64(1))?;
/// assert_eq!((split.train.len(), split.test.len()), (7, 3));
/// # Ok::<(), neuralnet::Error>(())
/// ```
///
/// # Errors
/// [`Error::InvalidConfig`] unless 0 < `test_fraction` < 1 and n ≥ 2.
pub fn train_test_split<R: Rng + ?Sized>(
    n: usize,
    test_fraction: f64,
    rng: &mut R,
) -> Result<Split> {
    let n_test = test_count(n, test_fraction)?;
    let mut order: Vec<usize> = (0..n).collect();
    order.shuffle(rng);
    let train = order.split_off(n_test);
    Ok(Split { train, test: order })
}

/// The rows of each class present, in order of class index.
fn members(classes: &[usize]) -> Vec<Vec<usize>> {
    let mut out = std::collections::BTreeMap::<usize, Vec<usize>>::new();
    for (row, &c) in classes.iter().enumerate() {
        out.entry(c).or_default().push(row);
    }
    out.into_values().collect()
}

/// A random train/test split that keeps each class's share: about
/// `test_fraction` of every class's examples go to the test set
/// (scikit-learn's `train_test_split(..., stratify=y)`).
///
/// The test set has ⌈test_fraction · n⌉ examples, shared out among the
/// classes in proportion to their sizes (the rounding remainders go to the
/// classes with the largest fractional shares, the lower class first on a
/// tie), except that a class always keeps at least one example for
/// training: a class of one example is never tested, and the test set is
/// then smaller.
///
/// # Examples
/// ```
/// use neuralnet::prep::stratified_train_test_split;
/// use neuralnet::rand::{SeedableRng, rngs::StdRng};
/// let classes = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1];
/// let split = stratified_train_test_split(&classes, 0.5, &mut StdRng::seed_from_u64(1))?;
/// let tested_ones = split.test.iter().filter(|&&i| classes[i] == 1).count();
/// assert_eq!((split.test.len(), tested_ones), (5, 1));
/// # Ok::<(), neuralnet::Error>(())
/// ```
///
/// # Errors
/// [`Error::InvalidConfig`] unless 0 < `test_fraction` < 1 and there are
/// at least 2 examples.
pub fn stratified_train_test_split<R: Rng + ?Sized>(
    classes: &[usize],
    test_fraction: f64,
    rng: &mut R,
) -> Result<Split> {
    let n = classes.len();
    let n_test = test_count(n, test_fraction)?;
    let groups = members(classes);
    // Each class's ideal share n_test · n_c / n: its floor, then one more for
    // the largest remainders while the total falls short.
    let ideal = |c: usize| n_test as u128 * groups[c].len() as u128;
    let mut share: Vec<usize> = (0..groups.len())
        .map(|c| (ideal(c) / n as u128) as usize)
        .collect();
    let mut by_remainder: Vec<usize> = (0..groups.len()).collect();
    by_remainder.sort_by_key(|&c| std::cmp::Reverse(ideal(c) % n as u128));
    let mut left = n_test - share.iter().sum::<usize>();
    for &c in &by_remainder {
        if left == 0 {
            break;
        }
        if share[c] + 1 < groups[c].len() {
            share[c] += 1;
            left -= 1;
        }
    }
    let (mut train, mut test) = (Vec::with_capacity(n), Vec::with_capacity(n_test));
    for (mut group, &s) in groups.into_iter().zip(&share) {
        // Keep one example of every class for training.
        let s = s.min(group.len().saturating_sub(1));
        group.shuffle(rng);
        test.extend_from_slice(&group[..s]);
        train.extend_from_slice(&group[s..]);
    }
    train.shuffle(rng);
    test.shuffle(rng);
    Ok(Split { train, test })
}

fn check_folds(n: usize, k: usize) -> Result<()> {
    if k < 2 || k > n {
        return Err(Error::InvalidConfig {
            name: "folds",
            reason: format!("{k} folds of {n} examples; use 2 to {n} folds (5 is usual)"),
        });
    }
    Ok(())
}

/// Folds in which the test rows are `fold_of[row] == i`.
fn folds_from<R: Rng + ?Sized>(fold_of: &[usize], k: usize, rng: &mut R) -> Vec<Split> {
    (0..k)
        .map(|i| {
            let (mut test, mut train): (Vec<usize>, Vec<usize>) =
                (0..fold_of.len()).partition(|&row| fold_of[row] == i);
            train.shuffle(rng);
            test.shuffle(rng);
            Split { train, test }
        })
        .collect()
}

/// k-fold cross-validation: the `n` examples shuffled and dealt into `k`
/// folds of sizes differing by at most one; split i tests on fold i and
/// trains on the others.
///
/// # Examples
/// ```
/// use neuralnet::prep::k_fold;
/// use neuralnet::rand::{SeedableRng, rngs::StdRng};
/// let folds = k_fold(10, 3, &mut StdRng::seed_from_u64(1))?;
/// let sizes: Vec<_> = folds.iter().map(|s| s.test.len()).collect();
/// assert_eq!(sizes, [4, 3, 3]);
/// # Ok::<(), neuralnet::Error>(())
/// ```
///
/// # Errors
/// [`Error::InvalidConfig`] unless 2 ≤ k ≤ n.
pub fn k_fold<R: Rng + ?Sized>(n: usize, k: usize, rng: &mut R) -> Result<Vec<Split>> {
    check_folds(n, k)?;
    let mut order: Vec<usize> = (0..n).collect();
    order.shuffle(rng);
    let mut fold_of = vec![0; n];
    let (size, extra) = (n / k, n % k);
    let mut start = 0;
    for i in 0..k {
        let len = size + usize::from(i < extra);
        for &row in &order[start..start + len] {
            fold_of[row] = i;
        }
        start += len;
    }
    Ok(folds_from(&fold_of, k, rng))
}

/// Stratified k-fold cross-validation: like [`k_fold`], but each class's
/// examples are shuffled and dealt round the folds in turn (continuing
/// from class to class), so that every fold has about the class shares of
/// the whole, and fold sizes differ by at most one. A class with fewer
/// than k examples is then absent from some test folds.
///
/// # Examples
/// ```
/// use neuralnet::prep::stratified_k_fold;
/// use neuralnet::rand::{SeedableRng, rngs::StdRng};
/// let classes = [0, 0, 0, 0, 1, 1, 1, 1];
/// for split in stratified_k_fold(&classes, 2, &mut StdRng::seed_from_u64(1))? {
///     let ones = split.test.iter().filter(|&&i| classes[i] == 1).count();
///     assert_eq!((split.test.len(), ones), (4, 2));
/// }
/// # Ok::<(), neuralnet::Error>(())
/// ```
///
/// # Errors
/// [`Error::InvalidConfig`] unless 2 ≤ k ≤ the number of examples.
pub fn stratified_k_fold<R: Rng + ?Sized>(
    classes: &[usize],
    k: usize,
    rng: &mut R,
) -> Result<Vec<Split>> {
    check_folds(classes.len(), k)?;
    let mut fold_of = vec![0; classes.len()];
    let mut next = 0;
    for mut group in members(classes) {
        group.shuffle(rng);
        for row in group {
            fold_of[row] = next;
            next = (next + 1) % k;
        }
    }
    Ok(folds_from(&fold_of, k, rng))
}
