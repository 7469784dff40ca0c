//! Turning a picture of a handwritten digit into what an MNIST network saw
//! in training, as MNIST itself was made: [`preprocess_digit`].

use nalgebra::DVector;

use crate::{Error, Real, Result};

/// The side of an MNIST image, in pixels.
pub const SIDE: usize = 28;

/// The side of the box an MNIST digit is scaled to fit, in pixels.
pub const DIGIT_BOX: usize = 20;

/// The most pixels [`ImageView::new`] accepts: 16 Mpixel (4096 × 4096).
///
/// Decoders should check an image's size against it *before* decoding, so
/// that a small compressed file that unpacks to gigabytes (a "decompression
/// bomb") is refused without being unpacked.
pub const MAX_IMAGE_PIXELS: usize = 1 << 24;

/// The least difference, in grey levels of 0 to 255, between paper and ink
/// for the ink to count as ink.
const MIN_CONTRAST: f32 = 24.0;

/// Where MNIST's digits have their centre of mass, in pixel indices (the
/// mean over the test set is (14.00, 13.99)).
const CENTRE: f32 = 14.0;

/// A borrowed 8-bit image: `width × height` pixels, row after row, each of
/// `channels` samples.
///
/// | channels | samples per pixel |
/// |---|---|
/// | 1 | grey |
/// | 2 | grey, alpha |
/// | 3 | red, green, blue |
/// | 4 | red, green, blue, alpha |
///
/// **Alpha** is coverage: a transparent pixel is paper, an opaque one shows
/// its colour. The paper behind transparent pixels is taken to contrast with
/// the ink: white when the visible pixels are dark on average (a black pen
/// on a transparent canvas), black when they are light. An image without
/// transparency is unaffected by this rule.
///
/// # Examples
///
/// ```
/// use neuralnet::mnist::ImageView;
/// let rgba = vec![255u8; 40 * 30 * 4];
/// let image = ImageView::new(40, 30, 4, &rgba)?;
/// assert_eq!((image.width(), image.height(), image.channels()), (40, 30, 4));
/// # Ok::<(), neuralnet::Error>(())
/// ```
#[derive(Debug, Clone, Copy)]
pub struct ImageView<'a> {
    width: usize,
    height: usize,
    channels: usize,
    samples: &'a [u8],
}

impl<'a> ImageView<'a> {
    /// Checks the sizes and wraps `samples`.
    ///
    /// # Errors
    /// [`Error::ImageDimensions`] if the image is empty, has more than
    /// [`MAX_IMAGE_PIXELS`] pixels or `channels` is not 1 to 4;
    /// [`Error::ImageBuffer`] if `samples` does not hold exactly
    /// `width × height × channels` values.
    pub fn new(width: usize, height: usize, channels: usize, samples: &'a [u8]) -> Result<Self> {
        let refuse = |reason: String| Error::ImageDimensions {
            width,
            height,
            channels,
            reason,
        };
        if !(1..=4).contains(&channels) {
            return Err(refuse(
                "channels must be 1 (grey), 2 (grey, alpha), 3 (RGB) or 4 (RGBA)".into(),
            ));
        }
        if width == 0 || height == 0 {
            return Err(refuse(
                "the image is empty; give a picture of one digit".into(),
            ));
        }
        let pixels = width
            .checked_mul(height)
            .filter(|&n| n <= MAX_IMAGE_PIXELS)
            .ok_or_else(|| {
                refuse(format!(
                    "more than {MAX_IMAGE_PIXELS} pixels (16 Mpixel); scale the picture down first"
                ))
            })?;
        // Cannot overflow: pixels ≤ 2²⁴ and channels ≤ 4.
        let expected = pixels * channels;
        if samples.len() != expected {
            return Err(Error::ImageBuffer {
                width,
                height,
                channels,
                expected,
                got: samples.len(),
            });
        }
        Ok(ImageView {
            width,
            height,
            channels,
            samples,
        })
    }

