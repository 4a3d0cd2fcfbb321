//! Today's figures for the wallboard, by the same catalog queries as `ccpulse kpi` (so the
//! wall and the history never disagree), and the figures alert rules compare.

use ccpulse_live::{Condition, NowFigures, Scope};
use ccpulse_metrics::Catalog;
use ccpulse_store::kpi::{build, json_value, KpiArgs};
use ccpulse_store::{DuckDbStore, KeyValue, KpiResult};
use jiff::civil::DateTime;
use jiff::{SignedDuration, Timestamp};
use serde_json::{json, Map, Value};

/// The wallboard's figures of today: (key on the wall, metric as the catalog writes it).
pub const TODAY_METRICS: &[(&str, &str)] = &[
    ("offered", "offered"),
    ("answered", "answered"),
    ("abandoned", "abandoned"),
    ("answer_rate", "answer_rate"),
    ("service_level", "service_level"),
    ("asa", "asa"),
    ("aht", "aht"),
    ("satisfaction", "satisfaction"),
    ("answered_within_15s", "answered_within[threshold=15]"),
    ("answered_within_30s", "answered_within[threshold=30]"),
    ("longest_wait", "longest_wait"),
];

/// The trend chart's figures per 15 minutes.
const TREND_METRICS: &str = "offered,answered,abandoned,service_level";

/// The local day of `now` in the tenant's zone: `[from, to)` as local times.
pub fn local_day(store: &DuckDbStore, tenant: &str, now: Timestamp) -> (DateTime, DateTime) {
    let tz = tenant_tz(store, tenant);
    let date = now.to_zoned(tz).date();
    let from = date.to_datetime(jiff::civil::Time::midnight());
    let to = date
        .tomorrow()
        .unwrap_or(date)
        .to_datetime(jiff::civil::Time::midnight());
    (from, to)
}

/// The tenant's zone; a tenant not stored yet has the default zone.
fn tenant_tz(store: &DuckDbStore, tenant: &str) -> jiff::tz::TimeZone {
    store.tenant(tenant).map_or_else(
        || {
            jiff::tz::TimeZone::get(ccpulse_model::DEFAULT_TIMEZONE)
                .unwrap_or(jiff::tz::TimeZone::UTC)
        },
        |t| t.tz.clone(),
    )
}

fn run(
    store: &DuckDbStore,
    catalog: &Catalog,
    tenant: &str,
    metrics: &str,
    by: Option<&str>,
    (from, to): (DateTime, DateTime),
    filters: &[String],
) -> ccpulse_store::Result<(ccpulse_metrics::CompiledQuery, KpiResult)> {
    let from = from.to_string();
    let to = to.to_string();
    let q = build(
        store,
        catalog,
        &KpiArgs {
            tenant,
            metrics,
            by,
            from: Some(&from),
            to: Some(&to),
            filters,
        },
    )?;
    let r = store.run_kpi(&q, false)?;
    Ok((q, r))
}

fn key_text(k: &KeyValue) -> String {
    match k {
        KeyValue::Text(s) => s.clone(),
        KeyValue::Int(i) => i.to_string(),
        KeyValue::Null => String::new(),
    }
}

