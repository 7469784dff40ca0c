//! All of a network's weights and biases in one aligned buffer, with each
//! layer's place in it: the one description that the network, its
//! gradient, the optimizers' state and the model file share.

use std::ops::Range;

use crate::aligned::Aligned;
use crate::layer::Layer;
use crate::{Real, Result};

/// Elements between the starts of two layers' blocks are a multiple of
/// this: 64 bytes for `f32`, so that every layer's weights start on a
/// cache line (and an AVX-512 vector) as the kernels want.
const BLOCK_ALIGN: usize = 16;

/// Where one layer's parameters sit in the buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Slot {
    /// The layer's weights (for a dense layer, neuron after neuron: row j
    /// of the lecture's wˡ contiguous).
    pub(crate) weights: Range<usize>,
    /// The layer's biases, right after its weights.
    pub(crate) biases: Range<usize>,
    /// The values each neuron weighs (n_in for a dense layer).
    pub(crate) fan_in: usize,
}

/// The places of every layer's parameters, and the buffer's length.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Layout {
    slots: Vec<Slot>,
    len: usize,
}

impl Layout {
    /// The layout of `layers`' parameters, each layer's block starting on
    /// a multiple of [`BLOCK_ALIGN`] (the layers were checked to fit in
    /// memory, so nothing overflows).
    pub(crate) fn of(layers: &[Layer]) -> Self {
        let mut slots = Vec::with_capacity(layers.len());
        let mut at = 0;
        for layer in layers {
            let weights = at..at + layer.num_weights();
            let biases = weights.end..weights.end + layer.num_biases();
            at = biases.end.next_multiple_of(BLOCK_ALIGN);
            slots.push(Slot {
                weights,
                biases,
                fan_in: layer.fan_in(),
            });
        }
        Layout { slots, len: at }
    }

    /// Each layer's slot, first layer first.
    pub(crate) fn slots(&self) -> &[Slot] {
        &self.slots
    }

    /// The buffer's length, padding included.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// The number of weights and biases (without padding).
    pub(crate) fn num_parameters(&self) -> usize {
        self.slots
            .iter()
            .map(|s| s.weights.len() + s.biases.len())
            .sum()
    }
}

/// A buffer laid out by a [`Layout`]: a network's parameters, a gradient,
/// or an optimizer's per-parameter state. Padding between blocks is 0 and
/// stays 0 (every update of a padding value is an update of 0 by 0).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Parameters<T: Real> {
    data: Aligned<T>,
    layout: Layout,
}

impl<T: Real> Parameters<T> {
    /// All zeros, or [`Error::Allocation`](crate::Error::Allocation)
    /// naming `what` if they do not fit in memory.
    pub(crate) fn zeros(layout: Layout, what: &'static str) -> Result<Self> {
        Ok(Parameters {
            data: Aligned::try_zeroed(layout.len(), what)?,
            layout,
        })
    }

    /// Zeros shaped like `self`.
    pub(crate) fn zeros_like(&self, what: &'static str) -> Result<Self> {
        Self::zeros(self.layout.clone(), what)
    }

    /// The layout.
    pub(crate) fn layout(&self) -> &Layout {
        &self.layout
    }

    /// The whole buffer, padding included.
    pub(crate) fn as_slice(&self) -> &[T] {
        &self.data
    }

    /// The whole buffer, padding included, to change.
    pub(crate) fn as_mut_slice(&mut self) -> &mut [T] {
        &mut self.data
    }

    /// Layer `l`'s weights and biases.
    pub(crate) fn layer(&self, l: usize) -> (&[T], &[T]) {
        let slot = &self.layout.slots[l];
        (
            &self.data[slot.weights.clone()],
            &self.data[slot.biases.clone()],
        )
    }

    /// Layer `l`'s weights and biases, to change.
    pub(crate) fn layer_mut(&mut self, l: usize) -> (&mut [T], &mut [T]) {
        let slot = &self.layout.slots[l];
        let (w, b) = (slot.weights.clone(), slot.biases.clone());
        let (head, tail) = self.data.split_at_mut(b.start);
        (&mut head[w], &mut tail[..b.len()])
    }

    /// The same buffer with every value mapped by `f` (padding stays 0 for
    /// any `f` with f(0) = 0).
    pub(crate) fn map<U: Real>(&self, f: impl Fn(T) -> U) -> Parameters<U> {
        let mapped: Vec<U> = self.data.iter().map(|&v| f(v)).collect();
        Parameters {
            data: Aligned::from_slice(&mapped),
            layout: self.layout.clone(),
        }
    }

    /// Each layer's weights and biases, first layer first.
    pub(crate) fn layers(&self) -> impl Iterator<Item = (&[T], &[T])> {
        (0..self.layout.slots.len()).map(|l| self.layer(l))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Activation;

    #[test]
    fn blocks_start_on_cache_lines_and_do_not_overlap() {
        let layers = [
            Layer::dense(3, 5, Activation::Sigmoid),
            Layer::dense(5, 2, Activation::Sigmoid),
        ];
        let layout = Layout::of(&layers);
        let s = layout.slots();
        assert_eq!((s[0].weights.clone(), s[0].biases.clone()), (0..15, 15..20));
        assert_eq!(
            (s[1].weights.clone(), s[1].biases.clone()),
            (32..42, 42..44)
        );
        assert_eq!(layout.len(), 48);
        assert_eq!(layout.num_parameters(), 20 + 12);
        let mut p = Parameters::<f32>::zeros(layout, "test").unwrap();
        let (w, b) = p.layer_mut(1);
        w.fill(1.0);
        b.fill(2.0);
        assert_eq!(p.as_slice()[32..44].iter().sum::<f32>(), 10.0 + 4.0);
        assert!(p.as_slice()[..32].iter().all(|&v| v == 0.0));
        assert_eq!(p.as_slice().as_ptr() as usize % 64, 0);
    }
}
