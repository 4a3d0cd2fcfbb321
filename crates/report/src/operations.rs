//! Seed 000's operations report: the summary paragraph, the monthly (or daily) traffic table,
//! complaints and dissatisfied calls, the satisfaction breakdown, trend charts and, with
//! `--compare N`, the same table for the N previous years.

use ccpulse_metrics::{ByItem, Catalog, Dimension, Filter};
use ccpulse_model::TenantId;
use ccpulse_store::{ContactLine, ContactList, Store};
use serde::Serialize;
use serde_json::{json, Value};

use crate::doc::{Cell, Chart, ChartKind, Column, Document, Fmt, Section, Table};
use crate::query::{Ask, Figures};
use crate::{round2, round4, Lang, Period, ReportError, Rows};

/// Contacts a document lists one by one unless asked for more (`--details all|N`): the count
/// says how many there are in all, and where the rest are.
pub const DEFAULT_DETAILS: usize = 50;

/// One row of seed 000's table (or its total).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Traffic {
    /// 呼入量: inbound contacts, every outcome.
    pub offered: u64,
    /// 呼入接听量.
    pub answered: u64,
    /// 呼损数.
    pub abandoned: u64,
    /// 自助语音数.
    pub self_service: u64,
    /// 平均通话时长: inbound talk seconds per answered call (0 without calls, as the seed).
    pub avg_talk: f64,
    /// 呼出量.
    pub outbound: u64,
    /// 呼出平均通话时长: per connected outbound call.
    pub outbound_avg_talk: f64,
    /// 呼入总时长/分钟.
    pub inbound_talk_minutes: f64,
    /// 呼出总时长/分钟.
    pub outbound_talk_minutes: f64,
    /// 当月时长/分钟: inbound + outbound.
    pub total_talk_minutes: f64,
}

/// The summary paragraph's figures.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    /// Contacts in + out.
    pub contacts: u64,
    pub total_talk_minutes: f64,
    pub offered: u64,
    pub answered: u64,
    pub self_service: u64,
    pub abandoned: u64,
    pub inbound_talk_minutes: f64,
    pub outbound: u64,
    pub outbound_talk_minutes: f64,
    /// Hours of the day where abandons concentrate, as ranges (`09:00-11:00`).
    pub abandon_hours: Vec<String>,
    /// Hours of the day where inbound contacts concentrate.
    pub service_hours: Vec<String>,
    /// The paragraph in the report's language.
    pub text: String,
}

/// Satisfaction breakdown: counts and shares of surveys offered.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Survey {
    pub survey_offered: u64,
    pub very_satisfied_count: u64,
    pub satisfied_count: u64,
    pub neutral_count: u64,
    pub dissatisfied_count: u64,
    pub unrated_count: u64,
    /// Shares of surveys offered (fractions, four decimals: 0.6438 is 64.38 %).
    pub very_satisfied: Option<f64>,
    pub satisfied: Option<f64>,
    pub neutral: Option<f64>,
    pub dissatisfied: Option<f64>,
    pub unrated: Option<f64>,
    pub text: String,
}

/// A list of contacts and how many there are in all.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Listed {
    pub total: u64,
    pub items: Vec<ContactLine>,
}

/// The same table for an earlier year.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PreviousYear {
    pub period: String,
    pub rows: Vec<(String, Traffic)>,
    pub total: Traffic,
}

/// The whole report.
#[derive(Debug, Clone, PartialEq)]
pub struct OperationsReport {
    pub tenant: String,
    pub period: Period,
    pub lang: Lang,
    pub summary: Summary,
    pub rows: Vec<(String, Traffic)>,
    pub total: Traffic,
    pub survey: Survey,
    pub complaints: Listed,
    pub dissatisfied: Listed,
    /// Channel efficiency: requests, resolution, satisfaction, AHT and cost per channel.
    pub channels: crate::channels::ChannelsView,
    pub previous_years: Vec<PreviousYear>,
}

