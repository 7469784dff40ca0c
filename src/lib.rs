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
//! bias 3; [`Neuron::nand`]) is universal; [`BitAdder`](neuron::BitAdder) adds two bits with
//! NAND perceptrons alone.
//!
//! **Sigmoid neurons** (section 3). A small change in a perceptron's weights
//! can flip its output, which makes learning hard. A sigmoid neuron outputs
//! σ(w·x + b) with σ(z) = 1/(1+e^(−z)) ([`sigmoid`](activation::sigmoid)), a smoothed step, so
//! that small changes of w and b make small changes of the output,
//! equation (3). See [`SigmoidNeuron`]; the same [`Neuron`] reads both ways,
//! and [`Neuron::scaled`] shows the perceptron as the limit c → ∞.
//!
//! **The network** (sections 4 and 5). [`Network`] stacks layers of sigmoid
//! neurons, e.g. `[784, 30, 10]` for MNIST digits; the answer is the output
//! neuron that fires most ([`Network::predict`]).
//!
//! **The quadratic cost** (section 6, equation (4)). C = 1/(2n) Σₓ ‖y(x) − a‖²
//! ([`Quadratic`]; [`CrossEntropy`] from Nielsen's chapter 3), behind the
//! [`Cost`] trait.
//!
//! **Beyond the sigmoid** (Nielsen, chapter 3). Each layer has an
//! [`Activation`]: tanh or rectified linear hidden layers, a softmax output
//! layer with the [`LogLikelihood`] cost; [`Dropout`](sgd::Dropout) regularises training.
//!
//! **Gradient descent and SGD** (equations (5) to (18)). v → v − η∇C, with
//! the gradient estimated on shuffled mini-batches, epoch after epoch
//! ([`Sgd`]); backpropagation computes it ([`Network::backprop`]).
//!
//! The [`tutorial`] walks through all of it step by step, equation by
//! equation, with code that runs.
//!
//! # Quickstart
//!
//! Train a tiny network to compute XOR:
//!
//! ```
//! use std::ops::ControlFlow;
//! use neuralnet::nalgebra::DMatrix;
//! use neuralnet::rand::{SeedableRng, rngs::StdRng};
//! use neuralnet::{CrossEntropy, Dataset, Init, Network, Sgd};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let x = DMatrix::from_column_slice(2, 4, &[0., 0., 0., 1., 1., 0., 1., 1.]);
//! let y = DMatrix::from_column_slice(1, 4, &[0., 1., 1., 0.]);
//! let data = Dataset::new(x, y)?;
//! let mut rng = StdRng::seed_from_u64(7);
//! let mut net = Network::<f64>::new(&[2, 3, 1], Init::StandardNormal, &mut rng)?;
//! Sgd::new()
//!     .with_learning_rate(4.0)
//!     .with_mini_batch_size(4)
//!     .with_epochs(4000)
//!     .train(&mut net, &data, None, &CrossEntropy, &mut rng, |_, _| ControlFlow::Continue(()))?;
//! assert_eq!(net.evaluate(&data, &CrossEntropy)?.correct, 4);
//! # Ok(())
//! # }
//! ```
//!
//! # Crate layout
//!
//! The core items are at the crate root: [`Network`] (with [`Init`] and
//! [`Activation`]; [`Predictor`] runs its forward pass for serving, without
//! allocating), [`Dataset`], [`Sgd`] (with [`Monitor`] and
//! [`EpochReport`]), what evaluation and backpropagation return
//! ([`Evaluation`], [`ConfusionMatrix`], [`Gradient`]), the [`Cost`] trait
//! and its costs, the lecture's [`Perceptron`], [`SigmoidNeuron`] and
//! [`Neuron`], the one error enum [`Error`] and the scalar trait [`Real`]
//! (`f32` or `f64`).
//! The rest is in modules:
//!
//! | module | what |
//! |---|---|
//! | [`mnist`] | the MNIST data set and its IDX files ([`mnist::Mnist::load`], [`mnist::read_images`]); [`mnist::preprocess_digit`] turns a photo, scan or drawing of a digit into an MNIST-like input |
//! | [`model`] | saved networks: [`Network::save`], [`Network::load`], and [`model::SavedNetwork`] with its [`model::TrainingRecord`]; [`model::Checkpoint`] |
//! | [`layer`] | the layers a network is made of: [`layer::Layer`], [`layer::Dense`] |
//! | [`optim`] | optimizers: SGD, momentum, Nesterov, Adam, AdamW ([`optim::Optimizer`]) and their state ([`optim::OptimizerState`]) |
//! | [`sgd`] | chapter 3's training toolkit: [`sgd::Dropout`], [`sgd::Schedule`], [`sgd::Selection`], early stopping and the optimizer's state between epochs ([`sgd::TrainingState`]) |
//! | [`augment`] | distorted copies of training images, made on the other core while an epoch trains |
//! | [`activation`] | σ, tanh, ReLU and softmax as functions |
//! | [`neuron`] | single neurons and networks of perceptrons ([`neuron::BitAdder`]) |
//! | [`estimator`] | a [`estimator::Classifier`] and a [`estimator::Regressor`] for tables of your own data: fit on raw rows, predict your own labels or values, save and load with the preprocessing; [`estimator::cross_validate`] |
//! | [`prep`] | your own data: tables from CSV files, Rust rows or matrices ([`prep::Table`]); preprocessing fitted on training data and saved with a model ([`prep::Pipeline`], [`prep::Preprocessor`], [`prep::LabelEncoder`], [`prep::TargetScaler`]); metrics ([`prep::ClassificationReport`], [`prep::r2_score`]) and stratified splits |
//! | [`threads`] | how many cores evaluation and large kernel calls may use |
//! | [`tutorial`] | the lecture step by step, documentation only |
//!
//! [`nalgebra`] and [`rand`] are re-exported, so `cargo add neuralnet` is
//! the only dependency a program needs.
//!
//! Inside, data flows one way: the scalars, kernels and activations at the
//! bottom; the layers, the parameter buffer they lay out, the data set and
//! the costs above them; the network (its feedforward, backpropagation and
//! evaluation) above those; the optimizers and training by SGD above
//! that; the estimators, which put data preparation and training together,
//! on top; the examples use only the public API.
//!
//! # Speed
//!
//! The training loop allocates nothing per mini-batch, and its matrix
//! kernels and σ run on AVX-512, or AVX2 and FMA, when the CPU has them
//! (chosen at run time, in safe code, through the `pulp` crate). On one core
//! of a 2-core x86-64 VM an epoch of the lecture's 784-30-10 network over
//! 50,000 MNIST digits takes about 0.065 s in `f32` (`cargo bench --bench
//! training`), about a fifth of the time of the fastest other library
//! measured (see the README). [`set_num_threads`](threads::set_num_threads) lets evaluation and large
//! mini-batches use more cores, on worker threads kept for the process.

pub mod activation;
mod aligned;
pub mod augment;
mod cost;
mod dataset;
mod dropout;
mod error;
pub mod estimator;
mod fs;
mod kernels;
pub mod layer;
pub mod mnist;
pub mod model;
mod names;
mod network;
pub mod neuron;
pub mod optim;
mod params;
pub mod prep;
mod scalar;
pub mod sgd;
pub mod threads;
pub mod tutorial;

// The crates whose types appear in this crate's API, so that a user needs
// no other dependency (and no matching versions) to call it.
pub use nalgebra;
pub use rand;

pub use activation::Activation;
pub use cost::{Cost, CostKind, CrossEntropy, LogLikelihood, Quadratic};
pub use dataset::{Dataset, one_hot};
pub use error::{Error, Result};
pub use network::{ConfusionMatrix, Evaluation, Gradient, Init, Network, Predictor};
pub use neuron::{Neuron, Perceptron, SigmoidNeuron};
pub use scalar::Real;
pub use sgd::{EpochReport, Monitor, Sgd};

// Compile and run the README's code blocks as doctests, so they cannot drift.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
