//! Your own data: a classifier or a regressor fitted to a CSV file, its
//! metrics on test rows, and predictions for new rows from a saved model.
//!
//! ```sh
//! cargo run --release --example tabular -- --train train.csv --test test.csv --target species
//! cargo run --release --example tabular -- --train houses.csv --target price --save houses.nnet
//! cargo run --release --example tabular -- predict houses.nnet new-houses.csv > predictions.csv
//! ```
//!
//! Without `--test`, a fifth of the rows (`--test-fraction`) is held out
//! to test on, class by class for a classifier. Without `--task`, a target
//! column of numbers with fractions means regression, anything else
//! (text, whole numbers) classification; the choice is printed. `--help`
//! lists every flag.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::builder::{PossibleValuesParser, TypedValueParser};
use clap::{Parser, Subcommand};
use neuralnet::estimator::{
    Classifier, Estimator, FitReport, Holdout, Regressor, Settings, Task, cross_validate,
};
use neuralnet::optim::Optimizer;
use neuralnet::prep::{CsvOptions, Missing, Pipeline, Table, Target, Unknown};
use neuralnet::{Activation, Error};

type BoxError = Box<dyn std::error::Error>;

/// Fit a neural network to a CSV file of your own data and report how well
/// it predicts rows it has not seen.
///
/// The file needs a header line naming the columns; columns of numbers
/// are standardised, columns of text one-hot encoded. The network has one
/// hidden layer of 100 ReLU neurons by default and is trained by Adam with
/// early stopping on a tenth of the training rows.
///
/// `tabular predict MODEL CSV` loads a model saved with --save and writes
/// one prediction per row of CSV to stdout.
#[derive(Debug, Parser)]
#[command(
    about,
    long_about,
    subcommand_negates_reqs = true,
    args_conflicts_with_subcommands = true
)]
struct Args {
    #[command(subcommand)]
    command: Option<Command>,
    /// The CSV file to fit on.
    #[arg(long, value_name = "CSV", required = true)]
    train: Option<PathBuf>,
    /// A CSV file of other rows to test on (with the same columns). Without
    /// it, --test-fraction of the training file's rows are held out.
    #[arg(long, value_name = "CSV")]
    test: Option<PathBuf>,
    /// The column to predict.
    #[arg(long, value_name = "COLUMN", required = true)]
    target: Option<String>,
    /// classification or regression. Default: regression if the target
    /// column holds numbers with fractions, else classification.
    #[arg(long, value_parser = task_parser())]
    task: Option<Task>,
    /// Fraction of the rows held out to test on when there is no --test
    /// (class by class for classification).
    #[arg(long, value_name = "F", default_value_t = 0.2)]
    test_fraction: f64,
    /// Also report K-fold cross-validation on the training rows (fits K
    /// more models).
    #[arg(long, value_name = "K")]
    cv: Option<usize>,
    /// Save the fitted model (network, preprocessing and labels) here.
    #[arg(long, value_name = "PATH")]
    save: Option<PathBuf>,
    /// Print only one JSON object on stdout, with the task, the test
    /// metrics and the fit time (warnings still go to stderr).
    #[arg(long)]
    json: bool,
    /// Hidden layer sizes, e.g. `--hidden 100` (the default) or `--hidden
    /// 64,32`; `--hidden none` for a linear model.
    #[arg(long, value_name = "SIZES", value_parser = hidden_parser)]
    hidden: Option<Hidden>,
    /// Hidden neurons' activation: relu (the default), tanh or sigmoid.
    #[arg(long, value_parser = activation_parser())]
    activation: Option<Activation>,
    /// The optimizer: adam (the default), adamw, sgd, momentum or nesterov.
    #[arg(long, value_parser = optimizer_parser())]
    optimizer: Option<Optimizer>,
    /// Learning rate η (default 0.001).
    #[arg(long)]
    eta: Option<f64>,
    /// Mini-batch size m (default 32, all rows if fewer).
    #[arg(long)]
    batch: Option<usize>,
    /// L2 regularisation λ (default 0.0001).
    #[arg(long)]
    lambda: Option<f64>,
    /// Most epochs to train (default 200; early stopping usually stops sooner).
    #[arg(long)]
    epochs: Option<usize>,
    /// Fraction of the training rows held out for early stopping (default
    /// 0.1; 0 trains on all of them for all the epochs).
    #[arg(long, value_name = "F")]
    validation_fraction: Option<f64>,
    /// Epochs without improvement of the validation cost before training
    /// stops (default 10).
    #[arg(long)]
    patience: Option<usize>,
    /// Seed of every random choice: the test and validation rows, the
    /// initial weights, the order of the mini-batches.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Fill in missing values (empty cells, NA) with the training mean or
    /// most common category, instead of refusing them.
    #[arg(long)]
    impute: bool,
    /// Encode categories not seen in training as all zeros, instead of
    /// refusing them.
    #[arg(long)]
    ignore_unknown: bool,
    /// Read these columns as text (categories) even if they hold numbers,
    /// e.g. `--categorical zip,grade`.
    #[arg(long, value_name = "COLUMNS", value_delimiter = ',')]
    categorical: Vec<String>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Predict each row of a CSV file with a model saved by --save, and
    /// write the predictions to stdout as CSV (one column, `prediction`:
    /// the label, or the number).
    Predict {
        /// The saved model.
        model: PathBuf,
        /// The rows to predict (with the training file's feature columns;
        /// other columns are ignored).
        csv: PathBuf,
        /// Columns to read as text, as in training.
        #[arg(long, value_name = "COLUMNS", value_delimiter = ',')]
        categorical: Vec<String>,
    },
}

