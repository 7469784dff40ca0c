//! One step on a mini-batch, fused with backpropagation: SGD (plain, with
//! momentum, classical or Nesterov's) and Adam or AdamW; and the max-norm
//! limit.

use crate::network::{Backward, Workspace};
use crate::optim::{AdamStep, OptimizerState};
use crate::params::Parameters;
use crate::{Cost, Dataset, Network, Real, kernels};

/// The numbers of one step's update rule, the same for every mini-batch of
/// an epoch except `step`, which depends on the mini-batch's size.
#[derive(Debug, Clone, Copy)]
pub(super) struct Rule<T> {
    /// The learning rate η of this epoch.
    pub(super) eta: T,
    /// The weight decay factor 1 − ηλ/n (1 without L2 regularisation).
    pub(super) decay: T,
    /// The momentum coefficient μ (0: plain SGD).
    pub(super) momentum: T,
    /// Nesterov's variant of momentum.
    pub(super) nesterov: bool,
    /// The max-norm limit c on each neuron's incoming weights.
    pub(super) max_norm: Option<T>,
}

/// One SGD step on the examples `batch` of `data`: gather, feedforward,
/// backpropagate, and update each layer in place (after its error has been
/// passed back, so backpropagation sees the old weights). `velocity` holds
/// the velocities v of momentum, laid out as the network's parameters
/// (`None` for plain SGD).
pub(super) fn sgd_step<T: Real, C: Cost<T> + ?Sized>(
    net: &mut Network<T>,
    velocity: Option<&mut Parameters<T>>,
    ws: &mut Workspace<T>,
    data: &Dataset<T>,
    batch: &[usize],
    cost: &C,
    rule: Rule<T>,
) {
    let m = batch.len();
    ws.gather(data, batch);
    ws.feedforward_batch(net, m);
    let step = -rule.eta / nalgebra::convert::<f64, T>(m as f64);
    let mut sink = SgdStep {
        net,
        velocity,
        step,
        rule,
    };
    ws.backpropagate_batch(cost, &mut sink, m, step);
}

/// The SGD update, applied to each layer as soon as backpropagation has
/// passed its error back (so that it saw the old weights). With g_w =
/// step·Σ_t δ_t a_tᵀ and g_b = step·Σ_t δ_t, step = −η/m, decay = 1 − ηλ/n:
///
/// - plain (μ = 0): w ← decay·w + g_w, b ← b + g_b;
/// - momentum: v ← μ·v + g, then w ← decay·w + v_w, b ← b + v_b;
/// - Nesterov: v ← μ·v + g, then w ← decay·w + μ·v_w + g_w, written as
///   w ← decay·w − μ·v_w(old) + (1 + μ)·v_w(new) so that the kernel writes
///   g_w into the velocity only; b ← b + μ·v_b + g_b;
///
/// and then, with a max-norm limit c, every neuron's weight vector longer
/// than c is scaled back to length c.
struct SgdStep<'a, T: Real> {
    net: &'a mut Network<T>,
    velocity: Option<&'a mut Parameters<T>>,
    step: T,
    rule: Rule<T>,
}

