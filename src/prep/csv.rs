//! Reading a [`Table`] from a CSV file, in bounded memory, with errors that
//! name the file, line and column.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

use super::Table;
use super::table::{Column, Interner, MISSING, Values};
use crate::{Error, Result};

/// How to read a CSV file into a [`Table`].
///
/// The file has a header line naming the columns, then one row per
/// example, fields separated by commas (or [`CsvOptions::with_delimiter`]);
/// fields may be quoted (`"Paris, France"`, `""` for a quote inside).
/// Lines end with `\n` or `\r\n`; a blank line is skipped; spaces around a
/// field are trimmed; a UTF-8 byte-order mark is ignored.
///
/// **Column types.** A column is numeric when its first non-missing cell
/// reads as a number (`f64`'s syntax: `3`, `-0.5`, `1e-3`); every other
/// cell of it must then be a finite number too, or reading fails with
/// [`Error::CsvCell`] naming the cell, so that a typo is caught rather
/// than turning the column into categories. Otherwise the column is
/// categorical (text). Declare with [`CsvOptions::with_categorical`] a
/// column whose numbers are labels (postcodes, product codes): its cells
/// are then read as text. A column with no value at all is numeric.
///
/// **Missing values** are empty cells and the markers `NA` and `N/A`
/// (change them with [`CsvOptions::with_missing_markers`]).
///
/// **Not a number.** `NaN`, `inf`, `infinity` (any case, any sign), and
/// numbers too large for an `f64` (`1e999`), are an error naming the cell,
/// in any column not declared categorical: they are never read as values,
/// nor silently as missing. Write an empty cell or `NA` for a missing value.
///
/// **Bounded memory.** A record (a row, with its line ending; more than
/// one line when a quoted field holds line breaks) may be at most
/// [`CsvOptions::DEFAULT_MAX_RECORD_BYTES`] (1 MiB) long: a longer one is
/// refused with [`Error::CsvRecordTooLong`] after reading at most that
/// many bytes of it, so a file that is one 100 MB line costs 1 MiB, not
/// 100 MB. A table may hold at most [`CsvOptions::DEFAULT_MAX_CELLS`]
/// cells (rows × columns, about 400 MB of numbers; [`Error::CsvTooLarge`]
/// past it). Within those limits memory grows with the file: 8 bytes per
/// numeric cell, 4 per categorical cell, once per distinct category, and
/// 8 per row for its line number.
///
/// # Examples
/// ```
/// use neuralnet::prep::{Cell, CsvOptions, Table};
/// let csv = "\
/// city,zip,rooms,price
/// Lyon,69001,3,210000
/// Paris,75011,NA,480000
/// ";
/// let table = CsvOptions::new()
///     .with_categorical(&["zip"])
///     .read(csv.as_bytes(), "houses.csv")?;
/// assert_eq!(table.column("rooms").unwrap().cell(1), Some(Cell::Missing));
/// assert_eq!(table.column("zip").unwrap().cell(0), Some(Cell::Text("69001")));
/// assert_eq!(table.line(1), Some(3));
///
/// let err = Table::from_csv_reader("x,y\n1,2\n3\n".as_bytes(), "bad.csv").unwrap_err();
/// assert_eq!(
///     err.to_string(),
///     "bad.csv, line 3: 1 fields, but the header names 2 columns; give every row one field per column (quote fields that contain the delimiter)"
/// );
/// # Ok::<(), neuralnet::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvOptions {
    delimiter: u8,
    max_record_bytes: u64,
    max_cells: u64,
    missing: Vec<String>,
    categorical: Vec<String>,
}

impl Default for CsvOptions {
    fn default() -> Self {
        CsvOptions {
            delimiter: b',',
            max_record_bytes: CsvOptions::DEFAULT_MAX_RECORD_BYTES,
            max_cells: CsvOptions::DEFAULT_MAX_CELLS,
            missing: vec!["NA".into(), "N/A".into()],
            categorical: Vec::new(),
        }
    }
}

/// The csv reader's buffer: how far reading runs ahead of parsing.
const BUFFER_BYTES: usize = 64 << 10;

