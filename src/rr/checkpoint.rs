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
//! continue_search(&f, &p, &mut resumed, &mut Hooks { after_round: &mut |_| Ok(()), stop: &|| false }).unwrap();
//! assert_eq!(resumed.output.distinct_minima(1e-3).len(), 4);
//! ```

use super::archive::{Archive, Entry, Order};
use super::ridges::Choice;
use super::{
    ApproximateParams, DescentParams, Directions, EndReason, RrError, RrOutput, RrParams, SearchState, Solution,
    Spectrum,
};
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
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| (h ^ b as u64).wrapping_mul(0x100_0000_01b3))
}

/// A key for "the same search": the FNV-1a hash of a fixed text naming every field of
/// the parameters with its value (f64s as the hexadecimal of their bits), then
/// `problem` (any text that tells problems of the same shape apart, e.g. their seeds),
/// the dimension and the start point's bits. Resuming under another key is refused.
///
/// ```
/// use ridge_rider::rr::checkpoint::search_key;
/// use ridge_rider::rr::RrParams;
/// let p = RrParams::default();
/// let key = search_key(&p, "wells", 2, &[0.0, 0.0]);
/// assert_eq!(key, search_key(&p.clone(), "wells", 2, &[0.0, 0.0]));
/// assert_ne!(key, search_key(&RrParams { alpha: 0.2, ..p.clone() }, "wells", 2, &[0.0, 0.0]));
/// assert_ne!(key, search_key(&p, "wells", 2, &[0.0, -0.0]));
/// ```
pub fn search_key(p: &RrParams, problem: &str, dim: usize, theta_mis: &[f64]) -> u64 {
    let mut k = KeyText(params_text(p));
    k.text("problem", problem);
    k.int("dim", dim as u64);
    k.int("theta_mis.len", theta_mis.len() as u64);
    theta_mis.iter().for_each(|&x| k.float("theta_mis", x));
    fnv1a(&k.0)
}

/// `name=value;` for every field of `p`, in a fixed order. Every struct is destructured
/// without `..` and every enum matched without `_`, so a field or variant added to the
/// parameters does not compile until it is added here.
fn params_text(p: &RrParams) -> Vec<u8> {
    let RrParams {
        n_ridges,
        spectrum,
        approximate,
        alpha,
        adaptive_alpha,
        alpha_warm_start,
        alpha_min,
        delta_break,
        negative_tol,
        group_tol,
        one_per_group,
        min_improvement,
        max_ride_steps,
        max_depth,
        order,
        max_evaluations,
        max_hvps,
        final_descent,
        update_ridge,
        directions,
        solutions_at_branch_points,
        descent_only_above,
        expand_label_once_per_depth,
        round,
        seed,
    } = p;
    let mut k = KeyText(Vec::new());
    k.int("n_ridges", *n_ridges as u64);
    match spectrum {
        Spectrum::Exact => k.word("spectrum", "exact"),
        Spectrum::Lanczos { tol, max_hvps } => {
            k.word("spectrum", "lanczos");
            k.float("spectrum.tol", *tol);
            k.int("spectrum.max_hvps", *max_hvps as u64);
        }
    }
    let ApproximateParams { inner_steps, lr_x, lr_lambda } = approximate;
    k.int("approximate.inner_steps", *inner_steps as u64);
    k.float("approximate.lr_x", *lr_x);
    k.float("approximate.lr_lambda", *lr_lambda);
    k.float("alpha", *alpha);
    k.flag("adaptive_alpha", *adaptive_alpha);
    k.flag("alpha_warm_start", *alpha_warm_start);
    k.float("alpha_min", *alpha_min);
    k.float("delta_break", *delta_break);
    k.float("negative_tol", *negative_tol);
    k.float("group_tol", *group_tol);
    k.flag("one_per_group", *one_per_group);
    k.float("min_improvement", *min_improvement);
    k.int("max_ride_steps", *max_ride_steps as u64);
    k.int("max_depth", *max_depth as u64);
    let order = match order {
        Order::BreadthFirst => "breadth-first",
        Order::DepthFirst => "depth-first",
        Order::BestLoss => "best-loss",
        Order::Random => "random",
    };
    k.word("order", order);
    k.int("max_evaluations", *max_evaluations as u64);
    k.int("max_hvps", *max_hvps as u64);
    match final_descent {
        None => k.word("final_descent", "none"),
        Some(DescentParams { steps, lr, grad_tol }) => {
            k.word("final_descent", "some");
            k.int("final_descent.steps", *steps as u64);
            k.float("final_descent.lr", *lr);
            k.float("final_descent.grad_tol", *grad_tol);
        }
    }
    k.flag("update_ridge", *update_ridge);
    let directions = match directions {
        Directions::Eigenvectors => "eigenvectors",
        Directions::RandomDescent => "random-descent",
    };
    k.word("directions", directions);
    k.flag("solutions_at_branch_points", *solutions_at_branch_points);
    k.float("descent_only_above", *descent_only_above);
    k.flag("expand_label_once_per_depth", *expand_label_once_per_depth);
    k.int("round", *round as u64);
    k.int("seed", *seed);
    k.0
}

