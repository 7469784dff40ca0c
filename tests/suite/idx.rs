//! The IDX reader and MNIST loading, on small files the tests write themselves.

use std::io::{Cursor, Read, Write};
use std::path::{Path, PathBuf};

use flate2::Compression;
use flate2::write::GzEncoder;
use neuralnet::Error;
use neuralnet::mnist::{Mnist, read_images, read_images_file, read_labels, read_labels_file};

/// The IDX magic numbers: unsigned bytes (`08`) in 1 or 3 dimensions.
const LABELS_MAGIC: u32 = 0x0000_0801;
const IMAGES_MAGIC: u32 = 0x0000_0803;

fn header(magic: u32, dims: &[u32]) -> Vec<u8> {
    let mut v = magic.to_be_bytes().to_vec();
    for d in dims {
        v.extend(d.to_be_bytes());
    }
    v
}

fn images(count: u32, rows: u32, cols: u32) -> Vec<u8> {
    let mut v = header(IMAGES_MAGIC, &[count, rows, cols]);
    v.extend((0..count * rows * cols).map(|i| (i * 37 % 256) as u8));
    v
}

fn labels(values: &[u8]) -> Vec<u8> {
    let mut v = header(LABELS_MAGIC, &[values.len() as u32]);
    v.extend(values);
    v
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = GzEncoder::new(Vec::new(), Compression::default());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

/// A fresh directory under cargo's per-target temporary directory.
fn temp_dir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("idx-tests")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn reads_raw_and_gzip_the_same() {
    let raw = images(3, 2, 4);
    for bytes in [raw.clone(), gzip(&raw)] {
        let img = read_images(Cursor::new(bytes), "test").unwrap();
        assert_eq!((img.count, img.rows, img.cols), (3, 2, 4));
        assert_eq!(img.pixels, raw[16..]);
        assert_eq!(img.image(2).unwrap(), &raw[16 + 16..]);
        assert!(img.image(3).is_none());
    }
    let raw = labels(&[5, 0, 4, 1, 9]);
    for bytes in [raw.clone(), gzip(&raw)] {
        assert_eq!(
            read_labels(Cursor::new(bytes), "test").unwrap(),
            [5, 0, 4, 1, 9]
        );
    }
}

#[test]
fn reads_files_raw_and_gzip_whatever_their_names() {
    let dir = temp_dir("files");
    let raw = images(2, 3, 3);
    // Gzip is recognised by its content: a .gz name holding raw bytes and a plain name holding gzip both work.
    std::fs::write(dir.join("a.gz"), &raw).unwrap();
    std::fs::write(dir.join("b"), gzip(&raw)).unwrap();
    for name in ["a.gz", "b"] {
        let img = read_images_file(dir.join(name)).unwrap();
        assert_eq!(img.pixels, raw[16..]);
    }
    let m = read_images_file(dir.join("a.gz"))
        .unwrap()
        .to_matrix::<f64>(1, 1)
        .unwrap();
    assert_eq!(m.shape(), (9, 1));
    assert_eq!(m[(0, 0)], f64::from(raw[16 + 9]) / 255.0);
    let err = read_images_file(dir.join("missing")).unwrap_err();
    assert!(matches!(err, Error::File { .. }), "{err}");
}

#[test]
fn bad_magic_is_an_error() {
    let err = read_labels(Cursor::new(images(1, 1, 1)), "imgs").unwrap_err();
    assert!(
        matches!(
            err,
            Error::BadMagic {
                expected: LABELS_MAGIC,
                found: IMAGES_MAGIC,
                kind: "labels",
                ..
            }
        ),
        "{err}"
    );
    let err = read_images(Cursor::new(b"%PDF-1.7 not idx".to_vec()), "x.pdf").unwrap_err();
    assert!(matches!(err, Error::BadMagic { .. }), "{err}");
    assert!(err.to_string().contains("x.pdf"));
}

#[test]
fn truncated_header_is_an_error() {
    for len in [0, 3, 4, 9, 15] {
        let bytes = images(1, 2, 2)[..len].to_vec();
        let err = read_images(Cursor::new(bytes.clone()), "t").unwrap_err();
        assert!(
            matches!(err, Error::IdxTruncated { part: "header", .. }),
            "{len}: {err}"
        );
        let err = read_images(Cursor::new(gzip(&bytes)), "t").unwrap_err();
        assert!(
            matches!(err, Error::IdxTruncated { part: "header", .. }),
            "gz {len}: {err}"
        );
    }
}

#[test]
fn truncated_data_is_an_error() {
    let mut bytes = images(4, 2, 2);
    bytes.truncate(bytes.len() - 1);
    let err = read_images(Cursor::new(bytes.clone()), "t").unwrap_err();
    assert!(
        matches!(
            err,
            Error::IdxTruncated {
                part: "data",
                expected: 16,
                found: 15,
                ..
            }
        ),
        "{err}"
    );
    let err = read_images(Cursor::new(gzip(&bytes)), "t").unwrap_err();
    assert!(
        matches!(err, Error::IdxTruncated { part: "data", .. }),
        "{err}"
    );
    // A gzip stream cut short.
    let gz = gzip(&images(50, 28, 28));
    let err = read_images(Cursor::new(gz[..gz.len() / 2].to_vec()), "t").unwrap_err();
    assert!(
        matches!(err, Error::IdxTruncated { .. } | Error::Io(_)),
        "{err}"
    );
    let mut labels = labels(&[1, 2, 3]);
    labels.pop();
    assert!(matches!(
        read_labels(Cursor::new(labels), "t"),
        Err(Error::IdxTruncated { .. })
    ));
}

#[test]
fn trailing_data_is_an_error() {
    let mut bytes = labels(&[1, 2]);
    bytes.push(3);
    let err = read_labels(Cursor::new(bytes), "t").unwrap_err();
    assert!(
        matches!(err, Error::IdxTrailingData { expected: 10, .. }),
        "{err}"
    );
}

#[test]
fn a_label_above_nine_is_an_error() {
    let err = read_labels(Cursor::new(labels(&[3, 9, 10, 2])), "lbl").unwrap_err();
    assert!(
        matches!(
            err,
            Error::BadLabel {
                index: 2,
                label: 10,
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn huge_claims_fail_before_allocating() {
    // 2^31 images of 28 × 28 in a 16-byte file: refused from the header alone.
    let bytes = header(IMAGES_MAGIC, &[1 << 31, 28, 28]);
    let err = read_images(Cursor::new(bytes.clone()), "tiny").unwrap_err();
    assert!(matches!(err, Error::IdxTooLarge { .. }), "{err}");
    // A claim under the limit but far beyond the file: a file's length gives it away at once…
    let dir = temp_dir("huge");
    let mut small = header(IMAGES_MAGIC, &[1_000_000, 28, 28]);
    small.extend([0u8; 100]);
    std::fs::write(dir.join("f"), &small).unwrap();
    let err = read_images_file(dir.join("f")).unwrap_err();
    assert!(
        matches!(
            err,
            Error::IdxTruncated {
                expected: 784_000_000,
                found: 100,
                ..
            }
        ),
        "{err}"
    );
    // …and a reader of unknown length is read as far as it goes, no further.
    let err = read_images(Cursor::new(small), "r").unwrap_err();
    assert!(
        matches!(err, Error::IdxTruncated { found: 100, .. }),
        "{err}"
    );
}

/// Counts the compressed bytes a decoder pulls.
struct Counting<R> {
    inner: R,
    read: std::rc::Rc<std::cell::Cell<usize>>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read.set(self.read.get() + n);
        Ok(n)
    }
}

#[test]
fn a_gzip_bomb_is_not_decompressed_past_the_header() {
    // The header promises 10 labels; the stream then inflates to 256 MiB of zeros.
    let mut e = GzEncoder::new(Vec::new(), Compression::best());
    e.write_all(&labels(&[0; 10])).unwrap();
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..256 {
        e.write_all(&zeros).unwrap();
    }
    let bomb = e.finish().unwrap();
    assert!(bomb.len() > 200_000, "the bomb is {} bytes", bomb.len());
    let read = std::rc::Rc::new(std::cell::Cell::new(0));
    let reader = Counting {
        inner: Cursor::new(bomb.clone()),
        read: read.clone(),
    };
    let err = read_labels(reader, "bomb.gz").unwrap_err();
    assert!(
        matches!(err, Error::IdxTrailingData { expected: 18, .. }),
        "{err}"
    );
    assert!(
        read.get() < 40_000,
        "pulled {} of {} compressed bytes",
        read.get(),
        bomb.len()
    );
}

/// Writes a small MNIST-shaped directory: `train` training and `test` test images of 2 × 2.
fn write_mnist(dir: &Path, train: u32, test: u32, gz: bool) {
    let label = |n: u32| (0..n).map(|i| (i % 10) as u8).collect::<Vec<_>>();
    let files = [
        ("train-images-idx3-ubyte", images(train, 2, 2)),
        ("train-labels-idx1-ubyte", labels(&label(train))),
        ("t10k-images-idx3-ubyte", images(test, 2, 2)),
        ("t10k-labels-idx1-ubyte", labels(&label(test))),
    ];
    for (i, (name, bytes)) in files.into_iter().enumerate() {
        // Mix the two spellings: .gz for some files, raw for others.
        if gz && i % 2 == 0 {
            std::fs::write(dir.join(format!("{name}.gz")), gzip(&bytes)).unwrap();
        } else {
            std::fs::write(dir.join(name), bytes).unwrap();
        }
    }
}

#[test]
fn loads_the_lectures_split() {
    let dir = temp_dir("split");
    write_mnist(&dir, 10_025, 7, true);
    let data = Mnist::<f32>::load(&dir).unwrap();
    assert_eq!(
        (data.training.len(), data.validation.len(), data.test.len()),
        (25, 10_000, 7)
    );
    assert_eq!(data.training.input_size(), 4);
    assert_eq!(data.training.target_size(), 10);
    // Example 13 has label 3, and its pixels scaled to [0, 1].
    assert_eq!(
        data.training
            .targets()
            .column(13)
            .iter()
            .position(|&v| v == 1.0),
        Some(3)
    );
    assert_eq!(
        data.training.inputs()[(1, 13)],
        ((13 * 4 + 1) * 37 % 256) as f32 / 255.0
    );
    // The validation set is the end of the training file.
    assert_eq!(
        data.validation
            .targets()
            .column(0)
            .iter()
            .position(|&v| v == 1.0),
        Some(5)
    );
    assert!(
        data.training
            .inputs()
            .iter()
            .all(|&v| (0.0..=1.0).contains(&v))
    );
}

#[test]
fn loading_errors_name_the_file() {
    let dir = temp_dir("errors");
    let err = Mnist::<f32>::load(&dir).unwrap_err();
    assert!(
        matches!(&err, Error::MissingFile { path, .. } if path.ends_with("train-images-idx3-ubyte.gz")),
        "{err}"
    );
    assert!(err.to_string().contains("Put the four MNIST files"));

    write_mnist(&dir, 10_005, 3, false);
    std::fs::write(dir.join("t10k-labels-idx1-ubyte"), labels(&[1, 2])).unwrap();
    let err = Mnist::<f32>::load(&dir).unwrap_err();
    assert!(
        matches!(
            err,
            Error::CountMismatch {
                images: 3,
                labels: 2,
                ..
            }
        ),
        "{err}"
    );

    std::fs::write(dir.join("t10k-labels-idx1-ubyte"), labels(&[1, 2, 11])).unwrap();
    let err = Mnist::<f32>::load(&dir).unwrap_err();
    assert!(
        matches!(&err, Error::BadLabel { source_name, .. } if source_name.contains("t10k-labels")),
        "{err}"
    );

    write_mnist(&dir, 9_000, 3, false);
    assert!(matches!(
        Mnist::<f32>::load(&dir),
        Err(Error::IdxDimensions { .. })
    ));
}

#[test]
fn labels_from_a_file_round_trip() {
    let dir = temp_dir("labels");
    std::fs::write(dir.join("l"), gzip(&labels(&[7, 2, 1]))).unwrap();
    assert_eq!(read_labels_file(dir.join("l")).unwrap(), [7, 2, 1]);
}

#[test]
fn gzip_members_are_all_read_and_garbage_after_them_is_refused() {
    let raw = labels(&[3, 1, 4, 1, 5]);
    // A valid multi-member gzip (as `cat a.gz b.gz` makes): header in the
    // first member, labels in the second.
    let mut multi = gzip(&raw[..8]);
    multi.extend(gzip(&raw[8..]));
    assert_eq!(
        read_labels(Cursor::new(multi.clone()), "t").unwrap(),
        [3, 1, 4, 1, 5]
    );
    // Garbage after the last member.
    for garbage in [&b"garbage!"[..], &[0u8; 16][..], &[0x1f][..]] {
        let mut bad = gzip(&raw);
        bad.extend_from_slice(garbage);
        assert!(
            read_labels(Cursor::new(bad), "t").is_err(),
            "{garbage:?} after the stream"
        );
    }
}
