//! What ClickHouse keeps beside contacts (schema 2): agents, tickets, the subscriber base and
//! agent state intervals, each a `ReplacingMergeTree(_version)` keyed as DuckDB keys it, so a
//! record written again replaces the stored one and reads with `FINAL` see each once.
//!
//! They come in from a DuckDB store (the data directory's, for `store copy`, or the temporary
//! one an import is read into), as Arrow batches written as `RowBinary`. What is written is
//! counted as DuckDB counts it: a key not stored is inserted, a stored key with other content
//! updated, a stored key with the same content unchanged (and not written again): the rows'
//! `RowBinary` bytes are compared with the stored rows' read back in the same format.

use std::collections::HashMap;
use std::ops::Range;

use ::duckdb::arrow::array::{Array, AsArray};
use ::duckdb::arrow::datatypes::{DataType, Int64Type};
use ccpulse_metrics::clickhouse::literal;
use ccpulse_model::TenantId;

use super::{rowbinary, ClickHouseStore};
use crate::{ImportCounts, RecordBatch, Result, StoreError};

/// A table kept beside contacts.
pub(crate) struct SideTable {
    pub name: &'static str,
    /// ClickHouse's columns (without `_version`), the key's first.
    pub columns: &'static str,
    /// How many of the first columns are the key (the tenant first).
    pub key: usize,
    /// The sharding key on a cluster.
    pub shard: &'static str,
    /// DuckDB's SELECT of the same columns, in order, for one tenant (`?`).
    pub select: &'static str,
}

/// The tables of schema 2. Times are `DateTime` (seconds) with their microseconds beside
/// them (`*_us`) where a figure is computed from them (18.16 has no `DateTime64`).
pub(crate) const SIDE_TABLES: [SideTable; 4] = [
    SideTable {
        name: "agents",
        columns: "tenant String, id String, name Nullable(String), team Nullable(String), \
            skill_groups Nullable(String), hired_on Nullable(Date), left_on Nullable(Date), \
            scheduled_minutes Nullable(Float64)",
        key: 2,
        shard: "cityHash64(tenant, id)",
        select: "SELECT tenant, id, name, team, skill_groups, hired_on, left_on, \
            scheduled_minutes FROM agents WHERE tenant = ? ORDER BY id",
    },
    SideTable {
        name: "tickets",
        columns: "tenant String, id String, kind String, contact_id Nullable(String), \
            customer Nullable(String), business_line Nullable(String), \
            category Nullable(String), leaf Nullable(String), channel Nullable(String), \
            created_at DateTime('UTC'), closed_at Nullable(DateTime('UTC')), \
            valid Nullable(UInt8), escalated UInt8, escalated_via Nullable(String), \
            refund Nullable(Float64), satisfaction Nullable(String), local_ts DateTime('UTC'), \
            created_us Int64, closed_us Nullable(Int64)",
        key: 2,
        shard: "cityHash64(tenant, id)",
        select: "SELECT tenant, id, kind, contact_id, customer, business_line, category, leaf, \
            channel, created_at, closed_at, valid, escalated, escalated_via, refund, \
            satisfaction, local_ts, epoch_us(created_at), epoch_us(closed_at) \
            FROM tickets WHERE tenant = ? ORDER BY id",
    },
    SideTable {
        name: "subscribers",
        columns: "tenant String, month String, business_line String, subscribers UInt64",
        key: 3,
        shard: "cityHash64(tenant, month)",
        select: "SELECT tenant, month, business_line, subscribers FROM subscribers \
            WHERE tenant = ? ORDER BY month, business_line",
    },
    // Kept last: `copy_recent_states` reads it there.
    SideTable {
        name: "agent_states",
        columns: "tenant String, agent String, state String, start_us Int64, \
            reason Nullable(String), queue Nullable(String), start_at DateTime('UTC'), \
            end_at Nullable(DateTime('UTC')), end_us Nullable(Int64), source String",
        key: 4,
        shard: "cityHash64(tenant, agent)",
        select: "SELECT tenant, agent, state, epoch_us(start_at), reason, queue, start_at, \
            end_at, epoch_us(end_at), source FROM agent_states WHERE tenant = ? \
            ORDER BY agent, start_at, state",
    },
];

impl SideTable {
    /// Each column's name and type, `Nullable(...)` unwrapped, and whether it is nullable.
    fn column_types(&self) -> Vec<(&'static str, &'static str, bool)> {
        self.columns
            .split(", ")
            .filter_map(|c| c.trim().split_once(' '))
            .map(|(name, t)| match t.strip_prefix("Nullable(") {
                Some(inner) => (name, inner.strip_suffix(')').unwrap_or(inner), true),
                None => (name, t, false),
            })
            .collect()
    }

