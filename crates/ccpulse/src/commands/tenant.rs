//! `ccpulse tenant set|list`: tenants, their time zone and metric defaults.

use std::process::ExitCode;

use super::{open_any, Done};
use crate::cli::TenantCommand;
use crate::config::Config;

/// Runs a tenant command.
pub fn run(cfg: &Config, command: TenantCommand) -> Done {
    let mut store = open_any(cfg)?;
    match command {
        TenantCommand::Set {
            name,
            timezone,
            service_level_threshold,
            short_abandon,
            wait_bands,
            ultra_short_talk,
            ultra_long_factor,
            repeat_days,
            mask,
            open_limit,
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
            if let Some(b) = wait_bands {
                settings.wait_bands = ccpulse_metrics::TenantSettings::parse_wait_bands(&b)
                    .map_err(|e| anyhow::anyhow!("--wait-bands: {e}"))?;
            }
            if let Some(m) = mask {
                settings.mask_keep = ccpulse_metrics::TenantSettings::parse_mask(&m)
                    .map_err(|e| anyhow::anyhow!("--mask: {e}"))?;
            }
            for (given, field, what) in [
                (
                    ultra_short_talk,
                    &mut settings.ultra_short_talk,
                    "--ultra-short-talk",
                ),
                (
                    ultra_long_factor,
                    &mut settings.ultra_long_factor,
                    "--ultra-long-factor",
                ),
                (repeat_days, &mut settings.repeat_days, "--repeat-days"),
                (open_limit, &mut settings.open_limit_minutes, "--open-limit"),
            ] {
                if let Some(v) = given {
                    if !(v.is_finite() && v > 0.0) {
                        anyhow::bail!("{what} {v}: give a number > 0");
                    }
                    *field = v;
                }
            }
            let t = store.set_tenant(&id, timezone.as_deref(), Some(settings))?;
            let s = &t.settings;
            println!(
                "tenant {}: time zone {}, service-level threshold {} s, short abandon {} s, \
                 wait bands {} s, ultra-short talk < {} s, ultra-long talk > {} x the queue's \
                 p95, repeat within {} days, customers masked keeping {}",
                t.name,
                t.timezone,
                s.service_level_threshold,
                s.short_abandon,
                s.wait_bands_text(),
                s.ultra_short_talk,
                s.ultra_long_factor,
                s.repeat_days,
                s.mask_text()
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
                            "wait_bands": t.settings.wait_bands,
                            "ultra_short_talk": t.settings.ultra_short_talk,
                            "ultra_long_factor": t.settings.ultra_long_factor,
                            "repeat_days": t.settings.repeat_days,
                            "mask": t.settings.mask_text(),
                            "open_limit_minutes": t.settings.open_limit_minutes,
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
