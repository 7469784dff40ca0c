//! The IDX file format: a big-endian header, a magic number `0x0000_08DD`
//! (`08`: unsigned bytes; `DD`: the number of dimensions, 1 for labels and 3
//! for images) followed by one 32-bit size per dimension, and then the data,
//! in row-major order.

use std::fs::File;
use std::io::{self, BufReader, Cursor, Read};
use std::path::Path;

use flate2::bufread::MultiGzDecoder;
use nalgebra::DMatrix;

use crate::{Error, Real, Result};

/// The magic number of an IDX file of unsigned-byte labels (1 dimension).
const LABELS_MAGIC: u32 = 0x0000_0801;
/// The magic number of an IDX file of unsigned-byte images (3 dimensions).
const IMAGES_MAGIC: u32 = 0x0000_0803;

/// The most data bytes an IDX file may claim (1 GiB; MNIST's largest file
/// holds 47 MB). A header claiming more is refused with
/// [`Error::IdxTooLarge`] before anything is read.
pub const MAX_DATA_BYTES: u64 = 1 << 30;

/// The most bytes a matrix of converted grey values may take (2 GiB):
/// [`Images::to_matrix`] refuses a range whose `f32` or `f64` copy would be
/// larger, with [`Error::DataTooLarge`], before allocating it. Each byte of
/// an image becomes 4 or 8, so a file within [`MAX_DATA_BYTES`] could
/// otherwise cost 8 GiB; all of MNIST's 60,000 training images take 376 MB
/// as `f64`.
pub const MAX_MATRIX_BYTES: u64 = 2 << 30;

/// Images read from an IDX file: `count` images of `rows × cols` bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Images {
    /// Number of images.
    pub count: usize,
    /// Rows of each image (28 for MNIST).
    pub rows: usize,
    /// Columns of each image (28 for MNIST).
    pub cols: usize,
    /// The grey values, 0 (white) to 255 (black), image after image, each in
    /// row-major order.
    pub pixels: Vec<u8>,
}

impl Images {
    /// Bytes per image, `rows × cols`.
    pub fn image_size(&self) -> usize {
        self.rows * self.cols
    }

    /// The grey values of image `i`, or `None` past the end.
    pub fn image(&self, i: usize) -> Option<&[u8]> {
        let n = self.image_size();
        self.pixels.get(i * n..(i + 1) * n)
    }

    /// Images `start..start + len` as columns of a matrix, grey values scaled
    /// to [0, 1] (the network's input x).
    ///
    /// # Shapes
    /// Result: (rows · cols) × len.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] if the range goes past the last image;
    /// [`Error::DataTooLarge`] if the matrix would take more than
    /// [`MAX_MATRIX_BYTES`].
    pub fn to_matrix<T: Real>(&self, start: usize, len: usize) -> Result<DMatrix<T>> {
        if start.checked_add(len).is_none_or(|end| end > self.count) {
            return Err(Error::InvalidConfig {
                name: "range",
                reason: format!(
                    "images {start}..{} asked of {} images",
                    start.saturating_add(len),
                    self.count
                ),
            });
        }
        let n = self.image_size();
        let bytes = (n as u128) * (len as u128) * std::mem::size_of::<T>() as u128;
        if bytes > u128::from(MAX_MATRIX_BYTES) {
            return Err(Error::DataTooLarge {
                what: format!("images {start}..{} as {}", start + len, T::NAME),
                bytes,
                limit: MAX_MATRIX_BYTES,
            });
        }
        let scale: T = nalgebra::convert(1.0 / 255.0);
        // The fields are public: the pixels may not be as many as `count` says.
        let Some(bytes) = self.pixels.get(start * n..(start + len) * n) else {
            return Err(Error::InvalidConfig {
                name: "pixels",
                reason: format!(
                    "{} grey values for {} images of {n}",
                    self.pixels.len(),
                    self.count
                ),
            });
        };
        // Each image's bytes become one column: column-major storage is the
        // byte order itself.
        Ok(DMatrix::from_iterator(
            n,
            len,
            bytes
                .iter()
                .map(|&p| nalgebra::convert::<f64, T>(f64::from(p)) * scale),
        ))
    }
}

