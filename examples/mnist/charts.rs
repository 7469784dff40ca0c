//! The examples' pictures, drawn as SVG with plotters (its SVG backend only:
//! pure Rust, text stays SVG `<text>`, no font library).
//!
//! Every function takes plain data (numbers, pixels, labels) and returns the
//! SVG document as a `String`; nothing here knows about networks, so any
//! example can call it:
//!
//! - [`training_curve`]: accuracy and cost per epoch, validation and test;
//! - [`confusion_matrix`]: counts of (true, predicted) classes as a heatmap;
//! - [`weight_images`]: each hidden neuron's incoming weights as an image;
//! - [`digit_grid`]: digits captioned "true → predicted";
//! - [`contour_chart`]: cost surfaces as contour lines ([`iso_lines`],
//!   marching squares) with descent paths clipped to the plot.
//!
//! `examples/gradient_descent.rs` includes this file too (`#[path]`); each
//! example uses only some of the functions.
#![allow(dead_code)]

use std::collections::HashMap;
use std::fmt::Write as _;

use plotters::coord::Shift;
use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint, Ranged};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// What plotters returns when drawing fails; drawing into a `String` does
/// not fail (the SVG backend only fails on I/O, and there is none).
type DrawResult = Result<(), DrawingAreaErrorKind<std::io::Error>>;

const FONT: &str = "sans-serif";
const BLUE: RGBColor = RGBColor(31, 95, 191);
const ORANGE: RGBColor = RGBColor(230, 126, 34);
const RED: RGBColor = RGBColor(192, 57, 43);
const GREY: RGBColor = RGBColor(120, 120, 120);
const GRID: RGBColor = RGBColor(225, 225, 225);

/// Draws a `width × height` picture on white with `draw` and returns the SVG.
fn render(
    (width, height): (u32, u32),
    draw: impl FnOnce(&DrawingArea<SVGBackend, Shift>) -> DrawResult,
) -> String {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (width, height)).into_drawing_area();
        let drawn = root
            .fill(&WHITE)
            .and_then(|()| draw(&root))
            .and_then(|()| root.present());
        // Invariant: the String backend does no I/O, so it has nothing to fail on.
        drawn
            .map_err(|e| e.to_string())
            .expect("drawing SVG into a String cannot fail");
    }
    svg
}

/// Same as `draw_text`, for text of any style.
fn text(
    area: &DrawingArea<SVGBackend, Shift>,
    s: &str,
    style: &TextStyle,
    at: (i32, i32),
) -> DrawResult {
    area.draw(&Text::new(s.to_string(), at, style.clone()))
}

/// A round step (1, 2 or 5 × 10^k) that cuts `span` into at most about
/// `target` parts.
fn nice_step(span: f64, target: usize) -> f64 {
    let raw = span / target.max(1) as f64;
    let magnitude = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * magnitude)
        .find(|&s| s >= raw * (1.0 - 1e-9))
        .unwrap_or(10.0 * magnitude)
}

/// The axis `lo..hi` widened to multiples of a round step, with its ticks
/// and the number of decimals that shows them exactly.
fn nice_axis(lo: f64, hi: f64, target: usize) -> (f64, f64, Vec<f64>, usize) {
    let (lo, hi) = if lo.is_finite() && hi.is_finite() {
        (lo, hi)
    } else {
        (0.0, 1.0)
    };
    let (lo, hi) = if hi - lo < 1e-12 {
        let pad = (lo.abs() * 0.05).max(1e-3);
        (lo - pad, hi + pad)
    } else {
        (lo, hi)
    };
    let step = nice_step(hi - lo, target);
    let (first, last) = ((lo / step).floor(), (hi / step).ceil());
    let ticks: Vec<f64> = (0..=(last - first) as i64)
        .map(|k| (first + k as f64) * step)
        .collect();
    // The fewest decimals that write the step exactly (0.05 needs two).
    let decimals = (0..10)
        .find(|&d| {
            let scaled = step * 10f64.powi(d);
            (scaled - scaled.round()).abs() < 1e-6 * scaled.max(1.0)
        })
        .unwrap_or(10) as usize;
    (first * step, last * step, ticks, decimals)
}

