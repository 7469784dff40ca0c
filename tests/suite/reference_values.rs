//! One SGD step and one gradient of a tiny network against values computed
//! independently of this crate, by a short Python script that writes out
//! Nielsen's equations by hand (plain floats, `math.exp`): the forward pass
//! aˡ = σ(wˡaˡ⁻¹ + bˡ), the output error (δᴸ = (a − y) ⊙ σ′(zᴸ) for the
//! quadratic cost, δᴸ = a − y for the cross-entropy), backpropagation
//! δˡ = ((wˡ⁺¹)ᵀδˡ⁺¹) ⊙ σ′(zˡ), ∂C/∂wˡ_jk = aˡ⁻¹_k δˡ_j, ∂C/∂bˡ_j = δˡ_j, and
//! the SGD update w → (1 − ηλ/n)w − (η/m)Σ ∂C/∂w, b → b − (η/m)Σ ∂C/∂b.
//!
//! The script; to rerun it: `sed -n '/^\/\/! ```text/,/^\/\/! ```$/p'
//! tests/suite/reference_values.rs | sed '1d;$d;s|^//! \?||' | python3`.
//!
//! ```text
//! # One SGD step of a [2, 2, 2] sigmoid network, by hand from Nielsen's equations
//! # (plain Python floats, no numerical library).
//! import math
//!
//! W = [[[0.1, -0.2], [0.4, 0.3]], [[0.7, -0.5], [-0.3, 0.6]]]  # W[l][j][k]
//! B = [[0.05, -0.1], [0.2, -0.4]]
//! X = [[0.5, -1.0], [0.9, 0.2]]  # two examples
//! Y = [[1.0, 0.0], [0.0, 1.0]]
//!
//! def sigma(z):
//!     return 1.0 / (1.0 + math.exp(-z))
//!
//! def grad(W, B, x, y, cost):
//!     # Forward: z = W a + b, a = sigma(z).
//!     acts, zs = [x], []
//!     for w, b in zip(W, B):
//!         z = [sum(w[j][k] * acts[-1][k] for k in range(len(acts[-1]))) + b[j] for j in range(len(b))]
//!         zs.append(z)
//!         acts.append([sigma(v) for v in z])
//!     a = acts[-1]
//!     # Output error: quadratic (a - y) * sigma'(z); cross-entropy a - y.
//!     if cost == "quadratic":
//!         d = [(a[j] - y[j]) * a[j] * (1.0 - a[j]) for j in range(len(a))]
//!     else:
//!         d = [a[j] - y[j] for j in range(len(a))]
//!     gw, gb = [None, None], [None, None]
//!     for l in (1, 0):
//!         gb[l] = d
//!         gw[l] = [[d[j] * acts[l][k] for k in range(len(acts[l]))] for j in range(len(d))]
//!         if l > 0:  # delta^{l-1} = (W^l)^T delta^l * sigma'(z^{l-1})
//!             s = [sigma(v) * (1.0 - sigma(v)) for v in zs[l - 1]]
//!             d = [sum(W[l][j][k] * d[j] for j in range(len(d))) * s[k] for k in range(len(s))]
//!     return gw, gb
//!
//! def step(W, B, xs, ys, cost, eta, lam, n):
//!     # One SGD step on the mini-batch xs, ys of a training set of n examples.
//!     m = len(xs)
//!     gs = [grad(W, B, x, y, cost) for x, y in zip(xs, ys)]
//!     gw = [[[sum(g[0][l][j][k] for g in gs) / m for k in range(2)] for j in range(2)] for l in range(2)]
//!     gb = [[sum(g[1][l][j] for g in gs) / m for j in range(2)] for l in range(2)]
//!     decay = 1.0 - eta * lam / n
//!     w = [[[decay * W[l][j][k] - eta * gw[l][j][k] for k in range(2)] for j in range(2)] for l in range(2)]
//!     b = [[B[l][j] - eta * gb[l][j] for j in range(2)] for l in range(2)]
//!     return gw, gb, w, b
//!
//! def short(x):
//!     # 16 significant digits, without trailing zeros.
//!     mantissa, exponent = f"{x:.15e}".split("e")
//!     return mantissa.rstrip("0") + "e" + exponent
//!
//! def rust(name, v):
//!     flat = [short(x) for layer in v for row in (layer if isinstance(layer[0], list) else [layer]) for x in row]
//!     print(f"    {name}: [{', '.join(flat)}],")
//!
//! # Two examples (n = m = 2, no decay); then the two twice (n = m = 4,
//! # lambda = 0.1: the same mean gradient, decay 1 - 0.5 * 0.1 / 4); then the
//! # first example four times in mini-batches of two (n = 4, m = 2, lambda =
//! # 0.1: two steps on the batch [x1, x1], whatever the order).
//! for cost in ("quadratic", "cross-entropy"):
//!     gw, gb, w, b = step(W, B, X, Y, cost, 0.5, 0.0, 2)
//!     print(f"// {cost}")
//!     rust("grad_w", gw); rust("grad_b", gb); rust("w", w); rust("b", b)
//!     _, _, w, b = step(W, B, X + X, Y + Y, cost, 0.5, 0.1, 4)
//!     rust("w_decayed", w); rust("b_decayed", b)
//!     w, b = W, B
//!     for _ in range(2):
//!         _, _, w, b = step(w, b, X[:1] * 2, Y[:1] * 2, cost, 0.5, 0.1, 4)
//!     rust("w_two_steps", w); rust("b_two_steps", b)
//! ```
//!
//! Each run trains one epoch. With a mini-batch of the whole data set that is
//! exactly one SGD step: training shuffles the examples, but their order
//! within one mini-batch changes only the order of a sum (by an ulp or so),
//! not the update; hence a tolerance of 1e-12. The two-step run repeats one
//! example, so its shuffle cannot change anything either.

