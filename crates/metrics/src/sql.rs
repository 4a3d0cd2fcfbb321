//! Compiling a [`KpiQuery`] to SQL.
//!
//! The query aggregates in one pass grouped by raw key columns (integers and dates, cheap to
//! group), then formats bucket labels over the few aggregated rows:
//!
//! ```sql
//! WITH agg AS (SELECT <keys>, <numerators>, <denominators> FROM contacts WHERE ... GROUP BY ...)
//! SELECT <labels>, <values>, <numerators>, <denominators> FROM agg ORDER BY <keys>
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use crate::query::{Bucket, ByItem, Dimension, Filter, KpiQuery, TenantSettings};
use crate::{Catalog, Metric, MetricSpec, QueryError, Table, Unit};

/// The SQL dialect to compile for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// The embedded default.
    DuckDb,
    /// A ClickHouse server or cluster (18.16 and later; see [`crate::clickhouse`]).
    ClickHouse,
}

/// What kind of value an output column holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputKind {
    /// A bucket label or a text dimension.
    Text,
    /// An integer dimension (hour of day, weekday).
    Integer,
}

/// A metric as compiled: what `--explain` shows of it.
#[derive(Debug, Clone, PartialEq)]
pub struct CompiledMetric {
    /// As written on the command line; the output key.
    pub written: String,
    pub name: String,
    pub table: Table,
    pub unit: Unit,
    /// Labels with parameters filled in.
    pub zh: String,
    pub en: String,
    /// The formula in words, parameters filled in.
    pub formula: String,
    /// Every parameter with the value used.
    pub params: BTreeMap<String, String>,
    pub numerator_sql: String,
    pub denominator_sql: Option<String>,
    /// Where the denominator is computed: the metric's table, or another for a ratio of two
    /// metrics (`of` in the catalog).
    pub denominator_table: Table,
    pub scale: f64,
}

impl CompiledMetric {
    /// The label in `lang`.
    pub fn label(&self, lang: &str) -> &str {
        if lang.starts_with("en") {
            &self.en
        } else {
            &self.zh
        }
    }
}

/// SQL ready to run, with its bound parameters and the layout of its result.
///
/// Result columns: one per `by` item (`b0..`), one value per metric (`v0..`), then each
/// metric's numerator (`n0..`) and denominator (`d0..`, null without one).
#[derive(Debug, Clone, PartialEq)]
pub struct CompiledQuery {
    pub sql: String,
    /// Values for the `?` placeholders, in order.
    pub params: Vec<String>,
    pub by: Vec<(ByItem, OutputKind)>,
    pub metrics: Vec<CompiledMetric>,
    /// The metric values, numerators and denominators over no rows at all (what an empty
    /// bucket shows with `--fill`); takes no parameters.
    pub empty_sql: String,
    /// `min(local_ts), max(local_ts)` under the same filters and `params`.
    pub range_sql: String,
    /// The query's range, tenant-local.
    pub from: Option<jiff::civil::DateTime>,
    pub to: Option<jiff::civil::DateTime>,
    /// What the metrics are computed over; for [`Table::AgentStates`] the runner first
    /// fills the temporary table `agent_slots` (see [`AGENT_SLOTS_COLUMNS`]) for the range.
    pub table: Table,
    /// The same question from day rows, when it has whole days and figures that add up.
    pub rollup: Option<crate::rollup::Rollup>,
}

/// The tenant-local 15-minute slots agent intervals are cut into: one row per slot of the
/// query's range, UTC bounds and the same local columns contacts carry.
pub const AGENT_SLOTS_COLUMNS: &str = "slot_start TIMESTAMP, slot_end TIMESTAMP, \
    local_ts TIMESTAMP, local_date DATE, local_slot SMALLINT, local_hour TINYINT, \
    local_weekday TINYINT, local_month INTEGER, local_week INTEGER";

/// Agent intervals cut into slots; an interval still open runs to `{now}`.
const AGENT_RELATION: &str = "(SELECT a.tenant, a.agent, a.queue, a.state, a.reason,
          g.slot_start, g.local_ts, g.local_date, g.local_slot, g.local_hour, g.local_weekday,
          g.local_month, g.local_week,
          (epoch_us(least(coalesce(a.end_at, {now}), g.slot_end))
           - epoch_us(greatest(a.start_at, g.slot_start))) / 1e6 AS secs{team}{schedule}
   FROM agent_states a JOIN agent_slots g
     ON a.start_at < g.slot_end AND coalesce(a.end_at, {now}) > g.slot_start{team_join}{schedule_join})";

/// The columns schedule metrics read (`utilization`): each agent's scheduled seconds of a day
/// on the first piece of every local day they have one, and whether they have a schedule.
const SCHEDULE_COLUMNS: &str = ",
          CASE WHEN row_number() OVER (PARTITION BY a.tenant, a.agent, g.local_date
                                       ORDER BY g.slot_start, a.start_at, a.state) = 1
               THEN sa.scheduled_minutes * 60 END AS sched_secs,
          sa.scheduled_minutes IS NOT NULL AS has_schedule";

/// Logged-in intervals cut into slots as +1/-1 steps at each piece's start and end (the
/// pieces of one slot start at the latest at its start, so every slot sees its count).
const AGENT_PRESENCE_RELATION: &str = "(SELECT a.tenant, a.agent, a.queue,
          g.slot_start, g.local_ts, g.local_date, g.local_slot, g.local_hour, g.local_weekday,
          g.local_month, g.local_week{team},
          unnest([greatest(a.start_at, g.slot_start),
                  least(coalesce(a.end_at, {now}), g.slot_end)]) AS t,
          unnest([1, -1]) AS delta
   FROM agent_states a JOIN agent_slots g
     ON a.start_at < g.slot_end AND coalesce(a.end_at, {now}) > g.slot_start{team_join}
   WHERE a.state = 'logged_in')";

/// Tickets with the local bucket columns contacts carry, and whether each is a repeat.
const TICKET_RELATION: &str = "(SELECT t.tenant, t.kind, t.business_line, t.category, t.channel,
          t.customer, t.valid, t.escalated, t.escalated_via, t.refund, t.satisfaction, t.local_ts,
          t.closed_at IS NULL AS is_open,
          (epoch_us(t.closed_at) - epoch_us(t.created_at)) / 3.6e9 AS resolution_hours,
          (epoch_us(current_timestamp) - epoch_us(t.created_at)) / 3.6e9 AS age_hours,
          CAST(t.local_ts AS DATE) AS local_date, hour(t.local_ts) AS local_hour,
          hour(t.local_ts) * 4 + minute(t.local_ts) // 15 AS local_slot,
          isodow(t.local_ts) AS local_weekday,
          year(t.local_ts) * 100 + month(t.local_ts) AS local_month,
          isoyear(t.local_ts) * 100 + week(t.local_ts) AS local_week,
          EXISTS (SELECT 1 FROM tickets p
                  WHERE p.tenant = t.tenant AND p.kind = 'complaint' AND p.id <> t.id
                    AND p.customer = t.customer AND p.leaf = t.leaf
                    AND p.closed_at IS NOT NULL AND p.closed_at <= t.created_at) AS is_repeat
   FROM tickets t)";

/// The subscriber base with the local bucket columns, each month on its first day.
const SUBSCRIBER_RELATION: &str = "(SELECT s.tenant, s.business_line, s.month, s.subscribers,
          CAST(s.month || '-01' AS TIMESTAMP) AS local_ts,
          CAST(s.month || '-01' AS DATE) AS local_date, 0 AS local_hour, 0 AS local_slot,
          isodow(CAST(s.month || '-01' AS DATE)) AS local_weekday,
          CAST(replace(s.month, '-', '') AS INTEGER) AS local_month,
          isoyear(CAST(s.month || '-01' AS DATE)) * 100
            + week(CAST(s.month || '-01' AS DATE)) AS local_week
   FROM subscribers s)";

