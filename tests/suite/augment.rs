//! Data augmentation: what each distortion does to an image, determinism,
//! the prefetcher, the errors, and training on augmented data.

use std::ops::ControlFlow;

use nalgebra::DMatrix;
use neuralnet::augment::{ImageAugmenter, epoch_seed};
use neuralnet::{CrossEntropy, Dataset, EpochReport, Error, Init, Network, Real, Sgd};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

/// `n` images of random pixels in [0, 1), one-hot targets of 3 classes.
fn noise<T: Real>(n: usize, image_size: usize, seed: u64) -> Dataset<T> {
    let mut rng = StdRng::seed_from_u64(seed);
    let x = DMatrix::from_fn(image_size, n, |_, _| {
        nalgebra::convert::<f64, T>(rng.random_range(0.0..1.0))
    });
    let labels: Vec<u8> = (0..n).map(|j| (j % 3) as u8).collect();
    Dataset::from_labels(x, &labels, 3).unwrap()
}

/// `n` copies of one w × h image with a single pixel (x, y) lit at 0.8.
fn one_pixel(n: usize, w: usize, h: usize, (x, y): (usize, usize)) -> Dataset<f32> {
    let images = DMatrix::from_fn(w * h, n, |p, _| if p == y * w + x { 0.8 } else { 0.0 });
    Dataset::from_labels(images, &vec![0; n], 1).unwrap()
}

/// `n` copies of a soft 28 × 28 disc of radius 6 (a digit's worth of ink).
fn discs(n: usize) -> Dataset<f32> {
    let disc = |p: usize| {
        let (x, y) = ((p % 28) as f32 - 13.5, (p / 28) as f32 - 13.5);
        (6.0 - (x * x + y * y).sqrt()).clamp(0.0, 1.0)
    };
    let images = DMatrix::from_fn(784, n, |p, _| disc(p));
    Dataset::from_labels(images, &vec![0; n], 1).unwrap()
}

fn augmented<T: Real>(augmenter: &ImageAugmenter, data: &Dataset<T>, seed: u64) -> Dataset<T> {
    let mut out = Dataset::new(DMatrix::zeros(0, 0), DMatrix::zeros(0, 0)).unwrap();
    augmenter.augment_into(data, seed, &mut out).unwrap();
    out
}

fn all_distortions() -> ImageAugmenter {
    ImageAugmenter::new(28, 28, 1)
        .with_max_shift(2)
        .with_max_rotation(10.0)
        .with_max_scaling(0.1)
        .with_elastic(34.0, 4.0)
}

#[test]
fn identity_settings_copy_the_input_exactly() {
    for (w, h, c) in [(28, 28, 1), (7, 3, 2), (1, 1, 1), (1, 9, 3)] {
        let identity = ImageAugmenter::new(w, h, c)
            .with_max_shift(0)
            .with_max_rotation(0.0)
            .with_max_scaling(0.0)
            .with_elastic(0.0, 4.0);
        assert!(identity.is_identity());
        let data = noise::<f64>(20, w * h * c, 1);
        assert_eq!(augmented(&identity, &data, 5), data);
        let data = noise::<f32>(20, w * h * c, 2);
        assert_eq!(augmented(&identity, &data, 5), data);
    }
}

#[test]
fn a_one_pixel_shift_moves_a_lit_pixel_by_at_most_one() {
    let (w, h) = (9, 7);
    let data = one_pixel(200, w, h, (4, 3));
    let out = augmented(&ImageAugmenter::new(w, h, 1).with_max_shift(1), &data, 11);
    let mut offsets = std::collections::BTreeSet::new();
    for image in out.inputs().column_iter() {
        // The lit pixel is copied, not interpolated: one 0.8, all else 0.
        let lit: Vec<usize> = (0..w * h).filter(|&p| image[p] != 0.0).collect();
        assert_eq!(lit.len(), 1, "{image:?}");
        assert_eq!(image[lit[0]], 0.8);
        let (dx, dy) = ((lit[0] % w) as i64 - 4, (lit[0] / w) as i64 - 3);
        assert!(dx.abs() <= 1 && dy.abs() <= 1, "moved by ({dx}, {dy})");
        offsets.insert((dx, dy));
    }
    // All nine shifts of −1..=1 × −1..=1 occur.
    assert_eq!(offsets.len(), 9);
}

