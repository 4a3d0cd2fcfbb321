//! The event log of the live API: every accepted event once per (tenant, id), written in the
//! transaction of the contacts and agent intervals it builds. The live picture is rebuilt
//! from it on start.

use std::collections::HashSet;

use ::duckdb::params;
use ccpulse_model::TenantId;
use jiff::Timestamp;

use crate::sources::ts;
use crate::{DuckDbStore, Result, Transaction};

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

/// Appends `rows` (each event numbered) as `events` rows received at `received` (µs), as one
/// Arrow record batch in the table's column order: far cheaper than a call per value.
fn append_events(
    app: &mut ::duckdb::Appender<'_>,
    rows: &[(i64, &NewEvent)],
    received: i64,
) -> Result<()> {
    use ::duckdb::arrow::array::{
        ArrayRef, Int64Builder, StringBuilder, TimestampMicrosecondBuilder,
    };
    use ::duckdb::arrow::datatypes::{DataType, Field, Schema, TimeUnit};
    use std::sync::Arc;
    if rows.is_empty() {
        return Ok(());
    }
    let mut tenant = StringBuilder::new();
    let mut id = StringBuilder::new();
    let mut seq = Int64Builder::new();
    let mut kind = StringBuilder::new();
    let mut contact = StringBuilder::new();
    let mut agent = StringBuilder::new();
    let mut at = TimestampMicrosecondBuilder::new();
    let mut got = TimestampMicrosecondBuilder::new();
    let mut body = StringBuilder::new();
    for (n, e) in rows {
        tenant.append_value(e.tenant.as_str());
        id.append_value(&e.event_id);
        seq.append_value(*n);
        kind.append_value(&e.kind);
        contact.append_option(e.contact_id.as_deref());
        agent.append_option(e.agent.as_deref());
        at.append_value(e.at.as_microsecond());
        got.append_value(received);
        body.append_value(&e.body);
    }
    let ts = || DataType::Timestamp(TimeUnit::Microsecond, None);
    let schema = Schema::new(vec![
        Field::new("tenant", DataType::Utf8, false),
        Field::new("event_id", DataType::Utf8, false),
        Field::new("seq", DataType::Int64, false),
        Field::new("type", DataType::Utf8, false),
        Field::new("contact_id", DataType::Utf8, true),
        Field::new("agent", DataType::Utf8, true),
        Field::new("event_at", ts(), false),
        Field::new("received_at", ts(), false),
        Field::new("body", DataType::Utf8, false),
    ]);
    let arrays: Vec<ArrayRef> = vec![
        Arc::new(tenant.finish()),
        Arc::new(id.finish()),
        Arc::new(seq.finish()),
        Arc::new(kind.finish()),
        Arc::new(contact.finish()),
        Arc::new(agent.finish()),
        Arc::new(at.finish()),
        Arc::new(got.finish()),
        Arc::new(body.finish()),
    ];
    let batch = ::duckdb::arrow::record_batch::RecordBatch::try_new(Arc::new(schema), arrays)
        .map_err(|e| crate::StoreError::Invalid(format!("arrow batch of events: {e}")))?;
    app.append_record_batch(batch)?;
    Ok(())
}

/// Keys the live writer remembers.
#[derive(Debug, Clone, Copy)]
pub enum Keys {
    /// Every stored contact and every contact the event log names.
    Contacts,
    /// Every logged event.
    Events,
}

impl Keys {
    fn sql(self) -> &'static str {
        match self {
            Self::Contacts => {
                "SELECT tenant, id FROM contacts
                 UNION ALL SELECT tenant, contact_id FROM events WHERE contact_id IS NOT NULL"
            }
            Self::Events => "SELECT tenant, event_id FROM events",
        }
    }
}

