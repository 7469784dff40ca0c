//! Activation functions f(z) of a layer: the sigmoid σ of the lecture, and
//! from Nielsen's chapter 3 the hyperbolic tangent, rectified linear units
//! and the softmax output layer; [`Activation`] names them per layer.

use crate::Real;

/// The activation function f of a layer: its neurons output aˡ = f(zˡ) with
/// zˡ = wˡ aˡ⁻¹ + bˡ.
///
/// A [`Network`](crate::Network) holds one per layer after the input
/// ([`Network::activations`](crate::Network::activations)); the sigmoid is
/// the default everywhere, as in the lecture. Its [`name`](Activation::name)
/// is what `Display` writes, `FromStr` reads and saved files hold.
///
/// | activation | f(z) | f′(z), through a = f(z) | where |
/// |---|---|---|---|
/// | [`Sigmoid`](Activation::Sigmoid) | σ(z) = 1/(1+e^(−z)) | a(1 − a) | any layer |
/// | [`Tanh`](Activation::Tanh) | tanh z = (e^z − e^(−z))/(e^z + e^(−z)) | 1 − a² | any layer |
/// | [`Relu`](Activation::Relu) | max(0, z) | 1 if a > 0, else 0 | any layer |
/// | [`Softmax`](Activation::Softmax) | a_j = e^(z_j)/Σ_k e^(z_k) | (a Jacobian) | output layer only |
/// | [`Identity`](Activation::Identity) | z | 1 | any layer; a linear output for regression |
///
/// Backpropagation needs only the stored activations: the error of a
/// hidden layer is δˡ = ((wˡ⁺¹)ᵀ δˡ⁺¹) ⊙ f′(zˡ) with f′ written through a
/// ([`Activation::chain`]). The softmax mixes the neurons of a layer, so it
/// has no element-wise f′; it is allowed only as the output layer, where
/// the log-likelihood cost gives δᴸ = a − y directly
/// ([`LogLikelihood`](crate::LogLikelihood)).
///
/// # Examples
/// ```
/// use neuralnet::Activation;
/// let relu: Activation = "relu".parse()?;
/// assert_eq!(relu, Activation::Relu);
/// assert_eq!(Activation::Softmax.to_string(), "softmax");
/// assert_eq!(Activation::default(), Activation::Sigmoid);
/// assert_eq!("identity".parse::<Activation>()?, Activation::Identity);
/// assert!("linear".parse::<Activation>().is_err());
/// # Ok::<(), neuralnet::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Activation {
    /// The sigmoid σ(z) = 1/(1+e^(−z)) of the lecture ([`sigmoid`];
    /// `"sigmoid"`), with σ′ = σ(1 − σ).
    #[default]
    Sigmoid,
    /// The hyperbolic tangent tanh z = 2σ(2z) − 1, a sigmoid stretched to
    /// (−1, 1) (Nielsen, chapter 3; [`tanh`]; `"tanh"`), with
    /// tanh′ = 1 − tanh².
    Tanh,
    /// The rectified linear unit max(0, z) (Nielsen, chapter 3; [`relu`];
    /// `"relu"`): it does not saturate for large z, and its derivative is 1
    /// where it is active and 0 elsewhere.
    Relu,
    /// The softmax a_j = e^(z_j)/Σ_k e^(z_k) over the layer (Nielsen,
    /// chapter 3; [`softmax`]; `"softmax"`): outputs that are positive and
    /// sum to 1, a probability distribution over the classes. Output layer
    /// only.
    Softmax,
    /// The identity f(z) = z (`"identity"`): a linear layer, whose output
    /// can take any real value. As the output layer with the
    /// [`Quadratic`](crate::Quadratic) cost it is least-squares regression:
    /// δᴸ = a − y, the gradient of the mean squared error.
    Identity,
}

crate::names::named_enum! {
    Activation, "activation", "an activation",
    Sigmoid => "sigmoid",
    Tanh => "tanh",
    Relu => "relu",
    Softmax => "softmax",
    Identity => "identity",
}

impl Activation {
    /// Every activation, for tests elsewhere in the crate.
    #[cfg(test)]
    pub(crate) const ALL_FOR_TESTS: [Activation; 5] = Activation::ALL;

    /// Whether each neuron's output depends on its own weighted input only
    /// (all but the softmax), so that f′ is element-wise and the layer can
    /// be a hidden layer.
    pub fn is_elementwise(self) -> bool {
        !matches!(self, Activation::Softmax)
    }

