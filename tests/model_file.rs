//! Saving and loading networks: round trips, every kind of broken file, and
//! saves that fail part-way without losing the previous file. (These tests
//! cover both formats, so they need the default `serde` feature.)
#![cfg(feature = "serde")]

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use nalgebra::{DMatrix, DVector};
use neuralnet::{Error, Init, ModelFormat, Network, Real, TrainingRecord, write_atomically};
use rand::SeedableRng;
use rand::rngs::StdRng;

fn temp_dir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("model-file")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn net<T: Real>(sizes: &[usize], seed: u64) -> Network<T> {
    Network::new(
        sizes,
        Init::StandardNormal,
        &mut StdRng::seed_from_u64(seed),
    )
    .unwrap()
}

fn record() -> TrainingRecord {
    TrainingRecord {
        cost: Some("cross-entropy".into()),
        init: Some("scaled-normal".into()),
        learning_rate: Some(0.5),
        mini_batch_size: Some(10),
        l2_lambda: Some(5.0),
        epochs: Some(30),
        epochs_completed: 7,
        seed: Some(42),
    }
}

fn formats() -> Vec<ModelFormat> {
    vec![ModelFormat::Binary, ModelFormat::Json]
}

/// Files in `dir`, to check that no temporary file is left behind.
fn listing(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

fn round_trip<T: Real>() {
    let dir = temp_dir(&format!("round-trip-{}", std::any::type_name::<T>()));
    let original = net::<T>(&[7, 5, 4, 3], 1);
    let x = DMatrix::from_fn(7, 9, |i, j| {
        nalgebra::convert::<f64, T>(((i * 9 + j) as f64).sin())
    });
    for name in ["net.nnet", "net.json"] {
        let path = dir.join(name);
        original.save(&path, &record()).unwrap();
        let loaded = Network::<T>::load(&path).unwrap();
        assert_eq!(loaded.network, original, "{name}");
        assert_eq!(loaded.record, record(), "{name}");
        // Bit-identical outputs.
        assert_eq!(
            loaded.network.feedforward_batch(&x).unwrap(),
            original.feedforward_batch(&x).unwrap()
        );
    }
    let json = std::fs::read_to_string(dir.join("net.json")).unwrap();
    assert!(
        json.starts_with("{\"format\":\"neuralnet\",\"version\":1"),
        "{json:.80}"
    );
    assert!(json.contains(&format!("\"scalar\":\"{}\"", std::any::type_name::<T>())));
    assert_eq!(listing(&dir), ["net.json", "net.nnet"]);
}

#[test]
fn save_then_load_is_bit_identical() {
    round_trip::<f32>();
    round_trip::<f64>();
}

#[test]
fn the_scalar_type_is_checked_and_cast_explicitly() {
    let n32 = net::<f32>(&[3, 2], 5);
    for format in formats() {
        let bytes = n32.to_bytes(format, &TrainingRecord::default()).unwrap();
        let err = Network::<f64>::from_bytes(&bytes).unwrap_err();
        assert!(
            matches!(&err, Error::ScalarMismatch { found, expected: "f64", .. } if found == "f32"),
            "{err}"
        );
        assert!(err.to_string().contains("Network::cast::<f64>()"), "{err}");
    }
    let widened: Network<f64> = n32.cast();
    assert_eq!(widened.cast::<f32>(), n32);
}

/// FNV-1a as the binary format uses it, to forge files with a valid checksum.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

fn reseal(mut bytes: Vec<u8>) -> Vec<u8> {
    let body = bytes.len() - 8;
    let sum = fnv1a(&bytes[..body]);
    bytes[body..].copy_from_slice(&sum.to_le_bytes());
    bytes
}

#[test]
fn broken_binary_files_are_errors() {
    let good = net::<f64>(&[3, 4, 2], 2)
        .to_bytes(ModelFormat::Binary, &record())
        .unwrap();
    assert!(Network::<f64>::from_bytes(&good).is_ok());
    // Empty, and every truncation.
    for len in 0..good.len() {
        let err = Network::<f64>::from_bytes(&good[..len]).unwrap_err();
        assert!(
            matches!(err, Error::ModelFormat { .. }),
            "prefix {len}: {err}"
        );
    }
    // Not the format.
    assert!(matches!(
        Network::<f64>::from_bytes(b"P5\n28 28\n255\n"),
        Err(Error::ModelFormat { .. })
    ));
    // A flipped bit anywhere after the header: the checksum catches it.
    let mut flipped = good.clone();
    flipped[good.len() - 20] ^= 0x10;
    let err = Network::<f64>::from_bytes(&flipped).unwrap_err();
    assert!(err.to_string().contains("checksum"), "{err}");
    // Trailing bytes.
    let mut longer = good.clone();
    longer.extend([0; 8]);
    assert!(matches!(
        Network::<f64>::from_bytes(&longer),
        Err(Error::ModelFormat { .. })
    ));
    // An unknown version.
    let mut v2 = good.clone();
    v2[8..12].copy_from_slice(&2u32.to_le_bytes());
    assert!(matches!(
        Network::<f64>::from_bytes(&v2),
        Err(Error::UnsupportedVersion {
            found: 2,
            supported: 1,
            ..
        })
    ));
    // Sizes that do not match the data (3-4-2 claimed as 3-5-2), even with a valid checksum.
    let mut sizes = good.clone();
    sizes[21..25].copy_from_slice(&5u32.to_le_bytes());
    assert!(matches!(
        Network::<f64>::from_bytes(&reseal(sizes)),
        Err(Error::ModelFormat { .. })
    ));
    // A layer of zero neurons.
    let mut zero = good.clone();
    zero[21..25].copy_from_slice(&0u32.to_le_bytes());
    assert!(matches!(
        Network::<f64>::from_bytes(&reseal(zero)),
        Err(Error::InvalidLayers { .. })
    ));
    // Billions of layers claimed in a small file.
    let mut layers = good.clone();
    layers[13..17].copy_from_slice(&u32::MAX.to_le_bytes());
    assert!(matches!(
        Network::<f64>::from_bytes(&layers),
        Err(Error::ModelFormat { .. })
    ));
    // A NaN and an infinity among the weights, with a valid checksum.
    for bad in [f64::NAN, f64::INFINITY] {
        let mut nan = good.clone();
        let at = good.len() - 8 - 8 * 2; // the first bias of the last layer
        nan[at..at + 8].copy_from_slice(&bad.to_le_bytes());
        let err = Network::<f64>::from_bytes(&reseal(nan)).unwrap_err();
        assert!(
            matches!(
                err,
                Error::NonFinite {
                    layer: 1,
                    what: "bias"
                }
            ),
            "{err}"
        );
    }
}

#[test]
fn broken_json_files_are_errors() {
    let good = String::from_utf8(
        net::<f32>(&[2, 3, 1], 3)
            .to_bytes(ModelFormat::Json, &record())
            .unwrap(),
    )
    .unwrap();
    let parse = |s: &str| Network::<f32>::from_bytes(s.as_bytes());
    assert!(parse(&good).is_ok());
    for len in [1, good.len() / 2, good.len() - 1] {
        assert!(
            matches!(parse(&good[..len]), Err(Error::ModelFormat { .. })),
            "prefix {len}"
        );
    }
    assert!(matches!(parse("{}"), Err(Error::ModelFormat { .. })));
    assert!(matches!(
        parse("{\"format\":\"other\",\"version\":1}"),
        Err(Error::ModelFormat { .. })
    ));
    let v9 = good.replacen("\"version\":1", "\"version\":9", 1);
    assert!(matches!(
        parse(&v9),
        Err(Error::UnsupportedVersion { found: 9, .. })
    ));
    let scalar = good.replacen("\"scalar\":\"f32\"", "\"scalar\":\"f16\"", 1);
    assert!(matches!(parse(&scalar), Err(Error::ModelFormat { .. })));
    let sizes = good.replacen("\"sizes\":[2,3,1]", "\"sizes\":[2,4,1]", 1);
    assert!(
        matches!(
            parse(&sizes),
            Err(Error::ShapeMismatch {
                layer: 0,
                what: "weights",
                ..
            })
        ),
        "{sizes}"
    );
    let layers = good.replacen("\"sizes\":[2,3,1]", "\"sizes\":[2,3,1,1]", 1);
    assert!(matches!(parse(&layers), Err(Error::ModelFormat { .. })));
    let extra = good.replacen("\"version\":1", "\"version\":1,\"surprise\":true", 1);
    assert!(matches!(parse(&extra), Err(Error::ModelFormat { .. })));
    // A value too large for f32 becomes infinite: refused.
    let big = good.replacen("\"biases\":[[", "\"biases\":[[1e300,", 1);
    let fixed = {
        // keep the bias count right: drop the first original bias
        let start = big.find("\"biases\":[[1e300,").unwrap() + "\"biases\":[[1e300,".len();
        let end = start + big[start..].find(',').unwrap() + 1;
        format!("{}{}", &big[..start], &big[end..])
    };
    assert!(
        matches!(
            parse(&fixed),
            Err(Error::NonFinite {
                layer: 0,
                what: "bias"
            })
        ),
        "{fixed}"
    );
}

#[test]
fn saving_a_broken_network_writes_nothing() {
    let dir = temp_dir("nan");
    let path = dir.join("net.nnet");
    let good = net::<f64>(&[2, 2], 4);
    good.save(&path, &record()).unwrap();
    let before = std::fs::read(&path).unwrap();
    let (mut w, b) = good.to_parameters();
    w[0][(1, 1)] = f64::NAN;
    let broken = Network::from_parameters(w, b).unwrap();
    assert!(matches!(
        broken.save(&path, &record()),
        Err(Error::NonFinite {
            layer: 0,
            what: "weight"
        })
    ));
    assert_eq!(std::fs::read(&path).unwrap(), before);
    assert_eq!(listing(&dir), ["net.nnet"]);
}

/// A writer that fails after `budget` bytes.
struct Flaky<'a> {
    inner: &'a mut dyn Write,
    budget: usize,
}