fn traffic(all: &Figures, inbound: &Figures, outbound: &Figures) -> Traffic {
    let minutes = |f: &Figures| round2(f.get("talk_minutes").unwrap_or(0.0));
    let inbound_talk_minutes = minutes(inbound);
    let outbound_talk_minutes = minutes(outbound);
    Traffic {
        offered: all.count("offered"),
        answered: all.count("answered"),
        abandoned: all.count("abandoned"),
        self_service: all.count("self_service"),
        avg_talk: round2(inbound.get("avg_talk").unwrap_or(0.0)),
        outbound: all.count("outbound"),
        outbound_avg_talk: round2(outbound.get("avg_talk").unwrap_or(0.0)),
        inbound_talk_minutes,
        outbound_talk_minutes,
        total_talk_minutes: round2(all.get("talk_minutes").unwrap_or(0.0)),
    }
}

const ALL: &[&str] = &[
    "contacts",
    "offered",
    "answered",
    "abandoned",
    "self_service",
    "outbound",
    "talk_minutes",
];
const TALK: &[&str] = &["avg_talk", "talk_minutes"];

fn inbound_filter() -> [Filter; 1] {
    [Filter::new(Dimension::Direction, ["inbound"])]
}

fn outbound_filter() -> [Filter; 1] {
    // The catalog's `outbound` counts callbacks too.
    [Filter::new(Dimension::Direction, ["outbound", "callback"])]
}

/// Rows of a period's table (label and figures), its total, and the all-contacts totals.
type TableOf = (Vec<(String, Traffic)>, Traffic, Figures);

/// The table of a period: one row per month or day (every one, empty ones included) and the
/// total.
fn table_of(ask: &Ask<'_>, period: &Period) -> Result<TableOf, ReportError> {
    let by = Some(ByItem::Bucket(period.rows.bucket()));
    let all = ask.by(ALL, by, period, &[], true)?;
    let inbound = ask.by(TALK, by, period, &inbound_filter(), true)?;
    let outbound = ask.by(TALK, by, period, &outbound_filter(), true)?;
    let find = |rows: &[(Option<String>, Figures)], label: &str| {
        rows.iter()
            .find(|(k, _)| k.as_deref() == Some(label))
            .map(|(_, f)| f.clone())
            .unwrap_or_default()
    };
    let rows = period
        .row_labels()
        .into_iter()
        .map(|label| {
            let t = traffic(
                &find(&all, &label),
                &find(&inbound, &label),
                &find(&outbound, &label),
            );
            (label, t)
        })
        .collect();
    let all_total = ask.total(ALL, period, &[])?;
    let total = traffic(
        &all_total,
        &ask.total(TALK, period, &inbound_filter())?,
        &ask.total(TALK, period, &outbound_filter())?,
    );
    Ok((rows, total, all_total))
}

/// Hours whose count is at least a quarter of the busiest hour's, merged into ranges.
pub fn concentrated_hours(by_hour: &[(u8, u64)]) -> Vec<String> {
    let peak = by_hour.iter().map(|(_, n)| *n).max().unwrap_or(0);
    if peak == 0 {
        return Vec::new();
    }
    let mut hours: Vec<u8> = by_hour
        .iter()
        .filter(|(_, n)| *n * 4 >= peak)
        .map(|(h, _)| *h)
        .collect();
    hours.sort_unstable();
    let mut ranges: Vec<(u8, u8)> = Vec::new();
    for h in hours {
        match ranges.last_mut() {
            Some((_, end)) if *end == h => *end = h + 1,
            _ => ranges.push((h, h + 1)),
        }
    }
    ranges
        .into_iter()
        .map(|(a, b)| format!("{a:02}:00-{b:02}:00"))
        .collect()
}

fn hours(ask: &Ask<'_>, period: &Period, metric: &str) -> Result<Vec<String>, ReportError> {
    let rows = ask.by(
        &[metric],
        Some(ByItem::Dimension(Dimension::HourOfDay)),
        period,
        &[],
        false,
    )?;
    let counts: Vec<(u8, u64)> = rows
        .iter()
        .filter_map(|(k, f)| Some((k.as_deref()?.parse().ok()?, f.count(metric))))
        .collect();
    Ok(concentrated_hours(&counts))
}

