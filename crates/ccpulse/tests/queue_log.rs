//! Hand-built queue_log scenarios, one per verb path, with the expected per-queue, per-hour
//! figures worked out by hand; a call split across two files; bad lines quarantined.
#![allow(clippy::unwrap_used)]

mod common;

use common::{num, Cli};
use serde_json::Value;

/// 2024-03-01T09:00:00Z.
const T0: u64 = 1_709_283_600;

fn at(offset: u64) -> String {
    format!("{}.000000", T0 + offset)
}

fn import(cli: &Cli, name: &str, lines: &[String]) -> Value {
    common::import_queue_log(cli, name, &(lines.join("\n") + "\n"))
}

fn hour(cli: &Cli, queue: &str, metrics: &str) -> Value {
    let rows = cli.kpi(&[
        "--tenant",
        "pbx",
        "--metrics",
        metrics,
        "--filter",
        &format!("queue={queue}"),
        "--from",
        "2024-03-01T09:00",
        "--to",
        "2024-03-01T10:00",
    ]);
    rows.first().cloned().unwrap_or(Value::Null)
}

#[test]
fn every_exit_path_and_a_transfer_between_queues() {
    let cli = Cli::new();
    cli.ok(&["tenant", "set", "pbx", "--timezone", "UTC"]);
    let l = |o: u64, rest: &str| format!("{}|{rest}", at(o));
    let s = import(
        &cli,
        "queue_log",
        &[
            // c1: answered in sales after 8 s, 100 s of talk, then transferred to support
            // where it waits 4 s and talks 30 s.
            l(0, "c1|sales|NONE|ENTERQUEUE||13800000001|1"),
            l(8, "c1|sales|Agent/1|CONNECT|8|c1b|3"),
            l(108, "c1|sales|Agent/1|TRANSFER|2000|support-ctx|8|100|1"),
            l(108, "c1|support|NONE|ENTERQUEUE||13800000001|1"),
            l(112, "c1|support|Agent/2|CONNECT|4|c1c|2"),
            l(142, "c1|support|Agent/2|COMPLETECALLER|4|30|1"),
            // c2: abandoned after 3 s (a short abandon), c3 after 50 s.
            l(10, "c2|sales|NONE|ENTERQUEUE||13800000002|1"),
            l(13, "c2|sales|NONE|ABANDON|1|1|3"),
            l(20, "c3|sales|NONE|ENTERQUEUE||13800000003|2"),
            l(70, "c3|sales|NONE|ABANDON|1|2|50"),
            // c4: timeout after 120 s; c5: left with a key after 15 s; c6: queue emptied
            // under it after 30 s.
            l(30, "c4|sales|NONE|ENTERQUEUE||x|1"),
            l(150, "c4|sales|NONE|EXITWITHTIMEOUT|1|1|120"),
            l(40, "c5|sales|NONE|ENTERQUEUE||x|1"),
            l(55, "c5|sales|NONE|EXITWITHKEY|5|1|1|15"),
            l(50, "c6|sales|NONE|ENTERQUEUE||x|1"),
            l(80, "c6|sales|NONE|EXITEMPTY|1|1|30"),
            // Refused at the door.
            l(60, "c7|sales|NONE|FULL|||"),
            l(61, "c8|sales|NONE|JOINEMPTY|||"),
            l(62, "c9|sales|NONE|CLOSED|||"),
            l(63, "c10|sales|NONE|DIVERT_HOLDTIME|||"),
            // An agent: logged in 09:00:00-09:30:00, paused 09:05-09:10 for lunch.
            l(0, "NONE|NONE|Agent/1|AGENTLOGIN|SIP/100"),
            l(300, "NONE|sales|Agent/1|PAUSE|lunch"),
            l(600, "NONE|sales|Agent/1|UNPAUSE|"),
            l(1800, "NONE|NONE|Agent/1|AGENTLOGOFF|SIP/100|1800"),
            // Noise: an unknown word, a config reload.
            l(5, "NONE|NONE|NONE|SHRUG|1"),
            l(6, "NONE|NONE|NONE|CONFIGRELOAD|"),
        ],
    );
    assert_eq!(s["rejected"], 0, "{s}");
    assert_eq!(s["unknown_words"]["SHRUG"], 1);
    assert_eq!(s["open_calls"], 0);

    let sales = hour(
        &cli,
        "sales",
        "contacts,answered,abandoned,short_abandoned,agent_requests,asa,avg_wait,avg_talk,closed,overflowed",
    );
    // 10 stints in sales: c1..c10.
    assert_eq!(num(&sales, "contacts"), 10.0);
    assert_eq!(num(&sales, "answered"), 1.0);
    // abandon c2, c3; timeout c4; exit with key c5.
    assert_eq!(num(&sales, "abandoned"), 4.0);
    assert_eq!(num(&sales, "short_abandoned"), 1.0);
    // c1..c6 asked for an agent; the refused ones did not.
    assert_eq!(num(&sales, "agent_requests"), 6.0);
    assert_eq!(num(&sales, "asa"), 8.0);
    // (8 + 3 + 50 + 120 + 15 + 30) / 6.
    assert!((num(&sales, "avg_wait") - 226.0 / 6.0).abs() < 1e-9);
    assert_eq!(num(&sales, "avg_talk"), 100.0);
    assert_eq!(num(&sales, "closed"), 1.0);
    // full, joinempty, divert, exitempty.
    assert_eq!(num(&sales, "overflowed"), 4.0);

    let support = hour(&cli, "support", "contacts,answered,asa,avg_talk");
    assert_eq!(num(&support, "contacts"), 1.0);
    assert_eq!(num(&support, "asa"), 4.0);
    assert_eq!(num(&support, "avg_talk"), 30.0);

    // The two stints of c1 are linked by their call id.
    let c1 = cli.kpi(&[
        "--tenant",
        "pbx",
        "--metrics",
        "contacts",
        "--by",
        "queue",
        "--filter",
        "call_id=c1",
        "--from",
        "2024-03-01",
        "--to",
        "2024-03-02",
    ]);
    assert_eq!(c1.len(), 2);
}

