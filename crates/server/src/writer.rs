//! The one writer: a thread that owns the store's write connection. Requests hand it their
//! parsed events and wait; it takes everything queued at that moment as one group, writes the
//! events, the contacts they complete and the agent intervals they change in one transaction
//! (group commit), and only then answers each request. After the commit it updates the live
//! floor, so nothing is shown that is not durable.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};
use std::sync::mpsc;
use std::sync::Arc;

use ccpulse_ingest::contact_fingerprint;
use ccpulse_ingest::events::{agent_step, fold_contact, parse_stored, Folded, ParsedEvent};
use ccpulse_model::{AgentEvent, AgentInterval, ContactEvent, EventBody, TenantId};
use ccpulse_store::{ContactBatch, DuckDbStore, Keys, NewEvent, NewRejection};
use fastbloom::BloomFilter;
use jiff::Timestamp;
use tokio::sync::oneshot;

use crate::error::ApiError;
use crate::hub::Hub;
use crate::live_update::LiveUpdate;

/// Events taken into one transaction at most.
const GROUP_EVENTS: usize = 50_000;

/// What a request's events came to.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct IngestReport {
    /// New events, now durable.
    pub accepted: usize,
    /// Events whose id was already stored (or repeated in the request): nothing changed.
    pub duplicates: usize,
    /// Events refused because their contact's events would contradict each other (an end
    /// before the queueing): not stored, said in the request's own answer.
    #[serde(skip)]
    pub refused: Vec<RefusedEvent>,
}

/// An event the writer refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefusedEvent {
    /// Its position among the events the request handed the writer.
    pub position: usize,
    pub id: String,
    pub field: Option<String>,
    pub reason: String,
}

type Job = Box<dyn FnOnce(&mut DuckDbStore) + Send>;

enum Command {
    Ingest {
        tenant: TenantId,
        events: Vec<ParsedEvent>,
        /// Each event as it is logged, written by the request's own thread.
        bodies: Vec<String>,
        reply: oneshot::Sender<Result<IngestReport, String>>,
    },
    Run(Job),
}

/// The handle requests use to reach the writer thread.
#[derive(Clone)]
pub struct Writer {
    tx: mpsc::Sender<Command>,
}

impl Writer {
    /// Starts the writer thread over `store`; it ends when every handle is dropped.
    /// Starts the writer thread over `store`; `forward`, when given, hears what each
    /// committed group touched (see [`crate::forward`]).
    pub(crate) fn spawn_forwarding(
        store: DuckDbStore,
        hub: Arc<Hub>,
        forward: Option<mpsc::Sender<crate::forward::Touched>>,
    ) -> (Self, std::thread::JoinHandle<()>) {
        let (tx, rx) = mpsc::channel();
        let handle = std::thread::Builder::new()
            .name("ccpulse-writer".into())
            .spawn(move || run(store, &hub, &rx, forward.as_ref()))
            .unwrap_or_else(|e| panic!("cannot start the writer thread: {e}"));
        (Self { tx }, handle)
    }

    /// Starts the writer thread over `store`; it ends when every handle is dropped.
    pub fn spawn(store: DuckDbStore, hub: Arc<Hub>) -> (Self, std::thread::JoinHandle<()>) {
        Self::spawn_forwarding(store, hub, None)
    }

    /// Makes `events` durable; answers once they are committed.
    pub async fn ingest(
        &self,
        tenant: TenantId,
        events: Vec<ParsedEvent>,
    ) -> Result<IngestReport, ApiError> {
        let (reply, rx) = oneshot::channel();
        // Rendered here, on the request's thread: the one writer thread has enough to do.
        let bodies = events.iter().map(ParsedEvent::to_json).collect();
        self.tx
            .send(Command::Ingest {
                tenant,
                events,
                bodies,
                reply,
            })
            .map_err(|_| ApiError::Unavailable)?;
        rx.await
            .map_err(|_| ApiError::Unavailable)?
            .map_err(ApiError::Internal)
    }

