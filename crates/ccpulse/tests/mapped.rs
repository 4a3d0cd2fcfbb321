//! Real exports through the shipped mappings: the Anonymous Bank call records (CSV) and the
//! PwC PhoneNow workbook (xlsx, and its CSV export), checked against the totals in their
//! `expected.json` (../shared/data, read at run time, never copied here). A hand-made CSV
//! covers the mapping features those two do not use, with its KPIs worked out by hand.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::{Path, PathBuf};

use common::{num, Cli};
use serde_json::Value;

fn shared(rel: &str) -> PathBuf {
    common::shared_data().join(rel)
}

fn mapping(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../mappings")
        .join(name)
        .to_str()
        .unwrap()
        .to_owned()
}

fn expected(rel: &str) -> Value {
    let v: Value = serde_json::from_str(&std::fs::read_to_string(shared(rel)).unwrap()).unwrap();
    v["expected"].clone()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9 * b.abs().max(1.0)
}

/// Rows of `kpi` keyed by the value of `key`.
fn by(rows: &[Value], key: &str, metric: &str) -> Vec<(String, f64)> {
    rows.iter()
        .map(|r| {
            let k = match &r[key] {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            (k, num(r, metric))
        })
        .collect()
}

#[test]
fn anonymous_bank_reproduces_its_totals() {
    let want = expected("anonbank/expected.json");
    let cli = Cli::new();
    cli.ok(&["tenant", "set", "anonbank", "--timezone", "Asia/Jerusalem"]);
    let file = shared("anonbank/data_anonymous_bank_february.txt");
    let out = cli.ok(&[
        "import",
        "--format",
        "csv",
        "--mapping",
        &mapping("anonymous-bank.toml"),
        "--tenant",
        "anonbank",
        "--json",
        file.to_str().unwrap(),
    ]);
    let summary: Value = serde_json::from_str(out.lines().last().unwrap()).unwrap();
    assert_eq!(summary["inserted"], 33344);
    assert_eq!(summary["rejected"], 0);

    let month = [
        "--tenant",
        "anonbank",
        "--from",
        "1999-02-01",
        "--to",
        "1999-03-01",
    ];
    let kpi = |extra: &[&str]| {
        let mut args = month.to_vec();
        args.extend_from_slice(extra);
        cli.kpi(&args)
    };
    let total = &kpi(&[
        "--metrics",
        "contacts,answered,asa,avg_talk,answered_within[threshold=20]",
    ])[0];
    assert_eq!(
        num(total, "contacts"),
        want["rows_total_calls"].as_f64().unwrap()
    );
    assert_eq!(
        num(total, "answered"),
        want["served_AGENT"].as_f64().unwrap()
    );
    assert!(close(
        num(total, "asa"),
        want["mean_q_time_s_served_AGENT_all"].as_f64().unwrap()
    ));
    assert!(close(
        num(total, "avg_talk"),
        want["mean_ser_time_s_served_AGENT"].as_f64().unwrap()
    ));
    assert!(close(
        num(total, "answered_within[threshold=20]") * num(total, "answered"),
        want["served_AGENT_with_q_time_le_20s"].as_f64().unwrap()
    ));

    // The source's own outcome words are kept as the exit reason.
    for (k, n) in by(
        &kpi(&["--metrics", "contacts", "--by", "exit_reason"]),
        "exit_reason",
        "contacts",
    ) {
        assert_eq!(
            n,
            want["by_outcome"][k.to_uppercase()].as_f64().unwrap(),
            "{k}"
        );
    }
    for (k, n) in by(
        &kpi(&["--metrics", "contacts", "--by", "category"]),
        "category",
        "contacts",
    ) {
        assert_eq!(n, want["by_type"][&k].as_f64().unwrap(), "{k}");
    }
    let segments = [("unidentified", "0"), ("regular", "1"), ("priority", "2")];
    for (k, n) in by(
        &kpi(&["--metrics", "contacts", "--by", "business_line"]),
        "business_line",
        "contacts",
    ) {
        let code = segments.iter().find(|(name, _)| *name == k).unwrap().1;
        assert_eq!(n, want["by_priority"][code].as_f64().unwrap(), "{k}");
    }
    let days = by(
        &kpi(&["--metrics", "contacts", "--by", "day"]),
        "day",
        "contacts",
    );
    assert_eq!(days.len(), 28);
    for (day, n) in days {
        let key = format!("99{}{}", &day[5..7], &day[8..10]);
        assert_eq!(n, want["per_day_all"][&key].as_f64().unwrap(), "{day}");
    }
    for (date, key) in [
        ("1999-02-01", "per_hour_vru_entry_on_990201"),
        ("1999-02-04", "per_hour_vru_entry_on_990204"),
    ] {
        let next = format!("{}{}", &date[..9], date[9..].parse::<u8>().unwrap() + 1);
        let rows = cli.kpi(&[
            "--tenant",
            "anonbank",
            "--metrics",
            "contacts",
            "--by",
            "hour_of_day",
            "--from",
            date,
            "--to",
            &next,
        ]);
        let hours = by(&rows, "hour_of_day", "contacts");
        assert_eq!(hours.len(), want[key].as_object().unwrap().len());
        for (h, n) in hours {
            assert_eq!(n, want[key][&h].as_f64().unwrap(), "{date} {h}h");
        }
    }
}

fn check_pwc(format: &str, file: &str) {
    let want = expected("pwc/expected.json");
    let cli = Cli::new();
    let path = shared(file);
    cli.ok(&[
        "import",
        "--format",
        format,
        "--mapping",
        &mapping("pwc-phonenow.toml"),
        "--tenant",
        "pwc",
        path.to_str().unwrap(),
    ]);
    let quarter = [
        "--tenant",
        "pwc",
        "--from",
        "2021-01-01",
        "--to",
        "2021-04-01",
    ];
    let kpi = |extra: &[&str]| {
        let mut args = quarter.to_vec();
        args.extend_from_slice(extra);
        cli.kpi(&args)
    };
    let t = &kpi(&[
        "--metrics",
        "contacts,answered,abandoned,asa,avg_talk,avg_rating,fcr,answered_within[threshold=20],\
         very_satisfied_count,satisfied_count,neutral_count,dissatisfied_count",
    ])[0];
    let w = |k: &str| want[k].as_f64().unwrap();
    assert_eq!(num(t, "contacts"), w("rows_total_calls"));
    assert_eq!(num(t, "answered"), w("answered_Y"));
    assert_eq!(num(t, "abandoned"), w("abandoned_N"));
    assert!(close(
        num(t, "asa"),
        w("mean_speed_of_answer_s_over_nonblank")
    ));
    assert!(close(num(t, "avg_talk"), w("mean_talk_s_over_nonblank")));
    assert!(close(
        num(t, "avg_rating"),
        w("mean_satisfaction_over_nonblank")
    ));
    assert!(close(
        num(t, "fcr") * num(t, "answered"),
        w("resolved_Y_among_answered")
    ));
    assert!(close(
        num(t, "answered_within[threshold=20]") * num(t, "answered"),
        w("answered_with_speed_le_20s")
    ));
    let s = &want["satisfaction_counts"];
    let sc = |k: &str| s[k].as_f64().unwrap();
    assert_eq!(num(t, "very_satisfied_count"), sc("5"));
    assert_eq!(num(t, "satisfied_count"), sc("4"));
    assert_eq!(num(t, "neutral_count"), sc("3"));
    assert_eq!(num(t, "dissatisfied_count"), sc("2") + sc("1"));

    let agents = kpi(&[
        "--metrics",
        "contacts,answered,asa,avg_rating",
        "--by",
        "agent",
    ]);
    assert_eq!(agents.len(), 8);
    for r in &agents {
        let a = r["agent"].as_str().unwrap();
        assert_eq!(
            num(r, "contacts"),
            want["per_agent_calls"][a].as_f64().unwrap()
        );
        assert_eq!(
            num(r, "answered"),
            want["per_agent_answered"][a].as_f64().unwrap()
        );
        assert!(close(
            num(r, "asa"),
            want["per_agent_mean_speed_of_answer_s"][a]
                .as_f64()
                .unwrap()
        ));
        assert!(close(
            num(r, "avg_rating"),
            want["per_agent_mean_satisfaction"][a].as_f64().unwrap()
        ));
    }
    for (k, n) in by(
        &kpi(&["--metrics", "contacts", "--by", "category"]),
        "category",
        "contacts",
    ) {
        assert_eq!(n, want["per_topic_calls"][&k].as_f64().unwrap(), "{k}");
    }
    assert_eq!(kpi(&["--metrics", "contacts", "--by", "day"]).len(), 90);

    // The publishers' per-agent figures through `ccpulse agents`: calls answered, resolution
    // (resolved among answered) and mean satisfaction.
    let view: Value = serde_json::from_str(&cli.ok(&[
        "agents",
        "--tenant",
        "pwc",
        "--period",
        "2021-Q1",
        "--metrics",
        "fcr,avg_rating",
        "--format",
        "json",
    ]))
    .unwrap();
    let rows = view["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 8);
    for r in rows {
        let a = r["agent"].as_str().unwrap();
        let answered = want["per_agent_answered"][a].as_f64().unwrap();
        assert_eq!(r["handled"].as_f64().unwrap(), answered, "{a}");
        assert!(close(
            r["fcr"]["value"].as_f64().unwrap() * answered,
            want["per_agent_resolved"][a].as_f64().unwrap()
        ));
        assert!(close(
            r["avg_rating"]["value"].as_f64().unwrap(),
            want["per_agent_mean_satisfaction"][a].as_f64().unwrap()
        ));
    }
}

#[test]
fn pwc_workbook_reproduces_its_totals() {
    check_pwc("xlsx", "pwc/01 Call-Center-Dataset.xlsx");
}

#[test]
fn pwc_csv_export_reproduces_the_same_totals() {
    check_pwc("csv", "pwc/call_center_dataset.csv");
}

/// A hand-made export: datetime in one column, `;` separated, durations as H:MM:SS, a value
/// map for direction, and bad records quarantined with their line and column.
#[test]
fn hand_made_csv_with_its_kpis_by_hand() {
    let cli = Cli::new();
    cli.ok(&["tenant", "set", "shop", "--timezone", "UTC"]);
    let map = cli.write(
        "shop.toml",
        r#"
[format]
delimiter = ";"
[columns]
id = "Ticket"
datetime = "Start"
direction = "Dir"
queue = "Group"
agent = "Agent"
ivr_s = "IVR"
wait_s = "Wait"
talk_s = "Talk"
acw_s = "Wrap"
outcome = "Result"
[values.direction]
IN = "inbound"
OUT = "outbound"
[values.outcome]
OK = "answered"
LOST = "abandoned"
NC = "not_connected"
"#,
    );
    let csv = cli.write(
        "shop.csv",
        "Ticket;Start;Dir;Group;Agent;IVR;Wait;Talk;Wrap;Result\n\
         t1;2024-03-01 09:00:00;IN;sales;ann;0:00:10;0:00:20;0:03:00;30;OK\n\
         t2;2024-03-01 09:10:00;IN;sales;;5;0:00:40;;;LOST\n\
         t3;2024-03-01 09:20:00;IN;sales;bob;0;12;0:01:00;0;OK\n\
         t4;2024-03-01 09:30:00;OUT;sales;bob;;;;;NC\n\
         t5;yesterday;IN;sales;bob;0;1;1;0;OK\n\
         t6;2024-03-01 09:40:00;IN;sales;bob;0;1;1;0;MAYBE\n",
    );
    let out = cli.run(&[
        "import",
        "--format",
        "csv",
        "--mapping",
        map.to_str().unwrap(),
        "--tenant",
        "shop",
        "--strict",
        csv.to_str().unwrap(),
    ]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "--strict with rejections exits 1"
    );
    let q: Value = serde_json::from_str(&cli.ok(&["quarantine", "list", "--json"])).unwrap();
    let q = q["entries"].as_array().unwrap();
    assert_eq!(q.len(), 2);
    assert_eq!(q[0]["line"], 6);
    assert!(q[0]["field"].as_str().unwrap().contains("Start"), "{q:?}");
    assert_eq!(q[1]["line"], 7);
    assert!(q[1]["reason"].as_str().unwrap().contains("MAYBE"), "{q:?}");

    let r = &cli.kpi(&[
        "--tenant",
        "shop",
        "--metrics",
        "contacts,offered,answered,abandoned,asa,avg_wait,avg_talk,aht,outbound",
        "--from",
        "2024-03-01",
        "--to",
        "2024-03-02",
    ])[0];
    assert_eq!(num(r, "contacts"), 4.0);
    assert_eq!(num(r, "offered"), 3.0);
    assert_eq!(num(r, "answered"), 2.0);
    assert_eq!(num(r, "abandoned"), 1.0);
    assert_eq!(num(r, "outbound"), 1.0);
    // Answered waits 20 and 12 s; the abandon waited 40 s.
    assert_eq!(num(r, "asa"), 16.0);
    assert_eq!(num(r, "avg_wait"), 24.0);
    // Talks 180 and 60 s; handle = talk + wrap-up: 210 and 60.
    assert_eq!(num(r, "avg_talk"), 120.0);
    assert_eq!(num(r, "aht"), 135.0);
}

/// An export with the times themselves instead of durations: a US date, 12-hour times of day
/// (one call past midnight), answer and end times; the KPIs by hand.
#[test]
fn a_csv_with_end_times_and_twelve_hour_clocks() {
    let cli = Cli::new();
    cli.ok(&["tenant", "set", "desk", "--timezone", "America/New_York"]);
    let map = cli.write(
        "desk.toml",
        r#"
[format]
date = "%m/%d/%Y"
time = "%I:%M:%S %p"
[columns]
id = "Call"
date = "Date"
time = "Start"
queued_at = "Queued"
answered_at = "Answered"
ended_at = "End"
outcome = "Status"
[values.outcome]
Handled = "answered"
Dropped = "abandoned"
"#,
    );
    let csv = cli.write(
        "desk.csv",
        "Call,Date,Start,Queued,Answered,End,Status\n\
         d1,03/01/2024,02:30:15 PM,02:30:45 PM,02:31:05 PM,02:36:05 PM,Handled\n\
         d2,03/01/2024,11:58:00 PM,11:58:10 PM,11:59:00 PM,12:04:00 AM,Handled\n\
         d3,03/01/2024,09:00:00 AM,09:00:05 AM,,09:01:35 AM,Dropped\n\
         d4,03/01/2024,09:10:00 AM,09:10:05 AM,09:10:00 AM,09:12:00 AM,Handled\n\
         d5,03/01/2024,25:00:00 PM,,,,Handled\n",
    );
    let out = cli.run(&[
        "import",
        "--format",
        "csv",
        "--mapping",
        map.to_str().unwrap(),
        "--tenant",
        "desk",
        csv.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let q: Value = serde_json::from_str(&cli.ok(&["quarantine", "list", "--json"])).unwrap();
    let q = q["entries"].as_array().unwrap();
    // d4 is answered before it queued; d5's start is no time.
    assert_eq!(q.len(), 2, "{q:?}");
    assert_eq!(q[0]["line"], 5);
    assert!(
        q[0]["field"].as_str().unwrap().contains("Answered"),
        "{q:?}"
    );
    assert_eq!(q[1]["line"], 6);
    assert!(q[1]["field"].as_str().unwrap().contains("Start"), "{q:?}");
    let r = &cli.kpi(&[
        "--tenant",
        "desk",
        "--metrics",
        "offered,answered,abandoned,asa,avg_wait,avg_talk",
        "--from",
        "2024-03-01",
        "--to",
        "2024-03-03",
    ])[0];
    assert_eq!(num(r, "offered"), 3.0);
    assert_eq!(num(r, "answered"), 2.0);
    assert_eq!(num(r, "abandoned"), 1.0);
    // Waits: d1 14:30:45 -> 14:31:05 = 20 s; d2 23:58:10 -> 23:59:00 = 50 s: asa 35.
    assert_eq!(num(r, "asa"), 35.0);
    // With d3's 90 s in the queue (09:00:05 -> 09:01:35): (20 + 50 + 90) / 3.
    assert!(close(num(r, "avg_wait"), 160.0 / 3.0), "{r}");
    // Talks: d1 5:00 = 300 s; d2 23:59:00 -> 00:04:00 the next day = 300 s.
    assert_eq!(num(r, "avg_talk"), 300.0);
}
