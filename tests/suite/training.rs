//! Training by SGD: convergence, reproducibility and every error case.

use std::ops::ControlFlow;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use nalgebra::{DMatrix, DVector};
use neuralnet::{
    Activation, Cost, CrossEntropy, Dataset, EpochReport, Error, Init, Monitor, Network, Quadratic,
    Real, Sgd,
};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

fn xor<T: Real>() -> Dataset<T> {
    let c = |v: f64| nalgebra::convert::<f64, T>(v);
    let x = DMatrix::from_column_slice(2, 4, &[0., 0., 0., 1., 1., 0., 1., 1.].map(c));
    let y = DMatrix::from_column_slice(1, 4, &[0., 1., 1., 0.].map(c));
    Dataset::new(x, y).unwrap()
}

/// Two Gaussian blobs on either side of the line x₁ + x₂ = 0, one-hot targets.
fn separable(n: usize, rng: &mut StdRng) -> Dataset<f64> {
    let mut x = DMatrix::zeros(2, n);
    let mut labels = Vec::with_capacity(n);
    for j in 0..n {
        let class = j % 2;
        let centre = if class == 0 { -1.5 } else { 1.5 };
        x[(0, j)] = centre + rng.random_range(-1.0..1.0);
        x[(1, j)] = centre + rng.random_range(-1.0..1.0);
        labels.push(class as u8);
    }
    Dataset::from_labels(x, &labels, 2).unwrap()
}

fn quiet<T: Real>(_: &neuralnet::EpochReport, _: &Network<T>) -> ControlFlow<()> {
    ControlFlow::Continue(())
}

#[test]
fn learns_xor() {
    let data = xor::<f64>();
    let mut rng = StdRng::seed_from_u64(7);
    let mut net = Network::new(&[2, 3, 1], Init::StandardNormal, &mut rng).unwrap();
    let sgd = Sgd::new()
        .with_learning_rate(4.0)
        .with_mini_batch_size(4)
        .with_epochs(4000);
    sgd.train(&mut net, &data, None, &CrossEntropy, &mut rng, quiet)
        .unwrap();
    let eval = net.evaluate(&data, &CrossEntropy).unwrap();
    assert_eq!(eval.correct, 4, "{eval:?}");
    for (x, want) in [
        ([0., 0.], 0.),
        ([0., 1.], 1.),
        ([1., 0.], 1.),
        ([1., 1.], 0.),
    ] {
        let a = net.feedforward(&DVector::from_column_slice(&x)).unwrap()[0];
        assert!((a - want).abs() < 0.2, "XOR{x:?} = {a}");
    }
}

#[test]
fn learns_a_linearly_separable_problem_perfectly() {
    let mut rng = StdRng::seed_from_u64(3);
    let train = separable(400, &mut rng);
    let test = separable(200, &mut rng);
    let mut net = Network::new(&[2, 4, 2], Init::ScaledNormal, &mut rng).unwrap();
    let sgd = Sgd::new()
        .with_learning_rate(1.0)
        .with_mini_batch_size(10)
        .with_epochs(20);
    let reports = sgd
        .train(&mut net, &train, Some(&test), &Quadratic, &mut rng, quiet)
        .unwrap();
    assert_eq!(reports.len(), 20);
    let last = reports.last().unwrap().evaluation.unwrap();
    assert_eq!((last.correct, last.total), (200, 200));
    assert_eq!(net.evaluate(&train, &Quadratic).unwrap().correct, 400);
}