    /// Writes what a background task records (an alert, a report run); a failure is logged
    /// as `what`, since nobody waits on it.
    pub async fn record(
        &self,
        what: &'static str,
        f: impl FnOnce(&mut DuckDbStore) -> ccpulse_store::Result<()> + Send + 'static,
    ) {
        match self.run(f).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::error!(error = %e, "{what}"),
            Err(e) => tracing::error!(error = %e, "{what}"),
        }
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

fn run(
    mut store: DuckDbStore,
    hub: &Hub,
    rx: &mpsc::Receiver<Command>,
    forward: Option<&mpsc::Sender<crate::forward::Touched>>,
) {
    let mut memory = Memory::load(&store).unwrap_or_else(|e| {
        tracing::error!(error = %e, "cannot read the contact ids: every contact is looked up");
        Memory::empty(Seen::unknown(), Seen::unknown())
    });
    while let Ok(first) = rx.recv() {
        let mut group: Vec<(TenantId, Vec<ParsedEvent>, Vec<String>, Reply)> = Vec::new();
        let mut jobs: Vec<Job> = Vec::new();
        let mut size = 0;
        let mut next = Some(first);
        while let Some(cmd) = next.take() {
            match cmd {
                Command::Ingest {
                    tenant,
                    events,
                    bodies,
                    reply,
                } => {
                    size += events.len();
                    group.push((tenant, events, bodies, reply));
                }
                Command::Run(job) => jobs.push(job),
            }
            if size < GROUP_EVENTS {
                next = rx.try_recv().ok();
            }
        }
        if !group.is_empty() {
            let touched: Option<crate::forward::Touched> = forward.map(|_| {
                group
                    .iter()
                    .map(|(tenant, events, _, _)| {
                        let ids = events
                            .iter()
                            .filter_map(|e| e.event.contact_id().map(str::to_owned))
                            .collect();
                        let agents = events.iter().any(|e| e.event.contact_id().is_none());
                        (tenant.clone(), ids, agents)
                    })
                    .collect()
            });
            if commit_group(&mut store, &mut memory, hub, group) {
                if let (Some(tx), Some(t)) = (forward, touched) {
                    let _ = tx.send(t);
                }
            }
        }
        for job in jobs {
            job(&mut store);
        }
    }
}

/// Writes a group of requests and answers them; whether it was committed.
fn commit_group(
    store: &mut DuckDbStore,
    memory: &mut Memory,
    hub: &Hub,
    group: Vec<(TenantId, Vec<ParsedEvent>, Vec<String>, Reply)>,
) -> bool {
    let started = std::time::Instant::now();
    let (requests, replies): (Vec<Request>, Vec<Reply>) =
        group.into_iter().map(|(t, e, b, r)| ((t, e, b), r)).unzip();
    match write_group(store, memory, &requests) {
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
            true
        }
        Err(e) => {
            tracing::error!(error = %e, "writing events failed");
            for reply in replies {
                let _ = reply.send(Err(format!("writing events: {e}")));
            }
            false
        }
    }
}

type Written = (Vec<IngestReport>, BTreeMap<TenantId, LiveUpdate>);

/// A contact as the writer knows it: tenant and id.
type ContactKey = (TenantId, String);

/// Contacts whose logged events the writer keeps at hand (parsed), at most. A parsed event
/// takes about four times the memory of its JSON (its fields kept as read, beside the typed
/// event), so a quarter of the 50,000 contacts the JSON cache held keeps the writer's memory
/// where it was: `bench-server --rate 20000` held 170-180 MiB more RSS with 50,000 parsed.
/// Live contacts are touched again within minutes, far fewer than this even at 20,000
/// events/s; a contact no longer held is read back from the event log.
const RECENT_CONTACTS: usize = 12_500;

/// What the writer keeps between groups so that a group costs the same on a store of
/// millions of events as on an empty one: which contacts exist at all, the events of the
/// recently touched ones, and the open agent intervals. Nothing here is the truth, only a
/// shortcut to it: it is filled from the store and updated after each commit, and what it
/// does not know is asked of the store.
pub(crate) struct Memory {
    /// Every contact with a stored row or a logged event, as a filter: a "no" is certain.
    seen: Seen,
    /// Every logged event, likewise: an event it has not seen is appended to the log
    /// without looking it up in the log.
    logged: Seen,
    /// Logged events (parsed, arrival order) of recently touched contacts, with their touch:
    /// a contact touched again is folded without reading or parsing its events again.
    recent: HashMap<ContactKey, (u64, Before)>,
    /// Touches in order, for forgetting the least recently touched contacts.
    order: VecDeque<(ContactKey, u64)>,
    touches: u64,
    /// Each tenant's open agent intervals, as stored.
    open: HashMap<TenantId, Vec<AgentInterval>>,
}

