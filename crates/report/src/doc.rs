//! What a report looks like, apart from its format: a title, sections of paragraphs, tables
//! and charts over those tables. The HTML and XLSX writers render the same document, so a
//! figure is never computed twice.

/// How a column's numbers are shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fmt {
    Text,
    /// Whole numbers.
    Int,
    /// Two decimals (durations in seconds, minutes).
    Dec2,
    /// A fraction shown as a percentage with two decimals.
    Percent,
    /// A signed change in percentage points (a difference of fractions).
    Points,
}

/// One cell.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    Num(f64),
    Empty,
}

impl Cell {
    /// A number, or empty when there is none.
    pub fn opt(v: Option<f64>) -> Self {
        v.map_or(Cell::Empty, Cell::Num)
    }

    /// The number in the cell, if any.
    pub fn number(&self) -> Option<f64> {
        match self {
            Cell::Num(x) => Some(*x),
            _ => None,
        }
    }
}

impl From<&str> for Cell {
    fn from(s: &str) -> Self {
        Cell::Text(s.to_owned())
    }
}

impl From<String> for Cell {
    fn from(s: String) -> Self {
        Cell::Text(s)
    }
}

/// A table column.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    pub label: String,
    pub fmt: Fmt,
}

impl Column {
    pub fn new(label: impl Into<String>, fmt: Fmt) -> Self {
        Self {
            label: label.into(),
            fmt,
        }
    }
}

/// A table; `total` is a last row set apart (bold).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Table {
    pub columns: Vec<Column>,
    pub rows: Vec<Vec<Cell>>,
    pub total: Option<Vec<Cell>>,
}

/// Kinds of chart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChartKind {
    Line,
    Column,
    Pie,
}

/// A chart over the section's table: categories from one column, one series per value
/// column (a pie takes the first value column only). The total row is never charted.
#[derive(Debug, Clone, PartialEq)]
pub struct Chart {
    pub kind: ChartKind,
    pub title: String,
    pub categories: usize,
    pub values: Vec<usize>,
}

/// A part of a report: a heading, paragraphs, an optional table and its charts. `sheet` names
/// the worksheet the table goes to in XLSX (sections without a table join the first sheet).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Section {
    pub heading: String,
    pub paragraphs: Vec<String>,
    pub table: Option<Table>,
    pub charts: Vec<Chart>,
    pub sheet: Option<String>,
}

/// A whole report.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Document {
    pub title: String,
    pub subtitle: String,
    /// `zh-CN` or `en`.
    pub lang: String,
    pub sections: Vec<Section>,
    pub footer: String,
}

/// A number as people read it in this column.
pub fn show(v: f64, fmt: Fmt) -> String {
    match fmt {
        Fmt::Text | Fmt::Int if v.fract() == 0.0 => format!("{v:.0}"),
        Fmt::Text | Fmt::Int | Fmt::Dec2 => format!("{v:.2}"),
        Fmt::Percent => format!("{:.2}%", v * 100.0),
        Fmt::Points => format!("{:+.2}", v * 100.0),
    }
}

/// The cell as text for this column (empty cells show as `-`).
pub fn cell_text(c: &Cell, fmt: Fmt) -> String {
    match c {
        Cell::Text(s) => s.clone(),
        Cell::Num(v) => show(*v, fmt),
        Cell::Empty => "-".to_owned(),
    }
}
