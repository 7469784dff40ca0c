//! Cost functions: how far the network's output a is from the desired y.

use std::fmt;
use std::str::FromStr;

use crate::{Error, Real};

/// A cost function C_x(a, y) of one training example, and the output error
/// δᴸ = ∂C_x/∂zᴸ that backpropagation starts from.
///
/// The cost over n examples is the average C = (1/n) Σ_x C_x, as in the
/// quadratic cost, equation (4). Both methods work element-wise on the
/// output layer, so they take flat slices: `a` and `y` hold the output
/// activations and targets of one or more examples, one after another
/// (a column-major `n_out × m` matrix's storage).
///
/// The output layer of a [`Network`](crate::Network) is made of sigmoid
/// neurons, aᴸ = σ(zᴸ), so σ′(zᴸ) = aᴸ(1 − aᴸ) and `delta` needs only `a`.
///
/// # Examples
/// ```
/// use neuralnet::{Cost, Quadratic};
/// let a = [0.8_f64, 0.1];
/// let y = [1.0, 0.0];
/// // C_x = ‖y − a‖²/2 = (0.04 + 0.01)/2
/// assert!((Quadratic.cost(&a, &y) - 0.025).abs() < 1e-12);
/// ```
///
/// Costs are `Sync`: evaluation may share one among several threads.
///
/// # Implementing a cost
///
/// A cost is usually a unit struct. Write it for every [`Real`] `T` (`f32`
/// and `f64`): `T` has the usual arithmetic operators and nalgebra's
/// `RealField` methods (`abs`, `ln`, `max`, …), `T::zero()` and
/// `T::one()`; other constants come from `nalgebra::convert`. Here the
/// absolute-error cost C_x = Σ_j |a_j − y_j|, whose output error is
/// δᴸ = sign(a − y) ⊙ σ′(zᴸ) with σ′(zᴸ) = a(1 − a) for the sigmoid output
/// layer:
///
/// ```
/// use neuralnet::{Cost, Real};
///
/// struct AbsoluteError;
///
/// impl<T: Real> Cost<T> for AbsoluteError {
///     fn cost(&self, a: &[T], y: &[T]) -> T {
///         a.iter().zip(y).fold(T::zero(), |sum, (&a, &y)| sum + (a - y).abs())
///     }
///
///     fn delta(&self, a: &[T], y: &[T], out: &mut [T]) {
///         let half: T = neuralnet::nalgebra::convert(0.5);
///         for ((o, &a), &y) in out.iter_mut().zip(a).zip(y) {
///             let sign = if a > y { T::one() } else if a < y { -T::one() } else { T::zero() };
///             *o = sign * a * (T::one() - a);
///         }
///         let _ = half; // constants other than 0 and 1 come from `convert`
///     }
/// }
///
/// let mut delta = [0.0_f32; 2];
/// AbsoluteError.delta(&[0.5, 0.5], &[1.0, 0.0], &mut delta);
/// assert_eq!(delta, [-0.25, 0.25]);
/// assert_eq!(AbsoluteError.cost(&[0.5_f64, 0.25], &[1.0, 0.0]), 0.75);
/// ```
pub trait Cost<T: Real>: Sync {
    /// The summed cost Σ_x C_x of the examples in `a` and `y` (not averaged).
    fn cost(&self, a: &[T], y: &[T]) -> T;

    /// Writes the output error δᴸ = ∂C_x/∂zᴸ for each element into `out`.
    fn delta(&self, a: &[T], y: &[T], out: &mut [T]);
}

/// The quadratic cost C_x = ‖y − a‖²/2 (equation (4) of the lecture notes,
/// whose average over the training set is C(w, b) = 1/(2n) Σ_x ‖y(x) − a‖²).
///
/// Output error: δᴸ = (a − y) ⊙ σ′(zᴸ). The σ′ factor makes a saturated
/// output neuron (a near 0 or 1) learn slowly even when it is wrong.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Quadratic;