    /// Width in pixels.
    pub fn width(&self) -> usize {
        self.width
    }

    /// Height in pixels.
    pub fn height(&self) -> usize {
        self.height
    }

    /// Samples per pixel: 1 (grey), 2 (grey, alpha), 3 (RGB) or 4 (RGBA).
    pub fn channels(&self) -> usize {
        self.channels
    }

    /// The samples, row after row, `channels` per pixel.
    pub fn samples(&self) -> &'a [u8] {
        self.samples
    }

    /// Luminance 0 to 255 of every pixel, composited on paper as described
    /// on the type.
    fn luminance(&self) -> Vec<f32> {
        let (colour, alpha) = match self.channels {
            1 => (1, false),
            2 => (1, true),
            3 => (3, false),
            _ => (3, true),
        };
        let grey = |p: &[u8]| {
            if colour == 1 {
                f32::from(p[0])
            } else {
                0.299 * f32::from(p[0]) + 0.587 * f32::from(p[1]) + 0.114 * f32::from(p[2])
            }
        };
        let pixels = self.samples.chunks_exact(self.channels);
        if !alpha {
            return pixels.map(grey).collect();
        }
        // The paper behind transparency contrasts with what is drawn.
        let (mut weighted, mut total) = (0.0f64, 0.0f64);
        for p in self.samples.chunks_exact(self.channels) {
            let a = f64::from(p[self.channels - 1]);
            weighted += a * f64::from(grey(p));
            total += a;
        }
        let paper = if total > 0.0 && weighted / total >= 128.0 {
            0.0
        } else {
            255.0
        };
        pixels
            .map(|p| {
                let a = f32::from(p[self.channels - 1]) / 255.0;
                grey(p) * a + paper * (1.0 - a)
            })
            .collect()
    }
}

/// A digit as an MNIST network sees it, made by [`preprocess_digit`].
#[derive(Debug, Clone, PartialEq)]
pub struct PreparedDigit {
    pixels: Vec<f32>,
    inverted: bool,
    paper: f32,
    ink: f32,
    ink_box: InkBox,
}

/// The part of the original image that holds the ink, in its pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InkBox {
    /// Left edge (first column with ink).
    pub x: usize,
    /// Top edge (first row with ink).
    pub y: usize,
    /// Width in pixels.
    pub width: usize,
    /// Height in pixels.
    pub height: usize,
}

impl PreparedDigit {
    /// The 28 × 28 = 784 input values in [0, 1] (0 = paper, 1 = ink), row
    /// after row as in MNIST.
    pub fn pixels(&self) -> &[f32] {
        &self.pixels
    }

    /// The input x as a vector, for [`Network::feedforward`](crate::Network::feedforward).
    ///
    /// # Shapes
    /// 784 × 1.
    pub fn to_vector<T: Real>(&self) -> DVector<T> {
        DVector::from_iterator(
            self.pixels.len(),
            self.pixels
                .iter()
                .map(|&v| nalgebra::convert::<f64, T>(f64::from(v))),
        )
    }

    /// The input as MNIST's bytes, 0 (paper) to 255 (ink), row after row:
    /// what an IDX image file would hold.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.pixels
            .iter()
            .map(|&v| (v * 255.0).round().clamp(0.0, 255.0) as u8)
            .collect()
    }

    /// Whether the image was inverted: the ink was darker than the paper.
    pub fn inverted(&self) -> bool {
        self.inverted
    }

    /// The paper's grey level in the original (0 to 255, luminance).
    pub fn paper_level(&self) -> f32 {
        self.paper
    }

    /// The ink's grey level in the original (0 to 255, luminance).
    pub fn ink_level(&self) -> f32 {
        self.ink
    }

    /// Where the ink was found in the original image.
    pub fn ink_box(&self) -> InkBox {
        self.ink_box
    }
}

