//! `ccpulse demo`, `ccpulse bench` and `ccpulse bench-server`: the demo center and the
//! performance figures (`ccpulse-devtools`).

use std::process::ExitCode;

use ccpulse_metrics::{ByItem, Dimension, Filter, KpiQuery};
use ccpulse_model::TenantId;
use ccpulse_store::DuckDbStore;
use jiff::Timestamp;

use super::{kpi, open, Done};
use crate::cli::{BenchArgs, BenchServerArgs, DemoArgs};
use crate::config::Config;

/// `ccpulse demo`: the demo center's history, then this month's KPIs per queue.
pub fn demo(cfg: &Config, a: DemoArgs) -> Done {
    let tenant = a.tenant;
    let mut store = open(cfg)?;
    let (generated, counts) =
        ccpulse_devtools::bench::demo_history(&mut store, &tenant, a.days, a.daily)?;
    ccpulse_devtools::demo::write_demo_names(store.dir())?;
    println!(
        "demo tenant `{tenant}`: {generated} contacts over {} days in {} (inserted {}, updated {}, unchanged {})",
        a.days,
        store.dir().display(),
        counts.inserted,
        counts.updated,
        counts.unchanged
    );
    let t = store.ensure_tenant(&tenant)?;
    let today = Timestamp::now().to_zoned(t.tz.clone()).date();
    print_month(&store, &tenant, today, &cfg.lang)?;
    Ok(ExitCode::SUCCESS)
}

/// What the demo shows of this month, per queue.
const MONTH_METRICS: &[&str] = &[
    "offered",
    "answered",
    "abandoned",
    "answer_rate",
    "service_level",
    "answered_within[threshold=15]",
    "asa",
    "aht",
    "satisfaction",
];

/// This month's inbound KPIs per queue.
fn print_month(
    store: &DuckDbStore,
    tenant: &TenantId,
    today: jiff::civil::Date,
    lang: &str,
) -> anyhow::Result<()> {
    let from = today.first_of_month();
    let tomorrow = today.checked_add(jiff::Span::new().days(1))?;
    let midnight = |d: jiff::civil::Date| d.to_datetime(jiff::civil::Time::midnight());
    let q = KpiQuery::of(tenant.clone(), MONTH_METRICS)?
        .by([ByItem::Dimension(Dimension::Queue)])
        .between(midnight(from), midnight(tomorrow))
        .filter(Filter::new(Dimension::Direction, ["inbound"]));
    let r = store.ask(&store.catalog()?, &q)?;
    println!("\n{from} .. {today}:");
    println!("{}", kpi::to_table(&r, lang));
    println!(
        "\ntry: cargo run --release -- kpi --tenant {tenant} --by day --metrics offered,answered,service_level --from {from}"
    );
    Ok(())
}

/// `ccpulse bench`: `--contacts N` (the default) or `--queue-log N`.
pub fn bench(cfg: &Config, a: BenchArgs) -> Done {
    if let Some(servers) = a.local_clickhouse {
        let tmp = tempfile::tempdir()?;
        let dir = a.dir.clone().unwrap_or_else(|| tmp.path().to_owned());
        std::fs::create_dir_all(&dir)?;
        ccpulse_devtools::bench_clickhouse::run_local(
            servers,
            a.contacts,
            a.json,
            &dir,
            &cfg.store(),
        )?;
        return Ok(ExitCode::SUCCESS);
    }
    if let Some(url) = cfg.clickhouse()? {
        let tmp = tempfile::tempdir()?;
        let dir = a.dir.clone().unwrap_or_else(|| tmp.path().to_owned());
        std::fs::create_dir_all(&dir)?;
        let store = ccpulse_devtools::bench_clickhouse::open_or_init(url, None, &[])?;
        ccpulse_devtools::bench_clickhouse::run(store, a.contacts, a.json, &dir, &cfg.store())?;
        return Ok(ExitCode::SUCCESS);
    }
    let Some(lines) = a.queue_log else {
        ccpulse_devtools::bench::run_bench(a.contacts, a.json, a.dir.as_deref(), &cfg.store())?;
        return Ok(ExitCode::SUCCESS);
    };
    let tmp = tempfile::tempdir()?;
    let dir = a.dir.unwrap_or_else(|| tmp.path().to_owned());
    std::fs::create_dir_all(&dir)?;
    let mut figures = ccpulse_devtools::bench_queue_log::run(lines, a.json, &dir, &cfg.store())?;
    let rss = ccpulse_devtools::bench::peak_rss_bytes();
    figures["peak_rss_bytes"] = rss.into();
    if a.json {
        println!("{figures}");
    } else if let Some(b) = rss {
        eprintln!("peak RSS: {:.2} GiB", b as f64 / f64::from(1u32 << 30));
    }
    Ok(ExitCode::SUCCESS)
}

/// `ccpulse bench-server`.
pub fn bench_server(a: BenchServerArgs) -> Done {
    if a.big_bodies {
        ccpulse_devtools::load::big_bodies(a.json)?;
        return Ok(ExitCode::SUCCESS);
    }
    if a.chaos {
        let held = ccpulse_devtools::chaos::run(&ccpulse_devtools::chaos::ChaosOptions {
            seconds: a.seconds,
            posters: a.posters,
            json: a.json,
        })?;
        return Ok(if held {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        });
    }
    ccpulse_devtools::load::run(&ccpulse_devtools::load::LoadOptions {
        seconds: a.seconds,
        posters: a.posters,
        batch: a.batch,
        clients: a.clients,
        rate: a.rate,
        json: a.json,
    })?;
    Ok(ExitCode::SUCCESS)
}
