//! Trains a network on the MNIST handwritten digits and reports how many of
//! the 10,000 test digits it recognises: the main job of the crate.
//!
//! ```sh
//! cargo run --release --example mnist                 # the lecture's network (preset ch1)
//! cargo run --release --example mnist -- --preset ch3 # Nielsen's chapter 3 network
//! cargo run --release --example mnist -- --help       # every flag
//! ```
//!
//! The data is looked for in `--data DIR`, else in `$MNIST_DIR`, else in the
//! cache directory (`$XDG_CACHE_HOME/neuralnet/mnist` or
//! `~/.cache/neuralnet/mnist`). When it is in none of them, the four files
//! are downloaded into the cache directory from well-known mirrors and
//! checked against their SHA-256 (`--no-download` turns that off).
//!
//! # Saving, checkpoints and resuming
//!
//! `--save PATH` saves the trained network (JSON if PATH ends in `.json`,
//! the binary format otherwise); `--load PATH` evaluates a saved network, or
//! trains it `--epochs N` more. `--checkpoint PATH` saves after every epoch,
//! atomically, so stopping the program loses at most the epoch in progress;
//! `--resume` continues from that checkpoint.
//!
//! A resumed run ends with exactly the weights of an uninterrupted one: the
//! initial weights come from an RNG seeded with `--seed`, and epoch e
//! shuffles the training data with its own RNG, seeded from (seed, e). The
//! checkpoint records the settings, the seed and the number of epochs done,
//! so the run can pick up at the next epoch; `--resume` refuses a checkpoint
//! made with other settings.

mod charts;

