//! The HTTP routes: `/api/v1/...` behind authentication, the login and wallboard pages and
//! their assets.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, FromRequestParts, Path, Query, State};
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::middleware;
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{delete, get, post};
use axum::{Extension, Json, Router};
use ccpulse_ingest::events::{parse_event, split_body, EventError};
use ccpulse_live::Rule;
use ccpulse_metrics::{DrillQuery, DrillText, KpiQuery, KpiText};
use ccpulse_model::TenantId;
use ccpulse_store::DuckDbStore;
use futures_util::stream::{self, Stream};
use serde::Deserialize;
use serde_json::{json, Value};
use tokio::sync::broadcast::error::RecvError;

use crate::auth::{self, Permission, Principal};
use crate::error::ApiError;
use crate::hub::Message;
use crate::{web, AppState};

/// Largest request body by default (a batch of events); `max_body_mb` sets the server's.
pub const BODY_LIMIT: usize = 64 * 1024 * 1024;

/// Every route of the server.
pub fn router(state: AppState) -> Router {
    let api = Router::new()
        .route("/logout", post(logout))
        .route("/me", get(me))
        .route("/tenants", get(tenants))
        .route("/events", post(post_events))
        .route("/live", get(live))
        .route("/live/stream", get(live_stream))
        .route("/kpi", get(kpi))
        .route("/metrics", get(metrics))
        .route("/agents", get(agents))
        .route("/topics", get(topics))
        .route("/channels", get(channels))
        .route("/staffing", get(staffing))
        .route("/contacts", get(contacts))
        .route("/contacts/{id}", get(contact))
        .route("/templates", get(templates).post(put_template))
        .route("/templates/{name}", get(template).delete(delete_template))
        .route("/alerts", get(alert_history))
        .route("/alerts/rules", get(alert_rules).post(put_alert_rule))
        .route("/alerts/rules/{id}", delete(delete_alert_rule))
        .route("/standards", get(standards).put(put_standards))
        .route("/reports", get(reports))
        .route("/reports/generate", get(generate_report))
        .route("/reports/file", get(report_file))
        .route("/reports/schedules", post(put_schedule))
        .route("/reports/schedules/{id}", delete(delete_schedule))
        .route("/audit", get(audit_log))
        .route("/health", get(health))
        .route("/tokens", get(token_list))
        .route("/tokens/{id}", delete(revoke_token))
        .route("/users", get(user_list))
        .route("/users/{name}", delete(remove_user).put(set_user))
        // Inner: the audit record of every request, once its principal is known.
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            crate::audit::record_request,
        ))
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            auth::require_principal,
        ))
        // Before anybody is known, a sign-in's body is read within the same limits.
        .route(
            "/login",
            post(login).layer(middleware::from_fn_with_state(state.clone(), bounded_body)),
        );
    Router::new()
        .nest("/api/v1", api)
        .route("/", get(|| async { Redirect::to("/wall") }))
        .route("/wall", get(|| async { web::asset("/wall.html") }))
        .route("/explore", get(|| async { web::asset("/explore.html") }))
        .route("/reports", get(|| async { web::asset("/reports.html") }))
        .route("/staffing", get(|| async { web::asset("/staffing.html") }))
        .route("/login", get(|| async { web::asset("/login.html") }))
        .route(
            "/assets/{*path}",
            get(|Path(path): Path<String>| async move { web::asset(&format!("/assets/{path}")) }),
        )
        .route("/healthz", get(|| async { "ok" }))
        .layer(middleware::from_fn(security_headers))
        .layer(DefaultBodyLimit::max(state.limits().max_body))
        .with_state(state)
}

/// Reads a request's body within the server's limits before its handler runs.
async fn bounded_body(
    State(state): State<AppState>,
    req: axum::extract::Request,
    next: middleware::Next,
) -> Response {
    let (parts, body) = req.into_parts();
    match state.read_body(&parts.method, &parts.headers, body).await {
        Ok((bytes, share)) => {
            let res = next
                .run(axum::extract::Request::from_parts(parts, bytes.into()))
                .await;
            drop(share);
            res
        }
        Err(e) => e.into_response(),
    }
}

/// What every answer carries: pages run only their own scripts, talk only to this server and
/// are never framed; no type is sniffed.
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
    style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'; \
    object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

async fn security_headers(req: axum::extract::Request, next: middleware::Next) -> Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.insert(
        axum::http::header::CONTENT_SECURITY_POLICY,
        axum::http::HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    h.insert(
        axum::http::header::X_FRAME_OPTIONS,
        axum::http::HeaderValue::from_static("DENY"),
    );
    h.insert(
        axum::http::header::X_CONTENT_TYPE_OPTIONS,
        axum::http::HeaderValue::from_static("nosniff"),
    );
    h.insert(
        axum::http::header::REFERRER_POLICY,
        axum::http::HeaderValue::from_static("no-referrer"),
    );
    res
}

#[derive(Deserialize)]
struct TenantQuery {
    tenant: Option<String>,
}

/// Who asks and about which tenant: the authenticated principal and the request's `tenant`
/// query parameter. Every route that reads or changes a tenant's data goes through
/// [`Asker::tenant`], which checks the role's permission and then the tenant's scope.
struct Asker {
    p: Principal,
    tenant: Option<String>,
}

impl FromRequestParts<AppState> for Asker {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &AppState) -> Result<Self, ApiError> {
        let p = parts
            .extensions
            .get::<Principal>()
            .cloned()
            .ok_or(ApiError::Unauthenticated)?;
        let Query(q) = Query::<TenantQuery>::try_from_uri(&parts.uri)
            .map_err(|e| ApiError::BadQuery(e.body_text()))?;
        Ok(Self {
            p,
            tenant: q.tenant,
        })
    }
}

impl Asker {
    /// As [`Asker::tenant`], for views of the whole tenant that cannot be cut to a scope (the
    /// operations, scorecard and quality reports): refused to a user whose scope is narrower.
    fn whole_tenant(&self, state: &AppState, need: Permission) -> Result<TenantId, ApiError> {
        let t = self.tenant(state, need)?;
        if self.p.scope.is_limited() {
            return Err(ApiError::Forbidden(
                "this report covers the whole tenant; your access is limited to some queues, \
                 regions or an agent: ask for figures, contacts, agents, topics, channels or a \
                 template's report"
                    .into(),
            ));
        }
        Ok(t)
    }

    /// The filters the caller's scope adds to every question about contacts.
    fn scope_filters(&self) -> Vec<ccpulse_metrics::Filter> {
        crate::scope::filters(&self.p.scope)
    }

    /// Whether one contact (as its card shows it) lies in the caller's scope.
    fn sees(&self, contact: &Value) -> bool {
        crate::scope::sees(&self.p.scope, contact)
    }

    /// How customers leave the store for this caller: hidden from roles that see no personal
    /// data, shown when an unmask was asked (and allowed), masked otherwise.
    fn reveal(&self, unmask: bool) -> ccpulse_store::Reveal {
        if self.p.role.hides_customers() {
            ccpulse_store::Reveal::Hidden
        } else if unmask {
            ccpulse_store::Reveal::Shown
        } else {
            ccpulse_store::Reveal::Masked
        }
    }