impl Write for Flaky<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.budget == 0 {
            return Err(io::Error::other("disk full (injected)"));
        }
        let n = buf.len().min(self.budget);
        self.budget -= n;
        self.inner.write(&buf[..n])
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

#[test]
fn a_save_that_fails_part_way_keeps_the_old_file() {
    let dir = temp_dir("atomic");
    let path = dir.join("net.nnet");
    net::<f32>(&[5, 4, 3], 6).save(&path, &record()).unwrap();
    let before = std::fs::read(&path).unwrap();
    let new = net::<f32>(&[5, 4, 3], 7)
        .to_bytes(ModelFormat::Binary, &record())
        .unwrap();
    for budget in [0, 1, new.len() / 2, new.len() - 1] {
        let err =
            write_atomically(&path, |w| Flaky { inner: w, budget }.write_all(&new)).unwrap_err();
        assert!(
            matches!(&err, Error::File { source, .. } if source.to_string().contains("injected")),
            "{err}"
        );
        assert_eq!(std::fs::read(&path).unwrap(), before, "budget {budget}");
        assert_eq!(listing(&dir), ["net.nnet"], "no temporary file left");
    }
    // A target that cannot be replaced (a directory) and a missing directory.
    std::fs::create_dir(dir.join("taken")).unwrap();
    assert!(matches!(
        net::<f32>(&[2, 1], 1).save(dir.join("taken"), &record()),
        Err(Error::File { .. })
    ));
    assert!(matches!(
        net::<f32>(&[2, 1], 1).save(dir.join("no/such/dir/net.nnet"), &record()),
        Err(Error::File { .. })
    ));
    assert_eq!(listing(&dir), ["net.nnet", "taken"]);
    // And a save that succeeds replaces the file whole.
    write_atomically(&path, |w| w.write_all(&new)).unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), new);
    assert_eq!(
        Network::<f32>::load(&path).unwrap().network,
        net::<f32>(&[5, 4, 3], 7)
    );
}

