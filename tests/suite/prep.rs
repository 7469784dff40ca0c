//! Data preparation (`neuralnet::prep`, issue 19): reference values from
//! scikit-learn for the scaler, the metrics and the label mapping; save and
//! load round trips of every fitted step; preprocessing of raw rows against
//! the same by hand; every bad CSV input ending in its typed error, in
//! bounded memory; and hostile bytes given to `from_bytes`.
//!
//! The reference values come from this script, run with scikit-learn 1.9.1
//! and numpy 2.4.6 (the peers' venv: `bash ../shared/peers/setup.sh`); to
//! rerun it:
//! `sed -n '/^\/\/! ```text/,/^\/\/! ```$/p' tests/suite/prep.rs | sed '1d;$d;s|^//! \?||' | python`.
//!
//! ```text
//! import numpy as np
//! from sklearn.metrics import (classification_report, f1_score, mean_absolute_error, root_mean_squared_error,
//!                              mean_squared_error, r2_score)
//! from sklearn.preprocessing import LabelEncoder, StandardScaler
//!
//! x = np.array([[3.5, 7.0], [-1.25, 7.0], [7.0, 7.0], [0.0, 7.0], [2.75, 7.0], [10.5, 7.0], [-4.0, 7.0]])
//! s = StandardScaler().fit(x)
//! print("SCALER_MEAN", repr(float(s.mean_[0])), "SCALER_SCALE", repr(float(s.scale_[0])), "CONSTANT_SCALE", repr(float(s.scale_[1])))
//! print("SCALED", [repr(float(v)) for v in s.transform([[5.0, 7.0]])[0]])
//!
//! y_true = [3.0, -0.5, 2.0, 7.0, 4.25, 1.5]
//! y_pred = [2.5, 0.0, 2.0, 8.0, 3.75, 2.5]
//! print("R2", repr(float(r2_score(y_true, y_pred))), "MSE", repr(float(mean_squared_error(y_true, y_pred))),
//!       "MAE", repr(float(mean_absolute_error(y_true, y_pred))), "RMSE", repr(float(root_mean_squared_error(y_true, y_pred))))
//!
//! t = [0, 1, 2, 3, 0, 1, 2, 3, 0, 0, 1, 2, 2, 2, 3]
//! p = [0, 2, 2, 3, 1, 1, 2, 0, 0, 0, 1, 1, 2, 3, 3]
//! print("F1_PER_CLASS", [repr(float(v)) for v in f1_score(t, p, average=None)])
//! print("F1_MACRO", repr(float(f1_score(t, p, average="macro"))), "F1_WEIGHTED", repr(float(f1_score(t, p, average="weighted"))))
//! r = classification_report(t, p, output_dict=True)
//! print("PRECISION", [repr(float(r[str(c)]["precision"])) for c in range(4)], "RECALL", [repr(float(r[str(c)]["recall"])) for c in range(4)])
//! print("AVG_PRECISION", repr(float(r["macro avg"]["precision"])), repr(float(r["weighted avg"]["precision"])),
//!       "AVG_RECALL", repr(float(r["macro avg"]["recall"])), repr(float(r["weighted avg"]["recall"])), "ACCURACY", repr(float(r["accuracy"])))
//! print(classification_report(t, p, target_names=["ant", "bee", "cat", "dog"]), end="")
//!
//! for labels in ([10, 9, -1, 10, 2], ["b", "B", "a", "10", "9", "a"], ["setosa", "virginica", "versicolor"]):
//!     e = LabelEncoder().fit(labels)
//!     print("CLASSES", [str(c) for c in e.classes_], "ENCODED", e.transform(labels).tolist())
//! ```
//!
//! It printed:
//!
//! ```text
//! SCALER_MEAN 2.642857142857143 SCALER_SCALE 4.593973425775849 CONSTANT_SCALE 1.0
//! SCALED ['0.5130945781961664', '0.0']
//! R2 0.9165876777251185 MSE 0.4583333333333333 MAE 0.5833333333333334 RMSE 0.67700320038633
//! F1_PER_CLASS ['0.75', '0.5714285714285714', '0.6666666666666666', '0.6666666666666666']
//! F1_MACRO 0.6636904761904762 F1_WEIGHTED 0.6698412698412698
//! PRECISION ['0.75', '0.5', '0.75', '0.6666666666666666'] RECALL ['0.75', '0.6666666666666666', '0.6', '0.6666666666666666']
//! AVG_PRECISION 0.6666666666666666 0.6833333333333333 AVG_RECALL 0.6708333333333333 0.6666666666666666 ACCURACY 0.6666666666666666
//! (the classification report: SKLEARN_REPORT below)
//! CLASSES ['-1', '2', '9', '10'] ENCODED [3, 2, 0, 3, 1]
//! CLASSES ['10', '9', 'B', 'a', 'b'] ENCODED [4, 2, 3, 0, 1, 3]
//! CLASSES ['setosa', 'versicolor', 'virginica'] ENCODED [0, 2, 1]
//! ```

