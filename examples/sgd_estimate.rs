//! Equations (15) and (16) of the lecture notes, measured: the gradient of a
//! random mini-batch of m training images, (1/m) Σⱼ ∇C_{X_j}, estimates the
//! full gradient ∇C over all n images, and the estimate improves as m grows.
//!
//! On MNIST and the lecture's [784, 30, 10] network (after one epoch of
//! training, so that the gradient is a typical one), for m = 1, 10, 100 and
//! 1000 it averages over random draws the cosine similarity between the
//! estimate and ∇C and the relative error ‖estimate − ∇C‖ / ‖∇C‖, and times
//! one estimate.
//!
//! `cargo run --release --example sgd_estimate [-- --data DIR --draws 30]`
//! (`-- --help` lists the flags; `--result-lines` adds machine-readable
//! `RESULT m=...` lines at the end). The data is found as in the `mnist`
//! example: `--data`, `$MNIST_DIR`, the cache directory, then a download
//! (see `examples/common/mnist_data.rs`).

#[path = "common/mnist_data.rs"]
mod mnist_data;

use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use clap::Parser;
use neuralnet::mnist::Mnist;
use neuralnet::{Init, Network, Quadratic, Sgd};
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::index;

type BoxError = Box<dyn std::error::Error>;

/// Measure how well a random mini-batch's gradient estimates the full
/// gradient ∇C (equations (15) and (16) of the lecture notes).
///
/// Trains the lecture's [784, 30, 10] network on MNIST for one epoch, then,
/// for mini-batch sizes m = 1, 10, 100 and 1000, draws random mini-batches
/// and prints the average cosine similarity between the estimate
/// (1/m) Σⱼ ∇C_{X_j} and ∇C, the relative error ‖estimate − ∇C‖ / ‖∇C‖ and
/// the time of one estimate.
#[derive(Debug, Parser)]
#[command(about, long_about)]
struct Args {
    /// Directory with the four MNIST files (raw or .gz). Default: $MNIST_DIR,
    /// else the cache directory (~/.cache/neuralnet/mnist), else a download.
    #[arg(long, value_name = "DIR")]
    data: Option<PathBuf>,
    /// Random mini-batches drawn for each m (at least 1).
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u32).range(1..))]
    draws: u32,
    /// Never download MNIST; fail if the files are not found.
    #[arg(long)]
    no_download: bool,
    /// Also print one machine-readable line per m at the end:
    /// `RESULT m=... cosine=... relative_error=... micros=...`.
    #[arg(long)]
    result_lines: bool,
}

fn run(dir: &Path, draws: usize, result_lines: bool) -> Result<(), BoxError> {
    let data = Mnist::<f64>::load(dir)?;
    let train = &data.training;
    let n = train.len();
    let mut rng = StdRng::seed_from_u64(1);
    let mut net = Network::<f64>::new(&[784, 30, 10], Init::StandardNormal, &mut rng)?;
    Sgd::new()
        .with_learning_rate(3.0)
        .with_mini_batch_size(10)
        .with_epochs(1)
        .train(&mut net, train, None, &Quadratic, &mut rng, |_, _| {
            ControlFlow::Continue(())
        })?;

    let started = Instant::now();
    let full = net.backprop(train.inputs(), train.targets(), &Quadratic)?;
    let full_time = started.elapsed();
    let full_norm = full.norm_squared().sqrt();
    println!(
        "Full gradient ∇C over all n = {n} training images: ‖∇C‖ = {full_norm:.5}, {:.1} ms",
        full_time.as_secs_f64() * 1e3
    );
    println!(
        "Mini-batch estimates (1/m) Σⱼ ∇C_X_j, averaged over {draws} random mini-batches each:\n"
    );
    println!("      m | cosine(estimate, ∇C) | ‖estimate − ∇C‖ / ‖∇C‖ | time per estimate");
    let mut results = Vec::new();
    let mut errors = Vec::new();
    for m in [1, 10, 100, 1000].into_iter().filter(|&m| m <= n) {
        let (mut cosine, mut error, mut seconds) = (0.0, 0.0, 0.0);
        for _ in 0..draws {
            let picked = index::sample(&mut rng, n, m).into_vec();
            let x = train.inputs().select_columns(&picked);
            let y = train.targets().select_columns(&picked);
            let started = Instant::now();
            let estimate = net.backprop(&x, &y, &Quadratic)?;
            seconds += started.elapsed().as_secs_f64();
            // Both gradients belong to the same network: dot cannot fail.
            let dot = estimate.dot(&full)?;
            let est_norm2 = estimate.norm_squared();
            cosine += dot / (est_norm2.sqrt() * full_norm);
            // ‖e − f‖² = ‖e‖² − 2 e·f + ‖f‖².
            let diff2 = (est_norm2 - 2.0 * dot + full_norm * full_norm).max(0.0);
            error += diff2.sqrt() / full_norm;
        }
        let k = draws as f64;
        let (cosine, error, micros) = (cosine / k, error / k, seconds / k * 1e6);
        println!("  {m:>5} | {cosine:>20.4} | {error:>22.4} | {micros:>12.1} µs");
        errors.push((m, error));
        results.push(format!(
            "RESULT m={m} cosine={cosine:.6} relative_error={error:.6} micros={micros:.1}"
        ));
    }
    println!();
    println!("The estimate points more and more the way of ∇C as m grows, while its cost grows");
    println!("as m: SGD trades a noisier direction for many more, cheaper steps. Averaging m");
    println!("independent draws would divide the error by √10 ≈ 3.16 for every tenfold m:");
    for w in errors.windows(2) {
        let ((m0, e0), (m1, e1)) = (w[0], w[1]);
        println!("  m = {m0} → {m1}: the error fell {:.2}-fold", e0 / e1);
    }
    println!(
        "(for small m a few examples with large gradients dominate, so it falls more slowly)."
    );
    if result_lines {
        println!();
        for line in results {
            println!("{line}");
        }
    }
    Ok(())
}

fn main() -> ExitCode {
    let args = Args::parse();
    let dir = match mnist_data::locate(args.data.as_deref(), !args.no_download, &mut |s| {
        println!("{s}")
    }) {
        Ok(dir) => dir,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    match run(&dir, args.draws as usize, args.result_lines) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
