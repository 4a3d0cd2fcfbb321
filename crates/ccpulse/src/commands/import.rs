//! `ccpulse import` and `ccpulse tail`: files into the store through `ccpulse-import`, and
//! what they did on the terminal.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use ccpulse_import::records::Kind;
use ccpulse_import::{ImportError, ImportSummary, Source};
use ccpulse_store::DuckDbStore;
use clap::ValueEnum as _;

use super::{open, tenant_or_default, Done};
use crate::cli::{ImportArgs, ImportFormat, TailArgs, TailFormat};
use crate::config::Config;

/// `ccpulse import`: exit 2 when a file could not be read, 1 with `--strict` when a record
/// was rejected.
pub fn import(cfg: &Config, a: ImportArgs) -> Done {
    let tenant = a.tenant.clone();
    if let Some(url) = cfg.clickhouse()? {
        let mut store = super::open_clickhouse(cfg, url)?;
        let started = Instant::now();
        let s = match a.format {
            ImportFormat::Contacts => ccpulse_import::import_contacts_clickhouse(
                &mut store,
                &a.files,
                tenant.as_ref(),
                true,
            )?,
            ImportFormat::QueueLog => queue_log_through_data_dir(cfg, &mut store, &a)?,
            _ => staged(cfg, &mut store, &a)?,
        };
        print_summary(&s, a.json, started.elapsed())?;
        return Ok(exit_code(&s, a.strict));
    }
    let mut store = open(cfg)?;
    let started = Instant::now();
    let records = |store: &mut DuckDbStore, kind| {
        ccpulse_import::records::import(store, &a.files, kind, tenant.as_ref())
    };
    let s = match a.format {
        ImportFormat::Contacts => {
            ccpulse_import::import_contacts(&mut store, &a.files, tenant.as_ref(), true)?
        }
        ImportFormat::QueueLog => {
            let tenant = tenant_or_default(a.tenant.clone());
            ccpulse_import::import_queue_log(&mut store, &a.files, &tenant, true)?
        }
        ImportFormat::Csv
        | ImportFormat::Xlsx
        | ImportFormat::AsteriskCdr
        | ImportFormat::ConnectCtr => {
            let source = Source::new(&format_word(a.format), a.mapping.as_deref())?;
            let tenant = tenant_or_default(a.tenant.clone());
            ccpulse_import::import_converted(&mut store, &a.files, &source, &tenant, true)?
        }
        ImportFormat::Tickets => records(&mut store, Kind::Tickets)?,
        ImportFormat::Agents => records(&mut store, Kind::Agents)?,
        ImportFormat::AgentStates => records(&mut store, Kind::AgentStates)?,
        ImportFormat::Subscribers => records(&mut store, Kind::Subscribers)?,
    };
    print_summary(&s, a.json, started.elapsed())?;
    Ok(exit_code(&s, a.strict))
}

/// The format's name as on the command line.
fn format_word(format: ImportFormat) -> String {
    format
        .to_possible_value()
        .map(|v| v.get_name().to_owned())
        .unwrap_or_default()
}

/// An import into a ClickHouse store of a format read through a mapping (CSV, xlsx, CDR,
/// CTR) or of records (tickets, agents, agent states, subscribers): read into a temporary
/// embedded store that knows the ClickHouse store's tenants (the same conversion, rejections
/// and checks as ever), then copied: contacts and records counted against what is stored
/// there, rejections quarantined there.
fn staged(
    cfg: &Config,
    ch: &mut ccpulse_store::ClickHouseStore,
    a: &ImportArgs,
) -> anyhow::Result<ImportSummary> {
    let tmp = tempfile::tempdir()?;
    let mut stage = DuckDbStore::open(tmp.path(), &cfg.store())?;
    for t in ch.tenants() {
        stage.set_tenant(&t.name, Some(&t.timezone), Some(t.settings.clone()))?;
    }
    let records = |stage: &mut DuckDbStore, kind| {
        ccpulse_import::records::import(stage, &a.files, kind, a.tenant.as_ref())
    };
    let mut s = match a.format {
        ImportFormat::Tickets => records(&mut stage, Kind::Tickets)?,
        ImportFormat::Agents => records(&mut stage, Kind::Agents)?,
        ImportFormat::AgentStates => records(&mut stage, Kind::AgentStates)?,
        ImportFormat::Subscribers => records(&mut stage, Kind::Subscribers)?,
        ImportFormat::Csv
        | ImportFormat::Xlsx
        | ImportFormat::AsteriskCdr
        | ImportFormat::ConnectCtr => {
            let tenant = tenant_or_default(a.tenant.clone());
            ch.ensure_tenant(&tenant)?;
            stage.ensure_tenant(&tenant)?;
            let source = Source::new(&format_word(a.format), a.mapping.as_deref())?;
            ccpulse_import::import_converted(&mut stage, &a.files, &source, &tenant, true)?
        }
        ImportFormat::Contacts | ImportFormat::QueueLog => {
            anyhow::bail!(
                "{} is not imported through a staging store",
                format_word(a.format)
            )
        }
    };
    let rejected: Vec<ccpulse_store::NewRejection> = stage
        .quarantine(None)?
        .into_iter()
        .map(ccpulse_store::NewRejection::from)
        .collect();
    ch.quarantine(&rejected)?;
    let copied = ch.copy_from(&stage)?;
    // Agent states are counted as intervals (`agent_intervals`), as DuckDB counts them.
    if a.format != ImportFormat::AgentStates {
        s.counts = ccpulse_store::ImportCounts {
            rejected: s.counts.rejected,
            ..copied
        };
    }
    Ok(s)
}

