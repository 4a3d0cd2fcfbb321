//! The store: the only crate that talks to a database.
//!
//! - [`duckdb`]: [`DuckDbStore`], the embedded default, a DuckDB file in the data directory.
//! - [`schema`]: the migrations and the version table.
//! - [`tenants`]: tenants, their time zones and metric defaults ([`Tenant`]).
//! - [`contacts`]: batched upserts of contacts with the quarantine in the same transaction
//!   ([`ContactBatch`], [`ImportCounts`]).
//! - [`kpi`]: answering a [`ccpulse_metrics::KpiQuery`] ([`DuckDbStore::ask`]) with a
//!   [`ccpulse_metrics::KpiResult`].
//! - [`files`]: the data directory's own files: the catalog's `metrics.toml` and the KPI
//!   standards' `standards.toml`.
//! - [`sources`]: what other sources keep beside contacts (agent state intervals, open
//!   queue_log stints, unknown lines, tail checkpoints), written in the batch's transaction.
//! - [`feed`]: record batches handed to DuckDB's parallel insert as they are made ([`Feed`]).
//! - [`events`]: the live event log ([`NewEvent`]), what the live picture is rebuilt from.
//! - [`lists`]: contacts listed one by one in reports (complaints, dissatisfied calls), masked.
//! - [`tickets`]: agents, tickets and the subscriber base (their figures are catalog metrics).
//! - [`schedules`]: report schedules and the reports they produced.
//! - [`access`]: users ([`User`]), token and session hashes.
//! - [`alerts`]: alert rules and their history ([`AlertRecord`]).
//! - [`quarantine`]: reading what was rejected ([`QuarantineEntry`]).

pub mod access;
pub mod alerts;
pub mod audit;
mod columns;
pub mod contacts;
pub mod drill;
pub mod duckdb;
pub mod events;
pub mod feed;
pub mod files;
pub mod kpi;
pub mod lists;
pub mod quarantine;
mod rollup;
pub mod schedules;
pub mod schema;
pub mod sources;
pub mod templates;
pub mod tenants;
pub mod tickets;

/// Arrow's record batch, as the store takes rows in bulk.
pub use ::duckdb::arrow::record_batch::RecordBatch;
pub use access::{limit_of, DataScope, TokenGrant, TokenInfo, User, UserChange};
pub use alerts::AlertRecord;
pub use columns::ContactRows;
pub use contacts::{ContactBatch, ImportCounts};
pub use drill::{ContactCard, Moment};
pub use duckdb::{DuckDbStore, StoreConfig, Transaction};
pub use events::{Keys, NewEvent};
pub use feed::{Feed, FeedHandle};
pub use lists::{ContactLine, ContactList, Reveal};
pub use quarantine::{NewRejection, QuarantineEntry};
pub use schedules::{ReportRun, ReportSchedule};
pub use sources::{Checkpoint, SourceState, UnknownLine};
pub use templates::Template;
pub use tenants::{Tenant, TenantHealth};

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
    /// A configuration file that exists but cannot be read.
    #[error("{path}: cannot read: {error}")]
    File { path: String, error: std::io::Error },
    #[error("unknown time zone `{0}` (use an IANA name such as Asia/Shanghai)")]
    TimeZone(String),
    #[error("unknown tenant `{0}`")]
    UnknownTenant(String),
    #[error("the store was written by a newer ccpulse (schema {found}, this one knows {known})")]
    NewerSchema { found: i64, known: i64 },
    #[error("{0}")]
    Invalid(String),
    /// A KPI question that cannot be asked (unknown metric, bad filter, bad time).
    #[error(transparent)]
    Query(#[from] ccpulse_metrics::QueryError),
    /// The catalog (with the data directory's `metrics.toml`) cannot be read.
    #[error(transparent)]
    Catalog(#[from] ccpulse_metrics::CatalogError),
    /// `standards.toml` cannot be read, or the standards given are invalid.
    #[error(transparent)]
    Standards(#[from] ccpulse_metrics::StandardsError),
}

/// Result of store operations.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;
