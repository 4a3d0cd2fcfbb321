//! One conformance suite over the stores: the same contacts give the same figures on the
//! embedded DuckDB, on one ClickHouse server, and on a cluster of two ClickHouse servers
//! (every table distributed over two shards by tenant and contact id).
//!
//! The servers are Debian's `clickhouse-server` (installed by `scripts/setup`), started here on
//! free loopback ports with their data in a temporary directory. Where it is not installed the
//! tests say so and pass without running (nowhere else).
//!
//! Data, each imported by `ccpulse import` into every store: the hand fixture with agents, agent
//! states, tickets, the subscriber base and customers calling again; the seed 000 year; the
//! Wazo queue scenario (a queue_log); the Anonymous Bank month and the PwC PhoneNow quarter
//! (through their mappings); `store copy` then finds nothing to copy. Questions: every catalog
//! metric (per table), by none, month, day (filled), queue, month x queue, hour of day,
//! weekday, time of day, wait band, service channel, anomaly, week x channel, team, day x
//! agent, and filtered (a question DuckDB refuses, every store refuses alike); the contacts
//! behind figures (drill-down pages in several orders), contact cards, and the operations,
//! quality and scorecard reports. And `serve` writing through to ClickHouse.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::Path;

use ccpulse_store::clickhouse::local::{
    server_binary, LocalServer, LOCAL_CLUSTER, LOCAL_PASSWORD, LOCAL_USER,
};
use common::{shared_data, Cli};
use serde_json::Value;

/// One server and a two-shard cluster, alive as long as this is.
struct ClickHouse {
    single: LocalServer,
    shards: Vec<LocalServer>,
    _dir: tempfile::TempDir,
}

fn clickhouse() -> Option<ClickHouse> {
    if server_binary().is_none() {
        eprintln!("SKIPPED: clickhouse-server is not installed (scripts/setup installs it)");
        return None;
    }
    let dir = tempfile::tempdir().unwrap();
    let single = LocalServer::start(&dir.path().join("single")).unwrap();
    let shards = LocalServer::cluster(&dir.path().join("cluster"), 2).unwrap();
    Some(ClickHouse {
        single,
        shards,
        _dir: dir,
    })
}

impl ClickHouse {
    /// The single server's and the cluster's store of `database`, both set up.
    fn stores(&self, cli: &Cli, database: &str) -> [String; 2] {
        let single = self.single.url(database);
        cli.ok(&["--store", &single, "store", "init"]);
        let cluster = self.shards[0].url(database);
        let nodes: Vec<String> = self
            .shards
            .iter()
            .map(|s| format!("http://127.0.0.1:{}", s.http_port))
            .collect();
        cli.ok(&[
            "--store",
            &cluster,
            "store",
            "init",
            "--cluster",
            LOCAL_CLUSTER,
            "--nodes",
            &nodes.join(","),
        ]);
        [single, cluster]
    }
}

/// The metrics ClickHouse compiles, comma-separated, one list per table they are over (a
/// question is over one table there).
fn clickhouse_metrics() -> Vec<String> {
    let catalog = ccpulse_metrics::Catalog::embedded().unwrap();
    let tenant = ccpulse_model::TenantId::new("t").unwrap();
    let mut by_table: std::collections::BTreeMap<&str, Vec<String>> = Default::default();
    for m in &catalog.order {
        // Over a range: the averages per day need one.
        let q = ccpulse_metrics::KpiQuery::parse(
            tenant.clone(),
            &ccpulse_metrics::KpiText {
                metrics: m,
                from: Some("2021-01-01"),
                to: Some("2021-02-01"),
                ..Default::default()
            },
        )
        .unwrap();
        if ccpulse_metrics::compile(
            &catalog,
            &q,
            &ccpulse_metrics::TenantSettings::default(),
            ccpulse_metrics::Dialect::ClickHouse,
        )
        .is_ok()
        {
            let table = catalog.get(m).unwrap().table.as_str();
            by_table.entry(table).or_default().push(m.clone());
        }
    }
    by_table.into_values().map(|v| v.join(",")).collect()
}

/// Whether two answers agree: the same shape and text, numbers to 1e-9 relative.
fn same(a: &Value, b: &Value, at: &str) -> Result<(), String> {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            let (x, y) = (x.as_f64().unwrap(), y.as_f64().unwrap());
            if (x - y).abs() <= 1e-9 * x.abs().max(y.abs()).max(1.0) {
                Ok(())
            } else {
                Err(format!("{at}: {x} vs {y}"))
            }
        }
        (Value::Array(x), Value::Array(y)) => {
            if x.len() != y.len() {
                return Err(format!("{at}: {} vs {} items", x.len(), y.len()));
            }
            for (i, (p, q)) in x.iter().zip(y).enumerate() {
                same(p, q, &format!("{at}[{i}]"))?;
            }
            Ok(())
        }
        (Value::Object(x), Value::Object(y)) => {
            let keys: std::collections::BTreeSet<&String> = x.keys().chain(y.keys()).collect();
            for k in keys {
                same(
                    x.get(k).unwrap_or(&Value::Null),
                    y.get(k).unwrap_or(&Value::Null),
                    &format!("{at}.{k}"),
                )?;
            }
            Ok(())
        }
        _ if a == b => Ok(()),
        _ => Err(format!("{at}: {a} vs {b}")),
    }
}