#[test]
fn a_missing_file_is_a_file_error() {
    let err = Network::<f32>::load(temp_dir("missing").join("nope.nnet")).unwrap_err();
    assert!(matches!(err, Error::File { .. }), "{err}");
}

#[test]
fn from_parameters_round_trips_through_json() {
    let w = vec![DMatrix::from_row_slice(
        2,
        3,
        &[0.1f32, 0.2, 0.3, -0.4, 0.5, 1e-30],
    )];
    let b = vec![DVector::from_column_slice(&[f32::MIN_POSITIVE, -3.5])];
    let n = Network::from_parameters(w, b).unwrap();
    let bytes = n
        .to_bytes(ModelFormat::Json, &TrainingRecord::default())
        .unwrap();
    assert_eq!(Network::<f32>::from_bytes(&bytes).unwrap().network, n);
}

#[test]
fn json_weights_are_in_the_lectures_orientation() {
    // Row j of wˡ holds the weights into neuron j, in the file as in
    // `Network::weights` and `Network::from_parameters`.
    let rows = [0.5f32, 0.25, -1.5, 2.0, 0.75, -0.125];
    let w = DMatrix::from_row_slice(2, 3, &rows);
    let n = Network::from_parameters(vec![w.clone()], vec![DVector::from_element(2, 1.0)]).unwrap();
    assert_eq!(n.weights(), vec![w]);
    let json = String::from_utf8(
        n.to_bytes(ModelFormat::Json, &TrainingRecord::default())
            .unwrap(),
    )
    .unwrap();
    assert!(
        json.contains("\"weights\":[[[0.5,0.25,-1.5],[2.0,0.75,-0.125]]]"),
        "{json}"
    );
}
