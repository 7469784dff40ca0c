#!/usr/bin/env python3
"""neuralnet's estimators against scikit-learn on tabular data, one run each.

For each data set: one train/test split (75/25, stratified for
classification, random_state=0) written as CSV; scikit-learn's
make_pipeline(StandardScaler(), MLPClassifier(random_state=0)) (or
MLPRegressor) fitted on one thread; neuralnet's `tabular` example with its
default settings on the same CSV files. Prints one table: accuracy or R²
and fit seconds of each (fit only: CSV reading is not timed, neither is
scikit-learn's NumPy loading).

    cargo build --release --example tabular
    python benches/compare/tabular/compare.py             # the evaluation sets
    python benches/compare/tabular/compare.py --tuning    # the sets the defaults were checked on
    python benches/compare/tabular/compare.py --sets wine,diabetes --out /tmp/tabular

Needs numpy and scikit-learn (the peers venv: ../shared/peers/setup.sh).
"""
import os

# One thread for scikit-learn's BLAS, as neuralnet's estimators use one core.
for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS"):
    os.environ[var] = "1"

import argparse
import json
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import sklearn
from sklearn import datasets
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import accuracy_score, f1_score, mean_absolute_error, mean_squared_error, r2_score
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

try:
    from threadpoolctl import threadpool_limits
except ImportError:  # the environment variables above suffice
    threadpool_limits = None

ROOT = Path(__file__).resolve().parents[3]


def friedman(generator, n, seed, noise):
    return generator(n_samples=n, noise=noise, random_state=seed)


# name -> (task, loader); loaders return (X, y).
TUNING = {
    "iris": ("classification", lambda: datasets.load_iris(return_X_y=True)),
    "make_classification": ("classification", lambda: datasets.make_classification(
        n_samples=2000, n_features=20, n_informative=10, n_redundant=4, n_classes=3, random_state=0)),
    "make_regression": ("regression", lambda: datasets.make_regression(
        n_samples=2000, n_features=20, n_informative=10, noise=10.0, random_state=0)),
    "friedman1": ("regression", lambda: friedman(datasets.make_friedman1, 2000, 0, 1.0)),
    "make_classification_100k": ("classification", lambda: datasets.make_classification(
        n_samples=100_000, n_features=20, n_informative=10, n_redundant=4, n_classes=2,
        random_state=0)),
}
EVALUATION = {
    "breast_cancer": ("classification", lambda: datasets.load_breast_cancer(return_X_y=True)),
    "wine": ("classification", lambda: datasets.load_wine(return_X_y=True)),
    "digits": ("classification", lambda: datasets.load_digits(return_X_y=True)),
    "diabetes": ("regression", lambda: datasets.load_diabetes(return_X_y=True)),
    "friedman2_s3": ("regression", lambda: friedman(datasets.make_friedman2, 2000, 3, 0.0)),
    "friedman1_s7": ("regression", lambda: friedman(datasets.make_friedman1, 5000, 7, 1.0)),
    "classification_100k": ("classification", lambda: datasets.make_classification(
        n_samples=100_000, n_features=20, n_informative=10, n_redundant=4, n_classes=2,
        random_state=42)),
}


def write_csv(path, X, y, task):
    header = ",".join([f"x{i}" for i in range(X.shape[1])] + ["target"])
    fmt = ["%.17g"] * X.shape[1] + (["%d"] if task == "classification" else ["%.17g"])
    np.savetxt(path, np.column_stack([X, y]), delimiter=",", header=header, comments="", fmt=fmt)


def sklearn_run(task, X_tr, y_tr, X_te, y_te):
    est = MLPClassifier(random_state=0) if task == "classification" else MLPRegressor(random_state=0)
    pipe = make_pipeline(StandardScaler(), est)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        start = time.perf_counter()
        pipe.fit(X_tr, y_tr)
        seconds = time.perf_counter() - start
    p = pipe.predict(X_te)
    epochs = pipe[-1].n_iter_
    if task == "classification":
        return dict(accuracy=accuracy_score(y_te, p), macro_f1=f1_score(y_te, p, average="macro"),
                    fit_seconds=seconds, epochs=epochs)
    return dict(r2=r2_score(y_te, p), mae=mean_absolute_error(y_te, p),
                rmse=mean_squared_error(y_te, p) ** 0.5, fit_seconds=seconds, epochs=epochs)


def ours_run(binary, task, train, test, extra):
    cmd = [str(binary), "--train", str(train), "--test", str(test), "--target", "target",
           "--task", task, "--json", *extra]
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tuning", action="store_true", help="the sets the defaults were checked on")
    ap.add_argument("--sets", help="comma-separated names (default: all of the chosen group)")
    ap.add_argument("--out", default=os.path.join(os.environ.get("TMPDIR", "/tmp"), "tabular-compare"),
                    help="directory for the CSV files")
    ap.add_argument("--bin", default=str(ROOT / "target" / "release" / "examples" / "tabular"),
                    help="the tabular example binary (cargo build --release --example tabular)")
    ap.add_argument("--skip-sklearn", action="store_true", help="run neuralnet only")
    ap.add_argument("extra", nargs="*", help="more flags for the tabular example (after --)")
    args = ap.parse_args()
    group = TUNING if args.tuning else EVALUATION
    names = args.sets.split(",") if args.sets else list(group)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    print(f"# scikit-learn {sklearn.__version__}, numpy {np.__version__}, one thread; "
          f"{'tuning' if args.tuning else 'evaluation'} sets; test = 25%, random_state=0")
    print("| data set | rows × features | task | neuralnet acc / R² | scikit-learn acc / R² "
          "| neuralnet fit s (epochs) | scikit-learn fit s (epochs) | speed-up |")
    print("|---|---|---|---|---|---|---|---|")
    limit = threadpool_limits(1) if threadpool_limits else None
    for name in names:
        task, load = {**TUNING, **EVALUATION}[name]
        X, y = load()
        X_tr, X_te, y_tr, y_te = train_test_split(
            X, y, test_size=0.25, random_state=0, stratify=y if task == "classification" else None)
        train, test = out / f"{name}-train.csv", out / f"{name}-test.csv"
        write_csv(train, X_tr, y_tr, task)
        write_csv(test, X_te, y_te, task)
        ours = ours_run(args.bin, task, train, test, args.extra)
        theirs = None if args.skip_sklearn else sklearn_run(task, X_tr, y_tr, X_te, y_te)
        key = "accuracy" if task == "classification" else "r2"
        their_score = f"{theirs[key]:.4f}" if theirs else "-"
        their_time = f"{theirs['fit_seconds']:.2f} ({theirs['epochs']})" if theirs else "-"
        speedup = f"{theirs['fit_seconds'] / ours['fit_seconds']:.1f}×" if theirs else "-"
        print(f"| {name} | {X.shape[0]} × {X.shape[1]} | {task} | {ours[key]:.4f} | {their_score} "
              f"| {ours['fit_seconds']:.2f} ({ours['epochs']}) | {their_time} | {speedup} |", flush=True)
        for w in ours.get("warnings", []):
            print(f"  warning ({name}): {w}", flush=True)
    del limit


if __name__ == "__main__":
    main()
