//! The buffers of a forward and backward pass, and the one place that fixes
//! the order of backpropagation.
//!
//! A [`Workspace`] is sized once for a batch of up to `capacity` examples
//! and reused, so the training loop allocates nothing. It owns the gathered
//! mini-batch (inputs and targets), the activations aˡ and the errors δˡ of
//! every layer; its fields are private, and the training step talks to it
//! through four methods that say what they do:
//!
//! 1. [`Workspace::gather`] copies the examples of a mini-batch in;
//! 2. [`Workspace::feedforward_batch`] computes aˡ = f(wˡ aˡ⁻¹ + bˡ) with
//!    each layer's activation f (after [`Workspace::draw_masks`], with
//!    dropout's masks on the layers that feed another);
//! 3. [`Workspace::backpropagate_batch`] computes δᴸ from the cost and the
//!    errors of the layers below, handing each layer's share to a
//!    [`Backward`] sink (the SGD update, or a stored gradient);
//! 4. [`Workspace::tally`] counts correct answers and sums costs, for
//!    evaluation.

use std::ops::Range;

use rand::Rng;

use crate::aligned::{Aligned, try_vec};
use crate::kernels::{self, ConvBuffers};
use crate::layer::Layer;
use crate::{Activation, Cost, Dataset, Network, Real, Result};

/// Where [`Workspace::backpropagate_batch`] sends each layer's share: into
/// the weights themselves (the SGD step) or into a gradient
/// ([`Network::backprop`]).
pub(crate) trait Backward<T: Real> {
    /// Layer `l`'s neuron-major weights, as they are before
    /// [`Backward::layer`] is called for `l`.
    fn weights(&self, l: usize) -> &[T];

    /// Layer `l`'s coefficients `coef` (m × n_out: neuron `i`'s scaled
    /// errors contiguous), the activations `a_prev` that fed it (n_in × m)
    /// and the unscaled error sums `sums` (n_out).
    fn layer(&mut self, l: usize, coef: &[T], a_prev: &[T], sums: &[T], m: usize);

    /// Layer `l`'s weight gradient already summed over the batch and
    /// scaled (`scale · Σ_t ∂C_t/∂w`, laid out as the weights) and the
    /// unscaled error sums `sums` of its biases: how layers other than
    /// dense ones (convolutions) hand their share over.
    fn gradient(&mut self, l: usize, gw: &[T], sums: &[T]);
}

/// Buffers for a batch of up to `capacity` examples.
#[derive(Debug)]
pub(crate) struct Workspace<T: Real> {
    capacity: usize,
    /// Gathered inputs, n_0 × m.
    x: Aligned<T>,
    /// Gathered targets, n_L × m.
    y: Vec<T>,
    /// Activations aˡ of layers 1..L, n_l × capacity each.
    a: Vec<Aligned<T>>,
    /// Errors δˡ of layers 1..L, n_l × capacity each.
    delta: Vec<Aligned<T>>,
    /// Scaled, transposed δ of one layer (m × n_l): the update's coefficients.
    coef: Vec<T>,
    /// Σ_t δ[i, t] of one layer (n_l): the bias update.
    sums: Vec<T>,
    /// The activation of each layer 1..L, as of the last
    /// [`Workspace::feedforward_batch`].
    activations: Vec<Activation>,
    /// Dropout's masks, when training with dropout.
    dropout: Option<Masks<T>>,
    /// The convolutions' buffers (empty without convolutions).
    conv: ConvBuffers<T>,
    /// A convolution's weight gradient (the largest one's length).
    conv_grad: Vec<T>,
    /// The network's layers (the kinds backpropagation dispatches on).
    layers: Vec<Layer>,
}

/// Inverted dropout's masks for the layers that feed another (k = 0 the
/// input, k ≥ 1 hidden layer k), drawn per mini-batch into buffers sized
/// once.
#[derive(Debug)]
struct Masks<T: Real> {
    /// Per feeding layer: the probability 1 − p of keeping a neuron, as a
    /// threshold on 32 random bits (keep when bits < threshold), and the
    /// scale 1/(1 − p); `None` where p = 0 (nothing drawn or applied).
    keep: Vec<Option<(u64, T)>>,
    /// Per feeding layer: rˡ/(1 − p) ∈ {0, 1/(1 − p)}, n_k × capacity
    /// (empty where p = 0).
    mask: Vec<Vec<T>>,
    /// Per feeding layer: the dropped activations ãˡ = aˡ ⊙ mask, what the
    /// next layer sees (empty where p = 0).
    dropped: Vec<Aligned<T>>,
}

