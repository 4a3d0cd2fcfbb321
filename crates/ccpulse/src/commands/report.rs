//! `ccpulse report operations|scorecard|quality`: the documents managers hand on, as HTML, XLSX,
//! JSON or PDF.

use std::path::Path;
use std::process::ExitCode;

use anyhow::{bail, Context};
use ccpulse_report::{operations, quality, scorecard, Format, Lang, Period};

use super::{known_tenant, lang_of, open_any, Done};
use crate::cli::ReportCommand;
use crate::config::Config;

/// Runs a report command.
pub fn run(cfg: &Config, command: ReportCommand) -> Done {
    let store = open_any(cfg)?;
    let store: &dyn ccpulse_store::Store = store.as_ref();
    let args = match &command {
        ReportCommand::Operations { args, .. }
        | ReportCommand::Quality { args }
        | ReportCommand::Scorecard { args, .. } => args,
    };
    let lang = Lang::parse(&lang_of(cfg, args.lang.as_deref())?);
    let period = Period::parse(&args.period)?;
    let catalog = store.catalog()?;
    let tenant = known_tenant(store, &args.tenant)?;
    let catalog = &catalog;
    let (mut doc, json) = match &command {
        ReportCommand::Operations {
            compare, details, ..
        } => {
            let details = match details.as_str() {
                "all" => None,
                n => Some(n.parse::<usize>().map_err(|_| {
                    anyhow::anyhow!("--details `{n}`: a number of contacts, or `all`")
                })?),
            };
            let r = operations::build(store, catalog, &tenant, &period, *compare, details, lang)?;
            (r.document(), r.to_json())
        }
        ReportCommand::Quality { .. } => {
            let r = quality::build(store, catalog, &tenant, &period, lang)?;
            (r.document(), r.to_json())
        }
        ReportCommand::Scorecard { by, .. } => {
            let r = scorecard::build(store, catalog, &tenant, &period, by.as_deref(), lang)?;
            (r.document(), r.to_json())
        }
    };
    // A period without any data is still a report (it says so on its first page), and a
    // warning, not a failure.
    if ccpulse_report::finish(store, catalog, &tenant, &period, &mut doc, lang)? {
        eprintln!(
            "warning: tenant `{tenant}` has no contact or ticket in {} ({} – {}): the report is empty",
            period.label, period.from, period.to
        );
    }
    emit(args.format.as_deref(), args.out.as_deref(), &doc, &json)?;
    Ok(ExitCode::SUCCESS)
}

/// The format: as given, else from the file's extension, else JSON on stdout.
fn format_of(format: Option<&str>, out: Option<&Path>) -> anyhow::Result<Format> {
    if let Some(f) = format {
        return Ok(Format::parse(f)?);
    }
    match out.and_then(Path::extension).and_then(|e| e.to_str()) {
        Some(ext) => Ok(Format::parse(&ext.to_ascii_lowercase())
            .with_context(|| "give --format html|xlsx|json|pdf")?),
        None => Ok(Format::Json),
    }
}

/// The report to `out` in its format, or its JSON on stdout.
pub fn emit(
    format: Option<&str>,
    out: Option<&Path>,
    doc: &ccpulse_report::doc::Document,
    json: &serde_json::Value,
) -> anyhow::Result<()> {
    match (out, format_of(format, out)?) {
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
