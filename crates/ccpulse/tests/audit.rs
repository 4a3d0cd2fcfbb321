//! The audit log from the command line: every command that touches data is recorded before it
//! runs (secrets left out), unmasking needs a reason, and `audit verify` catches an edited
//! line, a deleted line and a cut tail.
#![allow(clippy::unwrap_used)]

mod common;

use common::Cli;
use serde_json::{json, Value};

fn setup() -> Cli {
    let cli = Cli::new();
    let c = json!({
        "id": "c1", "direction": "inbound", "outcome": "answered", "channel": "voice",
        "queue": "q1", "agent": "a1", "customer": "13812345678",
        "arrived_at": "2021-03-01T09:00:00+08:00", "queued_at": "2021-03-01T09:00:00+08:00",
        "answered_at": "2021-03-01T09:00:10+08:00", "ended_at": "2021-03-01T09:03:10+08:00",
    });
    let f = cli.write("c.jsonl", &format!("{c}\n"));
    cli.ok(&[
        "import",
        "--format",
        "contacts",
        "--tenant",
        "bank",
        f.to_str().unwrap(),
    ]);
    cli
}

fn records(cli: &Cli, extra: &[&str]) -> Vec<Value> {
    let mut args = vec!["audit", "list", "--json"];
    args.extend_from_slice(extra);
    let v: Value = serde_json::from_str(&cli.ok(&args)).unwrap();
    v["records"].as_array().unwrap().clone()
}

#[test]
fn commands_are_recorded_and_unmasking_needs_a_reason() {
    let cli = setup();
    cli.ok(&["kpi", "--tenant", "bank", "--metrics", "answered"]);
    let masked = cli.ok(&[
        "contacts", "--tenant", "bank", "--metric", "answered", "--format", "csv",
    ]);
    assert!(masked.contains("138****5678") && !masked.contains("13812345678"));
    // --unmask without a reason is a usage error: refused before anything is read.
    let out = cli.run(&[
        "contacts", "--tenant", "bank", "--metric", "answered", "--unmask",
    ]);
    assert!(!out.status.success());
    let whole = cli.ok(&[
        "contacts",
        "--tenant",
        "bank",
        "--metric",
        "answered",
        "--format",
        "csv",
        "--unmask",
        "--reason",
        "customer asked for a callback",
    ]);
    assert!(whole.contains("13812345678"));
    cli.run_stdin(
        &["user", "add", "ann", "--role", "viewer", "--password-stdin"],
        b"hunter2-secret\n",
    );
    let all = records(&cli, &[]);
    let actions: Vec<&str> = all.iter().map(|r| r["action"].as_str().unwrap()).collect();
    assert_eq!(
        actions,
        [
            "cli import",
            "cli kpi",
            "cli contacts",
            "cli contacts",
            "cli user add",
            "cli audit list",
        ],
        "{all:?}"
    );
    assert!(all
        .iter()
        .all(|r| r["actor"].as_str().unwrap().starts_with("cli:")));
    assert_eq!(all[1]["tenant"], "bank");
    let unmasked = &all[3]["detail"]["args"];
    assert!(
        unmasked
            .to_string()
            .contains("customer asked for a callback"),
        "{unmasked}"
    );
    assert!(!std::fs::read_to_string(cli.data().join("audit.jsonl"))
        .unwrap()
        .contains("hunter2"));
    // Filters.
    assert_eq!(records(&cli, &["--action", "contacts"]).len(), 2);
    assert_eq!(records(&cli, &["--limit", "2"]).len(), 2);
    assert_eq!(records(&cli, &["--actor", "nobody"]).len(), 0);
}

