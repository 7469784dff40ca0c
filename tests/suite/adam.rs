//! Adam and AdamW against their equations, with values computed independently
//! of this crate: a short Python script writes the equations out by hand (plain
//! floats, `math.exp`, `math.sqrt`) for the `[2, 2, 2]` sigmoid network, cost and
//! data of `tests/suite/optimizers.rs`; to rerun it:
//! `sed -n '/^\/\/! ```text/,/^\/\/! ```$/p' tests/suite/adam.rs | sed '1d;$d;s|^//! \?||' | python3`.
//!
//! Every step, with g the mini-batch's mean gradient of the cross-entropy cost
//! taken at the parameters at the start of the step, and t = 1, 2, … counting
//! steps across epochs (η = 0.01, β₁ = 0.9, β₂ = 0.999, ε = 1e-8, n = 4):
//! g_w ← g_w + (λ/n)·w (coupled L2, weights only); for every parameter p,
//! m ← β₁m + (1−β₁)g, v ← β₂v + (1−β₂)g², m̂ = m/(1−β₁ᵗ), v̂ = v/(1−β₂ᵗ), and
//! p ← p − η·m̂/(√v̂ + ε), where for AdamW a weight first decays,
//! w ← (1 − η·weight_decay)·w (biases never decay).
//!
//! ```text
//! # Adam and AdamW steps of a [2, 2, 2] sigmoid network with the
//! # cross-entropy cost, by hand from the equations (plain Python floats).
//! import math
//! W = [[[0.1, -0.2], [0.4, 0.3]], [[0.7, -0.5], [-0.3, 0.6]]]  # W[l][j][k]
//! B = [[0.05, -0.1], [0.2, -0.4]]
//! x, y = [0.5, -1.0], [1.0, 0.0]  # the one example, four times: n = 4, m = 2
//! def sigma(z):
//!     return 1.0 / (1.0 + math.exp(-z))
//! def grad(W, B):
//!     # Backpropagation for the cross-entropy cost: delta^L = a - y.
//!     acts, zs = [x], []
//!     for w, b in zip(W, B):
//!         z = [sum(w[j][k] * acts[-1][k] for k in range(2)) + b[j] for j in range(2)]
//!         zs.append(z)
//!         acts.append([sigma(v) for v in z])
//!     d = [acts[-1][j] - y[j] for j in range(2)]
//!     gw, gb = [None, None], [None, None]
//!     for l in (1, 0):
//!         gb[l] = d
//!         gw[l] = [[d[j] * acts[l][k] for k in range(2)] for j in range(2)]
//!         if l > 0:
//!             s = [sigma(v) * (1.0 - sigma(v)) for v in zs[l - 1]]
//!             d = [sum(W[l][j][k] * d[j] for j in range(2)) * s[k] for k in range(2)]
//!     return gw, gb
//! def run(steps, lam, weight_decay, eta=0.01, beta1=0.9, beta2=0.999, eps=1e-8, n=4):
//!     # g_w -> g_w + (lam / n) w (coupled L2, weights only; from w at the step's start);
//!     # m -> beta1 m + (1 - beta1) g; v -> beta2 v + (1 - beta2) g^2;
//!     # m_hat = m / (1 - beta1^t); v_hat = v / (1 - beta2^t), t = 1, 2, ... across epochs;
//!     # w -> (1 - eta weight_decay) w - eta m_hat / (sqrt(v_hat) + eps) (decoupled decay,
//!     # weights only); b -> b - eta m_hat / (sqrt(v_hat) + eps).
//!     # The mean gradient of a mini-batch [x, x] is the gradient at x.
//!     w, b = W, B
//!     mw = [[[0.0] * 2 for _ in range(2)] for _ in range(2)]
//!     mb = [[0.0] * 2 for _ in range(2)]
//!     vw = [[[0.0] * 2 for _ in range(2)] for _ in range(2)]
//!     vb = [[0.0] * 2 for _ in range(2)]
//!     decay = 1.0 - eta * weight_decay
//!     for t in range(1, steps + 1):
//!         gw, gb = grad(w, b)
//!         gw = [[[gw[l][j][k] + lam / n * w[l][j][k] for k in range(2)] for j in range(2)] for l in range(2)]
//!         mw = [[[beta1 * mw[l][j][k] + (1.0 - beta1) * gw[l][j][k] for k in range(2)] for j in range(2)] for l in range(2)]
//!         mb = [[beta1 * mb[l][j] + (1.0 - beta1) * gb[l][j] for j in range(2)] for l in range(2)]
//!         vw = [[[beta2 * vw[l][j][k] + (1.0 - beta2) * gw[l][j][k] ** 2 for k in range(2)] for j in range(2)] for l in range(2)]
//!         vb = [[beta2 * vb[l][j] + (1.0 - beta2) * gb[l][j] ** 2 for j in range(2)] for l in range(2)]
//!         c1, c2 = 1.0 - beta1 ** t, 1.0 - beta2 ** t
//!         def step(m, v):
//!             return eta * (m / c1) / (math.sqrt(v / c2) + eps)
//!         w = [[[decay * w[l][j][k] - step(mw[l][j][k], vw[l][j][k]) for k in range(2)] for j in range(2)] for l in range(2)]
//!         b = [[b[l][j] - step(mb[l][j], vb[l][j]) for j in range(2)] for l in range(2)]
//!     return mw, mb, vw, vb, w, b
//! def short(v):
//!     mantissa, exponent = f"{v:.15e}".split("e")
//!     return mantissa.rstrip("0") + "e" + exponent
//! def rust(name, v):
//!     flat = [short(e) for layer in v for row in (layer if isinstance(layer[0], list) else [layer]) for e in row]
//!     print(f"    {name}: [{', '.join(flat)}],")
//! # One step, then two epochs of two steps each.
//! for label, steps, lam, weight_decay in (
//!     ("adam, lambda = 0.1, one step", 1, 0.1, 0.0),
//!     ("adam, lambda = 0.1", 4, 0.1, 0.0),
//!     ("adamw, weight_decay = 0.05, lambda = 0", 4, 0.0, 0.05),
//!     ("adam, lambda = 0", 4, 0.0, 0.0),
//! ):
//!     print("// " + label)
//!     mw, mb, vw, vb, w, b = run(steps, lam, weight_decay)
//!     rust("m_w", mw); rust("m_b", mb); rust("v_w", vw); rust("v_b", vb); rust("w", w); rust("b", b)
//! ```
//!
//! The data set is one example four times, in mini-batches of two, so every
//! step's mean gradient is that example's whatever the shuffle: two epochs
//! are four steps. After one step m̂ = g and v̂ = g², so every parameter has
//! moved by η·g/(|g| + ε), about η·sign(g).

