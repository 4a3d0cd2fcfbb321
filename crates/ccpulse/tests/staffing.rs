//! `ccpulse erlang` end to end: the models' figures by hand, a table of cases from a CSV with
//! the figures appended, the fewest agents for a service level, and located errors.
#![allow(clippy::unwrap_used)]

mod common;

use common::Cli;
use serde_json::Value;

fn json(cli: &Cli, args: &[&str]) -> Value {
    let mut all = vec!["erlang"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--format", "json"]);
    serde_json::from_str(&cli.ok(&all)).unwrap()
}

fn close(v: &Value, want: f64, tol: f64) {
    let got = v.as_f64().unwrap_or(f64::NAN);
    assert!((got - want).abs() <= tol, "{got} != {want}");
}

/// 200 calls an hour of 180 s on 14 agents, 20 s: A = 10 erlangs; by hand (the Erlang B
/// recursion, then C = nB/(n − A(1 − B))): P(wait) 0.1741, SL 0.8884, ASA 7.84 s, occupancy
/// 0.714. 13 agents miss 80 %, so 14 is the fewest.
#[test]
fn erlang_c_of_one_case_and_the_fewest_agents() {
    let cli = Cli::new();
    let c = json(
        &cli,
        &[
            "--calls-per-hour",
            "200",
            "--aht",
            "180",
            "--agents",
            "14",
            "--target",
            "20",
        ],
    );
    close(&c["traffic_erlangs"], 10.0, 1e-9);
    close(&c["prob_wait"], 0.1741, 5e-5);
    close(&c["service_level"], 0.8884, 5e-5);
    close(&c["asa_s"], 7.84, 5e-3);
    close(&c["occupancy"], 0.714, 5e-4);
    let r = json(
        &cli,
        &[
            "--calls-per-hour",
            "200",
            "--aht",
            "180",
            "--target-sl",
            "0.8",
        ],
    );
    assert_eq!(r["required_agents"], 14, "{r}");
    let thirteen = json(
        &cli,
        &["--calls-per-hour", "200", "--aht", "180", "--agents", "13"],
    );
    assert!(
        thirteen["service_level"].as_f64().unwrap() < 0.8,
        "{thirteen}"
    );
    // Erlang A with patience long past every wait is Erlang C.
    let a = json(
        &cli,
        &[
            "--model",
            "a",
            "--patience",
            "10000000",
            "--calls-per-hour",
            "200",
            "--aht",
            "180",
            "--agents",
            "14",
        ],
    );
    close(&a["prob_wait"], 0.1741, 5e-4);
    close(&a["service_level"], 0.8884, 5e-4);
    close(&a["prob_abandon"], 0.0, 1e-4);
    // The unstable edge: as many agents as erlangs.
    let u = json(
        &cli,
        &["--calls-per-hour", "200", "--aht", "180", "--agents", "10"],
    );
    assert_eq!(
        (u["prob_wait"].as_f64(), u["service_level"].as_f64()),
        (Some(1.0), Some(0.0))
    );
    assert_eq!(u["asa_s"], Value::Null, "an infinite wait is null in JSON");
}

#[test]
fn a_csv_of_cases_comes_back_with_its_figures() {
    let cli = Cli::new();
    let f = cli.write(
        "cases.csv",
        "calls_per_hour,aht_s,agents,target_s,mean_patience_s,site\n200,180,14,20,60,north\n200,180,10,20,120,south\n",
    );
    let path = f.to_str().unwrap();
    let out = cli.ok(&["erlang", "--input", path, "--format", "csv"]);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines[0],
        "calls_per_hour,aht_s,agents,target_s,mean_patience_s,site,traffic_erlangs,prob_wait,service_level,asa_s,occupancy"
    );
    assert!(
        lines[1].starts_with("200,180,14,20,60,north,10.0,0.1741"),
        "{out}"
    );
    assert!(
        lines[2].ends_with(",10.0,1.0,0.0,inf,1.0"),
        "unstable: {out}"
    );
    let out = cli.ok(&["erlang", "--model", "a", "--input", path, "--format", "csv"]);
    assert!(
        out.starts_with(
            "calls_per_hour,aht_s,agents,target_s,mean_patience_s,site,prob_wait,prob_abandon,service_level,asa_s,mean_wait_all_s\n"
        ),
        "{out}"
    );
    let rows: Value = serde_json::from_str(&cli.ok(&[
        "erlang", "--model", "a", "--input", path, "--format", "json",
    ]))
    .unwrap();
    let south = &rows["rows"][1];
    assert_eq!(south["site"], "south");
    // With as many agents as erlangs Erlang A is defined: some wait, some abandon.
    let ab = south["prob_abandon"].as_f64().unwrap();
    assert!(ab > 0.0 && ab < 0.5, "{south}");
    close(&south["mean_wait_all_s"], ab * 120.0, 1e-9);

    // A bad value is named by its line and field; a missing column by its name.
    let bad = cli.write(
        "bad.csv",
        "calls_per_hour,aht_s,agents,target_s\n200,180,14,20\n200,abc,14,20\n",
    );
    let out = cli.run(&["erlang", "--input", bad.to_str().unwrap()]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("bad.csv: line 3: field `aht_s`: `abc` is not a number"),
        "{err}"
    );
    let out = cli.run(&["erlang", "--model", "a", "--input", bad.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no `mean_patience_s` column"), "{err}");
}