    /// The tenant of a live-floor request: the floor may be cut to queues, not to provinces
    /// or an agent.
    fn floor_tenant(&self, state: &AppState) -> Result<TenantId, ApiError> {
        let t = self.tenant(state, Permission::Floor)?;
        if let Some(why) = crate::scope::floor_refusal(&self.p.scope) {
            return Err(ApiError::Forbidden(why.into()));
        }
        Ok(t)
    }

    /// The floor snapshot as this caller may see it.
    fn floor(&self, snap: Value) -> Value {
        match &self.p.scope.queues {
            Some(q) => crate::scope::cut_floor(snap, q),
            None => snap,
        }
    }

    /// The tenant the request is about, once the caller is known to `need` this permission:
    /// as asked, else the caller's first, else `demo` when it exists, else the default
    /// tenant; checked against what the caller may see.
    fn tenant(&self, state: &AppState, need: Permission) -> Result<TenantId, ApiError> {
        self.p.require(need)?;
        let t = match (&self.tenant, &self.p.tenants) {
            (Some(asked), _) => TenantId::new(asked),
            (None, Some(list)) if !list.is_empty() => TenantId::new(&list[0]),
            (None, _) => Ok(state.default_tenant()),
        }
        .map_err(|e| ApiError::BadRequest(format!("tenant: {e}")))?;
        self.p.tenant(&t)?;
        // Posting events makes a tenant; everything else is about one that exists.
        if need != Permission::Ingest && !state.knows_tenant(&t) {
            return Err(ApiError::NotFound(format!("unknown tenant `{t}`")));
        }
        Ok(t)
    }
}

/// The client's address, when the server was started with it (tests calling the router
/// directly have none).
struct ClientAddr(Option<std::net::IpAddr>);

impl FromRequestParts<AppState> for ClientAddr {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &AppState) -> Result<Self, ApiError> {
        Ok(Self(
            parts
                .extensions
                .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
                .map(|c| c.0.ip()),
        ))
    }
}

#[derive(Deserialize)]
struct LoginBody {
    name: String,
    password: String,
}

async fn login(
    State(state): State<AppState>,
    ClientAddr(addr): ClientAddr,
    headers: HeaderMap,
    Json(body): Json<LoginBody>,
) -> Result<Response, ApiError> {
    // At most 5 failures a minute per user name and per address, then 429 and Retry-After.
    let mut keys = vec![format!("user:{}", body.name)];
    if let Some(ip) = addr {
        keys.push(format!("addr:{ip}"));
    }
    let now = state.now();
    if let Err(secs) = state.auth().login_allowed(&keys, now) {
        state
            .audit()
            .record(
                &body.name,
                "login",
                None,
                json!({ "ok": false, "limited": true }),
            )
            .map_err(|e| ApiError::Internal(format!("audit log: {e}")))?;
        return Err(ApiError::TooManyLogins(secs));
    }
    let user = state.auth().user(&body.name).filter(|u| !u.disabled);
    let hash = user.as_ref().map(|u| u.password_hash.clone());
    let ok = tokio::task::spawn_blocking(move || {
        hash.is_some_and(|h| auth::verify_password(&body.password, &h))
    })
    .await
    .map_err(|e| ApiError::Internal(e.to_string()))?;
    let audit = |ok: bool| {
        state
            .audit()
            .record(&body.name, "login", None, json!({ "ok": ok }))
            .map_err(|e| ApiError::Internal(format!("audit log: {e}")))
    };
    let Some(user) = user.filter(|_| ok) else {
        audit(false)?;
        state.auth().login_failed(&keys, now);
        return Err(ApiError::BadLogin);
    };
    audit(true)?;
    let session = auth::new_secret();
    let hash = auth::secret_hash(&session);
    let expires = state
        .now()
        .checked_add(jiff::SignedDuration::from_hours(auth::SESSION_HOURS))
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    let (h, u) = (hash.clone(), user.name.clone());
    state
        .writer()
        .run(move |store| store.add_session(&h, &u, expires))
        .await??;
    state.auth().put_session(hash, user.name.clone(), expires);
    // Behind a proxy that ends TLS (it says so in X-Forwarded-Proto) the cookie is only ever
    // sent over HTTPS.
    let secure = headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("https"));
    let cookie = format!(
        "{}={session}; HttpOnly; SameSite=Strict; Path=/; Max-Age={}{}",
        auth::SESSION_COOKIE,
        auth::SESSION_HOURS * 3600,
        if secure { "; Secure" } else { "" }
    );
    Ok((
        [(SET_COOKIE, cookie)],
        Json(json!({"user": user.name, "role": user.role})),
    )
        .into_response())
}

