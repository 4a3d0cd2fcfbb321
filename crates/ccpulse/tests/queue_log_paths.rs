//! Hand-built Asterisk queue_log scenarios, one per verb path, spread over several hours: the
//! expected per-queue, per-hour counts, waits and talk, and the agents' state times, are
//! worked out by hand (the arithmetic is in the comments) and written as literal numbers.
//!
//! The lines use the field layouts Asterisk's `app_queue.c` writes (Wazo's dialplan for
//! CLOSED, FULL, JOINEMPTY, LEAVEEMPTY, DIVERT_* and WRAPUPSTART):
//! ENTERQUEUE(url|callerid|position), CONNECT(holdtime|bridged uniqueid|ringtime),
//! COMPLETECALLER / COMPLETEAGENT(holdtime|calltime|origposition),
//! TRANSFER / BLINDTRANSFER(exten|context|holdtime|calltime|origposition),
//! ATTENDEDTRANSFER(BRIDGE|bridge|holdtime|calltime|origposition, APP|app|..., LINK|chan1|chan2|
//! holdtime|calltime|origposition), ABANDON / EXITWITHTIMEOUT / EXITEMPTY(position|origposition|
//! waittime), EXITWITHKEY(key|position|origposition|waittime; before Asterisk 11 key|position),
//! RINGNOANSWER(ringtime in ms), AGENTLOGIN(channel), AGENTLOGOFF(channel|logintime),
//! ADDMEMBER / REMOVEMEMBER (PAUSED when added paused), PAUSE / UNPAUSE(reason), PAUSEALL /
//! UNPAUSEALL (no data: Asterisk writes the reason on the PAUSE line of each queue that follows
//! at the same instant), WRAPUPSTART(seconds).
//!
//! Times: the tenant is on UTC; T0 is 2024-03-01T09:00:00Z and lines are written `T0 + s`.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeMap;

use common::{close, Cli};
use serde_json::Value;

/// 2024-03-01T09:00:00Z.
const T0: u64 = 1_709_283_600;

const H09: &str = "2024-03-01T09:00";
const H10: &str = "2024-03-01T10:00";
const H11: &str = "2024-03-01T11:00";

/// A queue_log line `s` seconds after T0 (Asterisk writes whole seconds).
fn l(s: u64, rest: &str) -> String {
    format!("{}|{rest}", T0 + s)
}

/// A line at `T0 + s` plus `micros` microseconds (Wazo's realtime queue_log keeps them).
fn lf(s: u64, micros: u32, rest: &str) -> String {
    format!("{}.{micros:06}|{rest}", T0 + s)
}

fn setup() -> Cli {
    let cli = Cli::new();
    cli.ok(&["tenant", "set", "pbx", "--timezone", "UTC"]);
    cli
}

fn import(cli: &Cli, lines: &[String]) -> Value {
    common::import_queue_log(cli, "queue_log", &(lines.join("\n") + "\n"))
}

