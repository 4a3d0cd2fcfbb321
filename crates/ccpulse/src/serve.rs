//! `ccpulse serve`, `user add`, `token create`: running the server and bootstrapping access.

use std::io::BufRead as _;
use std::sync::Arc;

use anyhow::{bail, Context as _};
use ccpulse_model::TenantId;
use ccpulse_server::auth::{hash_password, new_secret, secret_hash, Role};
use ccpulse_server::{ServerOptions, SystemClock};
use ccpulse_store::{DuckDbStore, User};

/// The demo tenant's name, user and password.
const DEMO_TENANT: &str = "demo";
const DEMO_USER: &str = "demo";
const DEMO_PASSWORD: &str = "demo";

/// Adds (or changes) a user; the password from stdin's first line.
pub fn add_user(
    store: &DuckDbStore,
    name: &str,
    role: &str,
    password_stdin: bool,
    tenants: Option<&str>,
) -> anyhow::Result<()> {
    if Role::parse(role).is_none() {
        bail!("--role `{role}`: use one of {}", Role::NAMES);
    }
    if !password_stdin {
        bail!("give the password on standard input with --password-stdin (it never goes on the command line)");
    }
    let mut password = String::new();
    std::io::stdin().lock().read_line(&mut password)?;
    let password = password.trim_end_matches(['\r', '\n']);
    if password.len() < 4 {
        bail!("the password is too short (4 characters at least)");
    }
    let hash = hash_password(password).map_err(anyhow::Error::msg)?;
    store.put_user(&User {
        name: name.to_owned(),
        role: role.to_owned(),
        password_hash: hash,
        tenants: tenants.map(|t| {
            t.split(',')
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
                .collect()
        }),
    })?;
    eprintln!("user `{name}` ({role}) saved");
    Ok(())
}

/// Creates a token for `user`; returns it (only its hash is stored).
pub fn create_token(
    store: &DuckDbStore,
    user: &str,
    label: Option<&str>,
) -> anyhow::Result<String> {
    let token = new_secret();
    store
        .add_token(&secret_hash(&token), user, label)
        .with_context(|| format!("cannot create a token for `{user}` (add the user first: ccpulse user add {user} --role admin --password-stdin)"))?;
    Ok(token)
}

/// Creates the demo center when it is missing, and the demo user in a store without users;
/// whether the demo user exists.
fn prepare_demo(store: &mut DuckDbStore) -> anyhow::Result<bool> {
    let tenant = TenantId::new(DEMO_TENANT)?;
    if store.count_contacts(DEMO_TENANT)? == 0 {
        eprintln!("creating the demo center (30 days of calls and chats)...");
        let (n, _) = crate::bench::demo_history(store, &tenant, 30, 1500.0)?;
        eprintln!("demo tenant `{DEMO_TENANT}`: {n} contacts");
    }
    if store.users()?.is_empty() {
        store.put_user(&User {
            name: DEMO_USER.into(),
            role: "admin".into(),
            password_hash: hash_password(DEMO_PASSWORD).map_err(anyhow::Error::msg)?,
            tenants: None,
        })?;
    }
    Ok(store.users()?.iter().any(|u| u.name == DEMO_USER))
}

/// Runs the server until Ctrl-C or SIGTERM.
pub fn run(
    mut store: DuckDbStore,
    listen: &str,
    demo: bool,
    webhook: Option<String>,
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
                tokio::spawn(crate::simulate::run(state.clone(), tenant, tz));
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
