//! Day rollups kept in memory beside the store (see `ccpulse_metrics::rollup`).
//!
//! The rows live in an in-memory database attached to the store's DuckDB instance
//! (`ccpulse_rollup`), one table per question shape, with each day's token: the day's
//! contacts counted and their fingerprints summed when its rows were taken. Before a question
//! is answered from them, the days of its range whose token changed (a contact added, changed,
//! deleted, moved to another day by a new time zone) or whose rows are missing are taken again
//! from the contacts, in the same transaction that reads the tokens: the answer is what the
//! contacts give at that moment. A server turns rollups on ([`DuckDbStore::use_rollups`]); a
//! one-off command asks the contacts straight.

use std::sync::{Mutex, PoisonError};

use ::duckdb::{params_from_iter, OptionalExt as _};
use ccpulse_metrics::Rollup;

use crate::{DuckDbStore, Result};

/// Rollup tables kept at most; the least recently used go first.
const SHAPES: i64 = 32;
/// A shape whose rows would be more than this share of its contacts is not kept (the
/// contacts are asked straight), once the store has more contacts than [`SMALL`].
const WORTH: i64 = 4;
const SMALL: i64 = 100_000;

/// One builder at a time in the process: two requests of one shape would write the same rows.
static BUILDING: Mutex<()> = Mutex::new(());

const SETUP: &str = "ATTACH IF NOT EXISTS ':memory:' AS ccpulse_rollup;
    CREATE TABLE IF NOT EXISTS ccpulse_rollup.shapes (
        shape VARCHAR PRIMARY KEY, used BIGINT NOT NULL, worth BOOLEAN NOT NULL);
    CREATE TABLE IF NOT EXISTS ccpulse_rollup.days (
        shape VARCHAR NOT NULL, tenant VARCHAR NOT NULL, day DATE NOT NULL,
        n BIGINT NOT NULL, fp HUGEINT NOT NULL)";

impl DuckDbStore {
    /// Answers questions of whole days from day rollups kept in memory (a server does; the
    /// rows are taken on the first question of a shape and kept current).
    pub fn use_rollups(&mut self, on: bool) {
        self.rollups = on;
    }

    /// The table to answer `r` from, its days current; `None` when the contacts are asked
    /// straight (rollups off, a transaction open, a shape not worth keeping).
    pub(crate) fn rollup_table(&self, r: &Rollup) -> Result<Option<String>> {
        if !self.rollups || !self.conn.is_autocommit() {
            return Ok(None);
        }
        let _one = BUILDING.lock().unwrap_or_else(PoisonError::into_inner);
        self.conn.execute_batch(SETUP)?;
        let worth: Option<bool> = self
            .conn
            .query_row(
                "SELECT worth FROM ccpulse_rollup.shapes WHERE shape = ?",
                [&r.shape],
                |row| row.get(0),
            )
            .optional()?;
        if worth == Some(false) {
            return Ok(None);
        }
        let table = format!("ccpulse_rollup.r_{}", r.shape);
        let tenant = r.build_params.first().cloned().unwrap_or_default();
        self.conn.execute_batch("BEGIN TRANSACTION")?;
        let built = self.take_stale_days(r, &table, &tenant, worth.is_none());
        let built = match built {
            Ok(b) => {
                self.conn.execute_batch("COMMIT")?;
                b
            }
            Err(e) => {
                self.conn.execute_batch("ROLLBACK")?;
                return Err(e);
            }
        };
        if worth.is_none() {
            // A new shape: kept if worth it, and then the least used go past the cap.
            if !self.worth_keeping(r, &table, &tenant, built)? {
                return Ok(None);
            }
            self.forget_unused()?;
        }
        Ok(Some(table))
    }

