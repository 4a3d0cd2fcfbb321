//! The hub between the writer and the wallboards: each tenant's floor, its latest figures of
//! today, firing alerts, and the numbered messages pushed to server-sent-event streams (the
//! last few thousand kept, so a stream that reconnects with `Last-Event-ID` misses nothing).

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};

use ccpulse_live::{AlertBook, Change, Floor, NowFigures};
use ccpulse_model::TenantId;
use jiff::Timestamp;
use serde_json::{json, Value};
use tokio::sync::{broadcast, Notify};

use crate::live_update::LiveUpdate;

/// Messages kept for streams that reconnect.
const RECENT: usize = 4096;

/// One pushed message.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    /// Increasing over the server's life: the SSE id.
    pub id: u64,
    pub tenant: TenantId,
    /// The SSE event name: `floor`, `today`, `alert`.
    pub event: &'static str,
    pub data: Value,
    /// `data` as JSON, written once for every stream that sends it.
    pub json: String,
}

#[derive(Default)]
struct HubState {
    floors: HashMap<TenantId, Floor>,
    today: HashMap<TenantId, Value>,
    /// Each tenant's agents required now, by queue (this interval of today's plans).
    required: HashMap<TenantId, BTreeMap<String, u64>>,
    alerts: HashMap<TenantId, AlertBook>,
    seq: u64,
    recent: VecDeque<Arc<Message>>,
    dirty: HashSet<TenantId>,
}

/// Shared by the writer, the refresher and the routes.
pub struct Hub {
    state: Mutex<HubState>,
    tx: broadcast::Sender<Arc<Message>>,
    /// Woken when a tenant's figures need recomputing.
    pub dirty: Notify,
    /// Woken when a floor changed (rules over figures of now are judged at once).
    pub floor_changed: Notify,
}

/// Message ids a second of a server's life can take: each start numbers its messages from the
/// microseconds since 1970, so a later start's ids are above any an earlier one gave (unless
/// it sent over a million messages a second), and a stream that comes back after a restart
/// with an id of the earlier life is not mistaken for one that missed nothing.
fn first_seq() -> u64 {
    u64::try_from(Timestamp::now().as_microsecond()).unwrap_or(0)
}

impl Default for Hub {
    fn default() -> Self {
        let (tx, _) = broadcast::channel(RECENT);
        Self {
            state: Mutex::new(HubState {
                seq: first_seq(),
                ..HubState::default()
            }),
            tx,
            dirty: Notify::new(),
            floor_changed: Notify::new(),
        }
    }
}

impl Hub {
    fn lock(&self) -> MutexGuard<'_, HubState> {
        // A panic while holding the lock leaves plain data behind; keep serving it.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Applies committed steps to a tenant's floor and pushes what changed.
    pub fn apply(&self, tenant: &TenantId, update: LiveUpdate) {
        let mut st = self.lock();
        let floor = st.floors.entry(tenant.clone()).or_default();
        let mut changes: Vec<Change> = Vec::new();
        for (id, steps) in &update.contacts {
            let refs: Vec<(Timestamp, &ccpulse_model::ContactEvent)> =
                steps.iter().map(|(at, c)| (*at, c)).collect();
            changes.extend(floor.set_contact(id, &refs));
        }
        for (at, a) in &update.agents {
            changes.extend(floor.apply_agent(*at, a));
        }
        st.dirty.insert(tenant.clone());
        if !changes.is_empty() {
            Self::push(
                &mut st,
                &self.tx,
                tenant,
                "floor",
                json!({ "changes": changes }),
            );
        }
        drop(st);
        self.dirty.notify_one();
        self.floor_changed.notify_one();
    }

    fn push(
        st: &mut HubState,
        tx: &broadcast::Sender<Arc<Message>>,
        tenant: &TenantId,
        event: &'static str,
        data: Value,
    ) {
        st.seq += 1;
        let json = data.to_string();
        let m = Arc::new(Message {
            id: st.seq,
            tenant: tenant.to_owned(),
            event,
            data,
            json,
        });
        st.recent.push_back(m.clone());
        while st.recent.len() > RECENT {
            st.recent.pop_front();
        }
        // No subscriber is not an error.
        let _ = tx.send(m);
    }