/// Asks every question (one also filtered by `filter`) of tenant `tenant` over `range` of DuckDB (`cli`'s data directory)
/// and of each ClickHouse store, and asserts the answers agree; the rows compared.
fn conform(cli: &Cli, stores: &[String], tenant: &str, range: (&str, &str), filter: &str) -> usize {
    let metrics = clickhouse_metrics();
    let cuts: [&[&str]; 15] = [
        &[],
        &["--by", "month"],
        &["--by", "day", "--fill"],
        &["--by", "queue"],
        &["--by", "month,queue"],
        &["--by", "hour_of_day"],
        &["--by", "weekday"],
        &["--by", "time_of_day"],
        &["--by", "wait_band"],
        &["--by", "service_channel"],
        &["--by", "anomaly,queue"],
        &["--by", "week,channel"],
        &["--by", "quarter,direction", "--filter", filter],
        &["--by", "team"],
        &["--by", "day,agent"],
    ];
    let mut rows = 0;
    // The contacts behind figures: every part of a few metrics, in several orders, a page each.
    for (metric, part, sort) in [
        ("offered", "numerator", "-wait_s"),
        ("service_level", "denominator", "arrived_at"),
        ("service_level", "numerator", "time"),
        ("abandoned", "numerator", "-time"),
        ("aht", "numerator", "-talk_s"),
        ("satisfaction", "denominator", "customer"),
        ("p90_wait", "numerator", "-wait_s"),
    ] {
        rows += everywhere_the_same(
            cli,
            stores,
            &[
                "contacts", "--format", "json", "--tenant", tenant, "--from", range.0, "--to",
                range.1, "--metric", metric, "--part", part, "--sort", sort, "--limit", "40",
                "--filter", filter,
            ],
        );
    }
    // Contacts whole: the first few behind `offered`, by id.
    let drilled: Value = serde_json::from_str(&cli.ok(&[
        "contacts", "--format", "json", "--tenant", tenant, "--from", range.0, "--to", range.1,
        "--metric", "offered", "--limit", "3",
    ]))
    .unwrap();
    for row in drilled["rows"].as_array().unwrap() {
        let id = row["id"].as_str().unwrap();
        let duck: Value =
            serde_json::from_str(&cli.ok(&["contacts", "--tenant", tenant, "--id", id])).unwrap();
        for store in stores {
            let other: Value = serde_json::from_str(
                &cli.ok(&["--store", store, "contacts", "--tenant", tenant, "--id", id]),
            )
            .unwrap();
            if let Err(e) = same(&duck, &other, "card") {
                panic!("{store} differs from DuckDB on contact {id}: {e}");
            }
        }
    }
    // The reports of the range's first month, whole (figures, lists of complaints and
    // dissatisfied calls, complaint tickets, the subscriber base, standards).
    let month = &range.0[..7];
    for kind in ["operations", "quality", "scorecard"] {
        everywhere_the_same(
            cli,
            stores,
            &["report", kind, "--tenant", tenant, "--period", month],
        );
    }
    // The calendar alone (`days`) goes by calendar keys only (both stores refuse the rest).
    let calendar = ["", "month", "day", "hour_of_day", "weekday", "time_of_day"];
    for (cut, metrics) in cuts
        .iter()
        .flat_map(|c| metrics.iter().map(move |m| (c, m)))
    {
        let by = cut.get(1).copied().unwrap_or_default();
        if metrics == "days" && !calendar.contains(&by) {
            continue;
        }
        let mut args = vec![
            "kpi",
            "--format",
            "json",
            "--tenant",
            tenant,
            "--from",
            range.0,
            "--to",
            range.1,
            "--metrics",
            metrics,
        ];
        args.extend_from_slice(cut);
        rows += everywhere_the_same(cli, stores, &args);
    }
    rows
}

