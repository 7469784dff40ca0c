//! File utilities shared by the model files and the MNIST download: atomic
//! saves that never write over what is not ours, bounded reads, advisory
//! locks, and checks of output paths before a long run.
//!
//! # What a path may be
//!
//! Saving writes only to a regular file or to a path where nothing is yet.
//! A directory, a FIFO, a device node or a socket is refused with
//! [`Error::NotAFile`] (as root, renaming over `/dev/null` would replace the
//! machine's `/dev/null` with a file). A symbolic link is *followed*, link by
//! link: the file it finally points to gets the new content (replaced
//! atomically in its own directory), and the link stays a link. A link
//! whose target does not exist is refused with [`Error::DanglingSymlink`],
//! since it most often means a mistake (a moved disk, a typo).
//!
//! These checks protect against mistakes, not against someone who can write
//! to the directory at the same moment: they look before they write.
//!
//! # Temporary files
//!
//! A save first writes `.{name}.neuralnet-tmp.{pid}.{n}` beside the target
//! `name` ({pid}: the writing process; {n}: a counter). A process killed
//! part-way (kill -9, power loss) leaves it behind; the next save to the same
//! file removes such leftovers, but only those whose process no longer runs
//! (on Linux, where `/proc` tells; elsewhere they stay and may be deleted by
//! hand: nothing reads them).

use std::fs::{File, Metadata};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::{Error, Result};

/// The marker in the names of this crate's temporary files.
const TEMP_MARKER: &str = ".neuralnet-tmp.";

/// Links followed before giving up (the kernel's own limit is 40).
const MAX_LINKS: usize = 40;

/// What kind of thing is at a path, in words, for an error message.
fn kind_of(meta: &Metadata) -> &'static str {
    let t = meta.file_type();
    if t.is_dir() {
        return "directory";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return "FIFO (named pipe)";
        }
        if t.is_char_device() {
            return "character device";
        }
        if t.is_block_device() {
            return "block device";
        }
        if t.is_socket() {
            return "socket";
        }
    }
    "special file"
}

fn file_error(path: &Path, source: io::Error) -> Error {
    Error::File {
        path: path.to_owned(),
        source,
    }
}

/// The file a write to `path` really goes to: `path` itself, or for a
/// symbolic link the file it finally points to (links followed one by one,
/// relative ones from the link's directory). `Ok((target, None))` when
/// nothing is there yet, `Ok((target, Some(meta)))` for a regular file.
///
/// # Errors
/// [`Error::NotAFile`] for anything but a regular file;
/// [`Error::DanglingSymlink`] for a link to nothing; [`Error::File`] if the
/// path cannot be examined.
fn resolve(path: &Path) -> Result<(PathBuf, Option<Metadata>)> {
    let mut current = path.to_owned();
    for _ in 0..=MAX_LINKS {
        let meta = match std::fs::symlink_metadata(&current) {
            Ok(meta) => meta,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                if current == path {
                    return Ok((current, None));
                }
                return Err(Error::DanglingSymlink {
                    path: path.to_owned(),
                    target: current,
                });
            }
            Err(e) => return Err(file_error(&current, e)),
        };
        if meta.file_type().is_symlink() {
            let link = std::fs::read_link(&current).map_err(|e| file_error(&current, e))?;
            current = match current.parent() {
                Some(dir) if link.is_relative() => dir.join(link),
                _ => link,
            };
            continue;
        }
        if !meta.is_file() {
            return Err(Error::NotAFile {
                path: current,
                kind: kind_of(&meta),
            });
        }
        return Ok((current, Some(meta)));
    }
    Err(file_error(
        path,
        io::Error::other(format!("more than {MAX_LINKS} symbolic links in a row")),
    ))
}

/// The directory of `path` (`.` for a bare file name).
fn dir_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_owned(),
        _ => PathBuf::from("."),
    }
}

/// The prefix of the temporary files for `file_name`.
fn temp_prefix(file_name: &std::ffi::OsStr) -> String {
    format!(".{}{TEMP_MARKER}", file_name.to_string_lossy())
}

/// A fresh temporary name beside `target`.
fn temp_path(target: &Path) -> Result<PathBuf> {
    let file_name = target.file_name().ok_or_else(|| {
        file_error(
            target,
            io::Error::new(io::ErrorKind::InvalidInput, "not a file path"),
        )
    })?;
    Ok(dir_of(target).join(format!(
        "{}{}.{}",
        temp_prefix(file_name),
        std::process::id(),
        TEMP_COUNTER.fetch_add(1, Ordering::Relaxed)
    )))
}

