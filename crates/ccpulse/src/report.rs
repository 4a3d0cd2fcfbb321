//! `ccpulse report operations|scorecard|quality`: the documents managers hand on, as HTML, XLSX,
//! JSON or PDF.

use std::path::Path;

use anyhow::{bail, Context};
use ccpulse_report::{operations, quality, scorecard, Format, Lang, Period};
use ccpulse_store::DuckDbStore;

use crate::kpi::load_catalog;

/// What every report takes.
pub struct Common<'a> {
    pub tenant: &'a str,
    pub period: &'a str,
    pub format: Option<&'a str>,
    pub out: Option<&'a Path>,
    pub lang: &'a str,
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
pub fn operations(store: &DuckDbStore, c: &Common<'_>, compare: u16) -> anyhow::Result<()> {
    let period = Period::parse(c.period)?;
    let catalog = load_catalog(store)?;
    let r = operations::build(
        store,
        &catalog,
        c.tenant,
        &period,
        compare,
        Lang::parse(c.lang),
    )?;
    emit(c, &r.document(), &r.to_json())
}

/// `ccpulse report scorecard`.
pub fn scorecard(store: &DuckDbStore, c: &Common<'_>, by: Option<&str>) -> anyhow::Result<()> {
    let period = Period::parse(c.period)?;
    let catalog = load_catalog(store)?;
    let r = scorecard::build(store, &catalog, c.tenant, &period, by, Lang::parse(c.lang))?;
    emit(c, &r.document(), &r.to_json())
}

/// `ccpulse report quality`.
pub fn quality(store: &DuckDbStore, c: &Common<'_>) -> anyhow::Result<()> {
    let period = Period::parse(c.period)?;
    let catalog = load_catalog(store)?;
    let r = quality::build(store, &catalog, c.tenant, &period, Lang::parse(c.lang))?;
    emit(c, &r.document(), &r.to_json())
}