/// `--hidden`: sizes, or none.
#[derive(Debug, Clone)]
struct Hidden(Vec<usize>);

fn hidden_parser(text: &str) -> Result<Hidden, String> {
    if text == "none" {
        return Ok(Hidden(Vec::new()));
    }
    text.split(',')
        .map(|s| {
            s.trim()
                .parse::<usize>()
                .map_err(|e| format!("{s:?}: {e}; give sizes like 100 or 64,32, or none"))
        })
        .collect::<Result<_, _>>()
        .map(Hidden)
}

fn task_parser() -> impl TypedValueParser<Value = Task> {
    PossibleValuesParser::new([Task::Classification.name(), Task::Regression.name()])
        .try_map(|name| name.parse::<Task>())
}

fn activation_parser() -> impl TypedValueParser<Value = Activation> {
    PossibleValuesParser::new(["relu", "tanh", "sigmoid", "identity"])
        .try_map(|name| name.parse::<Activation>())
}

fn optimizer_parser() -> impl TypedValueParser<Value = Optimizer> {
    PossibleValuesParser::new(["adam", "adamw", "sgd", "momentum", "nesterov"])
        .try_map(|name| name.parse::<Optimizer>())
}

impl Args {
    fn settings(&self) -> Settings {
        let mut s = Settings::new().with_seed(self.seed);
        if let Some(Hidden(h)) = &self.hidden {
            s = s.with_hidden(h);
        }
        if let Some(a) = self.activation {
            s = s.with_activation(a);
        }
        if let Some(o) = self.optimizer {
            s = s.with_optimizer(o);
        }
        if let Some(eta) = self.eta {
            s = s.with_learning_rate(eta);
        }
        if let Some(m) = self.batch {
            s = s.with_mini_batch_size(m);
        }
        if let Some(l) = self.lambda {
            s = s.with_l2_lambda(l);
        }
        if let Some(e) = self.epochs {
            s = s.with_epochs(e);
        }
        if let Some(f) = self.validation_fraction {
            s = s.with_validation_fraction(f);
        }
        if let Some(p) = self.patience {
            s = s.with_patience(p);
        }
        let mut pipeline = Pipeline::new();
        if self.impute {
            pipeline = pipeline.with_missing(Missing::Impute);
        }
        if self.ignore_unknown {
            pipeline = pipeline.with_unknown(Unknown::Ignore);
        }
        s.with_pipeline(pipeline)
    }
}

fn read(path: &Path, categorical: &[String]) -> Result<Table, Error> {
    let columns: Vec<&str> = categorical.iter().map(String::as_str).collect();
    CsvOptions::new().with_categorical(&columns).read_path(path)
}

/// Prints a line for a person: to stdout, or to stderr when stdout is
/// the JSON.
fn say(json: bool, line: &str) {
    if json {
        eprintln!("{line}");
    } else {
        println!("{line}");
    }
}

/// Why this task: what the target looks like.
fn task_reason(target: &Target, given: bool) -> String {
    if given {
        return "(--task)".into();
    }
    match target {
        Target::Labels(_) => "(the target column holds text labels; --task regression to override)".into(),
        Target::Numeric(_) if target.looks_like_classes() => {
            "(the target column holds whole numbers, taken as class labels; --task regression to override)".into()
        }
        Target::Numeric(_) => {
            "(the target column holds numbers with fractions; --task classification to override)".into()
        }
    }
}

