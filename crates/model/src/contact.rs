//! The canonical contact: one customer interaction, a call or a chat session.

use jiff::Timestamp;

use crate::TenantId;

word_enum!(
    /// The medium of a contact.
    Channel { Voice = "voice", Chat = "chat", Email = "email", Video = "video" }
);

word_enum!(
    /// Who started the contact.
    Direction { Inbound = "inbound", Outbound = "outbound", Callback = "callback" }
);

word_enum!(
    /// How a contact ended.
    Outcome {
        SelfService = "self_service",
        Answered = "answered",
        Abandoned = "abandoned",
        AbandonedRing = "abandoned_ring",
        Timeout = "timeout",
        Voicemail = "voicemail",
        NotConnected = "not_connected",
        Callback = "callback",
        Overflow = "overflow",
        Closed = "closed",
    }
);

word_enum!(
    /// A customer's answer to the satisfaction survey.
    SurveyScore {
        VerySatisfied = "very_satisfied",
        Satisfied = "satisfied",
        Neutral = "neutral",
        Dissatisfied = "dissatisfied",
    }
);

word_enum!(
    /// What the customer came for (seed 002's business volume types).
    BusinessType {
        Consultation = "consultation",
        Query = "query",
        Transaction = "transaction",
        Complaint = "complaint",
        Suggestion = "suggestion",
        Marketing = "marketing",
        Other = "other",
    }
);

impl Outcome {
    /// Outcomes that can only happen after the contact waited in a queue.
    pub fn implies_queue(self) -> bool {
        matches!(
            self,
            Outcome::Answered | Outcome::Abandoned | Outcome::AbandonedRing | Outcome::Timeout
        )
    }
}

/// The satisfaction survey of a contact.
#[derive(Debug, Clone, PartialEq)]
pub struct Survey {
    /// Whether the survey was offered to the customer.
    pub offered: bool,
    /// The score, `None` when the customer did not rate.
    pub score: Option<SurveyScore>,
    /// Why the customer scored so, e.g. `service_attitude`.
    pub reason: Option<String>,
    /// The score on the source's own numeric scale (e.g. 1-5), when it has one.
    pub rating: Option<f64>,
}

/// One customer interaction, valid by construction (see `ccpulse-ingest` for parsing).
#[derive(Debug, Clone, PartialEq)]
pub struct Contact {
    pub tenant: TenantId,
    pub id: String,
    pub channel: Channel,
    pub source: Option<String>,
    pub direction: Direction,
    pub entry_point: Option<String>,
    pub customer: Option<String>,
    pub region: Option<String>,
    pub business_line: Option<String>,
    pub category: Option<String>,
    pub business_type: Option<BusinessType>,
    pub queue: Option<String>,
    pub agent: Option<String>,
    pub arrived_at: Option<Timestamp>,
    pub ivr_start: Option<Timestamp>,
    pub ivr_end: Option<Timestamp>,
    pub queued_at: Option<Timestamp>,
    pub ring_start: Option<Timestamp>,
    pub answered_at: Option<Timestamp>,
    pub ended_at: Option<Timestamp>,
    pub wrap_up_end: Option<Timestamp>,
    pub hold_s: f64,
    pub transfers: u32,
    pub transfer_target: Option<String>,
    pub transfer_correct: Option<bool>,
    pub outcome: Outcome,
    pub survey: Option<Survey>,
    pub resolved_first: Option<bool>,
    pub marketing_attempts: u32,
    pub marketing_successes: u32,
    pub qa_score: Option<f64>,
    pub campaign: Option<String>,
    /// The call this contact is one stint of (a call through two queues is two contacts).
    pub call_id: Option<String>,
    /// How the contact left its queue, in the source's words (e.g. queue_log's
    /// `completecaller`, `full`, `exitempty`).
    pub exit_reason: Option<String>,
}

/// Durations and flags derived from a contact's timestamps (seconds, fractional).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Derived {
    /// The instant the contact is bucketed at: arrival, else the first timestamp it has.
    pub bucket_at: Option<Timestamp>,
    /// Whether the contact reached a queue (an agent request, for inbound contacts).
    pub reached_queue: bool,
    pub ivr_s: Option<f64>,
    /// answered_at (or ended_at when not answered) - queued_at.
    pub wait_s: Option<f64>,
    pub ring_s: Option<f64>,
    /// ended_at - answered_at.
    pub talk_s: Option<f64>,
    /// wrap_up_end - ended_at.
    pub acw_s: Option<f64>,
    /// talk + hold + after-call work, for answered contacts.
    pub handle_s: Option<f64>,
}