/// How the period is called in a sentence.
pub fn period_words(p: &Period, lang: Lang) -> String {
    let l = &p.label;
    match lang {
        Lang::Zh => {
            if l.len() == 4 {
                format!("{l}年")
            } else if let Some((y, q)) = l.split_once("-Q") {
                format!("{y}年第{q}季度")
            } else if l.len() == 7 {
                let (y, m) = l.split_at(4);
                format!("{y}年{}月", m[1..].trim_start_matches('0'))
            } else {
                format!("{}至{}", p.from, p.to.yesterday().unwrap_or(p.to))
            }
        }
        Lang::En => {
            if l.contains("..") {
                format!("{} to {}", p.from, p.to.yesterday().unwrap_or(p.to))
            } else {
                l.clone()
            }
        }
    }
}

fn summary_text(s: &Summary, p: &Period, lang: Lang) -> String {
    let when = period_words(p, lang);
    // The hours a list names, in the language's words; `none` when there are none.
    let hours = |list: &[String], none: &str, lead: &str, tail: &str| {
        if list.is_empty() {
            none.to_owned()
        } else {
            let sep = if lang == Lang::Zh { "、" } else { ", " };
            format!("{lead}{}{tail}", list.join(sep))
        }
    };
    match lang {
        Lang::Zh => {
            let abandon = hours(&s.abandon_hours, "本期无呼损", "呼损集中时间", "");
            let service = hours(&s.service_hours, "", "电话服务时间段主要集中在", "。");
            format!(
                "从统计数据来看，{when}受理电话总数(呼入+呼出){}通，合计通话时长(呼入+呼出){:.2}分钟，\
                 其中呼入电话{}通，自助语音电话{}通，呼损电话{}通，呼入总时长{:.2}分钟；\
                 呼出电话{}通，呼出总时长{:.2}分钟；{abandon}。{service}",
                s.contacts,
                s.total_talk_minutes,
                s.offered,
                s.self_service,
                s.abandoned,
                s.inbound_talk_minutes,
                s.outbound,
                s.outbound_talk_minutes
            )
        }
        Lang::En => {
            let abandon = hours(
                &s.abandon_hours,
                "There were no abandoned calls.",
                "Abandons concentrate in ",
                ".",
            );
            let service = hours(&s.service_hours, "", " Calls concentrate in ", ".");
            format!(
                "In {when} the center handled {} calls (inbound + outbound) with {:.2} minutes of \
                 talk: {} inbound calls, of which {} finished in self-service and {} were \
                 abandoned, with {:.2} inbound minutes; {} outbound calls with {:.2} minutes. \
                 {abandon}{service}",
                s.contacts,
                s.total_talk_minutes,
                s.offered,
                s.self_service,
                s.abandoned,
                s.inbound_talk_minutes,
                s.outbound,
                s.outbound_talk_minutes
            )
        }
    }
}

const SURVEY: &[&str] = &[
    "survey_offered",
    "very_satisfied",
    "satisfied",
    "neutral",
    "dissatisfied",
    "unrated",
    "very_satisfied_count",
    "satisfied_count",
    "neutral_count",
    "dissatisfied_count",
    "unrated_count",
];

fn survey_of(f: &Figures, p: &Period, lang: Lang) -> Survey {
    let share = |m: &str| f.get(m).map(round4);
    let mut s = Survey {
        survey_offered: f.count("survey_offered"),
        very_satisfied_count: f.count("very_satisfied_count"),
        satisfied_count: f.count("satisfied_count"),
        neutral_count: f.count("neutral_count"),
        dissatisfied_count: f.count("dissatisfied_count"),
        unrated_count: f.count("unrated_count"),
        very_satisfied: share("very_satisfied"),
        satisfied: share("satisfied"),
        neutral: share("neutral"),
        dissatisfied: share("dissatisfied"),
        unrated: share("unrated"),
        text: String::new(),
    };
    let when = period_words(p, lang);
    s.text = match lang {
        Lang::Zh => format!(
            "{when}呼入满意度触发量共计{}个，其中非常满意评分{}个，满意{}个，一般评分{}个，不满意评分{}个，未评分{}个。",
            s.survey_offered, s.very_satisfied_count, s.satisfied_count, s.neutral_count,
            s.dissatisfied_count, s.unrated_count
        ),
        Lang::En => format!(
            "In {when}, {} satisfaction surveys were offered: {} very satisfied, {} satisfied, {} neutral, {} dissatisfied and {} unrated.",
            s.survey_offered, s.very_satisfied_count, s.satisfied_count, s.neutral_count,
            s.dissatisfied_count, s.unrated_count
        ),
    };
    s
}