fn fit_and_test(args: &Args) -> Result<(), BoxError> {
    let train_path = args.train.as_deref().expect("clap requires --train");
    let target_column = args.target.as_deref().expect("clap requires --target");
    let json = args.json;
    let table = read(train_path, &args.categorical)?;
    let (features, target) = table.split_target(target_column)?;
    let task = args.task.unwrap_or_else(|| Task::guess(&target));
    say(
        json,
        &format!("task: {task} {}", task_reason(&target, args.task.is_some())),
    );
    if args.task.is_none() && task == Task::Classification {
        let distinct = neuralnet::prep::LabelEncoder::fit_target(&target)?.n_classes();
        if distinct > 20 && distinct * 10 > target.len() {
            say(
                json,
                &format!(
                    "note: {distinct} distinct values taken as classes; if they are quantities, pass --task regression"
                ),
            );
        }
    }
    let settings = args.settings();
    let data = match &args.test {
        Some(test_path) => {
            let (test_features, test_target) =
                read(test_path, &args.categorical)?.split_target(target_column)?;
            say(
                json,
                &format!(
                    "data: {} training rows ({}), {} test rows ({}), {} feature columns",
                    features.n_rows(),
                    train_path.display(),
                    test_features.n_rows(),
                    test_path.display(),
                    features.n_columns()
                ),
            );
            (features, target, test_features, test_target)
        }
        None => {
            let h = Holdout::new(&features, &target, args.test_fraction, task, args.seed)?;
            say(
                json,
                &format!(
                    "data: {} rows of {}, {} held out to test on{}, {} feature columns",
                    features.n_rows(),
                    train_path.display(),
                    h.test_features.n_rows(),
                    if task == Task::Classification {
                        " (stratified)"
                    } else {
                        ""
                    },
                    features.n_columns()
                ),
            );
            (
                h.train_features,
                h.train_target,
                h.test_features,
                h.test_target,
            )
        }
    };
    let (x_train, y_train, x_test, y_test) = data;
    if let Some(k) = args.cv {
        let cv = cross_validate(&x_train, &y_train, task, &settings, k)?;
        let scores: Vec<String> = cv.scores.iter().map(|s| format!("{s:.4}")).collect();
        say(
            json,
            &format!(
                "{k}-fold cross-validation {}: {:.4} ± {:.4} ({})",
                if task == Task::Classification {
                    "accuracy"
                } else {
                    "R²"
                },
                cv.mean(),
                cv.std(),
                scores.join(", ")
            ),
        );
    }
    let result = match task {
        Task::Classification => {
            let (model, report) = Classifier::fit(&x_train, &y_train, &settings)?;
            show_fit(json, &report);
            let test = model.classification_report(&x_test, &y_test)?;
            say(json, &format!("test ({} rows):\n{test}", x_test.n_rows()));
            save(args, json, || {
                model.save(args.save.as_ref().expect("checked"))
            })?;
            serde_json::json!({
                "task": "classification",
                "accuracy": test.accuracy(),
                "macro_f1": test.macro_avg().f1,
                "fit_seconds": report.fit_seconds(),
                "epochs": report.epochs,
                "best_epoch": report.best_epoch,
                "warnings": report.warnings,
            })
        }
        Task::Regression => {
            let (model, report) = Regressor::fit(&x_train, &y_train, &settings)?;
            show_fit(json, &report);
            let test = model.evaluate(&x_test, &y_test)?;
            say(json, &format!("test ({} rows): {test}", x_test.n_rows()));
            save(args, json, || {
                model.save(args.save.as_ref().expect("checked"))
            })?;
            serde_json::json!({
                "task": "regression",
                "r2": test.r2,
                "mae": test.mae,
                "rmse": test.rmse,
                "fit_seconds": report.fit_seconds(),
                "epochs": report.epochs,
                "best_epoch": report.best_epoch,
                "warnings": report.warnings,
            })
        }
    };
    if json {
        println!("{result}");
    }
    Ok(())
}

fn show_fit(json: bool, report: &FitReport) {
    let mut lines = report.to_string();
    lines.insert_str(0, "fit: ");
    for line in lines.lines() {
        if line.starts_with("warning: ") {
            eprintln!("{line}");
        } else {
            say(json, line);
        }
    }
}

fn save(args: &Args, json: bool, save: impl FnOnce() -> Result<(), Error>) -> Result<(), Error> {
    if let Some(path) = &args.save {
        save()?;
        say(json, &format!("saved the model to {}", path.display()));
    }
    Ok(())
}

/// A CSV field, quoted if it needs to be.
fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) || text.starts_with(' ') || text.ends_with(' ') {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}

fn predict(model: &Path, csv: &Path, categorical: &[String]) -> Result<(), BoxError> {
    use std::io::Write;
    let model = Estimator::load(model)?;
    let table = read(csv, categorical)?;
    let predictions = model.predict_text(&table)?;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    writeln!(out, "prediction")?;
    for p in predictions {
        writeln!(out, "{}", csv_field(&p))?;
    }
    out.flush()?;
    Ok(())
}

fn main() -> ExitCode {
    let args = Args::parse();
    let result = match &args.command {
        Some(Command::Predict {
            model,
            csv,
            categorical,
        }) => predict(model, csv, categorical),
        None => fit_and_test(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
