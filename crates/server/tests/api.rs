//! Router tests: every route through `router(state)` with oneshot requests (no port), against a
//! real store in a temporary directory and a fixed clock.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use axum::Router;
use ccpulse_server::auth::{hash_password, secret_hash};
use ccpulse_server::{AppState, Clock, ServerOptions};
use ccpulse_store::{DuckDbStore, StoreConfig, User};
use jiff::Timestamp;
use serde_json::{json, Value};
use tower::ServiceExt as _;

struct Fixed(Timestamp);

impl Clock for Fixed {
    fn now(&self) -> Timestamp {
        self.0
    }
}

/// 2026-11-23 10:00 in Shanghai.
fn now() -> Timestamp {
    "2026-11-23T02:00:00Z".parse().expect("time")
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
}

struct App {
    _dir: tempfile::TempDir,
    state: AppState,
    router: Router,
}

/// Tokens: `admin-token` (admin), `viewer-token` (viewer), `ingest-token` (ingest),
/// `scoped-token` (viewer of tenant `other` only), `vip-token` (supervisor of queue vip),
/// `manager-token`, `analyst-token`, `agent-token` (agent 1001), `operator-token`,
/// `demo-admin-token` (admin of tenant demo only).
fn app(options: ServerOptions) -> App {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut store = DuckDbStore::open(dir.path(), &StoreConfig::default()).expect("store");
    for t in ["demo", "other"] {
        store
            .ensure_tenant(&ccpulse_model::TenantId::new(t).expect("tenant"))
            .expect("tenant");
    }
    let scope = |queues: Option<&str>, agent: Option<&str>| ccpulse_store::DataScope {
        queues: queues.map(|q| vec![q.to_owned()]),
        agent: agent.map(str::to_owned),
        ..Default::default()
    };
    let users = [
        ("root", "admin", None, scope(None, None), "admin-token"),
        ("watcher", "viewer", None, scope(None, None), "viewer-token"),
        ("pbx", "ingest", None, scope(None, None), "ingest-token"),
        (
            "outsider",
            "viewer",
            Some("other"),
            scope(None, None),
            "scoped-token",
        ),
        (
            "vipsup",
            "supervisor",
            None,
            scope(Some("vip"), None),
            "vip-token",
        ),
        ("boss", "manager", None, scope(None, None), "manager-token"),
        (
            "numbers",
            "analyst",
            None,
            scope(None, None),
            "analyst-token",
        ),
        (
            "a1001",
            "agent",
            None,
            scope(None, Some("1001")),
            "agent-token",
        ),
        ("ops", "operator", None, scope(None, None), "operator-token"),
        (
            "demoroot",
            "admin",
            Some("demo"),
            scope(None, None),
            "demo-admin-token",
        ),
    ];
    for (i, (name, role, tenants, scope, token)) in users.into_iter().enumerate() {
        // The first five sign in with `NAME-pw` in some tests; hashing is slow, the rest
        // only use their tokens.
        let password_hash = if i < 5 {
            hash_password(&format!("{name}-pw")).expect("hash")
        } else {
            "$argon2id$v=19$m=19456,t=2,p=1$bm90LWEtcmVhbC1zYWx0$bm90LWEtcmVhbC1oYXNoLW5vdC1hLXJlYWwtaGFzaA".to_owned()
        };
        store
            .put_user(&User {
                name: name.into(),
                role: role.into(),
                password_hash,
                tenants: tenants.map(|t| vec![t.to_owned()]),
                scope,
                disabled: false,
            })
            .expect("user");
        store
            .add_token(&secret_hash(token), name, None)
            .expect("token");
    }
    let state = ccpulse_server::start(store, options, Arc::new(Fixed(now()))).expect("start");
    let router = ccpulse_server::router(state.clone());
    App {
        _dir: dir,
        state,
        router,
    }
}

async fn call(
    router: &Router,
    method: Method,
    uri: &str,
    auth: Option<&str>,
    body: Option<String>,
) -> (StatusCode, axum::http::HeaderMap, Value) {
    let mut req = Request::builder().method(method).uri(uri);
    if let Some(a) = auth {
        if a.starts_with("ccpulse_session=") {
            // `ccpulse_session=...;csrf`: the cookie with the header the pages add.
            match a.strip_suffix(";csrf") {
                Some(cookie) => {
                    req = req
                        .header(header::COOKIE, cookie)
                        .header(ccpulse_server::auth::CSRF_HEADER, "1");
                }
                None => req = req.header(header::COOKIE, a),
            }
        } else {
            req = req.header(header::AUTHORIZATION, format!("Bearer {a}"));
        }
    }
    if body.is_some() {
        req = req.header(header::CONTENT_TYPE, "application/json");
    }
    let req = req
        .body(body.map_or_else(Body::empty, Body::from))
        .expect("request");
    let res = router.clone().oneshot(req).await.expect("response");
    let status = res.status();
    let headers = res.headers().clone();
    let bytes = axum::body::to_bytes(res.into_body(), 16 << 20)
        .await
        .expect("body");
    let value = serde_json::from_slice(&bytes)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()));
    (status, headers, value)
}

const API: &[(&str, &str)] = &[
    ("POST", "/api/v1/logout"),
    ("GET", "/api/v1/me"),
    ("GET", "/api/v1/tenants"),
    ("POST", "/api/v1/events"),
    ("GET", "/api/v1/live"),
    ("GET", "/api/v1/live/stream"),
    ("GET", "/api/v1/kpi?metrics=offered"),
    ("GET", "/api/v1/metrics"),
    ("GET", "/api/v1/agents?period=2026-11"),
    ("GET", "/api/v1/topics?period=2026-11"),
    ("GET", "/api/v1/channels?period=2026-11"),
    ("GET", "/api/v1/staffing?queue=vip"),
    ("GET", "/api/v1/audit"),
    ("GET", "/api/v1/health"),
    ("GET", "/api/v1/tokens"),
    ("DELETE", "/api/v1/tokens/abcdef123456"),
    ("GET", "/api/v1/users"),
    ("DELETE", "/api/v1/users/nobody"),
    ("PUT", "/api/v1/users/nobody"),
    ("GET", "/api/v1/contacts?metric=offered"),
    ("GET", "/api/v1/contacts/x"),
    ("GET", "/api/v1/templates"),
    ("POST", "/api/v1/templates"),
    ("GET", "/api/v1/templates/x"),
    ("DELETE", "/api/v1/templates/x"),
    ("GET", "/api/v1/alerts"),
    ("GET", "/api/v1/alerts/rules"),
    ("POST", "/api/v1/alerts/rules"),
    ("DELETE", "/api/v1/alerts/rules/x"),
    ("GET", "/api/v1/standards"),
    ("PUT", "/api/v1/standards"),
    ("GET", "/api/v1/reports"),
    (
        "GET",
        "/api/v1/reports/generate?report=operations&period=2026-10",
    ),
    ("GET", "/api/v1/reports/file?schedule=x&period=y"),
    ("POST", "/api/v1/reports/schedules"),
    ("DELETE", "/api/v1/reports/schedules/x"),
];

