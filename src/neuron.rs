//! Single neurons: the perceptron and the sigmoid neuron (sections 2 and 3
//! of the lecture notes), and small networks of perceptrons.

use nalgebra::DVector;

use crate::activation::sigmoid;
use crate::{Error, Real, Result};

/// A neuron's parameters: weights w and bias b, and its weighted input
/// z = w·x + b.
///
/// This is what perceptrons and sigmoid neurons have in common; they differ
/// only in what they do with z. [`Perceptron`] and [`SigmoidNeuron`] build on
/// it, so one [`Neuron`] value can be read both ways.
pub trait WeightedInput<T: Real> {
    /// The weights w₁, w₂, …, one per input.
    fn weights(&self) -> &DVector<T>;

    /// The bias b ≡ −threshold.
    fn bias(&self) -> T;

    /// The threshold of equation (1), −b.
    fn threshold(&self) -> T {
        -self.bias()
    }

    /// The weighted input z = w·x + b.
    ///
    /// # Errors
    /// [`Error::InputSize`] if `x.len() != self.weights().len()`.
    fn weighted_input(&self, x: &[T]) -> Result<T> {
        let w = self.weights();
        if x.len() != w.len() {
            return Err(Error::InputSize {
                what: "neuron",
                expected: w.len(),
                got: x.len(),
            });
        }
        let dot = w
            .iter()
            .zip(x)
            .fold(T::zero(), |acc, (&wj, &xj)| acc + wj * xj);
        Ok(dot + self.bias())
    }
}

/// A perceptron: output 1 if w·x + b > 0, else 0 (the perceptron rule).
///
/// Equation (1) of the lecture notes states the rule with a threshold,
/// "output 1 if Σⱼ wⱼxⱼ > threshold"; equation (2) moves the threshold to
/// the other side as the bias b ≡ −threshold:
///
/// ```text
/// output = 0 if w·x + b ≤ 0
///          1 if w·x + b > 0
/// ```
///
/// Note the boundary: when w·x + b is exactly 0 the perceptron does not fire.
///
/// # Examples
/// The Gouda cheese festival: weather weighs 6, friends 2, the commute 2, and
/// a threshold of 5 means "go exactly when the weather is good".
/// ```
/// use neuralnet::{Neuron, Perceptron};
/// let festival = Neuron::with_threshold(&[6.0, 2.0, 2.0], 5.0);
/// assert!(festival.fire(&[1.0, 0.0, 0.0])?);  // good weather, alone, hard to reach
/// assert!(!festival.fire(&[0.0, 1.0, 1.0])?); // bad weather: stay home
/// # Ok::<(), neuralnet::Error>(())
/// ```
pub trait Perceptron<T: Real>: WeightedInput<T> {
    /// Whether the perceptron fires: w·x + b > 0.
    ///
    /// # Errors
    /// [`Error::InputSize`] if `x.len() != self.weights().len()`.
    fn fire(&self, x: &[T]) -> Result<bool> {
        Ok(self.weighted_input(x)? > T::zero())
    }

    /// The perceptron's output as a number, 1 or 0 (equation (2)), ready to
    /// be the input of another perceptron.
    ///
    /// # Errors
    /// [`Error::InputSize`] if `x.len() != self.weights().len()`.
    fn output(&self, x: &[T]) -> Result<T> {
        Ok(if self.fire(x)? { T::one() } else { T::zero() })
    }
}

/// A sigmoid neuron: output σ(w·x + b), with σ(z) = 1/(1+e^(−z)).
///
/// The smoothed perceptron of section 3: the output is any number between 0
/// and 1, and a small change Δw, Δb of the weights and bias makes a small
/// change of the output, Δoutput ≈ Σⱼ ∂output/∂wⱼ Δwⱼ + ∂output/∂b Δb
/// (equation (3)), which is what makes learning possible.
///
/// # Examples
/// ```
/// use neuralnet::{Neuron, SigmoidNeuron};
/// let n = Neuron::<f64>::with_bias(&[6.0, 2.0, 2.0], -5.0);
/// let a = n.activation(&[1.0, 0.0, 0.0])?; // σ(6 − 5) = σ(1)
/// assert!((a - 0.731_058_578_630_005).abs() < 1e-12);
/// # Ok::<(), neuralnet::Error>(())
/// ```
pub trait SigmoidNeuron<T: Real>: WeightedInput<T> {
    /// The output σ(w·x + b), a number in [0, 1].
    ///
    /// # Errors
    /// [`Error::InputSize`] if `x.len() != self.weights().len()`.
    fn activation(&self, x: &[T]) -> Result<T> {
        Ok(sigmoid(self.weighted_input(x)?))
    }

