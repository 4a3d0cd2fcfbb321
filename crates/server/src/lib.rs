//! The ccpulse server: HTTP API, event ingestion, the live picture pushed to wallboards, alerts
//! and the embedded web UI.
//!
//! - [`routes`]: [`router`], every route (`/api/v1/...`, `/login`, `/wall`, assets).
//! - [`auth`]: passwords, tokens, sessions, roles and the middleware that requires them.
//! - [`writer`]: the one thread that writes to the store, committing events in groups before
//!   they are acknowledged.
//! - [`hub`]: each tenant's floor, figures of today and the numbered messages streams follow.
//! - [`today`]: today's figures by the catalog's queries (the same as `ccpulse kpi`).
//! - [`state`]: [`AppState`], what every route and loop shares, and [`start`].
//! - [`refresh`]: today's figures and alert rules kept current.
//! - [`alerts`]: `alerts.toml`, and alerts to the history, the walls and the webhooks.
//! - [`schedules`]: scheduled reports generated when due.
//! - [`scope`]: a user's data scope applied where the data is read.
//! - [`staffing`]: each queue's plan for the day, and the agents it requires now on the wall.
//! - [`live_update`]: [`live_update::LiveUpdate`], what a commit changes on the floor (the
//!   writer makes it, the hub applies it).
//! - [`conn`]: connections and request bodies within the server's [`Limits`] (timeouts, a
//!   connection cap, a body allowance).
//! - [`error`]: the table of error codes and statuses.
//! - [`web`]: the embedded browser UI.
//!
//! [`start`] opens everything over a store; [`serve`] runs it on a listener until the
//! shutdown future resolves, so tests start it on port 0.

pub mod alerts;
pub mod audit;
pub mod auth;
pub mod conn;
pub mod error;
mod forward;
pub mod hub;
pub mod live_update;
pub mod refresh;
pub mod routes;
pub mod schedules;
pub mod scope;
pub mod staffing;
pub mod state;
pub mod today;
pub mod web;
pub mod writer;

use std::future::Future;

pub use conn::Limits;
pub use error::ApiError;
pub use refresh::{floor_alerts, refresh};
pub use routes::router;
pub use schedules::run_due_reports;
pub use staffing::staff_all;
pub use state::{start, AppState, Clock, ServerOptions, StartError, SystemClock};

/// Serves `state` on `listener` until `shutdown` resolves (then finishes requests in flight).
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let refresher = tokio::spawn(refresh::refresh_loop(state.clone()));
    let floor_alerts = tokio::spawn(refresh::floor_alert_loop(state.clone()));
    let scheduler = tokio::spawn(schedules::schedule_loop(state.clone()));
    let staffer = tokio::spawn(staffing::staffing_loop(state.clone()));
    let app = router(state.clone());
    let stop = state.0.stopping.subscribe();
    let signalled = state.clone();
    let watcher = tokio::spawn(async move {
        shutdown.await;
        // Connections stop taking requests, and open event streams end so that the graceful
        // shutdown does not wait on them.
        signalled.0.stopping.send_replace(true);
    });
    let limits = state.limits().clone();
    conn::accept_loop(listener, app, &limits, stop, SHUTDOWN_GRACE).await;
    watcher.abort();
    refresher.abort();
    floor_alerts.abort();
    scheduler.abort();
    staffer.abort();
    Ok(())
}

/// How long a stopping server waits for the requests in flight.
const SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_secs(30);