impl CsvOptions {
    /// The default longest record: 1 MiB.
    pub const DEFAULT_MAX_RECORD_BYTES: u64 = 1 << 20;

    /// The default largest table: 50 million cells (rows × columns).
    pub const DEFAULT_MAX_CELLS: u64 = 50_000_000;

    /// The defaults: commas, missing markers `NA` and `N/A`, records up to
    /// 1 MiB, tables up to 50 million cells, column types from the data.
    pub fn new() -> Self {
        CsvOptions::default()
    }

    /// The field delimiter (`b','` by default; `b';'`, `b'\t'`).
    pub fn with_delimiter(mut self, delimiter: u8) -> Self {
        self.delimiter = delimiter;
        self
    }

    /// The longest record accepted, in bytes, line ending included
    /// (default [`CsvOptions::DEFAULT_MAX_RECORD_BYTES`]).
    pub fn with_max_record_bytes(mut self, bytes: u64) -> Self {
        self.max_record_bytes = bytes;
        self
    }

    /// The most cells (rows × columns) a table may have (default
    /// [`CsvOptions::DEFAULT_MAX_CELLS`]).
    pub fn with_max_cells(mut self, cells: u64) -> Self {
        self.max_cells = cells;
        self
    }

    /// The texts that mark a missing value, besides an empty cell (default
    /// `NA` and `N/A`; compared after trimming, case-sensitively).
    pub fn with_missing_markers(mut self, markers: &[&str]) -> Self {
        self.missing = markers.iter().map(|m| (*m).to_owned()).collect();
        self
    }

    /// Columns to read as categories (text) even if they hold numbers.
    pub fn with_categorical(mut self, columns: &[&str]) -> Self {
        self.categorical = columns.iter().map(|c| (*c).to_owned()).collect();
        self
    }

    /// Reads the CSV file at `path`.
    ///
    /// # Errors
    /// [`Error::File`] if it cannot be opened or read; otherwise as
    /// [`CsvOptions::read`], naming the file.
    pub fn read_path(&self, path: impl AsRef<Path>) -> Result<Table> {
        let path = path.as_ref();
        let file = File::open(path).map_err(|source| Error::File {
            path: path.to_owned(),
            source,
        })?;
        self.read(file, &path.display().to_string())
            .map_err(|e| match e {
                Error::Io(source) => Error::File {
                    path: path.to_owned(),
                    source,
                },
                other => other,
            })
    }

    /// Reads CSV from `reader`, calling it `source_name` in errors.
    ///
    /// Errors name the file, the line (from 1, as a text editor counts
    /// them, where the row starts) and the column.
    ///
    /// # Errors
    /// - [`Error::CsvEmpty`] for no header, or a header and no rows;
    /// - [`Error::CsvRecordTooLong`] for a record longer than the limit;
    /// - [`Error::CsvNotUtf8`] for a field that is not UTF-8;
    /// - [`Error::DuplicateColumn`] for two columns of the same name;
    /// - [`Error::UnknownColumn`] if [`CsvOptions::with_categorical`]
    ///   names a column the header lacks;
    /// - [`Error::CsvRagged`] for a row with more or fewer fields than the
    ///   header;
    /// - [`Error::CsvCell`] for text in a numeric column, or a number that
    ///   is not finite;
    /// - [`Error::CsvTooLarge`] for more cells than the limit;
    /// - [`Error::Io`] if reading fails.
    pub fn read<R: Read>(&self, reader: R, source_name: &str) -> Result<Table> {
        let mut parser = Parser::new(self, reader, source_name);
        let header = match parser.next_record()? {
            Some(header) => header,
            None => return Err(parser.empty("the file is empty")),
        };
        let names = self.names(&header, source_name)?;
        let mut columns: Vec<Builder> = names
            .iter()
            .map(|n| match self.categorical.contains(n) {
                true => Builder::Categorical(Vec::new(), Interner::default()),
                false => Builder::Undecided(0),
            })
            .collect();
        let mut lines = Vec::new();
        let mut cells = 0u64;
        while let Some(record) = parser.next_record()? {
            let line = record.line;
            if record.fields.len() != names.len() {
                return Err(Error::CsvRagged {
                    source_name: source_name.to_owned(),
                    line,
                    expected: names.len(),
                    got: record.fields.len(),
                });
            }
            cells = cells.saturating_add(names.len() as u64);
            // Rows are kept below u32::MAX so that categorical codes fit.
            if cells > self.max_cells || lines.len() >= MISSING as usize - 1 {
                return Err(Error::CsvTooLarge {
                    source_name: source_name.to_owned(),
                    line,
                    limit: self.max_cells,
                });
            }
            for ((builder, field), name) in columns.iter_mut().zip(&record.fields).zip(&names) {
                builder
                    .push(field, &self.missing)
                    .map_err(|reason| Error::CsvCell {
                        source_name: source_name.to_owned(),
                        line,
                        column: name.clone(),
                        value: field.clone(),
                        reason,
                    })?;
            }
            lines.push(line);
        }
        if lines.is_empty() {
            return Err(parser.empty("the header has no rows after it"));
        }
        let rows = lines.len();
        let columns = names
            .into_iter()
            .zip(columns)
            .map(|(name, b)| Column::new(name, b.finish(rows)))
            .collect();
        Ok(Table::from_parts(
            columns,
            rows,
            source_name.to_owned(),
            lines,
        ))
    }

