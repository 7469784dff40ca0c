//! The command line: flags, presets, and the settings they add up to.

use std::path::PathBuf;

use clap::builder::{PossibleValuesParser, TypedValueParser};
use clap::{Parser, ValueEnum};
use neuralnet::model::TrainingRecord;
use neuralnet::optim::{Optimizer, OptimizerKind};
use neuralnet::{CostKind, Init, Sgd};

/// Settings to start from; the flags override them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Preset {
    /// The lecture's network: [784, 30, 10], quadratic cost, η = 3.0, m = 10, N(0, 1), 30 epochs.
    Ch1,
    /// Nielsen's chapter 3: [784, 100, 10], cross-entropy, η = 0.5, λ = 5.0, m = 10, N(0, 1/n_in), 30 epochs.
    Ch3,
    /// Beyond the lecture: [784, 800, 800, 10] with ReLU hidden layers, a softmax output and the log-likelihood cost, m = 100, η = 0.05 with Nesterov momentum 0.9 and a cosine schedule, digits distorted afresh each epoch, 60 epochs; settings chosen on the validation set, the test set evaluated once at the end (f32 only).
    Best,
    /// Nielsen's chapter 6 (network3.py): a conv-pool layer (20 maps of 5 × 5, 2 × 2 max-pooling), 100 sigmoid neurons, softmax; η = 0.1, m = 10, 60 epochs (f32 only; validation set each epoch, test set once at the end).
    Conv1,
    /// conv1 with a second conv-pool layer of 40 maps.
    Conv2,
    /// conv2 with ReLU everywhere, η = 0.03 and Nielsen's λ = 0.1 (λ = 1.0 in this crate's convention).
    ConvRelu,
    /// Two conv-pool layers, two dense layers of 1,000 ReLU neurons with dropout 0.5, softmax, He's initialisation, digits distorted afresh each epoch.
    ConvBest,
}

impl Preset {
    /// Whether the preset trains with the `best` loop: validation set each
    /// epoch, test set once at the end, f32.
    pub fn is_recipe(self) -> bool {
        !matches!(self, Preset::Ch1 | Preset::Ch3)
    }
}

/// The scalar type of the network.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Dtype {
    F32,
    F64,
}

/// `--cost`: the library's own names (`CostKind`'s `FromStr`).
fn cost_parser() -> impl TypedValueParser<Value = CostKind> {
    PossibleValuesParser::new([CostKind::Quadratic.name(), CostKind::CrossEntropy.name()])
        .try_map(|name| name.parse::<CostKind>())
}

/// `--optimizer`: the library's own names (`OptimizerKind`'s `FromStr`).
fn optimizer_parser() -> impl TypedValueParser<Value = OptimizerKind> {
    PossibleValuesParser::new(["sgd", "momentum", "nesterov", "adam", "adamw"])
        .try_map(|name| name.parse::<OptimizerKind>())
}

/// `--init`: the library's own names (`Init`'s `FromStr`).
fn init_parser() -> impl TypedValueParser<Value = Init> {
    PossibleValuesParser::new([
        Init::StandardNormal.name(),
        Init::ScaledNormal.name(),
        Init::He.name(),
    ])
    .try_map(|name| name.parse::<Init>())
}

