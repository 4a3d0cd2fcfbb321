//! What every route and loop shares ([`AppState`]: the writer, the hub, the reader
//! connection, the catalog, the alert rules), and [`start`], which opens it over a store.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use ccpulse_live::{AlertBook, Rule};
use ccpulse_metrics::Catalog;
use ccpulse_model::TenantId;
use ccpulse_store::DuckDbStore;
use jiff::{SignedDuration, Timestamp};

use crate::auth::AuthCache;
use crate::hub::Hub;
use crate::writer::{self, Writer};
use crate::{alerts, today, ApiError};

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
    /// The folder schedules write inside (default: `reports` in the data directory).
    pub reports_dir: Option<PathBuf>,
    /// URL prefixes a schedule's webhook may start with (none: no schedule webhooks).
    pub webhook_allow: Vec<String>,
    /// How far ahead of the server's clock a posted event may be (default 5 minutes).
    pub future_skew: Option<Duration>,
    /// What the server takes from clients: timeouts, connections, bodies.
    pub limits: crate::conn::Limits,
    /// The store the API's figures come from, when not the data directory's: contacts the
    /// server writes go on to it (see [`crate::forward`]).
    pub analytics: Option<ccpulse_store::ClickHouseStore>,
}

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Store(#[from] ccpulse_store::StoreError),
    #[error("{path}: {reason}")]
    AlertsFile { path: String, reason: String },
}

pub(crate) struct Inner {
    pub(crate) writer: Writer,
    pub(crate) hub: Arc<Hub>,
    pub(crate) auth: AuthCache,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) reader: Arc<Mutex<DuckDbStore>>,
    /// Where figures are asked, when not the reader (see [`ServerOptions::analytics`]).
    pub(crate) analytics: Option<Arc<Mutex<ccpulse_store::ClickHouseStore>>>,
    pub(crate) catalog: Arc<Catalog>,
    /// Rules per tenant: from the file, then from the API.
    pub(crate) rules: RwLock<HashMap<TenantId, Vec<Rule>>>,
    pub(crate) webhooks: Vec<String>,
    pub(crate) tick: Duration,
    pub(crate) tenants: RwLock<Vec<(TenantId, String)>>,
    pub(crate) stopping: tokio::sync::watch::Sender<bool>,
    /// Who asked what: every API request, every login.
    pub(crate) audit: ccpulse_store::audit::AuditLog,
    pub(crate) reports_dir: PathBuf,
    pub(crate) webhook_allow: Vec<String>,
    pub(crate) future_skew: Duration,
    pub(crate) limits: crate::conn::Limits,
    pub(crate) body_budget: crate::conn::BodyBudget,
    /// Today's staffing plans: by tenant and date, each queue's required agents per
    /// 15-minute interval (made once a day by the refresher).
    pub(crate) plans: Mutex<StaffingPlans>,
}

/// Each queue's required agents per interval, by tenant and date.
pub(crate) type StaffingPlans =
    HashMap<(TenantId, jiff::civil::Date), std::collections::BTreeMap<String, Vec<u32>>>;

/// What every route shares.
#[derive(Clone)]
pub struct AppState(pub(crate) Arc<Inner>);