#[test]
fn one_small_gradient_step_lowers_the_cost() {
    // ΔC ≈ −η‖∇C‖² ≤ 0 (section 6): one full-batch step with a small η.
    let mut rng = StdRng::seed_from_u64(11);
    let data = separable(50, &mut rng);
    for cost in [&Quadratic as &dyn Cost<f64>, &CrossEntropy] {
        let mut net = Network::new(&[2, 5, 2], Init::StandardNormal, &mut rng).unwrap();
        let before = net.evaluate(&data, cost).unwrap().cost;
        let grad = net.backprop(data.inputs(), data.targets(), cost).unwrap();
        let norm2: f64 = grad.norm_squared();
        let eta = 0.01;
        let sgd = Sgd::new()
            .with_learning_rate(eta)
            .with_mini_batch_size(50)
            .with_epochs(1);
        sgd.train(&mut net, &data, None, cost, &mut rng, quiet)
            .unwrap();
        let after = net.evaluate(&data, cost).unwrap().cost;
        let predicted = -eta * norm2;
        assert!(after < before, "{before} -> {after}");
        assert!(
            ((after - before) - predicted).abs() < 0.05 * predicted.abs(),
            "ΔC {} vs −η‖∇C‖² {predicted}",
            after - before
        );
    }
}

#[test]
fn same_seed_same_network_bit_for_bit() {
    let run = |seed| {
        let mut rng = StdRng::seed_from_u64(seed);
        let data = separable(100, &mut rng);
        let mut net = Network::new(&[2, 6, 2], Init::StandardNormal, &mut rng).unwrap();
        let sgd = Sgd::new()
            .with_learning_rate(0.5)
            .with_mini_batch_size(7)
            .with_epochs(3)
            .with_l2_lambda(0.1);
        sgd.train(&mut net, &data, None, &CrossEntropy, &mut rng, quiet)
            .unwrap();
        net
    };
    assert_eq!(run(5), run(5));
    assert_ne!(run(5), run(6));
}

fn trains<T: Real>() {
    let mut rng = StdRng::seed_from_u64(2);
    let data = xor::<T>();
    let mut net = Network::<T>::new(&[2, 3, 1], Init::StandardNormal, &mut rng).unwrap();
    let before = net.evaluate(&data, &CrossEntropy).unwrap().cost;
    let sgd = Sgd::new()
        .with_learning_rate(2.0)
        .with_mini_batch_size(2)
        .with_epochs(500);
    sgd.train(&mut net, &data, None, &CrossEntropy, &mut rng, quiet)
        .unwrap();
    let after = net.evaluate(&data, &CrossEntropy).unwrap().cost;
    assert!(after < before / 2.0, "{before} -> {after}");
}

#[test]
fn f32_and_f64_both_train() {
    trains::<f32>();
    trains::<f64>();
}

#[test]
fn l2_regularisation_shrinks_weights() {
    let norm = |lambda| {
        let mut rng = StdRng::seed_from_u64(9);
        let data = separable(200, &mut rng);
        let mut net = Network::new(&[2, 8, 2], Init::StandardNormal, &mut rng).unwrap();
        let sgd = Sgd::new()
            .with_learning_rate(0.5)
            .with_epochs(10)
            .with_l2_lambda(lambda);
        sgd.train(&mut net, &data, None, &CrossEntropy, &mut rng, quiet)
            .unwrap();
        net.weights().iter().map(|w| w.norm_squared()).sum::<f64>()
    };
    assert!(norm(20.0) < 0.5 * norm(0.0));
}

#[test]
fn callback_sees_every_epoch_and_can_stop_early() {
    let mut rng = StdRng::seed_from_u64(1);
    let data = separable(30, &mut rng);
    let mut net = Network::new(&[2, 3, 2], Init::StandardNormal, &mut rng).unwrap();
    let mut seen = Vec::new();
    let sgd = Sgd::new().with_epochs(10).with_monitor_training_cost(true);
    let reports = sgd
        .train(
            &mut net,
            &data,
            Some(&data),
            &Quadratic,
            &mut rng,
            |r, _| {
                seen.push(r.epoch);
                assert_eq!(r.training.unwrap().total, 30);
                if r.epoch == 4 {
                    ControlFlow::Break(())
                } else {
                    ControlFlow::Continue(())
                }
            },
        )
        .unwrap();
    assert_eq!(seen, [1, 2, 3, 4]);
    assert_eq!(reports.len(), 4);
    assert_eq!(reports[3].evaluation.unwrap().total, 30);
}