/// Bloom filters over contact keys; a new, twice as large one is started when the last is
/// full, so the false-positive rate stays bounded as contacts keep coming. The filters are
/// blocked (a key's bits all lie in one cache line): a check or insert is one memory miss
/// however many bits it takes, where a classic filter paid one a bit.
struct Seen {
    filters: Vec<(BloomFilter, usize, usize)>,
    /// The false-positive rate of each filter.
    rate: f64,
}

/// False positives of the contact filter: such a contact's events are looked up in the
/// store, so they must be rare, but each costs only that lookup: one in a hundred thousand.
const SEEN_FP_RATE: f64 = 1e-5;

/// False positives of the filter of logged event ids: such an event is looked up over the
/// whole log by its id (the log has no index), so rarer still: one in a hundred million is
/// one lookup in well over an hour at 20,000 events/s, for about 6 bytes a key.
const LOGGED_FP_RATE: f64 = 1e-8;

fn key_hash(tenant: &str, id: &str) -> u64 {
    use std::hash::BuildHasher as _;
    foldhash::fast::FixedState::with_seed(0x5eed_c0de).hash_one((tenant, id))
}

impl Seen {
    /// A filter that knows nothing: everything may exist.
    fn unknown() -> Self {
        Self {
            filters: Vec::new(),
            rate: SEEN_FP_RATE,
        }
    }

    /// The filter of `keys` as stored, with room for as many again.
    fn load(store: &DuckDbStore, keys: Keys, rate: f64) -> ccpulse_store::Result<Self> {
        let n = usize::try_from(store.count_keys(keys)?).unwrap_or(usize::MAX);
        let mut s = Self::with_capacity(n.saturating_mul(2), rate);
        store.each_key(keys, |t, k| s.insert(key_hash(t, k)))?;
        Ok(s)
    }

    fn with_capacity(n: usize, rate: f64) -> Self {
        let mut s = Self {
            filters: Vec::new(),
            rate,
        };
        s.grow(n.max(1 << 20));
        s
    }

    fn grow(&mut self, capacity: usize) {
        let b = BloomFilter::with_false_pos(self.rate).expected_items(capacity);
        self.filters.push((b, 0, capacity));
        tracing::info!(
            keys = capacity,
            false_positives = self.rate,
            filters = self.filters.len(),
            mib = self.bytes() >> 20,
            "writer filter grown"
        );
    }

    /// The filters' size in bytes.
    fn bytes(&self) -> usize {
        self.filters.iter().map(|(b, _, _)| b.num_bits() / 8).sum()
    }

    /// Adds `h`; a key the filter already answers "maybe" for is not counted again, so
    /// contacts touched many times (and a contact's every event when loading) do not fill it.
    fn insert(&mut self, h: u64) {
        if !self.filters.is_empty() && self.contains(h) {
            return;
        }
        if let Some((_, n, cap)) = self.filters.last() {
            if n >= cap {
                let next = cap * 2;
                self.grow(next);
            }
        }
        if let Some((b, n, _)) = self.filters.last_mut() {
            b.insert_hash(h);
            *n += 1;
        }
    }

    fn contains(&self, h: u64) -> bool {
        // No filter at all (the stored ids could not be read): everything may exist.
        self.filters.is_empty() || self.filters.iter().any(|(b, _, _)| b.contains_hash(h))
    }
}

impl Memory {
    /// Reads which contacts and events exist from `store` (one pass over their ids).
    pub(crate) fn load(store: &DuckDbStore) -> ccpulse_store::Result<Self> {
        let started = std::time::Instant::now();
        let seen = Seen::load(store, Keys::Contacts, SEEN_FP_RATE)?;
        let logged = Seen::load(store, Keys::Events, LOGGED_FP_RATE)?;
        tracing::info!(ms = started.elapsed().as_millis(), "writer memory loaded");
        Ok(Self::empty(seen, logged))
    }