/// Removes the temporary files left beside `target` by saves of processes
/// that no longer run. Only names of this crate's pattern with a process id
/// that `/proc` says is gone are touched; where `/proc` is not available,
/// nothing is removed. Failures are ignored: cleaning is a courtesy.
fn remove_stale_temporaries(target: &Path) {
    let (Some(file_name), true) = (target.file_name(), Path::new("/proc/self").exists()) else {
        return;
    };
    let prefix = temp_prefix(file_name);
    let Ok(entries) = std::fs::read_dir(dir_of(target)) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(rest) = name.to_str().and_then(|n| n.strip_prefix(&prefix)) else {
            continue;
        };
        let Some((pid, counter)) = rest.split_once('.') else {
            continue;
        };
        let (Ok(pid), Ok(_)) = (pid.parse::<u32>(), counter.parse::<u64>()) else {
            continue;
        };
        let gone = pid != std::process::id() && !Path::new(&format!("/proc/{pid}")).exists();
        // Only regular files: never follow a link someone put there.
        let regular = entry.file_type().is_ok_and(|t| t.is_file());
        if gone && regular {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// Writes a file so that it is either entirely the new content or, if
/// anything fails, untouched.
///
/// `path` must be a regular file, a symbolic link to one, or nothing yet
/// (see the module's docs). `write` fills a temporary file in the same
/// directory as the target; the file is then flushed and synced, and
/// renamed over the target (and the directory is synced, where the platform
/// allows). If `write` or any step fails, the temporary file is removed and
/// the target keeps its old content.
///
/// # Errors
/// [`Error::NotAFile`] or [`Error::DanglingSymlink`] if `path` is not ours
/// to replace; [`Error::File`] naming `path` (never the temporary file: the
/// caller knows only `path`) and the I/O error.
pub(crate) fn write_atomically(
    path: impl AsRef<Path>,
    write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> Result<()> {
    let path = path.as_ref();
    let (target, _) = resolve(path)?;
    remove_stale_temporaries(&target);
    let tmp = temp_path(&target)?;
    let mut file = File::create_new(&tmp).map_err(|e| {
        let context = format!("cannot create a temporary file in its folder: {e}");
        file_error(path, io::Error::new(e.kind(), context))
    })?;
    let result = (|| {
        let mut buffered = io::BufWriter::new(&mut file);
        write(&mut buffered)?;
        buffered.flush()?;
        drop(buffered);
        file.sync_all()
    })();
    drop(file);
    // Look again just before the rename: something may have appeared.
    let result = result
        .map_err(|e| file_error(path, e))
        .and_then(|()| resolve(path).map(|_| ()))
        .and_then(|()| std::fs::rename(&tmp, &target).map_err(|e| file_error(path, e)));
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    // Make the rename itself durable; not every platform can open a directory.
    if let Ok(d) = File::open(dir_of(&target)) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// Makes temporary names unique among the threads of this process (the
/// process id separates processes).
static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// Checks, before a long run, that a file can later be written at `path`
/// (by [`Network::save`](crate::Network::save), say), so that a mistyped
/// output path is found before training rather than after it.
///
/// It passes when `path` is a regular file, a symbolic link to one, or
/// nothing yet, and its directory exists and lets a file be created there:
/// a temporary file of this crate's naming is created and removed again.
/// Nothing at `path` itself is touched.
///
/// # Examples
/// ```
/// let dir = std::env::temp_dir();
/// neuralnet::model::check_writable(dir.join("neuralnet-check-writable.nnet"))?;
/// assert!(neuralnet::model::check_writable(dir.join("no-such-folder/net.nnet")).is_err());
/// assert!(neuralnet::model::check_writable(&dir).is_err()); // a directory
/// # Ok::<(), neuralnet::Error>(())
/// ```
///
/// # Errors
/// [`Error::NotAFile`] for a directory, FIFO, device or socket at `path`;
/// [`Error::DanglingSymlink`] for a link to nothing; [`Error::File`] if the
/// directory does not exist, is not a directory, or refuses a new file.
pub fn check_writable(path: impl AsRef<Path>) -> Result<()> {
    let path = path.as_ref();
    let (target, _) = resolve(path)?;
    let dir = dir_of(&target);
    match std::fs::metadata(&dir) {
        Ok(meta) if meta.is_dir() => {}
        Ok(_) => {
            return Err(file_error(
                &dir,
                io::Error::new(io::ErrorKind::NotADirectory, "not a directory"),
            ));
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return Err(file_error(
                &dir,
                io::Error::new(
                    io::ErrorKind::NotFound,
                    "this folder does not exist; create it first, or choose another path",
                ),
            ));
        }
        Err(e) => return Err(file_error(&dir, e)),
    }
    let probe = temp_path(&target)?;
    File::create_new(&probe).map_err(|e| file_error(&dir, e))?;
    std::fs::remove_file(&probe).map_err(|e| file_error(&dir, e))
}

/// Whether a file to read exists at `path`: `Ok(false)` when nothing is
/// there (not even a link), `Ok(true)` for a regular file or a symbolic link
/// to one. Use it to decide between resuming from a checkpoint and starting
/// afresh: unlike [`Path::exists`], it does not take a broken link for "no
/// file".
///
/// # Errors
/// [`Error::DanglingSymlink`] for a link whose target is missing;
/// [`Error::NotAFile`] for a directory, FIFO, device or socket;
/// [`Error::File`] if the path cannot be examined.
pub fn regular_file_exists(path: impl AsRef<Path>) -> Result<bool> {
    resolve(path.as_ref()).map(|(_, meta)| meta.is_some())
}

/// Opens `path` for reading if it is a regular file (following links), and
/// returns it with its length. FIFOs and devices are refused before they are
/// opened, so that reading never blocks on a pipe or runs on forever.
///
/// # Errors
/// [`Error::NotAFile`], [`Error::DanglingSymlink`], or [`Error::File`]
/// (also when nothing is at `path`).
pub(crate) fn open_regular(path: &Path) -> Result<(File, u64)> {
    let (_, meta) = resolve(path)?;
    if meta.is_none() {
        return Err(file_error(
            path,
            io::Error::new(io::ErrorKind::NotFound, "no such file"),
        ));
    }
    let file = File::open(path).map_err(|e| file_error(path, e))?;
    // Check what was opened too, in case the path changed in between.
    let meta = file.metadata().map_err(|e| file_error(path, e))?;
    if !meta.is_file() {
        return Err(Error::NotAFile {
            path: path.to_owned(),
            kind: kind_of(&meta),
        });
    }
    Ok((file, meta.len()))
}

/// Appends at most `limit` bytes of `reader` to `buf`; `Ok(true)` if that
/// was all of it, `Ok(false)` if more followed (one more byte is then in
/// `buf`). Memory grows only with what is actually read.
pub(crate) fn read_at_most(
    reader: &mut impl Read,
    limit: u64,
    buf: &mut Vec<u8>,
) -> io::Result<bool> {
    let before = buf.len() as u64;
    reader.take(limit.saturating_add(1)).read_to_end(buf)?;
    Ok(buf.len() as u64 - before <= limit)
}

/// An advisory lock that keeps a second process (or a second handle in
/// this one) from writing the same file at the same time, such as two
/// training runs checkpointing to one path, which would otherwise take
/// turns and make the checkpoint's epoch go backwards.
///
/// [`FileLock::for_path`] locks a companion file, `{path}.lock` beside
/// `path`, with the operating system's file locking (`flock` on Unix,
/// `LockFileEx` on Windows; std's [`File::try_lock`]). The lock is held
/// until the `FileLock` is dropped, and the operating system releases it
/// when the process ends, even by kill -9. Advisory: it only stops writers
/// that take it too.
///
/// On Unix, dropping the `FileLock` also removes the lock file (while the
/// lock is still held, and only if the file at `{path}.lock` is still the
/// one locked). That is safe because taking the lock checks, after locking,
/// that the file locked is still the one at `{path}.lock`, and tries again
/// if a holder removed it in between. A process that ends without dropping
/// its `FileLock` (kill -9, a crash, [`std::process::exit`]) leaves the
/// empty file behind; the operating system has released its lock all the
/// same, so the next `FileLock` for the path takes it (and removes it when
/// dropped). On other platforms the lock file stays.
///
/// # Examples
/// ```
/// use neuralnet::{Error};
/// use neuralnet::model::FileLock;
/// let path = std::env::temp_dir().join("neuralnet-doc-lock.nnet");
/// let lock = FileLock::for_path(&path)?;
/// assert!(matches!(FileLock::for_path(&path), Err(Error::Locked { .. })));
/// drop(lock);
/// let _again = FileLock::for_path(&path)?;
/// # Ok::<(), neuralnet::Error>(())
/// ```
#[derive(Debug)]
pub struct FileLock {
    file: File,
    lock_path: PathBuf,
}

impl FileLock {
    /// Takes the lock for writing `path`, on `{path}.lock` (created if
    /// missing), without waiting.
    ///
    /// # Errors
    /// [`Error::Locked`] if another process (or another `FileLock` in this
    /// one) holds it; [`Error::NotAFile`] or [`Error::DanglingSymlink`] if
    /// the lock file's path is not a regular file; [`Error::File`] if the
    /// lock file cannot be created or locked.
    pub fn for_path(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let mut name = path
            .file_name()
            .ok_or_else(|| {
                file_error(
                    path,
                    io::Error::new(io::ErrorKind::InvalidInput, "not a file path"),
                )
            })?
            .to_owned();
        name.push(".lock");
        let lock_path = path.with_file_name(name);
        // A holder removes the lock file as it lets go (see `Drop`): a file
        // opened just before that is locked by no one any more, but it is no
        // longer the lock file either. Then open the one there now.
        for _ in 0..LOCK_ATTEMPTS {
            resolve(&lock_path)?;
            let file = File::options()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .open(&lock_path)
                .map_err(|e| file_error(&lock_path, e))?;
            match file.try_lock() {
                Ok(()) if is_file_at(&file, &lock_path) => {
                    return Ok(FileLock { file, lock_path });
                }
                Ok(()) => continue,
                Err(std::fs::TryLockError::WouldBlock) => break,
                Err(std::fs::TryLockError::Error(e)) => return Err(file_error(&lock_path, e)),
            }
        }
        Err(Error::Locked {
            path: path.to_owned(),
            lock_path,
        })
    }

    /// The lock file, `{path}.lock`.
    pub fn lock_path(&self) -> &Path {
        &self.lock_path
    }
}

/// Times [`FileLock::for_path`] opens the lock file again when the one it
/// locked was removed by the holder letting go; past that, someone takes
/// and releases the lock faster than it can, and it reports the file locked.
const LOCK_ATTEMPTS: usize = 10;

/// Whether `file` is the file now at `path` (the same device and inode).
#[cfg(unix)]
fn is_file_at(file: &File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (file.metadata(), std::fs::metadata(path)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

/// Elsewhere lock files are never removed, so the file opened is the one.
#[cfg(not(unix))]
fn is_file_at(_file: &File, _path: &Path) -> bool {
    true
}

impl Drop for FileLock {
    fn drop(&mut self) {
        // Remove the file while still holding the lock, so that no one can
        // have locked it in between; a taker that opened it before checks
        // that it is still the file at the path (see `for_path`).
        #[cfg(unix)]
        if is_file_at(&self.file, &self.lock_path) {
            let _ = std::fs::remove_file(&self.lock_path);
        }
        // Closing the file releases the lock too; unlocking first says so.
        let _ = self.file.unlock();
    }
}

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
        // A temporary file that cannot be made (its name, longer than the
        // target's, is too long here) is reported with the target's path.
        let long = dir.join("n".repeat(250));
        let err = write_atomically(&long, |w| w.write_all(b"x")).unwrap_err();
        assert!(
            matches!(&err, Error::File { path, .. } if *path == long),
            "{err}"
        );
        let message = err.to_string();
        assert!(
            message.contains("temporary file") && !message.contains(TEMP_MARKER),
            "{message}"
        );
        assert_eq!(listing(&dir), ["file"]);
        // A path without a file name (a directory) is refused.
        assert!(matches!(
            write_atomically(dir.join(".."), |w| w.write_all(b"x")),
            Err(Error::NotAFile { .. })
        ));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[cfg(unix)]
    #[test]
    fn a_lock_removes_its_file_when_dropped_and_takes_a_left_over_one() {
        let dir = temp_dir("lock-file");
        let path = dir.join("run.nnet");
        let lock = FileLock::for_path(&path).unwrap();
        assert_eq!(listing(&dir), ["run.nnet.lock"]);
        drop(lock);
        assert!(listing(&dir).is_empty(), "{:?}", listing(&dir));
        // A lock file left by a process that ended without dropping its
        // lock (kill -9) is locked by no one: it is taken, then removed.
        std::fs::write(dir.join("run.nnet.lock"), b"").unwrap();
        let lock = FileLock::for_path(&path).unwrap();
        assert!(matches!(
            FileLock::for_path(&path),
            Err(Error::Locked { .. })
        ));
        drop(lock);
        assert!(listing(&dir).is_empty(), "{:?}", listing(&dir));
        // A lock file someone replaced under a holder is not the holder's
        // to remove.
        let lock = FileLock::for_path(&path).unwrap();
        std::fs::remove_file(dir.join("run.nnet.lock")).unwrap();
        let other = FileLock::for_path(&path).unwrap();
        drop(lock);
        assert_eq!(listing(&dir), ["run.nnet.lock"]);
        drop(other);
        assert!(listing(&dir).is_empty(), "{:?}", listing(&dir));
        // A taker that opened the file just before the holder removed it
        // can lock it, but it is no longer the lock file: `for_path` sees
        // that and opens the one at the path.
        let lock = FileLock::for_path(&path).unwrap();
        let early = File::open(lock.lock_path()).unwrap();
        drop(lock);
        early.try_lock().unwrap();
        assert!(!is_file_at(&early, &dir.join("run.nnet.lock")));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
