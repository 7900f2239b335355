//! A layout check of the figures this crate writes: text, estimated with the metric the
//! figures are laid out by (`text_width`: 0.6 em per character; 1 em tall), must lie
//! inside the canvas and must not overlap other text, and no two line series may share
//! both colour and dash.
//! It reads only the SVG subset `svg/` writes (one element per tag, attributes quoted).

/// A text's estimated box: left, top, right, bottom.
#[derive(Clone, Copy, Debug, PartialEq)]
struct TextBox {
    left: f64,
    top: f64,
    right: f64,
    bottom: f64,
}

/// The value of `name="…"` in one tag.
fn attribute<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let key = format!(" {name}=\"");
    let start = tag.find(&key)? + key.len();
    tag[start..].split('"').next()
}

fn number(tag: &str, name: &str) -> Option<f64> {
    attribute(tag, name).and_then(|v| v.parse().ok())
}

/// The canvas size of the outermost `<svg>`.
fn canvas(svg: &str) -> (f64, f64) {
    let tag = svg.split('>').next().unwrap_or("");
    (number(tag, "width").unwrap_or(0.0), number(tag, "height").unwrap_or(0.0))
}

/// Every `<text>` with its content: the tag and the text.
fn texts(svg: &str) -> Vec<(&str, &str)> {
    svg.split("<text")
        .skip(1)
        .filter_map(|rest| {
            let (tag, after) = rest.split_once('>')?;
            let content = after.split("</text>").next()?;
            Some((tag, content))
        })
        .collect()
}

/// The estimated box of one text (rotated texts are turned by 90°).
fn text_box(tag: &str, content: &str, default_size: f64) -> Option<TextBox> {
    let (x, y) = (number(tag, "x")?, number(tag, "y")?);
    let size = number(tag, "font-size").unwrap_or(default_size);
    let width = super::text_width(&content.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&"), size);
    let (left, right) = match attribute(tag, "text-anchor") {
        Some("middle") => (-width / 2.0, width / 2.0),
        Some("end") => (-width, 0.0),
        _ => (0.0, width),
    };
    if attribute(tag, "transform").is_some_and(|t| t.starts_with("rotate(-90")) {
        // Reading upwards: the text runs along −y from (x, y), its height along −x.
        return Some(TextBox { left: x - size, top: y - right, right: x, bottom: y - left });
    }
    Some(TextBox { left: x + left, top: y - 0.8 * size, right: x + right, bottom: y + 0.2 * size })
}

fn overlap(a: &TextBox, b: &TextBox) -> bool {
    a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom
}

/// What is wrong with a figure's layout, one line per problem; empty when it is clean.
/// Figures stacked into one SVG (`svg::stack`) are checked one by one, each in its own
/// coordinates.
pub fn layout_problems(svg: &str) -> Vec<String> {
    let parts: Vec<&str> = svg.split("<svg ").skip(1).collect();
    if parts.len() > 1 {
        return parts[1..].iter().flat_map(|child| figure_problems(&format!("<svg {child}"))).collect();
    }
    figure_problems(svg)
}

/// [`layout_problems`] of one figure.
fn figure_problems(svg: &str) -> Vec<String> {
    let (w, h) = canvas(svg);
    let default_size = number(svg.split('>').next().unwrap_or(""), "font-size").unwrap_or(11.0);
    let mut problems = Vec::new();
    let boxes: Vec<(&str, TextBox)> =
        texts(svg).into_iter().filter_map(|(tag, s)| text_box(tag, s, default_size).map(|b| (s, b))).collect();
    for (s, b) in &boxes {
        if b.left < 0.0 || b.top < 0.0 || b.right > w || b.bottom > h {
            problems.push(format!("text {s:?} leaves the {w}×{h} canvas"));
        }
    }
    for (i, (s, a)) in boxes.iter().enumerate() {
        for (t, b) in &boxes[i + 1..] {
            if overlap(a, b) {
                problems.push(format!("texts {s:?} and {t:?} overlap"));
            }
        }
    }
    let styles: Vec<(Option<&str>, Option<&str>)> = svg
        .split("<polyline")
        .skip(1)
        .map(|rest| rest.split('>').next().unwrap_or(""))
        .map(|tag| (attribute(tag, "stroke"), attribute(tag, "stroke-dasharray")))
        .collect();
    for (i, a) in styles.iter().enumerate() {
        if styles[i + 1..].contains(a) {
            problems.push(format!("two lines share colour {:?} and dash {:?}", a.0, a.1));
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clipped_overlapping_and_look_alike_figures_are_caught() {
        let clean = r##"<svg width="200" height="100" font-size="10"><text x="100" y="20" text-anchor="middle">title</text><text x="10" y="90">left</text><polyline stroke="#000" points="0,0 1,1"/><polyline stroke="#000" stroke-dasharray="4 2" points="0,0 1,1"/></svg>"##;
        assert_eq!(layout_problems(clean), Vec::<String>::new());
        let clipped = r#"<svg width="100" height="100" font-size="10"><text x="50" y="20" text-anchor="middle">a title far wider than the canvas</text></svg>"#;
        assert!(layout_problems(clipped)[0].contains("leaves the 100×100 canvas"));
        let overlapping = r#"<svg width="300" height="100" font-size="10"><text x="10" y="20">first subtitle</text><text x="60" y="22">second</text></svg>"#;
        assert!(layout_problems(overlapping)[0].contains("overlap"));
        let alike = r##"<svg width="100" height="100"><polyline stroke="#4c72b0" points="0,0"/><polyline stroke="#4c72b0" points="1,1"/></svg>"##;
        assert!(layout_problems(alike)[0].contains("share colour"));
        // Stacked figures are checked each in its own coordinates.
        let a = r#"<svg width="100" height="50" font-size="10"><text x="10" y="20">top</text></svg>"#;
        let stacked = format!(
            r#"<svg width="100" height="100">{}{}</svg>"#,
            a.replacen("<svg ", r#"<svg y="0" "#, 1),
            a.replacen("<svg ", r#"<svg y="50" "#, 1)
        );
        assert_eq!(layout_problems(&stacked), Vec::<String>::new());
        // A rotated axis label is a tall, thin box.
        let rotated = r#"<svg width="100" height="100" font-size="10"><text x="14" y="50" transform="rotate(-90 14 50)" text-anchor="middle">accuracy</text></svg>"#;
        assert_eq!(layout_problems(rotated), Vec::<String>::new());
    }
}
