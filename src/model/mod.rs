//! Saving and loading trained networks, without ever losing a saved file.
//!
//! The two formats are described on [`ModelFormat`], the one type that
//! names them; this module is the one place that reads and writes them.
//!
//! # Safety of saved files
//!
//! Saving writes a temporary file in the target's directory, flushes and
//! syncs it to disk, then renames it over the target (and syncs the
//! directory). A crash or an error part-way leaves the previous file as it
//! was, and the temporary file is removed. Only a regular file (or a
//! symbolic link to one, whose target is replaced) is ever written over; see
//! [`check_writable`] to check a path before a long
//! run and [`FileLock`] to keep two runs from writing the
//! same file.

use std::path::Path;

use crate::fs::write_atomically;
pub use crate::fs::{FileLock, check_writable, regular_file_exists};
use crate::layer::Layer;
use crate::optim::OptimizerKind;
use crate::prep::{Preprocessor, TargetEncoding};
use crate::{Activation, CostKind, Error, Init, Network, Real, Result};

mod checkpoint;

pub use checkpoint::Checkpoint;

const MAGIC: &[u8; 8] = b"NNETBIN\0";

/// How a network was trained: kept with it in saved files.
///
/// Every field is `None` (or zero) when not recorded. The `mnist` example
/// uses it to check that `--resume` continues the same run.
///
/// It is `#[non_exhaustive]` (later versions may record more): start from
/// [`TrainingRecord::default`] and set the fields.
#[derive(Debug, Clone, PartialEq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(default, deny_unknown_fields))]
#[non_exhaustive]
pub struct TrainingRecord {
    /// The cost function (saved as its name, `"quadratic"`,
    /// `"cross-entropy"` or `"log-likelihood"`).
    pub cost: Option<CostKind>,
    /// The initialisation (saved as its name, `"standard-normal"` or
    /// `"scaled-normal"`).
    pub init: Option<Init>,
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
    /// The optimizer (saved as its name, `"sgd"`, `"momentum"`,
    /// `"nesterov"`, `"adam"` or `"adamw"`).
    pub optimizer: Option<OptimizerKind>,
}

/// Which file format to write; loading recognises either by content.
///
/// **Binary** (always available; any extension but `.json`). Little-endian:
///
/// | bytes | content |
/// |---|---|
/// | 8 | magic `NNETBIN\0` |
/// | 4 | format version, `u32` (this crate writes [`ModelFormat::VERSION`], 3, and also reads versions 1 and 2) |
/// | 1 | scalar size: 4 (`f32`) or 8 (`f64`) |
/// | 4 + 4·L | number of layers L, then each layer size, `u32` |
/// | L − 1 | each layer's [`Activation`] after the input, `u8`: 1 = sigmoid, 2 = tanh, 3 = relu, 4 = softmax, 5 = identity (not in version 1 files, whose layers are all sigmoid) |
/// | 56 | the [`TrainingRecord`]: cost and initialisation codes (`u8` each; 0 = not recorded, 1 = quadratic / standard-normal, 2 = cross-entropy / scaled-normal, 3 = log-likelihood / he; any other code is refused), η and λ (`f64`, NaN = not recorded), m, epochs, epochs completed and seed (`u64`; m = 0 and a seed flag byte before the seed mean not recorded), the optimizer code (`u8`: 0 = not recorded, 1 = sgd, 2 = momentum, 3 = nesterov, 4 = adam, 5 = adamw; 0 in files of earlier releases) and 4 reserved zero bytes |
/// | 17·(L − 1) | each layer's description (version 3; earlier versions' layers are all dense): its kind, `u8` (1 = dense), and four `u32` fields for the kind's geometry, which the sizes alone do not give (all 0 for a dense layer; room for a convolution's channels, kernel and image size without another format) |
/// | 8 | the length P of the preprocessing slot, `u64` (0: none; version 3) |
/// | … | per layer, its parameters in the order of [`crate::layer`]: for a dense layer the weights wˡ row by row (row j: the weights into neuron j), then the biases bˡ |
/// | P | the preprocessing slot ([`Preprocessing`]): a flag byte, then the fitted [`Preprocessor`] and [`TargetEncoding`], each as a `u64` length and its bytes |
/// | 8 | FNV-1a 64-bit checksum of everything before it |
///
/// **JSON** (cargo feature `serde`, on by default; `.json` files), readable
/// and close to what Nielsen's `network2.py` writes:
///
/// ```json
/// {"format": "neuralnet", "version": 3, "scalar": "f32", "sizes": [784, 30, 10],
///  "activations": ["sigmoid", "sigmoid"], "layers": ["dense", "dense"],
///  "training": {"cost": "quadratic", "learning_rate": 3.0, ...},
///  "weights": [[[w₀₀, w₀₁, ...], ...], ...], "biases": [[b₀, ...], ...]}
/// ```
///
/// `"activations"` names each layer's [`Activation`] after the input; a file
/// without it (as version 1 wrote them) has sigmoid layers only. `"layers"`
/// names each layer's kind (a file without it has dense layers), and
/// `"preprocessing"`, when the model has any, holds the preprocessing
/// slot's bytes in hexadecimal.
///
/// Weights are rows in the lecture's orientation. Values are written as
/// `f64` decimals, which represent every `f32` exactly, so a round trip is
/// bit-identical in both scalar types.
///
/// The last field, `"checksum": "fnv1a-64:<16 hex digits>"`, guards against
/// corruption: FNV-1a (64 bits) over, little-endian, the version (`u32`),
/// the scalar size (`u8`), the number of layers and each layer size (`u64`),
/// each activation's name followed by a zero byte (when the file lists
/// them), the training record as the binary format encodes it (56 bytes),
/// in version 3 each layer kind's name and the preprocessing text, each
/// followed by a zero byte, then
/// per weight layer the weights row by row and the biases, each as the bit
/// pattern of its `f64` value. A file whose checksum does not match is
/// refused; a file without the field (written by version 0.1 of this crate,
/// or edited by hand and the field removed) loads unchecked.
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
    /// The version of both formats that this crate writes. It reads this
    /// one, version 2 (no layer kinds or preprocessing: dense layers) and
    /// version 1 (written by neuralnet 0.1, before layers had a choice of
    /// activation: they are all sigmoid); a file of another version is
    /// refused with [`Error::UnsupportedVersion`].
    pub const VERSION: u32 = 3;

    /// The oldest version this crate still reads.
    const OLDEST: u32 = 1;

    /// The largest JSON model file [`SavedNetwork::load`] reads: 256 MiB
    /// (about 13 million parameters; the lecture's 784-30-10 network takes
    /// about 0.5 MB). Parsing JSON costs up to about 9 times the file's
    /// size in memory, so a larger file is refused before it is read; use
    /// the binary format for larger networks.
    pub const MAX_JSON_BYTES: u64 = 256 << 20;

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

