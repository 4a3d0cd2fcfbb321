//! What sources other than canonical contacts keep beside the contacts: agent state intervals,
//! open queue_log stints, unknown queue_log lines and tail checkpoints. All of it is written in
//! the transaction of the contact batch it came with, so a crash never splits them.

use ::duckdb::types::{TimeUnit, Value};
use std::sync::Arc;

use ::duckdb::arrow::array::{
    ArrayRef, BooleanBuilder, StringBuilder, TimestampMicrosecondBuilder,
};
use ::duckdb::arrow::datatypes::{DataType, Field, Schema, TimeUnit as ArrowTimeUnit};
use ::duckdb::arrow::record_batch::RecordBatch;
use ::duckdb::{params, Appender};
use ccpulse_model::{AgentInterval, AgentState, OpenStint, TenantId};
use jiff::Timestamp;

use crate::{DuckDbStore, Result, StoreError};

/// A queue_log line with a word ccpulse does not know.
#[derive(Debug, Clone, PartialEq)]
pub struct UnknownLine {
    pub tenant: TenantId,
    pub file: String,
    pub line: u64,
    pub at: Timestamp,
    pub call_id: Option<String>,
    pub queue: Option<String>,
    pub agent: Option<String>,
    pub verb: String,
    pub data: String,
}

/// How far `ccpulse tail` has read a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    pub tenant: TenantId,
    pub path: String,
    /// What identifies the file across renames (device and inode).
    pub file_id: String,
    pub byte_offset: u64,
    pub line: u64,
}

/// Everything besides contacts a batch writes.
#[derive(Debug, Default, Clone)]
pub struct SourceState {
    pub open_add: Vec<OpenStint>,
    pub open_remove: Vec<OpenStint>,
    pub intervals: Vec<AgentInterval>,
    /// Open intervals now closed: their open rows are removed (the closed ones are in
    /// `intervals`).
    pub intervals_closed: Vec<AgentInterval>,
    /// The caller knows `intervals` are not stored and `intervals_closed` are stored open
    /// (live events): they are written without matching against the stored intervals, so
    /// the cost does not grow with the table. Otherwise (imports) an interval replaces the
    /// stored one of the same agent, state and start.
    pub intervals_known: bool,
    pub unknown: Vec<UnknownLine>,
    pub checkpoint: Option<Checkpoint>,
    /// Quarantine entries the batch's input settles (read again now): removed in the same
    /// transaction, before which the batch's own rejections are recorded afresh.
    pub quarantine_resolved: Vec<i64>,
}

impl SourceState {
    /// Whether there is nothing to write.
    pub fn is_empty(&self) -> bool {
        self.open_add.is_empty()
            && self.open_remove.is_empty()
            && self.intervals.is_empty()
            && self.intervals_closed.is_empty()
            && self.unknown.is_empty()
            && self.checkpoint.is_none()
            && self.quarantine_resolved.is_empty()
    }
}

/// A UTC instant as a DuckDB `TIMESTAMP` value.
pub(crate) fn ts(t: Timestamp) -> Value {
    Value::Timestamp(TimeUnit::Microsecond, t.as_microsecond())
}

/// A naive (tenant-local wall clock) timestamp in microseconds as a `TIMESTAMP` value.
pub(crate) fn naive_ts(micros: i64) -> Value {
    Value::Timestamp(TimeUnit::Microsecond, micros)
}

fn from_micros(m: i64) -> Result<Timestamp> {
    Timestamp::from_microsecond(m).map_err(|e| StoreError::Invalid(format!("timestamp {m}: {e}")))
}

