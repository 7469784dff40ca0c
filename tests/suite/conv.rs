//! Convolutional and pooling layers (Nielsen's chapter 6): gradients
//! against central finite differences, alone and stacked; ties in
//! max-pooling; reference values from an independent script; the model
//! file; threads.

use nalgebra::{DMatrix, DVector};
use neuralnet::layer::{Layer, Shape};
use neuralnet::{Activation, Cost, CrossEntropy, Init, LogLikelihood, Network, Quadratic};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

/// The batch's average cost (1/m) Σ_x C_x, through feedforward only.
fn batch_cost(net: &Network<f64>, x: &DMatrix<f64>, y: &DMatrix<f64>, cost: &dyn Cost<f64>) -> f64 {
    let a = net.feedforward_batch(x).unwrap();
    cost.cost(a.as_slice(), y.as_slice()) / x.ncols() as f64
}

/// Every weight and bias gradient of `net` against Richardson-extrapolated
/// central differences, within `tol` (relative, with a floor of 1e-2).
fn check(net: &Network<f64>, x: &DMatrix<f64>, y: &DMatrix<f64>, cost: &dyn Cost<f64>, tol: f64) {
    check_with_step(net, x, y, cost, tol, 1e-4, None);
}

/// [`check`] with differences of step `h`. Max-pooling is not
/// differentiable where two inputs of a block tie, and a shift of h can
/// make the maximum change hands in one of the many blocks of a large
/// batch; a smaller h makes that rarer.
fn check_with_step(
    net: &Network<f64>,
    x: &DMatrix<f64>,
    y: &DMatrix<f64>,
    cost: &dyn Cost<f64>,
    tol: f64,
    h: f64,
    only: Option<usize>,
) {
    let grad = net.backprop(x, y, cost).unwrap();
    let weights: Vec<DMatrix<f64>> = net.weights().iter().map(|w| w.clone_owned()).collect();
    let biases: Vec<DVector<f64>> = net.biases().iter().map(|b| b.clone_owned()).collect();
    let shifted = |l: usize, j: usize, k: Option<usize>, d: f64| {
        let (mut w, mut b) = (weights.clone(), biases.clone());
        match k {
            Some(k) => w[l][(j, k)] += d,
            None => b[l][j] += d,
        }
        let mut n = net.clone();
        n.set_parameters(&w, &b).unwrap();
        n
    };
    let mut checked = 0;
    for l in (0..weights.len()).filter(|&l| only.is_none_or(|o| o == l)) {
        let gw = grad.weights()[l].clone_owned();
        let gb = grad.biases()[l].clone_owned();
        assert_eq!(gw.shape(), weights[l].shape());
        for j in 0..gb.len() {
            for k in (0..weights[l].ncols()).map(Some).chain([None]) {
                let d = |h: f64| {
                    (batch_cost(&shifted(l, j, k, h), x, y, cost)
                        - batch_cost(&shifted(l, j, k, -h), x, y, cost))
                        / (2.0 * h)
                };
                let numeric = (4.0 * d(h / 2.0) - d(h)) / 3.0;
                let analytic = match k {
                    Some(k) => gw[(j, k)],
                    None => gb[j],
                };
                let scale = analytic.abs().max(numeric.abs()).max(1e-2);
                assert!(
                    (analytic - numeric).abs() / scale < tol,
                    "layer {l} ({}), neuron {j}, {k:?}: backprop {analytic:e}, finite difference {numeric:e}",
                    net.layers()[l].kind()
                );
                checked += 1;
            }
        }
    }
    assert!(checked > 0);
}

/// Random inputs in [0, 1) and one-hot targets for `net`.
fn data(net: &Network<f64>, m: usize, seed: u64) -> (DMatrix<f64>, DMatrix<f64>) {
    let mut rng = StdRng::seed_from_u64(seed);
    let x = DMatrix::from_fn(net.input_size(), m, |_, _| rng.random::<f64>());
    let n = net.output_size();
    let y = DMatrix::from_fn(n, m, |i, t| f64::from(u8::from(i == (t * 7 + 3) % n)));
    (x, y)
}

fn net(layers: &[Layer], seed: u64) -> Network<f64> {
    Network::from_layers(layers, Init::ScaledNormal, &mut StdRng::seed_from_u64(seed)).unwrap()
}

