//! Saving and loading trained networks, without ever losing a saved file.
//!
//! # Formats
//!
//! **Binary** (always available; any extension but `.json`). Little-endian:
//!
//! | bytes | content |
//! |---|---|
//! | 8 | magic `NNETBIN\0` |
//! | 4 | format version, `u32` (this crate writes and reads version 1) |
//! | 1 | scalar size: 4 (`f32`) or 8 (`f64`) |
//! | 4 + 4·L | number of layers L, then each layer size, `u32` |
//! | 56 | the [`TrainingRecord`]: cost and initialisation codes (`u8` each, 0 = unknown), η and λ (`f64`, NaN = unknown), m, epochs, epochs completed and seed (`u64`; m = 0 and a seed flag byte before the seed mean unknown) |
//! | … | per weight layer: the weights wˡ row by row (row j: the weights into neuron j), then the biases bˡ |
//! | 8 | FNV-1a 64-bit checksum of everything before it |
//!
//! **JSON** (cargo feature `serde`, on by default; `.json` files), readable
//! and close to what Nielsen's `network2.py` writes:
//!
//! ```json
//! {"format": "neuralnet", "version": 1, "scalar": "f32", "sizes": [784, 30, 10],
//!  "training": {"cost": "quadratic", "learning_rate": 3.0, ...},
//!  "weights": [[[w₀₀, w₀₁, ...], ...], ...], "biases": [[b₀, ...], ...]}
//! ```
//!
//! Weights are rows in the lecture's orientation. Values are written as
//! `f64` decimals, which represent every `f32` exactly, so a round trip is
//! bit-identical in both scalar types.
//!
//! # Safety of saved files
//!
//! Saving writes a temporary file in the target's directory, flushes and
//! syncs it to disk, then renames it over the target (and syncs the
//! directory). A crash or an error part-way leaves the previous file as it
//! was, and the temporary file is removed.

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use nalgebra::DVector;

use crate::scalar::from_f64;
use crate::{Error, Network, Real, Result};

/// The model format version this crate writes and reads.
pub const MODEL_FORMAT_VERSION: u32 = 1;

const MAGIC: &[u8; 8] = b"NNETBIN\0";

/// How a network was trained: kept with it in saved files.
///
/// Every field is optional or zero when unknown. The `mnist` example uses it
/// to check that `--resume` continues the same run.
#[derive(Debug, Clone, PartialEq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(default, deny_unknown_fields))]
pub struct TrainingRecord {
    /// The cost function: `"quadratic"` or `"cross-entropy"`.
    pub cost: Option<String>,
    /// The initialisation: `"standard-normal"` or `"scaled-normal"`.
    pub init: Option<String>,
    /// The learning rate η.
    pub learning_rate: Option<f64>,
    /// The mini-batch size m.
    pub mini_batch_size: Option<usize>,
    /// The L2 regularisation λ.
    pub l2_lambda: Option<f64>,
    /// The number of epochs planned.
    pub epochs: Option<usize>,
    /// The number of epochs trained so far.
    pub epochs_completed: usize,
    /// The seed of the random number generator.
    pub seed: Option<u64>,
}

/// Which file format to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ModelFormat {
    /// The compact binary format.
    Binary,
    /// JSON (needs the `serde` feature).
    #[cfg(feature = "serde")]
    Json,
}

impl ModelFormat {
    /// JSON for a path ending in `.json` (with the `serde` feature), binary
    /// otherwise.
    pub fn for_path(path: &Path) -> Self {
        #[cfg(feature = "serde")]
        if path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("json"))
        {
            return ModelFormat::Json;
        }
        let _ = path;
        ModelFormat::Binary
    }
}

/// A network read from a file, with its training record.
#[derive(Debug, Clone, PartialEq)]
pub struct SavedNetwork<T: Real> {
    /// The network.
    pub network: Network<T>,
    /// How it was trained.
    pub record: TrainingRecord,
}

impl<T: Real> Network<T> {
    /// The network as a file in `format`, with its training record.
    ///
    /// # Errors
    /// [`Error::NonFinite`] if a weight or bias is NaN or infinite.
    pub fn to_bytes(&self, format: ModelFormat, record: &TrainingRecord) -> Result<Vec<u8>> {
        self.check_finite()?;
        match format {
            ModelFormat::Binary => Ok(self.to_binary(record)),
            #[cfg(feature = "serde")]
            ModelFormat::Json => Ok(self.to_json(record)),
        }
    }

