//! Agents, tickets and the subscriber base: upserts with the quarantine in the same transaction.
//! Their figures are catalog metrics (`table = "tickets"`, `"subscribers"`, `"agents"`).

use ::duckdb::params;
use ccpulse_model::{naive_micros, Agent, LocalParts, Subscribers, Ticket};

use ccpulse_model::TenantId;

use crate::quarantine::{self, NewRejection};
use crate::sources::{naive_ts, ts};
use crate::{DuckDbStore, ImportCounts, Result, StoreError};

impl DuckDbStore {
    /// Writes tickets (upsert by tenant and id) and rejections in one transaction.
    pub fn put_tickets(
        &mut self,
        tickets: &[Ticket],
        rejections: &[NewRejection],
    ) -> Result<ImportCounts> {
        // The last record of an id wins when an id repeats within the batch.
        let mut last = std::collections::HashMap::new();
        for (i, t) in tickets.iter().enumerate() {
            last.insert((t.tenant.as_str(), t.id.as_str()), i);
        }
        let tickets: Vec<&Ticket> = tickets
            .iter()
            .enumerate()
            .filter(|(i, t)| last.get(&(t.tenant.as_str(), t.id.as_str())) == Some(i))
            .map(|(_, t)| t)
            .collect();
        let mut zones = std::collections::HashMap::new();
        for t in &tickets {
            if !zones.contains_key(t.tenant.as_str()) {
                let tenant = self.ensure_tenant(&t.tenant)?;
                zones.insert(t.tenant.as_str().to_owned(), tenant.tz);
            }
        }
        crate::duckdb::create_staging(&self.conn, "new_tickets", "tickets", "")?;
        {
            let mut app = self
                .conn
                .appender_to_catalog_and_db("new_tickets", "temp", "main")?;
            for t in &tickets {
                let tz = zones
                    .get(t.tenant.as_str())
                    .ok_or_else(|| StoreError::UnknownTenant(t.tenant.to_string()))?;
                let local = LocalParts::of(t.created_at, tz);
                let leaf = t
                    .category
                    .as_deref()
                    .and_then(|c| c.rsplit('/').next())
                    .map(str::to_owned);
                app.append_row(params![
                    t.tenant.as_str(),
                    t.id,
                    t.kind.as_str(),
                    t.contact_id,
                    t.customer,
                    t.business_line,
                    t.category,
                    leaf,
                    t.channel,
                    ts(t.created_at),
                    t.closed_at.map_or(::duckdb::types::Value::Null, ts),
                    t.valid,
                    t.escalated,
                    t.escalated_via,
                    t.refund,
                    t.satisfaction.map(|s| s.as_str()),
                    naive_ts(naive_micros(local.datetime)),
                ])?;
            }
            app.flush()?;
        }
        self.in_transaction(|| {
            let (fresh, changed): (i64, i64) = self.conn.query_row(
                "SELECT coalesce(count_if(t.id IS NULL), 0),
                        coalesce(count_if(t.id IS NOT NULL AND row(n.kind, n.contact_id, n.customer, n.business_line, n.category, n.channel, n.created_at, n.closed_at, n.valid, n.escalated, n.escalated_via, n.refund, n.satisfaction)
                            IS DISTINCT FROM row(t.kind, t.contact_id, t.customer, t.business_line, t.category, t.channel, t.created_at, t.closed_at, t.valid, t.escalated, t.escalated_via, t.refund, t.satisfaction)), 0)
                 FROM new_tickets n LEFT JOIN tickets t USING (tenant, id)",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?;
            self.conn
                .execute_batch("INSERT OR REPLACE INTO tickets SELECT * FROM new_tickets")?;
            quarantine::insert_all(&self.conn, rejections)?;
            let n = u64::try_from(tickets.len()).unwrap_or(0);
            let fresh = u64::try_from(fresh).unwrap_or(0);
            let changed = u64::try_from(changed).unwrap_or(0);
            Ok(ImportCounts {
                inserted: fresh,
                updated: changed,
                unchanged: n.saturating_sub(fresh + changed),
                rejected: u64::try_from(rejections.len()).unwrap_or(0),
            })
        })
    }

    /// Writes agents (upsert by tenant and id) and rejections in one transaction.
    pub fn put_agents(
        &mut self,
        agents: &[Agent],
        rejections: &[NewRejection],
    ) -> Result<ImportCounts> {
        for a in agents {
            self.ensure_tenant(&a.tenant)?;
        }
        self.in_transaction(|| {
            let mut counts = ImportCounts::default();
            for a in agents {
                let day = |d: Option<jiff::civil::Date>| d.map(|d| d.to_string());
                let row = params![
                    a.tenant.as_str(),
                    a.id,
                    a.name,
                    a.team,
                    a.skill_groups.join(","),
                    day(a.hired_on),
                    day(a.left_on),
                    a.scheduled_minutes
                ];
                let same: Option<bool> = self
                    .conn
                    .query_row(
                        "SELECT row(name, team, skill_groups, CAST(hired_on AS VARCHAR),
                                    CAST(left_on AS VARCHAR), scheduled_minutes)
                                IS NOT DISTINCT FROM row(?, ?, ?, ?, ?, ?)
                         FROM agents WHERE tenant = ? AND id = ?",
                        params![
                            a.name,
                            a.team,
                            a.skill_groups.join(","),
                            day(a.hired_on),
                            day(a.left_on),
                            a.scheduled_minutes,
                            a.tenant.as_str(),
                            a.id
                        ],
                        |r| r.get(0),
                    )
                    .ok();
                match same {
                    None => counts.inserted += 1,
                    Some(true) => counts.unchanged += 1,
                    Some(false) => counts.updated += 1,
                }
                self.conn.execute(
                    "INSERT OR REPLACE INTO agents VALUES (?, ?, ?, ?, ?, CAST(? AS DATE), CAST(? AS DATE), ?)",
                    row,
                )?;
            }
            quarantine::insert_all(&self.conn, rejections)?;
            counts.rejected = u64::try_from(rejections.len()).unwrap_or(0);
            Ok(counts)
        })
    }

