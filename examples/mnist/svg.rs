//! Two small SVG pictures, written by hand (no plotting dependency): the
//! training curve and a grid of misclassified digits.

use std::fmt::Write as _;

/// One point of the training curve.
pub struct Point {
    pub epoch: usize,
    /// Test accuracy in percent.
    pub accuracy: f64,
    /// Average test cost.
    pub cost: f64,
}

fn nice_range(lo: f64, hi: f64) -> (f64, f64) {
    if (hi - lo).abs() < 1e-12 {
        // One point: a window of ±5% around it (accuracies and costs are ≥ 0).
        let pad = (lo.abs() * 0.05).max(1e-3);
        (lo - pad, hi + pad)
    } else {
        let pad = (hi - lo) * 0.05;
        (lo - pad, hi + pad)
    }
}

/// Accuracy (left axis, blue) and cost (right axis, red) per epoch.
pub fn training_curve(points: &[Point], title: &str) -> String {
    let (w, h) = (760.0, 440.0);
    let (left, right, top, bottom) = (70.0, 690.0, 50.0, 380.0);
    let max_epoch = points.iter().map(|p| p.epoch).max().unwrap_or(1).max(1) as f64;
    let (a_lo, a_hi) = nice_range(
        points
            .iter()
            .map(|p| p.accuracy)
            .fold(f64::INFINITY, f64::min),
        points
            .iter()
            .map(|p| p.accuracy)
            .fold(f64::NEG_INFINITY, f64::max),
    );
    let (c_lo, c_hi) = nice_range(
        points.iter().map(|p| p.cost).fold(f64::INFINITY, f64::min),
        points
            .iter()
            .map(|p| p.cost)
            .fold(f64::NEG_INFINITY, f64::max),
    );
    let x = |e: f64| left + (right - left) * (e - 0.0) / max_epoch;
    let ya = |a: f64| bottom - (bottom - top) * (a - a_lo) / (a_hi - a_lo);
    let yc = |c: f64| bottom - (bottom - top) * (c - c_lo) / (c_hi - c_lo);

    let mut s = open(w, h, 12, 28.0, title);
    let _ = writeln!(
        s,
        r#"<path d="M{left} {top} V{bottom} H{right} V{top}" fill="none" stroke="black"/>"#
    );
    for i in 0..=5 {
        let f = i as f64 / 5.0;
        let y = bottom - (bottom - top) * f;
        let _ = writeln!(
            s,
            r##"<line x1="{left}" x2="{right}" y1="{y}" y2="{y}" stroke="#ddd"/>"##
        );
        let _ = writeln!(
            s,
            r##"<text x="{}" y="{}" text-anchor="end" fill="#1f5fbf">{:.2}</text>"##,
            left - 6.0,
            y + 4.0,
            a_lo + (a_hi - a_lo) * f
        );
        let _ = writeln!(
            s,
            r##"<text x="{}" y="{}" fill="#c0392b">{:.4}</text>"##,
            right + 6.0,
            y + 4.0,
            c_lo + (c_hi - c_lo) * f
        );
    }
    let step = ((max_epoch / 10.0).ceil() as usize).max(1);
    for e in (0..=max_epoch as usize).step_by(step) {
        let _ = writeln!(
            s,
            r#"<text x="{}" y="{}" text-anchor="middle">{e}</text>"#,
            x(e as f64),
            bottom + 18.0
        );
    }
    let _ = writeln!(
        s,
        r#"<text x="{}" y="{}" text-anchor="middle">epoch</text>"#,
        (left + right) / 2.0,
        bottom + 40.0
    );
    let _ = writeln!(
        s,
        r##"<text x="18" y="{}" fill="#1f5fbf" transform="rotate(-90 18 {})" text-anchor="middle">test accuracy (%)</text>"##,
        (top + bottom) / 2.0,
        (top + bottom) / 2.0
    );
    let _ = writeln!(
        s,
        r##"<text x="{}" y="{}" fill="#c0392b" transform="rotate(90 {} {})" text-anchor="middle">average test cost</text>"##,
        w - 14.0,
        (top + bottom) / 2.0,
        w - 14.0,
        (top + bottom) / 2.0
    );
    for (color, y) in [("#1f5fbf", &ya as &dyn Fn(f64) -> f64), ("#c0392b", &yc)] {
        let values: Vec<f64> = if color == "#1f5fbf" {
            points.iter().map(|p| p.accuracy).collect()
        } else {
            points.iter().map(|p| p.cost).collect()
        };
        let path: Vec<String> = points
            .iter()
            .zip(&values)
            .map(|(p, &v)| format!("{:.1},{:.1}", x(p.epoch as f64), y(v)))
            .collect();
        let _ = writeln!(
            s,
            r#"<polyline points="{}" fill="none" stroke="{color}" stroke-width="2"/>"#,
            path.join(" ")
        );
        for (p, &v) in points.iter().zip(&values) {
            let _ = writeln!(
                s,
                r#"<circle cx="{:.1}" cy="{:.1}" r="3" fill="{color}"/>"#,
                x(p.epoch as f64),
                y(v)
            );
        }
    }
    s.push_str("</svg>\n");
    s
}

/// A grid of 28 × 28 digits, each captioned "true → predicted".
pub fn digit_grid(digits: &[(&[u8], usize, usize)], side: usize, title: &str) -> String {
    let scale = 3;
    let cell = side * scale;
    let per_row = 10;
    let rows = digits.len().div_ceil(per_row).max(1);
    let (cw, ch) = (cell + 16, cell + 30);
    let (w, h) = (per_row * cw + 16, rows * ch + 44);
    let mut s = open(w as f64, h as f64, 13, 24.0, title);
    for (n, (pixels, truth, predicted)) in digits.iter().enumerate() {
        let (ox, oy) = (8 + (n % per_row) * cw + 8, 40 + (n / per_row) * ch);
        let _ = writeln!(
            s,
            r##"<rect x="{ox}" y="{oy}" width="{cell}" height="{cell}" fill="white" stroke="#999"/>"##
        );
        for (i, &p) in pixels.iter().enumerate() {
            if p == 0 {
                continue;
            }
            let g = 255 - p;
            let _ = writeln!(
                s,
                r#"<rect x="{}" y="{}" width="{scale}" height="{scale}" fill="rgb({g},{g},{g})"/>"#,
                ox + (i % side) * scale,
                oy + (i / side) * scale
            );
        }
        let _ = writeln!(
            s,
            r##"<text x="{}" y="{}" text-anchor="middle">{truth} → <tspan fill="#c0392b">{predicted}</tspan></text>"##,
            ox + cell / 2,
            oy + cell + 18
        );
    }
    s.push_str("</svg>\n");
    s
}

/// The start of an SVG picture of `w × h` on white, with a centred title at
/// height `title_y`.
fn open(w: f64, h: f64, font_size: u32, title_y: f64, title: &str) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" font-family="sans-serif" font-size="{font_size}">"#
    );
    let _ = writeln!(s, r#"<rect width="100%" height="100%" fill="white"/>"#);
    let _ = writeln!(
        s,
        r#"<text x="{}" y="{title_y}" text-anchor="middle" font-size="15">{}</text>"#,
        w / 2.0,
        escape(title)
    );
    s
}

fn escape(t: &str) -> String {
    t.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}
