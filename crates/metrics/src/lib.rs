//! The metric catalog and the queries built from it. Pure: builds SQL, runs none.
//!
//! - [`baseline`]: a value against its peers' median (robust z-score, flags).
//! - [`catalog`]: `catalog.toml` (embedded) plus a user file, parsed into [`Catalog`];
//!   scoring bands ([`Band`]).
//! - [`spec`]: metric references as users write them, `service_level[threshold=15]`.
//! - [`query`]: [`KpiQuery`], what `ccpulse kpi` asks: metrics, `--by` items, range, filters.
//! - [`sql`]: compiling a query to SQL for a [`Dialect`] ([`CompiledQuery`]), with what
//!   `--explain` shows of each metric.
//! - [`clickhouse`]: the ClickHouse dialect of [`sql`] (what differs from DuckDB's SQL).
//! - [`drill`]: the contacts behind a figure ([`DrillQuery`]), from the metric's own SQL.
//! - [`result`]: what a question answers ([`KpiResult`]: rows of keys, values, numerators and
//!   denominators); the store fills it.
//! - [`present`]: every output of a figure (for people, JSON, CSV, `--explain`).
//! - [`standards`]: seed 002's scoring bands with a tenant's overrides ([`Standards`]).

pub mod baseline;
pub mod catalog;
pub mod clickhouse;
pub mod drill;
pub mod present;
pub mod query;
pub mod result;
pub mod rollup;
pub mod spec;
pub mod sql;
pub mod standards;

pub use catalog::{Band, Catalog, CatalogError, Direction, Metric, Table, Unit, EMBEDDED_CATALOG};
pub use drill::{
    compile_drill, compile_drill_for, Cell, CompiledDrill, DrillQuery, DrillText, Drilled, Part,
    Sort,
};
pub use present::{human, json_value, key_json};
pub use query::{Bucket, ByItem, Dimension, Filter, KpiQuery, KpiText, TenantSettings};
pub use result::{KeyValue, KpiResult, KpiRow};
pub use rollup::Rollup;
pub use spec::{MetricSpec, SpecError};
pub use sql::{compile, CompiledMetric, CompiledQuery, Dialect, OutputKind, AGENT_SLOTS_COLUMNS};
pub use standards::{Standards, StandardsError};

/// Errors building a query.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum QueryError {
    #[error("unknown metric `{0}` (see `ccpulse metrics`)")]
    UnknownMetric(String),
    #[error("metric `{metric}`: unknown parameter `{param}` (it takes: {takes})")]
    UnknownParam {
        metric: String,
        param: String,
        takes: String,
    },
    #[error("metric `{metric}`: parameter `{param}`: {reason}")]
    BadParam {
        metric: String,
        param: String,
        reason: String,
    },
    #[error("unknown --by item `{0}` (buckets: 15min, 30min, hour, day, week, month, quarter, year; dimensions: {dims})", dims = Dimension::names())]
    UnknownBy(String),
    #[error("unknown --filter key `{0}` (keys: {dims})", dims = Dimension::names())]
    UnknownFilter(String),
    #[error("--filter `{0}`: expected KEY=V1[,V2...]")]
    BadFilter(String),
    #[error("`{0}` is not a date or time (use 2021-01-04 or 2021-01-04T09:00)")]
    BadTime(String),
    #[error("from `{from}` is after to `{to}`: the range would be empty")]
    BackwardRange { from: String, to: String },
    #[error("{0}")]
    Unsupported(String),
    #[error(transparent)]
    Spec(#[from] SpecError),
}
