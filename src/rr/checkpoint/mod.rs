//! Checkpoints of a running search: the archive, the finished solutions and the
//! counters, written atomically (temporary file, then rename) so a search killed at
//! any moment (SIGKILL included) resumes from its last round and produces the same
//! solutions as an uninterrupted run.
//!
//! Format: `RRCKPT03`, a 64-bit key identifying the problem and parameters (a stable
//! hash, see [`search_key`]), the parameter dimension and the problem's shape (e.g. `tree depth=8 seed=1`), the state
//! as little-endian integers and raw f64 bits, and an FNV-1a checksum of all of it. A
//! truncated, corrupted or mismatched file is rejected with a clear error, and so is
//! one whose vectors do not have the problem's dimension (a forged file whose checksum
//! was recomputed); [`CheckpointError`] says which.
//!
//! ```
//! use ridge_rider::ad::{loss_fn, Var};
//! use ridge_rider::rr::checkpoint::{decode, encode, search_key, Identity};
//! use ridge_rider::rr::{continue_search, start_search, Hooks, RrParams};
//! let f = loss_fn(2, |t: Var| (t * t - 1.0).powi(2).sum() - 0.1 * t.at(0) * t.at(0));
//! let p = RrParams::default();
//! let id = Identity { key: search_key(&p, "wells", 2, &[0.0, 0.0]), dim: 2, shape: "wells".into() };
//! let state = start_search(&f, &[0.0, 0.0], &p).unwrap();
//! let bytes = encode(&state, &id);
//! // The state round-trips; a flipped byte, another key, dimension or shape is refused.
//! let mut resumed = decode(&bytes, &id, &p).unwrap();
//! assert_eq!(resumed.archive.len(), state.archive.len());
//! let mut corrupt = bytes.clone();
//! corrupt[40] ^= 1;
//! assert!(decode(&corrupt, &id, &p).is_err());
//! assert!(decode(&bytes, &Identity { key: id.key + 1, ..id.clone() }, &p).is_err());
//! assert!(decode(&bytes, &Identity { dim: 3, ..id.clone() }, &p).is_err());
//! assert!(decode(&bytes, &Identity { shape: "bowl".into(), ..id.clone() }, &p).is_err());
//! // A resumed search ends as an uninterrupted one would.
//! continue_search(&f, &p, &mut resumed, &mut Hooks::default()).unwrap();
//! assert_eq!(resumed.output.distinct_minima(1e-3).len(), 4);
//! ```

mod codec;
mod key;
mod ride;
pub use ride::{decode_ride, encode_ride};

use super::archive::{Archive, Entry};
use super::{RrError, RrOutput, RrParams, SearchState};
use codec::{R, W};
pub use key::search_key;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

const MAGIC: &[u8; 8] = b"RRCKPT03";
/// The earlier formats: 1 without dimension and shape, 2 keyed by the parameters'
/// `Debug` text (see [`search_key`]). Both are refused with a message saying so.
const OLD_MAGICS: [(&[u8; 8], u8); 2] = [(b"RRCKPT01", 1), (b"RRCKPT02", 2)];

/// Why a checkpoint could not be written, read or resumed.
///
/// ```
/// use ridge_rider::rr::checkpoint::{decode, CheckpointError, Identity};
/// use ridge_rider::rr::{RrError, RrParams};
/// let id = Identity { key: 7, dim: 2, shape: "wells".into() };
/// let err = decode(b"RRCKPT01 and the rest", &id, &RrParams::default()).err().unwrap();
/// assert_eq!(err, RrError::Checkpoint(CheckpointError::OldFormat { version: 1 }));
/// assert!(err.to_string().starts_with("checkpoint: written by an older ridge-rider (format 1"));
/// ```
#[derive(Clone, Debug)]
pub enum CheckpointError {
    /// The file could not be read or written (the I/O error is the
    /// [`source`](std::error::Error::source)).
    Io { path: PathBuf, error: Arc<std::io::Error> },
    /// The bytes do not start with a checkpoint's magic string.
    NotACheckpoint,
    /// Written by an older ridge-rider in format `version`, which this one does not read.
    OldFormat { version: u8 },
    /// Cut short or corrupted: the checksum, a length or a tag does not hold.
    Corrupt,
    /// The file belongs to another problem: its `shape` and `dim`, then this search's.
    OtherProblem { shape: String, dim: u64, expected_shape: String, expected_dim: usize },
    /// The file belongs to the same problem with other parameters or another start
    /// point: its key, then this search's (see [`search_key`]).
    OtherSearch { key: u64, expected: u64 },
    /// A vector in the file (`what`: θ, direction or solution) has length `len`, not the
    /// problem's dimension `dim`: a forged file whose checksum was recomputed.
    Dimension { what: &'static str, len: usize, dim: usize },
    /// The checkpoint at `path` was refused (`error` says why, and is the
    /// [`source`](std::error::Error::source)).
    InFile { path: PathBuf, error: Box<CheckpointError> },
}

impl fmt::Display for CheckpointError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CheckpointError::Io { path, error } => write!(f, "{}: {error}", path.display()),
            CheckpointError::NotACheckpoint => write!(f, "not a ridge-rider checkpoint"),
            CheckpointError::OldFormat { version } => {
                let what = match version {
                    1 => "without the problem's shape",
                    _ => "with a search key that is not stable across versions",
                };
                write!(f, "written by an older ridge-rider (format {version}, {what}); start again with --force")
            }
            CheckpointError::Corrupt => write!(f, "file is truncated or corrupted"),
            CheckpointError::OtherProblem { shape, dim, expected_shape, expected_dim } => {
                write!(
                    f,
                    "it belongs to {shape} with {dim} parameters, this search is {expected_shape} with {expected_dim}"
                )
            }
            CheckpointError::OtherSearch { .. } => {
                write!(f, "it belongs to a search with other parameters or another problem")
            }
            CheckpointError::Dimension { what, len, dim } => {
                write!(f, "a {what} has dimension {len}, the problem {dim}")
            }
            CheckpointError::InFile { path, error } => write!(f, "{}: {error}", path.display()),
        }
    }
}

