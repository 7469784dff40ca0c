//! `preprocess_digit` on pictures the tests make: drawn strokes, blank and
//! malformed images, and (ignored by default: it needs the real MNIST in
//! `$MNIST_DIR`) MNIST's own test digits re-rendered as photos of paper.

use crate::strokes;

use std::path::PathBuf;

use neuralnet::Error;
use neuralnet::mnist::{FILES, Mnist, find_file, read_labels_file};
use neuralnet::mnist::{ImageView, preprocess_digit};
use strokes::{Lcg, on_paper, render};

fn centre_of_mass(p: &[f32]) -> (f32, f32) {
    let m: f32 = p.iter().sum();
    let x = p.iter().enumerate().map(|(i, v)| (i % 28) as f32 * v);
    let y = p.iter().enumerate().map(|(i, v)| (i / 28) as f32 * v);
    (x.sum::<f32>() / m, y.sum::<f32>() / m)
}

/// Rows and columns (first, count) holding a value above `t`.
fn extent(p: &[f32], t: f32) -> ((usize, usize), (usize, usize)) {
    let rows: Vec<usize> = (0..28)
        .filter(|r| (0..28).any(|c| p[r * 28 + c] > t))
        .collect();
    let cols: Vec<usize> = (0..28)
        .filter(|c| (0..28).any(|r| p[r * 28 + c] > t))
        .collect();
    ((cols[0], cols.len()), (rows[0], rows.len()))
}

#[test]
fn a_drawn_one_becomes_a_tall_stroke_centred_by_mass() {
    let (w, h) = (300, 240);
    let cover = render(
        w,
        h,
        &strokes::digit(1).unwrap(),
        (150.0, 20.0),
        200.0,
        14.0,
    );
    let page = on_paper(w, &cover, 15.0, 5.0, &mut Lcg(1));
    let digit = preprocess_digit(&ImageView::new(w, h, 1, &page).unwrap()).unwrap();
    assert!(digit.inverted(), "dark ink on light paper");
    let p = digit.pixels();
    assert_eq!(p.len(), 784);
    let ((_, cols), (_, rows)) = extent(p, 0.0);
    assert_eq!(rows, 20, "the longer side fits 20 pixels");
    assert!(cols <= 8, "a one stays narrow: {cols} columns");
    let (cx, cy) = centre_of_mass(p);
    assert!(
        (cx - 14.0).abs() <= 0.5 && (cy - 14.0).abs() <= 0.5,
        "{cx} {cy}"
    );
}

#[test]
fn a_thick_ring_becomes_a_centred_zero_with_a_hole() {
    // White chalk on a dark board, RGB, the ring off to one side.
    let (w, h) = (400, 300);
    let cover = render(w, h, &strokes::digit(0).unwrap(), (20.0, 30.0), 250.0, 30.0);
    let rgb: Vec<u8> = cover
        .iter()
        .flat_map(|&c| {
            let v = (40.0 + 200.0 * c) as u8;
            [v, v, v.saturating_add(10)]
        })
        .collect();
    let digit = preprocess_digit(&ImageView::new(w, h, 3, &rgb).unwrap()).unwrap();
    assert!(!digit.inverted(), "light ink on dark paper is kept");
    let p = digit.pixels();
    let ((_, cols), (_, rows)) = extent(p, 0.0);
    assert_eq!(rows, 20);
    assert!((12..=16).contains(&cols), "keeps the aspect ratio: {cols}");
    let (cx, cy) = centre_of_mass(p);
    assert!(
        (cx - 14.0).abs() <= 0.5 && (cy - 14.0).abs() <= 0.5,
        "{cx} {cy}"
    );
    assert_eq!(p[14 * 28 + 14], 0.0, "the hole is empty");
    let box_ = digit.ink_box();
    assert!(box_.x > 20 && box_.x < 160 && box_.height > 180, "{box_:?}");
}

