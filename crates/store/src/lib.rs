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
//! - [`clickhouse`]: the ClickHouse store ([`ClickHouseStore`]) for a server or a cluster.

pub mod access;
pub mod alerts;
pub mod audit;
pub mod clickhouse;
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
pub use clickhouse::{ClickHouseStore, ClickHouseUrl};
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

/// What every store answers, whichever database holds the data: the seam between the
/// commands and [`DuckDbStore`] or [`ClickHouseStore`].
pub trait Store {
    /// The tenants, by name.
    fn tenants(&self) -> Vec<Tenant>;
    /// The tenant `name`, if it exists.
    fn tenant(&self, name: &str) -> Option<&Tenant>;
    /// The tenant `name`, created with the defaults if new.
    fn ensure_tenant(&mut self, name: &ccpulse_model::TenantId) -> Result<Tenant>;
    /// Creates or changes a tenant.
    fn set_tenant(
        &mut self,
        name: &ccpulse_model::TenantId,
        timezone: Option<&str>,
        settings: Option<ccpulse_metrics::TenantSettings>,
    ) -> Result<Tenant>;
    /// How many contacts the tenant has.
    fn count_contacts(&self, tenant: &ccpulse_model::TenantId) -> Result<u64>;
    /// A KPI question compiled for this store's SQL with the tenant's settings, not run.
    fn compile(
        &self,
        catalog: &ccpulse_metrics::Catalog,
        query: &ccpulse_metrics::KpiQuery,
    ) -> Result<ccpulse_metrics::CompiledQuery>;
    /// A KPI question answered.
    fn ask(
        &self,
        catalog: &ccpulse_metrics::Catalog,
        query: &ccpulse_metrics::KpiQuery,
    ) -> Result<ccpulse_metrics::KpiResult>;
    /// The contacts behind a figure, a page of them; customers as `reveal` allows.
    fn drill(
        &self,
        catalog: &ccpulse_metrics::Catalog,
        query: &ccpulse_metrics::DrillQuery,
        reveal: Reveal,
    ) -> Result<ccpulse_metrics::Drilled>;
    /// One contact whole; `None` when there is no such contact.
    fn contact_card(
        &self,
        tenant: &ccpulse_model::TenantId,
        id: &str,
        reveal: Reveal,
    ) -> Result<Option<ContactCard>>;
    /// The rejected records (of `tenant`).
    fn quarantine_entries(
        &self,
        tenant: Option<&ccpulse_model::TenantId>,
    ) -> Result<Vec<QuarantineEntry>>;
    /// The directory of the center's own files (`metrics.toml`, `standards.toml`, names): the
    /// data directory, whichever database holds the data.
    fn files_dir(&self) -> &std::path::Path;
    /// The contacts of `list` that arrived in `[from, to)` (tenant-local dates), oldest first,
    /// at most `limit`, and how many there are; customers masked.
    fn contact_list(
        &self,
        tenant: &ccpulse_model::TenantId,
        list: ContactList,
        from: &str,
        to: &str,
        limit: usize,
    ) -> Result<(u64, Vec<ContactLine>)>;
    /// Complaint tickets created in `[from, to)`, as [`Store::contact_list`]; `None` when the
    /// tenant keeps no tickets.
    fn complaint_tickets(
        &self,
        tenant: &ccpulse_model::TenantId,
        from: &str,
        to: &str,
        limit: usize,
    ) -> Result<Option<(u64, Vec<ContactLine>)>>;
    /// Subscribers per business line in `month` (`2021-02`).
    fn subscribers(
        &self,
        tenant: &ccpulse_model::TenantId,
        month: &str,
    ) -> Result<Vec<(String, u64)>>;
    /// The catalog: the embedded one with the files directory's `metrics.toml`.
    fn catalog(&self) -> Result<ccpulse_metrics::Catalog> {
        files::catalog_in(self.files_dir())
    }
    /// The standards `tenant` is scored by.
    fn standards(
        &self,
        catalog: &ccpulse_metrics::Catalog,
        tenant: &ccpulse_model::TenantId,
    ) -> Result<ccpulse_metrics::Standards> {
        files::standards_in(self.files_dir(), catalog, tenant)
    }
}

