//! Asking the store's KPI queries for a report: figures by name, per row key.

use std::collections::BTreeMap;

use ccpulse_metrics::Catalog;
use ccpulse_store::kpi::{build, KpiArgs};
use ccpulse_store::{DuckDbStore, KeyValue};

use crate::{Period, ReportError};

/// One row of figures, by metric as written.
#[derive(Debug, Clone, Default)]
pub(crate) struct Figures(pub BTreeMap<String, Option<f64>>);

impl Figures {
    /// The figure, `None` when its denominator was 0.
    pub fn get(&self, metric: &str) -> Option<f64> {
        self.0.get(metric).copied().flatten()
    }

    /// A count (0 when absent).
    pub fn count(&self, metric: &str) -> u64 {
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        self.get(metric).map_or(0, |v| v.max(0.0).round() as u64)
    }
}

/// The store, catalog and tenant a report asks.
pub(crate) struct Ask<'a> {
    pub store: &'a DuckDbStore,
    pub catalog: &'a Catalog,
    pub tenant: &'a str,
}

fn key_text(k: &KeyValue) -> Option<String> {
    match k {
        KeyValue::Null => None,
        other => Some(other.to_string()),
    }
}

impl Ask<'_> {
    /// `metrics` over `period`, one row per value of `by` (keys as text; `None` for contacts
    /// without the dimension), with `filters` (`KEY=V1,V2`). With `fill`, empty buckets too.
    pub fn by(
        &self,
        metrics: &str,
        by: Option<&str>,
        period: &Period,
        filters: &[String],
        fill: bool,
    ) -> Result<Vec<(Option<String>, Figures)>, ReportError> {
        let (from, to) = (period.from_arg(), period.to_arg());
        let q = build(
            self.store,
            self.catalog,
            &KpiArgs {
                tenant: self.tenant,
                metrics,
                by,
                from: Some(&from),
                to: Some(&to),
                filters,
            },
        )?;
        let r = self.store.run_kpi(&q, fill)?;
        Ok(r.rows
            .into_iter()
            .map(|row| {
                let key = row.keys.first().and_then(key_text);
                let figures = q
                    .metrics
                    .iter()
                    .zip(row.values)
                    .map(|(m, v)| (m.written.clone(), v))
                    .collect();
                (key, Figures(figures))
            })
            .collect())
    }

    /// `metrics` over the whole period (one row; every count 0 and every ratio `None` when the
    /// period has no contacts).
    pub fn total(
        &self,
        metrics: &str,
        period: &Period,
        filters: &[String],
    ) -> Result<Figures, ReportError> {
        Ok(self
            .by(metrics, None, period, filters, false)?
            .into_iter()
            .next()
            .map(|(_, f)| f)
            .unwrap_or_default())
    }
}
