//! Agent state intervals as canonical JSON Lines: imported, measured by the catalog's agent
//! metrics, re-imported without doubling, bad lines located and replayable.
#![allow(clippy::unwrap_used)]

mod common;

use common::Cli;
use serde_json::Value;

const DAY: &str = r#"{"agent":"a1","state":"logged_in","start":"2021-02-03T09:00:00+08:00","end":"2021-02-03T17:00:00+08:00"}
{"agent":"a1","state":"break","reason":"lunch","start":"2021-02-03T12:00:00+08:00","end":"2021-02-03T13:00:00+08:00"}
{"agent":"a1","state":"busy","queue":"vip","start":"2021-02-03T09:30:00+08:00","end":"2021-02-03T11:30:00+08:00"}
{"agent":"a1","state":"napping","start":"2021-02-03T14:00:00+08:00"}
"#;

#[test]
fn agent_states_import_once_and_measure_by_hand() {
    let cli = Cli::new();
    let file = cli.write("states.jsonl", DAY);
    for _ in 0..2 {
        let out = cli.ok(&[
            "import",
            "--format",
            "agent-states",
            "--tenant",
            "bank",
            file.to_str().unwrap(),
        ]);
        assert!(
            out.contains("read 4") && out.contains("rejected 1"),
            "{out}"
        );
        assert!(out.contains("agent state intervals: 3"), "{out}");
    }
    // Logged in 8 h; busy 2 h of the 7 h not on break: occupancy 2/7.
    let k = cli.kpi(&[
        "--tenant",
        "bank",
        "--metrics",
        "staffed_time,state_time[state=break],occupancy",
        "--from",
        "2021-02-03",
        "--to",
        "2021-02-04",
    ]);
    assert_eq!(k[0]["staffed_time"].as_f64(), Some(8.0 * 3600.0));
    assert_eq!(k[0]["state_time[state=break]"].as_f64(), Some(3600.0));
    assert!((k[0]["occupancy"].as_f64().unwrap() - 2.0 / 7.0).abs() < 1e-12);
    // The bad line is located; replay keeps it with its reason.
    let q: Value = serde_json::from_str(&cli.ok(&["quarantine", "list", "--json"])).unwrap();
    let e = &q["entries"][0];
    assert_eq!(
        (
            e["format"].as_str(),
            e["line"].as_u64(),
            e["field"].as_str()
        ),
        (Some("agent-states"), Some(4), Some("state"))
    );
    let r: Value = serde_json::from_str(&cli.ok(&["quarantine", "replay", "--json"])).unwrap();
    assert_eq!(
        (r["imported"].as_u64(), r["rejected"].as_u64()),
        (Some(0), Some(1))
    );
}

