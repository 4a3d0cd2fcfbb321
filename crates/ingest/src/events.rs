//! Live events as JSON (`POST /api/v1/events`): parsing each event on its own, so a bad one
//! costs only itself, and folding a contact's events into one canonical [`Contact`].
//!
//! An event is a flat JSON object:
//!
//! ```json
//! {"id":"e-1","type":"queued","contact_id":"c-1","at":"2026-11-23T09:00:05+08:00","queue":"vip"}
//! {"id":"e-9","type":"agent_state","agent":"1001","state":"break","reason":"lunch","at":"..."}
//! ```
//!
//! Contact steps: `arrived`, `ivr`, `queued`, `ringing`, `answered`, `held` (with `hold_s`),
//! `transferred` (with `target`, and `queue` when it moves to another queue), `ended`,
//! `abandoned`, `wrap_up_ended`, `surveyed` (with `score`, `reason`, `rating`). Any step may
//! carry the contact's descriptive fields (`channel`, `direction`, `source`, `entry_point`,
//! `customer`, `region`, `business_line`, `category`, `business_type`, `campaign`, `call_id`,
//! `queue`, `agent`, `outcome`, `resolved_first`, ...); a later step's value wins. A contact is
//! written once it has ended (or abandoned); the fold goes through the canonical contact
//! validation, so an event stream cannot make a contact a file import would refuse.

use ccpulse_model::{
    AgentEvent, AgentInterval, AgentState, BusinessType, Channel, Contact, ContactEvent,
    ContactEventKind, Direction, Event, EventBody, Outcome, SurveyScore, TenantId,
};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::contacts::{
    bad, limits, locate_json_error, parse_contact_line, required_word, time, word, Bad,
};
use crate::Rejection;

/// The longest event id accepted.
const MAX_ID: usize = 200;

/// Every field an event may carry, as it is stored (the event's JSON in the store).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventFields {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tenant: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contact_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agent: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub queue: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub direction: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entry_point: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub business_line: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub business_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub campaign: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub call_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exit_reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outcome: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hold_s: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transfer_correct: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resolved_first: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub score: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rating: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub qa_score: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub marketing_attempts: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub marketing_successes: Option<u32>,
}

impl EventFields {
    /// The texts a contact takes from its events, by the contact's field names (the last
    /// event that has one wins).
    pub fn contact_texts(&self) -> [(&'static str, &Option<String>); 14] {
        [
            ("channel", &self.channel),
            ("direction", &self.direction),
            ("source", &self.source),
            ("entry_point", &self.entry_point),
            ("customer", &self.customer),
            ("region", &self.region),
            ("business_line", &self.business_line),
            ("category", &self.category),
            ("business_type", &self.business_type),
            ("campaign", &self.campaign),
            ("call_id", &self.call_id),
            ("exit_reason", &self.exit_reason),
            ("queue", &self.queue),
            ("agent", &self.agent),
        ]
    }
}

/// An accepted event: its typed head and every field it came with.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedEvent {
    pub event: Event,
    pub fields: EventFields,
}

impl ParsedEvent {
    /// The event as stored: compact JSON with its tenant filled in.
    pub fn to_json(&self) -> String {
        serde_json::to_string(&self.fields).unwrap_or_default()
    }
}

/// What is wrong with one event of a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EventError {
    /// 0-based position of the event in the request.
    pub index: usize,
    /// The event's id, when it had a readable one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    pub reason: String,
}

impl std::fmt::Display for EventError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "event {}", self.index)?;
        if let Some(field) = &self.field {
            write!(f, ": field `{field}`")?;
        }
        write!(f, ": {}", self.reason)
    }
}

