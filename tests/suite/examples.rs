//! Runs the examples and checks what they print, so they stay honest.
//!
//! `cargo test` builds every example before running the tests; the binaries
//! sit in `target/<profile>/examples/`, next to this test's own directory.

use std::path::PathBuf;
use std::process::{Command, Output};

fn example(name: &str) -> Command {
    let mut dir = std::env::current_exe().expect("test executable path");
    dir.pop(); // the test binary
    if dir.ends_with("deps") {
        dir.pop();
    }
    let path: PathBuf = dir.join("examples").join(name);
    assert!(
        path.exists(),
        "{} not built; run `cargo test` from the repository root (the draw example is the workspace member examples/draw/)",
        path.display()
    );
    Command::new(path)
}

fn stdout(out: &Output) -> String {
    assert!(
        out.status.success(),
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).expect("UTF-8 output")
}

#[test]
fn gouda_festival_prints_the_lecture_decisions() {
    let text = stdout(&example("gouda_festival").output().unwrap());
    // Two decision tables of 8 rows each: (weather, friends, commute) -> decision.
    let rows: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("| GO") || l.contains("| stay home"))
        .collect();
    assert_eq!(rows.len(), 16, "{text}");
    let yes = |w: &str| w == "yes";
    for (i, row) in rows.iter().enumerate() {
        let words: Vec<&str> = row.split_whitespace().collect();
        let (weather, friends, commute) = (yes(words[0]), yes(words[1]), yes(words[2]));
        let go = row.ends_with("GO");
        let expected = if i < 8 {
            weather
        } else {
            weather || (friends && commute)
        };
        assert_eq!(
            go,
            expected,
            "table {}: {row}",
            if i < 8 { "threshold 5" } else { "threshold 3" }
        );
    }
    assert!(text.contains("Threshold 5 (bias b = -5)"));
    assert!(text.contains("Threshold 3 (bias b = -3)"));
    // The sigmoid table: at c = 100 every output has reached the perceptron's 0 or 1.
    let sigmoid_rows: Vec<&str> = text
        .lines()
        .filter(|l| l.matches('|').count() == 7 && !l.contains('σ'))
        .collect();
    assert_eq!(sigmoid_rows.len(), 8, "{text}");
    for row in sigmoid_rows {
        let cells: Vec<&str> = row.split('|').map(str::trim).collect();
        let perceptron: f64 = cells[2].parse().unwrap();
        let at_100: f64 = cells[6].parse().unwrap();
        assert!((at_100 - perceptron).abs() < 1e-6, "{row}");
    }
    assert!(
        text.contains("The perceptron says 0") && text.contains("0.5 0.5 0.5 0.5"),
        "{text}"
    );
}

/// Writes a synthetic MNIST directory of 28 × 28 images: 10,000 + `train`
/// training images (the last 10,000 are the validation split) and `test` test
/// images. Digit d is a bright bar in row 2d, so it is learnable.
fn synthetic_mnist(name: &str, train: usize, test: usize) -> PathBuf {
    synthetic_mnist_of(name, train, test, |d, img| {
        img[(2 * d + 4) * 28..(2 * d + 5) * 28].fill(255);
    })
}

/// As [`synthetic_mnist`], with digit d drawn into a blank 28 × 28 image by
/// `draw(d, image)`.
fn synthetic_mnist_of(
    name: &str,
    train: usize,
    test: usize,
    draw: fn(usize, &mut [u8; 784]),
) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("examples")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let write = |file: &str, n: usize| {
        let labels: Vec<u8> = (0..n).map(|i| (i * 7 % 10) as u8).collect();
        let mut images = vec![0, 0, 8, 3];
        images.extend((n as u32).to_be_bytes());
        images.extend(28u32.to_be_bytes());
        images.extend(28u32.to_be_bytes());
        for &d in &labels {
            let mut img = [0u8; 784];
            draw(usize::from(d), &mut img);
            images.extend(img);
        }
        let mut lab = vec![0, 0, 8, 1];
        lab.extend((n as u32).to_be_bytes());
        lab.extend(&labels);
        std::fs::write(dir.join(format!("{file}-images-idx3-ubyte")), images).unwrap();
        std::fs::write(dir.join(format!("{file}-labels-idx1-ubyte")), lab).unwrap();
    };
    write("train", 10_000 + train);
    write("t10k", test);
    dir
}

#[test]
fn mnist_trains_reports_and_draws() {
    let dir = synthetic_mnist("ok", 200, 50);
    let out = dir.join("pictures");
    let run = example("mnist")
        .args(["--epochs", "3", "--hidden", "20", "--eta", "3", "--data"])
        .arg(&dir)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    let text = stdout(&run);
    let epochs: Vec<&str> = text.lines().filter(|l| l.starts_with("Epoch ")).collect();
    assert_eq!(epochs.len(), 3, "{text}");
    for (i, line) in epochs.iter().enumerate() {
        // "Epoch 3: 50 / 50 test images, cost 0.0123, 0.01 s"
        assert!(line.starts_with(&format!("Epoch {}: ", i + 1)), "{line}");
        assert!(line.contains(" / 50 test images, cost "), "{line}");
    }
    assert!(text.contains("[784, 20, 10]"), "{text}");
    assert!(
        text.contains("Test accuracy: 50 / 50 = 100.00%"),
        "the bars are easy: {text}"
    );
    assert!(text.contains("validation accuracy: "), "{text}");
    let pictures = [
        "training-curve.svg",
        "misclassified.svg",
        "confusion-matrix.svg",
        "hidden-neurons.svg",
    ];
    for picture in pictures {
        assert!(
            text.contains(&out.join(picture).display().to_string()),
            "{text}"
        );
    }
    let read = |picture: &str| {
        svg(
            &std::fs::read_to_string(out.join(picture)).unwrap(),
            picture,
        )
    };

    // Two panels (accuracy, cost), each with a validation and a test curve,
    // on round ticks.
    let curve = read("training-curve.svg");
    for label in ["epoch", "accuracy (%)", "average cost"] {
        assert!(curve.texts.iter().any(|t| t == label), "{label}");
    }
    assert_eq!(curve.texts.iter().filter(|t| *t == "validation").count(), 2);
    assert_eq!(curve.texts.iter().filter(|t| *t == "test").count(), 2);
    for tick in curve.texts.iter().filter(|t| t.parse::<f64>().is_ok()) {
        let decimals = tick.split('.').nth(1).map_or(0, str::len);
        assert!(decimals <= 2, "round ticks, not {tick}");
    }

    // Ten rows and ten columns of counts that add up to the 50 test digits,
    // all on the diagonal (the bars are easy), besides the axes' 0 to 9.
    let confusion = read("confusion-matrix.svg");
    let numbers: Vec<usize> = confusion
        .texts
        .iter()
        .filter_map(|t| t.parse().ok())
        .collect();
    assert_eq!(numbers.len(), 2 * 10 + 100, "{numbers:?}");
    assert_eq!(numbers.iter().sum::<usize>(), 2 * 45 + 50);
    assert_eq!(numbers.iter().filter(|&&n| n == 5).count(), 2 + 10);
    for label in ["true digit", "predicted digit"] {
        assert!(confusion.texts.iter().any(|t| t == label), "{label}");
    }

    // One 28 × 28 image per hidden neuron, each captioned.
    let neurons = read("hidden-neurons.svg");
    assert_eq!(neurons.images, 20);
    assert_eq!(
        neurons
            .texts
            .iter()
            .filter(|t| t
                .split_once(" ±")
                .is_some_and(|(n, _)| n.parse::<usize>().is_ok()))
            .count(),
        20
    );
    // No test digit is wrong, so no digit is shown.
    assert_eq!(read("misclassified.svg").images, 0);
}

