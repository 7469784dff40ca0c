//! Finding and loading MNIST (the shared way of `common/mnist_data.rs`).

use std::time::Instant;

use neuralnet::Real;
use neuralnet::mnist::Mnist;

use crate::args::Args;
use crate::mnist_data;
use crate::progress::Say;

type BoxError = Box<dyn std::error::Error>;

/// Finds MNIST (`--data`, `$MNIST_DIR`, the cache directory, a download
/// unless `--no-download`) and loads it in the lecture's split. An empty
/// test set is refused: there would be no accuracy to report.
pub fn load<T: Real>(args: &Args, say: Say) -> Result<Mnist<T>, BoxError> {
    let dir = mnist_data::locate(args.data.as_deref(), !args.no_download, &mut |s| {
        say.line(s)
    })?;
    let started = Instant::now();
    let data = Mnist::<T>::load(&dir)?;
    if data.test.is_empty() {
        return Err(format!(
            "{}: the test set (t10k-images-idx3-ubyte) has no images, so there is no accuracy to report",
            dir.display()
        )
        .into());
    }
    say.line(format_args!(
        "Loaded MNIST from {} in {:.2} s: {} training, {} validation, {} test images",
        dir.display(),
        started.elapsed().as_secs_f64(),
        data.training.len(),
        data.validation.len(),
        data.test.len()
    ));
    Ok(data)
}
