//! Data augmentation for images: each epoch trains on freshly distorted
//! copies of the training images (Simard, Steinkraus and Platt, *Best
//! practices for convolutional neural networks applied to visual document
//! analysis*, 2003).
//!
//! A network that has seen a digit only where and how it was written learns
//! that drawing; one that sees it shifted a pixel, turned a few degrees or
//! slightly bent learns the digit. Simard et al. report 98.4% on MNIST for a
//! 784-800-10 network with the cross-entropy cost, 98.9% with affine
//! distortions of the training images and 99.3% with elastic ones.
//!
//! # The distortion
//!
//! An [`ImageAugmenter`] draws, for each example, a shift t = (t_x, t_y) of
//! whole pixels (each in −k..=k), an angle φ uniform in [−θ, θ] and a scale
//! f uniform in [1 − s, 1 + s]. The image moves by the *affine map* about
//! its centre c = ((w − 1)/2, (h − 1)/2):
//!
//! ```text
//! T(q) = c + f R(φ) (q − c) + t,    R(φ) = [cos φ  −sin φ]
//!                                          [sin φ   cos φ]
//! ```
//!
//! with x to the right and y *down*, so that a positive φ turns the image
//! clockwise as displayed.
//!
//! The *elastic distortion* adds a smooth random displacement d(p) to every
//! output pixel p. Two fields of independent noise, u_x(p) and u_y(p)
//! uniform in [−1, 1], are smoothed by a Gaussian of standard deviation σ
//! and scaled by α:
//!
//! ```text
//! d(p) = α (G_σ ∗ u)(p),    G_σ(x, y) = g_σ(x) g_σ(y),  g_σ(x) ∝ e^(−x²/(2σ²))
//! ```
//!
//! The Gaussian is separable, so the blur is two 1-D passes (rows, then
//! columns) with a kernel truncated at 3σ and normalised to sum 1; the noise
//! outside the image counts as 0. For σ = 4 the smoothed field's standard
//! deviation is about √(1/3 / (4πσ²)) ≈ 0.04, so α = 34 moves pixels by
//! about 1.4 pixels, neighbours almost together (σ large: a nearly rigid
//! shift; σ small: noise). Simard et al. found σ = 4 and α = 34 best for
//! 28 × 28 digits.
//!
//! Both are applied in *one resampling*: output pixel p takes the value of
//! the source image at
//!
//! ```text
//! s(p) = T⁻¹(p) + d(p),    T⁻¹(p) = c + (1/f) R(−φ) (p − c − t),
//! ```
//!
//! interpolated bilinearly between the four pixels around s(p):
//! I(x₀ + a, y₀ + b) = (1−a)(1−b) I₀₀ + a(1−b) I₁₀ + (1−a) b I₀₁ + a b I₁₁, with
//! pixels outside the image read as background 0. With no shift, no
//! rotation, no scaling and α = 0 every s(p) = p and the image is copied
//! exactly; an integer shift alone copies pixels exactly too.
//!
//! # Determinism
//!
//! Example j of the epoch with seed e draws its distortion from its own
//! generator, a function of (e, j) only. The result is therefore the same
//! whatever thread computes it and in whatever order; and epoch number n
//! gets the seed [`epoch_seed`]`(seed, n)`, so a training run resumed at
//! epoch n sees exactly the images an uninterrupted run would have seen.
//!
//! # Not stalling training
//!
//! [`ImageAugmenter::prefetch`] runs a second thread that prepares the next
//! epoch's copy while the current one trains (two buffers, swapped each
//! epoch), and [`Sgd::train_augmented`](crate::Sgd::train_augmented) trains
//! on it epoch after epoch. Distorting 50,000 MNIST digits with elastic
//! distortions takes well under a second on one core, less than an epoch of
//! any network worth augmenting for.
//!
//! # Examples
//! ```
//! use neuralnet::Dataset;
//! use neuralnet::augment::ImageAugmenter;
//! use neuralnet::nalgebra::DMatrix;
//! # fn main() -> Result<(), neuralnet::Error> {
//! // Two 28 × 28 images of a bar, classes 0 and 1.
//! let images = DMatrix::from_fn(784, 2, |p, _| if p % 28 == 14 { 1.0f32 } else { 0.0 });
//! let data = Dataset::from_labels(images, &[0, 1], 2)?;
//!
//! let augmenter = ImageAugmenter::new(28, 28, 1)
//!     .with_max_shift(2)
//!     .with_max_rotation(10.0)
//!     .with_max_scaling(0.1)
//!     .with_elastic(34.0, 4.0);
//! let mut epoch_1 = data.clone();
//! augmenter.augment_into(&data, neuralnet::augment::epoch_seed(7, 1), &mut epoch_1)?;
//! assert_eq!(epoch_1.targets(), data.targets()); // the labels stay
//! assert_ne!(epoch_1.inputs(), data.inputs()); // the images move
//! # Ok(())
//! # }
//! ```