/// A network with its training record: what a model file holds.
///
/// [`SavedNetwork::load`] reads both; [`Network::load`] only the network.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct SavedNetwork<T: Real> {
    /// The network.
    pub network: Network<T>,
    /// How it was trained.
    pub record: TrainingRecord,
    /// The preprocessing saved with it (format 3 files only), so that a
    /// loaded model takes raw rows and answers in the user's own labels or
    /// units.
    pub preprocessing: Option<Preprocessing>,
}

/// The data preparation that travels with a model: the fitted
/// [`Preprocessor`] that turns raw rows into the network's inputs, and the
/// [`TargetEncoding`] that turns its outputs back into the user's labels or
/// values. Fitted on the training data only ([`crate::prep`]).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Preprocessing {
    /// Raw rows to inputs.
    pub features: Option<Preprocessor>,
    /// Outputs to labels or values.
    pub target: Option<TargetEncoding>,
}

impl Preprocessing {
    /// The two parts (either may be absent).
    pub fn new(features: Option<Preprocessor>, target: Option<TargetEncoding>) -> Self {
        Preprocessing { features, target }
    }

    /// The bytes of the model file's preprocessing slot: a flag byte (bit 0:
    /// features, bit 1: target), then each part present as a `u64` length
    /// and its own bytes ([`Preprocessor::to_bytes`],
    /// [`TargetEncoding::to_bytes`]).
    fn to_bytes(&self) -> Vec<u8> {
        let features = self.features.as_ref().map(Preprocessor::to_bytes);
        let target = self.target.as_ref().map(TargetEncoding::to_bytes);
        let mut out = vec![u8::from(features.is_some()) | (u8::from(target.is_some()) << 1)];
        for part in [features, target].into_iter().flatten() {
            out.extend_from_slice(&(part.len() as u64).to_le_bytes());
            out.extend_from_slice(&part);
        }
        out
    }

    /// The slot read back; a message for what is wrong.
    fn from_bytes(bytes: &[u8]) -> std::result::Result<Self, String> {
        let mut r = Reader { bytes, pos: 0 };
        let flags = r.u8().ok_or("an empty preprocessing slot")?;
        if flags > 3 {
            return Err(format!("unknown preprocessing flags {flags:#04x}"));
        }
        let mut part = |bit: u8| -> std::result::Result<Option<&[u8]>, String> {
            if flags & bit == 0 {
                return Ok(None);
            }
            let len = r.u64().ok_or("a truncated preprocessing slot")?;
            let len = usize::try_from(len).map_err(|_| "a preprocessing part too long")?;
            r.take(len)
                .map(Some)
                .ok_or_else(|| "a truncated preprocessing slot".into())
        };
        let features = part(1)?;
        let target = part(2)?;
        if r.remaining() != 0 {
            return Err("bytes after the preprocessing slot's parts".into());
        }
        Ok(Preprocessing {
            features: features
                .map(Preprocessor::from_bytes)
                .transpose()
                .map_err(|e| format!("the saved preprocessing: {e}"))?,
            target: target
                .map(TargetEncoding::from_bytes)
                .transpose()
                .map_err(|e| format!("the saved target encoding: {e}"))?,
        })
    }
}

impl<T: Real> SavedNetwork<T> {
    /// Loads a network and its training record from a file written by
    /// [`Network::save`] or [`Network::save_with_record`], in either format
    /// (recognised by content). A file saved without a record gives
    /// [`TrainingRecord::default`].
    ///
    /// # Errors
    /// [`Error::File`] if the file cannot be read; [`Error::NotAFile`] or
    /// [`Error::DanglingSymlink`] if `path` is not a regular file;
    /// [`Error::ModelFormat`] naming the file if its content is not a valid
    /// network (corrupted, truncated, too large, layer sizes or shapes that
    /// do not fit, a NaN or infinite parameter, a cost or initialisation
    /// this version does not know); [`Error::UnsupportedVersion`] or
    /// [`Error::ScalarMismatch`] for a valid file that this version or `T`
    /// cannot take.
    ///
    /// Only a regular file (or a symbolic link to one) is read: a FIFO or a
    /// device is refused before it is opened, with [`Error::NotAFile`], so
    /// loading never waits on a pipe or reads on forever. Memory is bounded
    /// by what the file is worth: a binary file is read up to the size its
    /// header implies (a larger one is refused), a JSON file up to
    /// [`ModelFormat::MAX_JSON_BYTES`], and anything else after its first
    /// bytes.
    pub fn load(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let bytes = read_model_file(path)?;
        decode(&bytes, &path.display().to_string())
    }

    /// Reads a network and its training record from the bytes of a model
    /// file, in either format.
    ///
    /// # Errors
    /// As [`SavedNetwork::load`], without the I/O errors.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        decode(bytes, "<bytes>")
    }
}