impl std::error::Error for CheckpointError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            CheckpointError::Io { error, .. } => Some(&**error),
            CheckpointError::InFile { error, .. } => Some(&**error),
            _ => None,
        }
    }
}

/// Equal variants with equal fields; two I/O errors are equal when they are on the
/// same path and of the same [`std::io::ErrorKind`] (`std::io::Error` has no equality).
impl PartialEq for CheckpointError {
    fn eq(&self, other: &Self) -> bool {
        use CheckpointError::*;
        match (self, other) {
            (Io { path: p, error: e }, Io { path: q, error: d }) => p == q && e.kind() == d.kind(),
            (NotACheckpoint, NotACheckpoint) | (Corrupt, Corrupt) => true,
            (OldFormat { version: a }, OldFormat { version: b }) => a == b,
            (
                OtherProblem { shape: s, dim: d, expected_shape: es, expected_dim: ed },
                OtherProblem { shape: t, dim: e, expected_shape: et, expected_dim: ee },
            ) => (s, d, es, ed) == (t, e, et, ee),
            (OtherSearch { key: k, expected: e }, OtherSearch { key: l, expected: f }) => (k, e) == (l, f),
            (Dimension { what: w, len: l, dim: d }, Dimension { what: x, len: m, dim: e }) => (w, l, d) == (x, m, e),
            (InFile { path: p, error: e }, InFile { path: q, error: d }) => p == q && e == d,
            _ => false,
        }
    }
}

/// What a checkpoint must match to be resumed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Identity {
    /// The search's key (see [`search_key`]).
    pub key: u64,
    /// The parameter dimension: every θ and direction in the file has this length.
    pub dim: usize,
    /// The problem's shape in words, e.g. `tree depth=8 seed=1` (named in the refusal).
    pub shape: String,
}

/// FNV-1a, 64 bits: the checksum and the search key (a fixed algorithm, unlike
/// `std`'s `DefaultHasher`, so files written by one build are read by the next).
pub(super) fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| (h ^ b as u64).wrapping_mul(0x100_0000_01b3))
}

/// Serialise a search state under `id`.
pub fn encode(state: &SearchState, id: &Identity) -> Vec<u8> {
    let mut w = W(MAGIC.to_vec());
    w.u(id.key);
    w.u(id.dim as u64);
    w.s(&id.shape);
    let o = &state.output;
    for x in [o.evaluations, o.timesteps, o.hvps, o.unexplored] {
        w.u(x as u64);
    }
    let (entries, next_serial, pops) = state.archive.state();
    let entries: Vec<&Entry> = entries.collect();
    w.u(next_serial);
    w.u(pops);
    w.u(entries.len() as u64);
    for e in entries {
        w.fs(&e.theta);
        w.f(e.loss);
        w.fs(&e.direction);
        w.f(e.lambda);
        w.u(e.degenerate as u64);
        w.fp(&e.fingerprint);
        w.u(e.serial);
    }
    w.u(o.solutions.len() as u64);
    o.solutions.iter().for_each(|s| w.solution(s));
    w.u(state.expanded.len() as u64);
    for (l, d) in &state.expanded {
        w.s(l);
        w.u(*d as u64);
    }
    let sum = fnv1a(&w.0);
    w.u(sum);
    w.0
}

/// Parse a checkpoint, checking magic, checksum, shape, dimension and key, and that
/// every vector has the dimension (every refusal is an [`RrError::Checkpoint`]).
pub fn decode(bytes: &[u8], id: &Identity, p: &RrParams) -> Result<SearchState, RrError> {
    Ok(decode_state(bytes, id, p)?)
}