async fn logout(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, ApiError> {
    if let Some(s) = auth::session_cookie(&headers) {
        let hash = auth::secret_hash(&s);
        state.auth().drop_session(&hash);
        state
            .writer()
            .run(move |store| store.delete_session(&hash))
            .await??;
    }
    let cookie = format!(
        "{}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0",
        auth::SESSION_COOKIE
    );
    Ok(([(SET_COOKIE, cookie)], StatusCode::NO_CONTENT).into_response())
}

async fn me(Extension(p): Extension<Principal>) -> Json<Value> {
    Json(
        json!({"user": p.user, "role": format!("{:?}", p.role).to_lowercase(), "tenants": p.tenants}),
    )
}

async fn tenants(
    State(state): State<AppState>,
    Extension(p): Extension<Principal>,
) -> Result<Json<Value>, ApiError> {
    if p.require(Permission::Figures).is_err() {
        p.require(Permission::Platform)?;
    }
    let list: Vec<Value> = state
        .tenants()
        .into_iter()
        .filter(|(name, _)| p.tenant(name).is_ok())
        .map(|(name, tz)| json!({"name": name, "timezone": tz}))
        .collect();
    Ok(Json(json!({ "tenants": list })))
}

/// Events of one request handed to the writer at once: a large body is parsed and written in
/// groups of this many, so what it takes in memory beyond its own bytes does not grow with
/// it. (A request cut short after some groups is answered with an error; sent again, the
/// written events are duplicates and nothing is counted twice.)
const REQUEST_GROUP: usize = 10_000;

async fn post_events(
    State(state): State<AppState>,
    asker: Asker,
    body: Bytes,
) -> Result<Response, ApiError> {
    let tenant = asker.tenant(&state, Permission::Ingest)?;
    let items = split_body(&body).map_err(ApiError::BadRequest)?;
    let mut errors = Vec::new();
    let mut report = crate::writer::IngestReport::default();
    // An event from further ahead than the clocks may differ is a sender's mistake: refused
    // now rather than counted as waiting for hours.
    let horizon = state
        .now()
        .checked_add(state.future_skew())
        .unwrap_or_else(|_| state.now());
    for (g, group) in items.chunks(REQUEST_GROUP).enumerate() {
        let base = g * REQUEST_GROUP;
        let mut good = Vec::with_capacity(group.len());
        let mut places = Vec::with_capacity(group.len());
        for (i, bytes) in (base..).zip(group) {
            match parse_event(bytes, i, &tenant) {
                Ok(e) if e.event.at > horizon => errors.push(EventError {
                    index: i,
                    id: Some(e.event.id.clone()),
                    field: Some("at".into()),
                    reason: format!(
                        "{} is more than {} s ahead of the server's clock ({}): check the sender's clock",
                        e.event.at,
                        state.future_skew().as_secs(),
                        state.now()
                    ),
                }),
                Ok(e) => {
                    good.push(e);
                    places.push(i);
                }
                Err(e) => errors.push(e),
            }
        }
        if good.is_empty() {
            continue;
        }
        let part = state.writer().ingest(tenant.clone(), good).await?;
        state.note_tenant(&tenant);
        report.accepted += part.accepted;
        report.duplicates += part.duplicates;
        for r in part.refused {
            errors.push(EventError {
                index: places.get(r.position).copied().unwrap_or(base + r.position),
                id: Some(r.id),
                field: r.field,
                reason: r.reason,
            });
        }
    }
    errors.sort_by_key(|e| e.index);
    if errors.is_empty() {
        return Ok((StatusCode::ACCEPTED, Json(json!(report))).into_response());
    }
    let message = format!(
        "{} of {} events refused (the other {} are kept): {}",
        errors.len(),
        items.len(),
        report.accepted + report.duplicates,
        errors[0]
    );
    Ok((
        StatusCode::BAD_REQUEST,
        Json(json!({
            "error": {"code": "invalid_events", "message": message},
            "accepted": report.accepted,
            "duplicates": report.duplicates,
            "errors": errors,
        })),
    )
        .into_response())
}

async fn live(State(state): State<AppState>, asker: Asker) -> Result<Json<Value>, ApiError> {
    let tenant = asker.floor_tenant(&state)?;
    Ok(Json(
        asker.floor(state.hub().snapshot(&tenant, state.now())),
    ))
}

fn sse(m: &Message) -> SseEvent {
    SseEvent::default()
        .id(m.id.to_string())
        .event(m.event)
        .data(&m.json)
}

struct StreamState {
    state: AppState,
    tenant: TenantId,
    rx: tokio::sync::broadcast::Receiver<Arc<Message>>,
    /// The queues a scoped caller sees: each change then comes as the whole floor cut to
    /// them (a change message may speak of other queues).
    cut: Option<Vec<String>>,
    /// Turns true when the server stops: the stream ends so shutdown need not wait for it.
    stop: tokio::sync::watch::Receiver<bool>,
    queue: VecDeque<SseEvent>,
    last: u64,
}

fn snapshot_event(state: &AppState, tenant: &TenantId, cut: Option<&[String]>) -> (u64, SseEvent) {
    let mut snap = state.hub().snapshot(tenant, state.now());
    if let Some(queues) = cut {
        snap = crate::scope::cut_floor(snap, queues);
    }
    let seq = snap["seq"].as_u64().unwrap_or(0);
    (
        seq,
        SseEvent::default()
            .id(seq.to_string())
            .event("snapshot")
            .data(snap.to_string()),
    )
}

async fn live_stream(
    State(state): State<AppState>,
    asker: Asker,
    headers: HeaderMap,
) -> Result<Sse<impl Stream<Item = Result<SseEvent, Infallible>>>, ApiError> {
    let tenant = asker.floor_tenant(&state)?;
    let cut = asker.p.scope.queues.clone();
    let last_id = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    // Subscribe first, then read the backlog: nothing falls between the two.
    let rx = state.hub().subscribe();
    let mut queue = VecDeque::new();
    let backlog = last_id
        .filter(|_| cut.is_none())
        .and_then(|id| state.hub().since(&tenant, id).map(|b| (id, b)));
    let last = match backlog {
        Some((id, backlog)) => {
            let mut last = id;
            for m in backlog {
                last = last.max(m.id);
                queue.push_back(sse(&m));
            }
            last
        }
        None => {
            let (seq, ev) = snapshot_event(&state, &tenant, cut.as_deref());
            queue.push_back(ev);
            seq
        }
    };
    let stop = state.stopping();
    let st = StreamState {
        state,
        tenant,
        rx,
        cut,
        stop,
        queue,
        last,
    };
    let s = stream::unfold(st, |mut st| async move {
        loop {
            if let Some(ev) = st.queue.pop_front() {
                return Some((Ok(ev), st));
            }
            let received = {
                let recv = Box::pin(st.rx.recv());
                let stop = Box::pin(st.stop.wait_for(|stopping| *stopping));
                match futures_util::future::select(recv, stop).await {
                    futures_util::future::Either::Left((r, _)) => r,
                    futures_util::future::Either::Right(_) => return None,
                }
            };
            match received {
                Ok(m) if m.tenant == st.tenant && m.id > st.last => {
                    if st.cut.is_some() {
                        let (seq, ev) = snapshot_event(&st.state, &st.tenant, st.cut.as_deref());
                        st.last = seq.max(m.id);
                        return Some((Ok(ev), st));
                    }
                    st.last = m.id;
                    return Some((Ok(sse(&m)), st));
                }
                Ok(_) => {}
                Err(RecvError::Lagged(_)) => {
                    // Too slow to follow every change: start again from the whole picture.
                    let (seq, ev) = snapshot_event(&st.state, &st.tenant, st.cut.as_deref());
                    st.last = seq;
                    return Some((Ok(ev), st));
                }
                Err(RecvError::Closed) => return None,
            }
        }
    });
    Ok(Sse::new(s).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}

/// Agents against the median of their team or queue: `period`, `by` (team or queue),
/// `metrics`, `threshold`, `min_handled`, `lang`, `format` (json or csv).
async fn agents(
    State(state): State<AppState>,
    asker: Asker,
    Query(params): Query<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    use ccpulse_report::agents::{build, Group, Options};
    let p = Params(params);
    let bad = |e: ccpulse_report::ReportError| ApiError::BadQuery(e.to_string());
    let number = |key: &str, default: f64| -> Result<f64, ApiError> {
        p.get(key).map_or(Ok(default), |v| {
            v.parse::<f64>()
                .ok()
                .filter(|x| x.is_finite() && *x >= 0.0)
                .ok_or_else(|| ApiError::BadQuery(format!("{key} `{v}`: a number of at least 0")))
        })
    };
    let defaults = Options::default();
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let options = Options {
        group: Group::parse(p.get("by").unwrap_or("team")).map_err(bad)?,
        metrics: p.get("metrics").unwrap_or(&defaults.metrics).to_owned(),
        threshold: number("threshold", defaults.threshold)?,
        min_handled: number("min_handled", defaults.min_handled as f64)? as u64,
    };
    let view = period_view(
        &state,
        &asker,
        &p,
        move |store, catalog, tenant, period, scope, lang| {
            build(store, catalog, tenant, period, scope, &options, lang)
        },
    )
    .await?;
    answer_view(&asker, &p, "agents", view.to_json(), || view.to_csv())
}

/// Hot topics of a period: categories of contacts and complaints by volume, their change on
/// the previous period, the risers (`?tenant=&period=&limit=&format=json|csv&lang=`).
async fn topics(
    State(state): State<AppState>,
    asker: Asker,
    Query(params): Query<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let p = Params(params);
    let limit = p.limit(10, 1000)?;
    let view = period_view(
        &state,
        &asker,
        &p,
        move |store, catalog, tenant, period, scope, lang| {
            ccpulse_report::topics::build(store, catalog, tenant, period, scope, limit, lang)
        },
    )
    .await?;
    answer_view(&asker, &p, "topics", view.to_json(), || view.to_csv())
}

/// Channel efficiency of a period (`?tenant=&period=&format=json|csv&lang=`).
async fn channels(
    State(state): State<AppState>,
    asker: Asker,
    Query(params): Query<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let p = Params(params);
    let view = period_view(&state, &asker, &p, ccpulse_report::channels::build).await?;
    answer_view(&asker, &p, "channels", view.to_json(), || view.to_csv())
}

/// A day's staffing plan for a queue (`?tenant=&queue=&date=&target_sl=0.8&threshold=20&
/// patience=auto|SECONDS&shrinkage=0.3&max_occupancy=0.85&interval=15min&weeks=8&
/// format=json|csv|xlsx&lang=`); `date` is today (the tenant's) when absent.
async fn staffing(
    State(state): State<AppState>,
    asker: Asker,
    Query(params): Query<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    use ccpulse_report::staffing::{check_plan, interval_minutes, plan_view, Patience, PlanAsk};
    let p = Params(params);
    let tenant = asker.tenant(&state, Permission::Figures)?;
    let scope = asker.scope_filters();
    let queue = p
        .get("queue")
        .ok_or_else(|| ApiError::BadQuery("queue: missing".into()))?
        .to_owned();
    crate::scope::staffing_refusal(&scope, &queue)?;
    let number = |key: &str, default: f64| -> Result<f64, ApiError> {
        p.get(key).map_or(Ok(default), |v| {
            v.parse()
                .map_err(|_| ApiError::BadQuery(format!("{key}: `{v}` is not a number")))
        })
    };
    let date = match p.get("date") {
        Some(d) => d.parse().map_err(|_| {
            ApiError::BadQuery(format!("date: `{d}` is not a date like 2026-11-23"))
        })?,
        None => {
            let tz = state
                .tenants()
                .into_iter()
                .find(|(t, _)| *t == tenant)
                .map_or_else(|| "Asia/Shanghai".to_owned(), |(_, tz)| tz);
            let zone = jiff::tz::TimeZone::get(&tz).unwrap_or(jiff::tz::TimeZone::UTC);
            state.now().to_zoned(zone).date()
        }
    };
    let ask = PlanAsk {
        queue,
        date,
        interval_min: interval_minutes(p.get("interval").unwrap_or("15min"))
            .map_err(asked_badly)?,
        weeks: match p.get("weeks") {
            None => 8,
            Some(w) => w
                .parse()
                .ok()
                .filter(|n| (1..=52).contains(n))
                .ok_or_else(|| ApiError::BadQuery(format!("weeks `{w}`: a number from 1 to 52")))?,
        },
        target_sl: number("target_sl", 0.8)?,
        threshold_s: number("threshold", 20.0)?,
        patience: match p.get("patience") {
            None | Some("" | "none") => Patience::None,
            Some("auto") => Patience::Auto,
            Some(_) => Patience::Seconds(number("patience", 0.0)?),
        },
        shrinkage: number("shrinkage", 0.3)?,
        max_occupancy: number("max_occupancy", 0.85)?,
    };
    check_plan(&ask).map_err(asked_badly)?;
    let lang = ccpulse_report::Lang::parse(&p.lang());
    let format = p.export_by(&asker)?;
    let view = state
        .read(move |store, catalog| {
            plan_view(store, catalog, store.dir(), &tenant, &ask, &scope).map_err(asked_badly)
        })
        .await?;
    match format {
        Export::Json => Ok(Json(view.to_json()).into_response()),
        other => export("staffing", other, || view.to_csv(), || view.document(lang)),
    }
}

/// A view of the tenant over the request's `period` in its `lang`, cut to the caller's scope,
/// built on the reader.
async fn period_view<V: Send + 'static>(
    state: &AppState,
    asker: &Asker,
    p: &Params,
    build: impl FnOnce(
            &dyn ccpulse_store::Store,
            &ccpulse_metrics::Catalog,
            &TenantId,
            &ccpulse_report::Period,
            &[ccpulse_metrics::Filter],
            ccpulse_report::Lang,
        ) -> Result<V, ccpulse_report::ReportError>
        + Send
        + 'static,
) -> Result<V, ApiError> {
    let tenant = asker.tenant(state, Permission::Reports)?;
    let scope = asker.scope_filters();
    let period = ccpulse_report::Period::parse(
        p.get("period")
            .ok_or_else(|| ApiError::BadQuery("period: missing".into()))?,
    )
    .map_err(|e| ApiError::BadQuery(e.to_string()))?;
    let lang = ccpulse_report::Lang::parse(&p.lang());
    state
        .ask(move |store, catalog| {
            build(store, catalog, &tenant, &period, &scope, lang).map_err(asked_badly)
        })
        .await
}

/// A view as JSON, or as a CSV download named `name` (`format=csv`).
fn answer_view(
    asker: &Asker,
    p: &Params,
    name: &str,
    json: Value,
    csv: impl FnOnce() -> Result<String, csv::Error>,
) -> Result<Response, ApiError> {
    match p.export_by(asker)? {
        Export::Json => Ok(Json(json).into_response()),
        _ => Ok(download(
            name,
            "csv",
            "text/csv; charset=utf-8",
            csv()
                .map_err(|e| ApiError::Internal(format!("writing CSV: {e}")))?
                .into_bytes(),
        )),
    }
}

/// Every API token (admins of every tenant): id, user, label, made.
async fn token_list(State(state): State<AppState>, asker: Asker) -> Result<Json<Value>, ApiError> {
    require_platform_admin(&asker)?;
    let tokens = state.read(|store, _| Ok(store.token_list()?)).await?;
    Ok(Json(json!({ "tokens": tokens })))
}

/// Revokes a token at once (admins of every tenant): a leaked token stops working without a
/// restart.
async fn revoke_token(
    State(state): State<AppState>,
    asker: Asker,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    require_platform_admin(&asker)?;
    let wanted = id.clone();
    let revoked = state
        .writer()
        .run(move |store| store.revoke_token(&wanted))
        .await?
        .map_err(|e| match e {
            ccpulse_store::StoreError::Invalid(m) => ApiError::BadRequest(m),
            other => other.into(),
        })?;
    let hash = revoked.ok_or_else(|| ApiError::NotFound(format!("no token `{id}`")))?;
    state.auth().remove_token(&hash);
    Ok(Json(json!({ "revoked": id })))
}

/// Every user (admins of every tenant): name, role, tenants; never a password hash.
async fn user_list(State(state): State<AppState>, asker: Asker) -> Result<Json<Value>, ApiError> {
    require_platform_admin(&asker)?;
    let users = state.read(|store, _| Ok(store.users()?)).await?;
    let users: Vec<Value> = users.iter().map(ccpulse_store::User::to_json).collect();
    Ok(Json(json!({ "users": users })))
}

/// Removes a user with their tokens and sessions, refused at once (admins of every tenant;
/// not oneself).
async fn remove_user(
    State(state): State<AppState>,
    asker: Asker,
    Path(name): Path<String>,
) -> Result<StatusCode, ApiError> {
    require_platform_admin(&asker)?;
    if name == asker.p.user {
        return Err(ApiError::BadRequest(
            "an admin does not remove themselves".into(),
        ));
    }
    let wanted = name.clone();
    let removed = state
        .writer()
        .run(move |store| store.remove_user(&wanted))
        .await??;
    if !removed {
        return Err(ApiError::NotFound(format!("no user `{name}`")));
    }
    state.auth().remove_user(&name);
    Ok(StatusCode::NO_CONTENT)
}

/// Changes a user's role, scope or whether it is disabled, at once (admins of every tenant
/// and operators; only an admin makes or changes an admin; not oneself).
async fn set_user(
    State(state): State<AppState>,
    asker: Asker,
    Path(name): Path<String>,
    Json(c): Json<ccpulse_store::UserChange>,
) -> Result<Json<Value>, ApiError> {
    require_platform_admin(&asker)?;
    if name == asker.p.user {
        return Err(ApiError::BadRequest(
            "a user does not change their own role or scope".into(),
        ));
    }
    let mut user = state
        .auth()
        .user(&name)
        .ok_or_else(|| ApiError::NotFound(format!("no user `{name}`")))?;
    let is_admin = asker.p.role == auth::Role::Admin;
    if !is_admin && (user.role == "admin" || c.role.as_deref() == Some("admin")) {
        return Err(ApiError::Forbidden(
            "only an admin makes or changes an admin".into(),
        ));
    }
    for name in c.tenants.iter().flatten().filter(|n| !n.trim().is_empty()) {
        TenantId::new(name.trim()).map_err(|e| ApiError::BadRequest(format!("tenants: {e}")))?;
    }
    user.apply(c);
    auth::Role::of_user(&user).map_err(ApiError::BadRequest)?;
    let stored = user.clone();
    state
        .writer()
        .run(move |store| store.put_user(&stored))
        .await??;
    state.auth().put_user(user.clone());
    Ok(Json(json!({ "user": user.to_json() })))
}

/// Tokens and users span tenants: only an admin of every tenant or an operator manages them.
fn require_platform_admin(asker: &Asker) -> Result<(), ApiError> {
    asker.p.require(Permission::Users)?;
    if asker.p.tenants.is_some() {
        return Err(ApiError::Forbidden(
            "tokens are managed by an admin of every tenant".into(),
        ));
    }
    Ok(())
}

/// The audit log (admins; an admin of some tenants sees their records and logins):
/// `?since=&actor=&action=&tenant=&limit=` (newest `limit`, default 1000).
async fn audit_log(
    State(state): State<AppState>,
    asker: Asker,
    Query(params): Query<Vec<(String, String)>>,
) -> Result<Json<Value>, ApiError> {
    asker.p.require(Permission::Audit)?;
    let p = Params(params);
    let limit = p.limit(1000, 100_000)?;
    let filter = ccpulse_store::audit::AuditFilter {
        since: p.get("since").map(str::to_owned),
        actor: p.get("actor").map(str::to_owned),
        action: p.get("action").map(str::to_owned),
        tenant: p.get("tenant").map(str::to_owned),
        limit: None,
    };
    let mut records = state
        .audit()
        .list(&filter)
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    if let Some(mine) = &asker.p.tenants {
        records.retain(|r| r.tenant.as_ref().is_some_and(|t| mine.contains(t)));
    }
    let skip = records.len().saturating_sub(limit);
    let records: Vec<Value> = records
        .into_iter()
        .skip(skip)
        .map(|r| serde_json::to_value(r).unwrap_or(Value::Null))
        .collect();
    Ok(Json(json!({ "records": records })))
}

/// The platform's health (operators and admins of every tenant): each tenant's counts and
/// newest arrivals, the audit log's length; nothing of any contact.
async fn health(State(state): State<AppState>, asker: Asker) -> Result<Json<Value>, ApiError> {
    asker.p.require(Permission::Platform)?;
    if asker.p.tenants.is_some() {
        return Err(ApiError::Forbidden(
            "the platform's health is for operators and admins of every tenant".into(),
        ));
    }
    let tenants = state.read(|store, _| Ok(store.tenant_health()?)).await?;
    let audit = state
        .audit()
        .last_seq()
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(Json(json!({
        "version": env!("CARGO_PKG_VERSION"),
        "at": state.now().to_string(),
        "tenants": tenants,
        "audit_records": audit,
    })))
}

/// The catalog: metrics with labels and formulas, `by` items with labels.
async fn metrics(State(state): State<AppState>, asker: Asker) -> Result<Json<Value>, ApiError> {
    asker.tenant(&state, Permission::Figures)?;
    state.read(|_, catalog| Ok(Json(catalog.to_json()))).await
}

/// A request's query parameters, repeatable ones (`filter`) included.
struct Params(Vec<(String, String)>);

impl Params {
    /// The first value of `key`.
    /// `limit`: `default` when absent, else a whole number from 1 to `max`.
    fn limit(&self, default: usize, max: usize) -> Result<usize, ApiError> {
        self.get("limit").map_or(Ok(default), |v| {
            v.parse::<usize>()
                .ok()
                .filter(|n| (1..=max).contains(n))
                .ok_or_else(|| ApiError::BadQuery(format!("limit `{v}`: a number from 1 to {max}")))
        })
    }

    fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(n, _)| n == key)
            .map(|(_, v)| v.as_str())
    }

    /// Every value of `key`, in order.
    fn all(&self, key: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(n, _)| n == key)
            .map(|(_, v)| v.clone())
            .collect()
    }

    fn flag(&self, key: &str) -> bool {
        self.get(key).is_some_and(|v| v == "true" || v == "1")
    }

    /// `format`: json (the default), csv or xlsx.
    fn format(&self) -> Result<Export, ApiError> {
        match self.get("format") {
            None | Some("json") => Ok(Export::Json),
            Some("csv") => Ok(Export::Csv),
            Some("xlsx") => Ok(Export::Xlsx),
            Some(other) => Err(ApiError::BadQuery(format!(
                "format `{other}`: use json, csv or xlsx"
            ))),
        }
    }

    /// `format` as [`Params::format`], a download only for a caller that may export.
    fn export_by(&self, asker: &Asker) -> Result<Export, ApiError> {
        let f = self.format()?;
        if f != Export::Json {
            asker.p.require(Permission::Export)?;
        }
        Ok(f)
    }

    /// `lang`: zh-CN unless `en...`.
    fn lang(&self) -> String {
        self.get("lang").unwrap_or("zh-CN").to_owned()
    }
}