#[test]
fn bad_layers_are_errors() {
    let mut rng = StdRng::seed_from_u64(0);
    for sizes in [
        &[][..],
        &[3],
        &[3, 0, 2],
        &[0, 2],
        &[usize::MAX, 2],
        &[1 << 40, 1 << 40],
    ] {
        let err = Network::<f64>::new(sizes, Init::StandardNormal, &mut rng).unwrap_err();
        assert!(
            matches!(err, Error::InvalidLayers { .. }),
            "{sizes:?}: {err}"
        );
    }
    let w = vec![DMatrix::<f64>::zeros(3, 2), DMatrix::zeros(1, 4)];
    let b = vec![DVector::zeros(3), DVector::zeros(1)];
    assert!(matches!(
        Network::from_parameters(w, b),
        Err(Error::ShapeMismatch {
            layer: 1,
            what: "weights",
            ..
        })
    ));
    let w = vec![DMatrix::<f64>::zeros(3, 2)];
    assert!(matches!(
        Network::from_parameters(w.clone(), vec![DVector::zeros(2)]),
        Err(Error::ShapeMismatch { what: "biases", .. })
    ));
    assert!(matches!(
        Network::from_parameters(w, vec![]),
        Err(Error::InvalidLayers { .. })
    ));
}

#[test]
fn mismatched_data_is_an_error() {
    let mut rng = StdRng::seed_from_u64(0);
    let mut net = Network::<f64>::new(&[2, 3, 1], Init::StandardNormal, &mut rng).unwrap();
    assert!(matches!(
        net.feedforward(&DVector::zeros(3)),
        Err(Error::InputSize {
            expected: 2,
            got: 3,
            ..
        })
    ));
    assert!(matches!(
        net.predict(&DVector::zeros(1)),
        Err(Error::InputSize { .. })
    ));
    assert!(matches!(
        net.feedforward_batch(&DMatrix::zeros(4, 2)),
        Err(Error::InputSize { .. })
    ));
    assert!(matches!(
        Dataset::new(DMatrix::<f64>::zeros(2, 3), DMatrix::zeros(1, 2)),
        Err(Error::ExampleCount {
            inputs: 3,
            targets: 2
        })
    ));
    assert!(matches!(
        Dataset::from_labels(DMatrix::<f64>::zeros(2, 2), &[0, 3], 3),
        Err(Error::InvalidConfig { .. })
    ));
    assert!(matches!(
        neuralnet::one_hot::<f64>(&[0, 1], usize::MAX),
        Err(Error::InvalidConfig {
            name: "classes",
            ..
        })
    ));

    let sgd = Sgd::new().with_epochs(1);
    let wrong_input = Dataset::new(DMatrix::zeros(3, 4), DMatrix::zeros(1, 4)).unwrap();
    let wrong_target = Dataset::new(DMatrix::zeros(2, 4), DMatrix::zeros(2, 4)).unwrap();
    let empty = Dataset::new(DMatrix::zeros(2, 0), DMatrix::zeros(1, 0)).unwrap();
    let good = xor::<f64>();
    let r = |d: &Dataset<f64>,
             e: Option<&Dataset<f64>>,
             net: &mut Network<f64>,
             rng: &mut StdRng| sgd.train(net, d, e, &Quadratic, rng, quiet);
    assert!(matches!(
        r(&wrong_input, None, &mut net, &mut rng),
        Err(Error::InputSize { .. })
    ));
    assert!(matches!(
        r(&wrong_target, None, &mut net, &mut rng),
        Err(Error::TargetSize {
            expected: 1,
            got: 2
        })
    ));
    assert!(matches!(
        r(&empty, None, &mut net, &mut rng),
        Err(Error::EmptyData { .. })
    ));
    assert!(matches!(
        r(&good, Some(&wrong_target), &mut net, &mut rng),
        Err(Error::TargetSize { .. })
    ));
    assert!(matches!(
        net.evaluate(&wrong_input, &Quadratic),
        Err(Error::InputSize { .. })
    ));

    let x = DMatrix::zeros(2, 3);
    assert!(matches!(
        net.backprop(&x, &DMatrix::zeros(1, 2), &Quadratic),
        Err(Error::ExampleCount { .. })
    ));
    assert!(matches!(
        net.backprop(&x, &DMatrix::zeros(2, 3), &Quadratic),
        Err(Error::TargetSize { .. })
    ));
    assert!(matches!(
        net.backprop(&DMatrix::zeros(2, 0), &DMatrix::zeros(1, 0), &Quadratic),
        Err(Error::EmptyData { .. })
    ));
}

