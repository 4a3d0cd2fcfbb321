//! Amazon Connect contact trace records (CTRs) into contacts.
//!
//! Connect streams one JSON object per contact (and again when it is updated) through
//! Kinesis; Firehose writes them to S3 back to back (`}{`, no separator) or one per line.
//! This reader takes any of those, and a JSON array. Each CTR becomes one contact: arrival
//! at `InitiationTimestamp`, IVR from `ConnectedToSystemTimestamp` to the queue,
//! `Queue.EnqueueTimestamp`, the agent's `ConnectedToAgentTimestamp` as the answer,
//! `DisconnectTimestamp`, after-contact work to `Agent.AfterContactWorkEndTimestamp`, hold
//! from `Agent.CustomerHoldDuration`, transfers from `TransferredToEndpoint` /
//! `NextContactId`. A contact that waited in a queue and was never connected to an agent is
//! abandoned when the customer hung up (`DisconnectReason` `CUSTOMER_DISCONNECT`), timed out
//! otherwise. `InitialContactId` links the contacts of one call (transfers). Tasks and
//! supervisor monitoring are not customer contacts: counted and skipped. Contact attributes
//! can fill business line, category and more through an optional mapping
//! (`[attributes] business_line = "lineOfBusiness"`).

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::{Map, Value};

use crate::{parse_contact_line, Converted, Rejection};
use ccpulse_model::TenantId;

/// Which contact attributes hold which of our fields.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CtrMapping {
    /// Our field (business_line, category, business_type, region, campaign, resolved_first,
    /// survey_rating) → the name of the contact attribute that holds it.
    #[serde(default)]
    pub attributes: BTreeMap<String, String>,
}

const ATTRIBUTE_FIELDS: [&str; 7] = [
    "business_line",
    "category",
    "business_type",
    "region",
    "campaign",
    "resolved_first",
    "survey_rating",
];

impl CtrMapping {
    /// Reads a mapping from TOML text; `origin` names it in errors.
    pub fn parse(text: &str, origin: &str) -> Result<Self, String> {
        let m: Self = toml::from_str(text).map_err(|e| format!("{origin}: {e}"))?;
        if let Some(f) = m
            .attributes
            .keys()
            .find(|k| !ATTRIBUTE_FIELDS.contains(&k.as_str()))
        {
            return Err(format!(
                "{origin}: attributes.{f} is not a field attributes can fill; expected one of {}",
                ATTRIBUTE_FIELDS.join(", ")
            ));
        }
        Ok(m)
    }
}

/// Reads the CTRs in `bytes` (a whole file) for `tenant`. Yields each record's line and what
/// became of it; broken JSON costs only the record it is in.
pub fn read_ctrs(bytes: &[u8], mapping: &CtrMapping, tenant: &TenantId) -> Vec<(u64, Converted)> {
    let mut out = Vec::new();
    let line_of = |offset: usize| -> u64 {
        1 + bytes[..offset.min(bytes.len())]
            .iter()
            .filter(|b| **b == b'\n')
            .count() as u64
    };
    let start = bytes
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(bytes.len());
    if bytes.get(start) == Some(&b'[') {
        match serde_json::from_slice::<Vec<Value>>(bytes) {
            Ok(items) => {
                for (i, v) in items.iter().enumerate() {
                    let raw = v.to_string();
                    // A pretty-printed array has no line per record: number them instead.
                    out.push((
                        i as u64 + 1,
                        convert_one(v, raw.as_bytes(), i as u64 + 1, mapping, tenant),
                    ));
                }
            }
            Err(e) => out.push((
                e.line() as u64,
                Converted::Rejected(Rejection::new(
                    e.line() as u64,
                    None,
                    format!("not a JSON array of contact trace records: {e}"),
                    &bytes[..bytes.len().min(2000)],
                )),
            )),
        }
        return out;
    }
    let mut pos = start;
    while pos < bytes.len() {
        let mut stream = serde_json::Deserializer::from_slice(&bytes[pos..]).into_iter::<Value>();
        match stream.next() {
            None => break,
            Some(Ok(v)) => {
                let end = pos + stream.byte_offset();
                let begin = pos
                    + bytes[pos..end]
                        .iter()
                        .position(|b| !b.is_ascii_whitespace())
                        .unwrap_or(0);
                let line = line_of(begin);
                out.push((
                    line,
                    convert_one(&v, &bytes[begin..end], line, mapping, tenant),
                ));
                pos = end;
            }
            Some(Err(e)) => {
                let begin = pos
                    + bytes[pos..]
                        .iter()
                        .position(|b| !b.is_ascii_whitespace())
                        .unwrap_or(0);
                // Start again at the next record: a `{` opening a line or following a `}`.
                let next = (begin + 1..bytes.len())
                    .find(|&i| {
                        bytes[i] == b'{'
                            && bytes[..i]
                                .iter()
                                .rev()
                                .find(|b| **b != b' ' && **b != b'\t' && **b != b'\r')
                                .is_none_or(|b| *b == b'\n' || *b == b'}')
                    })
                    .unwrap_or(bytes.len());
                let line = line_of(begin);
                out.push((
                    line,
                    Converted::Rejected(Rejection::new(
                        line,
                        None,
                        format!("broken JSON: {e}"),
                        &bytes[begin..next],
                    )),
                ));
                pos = next;
            }
        }
    }
    out
}

