//! Tests on the real MNIST. They need the four files, so they are ignored by
//! default; run them with
//!
//! ```sh
//! MNIST_DIR=../shared/data/mnist cargo test --release -- --ignored
//! ```

use std::ops::ControlFlow;
use std::path::PathBuf;

use neuralnet::mnist::{self, Mnist, find_file, read_images_file, read_labels_file};
use neuralnet::{Init, Network, Quadratic, Sgd};
use rand::SeedableRng;
use rand::rngs::StdRng;

fn mnist_dir() -> PathBuf {
    let dir = std::env::var_os("MNIST_DIR")
        .expect("set MNIST_DIR to the directory holding the four MNIST files");
    PathBuf::from(dir)
}

#[test]
#[ignore = "needs the real MNIST files in $MNIST_DIR"]
fn the_files_hold_60000_and_10000_records() {
    let dir = mnist_dir();
    let path = |i: usize| find_file(&dir, mnist::FILES[i]).unwrap();
    let train = read_images_file(path(0)).unwrap();
    let train_labels = read_labels_file(path(1)).unwrap();
    let test = read_images_file(path(2)).unwrap();
    let test_labels = read_labels_file(path(3)).unwrap();
    assert_eq!((train.count, train.rows, train.cols), (60_000, 28, 28));
    assert_eq!((test.count, test.rows, test.cols), (10_000, 28, 28));
    assert_eq!((train_labels.len(), test_labels.len()), (60_000, 10_000));
    // The first training digit is the famous 5, the first test digit a 7.
    assert_eq!(train_labels[0], 5);
    assert_eq!(test_labels[0], 7);
    // Every digit occurs, roughly a tenth of the time.
    for d in 0..10u8 {
        let n = train_labels.iter().filter(|&&l| l == d).count();
        assert!((5_000..7_000).contains(&n), "digit {d}: {n}");
    }
}

#[test]
#[ignore = "needs the real MNIST files in $MNIST_DIR"]
fn one_epoch_of_the_lectures_network_recognises_90_percent() {
    let data = Mnist::<f32>::load(mnist_dir()).unwrap();
    assert_eq!(
        (data.training.len(), data.validation.len(), data.test.len()),
        (50_000, 10_000, 10_000)
    );
    let mut rng = StdRng::seed_from_u64(1);
    let mut net = Network::new(&[784, 30, 10], Init::StandardNormal, &mut rng).unwrap();
    let sgd = Sgd::new()
        .with_learning_rate(3.0)
        .with_mini_batch_size(10)
        .with_epochs(1);
    let reports = sgd
        .train(
            &mut net,
            &data.training,
            Some(&data.test),
            &Quadratic,
            &mut rng,
            |_, _| ControlFlow::Continue(()),
        )
        .unwrap();
    let test = reports[0].evaluation.unwrap();
    assert_eq!(test.total, 10_000);
    assert!(
        test.correct >= 9_000,
        "{} / 10000 after one epoch",
        test.correct
    );
}