/// The [`Store`] methods both stores have as their own, forwarded.
macro_rules! forward_lists {
    ($t:ty) => {
        fn contact_list(
            &self,
            tenant: &ccpulse_model::TenantId,
            list: $crate::ContactList,
            from: &str,
            to: &str,
            limit: usize,
        ) -> $crate::Result<(u64, Vec<$crate::ContactLine>)> {
            <$t>::contact_list(self, tenant, list, from, to, limit)
        }
        fn complaint_tickets(
            &self,
            tenant: &ccpulse_model::TenantId,
            from: &str,
            to: &str,
            limit: usize,
        ) -> $crate::Result<Option<(u64, Vec<$crate::ContactLine>)>> {
            <$t>::complaint_tickets(self, tenant, from, to, limit)
        }
        fn subscribers(
            &self,
            tenant: &ccpulse_model::TenantId,
            month: &str,
        ) -> $crate::Result<Vec<(String, u64)>> {
            <$t>::subscribers(self, tenant, month)
        }
    };
}
pub(crate) use forward_lists;

impl Store for DuckDbStore {
    fn tenants(&self) -> Vec<Tenant> {
        DuckDbStore::tenants(self)
    }
    fn tenant(&self, name: &str) -> Option<&Tenant> {
        DuckDbStore::tenant(self, name)
    }
    fn ensure_tenant(&mut self, name: &ccpulse_model::TenantId) -> Result<Tenant> {
        DuckDbStore::ensure_tenant(self, name)
    }
    fn set_tenant(
        &mut self,
        name: &ccpulse_model::TenantId,
        timezone: Option<&str>,
        settings: Option<ccpulse_metrics::TenantSettings>,
    ) -> Result<Tenant> {
        DuckDbStore::set_tenant(self, name, timezone, settings)
    }
    fn count_contacts(&self, tenant: &ccpulse_model::TenantId) -> Result<u64> {
        DuckDbStore::count_contacts(self, tenant)
    }
    fn compile(
        &self,
        catalog: &ccpulse_metrics::Catalog,
        query: &ccpulse_metrics::KpiQuery,
    ) -> Result<ccpulse_metrics::CompiledQuery> {
        DuckDbStore::compile(self, catalog, query)
    }
    fn ask(
        &self,
        catalog: &ccpulse_metrics::Catalog,
        query: &ccpulse_metrics::KpiQuery,
    ) -> Result<ccpulse_metrics::KpiResult> {
        DuckDbStore::ask(self, catalog, query)
    }
    fn drill(
        &self,
        catalog: &ccpulse_metrics::Catalog,
        query: &ccpulse_metrics::DrillQuery,
        reveal: Reveal,
    ) -> Result<ccpulse_metrics::Drilled> {
        DuckDbStore::drill(self, catalog, query, reveal)
    }
    fn contact_card(
        &self,
        tenant: &ccpulse_model::TenantId,
        id: &str,
        reveal: Reveal,
    ) -> Result<Option<ContactCard>> {
        DuckDbStore::contact_card(self, tenant, id, reveal)
    }
    fn quarantine_entries(
        &self,
        tenant: Option<&ccpulse_model::TenantId>,
    ) -> Result<Vec<QuarantineEntry>> {
        DuckDbStore::quarantine(self, tenant)
    }
    fn files_dir(&self) -> &std::path::Path {
        self.dir()
    }
    fn catalog(&self) -> Result<ccpulse_metrics::Catalog> {
        DuckDbStore::catalog(self)
    }
    forward_lists!(DuckDbStore);
}

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
    /// ClickHouse refused a statement or could not be reached.
    #[error("clickhouse: {0}")]
    ClickHouse(String),
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
