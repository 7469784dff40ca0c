//! Backpropagation against central finite differences of the cost computed
//! by feedforward alone.

use nalgebra::{DMatrix, DVector};
use neuralnet::{Activation, Cost, CrossEntropy, LogLikelihood, Network, Quadratic};
use proptest::prelude::*;

/// The batch's average cost (1/m) Σ_x C_x, through feedforward only.
fn batch_cost(net: &Network<f64>, x: &DMatrix<f64>, y: &DMatrix<f64>, cost: &dyn Cost<f64>) -> f64 {
    let a = net.feedforward_batch(x).unwrap();
    cost.cost(a.as_slice(), y.as_slice()) / x.ncols() as f64
}

/// Checks every weight and bias gradient of `net` against (C(v+h) − C(v−h))/2h.
fn check(
    net: &Network<f64>,
    x: &DMatrix<f64>,
    y: &DMatrix<f64>,
    cost: &dyn Cost<f64>,
) -> Result<(), TestCaseError> {
    check_within(net, x, y, cost, 1e-6)
}

/// [`check`] with a relative tolerance `tol`.
fn check_within(
    net: &Network<f64>,
    x: &DMatrix<f64>,
    y: &DMatrix<f64>,
    cost: &dyn Cost<f64>,
    tol: f64,
) -> Result<(), TestCaseError> {
    let grad = net.backprop(x, y, cost).unwrap();
    let (weights, biases) = net.to_parameters();
    let h = 1e-4;
    // Richardson extrapolation of central differences: with
    // D(h) = (C(v+h) − C(v−h))/2h, (4·D(h/2) − D(h))/3 has error O(h⁴),
    // so truncation stays far below the tolerance even near saturation.
    let compare = |analytic: f64, shifted: &dyn Fn(f64) -> Network<f64>, what: String| {
        let d = |h: f64| {
            (batch_cost(&shifted(h), x, y, cost) - batch_cost(&shifted(-h), x, y, cost)) / (2.0 * h)
        };
        let numeric = (4.0 * d(h / 2.0) - d(h)) / 3.0;
        // Relative error, with an absolute floor (1e-8) for small gradients,
        // where rounding dominates the differences: σ's last bits, amplified
        // near saturation by the 1/(1 − a) of the cross-entropy's ln(1 − a),
        // divided by h. A wrong gradient is off by its own size, not 1e-8.
        let scale = analytic.abs().max(numeric.abs()).max(1e-2);
        prop_assert!(
            (analytic - numeric).abs() / scale < tol,
            "{what}: backprop {analytic:e}, finite difference {numeric:e}"
        );
        Ok(())
    };
    for l in 0..weights.len() {
        for j in 0..weights[l].nrows() {
            for k in 0..weights[l].ncols() {
                let shifted = |d: f64| {
                    let mut w = weights.clone();
                    w[l][(j, k)] += d;
                    Network::from_parameters(w, biases.clone())
                        .and_then(|n| n.with_activations(net.activations()))
                        .unwrap()
                };
                compare(
                    grad.weights()[l][(j, k)],
                    &shifted,
                    format!("w[{l}][{j},{k}]"),
                )?;
            }
            let shifted = |d: f64| {
                let mut b = biases.clone();
                b[l][j] += d;
                Network::from_parameters(weights.clone(), b)
                    .and_then(|n| n.with_activations(net.activations()))
                    .unwrap()
            };
            compare(grad.biases()[l][j], &shifted, format!("b[{l}][{j}]"))?;
        }
    }
    Ok(())
}

/// A random network, mini-batch and targets.
fn case() -> impl Strategy<Value = (Network<f64>, DMatrix<f64>, DMatrix<f64>)> {
    (prop::collection::vec(1usize..=8, 2..=4), 1usize..=5).prop_flat_map(|(sizes, m)| {
        let params: usize = sizes.windows(2).map(|p| p[0] * p[1] + p[1]).sum();
        let (n_in, n_out) = (sizes[0], sizes[sizes.len() - 1]);
        (
            prop::collection::vec(-2.0..2.0_f64, params),
            prop::collection::vec(-1.0..1.0_f64, n_in * m),
            prop::collection::vec(0.0..1.0_f64, n_out * m),
        )
            .prop_map(move |(p, x, y)| {
                let mut it = p.into_iter();
                let mut weights = Vec::new();
                let mut biases = Vec::new();
                for pair in sizes.windows(2) {
                    weights.push(DMatrix::from_iterator(
                        pair[1],
                        pair[0],
                        it.by_ref().take(pair[0] * pair[1]),
                    ));
                    biases.push(DVector::from_iterator(pair[1], it.by_ref().take(pair[1])));
                }
                (
                    Network::from_parameters(weights, biases).unwrap(),
                    DMatrix::from_vec(n_in, m, x),
                    DMatrix::from_vec(n_out, m, y),
                )
            })
    })
}

