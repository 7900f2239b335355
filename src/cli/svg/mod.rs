//! Small hand-written SVG figures: bar charts in panels, line charts with reference
//! lines, and heatmaps. Every size is computed from the text it holds (`text_width`),
//! and `layout` checks the result by the same measure.

mod bars;
mod heatmap;
pub mod layout;
mod lines;

pub use bars::{Bar, BarChart, BarGroup, BarPanel, Spread, MIN_RUNS_FOR_INTERVAL};
pub use heatmap::heatmaps;
pub use lines::{LineChart, Reference};

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// Series whose name ends so are quoted values, drawn outlined (bars) in their
/// method's colour.
pub const REFERENCE_SUFFIX: &str = " (paper)";

/// What a series is a view of: its name without " train", " test", " (ours)" or
/// `REFERENCE_SUFFIX`, so a method's views share its colour.
fn method_of(name: &str) -> &str {
    [" train", " test", " (ours)", REFERENCE_SUFFIX].iter().find_map(|s| name.strip_suffix(s)).unwrap_or(name)
}

/// Series names in order of first appearance, one colour per method.
struct Series {
    names: Vec<String>,
    methods: Vec<String>,
}

impl Series {
    fn in_order<'a>(names: impl Iterator<Item = &'a String>) -> Series {
        let mut s = Series { names: Vec::new(), methods: Vec::new() };
        for n in names {
            if !s.names.contains(n) {
                s.names.push(n.clone());
                let m = method_of(n).to_string();
                if !s.methods.contains(&m) {
                    s.methods.push(m);
                }
            }
        }
        s
    }

    fn len(&self) -> usize {
        self.names.len()
    }

    fn index(&self, name: &str) -> usize {
        self.names.iter().position(|n| n == name).unwrap_or(0)
    }

    /// The position of the series at `index`'s method among the methods.
    fn method_index(&self, index: usize) -> usize {
        let method = self.names.get(index).map_or("", |n| method_of(n));
        self.methods.iter().position(|m| m == method).unwrap_or(0)
    }

    /// The colour of the series at `index`: its method's.
    fn colour(&self, index: usize) -> &'static str {
        OKABE_ITO[self.method_index(index) % OKABE_ITO.len()]
    }

    /// How many times the palette has come round by the series at `index`'s method:
    /// a line chart dots the methods past the eighth, so no two lines look the same.
    fn palette_round(&self, index: usize) -> usize {
        self.method_index(index) / OKABE_ITO.len()
    }
}

/// Colours safe for colour-blind readers (Okabe & Ito 2008), in order of use.
const OKABE_ITO: [&str; 8] = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#000000", "#F0E442"];

/// Axis ticks at 1, 2 or 5 × 10ᵏ covering [lo, hi] with about `count` intervals.
///
/// ```
/// use ridge_rider::cli::svg::nice_ticks;
/// assert_eq!(nice_ticks(0.095, 0.934, 5), vec![0.0, 0.2, 0.4, 0.6000000000000001, 0.8, 1.0]);
/// assert_eq!(nice_ticks(0.0, 20.0, 4), vec![0.0, 5.0, 10.0, 15.0, 20.0]);
/// ```
pub fn nice_ticks(lo: f64, hi: f64, count: usize) -> Vec<f64> {
    let raw = (hi - lo).max(f64::MIN_POSITIVE) / count.max(1) as f64;
    let magnitude = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0].iter().map(|m| m * magnitude).find(|s| *s >= raw).unwrap_or(10.0 * magnitude);
    let (first, last) = ((lo / step).floor() as i64, (hi / step).ceil() as i64);
    (first..=last).map(|i| i as f64 * step).collect()
}

/// A tick's label: no more digits than the step needs.
fn tick_label(v: f64, step: f64) -> String {
    let digits = (-step.log10().floor()).max(0.0) as usize;
    format!("{v:.digits$}")
}

/// Text width in a fixed-width estimate (0.6 em per character): the figures are laid
/// out by it and `layout` checks them by it.
fn text_width(s: &str, size: f64) -> f64 {
    0.6 * size * s.chars().count() as f64
}

/// Write an SVG file atomically.
pub fn write_svg(path: &std::path::Path, svg: &str) -> Result<(), super::CliError> {
    crate::io::write_atomic(path, svg.as_bytes())
        .map_err(|e| super::CliError::Input(format!("cannot write {}: {e}", path.display())))
}

/// Stack figures vertically into one SVG.
pub fn stack(figures: &[String]) -> String {
    let dim = |s: &str, key: &str| -> f64 {
        s.split(&format!("{key}=\""))
            .nth(1)
            .and_then(|r| r.split('"').next())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0.0)
    };
    let width = figures.iter().map(|f| dim(f, "width")).fold(0.0, f64::max);
    let mut y = 0.0;
    let mut body = String::new();
    for f in figures {
        body.push_str(&f.replacen("<svg ", &format!("<svg y=\"{y}\" "), 1));
        y += dim(f, "height");
    }
    format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{y}" viewBox="0 0 {width} {y}">{body}</svg>"#
    )
}
