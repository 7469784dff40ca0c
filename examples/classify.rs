//! Classifies your own handwriting with a network saved by the `mnist`
//! example.
//!
//! ```sh
//! cargo run --release --example mnist -- --save digits.nnet
//! cargo run --release --example classify -- digits.nnet my-digit.png
//! ```
//!
//! The image may be a PNG (any colour type) or a binary PGM (P5), of any
//! size. It is turned into what the network saw in training: 28 × 28 grey
//! values in [0, 1] with the digit light on a dark background. A dark digit
//! on light paper (the usual photo or scan) is recognised by its light border
//! and inverted; other sizes are resampled by averaging. MNIST digits are
//! also centred in a 20 × 20 box; draw yours large and in the middle.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use nalgebra::DVector;
use neuralnet::Network;

type BoxError = Box<dyn std::error::Error>;

/// A greyscale image, 0 = black, 255 = white, row-major.
struct Grey {
    width: usize,
    height: usize,
    pixels: Vec<u8>,
}

fn read_png(path: &Path) -> Result<Grey, BoxError> {
    let file = std::io::BufReader::new(std::fs::File::open(path)?);
    let mut decoder = png::Decoder::new(file);
    decoder.set_transformations(png::Transformations::normalize_to_color8());
    let mut reader = decoder.read_info()?;
    let mut buf = vec![0; reader.output_buffer_size().ok_or("PNG too large")?];
    let info = reader.next_frame(&mut buf)?;
    let channels = info.color_type.samples();
    let (width, height) = (info.width as usize, info.height as usize);
    let pixels = buf[..info.buffer_size()]
        .chunks_exact(channels)
        .map(|p| {
            // Luminance, composited on white paper when there is alpha.
            let (grey, alpha) = match p.len() {
                1 => (f64::from(p[0]), 255.0),
                2 => (f64::from(p[0]), f64::from(p[1])),
                3 => (
                    0.299 * f64::from(p[0]) + 0.587 * f64::from(p[1]) + 0.114 * f64::from(p[2]),
                    255.0,
                ),
                _ => (
                    0.299 * f64::from(p[0]) + 0.587 * f64::from(p[1]) + 0.114 * f64::from(p[2]),
                    f64::from(p[3]),
                ),
            };
            let a = alpha / 255.0;
            (grey * a + 255.0 * (1.0 - a)).round() as u8
        })
        .collect();
    Ok(Grey {
        width,
        height,
        pixels,
    })
}

/// A binary PGM (P5) with 8-bit values.
fn read_pgm(bytes: &[u8]) -> Result<Grey, BoxError> {
    let mut fields = Vec::new();
    let mut i = 2;
    while fields.len() < 3 {
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        if i < bytes.len() && bytes[i] == b'#' {
            while i < bytes.len() && bytes[i] != b'\n' {
                i += 1;
            }
            continue;
        }
        let start = i;
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            i += 1;
        }
        let text = std::str::from_utf8(&bytes[start..i])?;
        fields.push(text.parse::<usize>().map_err(|_| "malformed PGM header")?);
    }
    let (width, height, max) = (fields[0], fields[1], fields[2]);
    if max == 0 || max > 255 {
        return Err("only 8-bit PGM files (maximum value 1 to 255) are supported".into());
    }
    let data = bytes.get(i + 1..).unwrap_or_default();
    let n = width.checked_mul(height).ok_or("PGM too large")?;
    if data.len() < n {
        return Err(format!("PGM of {width} × {height} holds only {} pixels", data.len()).into());
    }
    let pixels = data[..n]
        .iter()
        .map(|&v| (usize::from(v) * 255 / max) as u8)
        .collect();
    Ok(Grey {
        width,
        height,
        pixels,
    })
}

fn read_image(path: &Path) -> Result<Grey, BoxError> {
    let bytes = std::fs::read(path)?;
    let image = if bytes.starts_with(b"\x89PNG") {
        read_png(path)?
    } else if bytes.starts_with(b"P5") {
        read_pgm(&bytes)?
    } else {
        return Err("not a PNG or binary PGM (P5) image".into());
    };
    if image.width == 0 || image.height == 0 {
        return Err("the image is empty".into());
    }
    Ok(image)
}

/// The network's input: 28 × 28 values in [0, 1], 1 = ink.
fn to_input(image: &Grey) -> (DVector<f32>, bool) {
    // Light border = dark ink on light paper: invert so the ink is bright.
    let (w, h) = (image.width, image.height);
    let border: Vec<u8> = (0..w)
        .flat_map(|x| [image.pixels[x], image.pixels[(h - 1) * w + x]])
        .chain((0..h).flat_map(|y| [image.pixels[y * w], image.pixels[y * w + w - 1]]))
        .collect();
    let mean_border = border.iter().map(|&v| f64::from(v)).sum::<f64>() / border.len() as f64;
    let invert = mean_border > 127.0;
    let mut input = DVector::zeros(784);
    for ty in 0..28 {
        for tx in 0..28 {
            // Average the source pixels that fall into this target pixel.
            let (y0, y1) = (
                ty * h / 28,
                ((ty + 1) * h).div_ceil(28).max(ty * h / 28 + 1),
            );
            let (x0, x1) = (
                tx * w / 28,
                ((tx + 1) * w).div_ceil(28).max(tx * w / 28 + 1),
            );
            let mut sum = 0.0;
            let mut count = 0.0;
            for y in y0..y1.min(h) {
                for x in x0..x1.min(w) {
                    sum += f64::from(image.pixels[y * w + x]);
                    count += 1.0;
                }
            }
            let grey = sum / count / 255.0;
            input[ty * 28 + tx] = (if invert { 1.0 - grey } else { grey }) as f32;
        }
    }
    (input, invert)
}

fn run(model: &Path, image_path: &Path) -> Result<(), BoxError> {
    let net = Network::<f32>::load(model).or_else(|e| match e {
        neuralnet::Error::ScalarMismatch { .. } => {
            Network::<f64>::load(model).map(|n| n.cast::<f32>())
        }
        e => Err(e),
    })?;
    if net.input_size() != 784 || net.output_size() != 10 {
        return Err(format!(
            "{} is a {:?} network, not a digit classifier (784 inputs, 10 outputs)",
            model.display(),
            net.sizes()
        )
        .into());
    }
    let image = read_image(image_path).map_err(|e| format!("{}: {e}", image_path.display()))?;
    let (x, inverted) = to_input(&image);
    let out = net.feedforward(&x)?;
    let digit = net.predict(&x)?;
    // Written through a handle so that a closed pipe is an error, not a panic.
    let mut stdout = std::io::stdout().lock();
    writeln!(
        stdout,
        "{}: {} × {} pixels{}",
        image_path.display(),
        image.width,
        image.height,
        if inverted {
            ", dark on light: inverted"
        } else {
            ""
        }
    )?;
    writeln!(stdout, "The network says: {digit}")?;
    writeln!(stdout, "Output activations:")?;
    for (d, a) in out.iter().enumerate() {
        let bar = "#".repeat((a * 40.0).round() as usize);
        writeln!(stdout, "  {d}: {a:.4} {bar}")?;
    }
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<PathBuf> = std::env::args_os().skip(1).map(PathBuf::from).collect();
    let [model, image] = args.as_slice() else {
        eprintln!(
            "usage: classify MODEL IMAGE\n  MODEL: a network saved by `cargo run --release --example mnist -- --save MODEL`\n  IMAGE: a PNG or binary PGM of one handwritten digit"
        );
        return ExitCode::from(2);
    };
    match run(model, image) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