/// `kpi` over 2024-03-01 by `by`, with `filters`: rows keyed by their `--by` values joined
/// with " / " (e.g. "2024-03-01T09:00 / abandon").
fn table(cli: &Cli, metrics: &str, by: &str, filters: &[&str]) -> BTreeMap<String, Value> {
    let mut args = vec![
        "--tenant",
        "pbx",
        "--metrics",
        metrics,
        "--by",
        by,
        "--from",
        "2024-03-01",
        "--to",
        "2024-03-02",
    ];
    for f in filters {
        args.push("--filter");
        args.push(f);
    }
    cli.kpi(&args)
        .into_iter()
        .map(|r| {
            let key = by
                .split(',')
                .map(|k| match &r[k] {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
                .collect::<Vec<_>>()
                .join(" / ");
            (key, r)
        })
        .collect()
}

/// One metric of every row of `t` that has a value for it.
fn column(t: &BTreeMap<String, Value>, metric: &str) -> BTreeMap<String, f64> {
    t.iter()
        .filter_map(|(k, r)| r[metric].as_f64().map(|v| (k.clone(), v)))
        .collect()
}

fn expect(pairs: &[(&str, f64)]) -> BTreeMap<String, f64> {
    pairs.iter().map(|(k, v)| ((*k).to_owned(), *v)).collect()
}

/// `metric` of the row `key` of `t`, a number.
fn at(t: &BTreeMap<String, Value>, key: &str, metric: &str) -> f64 {
    let row = t
        .get(key)
        .unwrap_or_else(|| panic!("no row {key} in {t:?}"));
    row[metric]
        .as_f64()
        .unwrap_or_else(|| panic!("{metric} of {key} is not a number: {row}"))
}

/// `metric` of the row `key` of `t`, with a null (nothing to sum) read as 0.
fn at_or_zero(t: &BTreeMap<String, Value>, key: &str, metric: &str) -> f64 {
    let row = t
        .get(key)
        .unwrap_or_else(|| panic!("no row {key} in {t:?}"));
    assert!(
        row[metric].is_null() || row[metric].is_number(),
        "{metric} of {key}: {row}"
    );
    row[metric].as_f64().unwrap_or(0.0)
}

/// A user metric (metrics.toml in the data directory, as the README describes): seconds on
/// break with a given reason, from the `reason` column of the agent state intervals.
fn add_break_reason_metric(cli: &Cli) {
    std::fs::write(
        cli.data().join("metrics.toml"),
        r#"
[[metric]]
name = "break_time"
table = "agent_states"
zh = "休息时长({reason})"
en = "Break for {reason}"
unit = "seconds"
direction = "neutral"
formula = "seconds on break with the reason {reason}"
params = { reason = "lunch" }
numerator = "sum(CASE WHEN state = 'break' AND reason = {reason} THEN secs END)"
"#,
    )
    .unwrap();
}

#[test]
fn answered_and_abandoned_calls_over_two_hours() {
    let cli = setup();
    let s = import(
        &cli,
        &[
            // A1 09:10:00: Agent/1002 rings 5 s without answering, Agent/1001 answers after a
            // 20 s wait; the caller hangs up after 180 s.
            l(600, "1709284200.11|sales|NONE|ENTERQUEUE||13800000001|1"),
            l(605, "1709284200.11|sales|Agent/1002|RINGNOANSWER|5000"),
            l(
                620,
                "1709284200.11|sales|Agent/1001|CONNECT|20|1709284205.12|14",
            ),
            l(
                800,
                "1709284200.11|sales|Agent/1001|COMPLETECALLER|20|180|1",
            ),
            // A6 09:11:40: hangs up after 12 s, just as Agent/1001 answers (Asterisk writes
            // the member on that ABANDON).
            l(700, "1709284300.13|sales|NONE|ENTERQUEUE||13800000006|2"),
            l(712, "1709284300.13|sales|Agent/1001|ABANDON|1|2|12"),
            // A2 09:59:50: answered at 10:00:15 after 25 s, 300 s of talk, the agent hangs
            // up; it counts in 09:00, the hour it entered the queue.
            l(3590, "1709287190.14|sales|NONE|ENTERQUEUE||13800000002|1"),
            l(
                3615,
                "1709287190.14|sales|Agent/1002|CONNECT|25|1709287210.15|5",
            ),
            l(
                3915,
                "1709287190.14|sales|Agent/1002|COMPLETEAGENT|25|300|1",
            ),
            // A3 10:00:20: abandons after 45 s; A4 10:01:40: abandons after 3 s while ringing
            // Agent/1001 (a short abandon: under the default 5 s).
            l(3620, "1709287220.16|sales|NONE|ENTERQUEUE||13800000003|1"),
            l(3665, "1709287220.16|sales|NONE|ABANDON|1|1|45"),
            l(3700, "1709287300.17|sales|NONE|ENTERQUEUE||13800000004|1"),
            l(3702, "1709287300.17|sales|Agent/1001|RINGCANCELED|1500"),
            l(3703, "1709287300.17|sales|NONE|ABANDON|1|1|3"),
            // A5 10:06:40: answered after 10 s, 50 s of talk.
            l(4000, "1709287600.18|sales|NONE|ENTERQUEUE||13800000005|1"),
            l(
                4010,
                "1709287600.18|sales|Agent/1001|CONNECT|10|1709287605.19|4",
            ),
            l(
                4060,
                "1709287600.18|sales|Agent/1001|COMPLETECALLER|10|50|1",
            ),
        ],
    );
    assert_eq!(s["rejected"], 0, "{s}");
    assert_eq!(s["open_calls"], 0, "{s}");

    let t = table(
        &cli,
        "offered,answered,abandoned,short_abandoned,answer_rate,asa,avg_wait,avg_talk",
        "hour",
        &["queue=sales"],
    );
    assert_eq!(t.keys().collect::<Vec<_>>(), [H09, H10]);
    // 09:00: A1, A6, A2 offered; A1 and A2 answered; A6 abandoned.
    assert_eq!(at(&t, H09, "offered"), 3.0);
    assert_eq!(at(&t, H09, "answered"), 2.0);
    assert_eq!(at(&t, H09, "abandoned"), 1.0);
    assert_eq!(at_or_zero(&t, H09, "short_abandoned"), 0.0);
    close(at(&t, H09, "answer_rate"), 2.0 / 3.0, "answer rate 09");
    // asa (20 + 25) / 2; avg wait (20 + 12 + 25) / 3 = 57 / 3; avg talk (180 + 300) / 2.
    close(at(&t, H09, "asa"), 22.5, "asa 09");
    close(at(&t, H09, "avg_wait"), 19.0, "avg wait 09");
    close(at(&t, H09, "avg_talk"), 240.0, "avg talk 09");
    // 10:00: A3, A4, A5 offered; A5 answered; A3 and A4 abandoned, A4 short.
    assert_eq!(at(&t, H10, "offered"), 3.0);
    assert_eq!(at(&t, H10, "answered"), 1.0);
    assert_eq!(at(&t, H10, "abandoned"), 2.0);
    assert_eq!(at(&t, H10, "short_abandoned"), 1.0);
    close(at(&t, H10, "answer_rate"), 1.0 / 3.0, "answer rate 10");
    // asa 10 / 1; avg wait (45 + 3 + 10) / 3 = 58 / 3; avg talk 50 / 1.
    close(at(&t, H10, "asa"), 10.0, "asa 10");
    close(at(&t, H10, "avg_wait"), 58.0 / 3.0, "avg wait 10");
    close(at(&t, H10, "avg_talk"), 50.0, "avg talk 10");

    let reasons = column(
        &table(&cli, "offered", "hour,exit_reason", &["queue=sales"]),
        "offered",
    );
    assert_eq!(
        reasons,
        expect(&[
            ("2024-03-01T09:00 / abandon", 1.0),
            ("2024-03-01T09:00 / completeagent", 1.0),
            ("2024-03-01T09:00 / completecaller", 1.0),
            ("2024-03-01T10:00 / abandon", 2.0),
            ("2024-03-01T10:00 / completecaller", 1.0),
        ])
    );
    // Answered by agent: Agent/1001 took A1 (talk 180) and A5 (talk 50), Agent/1002 A2 (300).
    let agents = table(&cli, "answered,avg_talk", "agent", &["queue=sales"]);
    assert_eq!(at(&agents, "Agent/1001", "answered"), 2.0);
    close(
        at(&agents, "Agent/1001", "avg_talk"),
        115.0,
        "(180 + 50) / 2",
    );
    assert_eq!(at(&agents, "Agent/1002", "answered"), 1.0);
    close(at(&agents, "Agent/1002", "avg_talk"), 300.0, "300 / 1");
}

#[test]
fn every_exit_kind_counts_under_its_own_exit_reason() {
    let cli = setup();
    let s = import(
        &cli,
        &[
            // X0 09:01:40: the queue is closed (Wazo's schedule).
            l(100, "1709283700.70|support|NONE|CLOSED|||||"),
            // X1 09:05:00: times out after 120 s.
            l(300, "1709283900.71|support|NONE|ENTERQUEUE||13800000071|1"),
            l(420, "1709283900.71|support|NONE|EXITWITHTIMEOUT|1|1|120"),
            // X2 09:08:20: presses 5 after 15 s (key|position|origposition|waittime).
            l(500, "1709284100.72|support|NONE|ENTERQUEUE||13800000072|1"),
            l(515, "1709284100.72|support|NONE|EXITWITHKEY|5|1|1|15"),
            // X3 09:16:40: the last member leaves; out after 30 s (leavewhenempty).
            l(1000, "1709284600.73|support|NONE|ENTERQUEUE||13800000073|1"),
            l(1030, "1709284600.73|support|NONE|EXITEMPTY|1|1|30"),
            // X4 09:33:20: presses 3 after 25 s, written as Asterisk 1.8 does (key|position,
            // no wait: the wait comes from the times, 2025 - 2000).
            l(2000, "1709285600.74|support|NONE|ENTERQUEUE||13800000074|1"),
            l(2025, "1709285600.74|support|NONE|EXITWITHKEY|3|1"),
            // X5 09:58:20: Wazo's LEAVEEMPTY (no fields): the wait is 3540 - 3500 = 40 s.
            l(3500, "1709287100.75|support|NONE|ENTERQUEUE||13800000075|1"),
            l(3540, "1709287100.75|support|NONE|LEAVEEMPTY|||||"),
            // 10:00: refused at the door, one of each kind, and one more closed call.
            l(3610, "1709287210.76|support|NONE|JOINEMPTY|||||"),
            l(3620, "1709287220.77|support|NONE|FULL|||||"),
            l(3630, "1709287230.78|support|NONE|CLOSED|||||"),
            l(3640, "1709287240.79|support|NONE|DIVERT_CA_RATIO|||||"),
            l(3650, "1709287250.80|support|NONE|DIVERT_HOLDTIME|||||"),
            // X11 10:01:40: times out after 60 s.
            l(3700, "1709287300.81|support|NONE|ENTERQUEUE||13800000081|2"),
            l(3760, "1709287300.81|support|NONE|EXITWITHTIMEOUT|2|2|60"),
        ],
    );
    assert_eq!(s["rejected"], 0, "{s}");
    assert_eq!(s["open_calls"], 0, "{s}");

    let reasons = column(
        &table(&cli, "offered", "hour,exit_reason", &["queue=support"]),
        "offered",
    );
    assert_eq!(
        reasons,
        expect(&[
            ("2024-03-01T09:00 / closed", 1.0),
            ("2024-03-01T09:00 / exitempty", 2.0),
            ("2024-03-01T09:00 / exitwithkey", 2.0),
            ("2024-03-01T09:00 / timeout", 1.0),
            ("2024-03-01T10:00 / closed", 1.0),
            ("2024-03-01T10:00 / divert_ca_ratio", 1.0),
            ("2024-03-01T10:00 / divert_holdtime", 1.0),
            ("2024-03-01T10:00 / full", 1.0),
            ("2024-03-01T10:00 / joinempty", 1.0),
            ("2024-03-01T10:00 / timeout", 1.0),
        ])
    );
    let outcomes = column(
        &table(&cli, "offered", "hour,outcome", &["queue=support"]),
        "offered",
    );
    assert_eq!(
        outcomes,
        expect(&[
            // X2 and X4 (key exits) are abandoned; X3 and X5 (emptied queue) overflow.
            ("2024-03-01T09:00 / abandoned", 2.0),
            ("2024-03-01T09:00 / closed", 1.0),
            ("2024-03-01T09:00 / overflow", 2.0),
            ("2024-03-01T09:00 / timeout", 1.0),
            // joinempty, full and the two diverts overflow.
            ("2024-03-01T10:00 / closed", 1.0),
            ("2024-03-01T10:00 / overflow", 4.0),
            ("2024-03-01T10:00 / timeout", 1.0),
        ])
    );

    let t = table(
        &cli,
        "offered,agent_requests,answered,abandoned,overflowed,closed,answer_rate,avg_wait,longest_wait",
        "hour",
        &["queue=support"],
    );
    // 09:00: X0..X5 offered; X1..X5 reached the queue; abandoned = X1 (timeout) + X2, X4
    // (key); overflowed = X3, X5; closed = X0.
    assert_eq!(at(&t, H09, "offered"), 6.0);
    assert_eq!(at(&t, H09, "agent_requests"), 5.0);
    assert_eq!(at(&t, H09, "answered"), 0.0);
    assert_eq!(at(&t, H09, "abandoned"), 3.0);
    assert_eq!(at(&t, H09, "overflowed"), 2.0);
    assert_eq!(at(&t, H09, "closed"), 1.0);
    close(at(&t, H09, "answer_rate"), 0.0, "0 / 5");
    // (120 + 15 + 30 + 25 + 40) / 5 = 230 / 5.
    close(at(&t, H09, "avg_wait"), 46.0, "avg wait 09");
    close(at(&t, H09, "longest_wait"), 120.0, "longest wait 09");
    // 10:00: six offered, X11 alone reached the queue (timed out after 60 s); joinempty,
    // full and two diverts overflow; one closed.
    assert_eq!(at(&t, H10, "offered"), 6.0);
    assert_eq!(at(&t, H10, "agent_requests"), 1.0);
    assert_eq!(at(&t, H10, "abandoned"), 1.0);
    assert_eq!(at(&t, H10, "overflowed"), 4.0);
    assert_eq!(at(&t, H10, "closed"), 1.0);
    close(at(&t, H10, "avg_wait"), 60.0, "avg wait 10");

    // One exit kind through a filter: the emptied queue's two stints, waits 30 and 40.
    let empty = table(
        &cli,
        "offered,avg_wait",
        "hour",
        &["queue=support", "exit_reason=exitempty"],
    );
    assert_eq!(empty.keys().collect::<Vec<_>>(), [H09]);
    assert_eq!(at(&empty, H09, "offered"), 2.0);
    close(at(&empty, H09, "avg_wait"), 35.0, "(30 + 40) / 2");
}

#[test]
fn transfers_of_every_form_count_in_both_queues() {
    let cli = setup();
    let s = import(
        &cli,
        &[
            // T1 09:03:20, Asterisk 1.8 TRANSFER: Agent/1001 answers after 12 s, talks 100 s,
            // transfers the caller to billing's extension 8000; the caller (same uniqueid)
            // waits 8 s in billing and talks 60 s.
            l(200, "1709283800.1|sales|NONE|ENTERQUEUE||13800000011|1"),
            l(212, "1709283800.1|sales|Agent/1001|CONNECT|12|1709283805.2|3"),
            l(312, "1709283800.1|sales|Agent/1001|TRANSFER|8000|from-queue|12|100|1"),
            l(313, "1709283800.1|billing|NONE|ENTERQUEUE||13800000011|1"),
            l(321, "1709283800.1|billing|Agent/2001|CONNECT|8|1709283810.3|2"),
            l(381, "1709283800.1|billing|Agent/2001|COMPLETECALLER|8|60|1"),
            // T2 09:06:40, BLINDTRANSFER: answered after 30 s, 60 s of talk, blind transfer to
            // billing, where the caller gives up after 20 s.
            l(400, "1709284000.4|sales|NONE|ENTERQUEUE||13800000012|1"),
            l(430, "1709284000.4|sales|Agent/1002|CONNECT|30|1709284020.5|4"),
            l(490, "1709284000.4|sales|Agent/1002|BLINDTRANSFER|8000|from-internal|30|60|1"),
            l(490, "1709284000.4|billing|NONE|ENTERQUEUE||13800000012|1"),
            l(510, "1709284000.4|billing|NONE|ABANDON|1|1|20"),
            // T3 09:10:00, ATTENDEDTRANSFER BRIDGE: answered after 5 s; Agent/1001 consults
            // billing (a Local channel, its own uniqueid, queued 6 s, answered by Agent/2001),
            // then merges the bridges at 700: 95 s of talk in sales (700 - 605). The consult
            // stint in billing talks 820 - 656 = 164 s.
            l(600, "1709284200.6|sales|NONE|ENTERQUEUE||13800000013|1"),
            l(605, "1709284200.6|sales|Agent/1001|CONNECT|5|1709284203.7|2"),
            l(650, "1709284250.8|billing|NONE|ENTERQUEUE||1001|1"),
            l(656, "1709284250.8|billing|Agent/2001|CONNECT|6|1709284253.9|3"),
            l(
                700,
                "1709284200.6|sales|Agent/1001|ATTENDEDTRANSFER|BRIDGE|5d1c9a2e-1f0b-4a8e-9d7c-1b2c3d4e5f60|5|95|1",
            ),
            l(820, "1709284250.8|billing|Agent/2001|COMPLETECALLER|6|164|1"),
            // T4 10:01:40, ATTENDEDTRANSFER APP: answered after 10 s; the consult call is still
            // waiting in billing's Queue() when Agent/1002 completes the transfer at 3770
            // (60 s of talk); it is answered at 3800 after 40 s and talks 100 s.
            l(3700, "1709287300.10|sales|NONE|ENTERQUEUE||13800000014|1"),
            l(3710, "1709287300.10|sales|Agent/1002|CONNECT|10|1709287305.11|3"),
            l(3760, "1709287360.12|billing|NONE|ENTERQUEUE||1002|1"),
            l(
                3770,
                "1709287300.10|sales|Agent/1002|ATTENDEDTRANSFER|APP|Queue|10|60|1",
            ),
            l(3800, "1709287360.12|billing|Agent/2002|CONNECT|40|1709287395.13|5"),
            l(3900, "1709287360.12|billing|Agent/2002|COMPLETEAGENT|40|100|1"),
            // T5 10:05:00, ATTENDEDTRANSFER LINK: answered after 15 s, 100 s of talk (4015 -
            // 3915); the consult call waited 10 s in billing and talks 340 s.
            l(3900, "1709287500.14|sales|NONE|ENTERQUEUE||13800000015|1"),
            l(3915, "1709287500.14|sales|Agent/1001|CONNECT|15|1709287510.15|6"),
            l(3950, "1709287550.16|billing|NONE|ENTERQUEUE||1001|1"),
            l(3960, "1709287550.16|billing|Agent/2001|CONNECT|10|1709287555.17|4"),
            l(
                4015,
                "1709287500.14|sales|Agent/1001|ATTENDEDTRANSFER|LINK|Local/8000@from-internal-00000007;1|Local/8000@from-internal-00000007;2|15|100|1",
            ),
            l(4300, "1709287550.16|billing|Agent/2001|COMPLETECALLER|10|340|1"),
        ],
    );
    assert_eq!(s["rejected"], 0, "{s}");
    assert_eq!(s["open_calls"], 0, "{s}");

    let metrics = "offered,answered,abandoned,asa,avg_wait,avg_talk";
    let sales = table(&cli, metrics, "hour", &["queue=sales"]);
    // 09:00: T1, T2, T3, all answered then transferred.
    assert_eq!(at(&sales, H09, "offered"), 3.0);
    assert_eq!(at(&sales, H09, "answered"), 3.0);
    assert_eq!(at_or_zero(&sales, H09, "abandoned"), 0.0);
    // asa (12 + 30 + 5) / 3 = 47 / 3; talk (100 + 60 + 95) / 3 = 85.
    close(at(&sales, H09, "asa"), 47.0 / 3.0, "sales asa 09");
    close(at(&sales, H09, "avg_talk"), 85.0, "sales talk 09");
    // 10:00: T4, T5; asa (10 + 15) / 2; talk (60 + 100) / 2.
    assert_eq!(at(&sales, H10, "offered"), 2.0);
    assert_eq!(at(&sales, H10, "answered"), 2.0);
    close(at(&sales, H10, "asa"), 12.5, "sales asa 10");
    close(at(&sales, H10, "avg_talk"), 80.0, "sales talk 10");
    let sales_reasons = column(
        &table(&cli, "offered", "hour,exit_reason", &["queue=sales"]),
        "offered",
    );
    assert_eq!(
        sales_reasons,
        expect(&[
            ("2024-03-01T09:00 / transfer", 3.0),
            ("2024-03-01T10:00 / transfer", 2.0),
        ])
    );

    let billing = table(&cli, metrics, "hour", &["queue=billing"]);
    // 09:00: T1 (waits 8, talks 60), T2 (abandons after 20), T3's consult (6, 164).
    assert_eq!(at(&billing, H09, "offered"), 3.0);
    assert_eq!(at(&billing, H09, "answered"), 2.0);
    assert_eq!(at(&billing, H09, "abandoned"), 1.0);
    // asa (8 + 6) / 2; avg wait (8 + 20 + 6) / 3 = 34 / 3; talk (60 + 164) / 2.
    close(at(&billing, H09, "asa"), 7.0, "billing asa 09");
    close(at(&billing, H09, "avg_wait"), 34.0 / 3.0, "billing wait 09");
    close(at(&billing, H09, "avg_talk"), 112.0, "billing talk 09");
    // 10:00: T4's consult (40, 100), T5's consult (10, 340).
    assert_eq!(at(&billing, H10, "offered"), 2.0);
    assert_eq!(at(&billing, H10, "answered"), 2.0);
    close(at(&billing, H10, "asa"), 25.0, "(40 + 10) / 2");
    close(at(&billing, H10, "avg_talk"), 220.0, "(100 + 340) / 2");
    let billing_reasons = column(
        &table(&cli, "offered", "hour,exit_reason", &["queue=billing"]),
        "offered",
    );
    assert_eq!(
        billing_reasons,
        expect(&[
            ("2024-03-01T09:00 / abandon", 1.0),
            ("2024-03-01T09:00 / completecaller", 2.0),
            ("2024-03-01T10:00 / completeagent", 1.0),
            ("2024-03-01T10:00 / completecaller", 1.0),
        ])
    );

    // The caller transferred by TRANSFER or BLINDTRANSFER keeps its uniqueid: one stint in
    // each queue, linked by the call id.
    for call in ["1709283800.1", "1709284000.4"] {
        let stints = column(
            &table(&cli, "offered", "queue", &[&format!("call_id={call}")]),
            "offered",
        );
        assert_eq!(
            stints,
            expect(&[("billing", 1.0), ("sales", 1.0)]),
            "call {call}"
        );
    }
}

#[test]
fn agent_sessions_pauses_calls_and_wrap_up_split_by_hour() {
    let cli = setup();
    add_break_reason_metric(&cli);
    let s = import(
        &cli,
        &[
            // Agent/1001 (app_agent_pool) logs in at 09:00:00 and off at 11:30:00 after
            // 9000 s.
            l(
                0,
                "1709283600.1|NONE|Agent/1001|AGENTLOGIN|PJSIP/1001-00000001",
            ),
            // Call C1: answered at 1210, 290 s of talk, 30 s of wrap-up.
            l(1200, "1709284800.21|sales|NONE|ENTERQUEUE||13800000021|1"),
            l(
                1210,
                "1709284800.21|sales|Agent/1001|CONNECT|10|1709284805.22|9",
            ),
            l(
                1500,
                "1709284800.21|sales|Agent/1001|COMPLETEAGENT|10|290|1",
            ),
            l(1500, "1709284800.21|sales|Agent/1001|WRAPUPSTART|30"),
            // Lunch from 09:50:00 to 10:20:00, across the hour.
            l(3000, "NONE|sales|Agent/1001|PAUSE|lunch"),
            l(4800, "NONE|sales|Agent/1001|UNPAUSE|"),
            // Call C2: answered at 5405, 595 s of talk, 15 s of wrap-up.
            l(5400, "1709289000.31|sales|NONE|ENTERQUEUE||13800000031|1"),
            l(
                5405,
                "1709289000.31|sales|Agent/1001|CONNECT|5|1709289002.32|4",
            ),
            l(
                6000,
                "1709289000.31|sales|Agent/1001|COMPLETECALLER|5|595|1",
            ),
            l(6000, "1709289000.31|sales|Agent/1001|WRAPUPSTART|15"),
            // Call C3: answered at 6920 (10:55:20), 400 s of talk up to 11:02:00, 30 s of
            // wrap-up.
            l(6900, "1709290500.41|sales|NONE|ENTERQUEUE||13800000041|1"),
            l(
                6920,
                "1709290500.41|sales|Agent/1001|CONNECT|20|1709290510.42|6",
            ),
            l(
                7320,
                "1709290500.41|sales|Agent/1001|COMPLETEAGENT|20|400|1",
            ),
            l(7320, "1709290500.41|sales|Agent/1001|WRAPUPSTART|30"),
            l(
                9000,
                "1709283600.1|NONE|Agent/1001|AGENTLOGOFF|PJSIP/1001-00000001|9000",
            ),
            // PJSIP/1002, a dynamic member: added at 09:30:00, removed at 11:15:00.
            l(1800, "MANAGER|sales|PJSIP/1002|ADDMEMBER|"),
            // Call C4: answered at 2430, 170 s of talk.
            l(2400, "1709286000.51|sales|NONE|ENTERQUEUE||13800000051|1"),
            l(
                2430,
                "1709286000.51|sales|PJSIP/1002|CONNECT|30|1709286020.52|12",
            ),
            l(
                2600,
                "1709286000.51|sales|PJSIP/1002|COMPLETECALLER|30|170|2",
            ),
            // Paused in every queue from 10:40:00 to 10:50:00 (PauseQueueMember without a
            // queue: PAUSEALL, then PAUSE in each of its queues).
            l(6000, "NONE|NONE|PJSIP/1002|PAUSEALL|"),
            l(6000, "NONE|sales|PJSIP/1002|PAUSE|coffee"),
            l(6600, "NONE|NONE|PJSIP/1002|UNPAUSEALL|"),
            l(6600, "NONE|sales|PJSIP/1002|UNPAUSE|"),
            l(8100, "MANAGER|sales|PJSIP/1002|REMOVEMEMBER|"),
        ],
    );
    assert_eq!(s["rejected"], 0, "{s}");
    assert_eq!(s["open_calls"], 0, "{s}");

    let t = table(
        &cli,
        "staffed_time,state_time[state=break],state_time[state=busy],state_time[state=acw],occupancy,break_time[reason=lunch]",
        "hour",
        &[],
    );
    let staffed = column(&t, "staffed_time");
    // 09:00: Agent/1001 3600 + PJSIP/1002 1800 (09:30-10:00); 10:00: 3600 + 3600;
    // 11:00: Agent/1001 1800 (to 11:30) + PJSIP/1002 900 (to 11:15).
    assert_eq!(
        staffed,
        expect(&[(H09, 5400.0), (H10, 7200.0), (H11, 2700.0)])
    );
    let brk = "state_time[state=break]";
    let busy = "state_time[state=busy]";
    let acw = "state_time[state=acw]";
    // 09:00: lunch 09:50-10:00 = 600; busy C1 290 + C4 170 = 460; wrap-up C1 30;
    // occupancy (460 + 30) / (5400 - 600): lunch is a meal, left out of the time to work.
    assert_eq!(at(&t, H09, brk), 600.0);
    assert_eq!(at(&t, H09, busy), 460.0);
    assert_eq!(at(&t, H09, acw), 30.0);
    close(at(&t, H09, "occupancy"), 490.0 / 4800.0, "occupancy 09");
    assert_eq!(at(&t, H09, "break_time[reason=lunch]"), 600.0);
    // 10:00: lunch 10:00-10:20 = 1200 + PJSIP/1002's pause 600 = 1800; busy C2 595 + C3
    // 10:55:20-11:00 280 = 875; wrap-up C2 15; occupancy (875 + 15) / (7200 - 1200): only
    // the lunch is a meal, the coffee pause is time at work.
    assert_eq!(at(&t, H10, brk), 1800.0);
    assert_eq!(at(&t, H10, busy), 875.0);
    assert_eq!(at(&t, H10, acw), 15.0);
    close(at(&t, H10, "occupancy"), 890.0 / 6000.0, "occupancy 10");
    assert_eq!(at(&t, H10, "break_time[reason=lunch]"), 1200.0);
    // 11:00: no break; busy C3 11:00-11:02 = 120; wrap-up C3 30; occupancy 150 / 2700.
    assert_eq!(at_or_zero(&t, H11, brk), 0.0);
    assert_eq!(at(&t, H11, busy), 120.0);
    assert_eq!(at(&t, H11, acw), 30.0);
    close(at(&t, H11, "occupancy"), 150.0 / 2700.0, "occupancy 11");

    // The day by agent.
    let a = table(
        &cli,
        "staffed_time,state_time[state=break],state_time[state=busy],state_time[state=acw],state_time[state=idle],occupancy",
        "agent",
        &[],
    );
    // Agent/1001: 9000 s logged in, lunch 1800, busy 290 + 595 + 400 = 1285, wrap-up
    // 30 + 15 + 30 = 75; idle the rest: 9000 - 1800 - 1285 - 75 = 5840; occupancy
    // (1285 + 75) / (9000 - 1800).
    assert_eq!(at(&a, "Agent/1001", "staffed_time"), 9000.0);
    assert_eq!(at(&a, "Agent/1001", brk), 1800.0);
    assert_eq!(at(&a, "Agent/1001", busy), 1285.0);
    assert_eq!(at(&a, "Agent/1001", acw), 75.0);
    assert_eq!(at(&a, "Agent/1001", "state_time[state=idle]"), 5840.0);
    close(
        at(&a, "Agent/1001", "occupancy"),
        1360.0 / 7200.0,
        "Agent/1001",
    );
    // PJSIP/1002: 09:30-11:15 = 6300 s, pause 600, busy 170, no wrap-up;
    // idle 6300 - 600 - 170 = 5530; occupancy 170 / 6300 (a coffee pause is no meal).
    assert_eq!(at(&a, "PJSIP/1002", "staffed_time"), 6300.0);
    assert_eq!(at(&a, "PJSIP/1002", brk), 600.0);
    assert_eq!(at(&a, "PJSIP/1002", busy), 170.0);
    assert_eq!(at_or_zero(&a, "PJSIP/1002", acw), 0.0);
    assert_eq!(at(&a, "PJSIP/1002", "state_time[state=idle]"), 5530.0);
    close(
        at(&a, "PJSIP/1002", "occupancy"),
        170.0 / 6300.0,
        "PJSIP/1002",
    );

    // The calls themselves, in sales: C1, C4 entered at 09:00; C2, C3 at 10:00.
    let sales = column(
        &table(&cli, "answered", "hour", &["queue=sales"]),
        "answered",
    );
    assert_eq!(sales, expect(&[(H09, 2.0), (H10, 2.0)]));
}

/// Asterisk pauses a member in all its queues (PauseQueueMember / QueuePause without a queue)
/// by writing PAUSEALL with no data and then, at the same instant, PAUSE with the reason in
/// each queue (`set_member_paused` in app_queue.c). The break keeps that reason.
#[test]
fn a_pause_in_every_queue_keeps_the_reason_asterisk_writes_on_its_pause_lines() {
    let cli = setup();
    add_break_reason_metric(&cli);
    let s = import(
        &cli,
        &[
            l(
                0,
                "1709283600.91|NONE|Agent/1003|AGENTLOGIN|PJSIP/1003-00000005",
            ),
            // 09:10:00-09:15:00 on a coffee break, in both of its queues.
            l(600, "NONE|NONE|Agent/1003|PAUSEALL|"),
            l(600, "NONE|sales|Agent/1003|PAUSE|coffee"),
            l(600, "NONE|support|Agent/1003|PAUSE|coffee"),
            l(900, "NONE|NONE|Agent/1003|UNPAUSEALL|"),
            l(900, "NONE|sales|Agent/1003|UNPAUSE|"),
            l(900, "NONE|support|Agent/1003|UNPAUSE|"),
            l(
                1800,
                "1709283600.91|NONE|Agent/1003|AGENTLOGOFF|PJSIP/1003-00000005|1800",
            ),
        ],
    );
    assert_eq!(s["rejected"], 0, "{s}");
    let t = table(
        &cli,
        "staffed_time,state_time[state=break],break_time[reason=coffee]",
        "hour",
        &[],
    );
    // Logged in 09:00-09:30 = 1800 s; on break 900 - 600 = 300 s, all of it for coffee.
    assert_eq!(at(&t, H09, "staffed_time"), 1800.0);
    assert_eq!(at(&t, H09, "state_time[state=break]"), 300.0);
    assert_eq!(
        at_or_zero(&t, H09, "break_time[reason=coffee]"),
        300.0,
        "the PAUSE lines written with PAUSEALL carry its reason"
    );
}

/// AMI QueueAdd with `Paused: true` writes `ADDMEMBER|PAUSED`: the member starts paused and
/// takes no call until it is unpaused.
#[test]
fn a_member_added_paused_is_on_break_until_unpaused() {
    let cli = setup();
    let s = import(
        &cli,
        &[
            // Added paused at 09:00:00, unpaused at 09:10:00, removed at 09:30:00.
            l(0, "MANAGER|sales|PJSIP/1004|ADDMEMBER|PAUSED"),
            l(600, "NONE|sales|PJSIP/1004|UNPAUSE|"),
            l(1800, "MANAGER|sales|PJSIP/1004|REMOVEMEMBER|"),
        ],
    );
    assert_eq!(s["rejected"], 0, "{s}");
    let t = table(&cli, "staffed_time,state_time[state=break]", "hour", &[]);
    // Member 09:00-09:30 = 1800 s; paused 09:00-09:10 = 600 s.
    assert_eq!(at(&t, H09, "staffed_time"), 1800.0);
    assert_eq!(
        at_or_zero(&t, H09, "state_time[state=break]"),
        600.0,
        "added paused: on break until the UNPAUSE"
    );
}

/// Wazo writes an emptied queue's exit twice: Asterisk's EXITEMPTY (with the wait) and, a few
/// milliseconds later, its dialplan's LEAVEEMPTY (as in xivo-dao's
/// `test_fill_leaveempty_calls_fallover`, taken from a real queue_log). That is one stint that
/// left an emptied queue, and no line is bad.
#[test]
fn wazo_exitempty_then_leaveempty_is_one_stint() {
    let cli = setup();
    let s = import(
        &cli,
        &[
            // W1 enters queue1 at 09:00:36.992026 and the queue empties: EXITEMPTY at
            // 37.008464 with a wait of 1 s (Asterisk counts whole seconds of time(): 37 - 36),
            // then Wazo's LEAVEEMPTY 17 ms later.
            lf(
                36,
                992_026,
                "1709283636.209622|queue1|NONE|ENTERQUEUE||13800000099|1",
            ),
            lf(37, 8_464, "1709283636.209622|queue1|NONE|EXITEMPTY|1|1|1"),
            lf(37, 25_775, "1709283636.209622|queue1|NONE|LEAVEEMPTY|"),
            // It goes on to queue2: two agents ring unanswered, the third answers after
            // 52 s (89.368030 - 37.206645 = 52.16, written 52), talk 319 s.
            lf(
                37,
                206_645,
                "1709283636.209622|queue2|NONE|ENTERQUEUE||13800000099|1",
            ),
            lf(
                52,
                252_287,
                "1709283636.209622|queue2|Agent/7|RINGNOANSWER|15000",
            ),
            lf(
                68,
                287_469,
                "1709283636.209622|queue2|Agent/8|RINGNOANSWER|15000",
            ),
            lf(
                89,
                368_030,
                "1709283636.209622|queue2|Agent/9|CONNECT|52|1709283684.209700|5",
            ),
            lf(
                408,
                842_320,
                "1709283636.209622|queue2|Agent/9|COMPLETEAGENT|52|319|1",
            ),
            lf(
                408,
                856_337,
                "1709283636.209622|queue2|Agent/9|WRAPUPSTART|15",
            ),
        ],
    );
    assert_eq!(s["open_calls"], 0, "{s}");
    let reasons = column(&table(&cli, "offered", "queue,exit_reason", &[]), "offered");
    assert_eq!(
        reasons,
        expect(&[("queue1 / exitempty", 1.0), ("queue2 / completeagent", 1.0)])
    );
    assert_eq!(
        s["rejected"], 0,
        "the LEAVEEMPTY of a stint already out is not bad: {s}"
    );
}
