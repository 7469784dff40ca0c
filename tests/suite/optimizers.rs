//! Chapter 3's training toolkit against its equations: momentum (classical
//! and Nesterov's) against values computed independently of this crate,
//! learning-rate schedules, early stopping, the max-norm limit, and the
//! errors for invalid settings.
//!
//! The momentum values come from a short Python script that writes the
//! equations out by hand (plain floats, `math.exp`); to rerun it:
//! `sed -n '/^\/\/! ```text/,/^\/\/! ```$/p' tests/suite/optimizers.rs | sed '1d;$d;s|^//! \?||' | python3`.
//!
//! ```text
//! # Momentum and Nesterov steps of a [2, 2, 2] sigmoid network with the
//! # cross-entropy cost, by hand from the equations (plain Python floats).
//! import math
//!
//! W = [[[0.1, -0.2], [0.4, 0.3]], [[0.7, -0.5], [-0.3, 0.6]]]  # W[l][j][k]
//! B = [[0.05, -0.1], [0.2, -0.4]]
//! x, y = [0.5, -1.0], [1.0, 0.0]  # the one example, four times: n = 4, m = 2
//!
//! def sigma(z):
//!     return 1.0 / (1.0 + math.exp(-z))
//!
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
//!
//! def run(steps, mu, nesterov, eta=0.5, lam=0.1, n=4):
//!     # v -> mu v - eta grad; w -> (1 - eta lam / n) w + v (classical) or
//!     # w -> (1 - eta lam / n) w + mu v' - eta grad (Nesterov); biases alike, no decay.
//!     # The mean gradient of a mini-batch [x, x] is the gradient at x.
//!     w, b = W, B
//!     vw = [[[0.0] * 2 for _ in range(2)] for _ in range(2)]
//!     vb = [[0.0] * 2 for _ in range(2)]
//!     decay = 1.0 - eta * lam / n
//!     for _ in range(steps):
//!         gw, gb = grad(w, b)
//!         vw = [[[mu * vw[l][j][k] - eta * gw[l][j][k] for k in range(2)] for j in range(2)] for l in range(2)]
//!         vb = [[mu * vb[l][j] - eta * gb[l][j] for j in range(2)] for l in range(2)]
//!         if nesterov:
//!             w = [[[decay * w[l][j][k] + mu * vw[l][j][k] - eta * gw[l][j][k] for k in range(2)] for j in range(2)] for l in range(2)]
//!             b = [[b[l][j] + mu * vb[l][j] - eta * gb[l][j] for j in range(2)] for l in range(2)]
//!         else:
//!             w = [[[decay * w[l][j][k] + vw[l][j][k] for k in range(2)] for j in range(2)] for l in range(2)]
//!             b = [[b[l][j] + vb[l][j] for j in range(2)] for l in range(2)]
//!     return vw, vb, w, b
//!
//! def short(v):
//!     mantissa, exponent = f"{v:.15e}".split("e")
//!     return mantissa.rstrip("0") + "e" + exponent
//!
//! def rust(name, v):
//!     flat = [short(e) for layer in v for row in (layer if isinstance(layer[0], list) else [layer]) for e in row]
//!     print(f"    {name}: [{', '.join(flat)}],")
//!
//! # Two epochs of two steps each.
//! for nesterov in (False, True):
//!     print("// nesterov" if nesterov else "// classical")
//!     vw, vb, w, b = run(4, 0.9, nesterov)
//!     rust("v_w", vw); rust("v_b", vb); rust("w", w); rust("b", b)
//! ```
//!
//! The data set is one example four times, in mini-batches of two, so every
//! step's mean gradient is that example's whatever the shuffle: two epochs
//! are four steps.

use std::ops::ControlFlow;

use neuralnet::nalgebra::{DMatrix, DVector};
use neuralnet::rand::SeedableRng;
use neuralnet::rand::rngs::StdRng;
use neuralnet::sgd::{BestNetwork, Schedule, StopReason, TrainingState};
use neuralnet::{CrossEntropy, Dataset, EpochReport, Error, Init, Monitor, Network, Sgd};

/// A monitor that watches nothing.
struct Quiet;

impl Monitor<f64> for Quiet {
    fn on_epoch(&mut self, _: &EpochReport, _: &Network<f64>) -> ControlFlow<()> {
        ControlFlow::Continue(())
    }
}

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