/// An axis from `lo` to `hi` with ticks exactly at `ticks` (plotters'
/// own choice of ticks gives values such as 90.40, 91.28).
#[derive(Debug, Clone)]
struct Axis {
    lo: f64,
    hi: f64,
    ticks: Vec<f64>,
}

impl Axis {
    fn new(lo: f64, hi: f64, ticks: Vec<f64>) -> Self {
        let ticks = ticks
            .into_iter()
            .filter(|t| *t >= lo.min(hi) - 1e-9 && *t <= lo.max(hi) + 1e-9)
            .collect();
        Axis { lo, hi, ticks }
    }
}

impl Ranged for Axis {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        let t = (value - self.lo) / (self.hi - self.lo);
        let pixel = limit.0 as f64 + t * (limit.1 - limit.0) as f64;
        // Far-away values (a diverging path) stay far away, without overflow.
        pixel.round().clamp(-1e6, 1e6) as i32
    }

    fn key_points<Hint: KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        if hint.weight().allow_light_points() {
            Vec::new()
        } else {
            self.ticks.clone()
        }
    }

    fn range(&self) -> std::ops::Range<f64> {
        self.lo..self.hi
    }
}

/// One data set's curve in [`training_curve`]: a value per epoch.
#[derive(Debug, Clone, Copy)]
pub struct Series<'a> {
    /// Accuracy in percent, one per epoch.
    pub accuracy: &'a [f64],
    /// Average cost, one per epoch.
    pub cost: &'a [f64],
}

/// Accuracy (top panel) and average cost (bottom panel) per epoch, for the
/// validation and test data (either may be `None`), on round ticks, with a
/// legend. `epochs[i]` is the epoch of the i-th value of each series.
pub fn training_curve(
    epochs: &[usize],
    validation: Option<Series>,
    test: Option<Series>,
    title: &str,
) -> String {
    let curves: Vec<(&str, RGBColor, Series)> =
        [("validation", ORANGE, validation), ("test", BLUE, test)]
            .into_iter()
            .filter_map(|(name, color, s)| s.map(|s| (name, color, s)))
            .collect();
    let last = epochs.iter().copied().max().unwrap_or(1).max(1);
    let first = epochs.iter().copied().min().unwrap_or(1).saturating_sub(1);
    let x_step = nice_step((last - first) as f64, 10).max(1.0).round() as usize;
    let x_ticks: Vec<f64> = (first..=last)
        .filter(|e| e % x_step == 0)
        .map(|e| e as f64)
        .collect();
    render((820, 640), |root| {
        let area = root.titled(title, (FONT, 22))?;
        let (top, bottom) = area.split_vertically(300);
        let panels = [
            (&top, "accuracy (%)", true, SeriesLabelPosition::LowerRight),
            (
                &bottom,
                "average cost",
                false,
                SeriesLabelPosition::UpperRight,
            ),
        ];
        for (panel, y_desc, accuracy, legend_at) in panels {
            let values = |s: &Series<'_>| (if accuracy { s.accuracy } else { s.cost }).to_vec();
            let all = curves.iter().flat_map(|(_, _, s)| values(s));
            let (lo, hi) = all.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
                (lo.min(v), hi.max(v))
            });
            let (y0, y1, y_ticks, decimals) = nice_axis(lo, hi, 6);
            let mut chart = ChartBuilder::on(panel)
                .margin(12)
                .margin_right(28)
                .x_label_area_size(42)
                .y_label_area_size(70)
                .build_cartesian_2d(
                    Axis::new(first as f64, last as f64, x_ticks.clone()),
                    Axis::new(y0, y1, y_ticks),
                )?;
            chart
                .configure_mesh()
                .bold_line_style(GRID)
                .x_desc("epoch")
                .y_desc(y_desc)
                .label_style((FONT, 17))
                .axis_desc_style((FONT, 18))
                .x_label_formatter(&|x| format!("{x:.0}"))
                .y_label_formatter(&|y| format!("{y:.decimals$}"))
                .draw()?;
            for (name, color, s) in &curves {
                let points = epochs.iter().zip(values(s)).map(|(&e, v)| (e as f64, v));
                let style = color.stroke_width(2);
                chart
                    .draw_series(LineSeries::new(points, style).point_size(3))?
                    .label(*name)
                    .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 24, y)], style));
            }
            if !curves.is_empty() {
                chart
                    .configure_series_labels()
                    .position(legend_at)
                    .margin(12)
                    .label_font((FONT, 17))
                    .background_style(WHITE.mix(0.85))
                    .border_style(GREY)
                    .draw()?;
            }
        }
        Ok(())
    })
}