#[test]
fn a_convolution_alone_odd_sizes_several_channels() {
    // 2 maps of 7 × 6, 3 × 3 kernels, 3 maps of 5 × 4, then a softmax.
    for f in [Activation::Sigmoid, Activation::Tanh, Activation::Identity] {
        let n = net(
            &[
                Layer::conv(Shape::new(2, 7, 6), 3, 3, f),
                Layer::dense(3 * 5 * 4, 4, Activation::Softmax),
            ],
            1,
        );
        let (x, y) = data(&n, 3, 2);
        check(&n, &x, &y, &LogLikelihood, 1e-6);
    }
}

#[test]
fn pooling_alone_with_a_border_left_out() {
    // 3 maps of 5 × 7 pooled 2 × 2: 2 × 3 each, the last row and column
    // left out.
    let n = net(
        &[
            Layer::conv(Shape::new(1, 7, 9), 3, 3, Activation::Tanh),
            Layer::max_pool(Shape::new(3, 5, 7), 2),
            Layer::dense(3 * 2 * 3, 2, Activation::Sigmoid),
        ],
        3,
    );
    assert_eq!(n.sizes(), &[63, 105, 18, 2]);
    let (x, y) = data(&n, 4, 4);
    check(&n, &x, &y, &CrossEntropy, 1e-6);
}

#[test]
fn stacked_convolutions_and_pools_as_nielsen_stacks_them() {
    // conv → pool → conv → pool → dense → dense, with each activation.
    for (f, cost) in [
        (Activation::Sigmoid, &Quadratic as &dyn Cost<f64>),
        (Activation::Tanh, &LogLikelihood),
        (Activation::Relu, &LogLikelihood),
    ] {
        let out = if f == Activation::Sigmoid {
            Activation::Sigmoid
        } else {
            Activation::Softmax
        };
        let n = net(
            &[
                Layer::conv(Shape::new(1, 12, 11), 3, 3, f),
                Layer::max_pool(Shape::new(3, 10, 9), 2),
                Layer::conv(Shape::new(3, 5, 4), 4, 2, f),
                Layer::max_pool(Shape::new(4, 4, 3), 2),
                Layer::dense(4 * 2, 5, f),
                Layer::dense(5, 3, out),
            ],
            5,
        );
        let (x, y) = data(&n, 3, 6);
        // ReLU's kink: a shift of h may cross it; the inputs are random,
        // so at 1e-4 it rarely does, and the tolerance stays tight.
        check(&n, &x, &y, cost, 1e-5);
    }
}

#[test]
fn nielsens_map_widths_take_the_same_path_as_any_other() {
    // Output maps 24 and 8 positions wide (Nielsen's 28 × 28 → 24 × 24 and
    // 12 × 12 → 8 × 8) are copied by fixed-width code in im2col and col2im:
    // a first convolution 24 wide, a second one 8 wide whose input error
    // goes back through col2im.
    let n = net(
        &[
            Layer::conv(Shape::new(1, 6, 28), 2, 5, Activation::Tanh),
            Layer::conv(Shape::new(2, 2, 24), 2, 1, Activation::Tanh),
            Layer::dense(2 * 2 * 24, 3, Activation::Sigmoid),
        ],
        7,
    );
    let (x, y) = data(&n, 2, 8);
    check(&n, &x, &y, &Quadratic, 1e-6);
    let n = net(
        &[
            Layer::conv(Shape::new(1, 10, 14), 2, 3, Activation::Tanh),
            Layer::conv(Shape::new(2, 8, 12), 3, 5, Activation::Tanh),
            Layer::dense(3 * 4 * 8, 3, Activation::Sigmoid),
        ],
        7,
    );
    let (x, y) = data(&n, 2, 9);
    check(&n, &x, &y, &Quadratic, 1e-6);
}