    fn empty(seen: Seen, logged: Seen) -> Self {
        Self {
            seen,
            logged,
            recent: HashMap::new(),
            order: VecDeque::new(),
            touches: 0,
            open: HashMap::new(),
        }
    }

    fn remember(&mut self, key: ContactKey, events: Before) {
        self.touches += 1;
        self.seen.insert(key_hash(key.0.as_str(), &key.1));
        self.order.push_back((key.clone(), self.touches));
        self.recent.insert(key, (self.touches, events));
        while self.recent.len() > RECENT_CONTACTS {
            let Some((old, touch)) = self.order.pop_front() else {
                break;
            };
            if self.recent.get(&old).is_some_and(|(t, _)| *t == touch) {
                self.recent.remove(&old);
            }
        }
        // Touches of contacts touched again later are skipped when they come up.
        if self.order.len() > 4 * RECENT_CONTACTS {
            let recent = &self.recent;
            self.order
                .retain(|(k, t)| recent.get(k).is_some_and(|(now, _)| now == t));
        }
    }
}

/// A contact's row in the store, as far as the writer knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Row {
    /// There is none.
    Absent,
    /// The one the writer wrote: bucketed at this time, with this fingerprint.
    Written(Timestamp, u64),
    /// There may be one (from an import) the writer has not seen: matched when written.
    Unknown,
}

/// One request's events: tenant, events, each event as logged.
type Request = (TenantId, Vec<ParsedEvent>, Vec<String>);

/// What the store held for a contact before this group: its logged events and its row.
struct Before {
    events: Vec<ParsedEvent>,
    row: Row,
}

/// What the store held for each contact the group's `candidates` touch, before they land:
/// from the writer's memory where it has the contact, else read from the event log when the
/// filter says the contact may exist; and how many contacts were read.
fn read_before(
    store: &DuckDbStore,
    memory: &Memory,
    candidates: &[(usize, &TenantId, &ParsedEvent)],
) -> ccpulse_store::Result<(HashMap<ContactKey, Before>, usize)> {
    let mut before: HashMap<ContactKey, Before> = HashMap::new();
    let mut unknown: BTreeMap<&TenantId, BTreeSet<&str>> = BTreeMap::new();
    for (_, t, e) in candidates {
        let Some(id) = e.event.contact_id() else {
            continue;
        };
        let key = ((*t).clone(), id.to_owned());
        if before.contains_key(&key) {
            continue;
        }
        if let Some((_, known)) = memory.recent.get(&key) {
            before.insert(
                key,
                Before {
                    events: known.events.clone(),
                    row: known.row,
                },
            );
        } else if memory.seen.contains(key_hash(t.as_str(), id)) {
            unknown.entry(t).or_default().insert(id);
            before.insert(
                key,
                Before {
                    events: Vec::new(),
                    row: Row::Unknown,
                },
            );
        } else {
            before.insert(
                key,
                Before {
                    events: Vec::new(),
                    row: Row::Absent,
                },
            );
        }
    }
    let looked_up: usize = unknown.values().map(BTreeSet::len).sum();
    for (t, ids) in &unknown {
        let ids: Vec<&str> = ids.iter().copied().collect();
        for p in parse_all(t, &store.contact_events(t, &ids)?) {
            if let Some(id) = p.event.contact_id() {
                if let Some(b) = before.get_mut(&((*t).clone(), id.to_owned())) {
                    b.events.push(p);
                }
            }
        }
    }
    Ok((before, looked_up))
}