// The script prints 16 significant digits, as the other reference files do.
#![allow(clippy::excessive_precision)]

/// The script's output: first moments m, second moments v and parameters,
/// weights in the order `W[l][j][k]` and biases `B[l][j]`.
struct Reference {
    m_w: [f64; 8],
    m_b: [f64; 4],
    v_w: [f64; 8],
    v_b: [f64; 4],
    w: [f64; 8],
    b: [f64; 4],
}

/// Adam with the coupled L2 term, λ = 0.1: after one step.
/// (Script output `// adam, lambda = 0.1, one step`.)
const ADAM_L2_ONE_STEP: Reference = Reference {
    m_w: [
        -4.789440167312993e-03,
        9.578880334625986e-03,
        6.673439979823772e-03,
        -1.059687995964755e-02,
        -2.162086096312054e-02,
        -1.956474299208818e-02,
        2.366447683547024e-02,
        2.063258006341859e-02,
    ],
    m_b: [
        -1.007888033462599e-02,
        1.134687995964754e-02,
        -4.068442059761932e-02,
        4.250116612359832e-02,
    ],
    v_w: [
        2.293873711627115e-06,
        9.175494846508458e-06,
        4.453480116431037e-06,
        1.122938648791799e-05,
        4.674616287865905e-05,
        3.827791683464641e-05,
        5.600074638965082e-05,
        4.257033600733788e-05,
    ],
    v_b: [
        1.015838287997106e-05,
        1.287516848186513e-05,
        1.655222079363994e-04,
        1.806349121865704e-04,
    ],
    w: [
        1.099999979120737e-01,
        -2.099999989560368e-01,
        3.900000014984774e-01,
        3.099999990563261e-01,
        7.099999995374837e-01,
        -4.900000005111235e-01,
        -3.099999995774257e-01,
        5.900000004846703e-01,
    ],
    b: [
        5.99999990078264e-02,
        -1.099999991187006e-01,
        2.099999997542057e-01,
        -4.099999997647124e-01,
    ],
};

