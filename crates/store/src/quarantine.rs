//! The quarantine: rejected records with where and why, for inspection and replay.

use ::duckdb::{params, Connection};

use ccpulse_model::TenantId;

use crate::{DuckDbStore, Result};

/// A rejection to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRejection {
    pub tenant: String,
    /// Import format, e.g. `contacts`.
    pub format: String,
    /// File name as given (`-` for stdin).
    pub file: String,
    pub line: u64,
    pub field: Option<String>,
    pub reason: String,
    pub raw: String,
}

/// A stored rejection.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct QuarantineEntry {
    pub id: i64,
    pub tenant: String,
    pub format: String,
    pub file: String,
    pub line: u64,
    pub field: Option<String>,
    pub reason: String,
    pub raw: String,
    /// UTC, RFC 3339.
    pub rejected_at: String,
}

impl From<QuarantineEntry> for NewRejection {
    /// The rejection again (to keep it in another store, or reject it anew).
    fn from(e: QuarantineEntry) -> Self {
        Self {
            tenant: e.tenant,
            format: e.format,
            file: e.file,
            line: e.line,
            field: e.field,
            reason: e.reason,
            raw: e.raw,
        }
    }
}

/// Records a rejection; the same record rejected again at the same place is kept once.
pub(crate) fn insert(conn: &Connection, r: &NewRejection) -> Result<()> {
    let line = i64::try_from(r.line).unwrap_or(i64::MAX);
    conn.execute(
        "DELETE FROM quarantine WHERE tenant = ? AND format = ? AND file = ? AND line = ? AND raw = ?",
        params![r.tenant, r.format, r.file, line, r.raw],
    )?;
    conn.execute(
        "INSERT INTO quarantine (tenant, format, file, line, field, reason, raw)
         VALUES (?, ?, ?, ?, ?, ?, ?)",
        params![r.tenant, r.format, r.file, line, r.field, r.reason, r.raw],
    )?;
    Ok(())
}

/// Records rejections in one go (the same record rejected again at the same place is kept
/// once, the newest): staged by an appender, then one DELETE of the places they replace and
/// one INSERT, so a file of bad lines goes in about as fast as good ones.
pub(crate) fn insert_all(conn: &Connection, rs: &[NewRejection]) -> Result<()> {
    if rs.len() <= 4 {
        return rs.iter().try_for_each(|r| insert(conn, r));
    }
    conn.execute_batch(
        "CREATE TEMP TABLE IF NOT EXISTS quarantine_new (
             n BIGINT, tenant VARCHAR, format VARCHAR, file VARCHAR, line BIGINT,
             field VARCHAR, reason VARCHAR, raw VARCHAR);
         DELETE FROM quarantine_new;",
    )?;
    {
        let mut app = conn.appender("quarantine_new")?;
        for (n, r) in rs.iter().enumerate() {
            app.append_row(params![
                i64::try_from(n).unwrap_or(i64::MAX),
                r.tenant,
                r.format,
                r.file,
                i64::try_from(r.line).unwrap_or(i64::MAX),
                r.field,
                r.reason,
                r.raw
            ])?;
        }
        app.flush()?;
    }
    conn.execute_batch(
        "DELETE FROM quarantine q USING quarantine_new s
          WHERE q.tenant = s.tenant AND q.format = s.format AND q.file = s.file
            AND q.line = s.line AND q.raw = s.raw;
         INSERT INTO quarantine (tenant, format, file, line, field, reason, raw)
         SELECT tenant, format, file, line, field, reason, raw FROM quarantine_new
         QUALIFY row_number() OVER (PARTITION BY tenant, format, file, line, raw ORDER BY n DESC) = 1
         ORDER BY n;
         DELETE FROM quarantine_new;",
    )?;
    Ok(())
}

impl DuckDbStore {
    /// Records one rejection (the server's: a contact whose end never came).
    pub fn add_rejection(&self, r: &NewRejection) -> Result<()> {
        insert(&self.conn, r)
    }

    /// Rejections, oldest first; only `tenant`'s when given.
    pub fn quarantine(&self, tenant: Option<&TenantId>) -> Result<Vec<QuarantineEntry>> {
        let tenant = tenant.map(TenantId::as_str);
        let mut stmt = self.conn.prepare(
            "SELECT qid, tenant, format, file, line, field, reason, raw,
                    strftime(rejected_at, '%Y-%m-%dT%H:%M:%SZ')
             FROM quarantine WHERE CAST(? AS VARCHAR) IS NULL OR tenant = CAST(? AS VARCHAR) ORDER BY qid",
        )?;
        let rows = stmt.query_map(params![tenant, tenant], |r| {
            Ok(QuarantineEntry {
                id: r.get(0)?,
                tenant: r.get(1)?,
                format: r.get(2)?,
                file: r.get(3)?,
                line: u64::try_from(r.get::<_, i64>(4)?).unwrap_or(0),
                field: r.get(5)?,
                reason: r.get(6)?,
                raw: r.get(7)?,
                rejected_at: r.get(8)?,
            })
        })?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }
}

impl DuckDbStore {
    /// One rejection by its id.
    pub fn quarantine_entry(&self, id: i64) -> Result<Option<QuarantineEntry>> {
        Ok(self.quarantine(None)?.into_iter().find(|e| e.id == id))
    }

    /// Removes rejections that were replayed into the store.
    pub fn remove_quarantined(&self, ids: &[i64]) -> Result<()> {
        for id in ids {
            self.conn
                .execute("DELETE FROM quarantine WHERE qid = ?", params![id])?;
        }
        Ok(())
    }

    /// The raw records (with their ids) `tenant`'s imports in `format` left in the quarantine.
    pub fn quarantined_raw(&self, tenant: &TenantId, format: &str) -> Result<Vec<(i64, String)>> {
        let tenant = tenant.as_str();
        let mut stmt = self.conn.prepare(
            "SELECT qid, raw FROM quarantine WHERE tenant = ? AND format = ? ORDER BY qid",
        )?;
        let rows = stmt.query_map(params![tenant, format], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    /// Records why a replayed rejection is still rejected.
    pub fn update_quarantined(&self, id: i64, field: Option<&str>, reason: &str) -> Result<()> {
        self.conn.execute(
            "UPDATE quarantine SET field = ?, reason = ?, rejected_at = current_timestamp WHERE qid = ?",
            params![field, reason, id],
        )?;
        Ok(())
    }
}