/// Dimensions tickets have.
fn ticket_dimension(d: Dimension) -> bool {
    matches!(
        d,
        Dimension::BusinessLine
            | Dimension::Category
            | Dimension::Channel
            | Dimension::HourOfDay
            | Dimension::TimeOfDay
            | Dimension::Weekday
    )
}

/// Dimensions agent intervals have.
fn agent_dimension(d: Dimension) -> bool {
    matches!(
        d,
        Dimension::Agent
            | Dimension::Team
            | Dimension::Queue
            | Dimension::HourOfDay
            | Dimension::TimeOfDay
            | Dimension::Weekday
    )
}

/// Resolves a metric reference against the catalog: variant, parameters, expanded SQL.
pub fn resolve(
    catalog: &Catalog,
    spec: &MetricSpec,
    settings: &TenantSettings,
) -> Result<CompiledMetric, QueryError> {
    let metric: &Metric = catalog
        .get(&spec.name)
        .ok_or_else(|| QueryError::UnknownMetric(spec.name.clone()))?;
    // `method` names the variant too (`fcr[method=repeat]`), for metrics without a
    // parameter of that name.
    let renamed;
    let spec = if spec.params.contains_key("method")
        && metric.variants.len() > 1
        && !metric.params.contains_key("method")
        && !spec.params.contains_key("variant")
    {
        let mut s = spec.clone();
        if let Some(v) = s.params.remove("method") {
            s.params.insert("variant".to_owned(), v);
        }
        renamed = s;
        &renamed
    } else {
        spec
    };
    if let Some((num, den)) = &metric.of {
        return resolve_ratio(catalog, metric, spec, settings, num, den);
    }
    let mut params = BTreeMap::new();
    for (k, default) in &metric.params {
        let value = match default.as_str() {
            "tenant.service_level_threshold" => fmt_num(settings.service_level_threshold),
            "tenant.short_abandon" => fmt_num(settings.short_abandon),
            "tenant.ultra_short_talk" => fmt_num(settings.ultra_short_talk),
            "tenant.ultra_long_factor" => fmt_num(settings.ultra_long_factor),
            "tenant.repeat_days" => fmt_num(settings.repeat_days),
            other => other.to_owned(),
        };
        params.insert(k.clone(), value);
    }
    // Parameters whose default is a number are numbers; the others are always text, even
    // when a value given for them looks like a number.
    let numeric: BTreeSet<String> = params
        .iter()
        .filter(|(_, v)| v.parse::<f64>().is_ok())
        .map(|(k, _)| k.clone())
        .collect();
    for (k, v) in &spec.params {
        let Some(default) = params.get(k) else {
            return Err(QueryError::UnknownParam {
                metric: spec.name.clone(),
                param: k.clone(),
                takes: if metric.params.is_empty() {
                    "none".to_owned()
                } else {
                    metric.params.keys().cloned().collect::<Vec<_>>().join(", ")
                },
            });
        };
        if default.parse::<f64>().is_ok() {
            match v.parse::<f64>() {
                Ok(n) if n.is_finite() && n >= 0.0 => {}
                _ => {
                    return Err(QueryError::BadParam {
                        metric: spec.name.clone(),
                        param: k.clone(),
                        reason: format!("`{v}` is not a number >= 0"),
                    })
                }
            }
        }
        params.insert(k.clone(), v.clone());
    }
    let variant_name = params
        .get("variant")
        .cloned()
        .unwrap_or_else(|| "default".to_owned());
    let (variant_name, formula) =
        metric
            .variant(&variant_name)
            .ok_or_else(|| QueryError::BadParam {
                metric: spec.name.clone(),
                param: "variant".to_owned(),
                reason: format!(
                    "`{variant_name}` is not one of {}",
                    metric
                        .variants
                        .keys()
                        .cloned()
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            })?;
    if params.contains_key("variant") {
        params.insert("variant".to_owned(), variant_name.to_owned());
    }
    let expand = |text: &str| expand(text, catalog, &params, &numeric, &spec.name, 0);
    let numerator_sql = expand(&formula.numerator)?;
    let denominator_sql = formula.denominator.as_deref().map(expand).transpose()?;
    let words = |text: &str| fill_words(text, &params);
    // Parameters given on use that the label does not show are appended to it, so variants
    // side by side can be told apart.
    let label = |template: &str| {
        let extra: Vec<String> = spec
            .params
            .keys()
            .filter(|k| !template.contains(&format!("{{{k}}}")))
            .map(|k| format!("{k}={}", params.get(k).map_or("", String::as_str)))
            .collect();
        if extra.is_empty() {
            words(template)
        } else {
            format!("{}[{}]", words(template), extra.join(","))
        }
    };
    Ok(CompiledMetric {
        written: spec.written.clone(),
        name: metric.name.clone(),
        table: metric.table,
        unit: metric.unit,
        zh: label(&metric.zh),
        en: label(&metric.en),
        formula: words(formula.formula.as_deref().unwrap_or(&formula.numerator)),
        params,
        numerator_sql,
        denominator_sql,
        denominator_table: metric.table,
        scale: metric.scale,
    })
}

/// A metric that divides one catalog metric by another, each over its own table.
fn resolve_ratio(
    catalog: &Catalog,
    metric: &Metric,
    spec: &MetricSpec,
    settings: &TenantSettings,
    num: &str,
    den: &str,
) -> Result<CompiledMetric, QueryError> {
    if let Some(k) = spec.params.keys().next() {
        return Err(QueryError::UnknownParam {
            metric: spec.name.clone(),
            param: k.clone(),
            takes: "none".to_owned(),
        });
    }
    let part = |name: &str| -> Result<CompiledMetric, QueryError> {
        let m = resolve(catalog, &MetricSpec::plain(name), settings)?;
        if m.denominator_sql.is_some() {
            return Err(QueryError::BadParam {
                metric: spec.name.clone(),
                param: "of".to_owned(),
                reason: format!("`{name}` is a ratio itself; name two counts or sums"),
            });
        }
        Ok(m)
    };
    let (n, d) = (part(num)?, part(den)?);
    Ok(CompiledMetric {
        written: spec.written.clone(),
        name: metric.name.clone(),
        table: n.table,
        unit: metric.unit,
        zh: metric.zh.clone(),
        en: metric.en.clone(),
        formula: metric
            .variants
            .get("default")
            .and_then(|f| f.formula.clone())
            .unwrap_or_else(|| format!("{num} / {den}")),
        params: BTreeMap::new(),
        numerator_sql: n.numerator_sql,
        denominator_sql: Some(d.numerator_sql),
        denominator_table: d.table,
        scale: metric.scale,
    })
}

pub(crate) fn fmt_num(n: f64) -> String {
    let s = format!("{n}");
    s.strip_suffix(".0").map(str::to_owned).unwrap_or(s)
}

/// Fills `{param}` in labels and formulas shown to people.
fn fill_words(text: &str, params: &BTreeMap<String, String>) -> String {
    let mut out = text.to_owned();
    for (k, v) in params {
        out = out.replace(&format!("{{{k}}}"), v);
    }
    out
}

/// Expands `{predicate}` and `{param}` references in an SQL expression.
fn expand(
    text: &str,
    catalog: &Catalog,
    params: &BTreeMap<String, String>,
    numeric: &BTreeSet<String>,
    metric: &str,
    depth: usize,
) -> Result<String, QueryError> {
    if depth > 8 {
        return Err(QueryError::BadParam {
            metric: metric.to_owned(),
            param: "predicates".to_owned(),
            reason: "predicates refer to each other in a cycle".to_owned(),
        });
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let close = after.find('}').ok_or_else(|| QueryError::BadParam {
            metric: metric.to_owned(),
            param: "formula".to_owned(),
            reason: "unclosed `{`".to_owned(),
        })?;
        let name = &after[..close];
        if let Some(value) = params.get(name) {
            match value.parse::<f64>() {
                Ok(n) if n.is_finite() && numeric.contains(name) => out.push_str(&fmt_num(n)),
                _ => {
                    out.push('\'');
                    out.push_str(&value.replace('\'', "''"));
                    out.push('\'');
                }
            }
        } else if let Some(pred) = catalog.predicates.get(name) {
            out.push('(');
            out.push_str(&expand(pred, catalog, params, numeric, metric, depth + 1)?);
            out.push(')');
        } else {
            return Err(QueryError::BadParam {
                metric: metric.to_owned(),
                param: name.to_owned(),
                reason: "no such predicate or parameter".to_owned(),
            });
        }
        rest = &after[close + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// The raw key expressions of a `--by` item and the label over its key aliases.
fn by_sql(item: ByItem, keys: &[String]) -> (Vec<&'static str>, String, OutputKind) {
    let k = |i: usize| keys.get(i).map_or("NULL", String::as_str);
    let hhmm = |hh: String, mm: String| {
        format!(
            "strftime({}, '%Y-%m-%d') || 'T' || lpad(CAST({hh} AS VARCHAR), 2, '0') || ':' || lpad(CAST({mm} AS VARCHAR), 2, '0')",
            k(0)
        )
    };
    match item {
        ByItem::Bucket(b) => {
            let (raw, label): (Vec<&'static str>, String) = match b {
                Bucket::Min15 => (
                    vec!["local_date", "local_slot"],
                    hhmm(format!("{} // 4", k(1)), format!("({} % 4) * 15", k(1))),
                ),
                Bucket::Min30 => (
                    vec!["local_date", "local_slot // 2"],
                    hhmm(format!("{} // 2", k(1)), format!("({} % 2) * 30", k(1))),
                ),
                Bucket::Hour => (
                    vec!["local_date", "local_hour"],
                    hhmm(k(1).to_owned(), "0".to_owned()),
                ),
                Bucket::Day => (
                    vec!["local_date"],
                    format!("strftime({}, '%Y-%m-%d')", k(0)),
                ),
                Bucket::Week => (
                    vec!["local_week"],
                    format!("printf('%d-W%02d', {0} // 100, {0} % 100)", k(0)),
                ),
                Bucket::Month => (
                    vec!["local_month"],
                    format!("printf('%d-%02d', {0} // 100, {0} % 100)", k(0)),
                ),
                Bucket::Quarter => (
                    vec!["local_month // 100 * 10 + (local_month % 100 - 1) // 3 + 1"],
                    format!("printf('%d-Q%d', {0} // 10, {0} % 10)", k(0)),
                ),
                Bucket::Year => (
                    vec!["local_month // 100"],
                    format!("CAST({} AS VARCHAR)", k(0)),
                ),
            };
            (raw, label, OutputKind::Text)
        }
        // Grouped by the slot's number, shown as its time.
        ByItem::Dimension(Dimension::TimeOfDay) => (
            vec!["local_slot"],
            format!("printf('%02d:%02d', {0} // 4, ({0} % 4) * 15)", k(0)),
            OutputKind::Text,
        ),
        // Grouped by the band's number (so bands sort by wait), shown by its label.
        ByItem::Dimension(Dimension::WaitBand) => (
            vec!["wait_band_no", "wait_band"],
            k(1).to_owned(),
            OutputKind::Text,
        ),
        ByItem::Dimension(d) => {
            let col = dimension_column(d);
            let kind = if d.is_numeric() {
                OutputKind::Integer
            } else {
                OutputKind::Text
            };
            (vec![col], k(0).to_owned(), kind)
        }
    }
}

/// The column holding a dimension.
pub fn dimension_column(d: Dimension) -> &'static str {
    match d {
        Dimension::HourOfDay => "local_hour",
        Dimension::Weekday => "local_weekday",
        Dimension::Province => "split_part(region, '/', 1)",
        Dimension::TimeOfDay => TIME_OF_DAY_LABEL,
        other => other.name(),
    }
}

/// A quarter hour of the day as people read it (`09:15`).
const TIME_OF_DAY_LABEL: &str = "printf('%02d:%02d', local_slot // 4, (local_slot % 4) * 15)";

/// The wait band columns for a tenant's bands: `wait_band_no` (0, 1, ...; sorts by wait) and
/// `wait_band` (`0-10`, ..., `300+`); null without a wait.
fn wait_band_columns(settings: &TenantSettings) -> String {
    let bounds = &settings.wait_bands;
    let mut no = String::from("CASE WHEN wait_s IS NULL THEN NULL");
    let mut label = no.clone();
    let mut lower = "0".to_owned();
    for (i, b) in bounds.iter().enumerate() {
        let upper = fmt_num(*b);
        let _ = write!(no, " WHEN wait_s < {upper} THEN {i}");
        let _ = write!(label, " WHEN wait_s < {upper} THEN '{lower}-{upper}'");
        lower = upper;
    }
    let _ = write!(no, " ELSE {} END AS wait_band_no", bounds.len());
    let _ = write!(label, " ELSE '{lower}+' END AS wait_band");
    format!("{no}, {label}")
}

/// A contact's survey answer as a number: its rating when the source gave one (1-5, 1-10),
/// its score's order otherwise (dissatisfied 1 ... very satisfied 4). Only the order counts
/// for a rank correlation.
const SURVEY_SCORE_NUMBER: &str = "coalesce(survey_rating, CASE survey_score \
    WHEN 'dissatisfied' THEN 1 WHEN 'neutral' THEN 2 WHEN 'satisfied' THEN 3 \
    WHEN 'very_satisfied' THEN 4 END)";

/// Fails when `query` cuts or filters by a dimension the table does not have.
fn check_dimensions(
    query: &KpiQuery,
    has: fn(Dimension) -> bool,
    what: &str,
) -> Result<(), QueryError> {
    let dims = query
        .by
        .iter()
        .filter_map(|b| match b {
            ByItem::Dimension(d) => Some(*d),
            ByItem::Bucket(_) => None,
        })
        .chain(query.filters.iter().map(|f| f.dimension));
    for d in dims {
        if !has(d) {
            return Err(QueryError::Unsupported(format!(
                "{what}, not by {}",
                d.name()
            )));
        }
    }
    Ok(())
}

/// What a query's metrics read beyond a table's own columns.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct Reads {
    /// The agents' schedules (`sched_*`).
    pub schedule: bool,
    /// Each contact's gaps to the same customer's inbound contacts about the same category
    /// (`prev_gap_s`, `next_gap_s`), looked for this many days around the range.
    pub repeat_days: Option<f64>,
    /// The contact's queue's 95th percentile of talk (`talk_p95`).
    pub talk_p95: bool,
}

impl Reads {
    /// What `metrics` read in `table` (their numerators there, and their denominators).
    pub(crate) fn of(metrics: &[CompiledMetric], table: Table) -> Self {
        let mut reads = Reads::default();
        for m in metrics {
            let parts = [
                (m.table, Some(m.numerator_sql.as_str())),
                (m.denominator_table, m.denominator_sql.as_deref()),
            ];
            for (t, sql) in parts {
                let Some(sql) = sql.filter(|_| t == table) else {
                    continue;
                };
                reads.schedule |= sql.contains("sched_");
                reads.talk_p95 |= sql.contains("talk_p95");
                if sql.contains("_gap_s") {
                    let days = m
                        .params
                        .get("days")
                        .and_then(|d| d.parse::<f64>().ok())
                        .unwrap_or(0.0);
                    reads.repeat_days = Some(reads.repeat_days.unwrap_or(0.0).max(days));
                }
            }
        }
        reads
    }
}

/// The tenant as an SQL literal (a tenant id is letters, digits, `-` and `_`; quoted anyway).
fn tenant_literal(query: &KpiQuery) -> String {
    format!("'{}'", query.tenant.as_str().replace('\'', "''"))
}

/// Contacts with what the query needs beside their own columns: the agent's team, the
/// tenant's wait bands, the anomaly flag against the queue's 95th percentile of talk, the
/// gaps to the customer's contacts about the same category. Plain `contacts` when none.
fn contacts_relation(query: &KpiQuery, reads: &Reads, settings: &TenantSettings) -> String {
    let mut extra = Vec::new();
    if query.uses(Dimension::ServiceChannel) {
        extra.push(format!(
            "{} AS service_channel",
            SERVED_BY.replace("{bot}", VOICE_BOT)
        ));
    }
    contacts_with(query, reads, settings, &extra)
}

/// A voice contact's self service was a voice bot: its entry point or source says so.
const VOICE_BOT: &str = "(entry_point ILIKE '%bot%' OR source ILIKE '%bot%' \
    OR contains(entry_point, '机器人') OR contains(entry_point, '智能语音') \
    OR contains(source, '机器人') OR contains(source, '智能语音'))";

/// The channel that served a contact last.
const SERVED_BY: &str =
    "CASE WHEN channel <> 'voice' THEN channel WHEN reached_queue THEN 'agent' \
    WHEN ivr_start IS NOT NULL OR outcome = 'self_service' THEN \
    CASE WHEN {bot} THEN 'voice_bot' ELSE 'ivr' END ELSE 'agent' END";

/// Inbound contacts once per service channel they used (see [`Table::ChannelLegs`]).
fn channel_legs_relation(query: &KpiQuery, reads: &Reads, settings: &TenantSettings) -> String {
    let base = contacts_with(query, reads, settings, &[]);
    format!(
        "(SELECT *, CASE WHEN {VOICE_BOT} THEN 'voice_bot' ELSE 'ivr' END AS service_channel,
          outcome = 'self_service' AND NOT reached_queue AS resolved_here
   FROM {base} WHERE is_inbound AND channel = 'voice'
     AND (ivr_start IS NOT NULL OR outcome = 'self_service')
   UNION ALL
   SELECT *, CASE WHEN channel = 'voice' THEN 'agent' ELSE channel END AS service_channel,
          is_answered AND transfers = 0 AND coalesce(resolved_first, true) AS resolved_here
   FROM {base} WHERE is_inbound AND (reached_queue OR channel <> 'voice'))"
    )
}

/// Contacts with the columns `extra` and what the query needs.
fn contacts_with(
    query: &KpiQuery,
    reads: &Reads,
    settings: &TenantSettings,
    extra: &[String],
) -> String {
    let anomaly = query.uses(Dimension::Anomaly);
    let p95 = anomaly || reads.talk_p95;
    let mut cols = vec!["c.*".to_owned()];
    cols.extend(extra.iter().cloned());
    let mut joins = String::new();
    let mut wheres = Vec::new();
    let mut window = "";
    if query.uses(Dimension::Team) {
        cols.push("ag.team".to_owned());
        joins.push_str("\n   LEFT JOIN agents ag ON ag.tenant = c.tenant AND ag.id = c.agent");
    }
    if query.uses(Dimension::WaitBand) {
        cols.push(wait_band_columns(settings));
    }
    let tenant = tenant_literal(query);
    if p95 {
        // The queue's 95th percentile of talk over the 30 days where the range ends (or the
        // tenant's data ends, without a range).
        let end = query.to.map_or_else(
            || format!("(SELECT max(local_ts) + INTERVAL 1 SECOND FROM contacts WHERE tenant = {tenant})"),
            |to| format!("TIMESTAMP '{}'", to.strftime("%Y-%m-%d %H:%M:%S")),
        );
        cols.push("p95.talk_p95".to_owned());
        let _ = write!(
            joins,
            "\n   LEFT JOIN (SELECT queue, quantile_cont(talk_s, 0.95) AS talk_p95 FROM contacts
              WHERE tenant = {tenant} AND is_answered AND talk_s IS NOT NULL
                AND local_ts >= {end} - INTERVAL 30 DAY AND local_ts < {end}
              GROUP BY queue) p95 ON p95.queue IS NOT DISTINCT FROM c.queue"
        );
    }
    if anomaly {
        cols.push(format!(
            "CASE WHEN c.is_answered AND c.talk_s < {short} THEN 'ultra_short' \
             WHEN c.is_answered AND c.talk_s > {factor} * p95.talk_p95 THEN 'ultra_long' \
             ELSE 'none' END AS anomaly",
            short = fmt_num(settings.ultra_short_talk),
            factor = fmt_num(settings.ultra_long_factor),
        ));
    }
    if let Some(days) = reads.repeat_days {
        // Inbound contacts of a known customer and category, in time order per customer and
        // category; the window reads the days around the range a repeat can reach.
        let known = "c.is_inbound AND c.customer IS NOT NULL AND c.category IS NOT NULL";
        cols.push(format!(
            "CASE WHEN {known} THEN (epoch_us(c.bucket_at) - epoch_us(lag(c.bucket_at) OVER w)) / 1e6 END AS prev_gap_s, \
             CASE WHEN {known} THEN (epoch_us(lead(c.bucket_at) OVER w) - epoch_us(c.bucket_at)) / 1e6 END AS next_gap_s"
        ));
        window = "\n   WINDOW w AS (PARTITION BY c.is_inbound AND c.customer IS NOT NULL AND c.category IS NOT NULL, c.customer, c.category ORDER BY c.bucket_at, c.id)";
        wheres.push(format!("c.tenant = {tenant}"));
        // A day more than the window on each side: local time and UTC differ by hours.
        let margin = (days.ceil() as i64).saturating_add(1);
        if let Some(from) = query.from {
            wheres.push(format!(
                "c.local_ts >= TIMESTAMP '{}' - INTERVAL {margin} DAY",
                from.strftime("%Y-%m-%d %H:%M:%S")
            ));
        }
        if let Some(to) = query.to {
            wheres.push(format!(
                "c.local_ts < TIMESTAMP '{}' + INTERVAL {margin} DAY",
                to.strftime("%Y-%m-%d %H:%M:%S")
            ));
        }
    }
    if cols.len() == 1 {
        return "contacts".to_owned();
    }
    let where_sql = if wheres.is_empty() {
        String::new()
    } else {
        format!("\n   WHERE {}", wheres.join(" AND "))
    };
    format!(
        "(SELECT {} FROM contacts c{joins}{where_sql}{window})",
        cols.join(",\n          ")
    )
}