/// Gathers the report for `tenant` over `period`, with `compare` previous years.
pub fn build(
    store: &dyn Store,
    catalog: &Catalog,
    tenant: &TenantId,
    period: &Period,
    compare: u16,
    details: Option<usize>,
    lang: Lang,
) -> Result<OperationsReport, ReportError> {
    // `None`: every contact of the lists.
    let limit = details.unwrap_or(usize::MAX);
    if store.tenant(tenant.as_str()).is_none() {
        return Err(ccpulse_store::StoreError::UnknownTenant(tenant.to_string()).into());
    }
    let ask = Ask::new(store, catalog, tenant);
    let (rows, total, all) = table_of(&ask, period)?;
    let mut summary = Summary {
        contacts: all.count("contacts"),
        total_talk_minutes: total.total_talk_minutes,
        offered: total.offered,
        answered: total.answered,
        self_service: total.self_service,
        abandoned: total.abandoned,
        inbound_talk_minutes: total.inbound_talk_minutes,
        outbound: total.outbound,
        outbound_talk_minutes: total.outbound_talk_minutes,
        abandon_hours: hours(&ask, period, "abandoned")?,
        service_hours: hours(&ask, period, "offered")?,
        text: String::new(),
    };
    summary.text = summary_text(&summary, period, lang);
    let survey = survey_of(&ask.total(SURVEY, period, &[])?, period, lang);
    let list = |which| -> Result<Listed, ReportError> {
        let (total, items) =
            store.contact_list(tenant, which, &period.from_arg(), &period.to_arg(), limit)?;
        Ok(Listed { total, items })
    };
    let mut previous_years = Vec::new();
    for n in 1..=compare {
        let Some(p) = period.years_back(i16::try_from(n).unwrap_or(i16::MAX)) else {
            break;
        };
        let (rows, total, _) = table_of(&ask, &p)?;
        previous_years.push(PreviousYear {
            period: p.label.clone(),
            rows,
            total,
        });
    }
    Ok(OperationsReport {
        tenant: tenant.to_string(),
        period: period.clone(),
        lang,
        summary,
        rows,
        total,
        survey,
        // Complaints are the tenant's complaint tickets; without tickets, the contacts whose
        // business type is complaint.
        complaints: match store.complaint_tickets(
            tenant,
            &period.from_arg(),
            &period.to_arg(),
            limit,
        )? {
            Some((total, items)) => Listed { total, items },
            None => list(ContactList::Complaints)?,
        },
        dissatisfied: list(ContactList::Dissatisfied)?,
        channels: crate::channels::build(store, catalog, tenant, period, &[], lang)?,
        previous_years,
    })
}

fn rows_json(key: &str, rows: &[(String, Traffic)]) -> Value {
    Value::Array(
        rows.iter()
            .map(|(label, t)| {
                let mut v = serde_json::to_value(t).unwrap_or(Value::Null);
                if let Value::Object(m) = &mut v {
                    m.insert(key.to_owned(), json!(label));
                }
                v
            })
            .collect(),
    )
}

impl OperationsReport {
    /// The report for machines: `summary`, `monthly` (rows keyed `month` or `day`), `total`,
    /// `survey`, `complaints`, `dissatisfied`, `previous_years`.
    pub fn to_json(&self) -> Value {
        let key = self.period.rows.key();
        json!({
            "report": "operations",
            "tenant": self.tenant,
            "period": self.period.label,
            "from": self.period.from_arg(),
            "to": self.period.to_arg(),
            "rows": key,
            "lang": self.lang.code(),
            "summary": self.summary,
            "monthly": rows_json(key, &self.rows),
            "total": self.total,
            "survey": self.survey,
            "complaints": self.complaints,
            "dissatisfied": self.dissatisfied,
            "channels": self.channels.to_json()["channels"],
            "previous_years": self.previous_years.iter().map(|y| json!({
                "period": y.period,
                "monthly": rows_json(key, &y.rows),
                "total": y.total,
            })).collect::<Vec<_>>(),
        })
    }

