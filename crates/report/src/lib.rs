//! Reports managers hand to their bosses, from the store's KPI queries.
//!
//! - [`agents`]: agents against their team's or queue's baseline (robust z-scores, flags).
//! - [`period`]: `2021`, `2021-Q3`, `2021-06`, `2021-01-01..2021-07-01`; rows and comparisons.
//! - [`operations`]: seed 000's operations report (summary, monthly table, satisfaction,
//!   complaints, dissatisfied calls, trends, previous years).
//! - [`quality`]: seed 004's monthly service-quality analysis (volume, KPI changes in words,
//!   complaints per 10,000 users, hot consultation topics, outbound telemarketing).
//! - [`scorecard`]: seed 002's KPI scorecard (value, band, points, total, change).
//! - [`schedule`]: which periods a schedule owes a report for; generating it.
//! - [`doc`]: a report apart from its format; [`html`] (with [`svg`] charts) and [`xlsx`]
//!   (native Excel charts) render it; [`pdf`] prints the HTML with headless Chromium.
//! - [`view`]: an explore view or a drill-down as a document (their XLSX, HTML, PDF export).
//!
//! Every figure comes from a catalog KPI query run by the store (the same SQL as
//! `ccpulse kpi`); Rust only arranges and rounds for display.

pub mod agents;
pub mod channels;
pub mod doc;
pub mod html;
pub mod names;
pub mod operations;
pub mod pdf;
pub mod period;
pub mod quality;
mod query;
pub mod schedule;
pub mod scorecard;
pub mod staffing;
pub mod svg;
pub mod topics;
pub mod view;
pub mod xlsx;

use std::path::Path;

pub use period::{Period, Rows};

/// Errors of report generation.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("period {0}")]
    Period(String),
    #[error(transparent)]
    Store(#[from] ccpulse_store::StoreError),
    #[error("xlsx: {0}")]
    Xlsx(#[from] rust_xlsxwriter::XlsxError),
    #[error("{0}")]
    Chromium(String),
    #[error("{0}")]
    Io(String),
    #[error("{0}")]
    Invalid(String),
}

/// The reader's language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    Zh,
    En,
}

impl Lang {
    /// `en…` is English; anything else is zh-CN (the default of our first users).
    pub fn parse(s: &str) -> Self {
        if s.to_ascii_lowercase().starts_with("en") {
            Lang::En
        } else {
            Lang::Zh
        }
    }

    /// `zh-CN` or `en`.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }

    /// Picks the text for this language.
    pub fn pick<'a>(self, zh: &'a str, en: &'a str) -> &'a str {
        match self {
            Lang::Zh => zh,
            Lang::En => en,
        }
    }
}

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Html,
    Xlsx,
    Json,
    Pdf,
}

impl Format {
    /// `html`, `xlsx`, `json` or `pdf`.
    pub fn parse(s: &str) -> Result<Self, ReportError> {
        match s {
            "html" => Ok(Format::Html),
            "xlsx" => Ok(Format::Xlsx),
            "json" => Ok(Format::Json),
            "pdf" => Ok(Format::Pdf),
            other => Err(ReportError::Invalid(format!(
                "unknown format `{other}` (html, xlsx, json or pdf)"
            ))),
        }
    }
}

/// Writes a report in `format` to `out`: JSON from `json`, the rest from `doc`.
pub fn write(
    doc: &doc::Document,
    json: &serde_json::Value,
    format: Format,
    out: &Path,
) -> Result<(), ReportError> {
    let io = |e: std::io::Error| ReportError::Io(format!("{}: {e}", out.display()));
    if let Some(parent) = out.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(io)?;
    }
    match format {
        Format::Json => {
            let text = serde_json::to_string_pretty(json)
                .map_err(|e| ReportError::Invalid(e.to_string()))?;
            std::fs::write(out, text + "\n").map_err(io)
        }
        Format::Html => std::fs::write(out, html::render(doc)).map_err(io),
        Format::Xlsx => std::fs::write(out, xlsx::render(doc)?).map_err(io),
        Format::Pdf => pdf::print_pdf(&html::render(doc), out),
    }
}

/// What every document gets before it leaves, whoever made it (the command line, the API, a
/// schedule): its codes named by the tenant's `labels.toml` and the built-in names, and, for
/// a period without any contact or ticket, a first section that says so. Whether the period
/// was empty.
pub fn finish(
    store: &dyn ccpulse_store::Store,
    catalog: &ccpulse_metrics::Catalog,
    tenant: &ccpulse_model::TenantId,
    period: &Period,
    doc: &mut doc::Document,
    lang: Lang,
) -> Result<bool, ReportError> {
    let names =
        names::Names::load(store.files_dir(), tenant.as_str()).map_err(ReportError::Invalid)?;
    names.apply(doc, lang);
    let empty = !query::Ask::new(store, catalog, tenant).has_data(period)?;
    if empty {
        note_no_data(doc, period, lang);
    }
    Ok(empty)
}

/// Puts first in `doc` that `period` holds no data, so the first page says so.
fn note_no_data(doc: &mut doc::Document, period: &Period, lang: Lang) {
    let span = format!(
        "{} – {}",
        period.from,
        period.to.yesterday().unwrap_or(period.to)
    );
    let (heading, text) = match lang {
        Lang::Zh => (
            "本期无数据".to_owned(),
            format!(
                "{}（{span}）没有任何联络或工单数据：以下各项均为空，不是零。请检查统计区间，或先导入数据。",
                period.label
            ),
        ),
        Lang::En => (
            "No data for this period".to_owned(),
            format!(
                "{} ({span}) holds no contact or ticket: everything below is empty, not zero. \
                 Check the period, or import the data first.",
                period.label
            ),
        ),
    };
    doc.sections.insert(
        0,
        doc::Section {
            heading,
            paragraphs: vec![text],
            ..Default::default()
        },
    );
}

/// Rounds to two decimals, as the reports show figures.
pub fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// Rounds to four decimals (shares: 0.6438 is 64.38 %).
pub fn round4(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}