#[test]
fn a_convolution_as_the_first_layer_of_a_deep_stack_with_a_wide_batch() {
    // Batches of more examples than a chunk: the weight gradient is summed
    // over several chunks.
    let n = net(
        &[
            Layer::conv(Shape::new(1, 20, 20), 4, 5, Activation::Sigmoid),
            Layer::max_pool(Shape::new(4, 16, 16), 2),
            Layer::dense(4 * 8 * 8, 3, Activation::Softmax),
        ],
        7,
    );
    let (x, y) = data(&n, 70, 8);
    // The convolution's parameters, which the chunks share.
    check_with_step(&n, &x, &y, &LogLikelihood, 1e-6, 1e-6, Some(0));
    // The batch's gradient is the mean of its examples' (summed chunk by
    // chunk, in order).
    let g = n.backprop(&x, &y, &LogLikelihood).unwrap();
    let mut mean = g.weights()[0].clone_owned() * 0.0;
    for t in 0..70 {
        let (xt, yt) = (x.columns(t, 1).clone_owned(), y.columns(t, 1).clone_owned());
        mean += n.backprop(&xt, &yt, &LogLikelihood).unwrap().weights()[0] / 70.0;
    }
    let worst = (g.weights()[0].clone_owned() - mean).abs().max();
    assert!(worst < 1e-15, "{worst:e}");
}

#[test]
fn ties_in_max_pooling_pass_the_error_to_the_first_maximum() {
    // Two input maps of 2 × 2; a 1 × 1 convolution with both weights 1
    // adds them: (1, 1, 0, 0) ties between the first two positions. The
    // error goes to the first (row-major), so ∂C/∂w₀ = δ·x₀[0] = δ and
    // ∂C/∂w₁ = δ·x₁[0] = 0 (the other way round if it went to the second).
    let mut n = net(
        &[
            Layer::conv(Shape::new(2, 2, 2), 1, 1, Activation::Identity),
            Layer::max_pool(Shape::new(1, 2, 2), 2),
            Layer::dense(1, 1, Activation::Identity),
        ],
        9,
    );
    n.set_parameters(
        &[
            DMatrix::from_row_slice(1, 2, &[1.0, 1.0]),
            DMatrix::zeros(0, 0),
            DMatrix::from_element(1, 1, 2.0),
        ],
        &[DVector::zeros(1), DVector::zeros(0), DVector::zeros(1)],
    )
    .unwrap();
    let x = DMatrix::from_column_slice(8, 1, &[1.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0]);
    let y = DMatrix::from_element(1, 1, 0.0);
    assert_eq!(n.feedforward(&x.column(0)).unwrap()[0], 2.0);
    let g = n.backprop(&x, &y, &Quadratic).unwrap();
    // C = ½(a − y)², a = 2·max = 2: δ at the pool = 2·(2 − 0) = 4.
    assert_eq!(g.weights()[0][(0, 0)], 4.0);
    assert_eq!(g.weights()[0][(0, 1)], 0.0);
    assert_eq!(g.biases()[0][0], 4.0);
    assert_eq!(g.weights()[2][(0, 0)], 2.0 * 1.0);
}

#[test]
fn layers_that_do_not_fit_are_refused_with_the_reason() {
    let cases = [
        vec![
            Layer::conv(Shape::new(1, 4, 4), 2, 5, Activation::Relu),
            Layer::dense(2, 1, Activation::Identity),
        ],
        vec![
            Layer::conv(Shape::new(1, 6, 6), 2, 3, Activation::Relu),
            // Takes 2 × 4 × 4 = 32 values, but as 4 maps of 2 × 4.
            Layer::max_pool(Shape::new(4, 2, 4), 2),
        ],
        vec![Layer::max_pool(Shape::new(1, 3, 3), 4)],
    ];
    for layers in cases {
        let err =
            Network::<f32>::from_layers(&layers, Init::ScaledNormal, &mut StdRng::seed_from_u64(1))
                .unwrap_err()
                .to_string();
        assert!(
            err.contains("does not fit") || err.contains("takes maps of"),
            "{err}"
        );
    }
}