    /// Saves the network to `path` atomically, as JSON if the path ends in
    /// `.json` (and the `serde` feature is on), in the binary format
    /// otherwise. See [`write_atomically`] for what happens on failure.
    ///
    /// # Examples
    /// ```
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use neuralnet::{Init, Network, TrainingRecord};
    /// use rand::{SeedableRng, rngs::StdRng};
    ///
    /// let net = Network::<f32>::new(&[4, 3, 2], Init::StandardNormal, &mut StdRng::seed_from_u64(1))?;
    /// let path = std::env::temp_dir().join("neuralnet-doc-example.nnet");
    /// net.save(&path, &TrainingRecord::default())?;
    /// let loaded = Network::<f32>::load(&path)?;
    /// assert_eq!(loaded.network, net);
    /// # std::fs::remove_file(&path)?;
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    /// [`Error::NonFinite`] for a NaN or infinite parameter (nothing is
    /// written); [`Error::File`] if the file cannot be written.
    pub fn save(&self, path: impl AsRef<Path>, record: &TrainingRecord) -> Result<()> {
        let path = path.as_ref();
        let bytes = self.to_bytes(ModelFormat::for_path(path), record)?;
        write_atomically(path, |w| w.write_all(&bytes))
    }

    /// Loads a network saved by [`Network::save`], in either format
    /// (recognised by content).
    ///
    /// # Errors
    /// [`Error::File`] if the file cannot be read; [`Error::ModelFormat`],
    /// [`Error::UnsupportedVersion`], [`Error::ScalarMismatch`],
    /// [`Error::InvalidLayers`], [`Error::ShapeMismatch`] or
    /// [`Error::NonFinite`] if its content is not a valid network of `T`.
    pub fn load(path: impl AsRef<Path>) -> Result<SavedNetwork<T>> {
        let path = path.as_ref();
        let bytes = fs::read(path).map_err(|source| Error::File {
            path: path.to_owned(),
            source,
        })?;
        Self::from_bytes_named(&bytes, &path.display().to_string())
    }

    /// Reads a network from the bytes of a model file, in either format.
    ///
    /// # Errors
    /// As [`Network::load`], without the I/O errors.
    pub fn from_bytes(bytes: &[u8]) -> Result<SavedNetwork<T>> {
        Self::from_bytes_named(bytes, "<bytes>")
    }

    fn from_bytes_named(bytes: &[u8], name: &str) -> Result<SavedNetwork<T>> {
        if bytes.starts_with(MAGIC) {
            return Self::from_binary(bytes, name);
        }
        #[cfg(feature = "serde")]
        if bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{') {
            return Self::from_json(bytes, name);
        }
        Err(Error::ModelFormat {
            source_name: name.into(),
            reason: if cfg!(feature = "serde") {
                "neither the binary format (magic NNETBIN) nor JSON".into()
            } else {
                "not the binary format (magic NNETBIN); JSON needs the `serde` feature".into()
            },
        })
    }

    /// The same network in another scalar type (rounding to the nearest
    /// value when narrowing `f64` to `f32`).
    pub fn cast<U: Real>(&self) -> Network<U> {
        let conv = |w: &[T]| w.iter().map(|v| from_f64::<U>(v.to_f64())).collect();
        Network::from_storage(
            self.sizes().to_vec(),
            &self.storage().0.map(conv).collect::<Vec<_>>(),
            self.biases()
                .iter()
                .map(|b| b.map(|v| from_f64::<U>(v.to_f64())))
                .collect(),
        )
    }

    fn check_finite(&self) -> Result<()> {
        let (w, b) = self.storage();
        for (layer, (w, b)) in w.zip(b).enumerate() {
            if !w.iter().all(|v| v.is_finite()) {
                return Err(Error::NonFinite {
                    layer,
                    what: "weight",
                });
            }
            if !b.iter().all(|v| v.is_finite()) {
                return Err(Error::NonFinite {
                    layer,
                    what: "bias",
                });
            }
        }
        Ok(())
    }

