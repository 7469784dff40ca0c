//! Classifies your own handwriting with a network saved by the `mnist`
//! example.
//!
//! ```sh
//! cargo run --release --example mnist -- --save digits.nnet
//! cargo run --release --example classify -- digits.nnet my-digit.png
//! ```
//!
//! The image may be a PNG (any colour type) or a binary PGM (P5), of any
//! size up to 16 Mpixel (larger ones are refused before they are decoded).
//! It is turned into what the network saw in training by
//! [`neuralnet::mnist::preprocess_digit`], the way MNIST itself was made: dark ink
//! on light paper is inverted, paper and ink are levelled, the digit is
//! cropped, scaled to fit a 20 × 20 box and centred by its centre of mass in
//! 28 × 28. `--help` says how to draw.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use neuralnet::Network;
use neuralnet::mnist::{ImageView, MAX_IMAGE_PIXELS, PreparedDigit, preprocess_digit};

type BoxError = Box<dyn std::error::Error>;

const USAGE: &str = "usage: classify MODEL IMAGE
  MODEL: a network saved by `cargo run --release --example mnist -- --save MODEL`
  IMAGE: a PNG or binary PGM (P5) of one handwritten digit";

const HELP: &str = "
How to draw:
  - One digit per image.
  - Dark ink on light paper (a pen on white or grey paper, a photo or a scan)
    or light on dark (chalk on a board); colour is fine.
  - Any size up to 16 Mpixel, anywhere in the picture: the digit is found,
    cropped, scaled to MNIST's 20 x 20 box and centred as MNIST's were. It
    may fill most of the picture; leave a little paper around it.
  - A firm, even stroke, about a tenth of the digit's height thick, as a
    felt-tip pen makes. Keep other marks (a ruled line, a shadow, the edge of
    the sheet) out of the picture.
  - Write the digits as the American writers of MNIST did: a 1 as a single
    stroke (a small flag at the top is fine), a 7 without a bar across.

The program prints the 28 x 28 image the network sees, its answer and the
ten output activations.";

/// A decoded image: 8-bit samples, 1 to 4 per pixel (grey, grey + alpha,
/// RGB, RGBA), row-major.
struct Decoded {
    width: usize,
    height: usize,
    channels: usize,
    samples: Vec<u8>,
}

fn too_large(width: usize, height: usize) -> BoxError {
    format!(
        "{width} × {height} pixels is more than the {MAX_IMAGE_PIXELS} pixels (16 Mpixel) accepted; scale the picture down"
    )
    .into()
}

fn read_png(path: &Path) -> Result<Decoded, BoxError> {
    let file = std::io::BufReader::new(std::fs::File::open(path)?);
    // The decoder may allocate no more than the largest accepted image
    // needs, so that a small file that would unpack to gigabytes (a
    // decompression bomb) is refused before it is unpacked.
    let limits = png::Limits {
        bytes: MAX_IMAGE_PIXELS * 8,
    };
    let mut decoder = png::Decoder::new_with_limits(file, limits);
    let header = decoder.read_header_info()?;
    let (width, height) = (header.width as usize, header.height as usize);
    if width.saturating_mul(height) > MAX_IMAGE_PIXELS {
        return Err(too_large(width, height));
    }
    decoder.set_transformations(png::Transformations::normalize_to_color8());
    let mut reader = decoder.read_info().map_err(|e| match e {
        png::DecodingError::LimitsExceeded => too_large(width, height),
        e => e.into(),
    })?;
    let mut buf = vec![0; reader.output_buffer_size().ok_or("PNG too large")?];
    let info = reader.next_frame(&mut buf)?;
    buf.truncate(info.buffer_size());
    Ok(Decoded {
        width: info.width as usize,
        height: info.height as usize,
        channels: info.color_type.samples(),
        samples: buf,
    })
}