    /// Pushes a message to the tenant's streams.
    pub fn publish(&self, tenant: &TenantId, event: &'static str, data: Value) {
        let mut st = self.lock();
        Self::push(&mut st, &self.tx, tenant, event, data);
    }

    /// Tenants whose figures changed since the last call (and forgets them).
    pub fn take_dirty(&self) -> HashSet<TenantId> {
        std::mem::take(&mut self.lock().dirty)
    }

    /// Marks a tenant for recomputing.
    pub fn mark_dirty(&self, tenant: &TenantId) {
        self.lock().dirty.insert(tenant.to_owned());
        self.dirty.notify_one();
    }

    /// The tenant's contacts in progress now.
    pub fn contacts_in_progress(&self, tenant: &TenantId) -> Vec<ccpulse_live::LiveContact> {
        self.lock()
            .floors
            .get(tenant)
            .map(|f| f.contacts().cloned().collect())
            .unwrap_or_default()
    }

    /// Tenants that have a floor.
    pub fn tenants(&self) -> Vec<TenantId> {
        self.lock().floors.keys().cloned().collect()
    }

    /// The figures of now of a tenant's floor, with the agents its queues' plans require.
    pub fn now_figures(&self, tenant: &TenantId, now: Timestamp) -> NowFigures {
        let st = self.lock();
        Self::figures_of(&st, tenant, now)
    }

    fn figures_of(st: &HubState, tenant: &TenantId, now: Timestamp) -> NowFigures {
        let figures = st
            .floors
            .get(tenant)
            .map(|f| f.now(now))
            .unwrap_or_default();
        match st.required.get(tenant) {
            Some(r) => figures.with_required(r),
            None => figures,
        }
    }

    /// Sets the agents a tenant's queues require now; a change goes to its streams (and the
    /// floor's rules are judged again).
    pub fn set_required(&self, tenant: &TenantId, required: BTreeMap<String, u64>) {
        let mut st = self.lock();
        if st.required.get(tenant) == Some(&required) {
            return;
        }
        let data = json!({ "required": required });
        st.required.insert(tenant.to_owned(), required);
        Self::push(&mut st, &self.tx, tenant, "staffing", data);
        drop(st);
        self.floor_changed.notify_one();
    }

    /// Drops every tenant's contacts in progress with no step since `before`.
    pub fn forget_stale(&self, before: Timestamp) {
        let tenants: Vec<TenantId> = self.lock().floors.keys().cloned().collect();
        for t in tenants {
            self.expire(&t, before);
        }
    }

    /// Takes `tenant`'s contacts in progress with no step since `before` off its floor (an
    /// end that never came) and pushes the change; returns them.
    pub fn expire(&self, tenant: &TenantId, before: Timestamp) -> Vec<ccpulse_live::LiveContact> {
        let mut st = self.lock();
        let gone = st
            .floors
            .get_mut(tenant)
            .map(|f| f.take_stale(before))
            .unwrap_or_default();
        if !gone.is_empty() {
            let changes: Vec<ccpulse_live::Change> = gone
                .iter()
                .map(|c| ccpulse_live::Change::Contact {
                    id: c.id.clone(),
                    queue: c.queue.clone(),
                    channel: c.channel,
                    phase: None,
                })
                .collect();
            Self::push(
                &mut st,
                &self.tx,
                tenant,
                "floor",
                json!({ "changes": changes }),
            );
            self.floor_changed.notify_one();
        }
        gone
    }

    /// Stores a tenant's figures of today and pushes them.
    pub fn set_today(&self, tenant: &TenantId, today: Value) {
        let mut st = self.lock();
        if st.today.get(tenant) == Some(&today) {
            return;
        }
        st.today.insert(tenant.to_owned(), today.clone());
        Self::push(&mut st, &self.tx, tenant, "today", today);
    }

    /// Runs `f` with the tenant's alert book.
    pub fn with_alerts<T>(&self, tenant: &TenantId, f: impl FnOnce(&mut AlertBook) -> T) -> T {
        let mut st = self.lock();
        f(st.alerts.entry(tenant.to_owned()).or_default())
    }

