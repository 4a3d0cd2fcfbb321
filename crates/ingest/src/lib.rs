//! Source formats in, canonical records out. No database here.
//!
//! - [`input`]: opening what the user named (`-` for stdin, `.gz` decompressed) and
//!   splitting it into numbered lines.
//! - [`contacts`]: the canonical contact JSON Lines of SPEC.md, parsed into
//!   [`ccpulse_model::Contact`] or a located [`Rejection`].
//! - [`events`]: live events (contact steps, agent states) parsed one by one and folded into
//!   contacts.
//! - [`mapped`]: CSV and xlsx exports of other systems through a mapping file.
//! - [`queue_log`]: Asterisk's queue_log lines, assembled into contacts (one per stint of a
//!   call in a queue) and agent state intervals.
//! - [`cdr`]: Asterisk call detail records (Master.csv) through a context mapping.
//! - [`ctr`]: Amazon Connect contact trace records (JSON, JSON Lines, Firehose output).
//! - [`tickets`]: the canonical JSON Lines of tickets, the subscriber base and agents.
//! - [`region`]: province/city of a Chinese phone number, for contacts that do not say.
//! - [`rejection`]: what the quarantine keeps of a bad record.
//! - [`rfc3339`]: the common shape of an RFC 3339 time, read fast.
//!
//! Each format module parses one record at a time and never panics on any input, so a bad
//! line costs only itself.

pub mod cdr;
pub mod contacts;
pub mod ctr;
pub mod events;
pub mod input;
pub mod mapped;
pub mod queue_log;
pub mod region;
pub mod rejection;
pub mod rfc3339;
pub mod tickets;

pub use contacts::{
    contact_fingerprint, fingerprint, parse_contact_line, to_json_line, ParsedContact,
};
pub use input::{open_input, InputError, LineReader};
pub use rejection::Rejection;
pub use tickets::{
    parse_agent_line, parse_agent_state_line, parse_subscribers_line, parse_ticket_line,
};

/// What became of one record of a source that is not the canonical format.
#[derive(Debug)]
#[allow(clippy::large_enum_variant)] // Contacts are the common case; boxing each costs more.
pub enum Converted {
    /// A contact to store.
    Contact(ParsedContact),
    /// A good record that is not a customer contact (e.g. a call between extensions).
    Skipped(&'static str),
    /// A record that could not be accepted.
    Rejected(Rejection),
}
