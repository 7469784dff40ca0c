//! The training loop allocates nothing per mini-batch: a counting global
//! allocator watches every mini-batch of real-sized training runs.
//!
//! This file holds one test so that no other test allocates concurrently.

use std::alloc::System;
use std::ops::ControlFlow;

use nalgebra::DMatrix;
use neuralnet::{
    Cost, CrossEntropy, Dataset, EpochReport, Init, Monitor, Network, Quadratic, Real, Sgd,
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

fn check<T: Real>(sizes: &[usize], cost: &dyn Cost<T>, m: usize, lambda: f64) {
    let mut rng = StdRng::seed_from_u64(3);
    let n = 1_005; // not a multiple of m: the last mini-batch is smaller
    let (n_in, n_out) = (sizes[0], sizes[sizes.len() - 1]);
    let x = DMatrix::from_fn(n_in, n, |_, _| {
        nalgebra::convert::<f64, T>(rng.random_range(0.0..1.0))
    });
    let labels: Vec<u8> = (0..n).map(|j| (j % n_out) as u8).collect();
    let data = Dataset::from_labels(x, &labels, n_out).unwrap();
    let mut net = Network::<T>::new(sizes, Init::StandardNormal, &mut rng).unwrap();
    let batches = n.div_ceil(m);
    let epochs = 2;
    let mut counts = Counts {
        per_batch: (0..epochs).map(|_| Vec::with_capacity(batches)).collect(),
        epoch: 0,
    };
    let sgd = Sgd::new()
        .with_learning_rate(0.5)
        .with_mini_batch_size(m)
        .with_epochs(epochs)
        .with_l2_lambda(lambda);
    sgd.train_with(&mut net, &data, Some(&data), cost, &mut rng, &mut counts)
        .unwrap();
    for (epoch, c) in counts.per_batch.iter().enumerate() {
        assert_eq!(c.len(), batches);
        // After the first mini-batch of an epoch, the count never moves.
        assert!(
            c.windows(2).all(|w| w[0] == w[1]),
            "{sizes:?}, m = {m}, epoch {epoch}: allocations after each mini-batch {c:?}"
        );
    }
}

#[test]
fn no_allocation_per_mini_batch() {
    check::<f32>(&[784, 30, 10], &Quadratic, 10, 0.0);
    check::<f32>(&[784, 100, 10], &CrossEntropy, 10, 5.0);
    check::<f64>(&[784, 30, 10], &Quadratic, 7, 0.0);
    check::<f64>(&[20, 16, 8, 3], &CrossEntropy, 100, 1.0);
    // Workload C's shape: every product on the packed path, whose
    // per-thread buffers are allocated in the first mini-batch only.
    check::<f32>(&[784, 500, 500, 10], &CrossEntropy, 100, 5.0);
    check::<f32>(&[784, 500, 500, 10], &CrossEntropy, 10, 5.0);
}
