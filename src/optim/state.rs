//! An optimizer's per-parameter state and the general (unfused) step.

use nalgebra::convert;

use super::Optimizer;
use super::adam::AdamStep;
use crate::network::Gradient;
use crate::params::Parameters;
use crate::{Error, Network, Real, Result};

/// An [`Optimizer`] with its state: momentum's velocities, or Adam's first
/// and second moments and its step count t. Each buffer holds one value
/// per weight and bias, laid out as the network's parameters.
///
/// Training keeps one in its [`TrainingState`](crate::sgd::TrainingState),
/// and checkpoints save it, so that a resumed run takes exactly the steps
/// an uninterrupted one would. It can also drive a training loop of your
/// own: compute a [`Gradient`] with [`Network::backprop`] and hand it to
/// [`OptimizerState::step`].
///
/// # Examples
/// Two Adam steps on one mini-batch by hand.
/// ```
/// use neuralnet::nalgebra::DMatrix;
/// use neuralnet::optim::{Optimizer, OptimizerState};
/// use neuralnet::{CrossEntropy, Init, Network};
/// use rand::{SeedableRng, rngs::StdRng};
/// let mut net = Network::<f64>::new(&[2, 3, 1], Init::ScaledNormal, &mut StdRng::seed_from_u64(1))?;
/// let x = DMatrix::from_column_slice(2, 2, &[0.0, 1.0, 1.0, 0.0]);
/// let y = DMatrix::from_column_slice(1, 2, &[1.0, 0.0]);
/// let mut adam = OptimizerState::new(Optimizer::adam());
/// let before = net.evaluate(&neuralnet::Dataset::new(x.clone(), y.clone())?, &CrossEntropy)?.cost;
/// for _ in 0..2 {
///     let grad = net.backprop(&x, &y, &CrossEntropy)?;
///     adam.step(&mut net, &grad, 0.01, 0.0)?;
/// }
/// assert_eq!(adam.steps(), 2);
/// let after = net.evaluate(&neuralnet::Dataset::new(x, y)?, &CrossEntropy)?.cost;
/// assert!(after < before);
/// # Ok::<(), neuralnet::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct OptimizerState<T: Real> {
    optimizer: Optimizer,
    /// Steps taken: Adam's t after them.
    steps: u64,
    /// Momentum's velocities v, or Adam's first moments m (`None` until the
    /// first step, and for plain SGD).
    first: Option<Parameters<T>>,
    /// Adam's second moments s.
    second: Option<Parameters<T>>,
}

impl<T: Real> OptimizerState<T> {
    /// The state before the first step: no steps taken, every velocity and
    /// moment 0 (allocated by the first step).
    pub fn new(optimizer: Optimizer) -> Self {
        OptimizerState {
            optimizer,
            steps: 0,
            first: None,
            second: None,
        }
    }

    /// The optimizer.
    pub fn optimizer(&self) -> Optimizer {
        self.optimizer
    }

    /// The number of steps taken (Adam's t).
    pub fn steps(&self) -> u64 {
        self.steps
    }

    /// Momentum's velocities v, or Adam's first moments m, if allocated:
    /// per layer, its weights (for a dense layer row by row, as the
    /// lecture's wˡ) and its biases.
    pub fn first_moments(&self) -> Option<Vec<(&[T], &[T])>> {
        self.first.as_ref().map(|p| p.layers().collect())
    }

    /// Adam's second moments s, if allocated, laid out as
    /// [`OptimizerState::first_moments`].
    pub fn second_moments(&self) -> Option<Vec<(&[T], &[T])>> {
        self.second.as_ref().map(|p| p.layers().collect())
    }

    /// Momentum's velocities (or Adam's first moments) as one flat slice,
    /// laid out as the network's parameters, if allocated.
    pub(crate) fn first(&self) -> Option<&Parameters<T>> {
        self.first.as_ref()
    }

    /// Adam's second moments, if allocated.
    pub(crate) fn second(&self) -> Option<&Parameters<T>> {
        self.second.as_ref()
    }

