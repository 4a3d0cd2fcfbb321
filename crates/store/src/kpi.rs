//! Running compiled KPI queries.

use std::cmp::Ordering;
use std::collections::BTreeSet;

use ::duckdb::types::Value;
use ccpulse_metrics::{ByItem, CompiledQuery, OutputKind};
use jiff::civil::DateTime;

use crate::{DuckDbStore, Result};

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
