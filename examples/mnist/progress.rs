//! What a run prints: human-readable lines, JSON lines (`--json`), the peers
//! benchmark's `RESULT` lines (`--peer-format`), and the [`Progress`]
//! monitor that prints them after each epoch, keeps the training curve,
//! writes the checkpoint and warns when the run has stopped learning.

use std::io::{IsTerminal, Write};
use std::ops::ControlFlow;
use std::path::Path;
use std::sync::{Mutex, MutexGuard, PoisonError};

use indicatif::{ProgressBar, ProgressStyle};
use neuralnet::model::FileLock;
use neuralnet::sgd::TrainingState;
use neuralnet::{Cost, Dataset, EpochReport, Evaluation, Monitor, Network, Real};

use crate::args::Settings;

/// Writes a line to stdout, ending the program quietly when the reader of
/// stdout has gone (`mnist | head -3`) instead of panicking, and with a
/// message on any other write error. A checkpoint is never half-written by
/// this: saves are atomic.
pub fn out(line: std::fmt::Arguments<'_>) {
    let mut stdout = std::io::stdout().lock();
    if let Err(e) = writeln!(stdout, "{line}").and_then(|()| stdout.flush()) {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            exit(0);
        }
        eprintln!("error: cannot write to standard output: {e}");
        exit(1);
    }
}

/// The checkpoint's lock while a run holds it (see [`hold`]).
static HELD_LOCK: Mutex<Option<FileLock>> = Mutex::new(None);

fn held_lock() -> MutexGuard<'static, Option<FileLock>> {
    // A panic while the lock was held does not make it wrong to drop it.
    HELD_LOCK.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Holds `lock` (the checkpoint's, from `start::check_outputs`) until the
/// returned guard is dropped or [`exit`] is called, whichever comes first.
/// Dropping the lock removes its `.lock` file.
pub fn hold(lock: Option<FileLock>) -> HeldLock {
    *held_lock() = lock;
    HeldLock(())
}

/// Releases the lock given to [`hold`] when dropped.
#[must_use = "the lock is released when this is dropped"]
pub struct HeldLock(());

impl Drop for HeldLock {
    fn drop(&mut self) {
        drop(held_lock().take());
    }
}

/// Ends the program with `code`, releasing the checkpoint's lock (and
/// removing its `.lock` file) first: `std::process::exit` runs no
/// destructors.
pub fn exit(code: i32) -> ! {
    drop(held_lock().take());
    std::process::exit(code)
}

/// Where human-readable lines go: stdout, or stderr when stdout carries
/// JSON (`--json`).
#[derive(Debug, Clone, Copy)]
pub struct Say {
    pub json: bool,
}

impl Say {
    pub fn line(self, text: impl std::fmt::Display) {
        if self.json {
            eprintln!("{text}");
        } else {
            out(format_args!("{text}"));
        }
    }
}

/// The `--json` line of one epoch.
fn epoch_json(r: &EpochReport, e: &Evaluation) -> String {
    format!(
        "{{\"epoch\":{},\"seconds\":{:.6},\"correct\":{},\"total\":{},\"accuracy\":{:.6},\"cost\":{:.8},\"evaluation_seconds\":{:.6}}}",
        r.epoch,
        r.training_time.as_secs_f64(),
        e.correct,
        e.total,
        e.accuracy(),
        e.cost,
        r.evaluation_time.as_secs_f64()
    )
}

/// The last `--json` line: the final test and validation results.
pub fn final_json(epochs_completed: usize, test: &Evaluation, validation: &Evaluation) -> String {
    format!(
        "{{\"final\":true,\"epochs_completed\":{epochs_completed},\"test_correct\":{},\"test_total\":{},\"test_accuracy\":{:.6},\"test_cost\":{:.8},\"validation_correct\":{},\"validation_total\":{},\"validation_accuracy\":{:.6},\"validation_cost\":{:.8}}}",
        test.correct,
        test.total,
        test.accuracy(),
        test.cost,
        validation.correct,
        validation.total,
        validation.accuracy(),
        validation.cost
    )
}

/// The training curve's values, one per epoch (accuracy in percent).
#[derive(Debug, Default)]
pub struct Curve {
    pub epochs: Vec<usize>,
    pub test: (Vec<f64>, Vec<f64>),
    pub validation: (Vec<f64>, Vec<f64>),
}

/// The checkpoint written after each epoch, and how the last write went.
///
/// A failed write (a full disk, say) does not stop training: the previous
/// checkpoint is intact (saves are atomic), a warning says where it is, the
/// next epoch tries again, and the run ends with an error if the last write
/// failed (after `--save`, which may succeed elsewhere).
#[derive(Debug)]
pub struct Checkpoint<'a> {
    pub path: &'a Path,
    /// The epoch of the last checkpoint written, if any.
    pub last_good: Option<usize>,
    /// The epoch and error of the last write, if it failed.
    pub failure: Option<(usize, neuralnet::Error)>,
}

