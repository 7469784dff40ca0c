//! Packing a panel of a matrix stored across, for the packed products of
//! [`super::gemm`]: the rows of the panel are contiguous in memory and the
//! panel wants them down, `mr` values (one per row) per step of the depth.
//!
//! The forward pass packs wᵀ this way, every neuron's weights being
//! contiguous: 392,000 values per call for a 784 → 500 layer. Value by
//! value that is a load and a store per weight, 2 cycles or so: on the
//! 784-500-500-10 network at m = 100 it took about a third of each forward
//! pass, and as each of two threads packs all of wᵀ for its own examples,
//! it also kept two threads from halving the time. With AVX-512 and `f32`,
//! sixteen rows of sixteen values are transposed in registers instead
//! (16 loads, 64 shuffles, 16 stores per 256 values); with AVX2, eight
//! rows of eight (wᵀ only: AVX2's slivers of B are 6 columns wide). Only
//! values move, so the products' bits do not change.

use pulp::Simd;

use super::simd::Elem;

/// A panel to pack: rows `r0..r0 + live` of a matrix stored across (row
/// `r` from `src[r·rs]` on), depths `p0..p0 + kc`, zero rows below them
/// up to `mr`.
#[derive(Clone, Copy, Debug)]
pub(super) struct Panel<'a, T> {
    pub src: &'a [T],
    pub rs: usize,
    pub r0: usize,
    pub p0: usize,
    pub kc: usize,
    pub mr: usize,
    pub live: usize,
}

impl<'a, T> Panel<'a, T> {
    /// Where row `r`, depth `p` of the panel sits in `src`.
    #[inline(always)]
    fn at(&self, r: usize, p: usize) -> usize {
        (self.r0 + r) * self.rs + self.p0 + p
    }

    /// The same panel of `src` (the same values, seen as another type).
    fn of<U>(self, src: &'a [U]) -> Panel<'a, U> {
        let Panel {
            rs,
            r0,
            p0,
            kc,
            mr,
            live,
            ..
        } = self;
        Panel {
            src,
            rs,
            r0,
            p0,
            kc,
            mr,
            live,
        }
    }

    /// The rows and depths that whole `group × group` transposes cover:
    /// whole groups of live rows (none if `mr` is not made of groups),
    /// whole steps of the depth.
    fn whole(&self, group: usize) -> (usize, usize) {
        let rows = if self.mr.is_multiple_of(group) {
            self.live.min(self.mr) / group * group
        } else {
            0
        };
        (rows, self.kc / group * group)
    }
}

/// `dst[p·mr + r]` = row `r`, depth `p` of the panel for rows `r < live`
/// and depths `p < kc`; rows `live..mr` of `dst` are zeros. `dst` holds
/// `mr · kc` values.
#[inline(always)]
pub(super) fn pack_across<S: Simd, T: Elem>(simd: S, panel: Panel<'_, T>, dst: &mut [T]) {
    let dst = &mut dst[..panel.mr * panel.kc];
    // Rows and depths already packed by the transposes.
    let (rows_done, depth_done) = fast_pack(simd, panel, dst);
    for (p, d) in dst.chunks_exact_mut(panel.mr).enumerate() {
        let r_from = if p < depth_done { rows_done } else { 0 };
        for (r, d) in d.iter_mut().enumerate().skip(r_from) {
            *d = if r < panel.live {
                panel.src[panel.at(r, p)]
            } else {
                T::default()
            };
        }
    }
}

/// Packs what the instruction set can transpose in registers: the rows
/// `0..rows` for the depths `0..depth` it returns, `(0, 0)` for none.
#[inline(always)]
fn fast_pack<S: Simd, T: Elem>(simd: S, panel: Panel<'_, T>, dst: &mut [T]) -> (usize, usize) {
    // Fewer than 8 live rows or depths (AVX2's slivers of B, 6 wide): no
    // whole transpose to make.
    #[cfg(target_arch = "x86_64")]
    if panel.live >= 8
        && panel.kc >= 8
        && let (Some(src), Some(dst)) = (T::as_f32(panel.src), T::as_f32_mut(dst))
    {
        // Through a call of its own, compiled for the instruction set
        // (pulp's `vectorize`): inlined here, the transposes made the
        // product's loop too big for LLVM to inline its micro-kernels and
        // stores, and the 784-500-500-10 network trained 1.6 times slower.
        let op = PackF32 {
            panel: panel.of(src),
            dst,
        };
        let simd: &dyn std::any::Any = &simd;
        if let Some(&v4) = simd.downcast_ref::<pulp::x86::V4>() {
            return Simd::vectorize(v4, op);
        }
        if let Some(&v3) = simd.downcast_ref::<pulp::x86::V3>() {
            return Simd::vectorize(v3, op);
        }
        return (0, 0);
    }
    let _ = (simd, panel, dst);
    (0, 0)
}

/// An `f32` panel for [`pack_16x16`] or [`pack_8x8`].
#[cfg(target_arch = "x86_64")]
struct PackF32<'a> {
    panel: Panel<'a, f32>,
    dst: &'a mut [f32],
}