    /// The report as a document for HTML, XLSX and PDF.
    pub fn document(&self) -> Document {
        let lang = self.lang;
        let t = |zh: &str, en: &str| lang.pick(zh, en).to_owned();
        let when = period_words(&self.period, lang);
        let mut sections = vec![Section {
            heading: t("概括总结", "Summary"),
            paragraphs: vec![self.summary.text.clone()],
            sheet: Some(t("概括总结", "Summary")),
            ..Section::default()
        }];
        let table = traffic_table(&self.rows, &self.total, self.period.rows, lang);
        sections.push(Section {
            heading: t("总话务数据报表", "Traffic"),
            paragraphs: vec![t(
                "包括呼入次数、呼出次数、呼入时长、呼出时长等统计数据，具体明细如下：",
                "Inbound and outbound calls and their minutes:",
            )],
            charts: vec![
                Chart {
                    kind: ChartKind::Line,
                    title: format!("{when} {}", t("话务趋势", "traffic trend")),
                    categories: 0,
                    values: vec![1, 2, 3, 6],
                },
                Chart {
                    kind: ChartKind::Column,
                    title: t("总计通话时长分布图（分钟）", "Talk minutes"),
                    categories: 0,
                    values: vec![10],
                },
            ],
            table: Some(table),
            sheet: Some(t("话务数据", "Traffic")),
        });
        sections.push(self.channels.section());
        sections.push(list_section(
            &format!("{when}{}", t("投诉案例", " complaints")),
            &self.complaints,
            lang,
            &t("投诉", "Complaints"),
        ));
        sections.push(list_section(
            &t("不满意通话", "Dissatisfied calls"),
            &self.dissatisfied,
            lang,
            &t("不满意通话", "Dissatisfied"),
        ));
        let s = &self.survey;
        let share = |v: Option<f64>| Cell::opt(v);
        #[allow(clippy::cast_precision_loss)]
        let count = |n: u64| Cell::Num(n as f64);
        sections.push(Section {
            heading: t("满意度数据", "Satisfaction"),
            paragraphs: vec![s.text.clone()],
            table: Some(Table {
                columns: vec![
                    Column::new(t("评价", "Rating"), Fmt::Text),
                    Column::new(t("数量", "Count"), Fmt::Int),
                    Column::new(t("占比", "Share"), Fmt::Percent),
                ],
                rows: [
                    (
                        "非常满意",
                        "Very satisfied",
                        s.very_satisfied_count,
                        s.very_satisfied,
                    ),
                    ("满意", "Satisfied", s.satisfied_count, s.satisfied),
                    ("一般", "Neutral", s.neutral_count, s.neutral),
                    (
                        "不满意",
                        "Dissatisfied",
                        s.dissatisfied_count,
                        s.dissatisfied,
                    ),
                    ("未评分", "Unrated", s.unrated_count, s.unrated),
                ]
                .into_iter()
                .map(|(zh, en, n, part)| vec![t(zh, en).into(), count(n), share(part)])
                .collect(),
                total: Some(vec![
                    t("满意度触发量", "Surveys offered").into(),
                    count(s.survey_offered),
                    Cell::opt((s.survey_offered > 0).then_some(1.0)),
                ]),
            }),
            charts: vec![Chart {
                kind: ChartKind::Pie,
                title: t("满意度", "Satisfaction"),
                categories: 0,
                values: vec![1],
            }],
            sheet: Some(t("满意度", "Satisfaction")),
        });
        for y in &self.previous_years {
            sections.push(Section {
                heading: format!("{} {}", y.period, t("总话务数据", "traffic")),
                table: Some(traffic_table(&y.rows, &y.total, self.period.rows, lang)),
                sheet: Some(y.period.clone()),
                ..Section::default()
            });
        }
        Document {
            title: format!(
                "{} {}（{}）",
                self.tenant,
                t("运营报告", "operations report"),
                when
            ),
            subtitle: self.period.subtitle(lang),
            lang: lang.code().to_owned(),
            sections,
            footer: t(
                "由 ccpulse 根据呼叫记录生成；所有数字来自指标目录的查询。",
                "Generated by ccpulse from the contact records; every figure is a catalog KPI query.",
            ),
        }
    }
}

