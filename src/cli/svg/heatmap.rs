//! Heatmaps side by side (Fig. 5's per-class accuracies, the lever policies) with one
//! colour bar.

use super::{esc, text_width};
use std::fmt::Write;

/// The heatmaps' colour for a value in [0, 1]: white (0) to blue (1).
fn heat_colour(t: f64) -> String {
    let t = t.clamp(0.0, 1.0);
    format!("rgb({},{},255)", (255.0 * (1.0 - t)) as u8, (255.0 * (1.0 - 0.7 * t)) as u8)
}

/// Heatmaps side by side: each a titled matrix of values in [0, 1] (white → blue),
/// rows numbered from 0, columns labelled, and one colour bar for all of them. Panels
/// are as wide as their cells or their subtitle, whichever is wider.
pub fn heatmaps(title: &str, maps: &[(String, Vec<Vec<f64>>)], col_labels: &[String], x_label: &str) -> String {
    let size = 9.0;
    let cell = col_labels.iter().map(|l| text_width(l, size) + 4.0).fold(16.0, f64::max);
    let cols = col_labels.len().max(1) as f64;
    let rows = maps.iter().map(|m| m.1.len()).max().unwrap_or(1);
    let row_label = text_width(&rows.saturating_sub(1).to_string(), size) + 6.0;
    let panel = |name: &str| (cell * cols).max(text_width(name, size)) + row_label + 20.0;
    let bar_x = 20.0 + maps.iter().map(|m| panel(&m.0)).sum::<f64>();
    let w = (bar_x + 50.0).max(text_width(title, 13.0) + 20.0);
    let h = (70.0 + cell * rows as f64 + 36.0).max(176.0);
    let mut o = String::new();
    let _ = write!(
        o,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" font-family="sans-serif" font-size="{size}">"#
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
    let _ = write!(o, r#"<text x="{}" y="{}" text-anchor="middle">{}</text>"#, bar_x / 2.0, h - 8.0, esc(x_label));
    o.push_str("</svg>");
    o
}

#[cfg(test)]
mod tests {
    use super::heatmaps;

    #[test]
    fn heatmap_cells_run_white_to_blue_and_missing_values_are_grey() {
        let maps = vec![("m".to_string(), vec![vec![0.0, 1.0, f64::NAN]])];
        let svg = heatmaps("t", &maps, &["a".into(), "b".into(), "c".into()], "x");
        // Three cells, and a colour bar of ten steps.
        assert_eq!(svg.matches(r##"stroke="#eee"/>"##).count(), 3);
        assert_eq!(svg.matches("<rect").count(), 13);
        assert!(svg.contains("rgb(255,255,255)") && svg.contains("rgb(0,76,255)") && svg.contains("rgb(200,200,200)"));
    }
}
