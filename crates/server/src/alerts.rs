//! Alerts leaving the server: the rules and webhook of `alerts.toml`, and every firing or
//! resolved alert written to the history, pushed to the wallboards and POSTed to the webhooks
//! (in the background, retried with backoff).

use std::time::Duration;

use ccpulse_live::AlertEvent;
use ccpulse_model::TenantId;
use ccpulse_store::AlertRecord;
use serde::Deserialize;
use serde_json::json;

use crate::{AppState, StartError};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AlertsFile {
    pub(crate) webhook: Option<String>,
    #[serde(default)]
    pub(crate) rule: Vec<FileRule>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FileRule {
    pub(crate) tenant: TenantId,
    pub(crate) id: Option<String>,
    pub(crate) when: String,
}

/// `alerts.toml`, if there is one.
pub(crate) fn load_file(path: &std::path::Path) -> Result<Option<AlertsFile>, StartError> {
    let invalid = |reason: String| StartError::AlertsFile {
        path: path.display().to_string(),
        reason,
    };
    let read = ccpulse_store::files::read_optional(path).map_err(|e| match e {
        ccpulse_store::StoreError::File { error, .. } => invalid(error.to_string()),
        other => invalid(other.to_string()),
    })?;
    match read {
        None => Ok(None),
        Some((_, text)) => toml::from_str(&text)
            .map(Some)
            .map_err(|e| invalid(e.to_string())),
    }
}

/// Alerts go to the history, the wallboards and the webhooks (in the background, retried).
pub(crate) async fn dispatch(state: &AppState, tenant: &TenantId, events: Vec<AlertEvent>) {
    let records: Vec<AlertRecord> = events
        .iter()
        .map(|e| AlertRecord {
            seq: 0,
            tenant: tenant.to_string(),
            rule_id: e.rule.clone(),
            rule: e.text.clone(),
            scope: e.scope.clone(),
            state: e.state.to_owned(),
            value: e.value,
            at: e.at,
        })
        .collect();
    state
        .writer()
        .record("writing the alert history", move |store| {
            store.add_alert_records(&records)
        })
        .await;
    for e in events {
        let body = json!({
            "tenant": tenant,
            "rule": e.rule,
            "text": e.text,
            "scope": e.scope,
            "state": e.state,
            "value": e.value,
            "at": e.at.to_string(),
        });
        state.hub().publish(tenant, "alert", body.clone());
        for url in &state.0.webhooks {
            tokio::spawn(post_webhook(url.clone(), body.clone()));
        }
    }
}

/// POSTs an alert, retrying with backoff (1, 2, 4, 8, 16 s) until the receiver takes it.
pub(crate) async fn post_webhook(url: String, body: serde_json::Value) {
    let mut delay = Duration::from_secs(1);
    let body = body.to_string();
    for attempt in 1..=6 {
        let (u, b) = (url.clone(), body.clone());
        let sent = tokio::task::spawn_blocking(move || {
            let agent: ureq::Agent = ureq::Agent::config_builder()
                .timeout_global(Some(Duration::from_secs(10)))
                .http_status_as_error(false)
                .build()
                .into();
            agent
                .post(&u)
                .header("content-type", "application/json")
                .send(b.as_bytes())
                .map(|r| r.status().as_u16())
        })
        .await;
        match sent {
            Ok(Ok(status)) if (200..300).contains(&status) => return,
            Ok(Ok(status)) => tracing::warn!(%url, status, attempt, "webhook refused"),
            Ok(Err(e)) => tracing::warn!(%url, error = %e, attempt, "webhook failed"),
            Err(e) => tracing::warn!(%url, error = %e, attempt, "webhook task failed"),
        }
        tokio::time::sleep(delay).await;
        delay *= 2;
    }
    tracing::error!(%url, "webhook gave up after 6 attempts");
}
