//! Seed 004's monthly service-quality analysis: volume by channel and business line with
//! month-over-month and year-over-year change; each KPI's change with a generated sentence;
//! complaints by business line per 10,000 users, repeats and escalations; the top
//! consultation categories and the fastest risers; the outbound telemarketing table.

use ccpulse_metrics::{human, ByItem, Catalog, Dimension, Filter, Unit};
use ccpulse_model::TenantId;
use ccpulse_store::Store;
use serde::Serialize;
use serde_json::{json, Value};

use crate::doc::{Cell, Chart, ChartKind, Column, Document, Fmt, Section, Table};
use crate::operations::period_words;
use crate::query::{Ask, Figures};
use crate::{round2, Lang, Period, ReportError};

/// A figure now, in the previous period and a year earlier, with the changes.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Change {
    pub value: Option<f64>,
    pub previous: Option<f64>,
    pub last_year: Option<f64>,
    /// value - previous (for ratios: in fractions; 0.013 is 1.3 percentage points).
    pub mom: Option<f64>,
    /// (value - previous) / previous.
    pub mom_pct: Option<f64>,
    pub yoy: Option<f64>,
    pub yoy_pct: Option<f64>,
}

impl Change {
    fn of(value: Option<f64>, previous: Option<f64>, last_year: Option<f64>) -> Self {
        let diff = |b: Option<f64>| value.zip(b).map(|(a, b)| a - b);
        let rel = |b: Option<f64>| {
            value
                .zip(b)
                .and_then(|(a, b)| (b != 0.0).then(|| (a - b) / b))
        };
        Self {
            value,
            previous,
            last_year,
            mom: diff(previous),
            mom_pct: rel(previous),
            yoy: diff(last_year),
            yoy_pct: rel(last_year),
        }
    }
}

/// Volume of one channel or business line.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Volume {
    pub key: String,
    #[serde(flatten)]
    pub change: Change,
}

/// A KPI with its change and the sentence that says it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KpiChange {
    pub metric: String,
    pub label: String,
    pub unit: &'static str,
    #[serde(flatten)]
    pub change: Change,
    pub sentence: String,
}

/// Complaint figures of one business line (or all) over a period: the catalog's ticket
/// metrics.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ComplaintFigures {
    /// Complaint tickets created in the period.
    pub complaints: u64,
    /// Of those, found valid (投诉成立).
    pub valid_complaints: u64,
    /// Same customer, same leaf category, after the earlier complaint was closed.
    pub repeat_complaints: u64,
    /// Escalated (越级): via government, media, a regulator or a superior office.
    pub escalated_complaints: u64,
    /// Distinct customers who complained.
    pub complainants: u64,
    /// Amount refunded by the period's tickets.
    pub refunds: f64,
    /// (very) satisfied / rated handling, `None` without ratings.
    pub handling_satisfaction: Option<f64>,
}

const COMPLAINT_METRICS: &[&str] = &[
    "complaints",
    "valid_complaints",
    "repeat_complaints",
    "escalated_complaints",
    "complainants",
    "refunds",
    "complaint_handling_satisfaction",
];

impl ComplaintFigures {
    fn of(f: &Figures) -> Self {
        Self {
            complaints: f.count("complaints"),
            valid_complaints: f.count("valid_complaints"),
            repeat_complaints: f.count("repeat_complaints"),
            escalated_complaints: f.count("escalated_complaints"),
            complainants: f.count("complainants"),
            refunds: f.get("refunds").unwrap_or(0.0),
            handling_satisfaction: f.get("complaint_handling_satisfaction"),
        }
    }
}

/// Complaint figures per business line (`None`: tickets without one), and over all lines.
type ComplaintsByLine = (Vec<(Option<String>, ComplaintFigures)>, ComplaintFigures);

/// The period's complaint figures by business line and in all.
fn complaint_figures(ask: &Ask<'_>, p: &Period) -> Result<ComplaintsByLine, ReportError> {
    let lines = ask
        .by(
            COMPLAINT_METRICS,
            Some(ByItem::Dimension(Dimension::BusinessLine)),
            p,
            &[],
            false,
        )?
        .into_iter()
        .map(|(k, f)| (k, ComplaintFigures::of(&f)))
        .collect();
    Ok((
        lines,
        ComplaintFigures::of(&ask.total(COMPLAINT_METRICS, p, &[])?),
    ))
}

/// Complaints of a business line (or all).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Complaints {
    pub business_line: Option<String>,
    #[serde(flatten)]
    pub figures: ComplaintFigures,
    pub previous_complaints: u64,
    /// Relative change of the count against the previous period.
    pub mom_pct: Option<f64>,
    /// Share of all complaints.
    pub share: Option<f64>,
    /// Subscribers in the period's last month.
    pub subscribers: Option<u64>,
    /// Complaints per 10,000 users.
    pub per_10k: Option<f64>,
    pub previous_per_10k: Option<f64>,
    /// Change of the rate, in units of 1/10,000 (万分点).
    pub per_10k_change: Option<f64>,
    pub sentence: String,
}