/// Whether `query`'s dimensions, range and cuts exist for `table` (and the schedules `reads`
/// asks for): the same for every dialect.
pub(crate) fn check_table(table: Table, query: &KpiQuery, reads: &Reads) -> Result<(), QueryError> {
    match table {
        Table::Tickets => check_dimensions(
            query,
            ticket_dimension,
            "ticket metrics go by buckets, business_line, category, channel, hour_of_day and weekday",
        ),
        Table::Subscribers => check_dimensions(
            query,
            |d| d == Dimension::BusinessLine,
            "the subscriber base goes by months (and longer buckets) and business_line",
        ),
        Table::Agents => {
            if let Some(b) = query
                .by
                .iter()
                .find(|b| **b != ByItem::Dimension(Dimension::Team))
            {
                return Err(QueryError::Unsupported(format!(
                    "agent headcount metrics (turnover) go by team only, not by {}",
                    b.name()
                )));
            }
            if let Some(f) = query
                .filters
                .iter()
                .find(|f| f.dimension != Dimension::Team)
            {
                return Err(QueryError::Unsupported(format!(
                    "agent headcount metrics (turnover) filter by team only, not by {}",
                    f.dimension.name()
                )));
            }
            agents_period(query).map(|_| ())
        }
        Table::AgentStates | Table::AgentPresence => {
            check_dimensions(
                query,
                agent_dimension,
                "agent-state metrics go by buckets, agent, team, queue, hour_of_day and weekday",
            )?;
            if !reads.schedule {
                return Ok(());
            }
            // A schedule is a number of minutes a day, per agent: it says nothing of the
            // hours of a day, and the queues share an agent's day.
            if let Some(b) = query.by.iter().find(|b| {
                matches!(
                    b,
                    ByItem::Bucket(Bucket::Min15 | Bucket::Min30 | Bucket::Hour)
                        | ByItem::Dimension(Dimension::Queue | Dimension::HourOfDay)
                )
            }) {
                return Err(QueryError::Unsupported(format!(
                    "utilization (a day's schedule) goes by day or longer buckets, agent, \
                     team and weekday, not by {}",
                    b.name()
                )));
            }
            if let Some(f) = query
                .filters
                .iter()
                .find(|f| matches!(f.dimension, Dimension::Queue | Dimension::HourOfDay))
            {
                return Err(QueryError::Unsupported(format!(
                    "utilization (a day's schedule) filters by agent, team and weekday, not \
                     by {}",
                    f.dimension.name()
                )));
            }
            Ok(())
        }
        Table::Days => calendar_days(query).map(|_| ()),
        Table::Contacts | Table::SurveyRanks | Table::ChannelLegs => Ok(()),
    }
}

