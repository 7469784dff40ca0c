//! Hand-drawn-style digits for the tests: polylines in a unit square (x to
//! the right, y down, as on a screen), rendered as thick anti-aliased
//! strokes, and pages to put them on; and the network those tests read
//! them with.
#![allow(dead_code)] // each test file uses a part

/// Nielsen's chapter 3 network ([784, 100, 10], cross-entropy, η = 0.5,
/// λ = 5, m = 10, N(0, 1/n_in)) trained on `training` for 10 epochs with
/// seed 1: about 97% on MNIST's test set.
pub fn chapter_3_network(training: &neuralnet::Dataset<f32>) -> neuralnet::Network<f32> {
    use neuralnet::rand::SeedableRng;
    use neuralnet::{CrossEntropy, Init, Network, Sgd};
    let mut rng = neuralnet::rand::rngs::StdRng::seed_from_u64(1);
    let mut net = Network::<f32>::new(&[784, 100, 10], Init::ScaledNormal, &mut rng).unwrap();
    Sgd::new()
        .with_epochs(10)
        .with_learning_rate(0.5)
        .with_l2_lambda(5.0)
        .with_mini_batch_size(10)
        .train(&mut net, training, None, &CrossEntropy, &mut rng, |_, _| {
            std::ops::ControlFlow::Continue(())
        })
        .unwrap();
    net
}

/// One stroke: the pen's path from pen-down to pen-up.
pub type Stroke = Vec<(f32, f32)>;

/// Points on an ellipse around (cx, cy), from angle `from` to `to` (in turns,
/// 0 = right, ¼ = down), `n` segments.
fn arc(cx: f32, cy: f32, rx: f32, ry: f32, from: f32, to: f32, n: usize) -> Stroke {
    (0..=n)
        .map(|i| {
            let t = std::f32::consts::TAU * (from + (to - from) * i as f32 / n as f32);
            (cx + rx * t.cos(), cy + ry * t.sin())
        })
        .collect()
}

/// How a person might draw digit `d` with a mouse, or `None` for digits
/// without a drawing here.
pub fn digit(d: u8) -> Option<Vec<Stroke>> {
    Some(match d {
        0 => vec![arc(0.5, 0.5, 0.26, 0.38, -0.25, 0.76, 32)],
        1 => vec![vec![(0.44, 0.2), (0.56, 0.1), (0.53, 0.5), (0.5, 0.9)]],
        2 => {
            let mut s = arc(0.5, 0.33, 0.24, 0.22, 0.55, 1.05, 12);
            s.extend([(0.6, 0.55), (0.25, 0.88), (0.8, 0.87)]);
            vec![s]
        }
        3 => {
            let mut s = arc(0.48, 0.3, 0.24, 0.19, 0.6, 1.22, 12);
            s.extend(arc(0.48, 0.69, 0.27, 0.21, -0.22, 0.4, 12));
            vec![s]
        }
        4 => vec![
            vec![(0.55, 0.1), (0.2, 0.62), (0.82, 0.62)],
            vec![(0.62, 0.35), (0.6, 0.92)],
        ],
        7 => vec![vec![(0.22, 0.14), (0.78, 0.14), (0.48, 0.58), (0.4, 0.9)]],
        _ => return None,
    })
}

/// Renders `strokes` (unit square scaled to `size` pixels, placed at
/// `origin`) into an ink-coverage map of `w × h` (0 = paper, 1 = ink), with a
/// pen `width` pixels wide.
pub fn render(
    w: usize,
    h: usize,
    strokes: &[Stroke],
    origin: (f32, f32),
    size: f32,
    width: f32,
) -> Vec<f32> {
    let mut cover = vec![0.0f32; w * h];
    let r = width / 2.0;
    let map = |(x, y): (f32, f32)| (origin.0 + x * size, origin.1 + y * size);
    for stroke in strokes {
        for seg in stroke.windows(2) {
            let (a, b) = (map(seg[0]), map(seg[1]));
            let x0 = (a.0.min(b.0) - r - 1.0).max(0.0) as usize;
            let x1 = ((a.0.max(b.0) + r + 2.0) as usize).min(w);
            let y0 = (a.1.min(b.1) - r - 1.0).max(0.0) as usize;
            let y1 = ((a.1.max(b.1) + r + 2.0) as usize).min(h);
            for y in y0..y1 {
                for x in x0..x1 {
                    let p = (x as f32 + 0.5, y as f32 + 0.5);
                    let d = distance_to_segment(p, a, b);
                    let c = (r + 0.5 - d).clamp(0.0, 1.0);
                    let v = &mut cover[y * w + x];
                    *v = v.max(c);
                }
            }
        }
    }
    cover
}

fn distance_to_segment(p: (f32, f32), a: (f32, f32), b: (f32, f32)) -> f32 {
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let len2 = dx * dx + dy * dy;
    let t = if len2 > 0.0 {
        (((p.0 - a.0) * dx + (p.1 - a.1) * dy) / len2).clamp(0.0, 1.0)
    } else {
        0.0
    };
    let (qx, qy) = (a.0 + t * dx - p.0, a.1 + t * dy - p.1);
    (qx * qx + qy * qy).sqrt()
}

/// A small deterministic pseudo-random generator (a linear congruential
/// one), so that pages are reproducible without an RNG crate.
pub struct Lcg(pub u64);

impl Lcg {
    /// A value in [0, 1).
    pub fn next(&mut self) -> f32 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 40) as f32 / (1u64 << 24) as f32
    }
}

/// Ink coverage on a sheet of paper: light grey (about 215), a shading of
/// ±`shade` grey levels from left to right, noise of ±`noise`, and ink of
/// grey level 35 where `cover` is 1.
pub fn on_paper(w: usize, cover: &[f32], shade: f32, noise: f32, rng: &mut Lcg) -> Vec<u8> {
    cover
        .iter()
        .enumerate()
        .map(|(i, &c)| {
            let x = (i % w) as f32 / w as f32;
            let paper = 215.0 + shade * (2.0 * x - 1.0) + noise * (2.0 * rng.next() - 1.0);
            (paper + c * (35.0 - paper)).round().clamp(0.0, 255.0) as u8
        })
        .collect()
}
