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
//! **The network** (sections 4 and 5). [`Network`] stacks layers of sigmoid
//! neurons, e.g. `[784, 30, 10]` for MNIST digits; the answer is the output
//! neuron that fires most ([`Network::predict`]).
//!
//! **The quadratic cost** (section 6, equation (4)). C = 1/(2n) Σₓ ‖y(x) − a‖²
//! ([`Quadratic`]; [`CrossEntropy`] from Nielsen's chapter 3), behind the
//! [`Cost`] trait.
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
//! use nalgebra::DMatrix;
//! use neuralnet::{CrossEntropy, Dataset, Init, Network, Sgd};
//! use rand::{SeedableRng, rngs::StdRng};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let x = DMatrix::from_column_slice(2, 4, &[0., 0., 0., 1., 1., 0., 1., 1.]);
//! let y = DMatrix::from_column_slice(1, 4, &[0., 1., 1., 0.]);
//! let data = Dataset::new(x, y)?;
//! let mut rng = StdRng::seed_from_u64(7);
//! let mut net = Network::<f64>::new(&[2, 3, 1], Init::StandardNormal, &mut rng)?;
//! Sgd::new()
//!     .learning_rate(4.0)
//!     .mini_batch_size(4)
//!     .epochs(4000)
//!     .train(&mut net, &data, None, &CrossEntropy, &mut rng, |_| ControlFlow::Continue(()))?;
//! assert_eq!(net.evaluate(&data, &CrossEntropy)?.correct, 4);
//! # Ok(())
//! # }
//! ```
//!
//! # Crate layout
//!
//! Everything public is re-exported at the crate root, except the
//! [`tutorial`], which is documentation only. Scalars are [`Real`] (`f32` or
//! `f64`); errors are one enum, [`Error`]. MNIST's IDX files are read by
//! [`read_idx_images`] and [`Mnist::load`]; trained networks are kept with
//! [`Network::save`] and [`Network::load`]. [`preprocess_digit`] turns a
//! photo, scan or drawing of a digit into an MNIST-like input, as MNIST
//! itself was made.
//!
//! # Speed
//!
//! The training loop allocates nothing per mini-batch, and its matrix
//! kernels and σ run on AVX-512, or AVX2 and FMA, when the CPU has them
//! (chosen at run time, in safe code, through the `pulp` crate). On one core
//! of a 2-core x86-64 VM an epoch of the lecture's 784-30-10 network over
//! 50,000 MNIST digits takes about 0.065 s in `f32` (`cargo bench --bench
//! training`), about a fifth of the time of the fastest other library
//! measured (see the README). [`set_num_threads`] lets evaluation and large
//! mini-batches use more cores.

mod activation;
mod aligned;
mod cost;
mod dataset;
#[cfg(feature = "download")]
mod download;
mod error;
mod kernels;
mod mnist;
mod model_file;
mod network;
mod neuron;
mod preprocess;
mod sgd;
pub mod tutorial;

pub use activation::{sigmoid, sigmoid_prime};
pub use cost::{Cost, CrossEntropy, Quadratic};
pub use dataset::{Dataset, one_hot};
#[cfg(feature = "download")]
pub use download::{MNIST_MIRRORS, MNIST_REMOTE_FILES, RemoteFile, download_files};
pub use error::{Error, Result};
pub use kernels::{num_threads, set_num_threads};
pub use mnist::{
    IMAGES_MAGIC, IdxImages, LABELS_MAGIC, MAX_IDX_BYTES, MNIST_FILES, MNIST_VALIDATION, Mnist,
    find_mnist_file, read_idx_images, read_idx_images_file, read_idx_labels, read_idx_labels_file,
};
pub use model_file::{
    MODEL_FORMAT_VERSION, ModelFormat, SavedNetwork, TrainingRecord, write_atomically,
};
pub use network::{Evaluation, Gradient, Init, Network};
pub use neuron::{BitAdder, Neuron, Perceptron, SigmoidNeuron, WeightedInput};
pub use preprocess::{
    ImageView, InkBox, MAX_IMAGE_PIXELS, MNIST_BOX, MNIST_SIDE, PreparedDigit, preprocess_digit,
};
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