impl<T: Real> Network<T> {
    /// Saves the network to `path` atomically, as JSON if the path ends in
    /// `.json` (and the `serde` feature is on), in the binary format
    /// otherwise, with no training record (see
    /// [`Network::save_with_record`]).
    ///
    /// The file is written to a temporary file in the same directory, synced
    /// and renamed over `path`: if anything fails, `path` keeps its old
    /// content and no temporary file is left.
    ///
    /// # Examples
    /// ```
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use neuralnet::{Init, Network};
    /// use rand::{SeedableRng, rngs::StdRng};
    ///
    /// let net = Network::<f32>::new(&[4, 3, 2], Init::StandardNormal, &mut StdRng::seed_from_u64(1))?;
    /// let path = std::env::temp_dir().join("neuralnet-doc-example.nnet");
    /// net.save(&path)?;
    /// assert_eq!(Network::<f32>::load(&path)?, net);
    /// # std::fs::remove_file(&path)?;
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    /// [`Error::NonFinite`] for a NaN or infinite parameter (nothing is
    /// written); [`Error::File`] if the file cannot be written.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        self.save_with_record(path, &TrainingRecord::default())
    }

    /// Saves the network with how it was trained, as [`Network::save`]
    /// does; [`SavedNetwork::load`] reads both back.
    ///
    /// # Examples
    /// ```
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use neuralnet::{CostKind, Init, Network};
    /// use neuralnet::model::{SavedNetwork, TrainingRecord};
    /// use rand::{SeedableRng, rngs::StdRng};
    ///
    /// let net = Network::<f32>::new(&[4, 3, 2], Init::ScaledNormal, &mut StdRng::seed_from_u64(1))?;
    /// let mut record = TrainingRecord::default();
    /// record.cost = Some(CostKind::CrossEntropy);
    /// record.init = Some(Init::ScaledNormal);
    /// record.learning_rate = Some(0.5);
    /// record.epochs_completed = 3;
    /// let path = std::env::temp_dir().join("neuralnet-doc-example-record.nnet");
    /// net.save_with_record(&path, &record)?;
    /// let saved = SavedNetwork::<f32>::load(&path)?;
    /// assert_eq!((saved.network, saved.record), (net, record));
    /// # std::fs::remove_file(&path)?;
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    /// As [`Network::save`].
    pub fn save_with_record(&self, path: impl AsRef<Path>, record: &TrainingRecord) -> Result<()> {
        let path = path.as_ref();
        let bytes = self.to_bytes_with_record(ModelFormat::for_path(path), record)?;
        write_atomically(path, |w| w.write_all(&bytes))
    }

    /// Saves the network with its record and the preprocessing that goes
    /// with it ([`Preprocessing`]), as [`Network::save`] does;
    /// [`SavedNetwork::load`] reads all three back.
    ///
    /// # Errors
    /// As [`Network::save`].
    pub fn save_with_preprocessing(
        &self,
        path: impl AsRef<Path>,
        record: &TrainingRecord,
        preprocessing: &Preprocessing,
    ) -> Result<()> {
        let path = path.as_ref();
        self.check_finite()?;
        let bytes = match ModelFormat::for_path(path) {
            ModelFormat::Binary => to_binary(self, record, Some(preprocessing)),
            #[cfg(feature = "serde")]
            ModelFormat::Json => to_json(self, record, Some(preprocessing)),
        };
        write_atomically(path, |w| w.write_all(&bytes))
    }

    /// Loads a network saved by [`Network::save`] or
    /// [`Network::save_with_record`], in either format (recognised by
    /// content), without its training record ([`SavedNetwork::load`] keeps
    /// it).
    ///
    /// # Errors
    /// As [`SavedNetwork::load`].
    pub fn load(path: impl AsRef<Path>) -> Result<Self> {
        SavedNetwork::load(path).map(|saved| saved.network)
    }

    /// The network as the bytes of a model file in `format`, with no
    /// training record.
    ///
    /// # Errors
    /// [`Error::NonFinite`] if a weight or bias is NaN or infinite.
    pub fn to_bytes(&self, format: ModelFormat) -> Result<Vec<u8>> {
        self.to_bytes_with_record(format, &TrainingRecord::default())
    }

    /// The network and its training record as the bytes of a model file in
    /// `format`.
    ///
    /// # Errors
    /// [`Error::NonFinite`] if a weight or bias is NaN or infinite.
    pub fn to_bytes_with_record(
        &self,
        format: ModelFormat,
        record: &TrainingRecord,
    ) -> Result<Vec<u8>> {
        self.check_finite()?;
        match format {
            ModelFormat::Binary => Ok(to_binary(self, record, None)),
            #[cfg(feature = "serde")]
            ModelFormat::Json => Ok(to_json(self, record, None)),
        }
    }

    /// Reads a network from the bytes of a model file, in either format,
    /// without its training record ([`SavedNetwork::from_bytes`] keeps it).
    ///
    /// # Errors
    /// As [`SavedNetwork::load`], without the I/O errors.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        SavedNetwork::from_bytes(bytes).map(|saved| saved.network)
    }
}

/// The most bytes read of a file that claims to be binary but whose
/// header this version cannot size (another version): enough to check its
/// checksum, so that a corrupted version field is reported as corruption.
const MAX_UNSIZED_BYTES: u64 = 1 << 30;