/// Turns a picture of one handwritten digit into the 28 × 28 input of an
/// MNIST network, the way MNIST itself was made.
///
/// A network trained on MNIST has only ever seen digits made in one way
/// (LeCun, Cortes and Burges describe it on the MNIST page): light ink on a
/// black field, the digit *size-normalised to fit a 20 × 20 box* keeping its
/// aspect ratio, anti-aliased, and then *centred by its centre of mass* in a
/// 28 × 28 field. A photo, a scan or a drawing on a web page looks nothing
/// like that, and resampling the whole picture to 28 × 28 does not make it
/// so. This function repeats MNIST's making:
///
///
/// 1. **grey**: colour becomes luminance, Y = 0.299 R + 0.587 G + 0.114 B;
/// 2. **polarity**: the paper's level is the median of the image's border;
///    when the ink is darker than the paper (the usual pen on paper) the
///    image is inverted, so that ink is bright as in MNIST;
/// 3. **levelling**: paper is not pure white and ink not pure black. The
///    paper's level plus its noise (read off the border) becomes 0, the
///    ink's level (a high percentile of what stands out from the paper)
///    becomes 1, and everything is stretched linearly in between;
/// 4. **crop** to the ink's bounding box (ignoring the faintest 0.25 % of
///    the ink's mass on each side, so that a speck of dust far away does not
///    count);
/// 5. **scale** with anti-aliasing (each output pixel averages the area of
///    input it covers) so that the longer side is 20 pixels;
/// 6. **centre**: place the result in a 28 × 28 field so that its centre of
///    mass falls on pixel (14, 14), where MNIST's digits have theirs on
///    average.
///
/// The result's 784 values are in [0, 1], row after row, in the order of
/// [`Mnist`](crate::mnist::Mnist)'s input columns: they go straight into
/// [`Network::feedforward`](crate::Network::feedforward).
///
/// Any size from 1 × 1 to [`MAX_IMAGE_PIXELS`] is accepted; the digit may
/// fill the picture or sit anywhere in it, dark on light or light on dark.
///
/// # Examples
///
/// ```
/// use neuralnet::mnist::{ImageView, preprocess_digit};
/// // A dark vertical stroke, a "1", on light grey paper of 100 × 80.
/// let (w, h) = (100, 80);
/// let mut grey = vec![210u8; w * h];
/// for y in 10..70 {
///     for x in 60..66 {
///         grey[y * w + x] = 30;
///     }
/// }
/// let digit = preprocess_digit(&ImageView::new(w, h, 1, &grey)?)?;
/// assert!(digit.inverted());
/// let input = digit.pixels();
/// assert_eq!(input.len(), 784);
/// // The stroke is 20 pixels tall, its centre of mass moved by a whole
/// // number of pixels to within half a pixel of row 14: rows 4 to 23.
/// let rows_with_ink: Vec<usize> =
///     (0..28).filter(|r| input[r * 28..(r + 1) * 28].iter().any(|&v| v > 0.5)).collect();
/// assert_eq!((rows_with_ink[0], rows_with_ink.len()), (4, 20));
/// # Ok::<(), neuralnet::Error>(())
/// ```
///
/// # Errors
/// [`Error::NoInk`] if nothing stands out from the paper (a blank or
/// nearly uniform picture).
pub fn preprocess_digit(image: &ImageView<'_>) -> Result<PreparedDigit> {
    let (w, h) = (image.width, image.height);
    let mut grey = image.luminance();

    // Polarity and levels. The border is the paper; its spread is noise or
    // shading. The ink is on the side that holds more mass beyond it.
    let mut border = border_values(&grey, w, h);
    border.sort_unstable_by(f32::total_cmp);
    let paper = sorted_percentile(&border, 0.5);
    // The median absolute deviation: robust to ink crossing the border.
    let mut deviation: Vec<f32> = border.iter().map(|&v| (v - paper).abs()).collect();
    deviation.sort_unstable_by(f32::total_cmp);
    let margin = 4.0 * sorted_percentile(&deviation, 0.5) + 3.0;
    let (dark_floor, light_floor) = (paper - margin, paper + margin);
    let (mut dark_mass, mut light_mass) = (0.0f64, 0.0f64);
    let (mut darkest, mut lightest) = (255.0f32, 0.0f32);
    for &v in &grey {
        dark_mass += f64::from((dark_floor - v).max(0.0));
        light_mass += f64::from((v - light_floor).max(0.0));
        darkest = darkest.min(v);
        lightest = lightest.max(v);
    }
    let no_ink = || Error::NoInk {
        paper: paper.round() as u8,
        darkest: darkest.round() as u8,
        lightest: lightest.round() as u8,
    };
    let inverted = dark_mass > light_mass;
    // From here on the ink is bright, as in MNIST.
    let flip = |v: f32| if inverted { 255.0 - v } else { v };
    if inverted {
        grey.iter_mut().for_each(|v| *v = 255.0 - *v);
    }
    let paper_in = flip(paper);
    let floor = if inverted {
        255.0 - dark_floor
    } else {
        light_floor
    };
    let mut candidates: Vec<f32> = grey.iter().copied().filter(|&v| v > floor).collect();
    if candidates.is_empty() {
        return Err(no_ink());
    }
    candidates.sort_unstable_by(f32::total_cmp);
    let ink_in = sorted_percentile(&candidates, 0.9);
    if ink_in - paper_in < MIN_CONTRAST || ink_in - floor < MIN_CONTRAST / 2.0 {
        return Err(no_ink());
    }
    let scale = 1.0 / (ink_in - floor);
    grey.iter_mut()
        .for_each(|v| *v = ((*v - floor) * scale).clamp(0.0, 1.0));

    // Crop to the ink, ignoring the faintest 0.25 % of its mass at each side.
    let mut row_mass = vec![0.0f64; h];
    let mut col_mass = vec![0.0f64; w];
    for (y, row) in grey.chunks_exact(w).enumerate() {
        for (x, &v) in row.iter().enumerate() {
            row_mass[y] += f64::from(v);
            col_mass[x] += f64::from(v);
        }
    }
    let (y0, y1) = mass_span(&row_mass).ok_or_else(no_ink)?;
    let (x0, x1) = mass_span(&col_mass).ok_or_else(no_ink)?;
    let (bw, bh) = (x1 - x0, y1 - y0);

    // Scale by s = DIGIT_BOX / longer side on both axes, keeping the aspect
    // ratio exactly: an output pixel covers 1/s input pixels.
    let step = bw.max(bh) as f64 / DIGIT_BOX as f64;
    let across = resample_weights(bw, step);
    let down = resample_weights(bh, step);
    let (out_w, out_h) = (across.len(), down.len());
    // Columns first: bh × out_w, then rows: out_h × out_w.
    let mut narrow = vec![0.0f32; bh * out_w];
    for y in 0..bh {
        let row = &grey[(y0 + y) * w + x0..(y0 + y) * w + x1];
        for (ox, taps) in across.iter().enumerate() {
            narrow[y * out_w + ox] = taps.iter().map(|&(i, wt)| row[i] * wt).sum();
        }
    }
    drop(grey);
    let mut small = vec![0.0f32; out_h * out_w];
    for (oy, taps) in down.iter().enumerate() {
        for ox in 0..out_w {
            small[oy * out_w + ox] = taps
                .iter()
                .map(|&(i, wt)| narrow[i * out_w + ox] * wt)
                .sum::<f32>()
                .clamp(0.0, 1.0);
        }
    }

    // Centre by the centre of mass, by a whole-pixel shift as MNIST did,
    // never pushing ink off the field.
    let (mut mass, mut mx, mut my) = (0.0f64, 0.0f64, 0.0f64);
    for (i, &v) in small.iter().enumerate() {
        let v = f64::from(v);
        mass += v;
        mx += v * (i % out_w) as f64;
        my += v * (i / out_w) as f64;
    }
    if mass <= 0.0 {
        return Err(no_ink());
    }
    let place = |com: f64, size: usize| {
        // A tie (x.5) goes down: a block of even size then sits in the
        // middle of the field, 4 pixels from either edge for 20 pixels.
        let offset = (f64::from(CENTRE) - com / mass - 0.5).ceil();
        offset.clamp(0.0, (SIDE - size) as f64) as usize
    };
    let (left, top) = (place(mx, out_w), place(my, out_h));
    let mut pixels = vec![0.0f32; SIDE * SIDE];
    for (y, row) in small.chunks_exact(out_w).enumerate() {
        let start = (top + y) * SIDE + left;
        pixels[start..start + out_w].copy_from_slice(row);
    }
    Ok(PreparedDigit {
        pixels,
        inverted,
        paper,
        ink: flip(ink_in),
        ink_box: InkBox {
            x: x0,
            y: y0,
            width: bw,
            height: bh,
        },
    })
}