/// Runs `audit verify` (itself recorded first) and returns its exit code and output.
fn verify(cli: &Cli) -> (i32, String) {
    let out = cli.run(&["audit", "verify"]);
    (
        out.status.code().unwrap(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

fn lines(cli: &Cli) -> Vec<String> {
    std::fs::read_to_string(cli.data().join("audit.jsonl"))
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

fn rewrite(cli: &Cli, lines: &[String]) {
    std::fs::write(cli.data().join("audit.jsonl"), lines.join("\n") + "\n").unwrap();
}

#[test]
fn verify_catches_an_edit_a_deletion_and_a_cut_tail() {
    let cli = setup();
    for _ in 0..3 {
        cli.ok(&["kpi", "--tenant", "bank", "--metrics", "answered"]);
    }
    let (code, out) = verify(&cli);
    assert_eq!(code, 0, "{out}");
    // import, 3 kpi, and this verify.
    assert!(out.contains("intact: 5 records"), "{out}");

    let clean = lines(&cli);
    let mut edited = clean.clone();
    edited[1] = edited[1].replace("answered", "abandoned");
    rewrite(&cli, &edited);
    let (code, out) = verify(&cli);
    assert_eq!(code, 1);
    assert!(
        out.contains("line 2") && out.contains("record 2 was changed"),
        "{out}"
    );

    let mut deleted = clean.clone();
    deleted.remove(2);
    rewrite(&cli, &deleted);
    let (code, out) = verify(&cli);
    assert_eq!(code, 1);
    assert!(
        out.contains("line 3") && out.contains("record 3 expected, found 4"),
        "{out}"
    );

    let mut cut = clean.clone();
    cut.truncate(3);
    rewrite(&cli, &cut);
    let (code, out) = verify(&cli);
    assert_eq!(code, 1);
    // The verify itself was recorded after the cut: numbered on from the head, the gap shows.
    assert!(out.contains("record 4 expected"), "{out}");
}

#[test]
fn tokens_are_listed_by_id_and_revoked() {
    let cli = setup();
    cli.run_stdin(
        &["user", "add", "pbx", "--role", "ingest", "--password-stdin"],
        b"long-password\n",
    );
    let token = cli.ok(&["token", "create", "--user", "pbx", "--label", "switch"]);
    let token = token.trim();
    let list: Value = serde_json::from_str(&cli.ok(&["token", "list", "--json"])).unwrap();
    let t = &list["tokens"][0];
    assert_eq!(
        (t["user"].as_str(), t["label"].as_str()),
        (Some("pbx"), Some("switch"))
    );
    let id = t["id"].as_str().unwrap().to_owned();
    assert_eq!(id.len(), 12);
    assert!(
        !list.to_string().contains(token),
        "the token itself is never shown again"
    );
    // A token that only reads and expires.
    cli.ok(&[
        "token",
        "create",
        "--user",
        "pbx",
        "--read-only",
        "--expires-days",
        "30",
    ]);
    let list: Value = serde_json::from_str(&cli.ok(&["token", "list", "--json"])).unwrap();
    let limited = &list["tokens"][1];
    assert_eq!(limited["read_only"], true);
    assert!(
        limited["expires_at"]
            .as_str()
            .is_some_and(|e| e.ends_with('Z')),
        "{limited}"
    );
    cli.ok(&["token", "revoke", limited["id"].as_str().unwrap()]);
    cli.ok(&["token", "revoke", &id]);
    let list: Value = serde_json::from_str(&cli.ok(&["token", "list", "--json"])).unwrap();
    assert_eq!(list["tokens"].as_array().unwrap().len(), 0);
    assert!(!cli.run(&["token", "revoke", &id]).status.success());
    // A supervisor of one queue and province: the scope is kept with the user.
    cli.run_stdin(
        &[
            "user",
            "add",
            "sup",
            "--role",
            "supervisor",
            "--queues",
            "vip,gold",
            "--regions",
            "广东",
            "--password-stdin",
        ],
        b"long-password\n",
    );
    let users = cli.ok(&["user", "list"]);
    assert!(
        users.contains("sup\tsupervisor\tall tenants\tqueues vip,gold; regions 广东"),
        "{users}"
    );
    // `user set` changes what is given and keeps the rest; an empty list lifts a limit.
    cli.ok(&["user", "set", "sup", "--role", "manager", "--queues", ""]);
    let users = cli.ok(&["user", "list"]);
    assert!(
        users.contains("sup\tmanager\tall tenants\tregions 广东"),
        "{users}"
    );
    // An agent needs the agent they are; a role must be one of the eight.
    let out = cli.run(&["user", "set", "sup", "--role", "agent"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--agent"));
    let out = cli.run(&["user", "set", "sup", "--role", "god"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("operator"));
    cli.ok(&["user", "set", "sup", "--role", "agent", "--agent", "1001"]);
    cli.ok(&["user", "disable", "sup"]);
    let v: Value = serde_json::from_str(&cli.ok(&["user", "list", "--json"])).unwrap();
    let sup = v["users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["name"] == "sup")
        .unwrap()
        .clone();
    assert_eq!(sup["disabled"], true, "{sup}");
    assert_eq!(sup["agent"], "1001");
    assert_eq!(sup["role"], "agent");
    assert!(!v.to_string().contains("argon2"), "never the password hash");
    cli.ok(&["user", "enable", "sup"]);
    assert!(!cli.ok(&["user", "list"]).contains("disabled"));
    // The tenant's masking rule applies to every output of the command line too.
    cli.ok(&["tenant", "set", "bank", "--mask", "0,4"]);
    let masked = cli.ok(&[
        "contacts", "--tenant", "bank", "--metric", "answered", "--format", "csv",
    ]);
    assert!(masked.contains("*******5678"), "{masked}");
    assert!(!cli
        .run(&["tenant", "set", "bank", "--mask", "9,9"])
        .status
        .success());
    // A new password; then the user goes, with every token they had.
    cli.run_stdin(
        &["user", "password", "pbx", "--password-stdin"],
        b"another-password\n",
    );
    cli.ok(&["token", "create", "--user", "pbx"]);
    cli.ok(&["user", "remove", "pbx"]);
    assert!(!cli.ok(&["user", "list"]).contains("pbx"));
    let list: Value = serde_json::from_str(&cli.ok(&["token", "list", "--json"])).unwrap();
    assert_eq!(list["tokens"].as_array().unwrap().len(), 0);
    assert!(!cli.run(&["user", "remove", "pbx"]).status.success());
    // The token never reached the audit log either.
    assert!(!std::fs::read_to_string(cli.data().join("audit.jsonl"))
        .unwrap()
        .contains(token));
}