/// A `classes × classes` confusion matrix as a heatmap with the counts in
/// the cells: row = true class, column = predicted class, `counts` row by
/// row. The diagonal (right answers) is blue, the mistakes red, each shaded
/// by its count.
///
/// # Panics
/// If `counts.len() != classes * classes`.
pub fn confusion_matrix(counts: &[usize], classes: usize, title: &str) -> String {
    assert_eq!(counts.len(), classes * classes, "counts must be classes²");
    let n = classes as f64;
    let max_right = (0..classes)
        .map(|i| counts[i * classes + i])
        .max()
        .unwrap_or(0)
        .max(1);
    let max_wrong = (0..classes * classes)
        .filter(|k| k / classes != k % classes)
        .map(|k| counts[k])
        .max()
        .unwrap_or(0)
        .max(1);
    let ticks: Vec<f64> = (0..classes).map(|i| i as f64 + 0.5).collect();
    render((640, 640), |root| {
        let area = root.titled(title, (FONT, 20))?;
        let mut chart = ChartBuilder::on(&area)
            .margin(14)
            .margin_right(30)
            .x_label_area_size(50)
            .y_label_area_size(56)
            .build_cartesian_2d(Axis::new(0.0, n, ticks.clone()), Axis::new(0.0, n, ticks))?;
        // Row 0 at the top: class c is drawn at y = n − 1 − c.
        let row_label = |y: &f64| format!("{}", classes as f64 - 0.5 - y);
        chart
            .configure_mesh()
            .disable_mesh()
            .x_desc("predicted digit")
            .y_desc("true digit")
            .label_style((FONT, 18))
            .axis_desc_style((FONT, 19))
            .x_label_formatter(&|x| format!("{}", x - 0.5))
            .y_label_formatter(&row_label)
            .draw()?;
        let cells = (0..classes * classes).map(|k| {
            let (row, col) = (k / classes, k % classes);
            let count = counts[k];
            let fill = if count == 0 {
                WHITE
            } else if row == col {
                shade(BLUE, 0.25 + 0.75 * count as f64 / max_right as f64)
            } else {
                shade(RED, 0.15 + 0.85 * (count as f64 / max_wrong as f64).sqrt())
            };
            let (x, y) = (col as f64, (classes - 1 - row) as f64);
            Rectangle::new([(x, y), (x + 1.0, y + 1.0)], fill.filled())
        });
        chart.draw_series(cells)?;
        chart.draw_series((0..=classes).flat_map(|i| {
            let v = i as f64;
            [
                PathElement::new(vec![(v, 0.0), (v, n)], GRID),
                PathElement::new(vec![(0.0, v), (n, v)], GRID),
            ]
        }))?;
        for (k, &count) in counts.iter().enumerate() {
            let (row, col) = (k / classes, k % classes);
            let dark = if row == col {
                count as f64 / max_right as f64 > 0.3
            } else {
                (count as f64 / max_wrong as f64).sqrt() > 0.5
            };
            let color = if count == 0 {
                RGBColor(190, 190, 190)
            } else if dark {
                WHITE
            } else {
                BLACK
            };
            let style = TextStyle::from((FONT, 16).into_font())
                .color(&color)
                .pos(Pos::new(HPos::Center, VPos::Center));
            let at = (col as f64 + 0.5, (classes - 1 - row) as f64 + 0.5);
            chart
                .plotting_area()
                .draw(&Text::new(count.to_string(), at, style))?;
        }
        Ok(())
    })
}

/// `color` mixed with white: 0 is white, 1 is `color`.
fn shade(color: RGBColor, t: f64) -> RGBColor {
    let t = t.clamp(0.0, 1.0);
    let mix = |c: u8| (255.0 - (255.0 - c as f64) * t).round() as u8;
    RGBColor(mix(color.0), mix(color.1), mix(color.2))
}