#[test]
fn bad_hyper_parameters_are_errors() {
    let mut rng = StdRng::seed_from_u64(0);
    let mut net = Network::<f64>::new(&[2, 3, 1], Init::StandardNormal, &mut rng).unwrap();
    let data = xor::<f64>();
    let bad = [
        (Sgd::new().with_learning_rate(0.0), "learning_rate"),
        (Sgd::new().with_learning_rate(-1.0), "learning_rate"),
        (Sgd::new().with_learning_rate(f64::NAN), "learning_rate"),
        (
            Sgd::new().with_learning_rate(f64::INFINITY),
            "learning_rate",
        ),
        (Sgd::new().with_mini_batch_size(0), "mini_batch_size"),
        (Sgd::new().with_l2_lambda(-0.1), "l2_lambda"),
        (Sgd::new().with_l2_lambda(f64::NAN), "l2_lambda"),
    ];
    for (sgd, which) in bad {
        let err = sgd
            .train(&mut net, &data, None, &Quadratic, &mut rng, quiet)
            .unwrap_err();
        assert!(
            matches!(err, Error::InvalidConfig { name, .. } if name == which),
            "{err}"
        );
    }
}

/// The quadratic cost, but its output error turns NaN after `after` mini-batches,
/// as when training blows up.
struct PoisonAfter {
    after: usize,
    calls: AtomicUsize,
}

impl Cost<f64> for PoisonAfter {
    fn cost(&self, a: &[f64], y: &[f64]) -> f64 {
        Quadratic.cost(a, y)
    }
    fn gradient(&self, a: &[f64], y: &[f64], out: &mut [f64]) {
        Quadratic.gradient(a, y, out);
    }
    fn delta(&self, output: Activation, a: &[f64], y: &[f64], out: &mut [f64]) {
        let calls = self.calls.fetch_add(1, Ordering::Relaxed) + 1;
        Quadratic.delta(output, a, y, out);
        if calls > self.after {
            out.fill(f64::NAN);
        }
    }
}

