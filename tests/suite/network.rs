//! `Network`: its counts and checks, its answers (ties included), and the
//! conveniences built on them: `predict_batch`, `accuracy`,
//! `confusion_matrix`, and `Gradient::dot`.

use neuralnet::nalgebra::{DMatrix, DVector};
use neuralnet::rand::rngs::StdRng;
use neuralnet::rand::{RngExt, SeedableRng};
use neuralnet::{CrossEntropy, Dataset, Error, Init, Network, Quadratic};

fn random(sizes: &[usize], seed: u64) -> Network<f64> {
    Network::new(
        sizes,
        Init::StandardNormal,
        &mut StdRng::seed_from_u64(seed),
    )
    .unwrap()
}

/// A one-layer network (no hidden layer) with the given weights (row-major,
/// one row per output neuron) and biases.
fn single_layer(n_in: usize, w: &[f64], b: &[f64]) -> Network<f64> {
    Network::from_parameters(
        vec![DMatrix::from_row_slice(b.len(), n_in, w)],
        vec![DVector::from_column_slice(b)],
    )
    .unwrap()
}

#[test]
fn layers_and_parameters_are_counted() {
    let small = random(&[2, 3, 1], 1);
    assert_eq!(small.num_layers(), 3);
    assert_eq!(small.num_parameters(), 2 * 3 + 3 + 3 + 1);
    assert_eq!((small.input_size(), small.output_size()), (2, 1));

    let deeper = random(&[3, 4, 5, 2], 1);
    assert_eq!(deeper.num_layers(), 4);
    assert_eq!(
        deeper.num_parameters(),
        (3 * 4 + 4) + (4 * 5 + 5) + (5 * 2 + 2)
    );
    assert_eq!((deeper.input_size(), deeper.output_size()), (3, 2));

    let lecture = Network::<f32>::new(
        &[784, 30, 10],
        Init::ScaledNormal,
        &mut StdRng::seed_from_u64(0),
    )
    .unwrap();
    assert_eq!(lecture.num_layers(), 3);
    assert_eq!(lecture.num_parameters(), 23_860);
}

/// Sample mean and variance of `v`.
fn mean_var(v: impl Iterator<Item = f64> + Clone) -> (f64, f64) {
    let n = v.clone().count() as f64;
    let mean = v.clone().sum::<f64>() / n;
    (mean, v.map(|x| (x - mean).powi(2)).sum::<f64>() / n)
}

#[test]
fn each_initialisation_draws_its_documented_distribution() {
    // 400 inputs into 300 neurons: 120,000 weights, so the sample variance
    // is within 1.5% of the true one with overwhelming probability (its
    // standard error is var·√(2/n) ≈ 0.4%).
    for (init, weight_var, bias_var) in [
        (Init::StandardNormal, 1.0_f64, Some(1.0)),
        (Init::ScaledNormal, 1.0 / 400.0, Some(1.0)),
        (Init::He, 2.0 / 400.0, None),
    ] {
        let net = Network::<f64>::new(&[400, 300], init, &mut StdRng::seed_from_u64(3)).unwrap();
        let (mean, var) = mean_var(net.weights()[0].iter().copied());
        assert!(mean.abs() < 0.02 * weight_var.sqrt(), "{init}: mean {mean}");
        assert!(
            (var / weight_var - 1.0).abs() < 0.015,
            "{init}: variance {var}"
        );
        let biases = net.biases()[0].iter().copied().collect::<Vec<_>>();
        match bias_var {
            // 300 biases: a looser bound on their variance.
            Some(bv) => {
                let (_, var) = mean_var(biases.iter().copied());
                assert!((var / bv - 1.0).abs() < 0.3, "{init}: bias variance {var}");
            }
            None => assert!(biases.iter().all(|&b| b == 0.0), "{init}: {biases:?}"),
        }
    }
}

#[test]
fn a_single_nan_or_infinity_makes_a_network_not_finite() {
    let w = |v: f64| vec![DMatrix::from_row_slice(2, 2, &[0.5, v, -1.0, 2.0])];
    let b = |v: f64| vec![DVector::from_column_slice(&[v, 0.25])];
    let net = |wv, bv| Network::from_parameters(w(wv), b(bv)).unwrap();
    assert!(net(1.0, 1.0).is_finite());
    for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
        assert!(!net(1.0, bad).is_finite(), "bias {bad}, weights finite");
        assert!(!net(bad, 1.0).is_finite(), "weight {bad}, biases finite");
        assert!(!net(bad, bad).is_finite());
    }
}