impl<T: Real> Masks<T> {
    /// `Some(dropped)` after writing ã = a ⊙ mask for feeding layer `k`
    /// (`a` n_k × m), `None` if layer `k` drops nothing.
    fn apply(&mut self, k: usize, a: &[T]) -> Option<&[T]> {
        self.keep[k]?;
        let out = &mut self.dropped[k][..a.len()];
        for ((o, &a), &r) in out.iter_mut().zip(a).zip(&self.mask[k]) {
            *o = a * r;
        }
        Some(out)
    }
}

impl<T: Real> Workspace<T> {
    /// Buffers for training a network of `layers` with batches of up to
    /// `capacity` examples.
    ///
    /// # Errors
    /// [`Error::Allocation`] if the buffers do not fit in memory.
    pub(crate) fn new(layers: &[Layer], capacity: usize) -> Result<Self> {
        Self::with(layers, capacity, true)
    }

    /// Buffers for feedforward only (evaluation), without what
    /// backpropagation through convolutions adds.
    ///
    /// # Errors
    /// As [`Workspace::new`].
    pub(crate) fn inference(layers: &[Layer], capacity: usize) -> Result<Self> {
        Self::with(layers, capacity, false)
    }

    fn with(layers: &[Layer], capacity: usize, training: bool) -> Result<Self> {
        const WHAT: &str = "the workspace (activations and errors of a batch)";
        let mut sizes: Vec<usize> = layers.first().map(Layer::input_size).into_iter().collect();
        sizes.extend(layers.iter().map(Layer::output_size));
        let sizes = &sizes[..];
        let conv = ConvBuffers::new(layers, capacity, training)?;
        let conv_grad = try_vec(if training { conv.max_gradient() } else { 0 }, WHAT)?;
        // Sizes were checked to fit in memory, but times a batch they may not.
        let len = |n: usize| n.saturating_mul(capacity);
        let per_layer = || {
            sizes[1..]
                .iter()
                .map(|&n| Aligned::try_zeroed(len(n), WHAT))
                .collect::<Result<Vec<_>>>()
        };
        let widest = sizes[1..].iter().max().copied().unwrap_or(0);
        Ok(Workspace {
            capacity,
            x: Aligned::try_zeroed(len(sizes[0]), WHAT)?,
            y: try_vec(len(sizes[sizes.len() - 1]), WHAT)?,
            a: per_layer()?,
            delta: per_layer()?,
            coef: try_vec(len(widest), WHAT)?,
            sums: try_vec(widest, WHAT)?,
            activations: vec![Activation::Sigmoid; sizes.len() - 1],
            dropout: None,
            conv,
            conv_grad,
            layers: layers.to_vec(),
        })
    }

    /// Turns dropout on for training: `rates[k]` is the fraction p dropped
    /// of feeding layer k (0 = the input, then each hidden layer; one per
    /// layer but the output). Allocates the masks once; with every rate 0
    /// it turns dropout off, so that training is exactly as without.
    pub(crate) fn set_dropout(&mut self, sizes: &[usize], rates: &[f64]) -> Result<()> {
        debug_assert_eq!(rates.len(), sizes.len() - 1);
        const WHAT: &str = "the dropout masks";
        if rates.iter().all(|&p| p == 0.0) {
            self.dropout = None;
            return Ok(());
        }
        let cap = self.capacity;
        let on = |p: f64| p > 0.0;
        self.dropout = Some(Masks {
            keep: rates
                .iter()
                .map(|&p| {
                    // P(bits < threshold) = threshold/2³² ≈ 1 − p.
                    let threshold = ((1.0 - p) * 4_294_967_296.0).round() as u64;
                    let scale = T::one() / nalgebra::convert::<f64, T>(1.0 - p);
                    on(p).then_some((threshold, scale))
                })
                .collect(),
            mask: rates
                .iter()
                .zip(sizes)
                .map(|(&p, &n)| try_vec(if on(p) { n.saturating_mul(cap) } else { 0 }, WHAT))
                .collect::<Result<_>>()?,
            dropped: rates
                .iter()
                .zip(sizes)
                .map(|(&p, &n)| {
                    Aligned::try_zeroed(if on(p) { n.saturating_mul(cap) } else { 0 }, WHAT)
                })
                .collect::<Result<_>>()?,
        });
        Ok(())
    }

