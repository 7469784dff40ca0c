//! Cost functions: how far the network's output a is from the desired y.

use crate::{Activation, Error, Real};

/// A cost function C_x(a, y) of one training example, its gradient ∇_a C_x
/// with respect to the output activations, and the output error
/// δᴸ = ∂C_x/∂zᴸ that backpropagation starts from.
///
/// The cost over n examples is the average C = (1/n) Σ_x C_x, as in the
/// quadratic cost, equation (4). The methods work element-wise on the
/// output layer, so they take flat slices: `a` and `y` hold the output
/// activations and targets of one or more examples, one after another
/// (a column-major `n_out × m` matrix's storage).
///
/// The output error combines the cost with the output layer's activation f
/// (Nielsen's first equation of backpropagation): δᴸ = ∇_a C ⊙ f′(zᴸ),
/// which the provided [`Cost::delta`] computes with [`Activation::chain`].
/// Some pairs have a simpler, numerically better fused form, which their
/// cost writes itself: the cross-entropy with a sigmoid output and the
/// log-likelihood with a softmax output both give δᴸ = a − y. Some pairs
/// make no sense (the log-likelihood without a softmax; the cross-entropy
/// with outputs outside (0, 1)): [`Cost::check_output`] refuses them, and
/// [`Sgd::train`](crate::Sgd::train), [`Network::backprop`](crate::Network::backprop)
/// and [`Network::evaluate`](crate::Network::evaluate) call it once before
/// they start.
///
/// | cost | sigmoid | tanh | ReLU | softmax |
/// |---|---|---|---|---|
/// | [`Quadratic`] | (a − y) ⊙ σ′ | (a − y) ⊙ (1 − a²) | (a − y) ⊙ 𝟙(a > 0) | refused |
/// | [`CrossEntropy`] | a − y | refused | refused | refused |
/// | [`LogLikelihood`] | refused | refused | refused | a − y |
///
/// # Examples
/// ```
/// use neuralnet::{Activation, Cost, Quadratic};
/// let a = [0.8_f64, 0.1];
/// let y = [1.0, 0.0];
/// // C_x = ‖y − a‖²/2 = (0.04 + 0.01)/2
/// assert!((Quadratic.cost(&a, &y) - 0.025).abs() < 1e-12);
/// // δᴸ = (a − y) ⊙ σ′(zᴸ) with σ′ = a(1 − a) for a sigmoid output layer.
/// let mut delta = [0.0; 2];
/// Quadratic.delta(Activation::Sigmoid, &a, &y, &mut delta);
/// assert!((delta[0] - (-0.2 * 0.8 * 0.2)).abs() < 1e-15);
/// assert!(Cost::<f64>::check_output(&Quadratic, Activation::Softmax).is_err());
/// ```
///
/// Costs are `Sync`: evaluation may share one among several threads.
///
/// # Implementing a cost
///
/// A cost is usually a unit struct. Write it for every [`Real`] `T` (`f32`
/// and `f64`): `T` has the usual arithmetic operators and nalgebra's
/// `RealField` methods (`abs`, `ln`, `max`, …), `T::zero()` and
/// `T::one()`; other constants come from `nalgebra::convert`. Two methods
/// are needed, the cost and its gradient ∂C_x/∂a; the provided methods
/// then train any element-wise output layer (sigmoid, tanh, ReLU) with
/// δᴸ = ∇_a C ⊙ f′(zᴸ), and refuse a softmax output. Here the
/// absolute-error cost C_x = Σ_j |a_j − y_j|, whose gradient is
/// sign(a − y):
///
/// ```
/// use neuralnet::{Activation, Cost, Real};
///
/// struct AbsoluteError;
///
/// impl<T: Real> Cost<T> for AbsoluteError {
///     fn cost(&self, a: &[T], y: &[T]) -> T {
///         a.iter().zip(y).fold(T::zero(), |sum, (&a, &y)| sum + (a - y).abs())
///     }
///
///     fn gradient(&self, a: &[T], y: &[T], out: &mut [T]) {
///         for ((o, &a), &y) in out.iter_mut().zip(a).zip(y) {
///             *o = if a > y { T::one() } else if a < y { -T::one() } else { T::zero() };
///         }
///     }
/// }
///
/// // With a sigmoid output layer, δᴸ = sign(a − y) ⊙ a(1 − a).
/// let mut delta = [0.0_f32; 2];
/// AbsoluteError.delta(Activation::Sigmoid, &[0.5, 0.5], &[1.0, 0.0], &mut delta);
/// assert_eq!(delta, [-0.25, 0.25]);
/// assert_eq!(AbsoluteError.cost(&[0.5_f64, 0.25], &[1.0, 0.0]), 0.75);
/// // The default check refuses a softmax output, and names the cost.
/// let err = Cost::<f64>::check_output(&AbsoluteError, Activation::Softmax).unwrap_err();
/// assert!(err.to_string().contains("AbsoluteError"));
/// ```
pub trait Cost<T: Real>: Sync {
    /// The summed cost Σ_x C_x of the examples in `a` and `y` (not averaged).
    fn cost(&self, a: &[T], y: &[T]) -> T;