/// Weights (W[l][j][k] in order) and biases (B[l][j]) of every layer, flat.
fn flat(net: &Network<f64>) -> (Vec<f64>, Vec<f64>) {
    let (w, b) = net.to_parameters();
    let w = w.iter().flat_map(|w| w.transpose().as_slice().to_vec());
    let b = b.iter().flat_map(|b| b.as_slice().to_vec());
    (w.collect(), b.collect())
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

/// The script's output: velocities and parameters after four steps.
struct Reference {
    v_w: [f64; 8],
    v_b: [f64; 4],
    w: [f64; 8],
    b: [f64; 4],
}

const CLASSICAL: Reference = Reference {
    v_w: [
        6.904661757095923e-02,
        -1.380932351419185e-01,
        -4.356048179319697e-02,
        8.712096358639394e-02,
        2.683211932022813e-01,
        1.768703247799504e-01,
        -2.796452248534796e-01,
        -1.84435584768329e-01,
    ],
    v_b: [
        1.380932351419185e-01,
        -8.712096358639394e-02,
        4.346837968697412e-01,
        -4.531328891454613e-01,
    ],
    w: [
        2.959340130620871e-01,
        -5.918680261241742e-01,
        2.204440722153516e-01,
        6.051345386747659e-01,
        1.494079501362962e+00,
        1.101244983500102e-01,
        -1.149743466075932e+00,
        -4.066472130536011e-02,
    ],
    b: [
        4.574480696380999e-01,
        -4.253079717197534e-01,
        1.603147428253046e+00,
        -1.864363265575434e+00,
    ],
};

const NESTEROV: Reference = Reference {
    v_w: [
        6.005022881847934e-02,
        -1.201004576369587e-01,
        -3.323028968872962e-02,
        6.646057937745924e-02,
        2.277854033434467e-01,
        1.439163090375465e-01,
        -2.373717274585578e-01,
        -1.500776446399995e-01,
    ],
    v_b: [
        1.201004576369587e-01,
        -6.646057937745924e-02,
        3.61749154677173e-01,
        -3.770903851740398e-01,
    ],
    w: [
        3.318065392649728e-01,
        -6.636130785299456e-01,
        2.184988749280632e-01,
        6.090249332493427e-01,
        1.604761728112401e+00,
        1.567658475304304e-01,
        -1.264941431519773e+00,
        -8.925692287172324e-02,
    ],
    b: [
        5.317753962689024e-01,
        -4.308905231969642e-01,
        1.762452978617558e+00,
        -2.030265111952509e+00,
    ],
};

fn momentum_sgd(nesterov: bool) -> Sgd {
    Sgd::new()
        .with_learning_rate(0.5)
        .with_mini_batch_size(2)
        .with_l2_lambda(0.1)
        .with_momentum(0.9)
        .with_nesterov(nesterov)
}

fn continue_training(_: &EpochReport, _: &Network<f64>) -> ControlFlow<()> {
    ControlFlow::Continue(())
}

fn check_momentum(nesterov: bool, want: &Reference) {
    let data = one_example();
    let name = if nesterov { "Nesterov" } else { "classical" };

    // One call of two epochs.
    let mut net = network();
    let mut rng = StdRng::seed_from_u64(1);
    momentum_sgd(nesterov)
        .with_epochs(2)
        .train(
            &mut net,
            &data,
            None,
            &CrossEntropy,
            &mut rng,
            continue_training,
        )
        .unwrap();
    let (w, b) = flat(&net);
    assert_close(&format!("{name} w"), &w, &want.w);
    assert_close(&format!("{name} b"), &b, &want.b);

    // One epoch per call, the velocities carried by a TrainingState.
    let mut net = network();
    let mut state = TrainingState::new();
    for epoch in 1..=2 {
        let mut rng = StdRng::seed_from_u64(epoch as u64);
        momentum_sgd(nesterov)
            .with_starting_epoch(epoch - 1)
            .with_epochs(epoch)
            .train_with_state(
                &mut net,
                &mut state,
                &data,
                None,
                &CrossEntropy,
                &mut rng,
                &mut Quiet,
            )
            .unwrap();
    }
    let (w, b) = flat(&net);
    assert_close(&format!("{name} w, per epoch"), &w, &want.w);
    assert_close(&format!("{name} b, per epoch"), &b, &want.b);
    let velocity = state
        .optimizer_state()
        .and_then(|o| o.first_moments())
        .expect("momentum allocates velocities");
    let v_w: Vec<f64> = velocity.iter().flat_map(|(w, _)| w.to_vec()).collect();
    let v_b: Vec<f64> = velocity.iter().flat_map(|(_, b)| b.to_vec()).collect();
    assert_close(&format!("{name} v_w"), &v_w, &want.v_w);
    assert_close(&format!("{name} v_b"), &v_b, &want.v_b);
}

#[test]
fn momentum_steps_match_the_script() {
    check_momentum(false, &CLASSICAL);
}

#[test]
fn nesterov_steps_match_the_script() {
    check_momentum(true, &NESTEROV);
    // The two variants take different steps, as their equations say.
    assert!(CLASSICAL.w.iter().zip(NESTEROV.w).all(|(c, n)| *c != n));
}

/// 200 random examples of 6 inputs in 3 classes, and a [6, 8, 3] network.
fn random_problem(seed: u64) -> (Dataset<f64>, Network<f64>) {
    use neuralnet::rand::RngExt;
    let mut rng = StdRng::seed_from_u64(seed);
    let x = DMatrix::from_fn(6, 200, |_, _| rng.random_range(-1.0..1.0));
    let labels: Vec<u8> = (0..200)
        .map(|j| u8::from(x[(0, j)] > 0.0) + u8::from(x[(1, j)] > 0.3))
        .collect();
    let data = Dataset::from_labels(x, &labels, 3).unwrap();
    let net = Network::new(&[6, 8, 3], Init::StandardNormal, &mut rng).unwrap();
    (data, net)
}

fn trained(sgd: &Sgd, evaluation: Option<&Dataset<f64>>) -> (Network<f64>, Vec<EpochReport>) {
    let (data, mut net) = random_problem(7);
    let mut rng = StdRng::seed_from_u64(8);
    let reports = sgd
        .train(
            &mut net,
            &data,
            evaluation,
            &CrossEntropy,
            &mut rng,
            continue_training,
        )
        .unwrap();
    (net, reports)
}

fn base() -> Sgd {
    Sgd::new()
        .with_learning_rate(0.5)
        .with_mini_batch_size(7)
        .with_epochs(3)
        .with_l2_lambda(1.0)
}

#[test]
fn zero_momentum_is_plain_sgd_bit_for_bit() {
    let (plain, _) = trained(&base(), None);
    for nesterov in [false, true] {
        let (zero, _) = trained(&base().with_momentum(0.0).with_nesterov(nesterov), None);
        assert_eq!(zero, plain, "μ = 0, Nesterov {nesterov}");
    }
    // Momentum changes the result, and Nesterov's variant differently.
    let (classical, _) = trained(&base().with_momentum(0.5), None);
    let (nesterov, _) = trained(&base().with_momentum(0.5).with_nesterov(true), None);
    assert_ne!(classical, plain);
    assert_ne!(nesterov, plain);
    assert_ne!(nesterov, classical);
}

#[test]
fn step_and_cosine_schedules_set_eta_per_epoch() {
    let rates = |sgd: Sgd| -> Vec<f64> {
        let (_, reports) = trained(&sgd, None);
        reports.iter().map(|r| r.learning_rate).collect()
    };
    let step = base().with_epochs(5).with_schedule(Schedule::Step {
        every: 2,
        factor: 0.1,
    });
    let got = rates(step.clone());
    let want = [0.5, 0.5, 0.05, 0.05, 0.005];
    for (g, w) in got.iter().zip(want) {
        assert!((g - w).abs() < 1e-15, "{got:?}");
    }
    assert_eq!(got.len(), 5);
    // A resumed run goes on with the rates of its epochs.
    assert_eq!(rates(step.with_starting_epoch(3)), got[3..]);

    let cosine = base().with_epochs(6).with_schedule(Schedule::Cosine {
        total_epochs: 4,
        min_rate: 0.1,
    });
    let got = rates(cosine);
    // η = 0.1 + 0.4·(1 + cos(π(e − 1)/4))/2
    let want = [
        0.5,
        0.3 + 0.2 * 0.5f64.sqrt(),
        0.3,
        0.3 - 0.2 * 0.5f64.sqrt(),
        0.1,
        0.1,
    ];
    assert_eq!(got.len(), want.len());
    for (g, w) in got.iter().zip(want) {
        assert!((g - w).abs() < 1e-15, "{got:?}");
    }
    // A constant schedule reports η₀ every epoch.
    assert!(rates(base()).iter().all(|&r| r == 0.5));
}

/// Two identical inputs with different labels: whatever the network, it
/// classifies exactly one of them right, so the accuracy is always ½ and
/// never improves after the first epoch.
fn flat_evaluation() -> Dataset<f64> {
    let x = DMatrix::from_fn(6, 2, |i, _| 0.1 * i as f64);
    Dataset::from_labels(x, &[0, 1], 3).unwrap()
}

#[test]
fn no_improvement_halving_halves_after_patience_and_stops_at_1_128() {
    let eval = flat_evaluation();
    let sgd = base()
        .with_epochs(100)
        .with_schedule(Schedule::NoImprovementHalving {
            patience: 2,
            min_fraction: 1.0 / 128.0,
        });
    let (data, mut net) = random_problem(7);
    let mut state = TrainingState::new();
    let mut rng = StdRng::seed_from_u64(8);
    let reports = sgd
        .train_with_state(
            &mut net,
            &mut state,
            &data,
            Some(&eval),
            &CrossEntropy,
            &mut rng,
            &mut Quiet,
        )
        .unwrap();
    let rates: Vec<f64> = reports.iter().map(|r| r.learning_rate).collect();
    // Epoch 1 is the best; every 2 flat epochs halve η: 7 halvings reach
    // η₀/128, which stops training without an epoch at that rate.
    let mut want = vec![0.5, 0.5, 0.5];
    for k in 1..=6 {
        want.extend([0.5 / f64::from(1 << k); 2]);
    }
    assert_eq!(rates, want);
    assert_eq!(state.stopped(), Some(StopReason::LearningRateFloor));
    assert_eq!(state.halved_learning_rate(), Some(0.5 / 128.0));
    assert!(reports.iter().all(|r| r.best_epoch == Some(1)));
    // A stopped state trains nothing more.
    let more = sgd
        .train_with_state(
            &mut net,
            &mut state,
            &data,
            Some(&eval),
            &CrossEntropy,
            &mut rng,
            &mut Quiet,
        )
        .unwrap();
    assert!(more.is_empty());

    // Nielsen's schedule is this with a patience of 10.
    assert_eq!(
        Schedule::nielsen(),
        Schedule::NoImprovementHalving {
            patience: 10,
            min_fraction: 1.0 / 128.0
        }
    );
}

#[test]
fn no_improvement_halving_waits_while_accuracy_improves() {
    // On its own training data the network improves most epochs early on:
    // η is halved only after `patience` epochs without a new best.
    let (data, _) = random_problem(7);
    let sgd = base()
        .with_epochs(30)
        .with_schedule(Schedule::NoImprovementHalving {
            patience: 3,
            min_fraction: 1.0 / 128.0,
        });
    let (_, reports) = trained(&sgd, Some(&data));
    let mut since_change = 0;
    let mut eta = 0.5;
    for r in &reports {
        assert_eq!(r.learning_rate, eta, "epoch {}", r.epoch);
        if r.best_epoch == Some(r.epoch) {
            since_change = 0;
        } else {
            since_change += 1;
        }
        if since_change == 3 {
            eta /= 2.0;
            since_change = 0;
        }
    }
    assert!(
        reports.iter().any(|r| r.learning_rate < 0.5),
        "some halving"
    );
    assert!(
        reports
            .iter()
            .filter(|r| r.best_epoch == Some(r.epoch))
            .count()
            > 3
    );
}

#[test]
fn early_stopping_restores_the_best_epochs_weights() {
    let (data, _) = random_problem(7);
    // A noisy run (large η, small evaluation set) so that the best epoch is
    // neither the first nor the last.
    let (eval, _) = random_problem(9);
    let sgd = base()
        .with_learning_rate(4.0)
        .with_epochs(200)
        .with_early_stopping(4);
    let (_, mut net) = random_problem(7);
    let mut rng = StdRng::seed_from_u64(8);
    let mut saved = Vec::new();
    let mut best = BestNetwork::new();
    let reports = sgd
        .train(
            &mut net,
            &data,
            Some(&eval),
            &CrossEntropy,
            &mut rng,
            |r, n| {
                saved.push(n.clone());
                best.offer(r, n);
                ControlFlow::Continue(())
            },
        )
        .unwrap();
    let last = reports.last().unwrap();
    let best_epoch = last.best_epoch.unwrap();
    assert!(reports.len() < 200, "early stopping stopped the run");
    assert_eq!(
        last.epoch,
        best_epoch + 4,
        "four epochs without improvement"
    );
    assert!(best_epoch > 1);
    assert_eq!(
        net,
        saved[best_epoch - 1],
        "the best epoch's weights, bit for bit"
    );
    assert_ne!(net, saved[last.epoch - 1]);
    assert_eq!(best.epoch(), Some(best_epoch));
    assert_eq!(best.network(), Some(&net));
    let best_accuracy = reports[best_epoch - 1].evaluation.unwrap().accuracy();
    assert!(
        reports
            .iter()
            .all(|r| r.evaluation.unwrap().accuracy() <= best_accuracy)
    );
}

#[test]
fn early_stopping_across_calls_with_a_state() {
    let eval = flat_evaluation();
    let (data, mut net) = random_problem(7);
    let sgd = base().with_epochs(20).with_early_stopping(3);
    let mut state = TrainingState::new();
    let mut saved = Vec::new();
    for epoch in 1..=20 {
        let mut rng = StdRng::seed_from_u64(epoch as u64);
        let reports = sgd
            .clone()
            .with_starting_epoch(epoch - 1)
            .with_epochs(epoch)
            .train_with_state(
                &mut net,
                &mut state,
                &data,
                Some(&eval),
                &CrossEntropy,
                &mut rng,
                &mut Quiet,
            )
            .unwrap();
        if reports.is_empty() {
            break;
        }
        saved.push(net.clone());
    }
    // The accuracy is flat: epoch 1 stays the best, epoch 4 stops the run
    // and restores epoch 1's weights.
    assert_eq!(saved.len(), 4);
    assert_eq!(state.stopped(), Some(StopReason::NoImprovement));
    assert_eq!(state.best_epoch(), Some(1));
    assert_eq!(net, saved[0]);
    assert_eq!(state.best_network(), Some(&saved[0]));
}

/// The L2 norm of each neuron's incoming weights, layer after layer.
fn neuron_norms(net: &Network<f64>) -> Vec<f64> {
    net.weights()
        .iter()
        .flat_map(|w| w.row_iter().map(|r| r.norm()).collect::<Vec<_>>())
        .collect()
}

#[test]
fn max_norm_caps_long_weight_vectors_and_leaves_short_ones() {
    // N(0, 1) weights: the hidden neurons' norms are about √6, the output
    // neurons' about √8.
    let (_, net) = random_problem(7);
    let before = neuron_norms(&net);
    assert!(before.iter().all(|&n| n > 1.0));
    let (capped, _) = trained(&base().with_max_norm(1.0), None);
    for n in neuron_norms(&capped) {
        assert!(n <= 1.0 + 1e-12, "norm {n} above the limit 1");
    }
    // A limit no neuron reaches changes nothing, bit for bit.
    let (plain, _) = trained(&base(), None);
    let (loose, _) = trained(&base().with_max_norm(1e6), None);
    assert_eq!(loose, plain);
    // One step (a mini-batch of all 200 examples) with a limit between
    // the norms: the neurons below it have the plain step's weights, bit for
    // bit, and the others the plain step's direction at length `mid`.
    let mid = 2.5;
    let one_step = base().with_epochs(1).with_mini_batch_size(200);
    let (some, _) = trained(&one_step.clone().with_max_norm(mid), None);
    let (one, _) = trained(&one_step, None);
    let capped = neuron_norms(&one).iter().filter(|&&n| n > mid).count();
    assert!(capped > 0 && capped < 11, "{:?}", neuron_norms(&one));
    for (p, s) in one.weights().iter().zip(some.weights()) {
        for (p, s) in p.row_iter().zip(s.row_iter()) {
            if p.norm() > mid {
                assert!(
                    (s.norm() - mid).abs() < 1e-12,
                    "capped to {mid}: {}",
                    s.norm()
                );
                assert!((s - p * (mid / p.norm())).norm() < 1e-12, "same direction");
            } else {
                assert_eq!(s, p, "left untouched");
            }
        }
    }
}

#[test]
fn invalid_settings_are_invalid_config() {
    let bad = [
        (base().with_momentum(1.0), "momentum"),
        (base().with_momentum(-0.1), "momentum"),
        (base().with_momentum(f64::NAN), "momentum"),
        (base().with_max_norm(0.0), "max_norm"),
        (base().with_max_norm(-1.0), "max_norm"),
        (base().with_max_norm(f64::NAN), "max_norm"),
        (base().with_max_norm(f64::INFINITY), "max_norm"),
        (base().with_early_stopping(0), "early_stopping"),
        (
            base().with_schedule(Schedule::Step {
                every: 0,
                factor: 0.5,
            }),
            "schedule",
        ),
        (
            base().with_schedule(Schedule::Step {
                every: 1,
                factor: f64::NAN,
            }),
            "schedule",
        ),
        (
            base().with_schedule(Schedule::Cosine {
                total_epochs: 0,
                min_rate: 0.0,
            }),
            "schedule",
        ),
        (
            base().with_schedule(Schedule::Cosine {
                total_epochs: 10,
                min_rate: 1.0, // above η = 0.5
            }),
            "schedule",
        ),
        (
            base().with_schedule(Schedule::NoImprovementHalving {
                patience: 0,
                min_fraction: 0.1,
            }),
            "schedule",
        ),
        (
            base().with_schedule(Schedule::NoImprovementHalving {
                patience: 1,
                min_fraction: 1.0,
            }),
            "schedule",
        ),
    ];
    for (sgd, what) in bad {
        match sgd.validate() {
            Err(Error::InvalidConfig { name, reason }) => {
                assert_eq!(name, what, "{reason}");
                assert!(!reason.is_empty());
            }
            other => panic!("{sgd:?}: {other:?}"),
        }
    }
    assert!(
        base()
            .with_momentum(0.99)
            .with_max_norm(3.0)
            .validate()
            .is_ok()
    );

    // Early stopping and the halving schedule need evaluation data.
    let (data, mut net) = random_problem(7);
    let mut rng = StdRng::seed_from_u64(1);
    for sgd in [
        base().with_early_stopping(3),
        base().with_schedule(Schedule::nielsen()),
    ] {
        let err = sgd
            .train(
                &mut net,
                &data,
                None,
                &CrossEntropy,
                &mut rng,
                continue_training,
            )
            .unwrap_err();
        assert!(
            matches!(&err, Error::InvalidConfig { name: "evaluation data", reason } if reason.contains("validation set")),
            "{err}"
        );
    }

    // A state used with one network refuses another.
    let mut state = TrainingState::new();
    let sgd = base().with_momentum(0.9).with_epochs(1);
    sgd.train_with_state(
        &mut net,
        &mut state,
        &data,
        None,
        &CrossEntropy,
        &mut rng,
        &mut Quiet,
    )
    .unwrap();
    let mut other = Network::new(&[6, 5, 3], Init::StandardNormal, &mut rng).unwrap();
    let err = sgd
        .train_with_state(
            &mut other,
            &mut state,
            &data,
            None,
            &CrossEntropy,
            &mut rng,
            &mut Quiet,
        )
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::InvalidConfig {
                name: "training state",
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn settings_read_back() {
    let sgd = Sgd::new()
        .with_momentum(0.9)
        .with_nesterov(true)
        .with_schedule(Schedule::nielsen())
        .with_early_stopping(5)
        .with_max_norm(3.0);
    assert_eq!(sgd.momentum(), 0.9);
    assert!(sgd.nesterov());
    assert_eq!(sgd.schedule(), Schedule::nielsen());
    assert_eq!(sgd.early_stopping(), Some(5));
    assert_eq!(sgd.max_norm(), Some(3.0));
    let d = Sgd::default();
    assert_eq!(
        (
            d.momentum(),
            d.nesterov(),
            d.schedule(),
            d.early_stopping(),
            d.max_norm()
        ),
        (0.0, false, Schedule::Constant, None, None)
    );
}