/// Splits a request body into events: a JSON array, or one JSON object per line (NDJSON).
/// Each element is returned as its own bytes (borrowed from the body, nothing is copied or
/// built) so a bad one is located and costs only itself.
pub fn split_body(body: &[u8]) -> Result<Vec<&[u8]>, String> {
    let first = body.iter().find(|b| !b.is_ascii_whitespace());
    match first {
        None => Ok(Vec::new()),
        Some(b'[') => {
            let items: Vec<&serde_json::value::RawValue> = serde_json::from_slice(body)
                .map_err(|e| format!("the body is not a JSON array of events: {e}"))?;
            Ok(items.into_iter().map(|v| v.get().as_bytes()).collect())
        }
        Some(_) => Ok(body
            .split(|b| *b == b'\n')
            .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
            .filter(|l| l.iter().any(|b| !b.is_ascii_whitespace()))
            .collect()),
    }
}

fn located(index: usize, id: Option<&str>, b: Bad) -> EventError {
    EventError {
        index,
        id: id.map(str::to_owned),
        field: b.field.map(str::to_owned),
        reason: b.reason,
    }
}

fn required<'a>(field: &'static str, v: Option<&'a String>) -> Result<&'a str, Bad> {
    match v.map(String::as_str) {
        Some(s) if !s.trim().is_empty() => Ok(s),
        _ => Err(bad(field, "missing")),
    }
}

/// Parses one event. `tenant` is the tenant the request is for: it fills events without one,
/// and an event naming another tenant is refused.
pub fn parse_event(
    bytes: &[u8],
    index: usize,
    tenant: &TenantId,
) -> Result<ParsedEvent, EventError> {
    if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{')
        && serde_json::from_slice::<Value>(bytes).is_ok()
    {
        return Err(EventError {
            index,
            id: None,
            field: None,
            reason: "an event must be a JSON object".into(),
        });
    }
    let mut fields: EventFields = serde_json::from_slice(bytes).map_err(|err| {
        let (field, reason) = locate_json_error::<EventFields>(bytes, &err, "an event");
        EventError {
            index,
            id: None,
            field,
            reason,
        }
    })?;
    let id = fields.id.clone();
    check(&mut fields, tenant)
        .map(|event| ParsedEvent { event, fields })
        .map_err(|b| located(index, id.as_deref(), b))
}

/// Every text of an event at most [`limits::max_text`] bytes, as in every other source.
fn check_text_lengths(f: &EventFields) -> Result<(), Bad> {
    let max = limits::max_text();
    let texts = f.contact_texts().into_iter().chain([
        ("contact_id", &f.contact_id),
        ("state", &f.state),
        ("reason", &f.reason),
        ("outcome", &f.outcome),
        ("target", &f.target),
        ("score", &f.score),
    ]);
    for (name, v) in texts {
        if let Some(s) = v.as_deref().filter(|s| s.len() > max) {
            return Err(bad(
                name,
                format!(
                    "{} bytes: longer than the {max} a text field may hold",
                    s.len()
                ),
            ));
        }
    }
    Ok(())
}

fn check(f: &mut EventFields, tenant: &TenantId) -> Result<Event, Bad> {
    let id = required("id", f.id.as_ref())?.to_owned();
    if id.len() > MAX_ID {
        return Err(bad("id", format!("longer than {MAX_ID} characters")));
    }
    match f.tenant.as_deref() {
        None => f.tenant = Some(tenant.to_string()),
        Some(t) if t == tenant.as_str() => {}
        Some(t) => {
            return Err(bad(
                "tenant",
                format!("`{t}` is not the tenant of this request (`{tenant}`)"),
            ))
        }
    }
    let kind = required("type", f.kind.as_ref())?;
    let at_text = required("at", f.at.as_ref())?;
    let at = time("at", Some(&std::borrow::Cow::Borrowed(at_text)))?
        .ok_or_else(|| bad("at", "missing"))?;
    // Descriptive words are checked on every event so a bad one is refused when it comes.
    let channel = word::<Channel>("channel", cow(&f.channel).as_ref())?;
    let direction = word::<Direction>("direction", cow(&f.direction).as_ref())?;
    word::<BusinessType>("business_type", cow(&f.business_type).as_ref())?;
    word::<Outcome>("outcome", cow(&f.outcome).as_ref())?;
    word::<SurveyScore>("score", cow(&f.score).as_ref())?;
    for (name, v) in [
        ("hold_s", f.hold_s),
        ("rating", f.rating),
        ("qa_score", f.qa_score),
    ] {
        if v.is_some_and(|x| !x.is_finite() || x < 0.0) {
            return Err(bad(name, "must be a number of at least 0"));
        }
    }
    #[allow(clippy::cast_precision_loss)]
    if let Some(h) = f.hold_s.filter(|h| *h > limits::max_duration_s() as f64) {
        return Err(bad(
            "hold_s",
            format!(
                "{h} s is more than {}, the longest a duration may be",
                limits::duration_words()
            ),
        ));
    }
    check_text_lengths(f)?;
    let body = if kind == "agent_state" {
        let agent = required("agent", f.agent.as_ref())?.to_owned();
        required("state", f.state.as_ref())?;
        let state = required_word::<AgentState>("state", cow(&f.state).as_ref())?;
        EventBody::Agent(AgentEvent {
            agent,
            state,
            reason: f.reason.clone(),
            queue: f.queue.clone(),
        })
    } else {
        let kind = ContactEventKind::parse(kind).ok_or_else(|| {
            bad(
                "type",
                format!(
                    "`{kind}` is not one of agent_state, {}",
                    ContactEventKind::expected()
                ),
            )
        })?;
        let contact_id = required("contact_id", f.contact_id.as_ref())?.to_owned();
        if kind == ContactEventKind::Held && f.hold_s.is_none() {
            return Err(bad("hold_s", "missing (seconds the customer was held)"));
        }
        EventBody::Contact(ContactEvent {
            contact_id,
            kind,
            channel,
            direction,
            queue: f.queue.clone(),
            agent: f.agent.clone(),
        })
    };
    Ok(Event {
        tenant: tenant.clone(),
        id,
        at,
        body,
    })
}

fn cow(v: &Option<String>) -> Option<std::borrow::Cow<'_, str>> {
    v.as_deref().map(std::borrow::Cow::Borrowed)
}

