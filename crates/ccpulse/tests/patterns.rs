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

/// Customer c1 about billing: voice on day 0, chat on day 7 (a repeat: 7 days or less), voice
/// on day 15 (8 days after the chat: not one), an outbound call between (the center calling
/// is not the customer coming back). Customer c2: billing, then plans the next day (another
/// category). A call without a customer cannot be judged.
#[test]
fn repeat_contacts_across_channels_by_hand() {
    let billing = |c: &str| json!({"customer": c, "category": "billing"});
    let cli = load(&[
        contact("v1", "2021-03-01T10:00", 60.0, billing("c1")),
        contact(
            "ch1",
            "2021-03-08T10:00",
            60.0,
            json!({"customer": "c1", "category": "billing", "channel": "chat"}),
        ),
        contact(
            "o1",
            "2021-03-09T10:00",
            60.0,
            json!({"customer": "c1", "category": "billing", "direction": "outbound"}),
        ),
        contact("v2", "2021-03-16T10:00", 60.0, billing("c1")),
        contact("v3", "2021-03-02T09:00", 60.0, billing("c2")),
        contact(
            "v4",
            "2021-03-03T09:00",
            60.0,
            json!({"customer": "c2", "category": "plans"}),
        ),
        contact(
            "v5",
            "2021-03-04T09:00",
            60.0,
            json!({"category": "billing"}),
        ),
    ]);
    let ask = |from: &str, to: &str, metrics: &str, extra: &[&str]| {
        let mut a = vec!["--metrics", metrics, "--from", from, "--to", to];
        a.extend_from_slice(extra);
        kpi(&cli, &a)[0].clone()
    };
    let m = "repeat_contacts,repeat_rate,fcr[method=repeat],repeat_contacts[days=8]";
    let march = ask("2021-03-01", "2021-04-01", m, &[]);
    assert_eq!(march["repeat_contacts"], 1, "the chat on day 7");
    assert_eq!(
        march["repeat_contacts[days=8]"], 2,
        "and the call on day 15"
    );
    assert_eq!(march["repeat_rate"], 1.0 / 5.0);
    // v1 came back within 7 days; ch1 (8 days), v2, v3 and v4 did not.
    assert_eq!(march["fcr[method=repeat]"], 4.0 / 5.0);
    // Across channels: the chat repeats a voice call.
    let chat = ask("2021-03-01", "2021-04-01", m, &["--filter", "channel=chat"]);
    assert_eq!(chat["repeat_contacts"], 1);
    let voice = ask(
        "2021-03-01",
        "2021-04-01",
        m,
        &["--filter", "channel=voice"],
    );
    assert_eq!(voice["repeat_contacts"], 0);
    // The window looks before and after the range.
    let day7 = ask("2021-03-08", "2021-03-09", m, &[]);
    assert_eq!(day7["repeat_contacts"], 1);
    let day0 = ask("2021-03-01", "2021-03-02", m, &[]);
    assert_eq!(
        day0["fcr[method=repeat]"], 0.0,
        "v1's customer came back on day 7"
    );
    // The repeat drills to the chat.
    let drilled: Value = serde_json::from_str(&cli.ok(&[
        "contacts",
        "--tenant",
        "pt",
        "--metric",
        "repeat_contacts",
        "--from",
        "2021-03-01",
        "--to",
        "2021-04-01",
        "--format",
        "json",
    ]))
    .unwrap();
    assert_eq!(drilled["total"], 1);
    assert_eq!(drilled["rows"][0]["id"], "ch1");
    // The tenant's window: 8 days.
    cli.ok(&["tenant", "set", "pt", "--repeat-days", "8"]);
    let wider = ask("2021-03-01", "2021-04-01", "repeat_contacts", &[]);
    assert_eq!(wider["repeat_contacts"], 2);
}

