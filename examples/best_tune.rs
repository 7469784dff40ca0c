//! The tuning driver of the `mnist` example's `best` preset: trains with
//! `examples/mnist/best.rs`'s settings, overridden by `key=value` arguments,
//! and prints the validation accuracy, wall and CPU seconds per epoch. The
//! table in `examples/mnist/best.rs` was made with it; every choice was made
//! on the validation set.
//!
//! ```text
//! cargo run --release --example best_tune -- epochs=10 eta=0.05 alpha=20 seed=1 [test]
//! ```
//! Keys: seed, epochs, eta, m, mu, nesterov (0/1), lambda, hidden (e.g.
//! 800 or 1000x1000), shift, rot, scale, alpha, sigma, dropout, dropin,
//! maxnorm, threads, limit (training examples). `test` evaluates the test
//! set once at the end (for the record only). `resume` checks instead that
//! a run of `epochs` epochs in one call ends with the same weights as one
//! stopped after an epoch and resumed with its `TrainingState`. MNIST is
//! found as in the `mnist` example: `$MNIST_DIR`, the cache directory, then
//! a download (see `examples/common/mnist_data.rs`).

#[path = "mnist/best.rs"]
mod best;
#[path = "common/mnist_data.rs"]
mod mnist_data;

use std::time::Instant;

use neuralnet::augment::ImageAugmenter;
use neuralnet::mnist::Mnist;
use neuralnet::model::{Checkpoint, TrainingRecord};
use neuralnet::sgd::Dropout;

/// Process CPU seconds (user + system) from /proc/self/stat.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let rest = stat.rsplit(')').next().unwrap_or("");
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (ticks(11) + ticks(12)) / 100.0
}

fn load() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .unwrap_or_default()
        .split_whitespace()
        .next()
        .unwrap_or("?")
        .to_string()
}

fn main() -> std::process::ExitCode {
    match run() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let wall0 = Instant::now();
    let mut s = best::best_settings();
    let mut seed = 1u64;
    let mut threads = 0usize;
    let mut test = false;
    let mut resume_check = false;
    let mut limit = None;
    let (mut shift, mut rot, mut scale) = (
        s.augmenter.max_shift(),
        s.augmenter.max_rotation(),
        s.augmenter.max_scaling(),
    );
    let (mut alpha, mut sigma) = (s.augmenter.elastic_alpha(), s.augmenter.elastic_sigma());
    let (mut dropout, mut dropin) = (0.0, 0.0);
    for arg in std::env::args().skip(1) {
        if arg == "resume" {
            resume_check = true;
            continue;
        }
        if arg == "test" {
            test = true;
            continue;
        }
        let (k, v) = arg
            .split_once('=')
            .ok_or_else(|| format!("{arg}: arguments are key=value, resume or test"))?;
        let mut set = || -> Result<(), Box<dyn std::error::Error>> {
            match k {
                "seed" => seed = v.parse()?,
                "epochs" => s.epochs = v.parse()?,
                "eta" => s.eta = v.parse()?,
                "m" => s.mini_batch = v.parse()?,
                "mu" => s.momentum = v.parse()?,
                "nesterov" => s.nesterov = v == "1",
                "lambda" => s.l2_lambda = v.parse()?,
                "minrate" => s.min_rate = v.parse()?,
                "hidden" => {
                    let mut sizes = vec![784];
                    for h in v.split('x') {
                        sizes.push(h.parse()?);
                    }
                    sizes.push(10);
                    s.sizes = sizes;
                }
                "shift" => shift = v.parse()?,
                "rot" => rot = v.parse()?,
                "scale" => scale = v.parse()?,
                "alpha" => alpha = v.parse()?,
                "sigma" => sigma = v.parse()?,
                "dropout" => dropout = v.parse()?,
                "dropin" => dropin = v.parse()?,
                "maxnorm" => s.max_norm = Some(v.parse()?),
                "threads" => threads = v.parse()?,
                "limit" => limit = Some(v.parse::<usize>()?),
                _ => return Err(format!("unknown key {k}").into()),
            }
            Ok(())
        };
        set().map_err(|e| format!("{arg}: {e}"))?;
    }
    s.augmenter = ImageAugmenter::new(28, 28, 1)
        .with_max_shift(shift)
        .with_max_rotation(rot)
        .with_max_scaling(scale)
        .with_elastic(alpha, sigma);
    s.dropout = if dropout > 0.0 || dropin > 0.0 {
        Dropout::hidden(dropout).with_input(dropin)
    } else {
        Dropout::none()
    };
    neuralnet::threads::set_num_threads(threads);
    let dir = mnist_data::locate(None, true, &mut |s| println!("{s}"))?;
    let data = Mnist::<f32>::load(dir)?;
    let training = match limit {
        Some(n) => data.training.slice(0, n)?,
        None => data.training.clone(),
    };
    println!(
        "settings: sizes {:?} {:?}/{:?} η {} m {} μ {} nesterov {} λ {} epochs {} min_rate {} dropout {:?} maxnorm {:?} aug shift {shift} rot {rot} scale {scale} α {alpha} σ {sigma} seed {seed} threads {} load {}",
        s.sizes,
        s.hidden,
        s.output,
        s.eta,
        s.mini_batch,
        s.momentum,
        s.nesterov,
        s.l2_lambda,
        s.epochs,
        s.min_rate,
        s.dropout,
        s.max_norm,
        neuralnet::threads::num_threads(),
        load()
    );
    if resume_check {
        return check_resume(&s, &training, &data.validation, seed);
    }
    let mut cpu = cpu_seconds();
    let mut wall = Instant::now();
    let (net, reports) = best::run_best(&s, &training, &data.validation, seed, None, |r, _| {
        let c = cpu_seconds();
        let e = r.evaluation.expect("validation");
        println!(
            "epoch {:3} η {:.4} val {:.2}% cost {:.4} train {:.2}s wall {:.2}s cpu {:.2}s load {}",
            r.epoch,
            r.learning_rate,
            100.0 * e.accuracy(),
            e.cost,
            r.training_time.as_secs_f64(),
            wall.elapsed().as_secs_f64(),
            c - cpu,
            load()
        );
        cpu = c;
        wall = Instant::now();
    })?;
    let best = reports
        .iter()
        .filter_map(|r| r.evaluation.map(|e| (e.correct, r.epoch)))
        .max();
    let last = net.evaluate(&data.validation, &s.cost)?;
    println!(
        "FINAL validation {:.2}% ({}), best {:?}, wall {:.1}s, cpu {:.1}s",
        100.0 * last.accuracy(),
        last.correct,
        best,
        wall0.elapsed().as_secs_f64(),
        cpu_seconds()
    );
    if test {
        let t = net.evaluate(&data.test, &s.cost)?;
        println!(
            "TEST (record only) {:.2}% ({})",
            100.0 * t.accuracy(),
            t.correct
        );
    }
    Ok(())
}