#[test]
fn rotations_and_scalings_turn_about_the_centre() {
    // The centre of an odd-sized image is a pixel; it maps to itself.
    let data = one_pixel(100, 9, 9, (4, 4));
    let turn = ImageAugmenter::new(9, 9, 1)
        .with_max_rotation(180.0)
        .with_max_scaling(0.3);
    let out = augmented(&turn, &data, 3);
    for image in out.inputs().column_iter() {
        assert!(
            (image[4 * 9 + 4] - 0.8).abs() < 1e-5,
            "{}",
            image[4 * 9 + 4]
        );
    }
    // A pixel away from the centre lands at its distance times the scale
    // (between 0.7 and 1.3), in every direction.
    let data = one_pixel(200, 21, 21, (16, 10));
    let turn = ImageAugmenter::new(21, 21, 1)
        .with_max_rotation(180.0)
        .with_max_scaling(0.3);
    let out = augmented(&turn, &data, 4);
    let mut quadrants = [false; 4];
    for image in out.inputs().column_iter() {
        let (mut mass, mut mx, mut my) = (0.0, 0.0, 0.0);
        for (p, &v) in image.iter().enumerate() {
            mass += v;
            mx += v * ((p % 21) as f32 - 10.0);
            my += v * ((p / 21) as f32 - 10.0);
        }
        if mass < 0.05 {
            continue; // the dot fell between pixels and faded
        }
        let (mx, my) = (mx / mass, my / mass);
        let r = (mx * mx + my * my).sqrt();
        assert!((6.0 * 0.7 - 1.0..=6.0 * 1.3 + 1.0).contains(&r), "r = {r}");
        quadrants[usize::from(mx > 0.0) + 2 * usize::from(my > 0.0)] = true;
    }
    assert_eq!(quadrants, [true; 4]);
}

#[test]
fn a_small_rotation_moves_pixels_along_a_circle() {
    // θ = 5°: a pixel 6 to the right of the centre moves by at most
    // 6 · 2 sin(2.5°) ≈ 0.52 px, so it stays mostly in place.
    let data = one_pixel(50, 13, 13, (12, 6));
    let out = augmented(
        &ImageAugmenter::new(13, 13, 1).with_max_rotation(5.0),
        &data,
        8,
    );
    for image in out.inputs().column_iter() {
        let nearby: f32 = (4..9)
            .map(|y| image[y * 13 + 12] + image[y * 13 + 11])
            .sum();
        assert!((nearby - 0.8).abs() < 0.2, "{nearby}");
        assert!(image[6 * 13 + 12] > 0.3);
    }
}

#[test]
fn distortions_grow_with_alpha() {
    let data = discs(50);
    let change = |alpha: f64| {
        let out = augmented(
            &ImageAugmenter::new(28, 28, 1).with_elastic(alpha, 4.0),
            &data,
            9,
        );
        (out.inputs() - data.inputs()).abs().sum()
    };
    let (small, medium, large) = (change(4.0), change(16.0), change(34.0));
    assert!(small > 0.0);
    assert!(medium > 2.0 * small, "{small} {medium}");
    assert!(large > 1.5 * medium, "{medium} {large}");
}

#[test]
fn mass_is_roughly_preserved_by_small_distortions() {
    let data = discs(300);
    let ink = data.inputs().column(0).sum();
    let ratios = |alpha: f64| {
        let gentle = ImageAugmenter::new(28, 28, 1)
            .with_max_shift(2)
            .with_max_rotation(10.0)
            .with_max_scaling(0.05)
            .with_elastic(alpha, 4.0);
        let out = augmented(&gentle, &data, 21);
        let ratios: Vec<f32> = out
            .inputs()
            .column_iter()
            .map(|image| image.sum() / ink)
            .collect();
        let mean = ratios.iter().sum::<f32>() / ratios.len() as f32;
        (ratios, mean)
    };
    // Shifts and rotations keep the ink; scaling by f multiplies it by the
    // area's factor f², here within 0.95² and 1.05² (up to interpolation).
    let (affine, mean) = ratios(0.0);
    assert!(
        affine.iter().all(|r| (0.895..1.11).contains(r)),
        "{affine:?}"
    );
    assert!((mean - 1.0).abs() < 0.01, "{mean}");
    // A gentle elastic field (α = 4, moves of about 0.16 px) changes it
    // a little more.
    let (gentle, mean) = ratios(4.0);
    assert!(
        gentle.iter().all(|r| (0.85..1.18).contains(r)),
        "{gentle:?}"
    );
    assert!((mean - 1.0).abs() < 0.01, "{mean}");
    // Simard's α = 34 squeezes and stretches single images by a lot, but
    // on average keeps the ink.
    let (strong, mean) = ratios(34.0);
    assert!(strong.iter().any(|r| !(0.7..1.4).contains(r)));
    assert!((mean - 1.0).abs() < 0.02, "{mean}");
}

