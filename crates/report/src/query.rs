//! Asking the store's KPI queries for a report: figures by name, per row key.

use std::collections::BTreeMap;

use ccpulse_metrics::{ByItem, Catalog, Filter, KeyValue, KpiQuery};
use ccpulse_model::TenantId;
use ccpulse_store::Store;

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
    pub store: &'a dyn Store,
    pub catalog: &'a Catalog,
    pub tenant: TenantId,
    /// Added to every question: the asking user's scope (none for the whole tenant).
    pub scope: Vec<Filter>,
}

impl<'a> Ask<'a> {
    /// Asks `store` about `tenant`.
    pub fn new(store: &'a dyn Store, catalog: &'a Catalog, tenant: &TenantId) -> Self {
        Self {
            store,
            catalog,
            tenant: tenant.clone(),
            scope: Vec::new(),
        }
    }

    /// As [`Ask::new`], every question cut to `scope`.
    pub fn scoped(mut self, scope: &[Filter]) -> Self {
        self.scope = scope.to_vec();
        self
    }

    /// `metrics` over `period`, one row per value of `by` (keys as text; `None` for contacts
    /// without the dimension), with `filters`. With `fill`, empty buckets too.
    pub fn by(
        &self,
        metrics: &[&str],
        by: Option<ByItem>,
        period: &Period,
        filters: &[Filter],
        fill: bool,
    ) -> Result<Vec<(Option<String>, Figures)>, ReportError> {
        let (from, to) = period.local_range();
        let mut q = KpiQuery::of(self.tenant.clone(), metrics)
            .map_err(ccpulse_store::StoreError::from)?
            .by(by)
            .between(from, to);
        q.filters = filters.iter().chain(&self.scope).cloned().collect();
        q.fill = fill;
        let r = self.store.ask(self.catalog, &q)?;
        Ok(r.rows
            .iter()
            .map(|row| {
                let key = row.keys.first().and_then(KeyValue::text);
                let figures = r.figures(row).map(|(m, v)| (m.to_owned(), v)).collect();
                (key, Figures(figures))
            })
            .collect())
    }

    /// Whether `period` holds any contact or ticket (a period before the center's data
    /// starts holds none: its figures are "no data", not zeros to compare with).
    pub fn has_data(&self, period: &Period) -> Result<bool, ReportError> {
        Ok(
            self.total(&["contacts"], period, &[])?.count("contacts") > 0
                || self.total(&["tickets"], period, &[])?.count("tickets") > 0,
        )
    }

    /// `metrics` over the whole period (one row; every count 0 and every ratio `None` when the
    /// period has no contacts).
    pub fn total(
        &self,
        metrics: &[&str],
        period: &Period,
        filters: &[Filter],
    ) -> Result<Figures, ReportError> {
        Ok(self
            .by(metrics, None, period, filters, false)?
            .into_iter()
            .next()
            .map(|(_, f)| f)
            .unwrap_or_default())
    }
}
