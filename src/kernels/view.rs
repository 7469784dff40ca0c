//! Matrix views: the shapes of the kernels' operands, checked once.
//!
//! Every operand of a kernel is a contiguous column-major matrix, as
//! nalgebra stores them: column `j` of a `rows × cols` view is
//! `data[j·rows..(j + 1)·rows]`. There is one layout only, so the views do
//! not carry a layout field; what a column *means* is the kernel's
//! contract, written in each entry point's `# Shapes`:
//! - weights are *neuron-major*, `n_in × n_out`, column `i` = neuron `i`'s
//!   weight vector wᵢ (that is, Wᵀ in the lecture's orientation);
//! - activations, weighted inputs and errors are `n × m`, column `j` =
//!   example `j`;
//! - the update's coefficients are `m × n_out`, column `i` = neuron `i`'s
//!   scaled errors over the batch.

use std::ops::Range;

/// Panics, naming the shape, unless `len = rows·cols`.
#[track_caller]
fn check_len(len: usize, rows: usize, cols: usize) {
    assert!(
        rows.checked_mul(cols) == Some(len),
        "a {rows} × {cols} matrix view over {len} values"
    );
}

/// A read-only `rows × cols` column-major matrix over exactly
/// `rows·cols` values.
#[derive(Clone, Copy, Debug)]
pub(crate) struct MatRef<'a, T> {
    data: &'a [T],
    rows: usize,
    cols: usize,
}

impl<'a, T> MatRef<'a, T> {
    /// The `rows × cols` matrix stored column by column in `data`.
    ///
    /// # Panics
    /// If `data.len() != rows·cols` (a bug in the caller, not bad input).
    #[track_caller]
    pub(crate) fn new(data: &'a [T], rows: usize, cols: usize) -> Self {
        check_len(data.len(), rows, cols);
        MatRef { data, rows, cols }
    }

    /// The number of rows (the length of a column).
    pub(crate) fn rows(&self) -> usize {
        self.rows
    }

    /// The number of columns.
    pub(crate) fn cols(&self) -> usize {
        self.cols
    }

    /// All values, column after column.
    pub(crate) fn as_slice(&self) -> &'a [T] {
        self.data
    }

    /// The columns `range`, as a narrower view.
    pub(crate) fn columns(&self, range: Range<usize>) -> MatRef<'a, T> {
        MatRef {
            data: &self.data[range.start * self.rows..range.end * self.rows],
            rows: self.rows,
            cols: range.len(),
        }
    }
}

/// A writable `rows × cols` column-major matrix over exactly `rows·cols`
/// values.
#[derive(Debug)]
pub(crate) struct MatMut<'a, T> {
    data: &'a mut [T],
    rows: usize,
    cols: usize,
}

impl<'a, T> MatMut<'a, T> {
    /// The `rows × cols` matrix stored column by column in `data`.
    ///
    /// # Panics
    /// If `data.len() != rows·cols` (a bug in the caller, not bad input).
    #[track_caller]
    pub(crate) fn new(data: &'a mut [T], rows: usize, cols: usize) -> Self {
        check_len(data.len(), rows, cols);
        MatMut { data, rows, cols }
    }

    /// The number of rows (the length of a column).
    pub(crate) fn rows(&self) -> usize {
        self.rows
    }

    /// The number of columns.
    pub(crate) fn cols(&self) -> usize {
        self.cols
    }

    /// All values, column after column, for the rest of the view's life.
    pub(crate) fn into_slice(self) -> &'a mut [T] {
        self.data
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_are_contiguous_runs_of_rows_values() {
        let data: Vec<u32> = (0..12).collect();
        let m = MatRef::new(&data, 3, 4);
        assert_eq!((m.rows(), m.cols()), (3, 4));
        let mid = m.columns(1..3);
        assert_eq!((mid.rows(), mid.cols()), (3, 2));
        assert_eq!(mid.as_slice(), &[3, 4, 5, 6, 7, 8]);
        assert_eq!(m.columns(4..4).as_slice(), &[] as &[u32]);
    }

    #[test]
    #[should_panic(expected = "a 3 × 5 matrix view over 12 values")]
    fn a_view_whose_shape_disagrees_with_its_data_is_refused() {
        let data = [0.0f32; 12];
        let _ = MatRef::new(&data, 3, 5);
    }

    #[test]
    #[should_panic(expected = "matrix view over 4 values")]
    fn a_writable_view_checks_its_shape_too() {
        let mut data = [0.0f64; 4];
        let _ = MatMut::new(&mut data, 2, 3);
    }

    #[test]
    fn an_overflowing_shape_is_refused_not_wrapped() {
        let data = [0u8; 0];
        let r = std::panic::catch_unwind(|| MatRef::new(&data, usize::MAX, 2));
        assert!(r.is_err());
    }
}
