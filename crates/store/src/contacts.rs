//! Writing contacts: appended in bulk to a staging table, then merged into `contacts` in one
//! transaction together with the batch's rejections (upsert by tenant and id).

use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};

use ::duckdb::arrow::record_batch::RecordBatch;
use ::duckdb::{params, Appender};
use ccpulse_model::{Contact, TenantId};
use jiff::tz::TimeZone;
use jiff::Timestamp;

use crate::columns::ContactColumns;

use crate::quarantine::NewRejection;
use crate::sources::SourceState;
use crate::{DuckDbStore, Result, StoreError, Transaction};

/// What a committed batch did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct ImportCounts {
    /// Contacts new to the store.
    pub inserted: u64,
    /// Contacts that replaced a stored one with different content.
    pub updated: u64,
    /// Contacts identical to the stored one (a re-import).
    pub unchanged: u64,
    /// Records sent to the quarantine.
    pub rejected: u64,
}

impl std::ops::AddAssign for ImportCounts {
    fn add_assign(&mut self, o: Self) {
        self.inserted += o.inserted;
        self.updated += o.updated;
        self.unchanged += o.unchanged;
        self.rejected += o.rejected;
    }
}

/// A batch of contacts and rejections on its way into the store.
pub struct ContactBatch<'s> {
    store: &'s DuckDbStore,
    appender: Option<Appender<'s>>,
    columns: ContactColumns,
    zones: HashMap<String, TimeZone>,
    keys: HashSet<u64>,
    duplicates: bool,
    /// A direct batch's contacts appended more than once (the last one stays).
    repeated: Vec<(String, String)>,
    rows: u64,
    /// Rows go straight into `contacts` (the caller knows each one's stored state) rather
    /// than through `staging` and a merge.
    direct: bool,
    /// Stored rows a direct batch replaced.
    replaced: u64,
    /// Stored rows to delete before the batch's rows land: (tenant, id, bucket time).
    replacing: Vec<(String, String, Timestamp)>,
    rejections: Vec<NewRejection>,
    sources: SourceState,
}

/// Rows per Arrow record batch handed to the appender.
const ARROW_ROWS: usize = 8192;

impl DuckDbStore {
    /// Starts a batch of contacts, each matched against the stored ones when committed
    /// (insert, update or unchanged by tenant and id).
    pub fn begin_contacts(&self) -> Result<ContactBatch<'_>> {
        crate::duckdb::create_staging(&self.conn, "staging", "contacts", ", seq BIGINT")?;
        let appender = self
            .conn
            .appender_to_catalog_and_db("staging", "temp", "main")?;
        Ok(self.batch(appender, false))
    }

    /// Starts a batch, inside transaction `_tx`, of contacts whose stored state the caller
    /// knows ([`ContactBatch::append_new`], [`ContactBatch::append_replacing`]): they are
    /// appended straight to `contacts`, with no matching, so the cost of a batch does not
    /// grow with the table.
    pub fn begin_known_contacts(&self, _tx: &Transaction<'_>) -> Result<ContactBatch<'_>> {
        let appender = self.conn.appender("contacts")?;
        Ok(self.batch(appender, true))
    }

    fn batch<'s>(&'s self, appender: Appender<'s>, direct: bool) -> ContactBatch<'s> {
        ContactBatch {
            store: self,
            appender: Some(appender),
            columns: ContactColumns::default(),
            zones: HashMap::new(),
            keys: HashSet::new(),
            duplicates: false,
            repeated: Vec::new(),
            rows: 0,
            direct,
            replaced: 0,
            replacing: Vec::new(),
            rejections: Vec::new(),
            sources: SourceState::default(),
        }
    }
}

