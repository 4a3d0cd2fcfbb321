//! Scheduled reports: every minute (and at start, catching up what was missed while the
//! server was down), each report a schedule owes and has not made is generated, recorded
//! through the writer and announced to the schedule's webhook.

use std::time::Duration;

use ccpulse_store::ReportRun;
use serde_json::{json, Value};

use crate::alerts::post_webhook;
use crate::{ApiError, AppState};

/// Generates due scheduled reports now (catching up what was missed) and every minute.
pub(crate) async fn schedule_loop(state: AppState) {
    loop {
        run_due_reports(&state).await;
        tokio::time::sleep(Duration::from_secs(60)).await;
    }
}

/// Generates every report a schedule owes and has not made yet; what was made.
pub async fn run_due_reports(state: &AppState) -> Vec<ReportRun> {
    let now = state.now();
    let owed = state
        .read(move |store, _| {
            let mut owed = Vec::new();
            for s in store.schedules(None)? {
                let Some((tenant, tz)) = store
                    .tenant(&s.tenant)
                    .map(|t| (t.name.clone(), t.tz.clone()))
                else {
                    continue;
                };
                let periods = ccpulse_report::schedule::owed(&s, &tz, now)
                    .map_err(|e| ApiError::Internal(e.to_string()))?;
                for p in periods {
                    if !store.has_report_run(&tenant, &s.id, &p.label)? {
                        owed.push((s.clone(), p));
                    }
                }
            }
            Ok(owed)
        })
        .await;
    let owed = match owed {
        Ok(o) => o,
        Err(e) => {
            tracing::error!(error = %e, "reading report schedules");
            return Vec::new();
        }
    };
    let mut made = Vec::new();
    for (s, period) in owed {
        let (sched, p) = (s.clone(), period.clone());
        let path = state
            .read(move |store, catalog| {
                ccpulse_report::schedule::generate(store, catalog, &sched, &p)
                    .map_err(|e| ApiError::Internal(e.to_string()))
            })
            .await;
        let detail = |outcome: Value| {
            let mut d = json!({
                "schedule": s.id, "report": s.report, "period": period.label,
                "format": s.format, "webhook": s.webhook.is_some(),
            });
            for (k, v) in outcome.as_object().into_iter().flatten() {
                d[k] = v.clone();
            }
            d
        };
        let path = match path {
            Ok(p) => p,
            Err(e) => {
                tracing::error!(schedule = %s.id, tenant = %s.tenant, period = %period.label, error = %e, "scheduled report failed");
                audit_run(
                    state,
                    &s.tenant,
                    detail(json!({"ok": false, "error": e.to_string()})),
                );
                continue;
            }
        };
        audit_run(
            state,
            &s.tenant,
            detail(json!({"ok": true, "path": path.display().to_string()})),
        );
        let run = ReportRun {
            tenant: s.tenant.clone(),
            schedule: s.id.clone(),
            period: period.label.clone(),
            path: path.display().to_string(),
            generated_at: state.now(),
        };
        let record = run.clone();
        state
            .writer()
            .record("recording a scheduled report", move |store| {
                store.add_report_run(&record)
            })
            .await;
        tracing::info!(schedule = %s.id, tenant = %s.tenant, period = %period.label, path = %run.path, "scheduled report written");
        if let Some(url) = &s.webhook {
            let body = json!({
                "tenant": run.tenant, "schedule": run.schedule, "report": s.report,
                "period": run.period, "path": run.path, "generated_at": run.generated_at.to_string(),
            });
            tokio::spawn(post_webhook(url.clone(), body));
        }
        made.push(run);
    }
    made
}

/// A scheduled report's run in the audit log (actor `scheduler`); a log that cannot be
/// written is logged as an error (the report itself is kept).
fn audit_run(state: &AppState, tenant: &str, detail: Value) {
    if let Err(e) = state
        .audit()
        .record("scheduler", "report run", Some(tenant), detail)
    {
        tracing::error!(error = %e, "the audit log cannot be written");
    }
}
