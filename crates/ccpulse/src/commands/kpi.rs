//! `ccpulse kpi` and `ccpulse metrics`: running a KPI query and showing it as a table, JSON
//! or CSV, with `--explain`.

use std::process::ExitCode;

use ccpulse_metrics::{human, Catalog, KpiQuery, KpiResult, KpiText};
use comfy_table::{presets::UTF8_FULL_CONDENSED, Cell, CellAlignment, Table};

use super::{known_tenant, lang_of, open, open_any, Done};
use crate::cli::{KpiArgs, MetricsArgs};
use crate::config::Config;

/// `ccpulse kpi`.
pub fn kpi(cfg: &Config, a: KpiArgs) -> Done {
    let lang = lang_of(cfg, a.lang.as_deref())?;
    let store = open_any(cfg)?;
    let tenant = known_tenant(store.as_ref(), &a.tenant)?;
    let catalog = ccpulse_store::files::catalog_in(&cfg.data)?;
    let text = KpiText {
        metrics: &a.metrics,
        by: a.by.as_deref(),
        from: a.scope.from.as_deref(),
        to: a.scope.to.as_deref(),
        filters: &a.scope.filters,
    };
    let mut q = KpiQuery::parse(tenant, &text)?;
    q.fill = a.fill;
    let r = store.ask(&catalog, &q)?;
    match a.format {
        Format::Json => println!(
            "{}",
            serde_json::to_string_pretty(&r.to_json(&lang, a.explain))?
        ),
        Format::Csv => {
            print!("{}", r.to_csv()?);
            if a.explain {
                eprintln!("{}", r.explain_text(&lang));
            }
        }
        Format::Table => {
            println!("{}", to_table(&r, &lang));
            if a.explain {
                println!("{}", r.explain_text(&lang));
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `ccpulse metrics`.
pub fn metrics(cfg: &Config, a: MetricsArgs) -> Done {
    let lang = lang_of(cfg, a.lang.as_deref())?;
    let store = open(cfg)?;
    let catalog = store.catalog()?;
    println!("{}", list_metrics(&catalog, &lang, a.json));
    Ok(ExitCode::SUCCESS)
}

/// Output formats of `kpi`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Table,
    Json,
    Csv,
}

/// A table for the terminal.
pub fn to_table(r: &KpiResult, lang: &str) -> String {
    let q = &r.query;
    let mut t = Table::new();
    t.load_preset(UTF8_FULL_CONDENSED);
    let mut header: Vec<Cell> = q.by.iter().map(|(b, _)| Cell::new(b.label(lang))).collect();
    header.extend(q.metrics.iter().map(|m| Cell::new(m.label(lang))));
    t.set_header(header);
    for row in &r.rows {
        let mut cells: Vec<Cell> = row.keys.iter().map(|k| Cell::new(k.to_string())).collect();
        cells.extend(
            q.metrics
                .iter()
                .zip(&row.values)
                .map(|(m, v)| Cell::new(human(*v, m.unit)).set_alignment(CellAlignment::Right)),
        );
        t.add_row(cells);
    }
    t.to_string()
}

/// `ccpulse metrics`: the catalog as a table or JSON.
pub fn list_metrics(catalog: &Catalog, lang: &str, as_json: bool) -> String {
    if as_json {
        return serde_json::to_string_pretty(&catalog.to_json()).unwrap_or_default();
    }
    let mut t = Table::new();
    t.load_preset(UTF8_FULL_CONDENSED);
    let zh = !lang.starts_with("en");
    t.set_header(if zh {
        vec!["指标", "名称", "单位", "方向", "参数", "评分标准"]
    } else {
        vec![
            "metric",
            "label",
            "unit",
            "better",
            "parameters",
            "scoring bands",
        ]
    });
    for m in catalog.iter() {
        let params: Vec<String> = m.params.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let mut params = params.join(", ");
        if m.variants.len() > 1 {
            params.push_str(&format!(
                "\nvariants: {}",
                m.variants.keys().cloned().collect::<Vec<_>>().join(", ")
            ));
        }
        let bands: Vec<String> = m
            .bands
            .iter()
            .map(|b| format!("{}: {}", b.points, b.describe()))
            .collect();
        t.add_row(vec![
            m.name.clone(),
            m.label(lang).to_owned(),
            m.unit.as_str().to_owned(),
            m.direction.as_str().to_owned(),
            params,
            bands.join("; "),
        ]);
    }
    t.to_string()
}
