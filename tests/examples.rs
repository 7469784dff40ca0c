//! Runs the examples and checks what they print, so they stay honest.
//!
//! `cargo test` builds every example before running the tests; the binaries
//! sit in `target/<profile>/examples/`, next to this test's own directory.

use std::path::PathBuf;
use std::process::{Command, Output};

fn example(name: &str) -> Command {
    let mut dir = std::env::current_exe().expect("test executable path");
    dir.pop(); // the test binary
    if dir.ends_with("deps") {
        dir.pop();
    }
    let path: PathBuf = dir.join("examples").join(name);
    assert!(
        path.exists(),
        "{} not built; run through `cargo test`",
        path.display()
    );
    Command::new(path)
}

fn stdout(out: &Output) -> String {
    assert!(
        out.status.success(),
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).expect("UTF-8 output")
}

#[test]
fn gouda_festival_prints_the_lecture_decisions() {
    let text = stdout(&example("gouda_festival").output().unwrap());
    // Two decision tables of 8 rows each: (weather, friends, commute) -> decision.
    let rows: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("| GO") || l.contains("| stay home"))
        .collect();
    assert_eq!(rows.len(), 16, "{text}");
    let yes = |w: &str| w == "yes";
    for (i, row) in rows.iter().enumerate() {
        let words: Vec<&str> = row.split_whitespace().collect();
        let (weather, friends, commute) = (yes(words[0]), yes(words[1]), yes(words[2]));
        let go = row.ends_with("GO");
        let expected = if i < 8 {
            weather
        } else {
            weather || (friends && commute)
        };
        assert_eq!(
            go,
            expected,
            "table {}: {row}",
            if i < 8 { "threshold 5" } else { "threshold 3" }
        );
    }
    assert!(text.contains("Threshold 5 (bias b = -5)"));
    assert!(text.contains("Threshold 3 (bias b = -3)"));
    // The sigmoid table: at c = 100 every output has reached the perceptron's 0 or 1.
    let sigmoid_rows: Vec<&str> = text
        .lines()
        .filter(|l| l.matches('|').count() == 7 && !l.contains('σ'))
        .collect();
    assert_eq!(sigmoid_rows.len(), 8, "{text}");
    for row in sigmoid_rows {
        let cells: Vec<&str> = row.split('|').map(str::trim).collect();
        let perceptron: f64 = cells[2].parse().unwrap();
        let at_100: f64 = cells[6].parse().unwrap();
        assert!((at_100 - perceptron).abs() < 1e-6, "{row}");
    }
    assert!(
        text.contains("The perceptron says 0") && text.contains("0.5 0.5 0.5 0.5"),
        "{text}"
    );
}
