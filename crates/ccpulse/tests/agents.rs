//! Agents against their team's median, by hand: a team of six where one agent is slow and one
//! fast, an agent with too few calls to judge, a team of one, and satisfaction where most of the
//! team is equal (MAD 0).
#![allow(clippy::unwrap_used)]

mod common;

use common::{close, Cli};
use serde_json::{json, Value};

/// `n` answered inbound calls of `agent`, each waiting 10 s and talking `talk` s, on
/// 2021-03-01 from 09:00 Shanghai time; `dissatisfied` of them with a dissatisfied survey, the
/// rest satisfied.
fn calls(agent: &str, n: usize, talk: f64, dissatisfied: usize) -> Vec<String> {
    (0..n)
        .map(|k| {
            let at = jiff::Timestamp::from_second(1_614_560_400 + (k as i64) * 600).unwrap();
            let ans = at + jiff::SignedDuration::from_secs(10);
            let end = ans + jiff::SignedDuration::from_secs_f64(talk);
            let score = if k < dissatisfied {
                "dissatisfied"
            } else {
                "satisfied"
            };
            json!({
                "id": format!("{agent}-{k}"), "direction": "inbound", "outcome": "answered",
                "channel": "voice", "queue": "q1", "agent": agent,
                "arrived_at": at.to_string(), "queued_at": at.to_string(),
                "answered_at": ans.to_string(), "ended_at": end.to_string(),
                "survey": {"offered": true, "score": score},
            })
            .to_string()
        })
        .collect()
}

fn setup() -> Cli {
    let cli = Cli::new();
    let agents: Vec<String> = [
        ("a1", "t1"),
        ("a2", "t1"),
        ("a3", "t1"),
        ("a4", "t1"),
        ("a5", "t1"),
        ("a6", "t1"),
        ("few", "t1"),
        ("s1", "solo"),
    ]
    .iter()
    .map(|(id, team)| json!({"id": id, "team": team}).to_string())
    .collect();
    let f = cli.write("agents.jsonl", &(agents.join("\n") + "\n"));
    cli.ok(&[
        "import",
        "--format",
        "agents",
        "--tenant",
        "ag",
        f.to_str().unwrap(),
    ]);
    let mut lines = Vec::new();
    // Talk (= handle) 90, 100, 110, 120 s; a5 400 s (slow), a6 30 s (fast); a5 has 4 of 20
    // customers dissatisfied, everyone else none.
    lines.extend(calls("a1", 20, 90.0, 0));
    lines.extend(calls("a2", 20, 100.0, 0));
    lines.extend(calls("a3", 20, 110.0, 0));
    lines.extend(calls("a4", 20, 120.0, 0));
    lines.extend(calls("a5", 20, 400.0, 4));
    lines.extend(calls("a6", 20, 30.0, 0));
    lines.extend(calls("few", 5, 1000.0, 5));
    lines.extend(calls("s1", 20, 500.0, 0));
    let f = cli.write("contacts.jsonl", &(lines.join("\n") + "\n"));
    cli.ok(&[
        "import",
        "--format",
        "contacts",
        "--tenant",
        "ag",
        "--strict",
        f.to_str().unwrap(),
    ]);
    cli
}

fn view(cli: &Cli, extra: &[&str]) -> Value {
    let mut args = vec![
        "agents",
        "--tenant",
        "ag",
        "--period",
        "2021-03",
        "--metrics",
        "aht,satisfaction",
        "--format",
        "json",
        "--lang",
        "en",
    ];
    args.extend_from_slice(extra);
    serde_json::from_str(&cli.ok(&args)).unwrap()
}

fn row<'a>(v: &'a Value, agent: &str) -> &'a Value {
    v["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["agent"] == agent)
        .unwrap()
}

