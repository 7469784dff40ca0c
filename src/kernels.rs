//! The arithmetic of the hot loop, on column-major slices.
//!
//! Safe Rust written so that the compiler vectorises it: fixed-size lane
//! arrays as accumulators, lengths checked once at the top of each function.
//! No function here allocates.
//!
//! Layouts (all column-major, as nalgebra stores matrices):
//! - a layer's weights are stored *neuron-major*: an `n_in × n_out` matrix
//!   whose column `i` is neuron `i`'s weight vector w (that is, Wᵀ in the
//!   lecture's orientation);
//! - a batch of activations is `n × m`, one example per column.

use crate::Real;

/// Width of the lane arrays the compiler turns into SIMD registers.
const LANES: usize = 16;

/// `a·b + c`, fused when the target has FMA (compile-time choice, so the
/// portable build never calls the slow software `fma`).
#[inline(always)]
fn fmadd<T: Real>(a: T, b: T, c: T) -> T {
    #[cfg(target_feature = "fma")]
    {
        a.mul_add(b, c)
    }
    #[cfg(not(target_feature = "fma"))]
    {
        a * b + c
    }
}

#[inline(always)]
fn lanes<T: Real>(s: &[T], k: usize) -> &[T; LANES] {
    // Callers only ask for k + LANES <= s.len().
    s[k..k + LANES].try_into().expect("LANES elements")
}

#[inline(always)]
fn hsum<T: Real>(v: &[T; LANES]) -> T {
    let mut h = [T::zero(); 8];
    for l in 0..8 {
        h[l] = v[l] + v[l + 8];
    }
    (h[0] + h[4]) + (h[1] + h[5]) + ((h[2] + h[6]) + (h[3] + h[7]))
}

/// Dot products of `NB` weight vectors with `MB` activation vectors, all of
/// length `n`.
#[inline(always)]
fn dot_block<T: Real, const NB: usize, const MB: usize>(
    w: [&[T]; NB],
    a: [&[T]; MB],
    n: usize,
) -> [[T; MB]; NB] {
    let w = w.map(|s| &s[..n]);
    let a = a.map(|s| &s[..n]);
    let mut acc = [[[T::zero(); LANES]; MB]; NB];
    let full = n - n % LANES;
    let mut k = 0;
    while k < full {
        let ac = a.map(|s| lanes(s, k));
        for r in 0..NB {
            let wc = lanes(w[r], k);
            for c in 0..MB {
                for l in 0..LANES {
                    acc[r][c][l] = fmadd(wc[l], ac[c][l], acc[r][c][l]);
                }
            }
        }
        k += LANES;
    }
    let mut out = [[T::zero(); MB]; NB];
    for r in 0..NB {
        for c in 0..MB {
            let mut s = hsum(&acc[r][c]);
            for k in full..n {
                s = fmadd(w[r][k], a[c][k], s);
            }
            out[r][c] = s;
        }
    }
    out
}

/// The weighted inputs of one layer for a batch: `z[i, j] = w_i · a_j + b_i`.
///
/// `w`: n_in × n_out (neuron-major), `b`: n_out, `a`: n_in × m, `z`: n_out × m.
pub(crate) fn weighted_inputs<T: Real>(
    w: &[T],
    b: &[T],
    a: &[T],
    n_in: usize,
    n_out: usize,
    m: usize,
    z: &mut [T],
) {
    assert!(w.len() >= n_in * n_out && b.len() >= n_out);
    assert!(a.len() >= n_in * m && z.len() >= n_out * m);
    const NB: usize = 2;
    const MB: usize = 4;
    let wcol = |i: usize| &w[i * n_in..(i + 1) * n_in];
    let acol = |j: usize| &a[j * n_in..(j + 1) * n_in];
    let mut j = 0;
    while j < m {
        let mb = (m - j).min(MB);
        let mut i = 0;
        while i < n_out {
            let nb = (n_out - i).min(NB);
            match (nb, mb) {
                (2, 4) => {
                    let d = dot_block::<T, 2, 4>(
                        [wcol(i), wcol(i + 1)],
                        [acol(j), acol(j + 1), acol(j + 2), acol(j + 3)],
                        n_in,
                    );
                    for (r, row) in d.iter().enumerate() {
                        for (c, &v) in row.iter().enumerate() {
                            z[(j + c) * n_out + i + r] = v + b[i + r];
                        }
                    }
                }
                _ => {
                    for r in 0..nb {
                        for c in 0..mb {
                            let [[v]] = dot_block::<T, 1, 1>([wcol(i + r)], [acol(j + c)], n_in);
                            z[(j + c) * n_out + i + r] = v + b[i + r];
                        }
                    }
                }
            }
            i += nb;
        }
        j += mb;
    }
}

