//! The live simulator of `serve --demo`: a demo center that keeps taking calls and chats in
//! real time, so the wallboard moves. Contacts come from the demo generator (arrival curve,
//! IVR, patience, talk times); agents are a pool per queue that log in, answer when idle, wrap
//! up and take breaks. Every step is an event parsed and committed through the same path as
//! `POST /api/v1/events`.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::time::Duration;

use ccpulse_ingest::events::parse_event;
use ccpulse_model::{Channel, Contact, Direction, Outcome, TenantId};
use ccpulse_server::AppState;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};

use crate::demo::Generator;

/// Agents per queue of the demo floor.
const AGENTS: &[(&str, usize)] = &[
    ("general", 7),
    ("credit_card", 4),
    ("vip", 3),
    ("complaints", 3),
    ("online_chat", 3),
    ("outbound", 2),
];

/// Contacts per minute at the busiest hour.
const PEAK_PER_MINUTE: f64 = 6.0;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AgentNow {
    Idle,
    Busy,
    Wrap,
    Break,
}

struct Agent {
    name: String,
    queue: &'static str,
    now: AgentNow,
}

#[derive(Debug)]
enum Action {
    Arrive,
    /// The customer's wait is over: an agent answers, or nobody can.
    Answer(usize),
    Abandon(usize),
    End(usize),
    WrapUp(usize),
    BreakOver(usize),
}

struct Sim {
    generator: Generator,
    tz: TimeZone,
    rng: SmallRng,
    agents: Vec<Agent>,
    contacts: Vec<Option<(Contact, Option<usize>)>>,
    queue: BinaryHeap<Reverse<(Timestamp, u64, usize)>>,
    actions: Vec<Option<Action>>,
    seq: u64,
    out: Vec<Value>,
}

fn plus(t: Timestamp, secs: f64) -> Timestamp {
    t.checked_add(SignedDuration::from_secs_f64(secs.max(0.0)))
        .unwrap_or(t)
}

fn secs(from: Option<Timestamp>, to: Option<Timestamp>) -> f64 {
    match (from, to) {
        (Some(a), Some(b)) => (b.as_millisecond() - a.as_millisecond()) as f64 / 1000.0,
        _ => 0.0,
    }
}

impl Sim {
    fn schedule(&mut self, at: Timestamp, action: Action) {
        self.seq += 1;
        self.actions.push(Some(action));
        self.queue
            .push(Reverse((at, self.seq, self.actions.len() - 1)));
    }

    fn event(&mut self, at: Timestamp, kind: &str, mut fields: Value) {
        self.seq += 1;
        fields["id"] = json!(format!("sim-{}-{}", at.as_millisecond(), self.seq));
        fields["type"] = json!(kind);
        fields["at"] = json!(at.to_string());
        self.out.push(fields);
    }

    fn agent_event(&mut self, at: Timestamp, i: usize, state: &str, reason: Option<&str>) {
        let (name, queue) = (self.agents[i].name.clone(), self.agents[i].queue);
        let mut f = json!({"agent": name, "state": state, "queue": queue});
        if let Some(r) = reason {
            f["reason"] = json!(r);
        }
        self.event(at, "agent_state", f);
    }

    fn next_arrival(&mut self, now: Timestamp) -> Timestamp {
        let hour = usize::try_from(now.to_zoned(self.tz.clone()).hour()).unwrap_or(0);
        let rate = PEAK_PER_MINUTE * Generator::intensity(hour).max(0.35) / 60.0;
        let u: f64 = self.rng.random_range(f64::EPSILON..1.0);
        plus(now, -u.ln() / rate)
    }

    fn step(&mut self, at: Timestamp, action: Action) {
        match action {
            Action::Arrive => self.arrive(at),
            Action::Answer(c) => self.answer(at, c),
            Action::Abandon(c) => self.abandon(at, c),
            Action::End(c) => self.end(at, c),
            Action::WrapUp(c) => self.wrap_up(at, c),
            Action::BreakOver(a) => {
                self.agents[a].now = AgentNow::Idle;
                self.agent_event(at, a, "idle", None);
            }
        }
    }