#[test]
fn a_network_with_too_many_parameters_to_address_is_refused() {
    // Just over the crate's bound of isize::MAX / 8 weights and biases:
    // n_out (n_in + 1) = h² with h² − 1 = isize::MAX / 8.
    let h = 1usize << ((usize::BITS - 4) / 2);
    assert_eq!(h * h - 1, isize::MAX as usize / 8);
    let err = Network::<f32>::new(
        &[h - 1, h],
        Init::StandardNormal,
        &mut StdRng::seed_from_u64(0),
    )
    .unwrap_err();
    assert!(matches!(err, Error::InvalidLayers { .. }), "{err}");
    // Over it in total, not in any one layer.
    let err = Network::<f32>::new(
        &[h / 2 - 1, h, h / 2 - 1, h],
        Init::StandardNormal,
        &mut StdRng::seed_from_u64(0),
    )
    .unwrap_err();
    assert!(matches!(err, Error::InvalidLayers { .. }), "{err}");
    // Well under it.
    assert_eq!(random(&[1000, 100, 10], 0).num_parameters(), 101_110);
}

#[test]
fn on_a_tie_predict_answers_the_first_largest_output() {
    // Zero weights: every output is σ(its bias), exactly equal for equal biases.
    let zero = [0.0; 6];
    let x = DVector::from_column_slice(&[0.3, -0.7]);
    let xs = DMatrix::from_column_slice(2, 2, &[0.3, -0.7, 5.0, 1.0]);
    for (biases, want) in [
        ([0.0, 1.0, 1.0], 1),
        ([1.0, 1.0, 0.0], 0),
        ([-2.0, 0.5, 0.5], 1),
        ([0.2, 0.2, 0.2], 0),
    ] {
        let net = single_layer(2, &zero, &biases);
        let out = net.feedforward(&x).unwrap();
        let largest = out.max();
        assert_eq!(out[want], largest);
        assert!(out.iter().filter(|&&a| a == largest).count() >= 2, "a tie");
        assert_eq!(net.predict(&x).unwrap(), want, "{biases:?}");
        assert_eq!(net.predict_batch(&xs).unwrap(), [want, want], "{biases:?}");
    }
}

#[test]
fn one_output_neuron_answers_whether_it_is_above_one_half() {
    // σ(0) = ½ exactly: not above, so 0, in predict and evaluate alike.
    for (bias, want) in [(0.0, 0), (1e-9, 1), (-1e-9, 0), (3.0, 1)] {
        let net = single_layer(1, &[0.0], &[bias]);
        let x = DVector::from_column_slice(&[1.0]);
        assert_eq!(net.predict(&x).unwrap(), want, "bias {bias}");
        let data = Dataset::new(
            DMatrix::from_element(1, 2, 1.0),
            DMatrix::from_row_slice(1, 2, &[0.0, 1.0]),
        )
        .unwrap();
        let eval = net.evaluate(&data, &Quadratic).unwrap();
        assert_eq!(
            eval.correct, 1,
            "bias {bias}: one of targets 0 and 1 matches"
        );
        assert_eq!(net.confusion_matrix(&data).unwrap().count(want, want), 1);
    }
}

/// A network with known answers: 10·(x₁, x₂, −x₁ − x₂), so (1, 0) → 0,
/// (0, 1) → 1, (−1, −1) → 2 and (0, 0) a three-way tie → 0. And data with
/// labels that it gets right 3 times out of 7.
fn known_answers() -> (Network<f64>, Dataset<f64>) {
    let net = single_layer(2, &[10.0, 0.0, 0.0, 10.0, -10.0, -10.0], &[0.0; 3]);
    let x = [
        1.0, 0.0, 0.0, 1.0, 0.0, 1.0, -1.0, -1.0, 1.0, 0.0, 0.0, 0.0, -1.0, -1.0,
    ];
    let labels = [0, 1, 2, 2, 1, 2, 0];
    let data = Dataset::from_labels(DMatrix::from_column_slice(2, 7, &x), &labels, 3).unwrap();
    (net, data)
}

#[test]
fn the_confusion_matrix_counts_true_against_predicted_classes() {
    let (net, data) = known_answers();
    assert_eq!(
        net.predict_batch(data.inputs()).unwrap(),
        [0, 1, 1, 2, 0, 0, 2]
    );
    let m = net.confusion_matrix(&data).unwrap();
    assert_eq!(m.classes(), 3);
    assert_eq!(m.row(0), &[1, 0, 1]);
    assert_eq!(m.row(1), &[1, 1, 0]);
    assert_eq!(m.row(2), &[1, 1, 1]);
    assert_eq!((m.correct(), m.total()), (3, 7));
    assert_eq!(m.accuracy(), 3.0 / 7.0);

    let eval = net.evaluate(&data, &CrossEntropy).unwrap();
    assert_eq!((eval.correct, eval.total), (m.correct(), m.total()));
    assert_eq!(eval.accuracy(), 3.0 / 7.0);
    assert_eq!(net.accuracy(&data).unwrap(), 3.0 / 7.0);

    let wrong = Dataset::new(DMatrix::zeros(3, 2), DMatrix::zeros(3, 2)).unwrap();
    assert!(matches!(
        net.confusion_matrix(&wrong),
        Err(Error::InputSize { .. })
    ));
    assert!(matches!(net.accuracy(&wrong), Err(Error::InputSize { .. })));
}

