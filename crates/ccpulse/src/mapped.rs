//! `ccpulse import --format csv|xlsx --mapping FILE.toml`: other systems' exports, through a
//! mapping, into the same contacts and quarantine as the canonical format.

use std::path::Path;

use ccpulse_ingest::mapped::{read_records, Mapping, Resolved, Sheet};
use ccpulse_ingest::Rejection;
use ccpulse_model::TenantId;
use ccpulse_store::DuckDbStore;

use crate::import::{progress_bar, ImportSummary, BATCH_ROWS};

/// Imports `files` for `tenant` through the mapping at `mapping_path`.
pub fn import_mapped(
    store: &mut DuckDbStore,
    files: &[String],
    kind: Sheet,
    mapping_path: &Path,
    tenant: &TenantId,
    show_progress: bool,
) -> anyhow::Result<ImportSummary> {
    let mapping = Mapping::load(mapping_path).map_err(anyhow::Error::msg)?;
    let zone = store.ensure_tenant(tenant)?.tz;
    let format = match kind {
        Sheet::Csv => "csv",
        Sheet::Xlsx => "xlsx",
    };
    let mut summary = ImportSummary::default();
    let bar = progress_bar(None, show_progress);
    for name in files {
        bar.set_message(name.clone());
        let records = match read_records(name, kind, &mapping) {
            Ok(r) => r,
            Err(e) => {
                summary.unreadable.push(e);
                continue;
            }
        };
        let resolved = match Resolved::new(&mapping, &records.header, tenant, &zone) {
            Ok(r) => r,
            Err(e) => {
                summary.unreadable.push(format!(
                    "{name}: does not fit mapping {}: {e}",
                    mapping_path.display()
                ));
                continue;
            }
        };
        let mut batch = store.begin_contacts()?;
        for (line, record) in records.rows {
            summary.read += 1;
            let converted = match record {
                Ok(fields) => resolved.convert(&fields, line),
                Err(reason) => Err(Rejection::new(line, None, reason, b"")),
            };
            match converted {
                Ok(p) => batch.append(&p.contact, p.fingerprint)?,
                Err(r) => summary.reject(&mut batch, tenant.to_string(), format, name, r),
            }
            if batch.len() >= BATCH_ROWS {
                summary.counts += batch.commit()?;
                batch = store.begin_contacts()?;
            }
            if summary.read % 8192 == 0 {
                bar.set_position(summary.read);
            }
        }
        summary.counts += batch.commit()?;
    }
    bar.finish_and_clear();
    Ok(summary)
}