mod prefetch;
mod warp;

use crate::{Dataset, Error, Real, Result};
pub use prefetch::Prefetcher;
use warp::{Ranges, Scratch, SplitMix64};

/// The largest shift k accepted, in pixels.
const MAX_SHIFT: usize = 1 << 16;

/// The largest α accepted (it moves pixels by about 0.04 α for σ = 4:
/// far beyond any image).
const MAX_ALPHA: f64 = 1e6;

/// Settings for distorting images at random: shifts, rotations, scalings and
/// elastic distortions (see the [module docs](self) for the equations).
///
/// All distortions are off by default: `ImageAugmenter::new(w, h, c)` copies
/// the images unchanged. Each `with_*` method turns one on;
/// [`ImageAugmenter::validate`] (which every method that augments calls
/// first) checks them all.
///
/// # Shapes
/// Each example is one column of the data set's inputs with w · h · c
/// values: c channel planes one after the other, each h rows of w pixels
/// (row-major, as MNIST's 28 × 28 pixels). All channels move together.
///
/// # Examples
/// ```
/// use neuralnet::augment::ImageAugmenter;
/// // Simard et al.'s elastic distortions for MNIST digits, with affine ones.
/// let augmenter = ImageAugmenter::new(28, 28, 1)
///     .with_max_shift(1)
///     .with_max_rotation(8.0)
///     .with_max_scaling(0.08)
///     .with_elastic(34.0, 4.0);
/// assert!(augmenter.validate().is_ok());
/// assert_eq!(augmenter.image_size(), 784);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct ImageAugmenter {
    width: usize,
    height: usize,
    channels: usize,
    max_shift: usize,
    max_rotation: f64,
    max_scaling: f64,
    elastic_alpha: f64,
    elastic_sigma: f64,
}

impl ImageAugmenter {
    /// An augmenter for images of `width` × `height` pixels with `channels`
    /// values each (1 for grey levels), with every distortion off.
    pub fn new(width: usize, height: usize, channels: usize) -> Self {
        ImageAugmenter {
            width,
            height,
            channels,
            max_shift: 0,
            max_rotation: 0.0,
            max_scaling: 0.0,
            elastic_alpha: 0.0,
            elastic_sigma: 4.0,
        }
    }

    /// Shifts each image by whole pixels t_x, t_y, each uniform in −k..=k
    /// (k ≤ the image's larger side; 0 turns shifts off).
    pub fn with_max_shift(mut self, k: usize) -> Self {
        self.max_shift = k;
        self
    }

    /// Turns each image about its centre by an angle φ uniform in [−θ, θ],
    /// θ in *degrees*, 0 ≤ θ ≤ 180 (0 turns rotations off).
    pub fn with_max_rotation(mut self, degrees: f64) -> Self {
        self.max_rotation = degrees;
        self
    }

    /// Scales each image about its centre by a factor f uniform in
    /// [1 − s, 1 + s], 0 ≤ s < 1 (0 turns scaling off).
    pub fn with_max_scaling(mut self, s: f64) -> Self {
        self.max_scaling = s;
        self
    }

    /// Adds Simard et al.'s elastic distortion: a displacement field of
    /// uniform noise smoothed by a Gaussian of σ = `sigma` pixels (σ > 0)
    /// and scaled by α = `alpha`, 0 ≤ α ≤ 10⁶ (0 turns it off). Simard et al. use
    /// σ = 4 and α = 34 for 28 × 28 digits.
    pub fn with_elastic(mut self, alpha: f64, sigma: f64) -> Self {
        self.elastic_alpha = alpha;
        self.elastic_sigma = sigma;
        self
    }

    /// The image width w, in pixels.
    pub fn width(&self) -> usize {
        self.width
    }

    /// The image height h, in pixels.
    pub fn height(&self) -> usize {
        self.height
    }

    /// Values per pixel c.
    pub fn channels(&self) -> usize {
        self.channels
    }

    /// Values per image, w · h · c (the data set's input size n_in).
    /// Saturates at `usize::MAX` for impossible shapes, which
    /// [`ImageAugmenter::validate`] refuses.
    pub fn image_size(&self) -> usize {
        self.width
            .saturating_mul(self.height)
            .saturating_mul(self.channels)
    }