/// What the tests look at in an SVG picture.
struct Svg {
    /// The contents of the `<text>` elements, trimmed.
    texts: Vec<String>,
    /// The number of `<image>` elements.
    images: usize,
    /// The points of every `<polyline>`.
    points: Vec<(f64, f64)>,
    /// `(width, height)` of the picture.
    size: (f64, f64),
}

/// Checks that `text` is a well-formed SVG document (one `<svg>` root,
/// every element closed in order) and picks out what the tests look at.
fn svg(text: &str, name: &str) -> Svg {
    let mut open: Vec<&str> = Vec::new();
    let mut found = Svg {
        texts: Vec::new(),
        images: 0,
        points: Vec::new(),
        size: (0.0, 0.0),
    };
    let mut rest = text.trim();
    assert!(rest.starts_with("<svg"), "{name}: starts with <svg");
    while let Some(start) = rest.find('<') {
        let end = start
            + rest[start..]
                .find('>')
                .unwrap_or_else(|| panic!("{name}: unclosed tag"));
        let tag = &rest[start + 1..end];
        let after = &rest[end + 1..];
        let element = tag
            .trim_start_matches('/')
            .split_whitespace()
            .next()
            .unwrap_or("");
        let attr = |key: &str| {
            let at = tag.find(&format!(" {key}=\""))? + key.len() + 3;
            Some(&tag[at..at + tag[at..].find('"')?])
        };
        if let Some(closing) = tag.strip_prefix('/') {
            assert_eq!(
                open.pop(),
                Some(closing.trim()),
                "{name}: </{closing}> out of order"
            );
        } else if !tag.ends_with('/') {
            assert!(
                !open.is_empty() || element == "svg",
                "{name}: <{element}> outside <svg>"
            );
            open.push(element);
        }
        match element {
            "svg" if !tag.starts_with('/') => {
                let number = |k| attr(k).and_then(|v| v.parse().ok()).unwrap_or(0.0);
                found.size = (number("width"), number("height"));
            }
            "text" if !tag.starts_with('/') => found
                .texts
                .push(after[..after.find('<').unwrap_or(0)].trim().to_string()),
            "image" => found.images += 1,
            "polyline" => {
                for p in attr("points").unwrap_or("").split_whitespace() {
                    let (x, y) = p
                        .split_once(',')
                        .unwrap_or_else(|| panic!("{name}: point {p}"));
                    found.points.push((x.parse().unwrap(), y.parse().unwrap()));
                }
            }
            _ => {}
        }
        rest = after;
        if open.is_empty() {
            break;
        }
    }
    assert!(open.is_empty(), "{name}: unclosed {open:?}");
    assert!(rest.trim().is_empty(), "{name}: text after </svg>");
    found
}

#[test]
fn mnist_ends_quietly_when_its_reader_goes_away() {
    // As in `mnist | head -1`: the reader closes the pipe; the example must
    // stop without a panic message.
    let dir = synthetic_mnist("pipe", 100, 20);
    let mut child = example("mnist")
        .args(["--epochs", "3", "--hidden", "5", "--no-pictures", "--data"])
        .arg(&dir)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let run = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "{:?}: {stderr}", run.status);
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn mnist_removes_its_lock_file_however_it_ends() {
    let dir = synthetic_mnist("lock-file", 100, 20);
    let ck = dir.join("run.nnet");
    let lock = dir.join("run.nnet.lock");
    let run_on = |data: &std::path::Path| {
        let mut cmd = example("mnist");
        cmd.args(["--hidden", "5", "--epochs", "1", "--no-pictures"])
            .arg("--checkpoint")
            .arg(&ck)
            .args(ck.exists().then_some("--overwrite"))
            .arg("--data")
            .arg(data);
        cmd
    };
    // A run that ends normally.
    stdout(&run_on(&dir).output().unwrap());
    assert!(ck.exists() && !lock.exists());
    // A run that fails after taking the lock (here: no MNIST).
    let empty = dir.join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let run = run_on(&empty).output().unwrap();
    assert!(
        !run.status.success() && stderr(&run).contains("MNIST not found"),
        "{}",
        stderr(&run)
    );
    assert!(!lock.exists());
    // A run whose reader goes away (`mnist --checkpoint ... | head -1`) ends
    // through std::process::exit, which runs no destructors.
    let mut child = run_on(&dir)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let run = child.wait_with_output().unwrap();
    assert!(run.status.success(), "{}", stderr(&run));
    assert!(!lock.exists());
}

#[test]
fn mnist_json_lines_are_machine_readable() {
    let dir = synthetic_mnist("json", 100, 20);
    let run = example("mnist")
        .args([
            "--epochs",
            "2",
            "--hidden",
            "10",
            "--no-pictures",
            "--json",
            "--f64",
            "--data",
        ])
        .arg(&dir)
        .output()
        .unwrap();
    let text = stdout(&run);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "only JSON on stdout: {text}");
    for (i, line) in lines[..2].iter().enumerate() {
        assert!(line.starts_with('{') && line.ends_with('}'), "{line}");
        assert!(line.contains(&format!("\"epoch\":{}", i + 1)), "{line}");
        for key in ["\"seconds\":", "\"correct\":", "\"total\":20", "\"cost\":"] {
            assert!(line.contains(key), "{key} in {line}");
        }
    }
    // The last record: the final test and validation results.
    let last = lines[2];
    assert!(last.starts_with('{') && last.ends_with('}'), "{last}");
    for key in [
        "\"final\":true",
        "\"epochs_completed\":2",
        "\"test_total\":20",
        "\"test_accuracy\":",
        "\"validation_total\":10000",
        "\"validation_accuracy\":",
    ] {
        assert!(last.contains(key), "{key} in {last}");
    }
    let human = String::from_utf8_lossy(&run.stderr);
    assert!(human.contains("Epoch 2: "), "{human}");
    let test_line = human
        .lines()
        .find(|l| l.starts_with("Test accuracy: "))
        .unwrap();
    let correct = test_line["Test accuracy: ".len()..]
        .split(' ')
        .next()
        .unwrap();
    assert!(
        last.contains(&format!("\"test_correct\":{correct},")),
        "{last} agrees with {test_line}"
    );
    assert!(human.contains("f64"), "{human}");
}

