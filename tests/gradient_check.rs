//! Backpropagation against central finite differences of the cost computed
//! by feedforward alone.

use nalgebra::{DMatrix, DVector};
use neuralnet::{Cost, CrossEntropy, Network, Quadratic};
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
            (analytic - numeric).abs() / scale < 1e-6,
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
                    Network::from_parameters(w, biases.clone()).unwrap()
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
                Network::from_parameters(weights.clone(), b).unwrap()
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

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn quadratic_gradient_matches_finite_differences((net, x, y) in case()) {
        check(&net, &x, &y, &Quadratic)?;
    }

    #[test]
    fn cross_entropy_gradient_matches_finite_differences((net, x, y) in case()) {
        check(&net, &x, &y, &CrossEntropy)?;
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
