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
#[derive(Debug, Clone)]
pub(super) struct Scratch {
    /// The normalised Gaussian kernel g, 2r + 1 taps.
    kernel: Vec<f32>,
    /// The field's x and y components, w × h row-major.
    pub(super) dx: Vec<f32>,
    pub(super) dy: Vec<f32>,
    /// The field after the horizontal pass of the blur.
    tmp: Vec<f32>,
    /// One row with r zeros on either side.
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
        let taps = (0..=2 * radius).map(|k| {
            let d = k as f64 - radius as f64;
            (-d * d / (2.0 * sigma * sigma)).exp()
        });
        let total: f64 = taps.clone().sum();
        let pixels = width * height;
        Scratch {
            kernel: taps.map(|g| (g / total) as f32).collect(),
            dx: vec![0.0; pixels],
            dy: vec![0.0; pixels],
            tmp: vec![0.0; pixels],
            padded: vec![0.0; width + 2 * radius],
        }
    }

    /// The displacement field of Simard et al.: uniform noise in [−1, 1)
    /// for each pixel and axis, smoothed by the Gaussian and scaled by α.
    /// Leaves it in `self.dx` and `self.dy`.
    pub(super) fn elastic_field(&mut self, rng: &mut SplitMix64, ranges: &Ranges) {
        let (w, h) = (ranges.width, ranges.height);
        for (x, y) in self.dx.iter_mut().zip(self.dy.iter_mut()) {
            *x = rng.symmetric();
            *y = rng.symmetric();
        }
        let mut field = std::mem::take(&mut self.dx);
        self.blur(&mut field, w, h, ranges.alpha);
        self.dx = field;
        let mut field = std::mem::take(&mut self.dy);
        self.blur(&mut field, w, h, ranges.alpha);
        self.dy = field;
    }

    /// `field` ← `scale` · (g ∗ field), the Gaussian blur as two 1-D
    /// passes (rows, then columns), with zeros outside the image. Both
    /// passes are sums of shifted rows times a tap, which vectorise.
    fn blur(&mut self, field: &mut [f32], w: usize, h: usize, scale: f32) {
        let radius = self.kernel.len() / 2;
        // Horizontal: tmp[y][x] = Σ_k g[k] field[y][x + k − r].
        for (row, out) in field.chunks_exact(w).zip(self.tmp.chunks_exact_mut(w)) {
            self.padded[radius..radius + w].copy_from_slice(row);
            out.fill(0.0);
            for (k, &g) in self.kernel.iter().enumerate() {
                for (o, &v) in out.iter_mut().zip(&self.padded[k..k + w]) {
                    *o += g * v;
                }
            }
        }
        // Vertical: field[y][x] = scale · Σ_k g[k] tmp[y + k − r][x].
        for (y, out) in field.chunks_exact_mut(w).enumerate() {
            out.fill(0.0);
            let first = radius.saturating_sub(y);
            let last = (radius + h - 1 - y).min(2 * radius);
            for k in first..=last {
                let g = self.kernel[k];
                let source = &self.tmp[(y + k - radius) * w..][..w];
                for (o, &v) in out.iter_mut().zip(source) {
                    *o += g * v;
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

/// Resamples `source` (channel planes of w × h, row-major) into `out`:
/// output pixel p = (x, y) takes the bilinear interpolation of the source
/// at T⁻¹(p) + d(p), with d the field in `field` (if any), and 0 for
/// pixels outside the image. The same map is used for every channel.
pub(super) fn resample<T: Real>(
    source: &[T],
    out: &mut [T],
    ranges: &Ranges,
    affine: &Affine,
    field: Option<(&[f32], &[f32])>,
) {
    let (w, h) = (ranges.width, ranges.height);
    let centre = ((w as f32 - 1.0) / 2.0, (h as f32 - 1.0) / 2.0);
    let (m, offset) = affine.inverse(centre);
    let plane = w * h;
    for y in 0..h {
        for x in 0..w {
            let p = y * w + x;
            let (px, py) = (x as f32, y as f32);
            let mut sx = m[0][0] * px + m[0][1] * py + offset.0;
            let mut sy = m[1][0] * px + m[1][1] * py + offset.1;
            if let Some((dx, dy)) = field {
                sx += dx[p];
                sy += dy[p];
            }
            let (x0, y0) = (sx.floor(), sy.floor());
            let (fx, fy) = (sx - x0, sy - y0);
            // Saturating casts: far-off coordinates stay far off.
            let (x0, y0) = (x0 as i64, y0 as i64);
            let weights = [
                (x0, y0, (1.0 - fx) * (1.0 - fy)),
                (x0 + 1, y0, fx * (1.0 - fy)),
                (x0, y0 + 1, (1.0 - fx) * fy),
                (x0 + 1, y0 + 1, fx * fy),
            ];
            for c in 0..ranges.channels {
                let src = &source[c * plane..][..plane];
                let mut value = T::zero();
                for &(i, j, weight) in &weights {
                    if weight != 0.0 && (0..w as i64).contains(&i) && (0..h as i64).contains(&j) {
                        let q = j as usize * w + i as usize;
                        value += src[q] * from_f64::<T>(f64::from(weight));
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
        assert_eq!(s.kernel.len(), 25);
        let total: f32 = s.kernel.iter().sum();
        assert!((total - 1.0).abs() < 1e-6);
        assert!(s.kernel.windows(2).take(12).all(|p| p[0] < p[1]));
        assert_eq!(s.kernel[11], s.kernel[13]);
        // Truncated at the image's size for a wide Gaussian.
        assert_eq!(Scratch::new(3, 2, 100.0).kernel.len(), 5);
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
                    let (a, b) = (s.dx[y * w + x], s.dx[y * w + x + 1]);
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