    /// Draws new dropout masks for a mini-batch of `m` examples from `rng`
    /// (nothing without dropout): for each feeding layer with p > 0, each
    /// neuron and example in turn, from 32 random bits.
    pub(crate) fn draw_masks<R: Rng + ?Sized>(&mut self, rng: &mut R, m: usize) {
        let Some(d) = &mut self.dropout else {
            return;
        };
        for (keep, mask) in d.keep.iter().zip(&mut d.mask) {
            let Some((threshold, scale)) = *keep else {
                continue;
            };
            let len = mask.len() / self.capacity * m;
            let draw = |bits: u64| if bits < threshold { scale } else { T::zero() };
            let mut pairs = mask[..len].chunks_exact_mut(2);
            for pair in &mut pairs {
                let bits = rng.next_u64();
                pair[0] = draw(bits & 0xffff_ffff);
                pair[1] = draw(bits >> 32);
            }
            if let [last] = pairs.into_remainder() {
                *last = draw(rng.next_u64() & 0xffff_ffff);
            }
        }
    }

    /// Copies the examples `batch` (indices into `data`, at most `capacity`
    /// of them) into the workspace, inputs and targets, column by column.
    pub(crate) fn gather(&mut self, data: &Dataset<T>, batch: &[usize]) {
        debug_assert!(batch.len() <= self.capacity);
        let (n_in, n_out) = (data.input_size(), data.target_size());
        let (inputs, targets) = (data.inputs().as_slice(), data.targets().as_slice());
        for (t, &j) in batch.iter().enumerate() {
            self.x[t * n_in..(t + 1) * n_in].copy_from_slice(&inputs[j * n_in..(j + 1) * n_in]);
            self.y[t * n_out..(t + 1) * n_out]
                .copy_from_slice(&targets[j * n_out..(j + 1) * n_out]);
        }
    }

    /// Copies a batch of `m` inputs `x` (n_0 × m) and targets `y`
    /// (n_L × m) into the workspace.
    pub(crate) fn load(&mut self, x: &[T], y: &[T], m: usize) {
        self.x[..x.len()].copy_from_slice(x);
        self.y[..y.len()].copy_from_slice(y);
        debug_assert!(m <= self.capacity);
    }

    /// Feedforward of the `m` gathered examples through `net`, with the
    /// dropout masks of the last [`Workspace::draw_masks`] if dropout is on.
    pub(crate) fn feedforward_batch(&mut self, net: &Network<T>, m: usize) {
        self.activations.copy_from_slice(net.activations());
        feedforward(
            &mut self.a,
            &mut self.conv,
            net,
            &self.x,
            m,
            self.dropout.as_mut(),
        );
    }

    /// Feedforward of `m` examples `x` (n_0 × m, not gathered) through
    /// `net`; returns the output activations, n_L × m.
    pub(crate) fn feedforward(&mut self, net: &Network<T>, x: &[T], m: usize) -> &[T] {
        feedforward(&mut self.a, &mut self.conv, net, x, m, None);
        self.output(m)
    }

    /// The output activations of the last feedforward, n_L × m.
    fn output(&self, m: usize) -> &[T] {
        let last = self
            .a
            .last()
            .expect("a network has at least one layer of weights");
        &last[..last.len() / self.capacity * m]
    }

