//! Bar charts in panels (Fig. 2's depths side by side, or one panel), with each bar's
//! spread drawn by one rule: a 95% interval of the mean where there are at least three
//! runs, clamped to the axis, and otherwise the runs themselves as points.

use super::{esc, nice_ticks, text_width, tick_label, Series, REFERENCE_SUFFIX};
use crate::cli::report::mean_ci95;
use std::fmt::Write;

/// The fewest runs a 95% interval is drawn for: a t-interval on two runs is wider than
/// any axis, so fewer runs are drawn as points.
pub const MIN_RUNS_FOR_INTERVAL: usize = 3;

/// What a bar's whisker shows.
#[derive(Clone, Debug, PartialEq)]
pub enum Spread {
    /// The half-width of a 95% interval of the mean over at least three runs.
    Interval(f64),
    /// Fewer runs than an interval needs: each is drawn as a point on the bar.
    Runs(Vec<f64>),
    /// A reference value (the paper's figure), drawn without spread.
    Reference,
}

/// One bar: a series' mean and its spread.
#[derive(Clone, Debug, PartialEq)]
pub struct Bar {
    pub series: String,
    pub mean: f64,
    pub spread: Spread,
}

impl Bar {
    /// The mean of `runs` with its interval (n ≥ 3) or the runs as points (n < 3).
    pub fn from_runs(series: impl Into<String>, runs: &[f64]) -> Bar {
        let (mean, ci95) = mean_ci95(runs);
        let spread = if runs.len() >= MIN_RUNS_FOR_INTERVAL && ci95.is_finite() {
            Spread::Interval(ci95)
        } else {
            Spread::Runs(runs.to_vec())
        };
        Bar { series: series.into(), mean, spread }
    }

    /// A value quoted from elsewhere (the paper), drawn outlined and without spread.
    pub fn reference(series: impl Into<String>, value: f64) -> Bar {
        Bar { series: series.into(), mean: value, spread: Spread::Reference }
    }
}

/// Bars side by side under one x label (a line break in the label starts a second line).
pub struct BarGroup {
    pub label: String,
    pub bars: Vec<Bar>,
}

/// A panel of groups under its own subtitle (empty: none).
pub struct BarPanel {
    pub title: String,
    pub groups: Vec<BarGroup>,
}

/// A figure of bar panels sharing one y axis from 0 to `y_max` and one legend.
pub struct BarChart {
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    pub y_max: f64,
    pub panels: Vec<BarPanel>,
}

const FONT: f64 = 11.0;
const BAR: f64 = 14.0;