/// The outermost ring of pixels.
fn border_values(grey: &[f32], w: usize, h: usize) -> Vec<f32> {
    let mut out: Vec<f32> = Vec::with_capacity(2 * (w + h));
    out.extend_from_slice(&grey[..w]);
    if h > 1 {
        out.extend_from_slice(&grey[(h - 1) * w..]);
    }
    for y in 1..h.saturating_sub(1) {
        out.push(grey[y * w]);
        if w > 1 {
            out.push(grey[y * w + w - 1]);
        }
    }
    out
}

/// The `q`-quantile of sorted, non-empty values.
fn sorted_percentile(sorted: &[f32], q: f64) -> f32 {
    let i = ((q * sorted.len() as f64) as usize).min(sorted.len() - 1);
    sorted[i]
}

/// The range of indices holding all but the outer 0.25 % of the mass on
/// each side, or `None` for no mass.
fn mass_span(mass: &[f64]) -> Option<(usize, usize)> {
    let total: f64 = mass.iter().sum();
    if total <= 0.0 {
        return None;
    }
    let cut = 0.0025 * total;
    let mut acc = 0.0;
    let start = mass.iter().position(|&m| {
        acc += m;
        acc > cut
    })?;
    acc = 0.0;
    let end = mass.len()
        - mass.iter().rev().position(|&m| {
            acc += m;
            acc > cut
        })?;
    (start < end).then_some((start, end))
}