/// The period agent headcount metrics are over: its first and last day (excluded).
pub(crate) fn agents_period(
    query: &KpiQuery,
) -> Result<(jiff::civil::Date, jiff::civil::Date), QueryError> {
    let (Some(from), Some(to)) = (query.from, query.to) else {
        return Err(QueryError::Unsupported(
            "turnover is over a period: give --from and --to".to_owned(),
        ));
    };
    Ok((from.date(), to.date()))
}

/// The rows a table's metrics run over, checking that `query`'s dimensions exist there;
/// `schedule` adds the agents' schedules to agent-state rows.
pub(crate) fn relation_for(
    table: Table,
    query: &KpiQuery,
    reads: &Reads,
    settings: &TenantSettings,
) -> Result<String, QueryError> {
    check_table(table, query, reads)?;
    let wants_team = query.uses(Dimension::Team);
    let schedule = reads.schedule;
    Ok(match table {
        Table::Contacts | Table::SurveyRanks => contacts_relation(query, reads, settings),
        Table::ChannelLegs => channel_legs_relation(query, reads, settings),
        Table::Tickets => TICKET_RELATION.to_owned(),
        Table::Subscribers => SUBSCRIBER_RELATION.to_owned(),
        Table::Agents => {
            let (from, to) = agents_period(query)?;
            format!(
                "(SELECT a.tenant, a.id AS agent, a.team,
          a.left_on >= DATE '{from}' AND a.left_on < DATE '{to}' AS left_in_range,
          coalesce(a.hired_on < DATE '{from}', true)
            AND coalesce(a.left_on >= DATE '{from}', true) AS at_start,
          coalesce(a.hired_on < DATE '{to}', true)
            AND coalesce(a.left_on >= DATE '{to}', true) AS at_end,
          CAST(DATE '{from}' AS TIMESTAMP) AS local_ts
   FROM agents a)"
            )
        }
        Table::Days => {
            let (first, last) = calendar_days(query)?;
            format!(
                "(SELECT CAST(d AS TIMESTAMP) + to_minutes(CAST(s * 15 AS BIGINT)) AS local_ts,
          CAST(d AS DATE) AS local_date, CAST(s AS SMALLINT) AS local_slot,
          CAST(s // 4 AS TINYINT) AS local_hour, CAST(isodow(d) AS TINYINT) AS local_weekday,
          year(d) * 100 + month(d) AS local_month, isoyear(d) * 100 + week(d) AS local_week
   FROM range(DATE '{first}', DATE '{last}', INTERVAL 1 DAY) t(d) CROSS JOIN range(0, 96) u(s))"
            )
        }
        Table::AgentStates | Table::AgentPresence => {
            let now = jiff::Timestamp::now().strftime("%Y-%m-%d %H:%M:%S%.6f");
            let (team, team_join) = if wants_team {
                (
                    ", ag.team",
                    "\n   LEFT JOIN agents ag ON ag.tenant = a.tenant AND ag.id = a.agent",
                )
            } else {
                ("", "")
            };
            let relation = if table == Table::AgentStates {
                AGENT_RELATION
            } else {
                AGENT_PRESENCE_RELATION
            };
            let (schedule, schedule_join) = if schedule {
                (
                    SCHEDULE_COLUMNS,
                    "\n   LEFT JOIN agents sa ON sa.tenant = a.tenant AND sa.id = a.agent",
                )
            } else {
                ("", "")
            };
            relation
                .replace("{now}", &format!("TIMESTAMP '{now}'"))
                .replace("{team_join}", team_join)
                .replace("{team}", team)
                .replace("{schedule_join}", schedule_join)
                .replace("{schedule}", schedule)
        }
    })
}

