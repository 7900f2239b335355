//! Checks every flag passes before any work starts: counts within sane bounds (the
//! bound is in the message, so an absurd count is refused before it is allocated),
//! floats finite and in range, list entries distinct.

use super::common::CliError;

/// Upper bound of `--threads`.
pub const MAX_THREADS: usize = 256;
/// Upper bound of repetition counts: `--trees`, `--runs`, `--replicates`, `--repeats`.
pub const MAX_REPEATS: usize = 10_000;
/// Upper bound of step counts and timestep budgets.
pub const MAX_STEPS: usize = 100_000_000;
/// Upper bound of `--hidden`.
pub const MAX_HIDDEN: usize = 4096;

/// Bad input unless `lo ≤ value ≤ hi`.
pub fn require_count(name: &str, value: usize, lo: usize, hi: usize) -> Result<(), CliError> {
    if (lo..=hi).contains(&value) {
        Ok(())
    } else {
        Err(CliError::Input(format!("{name} must be between {lo} and {hi}, got {value}")))
    }
}

/// Bad input unless every `(name, value, lo, hi)` has `lo ≤ value ≤ hi`.
pub fn require_counts(counts: &[(&str, usize, usize, usize)]) -> Result<(), CliError> {
    counts.iter().try_for_each(|&(name, v, lo, hi)| require_count(name, v, lo, hi))
}

/// How a float range treats its lower end.
#[derive(Clone, Copy, Debug)]
pub enum Low {
    /// `lo ≤ x`.
    Closed,
    /// `lo < x` (e.g. a step that must move).
    Open,
}

/// Bad input unless `value` is finite and in the range (`lo` open or closed, `hi` closed).
pub fn require_float(name: &str, value: f64, lo: f64, low: Low, hi: f64) -> Result<(), CliError> {
    let above = match low {
        Low::Closed => value >= lo,
        Low::Open => value > lo,
    };
    if value.is_finite() && above && value <= hi {
        return Ok(());
    }
    let (open, shut) = match low {
        Low::Closed => ("[", "]"),
        Low::Open => ("(", "]"),
    };
    Err(CliError::Input(format!(
        "{name} must be a finite number in {open}{}, {}{shut}, got {}",
        number(lo),
        number(hi),
        number(value)
    )))
}

/// A float as a person reads it: `0.05`, `1e6`, `1e308`.
pub fn number(x: f64) -> String {
    if x != 0.0 && x.is_finite() && (x.abs() >= 1e6 || x.abs() < 1e-4) {
        format!("{x:e}")
    } else {
        format!("{x}")
    }
}

/// `--methods`: at least one, none twice.
pub fn require_methods(names: &[&str]) -> Result<(), CliError> {
    if names.is_empty() {
        return Err(CliError::Input("--methods must name at least one method".into()));
    }
    require_distinct("--methods", names)
}

/// The tree experiments' `--depths`: at least one, each within 1–30, none twice.
pub fn require_depths(depths: &[usize]) -> Result<(), CliError> {
    if depths.is_empty() || depths.iter().any(|&d| d == 0 || d > 30) {
        return Err(CliError::Input("--depths must list depths between 1 and 30".into()));
    }
    require_distinct("--depths", depths)
}

/// Bad input if a list names one entry twice (`--methods rr,rr` would train twice).
pub fn require_distinct<T: PartialEq + std::fmt::Display>(name: &str, items: &[T]) -> Result<(), CliError> {
    for (i, x) in items.iter().enumerate() {
        if items[..i].contains(x) {
            return Err(CliError::Input(format!("{name} lists {x} twice")));
        }
    }
    Ok(())
}

/// `a..b` with a < b (and b ≤ `max` when given), for the flag `flag`.
pub fn parse_range(flag: &str, s: &str, max: Option<usize>) -> Result<(usize, usize), CliError> {
    let bound = max.map_or(String::new(), |m| format!(" <= {m}"));
    let bad = || CliError::Input(format!("{flag} must look like a..b with a < b{bound}, got '{s}'"));
    let (a, b) = s.split_once("..").ok_or_else(bad)?;
    let (a, b): (usize, usize) = (a.trim().parse().map_err(|_| bad())?, b.trim().parse().map_err(|_| bad())?);
    if a >= b || max.is_some_and(|m| b > m) {
        return Err(bad());
    }
    Ok((a, b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_are_in_the_messages() {
        let e = require_count("--trees", usize::MAX, 1, MAX_REPEATS).unwrap_err().to_string();
        assert!(e.contains("10000") && e.contains("--trees"), "{e}");
        assert!(require_float("--alpha", 0.0, 0.0, Low::Open, 10.0).is_err());
        assert!(require_float("--lr-x", 0.0, 0.0, Low::Closed, 10.0).is_ok());
        assert!(require_float("--lr-x", f64::NAN, 0.0, Low::Closed, 10.0).is_err());
        assert!(require_distinct("--methods", &["rr", "sgd", "rr"]).is_err());
    }
}