/// A consultation category's volume.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Category {
    pub category: String,
    pub count: u64,
    pub share: Option<f64>,
    pub previous: u64,
    pub change: i64,
    pub change_pct: Option<f64>,
}

/// The outbound telemarketing table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Outbound {
    pub dialled: Change,
    pub connected: Change,
    pub successes: Change,
    pub connect_rate: Change,
    pub success_rate: Change,
    pub sentence: String,
}

/// The whole analysis.
#[derive(Debug, Clone, PartialEq)]
pub struct QualityReport {
    pub tenant: String,
    pub period: Period,
    pub previous: Option<Period>,
    pub last_year: Option<Period>,
    pub lang: Lang,
    pub volume_by_channel: Vec<Volume>,
    pub volume_by_business_line: Vec<Volume>,
    pub kpis: Vec<KpiChange>,
    pub complaints: Complaints,
    pub complaints_by_business_line: Vec<Complaints>,
    pub top_categories: Vec<Category>,
    pub risers: Vec<Category>,
    pub outbound: Outbound,
}

/// KPIs whose change the analysis states, in seed 004's order.
const KPIS: [&str; 9] = [
    "agent_requests",
    "answered",
    "answer_rate",
    "service_level",
    "asa",
    "avg_talk",
    "satisfaction",
    "fcr",
    "abandoned",
];

/// Categories listed at most.
const TOP: usize = 10;

/// The unit a sentence writes after a figure (none for ratios: they carry their %).
fn unit_word(unit: Unit, lang: Lang) -> &'static str {
    match (unit, lang) {
        (Unit::Count, Lang::Zh) => "通",
        (Unit::Seconds, Lang::Zh) => "秒",
        (Unit::Minutes, Lang::Zh) => "分钟",
        (Unit::Hours, Lang::Zh) => "小时",
        (Unit::Score, Lang::Zh) => "分",
        (Unit::Seconds, Lang::En) => " s",
        (Unit::Minutes, Lang::En) => " min",
        (Unit::Hours, Lang::En) => " h",
        (Unit::Score, Lang::En) => " points",
        _ => "",
    }
}

/// The sentence of a KPI's change: `人工接通率98.20%，环比上升1.30个百分点`.
/// `prev_empty`: the previous period holds no data (said so, instead of a change).
pub fn sentence(
    label: &str,
    unit: Unit,
    c: &Change,
    prev: &str,
    prev_empty: bool,
    lang: Lang,
) -> String {
    let Some(v) = c.value else {
        return match lang {
            Lang::Zh => format!("{label}：本期无数据"),
            Lang::En => format!("{label}: no data this period"),
        };
    };
    // Every figure with its unit: 平均应答速度12.62秒, 人工请求量1234通.
    let word = unit_word(unit, lang);
    let now = format!("{}{word}", human(Some(v), unit));
    let Some(d) = c.mom else {
        return match (lang, prev_empty) {
            (Lang::Zh, true) => format!("{label}{now}（{prev}无数据）"),
            (Lang::En, true) => format!("{label} {now} (no data {prev})"),
            (Lang::Zh, false) => format!("{label}{now}"),
            (Lang::En, false) => format!("{label} {now}"),
        };
    };
    match (unit, lang) {
        (Unit::Ratio, Lang::Zh) => {
            let pts = (d * 100.0).abs();
            if round2(pts) == 0.0 {
                format!("{label}{now}，环比持平")
            } else {
                let dir = if d > 0.0 { "上升" } else { "下降" };
                format!("{label}{now}，环比{dir}{pts:.2}个百分点")
            }
        }
        (Unit::Ratio, Lang::En) => {
            let pts = (d * 100.0).abs();
            if round2(pts) == 0.0 {
                format!("{label} {now}, unchanged on {prev}")
            } else {
                let dir = if d > 0.0 { "up" } else { "down" };
                format!("{label} {now}, {dir} {pts:.2} percentage points on {prev}")
            }
        }
        (Unit::Count, Lang::Zh) => {
            let pct = c.mom_pct.map_or(String::new(), |p| {
                format!(
                    "，环比{}{:.2}%",
                    if p >= 0.0 { "上升" } else { "下降" },
                    (p * 100.0).abs()
                )
            });
            if d == 0.0 {
                format!("{label}{now}，与{prev}持平")
            } else {
                let dir = if d > 0.0 { "增加" } else { "减少" };
                format!("{label}{now}，较{prev}{dir}{:.0}{word}{pct}", d.abs())
            }
        }
        (Unit::Count, Lang::En) => {
            let pct = c
                .mom_pct
                .map_or(String::new(), |p| format!(" ({:+.2}%)", p * 100.0));
            if d == 0.0 {
                format!("{label} {now}, the same as {prev}")
            } else {
                let dir = if d > 0.0 { "up" } else { "down" };
                format!("{label} {now}, {dir} {:.0} on {prev}{pct}", d.abs())
            }
        }
        (_, Lang::Zh) => {
            if round2(d) == 0.0 {
                format!("{label}{now}，与{prev}持平")
            } else {
                let dir = if d > 0.0 { "增加" } else { "减少" };
                format!("{label}{now}，较{prev}{dir}{:.2}{word}", d.abs())
            }
        }
        (_, Lang::En) => {
            if round2(d) == 0.0 {
                format!("{label} {now}, the same as {prev}")
            } else {
                let dir = if d > 0.0 { "up" } else { "down" };
                format!("{label} {now}, {dir} {:.2}{word} on {prev}", d.abs())
            }
        }
    }
}

