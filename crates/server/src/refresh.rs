//! Keeping the wall current: today's figures recomputed by the catalog's queries after
//! changes (settled) and on every tick, the alert rules judged over them; rules over figures
//! of now judged on every floor change without a query.

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
