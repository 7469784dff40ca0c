//! The training loop allocates nothing per mini-batch: a counting global
//! allocator watches every mini-batch of real-sized training runs.
//!
//! This file holds one test so that no other test allocates concurrently.

use std::alloc::System;
use std::ops::ControlFlow;

use nalgebra::DMatrix;
use neuralnet::layer::{Layer, Shape};
use neuralnet::sgd::{Dropout, Schedule};
use neuralnet::{
    Activation, Cost, CrossEntropy, Dataset, EpochReport, Init, LogLikelihood, Monitor, Network,
    Quadratic, Real, Sgd,
};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use stats_alloc::{INSTRUMENTED_SYSTEM, StatsAlloc};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

fn allocations() -> usize {
    let s = GLOBAL.stats();
    s.allocations + s.reallocations
}

/// Records the allocation count after every mini-batch, into room reserved
/// up front so that recording does not allocate.
struct Counts {
    per_batch: Vec<Vec<usize>>,
    epoch: usize,
}

impl<T: Real> Monitor<T> for Counts {
    fn on_batch(&mut self, _done: usize, _total: usize) {
        let counts = &mut self.per_batch[self.epoch];
        assert!(
            counts.len() < counts.capacity(),
            "room reserved for every batch"
        );
        counts.push(allocations());
    }
    fn on_epoch(&mut self, _report: &EpochReport, _net: &Network<T>) -> ControlFlow<()> {
        self.epoch += 1;
        ControlFlow::Continue(())
    }
}

fn check<T: Real>(
    sizes: &[usize],
    cost: &dyn Cost<T>,
    m: usize,
    lambda: f64,
    options: fn(Sgd) -> Sgd,
) {
    check_with(sizes, cost, m, lambda, None, options);
}

/// As `check`, with these activations (one per layer after the input).
fn check_with<T: Real>(
    sizes: &[usize],
    cost: &dyn Cost<T>,
    m: usize,
    lambda: f64,
    activations: Option<&[Activation]>,
    options: fn(Sgd) -> Sgd,
) {
    let mut rng = StdRng::seed_from_u64(3);
    // Not a multiple of m: the last mini-batch is smaller. Fewer examples for
    // the wide networks keep the whole test well under libtest's 60-second
    // notice in debug builds, whose printing would count as an allocation.
    let n = if sizes.iter().any(|&s| s >= 500) {
        305
    } else {
        1_005
    };
    let mut net = Network::<T>::new(sizes, Init::StandardNormal, &mut rng).unwrap();
    if let Some(a) = activations {
        net = net.with_activations(a).unwrap();
    }
    train_and_count(&mut net, n, m, lambda, options, cost, &mut rng);
}

/// As `check`, for a network of these layers (convolutions among them).
fn check_layers<T: Real>(layers: &[Layer], m: usize, options: fn(Sgd) -> Sgd) {
    let mut rng = StdRng::seed_from_u64(4);
    let mut net = Network::<T>::from_layers(layers, Init::ScaledNormal, &mut rng).unwrap();
    train_and_count(&mut net, 125, m, 1.0, options, &LogLikelihood, &mut rng);
}

/// Trains `net` for 3 epochs on `n` random examples with mini-batches of
/// `m`, and checks that the allocation count does not move after the
/// first mini-batch of each epoch.
fn train_and_count<T: Real>(
    net: &mut Network<T>,
    n: usize,
    m: usize,
    lambda: f64,
    options: fn(Sgd) -> Sgd,
    cost: &dyn Cost<T>,
    rng: &mut StdRng,
) {
    let sizes = net.sizes().to_vec();
    let (n_in, n_out) = (sizes[0], sizes[sizes.len() - 1]);
    let x = DMatrix::from_fn(n_in, n, |_, _| {
        nalgebra::convert::<f64, T>(rng.random_range(0.0..1.0))
    });
    let labels: Vec<u8> = (0..n).map(|j| (j % n_out) as u8).collect();
    let data = Dataset::from_labels(x, &labels, n_out).unwrap();
    let batches = n.div_ceil(m);
    let epochs = 3;
    let mut counts = Counts {
        per_batch: (0..epochs).map(|_| Vec::with_capacity(batches)).collect(),
        epoch: 0,
    };
    let sgd = options(
        Sgd::new()
            .with_learning_rate(0.5)
            .with_mini_batch_size(m)
            .with_epochs(epochs)
            .with_l2_lambda(lambda),
    );
    sgd.train_with(net, &data, Some(&data), cost, rng, &mut counts)
        .unwrap();
    assert_eq!(counts.epoch, epochs, "every epoch ran");
    for (epoch, c) in counts.per_batch.iter().enumerate() {
        assert_eq!(c.len(), batches);
        // After the first mini-batch of an epoch, the count never moves.
        assert!(
            c.windows(2).all(|w| w[0] == w[1]),
            "{sizes:?}, m = {m}, epoch {epoch}: allocations after each mini-batch {c:?}"
        );
    }
}