/// What a contact's events add up to.
#[derive(Debug)]
pub enum Folded {
    /// Not ended yet: nothing to write.
    Open,
    /// Ended: the contact, valid.
    Contact(Box<Contact>),
    /// Ended, but the steps contradict each other (the contact JSON they fold into is kept).
    Refused(Rejection),
}

fn set(m: &mut Map<String, Value>, key: &str, v: &Option<String>) {
    if let Some(v) = v {
        m.insert(key.to_owned(), Value::String(v.clone()));
    }
}

fn set_first(m: &mut Map<String, Value>, key: &str, at: &str) {
    m.entry(key.to_owned())
        .or_insert_with(|| Value::String(at.to_owned()));
}

/// Folds all the events of one contact (any order) into the contact they describe.
pub fn fold_contact(tenant: &TenantId, contact_id: &str, events: &[ParsedEvent]) -> Folded {
    let mut steps: Vec<(&ParsedEvent, &ContactEvent)> = events
        .iter()
        .filter_map(|e| match &e.event.body {
            EventBody::Contact(c) if c.contact_id == contact_id => Some((e, c)),
            _ => None,
        })
        .collect();
    steps.sort_by(|(a, ca), (b, cb)| {
        (a.event.at, ca.kind.rank(), &a.event.id).cmp(&(b.event.at, cb.kind.rank(), &b.event.id))
    });
    if !steps.iter().any(|(_, c)| c.kind.ends_contact()) {
        return Folded::Open;
    }
    let mut m = Map::new();
    m.insert("id".into(), Value::String(contact_id.to_owned()));
    m.insert("tenant".into(), Value::String(tenant.to_string()));
    let mut hold = 0.0;
    let mut transfers = 0u32;
    let mut survey: Option<Map<String, Value>> = None;
    let mut outcome: Option<String> = None;
    let mut ended = false;
    for (e, c) in &steps {
        let f = &e.fields;
        // As the sender wrote it (its zone), so a refusal quotes the sender's own times.
        let at = f.at.clone().unwrap_or_else(|| e.event.at.to_string());
        for (key, v) in f.contact_texts() {
            set(&mut m, key, v);
        }
        for (key, v) in [
            ("resolved_first", f.resolved_first),
            ("transfer_correct", f.transfer_correct),
        ] {
            if let Some(v) = v {
                m.insert(key.into(), Value::Bool(v));
            }
        }
        if let Some(q) = f.qa_score {
            m.insert("qa_score".into(), serde_json::json!(q));
        }
        for (key, v) in [
            ("marketing_attempts", f.marketing_attempts),
            ("marketing_successes", f.marketing_successes),
        ] {
            if let Some(v) = v {
                m.insert(key.into(), serde_json::json!(v));
            }
        }
        if f.outcome.is_some() {
            outcome.clone_from(&f.outcome);
        }
        match c.kind {
            ContactEventKind::Arrived => set_first(&mut m, "arrived_at", &at),
            ContactEventKind::Ivr => set_first(&mut m, "ivr_start", &at),
            ContactEventKind::Queued => {
                if m.contains_key("ivr_start") {
                    set_first(&mut m, "ivr_end", &at);
                }
                set_first(&mut m, "queued_at", &at);
            }
            // The ring that counts is the one that was answered (or abandoned): the last.
            ContactEventKind::Ringing => {
                if !m.contains_key("answered_at") {
                    m.insert("ring_start".into(), Value::String(at));
                }
            }
            ContactEventKind::Answered => set_first(&mut m, "answered_at", &at),
            ContactEventKind::Held => hold += f.hold_s.unwrap_or(0.0),
            ContactEventKind::Transferred => {
                transfers += 1;
                set(&mut m, "transfer_target", &f.target);
            }
            ContactEventKind::Ended | ContactEventKind::Abandoned => {
                if !ended {
                    ended = true;
                    if m.contains_key("ivr_start") && !m.contains_key("ivr_end") {
                        m.insert("ivr_end".into(), Value::String(at.clone()));
                    }
                    m.insert("ended_at".into(), Value::String(at));
                    if c.kind == ContactEventKind::Abandoned && outcome.is_none() {
                        outcome = Some("abandoned".into());
                    }
                }
            }
            ContactEventKind::WrapUpEnded => {
                m.insert("wrap_up_end".into(), Value::String(at));
            }
            ContactEventKind::Surveyed => {
                let s = survey.get_or_insert_with(Map::new);
                s.insert("offered".into(), Value::Bool(true));
                set(s, "score", &f.score);
                set(s, "reason", &f.reason);
                if let Some(r) = f.rating {
                    s.insert("rating".into(), serde_json::json!(r));
                }
            }
        }
    }
    m.entry("direction")
        .or_insert_with(|| Value::String("inbound".into()));
    let outcome = outcome.unwrap_or_else(|| {
        let outbound = m.get("direction").and_then(Value::as_str) == Some("outbound");
        if m.contains_key("answered_at") {
            "answered"
        } else if outbound {
            "not_connected"
        } else if m.contains_key("queued_at") {
            "abandoned"
        } else {
            "self_service"
        }
        .to_owned()
    });
    m.insert("outcome".into(), Value::String(outcome));
    if hold > 0.0 {
        m.insert("hold_s".into(), serde_json::json!(hold));
    }
    if transfers > 0 {
        m.insert("transfers".into(), serde_json::json!(transfers));
    }
    if let Some(s) = survey {
        m.insert("survey".into(), Value::Object(s));
    }
    let line = Value::Object(m).to_string();
    match parse_contact_line(line.as_bytes(), 0, Some(tenant)) {
        Ok(p) => Folded::Contact(Box::new(p.contact)),
        Err(r) => Folded::Refused(r),
    }
}

