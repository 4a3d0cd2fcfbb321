//! `ccpulse serve`: the API, the wallboard and alerts until Ctrl-C or SIGTERM; with `--demo`,
//! the demo center, its user and its live simulator.

use std::sync::Arc;

use std::process::ExitCode;

use anyhow::Context as _;
use ccpulse_model::TenantId;
use ccpulse_server::auth::hash_password;
use ccpulse_server::{ServerOptions, SystemClock};
use ccpulse_store::{DuckDbStore, User};

use super::Done;
use crate::cli::ServeArgs;
use crate::config::Config;

/// The demo tenant's name, user and password.
const DEMO_TENANT: &str = "demo";
const DEMO_USER: &str = "demo";
const DEMO_PASSWORD: &str = "demo";

/// Creates the demo center when it is missing, and the demo user in a store without users;
/// whether the demo user exists.
fn prepare_demo(store: &mut DuckDbStore) -> anyhow::Result<bool> {
    let tenant = TenantId::new(DEMO_TENANT)?;
    if store.count_contacts(&tenant)? == 0 {
        eprintln!("creating the demo center (30 days of calls and chats)...");
        let (n, _) = ccpulse_devtools::bench::demo_history(store, &tenant, 30, 1500.0)?;
        ccpulse_devtools::demo::write_demo_names(store.dir())?;
        eprintln!("demo tenant `{DEMO_TENANT}`: {n} contacts");
    }
    if store.users()?.is_empty() {
        store.put_user(&User {
            name: DEMO_USER.into(),
            role: "admin".into(),
            password_hash: hash_password(DEMO_PASSWORD).map_err(anyhow::Error::msg)?,
            tenants: None,
            ..Default::default()
        })?;
    }
    Ok(store.users()?.iter().any(|u| u.name == DEMO_USER))
}

/// DuckDB's `memory_limit` for `serve` when the configuration sets none. 512MB holds the
/// load benchmark's rate (19,100 events/s over 10 minutes, as with 1GB) with its RSS in a
/// flat 400-770 MiB band from the second minute on, where 1GB kept rising to 1.1 GB.
const SERVE_MEMORY_LIMIT: &str = "512MB";

/// DuckDB's `checkpoint_threshold` for `serve` when the configuration sets none. A commit that
/// finds the write-ahead log past it folds the log into the file before it returns, and
/// under a steady stream of events that stall is what the slowest acknowledgements wait for:
/// at DuckDB's 16 MB it came every 2-3 s at 20,000 events/s (p99 of the time to 202: 560-820
/// ms); at 256 MB it comes every few minutes.
const SERVE_CHECKPOINT_THRESHOLD: &str = "256MB";

/// `ccpulse serve`.
pub fn serve(cfg: &Config, a: ServeArgs) -> Done {
    // A long-running server keeps DuckDB's cache bounded unless told otherwise, so its memory
    // stays flat as the store grows.
    let mut store_cfg = cfg.store();
    store_cfg
        .memory_limit
        .get_or_insert_with(|| SERVE_MEMORY_LIMIT.to_owned());
    store_cfg
        .checkpoint_threshold
        .get_or_insert_with(|| SERVE_CHECKPOINT_THRESHOLD.to_owned());
    let store = DuckDbStore::open(&cfg.data, &store_cfg)
        .with_context(|| format!("cannot open the store in {}", cfg.data.display()))?;
    run(store, &a.listen, a.demo, a.webhook, cfg)?;
    Ok(ExitCode::SUCCESS)
}

/// Runs the server until Ctrl-C or SIGTERM.
fn run(
    mut store: DuckDbStore,
    listen: &str,
    demo: bool,
    webhook: Option<String>,
    cfg: &Config,
) -> anyhow::Result<()> {
    let demo_user = demo && prepare_demo(&mut store)?;
    if store.users()?.is_empty() {
        eprintln!(
            "note: no users yet; add one with `ccpulse user add NAME --role admin --password-stdin`"
        );
    }
    let demo_tz = store.tenant(DEMO_TENANT).map(|t| t.tz.clone());
    let options = ServerOptions {
        alerts_file: Some(store.dir().join("alerts.toml")),
        webhook,
        tick: None,
        reports_dir: Some(cfg.reports_dir.clone()),
        webhook_allow: cfg.webhook_allow.clone(),
        future_skew: Some(std::time::Duration::from_secs(cfg.max_clock_skew)),
        limits: cfg.server_limits(),
        analytics: match cfg.clickhouse()? {
            Some(url) => {
                let ch = super::open_clickhouse(cfg, url)?;
                eprintln!(
                    "figures from {}: the contacts this server writes go on to it",
                    ch.place()
                );
                Some(ch)
            }
            None => None,
        },
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let state = ccpulse_server::start(store, options, Arc::new(SystemClock))?;
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .with_context(|| format!("cannot listen on {listen}"))?;
        let addr = listener.local_addr()?;
        println!("ccpulse is serving on http://{addr}/wall");
        if demo {
            if demo_user {
                println!("demo login: user `{DEMO_USER}`, password `{DEMO_PASSWORD}`");
            } else {
                println!(
                    "sign in as one of this store's users (the `{DEMO_USER}` user is only \
                     created in a store without users)"
                );
            }
            if let Some(tz) = demo_tz {
                let tenant = TenantId::new(DEMO_TENANT)?;
                tokio::spawn(ccpulse_devtools::simulate::run(state.clone(), tenant, tz));
            }
        }
        ccpulse_server::serve(listener, state, shutdown()).await?;
        eprintln!("ccpulse stopped");
        anyhow::Ok(())
    })
}

async fn shutdown() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => {
                    let _ = ctrl_c.await;
                    return;
                }
            };
        let term = term.recv();
        futures_util::future::select(Box::pin(ctrl_c), Box::pin(term)).await;
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}
