//! Imports of other systems' records that become contacts one by one: `--format csv|xlsx
//! --mapping FILE.toml` (any export, through a mapping), `--format asterisk-cdr` (Master.csv,
//! contexts mapped to directions) and `--format connect-ctr` (Amazon Connect contact trace
//! records). One loop stores them all, into the same contacts and quarantine as the
//! canonical format.

use std::io::Read as _;
use std::path::Path;

use ccpulse_ingest::cdr::{read_cdrs, CdrMapping};
use ccpulse_ingest::ctr::{read_ctrs, CtrMapping};
use ccpulse_ingest::mapped::{read_records, replay_row, Mapping, Resolved, Sheet};
use ccpulse_ingest::{open_input, Converted, Rejection};
use ccpulse_model::TenantId;
use ccpulse_store::DuckDbStore;
use jiff::tz::TimeZone;

use crate::contacts::{ImportSummary, BATCH_ROWS};
use crate::progress::progress_bar;
use crate::ImportError;

/// A source whose records are converted one at a time.
pub enum Source {
    Csv(Mapping),
    Xlsx(Mapping),
    Cdr(CdrMapping),
    Ctr(CtrMapping),
}

impl Source {
    /// The source of import format `format` (`csv`, `xlsx`, `asterisk-cdr`, `connect-ctr`)
    /// with its mapping file, if given.
    pub fn new(format: &str, mapping: Option<&Path>) -> crate::Result<Self> {
        let text = |p: &Path| {
            std::fs::read_to_string(p).map_err(|e| {
                ImportError::Mapping(format!("cannot read mapping {}: {e}", p.display()))
            })
        };
        Ok(match (format, mapping) {
            ("csv" | "xlsx", None) => {
                return Err(ImportError::Usage(
                    "--format csv and xlsx need --mapping FILE.toml (examples in mappings/)".into(),
                ))
            }
            ("csv", Some(p)) => Source::Csv(Mapping::load(p).map_err(ImportError::Mapping)?),
            ("xlsx", Some(p)) => Source::Xlsx(Mapping::load(p).map_err(ImportError::Mapping)?),
            ("asterisk-cdr", None) => Source::Cdr(CdrMapping::builtin()),
            ("asterisk-cdr", Some(p)) => Source::Cdr(
                CdrMapping::parse(&text(p)?, &p.display().to_string())
                    .map_err(ImportError::Mapping)?,
            ),
            ("connect-ctr", None) => Source::Ctr(CtrMapping::default()),
            ("connect-ctr", Some(p)) => Source::Ctr(
                CtrMapping::parse(&text(p)?, &p.display().to_string())
                    .map_err(ImportError::Mapping)?,
            ),
            (other, _) => {
                return Err(ImportError::Usage(format!(
                    "`{other}` is not a converted format"
                )))
            }
        })
    }