#[test]
fn mnist_without_data_says_where_to_put_it() {
    let empty = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("examples")
        .join("no-data");
    std::fs::create_dir_all(&empty).unwrap();
    // --no-download: a test never touches the network.
    let run = example("mnist")
        .arg("--no-download")
        .env("MNIST_DIR", &empty)
        .env("XDG_CACHE_HOME", &empty)
        .env("RUST_BACKTRACE", "1")
        .output()
        .unwrap();
    assert!(!run.status.success());
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(err.contains("MNIST not found"), "{err}");
    assert!(
        err.contains("--data DIR") && err.contains("train-images-idx3-ubyte"),
        "{err}"
    );
    assert!(
        !err.contains("panicked") && !err.contains("backtrace"),
        "{err}"
    );

    let run = example("mnist")
        .args(["--eta=-1", "--data"])
        .arg(&empty)
        .output()
        .unwrap();
    assert!(!run.status.success());
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(err.contains("invalid learning_rate"), "{err}");
}

fn load(path: &std::path::Path) -> neuralnet::model::SavedNetwork<f32> {
    neuralnet::model::SavedNetwork::<f32>::load(path).unwrap()
}

#[test]
fn mnist_resumes_exactly_where_a_run_stopped() {
    let dir = synthetic_mnist("resume", 300, 30);
    let run = |args: &[&str]| {
        let mut cmd = example("mnist");
        cmd.args(["--hidden", "12", "--eta", "2", "--no-pictures", "--data"])
            .arg(&dir)
            .args(args);
        stdout(&cmd.output().unwrap())
    };
    let full = dir.join("full.nnet");
    let ck = dir.join("checkpoint.nnet");
    run(&["--epochs", "4", "--save", full.to_str().unwrap()]);
    // "Interrupted" after 2 epochs: the checkpoint holds epoch 2.
    run(&["--epochs", "2", "--checkpoint", ck.to_str().unwrap()]);
    assert_eq!(load(&ck).record.epochs_completed, 2);
    let text = run(&[
        "--epochs",
        "4",
        "--checkpoint",
        ck.to_str().unwrap(),
        "--resume",
    ]);
    assert!(
        text.contains("Resuming from") && text.contains("after epoch 2"),
        "{text}"
    );
    let epochs: Vec<&str> = text.lines().filter(|l| l.starts_with("Epoch ")).collect();
    assert!(
        epochs.len() == 2 && epochs[0].starts_with("Epoch 3:") && epochs[1].starts_with("Epoch 4:"),
        "{text}"
    );
    let resumed = load(&ck);
    assert_eq!(resumed.record.epochs_completed, 4);
    assert_eq!(
        resumed.network,
        load(&full).network,
        "resumed run = uninterrupted run"
    );

    // Other settings are refused.
    let out = example("mnist")
        .args([
            "--hidden",
            "12",
            "--eta",
            "0.5",
            "--epochs",
            "5",
            "--no-pictures",
            "--resume",
            "--checkpoint",
        ])
        .arg(&ck)
        .arg("--data")
        .arg(&dir)
        .output()
        .unwrap();
    assert!(!out.status.success());
    // Named as flags, not as the Debug form of a record.
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("other settings than this run: --eta 2 (this run: 0.5);")
            && !err.contains("TrainingRecord"),
        "{err}"
    );
}

#[test]
fn mnist_loads_a_saved_network_to_evaluate_or_train_on() {
    let dir = synthetic_mnist("load", 200, 40);
    let saved = dir.join("net.json");
    let first = stdout(
        &example("mnist")
            .args(["--epochs", "2", "--hidden", "10", "--no-pictures", "--save"])
            .arg(&saved)
            .arg("--data")
            .arg(&dir)
            .output()
            .unwrap(),
    );
    let accuracy = |t: &str| {
        t.lines()
            .find(|l| l.starts_with("Test accuracy"))
            .unwrap()
            .to_string()
    };
    let evaluated = stdout(
        &example("mnist")
            .args(["--no-pictures", "--load"])
            .arg(&saved)
            .arg("--data")
            .arg(&dir)
            .output()
            .unwrap(),
    );
    assert_eq!(accuracy(&evaluated), accuracy(&first), "{evaluated}");
    assert!(
        !evaluated.contains("Epoch "),
        "evaluation only: {evaluated}"
    );
    let more = stdout(
        &example("mnist")
            .args(["--no-pictures", "--epochs", "1", "--load"])
            .arg(&saved)
            .arg("--data")
            .arg(&dir)
            .output()
            .unwrap(),
    );
    assert!(more.contains("Epoch 3: "), "continues at epoch 3: {more}");
    let wrong_type = example("mnist")
        .args(["--f64", "--load"])
        .arg(&saved)
        .arg("--data")
        .arg(&dir)
        .output()
        .unwrap();
    assert!(!wrong_type.status.success());
    assert!(String::from_utf8_lossy(&wrong_type.stderr).contains("saved as f32: add --dtype f32"));
}

/// Digit d as MNIST would frame it: a block 20 pixels tall and 2d + 2 wide,
/// centred on pixel (14, 14). Unlike the bars, it survives `classify`'s
/// cropping and centring.
fn framed_block(d: usize, img: &mut [u8; 784]) {
    let half = d + 1;
    for row in img[4 * 28..24 * 28].chunks_exact_mut(28) {
        row[14 - half..14 + half].fill(255);
    }
}

/// Digit d of [`framed_block`] photographed: dark ink on white paper,
/// `scale` times the 28 × 28 size, off-centre on a larger page.
fn photographed_block(d: usize, scale: usize) -> (usize, Vec<u8>) {
    let side = 40 * scale;
    let mut px = vec![255u8; side * side];
    let half = (d + 1) * scale;
    for y in 2 * scale..22 * scale {
        px[y * side + 12 * scale - half..y * side + 12 * scale + half].fill(0);
    }
    (side, px)
}