    /// f(z) for one weighted input, for the element-wise activations; for
    /// the softmax, which needs the whole layer, `None` (use [`softmax`]).
    ///
    /// # Examples
    /// ```
    /// use neuralnet::Activation;
    /// assert_eq!(Activation::Relu.apply(-2.0_f64), Some(0.0));
    /// assert_eq!(Activation::Sigmoid.apply(0.0_f64), Some(0.5));
    /// assert_eq!(Activation::Softmax.apply(0.0_f64), None);
    /// ```
    pub fn apply<T: Real>(self, z: T) -> Option<T> {
        match self {
            Activation::Sigmoid => Some(sigmoid(z)),
            Activation::Tanh => Some(tanh(z)),
            Activation::Relu => Some(relu(z)),
            Activation::Softmax => None,
            Activation::Identity => Some(z),
        }
    }

    /// The chain rule through an element-wise activation, written through
    /// its output a = f(z): returns g·f′(z), the error ∂C/∂z of a neuron
    /// from g = ∂C/∂a. This is the ⊙ f′(zˡ) of backpropagation, in
    /// δᴸ = ∇_a C ⊙ f′(zᴸ) and δˡ = ((wˡ⁺¹)ᵀ δˡ⁺¹) ⊙ f′(zˡ):
    ///
    /// - sigmoid: g·a·(1 − a), since σ′ = σ(1 − σ);
    /// - tanh: g·(1 − a²), since tanh′ = 1 − tanh²;
    /// - ReLU: g where a > 0, else 0 (at z = 0 the derivative is taken as 0);
    /// - identity: g, since f′ = 1;
    /// - softmax: not element-wise; g is returned unchanged (the costs that
    ///   accept a softmax output compute δᴸ themselves).
    ///
    /// # Examples
    /// ```
    /// use neuralnet::Activation;
    /// assert_eq!(Activation::Sigmoid.chain(2.0_f64, 0.5), 0.5); // 2 · ¼
    /// assert_eq!(Activation::Tanh.chain(2.0_f64, 0.5), 1.5); // 2 · (1 − ¼)
    /// assert_eq!(Activation::Relu.chain(2.0_f64, 0.0), 0.0);
    /// ```
    #[inline]
    pub fn chain<T: Real>(self, g: T, a: T) -> T {
        match self {
            // The same operations, in the same order, as the lecture's
            // (a − y)·σ′ and ((w)ᵀδ)·σ′: results stay bit-identical.
            Activation::Sigmoid => g * a * (T::one() - a),
            Activation::Tanh => g * (T::one() - a * a),
            Activation::Relu => {
                if a > T::zero() {
                    g
                } else {
                    T::zero()
                }
            }
            Activation::Softmax | Activation::Identity => g,
        }
    }
}

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

/// The hyperbolic tangent tanh z = (e^z − e^(−z))/(e^z + e^(−z)) =
/// 2σ(2z) − 1 (Nielsen, chapter 3): a sigmoid rescaled to outputs in
/// (−1, 1), so that a hidden neuron's output can be negative.
///
/// # Examples
/// ```
/// use neuralnet::activation::tanh;
/// assert_eq!(tanh(0.0_f64), 0.0);
/// assert!((tanh(1.0_f64) - 0.761_594_155_955_764_9).abs() < 1e-15);
/// assert_eq!(tanh(1000.0_f32), 1.0);
/// ```
#[inline]
pub fn tanh<T: Real>(z: T) -> T {
    z.tanh()
}

/// The derivative tanh′(z) = 1 − tanh²(z); 1 at z = 0.
///
/// # Examples
/// ```
/// use neuralnet::activation::tanh_prime;
/// assert_eq!(tanh_prime(0.0_f64), 1.0);
/// ```
#[inline]
pub fn tanh_prime<T: Real>(z: T) -> T {
    let t = z.tanh();
    T::one() - t * t
}

/// The rectified linear unit max(0, z) (Nielsen, chapter 3): the output of
/// a rectified linear neuron with weighted input z = w·x + b.
///
/// # Examples
/// ```
/// use neuralnet::activation::relu;
/// assert_eq!(relu(-3.0_f64), 0.0);
/// assert_eq!(relu(2.5_f32), 2.5);
/// ```
#[inline]
pub fn relu<T: Real>(z: T) -> T {
    if z > T::zero() { z } else { T::zero() }
}