fn convert_one(
    v: &Value,
    raw: &[u8],
    line: u64,
    mapping: &CtrMapping,
    tenant: &TenantId,
) -> Converted {
    match to_canonical(v, mapping, tenant) {
        Err((field, reason)) => Converted::Rejected(Rejection::new(line, Some(field), reason, raw)),
        Ok(Err(why)) => Converted::Skipped(why),
        Ok(Ok(json)) => {
            let text = json.to_string();
            match parse_contact_line(text.as_bytes(), line, Some(tenant)) {
                Ok(p) => Converted::Contact(p),
                Err(mut r) => {
                    r.field = r.field.map(|f| ctr_field(&f).to_owned());
                    r.raw = String::from_utf8_lossy(raw).into_owned();
                    Converted::Rejected(r)
                }
            }
        }
    }
}

/// The CTR field a canonical field came from, for messages.
fn ctr_field(canonical: &str) -> &str {
    match canonical {
        "arrived_at" => "InitiationTimestamp",
        "ivr_start" => "ConnectedToSystemTimestamp",
        "queued_at" | "ivr_end" => "Queue.EnqueueTimestamp",
        "answered_at" => "Agent.ConnectedToAgentTimestamp",
        "ended_at" => "DisconnectTimestamp",
        "wrap_up_end" => "Agent.AfterContactWorkEndTimestamp",
        "hold_s" => "Agent.CustomerHoldDuration",
        "queue" => "Queue.Name",
        "agent" => "Agent.Username",
        "customer" => "CustomerEndpoint.Address",
        "entry_point" => "SystemEndpoint.Address",
        "id" => "ContactId",
        other => other,
    }
}

type Bad = (&'static str, String);

fn text<'v>(v: &'v Value, path: &[&str]) -> Option<&'v str> {
    let mut cur = v;
    for p in path {
        cur = cur.get(p)?;
    }
    cur.as_str().map(str::trim).filter(|s| !s.is_empty())
}

