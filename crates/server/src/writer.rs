//! The one writer: a thread that owns the store's write connection. Requests hand it their
//! parsed events and wait; it takes everything queued at that moment as one group, writes the
//! events, the contacts they complete and the agent intervals they change in one transaction
//! (group commit), and only then answers each request. After the commit it updates the live
//! floor, so nothing is shown that is not durable.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::mpsc;
use std::sync::Arc;

use ccpulse_ingest::events::{agent_step, fold_contact, parse_stored, Folded, ParsedEvent};
use ccpulse_ingest::{fingerprint, to_json_line};
use ccpulse_model::{AgentEvent, AgentInterval, ContactEvent, EventBody, TenantId};
use ccpulse_store::{DuckDbStore, NewEvent, NewRejection};
use jiff::Timestamp;
use tokio::sync::oneshot;

use crate::error::ApiError;
use crate::hub::Hub;

/// Events taken into one transaction at most.
const GROUP_EVENTS: usize = 50_000;

/// What a request's events came to.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct IngestReport {
    /// New events, now durable.
    pub accepted: usize,
    /// Events whose id was already stored (or repeated in the request): nothing changed.
    pub duplicates: usize,
}

type Job = Box<dyn FnOnce(&mut DuckDbStore) + Send>;

enum Command {
    Ingest {
        tenant: TenantId,
        events: Vec<ParsedEvent>,
        reply: oneshot::Sender<Result<IngestReport, String>>,
    },
    Run(Job),
}

/// The handle requests use to reach the writer thread.
#[derive(Clone)]
pub struct Writer {
    tx: mpsc::Sender<Command>,
}

/// The live steps a commit brings, for the floor.
#[derive(Debug, Default)]
pub struct LiveUpdate {
    /// Each touched contact with all of its steps.
    pub contacts: Vec<(String, Vec<(Timestamp, ContactEvent)>)>,
    pub agents: Vec<(Timestamp, AgentEvent)>,
}

impl Writer {
    /// Starts the writer thread over `store`; it ends when every handle is dropped.
    pub fn spawn(store: DuckDbStore, hub: Arc<Hub>) -> (Self, std::thread::JoinHandle<()>) {
        let (tx, rx) = mpsc::channel();
        let handle = std::thread::Builder::new()
            .name("ccpulse-writer".into())
            .spawn(move || run(store, &hub, &rx))
            .unwrap_or_else(|e| panic!("cannot start the writer thread: {e}"));
        (Self { tx }, handle)
    }

    /// Makes `events` durable; answers once they are committed.
    pub async fn ingest(
        &self,
        tenant: TenantId,
        events: Vec<ParsedEvent>,
    ) -> Result<IngestReport, ApiError> {
        let (reply, rx) = oneshot::channel();
        self.tx
            .send(Command::Ingest {
                tenant,
                events,
                reply,
            })
            .map_err(|_| ApiError::Unavailable)?;
        rx.await
            .map_err(|_| ApiError::Unavailable)?
            .map_err(ApiError::Internal)
    }

    /// Runs `f` on the writer's store, between groups of events.
    pub async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut DuckDbStore) -> T + Send + 'static,
    ) -> Result<T, ApiError> {
        let (reply, rx) = oneshot::channel();
        let job: Job = Box::new(move |store| {
            let _ = reply.send(f(store));
        });
        self.tx
            .send(Command::Run(job))
            .map_err(|_| ApiError::Unavailable)?;
        rx.await.map_err(|_| ApiError::Unavailable)
    }
}

type Reply = oneshot::Sender<Result<IngestReport, String>>;

fn run(mut store: DuckDbStore, hub: &Hub, rx: &mpsc::Receiver<Command>) {
    while let Ok(first) = rx.recv() {
        let mut group: Vec<(TenantId, Vec<ParsedEvent>, Reply)> = Vec::new();
        let mut jobs: Vec<Job> = Vec::new();
        let mut size = 0;
        let mut next = Some(first);
        while let Some(cmd) = next.take() {
            match cmd {
                Command::Ingest {
                    tenant,
                    events,
                    reply,
                } => {
                    size += events.len();
                    group.push((tenant, events, reply));
                }
                Command::Run(job) => jobs.push(job),
            }
            if size < GROUP_EVENTS {
                next = rx.try_recv().ok();
            }
        }
        if !group.is_empty() {
            commit_group(&mut store, hub, group);
        }
        for job in jobs {
            job(&mut store);
        }
    }
}

