//! Checkpoints: a network, its training record and the whole training
//! state in one file, written atomically, so that a resumed run goes on
//! exactly where the checkpoint left it.

use std::path::Path;

use super::{Reader, TrainingRecord, decode, fnv1a, to_binary};
use crate::fs::write_atomically;
use crate::optim::{Optimizer, OptimizerKind, OptimizerState};
use crate::sgd::{Counters, StopReason, TrainingState};
use crate::{Error, Evaluation, Network, Real, Result};

const MAGIC: &[u8; 8] = b"NNETCKPT";

/// A training run saved between two epochs: the network, its
/// [`TrainingRecord`] and its [`TrainingState`] (the optimizer's
/// velocities or moments and step count, the schedule's η, the best epoch,
/// its network and the patience counters), all in one file.
///
/// [`Checkpoint::save`] writes the file atomically (a temporary file,
/// synced, then renamed over the old one), so a crash or `kill -9` at any
/// moment leaves either the previous checkpoint or the new one, whole:
/// there is no second file that could be out of step with the first.
/// [`Checkpoint::load`] reads it back, and [`Network::load`] and
/// [`SavedNetwork::load`](super::SavedNetwork::load) read its network.
///
/// # File layout
/// Little-endian:
///
/// | bytes | content |
/// |---|---|
/// | 8 | magic `NNETCKPT` |
/// | 4 | checkpoint version, `u32` (1) |
/// | 8 + N | the length N of the model file that follows, then the network and its record as a binary model file ([`ModelFormat`](super::ModelFormat)) |
/// | 1 + 32 | the optimizer: 0 = none yet, 1 = sgd, 2 = momentum, 3 = nesterov, 4 = adam, 5 = adamw; then its settings as four `f64` (μ or β₁, β₂, ε, the weight decay; 0 where unused) |
/// | 8 | the optimizer's steps t, `u64` |
/// | 1 + … | which buffers follow (bit 0: velocities or first moments, bit 1: second moments); each holds every weight and bias's value, layer by layer, weights then biases, as the scalar type of the model file |
/// | 8 | the schedule's η for the next epoch, `f64` (NaN: none) |
/// | 1 + 32 | whether there is a best epoch; its number, correct count and total (`u64`) and cost (`f64`) |
/// | 16 | epochs since the best, epochs since the best or the last halving (`u64`) |
/// | 1 | why training stopped: 0 = it did not, 1 = no improvement, 2 = the learning-rate floor |
/// | 8 + K | the length K of the best epoch's network as a binary model file (0: none kept) |
/// | 8 | FNV-1a 64-bit checksum of everything before it |
///
/// # Examples
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use neuralnet::model::{Checkpoint, TrainingRecord};
/// use neuralnet::sgd::TrainingState;
/// use neuralnet::{Init, Network};
/// use rand::{SeedableRng, rngs::StdRng};
/// let net = Network::<f32>::new(&[4, 3, 2], Init::ScaledNormal, &mut StdRng::seed_from_u64(1))?;
/// let path = std::env::temp_dir().join("neuralnet-doc-checkpoint.ckpt");
/// Checkpoint::save(&path, &net, &TrainingRecord::default(), &TrainingState::new())?;
/// let back = Checkpoint::<f32>::load(&path)?;
/// assert_eq!(back.network, net);
/// assert_eq!(Network::<f32>::load(&path)?, net); // a checkpoint is a model file too
/// # std::fs::remove_file(&path)?;
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Checkpoint<T: Real> {
    /// The network as it was after the checkpoint's epoch.
    pub network: Network<T>,
    /// How it was trained ([`TrainingRecord::epochs_completed`] says how
    /// far).
    pub record: TrainingRecord,
    /// What training carries from epoch to epoch: pass it to
    /// [`Sgd::train_with_state`](crate::Sgd::train_with_state) to go on.
    pub state: TrainingState<T>,
}

/// The checkpoint format's version.
const VERSION: u32 = 1;

