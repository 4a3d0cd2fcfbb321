//! `ccpulse schedule add|list|remove`: reports the running server writes for every period.

use std::process::ExitCode;

use anyhow::bail;

use super::{lang_of, open, Done};
use crate::cli::ScheduleCommand;
use crate::config::Config;

/// Runs a schedule command.
pub fn run(cfg: &Config, command: ScheduleCommand) -> Done {
    let mut store = open(cfg)?;
    match command {
        ScheduleCommand::Add {
            report,
            tenant,
            every,
            day,
            at,
            to,
            format,
            lang,
            webhook,
            id,
        } => {
            store.ensure_tenant(&tenant)?;
            let to = ccpulse_report::schedule::check_destination(
                &to.display().to_string(),
                webhook.as_deref(),
                &cfg.reports_dir,
                &cfg.webhook_allow,
            )?;
            let s = ccpulse_store::ReportSchedule {
                tenant: tenant.to_string(),
                id: id.unwrap_or_else(|| format!("{report}-{every}")),
                report,
                every,
                day,
                at,
                out_dir: to.display().to_string(),
                format,
                lang: lang_of(cfg, lang.as_deref())?,
                webhook,
                created_at: jiff::Timestamp::now(),
            };
            ccpulse_report::schedule::validate(&s)?;
            store.put_schedule(&s)?;
            eprintln!(
                "the running server (`ccpulse serve`) writes each {} report of `{}` to {}",
                s.every, s.tenant, s.out_dir
            );
            println!("{}", s.id);
        }
        ScheduleCommand::List { tenant, json } => {
            let schedules = store.schedules(tenant.as_ref())?;
            let runs = store.report_runs(tenant.as_ref(), 100)?;
            if json {
                println!(
                    "{}",
                    serde_json::json!({ "schedules": schedules, "reports": runs })
                );
            } else {
                for s in &schedules {
                    println!(
                        "{}\t{}\t{} every {} (day {} at {}) as {} to {}",
                        s.tenant, s.id, s.report, s.every, s.day, s.at, s.format, s.out_dir
                    );
                }
                for r in &runs {
                    println!(
                        "{}\t{}\t{}\t{}\t{}",
                        r.generated_at, r.tenant, r.schedule, r.period, r.path
                    );
                }
                if schedules.is_empty() {
                    println!("no schedules");
                }
            }
        }
        ScheduleCommand::Remove { tenant, id } => {
            if !store.delete_schedule(&tenant, &id)? {
                bail!("no schedule `{id}` for tenant `{tenant}`");
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
