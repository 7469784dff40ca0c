//! [`Table`]: named columns of numbers or categories, one row per example.

use std::collections::HashMap;
use std::fmt;

use nalgebra::DMatrix;

use super::Target;
use crate::{Error, Result};

/// What a column holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum ColumnKind {
    /// Numbers (`f64`), some perhaps missing.
    Numeric,
    /// Categories written as text (`"red"`, `"Paris"`), some perhaps missing.
    Categorical,
}

impl fmt::Display for ColumnKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ColumnKind::Numeric => "numeric",
            ColumnKind::Categorical => "categorical",
        })
    }
}

/// One cell of a [`Table`], as [`Column::cell`] gives it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Cell<'a> {
    /// A number of a numeric column (always finite).
    Number(f64),
    /// A category of a categorical column.
    Text(&'a str),
    /// A missing value (an empty cell, `NA`; NaN in Rust data).
    Missing,
}

/// Code of a missing category.
pub(crate) const MISSING: u32 = u32::MAX;

/// The values of a column.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Values {
    /// Numbers; NaN marks a missing value (never a value: inputs with a
    /// literal NaN are refused).
    Numeric(Vec<f64>),
    /// Categories: each row's index into `levels`, or [`MISSING`].
    Categorical {
        /// One code per row.
        codes: Vec<u32>,
        /// The distinct categories, in order of first appearance.
        levels: Vec<String>,
    },
}

/// One named column of a [`Table`].
///
/// Numeric columns hold `f64` values with NaN marking a missing value
/// (never a value of its own: literal NaN and ±∞ are refused when a table
/// is built); categorical columns hold text.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    name: String,
    values: Values,
}

impl Column {
    pub(crate) fn new(name: String, values: Values) -> Self {
        Column { name, values }
    }

    /// The column's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Whether the column holds numbers or categories.
    pub fn kind(&self) -> ColumnKind {
        match self.values {
            Values::Numeric(_) => ColumnKind::Numeric,
            Values::Categorical { .. } => ColumnKind::Categorical,
        }
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        match &self.values {
            Values::Numeric(v) => v.len(),
            Values::Categorical { codes, .. } => codes.len(),
        }
    }

    /// Whether the column has no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The cell in row `row` (from 0), or `None` past the last row.
    pub fn cell(&self, row: usize) -> Option<Cell<'_>> {
        Some(match &self.values {
            Values::Numeric(v) => match *v.get(row)? {
                x if x.is_nan() => Cell::Missing,
                x => Cell::Number(x),
            },
            Values::Categorical { codes, levels } => match *codes.get(row)? {
                MISSING => Cell::Missing,
                c => Cell::Text(&levels[c as usize]),
            },
        })
    }

    /// The numbers of a numeric column, NaN where a value is missing;
    /// `None` for a categorical column.
    pub fn numbers(&self) -> Option<&[f64]> {
        match &self.values {
            Values::Numeric(v) => Some(v),
            Values::Categorical { .. } => None,
        }
    }

    /// The distinct categories of a categorical column in order of first
    /// appearance; `None` for a numeric column.
    pub fn categories(&self) -> Option<&[String]> {
        match &self.values {
            Values::Numeric(_) => None,
            Values::Categorical { levels, .. } => Some(levels),
        }
    }

    /// Number of missing cells.
    pub fn missing(&self) -> usize {
        match &self.values {
            Values::Numeric(v) => v.iter().filter(|x| x.is_nan()).count(),
            Values::Categorical { codes, .. } => codes.iter().filter(|&&c| c == MISSING).count(),
        }
    }

    pub(crate) fn values(&self) -> &Values {
        &self.values
    }

    fn select(&self, rows: &[usize]) -> Column {
        let values = match &self.values {
            Values::Numeric(v) => Values::Numeric(rows.iter().map(|&r| v[r]).collect()),
            Values::Categorical { codes, levels } => Values::Categorical {
                codes: rows.iter().map(|&r| codes[r]).collect(),
                levels: levels.clone(),
            },
        };
        Column::new(self.name.clone(), values)
    }
}

