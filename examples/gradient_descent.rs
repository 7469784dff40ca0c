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
//! and the paths as an SVG picture.
//!
//! `cargo run --example gradient_descent [-- --out DIR]`

use std::fmt::Write as _;
use std::path::PathBuf;

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
        name: "bowl C = v1² + 3·v2²",
        cost: |v| v[0] * v[0] + 3.0 * v[1] * v[1],
        grad: |v| [2.0 * v[0], 6.0 * v[1]],
        start: [-2.0, 1.5],
        window: ([-2.5, 2.5], [-2.0, 2.0]),
    }
}

fn banana() -> Valley {
    Valley {
        name: "banana C = (1 − v1)² + 10·(v2 − v1²)²",
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
    println!(
        "  RESULT valley={} eta={eta} steps={taken} start_cost={:.6} end_cost={:.6} downhill_steps={} worst_gap={:.4} diverged={}",
        valley.name.split_whitespace().next().unwrap_or("?"),
        run.costs[0],
        run.costs[taken],
        run.downhill,
        run.worst_gap,
        run.diverged
    );
    println!();
    run
}

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let mut out = PathBuf::from("gradient-descent-out");
    while let Some(a) = args.next() {
        match (a.as_str(), args.next()) {
            ("--out", Some(dir)) => out = PathBuf::from(dir),
            _ => {
                eprintln!("usage: gradient_descent [--out DIR]");
                std::process::exit(2);
            }
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

    std::fs::create_dir_all(&out)?;
    let path = out.join("gradient-descent.svg");
    let panels = [(&b, &runs[..3]), (&n, &runs[3..])];
    std::fs::write(&path, picture(&panels))?;
    println!(
        "Wrote {} (the two valleys as contour bands, with the paths)",
        path.display()
    );
    Ok(())
}

type Panel<'a> = (&'a Valley, &'a [(Run, &'a Valley, f64, &'a str)]);

/// Two panels: cost as contour bands (quantised log C), paths on top.
fn picture(panels: &[Panel]) -> String {
    let (pw, ph, gap) = (420.0, 360.0, 40.0);
    let mut s = String::new();
    let w = pw * panels.len() as f64 + gap * (panels.len() as f64 + 1.0);
    let h = ph + 110.0;
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" font-family="sans-serif" font-size="12">"#
    );
    let _ = writeln!(s, r#"<rect width="100%" height="100%" fill="white"/>"#);
    for (p, (valley, runs)) in panels.iter().enumerate() {
        let ox = gap + p as f64 * (pw + gap);
        let oy = 40.0;
        let ([x0, x1], [y0, y1]) = valley.window;
        let sx = |x: f64| ox + (x - x0) / (x1 - x0) * pw;
        let sy = |y: f64| oy + (y1 - y) / (y1 - y0) * ph;
        let cells = 70;
        let lc = |c: f64| (c + 1e-3).ln();
        let (lo, hi) = (
            lc(0.0),
            lc((valley.cost)([x0, y1]).max((valley.cost)([x1, y0]))),
        );
        for i in 0..cells {
            for j in 0..cells {
                let vx = x0 + (i as f64 + 0.5) / cells as f64 * (x1 - x0);
                let vy = y0 + (j as f64 + 0.5) / cells as f64 * (y1 - y0);
                let t = ((lc((valley.cost)([vx, vy])) - lo) / (hi - lo)).clamp(0.0, 1.0);
                let band = (t * 12.0).floor() / 12.0; // contour bands
                let (r, g, b) = (
                    (235.0 - 150.0 * band) as u8,
                    (245.0 - 120.0 * band) as u8,
                    (255.0 - 60.0 * band) as u8,
                );
                let cw = pw / cells as f64;
                let ch = ph / cells as f64;
                let _ = writeln!(
                    s,
                    r#"<rect x="{:.2}" y="{:.2}" width="{:.2}" height="{:.2}" fill="rgb({r},{g},{b})"/>"#,
                    ox + i as f64 * cw,
                    oy + ph - (j + 1) as f64 * ch,
                    cw + 0.3,
                    ch + 0.3
                );
            }
        }
        let _ = writeln!(
            s,
            r#"<rect x="{ox}" y="{oy}" width="{pw}" height="{ph}" fill="none" stroke="black"/>"#
        );
        let _ = writeln!(
            s,
            r#"<text x="{}" y="{}" text-anchor="middle" font-size="14">{}</text>"#,
            ox + pw / 2.0,
            oy - 12.0,
            valley.name
        );
        let _ = writeln!(
            s,
            r#"<clipPath id="clip{p}"><rect x="{ox}" y="{oy}" width="{pw}" height="{ph}"/></clipPath>"#
        );
        for (k, (run, _, eta, color)) in runs.iter().enumerate() {
            let pts: Vec<String> = run
                .path
                .iter()
                .map(|v| format!("{:.1},{:.1}", sx(v[0]), sy(v[1])))
                .collect();
            let _ = writeln!(
                s,
                r#"<polyline clip-path="url(#clip{p})" points="{}" fill="none" stroke="{color}" stroke-width="2"/>"#,
                pts.join(" ")
            );
            let status = if run.diverged { "diverges" } else { "" };
            let _ = writeln!(
                s,
                r#"<text x="{ox}" y="{}" fill="{color}">η = {eta}: C {:.3} → {:.3e} in {} steps {status}</text>"#,
                oy + ph + 22.0 + 16.0 * k as f64,
                run.costs[0],
                run.costs[run.costs.len() - 1],
                run.path.len() - 1
            );
        }
        let [mx, my] = if p == 0 { [0.0, 0.0] } else { [1.0, 1.0] };
        let _ = writeln!(
            s,
            r#"<circle cx="{:.1}" cy="{:.1}" r="4" fill="black"/>"#,
            sx(mx),
            sy(my)
        );
    }
    s.push_str("</svg>\n");
    s
}