/// The SGD step for one layer's weights, fused: for every neuron `i`,
/// `w_i ← β·w_i + Σ_t coef[i, t]·a_t`.
///
/// With β = 1 − ηλ/n and coef = −(η/m)·δ this is the SGD update with weight
/// decay; with β = 0 and coef = δ/m it writes the averaged gradient.
///
/// `w`: n_in × n_out (neuron-major), `coef`: m × n_out (neuron `i`'s
/// coefficients contiguous), `a`: n_in × m.
pub(crate) fn update_weights<T: Real>(
    w: &mut [T],
    beta: T,
    coef: &[T],
    a: &[T],
    n_in: usize,
    n_out: usize,
    m: usize,
) {
    assert!(w.len() >= n_in * n_out && coef.len() >= m * n_out && a.len() >= n_in * m);
    let a = &a[..n_in * m];
    let full = n_in - n_in % LANES;
    for (i, wi) in w.chunks_exact_mut(n_in).take(n_out).enumerate() {
        let ci = &coef[i * m..(i + 1) * m];
        let mut k = 0;
        while k < full {
            let mut acc = [T::zero(); LANES];
            let wc: &mut [T; LANES] = (&mut wi[k..k + LANES]).try_into().expect("LANES");
            for l in 0..LANES {
                acc[l] = beta * wc[l];
            }
            for (t, &c) in ci.iter().enumerate() {
                let ac = lanes(&a[t * n_in..(t + 1) * n_in], k);
                for l in 0..LANES {
                    acc[l] = fmadd(c, ac[l], acc[l]);
                }
            }
            *wc = acc;
            k += LANES;
        }
        for k in full..n_in {
            let mut s = beta * wi[k];
            for (t, &c) in ci.iter().enumerate() {
                s = fmadd(c, a[t * n_in + k], s);
            }
            wi[k] = s;
        }
    }
}

/// Propagates errors back through one layer's weights: `out = W_trueᵀ · δ`,
/// that is `out[:, j] = Σ_i δ[i, j]·w_i`.
///
/// `w`: n_in × n_out (neuron-major), `delta`: n_out × m, `out`: n_in × m.
pub(crate) fn back_propagate<T: Real>(
    w: &[T],
    delta: &[T],
    n_in: usize,
    n_out: usize,
    m: usize,
    out: &mut [T],
) {
    assert!(w.len() >= n_in * n_out && delta.len() >= n_out * m && out.len() >= n_in * m);
    for j in 0..m {
        let oj = &mut out[j * n_in..(j + 1) * n_in];
        oj.fill(T::zero());
        for i in 0..n_out {
            let d = delta[j * n_out + i];
            for (o, &wk) in oj.iter_mut().zip(&w[i * n_in..(i + 1) * n_in]) {
                *o = fmadd(d, wk, *o);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Neuron-major weights as a plain function of (k, i).
    fn naive_z(w: &[f64], b: &[f64], a: &[f64], n_in: usize, n_out: usize, m: usize) -> Vec<f64> {
        let mut z = vec![0.0; n_out * m];
        for j in 0..m {
            for i in 0..n_out {
                let mut s = b[i];
                for k in 0..n_in {
                    s += w[i * n_in + k] * a[j * n_in + k];
                }
                z[j * n_out + i] = s;
            }
        }
        z
    }

    fn seq(n: usize, scale: f64) -> Vec<f64> {
        (0..n)
            .map(|x| ((x * 7919 % 97) as f64 - 48.0) * scale)
            .collect()
    }

    #[test]
    fn weighted_inputs_match_naive_for_awkward_shapes() {
        for &(n_in, n_out, m) in &[(1, 1, 1), (17, 3, 5), (33, 5, 7), (784, 30, 10), (40, 2, 4)] {
            let w = seq(n_in * n_out, 0.01);
            let b = seq(n_out, 0.1);
            let a = seq(n_in * m, 0.02);
            let mut z = vec![0.0; n_out * m];
            weighted_inputs(&w, &b, &a, n_in, n_out, m, &mut z);
            let expect = naive_z(&w, &b, &a, n_in, n_out, m);
            for (x, y) in z.iter().zip(&expect) {
                assert!((x - y).abs() < 1e-9, "{n_in}x{n_out}x{m}: {x} vs {y}");
            }
        }
    }

    #[test]
    fn update_matches_naive() {
        let (n_in, n_out, m) = (37, 3, 4);
        let mut w = seq(n_in * n_out, 0.01);
        let w0 = w.clone();
        let coef = seq(m * n_out, 0.05);
        let a = seq(n_in * m, 0.02);
        update_weights(&mut w, 0.9, &coef, &a, n_in, n_out, m);
        for i in 0..n_out {
            for k in 0..n_in {
                let mut s = 0.9 * w0[i * n_in + k];
                for t in 0..m {
                    s += coef[i * m + t] * a[t * n_in + k];
                }
                assert!((w[i * n_in + k] - s).abs() < 1e-12);
            }
        }
    }

    #[test]
    fn back_propagate_matches_naive() {
        let (n_in, n_out, m) = (5, 3, 2);
        let w = seq(n_in * n_out, 0.1);
        let d = seq(n_out * m, 0.3);
        let mut out = vec![1.0; n_in * m];
        back_propagate(&w, &d, n_in, n_out, m, &mut out);
        for j in 0..m {
            for k in 0..n_in {
                let s: f64 = (0..n_out).map(|i| d[j * n_out + i] * w[i * n_in + k]).sum();
                assert!((out[j * n_in + k] - s).abs() < 1e-12);
            }
        }
    }
}