/// Train a sigmoid network on MNIST by mini-batch SGD and report its accuracy.
///
/// Build with `--release`: a debug build trains about 50 times slower.
#[derive(Debug, Parser)]
#[command(version, about, long_about)]
pub struct Args {
    /// Settings to start from (default ch1); the flags below override them.
    /// Not with --load: a saved network keeps its own settings.
    #[arg(long, value_enum)]
    pub preset: Option<Preset>,
    /// Directory with the four MNIST files (raw or .gz). Default: $MNIST_DIR,
    /// else the cache directory (~/.cache/neuralnet/mnist), else a download.
    #[arg(long, value_name = "DIR")]
    pub data: Option<PathBuf>,
    /// Number of epochs (with --load: how many more).
    #[arg(long)]
    pub epochs: Option<usize>,
    /// Hidden layer sizes, e.g. `--hidden 30` or `--hidden 500,500`.
    #[arg(long, value_delimiter = ',', num_args = 1..)]
    pub hidden: Option<Vec<usize>>,
    /// Learning rate η.
    #[arg(long)]
    pub eta: Option<f64>,
    /// Mini-batch size m.
    #[arg(long)]
    pub batch: Option<usize>,
    /// Cost function: quadratic C_x = ‖y − a‖²/2, or cross-entropy.
    #[arg(long, value_parser = cost_parser())]
    pub cost: Option<CostKind>,
    /// L2 regularisation λ.
    #[arg(long)]
    pub lambda: Option<f64>,
    /// The optimizer: sgd (the lecture's, the default), momentum, nesterov,
    /// adam or adamw (Adam with decoupled weight decay). Adam and AdamW
    /// want a much smaller --eta than SGD: 0.001 is usual.
    #[arg(long, value_parser = optimizer_parser())]
    pub optimizer: Option<OptimizerKind>,
    /// Momentum coefficient μ of momentum and nesterov (default 0.9).
    #[arg(long, value_name = "MU")]
    pub momentum: Option<f64>,
    /// Adam's and AdamW's β₁, the decay of the first moment (default 0.9).
    #[arg(long)]
    pub beta1: Option<f64>,
    /// Adam's and AdamW's β₂, the decay of the second moment (default 0.999).
    #[arg(long)]
    pub beta2: Option<f64>,
    /// Adam's and AdamW's ε (default 1e-8).
    #[arg(long)]
    pub epsilon: Option<f64>,
    /// AdamW's decoupled weight decay d (default 0.01).
    #[arg(long)]
    pub weight_decay: Option<f64>,
    /// Weight initialisation: standard-normal N(0, 1), or scaled-normal
    /// N(0, 1/n_in) weights (biases N(0, 1) in both), or he: N(0, 2/n_in)
    /// weights and zero biases, for ReLU layers.
    #[arg(long, value_parser = init_parser())]
    pub init: Option<Init>,
    /// Seed of the random number generator (initial weights and shuffling).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Scalar type.
    #[arg(long, value_enum, default_value = "f32")]
    pub dtype: Dtype,
    /// Same as `--dtype f64`.
    #[arg(long)]
    pub f64: bool,
    /// Print one JSON object per epoch on stdout, and a last one with the
    /// final test and validation accuracy (human-readable lines go to stderr).
    #[arg(long)]
    pub json: bool,
    /// Directory for the pictures (training curve, confusion matrix, hidden
    /// neurons, misclassified digits).
    #[arg(long, value_name = "DIR", default_value = "mnist-out")]
    pub out: PathBuf,
    /// Do not write the pictures.
    #[arg(long)]
    pub no_pictures: bool,
    /// Save the trained network here (JSON if the name ends in .json).
    #[arg(long, value_name = "PATH")]
    pub save: Option<PathBuf>,
    /// Start from a saved network: evaluate it, or train it `--epochs N`
    /// more with its own cost, η, m and λ (flags given override them).
    #[arg(long, value_name = "PATH", conflicts_with_all = ["resume", "preset", "hidden", "init"])]
    pub load: Option<PathBuf>,
    /// Save a checkpoint here after every epoch. An existing file is
    /// refused unless --resume (continue from it) or --overwrite (start over).
    #[arg(long, value_name = "PATH")]
    pub checkpoint: Option<PathBuf>,
    /// Continue from the `--checkpoint` file (which must exist).
    #[arg(long, requires = "checkpoint")]
    pub resume: bool,
    /// Start over even if the `--checkpoint` file exists, replacing it.
    #[arg(long, requires = "checkpoint", conflicts_with = "resume")]
    pub overwrite: bool,
    /// Never download MNIST; fail if the files are not found.
    #[arg(long)]
    pub no_download: bool,
    /// Threads for evaluation and large kernel calls (0: one per core, less
    /// the one that distorts the digits for `best` and `conv-best`).
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
    /// Also print one line per epoch in the format of the peers benchmark
    /// (`RESULT peer=neuralnet workload=W ...`). `--peer-format` alone (or
    /// `auto`) names the workload from the settings: A (preset ch1), B
    /// (ch3), C (ch3 with `--hidden 500,500`), at any `--batch`.
    #[arg(long, value_name = "WORKLOAD", num_args = 0..=1, default_missing_value = "auto")]
    pub peer_format: Option<String>,
}

impl Args {
    /// The scalar type asked for.
    pub fn dtype(&self) -> Dtype {
        if self.f64 { Dtype::F64 } else { self.dtype }
    }

    /// The optimizer of `--optimizer`, with the settings its flags give
    /// (the usual ones where a flag is left out).
    pub fn optimizer(&self) -> Optimizer {
        let mut optimizer = Optimizer::from(self.optimizer.unwrap_or(OptimizerKind::Sgd));
        if let Some(mu) = self.momentum {
            optimizer = optimizer.with_momentum(mu);
        }
        if let Some(d) = self.weight_decay {
            optimizer = optimizer.with_weight_decay(d);
        }
        if let Some(epsilon) = self.epsilon {
            optimizer = optimizer.with_epsilon(epsilon);
        }
        if let Optimizer::Adam { beta1, beta2, .. } | Optimizer::AdamW { beta1, beta2, .. } =
            optimizer
        {
            optimizer =
                optimizer.with_betas(self.beta1.unwrap_or(beta1), self.beta2.unwrap_or(beta2));
        }
        optimizer
    }

    /// The `best` preset's settings, with `--epochs` (the cosine schedule
    /// then spans that many), `--batch` and `--init` if given.
    pub fn best(&self) -> crate::best::BestSettings {
        let mut best = match self.preset {
            Some(p @ (Preset::Conv1 | Preset::Conv2 | Preset::ConvRelu | Preset::ConvBest)) => {
                crate::conv::conv_settings(p)
            }
            _ => crate::best::best_settings(),
        };
        if let Some(epochs) = self.epochs {
            best.epochs = epochs;
        }
        if let Some(init) = self.init {
            best.init = init;
        }
        if let Some(m) = self.batch {
            best.mini_batch = m;
        }
        best
    }

