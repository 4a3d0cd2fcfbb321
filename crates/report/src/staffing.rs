//! Staffing for a queue (seed 001 服务资源调配优化, 预测业务量波动): its intervals' history
//! from the store, the forecast with its backtest error, and a day's plan of agents; as JSON,
//! CSV and a document (HTML, XLSX with charts).
//!
//! The history is the catalog's `agent_requests` (calls that wanted an agent), `handled` and
//! `aht` per interval of the queue, and for callers' patience the waits of agent requests
//! (`avg_wait`'s numerator) over the `abandoned`: exposure over events, the estimate of an
//! exponential patience from waits cut short by answers.

use std::path::Path;

use ccpulse_metrics::{Catalog, Dimension, Filter, KpiQuery, KpiText};
use ccpulse_model::TenantId;
use ccpulse_staffing::forecast::{self, Accuracy, Calendar, Observed, Predicted, Special};
use ccpulse_staffing::plan::{self, Goal, Interval};
use ccpulse_staffing::Model;
use ccpulse_store::DuckDbStore;
use jiff::civil::Date;
use jiff::ToSpan as _;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::doc::{Cell, Chart, ChartKind, Column, Document, Fmt, Section, Table};
use crate::{Lang, ReportError};

/// The calendar of special days of a tenant: `<data>/calendars/<tenant>.toml`.
pub const CALENDAR_DIR: &str = "calendars";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CalendarFile {
    #[serde(default)]
    day: Vec<CalendarDay>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CalendarDay {
    date: String,
    /// The last day of a run of days (inclusive).
    to: Option<String>,
    name: String,
    like: Option<String>,
    factor: Option<f64>,
}

/// The tenant's calendar (empty without a file); a bad entry is an error naming the file, the
/// entry and the field.
pub fn calendar(dir: &Path, tenant: &TenantId) -> Result<Calendar, ReportError> {
    let path = dir.join(CALENDAR_DIR).join(format!("{tenant}.toml"));
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Calendar::new()),
        Err(e) => return Err(ReportError::Io(format!("{}: {e}", path.display()))),
    };
    let file: CalendarFile = toml::from_str(&text).map_err(|e| {
        ReportError::Invalid(format!(
            "{}: {e} (write [[day]] date = \"2026-10-01\", name = \"国庆节\", optionally to, like = \"sunday\", factor = 0.4)",
            path.display()
        ))
    })?;
    let mut out = Calendar::new();
    for (i, d) in file.day.iter().enumerate() {
        let bad = |field: &str, why: String| {
            ReportError::Invalid(format!(
                "{}: day {} (`{}`): {field}: {why}",
                path.display(),
                i + 1,
                d.name
            ))
        };
        let date = |s: &str, field: &str| {
            s.parse::<Date>()
                .map_err(|_| bad(field, format!("`{s}` is not a date like 2026-10-01")))
        };
        let first = date(&d.date, "date")?;
        let last =
            d.to.as_deref()
                .map(|t| date(t, "to"))
                .transpose()?
                .unwrap_or(first);
        if last < first {
            return Err(bad("to", format!("{last} is before {first}")));
        }
        if let Some(l) = d.like.as_deref() {
            if forecast::parse_weekday(l).is_none() {
                return Err(bad(
                    "like",
                    format!("`{l}` is not a weekday (monday .. sunday)"),
                ));
            }
        }
        let factor = d.factor.unwrap_or(1.0);
        if !factor.is_finite() || factor < 0.0 {
            return Err(bad(
                "factor",
                format!("{factor} is not a multiplier of at least 0"),
            ));
        }
        let mut day = first;
        while day <= last {
            out.insert(
                day,
                Special {
                    name: d.name.clone(),
                    like: d.like.clone(),
                    factor,
                },
            );
            day = day.tomorrow().map_err(|e| bad("to", e.to_string()))?;
        }
    }
    Ok(out)
}

/// The `--interval` names: minutes an interval.
pub fn interval_minutes(name: &str) -> Result<u32, ReportError> {
    match name {
        "15min" => Ok(15),
        "30min" => Ok(30),
        "hour" | "60min" => Ok(60),
        other => Err(ReportError::Invalid(format!(
            "interval `{other}` is not 15min, 30min or hour"
        ))),
    }
}