#[test]
fn classify_reads_png_and_pgm_and_names_the_digit() {
    let dir = synthetic_mnist_of("classify", 300, 30, framed_block);
    let model = dir.join("blocks.nnet");
    stdout(
        &example("mnist")
            .args([
                "--epochs",
                "30",
                "--hidden",
                "30",
                "--no-pictures",
                "--save",
            ])
            .arg(&model)
            .arg("--data")
            .arg(&dir)
            .output()
            .unwrap(),
    );
    let (side, px) = photographed_block(3, 3);
    let pgm = dir.join("three.pgm");
    let mut bytes = format!("P5\n# a three\n{side} {side}\n255\n").into_bytes();
    bytes.extend(&px);
    std::fs::write(&pgm, bytes).unwrap();
    let (side, px) = photographed_block(6, 2);
    let png_path = dir.join("six.png");
    let mut encoder = png::Encoder::new(
        std::fs::File::create(&png_path).unwrap(),
        side as u32,
        side as u32,
    );
    encoder.set_color(png::ColorType::Grayscale);
    encoder
        .write_header()
        .unwrap()
        .write_image_data(&px)
        .unwrap();

    for (image, digit) in [(&pgm, 3), (&png_path, 6)] {
        let text = stdout(&example("classify").arg(&model).arg(image).output().unwrap());
        assert!(
            text.contains(&format!("The network says: {digit}")),
            "{text}"
        );
        assert!(text.contains("dark on light: inverted"), "{text}");
        let activations: Vec<f64> = text
            .lines()
            .filter(|l| l.starts_with("  ") && l.contains(": "))
            .map(|l| l.split_whitespace().nth(1).unwrap().parse().unwrap())
            .collect();
        assert_eq!(activations.len(), 10, "{text}");
        let best = activations.iter().cloned().fold(f64::MIN, f64::max);
        assert_eq!(activations[digit], best, "{text}");
    }
    let not_an_image = example("classify")
        .arg(&model)
        .arg(dir.join("blocks.nnet"))
        .output()
        .unwrap();
    assert!(!not_an_image.status.success());
    assert!(String::from_utf8_lossy(&not_an_image.stderr).contains("not a PNG or binary PGM"));
    let usage = example("classify").output().unwrap();
    assert!(
        !usage.status.success()
            && String::from_utf8_lossy(&usage.stderr).contains("usage: classify")
    );
    let help = stdout(&example("classify").arg("--help").output().unwrap());
    assert!(
        help.contains("How to draw") && help.contains("light on dark"),
        "{help}"
    );
    // A blank page and a decompression bomb get errors, not a panic.
    let blank = dir.join("blank.pgm");
    let mut bytes = b"P5 40 30 255\n".to_vec();
    bytes.extend([230u8; 1200]);
    std::fs::write(&blank, bytes).unwrap();
    let bomb = dir.join("bomb.png");
    let mut encoder = png::Encoder::new(std::fs::File::create(&bomb).unwrap(), 20_000, 20_000);
    encoder.set_color(png::ColorType::Grayscale);
    let mut writer = encoder
        .write_header()
        .unwrap()
        .into_stream_writer()
        .unwrap();
    // 400 MB of white compress to a few hundred kB; write only some rows.
    std::io::Write::write_all(&mut writer, &vec![255u8; 20_000 * 8]).unwrap();
    drop(writer);
    // Malformed PGM files: a magic number run into the width, a pixel above
    // the file's own maximum value (it used to wrap around).
    let glued = dir.join("glued.pgm");
    let mut bytes = b"P528 28 255\n".to_vec();
    bytes.extend([0u8; 28 * 255]);
    std::fs::write(&glued, bytes).unwrap();
    let above = dir.join("above.pgm");
    let mut bytes = b"P5 4 4 15\n".to_vec();
    bytes.extend([15u8; 15]);
    bytes.push(200);
    std::fs::write(&above, bytes).unwrap();
    for (file, message) in [
        (&blank, "no ink found"),
        (&bomb, "16 Mpixel"),
        (&glued, "whitespace must follow P5"),
        (&above, "above the file's maximum value 15"),
    ] {
        let run = example("classify").arg(&model).arg(file).output().unwrap();
        let err = String::from_utf8_lossy(&run.stderr);
        assert!(!run.status.success() && err.contains(message), "{err}");
        assert!(!err.contains("panicked"), "{err}");
    }
}

/// The `key=value` fields of the `RESULT` lines of an example's output.
fn results(text: &str) -> Vec<std::collections::HashMap<String, String>> {
    text.lines()
        .filter_map(|l| l.trim().strip_prefix("RESULT "))
        .map(|l| {
            l.split_whitespace()
                .filter_map(|kv| kv.split_once('='))
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        })
        .collect()
}

fn num(r: &std::collections::HashMap<String, String>, key: &str) -> f64 {
    r[key]
        .parse()
        .unwrap_or_else(|_| panic!("{key} = {:?}", r[key]))
}

#[test]
fn gradient_descent_rolls_down_crawls_and_overshoots() {
    let out = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("examples")
        .join("gd");
    let text = stdout(
        &example("gradient_descent")
            .arg("--out")
            .arg(&out)
            .arg("--result-lines")
            .output()
            .unwrap(),
    );
    let runs = results(&text);
    assert_eq!(runs.len(), 5, "{text}");
    // Without --result-lines, only the human-readable summary of each run.
    let human = stdout(
        &example("gradient_descent")
            .arg("--out")
            .arg(&out)
            .output()
            .unwrap(),
    );
    assert!(!human.contains("RESULT"), "{human}");
    assert!(
        human.contains("60 steps, 60 of them downhill: C 10.7500 → ")
            && human.contains(", diverges; ΔC as far as "),
        "{human}"
    );
    let find = |valley: &str, eta: &str| {
        runs.iter()
            .find(|r| r["valley"] == valley && r["eta"] == eta)
            .unwrap_or_else(|| panic!("{valley} {eta}: {text}"))
    };
    // A good η: every step downhill, ΔC close to −η‖∇C‖², the minimum reached.
    let good = find("bowl", "0.05");
    assert_eq!(num(good, "downhill_steps"), num(good, "steps"));
    assert!(
        num(good, "end_cost") < 1e-3 && num(good, "worst_gap") < 0.2,
        "{good:?}"
    );
    // Too small: still downhill and well predicted, but far from the bottom.
    let small = find("bowl", "0.005");
    assert_eq!(num(small, "downhill_steps"), num(small, "steps"));
    assert!(
        num(small, "worst_gap") < 0.05 && num(small, "end_cost") > 0.5,
        "{small:?}"
    );
    // Too large: ΔC > 0, the cost grows.
    let large = find("bowl", "0.36");
    assert_eq!(large["diverged"], "true");
    assert!(
        num(large, "end_cost") > num(large, "start_cost") && num(large, "downhill_steps") < 3.0,
        "{large:?}"
    );
    let banana = find("banana", "0.01");
    assert!(
        num(banana, "end_cost") < 1e-3 && num(banana, "downhill_steps") == num(banana, "steps")
    );
    assert_eq!(find("banana", "0.06")["diverged"], "true");
    let picture = svg(
        &std::fs::read_to_string(out.join("gradient-descent.svg")).unwrap(),
        "gradient-descent.svg",
    );
    for label in ["v₁", "v₂"] {
        assert_eq!(
            picture.texts.iter().filter(|t| *t == label).count(),
            2,
            "{label}"
        );
    }
    assert_eq!(
        picture
            .texts
            .iter()
            .filter(|t| t.starts_with("η = "))
            .count(),
        5
    );
    assert_eq!(
        picture
            .texts
            .iter()
            .filter(|t| t.starts_with("contours at C = "))
            .count(),
        2
    );
    // Contour lines and paths, every point inside the picture: the diverging
    // paths are cut at the plot's border.
    assert!(picture.points.len() > 1000, "{}", picture.points.len());
    let (w, h) = picture.size;
    for &(x, y) in &picture.points {
        assert!(
            (0.0..=w).contains(&x) && (0.0..=h).contains(&y),
            "({x}, {y}) outside {w} × {h}"
        );
    }
}