/// Runs `args` (a JSON answer with `rows`) on DuckDB and on each of `stores`, asserts the
/// answers agree, and returns the rows compared.
fn everywhere_the_same(cli: &Cli, stores: &[String], args: &[&str]) -> usize {
    let out = cli.run(args);
    if !out.status.success() {
        // A question DuckDB refuses (a cut a table does not have) every store refuses, with
        // the same reason.
        let why = String::from_utf8_lossy(&out.stderr).into_owned();
        for store in stores {
            let mut with = vec!["--store", store.as_str()];
            with.extend_from_slice(args);
            let other = cli.run(&with);
            let other_why = String::from_utf8_lossy(&other.stderr).into_owned();
            assert!(
                !other.status.success() && other_why == why,
                "{store} answers {args:?} that DuckDB refuses ({why}): {other_why}"
            );
        }
        return 0;
    }
    let duck: Value = serde_json::from_str(&String::from_utf8_lossy(&out.stdout)).unwrap();
    for store in stores {
        let mut with = vec!["--store", store.as_str()];
        with.extend_from_slice(args);
        let other: Value = serde_json::from_str(&cli.ok(&with)).unwrap();
        if let Err(e) = same(&duck, &other, "answer") {
            panic!("{store} differs from DuckDB on {args:?}: {e}");
        }
    }
    duck["rows"].as_array().map_or(0, Vec::len)
}

/// Imports contact file `text` for `tenant` (Asia/Shanghai) into DuckDB and into each
/// ClickHouse store with `ccpulse import`, twice into ClickHouse (a re-import folds into the
/// same contacts), and conforms over `range` (filtering by `queues`); the rows compared.
fn imported(
    ch: &ClickHouse,
    database: &str,
    text: &str,
    (tenant, queues): (&str, &str),
    range: (&str, &str),
) -> usize {
    imported_with(ch, database, text, &[], (tenant, queues), range)
}

/// [`imported`], with record files (`import --format` and the file's text) imported the same
/// way after the contacts.
fn imported_with(
    ch: &ClickHouse,
    database: &str,
    text: &str,
    records: &[(&str, String)],
    (tenant, queues): (&str, &str),
    range: (&str, &str),
) -> usize {
    let cli = Cli::new();
    let file = cli.write("contacts.jsonl", text);
    let record_files: Vec<(&str, String)> = records
        .iter()
        .map(|(format, text)| {
            let path = cli.write(&format!("{format}-records.jsonl"), text);
            (*format, path.to_str().unwrap().to_owned())
        })
        .collect();
    let stores = ch.stores(&cli, database);
    let targets: Vec<Option<&String>> = std::iter::once(None)
        .chain(stores.iter().map(Some))
        .collect();
    for (i, store) in targets.iter().enumerate() {
        let with = |rest: &[&str]| {
            let mut args: Vec<String> = Vec::new();
            if let Some(s) = store {
                args.extend(["--store".to_owned(), (*s).clone()]);
            }
            args.extend(rest.iter().map(|a| (*a).to_owned()));
            args
        };
        let run = |rest: &[&str]| {
            let args = with(rest);
            let refs: Vec<&str> = args.iter().map(String::as_str).collect();
            cli.ok(&refs)
        };
        run(&["tenant", "set", tenant, "--timezone", "Asia/Shanghai"]);
        let import = [
            "import",
            "--format",
            "contacts",
            "--tenant",
            tenant,
            "--strict",
            "--json",
            file.to_str().unwrap(),
        ];
        let mut imports = vec![import.to_vec()];
        for (format, path) in &record_files {
            imports.push(vec![
                "import", "--format", format, "--tenant", tenant, "--strict", "--json", path,
            ]);
        }
        for import in &imports {
            let first: Value = serde_json::from_str(run(import).lines().last().unwrap()).unwrap();
            if first["agent_intervals"].as_u64().unwrap_or(0) > 0 {
                // Agent states count intervals read, not inserted and updated.
                continue;
            }
            assert!(
                first["inserted"].as_u64().unwrap() > 0,
                "{import:?}: {first}"
            );
            if i > 0 {
                // Again: every contact or record unchanged, nothing written.
                let again: Value =
                    serde_json::from_str(run(import).lines().last().unwrap()).unwrap();
                assert_eq!(again["unchanged"], first["inserted"], "{import:?}: {again}");
                assert_eq!(again["inserted"], 0, "{import:?}: {again}");
                assert_eq!(again["updated"], 0, "{import:?}: {again}");
            }
        }
    }
    conform(&cli, &stores, tenant, range, &format!("queue={queues}"))
}

