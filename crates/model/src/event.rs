//! Live events: one step in a contact's life or one change of an agent's state, as a telephony
//! or chat platform reports them while they happen (`POST /api/v1/events`, the demo
//! simulator). A contact's events fold into one [`crate::Contact`] once it has ended; agent
//! events become [`crate::AgentInterval`]s.

use jiff::Timestamp;

use crate::{AgentState, Channel, Direction, TenantId};

word_enum!(
    /// A step in the life of a contact.
    ContactEventKind {
        Arrived = "arrived",
        Ivr = "ivr",
        Queued = "queued",
        Ringing = "ringing",
        Answered = "answered",
        Held = "held",
        Transferred = "transferred",
        Ended = "ended",
        Abandoned = "abandoned",
        WrapUpEnded = "wrap_up_ended",
        Surveyed = "surveyed",
    }
);

impl ContactEventKind {
    /// Whether the contact is over with this step (later steps only add wrap-up or survey).
    pub fn ends_contact(self) -> bool {
        matches!(self, ContactEventKind::Ended | ContactEventKind::Abandoned)
    }

    /// The order of steps that share an instant: a call queued and answered in the same
    /// second was queued first.
    pub fn rank(self) -> u8 {
        match self {
            ContactEventKind::Arrived => 0,
            ContactEventKind::Ivr => 1,
            ContactEventKind::Queued => 2,
            ContactEventKind::Ringing => 3,
            ContactEventKind::Answered => 4,
            ContactEventKind::Held => 5,
            ContactEventKind::Transferred => 6,
            ContactEventKind::Ended | ContactEventKind::Abandoned => 7,
            ContactEventKind::WrapUpEnded => 8,
            ContactEventKind::Surveyed => 9,
        }
    }
}

/// A contact's step, with what the live picture needs of it (the rest of its fields are kept
/// in the event's JSON for the fold into a contact).
#[derive(Debug, Clone, PartialEq)]
pub struct ContactEvent {
    pub contact_id: String,
    pub kind: ContactEventKind,
    pub channel: Option<Channel>,
    pub direction: Option<Direction>,
    pub queue: Option<String>,
    pub agent: Option<String>,
}

/// An agent entering a state (`logged_out` ends the session).
#[derive(Debug, Clone, PartialEq)]
pub struct AgentEvent {
    pub agent: String,
    pub state: AgentState,
    /// Why, for breaks (`lunch`, `training`).
    pub reason: Option<String>,
    pub queue: Option<String>,
}

/// What an event is about.
#[derive(Debug, Clone, PartialEq)]
pub enum EventBody {
    Contact(ContactEvent),
    Agent(AgentEvent),
}

/// One event, identified by its id within its tenant (a repeated id is the same event).
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub tenant: TenantId,
    pub id: String,
    pub at: Timestamp,
    pub body: EventBody,
}

impl Event {
    /// The wire name of the event's type (`queued`, `agent_state`, ...).
    pub fn type_name(&self) -> &'static str {
        match &self.body {
            EventBody::Contact(c) => c.kind.as_str(),
            EventBody::Agent(_) => "agent_state",
        }
    }

    /// The contact this event is a step of.
    pub fn contact_id(&self) -> Option<&str> {
        match &self.body {
            EventBody::Contact(c) => Some(&c.contact_id),
            EventBody::Agent(_) => None,
        }
    }
}