impl<T: Real> Checkpoint<T> {
    /// Saves `network`, `record` and `state` to `path` as one checkpoint,
    /// atomically.
    ///
    /// # Errors
    /// [`Error::NonFinite`] for a NaN or infinite parameter (nothing is
    /// written); [`Error::File`] naming `path` if it cannot be written.
    pub fn save(
        path: impl AsRef<Path>,
        network: &Network<T>,
        record: &TrainingRecord,
        state: &TrainingState<T>,
    ) -> Result<()> {
        let bytes = Self::to_bytes(network, record, state)?;
        write_atomically(path, |w| w.write_all(&bytes))
    }

    /// The bytes of a checkpoint file (see [`Checkpoint::save`]).
    ///
    /// # Errors
    /// [`Error::NonFinite`] for a NaN or infinite parameter.
    pub fn to_bytes(
        network: &Network<T>,
        record: &TrainingRecord,
        state: &TrainingState<T>,
    ) -> Result<Vec<u8>> {
        network.check_finite()?;
        let model = to_binary(network, record, None);
        let mut out = Vec::with_capacity(model.len() * 3 + 200);
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&VERSION.to_le_bytes());
        put_u64(&mut out, model.len() as u64);
        out.extend_from_slice(&model);
        let optimizer = state.optimizer_state();
        let (code, settings) = match optimizer.map(OptimizerState::optimizer) {
            None => (0, [0.0; 4]),
            Some(o) => (kind_code(o.kind()), settings(o)),
        };
        out.push(code);
        for v in settings {
            put_u64(&mut out, v.to_bits());
        }
        put_u64(&mut out, optimizer.map_or(0, OptimizerState::steps));
        let first = optimizer.and_then(OptimizerState::first);
        let second = optimizer.and_then(OptimizerState::second);
        out.push(u8::from(first.is_some()) | (u8::from(second.is_some()) << 1));
        for buffer in [first, second].into_iter().flatten() {
            for (w, b) in buffer.layers() {
                for &v in w.iter().chain(b) {
                    v.put_le(&mut out);
                }
            }
        }
        let c = state.counters();
        put_u64(&mut out, c.learning_rate.unwrap_or(f64::NAN).to_bits());
        out.push(u8::from(c.best.is_some()));
        let (epoch, e) = c.best.unwrap_or((
            0,
            Evaluation {
                correct: 0,
                total: 0,
                cost: 0.0,
            },
        ));
        for v in [
            epoch as u64,
            e.correct as u64,
            e.total as u64,
            e.cost.to_bits(),
        ] {
            put_u64(&mut out, v);
        }
        put_u64(&mut out, c.since_best as u64);
        put_u64(&mut out, c.since_change as u64);
        out.push(match c.stopped {
            None => 0,
            Some(StopReason::NoImprovement) => 1,
            Some(StopReason::LearningRateFloor) => 2,
        });
        match state.best_network() {
            Some(kept) => {
                let kept = to_binary(kept, &TrainingRecord::default(), None);
                put_u64(&mut out, kept.len() as u64);
                out.extend_from_slice(&kept);
            }
            None => put_u64(&mut out, 0),
        }
        let sum = fnv1a(&out);
        put_u64(&mut out, sum);
        Ok(out)
    }

    /// Loads a checkpoint written by [`Checkpoint::save`].
    ///
    /// # Errors
    /// [`Error::File`], [`Error::NotAFile`] or [`Error::DanglingSymlink`]
    /// if the file cannot be read; [`Error::ModelFormat`] naming it if it
    /// is not a valid checkpoint (corrupted, truncated, or its parts do
    /// not fit together); [`Error::UnsupportedVersion`] or
    /// [`Error::ScalarMismatch`] for a checkpoint this version or `T`
    /// cannot take. Memory is bounded by the file's size.
    pub fn load(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let bytes = super::read_model_file(path)?;
        Self::decode(&bytes, &path.display().to_string())
    }

    /// Reads a checkpoint from its bytes.
    ///
    /// # Errors
    /// As [`Checkpoint::load`], without the I/O errors.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        Self::decode(bytes, "<bytes>")
    }

    fn decode(bytes: &[u8], name: &str) -> Result<Self> {
        let bad = |reason: String| Error::ModelFormat {
            source_name: name.into(),
            reason,
        };
        let truncated = || bad("the checkpoint is truncated".into());
        if !bytes.starts_with(MAGIC) {
            return Err(bad("not a checkpoint (magic NNETCKPT)".into()));
        }
        if bytes.len() < MAGIC.len() + 4 + 8 {
            return Err(truncated());
        }
        let body_end = bytes.len() - 8;
        let stored = u64::from_le_bytes(bytes[body_end..].try_into().expect("8 bytes"));
        if fnv1a(&bytes[..body_end]) != stored {
            return Err(bad("checksum mismatch: the checkpoint is corrupted".into()));
        }
        let mut r = Reader {
            bytes: &bytes[..body_end],
            pos: MAGIC.len(),
        };
        let version = r.u32().ok_or_else(truncated)?;
        if version != VERSION {
            return Err(Error::UnsupportedVersion {
                source_name: name.into(),
                found: version,
                supported: VERSION,
            });
        }
        let model = sized(&mut r).ok_or_else(truncated)?;
        let saved = decode::<T>(model, name)?;
        let code = r.u8().ok_or_else(truncated)?;
        let mut settings = [0.0; 4];
        for s in &mut settings {
            *s = r.f64().ok_or_else(truncated)?;
        }
        let steps = r.u64().ok_or_else(truncated)?;
        let flags = r.u8().ok_or_else(truncated)?;
        let mut buffers = [None, None];
        for (i, buffer) in buffers.iter_mut().enumerate() {
            if flags & (1 << i) == 0 {
                continue;
            }
            let mut p = saved.network.params().zeros_like("the optimizer's state")?;
            for l in 0..saved.network.layers().len() {
                let (w, b) = p.layer_mut(l);
                for v in w.iter_mut().chain(b.iter_mut()) {
                    let bytes = r.take(T::BYTES).ok_or_else(truncated)?;
                    *v = T::get_le(bytes);
                }
            }
            if !p.as_slice().iter().all(|v| v.is_finite()) {
                return Err(bad(
                    "a NaN or infinite value in the optimizer's state".into()
                ));
            }
            *buffer = Some(p);
        }
        let [first, second] = buffers;
        let optimizer = match code {
            0 => None,
            c => {
                let kind = OptimizerKind::ALL
                    .get(usize::from(c) - 1)
                    .copied()
                    .ok_or_else(|| bad(format!("unknown optimizer code {c}")))?;
                let optimizer = from_settings(kind, settings);
                optimizer
                    .validate(0.0)
                    .map_err(|e| bad(format!("the optimizer's settings: {e}")))?;
                if first.is_some() != (optimizer.has_velocity() || optimizer.is_adaptive())
                    || second.is_some() != optimizer.is_adaptive()
                {
                    return Err(bad(format!(
                        "the optimizer's state does not fit the {} optimizer",
                        optimizer
                    )));
                }
                Some(OptimizerState::from_parts(optimizer, steps, first, second))
            }
        };
        let learning_rate = r.f64().ok_or_else(truncated)?;
        let has_best = r.u8().ok_or_else(truncated)?;
        let mut best = [0u64; 4];
        for b in &mut best {
            *b = r.u64().ok_or_else(truncated)?;
        }
        let since_best = r.u64().ok_or_else(truncated)?;
        let since_change = r.u64().ok_or_else(truncated)?;
        let stopped = match r.u8().ok_or_else(truncated)? {
            0 => None,
            1 => Some(StopReason::NoImprovement),
            2 => Some(StopReason::LearningRateFloor),
            c => return Err(bad(format!("unknown stop reason {c}"))),
        };
        let kept = sized(&mut r).ok_or_else(truncated)?;
        let kept = if kept.is_empty() {
            None
        } else {
            let kept = decode::<T>(kept, name)?.network;
            if kept.layers() != saved.network.layers() {
                return Err(bad("the best epoch's network has other layers".into()));
            }
            Some(kept)
        };
        if r.remaining() != 0 {
            return Err(bad(format!(
                "{} bytes after the checkpoint's last part",
                r.remaining()
            )));
        }
        let to_usize = |v: u64| usize::try_from(v).unwrap_or(usize::MAX);
        let counters = Counters {
            learning_rate: (!learning_rate.is_nan()).then_some(learning_rate),
            best: (has_best != 0).then(|| {
                (
                    to_usize(best[0]),
                    Evaluation {
                        correct: to_usize(best[1]),
                        total: to_usize(best[2]),
                        cost: f64::from_bits(best[3]),
                    },
                )
            }),
            since_best: to_usize(since_best),
            since_change: to_usize(since_change),
            stopped,
        };
        Ok(Checkpoint {
            network: saved.network,
            record: saved.record,
            state: TrainingState::from_parts(counters, optimizer, kept),
        })
    }
}