#[test]
fn the_same_seed_gives_the_same_images_and_another_epoch_others() {
    let data = noise::<f32>(30, 784, 3);
    let augmenter = all_distortions();
    let a = augmented(&augmenter, &data, epoch_seed(1, 1));
    assert_eq!(a, augmented(&augmenter, &data, epoch_seed(1, 1)));
    assert_eq!(a.targets(), data.targets());
    let b = augmented(&augmenter, &data, epoch_seed(1, 2));
    let c = augmented(&augmenter, &data, epoch_seed(2, 1));
    for other in [&b, &c] {
        for j in 0..data.len() {
            assert_ne!(a.inputs().column(j), other.inputs().column(j));
        }
    }
    // Two copies of one image in one epoch are distorted differently.
    let twins = discs(2);
    let out = augmented(&augmenter, &twins, 4);
    assert_ne!(out.inputs().column(0), out.inputs().column(1));
}

#[test]
fn each_example_depends_only_on_the_seed_and_its_index() {
    let data = noise::<f64>(12, 784, 4);
    let augmenter = all_distortions();
    let all = augmented(&augmenter, &data, 77);
    // Image by image, in reverse order, as another thread might.
    let mut out = vec![0.0; 784];
    for j in (0..data.len()).rev() {
        let image = data.inputs().column(j);
        augmenter
            .augment_image(image.as_slice(), 77, j, &mut out)
            .unwrap();
        assert_eq!(out.as_slice(), all.inputs().column(j).as_slice());
    }
    // The first 5 examples of a data set get the same distortions as the
    // first 5 of a longer one.
    let head = data.slice(0, 5).unwrap();
    assert_eq!(
        augmented(&augmenter, &head, 77).inputs(),
        &all.inputs().columns(0, 5).into_owned()
    );
}

#[test]
fn all_channels_move_together() {
    // Three equal channel planes stay equal.
    let grey = noise::<f32>(10, 8 * 6, 5);
    let planes = DMatrix::from_fn(3 * 48, 10, |p, j| grey.inputs()[(p % 48, j)]);
    let colour = Dataset::new(planes, grey.targets().clone()).unwrap();
    let augmenter = ImageAugmenter::new(8, 6, 3)
        .with_max_shift(1)
        .with_max_rotation(20.0)
        .with_elastic(10.0, 2.0);
    let out = augmented(&augmenter, &colour, 6);
    for image in out.inputs().column_iter() {
        assert_eq!(image.rows(0, 48), image.rows(48, 48));
        assert_eq!(image.rows(0, 48), image.rows(96, 48));
    }
    assert_ne!(out.inputs(), colour.inputs());
}

#[test]
fn odd_shapes_work() {
    for (w, h) in [(1, 1), (1, 5), (5, 1), (2, 3), (31, 2)] {
        let data = noise::<f32>(4, w * h, 6);
        let augmenter = ImageAugmenter::new(w, h, 1)
            .with_max_shift(w.max(h))
            .with_max_rotation(180.0)
            .with_max_scaling(0.9)
            .with_elastic(100.0, 0.1);
        let out = augmented(&augmenter, &data, 1);
        assert_eq!(out.inputs().shape(), data.inputs().shape());
        assert!(out.inputs().iter().all(|v| v.is_finite() && *v >= 0.0));
        // The largest α throws every pixel far off the image.
        let wild = augmenter.clone().with_elastic(1e6, 0.5);
        let out = augmented(&wild, &data, 1);
        assert_eq!(out.inputs().shape(), data.inputs().shape());
        assert!(out.inputs().iter().all(|v| v.is_finite() && *v >= 0.0));
    }
    // An empty data set gives an empty copy.
    let none = noise::<f32>(0, 784, 1);
    assert!(augmented(&all_distortions(), &none, 1).is_empty());
}

