//! `ccpulse quarantine list|show|replay`: what was rejected, where and why, and reading it
//! again after a fix.

use std::process::ExitCode;

use anyhow::bail;
use ccpulse_model::TenantId;
use ccpulse_store::QuarantineEntry;

use super::{open, Done};
use crate::cli::QuarantineCommand;
use crate::config::Config;

/// Runs a quarantine command.
pub fn run(cfg: &Config, command: QuarantineCommand) -> Done {
    match command {
        QuarantineCommand::List { tenant, json } => list(cfg, tenant.as_ref(), json)?,
        QuarantineCommand::Show { id, json } => show(cfg, id, json)?,
        QuarantineCommand::Replay {
            id,
            tenant,
            format,
            mapping,
            json,
        } => {
            let entries: Vec<_> = entries(cfg, tenant.as_ref())?
                .into_iter()
                .filter(|e| id.is_none_or(|i| e.id == i))
                .filter(|e| format.as_deref().is_none_or(|f| e.format == f))
                .collect();
            if let (Some(id), true) = (id, entries.is_empty()) {
                bail!("no rejected record #{id} (see `ccpulse quarantine list`)");
            }
            let r = match cfg.clickhouse()? {
                Some(url) => {
                    let mut ch = super::open_clickhouse(cfg, url)?;
                    replay_clickhouse(cfg, &mut ch, &entries, mapping.as_deref())?
                }
                None => ccpulse_import::replay(&mut open(cfg)?, &entries, mapping.as_deref())?,
            };
            print_replayed(&r, json)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// A replay on ClickHouse: the entries replayed in a temporary embedded store that knows
/// the ClickHouse store's tenants (the same parsers and rules as ever), what now parses copied
/// there, and each entry settled there: gone from the quarantine, or kept with today's reason.
fn replay_clickhouse(
    cfg: &Config,
    ch: &mut ccpulse_store::ClickHouseStore,
    entries: &[QuarantineEntry],
    mapping: Option<&std::path::Path>,
) -> anyhow::Result<ccpulse_import::Replayed> {
    let tmp = tempfile::tempdir()?;
    let mut stage = ccpulse_store::DuckDbStore::open(tmp.path(), &cfg.store())?;
    for t in ch.tenants() {
        stage.set_tenant(&t.name, Some(&t.timezone), Some(t.settings.clone()))?;
    }
    type Place = (String, String, String, u64, String);
    let place = |e: &QuarantineEntry| -> Place {
        (
            e.tenant.clone(),
            e.format.clone(),
            e.file.clone(),
            e.line,
            e.raw.clone(),
        )
    };
    for e in entries {
        stage.add_rejection(&ccpulse_store::NewRejection::from(e.clone()))?;
    }
    let staged = stage.quarantine(None)?;
    let r = ccpulse_import::replay(&mut stage, &staged, mapping)?;
    ch.copy_from(&stage)?;
    let left: std::collections::HashMap<Place, QuarantineEntry> = stage
        .quarantine(None)?
        .into_iter()
        .map(|e| (place(&e), e))
        .collect();
    let settled: Vec<(QuarantineEntry, bool)> = entries
        .iter()
        .filter_map(|e| match left.get(&place(e)) {
            None => Some((e.clone(), true)),
            Some(now) if now.reason != e.reason || now.field != e.field => Some((
                QuarantineEntry {
                    field: now.field.clone(),
                    reason: now.reason.clone(),
                    ..e.clone()
                },
                false,
            )),
            Some(_) => None,
        })
        .collect();
    ch.settle_quarantined(&settled)?;
    Ok(r)
}

/// The rejected records (of `tenant`), from whichever store holds the data.
fn entries(cfg: &Config, tenant: Option<&TenantId>) -> anyhow::Result<Vec<QuarantineEntry>> {
    Ok(super::open_any(cfg)?.quarantine_entries(tenant)?)
}

fn list(cfg: &Config, tenant: Option<&TenantId>, json: bool) -> anyhow::Result<()> {
    let entries = entries(cfg, tenant)?;
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({ "entries": entries }))?
        );
    } else if entries.is_empty() {
        println!("the quarantine is empty");
    } else {
        for e in &entries {
            let field = e
                .field
                .as_deref()
                .map(|f| format!(": field `{f}`"))
                .unwrap_or_default();
            println!(
                "#{} [{}/{}] {}:{}{}: {}",
                e.id, e.tenant, e.format, e.file, e.line, field, e.reason
            );
        }
        println!("{} rejected record(s)", entries.len());
    }
    Ok(())
}

fn show(cfg: &Config, id: i64, json: bool) -> anyhow::Result<()> {
    let Some(e): Option<QuarantineEntry> = entries(cfg, None)?.into_iter().find(|e| e.id == id)
    else {
        bail!("no rejected record #{id} (see `ccpulse quarantine list`)");
    };
    if json {
        println!("{}", serde_json::to_string_pretty(&e)?);
    } else {
        println!(
            "#{} [{}/{}] rejected {}",
            e.id, e.tenant, e.format, e.rejected_at
        );
        println!("where:  {} line {}", e.file, e.line);
        if let Some(f) = &e.field {
            println!("field:  {f}");
        }
        println!("reason: {}", e.reason);
        println!("raw:    {}", e.raw);
    }
    Ok(())
}

fn print_replayed(r: &ccpulse_import::Replayed, json: bool) -> anyhow::Result<()> {
    if json {
        println!("{}", serde_json::to_string(r)?);
        return Ok(());
    }
    println!("imported {}, still rejected {}", r.imported, r.rejected);
    if r.skipped > 0 {
        println!(
            "{} record(s) are not customer contacts under this mapping: removed",
            r.skipped
        );
    }
    if r.need_mapping > 0 {
        println!(
            "{} csv/xlsx record(s) wait: replay them with --mapping FILE.toml",
            r.need_mapping
        );
    }
    for file in &r.reread_files {
        println!("read {file} again for its quarantined queue_log lines");
    }
    for (format, n) in &r.reimport_from_file {
        println!(
            "{n} {format} record(s) are read with their file, which is not where it was \
             imported from: import the file again"
        );
    }
    Ok(())
}
