//! Dropout settings: which layers drop which fraction of their neurons
//! during training ([`Dropout`]). The masks themselves are drawn and
//! applied by the training workspace.

use crate::{Error, Result};

/// Dropout (Nielsen, chapter 3; Hinton et al. 2012): during training, each
/// mini-batch temporarily removes a random fraction p of the neurons of the
/// hidden layers (and optionally of the input layer), so that no neuron can
/// rely on particular others being there.
///
/// This is *inverted* dropout: a kept neuron's output is scaled by
/// 1/(1 − p) during training, so that its expected value is unchanged,
///
/// ```text
/// ãˡ = aˡ ⊙ rˡ / (1 − p),   rˡ_j ~ Bernoulli(1 − p), one draw per neuron and example
/// ```
///
/// and the next layer computes zˡ⁺¹ = wˡ⁺¹ ãˡ + bˡ⁺¹. Evaluation and
/// [`Network::feedforward`](crate::Network::feedforward) use the whole
/// network unscaled: nothing needs to change after training.
/// Backpropagation passes errors back only through the kept neurons,
/// δˡ = ((wˡ⁺¹)ᵀ δˡ⁺¹) ⊙ f′(zˡ) ⊙ rˡ/(1 − p).
///
/// The masks are drawn from the training RNG, mini-batch after mini-batch,
/// so training stays deterministic for a seed. A rate of 0 draws nothing:
/// training with `Dropout::hidden(0.0)` is bit-identical to training
/// without dropout. The output layer is never dropped.
///
/// Set it with [`Sgd::with_dropout`](crate::Sgd::with_dropout).
///
/// # Examples
/// ```
/// use neuralnet::{Sgd};
/// use neuralnet::sgd::Dropout;
/// // Half of every hidden layer, a fifth of the input pixels.
/// let sgd = Sgd::new().with_dropout(Dropout::hidden(0.5).with_input(0.2));
/// sgd.validate()?;
/// assert_eq!(sgd.dropout().input_rate(), 0.2);
/// assert!(Sgd::new().with_dropout(Dropout::hidden(1.0)).validate().is_err());
/// # Ok::<(), neuralnet::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Dropout {
    input: f64,
    hidden: f64,
    /// One rate per hidden layer, overriding `hidden`.
    layers: Option<Vec<f64>>,
}

impl Dropout {
    /// No dropout anywhere (the default).
    pub fn none() -> Self {
        Self::default()
    }

    /// Drops a fraction p ∈ [0, 1) of the neurons of every hidden layer
    /// (Hinton et al. use p = ½), none of the input.
    pub fn hidden(p: f64) -> Self {
        Dropout {
            hidden: p,
            ..Self::default()
        }
    }

    /// Also drops a fraction p ∈ [0, 1) of the input neurons (Hinton et al.
    /// use p = 0.2 for MNIST pixels).
    pub fn with_input(mut self, p: f64) -> Self {
        self.input = p;
        self
    }

    /// A rate for each hidden layer, the first hidden layer first, instead
    /// of one rate for all; training checks that there is one per hidden
    /// layer of the network.
    pub fn with_layer_rates(mut self, rates: Vec<f64>) -> Self {
        self.layers = Some(rates);
        self
    }

    /// The fraction p of input neurons dropped.
    pub fn input_rate(&self) -> f64 {
        self.input
    }

    /// The fraction p of neurons dropped in hidden layer `l` (1 = the first
    /// hidden layer).
    pub fn hidden_rate(&self, l: usize) -> f64 {
        match &self.layers {
            Some(rates) => l
                .checked_sub(1)
                .and_then(|i| rates.get(i))
                .copied()
                .unwrap_or(0.0),
            None => self.hidden,
        }
    }

    /// Whether no neuron is ever dropped (every rate is 0).
    pub fn is_off(&self) -> bool {
        let hidden_off = match &self.layers {
            Some(rates) => rates.iter().all(|&p| p == 0.0),
            None => self.hidden == 0.0,
        };
        self.input == 0.0 && hidden_off
    }

    /// Checks that every rate is in [0, 1).
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] (named `"dropout"`) for a rate that is
    /// negative, 1 or more, or not a number.
    pub fn validate(&self) -> Result<()> {
        let layers = self.layers.iter().flatten();
        for &p in [&self.input, &self.hidden].into_iter().chain(layers) {
            if !(0.0..1.0).contains(&p) {
                return Err(Error::InvalidConfig {
                    name: "dropout",
                    reason: format!(
                        "rate p = {p} but it must be in [0, 1): the fraction of neurons dropped (0 = none; ½ is usual for hidden layers)"
                    ),
                });
            }
        }
        Ok(())
    }

    /// The rate of each layer that feeds another one, for a network of
    /// layer sizes `sizes`: the input layer first, then each hidden layer.
    ///
    /// # Errors
    /// As [`Dropout::validate`], and [`Error::InvalidConfig`] if
    /// [`Dropout::with_layer_rates`] gave a number of rates other than the
    /// number of hidden layers.
    pub(crate) fn rates(&self, sizes: &[usize]) -> Result<Vec<f64>> {
        self.validate()?;
        let hidden = sizes.len().saturating_sub(2);
        if let Some(rates) = &self.layers
            && rates.len() != hidden
        {
            return Err(Error::InvalidConfig {
                name: "dropout",
                reason: format!(
                    "{} per-layer rates for a network with {hidden} hidden layers (sizes {sizes:?}); give one per hidden layer",
                    rates.len()
                ),
            });
        }
        Ok(std::iter::once(self.input)
            .chain((1..=hidden).map(|l| self.hidden_rate(l)))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_per_feeding_layer() {
        let d = Dropout::hidden(0.5).with_input(0.2);
        assert_eq!(d.rates(&[784, 100, 50, 10]).unwrap(), [0.2, 0.5, 0.5]);
        assert_eq!(d.rates(&[784, 10]).unwrap(), [0.2]);
        let per = Dropout::none().with_layer_rates(vec![0.1, 0.3]);
        assert_eq!(per.rates(&[4, 5, 6, 2]).unwrap(), [0.0, 0.1, 0.3]);
        let err = per.rates(&[4, 5, 2]).unwrap_err();
        assert!(matches!(
            err,
            Error::InvalidConfig {
                name: "dropout",
                ..
            }
        ));
        assert!(Dropout::none().is_off() && Dropout::hidden(0.0).is_off());
        assert!(!per.is_off());
    }

    #[test]
    fn rates_outside_zero_to_one_are_refused() {
        for p in [-0.1, 1.0, 1.5, f64::NAN] {
            assert!(Dropout::hidden(p).validate().is_err(), "{p}");
            assert!(Dropout::none().with_input(p).validate().is_err(), "{p}");
            assert!(
                Dropout::none()
                    .with_layer_rates(vec![0.0, p])
                    .validate()
                    .is_err()
            );
        }
        assert!(Dropout::hidden(0.999).validate().is_ok());
    }
}
