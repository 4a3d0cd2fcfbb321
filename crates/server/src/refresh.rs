//! Keeping the wall current: today's figures recomputed by the catalog's queries after
//! changes (settled) and on every tick, the alert rules judged over them; rules over figures
//! of now judged on every floor change without a query.

use std::collections::BTreeMap;

use std::time::Duration;

use ccpulse_live::{Condition, Rule, Scope};
use ccpulse_model::TenantId;
use jiff::SignedDuration;

use crate::state::STALE_HOURS;
use crate::{alerts, today, AppState};

/// Recomputes figures and alerts when something changed, and on every tick.
pub(crate) async fn refresh_loop(state: AppState) {
    let mut last = Duration::ZERO;
    loop {
        let woken = tokio::time::timeout(state.0.tick, state.hub().dirty.notified()).await;
        if woken.is_ok() {
            // Let a burst of commits settle into one recomputation, and under a steady stream
            // keep today's queries to a tenth of the time: they grow with the day's contacts,
            // and ingestion shares the cores with them. Seed 001 asks for fresh figures at
            // least every 15 s, so the pause never makes a round longer than 12 s. (The floor
            // is pushed on every commit regardless; only today's figures and alerts wait.)
            let pause = (last * 9).min(Duration::from_secs(12).saturating_sub(last));
            tokio::time::sleep(Duration::from_millis(100).max(pause)).await;
        }
        let started = std::time::Instant::now();
        refresh(&state).await;
        last = started.elapsed();
    }
}

/// Evaluates the rules over figures of now alone (`waiting > 10`, `agents_idle = 0 while
/// waiting > 0`) whenever the floor changes: no query, so no change waits for today's figures.
pub(crate) async fn floor_alert_loop(state: AppState) {
    loop {
        state.hub().floor_changed.notified().await;
        floor_alerts(&state).await;
    }
}

/// One evaluation of every tenant's rules over figures of now.
pub async fn floor_alerts(state: &AppState) {
    let now = state.now();
    for tenant in state.hub().tenants() {
        let rules = state.rules(&tenant);
        if !rules.iter().any(Rule::on_floor) {
            continue;
        }
        let figures = state.hub().now_figures(&tenant, now);
        let lookup = |s: &Scope, c: &Condition| today::now_figure(&figures, s, c);
        let events = state.hub().with_alerts(&tenant, |book| {
            book.evaluate_some(rules.iter().filter(|r| r.on_floor()), &lookup, now)
        });
        if !events.is_empty() {
            alerts::dispatch(state, &tenant, events).await;
        }
    }
}

/// One round: today's figures of every tenant with a floor, then its alert rules.
pub async fn refresh(state: &AppState) {
    let _ = state.hub().take_dirty();
    let now = state.now();
    let tenants = state
        .read(|store, _| Ok(store.tenants()))
        .await
        .unwrap_or_default();
    // Each tenant's limit first, so what it takes off the floor is quarantined with the
    // reason; then the server's own bound, for a tenant whose limit is longer.
    for t in &tenants {
        expire_open(state, &t.name, t.settings.open_limit_minutes, now).await;
    }
    let since = now
        .checked_sub(SignedDuration::from_hours(STALE_HOURS))
        .unwrap_or(now);
    state.hub().forget_stale(since);
    let names: Vec<(TenantId, String)> =
        tenants.into_iter().map(|t| (t.name, t.timezone)).collect();
    if let Ok(mut t) = state.0.tenants.write() {
        t.clone_from(&names);
    }
    for (tenant, tz) in &names {
        staff_now(state, tenant, tz, now).await;
    }
    for (tenant, _) in names {
        let rules = state.rules(&tenant);
        let t = tenant.clone();
        // The KPIs the rules compare; figures of now are read from the floor below.
        let conditions: Vec<(Scope, Condition)> = rules
            .iter()
            .flat_map(|r| r.conditions().map(|c| (r.scope.clone(), c.clone())))
            .filter(|(_, c)| !c.is_now())
            .collect();
        let computed = state
            .read(move |store, catalog| {
                let today = today::today(store, catalog, &t, now)?;
                let values: Vec<Option<f64>> = conditions
                    .iter()
                    .map(|(s, c)| today::figure(store, catalog, &t, s, c, now))
                    .collect();
                Ok((today, conditions, values))
            })
            .await;
        let (today, conditions, values) = match computed {
            Ok(x) => x,
            Err(e) => {
                tracing::warn!(error = %e, %tenant, "computing today's figures");
                continue;
            }
        };
        state.hub().set_today(&tenant, today);
        // Figures of now as they are after the queries, not as they were before them (the
        // floor moved on meanwhile, and its own loop may have judged them since).
        let fresh = state.hub().now_figures(&tenant, state.now());
        let lookup = |s: &Scope, c: &Condition| {
            if c.is_now() {
                return today::now_figure(&fresh, s, c);
            }
            conditions
                .iter()
                .position(|(s2, c2)| s2 == s && c2 == c)
                .and_then(|i| values[i])
        };
        let events = state
            .hub()
            .with_alerts(&tenant, |book| book.evaluate(&rules, &lookup, now));
        if !events.is_empty() {
            alerts::dispatch(state, &tenant, events).await;
        }
    }
}

