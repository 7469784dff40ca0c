//! Perceptrons and sigmoid neurons through the public API (sections 2 and 3).

use neuralnet::activation::{sigmoid, sigmoid_prime};
use neuralnet::neuron::BitAdder;
use neuralnet::{Error, Neuron, Perceptron, SigmoidNeuron};
use proptest::prelude::*;

/// The 8 inputs (weather, friends, commute) as bits.
fn inputs() -> Vec<[f64; 3]> {
    (0..8u8)
        .map(|i| [(i >> 2) & 1, (i >> 1) & 1, i & 1].map(f64::from))
        .collect()
}

#[test]
fn gouda_threshold_5_goes_exactly_when_the_weather_is_good() {
    let p = Neuron::with_threshold(&[6.0, 2.0, 2.0], 5.0);
    for x in inputs() {
        assert_eq!(p.fire(&x).unwrap(), x[0] == 1.0, "{x:?}");
    }
}

#[test]
fn gouda_threshold_3_goes_for_weather_or_friends_and_commute() {
    let p = Neuron::with_threshold(&[6.0, 2.0, 2.0], 3.0);
    for x in inputs() {
        let expected = x[0] == 1.0 || (x[1] == 1.0 && x[2] == 1.0);
        assert_eq!(p.fire(&x).unwrap(), expected, "{x:?}");
    }
}

#[test]
fn bias_is_minus_threshold() {
    let by_threshold = Neuron::with_threshold(&[6.0_f32, 2.0, 2.0], 3.0);
    let by_bias = Neuron::with_bias(&[6.0_f32, 2.0, 2.0], -3.0);
    assert_eq!(by_threshold.bias(), -3.0);
    assert_eq!(by_threshold, by_bias);
}

#[test]
fn zero_weighted_input_does_not_fire() {
    let p = Neuron::with_threshold(&[6.0, 2.0, 2.0], 4.0);
    assert_eq!(p.weighted_input(&[0.0, 1.0, 1.0]).unwrap(), 0.0);
    assert!(!p.fire(&[0.0, 1.0, 1.0]).unwrap());
}

#[test]
fn nand_and_adder() {
    let nand = Neuron::<f32>::nand();
    assert_eq!(nand.weights().as_slice(), &[-2.0, -2.0]);
    assert_eq!(nand.bias(), 3.0);
    let table = [(0., 0., 1.), (0., 1., 1.), (1., 0., 1.), (1., 1., 0.)];
    for (a, b, out) in table {
        assert_eq!(nand.output(&[a, b]).unwrap(), out);
    }
    let adder = BitAdder::<f64>::new();
    assert_eq!(adder.add(false, false), (false, false));
    assert_eq!(adder.add(false, true), (true, false));
    assert_eq!(adder.add(true, false), (true, false));
    assert_eq!(adder.add(true, true), (false, true));
}

#[test]
fn mismatched_input_is_an_error() {
    let p = Neuron::with_threshold(&[6.0, 2.0, 2.0], 5.0);
    let err = p.fire(&[1.0, 0.0]).unwrap_err();
    assert!(
        matches!(
            err,
            Error::InputSize {
                expected: 3,
                got: 2,
                ..
            }
        ),
        "{err}"
    );
    assert!(matches!(
        p.activation(&[1.0; 4]),
        Err(Error::InputSize {
            expected: 3,
            got: 4,
            ..
        })
    ));
    assert!(matches!(
        p.output_gradient(&[]),
        Err(Error::InputSize { .. })
    ));
}

#[test]
fn sigmoid_approaches_the_perceptron_as_weights_grow() {
    let n = Neuron::with_threshold(&[6.0, 2.0, 2.0], 3.0);
    for x in inputs() {
        let target = n.output(&x).unwrap();
        let mut previous_gap = f64::INFINITY;
        for c in [1.0, 10.0, 100.0, 1000.0] {
            let gap = (n.scaled(c).activation(&x).unwrap() - target).abs();
            assert!(gap <= previous_gap, "{x:?} c={c}");
            previous_gap = gap;
        }
        assert!(previous_gap < 1e-12, "{x:?}: gap {previous_gap}");
        // Scaling by c > 0 never changes the perceptron's decision.
        assert_eq!(n.scaled(1000.0).output(&x).unwrap(), target);
    }
}

#[test]
fn small_weight_change_gives_small_output_change() {
    // Equation (3): Δoutput ≈ Σ ∂output/∂w_j Δw_j + ∂output/∂b Δb.
    let n = Neuron::with_bias(&[0.7, -1.2, 0.4], 0.1);
    let x = [1.0, 0.5, -2.0];
    let (dw, db) = n.output_gradient(&x).unwrap();
    let delta = [1e-4, -2e-4, 5e-5];
    let moved = Neuron::with_bias(
        &[0.7 + delta[0], -1.2 + delta[1], 0.4 + delta[2]],
        0.1 + 1e-4,
    );
    let actual = moved.activation(&x).unwrap() - n.activation(&x).unwrap();
    let linear = dw.iter().zip(delta).map(|(g, d)| g * d).sum::<f64>() + db * 1e-4;
    assert!((actual - linear).abs() < 1e-7, "{actual} vs {linear}");
}

proptest! {
    #[test]
    fn sigmoid_is_a_finite_symmetric_probability(z in -1.0e6_f64..1.0e6) {
        let s = sigmoid(z);
        prop_assert!(s.is_finite() && (0.0..=1.0).contains(&s));
        prop_assert!((sigmoid(-z) - (1.0 - s)).abs() <= 1e-15);
        let d = sigmoid_prime(z);
        prop_assert!((0.0..=0.25).contains(&d));
        prop_assert!((d - s * (1.0 - s)).abs() <= 1e-16);
    }

    #[test]
    fn sigmoid_f32_is_finite_and_monotone(z in -1.0e4_f32..1.0e4, dz in 0.0_f32..10.0) {
        let s = sigmoid(z);
        prop_assert!(s.is_finite() && (0.0..=1.0).contains(&s));
        prop_assert!(sigmoid(z + dz) >= s);
        prop_assert!((sigmoid(-z) - (1.0 - s)).abs() <= 1e-6);
    }

    #[test]
    fn sigmoid_prime_matches_finite_difference(z in -20.0_f64..20.0) {
        let h = 1e-5;
        let numeric = (sigmoid(z + h) - sigmoid(z - h)) / (2.0 * h);
        prop_assert!((numeric - sigmoid_prime(z)).abs() < 1e-9);
    }
}
