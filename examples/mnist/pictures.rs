//! The pictures of a run, written into `--out DIR` as SVG (drawn by
//! `charts.rs`): the training curve, the first misclassified test digits,
//! the confusion matrix and the hidden neurons' incoming weights.

use std::path::{Path, PathBuf};

use neuralnet::layer::Layer;
use neuralnet::{Dataset, Network, Real};

use crate::args::Settings;
use crate::charts;
use crate::progress::Curve;

type BoxError = Box<dyn std::error::Error>;

/// Writes `contents` to `dir/name`, naming the file in any error.
fn write(dir: &Path, name: &str, contents: String) -> Result<PathBuf, BoxError> {
    let path = dir.join(name);
    std::fs::write(&path, contents).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(path)
}

/// Writes the four pictures into `dir` and says what it wrote.
pub fn write_all<T: Real>(
    dir: &Path,
    net: &Network<T>,
    test: &Dataset<T>,
    curve: &Curve,
    settings: &Settings,
) -> Result<String, BoxError> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    // A dense network by its sizes; a convolutional one's list of sizes
    // (the maps' values per layer) is too long for a title.
    let shape = if net.layers().iter().all(|l| matches!(l, Layer::Dense(_))) {
        format!("{:?},", settings.sizes)
    } else {
        format!(
            "{} layers, {} parameters,",
            net.layers().len(),
            net.num_parameters()
        )
    };
    let title = format!(
        "MNIST {shape} --cost {}, η = {}, m = {}, λ = {}",
        settings.cost,
        settings.sgd.learning_rate(),
        settings.sgd.mini_batch_size(),
        settings.sgd.l2_lambda()
    );
    let n = curve.epochs.len();
    fn series((accuracy, cost): &(Vec<f64>, Vec<f64>), n: usize) -> Option<charts::Series<'_>> {
        (accuracy.len() == n).then_some(charts::Series { accuracy, cost })
    }
    let curve_path = write(
        dir,
        "training-curve.svg",
        charts::training_curve(
            &curve.epochs,
            series(&curve.validation, n),
            series(&curve.test, n),
            &title,
        ),
    )?;

    // The misclassified test digits, "true → predicted".
    let truth = test.classes();
    let predicted = net.predict_batch(test.inputs())?;
    let wrong: Vec<usize> = (0..test.len())
        .filter(|&j| truth[j] != predicted[j])
        .collect();
    let pixels: Vec<Vec<u8>> = wrong
        .iter()
        .take(60)
        .map(|&j| {
            test.inputs()
                .column(j)
                .iter()
                .map(|&v| {
                    let grey = nalgebra::try_convert::<T, f64>(v).unwrap_or(0.0);
                    (grey * 255.0).round().clamp(0.0, 255.0) as u8
                })
                .collect()
        })
        .collect();
    let shown: Vec<(&[u8], usize, usize)> = pixels
        .iter()
        .zip(&wrong)
        .map(|(p, &j)| (p.as_slice(), truth[j], predicted[j]))
        .collect();
    let grid_title = format!(
        "The first {} of {} misclassified test digits (true → predicted)",
        shown.len(),
        wrong.len()
    );
    let grid_path = write(
        dir,
        "misclassified.svg",
        charts::digit_grid(&shown, 28, &grid_title),
    )?;

    // Row = true digit, column = predicted.
    let confusion = net.confusion_matrix(test)?;
    let classes = confusion.classes();
    let counts: Vec<usize> = (0..classes)
        .flat_map(|t| confusion.row(t).iter().copied())
        .collect();
    let confusion_title = format!(
        "Test set: {} / {} right; row = true digit, column = predicted",
        confusion.correct(),
        confusion.total()
    );
    let confusion_path = write(
        dir,
        "confusion-matrix.svg",
        charts::confusion_matrix(&counts, classes, &confusion_title),
    )?;

    // Hidden neuron i's incoming weights: row i of the first weight
    // matrix; for a convolutional network, the first layer's k × k kernels
    // (Nielsen's figure of the learned feature detectors).
    let net32 = net.cast::<f32>()?;
    let first = &net32.weights()[0];
    let neurons = first.nrows().min(100);
    let weights: Vec<f32> = (0..neurons)
        .flat_map(|i| first.row(i).iter().copied().collect::<Vec<_>>())
        .collect();
    let (name, side, columns, neurons_title) = match net.layers()[0] {
        Layer::Conv2d(c) if c.input_shape().channels == 1 => (
            "filters.svg",
            c.kernel(),
            neurons.min(10),
            format!(
                "The first layer's {neurons} learned {k} × {k} filters (its feature maps' shared weights)",
                k = c.kernel()
            ),
        ),
        _ => (
            "hidden-neurons.svg",
            28,
            10,
            format!(
                "What each hidden neuron looks for: its 784 incoming weights ({neurons} of {} neurons)",
                first.nrows()
            ),
        ),
    };
    let neurons_path = write(
        dir,
        name,
        charts::weight_images(&weights, side, columns, &neurons_title),
    )?;
    Ok(format!(
        "Wrote {} (accuracy and cost per epoch), {} ({} of {} misclassified test digits), {} and {}",
        curve_path.display(),
        grid_path.display(),
        shown.len(),
        wrong.len(),
        confusion_path.display(),
        neurons_path.display()
    ))
}