/// The WHERE clause of a query (tenant, range, filters) and its bound values.
pub(crate) fn where_of(query: &KpiQuery) -> (String, Vec<String>) {
    where_clause(query, query.filters.iter().collect(), true)
}

/// The WHERE clause over the range and `filters`, and the tenant when `tenant`.
fn where_clause(query: &KpiQuery, filters: Vec<&Filter>, tenant: bool) -> (String, Vec<String>) {
    let mut params = Vec::new();
    let mut wheres = Vec::new();
    if tenant {
        wheres.push("tenant = ?".to_owned());
        params.push(query.tenant.to_string());
    }
    if let Some(from) = query.from {
        wheres.push("local_ts >= CAST(? AS TIMESTAMP)".to_owned());
        params.push(from.strftime("%Y-%m-%d %H:%M:%S").to_string());
    }
    if let Some(to) = query.to {
        wheres.push("local_ts < CAST(? AS TIMESTAMP)".to_owned());
        params.push(to.strftime("%Y-%m-%d %H:%M:%S").to_string());
    }
    let (clauses, values) = filter_clauses(filters.into_iter());
    wheres.extend(clauses);
    params.extend(values);
    if wheres.is_empty() {
        wheres.push("true".to_owned());
    }
    (wheres.join(" AND "), params)
}

/// Each filter as `column IN (?, ...)`, and the values to bind, in order.
pub(crate) fn filter_clauses<'a>(
    filters: impl Iterator<Item = &'a Filter>,
) -> (Vec<String>, Vec<String>) {
    let mut clauses = Vec::new();
    let mut values = Vec::new();
    for f in filters {
        let cast = if f.dimension.is_numeric() {
            "CAST(? AS INTEGER)"
        } else {
            "?"
        };
        let marks = vec![cast; f.values.len()].join(", ");
        clauses.push(format!("{} IN ({marks})", dimension_column(f.dimension)));
        values.extend(f.values.iter().cloned());
    }
    (clauses, values)
}

/// The whole days around the question's range, the last excluded (the range filter trims
/// the quarter hours): what the calendar of [`Table::Days`] holds.
pub(crate) fn calendar_days(
    query: &KpiQuery,
) -> Result<(jiff::civil::Date, jiff::civil::Date), QueryError> {
    let (Some(from), Some(to)) = (query.from, query.to) else {
        return Err(QueryError::Unsupported(
            "an average per day is over a period: give --from and --to".to_owned(),
        ));
    };
    let last = if to.time() == jiff::civil::Time::midnight() {
        to.date()
    } else {
        to.date().tomorrow().unwrap_or(to.date())
    };
    Ok((from.date(), last))
}

/// Why the calendar alone (`days`) cannot be cut by something else.
pub(crate) fn calendar_only(query: &KpiQuery) -> QueryError {
    let other = query
        .by
        .iter()
        .find(|b| !calendar_item(**b))
        .map_or("that", |b| b.name());
    QueryError::Unsupported(format!(
        "the calendar's days go by buckets, hour_of_day, weekday and time_of_day, not by {other}"
    ))
}

/// Whether a `--by` item or filter is about the calendar: what the calendar of
/// [`Table::Days`] has.
pub(crate) fn calendar_item(item: ByItem) -> bool {
    matches!(
        item,
        ByItem::Bucket(_)
            | ByItem::Dimension(Dimension::HourOfDay | Dimension::Weekday | Dimension::TimeOfDay)
    )
}

/// The WHERE clause of the calendar part: the range and the calendar's filters (the days of a
/// range are the same for every queue or agent).
fn where_of_days(query: &KpiQuery) -> (String, Vec<String>) {
    let calendar = query
        .filters
        .iter()
        .filter(|f| calendar_item(ByItem::Dimension(f.dimension)))
        .collect();
    // No tenant on the calendar.
    where_clause(query, calendar, false)
}

