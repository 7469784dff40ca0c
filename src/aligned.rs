//! Buffers that start on a cache-line boundary.
//!
//! A 512-bit load that straddles two cache lines costs two loads, and the
//! allocator hands out vectors of floats aligned to 16 bytes only. The
//! kernels' operands (the weights, the gathered mini-batch, the
//! activations) live in [`Aligned`] buffers, whose first element sits on a
//! 64-byte boundary; with 784 pixels (3136 bytes, 49 lines) every column
//! then starts on one too. Aligning the weights made an SGD epoch of the
//! lecture's networks 8% (784-30-10) to 15% (784-100-10) faster.

use std::fmt;
use std::ops::{Deref, DerefMut};

use crate::{Error, Result};

/// `len` default values in a `Vec`, or [`Error::Allocation`] naming `what`
/// if the memory cannot be had.
pub(crate) fn try_vec<T: Copy + Default>(len: usize, what: &'static str) -> Result<Vec<T>> {
    let mut v = Vec::new();
    v.try_reserve_exact(len).map_err(|_| Error::Allocation {
        what,
        bytes: (len as u128).saturating_mul(std::mem::size_of::<T>() as u128),
    })?;
    v.resize(len, T::default());
    Ok(v)
}

/// Bytes of the boundary: one cache line, one AVX-512 vector.
const ALIGN: usize = 64;

/// A fixed-length slice of `T` whose first element is 64-byte aligned
/// (when `T`'s size divides 64), backed by a slightly longer `Vec`.
/// Cloning re-aligns the copy; nothing here needs `unsafe`.
pub(crate) struct Aligned<T> {
    buf: Vec<T>,
    start: usize,
    len: usize,
}

impl<T: Copy + Default> Aligned<T> {
    /// `len` default values (zeros for floats).
    pub(crate) fn zeroed(len: usize) -> Self {
        Self::try_zeroed(len, "a buffer").unwrap_or_else(|e| panic!("{e}"))
    }

    /// `len` default values, or [`Error::Allocation`] naming `what` if the
    /// memory cannot be had (instead of aborting the process).
    pub(crate) fn try_zeroed(len: usize, what: &'static str) -> Result<Self> {
        let size = std::mem::size_of::<T>().max(1);
        let slack = if ALIGN.is_multiple_of(size) {
            ALIGN / size
        } else {
            0
        };
        let buf = try_vec(len.saturating_add(slack), what)?;
        // Only the address is read, to find the first aligned element.
        let misalign = buf.as_ptr() as usize % ALIGN;
        let start = if slack == 0 || !misalign.is_multiple_of(size) {
            0
        } else {
            (ALIGN - misalign) % ALIGN / size
        };
        Ok(Aligned { buf, start, len })
    }

    /// A copy of `values`.
    pub(crate) fn from_slice(values: &[T]) -> Self {
        let mut out = Self::zeroed(values.len());
        out.copy_from_slice(values);
        out
    }
}

impl<T> Deref for Aligned<T> {
    type Target = [T];

    fn deref(&self) -> &[T] {
        &self.buf[self.start..self.start + self.len]
    }
}

impl<T> DerefMut for Aligned<T> {
    fn deref_mut(&mut self) -> &mut [T] {
        &mut self.buf[self.start..self.start + self.len]
    }
}

impl<T: Copy + Default> Clone for Aligned<T> {
    fn clone(&self) -> Self {
        Self::from_slice(self)
    }

    /// Copies into the existing buffer when the lengths agree (no
    /// allocation: the SGD loop keeps its last good network this way).
    fn clone_from(&mut self, source: &Self) {
        if self.len == source.len {
            self.copy_from_slice(source);
        } else {
            *self = source.clone();
        }
    }
}

/// Empty, without allocating (the training loop lends its buffers out with
/// `std::mem::take`).
impl<T> Default for Aligned<T> {
    fn default() -> Self {
        Aligned {
            buf: Vec::new(),
            start: 0,
            len: 0,
        }
    }
}

impl<T: PartialEq> PartialEq for Aligned<T> {
    fn eq(&self, other: &Self) -> bool {
        **self == **other
    }
}

impl<T: fmt::Debug> fmt::Debug for Aligned<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn starts_on_a_cache_line_and_clones_realign() {
        for len in [0, 1, 15, 784, 10_000] {
            let mut a = Aligned::<f32>::zeroed(len);
            assert_eq!(a.len(), len);
            assert!(a.iter().all(|&v| v == 0.0));
            if len > 0 {
                assert_eq!(a.as_ptr() as usize % ALIGN, 0, "f32 × {len}");
                a[len - 1] = 2.5;
            }
            let b = a.clone();
            assert_eq!(a, b);
            if len > 0 {
                assert_eq!(b.as_ptr() as usize % ALIGN, 0);
            }
            let c = Aligned::<f64>::from_slice(&vec![1.5; len]);
            assert!(
                len == 0 || (c.as_ptr() as usize).is_multiple_of(ALIGN),
                "f64 × {len}"
            );
            assert!(c.iter().all(|&v| v == 1.5));
        }
    }

    #[test]
    fn clone_from_reuses_the_buffer_when_it_can() {
        let source = Aligned::from_slice(&[1.0f32, 2.0, 3.0]);
        let mut target = Aligned::<f32>::zeroed(3);
        let before = target.as_ptr();
        target.clone_from(&source);
        assert_eq!(target.as_ptr(), before);
        assert_eq!(&*target, &[1.0, 2.0, 3.0]);
        let mut shorter = Aligned::<f32>::zeroed(1);
        shorter.clone_from(&source);
        assert_eq!(shorter, source);
    }
}
