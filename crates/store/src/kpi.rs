//! Asking KPI questions: a [`KpiQuery`] compiled for the tenant's settings and run into a
//! [`KpiResult`], with empty buckets filled on request.

use std::cmp::Ordering;
use std::collections::BTreeSet;

use ::duckdb::params;
use ::duckdb::types::Value;
use ccpulse_metrics::{
    compile, ByItem, Catalog, CompiledQuery, Dialect, KeyValue, KpiQuery, KpiResult, KpiRow,
    OutputKind, Table, AGENT_SLOTS_COLUMNS,
};
use ccpulse_model::{days_since_epoch, naive_micros, LocalParts};
use jiff::civil::DateTime;
use jiff::{SignedDuration, Timestamp};

use crate::sources::{naive_ts, ts};
use crate::{DuckDbStore, Result, StoreError};

/// Agent-state queries cut intervals into slots of this many seconds.
const SLOT_SECONDS: i64 = 900;

/// One figure per metric.
pub(crate) type Figures = Vec<Option<f64>>;

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
    /// Answers a KPI question: compiled with the tenant's settings (its service-level
    /// threshold and short-abandon limit), run, and filled when the question asks.
    pub fn ask(&self, catalog: &Catalog, query: &KpiQuery) -> Result<KpiResult> {
        let compiled = self.compile(catalog, query)?;
        let mut result = KpiResult {
            rows: self.run_compiled(&compiled)?,
            query: compiled,
        };
        if query.fill {
            fill_rows(&mut result, |q| self.data_range(q), |q| self.empty_row(q))?;
        }
        Ok(result)
    }

    /// The tenant's metric defaults (service-level threshold, short abandon); the defaults'
    /// defaults for a tenant not stored yet.
    pub(crate) fn settings_of(
        &self,
        tenant: &ccpulse_model::TenantId,
    ) -> ccpulse_metrics::TenantSettings {
        self.tenant(tenant.as_str())
            .map(|t| t.settings.clone())
            .unwrap_or_default()
    }

    /// The question compiled with the tenant's settings, not run: whether it can be asked.
    pub fn compile(&self, catalog: &Catalog, query: &KpiQuery) -> Result<CompiledQuery> {
        let settings = self.settings_of(&query.tenant);
        Ok(compile(catalog, query, &settings, Dialect::DuckDb)?)
    }

    /// The rows of a compiled query.
    fn run_compiled(&self, q: &CompiledQuery) -> Result<Vec<KpiRow>> {
        if q.table == Table::AgentStates {
            self.prepare_agent_slots(q)?;
        }
        if let Some(r) = &q.rollup {
            if let Some(table) = self.rollup_table(r)? {
                return self.rows_of(q, &r.sql.replace("{table}", &table), &r.params);
            }
        }
        self.rows_of(q, &q.sql, &q.params)
    }

    /// The rows of `sql` (bound to `params`), laid out as `q`'s result.
    fn rows_of(&self, q: &CompiledQuery, sql: &str, params: &[String]) -> Result<Vec<KpiRow>> {
        let m = q.metrics.len();
        let b = q.by.len();
        let mut stmt = self.conn.prepare(sql)?;
        let mut rows_out = Vec::new();
        let mut rows = stmt.query(::duckdb::params_from_iter(params.iter()))?;
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
        Ok(rows_out)
    }

    /// Fills `temp.agent_slots` with the tenant-local 15-minute slots of the query's range
    /// (without a range: of the tenant's intervals, up to now).
    fn prepare_agent_slots(&self, q: &CompiledQuery) -> Result<()> {
        let tenant = q.params.first().cloned().unwrap_or_default();
        let tz = self
            .tenants
            .get(tenant.as_str())
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

/// Adds the empty buckets of `result`'s range (from the question, or the data's range from
/// `range`) for every combination of the other keys, with the figures of no contacts
/// (`empty`): what `--fill` asks. Any store's rows go through it.
pub(crate) fn fill_rows(
    result: &mut KpiResult,
    range: impl FnOnce(&CompiledQuery) -> Result<(Option<DateTime>, Option<DateTime>)>,
    empty: impl FnOnce(&CompiledQuery) -> Result<(Figures, Figures, Figures)>,
) -> Result<()> {
    let q = &result.query;
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
            let (lo, hi) = range(q)?;
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
    let (values, numerators, denominators) = empty_figures(q, empty(q)?);
    let mut filled = Vec::new();
    for other in &others {
        for label in &labels {
            let mut keys = other.clone();
            keys.insert(pos, KeyValue::Text(label.clone()));
            if !present.contains(&keys) {
                filled.push(KpiRow {
                    keys,
                    values: values.clone(),
                    numerators: numerators.clone(),
                    denominators: denominators.clone(),
                });
            }
        }
    }
    result.rows.extend(filled);
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

/// The figures of a bucket without contacts from what the store computed over no rows: a
/// ratio of nothing explains itself as 0 / 0; a count of nothing is 0.
fn empty_figures(
    q: &CompiledQuery,
    (values, mut nums, mut dens): (Figures, Figures, Figures),
) -> (Figures, Figures, Figures) {
    for (i, metric) in q.metrics.iter().enumerate() {
        if metric.denominator_sql.is_some() {
            nums[i] = Some(nums[i].unwrap_or(0.0));
            dens[i] = Some(dens[i].unwrap_or(0.0));
        } else if metric.unit == ccpulse_metrics::Unit::Count {
            nums[i] = Some(nums[i].unwrap_or(0.0));
        }
    }
    (values, nums, dens)
}