/// A diverging colour for `t` in [−1, 1]: blue for −1, white for 0, red for 1.
fn diverging(t: f64) -> [u8; 3] {
    let RGBColor(r, g, b) = if t < 0.0 {
        shade(RGBColor(33, 102, 172), -t)
    } else {
        shade(RGBColor(178, 24, 43), t)
    };
    [r, g, b]
}

/// Lays out `count` square images of `side × side` pixels, each shown
/// `scale` times larger with a caption below, `columns` to a row. Returns
/// the picture's size and each image's top-left corner.
fn image_grid(
    count: usize,
    side: usize,
    scale: usize,
    columns: usize,
) -> ((u32, u32), Vec<(i32, i32)>) {
    let cell = (side * scale) as i32;
    let (cw, ch) = (cell + 16, cell + 26);
    let columns = columns.clamp(1, count.max(1));
    let rows = count.div_ceil(columns).max(1);
    let (left, top) = (12, 56);
    let size = (
        (left * 2 + columns as i32 * cw).max(640) as u32,
        (top + rows as i32 * ch + 10) as u32,
    );
    let corners = (0..count)
        .map(|k| {
            (
                left + (k % columns) as i32 * cw + 8,
                top + (k / columns) as i32 * ch,
            )
        })
        .collect();
    (size, corners)
}

/// Each hidden neuron's incoming weights as a `side × side` image, "what the
/// neuron looks for": red where a bright input pixel raises its weighted
/// input z, blue where it lowers it, white for weight 0. `weights` holds one
/// neuron after another, `side²` weights each (row by row, as the image's
/// pixels); each image has its own colour scale ±s, s its 99th percentile
/// of |w|, written under it.
pub fn weight_images(weights: &[f32], side: usize, columns: usize, title: &str) -> String {
    let per = side * side;
    let neurons: Vec<&[f32]> = weights.chunks_exact(per.max(1)).collect();
    // 3 pixels per weight for 28 × 28 images, larger for small kernels.
    let scale = (84 / side.max(1)).max(3);
    let (size, corners) = image_grid(neurons.len(), side, scale, columns);
    let mut images = String::new();
    let svg = render(size, |root| {
        let header = TextStyle::from((FONT, 20).into_font()).pos(Pos::new(HPos::Center, VPos::Top));
        let note = TextStyle::from((FONT, 16).into_font())
            .color(&GREY)
            .pos(Pos::new(HPos::Center, VPos::Top));
        let mid = size.0 as i32 / 2;
        text(root, title, &header, (mid, 8))?;
        text(
            root,
            "blue: weight < 0, white: 0, red: > 0; full colour at ±s (each image's 99th percentile of |w|, under it)",
            &note,
            (mid, 32),
        )?;
        let caption =
            TextStyle::from((FONT, 14).into_font()).pos(Pos::new(HPos::Center, VPos::Top));
        let cell = (side * scale) as i32;
        for (k, (w, &(x, y))) in neurons.iter().zip(&corners).enumerate() {
            let max = robust_scale(w);
            let rgb: Vec<u8> = w
                .iter()
                .flat_map(|&v| {
                    diverging(if max > 0.0 {
                        (v / max).clamp(-1.0, 1.0) as f64
                    } else {
                        0.0
                    })
                })
                .collect();
            push_image(&mut images, (x, y), cell, side, &rgb);
            root.draw(&Rectangle::new(
                [(x - 1, y - 1), (x + cell, y + cell)],
                GREY.stroke_width(1),
            ))?;
            text(
                root,
                &format!("{} ±{max:.2}", k + 1),
                &caption,
                (x + cell / 2, y + cell + 4),
            )?;
        }
        Ok(())
    });
    with_images(svg, &images)
}

/// The 99th percentile of |w|: the scale of a weight image, so that a few
/// large weights do not wash out the rest (larger ones show at full colour).
fn robust_scale(w: &[f32]) -> f32 {
    let mut magnitudes: Vec<f32> = w
        .iter()
        .map(|v| v.abs())
        .filter(|v| v.is_finite())
        .collect();
    magnitudes.sort_by(f32::total_cmp);
    let k = (magnitudes.len() * 99 / 100).min(magnitudes.len().saturating_sub(1));
    magnitudes.get(k).copied().unwrap_or(0.0)
}

