//! The next epoch's augmented copy, prepared on a second thread while the
//! current epoch trains.

use std::ops::RangeInclusive;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};

use super::{ImageAugmenter, epoch_seed};
use crate::{Dataset, Real, Result};

/// An epoch to distort and the buffer to distort it into.
type Job<T> = (usize, Dataset<T>);

/// Hands out each epoch's augmented copy of a data set while a second
/// thread prepares the next one (see [`ImageAugmenter::prefetch`]).
///
/// It keeps two buffers, the copy being trained on and the one being
/// written, and swaps them each epoch: after the first two epochs nothing
/// is allocated.
#[derive(Debug)]
pub struct Prefetcher<'a, T: Real> {
    /// Jobs for the worker; `None` once dropping.
    jobs: Option<Sender<Job<T>>>,
    /// Finished jobs from the worker.
    done: Receiver<Job<T>>,
    /// The epoch the worker is preparing, if any.
    pending: Option<usize>,
    /// The copy handed out last, and its epoch.
    current: Dataset<T>,
    current_epoch: Option<usize>,
    /// A buffer nobody uses (when there is no next epoch to prepare).
    spare: Option<Dataset<T>>,
    /// The epochs to prepare ahead of time.
    epochs: RangeInclusive<usize>,
    /// Tells the worker to stop within one image.
    stop: &'a AtomicBool,
}

/// A data set of no examples, which holds no memory.
fn empty<T: Real>() -> Dataset<T> {
    let none = || nalgebra::DMatrix::zeros(0, 0);
    Dataset::new(none(), none()).expect("0 and 0 columns agree")
}

impl<T: Real> Prefetcher<'_, T> {
    /// The augmented copy for epoch `epoch` (its seed is
    /// [`epoch_seed`]`(seed, epoch)`), exactly as
    /// [`ImageAugmenter::augment_into`] makes it. If it was prepared ahead,
    /// this waits at most for it to be finished; the next epoch (if in the
    /// range given to [`ImageAugmenter::prefetch`]) starts being prepared
    /// at once. Asking for another epoch works too, but that one is made
    /// while you wait.
    pub fn epoch(&mut self, epoch: usize) -> &Dataset<T> {
        if self.current_epoch != Some(epoch) {
            let ready = match self.pending.take() {
                Some(p) if p == epoch => self.receive(),
                Some(_) => {
                    let unwanted = self.receive();
                    self.make(epoch, unwanted)
                }
                None => {
                    let buffer = self.spare.take().unwrap_or_else(empty);
                    self.make(epoch, buffer)
                }
            };
            let old = std::mem::replace(&mut self.current, ready);
            self.current_epoch = Some(epoch);
            match epoch.checked_add(1).filter(|e| self.epochs.contains(e)) {
                Some(next) => self.send(next, old),
                None => self.spare = Some(old),
            }
        }
        &self.current
    }

    /// Has the worker make epoch `epoch` in `buffer` and waits for it.
    fn make(&mut self, epoch: usize, buffer: Dataset<T>) -> Dataset<T> {
        self.send(epoch, buffer);
        self.pending = None;
        self.receive()
    }

    fn send(&mut self, epoch: usize, buffer: Dataset<T>) {
        let jobs = self.jobs.as_ref().expect("only dropping takes the sender");
        // The worker runs until the sender is dropped, or a panic of its
        // own (a bug) ends the scope.
        jobs.send((epoch, buffer))
            .expect("the augmentation thread runs while the prefetcher lives");
        self.pending = Some(epoch);
    }

    fn receive(&mut self) -> Dataset<T> {
        let (_, data) = self
            .done
            .recv()
            .expect("the augmentation thread answers every job");
        data
    }
}

impl<T: Real> Drop for Prefetcher<'_, T> {
    fn drop(&mut self) {
        // Stop the image in progress and end the worker's loop.
        self.stop.store(true, Ordering::Relaxed);
        self.jobs = None;
    }
}

impl ImageAugmenter {
    /// Runs `body` with a [`Prefetcher`] that hands out the augmented copy
    /// of `source` for each epoch while a second thread prepares the next:
    /// training on one core does not wait for augmentation on the other.
    /// Epoch e's copy uses the seed [`epoch_seed`]`(seed, e)`; the epochs in
    /// `epochs` are prepared ahead (the first at once), one at a time, in
    /// order. The thread ends when `body` returns (`std::thread::scope`, so
    /// `source` may be borrowed).
    ///
    /// # Examples
    /// ```
    /// use neuralnet::Dataset;
    /// use neuralnet::augment::{ImageAugmenter, epoch_seed};
    /// use neuralnet::nalgebra::DMatrix;
    /// # fn main() -> Result<(), neuralnet::Error> {
    /// let images = DMatrix::from_fn(64, 3, |p, j| ((p + j) % 5) as f32 / 4.0);
    /// let data = Dataset::from_labels(images, &[0, 1, 2], 3)?;
    /// let augmenter = ImageAugmenter::new(8, 8, 1).with_max_shift(1).with_max_rotation(15.0);
    ///
    /// let sums = augmenter.prefetch(&data, 42, 1..=3, |prefetcher| {
    ///     (1..=3).map(|epoch| prefetcher.epoch(epoch).inputs().sum()).collect::<Vec<f32>>()
    /// })?;
    ///
    /// // The same as augmenting each epoch directly.
    /// let mut direct = data.clone();
    /// augmenter.augment_into(&data, epoch_seed(42, 2), &mut direct)?;
    /// assert_eq!(sums[1], direct.inputs().sum());
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    /// As [`ImageAugmenter::augment_into`], before `body` runs.
    pub fn prefetch<T, O, B>(
        &self,
        source: &Dataset<T>,
        seed: u64,
        epochs: RangeInclusive<usize>,
        body: B,
    ) -> Result<O>
    where
        T: Real,
        B: FnOnce(&mut Prefetcher<'_, T>) -> O,
    {
        self.check(source)?;
        let stop = AtomicBool::new(false);
        Ok(std::thread::scope(|scope| {
            let (jobs, inbox) = mpsc::channel::<Job<T>>();
            let (outbox, done) = mpsc::channel::<Job<T>>();
            let stop = &stop;
            scope.spawn(move || {
                let mut scratch = self.scratch();
                for (epoch, mut buffer) in inbox {
                    let stopped = || stop.load(Ordering::Relaxed);
                    self.fill(
                        source,
                        epoch_seed(seed, epoch),
                        &mut buffer,
                        &mut scratch,
                        &stopped,
                    );
                    if outbox.send((epoch, buffer)).is_err() {
                        break;
                    }
                }
            });
            let mut prefetcher = Prefetcher {
                jobs: Some(jobs),
                done,
                pending: None,
                current: empty(),
                current_epoch: None,
                spare: None,
                epochs: epochs.clone(),
                stop,
            };
            if !epochs.is_empty() {
                prefetcher.send(*epochs.start(), empty());
            }
            body(&mut prefetcher)
        }))
    }
}
