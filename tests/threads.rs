//! Splitting work across threads changes nothing but the time: large kernel
//! calls give bit-identical results, evaluations the same counts.
//!
//! One test in this file: the thread count is a process-wide setting.

/// A cost that panics on the pool's worker threads (named `neuralnet-…`)
/// and is the cross-entropy elsewhere.
struct PanicsOnWorkers;

impl neuralnet::Cost<f32> for PanicsOnWorkers {
    fn cost(&self, a: &[f32], y: &[f32]) -> f32 {
        let name = std::thread::current().name().map(str::to_owned);
        assert!(
            !name.is_some_and(|n| n.starts_with("neuralnet-")),
            "a cost that fails on a worker"
        );
        CrossEntropy.cost(a, y)
    }
    fn gradient(&self, a: &[f32], y: &[f32], out: &mut [f32]) {
        neuralnet::Cost::<f32>::gradient(&CrossEntropy, a, y, out);
    }
}

/// On two threads: several threads calling at once (one gets the pool's
/// workers, the others run on their own) all get the one-thread answers,
/// and a panic on a worker reaches the caller, after which the pool still
/// works.
fn pool_callers_and_panics(net: &Network<f32>, correct: usize, answers: &[usize]) {
    assert_eq!(num_threads(), 2);
    let test = data(3_000, 3);
    std::thread::scope(|s| {
        let callers: Vec<_> = (0..4)
            .map(|_| {
                s.spawn(|| {
                    (0..3)
                        .map(|_| {
                            let e = net.evaluate(&test, &CrossEntropy).unwrap();
                            (e.correct, net.predict_batch(test.inputs()).unwrap())
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        for caller in callers {
            for (c, p) in caller.join().unwrap() {
                assert_eq!(c, correct);
                assert_eq!(p, answers);
            }
        }
    });
    let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        net.evaluate(&test, &PanicsOnWorkers)
    }));
    let message = panicked.expect_err("the worker's panic is resumed on the caller");
    let message = message
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| message.downcast_ref::<&str>().copied());
    assert!(
        message.is_some_and(|m| m.contains("a cost that fails on a worker")),
        "{message:?}"
    );
    assert_eq!(net.evaluate(&test, &CrossEntropy).unwrap().correct, correct);
}

use std::ops::ControlFlow;

use nalgebra::DMatrix;
use neuralnet::layer::{Layer, Shape};
use neuralnet::threads::{num_threads, set_num_threads};
use neuralnet::{Activation, CrossEntropy, Dataset, Init, LogLikelihood, Network, Quadratic, Sgd};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

fn data(n: usize, seed: u64) -> Dataset<f32> {
    let mut rng = StdRng::seed_from_u64(seed);
    let x = DMatrix::from_fn(784, n, |_, _| rng.random_range(0.0..1.0f32));
    let labels: Vec<u8> = (0..n).map(|_| rng.random_range(0..10u8)).collect();
    Dataset::from_labels(x, &labels, 10).unwrap()
}

/// One epoch of SGD on `data` with rate `eta` and mini-batches of `m`.
fn one_epoch(
    net: &mut Network<f32>,
    data: &Dataset<f32>,
    eta: f64,
    m: usize,
    cost: &impl neuralnet::Cost<f32>,
    rng: &mut StdRng,
) {
    Sgd::new()
        .with_learning_rate(eta)
        .with_mini_batch_size(m)
        .with_epochs(1)
        .train(net, data, None, cost, rng, |_, _| ControlFlow::Continue(()))
        .unwrap();
}

/// Gradient of a big batch, one epoch with big mini-batches, an evaluation,
/// and the answers for 3,000 examples.
fn run() -> (
    neuralnet::Gradient<f32>,
    Network<f32>,
    neuralnet::Evaluation,
    Vec<usize>,
    Network<f32>,
) {
    let train = data(1_200, 1);
    let mut rng = StdRng::seed_from_u64(2);
    let mut net = Network::<f32>::new(&[784, 40, 10], Init::ScaledNormal, &mut rng).unwrap();
    let grad = net
        .backprop(train.inputs(), train.targets(), &Quadratic)
        .unwrap();
    one_epoch(&mut net, &train, 0.5, 300, &CrossEntropy, &mut rng);
    let test = data(3_000, 3);
    let eval = net.evaluate(&test, &CrossEntropy).unwrap();
    let answers = net.predict_batch(test.inputs()).unwrap();
    // A convolutional network, with a batch large enough to split its
    // chunks across threads (the weight gradient's shares are added in
    // chunk order): 400 × 25 × 4,608 multiply-adds forward, above the
    // convolutions' threshold for splitting.
    let layers = [
        Layer::conv(Shape::new(1, 28, 28), 8, 5, Activation::Relu),
        Layer::max_pool(Shape::new(8, 24, 24), 2),
        Layer::dense(8 * 12 * 12, 10, Activation::Softmax),
    ];
    let mut conv = Network::<f32>::from_layers(&layers, Init::ScaledNormal, &mut rng).unwrap();
    let small = data(400, 4);
    one_epoch(&mut conv, &small, 0.1, 400, &LogLikelihood, &mut rng);
    (grad, net, eval, answers, conv)
}

#[test]
fn two_threads_give_the_results_of_one() {
    assert_eq!(num_threads(), 1, "one thread by default");
    let (g1, n1, e1, p1, c1) = run();
    set_num_threads(2);
    assert_eq!(num_threads(), 2);
    let (g2, n2, e2, p2, c2) = run();
    pool_callers_and_panics(&n1, e1.correct, &p1);
    set_num_threads(0);
    assert!(num_threads() >= 1, "0 means one per core");
    set_num_threads(1);
    assert_eq!(g1, g2);
    assert_eq!(n1, n2);
    assert_eq!(c1, c2, "the convolutional network");
    assert!(c1.is_finite());
    assert_eq!((e1.correct, e1.total), (e2.correct, e2.total));
    assert_eq!((p1.len(), p2.len()), (3_000, 3_000));
    let differ = p1.iter().zip(&p2).position(|(a, b)| a != b);
    assert_eq!(differ, None, "answers differ from this example on");
    // The answers agree with the evaluation's count.
    let truth = data(3_000, 3).classes();
    let right = p1.iter().zip(&truth).filter(|(p, t)| p == t).count();
    assert_eq!(right, e1.correct);
    // Each part sums its costs in f32 before adding them up: the same to f32 precision.
    assert!(
        (e1.cost - e2.cost).abs() <= 1e-6 * e1.cost.abs(),
        "{} vs {}",
        e1.cost,
        e2.cost
    );
}