impl<T: Real> Cost<T> for Quadratic {
    fn cost(&self, a: &[T], y: &[T]) -> T {
        let half: T = nalgebra::convert(0.5);
        a.iter()
            .zip(y)
            .fold(T::zero(), |s, (&a, &y)| s + (a - y) * (a - y))
            * half
    }

    fn delta(&self, a: &[T], y: &[T], out: &mut [T]) {
        for ((o, &a), &y) in out.iter_mut().zip(a).zip(y) {
            *o = (a - y) * a * (T::one() - a);
        }
    }
}

/// The cross-entropy cost C_x = −Σ_j [y_j ln a_j + (1 − y_j) ln(1 − a_j)]
/// (Nielsen, chapter 3).
///
/// Output error: δᴸ = a − y. The σ′ factor of the quadratic cost cancels, so
/// a badly wrong output neuron learns fast.
///
/// The cost stays finite when a_j is exactly 0 or 1: a term y ln a with
/// y = 0 counts as 0, and a is clamped below at the smallest positive normal
/// `f32` (about 1.2·10⁻³⁸), so ln a ≥ −87.3 for both scalar types.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CrossEntropy;

impl<T: Real> Cost<T> for CrossEntropy {
    fn cost(&self, a: &[T], y: &[T]) -> T {
        let tiny: T = nalgebra::convert(f64::from(f32::MIN_POSITIVE));
        let term = |y: T, a: T| {
            if y == T::zero() {
                T::zero()
            } else {
                y * a.max(tiny).ln()
            }
        };
        -a.iter().zip(y).fold(T::zero(), |s, (&a, &y)| {
            s + term(y, a) + term(T::one() - y, T::one() - a)
        })
    }

    fn delta(&self, a: &[T], y: &[T], out: &mut [T]) {
        for ((o, &a), &y) in out.iter_mut().zip(a).zip(y) {
            *o = a - y;
        }
    }
}

/// The costs of this crate as a value, for choosing one at run time (a
/// command-line flag, a settings file) and for recording it with a saved
/// network ([`TrainingRecord::cost`](crate::model::TrainingRecord::cost)).
///
/// A `CostKind` is itself a [`Cost`]: each call goes to [`Quadratic`] or
/// [`CrossEntropy`], so it can be handed to training directly. Its
/// [`name`](CostKind::name) is what `Display` writes, `FromStr` reads and
/// saved files hold.
///
/// # Examples
/// ```
/// use neuralnet::{Cost, CostKind};
/// let cost: CostKind = "cross-entropy".parse()?;
/// assert_eq!(cost, CostKind::CrossEntropy);
/// assert_eq!(cost.to_string(), "cross-entropy");
/// // δᴸ = a − y, as for `CrossEntropy` itself.
/// let mut delta = [0.0_f64];
/// cost.delta(&[0.75], &[1.0], &mut delta);
/// assert_eq!(delta, [-0.25]);
/// assert!("mse".parse::<CostKind>().is_err());
/// # Ok::<(), neuralnet::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CostKind {
    /// The quadratic cost of the lecture, [`Quadratic`] (`"quadratic"`).
    Quadratic,
    /// The cross-entropy cost, [`CrossEntropy`] (`"cross-entropy"`).
    CrossEntropy,
}

impl CostKind {
    /// Every cost, in the order of their names in error messages.
    const ALL: [CostKind; 2] = [CostKind::Quadratic, CostKind::CrossEntropy];

    /// The cost's name: `"quadratic"` or `"cross-entropy"`.
    pub fn name(self) -> &'static str {
        match self {
            CostKind::Quadratic => "quadratic",
            CostKind::CrossEntropy => "cross-entropy",
        }
    }
}

impl<T: Real> Cost<T> for CostKind {
    fn cost(&self, a: &[T], y: &[T]) -> T {
        match self {
            CostKind::Quadratic => Quadratic.cost(a, y),
            CostKind::CrossEntropy => CrossEntropy.cost(a, y),
        }
    }

    fn delta(&self, a: &[T], y: &[T], out: &mut [T]) {
        match self {
            CostKind::Quadratic => Quadratic.delta(a, y, out),
            CostKind::CrossEntropy => CrossEntropy.delta(a, y, out),
        }
    }
}

