//! Canonical JSON Lines of tickets, the subscriber base, agents and agent state intervals
//! (SPEC.md's data model).
//!
//! A ticket line:
//! `{"id":"t-1","kind":"complaint","contact_id":"c-1","customer":"13812345678",
//!   "business_line":"mobile","category":"mobile/value-added/ringtone","channel":"voice",
//!   "created_at":"2021-02-03T10:00:00+08:00","closed_at":null,"valid":true,
//!   "escalated":false,"escalated_via":null,"refund":null,"satisfaction":"satisfied"}`.
//! A subscribers line: `{"month":"2021-02","business_line":"mobile","subscribers":1088000}`.
//! An agent-state line: `{"agent":"a017","state":"break","reason":"lunch","queue":null,
//!   "start":"2021-02-03T12:00:00+08:00","end":"2021-02-03T12:30:00+08:00"}`.
//! An agent line: `{"id":"a017","name":"张三","team":"team-a","skill_groups":["vip"],
//!   "hired_on":"2020-03-01","left_on":null,"scheduled_minutes":450}`.

use std::borrow::Cow;

use ccpulse_model::{
    Agent, AgentInterval, AgentState, Subscribers, SurveyScore, TenantId, Ticket, TicketKind,
};
use serde::Deserialize;

use crate::contacts::{bad, locate_json_error, required_word, tenant_of, text, time, word, Bad};
use crate::Rejection;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTicket<'a> {
    #[serde(borrow)]
    tenant: Option<Cow<'a, str>>,
    #[serde(borrow)]
    id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    kind: Option<Cow<'a, str>>,
    #[serde(borrow)]
    contact_id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    customer: Option<Cow<'a, str>>,
    #[serde(borrow)]
    business_line: Option<Cow<'a, str>>,
    #[serde(borrow)]
    category: Option<Cow<'a, str>>,
    #[serde(borrow)]
    channel: Option<Cow<'a, str>>,
    #[serde(borrow)]
    created_at: Option<Cow<'a, str>>,
    #[serde(borrow)]
    closed_at: Option<Cow<'a, str>>,
    valid: Option<bool>,
    escalated: Option<bool>,
    #[serde(borrow)]
    escalated_via: Option<Cow<'a, str>>,
    refund: Option<f64>,
    #[serde(borrow)]
    satisfaction: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSubscribers<'a> {
    #[serde(borrow)]
    tenant: Option<Cow<'a, str>>,
    #[serde(borrow)]
    month: Option<Cow<'a, str>>,
    #[serde(borrow)]
    business_line: Option<Cow<'a, str>>,
    subscribers: Option<u64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAgent<'a> {
    #[serde(borrow)]
    tenant: Option<Cow<'a, str>>,
    #[serde(borrow)]
    id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    name: Option<Cow<'a, str>>,
    #[serde(borrow)]
    team: Option<Cow<'a, str>>,
    skill_groups: Option<Vec<String>>,
    #[serde(borrow)]
    hired_on: Option<Cow<'a, str>>,
    #[serde(borrow)]
    left_on: Option<Cow<'a, str>>,
    scheduled_minutes: Option<f64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAgentState<'a> {
    #[serde(borrow)]
    tenant: Option<Cow<'a, str>>,
    #[serde(borrow)]
    agent: Option<Cow<'a, str>>,
    #[serde(borrow)]
    state: Option<Cow<'a, str>>,
    #[serde(borrow)]
    reason: Option<Cow<'a, str>>,
    #[serde(borrow)]
    queue: Option<Cow<'a, str>>,
    #[serde(borrow)]
    start: Option<Cow<'a, str>>,
    #[serde(borrow)]
    end: Option<Cow<'a, str>>,
}

