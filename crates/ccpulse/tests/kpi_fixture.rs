//! Thirty contacts covering every outcome and edge, every metric computed by hand.
//!
//! Tenant `fx`, Asia/Shanghai, service level 20 s, short abandon 5 s. Contact k arrives at
//! 2021-01-04T09:00+08:00 plus 10 (k-1) minutes, spends 10 s in the IVR, then queues.
#![allow(clippy::unwrap_used)]

mod common;

use common::{close, num, Cli};
use jiff::SignedDuration;
use serde_json::{json, Value};

fn setup() -> Cli {
    let cli = Cli::new();
    let lines = common::fixture::lines();
    assert_eq!(lines.len(), 30);
    let file = cli.write("fixture.jsonl", &(lines.join("\n") + "\n"));
    let out = cli.ok(&[
        "import",
        "--format",
        "contacts",
        "--tenant",
        "fx",
        "--strict",
        file.to_str().unwrap(),
    ]);
    assert!(
        out.contains("read 30, inserted 30, updated 0, unchanged 0, rejected 0"),
        "{out}"
    );
    cli
}

/// Every metric over the whole fixture, each against its hand computation.
#[test]
fn every_metric_by_hand() {
    let cli = setup();
    let expected: Vec<(&str, Option<f64>)> = vec![
        ("contacts", Some(30.0)),
        ("offered", Some(25.0)),
        ("outbound", Some(5.0)),           // c18-c21 and the callback c28
        ("outbound_connected", Some(3.0)), // c18, c19, c28
        ("self_service", Some(2.0)),       // c14, c15
        // c16 (voicemail) and c17 (callback): neither answered, abandoned in a queue nor
        // self-served; offered 25 = answered 14 + abandoned 7 + self-service 2 + other 2.
        ("other_inbound", Some(2.0)),
        ("agent_requests", Some(23.0)), // 25 inbound - 2 self-service
        ("answered", Some(14.0)),
        ("abandoned", Some(7.0)),       // c09-c13, c25, c30
        ("short_abandoned", Some(2.0)), // c09 (4.9 s), c30 (3 s); c10 at 5.0 s is not short
        ("answer_rate", Some(14.0 / 23.0)),
        ("abandon_rate", Some(7.0 / 23.0)),
        // Handled with less than 10 s of talk: c04 (8 s).
        ("ultra_short_calls", Some(1.0)),
        ("ultra_short_calls[min_talk=40]", Some(4.0)), // c04, c26 (11 s), c23 and c27 (30 s)
        ("handled", Some(17.0)),                       // 14 inbound answered + c18, c19, c28
        ("transfer_rate", Some(2.0 / 17.0)),           // c07 and c08 were transferred
        // Answered within 20 s (c02 at exactly 20 s counts): c01 c02 c05 c06 c07 c22 c23 c24 c27.
        ("service_level", Some(9.0 / 19.0)), // / (14 + 7 - 2)
        (
            "service_level[variant=answered_and_abandoned]",
            Some(9.0 / 21.0),
        ),
        ("service_level[variant=answered_only]", Some(9.0 / 14.0)),
        (
            "service_level[variant=abandons_within_met]",
            Some(13.0 / 21.0),
        ), // + c09 c10 c12 c30
        (
            "service_level[threshold=20,variant=amazon]",
            Some(13.0 / 23.0),
        ),
        ("service_level[variant=all_queued]", Some(9.0 / 23.0)),
        ("service_level[threshold=30]", Some(12.0 / 19.0)), // + c03 20.5, c04 30, c26 25
        ("answered_within[threshold=15]", Some(8.0 / 14.0)),
        ("answered_within[threshold=30]", Some(12.0 / 14.0)),
        ("asa", Some(239.5 / 14.0)),
        ("avg_wait", Some(569.4 / 23.0)),
        ("longest_wait", Some(120.0)),
        // 23 waits sorted; position 0.9 x 22 = 19.8 between 50 and 60.
        ("p90_wait", Some(58.0)),
        ("avg_talk", Some(2186.0 / 17.0)), // 1916 inbound + 270 outbound, 17 answered
        ("talk_minutes", Some(2186.0 / 60.0)),
        ("aht", Some((2186.0 + 50.0 + 65.0) / 17.0)),
        ("survey_offered", Some(10.0)), // c07's survey was not offered
        ("very_satisfied", Some(0.4)),
        ("satisfied", Some(0.2)),
        ("neutral", Some(0.1)),
        ("dissatisfied", Some(0.2)),
        ("unrated", Some(0.1)), // c05: offered, no score
        ("very_satisfied_count", Some(4.0)),
        ("unrated_count", Some(1.0)),
        ("satisfaction", Some(6.0 / 9.0)),
        ("survey_participation", Some(9.0 / 14.0)),
        // c04 talked 8 s: not a valid call; of the 13 valid ones, one has no recorded
        // resolution and is left out.
        ("fcr", Some(9.0 / 12.0)),
        ("defect_rate", Some(1.0 / 14.0)), // c04: dissatisfied with the attitude
        ("marketing_success", Some(0.5)),  // inbound c08: 1 of 2
        ("qa_score", Some((92.0 + 86.0 + 100.0) / 3.0)),
        ("transfer_accuracy", Some(0.5)),
        ("outbound_connect_rate", Some(3.0 / 5.0)),
        ("outbound_success_rate", Some(1.0 / 3.0)),
        ("distinct_customers", Some(28.0)), // c27 repeats c01; c14 has none
    ];
    let list: Vec<&str> = expected.iter().map(|(k, _)| *k).collect();
    let rows = cli.kpi(&["--tenant", "fx", "--metrics", &list.join(",")]);
    assert_eq!(rows.len(), 1);
    for (key, want) in &expected {
        match want {
            Some(w) => close(num(&rows[0], key), *w, key),
            None => assert!(rows[0][key].is_null(), "{key}"),
        }
    }
    // Counts are integers in JSON.
    assert_eq!(rows[0]["offered"], json!(25));
}

