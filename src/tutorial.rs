//! A tutorial that follows the lecture notes *Neural Networks* section by
//! section, each step a short program that runs (as a doctest) and a link to
//! the item that implements it.
//!
//! The equation numbers are the notes' own: (1) and (2) are the perceptron
//! rule, (3) the smoothness of sigmoid neurons, (4) the quadratic cost,
//! (5) to (12) gradient descent, (13) and (14) its update rules for weights
//! and biases, and (15) to (18) stochastic gradient descent. Sections 10 to
//! 13 go beyond the notes, into Nielsen's chapters 2 and 3 and the tools
//! that followed; section 14 takes it all to tables of your own data, and
//! to regression; section 15 is Nielsen's chapter 6, convolutional
//! networks.
//!
//! # 1. Perceptrons: the perceptron rule, equations (1) and (2)
//!
//! A perceptron weighs binary inputs x₁, x₂, … with weights w₁, w₂, … and
//! outputs 1 when the weighted sum exceeds a threshold, equation (1):
//! output = 1 if Σⱼ wⱼxⱼ > threshold, else 0. Writing the sum as a dot
//! product and moving the threshold across as the *bias* b ≡ −threshold
//! gives equation (2): output = 1 if w·x + b > 0, else 0.
//! [`Neuron::with_threshold`](crate::Neuron::with_threshold) and
//! [`Neuron::with_bias`](crate::Neuron::with_bias) build the same neuron
//! both ways; [`Perceptron::fire`](crate::Perceptron::fire) applies the rule.
//!
//! ```
//! use neuralnet::{Neuron, Perceptron};
//! let by_threshold = Neuron::with_threshold(&[6.0, 2.0, 2.0], 5.0); // equation (1)
//! let by_bias = Neuron::with_bias(&[6.0, 2.0, 2.0], -5.0);          // equation (2)
//! assert_eq!(by_threshold, by_bias);
//! // w·x + b = 6·1 + 2·0 + 2·0 − 5 = 1 > 0: it fires.
//! assert!(by_bias.fire(&[1.0, 0.0, 0.0])?);
//! // Exactly at the threshold, w·x + b = 0, it does not.
//! assert!(!Neuron::with_threshold(&[6.0, 2.0, 2.0], 6.0).fire(&[1.0, 0.0, 0.0])?);
//! # Ok::<(), neuralnet::Error>(())
//! ```
//!
//! # 2. The cheese festival in Gouda
//!
//! Weather (x₁), friends (x₂) and an easy commute (x₃) weigh 6, 2 and 2.
//! With threshold 5 you go exactly when the weather is good; dropping the
//! threshold to 3 makes you go also when friends come and the commute is
//! easy. (`cargo run --example gouda_festival` prints both tables.)
//!
//! ```
//! use neuralnet::{Neuron, Perceptron};
//! let strict = Neuron::with_threshold(&[6.0, 2.0, 2.0], 5.0);
//! let relaxed = Neuron::with_threshold(&[6.0, 2.0, 2.0], 3.0);
//! for weather in [0.0, 1.0] {
//!     for friends in [0.0, 1.0] {
//!         for commute in [0.0, 1.0] {
//!             let x = [weather, friends, commute];
//!             assert_eq!(strict.fire(&x)?, weather == 1.0);
//!             assert_eq!(relaxed.fire(&x)?, weather == 1.0 || (friends == 1.0 && commute == 1.0));
//!         }
//!     }
//! }
//! # Ok::<(), neuralnet::Error>(())
//! ```
//!
//! # 3. Networks of perceptrons
//!
//! The perceptron with weights −2, −2 and bias 3 computes NAND
//! ([`Neuron::nand`](crate::Neuron::nand)), and NAND gates can compute
//! anything: [`BitAdder`](crate::neuron::BitAdder) adds two bits with five of them.
//!
//! ```
//! use neuralnet::{Neuron, Perceptron};
//! use neuralnet::neuron::BitAdder;
//! let nand = Neuron::<f64>::nand();
//! assert_eq!(nand.output(&[1.0, 1.0])?, 0.0); // −2 − 2 + 3 = −1 ≤ 0
//! assert_eq!(BitAdder::<f64>::new().add(true, true), (false, true)); // 1 + 1 = 10 in binary
//! # Ok::<(), neuralnet::Error>(())
//! ```
//!
//! # 4. Sigmoid neurons: equation (3)
//!
//! A sigmoid neuron outputs σ(w·x + b), σ(z) = 1/(1+e^(−z)) ([`sigmoid`](crate::activation::sigmoid)).
//! Because σ is smooth, small changes Δwⱼ, Δb make a small change
//! Δoutput ≈ Σⱼ ∂output/∂wⱼ Δwⱼ + ∂output/∂b Δb, equation (3);
//! [`SigmoidNeuron::output_gradient`](crate::SigmoidNeuron::output_gradient)
//! gives the partial derivatives. A perceptron, by contrast, can flip from 0
//! to 1 (`cargo run --example sigmoid_smoothness` shows both).
//!
//! ```
//! use neuralnet::{Neuron, SigmoidNeuron};
//! let n = Neuron::<f64>::with_bias(&[0.5, -1.0], 0.2);
//! let x = [1.0, 0.3];
//! let (dw, db) = n.output_gradient(&x)?;
//! let (d_w0, d_b) = (1e-3, -2e-3);
//! let moved = Neuron::with_bias(&[0.5 + d_w0, -1.0], 0.2 + d_b);
//! let actual = moved.activation(&x)? - n.activation(&x)?;
//! let estimate = dw[0] * d_w0 + db * d_b; // equation (3)
//! assert!((actual - estimate).abs() < 1e-6);
//! # Ok::<(), neuralnet::Error>(())
//! ```
//!
//! As the weights and bias grow, σ(c(w·x + b)) tends to the perceptron's
//! output ([`Neuron::scaled`](crate::Neuron::scaled)): a sigmoid neuron is a
//! smoothed perceptron.
//!
//! # 5. The architecture: the 784-30-10 digit network
//!
//! A [`Network`](crate::Network) has an input layer (784 neurons, one per
//! pixel of a 28 × 28 image), hidden layers (here 30 neurons) and an output
//! layer (10 neurons, one per digit). Each layer computes aˡ = σ(wˡaˡ⁻¹ + bˡ);
//! the answer is the output neuron that fires most
//! ([`Network::predict`](crate::Network::predict)).
//!
//! ```
//! use nalgebra::DVector;
//! use neuralnet::{Init, Network};
//! use rand::{SeedableRng, rngs::StdRng};
//! let net = Network::<f32>::new(&[784, 30, 10], Init::StandardNormal, &mut StdRng::seed_from_u64(1))?;
//! let w = net.weights();
//! assert_eq!((w[0].shape(), w[1].shape()), ((30, 784), (10, 30)));
//! let a = net.feedforward(&DVector::from_element(784, 0.5))?;
//! assert_eq!(a.len(), 10);
//! assert!(a.iter().all(|&v| (0.0..=1.0).contains(&v)));
//! assert!(net.predict(&DVector::zeros(784))? < 10);
//! # Ok::<(), neuralnet::Error>(())
//! ```
//!
//! # 6. The quadratic cost: equation (4)
//!
//! C(w, b) ≡ 1/(2n) Σₓ ‖y(x) − a‖² measures how far the outputs a are from
//! the desired y(x): the average of C_x = ‖y(x) − a‖²/2 over the training
//! inputs ([`Quadratic`](crate::Quadratic); [`Network::evaluate`](crate::Network::evaluate)
//! reports it for a [`Dataset`](crate::Dataset)).
//!
//! ```
//! use nalgebra::{DMatrix, DVector};
//! use neuralnet::{Cost, Dataset, Network, Quadratic};
//! // A network of one neuron with weights 0 and bias 0 outputs σ(0) = ½ for every x.
//! let net = Network::from_parameters(vec![DMatrix::zeros(1, 2)], vec![DVector::zeros(1)])?;
//! let data = Dataset::new(DMatrix::zeros(2, 4), DMatrix::from_row_slice(1, 4, &[0.0, 1.0, 1.0, 0.0]))?;
//! // Every example is off by ½: C = (1/2n) Σ (½)² = 1/8.
//! assert_eq!(net.evaluate(&data, &Quadratic)?.cost, 0.125);
//! assert_eq!(Quadratic.cost(&[0.5], &[1.0]), 0.125);
//! # Ok::<(), neuralnet::Error>(())
//! ```
//!
//! # 7. Gradient descent: equations (5) to (12)
//!
//! Moving a small Δv changes the cost by ΔC ≈ ∇C·Δv (equations (5), (7)
//! and, for many variables, (9)), where ∇C is the vector of partial
//! derivatives (equations (6), (10)). Choosing Δv = −η∇C (equations (8),
//! (11)) gives ΔC ≈ −η‖∇C‖² ≤ 0: the ball rolls downhill. Repeating
//! v → v′ = v − η∇C (equations (11), (12)) is gradient descent.
//! (`cargo run --example gradient_descent` draws it on two valleys.)
//!
//! ```
//! // A bowl, C(v₁, v₂) = v₁² + 3v₂², with ∇C = (2v₁, 6v₂).
//! let cost = |v: [f64; 2]| v[0] * v[0] + 3.0 * v[1] * v[1];
//! let grad = |v: [f64; 2]| [2.0 * v[0], 6.0 * v[1]];
//! let (mut v, eta) = ([1.0, 1.0], 0.01);
//! for _ in 0..100 {
//!     let g = grad(v);
//!     let next = [v[0] - eta * g[0], v[1] - eta * g[1]]; // v → v − η∇C
//!     let predicted = -eta * (g[0] * g[0] + g[1] * g[1]); // ΔC ≈ −η‖∇C‖²
//!     let actual = cost(next) - cost(v);
//!     assert!(actual < 0.0 && (actual - predicted).abs() <= 0.1 * predicted.abs());
//!     v = next;
//! }
//! assert!(cost(v) < 0.2);
//! ```
//!
//! # 8. The update rules for a network: equations (13) and (14)
//!
//! For a network the variables are its weights and biases:
//! w_k → w_k − η ∂C/∂w_k and b_l → b_l − η ∂C/∂b_l. Backpropagation
//! ([`Network::backprop`](crate::Network::backprop)) gives every partial
//! derivative at once, as a [`Gradient`](crate::Gradient).
//!
//! ```
//! use nalgebra::DMatrix;
//! use neuralnet::{Dataset, Init, Network, Quadratic};
//! use rand::{SeedableRng, rngs::StdRng};
//! let mut rng = StdRng::seed_from_u64(3);
//! let net = Network::<f64>::new(&[2, 3, 1], Init::StandardNormal, &mut rng)?;
//! let x = DMatrix::from_column_slice(2, 4, &[0., 0., 0., 1., 1., 0., 1., 1.]);
//! let y = DMatrix::from_column_slice(1, 4, &[0., 1., 1., 0.]);
//! let data = Dataset::new(x.clone(), y.clone())?;
//! let grad = net.backprop(&x, &y, &Quadratic)?; // ∇C over all 4 examples
//! let eta = 0.1;
//! let w: Vec<_> = net.weights().iter().zip(grad.weights()).map(|(w, g)| w - g * eta).collect(); // (13)
//! let b: Vec<_> = net.biases().iter().zip(grad.biases()).map(|(b, g)| b - g * eta).collect(); // (14)
//! let stepped = Network::from_parameters(w, b)?;
//! let before = net.evaluate(&data, &Quadratic)?.cost;
//! let after = stepped.evaluate(&data, &Quadratic)?.cost;
//! let predicted = -eta * grad.norm_squared(); // ΔC ≈ −η‖∇C‖²
//! assert!(after < before);
//! assert!(((after - before) - predicted).abs() < 0.05 * predicted.abs());
//! # Ok::<(), neuralnet::Error>(())
//! ```
//!
//! # 9. Stochastic gradient descent: equations (15) to (18)
//!
//! Computing ∇C over all n training inputs is slow. A random mini-batch of
//! m inputs X₁, …, X_m estimates it, (1/m) Σⱼ ∇C_{X_j} ≈ ∇C (equations (15),
//! (16)), and the network steps with that estimate (equations (17), (18)):
//! w → w − (η/m) Σⱼ ∂C_{X_j}/∂w, b → b − (η/m) Σⱼ ∂C_{X_j}/∂b. One pass over
//! the shuffled training data in mini-batches is an *epoch*. That is
//! [`Sgd`](crate::Sgd). (`cargo run --release --example sgd_estimate` shows how
//! the estimate improves with m.)
//!
//! ```
//! use std::ops::ControlFlow;
//! use nalgebra::DMatrix;
//! use neuralnet::{CrossEntropy, Dataset, Init, Network, Sgd};
//! use rand::{SeedableRng, rngs::StdRng};
//! let x = DMatrix::from_column_slice(2, 4, &[0., 0., 0., 1., 1., 0., 1., 1.]);
//! let y = DMatrix::from_column_slice(1, 4, &[0., 1., 1., 0.]);
//! let data = Dataset::new(x, y)?;
//! let mut rng = StdRng::seed_from_u64(7);
//! let mut net = Network::<f64>::new(&[2, 3, 1], Init::StandardNormal, &mut rng)?;
//! let sgd = Sgd::new().with_learning_rate(4.0).with_mini_batch_size(2).with_epochs(3000);
//! sgd.train(&mut net, &data, None, &CrossEntropy, &mut rng, |_, _| ControlFlow::Continue(()))?;
//! assert_eq!(net.evaluate(&data, &CrossEntropy)?.correct, 4); // XOR learned
//! # Ok::<(), neuralnet::Error>(())
//! ```
//!
//! # 10. Backpropagation
//!
//! How the gradient is computed (Nielsen, chapter 2): with zˡ = wˡaˡ⁻¹ + bˡ,
//! the error of layer l is δˡ ≡ ∂C/∂zˡ, and
//!
//! ```text
//! δᴸ = ∇_a C ⊙ σ′(zᴸ)              (1: the output error; for the quadratic cost ∇_a C = a − y)
//! δˡ = ((wˡ⁺¹)ᵀ δˡ⁺¹) ⊙ σ′(zˡ)      (2: errors flow backwards)
//! ∂C/∂bˡ_j = δˡ_j                  (3)
//! ∂C/∂wˡ_jk = aˡ⁻¹_k δˡ_j          (4)
//! ```
//!
//! [`Network::backprop`](crate::Network::backprop) does this for a whole
//! mini-batch at once, as matrix operations; [`Cost`](crate::Cost) supplies
//! δᴸ. For one neuron and one example the four equations fit in a few lines:
//!
//! ```
//! use nalgebra::{DMatrix, DVector};
//! use neuralnet::{Network, Quadratic};
//! use neuralnet::activation::{sigmoid, sigmoid_prime};
//! let w = DMatrix::from_row_slice(1, 2, &[0.4, -0.3]);
//! let net = Network::from_parameters(vec![w], vec![DVector::from_element(1, 0.1)])?;
//! let (x, y): ([f64; 2], f64) = ([1.0, 2.0], 1.0);
//! let z = 0.4 * x[0] - 0.3 * x[1] + 0.1;
//! let delta = (sigmoid(z) - y) * sigmoid_prime(z); // equation 1
//! let g = net.backprop(&DMatrix::from_column_slice(2, 1, &x), &DMatrix::from_element(1, 1, y), &Quadratic)?;
//! assert!((g.biases()[0][0] - delta).abs() < 1e-15); // equation 3
//! assert!((g.weights()[0][(0, 1)] - x[1] * delta).abs() < 1e-15); // equation 4
//! # Ok::<(), neuralnet::Error>(())
//! ```
//!
//! # 11. What comes after
//!
//! Nielsen's chapter 3 improves learning three ways, all available here:
//! the cross-entropy cost ([`CrossEntropy`](crate::CrossEntropy), whose
//! δᴸ = a − y has no slowing σ′ factor), L2 regularisation
//! ([`Sgd::l2_lambda`](crate::Sgd::l2_lambda): w → (1 − ηλ/n)w − …), and
//! weights drawn from N(0, 1/n_in) ([`Init::ScaledNormal`](crate::Init::ScaledNormal)).
//! Together they take the digit network from about 95% to about 97.7% on the
//! MNIST test set (`cargo run --release --example mnist -- --preset ch3`).
//!
//! ```
//! use neuralnet::{CrossEntropy, Cost, Init, Sgd};
//! let sgd = Sgd::new().with_learning_rate(0.5).with_mini_batch_size(10).with_l2_lambda(5.0);
//! sgd.validate()?;
//! // a = 0.9 for y = 1: the cross-entropy output error is just a − y.
//! let mut delta = [0.0];
//! CrossEntropy.delta(neuralnet::Activation::Sigmoid, &[0.9_f64], &[1.0], &mut delta);
//! assert!((delta[0] + 0.1).abs() < 1e-12);
//! let _ = Init::ScaledNormal;
//! # Ok::<(), neuralnet::Error>(())
//! ```
//!
//! # 12. Chapter 3: softmax, the log-likelihood, ReLU and dropout
//!
//! Nielsen's chapter 3 goes further than the sigmoid everywhere.
//!
//! - A **softmax output layer** ([`Activation::Softmax`](crate::Activation::Softmax))
//!   turns the output layer's weighted inputs into a probability
//!   distribution over the classes, a_j = e^(z_j)/Σ_k e^(z_k)
//!   ([`softmax`](crate::activation::softmax)).
//! - The **log-likelihood cost** ([`LogLikelihood`](crate::LogLikelihood))
//!   C = −ln a_y is the natural partner of a softmax: together their output
//!   error is δᴸ = a − y, with no slowing factor. [`Cost::check_output`](crate::Cost::check_output)
//!   refuses pairs that make no sense (the log-likelihood without a
//!   softmax, the cross-entropy with outputs outside (0, 1)) before any
//!   training starts.
//! - **Rectified linear units** ([`Activation::Relu`](crate::Activation::Relu)),
//!   max(0, z), and tanh neurons ([`Activation::Tanh`](crate::Activation::Tanh))
//!   for hidden layers. A ReLU does not saturate for large z: its
//!   derivative is 1 wherever it is active, so backpropagation's
//!   δˡ = ((wˡ⁺¹)ᵀ δˡ⁺¹) ⊙ f′(zˡ) does not shrink on the way down.
//! - **Dropout** ([`Dropout`](crate::sgd::Dropout), set with [`Sgd::with_dropout`](crate::Sgd::with_dropout))
//!   removes a random half of the hidden neurons for each mini-batch, which
//!   keeps the network from relying on any one of them (a regulariser, like
//!   L2). It is inverted: the kept neurons are scaled by 1/(1 − p) during
//!   training, so the trained network is used as it is.
//!
//! Here a network with a ReLU hidden layer and a softmax output learns
//! which quadrant of the plane a point lies in, with the log-likelihood
//! cost and dropout:
//!
//! ```
//! use std::ops::ControlFlow;
//! use nalgebra::DMatrix;
//! use neuralnet::{Activation, Dataset, Init, LogLikelihood, Network, Sgd};
//! use neuralnet::sgd::Dropout;
//! use rand::{RngExt, SeedableRng, rngs::StdRng};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let mut rng = StdRng::seed_from_u64(1);
//! // 1,000 points of [−1, 1]², labelled 0 to 3 by quadrant.
//! let x = DMatrix::from_fn(2, 1000, |_, _| rng.random_range(-1.0..1.0));
//! let labels: Vec<u8> = x
//!     .column_iter()
//!     .map(|p| u8::from(p[0] > 0.0) + 2 * u8::from(p[1] > 0.0))
//!     .collect();
//! let data = Dataset::from_labels(x, &labels, 4)?;
//!
//! let mut net = Network::<f64>::new(&[2, 32, 4], Init::ScaledNormal, &mut rng)?
//!     .with_hidden(Activation::Relu)?
//!     .with_output(Activation::Softmax);
//! Sgd::new()
//!     .with_learning_rate(0.1)
//!     .with_mini_batch_size(10)
//!     .with_epochs(30)
//!     .with_dropout(Dropout::hidden(0.2))
//!     .train(&mut net, &data, None, &LogLikelihood, &mut rng, |_, _| ControlFlow::Continue(()))?;
//!
//! let result = net.evaluate(&data, &LogLikelihood)?;
//! assert!(result.accuracy() > 0.95, "{result:?}");
//! // The outputs are probabilities: positive, summing to 1.
//! let a = net.feedforward(&nalgebra::DVector::from_column_slice(&[0.5, -0.5]))?;
//! assert!((a.sum() - 1.0).abs() < 1e-12);
//! assert_eq!(net.predict(&nalgebra::DVector::from_column_slice(&[0.5, -0.5]))?, 1);
//!
//! // The sigmoid's cross-entropy cost cannot train a softmax output layer.
//! let refused = net.evaluate(&data, &neuralnet::CrossEntropy);
//! assert!(matches!(refused, Err(neuralnet::Error::CostActivation { .. })));
//! # Ok(())
//! # }
//! ```
//!
//! # 13. Layers, optimizers and checkpoints
//!
//! A network is a list of [`Layer`](crate::layer::Layer)s; all of their
//! weights and biases sit in one buffer, and an
//! [`Optimizer`](crate::optim::Optimizer) turns each mini-batch's gradient
//! into a step on it. The lecture's rule w → w − η∇C is
//! [`Optimizer::Sgd`](crate::optim::Optimizer::Sgd); Adam (Kingma and Ba)
//! keeps running averages of each parameter's gradient m and squared
//! gradient s and steps by η m̂/(√ŝ + ε), so every parameter moves at about
//! the same pace whatever the scale of its gradient, and η = 10⁻³ suits
//! most problems. Here a linear output layer
//! ([`Activation::Identity`](crate::Activation::Identity)) with the
//! quadratic cost fits y = 2x₁ − x₂ + ½ (regression), with Adam, early
//! stopping on the validation cost ([`Selection::Cost`](crate::sgd::Selection::Cost)),
//! and the run saved half way as one [`Checkpoint`](crate::model::Checkpoint)
//! file from which it goes on exactly.
//!
//! ```
//! use neuralnet::layer::Layer;
//! use neuralnet::model::{Checkpoint, TrainingRecord};
//! use neuralnet::nalgebra::DMatrix;
//! use neuralnet::optim::Optimizer;
//! use neuralnet::rand::{RngExt, SeedableRng, rngs::StdRng};
//! use neuralnet::sgd::{Selection, TrainingState};
//! use neuralnet::{Activation, Dataset, Init, Network, Quadratic, Sgd};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let mut rng = StdRng::seed_from_u64(1);
//! let x = DMatrix::from_fn(2, 400, |_, _| rng.random_range(-1.0..1.0));
//! let y = DMatrix::from_fn(1, 400, |_, j| 2.0 * x[(0, j)] - x[(1, j)] + 0.5);
//! let (training, validation) = Dataset::new(x, y)?.split_at(300)?;
//! let layers = [
//!     Layer::dense(2, 16, Activation::Relu),
//!     Layer::dense(16, 1, Activation::Identity),
//! ];
//! let mut net = Network::<f64>::from_layers(&layers, Init::ScaledNormal, &mut rng)?;
//! let sgd = Sgd::new()
//!     .with_optimizer(Optimizer::adam())
//!     .with_learning_rate(0.01)
//!     .with_mini_batch_size(20)
//!     .with_epochs(100)
//!     .with_early_stopping(20)
//!     .with_selection(Selection::Cost);
//!
//! // Fifty epochs, then a checkpoint…
//! let mut state = TrainingState::new();
//! sgd.clone().with_epochs(50)
//!     .run(&mut net, &training, &Quadratic, &mut rng)
//!     .evaluation(&validation).state(&mut state).epoch_seed(7).train()?;
//! let path = std::env::temp_dir().join("neuralnet-tutorial.ckpt");
//! Checkpoint::save(&path, &net, &TrainingRecord::default(), &state)?;
//!
//! // …and the rest of the run from it, as if it had never stopped.
//! let Checkpoint { network: mut net, state: mut state, .. } = Checkpoint::<f64>::load(&path)?;
//! sgd.clone().with_starting_epoch(50)
//!     .run(&mut net, &training, &Quadratic, &mut rng)
//!     .evaluation(&validation).state(&mut state).epoch_seed(7).train()?;
//! state.restore_best(&mut net);
//! # std::fs::remove_file(&path)?;
//!
//! // The quadratic cost ½‖y − a‖² of the validation set: near 0.
//! let cost = net.evaluate(&validation, &Quadratic)?.cost;
//! assert!(cost < 1e-3, "{cost}");
//! # Ok(())
//! # }
//! ```
//!
//! # 14. Regression and tables of your own data
//!
//! So far every network has answered "which class?". Many questions ask
//! "how much?": the price of a flat, the yield of a field. That is
//! **regression**, and it needs two changes to the network and one to how
//! it is judged:
//!
//! - **A linear output.** A sigmoid's outputs lie in (0, 1); a price does
//!   not. The output neuron of a regression network is linear,
//!   aᴸ = zᴸ = wᴸ aᴸ⁻¹ + bᴸ ([`Activation::Identity`](crate::Activation::Identity)).
//! - **The quadratic cost** of section 6, C_x = ½(y − a)² ([`Quadratic`](crate::Quadratic)).
//!   With a linear output its output error is δᴸ = a − y, with no σ′
//!   factor to slow it down: this is least squares, and the average cost
//!   is half the mean squared error. (The cross-entropy's ln a and
//!   ln(1 − a) need outputs in (0, 1) and targets in [0, 1]: it refuses a
//!   linear output, and targets outside [0, 1].)
//! - **No "correct".** An answer of 201,000 for a price of 200,000 is
//!   neither right nor wrong. A regression network is judged by how far its
//!   answers are: the mean squared error (1/n) Σ (yᵢ − ŷᵢ)², its root, the
//!   mean absolute error, and R² = 1 − Σ (yᵢ − ŷᵢ)² / Σ (yᵢ − ȳ)², which is 1
//!   for perfect answers and 0 for always answering the mean
//!   ([`prep::r2_score`](crate::prep::r2_score)). Early stopping watches
//!   the validation **cost** ([`Selection::Cost`](crate::sgd::Selection::Cost)),
//!   not an accuracy.
//!
//! Data also needs care. Gradient descent moves every weight by η times
//! its gradient, and the gradient of a weight is proportional to the input
//! it weighs (∂C/∂wˡ_jk = aˡ⁻¹_k δˡ_j, section 10): an input in the
//! thousands (a surface in m², a price) takes steps a thousand times those
//! of an input near 1, and no single η suits both. So each input column is
//! **standardised**, z = (x − μ)/s with the mean μ and standard deviation
//! s of the *training* rows, and so is a regression target (the network's
//! answers are turned back into the target's units). Text columns ("Lyon",
//! "Oslo") become one input per category, 1 for the row's and 0 for the
//! others (one-hot encoding). All of it is learnt on the training rows
//! only and applied unchanged to validation, test and new rows
//! ([`prep`](crate::prep)).
//!
//! Section 13 builds such a network by hand: a linear output, the
//! quadratic cost, Adam and early stopping on the validation cost.
//!
//! The [`estimator`](crate::estimator) module does all of this for a
//! table: a [`Regressor`](crate::estimator::Regressor) or a
//! [`Classifier`](crate::estimator::Classifier) fits the preprocessing
//! on the training rows, holds out a tenth of them to stop on, trains a
//! network with one hidden layer of 100 ReLU neurons by Adam, and keeps
//! the best epoch's weights; it takes raw rows and answers in the user's
//! own labels or units. Its [`FitReport`](crate::estimator::FitReport)
//! says what happened, and warns when a classifier does no better than
//! always answering the most common class, a collapse that a high
//! accuracy on imbalanced data hides (95% of "no" answers score 95%).
//!
//! ```
//! use neuralnet::estimator::{Holdout, Regressor, Settings, Task};
//! use neuralnet::prep::{Table, Target};
//! # fn main() -> Result<(), neuralnet::Error> {
//! // Flats: surface in m² (25 to 124), a city; the price in euros.
//! let n = 300;
//! let surface: Vec<f64> = (0..n).map(|i| 25.0 + ((i * 37) % 100) as f64).collect();
//! let city: Vec<Option<&str>> = (0..n).map(|i| Some(["Lyon", "Oslo", "Rome"][i % 3])).collect();
//! let per_m2 = |i: usize| [4_000.0, 7_000.0, 5_500.0][i % 3];
//! let price: Vec<f64> = (0..n).map(|i| surface[i] * per_m2(i) + 20_000.0).collect();
//! let features = Table::new().with_numeric("surface", surface)?.with_categorical("city", &city)?;
//!
//! let h = Holdout::new(&features, &Target::Numeric(price), 0.2, Task::Regression, 1)?;
//! let (model, report) = Regressor::fit(&h.train_features, &h.train_target, &Settings::new())?;
//! assert!(report.warnings.is_empty(), "{report}");
//! let test = model.evaluate(&h.test_features, &h.test_target)?;
//! assert!(test.r2 > 0.98, "{test}");
//!
//! let flat = Table::new().with_numeric("surface", vec![50.0])?.with_categorical("city", &[Some("Oslo")])?;
//! let euros = model.predict(&flat)?[0]; // 50 · 7,000 + 20,000 = 370,000
//! assert!((euros - 370_000.0).abs() < 25_000.0, "{euros}");
//! # Ok(())
//! # }
//! ```
//!
//! From the command line, `cargo run --release --example tabular -- --train
//! flats.csv --target price` does the same with a CSV file, and prints the
//! test metrics.
//!
//! # 15. Chapter 6: convolutional networks
//!
//! A dense layer treats the 784 pixels as a list: it does not know that
//! pixel 29 sits below pixel 1. Nielsen's chapter 6 builds the picture's
//! shape into the network with three ideas:
//!
//! - **Local receptive fields.** A neuron of a convolutional layer
//!   ([`Conv2d`](crate::layer::Conv2d)) sees a small patch of its input,
//!   5 × 5 pixels say, and its neighbour sees the patch one pixel over:
//!   a 28 × 28 image gives 24 × 24 neurons.
//! - **Shared weights and biases.** All the neurons of one *feature map*
//!   use the same 25 weights and one bias, so they detect the same
//!   feature (an edge, a stroke's end) wherever it is. Neuron (j, k)
//!   computes σ(b + Σ_l Σ_m w_l,m a_j+l,k+m) (Nielsen's equation (125)).
//!   A layer has several maps (20 in Nielsen's first network): 20 · 25
//!   weights and 20 biases in all, where a dense layer of as many outputs
//!   would need nine million.
//! - **Pooling.** A max-pooling layer ([`MaxPool2d`](crate::layer::MaxPool2d))
//!   keeps the largest activation of each 2 × 2 block: whether a feature
//!   was found in a region, not exactly where. Backpropagation sends each
//!   block's error to the neuron that was largest, and nothing to the
//!   others.
//!
//! A dense layer after them takes the maps as one flat vector (the maps
//! are stored one after the other), so there is no flattening layer.
//! Here are the layers of the `mnist` example's `--preset conv1`, trained
//! as Nielsen trains it (η = 0.1, m = 10, 60 epochs, the log-likelihood
//! cost on a softmax); it reaches about 98.9% on the test images (he
//! reports 98.78%), in about 12 minutes here on one core:
//!
//! ```no_run
//! use std::ops::ControlFlow;
//! use neuralnet::layer::{Layer, Shape};
//! use neuralnet::mnist::Mnist;
//! use neuralnet::{Activation, Init, LogLikelihood, Network, Sgd};
//! use rand::{SeedableRng, rngs::StdRng};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let data = Mnist::<f32>::load("data/mnist")?;
//! let layers = [
//!     // 20 feature maps of 5 × 5 receptive fields: 28 × 28 → 20 × 24 × 24.
//!     Layer::conv(Shape::new(1, 28, 28), 20, 5, Activation::Sigmoid),
//!     // 2 × 2 max-pooling: 20 × 12 × 12.
//!     Layer::max_pool(Shape::new(20, 24, 24), 2),
//!     // 100 sigmoid neurons on the 2,880 pooled values, then the digits.
//!     Layer::dense(20 * 12 * 12, 100, Activation::Sigmoid),
//!     Layer::dense(100, 10, Activation::Softmax),
//! ];
//! let mut rng = StdRng::seed_from_u64(1);
//! let mut net = Network::<f32>::from_layers(&layers, Init::ScaledNormal, &mut rng)?;
//! Sgd::new()
//!     .with_learning_rate(0.1)
//!     .with_mini_batch_size(10)
//!     .with_epochs(60)
//!     .train(&mut net, &data.training, Some(&data.validation), &LogLikelihood, &mut rng, |report, _| {
//!         println!("epoch {}: {:?}", report.epoch, report.evaluation);
//!         ControlFlow::Continue(())
//!     })?;
//! println!("test accuracy {:.2}%", 100.0 * net.accuracy(&data.test)?);
//! // The first layer's 20 learned 5 × 5 filters, one row each.
//! assert_eq!(net.weights()[0].shape(), (20, 25));
//! # Ok(())
//! # }
//! ```
//!
//! The same network trains in seconds on small images; this one learns
//! whether a 6 × 6 picture holds a vertical or a horizontal bar:
//!
//! ```
//! use std::ops::ControlFlow;
//! use nalgebra::DMatrix;
//! use neuralnet::layer::{Layer, Shape};
//! use neuralnet::{Activation, Dataset, Init, LogLikelihood, Network, Sgd};
//! use rand::{RngExt, SeedableRng, rngs::StdRng};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let mut rng = StdRng::seed_from_u64(1);
//! let mut x = DMatrix::<f64>::zeros(36, 200);
//! let mut labels = Vec::new();
//! for t in 0..200 {
//!     let (vertical, at) = (t % 2 == 0, rng.random_range(0..6));
//!     for i in 0..6 {
//!         let (row, col) = if vertical { (i, at) } else { (at, i) };
//!         x[(row * 6 + col, t)] = 1.0;
//!     }
//!     labels.push(u8::from(vertical));
//! }
//! let data = Dataset::from_labels(x, &labels, 2)?;
//! let layers = [
//!     Layer::conv(Shape::new(1, 6, 6), 4, 3, Activation::Relu),
//!     Layer::max_pool(Shape::new(4, 4, 4), 2),
//!     Layer::dense(4 * 2 * 2, 2, Activation::Softmax),
//! ];
//! let mut net = Network::<f64>::from_layers(&layers, Init::ScaledNormal, &mut rng)?;
//! Sgd::new()
//!     .with_learning_rate(0.1)
//!     .with_mini_batch_size(10)
//!     .with_epochs(20)
//!     .train(&mut net, &data, None, &LogLikelihood, &mut rng, |_, _| ControlFlow::Continue(()))?;
//! assert!(net.accuracy(&data)? > 0.95);
//! # Ok(())
//! # }
//! ```