/// Trains `s.epochs` epochs in one call and again as one epoch, a copy of
/// the network and state (a checkpoint), and the rest; the weights must
/// agree bit for bit.
fn check_resume(
    s: &best::BestSettings,
    training: &neuralnet::Dataset<f32>,
    validation: &neuralnet::Dataset<f32>,
    seed: u64,
) -> Result<(), Box<dyn std::error::Error>> {
    use neuralnet::sgd::TrainingState;
    use std::ops::ControlFlow;
    let (whole, _) = best::run_best(s, training, validation, seed, None, |_, _| {})?;
    let mut net = s.network(seed)?;
    let mut state = TrainingState::new();
    best::train_best(
        s,
        &mut net,
        &mut state,
        0,
        training,
        validation,
        seed,
        None,
        &mut Silent,
        |epoch, _, _, _| {
            if epoch == 1 {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        },
    )?;
    // The checkpoint, through its bytes: the network and the whole state.
    let bytes = Checkpoint::to_bytes(&net, &TrainingRecord::default(), &state)?;
    let checkpoint = Checkpoint::<f32>::from_bytes(&bytes)?;
    let mut resumed = checkpoint.network;
    let mut state = checkpoint.state;
    best::train_best(
        s,
        &mut resumed,
        &mut state,
        1,
        training,
        validation,
        seed,
        None,
        &mut Silent,
        |_, _, _, _| ControlFlow::Continue(()),
    )?;
    let same = whole.to_parameters() == resumed.to_parameters();
    println!(
        "RESUME after 1 of {} epochs gives the same weights: {same}",
        s.epochs
    );
    if same {
        Ok(())
    } else {
        Err("resumed run differs".into())
    }
}

/// A monitor that ignores everything.
struct Silent;

impl neuralnet::Monitor<f32> for Silent {
    fn on_epoch(
        &mut self,
        _: &neuralnet::EpochReport,
        _: &neuralnet::Network<f32>,
    ) -> std::ops::ControlFlow<()> {
        std::ops::ControlFlow::Continue(())
    }
}