#[test]
fn buckets_are_tenant_local_and_empty_buckets_only_with_fill() {
    let cli = setup();
    let rows = cli.kpi(&[
        "--tenant",
        "fx",
        "--metrics",
        "contacts,answer_rate",
        "--by",
        "month",
    ]);
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["month"], "2021-01");
    assert_eq!(rows[0]["contacts"], 29);
    // 2021-02-01T01:00+08:00 is 2021-01-31 in UTC, and February here.
    assert_eq!(rows[1]["month"], "2021-02");
    assert_eq!(rows[1]["contacts"], 1);

    // The call crossing midnight stays on the day it arrived.
    let rows = cli.kpi(&["--tenant", "fx", "--metrics", "contacts", "--by", "day"]);
    assert_eq!(rows[0], json!({"day": "2021-01-04", "contacts": 29}));
    let rows = cli.kpi(&[
        "--tenant",
        "fx",
        "--metrics",
        "contacts",
        "--by",
        "week,quarter,year",
    ]);
    assert_eq!(
        rows[0],
        json!({"week": "2021-W01", "quarter": "2021-Q1", "year": "2021", "contacts": 29})
    );
    assert_eq!(rows[1]["week"], "2021-W05");

    let rows = cli.kpi(&[
        "--tenant",
        "fx",
        "--metrics",
        "contacts",
        "--by",
        "15min",
        "--from",
        "2021-01-04T23:00",
        "--to",
        "2021-01-05",
    ]);
    assert_eq!(
        rows,
        vec![json!({"15min": "2021-01-04T23:45", "contacts": 1})]
    );
    let rows = cli.kpi(&[
        "--tenant",
        "fx",
        "--metrics",
        "contacts",
        "--by",
        "hour,30min",
        "--from",
        "2021-01-04T09:00",
        "--to",
        "2021-01-04T09:40",
    ]);
    assert_eq!(
        rows,
        vec![
            json!({"hour": "2021-01-04T09:00", "30min": "2021-01-04T09:00", "contacts": 3}),
            json!({"hour": "2021-01-04T09:00", "30min": "2021-01-04T09:30", "contacts": 1}),
        ]
    );

    // Nothing in range: counts are 0, ratios null.
    let rows = cli.kpi(&[
        "--tenant",
        "fx",
        "--metrics",
        "offered,answered,answer_rate,talk_minutes",
        "--from",
        "2030-01-01",
        "--to",
        "2030-02-01",
    ]);
    assert_eq!(
        rows,
        vec![json!({"offered": 0, "answered": 0, "answer_rate": null, "talk_minutes": 0.0})]
    );

    // --from inclusive, --to exclusive.
    let rows = cli.kpi(&[
        "--tenant",
        "fx",
        "--metrics",
        "contacts",
        "--from",
        "2021-02-01T01:00",
        "--to",
        "2021-02-01T01:00:01",
    ]);
    assert_eq!(rows[0]["contacts"], 1);

    let rows = cli.kpi(&[
        "--tenant",
        "fx",
        "--metrics",
        "offered,answer_rate",
        "--by",
        "month",
        "--from",
        "2021-01-01",
        "--to",
        "2021-04-01",
        "--fill",
    ]);
    assert_eq!(rows.len(), 3);
    assert_eq!(
        rows[2],
        json!({"month": "2021-03", "offered": 0, "answer_rate": null})
    );
    let rows = cli.kpi(&[
        "--tenant",
        "fx",
        "--metrics",
        "offered",
        "--by",
        "month",
        "--from",
        "2021-01-01",
        "--to",
        "2021-04-01",
    ]);
    assert_eq!(rows.len(), 2);
}