/// Reads an IDX image file (magic `0x00000803`) from any reader, raw or
/// gzip-compressed (recognised by its first bytes, not by a name). A gzip
/// file of several members (as `cat a.gz b.gz` makes) is read whole;
/// anything after the last member that is not a gzip member is refused.
///
/// `source_name` names the input in error messages.
///
/// # Errors
/// [`Error::BadMagic`], [`Error::IdxTruncated`], [`Error::IdxTrailingData`],
/// [`Error::IdxTooLarge`] or [`Error::IdxDimensions`] if the input is not a
/// well-formed image file; [`Error::Io`] if reading fails.
pub fn read_images<R: Read>(reader: R, source_name: &str) -> Result<Images> {
    parse_images(reader, source_name, None)
}

/// Reads an IDX label file (magic `0x00000801`) of digits 0 to 9 from any
/// reader, raw or gzip-compressed.
///
/// # Errors
/// As [`read_images`], and [`Error::BadLabel`] for a label above 9.
pub fn read_labels<R: Read>(reader: R, source_name: &str) -> Result<Vec<u8>> {
    parse_labels(reader, source_name, None)
}

/// Reads an IDX image file from a path, raw or gzip-compressed.
///
/// # Errors
/// As [`read_images`]; [`Error::File`] if the file cannot be read.
pub fn read_images_file(path: impl AsRef<Path>) -> Result<Images> {
    let path = path.as_ref();
    let (file, len) = open(path)?;
    parse_images(file, &path.display().to_string(), Some(len)).map_err(|e| with_path(e, path))
}

/// Reads an IDX label file from a path, raw or gzip-compressed.
///
/// # Errors
/// As [`read_labels`]; [`Error::File`] if the file cannot be read.
pub fn read_labels_file(path: impl AsRef<Path>) -> Result<Vec<u8>> {
    let path = path.as_ref();
    let (file, len) = open(path)?;
    parse_labels(file, &path.display().to_string(), Some(len)).map_err(|e| with_path(e, path))
}

fn open(path: &Path) -> Result<(File, u64)> {
    let file = File::open(path).map_err(|source| Error::File {
        path: path.to_owned(),
        source,
    })?;
    let len = file.metadata().map(|m| m.len()).unwrap_or(u64::MAX);
    Ok((file, len))
}

fn with_path(e: Error, path: &Path) -> Error {
    match e {
        Error::Io(source) => Error::File {
            path: path.to_owned(),
            source,
        },
        e => e,
    }
}

/// An IDX stream after its magic number, decompressed if it was gzip, with
/// the number of bytes left when that is known (raw files).
struct Stream<'a> {
    inner: Box<dyn Read + 'a>,
    name: &'a str,
    remaining: Option<u64>,
}