use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use approx::assert_relative_eq;
use neuralnet::Error;
use neuralnet::nalgebra::DMatrix;
use neuralnet::prep::{
    Cell, ClassificationReport, ColumnKind, CsvOptions, LabelEncoder, Missing, OneHotEncoder,
    Pipeline, Preprocessor, Standardizer, Step, Table, Target, TargetEncoding, TargetScaler,
    Unknown, accuracy, k_fold, mean_absolute_error, mean_squared_error, r2_score,
    root_mean_squared_error, stratified_k_fold, stratified_train_test_split, train_test_split,
};
use proptest::prelude::*;
use rand::SeedableRng;
use rand::rngs::StdRng;

// ---------------------------------------------------------------------------
// Reference values (scikit-learn)

const SCALER_X: [f64; 7] = [3.5, -1.25, 7.0, 0.0, 2.75, 10.5, -4.0];
const SCALER_MEAN: f64 = 2.642857142857143;
const SCALER_SCALE: f64 = 4.593973425775849;
const SCALED_5: f64 = 0.5130945781961664;

const Y_TRUE: [f64; 6] = [3.0, -0.5, 2.0, 7.0, 4.25, 1.5];
const Y_PRED: [f64; 6] = [2.5, 0.0, 2.0, 8.0, 3.75, 2.5];
const R2: f64 = 0.9165876777251185;
const MSE: f64 = 0.4583333333333333;
const MAE: f64 = 0.5833333333333334;
const RMSE: f64 = 0.67700320038633;

const T: [usize; 15] = [0, 1, 2, 3, 0, 1, 2, 3, 0, 0, 1, 2, 2, 2, 3];
const P: [usize; 15] = [0, 2, 2, 3, 1, 1, 2, 0, 0, 0, 1, 1, 2, 3, 3];
const F1: [f64; 4] = [
    0.75,
    0.5714285714285714,
    0.6666666666666666,
    0.6666666666666666,
];
const F1_MACRO: f64 = 0.6636904761904762;
const F1_WEIGHTED: f64 = 0.6698412698412698;
const PRECISION: [f64; 4] = [0.75, 0.5, 0.75, 0.6666666666666666];
const RECALL: [f64; 4] = [0.75, 0.6666666666666666, 0.6, 0.6666666666666666];
const PRECISION_MACRO_WEIGHTED: [f64; 2] = [0.6666666666666666, 0.6833333333333333];
const RECALL_MACRO_WEIGHTED: [f64; 2] = [0.6708333333333333, 0.6666666666666666];
const ACCURACY: f64 = 0.6666666666666666;
const SKLEARN_REPORT: &str = concat!(
    "              precision    recall  f1-score   support\n",
    "\n",
    "         ant       0.75      0.75      0.75         4\n",
    "         bee       0.50      0.67      0.57         3\n",
    "         cat       0.75      0.60      0.67         5\n",
    "         dog       0.67      0.67      0.67         3\n",
    "\n",
    "    accuracy                           0.67        15\n",
    "   macro avg       0.67      0.67      0.66        15\n",
    "weighted avg       0.68      0.67      0.67        15\n",
);

#[test]
fn the_standardizer_matches_scikit_learn() {
    let s = Standardizer::fit(&SCALER_X).unwrap();
    assert_relative_eq!(s.mean(), SCALER_MEAN, max_relative = 1e-15);
    assert_relative_eq!(s.scale(), SCALER_SCALE, max_relative = 1e-15);
    assert_relative_eq!(s.transform(5.0), SCALED_5, max_relative = 1e-14);

    // Through a pipeline, with the constant column (scale 1, all zeros).
    let rows: Vec<[f64; 2]> = SCALER_X.iter().map(|&x| [x, 7.0]).collect();
    let prep = Pipeline::new()
        .fit(&Table::from_rows(&["x", "c"], &rows).unwrap())
        .unwrap();
    assert_eq!(prep.standardizer("c").unwrap().scale(), 1.0);
    let z = prep
        .transform::<f64>(&Table::from_rows(&["x", "c"], &[[5.0, 7.0]]).unwrap())
        .unwrap();
    assert_relative_eq!(z[(0, 0)], SCALED_5, max_relative = 1e-14);
    assert_eq!(z[(1, 0)], 0.0);
}

#[test]
fn regression_metrics_match_scikit_learn() {
    assert_relative_eq!(
        r2_score(&Y_TRUE, &Y_PRED).unwrap(),
        R2,
        max_relative = 1e-15
    );
    assert_relative_eq!(
        mean_squared_error(&Y_TRUE, &Y_PRED).unwrap(),
        MSE,
        max_relative = 1e-15
    );
    assert_relative_eq!(
        mean_absolute_error(&Y_TRUE, &Y_PRED).unwrap(),
        MAE,
        max_relative = 1e-15
    );
    assert_relative_eq!(
        root_mean_squared_error(&Y_TRUE, &Y_PRED).unwrap(),
        RMSE,
        max_relative = 1e-15
    );
    // A constant truth: 1 if perfect, else 0 (force_finite).
    assert_eq!(r2_score(&[2.0, 2.0], &[2.0, 2.0]).unwrap(), 1.0);
    assert_eq!(r2_score(&[2.0, 2.0], &[2.0, 3.0]).unwrap(), 0.0);
    assert!(matches!(
        r2_score(&[1.0], &[1.0, 2.0]),
        Err(Error::PredictionCount {
            truth: 1,
            predicted: 2
        })
    ));
    assert!(matches!(
        mean_squared_error(&[], &[]),
        Err(Error::EmptyData { .. })
    ));
}