#[cfg(target_arch = "x86_64")]
impl pulp::WithSimd for PackF32<'_> {
    type Output = (usize, usize);

    #[inline(always)]
    fn with_simd<S: Simd>(self, simd: S) -> Self::Output {
        let Self { panel, dst } = self;
        let simd: &dyn std::any::Any = &simd;
        if let Some(&v4) = simd.downcast_ref::<pulp::x86::V4>() {
            if panel.mr == 8 {
                pack_16x16::<8>(v4, panel, dst)
            } else {
                pack_16x16::<16>(v4, panel, dst)
            }
        } else if let Some(&v3) = simd.downcast_ref::<pulp::x86::V3>() {
            pack_8x8(v3, panel, dst)
        } else {
            (0, 0)
        }
    }
}

/// [`fast_pack`] with AVX2 on `f32`: whole groups of 8 live rows, whole
/// steps of 8 depths.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn pack_8x8(simd: pulp::x86::V3, panel: Panel<'_, f32>, dst: &mut [f32]) -> (usize, usize) {
    let (rows, depth) = panel.whole(8);
    let (mr, f) = (panel.mr, simd.avx);
    for g in (0..rows).step_by(8) {
        for p in (0..depth).step_by(8) {
            let mut r: [core::arch::x86_64::__m256; 8] = [pulp::cast([0f32; 8]); 8];
            for (i, r) in r.iter_mut().enumerate() {
                let at = panel.at(g + i, p);
                let row: [f32; 8] = panel.src[at..at + 8].try_into().expect("8 values");
                *r = pulp::cast(row);
            }
            // Pairs of values, pairs of pairs, then the 128-bit halves.
            let mut t = r;
            for k in 0..4 {
                t[2 * k] = f._mm256_unpacklo_ps(r[2 * k], r[2 * k + 1]);
                t[2 * k + 1] = f._mm256_unpackhi_ps(r[2 * k], r[2 * k + 1]);
            }
            let mut u = t;
            for k in 0..2 {
                for h in 0..2 {
                    let (a, b) = (t[4 * k + h], t[4 * k + 2 + h]);
                    u[4 * k + 2 * h] = f._mm256_shuffle_ps::<0x44>(a, b);
                    u[4 * k + 2 * h + 1] = f._mm256_shuffle_ps::<0xee>(a, b);
                }
            }
            for i in 0..4 {
                t[i] = f._mm256_permute2f128_ps::<0x20>(u[i], u[4 + i]);
                t[4 + i] = f._mm256_permute2f128_ps::<0x31>(u[i], u[4 + i]);
            }
            for (j, t) in t.iter().enumerate() {
                let at = (p + j) * mr + g;
                let out: &mut [f32; 8] = (&mut dst[at..at + 8]).try_into().expect("8 values");
                *out = pulp::cast(*t);
            }
        }
    }
    (rows, depth)
}

/// [`fast_pack`] with AVX-512 on `f32`: whole groups of 16 live rows (or
/// the 8 of a sliver of B, `mr` = 8, through the same transpose with 8
/// rows of zeros), whole steps of 16 depths.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn pack_16x16<const GROUP: usize>(
    simd: pulp::x86::V4,
    panel: Panel<'_, f32>,
    dst: &mut [f32],
) -> (usize, usize) {
    let (rows, _) = panel.whole(GROUP);
    let (_, depth) = panel.whole(16);
    let mr = panel.mr;
    for g in (0..rows).step_by(GROUP) {
        for p in (0..depth).step_by(16) {
            let mut v: [core::arch::x86_64::__m512; 16] = [pulp::cast([0f32; 16]); 16];
            for (i, v) in v.iter_mut().enumerate().take(GROUP) {
                let at = panel.at(g + i, p);
                let row: [f32; 16] = panel.src[at..at + 16].try_into().expect("16 values");
                *v = pulp::cast(row);
            }
            let t = transpose_16x16(simd, v);
            for (j, t) in t.iter().enumerate() {
                let at = (p + j) * mr + g;
                let col: [f32; 16] = pulp::cast(*t);
                let out: &mut [f32; GROUP] =
                    (&mut dst[at..at + GROUP]).try_into().expect("GROUP values");
                *out = col[..GROUP].try_into().expect("GROUP <= 16");
            }
        }
    }
    (rows, depth)
}

