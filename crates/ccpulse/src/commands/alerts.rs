//! `ccpulse alerts list`: alerts that fired and resolved, newest first.

use std::process::ExitCode;

use super::{open, Done};
use crate::cli::AlertsCommand;
use crate::config::Config;

/// Runs an alerts command.
pub fn run(cfg: &Config, command: AlertsCommand) -> Done {
    let AlertsCommand::List {
        tenant,
        limit,
        json,
    } = command;
    let store = open(cfg)?;
    let records = store.alert_history(tenant.as_ref(), limit)?;
    if json {
        println!("{}", serde_json::json!({ "alerts": records }));
    } else if records.is_empty() {
        println!("no alerts");
    } else {
        for r in records {
            let value = r.value.map_or("-".into(), |v| format!("{v:.3}"));
            // The rule's id where it has one of its own.
            let rule = if r.rule_id == r.rule {
                r.rule.clone()
            } else {
                format!("{}: {}", r.rule_id, r.rule)
            };
            println!(
                "{}  {}  {:8}  {rule}  ({}, value {value})",
                r.at, r.tenant, r.state, r.scope
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