impl DuckDbStore {
    /// Logs `events` inside transaction `_tx` and returns the ones that were new. An event
    /// whose `surely_new` flag is set is known by the caller not to be logged yet and is
    /// appended as it is; the others are looked up in the log, which costs more the larger
    /// the log, so callers that can tell should. Ids must not repeat within `events`.
    ///
    /// The log has no index on its ids (it would grow with every event ever taken, in time
    /// per append and in memory): the caller is the log's only writer and keeps ids unique.
    pub fn log_events(
        &self,
        _tx: &Transaction<'_>,
        events: &[NewEvent],
        surely_new: &[bool],
    ) -> Result<HashSet<(TenantId, String)>> {
        let mut fresh = HashSet::new();
        if events.is_empty() {
            return Ok(fresh);
        }
        let conn = &self.conn;
        let mut seq = match self.event_seq.get() {
            Some(s) => s,
            None => conn.query_row("SELECT coalesce(max(seq), 0) FROM events", [], |r| {
                r.get::<_, i64>(0)
            })?,
        };
        let now = jiff::Timestamp::now().as_microsecond();
        let mut rows = Vec::with_capacity(events.len());
        let mut checked = Vec::new();
        for (e, sure) in events
            .iter()
            .zip(surely_new.iter().chain(std::iter::repeat(&false)))
        {
            seq += 1;
            if *sure {
                rows.push((seq, e));
            } else {
                checked.push((seq, e));
            }
        }
        if !checked.is_empty() {
            // A resent event mostly comes as it was, at the same time: looked up with its
            // time first, which lets DuckDB skip the log's row groups of other times. What
            // is not found so (a filter's false positive, an id sent again with another
            // time) is looked up by id over the whole log.
            let probe: Vec<&NewEvent> = checked.iter().map(|(_, e)| *e).collect();
            let mut known = self.already_logged(&probe, true)?;
            let rest: Vec<&NewEvent> = probe
                .into_iter()
                .filter(|e| !known.contains(&(e.tenant.as_str(), e.event_id.as_str())))
                .collect();
            if !rest.is_empty() {
                let by_id = self.already_logged(&rest, false)?;
                known.extend(by_id);
            }
            rows.extend(
                checked
                    .into_iter()
                    .filter(|(_, e)| !known.contains(&(e.tenant.as_str(), e.event_id.as_str()))),
            );
        }
        if !rows.is_empty() {
            let mut app = conn.appender("events")?;
            append_events(&mut app, &rows, now)?;
            app.flush()?;
        }
        for (_, e) in rows {
            fresh.insert((e.tenant.clone(), e.event_id.clone()));
        }
        self.event_seq.set(Some(seq));
        Ok(fresh)
    }

    /// Which of `events` (tenant and id) the log holds already; with `same_time`, only an
    /// entry at the event's own time counts (a cheaper lookup that finds a resent event).
    fn already_logged<'e>(
        &self,
        events: &[&'e NewEvent],
        same_time: bool,
    ) -> Result<HashSet<(&'e str, &'e str)>> {
        let conn = &self.conn;
        conn.execute_batch(
            "CREATE OR REPLACE TEMP TABLE logged_probe (
                 tenant VARCHAR NOT NULL, event_id VARCHAR NOT NULL, event_at TIMESTAMP NOT NULL
             )",
        )?;
        {
            let mut app = conn.appender_to_catalog_and_db("logged_probe", "temp", "main")?;
            for e in events {
                app.append_row(params![e.tenant.as_str(), e.event_id, ts(e.at)])?;
            }
            app.flush()?;
        }
        let time = if same_time {
            " AND e.event_at = p.event_at"
        } else {
            ""
        };
        let mut stmt = conn.prepare(&format!(
            "SELECT DISTINCT p.tenant, p.event_id FROM logged_probe p
             JOIN events e ON e.tenant = p.tenant AND e.event_id = p.event_id{time}"
        ))?;
        let found = stmt
            .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?
            .collect::<std::result::Result<HashSet<_>, _>>()?;
        conn.execute_batch("DROP TABLE temp.logged_probe")?;
        Ok(events
            .iter()
            .filter(|e| found.contains(&(e.tenant.as_str().to_owned(), e.event_id.clone())))
            .map(|e| (e.tenant.as_str(), e.event_id.as_str()))
            .collect())
    }

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

    /// How many rows [`DuckDbStore::each_key`] passes for `keys`.
    pub fn count_keys(&self, keys: Keys) -> Result<u64> {
        let n: i64 =
            self.conn
                .query_row(&format!("SELECT count(*) FROM ({})", keys.sql()), [], |r| {
                    r.get(0)
                })?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// Calls `f` with the tenant and key of every row of `keys` (a key may come more than
    /// once), for the live writer's filters.
    pub fn each_key(&self, keys: Keys, mut f: impl FnMut(&str, &str)) -> Result<()> {
        let mut stmt = self.conn.prepare(keys.sql())?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let text = |i: usize| -> Result<&str> {
                r.get_ref(i)?
                    .as_str()
                    .map_err(|e| crate::StoreError::Invalid(format!("key: {e}")))
            };
            f(text(0)?, text(1)?);
        }
        Ok(())
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
