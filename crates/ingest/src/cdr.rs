//! Asterisk call detail records (`Master.csv` of cdr_csv, or a CDR report exported with a
//! header) into contacts.
//!
//! A CDR is one leg of a call: who called (`src`), what was dialled (`dst`), the call's last
//! dialplan context (`dcontext`), the other channel (`dstchannel`, the agent's phone when one
//! answered), the application it ended in (`lastapp`: `Queue`, `Dial`, `VoiceMail`, ...),
//! start/answer/end and `disposition`. The direction comes from the context through the
//! mapping (`mappings/asterisk-cdr.toml`, also the built-in default); calls between
//! extensions are skipped. CDRs carry no queue wait: `Queue()` answers the caller's channel
//! when it enters, so a queued call's `answer` is its arrival; for queue figures read the
//! queue_log (`--format queue_log`), which the same server writes.

use std::io::Read;

use jiff::civil::DateTime;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::{parse_contact_line, Converted, Rejection};
use ccpulse_model::TenantId;

/// The mapping shipped as `mappings/asterisk-cdr.toml`: the default without `--mapping`.
pub const DEFAULT_MAPPING: &str = include_str!("../../../mappings/asterisk-cdr.toml");

/// Master.csv's columns in cdr_csv's order (uniqueid and userfield only when enabled).
const COLUMNS: [&str; 18] = [
    "accountcode",
    "src",
    "dst",
    "dcontext",
    "clid",
    "channel",
    "dstchannel",
    "lastapp",
    "lastdata",
    "start",
    "answer",
    "end",
    "duration",
    "billsec",
    "disposition",
    "amaflags",
    "uniqueid",
    "userfield",
];

/// How CDRs are read: the zone of their times and which contexts mean which direction.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CdrMapping {
    pub timezone: Option<String>,
    pub contexts: Contexts,
}

/// Contexts by direction; a trailing `*` matches a prefix.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Contexts {
    #[serde(default)]
    pub inbound: Vec<String>,
    #[serde(default)]
    pub outbound: Vec<String>,
    #[serde(default)]
    pub internal: Vec<String>,
    #[serde(default = "inbound_word")]
    pub default: String,
    #[serde(default)]
    pub extension_max_length: usize,
}

fn inbound_word() -> String {
    "inbound".into()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Way {
    Inbound,
    Outbound,
    Internal,
}

impl Way {
    fn parse(s: &str) -> Option<Self> {
        match s {
            "inbound" => Some(Self::Inbound),
            "outbound" => Some(Self::Outbound),
            "internal" => Some(Self::Internal),
            _ => None,
        }
    }
}

impl CdrMapping {
    /// Reads a mapping from TOML text; `origin` names it in errors.
    pub fn parse(text: &str, origin: &str) -> Result<Self, String> {
        let m: Self = toml::from_str(text).map_err(|e| format!("{origin}: {e}"))?;
        if Way::parse(&m.contexts.default).is_none() {
            return Err(format!(
                "{origin}: contexts.default is `{}`; expected inbound, outbound or internal",
                m.contexts.default
            ));
        }
        if let Some(z) = &m.timezone {
            TimeZone::get(z).map_err(|_| format!("{origin}: unknown time zone `{z}`"))?;
        }
        Ok(m)
    }

    /// The built-in mapping (FreePBX/Issabel contexts).
    pub fn builtin() -> Self {
        Self::parse(DEFAULT_MAPPING, "mappings/asterisk-cdr.toml")
            .unwrap_or_else(|e| unreachable!("the shipped CDR mapping parses: {e}"))
    }

    fn way_of_context(&self, context: &str) -> Way {
        let listed = |list: &[String]| {
            list.iter().any(|p| match p.strip_suffix('*') {
                Some(prefix) => context.starts_with(prefix),
                None => context == p,
            })
        };
        let c = &self.contexts;
        if listed(&c.internal) {
            Way::Internal
        } else if listed(&c.inbound) {
            Way::Inbound
        } else if listed(&c.outbound) {
            Way::Outbound
        } else {
            Way::parse(&c.default).unwrap_or(Way::Inbound)
        }
    }

    fn is_extension(&self, number: &str) -> bool {
        let n = number.trim();
        !n.is_empty() && n.chars().count() <= self.contexts.extension_max_length
    }
}

/// Which column holds which CDR field in this file.
struct Layout {
    index: Vec<(&'static str, usize)>,
}

impl Layout {
    fn positional(width: usize) -> Self {
        Self {
            index: COLUMNS
                .iter()
                .copied()
                .enumerate()
                .take(width)
                .map(|(i, c)| (c, i))
                .collect(),
        }
    }

    /// A header row's layout, when `fields` is one (it names src, dst and a start column).
    fn from_header(fields: &[String]) -> Option<Self> {
        let names: Vec<String> = fields
            .iter()
            .map(|f| f.trim().trim_start_matches('\u{feff}').to_ascii_lowercase())
            .collect();
        let has = |n: &str| names.iter().any(|x| x == n);
        if !(has("src") && has("dst") && (has("start") || has("calldate"))) {
            return None;
        }
        let mut index = Vec::new();
        for (i, n) in names.iter().enumerate() {
            let canonical = if n == "calldate" { "start" } else { n.as_str() };
            let known = COLUMNS
                .iter()
                .chain(["sequence", "linkedid", "did"].iter())
                .find(|c| **c == canonical);
            if let Some(c) = known {
                index.push((*c, i));
            }
        }
        Some(Self { index })
    }

    fn get<'r>(&self, record: &'r [String], field: &str) -> Option<&'r str> {
        let (_, i) = self.index.iter().find(|(f, _)| *f == field)?;
        let v = record.get(*i)?.trim();
        (!v.is_empty()).then_some(v)
    }
}