/// A reader past the magic of a file of at least `min` bytes, whose trailing FNV-1a
/// checksum matches (the checksum itself excluded from what it reads).
fn checked<'a>(bytes: &'a [u8], magic: &[u8; 8], min: usize) -> Result<R<'a>, CheckpointError> {
    if bytes.len() < min || &bytes[..8] != magic {
        return Err(CheckpointError::NotACheckpoint);
    }
    let (body, sum) = bytes.split_at(bytes.len() - 8);
    if fnv1a(body) != u64::from_le_bytes(sum.try_into().expect("8 bytes")) {
        return Err(R::bad());
    }
    Ok(R(body, 8))
}

fn decode_state(bytes: &[u8], id: &Identity, p: &RrParams) -> Result<SearchState, CheckpointError> {
    if let Some((_, version)) = OLD_MAGICS.iter().find(|(m, _)| bytes.starts_with(&m[..])) {
        return Err(CheckpointError::OldFormat { version: *version });
    }
    let mut r = checked(bytes, MAGIC, 24)?;
    let key = r.u()?;
    let (dim, shape) = (r.u()?, r.s()?);
    if shape != id.shape || dim != id.dim as u64 {
        return Err(CheckpointError::OtherProblem {
            shape,
            dim,
            expected_shape: id.shape.clone(),
            expected_dim: id.dim,
        });
    }
    if key != id.key {
        return Err(CheckpointError::OtherSearch { key, expected: id.key });
    }
    let vector = |r: &mut R, what: &'static str| r.vector(what, id.dim);
    let (evaluations, timesteps, hvps, unexplored) =
        (r.u()? as usize, r.u()? as usize, r.u()? as usize, r.u()? as usize);
    let (next_serial, pops) = (r.u()?, r.u()?);
    let n = r.len()?;
    let mut entries = Vec::with_capacity(n.min(1 << 16));
    for _ in 0..n {
        entries.push(Entry {
            theta: vector(&mut r, "θ")?,
            loss: r.f()?,
            direction: vector(&mut r, "direction")?,
            lambda: r.f()?,
            degenerate: r.u()? == 1,
            fingerprint: r.fp()?,
            serial: r.u()?,
        });
    }
    let n = r.len()?;
    let mut solutions = Vec::with_capacity(n.min(1 << 16));
    for _ in 0..n {
        solutions.push(r.solution(id.dim)?);
    }
    let n = r.len()?;
    let mut expanded = std::collections::BTreeSet::new();
    for _ in 0..n {
        expanded.insert((r.s()?, r.u()? as usize));
    }
    let archive = Archive::restore(p.order, p.seed, entries, next_serial, pops);
    let output = RrOutput { solutions, evaluations, timesteps, hvps, unexplored };
    Ok(SearchState { archive, output, expanded })
}

/// Write a checkpoint atomically.
///
/// ```
/// use ridge_rider::ad::{loss_fn, Var};
/// use ridge_rider::rr::checkpoint::{load, save, Identity};
/// use ridge_rider::rr::{start_search, RrParams};
/// let f = loss_fn(2, |t: Var| (t * t - 1.0).powi(2).sum() - 0.1 * t.at(0) * t.at(0));
/// let p = RrParams::default();
/// let state = start_search(&f, &[0.0, 0.0], &p).unwrap();
/// let path = std::env::temp_dir().join(format!("rr-doc-{}.checkpoint", std::process::id()));
/// let id = Identity { key: 7, dim: 2, shape: "wells".into() };
/// save(&path, &state, &id).unwrap();
/// assert_eq!(load(&path, &id, &p).unwrap().archive.len(), 4);
/// assert!(load(&path, &Identity { key: 8, ..id }, &p).is_err());
/// std::fs::remove_file(&path).unwrap();
/// ```
pub fn save(path: &Path, state: &SearchState, id: &Identity) -> Result<(), RrError> {
    crate::io::write_atomic(path, &encode(state, id)).map_err(|e| io_error(path, e).into())
}

/// Read a checkpoint; the file is never modified. A refusal names the file
/// ([`CheckpointError::InFile`]).
pub fn load(path: &Path, id: &Identity, p: &RrParams) -> Result<SearchState, RrError> {
    let bytes = std::fs::read(path).map_err(|e| io_error(path, e))?;
    decode_state(&bytes, id, p)
        .map_err(|e| CheckpointError::InFile { path: path.to_path_buf(), error: Box::new(e) }.into())
}

/// `error` on `path`, kept as the source.
fn io_error(path: &Path, error: std::io::Error) -> CheckpointError {
    CheckpointError::Io { path: path.to_path_buf(), error: Arc::new(error) }
}
