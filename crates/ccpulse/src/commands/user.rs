//! `ccpulse user add|list|password|remove` and `ccpulse token create|list|revoke`: who may
//! use the server.

use std::io::BufRead as _;
use std::process::ExitCode;

use anyhow::{bail, Context as _};
use ccpulse_server::auth::{hash_password, new_secret, secret_hash, Role};
use ccpulse_store::{DataScope, DuckDbStore, User};

use super::{open, Done};
use crate::cli::{TokenCommand, UserCommand};
use crate::config::Config;

/// Runs a user command.
pub fn user(cfg: &Config, command: UserCommand) -> Done {
    let store = open(cfg)?;
    match command {
        UserCommand::Add {
            name,
            role,
            password_stdin,
            tenants,
            queues,
            regions,
            agent,
        } => {
            let split = |t: Option<String>| {
                t.map(|t| {
                    t.split(',')
                        .map(|s| s.trim().to_owned())
                        .filter(|s| !s.is_empty())
                        .collect()
                })
            };
            let scope = DataScope {
                queues: split(queues),
                regions: split(regions),
                agent,
            };
            add_user(
                &store,
                &name,
                &role,
                password_stdin,
                tenants.as_deref(),
                scope,
            )?;
        }
        UserCommand::List => {
            for u in store.users()? {
                let tenants = u.tenants.map_or("all tenants".into(), |t| t.join(","));
                let mut scope = Vec::new();
                if let Some(q) = &u.scope.queues {
                    scope.push(format!("queues {}", q.join(",")));
                }
                if let Some(r) = &u.scope.regions {
                    scope.push(format!("regions {}", r.join(",")));
                }
                if let Some(a) = &u.scope.agent {
                    scope.push(format!("agent {a}"));
                }
                let scope = if scope.is_empty() {
                    "all contacts".to_owned()
                } else {
                    scope.join("; ")
                };
                println!("{}\t{}\t{tenants}\t{scope}", u.name, u.role);
            }
        }
        UserCommand::Password {
            name,
            password_stdin,
        } => {
            let Some(u) = store.user(&name)? else {
                bail!("no user `{name}`");
            };
            add_user(
                &store,
                &u.name,
                &u.role,
                password_stdin,
                u.tenants.map(|t| t.join(",")).as_deref(),
                u.scope,
            )?;
            store.end_sessions(&name)?;
            eprintln!("password of `{name}` changed; their sessions ended");
        }
        UserCommand::Remove { name } => {
            if !store.remove_user(&name)? {
                bail!("no user `{name}`");
            }
            eprintln!("user `{name}` removed with their tokens and sessions");
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Runs a token command.
pub fn token(cfg: &Config, command: TokenCommand) -> Done {
    let store = open(cfg)?;
    match command {
        TokenCommand::Create {
            user,
            label,
            expires_days,
            read_only,
        } => {
            let expires = expires_days
                .map(|d| {
                    jiff::Timestamp::now()
                        .checked_add(jiff::SignedDuration::from_hours(i64::from(d) * 24))
                })
                .transpose()?;
            let grant = ccpulse_store::TokenGrant {
                user: user.clone(),
                expires,
                read_only,
            };
            let token = create_token(&store, &grant, label.as_deref())?;
            eprintln!("token for `{user}` (shown once; send it as `Authorization: Bearer TOKEN`):");
            println!("{token}");
        }
        TokenCommand::List { json } => {
            let tokens = store.token_list()?;
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&serde_json::json!({ "tokens": tokens }))?
                );
            } else {
                for t in tokens {
                    println!(
                        "{}\t{}\t{}\t{}\t{}\t{}",
                        t.id,
                        t.user,
                        t.label.as_deref().unwrap_or("-"),
                        t.created_at,
                        t.expires_at.as_deref().unwrap_or("until revoked"),
                        if t.read_only { "read-only" } else { "full" }
                    );
                }
            }
        }
        TokenCommand::Revoke { id } => match store.revoke_token(&id)? {
            Some(_) => println!("token {id} revoked"),
            None => bail!("no token `{id}` (see `ccpulse token list`)"),
        },
    }
    Ok(ExitCode::SUCCESS)
}

/// Adds (or changes) a user; the password from stdin's first line.
fn add_user(
    store: &DuckDbStore,
    name: &str,
    role: &str,
    password_stdin: bool,
    tenants: Option<&str>,
    scope: DataScope,
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
        scope,
    })?;
    eprintln!("user `{name}` ({role}) saved");
    Ok(())
}

/// Creates a token for `user`; returns it (only its hash is stored).
fn create_token(
    store: &DuckDbStore,
    grant: &ccpulse_store::TokenGrant,
    label: Option<&str>,
) -> anyhow::Result<String> {
    let user = &grant.user;
    let token = new_secret();
    store
        .add_token_with(&secret_hash(&token), grant, label)
        .with_context(|| format!("cannot create a token for `{user}` (add the user first: ccpulse user add {user} --role admin --password-stdin)"))?;
    Ok(token)
}
