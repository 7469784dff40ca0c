//! Trains a network on the MNIST handwritten digits and reports how many of
//! the 10,000 test digits it recognises: the main job of the crate.
//!
//! ```sh
//! cargo run --release --example mnist                 # the lecture's network (preset ch1)
//! cargo run --release --example mnist -- --preset ch3 # Nielsen's chapter 3 network
//! cargo run --release --example mnist -- --help       # every flag
//! ```
//!
//! Build it with `--release`: a debug build trains about 50 times slower
//! (and says so when it starts).
//!
//! The data is looked for in `--data DIR`, else in `$MNIST_DIR`, else in the
//! cache directory (`$XDG_CACHE_HOME/neuralnet/mnist` or
//! `~/.cache/neuralnet/mnist`). When it is in none of them and the crate's
//! `download` feature is on, the four files are downloaded into the cache
//! directory from well-known mirrors and checked against their SHA-256
//! (`--no-download` turns that off). See `examples/common/mnist_data.rs`.
//!
//! # Saving, checkpoints and resuming
//!
//! `--save PATH` saves the trained network (JSON if PATH ends in `.json`,
//! the binary format otherwise); `--load PATH` evaluates a saved network, or
//! trains it `--epochs N` more with the cost, η, m and λ of its record
//! (a flag given overrides one; the run prints which came from where).
//! `--load` refuses `--preset`, `--hidden` and `--init`: the file decides
//! them. `--checkpoint PATH` saves after every epoch, atomically, so
//! stopping the program loses at most the epoch in progress; `--resume`
//! continues from that checkpoint, which must exist. An existing checkpoint
//! is never replaced silently: without `--resume` the run is refused unless
//! `--overwrite` asks to start over.
//!
//! Every output (`--save`, `--checkpoint`, `--out`) is checked before the
//! first epoch: its folder must exist and be writable, and an existing path
//! must be a regular file (a directory for `--out`). If writing a checkpoint
//! fails during the run (a full disk), training goes on with a warning that
//! names the last good checkpoint; the next epoch tries again, `--save` is
//! still attempted at the end, and the run then fails if the last
//! checkpoint could not be written.
//!
//! A resumed run ends with exactly the weights of an uninterrupted one: the
//! initial weights come from an RNG seeded with `--seed`, and epoch e
//! shuffles the training data with its own RNG, seeded from (seed, e) (the
//! library's training takes one RNG for all epochs, whose state a file
//! cannot hold). The checkpoint records the settings, the seed and the
//! number of epochs done, so the run can pick up at the next epoch;
//! `--resume` refuses a checkpoint made with other settings.
//!
//! # Output
//!
//! One line per epoch, with the digits of the test set recognised after it
//! (`Epoch 3: 9246 / 10000 test images, cost 0.0621, 0.09 s`; with
//! `--preset best`, of the validation set), then the test and validation
//! accuracy. With `--json`, stdout carries one JSON object per epoch and a
//! last one with `"final":true` and the test and validation results; the
//! human-readable lines go to stderr. A run that stops learning (the test
//! cost not below its value before training, or accuracy near chance) gets
//! a warning naming the likely cause. A resumed run compares with the cost
//! of the same untrained network, not with the checkpoint's; a `--load`ed
//! network has no such value, and only accuracy near chance is warned
//! about.

mod args;
mod best;
mod charts;
mod conv;
mod data;
#[path = "../common/mnist_data.rs"]
mod mnist_data;
mod pictures;
mod progress;
mod start;

use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::Parser;
use neuralnet::mnist::Mnist;
use neuralnet::sgd::TrainingState;
use neuralnet::{EpochReport, Network, Real};
use rand::SeedableRng;
use rand::rngs::StdRng;

use args::{Args, Dtype, Settings};
use progress::{Checkpoint, Progress, Say};

type BoxError = Box<dyn std::error::Error>;