/// The key's text, one `name=value;` at a time.
struct KeyText(Vec<u8>);
impl KeyText {
    fn field(&mut self, name: &str, value: fmt::Arguments) {
        use std::io::Write;
        write!(self.0, "{name}={value};").expect("writing to a Vec cannot fail");
    }
    fn int(&mut self, name: &str, x: u64) {
        self.field(name, format_args!("{x}"));
    }
    fn float(&mut self, name: &str, x: f64) {
        self.field(name, format_args!("{:016x}", x.to_bits()));
    }
    fn flag(&mut self, name: &str, x: bool) {
        self.field(name, format_args!("{}", x as u8));
    }
    /// One of a fixed set of names (no `;` in them).
    fn word(&mut self, name: &str, x: &str) {
        self.field(name, format_args!("{x}"));
    }
    /// Any text, length first, so no text can pass for another's end and a next field.
    fn text(&mut self, name: &str, x: &str) {
        self.field(name, format_args!("{}:{x}", x.len()));
    }
}

struct W(Vec<u8>);
impl W {
    fn u(&mut self, x: u64) {
        self.0.extend_from_slice(&x.to_le_bytes());
    }
    fn f(&mut self, x: f64) {
        self.u(x.to_bits());
    }
    fn fs(&mut self, xs: &[f64]) {
        self.u(xs.len() as u64);
        xs.iter().for_each(|&x| self.f(x));
    }
    fn s(&mut self, s: &str) {
        self.u(s.len() as u64);
        self.0.extend_from_slice(s.as_bytes());
    }
    fn fp(&mut self, c: &[Choice]) {
        self.u(c.len() as u64);
        for x in c {
            self.u(x.index as u64);
            self.u(if x.sign > 0 { 1 } else { 0 });
        }
    }
}

struct R<'a>(&'a [u8], usize);
impl R<'_> {
    fn bad() -> CheckpointError {
        CheckpointError::Corrupt
    }
    fn u(&mut self) -> Result<u64, CheckpointError> {
        let b = self.0.get(self.1..self.1 + 8).ok_or_else(Self::bad)?;
        self.1 += 8;
        Ok(u64::from_le_bytes(b.try_into().expect("8 bytes")))
    }
    fn len(&mut self) -> Result<usize, CheckpointError> {
        let n = self.u()? as usize;
        // Every element takes at least one byte: a length beyond the file is corrupt.
        if n > self.0.len() {
            return Err(Self::bad());
        }
        Ok(n)
    }
    fn f(&mut self) -> Result<f64, CheckpointError> {
        Ok(f64::from_bits(self.u()?))
    }
    fn fs(&mut self) -> Result<Vec<f64>, CheckpointError> {
        let n = self.len()?;
        (0..n).map(|_| self.f()).collect()
    }
    fn s(&mut self) -> Result<String, CheckpointError> {
        let n = self.len()?;
        let b = self.0.get(self.1..self.1 + n).ok_or_else(Self::bad)?;
        self.1 += n;
        String::from_utf8(b.to_vec()).map_err(|_| Self::bad())
    }
    fn fp(&mut self) -> Result<Vec<Choice>, CheckpointError> {
        let n = self.len()?;
        (0..n).map(|_| Ok(Choice { index: self.u()? as usize, sign: if self.u()? == 1 { 1 } else { -1 } })).collect()
    }
}