    /// Writes the gradient ∇_a C_x, the derivative ∂C_x/∂a_j of the cost
    /// with respect to each output activation, into `out`.
    fn gradient(&self, a: &[T], y: &[T], out: &mut [T]);

    /// Checks that this cost can train an output layer of activation
    /// `output`, before any training starts.
    ///
    /// The provided method accepts the element-wise activations (sigmoid,
    /// tanh, ReLU), for which [`Cost::delta`]'s ∇_a C ⊙ f′(zᴸ) is the true
    /// output error, and refuses the softmax, whose output error needs a
    /// cost written for it (such as [`LogLikelihood`]).
    ///
    /// Checks that the targets `y` (one example's after another, `n_out`
    /// values each) are ones this cost can be trained towards, before any
    /// training starts. The provided method accepts any finite target (the
    /// quadratic cost, regression); the cross-entropy and log-likelihood
    /// costs take probabilities and refuse targets outside [0, 1].
    ///
    /// # Errors
    /// [`Error::TargetRange`] naming the first target out of range.
    fn check_targets(&self, y: &[T], n_out: usize) -> Result<(), Error> {
        let _ = (y, n_out);
        Ok(())
    }

    /// # Errors
    /// [`Error::CostActivation`] if the pair makes no sense.
    fn check_output(&self, output: Activation) -> Result<(), Error> {
        if output.is_elementwise() {
            Ok(())
        } else {
            Err(Error::CostActivation {
                cost: std::any::type_name::<Self>(),
                activation: output,
                reason: "a softmax output needs a cost whose output error accounts for the whole layer; use the log-likelihood cost (δᴸ = a − y)",
            })
        }
    }

    /// Writes the output error δᴸ = ∂C_x/∂zᴸ for each element into `out`,
    /// for an output layer of activation `output` and its activations `a`.
    ///
    /// The provided method computes δᴸ = ∇_a C ⊙ f′(zᴸ) from
    /// [`Cost::gradient`] and [`Activation::chain`]. Called only for pairs
    /// that [`Cost::check_output`] accepts; for others the values are
    /// unspecified (but it does not panic).
    fn delta(&self, output: Activation, a: &[T], y: &[T], out: &mut [T]) {
        self.gradient(a, y, out);
        for (o, &a) in out.iter_mut().zip(a) {
            *o = output.chain(*o, a);
        }
    }
}

/// The quadratic cost C_x = ‖y − a‖²/2 (equation (4) of the lecture notes,
/// whose average over the training set is C(w, b) = 1/(2n) Σ_x ‖y(x) − a‖²).
///
/// Gradient ∇_a C_x = a − y; output error δᴸ = (a − y) ⊙ f′(zᴸ), for the
/// sigmoid (a − y) ⊙ σ′(zᴸ). The σ′ factor makes a saturated output neuron
/// (a near 0 or 1) learn slowly even when it is wrong. Any element-wise
/// output layer works; a softmax output is refused.
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

    fn gradient(&self, a: &[T], y: &[T], out: &mut [T]) {
        for ((o, &a), &y) in out.iter_mut().zip(a).zip(y) {
            *o = a - y;
        }
    }

    fn check_output(&self, output: Activation) -> Result<(), Error> {
        if output.is_elementwise() {
            return Ok(());
        }
        Err(Error::CostActivation {
            cost: CostKind::Quadratic.name(),
            activation: output,
            reason: "use the log-likelihood cost with a softmax output layer (δᴸ = a − y)",
        })
    }
}

/// [`Error::TargetRange`] for the first of `y` outside [0, 1].
fn probabilities<T: Real>(cost: &'static str, y: &[T], n_out: usize) -> Result<(), Error> {
    match y.iter().position(|&v| !(v >= T::zero() && v <= T::one())) {
        None => Ok(()),
        Some(i) => Err(Error::TargetRange {
            cost,
            example: i / n_out.max(1),
            value: crate::scalar::to_f64(y[i]),
        }),
    }
}