/// Every option of chapter 3's toolkit on.
fn everything(sgd: Sgd) -> Sgd {
    sgd.with_momentum(0.9)
        .with_schedule(Schedule::nielsen())
        .with_early_stopping(10)
        .with_max_norm(3.0)
}

#[test]
fn no_allocation_per_mini_batch() {
    let plain = |sgd| sgd;
    check::<f32>(&[784, 30, 10], &Quadratic, 10, 0.0, plain);
    check::<f32>(&[784, 100, 10], &CrossEntropy, 10, 5.0, plain);
    check::<f64>(&[784, 30, 10], &Quadratic, 7, 0.0, plain);
    check::<f64>(&[20, 16, 8, 3], &CrossEntropy, 100, 1.0, plain);
    // Chapter 3's toolkit: momentum, Nesterov, schedules, early stopping
    // (which copies the best network after an epoch, not a mini-batch) and
    // the max-norm limit.
    check::<f32>(&[784, 100, 10], &CrossEntropy, 10, 5.0, everything);
    check::<f64>(&[20, 16, 8, 3], &CrossEntropy, 7, 1.0, |sgd| {
        everything(sgd)
            .with_nesterov(true)
            .with_schedule(Schedule::Cosine {
                total_epochs: 3,
                min_rate: 0.0,
            })
    });
    // ReLU, tanh and softmax layers, dropout, and all of it with the rest
    // of the toolkit.
    use Activation::{Relu, Softmax, Tanh};
    check_with::<f32>(
        &[784, 100, 10],
        &LogLikelihood,
        10,
        5.0,
        Some(&[Relu, Softmax]),
        |sgd| sgd.with_dropout(Dropout::hidden(0.5).with_input(0.2)),
    );
    check_with::<f64>(
        &[20, 16, 8, 3],
        &Quadratic,
        9,
        0.0,
        Some(&[Tanh, Relu, Tanh]),
        |sgd| sgd.with_dropout(Dropout::none().with_layer_rates(vec![0.0, 0.3])),
    );
    check_with::<f32>(
        &[784, 100, 10],
        &LogLikelihood,
        10,
        5.0,
        Some(&[Relu, Softmax]),
        |sgd| everything(sgd).with_dropout(Dropout::hidden(0.5)),
    );
    // Workload C's shape: every product on the packed path, whose
    // per-thread buffers are allocated in the first mini-batch only.
    check::<f32>(&[784, 500, 500, 10], &CrossEntropy, 100, 5.0, plain);
    check::<f32>(&[784, 500, 500, 10], &CrossEntropy, 10, 5.0, plain);
    // Convolutions and max-pooling (Nielsen's chapter 6 stack, smaller), in
    // mini-batches of 10 and of 100 (the last one 25), with dropout on the
    // dense layers and the rest of the toolkit.
    let f = Activation::Relu;
    let conv = [
        Layer::conv(Shape::new(1, 14, 14), 4, 3, f),
        Layer::max_pool(Shape::new(4, 12, 12), 2),
        Layer::conv(Shape::new(4, 6, 6), 6, 3, f),
        Layer::max_pool(Shape::new(6, 4, 4), 2),
        Layer::dense(24, 16, f),
        Layer::dense(16, 10, Activation::Softmax),
    ];
    check_layers::<f32>(&conv, 10, plain);
    check_layers::<f32>(&conv, 100, |sgd| {
        everything(sgd).with_dropout(Dropout::hidden(0.5))
    });
    // Two threads: the pool's worker is started, and fills its packing
    // buffer and its convolution scratch, in the first mini-batch; after it
    // a split call allocates nothing either. These calls are large enough
    // to be split: C's products at m = 100 (the forward passes by neurons,
    // through a buffer of the caller's for the parts of z), and a
    // convolution of 25 × 8 × 576 multiply-adds per example at m = 100.
    neuralnet::threads::set_num_threads(2);
    check::<f32>(&[784, 500, 500, 10], &CrossEntropy, 100, 5.0, plain);
    let wide = [
        Layer::conv(Shape::new(1, 28, 28), 8, 5, f),
        Layer::max_pool(Shape::new(8, 24, 24), 2),
        Layer::dense(8 * 12 * 12, 10, Activation::Softmax),
    ];
    check_layers::<f32>(&wide, 100, plain);
    neuralnet::threads::set_num_threads(1);
}