#[test]
fn the_output_buffers_are_reused() {
    let data = noise::<f32>(10, 784, 7);
    let augmenter = all_distortions();
    let mut out = data.clone();
    let before = (out.inputs().as_ptr(), out.targets().as_ptr());
    augmenter.augment_into(&data, 1, &mut out).unwrap();
    augmenter.augment_into(&data, 2, &mut out).unwrap();
    assert_eq!((out.inputs().as_ptr(), out.targets().as_ptr()), before);
    assert_eq!(out, augmented(&augmenter, &data, 2));
}

#[test]
fn the_prefetcher_gives_what_direct_calls_give() {
    let data = noise::<f32>(40, 784, 8);
    let augmenter = all_distortions();
    let direct = |epoch| augmented(&augmenter, &data, epoch_seed(5, epoch));
    let (fetched, pointers) = augmenter
        .prefetch(&data, 5, 1..=5, |prefetcher| {
            let mut fetched = Vec::new();
            let mut pointers = Vec::new();
            for epoch in 1..=5 {
                let d = prefetcher.epoch(epoch);
                pointers.push(d.inputs().as_ptr());
                fetched.push(d.clone());
                // Asking again gives the same copy.
                assert_eq!(
                    prefetcher.epoch(epoch).inputs().as_ptr(),
                    pointers[epoch - 1]
                );
            }
            (fetched, pointers)
        })
        .unwrap();
    for (e, d) in fetched.iter().enumerate() {
        assert_eq!(d, &direct(e + 1), "epoch {}", e + 1);
    }
    // Two buffers, taking turns: no allocation after the first two epochs.
    assert_ne!(pointers[0], pointers[1]);
    assert_eq!([pointers[0], pointers[0]], [pointers[2], pointers[4]]);
    assert_eq!(pointers[1], pointers[3]);

    // Resuming at epoch 3, out of order, or past the range: the same data.
    augmenter
        .prefetch(&data, 5, 3..=4, |prefetcher| {
            assert_eq!(prefetcher.epoch(3), &direct(3));
            assert_eq!(prefetcher.epoch(1), &direct(1));
            assert_eq!(prefetcher.epoch(4), &direct(4));
            assert_eq!(prefetcher.epoch(5), &direct(5));
            assert_eq!(prefetcher.epoch(4), &direct(4));
        })
        .unwrap();
    // Leaving early (nothing asked) ends the thread.
    let answer = augmenter.prefetch(&data, 5, 1..=100, |_| 42).unwrap();
    assert_eq!(answer, 42);
}

#[test]
fn invalid_settings_are_errors() {
    let data = noise::<f32>(3, 784, 9);
    let base = || ImageAugmenter::new(28, 28, 1);
    let cases = [
        (ImageAugmenter::new(0, 28, 1), "image_shape"),
        (ImageAugmenter::new(28, 28, 0), "image_shape"),
        (ImageAugmenter::new(usize::MAX, 2, 1), "image_shape"),
        (ImageAugmenter::new(28, 14, 1), "image_shape"), // 392 ≠ 784
        (base().with_max_shift(29), "max_shift"),
        (base().with_max_rotation(-1.0), "max_rotation"),
        (base().with_max_rotation(181.0), "max_rotation"),
        (base().with_max_rotation(f64::NAN), "max_rotation"),
        (base().with_max_scaling(1.0), "max_scaling"),
        (base().with_max_scaling(-0.1), "max_scaling"),
        (base().with_elastic(-1.0, 4.0), "elastic_alpha"),
        (base().with_elastic(f64::INFINITY, 4.0), "elastic_alpha"),
        (base().with_elastic(2e6, 4.0), "elastic_alpha"),
        (base().with_elastic(34.0, 0.0), "elastic_sigma"),
        (base().with_elastic(34.0, f64::NAN), "elastic_sigma"),
    ];
    for (augmenter, expected) in cases {
        let mut out = data.clone();
        let err = augmenter.augment_into(&data, 1, &mut out).unwrap_err();
        assert!(
            matches!(err, Error::InvalidConfig { name, .. } if name == expected),
            "{augmenter:?}: {err}"
        );
        assert_eq!(out, data, "left unchanged");
        let err = augmenter.prefetch(&data, 1, 1..=2, |_| ()).unwrap_err();
        assert!(matches!(err, Error::InvalidConfig { name, .. } if name == expected));
    }
    let mut short = vec![0.0f32; 783];
    let err = base()
        .augment_image(&[0.0; 784], 1, 0, &mut short)
        .unwrap_err();
    assert!(matches!(
        err,
        Error::InputSize {
            expected: 784,
            got: 783,
            ..
        }
    ));
    let err = base()
        .augment_image(&[0.0; 10], 1, 0, &mut [0.0; 784])
        .unwrap_err();
    assert!(matches!(err, Error::InputSize { got: 10, .. }));
}

