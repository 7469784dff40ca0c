//! The crate's integration tests, as one test binary: each file of this
//! folder is a module. One binary instead of one per file means the
//! crate's generic code is compiled and linked once rather than twenty
//! times, and its tests run in parallel across the cores rather than one
//! binary after another (a fresh `cargo test` took 240 s with a binary
//! per file, 175 s like this, on a 2-core machine within the same hour).
//!
//! Some tests stay binaries of their own, beside this folder: those that
//! install a counting global allocator (`allocations`, `bounded_memory`,
//! `predictor_allocations`, `untrusted_input`), whose counts other
//! tests running at the same time would disturb; the one that changes the
//! process-wide thread count (`threads`); the one timing a server's
//! answers (`draw_server`); and the ignored ones on the real MNIST or a
//! browser (`browser`, `handwriting`, `mnist_real`).
//!
//! Run one file's tests with `cargo test --test suite conv::`. Property
//! tests keep the failures they find in `tests/proptest-regressions/`
//! (proptest's place for a test binary with a `main.rs`), and rerun them
//! first.

#[path = "../strokes/mod.rs"]
mod strokes;

mod activations;
mod adam;
mod augment;
mod conv;
mod dataset;
mod download;
mod estimator;
mod examples;
mod gradient_check;
mod hostile;
mod idx;
mod model_file;
mod network;
mod neurons;
mod optimizers;
mod predictor;
mod prep;
mod preprocess;
mod reference_values;
mod training;