    /// A state restored from a checkpoint's parts.
    pub(crate) fn from_parts(
        optimizer: Optimizer,
        steps: u64,
        first: Option<Parameters<T>>,
        second: Option<Parameters<T>>,
    ) -> Self {
        OptimizerState {
            optimizer,
            steps,
            first,
            second,
        }
    }

    /// Allocates the buffers `net`'s training needs (once: nothing if they
    /// are there), or [`Error::InvalidConfig`] if they were made for a
    /// network of other layers.
    pub(crate) fn prepare(&mut self, net: &Network<T>) -> Result<()> {
        let layout = net.params().layout();
        for buffer in [&self.first, &self.second].into_iter().flatten() {
            if buffer.layout() != layout {
                return Err(Error::InvalidConfig {
                    name: "optimizer state",
                    reason: format!(
                        "the optimizer's state belongs to a network of other layers than {:?}; start a new state for this network",
                        net.sizes()
                    ),
                });
            }
        }
        let what = "the optimizer's state";
        if (self.optimizer.has_velocity() || self.optimizer.is_adaptive()) && self.first.is_none() {
            self.first = Some(net.params().zeros_like(what)?);
        }
        if self.optimizer.is_adaptive() && self.second.is_none() {
            self.second = Some(net.params().zeros_like(what)?);
        }
        Ok(())
    }

    /// Momentum's velocities, for the fused step (after
    /// [`OptimizerState::prepare`]); counts the step.
    pub(crate) fn velocity_for_step(&mut self) -> Option<&mut Parameters<T>> {
        self.steps += 1;
        if self.optimizer.has_velocity() {
            self.first.as_mut()
        } else {
            None
        }
    }

    /// One step of the optimizer on `net` with the gradient `grad` (from
    /// [`Network::backprop`]), learning rate η = `learning_rate` and L2
    /// regularisation `l2` = λ/n (0 for none): the general form of the
    /// update rules in [`Optimizer`]'s table, on every layer's weights and
    /// biases as flat slices.
    ///
    /// For SGD, momentum and Nesterov the L2 term is a decay of the
    /// weights by 1 − η·λ/n (as the lecture writes it); for Adam and AdamW
    /// it joins the gradient, g → g + (λ/n)w.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] if the settings are invalid, η or λ/n is
    /// not a finite number ≥ 0, or the gradient or this state belong to a
    /// network of other layers; [`Error::Allocation`] if the state does not
    /// fit in memory.
    pub fn step(
        &mut self,
        net: &mut Network<T>,
        grad: &Gradient<T>,
        learning_rate: f64,
        l2: f64,
    ) -> Result<()> {
        self.optimizer.validate(learning_rate)?;
        if !(learning_rate.is_finite() && learning_rate >= 0.0 && l2.is_finite() && l2 >= 0.0) {
            return Err(Error::InvalidConfig {
                name: "learning_rate",
                reason: format!(
                    "η = {learning_rate} and λ/n = {l2}: both must be finite numbers ≥ 0"
                ),
            });
        }
        if grad.params().layout() != net.params().layout() {
            return Err(Error::InvalidLayers {
                sizes: grad.sizes().to_vec(),
                reason: "the gradient belongs to a network of other layers",
            });
        }
        self.prepare(net)?;
        self.apply(net, grad.params(), learning_rate, l2);
        Ok(())
    }

    /// Adam's numbers for the next step, counting it (t → t + 1).
    pub(crate) fn begin_adam_step(&mut self, learning_rate: f64) -> (AdamStep<T>, T) {
        self.steps += 1;
        self.adam_constants(learning_rate)
    }