/// The transpose of 16 × 16 `f32` in registers: `out[j]` lane `i` is
/// `v[i]` lane `j`. Four rounds of shuffles: pairs of values, pairs of
/// pairs, 128-bit quarters and halves.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn transpose_16x16(
    simd: pulp::x86::V4,
    v: [core::arch::x86_64::__m512; 16],
) -> [core::arch::x86_64::__m512; 16] {
    let f = simd.avx512f;
    let mut t = v;
    // Round 1: interleave the values of rows 2k and 2k + 1.
    for k in 0..8 {
        t[2 * k] = f._mm512_unpacklo_ps(v[2 * k], v[2 * k + 1]);
        t[2 * k + 1] = f._mm512_unpackhi_ps(v[2 * k], v[2 * k + 1]);
    }
    // Round 2: interleave pairs of values of rows 4k.. and 4k + 2...
    let mut u = t;
    for k in 0..4 {
        for h in 0..2 {
            let (a, b) = (
                f._mm512_castps_pd(t[4 * k + h]),
                f._mm512_castps_pd(t[4 * k + 2 + h]),
            );
            u[4 * k + 2 * h] = f._mm512_castpd_ps(f._mm512_unpacklo_pd(a, b));
            u[4 * k + 2 * h + 1] = f._mm512_castpd_ps(f._mm512_unpackhi_pd(a, b));
        }
    }
    // Round 3: the even and the odd 128-bit quarters of rows 8k + i and
    // 8k + 4 + i.
    for k in 0..2 {
        for i in 0..4 {
            let (a, b) = (u[8 * k + i], u[8 * k + 4 + i]);
            t[8 * k + i] = f._mm512_shuffle_f32x4::<0x88>(a, b);
            t[8 * k + 4 + i] = f._mm512_shuffle_f32x4::<0xdd>(a, b);
        }
    }
    // Round 4: the same across the two halves.
    for i in 0..8 {
        let (a, b) = (t[i], t[8 + i]);
        u[i] = f._mm512_shuffle_f32x4::<0x88>(a, b);
        u[8 + i] = f._mm512_shuffle_f32x4::<0xdd>(a, b);
    }
    u
}

#[cfg(test)]
mod tests {
    use super::*;

    fn panel(src: &[f32], mr: usize, live: usize, kc: usize) -> Panel<'_, f32> {
        let (rs, r0, p0) = (100, 3, 7);
        Panel {
            src,
            rs,
            r0,
            p0,
            kc,
            mr,
            live,
        }
    }

    #[test]
    fn whole_transposes_cover_full_groups_of_live_rows_and_full_steps() {
        assert_eq!(panel(&[], 48, 48, 64).whole(16), (48, 64));
        assert_eq!(panel(&[], 48, 35, 50).whole(16), (32, 48));
        assert_eq!(panel(&[], 8, 5, 33).whole(8), (0, 32));
        // 24 rows are not groups of 16, but are groups of 8.
        assert_eq!(panel(&[], 24, 24, 17).whole(16), (0, 16));
        assert_eq!(panel(&[], 24, 24, 17).whole(8), (24, 16));
    }

    /// The packing test checks the values, which the value-by-value loop
    /// gets right alone; this checks that the transposes did their part.
    #[test]
    fn the_transposes_pack_what_they_cover_where_the_cpu_has_them() {
        struct Fast<'a>(Panel<'a, f32>, &'a mut [f32]);
        impl pulp::WithSimd for Fast<'_> {
            type Output = (usize, usize);
            fn with_simd<S: Simd>(self, simd: S) -> (usize, usize) {
                fast_pack(simd, self.0, self.1)
            }
        }
        let src: Vec<f32> = (0..70 * 100).map(|i| i as f32).collect();
        let p = panel(&src, 48, 35, 50);
        let mut dst = vec![0.0; 48 * 50];
        let done = pulp::Arch::new().dispatch(Fast(p, &mut dst));
        #[cfg(target_arch = "x86_64")]
        if pulp::x86::V4::try_new().is_some() {
            assert_eq!(done, p.whole(16));
        } else if pulp::x86::V3::try_new().is_some() {
            assert_eq!(done, p.whole(8));
        }
        let _ = done;
    }
}
