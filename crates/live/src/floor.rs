//! The floor now: contacts in progress (in the IVR, waiting, ringing, talking) and each agent's
//! state, per tenant. Both are functions of the events alone: a contact's entry is recomputed
//! from all of its steps whenever one arrives (so order of arrival does not matter), and an
//! agent's state is its latest state event by time. Rebuilding from the stored events gives
//! the same floor as before a restart.

use std::collections::{BTreeMap, HashMap};

use ccpulse_model::{AgentEvent, AgentState, Channel, ContactEvent, ContactEventKind};
use jiff::Timestamp;
use serde::Serialize;

/// Where a contact in progress is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Arrived, not yet in the IVR or a queue.
    Arrived,
    Ivr,
    /// In a queue, no agent ringing.
    Waiting,
    /// In a queue, an agent's phone ringing: still waiting for the customer.
    Ringing,
    Talking,
}

impl Phase {
    /// Whether the customer is waiting for an agent.
    pub fn is_waiting(self) -> bool {
        matches!(self, Phase::Waiting | Phase::Ringing)
    }
}

/// A contact in progress.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LiveContact {
    pub id: String,
    pub channel: Channel,
    pub queue: Option<String>,
    pub agent: Option<String>,
    pub phase: Phase,
    /// Since when it waits in its current queue (for the longest current wait).
    pub waiting_since: Option<Timestamp>,
    /// Its latest step.
    pub last_at: Timestamp,
}

/// An agent's current state.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LiveAgent {
    pub agent: String,
    pub state: AgentState,
    pub reason: Option<String>,
    pub queue: Option<String>,
    pub since: Timestamp,
}

/// What changed on the floor, as pushed to wallboards.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Change {
    /// A contact moved; `phase` is `None` when it left (ended or abandoned).
    Contact {
        id: String,
        queue: Option<String>,
        channel: Channel,
        phase: Option<Phase>,
    },
    /// An agent changed state.
    Agent(LiveAgent),
}

/// One tenant's floor.
#[derive(Debug, Default, Clone)]
pub struct Floor {
    contacts: HashMap<String, LiveContact>,
    agents: BTreeMap<String, LiveAgent>,
}

impl Floor {
    /// Recomputes a contact from all its steps (any order). A contact whose steps include its
    /// end leaves the floor.
    pub fn set_contact(&mut self, id: &str, steps: &[(Timestamp, &ContactEvent)]) -> Vec<Change> {
        let next = contact_of(id, steps);
        let before = self.contacts.get(id);
        let changed = match (&next, before) {
            (Some(n), Some(b)) => n.phase != b.phase || n.queue != b.queue || n.agent != b.agent,
            (None, None) => false,
            _ => true,
        };
        let change = changed.then(|| match &next {
            Some(n) => Change::Contact {
                id: id.to_owned(),
                queue: n.queue.clone(),
                channel: n.channel,
                phase: Some(n.phase),
            },
            None => {
                let b = before.cloned();
                Change::Contact {
                    id: id.to_owned(),
                    queue: b.as_ref().and_then(|b| b.queue.clone()),
                    channel: b.map_or(Channel::Voice, |b| b.channel),
                    phase: None,
                }
            }
        });
        match next {
            Some(n) => {
                self.contacts.insert(id.to_owned(), n);
            }
            None => {
                self.contacts.remove(id);
            }
        }
        change.into_iter().collect()
    }

    /// Applies an agent's state event; one older than the agent's current state changes
    /// nothing.
    pub fn apply_agent(&mut self, at: Timestamp, ev: &AgentEvent) -> Vec<Change> {
        if let Some(cur) = self.agents.get(&ev.agent) {
            if cur.since > at {
                return Vec::new();
            }
        }
        // A fresh login is an idle agent.
        let state = if ev.state == AgentState::LoggedIn {
            AgentState::Idle
        } else {
            ev.state
        };
        let queue = ev
            .queue
            .clone()
            .or_else(|| self.agents.get(&ev.agent).and_then(|a| a.queue.clone()));
        let next = LiveAgent {
            agent: ev.agent.clone(),
            state,
            reason: ev.reason.clone(),
            queue,
            since: at,
        };
        if self.agents.get(&ev.agent) == Some(&next) {
            return Vec::new();
        }
        self.agents.insert(ev.agent.clone(), next.clone());
        vec![Change::Agent(next)]
    }

