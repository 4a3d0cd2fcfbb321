//! Running compiled KPI queries.

use std::cmp::Ordering;
use std::collections::BTreeSet;

use ::duckdb::params;
use ::duckdb::types::Value;
use ccpulse_metrics::query::parse_local_time;
use ccpulse_metrics::{
    compile, ByItem, Catalog, CompiledQuery, Dialect, Filter, KpiQuery, MetricSpec, OutputKind,
    Table, Unit, AGENT_SLOTS_COLUMNS,
};
use ccpulse_model::{days_since_epoch, naive_micros, LocalParts};
use jiff::civil::DateTime;
use jiff::{SignedDuration, Timestamp};

use crate::sources::{naive_ts, ts};
use crate::{DuckDbStore, Result, StoreError};

/// Agent-state queries cut intervals into slots of this many seconds.
const SLOT_SECONDS: i64 = 900;

/// A key of a result row: a bucket label, a text dimension value, an integer dimension value,
/// or null (a dimension the contact did not have).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(untagged)]
pub enum KeyValue {
    Int(i64),
    Text(String),
    Null,
}

impl KeyValue {
    fn sort_cmp(&self, other: &Self) -> Ordering {
        match (self, other) {
            (KeyValue::Null, KeyValue::Null) => Ordering::Equal,
            (KeyValue::Null, _) => Ordering::Greater,
            (_, KeyValue::Null) => Ordering::Less,
            (a, b) => a.cmp(b),
        }
    }
}

impl std::fmt::Display for KeyValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            KeyValue::Int(i) => write!(f, "{i}"),
            KeyValue::Text(s) => f.write_str(s),
            KeyValue::Null => f.write_str("-"),
        }
    }
}

/// One figure per metric.
type Figures = Vec<Option<f64>>;

/// One result row.
#[derive(Debug, Clone, PartialEq)]
pub struct KpiRow {
    /// One per `--by` item.
    pub keys: Vec<KeyValue>,
    /// One per metric; `None` when its denominator is 0 (or it has no rows to take from).
    pub values: Vec<Option<f64>>,
    pub numerators: Vec<Option<f64>>,
    pub denominators: Vec<Option<f64>>,
}

/// The rows of a KPI query.
#[derive(Debug, Clone, PartialEq)]
pub struct KpiResult {
    pub rows: Vec<KpiRow>,
}

fn number(v: Value) -> Option<f64> {
    #[allow(clippy::cast_precision_loss)]
    match v {
        Value::Null => None,
        Value::Boolean(b) => Some(f64::from(u8::from(b))),
        Value::TinyInt(i) => Some(f64::from(i)),
        Value::SmallInt(i) => Some(f64::from(i)),
        Value::Int(i) => Some(f64::from(i)),
        Value::BigInt(i) => Some(i as f64),
        Value::HugeInt(i) => Some(i as f64),
        Value::UTinyInt(i) => Some(f64::from(i)),
        Value::USmallInt(i) => Some(f64::from(i)),
        Value::UInt(i) => Some(f64::from(i)),
        Value::UBigInt(i) => Some(i as f64),
        Value::Float(f) => Some(f64::from(f)),
        Value::Double(f) => Some(f),
        Value::Decimal(d) => d.to_string().parse().ok(),
        _ => None,
    }
}

fn key(v: Value, kind: OutputKind) -> KeyValue {
    match (v, kind) {
        (Value::Null, _) => KeyValue::Null,
        (Value::Text(s), _) => KeyValue::Text(s),
        (other, OutputKind::Integer) =>
        {
            #[allow(clippy::cast_possible_truncation)]
            number(other).map_or(KeyValue::Null, |n| KeyValue::Int(n as i64))
        }
        (other, OutputKind::Text) => KeyValue::Text(format!("{other:?}")),
    }
}