    fn to_binary(&self, record: &TrainingRecord) -> Vec<u8> {
        let mut out = Vec::with_capacity(64 + self.num_parameters() * T::BYTES);
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&MODEL_FORMAT_VERSION.to_le_bytes());
        out.push(T::BYTES as u8);
        out.extend_from_slice(&(self.sizes().len() as u32).to_le_bytes());
        for &n in self.sizes() {
            out.extend_from_slice(&(n as u32).to_le_bytes());
        }
        encode_record(record, &mut out);
        let (w, b) = self.storage();
        for (w, b) in w.zip(b) {
            // Neuron-major storage: neuron after neuron, that is wˡ row by row.
            for &v in w {
                v.put_le(&mut out);
            }
            for &v in b.as_slice() {
                v.put_le(&mut out);
            }
        }
        let sum = fnv1a(&out);
        out.extend_from_slice(&sum.to_le_bytes());
        out
    }

    fn from_binary(bytes: &[u8], name: &str) -> Result<SavedNetwork<T>> {
        let bad = |reason: String| Error::ModelFormat {
            source_name: name.into(),
            reason,
        };
        let mut r = Reader {
            bytes,
            pos: MAGIC.len(),
        };
        let version = r.u32().ok_or_else(|| bad("truncated header".into()))?;
        if version != MODEL_FORMAT_VERSION {
            return Err(Error::UnsupportedVersion {
                source_name: name.into(),
                found: version,
                supported: MODEL_FORMAT_VERSION,
            });
        }
        let scalar = r.u8().ok_or_else(|| bad("truncated header".into()))?;
        let found = match scalar {
            4 => "f32",
            8 => "f64",
            other => {
                return Err(bad(format!(
                    "unknown scalar size {other} (expected 4 or 8)"
                )));
            }
        };
        if found != T::NAME {
            return Err(Error::ScalarMismatch {
                source_name: name.into(),
                found: found.into(),
                expected: T::NAME,
            });
        }
        let layers = r.u32().ok_or_else(|| bad("truncated header".into()))? as usize;
        // Each size takes 4 bytes: a count beyond the file cannot be real.
        if layers > r.remaining() / 4 {
            return Err(bad(format!(
                "{layers} layers claimed in a file of {} bytes",
                bytes.len()
            )));
        }
        let mut sizes = Vec::with_capacity(layers);
        for _ in 0..layers {
            sizes.push(r.u32().ok_or_else(|| bad("truncated header".into()))? as usize);
        }
        let record =
            decode_record(&mut r).ok_or_else(|| bad("truncated training record".into()))?;
        crate::network::check_sizes(&sizes)?;
        // The parameters and the checksum must fill the rest exactly; check
        // before allocating anything of the claimed size.
        let params = sizes
            .windows(2)
            .try_fold(0usize, |acc, p| {
                acc.checked_add(p[0].checked_mul(p[1])?.checked_add(p[1])?)
            })
            .and_then(|n| n.checked_mul(T::BYTES));
        let expected = params.and_then(|p| p.checked_add(8));
        if expected != Some(r.remaining()) {
            return Err(bad(format!(
                "sizes {sizes:?} need {} more bytes, the file has {}",
                expected.map_or("too many".into(), |e| e.to_string()),
                r.remaining()
            )));
        }
        let body_end = bytes.len() - 8;
        let stored = u64::from_le_bytes(bytes[body_end..].try_into().expect("8 bytes"));
        if fnv1a(&bytes[..body_end]) != stored {
            return Err(bad("checksum mismatch: the file is corrupted".into()));
        }
        let mut w = Vec::with_capacity(sizes.len() - 1);
        let mut b = Vec::with_capacity(sizes.len() - 1);
        for p in sizes.windows(2) {
            let (n_in, n_out) = (p[0], p[1]);
            let wl = r.values::<T>(n_in * n_out).expect("length checked above");
            let bl = r.values::<T>(n_out).expect("length checked above");
            w.push(wl);
            b.push(DVector::from_vec(bl));
        }
        let network = Network::from_storage(sizes, &w, b);
        network.check_finite()?;
        Ok(SavedNetwork { network, record })
    }

    #[cfg(feature = "serde")]
    fn to_json(&self, record: &TrainingRecord) -> Vec<u8> {
        let (w, b) = self.storage();
        let file = JsonFile {
            format: "neuralnet".into(),
            version: MODEL_FORMAT_VERSION,
            scalar: T::NAME.into(),
            sizes: self.sizes().to_vec(),
            training: record.clone(),
            weights: w
                .zip(self.sizes())
                .map(|(w, &n_in)| {
                    w.chunks(n_in)
                        .map(|row| row.iter().map(|v| v.to_f64()).collect())
                        .collect()
                })
                .collect(),
            biases: b
                .iter()
                .map(|b| b.iter().map(|v| v.to_f64()).collect())
                .collect(),
        };
        serde_json::to_vec(&file).expect("a struct of numbers, strings and vectors serialises")
    }

    #[cfg(feature = "serde")]
    fn from_json(bytes: &[u8], name: &str) -> Result<SavedNetwork<T>> {
        let bad = |reason: String| Error::ModelFormat {
            source_name: name.into(),
            reason,
        };
        // Check the header fields first, so a newer version is reported as
        // such even if its layout changed.
        #[derive(serde::Deserialize)]
        struct Header {
            format: Option<String>,
            version: Option<u32>,
            scalar: Option<String>,
        }
        let header: Header = serde_json::from_slice(bytes).map_err(|e| bad(e.to_string()))?;
        if header.format.as_deref() != Some("neuralnet") {
            return Err(bad("JSON without \"format\": \"neuralnet\"".into()));
        }
        match header.version {
            Some(MODEL_FORMAT_VERSION) => {}
            Some(found) => {
                return Err(Error::UnsupportedVersion {
                    source_name: name.into(),
                    found,
                    supported: MODEL_FORMAT_VERSION,
                });
            }
            None => return Err(bad("no \"version\"".into())),
        }
        match header.scalar.as_deref() {
            Some(s) if s == T::NAME => {}
            Some(s @ ("f32" | "f64")) => {
                return Err(Error::ScalarMismatch {
                    source_name: name.into(),
                    found: s.into(),
                    expected: T::NAME,
                });
            }
            other => {
                return Err(bad(format!(
                    "unknown scalar {other:?} (expected \"f32\" or \"f64\")"
                )));
            }
        }
        let file: JsonFile = serde_json::from_slice(bytes).map_err(|e| bad(e.to_string()))?;
        let sizes = file.sizes;
        crate::network::check_sizes(&sizes)?;
        if file.weights.len() != sizes.len() - 1 || file.biases.len() != sizes.len() - 1 {
            return Err(bad(format!(
                "{} weight and {} bias layers for sizes {sizes:?}",
                file.weights.len(),
                file.biases.len()
            )));
        }
        let mut w = Vec::with_capacity(sizes.len() - 1);
        let mut b = Vec::with_capacity(sizes.len() - 1);
        for (layer, ((rows, bias), p)) in file
            .weights
            .iter()
            .zip(&file.biases)
            .zip(sizes.windows(2))
            .enumerate()
        {
            let (n_in, n_out) = (p[0], p[1]);
            let cols = rows.first().map_or(n_in, Vec::len);
            if rows.len() != n_out || rows.iter().any(|r| r.len() != cols) || cols != n_in {
                return Err(Error::ShapeMismatch {
                    layer,
                    what: "weights",
                    expected: (n_out, n_in),
                    got: (rows.len(), cols),
                });
            }
            if bias.len() != n_out {
                return Err(Error::ShapeMismatch {
                    layer,
                    what: "biases",
                    expected: (n_out, 1),
                    got: (bias.len(), 1),
                });
            }
            w.push(
                rows.iter()
                    .flatten()
                    .map(|&v| from_f64::<T>(v))
                    .collect::<Vec<T>>(),
            );
            b.push(DVector::from_iterator(
                n_out,
                bias.iter().map(|&v| from_f64::<T>(v)),
            ));
        }
        let network = Network::from_storage(sizes, &w, b);
        network.check_finite()?;
        Ok(SavedNetwork {
            network,
            record: file.training,
        })
    }
}

