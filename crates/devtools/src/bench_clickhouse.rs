//! `ccpulse bench --store clickhouse://...`: the same generated contacts imported into DuckDB
//! and into the ClickHouse store, and query (a) asked of both, in one run: import rates and
//! query times side by side, and the answers compared (they must be the same).

use std::path::Path;
use std::time::Instant;

use ccpulse_metrics::{KpiQuery, KpiText};
use ccpulse_model::TenantId;
use ccpulse_store::clickhouse::local::{LocalServer, LOCAL_CLUSTER};
use ccpulse_store::{ClickHouseStore, ClickHouseUrl, Store, StoreConfig};
use serde_json::json;

use crate::bench::{best_of, fresh_store, generate_file, query_memory, METRICS_A};

/// Query (a) asked of `store` three times: the best time and the answer.
fn query_a(
    store: &dyn Store,
    catalog: &ccpulse_metrics::Catalog,
) -> anyhow::Result<(f64, ccpulse_metrics::KpiResult)> {
    let text = KpiText {
        metrics: METRICS_A,
        by: Some("month,queue"),
        from: Some("2021-01-01"),
        to: Some("2022-01-01"),
        filters: &[],
    };
    let tenant = TenantId::new("bench")?;
    let mut last = None;
    let (t, _) = best_of(3, || {
        let q = KpiQuery::parse(tenant.clone(), &text)?;
        let r = store.ask(catalog, &q)?;
        let n = r.rows.len();
        last = Some(r);
        Ok(n)
    })?;
    Ok((
        t.as_secs_f64(),
        last.ok_or_else(|| anyhow::anyhow!("no answer"))?,
    ))
}

/// The ClickHouse store at `url`, set up (on `cluster`, over `nodes`) when it is not yet.
pub fn open_or_init(
    url: ClickHouseUrl,
    cluster: Option<&str>,
    nodes: &[String],
) -> anyhow::Result<ClickHouseStore> {
    Ok(match ClickHouseStore::open(url.clone()) {
        Ok(s) => s,
        Err(_) => ClickHouseStore::init(url, cluster, nodes)?,
    })
}

/// Starts `servers` local ClickHouse servers in `dir` (one alone, or a cluster of them) and
/// runs the comparison against them.
pub fn run_local(
    servers: usize,
    n: u64,
    as_json: bool,
    dir: &Path,
    cfg: &StoreConfig,
) -> anyhow::Result<()> {
    anyhow::ensure!(servers >= 1, "--local-clickhouse takes 1 or more servers");
    let running = LocalServer::cluster(&dir.join("clickhouse"), servers)?;
    let url = ClickHouseUrl::parse(&running[0].url("bench"))?;
    let store = if servers == 1 {
        open_or_init(url, None, &[])?
    } else {
        let nodes: Vec<String> = running
            .iter()
            .map(|s| format!("http://127.0.0.1:{}", s.http_port))
            .collect();
        open_or_init(url, Some(LOCAL_CLUSTER), &nodes)?
    };
    run(store, n, as_json, dir, cfg)
}

/// Runs the comparison with `n` contacts in `dir` against the ClickHouse store `ch` (tenant
/// `bench` must be empty there).
/// How many times query (a) is asked of each store.
const QUERY_RUNS: usize = 3;

/// The median of `runs`, which it leaves sorted.
fn median(runs: &mut [f64]) -> f64 {
    runs.sort_by(f64::total_cmp);
    runs.get(runs.len() / 2).copied().unwrap_or(0.0)
}