/// A grid of `side × side` grey digits (`pixels`: 0 white … 255 black ink),
/// each captioned "true → predicted", ten to a row.
pub fn digit_grid(digits: &[(&[u8], usize, usize)], side: usize, title: &str) -> String {
    let scale = 3;
    let (size, corners) = image_grid(digits.len(), side, scale, 10);
    let mut images = String::new();
    let svg = render(size, |root| {
        let header = TextStyle::from((FONT, 19).into_font()).pos(Pos::new(HPos::Center, VPos::Top));
        text(root, title, &header, (size.0 as i32 / 2, 12))?;
        let cell = (side * scale) as i32;
        let truth_style =
            TextStyle::from((FONT, 16).into_font()).pos(Pos::new(HPos::Right, VPos::Top));
        let guess_style = TextStyle::from((FONT, 16).into_font())
            .color(&RED)
            .pos(Pos::new(HPos::Left, VPos::Top));
        for ((pixels, truth, predicted), &(x, y)) in digits.iter().zip(&corners) {
            let rgb: Vec<u8> = pixels.iter().flat_map(|&p| [255 - p; 3]).collect();
            push_image(&mut images, (x, y), cell, side, &rgb);
            root.draw(&Rectangle::new(
                [(x - 1, y - 1), (x + cell, y + cell)],
                RGBColor(170, 170, 170).stroke_width(1),
            ))?;
            let mid = x + cell / 2;
            text(
                root,
                &format!("{truth} →"),
                &truth_style,
                (mid + 4, y + cell + 5),
            )?;
            text(
                root,
                &predicted.to_string(),
                &guess_style,
                (mid + 8, y + cell + 5),
            )?;
        }
        Ok(())
    });
    with_images(svg, &images)
}

/// Appends an SVG `<image>` of `side × side` RGB pixels at `(x, y)`, shown
/// `shown × shown` with sharp pixels. The pixels travel as a PNG inside the
/// SVG (a data URI): a few hundred bytes where one `<rect>` per pixel would
/// take tens of kilobytes.
fn push_image(out: &mut String, (x, y): (i32, i32), shown: i32, side: usize, rgb: &[u8]) {
    // Each pixel repeated `k` times across and down, so that viewers which
    // smooth scaled images still show sharp squares.
    let k = 4;
    let big = side * k;
    let mut up = Vec::with_capacity(big * big * 3);
    for row in rgb.chunks_exact(side * 3) {
        let line: Vec<u8> = row
            .chunks_exact(3)
            .flat_map(|p| std::iter::repeat_n(p, k).flatten().copied())
            .collect();
        for _ in 0..k {
            up.extend_from_slice(&line);
        }
    }
    let mut png = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut png, big as u32, big as u32);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        // Invariant: the header and data match (big × big RGB) and a Vec
        // does not fail to grow.
        let mut writer = encoder.write_header().expect("valid PNG header");
        writer.write_image_data(&up).expect("big × big RGB pixels");
        writer.finish().expect("writing to a Vec");
    }
    let _ = writeln!(
        out,
        r#"<image x="{x}" y="{y}" width="{shown}" height="{shown}" style="image-rendering:pixelated" preserveAspectRatio="none" href="data:image/png;base64,{}"/>"#,
        base64(&png)
    );
}

/// `svg` with `images` added just before its closing tag (on top of what
/// plotters drew).
fn with_images(mut svg: String, images: &str) -> String {
    if let Some(end) = svg.rfind("</svg>") {
        svg.insert_str(end, images);
    }
    svg
}

/// Standard base64 (RFC 4648) with padding.
fn base64(bytes: &[u8]) -> String {
    const ABC: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut s = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                s.push(ABC[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                s.push('=');
            }
        }
    }
    s
}