#[test]
fn the_classification_report_matches_scikit_learn() {
    let report = ClassificationReport::new(&T, &P, &["ant", "bee", "cat", "dog"]).unwrap();
    for c in 0..4 {
        let m = report.class(c).unwrap();
        assert_relative_eq!(m.f1, F1[c], max_relative = 1e-15);
        assert_relative_eq!(m.precision, PRECISION[c], max_relative = 1e-15);
        assert_relative_eq!(m.recall, RECALL[c], max_relative = 1e-15);
    }
    assert_relative_eq!(report.macro_avg().f1, F1_MACRO, max_relative = 1e-15);
    assert_relative_eq!(report.weighted_avg().f1, F1_WEIGHTED, max_relative = 1e-15);
    assert_relative_eq!(
        report.macro_avg().precision,
        PRECISION_MACRO_WEIGHTED[0],
        max_relative = 1e-15
    );
    assert_relative_eq!(
        report.weighted_avg().precision,
        PRECISION_MACRO_WEIGHTED[1],
        max_relative = 1e-15
    );
    assert_relative_eq!(
        report.macro_avg().recall,
        RECALL_MACRO_WEIGHTED[0],
        max_relative = 1e-15
    );
    assert_relative_eq!(
        report.weighted_avg().recall,
        RECALL_MACRO_WEIGHTED[1],
        max_relative = 1e-15
    );
    assert_relative_eq!(report.accuracy(), ACCURACY, max_relative = 1e-15);
    assert_relative_eq!(accuracy(&T, &P).unwrap(), ACCURACY, max_relative = 1e-15);
    assert_eq!(report.to_string(), SKLEARN_REPORT);
    assert!(matches!(
        ClassificationReport::new(&[0, 4], &[0, 0], &["a", "b"]),
        Err(Error::InvalidConfig { .. })
    ));
}

#[test]
fn the_label_mapping_matches_scikit_learn() {
    let ints = [10, 9, -1, 10, 2];
    let enc = LabelEncoder::fit(&ints).unwrap();
    assert_eq!(enc.classes(), ["-1", "2", "9", "10"]);
    assert_eq!(enc.encode(&ints).unwrap(), [3, 2, 0, 3, 1]);

    let mixed = ["b", "B", "a", "10", "9", "a"];
    let enc = LabelEncoder::fit(&mixed).unwrap();
    assert_eq!(enc.classes(), ["10", "9", "B", "a", "b"]);
    assert_eq!(enc.encode(&mixed).unwrap(), [4, 2, 3, 0, 1, 3]);

    let iris = ["setosa", "virginica", "versicolor"];
    let enc = LabelEncoder::fit(&iris).unwrap();
    assert_eq!(enc.encode(&iris).unwrap(), [0, 2, 1]);
    assert_eq!(
        enc.decode(&[2, 0]).unwrap(),
        ["virginica", "setosa"],
        "and back"
    );

    // The same integers as a numeric target (a CSV column of numbers).
    let target = Target::Numeric(ints.iter().map(|&i| f64::from(i)).collect());
    let enc = LabelEncoder::fit_target(&target).unwrap();
    assert_eq!(enc.classes(), ["-1", "2", "9", "10"]);
    assert_eq!(enc.encode_target(&target).unwrap(), [3, 2, 0, 3, 1]);

    // Any number of classes (more than a u8 holds).
    let many: Vec<u32> = (0..1000).rev().collect();
    let enc = LabelEncoder::fit(&many).unwrap();
    assert_eq!(enc.n_classes(), 1000);
    assert_eq!(enc.encode(&[999u32, 0]).unwrap(), [999, 0]);
}

// ---------------------------------------------------------------------------
// Tables, preprocessing by hand, errors at transform time

#[test]
fn tables_from_rows_and_from_matrices_in_either_orientation_agree() {
    let rows = [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]];
    let names = ["a", "b", "c"];
    let from_rows = Table::from_rows(&names, &rows).unwrap();
    let by_rows = DMatrix::from_row_slice(2, 3, rows.as_flattened());
    let by_columns = by_rows.transpose();
    assert_eq!(
        Table::from_matrix_rows(&by_rows, &names).unwrap(),
        from_rows
    );
    assert_eq!(
        Table::from_matrix_columns(&by_columns, &names).unwrap(),
        from_rows
    );
    let vecs: Vec<Vec<f64>> = rows.iter().map(|r| r.to_vec()).collect();
    assert_eq!(Table::from_rows(&names, &vecs).unwrap(), from_rows);

    assert!(matches!(
        Table::from_matrix_rows(&by_rows, &["a", "b"]),
        Err(Error::ColumnCount {
            expected: 3,
            got: 2
        })
    ));
    assert!(matches!(
        Table::from_rows(&names, &[vec![1.0, 2.0, 3.0], vec![1.0]]),
        Err(Error::RowLength {
            row: 1,
            expected: 3,
            got: 1
        })
    ));
    assert!(matches!(
        Table::from_rows(&["a", "a"], &[[1.0, 2.0]]),
        Err(Error::DuplicateColumn {
            first: 1,
            second: 2,
            ..
        })
    ));
    assert!(matches!(
        Table::from_rows(&["a"], &[[f64::INFINITY]]),
        Err(Error::NonFiniteCell { row: 0, .. })
    ));
}

