//! `classify` on digits drawn by hand (by this test: polylines rendered as
//! thick pen strokes onto canvases and paper of several sizes), with a
//! network trained on the real MNIST. Ignored by default; run with
//!
//! ```sh
//! MNIST_DIR=../shared/data/mnist cargo test --release -- --ignored
//! ```
//!
//! The images are kept in `target/tmp/handwriting/` to look at.

mod strokes;

use std::path::{Path, PathBuf};
use std::process::Command;

use neuralnet::mnist::Mnist;
use strokes::{Lcg, on_paper, render};

fn example(name: &str) -> Command {
    let mut dir = std::env::current_exe().expect("test executable path");
    dir.pop();
    if dir.ends_with("deps") {
        dir.pop();
    }
    let path = dir.join("examples").join(name);
    assert!(
        path.exists(),
        "{} not built; run through `cargo test` (which builds the examples)",
        path.display()
    );
    Command::new(path)
}

/// Nielsen's chapter 3 network trained for 10 epochs (about 97 %), saved.
fn trained_model(dir: &Path) -> PathBuf {
    let mnist_dir = PathBuf::from(std::env::var_os("MNIST_DIR").expect("set MNIST_DIR"));
    let mnist = Mnist::<f32>::load(&mnist_dir).unwrap();
    let net = strokes::chapter_3_network(&mnist.training);
    let path = dir.join("ch3-10-epochs.nnet");
    net.save(&path).unwrap();
    path
}

fn write_png(path: &Path, w: usize, h: usize, color: png::ColorType, data: &[u8]) {
    let file = std::fs::File::create(path).unwrap();
    let mut encoder = png::Encoder::new(std::io::BufWriter::new(file), w as u32, h as u32);
    encoder.set_color(color);
    encoder
        .write_header()
        .unwrap()
        .write_image_data(data)
        .unwrap();
}

/// Digit `d` drawn three ways: black pen on a transparent 280 × 280 canvas
/// (RGBA, as a web page's canvas exports it), felt-tip on a photographed
/// sheet of grey paper (greyscale PNG, the digit off-centre and small), and
/// chalk on a board (PGM, light on dark).
fn drawings(d: u8, strokes: &[strokes::Stroke], dir: &Path) -> Vec<PathBuf> {
    let canvas = dir.join(format!("{d}-canvas.png"));
    let cover = render(280, 280, strokes, (30.0, 30.0), 220.0, 18.0);
    let rgba: Vec<u8> = cover
        .iter()
        .flat_map(|&c| [0, 0, 0, (c * 255.0).round() as u8])
        .collect();
    write_png(&canvas, 280, 280, png::ColorType::Rgba, &rgba);

    let paper = dir.join(format!("{d}-paper.png"));
    let (w, h) = (640, 480);
    let cover = render(w, h, strokes, (350.0, 120.0), 180.0, 16.0);
    let grey = on_paper(w, &cover, 25.0, 8.0, &mut Lcg(u64::from(d)));
    write_png(&paper, w, h, png::ColorType::Grayscale, &grey);

    let board = dir.join(format!("{d}-board.pgm"));
    let (w, h) = (150, 200);
    let cover = render(w, h, strokes, (15.0, 25.0), 120.0, 12.0);
    let mut pgm = format!("P5\n{w} {h}\n255\n").into_bytes();
    pgm.extend(cover.iter().map(|&c| (50.0 + 180.0 * c) as u8));
    std::fs::write(&board, pgm).unwrap();
    vec![canvas, paper, board]
}

#[test]
#[ignore = "needs real MNIST: set MNIST_DIR"]
fn classify_reads_hand_drawn_digits() {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("handwriting");
    std::fs::create_dir_all(&dir).unwrap();
    let model = trained_model(&dir);
    let mut wrong = Vec::new();
    let mut total = 0;
    for d in 0..10 {
        let Some(strokes) = strokes::digit(d) else {
            continue;
        };
        for image in drawings(d, &strokes, &dir) {
            let run = example("classify")
                .arg(&model)
                .arg(&image)
                .output()
                .unwrap();
            let text = String::from_utf8_lossy(&run.stdout);
            assert!(
                run.status.success(),
                "{}",
                String::from_utf8_lossy(&run.stderr)
            );
            total += 1;
            if !text.contains(&format!("The network says: {d}")) {
                wrong.push(text.into_owned());
            }
        }
    }
    println!("{} of {total} drawings recognised", total - wrong.len());
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
