//! One example's distortion: its random numbers, its affine map and smoothed
//! displacement field, and the bilinear resampling at the displaced
//! coordinates. All geometry is in `f32`; only the interpolation of pixel
//! values is done in the data set's scalar type.

use crate::Real;
use crate::scalar::from_f64;

/// The SplitMix64 generator (Steele, Lea and Flood, 2014): one 64-bit
/// state, a Weyl sequence scrambled by a bijective mixer. Small and fast,
/// and, being defined here, its numbers never change with a `rand` release,
/// so an augmented data set stays the same for a seed.
#[derive(Debug, Clone)]
pub(super) struct SplitMix64(u64);

/// The Weyl increment of SplitMix64 (2⁶⁴ divided by the golden ratio).
const GOLDEN_GAMMA: u64 = 0x9E37_79B9_7F4A_7C15;

/// SplitMix64's output function, a bijection of u64 that mixes every bit.
pub(super) fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl SplitMix64 {
    /// The generator of example `index` in the epoch of `epoch_seed`: a
    /// function of the two numbers only, so that the example's distortion
    /// does not depend on which thread draws it or in which order.
    pub(super) fn for_example(epoch_seed: u64, index: usize) -> Self {
        SplitMix64(mix(epoch_seed) ^ mix((index as u64).wrapping_add(GOLDEN_GAMMA)))
    }

    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(GOLDEN_GAMMA);
        mix(self.0)
    }

    /// Uniform in [−1, 1), with 24 random bits (exact in `f32`).
    fn symmetric(&mut self) -> f32 {
        const ULP: f32 = 1.0 / (1u32 << 23) as f32;
        (self.next_u64() >> 40) as f32 * ULP - 1.0
    }

    /// Uniform on the integers −k..=k (k ≤ 2¹⁶, so the modulo's bias is
    /// below 2⁻⁴⁶).
    fn offset(&mut self, k: u32) -> f32 {
        let span = 2 * u64::from(k) + 1;
        (self.next_u64() % span) as f32 - k as f32
    }
}

/// The ranges an example's distortion is drawn from (validated settings of
/// an [`ImageAugmenter`](super::ImageAugmenter), in the units of the math).
#[derive(Debug, Clone, Copy)]
pub(super) struct Ranges {
    pub width: usize,
    pub height: usize,
    pub channels: usize,
    /// k: shifts are integers in −k..=k.
    pub max_shift: u32,
    /// θ in radians.
    pub max_angle: f32,
    /// s: scalings are in [1 − s, 1 + s].
    pub max_scaling: f32,
    /// α, in pixels per unit of the smoothed field (0: no elastic part).
    pub alpha: f32,
}

/// The affine part of one example's distortion: the image is shifted by
/// t = (t_x, t_y), turned by φ and scaled by f about its centre c.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Affine {
    pub shift: (f32, f32),
    /// φ in radians.
    pub angle: f32,
    /// f > 0.
    pub scale: f32,
}

impl Affine {
    /// No change.
    #[cfg(test)]
    pub(super) const IDENTITY: Affine = Affine {
        shift: (0.0, 0.0),
        angle: 0.0,
        scale: 1.0,
    };

    /// The image moves by T(q) = c + f R(φ) (q − c) + t, so the output pixel
    /// p reads the source at T⁻¹(p) = c + (1/f) R(−φ) (p − c − t); this is
    /// that map as the matrix M = (1/f) R(−φ) and the offset c − M (c + t),
    /// so that T⁻¹(p) = M p + offset.
    fn inverse(&self, centre: (f32, f32)) -> ([[f32; 2]; 2], (f32, f32)) {
        let (sin, cos) = self.angle.sin_cos();
        let m = [
            [cos / self.scale, sin / self.scale],
            [-sin / self.scale, cos / self.scale],
        ];
        let (ux, uy) = (centre.0 + self.shift.0, centre.1 + self.shift.1);
        let offset = (
            centre.0 - (m[0][0] * ux + m[0][1] * uy),
            centre.1 - (m[1][0] * ux + m[1][1] * uy),
        );
        (m, offset)
    }
}

