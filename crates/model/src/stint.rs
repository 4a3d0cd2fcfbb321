//! A queue stint whose end has not been read yet (a call still waiting, or a log cut by
//! rotation): kept by the store until a later file or the live tail brings its end.

use jiff::Timestamp;

use crate::TenantId;

/// One open stint of a call in a queue.
#[derive(Debug, Clone, PartialEq)]
pub struct OpenStint {
    pub tenant: TenantId,
    pub call_id: String,
    pub queue: String,
    /// The entry time as the source wrote it (part of the stint's contact id).
    pub enter_epoch: String,
    pub enter_at: Timestamp,
    pub customer: Option<String>,
    /// The agent who picked it up, when a CONNECT was read.
    pub agent: Option<String>,
    /// Ring time of that CONNECT, seconds.
    pub ring_s: Option<f64>,
    pub file: String,
    pub line: u64,
}
