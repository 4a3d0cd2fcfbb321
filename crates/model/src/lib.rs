//! Canonical types of ccpulse: what a contact is, whatever source it came from.
//!
//! - [`contact`]: [`Contact`] and its enums ([`Channel`], [`Direction`], [`Outcome`],
//!   [`SurveyScore`], [`BusinessType`]) and the durations derived from its timestamps.
//! - [`event`]: live [`Event`]s (contact lifecycle steps and agent state changes), as the
//!   HTTP API and the demo simulator bring them.
//! - [`agent`]: [`AgentInterval`]s of [`AgentState`]s.
//! - [`tenant`]: [`TenantId`], a name that is safe to use everywhere.
//! - [`local_time`]: tenant-local bucketing parts ([`LocalParts`]) of an instant.
//!
//! No IO lives here: everything is plain data and pure functions.

/// Declares a closed set of words: the enum, its wire names and their parsing.
macro_rules! word_enum {
    ($(#[$doc:meta])* $name:ident { $($variant:ident = $word:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $($variant),+ }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The wire name of this value.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $word),+ }
            }

            /// Parses a wire name; `None` when it is not one of [`Self::ALL`].
            pub fn parse(word: &str) -> Option<Self> {
                match word { $($word => Some($name::$variant),)+ _ => None }
            }

            /// The accepted wire names, for error messages.
            pub fn expected() -> String {
                [$($word),+].join(", ")
            }
        }

        impl $crate::Word for $name {
            fn parse_word(word: &str) -> Option<Self> {
                Self::parse(word)
            }

            fn expected_words() -> String {
                Self::expected()
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }
    };
}

/// A closed set of wire words (a channel, a direction, an outcome, ...), as every
/// `word_enum!` type is: what an importer needs to check a field against the set.
pub trait Word: Sized {
    /// The value of a wire word; `None` when it is not one of the set.
    fn parse_word(word: &str) -> Option<Self>;
    /// The accepted wire words, for error messages.
    fn expected_words() -> String;
}

pub mod agent;
pub mod contact;
pub mod event;
pub mod local_time;
pub mod stint;
pub mod tenant;
pub mod ticket;

pub use agent::{Agent, AgentInterval, AgentState};
pub use contact::{
    BusinessType, Channel, Contact, Derived, Direction, Outcome, Survey, SurveyScore,
};
pub use event::{AgentEvent, ContactEvent, ContactEventKind, Event, EventBody};
pub use local_time::{days_since_epoch, naive_micros, LocalParts};
pub use stint::OpenStint;
pub use tenant::{check_name, TenantId, TenantIdError, DEFAULT_TENANT, DEFAULT_TIMEZONE};
pub use ticket::{Subscribers, Ticket, TicketKind};