/// Contacts with no step for this long leave the live floor.
pub(crate) const STALE_HOURS: i64 = 12;

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

    /// The audit log.
    pub fn audit(&self) -> &ccpulse_store::audit::AuditLog {
        &self.0.audit
    }

    /// Where schedules may write and call: the reports folder and the webhook allow-list.
    pub fn destinations(&self) -> (&std::path::Path, &[String]) {
        (&self.0.reports_dir, &self.0.webhook_allow)
    }

    /// How far ahead of the server's clock a posted event may be.
    pub fn future_skew(&self) -> jiff::SignedDuration {
        jiff::SignedDuration::try_from(self.0.future_skew)
            .unwrap_or(jiff::SignedDuration::from_secs(300))
    }

    /// What the server takes from clients.
    pub fn limits(&self) -> &crate::conn::Limits {
        &self.0.limits
    }

    /// Reads a request's body within the server's limits (see [`crate::conn::read_body`]).
    pub(crate) async fn read_body(
        &self,
        method: &axum::http::Method,
        headers: &axum::http::HeaderMap,
        body: axum::body::Body,
    ) -> Result<(axum::body::Bytes, crate::conn::BodyShare), crate::ApiError> {
        crate::conn::read_body(&self.0.limits, &self.0.body_budget, method, headers, body).await
    }

    /// Now, by the server's clock.
    pub fn now(&self) -> Timestamp {
        self.0.clock.now()
    }

    /// Tenants and their time zones.
    pub fn tenants(&self) -> Vec<(TenantId, String)> {
        self.0.tenants.read().map(|t| t.clone()).unwrap_or_default()
    }

    /// Remembers a tenant the writer just made (posted events name it), before the next
    /// refresh reads the list again.
    pub fn note_tenant(&self, tenant: &TenantId) {
        if let Ok(mut t) = self.0.tenants.write() {
            if !t.iter().any(|(n, _)| n == tenant) {
                t.push((tenant.clone(), ccpulse_model::DEFAULT_TIMEZONE.to_owned()));
            }
        }
    }

    /// Whether `tenant` exists.
    pub fn knows_tenant(&self, tenant: &TenantId) -> bool {
        self.0
            .tenants
            .read()
            .is_ok_and(|t| t.iter().any(|(n, _)| n == tenant))
    }

    /// The tenant a request without one is about: `demo` when it exists, else the default.
    pub fn default_tenant(&self) -> TenantId {
        let tenants = self.tenants();
        match tenants.into_iter().find(|(t, _)| t == "demo") {
            Some((demo, _)) => demo,
            None => TenantId::default_tenant(),
        }
    }

    /// Asks the store the figures come from (ClickHouse when the server has one, else the
    /// reader), off the async threads.
    pub async fn ask<T: Send + 'static>(
        &self,
        f: impl FnOnce(&dyn ccpulse_store::Store, &Catalog) -> Result<T, ApiError> + Send + 'static,
    ) -> Result<T, ApiError> {
        let Some(analytics) = self.0.analytics.clone() else {
            return self.read(move |store, catalog| f(store, catalog)).await;
        };
        let catalog = self.0.catalog.clone();
        tokio::task::spawn_blocking(move || {
            let mut store = analytics
                .lock()
                .map_err(|_| ApiError::Internal("the analytics store failed earlier".into()))?;
            // Tenants the server made since.
            store.load_tenants()?;
            f(&*store, &catalog)
        })
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?
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
    pub fn rules(&self, tenant: &TenantId) -> Vec<Rule> {
        self.0
            .rules
            .read()
            .ok()
            .and_then(|r| r.get(tenant).cloned())
            .unwrap_or_default()
    }

    /// Adds or replaces a rule.
    pub fn put_rule(&self, tenant: &TenantId, rule: Rule) {
        if let Ok(mut r) = self.0.rules.write() {
            let list = r.entry(tenant.to_owned()).or_default();
            list.retain(|x| x.id != rule.id);
            list.push(rule);
        }
        self.hub().mark_dirty(tenant);
    }

    /// Removes a rule.
    pub fn drop_rule(&self, tenant: &TenantId, id: &str) {
        if let Ok(mut r) = self.0.rules.write() {
            if let Some(list) = r.get_mut(tenant) {
                list.retain(|x| x.id != id);
            }
        }
        self.hub().mark_dirty(tenant);
    }
}

/// Opens the server over `store`: the live floor rebuilt from the event log, the writer
/// started. Call inside a tokio runtime.
pub fn start(
    mut store: DuckDbStore,
    options: ServerOptions,
    clock: Arc<dyn Clock>,
) -> Result<AppState, StartError> {
    // Questions of whole days (the explore page's views, reports) from day rollups; every
    // reader made below inherits this.
    store.use_rollups(true);
    let now = clock.now();
    let catalog = store.catalog()?;
    let sessions = store.sessions(now)?;
    let auth = AuthCache::new(store.users()?, store.tokens()?, sessions);
    let mut rules: HashMap<TenantId, Vec<Rule>> = HashMap::new();
    let mut webhooks: Vec<String> = options.webhook.iter().cloned().collect();
    if let Some(path) = &options.alerts_file {
        if let Some(file) = alerts::load_file(path)? {
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
        let update = writer::rebuild(&store, &t.name, since);
        hub.apply(&t.name, update);
    }
    let reader = store.reader()?;
    let audit = ccpulse_store::audit::AuditLog::new(store.dir());
    let reports_dir = options
        .reports_dir
        .clone()
        .unwrap_or_else(|| store.dir().join("reports"));
    let forward = match &options.analytics {
        Some(ch) => Some(
            crate::forward::spawn(store.reader()?, ch.clone()).map_err(|e| {
                ccpulse_store::StoreError::Invalid(format!("cannot start the forwarder: {e}"))
            })?,
        ),
        None => None,
    };
    let (writer, _thread) = Writer::spawn_forwarding(store, hub.clone(), forward);
    Ok(AppState(Arc::new(Inner {
        writer,
        hub,
        auth,
        clock,
        reader: Arc::new(Mutex::new(reader)),
        analytics: options.analytics.map(|a| Arc::new(Mutex::new(a))),
        catalog: Arc::new(catalog),
        rules: RwLock::new(rules),
        webhooks,
        tick: options.tick.unwrap_or(Duration::from_secs(5)),
        tenants: RwLock::new(tenants),
        stopping: tokio::sync::watch::channel(false).0,
        audit,
        reports_dir,
        webhook_allow: options.webhook_allow.clone(),
        future_skew: options.future_skew.unwrap_or(Duration::from_secs(300)),
        body_budget: crate::conn::BodyBudget::new(options.limits.body_memory),
        plans: Mutex::new(HashMap::new()),
        limits: options.limits,
    })))
}