    /// Adam's numbers for step t = [`OptimizerState::steps`], with η =
    /// `learning_rate`, and AdamW's decay factor 1 − ηd (1 for Adam).
    fn adam_constants(&self, learning_rate: f64) -> (AdamStep<T>, T) {
        let (beta1, beta2, epsilon, weight_decay) = match self.optimizer {
            Optimizer::Adam {
                beta1,
                beta2,
                epsilon,
            } => (beta1, beta2, epsilon, 0.0),
            Optimizer::AdamW {
                beta1,
                beta2,
                epsilon,
                weight_decay,
            } => (beta1, beta2, epsilon, weight_decay),
            _ => (0.0, 0.0, 1.0, 0.0),
        };
        let t = self.steps as f64;
        let step = AdamStep {
            beta1: convert(beta1),
            one_minus_beta1: convert(1.0 - beta1),
            beta2: convert(beta2),
            one_minus_beta2: convert(1.0 - beta2),
            correction1: convert(1.0 - beta1.powf(t)),
            correction2: convert(1.0 - beta2.powf(t)),
            eta: convert(learning_rate),
            epsilon: convert(epsilon),
        };
        (step, convert(1.0 - learning_rate * weight_decay))
    }

    /// Adam's (or AdamW's) step on layer `l`'s weights `w` and biases `b`
    /// with their gradients `gw`, `gb`: the weights with the L2 term `l2`
    /// and AdamW's decay, the biases without (see [`Optimizer`]). The one
    /// place both the general step and training's fused one call.
    pub(crate) fn adam_layer(
        &mut self,
        l: usize,
        (w, b): (&mut [T], &mut [T]),
        (gw, gb): (&[T], &[T]),
        (step, decay): (AdamStep<T>, T),
        l2: T,
    ) {
        let (Some(m), Some(s)) = (self.first.as_mut(), self.second.as_mut()) else {
            unreachable!("prepare allocates Adam's moments before any step");
        };
        let ((mw, mb), (sw, sb)) = (m.layer_mut(l), s.layer_mut(l));
        T::adam_update(w, gw, mw, sw, step, l2, decay);
        T::adam_update(b, gb, mb, sb, step, T::zero(), T::one());
    }

    /// The general step, with everything checked and prepared.
    pub(crate) fn apply(
        &mut self,
        net: &mut Network<T>,
        grad: &Parameters<T>,
        learning_rate: f64,
        l2: f64,
    ) {
        self.steps += 1;
        let eta: T = convert(learning_rate);
        let l2_t: T = convert(l2);
        let params = net.params_mut();
        let slots = params.layout().slots().to_vec();
        match self.optimizer {
            Optimizer::Sgd | Optimizer::Momentum { .. } | Optimizer::Nesterov { .. } => {
                let mu: T = convert(self.optimizer.momentum_coefficient());
                let nesterov = matches!(self.optimizer, Optimizer::Nesterov { .. });
                let decay = T::one() - eta * l2_t;
                let p = params.as_mut_slice();
                let g = grad.as_slice();
                for slot in &slots {
                    for (range, decay) in [
                        (slot.weights.clone(), decay),
                        (slot.biases.clone(), T::one()),
                    ] {
                        let (p, g) = (&mut p[range.clone()], &g[range.clone()]);
                        match self.first.as_mut().filter(|_| mu > T::zero()) {
                            None => {
                                for (p, &g) in p.iter_mut().zip(g) {
                                    *p = decay * *p - eta * g;
                                }
                            }
                            Some(v) => {
                                let v = &mut v.as_mut_slice()[range];
                                for ((p, &g), v) in p.iter_mut().zip(g).zip(v) {
                                    let step = -eta * g;
                                    *v = mu * *v + step;
                                    *p = decay * *p + if nesterov { mu * *v + step } else { *v };
                                }
                            }
                        }
                    }
                }
            }
            Optimizer::Adam { .. } | Optimizer::AdamW { .. } => {
                let step = self.adam_constants(learning_rate);
                for (l, slot) in slots.iter().enumerate() {
                    let (w, b) = params.layer_mut(l);
                    let g = grad.as_slice();
                    let (gw, gb) = (&g[slot.weights.clone()], &g[slot.biases.clone()]);
                    self.adam_layer(l, (w, b), (gw, gb), step, l2_t);
                }
            }
        }
    }
}
