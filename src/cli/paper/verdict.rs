//! What a report section concludes: the claims of the paper checked one by one on a
//! run's own numbers, and a verdict that follows from them alone (every claim held:
//! reproduced; none: not reproduced; otherwise partly).

use serde_json::Value;
use std::path::Path;

/// One experiment's JSON, read for the figures a section quotes.
pub(super) struct Results(pub Value);

impl Results {
    pub fn load(path: &Path) -> Option<Results> {
        let text = std::fs::read_to_string(path).ok()?;
        serde_json::from_str(&text).ok().map(Results)
    }

    fn find(&self, setting: &str, method: &str, metric: &str) -> Option<&Value> {
        self.0["rows"]
            .as_array()?
            .iter()
            .find(|r| r["setting"] == setting && r["method"] == method && r["metric"] == metric)
    }

    /// A row's mean.
    pub fn mean(&self, setting: &str, method: &str, metric: &str) -> Option<f64> {
        self.find(setting, method, metric)?["mean"].as_f64()
    }

    /// A row as "mean ± ci" (the interval only where n ≥ 3), times `scale`.
    pub fn shown(&self, setting: &str, method: &str, metric: &str, scale: f64) -> String {
        let Some(row) = self.find(setting, method, metric) else { return "–".into() };
        let mean = row["mean"].as_f64().map(|m| m * scale);
        let ci = row["ci95"].as_f64().filter(|_| row["n"].as_u64().unwrap_or(0) >= 3).map(|c| c * scale);
        match (mean, ci) {
            (Some(m), Some(c)) => format!("{m:.1} ± {c:.1}"),
            (Some(m), None) => format!("{m:.1}"),
            _ => "–".into(),
        }
    }

    /// Each of `settings`' means, "a / b / c", times `scale`.
    pub fn across(&self, settings: &[String], method: &str, metric: &str, scale: f64) -> String {
        let cells: Vec<String> = settings
            .iter()
            .map(|s| self.mean(s, method, metric).map_or("–".into(), |m| format!("{:.1}", m * scale)))
            .collect();
        cells.join(" / ")
    }

    /// The settings of the rows of `metric`, in order of first appearance.
    pub fn settings(&self, metric: &str) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for r in self.0["rows"].as_array().into_iter().flatten().filter(|r| r["metric"] == metric) {
            let s = r["setting"].as_str().unwrap_or("").to_string();
            if !out.contains(&s) {
                out.push(s);
            }
        }
        out
    }
}

/// One claim of the paper, as this run's numbers bear it out.
pub(super) struct Check {
    pub claim: String,
    /// None: this run has not the numbers to tell (a method or setting it did not run).
    pub held: Option<bool>,
}

impl Check {
    pub fn new(claim: impl Into<String>, held: Option<bool>) -> Check {
        Check { claim: claim.into(), held }
    }
}

/// A section's conclusion.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Verdict {
    Reproduced,
    Partly,
    NotReproduced,
    /// No claim could be checked on this run.
    NotChecked,
}

impl Verdict {
    pub fn of(checks: &[Check]) -> Verdict {
        let known: Vec<bool> = checks.iter().filter_map(|c| c.held).collect();
        match (known.iter().filter(|h| **h).count(), known.len()) {
            (_, 0) => Verdict::NotChecked,
            (held, all) if held == all => Verdict::Reproduced,
            (0, _) => Verdict::NotReproduced,
            _ => Verdict::Partly,
        }
    }

    pub fn text(self) -> &'static str {
        match self {
            Verdict::Reproduced => "reproduced",
            Verdict::Partly => "partly reproduced",
            Verdict::NotReproduced => "not reproduced",
            Verdict::NotChecked => "not checked",
        }
    }
}

/// The one-line verdict: the conclusion, then each claim with yes / no / not run.
pub(super) fn verdict_line(checks: &[Check]) -> String {
    let claims: Vec<String> = checks
        .iter()
        .map(|c| {
            let mark = match c.held {
                Some(true) => "yes",
                Some(false) => "no",
                None => "not in this run",
            };
            format!("{}: {mark}", c.claim)
        })
        .collect();
    format!("**Verdict: {}** ({})", Verdict::of(checks).text(), claims.join("; "))
}

/// `Some(all of xs hold)` when there are any, else None.
pub(super) fn all_of(xs: impl IntoIterator<Item = Option<bool>>) -> Option<bool> {
    let xs: Option<Vec<bool>> = xs.into_iter().collect();
    xs.filter(|v| !v.is_empty()).map(|v| v.iter().all(|b| *b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_verdict_follows_from_the_checks() {
        let c = |h| Check::new("c", h);
        assert_eq!(Verdict::of(&[c(Some(true)), c(Some(true)), c(None)]), Verdict::Reproduced);
        assert_eq!(Verdict::of(&[c(Some(true)), c(Some(false))]), Verdict::Partly);
        assert_eq!(Verdict::of(&[c(Some(false)), c(None)]), Verdict::NotReproduced);
        assert_eq!(Verdict::of(&[c(None)]), Verdict::NotChecked);
        assert_eq!(all_of([Some(true), Some(false)]), Some(false));
        assert_eq!(all_of([Some(true), None]), None);
        assert_eq!(all_of(Vec::<Option<bool>>::new()), None);
    }

    #[test]
    fn rows_are_read_by_setting_method_and_metric() {
        let r = Results(serde_json::json!({"rows": [
            {"setting": "depth=4", "method": "rr", "metric": "percent_found", "mean": 90.4, "ci95": 3.0, "n": 20},
            {"setting": "depth=6", "method": "rr", "metric": "percent_found", "mean": 78.9, "ci95": 9.0, "n": 2}]}));
        assert_eq!(r.settings("percent_found"), ["depth=4", "depth=6"]);
        assert_eq!(r.across(&r.settings("percent_found"), "rr", "percent_found", 1.0), "90.4 / 78.9");
        assert_eq!(r.shown("depth=4", "rr", "percent_found", 1.0), "90.4 ± 3.0");
        assert_eq!(r.shown("depth=6", "rr", "percent_found", 1.0), "78.9", "no interval on two runs");
        assert_eq!(r.shown("depth=8", "rr", "percent_found", 1.0), "–");
    }
}
