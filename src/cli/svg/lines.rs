//! Line charts (Fig. 4's accuracy curves): one colour per method, train dashed and test
//! solid, and horizontal reference lines (the paper's figure, a baseline's final value).

use super::{esc, nice_ticks, text_width, tick_label, Series};
use std::fmt::Write;

/// A horizontal line at `value`, named in the legend.
pub struct Reference {
    pub label: String,
    pub value: f64,
}

/// Reference lines are grey, told apart by their dash (none is a series' dash).
const REFERENCE_DASHES: [&str; 3] = ["2 3", "9 3 2 3", "1 5"];

/// Series of (x, y) points; a series named `"<method> train"` or `"<method> test"`
/// takes its method's colour, train dashed.
pub struct LineChart {
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    pub series: Vec<(String, Vec<(f64, f64)>)>,
    pub references: Vec<Reference>,
}

impl LineChart {
    /// The SVG; axes span the data and the references, rounded to nice ticks.
    pub fn to_svg(&self) -> String {
        let names = Series::in_order(self.series.iter().map(|s| &s.0));
        let entries = self.series.len() + self.references.len();
        let legend_width = self
            .series
            .iter()
            .map(|s| &s.0)
            .chain(self.references.iter().map(|r| &r.label))
            .map(|s| text_width(s, 11.0))
            .fold(0.0, f64::max)
            + 40.0;
        let (left, bottom, top, right): (f64, f64, f64, f64) = (60.0, 45.0, 35.0, legend_width + 10.0);
        let w = (left + 420.0 + right).max(text_width(&self.title, 14.0) + 20.0);
        let h = (top + 300.0 + bottom).max(top + 14.0 * entries as f64 + 10.0);
        let (mut x0, mut x1, mut y0, mut y1) = (f64::INFINITY, f64::NEG_INFINITY, f64::INFINITY, f64::NEG_INFINITY);
        for p in self.series.iter().flat_map(|s| s.1.iter()).filter(|p| p.0.is_finite() && p.1.is_finite()) {
            (x0, x1, y0, y1) = (x0.min(p.0), x1.max(p.0), y0.min(p.1), y1.max(p.1));
        }
        for r in self.references.iter().filter(|r| r.value.is_finite()) {
            (y0, y1) = (y0.min(r.value), y1.max(r.value));
        }
        if !x0.is_finite() {
            (x0, x1) = (0.0, 1.0);
        }
        if !y0.is_finite() {
            (y0, y1) = (0.0, 1.0);
        }
        if x1 <= x0 {
            x1 = x0 + 1.0;
        }
        if y1 <= y0 {
            y1 = y0 + 1.0;
        }
        let (xt, yt) = (nice_ticks(x0, x1, 5), nice_ticks(y0, y1, 5));
        let (x0, x1, y0, y1) = (xt[0], xt[xt.len() - 1], yt[0], yt[yt.len() - 1]);
        let (pw, ph) = (w - left - right, h - top - bottom);
        let sx = |x: f64| left + pw * (x - x0) / (x1 - x0);
        let sy = |y: f64| top + ph * (1.0 - (y - y0) / (y1 - y0));
        let mut o = String::new();
        let _ = write!(
            o,
            r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" font-family="sans-serif" font-size="11">"#
        );
        let _ = write!(
            o,
            r#"<text x="{}" y="20" text-anchor="middle" font-size="14">{}</text>"#,
            w / 2.0,
            esc(&self.title)
        );
        let _ = write!(
            o,
            r#"<text x="{}" y="{}" text-anchor="middle">{}</text>"#,
            left + pw / 2.0,
            h - 8.0,
            esc(&self.x_label)
        );
        let _ = write!(
            o,
            r#"<text x="14" y="{0}" transform="rotate(-90 14 {0})" text-anchor="middle">{1}</text>"#,
            top + ph / 2.0,
            esc(&self.y_label)
        );
        let (ystep, xstep) = (yt[1] - yt[0], xt[1] - xt[0]);
        for &yv in &yt {
            let (x2, yy, tx) = (left + pw, sy(yv), left - 4.0);
            let label = tick_label(yv, ystep);
            let _ = write!(
                o,
                r##"<line x1="{left}" x2="{x2}" y1="{yy:.1}" y2="{yy:.1}" stroke="#ddd"/><text x="{tx}" y="{:.1}" text-anchor="end">{label}</text>"##,
                yy + 4.0
            );
        }
        for &xv in &xt {
            let label = tick_label(xv, xstep);
            let _ = write!(o, r#"<text x="{:.1}" y="{}" text-anchor="middle">{label}</text>"#, sx(xv), top + ph + 15.0);
        }
        let lx = left + pw + 10.0;
        let entry = |o: &mut String, k: usize, style: &str, name: &str| {
            let ly = top + 14.0 * k as f64;
            let _ = write!(
                o,
                r#"<line x1="{lx}" x2="{}" y1="{}" y2="{}" stroke-width="2"{style}/><text x="{}" y="{}">{}</text>"#,
                lx + 22.0,
                ly + 5.0,
                ly + 5.0,
                lx + 28.0,
                ly + 9.0,
                esc(name)
            );
        };
        for (si, (name, p)) in self.series.iter().enumerate() {
            let colour = names.colour(names.index(name));
            let dash = match (names.palette_round(names.index(name)) > 0, name.ends_with(" train")) {
                (false, false) => "",
                (false, true) => r#" stroke-dasharray="6 3""#,
                (true, false) => r#" stroke-dasharray="1.5 1.5""#,
                (true, true) => r#" stroke-dasharray="6 2 1.5 2""#,
            };
            let style = format!(r#" stroke="{colour}"{dash}"#);
            let path: Vec<String> =
                p.iter().filter(|q| q.1.is_finite()).map(|q| format!("{:.1},{:.1}", sx(q.0), sy(q.1))).collect();
            let _ = write!(o, r#"<polyline fill="none" stroke-width="1.5"{style} points="{}"/>"#, path.join(" "));
            entry(&mut o, si, &style, name);
        }
        for (k, r) in self.references.iter().enumerate() {
            let style =
                format!(r##" stroke="#555555" stroke-dasharray="{}""##, REFERENCE_DASHES[k % REFERENCE_DASHES.len()]);
            let yy = sy(r.value);
            let _ = write!(
                o,
                r#"<polyline fill="none" stroke-width="1.2"{style} points="{left},{yy:.1} {},{yy:.1}"/>"#,
                left + pw
            );
            entry(&mut o, self.series.len() + k, &style, &r.label);
        }
        o.push_str("</svg>");
        o
    }
}
