//! Saving and loading networks: round trips, every kind of broken file, and
//! saves that fail part-way without losing the previous file. (These tests
//! cover both formats, so they need the default `serde` feature.)
#![cfg(feature = "serde")]

use neuralnet::optim::OptimizerKind;
use std::path::{Path, PathBuf};

use nalgebra::{DMatrix, DVector};
use neuralnet::model::{ModelFormat, SavedNetwork, TrainingRecord};
use neuralnet::{Activation, CostKind, Error, Init, Network, Real};
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
    let mut r = TrainingRecord::default();
    r.cost = Some(CostKind::CrossEntropy);
    r.init = Some(Init::ScaledNormal);
    r.learning_rate = Some(0.5);
    r.mini_batch_size = Some(10);
    r.l2_lambda = Some(5.0);
    r.epochs = Some(30);
    r.epochs_completed = 7;
    r.seed = Some(42);
    r.optimizer = Some(OptimizerKind::Adam);
    r
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
        original.save_with_record(&path, &record()).unwrap();
        let loaded = SavedNetwork::<T>::load(&path).unwrap();
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
        json.starts_with("{\"format\":\"neuralnet\",\"version\":3"),
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
        let bytes = n32.to_bytes(format).unwrap();
        let err = Network::<f64>::from_bytes(&bytes).unwrap_err();
        assert!(
            matches!(&err, Error::ScalarMismatch { found, expected: "f64", .. } if found == "f32"),
            "{err}"
        );
        assert!(err.to_string().contains("Network::cast::<f64>()"), "{err}");
    }
    let widened: Network<f64> = n32.cast().unwrap();
    assert_eq!(widened.cast::<f32>().unwrap(), n32);
}