/// An example's error reaches the user as `error: <message>` with exit code
/// 1, not as the `Error: Os { code: 17, .. }` that a `main` returning `Err`
/// prints.
#[test]
fn examples_print_errors_as_messages() {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("examples")
        .join("errors");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("a-file");
    std::fs::write(&file, "not a folder").unwrap();
    let run = example("gradient_descent")
        .arg("--out")
        .arg(&file)
        .output()
        .unwrap();
    let out_err = stderr(&run);
    assert_eq!(run.status.code(), Some(1), "{out_err}");
    assert!(
        out_err.starts_with(&format!("error: --out {}: ", file.display())),
        "{out_err}"
    );
    let run = example("best_tune").arg("epochs=ten").output().unwrap();
    let key_err = stderr(&run);
    assert_eq!(run.status.code(), Some(1), "{key_err}");
    assert!(
        key_err.starts_with("error: epochs=ten: invalid digit"),
        "{key_err}"
    );
    for err in [out_err, key_err] {
        assert!(!err.contains("Error:") && !err.contains(" {"), "{err}");
    }
}

#[test]
fn sigmoid_smoothness_shows_flips_and_equation_3() {
    let text = stdout(
        &example("sigmoid_smoothness")
            .arg("--result-lines")
            .output()
            .unwrap(),
    );
    let rows = results(&text);
    assert_eq!(rows.len(), 6, "{text}");
    let human = stdout(&example("sigmoid_smoothness").output().unwrap());
    assert!(
        !human.contains("RESULT") && human.contains("equation (3) predicts"),
        "{human}"
    );
    for r in &rows {
        let delta = num(r, "delta");
        // The perceptron flips from 0 to 1 once Δw passes 0.001; it never moves in between.
        assert_eq!(
            num(r, "perceptron_change"),
            if delta > 0.001 { 1.0 } else { 0.0 },
            "{r:?}"
        );
        // The sigmoid moves a little: σ′ ≤ ¼ and x₂ = 1 bound the change by Δw/4
        // (mean value theorem); equation (3) predicts it to within (Δw)².
        let (actual, linear) = (num(r, "sigmoid_change"), num(r, "linear_estimate"));
        assert!(actual > 0.0 && actual <= 0.25 * delta, "{r:?}");
        assert!((actual - linear).abs() <= delta * delta, "{r:?}");
    }
}

#[test]
fn sgd_estimate_improves_with_the_mini_batch_size() {
    let dir = synthetic_mnist("sgd-estimate", 2_000, 20);
    let text = stdout(
        &example("sgd_estimate")
            .args(["--draws", "20", "--result-lines", "--data"])
            .arg(&dir)
            .output()
            .unwrap(),
    );
    let rows = results(&text);
    let ms: Vec<f64> = rows.iter().map(|r| num(r, "m")).collect();
    assert_eq!(ms, [1.0, 10.0, 100.0, 1000.0], "{text}");
    for w in rows.windows(2) {
        assert!(
            num(&w[1], "relative_error") < num(&w[0], "relative_error"),
            "{text}"
        );
        assert!(num(&w[1], "cosine") > num(&w[0], "cosine"), "{text}");
    }
    assert!(num(&rows[3], "cosine") > 0.8, "{text}");
}

/// Runs the mnist example on `dir` with `args` (no pictures unless asked).
fn mnist(dir: &std::path::Path, args: &[&str]) -> Output {
    let mut cmd = example("mnist");
    cmd.arg("--data").arg(dir).args(args);
    if !args.contains(&"--out") {
        cmd.arg("--no-pictures");
    }
    cmd.output().unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Asserts that a run failed before training, with `needles` in its message.
fn refused(out: &Output, needles: &[&str]) {
    let err = stderr(out);
    assert!(!out.status.success(), "should fail: {err}");
    for needle in needles {
        assert!(err.contains(needle), "{needle:?} in {err}");
    }
    assert!(!err.contains("panicked"), "{err}");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!text.contains("Epoch "), "refused before training: {text}");
}

#[test]
fn mnist_header_shows_the_flag_values_and_a_debug_build_says_so() {
    let dir = synthetic_mnist("header", 100, 20);
    let run = mnist(&dir, &["--preset", "ch3", "--hidden", "8", "--epochs", "0"]);
    let text = stdout(&run);
    assert!(
        text.contains(
            "[784, 8, 10] (6370 parameters, f32): --cost cross-entropy --init scaled-normal --eta 0.5 --batch 10 --lambda 5 --epochs 0 --seed 1"
        ),
        "{text}"
    );
    assert!(
        !text.contains("CrossEntropy") && !text.contains("Scaled"),
        "{text}"
    );
    // The flags take the same names.
    let run = mnist(
        &dir,
        &[
            "--hidden",
            "8",
            "--epochs",
            "0",
            "--cost",
            "cross-entropy",
            "--init",
            "scaled-normal",
        ],
    );
    assert!(stdout(&run).contains("--cost cross-entropy --init scaled-normal"));
    refused(
        &mnist(&dir, &["--cost", "CrossEntropy"]),
        &["cross-entropy"],
    );
    // This test and the example are built with the same profile.
    assert_eq!(
        stderr(&run).contains("debug build") && stderr(&run).contains("--release"),
        cfg!(debug_assertions),
        "{}",
        stderr(&run)
    );
}