/// Every valid pair of a cost and an output activation.
const PAIRS: [(&str, Activation); 7] = [
    ("quadratic", Activation::Sigmoid),
    ("quadratic", Activation::Tanh),
    ("quadratic", Activation::Relu),
    // A linear output: least-squares regression.
    ("quadratic", Activation::Identity),
    ("cross-entropy", Activation::Sigmoid),
    ("log-likelihood", Activation::Softmax),
    // Softmax with log-likelihood again, the likeliest to go wrong.
    ("log-likelihood", Activation::Softmax),
];

fn cost_named(name: &str) -> &'static dyn Cost<f64> {
    match name {
        "quadratic" => &Quadratic,
        "cross-entropy" => &CrossEntropy,
        _ => &LogLikelihood,
    }
}

/// The smallest |z| of any ReLU neuron over the batch, computed directly
/// from the weights (∞ without ReLU layers): finite differences across
/// the kink at z = 0 do not approximate a derivative.
fn relu_margin(net: &Network<f64>, x: &DMatrix<f64>) -> f64 {
    let mut a = x.clone();
    let mut margin = f64::INFINITY;
    for ((w, b), &f) in net
        .weights()
        .iter()
        .zip(net.biases())
        .zip(net.activations())
    {
        // By hand: nalgebra's own product trips a debug check on some shapes.
        let z = DMatrix::from_fn(w.nrows(), a.ncols(), |j, t| {
            b[j] + (0..w.ncols()).map(|k| w[(j, k)] * a[(k, t)]).sum::<f64>()
        });
        if f == Activation::Relu {
            margin = margin.min(z.iter().fold(f64::INFINITY, |m, v| m.min(v.abs())));
        }
        a = match f.apply(0.0) {
            Some(_) => z.map(|v| f.apply(v).unwrap()),
            None => {
                let mut s = z.clone();
                for mut col in s.column_iter_mut() {
                    neuralnet::activation::softmax_in_place(col.as_mut_slice());
                }
                s
            }
        };
    }
    margin
}

