//! The `draw` example in a real browser: headless Chromium, driven through
//! `chromedriver` by the W3C WebDriver protocol (a few JSON requests, made
//! here with `ureq`), draws digits on the page's pad with pointer actions and
//! checks the label the page shows; screenshots at a desktop and a phone size
//! go to `target/tmp/browser/`.
//!
//! Ignored by default: it needs the real MNIST (to train the network the
//! page uses) and Debian's `chromium` and `chromium-driver` packages. Run
//! with
//!
//! ```sh
//! MNIST_DIR=../shared/data/mnist cargo test --release -- --ignored
//! ```
//!
//! Without Chromium it prints why and passes, except in CI (`CI=true`),
//! where it fails.

mod strokes;

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// A child process ended when dropped, so that a failing test leaves
/// nothing running.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn find_program(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|dir| names.iter().map(move |n| dir.join(n)))
        .find(|p| p.is_file())
}

fn example_path(name: &str) -> PathBuf {
    let mut dir = std::env::current_exe().expect("test executable path");
    dir.pop();
    if dir.ends_with("deps") {
        dir.pop();
    }
    let path = dir.join("examples").join(name);
    assert!(
        path.exists(),
        "{} not built; run `cargo test` from the repository root (it builds the examples, draw among them: the workspace member examples/draw/)",
        path.display()
    );
    path
}

/// Starts the draw example (training a network first) and returns it with
/// the address it serves.
fn start_draw(mnist: &Path) -> (Running, String) {
    let mut child = Command::new(example_path("draw"))
        .args(["--port", "0", "--epochs", "8", "--data"])
        .arg(mnist)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start the draw example");
    let stdout = child.stdout.take().unwrap();
    let child = Running(child);
    for line in BufReader::new(stdout).lines() {
        let line = line.unwrap();
        println!("draw: {line}");
        if let Some(rest) = line.strip_prefix("Open ") {
            let url = rest.split_whitespace().next().unwrap().to_string();
            return (child, url);
        }
    }
    panic!("the draw example ended without printing its address");
}

/// A minimal W3C WebDriver client: one session.
struct Session {
    agent: ureq::Agent,
    base: String,
}

impl Session {
    fn call(agent: &ureq::Agent, method: &str, url: &str, body: Option<Value>) -> Value {
        let response = match body {
            Some(b) => agent
                .post(url)
                .content_type("application/json")
                .send(b.to_string()),
            None if method == "DELETE" => agent.delete(url).call(),
            None => agent.get(url).call(),
        };
        let mut response = response.unwrap_or_else(|e| panic!("{method} {url}: {e}"));
        let status = response.status();
        let text = response.body_mut().read_to_string().unwrap();
        let value: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        assert!(status.is_success(), "{method} {url}: {status} {text}");
        value["value"].clone()
    }

    fn new(driver: &str, capabilities: Value) -> Session {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(60)))
            .build()
            .into();
        let created = Self::call(
            &agent,
            "POST",
            &format!("{driver}/session"),
            Some(json!({ "capabilities": { "alwaysMatch": capabilities } })),
        );
        let id = created["sessionId"].as_str().unwrap().to_string();
        Session {
            agent,
            base: format!("{driver}/session/{id}"),
        }
    }

    fn post(&self, path: &str, body: Value) -> Value {
        Self::call(
            &self.agent,
            "POST",
            &format!("{}{path}", self.base),
            Some(body),
        )
    }

    fn get(&self, path: &str) -> Value {
        Self::call(&self.agent, "GET", &format!("{}{path}", self.base), None)
    }

    fn script(&self, code: &str) -> Value {
        self.post("/execute/sync", json!({ "script": code, "args": [] }))
    }

    /// Draws `strokes` (unit square) over the middle 70 % of the pad.
    fn draw(&self, strokes: &[strokes::Stroke], pointer: &str) {
        let rect = self.script(
            "const r = document.getElementById('pad').getBoundingClientRect();\
             return [r.left, r.top, r.width, r.height];",
        );
        let r: Vec<f64> = rect
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect();
        let at = |(x, y): (f32, f32)| {
            json!({
                "type": "pointerMove", "duration": 16, "origin": "viewport",
                "x": (r[0] + r[2] * (0.15 + 0.7 * f64::from(x))).round() as i64,
                "y": (r[1] + r[3] * (0.15 + 0.7 * f64::from(y))).round() as i64,
            })
        };
        let mut actions = Vec::new();
        for stroke in strokes {
            actions.push(at(stroke[0]));
            actions.push(json!({ "type": "pointerDown", "button": 0 }));
            for seg in stroke.windows(2) {
                // A few points a segment, as a hand moving the pointer gives.
                for k in 1..=4 {
                    let t = k as f32 / 4.0;
                    let p = (
                        seg[0].0 + t * (seg[1].0 - seg[0].0),
                        seg[0].1 + t * (seg[1].1 - seg[0].1),
                    );
                    actions.push(at(p));
                }
            }
            actions.push(json!({ "type": "pointerUp", "button": 0 }));
        }
        self.post(
            "/actions",
            json!({ "actions": [{
                "type": "pointer", "id": "pen",
                "parameters": { "pointerType": pointer },
                "actions": actions,
            }] }),
        );
    }

    /// The label the page shows, once an answer has come and settled.
    fn label(&self) -> String {
        let start = Instant::now();
        let mut last = String::new();
        while start.elapsed() < Duration::from_secs(20) {
            std::thread::sleep(Duration::from_millis(400));
            let state = self.script(
                "const d = document.getElementById('digit');\
                 return d.dataset.state + ' ' + d.textContent;",
            );
            let state = state.as_str().unwrap_or("").to_string();
            if state.starts_with("answered") && state == last {
                return state["answered ".len()..].to_string();
            }
            last = state;
        }
        panic!("no answer on the page: {last}");
    }

    fn screenshot(&self, path: &Path) {
        let data = self.get("/screenshot");
        std::fs::write(path, base64_decode(data.as_str().unwrap())).unwrap();
    }
}