#[test]
fn bad_images_get_errors_that_say_what_to_do() {
    let e = ImageView::new(10, 10, 3, &[0; 299]).unwrap_err();
    assert!(
        matches!(
            e,
            Error::ImageBuffer {
                expected: 300,
                got: 299,
                ..
            }
        ),
        "{e}"
    );
    let e = ImageView::new(10, 0, 1, &[]).unwrap_err();
    assert!(matches!(e, Error::ImageDimensions { .. }), "{e}");
    let e = ImageView::new(1 << 13, 1 << 13, 1, &[]).unwrap_err();
    assert!(e.to_string().contains("scale the picture down"), "{e}");
    let blank = on_paper(50, &[0.0; 50 * 40], 10.0, 5.0, &mut Lcg(3));
    let e = preprocess_digit(&ImageView::new(50, 40, 1, &blank).unwrap()).unwrap_err();
    assert!(matches!(e, Error::NoInk { .. }), "{e}");
    assert!(e.to_string().contains("more contrast"), "{e}");
}

/// MNIST digit `pixels` (0 to 255, ink high) as a photo of paper: enlarged 4
/// times with bilinear interpolation, dark ink on shaded, noisy light grey
/// paper, somewhere on a larger page. Returns (width, height, grey bytes).
fn photographed(pixels: &[f32], rng: &mut Lcg) -> (usize, usize, Vec<u8>) {
    const UP: usize = 4;
    let side = 28 * UP;
    let (w, h) = (
        side + 40 + (rng.next() * 120.0) as usize,
        side + 40 + (rng.next() * 90.0) as usize,
    );
    let (ox, oy) = (
        10 + (rng.next() * (w - side - 20) as f32) as usize,
        10 + (rng.next() * (h - side - 20) as f32) as usize,
    );
    let at = |x: isize, y: isize| {
        if (0..28).contains(&x) && (0..28).contains(&y) {
            pixels[y as usize * 28 + x as usize]
        } else {
            0.0
        }
    };
    let mut cover = vec![0.0f32; w * h];
    for y in 0..side {
        for x in 0..side {
            // Bilinear between the centres of the original pixels.
            let (sx, sy) = (
                (x as f32 + 0.5) / UP as f32 - 0.5,
                (y as f32 + 0.5) / UP as f32 - 0.5,
            );
            let (x0, y0) = (sx.floor(), sy.floor());
            let (fx, fy) = (sx - x0, sy - y0);
            let (x0, y0) = (x0 as isize, y0 as isize);
            let v = at(x0, y0) * (1.0 - fx) * (1.0 - fy)
                + at(x0 + 1, y0) * fx * (1.0 - fy)
                + at(x0, y0 + 1) * (1.0 - fx) * fy
                + at(x0 + 1, y0 + 1) * fx * fy;
            cover[(oy + y) * w + ox + x] = v;
        }
    }
    (w, h, on_paper(w, &cover, 20.0, 6.0, rng))
}

#[test]
#[ignore = "needs real MNIST: set MNIST_DIR"]
fn mnist_test_digits_photographed_on_paper_are_recognised_nearly_as_well() {
    let dir = PathBuf::from(std::env::var_os("MNIST_DIR").expect("set MNIST_DIR"));
    let mnist = Mnist::<f32>::load(&dir).unwrap();
    let labels = read_labels_file(find_file(&dir, FILES[3]).unwrap()).unwrap();
    // Nielsen's chapter 3 network and settings, 10 epochs: about 97 %.
    let net = strokes::chapter_3_network(&mnist.training);

    const N: usize = 2_000;
    let inputs = mnist.test.inputs();
    let (mut original, mut photo) = (0, 0);
    let mut page = Lcg(2024);
    for (i, &label) in labels.iter().enumerate().take(N) {
        let x = inputs.column(i).into_owned();
        original += usize::from(net.predict(&x).unwrap() == usize::from(label));
        let pixels: Vec<f32> = x.iter().copied().collect();
        let (w, h, grey) = photographed(&pixels, &mut page);
        let digit = preprocess_digit(&ImageView::new(w, h, 1, &grey).unwrap()).unwrap();
        let guess = net.predict(&digit.to_vector::<f32>()).unwrap();
        photo += usize::from(guess == usize::from(label));
    }
    let (a, b) = (original as f64 / N as f64, photo as f64 / N as f64);
    println!(
        "first {N} MNIST test digits: originals {original} / {N} = {:.2} %, photographed and preprocessed {photo} / {N} = {:.2} % ({:.1} % of the originals' accuracy)",
        100.0 * a,
        100.0 * b,
        100.0 * b / a
    );
    assert!(a > 0.9, "the network trained: {a}");
    assert!(b >= 0.97 * a, "{b} < 97 % of {a}");
}