    /// The format's name in the quarantine.
    pub fn format(&self) -> &'static str {
        match self {
            Source::Csv(_) => "csv",
            Source::Xlsx(_) => "xlsx",
            Source::Cdr(_) => "asterisk-cdr",
            Source::Ctr(_) => "connect-ctr",
        }
    }

    /// What a record the quarantine kept (`raw`, from line `line`) becomes today, read alone:
    /// a CDR line or CTR object as it was, a CSV/xlsx row with the header kept beside it.
    pub fn convert_kept(
        &self,
        raw: &str,
        line: u64,
        tenant: &TenantId,
        zone: &TimeZone,
    ) -> Converted {
        let mut items: Box<dyn Iterator<Item = (u64, Converted)>> = match self {
            Source::Csv(m) | Source::Xlsx(m) => {
                return match replay_row(raw, m, tenant, zone, line) {
                    Ok(p) => Converted::Contact(p),
                    Err(r) => Converted::Rejected(r),
                }
            }
            Source::Cdr(m) => {
                let reader = Box::new(std::io::Cursor::new(raw.as_bytes().to_vec()));
                match read_cdrs(reader, m, tenant, zone) {
                    Ok(items) => items,
                    Err(e) => return Converted::Rejected(Rejection::new(line, None, e, b"")),
                }
            }
            Source::Ctr(m) => Box::new(read_ctrs(raw.as_bytes(), m, tenant).into_iter()),
        };
        match items.next() {
            // At its line in the file, not in the kept text.
            Some((_, Converted::Rejected(mut r))) => {
                r.line = line;
                Converted::Rejected(r)
            }
            Some((_, c)) => c,
            None => Converted::Rejected(Rejection::new(
                line,
                None,
                "no record in the kept text",
                b"",
            )),
        }
    }

    /// The records of file `name`, each with its line and what became of it.
    fn records<'s>(
        &'s self,
        name: &str,
        tenant: &TenantId,
        zone: &TimeZone,
    ) -> Result<Box<dyn Iterator<Item = (u64, Converted)> + 's>, String> {
        match self {
            Source::Csv(m) | Source::Xlsx(m) => {
                let kind = if matches!(self, Source::Csv(_)) {
                    Sheet::Csv
                } else {
                    Sheet::Xlsx
                };
                let records = read_records(name, kind, m)?;
                let resolved = Resolved::new(m, &records.header, tenant, zone)
                    .map_err(|e| format!("{name}: does not fit the mapping: {e}"))?;
                Ok(Box::new(records.rows.map(move |(line, record)| {
                    let converted = match record {
                        Ok(fields) => resolved.convert(&fields, line),
                        Err(reason) => Err(Rejection::new(line, None, reason, b"")),
                    };
                    (
                        line,
                        match converted {
                            Ok(p) => Converted::Contact(p),
                            Err(r) => Converted::Rejected(r),
                        },
                    )
                })))
            }
            Source::Cdr(m) => {
                let input = open_input(name).map_err(|e| e.to_string())?;
                read_cdrs(Box::new(input.reader), m, tenant, zone)
                    .map_err(|e| format!("{name}: {e}"))
            }
            Source::Ctr(m) => {
                let mut input = open_input(name).map_err(|e| e.to_string())?;
                let mut bytes = Vec::new();
                input
                    .reader
                    .read_to_end(&mut bytes)
                    .map_err(|e| format!("{name}: read failed: {e}"))?;
                Ok(Box::new(read_ctrs(&bytes, m, tenant).into_iter()))
            }
        }
    }
}

/// Imports `files` of `source` for `tenant`.
pub fn import_converted(
    store: &mut DuckDbStore,
    files: &[String],
    source: &Source,
    tenant: &TenantId,
    show_progress: bool,
) -> crate::Result<ImportSummary> {
    store.with_import_memory(|store| import_capped(store, files, source, tenant, show_progress))
}

fn import_capped(
    store: &mut DuckDbStore,
    files: &[String],
    source: &Source,
    tenant: &TenantId,
    show_progress: bool,
) -> crate::Result<ImportSummary> {
    let zone = store.ensure_tenant(tenant)?.tz;
    let format = source.format();
    let mut summary = ImportSummary::default();
    let bar = progress_bar(None, show_progress);
    for name in files {
        bar.set_message(name.clone());
        let records = match source.records(name, tenant, &zone) {
            Ok(r) => r,
            Err(e) => {
                summary.unreadable.push(e);
                continue;
            }
        };
        let mut batch = store.begin_contacts()?;
        for (_, converted) in records {
            summary.read += 1;
            match converted {
                Converted::Contact(p) => batch.append(&p.contact, p.fingerprint)?,
                Converted::Skipped(why) => *summary.skipped.entry(why.to_owned()).or_default() += 1,
                Converted::Rejected(r) => {
                    summary.reject(&mut batch, tenant.to_string(), format, name, r);
                }
            }
            if batch.len() >= BATCH_ROWS {
                summary.counts += batch.commit()?;
                store.fold_in();
                batch = store.begin_contacts()?;
            }
            if summary.read % 8192 == 0 {
                bar.set_position(summary.read);
            }
        }
        summary.counts += batch.commit()?;
        store.fold_in();
    }
    bar.finish_and_clear();
    Ok(summary)
}