impl<T: Real> Backward<T> for SgdStep<'_, T> {
    fn weights(&self, l: usize) -> &[T] {
        self.net.layer(l).0
    }

    fn layer(&mut self, l: usize, coef: &[T], a_prev: &[T], sums: &[T], m: usize) {
        let (n_in, n_out) = (self.net.sizes()[l], self.net.sizes()[l + 1]);
        let Rule {
            decay,
            momentum: mu,
            nesterov,
            max_norm,
            ..
        } = self.rule;
        let step = self.step;
        let (w, b) = self.net.layer_mut(l);
        let coef = kernels::MatRef::new(coef, m, n_out);
        let a_prev = kernels::MatRef::new(&a_prev[..n_in * m], n_in, m);
        match self.velocity.as_deref_mut() {
            None => {
                T::update_weights(kernels::MatMut::new(w, n_in, n_out), decay, coef, a_prev);
                for (bi, &s) in b.iter_mut().zip(sums) {
                    *bi += step * s;
                }
            }
            Some(velocity) => {
                let (vw, vb) = velocity.layer_mut(l);
                if nesterov {
                    for (wi, &vi) in w.iter_mut().zip(vw.iter()) {
                        *wi = decay * *wi - mu * vi;
                    }
                }
                let vw_mat = kernels::MatMut::new(&mut vw[..], n_in, n_out);
                T::update_weights(vw_mat, mu, coef, a_prev);
                if nesterov {
                    let gain = T::one() + mu;
                    for (wi, &vi) in w.iter_mut().zip(vw.iter()) {
                        *wi += gain * vi;
                    }
                } else {
                    for (wi, &vi) in w.iter_mut().zip(vw.iter()) {
                        *wi = decay * *wi + vi;
                    }
                }
                for ((bi, vi), &s) in b.iter_mut().zip(vb.iter_mut()).zip(sums) {
                    let g = step * s;
                    *vi = mu * *vi + g;
                    *bi += if nesterov { mu * *vi + g } else { *vi };
                }
            }
        }
        if let Some(c) = max_norm {
            limit_norms(w, n_in, c);
        }
    }

    fn gradient(&mut self, l: usize, gw: &[T], sums: &[T]) {
        // The same rule as `layer`, with g_w = step·Σ_t ∂C_t/∂w given.
        let Rule {
            decay,
            momentum: mu,
            nesterov,
            max_norm,
            ..
        } = self.rule;
        let step = self.step;
        let fan_in = self.net.layers()[l].fan_in();
        let (w, b) = self.net.layer_mut(l);
        match self.velocity.as_deref_mut() {
            None => {
                for (wi, &g) in w.iter_mut().zip(gw) {
                    *wi = decay * *wi + g;
                }
                for (bi, &s) in b.iter_mut().zip(sums) {
                    *bi += step * s;
                }
            }
            Some(velocity) => {
                let (vw, vb) = velocity.layer_mut(l);
                for ((wi, vi), &g) in w.iter_mut().zip(vw.iter_mut()).zip(gw) {
                    let old = *vi;
                    *vi = mu * old + g;
                    *wi = if nesterov {
                        decay * *wi - mu * old + (T::one() + mu) * *vi
                    } else {
                        decay * *wi + *vi
                    };
                }
                for ((bi, vi), &s) in b.iter_mut().zip(vb.iter_mut()).zip(sums) {
                    let g = step * s;
                    *vi = mu * *vi + g;
                    *bi += if nesterov { mu * *vi + g } else { *vi };
                }
            }
        }
        if let Some(c) = max_norm {
            limit_norms(w, fan_in, c);
        }
    }
}

/// The max-norm constraint: scales every neuron's incoming weight vector
/// (a contiguous column of `n_in` weights) whose L2 norm exceeds `c` back
/// to norm `c`, w_i ← w_i·c/‖w_i‖, and leaves the others as they are.
pub(super) fn limit_norms<T: Real>(w: &mut [T], n_in: usize, c: T) {
    for neuron in w.chunks_exact_mut(n_in) {
        let squared = sum_of_squares(neuron);
        if squared > c * c {
            let scale = c / squared.sqrt();
            for x in neuron {
                *x *= scale;
            }
        }
    }
}

/// Σ x², in eight independent partial sums so that the loop vectorises.
fn sum_of_squares<T: Real>(x: &[T]) -> T {
    let mut lanes = [T::zero(); 8];
    let mut chunks = x.chunks_exact(8);
    for chunk in &mut chunks {
        for (s, &v) in lanes.iter_mut().zip(chunk) {
            *s += v * v;
        }
    }
    let rest = chunks.remainder().iter().fold(T::zero(), |s, &v| s + v * v);
    lanes.iter().fold(rest, |s, &l| s + l)
}

