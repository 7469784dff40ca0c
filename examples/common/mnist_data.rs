//! Where the examples find MNIST, the one shared way:
//!
//! 1. `--data DIR`, if given (and nothing else);
//! 2. else `$MNIST_DIR`, if set and the files are there;
//! 3. else the cache directory, `$XDG_CACHE_HOME/neuralnet/mnist` or
//!    `~/.cache/neuralnet/mnist`;
//! 4. else, when the crate's `download` feature is on and the caller allows
//!    it, a download into the cache directory (each file checked against its
//!    SHA-256 and written atomically).
//!
//! Examples include this file with
//! `#[path = "../common/mnist_data.rs"] mod mnist_data;` (from a folder
//! example) or `#[path = "common/mnist_data.rs"]` (from a single-file one).

use std::path::{Path, PathBuf};

use neuralnet::mnist;

/// `$XDG_CACHE_HOME/neuralnet/mnist`, else `~/.cache/neuralnet/mnist`.
pub fn cache_dir() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))?;
    Some(base.join("neuralnet").join("mnist"))
}

/// Whether `dir` holds the four files (each raw or `.gz`).
pub fn has_mnist(dir: &Path) -> bool {
    mnist::FILES
        .iter()
        .all(|name| mnist::find_file(dir, name).is_ok())
}

/// Whether `dir` is the development workspace's `$MNIST_DIR`: this
/// repository's `.cargo/config.toml` sets it to `../shared/data/mnist` for
/// `cargo run` and `cargo test` (a convention of the workspace the crate is
/// developed in, see CONTRIBUTING.md). The files are used when they are
/// there, but that folder is never named as a place to look or to put them:
/// it is not the user's setting, and a user's checkout has no such folder.
///
/// The path is relative to the repository root, the directory holding
/// `.cargo/`: the package compiling this file is the root's or the `draw`
/// example's in `examples/draw/`.
pub fn is_workspace_default(dir: &Path) -> bool {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let root = manifest
        .ancestors()
        .find(|p| p.join(".cargo").join("config.toml").is_file())
        .unwrap_or(manifest);
    let workspace = root.join("..").join("shared").join("data").join("mnist");
    dir == workspace
        || matches!(
            (dir.canonicalize(), workspace.canonicalize()),
            (Ok(a), Ok(b)) if a == b
        )
}

/// The directory holding MNIST, found as the module docs say. `say` is told
/// of a download before it starts and of each file it fetches.
///
/// # Errors
/// A message, one item per line, that lists where it looked and how to get
/// the files (and what each mirror answered, if a download failed).
pub fn locate(
    data: Option<&Path>,
    allow_download: bool,
    say: &mut dyn FnMut(String),
) -> Result<PathBuf, String> {
    let files = mnist::FILES.join(", ");
    if let Some(dir) = data {
        if has_mnist(dir) {
            return Ok(dir.to_path_buf());
        }
        return Err(format!(
            "MNIST not found in {} (--data).\nPut the four files {files} (each may end in .gz) there.",
            dir.display()
        ));
    }
    let mut looked = Vec::new();
    if let Some(dir) = std::env::var_os("MNIST_DIR").filter(|v| !v.is_empty()) {
        let dir = PathBuf::from(dir);
        if has_mnist(&dir) {
            return Ok(dir);
        }
        if !is_workspace_default(&dir) {
            looked.push(format!("{} ($MNIST_DIR)", dir.display()));
        }
    }
    let cache = cache_dir();
    if let Some(dir) = &cache {
        if has_mnist(dir) {
            return Ok(dir.clone());
        }
        looked.push(format!("{} (the cache directory)", dir.display()));
    }
    let mut message = String::from("MNIST not found. Looked in:\n");
    for place in &looked {
        message.push_str(&format!("  {place}\n"));
    }
    message.push_str(&format!(
        "Put the four files {files} (each may end in .gz)\n\
         in the cache directory, or pass --data DIR, or set MNIST_DIR."
    ));
    match cache {
        Some(dir) if allow_download => download(&dir, say, message),
        _ => Err(message),
    }
}

/// Downloads the files into `dir` (feature `download`).
#[cfg(feature = "download")]
fn download(dir: &Path, say: &mut dyn FnMut(String), not_found: String) -> Result<PathBuf, String> {
    say(format!(
        "MNIST not found; downloading it into {}",
        dir.display()
    ));
    let fetched = mnist::download_files(dir, &mnist::MIRRORS, &mnist::REMOTE_FILES, |f| {
        say(format!(
            "  downloading {}.gz ({:.1} MB uncompressed), checking its SHA-256",
            f.name,
            f.len as f64 / 1e6
        ))
    })
    .map_err(|e| format!("{e}\n{not_found}"))?;
    say(format!(
        "Downloaded and verified {} file(s) into {}",
        fetched.len(),
        dir.display()
    ));
    Ok(dir.to_path_buf())
}

/// Without the `download` feature: how to get the files.
#[cfg(not(feature = "download"))]
fn download(
    _dir: &Path,
    _say: &mut dyn FnMut(String),
    not_found: String,
) -> Result<PathBuf, String> {
    Err(format!(
        "{not_found}\nOr build the examples with `--features download` to fetch them automatically."
    ))
}