    /// Backpropagation after [`Workspace::feedforward_batch`]: δᴸ from the
    /// cost, the output activation and the gathered targets, then for each
    /// weight layer `l` from the last to the first,
    /// δˡ⁻¹ = ((wˡ)ᵀ δˡ) ⊙ f′(zˡ⁻¹) (⊙ the dropout mask) with layer `l`'s
    /// weights as `sink` has them *before* it is given the layer; `sink`
    /// then receives the layer's coefficients `scale · δᵀ`, the activations
    /// that fed the layer (the gathered inputs for the first; after
    /// dropout, if on) and
    /// Σ_t δˡ[·, t]. The one place that fixes this order, for both the SGD
    /// step and [`Network::backprop`].
    pub(crate) fn backpropagate_batch<C, S>(&mut self, cost: &C, sink: &mut S, m: usize, scale: T)
    where
        C: Cost<T> + ?Sized,
        S: Backward<T>,
    {
        self.output_error(cost, m);
        for l in (0..self.a.len()).rev() {
            match self.layers[l] {
                Layer::Dense(_) => {
                    if l > 0 {
                        self.hidden_error(sink.weights(l), l, m);
                    }
                    let n_out = self.delta[l].len() / self.capacity;
                    let delta = &self.delta[l];
                    for i in 0..n_out {
                        let mut sum = T::zero();
                        for t in 0..m {
                            let d = delta[t * n_out + i];
                            self.coef[i * m + t] = scale * d;
                            sum += d;
                        }
                        self.sums[i] = sum;
                    }
                    let a_prev = self.layer_input(l);
                    sink.layer(l, &self.coef[..n_out * m], a_prev, &self.sums[..n_out], m);
                }
                Layer::Conv2d(_) => {
                    let plan = self.conv.plan(l);
                    let (lower, upper) = self.delta.split_at_mut(l);
                    let a_prev = match &self.dropout {
                        Some(d) if d.keep[l].is_some() => &d.dropped[l][..],
                        _ if l == 0 => &self.x[..],
                        _ => &self.a[l - 1][..],
                    };
                    T::conv_backward(
                        plan,
                        &mut self.conv,
                        sink.weights(l),
                        a_prev,
                        &upper[0],
                        m,
                        scale,
                        &mut self.conv_grad,
                        &mut self.sums,
                        lower.last_mut().map(|d| &mut d[..]),
                    );
                    if l > 0 {
                        self.chain_hidden(l, m);
                    }
                    let gw = &self.conv_grad[..plan.c_out * plan.fan_in()];
                    sink.gradient(l, gw, &self.sums[..plan.c_out]);
                }
                Layer::MaxPool2d(pool) => {
                    if l > 0 {
                        let (lower, upper) = self.delta.split_at_mut(l);
                        let a_prev = match &self.dropout {
                            Some(d) if d.keep[l].is_some() => &d.dropped[l][..],
                            _ => &self.a[l - 1][..],
                        };
                        T::max_pool_backward(&pool, a_prev, &upper[0], &mut lower[l - 1], m);
                        self.chain_hidden(l, m);
                    }
                }
            }
        }
    }

    /// What fed layer `l` in the last feedforward: the gathered inputs
    /// for the first, the activations of the layer before for the others,
    /// after dropout if it is on.
    fn layer_input(&self, l: usize) -> &[T] {
        match &self.dropout {
            Some(d) if d.keep[l].is_some() => &d.dropped[l][..],
            _ if l == 0 => &self.x[..],
            _ => &self.a[l - 1][..],
        }
    }

    /// δᴸ from the cost, for the gathered targets.
    fn output_error<C: Cost<T> + ?Sized>(&mut self, cost: &C, m: usize) {
        let last = self.a.len() - 1;
        let n = self.a[last].len() / self.capacity;
        cost.delta(
            self.activations[last],
            &self.a[last][..n * m],
            &self.y[..n * m],
            &mut self.delta[last][..n * m],
        );
    }

    /// δˡ⁻¹ = ((wˡ)ᵀ δˡ) ⊙ f′(zˡ⁻¹) for weight layer `l` > 0 with weights
    /// `w`, f′ written through the stored activations aˡ⁻¹, times the
    /// dropout mask of layer l − 1 if it has one.
    fn hidden_error(&mut self, w: &[T], l: usize, m: usize) {
        let (lower, upper) = self.delta.split_at_mut(l);
        let n_in = lower[l - 1].len() / self.capacity;
        let n_out = upper[0].len() / self.capacity;
        let out = &mut lower[l - 1][..n_in * m];
        T::back_propagate(
            kernels::MatRef::new(w, n_in, n_out),
            kernels::MatRef::new(&upper[0][..n_out * m], n_out, m),
            kernels::MatMut::new(out, n_in, m),
        );
        self.chain_hidden(l, m);
    }

