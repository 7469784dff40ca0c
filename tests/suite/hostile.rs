//! Hostile inputs and unlucky moments (issue 14): files that are not ours,
//! memory bounded by what the input is worth, runs that never end or lie.
//!
//! Device nodes, FIFOs and symbolic links are made inside a temporary
//! directory of the test; nothing here points at a real path under /dev.
#![cfg(unix)]

use std::os::unix::fs::{FileTypeExt, symlink};
use std::path::{Path, PathBuf};
use std::process::Command;

use neuralnet::model::{FileLock, check_writable, regular_file_exists};
use neuralnet::{Error, Init, Network};
use rand::SeedableRng;
use rand::rngs::StdRng;

fn temp_dir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("hostile")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn net(sizes: &[usize]) -> Network<f32> {
    Network::new(sizes, Init::StandardNormal, &mut StdRng::seed_from_u64(1)).unwrap()
}

fn listing(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

fn run(cmd: &str, args: &[&std::ffi::OsStr]) {
    let status = Command::new(cmd).args(args).status().unwrap();
    assert!(status.success(), "{cmd} {args:?}");
}

/// A FIFO at `dir/name`.
fn fifo(dir: &Path, name: &str) -> PathBuf {
    let p = dir.join(name);
    run("mkfifo", &[p.as_os_str()]);
    p
}

/// A character device at `dir/name` with the numbers of /dev/zero (1, 5):
/// made by the test in its own directory (the tests run as root).
fn char_device(dir: &Path, name: &str) -> PathBuf {
    let p = dir.join(name);
    run(
        "mknod",
        &[p.as_os_str(), "c".as_ref(), "1".as_ref(), "5".as_ref()],
    );
    p
}

fn is_char_device(p: &Path) -> bool {
    std::fs::symlink_metadata(p)
        .unwrap()
        .file_type()
        .is_char_device()
}

#[test]
fn saving_refuses_devices_fifos_and_directories() {
    let dir = temp_dir("save-special");
    let device = char_device(&dir, "zero");
    let pipe = fifo(&dir, "pipe.nnet");
    let folder = dir.join("folder.json");
    std::fs::create_dir(&folder).unwrap();
    let n = net(&[3, 2]);
    for (path, kind) in [
        (&device, "character device"),
        (&pipe, "FIFO (named pipe)"),
        (&folder, "directory"),
    ] {
        let err = n.save(path).unwrap_err();
        assert!(
            matches!(&err, Error::NotAFile { kind: k, .. } if *k == kind),
            "{}: {err}",
            path.display()
        );
        assert!(err.to_string().contains("not a regular file"), "{err}");
        // A link to it is refused the same way.
        let link = dir.join("link");
        symlink(path, &link).unwrap();
        assert!(matches!(n.save(&link), Err(Error::NotAFile { .. })));
        std::fs::remove_file(&link).unwrap();
    }
    assert!(is_char_device(&device), "the device node is still one");
    assert!(
        std::fs::symlink_metadata(&pipe)
            .unwrap()
            .file_type()
            .is_fifo()
    );
    assert!(folder.is_dir());
    assert_eq!(listing(&dir), ["folder.json", "pipe.nnet", "zero"]);
}

#[test]
fn saving_through_a_symlink_replaces_its_target_and_keeps_the_link() {
    let dir = temp_dir("save-symlink");
    std::fs::create_dir(dir.join("real")).unwrap();
    let target = dir.join("real/net.nnet");
    std::fs::write(&target, b"old").unwrap();
    // A relative link, resolved from the link's own directory, through a
    // second link.
    symlink("real/net.nnet", dir.join("first")).unwrap();
    symlink("first", dir.join("latest.nnet")).unwrap();
    let n = net(&[3, 2]);
    n.save(dir.join("latest.nnet")).unwrap();
    for link in ["latest.nnet", "first"] {
        assert!(
            std::fs::symlink_metadata(dir.join(link))
                .unwrap()
                .file_type()
                .is_symlink()
        );
    }
    assert_eq!(Network::<f32>::load(&target).unwrap(), n);
    assert_eq!(Network::<f32>::load(dir.join("latest.nnet")).unwrap(), n);
    assert_eq!(listing(&dir.join("real")), ["net.nnet"]);

    // A link to nothing is refused, and nothing is created.
    symlink("missing/net.nnet", dir.join("dangling.nnet")).unwrap();
    let err = n.save(dir.join("dangling.nnet")).unwrap_err();
    assert!(matches!(err, Error::DanglingSymlink { .. }), "{err}");
    assert!(err.to_string().contains("does not exist"), "{err}");
    assert!(!dir.join("missing").exists());
}

#[test]
fn stale_temporaries_of_dead_processes_are_cleaned_and_no_others() {
    let dir = temp_dir("stale");
    let mut child = Command::new("true").spawn().unwrap();
    let dead = child.id();
    child.wait().unwrap();
    let me = std::process::id();
    let stale = format!(".net.nnet.neuralnet-tmp.{dead}.3");
    let ours = format!(".net.nnet.neuralnet-tmp.{me}.999999");
    let live_other = ".net.nnet.neuralnet-tmp.1.0".to_string(); // pid 1 runs
    let foreign = format!(".net.nnet.tmp-{dead}-3");
    let other_file = format!(".other.nnet.neuralnet-tmp.{dead}.3");
    for name in [&stale, &ours, &live_other, &foreign, &other_file] {
        std::fs::write(dir.join(name), b"partial").unwrap();
    }
    net(&[3, 2]).save(dir.join("net.nnet")).unwrap();
    let mut expected = vec![
        ours.clone(),
        live_other.clone(),
        foreign.clone(),
        other_file.clone(),
        "net.nnet".to_string(),
    ];
    expected.sort();
    assert_eq!(listing(&dir), expected);
}

#[test]
fn a_second_writer_is_refused_by_the_lock() {
    let dir = temp_dir("lock");
    let path = dir.join("checkpoint.nnet");
    let lock = FileLock::for_path(&path).unwrap();
    assert_eq!(lock.lock_path(), dir.join("checkpoint.nnet.lock"));
    let err = FileLock::for_path(&path).unwrap_err();
    assert!(matches!(&err, Error::Locked { .. }), "{err}");
    assert!(err.to_string().contains("another process"), "{err}");
    // Another process is refused too (flock(1) uses the same locks as std).
    let lock_path = lock.lock_path().to_owned();
    let child = |cmd: &str| {
        Command::new("flock")
            .args(["-n".as_ref(), lock_path.as_os_str(), cmd.as_ref()])
            .status()
            .unwrap()
            .success()
    };
    assert!(!child("true"), "a child process must not get the lock");
    drop(lock);
    // Released on drop, and its lock file removed.
    assert!(listing(&dir).is_empty(), "{:?}", listing(&dir));
    assert!(child("true"), "released on drop");
    let again = FileLock::for_path(&path).unwrap();
    // Locking does not create the file itself.
    assert_eq!(listing(&dir), ["checkpoint.nnet.lock"]);
    drop(again);
    assert!(listing(&dir).is_empty(), "{:?}", listing(&dir));
}

#[test]
fn output_paths_are_checked_before_a_run() {
    let dir = temp_dir("check-writable");
    check_writable(dir.join("net.nnet")).unwrap();
    std::fs::write(dir.join("old.nnet"), b"x").unwrap();
    check_writable(dir.join("old.nnet")).unwrap();
    assert_eq!(std::fs::read(dir.join("old.nnet")).unwrap(), b"x");

    let err = check_writable(dir.join("no-such-folder/net.nnet")).unwrap_err();
    assert!(
        matches!(&err, Error::File { path, .. } if path.ends_with("no-such-folder")),
        "{err}"
    );
    std::fs::write(dir.join("plain"), b"").unwrap();
    assert!(matches!(
        check_writable(dir.join("plain/net.nnet")),
        Err(Error::File { .. })
    ));
    assert!(matches!(check_writable(&dir), Err(Error::NotAFile { .. })));
    let pipe = fifo(&dir, "pipe");
    assert!(matches!(check_writable(&pipe), Err(Error::NotAFile { .. })));
    symlink("nowhere", dir.join("dangling")).unwrap();
    assert!(matches!(
        check_writable(dir.join("dangling")),
        Err(Error::DanglingSymlink { .. })
    ));
    assert_eq!(listing(&dir), ["dangling", "old.nnet", "pipe", "plain"]);
}

#[test]
fn resuming_tells_a_missing_file_from_a_dangling_link() {
    let dir = temp_dir("exists");
    assert!(!regular_file_exists(dir.join("none.nnet")).unwrap());
    net(&[3, 2]).save(dir.join("net.nnet")).unwrap();
    assert!(regular_file_exists(dir.join("net.nnet")).unwrap());
    symlink("net.nnet", dir.join("good")).unwrap();
    assert!(regular_file_exists(dir.join("good")).unwrap());
    symlink("gone.nnet", dir.join("latest.nnet")).unwrap();
    let err = regular_file_exists(dir.join("latest.nnet")).unwrap_err();
    assert!(matches!(err, Error::DanglingSymlink { .. }), "{err}");
}

/// Runs `f` on another thread and fails if it has not returned within a
/// minute: the attacks below used to block (a FIFO) or read forever.
fn without_hanging<R: Send + 'static>(f: impl FnOnce() -> R + Send + 'static) -> R {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || tx.send(f()));
    rx.recv_timeout(std::time::Duration::from_secs(60))
        .expect("blocked: reading a FIFO or a device never ends")
}

