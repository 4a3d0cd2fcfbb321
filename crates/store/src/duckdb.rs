//! The embedded store: one DuckDB file in the data directory.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use ::duckdb::{Config, Connection};

use ccpulse_model::TenantId;

use crate::tenants::Tenant;
use crate::{schema, Result, StoreError};

/// File name of the database inside the data directory.
pub const DB_FILE: &str = "ccpulse.duckdb";

/// Settings of the embedded store.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StoreConfig {
    /// DuckDB's `memory_limit`, e.g. `2GB`; DuckDB's default (80 % of RAM) when `None`.
    pub memory_limit: Option<String>,
    /// Worker threads; all cores when `None`.
    pub threads: Option<u32>,
    /// DuckDB's `checkpoint_threshold` (e.g. `256MB`); DuckDB's default (16 MB) when `None`.
    pub checkpoint_threshold: Option<String>,
}

/// How long opening waits for another process (a `tail` between two reads, a `kpi` query)
/// to let go of the database file.
const LOCK_WAIT: Duration = Duration::from_secs(10);

/// Opens the database file with `config`, waiting up to [`LOCK_WAIT`] while another process
/// holds it.
fn open_waiting(file: &Path, config: &StoreConfig) -> Result<Connection> {
    let started = Instant::now();
    loop {
        let mut db_config = Config::default();
        if let Some(limit) = &config.memory_limit {
            db_config = db_config.max_memory(limit)?;
        }
        if let Some(threads) = config.threads {
            db_config = db_config.threads(i64::from(threads))?;
        }
        match Connection::open_with_flags(file, db_config) {
            Ok(c) => return Ok(c),
            Err(e)
                if e.to_string().contains("Could not set lock")
                    && started.elapsed() < LOCK_WAIT =>
            {
                std::thread::sleep(Duration::from_millis(20));
            }
            Err(e) => return Err(e.into()),
        }
    }
}

/// Settings every connection runs with, around bugs of the bundled DuckDB.
///
/// Compressed materialization narrows an ORDER BY's columns by their statistics, and for a
/// grouped `count_if` over a LEFT JOIN to an empty table (contacts by team when the tenant
/// has no agent list) the statistics are wrong: DuckDB 2.0 fails with "Type INT128 with value
/// 4054 can't be cast ... INT8". Our sorts are over aggregated rows, so little is lost.
const WORKAROUNDS: &str = "SET disabled_optimizers = 'compressed_materialization'";

/// The DuckDB-backed store of one data directory.
pub struct DuckDbStore {
    pub(crate) conn: Connection,
    dir: PathBuf,
    pub(crate) tenants: HashMap<TenantId, Tenant>,
    /// The last `seq` given to a logged event, once read (this connection numbers the events
    /// it logs itself; one process writes the store).
    pub(crate) event_seq: std::cell::Cell<Option<i64>>,
    /// Whether questions of whole days are answered from day rollups (a server's).
    pub(crate) rollups: bool,
    /// Whether the configuration sets DuckDB's memory limit.
    memory_configured: bool,
}

/// DuckDB's memory limit during a bulk load when the configuration sets none: a batch's
/// rows and their compression fit, and the memory stays flat however long the file.
pub const IMPORT_MEMORY_LIMIT: &str = "512MB";

impl DuckDbStore {
    /// Opens (creating if needed) the store in `dir` and brings its schema up to date.
    pub fn open(dir: &Path, config: &StoreConfig) -> Result<Self> {
        std::fs::create_dir_all(dir).map_err(|source| StoreError::Dir {
            path: dir.display().to_string(),
            source,
        })?;
        let conn = open_waiting(&dir.join(DB_FILE), config)?;
        // Temporary spill files stay inside the data directory.
        let tmp = dir.join("tmp");
        conn.execute_batch(&format!(
            "SET temp_directory = '{}'",
            tmp.display().to_string().replace('\'', "''")
        ))?;
        if let Some(t) = &config.checkpoint_threshold {
            conn.execute_batch(&format!(
                "SET checkpoint_threshold = '{}'",
                t.replace('\'', "''")
            ))?;
        }
        conn.execute_batch(WORKAROUNDS)?;
        schema::migrate(&conn)?;
        conn.register_table_function::<crate::feed::FeedFunction>(crate::feed::FUNCTION)?;
        let mut store = Self {
            conn,
            dir: dir.to_owned(),
            tenants: HashMap::new(),
            event_seq: std::cell::Cell::new(None),
            rollups: false,
            memory_configured: config.memory_limit.is_some(),
        };
        store.load_tenants()?;
        Ok(store)
    }

