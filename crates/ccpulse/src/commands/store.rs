//! `ccpulse store init`: the store set up (or brought to this version's schema), embedded or
//! on ClickHouse; and which commands a ClickHouse store serves so far.

use std::process::ExitCode;

use anyhow::bail;
use ccpulse_store::ClickHouseStore;

use super::{open, Done};
use crate::cli::{Command, StoreCommand};
use crate::config::Config;

/// Runs a store command.
pub fn run(cfg: &Config, command: StoreCommand) -> Done {
    let (cluster, nodes) = match command {
        StoreCommand::Init { cluster, nodes } => (cluster, nodes),
        StoreCommand::Copy { to } => return copy(cfg, &to),
    };
    match cfg.clickhouse()? {
        Some(url) => {
            let place = url.place();
            let store = ClickHouseStore::init(url, cluster.as_deref(), &nodes)
                .map_err(|e| anyhow::Error::new(e).context(format!("cannot set up {place}")))?;
            match store.cluster() {
                Some(c) => println!(
                    "{place}: schema {} on cluster {c} (tables distributed by tenant and contact id)",
                    ccpulse_store::clickhouse::SCHEMA_VERSION
                ),
                None => println!(
                    "{place}: schema {}",
                    ccpulse_store::clickhouse::SCHEMA_VERSION
                ),
            }
        }
        None => {
            if cluster.is_some() || !nodes.is_empty() {
                bail!(
                    "--cluster and --nodes are for a ClickHouse store (--store clickhouse://...)"
                );
            }
            open(cfg)?;
            println!("{}: ready", cfg.data.display());
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `store copy --to URL`: the DuckDB file's tenants and contacts into a ClickHouse store.
fn copy(cfg: &Config, to: &str) -> Done {
    if cfg.clickhouse()?.is_some() {
        bail!("store copy reads the data directory's DuckDB file: leave --store out, give --to");
    }
    let url = ccpulse_store::ClickHouseUrl::parse(to)?.with_credentials(
        cfg.clickhouse_user.as_deref(),
        cfg.clickhouse_password.as_deref(),
    );
    let from = open(cfg)?;
    let mut into = super::open_clickhouse(cfg, url)?;
    let started = std::time::Instant::now();
    let c = into.copy_from(&from)?;
    println!(
        "copied {} tenants to {}: inserted {}, updated {}, unchanged {} ({:.1} s)",
        from.tenants().len(),
        into.place(),
        c.inserted,
        c.updated,
        c.unchanged,
        started.elapsed().as_secs_f64()
    );
    Ok(ExitCode::SUCCESS)
}

/// Fails for a command the ClickHouse store does not serve yet, saying which do.
pub fn check_clickhouse_serves(command: &Command) -> anyhow::Result<()> {
    let served = matches!(
        command,
        Command::Store { .. }
            | Command::Import(_)
            | Command::Kpi(_)
            | Command::Report { .. }
            | Command::Serve(_)
            | Command::Contacts(_)
            | Command::Quarantine { .. }
            | Command::Tenant { .. }
            | Command::Metrics(_)
            | Command::Config
            | Command::Erlang(_)
            | Command::Bench(_)
            | Command::BenchServer(_)
    );
    if !served {
        bail!(
            "this command does not run on a ClickHouse store yet: on ClickHouse ccpulse runs \
             `store init`, `store copy`, `import`, `kpi`, \
             `report`, `serve`, `contacts`, `quarantine` and `tenant`; \
             leave --store / CCPULSE_STORE out for the data directory's DuckDB file"
        );
    }
    Ok(())
}