/// Queue q1: twenty calls talking 100 s, one 1,000 s (over 3 x the queue's p95 of 100 s),
/// one 5 s (under 10 s). Queue q2: one call of 400 s (its own p95). An abandon has no talk.
#[test]
fn anomalous_calls_by_hand() {
    let mut calls: Vec<Value> = (0..20)
        .map(|k| {
            contact(
                &format!("n{k}"),
                &format!("2021-03-10T{:02}:00", 8 + k / 2),
                100.0,
                json!({}),
            )
        })
        .collect();
    calls.push(contact("long", "2021-03-11T09:00", 1000.0, json!({})));
    calls.push(contact("short", "2021-03-11T10:00", 5.0, json!({})));
    calls.push(contact(
        "q2",
        "2021-03-11T11:00",
        400.0,
        json!({"queue": "q2"}),
    ));
    calls.push(abandon("ab", "2021-03-11T12:00", 30.0, json!({})));
    calls.push(abandon("ab2", "2021-03-11T12:30", 100.0, json!({})));
    let cli = load(&calls);
    let range = ["--from", "2021-03-01", "--to", "2021-04-01"];
    let ask = |metrics: &str, extra: &[&str]| {
        let mut a = vec!["--metrics", metrics];
        a.extend_from_slice(&range);
        a.extend_from_slice(extra);
        kpi(&cli, &a)
    };
    let all = &ask(
        "ultra_short_calls,ultra_long_calls,ultra_long_calls[factor=15]",
        &[],
    )[0];
    assert_eq!(all["ultra_short_calls"], 1);
    assert_eq!(all["ultra_long_calls"], 1);
    assert_eq!(all["ultra_long_calls[factor=15]"], 0);
    let by: Vec<(Value, Value)> = ask("contacts", &["--by", "anomaly"])
        .iter()
        .map(|r| (r["anomaly"].clone(), r["contacts"].clone()))
        .collect();
    assert_eq!(
        by,
        vec![
            (json!("none"), json!(23)),
            (json!("ultra_long"), json!(1)),
            (json!("ultra_short"), json!(1)),
        ]
    );
    let drilled: Value = serde_json::from_str(&cli.ok(&[
        "contacts",
        "--tenant",
        "pt",
        "--metric",
        "contacts",
        "--from",
        "2021-03-01",
        "--to",
        "2021-04-01",
        "--filter",
        "anomaly=ultra_long",
        "--format",
        "json",
    ]))
    .unwrap();
    assert_eq!(drilled["total"], 1);
    assert_eq!(drilled["rows"][0]["id"], "long");
    // The reference is the 30 days where the range ends: a range ending in May has no
    // calls in its 30 days, so nothing is ultra-long there.
    let later = kpi(
        &cli,
        &[
            "--metrics",
            "ultra_long_calls",
            "--from",
            "2021-03-01",
            "--to",
            "2021-05-01",
        ],
    );
    assert_eq!(later[0]["ultra_long_calls"], 0);

    // The tenant's thresholds and wait bands.
    cli.ok(&[
        "tenant",
        "set",
        "pt",
        "--ultra-short-talk",
        "4",
        "--ultra-long-factor",
        "20",
        "--wait-bands",
        "15,45",
    ]);
    let all = &ask("ultra_short_calls,ultra_long_calls", &[])[0];
    assert_eq!(all["ultra_short_calls"], 0);
    assert_eq!(all["ultra_long_calls"], 0);
    let bands: Vec<(Value, Value)> = ask("contacts", &["--by", "wait_band"])
        .iter()
        .map(|r| (r["wait_band"].clone(), r["contacts"].clone()))
        .collect();
    assert_eq!(
        bands,
        vec![
            (json!("0-15"), json!(23)),
            (json!("15-45"), json!(1)),
            (json!("45+"), json!(1)),
        ]
    );
    let out = cli.run(&["tenant", "set", "pt", "--wait-bands", "30,10"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("ascend"));
}

/// February: billing 3, plans 1, roaming 1. March: billing 2, plans 4, cards 1 (new); an
/// outbound call is no inquiry. Complaints: February billing 1; March billing 3, network 1.
#[test]
fn hot_topics_against_the_previous_period() {
    let mut calls = Vec::new();
    let mut add = |month: &str, category: &str, n: usize| {
        for k in 0..n {
            calls.push(contact(
                &format!("{month}-{category}-{k}"),
                &format!("2021-{month}-{:02}T10:00", 2 + k),
                60.0,
                json!({ "category": category }),
            ));
        }
    };
    add("02", "billing", 3);
    add("02", "plans", 1);
    add("02", "roaming", 1);
    add("03", "billing", 2);
    add("03", "plans", 4);
    add("03", "cards", 1);
    calls.push(contact(
        "out",
        "2021-03-09T10:00",
        60.0,
        json!({"category": "cards", "direction": "outbound"}),
    ));
    let cli = load(&calls);
    let tickets: Vec<String> = [
        ("t1", "2021-02-03", "billing"),
        ("t2", "2021-03-03", "billing"),
        ("t3", "2021-03-04", "billing"),
        ("t4", "2021-03-05", "billing"),
        ("t5", "2021-03-06", "network"),
    ]
    .iter()
    .map(|(id, day, cat)| {
        json!({"id": id, "kind": "complaint", "category": cat,
               "created_at": format!("{day}T09:00:00+08:00")})
        .to_string()
    })
    .collect();
    let f = cli.write("tickets.jsonl", &(tickets.join("\n") + "\n"));
    cli.ok(&[
        "import",
        "--format",
        "tickets",
        "--tenant",
        "pt",
        "--strict",
        f.to_str().unwrap(),
    ]);
    let v: Value = serde_json::from_str(&cli.ok(&[
        "topics", "--tenant", "pt", "--period", "2021-03", "--format", "json",
    ]))
    .unwrap();
    assert_eq!(v["previous"], "2021-02");
    let rows: Vec<(String, f64, f64)> = v["contacts"]["topics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["category"].as_str().unwrap().to_owned(),
                t["volume"].as_f64().unwrap(),
                t["previous"].as_f64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            ("plans".to_owned(), 4.0, 1.0),
            ("billing".to_owned(), 2.0, 3.0),
            ("cards".to_owned(), 1.0, 0.0),
            ("roaming".to_owned(), 0.0, 1.0),
        ]
    );
    let plans = &v["contacts"]["topics"][0];
    assert_eq!(plans["change"], 3.0, "4 against 1: +300 %");
    assert_eq!(plans["share"], 4.0 / 7.0);
    assert!(v["contacts"]["topics"][2]["change"].is_null(), "new");
    let risers: Vec<&str> = v["contacts"]["risers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["category"].as_str().unwrap())
        .collect();
    assert_eq!(risers, ["plans", "cards"]);
    let complaints = &v["complaints"]["topics"];
    assert_eq!(complaints[0]["category"], "billing");
    assert_eq!(complaints[0]["volume"], 3.0);
    assert_eq!(complaints[0]["previous"], 1.0);
    assert_eq!(complaints[1]["category"], "network");
    assert_eq!(v["complaints"]["risers"][0]["category"], "billing");
    // The table says it in words.
    let table = cli.ok(&[
        "topics", "--tenant", "pt", "--period", "2021-03", "--lang", "en",
    ]);
    assert!(
        table.contains("Biggest risers: plans +3 (+300.0%), cards +1 (new)"),
        "{table}"
    );
    let csv = cli.ok(&[
        "topics", "--tenant", "pt", "--period", "2021-03", "--format", "csv",
    ]);
    assert!(csv.starts_with("kind,rank,category,volume,previous,delta,change,share\n"));
    assert!(
        csv.contains("\ncomplaints,1,billing,3,1,2,2,0.75\n"),
        "{csv}"
    );
}

/// Spearman by hand. Waits 5, 15, 15, 40, 100 s rank 1, 2.5, 2.5, 4, 5; ratings 5, 4, 5, 3, 1
/// rank 4.5, 3, 4.5, 2, 1 (ties share the average of their ranks). Deviations from the mean
/// rank 3: wait -2, -0.5, -0.5, 1, 2 and rating 1.5, 0, 1.5, -1, -2; their products sum to
/// -8.75 and each side's squares to 9.5, so rho = -8.75 / 9.5. A call without a survey and an
/// abandon (no answer to rate) are not pairs.
#[test]
fn wait_satisfaction_correlation_by_hand() {
    let pairs = [
        (5.0, 5.0),
        (15.0, 4.0),
        (15.0, 5.0),
        (40.0, 3.0),
        (100.0, 1.0),
    ];
    let mut calls: Vec<Value> = pairs
        .iter()
        .enumerate()
        .map(|(k, (wait, rating))| {
            let at: jiff::Timestamp = format!("2021-03-01T{:02}:00:00+08:00", 9 + k)
                .parse()
                .unwrap();
            let ans = at + jiff::SignedDuration::from_secs_f64(*wait);
            let end = ans + jiff::SignedDuration::from_secs(60);
            contact(
                &format!("s{k}"),
                &format!("2021-03-01T{:02}:00", 9 + k),
                60.0,
                json!({"answered_at": ans.to_string(), "ended_at": end.to_string(),
                       "queue": if k < 3 { "q1" } else { "q2" },
                       "survey": {"offered": true, "rating": rating}}),
            )
        })
        .collect();
    calls.push(contact("nosurvey", "2021-03-02T09:00", 60.0, json!({})));
    calls.push(abandon("ab", "2021-03-02T10:00", 30.0, json!({})));
    let cli = load(&calls);
    let m = "wait_satisfaction_correlation,wait_satisfaction_pairs";
    let all = &kpi(&cli, &["--metrics", m])[0];
    assert_eq!(all["wait_satisfaction_pairs"], 5);
    let rho = all["wait_satisfaction_correlation"].as_f64().unwrap();
    assert!((rho - (-8.75 / 9.5)).abs() < 1e-12, "{rho}");
    // Ranked within each group: q1 has waits 5, 15, 15 (ranks 1, 2.5, 2.5) and ratings 5, 4,
    // 5 (2.5, 1, 2.5): deviations -1, 0.5, 0.5 and 0.5, -1, 0.5 give -0.5 + -0.5 + 0.25 =
    // -0.75 over sqrt(1.5 x 1.5): -0.5. q2: 40 s rated 3 and 100 s rated 1: -1.
    let by = kpi(&cli, &["--metrics", m, "--by", "queue"]);
    let q1 = by[0]["wait_satisfaction_correlation"].as_f64().unwrap();
    assert!((q1 - (-0.5)).abs() < 1e-12, "{q1}");
    assert_eq!(by[1]["wait_satisfaction_correlation"], -1.0);
    assert_eq!(by[1]["wait_satisfaction_pairs"], 2);
    // Beside satisfaction by wait band, as the explore page draws it.
    let bands = kpi(
        &cli,
        &[
            "--metrics",
            "avg_rating,wait_satisfaction_pairs",
            "--by",
            "wait_band",
        ],
    );
    let labels: Vec<&str> = bands
        .iter()
        .map(|r| r["wait_band"].as_str().unwrap_or("-"))
        .collect();
    assert_eq!(labels, ["0-10", "10-20", "30-60", "60-120"]);
    assert_eq!(bands[1]["avg_rating"], 4.5);
}

/// A self-service IVR call; `entry` names the entry point (a voice bot says so).
fn self_served(id: &str, at: &str, entry: &str) -> Value {
    let start: jiff::Timestamp = format!("{at}:00+08:00").parse().unwrap();
    let end = start + jiff::SignedDuration::from_secs(40);
    json!({
        "id": id, "direction": "inbound", "outcome": "self_service", "channel": "voice",
        "entry_point": entry, "arrived_at": start.to_string(), "ivr_start": start.to_string(),
        "ivr_end": end.to_string(), "ended_at": end.to_string(),
    })
}

/// Channels by hand. IVR: i1 served itself, i2 and i3 went on to an agent (i3 abandoned
/// there): 3 requests, 1 resolved. Voice bot: b1 served itself. Agent: i2 (resolved), i3
/// (abandoned), a1 (transferred), a2 (marked unresolved): 4 requests, 1 resolved. Chat: one
/// answered, one abandoned. An outbound call is no request. Surveys: a1 satisfied, i2
/// dissatisfied: the agent channel's satisfaction 1/2.
#[test]
fn channel_efficiency_by_hand() {
    let via_ivr = |at: &str, extra: Value| {
        // 30 s in the IVR before the queue.
        let queued: jiff::Timestamp = format!("{at}:00+08:00").parse().unwrap();
        let start = queued - jiff::SignedDuration::from_secs(30);
        let mut c = extra;
        c["ivr_start"] = json!(start.to_string());
        c["ivr_end"] = json!(queued.to_string());
        c["arrived_at"] = json!(start.to_string());
        c
    };
    let i2 = contact(
        "i2",
        "2021-03-01T10:00",
        60.0,
        json!({"survey": {"offered": true, "score": "dissatisfied"}}),
    );
    let cli = load(&[
        self_served("i1", "2021-03-01T09:00", "4008001234"),
        via_ivr("2021-03-01T10:00", i2),
        via_ivr(
            "2021-03-01T11:00",
            abandon("i3", "2021-03-01T11:00", 90.0, json!({})),
        ),
        self_served("b1", "2021-03-01T12:00", "voicebot-1"),
        contact(
            "a1",
            "2021-03-02T09:00",
            60.0,
            json!({"transfers": 1, "survey": {"offered": true, "score": "satisfied"}}),
        ),
        contact(
            "a2",
            "2021-03-02T10:00",
            60.0,
            json!({"resolved_first": false}),
        ),
        contact("ch1", "2021-03-02T11:00", 60.0, json!({"channel": "chat"})),
        abandon("ch2", "2021-03-02T12:00", 20.0, json!({"channel": "chat"})),
        contact(
            "o1",
            "2021-03-02T13:00",
            60.0,
            json!({"direction": "outbound"}),
        ),
    ]);
    let rows = kpi(
        &cli,
        &[
            "--metrics",
            "channel_requests,resolution_rate,satisfaction",
            "--by",
            "service_channel",
            "--from",
            "2021-03-01",
            "--to",
            "2021-04-01",
        ],
    );
    let got: Vec<(String, Value, Value, Value)> = rows
        .iter()
        .map(|r| {
            (
                r["service_channel"].as_str().unwrap().to_owned(),
                r["channel_requests"].clone(),
                r["resolution_rate"].clone(),
                r["satisfaction"].clone(),
            )
        })
        .collect();
    let row = |c: &str, n: u64, rate: f64, sat: Value| (c.to_owned(), json!(n), json!(rate), sat);
    assert_eq!(
        got,
        [
            row("agent", 4, 0.25, json!(0.5)),
            row("chat", 2, 0.5, Value::Null),
            row("ivr", 3, 1.0 / 3.0, Value::Null),
            row("voice_bot", 1, 1.0, Value::Null),
        ]
    );
    // The resolved requests drill to their contacts.
    let drilled: Value = serde_json::from_str(&cli.ok(&[
        "contacts",
        "--tenant",
        "pt",
        "--metric",
        "contacts",
        "--filter",
        "service_channel=voice_bot",
        "--format",
        "json",
    ]))
    .unwrap();
    assert_eq!(drilled["rows"][0]["id"], "b1");

    // The view, with the center's costs per request: IVR 0.5 x 3, bot 1 x 1, agent 10 x 4,
    // chat 4 x 2: 50.5 in all.
    let view = |cli: &Cli| -> Value {
        serde_json::from_str(&cli.ok(&[
            "channels", "--tenant", "pt", "--period", "2021-03", "--format", "json",
        ]))
        .unwrap()
    };
    let v = view(&cli);
    assert_eq!(v["costs_known"], false);
    assert!(v["channels"][0]["cost_share"].is_null());
    std::fs::write(
        cli.data().join("standards.toml"),
        "[pt.channel_cost]\nivr = 0.5\nvoice_bot = 1\nagent = 10\nchat = 4\n",
    )
    .unwrap();
    let v = view(&cli);
    let agent = &v["channels"][0];
    assert_eq!(agent["channel"], "agent");
    assert_eq!(agent["cost"], 40.0);
    assert_eq!(agent["cost_share"], 40.0 / 50.5);
    assert_eq!(agent["request_share"], 0.4);
    // The operations report carries it.
    let report: Value = serde_json::from_str(&cli.ok(&[
        "report",
        "operations",
        "--tenant",
        "pt",
        "--period",
        "2021-03",
        "--format",
        "json",
    ]))
    .unwrap();
    assert_eq!(report["channels"], v["channels"]);
}
