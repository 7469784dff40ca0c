//! Saving an estimator: its network, training record and preprocessing in
//! one model file ([`Network::save_with_preprocessing`]), and loading it
//! back with every part checked against the others.

use std::path::Path;

use super::fit::Scalar;
use crate::model::{Preprocessing, SavedNetwork, TrainingRecord};
use crate::prep::{Preprocessor, TargetEncoding};
use crate::{Activation, Error, Network, Result};

/// What an estimator's model file holds.
pub(super) struct Parts {
    pub network: Network<Scalar>,
    pub record: TrainingRecord,
    pub features: Preprocessor,
    pub target: TargetEncoding,
}

/// Saves the parts to `path`, atomically.
pub(super) fn save(
    path: &Path,
    network: &Network<Scalar>,
    record: &TrainingRecord,
    features: &Preprocessor,
    target: TargetEncoding,
) -> Result<()> {
    let preprocessing = Preprocessing::new(Some(features.clone()), Some(target));
    network.save_with_preprocessing(path, record, &preprocessing)
}

/// Loads the parts from `path` and checks that they make one estimator:
/// the network takes the preprocessor's features and has one output per
/// class (softmax) or one linear output.
pub(super) fn load(path: &Path) -> Result<Parts> {
    let saved = SavedNetwork::<Scalar>::load(path)?;
    let bad = |reason: String| Error::ModelFormat {
        source_name: path.display().to_string(),
        reason,
    };
    let (features, target) = match saved.preprocessing {
        Some(Preprocessing {
            features: Some(f),
            target: Some(t),
            ..
        }) => (f, t),
        _ => {
            return Err(bad(
                "it holds a network without the preprocessing of an estimator (saved by Network::save, not by Classifier::save or Regressor::save); load it with Network::load".into(),
            ));
        }
    };
    let network = saved.network;
    if network.input_size() != features.n_features() {
        return Err(bad(format!(
            "the network takes {} inputs but the preprocessing makes {} features",
            network.input_size(),
            features.n_features()
        )));
    }
    let expected = match &target {
        TargetEncoding::Classes(_) => Activation::Softmax,
        TargetEncoding::Values(_) => Activation::Identity,
    };
    if network.output_size() != target.n_outputs() || network.output_activation() != expected {
        return Err(bad(format!(
            "the network has {} {} outputs but its target needs {} {expected} outputs",
            network.output_size(),
            network.output_activation(),
            target.n_outputs()
        )));
    }
    Ok(Parts {
        network,
        record: saved.record,
        features,
        target,
    })
}