    /// δˡ⁻¹ ⊙= f′(zˡ⁻¹) (f′ written through the stored activations aˡ⁻¹),
    /// then times the dropout mask of layer l − 1 if it has one: the part
    /// of a hidden error that every kind of layer `l` shares, after it
    /// has passed δˡ back into δˡ⁻¹.
    fn chain_hidden(&mut self, l: usize, m: usize) {
        let n_in = self.delta[l - 1].len() / self.capacity;
        let out = &mut self.delta[l - 1][..n_in * m];
        match self.activations[l - 1] {
            // The lecture's σ′ = a(1 − a), exactly as before activations
            // became a choice.
            Activation::Sigmoid => {
                for (d, &a) in out.iter_mut().zip(self.a[l - 1].iter()) {
                    *d = *d * a * (T::one() - a);
                }
            }
            // f′ = 1: nothing to do (max-pooling's default).
            Activation::Identity => {}
            f => {
                for (d, &a) in out.iter_mut().zip(self.a[l - 1].iter()) {
                    *d = f.chain(*d, a);
                }
            }
        }
        if let Some(d) = &self.dropout
            && d.keep[l].is_some()
        {
            for (o, &r) in out.iter_mut().zip(&d.mask[l]) {
                *o *= r;
            }
        }
    }

    /// The number classified correctly and the summed cost over the
    /// examples `range` of `data`, `capacity` columns at a time. An example
    /// is correct when [`Network::predict`]'s rule gives the target's class.
    pub(crate) fn tally<C: Cost<T> + ?Sized>(
        &mut self,
        net: &Network<T>,
        data: &Dataset<T>,
        range: Range<usize>,
        cost: &C,
    ) -> (usize, f64) {
        let n_out = net.output_size();
        let n_in = net.input_size();
        let (inputs, targets) = (data.inputs().as_slice(), data.targets().as_slice());
        let (mut correct, mut total_cost) = (0, 0.0);
        let mut start = range.start;
        while start < range.end {
            let m = self.capacity.min(range.end - start);
            let out = self.feedforward(net, &inputs[start * n_in..(start + m) * n_in], m);
            let y = &targets[start * n_out..(start + m) * n_out];
            total_cost += crate::scalar::to_f64(cost.cost(out, y));
            for (a, y) in out.chunks_exact(n_out).zip(y.chunks_exact(n_out)) {
                correct += usize::from(super::class_of(a) == super::class_of(y));
            }
            start += m;
        }
        (correct, total_cost)
    }

    /// The predicted class of each of the examples `range` of the columns
    /// of `x` (n_0 × n), written to `out[range]`.
    pub(crate) fn classify(
        &mut self,
        net: &Network<T>,
        x: &[T],
        range: Range<usize>,
        out: &mut [usize],
    ) {
        let (n_in, n_out) = (net.input_size(), net.output_size());
        let mut start = range.start;
        while start < range.end {
            let m = self.capacity.min(range.end - start);
            let a = self.feedforward(net, &x[start * n_in..(start + m) * n_in], m);
            for (o, a) in out[start - range.start..]
                .iter_mut()
                .zip(a.chunks_exact(n_out))
            {
                *o = super::class_of(a);
            }
            start += m;
        }
    }
}

/// Feedforward of `m` examples from `x` (n_0 × m) through `net`, without
/// dropout, into the activations `a` of layers 1..L (each holding at least
/// m examples): [`Workspace::feedforward`]'s pass, for the
/// [`Predictor`](super::Predictor)'s buffers.
pub(super) fn feedforward_into<T: Real>(
    a: &mut [Aligned<T>],
    conv: &mut ConvBuffers<T>,
    net: &Network<T>,
    x: &[T],
    m: usize,
) {
    feedforward(a, conv, net, x, m, None);
}

