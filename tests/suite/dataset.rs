//! `Dataset`: building, slicing, splitting and shuffling, and `one_hot`.

use neuralnet::nalgebra::DMatrix;
use neuralnet::rand::SeedableRng;
use neuralnet::rand::rngs::StdRng;
use neuralnet::{Dataset, Error, one_hot};

/// n examples: input j is (j, 10j), target j is (j mod 3) one-hot.
fn numbered(n: usize) -> Dataset<f64> {
    let x = DMatrix::from_fn(2, n, |i, j| (j * 10usize.pow(i as u32)) as f64);
    let labels: Vec<u8> = (0..n).map(|j| (j % 3) as u8).collect();
    Dataset::from_labels(x, &labels, 3).unwrap()
}

/// The example numbers of `data`, read back from its first input row.
fn numbers(data: &Dataset<f64>) -> Vec<usize> {
    data.inputs().row(0).iter().map(|&v| v as usize).collect()
}

#[test]
fn a_slice_takes_the_examples_asked_for() {
    let data = numbered(5);
    let s = data.slice(1, 3).unwrap();
    assert_eq!(numbers(&s), [1, 2, 3]);
    assert_eq!(s.classes(), [1, 2, 0]);
    assert_eq!(data.slice(0, 5).unwrap(), data, "the whole set");
    assert_eq!(data.slice(2, 3).unwrap().len(), 3, "up to the end");
    assert!(data.slice(5, 0).unwrap().is_empty(), "empty, at the end");
}

#[test]
fn a_slice_past_the_end_is_an_error() {
    let data = numbered(5);
    for (start, len) in [
        (0, 6),
        (3, 3),
        (5, 1),
        (6, 0),
        (1, usize::MAX),
        (usize::MAX, 2),
    ] {
        let err = data.slice(start, len).unwrap_err();
        assert!(
            matches!(err, Error::InvalidConfig { name: "range", .. }),
            "{start}, {len}: {err}"
        );
    }
    assert!(numbered(0).slice(0, 1).is_err());
}

#[test]
fn split_at_splits_and_refuses_a_point_past_the_end() {
    let data = numbered(5);
    let (a, b) = data.split_at(2).unwrap();
    assert_eq!((numbers(&a), numbers(&b)), (vec![0, 1], vec![2, 3, 4]));
    let (all, none) = data.split_at(5).unwrap();
    assert_eq!((all.len(), none.len()), (5, 0));
    let (none, all) = data.split_at(0).unwrap();
    assert_eq!((none.len(), all), (0, data.clone()));
    for mid in [6, usize::MAX] {
        assert!(matches!(
            data.split_at(mid),
            Err(Error::InvalidConfig { .. })
        ));
    }
}

#[test]
fn shuffle_keeps_each_input_with_its_target() {
    let data = numbered(50);
    let mut shuffled = data.clone();
    shuffled.shuffle(&mut StdRng::seed_from_u64(3));
    let order = numbers(&shuffled);
    assert_ne!(order, (0..50).collect::<Vec<_>>(), "the order changed");
    let mut sorted = order.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, (0..50).collect::<Vec<_>>(), "a permutation");
    for (j, &k) in order.iter().enumerate() {
        assert_eq!(shuffled.inputs().column(j), data.inputs().column(k));
        assert_eq!(shuffled.targets().column(j), data.targets().column(k));
    }
    // The same seed, the same order.
    let mut again = data.clone();
    again.shuffle(&mut StdRng::seed_from_u64(3));
    assert_eq!(again, shuffled);
}

#[test]
fn from_rows_is_new_of_the_transposes() {
    let x = DMatrix::from_fn(4, 3, |i, j| (i * 3 + j) as f64 / 7.0);
    let y = DMatrix::from_fn(4, 2, |i, j| ((i + j) % 2) as f64);
    let rows = Dataset::from_rows(&x, &y).unwrap();
    assert_eq!(rows, Dataset::new(x.transpose(), y.transpose()).unwrap());
    assert_eq!(
        (rows.len(), rows.input_size(), rows.target_size()),
        (4, 3, 2)
    );
    assert!(matches!(
        Dataset::from_rows(&x, &DMatrix::zeros(5, 2)),
        Err(Error::ExampleCount {
            inputs: 4,
            targets: 5
        })
    ));
}

#[test]
fn classes_are_the_labels_or_a_threshold_at_one_half() {
    assert_eq!(numbered(5).classes(), [0, 1, 2, 0, 1]);
    let y = DMatrix::from_row_slice(1, 3, &[0.2, 0.9, 0.5]);
    let single = Dataset::new(DMatrix::zeros(1, 3), y).unwrap();
    assert_eq!(single.classes(), [0, 1, 0]);
}

#[test]
fn one_hot_puts_a_one_in_the_label_row() {
    let y = one_hot::<f32>(&[2, 0], 3).unwrap();
    assert_eq!(y.as_slice(), &[0.0, 0.0, 1.0, 1.0, 0.0, 0.0]);
    assert_eq!(one_hot::<f64>(&[], 4).unwrap().shape(), (4, 0));
}

#[test]
fn one_hot_refuses_targets_too_large_to_allocate_before_allocating() {
    // classes × labels overflows.
    let err = one_hot::<f64>(&[0, 1, 2], usize::MAX / 2).unwrap_err();
    assert!(
        matches!(
            err,
            Error::InvalidConfig {
                name: "classes",
                ..
            }
        ),
        "{err}"
    );
    // classes × labels does not overflow but is past what can be addressed
    // (allocating it would abort the process, not return).
    let past = isize::MAX as usize / 8 + 1;
    for (classes, labels) in [(past, &[0][..]), (past / 2 + 1, &[0, 0][..])] {
        let err = one_hot::<f32>(labels, classes).unwrap_err();
        assert!(
            matches!(
                err,
                Error::InvalidConfig {
                    name: "classes",
                    ..
                }
            ),
            "{classes} × {}: {err}",
            labels.len()
        );
    }
}
