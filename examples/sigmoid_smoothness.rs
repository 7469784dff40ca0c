//! Why learning needs sigmoid neurons (section 3 of the lecture notes): a
//! small change Δw of one weight makes a small change of a sigmoid neuron's
//! output, well predicted by equation (3),
//! Δoutput ≈ Σⱼ ∂output/∂wⱼ Δwⱼ + ∂output/∂b Δb,
//! while the same change can flip a perceptron's output from 0 to 1.
//!
//! `cargo run --example sigmoid_smoothness [-- --result-lines]`
//! (`--result-lines` adds one machine-readable `RESULT delta=...` line per
//! Δw at the end, for scripts and tests).

use std::process::ExitCode;

use neuralnet::{Neuron, Perceptron, Result, SigmoidNeuron};

const USAGE: &str = "usage: sigmoid_smoothness [--result-lines]\n  \
    --result-lines   also print one machine-readable RESULT line per Δw, at the end";

fn main() -> ExitCode {
    let mut result_lines = false;
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "--result-lines" => result_lines = true,
            "-h" | "--help" => {
                println!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            _ => {
                eprintln!("{USAGE}");
                return ExitCode::from(2);
            }
        }
    }
    match run(result_lines) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(result_lines: bool) -> Result<()> {
    // The Gouda weights with threshold 4, and bad weather but friends and an
    // easy commute: w·x + b = 0 − 0.001, just below the perceptron's boundary.
    let (w, b): ([f64; 3], f64) = ([6.0, 2.0, 2.0], -4.001);
    let x = [0.0, 1.0, 1.0];
    let neuron = Neuron::with_bias(&w, b);
    let (dw, _db) = neuron.output_gradient(&x)?;
    println!(
        "Neuron w = {w:?}, b = {b}, input x = {x:?}: w·x + b = {:.4}",
        neuron.weighted_input(&x)?
    );
    println!(
        "Perceptron output {}, sigmoid output {:.6}; ∂output/∂w₂ = σ′(z)·x₂ = {:.6}\n",
        neuron.output(&x)?,
        neuron.activation(&x)?,
        dw[1]
    );
    println!("Changing the friends weight w₂ by Δw:");
    println!(
        "      Δw | perceptron | Δoutput perceptron | Δoutput sigmoid | equation (3): σ′·x₂·Δw | error of (3)"
    );
    let mut results = Vec::new();
    for delta in [0.0005, 0.001, 0.002, 0.01, 0.1, 1.0] {
        let moved = Neuron::with_bias(&[w[0], w[1] + delta, w[2]], b);
        let before = (neuron.output(&x)?, neuron.activation(&x)?);
        let after = (moved.output(&x)?, moved.activation(&x)?);
        let linear = dw[1] * delta;
        let actual = after.1 - before.1;
        println!(
            "  {delta:>6} | {} → {}      | {:>18} | {actual:>15.6} | {linear:>22.6} | {:>12.2e}",
            before.0,
            after.0,
            after.0 - before.0,
            (actual - linear).abs()
        );
        results.push(format!(
            "RESULT delta={delta} perceptron_change={} sigmoid_change={actual:.12} linear_estimate={linear:.12}",
            after.0 - before.0
        ));
    }
    println!();
    println!(
        "A change of 0.002 flips the perceptron from 0 to 1: its output jumps by the whole range."
    );
    println!("The sigmoid neuron's output moves by about σ′(z)·Δw = 0.25·Δw, and for small Δw");
    println!(
        "equation (3) predicts the change to within (Δw)²: that is what makes learning possible."
    );
    if result_lines {
        println!();
        for line in results {
            println!("{line}");
        }
    }
    Ok(())
}