/// What a view is answered as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Export {
    Json,
    Csv,
    Xlsx,
}

/// A download named `name.ext`.
fn download(name: &str, ext: &str, mime: &str, body: Vec<u8>) -> Response {
    (
        [
            (CONTENT_TYPE, mime.to_owned()),
            (
                CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}.{ext}\""),
            ),
        ],
        body,
    )
        .into_response()
}

/// A view as a CSV or XLSX download (`doc` is its document, for XLSX).
fn export(
    name: &str,
    format: Export,
    csv: impl FnOnce() -> Result<String, csv::Error>,
    doc: impl FnOnce() -> ccpulse_report::doc::Document,
) -> Result<Response, ApiError> {
    Ok(match format {
        Export::Xlsx => download(
            name,
            "xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            ccpulse_report::xlsx::render(&doc())
                .map_err(|e| ApiError::Internal(format!("writing XLSX: {e}")))?,
        ),
        _ => download(
            name,
            "csv",
            "text/csv; charset=utf-8",
            csv()
                .map_err(|e| ApiError::Internal(format!("writing CSV: {e}")))?
                .into_bytes(),
        ),
    })
}

async fn kpi(
    State(state): State<AppState>,
    asker: Asker,
    Query(params): Query<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let tenant = asker.tenant(&state, Permission::Figures)?;
    let p = Params(params);
    let metrics = p
        .get("metrics")
        .ok_or_else(|| ApiError::BadQuery("metrics: missing".into()))?;
    let filters = p.all("filter");
    let lang = p.lang();
    let (explain, format) = (p.flag("explain"), p.export_by(&asker)?);
    let text = KpiText {
        metrics,
        by: p.get("by"),
        from: p.get("from"),
        to: p.get("to"),
        filters: &filters,
    };
    let mut q = KpiQuery::parse(tenant, &text).map_err(|e| ApiError::BadQuery(e.to_string()))?;
    q.fill = p.flag("fill");
    // A scoped caller's figures count only the contacts of its scope.
    q.filters.extend(asker.scope_filters());
    let r = state
        .ask(move |store, catalog| Ok(store.ask(catalog, &q)?))
        .await?;
    if format == Export::Json {
        return Ok(Json(r.to_json(&lang, explain)).into_response());
    }
    let title = r
        .query
        .metrics
        .iter()
        .map(|m| m.label(&lang))
        .collect::<Vec<_>>()
        .join(" · ");
    let range = format!(
        "{} – {}",
        p.get("from").unwrap_or("…"),
        p.get("to").unwrap_or("…")
    );
    let l = ccpulse_report::Lang::parse(&lang);
    export(
        "kpi",
        format,
        || r.to_csv(),
        || ccpulse_report::view::kpi_document(&r, &title, &range, l),
    )
}