/// For each output pixel of a scaling by 1/`step` (at most [`DIGIT_BOX`]),
/// the input pixels it draws on and their weights. Shrinking (`step` ≥ 1)
/// averages the area each output pixel covers, partial pixels counting in
/// part and the space past the last input pixel as empty paper; enlarging
/// interpolates linearly.
fn resample_weights(n_in: usize, step: f64) -> Vec<Vec<(usize, f32)>> {
    let n_out = ((n_in as f64 / step - 1e-9).ceil() as usize).clamp(1, DIGIT_BOX);
    (0..n_out)
        .map(|o| {
            if step >= 1.0 {
                let (a, b) = (o as f64 * step, (o + 1) as f64 * step);
                let first = (a.floor() as usize).min(n_in);
                let last = (b.ceil() as usize).min(n_in);
                (first..last)
                    .map(|i| {
                        let cover = (b.min(i as f64 + 1.0) - a.max(i as f64)).max(0.0);
                        (i, (cover / step) as f32)
                    })
                    .filter(|&(_, wt)| wt > 0.0)
                    .collect()
            } else {
                let centre = ((o as f64 + 0.5) * step - 0.5).clamp(0.0, (n_in - 1) as f64);
                let i = centre.floor() as usize;
                let frac = centre - i as f64;
                if i + 1 < n_in && frac > 0.0 {
                    vec![(i, (1.0 - frac) as f32), (i + 1, frac as f32)]
                } else {
                    vec![(i, 1.0)]
                }
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A grey canvas with a filled rectangle of `ink`.
    fn canvas(
        w: usize,
        h: usize,
        paper: u8,
        ink: u8,
        rect: (usize, usize, usize, usize),
    ) -> Vec<u8> {
        let mut px = vec![paper; w * h];
        let (x0, y0, x1, y1) = rect;
        for y in y0..y1 {
            px[y * w + x0..y * w + x1].fill(ink);
        }
        px
    }

    fn prepare(w: usize, h: usize, channels: usize, px: &[u8]) -> Result<PreparedDigit> {
        preprocess_digit(&ImageView::new(w, h, channels, px)?)
    }

    fn centre_of_mass(p: &[f32]) -> (f32, f32) {
        let m: f32 = p.iter().sum();
        let x = p
            .iter()
            .enumerate()
            .map(|(i, v)| (i % 28) as f32 * v)
            .sum::<f32>()
            / m;
        let y = p
            .iter()
            .enumerate()
            .map(|(i, v)| (i / 28) as f32 * v)
            .sum::<f32>()
            / m;
        (x, y)
    }

    /// (first, last + 1) of the rows and columns holding values above 0.5.
    fn ink_extent(p: &[f32]) -> ((usize, usize), (usize, usize)) {
        let rows: Vec<usize> = (0..28)
            .filter(|r| p[r * 28..(r + 1) * 28].iter().any(|&v| v > 0.5))
            .collect();
        let cols: Vec<usize> = (0..28)
            .filter(|c| (0..28).any(|r| p[r * 28 + c] > 0.5))
            .collect();
        (
            (cols[0], cols[cols.len() - 1] + 1),
            (rows[0], rows[rows.len() - 1] + 1),
        )
    }

    #[test]
    fn a_light_page_is_inverted_and_levelled_to_zero_and_one() {
        // Grey paper 200, grey ink 90: neither white nor black.
        let px = canvas(200, 150, 200, 90, (30, 20, 110, 120));
        let d = prepare(200, 150, 1, &px).unwrap();
        assert!(d.inverted());
        assert_eq!((d.paper_level(), d.ink_level()), (200.0, 90.0));
        let p = d.pixels();
        let max = p.iter().cloned().fold(0.0, f32::max);
        assert!((max - 1.0).abs() < 1e-6, "ink levelled to 1: {max}");
        assert_eq!(p[0], 0.0, "paper levelled to 0");
        assert!(p.iter().all(|&v| (0.0..=1.0).contains(&v)));
    }

    #[test]
    fn light_ink_on_dark_paper_is_kept() {
        let px = canvas(60, 60, 20, 230, (10, 10, 30, 50));
        let d = prepare(60, 60, 1, &px).unwrap();
        assert!(!d.inverted());
        assert_eq!(
            d.ink_box(),
            InkBox {
                x: 10,
                y: 10,
                width: 20,
                height: 40
            }
        );
    }

    #[test]
    fn the_longer_side_fits_twenty_pixels_keeping_the_aspect_ratio() {
        // 80 wide × 40 tall: becomes 20 × 10.
        let px = canvas(300, 200, 255, 0, (100, 70, 180, 110));
        let d = prepare(300, 200, 1, &px).unwrap();
        let ((x0, x1), (y0, y1)) = ink_extent(d.pixels());
        assert_eq!((x1 - x0, y1 - y0), (20, 10));
        // Tall: 12 wide × 120 tall becomes 2 × 20.
        let px = canvas(100, 200, 255, 0, (40, 40, 52, 160));
        let ((x0, x1), (y0, y1)) = ink_extent(prepare(100, 200, 1, &px).unwrap().pixels());
        assert_eq!((x1 - x0, y1 - y0), (2, 20));
    }

    #[test]
    fn the_centre_of_mass_lands_on_pixel_14_14() {
        // An L shape off in a corner: its mass is not in its box's middle.
        let mut px = canvas(400, 300, 240, 10, (250, 180, 262, 290));
        for y in 278..290 {
            px[y * 400 + 250..y * 400 + 320].fill(10);
        }
        let d = prepare(400, 300, 1, &px).unwrap();
        let (cx, cy) = centre_of_mass(d.pixels());
        assert!(
            (cx - 14.0).abs() <= 0.5 && (cy - 14.0).abs() <= 0.5,
            "{cx} {cy}"
        );
    }

    #[test]
    fn area_averaging_gives_grey_edges_and_keeps_the_mass() {
        // A 3-pixel-wide bar, 100 tall: scaled by 1/5 it is 0.6 pixels wide.
        let px = canvas(50, 120, 0, 255, (20, 10, 23, 110));
        let p = prepare(50, 120, 1, &px).unwrap().pixels().to_vec();
        let mass: f32 = p.iter().sum();
        assert!((mass - 0.6 * 20.0).abs() < 0.1, "{mass}");
        assert!(p.iter().all(|&v| v < 0.7), "no pixel fully inked");
    }

    #[test]
    fn small_images_are_enlarged_smoothly() {
        // A 4 × 8 block in a 10 × 10 image: becomes 10 × 20.
        let px = canvas(10, 10, 0, 255, (3, 1, 7, 9));
        let ((x0, x1), (y0, y1)) = ink_extent(prepare(10, 10, 1, &px).unwrap().pixels());
        assert_eq!((x1 - x0, y1 - y0), (10, 20));
    }

    #[test]
    fn noise_and_a_speck_of_dust_do_not_move_the_box() {
        // Paper 180 to 220 with a gradient and pseudo-random noise, a dust
        // speck far from the digit.
        let (w, h) = (200, 200);
        let mut state = 12345u32;
        let mut px: Vec<u8> = (0..w * h)
            .map(|i| {
                state = state.wrapping_mul(1_103_515_245).wrapping_add(12345);
                let noise = (state >> 16) % 11;
                (180 + (i % w) * 30 / w + noise as usize) as u8
            })
            .collect();
        for y in 50..150 {
            px[y * w + 90..y * w + 110].fill(30);
        }
        px[5 * w + 190] = 30;
        let d = prepare(w, h, 1, &px).unwrap();
        assert_eq!(
            d.ink_box(),
            InkBox {
                x: 90,
                y: 50,
                width: 20,
                height: 100
            }
        );
        // 20 × 100 scaled by 1/5 is 4 × 20 pixels of ink, and nothing else.
        let inked = d.pixels().iter().filter(|&&v| v > 0.0).count();
        assert_eq!(inked, 80, "the paper's noise is levelled to 0");
    }

    #[test]
    fn colour_and_alpha_are_read_as_coverage() {
        // Blue ink on a transparent canvas (as a browser's canvas exports it).
        let (w, h) = (64, 64);
        let mut px = vec![0u8; w * h * 4];
        for y in 8..56 {
            for x in 28..36 {
                px[(y * w + x) * 4..(y * w + x) * 4 + 4].copy_from_slice(&[20, 40, 200, 255]);
            }
        }
        let d = prepare(w, h, 4, &px).unwrap();
        assert!(d.inverted(), "transparent = white paper behind dark ink");
        assert_eq!(
            d.ink_box(),
            InkBox {
                x: 28,
                y: 8,
                width: 8,
                height: 48
            }
        );
        // White ink on transparency: the paper behind is black.
        for p in px.chunks_exact_mut(4).filter(|p| p[3] == 255) {
            p.copy_from_slice(&[255, 255, 255, 255]);
        }
        let d = prepare(w, h, 4, &px).unwrap();
        assert!(!d.inverted());
        assert_eq!(d.ink_box().height, 48);
        // Grey + alpha, RGB.
        let ga: Vec<u8> = px.chunks_exact(4).flat_map(|p| [p[0], p[3]]).collect();
        assert_eq!(prepare(w, h, 2, &ga).unwrap().ink_box().width, 8);
        let rgb: Vec<u8> = px
            .chunks_exact(4)
            .flat_map(|p| [p[0], p[1], p[2]])
            .collect();
        assert_eq!(prepare(w, h, 3, &rgb).unwrap().ink_box().width, 8);
    }

    #[test]
    fn bad_images_are_refused_with_the_right_error() {
        let e = ImageView::new(0, 5, 1, &[]).unwrap_err();
        assert!(matches!(e, Error::ImageDimensions { .. }), "{e}");
        assert!(e.to_string().contains("empty"));
        let e = ImageView::new(3, 3, 5, &[0; 45]).unwrap_err();
        assert!(e.to_string().contains("channels"), "{e}");
        let e = ImageView::new(3, 3, 3, &[0; 26]).unwrap_err();
        assert!(
            matches!(
                e,
                Error::ImageBuffer {
                    expected: 27,
                    got: 26,
                    ..
                }
            ),
            "{e}"
        );
        let e = ImageView::new(5000, 5000, 1, &[]).unwrap_err();
        assert!(e.to_string().contains("16 Mpixel"), "{e}");
        let e = ImageView::new(usize::MAX, 2, 1, &[]).unwrap_err();
        assert!(matches!(e, Error::ImageDimensions { .. }), "{e}");
        // Blank and nearly blank pages.
        for px in [vec![255u8; 100], canvas(10, 10, 200, 190, (3, 3, 6, 6))] {
            let e = prepare(10, 10, 1, &px).unwrap_err();
            assert!(matches!(e, Error::NoInk { .. }), "{e}");
        }
        let transparent = vec![0u8; 10 * 10 * 4];
        assert!(matches!(
            prepare(10, 10, 4, &transparent),
            Err(Error::NoInk { .. })
        ));
    }

    #[test]
    fn tiny_and_thin_images_do_not_panic() {
        for (w, h) in [(1, 1), (1, 7), (7, 1), (2, 2), (3, 1000), (1000, 2)] {
            for seed in 0..4u8 {
                let px: Vec<u8> = (0..w * h)
                    .map(|i| ((i * 37 + seed as usize * 91) % 256) as u8)
                    .collect();
                if let Ok(d) = prepare(w, h, 1, &px) {
                    assert_eq!(d.pixels().len(), 784);
                    assert!(d.pixels().iter().all(|v| (0.0..=1.0).contains(v)));
                }
            }
        }
        // One ink pixel in a corner.
        let mut px = vec![255u8; 9];
        px[8] = 0;
        let d = prepare(3, 3, 1, &px).unwrap();
        let (cx, cy) = centre_of_mass(d.pixels());
        assert!(
            (cx - 14.0).abs() <= 0.5 && (cy - 14.0).abs() <= 0.5,
            "{cx} {cy}"
        );
    }

    #[test]
    fn area_weights_sum_to_one_inside_the_input() {
        for (n_in, step) in [
            (100, 5.0),
            (7, 7.0 / 3.0),
            (3, 0.15),
            (20, 1.0),
            (1, 0.05),
            (41, 2.05),
        ] {
            let all = resample_weights(n_in, step);
            assert_eq!(
                all.len(),
                (n_in as f64 / step).round() as usize,
                "{n_in} / {step}"
            );
            for taps in all {
                let sum: f32 = taps.iter().map(|t| t.1).sum();
                assert!((sum - 1.0).abs() < 1e-5, "{n_in} / {step}: {taps:?}");
                assert!(taps.iter().all(|t| t.0 < n_in));
            }
        }
        // A 50-pixel side scaled by 20/100 covers 10 output pixels exactly;
        // 52 covers 10.4: the last pixel is 40 % ink.
        assert_eq!(resample_weights(50, 5.0).len(), 10);
        let partial = resample_weights(52, 5.0);
        let last: f32 = partial[10].iter().map(|t| t.1).sum();
        assert!((last - 0.4).abs() < 1e-5, "{partial:?}");
    }
}