/// A user scoped to queue vip: their figures count only vip's contacts, their drill-downs
/// and contact cards hold only vip's, and whole-tenant views are refused.
#[test]
fn a_queue_scope_is_applied_where_the_data_is_read() {
    let app = app(ServerOptions::default());
    runtime().block_on(async {
        let mut events = two_calls();
        events.push(ev(
            "g1",
            "queued",
            "g1",
            "2026-11-23T10:00:00+08:00",
            json!({"queue": "general"}),
        ));
        events.push(ev(
            "g2",
            "abandoned",
            "g1",
            "2026-11-23T10:00:30+08:00",
            json!({}),
        ));
        let body = Value::Array(events).to_string();
        let (status, _, _) = call(
            &app.router,
            Method::POST,
            "/api/v1/events?tenant=demo",
            Some("ingest-token"),
            Some(body),
        )
        .await;
        assert_eq!(status, StatusCode::ACCEPTED);
        let get = |path: &'static str, token: &'static str| {
            let router = app.router.clone();
            async move { call(&router, Method::GET, path, Some(token), None).await }
        };
        let (_, _, all) = get(
            "/api/v1/kpi?tenant=demo&metrics=offered,abandoned",
            "admin-token",
        )
        .await;
        assert_eq!(all["rows"][0]["offered"], 3);
        let (_, _, vip) = get(
            "/api/v1/kpi?tenant=demo&metrics=offered,abandoned&filter=queue=vip",
            "admin-token",
        )
        .await;
        let (status, _, mine) = get(
            "/api/v1/kpi?tenant=demo&metrics=offered,abandoned",
            "vip-token",
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{mine}");
        assert_eq!(
            mine["rows"], vip["rows"],
            "the scoped figure is the unscoped one filtered by the scope"
        );
        assert_eq!(mine["rows"][0]["offered"], 2);
        // Drilling into another queue finds nothing; their own, only theirs.
        let (_, _, other) = get(
            "/api/v1/contacts?tenant=demo&metric=offered&filter=queue=general",
            "vip-token",
        )
        .await;
        assert_eq!(other["total"], 0);
        let (_, _, own) = get("/api/v1/contacts?tenant=demo&metric=offered", "vip-token").await;
        assert_eq!(own["total"], 2);
        assert!(own["rows"]
            .as_array()
            .expect("rows")
            .iter()
            .all(|r| r["queue"] == "vip"));
        let (status, _, _) = get("/api/v1/contacts/g1?tenant=demo", "vip-token").await;
        assert_eq!(
            status,
            StatusCode::NOT_FOUND,
            "another queue's contact is not there for them"
        );
        let (status, _, _) = get("/api/v1/contacts/c1?tenant=demo", "vip-token").await;
        assert_eq!(status, StatusCode::OK);
        // The period views are cut to the scope: the unscoped view filtered by it.
        for view in ["agents", "topics", "channels"] {
            let mine = format!("/api/v1/{view}?tenant=demo&period=2026-11");
            let (status, _, mine) = call(&app.router, Method::GET, &mine, Some("vip-token"), None).await;
            assert_eq!(status, StatusCode::OK, "{view}: {mine}");
            let all = format!("/api/v1/{view}?tenant=demo&period=2026-11");
            let (_, _, all) = call(&app.router, Method::GET, &all, Some("admin-token"), None).await;
            if view == "channels" {
                let requests = |v: &Value| -> f64 {
                    v["channels"]
                        .as_array()
                        .expect("channels")
                        .iter()
                        .filter_map(|c| c["requests"].as_f64())
                        .sum()
                };
                assert_eq!(requests(&all), 3.0, "{all}");
                assert_eq!(requests(&mine), 2.0, "only vip's: {mine}");
            }
        }
        // The live floor: vip's tile and agents, its sum as `all`, no other queue.
        let (status, _, floor) = get("/api/v1/live?tenant=demo", "vip-token").await;
        assert_eq!(status, StatusCode::OK, "{floor}");
        let keys: Vec<&String> = floor["scopes"].as_object().expect("scopes").keys().collect();
        assert!(
            keys.iter().all(|k| *k == "all" || *k == "queue:vip"),
            "{floor}"
        );
        assert_eq!(floor["cut_to"], json!(["vip"]));
        // A report of the whole tenant is refused, a template's is cut to the scope.
        let (status, _, e) = get(
            "/api/v1/reports/generate?tenant=demo&report=operations&period=2026-11",
            "vip-token",
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{e}");
        let template = json!({"name": "offered", "shared": true, "view": {"metrics": "offered"}});
        let (status, _, t) = call(
            &app.router,
            Method::POST,
            "/api/v1/templates?tenant=demo",
            Some("admin-token"),
            Some(template.to_string()),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{t}");
        for (token, offered) in [("admin-token", 3), ("vip-token", 2)] {
            let (status, r) = get_owned(
                &app.router,
                "/api/v1/reports/generate?tenant=demo&report=template:offered&period=2026-11&format=json",
                token,
            )
            .await;
            assert_eq!(status, StatusCode::OK, "{token}: {r}");
            assert_eq!(r["rows"][0]["offered"], offered, "{token}: {r}");
        }
        // An agent's figures are their own contacts': the unscoped figure filtered by agent.
        let (_, _, theirs) = get(
            "/api/v1/kpi?tenant=demo&metrics=offered,answered&filter=agent=1001",
            "admin-token",
        )
        .await;
        let (status, _, own) = get("/api/v1/kpi?tenant=demo&metrics=offered,answered", "agent-token").await;
        assert_eq!(status, StatusCode::OK, "{own}");
        assert_eq!(own["rows"], theirs["rows"]);
        let (_, _, listed) = get("/api/v1/contacts?tenant=demo&metric=offered", "agent-token").await;
        assert!(listed["rows"]
            .as_array()
            .expect("rows")
            .iter()
            .all(|r| r["agent"] == "1001"), "{listed}");
        let (status, _, _) = get("/api/v1/contacts/g1?tenant=demo", "agent-token").await;
        assert_eq!(status, StatusCode::NOT_FOUND, "not their contact");
    });
}

async fn get_owned(router: &Router, path: &str, token: &str) -> (StatusCode, Value) {
    let (s, _, v) = call(router, Method::GET, path, Some(token), None).await;
    (s, v)
}

/// Hostile strings in every parameter of every read route: a 4xx with the reason (or an
/// answer about nothing), never a 500, and the data unchanged.
#[test]
fn hostile_parameters_are_refused_and_change_nothing() {
    let app = app(ServerOptions::default());
    runtime().block_on(async {
        let body = Value::Array(two_calls()).to_string();
        call(
            &app.router,
            Method::POST,
            "/api/v1/events?tenant=demo",
            Some("ingest-token"),
            Some(body),
        )
        .await;
        let offered = |router: axum::Router| async move {
            call(
                &router,
                Method::GET,
                "/api/v1/kpi?tenant=demo&metrics=offered",
                Some("admin-token"),
                None,
            )
            .await
            .2["rows"][0]["offered"]
                .clone()
        };
        let before = offered(app.router.clone()).await;
        assert_eq!(before, 2);
        let routes: &[(&str, &[(&str, &str)])] = &[
            (
                "/api/v1/kpi",
                &[
                    ("tenant", "demo"),
                    ("metrics", "offered"),
                    ("by", "queue"),
                    ("from", "2026-11-01"),
                    ("to", "2026-12-01"),
                    ("filter", "queue=vip"),
                    ("format", "json"),
                ],
            ),
            (
                "/api/v1/contacts",
                &[
                    ("tenant", "demo"),
                    ("metric", "offered"),
                    ("part", "numerator"),
                    ("sort", "-wait_s"),
                    ("limit", "10"),
                    ("offset", "0"),
                    ("filter", "queue=vip"),
                ],
            ),
            (
                "/api/v1/contacts/c1",
                &[("tenant", "demo"), ("unmask", "true"), ("reason", "x")],
            ),
            (
                "/api/v1/agents",
                &[
                    ("tenant", "demo"),
                    ("period", "2026-11"),
                    ("by", "team"),
                    ("metrics", "aht"),
                    ("threshold", "3"),
                ],
            ),
            (
                "/api/v1/topics",
                &[("tenant", "demo"), ("period", "2026-11"), ("limit", "5")],
            ),
            (
                "/api/v1/channels",
                &[("tenant", "demo"), ("period", "2026-11")],
            ),
            ("/api/v1/templates/x", &[("tenant", "demo")]),
            (
                "/api/v1/reports/generate",
                &[
                    ("tenant", "demo"),
                    ("report", "operations"),
                    ("period", "2026-11"),
                    ("format", "json"),
                ],
            ),
            (
                "/api/v1/reports/file",
                &[("tenant", "demo"), ("schedule", "s"), ("period", "2026-11")],
            ),
            (
                "/api/v1/audit",
                &[("since", "2026-01-01"), ("actor", "root"), ("limit", "5")],
            ),
            ("/api/v1/live", &[("tenant", "demo")]),
        ];
        let hostile = [
            "x' OR 1=1--",
            "queue;drop table contacts",
            "../../etc/passwd",
            "<script>alert(1)</script>",
            "%00",
        ];
        let enc = |v: &str| {
            v.bytes()
                .map(|b| {
                    if b.is_ascii_alphanumeric() {
                        (b as char).to_string()
                    } else {
                        format!("%{b:02X}")
                    }
                })
                .collect::<String>()
        };
        for (path, params) in routes {
            for i in 0..params.len() {
                for h in hostile {
                    let q: Vec<String> = params
                        .iter()
                        .enumerate()
                        .map(|(j, (k, v))| {
                            let v = if i == j && *k == "filter" {
                                format!("queue={h}")
                            } else if i == j {
                                h.to_owned()
                            } else {
                                (*v).to_owned()
                            };
                            format!("{k}={}", enc(&v))
                        })
                        .collect();
                    let url = format!("{path}?{}", q.join("&"));
                    let (status, _, e) =
                        call(&app.router, Method::GET, &url, Some("admin-token"), None).await;
                    assert!(status.as_u16() < 500, "{url}: {status} {e}");
                    if status.is_client_error() {
                        assert!(
                            e["error"]["message"]
                                .as_str()
                                .is_some_and(|m| !m.is_empty()),
                            "{url}: {e}"
                        );
                    }
                }
            }
        }
        // A hostile path segment too.
        for h in ["..%2F..%2Fetc%2Fpasswd", "x'%20OR%201=1--"] {
            let (status, _, _) = call(
                &app.router,
                Method::GET,
                &format!("/api/v1/contacts/{h}?tenant=demo"),
                Some("admin-token"),
                None,
            )
            .await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{h}");
        }
        // Hostile strings in every field of every body that changes something.
        let bodies: &[(Method, &str, Value)] = &[
            (Method::POST, "/api/v1/templates?tenant=demo", json!({"name": "n", "shared": true, "view": {"metrics": "offered", "by": "queue", "filters": ["queue=vip"]}})),
            (Method::POST, "/api/v1/alerts/rules?tenant=demo", json!({"id": "r", "when": "waiting > 10"})),
            (Method::POST, "/api/v1/reports/schedules?tenant=demo", json!({"id": "s", "report": "operations", "every": "month", "to": ".", "format": "html", "lang": "zh-CN", "at": "06:00"})),
            (Method::PUT, "/api/v1/users/watcher", json!({"role": "viewer", "agent": "1001x", "queues": ["vip"], "tenants": ["demo"]})),
        ];
        let strings = |v: &Value| -> Vec<Vec<String>> {
            // JSON pointers of the string leaves.
            fn walk(v: &Value, at: Vec<String>, out: &mut Vec<Vec<String>>) {
                match v {
                    Value::String(_) => out.push(at),
                    Value::Object(m) => m.iter().for_each(|(k, x)| {
                        let mut p = at.clone();
                        p.push(k.clone());
                        walk(x, p, out);
                    }),
                    Value::Array(a) => a.iter().enumerate().for_each(|(i, x)| {
                        let mut p = at.clone();
                        p.push(i.to_string());
                        walk(x, p, out);
                    }),
                    _ => {}
                }
            }
            let mut out = Vec::new();
            walk(v, Vec::new(), &mut out);
            out
        };
        for (method, path, body) in bodies {
            for leaf in strings(body) {
                for h in hostile {
                    let mut b = body.clone();
                    let pointer = format!("/{}", leaf.join("/"));
                    *b.pointer_mut(&pointer).expect("leaf") = json!(h);
                    let (status, _, e) =
                        call(&app.router, method.clone(), path, Some("admin-token"), Some(b.to_string())).await;
                    assert!(status.as_u16() < 500, "{method} {path} {pointer}={h}: {status} {e}");
                    if status.is_client_error() {
                        assert!(
                            e["error"]["message"].as_str().is_some_and(|m| !m.is_empty()),
                            "{path} {pointer}: {e}"
                        );
                    }
                }
            }
        }
        // No schedule writes outside the reports folder, no tenant was made of a path.
        let (_, _, r) = call(&app.router, Method::GET, "/api/v1/reports?tenant=demo", Some("admin-token"), None).await;
        for s in r["schedules"].as_array().expect("schedules") {
            assert!(!s["out_dir"].as_str().unwrap_or_default().contains(".."), "{s}");
        }
        let (_, _, t) = call(&app.router, Method::GET, "/api/v1/tenants", Some("admin-token"), None).await;
        assert!(!t.to_string().contains("etc"), "{t}");
        // A body over the limit is refused whole.
        let huge = "x".repeat(ccpulse_server::routes::BODY_LIMIT + 1);
        let (status, _, e) =
            call(&app.router, Method::POST, "/api/v1/templates?tenant=demo", Some("admin-token"), Some(huge)).await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{e}");
        assert_eq!(
            offered(app.router.clone()).await,
            before,
            "the data is unchanged"
        );
    });
}

/// A read-only token of an admin reads but changes nothing; an expired token opens nothing.
#[test]
fn read_only_and_expired_tokens() {
    let app = app(ServerOptions::default());
    let grant = |read_only: bool, expires: Option<jiff::Timestamp>| ccpulse_store::TokenGrant {
        user: "root".into(),
        expires,
        read_only,
    };
    app.state
        .auth()
        .put_token(secret_hash("ro-token"), grant(true, None));
    let past = now()
        .checked_sub(jiff::SignedDuration::from_secs(1))
        .expect("time");
    app.state
        .auth()
        .put_token(secret_hash("old-token"), grant(false, Some(past)));
    let later = now()
        .checked_add(jiff::SignedDuration::from_hours(1))
        .expect("time");
    app.state
        .auth()
        .put_token(secret_hash("new-token"), grant(false, Some(later)));
    runtime().block_on(async {
        let rule = Some(r#"{"when":"waiting > 10"}"#.to_owned());
        let (status, _, _) = call(
            &app.router,
            Method::GET,
            "/api/v1/kpi?tenant=demo&metrics=offered",
            Some("ro-token"),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        let (status, _, e) = call(
            &app.router,
            Method::POST,
            "/api/v1/alerts/rules?tenant=demo",
            Some("ro-token"),
            rule.clone(),
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{e}");
        assert!(e.to_string().contains("only reads"), "{e}");
        let (status, _, _) = call(
            &app.router,
            Method::GET,
            "/api/v1/contacts?tenant=demo&metric=offered&unmask=true&reason=x",
            Some("ro-token"),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "unmasking is not reading");
        let (status, _, _) = call(
            &app.router,
            Method::GET,
            "/api/v1/me",
            Some("old-token"),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        let (status, _, _) = call(
            &app.router,
            Method::POST,
            "/api/v1/alerts/rules?tenant=demo",
            Some("new-token"),
            rule,
        )
        .await;
        assert_eq!(status, StatusCode::CREATED);
    });
}

/// A leaked token is revoked through the API and stops working at once.
#[test]
fn tokens_are_listed_and_revoked_without_a_restart() {
    let app = app(ServerOptions::default());
    runtime().block_on(async {
        let (status, _, v) = call(
            &app.router,
            Method::GET,
            "/api/v1/tokens",
            Some("admin-token"),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{v}");
        let tokens = v["tokens"].as_array().expect("tokens");
        assert_eq!(tokens.len(), 10, "one per user of the fixture");
        assert!(
            !v.to_string().contains("viewer-token"),
            "never the token itself"
        );
        let id = &secret_hash("viewer-token")[..12];
        assert!(
            tokens
                .iter()
                .any(|t| t["id"] == id && t["user"] == "watcher"),
            "{v}"
        );
        let (status, _, _) = call(
            &app.router,
            Method::GET,
            "/api/v1/me",
            Some("viewer-token"),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        let (status, _, _) = call(
            &app.router,
            Method::GET,
            "/api/v1/tokens",
            Some("viewer-token"),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        for (bad, want) in [
            ("zz", StatusCode::BAD_REQUEST),
            ("abcdef123456", StatusCode::NOT_FOUND),
        ] {
            let (status, _, e) = call(
                &app.router,
                Method::DELETE,
                &format!("/api/v1/tokens/{bad}"),
                Some("admin-token"),
                None,
            )
            .await;
            assert_eq!(status, want, "{bad}: {e}");
        }
        let (status, _, _) = call(
            &app.router,
            Method::DELETE,
            &format!("/api/v1/tokens/{id}"),
            Some("admin-token"),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        let (status, _, _) = call(
            &app.router,
            Method::GET,
            "/api/v1/me",
            Some("viewer-token"),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "revoked at once");
        // A removed user's tokens stop working at once; users are listed without hashes.
        let (status, _, users) = call(
            &app.router,
            Method::GET,
            "/api/v1/users",
            Some("admin-token"),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        assert!(users["users"]
            .as_array()
            .expect("users")
            .iter()
            .any(|u| u["name"] == "pbx"));
        assert!(!users.to_string().contains("argon2"), "{users}");
        let (status, _, _) = call(
            &app.router,
            Method::GET,
            "/api/v1/me",
            Some("ingest-token"),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        let (status, _, _) = call(
            &app.router,
            Method::DELETE,
            "/api/v1/users/pbx",
            Some("admin-token"),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        let (status, _, _) = call(
            &app.router,
            Method::GET,
            "/api/v1/me",
            Some("ingest-token"),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "removed at once");
        let (status, _, _) = call(
            &app.router,
            Method::DELETE,
            "/api/v1/users/root",
            Some("admin-token"),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "not oneself");
        let (status, _, _) = call(
            &app.router,
            Method::DELETE,
            "/api/v1/users/pbx",
            Some("admin-token"),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    });
}

/// Five failed sign-ins a minute for a user name, then 429 with Retry-After, even with the
/// right password; another user signs in; every attempt is in the audit log.
#[test]
fn sign_ins_are_limited_and_audited() {
    let app = app(ServerOptions::default());
    runtime().block_on(async {
        let login = |name: &'static str, pw: &'static str| {
            let router = app.router.clone();
            async move {
                call(
                    &router,
                    Method::POST,
                    "/api/v1/login",
                    None,
                    Some(format!(r#"{{"name":"{name}","password":"{pw}"}}"#)),
                )
                .await
            }
        };
        for _ in 0..5 {
            let (status, _, _) = login("watcher", "guess").await;
            assert_eq!(status, StatusCode::UNAUTHORIZED);
        }
        let (status, headers, e) = login("watcher", "watcher-pw").await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{e}");
        let wait: u64 = headers[header::RETRY_AFTER]
            .to_str()
            .expect("ascii")
            .parse()
            .expect("seconds");
        assert!((1..=60).contains(&wait), "{wait}");
        let (status, _, _) = login("root", "root-pw").await;
        assert_eq!(status, StatusCode::OK);
        let (_, _, log) = call(
            &app.router,
            Method::GET,
            "/api/v1/audit?action=login",
            Some("admin-token"),
            None,
        )
        .await;
        let oks: Vec<(Value, Value)> = log["records"]
            .as_array()
            .expect("records")
            .iter()
            .map(|r| (r["actor"].clone(), r["detail"]["ok"].clone()))
            .collect();
        assert_eq!(oks.len(), 7, "{log}");
        assert_eq!(oks[5], (json!("watcher"), json!(false)));
        assert_eq!(oks[6], (json!("root"), json!(true)));
    });
}

/// Every answer, page or API, carries the security headers; a tenant name that is a path is
/// refused.
#[test]
fn security_headers_and_path_like_tenants() {
    let app = app(ServerOptions::default());
    runtime().block_on(async {
        for (path, auth) in [
            ("/wall", None),
            ("/api/v1/me", Some("viewer-token")),
            ("/api/v1/me", None),
        ] {
            let (_, headers, _) = call(&app.router, Method::GET, path, auth, None).await;
            let csp = headers
                .get(header::CONTENT_SECURITY_POLICY)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default();
            assert!(
                csp.contains("default-src 'self'") && csp.contains("frame-ancestors 'none'"),
                "{path}: {csp}"
            );
            assert_eq!(
                headers.get(header::X_FRAME_OPTIONS).map(|v| v.as_bytes()),
                Some(&b"DENY"[..]),
                "{path}"
            );
            assert_eq!(
                headers
                    .get(header::X_CONTENT_TYPE_OPTIONS)
                    .map(|v| v.as_bytes()),
                Some(&b"nosniff"[..]),
                "{path}"
            );
        }
        for tenant in ["..", "..%2F..%2Fetc", ".hidden", "%3Cb%3E"] {
            let (status, _, e) = call(
                &app.router,
                Method::GET,
                &format!("/api/v1/kpi?tenant={tenant}&metrics=offered"),
                Some("admin-token"),
                None,
            )
            .await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{tenant}: {e}");
        }
    });
}

#[test]
fn every_api_route_needs_credentials() {
    let app = app(ServerOptions::default());
    runtime().block_on(async {
        for (method, path) in API {
            let m: Method = method.parse().expect("method");
            for auth in [None, Some("wrong-token"), Some("ccpulse_session=forged")] {
                let (status, _, body) = call(&app.router, m.clone(), path, auth, None).await;
                assert_eq!(status, StatusCode::UNAUTHORIZED, "{method} {path} {auth:?}");
                assert_eq!(body["error"]["code"], "unauthenticated", "{method} {path}");
            }
        }
    });
}

/// The callers of the route x role table, in its columns' order: each role, a viewer of
/// another tenant (`scoped-token`: tenant `other`), an admin of tenant demo only.
const CALLERS: [&str; 10] = [
    "admin-token",
    "manager-token",
    "vip-token",
    "analyst-token",
    "agent-token",
    "viewer-token",
    "ingest-token",
    "operator-token",
    "scoped-token",
    "demo-admin-token",
];

/// Every route x every role x own tenant / foreign tenant / outside scope: `o` answered (any
/// status but 401, 403 and 5xx: a 404 of a missing id or a 400 of a bad body is an answer),
/// `f` forbidden (403). Columns as [`CALLERS`]: admin, manager, supervisor of vip, analyst,
/// agent 1001, viewer, ingest, operator, viewer of another tenant, admin of demo only.
const ROUTE_TABLE: &[(&str, &str, &str)] = &[
    ("GET", "/api/v1/me", "oooooooooo"),
    ("GET", "/api/v1/tenants", "oooooofooo"),
    ("POST", "/api/v1/events?tenant=demo", "offfffoffo"),
    ("GET", "/api/v1/live?tenant=demo", "oooffofffo"),
    ("GET", "/api/v1/live/stream?tenant=demo", "oooffofffo"),
    (
        "GET",
        "/api/v1/kpi?tenant=demo&metrics=offered",
        "oooooofffo",
    ),
    (
        "GET",
        "/api/v1/kpi?tenant=demo&metrics=offered&format=csv",
        "oooofofffo",
    ),
    (
        "GET",
        "/api/v1/kpi?tenant=demo&metrics=offered&format=xlsx",
        "oooofofffo",
    ),
    ("GET", "/api/v1/metrics?tenant=demo", "oooooofffo"),
    (
        "GET",
        "/api/v1/agents?tenant=demo&period=2026-11",
        "oooofofffo",
    ),
    (
        "GET",
        "/api/v1/agents?tenant=demo&period=2026-11&format=csv",
        "oooofofffo",
    ),
    (
        "GET",
        "/api/v1/topics?tenant=demo&period=2026-11",
        "oooofofffo",
    ),
    (
        "GET",
        "/api/v1/channels?tenant=demo&period=2026-11",
        "oooofofffo",
    ),
    (
        "GET",
        "/api/v1/staffing?tenant=demo&queue=vip&date=2026-11-23",
        "oooofofffo",
    ),
    ("GET", "/api/v1/audit", "offffffffo"),
    ("GET", "/api/v1/tokens", "offffffoff"),
    ("DELETE", "/api/v1/tokens/abcdef123456", "offffffoff"),
    ("GET", "/api/v1/users", "offffffoff"),
    ("DELETE", "/api/v1/users/nobody", "offffffoff"),
    ("PUT", "/api/v1/users/nobody", "offffffoff"),
    ("GET", "/api/v1/health", "offffffoff"),
    (
        "GET",
        "/api/v1/contacts?tenant=demo&metric=offered",
        "oooooofffo",
    ),
    (
        "GET",
        "/api/v1/contacts?tenant=demo&metric=offered&format=csv",
        "oooofofffo",
    ),
    (
        "GET",
        "/api/v1/contacts?tenant=demo&metric=offered&unmask=true&reason=case%2042",
        "oofffffffo",
    ),
    ("GET", "/api/v1/contacts/x?tenant=demo", "oooooofffo"),
    ("GET", "/api/v1/templates?tenant=demo", "oooooofffo"),
    ("POST", "/api/v1/templates?tenant=demo", "oooofofffo"),
    ("GET", "/api/v1/templates/x?tenant=demo", "oooooofffo"),
    ("DELETE", "/api/v1/templates/x?tenant=demo", "oooofofffo"),
    ("GET", "/api/v1/alerts?tenant=demo", "oooooofffo"),
    ("GET", "/api/v1/alerts/rules?tenant=demo", "oooooofffo"),
    ("POST", "/api/v1/alerts/rules?tenant=demo", "oofffffffo"),
    ("DELETE", "/api/v1/alerts/rules/x?tenant=demo", "oofffffffo"),
    ("GET", "/api/v1/standards?tenant=demo", "oooooofffo"),
    ("PUT", "/api/v1/standards?tenant=demo", "offffffffo"),
    ("GET", "/api/v1/reports?tenant=demo", "oooofofffo"),
    (
        "GET",
        "/api/v1/reports/generate?tenant=demo&report=operations&period=2026-10",
        "oofofofffo",
    ),
    (
        "GET",
        "/api/v1/reports/generate?tenant=demo&report=operations&period=2026-10&format=xlsx",
        "oofofofffo",
    ),
    (
        "GET",
        "/api/v1/reports/file?tenant=demo&schedule=x&period=y",
        "oofofofffo",
    ),
    (
        "POST",
        "/api/v1/reports/schedules?tenant=demo",
        "oofffffffo",
    ),
    (
        "DELETE",
        "/api/v1/reports/schedules/x?tenant=demo",
        "oofffffffo",
    ),
    ("POST", "/api/v1/logout", "oooooooooo"),
];

/// A body each changing route accepts (or refuses as a bad request, which is an answer).
fn table_body(method: &str, path: &str) -> Option<String> {
    let p = path.split('?').next().unwrap_or_default();
    Some(match (method, p) {
        ("POST", "/api/v1/events") => r#"[{"id":"t1","type":"queued","contact_id":"t1","at":"2026-11-23T01:59:00Z","queue":"vip"}]"#.into(),
        ("POST", "/api/v1/templates") => r#"{"name":"t","view":{"metrics":"offered"}}"#.into(),
        ("POST", "/api/v1/alerts/rules") => r#"{"when":"waiting > 10"}"#.into(),
        ("PUT", "/api/v1/standards") => "{}".into(),
        ("PUT", "/api/v1/users/nobody") => r#"{"disabled":false}"#.into(),
        ("POST", "/api/v1/reports/schedules") => r#"{"report":"operations","every":"month","to":"."}"#.into(),
        _ => return None,
    })
}

/// The status of one request, without reading the body (a stream never ends).
async fn status_of(router: &Router, method: &str, path: &str, token: &str) -> (StatusCode, String) {
    let mut req = Request::builder()
        .method(method)
        .uri(path)
        .header(header::AUTHORIZATION, format!("Bearer {token}"));
    let body = table_body(method, path);
    if body.is_some() {
        req = req.header(header::CONTENT_TYPE, "application/json");
    }
    let req = req
        .body(body.map_or_else(Body::empty, Body::from))
        .expect("request");
    let res = router.clone().oneshot(req).await.expect("response");
    let status = res.status();
    if path.contains("/stream") {
        return (status, String::new());
    }
    let bytes = axum::body::to_bytes(res.into_body(), 16 << 20)
        .await
        .expect("body");
    (
        status,
        String::from_utf8_lossy(&bytes).chars().take(300).collect(),
    )
}

#[test]
fn every_route_by_every_role_own_and_foreign_tenant_and_scope() {
    let app = app(ServerOptions::default());
    runtime().block_on(async {
        // Every API route is in the table.
        for (method, path) in API {
            let p = path.split('?').next().unwrap_or_default();
            assert!(
                ROUTE_TABLE
                    .iter()
                    .any(|(m, q, _)| m == method && q.split('?').next() == Some(p)),
                "{method} {path} is not in the route table"
            );
        }
        let mut wrong = Vec::new();
        for (method, path, expect) in ROUTE_TABLE {
            assert_eq!(expect.len(), CALLERS.len(), "{method} {path}");
            for (token, want) in CALLERS.iter().zip(expect.chars()) {
                let (status, body) = status_of(&app.router, method, path, token).await;
                let ok = match want {
                    'o' => {
                        status != StatusCode::UNAUTHORIZED
                            && status != StatusCode::FORBIDDEN
                            && !status.is_server_error()
                    }
                    _ => status == StatusCode::FORBIDDEN,
                };
                if !ok {
                    wrong.push(format!(
                        "{token} {method} {path}: {status} (want {want}) {body}"
                    ));
                }
            }
        }
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    });
}

/// An operator sees every tenant's health and no contact; users are changed and disabled
/// through the API at once; changes are in the audit log with what they set; the session
/// cookie is `Secure` behind a proxy that ends TLS.
#[test]
fn operators_disabled_users_audited_changes_and_secure_cookies() {
    let app = app(ServerOptions::default());
    runtime().block_on(async {
        let mut events = two_calls();
        events[0]["customer"] = json!("13812345678");
        let (status, _, _) = call(
            &app.router,
            Method::POST,
            "/api/v1/events?tenant=demo",
            Some("ingest-token"),
            Some(Value::Array(events).to_string()),
        )
        .await;
        assert_eq!(status, StatusCode::ACCEPTED);
        let (status, _, h) = call(
            &app.router,
            Method::GET,
            "/api/v1/health",
            Some("operator-token"),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{h}");
        let demo = h["tenants"]
            .as_array()
            .expect("tenants")
            .iter()
            .find(|t| t["tenant"] == "demo")
            .expect("demo")
            .clone();
        assert_eq!(demo["contacts"], 2, "{h}");
        assert!(demo["events"].as_i64().expect("events") > 0);
        assert!(
            !h.to_string().contains("5678") && !h.to_string().contains("1001"),
            "{h}"
        );
        assert!(h["audit_records"].as_u64().expect("records") > 0);
        // The operator reads no figure of any tenant.
        for path in [
            "/api/v1/kpi?tenant=demo&metrics=offered",
            "/api/v1/contacts/c1?tenant=demo",
        ] {
            let (status, _, _) =
                call(&app.router, Method::GET, path, Some("operator-token"), None).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{path}");
        }
        // Limiting a user takes effect at once; an operator cannot make an admin.
        let put = |token: &'static str, name: &'static str, body: Value| {
            let router = app.router.clone();
            async move {
                call(
                    &router,
                    Method::PUT,
                    &format!("/api/v1/users/{name}"),
                    Some(token),
                    Some(body.to_string()),
                )
                .await
            }
        };
        let (status, _, e) = put("operator-token", "watcher", json!({"role": "admin"})).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{e}");
        let (status, _, e) = put("operator-token", "watcher", json!({"role": "agent"})).await;
        assert_eq!(
            status,
            StatusCode::BAD_REQUEST,
            "an agent needs their agent id: {e}"
        );
        let (status, _, u) = put("operator-token", "watcher", json!({"queues": ["general"]})).await;
        assert_eq!(status, StatusCode::OK, "{u}");
        assert_eq!(u["user"]["queues"], json!(["general"]));
        let (_, _, k) = call(
            &app.router,
            Method::GET,
            "/api/v1/kpi?tenant=demo&metrics=offered",
            Some("viewer-token"),
            None,
        )
        .await;
        assert_eq!(
            k["rows"][0]["offered"], 0,
            "vip's calls are outside general: {k}"
        );
        let (status, _, _) = put("admin-token", "watcher", json!({"disabled": true})).await;
        assert_eq!(status, StatusCode::OK);
        let (status, _, _) = call(
            &app.router,
            Method::GET,
            "/api/v1/me",
            Some("viewer-token"),
            None,
        )
        .await;
        assert_eq!(
            status,
            StatusCode::UNAUTHORIZED,
            "a disabled user's token opens nothing"
        );
        let (status, _, _) = call(
            &app.router,
            Method::POST,
            "/api/v1/login",
            None,
            Some(json!({"name": "watcher", "password": "watcher-pw"}).to_string()),
        )
        .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "nor does their password");
        let (status, _, _) = put(
            "admin-token",
            "watcher",
            json!({"disabled": false, "queues": []}),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        let (_, _, k) = call(
            &app.router,
            Method::GET,
            "/api/v1/kpi?tenant=demo&metrics=offered",
            Some("viewer-token"),
            None,
        )
        .await;
        assert_eq!(k["rows"][0]["offered"], 2, "{k}");
        // A change is recorded with what it set, secrets never.
        let (status, _, _) = call(
            &app.router,
            Method::POST,
            "/api/v1/alerts/rules?tenant=demo",
            Some("manager-token"),
            Some(json!({"when": "waiting > 7"}).to_string()),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED);
        let (_, _, log) = call(
            &app.router,
            Method::GET,
            "/api/v1/audit?actor=boss",
            Some("admin-token"),
            None,
        )
        .await;
        let rec = log["records"]
            .as_array()
            .expect("records")
            .iter()
            .find(|r| r["action"] == "POST alerts/rules")
            .expect("the rule's record")
            .clone();
        assert_eq!(rec["detail"]["body"]["when"], "waiting > 7", "{rec}");
        assert_eq!(rec["tenant"], "demo");
        let (_, _, log) = call(
            &app.router,
            Method::GET,
            "/api/v1/audit?action=login",
            Some("admin-token"),
            None,
        )
        .await;
        assert!(!log.to_string().contains("watcher-pw"), "{log}");
        // Behind TLS the cookie is Secure; over plain HTTP it cannot be.
        for (proto, secure) in [(Some("https"), true), (None, false)] {
            let mut req = Request::builder()
                .method(Method::POST)
                .uri("/api/v1/login")
                .header(header::CONTENT_TYPE, "application/json");
            if let Some(p) = proto {
                req = req.header("x-forwarded-proto", p);
            }
            let req = req
                .body(Body::from(
                    json!({"name": "root", "password": "root-pw"}).to_string(),
                ))
                .expect("request");
            let res = app.router.clone().oneshot(req).await.expect("response");
            assert_eq!(res.status(), StatusCode::OK);
            let cookie = res.headers()[header::SET_COOKIE]
                .to_str()
                .expect("cookie")
                .to_owned();
            assert_eq!(cookie.contains("; Secure"), secure, "{cookie}");
            assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"));
        }
    });
}

#[test]
fn roles_and_tenants_decide_what_a_caller_may_do() {
    let app = app(ServerOptions::default());
    let event = r#"[{"id":"e1","type":"queued","contact_id":"c1","at":"2026-11-23T01:59:00Z","queue":"vip"}]"#;
    let rule = r#"{"when":"waiting > 10"}"#;
    // (token, method, path, body, expected status)
    let table: &[(&str, &str, &str, Option<&str>, StatusCode)] = &[
        (
            "admin-token",
            "POST",
            "/api/v1/events?tenant=demo",
            Some(event),
            StatusCode::ACCEPTED,
        ),
        (
            "ingest-token",
            "POST",
            "/api/v1/events?tenant=demo",
            Some(event),
            StatusCode::ACCEPTED,
        ),
        (
            "viewer-token",
            "POST",
            "/api/v1/events?tenant=demo",
            Some(event),
            StatusCode::FORBIDDEN,
        ),
        (
            "admin-token",
            "GET",
            "/api/v1/live?tenant=demo",
            None,
            StatusCode::OK,
        ),
        (
            "viewer-token",
            "GET",
            "/api/v1/live?tenant=demo",
            None,
            StatusCode::OK,
        ),
        (
            "ingest-token",
            "GET",
            "/api/v1/live?tenant=demo",
            None,
            StatusCode::FORBIDDEN,
        ),
        (
            "scoped-token",
            "GET",
            "/api/v1/live?tenant=demo",
            None,
            StatusCode::FORBIDDEN,
        ),
        (
            "scoped-token",
            "GET",
            "/api/v1/live?tenant=other",
            None,
            StatusCode::OK,
        ),
        (
            "scoped-token",
            "GET",
            "/api/v1/kpi?tenant=demo&metrics=offered",
            None,
            StatusCode::FORBIDDEN,
        ),
        (
            "scoped-token",
            "GET",
            "/api/v1/alerts?tenant=demo",
            None,
            StatusCode::FORBIDDEN,
        ),
        (
            "viewer-token",
            "GET",
            "/api/v1/kpi?tenant=demo&metrics=offered",
            None,
            StatusCode::OK,
        ),
        (
            "viewer-token",
            "GET",
            "/api/v1/kpi?tenant=demo&metrics=no_such_metric",
            None,
            StatusCode::BAD_REQUEST,
        ),
        (
            "viewer-token",
            "POST",
            "/api/v1/alerts/rules?tenant=demo",
            Some(rule),
            StatusCode::FORBIDDEN,
        ),
        (
            "admin-token",
            "POST",
            "/api/v1/alerts/rules?tenant=demo",
            Some(rule),
            StatusCode::CREATED,
        ),
        (
            "admin-token",
            "POST",
            "/api/v1/alerts/rules?tenant=demo",
            Some(r#"{"when":"waiting >"}"#),
            StatusCode::BAD_REQUEST,
        ),
        (
            "admin-token",
            "POST",
            "/api/v1/alerts/rules?tenant=demo",
            Some(r#"{"when":"waiting > 10","id":"../../etc"}"#),
            StatusCode::BAD_REQUEST,
        ),
        (
            "viewer-token",
            "GET",
            "/api/v1/alerts/rules?tenant=demo",
            None,
            StatusCode::OK,
        ),
        (
            "viewer-token",
            "DELETE",
            "/api/v1/alerts/rules/waiting%20%3E%2010?tenant=demo",
            None,
            StatusCode::FORBIDDEN,
        ),
        (
            "admin-token",
            "DELETE",
            "/api/v1/alerts/rules/waiting%20%3E%2010?tenant=demo",
            None,
            StatusCode::NO_CONTENT,
        ),
        (
            "admin-token",
            "DELETE",
            "/api/v1/alerts/rules/nothing?tenant=demo",
            None,
            StatusCode::NOT_FOUND,
        ),
        (
            "viewer-token",
            "GET",
            "/api/v1/alerts?tenant=demo",
            None,
            StatusCode::OK,
        ),
        ("viewer-token", "GET", "/api/v1/me", None, StatusCode::OK),
    ];
    runtime().block_on(async {
        for (token, method, path, body, expected) in table {
            let (status, _, value) = call(
                &app.router,
                method.parse().expect("method"),
                path,
                Some(token),
                body.map(str::to_owned),
            )
            .await;
            assert_eq!(status, *expected, "{token} {method} {path}: {value}");
        }
        // The scoped user sees only its tenant in the list.
        let (_, _, t) = call(
            &app.router,
            Method::GET,
            "/api/v1/tenants",
            Some("scoped-token"),
            None,
        )
        .await;
        let names: Vec<&str> = t["tenants"]
            .as_array()
            .expect("tenants")
            .iter()
            .filter_map(|x| x["name"].as_str())
            .collect();
        assert!(!names.contains(&"demo"), "{t}");
    });
}

#[test]
fn login_sets_a_session_that_logout_ends() {
    let app = app(ServerOptions::default());
    runtime().block_on(async {
        let (status, _, body) = call(
            &app.router,
            Method::POST,
            "/api/v1/login",
            None,
            Some(r#"{"name":"watcher","password":"nope"}"#.into()),
        )
        .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(body["error"]["code"], "bad_login");
        let (status, headers, body) = call(
            &app.router,
            Method::POST,
            "/api/v1/login",
            None,
            Some(r#"{"name":"watcher","password":"watcher-pw"}"#.into()),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let cookie = headers
            .get(header::SET_COOKIE)
            .and_then(|v| v.to_str().ok())
            .expect("cookie");
        assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"));
        let session = cookie.split(';').next().expect("pair").to_owned();
        let (status, _, me) =
            call(&app.router, Method::GET, "/api/v1/me", Some(&session), None).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(me["user"], "watcher");
        // A change made with the cookie alone (as a cross-site form would) is refused; the
        // pages' header lets it through.
        let (status, _, e) = call(
            &app.router,
            Method::POST,
            "/api/v1/logout",
            Some(&session),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{e}");
        let (status, _, _) = call(
            &app.router,
            Method::POST,
            "/api/v1/templates?tenant=demo",
            Some(&session),
            Some(json!({"name": "x", "view": {"metrics": "offered"}}).to_string()),
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, _, _) = call(
            &app.router,
            Method::POST,
            "/api/v1/logout",
            Some(&format!("{session};csrf")),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        let (status, _, _) =
            call(&app.router, Method::GET, "/api/v1/me", Some(&session), None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    });
}

fn ev(id: &str, kind: &str, contact: &str, at: &str, extra: Value) -> Value {
    let mut v = json!({"id": id, "type": kind, "contact_id": contact, "at": at});
    if let (Some(o), Value::Object(e)) = (v.as_object_mut(), extra) {
        o.extend(e);
    }
    v
}

/// Two calls of 2026-11-23 in queue vip (Shanghai time, the tenant's zone):
/// c1 queued 09:50:00, answered 09:50:12 (wait 12 s), ended 09:53:12 (talk 180 s), wrap-up
/// until 09:53:42 (30 s); c2 queued 09:51:00, abandoned 09:51:40 (40 s).
/// By hand: offered 2, answered 1, abandoned 1, asa 12, aht 180 + 30 = 210,
/// service_level (20 s, short abandons excluded) = 1 / 2 = 0.5.
fn two_calls() -> Vec<Value> {
    vec![
        ev(
            "1",
            "arrived",
            "c1",
            "2026-11-23T09:49:50+08:00",
            json!({"channel": "voice"}),
        ),
        ev(
            "2",
            "queued",
            "c1",
            "2026-11-23T09:50:00+08:00",
            json!({"queue": "vip"}),
        ),
        ev(
            "3",
            "answered",
            "c1",
            "2026-11-23T09:50:12+08:00",
            json!({"agent": "1001"}),
        ),
        ev("4", "ended", "c1", "2026-11-23T09:53:12+08:00", json!({})),
        ev(
            "5",
            "wrap_up_ended",
            "c1",
            "2026-11-23T09:53:42+08:00",
            json!({}),
        ),
        ev(
            "6",
            "queued",
            "c2",
            "2026-11-23T09:51:00+08:00",
            json!({"queue": "vip"}),
        ),
        ev(
            "7",
            "abandoned",
            "c2",
            "2026-11-23T09:51:40+08:00",
            json!({}),
        ),
    ]
}

/// Events the server could never use are refused in their own request's 400 with the reason
/// (and not stored), the good ones beside them kept: an end before the queueing, a time
/// beyond the clock skew; an unknown tenant is 404 and a backward range 400.
#[test]
fn unusable_events_are_refused_in_their_own_answer() {
    let app = app(ServerOptions::default());
    runtime().block_on(async {
        // c1 queued in one request; its end, an hour before, in the next.
        let first = json!([ev(
            "q",
            "queued",
            "x1",
            "2026-11-23T09:50:00+08:00",
            json!({"queue": "vip"})
        )]);
        let (status, _, r) = call(
            &app.router,
            Method::POST,
            "/api/v1/events?tenant=demo",
            Some("ingest-token"),
            Some(first.to_string()),
        )
        .await;
        assert_eq!(status, StatusCode::ACCEPTED, "{r}");
        let second = json!([
            ev(
                "ok1",
                "queued",
                "x2",
                "2026-11-23T09:51:00+08:00",
                json!({"queue": "vip"})
            ),
            ev(
                "bad",
                "abandoned",
                "x1",
                "2026-11-23T08:50:00+08:00",
                json!({})
            ),
            ev(
                "ok2",
                "abandoned",
                "x2",
                "2026-11-23T09:52:00+08:00",
                json!({})
            ),
            ev(
                "future",
                "queued",
                "x3",
                "2026-11-24T10:00:00+08:00",
                json!({"queue": "vip"})
            ),
        ]);
        let (status, _, r) = call(
            &app.router,
            Method::POST,
            "/api/v1/events?tenant=demo",
            Some("ingest-token"),
            Some(second.to_string()),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{r}");
        assert_eq!(r["accepted"], 2, "{r}");
        let errors = r["errors"].as_array().expect("errors");
        assert_eq!(errors.len(), 2, "{r}");
        assert_eq!(
            (errors[0]["index"].as_u64(), errors[0]["id"].as_str()),
            (Some(1), Some("bad"))
        );
        assert!(
            errors[0]["reason"].as_str().expect("reason").contains("x1"),
            "{r}"
        );
        // Times as the sender wrote them, in its zone.
        assert!(
            errors[0]["reason"].as_str().expect("reason").contains(
                "2026-11-23T08:50:00+08:00 is before `queued_at` 2026-11-23T09:50:00+08:00"
            ),
            "{r}"
        );
        assert_eq!(
            (errors[1]["index"].as_u64(), errors[1]["id"].as_str()),
            (Some(3), Some("future"))
        );
        assert_eq!(errors[1]["field"], "at");
        // The refused end was not kept: x1 still waits for its own; x2 is one abandon.
        let (_, _, k) = call(
            &app.router,
            Method::GET,
            "/api/v1/kpi?tenant=demo&metrics=abandoned",
            Some("admin-token"),
            None,
        )
        .await;
        assert_eq!(k["rows"][0]["abandoned"], 1, "{k}");
        // Its right end is accepted afterwards.
        let third = json!([ev(
            "good",
            "abandoned",
            "x1",
            "2026-11-23T09:50:30+08:00",
            json!({})
        )]);
        let (status, _, r) = call(
            &app.router,
            Method::POST,
            "/api/v1/events?tenant=demo",
            Some("ingest-token"),
            Some(third.to_string()),
        )
        .await;
        assert_eq!(status, StatusCode::ACCEPTED, "{r}");
        let (_, _, k) = call(
            &app.router,
            Method::GET,
            "/api/v1/kpi?tenant=demo&metrics=abandoned",
            Some("admin-token"),
            None,
        )
        .await;
        assert_eq!(k["rows"][0]["abandoned"], 2, "{k}");
        // The operations report lists as many contacts as asked (`details`), or all.
        for (details, want) in [("all", StatusCode::OK), ("7", StatusCode::OK), ("lots", StatusCode::BAD_REQUEST)] {
            let path = format!("/api/v1/reports/generate?tenant=demo&report=operations&period=2026-11&format=json&details={details}");
            let (status, _, r) = call(&app.router, Method::GET, &path, Some("admin-token"), None).await;
            assert_eq!(status, want, "{details}: {r}");
        }
        // An unknown tenant is not found; a range that ends before it starts is refused.
        for (path, want) in [
            (
                "/api/v1/kpi?tenant=nope&metrics=offered",
                StatusCode::NOT_FOUND,
            ),
            (
                "/api/v1/contacts?tenant=nope&metric=offered",
                StatusCode::NOT_FOUND,
            ),
            ("/api/v1/live?tenant=nope", StatusCode::NOT_FOUND),
            (
                "/api/v1/kpi?tenant=demo&metrics=offered&from=2026-12-05&to=2026-12-01",
                StatusCode::BAD_REQUEST,
            ),
            (
                "/api/v1/contacts?tenant=demo&metric=offered&from=2026-12-05&to=2026-12-01",
                StatusCode::BAD_REQUEST,
            ),
        ] {
            let (status, _, e) =
                call(&app.router, Method::GET, path, Some("admin-token"), None).await;
            assert_eq!(status, want, "{path}: {e}");
        }
    });
}

/// A contact whose end never came leaves the floor after the tenant's limit and is
/// quarantined as abandoned-unknown with the reason (not "waiting 44:44" forever).
#[test]
fn an_open_contact_past_the_limit_leaves_the_floor_for_the_quarantine() {
    let app = app(ServerOptions::default());
    runtime().block_on(async {
        // Queued 6 hours before now (the limit is 4 hours), and one queued a minute ago.
        let events = json!([
            ev(
                "old",
                "queued",
                "lost-1",
                "2026-11-23T04:00:00+08:00",
                json!({"queue": "vip"})
            ),
            ev(
                "new",
                "queued",
                "fresh-1",
                "2026-11-23T09:59:00+08:00",
                json!({"queue": "vip"})
            ),
        ]);
        let (status, _, r) = call(
            &app.router,
            Method::POST,
            "/api/v1/events?tenant=demo",
            Some("ingest-token"),
            Some(events.to_string()),
        )
        .await;
        assert_eq!(status, StatusCode::ACCEPTED, "{r}");
        let waiting = |router: Router| async move {
            call(
                &router,
                Method::GET,
                "/api/v1/live?tenant=demo",
                Some("admin-token"),
                None,
            )
            .await
            .2["scopes"]["all"]["now"]["waiting"]
                .clone()
        };
        assert_eq!(waiting(app.router.clone()).await, 2);
        ccpulse_server::refresh(&app.state).await;
        assert_eq!(
            waiting(app.router.clone()).await,
            1,
            "the 6-hour-old one is gone"
        );
        let q = app
            .state
            .read(|store, _| {
                Ok(store
                    .quarantine(Some(&ccpulse_model::TenantId::new("demo").expect("tenant")))?)
            })
            .await
            .expect("quarantine");
        // The writer records it in the background.
        let mut q = q;
        for _ in 0..50 {
            if !q.is_empty() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            q = app
                .state
                .read(|store, _| {
                    Ok(store
                        .quarantine(Some(&ccpulse_model::TenantId::new("demo").expect("tenant")))?)
                })
                .await
                .expect("quarantine");
        }
        assert_eq!(q.len(), 1, "{q:?}");
        assert_eq!(q[0].file, "contact lost-1");
        assert!(
            q[0].reason.contains("no end came within 240 minutes"),
            "{}",
            q[0].reason
        );
        assert!(q[0].raw.contains("abandoned_unknown"));
    });
}

#[test]
fn events_are_idempotent_located_when_bad_and_become_exact_kpis() {
    let app = app(ServerOptions::default());
    runtime().block_on(async {
        let body = Value::Array(two_calls()).to_string();
        let (status, _, r) = call(&app.router, Method::POST, "/api/v1/events?tenant=demo", Some("ingest-token"), Some(body.clone())).await;
        assert_eq!(status, StatusCode::ACCEPTED, "{r}");
        assert_eq!(r, json!({"accepted": 7, "duplicates": 0}));
        // The same events again (as NDJSON): nothing new.
        let ndjson: String = two_calls().iter().map(|v| format!("{v}\n")).collect();
        let (status, _, r) = call(&app.router, Method::POST, "/api/v1/events?tenant=demo", Some("ingest-token"), Some(ndjson)).await;
        assert_eq!(status, StatusCode::ACCEPTED);
        assert_eq!(r, json!({"accepted": 0, "duplicates": 7}));
        // A bad event beside a good one: 400 naming it, the good one kept.
        let mixed = json!([
            ev("8", "queued", "c3", "2026-11-23T09:55:00+08:00", json!({"queue": "vip"})),
            {"id": "9", "type": "queued", "contact_id": "c4", "at": "not a time"},
        ])
        .to_string();
        let (status, _, r) = call(&app.router, Method::POST, "/api/v1/events?tenant=demo", Some("ingest-token"), Some(mixed)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{r}");
        assert_eq!(r["error"]["code"], "invalid_events");
        assert_eq!(r["accepted"], 1);
        assert_eq!(r["errors"][0]["index"], 1);
        assert_eq!(r["errors"][0]["field"], "at");
        let (status, _, r) = call(&app.router, Method::POST, "/api/v1/events?tenant=demo", Some("ingest-token"), Some("[{".into())).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(r["error"]["code"], "bad_request");

        let (status, _, k) = call(
            &app.router,
            Method::GET,
            "/api/v1/kpi?tenant=demo&metrics=offered,answered,abandoned,asa,aht,service_level&from=2026-11-23&to=2026-11-24",
            Some("viewer-token"),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{k}");
        let row = &k["rows"][0];
        assert_eq!(row["offered"], 2, "{k}");
        assert_eq!(row["answered"], 1);
        assert_eq!(row["abandoned"], 1);
        assert_eq!(row["asa"].as_f64(), Some(12.0));
        assert_eq!(row["aht"].as_f64(), Some(210.0));
        assert_eq!(row["service_level"].as_f64(), Some(0.5));

        // The live floor: c3 waits in vip since 09:55 (5 minutes at 10:00).
        ccpulse_server::refresh(&app.state).await;
        let (_, _, live) = call(&app.router, Method::GET, "/api/v1/live?tenant=demo", Some("viewer-token"), None).await;
        let vip = &live["scopes"]["queue:vip"];
        assert_eq!(vip["now"]["waiting"], 1, "{live}");
        assert_eq!(vip["now"]["longest_wait"].as_f64(), Some(300.0));
        // Today's figures on the wall are the KPI query's.
        assert_eq!(vip["today"]["offered"], 2);
        assert_eq!(vip["today"]["service_level"].as_f64(), Some(0.5));
        assert_eq!(live["scopes"]["all"]["today"]["answered"], 1);
        assert!(live["trend"].as_array().is_some_and(|t| !t.is_empty()));
    });
}

/// A request larger than a group of the writer (25,200 events) is parsed and written in
/// groups: every event counted once, a bad one located by its place in the whole request,
/// and sent again, every event a duplicate.
#[test]
fn a_large_request_is_written_in_groups_and_located_across_them() {
    let app = app(ServerOptions::default());
    runtime().block_on(async {
        let mut events = Vec::new();
        for k in 0..8400 {
            let c = format!("big{k}");
            events.push(ev(
                &format!("{c}q"),
                "queued",
                &c,
                "2026-11-23T09:00:00+08:00",
                json!({"queue": "vip"}),
            ));
            events.push(ev(
                &format!("{c}a"),
                "answered",
                &c,
                "2026-11-23T09:00:10+08:00",
                json!({"agent": "1001"}),
            ));
            events.push(ev(
                &format!("{c}e"),
                "ended",
                &c,
                "2026-11-23T09:02:10+08:00",
                json!({}),
            ));
        }
        // In the second group: contact big5000's answer, with a time that is none.
        events[15_001]["at"] = json!("not a time");
        let body = Value::Array(events).to_string();
        let (status, _, r) = call(
            &app.router,
            Method::POST,
            "/api/v1/events?tenant=demo",
            Some("ingest-token"),
            Some(body.clone()),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{}", &r.to_string()[..300]);
        assert_eq!(r["accepted"], 25_199);
        assert_eq!(r["errors"].as_array().map(Vec::len), Some(1));
        assert_eq!(r["errors"][0]["index"], 15_001);
        assert_eq!(r["errors"][0]["id"], "big5000a");
        assert_eq!(r["errors"][0]["field"], "at");
        let (_, _, again) = call(
            &app.router,
            Method::POST,
            "/api/v1/events?tenant=demo",
            Some("ingest-token"),
            Some(body),
        )
        .await;
        assert_eq!(again["accepted"], 0);
        assert_eq!(again["duplicates"], 25_199);
        let (status, _, k) = call(
            &app.router,
            Method::GET,
            "/api/v1/kpi?tenant=demo&metrics=offered,answered&from=2026-11-23&to=2026-11-24",
            Some("viewer-token"),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{k}");
        // Every contact once; big5000 was never answered.
        assert_eq!(k["rows"][0]["offered"], 8400, "{k}");
        assert_eq!(k["rows"][0]["answered"], 8399, "{k}");
    });
}

/// Two weeks of queue vip taking 6 calls from 10:00 every day make a plan for today's 10:00
/// interval: the wall's vip card says how many agents it requires now, and a rule on the
/// staffing gap (required now less logged in now) fires while nobody is logged in to vip and
/// resolves once enough agents log in.
#[test]
fn the_plan_of_this_interval_is_on_the_wall_and_its_gap_fires_a_rule() {
    let app = app(ServerOptions::default());
    runtime().block_on(async {
        let mut history = Vec::new();
        for d in 1..=14 {
            let day = jiff::civil::date(2026, 11, 23)
                .checked_sub(jiff::Span::new().days(d))
                .expect("day");
            for k in 0..6 {
                let c = format!("h{d}-{k}");
                let at = |s: i64| format!("{}T10:0{k}:{:02}+08:00", day, s);
                history.push(ev(&format!("{c}q"), "queued", &c, &at(0), json!({"queue": "vip"})));
                history.push(ev(&format!("{c}a"), "answered", &c, &at(20), json!({"agent": "1001"})));
                history.push(ev(&format!("{c}e"), "ended", &c, &format!("{}T10:1{k}:30+08:00", day), json!({})));
            }
        }
        let (status, _, r) = call(&app.router, Method::POST, "/api/v1/events?tenant=demo", Some("ingest-token"), Some(Value::Array(history).to_string())).await;
        assert_eq!(status, StatusCode::ACCEPTED, "{r}");
        let (status, _, r) = call(
            &app.router,
            Method::POST,
            "/api/v1/alerts/rules?tenant=demo",
            Some("admin-token"),
            Some(r#"{"id":"vip-short","when":"staffing_gap > 0 for queue vip"}"#.into()),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{r}");
        ccpulse_server::refresh(&app.state).await;
        ccpulse_server::staff_all(&app.state).await;
        ccpulse_server::floor_alerts(&app.state).await;
        let (_, _, live) = call(&app.router, Method::GET, "/api/v1/live?tenant=demo", Some("viewer-token"), None).await;
        let vip = &live["scopes"]["queue:vip"]["now"];
        let required = vip["agents_required"].as_u64().expect("a requirement for vip now");
        // The plan's own figure for 10:00, through the staffing route.
        let (status, _, plan) = call(&app.router, Method::GET, "/api/v1/staffing?tenant=demo&queue=vip&date=2026-11-23&patience=auto", Some("manager-token"), None).await;
        assert_eq!(status, StatusCode::OK, "{plan}");
        let ten = plan["intervals"].as_array().expect("intervals").iter().find(|i| i["start"] == "10:00").expect("10:00").clone();
        assert_eq!(ten["required_agents"].as_u64(), Some(required), "{ten}");
        assert!(required >= 1, "{ten}");
        assert_eq!(live["alerts"][0]["rule"], "vip-short", "{live}");
        assert_eq!(live["alerts"][0]["value"].as_f64(), Some(required as f64), "{live}");
        // Enough agents log in to vip: the gap closes and the alert resolves.
        let logins: Vec<Value> = (0..required)
            .map(|i| json!({"id": format!("login{i}"), "type": "agent_state", "agent": format!("20{i:02}"), "state": "idle", "queue": "vip", "at": "2026-11-23T09:59:00+08:00"}))
            .collect();
        let (status, _, r) = call(&app.router, Method::POST, "/api/v1/events?tenant=demo", Some("ingest-token"), Some(Value::Array(logins).to_string())).await;
        assert_eq!(status, StatusCode::ACCEPTED, "{r}");
        ccpulse_server::floor_alerts(&app.state).await;
        let (_, _, live) = call(&app.router, Method::GET, "/api/v1/live?tenant=demo", Some("viewer-token"), None).await;
        assert_eq!(live["scopes"]["queue:vip"]["now"]["agents_logged_in"].as_u64(), Some(required));
        assert_eq!(live["alerts"], json!([]), "{live}");
    });
}

/// A server over `dir` (whose store is opened anew, as after a restart) and its router; the
/// token `t` is an admin's.
fn server_over(dir: &std::path::Path) -> (AppState, Router) {
    let mut store = DuckDbStore::open(dir, &StoreConfig::default()).expect("store");
    store
        .ensure_tenant(&ccpulse_model::TenantId::new("demo").expect("tenant"))
        .expect("tenant");
    if store.user("pbx").ok().flatten().is_none() {
        store
            .put_user(&User {
                name: "pbx".into(),
                role: "admin".into(),
                password_hash: hash_password("x-pw").expect("hash"),
                tenants: None,
                ..Default::default()
            })
            .expect("user");
        store
            .add_token(&secret_hash("t"), "pbx", None)
            .expect("token");
    }
    let state = ccpulse_server::start(store, ServerOptions::default(), Arc::new(Fixed(now())))
        .expect("start");
    let router = ccpulse_server::router(state.clone());
    (state, router)
}

async fn post_events(router: &Router, events: Value) -> Value {
    let (status, _, r) = call(
        router,
        Method::POST,
        "/api/v1/events?tenant=demo",
        Some("t"),
        Some(events.to_string()),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{r}");
    r
}

async fn today_row(router: &Router) -> Value {
    let (status, _, k) = call(
        router,
        Method::GET,
        "/api/v1/kpi?tenant=demo&metrics=contacts,offered,answered,abandoned,survey_offered,avg_talk&from=2026-11-23&to=2026-11-24",
        Some("t"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{k}");
    k["rows"][0].clone()
}

/// The writer keeps what it needs in memory (which contacts and events exist, the events of
/// recent contacts) and asks the store for the rest: a contact completed by a later request,
/// one imported before the server started, and ones touched again after a restart are each
/// stored once, and an event repeated after a restart is a duplicate.
#[test]
fn a_contact_is_stored_once_across_requests_imports_and_restarts() {
    let dir = tempfile::tempdir().expect("tempdir");
    {
        // Imported before the server started: abandoned after 30 s.
        let mut store = DuckDbStore::open(dir.path(), &StoreConfig::default()).expect("store");
        let tenant = ccpulse_model::TenantId::new("demo").expect("tenant");
        store.ensure_tenant(&tenant).expect("tenant");
        let line = br#"{"id":"imp1","tenant":"demo","direction":"inbound","queue":"vip","queued_at":"2026-11-23T09:40:00+08:00","ended_at":"2026-11-23T09:40:30+08:00","outcome":"abandoned"}"#;
        let p = ccpulse_ingest::parse_contact_line(line, 1, None).expect("contact");
        let mut batch = store.begin_contacts().expect("batch");
        batch.append(&p.contact, p.fingerprint).expect("append");
        batch.commit().expect("commit");
    }
    {
        let (_state, router) = server_over(dir.path());
        runtime().block_on(async {
            post_events(&router, Value::Array(two_calls())).await;
            let r = today_row(&router).await;
            assert_eq!(
                (
                    r["contacts"].clone(),
                    r["answered"].clone(),
                    r["abandoned"].clone()
                ),
                (json!(3), json!(1), json!(2)),
                "{r}"
            );
            // c1's survey comes in a later request: its row is replaced, not added.
            let r = post_events(
                &router,
                json!([ev(
                    "8",
                    "surveyed",
                    "c1",
                    "2026-11-23T09:54:00+08:00",
                    json!({"score": "very_satisfied"})
                )]),
            )
            .await;
            assert_eq!(r, json!({"accepted": 1, "duplicates": 0}));
            let r = today_row(&router).await;
            assert_eq!(
                (r["contacts"].clone(), r["survey_offered"].clone()),
                (json!(3), json!(1)),
                "{r}"
            );
            // The imported contact, now told by events (answered, 120 s of talk): replaced.
            post_events(
                &router,
                json!([
                    ev(
                        "i1",
                        "queued",
                        "imp1",
                        "2026-11-23T09:40:00+08:00",
                        json!({"queue": "vip"})
                    ),
                    ev(
                        "i2",
                        "answered",
                        "imp1",
                        "2026-11-23T09:40:10+08:00",
                        json!({"agent": "1002"})
                    ),
                    ev(
                        "i3",
                        "ended",
                        "imp1",
                        "2026-11-23T09:42:10+08:00",
                        json!({})
                    ),
                ]),
            )
            .await;
            let r = today_row(&router).await;
            assert_eq!(
                (
                    r["contacts"].clone(),
                    r["answered"].clone(),
                    r["abandoned"].clone()
                ),
                (json!(3), json!(2), json!(1)),
                "{r}"
            );
            assert_eq!(r["avg_talk"].as_f64(), Some(150.0), "(180 + 120) / 2: {r}");
            // r1 is stored, then a wrap-up before its end would make it contradict itself
            // (refused in its own answer, the row kept), then a later wrap-up: still one row.
            post_events(
                &router,
                json!([
                    ev(
                        "r1",
                        "queued",
                        "r1",
                        "2026-11-23T09:30:00+08:00",
                        json!({"queue": "vip"})
                    ),
                    ev(
                        "r2",
                        "answered",
                        "r1",
                        "2026-11-23T09:30:05+08:00",
                        json!({"agent": "1002"})
                    ),
                    ev("r3", "ended", "r1", "2026-11-23T09:32:05+08:00", json!({})),
                ]),
            )
            .await;
            let (status, _, refused) = call(
                &router,
                Method::POST,
                "/api/v1/events?tenant=demo",
                Some("t"),
                Some(
                    json!([ev(
                        "r4",
                        "wrap_up_ended",
                        "r1",
                        "2026-11-23T09:31:00+08:00",
                        json!({})
                    )])
                    .to_string(),
                ),
            )
            .await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{refused}");
            assert!(
                refused["errors"][0]["reason"]
                    .as_str()
                    .is_some_and(|r| r.contains("before `ended_at`")),
                "{refused}"
            );
            post_events(
                &router,
                json!([ev(
                    "r5",
                    "wrap_up_ended",
                    "r1",
                    "2026-11-23T09:33:00+08:00",
                    json!({})
                )]),
            )
            .await;
            let r = today_row(&router).await;
            assert_eq!(
                (r["contacts"].clone(), r["answered"].clone()),
                (json!(4), json!(3)),
                "{r}"
            );
        });
    }
    std::thread::sleep(std::time::Duration::from_millis(200));
    let (_state, router) = server_over(dir.path());
    runtime().block_on(async {
        // The survey again, after the restart: a duplicate.
        let r = post_events(
            &router,
            json!([ev(
                "8",
                "surveyed",
                "c1",
                "2026-11-23T09:54:00+08:00",
                json!({"score": "very_satisfied"})
            )]),
        )
        .await;
        assert_eq!(r, json!({"accepted": 0, "duplicates": 1}));
        // c2 gets an earlier arrival: read back from the store and replaced.
        let r = post_events(
            &router,
            json!([ev(
                "10",
                "arrived",
                "c2",
                "2026-11-23T09:50:50+08:00",
                json!({"channel": "voice"})
            )]),
        )
        .await;
        assert_eq!(r, json!({"accepted": 1, "duplicates": 0}));
        // Twice in one request: once.
        let twice = ev(
            "11",
            "queued",
            "c5",
            "2026-11-23T09:58:00+08:00",
            json!({"queue": "vip"}),
        );
        let r = post_events(&router, json!([twice.clone(), twice])).await;
        assert_eq!(r, json!({"accepted": 1, "duplicates": 1}));
        let r = today_row(&router).await;
        assert_eq!(
            (
                r["contacts"].clone(),
                r["answered"].clone(),
                r["abandoned"].clone(),
                r["survey_offered"].clone()
            ),
            (json!(4), json!(3), json!(1), json!(1)),
            "{r}"
        );
    });
}

#[test]
fn agents_show_their_state_and_the_floor_survives_a_restart() {
    let dir = tempfile::tempdir().expect("tempdir");
    let events = json!([
        {"id": "a1", "type": "agent_state", "agent": "1001", "state": "logged_in", "queue": "vip", "at": "2026-11-23T09:00:00+08:00"},
        {"id": "a2", "type": "agent_state", "agent": "1002", "state": "logged_in", "queue": "vip", "at": "2026-11-23T09:00:00+08:00"},
        {"id": "a3", "type": "agent_state", "agent": "1002", "state": "break", "reason": "lunch", "at": "2026-11-23T09:30:00+08:00"},
        {"id": "q1", "type": "queued", "contact_id": "w1", "queue": "vip", "at": "2026-11-23T09:59:00+08:00"},
    ])
    .to_string();
    let snapshot = |state: &AppState| state.hub().snapshot(&demo(), now());
    let first = {
        let store = DuckDbStore::open(dir.path(), &StoreConfig::default()).expect("store");
        store
            .put_user(&User {
                name: "pbx".into(),
                role: "admin".into(),
                password_hash: hash_password("x-pw").expect("hash"),
                tenants: None,
                ..Default::default()
            })
            .expect("user");
        store
            .add_token(&secret_hash("t"), "pbx", None)
            .expect("token");
        let state = ccpulse_server::start(store, ServerOptions::default(), Arc::new(Fixed(now())))
            .expect("start");
        let router = ccpulse_server::router(state.clone());
        runtime().block_on(async {
            let (status, _, r) = call(
                &router,
                Method::POST,
                "/api/v1/events?tenant=demo",
                Some("t"),
                Some(events),
            )
            .await;
            assert_eq!(status, StatusCode::ACCEPTED, "{r}");
        });
        let s = snapshot(&state);
        let all = &s["scopes"]["all"]["now"];
        assert_eq!(all["agents_logged_in"], 2, "{s}");
        assert_eq!(all["agents_idle"], 1);
        assert_eq!(all["agents_break"], 1);
        assert_eq!(all["breaks"]["lunch"], 1);
        assert_eq!(all["waiting"], 1);
        let a = s["agents"].as_array().expect("agents");
        assert_eq!(a[1]["state"], "break");
        assert_eq!(a[1]["time_in_state"], 30 * 60);
        s
    };
    // Dropping the state stops the writer; a new server over the same directory shows the
    // same floor.
    std::thread::sleep(std::time::Duration::from_millis(200));
    let store = DuckDbStore::open(dir.path(), &StoreConfig::default()).expect("reopen");
    let state = ccpulse_server::start(store, ServerOptions::default(), Arc::new(Fixed(now())))
        .expect("start");
    let again = snapshot(&state);
    assert_eq!(again["scopes"], first["scopes"]);
    assert_eq!(again["agents"], first["agents"]);
}

#[test]
fn pages_and_assets_are_served() {
    let app = app(ServerOptions::default());
    runtime().block_on(async {
        let (status, headers, _) = call(&app.router, Method::GET, "/", None, None).await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        assert_eq!(headers[header::LOCATION], "/wall");
        for page in ["/wall", "/login"] {
            let (status, headers, body) = call(&app.router, Method::GET, page, None, None).await;
            assert_eq!(status, StatusCode::OK, "{page}");
            assert!(headers[header::CONTENT_TYPE]
                .to_str()
                .expect("type")
                .starts_with("text/html"));
            let html = body.as_str().expect("html");
            let asset = html
                .split('"')
                .find(|s| s.starts_with("/assets/") && s.ends_with(".js"))
                .expect("script");
            let (status, headers, _) = call(&app.router, Method::GET, asset, None, None).await;
            assert_eq!(status, StatusCode::OK, "{asset}");
            assert!(headers[header::CONTENT_TYPE]
                .to_str()
                .expect("type")
                .starts_with("text/javascript"));
        }
        let (status, _, _) = call(&app.router, Method::GET, "/assets/missing.js", None, None).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        // The health check needs no credentials.
        let (status, _, body) = call(&app.router, Method::GET, "/healthz", None, None).await;
        assert_eq!((status, body), (StatusCode::OK, json!("ok")));
    });
}

/// The event stream with credentials: an event stream whose first frame is the whole picture.
#[test]
fn the_live_stream_opens_with_a_snapshot() {
    use futures_util::StreamExt as _;
    let app = app(ServerOptions::default());
    runtime().block_on(async {
        let req = Request::builder()
            .uri("/api/v1/live/stream?tenant=demo")
            .header(header::AUTHORIZATION, "Bearer viewer-token")
            .body(Body::empty())
            .expect("request");
        let res = app.router.clone().oneshot(req).await.expect("response");
        assert_eq!(res.status(), StatusCode::OK);
        assert!(res.headers()[header::CONTENT_TYPE]
            .to_str()
            .expect("type")
            .starts_with("text/event-stream"));
        let mut body = res.into_body().into_data_stream();
        let first = tokio::time::timeout(std::time::Duration::from_secs(5), body.next())
            .await
            .expect("a first frame within 5 s")
            .expect("a frame")
            .expect("bytes");
        let text = String::from_utf8_lossy(&first);
        assert!(text.contains("event: snapshot"), "{text}");
        assert!(text.contains("\"tenant\":\"demo\""), "{text}");
        // A scoped viewer of another tenant gets no stream of this one.
        let req = Request::builder()
            .uri("/api/v1/live/stream?tenant=demo")
            .header(header::AUTHORIZATION, "Bearer scoped-token")
            .body(Body::empty())
            .expect("request");
        let res = app.router.clone().oneshot(req).await.expect("response");
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
    });
}

/// A webhook receiver on loopback: refuses the first request with 500 (so the sender must
/// retry), then takes every alert and hands its JSON body to the test.
fn webhook_receiver() -> (String, std::sync::mpsc::Receiver<Value>) {
    use std::io::{BufRead as _, BufReader, Read as _, Write as _};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}/hook", listener.local_addr().expect("addr"));
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for (n, stream) in listener.incoming().enumerate() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().expect("clone"));
            let mut length = 0usize;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap_or(0);
                }
            }
            let mut body = vec![0; length];
            let _ = reader.read_exact(&mut body);
            if n == 0 {
                let _ = stream.write_all(b"HTTP/1.1 500 Internal Server Error\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
                continue;
            }
            let _ = stream
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
            if let Ok(v) = serde_json::from_slice::<Value>(&body) {
                let _ = tx.send(v);
            }
        }
    });
    (url, rx)
}

#[test]
fn an_alert_fires_and_resolves_to_the_wall_the_history_and_a_webhook() {
    let (url, hooks) = webhook_receiver();
    let app = app(ServerOptions {
        webhook: Some(url),
        ..ServerOptions::default()
    });
    let rt = runtime();
    rt.block_on(async {
        let mut stream = app.state.hub().subscribe();
        let (status, _, _) = call(
            &app.router,
            Method::POST,
            "/api/v1/alerts/rules?tenant=demo",
            Some("admin-token"),
            Some(r#"{"id":"vip-queue","when":"waiting > 0 for queue vip"}"#.into()),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED);
        let post = |events: Value| {
            call(
                &app.router,
                Method::POST,
                "/api/v1/events?tenant=demo",
                Some("ingest-token"),
                Some(events.to_string()),
            )
        };
        ccpulse_server::refresh(&app.state).await;
        post(json!([ev(
            "q",
            "queued",
            "w",
            "2026-11-23T09:59:00+08:00",
            json!({"queue": "vip"})
        )]))
        .await;
        ccpulse_server::refresh(&app.state).await;
        let (_, _, live) = call(
            &app.router,
            Method::GET,
            "/api/v1/live?tenant=demo",
            Some("viewer-token"),
            None,
        )
        .await;
        assert_eq!(live["alerts"][0]["rule"], "vip-queue", "{live}");
        post(json!([ev(
            "a",
            "answered",
            "w",
            "2026-11-23T09:59:30+08:00",
            json!({"agent": "1001"})
        )]))
        .await;
        ccpulse_server::refresh(&app.state).await;
        let (_, _, live) = call(
            &app.router,
            Method::GET,
            "/api/v1/live?tenant=demo",
            Some("viewer-token"),
            None,
        )
        .await;
        assert_eq!(live["alerts"], json!([]));
        // The wallboard stream saw both.
        let mut states = Vec::new();
        while let Ok(m) = stream.try_recv() {
            if m.event == "alert" {
                states.push(m.data["state"].as_str().unwrap_or_default().to_owned());
            }
        }
        assert_eq!(states, ["firing", "resolved"]);
        let (_, _, history) = call(
            &app.router,
            Method::GET,
            "/api/v1/alerts?tenant=demo",
            Some("viewer-token"),
            None,
        )
        .await;
        let h: Vec<(&str, &str)> = history["alerts"]
            .as_array()
            .expect("alerts")
            .iter()
            .map(|a| {
                (
                    a["rule"].as_str().unwrap_or(""),
                    a["state"].as_str().unwrap_or(""),
                )
            })
            .collect();
        assert_eq!(h, [("vip-queue", "resolved"), ("vip-queue", "firing")]);
    });
    // The webhook got both, in spite of refusing the first attempt (retried after 1 s).
    let wait = std::time::Duration::from_secs(15);
    let mut got: Vec<String> = Vec::new();
    for _ in 0..2 {
        let v = hooks.recv_timeout(wait).expect("webhook call");
        assert_eq!(v["rule"], "vip-queue");
        assert_eq!(v["scope"], "queue:vip");
        got.push(v["state"].as_str().unwrap_or_default().to_owned());
    }
    got.sort();
    assert_eq!(got, ["firing", "resolved"]);
    drop(rt);
}

/// A rule over figures of now is judged on the floor's change itself (no refresh of today's
/// figures), a rule that cannot be evaluated is refused, and a rule still firing when the
/// server restarts is not announced a second time.
#[test]
fn floor_rules_fire_on_the_change_bad_rules_are_refused_and_firing_survives_a_restart() {
    let dir = tempfile::tempdir().expect("tempdir");
    let history = |router: Router| async move {
        let (_, _, h) = call(
            &router,
            Method::GET,
            "/api/v1/alerts?tenant=demo",
            Some("t"),
            None,
        )
        .await;
        h["alerts"]
            .as_array()
            .expect("alerts")
            .iter()
            .map(|a| {
                format!(
                    "{} {}",
                    a["rule"].as_str().unwrap_or(""),
                    a["state"].as_str().unwrap_or("")
                )
            })
            .collect::<Vec<_>>()
    };
    {
        let (state, router) = server_over(dir.path());
        runtime().block_on(async {
            for (when, status) in [
                ("bogus_metric > 1", StatusCode::BAD_REQUEST),
                ("waiting > 3 over 15m", StatusCode::BAD_REQUEST),
                ("service_level[variant=nope] < 0.8", StatusCode::BAD_REQUEST),
                ("service_level < 0.80 over 15m for queue vip", StatusCode::CREATED),
                ("agents_idle = 0 while waiting > 0", StatusCode::CREATED),
            ] {
                let (got, _, body) = call(
                    &router,
                    Method::POST,
                    "/api/v1/alerts/rules?tenant=demo",
                    Some("t"),
                    Some(json!({ "id": when, "when": when }).to_string()),
                )
                .await;
                assert_eq!(got, status, "{when}: {body}");
                if status == StatusCode::BAD_REQUEST {
                    let message = body["error"]["message"].as_str().unwrap_or_default();
                    assert!(message.contains(when.split(' ').next().unwrap_or_default()), "{message}");
                }
            }
            let (_, _, rules) = call(&router, Method::GET, "/api/v1/alerts/rules?tenant=demo", Some("t"), None).await;
            assert_eq!(rules["rules"].as_array().map(Vec::len), Some(2), "{rules}");
            post_events(&router, json!([
                {"id": "w1", "type": "queued", "contact_id": "c1", "queue": "vip", "at": "2026-11-23T09:59:00+08:00"},
            ]))
            .await;
            // No refresh of today's figures: the floor's own evaluation fires it.
            ccpulse_server::floor_alerts(&state).await;
            let live = state.hub().snapshot(&demo(), now());
            assert_eq!(live["alerts"][0]["rule"], "agents_idle = 0 while waiting > 0", "{live}");
            assert_eq!(history(router.clone()).await, ["agents_idle = 0 while waiting > 0 firing"]);
        });
    }
    std::thread::sleep(std::time::Duration::from_millis(200));
    // After a restart the rule still holds: still firing, not announced again.
    let (state, router) = server_over(dir.path());
    runtime().block_on(async {
        let live = state.hub().snapshot(&demo(), now());
        assert_eq!(live["alerts"][0]["rule"], "agents_idle = 0 while waiting > 0", "{live}");
        ccpulse_server::floor_alerts(&state).await;
        ccpulse_server::refresh(&state).await;
        assert_eq!(history(router.clone()).await, ["agents_idle = 0 while waiting > 0 firing"]);
        // An idle agent comes: it resolves, once.
        post_events(&router, json!([
            {"id": "s1", "type": "agent_state", "agent": "1001", "state": "idle", "queue": "vip", "at": "2026-11-23T09:59:30+08:00"},
        ]))
        .await;
        ccpulse_server::floor_alerts(&state).await;
        ccpulse_server::refresh(&state).await;
        assert_eq!(
            history(router.clone()).await,
            [
                "agents_idle = 0 while waiting > 0 resolved",
                "agents_idle = 0 while waiting > 0 firing"
            ]
        );
    });
}

#[test]
fn scheduled_reports_catch_up_what_was_missed_and_are_listed() {
    let app = app(ServerOptions::default());
    let out = tempfile::tempdir().expect("tempdir");
    // A monthly operations report scheduled in mid-August: August, September and October are
    // due (on the 1st of the next month, 06:00) by 23 November, none was made (the server
    // was down).
    let schedule = ccpulse_store::ReportSchedule {
        tenant: "demo".into(),
        id: "monthly".into(),
        report: "operations".into(),
        every: "month".into(),
        day: 1,
        at: "06:00".into(),
        out_dir: out.path().display().to_string(),
        format: "json".into(),
        lang: "en".into(),
        webhook: None,
        created_at: "2026-08-15T00:00:00Z".parse().expect("time"),
    };
    runtime().block_on(async {
        let s = schedule.clone();
        app.state
            .writer()
            .run(move |store| store.put_schedule(&s))
            .await
            .expect("writer")
            .expect("schedule");
        let made = ccpulse_server::run_due_reports(&app.state).await;
        let periods: Vec<&str> = made.iter().map(|r| r.period.as_str()).collect();
        assert_eq!(periods, ["2026-08", "2026-09", "2026-10"]);
        let file = out.path().join("operations-demo-2026-10.json");
        let report: Value =
            serde_json::from_str(&std::fs::read_to_string(&file).expect("report file"))
                .expect("json");
        assert_eq!(report["period"], "2026-10");
        assert_eq!(report["monthly"].as_array().map(Vec::len), Some(31));
        // Nothing is made twice.
        assert!(ccpulse_server::run_due_reports(&app.state).await.is_empty());

        // Listed for readers of the tenant; not for a user scoped to another tenant.
        let (status, _, body) = call(
            &app.router,
            Method::GET,
            "/api/v1/reports?tenant=demo",
            Some("viewer-token"),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["schedules"][0]["id"], "monthly");
        assert_eq!(body["reports"].as_array().map(Vec::len), Some(3));
        assert_eq!(body["reports"][0]["period"], "2026-10");
        let (status, _, _) = call(
            &app.router,
            Method::GET,
            "/api/v1/reports?tenant=demo",
            Some("scoped-token"),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        // A produced file, by its schedule and period (never by a path).
        let (status, headers, file) = call(
            &app.router,
            Method::GET,
            "/api/v1/reports/file?tenant=demo&schedule=monthly&period=2026-10",
            Some("viewer-token"),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        assert!(headers[header::CONTENT_DISPOSITION]
            .to_str()
            .is_ok_and(|d| d.contains("operations-demo-2026-10.json")));
        assert_eq!(file["period"], "2026-10");
        let (status, _, _) = call(
            &app.router,
            Method::GET,
            "/api/v1/reports/file?tenant=demo&schedule=monthly&period=../../etc/passwd",
            Some("viewer-token"),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        // Any report made now, in any format.
        let (status, headers, html) = call(
            &app.router,
            Method::GET,
            "/api/v1/reports/generate?tenant=demo&report=operations&period=2026-10&format=html&lang=en",
            Some("viewer-token"),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{html}");
        assert!(headers[header::CONTENT_TYPE]
            .to_str()
            .is_ok_and(|c| c.starts_with("text/html")));
        assert!(html.as_str().is_some_and(|h| h.contains("<html")));
        let (status, headers, _) = call(
            &app.router,
            Method::GET,
            "/api/v1/reports/generate?tenant=demo&report=scorecard&period=2026-10&format=xlsx",
            Some("viewer-token"),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        assert!(headers[header::CONTENT_DISPOSITION]
            .to_str()
            .is_ok_and(|d| d.contains("attachment") && d.contains("scorecard-demo-2026-10.xlsx")));
        for (query, says) in [
            ("report=weather&period=2026-10", "unknown report"),
            ("report=operations&period=someday", "period"),
            ("report=template:nope&period=2026-10", "no template"),
            ("report=operations&period=2026-10&format=doc", "unknown format"),
        ] {
            let (status, _, e) = call(
                &app.router,
                Method::GET,
                &format!("/api/v1/reports/generate?tenant=demo&{query}"),
                Some("viewer-token"),
                None,
            )
            .await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{query}: {e}");
            assert!(
                e["error"]["message"].as_str().is_some_and(|m| m.contains(says)),
                "{query}: {e}"
            );
        }

        // Only admins add schedules; bad ones say why.
        // The folder is taken inside the reports folder; anywhere else, `..` and webhooks off
        // the allow-list are refused.
        for (to, hook, says) in [
            ("/tmp", None, "reports are written inside"),
            ("../../etc", None, "`..`"),
            ("q", Some("http://169.254.169.254/latest/meta-data"), "allow-list"),
        ] {
            let bad = json!({"report": "quality", "every": "month", "to": to, "webhook": hook}).to_string();
            let (status, _, e) = call(&app.router, Method::POST, "/api/v1/reports/schedules?tenant=demo", Some("admin-token"), Some(bad)).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{to}: {e}");
            assert!(e.to_string().contains(says), "{to}: {e}");
        }
        let body = json!({"report": "quality", "every": "month", "to": "quality"}).to_string();
        let (status, _, _) = call(
            &app.router,
            Method::POST,
            "/api/v1/reports/schedules?tenant=demo",
            Some("viewer-token"),
            Some(body.clone()),
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, _, created) = call(
            &app.router,
            Method::POST,
            "/api/v1/reports/schedules?tenant=demo",
            Some("admin-token"),
            Some(body),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
        assert_eq!(created["schedule"]["id"], "quality-month");
        assert!(created["schedule"]["out_dir"].as_str().is_some_and(|d| d.ends_with("reports/quality")), "{created}");
        let bad = json!({"report": "quality", "every": "fortnight", "to": "q"}).to_string();
        let (status, _, err) = call(
            &app.router,
            Method::POST,
            "/api/v1/reports/schedules?tenant=demo",
            Some("admin-token"),
            Some(bad),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(err["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("fortnight")));
        let (status, _, _) = call(
            &app.router,
            Method::DELETE,
            "/api/v1/reports/schedules/quality-month?tenant=demo",
            Some("admin-token"),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::NO_CONTENT);
    });
}

#[test]
fn a_tenant_sets_its_own_kpi_standards_and_the_wall_scores_by_them() {
    let app = app(ServerOptions::default());
    runtime().block_on(async {
        let (status, _, body) =
            call(&app.router, Method::GET, "/api/v1/standards?tenant=demo", Some("viewer-token"), None).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body["standards"]["answer_rate"][0], json!({"points": 5, "gt": 0.95}));
        assert_eq!(body["overridden"], json!([]));
        let mine = json!({"answer_rate": [{"points": 5, "gt": 0.4}, {"points": 1}]}).to_string();
        let (status, _, _) = call(&app.router, Method::PUT, "/api/v1/standards?tenant=demo", Some("viewer-token"), Some(mine.clone())).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, _, body) = call(&app.router, Method::PUT, "/api/v1/standards?tenant=demo", Some("admin-token"), Some(mine)).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["overridden"], json!(["answer_rate"]));
        let bad = json!({"no_such_metric": [{"points": 5}]}).to_string();
        let (status, _, _) = call(&app.router, Method::PUT, "/api/v1/standards?tenant=demo", Some("admin-token"), Some(bad)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        // One answered call of two that reached the queue: 50 %, 5 points by the tenant's own
        // standard (seed 002 would give 2).
        let events = json!([
            {"id": "s1", "type": "queued", "contact_id": "k1", "queue": "vip", "at": "2026-11-23T09:00:00+08:00"},
            {"id": "s2", "type": "answered", "contact_id": "k1", "agent": "1001", "at": "2026-11-23T09:00:05+08:00"},
            {"id": "s3", "type": "ended", "contact_id": "k1", "at": "2026-11-23T09:02:05+08:00"},
            {"id": "s4", "type": "queued", "contact_id": "k2", "queue": "vip", "at": "2026-11-23T09:10:00+08:00"},
            {"id": "s5", "type": "abandoned", "contact_id": "k2", "at": "2026-11-23T09:11:00+08:00"},
        ])
        .to_string();
        let (status, _, r) = call(&app.router, Method::POST, "/api/v1/events?tenant=demo", Some("ingest-token"), Some(events)).await;
        assert_eq!(status, StatusCode::ACCEPTED, "{r}");
        ccpulse_server::refresh(&app.state).await;
        let (_, _, live) = call(&app.router, Method::GET, "/api/v1/live?tenant=demo", Some("viewer-token"), None).await;
        let all = &live["scopes"]["all"]["today"];
        assert_eq!(all["answer_rate"].as_f64(), Some(0.5), "{live}");
        assert_eq!(all["scores"]["answer_rate"], 5);
        assert_eq!(live["standards"]["answer_rate"]["bands"][1]["points"], 1);
        // Back to the catalog's bands.
        let (status, _, body) = call(&app.router, Method::PUT, "/api/v1/standards?tenant=demo", Some("admin-token"), Some("{}".into())).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body["overridden"], json!([]));
    });
}

/// The drill-down through the API: exactly the contacts a figure counted, customers masked
/// unless the role may see them, one contact with the events that built it, CSV, and bad
/// input refused with the reason.
#[test]
fn the_contacts_behind_a_figure_masked_by_role_with_their_timeline() {
    let app = app(ServerOptions::default());
    runtime().block_on(async {
        let mut events = two_calls();
        events[0]["customer"] = json!("13812345678");
        let body = Value::Array(events).to_string();
        let (status, _, r) = call(
            &app.router,
            Method::POST,
            "/api/v1/events?tenant=demo",
            Some("ingest-token"),
            Some(body),
        )
        .await;
        assert_eq!(status, StatusCode::ACCEPTED, "{r}");
        let get = |uri: &str, token: &'static str| {
            let (router, uri) = (app.router.clone(), uri.to_owned());
            async move { call(&router, Method::GET, &uri, Some(token), None).await }
        };
        let (status, _, d) = get(
            "/api/v1/contacts?tenant=demo&metric=abandoned",
            "viewer-token",
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{d}");
        assert_eq!(d["total"], 1);
        assert_eq!(d["rows"][0]["id"], "c2");
        assert_eq!(d["rows"][0]["wait_s"].as_f64(), Some(40.0));
        // The service level's denominator holds both calls, its numerator the one answered
        // within 20 s; the kpi says 1 / 2.
        let (_, _, den) = get(
            "/api/v1/contacts?tenant=demo&metric=service_level&part=denominator",
            "viewer-token",
        )
        .await;
        let (_, _, num) = get(
            "/api/v1/contacts?tenant=demo&metric=service_level",
            "viewer-token",
        )
        .await;
        assert_eq!(
            (num["total"].clone(), den["total"].clone()),
            (json!(1), json!(2))
        );
        // Masked for everyone by default; whole for a role that may unmask, asked with a
        // reason, which the audit log keeps.
        let (_, _, v) = get(
            "/api/v1/contacts?tenant=demo&metric=answered",
            "viewer-token",
        )
        .await;
        assert_eq!(v["rows"][0]["customer"], "138****5678");
        let (_, _, a) = get(
            "/api/v1/contacts?tenant=demo&metric=answered",
            "admin-token",
        )
        .await;
        assert_eq!(a["rows"][0]["customer"], "138****5678");
        let (status, _, _) = get(
            "/api/v1/contacts?tenant=demo&metric=answered&unmask=true&reason=callback",
            "viewer-token",
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, _, e) = get(
            "/api/v1/contacts?tenant=demo&metric=answered&unmask=true",
            "admin-token",
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(e.to_string().contains("reason"), "{e}");
        let (_, _, a) = get(
            "/api/v1/contacts?tenant=demo&metric=answered&unmask=true&reason=customer%20callback",
            "admin-token",
        )
        .await;
        assert_eq!(a["rows"][0]["customer"], "13812345678");
        let (_, _, card) = get(
            "/api/v1/contacts/c1?tenant=demo&unmask=true&reason=dispute",
            "admin-token",
        )
        .await;
        assert_eq!(card["contact"]["customer"], "13812345678");
        let (status, _, log) = get("/api/v1/audit?action=contacts", "admin-token").await;
        assert_eq!(status, StatusCode::OK, "{log}");
        let unmasked: Vec<&Value> = log["records"]
            .as_array()
            .expect("records")
            .iter()
            .filter(|r| r["detail"]["unmasked"] == true)
            .collect();
        assert_eq!(unmasked.len(), 2, "{log}");
        assert_eq!(unmasked[0]["actor"], "root");
        assert_eq!(unmasked[0]["detail"]["reason"], "customer callback");
        assert_eq!(unmasked[0]["detail"]["rows"], 1);
        assert_eq!(unmasked[1]["detail"]["contact"], "c1");
        assert_eq!(unmasked[1]["detail"]["reason"], "dispute");
        let (status, _, _) = get("/api/v1/audit", "viewer-token").await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        // One contact: every field and the events that built it, in order.
        let (status, _, card) = get("/api/v1/contacts/c1?tenant=demo", "viewer-token").await;
        assert_eq!(status, StatusCode::OK, "{card}");
        assert_eq!(card["contact"]["customer"], "138****5678");
        assert_eq!(card["contact"]["agent"], "1001");
        assert_eq!(card["timeline_source"], "events");
        let kinds: Vec<&str> = card["timeline"]
            .as_array()
            .expect("present")
            .iter()
            .map(|m| m["kind"].as_str().expect("present"))
            .collect();
        assert_eq!(
            kinds,
            ["arrived", "queued", "answered", "ended", "wrap_up_ended"]
        );
        assert_eq!(card["timeline"][2]["event"]["agent"], "1001");
        // The event that brought the customer's number shows it masked too.
        assert!(
            !card.to_string().contains("13812345678"),
            "no whole number anywhere in the card: {card}"
        );
        assert_eq!(card["timeline"][0]["event"]["customer"], "138****5678");
        // An analyst sees no customer at all, not even masked, in lists, exports and cards.
        let (_, _, a) = get(
            "/api/v1/contacts?tenant=demo&metric=answered",
            "analyst-token",
        )
        .await;
        assert_eq!(a["rows"][0]["customer"], "***", "{a}");
        let (_, _, csv) = get(
            "/api/v1/contacts?tenant=demo&metric=answered&format=csv",
            "analyst-token",
        )
        .await;
        let csv = csv.as_str().expect("csv").to_owned();
        assert!(csv.contains("***") && !csv.contains("5678"), "{csv}");
        let (_, _, card) = get("/api/v1/contacts/c1?tenant=demo", "analyst-token").await;
        assert!(!card.to_string().contains("5678"), "{card}");
        // The tenant's rule: keep only the last four.
        {
            let mut settings = app
                .state
                .read(|store, _| Ok(store.tenant("demo").expect("demo").settings.clone()))
                .await
                .expect("settings");
            settings.mask_keep = [0, 4];
            app.state
                .writer()
                .run(move |store| {
                    let t = ccpulse_model::TenantId::new("demo").expect("tenant");
                    store.set_tenant(&t, None, Some(settings)).map(|_| ())
                })
                .await
                .expect("writer")
                .expect("set");
        }
        let (_, _, v) = get(
            "/api/v1/contacts?tenant=demo&metric=answered",
            "viewer-token",
        )
        .await;
        assert_eq!(v["rows"][0]["customer"], "*******5678", "{v}");
        let (status, _, _) = get("/api/v1/contacts/nope?tenant=demo", "viewer-token").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        // Another tenant's caller sees nothing of it.
        let (status, _, _) = get(
            "/api/v1/contacts?tenant=demo&metric=abandoned",
            "scoped-token",
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, _, _) = get("/api/v1/contacts/c1?tenant=demo", "scoped-token").await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        // CSV: a header and a line per contact.
        let (status, headers, csv) = get(
            "/api/v1/contacts?tenant=demo&metric=offered&format=csv",
            "viewer-token",
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        assert!(headers[header::CONTENT_TYPE]
            .to_str()
            .expect("present")
            .starts_with("text/csv"));
        assert_eq!(csv.as_str().expect("present").lines().count(), 3, "{csv}");
        let (_, headers, kcsv) = get(
            "/api/v1/kpi?tenant=demo&metrics=offered,abandoned&by=queue&format=csv",
            "viewer-token",
        )
        .await;
        assert!(headers[header::CONTENT_DISPOSITION]
            .to_str()
            .expect("present")
            .contains("kpi.csv"));
        assert_eq!(
            kcsv.as_str().expect("present"),
            "queue,offered,abandoned\nvip,2,1\n"
        );
        // A filter value is a value, never SQL: nothing matches it.
        let (status, _, inj) = get(
            "/api/v1/contacts?tenant=demo&metric=offered&filter=queue=vip%27%20OR%201=1%20--",
            "viewer-token",
        )
        .await;
        assert_eq!((status, inj["total"].clone()), (StatusCode::OK, json!(0)));
        for (query, says) in [
            ("metric=colour", "unknown metric"),
            ("", "metric: missing"),
            ("metric=abandoned&limit=10001", "1 to 10000"),
            ("metric=abandoned&limit=ten", "whole number"),
            (
                "metric=abandoned&sort=wait_s;drop%20table%20contacts",
                "not a field",
            ),
            (
                "metric=abandoned&filter=queue%27)%20OR%20(1=1",
                "unknown --filter key",
            ),
            ("metric=abandoned&filter=queue", "KEY=V1"),
            ("metric=abandoned&filter=colour=red", "unknown --filter key"),
            ("metric=abandoned&from=yesterday", "not a date"),
            ("metric=abandoned&part=middle", "numerator or denominator"),
            ("metric=occupancy", "cannot be drilled"),
            ("metric=abandoned&format=pdf", "json, csv or xlsx"),
        ] {
            let (status, _, e) = get(
                &format!("/api/v1/contacts?tenant=demo&{query}"),
                "viewer-token",
            )
            .await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{query}: {e}");
            let msg = e["error"]["message"].as_str().unwrap_or_default();
            assert!(msg.contains(says), "{query}: {msg}");
        }
    });
}

/// A view and a drill-down exported as XLSX: calamine reads the cells back and LibreOffice
/// converts the workbook without complaint.
#[test]
fn views_and_contacts_export_to_xlsx_that_spreadsheets_open() {
    use calamine::{Data, Reader, Xlsx};
    let app = app(ServerOptions::default());
    let dir = tempfile::tempdir().expect("dir");
    runtime().block_on(async {
        let body = Value::Array(two_calls()).to_string();
        call(&app.router, Method::POST, "/api/v1/events?tenant=demo", Some("ingest-token"), Some(body)).await;
        let req = |uri: &str| {
            Request::builder()
                .uri(uri)
                .header(header::AUTHORIZATION, "Bearer viewer-token")
                .body(Body::empty())
                .expect("request")
        };
        for (uri, file, first_row) in [
            ("/api/v1/kpi?tenant=demo&metrics=offered,abandoned,service_level&by=outcome&format=xlsx&lang=en", "kpi.xlsx", vec!["Outcome"]),
            ("/api/v1/contacts?tenant=demo&metric=offered&format=xlsx", "contacts.xlsx", vec!["id", "time"]),
        ] {
            let res = app.router.clone().oneshot(req(uri)).await.expect("response");
            assert_eq!(res.status(), StatusCode::OK, "{uri}");
            assert!(res.headers()[header::CONTENT_DISPOSITION].to_str().expect("ascii").contains(file));
            let bytes = axum::body::to_bytes(res.into_body(), 16 << 20).await.expect("body");
            let path = dir.path().join(file);
            std::fs::write(&path, &bytes).expect("write");
            let mut wb: Xlsx<_> = calamine::open_workbook(&path).expect("calamine opens it");
            let sheet = wb.sheet_names()[0].clone();
            let range = wb.worksheet_range(&sheet).expect("sheet");
            let cells: Vec<String> = range.rows().flatten().map(|c| c.to_string()).collect();
            for want in &first_row {
                assert!(cells.iter().any(|c| c == want), "{file}: {want} in {cells:?}");
            }
            if file == "kpi.xlsx" {
                // By outcome: one answered (service level 1), one abandoned.
                assert!(cells.iter().any(|c| c == "abandoned"), "{cells:?}");
                let nums: Vec<f64> = range.rows().flatten().filter_map(|c| match c { Data::Float(f) => Some(*f), Data::Int(i) => Some(*i as f64), _ => None }).collect();
                assert!(nums.contains(&1.0) && nums.contains(&0.0), "{nums:?}");
                assert!(bytes.windows(20).any(|w| w == b"xl/charts/chart1.xml"), "a native chart");
            } else {
                assert!(cells.iter().any(|c| c == "c1") && cells.iter().any(|c| c == "c2"), "{cells:?}");
            }
        }
    });
    let Some(soffice) = ["soffice", "libreoffice"].into_iter().find(|b| {
        std::process::Command::new(b)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    }) else {
        eprintln!("LibreOffice is not installed (scripts/setup installs it): conversion skipped");
        return;
    };
    for file in ["kpi.xlsx", "contacts.xlsx"] {
        let o = std::process::Command::new(soffice)
            .arg(format!(
                "-env:UserInstallation=file://{}",
                dir.path().join("lo").display()
            ))
            .args([
                "--headless",
                "--convert-to",
                "csv:Text - txt - csv (StarCalc):44,34,76,1",
                "--outdir",
            ])
            .arg(dir.path().join("csv"))
            .arg(dir.path().join(file))
            .output()
            .expect("soffice");
        assert!(
            o.status.success(),
            "soffice: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        let csv =
            std::fs::read_to_string(dir.path().join("csv").join(file.replace(".xlsx", ".csv")))
                .expect("converted");
        assert!(csv.lines().count() >= 2, "{file}: {csv}");
    }
}

/// Templates: a private view is its owner's, a shared one everyone's who sees the tenant;
/// only the owner (or an admin) removes one; a view the catalog cannot answer is refused.
#[test]
fn templates_are_private_or_shared_and_checked_when_saved() {
    let app = app(ServerOptions::default());
    runtime().block_on(async {
        let send = |method: Method, uri: &str, token: &'static str, body: Option<Value>| {
            let (router, uri) = (app.router.clone(), uri.to_owned());
            async move { call(&router, method, &uri, Some(token), body.map(|b| b.to_string())).await }
        };
        let view = json!({"metrics": "abandoned,answer_rate", "by": "month,queue", "filters": ["channel=voice"], "period": "this_year", "chart": "bar"});
        let (status, _, r) = send(Method::POST, "/api/v1/templates?tenant=demo", "viewer-token", Some(json!({"name": "mine", "view": view}))).await;
        assert_eq!(status, StatusCode::CREATED, "{r}");
        let (status, _, _) = send(Method::POST, "/api/v1/templates?tenant=demo", "admin-token", Some(json!({"name": "team view", "shared": true, "view": view}))).await;
        assert_eq!(status, StatusCode::CREATED);
        let names = |v: &Value| -> Vec<String> { v["templates"].as_array().expect("list").iter().map(|t| t["name"].as_str().expect("name").to_owned()).collect() };
        let (_, _, mine) = send(Method::GET, "/api/v1/templates?tenant=demo", "viewer-token", None).await;
        assert_eq!(names(&mine), ["mine", "team view"]);
        assert_eq!(mine["templates"][0]["view"], view);
        let (_, _, admin) = send(Method::GET, "/api/v1/templates?tenant=demo", "admin-token", None).await;
        assert_eq!(names(&admin), ["team view"], "a private view is its owner's");
        let (status, _, one) = send(Method::GET, "/api/v1/templates/team%20view?tenant=demo", "viewer-token", None).await;
        assert_eq!((status, one["owner"].clone()), (StatusCode::OK, json!("root")));
        // Someone else's name cannot be taken over; someone else's template not removed.
        let (status, _, e) = send(Method::POST, "/api/v1/templates?tenant=demo", "viewer-token", Some(json!({"name": "team view", "view": view}))).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{e}");
        let (status, _, _) = send(Method::DELETE, "/api/v1/templates/team%20view?tenant=demo", "viewer-token", None).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, _, _) = send(Method::DELETE, "/api/v1/templates/mine?tenant=demo", "viewer-token", None).await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        // Another tenant's caller sees none of them.
        let (status, _, _) = send(Method::GET, "/api/v1/templates?tenant=demo", "scoped-token", None).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        for (body, says) in [
            (json!({"name": "x", "view": {"metrics": "colour"}}), "unknown metric"),
            (json!({"name": "x", "view": {"metrics": "abandoned", "by": "shoe_size"}}), "unknown --by"),
            (json!({"name": "a/b", "view": {"metrics": "abandoned"}}), "slashes"),
            (json!({"name": "..", "view": {"metrics": "abandoned"}}), "not starting with a dot"),
            (json!({"name": "<script>", "view": {"metrics": "abandoned"}}), "characters"),
            (json!({"name": "x", "view": {"by": "queue"}}), "metrics"),
        ] {
            let (status, _, e) = send(Method::POST, "/api/v1/templates?tenant=demo", "viewer-token", Some(body.clone())).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {e}");
            assert!(e["error"]["message"].as_str().unwrap_or_default().contains(says), "{body}: {e}");
        }
    });
}

/// Hot topics and channel efficiency through the API: the period's inbound volume by
/// category against the previous month, the requests per channel, scoped like every read.
#[test]
fn topics_through_the_api() {
    let app = app(ServerOptions::default());
    runtime().block_on(async {
        let body = Value::Array(two_calls()).to_string();
        call(
            &app.router,
            Method::POST,
            "/api/v1/events?tenant=demo",
            Some("ingest-token"),
            Some(body),
        )
        .await;
        let get = |path: String, token: &'static str| {
            let router = app.router.clone();
            async move { call(&router, Method::GET, &path, Some(token), None).await }
        };
        let (status, _, v) = get(
            "/api/v1/topics?tenant=demo&period=2026-11".into(),
            "viewer-token",
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{v}");
        assert_eq!(v["previous"], "2026-10");
        let (_, _, k) = get(
            "/api/v1/kpi?tenant=demo&metrics=offered&from=2026-11-01&to=2026-12-01".into(),
            "viewer-token",
        )
        .await;
        let volume: f64 = v["contacts"]["topics"]
            .as_array()
            .expect("topics")
            .iter()
            .map(|t| t["volume"].as_f64().unwrap_or(0.0))
            .sum();
        assert_eq!(Some(volume), k["rows"][0]["offered"].as_f64(), "{v} {k}");
        assert!(volume > 0.0);
        let (status, headers, _) = get(
            "/api/v1/topics?tenant=demo&period=2026-11&format=csv".into(),
            "viewer-token",
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        assert!(headers[header::CONTENT_TYPE]
            .to_str()
            .is_ok_and(|c| c.starts_with("text/csv")));
        let (status, _, _) = get(
            "/api/v1/topics?tenant=demo&period=2026-11".into(),
            "scoped-token",
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        // Channel efficiency beside it: the inbound voice calls asked for an agent.
        let (status, _, c) = get(
            "/api/v1/channels?tenant=demo&period=2026-11".into(),
            "viewer-token",
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{c}");
        assert_eq!(c["channels"][0]["channel"], "agent", "{c}");
        let (status, _, _) = get(
            "/api/v1/channels?tenant=demo&period=2026-11".into(),
            "scoped-token",
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, _, _) = get("/api/v1/channels?tenant=demo".into(), "viewer-token").await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        for (q, says) in [
            ("", "period: missing"),
            ("period=2026-11&limit=0", "1 to 1000"),
            ("period=someday", "someday"),
        ] {
            let (status, _, e) =
                get(format!("/api/v1/topics?tenant=demo&{q}"), "viewer-token").await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{q}: {e}");
            assert!(
                e["error"]["message"]
                    .as_str()
                    .unwrap_or_default()
                    .contains(says),
                "{q}: {e}"
            );
        }
    });
}

/// Agents through the API: the same judgement as `ccpulse agents`, scoped like every read.
#[test]
fn agents_are_judged_through_the_api() {
    let app = app(ServerOptions::default());
    runtime().block_on(async {
        let body = Value::Array(two_calls()).to_string();
        call(
            &app.router,
            Method::POST,
            "/api/v1/events?tenant=demo",
            Some("ingest-token"),
            Some(body),
        )
        .await;
        let (status, _, v) = call(
            &app.router,
            Method::GET,
            "/api/v1/agents?tenant=demo&period=2026-11&metrics=aht,asa&min_handled=1",
            Some("viewer-token"),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{v}");
        assert_eq!(v["by"], "team");
        let r = &v["rows"][0];
        assert_eq!(
            (r["agent"].clone(), r["handled"].clone()),
            (json!("1001"), json!(1))
        );
        assert_eq!(r["aht"]["value"].as_f64(), Some(210.0));
        assert_eq!(
            r["aht"]["baseline"].as_f64(),
            Some(210.0),
            "an agent alone is their own baseline"
        );
        let (status, headers, _) = call(
            &app.router,
            Method::GET,
            "/api/v1/agents?tenant=demo&period=2026-11&format=csv",
            Some("viewer-token"),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        assert!(headers[header::CONTENT_TYPE]
            .to_str()
            .is_ok_and(|c| c.starts_with("text/csv")));
        let (status, _, _) = call(
            &app.router,
            Method::GET,
            "/api/v1/agents?tenant=demo&period=2026-11",
            Some("scoped-token"),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        for (q, says) in [
            ("period=2026-11&by=shoe", "team or queue"),
            ("", "period: missing"),
            ("period=2026-11&threshold=-1", "at least 0"),
            ("period=2026-11&metrics=colour", "unknown metric"),
        ] {
            let (status, _, e) = call(
                &app.router,
                Method::GET,
                &format!("/api/v1/agents?tenant=demo&{q}"),
                Some("viewer-token"),
                None,
            )
            .await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{q}: {e}");
            assert!(
                e["error"]["message"]
                    .as_str()
                    .is_some_and(|m| m.contains(says)),
                "{q}: {e}"
            );
        }
    });
}

fn demo() -> ccpulse_model::TenantId {
    ccpulse_model::TenantId::new("demo").expect("tenant")
}