/// A cost surface sampled on a grid, for [`contour_chart`].
#[derive(Debug, Clone)]
pub struct Surface<'a> {
    /// The panel's title.
    pub title: &'a str,
    /// The window: x from `x[0]` to `x[1]`, y from `y[0]` to `y[1]`.
    pub x: [f64; 2],
    /// See `x`.
    pub y: [f64; 2],
    /// Grid points across (`nx`) and down (`ny`), at least 2 each.
    pub nx: usize,
    /// See `nx`.
    pub ny: usize,
    /// The surface's values, row by row from `y[0]` up: `values[j * nx + i]`
    /// is at x = x₀ + i·(x₁ − x₀)/(nx − 1), y = y₀ + j·(y₁ − y₀)/(ny − 1).
    pub values: &'a [f64],
    /// The heights at which to draw contour lines.
    pub levels: &'a [f64],
    /// A point to mark (the minimum).
    pub mark: Option<[f64; 2]>,
    /// Paths to draw over the contours; parts outside the window are cut off.
    pub paths: &'a [Trail<'a>],
}

/// A path over a [`Surface`], with its legend text.
#[derive(Debug, Clone)]
pub struct Trail<'a> {
    /// The legend text.
    pub label: String,
    /// The points in order.
    pub points: &'a [[f64; 2]],
    /// `(r, g, b)` of the line.
    pub color: (u8, u8, u8),
}

/// Contour lines of each surface, side by side, with the paths on top and
/// a legend under each panel.
pub fn contour_chart(panels: &[Surface]) -> String {
    let (pw, legend_h) = (
        500u32,
        24 * panels.iter().map(|p| p.paths.len()).max().unwrap_or(0) as u32 + 36,
    );
    let size = (pw * panels.len().max(1) as u32, 450 + legend_h);
    render(size, |root| {
        for (surface, area) in panels
            .iter()
            .zip(root.split_evenly((1, panels.len().max(1))))
        {
            let (plot, legend) = area.split_vertically(450);
            let ([x0, x1], [y0, y1]) = (surface.x, surface.y);
            let (_, _, x_ticks, xd) = nice_axis(x0, x1, 8);
            let (_, _, y_ticks, yd) = nice_axis(y0, y1, 8);
            let mut chart = ChartBuilder::on(&plot)
                .caption(surface.title, (FONT, 19))
                .margin(12)
                .margin_right(30)
                .x_label_area_size(44)
                .y_label_area_size(52)
                .build_cartesian_2d(Axis::new(x0, x1, x_ticks), Axis::new(y0, y1, y_ticks))?;
            chart
                .configure_mesh()
                .bold_line_style(GRID.mix(0.6))
                .x_desc("v₁")
                .y_desc("v₂")
                .label_style((FONT, 16))
                .axis_desc_style((FONT, 18))
                .x_label_formatter(&|v| format!("{v:.xd$}"))
                .y_label_formatter(&|v| format!("{v:.yd$}"))
                .draw()?;
            let to_xy = |[i, j]: [f64; 2]| {
                (
                    x0 + i / (surface.nx - 1) as f64 * (x1 - x0),
                    y0 + j / (surface.ny - 1) as f64 * (y1 - y0),
                )
            };
            let count = surface.levels.len().max(1) as f64;
            for (k, &level) in surface.levels.iter().enumerate() {
                // Low levels dark, high levels light.
                let color = shade(RGBColor(60, 90, 130), 0.85 - 0.6 * k as f64 / count);
                let lines = iso_lines(surface.values, surface.nx, surface.ny, level);
                chart.draw_series(lines.into_iter().map(|line| {
                    PathElement::new(
                        line.into_iter().map(to_xy).collect::<Vec<_>>(),
                        color.stroke_width(1),
                    )
                }))?;
            }
            let (wx, wy) = (surface.x, surface.y);
            let inside =
                |p: &&[f64; 2]| p[0] >= wx[0] && p[0] <= wx[1] && p[1] >= wy[0] && p[1] <= wy[1];
            for trail in surface.paths {
                let (r, g, b) = trail.color;
                let color = RGBColor(r, g, b);
                for piece in clip_polyline(trail.points, wx, wy) {
                    chart.draw_series(LineSeries::new(
                        piece.into_iter().map(|[x, y]| (x, y)),
                        color.stroke_width(2),
                    ))?;
                }
                // The steps as dots, where there are few enough to see.
                if trail.points.len() <= 100 {
                    chart.draw_series(
                        trail
                            .points
                            .iter()
                            .filter(inside)
                            .map(|&[x, y]| Circle::new((x, y), 2, color.filled())),
                    )?;
                }
            }
            let starts = surface
                .paths
                .iter()
                .filter_map(|t| t.points.first())
                .filter(inside);
            chart
                .draw_series(starts.map(|&[x, y]| Circle::new((x, y), 6, BLACK.stroke_width(2))))?;
            if let Some([mx, my]) = surface.mark {
                chart.draw_series([Circle::new((mx, my), 4, BLACK.filled())])?;
            }
            let body =
                TextStyle::from((FONT, 16).into_font()).pos(Pos::new(HPos::Left, VPos::Center));
            let note = body.color(&GREY);
            let levels: Vec<String> = surface.levels.iter().map(|l| format!("{l}")).collect();
            text(
                &legend,
                &format!("contours at C = {}", levels.join(", ")),
                &note,
                (52, 8),
            )?;
            for (k, trail) in surface.paths.iter().enumerate() {
                let (r, g, b) = trail.color;
                let y = 32 + 22 * k as i32;
                legend.draw(&PathElement::new(
                    vec![(52, y), (78, y)],
                    RGBColor(r, g, b).stroke_width(2),
                ))?;
                text(&legend, &trail.label, &body, (86, y))?;
            }
        }
        Ok(())
    })
}

