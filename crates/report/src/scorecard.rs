//! Seed 002's KPI scorecard: every metric with a standard, its value, the band it falls in,
//! its points, the total score and the change against the previous period; overall or per
//! queue or agent.

use ccpulse_metrics::{Band, ByItem, Catalog, Standards, Table as Source, Unit};
use ccpulse_model::TenantId;
use ccpulse_store::Store;
use serde::Serialize;
use serde_json::{json, Value};

use crate::doc::{Cell, Column, Document, Fmt, Section, Table};
use crate::operations::period_words;
use crate::query::{Ask, Figures};
use crate::{Lang, Period, ReportError};

/// One KPI of a scorecard.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Kpi {
    pub metric: String,
    pub label: String,
    pub unit: &'static str,
    pub value: Option<f64>,
    /// The band the value falls in, in words (`> 93.00% ≤ 95.00%`).
    pub band: Option<String>,
    pub points: Option<u8>,
    pub max_points: u8,
    pub previous_value: Option<f64>,
    pub previous_points: Option<u8>,
    /// value - previous value.
    pub change: Option<f64>,
    pub points_change: Option<i16>,
}

/// The scorecard of one group (the whole center, a queue or an agent).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Group {
    /// `None` for the whole center (or contacts without the dimension when grouped).
    pub key: Option<String>,
    pub kpis: Vec<Kpi>,
    /// Sum of the points of the KPIs that have a value.
    pub total_points: u32,
    /// 5 (or the best band's points) for each KPI that has a value.
    pub max_points: u32,
    pub previous_total_points: Option<u32>,
}

/// A whole scorecard.
#[derive(Debug, Clone, PartialEq)]
pub struct Scorecard {
    pub tenant: String,
    pub period: Period,
    pub previous: Option<Period>,
    /// The previous period holds no data: nothing to compare with (said so, not zeros).
    pub previous_empty: bool,
    pub by: Option<String>,
    pub lang: Lang,
    pub groups: Vec<Group>,
}

fn score(bands: &[Band], v: Option<f64>) -> Option<(usize, u8)> {
    let v = v?;
    bands
        .iter()
        .enumerate()
        .find(|(_, b)| b.holds(v))
        .map(|(i, b)| (i, b.points))
}

fn show(v: f64, unit: Unit) -> String {
    let s = match unit {
        Unit::Ratio => format!("{:.2}", v * 100.0),
        _ => format!("{v:.2}"),
    };
    let s = s.trim_end_matches('0').trim_end_matches('.').to_owned();
    if unit == Unit::Ratio {
        s + "%"
    } else {
        s
    }
}

/// Band `i` in words: its own condition and, below the best band, the previous band's
/// condition negated (`> 93% ≤ 95%`, as seed 002 writes `93%<接通率≤95%`).
pub fn band_text(bands: &[Band], i: usize, unit: Unit) -> String {
    let mut parts = Vec::new();
    if let Some(b) = bands.get(i) {
        for (op, x) in [(">", b.gt), ("≥", b.ge), ("<", b.lt), ("≤", b.le)] {
            if let Some(x) = x {
                parts.push(format!("{op} {}", show(x, unit)));
            }
        }
    }
    if let Some(prev) = i.checked_sub(1).and_then(|p| bands.get(p)) {
        for (op, x) in [
            ("≤", prev.gt),
            ("<", prev.ge),
            ("≥", prev.lt),
            (">", prev.le),
        ] {
            if let Some(x) = x {
                parts.push(format!("{op} {}", show(x, unit)));
            }
        }
    }
    parts.join(" ")
}

fn group_of(
    key: Option<String>,
    now: &Figures,
    before: Option<&Figures>,
    standards: &Standards,
    asked: &[&str],
    catalog: &Catalog,
    lang: Lang,
) -> Group {
    let mut kpis = Vec::new();
    for (metric, bands) in &standards.bands {
        if !asked.contains(&metric.as_str()) {
            continue;
        }
        let Some(m) = catalog.get(metric) else {
            continue;
        };
        let value = now.get(metric);
        let scored = score(bands, value);
        let previous_value = before.and_then(|b| b.get(metric));
        let previous_points = score(bands, previous_value).map(|(_, p)| p);
        kpis.push(Kpi {
            metric: metric.clone(),
            label: m.label(lang.code()).to_owned(),
            unit: m.unit.as_str(),
            value,
            band: scored.map(|(i, _)| band_text(bands, i, m.unit)),
            points: scored.map(|(_, p)| p),
            max_points: bands.iter().map(|b| b.points).max().unwrap_or(0),
            previous_value,
            previous_points,
            change: value.zip(previous_value).map(|(a, b)| a - b),
            points_change: scored
                .map(|(_, p)| p)
                .zip(previous_points)
                .map(|(a, b)| i16::from(a) - i16::from(b)),
        });
    }
    let total_points = kpis.iter().filter_map(|k| k.points).map(u32::from).sum();
    let max_points = kpis
        .iter()
        .filter(|k| k.points.is_some())
        .map(|k| u32::from(k.max_points))
        .sum();
    let previous_total_points = before.map(|_| {
        kpis.iter()
            .filter_map(|k| k.previous_points)
            .map(u32::from)
            .sum()
    });
    Group {
        key,
        kpis,
        total_points,
        max_points,
        previous_total_points,
    }
}

