//! Gradient descent as the "ball rolling down the valley" of section 6 of the
//! lecture notes, on two costs of two variables, C(v₁, v₂):
//!
//! - a bowl, C = v₁² + 3v₂², whose minimum is at (0, 0);
//! - a less friendly valley, Rosenbrock's banana, C = (1 − v₁)² + 10(v₂ − v₁²)²,
//!   with a long curved floor down to its minimum at (1, 1).
//!
//! Each step moves v → v − η∇C (equations (11), (12)) and checks the
//! lecture's prediction ΔC ≈ ∇C·Δv = −η‖∇C‖² (equations (7) to (9)). It
//! shows a good learning rate, one too large (ΔC > 0: the ball overshoots
//! and diverges) and one too small (the ball crawls), and draws the valleys
//! (contour lines) and the paths as an SVG picture.
//!
//! `cargo run --example gradient_descent [-- --out DIR] [--result-lines]`
//! (`--result-lines` adds one machine-readable `RESULT valley=... eta=...`
//! line per run at the end, for scripts and tests).

use std::path::PathBuf;
use std::process::ExitCode;

// The pictures of the examples, shared with the mnist example.
#[path = "mnist/charts.rs"]
mod charts;

/// A cost of two variables with its gradient.
struct Valley {
    name: &'static str,
    cost: fn([f64; 2]) -> f64,
    grad: fn([f64; 2]) -> [f64; 2],
    start: [f64; 2],
    /// The picture's window: (v₁ from, to), (v₂ from, to).
    window: ([f64; 2], [f64; 2]),
}

fn bowl() -> Valley {
    Valley {
        name: "bowl C = v₁² + 3·v₂²",
        cost: |v| v[0] * v[0] + 3.0 * v[1] * v[1],
        grad: |v| [2.0 * v[0], 6.0 * v[1]],
        start: [-2.0, 1.5],
        window: ([-2.5, 2.5], [-2.0, 2.0]),
    }
}

fn banana() -> Valley {
    Valley {
        name: "banana C = (1 − v₁)² + 10·(v₂ − v₁²)²",
        cost: |v| (1.0 - v[0]).powi(2) + 10.0 * (v[1] - v[0] * v[0]).powi(2),
        grad: |v| {
            let r = v[1] - v[0] * v[0];
            [-2.0 * (1.0 - v[0]) - 40.0 * v[0] * r, 20.0 * r]
        },
        start: [-1.5, 2.0],
        window: ([-2.0, 2.0], [-1.0, 3.0]),
    }
}

/// One run: the path and what happened at each step.
struct Run {
    path: Vec<[f64; 2]>,
    costs: Vec<f64>,
    /// Steps with ΔC < 0.
    downhill: usize,
    /// Largest |ΔC − (−η‖∇C‖²)| / |η‖∇C‖²| over the steps.
    worst_gap: f64,
    /// Whether the ball climbed out: the cost ended above where it started
    /// (or passed 10⁶, where the run stops).
    diverged: bool,
}

fn descend(valley: &Valley, eta: f64, steps: usize, verbose: bool) -> Run {
    let mut v = valley.start;
    let mut run = Run {
        path: vec![v],
        costs: vec![(valley.cost)(v)],
        downhill: 0,
        worst_gap: 0.0,
        diverged: false,
    };
    if verbose {
        println!("  step        v1        v2          C     ΔC actual   ΔC ≈ −η‖∇C‖²");
    }
    for step in 1..=steps {
        let g = (valley.grad)(v);
        let next = [v[0] - eta * g[0], v[1] - eta * g[1]];
        let (c, c_next) = ((valley.cost)(v), (valley.cost)(next));
        let predicted = -eta * (g[0] * g[0] + g[1] * g[1]);
        let actual = c_next - c;
        if actual < 0.0 {
            run.downhill += 1;
        }
        if predicted != 0.0 {
            run.worst_gap = run
                .worst_gap
                .max((actual - predicted).abs() / predicted.abs());
        }
        if verbose && (step <= 5 || step % (steps / 5).max(1) == 0) {
            println!(
                "  {step:>4} {:>9.4} {:>9.4} {:>10.4} {actual:>13.6} {predicted:>14.6}",
                next[0], next[1], c_next
            );
        }
        v = next;
        run.path.push(v);
        run.costs.push(c_next);
        if !c_next.is_finite() || c_next > 1e6 {
            break;
        }
    }
    let end = run.costs[run.costs.len() - 1];
    run.diverged = !end.is_finite() || end > run.costs[0];
    run
}

fn report(valley: &Valley, eta: f64, steps: usize, label: &str, verbose: bool) -> Run {
    println!("{}, η = {eta} ({label}):", valley.name);
    let run = descend(valley, eta, steps, verbose);
    let taken = run.path.len() - 1;
    let gap = if run.worst_gap <= 1.0 {
        format!(
            "ΔC within {:.1}% of −η‖∇C‖² at every step",
            100.0 * run.worst_gap
        )
    } else {
        format!(
            "ΔC as far as {} · η‖∇C‖² from −η‖∇C‖²",
            short(run.worst_gap)
        )
    };
    println!(
        "  {taken} steps, {} of them downhill: C {:.4} → {}{}; {gap}",
        run.downhill,
        run.costs[0],
        short(run.costs[taken]),
        if run.diverged { ", diverges" } else { "" },
    );
    println!();
    run
}

/// A cost in a few digits: fixed-point when moderate, else in e-notation.
fn short(c: f64) -> String {
    if (1e-3..1e4).contains(&c) {
        format!("{c:.3}")
    } else {
        format!("{c:.2e}")
    }
}

