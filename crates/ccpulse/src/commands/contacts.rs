//! `ccpulse contacts`: the contacts behind a figure (the same drill-down as
//! `GET /api/v1/contacts`), or one contact whole.

use std::process::ExitCode;

use anyhow::bail;
use ccpulse_metrics::drill::FIELDS;
use ccpulse_metrics::{Cell as Value, DrillQuery, DrillText, Drilled};
use comfy_table::{presets::UTF8_FULL_CONDENSED, Cell, CellAlignment, Table};

use super::kpi::Format;
use super::{known_tenant, open_any, Done};
use crate::cli::ContactsArgs;
use crate::config::Config;

/// The fields a terminal table shows (JSON and CSV have them all).
const SHOWN: &[&str] = &[
    "id", "time", "channel", "queue", "agent", "customer", "outcome", "wait_s", "talk_s",
];

/// `ccpulse contacts`. Customer numbers are masked, as everywhere they leave the store, unless
/// `--unmask --reason` asks.
pub fn contacts(cfg: &Config, a: ContactsArgs) -> Done {
    // Unmasked only when asked with a reason; the invocation (reason included) is already in
    // the audit log.
    let unmask = a.unmask && a.reason.as_deref().is_some_and(|r| !r.trim().is_empty());
    if a.unmask && !unmask {
        bail!("--unmask: give the reason (--reason TEXT): it goes into the audit log");
    }
    let reveal = if unmask {
        ccpulse_store::Reveal::Shown
    } else {
        ccpulse_store::Reveal::Masked
    };
    let store = open_any(cfg)?;
    let tenant = known_tenant(store.as_ref(), &a.tenant)?;
    if let Some(id) = &a.id {
        let Some(card) = store.contact_card(&tenant, id, reveal)? else {
            bail!("no contact `{id}` in tenant `{tenant}`");
        };
        println!("{}", serde_json::to_string_pretty(&card.to_json())?);
        return Ok(ExitCode::SUCCESS);
    }
    let catalog = ccpulse_store::files::catalog_in(&cfg.data)?;
    let d = store.drill(&catalog, &drill_query(tenant, &a)?, reveal)?;
    match a.format {
        Format::Json => println!("{}", serde_json::to_string_pretty(&d.to_json())?),
        Format::Csv => print!("{}", d.to_csv()?),
        Format::Table => {
            println!("{}", to_table(&d));
            println!("{} of {} contacts", d.rows.len(), d.total);
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The drill-down the flags ask for.
fn drill_query(tenant: ccpulse_model::TenantId, a: &ContactsArgs) -> anyhow::Result<DrillQuery> {
    let text = DrillText {
        metric: a.metric.as_deref().unwrap_or_default(),
        part: a.part.as_deref(),
        from: a.scope.from.as_deref(),
        to: a.scope.to.as_deref(),
        filters: &a.scope.filters,
        sort: a.sort.as_deref(),
        limit: a.limit.as_deref(),
        offset: a.offset.as_deref(),
    };
    Ok(DrillQuery::parse(tenant, &text)?)
}

fn to_table(d: &Drilled) -> Table {
    let shown: Vec<usize> = SHOWN
        .iter()
        .filter_map(|n| FIELDS.iter().position(|f| f.name == *n))
        .collect();
    let mut t = Table::new();
    t.load_preset(UTF8_FULL_CONDENSED);
    t.set_header(shown.iter().map(|&i| FIELDS[i].name));
    for row in &d.rows {
        t.add_row(shown.iter().map(|&i| {
            match &row[i] {
                // Seconds to a tenth, as people read them.
                Value::Num(Some(n)) => {
                    Cell::new(format!("{n:.1}")).set_alignment(CellAlignment::Right)
                }
                other => Cell::new(other.text()),
            }
        }));
    }
    t
}