/// A table of examples: named columns, each numeric (`f64`) or categorical
/// (text), one row per example; cells may be missing.
///
/// Build one from a CSV file ([`Table::from_csv`], with the `csv`
/// feature), from Rust rows ([`Table::from_rows`]), from a matrix in either
/// orientation ([`Table::from_matrix_rows`], [`Table::from_matrix_columns`]),
/// or column by column ([`Table::with_numeric`],
/// [`Table::with_categorical`]). Then split off the column to predict with
/// [`Table::split_target`], and turn the rest into a network's input matrix
/// with a fitted [`Preprocessor`](super::Preprocessor).
///
/// Rows are numbered from 0 in the API and in error messages; a table read
/// from a CSV file also remembers each row's line in the file, and errors
/// about a row name that line too.
///
/// # Examples
/// ```
/// use neuralnet::prep::{Cell, ColumnKind, Table};
/// let table = Table::from_rows(&["area", "rooms", "price"], &[
///     vec![70.0, 3.0, 210.0],
///     vec![55.0, f64::NAN, 160.0], // NaN: a missing value
/// ])?
/// .with_categorical("city", &[Some("Lyon"), None])?;
/// assert_eq!((table.n_rows(), table.n_columns()), (2, 4));
/// assert_eq!(table.column("rooms").unwrap().cell(1), Some(Cell::Missing));
/// assert_eq!(table.column("city").unwrap().kind(), ColumnKind::Categorical);
///
/// let (features, target) = table.split_target("price")?;
/// assert_eq!(features.names(), ["area", "rooms", "city"]);
/// assert_eq!(target.numbers(), Some(&[210.0, 160.0][..]));
/// # Ok::<(), neuralnet::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Table {
    columns: Vec<Column>,
    rows: usize,
    /// The file the table was read from, for error messages.
    source_name: Option<String>,
    /// Each row's line in that file (from 1).
    lines: Option<Vec<u64>>,
}

/// What error messages call a table built in Rust.
const FROM_RUST: &str = "the table";

impl Table {
    /// An empty table (no columns, no rows), to add columns to with
    /// [`Table::with_numeric`] and [`Table::with_categorical`].
    pub fn new() -> Self {
        Table::default()
    }

    /// A table of numeric columns from rows of numbers, one row per example,
    /// with a name for each column. NaN marks a missing value.
    ///
    /// `rows` may be `&[Vec<f64>]`, `&[[f64; N]]` or `&[&[f64]]`.
    ///
    /// # Examples
    /// ```
    /// use neuralnet::prep::Table;
    /// let table = Table::from_rows(&["x", "y"], &[[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])?;
    /// assert_eq!(table.n_rows(), 3);
    /// assert_eq!(table.column("y").unwrap().numbers(), Some(&[2.0, 4.0, 6.0][..]));
    /// # Ok::<(), neuralnet::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::RowLength`] if a row does not have one value per name;
    /// [`Error::DuplicateColumn`] if two names are the same;
    /// [`Error::NonFiniteCell`] for an infinite value.
    pub fn from_rows<S: AsRef<str>, R: AsRef<[f64]>>(names: &[S], rows: &[R]) -> Result<Table> {
        let n = names.len();
        if let Some((row, r)) = rows.iter().enumerate().find(|(_, r)| r.as_ref().len() != n) {
            return Err(Error::RowLength {
                row,
                expected: n,
                got: r.as_ref().len(),
            });
        }
        let columns = (0..n)
            .map(|j| rows.iter().map(|r| r.as_ref()[j]).collect())
            .collect();
        Table::from_numeric_columns(names, columns)
    }

