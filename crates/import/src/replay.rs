//! `ccpulse quarantine replay`: rejected records read again, after a fix (a tenant created, a
//! catalog or parser fixed, the raw record edited by hand in the source and re-imported). What
//! now parses is imported and leaves the quarantine; what still fails keeps its new reason.
//!
//! Formats whose records stand alone are replayed here: contacts, tickets, subscribers,
//! agents, agent-states, Asterisk CDRs and Connect CTRs (with `--mapping` when the fix was in
//! the mapping, else the default one), and CSV/xlsx rows, whose quarantined text holds the
//! file's header, through the `--mapping` given (without one they wait). A queue_log line is
//! read in the context of its call's other lines: its file, where it still is, is imported
//! again (an upsert: nothing counts twice), which settles the entries of the lines it reads.

use std::collections::BTreeMap;
use std::path::Path;

use ccpulse_ingest::{
    parse_agent_line, parse_agent_state_line, parse_contact_line, parse_subscribers_line,
    parse_ticket_line, Converted, ParsedContact, Rejection,
};
use ccpulse_model::TenantId;
use ccpulse_store::{DuckDbStore, QuarantineEntry};

use crate::mapped::Source;

fn keep(store: &DuckDbStore, e: &QuarantineEntry, r: &Rejection) -> crate::Result<()> {
    store.update_quarantined(e.id, r.field.as_deref(), &r.reason)?;
    Ok(())
}

/// What a replay did.
#[derive(Debug, Default, serde::Serialize)]
pub struct Replayed {
    /// Imported now and removed from the quarantine.
    pub imported: u64,
    /// Still rejected (with today's reason).
    pub rejected: u64,
    /// Good records that are not customer contacts under today's mapping (calls between
    /// extensions, tasks): removed from the quarantine, nothing imported.
    pub skipped: u64,
    /// Formats read in the context of their file, with how many records wait in each.
    pub reimport_from_file: BTreeMap<String, u64>,
    /// CSV/xlsx records left waiting because no `--mapping` was given.
    pub need_mapping: u64,
    /// queue_log files read again for their quarantined lines.
    pub reread_files: Vec<String>,
}

