//! Chapter 3's toolkit through the public API: activations per layer, the
//! pairing of costs with output activations, and dropout.

use std::ops::ControlFlow;

use nalgebra::{DMatrix, DVector};
use neuralnet::sgd::Dropout;
use neuralnet::{
    Activation, Cost, CostKind, CrossEntropy, Dataset, Error, Init, LogLikelihood, Network,
    Quadratic, Sgd,
};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

fn net(sizes: &[usize], seed: u64) -> Network<f64> {
    Network::new(sizes, Init::ScaledNormal, &mut StdRng::seed_from_u64(seed)).unwrap()
}

/// `n` points in the square [−1, 1]², labelled by quadrant (4 classes).
fn quadrants(n: usize, seed: u64) -> Dataset<f64> {
    let mut rng = StdRng::seed_from_u64(seed);
    let x = DMatrix::from_fn(2, n, |_, _| rng.random_range(-1.0..1.0));
    let labels: Vec<u8> = x
        .column_iter()
        .map(|p| u8::from(p[0] > 0.0) + 2 * u8::from(p[1] > 0.0))
        .collect();
    Dataset::from_labels(x, &labels, 4).unwrap()
}

fn train(
    net: &mut Network<f64>,
    data: &Dataset<f64>,
    cost: &dyn Cost<f64>,
    sgd: &Sgd,
    seed: u64,
) -> Result<(), Error> {
    let mut rng = StdRng::seed_from_u64(seed);
    sgd.train(net, data, None, cost, &mut rng, |_, _| {
        ControlFlow::Continue(())
    })
    .map(|_| ())
}

#[test]
fn the_default_network_is_all_sigmoid_and_with_activations_sets_them() {
    let n = net(&[3, 4, 5, 2], 1);
    assert_eq!(n.activations(), [Activation::Sigmoid; 3]);
    let n = n.with_hidden(Activation::Relu).unwrap();
    assert_eq!(
        n.activations(),
        [Activation::Relu, Activation::Relu, Activation::Sigmoid]
    );
    let n = n.with_output(Activation::Softmax);
    assert_eq!(n.output_activation(), Activation::Softmax);
    // Changing activations leaves the weights alone.
    assert_eq!(n.weights(), net(&[3, 4, 5, 2], 1).weights());
}

#[test]
fn a_softmax_hidden_layer_or_a_wrong_count_is_refused() {
    for result in [
        net(&[3, 4, 2], 1).with_hidden(Activation::Softmax),
        net(&[3, 4, 2], 1).with_activations(&[Activation::Softmax, Activation::Softmax]),
        net(&[3, 4, 2], 1).with_activations(&[Activation::Relu]),
    ] {
        let err = result.unwrap_err();
        assert!(
            matches!(
                err,
                Error::InvalidConfig {
                    name: "activations",
                    ..
                }
            ),
            "{err}"
        );
    }
    let msg = net(&[3, 4, 2], 1)
        .with_hidden(Activation::Softmax)
        .unwrap_err()
        .to_string();
    assert!(msg.contains("output layer"), "{msg}");
}

#[test]
fn feedforward_applies_each_layers_activation() {
    let w0 = DMatrix::from_row_slice(2, 1, &[1.0, -1.0]);
    let w1 = DMatrix::from_row_slice(2, 2, &[1.0, 1.0, 2.0, -1.0]);
    let b = vec![DVector::zeros(2), DVector::from_column_slice(&[0.5, 0.0])];
    let x = DVector::from_element(1, 0.8);
    for (hidden, h) in [
        (Activation::Tanh, [0.8f64.tanh(), (-0.8f64).tanh()]),
        (Activation::Relu, [0.8, 0.0]),
    ] {
        let n = Network::from_parameters(vec![w0.clone(), w1.clone()], b.clone())
            .unwrap()
            .with_activations(&[hidden, Activation::Softmax])
            .unwrap();
        let z = [h[0] + h[1] + 0.5, 2.0 * h[0] - h[1]];
        let e = [z[0].exp(), z[1].exp()];
        let a = n.feedforward(&x).unwrap();
        for j in 0..2 {
            assert!((a[j] - e[j] / (e[0] + e[1])).abs() < 1e-14, "{hidden}");
        }
    }
}