    fn arrive(&mut self, at: Timestamp) {
        let next = self.next_arrival(at);
        self.schedule(next, Action::Arrive);
        let mut c = self.generator.contact_at(at);
        let id = self.contacts.len();
        // Live ids never meet the history's.
        c.id = format!("live-{}-{id}", at.as_millisecond());
        let base = json!({
            "contact_id": c.id,
            "channel": c.channel.as_str(),
            "direction": c.direction.as_str(),
            "source": c.source,
            "entry_point": c.entry_point,
            "customer": c.customer,
            "region": c.region,
            "business_line": c.business_line,
            "category": c.category,
            "business_type": c.business_type.map(|b| b.as_str()),
            "campaign": c.campaign,
            // An outbound call belongs to the queue that dials it (an inbound one is queued
            // below).
            "queue": if c.direction == Direction::Outbound { c.queue.clone() } else { None },
        });
        let base = Value::Object(
            base.as_object()
                .map(|m| {
                    m.iter()
                        .filter(|(_, v)| !v.is_null())
                        .map(|(k, v)| (k.clone(), v.clone()))
                        .collect()
                })
                .unwrap_or_default(),
        );
        self.event(at, "arrived", base);
        let cid = json!({"contact_id": c.id});
        if c.direction == Direction::Outbound {
            // Outbound: dialled now, answered or not after its ring.
            let ring_end = plus(at, secs(c.ring_start, c.answered_at.or(c.ended_at)));
            self.contacts.push(Some((c, None)));
            self.schedule(ring_end, Action::Answer(id));
            return;
        }
        if c.ivr_start.is_some() {
            self.event(at, "ivr", cid.clone());
        }
        if c.outcome == Outcome::SelfService {
            let end = plus(at, secs(c.ivr_start, c.ended_at));
            self.event(
                end,
                "ended",
                json!({"contact_id": c.id, "outcome": "self_service"}),
            );
            return;
        }
        let queued = plus(at, secs(c.arrived_at, c.queued_at));
        self.event(
            queued,
            "queued",
            json!({"contact_id": c.id, "queue": c.queue}),
        );
        let left = plus(queued, secs(c.queued_at, c.answered_at.or(c.ended_at)));
        let action = if c.outcome == Outcome::Answered {
            Action::Answer(id)
        } else {
            Action::Abandon(id)
        };
        self.contacts.push(Some((c, None)));
        self.schedule(left, action);
    }

    fn free_agent(&mut self, queue: Option<&str>, channel: Channel) -> Option<usize> {
        let want = queue.unwrap_or(if channel == Channel::Chat {
            "online_chat"
        } else {
            "general"
        });
        let idle: Vec<usize> = (0..self.agents.len())
            .filter(|i| self.agents[*i].now == AgentNow::Idle && self.agents[*i].queue == want)
            .collect();
        if idle.is_empty() {
            return None;
        }
        Some(idle[self.rng.random_range(0..idle.len())])
    }

    fn answer(&mut self, at: Timestamp, id: usize) {
        let Some((c, _)) = self.contacts[id].clone() else {
            return;
        };
        let agent = self.free_agent(c.queue.as_deref(), c.channel);
        let outbound = c.direction == Direction::Outbound;
        if outbound && c.outcome != Outcome::Answered {
            self.event(
                at,
                "ended",
                json!({"contact_id": c.id, "outcome": "not_connected"}),
            );
            self.contacts[id] = None;
            return;
        }
        let Some(a) = agent else {
            // Everyone busy: the customer gives up now.
            if outbound {
                self.event(
                    at,
                    "ended",
                    json!({"contact_id": c.id, "outcome": "not_connected"}),
                );
            } else {
                self.event(at, "abandoned", json!({"contact_id": c.id}));
            }
            self.contacts[id] = None;
            return;
        };
        let name = self.agents[a].name.clone();
        let ring = secs(c.ring_start, c.answered_at).clamp(0.0, 8.0);
        let ring_at =
            Timestamp::from_millisecond(at.as_millisecond() - (ring * 1000.0) as i64).unwrap_or(at);
        if !outbound {
            self.event(
                ring_at,
                "ringing",
                json!({"contact_id": c.id, "agent": name}),
            );
        }
        self.event(at, "answered", json!({"contact_id": c.id, "agent": name}));
        self.agents[a].now = AgentNow::Busy;
        self.agent_event(at, a, "busy", None);
        let end = plus(at, secs(c.answered_at, c.ended_at));
        self.contacts[id] = Some((c, Some(a)));
        self.schedule(end, Action::End(id));
    }

    fn abandon(&mut self, at: Timestamp, id: usize) {
        if let Some((c, _)) = self.contacts[id].take() {
            self.event(at, "abandoned", json!({"contact_id": c.id}));
        }
    }

