//! The convolutional presets: Nielsen's chapter-6 networks (`network3.py`)
//! in this crate's layers.
//!
//! | preset | network | Nielsen |
//! |---|---|---|
//! | `conv1` | conv 20 × 5 × 5, pool 2 × 2, 100 sigmoid neurons, softmax | 98.78% |
//! | `conv2` | a second conv-pool layer of 40 maps | 99.06% |
//! | `conv-relu` | ReLU everywhere, λ = 0.1 | 99.23% |
//! | `conv-best` | two conv-pool layers, two dense layers of 1,000 with dropout 0.5, distorted digits | 99.60% |
//!
//! Nielsen's `ConvPoolLayer` applies its activation after pooling,
//! f(max(z) + b); this crate's layers apply it before, max(f(z + b)). For
//! the increasing functions used here the two are equal.
//!
//! `conv-best` starts from He's initialisation (N(0, 2/n_in) weights, zero
//! biases), the others from the scaled normal (N(0, 1/n_in), biases
//! N(0, 1)).
//!
//! His L2 term is λ/(2·batches)·Σw² per mini-batch (`network3.py` divides
//! by the number of mini-batches, not by n as `network2.py` does), which
//! decays the weights by 1 − ηλm/n per step; this crate's λ decays them by
//! 1 − ηλ/n, so his λ = 0.1 at m = 10 is λ = 1.0 here.

use neuralnet::augment::ImageAugmenter;
use neuralnet::layer::{Layer, Shape};
use neuralnet::sgd::Dropout;
use neuralnet::{Activation, CostKind, Init};

use crate::args::Preset;
use crate::best::BestSettings;

/// The two conv-pool layers (`maps` 20 then 40) with activation `f`, or
/// only the first.
fn conv_pool(f: Activation, two: bool) -> (Vec<Layer>, usize) {
    let mut layers = vec![
        Layer::conv(Shape::new(1, 28, 28), 20, 5, f),
        Layer::max_pool(Shape::new(20, 24, 24), 2),
    ];
    if !two {
        return (layers, 20 * 12 * 12);
    }
    layers.push(Layer::conv(Shape::new(20, 12, 12), 40, 5, f));
    layers.push(Layer::max_pool(Shape::new(40, 8, 8), 2));
    (layers, 40 * 4 * 4)
}

/// The settings of a convolutional preset (`Conv1`, `Conv2`, `ConvRelu`,
/// `ConvBest`).
pub fn conv_settings(preset: Preset) -> BestSettings {
    let (f, two) = match preset {
        Preset::Conv1 => (Activation::Sigmoid, false),
        Preset::Conv2 => (Activation::Sigmoid, true),
        _ => (Activation::Relu, true),
    };
    let (mut layers, flat) = conv_pool(f, two);
    let best = preset == Preset::ConvBest;
    if best {
        layers.push(Layer::dense(flat, 1000, f));
        layers.push(Layer::dense(1000, 1000, f));
        layers.push(Layer::dense(1000, 10, Activation::Softmax));
    } else {
        layers.push(Layer::dense(flat, 100, f));
        layers.push(Layer::dense(100, 10, Activation::Softmax));
    }
    let mut sizes = vec![784];
    sizes.extend(layers.iter().map(Layer::output_size));
    let (eta, lambda, name) = match preset {
        Preset::Conv1 => (0.1, 0.0, "conv1"),
        Preset::Conv2 => (0.1, 0.0, "conv2"),
        Preset::ConvRelu => (0.03, 1.0, "conv-relu"),
        _ => (0.03, 0.0, "conv-best"),
    };
    let hidden = layers.len() - 1;
    BestSettings {
        sizes,
        hidden: f,
        output: Activation::Softmax,
        cost: CostKind::LogLikelihood,
        // conv-best's wide ReLU layers start from He's N(0, 2/n_in) weights
        // and zero biases: from N(0, 1) biases, seed 3 switched off a whole
        // layer in its first epoch and never learned (10.64%, always "1"),
        // and on the validation set He's start learned faster (epoch 1:
        // 97.29% against 95.53% with seed 1).
        init: if best { Init::He } else { Init::ScaledNormal },
        eta,
        mini_batch: 10,
        momentum: 0.0,
        nesterov: false,
        l2_lambda: lambda,
        min_rate: 0.0,
        epochs: if best { 40 } else { 60 },
        // Dropout 0.5 on the inputs of the three dense layers (the outputs
        // of the second pooling layer and of the two hidden dense layers).
        dropout: if best {
            let mut rates = vec![0.0; hidden];
            rates[hidden - 3..].fill(0.5);
            Dropout::none().with_layer_rates(rates)
        } else {
            Dropout::none()
        },
        max_norm: None,
        augmenter: ImageAugmenter::new(28, 28, 1)
            .with_max_shift(2)
            .with_max_rotation(10.0)
            .with_max_scaling(0.1)
            .with_elastic(20.0, 4.0),
        augment: best,
        cosine: best,
        layers: Some(layers),
        name,
    }
}