    /// The header's names, checked.
    fn names(&self, header: &Record, source_name: &str) -> Result<Vec<String>> {
        let mut names = header.fields.clone();
        if let Some(first) = names.first_mut()
            && let Some(rest) = first.strip_prefix('\u{feff}')
        {
            *first = rest.to_owned();
        }
        let mut seen = HashMap::new();
        for (i, name) in names.iter().enumerate() {
            if let Some(first) = seen.insert(name.as_str(), i) {
                return Err(Error::DuplicateColumn {
                    source_name: source_name.to_owned(),
                    name: name.clone(),
                    first: first + 1,
                    second: i + 1,
                });
            }
        }
        if let Some(c) = self.categorical.iter().find(|c| !names.contains(c)) {
            return Err(Error::UnknownColumn {
                source_name: source_name.to_owned(),
                name: c.clone(),
                columns: names,
            });
        }
        Ok(names)
    }
}

impl Table {
    /// Reads a table from the CSV file at `path`, with the default
    /// [`CsvOptions`] (see there for the rules: header, column types,
    /// missing values, limits).
    ///
    /// # Examples
    /// ```no_run
    /// use neuralnet::prep::Table;
    /// let (features, target) = Table::from_csv("houses.csv")?.split_target("price")?;
    /// # Ok::<(), neuralnet::Error>(())
    /// ```
    ///
    /// # Errors
    /// As [`CsvOptions::read_path`].
    pub fn from_csv(path: impl AsRef<Path>) -> Result<Table> {
        CsvOptions::new().read_path(path)
    }

    /// Reads a table from CSV text in `reader` with the default
    /// [`CsvOptions`], calling it `source_name` in errors.
    ///
    /// # Errors
    /// As [`CsvOptions::read`].
    pub fn from_csv_reader<R: Read>(reader: R, source_name: &str) -> Result<Table> {
        CsvOptions::new().read(reader, source_name)
    }
}

/// A column being read: its type is decided by its first value.
enum Builder {
    /// Only missing cells so far (this many).
    Undecided(usize),
    Numeric(Vec<f64>),
    Categorical(Vec<u32>, Interner),
}

const NOT_FINITE: &str = "is not a finite number (NaN, infinity, or too large for an f64); leave the cell empty or write NA to mark a missing value";
const NOT_A_NUMBER: &str = "is not a number, but the column's first value is: correct the cell, or read the column as text with CsvOptions::with_categorical";

