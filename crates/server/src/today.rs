//! Today's figures for the wallboard, by the same catalog queries as `ccpulse kpi` (so the
//! wall and the history never disagree), and the figures alert rules compare.

use ccpulse_live::{Condition, NowFigures, Scope};
use ccpulse_metrics::{
    json_value, Bucket, ByItem, Catalog, Dimension, Filter, KeyValue, KpiQuery, KpiResult,
};
use ccpulse_model::TenantId;
use ccpulse_store::DuckDbStore;
use jiff::civil::DateTime;
use jiff::{SignedDuration, Timestamp};
use serde_json::{json, Map, Value};

/// The wallboard's figures of today: (key on the wall, metric as the catalog writes it).
pub const TODAY_METRICS: &[(&str, &str)] = &[
    ("offered", "offered"),
    ("answered", "answered"),
    ("abandoned", "abandoned"),
    ("self_service", "self_service"),
    ("other_inbound", "other_inbound"),
    ("outbound", "outbound"),
    ("outbound_connected", "outbound_connected"),
    ("outbound_connect_rate", "outbound_connect_rate"),
    ("avg_talk", "avg_talk"),
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
const TREND_METRICS: &[&str] = &["offered", "answered", "abandoned", "service_level"];

/// The local day of `now` in the tenant's zone: `[from, to)` as local times.
pub fn local_day(store: &DuckDbStore, tenant: &TenantId, now: Timestamp) -> (DateTime, DateTime) {
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
fn tenant_tz(store: &DuckDbStore, tenant: &TenantId) -> jiff::tz::TimeZone {
    store.tenant(tenant.as_str()).map_or_else(
        || {
            jiff::tz::TimeZone::get(ccpulse_model::DEFAULT_TIMEZONE)
                .unwrap_or(jiff::tz::TimeZone::UTC)
        },
        |t| t.tz.clone(),
    )
}

/// The question of `metrics` of `tenant` over `[from, to)`.
fn question(
    tenant: &TenantId,
    metrics: &[&str],
    (from, to): (DateTime, DateTime),
) -> ccpulse_store::Result<KpiQuery> {
    Ok(KpiQuery::of(tenant.clone(), metrics)?.between(from, to))
}

/// Today's figures of a tenant: `date`, `scopes` (`all`, `queue:Q`, `channel:C`, each with
/// the figures of [`TODAY_METRICS`] and their `scores` by the KPI standards), `agents`
/// (handled and AHT per agent), `trend` (per 15 minutes) and `standards`.
pub fn today(
    store: &DuckDbStore,
    catalog: &Catalog,
    tenant: &TenantId,
    now: Timestamp,
) -> ccpulse_store::Result<Value> {
    let (from, to) = local_day(store, tenant, now);
    let metrics: Vec<&str> = TODAY_METRICS.iter().map(|(_, m)| *m).collect();
    let day = question(tenant, &metrics, (from, to))?;
    // The tenant's own KPI standards (standards.toml) colour the tiles, else seed 002's.
    let own = store.standards(catalog, &day.tenant)?;
    let figures = |r: &KpiResult, values: &[Option<f64>]| {
        let q = &r.query;
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
    let r = store.ask(catalog, &day)?;
    scopes.insert("all".into(), figures(&r, &r.first_values()));
    for dim in [Dimension::Queue, Dimension::Channel] {
        let r = store.ask(catalog, &day.clone().by([ByItem::Dimension(dim)]))?;
        for row in &r.rows {
            // Contacts with no queue (finished in the IVR) are in `all`, not a tile of their own.
            match row.keys.first() {
                None | Some(KeyValue::Null) => {}
                Some(k) => {
                    let scope = format!("{}:{}", dim.name(), k.text().unwrap_or_default());
                    scopes.insert(scope, figures(&r, &row.values));
                }
            }
        }
    }
    // Handled and AHT over the same contacts: those the agent answered, either direction.
    let by_agent = question(tenant, &["handled", "aht"], (from, to))?
        .by([ByItem::Dimension(Dimension::Agent)]);
    let r = store.ask(catalog, &by_agent)?;
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
    let trend_q = question(tenant, TREND_METRICS, (from, slot_end))?
        .by([ByItem::Bucket(Bucket::Min15)])
        .filled();
    let r = store.ask(catalog, &trend_q)?;
    let trend: Vec<Value> = r
        .rows
        .iter()
        .map(|row| {
            let mut m = Map::new();
            m.insert(
                "slot".into(),
                json!(row.keys.first().map(|k| k.text().unwrap_or_default())),
            );
            for (cm, v) in r.query.metrics.iter().zip(&row.values) {
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
    // A scope with nothing on the floor counts 0; a staffing figure without a plan is none.
    figures
        .scopes
        .get(scope)
        .and_then(|n| n.figure(&c.metric))
        .or_else(|| ccpulse_live::Now::default().figure(&c.metric))
}

/// The KPI an alert condition that is no figure of now compares: over the rule's window (or
/// today) within the rule's scope.
pub fn figure(
    store: &DuckDbStore,
    catalog: &Catalog,
    tenant: &TenantId,
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
    let asked = question(tenant, &[&c.metric], (from, to)).and_then(|mut q| {
        q.filters = scope_filters(scope);
        store.ask(catalog, &q)
    });
    match asked {
        Ok(r) => r
            .rows
            .first()
            .and_then(|row| row.values.first().copied().flatten()),
        Err(e) => {
            tracing::warn!(error = %e, metric = %c.metric, "alert figure");
            None
        }
    }
}

/// The KPI filters of an alert scope (`for queue vip,general` judges both queues together).
fn scope_filters(scope: &Scope) -> Vec<Filter> {
    match scope {
        Scope::All => Vec::new(),
        Scope::Queue(q) => vec![Filter::listed(Dimension::Queue, q)],
        Scope::Channel(ch) => vec![Filter::listed(Dimension::Channel, ch)],
    }
}

/// Why `rule` cannot be evaluated for `tenant`, if it cannot: each condition must be a figure
/// of now or a KPI the catalog compiles (with the rule's scope as its filter).
pub fn check_rule(
    store: &DuckDbStore,
    catalog: &Catalog,
    tenant: &TenantId,
    rule: &ccpulse_live::Rule,
) -> Result<(), String> {
    let day = local_day(store, tenant, Timestamp::now());
    for c in rule.conditions().filter(|c| !c.is_now()) {
        question(tenant, &[&c.metric], day)
            .and_then(|mut q| {
                q.filters = scope_filters(&rule.scope);
                store.compile(catalog, &q)
            })
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

#[cfg(test)]
mod tests {
    use ccpulse_live::Rule;
    use ccpulse_store::StoreConfig;

    use super::*;

    fn tenant() -> TenantId {
        TenantId::new("hotline").expect("tenant")
    }

    /// 2026-11-23 10:00 in Shanghai.
    fn now() -> Timestamp {
        "2026-11-23T02:00:00Z".parse().expect("time")
    }

    /// A store with four calls of today (two queues, one abandoned, one answered late) and
    /// one of yesterday.
    fn store(dir: &std::path::Path) -> DuckDbStore {
        let mut store = DuckDbStore::open(dir, &StoreConfig::default()).expect("store");
        let lines = [
            r#"{"id":"a","tenant":"hotline","channel":"voice","direction":"inbound","queue":"vip","agent":"1001","queued_at":"2026-11-23T09:00:00+08:00","answered_at":"2026-11-23T09:00:10+08:00","ended_at":"2026-11-23T09:05:10+08:00","outcome":"answered"}"#,
            r#"{"id":"b","tenant":"hotline","channel":"voice","direction":"inbound","queue":"vip","agent":"1002","queued_at":"2026-11-23T09:10:00+08:00","answered_at":"2026-11-23T09:10:50+08:00","ended_at":"2026-11-23T09:12:50+08:00","outcome":"answered"}"#,
            r#"{"id":"c","tenant":"hotline","channel":"voice","direction":"inbound","queue":"general","queued_at":"2026-11-23T09:20:00+08:00","ended_at":"2026-11-23T09:21:00+08:00","outcome":"abandoned"}"#,
            r#"{"id":"d","tenant":"hotline","channel":"chat","direction":"inbound","queue":"general","agent":"1001","queued_at":"2026-11-23T09:30:00+08:00","answered_at":"2026-11-23T09:30:05+08:00","ended_at":"2026-11-23T09:40:05+08:00","outcome":"answered"}"#,
            r#"{"id":"y","tenant":"hotline","channel":"voice","direction":"inbound","queue":"vip","agent":"1001","queued_at":"2026-11-22T09:00:00+08:00","answered_at":"2026-11-22T09:00:10+08:00","ended_at":"2026-11-22T09:05:10+08:00","outcome":"answered"}"#,
        ];
        store
            .ensure_tenant(&TenantId::new("hotline").expect("tenant"))
            .expect("tenant");
        let mut batch = store.begin_contacts().expect("batch");
        for (n, l) in lines.iter().enumerate() {
            let p = ccpulse_ingest::parse_contact_line(l.as_bytes(), n as u64 + 1, None)
                .expect("contact");
            batch.append(&p.contact, p.fingerprint).expect("append");
        }
        batch.commit().expect("commit");
        store
    }

    #[test]
    fn todays_figures_are_the_catalogs_answers_for_the_local_day() {
        let dir = tempfile::tempdir().expect("dir");
        let store = store(dir.path());
        let catalog = store.catalog().expect("catalog");
        let t = today(&store, &catalog, &tenant(), now()).expect("today");
        assert_eq!(t["date"], "2026-11-23");
        let all = &t["scopes"]["all"];
        // By hand: 4 offered today (yesterday's call is not), 3 answered, 1 abandoned.
        assert_eq!(all["offered"], 4);
        assert_eq!(all["answered"], 3);
        assert_eq!(all["abandoned"], 1);
        // Answered within 15 s: a (10 s) and d (5 s) of the 3 answered.
        let within = all["answered_within_15s"].as_f64().expect("a ratio");
        assert!((within - 2.0 / 3.0).abs() < 1e-12, "{within}");
        assert_eq!(t["scopes"]["queue:vip"]["offered"], 2);
        assert_eq!(t["scopes"]["queue:general"]["abandoned"], 1);
        assert_eq!(t["scopes"]["channel:chat"]["answered"], 1);
        assert_eq!(t["agents"]["1001"]["handled"], 2);
        // The same question asked through the store directly.
        let day = question(
            &tenant(),
            &["service_level", "aht"],
            local_day(&store, &tenant(), now()),
        )
        .expect("question");
        let r = store.ask(&catalog, &day).expect("ask");
        assert_eq!(
            all["service_level"],
            json_value(r.first_values()[0], ccpulse_metrics::Unit::Ratio)
        );
        assert_eq!(
            all["aht"],
            json_value(r.first_values()[1], ccpulse_metrics::Unit::Seconds)
        );
        // The trend runs over every 15 minutes up to now's slot: 00:00 to 10:15 is 41 slots.
        let trend = t["trend"].as_array().expect("trend");
        assert_eq!(trend.len(), 41);
        assert_eq!(trend[36]["slot"], "2026-11-23T09:00");
        assert_eq!(
            trend[36]["offered"], 2,
            "a and b queued between 09:00 and 09:15"
        );
        assert!(t["standards"]["answer_rate"]["bands"].is_array());
    }

    #[test]
    fn an_alert_figure_is_the_kpi_over_its_window_and_scope() {
        let dir = tempfile::tempdir().expect("dir");
        let store = store(dir.path());
        let catalog = store.catalog().expect("catalog");
        let rule = Rule::parse("abandoned > 0 for queue general", None).expect("rule");
        let c = rule.conditions().next().expect("condition").clone();
        assert_eq!(
            figure(&store, &catalog, &tenant(), &rule.scope, &c, now()),
            Some(1.0)
        );
        let vip = Scope::Queue("vip".into());
        assert_eq!(
            figure(&store, &catalog, &tenant(), &vip, &c, now()),
            Some(0.0)
        );
        // Over the last 30 minutes (09:30-10:00) nothing was abandoned.
        let windowed = Rule::parse("abandoned > 0 over 30m", None).expect("rule");
        let c = windowed.conditions().next().expect("condition").clone();
        assert_eq!(
            figure(&store, &catalog, &tenant(), &Scope::All, &c, now()),
            Some(0.0)
        );
        assert!(check_rule(&store, &catalog, &tenant(), &rule).is_ok());
        let bad = Rule::parse("colour > 1", None).expect("parses");
        let why = check_rule(&store, &catalog, &tenant(), &bad).expect_err("no such figure");
        assert!(why.contains("neither a figure of now"), "{why}");
    }
}