/// Scores `tenant` over `period` (and the period before), overall or `by` queue or agent.
pub fn build(
    store: &dyn Store,
    catalog: &Catalog,
    tenant: &TenantId,
    period: &Period,
    by: Option<&str>,
    lang: Lang,
) -> Result<Scorecard, ReportError> {
    if store.tenant(tenant.as_str()).is_none() {
        return Err(ccpulse_store::StoreError::UnknownTenant(tenant.to_string()).into());
    }
    if let Some(other) = by.filter(|b| !matches!(*b, "queue" | "agent" | "team")) {
        return Err(ReportError::Invalid(format!(
            "--by {other}: a scorecard is by queue, agent or team (teams from `import --format agents`)"
        )));
    }
    let standards = store.standards(catalog, tenant)?;
    let ask = Ask::new(store, catalog, tenant);
    let previous = period.previous();
    // Ticket, subscriber and headcount metrics (and ratios over them) have no queue or agent:
    // they score the whole center only. The rest go in one query (the compiler joins tables
    // on the keys).
    let center_only = |name: &str| -> bool {
        let Some(m) = catalog.get(name) else {
            return false;
        };
        let mut tables = vec![m.table];
        if let Some((a, b)) = &m.of {
            tables.extend(
                [a, b]
                    .iter()
                    .filter_map(|x| catalog.get(x))
                    .map(|x| x.table),
            );
        }
        tables
            .iter()
            .any(|t| matches!(t, Source::Tickets | Source::Subscribers | Source::Agents))
    };
    let asked: Vec<&str> = standards
        .bands
        .keys()
        .map(String::as_str)
        .filter(|n| catalog.get(n).is_some() && !(by.is_some() && center_only(n)))
        .collect();
    let by_item = by
        .map(ByItem::parse)
        .transpose()
        .map_err(ccpulse_store::StoreError::from)?;
    let run = |p: &Period| ask.by(&asked, by_item, p, &[], false);
    let now = run(period)?;
    let previous_empty = match &previous {
        Some(p) => !ask.has_data(p)?,
        None => false,
    };
    let before = match &previous {
        Some(p) if !previous_empty => run(p)?,
        _ => Vec::new(),
    };
    let groups = if by.is_none() {
        let now = now.into_iter().next().map(|(_, f)| f).unwrap_or_default();
        let before = before.into_iter().next().map(|(_, f)| f);
        vec![group_of(
            None,
            &now,
            before.as_ref(),
            &standards,
            &asked,
            catalog,
            lang,
        )]
    } else {
        now.into_iter()
            .map(|(key, f)| {
                let b = before.iter().find(|(k, _)| *k == key).map(|(_, f)| f);
                group_of(key, &f, b, &standards, &asked, catalog, lang)
            })
            .collect()
    };
    Ok(Scorecard {
        tenant: tenant.to_string(),
        period: period.clone(),
        previous,
        previous_empty,
        by: by.map(str::to_owned),
        lang,
        groups,
    })
}

impl Scorecard {
    /// The scorecard for machines.
    pub fn to_json(&self) -> Value {
        json!({
            "report": "scorecard",
            "tenant": self.tenant,
            "period": self.period.label,
            "from": self.period.from_arg(),
            "to": self.period.to_arg(),
            "previous_period": self.previous.as_ref().map(|p| p.label.clone()),
            "by": self.by,
            "lang": self.lang.code(),
            "groups": self.groups,
        })
    }

