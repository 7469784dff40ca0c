//! Adam's and AdamW's step on parameter slices, compiled for the widest
//! instruction set the CPU has (the loop is plain Rust; inside a
//! dispatched kernel the compiler vectorises it with those instructions).

use pulp::{Simd, WithSimd};

use super::dispatch;
use crate::Real;

/// The numbers of one Adam step, the same for every parameter.
#[derive(Debug, Clone, Copy)]
pub(crate) struct AdamStep<T> {
    /// β₁ and 1 − β₁.
    pub(crate) beta1: T,
    pub(crate) one_minus_beta1: T,
    /// β₂ and 1 − β₂.
    pub(crate) beta2: T,
    pub(crate) one_minus_beta2: T,
    /// The bias corrections 1 − β₁ᵗ and 1 − β₂ᵗ.
    pub(crate) correction1: T,
    pub(crate) correction2: T,
    /// η and ε.
    pub(crate) eta: T,
    pub(crate) epsilon: T,
}

/// Adam's step for the parameters `p` with gradients `g`, first moments
/// `m` and second moments `s` (all of one length): with `l2` > 0 the
/// gradient first gains the L2 term l2·p (weights only), and with
/// `decay` < 1 the parameters are first decayed, p → decay·p (AdamW's
/// decoupled weight decay, weights only; the gradient is the one computed
/// before the decay). Then
///
/// ```text
/// m → β₁m + (1 − β₁)g,  s → β₂s + (1 − β₂)g²
/// p → p − η (m/(1 − β₁ᵗ)) / (√(s/(1 − β₂ᵗ)) + ε)
/// ```
pub(crate) fn adam_update<T: Real>(
    p: &mut [T],
    g: &[T],
    m: &mut [T],
    s: &mut [T],
    step: AdamStep<T>,
    l2: T,
    decay: T,
) {
    dispatch(AdamUpdate {
        p,
        g,
        m,
        s,
        step,
        l2,
        decay,
    });
}

/// [`adam_update`]'s operands, as a dispatched kernel.
struct AdamUpdate<'a, T> {
    p: &'a mut [T],
    g: &'a [T],
    m: &'a mut [T],
    s: &'a mut [T],
    step: AdamStep<T>,
    l2: T,
    decay: T,
}

impl<T: Real> WithSimd for AdamUpdate<'_, T> {
    type Output = ();

    #[inline(always)]
    fn with_simd<S: Simd>(self, _simd: S) {
        let AdamUpdate {
            p,
            g,
            m,
            s,
            step,
            l2,
            decay,
        } = self;
        adam_loop(p, g, m, s, step, l2, decay);
    }
}

/// The loop of [`adam_update`].
#[inline(always)]
fn adam_loop<T: Real>(
    p: &mut [T],
    g: &[T],
    m: &mut [T],
    s: &mut [T],
    step: AdamStep<T>,
    l2: T,
    decay: T,
) {
    let AdamStep {
        beta1,
        one_minus_beta1,
        beta2,
        one_minus_beta2,
        correction1,
        correction2,
        eta,
        epsilon,
    } = step;
    // No operation may make a subnormal number: on x86 each one costs
    // dozens of cycles (Adam's epoch of 784-100-10 on MNIST ran 40× slower
    // than SGD's). A weight whose input is always 0 (a border pixel) has a
    // gradient of 0, and its moments decay geometrically towards them. So
    // gradients below 10⁻¹⁷ count as 0 (their step, about η·10⁻⁹, would
    // change nothing), moments below 10⁻³⁶ are flushed to 0, and the step
    // divides before it multiplies by η.
    let g_min: T = nalgebra::convert(1e-17);
    let moment_min: T = nalgebra::convert(1e-36);
    let inv_correction2 = T::one() / correction2;
    let step_size = eta / correction1;
    let flush = |v: T, min: T| if v.abs() < min { T::zero() } else { v };
    for (((p, &g), m), s) in p.iter_mut().zip(g).zip(m.iter_mut()).zip(s.iter_mut()) {
        let g = flush(g + l2 * *p, g_min);
        *m = flush(beta1 * *m + one_minus_beta1 * g, moment_min);
        *s = flush(beta2 * *s + one_minus_beta2 * (g * g), moment_min);
        // m̂/(√ŝ + ε)·η with m̂ = m/(1 − β₁ᵗ), ŝ = s/(1 − β₂ᵗ): one
        // division, the corrections as reciprocals.
        let s_hat = *s * inv_correction2;
        *p = decay * *p - *m / (s_hat.sqrt() + epsilon) * step_size;
    }
}