/// Round contour heights between `lo` and `hi` (both > 0): 1, 2 and 5 times
/// the powers of ten.
pub fn levels_1_2_5(lo: f64, hi: f64) -> Vec<f64> {
    let mut levels = Vec::new();
    let mut decade = 10f64.powf(lo.log10().floor());
    while decade <= hi {
        for m in [1.0, 2.0, 5.0] {
            let l = m * decade;
            if l >= lo && l <= hi {
                // Rounded to the significant digits, so 0.1 prints as 0.1.
                levels.push(format!("{l:.12e}").parse().unwrap_or(l));
            }
        }
        decade *= 10.0;
    }
    levels
}

/// Where the contour line at height `level` crosses each grid cell, by
/// marching squares, joined into polylines. `values` is an `nx × ny` grid,
/// row by row (`values[j * nx + i]`); the points are in grid units (x = i,
/// y = j, fractional between grid points). Saddle cells are decided by the
/// cell's mean value.
pub fn iso_lines(values: &[f64], nx: usize, ny: usize, level: f64) -> Vec<Vec<[f64; 2]>> {
    if nx < 2 || ny < 2 || values.len() != nx * ny {
        return Vec::new();
    }
    // An edge of the grid: (i, j, 0) from (i, j) to (i + 1, j); (i, j, 1)
    // from (i, j) to (i, j + 1). Its crossing point is shared by the two
    // cells on either side, which lets segments be joined exactly.
    type Edge = (usize, usize, u8);
    let v = |i: usize, j: usize| values[j * nx + i];
    let point = |(i, j, dir): Edge| -> [f64; 2] {
        let (a, b) = if dir == 0 {
            (v(i, j), v(i + 1, j))
        } else {
            (v(i, j), v(i, j + 1))
        };
        let t = if (b - a).abs() > 0.0 {
            ((level - a) / (b - a)).clamp(0.0, 1.0)
        } else {
            0.5
        };
        if dir == 0 {
            [i as f64 + t, j as f64]
        } else {
            [i as f64, j as f64 + t]
        }
    };
    let mut segments: Vec<[Edge; 2]> = Vec::new();
    for j in 0..ny - 1 {
        for i in 0..nx - 1 {
            // Corners counter-clockwise from the bottom left.
            let corners = [v(i, j), v(i + 1, j), v(i + 1, j + 1), v(i, j + 1)];
            if corners.iter().any(|c| !c.is_finite()) {
                continue;
            }
            let case = corners
                .iter()
                .enumerate()
                .fold(0, |c, (k, &x)| c | (usize::from(x >= level) << k));
            let (bottom, right, top, left) = ((i, j, 0), (i + 1, j, 1), (i, j + 1, 0), (i, j, 1));
            let centre_high = corners.iter().sum::<f64>() / 4.0 >= level;
            let mut add = |a: Edge, b: Edge| segments.push([a, b]);
            match case {
                0 | 15 => {}
                1 | 14 => add(left, bottom),
                2 | 13 => add(bottom, right),
                3 | 12 => add(left, right),
                4 | 11 => add(right, top),
                6 | 9 => add(bottom, top),
                7 | 8 => add(left, top),
                // Saddles: two opposite corners high.
                5 => {
                    if centre_high {
                        add(left, top);
                        add(bottom, right);
                    } else {
                        add(left, bottom);
                        add(right, top);
                    }
                }
                10 => {
                    if centre_high {
                        add(left, bottom);
                        add(right, top);
                    } else {
                        add(left, top);
                        add(bottom, right);
                    }
                }
                _ => unreachable!("four corners make 16 cases"),
            }
        }
    }
    // Join segments that share an edge into polylines.
    let mut at: HashMap<Edge, Vec<usize>> = HashMap::new();
    for (s, seg) in segments.iter().enumerate() {
        for &e in seg {
            at.entry(e).or_default().push(s);
        }
    }
    let mut used = vec![false; segments.len()];
    let mut lines = Vec::new();
    for start in 0..segments.len() {
        if used[start] {
            continue;
        }
        used[start] = true;
        let mut chain = vec![segments[start][0], segments[start][1]];
        // Grow forwards from the last edge, then backwards from the first.
        for backwards in [false, true] {
            loop {
                let end = if backwards {
                    chain[0]
                } else {
                    chain[chain.len() - 1]
                };
                let Some(&next) = at[&end].iter().find(|&&s| !used[s]) else {
                    break;
                };
                used[next] = true;
                let [a, b] = segments[next];
                let other = if a == end { b } else { a };
                if backwards {
                    chain.insert(0, other);
                } else {
                    chain.push(other);
                }
            }
        }
        lines.push(chain.into_iter().map(point).collect());
    }
    lines
}