    /// Writes subscriber counts (upsert by tenant, month and business line) and rejections in
    /// one transaction.
    pub fn put_subscribers(
        &mut self,
        rows: &[Subscribers],
        rejections: &[NewRejection],
    ) -> Result<ImportCounts> {
        for r in rows {
            self.ensure_tenant(&r.tenant)?;
        }
        self.in_transaction(|| {
            let mut counts = ImportCounts::default();
            for r in rows {
                let before: Option<u64> = self
                    .conn
                    .query_row(
                        "SELECT subscribers FROM subscribers
                         WHERE tenant = ? AND month = ? AND business_line = ?",
                        params![r.tenant.as_str(), r.month, r.business_line],
                        |row| row.get(0),
                    )
                    .ok();
                match before {
                    None => counts.inserted += 1,
                    Some(b) if b == r.subscribers => counts.unchanged += 1,
                    Some(_) => counts.updated += 1,
                }
                self.conn.execute(
                    "INSERT OR REPLACE INTO subscribers VALUES (?, ?, ?, ?)",
                    params![r.tenant.as_str(), r.month, r.business_line, r.subscribers],
                )?;
            }
            quarantine::insert_all(&self.conn, rejections)?;
            counts.rejected = u64::try_from(rejections.len()).unwrap_or(0);
            Ok(counts)
        })
    }

    /// Subscribers per business line in `month` (`2021-02`).
    pub fn subscribers(&self, tenant: &TenantId, month: &str) -> Result<Vec<(String, u64)>> {
        let tenant = tenant.as_str();
        let mut stmt = self.conn.prepare(
            "SELECT business_line, subscribers FROM subscribers
             WHERE tenant = ? AND month = ? ORDER BY business_line",
        )?;
        let rows = stmt.query_map(params![tenant, month], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<std::result::Result<_, _>>()?)
    }
}
