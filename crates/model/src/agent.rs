//! Agent state intervals: what an agent was doing from when to when.
//!
//! Intervals are layered, not exclusive: a `logged_in` interval covers a whole session and the
//! activity intervals (`busy`, `acw`, `break`) lie within it (or stand alone when the source
//! says nothing of sessions). Idle time is what a session leaves after its activities.

use jiff::Timestamp;

use crate::TenantId;

word_enum!(
    /// The state of an agent in an interval.
    AgentState {
        LoggedIn = "logged_in",
        Idle = "idle",
        Busy = "busy",
        Acw = "acw",
        Break = "break",
        Invisible = "invisible",
        LoggedOut = "logged_out",
    }
);

/// One interval `[start, end)` of an agent in a state; `end` is `None` while it lasts.
#[derive(Debug, Clone, PartialEq)]
pub struct AgentInterval {
    pub tenant: TenantId,
    pub agent: String,
    pub state: AgentState,
    /// Why, for breaks (小休, meal, training, ...).
    pub reason: Option<String>,
    /// The queue / skill group it concerns, when it concerns one.
    pub queue: Option<String>,
    pub start: Timestamp,
    pub end: Option<Timestamp>,
    /// Where it came from (`queue_log`, `agent-states`, `events`).
    pub source: String,
}

/// An agent of the center: who they are, their team and skill groups, when they joined and
/// left (for turnover), and the minutes they are scheduled per day, meals excluded (for
/// utilization).
#[derive(Debug, Clone, PartialEq)]
pub struct Agent {
    pub tenant: TenantId,
    pub id: String,
    pub name: Option<String>,
    pub team: Option<String>,
    pub skill_groups: Vec<String>,
    pub hired_on: Option<jiff::civil::Date>,
    pub left_on: Option<jiff::civil::Date>,
    pub scheduled_minutes: Option<f64>,
}
