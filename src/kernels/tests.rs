//! Each kernel against a naive loop, at every instruction set this CPU has.

use std::cell::Cell;

use super::simd::{WIDE_BLOCK_BYTES, input_part};
use super::transpose::Panel;
use super::{Kernels, MatMut, MatRef};

/// The instruction sets a test can make the kernels use.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum Level {
    /// The widest this CPU has (AVX-512 or AVX2 on x86-64).
    Best,
    /// AVX2 + FMA, where the CPU has them.
    V3,
    /// pulp's portable scalar code.
    Scalar,
}

thread_local! {
    pub(super) static LEVEL: Cell<Level> = const { Cell::new(Level::Best) };
}

/// Runs `f` with the kernels at each level in turn: every block shape
/// (10, 5 or 4 examples wide, masked tails) is checked on this machine.
fn at_every_level(mut f: impl FnMut(Level)) {
    for level in [Level::Best, Level::V3, Level::Scalar] {
        LEVEL.with(|l| l.set(level));
        f(level);
    }
    LEVEL.with(|l| l.set(Level::Best));
}

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
    // Odd neuron counts, and batches with and without a remainder after
    // the blocks of 10 and of 5 examples.
    let shapes = [
        (1, 1, 1),
        (17, 3, 5),
        (33, 5, 7),
        (784, 30, 10),
        (40, 2, 4),
        (19, 7, 13),
        (784, 31, 23),
        (9, 1, 20),
        // Inputs long enough to be split into parts, the last one
        // ending in a masked tail, in f32 as in f64.
        (1500, 3, 10),
    ];
    at_every_level(|level| {
        for &(n_in, n_out, m) in &shapes {
            let w = seq(n_in * n_out, 0.01);
            let b = seq(n_out, 0.1);
            let a = seq(n_in * m, 0.02);
            let mut z = vec![0.0; n_out * m];
            Kernels::weighted_inputs(
                MatRef::new(&w, n_in, n_out),
                &b,
                MatRef::new(&a, n_in, m),
                MatMut::new(&mut z, n_out, m),
            );
            let expect = naive_z(&w, &b, &a, n_in, n_out, m);
            for (x, y) in z.iter().zip(&expect) {
                assert!(
                    (x - y).abs() < 1e-9,
                    "{level:?} {n_in}x{n_out}x{m}: {x} vs {y}"
                );
            }
            // f32 agrees to f32 precision.
            let f = |v: &[f64]| v.iter().map(|&x| x as f32).collect::<Vec<f32>>();
            let mut z32 = vec![0.0f32; n_out * m];
            let (w32, a32) = (f(&w), f(&a));
            Kernels::weighted_inputs(
                MatRef::new(&w32, n_in, n_out),
                &f(&b),
                MatRef::new(&a32, n_in, m),
                MatMut::new(&mut z32, n_out, m),
            );
            for (x, y) in z32.iter().zip(&expect) {
                assert!(
                    (f64::from(*x) - y).abs() < 1e-3,
                    "{level:?} f32 {n_in}x{n_out}x{m}: {x} vs {y}"
                );
            }
        }
    });
}

#[test]
fn inputs_are_split_only_when_a_block_outgrows_l1() {
    // Ten f32 images of 784 pixels (31 KB) stay whole; in f64 (63 KB)
    // they are halved, in whole vectors.
    assert_eq!(input_part::<f32>(784, 10), 784);
    assert_eq!(input_part::<f64>(784, 10), 400);
    assert_eq!(input_part::<f32>(1500, 10), 752);
    assert_eq!(input_part::<f64>(1500, 10), 512);
    assert_eq!(input_part::<f64>(1, 10), 1);
    for n_in in [1, 100, 784, 1024, 1025, 5000, 100_000] {
        let part = input_part::<f64>(n_in, 10);
        assert!(
            part == n_in || (part.is_multiple_of(16) && part * 80 <= WIDE_BLOCK_BYTES + 16 * 80)
        );
    }
}

#[test]
fn update_matches_naive() {
    // (784, 3, 100) in f64 spans tiles of 40, 40 and 20 examples; the
    // others have odd neuron counts or a remainder after the blocks of
    // 10 and of 5 examples.
    let shapes = [
        (37, 3, 4),
        (8, 1, 1),
        (784, 2, 10),
        (784, 3, 100),
        (19, 5, 13),
        (33, 4, 27),
        (9, 1, 20),
        (1500, 4, 10),
    ];
    at_every_level(|level| {
        for &(n_in, n_out, m) in &shapes {
            let mut w = seq(n_in * n_out, 0.01);
            let w0 = w.clone();
            let coef = seq(m * n_out, 0.05);
            let a = seq(n_in * m, 0.02);
            Kernels::update_weights(
                MatMut::new(&mut w, n_in, n_out),
                0.9,
                MatRef::new(&coef, m, n_out),
                MatRef::new(&a, n_in, m),
            );
            for i in 0..n_out {
                for k in 0..n_in {
                    let mut s = 0.9 * w0[i * n_in + k];
                    for t in 0..m {
                        s += coef[i * m + t] * a[t * n_in + k];
                    }
                    let got = w[i * n_in + k];
                    assert!(
                        (got - s).abs() < 1e-12,
                        "{level:?} {n_in}x{n_out}x{m}: {got} vs {s}"
                    );
                }
            }
        }
    });
}