    /// Takes the contacts in progress with no step since `before` off the floor.
    pub fn take_stale(&mut self, before: Timestamp) -> Vec<LiveContact> {
        let stale: Vec<String> = self
            .contacts
            .values()
            .filter(|c| c.last_at < before)
            .map(|c| c.id.clone())
            .collect();
        stale
            .into_iter()
            .filter_map(|id| self.contacts.remove(&id))
            .collect()
    }

    /// Contacts in progress.
    pub fn contacts(&self) -> impl Iterator<Item = &LiveContact> {
        self.contacts.values()
    }

    /// Agents that are not logged out, by name.
    pub fn agents(&self) -> impl Iterator<Item = &LiveAgent> {
        self.agents
            .values()
            .filter(|a| a.state != AgentState::LoggedOut)
    }

    /// The figures of now for every queue, every channel and overall.
    pub fn now(&self, now: Timestamp) -> NowFigures {
        let mut out = NowFigures::default();
        for c in self.contacts.values() {
            let keys = [
                Scope::All,
                Scope::Channel(c.channel.as_str().to_owned()),
                Scope::Queue(c.queue.clone().unwrap_or_default()),
            ];
            for k in keys {
                let f = out.scopes.entry(k).or_default();
                match c.phase {
                    Phase::Waiting | Phase::Ringing => {
                        f.waiting += 1;
                        if let Some(since) = c.waiting_since {
                            let w = seconds(now, since);
                            f.longest_wait = f.longest_wait.max(w);
                        }
                    }
                    Phase::Talking => f.talking += 1,
                    Phase::Arrived | Phase::Ivr => f.in_ivr += 1,
                }
            }
        }
        // An agent counts in the channel of the contact they are on now (an idle agent
        // belongs to no channel: channels share the agents of a blended center).
        let serving: HashMap<&str, Channel> = self
            .contacts
            .values()
            .filter(|c| matches!(c.phase, Phase::Talking | Phase::Ringing))
            .filter_map(|c| c.agent.as_deref().map(|a| (a, c.channel)))
            .collect();
        for a in self.agents() {
            let mut keys = vec![Scope::All];
            if let Some(q) = &a.queue {
                keys.push(Scope::Queue(q.clone()));
            }
            if let Some(ch) = serving.get(a.agent.as_str()) {
                keys.push(Scope::Channel(ch.as_str().to_owned()));
            }
            for k in keys {
                let f = out.scopes.entry(k).or_default();
                f.agents_logged_in += 1;
                match a.state {
                    AgentState::Idle | AgentState::LoggedIn => f.agents_idle += 1,
                    AgentState::Busy => f.agents_on_call += 1,
                    AgentState::Acw => f.agents_wrap_up += 1,
                    AgentState::Break => {
                        f.agents_break += 1;
                        let reason = a.reason.clone().unwrap_or_default();
                        *f.breaks.entry(reason).or_default() += 1;
                    }
                    AgentState::Invisible => f.agents_invisible += 1,
                    AgentState::LoggedOut => {}
                }
            }
        }
        out.scopes.entry(Scope::All).or_default();
        out
    }
}

fn seconds(now: Timestamp, since: Timestamp) -> f64 {
    let micros = now.as_microsecond() - since.as_microsecond();
    #[allow(clippy::cast_precision_loss)]
    let s = micros as f64 / 1e6;
    s.max(0.0)
}