#[test]
fn convolutional_networks_save_and_load_bit_for_bit() {
    use neuralnet::model::{ModelFormat, SavedNetwork};
    let n = Network::<f32>::from_layers(
        &[
            Layer::conv(Shape::new(1, 12, 10), 3, 3, Activation::Relu),
            Layer::max_pool(Shape::new(3, 10, 8), 2),
            Layer::conv(Shape::new(3, 5, 4), 2, 2, Activation::Tanh),
            Layer::dense(2 * 4 * 3, 4, Activation::Softmax),
        ],
        Init::ScaledNormal,
        &mut StdRng::seed_from_u64(11),
    )
    .unwrap();
    for format in [ModelFormat::Binary, ModelFormat::Json] {
        let bytes = n.to_bytes(format).unwrap();
        let back = SavedNetwork::<f32>::from_bytes(&bytes).unwrap().network;
        assert_eq!(back, n, "{format:?}");
        assert_eq!(back.layers(), n.layers());
    }
    // A JSON file whose convolution does not fit its sizes is refused.
    let json = String::from_utf8(n.to_bytes(ModelFormat::Json).unwrap()).unwrap();
    assert!(json.contains("\"conv2d(1,3,3,10)\""), "{json}");
    let start = json.find(",\"checksum\":").unwrap();
    let end = start + json[start..].find('}').unwrap();
    let unsealed = format!("{}{}", &json[..start], &json[end..]);
    let broken = unsealed.replace("conv2d(1,3,3,10)", "conv2d(1,3,3,7)");
    let err = SavedNetwork::<f32>::from_bytes(broken.as_bytes()).unwrap_err();
    assert!(err.to_string().contains("not 1 maps of width 7"), "{err}");
    let unknown = unsealed.replace("max_pool2d(", "avg_pool2d(");
    let err = SavedNetwork::<f32>::from_bytes(unknown.as_bytes()).unwrap_err();
    assert!(err.to_string().contains("unknown layer kind"), "{err}");
}