#[test]
fn accuracy_is_the_fraction_correct_on_random_data_too() {
    let mut rng = StdRng::seed_from_u64(4);
    let x = DMatrix::from_fn(3, 40, |_, _| rng.random_range(-1.0..1.0));
    let labels: Vec<u8> = (0..40).map(|_| rng.random_range(0..4)).collect();
    let data = Dataset::from_labels(x, &labels, 4).unwrap();
    let net = random(&[3, 5, 4], 2);
    let eval = net.evaluate(&data, &Quadratic).unwrap();
    assert!(0 < eval.correct && eval.correct < 40, "{eval:?}");
    let fraction = eval.correct as f64 / 40.0;
    assert_eq!(eval.accuracy(), fraction);
    assert_eq!(net.accuracy(&data).unwrap(), fraction);
    assert_eq!(net.confusion_matrix(&data).unwrap().correct(), eval.correct);
}

#[test]
fn predict_batch_answers_as_predict_column_by_column() {
    // More columns than one evaluation pass takes (256).
    let mut rng = StdRng::seed_from_u64(5);
    let x = DMatrix::from_fn(5, 600, |_, _| rng.random_range(-2.0..2.0));
    let net = random(&[5, 7, 4], 5);
    let batch = net.predict_batch(&x).unwrap();
    assert_eq!(batch.len(), 600);
    for (j, &answer) in batch.iter().enumerate() {
        assert_eq!(
            answer,
            net.predict(&x.column(j).into_owned()).unwrap(),
            "column {j}"
        );
    }
    assert!(
        (0..4).all(|c| batch.contains(&c)),
        "every class is answered somewhere"
    );
    assert!(net.predict_batch(&DMatrix::zeros(5, 0)).unwrap().is_empty());
    assert!(matches!(
        net.predict_batch(&DMatrix::zeros(4, 3)),
        Err(Error::InputSize {
            expected: 5,
            got: 4,
            ..
        })
    ));
}

#[test]
fn gradients_of_networks_of_different_sizes_have_no_dot_product() {
    let x = DMatrix::from_column_slice(2, 2, &[0.1, 0.2, 0.3, 0.4]);
    let y = DMatrix::from_column_slice(1, 2, &[0.0, 1.0]);
    let g3 = random(&[2, 3, 1], 1).backprop(&x, &y, &Quadratic).unwrap();
    let g4 = random(&[2, 4, 1], 1).backprop(&x, &y, &Quadratic).unwrap();
    assert!(matches!(g3.dot(&g4), Err(Error::InvalidLayers { .. })));
    assert!(matches!(g4.dot(&g3), Err(Error::InvalidLayers { .. })));
    assert_eq!(g3.dot(&g3).unwrap(), g3.norm_squared());
    assert!(g3.norm_squared() > 0.0);
    let other = random(&[2, 3, 1], 2).backprop(&x, &y, &Quadratic).unwrap();
    assert_eq!(g3.dot(&other).unwrap(), other.dot(&g3).unwrap());
    assert_eq!(g3.sizes(), &[2, 3, 1]);
}

#[test]
fn inputs_may_be_views_of_a_matrix() {
    let net = Network::<f64>::new(
        &[3, 4, 2],
        Init::ScaledNormal,
        &mut StdRng::seed_from_u64(1),
    )
    .unwrap();
    let m = DMatrix::from_fn(3, 5, |i, j| (i as f64 - j as f64) / 4.0);
    // One example: a column view, as an owned vector would.
    let owned: DVector<f64> = m.column(2).into_owned();
    assert_eq!(
        net.feedforward(&m.column(2)).unwrap(),
        net.feedforward(&owned).unwrap()
    );
    assert_eq!(
        net.predict(&m.column(2)).unwrap(),
        net.predict(&owned).unwrap()
    );
    // A batch: a view of some columns, and of some rows' transpose.
    let some = m.columns(1, 3);
    assert_eq!(
        net.feedforward_batch(&some).unwrap(),
        net.feedforward_batch(&some.into_owned()).unwrap()
    );
    assert_eq!(
        net.predict_batch(&some).unwrap(),
        net.predict_batch(&some.into_owned()).unwrap()
    );
    // Rows 1 to 3 of a taller matrix: columns that are not contiguous.
    let tall = DMatrix::from_fn(6, 5, |i, j| (i * j) as f64 / 10.0);
    let rows = tall.rows(1, 3);
    assert_eq!(
        net.feedforward_batch(&rows).unwrap(),
        net.feedforward_batch(&rows.into_owned()).unwrap()
    );
}