/// What an agent's state event does to its stored intervals.
#[derive(Debug, Default, PartialEq)]
pub struct AgentStep {
    /// Rows to write: intervals it closed (with their end) and the one it opened.
    pub write: Vec<AgentInterval>,
    /// Open rows it closed, to remove (their closed form is in `write`).
    pub closed: Vec<AgentInterval>,
}

/// Applies an agent's state change at `at` to its open intervals (`open`, all of one tenant):
/// a session (`logged_in`) opens with the first state of a logged-out agent, an activity
/// (`busy`, `acw`, `break`, `invisible`) lasts until the next state, `idle` is a session
/// without activity, and `logged_out` closes everything. A change older than the agent's
/// latest open interval arrived late and changes nothing (it stays in the event log).
pub fn agent_step(
    open: &[AgentInterval],
    tenant: &TenantId,
    at: Timestamp,
    ev: &AgentEvent,
) -> AgentStep {
    let mine: Vec<&AgentInterval> = open
        .iter()
        .filter(|i| i.agent == ev.agent && i.end.is_none())
        .collect();
    let mut step = AgentStep::default();
    if mine.iter().any(|i| i.start > at) {
        return step;
    }
    let session = mine.iter().any(|i| i.state == AgentState::LoggedIn);
    for i in &mine {
        if ev.state == AgentState::LoggedOut || i.state != AgentState::LoggedIn {
            let mut done = (*i).clone();
            done.end = Some(at);
            step.closed.push((*i).clone());
            if done.start < at {
                step.write.push(done);
            }
        }
    }
    let new = |state: AgentState| AgentInterval {
        tenant: tenant.clone(),
        agent: ev.agent.clone(),
        state,
        reason: None,
        queue: ev.queue.clone(),
        start: at,
        end: None,
        source: "events".into(),
    };
    if ev.state == AgentState::LoggedOut {
        return step;
    }
    if !session {
        step.write.push(new(AgentState::LoggedIn));
    }
    if matches!(
        ev.state,
        AgentState::Busy | AgentState::Acw | AgentState::Break | AgentState::Invisible
    ) {
        let mut activity = new(ev.state);
        activity.reason.clone_from(&ev.reason);
        step.write.push(activity);
    }
    step
}

