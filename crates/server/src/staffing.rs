//! The agents each queue requires now, for the wall and the `staffing_gap` rules: every
//! queue's plan for the day, made once a day in the background (one read of the store per
//! queue, so a provider's many queues never hold the reader or the refresher for long), and
//! this interval's figure of each handed to the hub every half minute.

use std::collections::BTreeMap;
use std::time::Duration;

use ccpulse_model::TenantId;
use jiff::civil::Date;

use crate::AppState;

/// Minutes of the intervals the wall's plans are made of.
const PLAN_MINUTES: u32 = 15;

/// How often this interval's requirement is handed to the hub.
const EVERY: Duration = Duration::from_secs(30);

pub(crate) async fn staffing_loop(state: AppState) {
    loop {
        staff_all(&state).await;
        tokio::time::sleep(EVERY).await;
    }
}

/// Sets every tenant's requirement now (making the day's plans first where missing).
pub async fn staff_all(state: &AppState) {
    let now = state.now();
    for (tenant, tz) in state.tenants() {
        let zone = jiff::tz::TimeZone::get(&tz).unwrap_or(jiff::tz::TimeZone::UTC);
        let local = now.to_zoned(zone);
        let date = local.date();
        let known = state
            .0
            .plans
            .lock()
            .map(|p| p.contains_key(&(tenant.clone(), date)))
            .unwrap_or(true);
        if !known {
            let plans = plans_of_day(state, &tenant, date).await;
            if let Ok(mut p) = state.0.plans.lock() {
                // Yesterday's plans are done with.
                p.retain(|(t, d), _| *t != tenant || *d == date);
                p.insert((tenant.clone(), date), plans);
            }
        }
        let minute =
            u32::try_from(i32::from(local.hour()) * 60 + i32::from(local.minute())).unwrap_or(0);
        let slot = (minute / PLAN_MINUTES) as usize;
        let required: BTreeMap<String, u64> = state
            .0
            .plans
            .lock()
            .ok()
            .and_then(|p| {
                p.get(&(tenant.clone(), date)).map(|queues| {
                    queues
                        .iter()
                        .filter_map(|(q, r)| r.get(slot).map(|n| (q.clone(), u64::from(*n))))
                        .collect()
                })
            })
            .unwrap_or_default();
        state.hub().set_required(&tenant, required);
    }
}

/// Each queue's required agents per interval of `date`: the queues with agent requests in the
/// 8 weeks before, each planned by Erlang A with its own patience for 80 % within the tenant's
/// service-level threshold at 85 % occupancy at most (queues without a forecast left out).
async fn plans_of_day(
    state: &AppState,
    tenant: &TenantId,
    date: Date,
) -> BTreeMap<String, Vec<u32>> {
    let t = tenant.clone();
    let queues = state
        .read(move |store, catalog| {
            let since = date
                .checked_sub(jiff::Span::new().days(56))
                .unwrap_or(date)
                .to_string();
            let until = date.to_string();
            let q = ccpulse_metrics::KpiQuery::parse(
                t.clone(),
                &ccpulse_metrics::KpiText {
                    metrics: "agent_requests",
                    by: Some("queue"),
                    from: Some(&since),
                    to: Some(&until),
                    filters: &[],
                },
            )
            .map_err(ccpulse_store::StoreError::from)?;
            let threshold = store
                .tenant(t.as_str())
                .map_or(20.0, |x| x.settings.service_level_threshold);
            let queues: Vec<String> = store
                .ask(catalog, &q)?
                .rows
                .iter()
                .filter(|row| row.values[0].unwrap_or(0.0) > 0.0)
                .filter_map(|row| row.keys.first().and_then(ccpulse_metrics::KeyValue::text))
                .collect();
            Ok((queues, threshold))
        })
        .await;
    let (queues, threshold) = match queues {
        Ok(q) => q,
        Err(e) => {
            tracing::warn!(%tenant, error = %e, "listing the queues to plan");
            return BTreeMap::new();
        }
    };
    let mut out = BTreeMap::new();
    for queue in queues {
        let ask = ccpulse_report::staffing::PlanAsk {
            queue: queue.clone(),
            date,
            interval_min: PLAN_MINUTES,
            weeks: 8,
            target_sl: 0.8,
            threshold_s: threshold,
            patience: ccpulse_report::staffing::Patience::Auto,
            shrinkage: 0.3,
            max_occupancy: 0.85,
        };
        let t = tenant.clone();
        let plan = state
            .read(move |store, catalog| {
                Ok(
                    ccpulse_report::staffing::plan_view(store, catalog, store.dir(), &t, &ask, &[])
                        .map(|v| {
                            v.intervals
                                .iter()
                                .map(|i| i.required_agents)
                                .collect::<Vec<_>>()
                        }),
                )
            })
            .await;
        match plan {
            Ok(Ok(required)) => {
                out.insert(queue, required);
            }
            Ok(Err(e)) => tracing::debug!(%tenant, %queue, error = %e, "no staffing plan"),
            Err(e) => tracing::warn!(%tenant, %queue, error = %e, "planning a queue"),
        }
    }
    out
}
