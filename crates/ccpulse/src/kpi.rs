//! `ccpulse kpi` and `ccpulse metrics`: running a KPI query and showing it as a table, JSON
//! or CSV, with `--explain`.

use ccpulse_metrics::{ByItem, Catalog, CompiledQuery, Unit};
pub use ccpulse_store::kpi::{build, json_value, load_catalog, to_json, KpiArgs};
use ccpulse_store::{KeyValue, KpiResult};
use comfy_table::{presets::UTF8_FULL_CONDENSED, Cell, CellAlignment, Table};
use serde_json::{json, Value};

/// Output formats of `kpi`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Table,
    Json,
    Csv,
}

/// A value for people: ratios as percentages, durations with two decimals.
pub fn human(v: Option<f64>, unit: Unit) -> String {
    match v {
        None => "-".to_owned(),
        Some(x) => match unit {
            Unit::Ratio => format!("{:.2}%", x * 100.0),
            Unit::Count if x.fract() == 0.0 => format!("{x:.0}"),
            _ => format!("{x:.2}"),
        },
    }
}

/// The label of a `--by` item in `lang`.
fn by_label(item: ByItem, lang: &str) -> &'static str {
    let zh = !lang.starts_with("en");
    let pick = |z: &'static str, e: &'static str| if zh { z } else { e };
    match item.name() {
        "15min" => pick("15分钟", "15 min"),
        "30min" => pick("30分钟", "30 min"),
        "hour" => pick("小时", "Hour"),
        "day" => pick("日期", "Day"),
        "week" => pick("周", "Week"),
        "month" => pick("月份", "Month"),
        "quarter" => pick("季度", "Quarter"),
        "year" => pick("年度", "Year"),
        "channel" => pick("渠道", "Channel"),
        "source" => pick("来源", "Source"),
        "direction" => pick("方向", "Direction"),
        "entry_point" => pick("接入号", "Entry point"),
        "queue" => pick("技能组", "Queue"),
        "agent" => pick("坐席", "Agent"),
        "team" => pick("班组", "Team"),
        "region" => pick("地区", "Region"),
        "province" => pick("省份", "Province"),
        "business_line" => pick("业务线", "Business line"),
        "category" => pick("分类", "Category"),
        "business_type" => pick("业务类型", "Business type"),
        "outcome" => pick("结果", "Outcome"),
        "hour_of_day" => pick("时段", "Hour of day"),
        "weekday" => pick("星期", "Weekday"),
        other => other,
    }
}

/// A table for the terminal.
pub fn to_table(q: &CompiledQuery, r: &KpiResult, lang: &str) -> String {
    let mut t = Table::new();
    t.load_preset(UTF8_FULL_CONDENSED);
    let mut header: Vec<Cell> =
        q.by.iter()
            .map(|(b, _)| Cell::new(by_label(*b, lang)))
            .collect();
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

/// CSV with the JSON keys as header and raw values (ratios as fractions).
pub fn to_csv(q: &CompiledQuery, r: &KpiResult) -> anyhow::Result<String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header: Vec<String> = q.by.iter().map(|(b, _)| b.name().to_owned()).collect();
    header.extend(q.metrics.iter().map(|m| m.written.clone()));
    w.write_record(&header)?;
    for row in &r.rows {
        let mut rec: Vec<String> = row
            .keys
            .iter()
            .map(|k| match k {
                KeyValue::Null => String::new(),
                other => other.to_string(),
            })
            .collect();
        rec.extend(
            q.metrics
                .iter()
                .zip(&row.values)
                .map(|(m, v)| match json_value(*v, m.unit) {
                    Value::Null => String::new(),
                    other => other.to_string(),
                }),
        );
        w.write_record(&rec)?;
    }
    Ok(String::from_utf8(w.into_inner()?)?)
}

/// `--explain` for people: each metric's formula, parameters, numerator and denominator per
/// row, and the SQL.
pub fn explain_text(q: &CompiledQuery, r: &KpiResult, lang: &str) -> String {
    let mut out = String::new();
    for (i, m) in q.metrics.iter().enumerate() {
        out.push_str(&format!("\n{} ({})\n", m.written, m.label(lang)));
        out.push_str(&format!("  formula:     {}\n", m.formula));
        if !m.params.is_empty() {
            let p: Vec<String> = m.params.iter().map(|(k, v)| format!("{k}={v}")).collect();
            out.push_str(&format!("  parameters:  {}\n", p.join(", ")));
        }
        out.push_str(&format!("  numerator:   {}\n", m.numerator_sql));
        if let Some(d) = &m.denominator_sql {
            out.push_str(&format!("  denominator: {d}\n"));
        }
        if m.scale != 1.0 {
            out.push_str(&format!("  scale:       x {}\n", m.scale));
        }
        for row in &r.rows {
            let keys: Vec<String> = row.keys.iter().map(ToString::to_string).collect();
            let at = if keys.is_empty() {
                "total".to_owned()
            } else {
                keys.join(" / ")
            };
            let num = row.numerators[i].map_or("null".to_owned(), |n| format!("{n}"));
            match row.denominators[i] {
                Some(d) => out.push_str(&format!(
                    "  {at}: {num} / {d} = {}\n",
                    human(row.values[i], m.unit)
                )),
                None => out.push_str(&format!(
                    "  {at}: {num} -> {}\n",
                    human(row.values[i], m.unit)
                )),
            }
        }
    }
    out.push_str(&format!("\nSQL (parameters: {:?}):\n{}\n", q.params, q.sql));
    out
}

/// `ccpulse metrics`: the catalog as a table or JSON.
pub fn list_metrics(catalog: &Catalog, lang: &str, as_json: bool) -> String {
    if as_json {
        let v: Vec<Value> = catalog
            .iter()
            .map(|m| {
                json!({
                    "name": m.name, "zh": m.zh, "en": m.en, "unit": m.unit.as_str(),
                    "direction": m.direction.as_str(), "params": m.params,
                    "variants": m.variants.keys().collect::<Vec<_>>(),
                    "bands": m.bands.iter().map(|b| json!({"points": b.points, "when": b.describe()})).collect::<Vec<_>>(),
                })
            })
            .collect();
        return serde_json::to_string_pretty(&json!({ "metrics": v })).unwrap_or_default();
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
