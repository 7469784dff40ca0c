//! The sigmoid function σ and its derivative σ′.

use crate::Real;

/// The sigmoid (logistic) function σ(z) = 1/(1+e^(−z)).
///
/// The smoothed step of section 3 of the lecture notes: near 0 for very
/// negative `z`, near 1 for large `z`, and σ(0) = ½.
///
/// It is computed so that it never overflows: for `z ≥ 0` as 1/(1+e^(−z)),
/// for `z < 0` as e^z/(1+e^z). The result is finite and in [0, 1] for every
/// finite `z` (σ(±1000) is exactly 1 or 0), and σ(−z) = 1 − σ(z) up to
/// rounding.
///
/// # Examples
/// ```
/// use neuralnet::activation::sigmoid;
/// assert_eq!(sigmoid(0.0_f64), 0.5);
/// assert!(sigmoid(10.0_f64) > 0.9999);
/// assert_eq!(sigmoid(-1000.0_f64), 0.0);
/// ```
#[inline]
pub fn sigmoid<T: Real>(z: T) -> T {
    let one = T::one();
    if z >= T::zero() {
        one / (one + (-z).exp())
    } else {
        let e = z.exp();
        e / (one + e)
    }
}

/// The derivative σ′(z) = σ(z)(1 − σ(z)).
///
/// Largest at z = 0, where σ′(0) = ¼, and tending to 0 on both sides: a
/// saturated neuron learns slowly.
///
/// # Examples
/// ```
/// use neuralnet::activation::sigmoid_prime;
/// assert_eq!(sigmoid_prime(0.0_f64), 0.25);
/// ```
#[inline]
pub fn sigmoid_prime<T: Real>(z: T) -> T {
    let s = sigmoid(z);
    s * (T::one() - s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_at_zero() {
        assert_eq!(sigmoid(0.0_f64), 0.5);
        assert_eq!(sigmoid_prime(0.0_f64), 0.25);
        assert_eq!(sigmoid(0.0_f32), 0.5);
        assert_eq!(sigmoid_prime(0.0_f32), 0.25);
    }

    #[test]
    fn extremes_are_finite_and_saturate() {
        for z in [1000.0_f64, 1e300, f64::MAX] {
            assert_eq!(sigmoid(z), 1.0);
            assert_eq!(sigmoid(-z), 0.0);
            assert_eq!(sigmoid_prime(z), 0.0);
        }
        assert_eq!(sigmoid(1000.0_f32), 1.0);
        assert_eq!(sigmoid(-1000.0_f32), 0.0);
    }

    #[test]
    fn known_value() {
        // σ(1) = 1/(1+e^(−1)) = 0.7310585786300049
        assert!((sigmoid(1.0_f64) - 0.731_058_578_630_004_9).abs() < 1e-15);
        assert!((sigmoid(-1.0_f64) - 0.268_941_421_369_995_1).abs() < 1e-15);
    }
}