fn contact_of(id: &str, steps: &[(Timestamp, &ContactEvent)]) -> Option<LiveContact> {
    let mut sorted: Vec<&(Timestamp, &ContactEvent)> = steps.iter().collect();
    sorted.sort_by_key(|(at, e)| (*at, e.kind.rank()));
    if sorted.iter().any(|(_, e)| e.kind.ends_contact()) {
        return None;
    }
    let (first_at, _) = sorted.first()?;
    let mut c = LiveContact {
        id: id.to_owned(),
        channel: Channel::Voice,
        queue: None,
        agent: None,
        phase: Phase::Arrived,
        waiting_since: None,
        last_at: *first_at,
    };
    for (at, e) in sorted {
        c.last_at = *at;
        if let Some(ch) = e.channel {
            c.channel = ch;
        }
        if let Some(a) = &e.agent {
            c.agent = Some(a.clone());
        }
        let moved_queue = e.queue.is_some() && e.queue != c.queue;
        if e.queue.is_some() {
            c.queue.clone_from(&e.queue);
        }
        match e.kind {
            ContactEventKind::Arrived => {}
            ContactEventKind::Ivr => c.phase = Phase::Ivr,
            ContactEventKind::Queued => {
                if !c.phase.is_waiting() || moved_queue {
                    c.waiting_since = Some(*at);
                }
                c.phase = Phase::Waiting;
            }
            ContactEventKind::Ringing => {
                if c.waiting_since.is_none() {
                    c.waiting_since = Some(*at);
                }
                c.phase = Phase::Ringing;
            }
            ContactEventKind::Answered => {
                c.phase = Phase::Talking;
                c.waiting_since = None;
            }
            // A transfer to another queue puts the customer back in line there.
            ContactEventKind::Transferred if moved_queue => {
                c.phase = Phase::Waiting;
                c.waiting_since = Some(*at);
                c.agent = None;
            }
            ContactEventKind::Held
            | ContactEventKind::Transferred
            | ContactEventKind::WrapUpEnded
            | ContactEventKind::Surveyed
            | ContactEventKind::Ended
            | ContactEventKind::Abandoned => {}
        }
    }
    Some(c)
}

/// What figures are for: everything, one channel, or one queue.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scope {
    All,
    Channel(String),
    Queue(String),
}

impl Scope {
    /// `all`, `channel:voice`, `queue:vip`.
    pub fn key(&self) -> String {
        match self {
            Scope::All => "all".into(),
            Scope::Channel(c) => format!("channel:{c}"),
            Scope::Queue(q) => format!("queue:{q}"),
        }
    }
}

/// Counts of now for one scope.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Now {
    pub waiting: u64,
    /// Seconds the longest-waiting customer has waited so far (0 when nobody waits).
    pub longest_wait: f64,
    pub talking: u64,
    pub in_ivr: u64,
    pub agents_logged_in: u64,
    pub agents_idle: u64,
    pub agents_on_call: u64,
    pub agents_wrap_up: u64,
    pub agents_break: u64,
    pub agents_invisible: u64,
    /// Agents on break by reason.
    pub breaks: BTreeMap<String, u64>,
    /// Agents this interval's staffing plan requires (from the forecast; set by the server,
    /// not by the floor), when the queue has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agents_required: Option<u64>,
}