/// The bytes of the model file at `path`, read no further than its format
/// allows (see [`SavedNetwork::load`]).
fn read_model_file(path: &Path) -> Result<Vec<u8>> {
    use crate::fs::{open_regular, read_at_most};
    use std::io::Read;

    let (mut file, len) = open_regular(path)?;
    let io = |source| Error::File {
        path: path.to_owned(),
        source,
    };
    let too_large = |what: String| Error::ModelFormat {
        source_name: path.display().to_string(),
        reason: what,
    };
    // The fixed start of the binary header: magic, version, scalar size,
    // number of layers; for JSON, its first bytes.
    let mut bytes = Vec::new();
    (&mut file).take(17).read_to_end(&mut bytes).map_err(io)?;
    if bytes.starts_with(MAGIC) && bytes.len() == 17 {
        let version = u32::from_le_bytes(bytes[8..12].try_into().expect("4 bytes"));
        if !(ModelFormat::OLDEST..=ModelFormat::VERSION).contains(&version) {
            if !read_at_most(&mut file, MAX_UNSIZED_BYTES, &mut bytes).map_err(io)? {
                return Err(Error::UnsupportedVersion {
                    source_name: path.display().to_string(),
                    found: version,
                    supported: ModelFormat::VERSION,
                });
            }
            return Ok(bytes);
        }
        // The layer sizes and the record: `take` grows the buffer only with
        // what the file really holds, whatever the count claims.
        let layers = u64::from(u32::from_le_bytes(
            bytes[13..17].try_into().expect("4 bytes"),
        ));
        if 4 * layers > len {
            return Err(too_large(format!(
                "{layers} layers claimed in a file of {len} bytes"
            )));
        }
        // Version 2 adds one activation code per layer after the input,
        // version 3 a kind code per layer and the preprocessing length.
        let activations = if version >= 2 {
            layers.saturating_sub(1)
        } else {
            0
        };
        let kinds = if version >= 3 {
            LAYER_BYTES as u64 * layers.saturating_sub(1) + 8
        } else {
            0
        };
        (&mut file)
            .take(4 * layers + activations + RECORD_BYTES as u64 + kinds)
            .read_to_end(&mut bytes)
            .map_err(io)?;
        let Some(total) = binary_len(&bytes) else {
            // A header that says nothing sane: `decode` says what is wrong.
            return Ok(bytes);
        };
        if total != len {
            return Err(too_large(format!(
                "its header describes a file of {total} bytes, but it has {len}; the file is truncated or corrupted"
            )));
        }
        let rest = total.saturating_sub(bytes.len() as u64);
        bytes
            .try_reserve_exact(usize::try_from(rest).unwrap_or(usize::MAX))
            .map_err(|_| too_large(format!("{total} bytes do not fit in memory")))?;
        if !read_at_most(&mut file, rest, &mut bytes).map_err(io)? {
            return Err(too_large(format!(
                "more bytes than the {total} its header describes (is it being written?)"
            )));
        }
        return Ok(bytes);
    }
    if bytes.starts_with(MAGIC) {
        return Ok(bytes); // truncated header
    }
    if checkpoint::is_checkpoint(&bytes) {
        // A checkpoint: as long as the file, which was checked to be a
        // regular file (and whose checksum covers it all).
        let rest = len.saturating_sub(bytes.len() as u64);
        bytes
            .try_reserve_exact(usize::try_from(rest).unwrap_or(usize::MAX))
            .map_err(|_| too_large(format!("{len} bytes do not fit in memory")))?;
        if !read_at_most(&mut file, rest, &mut bytes).map_err(io)? {
            return Err(too_large(format!(
                "more bytes than the {len} it had when opened (is it being written?)"
            )));
        }
        return Ok(bytes);
    }
    if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Ok(bytes); // not a model file: `decode` says so
    }
    let max = if cfg!(feature = "serde") {
        ModelFormat::MAX_JSON_BYTES
    } else {
        0
    };
    if len > max || !read_at_most(&mut file, max - bytes.len() as u64, &mut bytes).map_err(io)? {
        return Err(too_large(format!(
            "a JSON model file of more than {max} bytes (ModelFormat::MAX_JSON_BYTES): too large to parse; save large networks in the binary format"
        )));
    }
    Ok(bytes)
}

/// The size of a binary model file from its header (magic to record), or
/// `None` if the header is incomplete or describes no valid network.
fn binary_len(header: &[u8]) -> Option<u64> {
    let version = u32::from_le_bytes(header.get(8..12)?.try_into().ok()?);
    let mut r = Reader {
        bytes: header,
        pos: 12,
    };
    let scalar = u64::from(r.u8()?);
    let layers = r.u32()? as usize;
    let sizes = (0..layers)
        .map(|_| r.u32().map(|n| n as usize))
        .collect::<Option<Vec<usize>>>()?;
    if version >= 2 {
        r.take(layers.saturating_sub(1))?;
    }
    r.take(RECORD_BYTES)?;
    let (descriptions, preprocessing) = if version >= 3 {
        let d = r.take(LAYER_BYTES * layers.saturating_sub(1))?;
        (Some(d), r.u64()?)
    } else {
        (None, 0)
    };
    let params = match descriptions {
        Some(d) => stored_values(&described_layers(&sizes, d).ok()?).ok()?,
        None => crate::network::check_sizes(&sizes).ok()?,
    } as u64;
    params
        .checked_mul(scalar)?
        .checked_add(header.len() as u64)?
        .checked_add(preprocessing)?
        .checked_add(8)
}

/// Reads a model file in either format; `name` names it in errors.
///
/// Errors about the content that do not name a file (layer sizes, shapes,
/// non-finite values) become [`Error::ModelFormat`] naming it.
fn decode<T: Real>(bytes: &[u8], name: &str) -> Result<SavedNetwork<T>> {
    decode_unnamed(bytes, name).map_err(|e| match e {
        e @ (Error::InvalidLayers { .. }
        | Error::ShapeMismatch { .. }
        | Error::NonFinite { .. }) => Error::ModelFormat {
            source_name: name.into(),
            reason: e.to_string(),
        },
        e => e,
    })
}