fn bucket_name(minutes: u32) -> &'static str {
    match minutes {
        15 => "15min",
        30 => "30min",
        _ => "hour",
    }
}

/// The queue's intervals over a range, each with what patience needs (the waits of its agent
/// requests and its abandons).
struct History {
    observed: Vec<Observed>,
    waits: Vec<(Date, f64, f64)>,
}

impl History {
    /// The first day before `before` with any call (the history's beginning).
    fn first_before(&self, before: Date) -> Option<Date> {
        self.observed
            .iter()
            .map(|o| o.date)
            .filter(|d| *d < before)
            .min()
    }

    /// Callers' mean patience over `[from, to)`: their waits over their abandons (`None`
    /// without an abandon).
    fn patience(&self, (from, to): (Date, Date)) -> Option<f64> {
        let (waited, abandoned) = self
            .waits
            .iter()
            .filter(|(d, _, _)| *d >= from && *d < to)
            .fold((0.0, 0.0), |(w, a), (_, dw, da)| (w + dw, a + da));
        (abandoned > 0.0 && waited > 0.0).then(|| waited / abandoned)
    }
}

fn history(
    store: &DuckDbStore,
    catalog: &Catalog,
    tenant: &TenantId,
    queue: &str,
    minutes: u32,
    range: (Date, Date),
    scope: &[Filter],
) -> Result<History, ReportError> {
    let rows = by_interval(
        store,
        catalog,
        (tenant, queue, scope),
        "agent_requests,handled,aht,avg_wait,abandoned",
        minutes,
        range,
    )?;
    let mut out = History {
        observed: Vec::new(),
        waits: Vec::new(),
    };
    for (date, slot, row) in rows {
        let calls = row.values[0].unwrap_or(0.0);
        if calls <= 0.0 && row.values[1].unwrap_or(0.0) <= 0.0 {
            continue;
        }
        out.observed.push(Observed {
            date,
            slot,
            calls,
            handled: row.values[1].unwrap_or(0.0),
            aht_s: row.values[2],
        });
        out.waits.push((
            date,
            row.numerators[3].unwrap_or(0.0),
            row.values[4].unwrap_or(0.0),
        ));
    }
    Ok(out)
}

/// `metrics` of one queue (within the caller's scope) per interval of `[from, to)`: each
/// row with its date and its interval's index in the day.
fn by_interval(
    store: &DuckDbStore,
    catalog: &Catalog,
    (tenant, queue, scope): (&TenantId, &str, &[Filter]),
    metrics: &str,
    minutes: u32,
    (from, to): (Date, Date),
) -> Result<Vec<(Date, usize, ccpulse_metrics::KpiRow)>, ReportError> {
    let filters = [format!("queue={queue}")];
    let (f, t) = (from.to_string(), to.to_string());
    let mut q = KpiQuery::parse(
        tenant.clone(),
        &KpiText {
            metrics,
            by: Some(bucket_name(minutes)),
            from: Some(&f),
            to: Some(&t),
            filters: &filters,
        },
    )
    .map_err(ccpulse_store::StoreError::from)?;
    q.filters.extend(scope.iter().cloned());
    Ok(store
        .ask(catalog, &q)?
        .rows
        .into_iter()
        .filter_map(|row| {
            let at = row
                .keys
                .first()
                .and_then(ccpulse_metrics::KeyValue::text)?
                .parse::<jiff::civil::DateTime>()
                .ok()?;
            let minute = u32::try_from(i32::from(at.hour()) * 60 + i32::from(at.minute())).ok()?;
            Some((at.date(), (minute / minutes) as usize, row))
        })
        .collect())
}

/// Agents logged in to the queue on average in each interval of `range` (one day).
fn logged_in(
    store: &DuckDbStore,
    catalog: &Catalog,
    who: (&TenantId, &str, &[Filter]),
    minutes: u32,
    range: (Date, Date),
    slots: usize,
) -> Result<Vec<Option<f64>>, ReportError> {
    let mut out = vec![None; slots];
    for (_, slot, row) in by_interval(store, catalog, who, "agents_logged_in_avg", minutes, range)?
    {
        if let (Some(o), Some(v)) = (out.get_mut(slot), row.values[0]) {
            *o = Some(v);
        }
    }
    Ok(out)
}

