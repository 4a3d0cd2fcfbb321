//! `ccpulse erlang`, `forecast` and `staffing`: the queueing models, the forecast and a day's
//! plan from the command line.

use std::path::Path;
use std::process::ExitCode;

use anyhow::{bail, Context as _};
use ccpulse_staffing::{erlang_a, erlang_c, required_agents, Case, Model};
use comfy_table::{presets::UTF8_FULL_CONDENSED, Cell, CellAlignment, Table};
use serde_json::{json, Map, Value};

use ccpulse_report::staffing::{
    check_plan, forecast_view, interval_minutes, plan_view, ForecastAsk, Patience, PlanAsk,
};
use ccpulse_report::Lang;

use super::{known_tenant, lang_of, open, Done};
use crate::cli::{ErlangArgs, ErlangModel, ForecastArgs, StaffingArgs, StaffingFormat};
use crate::commands::kpi::Format;
use crate::config::Config;

/// The columns Erlang C appends to a case.
const C_COLUMNS: [&str; 5] = [
    "traffic_erlangs",
    "prob_wait",
    "service_level",
    "asa_s",
    "occupancy",
];
/// The columns Erlang A appends.
const A_COLUMNS: [&str; 5] = [
    "prob_wait",
    "prob_abandon",
    "service_level",
    "asa_s",
    "mean_wait_all_s",
];

/// A figure as JSON: an infinite one (an unstable queue's wait) is null.
fn number(v: f64) -> Value {
    serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number)
}