/// Adam with the coupled L2 term, λ = 0.1: after four steps (two epochs).
/// (Script output `// adam, lambda = 0.1`.)
const ADAM_L2: Reference = Reference {
    m_w: [
        -1.631777151358258e-02,
        3.277576846857649e-02,
        2.168014783551975e-02,
        -3.404320190380884e-02,
        -7.341770848097326e-02,
        -6.412162328646268e-02,
        8.062246366775275e-02,
        6.781598696210744e-02,
    ],
    m_b: [
        -3.463551017178887e-02,
        3.676255199872031e-02,
        -1.362048419006593e-01,
        1.42647525697413e-01,
    ],
    v_w: [
        9.006735331811259e-06,
        3.631107083855988e-05,
        1.604654964009392e-05,
        3.9667825068975e-05,
        1.824202728509602e-04,
        1.400953634846989e-04,
        2.198555307586341e-04,
        1.566091782035874e-04,
    ],
    v_b: [
        4.052002782922355e-05,
        4.616708666249768e-05,
        6.29445358946747e-04,
        6.900749815015295e-04,
    ],
    w: [
        1.399865848446488e-01,
        -2.399927931445935e-01,
        3.600933025941834e-01,
        3.398848222889163e-01,
        7.399817246009435e-01,
        -4.600769172321968e-01,
        -3.3998660716415e-01,
        5.600717328654893e-01,
    ],
    b: [
        8.99988682162992e-02,
        -1.399014900180795e-01,
        2.399596390732546e-01,
        -4.3996371584053e-01,
    ],
};

/// AdamW, weight_decay = 0.05 and λ = 0: after four steps (two epochs).
/// (Script output `// adamw, weight_decay = 0.05, lambda = 0`.)
const ADAMW: Reference = Reference {
    m_w: [
        -1.730617205902908e-02,
        3.461234411805816e-02,
        1.836727193257881e-02,
        -3.673454386515762e-02,
        -7.957951757531954e-02,
        -5.997348173580483e-02,
        8.333307652307428e-02,
        6.27994674323776e-02,
    ],
    m_b: [
        -3.461234411805816e-02,
        3.673454386515762e-02,
        -1.362221502511895e-01,
        1.426446792207284e-01,
    ],
    v_w: [
        1.011753007938261e-05,
        4.047012031753044e-05,
        1.152615402565007e-05,
        4.610461610260028e-05,
        2.142232810449544e-04,
        1.225775517592903e-04,
        2.348132588943584e-04,
        1.343348960218323e-04,
    ],
    v_b: [
        4.047012031753044e-05,
        4.610461610260028e-05,
        6.295897354346963e-04,
        6.900495345392169e-04,
    ],
    w: [
        1.397680955544925e-01,
        -2.395682494719886e-01,
        3.593305448740265e-01,
        3.392705083876055e-01,
        7.385568863318098e-01,
        -4.591091925707264e-01,
        -3.393597935173562e-01,
        5.589050675233277e-01,
    ],
    b: [
        8.99979392410469e-02,
        -1.399000218605022e-01,
        2.399598463363092e-01,
        -4.399636847795725e-01,
    ],
};