#[test]
fn mnist_load_says_which_settings_it_keeps_and_refuses_a_preset() {
    let dir = synthetic_mnist("load-settings", 100, 20);
    let saved = dir.join("ch3.nnet");
    let saved_str = saved.to_str().unwrap();
    stdout(&mnist(
        &dir,
        &[
            "--preset", "ch3", "--hidden", "6", "--epochs", "1", "--save", saved_str,
        ],
    ));
    // A preset, hidden layers or an initialisation would be ignored: refused.
    for flag in [
        &["--preset", "ch3"][..],
        &["--hidden", "9"],
        &["--init", "standard-normal"],
    ] {
        let mut args = vec!["--load", saved_str];
        args.extend(flag);
        refused(&mnist(&dir, &args), &["--load", flag[0]]);
    }
    // The saved cost, η, m and λ are kept, and the run says so.
    let text = stdout(&mnist(&dir, &["--load", saved_str, "--epochs", "1"]));
    assert!(
        text.contains("kept from its record: --cost cross-entropy --eta 0.5 --batch 10 --lambda 5"),
        "{text}"
    );
    assert!(
        text.contains(
            "--cost cross-entropy --init scaled-normal --eta 0.5 --batch 10 --lambda 5 --epochs 2"
        ),
        "{text}"
    );
    // A flag given wins, and is not listed as kept.
    let text = stdout(&mnist(
        &dir,
        &["--load", saved_str, "--epochs", "1", "--eta", "0.25"],
    ));
    assert!(
        text.contains("kept from its record: --cost cross-entropy --batch 10 --lambda 5 "),
        "{text}"
    );
    assert!(text.contains("--eta 0.25 --batch 10"), "{text}");
}

#[test]
fn mnist_never_replaces_a_checkpoint_silently() {
    let dir = synthetic_mnist("checkpoint-guard", 100, 20);
    let ck = dir.join("run.nnet");
    let ck_str = ck.to_str().unwrap();
    let args = ["--hidden", "6", "--epochs", "1", "--checkpoint", ck_str];
    stdout(&mnist(&dir, &args));
    let before = std::fs::read(&ck).unwrap();
    // Again without --resume: refused, the checkpoint untouched.
    refused(
        &mnist(&dir, &args),
        &["already exists", "--resume", "--overwrite"],
    );
    assert_eq!(std::fs::read(&ck).unwrap(), before);
    // --overwrite starts over (the same run: the same bytes).
    let mut over = args.to_vec();
    over.push("--overwrite");
    let text = stdout(&mnist(&dir, &over));
    assert!(text.contains("Epoch 1: "), "{text}");
    assert_eq!(std::fs::read(&ck).unwrap(), before);
    refused(
        &mnist(&dir, &["--checkpoint", ck_str, "--resume", "--overwrite"]),
        &["--overwrite", "--resume"],
    );

    // --resume needs the checkpoint: a missing file or a dangling link is
    // an error, not a fresh start.
    let missing = dir.join("missing.nnet");
    refused(
        &mnist(
            &dir,
            &["--checkpoint", missing.to_str().unwrap(), "--resume"],
        ),
        &["does not exist", "without --resume"],
    );
    assert!(!missing.exists());
    let link = dir.join("dangling.nnet");
    let _ = std::fs::remove_file(&link);
    std::os::unix::fs::symlink(dir.join("gone.nnet"), &link).unwrap();
    refused(
        &mnist(&dir, &["--checkpoint", link.to_str().unwrap(), "--resume"]),
        &["symbolic link", "gone.nnet", "does not exist"],
    );
}

#[test]
fn mnist_checks_every_output_before_the_first_epoch() {
    let dir = synthetic_mnist("outputs", 100, 20);
    let nowhere = dir.join("no-such-folder").join("net.nnet");
    let nowhere = nowhere.to_str().unwrap();
    refused(
        &mnist(&dir, &["--save", nowhere]),
        &["--save", "no-such-folder", "does not exist"],
    );
    refused(
        &mnist(&dir, &["--checkpoint", nowhere]),
        &["--checkpoint", "does not exist"],
    );
    refused(
        &mnist(&dir, &["--save", dir.to_str().unwrap()]),
        &["--save", "is a directory"],
    );
    let fifo = dir.join("fifo");
    let _ = std::fs::remove_file(&fifo);
    let made = Command::new("mkfifo").arg(&fifo).status();
    if made.is_ok_and(|s| s.success()) {
        refused(
            &mnist(&dir, &["--save", fifo.to_str().unwrap()]),
            &["--save", "not a regular file"],
        );
    }
    let file = dir.join("a-file");
    std::fs::write(&file, "not a folder").unwrap();
    refused(
        &mnist(&dir, &["--out", file.to_str().unwrap()]),
        &["--out", "not a directory"],
    );
}

#[test]
fn mnist_refuses_an_empty_test_set() {
    let dir = synthetic_mnist("empty-test", 100, 0);
    refused(&mnist(&dir, &["--epochs", "1"]), &["test set", "no images"]);
}

#[test]
fn mnist_warns_when_a_run_stops_learning() {
    let dir = synthetic_mnist("stall", 100, 20);
    // η = 10⁶ saturates every neuron: no NaN, no error, but a warning.
    let run = mnist(&dir, &["--hidden", "6", "--epochs", "1", "--eta", "1e6"]);
    stdout(&run);
    let err = stderr(&run);
    assert!(
        err.contains("stopped learning") && err.contains("--eta"),
        "{err}"
    );
    // A good run is not warned about.
    let run = mnist(&dir, &["--hidden", "6", "--epochs", "2"]);
    stdout(&run);
    assert!(
        !stderr(&run).contains("stopped learning"),
        "{}",
        stderr(&run)
    );
    // An absurd λ is named as the cause, not η.
    let run = mnist(&dir, &["--hidden", "6", "--epochs", "1", "--lambda", "1e9"]);
    let err = stderr(&run);
    assert!(
        err.contains("λ = 1000000000") && err.contains("invalid l2_lambda"),
        "{err}"
    );
}

#[test]
fn mnist_does_not_warn_of_a_stall_after_resume() {
    // Digits 2k and 2k + 1 look alike: the cost cannot reach 0, and with
    // η = 10 it goes up again in some epochs.
    let dir = synthetic_mnist_of("resume-stall", 300, 30, |d, img| {
        let row = 2 * (d / 2 * 2) + 4;
        img[row * 28..(row + 1) * 28].fill(255);
    });
    let ck = dir.join("run.nnet");
    let ck = ck.to_str().unwrap();
    let mut costs = Vec::new();
    // One epoch at a time, each run resuming from the last one's checkpoint.
    for epochs in 1..=8 {
        let epochs = epochs.to_string();
        let mut args = vec![
            "--hidden",
            "5",
            "--eta",
            "10",
            "--epochs",
            &epochs,
            "--checkpoint",
            ck,
        ];
        if epochs != "1" {
            args.push("--resume");
        }
        let run = mnist(&dir, &args);
        let text = stdout(&run);
        assert!(
            !stderr(&run).contains("stopped learning"),
            "epoch {epochs}: {}",
            stderr(&run)
        );
        let line = text.lines().find(|l| l.starts_with("Epoch ")).unwrap();
        let cost = line
            .split("cost ")
            .nth(1)
            .unwrap()
            .split(',')
            .next()
            .unwrap();
        costs.push(cost.parse::<f64>().unwrap());
    }
    // Resuming from a checkpoint whose next epoch costs more used to warn.
    assert!(costs.windows(2).any(|w| w[1] >= w[0]), "{costs:?}");

    // A run that has really stopped learning is still warned about after
    // --resume: its cost is compared with the untrained network's.
    let ck = dir.join("stalled.nnet");
    let ck = ck.to_str().unwrap();
    for (epochs, resume) in [("1", None), ("2", Some("--resume"))] {
        let mut args = vec![
            "--hidden",
            "6",
            "--eta",
            "1e6",
            "--epochs",
            epochs,
            "--checkpoint",
            ck,
        ];
        args.extend(resume);
        let run = mnist(&dir, &args);
        stdout(&run);
        let err = stderr(&run);
        assert!(
            err.contains("stopped learning") && err.contains("before training"),
            "{err}"
        );
    }
}