fn commit_group(
    store: &mut DuckDbStore,
    hub: &Hub,
    group: Vec<(TenantId, Vec<ParsedEvent>, Reply)>,
) {
    let started = std::time::Instant::now();
    let (requests, replies): (Vec<(TenantId, Vec<ParsedEvent>)>, Vec<Reply>) =
        group.into_iter().map(|(t, e, r)| ((t, e), r)).unzip();
    match write_group(store, &requests) {
        Ok((reports, updates)) => {
            let n: usize = reports.iter().map(|r| r.accepted).sum();
            // The floor first: a caller that got its 202 sees its events on the wall.
            for (tenant, update) in updates {
                hub.apply(&tenant, update);
            }
            for (reply, report) in replies.into_iter().zip(reports) {
                let _ = reply.send(Ok(report));
            }
            tracing::debug!(
                events = n,
                ms = started.elapsed().as_millis(),
                "committed events"
            );
        }
        Err(e) => {
            tracing::error!(error = %e, "writing events failed");
            for reply in replies {
                let _ = reply.send(Err(format!("writing events: {e}")));
            }
        }
    }
}

type Written = (Vec<IngestReport>, BTreeMap<TenantId, LiveUpdate>);

fn write_group(
    store: &mut DuckDbStore,
    requests: &[(TenantId, Vec<ParsedEvent>)],
) -> ccpulse_store::Result<Written> {
    // Which events are new: not stored, not repeated earlier in the group.
    let mut by_tenant: BTreeMap<&TenantId, Vec<&ParsedEvent>> = BTreeMap::new();
    for (t, events) in requests {
        by_tenant.entry(t).or_default().extend(events.iter());
    }
    let started = std::time::Instant::now();
    let mut known: HashMap<&TenantId, HashSet<String>> = HashMap::new();
    for (t, events) in &by_tenant {
        let ids: Vec<&str> = events.iter().map(|e| e.event.id.as_str()).collect();
        known.insert(*t, store.known_events(t, &ids)?);
    }
    let dedupe_ms = started.elapsed().as_millis();
    let mut reports = Vec::new();
    let mut fresh: BTreeMap<&TenantId, Vec<&ParsedEvent>> = BTreeMap::new();
    for (t, events) in requests {
        let seen = known.entry(t).or_default();
        let mut report = IngestReport::default();
        for e in events {
            if seen.insert(e.event.id.clone()) {
                report.accepted += 1;
                fresh.entry(t).or_default().push(e);
            } else {
                report.duplicates += 1;
            }
        }
        reports.push(report);
    }
    // Events may come before any contact of their tenant: the tenant exists from the first.
    for t in fresh.keys() {
        if store.tenant(t.as_str()).is_none() {
            store.ensure_tenant(t)?;
        }
    }
    let mut updates = BTreeMap::new();
    let mut batch = store.begin_contacts()?;
    let folded = std::time::Instant::now();
    for (tenant, events) in fresh {
        let update = write_tenant(store, &mut batch, tenant, &events)?;
        updates.insert(tenant.clone(), update);
    }
    let fold_ms = folded.elapsed().as_millis();
    let committing = std::time::Instant::now();
    batch.commit()?;
    tracing::debug!(
        dedupe_ms,
        fold_ms,
        commit_ms = committing.elapsed().as_millis(),
        "group phases"
    );
    Ok((reports, updates))
}

