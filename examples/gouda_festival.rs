//! The cheese festival in Gouda (section 2 of the lecture notes): a perceptron
//! that weighs up the weather, your friends and the commute, then the same
//! weights read as a sigmoid neuron.
//!
//! Run with `cargo run --example gouda_festival`.

use std::process::ExitCode;

use neuralnet::{Neuron, Perceptron, Result, SigmoidNeuron};

const WEIGHTS: [f64; 3] = [6.0, 2.0, 2.0];

fn yes_no(b: bool) -> &'static str {
    if b { "yes" } else { "no" }
}

/// The 8 combinations of the three binary factors, weather first.
fn all_inputs() -> impl Iterator<Item = [f64; 3]> {
    (0..8u8).map(|i| [(i >> 2) & 1, (i >> 1) & 1, i & 1].map(f64::from))
}

fn decision_table(threshold: f64, summary: &str) -> Result<()> {
    let p = Neuron::with_threshold(&WEIGHTS, threshold);
    println!("Threshold {threshold} (bias b = {}): {summary}", p.bias());
    println!("  weather  friends  commute | w·x  w·x + b | go?");
    for x in all_inputs() {
        let wx = p.weighted_input(&x)? - p.bias();
        println!(
            "  {:<8} {:<8} {:<7} | {:>3}  {:>7} | {}",
            yes_no(x[0] == 1.0),
            yes_no(x[1] == 1.0),
            yes_no(x[2] == 1.0),
            wx,
            wx + p.bias(),
            if p.fire(&x)? { "GO" } else { "stay home" }
        );
    }
    println!();
    Ok(())
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

fn run() -> Result<()> {
    println!("The cheese festival in Gouda: weights 6 (weather), 2 (friends), 2 (commute).");
    println!("The perceptron rule: go (output 1) if w·x + b > 0, where b = −threshold.\n");
    decision_table(5.0, "you go exactly when the weather is good")?;
    decision_table(
        3.0,
        "you go when the weather is good, or when friends come and the commute is easy",
    )?;

    let neuron = Neuron::with_threshold(&WEIGHTS, 3.0);
    println!("The same weights and threshold 3 as a sigmoid neuron, output σ(w·x + b):");
    println!("and scaled by c (weights c·w, bias c·b): as c grows, σ approaches the perceptron.");
    let scales = [1.0, 2.0, 10.0, 100.0];
    print!("  weather  friends  commute | w·x + b | perceptron |");
    for c in scales {
        print!(" σ, c = {c:<5}|");
    }
    println!();
    for x in all_inputs() {
        print!(
            "  {:<8} {:<8} {:<7} | {:>7} | {:>10} |",
            yes_no(x[0] == 1.0),
            yes_no(x[1] == 1.0),
            yes_no(x[2] == 1.0),
            neuron.weighted_input(&x)?,
            neuron.output(&x)?,
        );
        for c in scales {
            print!(" {:<12.6}|", neuron.scaled(c).activation(&x)?);
        }
        println!();
    }
    println!();

    // The one place the limit fails: w·x + b = 0 exactly.
    let boundary = Neuron::with_threshold(&WEIGHTS, 4.0);
    let x = [0.0, 1.0, 1.0];
    println!(
        "The exception: with threshold 4, bad weather but friends and an easy commute gives w·x + b = {}.",
        boundary.weighted_input(&x)?
    );
    print!(
        "The perceptron says {} (it fires only if w·x + b > 0), while σ stays at",
        boundary.output(&x)?
    );
    for c in scales {
        print!(" {}", boundary.scaled(c).activation(&x)?);
    }
    println!(" for c = {scales:?}.");
    Ok(())
}