/// The contacts behind a figure: `metric`, `part`, the range and filters as `kpi` takes
/// them, `sort`, `limit` (at most 10,000) and `offset`. Customers are masked unless the
/// caller's role may see them.
async fn contacts(
    State(state): State<AppState>,
    asker: Asker,
    Query(params): Query<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let tenant = asker.tenant(&state, Permission::Contacts)?;
    let p = Params(params);
    let unmask = unmask_asked(&asker, &p)?;
    let filters = p.all("filter");
    let text = DrillText {
        metric: p
            .get("metric")
            .ok_or_else(|| ApiError::BadQuery("metric: missing".into()))?,
        part: p.get("part"),
        from: p.get("from"),
        to: p.get("to"),
        filters: &filters,
        sort: p.get("sort"),
        limit: p.get("limit"),
        offset: p.get("offset"),
    };
    let format = p.export_by(&asker)?;
    let mut q = DrillQuery::parse(tenant, &text).map_err(|e| ApiError::BadQuery(e.to_string()))?;
    q.filters.extend(asker.scope_filters());
    let title = format!("{} · {}", q.metric.written, q.part.name());
    let shown = unmask.is_some();
    let reveal = asker.reveal(shown);
    let d = state
        .ask(move |store, catalog| Ok(store.drill(catalog, &q, reveal)?))
        .await?;
    let note = crate::audit::AuditNote(json!({
        "format": format!("{format:?}").to_lowercase(), "rows": d.rows.len(), "total": d.total,
        "unmasked": shown, "reason": unmask,
    }));
    let mut res = if format == Export::Json {
        Json(d.to_json()).into_response()
    } else {
        let l = ccpulse_report::Lang::parse(&p.lang());
        export(
            "contacts",
            format,
            || d.to_csv(),
            || ccpulse_report::view::contacts_document(&d, &title, l),
        )?
    };
    res.extensions_mut().insert(note);
    Ok(res)
}