#[test]
fn vector_sigmoid_matches_the_scalar_one() {
    let zs: Vec<f64> = (-2000..=2000)
        .map(|i| f64::from(i) * 0.05)
        .chain([
            -1e30, -1000.0, -88.0, -87.5, 87.5, 88.0, 1000.0, 1e30, 0.0, -0.0,
        ])
        .collect();
    at_every_level(|level| {
        let mut v64 = zs.clone();
        Kernels::sigmoid_in_place(&mut v64);
        let mut v32: Vec<f32> = zs.iter().map(|&z| z as f32).collect();
        Kernels::sigmoid_in_place(&mut v32);
        for ((&z, &a64), &a32) in zs.iter().zip(&v64).zip(&v32) {
            let exact = crate::activation::sigmoid(z);
            assert!(
                (0.0..=1.0).contains(&a64) && (0.0..=1.0).contains(&a32),
                "σ({z})"
            );
            assert!(
                (a64 - exact).abs() <= 1e-15 * exact + 2.0 * f64::MIN_POSITIVE,
                "{level:?} f64 σ({z}) = {a64}, expected {exact}"
            );
            // Below z ≈ −87.3 the f32 version stops at the smallest normal f32.
            let exact32 = crate::activation::sigmoid(z as f32);
            assert!(
                (a32 - exact32).abs() <= 4e-7 * exact32 + 2.0 * f32::MIN_POSITIVE,
                "{level:?} f32 σ({z}) = {a32}, expected {exact32}"
            );
        }
    });
}

#[test]
fn back_propagate_matches_naive() {
    at_every_level(|level| {
        for &(n_in, n_out, m) in &[(5, 3, 2), (30, 10, 10), (17, 4, 3)] {
            let w = seq(n_in * n_out, 0.1);
            let d = seq(n_out * m, 0.3);
            let mut out = vec![1.0; n_in * m];
            Kernels::back_propagate(
                MatRef::new(&w, n_in, n_out),
                MatRef::new(&d, n_out, m),
                MatMut::new(&mut out, n_in, m),
            );
            for j in 0..m {
                for k in 0..n_in {
                    let s: f64 = (0..n_out).map(|i| d[j * n_out + i] * w[i * n_in + k]).sum();
                    assert!((out[j * n_in + k] - s).abs() < 1e-12, "{level:?}");
                }
            }
        }
    });
}

#[test]
fn vector_tanh_and_relu_match_the_scalar_ones() {
    let zs: Vec<f64> = (-400..=400)
        .map(|i| f64::from(i) * 0.05)
        .chain([-1e30, -1000.0, -45.0, 45.0, 1000.0, 1e30, 0.0, -0.0])
        .collect();
    at_every_level(|level| {
        let mut v64 = zs.clone();
        Kernels::tanh_in_place(&mut v64);
        let mut v32: Vec<f32> = zs.iter().map(|&z| z as f32).collect();
        Kernels::tanh_in_place(&mut v32);
        for ((&z, &a64), &a32) in zs.iter().zip(&v64).zip(&v32) {
            assert!((-1.0..=1.0).contains(&a64) && (-1.0..=1.0).contains(&a32));
            assert!(
                (a64 - z.tanh()).abs() <= 4e-16,
                "{level:?} f64 tanh({z}) = {a64}"
            );
            let exact32 = (z as f32).tanh();
            assert!(
                (a32 - exact32).abs() <= 4e-7,
                "{level:?} f32 tanh({z}) = {a32}"
            );
        }
        let mut r = zs.clone();
        Kernels::relu_in_place(&mut r);
        for (&z, &a) in zs.iter().zip(&r) {
            assert_eq!(a, z.max(0.0), "{level:?} relu({z})");
        }
    });
}