#[test]
fn softmax_outputs_sum_to_one_and_stay_finite_for_huge_inputs() {
    let n = Network::from_parameters(
        vec![DMatrix::<f64>::from_row_slice(3, 1, &[1e4, -1e4, 3e4])],
        vec![DVector::zeros(3)],
    )
    .unwrap()
    .with_output(Activation::Softmax);
    for x in [-1.0, 0.0, 0.5, 1.0, 30.0] {
        let a = n.feedforward(&DVector::from_element(1, x)).unwrap();
        assert!(a.iter().all(|v| v.is_finite() && *v >= 0.0), "{a}");
        assert!((a.sum() - 1.0).abs() < 1e-15, "{a}");
    }
    let a = n.feedforward(&DVector::from_element(1, 1.0)).unwrap();
    assert_eq!(a.as_slice(), [0.0, 0.0, 1.0]);
    let n32 = n.cast::<f32>().unwrap();
    let a = n32.feedforward(&DVector::from_element(1, -1.0f32)).unwrap();
    assert_eq!(a.as_slice(), [0.0, 1.0, 0.0]);
}

#[test]
fn a_cost_that_makes_no_sense_with_the_output_layer_is_refused_before_training() {
    let data = quadrants(20, 1);
    let cases: [(Activation, &dyn Cost<f64>, &str); 4] = [
        (Activation::Sigmoid, &LogLikelihood, "log-likelihood"),
        (Activation::Relu, &CrossEntropy, "cross-entropy"),
        (Activation::Tanh, &CostKind::CrossEntropy, "cross-entropy"),
        (Activation::Softmax, &Quadratic, "quadratic"),
    ];
    for (output, cost, name) in cases {
        let mut n = net(&[2, 5, 4], 2).with_output(output);
        let before = n.clone();
        let is_refusal = |e: Error| matches!(e, Error::CostActivation { cost, activation, .. } if cost == name && activation == output);
        let err = train(&mut n, &data, cost, &Sgd::new().with_epochs(1), 1).unwrap_err();
        assert!(is_refusal(err), "{output} {name}");
        assert_eq!(n, before, "nothing trained");
        let err = n.backprop(data.inputs(), data.targets(), cost).unwrap_err();
        assert!(is_refusal(err));
        let err = n.evaluate(&data, cost).unwrap_err();
        assert!(is_refusal(err));
    }
    let msg = Cost::<f64>::check_output(&LogLikelihood, Activation::Sigmoid)
        .unwrap_err()
        .to_string();
    assert!(msg.contains("softmax"), "{msg}");
}

#[test]
fn relu_softmax_and_log_likelihood_learn_a_synthetic_problem() {
    let training = quadrants(2000, 3);
    let test = quadrants(500, 4);
    let mut n = net(&[2, 20, 4], 5)
        .with_activations(&[Activation::Relu, Activation::Softmax])
        .unwrap();
    let before = n.evaluate(&test, &LogLikelihood).unwrap();
    let sgd = Sgd::new()
        .with_learning_rate(0.1)
        .with_mini_batch_size(10)
        .with_epochs(20);
    train(&mut n, &training, &LogLikelihood, &sgd, 6).unwrap();
    let after = n.evaluate(&test, &LogLikelihood).unwrap();
    assert!(after.accuracy() > 0.95, "{after:?}");
    assert!(after.cost < before.cost / 4.0, "{before:?} → {after:?}");
}