impl Checkpoint<'_> {
    /// Where the last good checkpoint is, in words.
    pub fn last_good_text(&self) -> String {
        match self.last_good {
            Some(epoch) => format!(
                "the last good checkpoint is {}, after epoch {epoch}",
                self.path.display()
            ),
            None => "no checkpoint has been written".to_string(),
        }
    }
}

/// Watches training: a progress bar within an epoch (on a terminal), one
/// line per epoch, the training curve, the checkpoint, and a warning when
/// the run stops learning.
pub struct Progress<'a, T: Real> {
    say: Say,
    bar: Option<ProgressBar>,
    pub curve: Curve,
    /// Evaluated after each epoch for the training curve, when pictures are drawn.
    validation: Option<(&'a Dataset<T>, &'a dyn Cost<T>)>,
    settings: &'a Settings,
    pub checkpoint: Option<Checkpoint<'a>>,
    /// The workload named in `--peer-format` lines.
    peer: Option<String>,
    /// The test cost of the untrained network, to tell a run that stopped
    /// learning (`None` when not known: a `--load`ed network).
    start_cost: Option<f64>,
    /// The test set, to look at the outputs of a stalled run.
    test: Option<&'a Dataset<T>>,
    warned: bool,
    /// Whether the epochs' evaluation data is the validation set (the
    /// `best` preset) rather than the test set.
    pub on_validation: bool,
    /// The size of the training set (n in the weight decay 1 − ηλ/n).
    n: usize,
}

impl<'a, T: Real> Progress<'a, T> {
    /// `stall`, when the epochs are evaluated on the test set: the test set
    /// and its cost before training (if known), to warn when the run stops
    /// learning.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        say: Say,
        settings: &'a Settings,
        n: usize,
        validation: Option<(&'a Dataset<T>, &'a dyn Cost<T>)>,
        checkpoint: Option<Checkpoint<'a>>,
        peer: Option<String>,
        stall: Option<(Option<f64>, &'a Dataset<T>)>,
    ) -> Self {
        let bar = (!say.json && std::io::stdout().is_terminal()).then(|| {
            let bar = ProgressBar::new(n as u64);
            // A fixed template that indicatif accepts.
            bar.set_style(
                ProgressStyle::with_template("  {bar:40} {pos}/{len} images, {elapsed}")
                    .expect("valid template"),
            );
            bar
        });
        Progress {
            say,
            bar,
            curve: Curve::default(),
            validation,
            settings,
            checkpoint,
            peer,
            start_cost: stall.and_then(|(c, _)| c),
            test: stall.map(|(_, d)| d),
            warned: false,
            n,
            on_validation: false,
        }
    }

    /// Warns once when an epoch ends with the test cost not below where it
    /// started, or with accuracy near chance and the output neurons
    /// saturated (nearly every output within 0.001 of 0 or 1): the network
    /// has stopped learning, which is no NaN and so no error.
    fn warn_if_stalled(&mut self, epoch: usize, e: &Evaluation, net: &Network<T>) {
        if self.warned {
            return;
        }
        let no_better = self.start_cost.is_some_and(|c0| e.cost >= c0);
        let chance = e.accuracy() < 1.5 / net.output_size().max(2) as f64;
        let saturated = || {
            let Some(test) = self.test else {
                return false;
            };
            let Ok(a) = net.feedforward_batch(test.inputs()) else {
                return false;
            };
            let (lo, hi): (T, T) = (nalgebra::convert(0.001), nalgebra::convert(0.999));
            let flat = a.iter().filter(|&&v| v < lo || v > hi).count();
            flat as f64 >= 0.99 * a.len() as f64
        };
        if !(no_better || (chance && saturated())) {
            return;
        }
        self.warned = true;
        let sgd = &self.settings.sgd;
        let decay = 1.0 - sgd.learning_rate() * sgd.l2_lambda() / self.n as f64;
        let cause = if decay <= 0.0 {
            format!(
                "λ = {} is too large for η = {} and n = {}: the weight decay factor 1 − ηλ/n = {decay:.3} is not positive; try a smaller --lambda",
                sgd.l2_lambda(),
                sgd.learning_rate(),
                self.n
            )
        } else {
            format!(
                "the learning rate η = {} may be too large (try one 10 times smaller with --eta), or the network's outputs have saturated",
                sgd.learning_rate()
            )
        };
        eprintln!(
            "warning: after epoch {epoch} the network has stopped learning (test cost {:.4}{}, accuracy {:.2}%): {cause}",
            e.cost,
            self.start_cost
                .map(|c0| format!(", {c0:.4} before training"))
                .unwrap_or_default(),
            100.0 * e.accuracy()
        );
    }
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

