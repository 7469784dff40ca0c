//! Activation functions on whole vectors: σ, tanh (through σ) and ReLU,
//! each an in-place kernel over a slice; the softmax, which works per
//! example column, is in `crate::activation`.

use std::ops::{Add, Neg};

use pulp::{Simd, WithSimd};

use super::dispatch;
use super::simd::Elem;

/// σ(z) = 1/(1+e^(−z)) on a vector of `f32`.
///
/// e^x for x = −z, clamped to ±126·ln 2 so that nothing overflows, is
/// 2ⁿ·eʳ with n = round(x·log₂e) (the magic-number trick) and
/// r = x − n·ln 2 ∈ [−½ ln 2, ½ ln 2], computed with ln 2 split in a high
/// and a low part so that r keeps its accuracy for large |x| (Cody and
/// Waite). eʳ is its degree-6 Taylor polynomial (relative error below
/// 1.3·10⁻⁷), and 2ⁿ is built in the exponent bits. Because of the clamp,
/// σ(z) for z < −87.3 is about 1.2·10⁻³⁸ (the smallest normal `f32`)
/// rather than a subnormal or 0; it never leaves [0, 1].
#[inline(always)]
pub(super) fn sigmoid_f32s<S: Simd>(simd: S, z: S::f32s) -> S::f32s {
    const LIMIT: f32 = 126.0 * std::f32::consts::LN_2;
    const LN2_HI: f32 = 0.693_359_4; // 0.693359375: few bits, so n·LN2_HI is exact
    const LN2_LO: f32 = -2.121_944_4e-4;
    let x = simd.sub_f32s(simd.splat_f32s(0.0), z);
    let x = simd.min_f32s(
        simd.max_f32s(x, simd.splat_f32s(-LIMIT)),
        simd.splat_f32s(LIMIT),
    );
    let magic = simd.splat_f32s(12_582_912.0); // 1.5·2²³: adding it rounds to an integer
    let t = simd.mul_add_e_f32s(x, simd.splat_f32s(std::f32::consts::LOG2_E), magic);
    let n = simd.sub_f32s(t, magic);
    let r = simd.mul_add_e_f32s(n, simd.splat_f32s(-LN2_HI), x);
    let r = simd.mul_add_e_f32s(n, simd.splat_f32s(-LN2_LO), r);
    let mut p = simd.splat_f32s(1.0 / 720.0);
    for c in [1.0 / 120.0, 1.0 / 24.0, 1.0 / 6.0, 0.5, 1.0, 1.0] {
        p = simd.mul_add_e_f32s(p, r, simd.splat_f32s(c));
    }
    // The low bits of t hold n; (n + 127)·2²³ are the bits of 2ⁿ.
    let ni = simd.sub_u32s(simd.transmute_u32s_f32s(t), simd.transmute_u32s_f32s(magic));
    let bits = simd.mul_u32s(
        simd.add_u32s(ni, simd.splat_u32s(127)),
        simd.splat_u32s(1 << 23),
    );
    let e = simd.mul_f32s(p, simd.transmute_f32s_u32s(bits));
    let one = simd.splat_f32s(1.0);
    simd.div_f32s(one, simd.add_f32s(one, e))
}

