//! Workload D, timed: one SGD epoch of Nielsen's `conv-relu` network
//! (conv 20 × 5 × 5, pool, conv 40 × 5 × 5, pool, 100 ReLU, softmax;
//! log-likelihood, η = 0.03, λ = 1.0 in this crate's convention) on
//! synthetic 28 × 28 digits, at m = 10 and m = 100, on 1 and 2 threads,
//! in f32.
//!
//! `cargo bench --bench conv`. Each sample trains 2,000 examples; multiply
//! its time by 25 for seconds per epoch of 50,000 images. The FLOPs of an
//! example (forward 2, weight gradient 2, input error 2 per multiply-add,
//! no input error for the first layer): conv1 2·288,000·2, conv2
//! 2·1,280,000·3, dense 640 → 100 2·64,000·3, dense 100 → 10 2·1,000·3,
//! 9.22 MFLOP, 461 GFLOP per epoch.

use std::hint::black_box;
use std::ops::ControlFlow;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use nalgebra::DMatrix;
use neuralnet::layer::{Layer, Shape};
use neuralnet::{Activation, Dataset, Init, LogLikelihood, Network, Sgd};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

/// `n` examples of 784 pixels in [0, 1] with random digit labels.
fn synthetic(n: usize, seed: u64) -> Dataset<f32> {
    let mut rng = StdRng::seed_from_u64(seed);
    let x = DMatrix::from_fn(784, n, |_, _| rng.random_range(0.0..1.0f32));
    let labels: Vec<u8> = (0..n).map(|_| rng.random_range(0..10u8)).collect();
    Dataset::from_labels(x, &labels, 10).expect("one label per column")
}

/// The `conv-relu` preset's network.
fn network() -> Network<f32> {
    let f = Activation::Relu;
    let layers = [
        Layer::conv(Shape::new(1, 28, 28), 20, 5, f),
        Layer::max_pool(Shape::new(20, 24, 24), 2),
        Layer::conv(Shape::new(20, 12, 12), 40, 5, f),
        Layer::max_pool(Shape::new(40, 8, 8), 2),
        Layer::dense(640, 100, f),
        Layer::dense(100, 10, Activation::Softmax),
    ];
    let mut rng = StdRng::seed_from_u64(1);
    Network::from_layers(&layers, Init::ScaledNormal, &mut rng).expect("valid layers")
}

fn workload_d(c: &mut Criterion) {
    let data = synthetic(2_000, 2);
    let mut group = c.benchmark_group("conv-relu");
    group.sample_size(10);
    group.throughput(Throughput::Elements(data.len() as u64));
    for threads in [1, 2] {
        for m in [10, 100] {
            neuralnet::threads::set_num_threads(threads);
            let sgd = Sgd::new()
                .with_learning_rate(0.03)
                .with_l2_lambda(1.0)
                .with_mini_batch_size(m)
                .with_epochs(1);
            group.bench_function(format!("m{m}/t{threads}"), |b| {
                b.iter_batched(
                    network,
                    |mut net| {
                        let mut rng = StdRng::seed_from_u64(3);
                        sgd.train(&mut net, &data, None, &LogLikelihood, &mut rng, |_, _| {
                            ControlFlow::Continue(())
                        })
                        .expect("trains");
                        black_box(net)
                    },
                    BatchSize::LargeInput,
                )
            });
        }
    }
    neuralnet::threads::set_num_threads(1);
    group.finish();
}

criterion_group!(benches, workload_d);
criterion_main!(benches);