    /// The table's engine and sorting key.
    pub fn engine(&self) -> String {
        let names: Vec<&str> = self
            .column_types()
            .iter()
            .take(self.key)
            .map(|c| c.0)
            .collect();
        format!(
            "ReplacingMergeTree(_version) ORDER BY ({})",
            names.join(", ")
        )
    }

    /// The columns with `_version`, as the table is created.
    pub fn create_columns(&self) -> String {
        format!("{}, _version UInt64", self.columns)
    }
}

/// How many bytes a fixed-size ClickHouse type takes in `RowBinary`; `None` for `String`.
fn fixed_size(t: &str) -> Result<Option<usize>> {
    Ok(Some(match t {
        "String" => return Ok(None),
        "UInt8" | "Int8" => 1,
        "Int16" | "UInt16" | "Date" => 2,
        "Int32" | "UInt32" | "DateTime('UTC')" => 4,
        "Int64" | "UInt64" | "Float64" => 8,
        other => {
            return Err(StoreError::Invalid(format!(
                "no RowBinary reader for ClickHouse {other}"
            )))
        }
    }))
}

/// The end of the value of type `t` at `at` in `bytes`.
fn value_end(bytes: &[u8], mut at: usize, t: &str, nullable: bool) -> Result<usize> {
    let short = || StoreError::ClickHouse("a RowBinary answer cut short".to_owned());
    if nullable {
        let flag = *bytes.get(at).ok_or_else(short)?;
        at += 1;
        if flag == 1 {
            return Ok(at);
        }
    }
    let end = match fixed_size(t)? {
        Some(n) => at + n,
        None => {
            let (mut len, mut shift) = (0u64, 0);
            loop {
                let b = *bytes.get(at).ok_or_else(short)?;
                at += 1;
                len |= u64::from(b & 0x7f) << shift;
                shift += 7;
                if b & 0x80 == 0 {
                    break;
                }
            }
            at + usize::try_from(len).map_err(|_| short())?
        }
    };
    if end > bytes.len() {
        return Err(short());
    }
    Ok(end)
}

/// Each row of a `RowBinary` answer in `columns`: the bytes of its key (its first `key`
/// columns) and of the whole row.
fn split_rows(
    bytes: &[u8],
    columns: &[(&str, &str, bool)],
    key: usize,
) -> Result<Vec<(Range<usize>, Range<usize>)>> {
    let mut rows = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        let start = at;
        let mut key_end = at;
        for (i, (_, t, nullable)) in columns.iter().enumerate() {
            at = value_end(bytes, at, t, *nullable)?;
            if i + 1 == key {
                key_end = at;
            }
        }
        rows.push((start..key_end, start..at));
    }
    Ok(rows)
}

/// Column `c` of `batch` at `row` as a ClickHouse literal (the key columns: text or integers).
fn key_literal(batch: &RecordBatch, c: usize, row: usize) -> Result<String> {
    let column = batch.column(c);
    match column.data_type() {
        DataType::Utf8 => Ok(literal(column.as_string::<i32>().value(row))),
        DataType::Int64 => Ok(column.as_primitive::<Int64Type>().value(row).to_string()),
        other => Err(StoreError::Invalid(format!("a key column of type {other}"))),
    }
}

impl ClickHouseStore {
    /// Copies `tenant`'s rows of every side table of `from` here, counted as an import counts
    /// them (all tables together).
    pub(crate) fn copy_side_tables(
        &self,
        from: &crate::DuckDbStore,
        tenant: &TenantId,
    ) -> Result<ImportCounts> {
        let mut counts = ImportCounts::default();
        for table in &SIDE_TABLES {
            from.select_batches(table.select, tenant, |batch| {
                counts += self.merge_side(table, &batch)?;
                Ok(())
            })?;
        }
        Ok(counts)
    }

    /// Copies `tenant`'s agent intervals of `from` that are open or ended at or after `since`
    /// (what a running server changes), counted as an import counts them.
    pub(crate) fn copy_recent_states(
        &self,
        from: &crate::DuckDbStore,
        tenant: &TenantId,
        since: jiff::Timestamp,
    ) -> Result<ImportCounts> {
        let table = &SIDE_TABLES[3];
        let select = table.select.replace(
            "WHERE tenant = ?",
            &format!(
                "WHERE tenant = ? AND (end_at IS NULL OR end_at >= make_timestamp({}))",
                since.as_microsecond()
            ),
        );
        let mut counts = ImportCounts::default();
        from.select_batches(&select, tenant, |batch| {
            counts += self.merge_side(table, &batch)?;
            Ok(())
        })?;
        Ok(counts)
    }

