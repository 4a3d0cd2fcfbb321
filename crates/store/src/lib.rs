//! The store: the only crate that talks to a database.
//!
//! - [`duckdb`]: [`DuckDbStore`], the embedded default, a DuckDB file in the data directory.
//! - [`schema`]: the migrations and the version table.
//! - [`tenants`]: tenants, their time zones and metric defaults ([`Tenant`]).
//! - [`contacts`]: batched upserts of contacts with the quarantine in the same transaction
//!   ([`ContactBatch`], [`ImportCounts`]).
//! - [`kpi`]: running a [`ccpulse_metrics::CompiledQuery`] into [`KpiResult`] rows, with `--fill`.
//! - [`sources`]: what other sources keep beside contacts (agent state intervals, open
//!   queue_log stints, unknown lines, tail checkpoints), written in the batch's transaction.
//! - [`quarantine`]: reading what was rejected ([`QuarantineEntry`]).

mod columns;
pub mod contacts;
pub mod duckdb;
pub mod kpi;
pub mod quarantine;
pub mod schema;
pub mod sources;
pub mod tenants;

pub use contacts::{ContactBatch, ImportCounts};
pub use duckdb::{DuckDbStore, StoreConfig};
pub use kpi::{KeyValue, KpiResult, KpiRow};
pub use quarantine::{NewRejection, QuarantineEntry};
pub use sources::{Checkpoint, SourceState, UnknownLine};
pub use tenants::Tenant;

/// Errors of the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database: {0}")]
    Db(#[from] ::duckdb::Error),
    #[error("data directory {path}: {source}")]
    Dir {
        path: String,
        source: std::io::Error,
    },
    #[error("unknown time zone `{0}` (use an IANA name such as Asia/Shanghai)")]
    TimeZone(String),
    #[error("unknown tenant `{0}`")]
    UnknownTenant(String),
    #[error("the store was written by a newer ccpulse (schema {found}, this one knows {known})")]
    NewerSchema { found: i64, known: i64 },
    #[error("{0}")]
    Invalid(String),
}

/// Result of store operations.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;