    /// The largest shift k, in pixels.
    pub fn max_shift(&self) -> usize {
        self.max_shift
    }

    /// The largest angle θ, in degrees.
    pub fn max_rotation(&self) -> f64 {
        self.max_rotation
    }

    /// The largest change of scale s.
    pub fn max_scaling(&self) -> f64 {
        self.max_scaling
    }

    /// The elastic distortion's scale α (0: off).
    pub fn elastic_alpha(&self) -> f64 {
        self.elastic_alpha
    }

    /// The elastic distortion's smoothing σ, in pixels.
    pub fn elastic_sigma(&self) -> f64 {
        self.elastic_sigma
    }

    /// Whether every distortion is off, so that augmenting copies.
    pub fn is_identity(&self) -> bool {
        self.max_shift == 0
            && self.max_rotation == 0.0
            && self.max_scaling == 0.0
            && self.elastic_alpha == 0.0
    }

    /// Checks the settings.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] if a side or the channels are 0 or the image
    /// too large to index, k is larger than the image, θ is not in
    /// [0, 180], s not in [0, 1), α not in [0, 10⁶] or σ not positive (or
    /// any of them not finite).
    pub fn validate(&self) -> Result<()> {
        let invalid = |name, reason| Err(Error::InvalidConfig { name, reason });
        let (w, h, c) = (self.width, self.height, self.channels);
        if w == 0 || h == 0 || c == 0 {
            return invalid(
                "image_shape",
                format!(
                    "{w} × {h} pixels of {c} channels: every side and the channels must be at least 1"
                ),
            );
        }
        if w.checked_mul(h)
            .and_then(|p| p.checked_mul(c))
            .is_none_or(|n| n > isize::MAX as usize / 8)
        {
            return invalid(
                "image_shape",
                format!("{w} × {h} pixels of {c} channels is more than memory can hold"),
            );
        }
        let side = w.max(h).min(MAX_SHIFT);
        if self.max_shift > side {
            return invalid(
                "max_shift",
                format!(
                    "k = {} pixels, but shifts beyond the image ({w} × {h}) only blank it: give at most {side}",
                    self.max_shift
                ),
            );
        }
        if !(0.0..=180.0).contains(&self.max_rotation) {
            return invalid(
                "max_rotation",
                format!(
                    "θ = {}°, but it must be between 0 and 180 degrees (a few degrees suit digits)",
                    self.max_rotation
                ),
            );
        }
        if !(0.0..1.0).contains(&self.max_scaling) {
            return invalid(
                "max_scaling",
                format!(
                    "s = {}, but scale factors 1 ± s need 0 ≤ s < 1 (0.1 scales by up to 10%)",
                    self.max_scaling
                ),
            );
        }
        if !(0.0..=MAX_ALPHA).contains(&self.elastic_alpha) {
            return invalid(
                "elastic_alpha",
                format!(
                    "α = {}, but it must be between 0 and 10⁶ (0 turns elastic distortion off; Simard et al. use 34)",
                    self.elastic_alpha
                ),
            );
        }
        if !(self.elastic_sigma.is_finite() && self.elastic_sigma > 0.0) {
            return invalid(
                "elastic_sigma",
                format!(
                    "σ = {} pixels, but it must be a finite number > 0 (Simard et al. use 4)",
                    self.elastic_sigma
                ),
            );
        }
        Ok(())
    }

    /// Checks the settings and that `data`'s examples are images of this
    /// shape.
    fn check<T: Real>(&self, data: &Dataset<T>) -> Result<()> {
        self.validate()?;
        if data.input_size() != self.image_size() {
            return Err(Error::InvalidConfig {
                name: "image_shape",
                reason: format!(
                    "the augmenter's images have {} × {} pixels of {} channels = {} values, but the data set's inputs have {}: give the shape of its images",
                    self.width,
                    self.height,
                    self.channels,
                    self.image_size(),
                    data.input_size()
                ),
            });
        }
        Ok(())
    }

    /// The settings in the units of the math (after validation).
    fn ranges(&self) -> Ranges {
        Ranges {
            width: self.width,
            height: self.height,
            channels: self.channels,
            // Validated ≤ 2¹⁶.
            max_shift: self.max_shift as u32,
            max_angle: self.max_rotation.to_radians() as f32,
            max_scaling: self.max_scaling as f32,
            alpha: self.elastic_alpha as f32,
        }
    }

    /// Buffers for [`ImageAugmenter::distort`] (after validation).
    fn scratch(&self) -> Scratch {
        Scratch::new(self.width, self.height, self.elastic_sigma)
    }

