//! Downloading against a local HTTP server on 127.0.0.1 that the test
//! starts: good files, a corrupted file, a missing file (404). Never the
//! internet.
//!
//! Needs the `download` feature (this repository's dev-dependency on the
//! crate itself turns it on; in the published crate, `--features download`).
#![cfg(feature = "download")]

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use flate2::Compression;
use flate2::write::GzEncoder;
use neuralnet::Error;
use neuralnet::mnist::{RemoteFile, download_files, read_labels_file};
use sha2::{Digest, Sha256};

/// Serves `routes` (path → body) on 127.0.0.1, 404 for anything else, for
/// at most `max_requests` requests or 20 seconds, whichever comes first.
/// Returns the base URL and the request counter.
fn serve(routes: HashMap<String, Vec<u8>>, max_requests: usize) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let base = format!("http://{}/", listener.local_addr().unwrap());
    let count = Arc::new(AtomicUsize::new(0));
    let served = count.clone();
    let routes = Mutex::new(routes);
    std::thread::spawn(move || {
        let deadline = Instant::now() + Duration::from_secs(20);
        while served.load(Ordering::SeqCst) < max_requests && Instant::now() < deadline {
            let Ok((stream, _)) = listener.accept() else {
                std::thread::sleep(Duration::from_millis(5));
                continue;
            };
            stream.set_nonblocking(false).unwrap();
            stream
                .set_read_timeout(Some(Duration::from_secs(5)))
                .unwrap();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut request = String::new();
            let _ = reader.read_line(&mut request);
            let mut line = String::new();
            while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                line.clear();
            }
            let path = request
                .split_whitespace()
                .nth(1)
                .unwrap_or("/")
                .trim_start_matches('/')
                .to_string();
            served.fetch_add(1, Ordering::SeqCst);
            let body = routes.lock().unwrap().get(&path).cloned();
            let mut stream = stream;
            let _ = match body {
                Some(b) => {
                    let head = format!(
                        "HTTP/1.1 200 OK\r\nContent-Type: application/gzip\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                        b.len()
                    );
                    stream
                        .write_all(head.as_bytes())
                        .and_then(|()| stream.write_all(&b))
                }
                None => stream.write_all(
                    b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                ),
            };
        }
    });
    (base, count)
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = GzEncoder::new(Vec::new(), Compression::default());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

fn labels(values: &[u8]) -> Vec<u8> {
    let mut v = vec![0, 0, 8, 1];
    v.extend((values.len() as u32).to_be_bytes());
    v.extend(values);
    v
}

/// A file to download, with the hash of `contents`.
fn remote(name: &'static str, contents: &[u8]) -> RemoteFile {
    let hex: String = Sha256::digest(contents)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    RemoteFile {
        name,
        sha256: Box::leak(hex.into_boxed_str()),
        len: contents.len() as u64,
    }
}

fn fresh_dir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("download")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn listing(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .map(|d| {
            d.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

#[test]
fn downloads_verifies_and_falls_back_to_the_next_mirror() {
    let a = labels(&[5, 0, 4]);
    let b = labels(&[7, 2, 1, 0]);
    let files = [
        remote("a-labels-idx1-ubyte", &a),
        remote("b-labels-idx1-ubyte", &b),
    ];
    // The first mirror has nothing (404); the second has both files.
    let (empty, _) = serve(HashMap::new(), 2);
    let (good, _) = serve(
        HashMap::from([
            ("a-labels-idx1-ubyte.gz".to_string(), gzip(&a)),
            ("b-labels-idx1-ubyte.gz".to_string(), gzip(&b)),
        ]),
        2,
    );
    let dir = fresh_dir("good");
    let mut told = Vec::new();
    let fetched = download_files(&dir, &[&empty, &good], &files, |f| told.push(f.name)).unwrap();
    assert_eq!(fetched, ["a-labels-idx1-ubyte", "b-labels-idx1-ubyte"]);
    assert_eq!(told, fetched);
    assert_eq!(
        listing(&dir),
        ["a-labels-idx1-ubyte.gz", "b-labels-idx1-ubyte.gz"]
    );
    assert_eq!(
        read_labels_file(dir.join("b-labels-idx1-ubyte.gz")).unwrap(),
        [7, 2, 1, 0]
    );

    // Present files are not fetched again: no request reaches the server.
    let (watch, requests) = serve(HashMap::new(), 1);
    assert!(
        download_files(&dir, &[&watch], &files, |_| {})
            .unwrap()
            .is_empty()
    );
    std::thread::sleep(Duration::from_millis(50));
    assert_eq!(requests.load(Ordering::SeqCst), 0);
}

#[test]
fn a_corrupted_or_missing_file_is_refused_and_nothing_is_written() {
    let a = labels(&[1, 2, 3]);
    let files = [remote("a-labels-idx1-ubyte", &a)];
    let mut wrong = a.clone();
    wrong[9] = 9; // same length, different contents
    let (corrupt, _) = serve(
        HashMap::from([("a-labels-idx1-ubyte.gz".to_string(), gzip(&wrong))]),
        1,
    );
    let (not_gzip, _) = serve(
        HashMap::from([("a-labels-idx1-ubyte.gz".to_string(), a.clone())]),
        1,
    );
    let (missing, _) = serve(HashMap::new(), 1);
    let dir = fresh_dir("bad");
    let err = download_files(&dir, &[&corrupt, &not_gzip, &missing], &files, |_| {}).unwrap_err();
    let Error::Download { file, attempts } = &err else {
        panic!("{err}")
    };
    assert_eq!(file, "a-labels-idx1-ubyte");
    assert_eq!(attempts.len(), 3, "{attempts:?}");
    assert!(attempts[0].contains("SHA-256"), "{}", attempts[0]);
    assert!(attempts[1].contains("gzip"), "{}", attempts[1]);
    assert!(attempts[2].contains("404"), "{}", attempts[2]);
    let message = err.to_string();
    assert!(message.contains("download the file yourself"), "{message}");
    // One line for the file, one per mirror, one for what to do.
    let lines: Vec<&str> = message.lines().collect();
    assert_eq!(lines.len(), 5, "{message}");
    for (line, mirror) in lines[1..4].iter().zip([&corrupt, &not_gzip, &missing]) {
        assert!(line.starts_with(&format!("  {mirror}")), "{line}");
    }
    assert!(
        listing(&dir).is_empty(),
        "nothing written: {:?}",
        listing(&dir)
    );
}