/// Whether `bytes` are a checkpoint (by their magic number).
pub(super) fn is_checkpoint(bytes: &[u8]) -> bool {
    bytes.starts_with(MAGIC)
}

/// The model file inside a checkpoint's bytes, checked against the
/// checkpoint's checksum, for [`SavedNetwork::load`](super::SavedNetwork::load).
pub(super) fn model_part<'a>(bytes: &'a [u8], name: &str) -> Result<&'a [u8]> {
    let bad = |reason: &str| Error::ModelFormat {
        source_name: name.into(),
        reason: reason.into(),
    };
    if bytes.len() < MAGIC.len() + 4 + 8 + 8 {
        return Err(bad("the checkpoint is truncated"));
    }
    let body_end = bytes.len() - 8;
    let stored = u64::from_le_bytes(bytes[body_end..].try_into().expect("8 bytes"));
    if fnv1a(&bytes[..body_end]) != stored {
        return Err(bad("checksum mismatch: the checkpoint is corrupted"));
    }
    let mut r = Reader {
        bytes: &bytes[..body_end],
        pos: MAGIC.len() + 4,
    };
    sized(&mut r).ok_or_else(|| bad("the checkpoint is truncated"))
}

/// A length-prefixed part: a `u64` length, then that many bytes.
fn sized<'a>(r: &mut Reader<'a>) -> Option<&'a [u8]> {
    let len = usize::try_from(r.u64()?).ok()?;
    r.take(len)
}

