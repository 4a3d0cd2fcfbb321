//! `ccpulse tenant set|list`: tenants, their time zone and metric defaults.

use std::process::ExitCode;

use super::{open, Done};
use crate::cli::TenantCommand;
use crate::config::Config;

/// Runs a tenant command.
pub fn run(cfg: &Config, command: TenantCommand) -> Done {
    let mut store = open(cfg)?;
    match command {
        TenantCommand::Set {
            name,
            timezone,
            service_level_threshold,
            short_abandon,
        } => {
            let id = name;
            let before = store.ensure_tenant(&id)?;
            let mut settings = before.settings.clone();
            if let Some(t) = service_level_threshold {
                settings.service_level_threshold = t;
            }
            if let Some(s) = short_abandon {
                settings.short_abandon = s;
            }
            let t = store.set_tenant(&id, timezone.as_deref(), Some(settings))?;
            println!(
                "tenant {}: time zone {}, service-level threshold {} s, short abandon {} s",
                t.name, t.timezone, t.settings.service_level_threshold, t.settings.short_abandon
            );
        }
        TenantCommand::List { json } => {
            let tenants = store.tenants();
            if json {
                let v: Vec<_> = tenants
                    .iter()
                    .map(|t| {
                        serde_json::json!({
                            "name": t.name, "timezone": t.timezone,
                            "service_level_threshold": t.settings.service_level_threshold,
                            "short_abandon": t.settings.short_abandon,
                        })
                    })
                    .collect();
                println!(
                    "{}",
                    serde_json::to_string_pretty(&serde_json::json!({ "tenants": v }))?
                );
            } else {
                for t in tenants {
                    println!(
                        "{}\t{}\t{} s\t{} s",
                        t.name,
                        t.timezone,
                        t.settings.service_level_threshold,
                        t.settings.short_abandon
                    );
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