/// A problem with one field of a record.
struct Bad(&'static str, String);

/// Reads CDRs from `reader` (file `name`) for `tenant`, whose zone is used unless the mapping
/// names one. Yields each record's line and what became of it.
pub fn read_cdrs<'m>(
    reader: Box<dyn Read + Send>,
    mapping: &'m CdrMapping,
    tenant: &TenantId,
    tenant_zone: &TimeZone,
) -> Result<Box<dyn Iterator<Item = (u64, Converted)> + 'm>, String> {
    let zone = match &mapping.timezone {
        Some(z) => TimeZone::get(z).map_err(|_| format!("unknown time zone `{z}`"))?,
        None => tenant_zone.clone(),
    };
    let tenant = tenant.clone();
    let records = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(reader)
        .into_byte_records();
    let mut layout: Option<Layout> = None;
    // The last line read, for a read that fails without a position.
    let mut last = 0;
    let iter = records.filter_map(move |r| {
        let rec = match r {
            Ok(rec) => rec,
            Err(e) => {
                let (line, reason) = crate::input::csv_read_error(&e, last);
                return Some((
                    line,
                    Converted::Rejected(Rejection::new(line, None, reason, b"")),
                ));
            }
        };
        let line = rec.position().map_or(last + 1, csv::Position::line);
        last = line;
        let raw: Vec<u8> = rec.as_slice().to_vec();
        let mut fields = Vec::with_capacity(rec.len());
        for (i, f) in rec.iter().enumerate() {
            match std::str::from_utf8(f) {
                Ok(s) => fields.push(s.to_owned()),
                Err(_) => {
                    let col = layout_name(layout.as_ref(), i);
                    return Some((
                        line,
                        Converted::Rejected(Rejection::new(
                            line,
                            Some(&col),
                            "not UTF-8 text",
                            &raw_line(&rec),
                        )),
                    ));
                }
            }
        }
        if layout.is_none() {
            if let Some(h) = Layout::from_header(&fields) {
                layout = Some(h);
                return None;
            }
        }
        let positional;
        let current = match &layout {
            Some(l) => l,
            None => {
                if !(16..=18).contains(&fields.len()) {
                    return Some((
                        line,
                        Converted::Rejected(Rejection::new(
                            line,
                            None,
                            format!(
                                "{} columns; a Master.csv record has 16 to 18 (accountcode, src, \
                                 dst, dcontext, clid, channel, dstchannel, lastapp, lastdata, \
                                 start, answer, end, duration, billsec, disposition, amaflags \
                                 [, uniqueid, userfield])",
                                fields.len()
                            ),
                            &raw,
                        )),
                    ));
                }
                // Each line lays itself out: a file may gain uniqueid when cdr.conf changes.
                positional = Layout::positional(fields.len());
                &positional
            }
        };
        let raw = raw_line(&rec);
        Some((
            line,
            match convert(current, &fields, mapping, &zone, &tenant) {
                Ok(None) => Converted::Skipped("call between extensions"),
                Ok(Some(json)) => {
                    let text = json.to_string();
                    match parse_contact_line(text.as_bytes(), line, Some(&tenant)) {
                        Ok(p) => Converted::Contact(p),
                        Err(mut r) => {
                            r.raw = String::from_utf8_lossy(&raw).into_owned();
                            Converted::Rejected(r)
                        }
                    }
                }
                Err(Bad(field, reason)) => {
                    Converted::Rejected(Rejection::new(line, Some(field), reason, &raw))
                }
            },
        ))
    });
    Ok(Box::new(iter))
}

