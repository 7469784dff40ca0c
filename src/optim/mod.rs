//! Optimizers: how each step turns the gradient into a change of the
//! weights and biases.
//!
//! | file | what it holds |
//! |------|---------------|
//! | `mod.rs` | [`Optimizer`]: which rule, and its settings |
//! | `state.rs` | [`OptimizerState`]: the rule's per-parameter state (velocities, moments, the step count) and the general step |
//! | `adam.rs` | Adam's and AdamW's step on parameter slices |
//!
//! An optimizer acts on a network's parameters as flat slices laid out by
//! its layers ([`crate::layer`]), so it needs no change when a new kind of
//! layer arrives. Plain SGD, momentum and Nesterov's momentum also have a
//! fused fast path inside [`Sgd`](crate::Sgd)'s training loop, which
//! updates each layer while backpropagation runs and never stores the
//! gradient; a test holds it equal to the general path of
//! [`OptimizerState::step`].

mod adam;

pub(crate) use adam::AdamStep;
mod state;

pub use state::OptimizerState;

use crate::{Error, Result};

/// Which update rule a training step uses, with its settings.
///
/// With g = ∂C/∂w the mini-batch's mean gradient of a weight or bias w
/// (with the lecture's L2 term λw/n added for weights when λ > 0) and η the
/// learning rate:
///
/// | optimizer | step |
/// |---|---|
/// | [`Sgd`](Optimizer::Sgd) | w → w − ηg (the SGD update, equations (17) and (18) of the lecture) |
/// | [`Momentum`](Optimizer::Momentum) | v → μv − ηg, w → w + v (Nielsen, chapter 3) |
/// | [`Nesterov`](Optimizer::Nesterov) | v → μv − ηg, w → w + μv − ηg |
/// | [`Adam`](Optimizer::Adam) | m → β₁m + (1 − β₁)g, s → β₂s + (1 − β₂)g², w → w − η m̂/(√ŝ + ε) with m̂ = m/(1 − β₁ᵗ), ŝ = s/(1 − β₂ᵗ) |
/// | [`AdamW`](Optimizer::AdamW) | Adam, with the weights (not the biases) first decayed: w → (1 − ηd)w |
///
/// t counts the steps taken, from 1. Adam (Kingma and Ba, 2015) scales
/// each parameter's step by a running estimate of its gradient's size, so
/// the same η (10⁻³ is the usual one) suits most problems. AdamW
/// (Loshchilov and Hutter, 2019) decouples the weight decay d from that
/// scaling; with Adam, L2 regularisation (λ) goes through the gradient and
/// is scaled with it.
///
/// # Examples
/// ```
/// use neuralnet::optim::Optimizer;
/// let adam = Optimizer::adam();
/// assert_eq!(adam.name(), "adam");
/// assert_eq!("adamw".parse::<Optimizer>()?, Optimizer::adamw(0.01));
/// assert_eq!(Optimizer::default(), Optimizer::Sgd);
/// # Ok::<(), neuralnet::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Default)]
#[non_exhaustive]
pub enum Optimizer {
    /// Plain stochastic gradient descent, the lecture's (`"sgd"`).
    #[default]
    Sgd,
    /// Momentum-based gradient descent (`"momentum"`), with momentum
    /// coefficient μ ∈ [0, 1); μ = 0 is plain SGD, bit for bit.
    Momentum {
        /// μ, one minus the "friction" (0.9 is common).
        momentum: f64,
    },
    /// Nesterov's momentum (`"nesterov"`), in the form of Bengio et al.
    /// (2012) where w holds the look-ahead point.
    Nesterov {
        /// μ ∈ [0, 1).
        momentum: f64,
    },
    /// Adam (`"adam"`).
    Adam {
        /// β₁ ∈ [0, 1), the decay of the first moment (0.9).
        beta1: f64,
        /// β₂ ∈ [0, 1), the decay of the second moment (0.999).
        beta2: f64,
        /// ε > 0, kept out of a division by zero (10⁻⁸).
        epsilon: f64,
    },
    /// AdamW (`"adamw"`): Adam with decoupled weight decay.
    AdamW {
        /// β₁ ∈ [0, 1) (0.9).
        beta1: f64,
        /// β₂ ∈ [0, 1) (0.999).
        beta2: f64,
        /// ε > 0 (10⁻⁸).
        epsilon: f64,
        /// The weight decay d ≥ 0 (0.01), with ηd < 1.
        weight_decay: f64,
    },
}