    fn end(&mut self, at: Timestamp, id: usize) {
        let Some((c, Some(a))) = self.contacts[id].clone() else {
            return;
        };
        if c.hold_s > 0.0 {
            self.event(at, "held", json!({"contact_id": c.id, "hold_s": c.hold_s}));
        }
        let mut f = json!({"contact_id": c.id});
        if let Some(r) = c.resolved_first {
            f["resolved_first"] = json!(r);
        }
        if c.marketing_attempts > 0 {
            f["marketing_attempts"] = json!(c.marketing_attempts);
            f["marketing_successes"] = json!(c.marketing_successes);
        }
        self.event(at, "ended", f);
        self.agents[a].now = AgentNow::Wrap;
        self.agent_event(at, a, "acw", None);
        let wrap = plus(at, secs(c.ended_at, c.wrap_up_end).max(3.0));
        self.schedule(wrap, Action::WrapUp(id));
    }

    fn wrap_up(&mut self, at: Timestamp, id: usize) {
        let Some((c, Some(a))) = self.contacts[id].take() else {
            return;
        };
        self.event(at, "wrap_up_ended", json!({"contact_id": c.id}));
        if let Some(s) = &c.survey {
            let mut f = json!({"contact_id": c.id});
            if let Some(score) = s.score {
                f["score"] = json!(score.as_str());
            }
            if let Some(r) = &s.reason {
                f["reason"] = json!(r);
            }
            self.event(at, "surveyed", f);
        }
        if self.rng.random::<f64>() < 0.06 {
            let reason = ["小休", "lunch", "training"][self.rng.random_range(0..3)];
            self.agents[a].now = AgentNow::Break;
            self.agent_event(at, a, "break", Some(reason));
            let back = plus(at, 60.0 + self.rng.random_range(0.0..240.0));
            self.schedule(back, Action::BreakOver(a));
        } else {
            self.agents[a].now = AgentNow::Idle;
            self.agent_event(at, a, "idle", None);
        }
    }

    /// Runs every action due by `now`; returns the events they produced.
    fn until(&mut self, now: Timestamp) -> Vec<Value> {
        while let Some(Reverse((at, _, i))) = self.queue.peek().copied() {
            if at > now {
                break;
            }
            self.queue.pop();
            if let Some(action) = self.actions[i].take() {
                self.step(at, action);
            }
        }
        std::mem::take(&mut self.out)
    }
}

/// Runs the simulator for `tenant` until the server stops.
pub async fn run(state: AppState, tenant: TenantId, tz: TimeZone) {
    let now = Timestamp::now();
    let mut sim = Sim {
        generator: Generator::new(tenant.clone(), tz.clone(), now.as_second().unsigned_abs()),
        tz,
        rng: SmallRng::seed_from_u64(now.as_second().unsigned_abs()),
        agents: AGENTS
            .iter()
            .flat_map(|(q, n)| (0..*n).map(move |_| *q))
            .enumerate()
            .map(|(i, q)| Agent {
                name: format!("a{:03}", i + 1),
                queue: q,
                now: AgentNow::Idle,
            })
            .collect(),
        contacts: Vec::new(),
        queue: BinaryHeap::new(),
        actions: Vec::new(),
        seq: 0,
        out: Vec::new(),
    };
    // Calls and chats the simulator had in progress when the server last stopped end now, as
    // a telephony platform ends its calls when it restarts: they do not wait on the wall.
    for c in state.hub().contacts_in_progress(&tenant) {
        let kind = match c.phase {
            ccpulse_live::Phase::Talking => "ended",
            _ => "abandoned",
        };
        sim.out.push(json!({
            "id": format!("{}-restart-{}", c.id, now.as_millisecond()),
            "type": kind,
            "contact_id": c.id,
            "at": now.to_string(),
        }));
    }
    for i in 0..sim.agents.len() {
        sim.agent_event(now, i, "logged_in", None);
    }
    sim.schedule(now, Action::Arrive);
    loop {
        let events = sim.until(Timestamp::now());
        if !events.is_empty() {
            let parsed: Vec<_> = events
                .iter()
                .enumerate()
                .filter_map(|(i, v)| {
                    let bytes = v.to_string();
                    match parse_event(bytes.as_bytes(), i, &tenant) {
                        Ok(e) => Some(e),
                        Err(e) => {
                            tracing::error!(error = %e, event = %bytes, "the simulator made a bad event");
                            None
                        }
                    }
                })
                .collect();
            if let Err(e) = state.writer().ingest(tenant.clone(), parsed).await {
                tracing::warn!(error = %e, "the simulator's events were not taken; it stops");
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}