/// The parts of a polyline inside the window `x[0]..x[1]` × `y[0]..y[1]`
/// (each segment cut at the border, Liang–Barsky); non-finite points end a
/// part.
pub fn clip_polyline(points: &[[f64; 2]], x: [f64; 2], y: [f64; 2]) -> Vec<Vec<[f64; 2]>> {
    let mut parts: Vec<Vec<[f64; 2]>> = Vec::new();
    let mut current: Vec<[f64; 2]> = Vec::new();
    for pair in points.windows(2) {
        let ([ax, ay], [bx, by]) = (pair[0], pair[1]);
        let clipped = if [ax, ay, bx, by].iter().all(|v| v.is_finite()) {
            clip_segment([ax, ay], [bx, by], x, y)
        } else {
            None
        };
        match clipped {
            Some((p, q)) => {
                if current.last() != Some(&p) {
                    if current.len() > 1 {
                        parts.push(std::mem::take(&mut current));
                    }
                    current.clear();
                    current.push(p);
                }
                current.push(q);
            }
            None => {
                if current.len() > 1 {
                    parts.push(std::mem::take(&mut current));
                }
                current.clear();
            }
        }
    }
    if current.len() > 1 {
        parts.push(current);
    }
    if parts.is_empty()
        && let [p] = points
        && p[0] >= x[0]
        && p[0] <= x[1]
        && p[1] >= y[0]
        && p[1] <= y[1]
    {
        parts.push(vec![*p]);
    }
    parts
}

/// The part of the segment a → b inside the window, if any.
fn clip_segment(
    a: [f64; 2],
    b: [f64; 2],
    x: [f64; 2],
    y: [f64; 2],
) -> Option<([f64; 2], [f64; 2])> {
    let d = [b[0] - a[0], b[1] - a[1]];
    let (mut t0, mut t1) = (0.0f64, 1.0f64);
    // Each border as p·t ≤ q.
    for (p, q) in [
        (-d[0], a[0] - x[0]),
        (d[0], x[1] - a[0]),
        (-d[1], a[1] - y[0]),
        (d[1], y[1] - a[1]),
    ] {
        if p == 0.0 {
            if q < 0.0 {
                return None;
            }
        } else {
            let t = q / p;
            if p < 0.0 {
                t0 = t0.max(t);
            } else {
                t1 = t1.min(t);
            }
        }
    }
    (t0 <= t1).then(|| {
        let at = |t: f64| [a[0] + t * d[0], a[1] + t * d[1]];
        (at(t0), at(t1))
    })
}
