//! Checkpoints of a running search: the archive, the finished solutions and the
//! counters, written atomically (temporary file, then rename) so a search killed at
//! any moment (SIGKILL included) resumes from its last round and produces the same
//! solutions as an uninterrupted run.
//!
//! Format: `RRCKPT01`, a 64-bit key identifying the problem and parameters, the state
//! as little-endian integers and raw f64 bits, and an FNV-1a checksum of all of it. A
//! truncated, corrupted or mismatched file is rejected with a clear error.
//!
//! ```
//! use ridge_rider::ad::{loss_fn, Var};
//! use ridge_rider::rr::checkpoint::{decode, encode, search_key};
//! use ridge_rider::rr::{continue_search, start_search, Hooks, RrParams};
//! let f = loss_fn(2, |t: Var| (t * t - 1.0).powi(2).sum() - 0.1 * t.at(0) * t.at(0));
//! let p = RrParams::default();
//! let key = search_key(&format!("{p:?}"), 2, &[0.0, 0.0]);
//! let state = start_search(&f, &[0.0, 0.0], &p).unwrap();
//! let bytes = encode(&state, key);
//! // The state round-trips; a flipped byte or another key is refused.
//! let mut resumed = decode(&bytes, key, &p).unwrap();
//! assert_eq!(resumed.archive.len(), state.archive.len());
//! let mut corrupt = bytes.clone();
//! corrupt[20] ^= 1;
//! assert!(decode(&corrupt, key, &p).is_err() && decode(&bytes, key + 1, &p).is_err());
//! // A resumed search ends as an uninterrupted one would.
//! continue_search(&f, &p, &mut resumed, &mut Hooks { after_round: &mut |_| Ok(()), stop: &|| false }).unwrap();
//! assert_eq!(resumed.output.distinct_minima(1e-3).len(), 4);
//! ```

use super::archive::{Archive, Entry};
use super::ridges::Choice;
use super::{EndReason, RrError, RrOutput, SearchState, Solution};
use std::path::Path;

const MAGIC: &[u8; 8] = b"RRCKPT01";

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| (h ^ b as u64).wrapping_mul(0x100_0000_01b3))
}

/// A key for "the same search": hash of the parameters' debug text, the problem's
/// dimension and the start point. Resuming under another key is refused.
pub fn search_key(params_debug: &str, dim: usize, theta_mis: &[f64]) -> u64 {
    let mut bytes = params_debug.as_bytes().to_vec();
    bytes.extend_from_slice(&(dim as u64).to_le_bytes());
    theta_mis.iter().for_each(|x| bytes.extend_from_slice(&x.to_bits().to_le_bytes()));
    fnv1a(&bytes)
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
    fn bad() -> RrError {
        RrError::Checkpoint("file is truncated or corrupted".into())
    }
    fn u(&mut self) -> Result<u64, RrError> {
        let b = self.0.get(self.1..self.1 + 8).ok_or_else(Self::bad)?;
        self.1 += 8;
        Ok(u64::from_le_bytes(b.try_into().expect("8 bytes")))
    }
    fn len(&mut self) -> Result<usize, RrError> {
        let n = self.u()? as usize;
        // Every element takes at least one byte: a length beyond the file is corrupt.
        if n > self.0.len() {
            return Err(Self::bad());
        }
        Ok(n)
    }
    fn f(&mut self) -> Result<f64, RrError> {
        Ok(f64::from_bits(self.u()?))
    }
    fn fs(&mut self) -> Result<Vec<f64>, RrError> {
        let n = self.len()?;
        (0..n).map(|_| self.f()).collect()
    }
    fn s(&mut self) -> Result<String, RrError> {
        let n = self.len()?;
        let b = self.0.get(self.1..self.1 + n).ok_or_else(Self::bad)?;
        self.1 += n;
        String::from_utf8(b.to_vec()).map_err(|_| Self::bad())
    }
    fn fp(&mut self) -> Result<Vec<Choice>, RrError> {
        let n = self.len()?;
        (0..n).map(|_| Ok(Choice { index: self.u()? as usize, sign: if self.u()? == 1 { 1 } else { -1 } })).collect()
    }
}

const REASONS: [EndReason; 6] = [
    EndReason::OverlapBelowThreshold,
    EndReason::CurvatureNonNegative,
    EndReason::LossStoppedImproving,
    EndReason::StepLimit,
    EndReason::Budget,
    EndReason::NonFinite,
];

/// Serialise a search state under `key`.
pub fn encode(state: &SearchState, key: u64) -> Vec<u8> {
    let mut w = W(MAGIC.to_vec());
    w.u(key);
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

/// Parse a checkpoint, checking magic, checksum and key.
pub fn decode(bytes: &[u8], key: u64, p: &super::RrParams) -> Result<SearchState, RrError> {
    if bytes.len() < 24 || &bytes[..8] != MAGIC {
        return Err(RrError::Checkpoint("not a ridge-rider checkpoint".into()));
    }
    let (body, sum) = bytes.split_at(bytes.len() - 8);
    if fnv1a(body) != u64::from_le_bytes(sum.try_into().expect("8 bytes")) {
        return Err(R::bad());
    }
    let mut r = R(body, 8);
    if r.u()? != key {
        return Err(RrError::Checkpoint("it belongs to a search with other parameters or another problem".into()));
    }
    let (evaluations, timesteps, hvps, unexplored) =
        (r.u()? as usize, r.u()? as usize, r.u()? as usize, r.u()? as usize);
    let (next_serial, pops) = (r.u()?, r.u()?);
    let n = r.len()?;
    let mut entries = Vec::with_capacity(n.min(1 << 16));
    for _ in 0..n {
        entries.push(Entry {
            theta: r.fs()?,
            loss: r.f()?,
            direction: r.fs()?,
            lambda: r.f()?,
            degenerate: r.u()? == 1,
            fingerprint: r.fp()?,
            serial: r.u()?,
        });
    }
    let n = r.len()?;
    let mut solutions = Vec::with_capacity(n.min(1 << 16));
    for _ in 0..n {
        let (theta, loss, fingerprint, steps, hvps) = (r.fs()?, r.f()?, r.fp()?, r.u()? as usize, r.u()? as usize);
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
/// use ridge_rider::rr::checkpoint::{load, save};
/// use ridge_rider::rr::{start_search, RrParams};
/// let f = loss_fn(2, |t: Var| (t * t - 1.0).powi(2).sum() - 0.1 * t.at(0) * t.at(0));
/// let p = RrParams::default();
/// let state = start_search(&f, &[0.0, 0.0], &p).unwrap();
/// let path = std::env::temp_dir().join(format!("rr-doc-{}.checkpoint", std::process::id()));
/// save(&path, &state, 7).unwrap();
/// assert_eq!(load(&path, 7, &p).unwrap().archive.len(), 4);
/// assert!(load(&path, 8, &p).is_err());
/// std::fs::remove_file(&path).unwrap();
/// ```
pub fn save(path: &Path, state: &SearchState, key: u64) -> Result<(), RrError> {
    crate::io::write_atomic(path, &encode(state, key))
        .map_err(|e| RrError::Checkpoint(format!("{}: {e}", path.display())))
}

/// Read a checkpoint; the file is never modified.
pub fn load(path: &Path, key: u64, p: &super::RrParams) -> Result<SearchState, RrError> {
    let bytes = std::fs::read(path).map_err(|e| RrError::Checkpoint(format!("{}: {e}", path.display())))?;
    decode(&bytes, key, p).map_err(|e| match e {
        RrError::Checkpoint(m) => RrError::Checkpoint(format!("{}: {m}", path.display())),
        e => e,
    })
}