/// Images of a vertical bar in the left (class 0) or right (class 1) half
/// of an 8 × 8 image, with some pixels missing.
fn bars(n: usize, seed: u64) -> Dataset<f32> {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut images = DMatrix::zeros(64, n);
    let mut labels = Vec::new();
    for j in 0..n {
        let class = j % 2;
        let x = if class == 0 { 2 } else { 5 };
        for y in 1..7 {
            if rng.random_range(0.0..1.0) < 0.8 {
                images[(y * 8 + x, j)] = 1.0;
            }
        }
        labels.push(class as u8);
    }
    Dataset::from_labels(images, &labels, 2).unwrap()
}

fn train(seed: u64, epochs: usize) -> (Network<f32>, Vec<EpochReport>) {
    let data = bars(60, 1);
    let augmenter = ImageAugmenter::new(8, 8, 1)
        .with_max_shift(1)
        .with_max_rotation(10.0)
        .with_elastic(4.0, 2.0);
    let mut rng = StdRng::seed_from_u64(seed);
    let mut net = Network::new(&[64, 12, 2], Init::ScaledNormal, &mut rng).unwrap();
    let mut seen = Vec::new();
    let reports = Sgd::new()
        .with_learning_rate(0.5)
        .with_epochs(epochs)
        .train_augmented(
            &mut net,
            &data,
            &augmenter,
            Some(&data),
            &CrossEntropy,
            &mut rng,
            |report, _| {
                seen.push(report.clone());
                ControlFlow::Continue(())
            },
        )
        .unwrap();
    let strip = |r: &EpochReport| (r.epoch, r.epochs, r.evaluation);
    assert_eq!(
        reports.iter().map(strip).collect::<Vec<_>>(),
        seen.iter().map(strip).collect::<Vec<_>>()
    );
    (net, reports)
}

#[test]
fn training_on_augmented_data_learns_and_is_reproducible() {
    let (net, reports) = train(3, 12);
    assert_eq!(reports.len(), 12);
    assert!(reports.iter().all(|r| r.epochs == 12));
    assert_eq!(
        reports.iter().map(|r| r.epoch).collect::<Vec<_>>(),
        (1..=12).collect::<Vec<_>>()
    );
    assert_eq!(reports.last().unwrap().evaluation.unwrap().correct, 60);
    // The same seed gives the same network, bit for bit; another seed not.
    let (again, reports_again) = train(3, 12);
    assert_eq!(net, again);
    let evaluations = |r: &[EpochReport]| r.iter().map(|r| r.evaluation).collect::<Vec<_>>();
    assert_eq!(evaluations(&reports), evaluations(&reports_again));
    assert_ne!(net, train(4, 12).0);
}