/// Feedforward of `m` examples from `x` (n_0 × m), filling the activations
/// `a` of layers 1..L; with `dropout`, each layer that feeds another is
/// masked on the way (its stored aˡ stays unmasked, for f′).
fn feedforward<T: Real>(
    a: &mut [Aligned<T>],
    conv: &mut ConvBuffers<T>,
    net: &Network<T>,
    x: &[T],
    m: usize,
    mut dropout: Option<&mut Masks<T>>,
) {
    for l in 0..a.len() {
        let (n_in, n_out) = (net.sizes()[l], net.sizes()[l + 1]);
        let (done, rest) = a.split_at_mut(l);
        let mut input = if l == 0 { x } else { &done[l - 1][..] };
        input = &input[..n_in * m];
        if let Some(masked) = dropout.as_deref_mut().and_then(|d| d.apply(l, input)) {
            input = masked;
        }
        let z = &mut rest[0][..n_out * m];
        let (w, b) = net.layer(l);
        match &net.layers()[l] {
            Layer::Dense(_) => {
                let w = kernels::MatRef::new(w, n_in, n_out);
                let input = kernels::MatRef::new(input, n_in, m);
                T::weighted_inputs(w, b, input, kernels::MatMut::new(z, n_out, m));
            }
            Layer::Conv2d(_) => T::conv_forward(conv.plan(l), conv, w, b, input, z, m),
            Layer::MaxPool2d(pool) => T::max_pool_forward(pool, input, z, m),
        }
        match net.activations()[l] {
            Activation::Sigmoid => T::sigmoid_in_place(z),
            Activation::Tanh => T::tanh_in_place(z),
            Activation::Relu => T::relu_in_place(z),
            // z as it is: a linear layer.
            Activation::Identity => {}
            // One example per column: the softmax of each.
            Activation::Softmax => z
                .chunks_exact_mut(n_out)
                .for_each(crate::activation::softmax_in_place),
        }
    }
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    use super::*;

    #[test]
    fn masks_drop_about_p_and_scale_the_rest_by_one_over_one_minus_p() {
        let sizes = [100, 200, 50, 10];
        let layers: Vec<Layer> = sizes
            .windows(2)
            .map(|p| Layer::dense(p[0], p[1], Activation::Sigmoid))
            .collect();
        let mut ws = Workspace::<f64>::new(&layers, 20).unwrap();
        ws.set_dropout(&sizes, &[0.2, 0.5, 0.0]).unwrap();
        let m = 17;
        ws.draw_masks(&mut StdRng::seed_from_u64(1), m);
        let d = ws.dropout.as_ref().expect("dropout is on");
        for (k, p, n) in [(0, 0.2, 100), (1, 0.5, 200)] {
            let mask = &d.mask[k][..n * m];
            let zeros = mask.iter().filter(|&&r| r == 0.0).count();
            let fraction = zeros as f64 / mask.len() as f64;
            // 1,700 and 3,400 draws: a standard deviation of about 0.01.
            assert!((fraction - p).abs() < 0.04, "layer {k}: {fraction} dropped");
            assert!(mask.iter().all(|&r| r == 0.0 || r == 1.0 / (1.0 - p)));
            // Only the batch's columns were drawn.
            assert!(d.mask[k][n * m..].iter().all(|&r| r == 0.0));
        }
        assert!(d.keep[2].is_none() && d.mask[2].is_empty());
        // Every rate 0: dropout off.
        ws.set_dropout(&sizes, &[0.0; 3]).unwrap();
        assert!(ws.dropout.is_none());
    }

    #[test]
    fn the_same_seed_draws_the_same_masks() {
        let sizes = [7, 9, 3];
        let draw = |seed| {
            let layers: Vec<Layer> = sizes
                .windows(2)
                .map(|p| Layer::dense(p[0], p[1], Activation::Sigmoid))
                .collect();
            let mut ws = Workspace::<f32>::new(&layers, 5).unwrap();
            ws.set_dropout(&sizes, &[0.3, 0.6]).unwrap();
            ws.draw_masks(&mut StdRng::seed_from_u64(seed), 5);
            let d = ws.dropout.expect("dropout is on");
            d.mask
        };
        assert_eq!(draw(1), draw(1));
        assert_ne!(draw(1), draw(2));
    }
}