/// A month or day label as people read it in a table: `1月` / `Jan` within one year (as seed
/// 000 writes them), `2021年1月` / `2021-01` across years; days as `06-01` (or `2021-06-01`
/// across years).
fn row_label(label: &str, rows: Rows, lang: Lang, one_year: bool) -> String {
    const EN: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let Some((y, m)) = label.split_once('-') else {
        return label.to_owned();
    };
    let month: usize = m.parse().unwrap_or(0);
    match (rows, lang, one_year) {
        // Days within one year read as 10-01; the JSON keeps 2026-10-01.
        (Rows::Day, _, true) => label.get(5..).unwrap_or(label).to_owned(),
        (Rows::Day, _, false) => label.to_owned(),
        (Rows::Month, Lang::Zh, true) => format!("{month}月"),
        (Rows::Month, Lang::Zh, false) => format!("{y}年{month}月"),
        (Rows::Month, Lang::En, true) => EN
            .get(month.wrapping_sub(1))
            .map_or(label.to_owned(), |m| (*m).to_owned()),
        (Rows::Month, Lang::En, false) => label.to_owned(),
    }
}

#[allow(clippy::cast_precision_loss)]
fn traffic_cells(first: Cell, t: &Traffic) -> Vec<Cell> {
    vec![
        first,
        Cell::Num(t.offered as f64),
        Cell::Num(t.answered as f64),
        Cell::Num(t.abandoned as f64),
        Cell::Num(t.self_service as f64),
        Cell::Num(t.avg_talk),
        Cell::Num(t.outbound as f64),
        Cell::Num(t.outbound_avg_talk),
        Cell::Num(t.inbound_talk_minutes),
        Cell::Num(t.outbound_talk_minutes),
        Cell::Num(t.total_talk_minutes),
    ]
}

/// Seed 000's table: exactly its columns.
fn traffic_table(rows: &[(String, Traffic)], total: &Traffic, unit: Rows, lang: Lang) -> Table {
    let one_year = rows.first().map(|(l, _)| &l[..4.min(l.len())])
        == rows.last().map(|(l, _)| &l[..4.min(l.len())]);
    let t = |zh: &str, en: &str| lang.pick(zh, en).to_owned();
    let (first, last) = match unit {
        Rows::Month => (t("月份", "Month"), t("当月时长/分钟", "Total minutes")),
        Rows::Day => (t("日期", "Day"), t("当日时长/分钟", "Total minutes")),
    };
    Table {
        columns: vec![
            Column::new(first, Fmt::Text),
            Column::new(t("呼入量", "Offered"), Fmt::Int),
            Column::new(t("人工接通量", "Answered"), Fmt::Int),
            Column::new(t("呼损数", "Abandoned"), Fmt::Int),
            Column::new(t("自助语音数", "Self-service"), Fmt::Int),
            Column::new(t("平均通话时长/秒", "Avg talk (s)"), Fmt::Dec2),
            Column::new(t("呼出量", "Outbound"), Fmt::Int),
            Column::new(t("呼出平均通话时长/秒", "Outbound avg talk (s)"), Fmt::Dec2),
            Column::new(t("呼入总时长/分钟", "Inbound minutes"), Fmt::Dec2),
            Column::new(t("呼出总时长/分钟", "Outbound minutes"), Fmt::Dec2),
            Column::new(last, Fmt::Dec2),
        ],
        rows: rows
            .iter()
            .map(|(label, tr)| traffic_cells(row_label(label, unit, lang, one_year).into(), tr))
            .collect(),
        total: Some(traffic_cells(t("总计", "Total").into(), total)),
    }
}