impl fmt::Display for CostKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for CostKind {
    type Err = Error;

    /// Reads a cost's [`name`](CostKind::name).
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] naming the accepted values for anything else.
    fn from_str(s: &str) -> Result<Self, Error> {
        CostKind::ALL
            .into_iter()
            .find(|c| c.name() == s)
            .ok_or_else(|| Error::InvalidConfig {
                name: "cost",
                reason: format!(
                    "{s:?} is not a cost this crate knows; use \"quadratic\" or \"cross-entropy\""
                ),
            })
    }
}

/// Written as its [`name`](CostKind::name).
#[cfg(feature = "serde")]
impl serde::Serialize for CostKind {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

/// Read from its [`name`](CostKind::name).
#[cfg(feature = "serde")]
impl<'de> serde::Deserialize<'de> for CostKind {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        name.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quadratic_values() {
        assert_eq!(Quadratic.cost(&[0.5_f64, 0.5], &[1.0, 0.0]), 0.25);
        let mut d = [0.0; 2];
        Quadratic.delta(&[0.5_f64, 0.5], &[1.0, 0.0], &mut d);
        assert_eq!(d, [-0.125, 0.125]); // (a − y)·σ′ with σ′ = 0.25
    }

    #[test]
    fn cross_entropy_values_and_extremes() {
        let c: f64 = CrossEntropy.cost(&[0.5], &[1.0]);
        assert!((c - std::f64::consts::LN_2).abs() < 1e-15);
        // Perfect outputs cost nothing; exactly wrong ones are large but finite.
        assert_eq!(CrossEntropy.cost(&[1.0_f64, 0.0], &[1.0, 0.0]), 0.0);
        let worst: f64 = CrossEntropy.cost(&[0.0, 1.0], &[1.0, 0.0]);
        assert!(worst.is_finite() && worst > 170.0);
        let worst32: f32 = CrossEntropy.cost(&[0.0, 1.0], &[1.0, 0.0]);
        assert!(worst32.is_finite() && worst32 > 100.0);
        let mut d = [0.0; 2];
        CrossEntropy.delta(&[0.25_f64, 0.75], &[0.0, 1.0], &mut d);
        assert_eq!(d, [0.25, -0.25]);
    }

    #[test]
    fn cost_kind_names_round_trip_and_dispatch() {
        for kind in CostKind::ALL {
            assert_eq!(kind.to_string(), kind.name());
            assert_eq!(kind.name().parse::<CostKind>().unwrap(), kind);
        }
        let (a, y) = ([0.25_f64, 0.75], [0.0, 1.0]);
        let (mut got, mut want) = ([0.0; 2], [0.0; 2]);
        CostKind::Quadratic.delta(&a, &y, &mut got);
        Quadratic.delta(&a, &y, &mut want);
        assert_eq!(got, want);
        assert_eq!(CostKind::Quadratic.cost(&a, &y), Quadratic.cost(&a, &y));
        CostKind::CrossEntropy.delta(&a, &y, &mut got);
        CrossEntropy.delta(&a, &y, &mut want);
        assert_eq!(got, want);
        assert_eq!(
            CostKind::CrossEntropy.cost(&a, &y),
            CrossEntropy.cost(&a, &y)
        );
        assert_ne!(
            CostKind::Quadratic.cost(&a, &y),
            CostKind::CrossEntropy.cost(&a, &y)
        );
    }

    #[test]
    fn unknown_cost_names_are_refused_with_the_accepted_ones() {
        for bad in ["", "Quadratic", "cross_entropy", "mse"] {
            let err = bad.parse::<CostKind>().unwrap_err();
            assert!(
                matches!(err, Error::InvalidConfig { name: "cost", .. }),
                "{err}"
            );
            let msg = err.to_string();
            assert!(
                msg.contains("\"quadratic\"") && msg.contains("\"cross-entropy\""),
                "{msg}"
            );
        }
    }
}