#[test]
fn dimensions_filters_and_nulls() {
    let cli = setup();
    let rows = cli.kpi(&[
        "--tenant",
        "fx",
        "--metrics",
        "answered,abandoned,service_level",
        "--by",
        "queue,channel",
    ]);
    let keys: Vec<(String, String)> = rows
        .iter()
        .map(|r| {
            (
                r["queue"].as_str().unwrap().to_owned(),
                r["channel"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        keys,
        vec![
            ("q1".into(), "voice".into()),
            ("q2".into(), "chat".into()),
            ("q2".into(), "voice".into())
        ]
    );
    // q2 chat: c24 answered in 2 s, c25 abandoned after 70 s.
    assert_eq!(rows[1]["answered"], 1);
    close(num(&rows[1], "service_level"), 0.5, "q2 chat service level");
    // q2 voice: c26 answered after 25 s, c30 a short abandon: 0 / 1.
    close(
        num(&rows[2], "service_level"),
        0.0,
        "q2 voice service level",
    );

    let rows = cli.kpi(&[
        "--tenant",
        "fx",
        "--metrics",
        "answered,asa",
        "--filter",
        "queue=q2",
        "--filter",
        "channel=voice",
    ]);
    assert_eq!(rows[0]["answered"], 1);
    close(num(&rows[0], "asa"), 25.0, "asa q2 voice");

    // A ratio with a zero denominator is null; an agent-less contact groups under null, last.
    let rows = cli.kpi(&[
        "--tenant",
        "fx",
        "--metrics",
        "answered,satisfaction",
        "--by",
        "agent",
        "--filter",
        "direction=outbound",
    ]);
    assert_eq!(rows.last().unwrap()["agent"], Value::Null);
    assert!(rows[0]["satisfaction"].is_null());

    let rows = cli.kpi(&[
        "--tenant",
        "fx",
        "--metrics",
        "offered",
        "--by",
        "hour_of_day,weekday",
        "--filter",
        "hour_of_day=23",
    ]);
    assert_eq!(
        rows,
        vec![json!({"hour_of_day": 23, "weekday": 1, "offered": 1})]
    );
}

#[test]
fn time_zone_change_recomputes_local_columns() {
    let cli = setup();
    let before = cli.kpi(&[
        "--tenant",
        "fx",
        "--metrics",
        "contacts,answered",
        "--by",
        "hour",
    ]);
    cli.ok(&["tenant", "set", "fx", "--timezone", "UTC"]);
    let rows = cli.kpi(&["--tenant", "fx", "--metrics", "contacts", "--by", "month"]);
    assert_eq!(rows, vec![json!({"month": "2021-01", "contacts": 30})]);
    let rows = cli.kpi(&[
        "--tenant",
        "fx",
        "--metrics",
        "contacts",
        "--by",
        "hour",
        "--from",
        "2021-01-04T01:00",
        "--to",
        "2021-01-04T02:00",
    ]);
    assert_eq!(rows[0]["contacts"], 6); // 09:00-09:50 Shanghai
    cli.ok(&["tenant", "set", "fx", "--timezone", "Asia/Shanghai"]);
    let after = cli.kpi(&[
        "--tenant",
        "fx",
        "--metrics",
        "contacts,answered",
        "--by",
        "hour",
    ]);
    assert_eq!(before, after);
}

#[test]
fn explain_csv_table_and_languages() {
    let cli = setup();
    let out = cli.ok(&[
        "kpi",
        "--tenant",
        "fx",
        "--metrics",
        "service_level[threshold=15]",
        "--explain",
        "--format",
        "json",
    ]);
    let v: Value = serde_json::from_str(&out).unwrap();
    let ex = &v["explain"]["metrics"][0];
    assert_eq!(ex["params"]["threshold"], "15");
    assert_eq!(ex["params"]["variant"], "default");
    assert_eq!(ex["rows"][0]["numerator"], json!(8.0));
    assert_eq!(ex["rows"][0]["denominator"], json!(19.0));
    assert!(v["explain"]["sql"]
        .as_str()
        .unwrap()
        .contains("FROM contacts"));

    let out = cli.ok(&[
        "kpi",
        "--tenant",
        "fx",
        "--metrics",
        "answer_rate",
        "--explain",
    ]);
    assert!(out.contains("接通率"), "{out}");
    assert!(out.contains("total: 14 / 23 = 60.87%"), "{out}");
    assert!(out.contains("SQL"), "{out}");
    let out = cli.ok(&[
        "kpi",
        "--tenant",
        "fx",
        "--metrics",
        "answer_rate,asa",
        "--by",
        "queue",
        "--lang",
        "en",
    ]);
    assert!(
        out.contains("Answer rate") && out.contains("Queue"),
        "{out}"
    );

    let out = cli.ok(&[
        "kpi",
        "--tenant",
        "fx",
        "--metrics",
        "answered,answer_rate",
        "--by",
        "month",
        "--format",
        "csv",
    ]);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "month,answered,answer_rate");
    assert!(lines[1].starts_with("2021-01,13,0.59090909"), "{out}");

    let out = cli.run(&["kpi", "--tenant", "fx", "--metrics", "nope"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown metric `nope`"));
    let out = cli.run(&["kpi", "--tenant", "fx", "--by", "colour"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown --by item `colour`"));
    let out = cli.run(&["kpi", "--tenant", "nobody"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown tenant"));

    let out = cli.ok(&["metrics", "--json"]);
    let v: Value = serde_json::from_str(&out).unwrap();
    assert!(v["metrics"].as_array().unwrap().len() >= 35);
    let out = cli.ok(&["metrics"]);
    assert!(
        out.contains("服务水平") && out.contains("5: > 0.95"),
        "{out}"
    );
}

#[test]
fn user_catalog_extends_the_embedded_one() {
    let cli = setup();
    std::fs::write(
        cli.data().join("metrics.toml"),
        r#"
[[metric]]
name = "chat_answered"
zh = "在线接通量"
en = "Chat answered"
unit = "count"
direction = "higher"
numerator = "count(*) FILTER (WHERE {answered} AND channel = 'chat')"
"#,
    )
    .unwrap();
    let rows = cli.kpi(&["--tenant", "fx", "--metrics", "chat_answered"]);
    assert_eq!(rows[0]["chat_answered"], 1);
}

/// The column an aggregate sums, counts or takes the maximum of (`THEN col END`, or the lone
/// column of `sum(col)`), if any.
fn aggregated_column(sql: &str) -> Option<String> {
    if let Some(i) = sql.rfind(" THEN ") {
        let rest = &sql[i + 6..];
        return rest.split(" END").next().map(|c| c.trim().to_owned());
    }
    let inner = sql.split_once('(')?.1.split(')').next()?.trim();
    let inner = inner.strip_prefix("DISTINCT ").unwrap_or(inner);
    (inner.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') && inner != "*")
        .then(|| inner.to_owned())
}

/// `quantile_cont` as DuckDB computes it: linear between the closest ranks.
fn quantile_cont(mut v: Vec<f64>, q: f64) -> f64 {
    v.sort_by(f64::total_cmp);
    let pos = q * (v.len() - 1) as f64;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    v[lo] + (v[hi] - v[lo]) * (pos - lo as f64)
}

/// Every contact metric (each variant too) drills to exactly the contacts its numerator and
/// its denominator count: a count is the drill-down's total, a sum or maximum is recomputed
/// from the drilled contacts' own fields, a distinct count from their distinct values.
/// Metrics over other tables refuse with the reason.
#[test]
fn drill_down_lists_exactly_what_each_metric_counts() {
    let cli = setup();
    let catalog: Value = serde_json::from_str(&cli.ok(&["metrics", "--json"])).unwrap();
    let mut checked = 0;
    for m in catalog["metrics"].as_array().unwrap() {
        let name = m["name"].as_str().unwrap();
        let mut specs = vec![name.to_owned()];
        for v in m["variants"].as_array().unwrap() {
            if v != "default" {
                specs.push(format!("{name}[variant={}]", v.as_str().unwrap()));
            }
        }
        for spec in specs {
            let drill = |part: &str| {
                cli.run(&[
                    "contacts", "--tenant", "fx", "--metric", &spec, "--part", part, "--limit",
                    "10000", "--format", "json",
                ])
            };
            let refused = |part: &str| {
                let out = drill(part);
                let err = String::from_utf8_lossy(&out.stderr);
                assert!(!out.status.success(), "{spec} {part} drilled");
                assert!(err.contains("cannot be drilled"), "{spec}: {err}");
            };
            if m["drill"] == false {
                assert!(
                    m["table"] != "contacts" || !m["ratio_of"].is_null(),
                    "{spec}"
                );
                refused("numerator");
                continue;
            }
            if let Some([num, _]) = m["ratio_of"].as_array().map(Vec::as_slice) {
                // A ratio to another table's count (arrivals per calendar day): its
                // numerator is a contact count and drills; its denominator does not.
                let want = cli.kpi(&["--tenant", "fx", "--metrics", num.as_str().unwrap()]);
                let out = drill("numerator");
                assert!(out.status.success(), "{spec}");
                let d: Value = serde_json::from_slice(&out.stdout).unwrap();
                assert_eq!(d["total"], want[0][num.as_str().unwrap()], "{spec}");
                refused("denominator");
                checked += 1;
                continue;
            }
            let explain = cli.ok(&[
                "kpi",
                "--tenant",
                "fx",
                "--metrics",
                &spec,
                "--format",
                "json",
                "--explain",
            ]);
            let explain: Value = serde_json::from_str(&explain).unwrap();
            let info = &explain["explain"]["metrics"][0];
            for (part, sql_key) in [
                ("numerator", "numerator_sql"),
                ("denominator", "denominator_sql"),
            ] {
                let Some(sql) = info[sql_key].as_str() else {
                    let out = drill(part);
                    assert!(!out.status.success(), "{spec} has no {part}");
                    continue;
                };
                let want = info["rows"][0][part].as_f64().unwrap_or(0.0);
                let out = drill(part);
                assert!(
                    out.status.success(),
                    "{spec} {part}: {}",
                    String::from_utf8_lossy(&out.stderr)
                );
                let d: Value = serde_json::from_slice(&out.stdout).unwrap();
                let rows = d["rows"].as_array().unwrap();
                assert_eq!(d["total"].as_u64().unwrap() as usize, rows.len(), "{spec}");
                let col = aggregated_column(sql);
                let values =
                    |c: &str| -> Vec<f64> { rows.iter().filter_map(|r| r[c].as_f64()).collect() };
                let what = format!("{spec} {part}: {sql}");
                let agg = sql.trim_start_matches("coalesce(");
                if agg.starts_with("count_if(") || agg.starts_with("count(*)") {
                    close(rows.len() as f64, want, &what);
                } else if agg.starts_with("count(DISTINCT") {
                    let c = col.unwrap();
                    let distinct: std::collections::BTreeSet<String> =
                        rows.iter().map(|r| r[&c].to_string()).collect();
                    close(distinct.len() as f64, want, &what);
                } else if agg.starts_with("count(") {
                    close(rows.len() as f64, want, &what);
                } else if agg.starts_with("sum(") {
                    let c = col.expect("a summed column");
                    assert_eq!(values(&c).len(), rows.len(), "{what}: every row has {c}");
                    close(values(&c).iter().sum(), want, &what);
                } else if agg.starts_with("max(") {
                    let c = col.expect("a column");
                    close(values(&c).into_iter().fold(f64::MIN, f64::max), want, &what);
                } else if agg.starts_with("quantile_cont(") {
                    let c = col.expect("a column");
                    close(quantile_cont(values(&c), 0.9), want, &what);
                } else {
                    panic!("{what}: no hand check for this aggregate");
                }
                checked += 1;
            }
        }
    }
    assert!(checked > 60, "{checked} parts checked");
}

/// The drill-down's contract on the command line: filters and ranges as `kpi` takes them,
/// sorting by a field, pages, CSV, masking, one contact whole, and clear refusals.
#[test]
fn drill_down_pages_sorts_filters_and_refuses_bad_input() {
    let cli = setup();
    let json = |args: &[&str]| -> Value {
        let mut all = vec!["contacts", "--tenant", "fx", "--format", "json"];
        all.extend_from_slice(args);
        serde_json::from_str(&cli.ok(&all)).unwrap()
    };
    let abandoned = json(&["--metric", "abandoned"]);
    let k = cli.kpi(&["--tenant", "fx", "--metrics", "abandoned"]);
    assert_eq!(abandoned["total"], k[0]["abandoned"]);
    // Filtered to one queue, as kpi filters.
    let q2 = json(&["--metric", "abandoned", "--filter", "queue=q2"]);
    let kq2 = cli.kpi(&[
        "--tenant",
        "fx",
        "--metrics",
        "abandoned",
        "--filter",
        "queue=q2",
    ]);
    assert_eq!(q2["total"], kq2[0]["abandoned"]);
    assert!(q2["rows"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["queue"] == "q2"));
    // A range: the first hour only (c01..c06 arrive 09:00-09:50).
    let early = json(&[
        "--metric",
        "contacts",
        "--from",
        "2021-01-04T09:00",
        "--to",
        "2021-01-04T10:00",
    ]);
    assert_eq!(early["total"], 6);
    // Sorted by wait, longest first; pages of 2 that add up.
    let sorted = json(&["--metric", "answered", "--sort", "-wait_s"]);
    let waits: Vec<f64> = sorted["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["wait_s"].as_f64().unwrap())
        .collect();
    assert!(waits.windows(2).all(|w| w[0] >= w[1]), "{waits:?}");
    let page = json(&[
        "--metric", "answered", "--sort", "-wait_s", "--limit", "2", "--offset", "2",
    ]);
    assert_eq!(page["rows"].as_array().unwrap().len(), 2);
    assert_eq!(page["rows"][0], sorted["rows"][2]);
    assert_eq!(page["total"], sorted["total"]);
    // Customers masked; c14 has none.
    let c01 = &json(&["--metric", "contacts", "--limit", "1"])["rows"][0];
    assert_eq!(c01["id"], "c01");
    assert_eq!(c01["customer"], "138****0001");
    // CSV: a header and a line per contact.
    let csv = cli.ok(&[
        "contacts",
        "--tenant",
        "fx",
        "--metric",
        "abandoned",
        "--format",
        "csv",
    ]);
    assert!(csv.starts_with("id,time,arrived_at,"), "{csv}");
    assert_eq!(
        csv.lines().count() as u64,
        abandoned["total"].as_u64().unwrap() + 1
    );
    // One contact whole: its own times as the timeline (it was imported, not posted).
    let card: Value =
        serde_json::from_str(&cli.ok(&["contacts", "--tenant", "fx", "--id", "c01"])).unwrap();
    assert_eq!(card["contact"]["id"], "c01");
    assert_eq!(card["timeline_source"], "contact");
    let kinds: Vec<&str> = card["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds.first(), Some(&"arrived"));
    assert!(
        kinds.contains(&"answered") || kinds.contains(&"ended"),
        "{kinds:?}"
    );
    // Refusals name what is wrong.
    for (args, says) in [
        (vec!["--metric", "colour"], "unknown metric"),
        (
            vec!["--metric", "abandoned", "--limit", "10001"],
            "1 to 10000",
        ),
        (
            vec![
                "--metric",
                "abandoned",
                "--sort",
                "wait_s;drop table contacts",
            ],
            "not a field",
        ),
        (vec!["--metric", "abandoned", "--filter", "queue"], "KEY=V1"),
        (
            vec!["--metric", "abandoned", "--part", "middle"],
            "numerator or denominator",
        ),
        (
            vec!["--metric", "contacts", "--part", "denominator"],
            "no denominator",
        ),
        (vec!["--id", "nope"], "no contact"),
    ] {
        let mut all = vec!["contacts", "--tenant", "fx"];
        all.extend_from_slice(&args);
        let out = cli.run(&all);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?}");
        assert!(err.contains(says), "{args:?}: {err}");
    }
}

/// A saved view runs for a period into the same figures `kpi` gives, as JSON and XLSX; a
/// view the catalog cannot answer is refused when saved.
#[test]
fn a_template_runs_for_a_period_like_kpi() {
    let cli = setup();
    cli.ok(&[
        "template",
        "save",
        "abandons by queue",
        "--tenant",
        "fx",
        "--metrics",
        "abandoned,answer_rate",
        "--by",
        "queue",
        "--shared",
    ]);
    let list = cli.ok(&["template", "list", "--tenant", "fx", "--json"]);
    assert!(list.contains("abandons by queue"), "{list}");
    let ran: Value = serde_json::from_str(&cli.ok(&[
        "template",
        "run",
        "abandons by queue",
        "--tenant",
        "fx",
        "--period",
        "2021-01",
    ]))
    .unwrap();
    let k = cli.kpi(&[
        "--tenant",
        "fx",
        "--metrics",
        "abandoned,answer_rate",
        "--by",
        "queue",
        "--from",
        "2021-01-01",
        "--to",
        "2021-02-01",
    ]);
    assert_eq!(ran["rows"].as_array().unwrap(), &k);
    let out = cli.dir.path().join("t.xlsx");
    cli.ok(&[
        "template",
        "run",
        "abandons by queue",
        "--tenant",
        "fx",
        "--period",
        "2021-01",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(std::fs::metadata(&out).unwrap().len() > 5_000);
    let bad = cli.run(&[
        "template",
        "save",
        "x",
        "--tenant",
        "fx",
        "--metrics",
        "colour",
    ]);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("unknown metric `colour`"));
    cli.ok(&["template", "delete", "abandons by queue", "--tenant", "fx"]);
    let gone = cli.run(&["template", "show", "abandons by queue", "--tenant", "fx"]);
    assert!(!gone.status.success());
}

/// Complaint resolution time over tickets, by hand: three complaints closed after 12, 48 and
/// 120 hours, one open since March, one opened an hour ago, and a suggestion (no complaint).
#[test]
fn complaint_resolution_time_by_hand() {
    let cli = Cli::new();
    let ago = (jiff::Timestamp::now() - SignedDuration::from_hours(1)).to_string();
    let tickets = [
        json!({"id": "c1", "kind": "complaint", "created_at": "2021-03-01T09:00:00+08:00", "closed_at": "2021-03-01T21:00:00+08:00"}),
        json!({"id": "c2", "kind": "complaint", "created_at": "2021-03-02T09:00:00+08:00", "closed_at": "2021-03-04T09:00:00+08:00"}),
        json!({"id": "c3", "kind": "complaint", "created_at": "2021-03-03T09:00:00+08:00", "closed_at": "2021-03-08T09:00:00+08:00"}),
        json!({"id": "c4", "kind": "complaint", "created_at": "2021-03-04T09:00:00+08:00"}),
        json!({"id": "c5", "kind": "complaint", "created_at": ago}),
        json!({"id": "s1", "kind": "suggestion", "created_at": "2021-03-05T09:00:00+08:00", "closed_at": "2021-03-05T10:00:00+08:00"}),
    ];
    let lines: Vec<String> = tickets.iter().map(Value::to_string).collect();
    let file = cli.write("tickets.jsonl", &(lines.join("\n") + "\n"));
    cli.ok(&[
        "import",
        "--format",
        "tickets",
        "--tenant",
        "rt",
        "--strict",
        file.to_str().unwrap(),
    ]);
    let rows = cli.kpi(&[
        "--tenant",
        "rt",
        "--metrics",
        "avg_resolution_hours,p90_resolution_hours,resolved_within,resolved_within[hours=12],open_complaints_over,open_complaints_over[hours=0.5]",
    ]);
    let r = &rows[0];
    close(
        num(r, "avg_resolution_hours"),
        (12.0 + 48.0 + 120.0) / 3.0,
        "avg",
    );
    // quantile_cont of 12, 48, 120 at 0.9: 48 + 0.8 x (120 - 48).
    close(num(r, "p90_resolution_hours"), 48.0 + 0.8 * 72.0, "p90");
    // Of the 5 complaints, c1 (12 h) and c2 (48 h) closed within 48 h; only c1 within 12.
    close(num(r, "resolved_within"), 2.0 / 5.0, "within 48 h");
    close(
        num(r, "resolved_within[hours=12]"),
        1.0 / 5.0,
        "within 12 h",
    );
    // Open: c4 for years, c5 for an hour.
    assert_eq!(r["open_complaints_over"], 1);
    assert_eq!(r["open_complaints_over[hours=0.5]"], 2);
    // By month: March's complaints alone.
    let march = cli.kpi(&[
        "--tenant",
        "rt",
        "--metrics",
        "avg_resolution_hours,resolved_within",
        "--by",
        "month",
        "--from",
        "2021-03-01",
        "--to",
        "2021-04-01",
    ]);
    assert_eq!(march.len(), 1);
    close(
        num(&march[0], "resolved_within"),
        2.0 / 4.0,
        "March within 48 h",
    );
}

/// Waits in bands (seed 001: satisfaction against the wait), by hand from the fixture's waits:
/// answered inbound 0-10 s: c01 c07 c22 c23 c24 c27; 10-20: c05 c06; 20-30: c02 c03 c26; 30-60:
/// c04 c29; 60-120: c08. Abandoned 0-10: c09 c10 c30; 10-20: c12; 20-30: c11; 60-120: c25;
/// 120-300: c13 (the band's lower bound belongs to it).
#[test]
fn wait_bands_by_hand() {
    let cli = setup();
    let rows = cli.kpi(&[
        "--tenant",
        "fx",
        "--metrics",
        "answered,abandoned",
        "--by",
        "wait_band",
    ]);
    let got: Vec<(Value, Value, Value)> = rows
        .iter()
        .map(|r| {
            (
                r["wait_band"].clone(),
                r["answered"].clone(),
                r["abandoned"].clone(),
            )
        })
        .collect();
    let want = [
        ("0-10", 6, 3),
        ("10-20", 2, 1),
        ("20-30", 3, 1),
        ("30-60", 2, 0),
        ("60-120", 1, 1),
        ("120-300", 0, 1),
    ];
    for (i, (band, answered, abandoned)) in want.iter().enumerate() {
        assert_eq!(
            got[i],
            (json!(band), json!(answered), json!(abandoned)),
            "{got:?}"
        );
    }
    // Contacts without a wait (self-service, outbound) have no band.
    assert!(
        got[want.len()..]
            .iter()
            .all(|(b, a, ab)| b.is_null() && a == 0 && ab == 0),
        "{got:?}"
    );
    let within = cli.kpi(&[
        "--tenant",
        "fx",
        "--metrics",
        "answered",
        "--filter",
        "wait_band=20-30,30-60",
    ]);
    assert_eq!(within[0]["answered"], 5);
    let d: Value = serde_json::from_str(&cli.ok(&[
        "contacts",
        "--tenant",
        "fx",
        "--metric",
        "abandoned",
        "--filter",
        "wait_band=60-120",
        "--format",
        "json",
    ]))
    .unwrap();
    assert_eq!(d["rows"][0]["id"], "c25");
    assert_eq!(d["total"], 1);
}

/// The quarter hour of the day (weekday x time-of-day heatmaps): contact k arrives at 09:00
/// plus 10 (k-1) minutes, so 09:00 holds c01 and c02, 09:15 c03, 09:30 c04 and c05.
#[test]
fn time_of_day_by_hand() {
    let cli = setup();
    let rows = cli.kpi(&[
        "--tenant",
        "fx",
        "--metrics",
        "contacts",
        "--by",
        "weekday,time_of_day",
        "--from",
        "2021-01-04T09:00",
        "--to",
        "2021-01-04T09:45",
    ]);
    let got: Vec<(Value, Value, Value)> = rows
        .iter()
        .map(|r| {
            (
                r["weekday"].clone(),
                r["time_of_day"].clone(),
                r["contacts"].clone(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (json!(1), json!("09:00"), json!(2)),
            (json!(1), json!("09:15"), json!(1)),
            (json!(1), json!("09:30"), json!(2)),
        ]
    );
    let at = cli.kpi(&[
        "--tenant",
        "fx",
        "--metrics",
        "contacts",
        "--filter",
        "time_of_day=09:15",
    ]);
    assert_eq!(at[0]["contacts"], 1);
}