#[test]
fn mnist_names_the_peer_workload() {
    let dir = synthetic_mnist("peers", 100, 20);
    let run = mnist(&dir, &["--epochs", "1", "--peer-format"]);
    let rows = results(&stdout(&run));
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["workload"], "A");
    assert_eq!(rows[0]["peer"], "neuralnet");
    let run = mnist(&dir, &["--epochs", "1", "--hidden", "7", "--peer-format"]);
    assert_eq!(results(&stdout(&run))[0]["workload"], "custom");
    // A label that the settings are not: kept, with a warning.
    let run = mnist(&dir, &["--epochs", "1", "--peer-format", "C"]);
    assert_eq!(results(&stdout(&run))[0]["workload"], "C");
    assert!(
        stderr(&run).contains("workload A, not workload C"),
        "{}",
        stderr(&run)
    );
}

#[test]
fn sgd_estimate_has_a_help_and_finds_mnist_like_mnist() {
    let help = stdout(&example("sgd_estimate").arg("--help").output().unwrap());
    for flag in [
        "--data <DIR>",
        "--draws",
        "--no-download",
        "--result-lines",
        "cosine",
    ] {
        assert!(help.contains(flag), "{flag} in {help}");
    }
    // RESULT lines only on request.
    let dir = synthetic_mnist("sgd-estimate-human", 100, 5);
    let human = stdout(
        &example("sgd_estimate")
            .args(["--draws", "1", "--data"])
            .arg(&dir)
            .output()
            .unwrap(),
    );
    assert!(
        !human.contains("RESULT") && human.contains("the error fell"),
        "{human}"
    );
    let empty = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("examples")
        .join("no-data-estimate");
    std::fs::create_dir_all(&empty).unwrap();
    let run = example("sgd_estimate")
        .arg("--no-download")
        .env("MNIST_DIR", &empty)
        .env("XDG_CACHE_HOME", &empty)
        .output()
        .unwrap();
    assert!(!run.status.success());
    let err = stderr(&run);
    assert!(err.contains("MNIST not found. Looked in:"), "{err}");
    assert!(
        err.lines()
            .any(|l| l.trim() == format!("{} ($MNIST_DIR)", empty.display())),
        "{err}"
    );
    assert!(
        err.lines()
            .any(|l| l.trim().ends_with("(the cache directory)")),
        "{err}"
    );
}

/// No example shows a path of the workspace the crate is developed in
/// (`../shared/...`) as a place to look: a user's checkout has none.
#[test]
fn examples_name_no_development_workspace_path() {
    for name in [
        "mnist",
        "sgd_estimate",
        "draw",
        "classify",
        "gradient_descent",
        "sigmoid_smoothness",
        "tabular",
    ] {
        let help = stdout(&example(name).arg("--help").output().unwrap());
        for needle in ["shared/", "workspace", "/work/"] {
            assert!(!help.contains(needle), "{name} --help: {needle} in {help}");
        }
    }
    // draw finds MNIST the shared way, and says where else a network can come from.
    let empty = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("examples")
        .join("no-data-draw");
    std::fs::create_dir_all(&empty).unwrap();
    let run = example("draw")
        .env("MNIST_DIR", &empty)
        .env("XDG_CACHE_HOME", &empty)
        .output()
        .unwrap();
    let err = stderr(&run);
    assert!(!run.status.success(), "{err}");
    assert!(
        err.contains("MNIST not found. Looked in:")
            && err.contains(&format!("{} ($MNIST_DIR)", empty.display()))
            && err.contains("--model PATH"),
        "{err}"
    );
}

#[test]
#[ignore = "trains the best preset's [784, 800, 800, 10] network: too slow in a debug build (CI runs it with --release)"]
fn mnist_best_preset_reports_validation_then_test_once_and_resumes_exactly() {
    let dir = synthetic_mnist("best", 200, 30);
    let run = |args: &[&str]| {
        let mut cmd = example("mnist");
        cmd.args(["--preset", "best", "--no-pictures", "--data"])
            .arg(&dir)
            .args(args);
        stdout(&cmd.output().unwrap())
    };
    let full = dir.join("best-full.nnet");
    let text = run(&["--epochs", "2", "--save", full.to_str().unwrap()]);
    let epochs: Vec<&str> = text.lines().filter(|l| l.starts_with("Epoch ")).collect();
    assert!(
        epochs.len() == 2
            && epochs
                .iter()
                .all(|l| l.contains(" / 10000 validation images (")),
        "{text}"
    );
    assert!(
        text.contains("the test set is evaluated once, at the end")
            && text.contains("test accuracy (its only evaluation)"),
        "{text}"
    );
    // Interrupted after one epoch, then resumed: the same weights.
    let ck = dir.join("best-checkpoint.nnet");
    run(&["--epochs", "1", "--checkpoint", ck.to_str().unwrap()]);
    // One file: the network with momentum's velocities and the schedule.
    let checkpoint = neuralnet::model::Checkpoint::<f32>::load(&ck).unwrap();
    assert_eq!(checkpoint.record.epochs_completed, 1);
    assert!(
        checkpoint
            .state
            .optimizer_state()
            .is_some_and(|o| o.first_moments().is_some())
    );
    assert!(!dir.join("best-checkpoint.nnet.velocity").exists());
    run(&[
        "--epochs",
        "2",
        "--checkpoint",
        ck.to_str().unwrap(),
        "--resume",
    ]);
    assert_eq!(
        load(&ck).network,
        load(&full).network,
        "resumed run = uninterrupted run"
    );
    // f64 is refused, not silently ignored.
    let out = example("mnist")
        .args(["--preset", "best", "--f64", "--data"])
        .arg(&dir)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("f32 only"));
}

