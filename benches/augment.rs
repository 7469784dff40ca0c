//! Data augmentation, timed: distorting an epoch of 50,000 synthetic
//! MNIST-sized (28 × 28) images on one core, with affine distortions alone
//! and with Simard et al.'s elastic distortions (σ = 4, α = 34) as well.
//!
//! `cargo bench --bench augment`. Throughput is in images per second; the
//! time per iteration is the time to augment one epoch, which
//! [`ImageAugmenter::prefetch`](neuralnet::augment::ImageAugmenter::prefetch)
//! hides behind training on a second core.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use nalgebra::DMatrix;
use neuralnet::Dataset;
use neuralnet::augment::ImageAugmenter;
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

/// `n` images of 784 pixels in [0, 1] with random digit labels.
fn synthetic(n: usize) -> Dataset<f32> {
    let mut rng = StdRng::seed_from_u64(1);
    let x = DMatrix::from_fn(784, n, |_, _| rng.random_range(0.0..1.0f32));
    let labels: Vec<u8> = (0..n).map(|_| rng.random_range(0..10u8)).collect();
    Dataset::from_labels(x, &labels, 10).expect("one label per column")
}

fn epoch(c: &mut Criterion) {
    let data = synthetic(50_000);
    let affine = ImageAugmenter::new(28, 28, 1)
        .with_max_shift(2)
        .with_max_rotation(10.0)
        .with_max_scaling(0.1);
    let elastic = affine.clone().with_elastic(34.0, 4.0);
    let mut group = c.benchmark_group("augment");
    group.sample_size(10);
    group.throughput(Throughput::Elements(data.len() as u64));
    for (name, augmenter) in [("affine", &affine), ("affine+elastic", &elastic)] {
        let mut out = data.clone();
        let mut seed = 0;
        group.bench_function(format!("{name}/epoch-50k/f32"), |b| {
            b.iter(|| {
                seed += 1;
                augmenter
                    .augment_into(black_box(&data), seed, &mut out)
                    .expect("valid settings");
                black_box(&out);
            })
        });
    }
    group.finish();
}

criterion_group!(benches, epoch);
criterion_main!(benches);