/// The key expressions of `--by` (aliased k0, k1, ...), their labels and output kinds.
pub(crate) fn keys_of(query: &KpiQuery) -> Keys {
    keys_with(query, by_sql)
}

/// [`keys_of`] with a dialect's `by_sql`: an item's raw key expressions and its label over
/// the key aliases.
pub(crate) fn keys_with<S: std::fmt::Display>(
    query: &KpiQuery,
    by_sql: impl Fn(ByItem, &[String]) -> (Vec<S>, String, OutputKind),
) -> Keys {
    let mut inner_keys: Vec<String> = Vec::new();
    let mut labels = Vec::new();
    let mut by = Vec::new();
    for item in &query.by {
        let (raw, _, _) = by_sql(*item, &[]);
        let aliases: Vec<String> = (inner_keys.len()..inner_keys.len() + raw.len())
            .map(|i| format!("k{i}"))
            .collect();
        for (expr, alias) in raw.iter().zip(&aliases) {
            inner_keys.push(format!("{expr} AS {alias}"));
        }
        let (_, label, kind) = by_sql(*item, &aliases);
        labels.push(label);
        by.push((*item, kind));
    }

    (inner_keys, labels, by)
}

/// Key expressions, labels over the key aliases, and the `--by` items with their kinds.
type Keys = (Vec<String>, Vec<String>, Vec<(ByItem, OutputKind)>);

/// The value column `v{i}` of metric `m` over its `n{i}` and `d{i}`.
pub(crate) fn value_of(i: usize, m: &CompiledMetric, scale: &str) -> String {
    if m.denominator_sql.is_some() {
        // count_if where every row's predicate is NULL (say, no survey scores at all) is NULL
        // in DuckDB, not 0: over a non-empty denominator the share is 0.
        format!(
            "CASE WHEN d{i} = 0 OR d{i} IS NULL THEN NULL ELSE CAST(coalesce(n{i}, 0) AS DOUBLE) / d{i}{scale} END AS v{i}"
        )
    } else {
        // count_if over no rows at all is NULL in DuckDB; a count of nothing is 0.
        let value = if m.unit == Unit::Count {
            format!("coalesce(CAST(n{i} AS DOUBLE), 0)")
        } else {
            format!("CAST(n{i} AS DOUBLE)")
        };
        format!("{value}{scale} AS v{i}")
    }
}

pub(crate) fn scale_of(m: &CompiledMetric) -> String {
    if m.scale == 1.0 {
        String::new()
    } else {
        format!(" * {}", m.scale)
    }
}

/// The final SELECT over `agg`: bucket labels, values, numerators, denominators, in key order.
pub(crate) fn outer_select(
    labels: &[String],
    outs: &[String],
    metrics: usize,
    keys: usize,
) -> String {
    outer_select_from(labels, outs, metrics, keys, "agg")
}

/// [`outer_select`] over `from` (a dialect without CTEs selects from a subquery).
pub(crate) fn outer_select_from(
    labels: &[String],
    outs: &[String],
    metrics: usize,
    keys: usize,
    from: &str,
) -> String {
    let mut select: Vec<String> = labels
        .iter()
        .enumerate()
        .map(|(i, l)| format!("{l} AS b{i}"))
        .collect();
    select.extend(figure_columns(outs, metrics));
    let mut sql = select.join(",\n       ");
    let _ = write!(sql, "\nFROM {from}");
    if keys > 0 {
        let order: Vec<String> = (0..keys).map(|i| format!("k{i} NULLS LAST")).collect();
        let _ = write!(sql, "\nORDER BY {}", order.join(", "));
    }
    sql
}

/// A result's figure columns after its labels: the values `outs`, then each metric's
/// numerator (`n0..`) and denominator (`d0..`).
pub(crate) fn figure_columns(outs: &[String], metrics: usize) -> Vec<String> {
    outs.iter()
        .cloned()
        .chain((0..metrics).map(|i| format!("n{i}")))
        .chain((0..metrics).map(|i| format!("d{i}")))
        .collect()
}

/// The CTE `p{g}` of one table of a query across tables: its aggregates `aggs` by the keys
/// (for agent presence, over the running count of logged-in agents within each slot).
fn part_cte(
    g: usize,
    table: Table,
    relation: &str,
    aggs: &[String],
    inner_keys: &[String],
    key_names: &[String],
    where_sql: &str,
) -> String {
    let select: Vec<String> = inner_keys
        .iter()
        .cloned()
        .chain(aggs.iter().cloned())
        .collect();
    let group = if key_names.is_empty() {
        String::new()
    } else {
        format!("\n    GROUP BY {}", key_names.join(", "))
    };
    if table == Table::SurveyRanks {
        // Three levels: the pairs of the group, their average ranks within it, the
        // aggregate over the ranks per key.
        let by: Vec<&str> = key_names.iter().map(String::as_str).collect();
        let within = |col: &str| {
            let part: Vec<&str> = by.iter().copied().chain([col]).collect();
            let over = if by.is_empty() {
                format!("ORDER BY {col}")
            } else {
                format!("PARTITION BY {} ORDER BY {col}", by.join(", "))
            };
            format!(
                "rank() OVER ({over}) + (count(*) OVER (PARTITION BY {}) - 1) / 2.0",
                part.join(", ")
            )
        };
        let inner: Vec<String> = inner_keys
            .iter()
            .cloned()
            .chain([
                "wait_s".to_owned(),
                format!("{SURVEY_SCORE_NUMBER} AS score"),
            ])
            .collect();
        format!(
            "p{g} AS (\n    SELECT {}\n    FROM (SELECT *, {} AS wait_rank, {} AS score_rank\n          FROM (SELECT {}\n                FROM {relation}\n                WHERE {where_sql} AND wait_s IS NOT NULL AND {SURVEY_SCORE_NUMBER} IS NOT NULL))\n    {group}\n  )",
            outer_columns(key_names, aggs),
            within("wait_s"),
            within("score"),
            inner.join(", "),
        )
    } else if table == Table::AgentPresence {
        // Two levels: the running count of logged-in agents within each slot and key
        // (filters applied first), then the metric's aggregate over it per key.
        let keys: Vec<String> = key_names.iter().map(|k| format!(", {k}")).collect();
        let inner: Vec<String> = inner_keys
            .iter()
            .cloned()
            .chain(["slot_start".to_owned(), "t".to_owned(), "delta".to_owned()])
            .collect();
        format!(
            "p{g} AS (\n    SELECT {}\n    FROM (SELECT *, sum(delta) OVER (PARTITION BY slot_start{} ORDER BY t, delta ROWS UNBOUNDED PRECEDING) AS logged_in\n          FROM (SELECT {}\n                FROM {relation}\n                WHERE {where_sql}))\n    {group}\n  )",
            outer_columns(key_names, aggs),
            keys.concat(),
            inner.join(", "),
        )
    } else {
        format!(
            "p{g} AS (\n    SELECT {}\n    FROM {relation}\n    WHERE {where_sql}{group}\n  )",
            select.join(",\n           ")
        )
    }
}

/// The outer level of a part computed in levels: its keys, then its aggregates.
fn outer_columns(key_names: &[String], aggs: &[String]) -> String {
    key_names
        .iter()
        .chain(aggs)
        .cloned()
        .collect::<Vec<_>>()
        .join(",\n           ")
}

/// The tables `metrics` read (numerators and denominators), in their order, each once.
pub(crate) fn tables_of(metrics: &[CompiledMetric]) -> Vec<Table> {
    let mut tables: Vec<Table> = Vec::new();
    for m in metrics {
        for t in [m.table, m.denominator_table] {
            if !tables.contains(&t) {
                tables.push(t);
            }
        }
    }
    tables
}

/// Whether `metrics` need one part per table, joined on keys: several tables, the two-level
/// presence count, the ranks, or the calendar (which has no tenant).
pub(crate) fn needs_parts(metrics: &[CompiledMetric]) -> bool {
    let table = metrics.first().map_or(Table::Contacts, |m| m.table);
    matches!(
        table,
        Table::AgentPresence | Table::Days | Table::SurveyRanks
    ) || metrics
        .iter()
        .any(|m| m.table != table || m.denominator_table != table)
}