impl ContactBatch<'_> {
    /// Contacts appended so far.
    pub fn len(&self) -> u64 {
        self.rows
    }

    /// Whether nothing was appended or rejected.
    pub fn is_empty(&self) -> bool {
        self.rows == 0 && self.rejections.is_empty() && self.sources.is_empty()
    }

    /// What the batch writes besides contacts (agent intervals, open stints, checkpoint),
    /// in the same transaction.
    pub fn sources(&mut self) -> &mut SourceState {
        &mut self.sources
    }

    fn zone(&mut self, tenant: &TenantId) -> Result<TimeZone> {
        if let Some(t) = self.store.tenants.get(tenant.as_str()) {
            return Ok(t.tz.clone());
        }
        if let Some(z) = self.zones.get(tenant.as_str()) {
            return Ok(z.clone());
        }
        // A tenant first seen in the data: created with the defaults.
        crate::tenants::insert_default_tenant(&self.store.conn, tenant)?;
        let tz: String = self.store.conn.query_row(
            "SELECT timezone FROM tenants WHERE name = ?",
            [tenant.as_str()],
            |r| r.get(0),
        )?;
        let z = TimeZone::get(&tz).map_err(|_| StoreError::TimeZone(tz))?;
        self.zones.insert(tenant.to_string(), z.clone());
        Ok(z)
    }

    /// Appends one contact; `fingerprint` tells an unchanged re-import from an update.
    pub fn append(&mut self, c: &Contact, fingerprint: u64) -> Result<()> {
        if self.direct {
            return Err(StoreError::Invalid(format!(
                "contact {}: a batch of known contacts cannot match one",
                c.id
            )));
        }
        self.stage(c, fingerprint)
    }

    /// Appends a contact the caller knows is not stored (a batch of known contacts).
    pub fn append_new(&mut self, c: &Contact, fingerprint: u64) -> Result<()> {
        self.known_only(c)?;
        self.stage(c, fingerprint)
    }

    fn known_only(&self, c: &Contact) -> Result<()> {
        if self.direct {
            Ok(())
        } else {
            Err(StoreError::Invalid(format!(
                "contact {}: only a batch of known contacts takes it unmatched",
                c.id
            )))
        }
    }

    /// Appends a contact that replaces its stored row, which the caller knows is bucketed at
    /// `stored_bucket_at`. The stored rows are deleted together before the batch's rows reach
    /// the table, their times written into the statement so that the scan skips every row
    /// group but theirs.
    pub fn append_replacing(
        &mut self,
        c: &Contact,
        fingerprint: u64,
        stored_bucket_at: Timestamp,
    ) -> Result<()> {
        self.known_only(c)?;
        self.replacing
            .push((c.tenant.to_string(), c.id.clone(), stored_bucket_at));
        self.stage(c, fingerprint)
    }

    /// Deletes the stored rows of the contacts appended as replacing them.
    fn delete_replaced(&mut self) -> Result<()> {
        let times = self.replacing.iter().map(|r| r.2);
        let (Some(first), Some(last)) = (times.clone().min(), times.max()) else {
            return Ok(());
        };
        let conn = &self.store.conn;
        conn.execute_batch(
            "CREATE OR REPLACE TEMP TABLE replaced (tenant VARCHAR, id VARCHAR, bucket_at TIMESTAMP)",
        )?;
        {
            let mut app = conn.appender_to_catalog_and_db("replaced", "temp", "main")?;
            for (t, id, at) in &self.replacing {
                app.append_row(params![t, id, crate::sources::ts(*at)])?;
            }
            app.flush()?;
        }
        let deleted = conn.execute(
            &format!(
                "DELETE FROM contacts c USING temp.replaced r
                 WHERE c.bucket_at >= make_timestamp({}) AND c.bucket_at <= make_timestamp({})
                   AND c.tenant = r.tenant AND c.id = r.id AND c.bucket_at = r.bucket_at",
                first.as_microsecond(),
                last.as_microsecond()
            ),
            [],
        )?;
        conn.execute_batch("DROP TABLE temp.replaced")?;
        self.replaced += deleted as u64;
        self.replacing.clear();
        Ok(())
    }

    fn stage(&mut self, c: &Contact, fingerprint: u64) -> Result<()> {
        let tz = self.zone(&c.tenant)?;
        let mut h = std::collections::hash_map::DefaultHasher::new();
        (c.tenant.as_str(), c.id.as_str()).hash(&mut h);
        if !self.keys.insert(h.finish()) {
            self.duplicates = true;
            if self.direct {
                self.repeated.push((c.tenant.to_string(), c.id.clone()));
            }
        }
        self.rows += 1;
        let seq = i64::try_from(self.rows).unwrap_or(i64::MAX);
        self.columns.push_contact(c, fingerprint, &tz, seq)?;
        if self.columns.len() >= ARROW_ROWS {
            self.flush_columns()?;
        }
        Ok(())
    }

    fn flush_columns(&mut self) -> Result<()> {
        if self.columns.len() == 0 {
            return Ok(());
        }
        let mut batch = self
            .columns
            .finish()
            .map_err(|e| StoreError::Invalid(format!("arrow batch: {e}")))?;
        if self.direct {
            // `seq` (the last column) orders a staged batch; `contacts` has none.
            batch.remove_column(batch.num_columns() - 1);
            // Before any of these rows can reach the table (the appender holds them until
            // it flushes), the rows they replace go.
            self.delete_replaced()?;
        }
        self.append_to_table(batch)
    }

    /// Hands `batch` to the appender.
    fn append_to_table(&mut self, batch: RecordBatch) -> Result<()> {
        let app = self
            .appender
            .as_mut()
            .ok_or_else(|| StoreError::Invalid("batch already committed".into()))?;
        app.append_record_batch(batch)?;
        Ok(())
    }

    /// Appends contacts already laid out as rows (with `seq`, see [`crate::ContactRows`]) to a
    /// batch of matched contacts; among rows of one contact the highest `seq` wins.
    pub fn append_rows(&mut self, batch: RecordBatch) -> Result<()> {
        if self.direct {
            return Err(StoreError::Invalid(
                "a batch of known contacts takes contacts one by one".into(),
            ));
        }
        self.flush_columns()?;
        // The rows' keys are not looked at here: the merge removes repeats by `seq`.
        self.duplicates = true;
        self.rows += batch.num_rows() as u64;
        self.append_to_table(batch)
    }

    /// Adds a rejection, written to the quarantine in the same transaction as the contacts.
    pub fn reject(&mut self, r: NewRejection) {
        self.rejections.push(r);
    }

    /// Merges the batch into the store in one transaction (a batch of matched contacts).
    pub fn commit(mut self) -> Result<ImportCounts> {
        if self.direct {
            return Err(StoreError::Invalid(
                "a batch of known contacts is written inside its transaction (`write`)".into(),
            ));
        }
        let started = std::time::Instant::now();
        self.flush_appender()?;
        let flushed = started.elapsed();
        let tx = self.store.transaction()?;
        let counts = self.merge()?;
        tx.commit()?;
        self.store
            .conn
            .execute_batch("DROP TABLE IF EXISTS temp.staging")?;
        tracing::debug!(
            rows = self.rows,
            flush_ms = flushed.as_millis(),
            total_ms = started.elapsed().as_millis(),
            "committed a contact batch"
        );
        Ok(counts)
    }

    /// Merges the batch into the store inside the caller's transaction `_tx`.
    pub fn write(mut self, _tx: &Transaction<'_>) -> Result<ImportCounts> {
        self.flush_appender()?;
        let counts = self.merge()?;
        if !self.direct {
            self.store
                .conn
                .execute_batch("DROP TABLE IF EXISTS temp.staging")?;
        }
        Ok(counts)
    }

    fn flush_appender(&mut self) -> Result<()> {
        self.flush_columns()?;
        self.delete_replaced()?;
        if let Some(mut app) = self.appender.take() {
            app.flush()?;
        }
        Ok(())
    }

    /// Deletes all but the last appended row of each contact a direct batch appended more
    /// than once (they are all this transaction's rows, numbered in the order appended).
    fn remove_repeated(&self) -> Result<u64> {
        if self.repeated.is_empty() {
            return Ok(0);
        }
        let conn = &self.store.conn;
        conn.execute_batch("CREATE OR REPLACE TEMP TABLE repeated (tenant VARCHAR, id VARCHAR)")?;
        {
            let mut app = conn.appender_to_catalog_and_db("repeated", "temp", "main")?;
            for (t, id) in &self.repeated {
                app.append_row(params![t, id])?;
            }
            app.flush()?;
        }
        let removed = conn.execute(
            "DELETE FROM contacts WHERE rowid IN (
                 SELECT r FROM (
                     SELECT c.rowid AS r,
                            row_number() OVER (PARTITION BY c.tenant, c.id
                                               ORDER BY c.rowid DESC) AS n
                     FROM contacts c SEMI JOIN temp.repeated d
                       ON c.tenant = d.tenant AND c.id = d.id)
                 WHERE n > 1)",
            [],
        )?;
        conn.execute_batch("DROP TABLE temp.repeated")?;
        Ok(removed as u64)
    }

    fn merge(&self) -> Result<ImportCounts> {
        let conn = &self.store.conn;
        let started = std::time::Instant::now();
        let mut counts = ImportCounts::default();
        if self.direct {
            // A contact appended twice (the same record twice in a file): the last one stays,
            // and the repeat counts as an update of it.
            let repeats = self.remove_repeated()?;
            counts.updated = self.replaced + repeats;
            counts.inserted = self.rows.saturating_sub(self.replaced + repeats);
        } else if self.rows > 0 {
            if self.duplicates {
                // The same contact twice in one batch: the later line wins.
                conn.execute(
                    "DELETE FROM staging WHERE seq NOT IN
                     (SELECT max(seq) FROM staging GROUP BY tenant, id)",
                    [],
                )?;
            }
            let unchanged = conn.execute(
                "DELETE FROM staging USING contacts
                 WHERE contacts.tenant = staging.tenant AND contacts.id = staging.id
                   AND contacts.fingerprint = staging.fingerprint",
                [],
            )?;
            let replaced = conn.execute(
                "DELETE FROM contacts USING staging
                 WHERE contacts.tenant = staging.tenant AND contacts.id = staging.id",
                [],
            )?;
            let written = conn.execute(
                "INSERT INTO contacts SELECT * EXCLUDE (seq) FROM staging",
                [],
            )?;
            counts.unchanged = unchanged as u64;
            counts.updated = replaced as u64;
            counts.inserted = (written - replaced) as u64;
            // Lines that repeated a contact of the same batch count as updates of it.
            let duplicates = self.rows - (written + unchanged) as u64;
            counts.updated += duplicates;
        }
        crate::quarantine::insert_all(conn, &self.rejections)?;
        counts.rejected = self.rejections.len() as u64;
        let contacts_ms = started.elapsed().as_millis();
        crate::sources::write(self.store, &self.sources)?;
        tracing::debug!(
            contacts_ms,
            sources_ms = started.elapsed().as_millis() - contacts_ms,
            "merged a contact batch"
        );
        Ok(counts)
    }
}
