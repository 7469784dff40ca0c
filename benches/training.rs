//! The hot loop, timed: feedforward of a batch, backpropagation of a
//! mini-batch, and one SGD epoch of the two MNIST workloads on 50,000
//! synthetic 784-pixel examples, in f32 and f64.
//!
//! `cargo bench --bench training`; `cargo bench --bench training -- sgd/` for
//! one group. Throughput is in examples per second.

use std::hint::black_box;
use std::ops::ControlFlow;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use nalgebra::DMatrix;
use neuralnet::{Cost, CrossEntropy, Dataset, Init, Network, Quadratic, Real, Sgd};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

/// `n` examples of 784 pixels in [0, 1] with random digit labels.
fn synthetic<T: Real>(n: usize, seed: u64) -> Dataset<T> {
    let mut rng = StdRng::seed_from_u64(seed);
    let x = DMatrix::from_fn(784, n, |_, _| {
        nalgebra::convert::<f64, T>(rng.random_range(0.0..1.0))
    });
    let labels: Vec<u8> = (0..n).map(|_| rng.random_range(0..10u8)).collect();
    Dataset::from_labels(x, &labels, 10).expect("one label per column")
}

fn network<T: Real>(hidden: usize) -> Network<T> {
    let mut rng = StdRng::seed_from_u64(1);
    Network::new(&[784, hidden, 10], Init::ScaledNormal, &mut rng).expect("valid sizes")
}

fn dtype<T: Real>() -> &'static str {
    std::any::type_name::<T>()
}

fn feedforward<T: Real>(c: &mut Criterion) {
    let data = synthetic::<T>(1_000, 2);
    let mut group = c.benchmark_group("feedforward");
    group.throughput(Throughput::Elements(data.len() as u64));
    for hidden in [30, 100] {
        let net = network::<T>(hidden);
        group.bench_function(
            format!("784-{hidden}-10/batch-1000/{}", dtype::<T>()),
            |b| {
                b.iter(|| {
                    black_box(
                        net.feedforward_batch(black_box(data.inputs()))
                            .expect("sizes fit"),
                    )
                })
            },
        );
    }
    group.finish();
}

fn backprop<T: Real>(c: &mut Criterion) {
    let mut group = c.benchmark_group("backprop");
    for m in [10, 100] {
        let data = synthetic::<T>(m, 3);
        let net = network::<T>(30);
        group.throughput(Throughput::Elements(m as u64));
        group.bench_function(format!("784-30-10/batch-{m}/{}", dtype::<T>()), |b| {
            b.iter(|| {
                black_box(
                    net.backprop(
                        black_box(data.inputs()),
                        black_box(data.targets()),
                        &Quadratic,
                    )
                    .expect("sizes fit"),
                )
            })
        });
    }
    group.finish();
}

fn sgd_epoch<T: Real>(c: &mut Criterion) {
    let data = synthetic::<T>(50_000, 4);
    let mut group = c.benchmark_group("sgd");
    group.sample_size(10);
    group.throughput(Throughput::Elements(data.len() as u64));
    let workloads: [(&str, usize, &dyn Cost<T>, f64, f64); 2] = [
        ("A-784-30-10-quadratic", 30, &Quadratic, 3.0, 0.0),
        (
            "B-784-100-10-cross-entropy-l2",
            100,
            &CrossEntropy,
            0.5,
            5.0,
        ),
    ];
    for (name, hidden, cost, eta, lambda) in workloads {
        let sgd = Sgd::new()
            .with_learning_rate(eta)
            .with_mini_batch_size(10)
            .with_epochs(1)
            .with_l2_lambda(lambda);
        group.bench_function(format!("epoch-50k/{name}/{}", dtype::<T>()), |b| {
            b.iter_batched(
                || (network::<T>(hidden), StdRng::seed_from_u64(5)),
                |(mut net, mut rng)| {
                    sgd.train(&mut net, &data, None, cost, &mut rng, |_, _| {
                        ControlFlow::Continue(())
                    })
                    .expect("training runs");
                    net
                },
                BatchSize::LargeInput,
            )
        });
    }
    group.finish();
}

fn all(c: &mut Criterion) {
    feedforward::<f32>(c);
    feedforward::<f64>(c);
    backprop::<f32>(c);
    backprop::<f64>(c);
    sgd_epoch::<f32>(c);
    sgd_epoch::<f64>(c);
}

criterion_group!(benches, all);
criterion_main!(benches);
