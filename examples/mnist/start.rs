//! Before the first epoch: checking that every output can be written, and
//! the network to start from (a new one, `--load`, or `--resume`).

use std::io::ErrorKind;
use std::path::Path;

use neuralnet::model::{SavedNetwork, TrainingRecord};
use neuralnet::{Network, Real};
use rand::SeedableRng;
use rand::rngs::StdRng;

use crate::args::{Args, Settings};
use crate::progress::Say;

type BoxError = Box<dyn std::error::Error>;

/// Checks that a file can be saved at `path` (given by `flag`): an existing
/// `path` must be a regular file (or a link to one), and its folder must
/// exist and take a new file. Saving replaces the file atomically.
fn check_file(flag: &str, path: &Path) -> Result<(), String> {
    let shown = path.display();
    match std::fs::symlink_metadata(path) {
        Ok(link) => {
            let meta = std::fs::metadata(path).map_err(|_| {
                let target = std::fs::read_link(path).unwrap_or_default();
                format!(
                    "{flag} {shown}: a symbolic link to {}, which does not exist",
                    target.display()
                )
            })?;
            if meta.is_dir() {
                return Err(format!(
                    "{flag} {shown}: is a directory; give the name of a file"
                ));
            }
            if !meta.is_file() {
                return Err(format!(
                    "{flag} {shown}: is not a regular file (a device, FIFO or socket), and saving would replace it; give the name of a file"
                ));
            }
            // TODO(hostile): the library decides how saving treats links
            // (follow or refuse); until then the link itself is replaced.
            let _ = link;
        }
        Err(e) if e.kind() == ErrorKind::NotFound => {}
        Err(e) => return Err(format!("{flag} {shown}: {e}")),
    }
    let folder = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    if !folder.is_dir() {
        return Err(format!(
            "{flag} {shown}: the folder {} does not exist; create it first",
            folder.display()
        ));
    }
    // A probe file, as the save's temporary file will be, then removed.
    let probe = folder.join(format!(".mnist-write-check-{}", std::process::id()));
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&probe)
        .and_then(|_| std::fs::remove_file(&probe))
        .map_err(|e| format!("{flag} {shown}: cannot write in {}: {e}", folder.display()))
}

/// Checks, before any data is read or epoch trained, that `--save`,
/// `--checkpoint` and `--out` can be written, and that `--checkpoint` and
/// `--resume` agree with what is on disk.
pub fn check_outputs(args: &Args) -> Result<(), String> {
    if let Some(path) = &args.save {
        check_file("--save", path)?;
    }
    if let Some(path) = &args.checkpoint {
        let exists = std::fs::symlink_metadata(path).is_ok();
        if args.resume && !path.exists() {
            return Err(if exists {
                let target = std::fs::read_link(path).unwrap_or_default();
                format!(
                    "--resume: the checkpoint {} is a symbolic link to {}, which does not exist",
                    path.display(),
                    target.display()
                )
            } else {
                format!(
                    "--resume: the checkpoint {} does not exist; run without --resume to start a new run (it writes the checkpoint after every epoch)",
                    path.display()
                )
            });
        }
        if exists && !args.resume && !args.overwrite {
            return Err(format!(
                "--checkpoint {} already exists: add --resume to continue from it, or --overwrite to start over and replace it",
                path.display()
            ));
        }
        check_file("--checkpoint", path)?;
        // TODO(hostile): take the library's advisory lock on the checkpoint
        // here and hold it until the run ends, refusing a second writer.
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
    Ok(())
}

/// The network a run starts from, the epochs it has had, and the settings
/// the run really uses.
pub struct Start<T: Real> {
    pub net: Network<T>,
    pub done: usize,
    pub settings: Settings,
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
        let saved = load_saved::<T>(path)?;
        let done = saved.record.epochs_completed;
        // Everything but the epoch counts must match: a resumed run may
        // also be asked to go on for more epochs than first planned.
        let expected = settings.record(done);
        let same = TrainingRecord {
            epochs: expected.epochs,
            ..saved.record.clone()
        } == expected;
        if !same || saved.network.sizes() != settings.sizes.as_slice() {
            return Err(format!(
                "{} was made with other settings ({:?}, {:?}) than this run ({:?}, {:?}); \
                 run with the same flags, or with --overwrite to start again",
                path.display(),
                saved.network.sizes(),
                saved.record,
                settings.sizes,
                expected
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
        });
    }
    let mut rng = StdRng::seed_from_u64(settings.seed);
    let init = settings.init.unwrap_or_default();
    settings.init = Some(init);
    let net = Network::<T>::new(&settings.sizes, init, &mut rng)?;
    Ok(Start {
        net,
        done: 0,
        settings,
    })
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
    })
}