/// One small network's forward and backward pass against values written
/// out by hand from the equations in plain Python (no library), the script
/// below; rerun it with
/// `sed -n '/^\/\/\/ ```text/,/^\/\/\/ ```$/p' tests/suite/conv.rs | sed '1d;$d;s|^/// \?||' | python3`.
///
/// ```text
/// import math
/// # A 1x6x5 image, conv 1->2 maps of 3x3 (tanh) -> 2x4x3, max-pool 2x2 -> 2x2x1,
/// # dense 4->3 softmax, log-likelihood cost for target class 2. Parameters
/// # p_i = sin(i + 1) / 2 in storage order (conv weights map-major, conv biases,
/// # dense weights neuron-major, dense biases); inputs x_i = cos(i) / 2 + 0.5.
/// x = [math.cos(i) / 2 + 0.5 for i in range(30)]
/// H, W, K, C = 6, 5, 3, 2
/// OH, OW = H - K + 1, W - K + 1
/// n = 0
/// def p():
///     global n
///     n += 1
///     return math.sin(n) / 2
/// cw = [[p() for _ in range(K * K)] for _ in range(C)]
/// cb = [p() for _ in range(C)]
/// dw = [[p() for _ in range(4)] for _ in range(3)]
/// db = [p() for _ in range(3)]
/// # forward
/// z1 = [[cb[c] + sum(cw[c][di * K + dj] * x[(y + di) * W + xo + dj] for di in range(K) for dj in range(K))
///        for y in range(OH) for xo in range(OW)] for c in range(C)]
/// a1 = [[math.tanh(v) for v in m] for m in z1]
/// PH, PW = OH // 2, OW // 2
/// a2, arg = [], []
/// for c in range(C):
///     for y in range(PH):
///         for xo in range(PW):
///             best = None
///             for di in range(2):
///                 for dj in range(2):
///                     i = (2 * y + di) * OW + 2 * xo + dj
///                     if best is None or a1[c][i] > a1[c][best]:
///                         best = i
///             a2.append(a1[c][best]); arg.append((c, best))
/// z3 = [db[j] + sum(dw[j][k] * a2[k] for k in range(4)) for j in range(3)]
/// mx = max(z3); e = [math.exp(v - mx) for v in z3]; s = sum(e)
/// a3 = [v / s for v in e]
/// y = [0, 0, 1]
/// cost = -math.log(a3[2])
/// # backward
/// d3 = [a3[j] - y[j] for j in range(3)]
/// gdw = [[d3[j] * a2[k] for k in range(4)] for j in range(3)]
/// gdb = d3[:]
/// d2 = [sum(dw[j][k] * d3[j] for j in range(3)) for k in range(4)]
/// d1 = [[0.0] * (OH * OW) for _ in range(C)]
/// for k, (c, i) in enumerate(arg):
///     d1[c][i] += d2[k]
/// dz1 = [[d1[c][i] * (1 - a1[c][i] ** 2) for i in range(OH * OW)] for c in range(C)]
/// gcw = [[sum(dz1[c][y * OW + xo] * x[(y + di) * W + xo + dj] for y in range(OH) for xo in range(OW))
///         for di in range(K) for dj in range(K)] for c in range(C)]
/// gcb = [sum(dz1[c]) for c in range(C)]
/// print("output", [repr(v) for v in a3])
/// print("cost", repr(cost))
/// print("conv_w", [repr(v) for m in gcw for v in m])
/// print("conv_b", [repr(v) for v in gcb])
/// print("dense_w", [repr(v) for r in gdw for v in r])
/// print("dense_b", [repr(v) for v in gdb])
/// ```
#[test]
fn forward_and_backward_match_an_independent_script() {
    let layers = [
        Layer::conv(Shape::new(1, 6, 5), 2, 3, Activation::Tanh),
        Layer::max_pool(Shape::new(2, 4, 3), 2),
        Layer::dense(4, 3, Activation::Softmax),
    ];
    let mut n = net(&layers, 1);
    let mut i = 0.0;
    let mut next = || {
        i += 1.0;
        f64::sin(i) / 2.0
    };
    let cw = DMatrix::from_row_iterator(2, 9, (0..18).map(|_| next()).collect::<Vec<_>>());
    let cb = DVector::from_iterator(2, (0..2).map(|_| next()));
    let dw = DMatrix::from_row_iterator(3, 4, (0..12).map(|_| next()));
    let db = DVector::from_iterator(3, (0..3).map(|_| next()));
    n.set_parameters(
        &[cw, DMatrix::zeros(0, 0), dw],
        &[cb, DVector::zeros(0), db],
    )
    .unwrap();
    let x = DMatrix::from_fn(30, 1, |i, _| f64::cos(i as f64) / 2.0 + 0.5);
    let y = DMatrix::from_column_slice(3, 1, &[0.0, 0.0, 1.0]);
    let close = |got: &[f64], want: &[f64], what: &str| {
        assert_eq!(got.len(), want.len(), "{what}");
        for (g, w) in got.iter().zip(want) {
            assert!((g - w).abs() < 1e-12, "{what}: {got:?} against {want:?}");
        }
    };
    let out = n.feedforward(&x.column(0)).unwrap();
    close(
        out.as_slice(),
        &[0.5011639108071844, 0.3777970326008244, 0.1210390565919912],
        "output",
    );
    let cost = LogLikelihood.cost(out.as_slice(), y.as_slice());
    close(&[cost], &[2.111642003716225], "cost");
    let g = n.backprop(&x, &y, &LogLikelihood).unwrap();
    let rows = |m: &DMatrix<f64>| m.transpose().iter().copied().collect::<Vec<_>>();
    close(
        &rows(&g.weights()[0].clone_owned()),
        &[
            0.25447584901827847,
            0.5375330488412461,
            0.6665148891520092,
            0.07511999593405705,
            0.1827108447104413,
            0.46244823210605146,
            0.3181594723516258,
            0.09614118312816344,
            0.12586118014622422,
            -0.06306095448828389,
            -0.27140989247415936,
            -0.3545037644965937,
            0.08493544076867839,
            -0.007757315859417774,
            -0.21759596956751356,
            -0.08241294926340252,
            0.0733491288789995,
            0.037396418690434766,
        ],
        "conv weights",
    );
    close(
        g.biases()[0].as_slice(),
        &[0.7398993968723521, -0.27034709787081357],
        "conv biases",
    );
    close(
        &rows(&g.weights()[2].clone_owned()),
        &[
            0.2608590949813925,
            0.2827881881315914,
            0.013683286784919169,
            -0.03171137603240997,
            0.19664582761391824,
            0.2131768390078326,
            0.010314998809955074,
            -0.023905280301283912,
            -0.4575049225953107,
            -0.49596502713942403,
            -0.023998285594874245,
            0.055616656333693885,
        ],
        "dense weights",
    );
    close(
        g.biases()[2].as_slice(),
        &[0.5011639108071844, 0.3777970326008244, -0.8789609434080088],
        "dense biases",
    );
}