impl BarChart {
    /// The SVG. Every size follows from the text it must hold, so nothing is clipped.
    pub fn to_svg(&self) -> String {
        let series =
            Series::in_order(self.panels.iter().flat_map(|p| &p.groups).flat_map(|g| &g.bars).map(|b| &b.series));
        let per_group = series.len().max(1) as f64 * BAR + 16.0;
        let label_width = |l: &str| l.lines().map(|s| text_width(s, FONT)).fold(0.0, f64::max) + 8.0;
        let group_width =
            self.panels.iter().flat_map(|p| &p.groups).map(|g| label_width(&g.label)).fold(per_group, f64::max);
        let panel_width = |p: &BarPanel| (group_width * p.groups.len() as f64).max(text_width(&p.title, FONT) + 10.0);
        let label_lines =
            self.panels.iter().flat_map(|p| &p.groups).map(|g| g.label.lines().count()).max().unwrap_or(0);
        let ticks = nice_ticks(0.0, self.y_max, 5);
        let y_top = *ticks.last().unwrap_or(&self.y_max);
        let tick_step = ticks.get(1).copied().unwrap_or(y_top);
        let tick_width = ticks.iter().map(|&v| text_width(&tick_label(v, tick_step), FONT)).fold(0.0, f64::max);
        let left = 24.0 + tick_width + 8.0;
        let gap = 16.0;
        let plot_right = left + self.panels.iter().map(|p| panel_width(p) + gap).sum::<f64>() - gap;
        let legend = series.names.iter().map(|s| text_width(s, FONT)).fold(0.0, f64::max) + 34.0;
        let top = 40.0 + if self.panels.iter().any(|p| !p.title.is_empty()) { 16.0 } else { 0.0 };
        let bottom = 14.0 * label_lines as f64 + if self.x_label.is_empty() { 8.0 } else { 24.0 };
        let w = (plot_right + legend).max(text_width(&self.title, 14.0) + 20.0);
        let h = (top + 260.0 + bottom).max(top + 14.0 * series.len() as f64 + bottom);
        let ph = h - bottom - top;
        let y = |v: f64| top + ph * (1.0 - (v / y_top).clamp(0.0, 1.0));
        let mut o = String::new();
        let _ = write!(
            o,
            r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" font-family="sans-serif" font-size="{FONT}">"#
        );
        let _ = write!(
            o,
            r#"<text x="{}" y="20" text-anchor="middle" font-size="14">{}</text>"#,
            w / 2.0,
            esc(&self.title)
        );
        let mid = top + ph / 2.0;
        let _ = write!(
            o,
            r#"<text x="14" y="{mid}" transform="rotate(-90 14 {mid})" text-anchor="middle">{}</text>"#,
            esc(&self.y_label)
        );
        for &v in &ticks {
            let _ = write!(
                o,
                r#"<text x="{}" y="{:.1}" text-anchor="end">{}</text>"#,
                left - 6.0,
                y(v) + 4.0,
                tick_label(v, tick_step)
            );
        }
        let mut x0 = left;
        for panel in &self.panels {
            let pw = panel_width(panel);
            if !panel.title.is_empty() {
                let _ = write!(
                    o,
                    r#"<text x="{:.1}" y="{}" text-anchor="middle">{}</text>"#,
                    x0 + pw / 2.0,
                    top - 8.0,
                    esc(&panel.title)
                );
            }
            for &v in &ticks {
                let _ = write!(
                    o,
                    r##"<line x1="{x0:.1}" x2="{:.1}" y1="{:.1}" y2="{:.1}" stroke="#ddd"/>"##,
                    x0 + pw,
                    y(v),
                    y(v)
                );
            }
            let offset = (pw - group_width * panel.groups.len() as f64) / 2.0;
            for (g, group) in panel.groups.iter().enumerate() {
                let gx = x0 + offset + g as f64 * group_width;
                let bars_x = gx + (group_width - per_group) / 2.0 + 8.0;
                for bar in &group.bars {
                    let index = series.index(&bar.series);
                    draw_bar(&mut o, bars_x + index as f64 * BAR, series.colour(index), bar, &y);
                }
                for (line, text) in group.label.lines().enumerate() {
                    let ly = h - bottom + 16.0 + 14.0 * line as f64;
                    let _ = write!(
                        o,
                        r#"<text x="{:.1}" y="{ly}" text-anchor="middle">{}</text>"#,
                        gx + group_width / 2.0,
                        esc(text)
                    );
                }
            }
            x0 += pw + gap;
        }
        if !self.x_label.is_empty() {
            let _ = write!(
                o,
                r#"<text x="{:.1}" y="{}" text-anchor="middle">{}</text>"#,
                (left + plot_right) / 2.0,
                h - 6.0,
                esc(&self.x_label)
            );
        }
        for (si, name) in series.names.iter().enumerate() {
            let ly = top + 14.0 * si as f64;
            let _ = write!(o, "{}", swatch(plot_right + 10.0, ly, series.colour(si), name.ends_with(REFERENCE_SUFFIX)));
            let _ = write!(o, r#"<text x="{}" y="{}">{}</text>"#, plot_right + 24.0, ly + 9.0, esc(name));
        }
        o.push_str("</svg>");
        o
    }
}

fn swatch(x: f64, y: f64, colour: &str, outlined: bool) -> String {
    if outlined {
        format!(r#"<rect x="{x}" y="{y}" width="10" height="10" fill="white" stroke="{colour}" stroke-width="2"/>"#)
    } else {
        format!(r#"<rect x="{x}" y="{y}" width="10" height="10" fill="{colour}"/>"#)
    }
}

fn draw_bar(o: &mut String, x: f64, colour: &str, bar: &Bar, y: &dyn Fn(f64) -> f64) {
    let width = BAR - 2.0;
    let v = if bar.mean.is_finite() { bar.mean } else { 0.0 };
    let (fill, stroke) = if bar.spread == Spread::Reference {
        ("white", format!(r#" stroke="{colour}" stroke-width="2""#))
    } else {
        (colour, String::new())
    };
    let _ = write!(
        o,
        r#"<rect x="{x:.1}" y="{:.1}" width="{width}" height="{:.1}" fill="{fill}"{stroke}/>"#,
        y(v),
        y(0.0) - y(v)
    );
    let cx = x + width / 2.0;
    match &bar.spread {
        Spread::Interval(ci) => {
            let (lo, hi) = (y(v - ci), y(v + ci));
            let _ = write!(
                o,
                r#"<line x1="{cx:.1}" x2="{cx:.1}" y1="{lo:.1}" y2="{hi:.1}" stroke="black"/><line x1="{:.1}" x2="{:.1}" y1="{lo:.1}" y2="{lo:.1}" stroke="black"/><line x1="{:.1}" x2="{:.1}" y1="{hi:.1}" y2="{hi:.1}" stroke="black"/>"#,
                cx - 3.0,
                cx + 3.0,
                cx - 3.0,
                cx + 3.0
            );
        }
        Spread::Runs(runs) => {
            for (k, r) in runs.iter().filter(|r| r.is_finite()).enumerate() {
                // Side by side across the bar, so equal runs stay distinguishable.
                let px = x + width * (k as f64 + 1.0) / (runs.len() as f64 + 1.0);
                let _ = write!(o, r#"<circle cx="{px:.1}" cy="{:.1}" r="2.2" fill="black"/>"#, y(*r));
            }
        }
        Spread::Reference => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals_need_three_runs_and_stay_on_the_axis() {
        assert_eq!(Bar::from_runs("a", &[10.0, 90.0]).spread, Spread::Runs(vec![10.0, 90.0]));
        let Spread::Interval(ci) = Bar::from_runs("a", &[10.0, 90.0, 50.0]).spread else { panic!("no interval") };
        assert!(ci > 50.0, "a wide interval, {ci}");
        let chart = BarChart {
            title: "t".into(),
            x_label: String::new(),
            y_label: "y".into(),
            y_max: 100.0,
            panels: vec![BarPanel {
                title: String::new(),
                groups: vec![BarGroup { label: "g".into(), bars: vec![Bar::from_runs("a", &[10.0, 90.0, 50.0])] }],
            }],
        };
        let svg = chart.to_svg();
        // The whisker runs past neither end of the axis (y of 100 and of 0).
        let ys: Vec<f64> = svg
            .split("<line ")
            .skip(1)
            .filter(|l| l.contains(r#"stroke="black""#))
            .flat_map(|l| {
                ["y1", "y2"].map(|k| l.split(&format!("{k}=\"")).nth(1).unwrap().split('"').next().unwrap().to_string())
            })
            .map(|v| v.parse().unwrap())
            .collect();
        let grid: Vec<f64> = svg
            .split("<line ")
            .skip(1)
            .filter(|l| l.contains("#ddd"))
            .map(|l| l.split("y1=\"").nth(1).unwrap().split('"').next().unwrap().parse().unwrap())
            .collect();
        let (top, bottom) =
            (grid.iter().cloned().fold(f64::INFINITY, f64::min), grid.iter().cloned().fold(0.0, f64::max));
        assert!(ys.iter().all(|&y| y >= top - 1e-9 && y <= bottom + 1e-9), "{ys:?} outside [{top}, {bottom}]");
        assert!(ys.iter().any(|&y| (y - top).abs() < 1e-9), "clamped at 100");
    }
}