fn int(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// Rows per Arrow record batch of agent intervals.
const INTERVAL_ROWS: usize = 16_384;

/// Appends agent intervals in the columns of `agent_states`, followed by `remove` when given
/// (the staging table's), as Arrow record batches: far cheaper than a call per row.
fn append_intervals<'a>(
    app: &mut Appender<'_>,
    rows: impl Iterator<Item = (&'a AgentInterval, Option<bool>)>,
) -> Result<()> {
    interval_batches(rows, |batch| Ok(app.append_record_batch(batch)?))?;
    app.flush()?;
    Ok(())
}

/// Lays agent intervals out as Arrow record batches (see [`append_intervals`]) for `take`.
fn interval_batches<'a>(
    rows: impl Iterator<Item = (&'a AgentInterval, Option<bool>)>,
    mut take: impl FnMut(RecordBatch) -> Result<()>,
) -> Result<()> {
    let mut rows = rows.peekable();
    while rows.peek().is_some() {
        let mut tenant = StringBuilder::new();
        let mut agent = StringBuilder::new();
        let mut state = StringBuilder::new();
        let mut reason = StringBuilder::new();
        let mut queue = StringBuilder::new();
        let mut start = TimestampMicrosecondBuilder::new();
        let mut end = TimestampMicrosecondBuilder::new();
        let mut source = StringBuilder::new();
        let mut remove = BooleanBuilder::new();
        let mut with_remove = false;
        for (i, r) in rows.by_ref().take(INTERVAL_ROWS) {
            tenant.append_value(i.tenant.as_str());
            agent.append_value(&i.agent);
            state.append_value(i.state.as_str());
            reason.append_option(i.reason.as_deref());
            queue.append_option(i.queue.as_deref());
            start.append_value(i.start.as_microsecond());
            end.append_option(i.end.map(Timestamp::as_microsecond));
            source.append_value(&i.source);
            with_remove = r.is_some();
            remove.append_option(r);
        }
        let ts = || DataType::Timestamp(ArrowTimeUnit::Microsecond, None);
        let mut fields = vec![
            Field::new("tenant", DataType::Utf8, false),
            Field::new("agent", DataType::Utf8, false),
            Field::new("state", DataType::Utf8, false),
            Field::new("reason", DataType::Utf8, true),
            Field::new("queue", DataType::Utf8, true),
            Field::new("start_at", ts(), false),
            Field::new("end_at", ts(), true),
            Field::new("source", DataType::Utf8, false),
        ];
        let mut arrays: Vec<ArrayRef> = vec![
            Arc::new(tenant.finish()),
            Arc::new(agent.finish()),
            Arc::new(state.finish()),
            Arc::new(reason.finish()),
            Arc::new(queue.finish()),
            Arc::new(start.finish()),
            Arc::new(end.finish()),
            Arc::new(source.finish()),
        ];
        if with_remove {
            fields.push(Field::new("remove", DataType::Boolean, true));
            arrays.push(Arc::new(remove.finish()));
        }
        let batch = RecordBatch::try_new(Arc::new(Schema::new(fields)), arrays)
            .map_err(|e| StoreError::Invalid(format!("arrow batch of agent intervals: {e}")))?;
        take(batch)?;
    }
    Ok(())
}

/// Intervals appended at once beyond which they go through DuckDB's parallel insert.
const PARALLEL_INTERVALS: usize = 50_000;

/// Deletes the stored open rows of `closed` (known by tenant, agent, state and start): one
/// statement for them all, the earliest start written into it so that the scan skips the row
/// groups before it (a statement each cost more than the rest of a live group's writing).
fn delete_open(conn: &::duckdb::Connection, closed: &[AgentInterval]) -> Result<()> {
    let Some(earliest) = closed.iter().map(|i| i.start).min() else {
        return Ok(());
    };
    crate::duckdb::create_staging(conn, "closed_states", "agent_states", "")?;
    {
        let mut app = conn.appender_to_catalog_and_db("closed_states", "temp", "main")?;
        append_intervals(&mut app, closed.iter().map(|i| (i, None)))?;
    }
    conn.execute(
        &format!(
            "DELETE FROM agent_states a USING temp.closed_states c
             WHERE a.start_at >= make_timestamp({}) AND a.end_at IS NULL
               AND a.tenant = c.tenant AND a.agent = c.agent AND a.state = c.state
               AND a.start_at = c.start_at",
            earliest.as_microsecond()
        ),
        [],
    )?;
    conn.execute_batch("DROP TABLE temp.closed_states")?;
    Ok(())
}

/// Writes `s` inside the caller's transaction.
pub(crate) fn write(store: &crate::DuckDbStore, s: &SourceState) -> Result<()> {
    let conn = &store.conn;
    store.remove_quarantined(&s.quarantine_resolved)?;
    if s.intervals_known {
        delete_open(conn, &s.intervals_closed)?;
        let rows = s.intervals.iter().map(|i| (i, None));
        if s.intervals.len() > PARALLEL_INTERVALS {
            let mut batches = Vec::new();
            interval_batches(rows, |b| {
                batches.push(b);
                Ok(())
            })?;
            if let Some(first) = batches.first() {
                let feed = crate::feed::Feed::preloaded(first.schema(), batches)?;
                store.insert_feed("agent_states", feed.handle())?;
            }
        } else {
            append_intervals(&mut conn.appender("agent_states")?, rows)?;
        }
    } else if !s.intervals.is_empty() || !s.intervals_closed.is_empty() {
        crate::duckdb::create_staging(conn, "staging_states", "agent_states", ", remove BOOLEAN")?;
        let rows = s
            .intervals
            .iter()
            .map(|i| (i, Some(false)))
            .chain(s.intervals_closed.iter().map(|i| (i, Some(true))));
        append_intervals(
            &mut conn.appender_to_catalog_and_db("staging_states", "temp", "main")?,
            rows,
        )?;
        // An interval is known by (tenant, agent, state, start): a re-import replaces it.
        conn.execute_batch(
            "DELETE FROM agent_states a USING staging_states s
             WHERE a.tenant = s.tenant AND a.agent = s.agent AND a.state = s.state
               AND a.start_at = s.start_at AND (NOT s.remove OR a.end_at IS NULL);
             INSERT INTO agent_states SELECT * EXCLUDE (remove) FROM staging_states
             WHERE NOT remove;
             DROP TABLE temp.staging_states;",
        )?;
    }
    let close = |o: &OpenStint| {
        conn.execute(
            "DELETE FROM queue_log_open
             WHERE tenant = ? AND call_id = ? AND queue = ? AND enter_epoch = ?",
            params![o.tenant.as_str(), o.call_id, o.queue, o.enter_epoch],
        )
    };
    for o in &s.open_remove {
        close(o)?;
    }
    for o in &s.open_add {
        close(o)?;
        // A stint some other import already closed is not open again.
        conn.execute(
            "INSERT INTO queue_log_open
             SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?
             WHERE NOT EXISTS (SELECT 1 FROM contacts
                               WHERE tenant = ? AND call_id = ? AND queue = ? AND queued_at = ?)",
            params![
                o.tenant.as_str(),
                o.call_id,
                o.queue,
                o.enter_epoch,
                ts(o.enter_at),
                o.customer,
                o.agent,
                o.ring_s,
                o.file,
                int(o.line),
                o.tenant.as_str(),
                o.call_id,
                o.queue,
                ts(o.enter_at)
            ],
        )?;
    }
    for u in &s.unknown {
        conn.execute(
            "DELETE FROM queue_log_other WHERE tenant = ? AND file = ? AND line = ?",
            params![u.tenant.as_str(), u.file, int(u.line)],
        )?;
        conn.execute(
            "INSERT INTO queue_log_other VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            params![
                u.tenant.as_str(),
                u.file,
                int(u.line),
                ts(u.at),
                u.call_id,
                u.queue,
                u.agent,
                u.verb,
                u.data
            ],
        )?;
    }
    if let Some(c) = &s.checkpoint {
        conn.execute(
            "INSERT OR REPLACE INTO tail_checkpoints (tenant, path, file_id, byte_offset, line)
             VALUES (?, ?, ?, ?, ?)",
            params![
                c.tenant.as_str(),
                c.path,
                c.file_id,
                int(c.byte_offset),
                int(c.line)
            ],
        )?;
    }
    Ok(())
}