/// A random network whose hidden layers are each sigmoid, tanh or ReLU,
/// with a valid cost and output activation, a mini-batch and targets (for
/// the log-likelihood, each example's targets sum to 1).
fn case_with_activations()
-> impl Strategy<Value = (Network<f64>, DMatrix<f64>, DMatrix<f64>, &'static str)> {
    (
        case(),
        prop::collection::vec(0usize..4, 3),
        0usize..PAIRS.len(),
    )
        .prop_map(|((net, x, mut y), hidden, pair)| {
            let (cost, output) = PAIRS[pair];
            let layers = net.num_layers() - 1;
            let mut acts: Vec<Activation> = hidden[..layers - 1]
                .iter()
                .map(|&i| {
                    [
                        Activation::Sigmoid,
                        Activation::Tanh,
                        Activation::Relu,
                        Activation::Identity,
                    ][i]
                })
                .collect();
            acts.push(output);
            if cost == "log-likelihood" {
                for mut col in y.column_iter_mut() {
                    let sum = col.sum() + 1e-3 * col.len() as f64;
                    col.iter_mut().for_each(|v| *v = (*v + 1e-3) / sum);
                }
            }
            (net.with_activations(&acts).unwrap(), x, y, cost)
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn quadratic_gradient_matches_finite_differences((net, x, y) in case()) {
        check(&net, &x, &y, &Quadratic)?;
    }

    #[test]
    fn cross_entropy_gradient_matches_finite_differences((net, x, y) in case()) {
        // Outputs away from 0 and 1, as below: near them the cost's
        // ln(1 − a) turns σ's last bits into differences of 1e-8 (a case
        // with w up to 2 failed at 1.3e-6 relative).
        let a = net.feedforward_batch(&x).unwrap();
        prop_assume!(a.iter().all(|&a| a > 1e-4 && a < 1.0 - 1e-4));
        check(&net, &x, &y, &CrossEntropy)?;
    }

    #[test]
    fn every_cost_and_activation_gradient_matches_finite_differences(
        (net, x, y, cost) in case_with_activations()
    ) {
        // Keep every ReLU's z away from its kink (a change of one weight
        // by h moves z by far less than 0.05 here).
        prop_assume!(relu_margin(&net, &x) > 0.05);
        // Keep sigmoid outputs away from 0 and 1 for the cross-entropy: its
        // ln(1 − a) turns σ's last bits into noise that the finite
        // differences divide by h (backprop's a − y does not suffer).
        let a = net.feedforward_batch(&x).unwrap();
        prop_assume!(cost != "cross-entropy" || a.iter().all(|&a| a > 1e-4 && a < 1.0 - 1e-4));
        // The costs' logarithms clamp a at the smallest normal f32
        // (ln a ≥ −87.3): identity and ReLU layers are unbounded, and a
        // softmax of logits more than 87 apart puts an output in the clamp,
        // where the cost is flat and finite differences see no slope that
        // backprop's a − y (rightly) does.
        prop_assume!(cost != "log-likelihood" || a.iter().all(|&a| a > 1e-30));
        // ReLU layers are unbounded, so outputs saturate harder than with
        // sigmoid layers alone, and rounding in ln(1 − a) grows: a looser
        // tolerance, still far below the error of a wrong formula (which
        // is of the gradient's own size).
        check_within(&net, &x, &y, cost_named(cost), 1e-4)?;
    }
}

#[test]
fn gradient_of_one_example_has_the_outer_product_form() {
    // ∂C/∂w_jk = a_k δ_j for a one-layer network: check against the formula directly.
    let w = DMatrix::<f64>::from_row_slice(2, 3, &[0.1, -0.2, 0.3, 0.5, 0.4, -0.6]);
    let b = DVector::<f64>::from_column_slice(&[0.05, -0.1]);
    let net = Network::from_parameters(vec![w.clone()], vec![b.clone()]).unwrap();
    let x = DMatrix::<f64>::from_column_slice(3, 1, &[1.0, 2.0, -1.0]);
    let y = DMatrix::<f64>::from_column_slice(2, 1, &[1.0, 0.0]);
    let grad = net.backprop(&x, &y, &Quadratic).unwrap();
    let z = &w * &x + &b;
    for j in 0..2 {
        let a: f64 = neuralnet::activation::sigmoid(z[j]);
        let delta = (a - y[j]) * neuralnet::activation::sigmoid_prime(z[j]);
        assert!((grad.biases()[0][j] - delta).abs() < 1e-15);
        for k in 0..3 {
            assert!((grad.weights()[0][(j, k)] - x[k] * delta).abs() < 1e-15);
        }
    }
}

/// Layers wide enough for the packed, cache-blocked products (128 and
/// more): the gradient of 40 weights and biases drawn across every layer
/// against central differences, in f64; and the same gradient in f32
/// against the f64 one.
#[test]
fn wide_layers_take_the_packed_path_and_their_gradient_is_right() {
    use neuralnet::Init;
    use neuralnet::rand::rngs::StdRng;
    use neuralnet::rand::{RngExt, SeedableRng};
    let mut rng = StdRng::seed_from_u64(11);
    let net = Network::<f64>::new(&[150, 160, 130, 4], Init::ScaledNormal, &mut rng)
        .unwrap()
        .with_hidden(Activation::Tanh)
        .unwrap()
        .with_output(Activation::Softmax);
    let m = 33;
    let x = DMatrix::from_fn(150, m, |_, _| rng.random_range(-1.0..1.0));
    let y = DMatrix::from_fn(4, m, |i, j| f64::from(u8::from(i == j % 4)));
    let grad = net.backprop(&x, &y, &LogLikelihood).unwrap();
    let (weights, biases) = net.to_parameters();
    let h = 1e-5;
    for _ in 0..40 {
        let l = rng.random_range(0..3);
        let (rows, cols) = weights[l].shape();
        let (j, k) = (rng.random_range(0..rows), rng.random_range(0..cols));
        let bias = rng.random_range(0..4) == 0;
        let shifted = |d: f64| {
            let (mut w, mut b) = (weights.clone(), biases.clone());
            if bias {
                b[l][j] += d;
            } else {
                w[l][(j, k)] += d;
            }
            Network::from_parameters(w, b)
                .unwrap()
                .with_hidden(Activation::Tanh)
                .unwrap()
                .with_output(Activation::Softmax)
        };
        let numeric = (batch_cost(&shifted(h), &x, &y, &LogLikelihood)
            - batch_cost(&shifted(-h), &x, &y, &LogLikelihood))
            / (2.0 * h);
        let analytic = if bias {
            grad.biases()[l][j]
        } else {
            grad.weights()[l][(j, k)]
        };
        assert!(
            (analytic - numeric).abs() <= 1e-6 * numeric.abs().max(1e-3),
            "layer {l} {} ({j}, {k}): backprop {analytic:e}, differences {numeric:e}",
            if bias { "bias" } else { "weight" }
        );
    }
    // f32: the same network and batch, rounded, give the same gradient to
    // f32's precision.
    let net32: Network<f32> = net.cast().unwrap();
    let grad32 = net32
        .backprop(&x.map(|v| v as f32), &y.map(|v| v as f32), &LogLikelihood)
        .unwrap();
    let norm = grad.norm_squared().sqrt();
    let mut diff = 0.0;
    for (a, b) in grad.weights().iter().zip(grad32.weights()) {
        diff += a.zip_map(&b, |a, b| (a - f64::from(b)).powi(2)).sum();
    }
    assert!(
        diff.sqrt() <= 1e-4 * norm,
        "f32 gradient off by {:e} of {norm:e}",
        diff.sqrt()
    );
}
