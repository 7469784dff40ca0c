//! The two readers of untrusted bytes, the model loader and the IDX reader,
//! never panic and never allocate more than a small multiple of their input,
//! on random bytes and on valid files with random damage.
//!
//! One test in this file: it watches the global allocator.

use std::alloc::System;
use std::io::{Cursor, Write};

use flate2::Compression;
use flate2::write::GzEncoder;
use neuralnet::mnist::{read_images, read_labels};
use neuralnet::model::{ModelFormat, SavedNetwork, TrainingRecord};
use neuralnet::{Init, Network};
use proptest::prelude::*;
use rand::SeedableRng;
use rand::rngs::StdRng;
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// The bound: a small multiple of the input, plus a fixed allowance for the
/// gzip decoder's state (about 43 KiB) and read buffers.
fn allowance(input: usize) -> usize {
    16 * input + (256 << 10)
}

fn valid_files() -> Vec<Vec<u8>> {
    let net = Network::<f32>::new(
        &[6, 5, 3],
        Init::StandardNormal,
        &mut StdRng::seed_from_u64(1),
    )
    .unwrap();
    let mut record = TrainingRecord::default();
    record.epochs_completed = 3;
    record.seed = Some(9);
    let mut images = vec![0, 0, 8, 3, 0, 0, 0, 3, 0, 0, 0, 4, 0, 0, 0, 4];
    images.extend((0..48u8).map(|i| i.wrapping_mul(37)));
    let labels = vec![0, 0, 8, 1, 0, 0, 0, 3, 1, 7, 9];
    let gz = |b: &[u8]| {
        let mut e = GzEncoder::new(Vec::new(), Compression::default());
        e.write_all(b).unwrap();
        e.finish().unwrap()
    };
    vec![
        net.to_bytes_with_record(ModelFormat::Binary, &record)
            .unwrap(),
        #[cfg(feature = "serde")]
        net.to_bytes_with_record(ModelFormat::Json, &record)
            .unwrap(),
        gz(&images),
        images,
        gz(&labels),
        labels,
    ]
}

fn check(bytes: &[u8]) -> Result<(), TestCaseError> {
    let region = Region::new(GLOBAL);
    let _ = SavedNetwork::<f32>::from_bytes(bytes);
    let _ = SavedNetwork::<f64>::from_bytes(bytes);
    let _ = read_images(Cursor::new(bytes), "fuzz");
    let _ = read_labels(Cursor::new(bytes), "fuzz");
    let used = region.change().bytes_allocated;
    // Four readers ran; each must stay within the allowance.
    prop_assert!(
        used <= 4 * allowance(bytes.len()),
        "{used} bytes allocated for {} bytes of input",
        bytes.len()
    );
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn readers_never_panic_nor_overallocate(
        base in 0usize..7,
        random in prop::collection::vec(any::<u8>(), 0..2048),
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..6),
        cut in any::<prop::sample::Index>(),
        truncate in any::<bool>(),
    ) {
        let files = valid_files();
        let mut bytes = files.get(base).cloned().unwrap_or(random);
        if !bytes.is_empty() {
            for (at, value) in edits {
                let i = at.index(bytes.len());
                bytes[i] = value;
            }
            if truncate {
                bytes.truncate(cut.index(bytes.len()));
            }
        }
        check(&bytes)?;
    }
}
