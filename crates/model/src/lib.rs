//! Canonical types of ccpulse: what a contact is, whatever source it came from.
//!
//! - [`contact`]: [`Contact`] and its enums ([`Channel`], [`Direction`], [`Outcome`],
//!   [`SurveyScore`], [`BusinessType`]) and the durations derived from its timestamps.
//! - [`agent`]: [`AgentInterval`]s of [`AgentState`]s.
//! - [`tenant`]: [`TenantId`], a name that is safe to use everywhere.
//! - [`local_time`]: tenant-local bucketing parts ([`LocalParts`]) of an instant.
//!
//! No IO lives here: everything is plain data and pure functions.

pub mod agent;
pub mod contact;
pub mod local_time;
pub mod stint;
pub mod tenant;

pub use agent::{AgentInterval, AgentState};
pub use contact::{
    BusinessType, Channel, Contact, Derived, Direction, Outcome, Survey, SurveyScore,
};
pub use local_time::{days_since_epoch, naive_micros, LocalParts};
pub use stint::OpenStint;
pub use tenant::{TenantId, TenantIdError, DEFAULT_TENANT, DEFAULT_TIMEZONE};
