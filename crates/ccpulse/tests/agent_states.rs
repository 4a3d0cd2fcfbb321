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
