//! Presenting figures: a value for people and for JSON by its unit, `by` items' labels, a
//! result as the JSON of `ccpulse kpi` and `/api/v1/kpi`, as CSV, and `--explain` as text.
//! The command line, the API, the wallboard and the reports format values through here, so a
//! ratio reads the same everywhere (the quality report's signed changes add their own sign).

use serde_json::{json, Value};

use crate::{Bucket, ByItem, Catalog, Dimension, KeyValue, KpiResult, Table, Unit};

/// A value for people: ratios as percentages, whole counts without decimals, the rest with
/// two; `-` for no value.
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

/// A metric value as JSON: counts as integers, null as null.
pub fn json_value(v: Option<f64>, unit: Unit) -> Value {
    match v {
        None => Value::Null,
        #[allow(clippy::cast_possible_truncation)]
        Some(x) if unit == Unit::Count && x.fract() == 0.0 && x.abs() < 9.0e15 => json!(x as i64),
        Some(x) => json!(x),
    }
}

/// A key as JSON: integers as numbers, null as null.
pub fn key_json(k: &KeyValue) -> Value {
    match k {
        KeyValue::Int(i) => json!(i),
        KeyValue::Text(s) => json!(s),
        KeyValue::Null => Value::Null,
    }
}

impl ByItem {
    /// The label of the item in `lang` (zh-CN unless `en...`).
    pub fn label(self, lang: &str) -> &'static str {
        let zh = !lang.starts_with("en");
        let pick = |z: &'static str, e: &'static str| if zh { z } else { e };
        match self.name() {
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
            "wait_band" => pick("等待时长（秒）", "Wait (s)"),
            "anomaly" => pick("异常通话", "Anomaly"),
            "service_channel" => pick("服务渠道", "Service channel"),
            "time_of_day" => pick("时刻（15分钟）", "Time of day (15 min)"),
            other => other,
        }
    }
}

impl KpiResult {
    /// `{"rows":[...]}` with one key per `by` item and per metric as written, plus `metrics`
    /// (labels and units) and, with `explain`, `explain` (formulas, numerators and
    /// denominators per row, the SQL).
    pub fn to_json(&self, lang: &str, explain: bool) -> Value {
        let q = &self.query;
        let rows: Vec<Value> = self
            .rows
            .iter()
            .map(|row| {
                let mut m = serde_json::Map::new();
                for ((item, _), k) in q.by.iter().zip(&row.keys) {
                    m.insert(item.name().to_owned(), key_json(k));
                }
                for (metric, v) in q.metrics.iter().zip(&row.values) {
                    m.insert(metric.written.clone(), json_value(*v, metric.unit));
                }
                Value::Object(m)
            })
            .collect();
        let metrics: Vec<Value> = q
            .metrics
            .iter()
            .map(|m| json!({"key": m.written, "label": m.label(lang), "unit": m.unit.as_str()}))
            .collect();
        let mut out = json!({ "rows": rows, "metrics": metrics });
        if explain {
            out["explain"] = self.explain_json();
        }
        out
    }

    fn explain_json(&self) -> Value {
        let q = &self.query;
        let ex: Vec<Value> = q
            .metrics
            .iter()
            .enumerate()
            .map(|(i, m)| {
                json!({
                    "metric": m.written,
                    "formula": m.formula,
                    "params": m.params,
                    "numerator_sql": m.numerator_sql,
                    "denominator_sql": m.denominator_sql,
                    "scale": m.scale,
                    "rows": self.rows.iter().map(|row| json!({
                        "keys": row.keys.iter().map(key_json).collect::<Vec<_>>(),
                        "numerator": row.numerators[i],
                        "denominator": row.denominators[i],
                    })).collect::<Vec<_>>(),
                })
            })
            .collect();
        json!({ "metrics": ex, "sql": q.sql, "params": q.params })
    }