/// σ(z) on a vector of `f64`: as [`sigmoid_f32s`], with x clamped to
/// ±1022·ln 2 (so σ bottoms out near the smallest normal `f64`, 2.2·10⁻³⁰⁸)
/// and a degree-12 polynomial (relative error below 10⁻¹⁵).
#[inline(always)]
pub(super) fn sigmoid_f64s<S: Simd>(simd: S, z: S::f64s) -> S::f64s {
    const LIMIT: f64 = 1022.0 * std::f64::consts::LN_2;
    const LN2_HI: f64 = 0.693_147_180_369_123_8;
    const LN2_LO: f64 = 1.908_214_929_270_587_7e-10;
    let x = simd.sub_f64s(simd.splat_f64s(0.0), z);
    let x = simd.min_f64s(
        simd.max_f64s(x, simd.splat_f64s(-LIMIT)),
        simd.splat_f64s(LIMIT),
    );
    let magic = simd.splat_f64s(6_755_399_441_055_744.0); // 1.5·2⁵²
    let t = simd.mul_add_e_f64s(x, simd.splat_f64s(std::f64::consts::LOG2_E), magic);
    let n = simd.sub_f64s(t, magic);
    let r = simd.mul_add_e_f64s(n, simd.splat_f64s(-LN2_HI), x);
    let r = simd.mul_add_e_f64s(n, simd.splat_f64s(-LN2_LO), r);
    // 1/k! for k = 12 down to 0.
    let mut inv_factorial = [1.0f64; 13];
    for k in 1..13 {
        inv_factorial[k] = inv_factorial[k - 1] / k as f64;
    }
    let mut p = simd.splat_f64s(inv_factorial[12]);
    for &c in inv_factorial[..12].iter().rev() {
        p = simd.mul_add_e_f64s(p, r, simd.splat_f64s(c));
    }
    let ni = simd.sub_u64s(simd.transmute_u64s_f64s(t), simd.transmute_u64s_f64s(magic));
    let bits = simd.mul_u64s(
        simd.add_u64s(ni, simd.splat_u64s(1023)),
        simd.splat_u64s(1 << 52),
    );
    let e = simd.mul_f64s(p, simd.transmute_f64s_u64s(bits));
    let one = simd.splat_f64s(1.0);
    simd.div_f64s(one, simd.add_f64s(one, e))
}

struct SigmoidInPlace<'a, T>(&'a mut [T]);

impl<T: Elem> WithSimd for SigmoidInPlace<'_, T> {
    type Output = ();

    #[inline(always)]
    fn with_simd<S: Simd>(self, simd: S) {
        let (head, tail) = T::as_mut_simd::<S>(self.0);
        for v in head {
            *v = T::sigmoid_v(simd, *v);
        }
        if !tail.is_empty() {
            let v = T::sigmoid_v(simd, T::load_partial(simd, tail));
            T::store_partial(simd, tail, v);
        }
    }
}

/// Replaces every weighted input z in `z` by its activation σ(z), with the
/// vectorised σ above (within a few units in the last place of the scalar
/// [`crate::activation::sigmoid`]).
pub(crate) fn sigmoid_in_place<T: Elem>(z: &mut [T]) {
    dispatch(SigmoidInPlace(z));
}

struct TanhInPlace<'a, T>(&'a mut [T]);

impl<T: Elem + Add<Output = T> + Neg<Output = T>> WithSimd for TanhInPlace<'_, T> {
    type Output = ();

    #[inline(always)]
    fn with_simd<S: Simd>(self, simd: S) {
        let two = T::splat(simd, T::ONE + T::ONE);
        let minus_one = T::splat(simd, -T::ONE);
        // tanh z = 2σ(2z) − 1.
        let tanh = |z| {
            T::fma(
                simd,
                two,
                T::sigmoid_v(simd, T::mul(simd, two, z)),
                minus_one,
            )
        };
        let (head, tail) = T::as_mut_simd::<S>(self.0);
        for v in head {
            *v = tanh(*v);
        }
        if !tail.is_empty() {
            let v = tanh(T::load_partial(simd, tail));
            T::store_partial(simd, tail, v);
        }
    }
}

/// Replaces every weighted input z in `z` by tanh z = 2σ(2z) − 1, with the
/// vectorised σ above: within a few units of the scalar type's epsilon of
/// [`crate::activation::tanh`] (an absolute error, so small |z| lose
/// relative accuracy), and always in [−1, 1].
pub(crate) fn tanh_in_place<T: Elem + Add<Output = T> + Neg<Output = T>>(z: &mut [T]) {
    dispatch(TanhInPlace(z));
}

/// Replaces every weighted input z in `z` by max(0, z) (a NaN stays NaN, so
/// that divergence is still noticed).
pub(crate) fn relu_in_place<T: Elem + PartialOrd>(z: &mut [T]) {
    let zero = T::default();
    for v in z {
        // A select and an unconditional store, which the compiler turns
        // into vector compares and blends; a conditional store (`if *v <
        // zero { *v = zero }`) stays one scalar store per element, and
        // took a quarter of the training time of a 20-100-2 ReLU network.
        *v = if *v < zero { zero } else { *v };
    }
}
