//! Inference as a server does it, through a reusable [`Predictor`]:
//!
//! - `predict/784-100-10/one/f32`: one example through the draw
//!   example's network (what a `/predict` request costs the network),
//!   with `network-feedforward/...` beside it: the same through
//!   [`Network::feedforward`], which allocates a workspace and an output
//!   vector per call;
//! - `predict/C-784-500-500-10/batch-10000/f32/t1` and `t2`: the outputs
//!   of 10,000 examples in one call, on one thread and on two;
//! - `evaluate/784-100-10/10000/f32/t1` and `t2`: [`Network::evaluate`]
//!   of 10,000 labelled examples (the test set's size) through the ch3
//!   network, on one thread and on two.
//!
//! `cargo bench --bench serving`. Throughput is in examples per second;
//! the time per iteration divided by the batch is the time per example.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use nalgebra::DMatrix;
use neuralnet::threads::set_num_threads;
use neuralnet::{CrossEntropy, Dataset, Init, Network, Predictor};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

/// `n` examples of 784 pixels in [0, 1].
fn inputs(n: usize, seed: u64) -> DMatrix<f32> {
    let mut rng = StdRng::seed_from_u64(seed);
    DMatrix::from_fn(784, n, |_, _| rng.random_range(0.0..1.0))
}

fn network(sizes: &[usize]) -> Network<f32> {
    let mut rng = StdRng::seed_from_u64(1);
    Network::new(sizes, Init::ScaledNormal, &mut rng).expect("valid sizes")
}

fn one_example(c: &mut Criterion) {
    let net = network(&[784, 100, 10]);
    let x = inputs(1, 2).column(0).into_owned();
    let mut predictor = Predictor::new(&net);
    let mut group = c.benchmark_group("predict");
    group.throughput(Throughput::Elements(1));
    group.bench_function("784-100-10/one/f32", |b| {
        b.iter(|| black_box(predictor.feedforward(black_box(&x)).expect("784 inputs")[0]));
    });
    group.finish();
    let mut group = c.benchmark_group("network-feedforward");
    group.throughput(Throughput::Elements(1));
    group.bench_function("784-100-10/one/f32", |b| {
        b.iter(|| black_box(net.feedforward(black_box(&x)).expect("784 inputs")));
    });
    group.finish();
}

fn batch(c: &mut Criterion) {
    let net = network(&[784, 500, 500, 10]);
    let x = inputs(10_000, 3);
    let mut predictor = Predictor::with_capacity(&net, x.ncols()).expect("fits in memory");
    let mut group = c.benchmark_group("predict");
    group.sample_size(10);
    group.throughput(Throughput::Elements(x.ncols() as u64));
    for threads in [1, 2] {
        set_num_threads(threads);
        group.bench_function(
            format!("C-784-500-500-10/batch-10000/f32/t{threads}"),
            |b| {
                b.iter(|| {
                    let out = predictor
                        .feedforward_batch(black_box(&x))
                        .expect("784 inputs");
                    black_box(out[(0, 0)])
                });
            },
        );
    }
    set_num_threads(1);
    group.finish();
}

fn evaluation(c: &mut Criterion) {
    let net = network(&[784, 100, 10]);
    let labels: Vec<u8> = (0..10_000).map(|j| (j % 10) as u8).collect();
    let data = Dataset::from_labels(inputs(10_000, 4), &labels, 10).expect("valid labels");
    let mut group = c.benchmark_group("evaluate");
    group.sample_size(20);
    group.throughput(Throughput::Elements(data.len() as u64));
    for threads in [1, 2] {
        set_num_threads(threads);
        group.bench_function(format!("784-100-10/10000/f32/t{threads}"), |b| {
            b.iter(|| black_box(net.evaluate(&data, &CrossEntropy).expect("valid data")));
        });
    }
    set_num_threads(1);
    group.finish();
}

criterion_group!(benches, one_example, batch, evaluation);
criterion_main!(benches);