/// The smallest a that a logarithm of these costs sees: the smallest
/// positive normal `f32` (about 1.2·10⁻³⁸), so ln a ≥ −87.3 for both scalar
/// types.
fn tiny<T: Real>() -> T {
    nalgebra::convert(f64::from(f32::MIN_POSITIVE))
}

/// The cross-entropy cost C_x = −Σ_j [y_j ln a_j + (1 − y_j) ln(1 − a_j)]
/// (Nielsen, chapter 3), for sigmoid output layers.
///
/// Output error: δᴸ = a − y. Its gradient ∇_a C_x = (a − y)/(a(1 − a))
/// cancels the sigmoid's σ′ = a(1 − a) exactly, so a badly wrong output
/// neuron learns fast; the fused form a − y is what backpropagation uses.
/// Its logarithms need outputs in (0, 1), so other output activations are
/// refused ([`Error::CostActivation`]): use [`LogLikelihood`] with a
/// softmax output, or [`Quadratic`] with tanh or ReLU outputs.
///
/// The cost stays finite when a_j is exactly 0 or 1: a term y ln a with
/// y = 0 counts as 0, and a is clamped below at the smallest positive normal
/// `f32` (about 1.2·10⁻³⁸), so ln a ≥ −87.3 for both scalar types.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CrossEntropy;

impl<T: Real> Cost<T> for CrossEntropy {
    fn check_targets(&self, y: &[T], n_out: usize) -> Result<(), Error> {
        probabilities(CostKind::CrossEntropy.name(), y, n_out)
    }

    fn cost(&self, a: &[T], y: &[T]) -> T {
        let tiny: T = tiny();
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

    fn gradient(&self, a: &[T], y: &[T], out: &mut [T]) {
        let tiny: T = tiny();
        for ((o, &a), &y) in out.iter_mut().zip(a).zip(y) {
            *o = (a - y) / (a * (T::one() - a)).max(tiny);
        }
    }

    fn check_output(&self, output: Activation) -> Result<(), Error> {
        let reason = match output {
            Activation::Sigmoid => return Ok(()),
            Activation::Softmax => {
                "use the log-likelihood cost with a softmax output layer (δᴸ = a − y)"
            }
            _ => {
                "its ln a and ln(1 − a) need outputs in (0, 1), which only a sigmoid output layer guarantees; use a sigmoid output, or the quadratic cost"
            }
        };
        Err(Error::CostActivation {
            cost: CostKind::CrossEntropy.name(),
            activation: output,
            reason,
        })
    }

    fn delta(&self, output: Activation, a: &[T], y: &[T], out: &mut [T]) {
        if output != Activation::Sigmoid {
            self.gradient(a, y, out);
            for (o, &a) in out.iter_mut().zip(a) {
                *o = output.chain(*o, a);
            }
            return;
        }
        for ((o, &a), &y) in out.iter_mut().zip(a).zip(y) {
            *o = a - y;
        }
    }
}

/// The log-likelihood cost C_x = −ln a_y (Nielsen, chapter 3), for softmax
/// output layers: the negative log of the probability the network gives
/// the right class y. For one-hot targets (and any targets that sum to 1)
/// it is written C_x = −Σ_j y_j ln a_j.
///
/// With a softmax output layer the output error is δᴸ = a − y (Nielsen's
/// equation (81)), as simple as the cross-entropy's with sigmoid outputs,
/// so the output neurons do not learn slowly. This needs each example's
/// targets to sum to 1 (a one-hot label or a probability distribution).
/// Without a softmax, lowering −ln a_y would just raise a_y, with nothing
/// holding the other outputs down: any other output activation is refused
/// ([`Error::CostActivation`]).
///
/// Like [`CrossEntropy`], a_j is clamped below at about 1.2·10⁻³⁸ inside the
/// logarithm, so the cost stays finite, and terms with y_j = 0 count as 0.
///
/// # Examples
/// ```
/// use neuralnet::{Activation, Cost, LogLikelihood};
/// let (a, y) = ([0.25_f64, 0.5, 0.25], [0.0, 1.0, 0.0]);
/// assert!((LogLikelihood.cost(&a, &y) - 2.0_f64.ln()).abs() < 1e-15); // −ln ½
/// let mut delta = [0.0; 3];
/// LogLikelihood.delta(Activation::Softmax, &a, &y, &mut delta);
/// assert_eq!(delta, [0.25, -0.5, 0.25]); // a − y
/// assert!(Cost::<f64>::check_output(&LogLikelihood, Activation::Sigmoid).is_err());
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LogLikelihood;

impl<T: Real> Cost<T> for LogLikelihood {
    fn check_targets(&self, y: &[T], n_out: usize) -> Result<(), Error> {
        probabilities(CostKind::LogLikelihood.name(), y, n_out)
    }

