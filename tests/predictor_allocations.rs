//! A `Predictor` allocates nothing on a second call of the same size (or a
//! smaller one): a counting global allocator watches the calls a server
//! makes request after request.
//!
//! This file holds one test so that no other test allocates concurrently.

use std::alloc::System;

use nalgebra::{DMatrix, DVector};
use neuralnet::{Activation, Init, Network, Predictor, Real};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use stats_alloc::{INSTRUMENTED_SYSTEM, StatsAlloc};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

fn allocations() -> usize {
    let s = GLOBAL.stats();
    s.allocations + s.reallocations
}

/// Runs `call` once to size the buffers, then twice more, and asserts
/// that the repeats allocated nothing.
fn repeats_allocate_nothing(what: &str, mut call: impl FnMut()) {
    call();
    let before = allocations();
    call();
    call();
    assert_eq!(allocations(), before, "{what}: the repeats allocated");
}

fn check<T: Real>(sizes: &[usize], activations: Option<&[Activation]>, m: usize) {
    let mut rng = StdRng::seed_from_u64(1);
    let mut net = Network::<T>::new(sizes, Init::ScaledNormal, &mut rng).unwrap();
    if let Some(a) = activations {
        net = net.with_activations(a).unwrap();
    }
    let x = DMatrix::from_fn(sizes[0], m, |_, _| {
        nalgebra::convert::<f64, T>(rng.random_range(0.0..1.0))
    });
    let one: DVector<T> = x.column(0).into_owned();
    let what = |call: &str| format!("{sizes:?}, {call}");

    let mut p = Predictor::new(&net);
    repeats_allocate_nothing(&what("feedforward of a DVector"), || {
        std::hint::black_box(p.feedforward(&one).unwrap());
    });
    repeats_allocate_nothing(&what("predict of a column view"), || {
        std::hint::black_box(p.predict(&x.column(m - 1)).unwrap());
    });
    repeats_allocate_nothing(&what(&format!("feedforward_batch of {m}")), || {
        std::hint::black_box(p.feedforward_batch(&x).unwrap());
    });
    repeats_allocate_nothing(&what(&format!("predict_batch of {m}")), || {
        std::hint::black_box(p.predict_batch(&x).unwrap());
    });
    // After the batch, smaller calls need nothing new either, not even
    // the first time; nor does refusing a NaN.
    let mut bad = one.clone();
    bad[0] = nalgebra::convert(f64::NAN);
    let before = allocations();
    std::hint::black_box(p.feedforward_batch(&x.columns(0, m / 2)).unwrap());
    std::hint::black_box(p.feedforward(&x.column(1)).unwrap());
    assert!(p.feedforward(&bad).is_err());
    std::hint::black_box(p.predict(&one).unwrap());
    assert_eq!(
        allocations(),
        before,
        "{sizes:?}: a smaller call or an error allocated"
    );
}

#[test]
fn a_predictor_allocates_only_when_a_batch_grows() {
    use Activation::{Relu, Softmax, Tanh};
    check::<f32>(&[784, 100, 10], None, 10);
    check::<f64>(&[784, 30, 10], None, 7);
    check::<f32>(&[784, 100, 10], Some(&[Relu, Softmax]), 16);
    check::<f64>(&[20, 16, 8, 3], Some(&[Tanh, Relu, Tanh]), 9);
    // Wide layers: the packed products, whose per-thread panels are
    // allocated on first use only.
    check::<f32>(&[784, 500, 500, 10], None, 64);
}
