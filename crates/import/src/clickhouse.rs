//! `ccpulse import --format contacts` into a ClickHouse store: the same parsing, rejections
//! and quarantine as the embedded store's import, written in batches of `RowBinary`.
//!
//! Each batch is one INSERT: ClickHouse acknowledges it whole or not at all, and a batch
//! written again (an import run again after a crash) only adds versions that `FINAL` folds
//! into the same contacts.

use std::collections::HashMap;
use std::sync::atomic::Ordering;

use ccpulse_ingest::{parse_contact_line, LineReader};
use ccpulse_model::TenantId;
use ccpulse_store::{ClickHouseStore, ContactRows, NewRejection};
use jiff::tz::TimeZone;

use crate::contacts::rejection_tenant;
use crate::progress::progress_bar;
use crate::ImportSummary;

/// Contacts per INSERT: large enough that ClickHouse makes few parts, small enough to hold.
pub const CLICKHOUSE_BATCH_ROWS: usize = 200_000;

/// Imports canonical contact files into a ClickHouse store.
pub fn import_contacts_clickhouse(
    store: &mut ClickHouseStore,
    files: &[String],
    tenant: Option<&TenantId>,
    show_progress: bool,
) -> crate::Result<ImportSummary> {
    if let Some(t) = tenant {
        store.ensure_tenant(t)?;
    }
    let mut zones: HashMap<TenantId, TimeZone> = store
        .tenants()
        .into_iter()
        .map(|t| (t.name.clone(), t.tz.clone()))
        .collect();
    let mut summary = ImportSummary::default();
    let (opened, total) = summary.open_all(files);
    let bar = progress_bar(total, show_progress);
    let mut rows = ContactRows::default();
    let mut rejections: Vec<NewRejection> = Vec::new();
    let mut done_bytes = 0u64;
    for input in opened {
        let name = input.name.clone();
        let size = input.size.unwrap_or(0);
        let consumed = std::sync::Arc::clone(&input.consumed);
        bar.set_message(name.clone());
        let mut reader = LineReader::new(input.reader, &name);
        let mut buf = Vec::new();
        while let Some(line) = reader.next_line(&mut buf)? {
            if buf.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            summary.read += 1;
            let seq = i64::try_from(line).unwrap_or(i64::MAX);
            match parse_contact_line(&buf, line, tenant) {
                Ok(p) => {
                    let c = &p.contact;
                    if !zones.contains_key(&c.tenant) {
                        let t = store.ensure_tenant(&c.tenant)?;
                        zones.insert(c.tenant.clone(), t.tz);
                    }
                    let tz = zones.get(&c.tenant).cloned().unwrap_or(TimeZone::UTC);
                    if let Err(e) = rows.push(c, p.fingerprint, &tz, seq) {
                        let r = ccpulse_ingest::Rejection::new(line, None, e.to_string(), &buf);
                        rejections.push(summary.rejection(
                            c.tenant.to_string(),
                            "contacts",
                            &name,
                            r,
                        ));
                    }
                }
                Err(r) => {
                    let owner =
                        tenant.map_or_else(|| rejection_tenant(&r.raw), TenantId::to_string);
                    rejections.push(summary.rejection(owner, "contacts", &name, r));
                }
            }
            if rows.len() >= CLICKHOUSE_BATCH_ROWS {
                flush(store, &mut rows, &mut rejections, &mut summary)?;
            }
            bar.set_position(done_bytes + consumed.load(Ordering::Relaxed));
        }
        flush(store, &mut rows, &mut rejections, &mut summary)?;
        done_bytes += size;
        bar.set_position(done_bytes);
    }
    bar.finish_and_clear();
    Ok(summary)
}

/// Writes the rows and rejections gathered so far.
fn flush(
    store: &ClickHouseStore,
    rows: &mut ContactRows,
    rejections: &mut Vec<NewRejection>,
    summary: &mut ImportSummary,
) -> crate::Result<()> {
    if !rows.is_empty() {
        let batch = ContactRows::without_seq(rows.finish()?);
        summary.counts.inserted += store.write_contacts(&batch)?;
    }
    store.quarantine(rejections)?;
    summary.counts.rejected += rejections.len() as u64;
    rejections.clear();
    Ok(())
}