    fn cost(&self, a: &[T], y: &[T]) -> T {
        let tiny: T = tiny();
        -a.iter().zip(y).fold(T::zero(), |s, (&a, &y)| {
            if y == T::zero() {
                s
            } else {
                s + y * a.max(tiny).ln()
            }
        })
    }

    fn gradient(&self, a: &[T], y: &[T], out: &mut [T]) {
        let tiny: T = tiny();
        for ((o, &a), &y) in out.iter_mut().zip(a).zip(y) {
            *o = -y / a.max(tiny);
        }
    }

    fn check_output(&self, output: Activation) -> Result<(), Error> {
        if output == Activation::Softmax {
            return Ok(());
        }
        Err(Error::CostActivation {
            cost: CostKind::LogLikelihood.name(),
            activation: output,
            reason: "−ln a_y needs a softmax output layer, whose outputs sum to 1; use a softmax output, or the cross-entropy or quadratic cost",
        })
    }

    fn delta(&self, output: Activation, a: &[T], y: &[T], out: &mut [T]) {
        if output != Activation::Softmax {
            self.gradient(a, y, out);
            for (o, &a) in out.iter_mut().zip(a) {
                *o = output.chain(*o, a);
            }
            return;
        }
        for ((o, &a), &y) in out.iter_mut().zip(a).zip(y) {
            *o = a - y;
        }
    }
}

/// The costs of this crate as a value, for choosing one at run time (a
/// command-line flag, a settings file) and for recording it with a saved
/// network ([`TrainingRecord::cost`](crate::model::TrainingRecord::cost)).
///
/// A `CostKind` is itself a [`Cost`]: each call goes to [`Quadratic`],
/// [`CrossEntropy`] or [`LogLikelihood`], so it can be handed to training directly. Its
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
/// cost.delta(neuralnet::Activation::Sigmoid, &[0.75], &[1.0], &mut delta);
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
    /// The log-likelihood cost, [`LogLikelihood`] (`"log-likelihood"`).
    LogLikelihood,
}

crate::names::named_enum! {
    CostKind, "cost", "a cost",
    Quadratic => "quadratic",
    CrossEntropy => "cross-entropy",
    LogLikelihood => "log-likelihood",
}

impl<T: Real> Cost<T> for CostKind {
    fn cost(&self, a: &[T], y: &[T]) -> T {
        match self {
            CostKind::Quadratic => Quadratic.cost(a, y),
            CostKind::CrossEntropy => CrossEntropy.cost(a, y),
            CostKind::LogLikelihood => LogLikelihood.cost(a, y),
        }
    }

    fn gradient(&self, a: &[T], y: &[T], out: &mut [T]) {
        match self {
            CostKind::Quadratic => Quadratic.gradient(a, y, out),
            CostKind::CrossEntropy => CrossEntropy.gradient(a, y, out),
            CostKind::LogLikelihood => LogLikelihood.gradient(a, y, out),
        }
    }

    fn check_targets(&self, y: &[T], n_out: usize) -> Result<(), Error> {
        match self {
            CostKind::Quadratic => Cost::<T>::check_targets(&Quadratic, y, n_out),
            CostKind::CrossEntropy => Cost::<T>::check_targets(&CrossEntropy, y, n_out),
            CostKind::LogLikelihood => Cost::<T>::check_targets(&LogLikelihood, y, n_out),
        }
    }

    fn check_output(&self, output: Activation) -> Result<(), Error> {
        match self {
            CostKind::Quadratic => Cost::<T>::check_output(&Quadratic, output),
            CostKind::CrossEntropy => Cost::<T>::check_output(&CrossEntropy, output),
            CostKind::LogLikelihood => Cost::<T>::check_output(&LogLikelihood, output),
        }
    }