#[test]
fn agents_are_judged_against_their_teams_median() {
    let cli = setup();
    let v = view(&cli, &[]);
    // Team t1's eligible AHTs: 30, 90, 100, 110, 120, 400 → median 105; absolute deviations
    // 75, 15, 5, 5, 15, 295 → MAD 15 → spread 1.4826 x 15.
    let spread = 1.4826 * 15.0;
    let a5 = &row(&v, "a5")["aht"];
    close(a5["value"].as_f64().unwrap(), 400.0, "a5 aht");
    close(a5["baseline"].as_f64().unwrap(), 105.0, "baseline");
    close(a5["z"].as_f64().unwrap(), 295.0 / spread, "a5 z");
    assert_eq!(a5["flag"], "needs_improvement");
    assert!(
        a5["reason"]
            .as_str()
            .unwrap()
            .contains("above the team median of 105.00"),
        "{a5}"
    );
    let a6 = &row(&v, "a6")["aht"];
    close(a6["z"].as_f64().unwrap(), -75.0 / spread, "a6 z");
    assert_eq!(a6["flag"], "outstanding", "lower AHT is better");
    let a1 = &row(&v, "a1")["aht"];
    close(a1["z"].as_f64().unwrap(), -15.0 / spread, "a1 z");
    assert!(a1["flag"].is_null());
    // Too few calls: shown, measured against the team, never flagged, not in the baseline.
    let few = row(&v, "few");
    assert_eq!(
        (few["handled"].clone(), few["eligible"].clone()),
        (json!(5), json!(false))
    );
    close(
        few["aht"]["z"].as_f64().unwrap(),
        (1000.0 - 105.0) / spread,
        "few z",
    );
    assert!(few["aht"]["flag"].is_null());
    // A team of one: its own median, no spread, nothing to flag.
    let s1 = &row(&v, "s1")["aht"];
    assert_eq!(
        (
            s1["baseline"].as_f64(),
            s1["z"].as_f64(),
            s1["flag"].clone()
        ),
        (Some(500.0), Some(0.0), Value::Null)
    );
    // Satisfaction: five of the six at 100 %, a5 at 80 %: MAD 0, so the spread is 1.2533 x
    // the mean absolute deviation (0.2 / 6).
    let sat = &row(&v, "a5")["satisfaction"];
    close(sat["value"].as_f64().unwrap(), 0.8, "a5 satisfaction");
    close(
        sat["z"].as_f64().unwrap(),
        -0.2 / (1.253_314 * 0.2 / 6.0),
        "a5 satisfaction z",
    );
    assert_eq!(sat["flag"], "needs_improvement");
    // A higher threshold flags fewer; a lower minimum judges the agent with few calls.
    let strict = view(&cli, &["--threshold", "20"]);
    assert!(row(&strict, "a5")["aht"]["flag"].is_null());
    let all = view(&cli, &["--min-handled", "1"]);
    assert_eq!(row(&all, "few")["aht"]["flag"], "needs_improvement");
    // By queue: everyone is in q1, so s1 (500 s) is now measured against the whole queue.
    let q = view(&cli, &["--by", "queue"]);
    assert_eq!(row(&q, "s1")["queue"], "q1");
    assert_eq!(row(&q, "s1")["aht"]["flag"], "needs_improvement");
    // CSV and the table.
    let csv = cli.ok(&[
        "agents",
        "--tenant",
        "ag",
        "--period",
        "2021-03",
        "--metrics",
        "aht",
        "--format",
        "csv",
    ]);
    assert!(
        csv.starts_with("agent,team,handled,aht,aht_baseline,aht_z,aht_flag\n"),
        "{csv}"
    );
    assert!(csv.contains("\na5,t1,20,400,105,"), "{csv}");
    let table = cli.ok(&[
        "agents", "--tenant", "ag", "--period", "2021-03", "--lang", "en",
    ]);
    assert!(
        table.contains("a5: Average handle time 400.00 is above the team median of 105.00"),
        "{table}"
    );
    let bad = cli.run(&[
        "agents", "--tenant", "ag", "--period", "2021-03", "--by", "shoe",
    ]);
    assert!(String::from_utf8_lossy(&bad.stderr).contains("team or queue"));

    // The center's own baseline from standards.toml: AHT judged against 100 s, the spread
    // still the team's (1.4826 x 15).
    std::fs::write(
        cli.data().join("standards.toml"),
        "[ag.baseline]\naht = 100\n",
    )
    .unwrap();
    let v = view(&cli, &[]);
    assert_eq!(v["metrics"][0]["baseline"], "tenant");
    assert_eq!(v["metrics"][1]["baseline"], "team");
    let a5 = &row(&v, "a5")["aht"];
    close(a5["baseline"].as_f64().unwrap(), 100.0, "fixed baseline");
    close(a5["z"].as_f64().unwrap(), 300.0 / spread, "a5 z");
    assert!(
        a5["reason"]
            .as_str()
            .unwrap()
            .contains("above the center's baseline of 100.00"),
        "{a5}"
    );
    let a6 = &row(&v, "a6")["aht"];
    close(a6["z"].as_f64().unwrap(), -70.0 / spread, "a6 z");
    assert_eq!(a6["flag"], "outstanding");
    // Satisfaction has no baseline of the center: still the team's median.
    close(
        row(&v, "a5")["satisfaction"]["baseline"].as_f64().unwrap(),
        1.0,
        "team median",
    );
}