fn write_tenant(
    store: &DuckDbStore,
    batch: &mut ccpulse_store::ContactBatch<'_>,
    tenant: &TenantId,
    events: &[&ParsedEvent],
) -> ccpulse_store::Result<LiveUpdate> {
    let mut update = LiveUpdate::default();
    // Contacts: every step they have, stored and new, folded again.
    let touched: BTreeSet<&str> = events.iter().filter_map(|e| e.event.contact_id()).collect();
    let ids: Vec<&str> = touched.iter().copied().collect();
    let mut steps: BTreeMap<String, Vec<ParsedEvent>> = BTreeMap::new();
    for json in store.contact_events(tenant, &ids)? {
        match parse_stored(&json, tenant) {
            Ok(p) => {
                let id = p.event.contact_id().unwrap_or_default().to_owned();
                steps.entry(id).or_default().push(p);
            }
            Err(e) => tracing::warn!(error = %e, "a stored event no longer parses"),
        }
    }
    for e in events {
        if let Some(id) = e.event.contact_id() {
            steps.entry(id.to_owned()).or_default().push((*e).clone());
        }
    }
    for (id, all) in &steps {
        match fold_contact(tenant, id, all) {
            Folded::Open => {}
            Folded::Contact(c) => {
                let fp = fingerprint(&[to_json_line(&c).as_bytes()]);
                batch.append(&c, fp)?;
            }
            Folded::Refused(r) => batch.reject(NewRejection {
                tenant: tenant.to_string(),
                format: "events".into(),
                file: format!("contact {id}"),
                line: r.line,
                field: r.field,
                reason: r.reason,
                raw: r.raw,
            }),
        }
        let live: Vec<(Timestamp, ContactEvent)> = all
            .iter()
            .filter_map(|p| match &p.event.body {
                EventBody::Contact(c) => Some((p.event.at, c.clone())),
                EventBody::Agent(_) => None,
            })
            .collect();
        update.contacts.push((id.clone(), live));
    }
    // Agents: state changes in time order against the open intervals.
    let mut agent_events: Vec<(Timestamp, &AgentEvent)> = events
        .iter()
        .filter_map(|e| match &e.event.body {
            EventBody::Agent(a) => Some((e.event.at, a)),
            EventBody::Contact(_) => None,
        })
        .collect();
    agent_events.sort_by_key(|(at, _)| *at);
    if !agent_events.is_empty() {
        let mut open: Vec<AgentInterval> = store.open_intervals(tenant)?;
        let mut pending: Vec<AgentInterval> = Vec::new();
        let mut removed: Vec<AgentInterval> = Vec::new();
        for (at, a) in &agent_events {
            let step = agent_step(&open, tenant, *at, a);
            for c in &step.closed {
                open.retain(|o| o != c);
                // Opened in this very batch: never stored, so nothing to remove.
                if let Some(i) = pending.iter().position(|p| p == c) {
                    pending.remove(i);
                } else {
                    removed.push(c.clone());
                }
            }
            for w in step.write {
                if w.end.is_none() {
                    open.push(w.clone());
                }
                pending.push(w);
            }
            update.agents.push((*at, (*a).clone()));
        }
        let s = batch.sources();
        s.intervals.extend(pending);
        s.intervals_closed.extend(removed);
    }
    batch
        .sources()
        .events
        .extend(events.iter().map(|e| NewEvent {
            tenant: tenant.clone(),
            event_id: e.event.id.clone(),
            kind: e.event.type_name().to_owned(),
            contact_id: e.event.contact_id().map(str::to_owned),
            agent: match &e.event.body {
                EventBody::Agent(a) => Some(a.agent.clone()),
                EventBody::Contact(c) => c.agent.clone(),
            },
            at: e.event.at,
            body: e.to_json(),
        }));
    Ok(update)
}

/// The live floor of `tenant` as the store's event log has it (for a start or restart).
pub fn rebuild(store: &DuckDbStore, tenant: &TenantId, since: Timestamp) -> LiveUpdate {
    let mut update = LiveUpdate::default();
    let events = match store.live_events(tenant, since) {
        Ok(e) => e,
        Err(e) => {
            tracing::error!(error = %e, %tenant, "cannot read the event log");
            return update;
        }
    };
    let mut contacts: BTreeMap<String, Vec<(Timestamp, ContactEvent)>> = BTreeMap::new();
    for json in events {
        let Ok(p) = parse_stored(&json, tenant) else {
            continue;
        };
        match p.event.body {
            EventBody::Contact(c) => contacts
                .entry(c.contact_id.clone())
                .or_default()
                .push((p.event.at, c)),
            EventBody::Agent(a) => update.agents.push((p.event.at, a)),
        }
    }
    update.agents.sort_by_key(|(at, _)| *at);
    update.contacts = contacts.into_iter().collect();
    update
}