/// A ticket's status (`valid, escalated via regulator, open`) in the reader's language.
fn status_words(status: &str, lang: Lang) -> String {
    if lang == Lang::En {
        return status.to_owned();
    }
    status
        .split(", ")
        .map(|w| match w {
            "valid" => "成立".to_owned(),
            "not valid" => "不成立".to_owned(),
            "unassessed" => "待核实".to_owned(),
            "escalated" => "越级".to_owned(),
            "closed" => "已办结".to_owned(),
            "open" => "处理中".to_owned(),
            other => other
                .strip_prefix("escalated via ")
                .map_or_else(|| other.to_owned(), |v| format!("越级({v})")),
        })
        .collect::<Vec<_>>()
        .join("，")
}

fn list_section(heading: &str, l: &Listed, lang: Lang, sheet: &str) -> Section {
    let t = |zh: &str, en: &str| lang.pick(zh, en).to_owned();
    if l.total == 0 {
        return Section {
            heading: format!("{heading}（{}）", t("无", "none")),
            ..Section::default()
        };
    }
    let mut paragraphs = Vec::new();
    if l.total > l.items.len() as u64 {
        paragraphs.push(match lang {
            Lang::Zh => format!(
                "共{}条，列出前{}条；全部明细：用 ccpulse report operations --details all 生成（接口加 details=all），或在数据探索中下钻后导出。",
                l.total,
                l.items.len()
            ),
            Lang::En => format!(
                "{} in all; the first {} are listed. For every one, make it with \
                 `ccpulse report operations --details all` (details=all in the API), or drill \
                 down on the explore page and export.",
                l.total,
                l.items.len()
            ),
        });
    }
    let opt = |s: &Option<String>| s.clone().map_or(Cell::Empty, Cell::Text);
    Section {
        heading: format!("{heading}（{}）", l.total),
        paragraphs,
        table: Some(Table {
            columns: vec![
                Column::new(t("时间", "Time"), Fmt::Text),
                Column::new(t("编号", "ID"), Fmt::Text),
                Column::new(t("客户", "Customer"), Fmt::Text),
                Column::new(t("技能组", "Queue"), Fmt::Text),
                Column::new(t("坐席", "Agent"), Fmt::Text),
                Column::new(t("分类", "Category"), Fmt::Text),
                Column::new(t("原因/状态", "Reason / status"), Fmt::Text),
                Column::new(t("通话时长(秒)", "Talk (s)"), Fmt::Dec2),
            ],
            rows: l
                .items
                .iter()
                .map(|c| {
                    vec![
                        c.time.clone().into(),
                        c.id.clone().into(),
                        opt(&c.customer),
                        opt(&c.queue),
                        opt(&c.agent),
                        opt(&c.category),
                        opt(&c
                            .survey_reason
                            .clone()
                            .or_else(|| c.status.as_deref().map(|st| status_words(st, lang)))),
                        Cell::opt(c.talk_s.map(round2)),
                    ]
                })
                .collect(),
            total: None,
        }),
        charts: Vec::new(),
        sheet: Some(sheet.to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::concentrated_hours;

    #[test]
    fn ticket_status_reads_in_chinese() {
        use super::{status_words, Lang};
        assert_eq!(
            status_words("valid, escalated via regulator, open", Lang::Zh),
            "成立，越级(regulator)，处理中"
        );
        assert_eq!(
            status_words("not valid, closed", Lang::En),
            "not valid, closed"
        );
    }

    #[test]
    fn hours_merge_into_ranges() {
        let h = [
            (8, 1),
            (9, 10),
            (10, 12),
            (11, 9),
            (13, 2),
            (14, 8),
            (15, 7),
            (20, 3),
        ];
        assert_eq!(
            concentrated_hours(&h),
            ["09:00-12:00", "14:00-16:00", "20:00-21:00"]
        );
        assert!(concentrated_hours(&[(9, 0)]).is_empty());
        assert_eq!(concentrated_hours(&[(23, 4)]), ["23:00-24:00"]);
    }
}
