//! The MNIST handwritten digits: the IDX file format and the lecture's split.
//!
//! MNIST ships as four IDX files (usually gzip-compressed), named in
//! [`FILES`]:
//!
//! | file | content |
//! |---|---|
//! | `train-images-idx3-ubyte` | 60,000 images, 28 × 28 bytes each |
//! | `train-labels-idx1-ubyte` | their labels, one byte 0–9 each |
//! | `t10k-images-idx3-ubyte` | 10,000 test images |
//! | `t10k-labels-idx1-ubyte` | their labels |
//!
//! An IDX file is a big-endian header, a magic number `0x0000_08DD` (`08`:
//! unsigned bytes; `DD`: the number of dimensions, 1 for labels and 3 for
//! images) followed by one 32-bit size per dimension, and then the data, in
//! row-major order.
//!
//! The parts of this module:
//!
//! - [`Mnist::load`] reads the four files from a directory and splits them
//!   as the lecture does: 50,000 training, 10,000 validation and 10,000 test
//!   examples, ready for [`Sgd`](crate::Sgd);
//! - [`read_images`] and [`read_labels`] read one IDX file from any reader
//!   (raw or gzip), [`read_images_file`] and [`read_labels_file`] from a
//!   path, checking everything its header promises; [`Images`] holds what
//!   they read;
//! - [`find_file`] finds `name` or `name.gz` in a directory;
//! - with the cargo feature `download`, `download_files` fetches the files
//!   (see [below](#download)).
//!
//! # Examples
//!
//! ```no_run
//! use neuralnet::mnist::Mnist;
//! # fn main() -> Result<(), neuralnet::Error> {
//! let data = Mnist::<f32>::load("data/mnist")?;
//! assert_eq!(data.training.len(), 50_000);
//! # Ok(())
//! # }
//! ```
//!
//! # Download
//!
//! With the cargo feature `download` (off by default), `download_files`
//! fetches missing files into a directory from the mirrors in `MIRRORS`,
//! checking each against `REMOTE_FILES`: the SHA-256 and length of its
//! decompressed contents. It writes each file atomically, so an interrupted
//! download never leaves a file that looks valid.

#[cfg(feature = "download")]
mod download;
mod idx;
mod preprocess;

use std::path::{Path, PathBuf};

use crate::{Dataset, Error, Real, Result};

#[cfg(feature = "download")]
pub use download::{MIRRORS, REMOTE_FILES, RemoteFile, download_files};
pub use idx::{
    Images, MAX_DATA_BYTES, MAX_MATRIX_BYTES, read_images, read_images_file, read_labels,
    read_labels_file,
};
pub use preprocess::{
    DIGIT_BOX, ImageView, InkBox, MAX_IMAGE_PIXELS, PreparedDigit, SIDE, preprocess_digit,
};

/// The four MNIST file names, without the optional `.gz`: training images,
/// training labels, test images, test labels.
pub const FILES: [&str; 4] = [
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
];

/// Number of training-file images kept for validation: the last 10,000.
pub const VALIDATION_SIZE: usize = 10_000;

/// Where to get the files, for error messages.
const GET_MNIST: &str = "Put the four MNIST files (train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, \
t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz; gzip-compressed or not) in this directory; \
they are published by Yann LeCun, Corinna Cortes and Christopher Burges and mirrored widely \
(search for \"MNIST IDX files\").";

/// The path of MNIST file `name` in `dir`: `name` itself or `name.gz`.
///
/// # Errors
/// [`Error::MissingFile`] if neither exists.
pub fn find_file(dir: &Path, name: &str) -> Result<PathBuf> {
    let plain = dir.join(name);
    let gz = dir.join(format!("{name}.gz"));
    if plain.is_file() {
        return Ok(plain);
    }
    if gz.is_file() {
        return Ok(gz);
    }
    Err(Error::MissingFile {
        path: gz,
        hint: GET_MNIST.into(),
    })
}

/// The MNIST digits in the lecture's split, ready to train on.
///
/// - `training`: the first 50,000 images of the training file;
/// - `validation`: its last 10,000 ([`VALIDATION_SIZE`]), for choosing
///   hyper-parameters;
/// - `test`: the 10,000 test images, written by different people.
///
/// Inputs are 784 × n matrices of grey values in [0, 1] (a column per
/// image, pixels in row-major order); targets are the one-hot vectors y(x)
/// of the digits (10 × n).
#[derive(Debug, Clone, PartialEq)]
pub struct Mnist<T: Real> {
    /// 50,000 training examples.
    pub training: Dataset<T>,
    /// 10,000 validation examples.
    pub validation: Dataset<T>,
    /// 10,000 test examples.
    pub test: Dataset<T>,
}

impl<T: Real> Mnist<T> {
    /// Loads the four MNIST files from `dir` (each as `name` or `name.gz`).
    ///
    /// # Errors
    /// [`Error::MissingFile`] naming the first file not found; any IDX
    /// error of [`read_images`] and [`read_labels`], naming the file;
    /// [`Error::CountMismatch`] if images and labels disagree; and
    /// [`Error::IdxDimensions`] if the training file holds no more than
    /// 10,000 images (nothing would be left to train on).
    pub fn load(dir: impl AsRef<Path>) -> Result<Self> {
        let dir = dir.as_ref();
        let paths = FILES.map(|name| find_file(dir, name));
        let [train_images, train_labels, test_images, test_labels] = paths;
        let (train_images, train_labels) = (train_images?, train_labels?);
        let (test_images, test_labels) = (test_images?, test_labels?);
        let (train_x, train_y) = load_pair(&train_images, &train_labels)?;
        if train_x.count <= VALIDATION_SIZE {
            return Err(Error::IdxDimensions {
                source_name: train_images.display().to_string(),
                reason: format!(
                    "{} training images: the lecture's split needs more than {VALIDATION_SIZE} (the last {VALIDATION_SIZE} are for validation)",
                    train_x.count
                ),
            });
        }
        let n_train = train_x.count - VALIDATION_SIZE;
        let training =
            Dataset::from_labels(train_x.to_matrix(0, n_train)?, &train_y[..n_train], 10)?;
        let validation = Dataset::from_labels(
            train_x.to_matrix(n_train, VALIDATION_SIZE)?,
            &train_y[n_train..],
            10,
        )?;
        drop(train_x);
        let (test_x, test_y) = load_pair(&test_images, &test_labels)?;
        let test = Dataset::from_labels(test_x.to_matrix(0, test_x.count)?, &test_y, 10)?;
        Ok(Mnist {
            training,
            validation,
            test,
        })
    }
}

fn load_pair(images: &Path, labels: &Path) -> Result<(Images, Vec<u8>)> {
    let x = read_images_file(images)?;
    let y = read_labels_file(labels)?;
    if x.count != y.len() {
        return Err(Error::CountMismatch {
            images_file: images.display().to_string(),
            images: x.count,
            labels_file: labels.display().to_string(),
            labels: y.len(),
        });
    }
    Ok((x, y))
}