    /// A table of numeric columns from a matrix with one example per
    /// **row** (n × n_columns, as data usually comes), with a name for each
    /// matrix column. NaN marks a missing value.
    ///
    /// # Examples
    /// ```
    /// use neuralnet::nalgebra::DMatrix;
    /// use neuralnet::prep::Table;
    /// // Three examples of two features, one example per row.
    /// let m = DMatrix::from_row_slice(3, 2, &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
    /// let table = Table::from_matrix_rows(&m, &["x", "y"])?;
    /// assert_eq!(table.column("x").unwrap().numbers(), Some(&[1.0, 3.0, 5.0][..]));
    /// # Ok::<(), neuralnet::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::ColumnCount`] if there is not one name per matrix column;
    /// [`Error::DuplicateColumn`] if two names are the same;
    /// [`Error::NonFiniteCell`] for an infinite value.
    pub fn from_matrix_rows<S: AsRef<str>>(matrix: &DMatrix<f64>, names: &[S]) -> Result<Table> {
        if names.len() != matrix.ncols() {
            return Err(Error::ColumnCount {
                expected: matrix.ncols(),
                got: names.len(),
            });
        }
        let columns = matrix.column_iter().map(|c| c.iter().copied().collect());
        Table::from_numeric_columns(names, columns.collect())
    }

    /// A table of numeric columns from a matrix with one example per
    /// **column** (n_columns × n, this crate's layout for a network's
    /// inputs), with a name for each matrix row. NaN marks a missing value.
    ///
    /// # Examples
    /// ```
    /// use neuralnet::nalgebra::DMatrix;
    /// use neuralnet::prep::Table;
    /// // Three examples of two features, one example per column.
    /// let m = DMatrix::from_column_slice(2, 3, &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
    /// let table = Table::from_matrix_columns(&m, &["x", "y"])?;
    /// assert_eq!(table.n_rows(), 3);
    /// assert_eq!(table.column("x").unwrap().numbers(), Some(&[1.0, 3.0, 5.0][..]));
    /// # Ok::<(), neuralnet::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::ColumnCount`] if there is not one name per matrix row;
    /// [`Error::DuplicateColumn`] if two names are the same;
    /// [`Error::NonFiniteCell`] for an infinite value.
    pub fn from_matrix_columns<S: AsRef<str>>(matrix: &DMatrix<f64>, names: &[S]) -> Result<Table> {
        if names.len() != matrix.nrows() {
            return Err(Error::ColumnCount {
                expected: matrix.nrows(),
                got: names.len(),
            });
        }
        let columns = matrix.row_iter().map(|r| r.iter().copied().collect());
        Table::from_numeric_columns(names, columns.collect())
    }

    fn from_numeric_columns<S: AsRef<str>>(names: &[S], columns: Vec<Vec<f64>>) -> Result<Table> {
        let mut table = Table::new();
        for (name, values) in names.iter().zip(columns) {
            table = table.with_numeric(name.as_ref(), values)?;
        }
        if names.is_empty() {
            // No columns, so no rows either.
            table.rows = 0;
        }
        Ok(table)
    }

    /// The table with a numeric column added at the end. NaN marks a
    /// missing value.
    ///
    /// # Errors
    /// [`Error::RowLength`] if the table already has columns of another
    /// length (`row` is then the first row that one of them lacks);
    /// [`Error::DuplicateColumn`] if a column has this name;
    /// [`Error::NonFiniteCell`] for an infinite value.
    pub fn with_numeric(self, name: &str, values: Vec<f64>) -> Result<Table> {
        if let Some(row) = values.iter().position(|x| x.is_infinite()) {
            return Err(Error::NonFiniteCell {
                column: name.to_owned(),
                row,
                value: values[row],
            });
        }
        self.push(Column::new(name.to_owned(), Values::Numeric(values)))
    }

