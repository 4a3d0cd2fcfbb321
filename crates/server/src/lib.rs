//! The ccpulse server: HTTP API, event ingestion, the live picture pushed to wallboards, alerts
//! and the embedded web UI.
//!
//! - [`routes`]: [`router`], every route (`/api/v1/...`, `/login`, `/wall`, assets).
//! - [`auth`]: passwords, tokens, sessions, roles and the middleware that requires them.
//! - [`writer`]: the one thread that writes to the store, committing events in groups before
//!   they are acknowledged.
//! - [`hub`]: each tenant's floor, figures of today and the numbered messages streams follow.
//! - [`today`]: today's figures by the catalog's queries (the same as `ccpulse kpi`).
//! - [`error`]: the table of error codes and statuses.
//! - [`web`]: the embedded browser UI.
//!
//! [`start`] opens everything over a store; [`serve`] runs it on a listener until the
//! shutdown future resolves, so tests start it on port 0.

pub mod auth;
pub mod error;
pub mod hub;
pub mod routes;
pub mod today;
pub mod web;
pub mod writer;

use std::collections::HashMap;
use std::future::Future;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use ccpulse_live::{AlertBook, AlertEvent, Condition, Rule, Scope};
use ccpulse_metrics::Catalog;
use ccpulse_model::TenantId;
use ccpulse_store::{AlertRecord, DuckDbStore, ReportRun};
use jiff::{SignedDuration, Timestamp};
use serde::Deserialize;
use serde_json::json;

pub use error::ApiError;
pub use routes::router;

use crate::auth::AuthCache;
use crate::hub::Hub;
use crate::writer::Writer;

/// Where "now" comes from (a fixed clock in tests).
pub trait Clock: Send + Sync {
    fn now(&self) -> Timestamp;
}

/// The system clock.
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Timestamp::now()
    }
}

/// How the server runs.
#[derive(Debug, Clone, Default)]
pub struct ServerOptions {
    /// Alert rules and webhook file (`alerts.toml`); absent is fine.
    pub alerts_file: Option<PathBuf>,
    /// Where firing and resolved alerts are POSTed, besides the file's `webhook`.
    pub webhook: Option<String>,
    /// How often the figures are recomputed when nothing changes (longest waits grow, windows
    /// slide).
    pub tick: Option<Duration>,
}

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Store(#[from] ccpulse_store::StoreError),
    #[error("{path}: {reason}")]
    AlertsFile { path: String, reason: String },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AlertsFile {
    webhook: Option<String>,
    #[serde(default)]
    rule: Vec<FileRule>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileRule {
    tenant: String,
    id: Option<String>,
    when: String,
}

struct Inner {
    writer: Writer,
    hub: Arc<Hub>,
    auth: AuthCache,
    clock: Arc<dyn Clock>,
    reader: Arc<Mutex<DuckDbStore>>,
    catalog: Arc<Catalog>,
    /// Rules per tenant: from the file, then from the API.
    rules: RwLock<HashMap<String, Vec<Rule>>>,
    webhooks: Vec<String>,
    tick: Duration,
    tenants: RwLock<Vec<(String, String)>>,
    stopping: tokio::sync::watch::Sender<bool>,
}

/// What every route shares.
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

/// Contacts with no step for this long leave the live floor.
const STALE_HOURS: i64 = 12;

impl AppState {
    /// The writer.
    pub fn writer(&self) -> &Writer {
        &self.0.writer
    }

    /// The hub.
    pub fn hub(&self) -> &Hub {
        &self.0.hub
    }

    /// The authentication cache.
    pub fn auth(&self) -> &AuthCache {
        &self.0.auth
    }

    /// Now, by the server's clock.
    pub fn now(&self) -> Timestamp {
        self.0.clock.now()
    }

    /// Tenants and their time zones.
    pub fn tenants(&self) -> Vec<(String, String)> {
        self.0.tenants.read().map(|t| t.clone()).unwrap_or_default()
    }

    /// The tenant a request without one is about: `demo` when it exists, else the default.
    pub fn default_tenant(&self) -> String {
        let tenants = self.tenants();
        if tenants.iter().any(|(t, _)| t == "demo") {
            "demo".into()
        } else {
            ccpulse_model::DEFAULT_TENANT.into()
        }
    }

    /// Runs a read on the reader connection, off the async threads.
    pub async fn read<T: Send + 'static>(
        &self,
        f: impl FnOnce(&DuckDbStore, &Catalog) -> Result<T, ApiError> + Send + 'static,
    ) -> Result<T, ApiError> {
        let reader = self.0.reader.clone();
        let catalog = self.0.catalog.clone();
        tokio::task::spawn_blocking(move || {
            let mut store = reader
                .lock()
                .map_err(|_| ApiError::Internal("the reader failed earlier".into()))?;
            store.load_tenants()?;
            f(&store, &catalog)
        })
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?
    }

    /// Turns true when the server begins to stop.
    pub fn stopping(&self) -> tokio::sync::watch::Receiver<bool> {
        self.0.stopping.subscribe()
    }

    /// The alert rules of a tenant.
    pub fn rules(&self, tenant: &str) -> Vec<Rule> {
        self.0
            .rules
            .read()
            .ok()
            .and_then(|r| r.get(tenant).cloned())
            .unwrap_or_default()
    }

    /// Adds or replaces a rule.
    pub fn put_rule(&self, tenant: &str, rule: Rule) {
        if let Ok(mut r) = self.0.rules.write() {
            let list = r.entry(tenant.to_owned()).or_default();
            list.retain(|x| x.id != rule.id);
            list.push(rule);
        }
        self.hub().mark_dirty(tenant);
    }

    /// Removes a rule.
    pub fn drop_rule(&self, tenant: &str, id: &str) {
        if let Ok(mut r) = self.0.rules.write() {
            if let Some(list) = r.get_mut(tenant) {
                list.retain(|x| x.id != id);
            }
        }
        self.hub().mark_dirty(tenant);
    }
}

fn load_alerts_file(path: &std::path::Path) -> Result<Option<AlertsFile>, StartError> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(StartError::AlertsFile {
                path: path.display().to_string(),
                reason: e.to_string(),
            })
        }
    };
    toml::from_str(&text)
        .map(Some)
        .map_err(|e| StartError::AlertsFile {
            path: path.display().to_string(),
            reason: e.to_string(),
        })
}