    fn delta(&self, output: Activation, a: &[T], y: &[T], out: &mut [T]) {
        match self {
            CostKind::Quadratic => Quadratic.delta(output, a, y, out),
            CostKind::CrossEntropy => CrossEntropy.delta(output, a, y, out),
            CostKind::LogLikelihood => LogLikelihood.delta(output, a, y, out),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quadratic_values() {
        assert_eq!(Quadratic.cost(&[0.5_f64, 0.5], &[1.0, 0.0]), 0.25);
        let mut d = [0.0; 2];
        Quadratic.delta(Activation::Sigmoid, &[0.5_f64, 0.5], &[1.0, 0.0], &mut d);
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
        CrossEntropy.delta(Activation::Sigmoid, &[0.25_f64, 0.75], &[0.0, 1.0], &mut d);
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
        let s = Activation::Sigmoid;
        CostKind::Quadratic.delta(s, &a, &y, &mut got);
        Quadratic.delta(s, &a, &y, &mut want);
        assert_eq!(got, want);
        assert_eq!(CostKind::Quadratic.cost(&a, &y), Quadratic.cost(&a, &y));
        CostKind::CrossEntropy.delta(s, &a, &y, &mut got);
        CrossEntropy.delta(s, &a, &y, &mut want);
        assert_eq!(got, want);
        CostKind::LogLikelihood.delta(Activation::Softmax, &a, &y, &mut got);
        LogLikelihood.delta(Activation::Softmax, &a, &y, &mut want);
        assert_eq!(got, want);
        assert_eq!(
            CostKind::LogLikelihood.cost(&a, &y),
            LogLikelihood.cost(&a, &y)
        );
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
                msg.contains("\"quadratic\"")
                    && msg.contains("\"cross-entropy\"")
                    && msg.contains("\"log-likelihood\""),
                "{msg}"
            );
        }
    }

    #[test]
    fn quadratic_delta_is_the_lectures_arithmetic() {
        // (a − y)·a·(1 − a), evaluated left to right as before 0.2.
        let (a, y) = ([0.3_f64, 0.9, 0.123_456_789], [1.0, 0.0, 0.5]);
        let mut d = [0.0; 3];
        Quadratic.delta(Activation::Sigmoid, &a, &y, &mut d);
        for j in 0..3 {
            assert_eq!(d[j], (a[j] - y[j]) * a[j] * (1.0 - a[j]));
        }
        // tanh and ReLU outputs: (a − y)(1 − a²) and (a − y)[a > 0].
        Quadratic.delta(Activation::Tanh, &[0.5_f64, -0.5], &[1.0, 0.0], &mut d[..2]);
        assert_eq!(d[..2], [-0.375, -0.375]);
        Quadratic.delta(Activation::Relu, &[2.0_f64, 0.0], &[1.0, 1.0], &mut d[..2]);
        assert_eq!(d[..2], [1.0, 0.0]);
    }

    #[test]
    fn log_likelihood_values() {
        let c: f64 = LogLikelihood.cost(&[0.2, 0.8], &[0.0, 1.0]);
        assert!((c + 0.8_f64.ln()).abs() < 1e-15);
        // Exactly wrong: large but finite.
        let worst: f32 = LogLikelihood.cost(&[1.0, 0.0], &[0.0, 1.0]);
        assert!(worst.is_finite() && worst > 80.0);
        let mut g = [0.0; 2];
        LogLikelihood.gradient(&[0.5_f64, 0.25], &[0.0, 1.0], &mut g);
        assert_eq!(g, [0.0, -4.0]);
    }

    #[test]
    fn invalid_pairs_are_refused_with_the_cost_and_activation() {
        use Activation::*;
        let ok = |c: &dyn Cost<f64>, a| c.check_output(a).is_ok();
        for a in [Sigmoid, Tanh, Relu] {
            assert!(ok(&Quadratic, a));
            assert!(!ok(&LogLikelihood, a));
        }
        assert!(!ok(&Quadratic, Softmax));
        assert!(ok(&CrossEntropy, Sigmoid));
        for a in [Tanh, Relu, Softmax] {
            let err = Cost::<f64>::check_output(&CrossEntropy, a).unwrap_err();
            assert!(
                matches!(err, Error::CostActivation { cost: "cross-entropy", activation, .. } if activation == a),
                "{err}"
            );
        }
        assert!(ok(&LogLikelihood, Softmax));
        let msg = Cost::<f64>::check_output(&LogLikelihood, Sigmoid)
            .unwrap_err()
            .to_string();
        assert!(
            msg.contains("log-likelihood") && msg.contains("sigmoid"),
            "{msg}"
        );
        for kind in CostKind::ALL {
            for a in Activation::ALL_FOR_TESTS {
                assert_eq!(
                    Cost::<f64>::check_output(&kind, a).is_ok(),
                    match kind {
                        CostKind::Quadratic => ok(&Quadratic, a),
                        CostKind::CrossEntropy => ok(&CrossEntropy, a),
                        CostKind::LogLikelihood => ok(&LogLikelihood, a),
                    }
                );
            }
        }
    }
}