/// Adam, λ = 0: after four steps (two epochs).
/// (Script output `// adam, lambda = 0`.)
const ADAM: Reference = Reference {
    m_w: [
        -1.731775896812959e-02,
        3.463551793625919e-02,
        1.838127554656951e-02,
        -3.676255109313901e-02,
        -7.957620583622177e-02,
        -5.996292573928144e-02,
        8.334198307228191e-02,
        6.27975521676272e-02,
    ],
    m_b: [
        -3.463551793625919e-02,
        3.676255109313901e-02,
        -1.362047763054468e-01,
        1.426474816229409e-01,
    ],
    v_w: [
        1.013001096294396e-05,
        4.052004385177585e-05,
        1.154177120651387e-05,
        4.616708482605548e-05,
        2.142071367808599e-04,
        1.225391695022799e-04,
        2.348593712768755e-04,
        1.343277314595842e-04,
    ],
    v_b: [
        4.052004385177585e-05,
        4.616708482605548e-05,
        6.294448384298631e-04,
        6.900746145868471e-04,
    ],
    w: [
        1.39998864582012e-01,
        -2.399988685513308e-01,
        3.600985136421309e-01,
        3.399014899710144e-01,
        7.399857607020162e-01,
        -4.600787971294926e-01,
        -3.399894850317638e-01,
        5.600742542981174e-01,
    ],
    b: [
        8.999886855133084e-02,
        -1.399014899710144e-01,
        2.399596382472079e-01,
        -4.399637153179823e-01,
    ],
};

use std::ops::ControlFlow;

use neuralnet::model::{Checkpoint, TrainingRecord};
use neuralnet::nalgebra::{DMatrix, DVector};
use neuralnet::optim::{Optimizer, OptimizerState};
use neuralnet::rand::rngs::StdRng;
use neuralnet::rand::{RngExt, SeedableRng};
use neuralnet::sgd::TrainingState;
use neuralnet::{Activation, CrossEntropy, Dataset, EpochReport, Init, Monitor, Network, Sgd};

/// A monitor that watches nothing.
struct Quiet;

impl Monitor<f64> for Quiet {
    fn on_epoch(&mut self, _: &EpochReport, _: &Network<f64>) -> ControlFlow<()> {
        ControlFlow::Continue(())
    }
}

/// The script's W, B: weights row-major per layer, `W[l][j][k]`.
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

/// The script's example x = (0.5, −1), y = (1, 0), four times.
fn one_example() -> Dataset<f64> {
    let x = [0.5, -1.0].repeat(4);
    let y = [1.0, 0.0].repeat(4);
    Dataset::new(
        DMatrix::from_column_slice(2, 4, &x),
        DMatrix::from_column_slice(2, 4, &y),
    )
    .unwrap()
}

/// Per layer (weights, biases) flattened to all weights then all biases.
fn flat(layers: &[(&[f64], &[f64])]) -> (Vec<f64>, Vec<f64>) {
    let w = layers.iter().flat_map(|(w, _)| w.to_vec()).collect();
    let b = layers.iter().flat_map(|(_, b)| b.to_vec()).collect();
    (w, b)
}

fn net_flat(net: &Network<f64>) -> (Vec<f64>, Vec<f64>) {
    let (w, b) = net.to_parameters();
    let w = w.iter().flat_map(|w| w.transpose().as_slice().to_vec());
    let b = b.iter().flat_map(|b| b.as_slice().to_vec());
    (w.collect(), b.collect())
}

fn assert_close(what: &str, got: &[f64], want: &[f64], tolerance: f64) {
    assert_eq!(got.len(), want.len(), "{what}");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(
            (g - w).abs() <= tolerance * w.abs().max(1.0),
            "{what}[{i}]: got {g:e}, the script has {w:e}"
        );
    }
}