    /// The table with a categorical column added at the end; `None` marks
    /// a missing value.
    ///
    /// # Examples
    /// ```
    /// use neuralnet::prep::{Cell, Table};
    /// let table = Table::new()
    ///     .with_numeric("size", vec![1.0, 2.0, 3.0])?
    ///     .with_categorical("colour", &[Some("red"), None, Some("blue")])?;
    /// let colour = table.column("colour").unwrap();
    /// assert_eq!(colour.cell(2), Some(Cell::Text("blue")));
    /// assert_eq!(colour.categories(), Some(&["red".to_string(), "blue".to_string()][..]));
    /// # Ok::<(), neuralnet::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::RowLength`] if the table already has columns of another
    /// length; [`Error::DuplicateColumn`] if a column has this name;
    /// [`Error::InvalidConfig`] for 2³² − 1 values or more.
    pub fn with_categorical<S: AsRef<str>>(
        self,
        name: &str,
        values: &[Option<S>],
    ) -> Result<Table> {
        check_category_rows(values.len())?;
        let mut interner = Interner::default();
        let codes = values
            .iter()
            .map(|v| v.as_ref().map_or(MISSING, |s| interner.code(s.as_ref())))
            .collect();
        let values = Values::Categorical {
            codes,
            levels: interner.levels,
        };
        self.push(Column::new(name.to_owned(), values))
    }

    fn push(mut self, column: Column) -> Result<Table> {
        if let Some(first) = self.columns.iter().position(|c| c.name == column.name) {
            return Err(Error::DuplicateColumn {
                source_name: self.source().to_owned(),
                name: column.name,
                first: first + 1,
                second: self.columns.len() + 1,
            });
        }
        if self.columns.is_empty() {
            self.rows = column.len();
        } else if column.len() != self.rows {
            return Err(Error::RowLength {
                row: self.rows.min(column.len()),
                expected: self.rows,
                got: column.len(),
            });
        }
        self.columns.push(column);
        Ok(self)
    }

    /// A table read from a file, with each row's line (`lines` has one
    /// entry per row).
    #[cfg(feature = "csv")]
    pub(crate) fn from_parts(
        columns: Vec<Column>,
        rows: usize,
        source_name: String,
        lines: Vec<u64>,
    ) -> Table {
        debug_assert!(columns.iter().all(|c| c.len() == rows) && lines.len() == rows);
        Table {
            columns,
            rows,
            source_name: Some(source_name),
            lines: Some(lines),
        }
    }

    /// Number of rows (examples).
    pub fn n_rows(&self) -> usize {
        self.rows
    }

    /// Number of columns.
    pub fn n_columns(&self) -> usize {
        self.columns.len()
    }

