//! Every API request in the audit log: who, what, about which tenant, with which parameters
//! and what came of it, written before the answer leaves.

use axum::extract::{MatchedPath, Query, Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::{IntoResponse as _, Response};
use serde_json::{json, Map, Value};

use crate::auth::Principal;
use crate::error::ApiError;
use crate::AppState;

/// What a handler adds to its request's audit record (an export's format and row count, the
/// contact unmasked, ...): put into the response's extensions.
#[derive(Debug, Clone)]
pub struct AuditNote(pub Value);

/// Parameters whose values never go into the log.
fn secret(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    ["password", "token", "secret"]
        .iter()
        .any(|s| k.contains(s))
}

/// A JSON body with the values of secret keys (at any depth) redacted.
fn redacted(v: Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.into_iter()
                .map(|(k, v)| {
                    let v = if secret(&k) {
                        json!("***")
                    } else {
                        redacted(v)
                    };
                    (k, v)
                })
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.into_iter().map(redacted).collect()),
        other => other,
    }
}

/// The query's parameters as an object (repeated ones as arrays), secrets redacted.
fn parameters(pairs: Vec<(String, String)>) -> Value {
    let mut out = Map::new();
    for (k, v) in pairs {
        let v = if secret(&k) { "***".to_owned() } else { v };
        match out.get_mut(&k) {
            Some(Value::Array(a)) => a.push(json!(v)),
            Some(old) => *old = json!([old.clone(), v]),
            None => {
                out.insert(k, json!(v));
            }
        }
    }
    Value::Object(out)
}

/// The middleware: records the request after its handler answered, before the answer leaves;
/// an answer that cannot be recorded does not leave (500).
pub async fn record_request(
    State(state): State<AppState>,
    req: Request,
    next: Next,
) -> Result<Response, ApiError> {
    let actor = req
        .extensions()
        .get::<Principal>()
        .map_or_else(|| "anonymous".to_owned(), |p| p.user.clone());
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| req.uri().path().to_owned(), |m| m.as_str().to_owned());
    let action = format!(
        "{} {}",
        req.method(),
        route.strip_prefix("/api/v1/").unwrap_or(&route)
    );
    let pairs = Query::<Vec<(String, String)>>::try_from_uri(req.uri())
        .map(|Query(q)| q)
        .unwrap_or_default();
    let tenant = pairs
        .iter()
        .find(|(k, _)| k == "tenant")
        .map(|(_, v)| v.clone());
    let path = req.uri().path().to_owned();
    // A change's body (the rule, template, schedule or standards set) goes into the record;
    // posted events only by their size (they are in the event log).
    let changes = !matches!(req.method(), &Method::GET | &Method::HEAD);
    let (res, body) = if changes {
        let (parts, body) = req.into_parts();
        match state.read_body(&parts.method, &parts.headers, body).await {
            Ok((bytes, share)) => {
                let noted = if route.ends_with("/events") {
                    json!({ "bytes": bytes.len() })
                } else {
                    redacted(
                        serde_json::from_slice(&bytes)
                            .unwrap_or_else(|_| json!({ "bytes": bytes.len() })),
                    )
                };
                let req = Request::from_parts(parts, axum::body::Body::from(bytes));
                let res = next.run(req).await;
                // The body's share of the server's allowance is held until it is handled.
                drop(share);
                (res, Some(noted))
            }
            Err(e) => (e.into_response(), None),
        }
    } else {
        (next.run(req).await, None)
    };
    let mut detail = json!({
        "path": path,
        "query": parameters(pairs),
        "status": res.status().as_u16(),
    });
    if let Some(b) = body {
        detail["body"] = b;
    }
    if let Some(AuditNote(Value::Object(note))) = res.extensions().get::<AuditNote>() {
        for (k, v) in note {
            detail[k] = v.clone();
        }
    }
    state
        .audit()
        .record(&actor, &action, tenant.as_deref(), detail)
        .map_err(|e| {
            tracing::error!(error = %e, "the audit log cannot be written: the answer is withheld");
            ApiError::Internal(format!("audit log: {e}"))
        })?;
    Ok(res)
}