#[test]
fn loading_refuses_fifos_and_devices_before_reading() {
    let dir = temp_dir("load-special");
    let pipe = fifo(&dir, "pipe.nnet");
    let zero = char_device(&dir, "zero.nnet");
    symlink("zero.nnet", dir.join("link.json")).unwrap();
    for (path, kind) in [
        (pipe, "FIFO (named pipe)"),
        (zero.clone(), "character device"),
        (dir.join("link.json"), "character device"),
        (dir.clone(), "directory"),
    ] {
        let shown = path.display().to_string();
        let err = without_hanging(move || Network::<f32>::load(&path).unwrap_err());
        assert!(
            matches!(&err, Error::NotAFile { kind: k, .. } if *k == kind),
            "{shown}: {err}"
        );
    }
    assert!(is_char_device(&zero));
    symlink("gone.nnet", dir.join("latest.nnet")).unwrap();
    let err = Network::<f32>::load(dir.join("latest.nnet")).unwrap_err();
    assert!(matches!(err, Error::DanglingSymlink { .. }), "{err}");
}

#[test]
fn converted_images_are_bounded() {
    use neuralnet::mnist::{Images, MAX_MATRIX_BYTES};
    // 300 million one-pixel images: 300 MB of bytes (calloc'd, untouched),
    // 2.4 GB as f64, 1.2 GB as f32.
    let images = Images {
        count: 300_000_000,
        rows: 1,
        cols: 1,
        pixels: vec![0; 300_000_000],
    };
    let err = images.to_matrix::<f64>(0, images.count).unwrap_err();
    assert!(
        matches!(&err, Error::DataTooLarge { bytes: 2_400_000_000, limit, .. } if *limit == MAX_MATRIX_BYTES),
        "{err}"
    );
    // A range within the limit converts.
    assert_eq!(images.to_matrix::<f32>(0, 1000).unwrap().ncols(), 1000);
    // Public fields that disagree are an error, not a panic.
    let lying = Images {
        count: 10,
        rows: 28,
        cols: 28,
        pixels: vec![0; 784],
    };
    assert!(matches!(
        lying.to_matrix::<f32>(0, 2),
        Err(Error::InvalidConfig { .. })
    ));
}

