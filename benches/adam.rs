//! Adam's epoch against SGD's, in one run: workloads A and B (as
//! `benches/training.rs`, one epoch over 50,000 synthetic examples) and C
//! (as `benches/wide.rs`, one epoch over 5,000, one thread), f32, m = 10.
//! The SGD variant of each is the existing benchmark's settings; the Adam
//! variant is the same data, network, cost, m and λ with
//! `Optimizer::adam()` (β₁ = 0.9, β₂ = 0.999, ε = 10⁻⁸) and η = 0.001.
//!
//! `cargo bench --bench adam`. Throughput is in examples per second.

use std::ops::ControlFlow;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use nalgebra::DMatrix;
use neuralnet::optim::Optimizer;
use neuralnet::threads::set_num_threads;
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

fn network<T: Real>(sizes: &[usize]) -> Network<T> {
    let mut rng = StdRng::seed_from_u64(1);
    Network::new(sizes, Init::ScaledNormal, &mut rng).expect("valid sizes")
}

fn dtype<T: Real>() -> &'static str {
    std::any::type_name::<T>()
}

struct Workload<'a, T: Real> {
    name: &'static str,
    sizes: &'static [usize],
    cost: &'a dyn Cost<T>,
    eta: f64,
    lambda: f64,
    examples: usize,
}

fn epoch<T: Real>(c: &mut Criterion) {
    set_num_threads(1);
    let workloads: [Workload<T>; 3] = [
        Workload {
            name: "A-784-30-10-quadratic",
            sizes: &[784, 30, 10],
            cost: &Quadratic,
            eta: 3.0,
            lambda: 0.0,
            examples: 50_000,
        },
        Workload {
            name: "B-784-100-10-cross-entropy-l2",
            sizes: &[784, 100, 10],
            cost: &CrossEntropy,
            eta: 0.5,
            lambda: 5.0,
            examples: 50_000,
        },
        Workload {
            // As benches/wide.rs: λ = 5 over the 50,000 images of the real epoch.
            name: "C-784-500-500-10",
            sizes: &[784, 500, 500, 10],
            cost: &CrossEntropy,
            eta: 0.5,
            lambda: 5.0 * 5_000.0 / 50_000.0,
            examples: 5_000,
        },
    ];
    let data_50k = synthetic::<T>(50_000, 4);
    let data_5k = synthetic::<T>(5_000, 4);
    let mut group = c.benchmark_group("adam-vs-sgd");
    group.sample_size(10);
    for w in &workloads {
        let data = if w.examples == 50_000 {
            &data_50k
        } else {
            &data_5k
        };
        group.throughput(Throughput::Elements(data.len() as u64));
        let base = Sgd::new()
            .with_mini_batch_size(10)
            .with_epochs(1)
            .with_l2_lambda(w.lambda);
        let variants = [
            ("sgd", base.clone().with_learning_rate(w.eta)),
            (
                "adam",
                base.clone()
                    .with_optimizer(Optimizer::adam())
                    .with_learning_rate(0.001),
            ),
        ];
        let epoch_name = if w.examples == 50_000 {
            "epoch-50k"
        } else {
            "epoch-5k"
        };
        for (optimizer, sgd) in variants {
            let id = format!("{epoch_name}/{}/m10/{optimizer}/{}", w.name, dtype::<T>());
            group.bench_function(id, |b| {
                b.iter_batched(
                    || (network::<T>(w.sizes), StdRng::seed_from_u64(5)),
                    |(mut net, mut rng)| {
                        sgd.train(&mut net, data, None, w.cost, &mut rng, |_, _| {
                            ControlFlow::Continue(())
                        })
                        .expect("training runs");
                        net
                    },
                    BatchSize::LargeInput,
                )
            });
        }
    }
    group.finish();
}

fn all(c: &mut Criterion) {
    epoch::<f32>(c);
}

criterion_group!(benches, all);
criterion_main!(benches);
