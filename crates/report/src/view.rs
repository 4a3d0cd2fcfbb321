//! A view of the explore page (a KPI question's answer) or a drill-down's contacts as a
//! [`Document`], so they export to XLSX (with a native chart), HTML and PDF through the same
//! writers as the reports.

use ccpulse_metrics::drill::{Cell as DrillCell, Drilled, FIELDS};
use ccpulse_metrics::{ByItem, Catalog, CompiledMetric, KpiQuery, KpiResult, KpiText, Unit};
use ccpulse_model::TenantId;
use ccpulse_store::{DuckDbStore, Template};
use serde::{Deserialize, Serialize};

use crate::doc::{Cell, Chart, ChartKind, Column, Document, Fmt, Section, Table};
use crate::{Lang, Period, ReportError};

/// A view as the explore page saves it in a template: the question without its period
/// (which a run gives), and how the page shows it. Unknown keys are kept by the page only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct SavedView {
    /// Comma-separated metric references, as `kpi --metrics`.
    pub metrics: String,
    /// Comma-separated buckets and dimensions, as `kpi --by`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
    /// `KEY=V1[,V2]` each.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub filters: Vec<String>,
    /// The page's period preset when saved (`this_month`, ...); a run names its own period.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub period: Option<String>,
    /// The chart the page shows (`line`, `bar`, `heatmap`, `pie`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chart: Option<String>,
    /// A dimension across the columns (a cross-tab).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pivot: Option<String>,
}

impl SavedView {
    /// Reads a template's view.
    pub fn parse(text: &str) -> Result<Self, ReportError> {
        serde_json::from_str(text).map_err(|e| ReportError::Invalid(format!("template view: {e}")))
    }

    /// Reads a view to be saved for `tenant`, checking that the catalog can answer its
    /// question (metrics, parameters, dimensions and filters).
    pub fn checked(
        store: &DuckDbStore,
        catalog: &Catalog,
        tenant: &TenantId,
        text: &str,
    ) -> Result<Self, ReportError> {
        let v = Self::parse(text)?;
        store
            .compile(catalog, &v.question(tenant.clone(), None)?)
            .map_err(|e| ReportError::Invalid(format!("template view: {e}")))?;
        Ok(v)
    }

    /// The question over `period` (all history without one).
    pub fn question(
        &self,
        tenant: TenantId,
        period: Option<&Period>,
    ) -> Result<KpiQuery, ReportError> {
        let text = KpiText {
            metrics: &self.metrics,
            by: self.by.as_deref(),
            from: None,
            to: None,
            filters: &self.filters,
        };
        let q = KpiQuery::parse(tenant, &text)
            .map_err(|e| ReportError::Invalid(format!("template view: {e}")))?;
        Ok(match period.map(Period::local_range) {
            Some((from, to)) => q.between(from, to),
            None => q,
        })
    }
}

/// A template run over `period` on the contacts in `scope`: its document and its JSON (the KPI answer).
pub fn run_template(
    store: &DuckDbStore,
    catalog: &Catalog,
    tenant: &TenantId,
    t: &Template,
    period: &Period,
    scope: &[ccpulse_metrics::Filter],
    lang: Lang,
) -> Result<(Document, serde_json::Value), ReportError> {
    let view = SavedView::parse(&t.view)?;
    let mut q = view.question(tenant.clone(), Some(period))?.filled();
    q.filters.extend_from_slice(scope);
    let r = store.ask(catalog, &q)?;
    let subtitle = format!("{} · {}", period.label, tenant);
    Ok((
        kpi_document(&r, &t.name, &subtitle, lang),
        r.to_json(lang.code(), false),
    ))
}

/// How a metric's values are written: counts whole, averages of counts (per day) with two
/// decimals.
fn fmt_of(m: &CompiledMetric) -> Fmt {
    match m.unit {
        Unit::Ratio => Fmt::Percent,
        Unit::Count if m.denominator_sql.is_none() => Fmt::Int,
        _ => Fmt::Dec2,
    }
}

/// The answer as a table (a column per `by` item, then per metric) with a chart: a line
/// over a time bucket, columns over a dimension; none for a single row.
pub fn kpi_document(r: &KpiResult, title: &str, subtitle: &str, lang: Lang) -> Document {
    let code = lang.code();
    let q = &r.query;
    let mut columns: Vec<Column> =
        q.by.iter()
            .map(|(b, _)| Column::new(b.label(code), Fmt::Text))
            .collect();
    columns.extend(
        q.metrics
            .iter()
            .map(|m| Column::new(m.label(code), fmt_of(m))),
    );
    let rows: Vec<Vec<Cell>> = r
        .rows
        .iter()
        .map(|row| {
            let mut cells: Vec<Cell> = row
                .keys
                .iter()
                .map(|k| k.text().map_or(Cell::Empty, Cell::Text))
                .collect();
            cells.extend(row.values.iter().map(|v| Cell::opt(*v)));
            cells
        })
        .collect();
    let keys = q.by.len();
    let charts = match q.by.first() {
        Some((first, _)) if rows.len() > 1 && keys == 1 => vec![Chart {
            kind: if matches!(first, ByItem::Bucket(_)) {
                ChartKind::Line
            } else {
                ChartKind::Column
            },
            title: title.to_owned(),
            categories: 0,
            values: (keys..keys + q.metrics.len()).collect(),
        }],
        _ => Vec::new(),
    };
    Document {
        title: title.to_owned(),
        subtitle: subtitle.to_owned(),
        lang: code.to_owned(),
        sections: vec![Section {
            heading: title.to_owned(),
            table: Some(Table {
                columns,
                rows,
                total: None,
            }),
            charts,
            sheet: Some(sheet(lang, "数据", "Data")),
            ..Section::default()
        }],
        footer: footer(lang),
    }
}

/// The drilled contacts as a table, every field a column.
pub fn contacts_document(d: &Drilled, title: &str, lang: Lang) -> Document {
    let columns = FIELDS
        .iter()
        .map(|f| Column::new(f.name, if f.numeric { Fmt::Dec2 } else { Fmt::Text }))
        .collect();
    let rows = d
        .rows
        .iter()
        .map(|r| {
            r.iter()
                .map(|c| match c {
                    DrillCell::Text(Some(s)) => Cell::Text(s.clone()),
                    DrillCell::Num(Some(n)) => Cell::Num(*n),
                    _ => Cell::Empty,
                })
                .collect()
        })
        .collect();
    let shown = match lang {
        Lang::Zh => format!("共 {} 条，本页 {} 条", d.total, d.rows.len()),
        Lang::En => format!("{} contacts, {} on this page", d.total, d.rows.len()),
    };
    Document {
        title: title.to_owned(),
        subtitle: shown.clone(),
        lang: lang.code().to_owned(),
        sections: vec![Section {
            heading: title.to_owned(),
            paragraphs: vec![shown],
            table: Some(Table {
                columns,
                rows,
                total: None,
            }),
            charts: Vec::new(),
            sheet: Some(sheet(lang, "明细", "Contacts")),
        }],
        footer: footer(lang),
    }
}

fn sheet(lang: Lang, zh: &str, en: &str) -> String {
    match lang {
        Lang::Zh => zh.to_owned(),
        Lang::En => en.to_owned(),
    }
}

fn footer(lang: Lang) -> String {
    sheet(
        lang,
        "由 ccpulse 生成；所有数字来自指标目录的查询。",
        "Generated by ccpulse; every figure is a catalog KPI query.",
    )
}
