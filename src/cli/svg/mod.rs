//! Small hand-written SVG figures: grouped bar charts with error bars, line charts and
//! heatmaps. Enough for the paper's figures without a plotting dependency.

pub mod layout;

use std::fmt::Write;

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// A bar: its series name, value and 95% half-width (NaN: none).
pub struct Bar {
    pub series: String,
    pub value: f64,
    pub ci: f64,
}

/// Grouped bars: one group per x label, one bar per series, y from 0 to `ymax`.
pub fn bar_chart(title: &str, ylabel: &str, groups: &[(String, Vec<Bar>)], ymax: f64) -> String {
    let series: Vec<String> = {
        let mut s: Vec<String> = Vec::new();
        for (_, bars) in groups {
            for b in bars {
                if !s.contains(&b.series) {
                    s.push(b.series.clone());
                }
            }
        }
        s
    };
    // The plot, then the legend as wide as its longest entry; the title fits above both.
    let legend = series.iter().map(|s| text_width(s, 11.0)).fold(0.0, f64::max) + 30.0;
    let (gw, left, bottom, top) = (90.0, 60.0, 50.0, 40.0);
    let plot_right = left + 20.0 + gw * groups.len() as f64;
    let w = (plot_right + legend).max(text_width(title, 14.0) + 20.0);
    let h = (360.0f64).max(top + 14.0 * series.len() as f64 + bottom);
    let ph = h - bottom - top;
    // Values and error bars are clamped to the axis [0, ymax].
    let y = |v: f64| top + ph * (1.0 - (v / ymax).clamp(0.0, 1.0));
    let mut o = String::new();
    let _ = write!(
        o,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" font-family="sans-serif" font-size="11">"#
    );
    let _ = write!(o, r#"<text x="{}" y="20" text-anchor="middle" font-size="14">{}</text>"#, w / 2.0, esc(title));
    let _ = write!(
        o,
        r#"<text x="14" y="{}" transform="rotate(-90 14 {})" text-anchor="middle">{}</text>"#,
        top + ph / 2.0,
        top + ph / 2.0,
        esc(ylabel)
    );
    for k in 0..=4 {
        let v = ymax * k as f64 / 4.0;
        let (x2, yy, tx) = (plot_right, y(v), left - 4.0);
        let _ = write!(
            o,
            r##"<line x1="{left}" x2="{x2}" y1="{yy}" y2="{yy}" stroke="#ddd"/><text x="{tx}" y="{}" text-anchor="end">{v:.2}</text>"##,
            yy + 4.0
        );
    }
    let bw = (gw - 20.0) / series.len().max(1) as f64;
    for (g, (label, bars)) in groups.iter().enumerate() {
        let x0 = left + 10.0 + g as f64 * gw;
        for b in bars {
            let si = series.iter().position(|s| *s == b.series).unwrap_or(0);
            let x = x0 + si as f64 * bw;
            let v = if b.value.is_finite() { b.value } else { 0.0 };
            let _ = write!(
                o,
                r#"<rect x="{x:.1}" y="{:.1}" width="{:.1}" height="{:.1}" fill="{}"/>"#,
                y(v),
                bw - 2.0,
                y(0.0) - y(v),
                OKABE_ITO[si % OKABE_ITO.len()]
            );
            if b.ci.is_finite() {
                let cx = x + (bw - 2.0) / 2.0;
                let _ = write!(
                    o,
                    r#"<line x1="{cx:.1}" x2="{cx:.1}" y1="{:.1}" y2="{:.1}" stroke="black"/>"#,
                    y(v - b.ci),
                    y(v + b.ci)
                );
            }
        }
        let _ = write!(
            o,
            r#"<text x="{:.1}" y="{}" text-anchor="middle">{}</text>"#,
            x0 + (gw - 20.0) / 2.0,
            h - bottom + 16.0,
            esc(label)
        );
    }
    for (si, s) in series.iter().enumerate() {
        let ly = top + 14.0 * si as f64;
        let _ = write!(
            o,
            r#"<rect x="{}" y="{}" width="10" height="10" fill="{}"/><text x="{}" y="{}">{}</text>"#,
            plot_right + 10.0,
            ly,
            OKABE_ITO[si % OKABE_ITO.len()],
            plot_right + 23.0,
            ly + 9.0,
            esc(s)
        );
    }
    o.push_str("</svg>");
    o
}

/// The heatmaps' colour for a value in [0, 1]: white (0) to blue (1).
fn heat_colour(t: f64) -> String {
    let t = t.clamp(0.0, 1.0);
    format!("rgb({},{},255)", (255.0 * (1.0 - t)) as u8, (255.0 * (1.0 - 0.7 * t)) as u8)
}

/// Heatmaps side by side: each a titled matrix of values in [0, 1] (white → blue),
/// rows numbered from 0, columns labelled, and one colour bar for all of them. Panels
/// are as wide as their cells or their subtitle, whichever is wider.
pub fn heatmaps(title: &str, maps: &[(String, Vec<Vec<f64>>)], col_labels: &[String]) -> String {
    let size = 9.0;
    let cell = col_labels.iter().map(|l| text_width(l, size) + 4.0).fold(16.0, f64::max);
    let cols = col_labels.len().max(1) as f64;
    let rows = maps.iter().map(|m| m.1.len()).max().unwrap_or(1);
    let row_label = text_width(&rows.saturating_sub(1).to_string(), size) + 6.0;
    let panel = |name: &str| (cell * cols).max(text_width(name, size)) + row_label + 20.0;
    let bar_x = 20.0 + maps.iter().map(|m| panel(&m.0)).sum::<f64>();
    let w = (bar_x + 50.0).max(text_width(title, 13.0) + 20.0);
    let h = (70.0 + cell * rows as f64 + 20.0).max(160.0);
    let mut o = String::new();
    let _ = write!(
        o,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" font-family="sans-serif" font-size="{size}">"#
    );
    let _ = write!(o, r#"<text x="{}" y="16" text-anchor="middle" font-size="13">{}</text>"#, w / 2.0, esc(title));
    let mut x0 = 20.0;
    for (name, m) in maps {
        let _ = write!(o, r#"<text x="{x0}" y="40">{}</text>"#, esc(name));
        let cells = x0 + row_label;
        for (j, l) in col_labels.iter().enumerate() {
            let _ = write!(
                o,
                r#"<text x="{:.1}" y="55" text-anchor="middle">{}</text>"#,
                cells + cell * (j as f64 + 0.5),
                esc(l)
            );
        }
        for (i, row) in m.iter().enumerate() {
            let y = 60.0 + cell * i as f64;
            let _ = write!(
                o,
                r#"<text x="{:.1}" y="{:.1}" text-anchor="end">{i}</text>"#,
                cells - 3.0,
                y + cell * 0.5 + 3.0
            );
            for (j, v) in row.iter().enumerate() {
                // A missing value (NaN) is grey, never a colour of the scale.
                let fill = if v.is_nan() { "rgb(200,200,200)".to_string() } else { heat_colour(*v) };
                let _ = write!(
                    o,
                    r##"<rect x="{:.1}" y="{y:.1}" width="{cell}" height="{cell}" fill="{fill}" stroke="#eee"/>"##,
                    cells + cell * j as f64
                );
            }
        }
        x0 += panel(name);
    }
    // The colour bar: 1 at the top, 0 at the bottom, in ten steps.
    for k in 0..10 {
        let t = 1.0 - (k as f64 + 0.5) / 10.0;
        let _ = write!(
            o,
            r#"<rect x="{bar_x}" y="{}" width="12" height="8" fill="{}"/>"#,
            60.0 + 8.0 * k as f64,
            heat_colour(t)
        );
    }
    let _ = write!(o, r#"<text x="{}" y="66">1</text><text x="{}" y="140">0</text>"#, bar_x + 16.0, bar_x + 16.0);
    o.push_str("</svg>");
    o
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

/// Lines: each series a list of (x, y) points, axes from the data's range rounded to
/// nice ticks. Series named `"<method> train"` and `"<method> test"` share the method's
/// colour, train dashed and test solid; the legend is as wide as its longest entry.
pub fn line_chart(title: &str, xlabel: &str, ylabel: &str, series: &[(String, Vec<(f64, f64)>)]) -> String {
    let legend_width = series.iter().map(|s| text_width(&s.0, 11.0)).fold(0.0, f64::max) + 40.0;
    let (left, bottom, top, right): (f64, f64, f64, f64) = (60.0, 45.0, 35.0, legend_width + 10.0);
    let w = (left + 420.0 + right).max(text_width(title, 14.0) + 20.0);
    let h = (top + 300.0 + bottom).max(top + 14.0 * series.len() as f64 + 10.0);
    let pts = series.iter().flat_map(|s| s.1.iter()).filter(|p| p.0.is_finite() && p.1.is_finite());
    let (mut x0, mut x1, mut y0, mut y1) = (f64::INFINITY, f64::NEG_INFINITY, f64::INFINITY, f64::NEG_INFINITY);
    for p in pts {
        x0 = x0.min(p.0);
        x1 = x1.max(p.0);
        y0 = y0.min(p.1);
        y1 = y1.max(p.1);
    }
    if !x0.is_finite() {
        (x0, x1, y0, y1) = (0.0, 1.0, 0.0, 1.0);
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
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" font-family="sans-serif" font-size="11">"#
    );
    let _ = write!(o, r#"<text x="{}" y="20" text-anchor="middle" font-size="14">{}</text>"#, w / 2.0, esc(title));
    let _ = write!(o, r#"<text x="{}" y="{}" text-anchor="middle">{}</text>"#, left + pw / 2.0, h - 8.0, esc(xlabel));
    let _ = write!(
        o,
        r#"<text x="14" y="{0}" transform="rotate(-90 14 {0})" text-anchor="middle">{1}</text>"#,
        top + ph / 2.0,
        esc(ylabel)
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
    // One colour per method, in order of first appearance; train dashed.
    let mut methods: Vec<&str> = Vec::new();
    for (si, (name, p)) in series.iter().enumerate() {
        let method = name.strip_suffix(" train").or_else(|| name.strip_suffix(" test")).unwrap_or(name);
        let index = methods.iter().position(|m| *m == method).unwrap_or_else(|| {
            methods.push(method);
            methods.len() - 1
        });
        let colour = OKABE_ITO[index % OKABE_ITO.len()];
        let dash = if name.ends_with(" train") { r#" stroke-dasharray="6 3""# } else { "" };
        let path: Vec<String> =
            p.iter().filter(|q| q.1.is_finite()).map(|q| format!("{:.1},{:.1}", sx(q.0), sy(q.1))).collect();
        let _ = write!(
            o,
            r#"<polyline fill="none" stroke="{colour}" stroke-width="1.5"{dash} points="{}"/>"#,
            path.join(" ")
        );
        let (ly, lx) = (top + 14.0 * si as f64, left + pw + 10.0);
        let _ = write!(
            o,
            r#"<line x1="{lx}" x2="{}" y1="{}" y2="{}" stroke="{colour}" stroke-width="2"{dash}/><text x="{}" y="{}">{}</text>"#,
            lx + 22.0,
            ly + 5.0,
            ly + 5.0,
            lx + 28.0,
            ly + 9.0,
            esc(name)
        );
    }
    o.push_str("</svg>");
    o
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
    format!(r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{y}">{body}</svg>"#)
}

#[cfg(test)]
mod tests {
    use super::heatmaps;

    #[test]
    fn heatmap_cells_run_white_to_blue_and_missing_values_are_grey() {
        let maps = vec![("m".to_string(), vec![vec![0.0, 1.0, f64::NAN]])];
        let svg = heatmaps("t", &maps, &["a".into(), "b".into(), "c".into()]);
        // Three cells, and a colour bar of ten steps.
        assert_eq!(svg.matches(r##"stroke="#eee"/>"##).count(), 3);
        assert_eq!(svg.matches("<rect").count(), 13);
        assert!(svg.contains("rgb(255,255,255)") && svg.contains("rgb(0,76,255)") && svg.contains("rgb(200,200,200)"));
    }
}