impl DuckDbStore {
    /// Runs a compiled query. With `fill`, buckets without contacts get a row too (counts 0,
    /// ratios null) between `from` and `to` (or the data's first and last bucket).
    pub fn run_kpi(&self, q: &CompiledQuery, fill: bool) -> Result<KpiResult> {
        if q.table == Table::AgentStates {
            self.prepare_agent_slots(q)?;
        }
        let m = q.metrics.len();
        let b = q.by.len();
        let mut stmt = self.conn.prepare(&q.sql)?;
        let mut rows_out = Vec::new();
        let mut rows = stmt.query(::duckdb::params_from_iter(q.params.iter()))?;
        while let Some(row) = rows.next()? {
            let mut keys = Vec::with_capacity(b);
            for (i, (_, kind)) in q.by.iter().enumerate() {
                keys.push(key(row.get::<_, Value>(i)?, *kind));
            }
            let mut values = Vec::with_capacity(m);
            let mut numerators = Vec::with_capacity(m);
            let mut denominators = Vec::with_capacity(m);
            for i in 0..m {
                values.push(number(row.get::<_, Value>(b + i)?));
                numerators.push(number(row.get::<_, Value>(b + m + i)?));
                denominators.push(number(row.get::<_, Value>(b + 2 * m + i)?));
            }
            rows_out.push(KpiRow {
                keys,
                values,
                numerators,
                denominators,
            });
        }
        let mut result = KpiResult { rows: rows_out };
        if fill {
            self.fill(q, &mut result)?;
        }
        Ok(result)
    }