/// A JSON model without its checksum field (as 0.1 wrote them).
fn unsealed(json: &str) -> String {
    let start = json.find(",\"checksum\":").expect("a checksum field");
    let end = start + json[start..].find('}').unwrap();
    format!("{}{}", &json[..start], &json[end..])
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
        .to_bytes_with_record(ModelFormat::Binary, &record())
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
    // A corrupted version field is corruption, not a newer file.
    let mut v4 = good.clone();
    v4[8..12].copy_from_slice(&4u32.to_le_bytes());
    let err = Network::<f64>::from_bytes(&v4).unwrap_err();
    assert!(
        matches!(&err, Error::ModelFormat { reason, .. } if reason.contains("corrupted")),
        "{err}"
    );
    // An unknown version with a valid checksum: a newer file.
    assert!(matches!(
        Network::<f64>::from_bytes(&reseal(v4)),
        Err(Error::UnsupportedVersion {
            found: 4,
            supported: 3,
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
    let err = Network::<f64>::from_bytes(&reseal(zero)).unwrap_err();
    assert!(
        matches!(&err, Error::ModelFormat { source_name, reason } if source_name == "<bytes>" && reason.contains("at least one neuron")),
        "{err}"
    );
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
            matches!(&err, Error::ModelFormat { reason, .. } if reason.contains("layer 1: a bias is NaN or infinite")),
            "{err}"
        );
    }
}

#[test]
fn broken_json_files_are_errors() {
    let good = String::from_utf8(
        net::<f32>(&[2, 3, 1], 3)
            .to_bytes_with_record(ModelFormat::Json, &record())
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
    // A corrupted version field: the rest is a sound version-3 file.
    let v9 = good.replacen("\"version\":3", "\"version\":9", 1);
    let err = parse(&v9).unwrap_err();
    assert!(
        matches!(&err, Error::ModelFormat { reason, .. } if reason.contains("version field reads 9")),
        "{err}"
    );
    // A newer file (its checksum is not version 3's) is a newer file.
    assert!(matches!(
        parse(&unsealed(&v9)),
        Err(Error::UnsupportedVersion { found: 9, .. })
    ));
    // A changed value is caught by the checksum, and loads once the
    // checksum is removed (hand-edited files).
    let edited = good.replacen("\"biases\":[[", "\"biases\":[[0.5e-3,", 1);
    let edited = {
        let start = edited.find("[[0.5e-3,").unwrap() + "[[0.5e-3,".len();
        let end = start + edited[start..].find([',', ']']).unwrap() + 1;
        format!("{}{}", &edited[..start - 1], &edited[end - 1..])
    };
    let err = parse(&edited).unwrap_err();
    assert!(err.to_string().contains("checksum mismatch"), "{err}");
    assert!(parse(&unsealed(&edited)).is_ok(), "{edited}");
    // A ragged row names the row and its length.
    let ragged = unsealed(&good).replacen("\"weights\":[[[", "\"weights\":[[[0.25,", 1);
    let err = parse(&ragged).unwrap_err();
    assert!(
        err.to_string().contains("weight row 0 has 3 values")
            && err.to_string().contains("2 inputs"),
        "{err}"
    );
    let scalar = good.replacen("\"scalar\":\"f32\"", "\"scalar\":\"f16\"", 1);
    assert!(matches!(parse(&scalar), Err(Error::ModelFormat { .. })));
    let sizes = good.replacen("\"sizes\":[2,3,1]", "\"sizes\":[2,4,1]", 1);
    let err = parse(&sizes).unwrap_err();
    assert!(
        matches!(&err, Error::ModelFormat { reason, .. } if reason.contains("layer 0")),
        "{err}"
    );
    let layers = good.replacen("\"sizes\":[2,3,1]", "\"sizes\":[2,3,1,1]", 1);
    assert!(matches!(parse(&layers), Err(Error::ModelFormat { .. })));
    let extra = good.replacen("\"version\":3", "\"version\":3,\"surprise\":true", 1);
    assert!(matches!(parse(&extra), Err(Error::ModelFormat { .. })));
    // A value too large for f32 becomes infinite: refused.
    let big = unsealed(&good).replacen("\"biases\":[[", "\"biases\":[[1e300,", 1);
    let fixed = {
        // keep the bias count right: drop the first original bias
        let start = big.find("\"biases\":[[1e300,").unwrap() + "\"biases\":[[1e300,".len();
        let end = start + big[start..].find(',').unwrap() + 1;
        format!("{}{}", &big[..start], &big[end..])
    };
    let err = parse(&fixed).unwrap_err();
    assert!(
        matches!(&err, Error::ModelFormat { reason, .. } if reason.contains("layer 0: a bias is NaN or infinite")),
        "{err}"
    );
}

#[test]
fn saving_a_broken_network_writes_nothing() {
    let dir = temp_dir("nan");
    let path = dir.join("net.nnet");
    let good = net::<f64>(&[2, 2], 4);
    good.save_with_record(&path, &record()).unwrap();
    let before = std::fs::read(&path).unwrap();
    let (mut w, b) = good.to_parameters();
    w[0][(1, 1)] = f64::NAN;
    let broken = Network::from_parameters(w, b).unwrap();
    assert!(matches!(
        broken.save_with_record(&path, &record()),
        Err(Error::NonFinite {
            layer: 0,
            what: "weight"
        })
    ));
    assert_eq!(std::fs::read(&path).unwrap(), before);
    assert_eq!(listing(&dir), ["net.nnet"]);
}

// A save that fails part-way through writing is tested on the file
// utility itself (src/fs.rs), where a failing writer can be injected.

#[test]
fn a_save_that_fails_keeps_the_old_file() {
    let dir = temp_dir("atomic");
    let path = dir.join("net.nnet");
    net::<f32>(&[5, 4, 3], 6).save(&path).unwrap();
    let before = std::fs::read(&path).unwrap();
    // A target that cannot be replaced (a directory) and a missing directory.
    std::fs::create_dir(dir.join("taken")).unwrap();
    assert!(matches!(
        net::<f32>(&[2, 1], 1).save(dir.join("taken")),
        Err(Error::NotAFile {
            kind: "directory",
            ..
        })
    ));
    assert!(matches!(
        net::<f32>(&[2, 1], 1).save(dir.join("no/such/dir/net.nnet")),
        Err(Error::File { .. })
    ));
    assert_eq!(listing(&dir), ["net.nnet", "taken"]);
    assert_eq!(std::fs::read(&path).unwrap(), before);
    // And a save that succeeds replaces the file whole.
    net::<f32>(&[5, 4, 3], 7).save(&path).unwrap();
    assert_eq!(
        Network::<f32>::load(&path).unwrap(),
        net::<f32>(&[5, 4, 3], 7)
    );
    assert_eq!(listing(&dir), ["net.nnet", "taken"]);
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
    let bytes = n.to_bytes(ModelFormat::Json).unwrap();
    assert_eq!(Network::<f32>::from_bytes(&bytes).unwrap(), n);
}

#[test]
fn json_weights_are_in_the_lectures_orientation() {
    // Row j of wˡ holds the weights into neuron j, in the file as in
    // `Network::weights` and `Network::from_parameters`.
    let rows = [0.5f32, 0.25, -1.5, 2.0, 0.75, -0.125];
    let w = DMatrix::from_row_slice(2, 3, &rows);
    let n = Network::from_parameters(vec![w.clone()], vec![DVector::from_element(2, 1.0)]).unwrap();
    assert_eq!(n.weights(), vec![w]);
    let json = String::from_utf8(n.to_bytes(ModelFormat::Json).unwrap()).unwrap();
    assert!(
        json.contains("\"weights\":[[[0.5,0.25,-1.5],[2.0,0.75,-0.125]]]"),
        "{json}"
    );
}

#[test]
fn saving_without_a_record_loads_an_empty_record() {
    let dir = temp_dir("no-record");
    let n = net::<f64>(&[4, 3, 2], 8);
    for name in ["net.nnet", "net.json"] {
        let path = dir.join(name);
        n.save(&path).unwrap();
        assert_eq!(Network::<f64>::load(&path).unwrap(), n, "{name}");
        let saved = SavedNetwork::<f64>::load(&path).unwrap();
        assert_eq!(saved.network, n, "{name}");
        assert_eq!(saved.record, TrainingRecord::default(), "{name}");
        // Saving again with a record replaces the file, record and all.
        n.save_with_record(&path, &record()).unwrap();
        assert_eq!(SavedNetwork::<f64>::load(&path).unwrap().record, record());
        assert_eq!(Network::<f64>::load(&path).unwrap(), n, "{name}");
    }
    assert_eq!(listing(&dir), ["net.json", "net.nnet"]);
}

#[test]
fn cost_and_init_names_round_trip() {
    for (kind, name) in [
        (CostKind::Quadratic, "quadratic"),
        (CostKind::CrossEntropy, "cross-entropy"),
    ] {
        assert_eq!(kind.name(), name);
        assert_eq!(kind.to_string(), name);
        assert_eq!(name.parse::<CostKind>().unwrap(), kind);
    }
    for (init, name) in [
        (Init::StandardNormal, "standard-normal"),
        (Init::ScaledNormal, "scaled-normal"),
        (Init::He, "he"),
    ] {
        assert_eq!(init.name(), name);
        assert_eq!(init.to_string(), name);
        assert_eq!(name.parse::<Init>().unwrap(), init);
    }
    let err = "cross_entropy".parse::<CostKind>().unwrap_err();
    assert!(
        matches!(err, Error::InvalidConfig { name: "cost", .. }),
        "{err}"
    );
    assert!(err.to_string().contains("\"cross-entropy\""), "{err}");
    let err = "scaled".parse::<Init>().unwrap_err();
    assert!(
        matches!(err, Error::InvalidConfig { name: "init", .. }),
        "{err}"
    );
    assert!(
        err.to_string().contains("\"standard-normal\"")
            && err.to_string().contains("\"scaled-normal\""),
        "{err}"
    );
    // JSON files hold the same names.
    let json = String::from_utf8(
        net::<f32>(&[2, 1], 1)
            .to_bytes_with_record(ModelFormat::Json, &record())
            .unwrap(),
    )
    .unwrap();
    assert!(
        json.contains("\"cost\":\"cross-entropy\",\"init\":\"scaled-normal\""),
        "{json}"
    );
}

/// Offset of the record's cost code in a binary file of `layers` layers:
/// magic, version, scalar size, layer count, sizes, activations.
fn cost_code_at(layers: usize) -> usize {
    8 + 4 + 1 + 4 + 4 * layers + (layers - 1)
}

#[test]
fn unknown_cost_and_init_codes_are_refused() {
    let good = net::<f64>(&[3, 4, 2], 2)
        .to_bytes_with_record(ModelFormat::Binary, &record())
        .unwrap();
    let at = cost_code_at(3);
    // The codes of `record()`: cross-entropy (2), scaled-normal (2).
    assert_eq!(good[at..at + 2], [2, 2]);
    for (offset, code, what) in [
        (0, 4, "cost code 4"),
        (0, 255, "cost code 255"),
        (1, 4, "initialisation code 4"),
    ] {
        let mut bad = good.clone();
        bad[at + offset] = code;
        // Corruption is reported as such…
        let err = SavedNetwork::<f64>::from_bytes(&bad).unwrap_err();
        assert!(err.to_string().contains("checksum"), "{err}");
        // …and a well-formed file with a code this version does not know is
        // refused, not read as "not recorded".
        let err = SavedNetwork::<f64>::from_bytes(&reseal(bad)).unwrap_err();
        assert!(
            matches!(&err, Error::ModelFormat { reason, .. } if reason.contains(what)),
            "{err}"
        );
    }
    // 0 means "not recorded" (files saved without a record).
    let mut none = good.clone();
    none[at..at + 2].copy_from_slice(&[0, 0]);
    let saved = SavedNetwork::<f64>::from_bytes(&reseal(none)).unwrap();
    assert_eq!((saved.record.cost, saved.record.init), (None, None));
    // JSON: names this version does not know are refused too.
    let json = String::from_utf8(
        net::<f32>(&[2, 1], 1)
            .to_bytes_with_record(ModelFormat::Json, &record())
            .unwrap(),
    )
    .unwrap();
    for (from, to) in [
        ("\"cross-entropy\"", "\"log-loss\""),
        ("\"scaled-normal\"", "\"xavier\""),
        ("\"cross-entropy\"", "3"),
    ] {
        let bad = json.replacen(from, to, 1);
        let err = SavedNetwork::<f32>::from_bytes(bad.as_bytes()).unwrap_err();
        assert!(matches!(err, Error::ModelFormat { .. }), "{err}");
    }
    let null = unsealed(&json).replacen("\"cross-entropy\"", "null", 1);
    let saved = SavedNetwork::<f32>::from_bytes(null.as_bytes()).unwrap();
    assert_eq!(saved.record.cost, None);
    assert_eq!(saved.record.init, Some(Init::ScaledNormal));
}

/// A version-1 binary file written byte by byte from the format's table (not
/// by the crate), so that a change of the format cannot go unnoticed: a
/// 1-1 network, w = 0.25, b = −1, trained with the cross-entropy cost from
/// N(0, 1) weights, η = 0.5, no λ, m = 10, 30 epochs planned, 7 done, seed 42.
#[test]
fn a_version_1_file_written_by_hand_is_read() {
    let mut v = b"NNETBIN\0".to_vec();
    v.extend(1u32.to_le_bytes()); // version
    v.push(8); // f64
    v.extend(2u32.to_le_bytes()); // layers
    v.extend(1u32.to_le_bytes());
    v.extend(1u32.to_le_bytes());
    v.extend([2, 1]); // cross-entropy, standard-normal
    v.extend(0.5f64.to_le_bytes()); // η
    v.extend(f64::NAN.to_le_bytes()); // λ not recorded
    v.extend(10u64.to_le_bytes()); // m
    v.extend(30u64.to_le_bytes()); // epochs
    v.extend(7u64.to_le_bytes()); // epochs completed
    v.push(1); // a seed follows
    v.extend(42u64.to_le_bytes());
    v.extend([0; 5]); // reserved
    v.extend(0.25f64.to_le_bytes()); // w
    v.extend((-1.0f64).to_le_bytes()); // b
    v.extend([0; 8]);
    let saved = SavedNetwork::<f64>::from_bytes(&reseal(v.clone())).unwrap();
    let mut want = TrainingRecord::default();
    want.cost = Some(CostKind::CrossEntropy);
    want.init = Some(Init::StandardNormal);
    want.learning_rate = Some(0.5);
    want.mini_batch_size = Some(10);
    want.epochs = Some(30);
    want.epochs_completed = 7;
    want.seed = Some(42);
    assert_eq!(saved.record, want);
    assert_eq!(saved.network.weights(), [DMatrix::from_element(1, 1, 0.25)]);
    assert_eq!(saved.network.biases(), [DVector::from_element(1, -1.0)]);
    assert_eq!(saved.network.activations(), [Activation::Sigmoid]);
    // The crate writes version 3: the same with one activation code (1 =
    // sigmoid) after the sizes, and after the record the layer's
    // description (kind 1 = dense, four geometry fields of 0) and an empty
    // preprocessing slot (length 0).
    let mut v3 = v.clone();
    v3[8..12].copy_from_slice(&3u32.to_le_bytes());
    v3.insert(8 + 4 + 1 + 4 + 8, 1);
    let after_record = 8 + 4 + 1 + 4 + 8 + 1 + 56;
    v3.splice(
        after_record..after_record,
        [1].into_iter().chain([0; 16 + 8]),
    );
    assert_eq!(
        saved
            .network
            .to_bytes_with_record(ModelFormat::Binary, &saved.record)
            .unwrap(),
        reseal(v3)
    );
    // A version-1 file on disk loads as well (its read is sized by the
    // version-1 header).
    let path = temp_dir("version-1").join("old.nnet");
    std::fs::write(&path, reseal(v.clone())).unwrap();
    assert_eq!(SavedNetwork::<f64>::load(&path).unwrap(), saved);
}

/// A version-2 file written by hand: a 1-2-2 network with a tanh hidden
/// layer and a softmax output, no record.
#[test]
fn a_version_2_file_with_activations_written_by_hand_is_read() {
    let mut v = b"NNETBIN\0".to_vec();
    v.extend(2u32.to_le_bytes());
    v.push(4); // f32
    v.extend(3u32.to_le_bytes());
    for n in [1u32, 2, 2] {
        v.extend(n.to_le_bytes());
    }
    v.extend([2, 4]); // tanh, softmax
    v.extend([0; 2]); // no cost, no init
    v.extend(f64::NAN.to_le_bytes());
    v.extend(f64::NAN.to_le_bytes());
    v.extend(0u64.to_le_bytes());
    v.extend(u64::MAX.to_le_bytes());
    v.extend(0u64.to_le_bytes());
    v.push(0);
    v.extend(0u64.to_le_bytes());
    v.extend([0; 5]);
    for p in [1.0f32, -1.0, 0.0, 0.0, 2.0, 0.0, 0.0, 2.0, 0.0, 0.0] {
        v.extend(p.to_le_bytes());
    }
    v.extend([0; 8]);
    let v = reseal(v);
    let net = Network::<f32>::from_bytes(&v).unwrap();
    assert_eq!(net.activations(), [Activation::Tanh, Activation::Softmax]);
    let a = net.feedforward(&DVector::from_element(1, 0.5)).unwrap();
    let t = 0.5f32.tanh();
    let e = (4.0 * t).exp(); // softmax of (2t, −2t)
    assert!((a[0] - e / (e + 1.0)).abs() < 1e-6 && (a[1] - 1.0 / (e + 1.0)).abs() < 1e-6);
    // Written again as version 3, it reads back the same.
    let again = net.to_bytes(ModelFormat::Binary).unwrap();
    assert_eq!(again[8..12], 3u32.to_le_bytes());
    assert_eq!(Network::<f32>::from_bytes(&again).unwrap(), net);
    // Unknown activation codes, and a softmax hidden layer, are refused.
    for (codes, what) in [([2u8, 9], "activation code 9"), ([4, 1], "softmax")] {
        let mut bad = v.clone();
        bad[29..31].copy_from_slice(&codes);
        let err = Network::<f32>::from_bytes(&reseal(bad)).unwrap_err();
        assert!(
            matches!(&err, Error::ModelFormat { reason, .. } if reason.contains(what)),
            "{err}"
        );
    }
}

#[test]
fn activations_round_trip_in_both_formats() {
    for acts in [
        [Activation::Relu, Activation::Relu, Activation::Softmax],
        [Activation::Tanh, Activation::Sigmoid, Activation::Tanh],
    ] {
        let original = net::<f64>(&[5, 4, 3, 3], 9)
            .with_activations(&acts)
            .unwrap();
        let x = DMatrix::from_fn(5, 4, |i, j| ((i * 4 + j) as f64).cos());
        for format in formats() {
            let bytes = original.to_bytes(format).unwrap();
            let loaded = Network::<f64>::from_bytes(&bytes).unwrap();
            assert_eq!(loaded, original);
            // Through a file too: loading sizes its read from the header,
            // activation codes included.
            let path = temp_dir("activations").join(match format {
                ModelFormat::Binary => "net.nnet",
                _ => "net.json",
            });
            original.save(&path).unwrap();
            assert_eq!(Network::<f64>::load(&path).unwrap(), original);
            assert_eq!(
                loaded.feedforward_batch(&x).unwrap(),
                original.feedforward_batch(&x).unwrap()
            );
        }
    }
}

#[test]
fn json_activations_are_named_and_optional() {
    let net = net::<f32>(&[2, 3, 2], 4).with_output(Activation::Softmax);
    let json = String::from_utf8(net.to_bytes(ModelFormat::Json).unwrap()).unwrap();
    assert!(
        json.contains("\"activations\":[\"sigmoid\",\"softmax\"]"),
        "{json:.200}"
    );
    // Without the field (as version 1 wrote them): all sigmoid.
    let v1 = json.replacen("\"version\":3", "\"version\":1", 1).replacen(
        ",\"activations\":[\"sigmoid\",\"softmax\"]",
        "",
        1,
    );
    assert!(!v1.contains("activations"));
    // The checksum covers the activations: changing one is corruption.
    let changed = json.replacen("[\"sigmoid\",\"softmax\"]", "[\"sigmoid\",\"sigmoid\"]", 1);
    let err = Network::<f32>::from_bytes(changed.as_bytes()).unwrap_err();
    assert!(err.to_string().contains("checksum mismatch"), "{err}");
    // (Edited by hand, so without the checksum.)
    let loaded = Network::<f32>::from_bytes(unsealed(&v1).as_bytes()).unwrap();
    assert_eq!(loaded.activations(), [Activation::Sigmoid; 2]);
    assert_eq!(loaded.weights(), net.weights());
    for bad in [
        "[\"sigmoid\",\"swish\"]",
        "[\"softmax\",\"softmax\"]",
        "[\"relu\"]",
    ] {
        let bad = unsealed(&json.replacen("[\"sigmoid\",\"softmax\"]", bad, 1));
        let err = Network::<f32>::from_bytes(bad.as_bytes()).unwrap_err();
        assert!(
            matches!(&err, Error::ModelFormat { reason, .. } if !reason.contains("checksum")),
            "{bad:.120}: {err}"
        );
    }
}

/// Format 3's preprocessing slot: saved with the network in both formats,
/// read back equal; a file whose slot is damaged is refused, not misread.
#[test]
fn the_preprocessing_slot_travels_with_the_model() {
    use neuralnet::model::Preprocessing;
    use neuralnet::prep::{LabelEncoder, Pipeline, Table, TargetEncoding};
    let table = Table::from_rows(&["a", "b"], &[[1.0, 10.0], [2.0, 20.0], [4.0, 0.0]]).unwrap();
    let features = Pipeline::new().fit(&table).unwrap();
    let labels = LabelEncoder::fit(&["cat", "dog", "cat"]).unwrap();
    let preprocessing = Preprocessing::new(Some(features), Some(TargetEncoding::Classes(labels)));
    let net = net::<f32>(&[2, 3, 2], 5);
    let dir = temp_dir("preprocessing");
    for name in ["model.nnet", "model.json"] {
        let path = dir.join(name);
        net.save_with_preprocessing(&path, &record(), &preprocessing)
            .unwrap();
        let saved = SavedNetwork::<f32>::load(&path).unwrap();
        assert_eq!(saved.network, net, "{name}");
        assert_eq!(saved.record, record(), "{name}");
        assert_eq!(saved.preprocessing.as_ref(), Some(&preprocessing), "{name}");
    }
    // Without preprocessing, none comes back.
    let plain =
        SavedNetwork::<f32>::from_bytes(&net.to_bytes(ModelFormat::Binary).unwrap()).unwrap();
    assert_eq!(plain.preprocessing, None);
    // A slot whose flags or parts are damaged (and resealed, so the
    // checksum holds): refused with a message, never a panic.
    let good = std::fs::read(dir.join("model.nnet")).unwrap();
    let body = good.len() - 8;
    let slot_len = {
        // The slot ends the body; its length sits after the record.
        let at = 8 + 4 + 1 + 4 + 4 * 3 + 2 + 56 + 2 * 17;
        u64::from_le_bytes(good[at..at + 8].try_into().unwrap()) as usize
    };
    let slot_start = body - slot_len;
    for (offset, byte) in [(0, 9u8), (1, 0xff), (slot_len - 1, 0x77)] {
        let mut bad = good.clone();
        bad[slot_start + offset] = byte;
        let result = SavedNetwork::<f32>::from_bytes(&reseal(bad));
        assert!(
            matches!(&result, Err(Error::ModelFormat { .. })) || result.is_ok(),
            "offset {offset}: {result:?}"
        );
        if offset < 2 {
            assert!(
                result.is_err(),
                "offset {offset}: a damaged slot header is refused"
            );
        }
    }
    // An unknown layer kind (a newer crate's) is refused by name, and a
    // dense layer with a geometry field set is refused too.
    let first_layer = 8 + 4 + 1 + 4 + 4 * 3 + 2 + 56;
    let mut newer = good.clone();
    newer[first_layer] = 7;
    let err = SavedNetwork::<f32>::from_bytes(&reseal(newer)).unwrap_err();
    assert!(err.to_string().contains("layer kind 7"), "{err}");
    let mut odd = good.clone();
    odd[first_layer + 17 + 3] = 1;
    let err = SavedNetwork::<f32>::from_bytes(&reseal(odd)).unwrap_err();
    assert!(err.to_string().contains("geometry"), "{err}");
}