impl Builder {
    fn push(&mut self, cell: &str, missing: &[String]) -> std::result::Result<(), &'static str> {
        let is_missing = cell.is_empty() || missing.iter().any(|m| m == cell);
        match self {
            Builder::Categorical(codes, interner) => {
                codes.push(if is_missing {
                    MISSING
                } else {
                    interner.code(cell)
                });
            }
            Builder::Numeric(values) => {
                if is_missing {
                    values.push(f64::NAN);
                } else {
                    match cell.parse::<f64>() {
                        Ok(x) if x.is_finite() => values.push(x),
                        Ok(_) => return Err(NOT_FINITE),
                        Err(_) => return Err(NOT_A_NUMBER),
                    }
                }
            }
            Builder::Undecided(n) => {
                if is_missing {
                    *n += 1;
                } else {
                    match cell.parse::<f64>() {
                        Ok(x) if x.is_finite() => {
                            let mut values = vec![f64::NAN; *n];
                            values.push(x);
                            *self = Builder::Numeric(values);
                        }
                        Ok(_) => return Err(NOT_FINITE),
                        Err(_) => {
                            let mut interner = Interner::default();
                            let mut codes = vec![MISSING; *n];
                            codes.push(interner.code(cell));
                            *self = Builder::Categorical(codes, interner);
                        }
                    }
                }
            }
        }
        Ok(())
    }

    fn finish(self, rows: usize) -> Values {
        match self {
            Builder::Undecided(_) => Values::Numeric(vec![f64::NAN; rows]),
            Builder::Numeric(values) => Values::Numeric(values),
            Builder::Categorical(codes, interner) => Values::Categorical {
                codes,
                levels: interner.levels,
            },
        }
    }
}

/// One record: its fields (UTF-8, trimmed) and the line it starts on.
struct Record {
    fields: Vec<String>,
    line: u64,
}

/// The csv crate's reader over a [`Bounded`] reader, giving checked records.
struct Parser<'a, R: Read> {
    csv: csv::Reader<Bounded<R>>,
    raw: csv::ByteRecord,
    limit: u64,
    source_name: &'a str,
}

impl<'a, R: Read> Parser<'a, R> {
    fn new(options: &CsvOptions, reader: R, source_name: &'a str) -> Self {
        let bounded = Bounded {
            inner: reader,
            delivered: 0,
            cap: options.max_record_bytes.saturating_add(1),
            hit: false,
            eof: false,
            last: None,
        };
        let csv = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .delimiter(options.delimiter)
            // Only \n ends a record; a \r before it is trimmed from the
            // last field. Line numbers then follow from the \n count.
            .terminator(csv::Terminator::Any(b'\n'))
            .buffer_capacity(BUFFER_BYTES)
            .from_reader(bounded);
        Parser {
            csv,
            raw: csv::ByteRecord::new(),
            limit: options.max_record_bytes,
            source_name,
        }
    }

    fn empty(&self, what: &'static str) -> Error {
        Error::CsvEmpty {
            source_name: self.source_name.to_owned(),
            what,
        }
    }

    /// The next record that is not a blank line, or `None` at the end.
    fn next_record(&mut self) -> Result<Option<Record>> {
        loop {
            let start = self.csv.position().clone();
            // Let the reader deliver at most limit + 1 bytes past the start
            // of this record: enough to finish a record within the limit,
            // and to see that a longer one is too long. Bytes delivered
            // earlier are below the new cap, which only grows.
            self.csv.get_mut().cap = start.byte().saturating_add(self.limit).saturating_add(1);
            let too_long = || Error::CsvRecordTooLong {
                source_name: self.source_name.to_owned(),
                line: start.line(),
                limit: self.limit,
            };
            match self.csv.read_byte_record(&mut self.raw) {
                Ok(false) => return Ok(None),
                Ok(true) => {}
                Err(_) if self.csv.get_ref().hit => return Err(too_long()),
                Err(e) => return Err(csv_error(e)),
            }
            let end = self.csv.position();
            if end.byte() - start.byte() > self.limit {
                return Err(too_long());
            }
            // The line the record starts on: the line after it, less its
            // terminating \n (absent only at the very end of the input),
            // less the line breaks inside its quoted fields.
            let inside = self
                .raw
                .iter()
                .map(|f| f.iter().filter(|&&b| b == b'\n').count() as u64)
                .sum::<u64>();
            let bounded = self.csv.get_ref();
            let unterminated =
                bounded.eof && end.byte() == bounded.delivered && bounded.last != Some(b'\n');
            let line = end.line() - inside - u64::from(!unterminated);
            let mut fields = Vec::with_capacity(self.raw.len());
            for (i, raw) in self.raw.iter().enumerate() {
                let text = std::str::from_utf8(raw).map_err(|_| Error::CsvNotUtf8 {
                    source_name: self.source_name.to_owned(),
                    line,
                    field: i + 1,
                })?;
                fields.push(text.trim().to_owned());
            }
            // A blank line (perhaps "\r" or spaces): no record.
            if fields.len() == 1 && fields[0].is_empty() {
                continue;
            }
            return Ok(Some(Record { fields, line }));
        }
    }
}