/// The preprocessing of `x` (numeric, with missing values) and `c`
/// (categories), written out by hand.
fn by_hand(
    train_x: &[f64],
    train_c: &[Option<String>],
    x: &[f64],
    c: &[Option<String>],
) -> Vec<f64> {
    let present: Vec<f64> = train_x.iter().copied().filter(|v| !v.is_nan()).collect();
    let n = present.len() as f64;
    let mean = present.iter().sum::<f64>() / n;
    let var = present.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n;
    let std = if present.iter().all(|&v| v == present[0]) {
        1.0
    } else {
        var.sqrt()
    };
    let mut categories: Vec<&String> = train_c.iter().flatten().collect();
    categories.sort();
    categories.dedup();
    let mode = categories
        .iter()
        .rev()
        .max_by_key(|k| train_c.iter().flatten().filter(|v| *v == **k).count())
        .unwrap();
    let mut out = Vec::new();
    for (v, k) in x.iter().zip(c) {
        let v = if v.is_nan() { mean } else { *v };
        out.push((v - mean) / std);
        let k = k.as_ref().unwrap_or(mode);
        out.extend(categories.iter().map(|c| f64::from(u8::from(*c == k))));
    }
    out
}

fn raw_rows() -> impl Strategy<Value = Vec<(f64, Option<String>)>> {
    prop::collection::vec(
        (
            prop_oneof![4 => -1e3..1e3f64, 1 => Just(f64::NAN), 1 => Just(2.5)],
            prop::option::weighted(0.8, "[a-d]{1,2}"),
        ),
        2..40,
    )
}

fn table_of(rows: &[(f64, Option<String>)]) -> Table {
    let x: Vec<f64> = rows.iter().map(|r| r.0).collect();
    let c: Vec<Option<String>> = rows.iter().map(|r| r.1.clone()).collect();
    Table::new()
        .with_numeric("x", x)
        .unwrap()
        .with_categorical("c", &c)
        .unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn transform_of_raw_rows_equals_transform_by_hand(train in raw_rows(), new in raw_rows()) {
        let has = |rows: &[(f64, Option<String>)]| {
            rows.iter().any(|r| !r.0.is_nan()) && rows.iter().any(|r| r.1.is_some())
        };
        prop_assume!(has(&train));
        let prep = Pipeline::new()
            .with_missing(Missing::Impute)
            .with_unknown(Unknown::Ignore)
            .fit(&table_of(&train))
            .unwrap();
        let split = |rows: &[(f64, Option<String>)]| -> (Vec<f64>, Vec<Option<String>>) {
            rows.iter().cloned().unzip()
        };
        let (tx, tc) = split(&train);
        let (x, c) = split(&new);
        let expected = by_hand(&tx, &tc, &x, &c);
        let got = prep.transform::<f64>(&table_of(&new)).unwrap();
        prop_assert_eq!(got.shape(), (prep.n_features(), new.len()));
        for (g, e) in got.as_slice().iter().zip(&expected) {
            prop_assert!((g - e).abs() <= 1e-12 * (1.0 + e.abs()), "{} vs {}", g, e);
        }
        let got32 = prep.transform::<f32>(&table_of(&new)).unwrap();
        for (g, e) in got32.as_slice().iter().zip(&expected) {
            prop_assert!((f64::from(*g) - e).abs() <= 1e-5 * (1.0 + e.abs()));
        }
    }
}

fn fitted_preprocessor() -> (Table, Preprocessor) {
    let table = CsvOptions::new()
        .read(
            "id,age,city,score\n1,30,Oslo,0.5\n2,,Rome,0.7\n3,50,Oslo,\n".as_bytes(),
            "people.csv",
        )
        .unwrap();
    let prep = Pipeline::new()
        .with_step("id", Step::Drop)
        .with_missing(Missing::Impute)
        .fit(&table)
        .unwrap();
    (table, prep)
}