/// Minutes of the intervals the wall's plans are made of.
const PLAN_MINUTES: u32 = 15;

/// Sets the agents each of `tenant`'s queues requires now: this interval of today's plan,
/// made once a day per queue (the queues with agent requests in the 8 weeks before), by
/// Erlang A with the queue's own patience for 80 % within the tenant's service-level
/// threshold, at most 85 % occupancy. A queue without the history for a forecast has none.
async fn staff_now(state: &AppState, tenant: &TenantId, tz: &str, now: jiff::Timestamp) {
    let zone = jiff::tz::TimeZone::get(tz).unwrap_or(jiff::tz::TimeZone::UTC);
    let local = now.to_zoned(zone);
    let date = local.date();
    let known = state
        .0
        .plans
        .lock()
        .map(|p| p.contains_key(&(tenant.clone(), date)))
        .unwrap_or(true);
    if !known {
        let t = tenant.clone();
        let plans = state
            .read(move |store, catalog| Ok(plans_of_day(store, catalog, &t, date)))
            .await
            .unwrap_or_default();
        if let Ok(mut p) = state.0.plans.lock() {
            // Yesterday's plans are done with.
            p.retain(|(t, d), _| t != tenant || *d == date);
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
    state.hub().set_required(tenant, required);
}

/// Each queue's required agents per interval of `date` (queues without a forecast left out).
fn plans_of_day(
    store: &ccpulse_store::DuckDbStore,
    catalog: &ccpulse_metrics::Catalog,
    tenant: &TenantId,
    date: jiff::civil::Date,
) -> BTreeMap<String, Vec<u32>> {
    use ccpulse_report::staffing::{plan_view, Patience, PlanAsk};
    let since = date
        .checked_sub(jiff::Span::new().days(56))
        .unwrap_or(date)
        .to_string();
    let until = date.to_string();
    let threshold = store
        .tenant(tenant.as_str())
        .map_or(20.0, |t| t.settings.service_level_threshold);
    let queues: Vec<String> = ccpulse_metrics::KpiQuery::parse(
        tenant.clone(),
        &ccpulse_metrics::KpiText {
            metrics: "agent_requests",
            by: Some("queue"),
            from: Some(&since),
            to: Some(&until),
            filters: &[],
        },
    )
    .ok()
    .and_then(|q| store.ask(catalog, &q).ok())
    .map(|r| {
        r.rows
            .iter()
            .filter(|row| row.values[0].unwrap_or(0.0) > 0.0)
            .filter_map(|row| row.keys.first().and_then(ccpulse_metrics::KeyValue::text))
            .collect()
    })
    .unwrap_or_default();
    let mut out = BTreeMap::new();
    for queue in queues {
        let ask = PlanAsk {
            queue: queue.clone(),
            date,
            interval_min: PLAN_MINUTES,
            weeks: 8,
            target_sl: 0.8,
            threshold_s: threshold,
            patience: Patience::Auto,
            shrinkage: 0.3,
            max_occupancy: 0.85,
        };
        match plan_view(store, catalog, store.dir(), tenant, &ask, &[]) {
            Ok(v) => {
                out.insert(
                    queue,
                    v.intervals.iter().map(|i| i.required_agents).collect(),
                );
            }
            Err(e) => tracing::debug!(%tenant, %queue, error = %e, "no staffing plan"),
        }
    }
    out
}

/// Takes off the floor the contacts of `tenant` with no step for `limit_minutes` (their end
/// never came) and quarantines each with the reason, as abandoned-unknown: the wall stops
/// counting them as waiting for hours, and `quarantine list` says what happened.
async fn expire_open(
    state: &AppState,
    tenant: &TenantId,
    limit_minutes: f64,
    now: jiff::Timestamp,
) {
    #[allow(clippy::cast_possible_truncation)]
    let limit = SignedDuration::from_secs((limit_minutes * 60.0).round() as i64);
    let before = now.checked_sub(limit).unwrap_or(now);
    let gone = state.hub().expire(tenant, before);
    if gone.is_empty() {
        return;
    }
    let rejections: Vec<ccpulse_store::NewRejection> = gone
        .iter()
        .map(|c| {
            let phase = format!("{:?}", c.phase).to_lowercase();
            ccpulse_store::NewRejection {
                tenant: tenant.to_string(),
                format: "events".into(),
                file: format!("contact {}", c.id),
                line: 0,
                field: None,
                reason: format!(
                    "no end came within {limit_minutes} minutes of its last step ({}, {phase}{}): \
                     closed as abandoned-unknown; post its end to count it",
                    c.last_at,
                    c.queue
                        .as_deref()
                        .map(|q| format!(" in queue {q}"))
                        .unwrap_or_default()
                ),
                raw: serde_json::json!({
                    "contact_id": c.id, "queue": c.queue, "channel": c.channel.as_str(),
                    "agent": c.agent, "phase": phase, "last_at": c.last_at.to_string(),
                    "outcome": "abandoned_unknown",
                })
                .to_string(),
            }
        })
        .collect();
    tracing::warn!(tenant = %tenant, contacts = rejections.len(), "open contacts expired from the floor");
    state
        .writer()
        .record("quarantining contacts whose end never came", move |store| {
            rejections.iter().try_for_each(|r| store.add_rejection(r))
        })
        .await;
}
