//! The binary encoding of checkpoints and ride files: little-endian u64s, f64s bit
//! for bit, length-prefixed vectors and strings, and the search's own types built on
//! them. Both readers refuse anything that runs past the end.

use super::CheckpointError;
use crate::rr::follow::EndReason;
use crate::rr::ridges::Choice;
use crate::rr::Solution;

pub(super) struct W(pub(super) Vec<u8>);
impl W {
    pub(super) fn u(&mut self, x: u64) {
        self.0.extend_from_slice(&x.to_le_bytes());
    }
    pub(super) fn f(&mut self, x: f64) {
        self.u(x.to_bits());
    }
    pub(super) fn fs(&mut self, xs: &[f64]) {
        self.u(xs.len() as u64);
        xs.iter().for_each(|&x| self.f(x));
    }
    pub(super) fn s(&mut self, s: &str) {
        self.u(s.len() as u64);
        self.0.extend_from_slice(s.as_bytes());
    }
    pub(super) fn fp(&mut self, c: &[Choice]) {
        self.u(c.len() as u64);
        for x in c {
            self.u(x.index as u64);
            self.u(if x.sign > 0 { 1 } else { 0 });
        }
    }
    pub(super) fn solution(&mut self, s: &Solution) {
        self.fs(&s.theta);
        self.f(s.loss);
        self.fp(&s.fingerprint);
        self.u(s.steps as u64);
        self.u(s.hvps as u64);
        self.reason(s.end_reason);
        match &s.label {
            Some(l) => {
                self.u(1);
                self.s(l);
            }
            None => self.u(0),
        }
    }
    pub(super) fn reason(&mut self, r: EndReason) {
        self.u(REASONS.iter().position(|x| *x == r).unwrap_or(0) as u64);
    }
}

pub(super) struct R<'a>(pub(super) &'a [u8], pub(super) usize);
impl R<'_> {
    pub(super) fn bad() -> CheckpointError {
        CheckpointError::Corrupt
    }
    pub(super) fn u(&mut self) -> Result<u64, CheckpointError> {
        let b = self.0.get(self.1..self.1 + 8).ok_or_else(Self::bad)?;
        self.1 += 8;
        Ok(u64::from_le_bytes(b.try_into().expect("8 bytes")))
    }
    pub(super) fn len(&mut self) -> Result<usize, CheckpointError> {
        let n = self.u()? as usize;
        // Every element takes at least one byte: a length beyond the file is corrupt.
        if n > self.0.len() {
            return Err(Self::bad());
        }
        Ok(n)
    }
    pub(super) fn f(&mut self) -> Result<f64, CheckpointError> {
        Ok(f64::from_bits(self.u()?))
    }
    pub(super) fn fs(&mut self) -> Result<Vec<f64>, CheckpointError> {
        let n = self.len()?;
        (0..n).map(|_| self.f()).collect()
    }
    pub(super) fn s(&mut self) -> Result<String, CheckpointError> {
        let n = self.len()?;
        let b = self.0.get(self.1..self.1 + n).ok_or_else(Self::bad)?;
        self.1 += n;
        String::from_utf8(b.to_vec()).map_err(|_| Self::bad())
    }
    pub(super) fn fp(&mut self) -> Result<Vec<Choice>, CheckpointError> {
        let n = self.len()?;
        (0..n).map(|_| Ok(Choice { index: self.u()? as usize, sign: if self.u()? == 1 { 1 } else { -1 } })).collect()
    }
    /// A vector of the problem's dimension `dim`.
    pub(super) fn vector(&mut self, what: &'static str, dim: usize) -> Result<Vec<f64>, CheckpointError> {
        let v = self.fs()?;
        if v.len() != dim {
            return Err(CheckpointError::Dimension { what, len: v.len(), dim });
        }
        Ok(v)
    }
    pub(super) fn solution(&mut self, dim: usize) -> Result<Solution, CheckpointError> {
        let (theta, loss, fingerprint, steps, hvps) =
            (self.vector("solution", dim)?, self.f()?, self.fp()?, self.u()? as usize, self.u()? as usize);
        let end_reason = self.reason()?;
        let label = if self.u()? == 1 { Some(self.s()?) } else { None };
        Ok(Solution { theta, loss, fingerprint, steps, hvps, end_reason, label })
    }
    pub(super) fn reason(&mut self) -> Result<EndReason, CheckpointError> {
        REASONS.get(self.u()? as usize).copied().ok_or_else(Self::bad)
    }
}

pub(super) const REASONS: [EndReason; 7] = [
    EndReason::OverlapBelowThreshold,
    EndReason::CurvatureNonNegative,
    EndReason::LossStoppedImproving,
    EndReason::StepLimit,
    EndReason::Budget,
    EndReason::NonFinite,
    EndReason::SpectrumNotConverged,
];