#[test]
fn transform_errors_name_the_column_row_and_line() {
    let (train, prep) = fitted_preprocessor();
    assert_eq!(
        prep.feature_names(),
        ["age", "city=Oslo", "city=Rome", "score"]
    );
    // Imputed: age 40 (mean) → 0; score mean 0.6 → 0.
    let x = prep.transform::<f64>(&train).unwrap();
    assert_eq!((x[(0, 1)], x[(3, 2)]), (0.0, 0.0));

    // Missing values are an error by default, naming row and CSV line.
    let err = Pipeline::new().fit(&train).unwrap_err();
    assert!(
        matches!(&err, Error::MissingValue { column, row: 1, line: Some(3), source_name: Some(s) } if column == "age" && s == "people.csv"),
        "{err}"
    );
    assert!(err.to_string().contains("Missing::Impute"), "{err}");

    // An unseen category: an error naming it, or all zeros if ignored.
    let new = Table::from_rows(&["age", "score"], &[[20.0, 0.1]])
        .unwrap()
        .with_categorical("city", &[Some("Paris")])
        .unwrap();
    let err = prep.transform::<f64>(&new).unwrap_err();
    assert!(
        matches!(&err, Error::UnknownCategory { column, value, row: 0, line: None, known: 2, .. }
            if column == "city" && value == "Paris"),
        "{err}"
    );
    assert!(err.to_string().contains("Unknown::Ignore"), "{err}");
    let ignoring = Pipeline::new()
        .with_step("id", Step::Drop)
        .with_missing(Missing::Impute)
        .with_unknown(Unknown::Ignore)
        .fit(&train)
        .unwrap();
    let x = ignoring.transform::<f32>(&new).unwrap();
    assert_eq!(&x.as_slice()[1..3], [0.0, 0.0]);

    // Columns are found by name; a missing one or one of the wrong kind is
    // an error.
    let err = prep
        .transform::<f64>(&Table::from_rows(&["age"], &[[1.0]]).unwrap())
        .unwrap_err();
    assert!(
        matches!(&err, Error::UnknownColumn { name, .. } if name == "city"),
        "{err}"
    );
    let wrong = Table::new()
        .with_categorical("age", &[Some("old")])
        .unwrap()
        .with_categorical("city", &[Some("Oslo")])
        .unwrap()
        .with_numeric("score", vec![1.0])
        .unwrap();
    assert!(matches!(
        prep.transform::<f64>(&wrong),
        Err(Error::ColumnType {
            expected: ColumnKind::Numeric,
            found: ColumnKind::Categorical,
            ..
        })
    ));
    assert!(matches!(
        Pipeline::new().with_step("nope", Step::Drop).fit(&train),
        Err(Error::UnknownColumn { .. })
    ));
    assert!(matches!(
        Pipeline::new()
            .with_step("city", Step::Standardize)
            .fit(&train),
        Err(Error::ColumnType { .. })
    ));
}

#[test]
fn a_target_scaler_inverts_what_it_scales() {
    let target = Target::Numeric(vec![100.0, 250.0, 400.0]);
    let scaler = TargetScaler::fit_target(&target).unwrap();
    let y = scaler.transform_target::<f32>(&target).unwrap();
    assert_eq!(y.shape(), (1, 3));
    assert_relative_eq!(y.row(0).sum(), 0.0, epsilon = 1e-6);
    let back = scaler.inverse_transform(&y);
    for (b, t) in back.iter().zip(target.numbers().unwrap()) {
        assert_relative_eq!(b, t, max_relative = 1e-6);
    }
    assert!(matches!(
        TargetScaler::fit_target(&Target::Labels(vec!["a".into()])),
        Err(Error::ColumnType { .. })
    ));
    assert!(matches!(
        TargetScaler::fit(&[1.0, f64::NAN]),
        Err(Error::NonFiniteCell { row: 1, .. })
    ));
}

#[test]
fn split_target_and_select_rows_keep_lines_and_refuse_missing_targets() {
    let table = Table::from_csv_reader("x,y\n1,a\n2,\n3,b\n".as_bytes(), "d.csv").unwrap();
    let err = table.clone().split_target("y").unwrap_err();
    assert!(
        matches!(
            &err,
            Error::MissingValue {
                row: 1,
                line: Some(3),
                ..
            }
        ),
        "{err}"
    );
    let picked = table.select_rows(&[2, 0]).unwrap();
    assert_eq!((picked.line(0), picked.line(1)), (Some(4), Some(2)));
    let (features, target) = picked.split_target("y").unwrap();
    assert_eq!(target, Target::Labels(vec!["b".into(), "a".into()]));
    assert_eq!(
        features.column("x").unwrap().cell(0),
        Some(Cell::Number(3.0))
    );
    assert!(table.select_rows(&[3]).is_err());
}

// ---------------------------------------------------------------------------
// Splits