fn write_group(
    store: &mut DuckDbStore,
    memory: &mut Memory,
    requests: &[Request],
) -> ccpulse_store::Result<Written> {
    let started = std::time::Instant::now();
    // Events may come before any contact of their tenant: the tenant exists from the first.
    for (t, _, _) in requests {
        if store.tenant(t.as_str()).is_none() {
            store.ensure_tenant(t)?;
        }
    }
    // An id repeated within the group counts once, where it first comes.
    let mut first: HashSet<(&TenantId, &str)> = HashSet::new();
    let mut candidates: Vec<(usize, &TenantId, &ParsedEvent)> = Vec::new();
    let mut bodies: Vec<&str> = Vec::new();
    let mut positions: Vec<usize> = Vec::new();
    for (r, (t, events, json)) in requests.iter().enumerate() {
        for (i, (e, body)) in events.iter().zip(json).enumerate() {
            if first.insert((t, e.event.id.as_str())) {
                candidates.push((r, t, e));
                bodies.push(body);
                positions.push(i);
            }
        }
    }
    // What the store held for each touched contact, read before this group's events land.
    let (mut before, looked_up) = read_before(store, memory, &candidates)?;
    let read_ms = started.elapsed().as_millis();
    let mut reports = vec![IngestReport::default(); requests.len()];
    for (r, (_, events, _)) in requests.iter().enumerate() {
        reports[r].duplicates = events.len();
    }
    // Events that would make their contact contradict itself are refused, not logged: the
    // sender hears it in its own answer.
    let refused = contradictions(&candidates, &before);
    if !refused.is_empty() {
        let mut kept = Vec::with_capacity(candidates.len());
        let mut kept_bodies = Vec::with_capacity(bodies.len());
        for (k, (c, b)) in candidates.into_iter().zip(bodies).enumerate() {
            match refused.get(&k) {
                Some((field, reason)) => {
                    reports[c.0].duplicates -= 1;
                    reports[c.0].refused.push(RefusedEvent {
                        position: positions[k],
                        id: c.2.event.id.clone(),
                        field: field.clone(),
                        reason: reason.clone(),
                    });
                }
                None => {
                    kept.push(c);
                    kept_bodies.push(b);
                }
            }
        }
        candidates = kept;
        bodies = kept_bodies;
    }

    let tx = store.transaction()?;
    let logged: Vec<NewEvent> = candidates
        .iter()
        .zip(bodies)
        .map(|((_, t, e), body)| NewEvent {
            tenant: (*t).clone(),
            event_id: e.event.id.clone(),
            kind: e.event.type_name().to_owned(),
            contact_id: e.event.contact_id().map(str::to_owned),
            agent: match &e.event.body {
                EventBody::Agent(a) => Some(a.agent.clone()),
                EventBody::Contact(c) => c.agent.clone(),
            },
            at: e.event.at,
            body: body.to_owned(),
        })
        .collect();
    let surely_new: Vec<bool> = logged
        .iter()
        .map(|e| {
            !memory
                .logged
                .contains(key_hash(e.tenant.as_str(), &e.event_id))
        })
        .collect();
    let fresh_ids = store.log_events(&tx, &logged, &surely_new)?;
    let log_ms = started.elapsed().as_millis() - read_ms;
    // The group's new events per tenant.
    let mut fresh: BTreeMap<&TenantId, Vec<&ParsedEvent>> = BTreeMap::new();
    for (r, t, e) in &candidates {
        if fresh_ids.contains(&((*t).clone(), e.event.id.clone())) {
            reports[*r].accepted += 1;
            reports[*r].duplicates -= 1;
            fresh.entry(t).or_default().push(e);
        }
    }
    let mut batch = store.begin_known_contacts(&tx)?;
    // Contacts read from the store may also have a row from an import: those are matched.
    let mut matched = None;
    let mut updates = BTreeMap::new();
    let mut remembered: Vec<(ContactKey, Before)> = Vec::new();
    let mut opened: Vec<(TenantId, Vec<AgentInterval>)> = Vec::new();
    for (tenant, events) in fresh {
        let mut update = LiveUpdate::default();
        write_contacts(
            store,
            &mut batch,
            &mut matched,
            tenant,
            &events,
            &mut before,
            &mut update,
            &mut remembered,
        )?;
        if let Some(open) = write_agents(store, memory, &mut batch, tenant, &events, &mut update)? {
            opened.push((tenant.clone(), open));
        }
        updates.insert(tenant.clone(), update);
    }
    let fold_ms = started.elapsed().as_millis() - read_ms - log_ms;
    let writing = std::time::Instant::now();
    batch.write(&tx)?;
    if let Some(m) = matched {
        m.write(&tx)?;
    }
    let write_ms = writing.elapsed().as_millis();
    let committing = std::time::Instant::now();
    tx.commit()?;
    let commit_ms = committing.elapsed().as_millis();
    // Only what is committed is remembered.
    for (t, id) in &fresh_ids {
        memory.logged.insert(key_hash(t.as_str(), id));
    }
    for (key, events) in remembered {
        memory.remember(key, events);
    }
    for (tenant, open) in opened {
        memory.open.insert(tenant, open);
    }
    tracing::debug!(
        events = logged.len(),
        read_ms,
        looked_up,
        log_ms,
        fold_ms,
        write_ms,
        commit_ms,
        total_ms = started.elapsed().as_millis(),
        "group phases"
    );
    Ok((reports, updates))
}