    /// The scorecard as a document.
    pub fn document(&self) -> Document {
        let lang = self.lang;
        let t = |zh: &str, en: &str| lang.pick(zh, en).to_owned();
        let when = period_words(&self.period, lang);
        let prev = self
            .previous
            .as_ref()
            .map_or(String::new(), |p| period_words(p, lang));
        let mut sections = Vec::new();
        for g in &self.groups {
            let unit_fmt = |k: &Kpi| {
                if k.unit == "ratio" {
                    Fmt::Percent
                } else {
                    Fmt::Dec2
                }
            };
            let heading = match (&self.by, &g.key) {
                (None, _) => t("整体考核", "Whole center"),
                (Some(_), Some(k)) => k.clone(),
                (Some(_), None) => t("（未分配）", "(none)"),
            };
            let text = |v: Option<f64>, k: &Kpi| {
                v.map_or(Cell::Empty, |v| {
                    Cell::Text(crate::doc::show(v, unit_fmt(k)))
                })
            };
            let rows = g
                .kpis
                .iter()
                .map(|k| {
                    vec![
                        k.label.clone().into(),
                        text(k.value, k),
                        k.band.clone().map_or(Cell::Empty, Cell::Text),
                        Cell::opt(k.points.map(f64::from)),
                        text(k.previous_value, k),
                        Cell::opt(k.previous_points.map(f64::from)),
                        match (k.change, unit_fmt(k)) {
                            (Some(c), Fmt::Percent) => Cell::Text(format!("{:+.2} pt", c * 100.0)),
                            (Some(c), _) => Cell::Text(format!("{c:+.2}")),
                            (None, _) => Cell::Empty,
                        },
                    ]
                })
                .collect();
            let summary = match lang {
                Lang::Zh => format!(
                    "{when}得分{}分（满分{}分）{}。",
                    g.total_points,
                    g.max_points,
                    match g.previous_total_points {
                        Some(p) => format!("，{prev}为{p}分"),
                        None if self.previous_empty => format!("，{prev}无数据"),
                        None => String::new(),
                    }
                ),
                Lang::En => format!(
                    "{when}: {} of {} points{}.",
                    g.total_points,
                    g.max_points,
                    match g.previous_total_points {
                        Some(p) => format!(" ({prev}: {p})"),
                        None if self.previous_empty => format!(" (no data for {prev})"),
                        None => String::new(),
                    }
                ),
            };
            sections.push(Section {
                heading,
                paragraphs: vec![summary],
                table: Some(Table {
                    columns: vec![
                        Column::new(t("指标", "KPI"), Fmt::Text),
                        Column::new(t("数值", "Value"), Fmt::Text),
                        Column::new(t("标准区间", "Band"), Fmt::Text),
                        Column::new(t("得分", "Points"), Fmt::Int),
                        Column::new(format!("{}{prev}", t("上期 ", "Previous ")), Fmt::Text),
                        Column::new(t("上期得分", "Previous points"), Fmt::Int),
                        Column::new(t("变化", "Change"), Fmt::Text),
                    ],
                    rows,
                    total: Some(vec![
                        t("总分", "Total").into(),
                        Cell::Empty,
                        Cell::Text(format!("/ {}", g.max_points)),
                        Cell::Num(f64::from(g.total_points)),
                        Cell::Empty,
                        Cell::opt(g.previous_total_points.map(f64::from)),
                        Cell::Empty,
                    ]),
                }),
                charts: Vec::new(),
                sheet: Some(t("考核", "Scorecard")),
            });
        }
        Document {
            title: format!("{} {}（{}）", self.tenant, t("KPI考核", "KPI scorecard"), when),
            subtitle: self.period.subtitle(lang),
            lang: lang.code().to_owned(),
            sections,
            footer: t(
                "评分标准：默认为行业考核标准（5/4/3/2分），可按租户在 standards.toml 中调整。",
                "Bands: seed 002's standards (5/4/3/2 points) unless the tenant's standards.toml overrides them.",
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b(points: u8, gt: Option<f64>, le: Option<f64>) -> Band {
        Band {
            points,
            gt,
            ge: None,
            lt: None,
            le,
        }
    }

    #[test]
    fn bands_read_as_seed_002_writes_them() {
        let answer = [
            b(5, Some(0.95), None),
            b(4, Some(0.93), None),
            b(3, Some(0.90), None),
            b(2, None, None),
        ];
        assert_eq!(band_text(&answer, 0, Unit::Ratio), "> 95%");
        assert_eq!(band_text(&answer, 1, Unit::Ratio), "> 93% ≤ 95%");
        assert_eq!(band_text(&answer, 3, Unit::Ratio), "≤ 90%");
        assert_eq!(score(&answer, Some(0.94)), Some((1, 4)));
        assert_eq!(score(&answer, Some(0.95)), Some((1, 4)));
        assert_eq!(score(&answer, None), None);
        let defect = [
            b(5, None, Some(0.002)),
            b(4, None, Some(0.004)),
            b(2, None, None),
        ];
        assert_eq!(band_text(&defect, 1, Unit::Ratio), "≤ 0.4% > 0.2%");
    }
}