use std::ops::ControlFlow;

use neuralnet::nalgebra::{DMatrix, DVector};
use neuralnet::rand::SeedableRng;
use neuralnet::rand::rngs::StdRng;
use neuralnet::{Cost, CrossEntropy, Dataset, Network, Quadratic, Sgd};

/// The script's W, B: weights row-major per layer, W[l][j][k].
fn network() -> Network<f64> {
    Network::from_parameters(
        vec![
            DMatrix::from_row_slice(2, 2, &[0.1, -0.2, 0.4, 0.3]),
            DMatrix::from_row_slice(2, 2, &[0.7, -0.5, -0.3, 0.6]),
        ],
        vec![
            DVector::from_column_slice(&[0.05, -0.1]),
            DVector::from_column_slice(&[0.2, -0.4]),
        ],
    )
    .unwrap()
}

/// The script's X, Y: its two examples `copies` times over.
fn data(copies: usize) -> Dataset<f64> {
    let x: Vec<f64> = [0.5, -1.0, 0.9, 0.2].repeat(copies);
    let y: Vec<f64> = [1.0, 0.0, 0.0, 1.0].repeat(copies);
    Dataset::new(
        DMatrix::from_column_slice(2, 2 * copies, &x),
        DMatrix::from_column_slice(2, 2 * copies, &y),
    )
    .unwrap()
}

/// Weights (W[l][j][k] in order) or biases (B[l][j]) of every layer, flat.
fn flat_weights(w: impl IntoIterator<Item = DMatrix<f64>>) -> Vec<f64> {
    w.into_iter()
        .flat_map(|w| w.transpose().as_slice().to_vec())
        .collect()
}

fn flat_biases(b: &[DVector<f64>]) -> Vec<f64> {
    b.iter().flat_map(|b| b.as_slice().to_vec()).collect()
}

