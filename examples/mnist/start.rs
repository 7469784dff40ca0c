//! Before the first epoch: checking that every output can be written, and
//! the network to start from (a new one, `--load`, or `--resume`).

use std::path::Path;

use neuralnet::model::{
    Checkpoint, FileLock, SavedNetwork, TrainingRecord, check_writable, regular_file_exists,
};
use neuralnet::sgd::TrainingState;
use neuralnet::{Network, Real};
use rand::SeedableRng;
use rand::rngs::StdRng;

use crate::args::{Args, Settings};
use crate::progress::Say;

type BoxError = Box<dyn std::error::Error>;

/// Checks that a file can be saved at `path` (given by `flag`), as the
/// library saves: an existing `path` must be a regular file (a symbolic
/// link is followed and its target replaced), and its folder must exist
/// and take a new file.
fn check_file(flag: &str, path: &Path) -> Result<(), String> {
    check_writable(path).map_err(|e| format!("{flag}: {e}"))
}

/// Checks, before any data is read or epoch trained, that `--save`,
/// `--checkpoint` and `--out` can be written, and that `--checkpoint` and
/// `--resume` agree with what is on disk.
///
/// Returns the advisory lock on the checkpoint, to be held until the run
/// ends: a second run writing the same checkpoint is refused.
pub fn check_outputs(args: &Args) -> Result<Option<FileLock>, String> {
    let mut lock = None;
    if let Some(path) = &args.save {
        check_file("--save", path)?;
    }
    if let Some(path) = &args.checkpoint {
        let exists = regular_file_exists(path).map_err(|e| format!("--checkpoint: {e}"))?;
        if args.resume && !exists {
            return Err(format!(
                "--resume: the checkpoint {} does not exist; run without --resume to start a new run (it writes the checkpoint after every epoch)",
                path.display()
            ));
        }
        if exists && !args.resume && !args.overwrite {
            return Err(format!(
                "--checkpoint {} already exists: add --resume to continue from it, or --overwrite to start over and replace it",
                path.display()
            ));
        }
        check_file("--checkpoint", path)?;
        lock = Some(FileLock::for_path(path).map_err(|e| format!("--checkpoint: {e}"))?);
    }
    if !args.no_pictures {
        let out = &args.out;
        if out.exists() && !out.is_dir() {
            return Err(format!(
                "--out {}: is not a directory; give a directory for the pictures (or --no-pictures)",
                out.display()
            ));
        }
        std::fs::create_dir_all(out).map_err(|e| format!("--out {}: {e}", out.display()))?;
        check_file("--out", &out.join("training-curve.svg"))?;
    }
    Ok(lock)
}

/// The network a run starts from, the epochs it has had, and the settings
/// the run really uses.
pub struct Start<T: Real> {
    pub net: Network<T>,
    pub done: usize,
    pub settings: Settings,
    /// The optimizer's state and the counters, from the checkpoint.
    pub state: TrainingState<T>,
}

/// A checkpoint to resume from, with a hint for the most common mistake.
pub fn load_checkpoint<T: Real>(path: &Path) -> Result<Checkpoint<T>, String> {
    Checkpoint::<T>::load(path).map_err(|e| match e {
        neuralnet::Error::ScalarMismatch { found, .. } => format!(
            "{}: the checkpoint was saved as {found}: add --dtype {found}",
            path.display()
        ),
        e => format!("--resume: {e}"),
    })
}

/// A saved network, with a hint for the most common mistake.
fn load_saved<T: Real>(path: &Path) -> Result<SavedNetwork<T>, String> {
    SavedNetwork::<T>::load(path).map_err(|e| match e {
        neuralnet::Error::ScalarMismatch { found, .. } => format!(
            "{}: the network was saved as {found}: add --dtype {found}",
            path.display()
        ),
        e => e.to_string(),
    })
}

/// A new network (initial weights from an RNG seeded with `--seed`), the
/// `--load`ed one, or the `--checkpoint` to `--resume`.
pub fn network<T: Real>(args: &Args, say: Say) -> Result<Start<T>, BoxError> {
    let mut settings = args.settings();
    if let Some(path) = &args.load {
        return loaded(args, path, settings, say);
    }
    if let (Some(path), true) = (&args.checkpoint, args.resume) {
        let saved = load_checkpoint::<T>(path)?;
        let done = saved.record.epochs_completed;
        // Everything but the epoch counts must match: a resumed run may
        // also be asked to go on for more epochs than first planned.
        let expected = settings.record(done);
        let same = {
            let mut record = saved.record.clone();
            record.epochs = expected.epochs;
            record == expected
        };
        if !same || saved.network.sizes() != settings.sizes.as_slice() {
            let mut differences = Vec::new();
            if saved.network.sizes() != settings.sizes.as_slice() {
                differences.push(format!(
                    "layers {:?} (this run: {:?})",
                    saved.network.sizes(),
                    settings.sizes
                ));
            }
            differences.extend(record_differences(&saved.record, &expected));
            if differences.is_empty() {
                differences.push("its training record".to_string());
            }
            return Err(format!(
                "{} was made with other settings than this run: {}; \
                 run with the same flags, or with --overwrite to start again",
                path.display(),
                differences.join(", ")
            )
            .into());
        }
        say.line(format_args!(
            "Resuming from {} after epoch {done}",
            path.display()
        ));
        return Ok(Start {
            net: saved.network,
            done,
            settings,
            state: saved.state,
        });
    }
    settings.init = Some(settings.init.unwrap_or_default());
    let net = initial::<T>(&settings)?;
    Ok(Start {
        net,
        done: 0,
        settings,
        state: TrainingState::new(),
    })
}