fn csv_error(e: csv::Error) -> Error {
    match e.into_kind() {
        csv::ErrorKind::Io(e) => Error::Io(e),
        // With byte records, flexible lengths and no serde, the csv crate
        // reports nothing but I/O errors; keep any other as one.
        other => Error::Io(io::Error::other(format!("{other:?}"))),
    }
}

/// A reader that delivers no byte past `cap` (an offset from the start),
/// and remembers whether it refused to, so that a record longer than the
/// limit is never read into memory whole.
struct Bounded<R> {
    inner: R,
    /// Bytes delivered so far.
    delivered: u64,
    /// Offset past which nothing is delivered.
    cap: u64,
    /// Whether a read was refused at the cap.
    hit: bool,
    /// Whether the inner reader has ended.
    eof: bool,
    /// The last byte delivered.
    last: Option<u8>,
}

impl<R: Read> Read for Bounded<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        let room = self.cap.saturating_sub(self.delivered);
        if room == 0 {
            self.hit = true;
            return Err(io::Error::other("CSV record longer than the limit"));
        }
        let len = buf.len().min(usize::try_from(room).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..len])?;
        if n == 0 {
            self.eof = true;
        } else {
            self.delivered += n as u64;
            self.last = Some(buf[n - 1]);
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Result<Table> {
        Table::from_csv_reader(text.as_bytes(), "t.csv")
    }

    #[test]
    fn lines_are_counted_as_an_editor_counts_them() {
        for text in [
            "a,b\nq,2\n\nr,4\n\"x\ny\",5\n6,7",
            "a,b\r\nq,2\r\n\r\nr,4\r\n\"x\r\ny\",5\r\n6,7\r\n",
        ] {
            let t = CsvOptions::new().read(text.as_bytes(), "t.csv").unwrap();
            let lines: Vec<_> = (0..t.n_rows()).map(|r| t.line(r).unwrap()).collect();
            assert_eq!(lines, [2, 4, 5, 7], "{text:?}");
            let a = t.column("a").unwrap().categories().unwrap();
            assert!(a[2].starts_with('x') && a[2].ends_with("\ny"), "{a:?}");
        }
    }

    #[test]
    fn a_bom_and_spaces_are_ignored() {
        let t = read("\u{feff} a , b\r\n 1 , x \r\n").unwrap();
        assert_eq!(t.names(), ["a", "b"]);
        assert_eq!(t.column("a").unwrap().numbers(), Some(&[1.0][..]));
        assert_eq!(t.column("b").unwrap().categories().unwrap(), ["x"]);
    }

    #[test]
    fn a_column_of_missing_values_then_numbers_is_numeric() {
        let t = read("a,b\n,x\nNA,\n2.5,y\n").unwrap();
        let a = t.column("a").unwrap().numbers().unwrap();
        assert!(a[0].is_nan() && a[1].is_nan() && a[2] == 2.5);
        assert_eq!(t.column("b").unwrap().missing(), 1);
    }

    #[test]
    fn the_first_value_decides_the_type() {
        let err = read("a\n1\nabc\n").unwrap_err();
        assert!(
            matches!(&err, Error::CsvCell { line: 3, column, value, .. } if column == "a" && value == "abc"),
            "{err}"
        );
        let t = read("a\nabc\n1\n").unwrap();
        assert_eq!(t.column("a").unwrap().categories().unwrap(), ["abc", "1"]);
    }
}