    /// Writes the rows of `batch` (in `table`'s columns, one per key) that are new or changed.
    fn merge_side(&self, table: &SideTable, batch: &RecordBatch) -> Result<ImportCounts> {
        let columns = table.column_types();
        let schema = batch.schema();
        if schema.fields().len() != columns.len() {
            return Err(StoreError::Invalid(format!(
                "{}: {} columns read for {} stored",
                table.name,
                schema.fields().len(),
                columns.len()
            )));
        }
        for (f, (name, t, _)) in schema.fields().iter().zip(&columns) {
            if rowbinary::type_of(f.data_type())? != *t {
                return Err(StoreError::Invalid(format!(
                    "{}.{name}: {} read for {t} stored",
                    table.name,
                    f.data_type()
                )));
            }
        }
        let nullable: Vec<bool> = columns.iter().map(|c| c.2).collect();
        // Each row as RowBinary (its key's bytes first), and the stored rows of those keys.
        let mut body = Vec::with_capacity(batch.num_rows() * 96);
        rowbinary::encode(batch, &nullable, |_, _| {}, &mut body)?;
        let new_rows = split_rows(&body, &columns, table.key)?;
        let stored = self.stored_rows(table, batch, &columns)?;
        let mut counts = ImportCounts::default();
        let base = super::now_micros();
        let mut out = Vec::with_capacity(body.len() + 8 * new_rows.len());
        for (i, (key, row)) in new_rows.iter().enumerate() {
            match stored.get(&body[key.clone()]) {
                Some(s) if s.as_slice() == &body[row.clone()] => {
                    counts.unchanged += 1;
                    continue;
                }
                Some(_) => counts.updated += 1,
                None => counts.inserted += 1,
            }
            out.extend_from_slice(&body[row.clone()]);
            out.extend_from_slice(&(base + i as u64).to_le_bytes());
        }
        if !out.is_empty() {
            let names: Vec<&str> = columns.iter().map(|c| c.0).collect();
            self.insert(
                &format!("{} ({}, _version)", table.name, names.join(", ")),
                "RowBinary",
                &out,
            )?;
        }
        Ok(counts)
    }

    /// The stored rows (their last versions) of the keys in `batch`, as RowBinary by their
    /// keys' bytes.
    fn stored_rows(
        &self,
        table: &SideTable,
        batch: &RecordBatch,
        columns: &[(&str, &str, bool)],
    ) -> Result<HashMap<Vec<u8>, Vec<u8>>> {
        let names: Vec<&str> = columns.iter().map(|c| c.0).collect();
        let keys = &names[..table.key];
        let mut tuples = Vec::with_capacity(batch.num_rows());
        for row in 0..batch.num_rows() {
            let parts = (0..table.key)
                .map(|c| key_literal(batch, c, row))
                .collect::<Result<Vec<_>>>()?;
            tuples.push(format!("({})", parts.join(", ")));
        }
        let mut out = HashMap::new();
        for chunk in tuples.chunks(20_000) {
            let bytes = self.endpoint().run_bytes(
                Some(&self.url.database),
                &format!(
                    "SELECT {} FROM {} FINAL WHERE ({}) IN ({}) FORMAT RowBinary",
                    names.join(", "),
                    table.name,
                    keys.join(", "),
                    chunk.join(", ")
                ),
                &[("max_query_size", "1073741824")],
            )?;
            for (key, row) in split_rows(&bytes, columns, table.key)? {
                out.insert(bytes[key].to_vec(), bytes[row].to_vec());
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_split_at_their_columns() {
        let columns = [
            ("a", "String", false),
            ("b", "Int64", true),
            ("c", "Date", false),
        ];
        // ("xy", NULL, 3), ("", 7, 1)
        let mut bytes = vec![2, b'x', b'y', 1, 3, 0];
        bytes.extend_from_slice(&[0, 0]);
        bytes.extend_from_slice(&7i64.to_le_bytes());
        bytes.extend_from_slice(&[1, 0]);
        let rows = split_rows(&bytes, &columns, 1).expect("rows");
        assert_eq!(rows, vec![(0..3, 0..6), (6..7, 6..18)]);
        assert!(split_rows(&bytes[..10], &columns, 1).is_err());
    }

    #[test]
    fn side_tables_key_their_first_columns() {
        let t = &SIDE_TABLES[3];
        assert_eq!(
            t.engine(),
            "ReplacingMergeTree(_version) ORDER BY (tenant, agent, state, start_us)"
        );
        assert!(t.column_types().iter().take(t.key).all(|c| !c.2));
    }
}