/// The three products on shapes that take the packed path (see
/// `gemm::packed_forward` and its siblings), against naive loops, at every
/// level and in both scalar types: depths of one and of several blocks,
/// rows and columns that leave partial panels and slivers.
#[test]
fn packed_products_match_naive() {
    use super::gemm::{packed_backward, packed_forward, packed_update};
    // (n_in, n_out, m): a depth split in blocks (300 in f32 and f64), odd
    // sizes everywhere, one and eleven examples for the backward pass.
    let shapes = [
        (130, 129, 33),
        (300, 150, 41),
        (129, 257, 11),
        (200, 131, 1),
    ];
    let f32s = |v: &[f64]| v.iter().map(|&x| x as f32).collect::<Vec<f32>>();
    at_every_level(|level| {
        for &(n_in, n_out, m) in &shapes {
            let w = seq(n_in * n_out, 0.01);
            let a = seq(n_in * m, 0.02);
            let b = seq(n_out, 0.1);
            let (w32, a32) = (f32s(&w), f32s(&a));
            let close = |x: f64, y: f64, tol: f64, what: &str| {
                assert!(
                    (x - y).abs() <= tol * (1.0 + y.abs()),
                    "{level:?} {what} {n_in}x{n_out}x{m}: {x} vs {y}"
                );
            };
            if packed_forward(n_in, n_out, m) {
                let expect = naive_z(&w, &b, &a, n_in, n_out, m);
                let mut z = vec![7.0; n_out * m];
                Kernels::weighted_inputs(
                    MatRef::new(&w, n_in, n_out),
                    &b,
                    MatRef::new(&a, n_in, m),
                    MatMut::new(&mut z, n_out, m),
                );
                let mut z32 = vec![7.0f32; n_out * m];
                Kernels::weighted_inputs(
                    MatRef::new(&w32, n_in, n_out),
                    &f32s(&b),
                    MatRef::new(&a32, n_in, m),
                    MatMut::new(&mut z32, n_out, m),
                );
                for ((&x, &x32), &y) in z.iter().zip(&z32).zip(&expect) {
                    close(x, y, 1e-12, "forward f64");
                    close(f64::from(x32), y, 1e-4, "forward f32");
                }
            }
            if packed_backward(n_in, n_out, m) {
                let d = seq(n_out * m, 0.3);
                let mut out = vec![7.0; n_in * m];
                Kernels::back_propagate(
                    MatRef::new(&w, n_in, n_out),
                    MatRef::new(&d, n_out, m),
                    MatMut::new(&mut out, n_in, m),
                );
                let mut out32 = vec![7.0f32; n_in * m];
                Kernels::back_propagate(
                    MatRef::new(&w32, n_in, n_out),
                    MatRef::new(&f32s(&d), n_out, m),
                    MatMut::new(&mut out32, n_in, m),
                );
                for j in 0..m {
                    for k in 0..n_in {
                        let s: f64 = (0..n_out).map(|i| d[j * n_out + i] * w[i * n_in + k]).sum();
                        close(out[j * n_in + k], s, 1e-12, "backward f64");
                        close(f64::from(out32[j * n_in + k]), s, 1e-4, "backward f32");
                    }
                }
            }
            if packed_update(n_in, n_out, m) {
                let coef = seq(m * n_out, 0.05);
                let mut w2 = w.clone();
                Kernels::update_weights(
                    MatMut::new(&mut w2, n_in, n_out),
                    0.9,
                    MatRef::new(&coef, m, n_out),
                    MatRef::new(&a, n_in, m),
                );
                let mut w2_32 = w32.clone();
                Kernels::update_weights(
                    MatMut::new(&mut w2_32, n_in, n_out),
                    0.9,
                    MatRef::new(&f32s(&coef), m, n_out),
                    MatRef::new(&a32, n_in, m),
                );
                for i in 0..n_out {
                    for k in 0..n_in {
                        let mut s = 0.9 * w[i * n_in + k];
                        for t in 0..m {
                            s += coef[i * m + t] * a[t * n_in + k];
                        }
                        close(w2[i * n_in + k], s, 1e-12, "update f64");
                        close(f64::from(w2_32[i * n_in + k]), s, 1e-4, "update f32");
                    }
                }
            }
        }
    });
    // Every product of the list is checked somewhere.
    assert!(shapes.iter().all(|&(i, o, m)| packed_backward(i, o, m)));
    assert!(
        shapes
            .iter()
            .filter(|&&(i, o, m)| packed_forward(i, o, m))
            .count()
            >= 2
    );
}

/// z = wᵀa + b through [`Kernels::weighted_inputs`].
fn forward<T: Kernels + Copy + Default>(
    w: &[T],
    b: &[T],
    a: &[T],
    n_in: usize,
    n_out: usize,
    m: usize,
) -> Vec<T> {
    let mut z = vec![T::default(); n_out * m];
    Kernels::weighted_inputs(
        MatRef::new(w, n_in, n_out),
        b,
        MatRef::new(a, n_in, m),
        MatMut::new(&mut z, n_out, m),
    );
    z
}

