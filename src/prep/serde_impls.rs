//! serde support for the fitted types (feature `serde`): each is read
//! through a plain twin and checked as `from_bytes` checks it, so that a
//! hand-edited or corrupt JSON file gives an error, not a broken value.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use super::label::check_sorted;
use super::preprocessor::{Fitted, FittedColumn};
use super::{LabelEncoder, OneHotEncoder, Preprocessor, Standardizer, Unknown};

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct StandardizerRepr {
    mean: f64,
    scale: f64,
}

impl From<Standardizer> for StandardizerRepr {
    fn from(s: Standardizer) -> Self {
        StandardizerRepr {
            mean: s.mean(),
            scale: s.scale(),
        }
    }
}

impl TryFrom<StandardizerRepr> for Standardizer {
    type Error = String;
    fn try_from(r: StandardizerRepr) -> Result<Self, String> {
        Standardizer::new(r.mean, r.scale).map_err(|e| e.to_string())
    }
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct OneHotRepr {
    categories: Vec<String>,
    unknown: Unknown,
}

impl From<OneHotEncoder> for OneHotRepr {
    fn from(e: OneHotEncoder) -> Self {
        OneHotRepr {
            unknown: e.unknown(),
            categories: e.categories().to_vec(),
        }
    }
}

impl TryFrom<OneHotRepr> for OneHotEncoder {
    type Error = String;
    fn try_from(r: OneHotRepr) -> Result<Self, String> {
        check_sorted(&r.categories).map_err(|e| format!("one-hot categories: {e}"))?;
        Ok(OneHotEncoder::from_sorted(r.categories, r.unknown))
    }
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct LabelRepr {
    classes: Vec<String>,
}

impl From<LabelEncoder> for LabelRepr {
    fn from(e: LabelEncoder) -> Self {
        LabelRepr {
            classes: e.classes().to_vec(),
        }
    }
}

impl TryFrom<LabelRepr> for LabelEncoder {
    type Error = String;
    fn try_from(r: LabelRepr) -> Result<Self, String> {
        check_sorted(&r.classes).map_err(|e| format!("label classes: {e}"))?;
        Ok(LabelEncoder::from_sorted(r.classes))
    }
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PreprocessorRepr {
    columns: Vec<FittedColumn>,
}

impl From<Preprocessor> for PreprocessorRepr {
    fn from(p: Preprocessor) -> Self {
        PreprocessorRepr {
            columns: p.into_columns(),
        }
    }
}

impl TryFrom<PreprocessorRepr> for Preprocessor {
    type Error = String;
    fn try_from(r: PreprocessorRepr) -> Result<Self, String> {
        if r.columns.is_empty() {
            return Err("a preprocessor needs at least one column".into());
        }
        let mut names = HashSet::new();
        for c in &r.columns {
            if !names.insert(c.name()) {
                return Err(format!("two columns named {:?}", c.name()));
            }
            match c.step() {
                Fitted::Numeric { fill: Some(x), .. } if !x.is_finite() => {
                    return Err(format!(
                        "column {:?}: the value to impute is not finite",
                        c.name()
                    ));
                }
                Fitted::OneHot {
                    encoder,
                    fill: Some(k),
                } if *k >= encoder.n_features() => {
                    return Err(format!(
                        "column {:?}: mode position {k} of {} categories",
                        c.name(),
                        encoder.n_features()
                    ));
                }
                _ => {}
            }
        }
        Ok(Preprocessor::new(r.columns))
    }
}