    /// A stream of every message from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Message>> {
        self.tx.subscribe()
    }

    /// The tenant's messages after `after`, or `None` when they are no longer kept, or when
    /// `after` is no id of this server's (a stream from before a restart).
    pub fn since(&self, tenant: &TenantId, after: u64) -> Option<Vec<Arc<Message>>> {
        let st = self.lock();
        let oldest = st.recent.front().map_or(st.seq + 1, |m| m.id);
        if after > st.seq || (after + 1 < oldest && after < st.seq) {
            return None;
        }
        Some(
            st.recent
                .iter()
                .filter(|m| m.id > after && &m.tenant == tenant)
                .cloned()
                .collect(),
        )
    }

    /// The whole picture of a tenant now, as `GET /api/v1/live` answers it.
    pub fn snapshot(&self, tenant: &TenantId, now: Timestamp) -> Value {
        let st = self.lock();
        let floor = st.floors.get(tenant);
        let figures = Self::figures_of(&st, tenant, now);
        let today = st.today.get(tenant).cloned().unwrap_or(Value::Null);
        let mut scopes: BTreeMap<String, Value> = BTreeMap::new();
        for (scope, n) in &figures.scopes {
            scopes.insert(scope.key(), json!({ "now": n }));
        }
        if let Some(t) = today.get("scopes").and_then(Value::as_object) {
            for (k, v) in t {
                let e = scopes
                    .entry(k.clone())
                    .or_insert_with(|| json!({ "now": ccpulse_live::Now::default() }));
                e["today"] = v.clone();
            }
        }
        let agent_today = today.get("agents").cloned().unwrap_or(Value::Null);
        let agents: Vec<Value> = floor
            .map(|f| {
                f.agents()
                    .map(|a| {
                        let secs = (now.as_second() - a.since.as_second()).max(0);
                        json!({
                            "agent": a.agent,
                            "state": a.state,
                            "reason": a.reason,
                            "queue": a.queue,
                            "since": a.since.to_string(),
                            "time_in_state": secs,
                            "today": agent_today.get(&a.agent).cloned().unwrap_or(Value::Null),
                        })
                    })
                    .collect()
            })
            .unwrap_or_default();
        let firing: Vec<Value> = st
            .alerts
            .get(tenant)
            .map(|b| {
                b.firing()
                    .iter()
                    .map(|(rule, since)| {
                        let (text, value) = b
                            .current(rule)
                            .map_or((rule.as_str(), None), |(t, v)| (t.as_str(), *v));
                        json!({"rule": rule, "since": since.to_string(), "text": text,
                               "value": value})
                    })
                    .collect()
            })
            .unwrap_or_default();
        json!({
            "tenant": tenant,
            "at": now.to_string(),
            "seq": st.seq,
            "date": today.get("date").cloned().unwrap_or(Value::Null),
            "scopes": scopes,
            "agents": agents,
            "trend": today.get("trend").cloned().unwrap_or(json!([])),
            "standards": today.get("standards").cloned().unwrap_or(Value::Null),
            "alerts": firing,
        })
    }
}

#[cfg(test)]
mod tests {
    use ccpulse_ingest::events::{parse_event, ParsedEvent};
    use ccpulse_live::Scope;
    use ccpulse_model::{EventBody, TenantId};

    use super::*;

    fn tenant() -> TenantId {
        TenantId::new("hotline").expect("tenant")
    }

    fn event(json: &str) -> ParsedEvent {
        parse_event(json.as_bytes(), 0, &tenant()).expect("event")
    }

    /// The live update of one contact's steps and some agent events.
    fn update(contact: &[&str], agents: &[&str]) -> LiveUpdate {
        let steps = contact
            .iter()
            .map(|j| {
                let e = event(j);
                match e.event.body {
                    EventBody::Contact(c) => (e.event.at, c),
                    EventBody::Agent(_) => panic!("a contact event"),
                }
            })
            .collect::<Vec<_>>();
        let agents = agents
            .iter()
            .map(|j| {
                let e = event(j);
                match e.event.body {
                    EventBody::Agent(a) => (e.event.at, a),
                    EventBody::Contact(_) => panic!("an agent event"),
                }
            })
            .collect();
        LiveUpdate {
            contacts: if steps.is_empty() {
                Vec::new()
            } else {
                vec![("c1".to_owned(), steps)]
            },
            agents,
        }
    }

    const QUEUED: &str = r#"{"id":"e1","type":"queued","contact_id":"c1","at":"2026-11-23T09:00:05+08:00","queue":"vip"}"#;
    const ANSWERED: &str = r#"{"id":"e2","type":"answered","contact_id":"c1","at":"2026-11-23T09:00:17+08:00","agent":"1001"}"#;
    const BUSY: &str = r#"{"id":"e3","type":"agent_state","agent":"1001","state":"busy","at":"2026-11-23T09:00:17+08:00"}"#;