/// The candidates (by position) whose contact's events, with them, contradict each other
/// while without them they did not: the field and the reason.
fn contradictions(
    candidates: &[(usize, &TenantId, &ParsedEvent)],
    before: &HashMap<ContactKey, Before>,
) -> HashMap<usize, (Option<String>, String)> {
    let mut by_contact: BTreeMap<(&TenantId, &str), Vec<usize>> = BTreeMap::new();
    for (k, (_, t, e)) in candidates.iter().enumerate() {
        if let Some(id) = e.event.contact_id() {
            by_contact.entry((*t, id)).or_default().push(k);
        }
    }
    let mut out = HashMap::new();
    for ((t, id), ks) in by_contact {
        let prior: &[ParsedEvent] = before
            .get(&(t.clone(), id.to_owned()))
            .map_or(&[], |b| b.events.as_slice());
        let mut all = prior.to_vec();
        all.extend(ks.iter().map(|k| candidates[*k].2.clone()));
        let Folded::Refused(r) = fold_contact(t, id, &all) else {
            continue;
        };
        if matches!(fold_contact(t, id, prior), Folded::Refused(_)) {
            // Already contradictory before: these events are not what broke it.
            continue;
        }
        for k in ks {
            out.insert(k, (r.field.clone(), format!("contact {id}: {}", r.reason)));
        }
    }
    out
}

fn parse_all(tenant: &TenantId, events: &[String]) -> Vec<ParsedEvent> {
    events
        .iter()
        .filter_map(|json| match parse_stored(json, tenant) {
            Ok(p) => Some(p),
            Err(e) => {
                tracing::warn!(error = %e, "a logged event no longer parses");
                None
            }
        })
        .collect()
}

/// Folds each contact the new `events` touch with what it had before and stages its row.
#[allow(clippy::too_many_arguments)]
fn write_contacts<'s>(
    store: &'s DuckDbStore,
    batch: &mut ContactBatch<'s>,
    matched: &mut Option<ContactBatch<'s>>,
    tenant: &TenantId,
    events: &[&ParsedEvent],
    before: &mut HashMap<ContactKey, Before>,
    update: &mut LiveUpdate,
    remembered: &mut Vec<(ContactKey, Before)>,
) -> ccpulse_store::Result<()> {
    let mut touched: BTreeMap<&str, Vec<&ParsedEvent>> = BTreeMap::new();
    for e in events {
        if let Some(id) = e.event.contact_id() {
            touched.entry(id).or_default().push(e);
        }
    }
    for (id, new) in touched {
        let key = (tenant.clone(), id.to_owned());
        let had = before.remove(&key).unwrap_or(Before {
            events: Vec::new(),
            row: Row::Unknown,
        });
        let mut all = had.events;
        all.extend(new.into_iter().cloned());
        let now = fold_contact(tenant, id, &all);
        // An open or refused fold leaves the stored row as it is.
        let mut row = had.row;
        match &now {
            Folded::Open => {}
            Folded::Contact(c) => {
                let c = c.as_ref();
                let fp = contact_fingerprint(c);
                // A folded contact always has a time to bucket it at (the batch refuses one
                // without).
                let at = c.derived().bucket_at.unwrap_or_default();
                match had.row {
                    Row::Written(_, stored) if stored == fp => {}
                    Row::Written(stored_at, _) => batch.append_replacing(c, fp, stored_at)?,
                    Row::Absent => batch.append_new(c, fp)?,
                    Row::Unknown => {
                        let m = match matched {
                            Some(m) => m,
                            None => matched.insert(store.begin_contacts()?),
                        };
                        m.append(c, fp)?;
                    }
                }
                row = Row::Written(at, fp);
            }
            Folded::Refused(r) => batch.reject(NewRejection {
                tenant: tenant.to_string(),
                format: "events".into(),
                file: format!("contact {id}"),
                line: r.line,
                field: r.field.clone(),
                reason: r.reason.clone(),
                raw: r.raw.clone(),
            }),
        }
        let live: Vec<(Timestamp, ContactEvent)> = all
            .iter()
            .filter_map(|p| match &p.event.body {
                EventBody::Contact(c) => Some((p.event.at, c.clone())),
                EventBody::Agent(_) => None,
            })
            .collect();
        update.contacts.push((id.to_owned(), live));
        remembered.push((key, Before { events: all, row }));
    }
    Ok(())
}