/// Row `i` of [`tabular_csv`]'s files: size, weight and colour.
fn tabular_row(i: usize) -> (f64, f64, &'static str) {
    let size = ((i * 37) % 100) as f64 / 10.0;
    let weight = 200.0 + ((i * 53) % 97) as f64;
    (size, weight, ["red", "green", "blue"][i % 3])
}

/// A CSV file of `n` rows: two numeric columns, a text column and a
/// target that `label` makes from the row's values.
fn tabular_csv(
    name: &str,
    n: usize,
    target: &str,
    label: impl Fn(f64, f64, &str) -> String,
) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("examples")
        .join("tabular");
    std::fs::create_dir_all(&dir).unwrap();
    let mut text = format!("size,weight,colour,{target}\n");
    for i in 0..n {
        let (size, weight, colour) = tabular_row(i);
        let y = label(size, weight, colour);
        let y = if y.contains(',') {
            format!("\"{y}\"")
        } else {
            y
        };
        text.push_str(&format!("{size},{weight},{colour},{y}\n"));
    }
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn tabular_fits_tests_saves_and_predicts_a_csv_file() {
    let kind = |size: f64, _: f64, colour: &str| {
        let big = size + if colour == "red" { 3.0 } else { 0.0 } > 6.0;
        if big { "big dog" } else { "small, cat" }.to_string()
    };
    let train = tabular_csv("animals.csv", 300, "animal", kind);
    let model = train.with_extension("nnet");
    let text = stdout(
        &example("tabular")
            .arg("--train")
            .arg(&train)
            .args(["--target", "animal", "--save"])
            .arg(&model)
            .output()
            .unwrap(),
    );
    assert!(
        text.contains("task: classification (the target column holds text labels"),
        "{text}"
    );
    assert!(
        text.contains("60 held out to test on (stratified)"),
        "{text}"
    );
    assert!(text.contains("best epoch"), "{text}");
    // The classification report, with the user's labels.
    let header = text
        .lines()
        .position(|l| l.trim() == "precision    recall  f1-score   support")
        .unwrap_or_else(|| panic!("{text}"));
    let accuracy: f64 = text
        .lines()
        .skip(header)
        .find(|l| l.trim_start().starts_with("accuracy"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|a| a.parse().ok())
        .unwrap_or_else(|| panic!("{text}"));
    assert!(accuracy > 0.9, "{text}");
    assert!(
        text.contains("big dog") && text.contains("small, cat"),
        "{text}"
    );
    assert!(text.contains("saved the model to"), "{text}");

    // predict: one row per input row, the user's labels, quoted as CSV needs.
    let new = tabular_csv("new-animals.csv", 12, "animal", kind);
    let out = stdout(
        &example("tabular")
            .arg("predict")
            .arg(&model)
            .arg(&new)
            .output()
            .unwrap(),
    );
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 13, "{out}");
    assert_eq!(lines[0], "prediction");
    assert!(
        lines[1..]
            .iter()
            .all(|l| *l == "big dog" || *l == "\"small, cat\""),
        "{out}"
    );
    let right = (0..12)
        .filter(|&i| {
            let (size, weight, colour) = tabular_row(i);
            lines[i + 1].trim_matches('"') == kind(size, weight, colour)
        })
        .count();
    assert!(right >= 10, "{out}");

    // --json: one object, nothing else on stdout.
    let json = stdout(
        &example("tabular")
            .arg("--train")
            .arg(&train)
            .args(["--target", "animal", "--json", "--test"])
            .arg(&new)
            .output()
            .unwrap(),
    );
    let v: serde_json::Value =
        serde_json::from_str(json.trim()).unwrap_or_else(|e| panic!("{e}: {json}"));
    assert_eq!(v["task"], "classification");
    for key in ["accuracy", "macro_f1", "fit_seconds"] {
        assert!(v[key].as_f64().is_some(), "{key}: {json}");
    }
}

#[test]
fn tabular_takes_a_target_with_fractions_for_regression() {
    let train = tabular_csv("prices.csv", 300, "price", |size, weight, colour| {
        let extra = if colour == "blue" { 0.25 } else { 0.0 };
        format!("{}", 2.0 * size + weight / 100.0 + extra + 0.5)
    });
    let run = example("tabular")
        .arg("--train")
        .arg(&train)
        .args(["--target", "price", "--json"])
        .output()
        .unwrap();
    let json = stdout(&run);
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(
        err.contains("task: regression (the target column holds numbers with fractions"),
        "{err}"
    );
    let v: serde_json::Value =
        serde_json::from_str(json.trim()).unwrap_or_else(|e| panic!("{e}: {json}"));
    assert_eq!(v["task"], "regression");
    assert!(v["r2"].as_f64().unwrap() > 0.95, "{json}");
    for key in ["mae", "rmse", "fit_seconds"] {
        assert!(v[key].as_f64().is_some(), "{key}: {json}");
    }
    // Text output: R², MAE, RMSE; --task overrides the guess.
    let text = stdout(
        &example("tabular")
            .arg("--train")
            .arg(&train)
            .args(["--target", "price", "--task", "regression"])
            .output()
            .unwrap(),
    );
    assert!(text.contains("task: regression (--task)"), "{text}");
    assert!(
        text.contains("R² ") && text.contains("MAE ") && text.contains("RMSE "),
        "{text}"
    );
}

#[test]
fn tabular_explains_its_flags_and_prints_errors_as_messages() {
    let help = stdout(&example("tabular").arg("--help").output().unwrap());
    for flag in [
        "--train",
        "--test",
        "--target",
        "--task",
        "--save",
        "--json",
        "--hidden",
        "--eta",
        "--batch",
        "--epochs",
        "--patience",
        "--seed",
        "--impute",
        "predict",
    ] {
        assert!(help.contains(flag), "{flag}: {help}");
    }
    let train = tabular_csv("errors.csv", 20, "y", |s, _, _| format!("{s}"));
    for (args, needle) in [
        (vec!["--target", "nope"], "no column named \"nope\""),
        (vec!["--target", "y", "--eta=-1"], "invalid learning_rate"),
    ] {
        let run = example("tabular")
            .arg("--train")
            .arg(&train)
            .args(&args)
            .output()
            .unwrap();
        let err = stderr(&run);
        assert_eq!(run.status.code(), Some(1), "{err}");
        assert!(err.starts_with("error: ") && err.contains(needle), "{err}");
        assert!(!err.contains("Error:") && !err.contains(" {"), "{err}");
    }
    let run = example("tabular")
        .args(["predict", "/nonexistent/model.nnet"])
        .arg(&train)
        .output()
        .unwrap();
    let err = stderr(&run);
    assert_eq!(run.status.code(), Some(1), "{err}");
    assert!(err.starts_with("error: /nonexistent/model.nnet"), "{err}");
}