/// Opens the server over `store`: the live floor rebuilt from the event log, the writer
/// started. Call inside a tokio runtime.
pub fn start(
    store: DuckDbStore,
    options: ServerOptions,
    clock: Arc<dyn Clock>,
) -> Result<AppState, StartError> {
    let now = clock.now();
    let catalog = ccpulse_store::kpi::load_catalog(&store)?;
    let sessions = store.sessions(now)?;
    let auth = AuthCache::new(store.users()?, store.tokens()?, sessions);
    let mut rules: HashMap<String, Vec<Rule>> = HashMap::new();
    let mut webhooks: Vec<String> = options.webhook.iter().cloned().collect();
    if let Some(path) = &options.alerts_file {
        if let Some(file) = load_alerts_file(path)? {
            webhooks.extend(file.webhook);
            for r in file.rule {
                let rule =
                    Rule::parse(&r.when, r.id.as_deref()).map_err(|e| StartError::AlertsFile {
                        path: path.display().to_string(),
                        reason: e.to_string(),
                    })?;
                today::check_rule(&store, &catalog, &r.tenant, &rule).map_err(|reason| {
                    StartError::AlertsFile {
                        path: path.display().to_string(),
                        reason: format!("alert rule `{}`: {reason}", rule.text),
                    }
                })?;
                rules.entry(r.tenant).or_default().push(rule);
            }
        }
    }
    let hub = Arc::new(Hub::default());
    let since = now
        .checked_sub(SignedDuration::from_hours(STALE_HOURS))
        .unwrap_or(now);
    let mut tenants = Vec::new();
    for t in store.tenants() {
        tenants.push((t.name.clone(), t.timezone.clone()));
        for (id, text) in store.alert_rules(&t.name)? {
            match Rule::parse(&text, Some(&id)) {
                Ok(rule) => match today::check_rule(&store, &catalog, &t.name, &rule) {
                    Ok(()) => rules.entry(t.name.clone()).or_default().push(rule),
                    Err(reason) => tracing::warn!(
                        rule = %text, tenant = %t.name, %reason,
                        "a stored alert rule cannot be evaluated: left out"
                    ),
                },
                Err(e) => tracing::warn!(error = %e, "a stored alert rule no longer parses"),
            }
        }
        // Rules firing when the server stopped are still firing: announced again only when
        // they resolve.
        let firing = store.firing_alerts(&t.name)?;
        if !firing.is_empty() {
            hub.with_alerts(&t.name, |book| *book = AlertBook::restore(firing));
        }
        if let Ok(tid) = TenantId::new(&t.name) {
            let update = writer::rebuild(&store, &tid, since);
            hub.apply(&tid, update);
        }
    }
    let reader = store.reader()?;
    let (writer, _thread) = Writer::spawn(store, hub.clone());
    Ok(AppState(Arc::new(Inner {
        writer,
        hub,
        auth,
        clock,
        reader: Arc::new(Mutex::new(reader)),
        catalog: Arc::new(catalog),
        rules: RwLock::new(rules),
        webhooks,
        tick: options.tick.unwrap_or(Duration::from_secs(5)),
        tenants: RwLock::new(tenants),
        stopping: tokio::sync::watch::channel(false).0,
    })))
}