fn layout_name(layout: Option<&Layout>, i: usize) -> String {
    layout
        .and_then(|l| {
            l.index
                .iter()
                .find(|(_, c)| *c == i)
                .map(|(f, _)| (*f).to_owned())
        })
        .or_else(|| COLUMNS.get(i).map(|c| (*c).to_owned()))
        .unwrap_or_else(|| format!("column {}", i + 1))
}

/// The record as a CSV line again, for the quarantine.
fn raw_line(rec: &csv::ByteRecord) -> Vec<u8> {
    let mut out = Vec::new();
    for (i, f) in rec.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.push(b'"');
        for b in f {
            if *b == b'"' {
                out.push(b'"');
            }
            out.push(*b);
        }
        out.push(b'"');
    }
    out
}

fn local_time(field: &'static str, s: &str, zone: &TimeZone) -> Result<Timestamp, Bad> {
    let dt: DateTime = s.parse().map_err(|_| {
        Bad(
            field,
            format!("`{s}` is not a time like 2021-01-04 09:12:44"),
        )
    })?;
    zone.to_ambiguous_timestamp(dt)
        .compatible()
        .map_err(|e| Bad(field, format!("`{s}`: {e}")))
}

fn seconds(field: &'static str, s: Option<&str>) -> Result<Option<i64>, Bad> {
    s.map(|v| {
        v.parse::<i64>()
            .ok()
            .filter(|n| *n >= 0)
            .ok_or_else(|| Bad(field, format!("`{v}` is not a whole number of seconds")))
    })
    .transpose()
}

/// The peer name of a channel: `SIP/1001-0000001a` → `1001`, `Local/1001@from-queue-…;1` →
/// `1001`, `Agent/7` → `7`.
pub fn channel_peer(channel: &str) -> Option<String> {
    let rest = channel.split_once('/').map_or(channel, |(_, r)| r);
    let rest = rest.split(['@', ';']).next().unwrap_or(rest);
    let peer = match rest.rsplit_once('-') {
        Some((p, suffix))
            if !p.is_empty()
                && suffix.len() >= 6
                && suffix.chars().all(|c| c.is_ascii_hexdigit()) =>
        {
            p
        }
        _ => rest,
    };
    let peer = peer.trim();
    (!peer.is_empty()).then(|| peer.to_owned())
}