/// The derivative of the ReLU: 1 for z > 0, 0 for z < 0 (and, by
/// convention, 0 at the kink z = 0). A neuron with z < 0 for every input
/// passes no error back and stops learning.
///
/// # Examples
/// ```
/// use neuralnet::activation::relu_prime;
/// assert_eq!(relu_prime(2.0_f64), 1.0);
/// assert_eq!(relu_prime(-2.0_f64), 0.0);
/// ```
#[inline]
pub fn relu_prime<T: Real>(z: T) -> T {
    if z > T::zero() { T::one() } else { T::zero() }
}

/// The softmax of one layer's weighted inputs z (Nielsen, chapter 3):
/// a_j = e^(z_j) / Σ_k e^(z_k), written to `out`.
///
/// The outputs are positive and sum to 1, so they read as the network's
/// estimate of the probability of each class. Adding a constant to every
/// z_j does not change them, so the largest z is subtracted first: every
/// exponent is then ≤ 0 and nothing overflows, even for z in the
/// thousands. `out` and `z` have the same length (the shorter one is used).
///
/// # Examples
/// ```
/// use neuralnet::activation::softmax;
/// let mut a = [0.0_f64; 3];
/// softmax(&[1000.0, 1000.0, -1000.0], &mut a);
/// assert_eq!(a, [0.5, 0.5, 0.0]);
/// softmax(&[0.0, 2.0_f64.ln(), 0.0], &mut a);
/// assert!((a[1] - 0.5).abs() < 1e-15 && (a.iter().sum::<f64>() - 1.0).abs() < 1e-15);
/// ```
pub fn softmax<T: Real>(z: &[T], out: &mut [T]) {
    let n = z.len().min(out.len());
    out[..n].copy_from_slice(&z[..n]);
    softmax_in_place(&mut out[..n]);
}

/// [`softmax`] in place: replaces the weighted inputs z of one layer by
/// their softmax.
pub fn softmax_in_place<T: Real>(z: &mut [T]) {
    let Some(max) = z.iter().copied().reduce(|m, v| if v > m { v } else { m }) else {
        return;
    };
    let mut sum = T::zero();
    for v in z.iter_mut() {
        *v = (*v - max).exp();
        sum += *v;
    }
    // sum ≥ 1: the largest entry contributed e⁰ = 1.
    let inv = T::one() / sum;
    for v in z.iter_mut() {
        *v *= inv;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Error;

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

    #[test]
    fn tanh_and_relu_values() {
        assert_eq!(tanh(0.0_f64), 0.0);
        assert_eq!(tanh_prime(0.0_f64), 1.0);
        assert!((tanh(-1.0_f64) + 0.761_594_155_955_764_9).abs() < 1e-15);
        assert_eq!(relu(-1e30_f64), 0.0);
        assert_eq!(relu(3.0_f64), 3.0);
        assert_eq!(relu_prime(0.0_f64), 0.0);
        assert_eq!(relu_prime(1e-30_f64), 1.0);
    }

    #[test]
    fn chain_matches_the_derivatives() {
        for z in [-3.0_f64, -0.5, 0.25, 2.0] {
            let g = 1.5;
            let s = sigmoid(z);
            assert!((Activation::Sigmoid.chain(g, s) - g * sigmoid_prime(z)).abs() < 1e-15);
            let t = tanh(z);
            assert!((Activation::Tanh.chain(g, t) - g * tanh_prime(z)).abs() < 1e-15);
            assert_eq!(Activation::Relu.chain(g, relu(z)), g * relu_prime(z));
        }
    }

    #[test]
    fn softmax_sums_to_one_and_handles_huge_inputs() {
        let mut a = [0.0_f32; 4];
        softmax(&[1e4_f32, -1e4, 3e4, 3e4], &mut a);
        assert_eq!(a, [0.0, 0.0, 0.5, 0.5]);
        let mut b = [0.0_f64; 3];
        softmax(&[1.0, 2.0, 3.0], &mut b);
        let e = [1.0_f64.exp(), 2.0_f64.exp(), 3.0_f64.exp()];
        let s: f64 = e.iter().sum();
        for (b, e) in b.iter().zip(e) {
            assert!((b - e / s).abs() < 1e-15);
        }
        softmax_in_place::<f64>(&mut []);
    }

    #[test]
    fn activation_names_round_trip() {
        for a in Activation::ALL {
            assert_eq!(a.name().parse::<Activation>().unwrap(), a);
            assert_eq!(a.to_string(), a.name());
        }
        let err = "ReLU".parse::<Activation>().unwrap_err();
        assert!(matches!(
            err,
            Error::InvalidConfig {
                name: "activation",
                ..
            }
        ));
        assert!(err.to_string().contains("\"relu\""));
    }
}
