//! Import pipelines: files of every source into the store, with their rejections in the
//! quarantine. The command line calls them (`ccpulse import`, `tail`, `quarantine replay`);
//! anything else that holds a store (the server, the benchmarks) may call them too.
//!
//! - [`contacts`]: the canonical contact JSON Lines, parsed on every core and written in
//!   committed batches ([`import_contacts`]), and what every import reports ([`ImportSummary`]).
//! - [`queue_log`]: Asterisk's queue_log, a file assembled as a whole into stints, agent
//!   intervals and open calls ([`import_queue_log`]); [`tail`] follows a growing log.
//! - [`mapped`]: CSV/xlsx exports through a mapping, Asterisk CDRs and Connect CTRs
//!   ([`Source`], [`import_converted`]).
//! - [`clickhouse`]: contacts into a ClickHouse store ([`import_contacts_clickhouse`]).
//! - [`records`]: tickets, subscribers, agents and agent-state intervals ([`records::import`]).
//! - [`replay`]: quarantined records read again after a fix.
//! - [`progress`]: the progress bar on stderr.

pub mod clickhouse;
pub mod contacts;
pub mod mapped;
pub mod progress;
pub mod queue_log;
pub mod records;
pub mod replay;
pub mod tail;

pub use clickhouse::import_contacts_clickhouse;
pub use contacts::{import_contacts, ImportSummary, BATCH_ROWS};
pub use mapped::{import_converted, Source};
pub use queue_log::import_queue_log;
pub use replay::{replay, Replayed};
pub use tail::tail;

use ccpulse_store::StoreError;

/// Why an import stopped. Bad records never stop one (they go to the quarantine); these are
/// what does: the store, a mapping that cannot be read, a worker that died.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A mapping file that cannot be read or is invalid.
    #[error("{0}")]
    Mapping(String),
    /// The arguments cannot work (a format without its mapping, ...).
    #[error("{0}")]
    Usage(String),
    /// A file that cannot be followed.
    #[error("{path}: {error}")]
    Io { path: String, error: std::io::Error },
    /// The store cannot be opened.
    #[error("cannot open the store in {dir}: {error}")]
    Open { dir: String, error: StoreError },
    /// A file that cannot be read.
    #[error(transparent)]
    Read(#[from] std::io::Error),
    #[error(transparent)]
    Input(#[from] ccpulse_ingest::InputError),
    /// A tenant name that is not one.
    #[error(transparent)]
    Tenant(#[from] ccpulse_model::TenantIdError),
    /// A worker thread of the import stopped (its own error, if any, is reported instead).
    #[error("{0}")]
    Stopped(String),
}

impl From<jiff::Error> for ImportError {
    fn from(e: jiff::Error) -> Self {
        ImportError::Usage(e.to_string())
    }
}

/// Result of an import.
pub type Result<T, E = ImportError> = std::result::Result<T, E>;
