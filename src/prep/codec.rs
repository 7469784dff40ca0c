//! The byte format of fitted preprocessing: little-endian, length-prefixed,
//! and read defensively.
//!
//! Every blob starts with the magic `NNPP`, a format version byte and a
//! byte naming what it holds; then the type's fields. Integers are
//! little-endian `u32`, floats little-endian `f64`, strings a `u32` byte
//! length and UTF-8 bytes, lists a `u32` count and the items.
//!
//! Reading trusts nothing: every length and count is checked against the
//! bytes that remain before anything is allocated (an item takes at least
//! one byte), so a hostile blob can make the reader allocate no more than
//! about its own size, and ends in [`Error::PrepFormat`], never a panic.

use crate::{Error, Result};

/// The first four bytes of every blob.
const MAGIC: &[u8; 4] = b"NNPP";
/// The format version written; the only one read.
const VERSION: u8 = 1;

/// What a blob holds: its third byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Standardizer = 1,
    TargetScaler = 2,
    OneHotEncoder = 3,
    LabelEncoder = 4,
    Preprocessor = 5,
    TargetEncoding = 6,
}

impl Kind {
    /// The name used in error messages.
    pub(crate) fn what(self) -> &'static str {
        match self {
            Kind::Standardizer => "standardizer",
            Kind::TargetScaler => "target scaler",
            Kind::OneHotEncoder => "one-hot encoder",
            Kind::LabelEncoder => "label encoder",
            Kind::Preprocessor => "preprocessor",
            Kind::TargetEncoding => "target encoding",
        }
    }
}

/// Builds a blob.
#[derive(Debug)]
pub(crate) struct Writer {
    buf: Vec<u8>,
}

impl Writer {
    /// A blob of `kind`, its header written.
    pub(crate) fn new(kind: Kind) -> Self {
        let mut buf = MAGIC.to_vec();
        buf.push(VERSION);
        buf.push(kind as u8);
        Writer { buf }
    }

    pub(crate) fn u8(&mut self, x: u8) {
        self.buf.push(x);
    }

    /// A count or length. Every one written is below 2³² because it counts
    /// something held in memory that was checked when it was built (rows of
    /// a categorical column, categories, classes, columns, bytes of a cell
    /// no longer than a CSV record).
    pub(crate) fn len(&mut self, n: usize) {
        let n = u32::try_from(n).expect("lengths are checked below 2³² when built");
        self.buf.extend_from_slice(&n.to_le_bytes());
    }

    pub(crate) fn f64(&mut self, x: f64) {
        self.buf.extend_from_slice(&x.to_le_bytes());
    }

    pub(crate) fn str(&mut self, s: &str) {
        self.len(s.len());
        self.buf.extend_from_slice(s.as_bytes());
    }

    pub(crate) fn strings(&mut self, list: &[String]) {
        self.len(list.len());
        for s in list {
            self.str(s);
        }
    }

    pub(crate) fn finish(self) -> Vec<u8> {
        self.buf
    }
}

/// Reads a blob, checking everything.
#[derive(Debug)]
pub(crate) struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
    what: &'static str,
}

impl<'a> Reader<'a> {
    /// A reader past the header, which must be that of a `kind` blob.
    pub(crate) fn new(bytes: &'a [u8], kind: Kind) -> Result<Self> {
        let mut r = Reader {
            bytes,
            pos: 0,
            what: kind.what(),
        };
        if r.take(4)? != MAGIC {
            r.pos = 0;
            return Err(r.error("it does not start with the magic bytes NNPP"));
        }
        let version = r.u8()?;
        if version != VERSION {
            r.pos = 4;
            return Err(r.error(format!(
                "format version {version}, but this version of neuralnet reads version {VERSION}"
            )));
        }
        let found = r.u8()?;
        if found != kind as u8 {
            r.pos = 5;
            return Err(r.error(format!(
                "it holds kind {found}, not a {} (kind {})",
                kind.what(),
                kind as u8
            )));
        }
        Ok(r)
    }

    /// [`Error::PrepFormat`] at the current position.
    pub(crate) fn error(&self, reason: impl Into<String>) -> Error {
        Error::PrepFormat {
            what: self.what,
            offset: self.pos,
            reason: reason.into(),
        }
    }