fn assert_close(what: &str, got: &[f64], want: &[f64]) {
    assert_eq!(got.len(), want.len(), "{what}");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(
            (g - w).abs() < 1e-12,
            "{what}[{i}]: {g} but the script says {w}"
        );
    }
}

/// The script's output for one cost.
struct Reference {
    grad_w: [f64; 8],
    grad_b: [f64; 4],
    /// After one step on the two examples (n = m = 2, λ = 0).
    w: [f64; 8],
    b: [f64; 4],
    /// After one step on the two examples twice (n = m = 4, λ = 0.1).
    w_decayed: [f64; 8],
    b_decayed: [f64; 4],
    /// After two steps on the first example four times in mini-batches of
    /// two (n = 4, m = 2, λ = 0.1).
    w_two_steps: [f64; 8],
    b_two_steps: [f64; 4],
}

const QUADRATIC: Reference = Reference {
    grad_w: [
        9.454580960705495e-03,
        1.566644567098575e-02,
        -9.743768808378706e-03,
        -1.748490896110885e-02,
        8.429090605037739e-03,
        1.832159176323394e-02,
        -6.014208750266269e-03,
        -1.617878279108718e-02,
    ],
    grad_b: [
        5.078918884452293e-03,
        -4.698558985610907e-03,
        2.068130888865204e-02,
        -1.634905354879652e-02,
    ],
    w: [
        9.527270951964725e-02,
        -2.078332228354929e-01,
        4.048718844041894e-01,
        3.087424544805544e-01,
        6.957854546974811e-01,
        -5.09160795881617e-01,
        -2.969928956248669e-01,
        6.080893913955435e-01,
    ],
    b: [
        4.746054055777386e-02,
        -9.765072050719455e-02,
        1.89659345555674e-01,
        -3.918254732256017e-01,
    ],
    w_decayed: [
        9.402270951964725e-02,
        -2.053332228354929e-01,
        3.998718844041894e-01,
        3.049924544805545e-01,
        6.870354546974812e-01,
        -5.02910795881617e-01,
        -2.932428956248669e-01,
        6.005893913955436e-01,
    ],
    b_decayed: [
        4.746054055777386e-02,
        -9.765072050719455e-02,
        1.89659345555674e-01,
        -3.918254732256017e-01,
    ],
    w_two_steps: [
        1.09503266707318e-01,
        -2.190065334146361e-01,
        3.771651506976101e-01,
        3.183415736047799e-01,
        7.37146348252581e-01,
        -4.453922648929726e-01,
        -3.502268110323463e-01,
        5.404765779785514e-01,
    ],
    b_two_steps: [
        7.412789447603287e-02,
        -1.259670444085714e-01,
        2.950770376890797e-01,
        -5.00556597708753e-01,
    ],
};

const CROSS_ENTROPY: Reference = Reference {
    grad_w: [
        3.809372492943448e-02,
        6.445905184335204e-02,
        -3.917496986496205e-02,
        -7.174377085692238e-02,
        3.250555451594717e-02,
        7.324765486150789e-02,
        -2.289615257002037e-02,
        -6.43125637381152e-02,
    ],
    grad_b: [
        1.992884917798056e-02,
        -1.83124554951855e-02,
        8.108414581922696e-02,
        -6.363566261632278e-02,
    ],
    w: [
        8.095313753528277e-02,
        -2.32229525921676e-01,
        4.19587484932481e-01,
        3.358718854284612e-01,
        6.837472227420264e-01,
        -5.36623827430754e-01,
        -2.885519237149898e-01,
        6.321562818690576e-01,
    ],
    b: [
        4.003557541100972e-02,
        -9.084377225240725e-02,
        1.594579270903865e-01,
        -3.681821686918386e-01,
    ],
    w_decayed: [
        7.970313753528277e-02,
        -2.29729525921676e-01,
        4.14587484932481e-01,
        3.321218854284612e-01,
        6.749972227420264e-01,
        -5.30373827430754e-01,
        -2.848019237149898e-01,
        6.246562818690576e-01,
    ],
    b_decayed: [
        4.003557541100972e-02,
        -9.084377225240725e-02,
        1.594579270903865e-01,
        -3.681821686918386e-01,
    ],
    w_two_steps: [
        1.468176711284396e-01,
        -2.936353422568792e-01,
        3.437066499839452e-01,
        3.852585750321098e-01,
        8.96365859667097e-01,
        -3.285714951920756e-01,
        -5.157985767479348e-01,
        4.190215977652666e-01,
    ],
    b_two_steps: [
        1.492340222777933e-01,
        -1.934208800295878e-01,
        5.670463703184178e-01,
        -7.833535163236988e-01,
    ],
};