/// One Adam or AdamW step on the examples `batch` of `data`, fused with
/// backpropagation as the SGD step is: each layer's mean gradient is
/// computed into `scratch` (as long as the largest layer's weights and
/// biases) as soon as backpropagation has passed its error back, and Adam
/// updates the layer from it at once, while it is in cache; then the
/// max-norm limit. Element for element the same arithmetic as
/// [`OptimizerState::step`], so the same result bit for bit.
#[allow(clippy::too_many_arguments)]
pub(super) fn adam_step<T: Real, C: Cost<T> + ?Sized>(
    net: &mut Network<T>,
    optimizer: &mut OptimizerState<T>,
    scratch: &mut [T],
    ws: &mut Workspace<T>,
    data: &Dataset<T>,
    batch: &[usize],
    cost: &C,
    eta: f64,
    l2: f64,
    max_norm: Option<T>,
) {
    let m = batch.len();
    ws.gather(data, batch);
    ws.feedforward_batch(net, m);
    let constants = optimizer.begin_adam_step(eta);
    let inv_m = T::one() / nalgebra::convert::<f64, T>(m as f64);
    let mut sink = AdamSink {
        net,
        optimizer,
        scratch,
        constants,
        l2: nalgebra::convert(l2),
        inv_m,
        max_norm,
    };
    ws.backpropagate_batch(cost, &mut sink, m, inv_m);
}

/// Adam's update of each layer, as soon as backpropagation has passed the
/// layer's error back.
struct AdamSink<'a, T: Real> {
    net: &'a mut Network<T>,
    optimizer: &'a mut OptimizerState<T>,
    scratch: &'a mut [T],
    constants: (AdamStep<T>, T),
    l2: T,
    inv_m: T,
    max_norm: Option<T>,
}

impl<T: Real> Backward<T> for AdamSink<'_, T> {
    fn weights(&self, l: usize) -> &[T] {
        self.net.layer(l).0
    }

    fn layer(&mut self, l: usize, coef: &[T], a_prev: &[T], sums: &[T], m: usize) {
        let (n_in, n_out) = (self.net.sizes()[l], self.net.sizes()[l + 1]);
        let (gw, rest) = self.scratch.split_at_mut(n_in * n_out);
        let gb = &mut rest[..n_out];
        // ∂C/∂w = (1/m) Σ_t δ aᵀ (coefficients pre-scaled by 1/m), ∂C/∂b = (1/m) Σ_t δ.
        T::update_weights(
            kernels::MatMut::new(gw, n_in, n_out),
            T::zero(),
            kernels::MatRef::new(coef, m, n_out),
            kernels::MatRef::new(&a_prev[..n_in * m], n_in, m),
        );
        for (g, &s) in gb.iter_mut().zip(sums) {
            *g = s * self.inv_m;
        }
        self.optimizer
            .adam_layer(l, self.net.layer_mut(l), (gw, gb), self.constants, self.l2);
        if let Some(c) = self.max_norm {
            limit_norms(self.net.layer_mut(l).0, n_in, c);
        }
    }

    fn gradient(&mut self, l: usize, gw: &[T], sums: &[T]) {
        // gw is already (1/m) Σ_t ∂C_t/∂w.
        let (sw, rest) = self.scratch.split_at_mut(gw.len());
        let gb = &mut rest[..sums.len()];
        sw.copy_from_slice(gw);
        for (g, &s) in gb.iter_mut().zip(sums) {
            *g = s * self.inv_m;
        }
        self.optimizer
            .adam_layer(l, self.net.layer_mut(l), (sw, gb), self.constants, self.l2);
        if let Some(c) = self.max_norm {
            let fan_in = self.net.layers()[l].fan_in();
            limit_norms(self.net.layer_mut(l).0, fan_in, c);
        }
    }
}
