//! Charts as inline SVG, so an HTML report is one file that works offline and prints sharp.

use std::fmt::Write as _;

use crate::doc::{cell_text, Chart, ChartKind, Fmt, Table};
use crate::html::escape;

/// ECharts' default palette: the colours people know from Chinese BI tools.
const PALETTE: [&str; 8] = [
    "#5470c6", "#91cc75", "#ee6666", "#fac858", "#73c0de", "#3ba272", "#fc8452", "#9a60b4",
];

const W: f64 = 760.0;
const H: f64 = 300.0;
const LEFT: f64 = 56.0;
const RIGHT: f64 = 16.0;
const TOP: f64 = 40.0;
const BOTTOM: f64 = 64.0;

/// A round upper bound for an axis and its step (1, 2 or 5 times a power of ten).
fn nice_axis(max: f64) -> (f64, f64) {
    if max <= 0.0 || !max.is_finite() {
        return (1.0, 0.2);
    }
    let raw = max / 5.0;
    let power = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * power)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * power);
    ((max / step).ceil() * step, step)
}

fn fmt_tick(v: f64) -> String {
    if v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

/// The chart as an `<svg>` element.
pub fn chart(c: &Chart, t: &Table) -> String {
    match c.kind {
        ChartKind::Pie => pie(c, t),
        ChartKind::Line | ChartKind::Column => axes(c, t),
    }
}

fn categories(c: &Chart, t: &Table) -> Vec<String> {
    let fmt = t.columns.get(c.categories).map_or(Fmt::Text, |col| col.fmt);
    t.rows
        .iter()
        .map(|r| {
            r.get(c.categories)
                .map_or(String::new(), |x| cell_text(x, fmt))
        })
        .collect()
}

fn series(t: &Table, col: usize) -> Vec<Option<f64>> {
    t.rows
        .iter()
        .map(|r| r.get(col).and_then(crate::doc::Cell::number))
        .collect()
}

fn axes(c: &Chart, t: &Table) -> String {
    let cats = categories(c, t);
    let n = cats.len().max(1);
    let data: Vec<(String, Vec<Option<f64>>)> = c
        .values
        .iter()
        .map(|&v| {
            let label = t
                .columns
                .get(v)
                .map_or(String::new(), |col| col.label.clone());
            (label, series(t, v))
        })
        .collect();
    let max = data
        .iter()
        .flat_map(|(_, s)| s.iter().flatten())
        .fold(0.0f64, |a, b| a.max(*b));
    let (top, step) = nice_axis(max);
    let plot_w = W - LEFT - RIGHT;
    let plot_h = H - TOP - BOTTOM;
    let slot = plot_w / n as f64;
    let y = |v: f64| TOP + plot_h - v / top * plot_h;
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {H}" role="img" aria-label="{title}"><text x="{cx}" y="20" text-anchor="middle" class="chart-title">{title}</text>"#,
        title = escape(&c.title),
        cx = W / 2.0
    );
    let mut v = 0.0;
    while v <= top + step / 2.0 {
        let yy = y(v);
        let _ = write!(
            s,
            r##"<line x1="{LEFT}" x2="{x2}" y1="{yy:.1}" y2="{yy:.1}" stroke="#e0e6f1"/><text x="{tx}" y="{ty:.1}" text-anchor="end" class="tick">{label}</text>"##,
            x2 = W - RIGHT,
            tx = LEFT - 6.0,
            ty = yy + 4.0,
            label = fmt_tick(v)
        );
        v += step;
    }
    // Category labels: every one when they fit, else every k-th (CJK characters are about
    // twice as wide as digits at this size).
    let widest = cats
        .iter()
        .map(|c| {
            c.chars()
                .map(|ch| if ch.is_ascii() { 6.5 } else { 11.0 })
                .sum::<f64>()
        })
        .fold(0.0f64, f64::max);
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let every = ((n as f64 * (widest + 8.0)) / plot_w).ceil().max(1.0) as usize;
    for (i, label) in cats.iter().enumerate() {
        if i % every != 0 {
            continue;
        }
        let x = LEFT + slot * (i as f64 + 0.5);
        let _ = write!(
            s,
            r#"<text x="{x:.1}" y="{ty}" text-anchor="middle" class="tick">{}</text>"#,
            escape(label),
            ty = TOP + plot_h + 16.0
        );
    }
    let k = data.len().max(1) as f64;
    for (si, (_, values)) in data.iter().enumerate() {
        let color = PALETTE[si % PALETTE.len()];
        match c.kind {
            ChartKind::Column => {
                let bw = slot * 0.8 / k;
                for (i, v) in values.iter().enumerate() {
                    let Some(v) = v else { continue };
                    let x = LEFT + slot * i as f64 + slot * 0.1 + bw * si as f64;
                    let _ = write!(
                        s,
                        r#"<rect x="{x:.1}" y="{yy:.1}" width="{bw:.1}" height="{h:.1}" fill="{color}"><title>{}: {}</title></rect>"#,
                        escape(&cats[i]),
                        fmt_tick((v * 100.0).round() / 100.0),
                        yy = y(*v),
                        h = plot_h - (y(*v) - TOP)
                    );
                }
            }
            _ => {
                let points: Vec<String> = values
                    .iter()
                    .enumerate()
                    .filter_map(|(i, v)| {
                        v.map(|v| format!("{:.1},{:.1}", LEFT + slot * (i as f64 + 0.5), y(v)))
                    })
                    .collect();
                let _ = write!(
                    s,
                    r#"<polyline fill="none" stroke="{color}" stroke-width="2" points="{}"/>"#,
                    points.join(" ")
                );
                for p in &points {
                    if let Some((x, yy)) = p.split_once(',') {
                        let _ = write!(s, r#"<circle cx="{x}" cy="{yy}" r="3" fill="{color}"/>"#);
                    }
                }
            }
        }
    }
    // Legend under the axis.
    let mut lx = LEFT;
    for (si, (label, _)) in data.iter().enumerate() {
        let color = PALETTE[si % PALETTE.len()];
        let _ = write!(
            s,
            r#"<rect x="{lx:.1}" y="{ly}" width="12" height="12" fill="{color}"/><text x="{tx:.1}" y="{ty}" class="legend">{}</text>"#,
            escape(label),
            ly = H - 22.0,
            tx = lx + 16.0,
            ty = H - 12.0
        );
        lx += 28.0 + 13.0 * label.chars().count() as f64;
    }
    s.push_str("</svg>");
    s
}

fn pie(c: &Chart, t: &Table) -> String {
    let cats = categories(c, t);
    let col = c.values.first().copied().unwrap_or(1);
    let values: Vec<f64> = series(t, col)
        .into_iter()
        .map(|v| v.unwrap_or(0.0))
        .collect();
    let sum: f64 = values.iter().sum();
    let (cx, cy, r) = (180.0, H / 2.0 + 10.0, 110.0);
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {H}" role="img" aria-label="{title}"><text x="{cx2}" y="20" text-anchor="middle" class="chart-title">{title}</text>"#,
        title = escape(&c.title),
        cx2 = W / 2.0
    );
    let mut angle = -std::f64::consts::FRAC_PI_2;
    for (i, v) in values.iter().enumerate() {
        let color = PALETTE[i % PALETTE.len()];
        let share = if sum > 0.0 { v / sum } else { 0.0 };
        if share > 0.0 {
            if share >= 0.9999 {
                let _ = write!(s, r#"<circle cx="{cx}" cy="{cy}" r="{r}" fill="{color}"/>"#);
            } else {
                let end = angle + share * std::f64::consts::TAU;
                let (x1, y1) = (cx + r * angle.cos(), cy + r * angle.sin());
                let (x2, y2) = (cx + r * end.cos(), cy + r * end.sin());
                let large = u8::from(share > 0.5);
                let _ = write!(
                    s,
                    r##"<path d="M{cx},{cy} L{x1:.2},{y1:.2} A{r},{r} 0 {large} 1 {x2:.2},{y2:.2} Z" fill="{color}" stroke="#fff"/>"##
                );
                angle = end;
            }
        }
        let ly = 70.0 + 26.0 * i as f64;
        let _ = write!(
            s,
            r#"<rect x="340" y="{ry}" width="14" height="14" fill="{color}"/><text x="362" y="{ly}" class="legend">{}: {:.2}%</text>"#,
            escape(&cats[i]),
            share * 100.0,
            ry = ly - 11.0
        );
    }
    s.push_str("</svg>");
    s
}

#[cfg(test)]
mod tests {
    use super::nice_axis;

    #[test]
    fn axes_end_on_round_numbers() {
        assert_eq!(nice_axis(118.0), (150.0, 50.0));
        assert_eq!(nice_axis(8.0), (8.0, 2.0));
        assert_eq!(nice_axis(0.0), (1.0, 0.2));
        assert_eq!(nice_axis(1392.96), (1500.0, 500.0));
    }
}