/// A queue_log import into a ClickHouse store: a call's lines may span files imported one
/// after another, so the calls still open at a file's end are kept where they always are, in
/// the data directory's store (which the import goes through, as `serve` keeps its working
/// set there); the tenant's contacts and rejections then go on to ClickHouse, counted
/// against what is stored there.
fn queue_log_through_data_dir(
    cfg: &Config,
    ch: &mut ccpulse_store::ClickHouseStore,
    a: &ImportArgs,
) -> anyhow::Result<ImportSummary> {
    let tenant = tenant_or_default(a.tenant.clone());
    let mut local = open(cfg)?;
    let t = ch.ensure_tenant(&tenant)?;
    match local.tenant(tenant.as_str()) {
        Some(l) if l.timezone != t.timezone || l.settings != t.settings => anyhow::bail!(
            "tenant {tenant} differs between the data directory ({}) and {} ({}): make them the same with `ccpulse tenant set` on both",
            l.timezone,
            ch.place(),
            t.timezone
        ),
        Some(_) => {}
        None => {
            local.set_tenant(&tenant, Some(&t.timezone), Some(t.settings.clone()))?;
        }
    }
    let before: std::collections::HashSet<i64> = local
        .quarantine(Some(&tenant))?
        .into_iter()
        .map(|e| e.id)
        .collect();
    let mut s = ccpulse_import::import_queue_log(&mut local, &a.files, &tenant, true)?;
    let rejected: Vec<ccpulse_store::NewRejection> = local
        .quarantine(Some(&tenant))?
        .into_iter()
        .filter(|e| !before.contains(&e.id))
        .map(ccpulse_store::NewRejection::from)
        .collect();
    ch.quarantine(&rejected)?;
    let t = local
        .tenant(tenant.as_str())
        .cloned()
        .ok_or_else(|| anyhow::anyhow!("tenant {tenant} vanished"))?;
    // Agent intervals (from AGENTLOGIN and the like) go too, counted as DuckDB counts them
    // (`agent_intervals`), apart from contacts.
    let (copied, _) = ch.copy_tenant(&local, &t)?;
    s.counts = ccpulse_store::ImportCounts {
        rejected: s.counts.rejected,
        ..copied
    };
    Ok(s)
}

/// 2 when a file could not be read, 1 with `strict` when a record was rejected.
fn exit_code(s: &ImportSummary, strict: bool) -> ExitCode {
    if !s.unreadable.is_empty() {
        ExitCode::from(2)
    } else if strict && s.counts.rejected > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// `ccpulse tail`: follows the file until stopped (or reads it once with `--once`).
pub fn tail(cfg: &Config, a: TailArgs) -> Done {
    let TailFormat::QueueLog = a.format;
    let tenant = tenant_or_default(a.tenant.clone());
    if !a.once {
        eprintln!(
            "following {} for tenant {tenant} (Ctrl-C to stop; nothing read is lost)",
            a.file
        );
    }
    let started = Instant::now();
    let store_cfg = cfg.store();
    let s = ccpulse_import::tail(
        &|| {
            DuckDbStore::open(&cfg.data, &store_cfg).map_err(|error| ImportError::Open {
                dir: cfg.data.display().to_string(),
                error,
            })
        },
        &a.file,
        &tenant,
        Duration::from_millis(a.poll_ms),
        a.once,
    )?;
    print_summary(&s, a.json, started.elapsed())?;
    Ok(ExitCode::SUCCESS)
}

/// Prints what an import or a tail did: rejections and unreadable files on stderr, the
/// summary (JSON with `json`) on stdout.
fn print_summary(s: &ImportSummary, json: bool, elapsed: Duration) -> anyhow::Result<()> {
    for (file, r) in &s.sample {
        eprintln!("rejected: {file}: {r}");
    }
    if s.counts.rejected > s.sample.len() as u64 {
        eprintln!(
            "... {} more; see `ccpulse quarantine list`",
            s.counts.rejected - s.sample.len() as u64
        );
    }
    for u in &s.unreadable {
        eprintln!("error: {u}");
    }
    if json {
        println!("{}", serde_json::to_string(&s)?);
        return Ok(());
    }
    println!(
        "read {}, inserted {}, updated {}, unchanged {}, rejected {} ({:.1} s)",
        s.read,
        s.counts.inserted,
        s.counts.updated,
        s.counts.unchanged,
        s.counts.rejected,
        elapsed.as_secs_f64()
    );
    if let Some(open) = s.open_calls.filter(|n| *n > 0) {
        println!("{open} calls still open: they complete when a later file brings their end");
    }
    if let Some(n) = s.agent_intervals {
        println!("agent state intervals: {n}");
    }
    for (why, n) in &s.skipped {
        println!("skipped {n}: {why}");
    }
    for (word, n) in &s.unknown_words {
        println!("unknown event {word}: {n} lines kept");
    }
    Ok(())
}