/// Today's figures of a tenant: `date`, `scopes` (`all`, `queue:Q`, `channel:C`, each with
/// the figures of [`TODAY_METRICS`] and their `scores` by the KPI standards), `agents`
/// (handled and AHT per agent), `trend` (per 15 minutes) and `standards`.
pub fn today(
    store: &DuckDbStore,
    catalog: &Catalog,
    tenant: &str,
    now: Timestamp,
) -> ccpulse_store::Result<Value> {
    let (from, to) = local_day(store, tenant, now);
    let metrics: Vec<&str> = TODAY_METRICS.iter().map(|(_, m)| *m).collect();
    let metrics = metrics.join(",");
    // The tenant's own KPI standards (standards.toml) colour the tiles, else seed 002's.
    let own = ccpulse_report::scorecard::Standards::load(catalog, store.dir(), tenant)
        .map_err(|e| ccpulse_store::StoreError::Invalid(e.to_string()))?;
    let figures = |q: &ccpulse_metrics::CompiledQuery, values: &[Option<f64>]| {
        let mut m = Map::new();
        let mut scores = Map::new();
        for ((key, _), (cm, v)) in TODAY_METRICS.iter().zip(q.metrics.iter().zip(values)) {
            m.insert((*key).to_owned(), json_value(*v, cm.unit));
            if let Some(p) = own.score(&cm.name, *v) {
                scores.insert((*key).to_owned(), json!(p));
            }
        }
        m.insert("scores".into(), Value::Object(scores));
        Value::Object(m)
    };
    let mut scopes = Map::new();
    let (q, r) = run(store, catalog, tenant, &metrics, None, (from, to), &[])?;
    let empty = vec![None; q.metrics.len()];
    let all = r.rows.first().map_or(&empty, |row| &row.values);
    scopes.insert("all".into(), figures(&q, all));
    for dim in ["queue", "channel"] {
        let (q, r) = run(store, catalog, tenant, &metrics, Some(dim), (from, to), &[])?;
        for row in &r.rows {
            // Contacts with no queue (finished in the IVR) are in `all`, not a tile of their own.
            match row.keys.first() {
                None | Some(KeyValue::Null) => {}
                Some(k) => {
                    scopes.insert(format!("{dim}:{}", key_text(k)), figures(&q, &row.values));
                }
            }
        }
    }
    let (_, r) = run(
        store,
        catalog,
        tenant,
        "answered,aht",
        Some("agent"),
        (from, to),
        &[],
    )?;
    let mut agents = Map::new();
    for row in &r.rows {
        if let Some(KeyValue::Text(a)) = row.keys.first() {
            agents.insert(
                a.clone(),
                json!({"handled": json_value(row.values[0], ccpulse_metrics::Unit::Count),
                       "aht": row.values[1]}),
            );
        }
    }
    // Every slot of the day so far, empty ones included, so the chart's axis is the day's.
    let tz = tenant_tz(store, tenant);
    let local_now = now.to_zoned(tz).datetime();
    let slot_end = local_now
        .with()
        .minute(local_now.minute() / 15 * 15)
        .second(0)
        .subsec_nanosecond(0)
        .build()
        .ok()
        .and_then(|s| s.checked_add(SignedDuration::from_mins(15)).ok())
        .map_or(to, |s| s.min(to));
    let (from_text, end_text) = (from.to_string(), slot_end.to_string());
    let q = build(
        store,
        catalog,
        &KpiArgs {
            tenant,
            metrics: TREND_METRICS,
            by: Some("15min"),
            from: Some(&from_text),
            to: Some(&end_text),
            filters: &[],
        },
    )?;
    let r = store.run_kpi(&q, true)?;
    let trend: Vec<Value> = r
        .rows
        .iter()
        .map(|row| {
            let mut m = Map::new();
            m.insert("slot".into(), json!(row.keys.first().map(key_text)));
            for (cm, v) in q.metrics.iter().zip(&row.values) {
                m.insert(cm.written.clone(), json_value(*v, cm.unit));
            }
            Value::Object(m)
        })
        .collect();
    let mut standards = Map::new();
    for (key, written) in TODAY_METRICS {
        let name = written.split('[').next().unwrap_or(written);
        if let Some((def, own)) = catalog
            .get(name)
            .zip(own.bands.get(name))
            .filter(|(_, b)| !b.is_empty())
        {
            let bands: Vec<Value> = own
                .iter()
                .map(|b| json!({"points": b.points, "when": b.describe()}))
                .collect();
            standards.insert(
                (*key).to_owned(),
                json!({"direction": def.direction.as_str(), "bands": bands}),
            );
        }
    }
    let mut labels = Map::new();
    for (key, written) in TODAY_METRICS {
        let name = written.split('[').next().unwrap_or(written);
        if let Some(def) = catalog.get(name) {
            labels.insert(
                (*key).to_owned(),
                json!({"zh-CN": def.zh, "en": def.en, "unit": def.unit.as_str()}),
            );
        }
    }
    Ok(json!({
        "date": from.date().to_string(),
        "scopes": scopes,
        "agents": agents,
        "trend": trend,
        "standards": standards,
        "labels": labels,
    }))
}

/// The figure of now an alert condition compares (`None` when it names none): 0 when the
/// scope has nothing now.
pub fn now_figure(figures: &NowFigures, scope: &Scope, c: &Condition) -> Option<f64> {
    let zero = ccpulse_live::Now::default().figure(&c.metric)?;
    Some(
        figures
            .scopes
            .get(scope)
            .and_then(|n| n.figure(&c.metric))
            .unwrap_or(zero),
    )
}

/// The KPI an alert condition that is no figure of now compares: over the rule's window (or
/// today) within the rule's scope.
pub fn figure(
    store: &DuckDbStore,
    catalog: &Catalog,
    tenant: &str,
    scope: &Scope,
    c: &Condition,
    now: Timestamp,
) -> Option<f64> {
    let (day_from, to) = local_day(store, tenant, now);
    let from = match c.window_minutes {
        Some(m) => {
            let tz = tenant_tz(store, tenant);
            let start = now
                .checked_sub(SignedDuration::from_secs(i64::from(m) * 60))
                .ok()?;
            start.to_zoned(tz).datetime()
        }
        None => day_from,
    };
    let filters = scope_filters(scope);
    match run(
        store,
        catalog,
        tenant,
        &c.metric,
        None,
        (from, to),
        &filters,
    ) {
        Ok((_, r)) => r
            .rows
            .first()
            .and_then(|row| row.values.first().copied().flatten()),
        Err(e) => {
            tracing::warn!(error = %e, metric = %c.metric, "alert figure");
            None
        }
    }
}

/// The KPI filters of an alert scope.
fn scope_filters(scope: &Scope) -> Vec<String> {
    match scope {
        Scope::All => Vec::new(),
        Scope::Queue(q) => vec![format!("queue={q}")],
        Scope::Channel(ch) => vec![format!("channel={ch}")],
    }
}

/// Why `rule` cannot be evaluated for `tenant`, if it cannot: each condition must be a figure
/// of now or a KPI the catalog compiles (with the rule's scope as its filter).
pub fn check_rule(
    store: &DuckDbStore,
    catalog: &Catalog,
    tenant: &str,
    rule: &ccpulse_live::Rule,
) -> Result<(), String> {
    let (from, to) = local_day(store, tenant, Timestamp::now());
    let (from, to) = (from.to_string(), to.to_string());
    let filters = scope_filters(&rule.scope);
    for c in rule.conditions().filter(|c| !c.is_now()) {
        build(
            store,
            catalog,
            &KpiArgs {
                tenant,
                metrics: &c.metric,
                by: None,
                from: Some(&from),
                to: Some(&to),
                filters: &filters,
            },
        )
        .map_err(|e| {
            let window = if c.window_minutes.is_some() {
                " (over a window, a KPI of the catalog)"
            } else {
                ""
            };
            format!(
                "`{}` is neither a figure of now ({}) nor a KPI{window}: {e}",
                c.metric,
                ccpulse_live::Now::FIGURES.join(", ")
            )
        })?;
    }
    Ok(())
}