#[cfg(feature = "serde")]
#[derive(serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonFile {
    format: String,
    version: u32,
    scalar: String,
    sizes: Vec<usize>,
    #[serde(default)]
    training: TrainingRecord,
    weights: Vec<Vec<Vec<f64>>>,
    biases: Vec<Vec<f64>>,
}

/// Writes a file so that it is either entirely the new content or, if
/// anything fails, untouched.
///
/// `write` fills a temporary file in the same directory as `path`; the file
/// is then flushed and synced, and renamed over `path`, and the directory is
/// synced (where the platform allows). If `write` or any step fails, the
/// temporary file is removed and `path` keeps its old content.
///
/// # Errors
/// [`Error::File`] naming `path` (or the temporary file) and the I/O error.
pub fn write_atomically(
    path: impl AsRef<Path>,
    write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> Result<()> {
    let path = path.as_ref();
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_owned(),
        _ => PathBuf::from("."),
    };
    let file_name = path.file_name().ok_or_else(|| Error::File {
        path: path.to_owned(),
        source: io::Error::new(io::ErrorKind::InvalidInput, "not a file path"),
    })?;
    let tmp = dir.join(format!(
        ".{}.tmp-{}-{}",
        file_name.to_string_lossy(),
        std::process::id(),
        TEMP_COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    ));
    let fail = |at: &Path, source: io::Error| Error::File {
        path: at.to_owned(),
        source,
    };
    let mut file = File::create_new(&tmp).map_err(|e| fail(&tmp, e))?;
    let result = (|| {
        let mut buffered = io::BufWriter::new(&mut file);
        write(&mut buffered)?;
        buffered.flush()?;
        drop(buffered);
        file.sync_all()
    })();
    drop(file);
    if let Err(e) = result.and_then(|()| fs::rename(&tmp, path)) {
        let _ = fs::remove_file(&tmp);
        return Err(fail(path, e));
    }
    // Make the rename itself durable; not every platform can open a directory.
    if let Ok(d) = File::open(&dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

static TEMP_COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// FNV-1a, 64 bits: a checksum against corruption, not against tampering.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Option<&[u8]> {
        let end = self.pos.checked_add(n)?;
        let s = self.bytes.get(self.pos..end)?;
        self.pos = end;
        Some(s)
    }
    fn remaining(&self) -> usize {
        self.bytes.len().saturating_sub(self.pos)
    }
    fn u8(&mut self) -> Option<u8> {
        self.take(1).map(|b| b[0])
    }
    fn u32(&mut self) -> Option<u32> {
        self.take(4)
            .map(|b| u32::from_le_bytes(b.try_into().expect("4 bytes")))
    }
    fn u64(&mut self) -> Option<u64> {
        self.take(8)
            .map(|b| u64::from_le_bytes(b.try_into().expect("8 bytes")))
    }
    fn f64(&mut self) -> Option<f64> {
        self.u64().map(f64::from_bits)
    }
    fn values<T: Real>(&mut self, n: usize) -> Option<Vec<T>> {
        let bytes = self.take(n.checked_mul(T::BYTES)?)?;
        Some(bytes.chunks_exact(T::BYTES).map(T::get_le).collect())
    }
}