#[test]
fn splits_partition_the_rows_and_keep_class_shares() {
    let classes: Vec<usize> = (0..100).map(|i| usize::from(i % 10 == 0)).collect();
    let mut rng = StdRng::seed_from_u64(3);
    let split = stratified_train_test_split(&classes, 0.2, &mut rng).unwrap();
    assert_eq!((split.train.len(), split.test.len()), (80, 20));
    let ones = split.test.iter().filter(|&&i| classes[i] == 1).count();
    assert_eq!(ones, 2, "10% of the test set, as of the whole");
    let mut all: Vec<usize> = split.train.iter().chain(&split.test).copied().collect();
    all.sort();
    assert_eq!(all, (0..100).collect::<Vec<_>>());

    // The caller's seed decides; the same seed, the same split.
    let again = stratified_train_test_split(&classes, 0.2, &mut StdRng::seed_from_u64(3)).unwrap();
    assert_eq!(again, split);

    for folds in [
        k_fold(100, 7, &mut rng).unwrap(),
        stratified_k_fold(&classes, 5, &mut rng).unwrap(),
    ] {
        let mut tested: Vec<usize> = folds.iter().flat_map(|f| f.test.clone()).collect();
        tested.sort();
        assert_eq!(tested, (0..100).collect::<Vec<_>>());
        for f in &folds {
            assert_eq!(f.train.len() + f.test.len(), 100);
        }
    }
    for f in stratified_k_fold(&classes, 5, &mut rng).unwrap() {
        assert_eq!(f.test.iter().filter(|&&i| classes[i] == 1).count(), 2);
    }
    assert!(train_test_split(1, 0.5, &mut rng).is_err());
    assert!(train_test_split(10, 1.0, &mut rng).is_err());
    assert!(k_fold(3, 4, &mut rng).is_err());
}

// ---------------------------------------------------------------------------
// Save and load

