//! Downloading MNIST (cargo feature `download`): mirrors, checksums, atomic writes.

use std::io::Read;
use std::path::Path;
use std::time::Duration;

use flate2::read::GzDecoder;
use sha2::{Digest, Sha256};

use crate::fs::write_atomically;
use crate::{Error, Result};

/// One file to download: its name without `.gz`, the SHA-256 of its
/// decompressed contents (hex), and their exact length in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RemoteFile {
    /// The file name, without `.gz` (e.g. `train-images-idx3-ubyte`).
    pub name: &'static str,
    /// SHA-256 of the decompressed contents, lowercase hex.
    pub sha256: &'static str,
    /// Length of the decompressed contents in bytes.
    pub len: u64,
}

/// The four MNIST files with the SHA-256 of their decompressed contents
/// (the `.gz` wrappers differ between mirrors; the contents do not).
pub const REMOTE_FILES: [RemoteFile; 4] = [
    RemoteFile {
        name: "train-images-idx3-ubyte",
        sha256: "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
        len: 47_040_016,
    },
    RemoteFile {
        name: "train-labels-idx1-ubyte",
        sha256: "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
        len: 60_008,
    },
    RemoteFile {
        name: "t10k-images-idx3-ubyte",
        sha256: "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
        len: 7_840_016,
    },
    RemoteFile {
        name: "t10k-labels-idx1-ubyte",
        sha256: "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
        len: 10_008,
    },
];

/// Well-known public mirrors of the MNIST `.gz` files, tried in order.
pub const MIRRORS: [&str; 3] = [
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
    "https://yann.lecun.com/exdb/mnist/",
];

/// Downloads missing files into `dir`, trying each mirror in turn.
///
/// For MNIST, pass [`MIRRORS`] and [`REMOTE_FILES`]; the directory can then
/// be read by [`Mnist::load`](super::Mnist::load).
///
/// For each file whose `name` or `name.gz` is not yet in `dir`, fetches
/// `<mirror><name>.gz`, checks that it decompresses to exactly `len` bytes
/// with the expected SHA-256, and only then writes it to `dir/<name>.gz`
/// atomically (a temporary file, synced, then renamed): an interrupted or
/// failed download never leaves a file that looks valid. `on_file` is told of each file
/// before it is fetched. Returns the names of the files downloaded.
///
/// # Errors
/// [`Error::File`] if `dir` cannot be created or written;
/// [`Error::Download`] naming the file and what each mirror answered, if no
/// mirror gave a good copy.
pub fn download_files(
    dir: &Path,
    mirrors: &[&str],
    files: &[RemoteFile],
    mut on_file: impl FnMut(&RemoteFile),
) -> Result<Vec<&'static str>> {
    std::fs::create_dir_all(dir).map_err(|source| Error::File {
        path: dir.to_owned(),
        source,
    })?;
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_connect(Some(Duration::from_secs(15)))
        .timeout_global(Some(Duration::from_secs(600)))
        .http_status_as_error(true)
        .build()
        .into();
    let mut fetched = Vec::new();
    for file in files {
        if super::find_file(dir, file.name).is_ok() {
            continue;
        }
        on_file(file);
        let mut attempts = Vec::new();
        let mut good = None;
        for mirror in mirrors {
            let url = format!("{mirror}{}.gz", file.name);
            match fetch(&agent, &url, file) {
                Ok(bytes) => {
                    good = Some(bytes);
                    break;
                }
                Err(why) => attempts.push(format!("{url}: {why}")),
            }
        }
        let Some(bytes) = good else {
            return Err(Error::Download {
                file: file.name.into(),
                attempts,
            });
        };
        write_atomically(dir.join(format!("{}.gz", file.name)), |w| {
            w.write_all(&bytes)
        })?;
        fetched.push(file.name);
    }
    Ok(fetched)
}

/// Fetches one `.gz` and checks its decompressed contents.
fn fetch(
    agent: &ureq::Agent,
    url: &str,
    file: &RemoteFile,
) -> std::result::Result<Vec<u8>, String> {
    let mut response = agent.get(url).call().map_err(|e| e.to_string())?;
    // A gzip of `len` bytes of IDX data is smaller than `len` plus headers.
    let bytes = response
        .body_mut()
        .with_config()
        .limit(file.len + (1 << 20))
        .read_to_vec()
        .map_err(|e| e.to_string())?;
    let mut contents = Vec::new();
    // Decompress no further than one byte past the expected length.
    GzDecoder::new(&bytes[..])
        .take(file.len + 1)
        .read_to_end(&mut contents)
        .map_err(|e| format!("not a valid gzip file ({e})"))?;
    if contents.len() as u64 != file.len {
        return Err(format!(
            "decompresses to {} bytes, expected {}",
            contents.len(),
            file.len
        ));
    }
    let digest = Sha256::digest(&contents);
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    if hex != file.sha256 {
        return Err(format!(
            "SHA-256 {hex}, expected {}: a corrupted or different file",
            file.sha256
        ));
    }
    Ok(bytes)
}