#[test]
fn divergence_is_reported_and_the_last_good_epoch_kept() {
    let run = |epochs, poison| {
        let mut rng = StdRng::seed_from_u64(4);
        let data = separable(20, &mut rng);
        let mut net = Network::<f64>::new(&[2, 3, 2], Init::StandardNormal, &mut rng).unwrap();
        let cost = PoisonAfter {
            after: poison,
            calls: AtomicUsize::new(0),
        };
        let mut reported = Vec::new();
        let sgd = Sgd::new()
            .with_learning_rate(0.5)
            .with_mini_batch_size(5)
            .with_epochs(epochs);
        let result = sgd.train(&mut net, &data, Some(&data), &cost, &mut rng, |r, _| {
            reported.push(r.epoch);
            ControlFlow::Continue(())
        });
        (result, net, reported)
    };
    // 4 mini-batches per epoch: the 11th output error is NaN, in epoch 3.
    let (result, net, reported) = run(5, 10);
    let err = result.unwrap_err();
    assert!(
        matches!(
            err,
            Error::Diverged {
                epoch: 3,
                learning_rate: 0.5,
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("smaller learning rate"), "{err}");
    assert_eq!(reported, [1, 2]);
    let (ok, after_two_epochs, _) = run(2, usize::MAX);
    ok.unwrap();
    assert_eq!(net, after_two_epochs);

    // Diverging in the first epoch leaves the network as it started.
    let (result, net, reported) = run(5, 0);
    assert!(matches!(result, Err(Error::Diverged { epoch: 1, .. })));
    assert!(reported.is_empty());
    let (_, untrained, _) = run(0, 0);
    assert_eq!(net, untrained);
}

/// The quadratic cost, but its output error is zero except in mini-batch
/// number `only` (from 1), so that only that mini-batch moves the network.
/// Records the size of each mini-batch it sees.
struct OnlyBatch {
    only: usize,
    sizes: Mutex<Vec<usize>>,
}

impl Cost<f64> for OnlyBatch {
    fn cost(&self, a: &[f64], y: &[f64]) -> f64 {
        Quadratic.cost(a, y)
    }
    fn gradient(&self, a: &[f64], y: &[f64], out: &mut [f64]) {
        Quadratic.gradient(a, y, out);
    }
    fn delta(&self, output: Activation, a: &[f64], y: &[f64], out: &mut [f64]) {
        let mut sizes = self.sizes.lock().unwrap();
        sizes.push(a.len() / 2); // two output neurons
        if sizes.len() == self.only {
            Quadratic.delta(output, a, y, out);
        } else {
            out.fill(0.0);
        }
    }
}

#[test]
fn a_last_partial_mini_batch_is_trained_too() {
    // 7 examples in mini-batches of 3: batches of 3, 3 and 1. Only the last
    // has a nonzero output error, so the network moves only if it is trained.
    // A batch larger than n is clamped to one batch of all 7.
    let mut rng = StdRng::seed_from_u64(8);
    let data = separable(7, &mut rng);
    for (m, batches) in [(3, vec![3, 3, 1]), (100, vec![7])] {
        let mut net = Network::new(&[2, 3, 2], Init::StandardNormal, &mut rng).unwrap();
        let before = net.clone();
        let cost = OnlyBatch {
            only: batches.len(),
            sizes: Mutex::new(Vec::new()),
        };
        Sgd::new()
            .with_mini_batch_size(m)
            .with_epochs(1)
            .train(&mut net, &data, None, &cost, &mut rng, quiet)
            .unwrap();
        assert_eq!(*cost.sizes.lock().unwrap(), batches, "m = {m}");
        assert_ne!(net, before, "m = {m}: the last mini-batch changed nothing");
        assert!(net.is_finite());
    }

    // The control: with the last mini-batch's error zero too, nothing moves.
    let mut net = Network::new(&[2, 3, 2], Init::StandardNormal, &mut rng).unwrap();
    let before = net.clone();
    let cost = OnlyBatch {
        only: 4,
        sizes: Mutex::new(Vec::new()),
    };
    Sgd::new()
        .with_mini_batch_size(3)
        .with_epochs(1)
        .train(&mut net, &data, None, &cost, &mut rng, quiet)
        .unwrap();
    assert_eq!(net, before);
}

/// Records what [`Monitor::on_batch`] is told, and the epochs.
#[derive(Default)]
struct Progress {
    batches: Vec<(usize, usize)>,
    epochs: Vec<usize>,
}

impl Monitor<f64> for Progress {
    fn on_epoch(&mut self, report: &EpochReport, _: &Network<f64>) -> ControlFlow<()> {
        self.epochs.push(report.epoch);
        ControlFlow::Continue(())
    }
    fn on_batch(&mut self, done: usize, total: usize) {
        self.batches.push((done, total));
    }
}

#[test]
fn the_monitor_is_told_the_examples_done_after_every_mini_batch() {
    let mut rng = StdRng::seed_from_u64(12);
    let data = separable(23, &mut rng);
    let mut net = Network::new(&[2, 3, 2], Init::StandardNormal, &mut rng).unwrap();
    let mut progress = Progress::default();
    let reports = Sgd::new()
        .with_mini_batch_size(10)
        .with_epochs(2)
        .train_with(&mut net, &data, None, &Quadratic, &mut rng, &mut progress)
        .unwrap();
    assert_eq!(reports.len(), 2);
    assert_eq!(progress.epochs, [1, 2]);
    let epoch = [(10, 23), (20, 23), (23, 23)];
    assert_eq!(progress.batches, [epoch, epoch].concat());
}

#[test]
fn every_setting_reads_back_as_set() {
    let sgd = Sgd::new()
        .with_learning_rate(0.25)
        .with_mini_batch_size(7)
        .with_epochs(12)
        .with_l2_lambda(0.5)
        .with_starting_epoch(3)
        .with_monitor_training_cost(true);
    assert_eq!(sgd.learning_rate(), 0.25);
    assert_eq!(sgd.mini_batch_size(), 7);
    assert_eq!(sgd.epochs(), 12);
    assert_eq!(sgd.l2_lambda(), 0.5);
    assert_eq!(sgd.starting_epoch(), 3);
    assert!(sgd.monitors_training_cost());
    assert!(sgd.validate().is_ok());

    // The lecture's defaults.
    let default = Sgd::default();
    assert_eq!(default, Sgd::new());
    assert_eq!(default.learning_rate(), 3.0);
    assert_eq!(default.mini_batch_size(), 10);
    assert_eq!(default.epochs(), 30);
    assert_eq!(default.l2_lambda(), 0.0);
    assert_eq!(default.starting_epoch(), 0);
    assert!(!default.monitors_training_cost());
}

/// The cross-entropy and log-likelihood costs take probabilities: targets
/// of 100 to 400 (a regression target) are refused before training, with
/// what to use instead; the quadratic cost takes them.
#[test]
fn probability_costs_refuse_targets_outside_0_to_1() {
    use neuralnet::{Activation, LogLikelihood};
    let x = DMatrix::from_fn(2, 4, |i, j| (i + j) as f64 / 4.0);
    let y = DMatrix::from_row_slice(1, 4, &[100.0, 200.0, 300.0, 400.0]);
    let data = Dataset::new(x.clone(), y).unwrap();
    let mut rng = StdRng::seed_from_u64(1);
    let mut net = Network::<f64>::new(&[2, 3, 1], Init::ScaledNormal, &mut rng).unwrap();
    let sgd = Sgd::new().with_epochs(1).with_mini_batch_size(2);
    let err = sgd
        .train(&mut net, &data, None, &CrossEntropy, &mut rng, |_, _| {
            ControlFlow::Continue(())
        })
        .unwrap_err();
    assert!(
        matches!(err, Error::TargetRange { example: 0, value, .. } if value == 100.0),
        "{err}"
    );
    assert!(
        err.to_string()
            .contains("quadratic cost with an identity output"),
        "{err}"
    );
    let err = net.backprop(&x, data.targets(), &CrossEntropy).unwrap_err();
    assert!(matches!(err, Error::TargetRange { .. }), "{err}");
    let mut softmax = Network::<f64>::new(&[2, 3, 2], Init::ScaledNormal, &mut rng)
        .unwrap()
        .with_output(Activation::Softmax);
    let two = Dataset::new(
        x.clone(),
        DMatrix::from_row_slice(2, 4, &[1.0, 0.0, 1.0, -0.5, 0.0, 1.0, 0.0, 1.5]),
    )
    .unwrap();
    let err = sgd
        .train(
            &mut softmax,
            &two,
            None,
            &LogLikelihood,
            &mut rng,
            |_, _| ControlFlow::Continue(()),
        )
        .unwrap_err();
    assert!(
        matches!(err, Error::TargetRange { example: 3, .. }),
        "{err}"
    );
    // Regression: an identity output and the quadratic cost take them.
    let mut linear = net.with_output(Activation::Identity);
    Sgd::new()
        .with_epochs(1)
        .with_mini_batch_size(2)
        .with_learning_rate(1e-4)
        .train(&mut linear, &data, None, &Quadratic, &mut rng, |_, _| {
            ControlFlow::Continue(())
        })
        .unwrap();
}