#[test]
fn tanh_hidden_layers_learn_with_the_quadratic_cost() {
    let training = quadrants(2000, 7);
    let mut n = net(&[2, 12, 4], 8).with_hidden(Activation::Tanh).unwrap();
    let sgd = Sgd::new()
        .with_learning_rate(1.0)
        .with_mini_batch_size(10)
        .with_epochs(20);
    train(&mut n, &training, &Quadratic, &sgd, 9).unwrap();
    let acc = n.accuracy(&quadrants(500, 10)).unwrap();
    assert!(acc > 0.9, "{acc}");
}

fn trained_with(dropout: Option<Dropout>, seed: u64) -> Network<f64> {
    let data = quadrants(300, 11);
    let mut n = net(&[2, 16, 8, 4], 12)
        .with_activations(&[Activation::Relu, Activation::Tanh, Activation::Softmax])
        .unwrap();
    let mut sgd = Sgd::new()
        .with_learning_rate(0.2)
        .with_mini_batch_size(7)
        .with_epochs(3);
    if let Some(d) = dropout {
        sgd = sgd.with_dropout(d);
    }
    train(&mut n, &data, &LogLikelihood, &sgd, seed).unwrap();
    n
}

#[test]
fn dropout_at_rate_zero_is_bit_identical_to_no_dropout() {
    let plain = trained_with(None, 1);
    assert_eq!(trained_with(Some(Dropout::hidden(0.0)), 1), plain);
    assert_eq!(
        trained_with(
            Some(
                Dropout::hidden(0.0)
                    .with_input(0.0)
                    .with_layer_rates(vec![0.0, 0.0])
            ),
            1
        ),
        plain
    );
}

#[test]
fn dropout_changes_training_deterministically_for_a_seed() {
    let plain = trained_with(None, 1);
    for d in [
        Dropout::hidden(0.5),
        Dropout::none().with_input(0.2),
        Dropout::none().with_layer_rates(vec![0.0, 0.3]),
    ] {
        let a = trained_with(Some(d.clone()), 1);
        assert_ne!(a, plain, "{d:?}");
        assert_eq!(trained_with(Some(d.clone()), 1), a, "{d:?}");
        assert_ne!(trained_with(Some(d.clone()), 2), a, "{d:?}");
        assert!(a.is_finite());
    }
}

#[test]
fn dropout_settings_are_checked_against_the_network() {
    let data = quadrants(20, 1);
    let mut n = net(&[2, 5, 4], 2);
    let sgd = Sgd::new().with_dropout(Dropout::none().with_layer_rates(vec![0.5, 0.5]));
    let err = train(&mut n, &data, &Quadratic, &sgd, 1).unwrap_err();
    assert!(
        matches!(
            err,
            Error::InvalidConfig {
                name: "dropout",
                ..
            }
        ),
        "{err}"
    );
    let sgd = Sgd::new().with_dropout(Dropout::hidden(1.0));
    let err = train(&mut n, &data, &Quadratic, &sgd, 1).unwrap_err();
    assert!(
        matches!(
            err,
            Error::InvalidConfig {
                name: "dropout",
                ..
            }
        ),
        "{err}"
    );
}

/// With inverted dropout a network trained on one example learns targets
/// that evaluation (no dropout, no rescaling) reproduces.
#[test]
fn inverted_dropout_needs_no_rescaling_at_evaluation() {
    let x = DMatrix::from_fn(10, 4, |i, j| ((i + 3 * j) % 5) as f64 / 5.0);
    let labels = [0u8, 1, 2, 1];
    let data = Dataset::from_labels(x, &labels, 3).unwrap();
    let mut n = net(&[10, 64, 3], 3)
        .with_activations(&[Activation::Relu, Activation::Softmax])
        .unwrap();
    let sgd = Sgd::new()
        .with_learning_rate(0.1)
        .with_mini_batch_size(4)
        .with_epochs(400)
        .with_dropout(Dropout::hidden(0.5));
    train(&mut n, &data, &LogLikelihood, &sgd, 4).unwrap();
    let e = n.evaluate(&data, &LogLikelihood).unwrap();
    assert_eq!(e.correct, 4, "{e:?}");
    assert!(e.cost < 0.2, "{e:?}");
}