    /// The checkpoint, with the state as the epoch left it.
    fn on_epoch_end(
        &mut self,
        epoch: usize,
        net: &Network<T>,
        state: &TrainingState<T>,
    ) -> ControlFlow<()> {
        self.save_checkpoint(epoch, net, state);
        ControlFlow::Continue(())
    }

    fn on_epoch(&mut self, r: &EpochReport, net: &Network<T>) -> ControlFlow<()> {
        // The caller passes the test set for evaluation, or (the `best`
        // preset, `on_validation`) the validation set.
        let Some(e) = r.evaluation else {
            return ControlFlow::Continue(());
        };
        if self.on_validation {
            self.say.line(format_args!(
                "Epoch {}: {} / {} validation images ({:.2}%), cost {:.4}, η {:.4}, {:.2} s",
                r.epoch,
                e.correct,
                e.total,
                100.0 * e.accuracy(),
                e.cost,
                r.learning_rate,
                r.training_time.as_secs_f64()
            ));
        } else {
            self.say.line(format_args!(
                "Epoch {}: {} / {} test images, cost {:.4}, {:.2} s",
                r.epoch,
                e.correct,
                e.total,
                e.cost,
                r.training_time.as_secs_f64()
            ));
        }
        if self.say.json {
            out(format_args!("{}", epoch_json(r, &e)));
        }
        if let Some(workload) = &self.peer {
            out(format_args!(
                "RESULT peer=neuralnet workload={workload} threads={} dtype={} epoch={} seconds={:.4} test_accuracy={:.4}",
                neuralnet::threads::num_threads(),
                std::any::type_name::<T>(),
                r.epoch,
                r.training_time.as_secs_f64(),
                e.accuracy()
            ));
        }
        self.warn_if_stalled(r.epoch, &e, net);
        self.curve.epochs.push(r.epoch);
        if self.on_validation {
            self.curve.validation.0.push(100.0 * e.accuracy());
            self.curve.validation.1.push(e.cost);
        } else {
            self.curve.test.0.push(100.0 * e.accuracy());
            self.curve.test.1.push(e.cost);
        }
        if !self.on_validation
            && let Some((data, cost)) = self.validation
            && let Ok(v) = net.evaluate(data, cost)
        {
            self.curve.validation.0.push(100.0 * v.accuracy());
            self.curve.validation.1.push(v.cost);
        }
        ControlFlow::Continue(())
    }
}

impl<T: Real> Progress<'_, T> {
    /// Writes the checkpoint after `epoch`, if there is one: the network
    /// with its record and the whole training state, in one file written
    /// atomically. A failure is a warning; training goes on.
    pub fn save_checkpoint(&mut self, epoch: usize, net: &Network<T>, state: &TrainingState<T>) {
        let Some(ck) = &mut self.checkpoint else {
            return;
        };
        // `run` holds the checkpoint's advisory lock until it ends.
        let record = self.settings.record(epoch);
        match neuralnet::model::Checkpoint::save(ck.path, net, &record, state) {
            Ok(()) => {
                ck.last_good = Some(epoch);
                ck.failure = None;
            }
            Err(err) => {
                eprintln!(
                    "warning: could not write the checkpoint after epoch {epoch}: {err}\n  {}; training goes on and tries again after the next epoch",
                    ck.last_good_text()
                );
                ck.failure = Some((epoch, err));
            }
        }
    }
}
