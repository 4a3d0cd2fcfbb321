//! A document as one self-contained HTML file: styles inline, charts as SVG, a print
//! stylesheet for A4 (the PDF is this page printed by headless Chromium).

use std::fmt::Write as _;

use crate::doc::{cell_text, Document, Fmt, Table};

/// Escapes text for HTML content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = r#"
:root { --ink: #1f2d3d; --muted: #6b7785; --line: #dfe4ea; --head: #f2f5f9; --accent: #5470c6; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--ink); background: #f6f8fb;
  font-family: "Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei", "Helvetica Neue", Arial, sans-serif;
  font-size: 14px; line-height: 1.6; }
main { max-width: 1000px; margin: 24px auto; background: #fff; padding: 32px 40px; box-shadow: 0 1px 4px rgba(0,0,0,.08); }
header { border-bottom: 3px solid var(--accent); margin-bottom: 16px; }
h1 { font-size: 24px; margin: 0 0 4px; }
.subtitle { color: var(--muted); margin: 0 0 12px; }
h2 { font-size: 18px; margin: 28px 0 8px; padding-left: 8px; border-left: 4px solid var(--accent); }
p { margin: 6px 0; text-align: justify; }
table { border-collapse: collapse; width: 100%; margin: 8px 0 12px; font-variant-numeric: tabular-nums; }
th, td { border: 1px solid var(--line); padding: 4px 6px; }
th { background: var(--head); font-weight: 600; text-align: center; }
td.num { text-align: right; white-space: nowrap; }
td:first-child { white-space: nowrap; }
tr.total td { font-weight: 700; background: #fafbfd; }
td.up { color: #2e7d32; } td.down { color: #c62828; }
svg.chart { width: 100%; height: auto; margin: 8px 0; }
svg .chart-title { font-size: 15px; font-weight: 600; fill: var(--ink); }
svg .tick { font-size: 11px; fill: var(--muted); }
svg .legend { font-size: 12px; fill: var(--ink); }
footer { color: var(--muted); font-size: 12px; margin-top: 24px; border-top: 1px solid var(--line); padding-top: 8px; }
table.wide { font-size: 12px; }
table.wide th, table.wide td { padding: 3px 4px; }
td { overflow-wrap: anywhere; }
@media print {
  @page { size: A4; margin: 14mm 12mm; }
  body { background: #fff; font-size: 10.5pt; }
  main { box-shadow: none; margin: 0; padding: 0; max-width: none; }
  /* The summary and the first table start on page 1: a long table flows on, its header
     repeated on each page, a row never cut. */
  thead { display: table-header-group; }
  tr, svg { break-inside: avoid; }
  h2 { break-after: avoid; }
  table.wide { font-size: 8pt; }
}
"#;

/// Columns beyond which a table is set smaller to fit the page's width.
const WIDE_TABLE: usize = 7;

fn table(t: &Table, out: &mut String) {
    out.push_str(if t.columns.len() > WIDE_TABLE {
        "<table class=\"wide\"><thead><tr>"
    } else {
        "<table><thead><tr>"
    });
    for c in &t.columns {
        let _ = write!(out, "<th>{}</th>", escape(&c.label));
    }
    out.push_str("</tr></thead><tbody>");
    let row = |cells: &[crate::doc::Cell], class: &str, out: &mut String| {
        let _ = write!(out, "<tr{class}>");
        for (i, cell) in cells.iter().enumerate() {
            let fmt = t.columns.get(i).map_or(Fmt::Text, |c| c.fmt);
            let mut classes = Vec::new();
            if fmt != Fmt::Text {
                classes.push("num");
            }
            if fmt == Fmt::Points {
                match cell.number() {
                    Some(v) if v > 0.0 => classes.push("up"),
                    Some(v) if v < 0.0 => classes.push("down"),
                    _ => {}
                }
            }
            let class = if classes.is_empty() {
                String::new()
            } else {
                format!(" class=\"{}\"", classes.join(" "))
            };
            let _ = write!(out, "<td{class}>{}</td>", escape(&cell_text(cell, fmt)));
        }
        out.push_str("</tr>");
    };
    for r in &t.rows {
        row(r, "", out);
    }
    if let Some(total) = &t.total {
        row(total, " class=\"total\"", out);
    }
    out.push_str("</tbody></table>");
}

/// The document as one HTML page.
pub fn render(doc: &Document) -> String {
    let mut out = String::new();
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"{lang}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <meta name=\"generator\" content=\"ccpulse\"><title>{title}</title><style>{STYLE}</style>\
         </head><body><main><header><h1>{title}</h1><p class=\"subtitle\">{subtitle}</p></header>",
        lang = escape(&doc.lang),
        title = escape(&doc.title),
        subtitle = escape(&doc.subtitle),
    );
    for s in &doc.sections {
        out.push_str("<section>");
        if !s.heading.is_empty() {
            let _ = write!(out, "<h2>{}</h2>", escape(&s.heading));
        }
        for p in &s.paragraphs {
            let _ = write!(out, "<p>{}</p>", escape(p));
        }
        if let Some(t) = &s.table {
            table(t, &mut out);
            for c in &s.charts {
                out.push_str(&crate::svg::chart(c, t));
            }
        }
        out.push_str("</section>");
    }
    let _ = writeln!(
        out,
        "<footer>{}</footer></main></body></html>",
        escape(&doc.footer)
    );
    out
}