/// Calls again from the same customers, agents, their states, tickets and the subscriber base
/// of January 2021 beside the hand fixture (agents a0-a2 answer its calls), made by a fixed
/// rule: teams, hires and leavers,
/// schedules, sessions with busy, after-contact work and breaks (meals among them) at odd
/// seconds across slot boundaries, complaints of a few customers about a few leaf categories
/// (repeats after an earlier one closed), open and closed, on several channels.
fn records() -> Vec<(&'static str, String)> {
    let mut agents = String::new();
    let mut states = String::new();
    for i in 0..9u32 {
        let team = ["\"north\"", "\"south\"", "null"][i as usize % 3];
        let hired = if i % 4 == 1 {
            "\"2021-01-10\""
        } else {
            "\"2020-06-01\""
        };
        let left = if i % 5 == 2 { "\"2021-01-20\"" } else { "null" };
        let minutes = match i % 3 {
            0 => "480",
            1 => "240",
            _ => "null",
        };
        agents.push_str(&format!(
            "{{\"id\":\"a{i}\",\"team\":{team},\"hired_on\":{hired},\"left_on\":{left},\"scheduled_minutes\":{minutes}}}\n"
        ));
        for day in 4..9u32 {
            if (i + day) % 4 == 0 {
                continue;
            }
            let at =
                |h: u32, m: u32, s: u32| format!("2021-01-{day:02}T{h:02}:{m:02}:{s:02}+08:00");
            let start = (8 + i % 3, 7 * i % 60, 13 + i);
            let end = (16 + i % 2, (11 * i + 3) % 60, 41);
            let queue = ["\"q1\"", "\"q2\"", "null"][(i + day) as usize % 3];
            let mut line = |state: &str, reason: &str, s: (u32, u32, u32), e: (u32, u32, u32)| {
                states.push_str(&format!(
                    "{{\"agent\":\"a{i}\",\"state\":\"{state}\",\"reason\":{reason},\"queue\":{queue},\"start\":\"{}\",\"end\":\"{}\"}}\n",
                    at(s.0, s.1, s.2),
                    at(e.0, e.1, e.2)
                ));
            };
            line("logged_in", "null", start, end);
            line("busy", "null", (10, 14, 5), (10, 52, 30 + day));
            line("acw", "null", (10, 52, 30 + day), (10, 58, 1));
            let why = ["\"lunch\"", "\"training\"", "\"午餐\""][(i + day) as usize % 3];
            line("break", why, (12, 3 * day, 0), (12, 40 + i, 17));
            line("busy", "null", (14, 59, 59), (15, 15 + day, 2));
        }
    }
    let mut tickets = String::new();
    for k in 0..40u32 {
        let kind = [
            "complaint",
            "complaint",
            "complaint",
            "suggestion",
            "refund",
        ][k as usize % 5];
        let customer = format!("1380000{:04}", k % 7);
        let leaf = ["billing/overcharge", "network/outage", "service/attitude"][k as usize % 3];
        let created = format!(
            "2021-01-{:02}T{:02}:{:02}:07+08:00",
            1 + k % 28,
            8 + k % 10,
            k % 60
        );
        let closed = if k % 4 == 3 {
            "null".to_owned()
        } else {
            format!(
                "\"2021-01-{:02}T{:02}:30:00+08:00\"",
                2 + k % 28 + k % 3,
                9 + k % 12
            )
        };
        let line_of = ["mobile", "broadband"][k as usize % 2];
        let channel = ["voice", "chat", "email"][k as usize % 3];
        let satisfaction = ["satisfied", "dissatisfied", "neutral"][k as usize % 3];
        let line = serde_json::json!({
            "id": format!("t{k:02}"), "kind": kind, "customer": customer, "category": leaf,
            "business_line": line_of, "channel": channel,
            "created_at": created, "valid": k % 6 != 5, "escalated": k % 7 == 0,
            "escalated_via": if k % 7 == 0 { Some("regulator") } else { None },
            "refund": if kind == "refund" { Some(f64::from(k) * 1.5) } else { None },
            "satisfaction": satisfaction,
        });
        let mut line = line.to_string();
        line.insert_str(line.len() - 1, &format!(",\"closed_at\":{closed}"));
        tickets.push_str(&line);
        tickets.push('\n');
    }
    let subscribers =
        "{\"month\":\"2021-01\",\"business_line\":\"mobile\",\"subscribers\":10000}\n\
        {\"month\":\"2021-01\",\"business_line\":\"broadband\",\"subscribers\":4000}\n";
    // Customers calling again about the same category, hours to days apart, some within the
    // same second (microseconds apart), some about another category.
    let mut again = String::new();
    for k in 0..36u32 {
        let (day, hour, minute) = (4 + k % 20, 8 + (k * 5) % 11, (k * 13) % 50);
        let micros = if k % 6 == 1 { 250_000 } else { 0 };
        let category = ["billing", "network"][k as usize % 2];
        let arrived = format!("2021-01-{day:02}T{hour:02}:{minute:02}:05.{micros:06}+08:00");
        let answered = format!("2021-01-{day:02}T{hour:02}:{minute:02}:35+08:00");
        let ended = format!("2021-01-{day:02}T{hour:02}:{:02}:10+08:00", minute + 3);
        again.push_str(
            &serde_json::json!({
                "id": format!("r{k:02}"), "channel": "voice", "direction": "inbound",
                "outcome": "answered", "queue": "q1", "agent": format!("a{}", k % 4),
                "customer": format!("1390000{:04}", k % 5),
                "category": category,
                "arrived_at": arrived, "queued_at": arrived, "answered_at": answered,
                "ended_at": ended, "hold_s": 0, "resolved_first": k % 3 != 0,
            })
            .to_string(),
        );
        again.push('\n');
    }
    vec![
        ("contacts", again),
        ("agents", agents),
        ("agent-states", states),
        ("tickets", tickets),
        ("subscribers", subscribers.to_owned()),
    ]
}