/// A figure as text: `inf` for an unstable queue's wait.
fn text(v: &Value) -> String {
    match v {
        Value::Null => "inf".into(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The figures of `case` under the model, every key of both lists.
fn solve(
    model: ErlangModel,
    case: &Case,
    patience: Option<f64>,
) -> anyhow::Result<Map<String, Value>> {
    let mut m = Map::new();
    match model {
        ErlangModel::C => {
            let c = erlang_c(case);
            for (k, v) in C_COLUMNS.iter().zip([
                c.traffic_erlangs,
                c.prob_wait,
                c.service_level,
                c.asa_s,
                c.occupancy,
            ]) {
                m.insert((*k).into(), number(v));
            }
        }
        ErlangModel::A => {
            let p = patience.context("Erlang A needs the callers' mean patience: --patience SECONDS (or a mean_patience_s column)")?;
            let a = erlang_a(case, p);
            m.insert("traffic_erlangs".into(), number(a.traffic_erlangs));
            for (k, v) in A_COLUMNS.iter().zip([
                a.prob_wait,
                a.prob_abandon,
                a.service_level,
                a.asa_s,
                a.mean_wait_all_s,
            ]) {
                m.insert((*k).into(), number(v));
            }
            m.insert("occupancy".into(), number(a.occupancy));
        }
    }
    Ok(m)
}

/// Checks a case's numbers, naming the first that cannot be.
fn check(calls: f64, aht: f64, target: f64, patience: Option<f64>) -> Result<(), String> {
    if !calls.is_finite() || calls < 0.0 {
        return Err(format!(
            "calls per hour `{calls}` must be a number of at least 0"
        ));
    }
    if !aht.is_finite() || aht <= 0.0 {
        return Err(format!("AHT `{aht}` must be a number of seconds above 0"));
    }
    if !target.is_finite() || target < 0.0 {
        return Err(format!(
            "target `{target}` must be a number of seconds of at least 0"
        ));
    }
    if let Some(p) = patience.filter(|p| !p.is_finite() || *p <= 0.0) {
        return Err(format!(
            "patience `{p}` must be a number of seconds above 0"
        ));
    }
    Ok(())
}

/// `ccpulse erlang`.
pub fn erlang(a: ErlangArgs) -> Done {
    if let Some(path) = &a.input {
        return table_of_cases(&a, path);
    }
    let (Some(calls), Some(aht)) = (a.calls_per_hour, a.aht) else {
        bail!("give --calls-per-hour and --aht (or --input FILE.csv)");
    };
    check(calls, aht, a.target, a.patience).map_err(anyhow::Error::msg)?;
    let mut out = Map::new();
    out.insert(
        "model".into(),
        json!(if a.model == ErlangModel::C { "c" } else { "a" }),
    );
    out.insert("calls_per_hour".into(), json!(calls));
    out.insert("aht_s".into(), json!(aht));
    out.insert("target_s".into(), json!(a.target));
    if let Some(p) = a.patience {
        out.insert("mean_patience_s".into(), json!(p));
    }
    let agents = match (a.agents, a.target_sl) {
        (_, Some(sl)) => {
            if !(sl > 0.0 && sl < 1.0) {
                bail!("--target-sl `{sl}` must be a fraction between 0 and 1 (0.8 = 80 %)");
            }
            let model = match a.model {
                ErlangModel::C => Model::C,
                ErlangModel::A => {
                    Model::A(a.patience.context("Erlang A needs --patience SECONDS")?)
                }
            };
            let (n, _) = required_agents(calls, aht, a.target, sl, a.max_occupancy, model)
                .context("more than 100,000 agents would be needed")?;
            out.insert("target_sl".into(), json!(sl));
            out.insert("required_agents".into(), json!(n));
            n
        }
        (Some(n), None) => n,
        (None, None) => {
            bail!("give --agents N, or --target-sl 0.8 for the fewest agents that reach it")
        }
    };
    out.insert("agents".into(), json!(agents));
    let case = Case {
        calls_per_hour: calls,
        aht_s: aht,
        agents,
        target_s: a.target,
    };
    out.extend(solve(a.model, &case, a.patience)?);
    // People read the case, then its figures.
    let order = [
        "model",
        "calls_per_hour",
        "aht_s",
        "agents",
        "target_s",
        "mean_patience_s",
        "target_sl",
        "required_agents",
        "traffic_erlangs",
        "prob_wait",
        "prob_abandon",
        "service_level",
        "asa_s",
        "mean_wait_all_s",
        "occupancy",
    ];
    let shown: Vec<(&str, &Value)> = order
        .iter()
        .filter_map(|k| out.get(*k).map(|v| (*k, v)))
        .collect();
    match a.format {
        Format::Json => println!("{}", Value::Object(out.clone())),
        Format::Csv => {
            println!(
                "{}",
                shown.iter().map(|(k, _)| *k).collect::<Vec<_>>().join(",")
            );
            println!(
                "{}",
                shown
                    .iter()
                    .map(|(_, v)| text(v))
                    .collect::<Vec<_>>()
                    .join(",")
            );
        }
        Format::Table => {
            let mut t = Table::new();
            t.load_preset(UTF8_FULL_CONDENSED);
            for (k, v) in &shown {
                let value = v
                    .as_f64()
                    .filter(|x| x.fract() != 0.0)
                    .map_or_else(|| text(v), |x| format!("{x:.4}"));
                t.add_row(vec![
                    Cell::new(k),
                    Cell::new(value).set_alignment(CellAlignment::Right),
                ]);
            }
            println!("{t}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `erlang --input FILE.csv`: every row with the model's figures appended.
fn table_of_cases(a: &ErlangArgs, path: &Path) -> Done {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_path(path)
        .with_context(|| format!("{}: cannot read", path.display()))?;
    let headers: Vec<String> = reader
        .headers()
        .with_context(|| format!("{}: no header line", path.display()))?
        .iter()
        .map(str::to_owned)
        .collect();
    let column = |name: &str| headers.iter().position(|h| h == name);
    let mut needed = vec!["calls_per_hour", "aht_s", "agents", "target_s"];
    if a.model == ErlangModel::A && a.patience.is_none() {
        needed.push("mean_patience_s");
    }
    for n in &needed {
        if column(n).is_none() {
            bail!(
                "{}: no `{n}` column (the columns are {}; needed: {})",
                path.display(),
                headers.join(", "),
                needed.join(", ")
            );
        }
    }
    let appended: &[&str] = match a.model {
        ErlangModel::C => &C_COLUMNS,
        ErlangModel::A => &A_COLUMNS,
    };
    let mut rows: Vec<(Vec<String>, Map<String, Value>)> = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let line = i + 2;
        let record = record.with_context(|| format!("{}: line {line}", path.display()))?;
        let field = |name: &str| -> anyhow::Result<f64> {
            let raw = column(name).and_then(|c| record.get(c)).unwrap_or_default();
            raw.parse::<f64>().map_err(|_| {
                anyhow::anyhow!(
                    "{}: line {line}: field `{name}`: `{raw}` is not a number",
                    path.display()
                )
            })
        };
        let calls = field("calls_per_hour")?;
        let aht = field("aht_s")?;
        let target = field("target_s")?;
        let agents_raw = field("agents")?;
        if agents_raw < 0.0 || agents_raw.fract() != 0.0 || agents_raw > f64::from(u32::MAX) {
            bail!(
                "{}: line {line}: field `agents`: `{agents_raw}` is not a whole number of agents",
                path.display()
            );
        }
        let patience = match (a.model, a.patience) {
            (ErlangModel::A, None) => Some(field("mean_patience_s")?),
            (_, p) => p,
        };
        check(calls, aht, target, patience)
            .map_err(|e| anyhow::anyhow!("{}: line {line}: {e}", path.display()))?;
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let case = Case {
            calls_per_hour: calls,
            aht_s: aht,
            agents: agents_raw as u32,
            target_s: target,
        };
        let figures = solve(a.model, &case, patience)?;
        rows.push((record.iter().map(str::to_owned).collect(), figures));
    }
    let mut all_headers: Vec<&str> = headers.iter().map(String::as_str).collect();
    all_headers.extend(appended.iter().copied());
    match a.format {
        Format::Csv => {
            let mut w = csv::Writer::from_writer(std::io::stdout().lock());
            w.write_record(&all_headers)?;
            for (given, figures) in &rows {
                let mut r = given.clone();
                r.extend(appended.iter().map(|k| text(&figures[*k])));
                w.write_record(&r)?;
            }
            w.flush()?;
        }
        Format::Json => {
            let list: Vec<Value> = rows
                .iter()
                .map(|(given, figures)| {
                    let mut m = Map::new();
                    for (h, v) in headers.iter().zip(given) {
                        m.insert(
                            h.clone(),
                            v.parse::<f64>().map_or_else(|_| json!(v), |n| json!(n)),
                        );
                    }
                    for k in appended {
                        m.insert((*k).into(), figures[*k].clone());
                    }
                    Value::Object(m)
                })
                .collect();
            println!("{}", json!({ "rows": list }));
        }
        Format::Table => {
            let mut t = Table::new();
            t.load_preset(UTF8_FULL_CONDENSED);
            t.set_header(all_headers.iter().map(Cell::new));
            for (given, figures) in &rows {
                let mut cells: Vec<Cell> = given.iter().map(Cell::new).collect();
                cells.extend(appended.iter().map(|k| {
                    let v = &figures[*k];
                    let shown = v.as_f64().map_or_else(|| text(v), |x| format!("{x:.4}"));
                    Cell::new(shown).set_alignment(CellAlignment::Right)
                }));
                t.add_row(cells);
            }
            println!("{t}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn day(s: &str, flag: &str) -> anyhow::Result<jiff::civil::Date> {
    s.parse()
        .map_err(|_| anyhow::anyhow!("{flag} `{s}` is not a date like 2026-11-23"))
}

fn pct(v: Option<f64>) -> String {
    v.map_or_else(|| "-".to_owned(), |v| format!("{:.1}%", v * 100.0))
}

/// `ccpulse forecast`.
pub fn forecast(cfg: &Config, a: ForecastArgs) -> Done {
    let store = open(cfg)?;
    let tenant = known_tenant(&store, &a.tenant)?;
    let catalog = store.catalog()?;
    let ask = ForecastAsk {
        queue: a.queue.clone(),
        from: day(&a.from, "--from")?,
        days: a.days.max(1),
        interval_min: interval_minutes(&a.interval)?,
        weeks: a.weeks.max(1),
    };
    let v = forecast_view(&store, &catalog, &cfg.data, &tenant, &ask, &[])?;
    match a.format {
        Format::Json => println!("{}", serde_json::to_string_pretty(&v.to_json())?),
        Format::Csv => print!("{}", v.to_csv()?),
        Format::Table => {
            let mut t = Table::new();
            t.load_preset(UTF8_FULL_CONDENSED);
            t.set_header(vec!["date", "calls", "peak interval", "its calls"]);
            for (d, total) in v.daily() {
                let busiest = v
                    .intervals
                    .iter()
                    .filter(|p| p.date == d)
                    .max_by(|x, y| x.calls.total_cmp(&y.calls));
                let (at, n) = busiest.map_or(("-".to_owned(), 0.0), |p| {
                    let m = u32::try_from(p.slot).unwrap_or(0) * ask.interval_min;
                    (format!("{:02}:{:02}", m / 60, m % 60), p.calls)
                });
                t.add_row(vec![
                    Cell::new(d.to_string()),
                    Cell::new(format!("{total:.0}")).set_alignment(CellAlignment::Right),
                    Cell::new(at),
                    Cell::new(format!("{n:.1}")).set_alignment(CellAlignment::Right),
                ]);
            }
            println!("{t}");
            match &v.accuracy {
                Some(acc) => println!(
                    "backtest (the last {} days predicted from the {} weeks before): per interval MAPE {}, WAPE {}; per day MAPE {}, WAPE {}",
                    acc.days,
                    acc.weeks,
                    pct(acc.mape_interval),
                    pct(acc.wape_interval),
                    pct(acc.mape_day),
                    pct(acc.wape_day)
                ),
                None => println!("backtest: not enough history before the last 4 weeks"),
            }
            for (d, s) in &v.special {
                println!("special day {d}: {} (volume x {})", s.name, s.factor);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `ccpulse staffing`.
pub fn staffing(cfg: &Config, a: StaffingArgs) -> Done {
    let lang = Lang::parse(&lang_of(cfg, a.lang.as_deref())?);
    let patience = match a.patience.as_deref() {
        None => Patience::None,
        Some("auto") => Patience::Auto,
        Some(s) => Patience::Seconds(
            s.parse()
                .map_err(|_| anyhow::anyhow!("--patience `{s}` is not seconds or `auto`"))?,
        ),
    };
    let ask = PlanAsk {
        queue: a.queue.clone(),
        date: day(&a.date, "--date")?,
        interval_min: interval_minutes(&a.interval)?,
        weeks: a.weeks.max(1),
        target_sl: a.target_sl,
        threshold_s: a.threshold,
        patience,
        shrinkage: a.shrinkage,
        max_occupancy: a.max_occupancy,
    };
    check_plan(&ask)?;
    if matches!(a.format, StaffingFormat::Xlsx | StaffingFormat::Html) && a.out.is_none() {
        bail!("--format xlsx and html write a file: give --out FILE");
    }
    let store = open(cfg)?;
    let tenant = known_tenant(&store, &a.tenant)?;
    let catalog = store.catalog()?;
    let v = plan_view(&store, &catalog, &cfg.data, &tenant, &ask, &[])?;
    let doc = v.document(lang);
    match a.format {
        StaffingFormat::Json => println!("{}", serde_json::to_string_pretty(&v.to_json())?),
        StaffingFormat::Csv => print!("{}", v.to_csv()?),
        StaffingFormat::Table => {
            for p in &doc.sections[0].paragraphs {
                println!("{p}");
            }
            let mut t = Table::new();
            t.load_preset(UTF8_FULL_CONDENSED);
            if let Some(table) = &doc.sections[0].table {
                t.set_header(table.columns.iter().map(|c| Cell::new(&c.label)));
                // The hours with calls; the night's empty intervals would bury them.
                for (row, iv) in table.rows.iter().zip(&v.intervals) {
                    if iv.calls < 0.05 && iv.required_agents == 0 {
                        continue;
                    }
                    t.add_row(row.iter().zip(&table.columns).map(|(c, col)| {
                        Cell::new(ccpulse_report::doc::cell_text(c, col.fmt))
                            .set_alignment(CellAlignment::Right)
                    }));
                }
            }
            println!("{t}");
        }
        StaffingFormat::Xlsx | StaffingFormat::Html => {
            let out = a.out.as_deref().context("--out")?;
            let bytes = if a.format == StaffingFormat::Xlsx {
                ccpulse_report::xlsx::render(&doc)?
            } else {
                ccpulse_report::html::render(&doc).into_bytes()
            };
            std::fs::write(out, bytes)
                .with_context(|| format!("cannot write {}", out.display()))?;
            eprintln!("wrote {}", out.display());
        }
    }
    Ok(ExitCode::SUCCESS)
}