/// Which optimizer, without its settings: what a model file's training
/// record names ([`TrainingRecord::optimizer`](crate::model::TrainingRecord::optimizer)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum OptimizerKind {
    /// [`Optimizer::Sgd`].
    Sgd,
    /// [`Optimizer::Momentum`].
    Momentum,
    /// [`Optimizer::Nesterov`].
    Nesterov,
    /// [`Optimizer::Adam`].
    Adam,
    /// [`Optimizer::AdamW`].
    AdamW,
}

crate::names::named_enum! {
    OptimizerKind, "optimizer", "an optimizer",
    Sgd => "sgd",
    Momentum => "momentum",
    Nesterov => "nesterov",
    Adam => "adam",
    AdamW => "adamw",
}

/// Adam's usual settings (Kingma and Ba, 2015).
const BETA1: f64 = 0.9;
const BETA2: f64 = 0.999;
const EPSILON: f64 = 1e-8;

impl Optimizer {
    /// Which optimizer this is.
    pub fn kind(&self) -> OptimizerKind {
        match self {
            Optimizer::Sgd => OptimizerKind::Sgd,
            Optimizer::Momentum { .. } => OptimizerKind::Momentum,
            Optimizer::Nesterov { .. } => OptimizerKind::Nesterov,
            Optimizer::Adam { .. } => OptimizerKind::Adam,
            Optimizer::AdamW { .. } => OptimizerKind::AdamW,
        }
    }

    /// Plain SGD.
    pub fn sgd() -> Self {
        Optimizer::Sgd
    }

    /// Momentum with coefficient μ.
    pub fn momentum(momentum: f64) -> Self {
        Optimizer::Momentum { momentum }
    }

    /// Nesterov's momentum with coefficient μ.
    pub fn nesterov(momentum: f64) -> Self {
        Optimizer::Nesterov { momentum }
    }

    /// Adam with β₁ = 0.9, β₂ = 0.999, ε = 10⁻⁸.
    pub fn adam() -> Self {
        Optimizer::Adam {
            beta1: BETA1,
            beta2: BETA2,
            epsilon: EPSILON,
        }
    }

    /// AdamW with β₁ = 0.9, β₂ = 0.999, ε = 10⁻⁸ and weight decay d.
    pub fn adamw(weight_decay: f64) -> Self {
        Optimizer::AdamW {
            beta1: BETA1,
            beta2: BETA2,
            epsilon: EPSILON,
            weight_decay,
        }
    }

    /// The same Adam or AdamW with β₁ and β₂ set (no effect on the others).
    pub fn with_betas(self, beta1: f64, beta2: f64) -> Self {
        match self {
            Optimizer::Adam { epsilon, .. } => Optimizer::Adam {
                beta1,
                beta2,
                epsilon,
            },
            Optimizer::AdamW {
                epsilon,
                weight_decay,
                ..
            } => Optimizer::AdamW {
                beta1,
                beta2,
                epsilon,
                weight_decay,
            },
            other => other,
        }
    }

    /// The same Adam or AdamW with ε set (no effect on the others).
    pub fn with_epsilon(self, epsilon: f64) -> Self {
        match self {
            Optimizer::Adam { beta1, beta2, .. } => Optimizer::Adam {
                beta1,
                beta2,
                epsilon,
            },
            Optimizer::AdamW {
                beta1,
                beta2,
                weight_decay,
                ..
            } => Optimizer::AdamW {
                beta1,
                beta2,
                epsilon,
                weight_decay,
            },
            other => other,
        }
    }

    /// The same momentum or Nesterov with μ set (no effect on the others).
    pub fn with_momentum(self, momentum: f64) -> Self {
        match self {
            Optimizer::Momentum { .. } => Optimizer::Momentum { momentum },
            Optimizer::Nesterov { .. } => Optimizer::Nesterov { momentum },
            other => other,
        }
    }

    /// The same AdamW with the weight decay d set (no effect on the others).
    pub fn with_weight_decay(self, weight_decay: f64) -> Self {
        match self {
            Optimizer::AdamW {
                beta1,
                beta2,
                epsilon,
                ..
            } => Optimizer::AdamW {
                beta1,
                beta2,
                epsilon,
                weight_decay,
            },
            other => other,
        }
    }