/// A binary PGM (P5) with 8-bit values.
fn read_pgm(bytes: &[u8]) -> Result<Decoded, BoxError> {
    // The magic number stands alone: "P528 28 255" is not a 28 × 255 image.
    if !bytes.get(2).is_some_and(u8::is_ascii_whitespace) {
        return Err("malformed PGM header: whitespace must follow P5".into());
    }
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
    if width.saturating_mul(height) > MAX_IMAGE_PIXELS {
        return Err(too_large(width, height));
    }
    let data = bytes.get(i + 1..).unwrap_or_default();
    let n = width * height;
    if data.len() < n {
        return Err(format!("PGM of {width} × {height} holds only {} pixels", data.len()).into());
    }
    if let Some(at) = data[..n].iter().position(|&v| usize::from(v) > max) {
        return Err(format!(
            "PGM pixel {at} is {}, above the file's maximum value {max}: the file is corrupt",
            data[at]
        )
        .into());
    }
    let samples = data[..n]
        .iter()
        .map(|&v| (usize::from(v) * 255 / max) as u8)
        .collect();
    Ok(Decoded {
        width,
        height,
        channels: 1,
        samples,
    })
}

fn read_image(path: &Path) -> Result<Decoded, BoxError> {
    let mut head = [0u8; 8];
    let n = std::io::Read::read(&mut std::fs::File::open(path)?, &mut head)?;
    if head[..n].starts_with(b"\x89PNG") {
        read_png(path)
    } else if head[..n].starts_with(b"P5") {
        // The header takes a few bytes: a larger file holds too many pixels.
        let len = std::fs::metadata(path)?.len();
        if len > (MAX_IMAGE_PIXELS + 4096) as u64 {
            return Err(format!(
                "a PGM of {len} bytes holds more than the {MAX_IMAGE_PIXELS} pixels (16 Mpixel) accepted; scale the picture down"
            )
            .into());
        }
        read_pgm(&std::fs::read(path)?)
    } else {
        Err("not a PNG or binary PGM (P5) image".into())
    }
}

/// The 28 × 28 input as text, darker characters for more ink.
fn ascii_art(digit: &PreparedDigit) -> String {
    const SHADES: [char; 5] = [' ', '.', ':', '+', '#'];
    digit
        .pixels()
        .chunks_exact(28)
        .map(|row| {
            let line: String = row
                .iter()
                .map(|&v| SHADES[((v * 4.0).round() as usize).min(4)])
                .collect();
            format!("  |{line}|\n")
        })
        .collect()
}

fn run(model: &Path, image_path: &Path) -> Result<(), BoxError> {
    let net = Network::<f32>::load(model).or_else(|e| match e {
        neuralnet::Error::ScalarMismatch { .. } => Network::<f64>::load(model)?.cast::<f32>(),
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
    let view = ImageView::new(image.width, image.height, image.channels, &image.samples)?;
    let prepared = preprocess_digit(&view).map_err(|e| format!("{}: {e}", image_path.display()))?;
    let x = prepared.to_vector::<f32>();
    let out = net.feedforward(&x)?;
    let digit = net.predict(&x)?;
    let ink = prepared.ink_box();
    // Written through a handle so that a closed pipe is an error, not a panic.
    let mut stdout = std::io::stdout().lock();
    writeln!(
        stdout,
        "{}: {} × {} pixels, {}; the digit is {} × {} pixels at ({}, {})",
        image_path.display(),
        image.width,
        image.height,
        if prepared.inverted() {
            "dark on light: inverted"
        } else {
            "light on dark"
        },
        ink.width,
        ink.height,
        ink.x,
        ink.y,
    )?;
    writeln!(stdout, "What the network sees (28 × 28):")?;
    write!(stdout, "{}", ascii_art(&prepared))?;
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
    if args.iter().any(|a| a == "-h" || a == "--help") {
        println!("{USAGE}\n{HELP}");
        return ExitCode::SUCCESS;
    }
    let [model, image] = args.as_slice() else {
        eprintln!("{USAGE}\n(classify --help says how to draw)");
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