    /// The partial derivatives of the output of equation (3): returns
    /// (∂output/∂w, ∂output/∂b) at input `x`, where
    /// ∂output/∂wⱼ = σ′(z)·xⱼ and ∂output/∂b = σ′(z).
    ///
    /// # Errors
    /// [`Error::InputSize`] if `x.len() != self.weights().len()`.
    fn output_gradient(&self, x: &[T]) -> Result<(DVector<T>, T)> {
        let z = self.weighted_input(x)?;
        let s = sigmoid(z);
        let ds = s * (T::one() - s);
        Ok((
            DVector::from_iterator(x.len(), x.iter().map(|&xj| ds * xj)),
            ds,
        ))
    }
}

/// A neuron with weights and a bias, usable as a [`Perceptron`] and as a
/// [`SigmoidNeuron`]: the same parameters read both ways.
///
/// Scaling the weights and bias by a large c (see [`Neuron::scaled`]) makes
/// the sigmoid output approach the perceptron's, except where w·x + b = 0:
/// a sigmoid neuron is a smoothed perceptron.
///
/// # Examples
/// ```
/// use neuralnet::{Neuron, Perceptron, SigmoidNeuron};
/// let n = Neuron::with_threshold(&[6.0, 2.0, 2.0], 3.0);
/// let x = [0.0, 1.0, 1.0]; // bad weather, but friends come and the commute is easy
/// assert!(n.fire(&x)?);
/// assert!(n.activation(&x)? > 0.5);
/// assert!(n.scaled(100.0).activation(&x)? > 0.999_999);
/// # Ok::<(), neuralnet::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Neuron<T: Real> {
    weights: DVector<T>,
    bias: T,
}

impl<T: Real> Neuron<T> {
    /// A neuron with weights w and bias b.
    pub fn with_bias(weights: &[T], bias: T) -> Self {
        Neuron {
            weights: DVector::from_column_slice(weights),
            bias,
        }
    }

    /// A neuron with weights w and a threshold, as in equation (1); the bias
    /// is b = −threshold.
    pub fn with_threshold(weights: &[T], threshold: T) -> Self {
        Self::with_bias(weights, -threshold)
    }

    /// The weights w₁, w₂, … (the same as [`WeightedInput::weights`]).
    pub fn weights(&self) -> &DVector<T> {
        &self.weights
    }

    /// The bias b (the same as [`WeightedInput::bias`]).
    pub fn bias(&self) -> T {
        self.bias
    }

    /// The threshold −b (the same as [`WeightedInput::threshold`]).
    pub fn threshold(&self) -> T {
        -self.bias
    }

    /// The weighted input z = w·x + b (the same as
    /// [`WeightedInput::weighted_input`]).
    ///
    /// # Errors
    /// [`Error::InputSize`] if `x.len() != self.weights().len()`.
    pub fn weighted_input(&self, x: &[T]) -> Result<T> {
        WeightedInput::weighted_input(self, x)
    }

    /// The neuron with weights c·w and bias c·b.
    ///
    /// For c > 0 the perceptron's decisions are unchanged (the sign of
    /// c(w·x + b) is that of w·x + b), while the sigmoid output σ(c(w·x + b))
    /// tends to the perceptron's 0 or 1 as c → ∞, wherever w·x + b ≠ 0. At
    /// w·x + b = 0 it stays at σ(0) = ½.
    pub fn scaled(&self, c: T) -> Self {
        Neuron {
            weights: &self.weights * c,
            bias: self.bias * c,
        }
    }

    /// The NAND perceptron of section 2: weights −2, −2 and bias 3.
    ///
    /// It outputs 0 only when both inputs are 1. NAND is universal: any
    /// computation can be built from NAND gates, so networks of perceptrons
    /// can compute anything (see [`BitAdder`]).
    ///
    /// # Examples
    /// ```
    /// use neuralnet::{Neuron, Perceptron};
    /// let nand = Neuron::<f64>::nand();
    /// assert_eq!(nand.output(&[0.0, 0.0])?, 1.0); // −2·0 − 2·0 + 3 = 3 > 0
    /// assert_eq!(nand.output(&[1.0, 1.0])?, 0.0); // −2 − 2 + 3 = −1 ≤ 0
    /// # Ok::<(), neuralnet::Error>(())
    /// ```
    pub fn nand() -> Self {
        let two: T = nalgebra::convert(2.0);
        let three: T = nalgebra::convert(3.0);
        Self::with_bias(&[-two, -two], three)
    }
}