    /// The optimizer's name: `"sgd"`, `"momentum"`, `"nesterov"`, `"adam"`
    /// or `"adamw"` (what `Display` writes and `FromStr` reads, with the
    /// default settings).
    pub fn name(&self) -> &'static str {
        self.kind().name()
    }

    /// The momentum coefficient μ of momentum and Nesterov (0 for the
    /// others).
    pub fn momentum_coefficient(&self) -> f64 {
        match *self {
            Optimizer::Momentum { momentum } | Optimizer::Nesterov { momentum } => momentum,
            _ => 0.0,
        }
    }

    /// Whether the optimizer keeps one state value per parameter (a
    /// velocity: momentum and Nesterov with μ > 0).
    pub(crate) fn has_velocity(&self) -> bool {
        self.momentum_coefficient() > 0.0
    }

    /// Whether it is Adam or AdamW (two moments per parameter, and the
    /// general, unfused step).
    pub(crate) fn is_adaptive(&self) -> bool {
        matches!(self, Optimizer::Adam { .. } | Optimizer::AdamW { .. })
    }

    /// Checks the settings, for a learning rate η.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] if μ, β₁ or β₂ is not in [0, 1), ε is not a
    /// finite number > 0, or the weight decay d is negative, not finite or
    /// so large that ηd ≥ 1.
    pub fn validate(&self, learning_rate: f64) -> Result<()> {
        let unit = |name: &'static str, symbol: &str, v: f64, hint: &str| {
            if (0.0..1.0).contains(&v) {
                Ok(())
            } else {
                Err(Error::InvalidConfig {
                    name,
                    reason: format!("{symbol} = {v} but it must be ≥ 0 and < 1 ({hint})"),
                })
            }
        };
        match *self {
            Optimizer::Sgd => Ok(()),
            Optimizer::Momentum { momentum } | Optimizer::Nesterov { momentum } => {
                unit("momentum", "μ", momentum, "0 is plain SGD; 0.9 is common")
            }
            Optimizer::Adam {
                beta1,
                beta2,
                epsilon,
            } => check_adam(beta1, beta2, epsilon, unit),
            Optimizer::AdamW {
                beta1,
                beta2,
                epsilon,
                weight_decay,
            } => {
                check_adam(beta1, beta2, epsilon, unit)?;
                if !(weight_decay.is_finite()
                    && weight_decay >= 0.0
                    && learning_rate * weight_decay < 1.0)
                {
                    return Err(Error::InvalidConfig {
                        name: "weight_decay",
                        reason: format!(
                            "d = {weight_decay} with η = {learning_rate}: the decay must be a finite number ≥ 0 with ηd < 1 (0.01 is common)"
                        ),
                    });
                }
                Ok(())
            }
        }
    }
}

/// Adam's settings checked.
fn check_adam(
    beta1: f64,
    beta2: f64,
    epsilon: f64,
    unit: impl Fn(&'static str, &str, f64, &str) -> Result<()>,
) -> Result<()> {
    unit("beta1", "β₁", beta1, "0.9 is usual")?;
    unit("beta2", "β₂", beta2, "0.999 is usual")?;
    if !(epsilon.is_finite() && epsilon > 0.0) {
        return Err(Error::InvalidConfig {
            name: "epsilon",
            reason: format!("ε = {epsilon} but it must be a finite number > 0 (1e-8 is usual)"),
        });
    }
    Ok(())
}

impl std::fmt::Display for Optimizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Optimizer {
    type Err = Error;

    /// Reads an optimizer's [`name`](Optimizer::name), with its usual
    /// settings: μ = 0.9 for momentum and Nesterov, Adam's β₁ = 0.9,
    /// β₂ = 0.999, ε = 10⁻⁸, and AdamW's d = 0.01.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] naming the accepted values for anything else.
    fn from_str(s: &str) -> Result<Self> {
        Ok(Optimizer::from(s.parse::<OptimizerKind>()?))
    }
}

impl From<OptimizerKind> for Optimizer {
    /// The optimizer with its usual settings (μ = 0.9, Adam's β₁ = 0.9, β₂ = 0.999, ε = 10⁻⁸, AdamW's d = 0.01).
    fn from(kind: OptimizerKind) -> Self {
        match kind {
            OptimizerKind::Sgd => Optimizer::Sgd,
            OptimizerKind::Momentum => Optimizer::momentum(0.9),
            OptimizerKind::Nesterov => Optimizer::nesterov(0.9),
            OptimizerKind::Adam => Optimizer::adam(),
            OptimizerKind::AdamW => Optimizer::adamw(0.01),
        }
    }
}