#[test]
fn training_until_a_monitor_stops_it() {
    use std::ops::ControlFlow;
    let x = nalgebra::DMatrix::from_column_slice(2, 4, &[0., 0., 0., 1., 1., 0., 1., 1.]);
    let y = nalgebra::DMatrix::from_column_slice(1, 4, &[0., 1., 1., 0.]);
    let data = neuralnet::Dataset::new(x, y).unwrap();
    let mut net = net(&[2, 3, 1]);
    let mut rng = StdRng::seed_from_u64(2);
    let reports = neuralnet::Sgd::new()
        .with_epochs(usize::MAX)
        .train(
            &mut net,
            &data,
            Some(&data),
            &neuralnet::Quadratic,
            &mut rng,
            |r, _| {
                if r.epoch == 3 {
                    ControlFlow::Break(())
                } else {
                    ControlFlow::Continue(())
                }
            },
        )
        .unwrap();
    assert_eq!(reports.len(), 3);
    assert_eq!(reports[2].epochs, usize::MAX);
    // A run that starts after the last epoch there can be trains nothing,
    // rather than wrapping around to epoch 0.
    let reports = neuralnet::Sgd::new()
        .with_epochs(usize::MAX)
        .with_starting_epoch(usize::MAX)
        .train(
            &mut net,
            &data,
            None,
            &neuralnet::Quadratic,
            &mut rng,
            |_, _| ControlFlow::Continue(()),
        )
        .unwrap();
    assert!(reports.is_empty());
}

/// XOR, and 40 examples of two classes (60% of class 0).
fn xor() -> neuralnet::Dataset<f64> {
    let x = nalgebra::DMatrix::from_column_slice(2, 4, &[0., 0., 0., 1., 1., 0., 1., 1.]);
    let y = nalgebra::DMatrix::from_column_slice(1, 4, &[0., 1., 1., 0.]);
    neuralnet::Dataset::new(x, y).unwrap()
}