/// The machine-readable line of one run (`--result-lines`).
fn result_line(valley: &Valley, eta: f64, run: &Run) -> String {
    let taken = run.path.len() - 1;
    format!(
        "RESULT valley={} eta={eta} steps={taken} start_cost={:.6} end_cost={:.6} downhill_steps={} worst_gap={:.4} diverged={}",
        valley.name.split_whitespace().next().unwrap_or("?"),
        run.costs[0],
        run.costs[taken],
        run.downhill,
        run.worst_gap,
        run.diverged
    )
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Says how to call the example and exits with code 2 (nothing to clean up yet).
fn usage_error(usage: &str) -> ! {
    eprintln!("{usage}");
    std::process::exit(2);
}

fn run() -> Result<(), String> {
    const USAGE: &str = "usage: gradient_descent [--out DIR] [--result-lines]\n  \
        --out DIR        where to write gradient-descent.svg (default gradient-descent-out)\n  \
        --result-lines   also print one machine-readable RESULT line per run, at the end";
    let mut args = std::env::args().skip(1);
    let mut out = PathBuf::from("gradient-descent-out");
    let mut result_lines = false;
    while let Some(a) = args.next() {
        match a.as_str() {
            "--out" => match args.next() {
                Some(dir) => out = PathBuf::from(dir),
                None => usage_error(USAGE),
            },
            "--result-lines" => result_lines = true,
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(());
            }
            _ => usage_error(USAGE),
        }
    }

    println!("Gradient descent: v → v − η∇C, and the prediction ΔC ≈ −η‖∇C‖² at every step.\n");
    let (b, n) = (bowl(), banana());
    // The bowl's curvature is 2 and 6: steps are stable for η < 2/6.
    let runs = [
        (
            report(&b, 0.05, 60, "a good learning rate", true),
            &b,
            0.05,
            "#1f5fbf",
        ),
        (
            report(&b, 0.005, 60, "too small: the ball crawls", false),
            &b,
            0.005,
            "#2e8b57",
        ),
        (
            report(
                &b,
                0.36,
                30,
                "too large: 1 − 6η < −1, each step overshoots",
                true,
            ),
            &b,
            0.36,
            "#c0392b",
        ),
        (
            report(&n, 0.01, 2000, "a good learning rate for the banana", false),
            &n,
            0.01,
            "#1f5fbf",
        ),
        (
            report(
                &n,
                0.06,
                100,
                "too large for the banana's steep walls",
                false,
            ),
            &n,
            0.06,
            "#c0392b",
        ),
    ];
    println!("With a small η every step goes downhill and ΔC is close to −η‖∇C‖²;");
    println!(
        "too large an η makes ΔC > 0 and the ball climbs out of the valley; too small an η crawls."
    );

    if result_lines {
        println!();
        for (run, valley, eta, _) in &runs {
            println!("{}", result_line(valley, *eta, run));
        }
    }

    std::fs::create_dir_all(&out).map_err(|e| format!("--out {}: {e}", out.display()))?;
    let path = out.join("gradient-descent.svg");
    let panels = [(&b, &runs[..3]), (&n, &runs[3..])];
    std::fs::write(&path, picture(&panels)).map_err(|e| format!("{}: {e}", path.display()))?;
    println!(
        "Wrote {} (the two valleys as contour lines, with the paths)",
        path.display()
    );
    Ok(())
}

type Panel<'a> = (&'a Valley, &'a [(Run, &'a Valley, f64, &'a str)]);

/// One panel per valley: its contour lines (on a 161 × 161 grid, at round
/// costs 0.05, 0.1, 0.2, 0.5, …) and the paths of its runs.
fn picture(panels: &[Panel]) -> String {
    let (n, mark) = (161, [[0.0, 0.0], [1.0, 1.0]]);
    let grids: Vec<(Vec<f64>, Vec<f64>)> = panels
        .iter()
        .map(|(valley, _)| {
            let ([x0, x1], [y0, y1]) = valley.window;
            let values: Vec<f64> = (0..n * n)
                .map(|k| {
                    let (i, j) = ((k % n) as f64, (k / n) as f64);
                    let step = |lo: f64, hi: f64, t: f64| lo + t / (n - 1) as f64 * (hi - lo);
                    (valley.cost)([step(x0, x1, i), step(y0, y1, j)])
                })
                .collect();
            let top = values.iter().copied().fold(0.0, f64::max);
            (charts::levels_1_2_5(0.05, top), values)
        })
        .collect();
    let trails: Vec<Vec<charts::Trail>> = panels
        .iter()
        .map(|(_, runs)| {
            runs.iter()
                .map(|(run, _, eta, color)| {
                    let end = run.costs[run.costs.len() - 1];
                    let rgb = |k: usize| u8::from_str_radix(&color[k..k + 2], 16).unwrap_or(0);
                    charts::Trail {
                        label: format!(
                            "η = {eta}: C {:.3} → {} in {} steps{}",
                            run.costs[0],
                            short(end),
                            run.path.len() - 1,
                            if run.diverged { ", diverges" } else { "" }
                        ),
                        points: &run.path,
                        color: (rgb(1), rgb(3), rgb(5)),
                    }
                })
                .collect()
        })
        .collect();
    let surfaces: Vec<charts::Surface> = panels
        .iter()
        .zip(&grids)
        .zip(&trails)
        .zip(mark)
        .map(
            |((((valley, _), (levels, values)), trails), mark)| charts::Surface {
                title: valley.name,
                x: valley.window.0,
                y: valley.window.1,
                nx: n,
                ny: n,
                values,
                levels,
                mark: Some(mark),
                paths: trails,
            },
        )
        .collect();
    charts::contour_chart(&surfaces)
}