fn check_state(name: &str, net: &Network<f64>, state: &OptimizerState<f64>, want: &Reference) {
    let (w, b) = net_flat(net);
    assert_close(&format!("{name} w"), &w, &want.w, 1e-12);
    assert_close(&format!("{name} b"), &b, &want.b, 1e-12);
    let (m_w, m_b) = flat(&state.first_moments().expect("Adam has first moments"));
    assert_close(&format!("{name} m_w"), &m_w, &want.m_w, 1e-12);
    assert_close(&format!("{name} m_b"), &m_b, &want.m_b, 1e-12);
    let (v_w, v_b) = flat(&state.second_moments().expect("Adam has second moments"));
    assert_close(&format!("{name} v_w"), &v_w, &want.v_w, 1e-12);
    assert_close(&format!("{name} v_b"), &v_b, &want.v_b, 1e-12);
}

/// Two epochs of two mini-batches (four steps), one epoch per call, the
/// state carried from one to the next.
fn train(optimizer: Optimizer, lambda: f64) -> (Network<f64>, TrainingState<f64>) {
    let data = one_example();
    let mut net = network();
    let mut state = TrainingState::new();
    for epoch in 1..=2 {
        Sgd::new()
            .with_optimizer(optimizer)
            .with_learning_rate(0.01)
            .with_mini_batch_size(2)
            .with_l2_lambda(lambda)
            .with_starting_epoch(epoch - 1)
            .with_epochs(epoch)
            .train_with_state(
                &mut net,
                &mut state,
                &data,
                None,
                &CrossEntropy,
                &mut StdRng::seed_from_u64(epoch as u64),
                &mut Quiet,
            )
            .unwrap();
    }
    (net, state)
}

#[test]
fn one_adam_step_by_hand_matches_the_script() {
    let data = one_example();
    let mut net = network();
    let mut adam = OptimizerState::new(Optimizer::adam());
    let grad = net
        .backprop(data.inputs(), data.targets(), &CrossEntropy)
        .unwrap();
    // λ/n = 0.1/4.
    adam.step(&mut net, &grad, 0.01, 0.1 / 4.0).unwrap();
    assert_eq!(adam.steps(), 1);
    check_state("Adam, λ = 0.1, one step", &net, &adam, &ADAM_L2_ONE_STEP);
}

#[test]
fn adam_with_l2_matches_the_script() {
    let (net, state) = train(Optimizer::adam(), 0.1);
    let adam = state.optimizer_state().unwrap();
    assert_eq!(adam.steps(), 4);
    check_state("Adam, λ = 0.1", &net, adam, &ADAM_L2);
}

#[test]
fn adam_matches_the_script() {
    let (net, state) = train(Optimizer::adam(), 0.0);
    check_state("Adam", &net, state.optimizer_state().unwrap(), &ADAM);
}

#[test]
fn adamw_matches_the_script() {
    let (net, state) = train(Optimizer::adamw(0.05), 0.0);
    check_state("AdamW", &net, state.optimizer_state().unwrap(), &ADAMW);
    // Decoupled decay is not coupled L2: the two runs differ.
    assert!(ADAMW.w.iter().zip(ADAM_L2.w).all(|(a, b)| *a != b));
}

/// 40 random examples of 5 inputs in 3 classes.
fn random_data(seed: u64) -> Dataset<f64> {
    let mut rng = StdRng::seed_from_u64(seed);
    let x = DMatrix::from_fn(5, 40, |_, _| rng.random_range(-1.0..1.0));
    let labels: Vec<u8> = (0..40)
        .map(|j| u8::from(x[(0, j)] > 0.0) + u8::from(x[(1, j)] > 0.3))
        .collect();
    Dataset::from_labels(x, &labels, 3).unwrap()
}

