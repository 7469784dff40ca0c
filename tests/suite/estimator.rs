//! The estimators through the public API: fit, predict and score on small
//! generated tables, saving and loading, raw rows against the network on
//! rows preprocessed by hand, the warnings, the errors.

use std::path::PathBuf;

use neuralnet::Error;
use neuralnet::estimator::{
    Classifier, Estimator, Holdout, Regressor, Settings, Task, cross_validate,
};
use neuralnet::prep::{Missing, Pipeline, Table, Target};
use neuralnet::rand::rngs::StdRng;
use neuralnet::rand::{RngExt, SeedableRng};

fn tmp(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("estimator");
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

fn uniform(rng: &mut StdRng) -> f64 {
    rng.random::<f64>()
}

/// Three classes of points in the plane, with text labels, around three
/// centres far apart (on scales of hundreds and of hundredths, so that
/// standardisation matters), and a categorical column of noise.
fn blobs(n: usize, seed: u64) -> (Table, Target) {
    let mut rng = StdRng::seed_from_u64(seed);
    let centres = [(100.0, 0.01), (300.0, 0.05), (200.0, 0.09)];
    let names = ["setosa", "versicolor", "virginica"];
    let (mut rows, mut labels, mut noise) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..n {
        let c = i % 3;
        let (x, y) = centres[c];
        rows.push([
            x + 40.0 * (uniform(&mut rng) - 0.5),
            y + 0.02 * (uniform(&mut rng) - 0.5),
        ]);
        labels.push(names[c].to_string());
        noise.push(Some(["red", "green"][usize::from(uniform(&mut rng) < 0.5)]));
    }
    let table = Table::from_rows(&["length", "width"], &rows)
        .unwrap()
        .with_categorical("colour", &noise)
        .unwrap();
    (table, Target::Labels(labels))
}

/// y = 3a − 2b + 0.5c + 1000 with a, b, c on different scales.
fn linear(n: usize, seed: u64) -> (Table, Target) {
    let mut rng = StdRng::seed_from_u64(seed);
    let rows: Vec<[f64; 3]> = (0..n)
        .map(|_| {
            [
                10.0 * uniform(&mut rng),
                100.0 * uniform(&mut rng),
                uniform(&mut rng) - 0.5,
            ]
        })
        .collect();
    let y = rows
        .iter()
        .map(|r| 3.0 * r[0] - 2.0 * r[1] + 0.5 * r[2] + 1000.0)
        .collect();
    (
        Table::from_rows(&["a", "b", "c"], &rows).unwrap(),
        Target::Numeric(y),
    )
}

#[test]
fn a_classifier_learns_text_labels_and_predicts_them() {
    let (features, target) = blobs(240, 1);
    let h = Holdout::new(&features, &target, 0.25, Task::Classification, 1).unwrap();
    let (model, report) =
        Classifier::fit(&h.train_features, &h.train_target, &Settings::new()).unwrap();
    assert!(report.warnings.is_empty(), "{report}");
    assert_eq!(model.classes(), ["setosa", "versicolor", "virginica"]);
    assert_eq!(report.training_rows + report.validation_rows, 180);
    assert_eq!(report.validation_rows, 18);
    assert!(report.best_epoch.is_some() && report.epochs <= 200);
    assert_eq!(report.validation_costs.len(), report.epochs);
    assert!(report.score > 0.95, "{report}");

    let predicted = model.predict(&h.test_features).unwrap();
    assert_eq!(predicted.len(), 60);
    assert!(predicted.iter().all(|p| model.classes().contains(p)));
    let accuracy = model.score(&h.test_features, &h.test_target).unwrap();
    assert!(accuracy > 0.95, "{accuracy}");
    let table = model
        .classification_report(&h.test_features, &h.test_target)
        .unwrap();
    assert_eq!(table.accuracy(), accuracy);
    assert!(table.to_string().contains("versicolor"));

    // Probabilities: n × k, rows summing to 1, the largest the prediction.
    let p = model.predict_proba(&h.test_features).unwrap();
    assert_eq!(p.shape(), (60, 3));
    let classes = model.predict_classes(&h.test_features).unwrap();
    for (i, row) in p.row_iter().enumerate() {
        assert!((row.sum() - 1.0).abs() < 1e-5);
        assert_eq!(row.transpose().argmax().0, classes[i]);
    }
}

#[test]
fn integer_labels_are_labels_and_come_back_as_written() {
    let (features, target) = blobs(90, 2);
    let numbers: Vec<f64> = target
        .labels()
        .unwrap()
        .iter()
        .map(|l| match l.as_str() {
            "setosa" => 10.0,
            "versicolor" => 9.0,
            _ => -1.0,
        })
        .collect();
    let target = Target::Numeric(numbers);
    assert_eq!(Task::guess(&target), Task::Classification);
    let (model, _) = Classifier::fit(&features, &target, &Settings::new()).unwrap();
    assert_eq!(model.classes(), ["-1", "9", "10"]);
    assert!(model.score(&features, &target).unwrap() > 0.95);
}

#[test]
fn a_regressor_fits_a_linear_target_to_r2_above_0_99_in_its_own_units() {
    let (features, target) = linear(400, 3);
    let h = Holdout::new(&features, &target, 0.25, Task::Regression, 3).unwrap();
    let (model, report) =
        Regressor::fit(&h.train_features, &h.train_target, &Settings::new()).unwrap();
    assert!(report.score > 0.99, "{report}");
    let metrics = model.evaluate(&h.test_features, &h.test_target).unwrap();
    assert!(metrics.r2 > 0.99, "{metrics}");
    assert_eq!(
        model.score(&h.test_features, &h.test_target).unwrap(),
        metrics.r2
    );
    assert!((metrics.rmse - metrics.mse.sqrt()).abs() < 1e-12);
    // In the target's units (800 to 1030, standard deviation about 58),
    // not standardised (which would be near 0).
    let new = Table::from_rows(&["a", "b", "c"], &[[5.0, 50.0, 0.0]]).unwrap();
    let y = model.predict(&new).unwrap()[0];
    assert!((y - 915.0).abs() < 20.0, "{y}, {metrics}");
    assert_eq!(
        model.network().output_activation(),
        neuralnet::Activation::Identity
    );
}

#[test]
fn save_and_load_give_the_same_predictions() {
    let (features, target) = blobs(120, 4);
    let (model, _) = Classifier::fit(&features, &target, &Settings::new()).unwrap();
    let path = tmp("blobs.nnet");
    model.save(&path).unwrap();
    let loaded = Classifier::load(&path).unwrap();
    assert_eq!(loaded, model);
    assert_eq!(
        loaded.predict(&features).unwrap(),
        model.predict(&features).unwrap()
    );
    assert_eq!(
        loaded.predict_proba(&features).unwrap(),
        model.predict_proba(&features).unwrap()
    );
    assert_eq!(
        loaded.training_record().epochs_completed,
        model.training_record().epochs_completed
    );

    // The JSON model format keeps it all too, bit for bit.
    let json = tmp("blobs.json");
    model.save(&json).unwrap();
    assert!(std::fs::read_to_string(&json).unwrap().starts_with('{'));
    assert_eq!(Classifier::load(&json).unwrap(), model);

    let (x, y) = linear(200, 5);
    let (reg, _) = Regressor::fit(&x, &y, &Settings::new()).unwrap();
    let reg_path = tmp("linear.nnet");
    reg.save(&reg_path).unwrap();
    let loaded = Regressor::load(&reg_path).unwrap();
    assert_eq!(loaded.predict(&x).unwrap(), reg.predict(&x).unwrap());

    // Either kind through Estimator; the wrong kind is refused by name.
    match Estimator::load(&reg_path).unwrap() {
        Estimator::Regressor(r) => assert_eq!(r, reg),
        other => panic!("{other:?}"),
    }
    assert_eq!(Estimator::load(&path).unwrap().task(), Task::Classification);
    let err = Regressor::load(&path).unwrap_err();
    assert!(
        matches!(&err, Error::ModelFormat { reason, .. } if reason.contains("Classifier::load")),
        "{err}"
    );
    let err = Classifier::load(&reg_path).unwrap_err();
    assert!(matches!(err, Error::ModelFormat { .. }), "{err}");

    // A bare network is no estimator.
    let bare = tmp("bare.nnet");
    model.network().save(&bare).unwrap();
    let err = Classifier::load(&bare).unwrap_err();
    assert!(
        matches!(&err, Error::ModelFormat { reason, .. } if reason.contains("Network::load")),
        "{err}"
    );
}

#[test]
fn raw_rows_predict_as_the_network_on_rows_preprocessed_by_hand() {
    let (features, target) = blobs(150, 6);
    let (model, _) = Classifier::fit(&features, &target, &Settings::new()).unwrap();

    // By hand: standardise with the training mean and population standard
    // deviation, one-hot encode the colour, then ask the network.
    let prep = model.preprocessor();
    assert_eq!(
        prep.feature_names(),
        ["length", "width", "colour=green", "colour=red"]
    );
    let scaler = |name: &str| *prep.standardizer(name).unwrap();
    let (length, width) = (scaler("length"), scaler("width"));
    let col = |name: &str| features.column(name).unwrap();
    let lengths = col("length").numbers().unwrap();
    let widths = col("width").numbers().unwrap();
    let colours = col("colour");
    let x = neuralnet::nalgebra::DMatrix::<f32>::from_fn(4, features.n_rows(), |i, j| {
        let colour = match colours.cell(j) {
            Some(neuralnet::prep::Cell::Text(t)) => t,
            other => panic!("{other:?}"),
        };
        (match i {
            0 => length.transform(lengths[j]),
            1 => width.transform(widths[j]),
            2 => f64::from(u8::from(colour == "green")),
            _ => f64::from(u8::from(colour == "red")),
        }) as f32
    });
    let by_hand: Vec<String> = model
        .network()
        .predict_batch(&x)
        .unwrap()
        .into_iter()
        .map(|c| model.classes()[c].clone())
        .collect();
    assert_eq!(model.predict(&features).unwrap(), by_hand);

    // The regressor: network output z, then y = z s + μ.
    let (x, y) = linear(120, 7);
    let (reg, _) = Regressor::fit(&x, &y, &Settings::new()).unwrap();
    let z = reg
        .network()
        .feedforward_batch(&reg.preprocessor().transform::<f32>(&x).unwrap())
        .unwrap();
    let s = reg.target_scaler().standardizer();
    let by_hand: Vec<f64> = z.iter().map(|&z| s.inverse(f64::from(z))).collect();
    assert_eq!(reg.predict(&x).unwrap(), by_hand);
}

#[test]
fn a_classifier_that_only_answers_the_majority_class_says_so() {
    // The feature is the same for every row: nothing to learn, so the best
    // answer is the most common class, and the report must say so.
    let n = 200;
    let features = Table::from_rows(&["constant"], &vec![[1.0]; n]).unwrap();
    let labels = (0..n).map(|i| if i % 5 == 0 { "rare" } else { "common" }.to_string());
    let target = Target::Labels(labels.collect());
    let (model, report) = Classifier::fit(&features, &target, &Settings::new()).unwrap();
    assert!(
        model
            .predict(&features)
            .unwrap()
            .iter()
            .all(|p| p == "common")
    );
    assert_eq!(report.warnings.len(), 1, "{report}");
    let w = &report.warnings[0];
    assert!(
        w.contains("no better") && w.contains("\"common\"") && w.contains("80.0%"),
        "{w}"
    );
    assert!(
        report
            .to_string()
            .contains("\nwarning: the classifier does no better")
    );

    // Without validation rows, it is judged on the training rows.
    let settings = Settings::new()
        .with_validation_fraction(0.0)
        .with_epochs(20);
    let (_, report) = Classifier::fit(&features, &target, &settings).unwrap();
    assert!(!report.score_on_validation && report.best_epoch.is_none());
    assert!(report.warnings[0].contains("training rows"), "{report}");

    // A regressor of a target the features cannot predict says so too.
    let noise: Vec<f64> = (0..n).map(|i| ((i * 7919) % 101) as f64).collect();
    let (_, report) = Regressor::fit(&features, &Target::Numeric(noise), &Settings::new()).unwrap();
    assert!(
        report.warnings[0].contains("predicting the mean"),
        "{report}"
    );
}

#[test]
fn a_run_that_ends_on_its_last_epoch_suggests_more_epochs() {
    let (features, target) = linear(200, 8);
    let settings = Settings::new().with_epochs(3);
    let (_, report) = Regressor::fit(&features, &target, &settings).unwrap();
    assert_eq!((report.epochs, report.stopped_early), (3, false));
    assert!(
        report.warnings.iter().any(|w| w.contains("more epochs")),
        "{report}"
    );
}

#[test]
fn the_same_seed_gives_the_same_model_and_another_seed_another() {
    let (features, target) = blobs(90, 9);
    let settings = Settings::new().with_epochs(5).with_seed(11);
    let (a, _) = Classifier::fit(&features, &target, &settings).unwrap();
    let (b, _) = Classifier::fit(&features, &target, &settings).unwrap();
    assert_eq!(a, b);
    let (c, _) = Classifier::fit(&features, &target, &settings.clone().with_seed(12)).unwrap();
    assert_ne!(a.network(), c.network());
}

#[test]
fn missing_values_are_refused_or_imputed_as_the_pipeline_says() {
    let (x, y) = linear(100, 10);
    let mut a = x.column("a").unwrap().numbers().unwrap().to_vec();
    a[7] = f64::NAN;
    let holed = Table::new()
        .with_numeric("a", a)
        .unwrap()
        .with_numeric("b", x.column("b").unwrap().numbers().unwrap().to_vec())
        .unwrap()
        .with_numeric("c", x.column("c").unwrap().numbers().unwrap().to_vec())
        .unwrap();
    let err =
        Regressor::fit(&holed, &y, &Settings::new().with_validation_fraction(0.0)).unwrap_err();
    assert!(matches!(err, Error::MissingValue { row: 7, .. }), "{err}");
    let settings = Settings::new().with_pipeline(Pipeline::new().with_missing(Missing::Impute));
    let (model, _) = Regressor::fit(&holed, &y, &settings).unwrap();
    assert_eq!(model.predict(&holed).unwrap().len(), 100);
}

#[test]
fn bad_settings_and_bad_data_are_typed_errors() {
    let (features, target) = blobs(30, 11);
    let named = |r: Result<(Classifier, _), Error>| match r {
        Err(Error::InvalidConfig { name, .. }) => name,
        other => panic!("{other:?}"),
    };
    assert_eq!(
        named(Classifier::fit(
            &features,
            &target,
            &Settings::new().with_hidden(&[0])
        )),
        "hidden"
    );
    assert_eq!(
        named(Classifier::fit(
            &features,
            &target,
            &Settings::new().with_learning_rate(-1.0)
        )),
        "learning_rate"
    );
    assert_eq!(
        named(Classifier::fit(
            &features,
            &target,
            &Settings::new().with_validation_fraction(1.0)
        )),
        "validation_fraction"
    );
    // A target of another length, a target of one class.
    let short = target.select(&[0, 1]).unwrap();
    assert_eq!(
        named(Classifier::fit(&features, &short, &Settings::new())),
        "target"
    );
    let one = Target::Labels(vec!["only".into(); 30]);
    assert_eq!(
        named(Classifier::fit(&features, &one, &Settings::new())),
        "target"
    );
    // A regressor of text labels; a table without a column the model needs.
    let err = Regressor::fit(&features, &target, &Settings::new()).unwrap_err();
    assert!(matches!(err, Error::ColumnType { .. }), "{err}");
    let (model, _) = Classifier::fit(&features, &target, &Settings::new().with_epochs(2)).unwrap();
    let fewer = Table::from_rows(&["length"], &[[1.0]]).unwrap();
    let err = model.predict(&fewer).unwrap_err();
    assert!(matches!(err, Error::UnknownColumn { .. }), "{err}");
}

#[test]
fn labels_the_model_never_saw_count_as_wrong_and_get_a_row_of_the_report() {
    let (features, target) = blobs(60, 12);
    let (model, _) = Classifier::fit(&features, &target, &Settings::new()).unwrap();
    let mut labels = target.labels().unwrap().to_vec();
    labels[0] = "unheard-of".into();
    let odd = Target::Labels(labels);
    let report = model.classification_report(&features, &odd).unwrap();
    assert_eq!(
        report.names().last().map(String::as_str),
        Some("unheard-of")
    );
    assert_eq!(report.class(3).unwrap().support, 1);
    assert!(model.score(&features, &odd).unwrap() < 1.0);
}

#[test]
fn cross_validation_fits_one_model_per_fold() {
    let (features, target) = blobs(90, 13);
    let settings = Settings::new().with_hidden(&[16]);
    let cv = cross_validate(&features, &target, Task::Classification, &settings, 3).unwrap();
    assert_eq!((cv.scores.len(), cv.reports.len()), (3, 3));
    assert!(cv.mean() > 0.9, "{:?}", cv.scores);
    assert!(cv.std() >= 0.0);
    // Each fold trains on two thirds, less its validation rows.
    assert!(
        cv.reports
            .iter()
            .all(|r| r.training_rows + r.validation_rows == 60)
    );

    let (x, y) = linear(150, 14);
    let cv = cross_validate(&x, &y, Task::Regression, &Settings::new(), 3).unwrap();
    assert!(cv.mean() > 0.9, "{:?}", cv.scores);
    let err = cross_validate(&x, &y, Task::Regression, &settings, 1).unwrap_err();
    assert!(
        matches!(err, Error::InvalidConfig { name: "folds", .. }),
        "{err}"
    );
}

#[test]
fn holdout_keeps_each_class_share() {
    let (features, target) = blobs(99, 15);
    let h = Holdout::new(&features, &target, 1.0 / 3.0, Task::Classification, 1).unwrap();
    let labels = h.test_target.labels().unwrap();
    for class in ["setosa", "versicolor", "virginica"] {
        assert_eq!(labels.iter().filter(|l| *l == class).count(), 11);
    }
    assert_eq!(h.train_features.n_rows(), 66);
    let err = Holdout::new(&features, &target, 0.0, Task::Regression, 1).unwrap_err();
    assert!(matches!(err, Error::InvalidConfig { .. }), "{err}");
}

#[cfg(feature = "csv")]
#[test]
fn fit_csv_reads_the_file_and_splits_off_the_target() {
    let path = tmp("fit.csv");
    let mut text = String::from("x,y,label\n");
    for i in 0..60 {
        let x = (i % 10) as f64;
        let y = (i / 10) as f64;
        text.push_str(&format!(
            "{x},{y},{}\n",
            if x > y { "right" } else { "left" }
        ));
    }
    std::fs::write(&path, text).unwrap();
    let (model, _) = Classifier::fit_csv(&path, "label", &Settings::new()).unwrap();
    assert_eq!(model.classes(), ["left", "right"]);
    assert_eq!(model.preprocessor().input_columns(), ["x", "y"]);
    let err = Regressor::fit_csv(&path, "nope", &Settings::new()).unwrap_err();
    assert!(matches!(err, Error::UnknownColumn { .. }), "{err}");
}