#[test]
fn a_call_split_across_two_files_completes_and_bad_lines_are_quarantined() {
    let cli = Cli::new();
    cli.ok(&["tenant", "set", "pbx", "--timezone", "UTC"]);
    let first = import(
        &cli,
        "queue_log.1",
        &[
            format!("{}|k1|sales|NONE|ENTERQUEUE||x|1", at(0)),
            format!("{}|k1|sales|Agent/9|CONNECT|25|k1b|5", at(25)),
            "garbage without fields".to_owned(),
            format!("{}|k2|sales|NONE|ENTERQUEUE||x|1", at(5)),
        ],
    );
    assert_eq!(first["open_calls"], 2);
    assert_eq!(first["rejected"], 1);
    assert_eq!(
        hour(&cli, "sales", "contacts")["contacts"]
            .as_f64()
            .unwrap_or(0.0),
        0.0
    );

    let second = import(
        &cli,
        "queue_log",
        &[
            format!("{}|k1|sales|Agent/9|COMPLETEAGENT|25|60|1", at(85)),
            "not-a-time|k3|sales|NONE|ENTERQUEUE||x|1".to_owned(),
        ],
    );
    assert_eq!(
        second["open_calls"], 1,
        "k2 still waits: reported, not invented"
    );
    assert_eq!(second["rejected"], 1);
    let sales = hour(&cli, "sales", "contacts,answered,asa,avg_talk");
    assert_eq!(num(&sales, "contacts"), 1.0);
    assert_eq!(num(&sales, "asa"), 25.0);
    assert_eq!(num(&sales, "avg_talk"), 60.0);

    // Importing the second file again changes nothing.
    let again = import(
        &cli,
        "queue_log",
        &[
            format!("{}|k1|sales|Agent/9|COMPLETEAGENT|25|60|1", at(85)),
            "not-a-time|k3|sales|NONE|ENTERQUEUE||x|1".to_owned(),
        ],
    );
    assert_eq!(again["inserted"], 0, "{again}");
    let q: Value = serde_json::from_str(&cli.ok(&["quarantine", "list", "--json"])).unwrap();
    let entries = q["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 2);
    assert!(entries
        .iter()
        .any(|e| e["field"] == "epoch" && e["line"] == 2));
}

/// A last line without its line ending (the file still being written) is not read as if it
/// were complete; once the file is complete, importing it again takes the line and empties the
/// quarantine, as does `quarantine replay` after the file's bad line is fixed.
#[test]
fn a_cut_last_line_waits_and_a_fixed_file_empties_the_quarantine() {
    let cli = Cli::new();
    cli.ok(&["tenant", "set", "pbx", "--timezone", "UTC"]);
    let lines = [
        format!("{}|m1|sales|NONE|ENTERQUEUE||x|1", at(0)),
        format!("{}|m1|sales|Agent/4|CONNECT|10|m1b|2", at(10)),
        format!("{}|m1|sales|Agent/4|COMPLETECALLER|10|60|1", at(70)),
    ];
    // Cut in the middle of its talk time: `60` written as `6`.
    let cut = format!(
        "{}\n{}\n{}",
        lines[0],
        lines[1],
        &lines[2][..lines[2].len() - 3]
    );
    let s = common::import_queue_log(&cli, "queue_log", &cut);
    assert_eq!(
        (s["rejected"].as_u64(), s["open_calls"].as_u64()),
        (Some(1), Some(1)),
        "{s}"
    );
    let q: Value = serde_json::from_str(&cli.ok(&["quarantine", "list", "--json"])).unwrap();
    let e = &q["entries"][0];
    assert_eq!(e["line"], 3, "{q}");
    assert!(
        e["reason"].as_str().unwrap().contains("no line ending"),
        "{q}"
    );
    assert_eq!(
        hour(&cli, "sales", "contacts")["contacts"]
            .as_f64()
            .unwrap_or(0.0),
        0.0
    );

    // Complete now: the call is taken with its true talk time, the quarantine is empty.
    let s = import(&cli, "queue_log", &lines);
    assert_eq!(s["rejected"], 0, "{s}");
    let sales = hour(&cli, "sales", "contacts,avg_talk");
    assert_eq!(num(&sales, "contacts"), 1.0);
    assert_eq!(num(&sales, "avg_talk"), 60.0);
    let q: Value = serde_json::from_str(&cli.ok(&["quarantine", "list", "--json"])).unwrap();
    assert_eq!(q["entries"].as_array().unwrap().len(), 0, "{q}");

    // A line that cannot be placed (an abandon with no wait) is quarantined; fixed in the file,
    // `quarantine replay` reads the file again and the entry leaves.
    let bad = [format!("{}|m2|sales|NONE|ABANDON|1|1|", at(300))];
    let s = import(&cli, "queue_log.2", &bad);
    assert_eq!(s["rejected"], 1, "{s}");
    cli.write(
        "queue_log.2",
        &format!("{}|m2|sales|NONE|ABANDON|1|1|20\n", at(300)),
    );
    let r: Value = serde_json::from_str(&cli.ok(&["quarantine", "replay", "--json"])).unwrap();
    assert_eq!(
        (r["imported"].as_u64(), r["rejected"].as_u64()),
        (Some(1), Some(0)),
        "{r}"
    );
    let q: Value = serde_json::from_str(&cli.ok(&["quarantine", "list", "--json"])).unwrap();
    assert_eq!(q["entries"].as_array().unwrap().len(), 0, "{q}");
    let sales = hour(&cli, "sales", "contacts,abandoned");
    assert_eq!(
        (num(&sales, "contacts"), num(&sales, "abandoned")),
        (2.0, 1.0)
    );
}
