//! `ccpulse import --format contacts` into a ClickHouse store: the same parsing, rejections
//! and quarantine as the embedded store's import, written in batches of `RowBinary`.
//!
//! Each batch is one INSERT: ClickHouse acknowledges it whole or not at all, and a batch
//! written again (an import run again after a crash) only adds versions that `FINAL` folds
//! into the same contacts. As on DuckDB, a contact is counted inserted, updated or unchanged
//! against what is stored (its fingerprint), and an unchanged one is not written again.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::Ordering;

use ccpulse_ingest::{parse_contact_line, LineReader, ParsedContact};
use ccpulse_model::TenantId;
use ccpulse_store::{ClickHouseStore, ContactRows, NewRejection};
use jiff::tz::TimeZone;

use crate::contacts::{key_hash, rejection_tenant, seq};
use crate::progress::progress_bar;
use crate::ImportSummary;

/// Contacts per INSERT: large enough that ClickHouse makes few parts, small enough to hold.
pub const CLICKHOUSE_BATCH_ROWS: usize = 200_000;

/// What an import holds between batches.
struct Pending {
    /// The batch's contacts with their fingerprints and positions, in file order.
    contacts: Vec<(ParsedContact, i64)>,
    rejections: Vec<NewRejection>,
    /// Tenants that had contacts when the import began: any of theirs may be stored.
    stored: HashSet<TenantId>,
    /// Keys this import wrote: another contact of a tenant that had none can only be stored
    /// if it is among them.
    seen: HashSet<u64, foldhash::fast::FixedState>,
    zones: HashMap<TenantId, TimeZone>,
}

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
    let mut pending = Pending {
        contacts: Vec::new(),
        rejections: Vec::new(),
        stored: store.tenants_with_contacts()?,
        seen: HashSet::with_hasher(foldhash::fast::FixedState::with_seed(0x5eed)),
        zones: store
            .tenants()
            .into_iter()
            .map(|t| (t.name.clone(), t.tz.clone()))
            .collect(),
    };
    let mut summary = ImportSummary::default();
    let (opened, total) = summary.open_all(files);
    let bar = progress_bar(total, show_progress);
    let mut done_bytes = 0u64;
    for (file, input) in opened.into_iter().enumerate() {
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
            match parse_contact_line(&buf, line, tenant) {
                Ok(p) => {
                    if !pending.zones.contains_key(&p.contact.tenant) {
                        let t = store.ensure_tenant(&p.contact.tenant)?;
                        pending.zones.insert(p.contact.tenant.clone(), t.tz);
                    }
                    pending.contacts.push((p, seq(file, line)));
                }
                Err(r) => {
                    let owner =
                        tenant.map_or_else(|| rejection_tenant(&r.raw), TenantId::to_string);
                    pending
                        .rejections
                        .push(summary.rejection(owner, "contacts", &name, r));
                }
            }
            if pending.contacts.len() >= CLICKHOUSE_BATCH_ROWS {
                flush(store, &mut pending, &mut summary, &name)?;
            }
            bar.set_position(done_bytes + consumed.load(Ordering::Relaxed));
        }
        flush(store, &mut pending, &mut summary, &name)?;
        done_bytes += size;
        bar.set_position(done_bytes);
    }
    bar.finish_and_clear();
    Ok(summary)
}

/// Writes the contacts gathered so far that are new or changed, and the rejections.
fn flush(
    store: &ClickHouseStore,
    pending: &mut Pending,
    summary: &mut ImportSummary,
    file: &str,
) -> crate::Result<()> {
    // What is stored of the batch's contacts that may be stored: their fingerprints.
    let mut known = store.stored_fingerprints(
        pending
            .contacts
            .iter()
            .map(|(p, _)| &p.contact)
            .filter(|c| {
                pending.stored.contains(&c.tenant)
                    || pending.seen.contains(&key_hash(&c.tenant, &c.id))
            })
            .map(|c| (c.tenant.as_str(), c.id.as_str())),
    )?;
    let mut rows = ContactRows::default();
    for (p, at) in pending.contacts.drain(..) {
        let c = &p.contact;
        let key = (c.tenant.to_string(), c.id.clone());
        let before = known.get(&key).copied();
        if before == Some(p.fingerprint) {
            summary.counts.unchanged += 1;
            continue;
        }
        let tz = pending
            .zones
            .get(&c.tenant)
            .cloned()
            .unwrap_or(TimeZone::UTC);
        if let Err(e) = rows.push(c, p.fingerprint, &tz, at) {
            let line = u64::try_from(at & ((1 << 40) - 1)).unwrap_or(0);
            let r = ccpulse_ingest::Rejection::new(line, None, e.to_string(), c.id.as_bytes());
            pending
                .rejections
                .push(summary.rejection(c.tenant.to_string(), "contacts", file, r));
            continue;
        }
        if before.is_some() {
            summary.counts.updated += 1;
        } else {
            summary.counts.inserted += 1;
        }
        pending.seen.insert(key_hash(&c.tenant, &c.id));
        known.insert(key, p.fingerprint);
    }
    if !rows.is_empty() {
        let batch = ContactRows::without_seq(rows.finish()?);
        store.write_contacts(&batch)?;
    }
    store.quarantine(&pending.rejections)?;
    summary.counts.rejected += pending.rejections.len() as u64;
    pending.rejections.clear();
    Ok(())
}