#[test]
fn a_run_that_stopped_learning_is_reported() {
    use neuralnet::{Quadratic, Sgd};
    use std::ops::ControlFlow;
    let mut rng = StdRng::seed_from_u64(5);
    // Two classes, 30 of class 0 and 10 of class 1: a constant answer
    // scores 75%.
    let labels: Vec<u8> = (0..40).map(|j| u8::from(j % 4 == 0)).collect();
    // Feature 0 tells the class; the others are noise.
    let x = nalgebra::DMatrix::from_fn(4, 40, |i, j| match i {
        0 => f64::from(labels[j]),
        _ => ((i * 7 + j * 13) % 10) as f64 / 10.0,
    });
    let data = neuralnet::Dataset::from_labels(x, &labels, 2).unwrap();
    let train = |eta: f64, rng: &mut StdRng| {
        let mut n = Network::<f64>::new(&[4, 8, 2], Init::StandardNormal, rng).unwrap();
        Sgd::new()
            .with_learning_rate(eta)
            .with_epochs(20)
            .train(&mut n, &data, Some(&data), &Quadratic, rng, |_, _| {
                ControlFlow::Continue(())
            })
            .unwrap()
    };
    // η = 10⁶: the cost stays finite, the outputs saturate, nothing is learnt.
    let reports = train(1e6, &mut rng);
    let stall = reports[19].stalled.expect("a stalled run is reported");
    assert_eq!(stall.data, "evaluation data");
    assert_eq!(stall.baseline, 0.75);
    assert!(stall.accuracy <= 0.75);
    assert!(
        stall.to_string().contains("smaller learning rate"),
        "{stall}"
    );
    // A healthy run is not.
    let reports = train(3.0, &mut rng);
    assert!(
        reports.last().unwrap().evaluation.unwrap().accuracy() > 0.75,
        "the healthy run learns"
    );
    assert_eq!(reports.last().unwrap().stalled, None);
}

#[test]
fn an_absurd_lambda_is_named_as_the_cause() {
    use neuralnet::{Quadratic, Sgd};
    use std::ops::ControlFlow;
    let data = xor();
    let mut n = Network::<f64>::new(
        &[2, 3, 1],
        Init::StandardNormal,
        &mut StdRng::seed_from_u64(1),
    )
    .unwrap();
    // ηλ/n = 3 · 2 / 4 > 1: the decay factor 1 − ηλ/n is negative.
    let err = Sgd::new()
        .with_l2_lambda(2.0)
        .train(
            &mut n,
            &data,
            None,
            &Quadratic,
            &mut StdRng::seed_from_u64(1),
            |_, _| ControlFlow::Continue(()),
        )
        .unwrap_err();
    assert!(
        matches!(&err, Error::InvalidConfig { name: "l2_lambda", reason } if reason.contains("1 − ηλ/n")),
        "{err}"
    );
    // A huge η is printed briefly.
    let err = Sgd::new()
        .with_learning_rate(-1e308)
        .validate()
        .unwrap_err();
    assert!(err.to_string().contains("-1e308"), "{err}");
    assert!(err.to_string().len() < 200, "{err}");
}

#[test]
fn empty_and_non_finite_data_are_refused() {
    use neuralnet::{Dataset, Quadratic};
    let n = Network::<f64>::new(
        &[2, 3, 1],
        Init::StandardNormal,
        &mut StdRng::seed_from_u64(1),
    )
    .unwrap();
    let empty = Dataset::new(
        nalgebra::DMatrix::<f64>::zeros(2, 0),
        nalgebra::DMatrix::zeros(1, 0),
    )
    .unwrap();
    assert!(matches!(
        n.evaluate(&empty, &Quadratic),
        Err(Error::EmptyData { .. })
    ));
    let err = neuralnet::Sgd::new()
        .train(
            &mut n.clone(),
            &xor(),
            Some(&empty),
            &Quadratic,
            &mut StdRng::seed_from_u64(1),
            |_, _| std::ops::ControlFlow::Continue(()),
        )
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::EmptyData {
                what: "evaluation data"
            }
        ),
        "{err}"
    );

    let mut x = nalgebra::DMatrix::<f64>::zeros(2, 5);
    x[(1, 3)] = f64::NAN;
    let err = Dataset::new(x.clone(), nalgebra::DMatrix::zeros(1, 5)).unwrap_err();
    assert!(
        matches!(err, Error::NonFiniteInput { what: "input", example: 3, row: 1, value } if value.is_nan()),
        "{err}"
    );
    assert!(err.to_string().contains("example 3"), "{err}");
    let mut y = nalgebra::DMatrix::<f64>::zeros(1, 5);
    y[(0, 4)] = f64::INFINITY;
    assert!(matches!(
        Dataset::new(nalgebra::DMatrix::zeros(2, 5), y),
        Err(Error::NonFiniteInput {
            what: "target",
            example: 4,
            ..
        })
    ));
    for result in [
        n.predict_batch(&x).map(|_| ()),
        n.feedforward_batch(&x).map(|_| ()),
        n.predict(&nalgebra::DVector::from_vec(vec![0.0, f64::NEG_INFINITY]))
            .map(|_| ()),
        n.feedforward(&nalgebra::DVector::from_vec(vec![f64::NAN, 0.0]))
            .map(|_| ()),
    ] {
        assert!(
            matches!(result, Err(Error::NonFiniteInput { .. })),
            "{result:?}"
        );
    }
}