/// Serves `state` on `listener` until `shutdown` resolves (then finishes requests in flight).
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let refresher = tokio::spawn(refresh_loop(state.clone()));
    let floor_alerts = tokio::spawn(floor_alert_loop(state.clone()));
    let scheduler = tokio::spawn(schedule_loop(state.clone()));
    let app = router(state.clone());
    let signal = async move {
        shutdown.await;
        // Open event streams end, so the graceful shutdown does not wait on them.
        state.0.stopping.send_replace(true);
    };
    let result = axum::serve(listener, app)
        .with_graceful_shutdown(signal)
        .await;
    refresher.abort();
    floor_alerts.abort();
    scheduler.abort();
    result
}

/// Generates due scheduled reports now (catching up what was missed) and every minute.
async fn schedule_loop(state: AppState) {
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
                let Some(tz) = store.tenant(&s.tenant).map(|t| t.tz.clone()) else {
                    continue;
                };
                let periods = ccpulse_report::schedule::owed(&s, &tz, now)
                    .map_err(|e| ApiError::Internal(e.to_string()))?;
                for p in periods {
                    if !store.has_report_run(&s.tenant, &s.id, &p.label)? {
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
        let path = match path {
            Ok(p) => p,
            Err(e) => {
                tracing::error!(schedule = %s.id, tenant = %s.tenant, period = %period.label, error = %e, "scheduled report failed");
                continue;
            }
        };
        let run = ReportRun {
            tenant: s.tenant.clone(),
            schedule: s.id.clone(),
            period: period.label.clone(),
            path: path.display().to_string(),
            generated_at: state.now(),
        };
        let record = run.clone();
        match state
            .writer()
            .run(move |store| store.add_report_run(&record))
            .await
        {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::error!(error = %e, "recording a scheduled report"),
            Err(e) => tracing::error!(error = %e, "recording a scheduled report"),
        }
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

/// Recomputes figures and alerts when something changed, and on every tick.
async fn refresh_loop(state: AppState) {
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
async fn floor_alert_loop(state: AppState) {
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
            dispatch_alerts(state, &tenant, events).await;
        }
    }
}

/// One round: today's figures of every tenant with a floor, then its alert rules.
pub async fn refresh(state: &AppState) {
    let _ = state.hub().take_dirty();
    let now = state.now();
    let since = now
        .checked_sub(SignedDuration::from_hours(STALE_HOURS))
        .unwrap_or(now);
    state.hub().forget_stale(since);
    let names = state
        .read(|store, _| {
            Ok(store
                .tenants()
                .into_iter()
                .map(|t| (t.name, t.timezone))
                .collect::<Vec<_>>())
        })
        .await
        .unwrap_or_default();
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
            dispatch_alerts(state, &tenant, events).await;
        }
    }
}

/// Alerts go to the history, the wallboards and the webhooks (in the background, retried).
async fn dispatch_alerts(state: &AppState, tenant: &str, events: Vec<AlertEvent>) {
    let records: Vec<AlertRecord> = events
        .iter()
        .map(|e| AlertRecord {
            seq: 0,
            tenant: tenant.to_owned(),
            rule_id: e.rule.clone(),
            rule: e.text.clone(),
            scope: e.scope.clone(),
            state: e.state.to_owned(),
            value: e.value,
            at: e.at,
        })
        .collect();
    match state
        .writer()
        .run(move |store| store.add_alert_records(&records))
        .await
    {
        Ok(Ok(())) => {}
        Ok(Err(e)) => tracing::error!(error = %e, "writing the alert history"),
        Err(e) => tracing::error!(error = %e, "writing the alert history"),
    }
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
async fn post_webhook(url: String, body: serde_json::Value) {
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