fn object<'a, T: Deserialize<'a>>(bytes: &'a [u8], line: u64, what: &str) -> Result<T, Rejection> {
    if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{')
        && serde_json::from_slice::<serde_json::Value>(bytes).is_ok()
    {
        return Err(Rejection::new(
            line,
            None,
            format!("{what} must be a JSON object"),
            bytes,
        ));
    }
    serde_json::from_slice(bytes).map_err(|err| {
        let (field, reason) = locate_json_error::<T>(bytes, &err, what);
        Rejection::new(line, field.as_deref(), reason, bytes)
    })
}

fn ticket(raw: RawTicket<'_>, cli: Option<&TenantId>) -> Result<Ticket, Bad> {
    let tenant = tenant_of(raw.tenant.as_deref(), cli)?;
    let id = text(raw.id).ok_or_else(|| bad("id", "missing"))?;
    let kind = required_word::<TicketKind>("kind", raw.kind.as_ref())?;
    let created_at =
        time("created_at", raw.created_at.as_ref())?.ok_or_else(|| bad("created_at", "missing"))?;
    let closed_at = time("closed_at", raw.closed_at.as_ref())?;
    if let Some(c) = closed_at {
        if c < created_at {
            return Err(bad(
                "closed_at",
                format!("{c} is before `created_at` {created_at}"),
            ));
        }
    }
    if let Some(r) = raw.refund {
        if !r.is_finite() || r < 0.0 {
            return Err(bad("refund", format!("{r} is not an amount (0 or more)")));
        }
    }
    let satisfaction = word::<SurveyScore>("satisfaction", raw.satisfaction.as_ref())?;
    let escalated_via = text(raw.escalated_via);
    Ok(Ticket {
        tenant,
        id,
        kind,
        contact_id: text(raw.contact_id),
        customer: text(raw.customer),
        business_line: text(raw.business_line),
        category: text(raw.category),
        channel: text(raw.channel),
        created_at,
        closed_at,
        valid: raw.valid,
        // Naming who it was escalated through means it was escalated.
        escalated: raw.escalated.unwrap_or(false) || escalated_via.is_some(),
        escalated_via,
        refund: raw.refund,
        satisfaction,
    })
}

/// Parses one ticket line; `tenant` as for contacts.
pub fn parse_ticket_line(
    bytes: &[u8],
    line: u64,
    tenant: Option<&TenantId>,
) -> Result<Ticket, Rejection> {
    let raw: RawTicket<'_> = object(bytes, line, "a ticket")?;
    ticket(raw, tenant).map_err(|b| Rejection::new(line, b.field, b.reason, bytes))
}

/// Parses one subscribers line; `tenant` as for contacts.
pub fn parse_subscribers_line(
    bytes: &[u8],
    line: u64,
    tenant: Option<&TenantId>,
) -> Result<Subscribers, Rejection> {
    let raw: RawSubscribers<'_> = object(bytes, line, "a subscribers record")?;
    let convert = || -> Result<Subscribers, Bad> {
        let tenant = tenant_of(raw.tenant.as_deref(), tenant)?;
        let month = text(raw.month).ok_or_else(|| bad("month", "missing"))?;
        let ok = month.len() == 7
            && month.as_bytes()[4] == b'-'
            && month[..4].parse::<u16>().is_ok()
            && month[5..]
                .parse::<u8>()
                .is_ok_and(|m| (1..=12).contains(&m));
        if !ok {
            return Err(bad(
                "month",
                format!("`{month}` is not a month like 2021-02"),
            ));
        }
        Ok(Subscribers {
            tenant,
            month,
            business_line: text(raw.business_line)
                .ok_or_else(|| bad("business_line", "missing"))?,
            subscribers: raw
                .subscribers
                .ok_or_else(|| bad("subscribers", "missing"))?,
        })
    };
    convert().map_err(|b| Rejection::new(line, b.field, b.reason, bytes))
}

fn day(field: &'static str, v: Option<&Cow<'_, str>>) -> Result<Option<jiff::civil::Date>, Bad> {
    v.map(|v| {
        v.parse()
            .map_err(|_| bad(field, format!("`{v}` is not a date like 2020-03-01")))
    })
    .transpose()
}

/// Parses one agent state interval; `tenant` as for contacts. A re-import replaces the interval
/// with the same agent, state and start.
pub fn parse_agent_state_line(
    bytes: &[u8],
    line: u64,
    tenant: Option<&TenantId>,
) -> Result<AgentInterval, Rejection> {
    let raw: RawAgentState<'_> = object(bytes, line, "an agent state")?;
    let convert = || -> Result<AgentInterval, Bad> {
        let state = required_word::<AgentState>("state", raw.state.as_ref())?;
        let start = time("start", raw.start.as_ref())?.ok_or_else(|| bad("start", "missing"))?;
        let end = time("end", raw.end.as_ref())?;
        if let Some(e) = end {
            if e < start {
                return Err(bad("end", format!("{e} is before `start` {start}")));
            }
        }
        Ok(AgentInterval {
            tenant: tenant_of(raw.tenant.as_deref(), tenant)?,
            agent: text(raw.agent).ok_or_else(|| bad("agent", "missing"))?,
            state,
            reason: text(raw.reason),
            queue: text(raw.queue),
            start,
            end,
            source: "agent-states".to_owned(),
        })
    };
    convert().map_err(|b| Rejection::new(line, b.field, b.reason, bytes))
}

/// Parses one agent line; `tenant` as for contacts.
pub fn parse_agent_line(
    bytes: &[u8],
    line: u64,
    tenant: Option<&TenantId>,
) -> Result<Agent, Rejection> {
    let raw: RawAgent<'_> = object(bytes, line, "an agent")?;
    let convert = || -> Result<Agent, Bad> {
        let hired_on = day("hired_on", raw.hired_on.as_ref())?;
        let left_on = day("left_on", raw.left_on.as_ref())?;
        if let (Some(h), Some(l)) = (hired_on, left_on) {
            if l < h {
                return Err(bad("left_on", format!("{l} is before `hired_on` {h}")));
            }
        }
        if let Some(m) = raw.scheduled_minutes {
            if !m.is_finite() || !(0.0..=1440.0).contains(&m) {
                return Err(bad(
                    "scheduled_minutes",
                    format!("{m} is not minutes of a day (0-1440)"),
                ));
            }
        }
        Ok(Agent {
            tenant: tenant_of(raw.tenant.as_deref(), tenant)?,
            id: text(raw.id).ok_or_else(|| bad("id", "missing"))?,
            name: text(raw.name),
            team: text(raw.team),
            skill_groups: raw.skill_groups.unwrap_or_default(),
            hired_on,
            left_on,
            scheduled_minutes: raw.scheduled_minutes,
        })
    };
    convert().map_err(|b| Rejection::new(line, b.field, b.reason, bytes))
}

#[cfg(test)]
mod tests {
    #[test]
    fn agent_states_parse_and_bad_ones_say_where() {
        let i = parse_agent_state_line(br#"{"agent":"a1","state":"break","reason":"lunch","start":"2021-02-03T12:00:00+08:00","end":"2021-02-03T12:30:00+08:00"}"#, 1, None)
            .unwrap_or_else(|r| panic!("{r:?}"));
        assert_eq!(
            (i.state, i.reason.as_deref()),
            (AgentState::Break, Some("lunch"))
        );
        let r = parse_agent_state_line(
            br#"{"agent":"a1","state":"napping","start":"2021-02-03T12:00:00+08:00"}"#,
            2,
            None,
        )
        .expect_err("bad state");
        assert_eq!(r.field.as_deref(), Some("state"));
        let r = parse_agent_state_line(br#"{"agent":"a1","state":"busy","start":"2021-02-03T12:00:00+08:00","end":"2021-02-03T11:00:00+08:00"}"#, 3, None)
            .expect_err("ends before it starts");
        assert_eq!(r.field.as_deref(), Some("end"));
    }

    #[test]
    fn agents_parse_and_dates_are_checked() {
        let a = parse_agent_line(br#"{"id":"a1","name":"Li","team":"t1","skill_groups":["vip"],"hired_on":"2020-03-01"}"#, 1, None)
            .unwrap_or_else(|r| panic!("{r:?}"));
        assert_eq!((a.team.as_deref(), a.skill_groups.len()), (Some("t1"), 1));
        let r = parse_agent_line(
            br#"{"id":"a1","hired_on":"2020-03-01","left_on":"2019-01-01"}"#,
            4,
            None,
        )
        .expect_err("left before hired");
        assert_eq!((r.line, r.field.as_deref()), (4, Some("left_on")));
        let r =
            parse_agent_line(br#"{"id":"a1","hired_on":"March"}"#, 5, None).expect_err("bad date");
        assert_eq!(r.field.as_deref(), Some("hired_on"));
    }

    use super::*;

    #[test]
    fn tickets_parse_and_bad_ones_say_where() {
        let t = parse_ticket_line(
            br#"{"id":"t1","kind":"complaint","customer":"13800000000","business_line":"mobile","category":"mobile/voice/signal","created_at":"2021-02-03T10:00:00+08:00","closed_at":"2021-02-04T10:00:00+08:00","valid":true,"escalated_via":"regulator","satisfaction":"satisfied"}"#,
            1,
            None,
        )
        .unwrap_or_else(|r| panic!("{r:?}"));
        assert_eq!(
            (t.kind, t.escalated, t.valid),
            (TicketKind::Complaint, true, Some(true))
        );
        let cases: [(&[u8], Option<&str>); 5] = [
            (br#"{"id":"t1","created_at":"2021-02-03T10:00:00+08:00"}"#, Some("kind")),
            (br#"{"id":"t1","kind":"praise","created_at":"2021-02-03T10:00:00+08:00"}"#, Some("kind")),
            (br#"{"id":"t1","kind":"complaint","created_at":"yesterday"}"#, Some("created_at")),
            (br#"{"id":"t1","kind":"complaint","created_at":"2021-02-03T10:00:00+08:00","closed_at":"2021-02-01T10:00:00+08:00"}"#, Some("closed_at")),
            (br#"{"id":"t1","kind":"complaint","created_at":"2021-02-03T10:00:00+08:00","colour":"red"}"#, Some("colour")),
        ];
        for (line, field) in cases {
            let r = parse_ticket_line(line, 7, None).expect_err("rejected");
            assert_eq!((r.line, r.field.as_deref()), (7, field), "{r:?}");
        }
    }

    #[test]
    fn subscribers_parse_and_months_are_checked() {
        let s = parse_subscribers_line(
            br#"{"month":"2021-02","business_line":"mobile","subscribers":1088000}"#,
            1,
            None,
        )
        .unwrap_or_else(|r| panic!("{r:?}"));
        assert_eq!((s.month.as_str(), s.subscribers), ("2021-02", 1_088_000));
        let r = parse_subscribers_line(
            br#"{"month":"2021-13","business_line":"mobile","subscribers":1}"#,
            2,
            None,
        )
        .expect_err("bad month");
        assert_eq!(r.field.as_deref(), Some("month"));
        let r = parse_subscribers_line(
            br#"{"month":"2021-02","business_line":"mobile","subscribers":-4}"#,
            3,
            None,
        )
        .expect_err("negative");
        assert_eq!(r.field.as_deref(), Some("subscribers"));
    }
}