    fn remaining(&self) -> usize {
        self.bytes.len() - self.pos
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        if n > self.remaining() {
            return Err(self.error(format!(
                "{n} bytes needed but only {} remain: the data is truncated",
                self.remaining()
            )));
        }
        let out = &self.bytes[self.pos..self.pos + n];
        self.pos += n;
        Ok(out)
    }

    pub(crate) fn u8(&mut self) -> Result<u8> {
        Ok(self.take(1)?[0])
    }

    fn u32(&mut self) -> Result<u32> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// An index (a `u32`); the caller checks its bound.
    pub(crate) fn index(&mut self) -> Result<usize> {
        Ok(self.u32()? as usize)
    }

    /// A count of items of at least `min_bytes` bytes each, checked against
    /// the bytes that remain before the caller allocates for them.
    pub(crate) fn count(&mut self, min_bytes: usize) -> Result<usize> {
        let n = self.u32()? as usize;
        if n.saturating_mul(min_bytes.max(1)) > self.remaining() {
            self.pos -= 4;
            return Err(self.error(format!(
                "a count of {n} items, more than the {} bytes that remain can hold",
                self.remaining() - 4
            )));
        }
        Ok(n)
    }

    /// A finite `f64`.
    pub(crate) fn f64(&mut self) -> Result<f64> {
        let b = self.take(8)?;
        let x = f64::from_le_bytes(b.try_into().expect("take(8) gives 8 bytes"));
        if !x.is_finite() {
            self.pos -= 8;
            return Err(self.error(format!("the number {x} is not finite")));
        }
        Ok(x)
    }

    pub(crate) fn string(&mut self) -> Result<String> {
        let n = self.count(1)?;
        let start = self.pos;
        let bytes = self.take(n)?;
        match std::str::from_utf8(bytes) {
            Ok(s) => Ok(s.to_owned()),
            Err(_) => {
                self.pos = start;
                Err(self.error("a string is not valid UTF-8"))
            }
        }
    }

    /// A list of strings (each takes at least its 4-byte length).
    pub(crate) fn strings(&mut self) -> Result<Vec<String>> {
        let n = self.count(4)?;
        let mut out = Vec::with_capacity(n);
        for _ in 0..n {
            out.push(self.string()?);
        }
        Ok(out)
    }

    /// The end: nothing may follow.
    pub(crate) fn finish(self) -> Result<()> {
        if self.remaining() > 0 {
            return Err(self.error(format!(
                "{} bytes follow the end of the data",
                self.remaining()
            )));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_blob_round_trips() {
        let mut w = Writer::new(Kind::LabelEncoder);
        w.u8(7);
        w.f64(-2.5);
        w.strings(&["a".into(), "ß".into()]);
        let bytes = w.finish();
        assert_eq!(&bytes[..6], b"NNPP\x01\x04");
        let mut r = Reader::new(&bytes, Kind::LabelEncoder).unwrap();
        assert_eq!(r.u8().unwrap(), 7);
        assert_eq!(r.f64().unwrap(), -2.5);
        assert_eq!(r.strings().unwrap(), ["a", "ß"]);
        r.finish().unwrap();
    }

    #[test]
    fn a_huge_count_is_refused_before_allocating() {
        let mut bytes = Writer::new(Kind::LabelEncoder).finish();
        bytes.extend_from_slice(&u32::MAX.to_le_bytes());
        let mut r = Reader::new(&bytes, Kind::LabelEncoder).unwrap();
        let err = r.strings().unwrap_err();
        assert!(matches!(err, Error::PrepFormat { offset: 6, .. }), "{err}");
    }

    #[test]
    fn the_wrong_kind_or_version_is_refused() {
        let bytes = Writer::new(Kind::Standardizer).finish();
        assert!(Reader::new(&bytes, Kind::LabelEncoder).is_err());
        let mut old = bytes.clone();
        old[4] = 0;
        assert!(Reader::new(&old, Kind::Standardizer).is_err());
        assert!(Reader::new(&bytes[..3], Kind::Standardizer).is_err());
    }
}