#[test]
fn hand_fixture_and_seed000_year_give_the_same_figures_on_every_store() {
    let Some(ch) = clickhouse() else { return };
    let fixture = common::fixture::lines().join("\n") + "\n";
    let rows = imported_with(
        &ch,
        "fixture",
        &fixture,
        &records(),
        ("fx", "q1,q2"),
        ("2021-01-01", "2021-02-01"),
    );
    assert!(rows > 20, "fixture: {rows} rows compared");
    let rows = imported(
        &ch,
        "seed000",
        &common::seed000::year_file(),
        ("s000", "hotline"),
        ("2021-01-01", "2022-01-01"),
    );
    assert!(rows > 500, "seed 000: {rows} rows compared");
}

/// Imports with `import` into DuckDB and into the ClickHouse stores (a queue_log through the
/// data directory), checks that `store copy` of the data directory then finds every contact
/// there unchanged, and conforms.
fn copied(ch: &ClickHouse, database: &str, import: &[&str], tenant: &str, range: (&str, &str)) {
    let cli = Cli::new();
    let zone = match tenant {
        "wazo" => Some("UTC"),
        "anonbank" => Some("Asia/Jerusalem"),
        _ => None,
    };
    if let Some(tz) = zone {
        cli.ok(&["tenant", "set", tenant, "--timezone", tz]);
    }
    let mut args = import.to_vec();
    args.push("--json");
    let summary =
        |out: String| -> Value { serde_json::from_str(out.lines().last().unwrap()).unwrap() };
    let duck = summary(cli.ok(&args));
    let stores = ch.stores(&cli, database);
    for s in &stores {
        // Every format imports straight into ClickHouse (a queue_log through the data
        // directory, which keeps the calls open between files), with DuckDB's counts; again,
        // all unchanged.
        if let Some(tz) = zone {
            cli.ok(&["--store", s, "tenant", "set", tenant, "--timezone", tz]);
        }
        let mut with = vec!["--store", s.as_str()];
        with.extend_from_slice(&args);
        let first = summary(cli.ok(&with));
        assert_eq!(first["inserted"], duck["inserted"], "{first} vs {duck}");
        assert_eq!(first["rejected"], duck["rejected"], "{first} vs {duck}");
        let again = summary(cli.ok(&with));
        assert_eq!(again["unchanged"], duck["inserted"], "{again}");
        assert_eq!(again["inserted"], 0, "{again}");
        let copy = cli.ok(&["store", "copy", "--to", s]);
        assert!(copy.contains("inserted 0, updated 0"), "{copy}");
    }
    let queues: Value = serde_json::from_str(&cli.ok(&[
        "kpi",
        "--format",
        "json",
        "--tenant",
        tenant,
        "--metrics",
        "contacts",
        "--by",
        "queue",
    ]))
    .unwrap();
    let names: Vec<String> = queues["rows"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["queue"].as_str().map(str::to_owned))
        .take(2)
        .collect();
    // A data set without queues is filtered by channel instead.
    let filter = if names.is_empty() {
        "channel=voice".to_owned()
    } else {
        format!("queue={}", names.join(","))
    };
    let rows = conform(&cli, &stores, tenant, range, &filter);
    assert!(rows > 10, "{database}: {rows} rows compared");
}

fn mapping(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../mappings")
        .join(name)
        .display()
        .to_string()
}

#[test]
fn wazo_and_real_data_give_the_same_figures_on_every_store() {
    let Some(ch) = clickhouse() else { return };
    let data = shared_data();
    let wazo = data.join("wazo/queue_10_first_week_of_2014.queue_log");
    copied(
        &ch,
        "wazo",
        &[
            "import",
            "--format",
            "queue_log",
            "--tenant",
            "wazo",
            wazo.to_str().unwrap(),
        ],
        "wazo",
        ("2013-12-30", "2014-01-06"),
    );
    let bank = data.join("anonbank/data_anonymous_bank_february.txt");
    copied(
        &ch,
        "anonbank",
        &[
            "import",
            "--format",
            "csv",
            "--mapping",
            &mapping("anonymous-bank.toml"),
            "--tenant",
            "anonbank",
            bank.to_str().unwrap(),
        ],
        "anonbank",
        ("1999-02-01", "1999-03-01"),
    );
    let pwc = data.join("pwc/call_center_dataset.csv");
    copied(
        &ch,
        "pwc",
        &[
            "import",
            "--format",
            "csv",
            "--mapping",
            &mapping("pwc-phonenow.toml"),
            "--tenant",
            "pwc",
            pwc.to_str().unwrap(),
        ],
        "pwc",
        ("2021-01-01", "2021-04-01"),
    );
}