impl<T: Real> WeightedInput<T> for Neuron<T> {
    fn weights(&self) -> &DVector<T> {
        &self.weights
    }
    fn bias(&self) -> T {
        self.bias
    }
}

impl<T: Real> Perceptron<T> for Neuron<T> {}
impl<T: Real> SigmoidNeuron<T> for Neuron<T> {}

/// Adds two bits with a network made only of NAND perceptrons.
///
/// The circuit of section 2 (five NAND gates, three layers):
///
/// ```text
/// n₁ = NAND(x₁, x₂)
/// n₂ = NAND(x₁, n₁)     n₃ = NAND(x₂, n₁)
/// sum   = NAND(n₂, n₃)  = x₁ ⊕ x₂
/// carry = NAND(n₁, n₁)  = x₁ ∧ x₂
/// ```
///
/// # Examples
/// ```
/// use neuralnet::neuron::BitAdder;
/// let adder = BitAdder::<f64>::new();
/// assert_eq!(adder.add(true, true), (false, true)); // 1 + 1 = 0, carry 1
/// assert_eq!(adder.add(true, false), (true, false));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct BitAdder<T: Real> {
    nand: Neuron<T>,
}

impl<T: Real> Default for BitAdder<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Real> BitAdder<T> {
    /// The adder, wired from [`Neuron::nand`] perceptrons.
    pub fn new() -> Self {
        BitAdder {
            nand: Neuron::nand(),
        }
    }

    fn gate(&self, a: T, b: T) -> T {
        // The NAND perceptron has exactly two weights and is given exactly two
        // inputs, so the length check cannot fail.
        self.nand
            .output(&[a, b])
            .expect("NAND perceptron has two inputs")
    }

    /// The sum bit and the carry bit of `x1 + x2`.
    pub fn add(&self, x1: bool, x2: bool) -> (bool, bool) {
        let bit = |b: bool| if b { T::one() } else { T::zero() };
        let (x1, x2) = (bit(x1), bit(x2));
        let n1 = self.gate(x1, x2);
        let n2 = self.gate(x1, n1);
        let n3 = self.gate(x2, n1);
        let sum = self.gate(n2, n3);
        let carry = self.gate(n1, n1);
        (sum > T::zero(), carry > T::zero())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bits(i: u8, n: usize) -> Vec<f64> {
        (0..n).map(|j| f64::from((i >> (n - 1 - j)) & 1)).collect()
    }

    #[test]
    fn boundary_does_not_fire() {
        // w·x + b = 2 − 2 = 0 exactly.
        let p = Neuron::with_bias(&[2.0_f64], -2.0);
        assert!(!p.fire(&[1.0]).unwrap());
        assert_eq!(p.output(&[1.0]).unwrap(), 0.0);
        assert_eq!(p.activation(&[1.0]).unwrap(), 0.5);
    }

    #[test]
    fn threshold_and_bias_agree() {
        let a = Neuron::with_threshold(&[6.0_f64, 2.0, 2.0], 5.0);
        let b = Neuron::with_bias(&[6.0, 2.0, 2.0], -5.0);
        assert_eq!(a, b);
        assert_eq!(a.threshold(), 5.0);
        for i in 0..8 {
            let x = bits(i, 3);
            assert_eq!(a.fire(&x).unwrap(), b.fire(&x).unwrap());
        }
    }

    #[test]
    fn nand_truth_table() {
        let nand = Neuron::<f64>::nand();
        for (x, y) in [
            ([0., 0.], 1.),
            ([0., 1.], 1.),
            ([1., 0.], 1.),
            ([1., 1.], 0.),
        ] {
            assert_eq!(nand.output(&x).unwrap(), y, "NAND{x:?}");
        }
    }

    #[test]
    fn adder_adds() {
        let adder = BitAdder::<f32>::new();
        for a in [false, true] {
            for b in [false, true] {
                let total = u8::from(a) + u8::from(b);
                assert_eq!(adder.add(a, b), (total & 1 == 1, total >> 1 == 1));
            }
        }
    }

    #[test]
    fn output_gradient_matches_sigma_prime() {
        let n = Neuron::with_bias(&[0.5_f64, -1.0], 0.25);
        let x = [2.0, 3.0];
        let z = 0.5 * 2.0 - 3.0 + 0.25;
        let (gw, gb) = n.output_gradient(&x).unwrap();
        let ds = crate::activation::sigmoid_prime(z);
        assert_eq!(gb, ds);
        assert_eq!(gw[0], ds * 2.0);
        assert_eq!(gw[1], ds * 3.0);
    }
}
