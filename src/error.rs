//! The crate's one error type.

use std::path::PathBuf;

/// Everything that can go wrong in this crate.
///
/// Every variant carries the values that were wrong, and its message says
/// what to do about it. The enum is `#[non_exhaustive]`: match with a
/// wildcard arm so that new variants in later versions do not break you.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An input vector (or one column of an input matrix) has the wrong length.
    #[error(
        "input has {got} values, but the {what} expects {expected}: give one value per input neuron"
    )]
    InputSize {
        /// What expected the input (`"neuron"`, `"network's input layer"`).
        what: &'static str,
        /// How many values were expected.
        expected: usize,
        /// How many values were given.
        got: usize,
    },

    /// A target vector (or one column of a target matrix) has the wrong length.
    #[error(
        "target has {got} values, but the network's output layer has {expected} neurons: give one desired output per output neuron"
    )]
    TargetSize {
        /// Neurons in the output layer.
        expected: usize,
        /// Values in the target.
        got: usize,
    },

    /// Inputs and targets describe a different number of examples.
    #[error(
        "{inputs} inputs but {targets} targets: a data set needs exactly one target column per input column"
    )]
    ExampleCount {
        /// Number of input columns.
        inputs: usize,
        /// Number of target columns.
        targets: usize,
    },

    /// A data set with no examples was given where examples are needed.
    #[error("the {what} is empty: it needs at least one example")]
    EmptyData {
        /// Which data set (`"training data"`, `"evaluation data"`).
        what: &'static str,
    },

    /// The layer sizes do not describe a network.
    #[error("invalid layer sizes {sizes:?}: {reason}")]
    InvalidLayers {
        /// The sizes as given.
        sizes: Vec<usize>,
        /// What is wrong with them.
        reason: &'static str,
    },

    /// A hyper-parameter or other setting is out of range.
    #[error("invalid {name}: {reason}")]
    InvalidConfig {
        /// The setting's name, as in the API (`"learning_rate"`).
        name: &'static str,
        /// What is wrong and what range is allowed.
        reason: String,
    },

    /// Weights or biases handed to a constructor do not fit together.
    #[error("layer {layer}: {what} has shape {got:?}, expected {expected:?}")]
    ShapeMismatch {
        /// Index of the weight layer (0 = between the input and first hidden layer).
        layer: usize,
        /// `"weights"` or `"biases"`.
        what: &'static str,
        /// Expected (rows, columns).
        expected: (usize, usize),
        /// Given (rows, columns).
        got: (usize, usize),
    },

    /// Training produced NaN or infinite values.
    #[error(
        "training diverged in epoch {epoch}: {what} became NaN or infinite; try a smaller learning rate η (it was {learning_rate}). The network was restored to the end of the last good epoch"
    )]
    Diverged {
        /// The epoch (1-based) in which it happened.
        epoch: usize,
        /// What went non-finite (`"a weight"`, `"the cost"`).
        what: &'static str,
        /// The learning rate that was used.
        learning_rate: f64,
    },

    /// An IDX file does not start with the expected magic number.
    #[error(
        "{source_name}: IDX magic number {found:#010x}, expected {expected:#010x} ({kind}); is this the right file?"
    )]
    BadMagic {
        /// The file (or reader) that was being read.
        source_name: String,
        /// What was expected (`"labels"`, `"images"`).
        kind: &'static str,
        /// The magic number expected.
        expected: u32,
        /// The magic number found.
        found: u32,
    },

    /// An IDX file is malformed in some other way.
    #[error("{source_name}: {reason}")]
    BadIdx {
        /// The file (or reader) that was being read.
        source_name: String,
        /// What is wrong.
        reason: String,
    },

    /// A data file is missing.
    #[error("{path}: file not found. {hint}")]
    MissingFile {
        /// The path that was looked for.
        path: PathBuf,
        /// Where to get it.
        hint: String,
    },

    /// An I/O error while reading or writing a file.
    #[error("{path}: {source}")]
    File {
        /// The file concerned.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },

    /// An I/O error from a reader or writer that has no path.
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// `Result` with this crate's [`Error`] as the default error type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