/// Whether the request asks for customers unmasked (`unmask=true&reason=...`), and may: the
/// reason, which goes into the audit log. Masked unless asked, whatever the role.
fn unmask_asked(asker: &Asker, p: &Params) -> Result<Option<String>, ApiError> {
    if !p.flag("unmask") {
        return Ok(None);
    }
    asker.p.require(Permission::Unmask)?;
    match p.get("reason").map(str::trim) {
        Some(r) if !r.is_empty() => Ok(Some(r.to_owned())),
        _ => Err(ApiError::BadQuery(
            "unmask: give the reason (reason=...): it goes into the audit log".into(),
        )),
    }
}

/// One contact whole with its timeline.
async fn contact(
    State(state): State<AppState>,
    asker: Asker,
    Path(id): Path<String>,
    Query(params): Query<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let tenant = asker.tenant(&state, Permission::Contacts)?;
    let unmask = unmask_asked(&asker, &Params(params))?;
    let wanted = id.clone();
    let shown = unmask.is_some();
    let reveal = asker.reveal(shown);
    let card = state
        .read(move |store, _| Ok(store.contact_card(&tenant, &wanted, reveal)?))
        .await?;
    let card = card
        .map(|c| c.to_json())
        .filter(|c| asker.sees(&c["contact"]))
        .ok_or_else(|| ApiError::NotFound(format!("no contact `{id}`")))?;
    let mut res = Json(card).into_response();
    res.extensions_mut().insert(crate::audit::AuditNote(json!({
        "contact": id, "unmasked": shown, "reason": unmask,
    })));
    Ok(res)
}

#[derive(Deserialize)]
struct HistoryQuery {
    limit: Option<u32>,
}

async fn alert_history(
    State(state): State<AppState>,
    asker: Asker,
    Query(q): Query<HistoryQuery>,
) -> Result<Json<Value>, ApiError> {
    let tenant = asker.tenant(&state, Permission::Figures)?;
    let limit = q.limit.unwrap_or(200).min(10_000);
    let records = state
        .writer()
        .run(move |store| store.alert_history(Some(&tenant), limit))
        .await??;
    Ok(Json(json!({ "alerts": records })))
}

async fn alert_rules(State(state): State<AppState>, asker: Asker) -> Result<Json<Value>, ApiError> {
    let tenant = asker.tenant(&state, Permission::Figures)?;
    let rules = state.rules(&tenant);
    Ok(Json(json!({ "rules": rules })))
}

#[derive(Deserialize)]
struct RuleBody {
    id: Option<String>,
    when: String,
}

async fn put_alert_rule(
    State(state): State<AppState>,
    asker: Asker,
    Json(body): Json<RuleBody>,
) -> Result<Response, ApiError> {
    let tenant = asker.tenant(&state, Permission::Rules)?;
    // A rule's id is often its text (`waiting > 10`): comparison signs are fine (pages escape
    // them), paths are not.
    if let Some(id) = body.id.as_deref() {
        if id.is_empty()
            || id.starts_with('.')
            || id.chars().count() > 200
            || id
                .chars()
                .any(|c| c.is_control() || matches!(c, '/' | '\\'))
        {
            return Err(ApiError::BadRequest(format!(
                "rule id `{id}`: up to 200 characters, not starting with a dot, without slashes"
            )));
        }
    }
    let rule = Rule::parse(&body.when, body.id.as_deref())
        .map_err(|e| ApiError::BadRequest(e.to_string()))?;
    let (t, checked) = (tenant.clone(), rule.clone());
    state
        .read(move |store, catalog| {
            crate::today::check_rule(store, catalog, &t, &checked).map_err(|reason| {
                ApiError::BadRequest(format!("alert rule `{}`: {reason}", checked.text))
            })
        })
        .await?;
    let (t, id, text) = (tenant.clone(), rule.id.clone(), rule.text.clone());
    state
        .writer()
        .run(move |store| store.put_alert_rule(&t, &id, &text))
        .await??;
    state.put_rule(&tenant, rule.clone());
    Ok((StatusCode::CREATED, Json(json!({ "rule": rule }))).into_response())
}

