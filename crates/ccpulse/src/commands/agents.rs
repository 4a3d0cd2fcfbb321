//! `ccpulse agents`: every agent of a period against the median of their team or queue.

use std::process::ExitCode;

use ccpulse_metrics::human;
use ccpulse_report::agents::{build, AgentsView, Group, Options};
use ccpulse_report::{Lang, Period};
use comfy_table::{presets::UTF8_FULL_CONDENSED, Cell, CellAlignment, Color, Table};

use super::kpi::Format;
use super::{known_tenant, lang_of, open, Done};
use crate::cli::AgentsArgs;
use crate::config::Config;

/// `ccpulse agents`.
pub fn agents(cfg: &Config, a: AgentsArgs) -> Done {
    let lang = Lang::parse(&lang_of(cfg, a.lang.as_deref())?);
    let store = open(cfg)?;
    let tenant = known_tenant(&store, &a.tenant)?;
    let period = Period::parse(&a.period)?;
    let options = Options {
        group: Group::parse(&a.by)?,
        metrics: a.metrics,
        threshold: a.threshold,
        min_handled: a.min_handled,
    };
    let view = build(
        &store,
        &store.catalog()?,
        &tenant,
        &period,
        &[],
        &options,
        lang,
    )?;
    match a.format {
        Format::Json => println!("{}", serde_json::to_string_pretty(&view.to_json())?),
        Format::Csv => print!("{}", view.to_csv()?),
        Format::Table => {
            println!("{}", table(&view));
            for r in &view.rows {
                for why in r.reasons.iter().flatten() {
                    println!("{}: {why}", r.agent);
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Each agent's values, flagged ones marked ▲ (outstanding) or ▼ (needs improvement).
fn table(v: &AgentsView) -> Table {
    let mut t = Table::new();
    t.load_preset(UTF8_FULL_CONDENSED);
    let zh = v.lang == Lang::Zh;
    let mut header = vec![
        (if zh { "坐席" } else { "Agent" }).to_owned(),
        v.options.group.words(v.lang).to_owned(),
        (if zh { "处理量" } else { "Handled" }).to_owned(),
    ];
    header.extend(v.metrics.iter().map(|m| m.label.clone()));
    t.set_header(header);
    for r in &v.rows {
        let mut cells = vec![
            Cell::new(&r.agent),
            Cell::new(r.group.as_deref().unwrap_or("-")),
            Cell::new(r.handled).set_alignment(CellAlignment::Right),
        ];
        for (m, j) in v.metrics.iter().zip(&r.judged) {
            let mark = match j.flag.map(|f| f.as_str()) {
                Some("outstanding") => " ▲",
                Some(_) => " ▼",
                None => "",
            };
            let mut c = Cell::new(format!("{}{mark}", human(j.value, m.unit)))
                .set_alignment(CellAlignment::Right);
            if !mark.is_empty() {
                c = c.fg(if mark == " ▲" {
                    Color::Green
                } else {
                    Color::Red
                });
            }
            cells.push(c);
        }
        t.add_row(cells);
    }
    t
}