    /// The data directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Runs `f` in one transaction: committed when it succeeds, rolled back when it fails.
    pub(crate) fn in_transaction<T>(&self, f: impl FnOnce() -> Result<T>) -> Result<T> {
        self.conn.execute_batch("BEGIN TRANSACTION")?;
        match f() {
            Ok(v) => {
                self.conn.execute_batch("COMMIT")?;
                Ok(v)
            }
            Err(e) => {
                self.conn.execute_batch("ROLLBACK")?;
                Err(e)
            }
        }
    }

    /// Inserts into `table` (by column name) every record batch pushed to `feed` until it is
    /// closed, on all of DuckDB's threads; returns the rows inserted. Runs in the caller's
    /// transaction, if one is open.
    pub fn insert_feed(&self, table: &str, feed: crate::feed::FeedHandle) -> Result<u64> {
        // Kept in order, a parallel source would be inserted by one thread.
        self.conn
            .execute_batch("SET preserve_insertion_order = false")?;
        let inserted = self.conn.execute(
            &format!(
                "INSERT INTO {table} BY NAME SELECT * FROM {}(?)",
                crate::feed::FUNCTION
            ),
            [feed.token()],
        );
        feed.stopped();
        self.conn.execute_batch("RESET preserve_insertion_order")?;
        Ok(inserted? as u64)
    }

    /// Opens a transaction on the store's connection; what is written through the store until
    /// [`Transaction::commit`] lands together or, when the guard is dropped first, not at all.
    pub fn transaction(&self) -> Result<Transaction<'_>> {
        self.conn.execute_batch("BEGIN TRANSACTION")?;
        Ok(Transaction {
            store: self,
            open: true,
        })
    }

    /// Runs SQL that returns nothing (maintenance, tests, benchmarks).
    pub fn execute_batch(&self, sql: &str) -> Result<()> {
        Ok(self.conn.execute_batch(sql)?)
    }

    /// A second connection to the same database, for reading beside the writer (its own
    /// temporary tables, the same data).
    pub fn reader(&self) -> Result<Self> {
        let conn = self.conn.try_clone()?;
        conn.execute_batch(WORKAROUNDS)?;
        Ok(Self {
            conn,
            dir: self.dir.clone(),
            tenants: self.tenants.clone(),
            event_seq: std::cell::Cell::new(None),
            rollups: self.rollups,
            memory_configured: self.memory_configured,
        })
    }

    /// The underlying connection, for hand-written SQL (benchmarks compare against it).
    pub fn connection(&self) -> &Connection {
        &self.conn
    }

    /// Writes what the last commits left in memory into the file, compressed. DuckDB leaves
    /// the partial row groups a parallel bulk insert ends with to its next checkpoint: a 3 M
    /// import committed in batches left about a second of compression to the close, and held
    /// the rows in memory until then. Skipped (not failed) while another connection has a
    /// transaction open.
    pub fn fold_in(&self) {
        if let Err(e) = self.conn.execute_batch("CHECKPOINT") {
            tracing::debug!(error = %e, "no checkpoint after a committed batch");
        }
    }

    /// Runs the bulk load `load` with DuckDB's memory capped at [`IMPORT_MEMORY_LIMIT`] when
    /// the configuration sets no limit (DuckDB's default, 80 % of the machine, keeps every
    /// block it wrote cached: an import's memory then grows with the file), and gives DuckDB
    /// its default back afterwards, whether the load succeeded or not.
    pub fn with_import_memory<T, E: From<StoreError>>(
        &mut self,
        load: impl FnOnce(&mut Self) -> std::result::Result<T, E>,
    ) -> std::result::Result<T, E> {
        let capped = !self.memory_configured;
        if capped {
            self.conn
                .execute_batch(&format!("SET memory_limit = '{IMPORT_MEMORY_LIMIT}'"))
                .map_err(StoreError::from)?;
        }
        let loaded = load(self);
        if capped {
            self.conn
                .execute_batch("RESET memory_limit")
                .map_err(StoreError::from)?;
        }
        loaded
    }

    /// The effective DuckDB setting `name`.
    pub fn setting(&self, name: &str) -> Result<String> {
        Ok(self
            .conn
            .query_row("SELECT current_setting(?)::VARCHAR", [name], |r| r.get(0))?)
    }

    /// Deletes the row of `table` keyed by (tenant, id); whether there was one.
    pub(crate) fn delete_row(&self, table: &str, tenant: &TenantId, id: &str) -> Result<bool> {
        let n = self.conn.execute(
            &format!("DELETE FROM {table} WHERE tenant = ? AND id = ?"),
            ::duckdb::params![tenant.as_str(), id],
        )?;
        Ok(n > 0)
    }

    /// Number of contacts stored for `tenant`.
    /// Every contact of `tenant` as Arrow batches in the columns of
    /// [`crate::ContactRows::table_schema`], handed to `each` one at a time.
    pub fn contact_batches(
        &self,
        tenant: &TenantId,
        each: impl FnMut(crate::RecordBatch) -> Result<()>,
    ) -> Result<()> {
        let schema = crate::ContactRows::table_schema();
        let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
        self.select_batches(
            &format!(
                "SELECT {} FROM contacts WHERE tenant = ? ORDER BY id",
                names.join(", ")
            ),
            tenant,
            each,
        )
    }

    /// The stored contacts of `tenant` among `ids`, in the columns of
    /// [`crate::ContactRows::table_schema`], as Arrow batches in turn.
    pub fn contacts_among(
        &self,
        tenant: &TenantId,
        ids: &[String],
        mut each: impl FnMut(crate::RecordBatch) -> Result<()>,
    ) -> Result<()> {
        let schema = crate::ContactRows::table_schema();
        let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
        for chunk in ids.chunks(10_000) {
            let list: Vec<String> = chunk
                .iter()
                .map(|id| format!("'{}'", id.replace('\'', "''")))
                .collect();
            self.select_batches(
                &format!(
                    "SELECT {} FROM contacts WHERE tenant = ? AND id IN ({}) ORDER BY id",
                    names.join(", "),
                    list.join(", ")
                ),
                tenant,
                &mut each,
            )?;
        }
        Ok(())
    }

    /// The rows of `sql` (a SELECT with one `?`, the tenant) as Arrow batches, in turn.
    pub(crate) fn select_batches(
        &self,
        sql: &str,
        tenant: &TenantId,
        mut each: impl FnMut(crate::RecordBatch) -> Result<()>,
    ) -> Result<()> {
        let mut stmt = self.conn.prepare(sql)?;
        for batch in stmt.query_arrow([tenant.as_str()])? {
            each(batch)?;
        }
        Ok(())
    }

    pub fn count_contacts(&self, tenant: &TenantId) -> Result<u64> {
        let tenant = tenant.as_str();
        let n: i64 = self.conn.query_row(
            "SELECT count(*) FROM contacts WHERE tenant = ?",
            [tenant],
            |r| r.get(0),
        )?;
        Ok(u64::try_from(n).unwrap_or(0))
    }
}