/// The table a compiled question says it is over: agent states when a part reads agent
/// intervals (their slots are the store's to bind), else the first.
pub(crate) fn question_table(tables: &[Table]) -> Table {
    if tables.contains(&Table::AgentStates) || tables.contains(&Table::AgentPresence) {
        Table::AgentStates
    } else {
        tables.first().copied().unwrap_or_default()
    }
}

/// The aggregates of part `table`: each metric's numerator there as `n{i}` and its
/// denominator there as `d{i}`, (alias, expression).
pub(crate) fn part_aggregates(metrics: &[CompiledMetric], table: Table) -> Vec<(String, String)> {
    let mut aggs = Vec::new();
    for (i, m) in metrics.iter().enumerate() {
        if m.table == table {
            aggs.push((format!("n{i}"), m.numerator_sql.clone()));
        }
        if let (Some(den), true) = (&m.denominator_sql, m.denominator_table == table) {
            aggs.push((format!("d{i}"), den.clone()));
        }
    }
    aggs
}

/// Which key columns of `query` the calendar has (those of buckets, weekday and time of
/// day), with a dialect's `by_sql`.
pub(crate) fn calendar_keys_with<S>(
    query: &KpiQuery,
    by_sql: impl Fn(ByItem, &[String]) -> (Vec<S>, String, OutputKind),
) -> Vec<bool> {
    query
        .by
        .iter()
        .flat_map(|item| vec![calendar_item(*item); by_sql(*item, &[]).0.len()])
        .collect()
}

/// A part's relation with the columns its levels add, as zeros: what an empty part is
/// aggregated over (the figures of nothing).
pub(crate) fn empty_relation(table: Table, relation: &str) -> String {
    match table {
        Table::AgentPresence => format!("(SELECT *, 0 AS logged_in FROM {relation})"),
        Table::SurveyRanks => {
            format!("(SELECT *, 0.0 AS wait_rank, 0.0 AS score_rank FROM {relation})")
        }
        _ => relation.to_owned(),
    }
}

/// Metrics over several tables (or a metric whose numerator and denominator live in two):
/// one aggregate per table over the same keys and filters, joined on the keys.
fn compile_parts(
    query: &KpiQuery,
    metrics: Vec<CompiledMetric>,
    settings: &TenantSettings,
) -> Result<CompiledQuery, QueryError> {
    let tables = tables_of(&metrics);
    let (inner_keys, labels, by) = keys_of(query);
    let key_names: Vec<String> = (0..inner_keys.len()).map(|i| format!("k{i}")).collect();
    let calendar_keys = calendar_keys_with(query, by_sql);
    // The keys each part groups by and joins on.
    let keys_of_part = |table: Table| -> Vec<usize> {
        (0..key_names.len())
            .filter(|k| table != Table::Days || calendar_keys[*k])
            .collect()
    };
    let mut ctes = Vec::new();
    let mut empty_ctes = Vec::new();
    let mut ranges = Vec::new();
    let mut params = Vec::new();
    for (g, table) in tables.iter().enumerate() {
        let relation = relation_for(*table, query, &Reads::of(&metrics, *table), settings)?;
        let (where_sql, where_params) = if *table == Table::Days {
            where_of_days(query)
        } else {
            where_of(query)
        };
        let own = keys_of_part(*table);
        let part_inner: Vec<String> = own.iter().map(|k| inner_keys[*k].clone()).collect();
        let part_names: Vec<String> = own.iter().map(|k| key_names[*k].clone()).collect();
        let aggs: Vec<String> = part_aggregates(&metrics, *table)
            .into_iter()
            .map(|(alias, e)| format!("{e} AS {alias}"))
            .collect();
        ctes.push(part_cte(
            g,
            *table,
            &relation,
            &aggs,
            &part_inner,
            &part_names,
            &where_sql,
        ));
        empty_ctes.push(format!(
            "p{g} AS (SELECT {} FROM {} WHERE false)",
            aggs.join(", "),
            empty_relation(*table, &relation)
        ));
        ranges.push(format!(
            "SELECT min(local_ts) AS lo, max(local_ts) AS hi FROM {relation} WHERE {where_sql}"
        ));
        params.extend(where_params.iter().cloned());
    }
    let part_of = |i: usize, denominator: bool| {
        let m = &metrics[i];
        let t = if denominator {
            m.denominator_table
        } else {
            m.table
        };
        tables.iter().position(|x| *x == t).unwrap_or(0)
    };
    let mut cols = Vec::new();
    let mut outs = Vec::new();
    for (i, m) in metrics.iter().enumerate() {
        cols.push(format!("p{}.n{i} AS n{i}", part_of(i, false)));
        if m.denominator_sql.is_some() {
            cols.push(format!("p{}.d{i} AS d{i}", part_of(i, true)));
        } else {
            cols.push(format!("CAST(NULL AS DOUBLE) AS d{i}"));
        }
        outs.push(value_of(i, m, &scale_of(m)));
    }
    let (from, empty_from) = if key_names.is_empty() {
        let all: Vec<String> = (0..tables.len()).map(|g| format!("p{g}")).collect();
        (all.join(" CROSS JOIN "), all.join(" CROSS JOIN "))
    } else {
        // The rows are the key tuples of the parts that have every key (the calendar's days
        // cut by queue are the same days for every queue: they join, they do not add rows).
        let union: Vec<String> = (0..tables.len())
            .filter(|g| keys_of_part(tables[*g]).len() == key_names.len())
            .map(|g| format!("SELECT {} FROM p{g}", key_names.join(", ")))
            .collect();
        if union.is_empty() {
            return Err(calendar_only(query));
        }
        ctes.push(format!("keys AS ({})", union.join(" UNION ")));
        let mut from = "keys".to_owned();
        for (g, table) in tables.iter().enumerate() {
            let on: Vec<String> = keys_of_part(*table)
                .iter()
                .map(|k| format!("keys.k{k} IS NOT DISTINCT FROM p{g}.k{k}"))
                .collect();
            let on = if on.is_empty() {
                vec!["true".to_owned()]
            } else {
                on
            };
            let _ = write!(from, " LEFT JOIN p{g} ON {}", on.join(" AND "));
        }
        let all: Vec<String> = (0..tables.len()).map(|g| format!("p{g}")).collect();
        (from, all.join(" CROSS JOIN "))
    };
    let key_cols: Vec<String> = key_names
        .iter()
        .map(|k| format!("keys.{k} AS {k}"))
        .collect();
    let mut sql = format!("WITH {},\nagg AS (\n  SELECT ", ctes.join(",\n"));
    sql.push_str(
        &key_cols
            .iter()
            .cloned()
            .chain(cols.iter().cloned())
            .collect::<Vec<_>>()
            .join(",\n         "),
    );
    let _ = write!(sql, "\n  FROM {from}\n)\nSELECT ");
    sql.push_str(&outer_select(
        &labels,
        &outs,
        metrics.len(),
        key_names.len(),
    ));
    let empty_sql = format!(
        "WITH {},\nagg AS (SELECT {} FROM {empty_from})\nSELECT {} FROM agg",
        empty_ctes.join(",\n"),
        cols.join(", "),
        figure_columns(&outs, metrics.len()).join(", ")
    );
    let range_sql = format!(
        "SELECT min(lo), max(hi) FROM ({})",
        ranges.join(" UNION ALL ")
    );
    // Agent-state parts need their slots filled before the query runs.
    let table = question_table(&tables);
    Ok(CompiledQuery {
        sql,
        params,
        by,
        metrics,
        empty_sql,
        range_sql,
        from: query.from,
        to: query.to,
        table,
        rollup: None,
    })
}