/// Replays `entries` (all of the quarantine, or those picked by id / tenant / format);
/// `mapping` is the mapping file for csv, xlsx, asterisk-cdr and connect-ctr records.
pub fn replay(
    store: &mut DuckDbStore,
    entries: &[QuarantineEntry],
    mapping: Option<&Path>,
) -> crate::Result<Replayed> {
    let mut sources: BTreeMap<String, Source> = BTreeMap::new();
    let mut out = Replayed::default();
    let mut done = Vec::new();
    let mut tickets = Vec::new();
    let mut subscribers = Vec::new();
    let mut agents = Vec::new();
    let mut contacts: Vec<ParsedContact> = Vec::new();
    let mut intervals = Vec::new();
    // queue_log files to read again, with how many of their lines wait.
    let mut reread: BTreeMap<(String, String), u64> = BTreeMap::new();
    for e in entries {
        let tenant = TenantId::new(&e.tenant)?;
        let raw = e.raw.as_bytes();
        let parsed = match e.format.as_str() {
            "contacts" => parse_contact_line(raw, e.line, Some(&tenant)).map(|c| contacts.push(c)),
            "tickets" => parse_ticket_line(raw, e.line, Some(&tenant)).map(|t| tickets.push(t)),
            "subscribers" => {
                parse_subscribers_line(raw, e.line, Some(&tenant)).map(|s| subscribers.push(s))
            }
            "agents" => parse_agent_line(raw, e.line, Some(&tenant)).map(|a| agents.push(a)),
            "agent-states" => {
                parse_agent_state_line(raw, e.line, Some(&tenant)).map(|i| intervals.push(i))
            }
            format @ ("csv" | "xlsx" | "asterisk-cdr" | "connect-ctr") => {
                if mapping.is_none() && matches!(format, "csv" | "xlsx") {
                    out.need_mapping += 1;
                    continue;
                }
                if !sources.contains_key(format) {
                    sources.insert(format.to_owned(), Source::new(format, mapping)?);
                }
                let zone = store.ensure_tenant(&tenant)?.tz;
                let converted = sources[format].convert_kept(&e.raw, e.line, &tenant, &zone);
                match converted {
                    Converted::Contact(p) => {
                        contacts.push(p);
                        Ok(())
                    }
                    Converted::Skipped(_) => {
                        out.skipped += 1;
                        done.push(e.id);
                        continue;
                    }
                    Converted::Rejected(r) => Err(r),
                }
            }
            "queue_log" if Path::new(&e.file).is_file() => {
                *reread
                    .entry((e.tenant.clone(), e.file.clone()))
                    .or_default() += 1;
                continue;
            }
            other => {
                *out.reimport_from_file.entry(other.to_owned()).or_default() += 1;
                continue;
            }
        };
        match parsed {
            Ok(()) => done.push(e.id),
            Err(r) => {
                out.rejected += 1;
                keep(store, e, &r)?;
            }
        }
    }
    if !contacts.is_empty() || !intervals.is_empty() {
        let mut batch = store.begin_contacts()?;
        for c in &contacts {
            batch.append(&c.contact, c.fingerprint)?;
        }
        batch.sources().intervals.extend(intervals);
        batch.commit()?;
    }
    store.put_tickets(&tickets, &[])?;
    store.put_subscribers(&subscribers, &[])?;
    store.put_agents(&agents, &[])?;
    // Only after the records are committed: a crash in between replays them again, which
    // upserts the same records.
    store.remove_quarantined(&done)?;
    out.imported = done.len() as u64 - out.skipped;
    // A queue_log line is read with its call's other lines: its file is imported again (an
    // upsert: nothing counts twice), which settles the quarantine entries of every line it
    // reads and records afresh what it still rejects.
    for ((tenant, file), waiting) in reread {
        let tid = TenantId::new(&tenant)?;
        crate::queue_log::import_queue_log(store, std::slice::from_ref(&file), &tid, false)?;
        let left = store
            .quarantine(Some(&tid))?
            .iter()
            .filter(|q| q.format == "queue_log" && q.file == file)
            .count() as u64;
        out.imported += waiting.saturating_sub(left);
        out.rejected += left.min(waiting);
        out.reread_files.push(file);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ccpulse_store::{NewRejection, StoreConfig};

    fn rejection(format: &str, line: u64, raw: &str) -> NewRejection {
        NewRejection {
            tenant: "bank".into(),
            format: format.into(),
            file: "old.jsonl".into(),
            line,
            field: None,
            reason: "rejected by an older rule".into(),
            raw: raw.into(),
        }
    }

    #[test]
    fn what_parses_now_is_imported_and_leaves_the_quarantine() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut store = DuckDbStore::open(dir.path(), &StoreConfig::default()).expect("store");
        {
            let mut batch = store.begin_contacts().expect("batch");
            batch.reject(rejection(
                "contacts",
                1,
                r#"{"id":"c1","direction":"inbound","outcome":"self_service","arrived_at":"2021-01-04T09:00:00+08:00","ended_at":"2021-01-04T09:01:00+08:00"}"#,
            ));
            batch.reject(rejection(
                "contacts",
                2,
                r#"{"id":"c2","direction":"sideways"}"#,
            ));
            batch.reject(rejection(
                "tickets",
                3,
                r#"{"id":"t1","kind":"complaint","created_at":"2021-01-05T10:00:00+08:00"}"#,
            ));
            batch.reject(rejection(
                "queue_log",
                4,
                "1609722000|call1|vip|NONE|ENTERQUEUE||1001|1",
            ));
            batch.commit().expect("commit");
        }
        let entries = store.quarantine(None).expect("quarantine");
        assert_eq!(entries.len(), 4);
        let r = replay(&mut store, &entries, None).expect("replay");
        assert_eq!((r.imported, r.rejected), (2, 1));
        assert_eq!(r.reimport_from_file.get("queue_log"), Some(&1));
        let left = store.quarantine(None).expect("quarantine");
        assert_eq!(left.len(), 2);
        // The one still rejected says why today.
        let c2 = left.iter().find(|e| e.line == 2).expect("c2");
        assert_eq!(c2.field.as_deref(), Some("direction"));
        assert!(c2.reason.contains("sideways"), "{}", c2.reason);
        assert_eq!(
            store
                .count_contacts(&TenantId::new("bank").expect("tenant"))
                .expect("count"),
            1
        );
        // Again: nothing more to import, nothing imported twice.
        let again = replay(&mut store, &left, None).expect("replay");
        assert_eq!((again.imported, again.rejected), (0, 1));
        assert_eq!(
            store
                .count_contacts(&TenantId::new("bank").expect("tenant"))
                .expect("count"),
            1
        );
    }
}
