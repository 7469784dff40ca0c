//! A web page to draw digits on and watch the network decide.
//!
//! ```sh
//! cargo run --release --example draw                       # trains first (seconds)
//! cargo run --release --example draw -- --model digits.nnet
//! ```
//!
//! Open the address it prints. The page (served from 127.0.0.1 only, all of
//! it built into the program: it needs no internet) has a pad for the mouse,
//! a finger or a pen; while you draw, the pad's pixels go to this program,
//! which runs them through [`neuralnet::mnist::preprocess_digit`] and the network
//! and answers with the ten output activations and the 28 × 28 image the
//! network saw. For a convolutional network (say one saved by
//! `cargo run --release --example mnist -- --preset conv1 --save conv1.nnet`)
//! the page also shows what its first layer's feature maps make of the
//! drawing.
//!
//! Without `--model` it trains Nielsen's chapter 3 network (784-100-10,
//! cross-entropy, L2 regularisation) for a few epochs on MNIST, found as the
//! `mnist` example finds it: `--data DIR`, else `$MNIST_DIR`, else its cache
//! directory (run `cargo run --release --example mnist` once to download it).

#[path = "../common/mnist_data.rs"]
mod mnist_data;
mod server;

use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use clap::Parser;
use neuralnet::mnist::Mnist;
use neuralnet::{CrossEntropy, Init, Network, Sgd};
use rand::SeedableRng;
use rand::rngs::StdRng;

/// Draw digits in a browser and watch an MNIST network decide.
#[derive(Parser, Debug)]
#[command(name = "draw")]
struct Args {
    /// A network saved by `cargo run --release --example mnist -- --save PATH`
    /// (784 inputs, 10 outputs). Without it, one is trained first.
    #[arg(long, value_name = "PATH")]
    model: Option<PathBuf>,
    /// The directory holding the four MNIST files (for training).
    #[arg(long, value_name = "DIR")]
    data: Option<PathBuf>,
    /// Epochs to train for when no --model is given.
    #[arg(long, default_value_t = 8)]
    epochs: usize,
    /// The port on 127.0.0.1. Without it: 8028, or a free port the system
    /// picks when 8028 is taken (so two runs never collide); 0 always lets
    /// the system pick.
    #[arg(long)]
    port: Option<u16>,
}

type BoxError = Box<dyn std::error::Error>;

/// The port tried first when none is given.
const DEFAULT_PORT: u16 = 8028;

fn main() -> ExitCode {
    let args = Args::parse();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &Args) -> Result<(), BoxError> {
    let net = match &args.model {
        Some(path) => load(path)?,
        None => train(args)?,
    };
    if net.input_size() != 784 || net.output_size() != 10 {
        return Err(format!(
            "a {:?} network is not a digit classifier (784 inputs, 10 outputs)",
            net.sizes()
        )
        .into());
    }
    let server = server::bind(args.port, DEFAULT_PORT)?;
    println!(
        "Open http://{}/ in a browser and draw a digit (Ctrl-C to stop).",
        server.address()
    );
    server.serve(&net);
    Ok(())
}

fn load(path: &Path) -> Result<Network<f32>, BoxError> {
    let net = match Network::<f32>::load(path) {
        Ok(net) => net,
        Err(neuralnet::Error::ScalarMismatch { .. }) => {
            Network::<f64>::load(path)?.cast::<f32>()?
        }
        Err(e) => return Err(e.into()),
    };
    println!("Loaded {} ({:?}).", path.display(), net.sizes());
    Ok(net)
}

/// `--data`, else `$MNIST_DIR`, else the `mnist` example's cache directory
/// (the shared way of `common/mnist_data.rs`, without a download).
fn find_data(args: &Args) -> Result<PathBuf, BoxError> {
    mnist_data::locate(args.data.as_deref(), false, &mut |_| {}).map_err(|e| {
        format!(
            "{e}\nOr run `cargo run --release --example mnist` once (it downloads MNIST into \
             its cache), or pass --model PATH."
        )
        .into()
    })
}

fn train(args: &Args) -> Result<Network<f32>, BoxError> {
    let dir = find_data(args)?;
    let start = Instant::now();
    let mnist = Mnist::<f32>::load(&dir)?;
    println!(
        "No --model given: training a 784-100-10 network on MNIST from {} for {} epochs...",
        dir.display(),
        args.epochs
    );
    let mut rng = StdRng::seed_from_u64(1);
    let mut net = Network::<f32>::new(&[784, 100, 10], Init::ScaledNormal, &mut rng)?;
    Sgd::new()
        .with_epochs(args.epochs)
        .with_learning_rate(0.5)
        .with_l2_lambda(5.0)
        .with_mini_batch_size(10)
        .train(
            &mut net,
            &mnist.training,
            None,
            &CrossEntropy,
            &mut rng,
            |_, _| ControlFlow::Continue(()),
        )?;
    let test = net.evaluate(&mnist.test, &CrossEntropy)?;
    println!(
        "Trained in {:.1} s: {} / {} test digits right ({:.2} %).",
        start.elapsed().as_secs_f64(),
        test.correct,
        test.total,
        100.0 * test.accuracy()
    );
    Ok(net)
}
