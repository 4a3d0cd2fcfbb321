//! `ccpulse report operations|scorecard|quality`: the documents managers hand on, as HTML, XLSX,
//! JSON or PDF.

use std::path::Path;
use std::process::ExitCode;

use anyhow::{bail, Context};
use ccpulse_model::TenantId;
use ccpulse_report::{operations, quality, scorecard, Format, Lang, Period};
use ccpulse_store::DuckDbStore;

use super::{lang_of, open, tenant_id, Done};
use crate::cli::ReportCommand;
use crate::config::Config;

/// Runs a report command.
pub fn run(cfg: &Config, command: ReportCommand) -> Done {
    let store = open(cfg)?;
    let args = match &command {
        ReportCommand::Operations { args, .. }
        | ReportCommand::Quality { args }
        | ReportCommand::Scorecard { args, .. } => args,
    };
    let lang = lang_of(cfg, args.lang.as_deref())?;
    let common = Common {
        tenant: &args.tenant,
        period: &args.period,
        format: args.format.as_deref(),
        out: args.out.as_deref(),
        lang: &lang,
    };
    match &command {
        ReportCommand::Operations { compare, .. } => operations(&store, &common, *compare)?,
        ReportCommand::Quality { .. } => quality(&store, &common)?,
        ReportCommand::Scorecard { by, .. } => scorecard(&store, &common, by.as_deref())?,
    }
    Ok(ExitCode::SUCCESS)
}

/// The tenant named, which must exist (said as the store says it, before any check of the
/// name's form).
fn known_tenant(store: &DuckDbStore, name: &str) -> anyhow::Result<TenantId> {
    if store.tenant(name).is_none() {
        return Err(ccpulse_store::StoreError::UnknownTenant(name.to_owned()).into());
    }
    tenant_id(name)
}

/// What every report takes.
struct Common<'a> {
    tenant: &'a str,
    period: &'a str,
    format: Option<&'a str>,
    out: Option<&'a Path>,
    lang: &'a str,
}

/// The format: as given, else from the file's extension, else JSON on stdout.
fn format_of(c: &Common<'_>) -> anyhow::Result<Format> {
    if let Some(f) = c.format {
        return Ok(Format::parse(f)?);
    }
    match c.out.and_then(Path::extension).and_then(|e| e.to_str()) {
        Some(ext) => Ok(Format::parse(&ext.to_ascii_lowercase())
            .with_context(|| "give --format html|xlsx|json|pdf")?),
        None => Ok(Format::Json),
    }
}

fn emit(
    c: &Common<'_>,
    doc: &ccpulse_report::doc::Document,
    json: &serde_json::Value,
) -> anyhow::Result<()> {
    let format = format_of(c)?;
    match (c.out, format) {
        (None, Format::Json) => {
            println!("{}", serde_json::to_string_pretty(json)?);
            Ok(())
        }
        (None, _) => bail!("--out FILE is needed for html, xlsx and pdf"),
        (Some(out), format) => {
            ccpulse_report::write(doc, json, format, out)?;
            eprintln!("wrote {}", out.display());
            Ok(())
        }
    }
}

/// `ccpulse report operations`.
fn operations(store: &DuckDbStore, c: &Common<'_>, compare: u16) -> anyhow::Result<()> {
    let period = Period::parse(c.period)?;
    let catalog = store.catalog()?;
    let r = operations::build(
        store,
        &catalog,
        &known_tenant(store, c.tenant)?,
        &period,
        compare,
        Lang::parse(c.lang),
    )?;
    emit(c, &r.document(), &r.to_json())
}

/// `ccpulse report scorecard`.
fn scorecard(store: &DuckDbStore, c: &Common<'_>, by: Option<&str>) -> anyhow::Result<()> {
    let period = Period::parse(c.period)?;
    let catalog = store.catalog()?;
    let r = scorecard::build(
        store,
        &catalog,
        &known_tenant(store, c.tenant)?,
        &period,
        by,
        Lang::parse(c.lang),
    )?;
    emit(c, &r.document(), &r.to_json())
}

/// `ccpulse report quality`.
fn quality(store: &DuckDbStore, c: &Common<'_>) -> anyhow::Result<()> {
    let period = Period::parse(c.period)?;
    let catalog = store.catalog()?;
    let r = quality::build(
        store,
        &catalog,
        &known_tenant(store, c.tenant)?,
        &period,
        Lang::parse(c.lang),
    )?;
    emit(c, &r.document(), &r.to_json())
}
