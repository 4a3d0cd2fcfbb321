//! `ccpulse user add|set|disable|enable|list|password|remove` and `ccpulse token create|list|revoke`: who may
//! use the server.

use std::io::BufRead as _;
use std::process::ExitCode;

use anyhow::{bail, Context as _};
use ccpulse_server::auth::{hash_password, new_secret, secret_hash, Role};
use ccpulse_store::{DuckDbStore, User, UserChange};

use super::{open, Done};
use crate::cli::{TokenCommand, UserCommand, UserScopeArgs};
use crate::config::Config;

/// The change `role` and `a` ask for: comma-separated lists (`""` lifts that limit).
fn change_of(role: Option<String>, a: UserScopeArgs) -> UserChange {
    let split = |t: Option<String>| t.map(|t| t.split(',').map(str::to_owned).collect());
    UserChange {
        role,
        tenants: split(a.tenants),
        queues: split(a.queues),
        regions: split(a.regions),
        agent: a.agent,
        disabled: None,
    }
}

/// How `user list` shows a user's reach.
fn describe(u: &User) -> (String, String) {
    let tenants = u
        .tenants
        .as_ref()
        .map_or("all tenants".into(), |t| t.join(","));
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
    (tenants, scope)
}

/// Runs a user command.
pub fn user(cfg: &Config, command: UserCommand) -> Done {
    let store = open(cfg)?;
    let existing = |name: &str| -> anyhow::Result<User> {
        store
            .user(name)?
            .ok_or_else(|| anyhow::anyhow!("no user `{name}` (see `ccpulse user list`)"))
    };
    match command {
        UserCommand::Add {
            name,
            role,
            password_stdin,
            scope,
        } => {
            let mut user = User {
                name,
                ..User::default()
            };
            user.apply(change_of(Some(role), scope));
            Role::of_user(&user).map_err(anyhow::Error::msg)?;
            user.password_hash = password_from_stdin(password_stdin)?;
            store.put_user(&user)?;
            eprintln!("user `{}` ({}) saved", user.name, user.role);
        }
        UserCommand::Set { name, role, scope } => {
            let mut user = existing(&name)?;
            user.apply(change_of(role, scope));
            Role::of_user(&user).map_err(anyhow::Error::msg)?;
            store.put_user(&user)?;
            let (tenants, scope) = describe(&user);
            eprintln!("user `{name}`: {} of {tenants}, {scope}", user.role);
        }
        UserCommand::Disable { name } => {
            let mut user = existing(&name)?;
            user.disabled = true;
            store.put_user(&user)?;
            store.end_sessions(&name)?;
            eprintln!("user `{name}` disabled: their tokens and sessions open nothing");
        }
        UserCommand::Enable { name } => {
            let mut user = existing(&name)?;
            user.disabled = false;
            store.put_user(&user)?;
            eprintln!("user `{name}` enabled");
        }
        UserCommand::List { json } => {
            let users = store.users()?;
            if json {
                let v: Vec<serde_json::Value> = users.iter().map(User::to_json).collect();
                println!(
                    "{}",
                    serde_json::to_string_pretty(&serde_json::json!({ "users": v }))?
                );
            }
            for u in users.iter().filter(|_| !json) {
                let (tenants, scope) = describe(u);
                let state = if u.disabled { "\tdisabled" } else { "" };
                println!("{}\t{}\t{tenants}\t{scope}{state}", u.name, u.role);
            }
        }
        UserCommand::Password {
            name,
            password_stdin,
        } => {
            let mut user = existing(&name)?;
            user.password_hash = password_from_stdin(password_stdin)?;
            store.put_user(&user)?;
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

/// The argon2 hash of the password on the first line of standard input.
fn password_from_stdin(password_stdin: bool) -> anyhow::Result<String> {
    if !password_stdin {
        bail!("give the password on standard input with --password-stdin (it never goes on the command line)");
    }
    let mut password = String::new();
    std::io::stdin().lock().read_line(&mut password)?;
    let password = password.trim_end_matches(['\r', '\n']);
    if password.len() < 4 {
        bail!("the password is too short (4 characters at least)");
    }
    hash_password(password).map_err(anyhow::Error::msg)
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