/// The interval's start as `HH:MM`.
fn start_of(slot: usize, minutes: u32) -> String {
    let m = u32::try_from(slot).unwrap_or(0) * minutes;
    format!("{:02}:{:02}", m / 60, m % 60)
}

/// What a forecast is asked.
#[derive(Debug, Clone)]
pub struct ForecastAsk {
    pub queue: String,
    pub from: Date,
    pub days: u32,
    pub interval_min: u32,
    /// Weeks of history fitted (8).
    pub weeks: u32,
}

/// A forecast and how good it was on the last 4 weeks.
#[derive(Debug, Clone)]
pub struct ForecastView {
    pub tenant: TenantId,
    pub ask: ForecastAsk,
    pub intervals: Vec<Predicted>,
    pub accuracy: Option<Accuracy>,
    pub special: Vec<(Date, Special)>,
}

/// The queue's forecast of `ask.days` days from `ask.from`.
pub fn forecast_view(
    store: &DuckDbStore,
    catalog: &Catalog,
    data_dir: &Path,
    tenant: &TenantId,
    ask: &ForecastAsk,
    scope: &[Filter],
) -> Result<ForecastView, ReportError> {
    let cal = calendar(data_dir, tenant)?;
    let h = history(
        store,
        catalog,
        tenant,
        &ask.queue,
        ask.interval_min,
        (history_start(ask.from, ask.weeks)?, ask.from),
        scope,
    )?;
    forecast_from(&h, &cal, tenant, ask)
}

/// The first day a forecast from `from` reads: `weeks` weeks to fit, 4 more to backtest.
fn history_start(from: Date, weeks: u32) -> Result<Date, ReportError> {
    from.checked_sub((i64::from(weeks + 4) * 7).days())
        .map_err(|e| ReportError::Invalid(e.to_string()))
}

/// The forecast of `ask` from the queue's history `h` (rows from `ask.from` on are not used).
fn forecast_from(
    h: &History,
    cal: &Calendar,
    tenant: &TenantId,
    ask: &ForecastAsk,
) -> Result<ForecastView, ReportError> {
    let slots = (24 * 60 / ask.interval_min) as usize;
    let first = h.first_before(ask.from).ok_or_else(|| {
        ReportError::Invalid(format!(
            "queue `{}` of `{tenant}` had no calls in the {} weeks before {}: nothing to forecast from",
            ask.queue,
            ask.weeks + 4,
            ask.from
        ))
    })?;
    let intervals = forecast::forecast(
        &h.observed,
        cal,
        slots,
        first,
        ask.from,
        ask.days,
        ask.weeks,
    )
    .ok_or_else(|| {
        ReportError::Invalid(format!(
            "queue `{}` has calls only since {first}: a forecast needs a week of history before {}",
            ask.queue, ask.from
        ))
    })?;
    let accuracy = forecast::backtest(&h.observed, cal, slots, first, ask.from, ask.weeks);
    let end = ask
        .from
        .checked_add(i64::from(ask.days).days())
        .unwrap_or(ask.from);
    let special = cal
        .range(ask.from..end)
        .map(|(d, s)| (*d, s.clone()))
        .collect();
    Ok(ForecastView {
        tenant: tenant.clone(),
        ask: ask.clone(),
        intervals,
        accuracy,
        special,
    })
}

fn accuracy_json(a: Option<&Accuracy>) -> Value {
    a.map_or(Value::Null, |a| json!(a))
}

impl ForecastView {
    /// Each day's forecast calls.
    pub fn daily(&self) -> Vec<(Date, f64)> {
        let mut out: Vec<(Date, f64)> = Vec::new();
        for p in &self.intervals {
            match out.last_mut() {
                Some((d, v)) if *d == p.date => *v += p.calls,
                _ => out.push((p.date, p.calls)),
            }
        }
        out
    }