    /// CSV with the JSON keys as header and raw values (ratios as fractions).
    pub fn to_csv(&self) -> Result<String, csv::Error> {
        let q = &self.query;
        let mut w = csv::Writer::from_writer(Vec::new());
        let mut header: Vec<String> = q.by.iter().map(|(b, _)| b.name().to_owned()).collect();
        header.extend(q.metrics.iter().map(|m| m.written.clone()));
        w.write_record(&header)?;
        for row in &self.rows {
            let mut rec: Vec<String> = row
                .keys
                .iter()
                .map(|k| k.text().unwrap_or_default())
                .collect();
            rec.extend(q.metrics.iter().zip(&row.values).map(|(m, v)| {
                match json_value(*v, m.unit) {
                    Value::Null => String::new(),
                    other => other.to_string(),
                }
            }));
            w.write_record(&rec)?;
        }
        let bytes = w
            .into_inner()
            .map_err(|e| csv::Error::from(e.into_error()))?;
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }

    /// `--explain` for people: each metric's formula, parameters, numerator and denominator
    /// per row, and the SQL.
    pub fn explain_text(&self, lang: &str) -> String {
        use std::fmt::Write as _;
        let q = &self.query;
        let mut out = String::new();
        for (i, m) in q.metrics.iter().enumerate() {
            let _ = write!(out, "\n{} ({})\n", m.written, m.label(lang));
            let _ = writeln!(out, "  formula:     {}", m.formula);
            if !m.params.is_empty() {
                let p: Vec<String> = m.params.iter().map(|(k, v)| format!("{k}={v}")).collect();
                let _ = writeln!(out, "  parameters:  {}", p.join(", "));
            }
            let _ = writeln!(out, "  numerator:   {}", m.numerator_sql);
            if let Some(d) = &m.denominator_sql {
                let _ = writeln!(out, "  denominator: {d}");
            }
            if m.scale != 1.0 {
                let _ = writeln!(out, "  scale:       x {}", m.scale);
            }
            for row in &self.rows {
                let keys: Vec<String> = row.keys.iter().map(ToString::to_string).collect();
                let at = if keys.is_empty() {
                    "total".to_owned()
                } else {
                    keys.join(" / ")
                };
                let num = row.numerators[i].map_or("null".to_owned(), |n| format!("{n}"));
                let value = human(row.values[i], m.unit);
                let _ = match row.denominators[i] {
                    Some(d) => writeln!(out, "  {at}: {num} / {d} = {value}"),
                    None => writeln!(out, "  {at}: {num} -> {value}"),
                };
            }
        }
        let _ = write!(out, "\nSQL (parameters: {:?}):\n{}\n", q.params, q.sql);
        out
    }
}

impl Catalog {
    /// The table a metric's numerator is counted in (for a ratio of two metrics, the first's).
    pub fn numerator_table(&self, m: &crate::Metric) -> Table {
        match &m.of {
            Some((num, _)) => self.get(num).map_or(m.table, |n| n.table),
            None => m.table,
        }
    }

    /// `{"metrics": [...], "buckets": [...], "dimensions": [...]}`: every metric with its
    /// labels, unit, formula in words, parameters, variants, bands and whether it drills to
    /// contacts; every `--by` item with its labels. What `ccpulse metrics --json` prints and
    /// the explore page builds its choices from.
    pub fn to_json(&self) -> Value {
        let metrics: Vec<Value> = self
            .iter()
            .map(|m| {
                let formula = m
                    .variants
                    .get("default")
                    .or_else(|| m.variants.values().next())
                    .map(|f| f.formula.clone().unwrap_or_else(|| f.numerator.clone()));
                json!({
                    "name": m.name, "zh": m.zh, "en": m.en, "unit": m.unit.as_str(),
                    "table": m.table.as_str(), "ratio_of": m.of,
                    "direction": m.direction.as_str(), "params": m.params,
                    "formula": formula,
                    "formula_zh": m.formula_zh.as_ref().or(formula.as_ref()),
                    "variants": m.variants.keys().collect::<Vec<_>>(),
                    "bands": m.bands.iter().map(|b| json!({"points": b.points, "when": b.describe()})).collect::<Vec<_>>(),
                    "drill": self.numerator_table(m) == Table::Contacts,
                })
            })
            .collect();
        let item =
            |b: ByItem| json!({"name": b.name(), "zh": b.label("zh-CN"), "en": b.label("en")});
        json!({
            "metrics": metrics,
            "buckets": Bucket::ALL.iter().map(|(_, b)| item(ByItem::Bucket(*b))).collect::<Vec<_>>(),
            "dimensions": Dimension::ALL.iter().map(|(_, d)| item(ByItem::Dimension(*d))).collect::<Vec<_>>(),
        })
    }
}