use std::io::{IsTerminal, Write};
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::{Parser, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use neuralnet::mnist::{self, Mnist};
use neuralnet::model::{SavedNetwork, TrainingRecord};
use neuralnet::{
    Cost, CostKind, CrossEntropy, Dataset, EpochReport, Init, Monitor, Network, Quadratic, Real,
    Sgd,
};
use rand::SeedableRng;
use rand::rngs::StdRng;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Preset {
    /// The lecture's network: [784, 30, 10], quadratic cost, η = 3.0, m = 10, N(0, 1), 30 epochs.
    Ch1,
    /// Nielsen's chapter 3: [784, 100, 10], cross-entropy, η = 0.5, λ = 5.0, m = 10, N(0, 1/n_in), 30 epochs.
    Ch3,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum CostName {
    /// C_x = ‖y − a‖²/2 (the lecture's quadratic cost).
    Quadratic,
    /// C_x = −Σ [y ln a + (1 − y) ln(1 − a)].
    CrossEntropy,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum InitName {
    /// Weights and biases from N(0, 1).
    Standard,
    /// Weights from N(0, 1/n_in), biases from N(0, 1).
    Scaled,
}

impl From<CostName> for CostKind {
    fn from(cost: CostName) -> Self {
        match cost {
            CostName::Quadratic => CostKind::Quadratic,
            CostName::CrossEntropy => CostKind::CrossEntropy,
        }
    }
}

impl From<InitName> for Init {
    fn from(init: InitName) -> Self {
        match init {
            InitName::Standard => Init::StandardNormal,
            InitName::Scaled => Init::ScaledNormal,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Dtype {
    F32,
    F64,
}

/// Train a sigmoid network on MNIST by mini-batch SGD and report its accuracy.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Args {
    /// Settings to start from; the flags below override them.
    #[arg(long, value_enum, default_value = "ch1")]
    preset: Preset,
    /// Directory with the four MNIST files (raw or .gz).
    #[arg(long, value_name = "DIR")]
    data: Option<PathBuf>,
    /// Number of epochs.
    #[arg(long)]
    epochs: Option<usize>,
    /// Hidden layer sizes, e.g. `--hidden 30` or `--hidden 100,30`.
    #[arg(long, value_delimiter = ',', num_args = 1..)]
    hidden: Option<Vec<usize>>,
    /// Learning rate η.
    #[arg(long)]
    eta: Option<f64>,
    /// Mini-batch size m.
    #[arg(long)]
    batch: Option<usize>,
    /// Cost function.
    #[arg(long, value_enum)]
    cost: Option<CostName>,
    /// L2 regularisation λ.
    #[arg(long)]
    lambda: Option<f64>,
    /// Weight initialisation.
    #[arg(long, value_enum)]
    init: Option<InitName>,
    /// Seed of the random number generator (initial weights and shuffling).
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Scalar type.
    #[arg(long, value_enum, default_value = "f32")]
    dtype: Dtype,
    /// Same as `--dtype f64`.
    #[arg(long)]
    f64: bool,
    /// Print one JSON object per epoch on stdout (human-readable lines go to stderr).
    #[arg(long)]
    json: bool,
    /// Directory for the pictures (training curve, confusion matrix, hidden
    /// neurons, misclassified digits).
    #[arg(long, value_name = "DIR", default_value = "mnist-out")]
    out: PathBuf,
    /// Do not write the pictures.
    #[arg(long)]
    no_pictures: bool,
    /// Save the trained network here (JSON if the name ends in .json).
    #[arg(long, value_name = "PATH")]
    save: Option<PathBuf>,
    /// Start from a saved network: evaluate it, or train it `--epochs N` more.
    #[arg(long, value_name = "PATH", conflicts_with = "resume")]
    load: Option<PathBuf>,
    /// Save a checkpoint here after every epoch.
    #[arg(long, value_name = "PATH")]
    checkpoint: Option<PathBuf>,
    /// Continue from the `--checkpoint` file, if it exists.
    #[arg(long, requires = "checkpoint")]
    resume: bool,
    /// Never download MNIST; fail if the files are not found.
    #[arg(long)]
    no_download: bool,
    /// Threads for evaluation and large mini-batches (0: one per core).
    /// Training with small mini-batches always runs on one thread.
    #[arg(long, default_value_t = 0)]
    threads: usize,
    /// Also print one line per epoch in the format of the peers benchmark
    /// (`RESULT peer=neuralnet workload=W ...`), labelled with this workload.
    #[arg(long, value_name = "WORKLOAD")]
    peer_format: Option<String>,
}

/// Settings after the preset and the flags are combined.
#[derive(Debug)]
struct Settings {
    sizes: Vec<usize>,
    sgd: Sgd,
    cost: CostName,
    init: InitName,
}

impl Settings {
    /// What goes into saved files with the network.
    fn record(&self, seed: u64, epochs_completed: usize) -> TrainingRecord {
        TrainingRecord {
            cost: Some(self.cost.into()),
            init: Some(self.init.into()),
            learning_rate: Some(self.sgd.learning_rate()),
            mini_batch_size: Some(self.sgd.mini_batch_size()),
            l2_lambda: Some(self.sgd.l2_lambda()),
            epochs: Some(self.sgd.epochs()),
            epochs_completed,
            seed: Some(seed),
        }
    }
}

/// The RNG that shuffles the training data in epoch `epoch`: a function of
/// the seed and the epoch alone, so that a resumed run shuffles exactly as an
/// uninterrupted one.
fn epoch_rng(seed: u64, epoch: usize) -> StdRng {
    StdRng::seed_from_u64(seed ^ (epoch as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15))
}

impl Args {
    fn settings(&self) -> Settings {
        let (hidden, eta, lambda, cost, init) = match self.preset {
            Preset::Ch1 => (vec![30], 3.0, 0.0, CostName::Quadratic, InitName::Standard),
            Preset::Ch3 => (
                vec![100],
                0.5,
                5.0,
                CostName::CrossEntropy,
                InitName::Scaled,
            ),
        };
        let mut sizes = vec![784];
        sizes.extend(self.hidden.clone().unwrap_or(hidden));
        sizes.push(10);
        Settings {
            sizes,
            sgd: Sgd::new()
                .with_epochs(self.epochs.unwrap_or(30))
                .with_learning_rate(self.eta.unwrap_or(eta))
                .with_mini_batch_size(self.batch.unwrap_or(10))
                .with_l2_lambda(self.lambda.unwrap_or(lambda)),
            cost: self.cost.unwrap_or(cost),
            init: self.init.unwrap_or(init),
        }
    }
}

type BoxError = Box<dyn std::error::Error>;

/// `println!` that ends the program quietly when the reader of stdout has
/// gone (`mnist | head -3`) instead of panicking, and with a message on any
/// other write error. A checkpoint is never half-written by this: saves are
/// atomic.
macro_rules! out {
    ($($arg:tt)*) => {
        write_stdout(format_args!($($arg)*))
    };
}

fn write_stdout(line: std::fmt::Arguments<'_>) {
    let mut stdout = std::io::stdout().lock();
    if let Err(e) = writeln!(stdout, "{line}").and_then(|()| stdout.flush()) {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        eprintln!("error: cannot write to standard output: {e}");
        std::process::exit(1);
    }
}

fn main() -> ExitCode {
    let args = Args::parse();
    neuralnet::threads::set_num_threads(args.threads);
    let result = if args.f64 || args.dtype == Dtype::F64 {
        run::<f64>(&args)
    } else {
        run::<f32>(&args)
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn cache_dir() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))?;
    Some(base.join("neuralnet").join("mnist"))
}

fn has_mnist(dir: &Path) -> bool {
    mnist::FILES
        .iter()
        .all(|name| mnist::find_file(dir, name).is_ok())
}

/// `--data`, else `$MNIST_DIR`, else the cache directory, downloading into
/// the cache when the files are nowhere (unless `--no-download`).
fn find_data(args: &Args, say: &dyn Fn(String)) -> Result<PathBuf, BoxError> {
    if let Some(dir) = &args.data {
        return Ok(dir.clone());
    }
    let mut looked = Vec::new();
    if let Some(dir) = std::env::var_os("MNIST_DIR").filter(|v| !v.is_empty()) {
        let dir = PathBuf::from(dir);
        if has_mnist(&dir) {
            return Ok(dir);
        }
        looked.push(format!("$MNIST_DIR = {}", dir.display()));
    }
    let cache = cache_dir();
    if let Some(dir) = &cache {
        if has_mnist(dir) {
            return Ok(dir.clone());
        }
        looked.push(format!("the cache directory {}", dir.display()));
    }
    let where_to_put = format!(
        "MNIST not found (looked in {}).\n\
         Put the four files {} (each may end in .gz) in one of these directories,\n\
         or pass --data DIR, or set MNIST_DIR.",
        looked.join(" and "),
        mnist::FILES.join(", ")
    );
    match cache {
        Some(dir) if !args.no_download => {
            say(format!(
                "MNIST not found (looked in {}); downloading it into {}",
                looked.join(" and "),
                dir.display()
            ));
            let fetched = mnist::download_files(&dir, &mnist::MIRRORS, &mnist::REMOTE_FILES, |f| {
                say(format!(
                    "  downloading {}.gz ({:.1} MB uncompressed), checking its SHA-256",
                    f.name,
                    f.len as f64 / 1e6
                ))
            })
            .map_err(|e| format!("{e}\n{where_to_put}"))?;
            say(format!(
                "Downloaded and verified {} file(s) into {}",
                fetched.len(),
                dir.display()
            ));
            Ok(dir)
        }
        _ => Err(where_to_put.into()),
    }
}

/// Progress within an epoch (a bar on a terminal), one line per epoch, and
/// the checkpoint after each epoch.
struct Progress<'a, T: Real> {
    bar: Option<ProgressBar>,
    json: bool,
    started: Instant,
    curve: Curve,
    /// Evaluated after each epoch for the training curve, when pictures are drawn.
    validation: Option<(&'a Dataset<T>, &'a dyn Cost<T>)>,
    checkpoint: Option<(&'a Path, &'a Settings, u64)>,
    error: Option<neuralnet::Error>,
    /// `(workload, dtype)` for `--peer-format` lines.
    peer: Option<(&'a str, &'static str)>,
}

/// The training curve's values, one per epoch (accuracy in percent).
#[derive(Default)]
struct Curve {
    epochs: Vec<usize>,
    test: (Vec<f64>, Vec<f64>),
    validation: (Vec<f64>, Vec<f64>),
}

impl<T: Real> Monitor<T> for Progress<'_, T> {
    fn on_batch(&mut self, done: usize, total: usize) {
        if let Some(bar) = &self.bar {
            if done == total {
                bar.finish_and_clear();
                bar.reset();
            } else if done % 1000 < 10 {
                bar.set_length(total as u64);
                bar.set_position(done as u64);
            }
        }
    }

    fn on_epoch(&mut self, r: &EpochReport, net: &Network<T>) -> ControlFlow<()> {
        let e = r.evaluation.expect("the test set is evaluated every epoch");
        let line = format!(
            "Epoch {}: {} / {}, cost {:.4}, {:.2} s",
            r.epoch,
            e.correct,
            e.total,
            e.cost,
            r.training_time.as_secs_f64()
        );
        if self.json {
            eprintln!("{line}");
            out!(
                "{{\"epoch\":{},\"seconds\":{:.6},\"correct\":{},\"total\":{},\"accuracy\":{:.6},\"cost\":{:.8},\"evaluation_seconds\":{:.6}}}",
                r.epoch,
                r.training_time.as_secs_f64(),
                e.correct,
                e.total,
                e.accuracy(),
                e.cost,
                r.evaluation_time.as_secs_f64()
            );
        } else {
            out!("{line}");
        }
        if let Some((workload, dtype)) = self.peer {
            out!(
                "RESULT peer=neuralnet workload={workload} threads={} dtype={dtype} epoch={} seconds={:.4} test_accuracy={:.4}",
                neuralnet::threads::num_threads(),
                r.epoch,
                r.training_time.as_secs_f64(),
                e.accuracy()
            );
        }
        self.curve.epochs.push(r.epoch);
        self.curve.test.0.push(100.0 * e.accuracy());
        self.curve.test.1.push(e.cost);
        if let Some((data, cost)) = self.validation
            && let Ok(v) = net.evaluate(data, cost)
        {
            self.curve.validation.0.push(100.0 * v.accuracy());
            self.curve.validation.1.push(v.cost);
        }
        if let Some((path, settings, seed)) = self.checkpoint
            && let Err(err) = net.save_with_record(path, &settings.record(seed, r.epoch))
        {
            self.error = Some(err);
            return ControlFlow::Break(());
        }
        ControlFlow::Continue(())
    }
}

fn run<T: Real>(args: &Args) -> Result<(), BoxError> {
    let mut settings = args.settings();
    settings.sgd.validate()?;
    // Human-readable lines go to stdout, or to stderr when stdout carries JSON.
    let say = |s: String| {
        if args.json {
            eprintln!("{s}")
        } else {
            out!("{s}")
        }
    };
    let dir = find_data(args, &say)?;

    let loading = Instant::now();
    let data = Mnist::<T>::load(&dir)?;
    say(format!(
        "Loaded MNIST from {} in {:.2} s: {} training, {} validation, {} test images",
        dir.display(),
        loading.elapsed().as_secs_f64(),
        data.training.len(),
        data.validation.len(),
        data.test.len()
    ));
    // The starting point: a new network, a saved one, or a checkpoint.
    let (mut net, done) = match (&args.load, &args.checkpoint) {
        (Some(path), _) => {
            let saved = SavedNetwork::<T>::load(path).map_err(|e| match e {
                neuralnet::Error::ScalarMismatch { found, .. } => {
                    format!(
                        "{}: the network was saved as {found}: add --dtype {found}",
                        path.display()
                    )
                }
                e => e.to_string(),
            })?;
            // Flags given win; otherwise the saved network's own settings.
            let r = &saved.record;
            if args.cost.is_none() {
                match r.cost {
                    Some(CostKind::Quadratic) => settings.cost = CostName::Quadratic,
                    Some(CostKind::CrossEntropy) => settings.cost = CostName::CrossEntropy,
                    _ => {}
                }
            }
            let mut sgd = settings.sgd.clone();
            if let (None, Some(eta)) = (args.eta, r.learning_rate) {
                sgd = sgd.with_learning_rate(eta);
            }
            if let (None, Some(m)) = (args.batch, r.mini_batch_size) {
                sgd = sgd.with_mini_batch_size(m);
            }
            if let (None, Some(lambda)) = (args.lambda, r.l2_lambda) {
                sgd = sgd.with_l2_lambda(lambda);
            }
            settings.sgd = sgd;
            say(format!(
                "Loaded {} ({:?}, {} epochs trained)",
                path.display(),
                saved.network.sizes(),
                saved.record.epochs_completed
            ));
            // Train `--epochs N` more, or just evaluate.
            let more = args.epochs.unwrap_or(0);
            let done = saved.record.epochs_completed;
            settings.sgd = settings.sgd.clone().with_epochs(done + more);
            settings.sgd.validate()?;
            settings.sizes = saved.network.sizes().to_vec();
            (saved.network, done)
        }
        (None, Some(path)) if args.resume && path.exists() => {
            let saved = SavedNetwork::<T>::load(path)?;
            let done = saved.record.epochs_completed;
            // Everything but the epoch counts must match: a resumed run may
            // also be asked to go on for more epochs than first planned.
            let expected = settings.record(args.seed, done);
            let same = TrainingRecord {
                epochs: expected.epochs,
                ..saved.record.clone()
            } == expected;
            if !same || saved.network.sizes() != settings.sizes.as_slice() {
                return Err(format!(
                    "{} was made with other settings ({:?}, {:?}) than this run ({:?}, {:?}); \
                     run with the same flags, or without --resume to start again",
                    path.display(),
                    saved.network.sizes(),
                    saved.record,
                    settings.sizes,
                    expected
                )
                .into());
            }
            say(format!(
                "Resuming from {} after epoch {done}",
                path.display()
            ));
            (saved.network, done)
        }
        _ => {
            let mut rng = StdRng::seed_from_u64(args.seed);
            (
                Network::<T>::new(&settings.sizes, settings.init.into(), &mut rng)?,
                0,
            )
        }
    };
    let sgd = &settings.sgd;
    say(format!(
        "Network {:?} ({} parameters, {}), {:?} cost, η = {}, m = {}, λ = {}, {:?} initialisation, {} epochs, seed {}",
        settings.sizes,
        net.num_parameters(),
        std::any::type_name::<T>(),
        settings.cost,
        sgd.learning_rate(),
        sgd.mini_batch_size(),
        sgd.l2_lambda(),
        settings.init,
        sgd.epochs(),
        args.seed
    ));
    let cost: &dyn Cost<T> = match settings.cost {
        CostName::Quadratic => &Quadratic,
        CostName::CrossEntropy => &CrossEntropy,
    };

    let bar = (!args.json && std::io::stdout().is_terminal()).then(|| {
        let bar = ProgressBar::new(data.training.len() as u64);
        bar.set_style(
            ProgressStyle::with_template("  {bar:40} {pos}/{len} images, {elapsed}")
                .expect("valid template"),
        );
        bar
    });
    let mut progress = Progress {
        bar,
        json: args.json,
        started: Instant::now(),
        curve: Curve::default(),
        validation: (!args.no_pictures).then_some((&data.validation, cost)),
        checkpoint: args
            .checkpoint
            .as_deref()
            .map(|p| (p, &settings, args.seed)),
        error: None,
        peer: args
            .peer_format
            .as_deref()
            .map(|w| (w, std::any::type_name::<T>())),
    };
    // One epoch at a time, each with its own shuffling RNG (see the module docs).
    let mut reports = Vec::new();
    for epoch in done + 1..=sgd.epochs() {
        let one = sgd
            .clone()
            .with_starting_epoch(epoch - 1)
            .with_epochs(epoch);
        let mut rng = epoch_rng(args.seed, epoch);
        reports.extend(one.train_with(
            &mut net,
            &data.training,
            Some(&data.test),
            cost,
            &mut rng,
            &mut progress,
        )?);
        if let Some(err) = progress.error.take() {
            return Err(format!("could not save the checkpoint: {err}").into());
        }
    }
    let wall = progress.started.elapsed();

    let training_time: Duration = reports.iter().map(|r| r.training_time).sum();
    let mut times: Vec<f64> = reports
        .iter()
        .map(|r| r.training_time.as_secs_f64())
        .collect();
    times.sort_by(f64::total_cmp);
    let median = times.get(times.len() / 2).copied().unwrap_or(0.0);
    let test = net.evaluate(&data.test, cost)?;
    let validation = net.evaluate(&data.validation, cost)?;
    say(format!(
        "Test accuracy: {} / {} = {:.2}%; validation accuracy: {} / {} = {:.2}%",
        test.correct,
        test.total,
        100.0 * test.accuracy(),
        validation.correct,
        validation.total,
        100.0 * validation.accuracy()
    ));
    if !reports.is_empty() {
        say(format!(
            "Training time: {:.2} s over {} epochs (median {:.3} s per epoch); {:.2} s in all with evaluation",
            training_time.as_secs_f64(),
            reports.len(),
            median,
            wall.as_secs_f64()
        ));
    }

    if let Some(path) = &args.save {
        net.save_with_record(path, &settings.record(args.seed, done + reports.len()))?;
        say(format!("Saved the network to {}", path.display()));
    }
    if !args.no_pictures && !progress.curve.epochs.is_empty() {
        write_pictures::<T>(args, &net, &data.test, &progress.curve, &settings, &say)?;
    }
    Ok(())
}

fn write_pictures<T: Real>(
    args: &Args,
    net: &Network<T>,
    test: &Dataset<T>,
    curve: &Curve,
    settings: &Settings,
    say: &dyn Fn(String),
) -> Result<(), BoxError> {
    std::fs::create_dir_all(&args.out).map_err(|e| format!("{}: {e}", args.out.display()))?;
    let title = format!(
        "MNIST {:?}, {:?} cost, η = {}, m = {}, λ = {}",
        settings.sizes,
        settings.cost,
        settings.sgd.learning_rate(),
        settings.sgd.mini_batch_size(),
        settings.sgd.l2_lambda()
    );
    let curve_path = args.out.join("training-curve.svg");
    fn series<'a>(
        (accuracy, cost): &'a (Vec<f64>, Vec<f64>),
        n: usize,
    ) -> Option<charts::Series<'a>> {
        (accuracy.len() == n).then_some(charts::Series { accuracy, cost })
    }
    let picture = charts::training_curve(
        &curve.epochs,
        series(&curve.validation, curve.epochs.len()),
        series(&curve.test, curve.epochs.len()),
        &title,
    );
    std::fs::write(&curve_path, picture).map_err(|e| format!("{}: {e}", curve_path.display()))?;

    let outputs = net.feedforward_batch(test.inputs())?;
    let argmax = |col: nalgebra::DVectorView<T>| {
        col.iter()
            .enumerate()
            .fold(0, |b, (i, v)| if *v > col[b] { i } else { b })
    };
    let mut wrong = Vec::new();
    let mut pixels = Vec::new();
    // Row = true digit, column = predicted (the lead may swap in a library
    // confusion matrix).
    let mut confusion = vec![0usize; 100];
    for j in 0..test.len() {
        let (truth, guess) = (argmax(test.targets().column(j)), argmax(outputs.column(j)));
        confusion[truth * 10 + guess] += 1;
        if truth != guess {
            let img: Vec<u8> = test
                .inputs()
                .column(j)
                .iter()
                .map(|&v| {
                    let p = neuralnet_to_f64(v) * 255.0;
                    p.round().clamp(0.0, 255.0) as u8
                })
                .collect();
            pixels.push(img);
            wrong.push((truth, guess));
        }
    }
    let total_wrong = wrong.len();
    let shown: Vec<(&[u8], usize, usize)> = pixels
        .iter()
        .zip(&wrong)
        .take(60)
        .map(|(p, &(t, g))| (p.as_slice(), t, g))
        .collect();
    let grid_path = args.out.join("misclassified.svg");
    let grid_title = format!(
        "The first {} of {total_wrong} misclassified test digits (true → predicted)",
        shown.len()
    );
    std::fs::write(&grid_path, charts::digit_grid(&shown, 28, &grid_title))
        .map_err(|e| format!("{}: {e}", grid_path.display()))?;

    let confusion_path = args.out.join("confusion-matrix.svg");
    let correct: usize = (0..10).map(|d| confusion[d * 10 + d]).sum();
    let confusion_title = format!(
        "Test set: {correct} / {} right; row = true digit, column = predicted",
        test.len()
    );
    std::fs::write(
        &confusion_path,
        charts::confusion_matrix(&confusion, 10, &confusion_title),
    )
    .map_err(|e| format!("{}: {e}", confusion_path.display()))?;

    // Hidden neuron i's incoming weights: row i of the first weight matrix.
    let first = &net.weights()[0];
    let shown_neurons = first.nrows().min(100);
    let weights: Vec<f32> = (0..shown_neurons)
        .flat_map(|i| {
            first
                .row(i)
                .iter()
                .map(|&w| neuralnet_to_f64(w) as f32)
                .collect::<Vec<_>>()
        })
        .collect();
    let neurons_path = args.out.join("hidden-neurons.svg");
    let neurons_title = format!(
        "What each hidden neuron looks for: its 784 incoming weights ({shown_neurons} of {} neurons)",
        first.nrows()
    );
    std::fs::write(
        &neurons_path,
        charts::weight_images(&weights, 28, 10, &neurons_title),
    )
    .map_err(|e| format!("{}: {e}", neurons_path.display()))?;
    say(format!(
        "Wrote {} (accuracy and cost per epoch), {} ({} of {total_wrong} misclassified test digits), {} and {}",
        curve_path.display(),
        grid_path.display(),
        shown.len(),
        confusion_path.display(),
        neurons_path.display()
    ));
    Ok(())
}

fn neuralnet_to_f64<T: Real>(v: T) -> f64 {
    nalgebra::try_convert::<T, f64>(v).unwrap_or(0.0)
}