pub fn run(
    mut ch: ClickHouseStore,
    n: u64,
    as_json: bool,
    dir: &Path,
    cfg: &StoreConfig,
) -> anyhow::Result<()> {
    let say = |s: String| {
        if !as_json {
            eprintln!("{s}");
        }
    };
    let file = dir.join("contacts.jsonl");
    generate_file(&file, n)?;
    std::fs::File::open(&file)?.sync_all()?;
    let files = [file.display().to_string()];
    let tenant = TenantId::new("bench")?;

    let mut duck = fresh_store(&dir.join("duckdb"), cfg)?;
    let t = Instant::now();
    let s = ccpulse_import::import_contacts(&mut duck, &files, None, !as_json)?;
    let duck_import = t.elapsed().as_secs_f64();
    query_memory(&duck, cfg)?;
    anyhow::ensure!(
        s.counts.inserted == n,
        "DuckDB imported {}",
        s.counts.inserted
    );

    let place = ch.place();
    anyhow::ensure!(
        ch.count_contacts(&tenant)? == 0,
        "{place} already has contacts of tenant bench: give the bench an empty database"
    );
    let t = Instant::now();
    let s = ccpulse_import::import_contacts_clickhouse(&mut ch, &files, None, !as_json)?;
    let ch_import = t.elapsed().as_secs_f64();
    anyhow::ensure!(
        s.counts.inserted == n,
        "ClickHouse imported {}",
        s.counts.inserted
    );

    let catalog = duck.catalog()?;
    // Asked three times of each, in turn (the machine's noise falls on both alike): the
    // median and the spread.
    let (mut duck_runs, mut ch_runs) = (Vec::new(), Vec::new());
    let (mut duck_a, mut ch_a) = (None, None);
    for _ in 0..QUERY_RUNS {
        let (q, a) = query_a(&duck, &catalog)?;
        duck_runs.push(q);
        duck_a = Some(a);
        let (q, a) = query_a(&ch, &catalog)?;
        ch_runs.push(q);
        ch_a = Some(a);
    }
    let (Some(duck_a), Some(ch_a)) = (duck_a, ch_a) else {
        anyhow::bail!("query (a) was not asked");
    };
    let (duck_q, ch_q) = (median(&mut duck_runs), median(&mut ch_runs));
    let same = duck_a.rows.len() == ch_a.rows.len()
        && duck_a.rows.iter().zip(&ch_a.rows).all(|(a, b)| {
            a.keys == b.keys
                && a.values.iter().zip(&b.values).all(|(x, y)| match (x, y) {
                    (Some(x), Some(y)) => (x - y).abs() <= 1e-9 * x.abs().max(1.0),
                    (None, None) => true,
                    _ => false,
                })
        });
    anyhow::ensure!(same, "query (a) answers differ between DuckDB and {place}");
    #[allow(clippy::cast_precision_loss)]
    let rate = |s: f64| n as f64 / s;
    say(format!(
        "import {n} contacts: DuckDB {duck_import:.1} s ({:.0}/s), ClickHouse {} {ch_import:.1} s ({:.0}/s)",
        rate(duck_import),
        ch.cluster().map_or("one server".to_owned(), |c| format!("cluster {c}")),
        rate(ch_import)
    ));
    let spread = |runs: &[f64]| {
        format!(
            "{:.3}-{:.3}",
            runs.first().copied().unwrap_or(0.0),
            runs.last().copied().unwrap_or(0.0)
        )
    };
    say(format!(
        "query (a) a year by month x queue, 20 metrics, median of {QUERY_RUNS}: DuckDB {duck_q:.3} s ({}), ClickHouse {ch_q:.3} s ({}), {:.2}x ({} rows, the same answers)",
        spread(&duck_runs),
        spread(&ch_runs),
        ch_q / duck_q,
        duck_a.rows.len()
    ));
    if as_json {
        println!(
            "{}",
            json!({
                "contacts": n,
                "clickhouse": place,
                "cluster": ch.cluster(),
                "duckdb_import_seconds": duck_import,
                "clickhouse_import_seconds": ch_import,
                "duckdb_query_a_seconds": duck_q,
                "clickhouse_query_a_seconds": ch_q,
                "duckdb_query_a_runs": duck_runs,
                "clickhouse_query_a_runs": ch_runs,
                "rows": duck_a.rows.len(),
            })
        );
    }
    Ok(())
}