/// The packed forward pass split by neurons into three parts of a width
/// that does not divide evenly, in `f64`, gives the bits of one thread.
#[test]
fn the_forward_pass_split_by_neurons_is_bit_identical_in_three_parts() {
    let (n_in, n_out, m) = (784, 333, 64);
    assert!(super::gemm::packed_forward(n_in, n_out, m));
    let w = seq(n_in * n_out, 0.001);
    let a = seq(n_in * m, 0.01);
    let b = seq(n_out, 0.1);
    let run = || forward(&w, &b, &a, n_in, n_out, m);
    let one = run();
    let (three, splits) = crate::threads::tests::with_threads(3, run);
    assert_eq!(splits, 1, "the forward pass was split");
    assert!(
        one.iter()
            .zip(&three)
            .all(|(x, y)| x.to_bits() == y.to_bits())
    );
    let want = naive_z(&w, &b, &a, n_in, n_out, m);
    assert!(
        one.iter()
            .zip(&want)
            .all(|(x, y)| (x - y).abs() <= 1e-9 * y.abs().max(1.0))
    );
}

/// The packed path splits rows or columns across threads, never a sum: the
/// results are bit for bit those of one thread.
#[test]
fn packed_products_are_bit_identical_on_two_threads() {
    let (n_in, n_out, m) = (784, 500, 100);
    let w: Vec<f32> = seq(n_in * n_out, 0.001).iter().map(|&x| x as f32).collect();
    let a: Vec<f32> = seq(n_in * m, 0.01).iter().map(|&x| x as f32).collect();
    let b: Vec<f32> = seq(n_out, 0.1).iter().map(|&x| x as f32).collect();
    let d: Vec<f32> = seq(n_out * m, 0.03).iter().map(|&x| x as f32).collect();
    let run = || {
        let z = forward(&w, &b, &a, n_in, n_out, m);
        let mut back = vec![0.0f32; n_out * m];
        let w2 = &w[..n_out * n_out];
        Kernels::back_propagate(
            MatRef::new(w2, n_out, n_out),
            MatRef::new(&d, n_out, m),
            MatMut::new(&mut back, n_out, m),
        );
        let mut w3 = w.clone();
        Kernels::update_weights(
            MatMut::new(&mut w3, n_in, n_out),
            0.999,
            MatRef::new(&d, m, n_out),
            MatRef::new(&a, n_in, m),
        );
        (z, back, w3)
    };
    let one = run();
    let (two, splits) = crate::threads::tests::with_threads(2, run);
    assert_eq!(splits, 3, "the three products were split");
    assert!(
        one.0
            .iter()
            .zip(&two.0)
            .all(|(x, y)| x.to_bits() == y.to_bits())
    );
    assert!(
        one.1
            .iter()
            .zip(&two.1)
            .all(|(x, y)| x.to_bits() == y.to_bits())
    );
    assert!(
        one.2
            .iter()
            .zip(&two.2)
            .all(|(x, y)| x.to_bits() == y.to_bits())
    );
}

/// Packs one panel through [`super::transpose::pack_across`].
struct PackAcross<'a>(Panel<'a, f32>, &'a mut [f32]);

impl pulp::WithSimd for PackAcross<'_> {
    type Output = ();
    fn with_simd<S: pulp::Simd>(self, simd: S) {
        super::transpose::pack_across(simd, self.0, self.1);
    }
}

#[test]
fn packing_a_panel_across_moves_each_value_to_its_place() {
    // Rows of 100 values; panels from row 3 and depth 7, whole 16 × 16
    // blocks and ragged edges in both directions, dead rows at the bottom.
    let (rows, rs) = (70, 100);
    let src: Vec<f32> = (0..rows * rs).map(|i| i as f32).collect();
    at_every_level(|level| {
        for (mr, live, kc) in [
            (48, 48, 64),
            (48, 48, 37),
            (48, 35, 50),
            (16, 16, 93),
            (48, 3, 16),
            (24, 24, 17),
            (8, 8, 40),
            (8, 5, 33),
            (8, 8, 16),
        ] {
            let (r0, p0) = (3, 7);
            // The source ends at the last value the panel takes: a read
            // past it panics.
            let src = &src[..(r0 + live - 1) * rs + p0 + kc];
            let mut dst = vec![f32::NAN; mr * kc + 5];
            let panel = Panel {
                src,
                rs,
                r0,
                p0,
                kc,
                mr,
                live,
            };
            super::dispatch(PackAcross(panel, &mut dst));
            for p in 0..kc {
                for r in 0..mr {
                    let want = if r < live {
                        src[(r0 + r) * rs + p0 + p]
                    } else {
                        0.0
                    };
                    assert_eq!(
                        dst[p * mr + r].to_bits(),
                        want.to_bits(),
                        "{level:?} mr {mr} live {live} kc {kc}: row {r}, depth {p}"
                    );
                }
            }
            assert!(
                dst[mr * kc..].iter().all(|x| x.is_nan()),
                "{level:?}: wrote past the panel"
            );
        }
    });
}