fn table_strategy() -> impl Strategy<Value = (Table, Unknown, bool)> {
    (
        raw_rows(),
        prop::collection::vec(-1e6..1e6f64, 2..40),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(rows, extra, ignore, standardize)| {
            let t = table_of(&rows);
            let e: Vec<f64> = (0..t.n_rows()).map(|i| extra[i % extra.len()]).collect();
            let unknown = if ignore {
                Unknown::Ignore
            } else {
                Unknown::Error
            };
            (t.with_numeric("e", e).unwrap(), unknown, standardize)
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn every_fitted_step_round_trips_through_bytes(
        (table, unknown, standardize) in table_strategy(),
        labels in prop::collection::vec("[a-z0-9]{0,4}", 1..30),
        values in prop::collection::vec(-1e9..1e9f64, 1..30),
    ) {
        // Imputing, so that tables with missing cells fit too.
        let pipeline = Pipeline::new()
            .with_missing(Missing::Impute)
            .with_unknown(unknown)
            .with_standardization(standardize)
            .with_step("e", if standardize { Step::OneHot } else { Step::Keep });
        if let Ok(prep) = pipeline.fit(&table) {
            let back = Preprocessor::from_bytes(&prep.to_bytes()).unwrap();
            prop_assert_eq!(&back, &prep);
            prop_assert_eq!(
                back.transform::<f64>(&table).unwrap(),
                prep.transform::<f64>(&table).unwrap()
            );
        }

        let s = Standardizer::fit(&values).unwrap();
        prop_assert_eq!(Standardizer::from_bytes(&s.to_bytes()).unwrap(), s);
        let t = TargetScaler::fit(&values).unwrap();
        prop_assert_eq!(TargetScaler::from_bytes(&t.to_bytes()).unwrap(), t);

        let l = LabelEncoder::fit(&labels).unwrap();
        prop_assert_eq!(LabelEncoder::from_bytes(&l.to_bytes()).unwrap(), l.clone());
        let o = OneHotEncoder::fit(&labels.iter().map(Some).collect::<Vec<_>>(), unknown).unwrap();
        prop_assert_eq!(OneHotEncoder::from_bytes(&o.to_bytes()).unwrap(), o);

        for e in [TargetEncoding::Classes(l), TargetEncoding::Values(t)] {
            prop_assert_eq!(TargetEncoding::from_bytes(&e.to_bytes()).unwrap(), e);
        }
    }

    #[test]
    fn hostile_bytes_give_an_error_never_a_panic(
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..8),
        cut in any::<prop::sample::Index>(),
        truncate in any::<bool>(),
    ) {
        let (_, prep) = fitted_preprocessor();
        let mut bytes = prep.to_bytes();
        for (i, b) in edits {
            let i = i.index(bytes.len());
            bytes[i] = b;
        }
        if truncate {
            bytes.truncate(cut.index(bytes.len() + 1));
        }
        // Either a valid preprocessor (an edit may land on a value) or an
        // error; never a panic.
        if let Ok(p) = Preprocessor::from_bytes(&bytes) {
            prop_assert!(p.n_features() > 0);
        }
        let _ = LabelEncoder::from_bytes(&bytes);
        let _ = TargetEncoding::from_bytes(&bytes);
    }
}

#[test]
fn truncated_or_huge_lengths_are_refused_before_allocating() {
    let (_, prep) = fitted_preprocessor();
    let bytes = prep.to_bytes();
    for len in 0..bytes.len() {
        let err = Preprocessor::from_bytes(&bytes[..len]).unwrap_err();
        assert!(matches!(err, Error::PrepFormat { .. }), "{len}: {err}");
    }
    let mut trailing = bytes.clone();
    trailing.push(0);
    assert!(Preprocessor::from_bytes(&trailing).is_err());

    // A count of 2³² − 1 columns, and a string of 4 GiB, in a few bytes.
    let mut huge = bytes[..6].to_vec();
    huge.extend_from_slice(&u32::MAX.to_le_bytes());
    let err = Preprocessor::from_bytes(&huge).unwrap_err();
    assert!(matches!(err, Error::PrepFormat { offset: 6, .. }), "{err}");
    let mut long_name = bytes[..10].to_vec();
    long_name.extend_from_slice(&u32::MAX.to_le_bytes());
    long_name.extend_from_slice(&[0; 64]);
    let err = Preprocessor::from_bytes(&long_name).unwrap_err();
    assert!(matches!(err, Error::PrepFormat { offset: 10, .. }), "{err}");
    assert!(err.to_string().contains("more than the"), "{err}");

    // Other types' bytes, and a future version, are refused by their header.
    assert!(Preprocessor::from_bytes(&Standardizer::IDENTITY.to_bytes()).is_err());
    let mut future = bytes.clone();
    future[4] = 2;
    assert!(
        Preprocessor::from_bytes(&future)
            .unwrap_err()
            .to_string()
            .contains("version 2")
    );
    // Unsorted or repeated categories are no valid encoder.
    let enc = LabelEncoder::fit(&["a", "b"]).unwrap().to_bytes();
    let swapped: Vec<u8> = enc
        .iter()
        .map(|&b| match b {
            b'a' => b'b',
            b'b' => b'a',
            b => b,
        })
        .collect();
    assert!(LabelEncoder::from_bytes(&swapped).is_err());
}

// ---------------------------------------------------------------------------
// CSV files: every bad input, a typed error naming file, line and column

fn temp_dir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("prep")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Reads `content` written to a file of the test's temporary directory.
fn read_file(dir: &Path, name: &str, content: &[u8]) -> (PathBuf, neuralnet::Result<Table>) {
    let path = dir.join(name);
    std::fs::write(&path, content).unwrap();
    let table = Table::from_csv(&path);
    (path, table)
}

#[test]
fn a_good_csv_file_reads_into_a_table() {
    let dir = temp_dir("good");
    let (_, table) = read_file(
        &dir,
        "houses.csv",
        b"area;rooms;city;price\r\n70;3;Lyon;210000\r\n55;N/A;\"Paris; 11e\";480000\r\n",
    );
    assert_eq!(table.unwrap().n_columns(), 1, "comma-separated by default");
    let table = CsvOptions::new()
        .with_delimiter(b';')
        .read_path(dir.join("houses.csv"))
        .unwrap();
    assert_eq!(table.names(), ["area", "rooms", "city", "price"]);
    assert_eq!(
        table.column("city").unwrap().cell(1),
        Some(Cell::Text("Paris; 11e"))
    );
    assert_eq!(table.column("rooms").unwrap().missing(), 1);
    let (features, target) = table.split_target("price").unwrap();
    assert_eq!(features.n_columns(), 3);
    assert_eq!(target.numbers(), Some(&[210000.0, 480000.0][..]));
}

#[test]
fn bad_csv_files_end_in_typed_errors_naming_file_line_and_column() {
    let dir = temp_dir("bad");
    let file = |name: &str, content: &[u8]| read_file(&dir, name, content);

    let (path, r) = file("ragged.csv", b"a,b,c\n1,2,3\n4,5\n");
    let err = r.unwrap_err();
    assert!(
        matches!(&err, Error::CsvRagged { source_name, line: 3, expected: 3, got: 2 }
            if *source_name == path.display().to_string()),
        "{err}"
    );

    let (_, r) = file("text.csv", b"a,b\n1,2\n3,x\n");
    let err = r.unwrap_err();
    assert!(
        matches!(&err, Error::CsvCell { line: 3, column, value, .. } if column == "b" && value == "x"),
        "{err}"
    );
    assert!(err.to_string().contains("with_categorical"), "{err}");

    for (name, bad) in [
        ("nan.csv", "NaN"),
        ("inf.csv", "inf"),
        ("minus-infinity.csv", "-Infinity"),
        ("huge.csv", "1e999"),
    ] {
        let (_, r) = file(name, format!("a,b\n1,2\n3,{bad}\n").as_bytes());
        let err = r.unwrap_err();
        assert!(
            matches!(&err, Error::CsvCell { line: 3, column, value, .. } if column == "b" && value == bad),
            "{name}: {err}"
        );
        assert!(err.to_string().contains("not a finite number"), "{err}");
    }
    // A literal NaN as a column's first value is no missing value either.
    let (_, r) = file("nan-first.csv", b"a\nNaN\n1\n");
    assert!(matches!(r, Err(Error::CsvCell { line: 2, .. })));

    let (_, r) = file("empty.csv", b"");
    let err = r.unwrap_err();
    assert!(
        matches!(err, Error::CsvEmpty { what, .. } if what.contains("empty")),
        "{err}"
    );
    let (_, r) = file("blank.csv", b"\n\r\n  \n");
    assert!(matches!(r, Err(Error::CsvEmpty { .. })));
    let (_, r) = file("header-only.csv", b"a,b\n");
    let err = r.unwrap_err();
    assert!(
        matches!(err, Error::CsvEmpty { what, .. } if what.contains("no rows")),
        "{err}"
    );

    let (path, r) = file("no-target.csv", b"a,b\n1,2\n");
    let err = r.unwrap().split_target("price").unwrap_err();
    assert!(
        matches!(&err, Error::UnknownColumn { source_name, name, columns }
            if *source_name == path.display().to_string() && name == "price" && columns.len() == 2),
        "{err}"
    );
    assert!(err.to_string().contains("\"a\", \"b\""), "{err}");

    let (_, r) = file("latin1.csv", b"name,city\nx,Z\xfcrich\n");
    let err = r.unwrap_err();
    assert!(
        matches!(
            err,
            Error::CsvNotUtf8 {
                line: 2,
                field: 2,
                ..
            }
        ),
        "{err}"
    );
    let (_, r) = file("latin1-header.csv", b"n\xe4me\n1\n");
    assert!(matches!(
        r,
        Err(Error::CsvNotUtf8 {
            line: 1,
            field: 1,
            ..
        })
    ));

    let (_, r) = file("duplicate.csv", b"a,b,a\n1,2,3\n");
    let err = r.unwrap_err();
    assert!(
        matches!(&err, Error::DuplicateColumn { name, first: 1, second: 3, .. } if name == "a"),
        "{err}"
    );

    let (_, r) = file("cells.csv", b"a,b\n1,2\n3,4\n5,6\n");
    assert!(r.is_ok());
    let err = CsvOptions::new()
        .with_max_cells(5)
        .read_path(dir.join("cells.csv"))
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::CsvTooLarge {
                line: 4,
                limit: 5,
                ..
            }
        ),
        "{err}"
    );

    let err = Table::from_csv(dir.join("does-not-exist.csv")).unwrap_err();
    assert!(matches!(err, Error::File { .. }), "{err}");
}

