//! Seed 001's patterns by hand on fixtures written for them: arrivals per day of a weekday and
//! quarter hour (divided by the days of the range, not the days that had calls), anomalous
//! calls, repeat contacts across channels.
#![allow(clippy::unwrap_used)]

mod common;

use common::Cli;
use serde_json::{json, Value};

/// A contact arriving at `at` (Shanghai local, `2021-03-01T09:05`); `extra` adds or replaces
/// fields. Answered inbound voice in queue q1 after a 10 s wait, talking `talk` s, unless told
/// otherwise.
fn contact(id: &str, at: &str, talk: f64, extra: Value) -> Value {
    let start: jiff::Timestamp = format!("{at}:00+08:00").parse().unwrap();
    let ans = start + jiff::SignedDuration::from_secs(10);
    let end = ans + jiff::SignedDuration::from_secs_f64(talk);
    let mut c = json!({
        "id": id, "direction": "inbound", "outcome": "answered", "channel": "voice",
        "queue": "q1", "agent": "a1", "arrived_at": start.to_string(),
        "queued_at": start.to_string(), "answered_at": ans.to_string(),
        "ended_at": end.to_string(),
    });
    for (k, v) in extra.as_object().unwrap() {
        c[k] = v.clone();
    }
    c
}

/// An abandoned inbound call after `wait` s in q1.
fn abandon(id: &str, at: &str, wait: f64, extra: Value) -> Value {
    let start: jiff::Timestamp = format!("{at}:00+08:00").parse().unwrap();
    let end = start + jiff::SignedDuration::from_secs_f64(wait);
    let mut c = json!({
        "id": id, "direction": "inbound", "outcome": "abandoned", "channel": "voice",
        "queue": "q1", "arrived_at": start.to_string(), "queued_at": start.to_string(),
        "ended_at": end.to_string(),
    });
    for (k, v) in extra.as_object().unwrap() {
        c[k] = v.clone();
    }
    c
}

fn load(contacts: &[Value]) -> Cli {
    let cli = Cli::new();
    let lines: Vec<String> = contacts.iter().map(Value::to_string).collect();
    let f = cli.write("contacts.jsonl", &(lines.join("\n") + "\n"));
    cli.ok(&[
        "import",
        "--format",
        "contacts",
        "--tenant",
        "pt",
        "--strict",
        f.to_str().unwrap(),
    ]);
    cli
}

fn kpi(cli: &Cli, args: &[&str]) -> Vec<Value> {
    let mut all = vec!["--tenant", "pt"];
    all.extend_from_slice(args);
    cli.kpi(&all)
}

/// Two weeks from Monday 2021-03-01: two Mondays, two Tuesdays, ... Three inbound calls on
/// Mondays at 09:00-09:15 (one abandoned), one on a Tuesday at 10:15 in q2, an outbound call
/// (no arrival).
#[test]
fn arrivals_per_day_divide_by_the_days_of_the_range() {
    let cli = load(&[
        contact("m1", "2021-03-01T09:05", 60.0, json!({})),
        abandon("m2", "2021-03-01T09:10", 30.0, json!({})),
        contact("m3", "2021-03-08T09:07", 60.0, json!({})),
        contact("t1", "2021-03-02T10:20", 60.0, json!({"queue": "q2"})),
        contact(
            "o1",
            "2021-03-01T09:06",
            60.0,
            json!({"direction": "outbound"}),
        ),
    ]);
    let range = ["--from", "2021-03-01", "--to", "2021-03-15"];
    let ask = |extra: &[&str]| {
        let mut a = vec!["--metrics", "arrivals_per_day,abandons_per_day,days"];
        a.extend_from_slice(&range);
        a.extend_from_slice(extra);
        kpi(&cli, &a)
    };
    let close = |v: &Value, want: f64| (v.as_f64().unwrap() - want).abs() < 1e-12;

    let all = ask(&[]);
    assert_eq!(all[0]["days"], 14);
    assert!(close(&all[0]["arrivals_per_day"], 4.0 / 14.0), "{all:?}");
    assert!(close(&all[0]["abandons_per_day"], 1.0 / 14.0));

    // The heatmap: every weekday x quarter hour of the range is a cell, calls or not.
    let cells = ask(&["--by", "weekday,time_of_day"]);
    assert_eq!(cells.len(), 7 * 96);
    let cell = |wd: i64, t: &str| {
        cells
            .iter()
            .find(|r| r["weekday"] == wd && r["time_of_day"] == t)
            .unwrap()
            .clone()
    };
    let mon = cell(1, "09:00");
    assert_eq!(mon["days"], 2);
    assert!(
        close(&mon["arrivals_per_day"], 1.5),
        "3 calls over 2 Mondays"
    );
    assert!(close(&mon["abandons_per_day"], 0.5));
    assert!(close(&cell(2, "10:15")["arrivals_per_day"], 0.5));
    assert!(close(&cell(3, "09:00")["arrivals_per_day"], 0.0));

    // A queue filter cuts the calls, not the days; a weekday filter cuts both.
    let q1 = ask(&["--filter", "queue=q1"]);
    assert!(close(&q1[0]["arrivals_per_day"], 3.0 / 14.0));
    let by_queue = ask(&["--by", "queue"]);
    assert_eq!(by_queue.len(), 2, "no row for a queue without calls");
    assert!(close(&by_queue[1]["arrivals_per_day"], 1.0 / 14.0));
    assert_eq!(by_queue[1]["days"], 14);
    let mondays = ask(&["--filter", "weekday=1"]);
    assert_eq!(mondays[0]["days"], 2);
    assert!(close(&mondays[0]["arrivals_per_day"], 1.5));

    // A range of half a day is one day; buckets count their own days.
    let half = kpi(
        &cli,
        &[
            "--metrics",
            "arrivals_per_day,days",
            "--from",
            "2021-03-01",
            "--to",
            "2021-03-01T12:00",
        ],
    );
    assert_eq!(half[0]["days"], 1);
    assert!(close(&half[0]["arrivals_per_day"], 2.0));
    let weeks = ask(&["--by", "week"]);
    assert_eq!(weeks.len(), 2);
    assert!(close(&weeks[0]["arrivals_per_day"], 3.0 / 7.0));

    // Without a range there are no days to divide by: said, not guessed.
    let out = cli.run(&["kpi", "--tenant", "pt", "--metrics", "arrivals_per_day"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--from and --to"));

    // The numerator drills to exactly the Monday-morning arrivals.
    let drilled: Value = serde_json::from_str(&cli.ok(&[
        "contacts",
        "--tenant",
        "pt",
        "--metric",
        "arrivals_per_day",
        "--from",
        "2021-03-01",
        "--to",
        "2021-03-15",
        "--filter",
        "weekday=1",
        "--filter",
        "time_of_day=09:00",
        "--format",
        "json",
    ]))
    .unwrap();
    assert_eq!(drilled["total"], 3);
}
