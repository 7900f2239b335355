//! What can go wrong in a search, typed down to the autodiff error it came from.

use super::{checkpoint, ridges};
use crate::ad::AdError;
use crate::linalg::LinalgError;
use std::fmt;

/// What can go wrong in a search.
///
/// ```
/// use ridge_rider::ad::{loss_fn, Var};
/// use ridge_rider::rr::{ridge_rider, RrError, RrParams};
/// // A bowl has no negative curvature to branch on.
/// let bowl = loss_fn(2, |t: Var| t.dot(t));
/// assert_eq!(ridge_rider(&bowl, &[0.0, 0.0], &RrParams::default()).unwrap_err(), RrError::NoNegativeCurvature);
/// // A loss that is NaN at the start is refused.
/// let log = loss_fn(1, |t: Var| t.ln().sum());
/// assert!(matches!(ridge_rider(&log, &[-1.0], &RrParams::default()), Err(RrError::NonFinite(_))));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub enum RrError {
    Ad(AdError),
    Linalg(LinalgError),
    NonFinite(&'static str),
    /// The start point has no negative curvature: nothing to branch on.
    NoNegativeCurvature,
    /// A ridge index beyond the groups of negative eigenvalues found at the start point.
    NoSuchRidge {
        requested: usize,
        available: usize,
    },
    /// The search was asked to stop; its state after the last round was handed to the hooks.
    Interrupted,
    /// A checkpoint could not be written or read, or belongs to another search.
    Checkpoint(checkpoint::CheckpointError),
    /// Input the search cannot use (an empty data set, a shape that does not fit).
    BadInput(InputError),
    /// Lanczos did not resolve the branching spectrum within its HVP limit, after
    /// [`ridges::SPECTRUM_ATTEMPTS`] runs with doubling limits (`residual`: the worst).
    SpectrumNotConverged {
        hvps: usize,
        residual: f64,
    },
    /// A parameter outside its documented range, caught before any work.
    InvalidParameter {
        name: &'static str,
        why: &'static str,
    },
}

impl fmt::Display for RrError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RrError::Ad(e) => write!(f, "{e}"),
            RrError::Linalg(e) => write!(f, "{e}"),
            RrError::NonFinite(what) => write!(f, "non-finite {what}"),
            RrError::NoNegativeCurvature => write!(f, "the start point has no negative curvature"),
            RrError::NoSuchRidge { requested, available } => write!(
                f,
                "ridge {requested} was not found: the negative eigenvalues searched at the start point form {available} groups (ridges 0..{available})"
            ),
            RrError::Interrupted => write!(f, "the search was interrupted"),
            RrError::InvalidParameter { name, why } => write!(f, "{name} {why}"),
            RrError::SpectrumNotConverged { hvps, residual } => write!(
                f,
                "Lanczos did not converge at the branch point ({hvps} HVPs over {} attempts, worst residual {residual:.3e}): raise max_hvps or tol",
                ridges::SPECTRUM_ATTEMPTS
            ),
            RrError::Checkpoint(e) => write!(f, "checkpoint: {e}"),
            RrError::BadInput(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for RrError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            RrError::Ad(e) => Some(e),
            RrError::Linalg(e) => Some(e),
            RrError::Checkpoint(e) => Some(e),
            RrError::BadInput(e) => Some(e),
            RrError::NonFinite(_)
            | RrError::NoNegativeCurvature
            | RrError::NoSuchRidge { .. }
            | RrError::Interrupted
            | RrError::SpectrumNotConverged { .. }
            | RrError::InvalidParameter { .. } => None,
        }
    }
}

impl From<AdError> for RrError {
    fn from(e: AdError) -> Self {
        RrError::Ad(e)
    }
}
impl From<crate::optim::OptimError> for RrError {
    fn from(e: crate::optim::OptimError) -> Self {
        use crate::optim::OptimError;
        match e {
            OptimError::Ad(e) => RrError::Ad(e),
            OptimError::NonFiniteLoss => RrError::NonFinite("loss"),
            OptimError::InvalidParameter { name, why } => RrError::InvalidParameter { name, why },
        }
    }
}
impl From<LinalgError> for RrError {
    fn from(e: LinalgError) -> Self {
        match e {
            LinalgError::NonFinite => RrError::NonFinite("Hessian"),
            e => RrError::Linalg(e),
        }
    }
}
impl From<checkpoint::CheckpointError> for RrError {
    fn from(e: checkpoint::CheckpointError) -> Self {
        RrError::Checkpoint(e)
    }
}
impl From<InputError> for RrError {
    fn from(e: InputError) -> Self {
        RrError::BadInput(e)
    }
}

/// Data a search or a training run cannot use (see [`RrError::BadInput`]); `set` names
/// the data, e.g. `training set` or `probe batch`.
///
/// ```
/// use ridge_rider::rr::{InputError, RrError};
/// let e = RrError::from(InputError::NoExamples { set: "test set" });
/// assert_eq!(e.to_string(), "the test set holds no examples");
/// assert!(matches!(e, RrError::BadInput(InputError::NoExamples { .. })));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InputError {
    /// The data holds no examples.
    NoExamples { set: &'static str },
    /// The images have `pixels` pixels each, the model takes `expected` inputs.
    ImageSize { set: &'static str, pixels: usize, expected: usize },
    /// The label at row `index` is not below the model's number of classes.
    LabelOutOfRange { set: &'static str, index: usize, label: usize, classes: usize },
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InputError::NoExamples { set } => write!(f, "the {set} holds no examples"),
            InputError::ImageSize { set, pixels, expected } => {
                write!(f, "the {set} images have {pixels} pixels, the model expects {expected}")
            }
            InputError::LabelOutOfRange { set, index, label, classes } => {
                write!(f, "label {label} at row {index} of the {set} is not below {classes}")
            }
        }
    }
}

impl std::error::Error for InputError {}