    fn at(s: &str) -> Timestamp {
        s.parse().expect("time")
    }

    #[test]
    fn an_update_moves_the_floor_and_numbers_one_message_for_the_tenants_streams() {
        let hub = Hub::default();
        let mut rx = hub.subscribe();
        let before = hub.lock().seq;
        hub.apply(&tenant(), update(&[QUEUED], &[]));
        let now = at("2026-11-23T01:00:35Z");
        let waiting = hub.now_figures(&tenant(), now);
        let all = &waiting.scopes[&Scope::All];
        assert_eq!(all.waiting, 1);
        assert!(
            (all.longest_wait - 30.0).abs() < 1e-9,
            "{}",
            all.longest_wait
        );
        assert_eq!(waiting.scopes[&Scope::Queue("vip".into())].waiting, 1);
        let m = rx.try_recv().expect("a floor message");
        assert_eq!(
            (m.id, m.event, m.tenant.as_str()),
            (before + 1, "floor", "hotline")
        );
        assert_eq!(m.json, m.data.to_string());
        assert_eq!(hub.take_dirty(), HashSet::from([tenant()]));
        assert!(hub.take_dirty().is_empty(), "taking forgets");

        // The same contact answered, its agent busy: nobody waits, one talks.
        hub.apply(&tenant(), update(&[QUEUED, ANSWERED], &[BUSY]));
        let all = hub.now_figures(&tenant(), now).scopes[&Scope::All].clone();
        assert_eq!((all.waiting, all.talking, all.agents_on_call), (0, 1, 1));
        assert_eq!(hub.contacts_in_progress(&tenant()).len(), 1);
        // Another tenant sees none of it.
        assert!(hub
            .now_figures(&TenantId::new("bank").expect("tenant"), now)
            .scopes
            .is_empty());
        assert_eq!(hub.tenants(), vec![tenant()]);
    }

    #[test]
    fn a_stream_resumes_after_its_last_id_unless_that_id_is_not_this_servers() {
        let hub = Hub::default();
        hub.publish(&tenant(), "alert", json!({"n": 1}));
        let first = hub.lock().seq;
        hub.publish(
            &TenantId::new("bank").expect("tenant"),
            "alert",
            json!({"n": 2}),
        );
        hub.publish(&tenant(), "alert", json!({"n": 3}));
        let missed = hub.since(&tenant(), first).expect("kept");
        assert_eq!(missed.len(), 1, "only the tenant's own messages");
        assert_eq!(missed[0].data, json!({"n": 3}));
        let last = hub.lock().seq;
        assert_eq!(hub.since(&tenant(), last).map(|m| m.len()), Some(0));
        // An id above any this server gave comes from another life: no resume.
        assert!(hub.since(&tenant(), last + 10).is_none());
        // An id from before the kept window: no resume either.
        assert!(hub.since(&tenant(), 1).is_none());
    }

    #[test]
    fn todays_figures_are_pushed_only_when_they_change_and_stale_contacts_leave() {
        let hub = Hub::default();
        let mut rx = hub.subscribe();
        hub.set_today(&tenant(), json!({"date": "2026-11-23"}));
        hub.set_today(&tenant(), json!({"date": "2026-11-23"}));
        assert_eq!(rx.try_recv().map(|m| m.event).ok(), Some("today"));
        assert!(
            rx.try_recv().is_err(),
            "the same figures are not pushed again"
        );
        assert_eq!(
            hub.snapshot(&tenant(), at("2026-11-23T02:00:00Z"))["date"],
            "2026-11-23"
        );

        hub.apply(&tenant(), update(&[QUEUED], &[]));
        let _ = rx.try_recv();
        hub.forget_stale(at("2026-11-23T00:00:00Z"));
        assert_eq!(
            hub.contacts_in_progress(&tenant()).len(),
            1,
            "not stale yet"
        );
        hub.forget_stale(at("2026-11-23T13:00:00Z"));
        assert!(hub.contacts_in_progress(&tenant()).is_empty());
        assert_eq!(rx.try_recv().map(|m| m.event).ok(), Some("floor"));
    }
}