/// Applies the new agent `events` in time order to the open intervals; returns the open
/// intervals afterwards (for the writer's memory once committed), `None` when no agent
/// event came.
fn write_agents(
    store: &DuckDbStore,
    memory: &Memory,
    batch: &mut ContactBatch<'_>,
    tenant: &TenantId,
    events: &[&ParsedEvent],
    update: &mut LiveUpdate,
) -> ccpulse_store::Result<Option<Vec<AgentInterval>>> {
    let mut agent_events: Vec<(Timestamp, &AgentEvent)> = events
        .iter()
        .filter_map(|e| match &e.event.body {
            EventBody::Agent(a) => Some((e.event.at, a)),
            EventBody::Contact(_) => None,
        })
        .collect();
    if agent_events.is_empty() {
        return Ok(None);
    }
    agent_events.sort_by_key(|(at, _)| *at);
    let mut open: Vec<AgentInterval> = match memory.open.get(tenant) {
        Some(o) => o.clone(),
        None => store.open_intervals(tenant)?,
    };
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
    s.intervals_known = true;
    s.intervals.extend(pending);
    s.intervals_closed.extend(removed);
    Ok(Some(open))
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

#[cfg(test)]
mod tests {
    use ccpulse_ingest::events::parse_event;
    use ccpulse_store::StoreConfig;

    use super::*;

    fn tenant() -> TenantId {
        TenantId::new("hotline").expect("tenant")
    }

    /// One request of `events` (JSON objects) as the routes hand it to the writer.
    fn request(events: &[&str]) -> Request {
        let parsed: Vec<ParsedEvent> = events
            .iter()
            .map(|j| parse_event(j.as_bytes(), 0, &tenant()).expect("event"))
            .collect();
        let bodies = parsed.iter().map(ParsedEvent::to_json).collect();
        (tenant(), parsed, bodies)
    }

    const QUEUED: &str = r#"{"id":"e1","type":"queued","contact_id":"c1","at":"2026-11-23T09:00:05+08:00","queue":"vip"}"#;
    const ANSWERED: &str = r#"{"id":"e2","type":"answered","contact_id":"c1","at":"2026-11-23T09:00:17+08:00","agent":"1001"}"#;
    const ENDED: &str =
        r#"{"id":"e3","type":"ended","contact_id":"c1","at":"2026-11-23T09:03:17+08:00"}"#;
    const SURVEYED: &str = r#"{"id":"e4","type":"surveyed","contact_id":"c1","at":"2026-11-23T09:04:00+08:00","score":"satisfied"}"#;
    const BUSY: &str = r#"{"id":"a1","type":"agent_state","agent":"1001","state":"busy","at":"2026-11-23T09:00:17+08:00"}"#;

    fn contacts(store: &DuckDbStore) -> u64 {
        store.count_contacts(&tenant()).expect("count")
    }

    fn key() -> ContactKey {
        (tenant(), "c1".to_owned())
    }

    #[test]
    fn a_contact_is_written_when_it_ends_and_folded_from_its_cached_parsed_events() {
        let dir = tempfile::tempdir().expect("dir");
        let mut store = DuckDbStore::open(dir.path(), &StoreConfig::default()).expect("store");
        let mut memory = Memory::load(&store).expect("memory");

        let (reports, updates) = write_group(
            &mut store,
            &mut memory,
            &[request(&[QUEUED, ANSWERED, BUSY])],
        )
        .expect("group");
        assert_eq!(
            reports[0],
            IngestReport {
                accepted: 3,
                duplicates: 0,
                ..Default::default()
            }
        );
        assert_eq!(contacts(&store), 0, "an open contact has no row yet");
        let update = &updates[&tenant()];
        assert_eq!(update.contacts.len(), 1);
        assert_eq!(update.contacts[0].1.len(), 2, "the contact's steps");
        assert_eq!(update.agents.len(), 1);
        let (_, cached) = &memory.recent[&key()];
        assert_eq!(cached.events.len(), 2, "kept parsed, not as text");
        assert_eq!(cached.row, Row::Absent);

        // The end folds the two cached events with the new one.
        let (reports, _) = write_group(&mut store, &mut memory, &[request(&[ENDED])]).expect("end");
        assert_eq!(reports[0].accepted, 1);
        assert_eq!(contacts(&store), 1);
        let (_, cached) = &memory.recent[&key()];
        assert_eq!(cached.events.len(), 3);
        let Row::Written(_, fp) = cached.row else {
            panic!("written: {:?}", cached.row);
        };

        // The same events again are duplicates and change nothing.
        let (reports, updates) =
            write_group(&mut store, &mut memory, &[request(&[QUEUED, ENDED])]).expect("again");
        assert_eq!(
            reports[0],
            IngestReport {
                accepted: 0,
                duplicates: 2,
                ..Default::default()
            }
        );
        assert!(updates.is_empty());
        assert_eq!(
            memory.recent[&key()].1.row,
            Row::Written(cached_at(&memory), fp)
        );

        // Twice in one request counts once.
        let (reports, _) = write_group(&mut store, &mut memory, &[request(&[SURVEYED, SURVEYED])])
            .expect("survey");
        assert_eq!(
            reports[0],
            IngestReport {
                accepted: 1,
                duplicates: 1,
                ..Default::default()
            }
        );
        assert_eq!(contacts(&store), 1, "the survey replaces the row");
        assert_ne!(
            memory.recent[&key()].1.row,
            Row::Written(cached_at(&memory), fp)
        );
    }

    fn cached_at(memory: &Memory) -> Timestamp {
        match memory.recent[&key()].1.row {
            Row::Written(at, _) => at,
            other => panic!("not written: {other:?}"),
        }
    }

    #[test]
    fn after_a_restart_a_known_contact_is_read_back_from_the_log_and_replaced() {
        let dir = tempfile::tempdir().expect("dir");
        let mut store = DuckDbStore::open(dir.path(), &StoreConfig::default()).expect("store");
        let mut memory = Memory::load(&store).expect("memory");
        write_group(
            &mut store,
            &mut memory,
            &[request(&[QUEUED, ANSWERED, ENDED])],
        )
        .expect("call");
        assert_eq!(contacts(&store), 1);
        drop(memory);

        // A new writer knows the contact exists (filter) but not its events.
        let mut memory = Memory::load(&store).expect("reloaded");
        assert!(memory.recent.is_empty());
        assert!(memory.seen.contains(key_hash("hotline", "c1")));
        assert!(memory.logged.contains(key_hash("hotline", "e1")));
        let (reports, _) =
            write_group(&mut store, &mut memory, &[request(&[ENDED, SURVEYED])]).expect("more");
        assert_eq!(
            reports[0],
            IngestReport {
                accepted: 1,
                duplicates: 1,
                ..Default::default()
            }
        );
        assert_eq!(contacts(&store), 1, "replaced, never a second row");
        let (_, cached) = &memory.recent[&key()];
        assert_eq!(
            cached.events.len(),
            4,
            "the three logged events read back, and the new one"
        );
    }

    #[test]
    fn the_filters_grow_and_never_forget_a_key() {
        let mut seen = Seen::with_capacity(0, SEEN_FP_RATE);
        let first_capacity = seen.filters[0].2;
        for i in 0..first_capacity + 10_000 {
            seen.insert(key_hash("t", &i.to_string()));
        }
        assert_eq!(
            seen.filters.len(),
            2,
            "a second filter once the first is full"
        );
        assert!((0..first_capacity + 10_000).all(|i| seen.contains(key_hash("t", &i.to_string()))));
        assert!(Seen::unknown().contains(key_hash("t", "anything")));
    }
}