const COSTS: [&str; 2] = ["quadratic", "cross-entropy"];
const INITS: [&str; 2] = ["standard-normal", "scaled-normal"];

fn code(names: &[&str], value: Option<&str>) -> u8 {
    value
        .and_then(|v| names.iter().position(|n| *n == v))
        .map_or(0, |i| i as u8 + 1)
}

fn encode_record(r: &TrainingRecord, out: &mut Vec<u8>) {
    out.push(code(&COSTS, r.cost.as_deref()));
    out.push(code(&INITS, r.init.as_deref()));
    out.extend_from_slice(&r.learning_rate.unwrap_or(f64::NAN).to_le_bytes());
    out.extend_from_slice(&r.l2_lambda.unwrap_or(f64::NAN).to_le_bytes());
    out.extend_from_slice(&(r.mini_batch_size.unwrap_or(0) as u64).to_le_bytes());
    out.extend_from_slice(&(r.epochs.map_or(u64::MAX, |e| e as u64)).to_le_bytes());
    out.extend_from_slice(&(r.epochs_completed as u64).to_le_bytes());
    out.push(u8::from(r.seed.is_some()));
    out.extend_from_slice(&r.seed.unwrap_or(0).to_le_bytes());
    out.extend_from_slice(&[0u8; 5]); // reserved, keeps the record at 56 bytes
}

fn decode_record(r: &mut Reader) -> Option<TrainingRecord> {
    let name = |names: &[&str], c: u8| {
        names
            .get(usize::from(c).checked_sub(1)?)
            .map(|s| s.to_string())
    };
    let cost = r.u8()?;
    let init = r.u8()?;
    let learning_rate = r.f64()?;
    let l2_lambda = r.f64()?;
    let mini_batch_size = r.u64()?;
    let epochs = r.u64()?;
    let epochs_completed = r.u64()?;
    let has_seed = r.u8()?;
    let seed = r.u64()?;
    r.take(5)?;
    Some(TrainingRecord {
        cost: name(&COSTS, cost),
        init: name(&INITS, init),
        learning_rate: (!learning_rate.is_nan()).then_some(learning_rate),
        l2_lambda: (!l2_lambda.is_nan()).then_some(l2_lambda),
        mini_batch_size: (mini_batch_size != 0)
            .then(|| usize::try_from(mini_batch_size).unwrap_or(usize::MAX)),
        epochs: (epochs != u64::MAX).then(|| usize::try_from(epochs).unwrap_or(usize::MAX)),
        epochs_completed: usize::try_from(epochs_completed).unwrap_or(usize::MAX),
        seed: (has_seed != 0).then_some(seed),
    })
}