/// Imports contact file `file` for tenant `t1` into `store`; the import's summary.
fn import_t1(cli: &Cli, store: &str, file: &Path) -> Value {
    let out = cli.ok(&[
        "--store",
        store,
        "import",
        "--format",
        "contacts",
        "--tenant",
        "t1",
        "--json",
        file.to_str().unwrap(),
    ]);
    serde_json::from_str(out.lines().last().unwrap()).unwrap()
}

#[test]
fn bad_lines_are_quarantined_and_a_store_not_set_up_says_so() {
    let Some(ch) = clickhouse() else { return };
    let cli = Cli::new();
    let url = ch.single.url("fresh");
    let out = cli.run(&["--store", &url, "kpi", "--metrics", "offered"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("store init"), "{err}");
    cli.ok(&["--store", &url, "store", "init"]);
    cli.ok(&["--store", &url, "store", "init"]);
    let file = cli.write(
        "mixed.jsonl",
        "{\"id\":\"a1\",\"channel\":\"voice\",\"direction\":\"inbound\",\"arrived_at\":\"2024-01-02T09:00:00+08:00\",\"answered_at\":\"2024-01-02T09:00:10+08:00\",\"ended_at\":\"2024-01-02T09:02:00+08:00\",\"queue\":\"q\",\"outcome\":\"answered\"}\n\
         {\"id\":\"a2\",\"channel\":\"voice\",\"direction\":\"sideways\",\"outcome\":\"answered\"}\n",
    );
    let summary = import_t1(&cli, &url, &file);
    assert_eq!(summary["rejected"], 1, "{summary}");
    assert_eq!(summary["inserted"], 1, "{summary}");
    let rows = cli.kpi(&[
        "--store",
        &url,
        "--tenant",
        "t1",
        "--metrics",
        "offered,answered",
    ]);
    assert_eq!(rows[0]["offered"], 1.0, "{rows:?}");
    // The rejection where and why, kept once when the file is imported again.
    cli.ok(&[
        "--store",
        &url,
        "import",
        "--format",
        "contacts",
        "--tenant",
        "t1",
        file.to_str().unwrap(),
    ]);
    let q: Value = serde_json::from_str(&cli.ok(&[
        "--store",
        &url,
        "quarantine",
        "list",
        "--tenant",
        "t1",
        "--json",
    ]))
    .unwrap();
    let entries = q["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 1, "{q}");
    assert_eq!(entries[0]["line"], 2, "{q}");
    assert_eq!(entries[0]["field"], "direction", "{q}");
    assert!(
        entries[0]["raw"].as_str().unwrap().contains("sideways"),
        "{q}"
    );
    let id = entries[0]["id"].to_string();
    let shown = cli.ok(&["--store", &url, "quarantine", "show", &id]);
    assert!(shown.contains("sideways"), "{shown}");
    // A good line an older rule rejected (written there as an older ccpulse would have): a
    // replay imports it and takes it out of the quarantine; the bad one stays as it was.
    let old = serde_json::json!({
        "tenant": "t1", "format": "contacts", "file": "old.jsonl", "line": 7,
        "field": null, "reason": "rejected by an older rule", "rejected_at": "2024-01-01 00:00:00",
        "raw": r#"{"id":"a3","channel":"voice","direction":"inbound","arrived_at":"2024-01-03T09:00:00+08:00","ended_at":"2024-01-03T09:01:00+08:00","queue":"q3","outcome":"abandoned"}"#,
    });
    let agent: ureq::Agent = ureq::Agent::config_builder().build().into();
    agent
        .post(&format!("http://127.0.0.1:{}/", ch.single.http_port))
        .query("database", "fresh")
        .query(
            "query",
            "INSERT INTO quarantine (tenant, format, file, line, field, reason, raw, rejected_at) \
             FORMAT JSONEachRow",
        )
        .send(old.to_string().as_bytes())
        .unwrap();
    let r: Value = serde_json::from_str(&cli.ok(&[
        "--store",
        &url,
        "quarantine",
        "replay",
        "--tenant",
        "t1",
        "--json",
    ]))
    .unwrap();
    assert_eq!(
        (r["imported"].as_u64(), r["rejected"].as_u64()),
        (Some(1), Some(1)),
        "{r}"
    );
    let q: Value = serde_json::from_str(&cli.ok(&[
        "--store",
        &url,
        "quarantine",
        "list",
        "--tenant",
        "t1",
        "--json",
    ]))
    .unwrap();
    let left = q["entries"].as_array().unwrap();
    assert_eq!(left.len(), 1, "{q}");
    assert!(left[0]["raw"].as_str().unwrap().contains("sideways"), "{q}");
    let rows = cli.kpi(&[
        "--store",
        &url,
        "--tenant",
        "t1",
        "--metrics",
        "offered,abandoned",
    ]);
    assert_eq!(
        (rows[0]["offered"].as_f64(), rows[0]["abandoned"].as_f64()),
        (Some(2.0), Some(1.0)),
        "{rows:?}"
    );
    // A user with a password (sent as Basic authentication), and a wrong one refused.
    let port = ch.single.http_port;
    let with_user = format!("clickhouse://{LOCAL_USER}:{LOCAL_PASSWORD}@127.0.0.1:{port}/fresh");
    let rows = cli.kpi(&[
        "--store",
        &with_user,
        "--tenant",
        "t1",
        "--metrics",
        "offered",
    ]);
    assert_eq!(rows[0]["offered"], 2.0, "{rows:?}");
    let wrong = format!("clickhouse://{LOCAL_USER}:nope@127.0.0.1:{port}/fresh");
    let out = cli.run(&[
        "--store",
        &wrong,
        "kpi",
        "--tenant",
        "t1",
        "--metrics",
        "offered",
    ]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("assword") && !err.contains("nope"), "{err}");
    // The same contact changed: updated, counted once, in its new queue.
    let changed = cli.write(
        "changed.jsonl",
        "{\"id\":\"a1\",\"channel\":\"voice\",\"direction\":\"inbound\",\"arrived_at\":\"2024-01-02T09:00:00+08:00\",\"answered_at\":\"2024-01-02T09:00:10+08:00\",\"ended_at\":\"2024-01-02T09:02:00+08:00\",\"queue\":\"q2\",\"outcome\":\"answered\"}\n",
    );
    let summary = import_t1(&cli, &url, &changed);
    assert_eq!(summary["updated"], 1, "{summary}");
    let rows = cli.kpi(&[
        "--store",
        &url,
        "--tenant",
        "t1",
        "--metrics",
        "offered",
        "--by",
        "queue",
    ]);
    // a1 left queue q (a3, replayed above, is in q3).
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert_eq!(rows[0]["queue"], "q2", "{rows:?}");
    assert_eq!(rows[0]["offered"], 1.0, "{rows:?}");
    assert_eq!(rows[1]["queue"], "q3", "{rows:?}");
    // The contact behind the figure.
    let drilled: Value = serde_json::from_str(&cli.ok(&[
        "--store", &url, "contacts", "--tenant", "t1", "--metric", "offered", "--format", "json",
        "--filter", "queue=q2",
    ]))
    .unwrap();
    assert_eq!(drilled["total"], 1, "{drilled}");
    assert_eq!(drilled["rows"][0]["id"], "a1", "{drilled}");
    // Commands not on ClickHouse yet say so instead of reading the wrong store.
    let out = cli.run(&[
        "--store", &url, "agents", "--tenant", "t1", "--period", "2024-01",
    ]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("ClickHouse"));
}

/// `n` answered calls of tenant `floor` (three events each), ids from `first`.
fn calls(first: usize, n: usize) -> Value {
    let now = jiff::Timestamp::now().as_millisecond();
    let at = |ms: i64| {
        jiff::Timestamp::from_millisecond(now + ms)
            .unwrap()
            .to_string()
    };
    let events: Vec<Value> = (first..first + n)
        .flat_map(|k| {
            let c = format!("c{k}");
            [
                serde_json::json!({"id": format!("q{k}"), "type": "queued", "contact_id": c, "at": at(-9000), "queue": "vip"}),
                serde_json::json!({"id": format!("a{k}"), "type": "answered", "contact_id": c, "at": at(-9000 + 100 * k as i64 % 5000), "agent": "1001"}),
                serde_json::json!({"id": format!("e{k}"), "type": "ended", "contact_id": c, "at": at(-1000)}),
            ]
        })
        .collect();
    Value::Array(events)
}

fn http(addr: &str, token: &str, method: &str, path: &str, body: Option<&Value>) -> (u16, Value) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(std::time::Duration::from_secs(20)))
        .build()
        .into();
    let url = format!("http://{addr}{path}");
    let auth = format!("Bearer {token}");
    let mut res = match body {
        Some(b) => agent
            .post(&url)
            .header("authorization", &auth)
            .header("content-type", "application/json")
            .send(b.to_string().as_bytes())
            .unwrap(),
        None => {
            assert_eq!(method, "GET");
            agent
                .get(&url)
                .header("authorization", &auth)
                .call()
                .unwrap()
        }
    };
    let status = res.status().as_u16();
    let text = res.body_mut().read_to_string().unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// How many contacts tenant `floor` has in the ClickHouse store, once it has `want` (within
/// half a minute); what it has then otherwise.
fn contacts_reach(cli: &Cli, url: &str, want: f64) -> f64 {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let out = cli.run(&[
            "--store",
            url,
            "kpi",
            "--tenant",
            "floor",
            "--metrics",
            "contacts",
            "--format",
            "json",
        ]);
        let n = serde_json::from_slice::<Value>(&out.stdout)
            .ok()
            .and_then(|v| v["rows"][0]["contacts"].as_f64())
            .unwrap_or(0.0);
        if n >= want || std::time::Instant::now() > deadline {
            return n;
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
}

/// With `--store clickhouse://...` the server keeps working in its data directory and writes
/// every contact on to ClickHouse, where its figures come from; killed (`kill -9`) right after
/// its 202s, it catches ClickHouse up when it starts again.
#[test]
fn serve_writes_contacts_through_to_clickhouse_and_answers_from_it() {
    let Some(ch) = clickhouse() else { return };
    let cli = Cli::new();
    let out = cli.run_stdin(
        &["user", "add", "root", "--role", "admin", "--password-stdin"],
        b"root-password\n",
    );
    assert!(out.status.success());
    let token = cli.ok(&["token", "create", "--user", "root"]);
    let token = token.lines().last().unwrap().trim().to_owned();
    cli.ok(&["tenant", "set", "floor", "--timezone", "Asia/Shanghai"]);
    let url = ch.single.url("served");
    cli.ok(&["--store", &url, "store", "init"]);

    let (mut server, addr) = cli.serve(&["--store", &url]);
    let (status, body) = http(
        &addr,
        &token,
        "POST",
        "/api/v1/events?tenant=floor",
        Some(&calls(0, 40)),
    );
    assert_eq!(status, 202, "{body}");
    assert_eq!(contacts_reach(&cli, &url, 40.0), 40.0);
    // A contact only ClickHouse has: the API counts it, so its figures come from there.
    let only = cli.write(
        "only.jsonl",
        r#"{"id":"x1","channel":"voice","direction":"inbound","outcome":"abandoned","queue":"vip","arrived_at":"2021-03-01T09:00:00+08:00","queued_at":"2021-03-01T09:00:00+08:00","ended_at":"2021-03-01T09:01:00+08:00"}"#,
    );
    cli.ok(&[
        "--store",
        &url,
        "import",
        "--format",
        "contacts",
        "--tenant",
        "floor",
        only.to_str().unwrap(),
    ]);
    let (status, kpi) = http(
        &addr,
        &token,
        "GET",
        "/api/v1/kpi?tenant=floor&metrics=contacts,answered",
        None,
    );
    assert_eq!(status, 200, "{kpi}");
    assert_eq!(kpi["rows"][0]["contacts"], 41.0, "{kpi}");
    assert_eq!(kpi["rows"][0]["answered"], 40.0, "{kpi}");
    // Killed right after its 202s: the forwarder may not have written them yet.
    let (status, _) = http(
        &addr,
        &token,
        "POST",
        "/api/v1/events?tenant=floor",
        Some(&calls(40, 30)),
    );
    assert_eq!(status, 202);
    server.kill().unwrap();
    server.wait().unwrap();
    let (mut again, _) = cli.serve(&["--store", &url]);
    assert_eq!(contacts_reach(&cli, &url, 71.0), 71.0);
    again.kill().unwrap();
    again.wait().unwrap();
    // The same figures as the data directory's own (which lacks only x1).
    let duck: Value = serde_json::from_str(&cli.ok(&[
        "kpi",
        "--tenant",
        "floor",
        "--metrics",
        "contacts,answered,aht,asa",
        "--format",
        "json",
    ]))
    .unwrap();
    let other: Value = serde_json::from_str(&cli.ok(&[
        "--store",
        &url,
        "kpi",
        "--tenant",
        "floor",
        "--metrics",
        "contacts,answered,aht,asa",
        "--format",
        "json",
        "--filter",
        "outcome=answered",
    ]))
    .unwrap();
    assert_eq!(duck["rows"][0]["contacts"], 70.0, "{duck}");
    same(&duck["rows"][0]["aht"], &other["rows"][0]["aht"], "aht").unwrap();
    same(&duck["rows"][0]["asa"], &other["rows"][0]["asa"], "asa").unwrap();
}