/// The canonical JSON of a CTR, or why it is not a customer contact (`Ok(Err(why))`).
fn to_canonical(
    v: &Value,
    mapping: &CtrMapping,
    tenant: &TenantId,
) -> Result<Result<Value, &'static str>, Bad> {
    if !v.is_object() {
        return Err((
            "ContactId",
            "a contact trace record must be a JSON object".into(),
        ));
    }
    let id = text(v, &["ContactId"]).ok_or(("ContactId", "missing".to_owned()))?;
    let channel = match text(v, &["Channel"]).unwrap_or("VOICE") {
        "VOICE" => "voice",
        "CHAT" => "chat",
        "EMAIL" => "email",
        "TASK" => return Ok(Err("task (back-office work, not a customer contact)")),
        other => {
            return Err((
                "Channel",
                format!("`{other}`; expected VOICE, CHAT, EMAIL or TASK"),
            ))
        }
    };
    let method = text(v, &["InitiationMethod"]).unwrap_or("INBOUND");
    let direction = match method {
        "INBOUND" | "TRANSFER" | "QUEUE_TRANSFER" | "DISCONNECT" | "WEBRTC_API" => "inbound",
        "OUTBOUND" | "EXTERNAL_OUTBOUND" | "AGENT_REPLY" | "FLOW" | "CAMPAIGN_PREVIEW" => {
            "outbound"
        }
        "CALLBACK" => "callback",
        "API" if channel == "voice" => "outbound",
        "API" => "inbound",
        "MONITOR" => return Ok(Err("supervisor monitoring")),
        other => {
            return Err((
                "InitiationMethod",
                format!(
                    "`{other}`; expected INBOUND, OUTBOUND, TRANSFER, QUEUE_TRANSFER, CALLBACK, \
                     API, EXTERNAL_OUTBOUND, DISCONNECT, MONITOR, AGENT_REPLY, FLOW or WEBRTC_API"
                ),
            ))
        }
    };
    let mut m = Map::new();
    let mut put = |k: &str, val: Option<&str>| {
        if let Some(s) = val {
            m.insert(k.to_owned(), s.into());
        }
    };
    put("id", Some(id));
    put("channel", Some(channel));
    put("direction", Some(direction));
    put("tenant", Some(tenant.as_str()));
    put("call_id", text(v, &["InitialContactId"]).or(Some(id)));
    put("arrived_at", text(v, &["InitiationTimestamp"]));
    let enqueued = text(v, &["Queue", "EnqueueTimestamp"]);
    let system = text(v, &["ConnectedToSystemTimestamp"]);
    if let (Some(s), Some(q)) = (system, enqueued) {
        put("ivr_start", Some(s));
        put("ivr_end", Some(q));
    }
    put("queued_at", enqueued);
    put("queue", text(v, &["Queue", "Name"]));
    let connected = text(v, &["Agent", "ConnectedToAgentTimestamp"]);
    put("answered_at", connected);
    put("agent", text(v, &["Agent", "Username"]));
    put("ended_at", text(v, &["DisconnectTimestamp"]));
    put(
        "wrap_up_end",
        text(v, &["Agent", "AfterContactWorkEndTimestamp"]),
    );
    put("customer", text(v, &["CustomerEndpoint", "Address"]));
    put("entry_point", text(v, &["SystemEndpoint", "Address"]));
    let reason = text(v, &["DisconnectReason"]);
    put(
        "exit_reason",
        reason.map(str::to_ascii_lowercase).as_deref(),
    );
    let target = text(v, &["TransferredToEndpoint", "Address"]);
    put("transfer_target", target);
    if target.is_some()
        || text(v, &["TransferCompletedTimestamp"]).is_some()
        || text(v, &["NextContactId"]).is_some()
    {
        m.insert("transfers".into(), 1.into());
    }
    if let Some(h) = v.get("Agent").and_then(|a| a.get("CustomerHoldDuration")) {
        if !h.is_null() {
            let secs = h
                .as_f64()
                .ok_or(("Agent.CustomerHoldDuration", format!("{h} is not a number")))?;
            m.insert("hold_s".into(), secs.into());
        }
    }
    let outcome = if connected.is_some() {
        "answered"
    } else if enqueued.is_some() {
        match reason {
            None | Some("CUSTOMER_DISCONNECT") => "abandoned",
            Some(_) => "timeout",
        }
    } else if direction == "inbound" {
        "self_service"
    } else {
        "not_connected"
    };
    m.insert("outcome".into(), outcome.into());
    let attributes = v.get("Attributes");
    for (field, attr) in &mapping.attributes {
        let Some(val) = attributes.and_then(|a| a.get(attr)).and_then(Value::as_str) else {
            continue;
        };
        let val = val.trim();
        if val.is_empty() {
            continue;
        }
        match field.as_str() {
            "resolved_first" => {
                let b = match val.to_ascii_lowercase().as_str() {
                    "true" | "yes" | "y" | "1" => true,
                    "false" | "no" | "n" | "0" => false,
                    _ => {
                        return Err((
                            "Attributes",
                            format!("attribute `{attr}` is `{val}`, not yes or no"),
                        ))
                    }
                };
                m.insert("resolved_first".into(), b.into());
            }
            "survey_rating" => {
                let r: f64 = val.parse().map_err(|_| {
                    (
                        "Attributes",
                        format!("attribute `{attr}` is `{val}`, not a number"),
                    )
                })?;
                m.insert(
                    "survey".into(),
                    serde_json::json!({"offered": true, "rating": r}),
                );
            }
            other => {
                m.insert(other.to_owned(), val.into());
            }
        }
    }
    Ok(Ok(Value::Object(m)))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use ccpulse_model::{Direction, Outcome};

    const ANSWERED: &str = r#"{"AWSAccountId":"123456789012","AWSContactTraceRecordFormatVersion":"2017-03-10","Agent":{"ARN":"arn:aws:connect:x:agent/1","AfterContactWorkDuration":30,"AfterContactWorkEndTimestamp":"2021-01-04T01:06:30Z","AfterContactWorkStartTimestamp":"2021-01-04T01:06:00Z","AgentInteractionDuration":300,"ConnectedToAgentTimestamp":"2021-01-04T01:01:00Z","CustomerHoldDuration":20,"Username":"li.na"},"Attributes":{"line":"mobile"},"Channel":"VOICE","ConnectedToSystemTimestamp":"2021-01-04T01:00:00Z","ContactId":"c-1","CustomerEndpoint":{"Address":"+8613800138000","Type":"TELEPHONE_NUMBER"},"DisconnectReason":"AGENT_DISCONNECT","DisconnectTimestamp":"2021-01-04T01:06:00Z","InitialContactId":null,"InitiationMethod":"INBOUND","InitiationTimestamp":"2021-01-04T01:00:00Z","Queue":{"ARN":"arn:q","DequeueTimestamp":"2021-01-04T01:01:00Z","Duration":40,"EnqueueTimestamp":"2021-01-04T01:00:20Z","Name":"BasicQueue"},"SystemEndpoint":{"Address":"+864008001000","Type":"TELEPHONE_NUMBER"}}"#;

    fn contacts(text: &str, mapping: &CtrMapping) -> Vec<(u64, Converted)> {
        read_ctrs(text.as_bytes(), mapping, &TenantId::default_tenant())
    }

    #[test]
    fn concatenated_records_as_firehose_writes_them() {
        let abandoned = r#"{"Channel":"VOICE","ContactId":"c-2","InitiationMethod":"INBOUND","InitiationTimestamp":"2021-01-04T02:00:00Z","ConnectedToSystemTimestamp":"2021-01-04T02:00:00Z","Queue":{"Name":"BasicQueue","EnqueueTimestamp":"2021-01-04T02:00:10Z","DequeueTimestamp":"2021-01-04T02:00:50Z"},"DisconnectTimestamp":"2021-01-04T02:00:50Z","DisconnectReason":"CUSTOMER_DISCONNECT","Agent":null}"#;
        let task = r#"{"Channel":"TASK","ContactId":"t-1","InitiationMethod":"API"}"#;
        let mapping = CtrMapping::parse("[attributes]\nbusiness_line = \"line\"\n", "m").unwrap();
        let got = contacts(&format!("{ANSWERED}{abandoned}\n{task}"), &mapping);
        assert_eq!(got.len(), 3);
        let Converted::Contact(a) = &got[0].1 else {
            panic!("{:?}", got[0])
        };
        let a = &a.contact;
        assert_eq!(a.outcome, Outcome::Answered);
        assert_eq!(a.direction, Direction::Inbound);
        assert_eq!(a.agent.as_deref(), Some("li.na"));
        assert_eq!(a.queue.as_deref(), Some("BasicQueue"));
        assert_eq!(a.business_line.as_deref(), Some("mobile"));
        let d = a.derived();
        assert_eq!(d.wait_s, Some(40.0));
        assert_eq!(d.talk_s, Some(300.0));
        assert_eq!(d.acw_s, Some(30.0));
        assert_eq!(d.handle_s, Some(350.0));
        assert_eq!(d.ivr_s, Some(20.0));
        let Converted::Contact(b) = &got[1].1 else {
            panic!("{:?}", got[1])
        };
        assert_eq!(b.contact.outcome, Outcome::Abandoned);
        assert_eq!(b.contact.derived().wait_s, Some(40.0));
        assert!(matches!(got[2].1, Converted::Skipped(_)));
        assert_eq!(got[2].0, 2);
    }

    #[test]
    fn broken_json_costs_only_its_record() {
        let text = format!(
            "{ANSWERED}\n{{\"ContactId\": \"x\", oops}}\n{}\n",
            ANSWERED.replace("c-1", "c-3")
        );
        let got = contacts(&text, &CtrMapping::default());
        assert_eq!(got.len(), 3, "{got:?}");
        assert!(matches!(got[0].1, Converted::Contact(_)));
        assert!(
            matches!(&got[1].1, Converted::Rejected(r) if r.line == 2 && r.reason.contains("broken JSON"))
        );
        assert!(matches!(&got[2].1, Converted::Contact(c) if c.contact.id == "c-3"));
    }

    #[test]
    fn a_json_array_and_located_field_errors() {
        let bad = ANSWERED
            .replace("\"ContactId\":\"c-1\"", "\"ContactId\":\"c-4\"")
            .replace(
                "\"DisconnectTimestamp\":\"2021-01-04T01:06:00Z\"",
                "\"DisconnectTimestamp\":\"2021-01-04T00:59:00Z\"",
            );
        let got = contacts(&format!("[{ANSWERED},\n{bad}]"), &CtrMapping::default());
        assert!(matches!(got[0].1, Converted::Contact(_)));
        match &got[1].1 {
            Converted::Rejected(r) => {
                assert_eq!(r.field.as_deref(), Some("DisconnectTimestamp"), "{r:?}");
            }
            other => panic!("{other:?}"),
        }
        assert!(CtrMapping::parse("[attributes]\nqueue = \"q\"\n", "m").is_err());
    }
}
