//! Workload C, the wide and deep network beyond the lecture: [784, 500,
//! 500, 10], cross-entropy, λ = 5, η = 0.5, N(0, 1/n_in) weights (issue
//! #11), on synthetic 784-pixel examples.
//!
//! - `sgd/epoch-5k/C-.../m{10,100}/{f32,f64}/t{1,2}`: one SGD epoch over 5,000
//!   examples (a tenth of the MNIST epoch: multiply the time by 10 for a
//!   50,000-image epoch; 19.4 GFLOP of work, 6 FLOP per weight and example);
//! - `feedforward/C-.../batch-10000/f32/t{1,2}`: the outputs of 10,000
//!   examples (the size of the MNIST test set) in one call, 12.9 GFLOP.
//!
//! `cargo bench --bench wide`; `cargo bench --bench wide -- m100` for a
//! subset. Throughput is in examples per second.

use std::hint::black_box;
use std::ops::ControlFlow;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use nalgebra::DMatrix;
use neuralnet::threads::set_num_threads;
use neuralnet::{CrossEntropy, Dataset, Init, Network, Real, Sgd};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

const SIZES: [usize; 4] = [784, 500, 500, 10];
const NAME: &str = "C-784-500-500-10";

/// `n` examples of 784 pixels in [0, 1] with random digit labels.
fn synthetic<T: Real>(n: usize, seed: u64) -> Dataset<T> {
    let mut rng = StdRng::seed_from_u64(seed);
    let x = DMatrix::from_fn(784, n, |_, _| {
        nalgebra::convert::<f64, T>(rng.random_range(0.0..1.0))
    });
    let labels: Vec<u8> = (0..n).map(|_| rng.random_range(0..10u8)).collect();
    Dataset::from_labels(x, &labels, 10).expect("one label per column")
}

fn network<T: Real>() -> Network<T> {
    let mut rng = StdRng::seed_from_u64(1);
    Network::new(&SIZES, Init::ScaledNormal, &mut rng).expect("valid sizes")
}

fn dtype<T: Real>() -> &'static str {
    std::any::type_name::<T>()
}

fn sgd_epoch<T: Real>(c: &mut Criterion, runs: &[(usize, usize)]) {
    let data = synthetic::<T>(5_000, 4);
    let mut group = c.benchmark_group("sgd");
    group.sample_size(10);
    group.throughput(Throughput::Elements(data.len() as u64));
    for &(m, threads) in runs {
        // λ = 5 over the 50,000 images of the real epoch.
        let sgd = Sgd::new()
            .with_learning_rate(0.5)
            .with_mini_batch_size(m)
            .with_epochs(1)
            .with_l2_lambda(5.0 * data.len() as f64 / 50_000.0);
        let id = format!("epoch-5k/{NAME}/m{m}/{}/t{threads}", dtype::<T>());
        group.bench_function(id, |b| {
            set_num_threads(threads);
            b.iter_batched(
                || (network::<T>(), StdRng::seed_from_u64(5)),
                |(mut net, mut rng)| {
                    sgd.train(&mut net, &data, None, &CrossEntropy, &mut rng, |_, _| {
                        ControlFlow::Continue(())
                    })
                    .expect("training runs");
                    net
                },
                BatchSize::LargeInput,
            );
            set_num_threads(1);
        });
    }
    group.finish();
}

fn feedforward<T: Real>(c: &mut Criterion) {
    let data = synthetic::<T>(10_000, 2);
    let net = network::<T>();
    let mut group = c.benchmark_group("feedforward");
    group.sample_size(10);
    group.throughput(Throughput::Elements(data.len() as u64));
    for threads in [1, 2] {
        let id = format!("{NAME}/batch-10000/{}/t{threads}", dtype::<T>());
        group.bench_function(id, |b| {
            set_num_threads(threads);
            b.iter(|| {
                black_box(
                    net.feedforward_batch(black_box(data.inputs()))
                        .expect("sizes fit"),
                )
            });
            set_num_threads(1);
        });
    }
    group.finish();
}

fn all(c: &mut Criterion) {
    sgd_epoch::<f32>(c, &[(10, 1), (100, 1), (100, 2)]);
    sgd_epoch::<f64>(c, &[(100, 1)]);
    feedforward::<f32>(c);
}

criterion_group!(benches, all);
criterion_main!(benches);