async fn delete_alert_rule(
    State(state): State<AppState>,
    asker: Asker,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let tenant = asker.tenant(&state, Permission::Rules)?;
    delete_stored(&state, &tenant, &id, DuckDbStore::delete_alert_rule, || {
        format!("no alert rule `{id}` (rules from alerts.toml are changed in the file)")
    })
    .await?;
    state.drop_rule(&tenant, &id);
    Ok(StatusCode::NO_CONTENT)
}

/// A template as the API answers it: its view as JSON.
fn template_json(t: &ccpulse_store::Template) -> Value {
    json!({
        "name": t.name,
        "owner": t.owner,
        "shared": t.shared,
        "updated_at": t.updated_at,
        "view": serde_json::from_str::<Value>(&t.view).unwrap_or(Value::Null),
    })
}

/// The tenant's templates the caller sees: shared ones and its own.
async fn templates(State(state): State<AppState>, asker: Asker) -> Result<Json<Value>, ApiError> {
    let tenant = asker.tenant(&state, Permission::Figures)?;
    let user = asker.p.user.clone();
    let list = state
        .read(move |store, _| Ok(store.templates(&tenant, Some(&user))?))
        .await?;
    let list: Vec<Value> = list.iter().map(template_json).collect();
    Ok(Json(json!({ "templates": list })))
}

async fn template(
    State(state): State<AppState>,
    asker: Asker,
    Path(name): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let tenant = asker.tenant(&state, Permission::Figures)?;
    let (user, wanted) = (asker.p.user.clone(), name.clone());
    let t = state
        .read(move |store, _| Ok(store.template(&tenant, &wanted, Some(&user))?))
        .await?;
    t.map(|t| Json(template_json(&t)))
        .ok_or_else(|| ApiError::NotFound(format!("no template `{name}`")))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TemplateBody {
    name: String,
    #[serde(default)]
    shared: bool,
    view: Value,
}

/// Saves a view under a name (replacing the caller's own template of that name).
async fn put_template(
    State(state): State<AppState>,
    asker: Asker,
    Json(b): Json<TemplateBody>,
) -> Result<Response, ApiError> {
    let tenant = asker.tenant(&state, Permission::Templates)?;
    let name = b.name.trim().to_owned();
    let view = b.view.to_string();
    let (t, text) = (tenant.clone(), view.clone());
    state
        .read(move |store, catalog| {
            ccpulse_report::view::SavedView::checked(store, catalog, &t, &text)
                .map_err(|e| ApiError::BadRequest(e.to_string()))
        })
        .await?;
    let t = ccpulse_store::Template {
        tenant: tenant.to_string(),
        name,
        owner: asker.p.user.clone(),
        shared: b.shared,
        view,
        updated_at: String::new(),
    };
    let now = state.now();
    let saved = t.clone();
    state
        .writer()
        .run(move |store| store.put_template(&tenant, &saved, now))
        .await?
        .map_err(|e| match e {
            ccpulse_store::StoreError::Invalid(m) => ApiError::BadRequest(m),
            other => other.into(),
        })?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "template": template_json(&t) })),
    )
        .into_response())
}

/// Removes one of the caller's templates (an admin may remove any).
async fn delete_template(
    State(state): State<AppState>,
    asker: Asker,
    Path(name): Path<String>,
) -> Result<StatusCode, ApiError> {
    let tenant = asker.tenant(&state, Permission::Templates)?;
    // An admin or a manager may remove anybody's; the others their own.
    let owner = (!asker.p.role.allows(Permission::Rules)).then(|| asker.p.user.clone());
    let wanted = name.clone();
    let existed = state
        .writer()
        .run(move |store| store.delete_template(&tenant, &wanted, owner.as_deref()))
        .await??;
    if existed {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound(format!("no template `{name}` of yours")))
    }
}

/// Schedules and the reports they made, newest first.
async fn reports(
    State(state): State<AppState>,
    asker: Asker,
    Query(q): Query<HistoryQuery>,
) -> Result<Json<Value>, ApiError> {
    let tenant = asker.tenant(&state, Permission::Reports)?;
    let limit = q.limit.unwrap_or(200).min(10_000);
    let (schedules, reports) = state
        .writer()
        .run(move |store| -> ccpulse_store::Result<_> {
            Ok((
                store.schedules(Some(&tenant))?,
                store.report_runs(Some(&tenant), limit)?,
            ))
        })
        .await??;
    Ok(Json(json!({ "schedules": schedules, "reports": reports })))
}

/// A report that could not be made from what was asked: the store's errors as they are,
/// the rest (an unknown report, metric or template) a 400 with the reason.
fn asked_badly(e: ccpulse_report::ReportError) -> ApiError {
    match e {
        ccpulse_report::ReportError::Store(s) => ApiError::from(s),
        other => ApiError::BadQuery(other.to_string()),
    }
}

/// The content type and disposition of a report file by its extension: HTML opens in the
/// browser, the rest download.
fn report_response(name: &str, bytes: Vec<u8>) -> Response {
    let ext = name.rsplit('.').next().unwrap_or_default();
    let mime = match ext {
        "html" => "text/html; charset=utf-8",
        "pdf" => "application/pdf",
        "json" => "application/json",
        _ => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    };
    let disposition = if ext == "html" {
        "inline"
    } else {
        "attachment"
    };
    (
        [
            (CONTENT_TYPE, mime.to_owned()),
            (
                CONTENT_DISPOSITION,
                format!("{disposition}; filename=\"{name}\""),
            ),
        ],
        bytes,
    )
        .into_response()
}

