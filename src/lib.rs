//! Feedforward sigmoid networks that learn to recognise handwritten digits.
//!
//! `neuralnet` implements, as real software, the lecture notes *Neural
//! Networks* (after Michael Nielsen's *Neural Networks and Deep Learning*,
//! chapter 1) and goes a little beyond them (backpropagation, the
//! cross-entropy cost and L2 regularisation of his chapters 2 and 3).
//!
//! # A tour of the lecture
//!
//! **Perceptrons** (section 2). A perceptron weighs binary inputs x₁, x₂, …
//! with weights w₁, w₂, … and fires when the weighted sum exceeds a
//! threshold, equation (1). Writing the sum as a dot product and the
//! threshold as a bias b ≡ −threshold gives *the perceptron rule*,
//! equation (2): output 1 if w·x + b > 0, else 0. See [`Perceptron`] and
//! [`Neuron`]; `cargo run --example gouda_festival` walks through the
//! lecture's cheese-festival decision.
//!
//! ```
//! use neuralnet::{Neuron, Perceptron};
//! // Weather 6, friends 2, commute 2; threshold 5, then 3.
//! let strict = Neuron::with_threshold(&[6.0, 2.0, 2.0], 5.0);
//! let relaxed = Neuron::with_threshold(&[6.0, 2.0, 2.0], 3.0);
//! let friends_and_easy_commute = [0.0, 1.0, 1.0];
//! assert!(!strict.fire(&friends_and_easy_commute)?);
//! assert!(relaxed.fire(&friends_and_easy_commute)?);
//! # Ok::<(), neuralnet::Error>(())
//! ```
//!
//! **Networks of perceptrons.** The NAND perceptron (weights −2, −2,
//! bias 3; [`Neuron::nand`]) is universal; [`BitAdder`] adds two bits with
//! NAND perceptrons alone.
//!
//! **Sigmoid neurons** (section 3). A small change in a perceptron's weights
//! can flip its output, which makes learning hard. A sigmoid neuron outputs
//! σ(w·x + b) with σ(z) = 1/(1+e^(−z)) ([`sigmoid`]), a smoothed step, so
//! that small changes of w and b make small changes of the output,
//! equation (3). See [`SigmoidNeuron`]; the same [`Neuron`] reads both ways,
//! and [`Neuron::scaled`] shows the perceptron as the limit c → ∞.
//!
//! # Crate layout
//!
//! Everything public is re-exported at the crate root. Scalars are generic
//! over [`Real`] (`f32` or `f64`); errors are one enum, [`Error`].

mod activation;
mod cost;
mod dataset;
mod error;
mod kernels;
mod mnist;
mod model_file;
mod network;
mod neuron;
mod sgd;

pub use activation::{sigmoid, sigmoid_prime};
pub use cost::{Cost, CrossEntropy, Quadratic};
pub use dataset::{Dataset, one_hot};
pub use error::{Error, Result};
pub use mnist::{
    IMAGES_MAGIC, IdxImages, LABELS_MAGIC, MAX_IDX_BYTES, MNIST_FILES, MNIST_VALIDATION, Mnist,
    find_mnist_file, read_idx_images, read_idx_images_file, read_idx_labels, read_idx_labels_file,
};
pub use model_file::{
    MODEL_FORMAT_VERSION, ModelFormat, SavedNetwork, TrainingRecord, write_atomically,
};
pub use network::{Evaluation, Gradient, Init, Network};
pub use neuron::{BitAdder, Neuron, Perceptron, SigmoidNeuron, WeightedInput};
pub use sgd::{EpochReport, Monitor, Sgd};

/// Floating-point type usable by this crate: `f32` or `f64`.
///
/// nalgebra's `RealField + Copy`, sealed to the two types for which the
/// crate has SIMD kernels. Implemented for `f32` and `f64` only.
pub trait Real: nalgebra::RealField + Copy + kernels::Elem {}
impl Real for f32 {}
impl Real for f64 {}

// Compile and run the README's code blocks as doctests, so they cannot drift.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
