//! Agent state intervals: what an agent was doing from when to when.
//!
//! Intervals are layered, not exclusive: a `logged_in` interval covers a whole session and the
//! activity intervals (`busy`, `acw`, `break`) lie within it (or stand alone when the source
//! says nothing of sessions). Idle time is what a session leaves after its activities.

use jiff::Timestamp;

use crate::TenantId;

macro_rules! state_words {
    ($($variant:ident = $word:literal),+ $(,)?) => {
        /// The state of an agent in an interval.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum AgentState { $($variant),+ }

        impl AgentState {
            /// Every state, in declaration order.
            pub const ALL: &'static [AgentState] = &[$(AgentState::$variant),+];

            /// The wire name.
            pub fn as_str(self) -> &'static str {
                match self { $(AgentState::$variant => $word),+ }
            }

            /// Parses a wire name.
            pub fn parse(word: &str) -> Option<Self> {
                match word { $($word => Some(AgentState::$variant),)+ _ => None }
            }

            /// The accepted wire names, for error messages.
            pub fn expected() -> String {
                [$($word),+].join(", ")
            }
        }
    };
}

state_words!(
    LoggedIn = "logged_in",
    Idle = "idle",
    Busy = "busy",
    Acw = "acw",
    Break = "break",
    Invisible = "invisible",
    LoggedOut = "logged_out",
);

impl std::fmt::Display for AgentState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

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