    pub fn to_json(&self) -> Value {
        json!({
            "tenant": self.tenant.as_str(),
            "queue": self.ask.queue,
            "from": self.ask.from.to_string(),
            "days": self.ask.days,
            "interval_min": self.ask.interval_min,
            "weeks": self.ask.weeks,
            "backtest": accuracy_json(self.accuracy.as_ref()),
            "special_days": self.special.iter().map(|(d, s)| json!({"date": d.to_string(), "name": s.name, "like": s.like, "factor": s.factor})).collect::<Vec<_>>(),
            "daily": self.daily().iter().map(|(d, v)| json!({"date": d.to_string(), "calls": v})).collect::<Vec<_>>(),
            "intervals": self.intervals.iter().map(|p| json!({
                "date": p.date.to_string(),
                "start": start_of(p.slot, self.ask.interval_min),
                "calls": p.calls,
                "aht_s": p.aht_s,
            })).collect::<Vec<_>>(),
        })
    }

    /// One line per interval: date, start, calls, aht_s.
    pub fn to_csv(&self) -> Result<String, ReportError> {
        let mut w = csv::Writer::from_writer(Vec::new());
        let io = |e: csv::Error| ReportError::Io(e.to_string());
        w.write_record(["date", "start", "calls", "aht_s"])
            .map_err(io)?;
        for p in &self.intervals {
            w.write_record([
                p.date.to_string(),
                start_of(p.slot, self.ask.interval_min),
                format!("{:.3}", p.calls),
                p.aht_s.map(|a| format!("{a:.1}")).unwrap_or_default(),
            ])
            .map_err(io)?;
        }
        String::from_utf8(w.into_inner().map_err(|e| ReportError::Io(e.to_string()))?)
            .map_err(|e| ReportError::Io(e.to_string()))
    }
}

/// Callers' patience for the plan.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Patience {
    /// Erlang C: nobody hangs up.
    None,
    /// Erlang A with the queue's own patience: its agent requests' waits over its abandons.
    Auto,
    /// Erlang A with this mean, seconds.
    Seconds(f64),
}

/// What a plan is asked.
#[derive(Debug, Clone)]
pub struct PlanAsk {
    pub queue: String,
    pub date: Date,
    pub interval_min: u32,
    pub weeks: u32,
    pub target_sl: f64,
    pub threshold_s: f64,
    pub patience: Patience,
    pub shrinkage: f64,
    pub max_occupancy: f64,
}

/// A day's plan.
#[derive(Debug, Clone)]
pub struct PlanView {
    pub tenant: TenantId,
    pub ask: PlanAsk,
    /// The patience used (Erlang A), seconds; `None` for Erlang C.
    pub patience_s: Option<f64>,
    /// Why the model is what it is (`auto` without abandons falls back to Erlang C).
    pub model_note: String,
    pub intervals: Vec<Interval>,
    /// What came in each interval of the day, when the day has begun.
    pub actual: Vec<Option<f64>>,
    /// Agents logged in to the queue on average in each interval (`agents_logged_in_avg`),
    /// where agent states were recorded.
    pub logged_in: Vec<Option<f64>>,
    pub accuracy: Option<Accuracy>,
    pub special: Option<Special>,
}

/// Checks a plan's numbers, naming the first that cannot be.
pub fn check_plan(ask: &PlanAsk) -> Result<(), ReportError> {
    let bad = |what: &str| Err(ReportError::Invalid(what.to_owned()));
    if !(ask.target_sl > 0.0 && ask.target_sl < 1.0) {
        return bad("target_sl must be a fraction between 0 and 1 (0.8 = 80 %)");
    }
    if !(ask.threshold_s >= 0.0 && ask.threshold_s.is_finite()) {
        return bad("threshold must be seconds of at least 0");
    }
    if !(0.0..0.95).contains(&ask.shrinkage) {
        return bad(
            "shrinkage must be a fraction from 0 to 0.95 (0.3 = 30 % of paid time off the phones)",
        );
    }
    if !(ask.max_occupancy > 0.0 && ask.max_occupancy <= 1.0) {
        return bad("max_occupancy must be a fraction above 0 and at most 1");
    }
    if let Patience::Seconds(p) = ask.patience {
        if !(p > 0.0 && p.is_finite()) {
            return bad("patience must be seconds above 0, or auto");
        }
    }
    Ok(())
}

