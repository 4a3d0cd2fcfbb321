//! A document as an Excel workbook: one sheet per table, real numbers with number formats,
//! and native Excel charts over the cells (not pictures), so the reader can re-cut them.

use rust_xlsxwriter::{
    Chart as XlChart, ChartType, Color, Format, FormatAlign, FormatBorder, Workbook, Worksheet,
    XlsxError,
};

use crate::doc::{Cell, ChartKind, Document, Fmt, Table};

const WIDE: u16 = 10;

fn sheet_name(s: &str) -> String {
    // Excel: at most 31 characters, none of []:*?/\ .
    s.chars()
        .map(|c| if "[]:*?/\\".contains(c) { '-' } else { c })
        .take(31)
        .collect()
}

struct Formats {
    title: Format,
    heading: Format,
    para: Format,
    head: Format,
    text: Format,
    int: Format,
    dec2: Format,
    percent: Format,
    points: Format,
}

impl Formats {
    fn new() -> Self {
        let cell = Format::new().set_border(FormatBorder::Thin);
        Self {
            title: Format::new().set_bold().set_font_size(16),
            heading: Format::new().set_bold().set_font_size(12),
            para: Format::new().set_text_wrap().set_align(FormatAlign::Top),
            head: cell
                .clone()
                .set_bold()
                .set_text_wrap()
                .set_align(FormatAlign::Center)
                .set_background_color(Color::RGB(0x00F2_F5F9)),
            text: cell.clone(),
            int: cell.clone().set_num_format("0"),
            dec2: cell.clone().set_num_format("0.00"),
            percent: cell.clone().set_num_format("0.00%"),
            points: cell.set_num_format("+0.00\" pt\";-0.00\" pt\";0.00\" pt\""),
        }
    }

    fn of(&self, fmt: Fmt, bold: bool) -> Format {
        let f = match fmt {
            Fmt::Text => &self.text,
            Fmt::Int => &self.int,
            Fmt::Dec2 => &self.dec2,
            Fmt::Percent => &self.percent,
            Fmt::Points => &self.points,
        };
        if bold {
            f.clone().set_bold()
        } else {
            f.clone()
        }
    }
}

/// Writes a table at `row`; returns the row after it and the range of its data rows.
fn write_table(
    ws: &mut Worksheet,
    f: &Formats,
    t: &Table,
    row: u32,
) -> Result<(u32, u32, u32), XlsxError> {
    for (c, col) in t.columns.iter().enumerate() {
        let c = u16::try_from(c).unwrap_or(u16::MAX);
        ws.write_string_with_format(row, c, &col.label, &f.head)?;
        let width = col.label.chars().count().clamp(8, 24);
        #[allow(clippy::cast_precision_loss)]
        ws.set_column_width(c, (width as f64) * 1.6)?;
    }
    let first = row + 1;
    let mut r = first;
    let put = |ws: &mut Worksheet, cells: &[Cell], r: u32, bold: bool| -> Result<(), XlsxError> {
        for (c, cell) in cells.iter().enumerate() {
            let fmt = t.columns.get(c).map_or(Fmt::Text, |col| col.fmt);
            let format = f.of(fmt, bold);
            let c = u16::try_from(c).unwrap_or(u16::MAX);
            match cell {
                Cell::Text(s) => ws.write_string_with_format(r, c, s, &format)?,
                Cell::Num(x) => ws.write_number_with_format(r, c, *x, &format)?,
                Cell::Empty => ws.write_blank(r, c, &format)?,
            };
        }
        Ok(())
    };
    for cells in &t.rows {
        put(ws, cells, r, false)?;
        r += 1;
    }
    let last = r.saturating_sub(1).max(first);
    if let Some(total) = &t.total {
        put(ws, total, r, true)?;
        r += 1;
    }
    Ok((r, first, last))
}

fn write_paragraph(ws: &mut Worksheet, f: &Formats, row: u32, text: &str) -> Result<(), XlsxError> {
    ws.merge_range(row, 0, row, WIDE, text, &f.para)?;
    // About 70 characters a line across the merged cells.
    let lines = text.chars().count().div_ceil(70).max(1);
    #[allow(clippy::cast_precision_loss)]
    ws.set_row_height(row, 18.0 * lines as f64)?;
    Ok(())
}

/// The document as XLSX bytes.
pub fn render(doc: &Document) -> Result<Vec<u8>, XlsxError> {
    let f = Formats::new();
    let mut wb = Workbook::new();
    let mut names: Vec<String> = Vec::new();
    let mut next_rows: std::collections::BTreeMap<String, u32> = std::collections::BTreeMap::new();
    let first = doc
        .sections
        .iter()
        .find_map(|s| s.sheet.clone())
        .unwrap_or_else(|| doc.title.clone());
    let mut current = sheet_name(&first);
    names.push(current.clone());
    wb.add_worksheet().set_name(&current)?;
    let mut row: u32 = 0;
    {
        let ws = wb.worksheet_from_name(&current)?;
        ws.write_string_with_format(0, 0, &doc.title, &f.title)?;
        ws.write_string(1, 0, &doc.subtitle)?;
        row = row.max(3);
    }
    for s in &doc.sections {
        if let Some(name) = &s.sheet {
            let name = sheet_name(name);
            if name != current {
                next_rows.insert(current.clone(), row);
                if !names.contains(&name) {
                    wb.add_worksheet().set_name(&name)?;
                    names.push(name.clone());
                }
                row = next_rows.get(&name).copied().unwrap_or(0);
                current = name;
            }
        }
        let ws = wb.worksheet_from_name(&current)?;
        if !s.heading.is_empty() {
            ws.write_string_with_format(row, 0, &s.heading, &f.heading)?;
            row += 1;
        }
        for p in &s.paragraphs {
            write_paragraph(ws, &f, row, p)?;
            row += 1;
        }
        if let Some(t) = &s.table {
            let (after, first_row, last_row) = write_table(ws, &f, t, row)?;
            row = after + 1;
            for c in &s.charts {
                let mut chart = XlChart::new(match c.kind {
                    ChartKind::Line => ChartType::Line,
                    ChartKind::Column => ChartType::Column,
                    ChartKind::Pie => ChartType::Pie,
                });
                chart.title().set_name(&c.title);
                let cat = u16::try_from(c.categories).unwrap_or(0);
                let values: &[usize] = if c.kind == ChartKind::Pie {
                    &c.values[..c.values.len().min(1)]
                } else {
                    &c.values
                };
                for v in values {
                    let v = u16::try_from(*v).unwrap_or(0);
                    chart
                        .add_series()
                        .set_categories((current.as_str(), first_row, cat, last_row, cat))
                        .set_values((current.as_str(), first_row, v, last_row, v))
                        .set_name((current.as_str(), first_row - 1, v));
                }
                chart.set_width(760).set_height(320);
                ws.insert_chart(row, 0, &chart)?;
                row += 17;
            }
        }
        row += 1;
    }
    wb.save_to_buffer()
}