impl<'a> Stream<'a> {
    fn open<R: Read + 'a>(mut reader: R, name: &'a str, len: Option<u64>) -> Result<(Self, u32)> {
        let mut head = [0u8; 4];
        let got = read_full(&mut reader, &mut head)?;
        let (mut stream, rest_len) = if got >= 2 && head[..2] == [0x1f, 0x8b] {
            let decoded = MultiGzDecoder::new(BufReader::new(Cursor::new(head).chain(reader)));
            (Box::new(decoded) as Box<dyn Read + 'a>, None)
        } else {
            let rest = Cursor::new(head[..got].to_vec()).chain(reader);
            (Box::new(rest) as Box<dyn Read + 'a>, len)
        };
        let mut magic = [0u8; 4];
        let got = read_full(&mut stream, &mut magic)?;
        if got < 4 {
            return Err(Error::IdxTruncated {
                source_name: name.into(),
                part: "header",
                expected: 4,
                found: got as u64,
            });
        }
        Ok((
            Stream {
                inner: stream,
                name,
                remaining: rest_len.map(|l| l.saturating_sub(4)),
            },
            u32::from_be_bytes(magic),
        ))
    }

    fn check_magic(&self, found: u32, expected: u32, kind: &'static str) -> Result<()> {
        if found != expected {
            return Err(Error::BadMagic {
                source_name: self.name.into(),
                kind,
                expected,
                found,
            });
        }
        Ok(())
    }

    /// The `n` big-endian 32-bit sizes after the magic number.
    fn dims<const N: usize>(&mut self) -> Result<[usize; N]> {
        let mut out = [0usize; N];
        for (i, d) in out.iter_mut().enumerate() {
            let mut b = [0u8; 4];
            let got = read_full(&mut self.inner, &mut b)?;
            if got < 4 {
                return Err(Error::IdxTruncated {
                    source_name: self.name.into(),
                    part: "header",
                    expected: 4 + 4 * N as u64,
                    found: 4 + 4 * i as u64 + got as u64,
                });
            }
            *d = u32::from_be_bytes(b) as usize;
        }
        if let Some(r) = self.remaining.as_mut() {
            *r = r.saturating_sub(4 * N as u64);
        }
        Ok(out)
    }

    /// Exactly `expected` data bytes, then the end of the stream. Memory
    /// grows with the data actually read, never with the header's claim, and
    /// a gzip stream is decompressed no further than one byte past it.
    fn payload(&mut self, dims: &[usize]) -> Result<Vec<u8>> {
        let header = 4 + 4 * dims.len() as u64;
        let expected = dims
            .iter()
            .try_fold(1u64, |acc, &d| acc.checked_mul(d as u64))
            .unwrap_or(u64::MAX);
        if expected > MAX_DATA_BYTES {
            return Err(Error::IdxTooLarge {
                source_name: self.name.into(),
                claimed: expected,
                limit: MAX_DATA_BYTES,
            });
        }
        let truncated = |found: u64| Error::IdxTruncated {
            source_name: self.name.into(),
            part: "data",
            expected,
            found,
        };
        if let Some(left) = self.remaining
            && left < expected
        {
            return Err(truncated(left));
        }
        // Grow with the data actually read: never with the header's claim.
        let mut buf = Vec::with_capacity(expected.min(8 << 10) as usize);
        match (&mut self.inner).take(expected).read_to_end(&mut buf) {
            Ok(_) => {}
            // A gzip stream that stops early reports an unexpected end.
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => {
                return Err(truncated(buf.len() as u64));
            }
            Err(e) => return Err(e.into()),
        }
        if (buf.len() as u64) < expected {
            return Err(truncated(buf.len() as u64));
        }
        let mut one = [0u8; 1];
        if read_full(&mut self.inner, &mut one)? > 0 {
            return Err(Error::IdxTrailingData {
                source_name: self.name.into(),
                expected: header + expected,
            });
        }
        Ok(buf)
    }
}

/// Reads until `buf` is full or the input ends; returns the bytes read.
fn read_full(r: &mut dyn Read, buf: &mut [u8]) -> Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match r.read(&mut buf[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(got)
}

fn parse_images<R: Read>(reader: R, name: &str, len: Option<u64>) -> Result<Images> {
    let (mut s, magic) = Stream::open(reader, name, len)?;
    s.check_magic(magic, IMAGES_MAGIC, "images")?;
    let [count, rows, cols] = s.dims::<3>()?;
    if (rows == 0 || cols == 0) && count > 0 {
        return Err(Error::IdxDimensions {
            source_name: name.into(),
            reason: format!(
                "{count} images of {rows} × {cols} pixels: an image needs at least one pixel"
            ),
        });
    }
    let pixels = s.payload(&[count, rows, cols])?;
    Ok(Images {
        count,
        rows,
        cols,
        pixels,
    })
}

fn parse_labels<R: Read>(reader: R, name: &str, len: Option<u64>) -> Result<Vec<u8>> {
    let (mut s, magic) = Stream::open(reader, name, len)?;
    s.check_magic(magic, LABELS_MAGIC, "labels")?;
    let [count] = s.dims::<1>()?;
    let labels = s.payload(&[count])?;
    if let Some((index, &label)) = labels.iter().enumerate().find(|&(_, &l)| l > 9) {
        return Err(Error::BadLabel {
            source_name: name.into(),
            index,
            label,
        });
    }
    Ok(labels)
}