/// The fused SGD step (updates while backpropagating, coefficients
/// pre-scaled by −η/m) against the general one (a stored mean gradient,
/// then the optimizer): the same equations, with the products in another
/// order (−η·(1/m)Σ rather than (−η/m)Σ), so equal to rounding: within
/// 1e-12, relatively, after 10 steps in f64.
#[test]
fn the_fused_step_equals_the_general_one() {
    let data = random_data(3);
    let n = data.len();
    for optimizer in [
        Optimizer::Sgd,
        Optimizer::momentum(0.9),
        Optimizer::nesterov(0.9),
    ] {
        for lambda in [0.0, 5.0] {
            let start = Network::<f64>::new(
                &[5, 9, 3],
                Init::ScaledNormal,
                &mut StdRng::seed_from_u64(1),
            )
            .unwrap()
            .with_hidden(Activation::Tanh)
            .unwrap();
            let start_w = net_flat(&start).0;
            // Fused: full batches (m = n), so the shuffle cannot matter.
            let mut fused = start.clone();
            Sgd::new()
                .with_optimizer(optimizer)
                .with_learning_rate(0.5)
                .with_mini_batch_size(n)
                .with_l2_lambda(lambda)
                .with_epochs(10)
                .train(
                    &mut fused,
                    &data,
                    None,
                    &CrossEntropy,
                    &mut StdRng::seed_from_u64(2),
                    |_, _| ControlFlow::Continue(()),
                )
                .unwrap();
            // General: backprop, then the optimizer's step.
            let mut general = start;
            let mut state = OptimizerState::new(optimizer);
            for _ in 0..10 {
                let grad = general
                    .backprop(data.inputs(), data.targets(), &CrossEntropy)
                    .unwrap();
                state
                    .step(&mut general, &grad, 0.5, lambda / n as f64)
                    .unwrap();
            }
            let (fw, fb) = net_flat(&fused);
            let (gw, gb) = net_flat(&general);
            let name = format!("{optimizer}, λ = {lambda}");
            assert_close(&format!("{name}: w"), &gw, &fw, 1e-12);
            assert_close(&format!("{name}: b"), &gb, &fb, 1e-12);
            assert_ne!(fw, start_w, "{name}: training moved the weights");
        }
    }
}

/// A run of 4 epochs equals one checkpointed after epoch 2 (through the
/// checkpoint's bytes) and resumed, bit for bit, for every optimizer.
#[test]
fn a_resumed_run_ends_exactly_as_an_uninterrupted_one() {
    let data = random_data(5);
    for optimizer in [
        Optimizer::Sgd,
        Optimizer::momentum(0.9),
        Optimizer::nesterov(0.5),
        Optimizer::adam(),
        Optimizer::adamw(0.01),
    ] {
        let sgd = Sgd::new()
            .with_optimizer(optimizer)
            .with_learning_rate(if optimizer.name().starts_with("adam") {
                0.01
            } else {
                0.5
            })
            .with_mini_batch_size(7)
            .with_l2_lambda(1.0)
            .with_early_stopping(3);
        let epoch = |net: &mut Network<f64>, state: &mut TrainingState<f64>, e: usize| {
            sgd.clone()
                .with_starting_epoch(e - 1)
                .with_epochs(e)
                .train_with_state(
                    net,
                    state,
                    &data,
                    Some(&data),
                    &CrossEntropy,
                    &mut StdRng::seed_from_u64(e as u64),
                    &mut Quiet,
                )
                .unwrap();
        };
        let start = Network::<f64>::new(
            &[5, 6, 3],
            Init::ScaledNormal,
            &mut StdRng::seed_from_u64(9),
        )
        .unwrap();
        let mut whole = start.clone();
        let mut state = TrainingState::new();
        for e in 1..=4 {
            epoch(&mut whole, &mut state, e);
        }
        let mut part = start;
        let mut state = TrainingState::new();
        for e in 1..=2 {
            epoch(&mut part, &mut state, e);
        }
        let bytes = Checkpoint::to_bytes(&part, &TrainingRecord::default(), &state).unwrap();
        let Checkpoint {
            network: mut resumed,
            state: mut resumed_state,
            ..
        } = Checkpoint::<f64>::from_bytes(&bytes).unwrap();
        assert_eq!(resumed, part);
        assert_eq!(resumed_state.best_epoch(), state.best_epoch());
        assert_eq!(resumed_state.optimizer_state(), state.optimizer_state());
        for e in 3..=4 {
            epoch(&mut resumed, &mut resumed_state, e);
        }
        assert_eq!(resumed, whole, "{optimizer}: the resumed run differs");
    }
}

