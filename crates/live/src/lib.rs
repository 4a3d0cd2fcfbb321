//! The live picture of a contact center: what is happening now, and which alerts fire. Pure:
//! no IO and no clock of its own (every function takes `now`).
//!
//! - [`floor`]: [`Floor`], one tenant's contacts in progress and agents' states, recomputed
//!   from events; [`NowFigures`] (waiting, longest wait, agents by state) per queue, channel
//!   and overall; the [`Change`]s pushed to wallboards.
//! - [`alerts`]: alert [`Rule`]s (`service_level < 0.80 over 15m for queue vip`) and the
//!   [`AlertBook`] that turns figures into firing and resolved [`AlertEvent`]s.

pub mod alerts;
pub mod floor;

pub use alerts::{AlertBook, AlertEvent, Condition, Op, Rule, RuleError};
pub use floor::{Change, Floor, LiveAgent, LiveContact, Now, NowFigures, Phase, Scope};