#[test]
fn training_on_augmented_data_stops_resumes_and_checks() {
    let data = bars(20, 2);
    let augmenter = ImageAugmenter::new(8, 8, 1).with_max_shift(1);
    let mut rng = StdRng::seed_from_u64(1);
    let mut net = Network::<f32>::new(&[64, 5, 2], Init::ScaledNormal, &mut rng).unwrap();
    let sgd = Sgd::new().with_learning_rate(0.5).with_epochs(10);
    // Stopping after the third epoch.
    let reports = sgd
        .train_augmented(
            &mut net,
            &data,
            &augmenter,
            None,
            &CrossEntropy,
            &mut rng,
            |r, _| {
                if r.epoch == 3 {
                    ControlFlow::Break(())
                } else {
                    ControlFlow::Continue(())
                }
            },
        )
        .unwrap();
    assert_eq!(reports.len(), 3);
    // Resuming after epoch 8 runs epochs 9 and 10.
    let reports = sgd
        .clone()
        .with_starting_epoch(8)
        .train_augmented(
            &mut net,
            &data,
            &augmenter,
            None,
            &CrossEntropy,
            &mut rng,
            |_, _| ControlFlow::Continue(()),
        )
        .unwrap();
    assert_eq!(reports.iter().map(|r| r.epoch).collect::<Vec<_>>(), [9, 10]);
    // A data set of other images, or an empty one, is refused.
    let wrong = ImageAugmenter::new(4, 16, 2);
    let err = sgd
        .train_augmented(
            &mut net,
            &data,
            &wrong,
            None,
            &CrossEntropy,
            &mut rng,
            |_, _| ControlFlow::Continue(()),
        )
        .unwrap_err();
    assert!(matches!(
        err,
        Error::InvalidConfig {
            name: "image_shape",
            ..
        }
    ));
    let empty = data.slice(0, 0).unwrap();
    let err = sgd
        .train_augmented(
            &mut net,
            &empty,
            &augmenter,
            None,
            &CrossEntropy,
            &mut rng,
            |_, _| ControlFlow::Continue(()),
        )
        .unwrap_err();
    assert!(matches!(err, Error::EmptyData { .. }));
}

#[test]
fn training_on_augmented_data_carries_momentum_and_early_stopping_across_epochs() {
    let data = bars(30, 3);
    let augmenter = ImageAugmenter::new(8, 8, 1)
        .with_max_shift(1)
        .with_elastic(3.0, 2.0);
    let sgd = Sgd::new()
        .with_learning_rate(0.2)
        .with_momentum(0.7)
        .with_early_stopping(3)
        .with_epochs(8);
    let start = || {
        let mut rng = StdRng::seed_from_u64(5);
        let net = Network::<f32>::new(&[64, 6, 2], Init::ScaledNormal, &mut rng).unwrap();
        (net, rng)
    };
    let (mut net, mut rng) = start();
    let reports = sgd
        .train_augmented(
            &mut net,
            &data,
            &augmenter,
            Some(&data),
            &CrossEntropy,
            &mut rng,
            |_, _| ControlFlow::Continue(()),
        )
        .unwrap();

    // The same by hand: the run's seed first, then one epoch per call on
    // that epoch's copy, with one TrainingState throughout.
    let (mut by_hand, mut rng) = start();
    let seed = rand::Rng::next_u64(&mut rng);
    let mut state = neuralnet::sgd::TrainingState::new();
    let mut copy = data.clone();
    let mut expected = Vec::new();
    for epoch in 1..=8 {
        augmenter
            .augment_into(&data, epoch_seed(seed, epoch), &mut copy)
            .unwrap();
        let one = sgd
            .clone()
            .with_starting_epoch(epoch - 1)
            .with_epochs(epoch);
        expected.extend(
            one.train_with_state(
                &mut by_hand,
                &mut state,
                &copy,
                Some(&data),
                &CrossEntropy,
                &mut rng,
                &mut Quiet,
            )
            .unwrap(),
        );
        if state.stopped().is_some() {
            break;
        }
    }
    state.restore_best(&mut by_hand);
    assert_eq!(net, by_hand);
    let key = |r: &EpochReport| (r.epoch, r.evaluation, r.learning_rate, r.best_epoch);
    assert_eq!(
        reports.iter().map(key).collect::<Vec<_>>(),
        expected.iter().map(key).collect::<Vec<_>>()
    );
}

/// A monitor that watches nothing.
struct Quiet;

impl neuralnet::Monitor<f32> for Quiet {
    fn on_epoch(&mut self, _: &EpochReport, _: &Network<f32>) -> ControlFlow<()> {
        ControlFlow::Continue(())
    }
}