fn convert(
    layout: &Layout,
    record: &[String],
    mapping: &CdrMapping,
    zone: &TimeZone,
    tenant: &TenantId,
) -> Result<Option<Value>, Bad> {
    let get = |f: &str| layout.get(record, f);
    let src = get("src");
    let dst = get("dst");
    let context = get("dcontext").unwrap_or("");
    let way = match mapping.way_of_context(context) {
        Way::Inbound if src.is_some_and(|s| mapping.is_extension(s)) => Way::Internal,
        Way::Outbound if dst.is_some_and(|d| mapping.is_extension(d)) => Way::Internal,
        w => w,
    };
    if way == Way::Internal {
        return Ok(None);
    }
    let duration = seconds("duration", get("duration"))?;
    let billsec = seconds("billsec", get("billsec"))?;
    let start = match get("start") {
        Some(s) => local_time("start", s, zone)?,
        None => return Err(Bad("start", "missing: a CDR needs its start time".into())),
    };
    let end = match (get("end"), duration) {
        (Some(e), _) => local_time("end", e, zone)?,
        (None, Some(d)) => start + SignedDuration::from_secs(d),
        (None, None) => return Err(Bad("end", "missing, and no duration to find it".into())),
    };
    if end < start {
        return Err(Bad("end", format!("{end} is before start {start}")));
    }
    let answer = match (get("answer"), billsec) {
        (Some(a), _) => Some(local_time("answer", a, zone)?),
        (None, Some(b)) if b > 0 => Some(end - SignedDuration::from_secs(b)),
        _ => None,
    };
    let disposition = get("disposition")
        .ok_or_else(|| Bad("disposition", "missing".into()))?
        .to_ascii_uppercase();
    let answered = match disposition.as_str() {
        "ANSWERED" => true,
        "NO ANSWER" | "BUSY" | "FAILED" | "CONGESTION" => false,
        other => {
            return Err(Bad(
                "disposition",
                format!("`{other}`; expected ANSWERED, NO ANSWER, BUSY, FAILED or CONGESTION"),
            ))
        }
    };
    let app = get("lastapp").unwrap_or("").to_ascii_lowercase();
    let queue = (app == "queue")
        .then(|| get("lastdata"))
        .flatten()
        .and_then(|d| d.split([',', '|']).next())
        .map(str::trim)
        .filter(|q| !q.is_empty());
    let dstchannel = get("dstchannel");

    let id = match (get("uniqueid"), get("sequence")) {
        (Some(u), Some(s)) => format!("{u}-{s}"),
        (Some(u), None) => u.to_owned(),
        _ => format!(
            "cdr:{}:{}:{}",
            get("start").unwrap_or(""),
            get("channel").unwrap_or(""),
            dstchannel.unwrap_or("")
        ),
    };
    let mut m = Map::new();
    m.insert("id".into(), id.into());
    m.insert("channel".into(), "voice".into());
    m.insert("arrived_at".into(), start.to_string().into());
    m.insert("ended_at".into(), end.to_string().into());
    m.insert(
        "exit_reason".into(),
        disposition.to_ascii_lowercase().replace(' ', "_").into(),
    );
    if let Some(c) = get("linkedid").or(get("uniqueid")) {
        m.insert("call_id".into(), c.into());
    }
    if let Some(q) = queue {
        m.insert("queue".into(), q.into());
    }
    let outcome = if way == Way::Outbound {
        m.insert("direction".into(), "outbound".into());
        if let Some(d) = dst {
            m.insert("customer".into(), d.into());
        }
        if let Some(a) = get("channel").and_then(channel_peer) {
            m.insert("agent".into(), a.into());
        }
        if answered && dstchannel.is_some() {
            "answered"
        } else {
            "not_connected"
        }
    } else {
        m.insert("direction".into(), "inbound".into());
        if let Some(s) = src {
            m.insert("customer".into(), s.into());
        }
        if let Some(d) = get("did").or(dst) {
            m.insert("entry_point".into(), d.into());
        }
        let to_agent = app == "queue" || app == "dial";
        // The caller waits for an agent from the start: in the queue, or while Dial rings.
        if to_agent {
            m.insert("queued_at".into(), start.to_string().into());
        }
        if app == "dial" {
            m.insert("ring_start".into(), start.to_string().into());
        }
        match (answered, dstchannel) {
            (true, Some(peer)) => {
                if let Some(a) = channel_peer(peer) {
                    m.insert("agent".into(), a.into());
                }
                if !to_agent {
                    m.insert("queued_at".into(), start.to_string().into());
                }
                "answered"
            }
            (true, None) if app == "voicemail" => "voicemail",
            (true, None) if app == "queue" => "abandoned",
            (true, None) => "self_service",
            (false, _) if app == "dial" => "abandoned_ring",
            (false, _) => "abandoned",
        }
    };
    if outcome == "answered" {
        let at = answer.unwrap_or(start);
        m.insert("answered_at".into(), at.to_string().into());
    }
    m.insert("outcome".into(), outcome.into());
    m.insert("tenant".into(), tenant.as_str().into());
    Ok(Some(Value::Object(m)))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn read(text: &str) -> Vec<(u64, Converted)> {
        let mapping = CdrMapping::builtin();
        let tenant = TenantId::default_tenant();
        let zone = TimeZone::get("Asia/Shanghai").unwrap();
        read_cdrs(
            Box::new(std::io::Cursor::new(text.as_bytes().to_vec())),
            &mapping,
            &tenant,
            &zone,
        )
        .unwrap()
        .collect()
    }

    #[test]
    fn peers_of_channels() {
        assert_eq!(channel_peer("SIP/1001-0000001a").as_deref(), Some("1001"));
        assert_eq!(
            channel_peer("PJSIP/agent-7-00000a3f").as_deref(),
            Some("agent-7")
        );
        assert_eq!(
            channel_peer("Local/1001@from-queue-00000012;1").as_deref(),
            Some("1001")
        );
        assert_eq!(channel_peer("Agent/7").as_deref(), Some("7"));
        assert_eq!(channel_peer("DAHDI/1-1").as_deref(), Some("1-1"));
    }

    #[test]
    fn an_answered_queue_call_an_outbound_call_and_an_internal_one() {
        let text = concat!(
            r#""","13800138000","4008001000","ext-queues","""Li"" <13800138000>","SIP/trunk-00000001","SIP/1001-00000002","Queue","sales,t,,,300","2021-01-04 09:00:00","2021-01-04 09:00:00","2021-01-04 09:05:00",300,300,"ANSWERED","DOCUMENTATION","1609722000.1""#,
            "\n",
            r#""","1001","013912345678","from-internal","","SIP/1001-00000003","SIP/trunk-00000004","Dial","SIP/trunk/013912345678,60","2021-01-04 10:00:00","","2021-01-04 10:00:30",30,0,"NO ANSWER","DOCUMENTATION","1609725600.3""#,
            "\n",
            r#""","1001","1002","from-internal","","SIP/1001-00000005","SIP/1002-00000006","Dial","SIP/1002,20","2021-01-04 11:00:00","2021-01-04 11:00:05","2021-01-04 11:01:00",60,55,"ANSWERED","DOCUMENTATION","1609729200.5""#,
            "\n",
        );
        let got = read(text);
        assert_eq!(got.len(), 3);
        let Converted::Contact(c) = &got[0].1 else {
            panic!("{:?}", got[0])
        };
        let c = &c.contact;
        assert_eq!(c.id, "1609722000.1");
        assert_eq!(c.queue.as_deref(), Some("sales"));
        assert_eq!(c.agent.as_deref(), Some("1001"));
        assert_eq!(c.customer.as_deref(), Some("13800138000"));
        assert_eq!(c.entry_point.as_deref(), Some("4008001000"));
        assert_eq!(c.outcome, ccpulse_model::Outcome::Answered);
        assert_eq!(c.derived().talk_s, Some(300.0));
        assert_eq!(
            c.arrived_at.unwrap().to_string(),
            "2021-01-04T01:00:00Z",
            "Master.csv times are the server's local time"
        );
        let Converted::Contact(o) = &got[1].1 else {
            panic!("{:?}", got[1])
        };
        assert_eq!(o.contact.direction, ccpulse_model::Direction::Outbound);
        assert_eq!(o.contact.outcome, ccpulse_model::Outcome::NotConnected);
        assert_eq!(o.contact.agent.as_deref(), Some("1001"));
        assert!(matches!(got[2].1, Converted::Skipped(_)));
    }

    #[test]
    fn bad_records_are_located() {
        let text = concat!(
            r#""","1","2""#,
            "\n",
            r#""","13800138000","400","from-pstn","","SIP/t-00000001","","Playback","x","2021-13-04 09:00:00","","2021-01-04 09:00:10",10,0,"NO ANSWER","DOCUMENTATION""#,
            "\n",
            r#""","13800138000","400","from-pstn","","SIP/t-00000001","","Playback","x","2021-01-04 09:00:00","","2021-01-04 09:00:10",10,0,"HUNG","DOCUMENTATION""#,
            "\n",
        );
        let got = read(text);
        let reasons: Vec<(u64, Option<String>)> = got
            .iter()
            .map(|(l, c)| match c {
                Converted::Rejected(r) => (*l, r.field.clone()),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(
            reasons,
            vec![
                (1, None),
                (2, Some("start".into())),
                (3, Some("disposition".into()))
            ]
        );
    }
}