/// Parses an event as stored (its JSON), for folding.
pub fn parse_stored(json: &str, tenant: &TenantId) -> Result<ParsedEvent, EventError> {
    parse_event(json.as_bytes(), 0, tenant)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t() -> TenantId {
        TenantId::new("demo").expect("tenant")
    }

    fn ev(json: &str) -> ParsedEvent {
        parse_event(json.as_bytes(), 0, &t()).expect("event")
    }

    #[test]
    fn an_answered_call_folds_into_its_contact() {
        let events = [
            ev(
                r#"{"id":"4","type":"answered","contact_id":"c1","at":"2026-11-23T09:00:20+08:00","agent":"1001"}"#,
            ),
            ev(
                r#"{"id":"1","type":"arrived","contact_id":"c1","at":"2026-11-23T09:00:00+08:00","channel":"voice","region":"贵州"}"#,
            ),
            ev(r#"{"id":"2","type":"ivr","contact_id":"c1","at":"2026-11-23T09:00:00+08:00"}"#),
            ev(
                r#"{"id":"3","type":"queued","contact_id":"c1","at":"2026-11-23T09:00:05+08:00","queue":"vip"}"#,
            ),
            ev(
                r#"{"id":"5","type":"held","contact_id":"c1","at":"2026-11-23T09:01:00+08:00","hold_s":12.5}"#,
            ),
            ev(r#"{"id":"6","type":"ended","contact_id":"c1","at":"2026-11-23T09:03:20+08:00"}"#),
            ev(
                r#"{"id":"7","type":"wrap_up_ended","contact_id":"c1","at":"2026-11-23T09:03:50+08:00"}"#,
            ),
            ev(
                r#"{"id":"8","type":"surveyed","contact_id":"c1","at":"2026-11-23T09:03:40+08:00","score":"satisfied"}"#,
            ),
        ];
        let Folded::Contact(c) = fold_contact(&t(), "c1", &events) else {
            panic!("not folded");
        };
        let d = c.derived();
        assert_eq!(c.outcome, Outcome::Answered);
        assert_eq!(c.queue.as_deref(), Some("vip"));
        assert_eq!(c.agent.as_deref(), Some("1001"));
        assert_eq!(c.region.as_deref(), Some("贵州"));
        assert_eq!(d.ivr_s, Some(5.0));
        assert_eq!(d.wait_s, Some(15.0));
        assert_eq!(d.talk_s, Some(180.0));
        assert_eq!(d.acw_s, Some(30.0));
        assert!((c.hold_s - 12.5).abs() < 1e-9);
        assert_eq!(
            c.survey.as_ref().and_then(|s| s.score),
            Some(SurveyScore::Satisfied)
        );
    }

    #[test]
    fn open_until_it_ends_and_abandon_by_default() {
        let mut events = vec![ev(
            r#"{"id":"1","type":"queued","contact_id":"c2","at":"2026-11-23T09:00:00+08:00","queue":"general"}"#,
        )];
        assert!(matches!(fold_contact(&t(), "c2", &events), Folded::Open));
        events.push(ev(
            r#"{"id":"2","type":"abandoned","contact_id":"c2","at":"2026-11-23T09:00:42+08:00"}"#,
        ));
        let Folded::Contact(c) = fold_contact(&t(), "c2", &events) else {
            panic!("not folded");
        };
        assert_eq!(c.outcome, Outcome::Abandoned);
        assert_eq!(c.derived().wait_s, Some(42.0));
    }

    #[test]
    fn contradicting_steps_are_refused_with_the_field() {
        let events = [
            ev(r#"{"id":"1","type":"queued","contact_id":"c3","at":"2026-11-23T09:00:30+08:00"}"#),
            ev(
                r#"{"id":"2","type":"answered","contact_id":"c3","at":"2026-11-23T09:00:10+08:00"}"#,
            ),
            ev(r#"{"id":"3","type":"ended","contact_id":"c3","at":"2026-11-23T09:00:20+08:00"}"#),
        ];
        let Folded::Refused(r) = fold_contact(&t(), "c3", &events) else {
            panic!("accepted");
        };
        assert_eq!(r.field.as_deref(), Some("answered_at"));
    }

    #[test]
    fn bad_events_name_their_index_field_and_reason() {
        let cases: &[(&str, Option<&str>, &str)] = &[
            (
                r#"{"type":"queued","contact_id":"c","at":"2026-11-23T09:00:00Z"}"#,
                Some("id"),
                "missing",
            ),
            (
                r#"{"id":"1","type":"queued","contact_id":"c","at":"yesterday"}"#,
                Some("at"),
                "RFC 3339",
            ),
            (
                r#"{"id":"1","type":"teleported","contact_id":"c","at":"2026-11-23T09:00:00Z"}"#,
                Some("type"),
                "not one of",
            ),
            (
                r#"{"id":"1","type":"queued","at":"2026-11-23T09:00:00Z"}"#,
                Some("contact_id"),
                "missing",
            ),
            (
                r#"{"id":"1","type":"queued","contact_id":"c","at":"2026-11-23T09:00:00Z","colour":"red"}"#,
                Some("colour"),
                "unknown field",
            ),
            (
                r#"{"id":"1","type":"agent_state","agent":"a","state":"asleep","at":"2026-11-23T09:00:00Z"}"#,
                Some("state"),
                "not one of",
            ),
            (
                r#"{"id":"1","type":"held","contact_id":"c","at":"2026-11-23T09:00:00Z"}"#,
                Some("hold_s"),
                "missing",
            ),
            (
                r#"{"id":"1","type":"queued","contact_id":"c","at":"2026-11-23T09:00:00Z","tenant":"other"}"#,
                Some("tenant"),
                "not the tenant",
            ),
            (
                r#"{"id":"1","type":"queued","contact_id":"c","at":"2026-11-23T09:00:00Z","channel":"fax"}"#,
                Some("channel"),
                "not one of",
            ),
            (r#"[1,2]"#, None, "must be a JSON object"),
            (r#"{"id":"1","#, None, "JSON"),
        ];
        for (json, field, reason) in cases {
            let e = parse_event(json.as_bytes(), 7, &t()).expect_err(json);
            assert_eq!(e.index, 7);
            assert_eq!(e.field.as_deref(), *field, "{json}: {e}");
            assert!(e.reason.contains(reason), "{json}: {e}");
        }
    }

    #[test]
    fn agent_states_layer_into_a_session_and_activities() {
        let at = |s: &str| -> Timestamp { s.parse().expect("time") };
        let agent = |state: AgentState| AgentEvent {
            agent: "1001".into(),
            state,
            reason: (state == AgentState::Break).then(|| "lunch".to_owned()),
            queue: None,
        };
        let mut open: Vec<AgentInterval> = Vec::new();
        let mut rows: Vec<AgentInterval> = Vec::new();
        let mut run = |when: &str, state: AgentState| {
            let step = agent_step(&open, &t(), at(when), &agent(state));
            open.retain(|i| !step.closed.contains(i));
            for w in step.write {
                if w.end.is_none() {
                    open.push(w);
                } else {
                    rows.push(w);
                }
            }
        };
        run("2026-11-23T01:00:00Z", AgentState::Idle);
        run("2026-11-23T01:10:00Z", AgentState::Busy);
        run("2026-11-23T01:15:00Z", AgentState::Acw);
        run("2026-11-23T01:16:00Z", AgentState::Idle);
        run("2026-11-23T01:30:00Z", AgentState::Break);
        // Late: changes nothing.
        run("2026-11-23T01:20:00Z", AgentState::Busy);
        run("2026-11-23T02:00:00Z", AgentState::LoggedOut);
        assert!(open.is_empty());
        let got: Vec<(AgentState, i64, Option<&str>)> = rows
            .iter()
            .map(|i| {
                let secs = i.end.expect("closed").as_second() - i.start.as_second();
                (i.state, secs, i.reason.as_deref())
            })
            .collect();
        assert_eq!(
            got,
            vec![
                (AgentState::Busy, 300, None),
                (AgentState::Acw, 60, None),
                (AgentState::LoggedIn, 3600, None),
                (AgentState::Break, 1800, Some("lunch")),
            ]
        );
    }

    /// An event's values are bounded as a record's are: a text over 1 KiB and a hold past
    /// 7 days are refused when they come, naming the field.
    #[test]
    fn event_values_are_bounded_when_they_come() {
        let t = TenantId::new("demo").expect("tenant");
        let long = format!(
            r#"{{"id":"1","type":"queued","contact_id":"c1","at":"2026-11-23T09:00:00+08:00","queue":"{}"}}"#,
            "q".repeat(1025)
        );
        let e = parse_event(long.as_bytes(), 0, &t).expect_err("long queue");
        assert_eq!(e.field.as_deref(), Some("queue"));
        assert!(e.reason.contains("1025 bytes"), "{}", e.reason);
        let held = br#"{"id":"2","type":"held","contact_id":"c1","at":"2026-11-23T09:00:00+08:00","hold_s":1e308}"#;
        let e = parse_event(held, 3, &t).expect_err("endless hold");
        assert_eq!((e.index, e.field.as_deref()), (3, Some("hold_s")));
        assert!(e.reason.contains("more than 7 days"), "{}", e.reason);
        let fine = br#"{"id":"3","type":"held","contact_id":"c1","at":"2026-11-23T09:00:00+08:00","hold_s":600}"#;
        assert!(parse_event(fine, 0, &t).is_ok());
    }

    #[test]
    fn bodies_split_as_arrays_or_lines() {
        let a = split_body(br#"[{"id":"1"}, {"id":"2"}]"#).expect("array");
        assert_eq!(a.len(), 2);
        let l = split_body(b"{\"id\":\"1\"}\r\n\n{\"id\":\"2\"}\n").expect("lines");
        assert_eq!(l, vec![&b"{\"id\":\"1\"}"[..], &b"{\"id\":\"2\"}"[..]]);
        assert_eq!(a, vec![&br#"{"id":"1"}"#[..], &br#"{"id":"2"}"#[..]]);
        assert!(split_body(b"[{").is_err());
    }
}