#[test]
fn agents_logged_in_peak_and_average_by_hand() {
    let cli = Cli::new();
    let lines: Vec<String> = [
        ("a1", "09:00", "12:00"),
        ("a2", "09:10", "09:20"),
        ("a3", "09:20", "10:00"),
        ("a5", "09:25", "09:40"),
        ("a4", "11:00", "11:05"),
        ("a2", "13:00", "14:00"),
    ]
    .iter()
    .map(|(a, s, e)| {
        format!(
            r#"{{"agent":"{a}","state":"logged_in","start":"2021-02-03T{s}:00+08:00","end":"2021-02-03T{e}:00+08:00"}}"#
        )
    })
    .collect();
    let file = cli.write("logins.jsonl", &lines.join("\n"));
    cli.ok(&[
        "import",
        "--format",
        "agent-states",
        "--tenant",
        "floor",
        file.to_str().unwrap(),
    ]);
    let kpi = |by: &[&str]| {
        let mut args = vec![
            "--tenant",
            "floor",
            "--metrics",
            "agents_logged_in_peak,agents_logged_in,agents_logged_in_avg",
            "--from",
            "2021-02-03",
            "--to",
            "2021-02-04",
        ];
        args.extend_from_slice(by);
        cli.kpi(&args)
    };
    let day = &kpi(&[])[0];
    // 09:25-09:40: a1, a3 and a5 at once. (a2 leaves at 09:20 as a3 arrives: not together.
    // Counting the agents of each 15-minute slot would say 4 for 09:15-09:30.)
    assert_eq!(day["agents_logged_in_peak"].as_f64(), Some(3.0));
    assert_eq!(day["agents_logged_in"].as_f64(), Some(3.0));
    // 18,600 s logged in over the 16 slots anyone was (09:00-12:00, 13:00-14:00).
    assert!((day["agents_logged_in_avg"].as_f64().unwrap() - 18600.0 / 14400.0).abs() < 1e-12);
    let hours = kpi(&["--by", "hour"]);
    let peaks: Vec<(&str, f64)> = hours
        .iter()
        .map(|r| {
            (
                r["hour"].as_str().unwrap(),
                r["agents_logged_in_peak"].as_f64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        peaks,
        vec![
            ("2021-02-03T09:00", 3.0),
            ("2021-02-03T10:00", 1.0),
            ("2021-02-03T11:00", 2.0),
            ("2021-02-03T13:00", 1.0)
        ]
    );
    // 09:00-10:00: 3600 + 600 + 2400 + 900 s over the hour.
    assert!((hours[0]["agents_logged_in_avg"].as_f64().unwrap() - 7500.0 / 3600.0).abs() < 1e-12);
    // Filters apply before counting: a1 and a5 only peak at 2.
    let two = &kpi(&["--filter", "agent=a1,a5"])[0];
    assert_eq!(two["agents_logged_in_peak"].as_f64(), Some(2.0));
    // Alone (one table) as with the others.
    let alone = cli.kpi(&[
        "--tenant",
        "floor",
        "--metrics",
        "agents_logged_in",
        "--from",
        "2021-02-03",
        "--to",
        "2021-02-04",
        "--by",
        "day",
        "--fill",
    ]);
    assert_eq!(alone[0]["agents_logged_in"].as_f64(), Some(3.0));
    let per_agent = kpi(&["--by", "agent"]);
    assert!(per_agent
        .iter()
        .all(|r| r["agents_logged_in_peak"].as_f64() == Some(1.0)));
}

/// Utilization is staffed time over scheduled time: each agent's scheduled minutes a day (the
/// agents file) for each day they logged in; idle is the logged-in time in no other state.
#[test]
fn utilization_against_the_schedule_and_idle_time_by_hand() {
    let cli = Cli::new();
    let agents = cli.write(
        "agents.jsonl",
        r#"{"id":"a1","team":"t1","scheduled_minutes":480}
{"id":"a2","team":"t1","scheduled_minutes":240}
{"id":"a3","team":"t2"}
"#,
    );
    cli.ok(&[
        "import",
        "--format",
        "agents",
        "--tenant",
        "bank",
        agents.to_str().unwrap(),
    ]);
    let states = cli.write(
        "states.jsonl",
        r#"{"agent":"a1","state":"logged_in","start":"2021-02-03T09:00:00+08:00","end":"2021-02-03T17:00:00+08:00"}
{"agent":"a1","state":"busy","start":"2021-02-03T09:30:00+08:00","end":"2021-02-03T11:30:00+08:00"}
{"agent":"a1","state":"break","reason":"training","start":"2021-02-03T14:00:00+08:00","end":"2021-02-03T15:00:00+08:00"}
{"agent":"a1","state":"logged_in","start":"2021-02-04T09:00:00+08:00","end":"2021-02-04T15:00:00+08:00"}
{"agent":"a2","state":"logged_in","start":"2021-02-03T13:00:00+08:00","end":"2021-02-03T16:00:00+08:00"}
{"agent":"a3","state":"logged_in","start":"2021-02-03T09:00:00+08:00","end":"2021-02-03T10:00:00+08:00"}
"#,
    );
    cli.ok(&[
        "import",
        "--format",
        "agent-states",
        "--tenant",
        "bank",
        states.to_str().unwrap(),
    ]);
    let k = cli.kpi(&[
        "--tenant",
        "bank",
        "--metrics",
        "utilization,staffed_time",
        "--by",
        "day",
        "--from",
        "2021-02-03",
        "--to",
        "2021-02-05",
    ]);
    // 02-03: a1 8 h of 8 scheduled, a2 3 h of 4 (a3 has no schedule: left out): 11/12.
    assert!(
        (k[0]["utilization"].as_f64().unwrap() - 11.0 / 12.0).abs() < 1e-12,
        "{k:?}"
    );
    // 02-04: a1 6 h of 8.
    assert!(
        (k[1]["utilization"].as_f64().unwrap() - 0.75).abs() < 1e-12,
        "{k:?}"
    );
    let k = cli.kpi(&[
        "--tenant",
        "bank",
        "--metrics",
        "utilization,state_time[state=idle]",
        "--by",
        "agent",
        "--from",
        "2021-02-03",
        "--to",
        "2021-02-05",
    ]);
    // a1: 14 h over two days of 8 h; idle 14 h - 2 h busy - 1 h training = 11 h.
    assert!(
        (k[0]["utilization"].as_f64().unwrap() - 14.0 / 16.0).abs() < 1e-12,
        "{k:?}"
    );
    assert_eq!(k[0]["state_time[state=idle]"].as_f64(), Some(11.0 * 3600.0));
    assert!(k[2]["utilization"].is_null(), "a3 has no schedule: {k:?}");
    // A day's schedule says nothing of its hours.
    let out = cli.run(&[
        "kpi",
        "--tenant",
        "bank",
        "--metrics",
        "utilization",
        "--by",
        "hour",
        "--from",
        "2021-02-03",
        "--to",
        "2021-02-04",
    ]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("day or longer"));
}
