//! Serving with `--store clickhouse://...`: the server keeps working in the data directory
//! (the event log, the live floor, users, audit, alert rules, and the contacts it folds, each
//! committed there before its 202), and every contact it writes goes on to ClickHouse, where
//! the API's figures come from.
//!
//! The forwarder is a thread of its own. At start it brings ClickHouse up to the data
//! directory (every tenant, contact and agent interval, compared by fingerprint or content,
//! only what differs written), so a server stopped or killed between a commit and its
//! forwarding loses nothing there. Then it takes the contacts each committed group touched
//! and writes those that changed (and, after agent events, the tenant's intervals of the last
//! two days that changed); while ClickHouse cannot be reached it keeps them and tries again,
//! waiting longer each time (up to half a minute).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::mpsc;
use std::time::Duration;

use ccpulse_model::TenantId;
use ccpulse_store::{ClickHouseStore, DuckDbStore};

/// What a committed group touched: per request its tenant, the contacts its events are
/// steps of, and whether it had agent events (which change the tenant's intervals).
pub(crate) type Touched = Vec<(TenantId, Vec<String>, bool)>;

/// How far back agent intervals are looked at for changes: a session's intervals close
/// within it.
const RECENT_STATES: jiff::SignedDuration = jiff::SignedDuration::from_hours(48);

/// Starts the forwarder over `reader` (a connection to the server's store) into `into`;
/// it ends when the sender is dropped.
pub(crate) fn spawn(
    reader: DuckDbStore,
    into: ClickHouseStore,
) -> std::io::Result<mpsc::Sender<Touched>> {
    let (tx, rx) = mpsc::channel::<Touched>();
    std::thread::Builder::new()
        .name("ccpulse-forward".into())
        .spawn(move || run(reader, into, &rx))?;
    Ok(tx)
}

fn run(mut reader: DuckDbStore, mut into: ClickHouseStore, rx: &mpsc::Receiver<Touched>) {
    let mut wait = Duration::from_secs(1);
    // Caught up first: what was committed while no forwarder ran.
    loop {
        match reader.load_tenants().and_then(|()| into.copy_from(&reader)) {
            Ok(c) => {
                tracing::info!(
                    place = %into.place(), inserted = c.inserted, updated = c.updated,
                    unchanged = c.unchanged, "ClickHouse caught up with the data directory"
                );
                break;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot catch ClickHouse up yet; trying again");
                std::thread::sleep(wait);
                wait = (wait * 2).min(Duration::from_secs(30));
            }
        }
    }
    // Per tenant: the contacts to forward, and whether its agent intervals changed.
    let mut pending: BTreeMap<TenantId, (BTreeSet<String>, bool)> = BTreeMap::new();
    wait = Duration::from_secs(1);
    loop {
        // Everything waiting, at once.
        let first = if pending.is_empty() {
            match rx.recv() {
                Ok(t) => Some(t),
                Err(_) => return,
            }
        } else {
            match rx.recv_timeout(wait) {
                Ok(t) => Some(t),
                Err(mpsc::RecvTimeoutError::Timeout) => None,
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    // The server is stopping: the next start catches up.
                    std::thread::sleep(wait);
                    None
                }
            }
        };
        for touched in first
            .into_iter()
            .chain(std::iter::from_fn(|| rx.try_recv().ok()))
        {
            for (tenant, ids, agents) in touched {
                let p = pending.entry(tenant).or_default();
                p.0.extend(ids);
                p.1 |= agents;
            }
        }
        if let Err(e) = reader.load_tenants() {
            tracing::error!(error = %e, "cannot read the tenants");
        }
        let since = jiff::Timestamp::now() - RECENT_STATES;
        let mut failed = false;
        while let Some((tenant, (ids, agents))) = pending.pop_first() {
            let list: Vec<String> = ids.iter().cloned().collect();
            match into.forward(&reader, &tenant, &list, agents.then_some(since)) {
                Ok(c) => tracing::debug!(
                    %tenant, inserted = c.inserted, updated = c.updated, "forwarded contacts"
                ),
                Err(e) => {
                    tracing::error!(error = %e, %tenant, "cannot forward contacts to ClickHouse yet; kept");
                    pending.insert(tenant, (ids, agents));
                    failed = true;
                    break;
                }
            }
        }
        wait = if failed {
            (wait * 2).min(Duration::from_secs(30))
        } else {
            Duration::from_secs(1)
        };
    }
}
