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

    /// A cost and the output layer's activation do not make sense together
    /// (the cost's output error δᴸ would be wrong or undefined), e.g. the
    /// log-likelihood without a softmax output layer, or the cross-entropy
    /// with ReLU outputs that are not in (0, 1).
    #[error("the {cost} cost cannot train a {activation} output layer: {reason}")]
    CostActivation {
        /// The cost's name (`"cross-entropy"`).
        cost: &'static str,
        /// The output layer's activation.
        activation: crate::Activation,
        /// Why, and which combination to use instead.
        reason: &'static str,
    },

    /// A target that the cost cannot be trained towards: the cross-entropy
    /// and log-likelihood costs take probabilities, in [0, 1].
    #[error(
        "example {example} has a target of {value}, but the {cost} cost needs targets in [0, 1] (class labels one-hot encoded); for targets of any size (regression) use the quadratic cost with an identity output layer"
    )]
    TargetRange {
        /// The cost's name.
        cost: &'static str,
        /// The example (column) of the first such target.
        example: usize,
        /// Its value.
        value: f64,
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
        "training diverged in epoch {epoch}: {what} became NaN or infinite; try a smaller learning rate η (it was {}). The network was restored to the end of the last good epoch", crate::sgd::Compact(*learning_rate)
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

    /// An IDX file ends before what its header promises.
    #[error(
        "{source_name}: truncated {part}: expected {expected} bytes, found {found}; the file is incomplete, download it again"
    )]
    IdxTruncated {
        /// The file (or reader) that was being read.
        source_name: String,
        /// `"header"` or `"data"`.
        part: &'static str,
        /// Bytes the header promises.
        expected: u64,
        /// Bytes actually there.
        found: u64,
    },

    /// An IDX file has more data than its header describes.
    #[error(
        "{source_name}: more data than the header's {expected} bytes; is this an IDX file of the kind expected?"
    )]
    IdxTrailingData {
        /// The file (or reader) that was being read.
        source_name: String,
        /// Bytes the header describes.
        expected: u64,
    },

    /// An IDX header describes more data than this crate will read.
    #[error(
        "{source_name}: the header claims {claimed} bytes of data, more than the limit of {limit}; the file is corrupt or not an IDX file"
    )]
    IdxTooLarge {
        /// The file (or reader) that was being read.
        source_name: String,
        /// Bytes the header claims (saturated at `u64::MAX`).
        claimed: u64,
        /// The limit.
        limit: u64,
    },

    /// An IDX header has dimensions this crate cannot use.
    #[error("{source_name}: {reason}")]
    IdxDimensions {
        /// The file (or reader) that was being read.
        source_name: String,
        /// What is wrong.
        reason: String,
    },

    /// A digit label is not 0 to 9.
    #[error("{source_name}: label {label} at index {index} is not a digit 0 to 9")]
    BadLabel {
        /// The file (or reader) that was being read.
        source_name: String,
        /// Index of the label in the file.
        index: usize,
        /// The value found.
        label: u8,
    },

    /// An image file and its label file disagree on the number of examples.
    #[error(
        "{images_file} holds {images} images but {labels_file} holds {labels} labels; use files from the same set"
    )]
    CountMismatch {
        /// The image file.
        images_file: String,
        /// Images in it.
        images: usize,
        /// The label file.
        labels_file: String,
        /// Labels in it.
        labels: usize,
    },

    /// A data file is missing.
    #[error("{path}: file not found. {hint}")]
    MissingFile {
        /// The path that was looked for.
        path: PathBuf,
        /// Where to get it.
        hint: String,
    },

    /// A saved network is not a valid model file.
    #[error("{source_name}: not a valid neuralnet model file: {reason}")]
    ModelFormat {
        /// The file (or `"<bytes>"`) that was read.
        source_name: String,
        /// What is wrong.
        reason: String,
    },

    /// A model file was written by a format version this crate cannot read.
    #[error(
        "{source_name}: model format version {found}, but this version of neuralnet reads version {supported}; upgrade the crate to read it"
    )]
    UnsupportedVersion {
        /// The file that was read.
        source_name: String,
        /// The version in the file.
        found: u32,
        /// The version this crate reads.
        supported: u32,
    },

    /// A model file holds a different scalar type than asked for.
    #[error(
        "{source_name}: the network was saved as {found}, not {expected}; load it as Network::<{found}> and convert it with Network::cast::<{expected}>()"
    )]
    ScalarMismatch {
        /// The file that was read.
        source_name: String,
        /// The scalar type in the file.
        found: String,
        /// The scalar type asked for.
        expected: &'static str,
    },

    /// A weight or bias is NaN or infinite.
    #[error("layer {layer}: a {what} is NaN or infinite; a network must hold finite numbers")]
    NonFinite {
        /// Index of the weight layer.
        layer: usize,
        /// `"weight"` or `"bias"`.
        what: &'static str,
    },

    /// No mirror gave a good copy of a file to download.
    /// The message lists the mirrors' answers one per line.
    #[error(
        "could not download {file} from any mirror:{}\ncheck the network connection, or download the file yourself",
        attempts.iter().map(|a| format!("\n  {a}")).collect::<String>()
    )]
    Download {
        /// The file.
        file: String,
        /// What each mirror answered.
        attempts: Vec<String>,
    },

    /// A path holds something other than a regular file (a directory, a
    /// FIFO, a device node, a socket), which this crate neither reads as a
    /// file nor replaces.
    #[error(
        "{path} is a {kind}, not a regular file: neuralnet only reads and replaces regular files; choose another path"
    )]
    NotAFile {
        /// The path (after following symbolic links).
        path: PathBuf,
        /// What is there (`"directory"`, `"FIFO (named pipe)"`, `"character device"`, ...).
        kind: &'static str,
    },

    /// A symbolic link points to nothing.
    #[error(
        "{path} is a symbolic link to {target}, which does not exist; point the link at a file, or remove it"
    )]
    DanglingSymlink {
        /// The path given.
        path: PathBuf,
        /// Where the link (or the last link of a chain) points.
        target: PathBuf,
    },

    /// Another writer holds the advisory lock on a file (see
    /// [`FileLock`](crate::model::FileLock)).
    #[error(
        "{path} is being written by another process (it holds the lock {lock_path}): is another run saving to the same file? Wait for it to end, or choose another path"
    )]
    Locked {
        /// The file that was to be written.
        path: PathBuf,
        /// The lock file.
        lock_path: PathBuf,
    },

    /// Memory for a network, its training workspace or a data set could not
    /// be allocated.
    #[error(
        "cannot allocate {bytes} bytes for {what}: more than this machine can give; use smaller layers, a smaller mini-batch or less data"
    )]
    Allocation {
        /// What the memory was for (`"the weights"`, `"the training workspace"`).
        what: &'static str,
        /// How many bytes were asked for.
        bytes: u128,
    },

    /// Data would take more memory than this crate's documented limit.
    #[error(
        "{what} would take {bytes} bytes, more than the limit of {limit}; use fewer examples at a time"
    )]
    DataTooLarge {
        /// What was to be built.
        what: String,
        /// The bytes it would take.
        bytes: u128,
        /// The limit ([`mnist::MAX_MATRIX_BYTES`](crate::mnist::MAX_MATRIX_BYTES)).
        limit: u64,
    },

    /// An input (or target) value is NaN or infinite.
    #[error(
        "{what} of example {example} (column {example}), row {row}, is {value}: inputs and targets must be finite numbers"
    )]
    NonFiniteInput {
        /// `"input"` or `"target"`.
        what: &'static str,
        /// The example: its column, from 0.
        example: usize,
        /// The row within the example, from 0.
        row: usize,
        /// The value found (NaN or ±∞, as `f64`).
        value: f64,
    },

    /// An image's sizes cannot describe a picture of a digit.
    #[error("image of {width} × {height} pixels, {channels} channels: {reason}")]
    ImageDimensions {
        /// Width in pixels, as given.
        width: usize,
        /// Height in pixels, as given.
        height: usize,
        /// Samples per pixel, as given.
        channels: usize,
        /// What is wrong and what to do.
        reason: String,
    },

    /// An image's sample buffer does not match its sizes.
    #[error(
        "image of {width} × {height} pixels, {channels} channels needs {expected} samples (one byte each), but the buffer holds {got}; give width, height and channels that match the buffer"
    )]
    ImageBuffer {
        /// Width in pixels.
        width: usize,
        /// Height in pixels.
        height: usize,
        /// Samples per pixel.
        channels: usize,
        /// width × height × channels.
        expected: usize,
        /// Samples in the buffer.
        got: usize,
    },

    /// Nothing in an image stands out from the paper.
    #[error(
        "no ink found: the paper's grey level is {paper} and the image only spans {darkest} to {lightest}; draw the digit with more contrast (dark ink on light paper, or light on dark)"
    )]
    NoInk {
        /// The paper's grey level, 0 to 255 (the median of the border).
        paper: u8,
        /// The darkest grey level in the image.
        darkest: u8,
        /// The lightest grey level in the image.
        lightest: u8,
    },

    // Data preparation (`prep`): tables, CSV files, preprocessing, metrics.
    /// A CSV file (or reader) has no header line, or a header but no rows.
    #[error(
        "{source_name}: {what}; a CSV file needs a header line naming the columns and at least one row of data"
    )]
    CsvEmpty {
        /// The file (or reader) that was being read.
        source_name: String,
        /// What is missing (`"the file is empty"`, `"the header has no rows after it"`).
        what: &'static str,
    },

    /// A CSV record is longer than the limit, checked before it is read
    /// into memory (see [`prep::CsvOptions::with_max_record_bytes`](crate::prep::CsvOptions::with_max_record_bytes)).
    #[error(
        "{source_name}, line {line}: the record is longer than {limit} bytes; is this a CSV file (with line breaks between rows)? If its rows really are that long, raise CsvOptions::with_max_record_bytes"
    )]
    CsvRecordTooLong {
        /// The file (or reader) that was being read.
        source_name: String,
        /// The line (from 1, as a text editor counts) where the record starts.
        line: u64,
        /// The limit in bytes.
        limit: u64,
    },

    /// A CSV row has a different number of fields than the header.
    #[error(
        "{source_name}, line {line}: {got} fields, but the header names {expected} columns; give every row one field per column (quote fields that contain the delimiter)"
    )]
    CsvRagged {
        /// The file (or reader) that was being read.
        source_name: String,
        /// The line (from 1) where the row starts.
        line: u64,
        /// Columns named by the header.
        expected: usize,
        /// Fields in the row.
        got: usize,
    },

    /// A CSV cell cannot be read: text in a numeric column, or a number
    /// that is not finite (`NaN`, `inf`, `1e999`).
    #[error("{source_name}, line {line}, column {column:?}: {shown:?} {reason}", shown = shorten(value))]
    CsvCell {
        /// The file (or reader) that was being read.
        source_name: String,
        /// The line (from 1) where the row starts.
        line: u64,
        /// The column's name, from the header.
        column: String,
        /// The cell as written.
        value: String,
        /// What is wrong and what to do.
        reason: &'static str,
    },

    /// A CSV field is not valid UTF-8.
    #[error(
        "{source_name}, line {line}, field {field}: not valid UTF-8 text; save the file with UTF-8 encoding"
    )]
    CsvNotUtf8 {
        /// The file (or reader) that was being read.
        source_name: String,
        /// The line (from 1) where the record starts.
        line: u64,
        /// The field's position in the record, from 1.
        field: usize,
    },

    /// A CSV file holds more cells than the limit (see
    /// [`prep::CsvOptions::with_max_cells`](crate::prep::CsvOptions::with_max_cells)).
    #[error(
        "{source_name}, line {line}: more than {limit} cells (rows × columns); read the file in parts, or raise CsvOptions::with_max_cells if the memory is there"
    )]
    CsvTooLarge {
        /// The file (or reader) that was being read.
        source_name: String,
        /// The line (from 1) of the row that went past the limit.
        line: u64,
        /// The limit in cells.
        limit: u64,
    },

    /// Two columns have the same name.
    #[error(
        "{source_name}: columns {first} and {second} are both named {name:?}; give every column a different name"
    )]
    DuplicateColumn {
        /// The file, or what the table was built from (`"the rows given"`).
        source_name: String,
        /// The name.
        name: String,
        /// The first column of that name, from 1.
        first: usize,
        /// The second column of that name, from 1.
        second: usize,
    },

    /// No column has the name asked for.
    #[error(
        "{source_name}: no column named {name:?}; the columns are {}: check the spelling (names are case-sensitive)",
        list_names(columns)
    )]
    UnknownColumn {
        /// The file, or what was searched (`"the table"`).
        source_name: String,
        /// The name asked for.
        name: String,
        /// The names there are.
        columns: Vec<String>,
    },

    /// The number of column names does not match the number of columns.
    #[error(
        "{got} column names for {expected} columns: give one name per column (one per value of a row)"
    )]
    ColumnCount {
        /// Columns in the data.
        expected: usize,
        /// Names given.
        got: usize,
    },

    /// A row of a table built from Rust rows has the wrong number of values.
    #[error(
        "row {row} has {got} values, but there are {expected} columns: give every row one value per column"
    )]
    RowLength {
        /// The row, from 0.
        row: usize,
        /// Values expected (columns).
        expected: usize,
        /// Values in the row.
        got: usize,
    },

    /// A value given for a table is infinite (NaN marks a missing value;
    /// ±∞ has no meaning as data).
    #[error(
        "column {column:?}, row {row}: {value} is not a finite number; use NaN to mark a missing value"
    )]
    NonFiniteCell {
        /// The column's name.
        column: String,
        /// The row, from 0.
        row: usize,
        /// The value.
        value: f64,
    },

    /// A value is missing where one is needed.
    #[error(
        "column {column:?}, row {row}{}: the value is missing; fill it in, drop the row, or build the preprocessing with Missing::Impute to fill it with the training mean (numbers) or mode (categories)",
        at_line(source_name.as_deref(), *line)
    )]
    MissingValue {
        /// The column's name.
        column: String,
        /// The row of the table, from 0.
        row: usize,
        /// The CSV file the table was read from, if it was.
        source_name: Option<String>,
        /// The row's line in that file (from 1), if any.
        line: Option<u64>,
    },

    /// A category that the preprocessing did not see when it was fitted.
    #[error(
        "column {column:?}, row {row}{}: category {shown:?} was not in the training data (which had {known} categories); correct the value, or build the preprocessing with Unknown::Ignore to encode unseen categories as all zeros",
        at_line(source_name.as_deref(), *line), shown = shorten(value)
    )]
    UnknownCategory {
        /// The column's name.
        column: String,
        /// The row of the table, from 0.
        row: usize,
        /// The CSV file the table was read from, if it was.
        source_name: Option<String>,
        /// The row's line in that file (from 1), if any.
        line: Option<u64>,
        /// The category.
        value: String,
        /// How many categories the training data had.
        known: usize,
    },

    /// A class label that the label encoder did not see when it was fitted.
    #[error(
        "class label {shown:?} was not in the training data (which had {classes} classes); only labels seen when fitting can be encoded",
        shown = shorten(label)
    )]
    UnknownLabel {
        /// The label.
        label: String,
        /// How many classes the encoder knows.
        classes: usize,
    },

    /// A column holds numbers where text was expected, or text where
    /// numbers were expected.
    #[error(
        "column {column:?} holds {found} values, but {expected} values were expected (as when the preprocessing was fitted); check that the data has the same columns as the training data"
    )]
    ColumnType {
        /// The column's name.
        column: String,
        /// The kind expected.
        expected: crate::prep::ColumnKind,
        /// The kind found.
        found: crate::prep::ColumnKind,
    },

    /// A column's values cannot be fitted.
    #[error("column {column:?} cannot be fitted: {reason}")]
    UnfittableColumn {
        /// The column's name.
        column: String,
        /// Why, and what to do.
        reason: &'static str,
    },

    /// Saved preprocessing (from `to_bytes`) is not valid.
    #[error(
        "saved {what} is not valid at byte {offset}: {reason}; the bytes are corrupt or were written by another version of neuralnet"
    )]
    PrepFormat {
        /// What was read (`"preprocessor"`, `"label encoder"`).
        what: &'static str,
        /// Where the problem was found, in bytes from the start.
        offset: usize,
        /// What is wrong.
        reason: String,
    },

    /// Predictions and true values (or true classes) differ in number.
    #[error(
        "{predicted} predictions for {truth} true values: give one prediction per example, in the same order"
    )]
    PredictionCount {
        /// True values given.
        truth: usize,
        /// Predictions given.
        predicted: usize,
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

/// A long value cut to its first 60 characters for an error message.
fn shorten(value: &str) -> std::borrow::Cow<'_, str> {
    const MAX: usize = 60;
    match value.char_indices().nth(MAX) {
        None => value.into(),
        Some((end, _)) => format!("{}…", &value[..end]).into(),
    }
}

/// Column names for a message: all of them, or the first ten and a count.
fn list_names(names: &[String]) -> String {
    const MAX: usize = 10;
    let mut out = names
        .iter()
        .take(MAX)
        .map(|n| format!("{n:?}"))
        .collect::<Vec<_>>()
        .join(", ");
    if names.len() > MAX {
        out.push_str(&format!(" and {} more", names.len() - MAX));
    }
    if names.is_empty() {
        out.push_str("none");
    }
    out
}

/// `" (file, line N)"` when the row came from a file.
fn at_line(source_name: Option<&str>, line: Option<u64>) -> String {
    match (source_name, line) {
        (Some(s), Some(l)) => format!(" ({s}, line {l})"),
        (None, Some(l)) => format!(" (line {l})"),
        _ => String::new(),
    }
}