fn decode_unnamed<T: Real>(bytes: &[u8], name: &str) -> Result<SavedNetwork<T>> {
    if checkpoint::is_checkpoint(bytes) {
        return from_binary(checkpoint::model_part(bytes, name)?, name);
    }
    if bytes.starts_with(MAGIC) {
        return from_binary(bytes, name);
    }
    #[cfg(feature = "serde")]
    if bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{') {
        return from_json(bytes, name);
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

/// [`Error::NonFinite`] naming the first NaN or infinite parameter.
fn to_binary<T: Real>(
    net: &Network<T>,
    record: &TrainingRecord,
    preprocessing: Option<&Preprocessing>,
) -> Vec<u8> {
    let preprocessing = preprocessing.map(Preprocessing::to_bytes);
    let mut out = Vec::with_capacity(64 + net.num_parameters() * T::BYTES);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&ModelFormat::VERSION.to_le_bytes());
    out.push(T::BYTES as u8);
    out.extend_from_slice(&(net.sizes().len() as u32).to_le_bytes());
    for &n in net.sizes() {
        out.extend_from_slice(&(n as u32).to_le_bytes());
    }
    out.extend(net.activations().iter().map(|&a| activation_code(a)));
    encode_record(record, &mut out);
    for &layer in net.layers() {
        let (kind, fields) = layer_description(layer);
        out.push(kind);
        for f in fields {
            out.extend_from_slice(&f.to_le_bytes());
        }
    }
    let slot = preprocessing.as_deref().unwrap_or_default();
    out.extend_from_slice(&(slot.len() as u64).to_le_bytes());
    for (w, b) in net.storage() {
        // Neuron-major storage: neuron after neuron, that is wˡ row by row.
        for &v in w.iter().chain(b) {
            v.put_le(&mut out);
        }
    }
    out.extend_from_slice(slot);
    let sum = fnv1a(&out);
    out.extend_from_slice(&sum.to_le_bytes());
    out
}

fn from_binary<T: Real>(bytes: &[u8], name: &str) -> Result<SavedNetwork<T>> {
    let bad = |reason: String| Error::ModelFormat {
        source_name: name.into(),
        reason,
    };
    let mut r = Reader {
        bytes,
        pos: MAGIC.len(),
    };
    let version = r.u32().ok_or_else(|| bad("truncated header".into()))?;
    if !(ModelFormat::OLDEST..=ModelFormat::VERSION).contains(&version) {
        // Every version ends with the checksum of all before it: a version
        // field that breaks it was corrupted, not written by a newer crate.
        let sealed = bytes.len() >= 8 && {
            let end = bytes.len() - 8;
            fnv1a(&bytes[..end]) == u64::from_le_bytes(bytes[end..].try_into().expect("8 bytes"))
        };
        if !sealed {
            return Err(bad(format!(
                "checksum mismatch: the file is corrupted (its version field reads {version})"
            )));
        }
        return Err(Error::UnsupportedVersion {
            source_name: name.into(),
            found: version,
            supported: ModelFormat::VERSION,
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
    // Version 1 files have no activation codes: all layers are sigmoid.
    let codes = if version == 1 {
        vec![1; layers.saturating_sub(1)]
    } else {
        let n = layers.saturating_sub(1);
        r.take(n)
            .ok_or_else(|| bad("truncated header".into()))?
            .to_vec()
    };
    // Codes this version does not know are refused after the checksum, so
    // that a corrupted file is reported as such.
    let record = decode_record(&mut r).ok_or_else(|| bad("truncated training record".into()))?;
    // Version 3: a kind code per layer and the preprocessing slot's length.
    let (kinds, slot_len) = if version >= 3 {
        let kinds = r
            .take(LAYER_BYTES * layers.saturating_sub(1))
            .ok_or_else(|| bad("truncated header".into()))?
            .to_vec();
        let len = r.u64().ok_or_else(|| bad("truncated header".into()))?;
        (kinds, usize::try_from(len).unwrap_or(usize::MAX))
    } else {
        (
            [1u8]
                .into_iter()
                .chain([0; 16])
                .cycle()
                .take(LAYER_BYTES * layers.saturating_sub(1))
                .collect(),
            0,
        )
    };
    check_layer_count(&sizes)?;
    // Layers that cannot be read are reported after the checksum, so that
    // a corrupted file is reported as such; their values cannot be
    // counted, so the length check waits for them.
    let described = described_layers(&sizes, &kinds);
    let params = match &described {
        Ok(layers) => stored_values(layers)?,
        Err(_) => r.remaining().saturating_sub(slot_len + 8) / T::BYTES,
    };
    // The parameters, the preprocessing and the checksum must fill the rest
    // exactly; check before allocating anything of the claimed size.
    let expected = params
        .checked_mul(T::BYTES)
        .and_then(|p| p.checked_add(slot_len))
        .and_then(|p| p.checked_add(8));
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
    let record = record.map_err(bad)?;
    let activations = codes
        .iter()
        .map(|&c| activation_from_code(c))
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(bad)?;
    let layers = described.map_err(bad)?;
    let mut w = Vec::with_capacity(layers.len());
    let mut b = Vec::with_capacity(layers.len());
    for layer in &layers {
        w.push(
            r.values::<T>(layer.num_weights())
                .expect("length checked above"),
        );
        b.push(
            r.values::<T>(layer.num_biases())
                .expect("length checked above"),
        );
    }
    let network = with_activations(Network::from_storage(&layers, &w, &b)?, &activations, name)?;
    network.check_finite()?;
    let slot = r.take(slot_len).expect("length checked above");
    let preprocessing = if slot.is_empty() {
        None
    } else {
        Some(Preprocessing::from_bytes(slot).map_err(bad)?)
    };
    Ok(SavedNetwork {
        network,
        record,
        preprocessing,
    })
}

/// Bytes of a layer's description in the binary format: its kind and four
/// `u32` geometry fields.
const LAYER_BYTES: usize = 17;

/// A layer's kind code in the binary format and its four geometry fields:
/// 1 = dense (all 0: its sizes say everything); 2 = convolution (input
/// channels, output channels, kernel side, input width); 3 = max-pooling
/// (channels, block side, input width, 0). Heights follow from the sizes.
fn layer_description(layer: Layer) -> (u8, [u32; 4]) {
    let n = |v: usize| u32::try_from(v).unwrap_or(u32::MAX);
    match layer {
        Layer::Conv2d(c) => {
            let i = c.input_shape();
            (
                2,
                [
                    n(i.channels),
                    n(c.out_channels()),
                    n(c.kernel()),
                    n(i.width),
                ],
            )
        }
        Layer::MaxPool2d(p) => {
            let i = p.input_shape();
            (3, [n(i.channels), n(p.size()), n(i.width), 0])
        }
        _ => (1, [0; 4]),
    }
}

/// The names of the layer kinds the files know, by code.
#[cfg(feature = "serde")]
const KIND_NAMES: [&str; 3] = ["dense", "conv2d", "max_pool2d"];

/// A layer's description as the JSON file's `"layers"` writes it:
/// `"dense"`, `"conv2d(1,20,5,28)"`, `"max_pool2d(20,2,24)"` (the
/// binary format's fields, trailing zeros left out).
#[cfg(feature = "serde")]
fn layer_name(layer: Layer) -> String {
    let (kind, fields) = layer_description(layer);
    let name = KIND_NAMES[usize::from(kind - 1)];
    match kind {
        1 => name.into(),
        2 => format!(
            "{name}({},{},{},{})",
            fields[0], fields[1], fields[2], fields[3]
        ),
        _ => format!("{name}({},{},{})", fields[0], fields[1], fields[2]),
    }
}

/// [`layer_name`] read back, in the binary format's terms.
#[cfg(feature = "serde")]
fn parse_layer_name(name: &str) -> std::result::Result<[u8; LAYER_BYTES], String> {
    let unknown = || {
        format!(
            "unknown layer kind {name:?} (this version knows \"dense\", \"conv2d(…)\" and \"max_pool2d(…)\"); the file may come from a newer version of neuralnet"
        )
    };
    let (kind, args) = match name.split_once('(') {
        None => (name, ""),
        Some((kind, rest)) => (kind, rest.strip_suffix(')').ok_or_else(unknown)?),
    };
    let code = KIND_NAMES
        .iter()
        .position(|&k| k == kind)
        .ok_or_else(unknown)?;
    let fields: Vec<u32> = if args.is_empty() {
        Vec::new()
    } else {
        args.split(',')
            .map(|f| f.trim().parse::<u32>())
            .collect::<std::result::Result<_, _>>()
            .map_err(|_| format!("layer {name:?}: its fields are not whole numbers"))?
    };
    let wanted = [0, 4, 3][code];
    if fields.len() != wanted {
        return Err(format!(
            "layer {name:?}: a {kind} layer has {wanted} fields, not {}",
            fields.len()
        ));
    }
    let mut out = [0u8; LAYER_BYTES];
    out[0] = u8::try_from(code + 1).expect("three kinds");
    for (i, f) in fields.iter().enumerate() {
        out[1 + 4 * i..5 + 4 * i].copy_from_slice(&f.to_le_bytes());
    }
    Ok(out)
}

/// Checks the number of layer sizes before anything is read by them.
fn check_layer_count(sizes: &[usize]) -> Result<()> {
    if sizes.len() < 2 || sizes.contains(&0) {
        // The same errors as for dense sizes.
        crate::network::check_sizes(sizes)?;
    }
    Ok(())
}

/// The layers that the binary descriptions `descriptions` (one
/// [`LAYER_BYTES`] block per layer, see [`layer_description`]) and the
/// layer sizes `sizes` give, with sigmoid activations (the file's
/// activations are applied afterwards), checked as a network's layers.
fn described_layers(
    sizes: &[usize],
    descriptions: &[u8],
) -> std::result::Result<Vec<Layer>, String> {
    use crate::layer::{Conv2d, MaxPool2d, Shape};
    let mut layers = Vec::with_capacity(sizes.len().saturating_sub(1));
    for (l, (d, p)) in descriptions
        .chunks_exact(LAYER_BYTES)
        .zip(sizes.windows(2))
        .enumerate()
    {
        let field = |i: usize| {
            u32::from_le_bytes(d[1 + 4 * i..5 + 4 * i].try_into().expect("4 bytes")) as usize
        };
        let (n_in, n_out) = (p[0], p[1]);
        // The input's height from its size, channels and width.
        let height = |channels: usize, width: usize| -> std::result::Result<usize, String> {
            let plane = channels.checked_mul(width).filter(|&v| v > 0);
            match plane {
                Some(v) if n_in % v == 0 => Ok(n_in / v),
                _ => Err(format!(
                    "layer {}: {n_in} inputs are not {channels} maps of width {width}",
                    l + 1
                )),
            }
        };
        let layer = match d[0] {
            1 if (0..4).all(|i| field(i) == 0) => Layer::dense(n_in, n_out, Activation::Sigmoid),
            1 => return Err("a dense layer with geometry fields that are not 0".into()),
            2 => {
                let (c_in, c_out, k, w) = (field(0), field(1), field(2), field(3));
                let h = height(c_in, w)?;
                Layer::Conv2d(Conv2d::new(Shape::new(c_in, h, w), c_out, k))
            }
            3 if field(3) == 0 => {
                let (c, size, w) = (field(0), field(1), field(2));
                let h = height(c, w)?;
                Layer::MaxPool2d(MaxPool2d::new(Shape::new(c, h, w), size))
            }
            3 => return Err("a pooling layer whose fourth field is not 0".into()),
            code => {
                return Err(format!(
                    "unknown layer kind {code} (this version knows 1 = dense, 2 = conv2d and 3 = max_pool2d); the file may come from a newer version of neuralnet"
                ));
            }
        };
        if layer.output_size() != n_out {
            return Err(format!(
                "layer {} ({}) gives {} values, but the sizes say {n_out}",
                l + 1,
                layer.kind(),
                layer.output_size()
            ));
        }
        layers.push(layer);
    }
    crate::layer::check_layers(&layers).map_err(|e| e.to_string())?;
    Ok(layers)
}

/// The number of values stored for `layers`' weights and biases (no
/// padding).
fn stored_values(layers: &[Layer]) -> Result<usize> {
    Ok(crate::layer::check_layers(layers)?.1)
}

#[cfg(feature = "serde")]
fn to_json<T: Real>(
    net: &Network<T>,
    record: &TrainingRecord,
    preprocessing: Option<&Preprocessing>,
) -> Vec<u8> {
    let (w, b): (Vec<&[T]>, Vec<&[T]>) = net.storage().unzip();
    let mut file = JsonFile {
        format: "neuralnet".into(),
        version: ModelFormat::VERSION,
        scalar: T::NAME.into(),
        sizes: net.sizes().to_vec(),
        activations: Some(net.activations().to_vec()),
        layers: Some(net.layers().iter().map(|&l| layer_name(l)).collect()),
        preprocessing: preprocessing.map(|p| hex(&p.to_bytes())),
        training: record.clone(),
        weights: w
            .iter()
            .zip(net.layers())
            .map(|(w, layer)| {
                w.chunks(layer.fan_in().max(1))
                    .map(|row| row.iter().map(|v| crate::scalar::to_f64(*v)).collect())
                    .collect()
            })
            .collect(),
        biases: b
            .iter()
            .map(|b| b.iter().map(|v| crate::scalar::to_f64(*v)).collect())
            .collect(),
        checksum: None,
    };
    file.checksum = Some(json_checksum(&file, ModelFormat::VERSION));
    serde_json::to_vec(&file).expect("a struct of numbers, strings and vectors serialises")
}

#[cfg(feature = "serde")]
fn from_json<T: Real>(bytes: &[u8], name: &str) -> Result<SavedNetwork<T>> {
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
        Some(ModelFormat::OLDEST..=ModelFormat::VERSION) => {}
        Some(found) => {
            // A version-1 file whose checksum holds for version 1: only its
            // version field was corrupted.
            if let Ok(file) = serde_json::from_slice::<JsonFile>(bytes)
                && file.checksum.as_ref() == Some(&json_checksum(&file, ModelFormat::VERSION))
            {
                return Err(bad(format!(
                    "the version field reads {found}, but the rest is a valid version-{} file: the file is corrupted",
                    ModelFormat::VERSION
                )));
            }
            return Err(Error::UnsupportedVersion {
                source_name: name.into(),
                found,
                supported: ModelFormat::VERSION,
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
    let sizes = file.sizes.clone();
    check_layer_count(&sizes)?;
    if file
        .layers
        .as_ref()
        .is_some_and(|l| l.len() != sizes.len() - 1)
    {
        return Err(bad(format!(
            "one layer kind per layer after the input of {sizes:?}"
        )));
    }
    // Files before version 3 (no "layers") hold dense layers.
    let mut descriptions = Vec::with_capacity(LAYER_BYTES * (sizes.len() - 1));
    for l in 0..sizes.len() - 1 {
        match file
            .layers
            .as_ref()
            .map(|names| parse_layer_name(&names[l]))
        {
            None => descriptions.extend(std::iter::once(1).chain([0; LAYER_BYTES - 1])),
            Some(d) => descriptions.extend(d.map_err(bad)?),
        }
    }
    let layers = described_layers(&sizes, &descriptions).map_err(bad)?;
    if file.weights.len() != layers.len() || file.biases.len() != layers.len() {
        return Err(bad(format!(
            "{} weight and {} bias layers for sizes {sizes:?}",
            file.weights.len(),
            file.biases.len()
        )));
    }
    let mut w = Vec::with_capacity(layers.len());
    let mut b = Vec::with_capacity(layers.len());
    for (l, ((rows, bias), kind)) in file
        .weights
        .iter()
        .zip(&file.biases)
        .zip(&layers)
        .enumerate()
    {
        let (n_rows, n_cols) = match kind.fan_in() {
            0 => (0, 0),
            n => (kind.num_biases(), n),
        };
        if rows.len() != n_rows {
            return Err(bad(format!(
                "layer {l}: {} rows of weights, but its description ({}, sizes {sizes:?}) gives it {n_rows} neurons or maps (one row each)",
                rows.len(),
                kind.kind()
            )));
        }
        if let Some((i, row)) = rows.iter().enumerate().find(|(_, r)| r.len() != n_cols) {
            return Err(bad(format!(
                "layer {l}: weight row {i} has {} values, but its description ({}, sizes {sizes:?}) gives it {n_cols} inputs",
                row.len(),
                kind.kind()
            )));
        }
        if bias.len() != kind.num_biases() {
            return Err(Error::ShapeMismatch {
                layer: l,
                what: "biases",
                expected: (kind.num_biases(), 1),
                got: (bias.len(), 1),
            });
        }
        w.push(
            rows.iter()
                .flatten()
                .map(|&v| crate::scalar::from_f64::<T>(v))
                .collect::<Vec<T>>(),
        );
        b.push(
            bias.iter()
                .map(|&v| crate::scalar::from_f64::<T>(v))
                .collect::<Vec<T>>(),
        );
    }
    // Checked once the shapes are known good, before the values are
    // judged: a corrupted number is reported as corruption.
    if let Some(stored) = &file.checksum
        && *stored != json_checksum(&file, file.version)
    {
        return Err(bad(
            "checksum mismatch: the file is corrupted (if you edited it by hand, remove the \"checksum\" field to load it unchecked)".into(),
        ));
    }
    let preprocessing = match &file.preprocessing {
        None => None,
        Some(text) => {
            let bytes =
                unhex(text).ok_or_else(|| bad("\"preprocessing\" is not hexadecimal".into()))?;
            Some(Preprocessing::from_bytes(&bytes).map_err(bad)?)
        }
    };
    let network = Network::from_storage(&layers, &w, &b)?;
    let network = match &file.activations {
        Some(a) => with_activations(network, a, name)?,
        None => network,
    };
    network.check_finite()?;
    Ok(SavedNetwork {
        network,
        record: file.training,
        preprocessing,
    })
}

/// Bytes as lowercase hexadecimal.
#[cfg(feature = "serde")]
fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Hexadecimal back to bytes, or `None`.
#[cfg(feature = "serde")]
fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(feature = "serde")]
#[derive(serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonFile {
    format: String,
    version: u32,
    scalar: String,
    sizes: Vec<usize>,
    /// Absent in version 1 files: all sigmoid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    activations: Option<Vec<Activation>>,
    /// Each layer's kind (version 3; absent: all dense).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    layers: Option<Vec<String>>,
    /// The preprocessing slot's bytes in hexadecimal (version 3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    preprocessing: Option<String>,
    #[serde(default)]
    training: TrainingRecord,
    weights: Vec<Vec<Vec<f64>>>,
    biases: Vec<Vec<f64>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    checksum: Option<String>,
}

/// The JSON file's checksum field for `version` (see [`ModelFormat`]).
#[cfg(feature = "serde")]
fn json_checksum(file: &JsonFile, version: u32) -> String {
    let mut h = Fnv1a::default();
    h.write(&version.to_le_bytes());
    h.write(&[if file.scalar == "f32" { 4 } else { 8 }]);
    h.write(&(file.sizes.len() as u64).to_le_bytes());
    for &n in &file.sizes {
        h.write(&(n as u64).to_le_bytes());
    }
    for a in file.activations.iter().flatten() {
        h.write(a.name().as_bytes());
        h.write(&[0]);
    }
    let mut record = Vec::with_capacity(RECORD_BYTES);
    encode_record(&file.training, &mut record);
    h.write(&record);
    if version >= 3 {
        // Version 3: each layer kind's name and a zero byte, then the
        // preprocessing slot's text and a zero byte.
        for kind in file.layers.iter().flatten() {
            h.write(kind.as_bytes());
            h.write(&[0]);
        }
        if let Some(p) = &file.preprocessing {
            h.write(p.as_bytes());
            h.write(&[0]);
        }
    }
    for (w, b) in file.weights.iter().zip(&file.biases) {
        for v in w.iter().flatten().chain(b) {
            h.write(&v.to_bits().to_le_bytes());
        }
    }
    format!("fnv1a-64:{:016x}", h.0)
}

/// FNV-1a, 64 bits, fed piece by piece.
struct Fnv1a(u64);

impl Default for Fnv1a {
    fn default() -> Self {
        Fnv1a(0xcbf2_9ce4_8422_2325)
    }
}

impl Fnv1a {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
}

/// FNV-1a, 64 bits: a checksum against corruption, not against tampering.
fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h = Fnv1a::default();
    h.write(bytes);
    h.0
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
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

/// `net` with the activations a file gives, or [`Error::ModelFormat`] if
/// they do not fit it.
fn with_activations<T: Real>(
    net: Network<T>,
    activations: &[Activation],
    name: &str,
) -> Result<Network<T>> {
    net.with_activations(activations)
        .map_err(|e| Error::ModelFormat {
            source_name: name.into(),
            reason: match e {
                Error::InvalidConfig { reason, .. } => format!("activations: {reason}"),
                other => other.to_string(),
            },
        })
}

/// A layer's activation code in the binary format.
fn activation_code(a: Activation) -> u8 {
    match a {
        Activation::Sigmoid => 1,
        Activation::Tanh => 2,
        Activation::Relu => 3,
        Activation::Softmax => 4,
        Activation::Identity => 5,
    }
}

fn activation_from_code(code: u8) -> std::result::Result<Activation, String> {
    match code {
        1 => Ok(Activation::Sigmoid),
        2 => Ok(Activation::Tanh),
        3 => Ok(Activation::Relu),
        4 => Ok(Activation::Softmax),
        5 => Ok(Activation::Identity),
        _ => Err(format!(
            "unknown activation code {code} (this version knows 1 = sigmoid, 2 = tanh, 3 = relu, 4 = softmax and 5 = identity); the file may come from a newer version of neuralnet"
        )),
    }
}

/// The record's cost code: 0 = not recorded.
fn cost_code(cost: Option<CostKind>) -> u8 {
    match cost {
        None => 0,
        Some(CostKind::Quadratic) => 1,
        Some(CostKind::CrossEntropy) => 2,
        Some(CostKind::LogLikelihood) => 3,
    }
}

fn cost_from_code(code: u8) -> std::result::Result<Option<CostKind>, String> {
    match code {
        0 => Ok(None),
        1 => Ok(Some(CostKind::Quadratic)),
        2 => Ok(Some(CostKind::CrossEntropy)),
        3 => Ok(Some(CostKind::LogLikelihood)),
        _ => Err(format!(
            "unknown cost code {code} in the training record (this version knows 1 = quadratic, 2 = cross-entropy and 3 = log-likelihood; 0 = not recorded); the file may come from a newer version of neuralnet"
        )),
    }
}

/// The record's initialisation code: 0 = not recorded.
fn init_code(init: Option<Init>) -> u8 {
    match init {
        None => 0,
        Some(Init::StandardNormal) => 1,
        Some(Init::ScaledNormal) => 2,
        Some(Init::He) => 3,
    }
}

fn init_from_code(code: u8) -> std::result::Result<Option<Init>, String> {
    match code {
        0 => Ok(None),
        1 => Ok(Some(Init::StandardNormal)),
        2 => Ok(Some(Init::ScaledNormal)),
        3 => Ok(Some(Init::He)),
        _ => Err(format!(
            "unknown initialisation code {code} in the training record (this version knows 1 = standard-normal, 2 = scaled-normal and 3 = he; 0 = not recorded); the file may come from a newer version of neuralnet"
        )),
    }
}

fn encode_record(r: &TrainingRecord, out: &mut Vec<u8>) {
    out.push(cost_code(r.cost));
    out.push(init_code(r.init));
    out.extend_from_slice(&r.learning_rate.unwrap_or(f64::NAN).to_le_bytes());
    out.extend_from_slice(&r.l2_lambda.unwrap_or(f64::NAN).to_le_bytes());
    out.extend_from_slice(&(r.mini_batch_size.unwrap_or(0) as u64).to_le_bytes());
    out.extend_from_slice(&(r.epochs.map_or(u64::MAX, |e| e as u64)).to_le_bytes());
    out.extend_from_slice(&(r.epochs_completed as u64).to_le_bytes());
    out.push(u8::from(r.seed.is_some()));
    out.extend_from_slice(&r.seed.unwrap_or(0).to_le_bytes());
    out.push(optimizer_code(r.optimizer));
    out.extend_from_slice(&[0u8; 4]); // reserved, keeps the record at 56 bytes
}

/// Bytes of the training record in the binary format.
const RECORD_BYTES: usize = 56;

/// The record, or `None` if the bytes end first; inside, an error message
/// for a cost or initialisation code this version does not know.
fn decode_record(r: &mut Reader) -> Option<std::result::Result<TrainingRecord, String>> {
    let cost = r.u8()?;
    let init = r.u8()?;
    let learning_rate = r.f64()?;
    let l2_lambda = r.f64()?;
    let mini_batch_size = r.u64()?;
    let epochs = r.u64()?;
    let epochs_completed = r.u64()?;
    let has_seed = r.u8()?;
    let seed = r.u64()?;
    let optimizer = r.u8()?;
    r.take(RECORD_BYTES - 52)?;
    let codes = cost_from_code(cost)
        .and_then(|cost| Ok((cost, init_from_code(init)?, optimizer_from_code(optimizer)?)));
    Some(codes.map(|(cost, init, optimizer)| TrainingRecord {
        cost,
        init,
        learning_rate: (!learning_rate.is_nan()).then_some(learning_rate),
        l2_lambda: (!l2_lambda.is_nan()).then_some(l2_lambda),
        mini_batch_size:
            (mini_batch_size != 0).then(|| usize::try_from(mini_batch_size).unwrap_or(usize::MAX)),
        epochs: (epochs != u64::MAX).then(|| usize::try_from(epochs).unwrap_or(usize::MAX)),
        epochs_completed: usize::try_from(epochs_completed).unwrap_or(usize::MAX),
        seed: (has_seed != 0).then_some(seed),
        optimizer,
    }))
}

/// The record's optimizer code: 0 = not recorded, then 1 = sgd,
/// 2 = momentum, 3 = nesterov, 4 = adam, 5 = adamw.
fn optimizer_code(optimizer: Option<OptimizerKind>) -> u8 {
    match optimizer {
        None => 0,
        Some(kind) => {
            let index = OptimizerKind::ALL
                .iter()
                .position(|&k| k == kind)
                .expect("ALL lists every kind");
            u8::try_from(index + 1).expect("five kinds")
        }
    }
}

fn optimizer_from_code(code: u8) -> std::result::Result<Option<OptimizerKind>, String> {
    match code {
        0 => Ok(None),
        c => OptimizerKind::ALL
            .get(usize::from(c) - 1)
            .copied()
            .map(Some)
            .ok_or_else(|| {
                format!(
                    "unknown optimizer code {c} in the training record (this version knows 1 = sgd, 2 = momentum, 3 = nesterov, 4 = adam and 5 = adamw; 0 = not recorded); the file may come from a newer version of neuralnet"
                )
            }),
    }
}