fn put_u64(out: &mut Vec<u8>, v: u64) {
    out.extend_from_slice(&v.to_le_bytes());
}

/// The optimizer's code in a checkpoint: 1 = sgd … 5 = adamw.
fn kind_code(kind: OptimizerKind) -> u8 {
    let index = OptimizerKind::ALL
        .iter()
        .position(|&k| k == kind)
        .expect("ALL lists every kind");
    u8::try_from(index + 1).expect("five kinds")
}

/// An optimizer's four settings, 0 where unused.
fn settings(o: Optimizer) -> [f64; 4] {
    match o {
        Optimizer::Momentum { momentum } | Optimizer::Nesterov { momentum } => {
            [momentum, 0.0, 0.0, 0.0]
        }
        Optimizer::Adam {
            beta1,
            beta2,
            epsilon,
        } => [beta1, beta2, epsilon, 0.0],
        Optimizer::AdamW {
            beta1,
            beta2,
            epsilon,
            weight_decay,
        } => [beta1, beta2, epsilon, weight_decay],
        _ => [0.0; 4],
    }
}

/// The optimizer of `kind` with the four settings of [`settings`].
fn from_settings(kind: OptimizerKind, s: [f64; 4]) -> Optimizer {
    match kind {
        OptimizerKind::Sgd => Optimizer::Sgd,
        OptimizerKind::Momentum => Optimizer::momentum(s[0]),
        OptimizerKind::Nesterov => Optimizer::nesterov(s[0]),
        OptimizerKind::Adam => Optimizer::adam().with_betas(s[0], s[1]).with_epsilon(s[2]),
        OptimizerKind::AdamW => Optimizer::adamw(s[3])
            .with_betas(s[0], s[1])
            .with_epsilon(s[2]),
    }
}
