//! `ccpulse tail`: append (a line still being written waits), rotation by rename, truncation,
//! and `kill -9` during a stream of writes, then restart: every call exactly once.
#![allow(clippy::unwrap_used)]

mod common;

use std::io::Write as _;
use std::path::Path;
use std::process::Stdio;

use common::{num, Cli};
use serde_json::Value;

const T0: u64 = 1_709_283_600;

/// The three lines of answered call `i` (waits 5 s, talks 60 s).
fn call(i: u64) -> String {
    let t = T0 + i * 10;
    format!(
        "{t}.000000|call{i}|sales|NONE|ENTERQUEUE||x|1\n\
         {}.000000|call{i}|sales|Agent/1|CONNECT|5|b|1\n\
         {}.000000|call{i}|sales|Agent/1|COMPLETECALLER|5|60|1\n",
        t + 5,
        t + 65
    )
}

fn append(path: &Path, text: &str) {
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap();
    f.write_all(text.as_bytes()).unwrap();
}

fn tail_once(cli: &Cli, path: &Path) -> Value {
    let out = cli.ok(&[
        "tail",
        "--format",
        "queue_log",
        "--tenant",
        "pbx",
        "--once",
        "--json",
        path.to_str().unwrap(),
    ]);
    serde_json::from_str(out.lines().last().unwrap()).unwrap()
}

fn answered(cli: &Cli) -> f64 {
    let rows = cli.kpi(&[
        "--tenant",
        "pbx",
        "--metrics",
        "contacts,answered",
        "--from",
        "2024-01-01",
        "--to",
        "2025-01-01",
    ]);
    let contacts = num(&rows[0], "contacts");
    assert_eq!(
        contacts,
        num(&rows[0], "answered"),
        "every call here is answered"
    );
    contacts
}

#[test]
fn append_rotate_and_truncate() {
    let cli = Cli::new();
    cli.ok(&["tenant", "set", "pbx", "--timezone", "UTC"]);
    let log = cli.dir.path().join("queue_log");

    // Two calls, and the first half of a third one's last line.
    let third = call(2);
    let (head, rest) = third.split_at(third.len() - 20);
    append(&log, &(call(0) + &call(1) + head));
    let s = tail_once(&cli, &log);
    assert_eq!(
        s["rejected"], 0,
        "a line still being written is not read: {s}"
    );
    assert_eq!(answered(&cli), 2.0);
    assert_eq!(s["open_calls"], 1);
    append(&log, rest);
    tail_once(&cli, &log);
    assert_eq!(answered(&cli), 3.0);
    // Nothing new: nothing read.
    assert_eq!(tail_once(&cli, &log)["read"], 0);

    // Rotation by rename: lines written to the old file before the rename are read from
    // where it now lives, then the new file from its start.
    append(&log, &call(3));
    std::fs::rename(&log, cli.dir.path().join("queue_log.1")).unwrap();
    append(&log, &call(4));
    tail_once(&cli, &log);
    assert_eq!(answered(&cli), 5.0);

    // Truncation: read again from the start.
    std::fs::write(&log, call(5)).unwrap();
    tail_once(&cli, &log);
    assert_eq!(answered(&cli), 6.0);
}

/// A `ccpulse tail` of `log` for tenant pbx, polling every `poll_ms`, running until killed.
fn follow(cli: &Cli, log: &Path, poll_ms: &str) -> std::process::Child {
    cli.command(&[
        "tail",
        "--format",
        "queue_log",
        "--tenant",
        "pbx",
        "--poll-ms",
        poll_ms,
        log.to_str().unwrap(),
    ])
    .stdout(Stdio::null())
    .stderr(Stdio::null())
    .spawn()
    .unwrap()
}

/// `answered` once it reaches `want`, asking every 50 ms for up to 10 s.
fn answered_reaches(cli: &Cli, want: f64) -> f64 {
    let started = std::time::Instant::now();
    loop {
        let n = answered(cli);
        if n >= want || started.elapsed() > std::time::Duration::from_secs(10) {
            return n;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// A running tail holds the store only while it imports: `ccpulse kpi` from another process
/// opens it meanwhile and sees each new call.
#[test]
fn kpi_sees_what_a_running_tail_imports() {
    let cli = Cli::new();
    cli.ok(&["tenant", "set", "pbx", "--timezone", "UTC"]);
    let log = cli.dir.path().join("queue_log");
    append(&log, &call(0));
    let mut child = follow(&cli, &log, "50");
    assert_eq!(answered_reaches(&cli, 1.0), 1.0);
    append(&log, &call(1));
    assert_eq!(answered_reaches(&cli, 2.0), 2.0);
    append(&log, &(call(2) + &call(3)));
    assert_eq!(answered_reaches(&cli, 4.0), 4.0);
    child.kill().unwrap();
    child.wait().unwrap();
}

#[test]
fn kill_9_while_following_then_restart_loses_and_repeats_nothing() {
    let cli = Cli::new();
    cli.ok(&["tenant", "set", "pbx", "--timezone", "UTC"]);
    let log = cli.dir.path().join("queue_log");
    append(&log, "");
    const CALLS: u64 = 3000;
    let mut child = follow(&cli, &log, "5");
    let write = |range: std::ops::Range<u64>| {
        for i in range {
            append(&log, &call(i));
            if i % 100 == 0 {
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
        }
    };
    write(0..CALLS / 2);
    std::thread::sleep(std::time::Duration::from_millis(300));
    child.kill().unwrap(); // SIGKILL, whatever it was doing
    child.wait().unwrap();
    write(CALLS / 2..CALLS);
    let s = tail_once(&cli, &log);
    assert!(
        s["read"].as_u64().unwrap() > 0,
        "the restart had lines to read: {s}"
    );
    assert_eq!(answered(&cli), CALLS as f64);
    let by_id = cli.kpi(&[
        "--tenant",
        "pbx",
        "--metrics",
        "contacts",
        "--by",
        "call_id",
        "--from",
        "2024-01-01",
        "--to",
        "2025-01-01",
    ]);
    assert_eq!(by_id.len() as u64, CALLS);
    assert!(by_id.iter().all(|r| num(r, "contacts") == 1.0));
}