    /// Whether the table has no rows.
    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }

    /// The columns' names, in order.
    pub fn names(&self) -> Vec<&str> {
        self.columns.iter().map(|c| c.name.as_str()).collect()
    }

    /// The columns, in order.
    pub fn columns(&self) -> &[Column] {
        &self.columns
    }

    /// The column of this name, if there is one.
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }

    /// The column of this name.
    ///
    /// # Errors
    /// [`Error::UnknownColumn`] if there is none.
    pub(crate) fn require(&self, name: &str) -> Result<&Column> {
        self.column(name).ok_or_else(|| self.unknown_column(name))
    }

    fn unknown_column(&self, name: &str) -> Error {
        Error::UnknownColumn {
            source_name: self.source().to_owned(),
            name: name.to_owned(),
            columns: self.columns.iter().map(|c| c.name.clone()).collect(),
        }
    }

    /// The file the table was read from, if it was.
    pub fn source_name(&self) -> Option<&str> {
        self.source_name.as_deref()
    }

    /// The line (from 1) of the CSV file on which row `row` starts, for a
    /// table read from a file.
    pub fn line(&self, row: usize) -> Option<u64> {
        self.lines.as_ref()?.get(row).copied()
    }

    fn source(&self) -> &str {
        self.source_name.as_deref().unwrap_or(FROM_RUST)
    }

    /// Splits off the column to predict: the table without it (the
    /// features) and the column as a [`Target`]: numbers for a numeric
    /// column, labels for a categorical one.
    ///
    /// # Examples
    /// ```
    /// use neuralnet::prep::{Table, Target};
    /// let table = Table::from_rows(&["x", "y"], &[[1.0, 0.0], [2.0, 1.0]])?;
    /// let (features, target) = table.split_target("y")?;
    /// assert_eq!(features.names(), ["x"]);
    /// assert_eq!(target, Target::Numeric(vec![0.0, 1.0]));
    /// # Ok::<(), neuralnet::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::UnknownColumn`] if no column has this name (naming the
    /// file a table was read from); [`Error::MissingValue`] naming the
    /// first row whose target is missing (a target cannot be imputed).
    pub fn split_target(mut self, name: &str) -> Result<(Table, Target)> {
        let index = self
            .columns
            .iter()
            .position(|c| c.name == name)
            .ok_or_else(|| self.unknown_column(name))?;
        let missing = |row: usize| Error::MissingValue {
            column: name.to_owned(),
            row,
            source_name: self.source_name.clone(),
            line: self.line(row),
        };
        let target = match &self.columns[index].values {
            Values::Numeric(v) => match v.iter().position(|x| x.is_nan()) {
                Some(row) => return Err(missing(row)),
                None => Target::Numeric(v.clone()),
            },
            Values::Categorical { codes, levels } => {
                match codes.iter().position(|&c| c == MISSING) {
                    Some(row) => return Err(missing(row)),
                    None => {
                        Target::Labels(codes.iter().map(|&c| levels[c as usize].clone()).collect())
                    }
                }
            }
        };
        self.columns.remove(index);
        Ok((self, target))
    }

    /// The rows `rows` (from 0, in that order; repeats allowed) as a new
    /// table, as a train/test split or a fold picks them.
    ///
    /// # Examples
    /// ```
    /// use neuralnet::prep::Table;
    /// let table = Table::from_rows(&["x"], &[[10.0], [20.0], [30.0]])?;
    /// let picked = table.select_rows(&[2, 0])?;
    /// assert_eq!(picked.column("x").unwrap().numbers(), Some(&[30.0, 10.0][..]));
    /// # Ok::<(), neuralnet::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] if a row is past the end.
    pub fn select_rows(&self, rows: &[usize]) -> Result<Table> {
        check_rows(rows, self.rows)?;
        Ok(Table {
            columns: self.columns.iter().map(|c| c.select(rows)).collect(),
            rows: rows.len(),
            source_name: self.source_name.clone(),
            lines: self
                .lines
                .as_ref()
                .map(|l| rows.iter().map(|&r| l[r]).collect()),
        })
    }
}

/// [`Error::InvalidConfig`] if a row index is `len` or more.
pub(crate) fn check_rows(rows: &[usize], len: usize) -> Result<()> {
    match rows.iter().find(|&&r| r >= len) {
        None => Ok(()),
        Some(r) => Err(Error::InvalidConfig {
            name: "rows",
            reason: format!("row {r} asked of {len} rows"),
        }),
    }
}

/// Distinct strings numbered in order of first appearance.
#[derive(Debug, Default)]
pub(crate) struct Interner {
    index: HashMap<String, u32>,
    pub(crate) levels: Vec<String>,
}

impl Interner {
    /// The code of `s`, numbering it if it is new.
    pub(crate) fn code(&mut self, s: &str) -> u32 {
        if let Some(&c) = self.index.get(s) {
            return c;
        }
        // Fewer than MISSING distinct values: every caller checks first that
        // it has fewer rows than that (check_category_rows).
        let c = u32::try_from(self.levels.len()).expect("fewer rows than u32::MAX");
        self.index.insert(s.to_owned(), c);
        self.levels.push(s.to_owned());
        c
    }
}

/// [`Error::InvalidConfig`] if a categorical column of `rows` rows could
/// have more distinct values than its codes can number.
pub(crate) fn check_category_rows(rows: usize) -> Result<()> {
    if rows >= MISSING as usize {
        return Err(Error::InvalidConfig {
            name: "rows",
            reason: format!(
                "{rows} rows in a categorical column; at most {} fit",
                MISSING - 1
            ),
        });
    }
    Ok(())
}
