//! Agents against baselines (seed 001: 坐席工作效能评估): each agent's figures for a period,
//! the median of their team's (or queue's) agents as the baseline, a robust z-score, and a
//! flag with its reason in words when an agent stands out either way. Every figure is a
//! catalog KPI query by agent; only the comparison is done here.

use ccpulse_metrics::baseline::{judge, median, robust_spread, Judged};
use ccpulse_metrics::{human, json_value, Catalog, Direction, KeyValue, KpiQuery, KpiText, Unit};
use ccpulse_model::TenantId;
use ccpulse_store::Store;
use serde_json::{json, Map, Value};

use crate::{Lang, Period, ReportError};

/// The figures judged unless told otherwise.
pub const DEFAULT_METRICS: &str =
    "aht,asa,transfer_rate,avg_hold,satisfaction,fcr,qa_score,occupancy";

/// Whom an agent is compared with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Group {
    Team,
    Queue,
}

impl Group {
    /// `team` or `queue`.
    pub fn parse(s: &str) -> Result<Self, ReportError> {
        match s {
            "team" => Ok(Group::Team),
            "queue" => Ok(Group::Queue),
            other => Err(ReportError::Invalid(format!(
                "--by {other}: agents are compared within their team or queue"
            ))),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Group::Team => "team",
            Group::Queue => "queue",
        }
    }

    /// The group's name in `lang`.
    pub fn words(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (Group::Team, Lang::Zh) => "班组",
            (Group::Queue, Lang::Zh) => "技能组",
            (Group::Team, Lang::En) => "team",
            (Group::Queue, Lang::En) => "queue",
        }
    }
}

/// How the judging is done.
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    pub group: Group,
    /// Comma-separated catalog metrics.
    pub metrics: String,
    /// |z| above this flags an agent.
    pub threshold: f64,
    /// Agents with fewer handled contacts are shown, not flagged, and not in the baseline.
    pub min_handled: u64,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            group: Group::Team,
            metrics: DEFAULT_METRICS.to_owned(),
            threshold: 3.0,
            min_handled: 20,
        }
    }
}

/// A judged metric's description.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricCol {
    pub key: String,
    pub label: String,
    pub unit: Unit,
    pub direction: Direction,
    /// The tenant's own baseline from `standards.toml` (`[TENANT.baseline]`), judged against
    /// instead of the group's median.
    pub fixed: Option<f64>,
}

/// One agent (in one queue, with `--by queue`).
#[derive(Debug, Clone, PartialEq)]
pub struct AgentRow {
    pub agent: String,
    /// The team or queue; `None` for an agent in none.
    pub group: Option<String>,
    pub handled: u64,
    pub eligible: bool,
    /// One per metric, in order.
    pub judged: Vec<Judged>,
    /// Why each flagged metric is flagged, in words.
    pub reasons: Vec<Option<String>>,
}

/// Every agent of a period judged against their peers.
#[derive(Debug, Clone, PartialEq)]
pub struct AgentsView {
    pub tenant: String,
    pub period: String,
    pub options: Options,
    pub lang: Lang,
    pub metrics: Vec<MetricCol>,
    pub rows: Vec<AgentRow>,
}

fn text(k: &KeyValue) -> Option<String> {
    k.text()
}

/// Judges every agent of `tenant` over `period` by the contacts in `scope` (the baseline
/// too: a supervisor of some queues compares their agents on those queues' contacts).
pub fn build(
    store: &dyn Store,
    catalog: &Catalog,
    tenant: &TenantId,
    period: &Period,
    scope: &[ccpulse_metrics::Filter],
    options: &Options,
    lang: Lang,
) -> Result<AgentsView, ReportError> {
    let invalid = |e: ccpulse_metrics::QueryError| ReportError::Invalid(e.to_string());
    let metrics = format!("handled,{}", options.metrics);
    let by = format!("agent,{}", options.group.name());
    let text_q = KpiText {
        metrics: &metrics,
        by: Some(&by),
        from: None,
        to: None,
        filters: &[],
    };
    let (from, to) = period.local_range();
    let mut q = KpiQuery::parse(tenant.clone(), &text_q)
        .map_err(invalid)?
        .between(from, to);
    q.filters.extend_from_slice(scope);
    let r = store.ask(catalog, &q)?;
    let standards = store.standards(catalog, tenant)?;
    let cols: Vec<MetricCol> = r.query.metrics[1..]
        .iter()
        .map(|m| MetricCol {
            key: m.written.clone(),
            label: m.label(lang.code()).to_owned(),
            unit: m.unit,
            direction: catalog
                .get(&m.name)
                .map_or(Direction::Neutral, |c| c.direction),
            fixed: standards
                .baselines
                .get(&m.written)
                .or_else(|| standards.baselines.get(&m.name))
                .copied(),
        })
        .collect();
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let mut rows: Vec<AgentRow> = r
        .rows
        .iter()
        .filter_map(|row| {
            let agent = text(&row.keys[0])?;
            let handled = row.values[0].unwrap_or(0.0).max(0.0) as u64;
            Some(AgentRow {
                agent,
                group: text(&row.keys[1]),
                handled,
                eligible: handled >= options.min_handled,
                judged: row.values[1..]
                    .iter()
                    .map(|v| Judged {
                        value: *v,
                        baseline: None,
                        z: None,
                        flag: None,
                    })
                    .collect(),
                reasons: vec![None; cols.len()],
            })
        })
        .collect();
    let groups: std::collections::BTreeSet<Option<String>> =
        rows.iter().map(|r| r.group.clone()).collect();
    for (i, col) in cols.iter().enumerate() {
        for g in &groups {
            let peers = |eligible_only: bool| -> Vec<f64> {
                rows.iter()
                    .filter(|r| r.group == *g && (r.eligible || !eligible_only))
                    .filter_map(|r| r.judged[i].value)
                    .collect()
            };
            // The baseline of those with enough contacts to judge; all of them otherwise.
            let values = match peers(true) {
                v if v.is_empty() => peers(false),
                v => v,
            };
            // The spread is the peers' around their median, whatever the baseline.
            let mid = median(&values);
            let spread = mid.map_or(0.0, |b| robust_spread(&values, b));
            let base = col.fixed.or(mid);
            for row in rows.iter_mut().filter(|r| r.group == *g) {
                let j = judge(
                    row.judged[i].value,
                    base,
                    spread,
                    col.direction,
                    options.threshold,
                    row.eligible,
                );
                row.reasons[i] = j.flag.map(|_| reason(col, &j, options.group, lang));
                row.judged[i] = j;
            }
        }
    }
    rows.sort_by(|a, b| a.group.cmp(&b.group).then_with(|| a.agent.cmp(&b.agent)));
    Ok(AgentsView {
        tenant: tenant.to_string(),
        period: period.label.clone(),
        options: options.clone(),
        lang,
        metrics: cols,
        rows,
    })
}