fn base64_decode(text: &str) -> Vec<u8> {
    let value = |c: u8| match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => panic!("not base64: {c}"),
    };
    let digits: Vec<u8> = text
        .bytes()
        .filter(|&c| c != b'=' && !c.is_ascii_whitespace())
        .map(value)
        .collect();
    digits
        .chunks(4)
        .flat_map(|q| {
            let n = q
                .iter()
                .enumerate()
                .fold(0u32, |n, (i, &d)| n | u32::from(d) << (18 - 6 * i));
            let bytes = n.to_be_bytes();
            bytes[1..q.len()].to_vec()
        })
        .collect()
}

#[test]
#[ignore = "needs real MNIST and Chromium: set MNIST_DIR, install chromium and chromium-driver"]
fn drawn_digits_are_named_on_the_page() {
    let (Some(chromium), Some(chromedriver)) = (
        find_program(&["chromium", "chromium-browser", "google-chrome"]),
        find_program(&["chromedriver"]),
    ) else {
        let message = "browser test skipped: chromium and chromedriver not found \
                       (Debian: apt-get install chromium chromium-driver)";
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "{message}, and CI=true"
        );
        println!("{message}");
        return;
    };
    let mnist = PathBuf::from(std::env::var_os("MNIST_DIR").expect("set MNIST_DIR"));
    let out = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("browser");
    let _ = std::fs::remove_dir_all(&out);
    std::fs::create_dir_all(&out).unwrap();

    let (_draw, url) = start_draw(&mnist);
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let _driver = Running(
        Command::new(&chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver"),
    );
    let driver = format!("http://127.0.0.1:{port}");
    let start = Instant::now();
    while ureq::get(&format!("{driver}/status")).call().is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "chromedriver did not start"
        );
        std::thread::sleep(Duration::from_millis(100));
    }

    let mut labels = Vec::new();
    for (size, device) in [("desktop", None), ("phone", Some((390, 844)))] {
        let profile = out.join(format!("profile-{size}"));
        let mut args = vec![
            "--headless".to_string(),
            "--no-sandbox".into(),
            "--disable-gpu".into(),
            "--disable-quic".into(),
            "--no-first-run".into(),
            "--disable-background-networking".into(),
            "--disable-component-update".into(),
            "--disable-sync".into(),
            "--hide-scrollbars".into(),
            format!("--user-data-dir={}", profile.display()),
        ];
        let mut options = json!({ "binary": chromium });
        let pointer = match device {
            None => {
                args.push("--window-size=1100,760".into());
                "mouse"
            }
            Some((w, h)) => {
                options["mobileEmulation"] = json!({
                    "deviceMetrics": { "width": w, "height": h, "pixelRatio": 2, "touch": true },
                });
                "touch"
            }
        };
        options["args"] = json!(args);
        let session = Session::new(
            &driver,
            json!({ "browserName": "chrome", "goog:chromeOptions": options }),
        );
        session.post("/url", json!({ "url": url }));
        for d in [7, 1, 0, 3] {
            session.script("document.getElementById('clear').click();");
            session.draw(&strokes::digit(d).unwrap(), pointer);
            let label = session.label();
            println!("{size}: drew {d}, the page says {label}");
            labels.push((size, d, label));
        }
        // The page as a person sees it, a 7 on the pad.
        session.script("document.getElementById('clear').click();");
        session.draw(&strokes::digit(7).unwrap(), pointer);
        session.label();
        let shot = out.join(format!("draw-{size}.png"));
        session.screenshot(&shot);
        println!("screenshot: {}", shot.display());
        Session::call(&session.agent, "DELETE", &session.base, None);
    }
    let wrong: Vec<_> = labels
        .iter()
        .filter(|(_, d, l)| *l != d.to_string())
        .collect();
    assert!(wrong.is_empty(), "misread: {wrong:?}");
}