    /// Fills `temp.agent_slots` with the tenant-local 15-minute slots of the query's range
    /// (without a range: of the tenant's intervals, up to now).
    fn prepare_agent_slots(&self, q: &CompiledQuery) -> Result<()> {
        let tenant = q.params.first().cloned().unwrap_or_default();
        let tz = self
            .tenants
            .get(&tenant)
            .map(|t| t.tz.clone())
            .ok_or_else(|| StoreError::UnknownTenant(tenant.clone()))?;
        let now = Timestamp::now();
        let (first, last): (Option<i64>, Option<i64>) = self.conn.query_row(
            "SELECT min(epoch_us(start_at)), max(epoch_us(coalesce(end_at, start_at)))
             FROM agent_states WHERE tenant = ?",
            params![tenant],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        let bound = |local: Option<DateTime>, stored: Option<i64>, fallback: Timestamp| match local
        {
            Some(l) => tz
                .to_timestamp(l)
                .map_err(|e| StoreError::Invalid(format!("{l}: {e}"))),
            None => Ok(stored
                .and_then(|us| Timestamp::from_microsecond(us).ok())
                .unwrap_or(fallback)),
        };
        let start = bound(q.from, first, now)?;
        let end = bound(q.to, last.map(|l| l.max(now.as_microsecond())), now)?;
        self.conn.execute_batch(&format!(
            "CREATE OR REPLACE TEMP TABLE agent_slots ({AGENT_SLOTS_COLUMNS})"
        ))?;
        let mut app = self
            .conn
            .appender_to_catalog_and_db("agent_slots", "temp", "main")?;
        let step = SignedDuration::from_secs(SLOT_SECONDS);
        let floor = start.as_second().div_euclid(SLOT_SECONDS) * SLOT_SECONDS;
        let mut at =
            Timestamp::from_second(floor).map_err(|e| StoreError::Invalid(e.to_string()))?;
        while at < end {
            let next = at
                .checked_add(step)
                .map_err(|e| StoreError::Invalid(e.to_string()))?;
            // The slot, clipped to the range so that a range not on a slot boundary counts
            // only its own part.
            let (s, e) = (at.max(start), next.min(end));
            let local = LocalParts::of(at, &tz);
            app.append_row(params![
                ts(s),
                ts(e),
                // The range filter compares local_ts: the clipped start keeps a partial
                // first slot inside it.
                naive_ts(naive_micros(LocalParts::of(s, &tz).datetime)),
                Value::Date32(days_since_epoch(local.date)),
                local.slot,
                local.hour,
                local.weekday,
                local.month,
                local.week
            ])?;
            at = next;
        }
        app.flush()?;
        Ok(())
    }

    fn fill(&self, q: &CompiledQuery, result: &mut KpiResult) -> Result<()> {
        let Some((pos, bucket)) =
            q.by.iter()
                .enumerate()
                .find_map(|(i, (item, _))| match item {
                    ByItem::Bucket(b) => Some((i, *b)),
                    ByItem::Dimension(_) => None,
                })
        else {
            return Ok(());
        };
        let (from, to) = match (q.from, q.to) {
            (Some(f), Some(t)) => (f, t),
            (f, t) => {
                let (lo, hi) = self.data_range(q)?;
                let (Some(lo), Some(hi)) = (f.or(lo), t.or(hi)) else {
                    return Ok(());
                };
                (lo, hi)
            }
        };
        let labels = bucket.labels(from, to);
        let others: BTreeSet<Vec<KeyValue>> = if result.rows.is_empty() {
            if q.by.len() > 1 {
                return Ok(());
            }
            BTreeSet::from([Vec::new()])
        } else {
            result
                .rows
                .iter()
                .map(|r| {
                    let mut k = r.keys.clone();
                    k.remove(pos);
                    k
                })
                .collect()
        };
        let present: BTreeSet<Vec<KeyValue>> = result.rows.iter().map(|r| r.keys.clone()).collect();
        let (values, numerators, denominators) = self.empty_row(q)?;
        for other in &others {
            for label in &labels {
                let mut keys = other.clone();
                keys.insert(pos, KeyValue::Text(label.clone()));
                if !present.contains(&keys) {
                    result.rows.push(KpiRow {
                        keys,
                        values: values.clone(),
                        numerators: numerators.clone(),
                        denominators: denominators.clone(),
                    });
                }
            }
        }
        result.rows.sort_by(|a, b| {
            a.keys
                .iter()
                .zip(&b.keys)
                .map(|(x, y)| x.sort_cmp(y))
                .find(|o| *o != Ordering::Equal)
                .unwrap_or(Ordering::Equal)
        });
        Ok(())
    }

    /// What a bucket without contacts shows: values, numerators and denominators. A ratio
    /// of nothing explains itself as 0 / 0; a count of nothing is 0.
    fn empty_row(&self, q: &CompiledQuery) -> Result<(Figures, Figures, Figures)> {
        let m = q.metrics.len();
        let mut stmt = self.conn.prepare(&q.empty_sql)?;
        let mut rows = stmt.query([])?;
        let (mut values, mut nums, mut dens) = (vec![None; m], vec![None; m], vec![None; m]);
        if let Some(row) = rows.next()? {
            for i in 0..m {
                values[i] = number(row.get::<_, Value>(i)?);
                nums[i] = number(row.get::<_, Value>(m + i)?);
                dens[i] = number(row.get::<_, Value>(2 * m + i)?);
            }
        }
        for (i, metric) in q.metrics.iter().enumerate() {
            if metric.denominator_sql.is_some() {
                nums[i] = Some(nums[i].unwrap_or(0.0));
                dens[i] = Some(dens[i].unwrap_or(0.0));
            } else if metric.unit == ccpulse_metrics::Unit::Count {
                nums[i] = Some(nums[i].unwrap_or(0.0));
            }
        }
        Ok((values, nums, dens))
    }

    fn data_range(&self, q: &CompiledQuery) -> Result<(Option<DateTime>, Option<DateTime>)> {
        let mut stmt = self.conn.prepare(&format!(
            "SELECT strftime(lo, '%Y-%m-%dT%H:%M:%S'), strftime(hi + INTERVAL 1 SECOND, '%Y-%m-%dT%H:%M:%S')
             FROM ({}) AS r(lo, hi)",
            q.range_sql
        ))?;
        let mut rows = stmt.query(::duckdb::params_from_iter(q.params.iter()))?;
        let Some(row) = rows.next()? else {
            return Ok((None, None));
        };
        let parse = |s: Option<String>| s.and_then(|s| s.parse::<DateTime>().ok());
        Ok((parse(row.get(0)?), parse(row.get(1)?)))
    }
}

fn query_error(e: impl std::fmt::Display) -> StoreError {
    StoreError::Query(e.to_string())
}

/// The arguments of a KPI question, as the command line gives them.
pub struct KpiArgs<'a> {
    pub tenant: &'a str,
    pub metrics: &'a str,
    pub by: Option<&'a str>,
    pub from: Option<&'a str>,
    pub to: Option<&'a str>,
    pub filters: &'a [String],
}