const REASONS: [EndReason; 7] = [
    EndReason::OverlapBelowThreshold,
    EndReason::CurvatureNonNegative,
    EndReason::LossStoppedImproving,
    EndReason::StepLimit,
    EndReason::Budget,
    EndReason::NonFinite,
    EndReason::SpectrumNotConverged,
];

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
    for s in &o.solutions {
        w.fs(&s.theta);
        w.f(s.loss);
        w.fp(&s.fingerprint);
        w.u(s.steps as u64);
        w.u(s.hvps as u64);
        w.u(REASONS.iter().position(|r| *r == s.end_reason).unwrap_or(0) as u64);
        match &s.label {
            Some(l) => {
                w.u(1);
                w.s(l);
            }
            None => w.u(0),
        }
    }
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

fn decode_state(bytes: &[u8], id: &Identity, p: &RrParams) -> Result<SearchState, CheckpointError> {
    if let Some((_, version)) = OLD_MAGICS.iter().find(|(m, _)| bytes.starts_with(&m[..])) {
        return Err(CheckpointError::OldFormat { version: *version });
    }
    if bytes.len() < 24 || &bytes[..8] != MAGIC {
        return Err(CheckpointError::NotACheckpoint);
    }
    let (body, sum) = bytes.split_at(bytes.len() - 8);
    if fnv1a(body) != u64::from_le_bytes(sum.try_into().expect("8 bytes")) {
        return Err(R::bad());
    }
    let mut r = R(body, 8);
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
    let vector = |r: &mut R, what: &'static str| -> Result<Vec<f64>, CheckpointError> {
        let v = r.fs()?;
        if v.len() != id.dim {
            return Err(CheckpointError::Dimension { what, len: v.len(), dim: id.dim });
        }
        Ok(v)
    };
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
        let (theta, loss, fingerprint, steps, hvps) =
            (vector(&mut r, "solution")?, r.f()?, r.fp()?, r.u()? as usize, r.u()? as usize);
        let end_reason = *REASONS.get(r.u()? as usize).ok_or_else(R::bad)?;
        let label = if r.u()? == 1 { Some(r.s()?) } else { None };
        solutions.push(Solution { theta, loss, fingerprint, steps, hvps, end_reason, label });
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The start point and problem of the key tests.
    fn key(p: &RrParams) -> u64 {
        search_key(p, "wells", 2, &[0.0, 0.0])
    }

    #[test]
    fn the_key_of_equal_parameters_is_equal_and_changes_with_every_field() {
        let base = RrParams::default();
        assert_eq!(key(&base), key(&base.clone()));
        type Change = fn(&mut RrParams);
        let changes: [(&str, Change); 32] = [
            ("n_ridges", |p| p.n_ridges = 5),
            ("spectrum", |p| p.spectrum = Spectrum::Lanczos { tol: 1e-8, max_hvps: 200 }),
            ("approximate.inner_steps", |p| p.approximate.inner_steps = 5),
            ("approximate.lr_x", |p| p.approximate.lr_x = 0.25),
            ("approximate.lr_lambda", |p| p.approximate.lr_lambda = 2e-3),
            ("alpha", |p| p.alpha = 0.1 + f64::EPSILON),
            ("adaptive_alpha", |p| p.adaptive_alpha = false),
            ("alpha_warm_start", |p| p.alpha_warm_start = true),
            ("alpha_min", |p| p.alpha_min = 1e-7),
            ("delta_break", |p| p.delta_break = 0.9),
            ("negative_tol", |p| p.negative_tol = 1e-9),
            ("group_tol", |p| p.group_tol = 1e-5),
            ("one_per_group", |p| p.one_per_group = true),
            ("min_improvement", |p| p.min_improvement = -0.0),
            ("max_ride_steps", |p| p.max_ride_steps = 999),
            ("max_depth", |p| p.max_depth = 7),
            ("order dfs", |p| p.order = Order::DepthFirst),
            ("order best", |p| p.order = Order::BestLoss),
            ("order random", |p| p.order = Order::Random),
            ("max_evaluations", |p| p.max_evaluations = 99_999),
            ("max_hvps", |p| p.max_hvps = 1000),
            ("final_descent none", |p| p.final_descent = None),
            ("final_descent.steps", |p| p.final_descent.as_mut().unwrap().steps = 1999),
            ("final_descent.lr", |p| p.final_descent.as_mut().unwrap().lr = 0.2),
            ("final_descent.grad_tol", |p| p.final_descent.as_mut().unwrap().grad_tol = 1e-8),
            ("update_ridge", |p| p.update_ridge = false),
            ("directions", |p| p.directions = Directions::RandomDescent),
            ("solutions_at_branch_points", |p| p.solutions_at_branch_points = true),
            ("descent_only_above", |p| p.descent_only_above = 1.0),
            ("expand_label_once_per_depth", |p| p.expand_label_once_per_depth = true),
            ("round", |p| p.round = 4),
            ("seed", |p| p.seed = 1),
        ];
        let mut keys = vec![("default", key(&base))];
        for (name, change) in changes {
            let mut p = base.clone();
            change(&mut p);
            keys.push((name, key(&p)));
        }
        for (i, (a, ka)) in keys.iter().enumerate() {
            for (b, kb) in &keys[i + 1..] {
                assert_ne!(ka, kb, "{a} and {b} share a key");
            }
        }
        // Within a Lanczos spectrum, each of its fields counts too.
        let lanczos = |tol, max_hvps| key(&RrParams { spectrum: Spectrum::Lanczos { tol, max_hvps }, ..base.clone() });
        assert_ne!(lanczos(1e-8, 200), lanczos(1e-7, 200));
        assert_ne!(lanczos(1e-8, 200), lanczos(1e-8, 201));
    }

    #[test]
    fn the_problem_the_dimension_and_the_start_point_are_in_the_key() {
        let p = RrParams::default();
        let k = search_key(&p, "wells", 2, &[0.0, 0.0]);
        assert_ne!(k, search_key(&p, "wells2", 2, &[0.0, 0.0]));
        assert_ne!(k, search_key(&p, "wells", 3, &[0.0, 0.0]));
        assert_ne!(k, search_key(&p, "wells", 2, &[0.0, 1e-300]));
        assert_ne!(k, search_key(&p, "wells", 2, &[0.0, 0.0, 0.0]));
        // The problem's text cannot pass for a following field.
        assert_ne!(search_key(&p, "a;dim=2;", 2, &[]), search_key(&p, "a", 2, &[]));
    }

    /// The encoding is pinned: a checkpoint written by this version must resume under
    /// the next one. If this fails, the key's encoding changed: bump `MAGIC` (and add
    /// the old one to `OLD_MAGICS`) with the new constants. (The key was checked
    /// against FNV-1a of the text plus `problem=5:wells;dim=2;theta_mis.len=2;` and two
    /// `theta_mis=0000000000000000;`, computed outside Rust.)
    #[test]
    fn the_key_of_the_default_parameters_is_pinned() {
        let text = String::from_utf8(params_text(&RrParams::default())).unwrap();
        assert_eq!(text, PINNED_TEXT);
        assert_eq!(key(&RrParams::default()), PINNED_KEY, "{:#018x}", key(&RrParams::default()));
    }

    const PINNED_TEXT: &str = concat!(
        "n_ridges=6;spectrum=exact;approximate.inner_steps=4;approximate.lr_x=3fe0000000000000;",
        "approximate.lr_lambda=3f50624dd2f1a9fc;alpha=3fb999999999999a;adaptive_alpha=1;alpha_warm_start=0;",
        "alpha_min=3eb0c6f7a0b5ed8d;delta_break=3fee666666666666;negative_tol=3e45798ee2308c3a;",
        "group_tol=3eb0c6f7a0b5ed8d;one_per_group=0;min_improvement=0000000000000000;max_ride_steps=1000;",
        "max_depth=8;order=breadth-first;max_evaluations=100000;max_hvps=18446744073709551615;",
        "final_descent=some;final_descent.steps=2000;final_descent.lr=3fb999999999999a;",
        "final_descent.grad_tol=3e112e0be826d695;update_ridge=1;directions=eigenvectors;",
        "solutions_at_branch_points=0;descent_only_above=7ff0000000000000;expand_label_once_per_depth=0;",
        "round=8;seed=0;",
    );
    const PINNED_KEY: u64 = 0x3f11_28ca_9e63_af03;
}