fn main() -> ExitCode {
    let args = Args::parse();
    if cfg!(debug_assertions) {
        eprintln!(
            "warning: this is a debug build, which trains about 50 times slower; use `cargo run --release --example mnist`"
        );
    }
    let threads = match args.threads {
        // The augmentation distorts the next epoch's digits on a core of
        // its own: kernel threads on every core would compete with it (on
        // 2 cores, conv-best's epochs took 27-29 s on two kernel threads
        // and 25-28 s on one, run alternately).
        0 if args.preset.is_some_and(|p| p.is_recipe()) && args.best().augment => {
            std::thread::available_parallelism().map_or(1, |n| n.get().saturating_sub(1).max(1))
        }
        n => n,
    };
    neuralnet::threads::set_num_threads(threads);
    let result = match (args.preset, args.dtype()) {
        (Some(p), Dtype::F64) if p.is_recipe() => Err(format!(
            "--preset {} trains in f32 only; leave out --dtype f64 (or --f64)",
            args.best().name
        )
        .into()),
        (Some(p), Dtype::F32) if p.is_recipe() => run_best(&args),
        (_, Dtype::F64) => run::<f64>(&args),
        (_, Dtype::F32) => run::<f32>(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run<T: Real>(args: &Args) -> Result<(), BoxError> {
    let say = Say { json: args.json };
    args.settings().sgd.validate()?;
    // Held until the run ends, however it ends: a second run on the same
    // checkpoint is refused.
    let _checkpoint_lock = progress::hold(start::check_outputs(args)?);
    let data = data::load::<T>(args, say)?;
    let start::Start {
        mut net,
        done,
        settings,
        mut state,
    } = start::network::<T>(args, say)?;
    settings.sgd.validate()?;
    say.line(format_args!(
        "Network {:?} ({} parameters, {}): {}",
        settings.sizes,
        net.num_parameters(),
        std::any::type_name::<T>(),
        settings.flags()
    ));

    let to_train = settings.sgd.epochs().saturating_sub(done);
    // The test cost before training, for the warning of a run that stops
    // learning: of the new network; for --resume, of the same new network
    // made again from the settings and the seed (not of the checkpoint,
    // whose next epoch may well cost a little more); unknown for --load.
    let stall = if to_train == 0 {
        None
    } else if done == 0 {
        Some((
            Some(net.evaluate(&data.test, &settings.cost)?.cost),
            &data.test,
        ))
    } else if args.resume {
        let new = start::initial::<T>(&settings)?;
        Some((
            Some(new.evaluate(&data.test, &settings.cost)?.cost),
            &data.test,
        ))
    } else {
        Some((None, &data.test))
    };
    let checkpoint = args.checkpoint.as_deref().map(|path| Checkpoint {
        path,
        last_good: (args.resume).then_some(done),
        failure: None,
    });
    let mut progress = Progress::new(
        say,
        &settings,
        data.training.len(),
        (!args.no_pictures).then_some((&data.validation, &settings.cost as _)),
        checkpoint,
        peer_workload(args, &settings),
        stall,
    );
    let started = Instant::now();
    let reports = train(&mut net, &mut state, &data, &settings, done, &mut progress)
        .map_err(|e| explain(e, &settings, data.training.len()))?;
    let wall = started.elapsed();

    let test = net.evaluate(&data.test, &settings.cost)?;
    let validation = if data.validation.is_empty() {
        None
    } else {
        Some(net.evaluate(&data.validation, &settings.cost)?)
    };
    say.line(format_args!(
        "Test accuracy: {} / {} = {:.2}%; validation accuracy: {}",
        test.correct,
        test.total,
        100.0 * test.accuracy(),
        validation.map_or("none (no validation images)".to_string(), |v| format!(
            "{} / {} = {:.2}%",
            v.correct,
            v.total,
            100.0 * v.accuracy()
        ))
    ));
    if !reports.is_empty() {
        say.line(timing(&reports, wall));
    }
    if args.json {
        let empty = neuralnet::Evaluation::new(0, 0, 0.0);
        progress::out(format_args!(
            "{}",
            progress::final_json(
                done + reports.len(),
                &test,
                validation.as_ref().unwrap_or(&empty)
            )
        ));
    }

    finish(
        args,
        &net,
        &data.test,
        &progress,
        &settings,
        done + reports.len(),
    )
}

/// `--preset best`: trains with `best::train_best`, evaluating on the
/// validation set after each epoch and on the test set once, at the end.
/// `--checkpoint` keeps the network with momentum's velocities and the
/// schedule's state, in one file, so that `--resume` continues exactly.
fn run_best(args: &Args) -> Result<(), BoxError> {
    let say = Say { json: args.json };
    let best = args.best();
    let settings = args.settings();
    settings.sgd.validate()?;
    if args.load.is_some() || args.hidden.is_some() {
        return Err(format!(
            "--preset {} sets its own network; leave out --load and --hidden",
            best.name
        )
        .into());
    }
    // Held until the run ends, however it ends: a second run on the same
    // checkpoint is refused.
    let _checkpoint_lock = progress::hold(start::check_outputs(args)?);
    let data = data::load::<f32>(args, say)?;
    if data.validation.is_empty() {
        return Err(
            format!("--preset {} chooses nothing by the test set: it needs the validation images (the last 10,000 training digits)", best.name)
                .into(),
        );
    }
    let (mut net, done, mut state) = match (&args.checkpoint, args.resume) {
        (Some(checkpoint), true) => {
            let saved = start::load_checkpoint::<f32>(checkpoint)?;
            if saved.network.sizes() != best.sizes.as_slice()
                || saved.record.seed != Some(args.seed)
            {
                return Err(format!(
                    "--resume: {} is not a checkpoint of --preset {} with --seed {}",
                    checkpoint.display(),
                    best.name,
                    args.seed
                )
                .into());
            }
            let done = saved.record.epochs_completed;
            (saved.network, done, saved.state)
        }
        _ => (best.network(args.seed)?, 0, TrainingState::new()),
    };
    say.line(format_args!(
        "Network {:?} ({} parameters, f32): --preset {} ({}), {} epochs, --seed {}",
        best.sizes,
        net.num_parameters(),
        best.name,
        best.describe(),
        best.epochs,
        args.seed
    ));
    say.line(format_args!(
        "Each epoch is evaluated on the validation set; the test set is evaluated once, at the end."
    ));
    let checkpoint = args.checkpoint.as_deref().map(|path| Checkpoint {
        path,
        last_good: args.resume.then_some(done),
        failure: None,
    });
    let mut progress = Progress::new(
        say,
        &settings,
        data.training.len(),
        None,
        checkpoint,
        peer_workload(args, &settings),
        None,
    );
    progress.on_validation = true;
    let started = Instant::now();
    let reports = best::train_best(
        &best,
        &mut net,
        &mut state,
        done,
        &data.training,
        &data.validation,
        args.seed,
        None,
        &mut progress,
        // The progress monitor writes the checkpoint after each epoch.
        |_, _, _, _| std::ops::ControlFlow::Continue(()),
    )?;
    let wall = started.elapsed();
    let validation = net.evaluate(&data.validation, &settings.cost)?;
    let test = net.evaluate(&data.test, &settings.cost)?;
    say.line(format_args!(
        "Validation accuracy: {} / {} = {:.2}%; test accuracy (its only evaluation): {} / {} = {:.2}%",
        validation.correct,
        validation.total,
        100.0 * validation.accuracy(),
        test.correct,
        test.total,
        100.0 * test.accuracy()
    ));
    if !reports.is_empty() {
        say.line(timing(&reports, wall));
    }
    if args.json {
        progress::out(format_args!(
            "{}",
            progress::final_json(done + reports.len(), &test, &validation)
        ));
    }
    finish(
        args,
        &net,
        &data.test,
        &progress,
        &settings,
        done + reports.len(),
    )
}

/// The end of a run: `--save`, the pictures, and the error of a checkpoint
/// that could not be written (after the network was saved), with
/// `epochs_completed` epochs in the saved record.
fn finish<T: Real>(
    args: &Args,
    net: &Network<T>,
    test: &neuralnet::Dataset<T>,
    progress: &Progress<'_, T>,
    settings: &Settings,
    epochs_completed: usize,
) -> Result<(), BoxError> {
    let say = Say { json: args.json };
    if let Some(path) = &args.save {
        net.save_with_record(path, &settings.record(epochs_completed))?;
        say.line(format_args!("Saved the network to {}", path.display()));
    }
    if !args.no_pictures && !progress.curve.epochs.is_empty() {
        let wrote = pictures::write_all(&args.out, net, test, &progress.curve, settings)?;
        say.line(wrote);
    }
    if let Some(ck) = &progress.checkpoint
        && let Some((epoch, err)) = &ck.failure
    {
        return Err(format!(
            "the checkpoint after epoch {epoch} could not be written ({err}); {}",
            ck.last_good_text()
        )
        .into());
    }
    Ok(())
}

/// Trains the epochs after `done`, each with its own shuffling RNG (see
/// the module docs), evaluating on the test set as Nielsen does; the
/// optimizer's state goes on from epoch to epoch in `state`, and the
/// progress monitor writes the checkpoint (if any) after each epoch.
fn train<T: Real>(
    net: &mut Network<T>,
    state: &mut TrainingState<T>,
    data: &Mnist<T>,
    settings: &Settings,
    done: usize,
    progress: &mut Progress<'_, T>,
) -> Result<Vec<EpochReport>, neuralnet::Error> {
    let sgd = settings.sgd.clone().with_starting_epoch(done);
    // Unused: every epoch draws from its own seeded RNG.
    let mut rng = StdRng::seed_from_u64(settings.seed);
    sgd.run(net, &data.training, &settings.cost, &mut rng)
        .evaluation(&data.test)
        .state(state)
        .monitor(progress)
        .epoch_seed(settings.seed)
        .train()
}

/// A divergence blamed on its cause: λ when the weight decay factor
/// 1 − ηλ/n is not positive (the library's message names η).
fn explain(err: neuralnet::Error, settings: &Settings, n: usize) -> BoxError {
    let (eta, lambda) = (settings.sgd.learning_rate(), settings.sgd.l2_lambda());
    let decay = 1.0 - eta * lambda / n as f64;
    match err {
        neuralnet::Error::Diverged { epoch, .. } if decay <= 0.0 => format!(
            "training diverged in epoch {epoch}: λ = {lambda} is too large for η = {eta} and n = {n} (the weight decay factor 1 − ηλ/n = {decay:.3} is not positive); try a smaller --lambda"
        )
        .into(),
        err => err.into(),
    }
}

/// `Training time: 12.3 s over 30 epochs (median 0.41 s per epoch); ...`
fn timing(reports: &[EpochReport], wall: Duration) -> String {
    let training: Duration = reports.iter().map(|r| r.training_time).sum();
    let mut times: Vec<f64> = reports
        .iter()
        .map(|r| r.training_time.as_secs_f64())
        .collect();
    times.sort_by(f64::total_cmp);
    format!(
        "Training time: {:.2} s over {} epochs (median {:.3} s per epoch); {:.2} s in all with evaluation",
        training.as_secs_f64(),
        reports.len(),
        times[times.len() / 2],
        wall.as_secs_f64()
    )
}

/// The workload named in `--peer-format` lines: the one given, or with
/// `auto` the one the settings are (A, B, C, else "custom"). A given A, B
/// or C that the settings are not gets a warning.
fn peer_workload(args: &Args, settings: &Settings) -> Option<String> {
    let given = args.peer_format.as_deref()?;
    let actual = settings.workload();
    if given == "auto" {
        return Some(actual.unwrap_or("custom").to_string());
    }
    if matches!(given, "A" | "B" | "C") && actual != Some(given) {
        eprintln!(
            "warning: --peer-format {given}: these settings are {}, not workload {given}",
            actual.map_or("none of the workloads A, B, C".to_string(), |w| format!(
                "workload {w}"
            ))
        );
    }
    Some(given.to_string())
}