/// Loads the catalog: the embedded one plus `metrics.toml` in the data directory.
pub fn load_catalog(store: &DuckDbStore) -> Result<Catalog> {
    let user = store.dir().join("metrics.toml");
    if user.exists() {
        let text = std::fs::read_to_string(&user).map_err(|source| StoreError::Dir {
            path: user.display().to_string(),
            source,
        })?;
        Catalog::load(Some((&user.display().to_string(), &text))).map_err(query_error)
    } else {
        Catalog::embedded().map_err(query_error)
    }
}

/// Builds and compiles a query for the store's tenant settings.
pub fn build(store: &DuckDbStore, catalog: &Catalog, args: &KpiArgs<'_>) -> Result<CompiledQuery> {
    let settings = store
        .tenant(args.tenant)
        .map(|t| t.settings.clone())
        .unwrap_or_default();
    let query = KpiQuery {
        tenant: args.tenant.to_owned(),
        metrics: MetricSpec::parse_list(args.metrics).map_err(query_error)?,
        by: args
            .by
            .map(ByItem::parse_list)
            .transpose()
            .map_err(query_error)?
            .unwrap_or_default(),
        from: args
            .from
            .map(parse_local_time)
            .transpose()
            .map_err(query_error)?,
        to: args
            .to
            .map(parse_local_time)
            .transpose()
            .map_err(query_error)?,
        filters: args
            .filters
            .iter()
            .map(|f| Filter::parse(f))
            .collect::<std::result::Result<_, _>>()
            .map_err(query_error)?,
        settings,
    };
    compile(catalog, &query, Dialect::DuckDb).map_err(query_error)
}

/// A metric value as JSON: counts as integers, null as null.
pub fn json_value(v: Option<f64>, unit: Unit) -> serde_json::Value {
    match v {
        None => serde_json::Value::Null,
        #[allow(clippy::cast_possible_truncation)]
        Some(x) if unit == Unit::Count && x.fract() == 0.0 && x.abs() < 9.0e15 => {
            serde_json::json!(x as i64)
        }
        Some(x) => serde_json::json!(x),
    }
}

fn key_json(k: &KeyValue) -> serde_json::Value {
    match k {
        KeyValue::Int(i) => serde_json::json!(i),
        KeyValue::Text(s) => serde_json::json!(s),
        KeyValue::Null => serde_json::Value::Null,
    }
}

/// `{"rows":[...]}` with one key per `--by` item and per metric as written, plus `metrics`
/// (labels and units) and, with `--explain`, `explain`.
pub fn to_json(q: &CompiledQuery, r: &KpiResult, lang: &str, explain: bool) -> serde_json::Value {
    let rows: Vec<serde_json::Value> = r
        .rows
        .iter()
        .map(|row| {
            let mut m = serde_json::Map::new();
            for ((item, _), k) in q.by.iter().zip(&row.keys) {
                m.insert(item.name().to_owned(), key_json(k));
            }
            for (metric, v) in q.metrics.iter().zip(&row.values) {
                m.insert(metric.written.clone(), json_value(*v, metric.unit));
            }
            serde_json::Value::Object(m)
        })
        .collect();
    let metrics: Vec<serde_json::Value> = q
        .metrics
        .iter()
        .map(|m| serde_json::json!({"key": m.written, "label": m.label(lang), "unit": m.unit.as_str()}))
        .collect();
    let mut out = serde_json::json!({ "rows": rows, "metrics": metrics });
    if explain {
        let ex: Vec<serde_json::Value> = q
            .metrics
            .iter()
            .enumerate()
            .map(|(i, m)| {
                serde_json::json!({
                    "metric": m.written,
                    "formula": m.formula,
                    "params": m.params,
                    "numerator_sql": m.numerator_sql,
                    "denominator_sql": m.denominator_sql,
                    "scale": m.scale,
                    "rows": r.rows.iter().map(|row| serde_json::json!({
                        "keys": row.keys.iter().map(key_json).collect::<Vec<_>>(),
                        "numerator": row.numerators[i],
                        "denominator": row.denominators[i],
                    })).collect::<Vec<_>>(),
                })
            })
            .collect();
        out["explain"] = serde_json::json!({ "metrics": ex, "sql": q.sql, "params": q.params });
    }
    out
}
