//! File utilities shared by the model files and the MNIST download.

use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::{Error, Result};

/// Writes a file so that it is either entirely the new content or, if
/// anything fails, untouched.
///
/// `write` fills a temporary file in the same directory as `path`; the file
/// is then flushed and synced, and renamed over `path`, and the directory is
/// synced (where the platform allows). If `write` or any step fails, the
/// temporary file is removed and `path` keeps its old content.
///
/// # Errors
/// [`Error::File`] naming `path` (or the temporary file) and the I/O error.
pub(crate) fn write_atomically(
    path: impl AsRef<Path>,
    write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> Result<()> {
    let path = path.as_ref();
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_owned(),
        _ => PathBuf::from("."),
    };
    let file_name = path.file_name().ok_or_else(|| Error::File {
        path: path.to_owned(),
        source: io::Error::new(io::ErrorKind::InvalidInput, "not a file path"),
    })?;
    let tmp = dir.join(format!(
        ".{}.tmp-{}-{}",
        file_name.to_string_lossy(),
        std::process::id(),
        TEMP_COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let fail = |at: &Path, source: io::Error| Error::File {
        path: at.to_owned(),
        source,
    };
    let mut file = File::create_new(&tmp).map_err(|e| fail(&tmp, e))?;
    let result = (|| {
        let mut buffered = io::BufWriter::new(&mut file);
        write(&mut buffered)?;
        buffered.flush()?;
        drop(buffered);
        file.sync_all()
    })();
    drop(file);
    if let Err(e) = result.and_then(|()| std::fs::rename(&tmp, path)) {
        let _ = std::fs::remove_file(&tmp);
        return Err(fail(path, e));
    }
    // Make the rename itself durable; not every platform can open a directory.
    if let Ok(d) = File::open(&dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// Makes temporary names unique among the threads of this process (the
/// process id separates processes).
static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

#[cfg(test)]
mod tests {
    use super::*;

    /// A fresh directory under the system's temporary directory.
    fn temp_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir()
            .join(format!("neuralnet-fs-tests-{}", std::process::id()))
            .join(name);
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn listing(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
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
    fn a_write_that_fails_part_way_keeps_the_old_file() {
        let dir = temp_dir("atomic");
        let path = dir.join("file");
        std::fs::write(&path, b"old contents").unwrap();
        let new: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
        for budget in [0, 1, new.len() / 2, new.len() - 1] {
            let err = write_atomically(&path, |w| Flaky { inner: w, budget }.write_all(&new))
                .unwrap_err();
            assert!(
                matches!(&err, Error::File { source, .. } if source.to_string().contains("injected")),
                "{err}"
            );
            assert_eq!(
                std::fs::read(&path).unwrap(),
                b"old contents",
                "budget {budget}"
            );
            assert_eq!(listing(&dir), ["file"], "no temporary file left");
        }
        // A write that succeeds replaces the file whole.
        write_atomically(&path, |w| w.write_all(&new)).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), new);
        assert_eq!(listing(&dir), ["file"]);
        // A path without a file name is refused.
        assert!(matches!(
            write_atomically(dir.join(".."), |w| w.write_all(b"x")),
            Err(Error::File { .. })
        ));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
