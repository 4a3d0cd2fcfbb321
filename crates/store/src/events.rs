//! The event log of the live API: every accepted event once per (tenant, id), written in the
//! transaction of the contacts and agent intervals it builds. The live picture is rebuilt
//! from it on start.

use std::collections::HashSet;

use ::duckdb::{params, Connection};
use ccpulse_model::TenantId;
use jiff::Timestamp;

use crate::sources::ts;
use crate::{DuckDbStore, Result};

/// An event to log.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    pub tenant: TenantId,
    pub event_id: String,
    pub kind: String,
    pub contact_id: Option<String>,
    pub agent: Option<String>,
    pub at: Timestamp,
    /// The event's JSON.
    pub body: String,
}

/// Writes `events` inside the caller's transaction; ids already logged are left as they are.
pub(crate) fn write(conn: &Connection, events: &[NewEvent]) -> Result<()> {
    if events.is_empty() {
        return Ok(());
    }
    conn.execute_batch(
        "CREATE OR REPLACE TEMP TABLE staging_events AS
         SELECT tenant, event_id, type, contact_id, agent, event_at, body FROM events LIMIT 0",
    )?;
    {
        let mut app = conn.appender_to_catalog_and_db("staging_events", "temp", "main")?;
        for e in events {
            app.append_row(params![
                e.tenant.as_str(),
                e.event_id,
                e.kind,
                e.contact_id,
                e.agent,
                ts(e.at),
                e.body
            ])?;
        }
        app.flush()?;
    }
    conn.execute_batch(
        "INSERT INTO events (tenant, event_id, type, contact_id, agent, event_at, received_at, body)
         SELECT tenant, event_id, type, contact_id, agent, event_at, current_timestamp, body
         FROM staging_events ON CONFLICT DO NOTHING;
         DROP TABLE temp.staging_events;",
    )?;
    Ok(())
}

impl DuckDbStore {
    /// The first column of `SELECT {column} FROM events WHERE tenant = ? AND {key} IN (keys)
    /// {order}` as text, asking for the keys a thousand at a time (keys are bound, never
    /// spliced).
    fn events_where_in(
        &self,
        t: &TenantId,
        column: &str,
        key: &str,
        keys: &[&str],
        order: &str,
    ) -> Result<Vec<String>> {
        let mut out = Vec::new();
        let tenant = t.as_str();
        for chunk in keys.chunks(1000) {
            let sql = format!(
                "SELECT {column} FROM events WHERE tenant = ? AND {key} IN ({}) {order}",
                vec!["?"; chunk.len()].join(",")
            );
            let mut stmt = self.conn.prepare(&sql)?;
            let mut values: Vec<&dyn ::duckdb::ToSql> = vec![&tenant];
            values.extend(chunk.iter().map(|k| k as &dyn ::duckdb::ToSql));
            let rows = stmt.query_map(values.as_slice(), |r| r.get::<_, String>(0))?;
            for r in rows {
                out.push(r?);
            }
        }
        Ok(out)
    }

    /// Which of `ids` are already in the event log of `t`.
    pub fn known_events(&self, t: &TenantId, ids: &[&str]) -> Result<HashSet<String>> {
        Ok(self
            .events_where_in(t, "event_id", "event_id", ids, "")?
            .into_iter()
            .collect())
    }

    /// The logged events (JSON) of the given contacts of `t`, in arrival order per contact.
    pub fn contact_events(&self, t: &TenantId, contacts: &[&str]) -> Result<Vec<String>> {
        self.events_where_in(t, "body", "contact_id", contacts, "ORDER BY seq")
    }

    /// What the live picture is rebuilt from: the events of contacts that have not ended
    /// (last step after `since`) and each agent's latest state event.
    pub fn live_events(&self, t: &TenantId, since: Timestamp) -> Result<Vec<String>> {
        let mut stmt = self.conn.prepare(
            "WITH open AS (
                 SELECT contact_id FROM events WHERE tenant = ? AND contact_id IS NOT NULL
                 GROUP BY contact_id
                 HAVING count_if(type IN ('ended', 'abandoned')) = 0 AND max(event_at) >= ?
             ),
             -- Each agent's latest state, and its latest event naming a queue (the floor
             -- carries an agent's queue from event to event).
             agent_events AS (
                 SELECT body, event_at, seq, agent,
                        json_extract_string(body, '$.queue') IS NOT NULL AS has_queue
                 FROM events WHERE tenant = ? AND type = 'agent_state'
             ),
             latest_agent AS (
                 SELECT arg_max(seq, (event_at, seq)) AS seq FROM agent_events GROUP BY agent
                 UNION
                 SELECT arg_max(seq, (event_at, seq)) FROM agent_events WHERE has_queue
                 GROUP BY agent
             )
             SELECT body FROM (
                 SELECT e.body, e.event_at, e.seq FROM events e JOIN open o USING (contact_id)
                 WHERE e.tenant = ?
                 UNION ALL
                 SELECT a.body, a.event_at, a.seq FROM agent_events a JOIN latest_agent USING (seq)
             ) ORDER BY event_at, seq",
        )?;
        let tenant = t.as_str();
        let rows = stmt.query_map(params![tenant, ts(since), tenant, tenant], |r| {
            r.get::<_, String>(0)
        })?;
        Ok(rows.collect::<std::result::Result<_, _>>()?)
    }

    /// How many events of `t` are logged.
    pub fn count_events(&self, t: &TenantId) -> Result<u64> {
        let n: i64 = self.conn.query_row(
            "SELECT count(*) FROM events WHERE tenant = ?",
            [t.as_str()],
            |r| r.get(0),
        )?;
        Ok(u64::try_from(n).unwrap_or(0))
    }
}