impl Now {
    /// The names [`Now::figure`] knows.
    pub const FIGURES: &'static [&'static str] = &[
        "waiting",
        "longest_wait",
        "talking",
        "in_ivr",
        "agents_logged_in",
        "agents_idle",
        "agents_on_call",
        "agents_wrap_up",
        "agents_break",
        "agents_invisible",
        "agents_required",
        "staffing_gap",
    ];

    /// A figure by its name (for alert rules), `None` for an unknown name.
    pub fn figure(&self, name: &str) -> Option<f64> {
        #[allow(clippy::cast_precision_loss)]
        let n = |x: u64| Some(x as f64);
        match name {
            "waiting" => n(self.waiting),
            "longest_wait" => Some(self.longest_wait),
            "talking" => n(self.talking),
            "in_ivr" => n(self.in_ivr),
            "agents_logged_in" => n(self.agents_logged_in),
            "agents_idle" => n(self.agents_idle),
            "agents_on_call" => n(self.agents_on_call),
            "agents_wrap_up" => n(self.agents_wrap_up),
            "agents_break" => n(self.agents_break),
            "agents_invisible" => n(self.agents_invisible),
            "agents_required" => self.agents_required.and_then(n),
            // Agents short of the plan now (negative: more logged in than required).
            #[allow(clippy::cast_precision_loss)]
            "staffing_gap" => self
                .agents_required
                .map(|r| r as f64 - self.agents_logged_in as f64),
            _ => None,
        }
    }
}

/// Now, by scope.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NowFigures {
    pub scopes: BTreeMap<Scope, Now>,
}

