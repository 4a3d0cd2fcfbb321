//! What each command does: one file per command group, each a thin layer over the library
//! crates (parse the flags' text, call, print).

pub mod agents;
pub mod alerts;
pub mod audit;
pub mod bench;
pub mod config;
pub mod contacts;
pub mod import;
pub mod kpi;
pub mod quarantine;
pub mod report;
pub mod schedule;
pub mod serve;
pub mod staffing;
pub mod store;
pub mod template;
pub mod tenant;
pub mod topics;
pub mod user;

use std::process::ExitCode;

use anyhow::bail;
use ccpulse_model::TenantId;
use ccpulse_store::{ClickHouseStore, DuckDbStore, Store};

use crate::config::Config;

/// What a command that went well returns.
pub type Done = anyhow::Result<ExitCode>;

/// Opens the store of the configured data directory.
pub fn open(cfg: &Config) -> anyhow::Result<DuckDbStore> {
    DuckDbStore::open(&cfg.data, &cfg.store()).map_err(|e| {
        let text = e.to_string();
        match locked_by(&text) {
            Some(pid) => anyhow::anyhow!(
                "the server holds the store in {} (process {pid}): stop it, or use its API \
                 (GET /api/v1/kpi, /api/v1/contacts, ... with a token from `ccpulse token create`)",
                cfg.data.display()
            ),
            None => anyhow::Error::new(e)
                .context(format!("cannot open the store in {}", cfg.data.display())),
        }
    })
}

/// Opens the configured store, whichever database holds the data: the data directory's
/// DuckDB file, or the ClickHouse store of `--store`.
pub fn open_any(cfg: &Config) -> anyhow::Result<Box<dyn Store>> {
    Ok(match cfg.clickhouse()? {
        Some(url) => Box::new(open_clickhouse(cfg, url)?),
        None => Box::new(open(cfg)?),
    })
}

/// Opens a ClickHouse store set up by `ccpulse store init`, its own files (catalog and
/// standards additions, names) in the data directory.
pub fn open_clickhouse(
    cfg: &Config,
    url: ccpulse_store::ClickHouseUrl,
) -> anyhow::Result<ClickHouseStore> {
    let place = url.place();
    ClickHouseStore::open(url)
        .map(|s| s.with_files(&cfg.data))
        .map_err(|e| anyhow::Error::new(e).context(format!("cannot open {place}")))
}

/// The process holding the store's lock, when that is why it cannot be opened (DuckDB says
/// `Conflicting lock is held in PROGRAM (PID 123)`).
fn locked_by(error: &str) -> Option<String> {
    if !error.contains("Could not set lock") {
        return None;
    }
    let pid = error
        .split("(PID ")
        .nth(1)
        .and_then(|rest| rest.split(')').next())
        .unwrap_or("?");
    Some(pid.to_owned())
}

/// `--lang` as given, else the configured language; zh-CN or en.
pub fn lang_of(cfg: &Config, lang: Option<&str>) -> anyhow::Result<String> {
    let l = lang.map_or_else(|| cfg.lang.clone(), str::to_owned);
    if !matches!(l.as_str(), "zh-CN" | "en") {
        bail!("--lang `{l}`: use zh-CN or en");
    }
    Ok(l)
}

/// The tenant named on the command line, else the default tenant.
pub fn tenant_or_default(name: Option<TenantId>) -> TenantId {
    name.unwrap_or_else(TenantId::default_tenant)
}

/// `tenant` when the store knows it, else an error that says so.
pub fn known_tenant<S: Store + ?Sized>(store: &S, tenant: &TenantId) -> anyhow::Result<TenantId> {
    if store.tenant(tenant.as_str()).is_none() {
        bail!("unknown tenant `{tenant}` (see `ccpulse tenant list`)");
    }
    Ok(tenant.clone())
}