/// An open transaction (see [`DuckDbStore::transaction`]); rolled back when dropped uncommitted.
pub struct Transaction<'s> {
    store: &'s DuckDbStore,
    open: bool,
}

impl Transaction<'_> {
    /// Makes everything written since the transaction began durable.
    pub fn commit(mut self) -> Result<()> {
        self.open = false;
        Ok(self.store.conn.execute_batch("COMMIT")?)
    }
}

impl Drop for Transaction<'_> {
    fn drop(&mut self) {
        if self.open {
            if let Err(e) = self.store.conn.execute_batch("ROLLBACK") {
                tracing::error!(error = %e, "rolling back a transaction failed");
            }
        }
    }
}

/// Creates (or replaces) temporary table `name` with the columns of table `like`, followed by
/// `extra` (`", seq BIGINT"`), written out column by column.
///
/// Not `CREATE TEMP TABLE .. AS SELECT * FROM like LIMIT 0`: DuckDB 2.0 loses every row an
/// appender flushes into a table made that way inside the same transaction once the appender
/// has flushed on its own (over 204,800 rows; see the store test
/// `a_large_batch_inside_a_transaction_keeps_every_row`).
pub(crate) fn create_staging(
    conn: &::duckdb::Connection,
    name: &str,
    like: &str,
    extra: &str,
) -> Result<()> {
    let mut stmt = conn.prepare(
        "SELECT column_name, data_type FROM duckdb_columns()
         WHERE database_name = current_database() AND schema_name = 'main' AND table_name = ?
         ORDER BY column_index",
    )?;
    let columns = stmt
        .query_map([like], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
        })?
        .collect::<std::result::Result<Vec<_>, _>>()?;
    if columns.is_empty() {
        return Err(StoreError::Invalid(format!(
            "no table `{like}` to stage rows for"
        )));
    }
    let list: Vec<String> = columns
        .iter()
        .map(|(c, t)| format!("\"{}\" {t}", c.replace('"', "\"\"")))
        .collect();
    conn.execute_batch(&format!(
        "CREATE OR REPLACE TEMP TABLE {name} ({}{extra})",
        list.join(", ")
    ))?;
    Ok(())
}