/// Buffers for one example's displacement field, allocated once per
/// [`Scratch::new`] and reused for every example.
///
/// The field is kept as (d_x, d_y) pairs, pixel after pixel (2 w h
/// values), so that both components are blurred in one pass over rows
/// twice as long.
#[derive(Debug, Clone)]
pub(super) struct Scratch {
    /// Half of the normalised Gaussian kernel g, centre first: g(0), g(1),
    /// …, g(r) (the kernel is symmetric).
    half_kernel: Vec<f32>,
    /// The field: (d_x, d_y) of pixel p at 2p and 2p + 1.
    pub(super) field: Vec<f32>,
    /// The field after the horizontal pass, with r rows of zeros above
    /// and below.
    tmp: Vec<f32>,
    /// One row of the field with r pairs of zeros on either side.
    padded: Vec<f32>,
}

impl Scratch {
    /// Buffers for `width` × `height` images and a Gaussian of σ = `sigma`
    /// pixels, truncated at 3σ (and at the image's size: taps beyond it
    /// only ever meet the zero padding) and normalised to sum 1.
    pub(super) fn new(width: usize, height: usize, sigma: f64) -> Self {
        let reach = width.max(height).saturating_sub(1);
        // Finite and > 0 (validated); the cast saturates for huge σ.
        let radius = ((3.0 * sigma).ceil() as usize).min(reach);
        let taps: Vec<f64> = (0..=radius)
            .map(|k| (-((k * k) as f64) / (2.0 * sigma * sigma)).exp())
            .collect();
        let total = 2.0 * taps.iter().sum::<f64>() - taps[0];
        let row = 2 * width;
        Scratch {
            half_kernel: taps.iter().map(|g| (g / total) as f32).collect(),
            field: vec![0.0; row * height],
            tmp: vec![0.0; row * (height + 2 * radius)],
            padded: vec![0.0; row + 4 * radius],
        }
    }

    /// The kernel's radius r (it has 2r + 1 taps).
    fn radius(&self) -> usize {
        self.half_kernel.len() - 1
    }

    /// The displacement field of Simard et al.: uniform noise in [−1, 1)
    /// for each pixel and axis, smoothed by the Gaussian and scaled by α.
    /// Leaves it in `self.field`.
    pub(super) fn elastic_field(&mut self, rng: &mut SplitMix64, ranges: &Ranges) {
        for u in &mut self.field {
            *u = rng.symmetric();
        }
        self.blur(ranges.width, ranges.alpha);
    }

    /// `field` ← `scale` · (g ∗ field), the Gaussian blur as two 1-D
    /// passes (rows, then columns), with zeros outside the image. Each
    /// pass adds rows shifted by ±k times g(k) (one product for the two
    /// symmetric taps), loops that vectorise.
    fn blur(&mut self, w: usize, scale: f32) {
        let (r, row) = (self.radius(), 2 * w);
        let g = &self.half_kernel;
        // Horizontal: tmp[y][x] = Σ_k g(k) (field[y][x − k] + field[y][x + k]),
        // into the rows of `tmp` below its r rows of zeros.
        let rows = self.field.chunks_exact(row);
        for (source, out) in rows.zip(self.tmp[r * row..].chunks_exact_mut(row)) {
            let centre = 2 * r;
            self.padded[centre..centre + row].copy_from_slice(source);
            for (o, &v) in out.iter_mut().zip(source) {
                *o = g[0] * v;
            }
            for (k, &gk) in g.iter().enumerate().skip(1) {
                let left = &self.padded[centre - 2 * k..][..row];
                let right = &self.padded[centre + 2 * k..][..row];
                for ((o, &a), &b) in out.iter_mut().zip(left).zip(right) {
                    *o += gk * (a + b);
                }
            }
        }
        // Vertical: field[y][x] = scale · Σ_k g(k) (tmp[y − k][x] + tmp[y + k][x]).
        let tmp = &self.tmp;
        for (y, out) in self.field.chunks_exact_mut(row).enumerate() {
            let centre = (y + r) * row;
            for (o, &v) in out.iter_mut().zip(&tmp[centre..centre + row]) {
                *o = g[0] * v;
            }
            for (k, &gk) in g.iter().enumerate().skip(1) {
                let above = &tmp[centre - k * row..][..row];
                let below = &tmp[centre + k * row..][..row];
                for ((o, &a), &b) in out.iter_mut().zip(above).zip(below) {
                    *o += gk * (a + b);
                }
            }
            for o in out.iter_mut() {
                *o *= scale;
            }
        }
    }
}

