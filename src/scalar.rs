//! The scalar types of the crate: [`Real`], `f32` or `f64`, and what the
//! crate needs of them besides arithmetic (the SIMD vectors of the kernels,
//! the kernels themselves compiled for each type, the model files' byte
//! codec, exact conversion to `f64`).
//!
//! `Real` is sealed: its supertrait [`sealed::Sealed`] lives in a module
//! nobody outside the crate can name, so no other type can implement it,
//! and the crate can add to it without a breaking change.

use crate::kernels::Elem;

/// Floating-point type usable by this crate: `f32` or `f64`.
///
/// nalgebra's `RealField + Copy`, sealed to the two types for which the
/// crate has SIMD kernels and a file format. Implemented for `f32` and
/// `f64` only.
pub trait Real: nalgebra::RealField + Copy + sealed::Sealed {}
impl Real for f32 {}
impl Real for f64 {}

pub(crate) mod sealed {
    use super::Elem;
    use crate::kernels::Kernels;

    /// What the crate needs of a [`super::Real`] besides arithmetic: the
    /// kernels' SIMD vectors ([`Elem`]), the kernels themselves compiled
    /// for the type ([`Kernels`]), the binary model format's byte
    /// codec and exact conversion to `f64`. Public in a private module, so
    /// that it seals `Real`.
    pub trait Sealed: Elem + Kernels {
        /// The type's name, `"f32"` or `"f64"` (as the model files record it).
        const NAME: &'static str;
        /// Bytes per value.
        const BYTES: usize;
        /// Appends the little-endian bytes of `self`.
        fn put_le(self, out: &mut Vec<u8>);
        /// The value from the first `Self::BYTES` little-endian bytes.
        fn get_le(bytes: &[u8]) -> Self;
        /// `self` as an `f64` (exact).
        fn to_f64(self) -> f64;
        /// The nearest `Self` to `x` (exact for `f64`).
        fn from_f64(x: f64) -> Self;
    }
}

macro_rules! impl_sealed {
    ($t:ty) => {
        impl sealed::Sealed for $t {
            const NAME: &'static str = stringify!($t);
            const BYTES: usize = std::mem::size_of::<$t>();
            fn put_le(self, out: &mut Vec<u8>) {
                out.extend_from_slice(&self.to_le_bytes());
            }
            fn get_le(bytes: &[u8]) -> Self {
                let mut b = [0u8; std::mem::size_of::<$t>()];
                b.copy_from_slice(&bytes[..std::mem::size_of::<$t>()]);
                <$t>::from_le_bytes(b)
            }
            fn to_f64(self) -> f64 {
                f64::from(self)
            }
            #[allow(clippy::cast_possible_truncation)]
            fn from_f64(x: f64) -> Self {
                x as $t
            }
        }
    };
}

impl_sealed!(f32);
impl_sealed!(f64);

/// `x` as an `f64` (exact for `f32` and `f64`).
pub(crate) fn to_f64<T: Real>(x: T) -> f64 {
    sealed::Sealed::to_f64(x)
}

/// The nearest `T` to `x` (exact when `T` is `f64`).
pub(crate) fn from_f64<T: Real>(x: f64) -> T {
    <T as sealed::Sealed>::from_f64(x)
}

#[cfg(test)]
mod tests {
    use super::sealed::Sealed;
    use super::*;

    #[test]
    fn the_byte_codec_round_trips_and_is_little_endian() {
        let mut out = Vec::new();
        1.5f32.put_le(&mut out);
        (-0.25f64).put_le(&mut out);
        assert_eq!(out.len(), f32::BYTES + f64::BYTES);
        assert_eq!(&out[..4], &1.5f32.to_le_bytes());
        assert_eq!(f32::get_le(&out[..4]), 1.5);
        assert_eq!(f64::get_le(&out[4..]), -0.25);
        assert_eq!((f32::NAME, f64::NAME), ("f32", "f64"));
    }

    #[test]
    fn conversions_through_f64_are_exact_or_nearest() {
        assert_eq!(to_f64(0.1f32), f64::from(0.1f32));
        assert_eq!(from_f64::<f32>(0.1), 0.1f32);
        assert_eq!(from_f64::<f64>(0.1), 0.1);
    }
}