    /// Takes again the days of `r`'s range whose contacts changed since their rows were
    /// taken (all of them for a new shape); the contacts read.
    fn take_stale_days(&self, r: &Rollup, table: &str, tenant: &str, new: bool) -> Result<i64> {
        let mut range_c = String::new();
        let mut range_s = String::new();
        let mut bounds = Vec::new();
        if let Some(d) = r.from_day {
            range_c.push_str(" AND local_date >= CAST(? AS DATE)");
            range_s.push_str(" AND day >= CAST(? AS DATE)");
            bounds.push(d.to_string());
        }
        if let Some(d) = r.to_day {
            range_c.push_str(" AND local_date < CAST(? AS DATE)");
            range_s.push_str(" AND day < CAST(? AS DATE)");
            bounds.push(d.to_string());
        }
        if new {
            // An empty table of the right columns (no day is in the empty list).
            self.conn.execute(
                &format!(
                    "CREATE OR REPLACE TABLE {table} AS {}",
                    r.build_sql.replace("{days}", "NULL")
                ),
                params_from_iter(r.build_params.iter()),
            )?;
            self.conn.execute(
                "INSERT OR REPLACE INTO ccpulse_rollup.shapes VALUES (?, epoch_us(now()), true)",
                [&r.shape],
            )?;
            self.conn.execute(
                "DELETE FROM ccpulse_rollup.days WHERE shape = ?",
                [&r.shape],
            )?;
        }
        let mut args: Vec<String> = vec![tenant.to_owned()];
        args.extend(bounds.iter().cloned());
        args.extend([r.shape.clone(), tenant.to_owned()]);
        args.extend(bounds.iter().cloned());
        let mut stmt = self.conn.prepare(&format!(
            "SELECT CAST(coalesce(c.day, s.day) AS VARCHAR), c.n
             FROM (SELECT local_date AS day, count(*) AS n, sum(fingerprint) AS fp
                   FROM contacts WHERE tenant = ?{range_c} GROUP BY local_date) c
             FULL OUTER JOIN (SELECT day, n, fp FROM ccpulse_rollup.days
                              WHERE shape = ? AND tenant = ?{range_s}) s
               ON c.day = s.day
             WHERE c.n IS DISTINCT FROM s.n OR c.fp IS DISTINCT FROM s.fp"
        ))?;
        let stale: Vec<(String, Option<i64>)> = stmt
            .query_map(params_from_iter(args.iter()), |row| {
                Ok((row.get(0)?, row.get(1)?))
            })?
            .collect::<std::result::Result<_, _>>()?;
        self.conn.execute(
            "UPDATE ccpulse_rollup.shapes SET used = epoch_us(now()) WHERE shape = ?",
            [&r.shape],
        )?;
        if stale.is_empty() {
            return Ok(0);
        }
        // Days as DuckDB wrote them (YYYY-MM-DD), so literals are safe.
        let days = stale
            .iter()
            .map(|(d, _)| format!("DATE '{d}'"))
            .collect::<Vec<_>>()
            .join(", ");
        let read = stale.iter().filter_map(|(_, n)| *n).sum();
        self.conn.execute(
            &format!("DELETE FROM {table} WHERE tenant = ? AND day IN ({days})"),
            [tenant],
        )?;
        self.conn.execute(
            &format!(
                "INSERT INTO {table} {}",
                r.build_sql.replace("{days}", &days)
            ),
            params_from_iter(r.build_params.iter()),
        )?;
        self.conn.execute(
            &format!(
                "DELETE FROM ccpulse_rollup.days WHERE shape = ? AND tenant = ? AND day IN ({days})"
            ),
            [&r.shape, tenant],
        )?;
        self.conn.execute(
            &format!(
                "INSERT INTO ccpulse_rollup.days
                 SELECT ?, tenant, local_date, count(*), sum(fingerprint) FROM contacts
                 WHERE tenant = ? AND local_date IN ({days}) GROUP BY tenant, local_date"
            ),
            [&r.shape, tenant],
        )?;
        Ok(read)
    }

    /// Whether a new shape's rows are few enough beside the `read` contacts they came from;
    /// if not, its table goes and the shape is asked straight from now on.
    fn worth_keeping(&self, r: &Rollup, table: &str, tenant: &str, read: i64) -> Result<bool> {
        let rows: i64 = self.conn.query_row(
            &format!("SELECT count(*) FROM {table} WHERE tenant = ?"),
            [tenant],
            |row| row.get(0),
        )?;
        if read <= SMALL || rows * WORTH <= read {
            return Ok(true);
        }
        tracing::debug!(shape = %r.shape, rows, read, "a day rollup not worth keeping");
        self.conn
            .execute_batch(&format!("DROP TABLE IF EXISTS {table}"))?;
        self.conn.execute(
            "DELETE FROM ccpulse_rollup.days WHERE shape = ?",
            [&r.shape],
        )?;
        self.conn.execute(
            "UPDATE ccpulse_rollup.shapes SET worth = false WHERE shape = ?",
            [&r.shape],
        )?;
        Ok(false)
    }

    /// Drops the least recently used shapes beyond [`SHAPES`].
    fn forget_unused(&self) -> Result<()> {
        let mut stmt = self.conn.prepare(
            "SELECT shape FROM ccpulse_rollup.shapes WHERE worth
             ORDER BY used DESC OFFSET ?",
        )?;
        let old: Vec<String> = stmt
            .query_map([SHAPES], |row| row.get(0))?
            .collect::<std::result::Result<_, _>>()?;
        for shape in old {
            self.conn
                .execute_batch(&format!("DROP TABLE IF EXISTS ccpulse_rollup.r_{shape}"))?;
            self.conn
                .execute("DELETE FROM ccpulse_rollup.days WHERE shape = ?", [&shape])?;
            self.conn.execute(
                "DELETE FROM ccpulse_rollup.shapes WHERE shape = ?",
                [&shape],
            )?;
        }
        Ok(())
    }
}