/// The plan of `ask.date` for the queue.
pub fn plan_view(
    store: &DuckDbStore,
    catalog: &Catalog,
    data_dir: &Path,
    tenant: &TenantId,
    ask: &PlanAsk,
    scope: &[Filter],
) -> Result<PlanView, ReportError> {
    check_plan(ask)?;
    let cal = calendar(data_dir, tenant)?;
    let next = ask.date.tomorrow().unwrap_or(ask.date);
    // One read of the queue's intervals serves the forecast (the weeks before), the callers'
    // patience and what has come so far on the day itself.
    let h = history(
        store,
        catalog,
        tenant,
        &ask.queue,
        ask.interval_min,
        (history_start(ask.date, ask.weeks)?, next),
        scope,
    )?;
    let f = forecast_from(
        &h,
        &cal,
        tenant,
        &ForecastAsk {
            queue: ask.queue.clone(),
            from: ask.date,
            days: 1,
            interval_min: ask.interval_min,
            weeks: ask.weeks,
        },
    )?;
    let (patience_s, model_note) = match ask.patience {
        Patience::None => (None, "erlang_c".to_owned()),
        Patience::Seconds(p) => (Some(p), "erlang_a".to_owned()),
        Patience::Auto => {
            let start = ask
                .date
                .checked_sub((i64::from(ask.weeks) * 7).days())
                .unwrap_or(ask.date);
            match h.patience((start, ask.date)) {
                Some(p) => (
                    Some(p),
                    "erlang_a (patience from the queue's abandons)".to_owned(),
                ),
                None => (
                    None,
                    "erlang_c (the queue had no abandons to estimate patience from)".to_owned(),
                ),
            }
        }
    };
    let goal = Goal {
        target_sl: ask.target_sl,
        threshold_s: ask.threshold_s,
        model: patience_s.map_or(Model::C, Model::A),
        shrinkage: ask.shrinkage,
        max_occupancy: ask.max_occupancy,
        interval_min: ask.interval_min,
    };
    let intervals = plan::plan(&f.intervals, &goal);
    // What has come so far on the day itself.
    let mut actual = vec![None; intervals.len()];
    let today: Vec<&Observed> = h.observed.iter().filter(|o| o.date == ask.date).collect();
    if !today.is_empty() {
        actual.iter_mut().for_each(|a| *a = Some(0.0));
        for o in today {
            if let Some(a) = actual.get_mut(o.slot) {
                *a = Some(o.calls);
            }
        }
    }
    let logged_in = logged_in(
        store,
        catalog,
        (tenant, &ask.queue, scope),
        ask.interval_min,
        (ask.date, next),
        intervals.len(),
    )?;
    let special = f.special.first().map(|(_, s)| s.clone());
    Ok(PlanView {
        tenant: tenant.clone(),
        ask: ask.clone(),
        patience_s,
        model_note,
        intervals,
        actual,
        logged_in,
        accuracy: f.accuracy,
        special,
    })
}

impl PlanView {
    /// Agent hours required and scheduled, the peak of required agents, the day's calls.
    pub fn totals(&self) -> (f64, f64, u32, f64) {
        let h = f64::from(self.ask.interval_min) / 60.0;
        let required: f64 = self
            .intervals
            .iter()
            .map(|i| f64::from(i.required_agents) * h)
            .sum();
        let scheduled: f64 = self
            .intervals
            .iter()
            .map(|i| f64::from(i.scheduled_agents) * h)
            .sum();
        let peak = self
            .intervals
            .iter()
            .map(|i| i.required_agents)
            .max()
            .unwrap_or(0);
        let calls = self.intervals.iter().map(|i| i.calls).sum();
        (required, scheduled, peak, calls)
    }