impl DuckDbStore {
    /// The queue_log stints of `t` still waiting for their end.
    pub fn open_stints(&self, t: &TenantId) -> Result<Vec<OpenStint>> {
        let mut stmt = self.conn.prepare(
            "SELECT call_id, queue, enter_epoch, epoch_us(enter_at), customer, agent, ring_s,
                    file, line
             FROM queue_log_open WHERE tenant = ? ORDER BY enter_at",
        )?;
        let rows = stmt.query_map([t.as_str()], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, i64>(3)?,
                r.get::<_, Option<String>>(4)?,
                r.get::<_, Option<String>>(5)?,
                r.get::<_, Option<f64>>(6)?,
                r.get::<_, String>(7)?,
                r.get::<_, i64>(8)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (call_id, queue, enter_epoch, at, customer, agent, ring_s, file, line) = row?;
            out.push(OpenStint {
                tenant: t.clone(),
                call_id,
                queue,
                enter_epoch,
                enter_at: from_micros(at)?,
                customer,
                agent,
                ring_s,
                file,
                line: u64::try_from(line).unwrap_or(0),
            });
        }
        Ok(out)
    }

    /// The agent intervals of `t` that have not ended.
    pub fn open_intervals(&self, t: &TenantId) -> Result<Vec<AgentInterval>> {
        let mut stmt = self.conn.prepare(
            "SELECT agent, state, reason, queue, epoch_us(start_at), source
             FROM agent_states WHERE tenant = ? AND end_at IS NULL ORDER BY start_at",
        )?;
        let rows = stmt.query_map([t.as_str()], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, Option<String>>(2)?,
                r.get::<_, Option<String>>(3)?,
                r.get::<_, i64>(4)?,
                r.get::<_, String>(5)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (agent, state, reason, queue, start, source) = row?;
            let state = AgentState::parse(&state)
                .ok_or_else(|| StoreError::Invalid(format!("unknown agent state `{state}`")))?;
            out.push(AgentInterval {
                tenant: t.clone(),
                agent,
                state,
                reason,
                queue,
                start: from_micros(start)?,
                end: None,
                source,
            });
        }
        Ok(out)
    }

