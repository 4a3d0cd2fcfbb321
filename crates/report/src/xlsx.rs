//! A document as an Excel workbook: one sheet per table, real numbers with number formats,
//! and native Excel charts over the cells (not pictures), so the reader can re-cut them.

use rust_xlsxwriter::{
    Chart as XlChart, ChartType, Color, Format, FormatAlign, FormatBorder, Workbook, Worksheet,
    XlsxError,
};

use crate::doc::{Cell, ChartKind, Document, Fmt, Table};

const WIDE: u16 = 10;

/// Widest column, in characters: longer text wraps inside it.
const MAX_WIDTH: usize = 40;

/// How wide `s` reads: a CJK character takes two columns.
fn display_width(s: &str) -> usize {
    s.chars()
        .map(|c| if (c as u32) >= 0x2E80 { 2 } else { 1 })
        .sum()
}

/// What the print settings of a sheet need to know.
#[derive(Default)]
struct SheetPrint {
    last_row: u32,
    last_col: u16,
    /// The header row of its first table: repeated on every printed page.
    header: Option<u32>,
    /// Column widths so far, in characters.
    widths: Vec<usize>,
}

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
            // Text never runs out of its cell: it wraps, and the row grows.
            text: cell.clone().set_text_wrap().set_align(FormatAlign::Top),
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
    print: &mut SheetPrint,
) -> Result<(u32, u32, u32), XlsxError> {
    // Each column as wide as its longest content (at most MAX_WIDTH; longer text wraps).
    let cells = t.rows.iter().chain(t.total.iter());
    let mut widths: Vec<usize> = t
        .columns
        .iter()
        .map(|c| display_width(&c.label).div_ceil(2).max(8))
        .collect();
    for r in cells {
        for (c, cell) in r.iter().enumerate() {
            let w = match cell {
                Cell::Text(s) => display_width(s),
                Cell::Num(_) => 10,
                Cell::Empty => 0,
            };
            if let Some(x) = widths.get_mut(c) {
                *x = (*x).max(w.min(MAX_WIDTH));
            }
        }
    }
    if print.widths.len() < widths.len() {
        print.widths.resize(widths.len(), 0);
    }
    for (c, col) in t.columns.iter().enumerate() {
        let w = print.widths[c].max(widths[c]);
        print.widths[c] = w;
        let c = u16::try_from(c).unwrap_or(u16::MAX);
        ws.write_string_with_format(row, c, &col.label, &f.head)?;
        #[allow(clippy::cast_precision_loss)]
        ws.set_column_width(c, (w + 2) as f64)?;
    }
    print.header.get_or_insert(row);
    print.last_col = print
        .last_col
        .max(u16::try_from(t.columns.len().saturating_sub(1)).unwrap_or(u16::MAX));
    let lines_of = |cells: &[Cell]| -> usize {
        cells
            .iter()
            .enumerate()
            .filter_map(|(c, cell)| match cell {
                Cell::Text(s) => {
                    Some(display_width(s).div_ceil(widths.get(c).copied().unwrap_or(8).max(1)))
                }
                _ => None,
            })
            .max()
            .unwrap_or(1)
            .max(1)
    };
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
        let lines = lines_of(cells);
        if lines > 1 {
            #[allow(clippy::cast_precision_loss)]
            ws.set_row_height(r, 15.0 * lines as f64)?;
        }
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
    let mut prints: std::collections::BTreeMap<String, SheetPrint> =
        std::collections::BTreeMap::new();
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
            let print = prints.entry(current.clone()).or_default();
            let (after, first_row, last_row) = write_table(ws, &f, t, row, print)?;
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
        let print = prints.entry(current.clone()).or_default();
        print.last_row = print.last_row.max(row);
    }
    // Printable: every sheet fits the page width (landscape when wide), its table's header
    // repeats on each page, and the print area is what was written.
    for name in &names {
        let print = prints.remove(name).unwrap_or_default();
        let ws = wb.worksheet_from_name(name)?;
        ws.set_paper_size(9); // A4
        ws.set_print_fit_to_pages(1, 0);
        if print.widths.iter().map(|w| w + 2).sum::<usize>() > 100 {
            ws.set_landscape();
        }
        if let Some(h) = print.header {
            ws.set_repeat_rows(h, h)?;
        }
        ws.set_print_area(0, 0, print.last_row.max(1), print.last_col.max(WIDE))?;
    }
    wb.save_to_buffer()
}
