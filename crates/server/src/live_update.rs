//! What a commit changes on the live floor: the writer makes one per tenant and group, the
//! hub applies it (and the server's start makes one from the event log).

use ccpulse_model::{AgentEvent, ContactEvent};
use jiff::Timestamp;

/// The live steps a commit brings, for the floor.
#[derive(Debug, Default)]
pub struct LiveUpdate {
    /// Each touched contact with all of its steps.
    pub contacts: Vec<(String, Vec<(Timestamp, ContactEvent)>)>,
    pub agents: Vec<(Timestamp, AgentEvent)>,
}