#[test]
fn a_corrupted_checkpoint_is_refused() {
    let net = network();
    let (_, state) = train(Optimizer::adam(), 0.0);
    let mut bytes = Checkpoint::to_bytes(&net, &TrainingRecord::default(), &state).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 1;
    let err = Checkpoint::<f64>::from_bytes(&bytes).unwrap_err();
    assert!(err.to_string().contains("checksum"), "{err}");
    // Truncated: refused, not a panic.
    for len in [0, 8, 20, 100] {
        assert!(Checkpoint::<f64>::from_bytes(&bytes[..len.min(bytes.len())]).is_err());
    }
}

#[test]
fn invalid_adam_settings_are_refused() {
    for bad in [
        Optimizer::adam().with_betas(1.0, 0.999),
        Optimizer::adam().with_betas(0.9, -0.1),
        Optimizer::adam().with_epsilon(0.0),
        Optimizer::adamw(-1.0),
        Optimizer::momentum(1.0),
    ] {
        let err = Sgd::new().with_optimizer(bad).validate().unwrap_err();
        assert!(
            matches!(err, neuralnet::Error::InvalidConfig { .. }),
            "{bad:?}"
        );
    }
    // ηd ≥ 1 would flip the weights' sign every step.
    assert!(
        Sgd::new()
            .with_optimizer(Optimizer::adamw(0.5))
            .with_learning_rate(2.0)
            .validate()
            .is_err()
    );
}

#[test]
fn optimizer_names_round_trip() {
    for name in ["sgd", "momentum", "nesterov", "adam", "adamw"] {
        let o: Optimizer = name.parse().unwrap();
        assert_eq!(o.to_string(), name);
    }
    let err = "rmsprop".parse::<Optimizer>().unwrap_err();
    assert!(err.to_string().contains("\"adamw\""), "{err}");
}

#[test]
fn a_network_is_send_and_sync_and_serves_several_threads_at_once() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<Network<f32>>();
    send_sync::<Network<f64>>();
    send_sync::<OptimizerState<f32>>();
    let net = Network::<f64>::new(
        &[5, 8, 3],
        Init::ScaledNormal,
        &mut StdRng::seed_from_u64(1),
    )
    .unwrap();
    let data = random_data(4);
    let alone: Vec<usize> = net.predict_batch(data.inputs()).unwrap();
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..4)
            .map(|_| s.spawn(|| net.predict_batch(data.inputs()).unwrap()))
            .collect();
        for h in handles {
            assert_eq!(h.join().unwrap(), alone);
        }
    });
}

/// Training's fused Adam step (each layer updated as soon as its gradient
/// is known) against the general one ([`OptimizerState::step`] on a
/// stored gradient): the same arithmetic element for element, so the same
/// bits. (The mini-batches are one example twice, so the order in which a
/// shuffle gathers them cannot change a sum.)
#[test]
fn the_fused_adam_step_equals_the_general_one_bit_for_bit() {
    for (optimizer, lambda) in [(Optimizer::adam(), 0.1), (Optimizer::adamw(0.05), 0.0)] {
        let (fused, state) = train(optimizer, lambda);
        let data = one_example();
        let two = Dataset::new(
            data.inputs().columns(0, 2).into_owned(),
            data.targets().columns(0, 2).into_owned(),
        )
        .unwrap();
        let mut general = network();
        let mut by_hand = OptimizerState::new(optimizer);
        for _ in 0..4 {
            let grad = general
                .backprop(two.inputs(), two.targets(), &CrossEntropy)
                .unwrap();
            by_hand
                .step(&mut general, &grad, 0.01, lambda / 4.0)
                .unwrap();
        }
        assert_eq!(general, fused, "{optimizer}");
        assert_eq!(Some(&by_hand), state.optimizer_state(), "{optimizer}");
    }
}