/// The settings, as flags, in which the record `saved` differs from this
/// run's `expected` one, but for the number of epochs:
/// `--eta 2 (this run: 0.5)`.
fn record_differences(saved: &TrainingRecord, expected: &TrainingRecord) -> Vec<String> {
    fn show<V: std::fmt::Display>(v: Option<V>) -> String {
        v.map_or("not recorded".to_string(), |v| v.to_string())
    }
    [
        ("--cost", show(saved.cost), show(expected.cost)),
        ("--init", show(saved.init), show(expected.init)),
        (
            "--eta",
            show(saved.learning_rate),
            show(expected.learning_rate),
        ),
        (
            "--batch",
            show(saved.mini_batch_size),
            show(expected.mini_batch_size),
        ),
        ("--lambda", show(saved.l2_lambda), show(expected.l2_lambda)),
        ("--seed", show(saved.seed), show(expected.seed)),
    ]
    .into_iter()
    .filter(|(_, a, b)| a != b)
    .map(|(flag, a, b)| format!("{flag} {a} (this run: {b})"))
    .collect()
}

/// The untrained network of `settings`: the layer sizes, the initialisation
/// (the default when not known) and the weights drawn from an RNG seeded with
/// the seed. A new run starts from it, and a resumed run started from it.
pub fn initial<T: Real>(settings: &Settings) -> Result<Network<T>, BoxError> {
    let mut rng = StdRng::seed_from_u64(settings.seed);
    let init = settings.init.unwrap_or_default();
    Ok(Network::<T>::new(&settings.sizes, init, &mut rng)?)
}

/// `--load`: the saved network keeps the cost, η, m and λ of its record,
/// unless a flag gives them; what comes from where is printed. `--epochs N`
/// trains N more (none by default: the network is only evaluated).
fn loaded<T: Real>(
    args: &Args,
    path: &Path,
    mut settings: Settings,
    say: Say,
) -> Result<Start<T>, BoxError> {
    let saved = load_saved::<T>(path)?;
    let r = &saved.record;
    let mut kept = Vec::new();
    let mut defaults = Vec::new();
    fn pick<V: std::fmt::Display + Copy>(
        flag: &str,
        given: Option<V>,
        recorded: Option<V>,
        default: V,
        kept: &mut Vec<String>,
        defaults: &mut Vec<String>,
    ) -> V {
        match (given, recorded) {
            (Some(v), _) => v,
            (None, Some(v)) => {
                kept.push(format!("{flag} {v}"));
                v
            }
            (None, None) => {
                defaults.push(format!("{flag} {default}"));
                default
            }
        }
    }
    let sgd = settings.sgd.clone();
    settings.cost = pick(
        "--cost",
        args.cost,
        r.cost,
        settings.cost,
        &mut kept,
        &mut defaults,
    );
    let eta = pick(
        "--eta",
        args.eta,
        r.learning_rate,
        sgd.learning_rate(),
        &mut kept,
        &mut defaults,
    );
    let m = pick(
        "--batch",
        args.batch,
        r.mini_batch_size,
        sgd.mini_batch_size(),
        &mut kept,
        &mut defaults,
    );
    let lambda = pick(
        "--lambda",
        args.lambda,
        r.l2_lambda,
        sgd.l2_lambda(),
        &mut kept,
        &mut defaults,
    );
    let done = r.epochs_completed;
    let more = args.epochs.unwrap_or(0);
    let total = done.checked_add(more).ok_or_else(|| {
        format!(
            "{}: the file says {done} epochs were trained; {more} more cannot be counted",
            path.display()
        )
    })?;
    settings.sgd = sgd
        .with_learning_rate(eta)
        .with_mini_batch_size(m)
        .with_l2_lambda(lambda)
        .with_epochs(total);
    settings.init = r.init;
    settings.sizes = saved.network.sizes().to_vec();
    say.line(format_args!(
        "Loaded {} ({:?}, {done} epochs trained)",
        path.display(),
        saved.network.sizes()
    ));
    if !kept.is_empty() {
        say.line(format_args!(
            "  kept from its record: {} (a flag given overrides one)",
            kept.join(" ")
        ));
    }
    if !defaults.is_empty() {
        say.line(format_args!(
            "  not in its record, the defaults: {}",
            defaults.join(" ")
        ));
    }
    Ok(Start {
        net: saved.network,
        done,
        settings,
        state: TrainingState::new(),
    })
}