/// An endless line of `x` (no line break), counting the bytes read.
struct EndlessLine {
    header: &'static [u8],
    read: u64,
    len: u64,
}

impl Read for EndlessLine {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.read >= self.len {
            return Ok(0);
        }
        let n = buf.len().min((self.len - self.read) as usize);
        for (i, b) in buf[..n].iter_mut().enumerate() {
            let at = self.read as usize + i;
            *b = self.header.get(at).copied().unwrap_or(b'x');
        }
        self.read += n as u64;
        Ok(n)
    }
}

#[test]
fn a_100_mb_line_is_refused_after_reading_about_1_mib() {
    // From a reader made on the fly: the bytes read are counted.
    let mut line = EndlessLine {
        header: b"a,b\n1,",
        read: 0,
        len: 100 << 20,
    };
    let err = CsvOptions::new().read(&mut line, "endless").unwrap_err();
    assert!(
        matches!(err, Error::CsvRecordTooLong { line: 2, limit, .. } if limit == 1 << 20),
        "{err}"
    );
    assert!(
        line.read < (1 << 20) + (256 << 10),
        "read {} bytes of 100 MB",
        line.read
    );
    // A smaller limit, exactly: a record of limit bytes passes, one more fails.
    let ok = CsvOptions::new()
        .with_max_record_bytes(4)
        .read("a\n123\n".as_bytes(), "t");
    assert!(ok.is_ok());
    let err = CsvOptions::new()
        .with_max_record_bytes(4)
        .read("a\n1234\n".as_bytes(), "t")
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::CsvRecordTooLong {
                line: 2,
                limit: 4,
                ..
            }
        ),
        "{err}"
    );

    // From a file: a sparse 100 MB file whose second line never ends.
    let dir = temp_dir("long-line");
    let path = dir.join("one-line.csv");
    let mut f = std::fs::File::create(&path).unwrap();
    f.write_all(b"a,b\n").unwrap();
    f.set_len(100 << 20).unwrap();
    drop(f);
    let err = Table::from_csv(&path).unwrap_err();
    assert!(
        matches!(err, Error::CsvRecordTooLong { line: 2, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("one-line.csv"), "{err}");
}

#[cfg(feature = "serde")]
#[test]
fn fitted_steps_round_trip_through_json_and_invalid_json_is_refused() {
    let (table, prep) = fitted_preprocessor();
    let json = serde_json::to_string(&prep).unwrap();
    let back: Preprocessor = serde_json::from_str(&json).unwrap();
    assert_eq!(back, prep);
    assert_eq!(
        back.transform::<f64>(&table).unwrap(),
        prep.transform::<f64>(&table).unwrap()
    );
    let target = TargetEncoding::Classes(LabelEncoder::fit(&[3, 1, 2]).unwrap());
    let back: TargetEncoding =
        serde_json::from_str(&serde_json::to_string(&target).unwrap()).unwrap();
    assert_eq!(back, target);

    // Checked as from_bytes checks: unsorted categories, a zero scale.
    let unsorted = json.replace(r#"["Oslo","Rome"]"#, r#"["Rome","Oslo"]"#);
    assert_ne!(unsorted, json);
    let err = serde_json::from_str::<Preprocessor>(&unsorted).unwrap_err();
    assert!(err.to_string().contains("sorted"), "{err}");
    let err = serde_json::from_str::<Standardizer>(r#"{"mean":1.0,"scale":0.0}"#).unwrap_err();
    assert!(err.to_string().contains("scale"), "{err}");
}