    /// Where `ccpulse tail` stopped reading `path` for `t`.
    pub fn checkpoint(&self, t: &TenantId, path: &str) -> Result<Option<Checkpoint>> {
        let mut stmt = self.conn.prepare(
            "SELECT file_id, byte_offset, line FROM tail_checkpoints WHERE tenant = ? AND path = ?",
        )?;
        let mut rows = stmt.query(params![t.as_str(), path])?;
        let Some(r) = rows.next()? else {
            return Ok(None);
        };
        Ok(Some(Checkpoint {
            tenant: t.clone(),
            path: path.to_owned(),
            file_id: r.get(0)?,
            byte_offset: u64::try_from(r.get::<_, i64>(1)?).unwrap_or(0),
            line: u64::try_from(r.get::<_, i64>(2)?).unwrap_or(0),
        }))
    }

    /// Whether the store holds any contact or agent interval of tenant `t` (one that has none
    /// can take an import without matching it against what is stored).
    pub fn tenant_has_rows(&self, t: &TenantId) -> Result<bool> {
        Ok(self.conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM contacts WHERE tenant = ?)
                 OR EXISTS (SELECT 1 FROM agent_states WHERE tenant = ?)",
            params![t.as_str(), t.as_str()],
            |r| r.get(0),
        )?)
    }

    /// Which of `ids` the store already has for `t`.
    pub fn existing_contacts(
        &self,
        t: &TenantId,
        ids: &[&str],
    ) -> Result<std::collections::HashSet<String>> {
        let mut found = std::collections::HashSet::new();
        let mut stmt = self
            .conn
            .prepare("SELECT id FROM contacts WHERE tenant = ? AND id = ?")?;
        for id in ids {
            let mut rows = stmt.query(params![t.as_str(), id])?;
            if let Some(r) = rows.next()? {
                found.insert(r.get::<_, String>(0)?);
            }
        }
        Ok(found)
    }

    /// Counts of queue_log lines with unknown words, per word.
    pub fn unknown_verbs(&self, t: &TenantId) -> Result<Vec<(String, u64)>> {
        let mut stmt = self.conn.prepare(
            "SELECT verb, count(*) FROM queue_log_other WHERE tenant = ? GROUP BY verb ORDER BY verb",
        )?;
        let rows = stmt.query_map([t.as_str()], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (v, n) = row?;
            out.push((v, u64::try_from(n).unwrap_or(0)));
        }
        Ok(out)
    }
}
