//! A record that could not be accepted, with where and why.

use std::fmt;

/// A rejected record: the quarantine keeps it with its place and reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    /// 1-based line number in its file (0 when the source has no lines).
    pub line: u64,
    /// The field at fault, when one is.
    pub field: Option<String>,
    /// What is wrong, in words a person understands.
    pub reason: String,
    /// The record as it came (lossy UTF-8), for inspection and replay.
    pub raw: String,
}

impl Rejection {
    /// A rejection of `raw` at `line`.
    pub fn new(line: u64, field: Option<&str>, reason: impl Into<String>, raw: &[u8]) -> Self {
        Self {
            line,
            field: field.map(str::to_owned),
            reason: reason.into(),
            raw: String::from_utf8_lossy(raw).into_owned(),
        }
    }
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}", self.line)?;
        if let Some(field) = &self.field {
            write!(f, ": field `{field}`")?;
        }
        write!(f, ": {}", self.reason)
    }
}