    /// Writes into `out` a distorted copy of every image of `source`: its
    /// inputs are resized to `source`'s shape if they differ (only then is
    /// memory allocated) and its targets become `source`'s targets. Example
    /// j gets the distortion drawn for (`epoch_seed`, j), so the same seed
    /// always gives the same data set; use [`epoch_seed`] to derive one
    /// seed per epoch from a run's seed.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] if the settings are invalid (see
    /// [`ImageAugmenter::validate`]) or the data set's input size is not
    /// w · h · c. `out` is unchanged then.
    pub fn augment_into<T: Real>(
        &self,
        source: &Dataset<T>,
        epoch_seed: u64,
        out: &mut Dataset<T>,
    ) -> Result<()> {
        self.check(source)?;
        self.fill(source, epoch_seed, out, &mut self.scratch(), &|| false);
        Ok(())
    }

    /// Distorts one image, example `index` of the epoch of `epoch_seed`,
    /// into `out`: the same image as column `index` of
    /// [`ImageAugmenter::augment_into`]'s output.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] for invalid settings, and
    /// [`Error::InputSize`] if `image` or `out` does not hold w · h · c
    /// values.
    pub fn augment_image<T: Real>(
        &self,
        image: &[T],
        epoch_seed: u64,
        index: usize,
        out: &mut [T],
    ) -> Result<()> {
        self.validate()?;
        for got in [image.len(), out.len()] {
            if got != self.image_size() {
                return Err(Error::InputSize {
                    what: "image augmenter",
                    expected: self.image_size(),
                    got,
                });
            }
        }
        self.distort(image, epoch_seed, index, out, &mut self.scratch());
        Ok(())
    }

    /// [`ImageAugmenter::augment_into`] after the checks, with its buffers
    /// given; stops early (leaving `out` partly written) once `stop()`.
    fn fill<T: Real>(
        &self,
        source: &Dataset<T>,
        epoch_seed: u64,
        out: &mut Dataset<T>,
        scratch: &mut Scratch,
        stop: &dyn Fn() -> bool,
    ) {
        // Take `out` apart to write into its matrices; an empty matrix does
        // not allocate.
        let empty = || nalgebra::DMatrix::zeros(0, 0);
        let placeholder = Dataset::new(empty(), empty()).expect("0 and 0 columns agree");
        let (mut inputs, mut targets) = std::mem::replace(out, placeholder).into_parts();
        if inputs.shape() != source.inputs().shape() {
            inputs = nalgebra::DMatrix::zeros(source.input_size(), source.len());
        }
        if targets.shape() == source.targets().shape() {
            targets.copy_from(source.targets());
        } else {
            targets.clone_from(source.targets());
        }
        let n_in = source.input_size();
        if n_in > 0 {
            let columns = source.inputs().as_slice().chunks_exact(n_in);
            let outputs = inputs.as_mut_slice().chunks_exact_mut(n_in);
            for (j, (image, image_out)) in columns.zip(outputs).enumerate() {
                if stop() {
                    break;
                }
                self.distort(image, epoch_seed, j, image_out, scratch);
            }
        }
        // Both have `source.len()` columns.
        *out = Dataset::new(inputs, targets).expect("as many inputs as targets");
    }

    /// Distorts one image (lengths checked by the caller).
    fn distort<T: Real>(
        &self,
        image: &[T],
        epoch_seed: u64,
        index: usize,
        out: &mut [T],
        scratch: &mut Scratch,
    ) {
        if self.is_identity() {
            out.copy_from_slice(image);
            return;
        }
        let ranges = self.ranges();
        let mut rng = SplitMix64::for_example(epoch_seed, index);
        let affine = warp::draw_affine(&mut rng, &ranges);
        let field = if ranges.alpha > 0.0 {
            scratch.elastic_field(&mut rng, &ranges);
            Some(&scratch.field[..])
        } else {
            None
        };
        warp::resample(image, out, &ranges, &affine, field);
    }
}

/// The seed of epoch `epoch` of a run seeded with `seed`: a mix of the two
/// (epochs count from 1, as in [`EpochReport`](crate::EpochReport)). Every
/// epoch gets different distortions, and a run resumed at any epoch gets
/// the same ones as an uninterrupted run.
///
/// # Examples
/// ```
/// use neuralnet::augment::epoch_seed;
/// assert_eq!(epoch_seed(1, 3), epoch_seed(1, 3));
/// assert_ne!(epoch_seed(1, 3), epoch_seed(1, 4));
/// ```
pub fn epoch_seed(seed: u64, epoch: usize) -> u64 {
    warp::mix(seed ^ warp::mix(epoch as u64))
}