    /// The preset's settings overridden by the flags given (the `best`
    /// and convolutional presets take only `--epochs`, `--batch`, `--init`
    /// and `--seed`).
    pub fn settings(&self) -> Settings {
        let (hidden, eta, lambda, cost, init) = match self.preset.unwrap_or(Preset::Ch1) {
            Preset::Ch1 => (
                vec![30],
                3.0,
                0.0,
                CostKind::Quadratic,
                Init::StandardNormal,
            ),
            Preset::Ch3 => (
                vec![100],
                0.5,
                5.0,
                CostKind::CrossEntropy,
                Init::ScaledNormal,
            ),
            Preset::Best | Preset::Conv1 | Preset::Conv2 | Preset::ConvRelu | Preset::ConvBest => {
                let best = self.best();
                return Settings {
                    sizes: best.sizes.clone(),
                    sgd: best.sgd(),
                    cost: best.cost,
                    init: Some(best.init),
                    seed: self.seed,
                };
            }
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
                .with_l2_lambda(self.lambda.unwrap_or(lambda))
                .with_optimizer(self.optimizer()),
            cost: self.cost.unwrap_or(cost),
            init: Some(self.init.unwrap_or(init)),
            seed: self.seed,
        }
    }
}

/// What a run uses, after the preset, a loaded network's record and the
/// flags are combined.
#[derive(Debug, Clone)]
pub struct Settings {
    pub sizes: Vec<usize>,
    /// η, m, λ and the total number of epochs (counting those done before).
    pub sgd: Sgd,
    pub cost: CostKind,
    /// `None` for a loaded network whose file does not say.
    pub init: Option<Init>,
    pub seed: u64,
}

impl Settings {
    /// What goes into saved files with the network.
    pub fn record(&self, epochs_completed: usize) -> TrainingRecord {
        let mut record = TrainingRecord::default();
        record.cost = Some(self.cost);
        record.init = self.init;
        record.learning_rate = Some(self.sgd.learning_rate());
        record.mini_batch_size = Some(self.sgd.mini_batch_size());
        record.l2_lambda = Some(self.sgd.l2_lambda());
        record.epochs = Some(self.sgd.epochs());
        record.epochs_completed = epochs_completed;
        record.seed = Some(self.seed);
        record.optimizer = Some(self.sgd.optimizer().kind());
        record
    }

    /// The settings as the flags that give them:
    /// `--cost quadratic --init standard-normal --eta 3 ...`.
    pub fn flags(&self) -> String {
        let init = self
            .init
            .map(|i| format!(" --init {i}"))
            .unwrap_or_default();
        let optimizer = match self.sgd.optimizer() {
            Optimizer::Sgd => String::new(),
            Optimizer::Momentum { momentum } | Optimizer::Nesterov { momentum } => format!(
                " --optimizer {} --momentum {momentum}",
                self.sgd.optimizer()
            ),
            Optimizer::Adam {
                beta1,
                beta2,
                epsilon,
            } => format!(" --optimizer adam --beta1 {beta1} --beta2 {beta2} --epsilon {epsilon}"),
            Optimizer::AdamW {
                beta1,
                beta2,
                epsilon,
                weight_decay,
            } => format!(
                " --optimizer adamw --beta1 {beta1} --beta2 {beta2} --epsilon {epsilon} --weight-decay {weight_decay}"
            ),
            other => format!(" --optimizer {other}"),
        };
        format!(
            "--cost {}{init} --eta {} --batch {} --lambda {}{optimizer} --epochs {} --seed {}",
            self.cost,
            self.sgd.learning_rate(),
            self.sgd.mini_batch_size(),
            self.sgd.l2_lambda(),
            self.sgd.epochs(),
            self.seed
        )
    }

    /// The peers benchmark's workload these settings are, if any: A is
    /// preset ch1, B preset ch3, C preset ch3 with two hidden layers of 500
    /// (any mini-batch size and number of epochs).
    pub fn workload(&self) -> Option<&'static str> {
        let (eta, lambda) = (self.sgd.learning_rate(), self.sgd.l2_lambda());
        let ch1 = self.cost == CostKind::Quadratic
            && self.init == Some(Init::StandardNormal)
            && eta == 3.0
            && lambda == 0.0;
        let ch3 = self.cost == CostKind::CrossEntropy
            && self.init == Some(Init::ScaledNormal)
            && eta == 0.5
            && lambda == 5.0;
        match self.sizes.as_slice() {
            [784, 30, 10] if ch1 => Some("A"),
            [784, 100, 10] if ch3 => Some("B"),
            [784, 500, 500, 10] if ch3 => Some("C"),
            _ => None,
        }
    }
}