    pub fn to_json(&self) -> Value {
        let (required_h, scheduled_h, peak, calls) = self.totals();
        json!({
            "tenant": self.tenant.as_str(),
            "queue": self.ask.queue,
            "date": self.ask.date.to_string(),
            "interval_min": self.ask.interval_min,
            "target_sl": self.ask.target_sl,
            "threshold_s": self.ask.threshold_s,
            "model": if self.patience_s.is_some() { "erlang_a" } else { "erlang_c" },
            "model_note": self.model_note,
            "patience_s": self.patience_s,
            "shrinkage": self.ask.shrinkage,
            "max_occupancy": self.ask.max_occupancy,
            "special_day": self.special.as_ref().map(|s| json!({"name": s.name, "like": s.like, "factor": s.factor})),
            "backtest": accuracy_json(self.accuracy.as_ref()),
            "totals": {"calls": calls, "required_agent_hours": required_h, "scheduled_agent_hours": scheduled_h, "peak_required_agents": peak},
            "intervals": self.intervals.iter().zip(&self.actual).zip(&self.logged_in).map(|((i, a), li)| json!({
                "start": start_of(i.slot, self.ask.interval_min),
                "calls": i.calls,
                "aht_s": i.aht_s,
                "required_agents": i.required_agents,
                "service_level": i.service_level,
                "asa_s": i.asa_s,
                "abandon_rate": i.abandon_rate,
                "occupancy": i.occupancy,
                "scheduled_agents": i.scheduled_agents,
                "actual_calls": a,
                "logged_in_agents": li,
            })).collect::<Vec<_>>(),
        })
    }

    /// One line per interval: start, calls, aht_s, required_agents, service_level, asa_s,
    /// abandon_rate, occupancy, scheduled_agents, actual_calls.
    pub fn to_csv(&self) -> Result<String, csv::Error> {
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record([
            "start",
            "calls",
            "aht_s",
            "required_agents",
            "service_level",
            "asa_s",
            "abandon_rate",
            "occupancy",
            "scheduled_agents",
            "actual_calls",
            "logged_in_agents",
        ])?;
        let o = |v: Option<f64>| v.map(|x| format!("{x:.4}")).unwrap_or_default();
        for ((i, actual), li) in self.intervals.iter().zip(&self.actual).zip(&self.logged_in) {
            w.write_record([
                start_of(i.slot, self.ask.interval_min),
                format!("{:.3}", i.calls),
                o(i.aht_s),
                i.required_agents.to_string(),
                o(i.service_level),
                o(i.asa_s),
                o(i.abandon_rate),
                o(i.occupancy),
                i.scheduled_agents.to_string(),
                actual.map(|x| format!("{x:.0}")).unwrap_or_default(),
                o(*li),
            ])?;
        }
        let bytes = w
            .into_inner()
            .map_err(|e| csv::Error::from(e.into_error()))?;
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }

    /// The plan as a document: what it aims at, how good the forecast was, the intervals in
    /// a table, calls and agents in charts.
    pub fn document(&self, lang: Lang) -> Document {
        let l = |zh: &str, en: &str| lang.pick(zh, en).to_owned();
        let (required_h, scheduled_h, peak, calls) = self.totals();
        let model = match self.patience_s {
            Some(p) => match lang {
                Lang::Zh => format!("Erlang A(平均耐心 {p:.0} 秒)"),
                Lang::En => format!("Erlang A (mean patience {p:.0} s)"),
            },
            None => "Erlang C".to_owned(),
        };
        let mut paragraphs = vec![match lang {
            Lang::Zh => format!(
                "目标:{:.0}% 的来电在 {:.0} 秒内接通,占用率不超过 {:.0}%,缺勤与非话务时间 {:.0}%;模型 {model}。",
                self.ask.target_sl * 100.0, self.ask.threshold_s, self.ask.max_occupancy * 100.0, self.ask.shrinkage * 100.0
            ),
            Lang::En => format!(
                "Goal: {:.0} % of calls answered within {:.0} s, occupancy at most {:.0} %, shrinkage {:.0} %; model {model}.",
                self.ask.target_sl * 100.0, self.ask.threshold_s, self.ask.max_occupancy * 100.0, self.ask.shrinkage * 100.0
            ),
        }];
        paragraphs.push(match lang {
            Lang::Zh => format!(
                "预测来电 {calls:.0} 通;需求坐席工时 {required_h:.1} 小时,排班工时 {scheduled_h:.1} 小时,峰值需求 {peak} 人。"
            ),
            Lang::En => format!(
                "Forecast calls {calls:.0}; required agent hours {required_h:.1}, scheduled {scheduled_h:.1}; peak {peak} agents required."
            ),
        });
        if let Some(a) = &self.accuracy {
            let pct = |v: Option<f64>| v.map_or("-".to_owned(), |v| format!("{:.1}%", v * 100.0));
            paragraphs.push(match lang {
                Lang::Zh => format!(
                    "预测误差(用之前 {} 周预测最近 {} 天):按时段 MAPE {}、WAPE {};按天 MAPE {}、WAPE {}。",
                    a.weeks, a.days, pct(a.mape_interval), pct(a.wape_interval), pct(a.mape_day), pct(a.wape_day)
                ),
                Lang::En => format!(
                    "Forecast error (the last {} days predicted from the {} weeks before): per interval MAPE {}, WAPE {}; per day MAPE {}, WAPE {}.",
                    a.days, a.weeks, pct(a.mape_interval), pct(a.wape_interval), pct(a.mape_day), pct(a.wape_day)
                ),
            });
        }
        if let Some(s) = &self.special {
            paragraphs.push(match lang {
                Lang::Zh => format!("特殊日:{}(话务量 × {})。", s.name, s.factor),
                Lang::En => format!("Special day: {} (volume × {}).", s.name, s.factor),
            });
        }
        let columns = vec![
            Column::new(l("时段", "Interval"), Fmt::Text),
            Column::new(l("预测来电", "Forecast calls"), Fmt::Dec2),
            Column::new(l("平均处理时长(秒)", "AHT (s)"), Fmt::Dec2),
            Column::new(l("需求坐席", "Required agents"), Fmt::Int),
            Column::new(l("服务水平", "Service level"), Fmt::Percent),
            Column::new(l("平均应答(秒)", "ASA (s)"), Fmt::Dec2),
            Column::new(l("放弃率", "Abandon rate"), Fmt::Percent),
            Column::new(l("占用率", "Occupancy"), Fmt::Percent),
            Column::new(l("排班人数", "Scheduled agents"), Fmt::Int),
            Column::new(l("实际来电", "Actual calls"), Fmt::Int),
            Column::new(l("登录坐席", "Logged-in agents"), Fmt::Dec2),
        ];
        let rows = self
            .intervals
            .iter()
            .zip(&self.actual)
            .zip(&self.logged_in)
            .map(|((i, a), li)| {
                vec![
                    Cell::Text(start_of(i.slot, self.ask.interval_min)),
                    Cell::Num(i.calls),
                    Cell::opt(i.aht_s),
                    Cell::Num(f64::from(i.required_agents)),
                    Cell::opt(i.service_level),
                    Cell::opt(i.asa_s),
                    Cell::opt(i.abandon_rate),
                    Cell::opt(i.occupancy),
                    Cell::Num(f64::from(i.scheduled_agents)),
                    Cell::opt(*a),
                    Cell::opt(*li),
                ]
            })
            .collect();
        let title = match lang {
            Lang::Zh => format!("排班需求 · {} · {}", self.ask.queue, self.ask.date),
            Lang::En => format!("Staffing plan · {} · {}", self.ask.queue, self.ask.date),
        };
        Document {
            title: title.clone(),
            subtitle: self.tenant.to_string(),
            lang: lang.code().to_owned(),
            sections: vec![Section {
                heading: title,
                paragraphs,
                table: Some(Table {
                    columns,
                    rows,
                    total: None,
                }),
                charts: vec![
                    Chart {
                        kind: ChartKind::Line,
                        title: l("预测与实际来电", "Forecast and actual calls"),
                        categories: 0,
                        values: vec![1, 9],
                    },
                    Chart {
                        kind: ChartKind::Line,
                        title: l("需求、排班与登录坐席", "Required, scheduled and logged-in agents"),
                        categories: 0,
                        values: vec![3, 8, 10],
                    },
                ],
                sheet: Some(l("排班", "Staffing")),
            }],
            footer: l(
                "由 ccpulse 生成;预测来自该队列的历史,坐席数由排队模型计算。",
                "Generated by ccpulse; the forecast comes from the queue's history, the agents from the queueing model.",
            ),
        }
    }
}

/// The queue filter of a scope, for checking a queue against it.
pub fn scope_allows_queue(scope: &[Filter], queue: &str) -> bool {
    scope
        .iter()
        .filter(|f| f.dimension == Dimension::Queue)
        .all(|f| f.values.iter().any(|v| v == queue))
}
