//! What a KPI question answers: one row per combination of `by` keys, each metric's value
//! with the numerator and denominator it came from.

use std::cmp::Ordering;

use crate::CompiledQuery;

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
    /// Ordering of result rows: values in order, null last.
    pub fn sort_cmp(&self, other: &Self) -> Ordering {
        match (self, other) {
            (KeyValue::Null, KeyValue::Null) => Ordering::Equal,
            (KeyValue::Null, _) => Ordering::Greater,
            (_, KeyValue::Null) => Ordering::Less,
            (a, b) => a.cmp(b),
        }
    }

    /// The key as text; `None` for null.
    pub fn text(&self) -> Option<String> {
        match self {
            KeyValue::Null => None,
            other => Some(other.to_string()),
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

/// One result row.
#[derive(Debug, Clone, PartialEq)]
pub struct KpiRow {
    /// One per `by` item.
    pub keys: Vec<KeyValue>,
    /// One per metric; `None` when its denominator is 0 (or it has no rows to take from).
    pub values: Vec<Option<f64>>,
    pub numerators: Vec<Option<f64>>,
    pub denominators: Vec<Option<f64>>,
}

/// The answer to a [`crate::KpiQuery`]: the compiled question (its metrics' labels, units,
/// formulas and SQL, for presenting and explaining it) and its rows.
#[derive(Debug, Clone, PartialEq)]
pub struct KpiResult {
    pub query: CompiledQuery,
    pub rows: Vec<KpiRow>,
}

impl KpiResult {
    /// Each metric as written with its value in `row`.
    pub fn figures<'a>(
        &'a self,
        row: &'a KpiRow,
    ) -> impl Iterator<Item = (&'a str, Option<f64>)> + 'a {
        self.query
            .metrics
            .iter()
            .zip(&row.values)
            .map(|(m, v)| (m.written.as_str(), *v))
    }

    /// The values of the first row (the only one of a question without `by`); `None` for
    /// each metric when there is no row.
    pub fn first_values(&self) -> Vec<Option<f64>> {
        self.rows.first().map_or_else(
            || vec![None; self.query.metrics.len()],
            |r| r.values.clone(),
        )
    }
}
