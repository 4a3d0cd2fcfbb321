//! `ccpulse audit list|verify`, and the audit record of every command that touches data.

use std::process::ExitCode;

use ccpulse_store::audit::{AuditFilter, AuditLog};
use clap::ArgMatches;
use serde_json::json;

use super::Done;
use crate::cli::AuditCommand;
use crate::config::Config;

/// Who runs the command: the operating-system user.
fn actor() -> String {
    let user = std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .unwrap_or_else(|_| "unknown".to_owned());
    format!("cli:{user}")
}

/// The command line with the values of secret flags replaced by `***`.
fn sanitized(args: &[String]) -> Vec<String> {
    let secret = |a: &str| {
        let a = a.to_ascii_lowercase();
        a.starts_with("--")
            && ["password", "secret", "token"]
                .iter()
                .any(|s| a.contains(s))
    };
    let mut out = Vec::with_capacity(args.len());
    let mut hide_next = false;
    for a in args {
        if hide_next {
            out.push("***".to_owned());
            hide_next = false;
        } else if let Some((flag, _)) = a.split_once('=').filter(|(f, _)| secret(f)) {
            out.push(format!("{flag}=***"));
        } else {
            hide_next = secret(a) && !a.contains('=');
            out.push(a.clone());
        }
    }
    out
}

/// Records this invocation (`cli import`, `cli user add`, ...) before it runs, from the
/// command line's `matches`.
pub fn record_invocation(cfg: &Config, matches: &ArgMatches) -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut names = vec!["cli".to_owned()];
    let mut tenant = None;
    let mut m = matches;
    while let Some((name, sub)) = m.subcommand() {
        names.push(name.to_owned());
        if let Ok(Some(mut raw)) = sub.try_get_raw("tenant") {
            tenant = raw.next().map(|t| t.to_string_lossy().into_owned());
        }
        m = sub;
    }
    AuditLog::new(&cfg.data)
        .record(
            &actor(),
            &names.join(" "),
            tenant.as_deref(),
            json!({ "args": sanitized(&args) }),
        )
        .map_err(|e| anyhow::anyhow!("{e}: the command is not run unrecorded"))?;
    Ok(())
}

/// `ccpulse audit`.
pub fn run(cfg: &Config, command: AuditCommand) -> Done {
    let log = AuditLog::new(&cfg.data);
    match command {
        AuditCommand::Verify => match log.verify() {
            Ok(v) => {
                println!(
                    "audit log intact: {} records, head {}",
                    v.records, v.head_hash
                );
                Ok(ExitCode::SUCCESS)
            }
            Err(e) => {
                eprintln!("audit log broken: {e}");
                Ok(ExitCode::from(1))
            }
        },
        AuditCommand::List {
            since,
            actor,
            action,
            tenant,
            limit,
            json,
        } => {
            let records = log.list(&AuditFilter {
                since,
                actor,
                action,
                tenant,
                limit: Some(limit),
            })?;
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&json!({ "records": records }))?
                );
            } else {
                for r in &records {
                    println!(
                        "{}\t{}\t{}\t{}\t{}\t{}",
                        r.seq,
                        r.at,
                        r.actor,
                        r.action,
                        r.tenant.as_deref().unwrap_or("-"),
                        r.detail
                    );
                }
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_reach_the_log() {
        let args: Vec<String> = [
            "user",
            "add",
            "ann",
            "--password",
            "hunter2",
            "--token=abc",
            "--role",
            "admin",
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
        assert_eq!(
            sanitized(&args),
            [
                "user",
                "add",
                "ann",
                "--password",
                "***",
                "--token=***",
                "--role",
                "admin"
            ]
        );
    }
}