/// Why a value is flagged: where it stands against the median, and how far.
fn reason(col: &MetricCol, j: &Judged, group: Group, lang: Lang) -> String {
    let (v, b, z) = (j.value, j.baseline, j.z.unwrap_or(0.0));
    let above = z > 0.0;
    let against = match (lang, col.fixed.is_some()) {
        (Lang::Zh, true) => "中心基准".to_owned(),
        (Lang::Zh, false) => format!("{}中位数", group.words(lang)),
        (Lang::En, true) => "the center's baseline".to_owned(),
        (Lang::En, false) => format!("the {} median", group.words(lang)),
    };
    match lang {
        Lang::Zh => format!(
            "{} {}，{}{against} {}（z = {z:.1}）",
            col.label,
            human(v, col.unit),
            if above { "高于" } else { "低于" },
            human(b, col.unit)
        ),
        Lang::En => format!(
            "{} {} is {} {against} of {} (z = {z:.1})",
            col.label,
            human(v, col.unit),
            if above { "above" } else { "below" },
            human(b, col.unit)
        ),
    }
}

impl AgentsView {
    /// `{"tenant", "period", "by", "threshold", "min_handled", "metrics": [...], "rows":
    /// [{"agent", "<team|queue>", "handled", "eligible", "<metric>": {value, baseline, z,
    /// flag, reason}}]}`.
    pub fn to_json(&self) -> Value {
        let group = self.options.group.name();
        let rows: Vec<Value> = self
            .rows
            .iter()
            .map(|r| {
                let mut o = Map::new();
                o.insert("agent".into(), json!(r.agent));
                o.insert(group.into(), json!(r.group));
                o.insert("handled".into(), json!(r.handled));
                o.insert("eligible".into(), json!(r.eligible));
                for ((c, j), why) in self.metrics.iter().zip(&r.judged).zip(&r.reasons) {
                    o.insert(
                        c.key.clone(),
                        json!({
                            "value": json_value(j.value, c.unit),
                            "baseline": json_value(j.baseline, c.unit),
                            "z": j.z,
                            "flag": j.flag.map(|f| f.as_str()),
                            "reason": why,
                        }),
                    );
                }
                Value::Object(o)
            })
            .collect();
        json!({
            "tenant": self.tenant,
            "period": self.period,
            "by": group,
            "threshold": self.options.threshold,
            "min_handled": self.options.min_handled,
            "metrics": self.metrics.iter().map(|c| json!({
                "key": c.key, "label": c.label, "unit": c.unit.as_str(), "direction": c.direction.as_str(),
                "baseline": if c.fixed.is_some() { "tenant" } else { group },
            })).collect::<Vec<_>>(),
            "rows": rows,
        })
    }

    /// A line per agent: agent, group, handled, then per metric its value, baseline, z, flag.
    pub fn to_csv(&self) -> Result<String, csv::Error> {
        let mut w = csv::Writer::from_writer(Vec::new());
        let mut header = vec![
            "agent".to_owned(),
            self.options.group.name().to_owned(),
            "handled".to_owned(),
        ];
        for c in &self.metrics {
            for part in ["", "_baseline", "_z", "_flag"] {
                header.push(format!("{}{part}", c.key));
            }
        }
        w.write_record(&header)?;
        let num = |v: Option<f64>| v.map(|x| x.to_string()).unwrap_or_default();
        for r in &self.rows {
            let mut rec = vec![
                r.agent.clone(),
                r.group.clone().unwrap_or_default(),
                r.handled.to_string(),
            ];
            for j in &r.judged {
                rec.extend([
                    num(j.value),
                    num(j.baseline),
                    num(j.z),
                    j.flag.map(|f| f.as_str().to_owned()).unwrap_or_default(),
                ]);
            }
            w.write_record(&rec)?;
        }
        let bytes = w
            .into_inner()
            .map_err(|e| csv::Error::from(e.into_error()))?;
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }
}