/// A report made now: `report` (operations, scorecard, quality or template:NAME), `period`
/// (2026-11, 2026-Q3, 2026, FROM..TO), `format` (html, xlsx, pdf, json), `lang`.
async fn generate_report(
    State(state): State<AppState>,
    asker: Asker,
    Query(params): Query<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let p = Params(params);
    let bad = |e: ccpulse_report::ReportError| ApiError::BadQuery(e.to_string());
    let report = p
        .get("report")
        .ok_or_else(|| ApiError::BadQuery("report: missing".into()))?
        .to_owned();
    // A template's report is cut to the caller's scope (and must be a template the caller
    // sees); the others cover the whole tenant.
    let template = report
        .strip_prefix(ccpulse_report::schedule::TEMPLATE_PREFIX)
        .map(str::to_owned);
    let tenant = if template.is_some() {
        asker.tenant(&state, Permission::Reports)?
    } else {
        asker.whole_tenant(&state, Permission::Reports)?
    };
    let scope = asker.scope_filters();
    if p.get("format").is_some_and(|f| f != "html") {
        asker.p.require(Permission::Export)?;
    }
    let period = ccpulse_report::Period::parse(
        p.get("period")
            .ok_or_else(|| ApiError::BadQuery("period: missing".into()))?,
    )
    .map_err(bad)?;
    let format = ccpulse_report::Format::parse(p.get("format").unwrap_or("html")).map_err(bad)?;
    let lang = ccpulse_report::Lang::parse(&p.lang());
    // `details`: how many complaints and dissatisfied calls the operations report lists, or
    // `all` (default 50).
    let details = match p.get("details") {
        None => Some(ccpulse_report::operations::DEFAULT_DETAILS),
        Some("all") => None,
        Some(n) => Some(n.parse::<usize>().map_err(|_| {
            ApiError::BadQuery(format!("details `{n}`: a number of contacts, or all"))
        })?),
    };
    let name = ccpulse_report::schedule::file_name(&report, tenant.as_str(), &period, format);
    let file = name.clone();
    let user = asker.p.user.clone();
    let bytes = state
        .read(move |store, catalog| {
            if let Some(t) = &template {
                if store.template(&tenant, t, Some(&user))?.is_none() {
                    return Err(ApiError::BadQuery(format!("no template `{t}`")));
                }
            }
            let asked = ccpulse_report::schedule::Asked {
                scope: &scope,
                details,
            };
            let (doc, json) = ccpulse_report::schedule::build(
                store, catalog, &tenant, &report, &period, asked, lang,
            )
            .map_err(asked_badly)?;
            let dir = tempfile::tempdir().map_err(|e| ApiError::Internal(e.to_string()))?;
            let path = dir.path().join(&file);
            ccpulse_report::write(&doc, &json, format, &path)
                .map_err(|e| ApiError::Internal(e.to_string()))?;
            std::fs::read(&path).map_err(|e| ApiError::Internal(e.to_string()))
        })
        .await?;
    Ok(report_response(&name, bytes))
}

/// A file a schedule produced, by its schedule and period (never by a path).
async fn report_file(
    State(state): State<AppState>,
    asker: Asker,
    Query(params): Query<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let tenant = asker.whole_tenant(&state, Permission::Reports)?;
    let p = Params(params);
    let (schedule, period) = (
        p.get("schedule").unwrap_or_default().to_owned(),
        p.get("period").unwrap_or_default().to_owned(),
    );
    let (s, p) = (schedule.clone(), period.clone());
    let run = state
        .writer()
        .run(move |store| store.report_run(&tenant, &s, &p))
        .await??
        .ok_or_else(|| {
            ApiError::NotFound(format!("no report of schedule `{schedule}` for `{period}`"))
        })?;
    let path = std::path::PathBuf::from(&run.path);
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let read = path.clone();
    let bytes = tokio::task::spawn_blocking(move || std::fs::read(read))
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?
        .map_err(|e| ApiError::NotFound(format!("{}: {e}", run.path)))?;
    Ok(report_response(&name, bytes))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ScheduleBody {
    id: Option<String>,
    report: String,
    every: String,
    day: Option<u32>,
    at: Option<String>,
    to: String,
    format: Option<String>,
    lang: Option<String>,
    webhook: Option<String>,
}

async fn put_schedule(
    State(state): State<AppState>,
    asker: Asker,
    Json(b): Json<ScheduleBody>,
) -> Result<Response, ApiError> {
    let tenant = asker.tenant(&state, Permission::Rules)?;
    let (reports_dir, allow) = state.destinations();
    let folder = ccpulse_report::schedule::check_destination(
        &b.to,
        b.webhook.as_deref(),
        reports_dir,
        allow,
    )
    .map_err(|e| ApiError::BadRequest(e.to_string()))?;
    let s = ccpulse_store::ReportSchedule {
        tenant: tenant.to_string(),
        id: b.id.unwrap_or_else(|| format!("{}-{}", b.report, b.every)),
        report: b.report,
        every: b.every,
        day: b.day.unwrap_or(1),
        at: b.at.unwrap_or_else(|| "06:00".into()),
        out_dir: folder.display().to_string(),
        format: b.format.unwrap_or_else(|| "html".into()),
        lang: b.lang.unwrap_or_else(|| "zh-CN".into()),
        webhook: b.webhook,
        created_at: state.now(),
    };
    ccpulse_report::schedule::validate(&s).map_err(|e| ApiError::BadRequest(e.to_string()))?;
    let stored = s.clone();
    state
        .writer()
        .run(move |store| store.put_schedule(&stored))
        .await??;
    Ok((StatusCode::CREATED, Json(json!({ "schedule": s }))).into_response())
}

async fn delete_schedule(
    State(state): State<AppState>,
    asker: Asker,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let tenant = asker.tenant(&state, Permission::Rules)?;
    delete_stored(&state, &tenant, &id, DuckDbStore::delete_schedule, || {
        format!("no report schedule `{id}`")
    })
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Removes the tenant's stored `id` with `delete` on the writer; a 404 saying `missing` when
/// there was none.
async fn delete_stored(
    state: &AppState,
    tenant: &TenantId,
    id: &str,
    delete: fn(&DuckDbStore, &TenantId, &str) -> ccpulse_store::Result<bool>,
    missing: impl FnOnce() -> String,
) -> Result<(), ApiError> {
    let (t, i) = (tenant.clone(), id.to_owned());
    let existed = state
        .writer()
        .run(move |store| delete(store, &t, &i))
        .await??;
    if existed {
        Ok(())
    } else {
        Err(ApiError::NotFound(missing()))
    }
}

/// The KPI standards a tenant is scored by (seed 002's bands unless overridden).
async fn standards(State(state): State<AppState>, asker: Asker) -> Result<Json<Value>, ApiError> {
    let tenant = asker.tenant(&state, Permission::Figures)?;
    let s = state
        .read(move |store, catalog| Ok(store.standards(catalog, &tenant)?))
        .await?;
    Ok(standards_json(&s))
}

/// Replaces the tenant's overrides: `{"answer_rate": [{"points": 5, "gt": 0.9}, ...]}`; `{}`
/// returns it to the catalog's bands.
async fn put_standards(
    State(state): State<AppState>,
    asker: Asker,
    Json(body): Json<std::collections::BTreeMap<String, Vec<ccpulse_metrics::Band>>>,
) -> Result<Json<Value>, ApiError> {
    let tenant = asker.tenant(&state, Permission::Settings)?;
    let name = tenant.clone();
    let s = state
        .read(move |store, catalog| {
            store
                .save_standards(catalog, &tenant, &body)
                .map_err(|e| match e {
                    ccpulse_store::StoreError::Standards(e) => ApiError::BadRequest(e.to_string()),
                    other => other.into(),
                })?;
            Ok(store.standards(catalog, &tenant)?)
        })
        .await?;
    // The wall recolours its tiles on the next refresh.
    state.hub().mark_dirty(&name);
    Ok(standards_json(&s))
}

fn standards_json(s: &ccpulse_metrics::Standards) -> Json<Value> {
    Json(json!({ "standards": s.bands, "overridden": s.overridden }))
}