impl NowFigures {
    /// Sets each queue's agents required now (its plan's, for this interval); `all` requires
    /// their sum. A queue with a plan and no contact or agent now gets its scope too.
    pub fn with_required(mut self, required: &BTreeMap<String, u64>) -> Self {
        if required.is_empty() {
            return self;
        }
        for (queue, n) in required {
            self.scopes
                .entry(Scope::Queue(queue.clone()))
                .or_default()
                .agents_required = Some(*n);
        }
        self.scopes.entry(Scope::All).or_default().agents_required = Some(required.values().sum());
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Timestamp {
        s.parse().expect("time")
    }

    fn step(kind: ContactEventKind, queue: Option<&str>) -> ContactEvent {
        ContactEvent {
            contact_id: "c".into(),
            kind,
            channel: None,
            direction: None,
            queue: queue.map(str::to_owned),
            agent: None,
        }
    }

    #[test]
    fn a_call_waits_talks_and_leaves_whatever_order_its_steps_come_in() {
        let mut f = Floor::default();
        let q = step(ContactEventKind::Queued, Some("vip"));
        let a = step(ContactEventKind::Answered, None);
        let e = step(ContactEventKind::Ended, None);
        let t0 = at("2026-11-23T01:00:00Z");
        let t1 = at("2026-11-23T01:00:30Z");
        let t2 = at("2026-11-23T01:03:00Z");
        f.set_contact("c", &[(t0, &q)]);
        let now = f.now(at("2026-11-23T01:00:20Z"));
        let vip = &now.scopes[&Scope::Queue("vip".into())];
        assert_eq!((vip.waiting, vip.longest_wait), (1, 20.0));
        // The answer arrives after the end: the end still wins.
        f.set_contact("c", &[(t0, &q), (t2, &e)]);
        let changes = f.set_contact("c", &[(t1, &a), (t0, &q), (t2, &e)]);
        assert!(changes.is_empty());
        assert_eq!(f.now(t2).scopes[&Scope::All].waiting, 0);
        assert_eq!(f.contacts().count(), 0);
    }

    #[test]
    fn agents_follow_their_latest_state_and_count_by_queue() {
        let mut f = Floor::default();
        let ev = |state, queue: Option<&str>, reason: Option<&str>| AgentEvent {
            agent: "1001".into(),
            state,
            reason: reason.map(str::to_owned),
            queue: queue.map(str::to_owned),
        };
        f.apply_agent(
            at("2026-11-23T01:00:00Z"),
            &ev(AgentState::LoggedIn, Some("vip"), None),
        );
        f.apply_agent(
            at("2026-11-23T01:10:00Z"),
            &ev(AgentState::Break, None, Some("lunch")),
        );
        // Late, ignored.
        let late = f.apply_agent(
            at("2026-11-23T01:05:00Z"),
            &ev(AgentState::Busy, None, None),
        );
        assert!(late.is_empty());
        let now = f.now(at("2026-11-23T01:20:00Z"));
        let vip = &now.scopes[&Scope::Queue("vip".into())];
        assert_eq!(
            (vip.agents_logged_in, vip.agents_break, vip.agents_idle),
            (1, 1, 0)
        );
        assert_eq!(vip.breaks.get("lunch"), Some(&1));
        f.apply_agent(
            at("2026-11-23T02:00:00Z"),
            &ev(AgentState::LoggedOut, None, None),
        );
        assert_eq!(
            f.now(at("2026-11-23T02:00:00Z")).scopes[&Scope::All].agents_logged_in,
            0
        );
    }

    #[test]
    fn an_agent_counts_in_the_channel_of_the_contact_they_are_on() {
        let mut f = Floor::default();
        let agent = |name: &str, state| AgentEvent {
            agent: name.into(),
            state,
            reason: None,
            queue: Some("vip".into()),
        };
        let t0 = at("2026-11-23T01:00:00Z");
        f.apply_agent(t0, &agent("1001", AgentState::Busy));
        f.apply_agent(t0, &agent("1002", AgentState::Idle));
        let mut queued = step(ContactEventKind::Queued, Some("vip"));
        queued.channel = Some(Channel::Chat);
        let mut answered = step(ContactEventKind::Answered, None);
        answered.agent = Some("1001".into());
        f.set_contact(
            "c",
            &[(t0, &queued), (at("2026-11-23T01:00:10Z"), &answered)],
        );
        let now = f.now(at("2026-11-23T01:01:00Z"));
        let chat = &now.scopes[&Scope::Channel("chat".into())];
        assert_eq!(
            (
                chat.talking,
                chat.agents_logged_in,
                chat.agents_on_call,
                chat.agents_idle
            ),
            (1, 1, 1, 0)
        );
        assert!(!now.scopes.contains_key(&Scope::Channel("voice".into())));
        let all = &now.scopes[&Scope::All];
        assert_eq!((all.agents_logged_in, all.agents_idle), (2, 1));
    }

    #[test]
    fn every_figure_named_is_known() {
        let n = Now {
            agents_required: Some(0),
            ..Now::default()
        };
        assert!(Now::FIGURES.iter().all(|f| n.figure(f).is_some()));
        assert_eq!(n.figure("service_level"), None);
        // Without a plan there is no requirement and no gap.
        assert_eq!(Now::default().figure("staffing_gap"), None);
    }

    /// The plan's agents for this interval against those logged in: 5 required in vip, 2
    /// logged in there is a gap of 3; general's plan (1) without anyone there yet gets its
    /// scope; `all` requires the sum.
    #[test]
    fn the_staffing_gap_is_required_less_logged_in() {
        let mut f = Floor::default();
        let t0 = at("2026-11-23T01:00:00Z");
        for agent in ["1001", "1002"] {
            f.apply_agent(
                t0,
                &AgentEvent {
                    agent: agent.into(),
                    state: AgentState::Idle,
                    reason: None,
                    queue: Some("vip".into()),
                },
            );
        }
        let required = BTreeMap::from([("vip".to_owned(), 5), ("general".to_owned(), 1)]);
        let now = f.now(t0).with_required(&required);
        let vip = &now.scopes[&Scope::Queue("vip".into())];
        assert_eq!(vip.figure("staffing_gap"), Some(3.0));
        assert_eq!(vip.figure("agents_required"), Some(5.0));
        let general = &now.scopes[&Scope::Queue("general".into())];
        assert_eq!(general.figure("staffing_gap"), Some(1.0));
        let all = &now.scopes[&Scope::All];
        assert_eq!(
            (all.agents_required, all.figure("staffing_gap")),
            (Some(6), Some(4.0))
        );
        let rule = crate::alerts::Rule::parse("staffing_gap > 2 for queue vip", None)
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(
            rule.on_floor(),
            "a figure of now, judged on every change of the floor"
        );
    }
}