fn keyed(rows: Vec<(Option<String>, Figures)>, metric: &str) -> Vec<(String, Option<f64>)> {
    rows.into_iter()
        .filter_map(|(k, f)| Some((k?, f.get(metric))))
        .collect()
}

fn volume(
    ask: &Ask<'_>,
    dim: Dimension,
    p: &Period,
    prev: Option<&Period>,
    ly: Option<&Period>,
) -> Result<Vec<Volume>, ReportError> {
    let metric = "contacts";
    let now = keyed(
        ask.by(&[metric], Some(ByItem::Dimension(dim)), p, &[], false)?,
        metric,
    );
    let before = match prev {
        Some(p) => keyed(
            ask.by(&[metric], Some(ByItem::Dimension(dim)), p, &[], false)?,
            metric,
        ),
        None => Vec::new(),
    };
    let year = match ly {
        Some(p) => keyed(
            ask.by(&[metric], Some(ByItem::Dimension(dim)), p, &[], false)?,
            metric,
        ),
        None => Vec::new(),
    };
    let find = |rows: &[(String, Option<f64>)], k: &str| {
        rows.iter()
            .find(|(x, _)| x == k)
            .map_or(Some(0.0), |(_, v)| *v)
    };
    let mut out: Vec<Volume> = now
        .iter()
        .map(|(k, v)| Volume {
            key: k.clone(),
            change: Change::of(*v, prev.and(find(&before, k)), ly.and(find(&year, k))),
        })
        .collect();
    out.sort_by(|a, b| {
        b.change
            .value
            .partial_cmp(&a.change.value)
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    Ok(out)
}

fn per_10k(complaints: u64, subscribers: Option<u64>) -> Option<f64> {
    #[allow(clippy::cast_precision_loss)]
    subscribers
        .filter(|s| *s > 0)
        .map(|s| complaints as f64 * 10_000.0 / s as f64)
}

#[allow(clippy::too_many_arguments)]
fn complaints_of(
    line: Option<String>,
    f: ComplaintFigures,
    before: &ComplaintFigures,
    total: u64,
    subs: Option<u64>,
    prev_subs: Option<u64>,
    prev: &str,
    lang: Lang,
) -> Complaints {
    let rate = per_10k(f.complaints, subs);
    let prev_rate = per_10k(before.complaints, prev_subs);
    #[allow(clippy::cast_precision_loss)]
    let mom_pct = (before.complaints > 0)
        .then(|| (f.complaints as f64 - before.complaints as f64) / before.complaints as f64);
    #[allow(clippy::cast_precision_loss)]
    let share = (total > 0).then(|| f.complaints as f64 / total as f64);
    let rate_change = rate.zip(prev_rate).map(|(a, b)| a - b);
    let name = line
        .clone()
        .unwrap_or_else(|| lang.pick("全部", "All").to_owned());
    let mut s = match lang {
        Lang::Zh => {
            let mut s = format!("{name}投诉{}件", f.complaints);
            if let (Some(sh), true) = (share, line.is_some()) {
                s.push_str(&format!("，占比{:.2}%", sh * 100.0));
            }
            if let Some(p) = mom_pct {
                let dir = if p >= 0.0 { "上升" } else { "下降" };
                s.push_str(&format!(
                    "，较{prev}{}{}件，环比{dir}{:.2}%",
                    if f.complaints >= before.complaints {
                        "增加"
                    } else {
                        "减少"
                    },
                    f.complaints.abs_diff(before.complaints),
                    (p * 100.0).abs()
                ));
            }
            if let Some(r) = rate {
                s.push_str(&format!("，投诉率为万分之{r:.2}"));
                if let Some(d) = rate_change {
                    let dir = if d >= 0.0 { "上升" } else { "下降" };
                    s.push_str(&format!("，环比{dir}{:.2}个万分点", d.abs()));
                }
            }
            s
        }
        Lang::En => {
            let mut s = format!("{name}: {} complaints", f.complaints);
            if let (Some(sh), true) = (share, line.is_some()) {
                s.push_str(&format!(" ({:.2}% of all)", sh * 100.0));
            }
            if let Some(p) = mom_pct {
                s.push_str(&format!(", {:+.2}% on {prev}", p * 100.0));
            }
            if let Some(r) = rate {
                s.push_str(&format!(", {r:.2} per 10,000 users"));
                if let Some(d) = rate_change {
                    s.push_str(&format!(" ({d:+.2} on {prev})"));
                }
            }
            s
        }
    };
    if f.repeat_complaints > 0 || f.escalated_complaints > 0 {
        s.push_str(&match lang {
            Lang::Zh => format!(
                "；重复投诉{}件，越级投诉{}件",
                f.repeat_complaints, f.escalated_complaints
            ),
            Lang::En => format!(
                "; {} repeat and {} escalated",
                f.repeat_complaints, f.escalated_complaints
            ),
        });
    }
    s.push_str(lang.pick("。", "."));
    Complaints {
        business_line: line,
        previous_complaints: before.complaints,
        mom_pct,
        share,
        subscribers: subs,
        per_10k: rate,
        previous_per_10k: prev_rate,
        per_10k_change: rate_change,
        figures: f,
        sentence: s,
    }
}

fn categories(
    ask: &Ask<'_>,
    p: &Period,
    prev: Option<&Period>,
) -> Result<(Vec<Category>, Vec<Category>), ReportError> {
    let filter = [Filter::new(Dimension::BusinessType, ["consultation"])];
    let by = Some(ByItem::Dimension(Dimension::Category));
    let count = |rows: Vec<(Option<String>, Figures)>| -> Vec<(String, u64)> {
        rows.into_iter()
            .filter_map(|(k, f)| Some((k?, f.count("contacts"))))
            .collect()
    };
    let now = count(ask.by(&["contacts"], by, p, &filter, false)?);
    let before = match prev {
        Some(p) => count(ask.by(&["contacts"], by, p, &filter, false)?),
        None => Vec::new(),
    };
    let total: u64 = now.iter().map(|(_, n)| n).sum();
    let mut all: Vec<Category> = now
        .iter()
        .map(|(c, n)| {
            let b = before.iter().find(|(x, _)| x == c).map_or(0, |(_, n)| *n);
            #[allow(clippy::cast_precision_loss, clippy::cast_possible_wrap)]
            Category {
                category: c.clone(),
                count: *n,
                share: (total > 0).then(|| *n as f64 / total as f64),
                previous: b,
                change: *n as i64 - b as i64,
                change_pct: (b > 0).then(|| (*n as f64 - b as f64) / b as f64),
            }
        })
        .collect();
    all.sort_by(|a, b| {
        b.count
            .cmp(&a.count)
            .then_with(|| a.category.cmp(&b.category))
    });
    let top: Vec<Category> = all.iter().take(TOP).cloned().collect();
    let mut risers: Vec<Category> = all.into_iter().filter(|c| c.change > 0).collect();
    risers.sort_by(|a, b| {
        b.change
            .cmp(&a.change)
            .then_with(|| a.category.cmp(&b.category))
    });
    risers.truncate(5);
    Ok((top, risers))
}

const OUTBOUND: &[&str] = &[
    "outbound",
    "outbound_connected",
    "outbound_successes",
    "outbound_connect_rate",
    "outbound_success_rate",
];

fn outbound(
    ask: &Ask<'_>,
    p: &Period,
    prev: Option<&Period>,
    ly: Option<&Period>,
    lang: Lang,
    prev_word: &str,
) -> Result<Outbound, ReportError> {
    let now = ask.total(OUTBOUND, p, &[])?;
    let before = prev.map(|p| ask.total(OUTBOUND, p, &[])).transpose()?;
    let year = ly.map(|p| ask.total(OUTBOUND, p, &[])).transpose()?;
    let ch = |m: &str| {
        Change::of(
            now.get(m),
            before.as_ref().and_then(|b| b.get(m)),
            year.as_ref().and_then(|y| y.get(m)),
        )
    };
    let o = Outbound {
        dialled: ch("outbound"),
        connected: ch("outbound_connected"),
        successes: ch("outbound_successes"),
        connect_rate: ch("outbound_connect_rate"),
        success_rate: ch("outbound_success_rate"),
        sentence: String::new(),
    };
    let count = |c: &Change, label: &str| {
        let v = c.value.unwrap_or(0.0);
        match (c.mom, lang) {
            (Some(0.0), Lang::Zh) => format!("{label}{v:.0}户，与{prev_word}持平"),
            (Some(0.0), Lang::En) => format!("{label} {v:.0} (as {prev_word})"),
            (Some(d), Lang::Zh) => format!(
                "{label}{v:.0}户，较{prev_word}{}{:.0}户",
                if d >= 0.0 { "增加" } else { "减少" },
                d.abs()
            ),
            (Some(d), Lang::En) => format!("{label} {v:.0} ({d:+.0} on {prev_word})"),
            (None, Lang::Zh) => format!("{label}{v:.0}户"),
            (None, Lang::En) => format!("{label} {v:.0}"),
        }
    };
    let rate = |c: &Change, label: &str| match (c.value, c.mom, lang) {
        (None, _, Lang::Zh) => format!("{label}无"),
        (None, _, Lang::En) => format!("{label} -"),
        (Some(v), Some(d), Lang::Zh) => format!(
            "{label}{:.2}%，较{prev_word}{}{:.2}个百分点",
            v * 100.0,
            if d >= 0.0 { "提高" } else { "降低" },
            (d * 100.0).abs()
        ),
        (Some(v), Some(d), Lang::En) => {
            format!("{label} {:.2}% ({:+.2} points)", v * 100.0, d * 100.0)
        }
        (Some(v), None, Lang::Zh) => format!("{label}{:.2}%", v * 100.0),
        (Some(v), None, Lang::En) => format!("{label} {:.2}%", v * 100.0),
    };
    let sentence = match lang {
        Lang::Zh => format!(
            "本期{}；{}，{}，{}；{}。",
            count(&o.dialled, "外呼总量"),
            count(&o.connected, "接通总量"),
            count(&o.successes, "成功总量"),
            rate(&o.connect_rate, "接通率"),
            rate(&o.success_rate, "成功率")
        ),
        Lang::En => format!(
            "{}; {}; {}; {}; {}.",
            count(&o.dialled, "Dialled"),
            count(&o.connected, "connected"),
            count(&o.successes, "successes"),
            rate(&o.connect_rate, "connect rate"),
            rate(&o.success_rate, "success rate")
        ),
    };
    Ok(Outbound { sentence, ..o })
}

/// Gathers the analysis of `tenant` over `period`.
pub fn build(
    store: &dyn Store,
    catalog: &Catalog,
    tenant: &TenantId,
    period: &Period,
    lang: Lang,
) -> Result<QualityReport, ReportError> {
    if store.tenant(tenant.as_str()).is_none() {
        return Err(ccpulse_store::StoreError::UnknownTenant(tenant.to_string()).into());
    }
    let ask = Ask::new(store, catalog, tenant);
    let prev = period.previous();
    let ly = period.years_back(1);
    let prev_word = period.previous_words(lang);
    // A period without any contact (before the center's data starts) has no figures to
    // compare with: its column stays empty rather than showing zeros.
    let with_data = |p: &Option<Period>| -> Result<Option<Period>, ReportError> {
        match p {
            Some(p) if ask.has_data(p)? => Ok(Some(p.clone())),
            _ => Ok(None),
        }
    };
    let (prev_data, ly_data) = (with_data(&prev)?, with_data(&ly)?);

    let metrics = &KPIS[..];
    let now = ask.total(metrics, period, &[])?;
    // Compared only with periods that hold data: zeros before the data starts are not a change.
    let before = prev_data
        .as_ref()
        .map(|p| ask.total(metrics, p, &[]))
        .transpose()?;
    let year = ly_data
        .as_ref()
        .map(|p| ask.total(metrics, p, &[]))
        .transpose()?;
    let prev_empty = prev.is_some() && prev_data.is_none();
    let kpis = KPIS
        .iter()
        .filter_map(|m| catalog.get(m).map(|def| (m, def)))
        .map(|(m, def)| {
            let change = Change::of(
                now.get(m),
                before.as_ref().and_then(|b| b.get(m)),
                year.as_ref().and_then(|y| y.get(m)),
            );
            let label = def.label(lang.code()).to_owned();
            KpiChange {
                metric: (*m).to_owned(),
                sentence: sentence(&label, def.unit, &change, prev_word, prev_empty, lang),
                label,
                unit: def.unit.as_str(),
                change,
            }
        })
        .collect();

    let (lines, total) = complaint_figures(&ask, period)?;
    let (prev_lines, prev_total) = match &prev {
        Some(p) => complaint_figures(&ask, p)?,
        None => (Vec::new(), ComplaintFigures::default()),
    };
    let subs = store.subscribers(tenant, &period.last_month())?;
    let prev_subs = match &prev {
        Some(p) => store.subscribers(tenant, &p.last_month())?,
        None => Vec::new(),
    };
    let sub_of = |s: &[(String, u64)], line: Option<&str>| match line {
        Some(l) => s.iter().find(|(x, _)| x == l).map(|(_, n)| *n),
        None => (!s.is_empty()).then(|| s.iter().map(|(_, n)| n).sum()),
    };
    let complaints = complaints_of(
        None,
        total.clone(),
        &prev_total,
        total.complaints,
        sub_of(&subs, None),
        sub_of(&prev_subs, None),
        prev_word,
        lang,
    );
    let complaints_by_business_line = lines
        .into_iter()
        .map(|(line, f)| {
            let before = prev_lines
                .iter()
                .find(|(l, _)| *l == line)
                .map(|(_, f)| f.clone())
                .unwrap_or_default();
            complaints_of(
                line.clone(),
                f,
                &before,
                total.complaints,
                sub_of(&subs, line.as_deref()),
                sub_of(&prev_subs, line.as_deref()),
                prev_word,
                lang,
            )
        })
        .collect();
    let (top_categories, risers) = categories(&ask, period, prev_data.as_ref())?;
    Ok(QualityReport {
        tenant: tenant.to_string(),
        volume_by_channel: volume(
            &ask,
            Dimension::Channel,
            period,
            prev_data.as_ref(),
            ly_data.as_ref(),
        )?,
        volume_by_business_line: volume(
            &ask,
            Dimension::BusinessLine,
            period,
            prev_data.as_ref(),
            ly_data.as_ref(),
        )?,
        outbound: outbound(
            &ask,
            period,
            prev_data.as_ref(),
            ly_data.as_ref(),
            lang,
            prev_word,
        )?,
        period: period.clone(),
        previous: prev,
        last_year: ly,
        lang,
        kpis,
        complaints,
        complaints_by_business_line,
        top_categories,
        risers,
    })
}

impl QualityReport {
    /// The analysis for machines.
    pub fn to_json(&self) -> Value {
        json!({
            "report": "quality",
            "tenant": self.tenant,
            "period": self.period.label,
            "from": self.period.from_arg(),
            "to": self.period.to_arg(),
            "previous_period": self.previous.as_ref().map(|p| p.label.clone()),
            "last_year_period": self.last_year.as_ref().map(|p| p.label.clone()),
            "lang": self.lang.code(),
            "volume": {
                "by_channel": self.volume_by_channel,
                "by_business_line": self.volume_by_business_line,
            },
            "kpis": self.kpis,
            "complaints": {
                "total": self.complaints,
                "by_business_line": self.complaints_by_business_line,
            },
            "top_categories": self.top_categories,
            "risers": self.risers,
            "outbound": self.outbound,
        })
    }

    /// The analysis as a document.
    pub fn document(&self) -> Document {
        let lang = self.lang;
        let t = |zh: &str, en: &str| lang.pick(zh, en).to_owned();
        let when = period_words(&self.period, lang);
        let mut sections = vec![self.kpi_section()];
        sections.extend(self.volume_sections());
        sections.push(self.complaint_section());
        sections.extend(self.category_sections());
        sections.push(self.outbound_section());
        Document {
            title: format!("{} {}（{}）", self.tenant, t("服务质量分析", "service quality analysis"), when),
            subtitle: self.period.subtitle(lang),
            lang: lang.code().to_owned(),
            sections,
            footer: t(
                "由 ccpulse 生成：话务与指标来自呼叫记录，投诉来自工单，万用户投诉量以当月用户数计。",
                "Generated by ccpulse: traffic and KPIs from the contact records, complaints from tickets, rates per 10,000 users of the period's last month.",
            ),
        }
    }

    /// Section 1: each KPI in a sentence and a table of its changes.
    fn kpi_section(&self) -> Section {
        let lang = self.lang;
        let t = |zh: &str, en: &str| lang.pick(zh, en).to_owned();
        let prev = self.period.previous_words(lang);
        Section {
            heading: t("一、客服运营情况分析", "1. Operations"),
            paragraphs: self
                .kpis
                .iter()
                .map(|k| k.sentence.clone() + lang.pick("。", "."))
                .collect(),
            table: Some(Table {
                columns: vec![
                    Column::new(t("指标", "KPI"), Fmt::Text),
                    Column::new(t("本期", "This period"), Fmt::Text),
                    Column::new(prev, Fmt::Text),
                    Column::new(t("环比变化", "Change"), Fmt::Text),
                    Column::new(t("去年同期", "Last year"), Fmt::Text),
                    Column::new(t("同比变化", "YoY change"), Fmt::Text),
                ],
                rows: self
                    .kpis
                    .iter()
                    .map(|k| {
                        let unit = if k.unit == "ratio" {
                            Unit::Ratio
                        } else if k.unit == "count" {
                            Unit::Count
                        } else {
                            Unit::Seconds
                        };
                        let v = |x: Option<f64>| {
                            x.map_or(Cell::Empty, |x| Cell::Text(human(Some(x), unit)))
                        };
                        let d = |x: Option<f64>| {
                            x.map_or(Cell::Empty, |x| {
                                Cell::Text(match unit {
                                    Unit::Ratio => format!("{:+.2} pt", x * 100.0),
                                    Unit::Count => format!("{x:+.0}"),
                                    _ => format!("{x:+.2}"),
                                })
                            })
                        };
                        vec![
                            k.label.clone().into(),
                            v(k.change.value),
                            v(k.change.previous),
                            d(k.change.mom),
                            v(k.change.last_year),
                            d(k.change.yoy),
                        ]
                    })
                    .collect(),
                total: None,
            }),
            charts: Vec::new(),
            sheet: Some(t("运营指标", "KPIs")),
        }
    }

    /// Volume by channel and by business line, with their changes.
    fn volume_sections(&self) -> Vec<Section> {
        let lang = self.lang;
        let t = |zh: &str, en: &str| lang.pick(zh, en).to_owned();
        let prev = self.period.previous_words(lang);
        let change_cols = |first: String| {
            vec![
                Column::new(first, Fmt::Text),
                Column::new(t("本期", "This period"), Fmt::Int),
                Column::new(prev, Fmt::Int),
                Column::new(t("环比增减", "Change"), Fmt::Int),
                Column::new(t("环比", "MoM"), Fmt::Percent),
                Column::new(t("去年同期", "Last year"), Fmt::Int),
                Column::new(t("同比", "YoY"), Fmt::Percent),
            ]
        };
        let volume_table = |rows: &[Volume], first: String| Table {
            columns: change_cols(first),
            rows: rows
                .iter()
                .map(|v| {
                    let c = &v.change;
                    vec![
                        v.key.clone().into(),
                        Cell::opt(c.value),
                        Cell::opt(c.previous),
                        Cell::opt(c.mom),
                        Cell::opt(c.mom_pct),
                        Cell::opt(c.last_year),
                        Cell::opt(c.yoy_pct),
                    ]
                })
                .collect(),
            total: None,
        };
        vec![
            Section {
                heading: t("话务量（按渠道）", "Volume by channel"),
                table: Some(volume_table(&self.volume_by_channel, t("渠道", "Channel"))),
                charts: vec![Chart {
                    kind: ChartKind::Column,
                    title: t("各渠道话务量", "Volume by channel"),
                    categories: 0,
                    values: vec![1, 2],
                }],
                sheet: Some(t("话务量", "Volume")),
                ..Section::default()
            },
            Section {
                heading: t("话务量（按业务线）", "Volume by business line"),
                table: Some(volume_table(
                    &self.volume_by_business_line,
                    t("业务线", "Business line"),
                )),
                charts: vec![Chart {
                    kind: ChartKind::Pie,
                    title: t("业务线占比", "Share by business line"),
                    categories: 0,
                    values: vec![1],
                }],
                sheet: Some(t("话务量", "Volume")),
                ..Section::default()
            },
        ]
    }

    /// Section 2: complaints by business line, per 10,000 users, repeats and escalations.
    fn complaint_section(&self) -> Section {
        let lang = self.lang;
        let t = |zh: &str, en: &str| lang.pick(zh, en).to_owned();
        let prev = self.period.previous_words(lang);
        let complaint_row = |c: &Complaints, name: String| {
            vec![
                name.into(),
                Cell::Num(c.figures.complaints as f64),
                Cell::opt(c.share),
                Cell::Num(c.previous_complaints as f64),
                Cell::opt(c.mom_pct),
                Cell::opt(c.per_10k.map(round2)),
                Cell::opt(c.per_10k_change.map(round2)),
                Cell::Num(c.figures.valid_complaints as f64),
                Cell::Num(c.figures.repeat_complaints as f64),
                Cell::Num(c.figures.escalated_complaints as f64),
            ]
        };
        let mut paragraphs = vec![self.complaints.sentence.clone()];
        paragraphs.extend(
            self.complaints_by_business_line
                .iter()
                .map(|c| c.sentence.clone()),
        );
        Section {
            heading: t("二、投申诉情况分析", "2. Complaints"),
            paragraphs,
            table: Some(Table {
                columns: vec![
                    Column::new(t("业务线", "Business line"), Fmt::Text),
                    Column::new(t("投诉量", "Complaints"), Fmt::Int),
                    Column::new(t("占比", "Share"), Fmt::Percent),
                    Column::new(prev, Fmt::Int),
                    Column::new(t("环比", "MoM"), Fmt::Percent),
                    Column::new(t("万用户投诉量", "Per 10,000 users"), Fmt::Dec2),
                    Column::new(t("环比(万分点)", "Change (per 10,000)"), Fmt::Dec2),
                    Column::new(t("成立", "Valid"), Fmt::Int),
                    Column::new(t("重复投诉", "Repeat"), Fmt::Int),
                    Column::new(t("越级投诉", "Escalated"), Fmt::Int),
                ],
                rows: self
                    .complaints_by_business_line
                    .iter()
                    .map(|c| {
                        complaint_row(
                            c,
                            c.business_line
                                .clone()
                                .unwrap_or_else(|| t("未分类", "(none)")),
                        )
                    })
                    .collect(),
                total: Some(complaint_row(&self.complaints, t("合计", "Total"))),
            }),
            charts: vec![Chart {
                kind: ChartKind::Column,
                title: t("各业务线投诉量", "Complaints by business line"),
                categories: 0,
                values: vec![1, 3],
            }],
            sheet: Some(t("投诉", "Complaints")),
        }
    }

    /// The hottest and the fastest-rising consultation categories.
    fn category_sections(&self) -> Vec<Section> {
        let lang = self.lang;
        let t = |zh: &str, en: &str| lang.pick(zh, en).to_owned();
        let prev = self.period.previous_words(lang);
        let cat_table = |rows: &[Category]| Table {
            columns: vec![
                Column::new(t("咨询分类", "Category"), Fmt::Text),
                Column::new(t("咨询量", "Count"), Fmt::Int),
                Column::new(t("占比", "Share"), Fmt::Percent),
                Column::new(prev, Fmt::Int),
                Column::new(t("增减", "Change"), Fmt::Int),
                Column::new(t("环比", "MoM"), Fmt::Percent),
            ],
            rows: rows
                .iter()
                .map(|c| {
                    vec![
                        c.category.clone().into(),
                        Cell::Num(c.count as f64),
                        Cell::opt(c.share),
                        Cell::Num(c.previous as f64),
                        Cell::Num(c.change as f64),
                        Cell::opt(c.change_pct),
                    ]
                })
                .collect(),
            total: None,
        };
        vec![
            Section {
                heading: t("客户热点咨询分类情况", "Top consultation categories"),
                table: Some(cat_table(&self.top_categories)),
                sheet: Some(t("热点咨询", "Consultations")),
                ..Section::default()
            },
            Section {
                heading: t("增长最快的咨询分类", "Fastest-rising categories"),
                table: Some(cat_table(&self.risers)),
                sheet: Some(t("热点咨询", "Consultations")),
                ..Section::default()
            },
        ]
    }

    /// Section 3: outbound telemarketing.
    fn outbound_section(&self) -> Section {
        let lang = self.lang;
        let t = |zh: &str, en: &str| lang.pick(zh, en).to_owned();
        let prev = self.period.previous_words(lang);
        let o = &self.outbound;
        let orow = |label: String, c: &Change, rate: bool| {
            let v = |x: Option<f64>| {
                x.map_or(Cell::Empty, |x| {
                    Cell::Text(if rate {
                        format!("{:.2}%", x * 100.0)
                    } else {
                        format!("{x:.0}")
                    })
                })
            };
            let d = c.mom.map_or(Cell::Empty, |x| {
                Cell::Text(if rate {
                    format!("{:+.2} pt", x * 100.0)
                } else {
                    format!("{x:+.0}")
                })
            });
            vec![label.into(), v(c.value), v(c.previous), d, v(c.last_year)]
        };
        Section {
            heading: t("三、电话经营运营情况", "3. Outbound telemarketing"),
            paragraphs: vec![o.sentence.clone()],
            table: Some(Table {
                columns: vec![
                    Column::new(t("指标", "Figure"), Fmt::Text),
                    Column::new(t("本期", "This period"), Fmt::Text),
                    Column::new(prev, Fmt::Text),
                    Column::new(t("增减", "Change"), Fmt::Text),
                    Column::new(t("去年同期", "Last year"), Fmt::Text),
                ],
                rows: vec![
                    orow(t("外呼总数", "Dialled"), &o.dialled, false),
                    orow(t("接通总数", "Connected"), &o.connected, false),
                    orow(t("成功总数", "Successes"), &o.successes, false),
                    orow(t("接通率", "Connect rate"), &o.connect_rate, true),
                    orow(t("成功率", "Success rate"), &o.success_rate, true),
                ],
                total: None,
            }),
            charts: Vec::new(),
            sheet: Some(t("电话经营", "Outbound")),
        }
    }
}
