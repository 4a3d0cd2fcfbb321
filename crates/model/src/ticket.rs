//! Tickets (complaints, suggestions, demands, refunds) and the subscriber base, the
//! denominator of "complaints per 10,000 users".

use jiff::Timestamp;

use crate::{SurveyScore, TenantId};

word_enum!(
    /// What a ticket is.
    TicketKind {
        Complaint = "complaint",
        Suggestion = "suggestion",
        Demand = "demand",
        Refund = "refund",
    }
);

/// One ticket. A repeat complaint is found at query time: same customer, same leaf category,
/// created after the earlier one was closed.
#[derive(Debug, Clone, PartialEq)]
pub struct Ticket {
    pub tenant: TenantId,
    pub id: String,
    pub kind: TicketKind,
    /// The contact it came from, if known.
    pub contact_id: Option<String>,
    /// Customer number (personal data).
    pub customer: Option<String>,
    pub business_line: Option<String>,
    /// Category path, `/`-separated; the leaf is the complaint type.
    pub category: Option<String>,
    pub channel: Option<String>,
    pub created_at: Timestamp,
    pub closed_at: Option<Timestamp>,
    /// 投诉成立: the complaint was found valid.
    pub valid: Option<bool>,
    /// Escalated (越级): to a superior office, or via government, media or a regulator.
    pub escalated: bool,
    pub escalated_via: Option<String>,
    /// Refunded amount.
    pub refund: Option<f64>,
    /// The customer's rating of how the ticket was handled.
    pub satisfaction: Option<SurveyScore>,
}

/// Users of a business line in a month.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscribers {
    pub tenant: TenantId,
    /// `2021-02`.
    pub month: String,
    pub business_line: String,
    pub subscribers: u64,
}