/// Compiles `query` for `dialect`.
pub fn compile(
    catalog: &Catalog,
    query: &KpiQuery,
    settings: &TenantSettings,
    dialect: Dialect,
) -> Result<CompiledQuery, QueryError> {
    if dialect == Dialect::ClickHouse {
        return crate::clickhouse::compile(catalog, query, settings);
    }
    let metrics = query
        .metrics
        .iter()
        .map(|m| resolve(catalog, m, settings))
        .collect::<Result<Vec<_>, _>>()?;
    if needs_parts(&metrics) {
        return compile_parts(query, metrics, settings);
    }
    let table = metrics.first().map_or(Table::Contacts, |m| m.table);
    let relation = relation_for(table, query, &Reads::of(&metrics, table), settings)?;

    let (where_sql, params) = where_of(query);

    let (inner_keys, labels, by) = keys_of(query);

    let mut aggs = Vec::new();
    let mut outs = Vec::new();
    for (i, m) in metrics.iter().enumerate() {
        aggs.push(format!("{} AS n{i}", m.numerator_sql));
        let scale = scale_of(m);
        match &m.denominator_sql {
            Some(den) => aggs.push(format!("{den} AS d{i}")),
            None => aggs.push(format!("CAST(NULL AS DOUBLE) AS d{i}")),
        }
        outs.push(value_of(i, m, &scale));
    }

    let mut sql = String::from("WITH agg AS (\n  SELECT ");
    let select_inner: Vec<String> = inner_keys.iter().cloned().chain(aggs).collect();
    sql.push_str(&select_inner.join(",\n         "));
    let _ = write!(sql, "\n  FROM {relation}\n  WHERE {where_sql}");
    if !inner_keys.is_empty() {
        let _ = write!(
            sql,
            "\n  GROUP BY {}",
            (0..inner_keys.len())
                .map(|i| format!("k{i}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    sql.push_str("\n)\nSELECT ");
    sql.push_str(&outer_select(
        &labels,
        &outs,
        metrics.len(),
        inner_keys.len(),
    ));

    let empty_sql = format!(
        "WITH agg AS (SELECT {} FROM {relation} WHERE false)\nSELECT {} FROM agg",
        metrics
            .iter()
            .enumerate()
            .flat_map(|(i, m)| {
                [
                    format!("{} AS n{i}", m.numerator_sql),
                    format!(
                        "{} AS d{i}",
                        m.denominator_sql
                            .as_deref()
                            .unwrap_or("CAST(NULL AS DOUBLE)")
                    ),
                ]
            })
            .collect::<Vec<_>>()
            .join(", "),
        figure_columns(&outs, metrics.len()).join(", ")
    );
    let range_sql =
        format!("SELECT min(local_ts), max(local_ts) FROM {relation} WHERE {where_sql}");
    let rollup = if table == Table::Contacts {
        crate::rollup::rollup_of(query, &metrics, &relation)
    } else {
        None
    };

    Ok(CompiledQuery {
        sql,
        params,
        by,
        metrics,
        empty_sql,
        range_sql,
        from: query.from,
        to: query.to,
        table,
        rollup,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(metrics: &str, by: &str) -> KpiQuery {
        let filters = ["queue=vip,general".to_owned()];
        KpiQuery::parse(
            ccpulse_model::TenantId::new("default").expect("tenant"),
            &crate::KpiText {
                metrics,
                by: Some(by),
                from: Some("2021-01-01"),
                to: Some("2022-01-01"),
                filters: &filters,
            },
        )
        .expect("query")
    }

    #[test]
    fn service_level_variants_and_params() {
        let cat = Catalog::embedded().expect("catalog");
        let s = TenantSettings::default();
        let m = resolve(&cat, &MetricSpec::parse("service_level").expect("spec"), &s).expect("sl");
        assert_eq!(m.params.get("threshold").map(String::as_str), Some("20"));
        assert_eq!(m.params.get("variant").map(String::as_str), Some("default"));
        assert!(
            m.numerator_sql.contains("wait_s <= 20"),
            "{}",
            m.numerator_sql
        );
        assert!(m
            .denominator_sql
            .as_deref()
            .unwrap_or("")
            .contains("wait_s < 5"));

        let spec = MetricSpec::parse("service_level[threshold=15,variant=amazon]").expect("spec");
        let m = resolve(&cat, &spec, &s).expect("amazon");
        assert_eq!(
            m.params.get("variant").map(String::as_str),
            Some("removed_within")
        );
        assert!(m.formula.contains("within 15 s"), "{}", m.formula);

        let spec = MetricSpec::parse("answered_within[threshold=30]").expect("spec");
        let m = resolve(&cat, &spec, &s).expect("aw");
        assert_eq!(m.zh, "30秒应答率");

        let spec = MetricSpec::parse("service_level[variant=all_queued]").expect("spec");
        assert_eq!(
            resolve(&cat, &spec, &s).expect("sl").zh,
            "服务水平[variant=all_queued]"
        );

        let bad = MetricSpec::parse("service_level[variant=magic]").expect("spec");
        assert!(matches!(
            resolve(&cat, &bad, &s),
            Err(QueryError::BadParam { .. })
        ));
        let bad = MetricSpec::parse("service_level[threshold=x]").expect("spec");
        assert!(matches!(
            resolve(&cat, &bad, &s),
            Err(QueryError::BadParam { .. })
        ));
        let bad = MetricSpec::parse("answered[threshold=3]").expect("spec");
        assert!(matches!(
            resolve(&cat, &bad, &s),
            Err(QueryError::UnknownParam { .. })
        ));
        let bad = MetricSpec::parse("nope").expect("spec");
        assert_eq!(
            resolve(&cat, &bad, &s),
            Err(QueryError::UnknownMetric("nope".into()))
        );
    }

    #[test]
    fn text_params_are_quoted_not_injected() {
        let cat = Catalog::embedded().expect("catalog");
        let spec = MetricSpec::parse("defect_rate[reason=it's]").expect("spec");
        let m = resolve(&cat, &spec, &TenantSettings::default()).expect("dr");
        assert!(
            m.numerator_sql.contains("survey_reason = 'it''s'"),
            "{}",
            m.numerator_sql
        );
    }

    #[test]
    fn month_by_queue_sql() {
        let cat = Catalog::embedded().expect("catalog");
        let q = compile(
            &cat,
            &query("answered,answer_rate", "month,queue"),
            &TenantSettings::default(),
            Dialect::DuckDb,
        )
        .expect("compile");
        insta::assert_snapshot!(q.sql);
        assert_eq!(
            q.params,
            vec![
                "default",
                "2021-01-01 00:00:00",
                "2022-01-01 00:00:00",
                "vip",
                "general"
            ]
        );
    }

    #[test]
    fn a_ratio_across_tables_joins_one_aggregate_per_table_on_the_keys() {
        let cat = Catalog::embedded().expect("catalog");
        let mut kq = query("complaint_rate,answered", "month");
        kq.filters.clear();
        let q = compile(&cat, &kq, &TenantSettings::default(), Dialect::DuckDb).expect("compile");
        insta::assert_snapshot!(q.sql);
        // Each table's aggregate binds the same tenant and range.
        assert_eq!(q.params.len(), 6);
        assert_eq!(q.metrics[0].table, Table::Tickets);
        assert_eq!(q.metrics[0].denominator_table, Table::Contacts);
        // Tickets have no queue: asking for one says so.
        let bad = compile(
            &cat,
            &query("complaint_rate", "queue"),
            &TenantSettings::default(),
            Dialect::DuckDb,
        );
        assert!(matches!(bad, Err(QueryError::Unsupported(m)) if m.contains("not by queue")));
        // A ratio names two plain metrics.
        assert!(cat
            .get("complaint_rate")
            .and_then(|m| m.of.clone())
            .is_some());
    }

    #[test]
    fn fifteen_minutes_by_weekday_sql() {
        let cat = Catalog::embedded().expect("catalog");
        let q = compile(
            &cat,
            &query("p90_wait,talk_minutes", "15min,weekday"),
            &TenantSettings::default(),
            Dialect::DuckDb,
        )
        .expect("compile");
        insta::assert_snapshot!(q.sql);
        assert_eq!(q.by[1].1, OutputKind::Integer);
    }
}