fn seconds_between(from: Option<Timestamp>, to: Option<Timestamp>) -> Option<f64> {
    let (from, to) = (from?, to?);
    let nanos = to.as_nanosecond() - from.as_nanosecond();
    // i128 nanoseconds to f64 seconds: exact enough for any contact length.
    #[allow(clippy::cast_precision_loss)]
    Some(nanos as f64 / 1e9)
}

impl Contact {
    /// A contact with only the required fields set; the rest empty.
    pub fn new(tenant: TenantId, id: String, direction: Direction, outcome: Outcome) -> Self {
        Self {
            tenant,
            id,
            channel: Channel::Voice,
            source: None,
            direction,
            entry_point: None,
            customer: None,
            region: None,
            business_line: None,
            category: None,
            business_type: None,
            queue: None,
            agent: None,
            arrived_at: None,
            ivr_start: None,
            ivr_end: None,
            queued_at: None,
            ring_start: None,
            answered_at: None,
            ended_at: None,
            wrap_up_end: None,
            hold_s: 0.0,
            transfers: 0,
            transfer_target: None,
            transfer_correct: None,
            outcome,
            survey: None,
            resolved_first: None,
            marketing_attempts: 0,
            marketing_successes: 0,
            qa_score: None,
            campaign: None,
            call_id: None,
            exit_reason: None,
        }
    }

    /// The instant this contact belongs to for bucketing.
    pub fn bucket_at(&self) -> Option<Timestamp> {
        self.arrived_at
            .or(self.ivr_start)
            .or(self.queued_at)
            .or(self.ring_start)
            .or(self.answered_at)
            .or(self.ended_at)
    }

    /// The durations SPEC.md defines, computed once at ingest.
    pub fn derived(&self) -> Derived {
        let answered = self.outcome == Outcome::Answered;
        let reached_queue = self.queued_at.is_some() || self.outcome.implies_queue();
        let wait_end = if answered {
            self.answered_at
        } else {
            self.ended_at
        };
        let talk_s = if answered {
            seconds_between(self.answered_at, self.ended_at)
        } else {
            None
        };
        let acw_s = seconds_between(self.ended_at, self.wrap_up_end);
        let handle_s = talk_s.map(|t| t + self.hold_s + acw_s.unwrap_or(0.0));
        Derived {
            bucket_at: self.bucket_at(),
            reached_queue,
            ivr_s: seconds_between(self.ivr_start, self.ivr_end),
            wait_s: seconds_between(self.queued_at, wait_end),
            ring_s: seconds_between(self.ring_start, self.answered_at.or(self.ended_at)),
            talk_s,
            acw_s,
            handle_s,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> Option<Timestamp> {
        Some(s.parse().expect("test timestamp"))
    }

    #[test]
    fn derived_durations_of_an_answered_call() {
        let mut c = Contact::new(
            TenantId::default_tenant(),
            "c1".into(),
            Direction::Inbound,
            Outcome::Answered,
        );
        c.arrived_at = ts("2021-01-04T09:12:44+08:00");
        c.ivr_start = ts("2021-01-04T09:12:44+08:00");
        c.ivr_end = ts("2021-01-04T09:13:20+08:00");
        c.queued_at = ts("2021-01-04T09:13:20+08:00");
        c.answered_at = ts("2021-01-04T09:13:31.5+08:00");
        c.ended_at = ts("2021-01-04T09:15:52+08:00");
        c.wrap_up_end = ts("2021-01-04T09:16:10+08:00");
        c.hold_s = 10.0;
        let d = c.derived();
        assert!(d.reached_queue);
        assert_eq!(d.ivr_s, Some(36.0));
        assert_eq!(d.wait_s, Some(11.5));
        assert_eq!(d.talk_s, Some(140.5));
        assert_eq!(d.acw_s, Some(18.0));
        assert_eq!(d.handle_s, Some(168.5));
        assert_eq!(d.bucket_at, c.arrived_at);
    }

    #[test]
    fn abandoned_call_waits_until_it_ends() {
        let mut c = Contact::new(
            TenantId::default_tenant(),
            "c2".into(),
            Direction::Inbound,
            Outcome::Abandoned,
        );
        c.queued_at = ts("2021-01-04T09:00:00Z");
        c.ended_at = ts("2021-01-04T09:00:04.9Z");
        let d = c.derived();
        assert!(d.reached_queue);
        assert_eq!(d.wait_s, Some(4.9));
        assert_eq!(d.talk_s, None);
        assert_eq!(d.handle_s, None);
        assert_eq!(d.bucket_at, c.queued_at);
    }

    #[test]
    fn words_round_trip() {
        for o in Outcome::ALL {
            assert_eq!(Outcome::parse(o.as_str()), Some(*o));
        }
        assert_eq!(Outcome::parse("hangup"), None);
        assert!(Outcome::expected().contains("abandoned_ring"));
    }
}