/// One epoch of mini-batches of `m` examples (one SGD step if `m` is the
/// size of `data`).
fn one_epoch(data: &Dataset<f64>, m: usize, cost: &dyn Cost<f64>, lambda: f64) -> Network<f64> {
    let mut net = network();
    let mut rng = StdRng::seed_from_u64(1);
    Sgd::new()
        .with_learning_rate(0.5)
        .with_mini_batch_size(m)
        .with_epochs(1)
        .with_l2_lambda(lambda)
        .train(&mut net, data, None, cost, &mut rng, |_, _| {
            ControlFlow::Continue(())
        })
        .unwrap();
    net
}

fn check(name: &str, cost: &dyn Cost<f64>, want: &Reference) {
    let two = data(1);
    let grad = network()
        .backprop(two.inputs(), two.targets(), cost)
        .unwrap();
    assert_close(
        &format!("{name} ∂C/∂w"),
        &flat_weights(grad.weights().iter().map(|w| w.into_owned())),
        &want.grad_w,
    );
    assert_close(
        &format!("{name} ∂C/∂b"),
        &flat_biases(
            &grad
                .biases()
                .iter()
                .map(|b| b.into_owned())
                .collect::<Vec<_>>(),
        ),
        &want.grad_b,
    );

    let net = one_epoch(&two, 2, cost, 0.0);
    let (w, b) = net.to_parameters();
    assert_close(&format!("{name} w"), &flat_weights(w), &want.w);
    assert_close(&format!("{name} b"), &flat_biases(&b), &want.b);

    // n = 4 in the decay 1 − ηλ/n: the two examples twice, in one
    // mini-batch of m = 4 (the same mean gradient as the batch of two).
    let net = one_epoch(&data(2), 4, cost, 0.1);
    let (w, b) = net.to_parameters();
    assert_close(&format!("{name} w, λ"), &flat_weights(w), &want.w_decayed);
    assert_close(&format!("{name} b, λ"), &flat_biases(&b), &want.b_decayed);

    // n = 4 but m = 2: the first example four times, so that both
    // mini-batches are [x₁, x₁] whatever the shuffle.
    let first = data(4).slice(0, 1).unwrap();
    let four = Dataset::new(
        DMatrix::from_fn(2, 4, |i, _| first.inputs()[i]),
        DMatrix::from_fn(2, 4, |i, _| first.targets()[i]),
    )
    .unwrap();
    let net = one_epoch(&four, 2, cost, 0.1);
    let (w, b) = net.to_parameters();
    assert_close(
        &format!("{name} w, n ≠ m"),
        &flat_weights(w),
        &want.w_two_steps,
    );
    assert_close(
        &format!("{name} b, n ≠ m"),
        &flat_biases(&b),
        &want.b_two_steps,
    );
}

#[test]
fn one_sgd_step_under_the_quadratic_cost_matches_the_script() {
    check("quadratic", &Quadratic, &QUADRATIC);
}

#[test]
fn one_sgd_step_under_the_cross_entropy_cost_matches_the_script() {
    check("cross-entropy", &CrossEntropy, &CROSS_ENTROPY);
}