/// Draws one example's affine distortion (always three or four numbers, so
/// the elastic field that follows is drawn from the same place in the
/// stream whatever the settings).
pub(super) fn draw_affine(rng: &mut SplitMix64, ranges: &Ranges) -> Affine {
    let shift = (rng.offset(ranges.max_shift), rng.offset(ranges.max_shift));
    let angle = ranges.max_angle * rng.symmetric();
    let scale = 1.0 + ranges.max_scaling * rng.symmetric();
    Affine {
        shift,
        angle,
        scale,
    }
}

/// ⌊s⌋ and s − ⌊s⌋, for s clamped to [−2, `limit`] first (a point
/// further out reads only background either way, and the integers stay
/// small). Avoids the library call `f32::floor` makes on x86-64 without
/// SSE4.1.
fn floor(s: f32, limit: f32) -> (i64, f32) {
    let s = s.clamp(-2.0, limit);
    let t = s as i64;
    let t = if (t as f32) > s { t - 1 } else { t };
    (t, s - t as f32)
}

/// Resamples `source` (channel planes of w × h, row-major) into `out`:
/// output pixel p = (x, y) takes the bilinear interpolation of the source
/// at T⁻¹(p) + d(p), with d the (d_x, d_y) pairs of `field` (if any), and
/// 0 for pixels outside the image. The same map is used for every channel.
pub(super) fn resample<T: Real>(
    source: &[T],
    out: &mut [T],
    ranges: &Ranges,
    affine: &Affine,
    field: Option<&[f32]>,
) {
    let (w, h) = (ranges.width, ranges.height);
    let centre = ((w as f32 - 1.0) / 2.0, (h as f32 - 1.0) / 2.0);
    let (m, offset) = affine.inverse(centre);
    let plane = w * h;
    let (wi, hi) = (w as i64, h as i64);
    let t = |v: f32| from_f64::<T>(f64::from(v));
    for y in 0..h {
        let py = y as f32;
        let (row_x, row_y) = (m[0][1] * py + offset.0, m[1][1] * py + offset.1);
        for x in 0..w {
            let p = y * w + x;
            let px = x as f32;
            let mut sx = m[0][0] * px + row_x;
            let mut sy = m[1][0] * px + row_y;
            if let Some(d) = field {
                sx += d[2 * p];
                sy += d[2 * p + 1];
            }
            let ((x0, fx), (y0, fy)) = (floor(sx, w as f32 + 1.0), floor(sy, h as f32 + 1.0));
            let weights = [
                (1.0 - fx) * (1.0 - fy),
                fx * (1.0 - fy),
                (1.0 - fx) * fy,
                fx * fy,
            ];
            if (0..wi - 1).contains(&x0) && (0..hi - 1).contains(&y0) {
                // All four neighbours inside: no checks.
                let q = y0 as usize * w + x0 as usize;
                let [w00, w10, w01, w11] = weights.map(t);
                for c in 0..ranges.channels {
                    let src = &source[c * plane..][..plane];
                    out[c * plane + p] =
                        src[q] * w00 + src[q + 1] * w10 + src[q + w] * w01 + src[q + w + 1] * w11;
                }
                continue;
            }
            let corners = [(x0, y0), (x0 + 1, y0), (x0, y0 + 1), (x0 + 1, y0 + 1)];
            for c in 0..ranges.channels {
                let src = &source[c * plane..][..plane];
                let mut value = T::zero();
                for (&(i, j), &weight) in corners.iter().zip(&weights) {
                    if weight != 0.0 && (0..wi).contains(&i) && (0..hi).contains(&j) {
                        value += src[j as usize * w + i as usize] * t(weight);
                    }
                }
                out[c * plane + p] = value;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ranges(w: usize, h: usize, alpha: f32) -> Ranges {
        Ranges {
            width: w,
            height: h,
            channels: 1,
            max_shift: 0,
            max_angle: 0.0,
            max_scaling: 0.0,
            alpha,
        }
    }

    fn warp(image: &[f32], w: usize, h: usize, affine: Affine) -> Vec<f32> {
        let mut out = vec![f32::NAN; image.len()];
        resample(image, &mut out, &ranges(w, h, 0.0), &affine, None);
        out
    }

    #[test]
    fn uniforms_cover_their_ranges() {
        let mut rng = SplitMix64::for_example(1, 2);
        let u: Vec<f32> = (0..10_000).map(|_| rng.symmetric()).collect();
        assert!(u.iter().all(|&v| (-1.0..1.0).contains(&v)));
        let mean = u.iter().sum::<f32>() / u.len() as f32;
        assert!(mean.abs() < 0.03, "mean {mean}");
        let k: Vec<f32> = (0..1000).map(|_| rng.offset(2)).collect();
        for v in [-2.0, -1.0, 0.0, 1.0, 2.0] {
            assert!(k.contains(&v), "{v} never drawn");
        }
        assert!(k.iter().all(|v| v.abs() <= 2.0));
    }

    #[test]
    fn examples_get_different_streams() {
        let a = SplitMix64::for_example(7, 0).next_u64();
        assert_ne!(a, SplitMix64::for_example(7, 1).next_u64());
        assert_ne!(a, SplitMix64::for_example(8, 0).next_u64());
        assert_eq!(a, SplitMix64::for_example(7, 0).next_u64());
    }

    #[test]
    fn the_identity_copies_every_pixel() {
        let image: Vec<f32> = (0..35).map(|i| i as f32 / 7.0).collect();
        assert_eq!(warp(&image, 7, 5, Affine::IDENTITY), image);
    }

    #[test]
    fn a_shift_moves_a_pixel_by_whole_pixels() {
        let (w, h) = (6, 5);
        let mut image = vec![0.0; w * h];
        image[2 * w + 3] = 0.75;
        let right = Affine {
            shift: (1.0, 0.0),
            ..Affine::IDENTITY
        };
        let out = warp(&image, w, h, right);
        let mut expected = vec![0.0; w * h];
        expected[2 * w + 4] = 0.75;
        assert_eq!(out, expected);
        let up_left = Affine {
            shift: (-2.0, -1.0),
            ..Affine::IDENTITY
        };
        let mut expected = vec![0.0; w * h];
        expected[w + 1] = 0.75;
        assert_eq!(warp(&image, w, h, up_left), expected);
    }

    #[test]
    fn a_quarter_turn_maps_corner_to_corner() {
        // Positive φ turns clockwise as displayed (y points down):
        // top-left → top-right → bottom-right → bottom-left → top-left.
        let n = 5;
        let quarter = Affine {
            angle: std::f32::consts::FRAC_PI_2,
            ..Affine::IDENTITY
        };
        let corners = [(0, 0), (n - 1, 0), (n - 1, n - 1), (0, n - 1)];
        for (i, &(x, y)) in corners.iter().enumerate() {
            let mut image = vec![0.0; n * n];
            image[y * n + x] = 1.0;
            let out = warp(&image, n, n, quarter);
            let (tx, ty) = corners[(i + 1) % 4];
            assert!((out[ty * n + tx] - 1.0).abs() < 1e-5, "{out:?}");
            let rest: f32 = out.iter().sum::<f32>() - out[ty * n + tx];
            assert!(rest.abs() < 1e-5);
        }
    }

    #[test]
    fn scaling_about_the_centre_keeps_the_centre() {
        let n = 9;
        let mut image = vec![0.0; n * n];
        image[4 * n + 4] = 1.0;
        image[4 * n + 6] = 1.0;
        let twice = Affine {
            scale: 2.0,
            ..Affine::IDENTITY
        };
        let out = warp(&image, n, n, twice);
        assert_eq!(out[4 * n + 4], 1.0);
        // The pixel two to the right of the centre lands four to the right.
        assert_eq!(out[4 * n + 8], 1.0);
        // Half-way between, the interpolation reads between the two.
        assert_eq!(out[4 * n + 7], 0.5);
    }

    #[test]
    fn outside_the_image_reads_zero() {
        let image = vec![1.0f32; 16];
        let far = Affine {
            shift: (10.0, 0.0),
            ..Affine::IDENTITY
        };
        assert!(warp(&image, 4, 4, far).iter().all(|&v| v == 0.0));
        let half = Affine {
            shift: (0.5, 0.0),
            ..Affine::IDENTITY
        };
        let out = warp(&image, 4, 4, half);
        assert_eq!(&out[..4], &[0.5, 1.0, 1.0, 1.0]);
    }

    #[test]
    fn the_kernel_is_a_normalised_gaussian() {
        let s = Scratch::new(28, 28, 4.0);
        assert_eq!(s.radius(), 12);
        let g = &s.half_kernel;
        let total: f32 = 2.0 * g.iter().sum::<f32>() - g[0];
        assert!((total - 1.0).abs() < 1e-6);
        assert!(g.windows(2).all(|p| p[0] > p[1]));
        // g(σ)/g(0) = e^(−1/2).
        assert!((g[4] / g[0] - (-0.5f32).exp()).abs() < 1e-6);
        // Truncated at the image's size for a wide Gaussian.
        assert_eq!(Scratch::new(3, 2, 100.0).radius(), 2);
    }

    /// Mean and correlation of neighbouring displacements over many fields.
    fn field_statistics(alpha: f32, sigma: f64) -> (f32, f32) {
        let (w, h) = (28, 28);
        let r = ranges(w, h, alpha);
        let mut s = Scratch::new(w, h, sigma);
        let (mut sq, mut cross, mut count) = (0.0f64, 0.0f64, 0usize);
        for i in 0..200 {
            s.elastic_field(&mut SplitMix64::for_example(3, i), &r);
            // Interior pixels only, away from the zero padding's fall-off.
            for y in 8..20 {
                for x in 8..20 {
                    let (a, b) = (s.field[2 * (y * w + x)], s.field[2 * (y * w + x + 1)]);
                    sq += f64::from(a * a);
                    cross += f64::from(a * b);
                    count += 1;
                }
            }
        }
        let rms = (sq / count as f64).sqrt() as f32;
        (rms, (cross / sq) as f32)
    }

    #[test]
    fn the_elastic_field_is_smooth_and_scales_with_alpha() {
        let (rms, correlation) = field_statistics(34.0, 4.0);
        // Noise of variance 1/3 smoothed by a 2-D Gaussian keeps a variance
        // of about (1/3) / (4πσ²); times α² = 34² that is an RMS of ≈ 1.4 px.
        let expected = 34.0 * (1.0f32 / 3.0 / (4.0 * std::f32::consts::PI * 16.0)).sqrt();
        assert!((rms / expected - 1.0).abs() < 0.15, "{rms} vs {expected}");
        // Neighbours are correlated as exp(−1/(4σ²)) ≈ 0.98.
        assert!(correlation > 0.95, "{correlation}");
        let (rms_double, _) = field_statistics(68.0, 4.0);
        assert!((rms_double / rms - 2.0).abs() < 1e-4);
        // A small σ leaves the field rough.
        let (_, rough) = field_statistics(34.0, 0.3);
        assert!(rough < 0.2, "{rough}");
    }
}
