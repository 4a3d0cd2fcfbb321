//! The canonical contact record (import format `contacts`, JSON Lines; SPEC.md).
//!
//! A line is parsed in one pass into borrowed strings, then converted field by field so
//! every error names its field. Unknown fields are an error; missing optional fields are
//! null.

use std::borrow::Cow;

use ccpulse_model::{
    BusinessType, Channel, Contact, Direction, Outcome, Survey, SurveyScore, TenantId, Word,
};
use jiff::Timestamp;
use serde::Deserialize;

use crate::Rejection;

mod scan;

#[derive(Deserialize, Default, Debug, PartialEq)]
#[serde(deny_unknown_fields)]
struct RawSurvey<'a> {
    offered: Option<bool>,
    #[serde(borrow)]
    score: Option<Cow<'a, str>>,
    #[serde(borrow)]
    reason: Option<Cow<'a, str>>,
    rating: Option<f64>,
}

#[derive(Deserialize, Default, Debug, PartialEq)]
#[serde(deny_unknown_fields)]
struct RawContact<'a> {
    #[serde(borrow)]
    id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    tenant: Option<Cow<'a, str>>,
    #[serde(borrow)]
    channel: Option<Cow<'a, str>>,
    #[serde(borrow)]
    source: Option<Cow<'a, str>>,
    #[serde(borrow)]
    direction: Option<Cow<'a, str>>,
    #[serde(borrow)]
    entry_point: Option<Cow<'a, str>>,
    #[serde(borrow)]
    customer: Option<Cow<'a, str>>,
    #[serde(borrow)]
    region: Option<Cow<'a, str>>,
    #[serde(borrow)]
    business_line: Option<Cow<'a, str>>,
    #[serde(borrow)]
    category: Option<Cow<'a, str>>,
    #[serde(borrow)]
    business_type: Option<Cow<'a, str>>,
    #[serde(borrow)]
    queue: Option<Cow<'a, str>>,
    #[serde(borrow)]
    agent: Option<Cow<'a, str>>,
    #[serde(borrow)]
    arrived_at: Option<Cow<'a, str>>,
    #[serde(borrow)]
    ivr_start: Option<Cow<'a, str>>,
    #[serde(borrow)]
    ivr_end: Option<Cow<'a, str>>,
    #[serde(borrow)]
    queued_at: Option<Cow<'a, str>>,
    #[serde(borrow)]
    ring_start: Option<Cow<'a, str>>,
    #[serde(borrow)]
    answered_at: Option<Cow<'a, str>>,
    #[serde(borrow)]
    ended_at: Option<Cow<'a, str>>,
    #[serde(borrow)]
    wrap_up_end: Option<Cow<'a, str>>,
    hold_s: Option<f64>,
    transfers: Option<u32>,
    #[serde(borrow)]
    transfer_target: Option<Cow<'a, str>>,
    transfer_correct: Option<bool>,
    #[serde(borrow)]
    outcome: Option<Cow<'a, str>>,
    #[serde(borrow)]
    survey: Option<RawSurvey<'a>>,
    resolved_first: Option<bool>,
    marketing_attempts: Option<u32>,
    marketing_successes: Option<u32>,
    qa_score: Option<f64>,
    #[serde(borrow)]
    campaign: Option<Cow<'a, str>>,
    #[serde(borrow)]
    call_id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    exit_reason: Option<Cow<'a, str>>,
}

/// A contact parsed from one line, with a fingerprint of its content.
#[derive(Debug, Clone)]
pub struct ParsedContact {
    pub contact: Contact,
    /// [`contact_fingerprint`] of the contact: equal fingerprints mean an unchanged
    /// re-import.
    pub fingerprint: u64,
}

/// A field-located problem, before it is tied to its line.
pub(crate) struct Bad {
    pub(crate) field: Option<&'static str>,
    pub(crate) reason: String,
}

pub(crate) fn bad(field: &'static str, reason: impl Into<String>) -> Bad {
    Bad {
        field: Some(field),
        reason: reason.into(),
    }
}

/// FNV-1a, 64 bit: a stable fingerprint of bytes (a file's head, a demo contact's id); a
/// contact's is [`contact_fingerprint`].
pub fn fingerprint(parts: &[&[u8]]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for b in *part {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
        h ^= 0xff;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// A contact's fingerprint, the one recipe every source uses (an import line, a queue_log
/// stint, a folded event stream, the demo): XXH3 (64 bit) over every field of the contact,
/// each written with its length or a marker for none, so that equal fingerprints mean an
/// unchanged contact however it was written. Every field is named below (no `..`), so a
/// field added to [`Contact`] fails to compile here until it is named (and is then an unused
/// variable, which CI's clippy `-D warnings` refuses, until it is fingerprinted too).
pub fn contact_fingerprint(c: &Contact) -> u64 {
    use std::cell::RefCell;
    thread_local! {
        static BUF: RefCell<Vec<u8>> = RefCell::new(Vec::with_capacity(1024));
    }
    let Contact {
        tenant,
        id,
        channel,
        source,
        direction,
        entry_point,
        customer,
        region,
        business_line,
        category,
        business_type,
        queue,
        agent,
        arrived_at,
        ivr_start,
        ivr_end,
        queued_at,
        ring_start,
        answered_at,
        ended_at,
        wrap_up_end,
        hold_s,
        transfers,
        transfer_target,
        transfer_correct,
        outcome,
        survey,
        resolved_first,
        marketing_attempts,
        marketing_successes,
        qa_score,
        campaign,
        call_id,
        exit_reason,
    } = c;
    BUF.with_borrow_mut(|b| {
        b.clear();
        let mut f = Fields(b);
        f.text(Some(tenant.as_str()));
        f.text(Some(id));
        f.text(Some(channel.as_str()));
        f.text(source.as_deref());
        f.text(Some(direction.as_str()));
        for t in [entry_point, customer, region, business_line, category] {
            f.text(t.as_deref());
        }
        f.text(business_type.map(|t| t.as_str()));
        f.text(queue.as_deref());
        f.text(agent.as_deref());
        for t in [
            arrived_at,
            ivr_start,
            ivr_end,
            queued_at,
            ring_start,
            answered_at,
            ended_at,
            wrap_up_end,
        ] {
            f.time(*t);
        }
        f.number(Some(*hold_s));
        f.int(*transfers);
        f.text(transfer_target.as_deref());
        f.flag(*transfer_correct);
        f.text(Some(outcome.as_str()));
        match survey {
            None => f.0.push(0),
            Some(Survey {
                offered,
                score,
                reason,
                rating,
            }) => {
                f.0.push(1);
                f.flag(Some(*offered));
                f.text(score.map(|s| s.as_str()));
                f.text(reason.as_deref());
                f.number(*rating);
            }
        }
        f.flag(*resolved_first);
        f.int(*marketing_attempts);
        f.int(*marketing_successes);
        f.number(*qa_score);
        f.text(campaign.as_deref());
        f.text(call_id.as_deref());
        f.text(exit_reason.as_deref());
        xxhash_rust::xxh3::xxh3_64(b)
    })
}

/// The bytes a fingerprint is taken of, in a fixed order of fields, each self-delimiting: a
/// text ends with 0xFF (absent: one 0xFE), bytes that never occur in UTF-8; the other values
/// have fixed widths behind a tag byte.
struct Fields<'a>(&'a mut Vec<u8>);

impl Fields<'_> {
    fn text(&mut self, v: Option<&str>) {
        match v {
            None => self.0.push(0xFE),
            Some(s) => {
                self.0.extend_from_slice(s.as_bytes());
                self.0.push(0xFF);
            }
        }
    }

    fn time(&mut self, t: Option<Timestamp>) {
        match t {
            None => self.0.push(0),
            Some(t) => {
                self.0.push(1);
                self.0.extend_from_slice(&t.as_nanosecond().to_le_bytes());
            }
        }
    }

    fn number(&mut self, v: Option<f64>) {
        match v {
            None => self.0.push(0),
            Some(x) => {
                self.0.push(1);
                self.0.extend_from_slice(&x.to_bits().to_le_bytes());
            }
        }
    }

    fn int(&mut self, v: u32) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }

    fn flag(&mut self, v: Option<bool>) {
        self.0.push(match v {
            None => 0,
            Some(false) => 1,
            Some(true) => 2,
        });
    }
}

/// Parses one line of the canonical format. `tenant` is the `--tenant` given on the command
/// line, if any: it fills records without a tenant, and a record naming another is rejected.
pub fn parse_contact_line(
    bytes: &[u8],
    line: u64,
    tenant: Option<&TenantId>,
) -> Result<ParsedContact, Rejection> {
    if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{')
        && serde_json::from_slice::<serde_json::Value>(bytes).is_ok()
    {
        return Err(Rejection::new(
            line,
            None,
            "a contact must be a JSON object",
            bytes,
        ));
    }
    // One check of the line's UTF-8 (a quick pass over mostly ASCII) lets the parser read its
    // strings without checking each again; a line that is not UTF-8 goes the checked way for
    // its located error. A plain line takes the scanner's fast way, any other serde_json's.
    let parsed = match std::str::from_utf8(bytes) {
        Ok(text) => scan::scan(text).map_or_else(|| serde_json::from_str(text), Ok),
        Err(_) => serde_json::from_slice(bytes),
    };
    let raw: RawContact<'_> = match parsed {
        Ok(raw) => raw,
        Err(err) => {
            let (field, reason) = locate_json_error::<RawContact<'_>>(bytes, &err, "a contact");
            return Err(Rejection::new(line, field.as_deref(), reason, bytes));
        }
    };
    match convert(raw, tenant) {
        Ok(contact) => {
            let fingerprint = contact_fingerprint(&contact);
            Ok(ParsedContact {
                contact,
                fingerprint,
            })
        }
        Err(b) => Err(Rejection::new(line, b.field, b.reason, bytes)),
    }
}

/// Finds the field a serde error is about by parsing again with a path tracker.
pub(crate) fn locate_json_error<'de, T: Deserialize<'de>>(
    bytes: &'de [u8],
    err: &serde_json::Error,
    what: &str,
) -> (Option<String>, String) {
    if err.is_syntax() || err.is_eof() {
        let kind = if err.is_eof() {
            "truncated JSON"
        } else {
            "not valid JSON"
        };
        let reason = if std::str::from_utf8(bytes).is_err() {
            "not valid UTF-8".to_owned()
        } else {
            format!("{kind}: {err}")
        };
        return (None, reason);
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let tracked: Result<T, _> = serde_path_to_error::deserialize(&mut de);
    let Err(tracked) = tracked else {
        return (None, err.to_string());
    };
    let message = tracked.inner().to_string();
    let message = match message.find(" at line ") {
        Some(at) => message[..at].to_owned(),
        None => message,
    };
    let path = tracked.path().to_string();
    let mut field = (path != ".").then_some(path);
    if let Some(rest) = message.strip_prefix("unknown field `") {
        let name = rest.split('`').next().unwrap_or_default();
        field = Some(match field {
            Some(parent) if !parent.ends_with(name) => format!("{parent}.{name}"),
            Some(parent) => parent,
            None => name.to_owned(),
        });
        return (field, "unknown field".to_owned());
    }
    if let Some(rest) = message.strip_prefix("missing field `") {
        let name = rest.split('`').next().unwrap_or_default();
        return (Some(name.to_owned()), "missing".to_owned());
    }
    if message.contains("expected struct ") {
        // A nested object of the wrong type names its field (`survey`), not the record.
        return match field {
            Some(f) => {
                let got = message
                    .strip_prefix("invalid type: ")
                    .and_then(|m| m.split(", expected").next())
                    .unwrap_or("something else");
                (Some(f), format!("must be a JSON object, not {got}"))
            }
            None => (None, format!("{what} must be a JSON object")),
        };
    }
    (field, message)
}

/// Bounds on values, the same for every source: by default a duration, and the time a
/// contact spans, at most 7 days; a text field at most 1 KiB. A process sets its own once at
/// start (`max_duration_s` and `max_text_bytes` in `ccpulse.toml`).
pub mod limits {
    use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

    /// The default longest duration: 7 days.
    pub const DEFAULT_MAX_DURATION_S: u64 = 7 * 24 * 3600;
    /// The default longest text field: 1 KiB.
    pub const DEFAULT_MAX_TEXT: usize = 1024;

    static MAX_DURATION_S: AtomicU64 = AtomicU64::new(DEFAULT_MAX_DURATION_S);
    static MAX_TEXT: AtomicUsize = AtomicUsize::new(DEFAULT_MAX_TEXT);

    /// Sets this process's bounds (at least 1 s and 1 byte).
    pub fn set(max_duration_s: u64, max_text: usize) {
        MAX_DURATION_S.store(max_duration_s.max(1), Ordering::Relaxed);
        MAX_TEXT.store(max_text.max(1), Ordering::Relaxed);
    }

    /// The longest duration a contact may report, and the longest time it may span, seconds.
    pub fn max_duration_s() -> u64 {
        MAX_DURATION_S.load(Ordering::Relaxed)
    }

    /// The longest text a field may hold, in bytes.
    pub fn max_text() -> usize {
        MAX_TEXT.load(Ordering::Relaxed)
    }

    /// [`max_duration_s`] said the way people say it: `7 days`, `1 hour`, `90 s`.
    pub fn duration_words() -> String {
        let s = max_duration_s();
        let (n, unit) = unit_of(s);
        let n = s / n;
        match (n, unit) {
            (1, "days") => "1 day".into(),
            (1, "hours") => "1 hour".into(),
            (n, unit) => format!("{n} {unit}"),
        }
    }

    /// `seconds` in the unit of the bound: `8.5 days`, `2.0 hours`, `4000 s`.
    pub fn in_bound_unit(seconds: f64) -> String {
        let (n, unit) = unit_of(max_duration_s());
        if unit == "s" {
            format!("{seconds:.0} s")
        } else {
            #[allow(clippy::cast_precision_loss)]
            let v = seconds / n as f64;
            format!("{v:.1} {unit}")
        }
    }

    fn unit_of(s: u64) -> (u64, &'static str) {
        if s.is_multiple_of(86_400) {
            (86_400, "days")
        } else if s.is_multiple_of(3600) {
            (3600, "hours")
        } else {
            (1, "s")
        }
    }
}

/// A text field, at most [`limits::max_text`] bytes.
pub(crate) fn bounded(field: &'static str, v: Option<Cow<'_, str>>) -> Result<Option<String>, Bad> {
    let max = limits::max_text();
    match text(v) {
        Some(s) if s.len() > max => Err(bad(
            field,
            format!(
                "{} bytes: longer than the {max} a text field may hold",
                s.len()
            ),
        )),
        other => Ok(other),
    }
}

pub(crate) fn text(v: Option<Cow<'_, str>>) -> Option<String> {
    v.map(Cow::into_owned).filter(|s| !s.is_empty())
}

pub(crate) fn time(
    field: &'static str,
    v: Option<&Cow<'_, str>>,
) -> Result<Option<Timestamp>, Bad> {
    let Some(v) = v else { return Ok(None) };
    crate::rfc3339::parse(v).map(Some).ok_or_else(|| {
        bad(
            field,
            format!(
                "`{v}` is not an RFC 3339 time with an offset (e.g. 2021-01-04T09:12:44+08:00)"
            ),
        )
    })
}

/// A word of the set `T` in `field`, if the field is there.
pub(crate) fn word<T: Word>(
    field: &'static str,
    v: Option<&Cow<'_, str>>,
) -> Result<Option<T>, Bad> {
    match v {
        None => Ok(None),
        Some(v) => T::parse_word(v).map(Some).ok_or_else(|| {
            bad(
                field,
                format!("`{v}` is not one of {}", T::expected_words()),
            )
        }),
    }
}

/// A word of the set `T` in `field`, which must be there.
pub(crate) fn required_word<T: Word>(
    field: &'static str,
    v: Option<&Cow<'_, str>>,
) -> Result<T, Bad> {
    word(field, v)?.ok_or_else(|| bad(field, format!("missing (one of {})", T::expected_words())))
}

/// `later` must not be before `earlier`; the error quotes both times as the input wrote them
/// (`written`), so they read in the sender's own zone.
fn not_before(
    later_field: &'static str,
    later: Option<Timestamp>,
    earlier_field: &'static str,
    earlier: Option<Timestamp>,
    written: &dyn Fn(&str) -> Option<String>,
) -> Result<(), Bad> {
    if let (Some(l), Some(e)) = (later, earlier) {
        if l < e {
            let l = written(later_field).unwrap_or_else(|| l.to_string());
            let e = written(earlier_field).unwrap_or_else(|| e.to_string());
            return Err(bad(
                later_field,
                format!("{l} is before `{earlier_field}` {e}"),
            ));
        }
    }
    Ok(())
}

/// The record's tenant: as named (and then it must be the import's, if the import names one),
/// else the import's, else the default.
pub(crate) fn tenant_of(named: Option<&str>, cli: Option<&TenantId>) -> Result<TenantId, Bad> {
    match (named, cli) {
        (None, Some(t)) => Ok(t.clone()),
        (None, None) => Ok(TenantId::default_tenant()),
        (Some(named), cli) => {
            let t = TenantId::new(named).map_err(|e| bad("tenant", e.to_string()))?;
            if let Some(cli) = cli {
                if &t != cli {
                    return Err(bad(
                        "tenant",
                        format!("record belongs to `{t}` but the import is for `{cli}`"),
                    ));
                }
            }
            Ok(t)
        }
    }
}

/// The survey of a contact, checked: no score or rating on a survey not offered.
fn survey_of(raw: Option<RawSurvey<'_>>) -> Result<Option<Survey>, Bad> {
    Ok(match raw {
        None => None,
        Some(s) => {
            let score = word::<SurveyScore>("survey.score", s.score.as_ref())?;
            let offered = s.offered.unwrap_or(true);
            if !offered && score.is_some() {
                return Err(bad("survey.score", "set but the survey was not offered"));
            }
            Some(Survey {
                offered,
                score,
                reason: bounded("survey.reason", s.reason)?,
                rating: match s.rating {
                    Some(r) if !r.is_finite() => {
                        return Err(bad("survey.rating", "not a finite number"))
                    }
                    Some(_) if !offered => {
                        return Err(bad("survey.rating", "set but the survey was not offered"))
                    }
                    r => r,
                },
            })
        }
    })
}

fn convert(raw: RawContact<'_>, cli_tenant: Option<&TenantId>) -> Result<Contact, Bad> {
    let id = bounded("id", raw.id)?.ok_or_else(|| bad("id", "missing"))?;
    let tenant = tenant_of(raw.tenant.as_deref(), cli_tenant)?;
    let direction = required_word::<Direction>("direction", raw.direction.as_ref())?;
    let outcome = required_word::<Outcome>("outcome", raw.outcome.as_ref())?;
    let channel = word::<Channel>("channel", raw.channel.as_ref())?.unwrap_or(Channel::Voice);
    let business_type = word::<BusinessType>("business_type", raw.business_type.as_ref())?;

    let arrived_at = time("arrived_at", raw.arrived_at.as_ref())?;
    let ivr_start = time("ivr_start", raw.ivr_start.as_ref())?;
    let ivr_end = time("ivr_end", raw.ivr_end.as_ref())?;
    let queued_at = time("queued_at", raw.queued_at.as_ref())?;
    let ring_start = time("ring_start", raw.ring_start.as_ref())?;
    let answered_at = time("answered_at", raw.answered_at.as_ref())?;
    let ended_at = time("ended_at", raw.ended_at.as_ref())?;
    let wrap_up_end = time("wrap_up_end", raw.wrap_up_end.as_ref())?;

    let written_times = [
        ("arrived_at", raw.arrived_at.as_deref()),
        ("ivr_start", raw.ivr_start.as_deref()),
        ("ivr_end", raw.ivr_end.as_deref()),
        ("queued_at", raw.queued_at.as_deref()),
        ("answered_at", raw.answered_at.as_deref()),
        ("ended_at", raw.ended_at.as_deref()),
        ("wrap_up_end", raw.wrap_up_end.as_deref()),
    ];
    let written = |f: &str| {
        written_times
            .iter()
            .find(|(k, _)| *k == f)
            .and_then(|(_, v)| v.map(str::to_owned))
    };
    not_before("ivr_end", ivr_end, "ivr_start", ivr_start, &written)?;
    not_before("queued_at", queued_at, "arrived_at", arrived_at, &written)?;
    not_before("answered_at", answered_at, "queued_at", queued_at, &written)?;
    not_before(
        "answered_at",
        answered_at,
        "arrived_at",
        arrived_at,
        &written,
    )?;
    not_before("ended_at", ended_at, "answered_at", answered_at, &written)?;
    not_before("ended_at", ended_at, "queued_at", queued_at, &written)?;
    not_before("ended_at", ended_at, "arrived_at", arrived_at, &written)?;
    not_before("wrap_up_end", wrap_up_end, "ended_at", ended_at, &written)?;

    if outcome == Outcome::Answered && answered_at.is_none() {
        return Err(bad("answered_at", "missing: the outcome is `answered`"));
    }
    if outcome != Outcome::Answered && answered_at.is_some() {
        return Err(bad(
            "outcome",
            format!(
                "`{outcome}` but `answered_at` is set: an answered contact has outcome `answered`"
            ),
        ));
    }
    if [
        arrived_at,
        ivr_start,
        queued_at,
        ring_start,
        answered_at,
        ended_at,
    ]
    .iter()
    .all(Option::is_none)
    {
        return Err(bad(
            "arrived_at",
            "missing: a contact needs at least one time",
        ));
    }

    let hold_s = raw.hold_s.unwrap_or(0.0);
    if !hold_s.is_finite() || hold_s < 0.0 {
        return Err(bad(
            "hold_s",
            format!("{hold_s} is not a number of seconds >= 0"),
        ));
    }
    #[allow(clippy::cast_precision_loss)]
    let max_s = limits::max_duration_s() as f64;
    if hold_s > max_s {
        return Err(bad(
            "hold_s",
            format!(
                "{hold_s} s is more than {}, the longest a duration may be",
                limits::duration_words()
            ),
        ));
    }
    // Every duration follows from the times: a contact may not span more than 7 days.
    let times = [
        ("arrived_at", arrived_at),
        ("ivr_start", ivr_start),
        ("ivr_end", ivr_end),
        ("queued_at", queued_at),
        ("ring_start", ring_start),
        ("answered_at", answered_at),
        ("ended_at", ended_at),
        ("wrap_up_end", wrap_up_end),
    ];
    let first = times.iter().filter_map(|(_, t)| *t).min();
    if let (Some(first), Some((last_field, Some(last)))) = (
        first,
        times
            .iter()
            .filter(|(_, t)| t.is_some())
            .max_by_key(|(_, t)| *t),
    ) {
        #[allow(clippy::cast_precision_loss)]
        let span = last.as_second().saturating_sub(first.as_second()) as f64;
        if span > max_s {
            return Err(bad(
                last_field,
                format!(
                    "the contact would last {}: more than {}, the longest a contact may",
                    limits::in_bound_unit(span),
                    limits::duration_words()
                ),
            ));
        }
    }
    if let Some(q) = raw.qa_score {
        if !(0.0..=100.0).contains(&q) {
            return Err(bad("qa_score", format!("{q} is outside 0..100")));
        }
    }
    let marketing_attempts = raw.marketing_attempts.unwrap_or(0);
    let marketing_successes = raw.marketing_successes.unwrap_or(0);
    if marketing_successes > marketing_attempts {
        return Err(bad(
            "marketing_successes",
            format!("{marketing_successes} is more than marketing_attempts {marketing_attempts}"),
        ));
    }
    let survey = survey_of(raw.survey)?;

    let customer = bounded("customer", raw.customer)?;
    // Where the source does not say, the customer's phone number may.
    let region = bounded("region", raw.region)?.or_else(|| {
        customer
            .as_deref()
            .and_then(crate::region::region_of_phone)
            .map(str::to_owned)
    });
    Ok(Contact {
        tenant,
        id,
        channel,
        source: bounded("source", raw.source)?,
        direction,
        entry_point: bounded("entry_point", raw.entry_point)?,
        customer,
        region,
        business_line: bounded("business_line", raw.business_line)?,
        category: bounded("category", raw.category)?,
        business_type,
        queue: bounded("queue", raw.queue)?,
        agent: bounded("agent", raw.agent)?,
        arrived_at,
        ivr_start,
        ivr_end,
        queued_at,
        ring_start,
        answered_at,
        ended_at,
        wrap_up_end,
        hold_s,
        transfers: raw.transfers.unwrap_or(0),
        transfer_target: bounded("transfer_target", raw.transfer_target)?,
        transfer_correct: raw.transfer_correct,
        outcome,
        survey,
        resolved_first: raw.resolved_first,
        marketing_attempts,
        marketing_successes,
        qa_score: raw.qa_score,
        campaign: bounded("campaign", raw.campaign)?,
        call_id: bounded("call_id", raw.call_id)?,
        exit_reason: bounded("exit_reason", raw.exit_reason)?,
    })
}

/// Writes a contact as one canonical JSON line (nulls left out), the inverse of
/// [`parse_contact_line`].
pub fn to_json_line(c: &Contact) -> String {
    use serde_json::{Map, Value};
    let mut m = Map::new();
    let mut put = |k: &str, v: Value| {
        if !v.is_null() {
            m.insert(k.to_owned(), v);
        }
    };
    let s = |v: &Option<String>| v.clone().map_or(Value::Null, Value::String);
    let t = |v: &Option<Timestamp>| v.map_or(Value::Null, |t| Value::String(t.to_string()));
    put("id", Value::String(c.id.clone()));
    put("tenant", Value::String(c.tenant.to_string()));
    put("channel", Value::String(c.channel.to_string()));
    put("source", s(&c.source));
    put("direction", Value::String(c.direction.to_string()));
    put("entry_point", s(&c.entry_point));
    put("customer", s(&c.customer));
    put("region", s(&c.region));
    put("business_line", s(&c.business_line));
    put("category", s(&c.category));
    put(
        "business_type",
        c.business_type
            .map_or(Value::Null, |b| Value::String(b.to_string())),
    );
    put("queue", s(&c.queue));
    put("agent", s(&c.agent));
    put("arrived_at", t(&c.arrived_at));
    put("ivr_start", t(&c.ivr_start));
    put("ivr_end", t(&c.ivr_end));
    put("queued_at", t(&c.queued_at));
    put("ring_start", t(&c.ring_start));
    put("answered_at", t(&c.answered_at));
    put("ended_at", t(&c.ended_at));
    put("wrap_up_end", t(&c.wrap_up_end));
    if c.hold_s != 0.0 {
        put("hold_s", serde_json::json!(c.hold_s));
    }
    if c.transfers != 0 {
        put("transfers", Value::from(c.transfers));
    }
    put("transfer_target", s(&c.transfer_target));
    put(
        "transfer_correct",
        c.transfer_correct.map_or(Value::Null, Value::Bool),
    );
    put("outcome", Value::String(c.outcome.to_string()));
    if let Some(sv) = &c.survey {
        put(
            "survey",
            serde_json::json!({
                "offered": sv.offered,
                "score": sv.score.map(|x| x.as_str()),
                "reason": sv.reason,
                "rating": sv.rating,
            }),
        );
    }
    put(
        "resolved_first",
        c.resolved_first.map_or(Value::Null, Value::Bool),
    );
    if c.marketing_attempts != 0 {
        put("marketing_attempts", Value::from(c.marketing_attempts));
        put("marketing_successes", Value::from(c.marketing_successes));
    }
    put(
        "qa_score",
        c.qa_score.map_or(Value::Null, |q| serde_json::json!(q)),
    );
    put("campaign", s(&c.campaign));
    put("call_id", s(&c.call_id));
    put("exit_reason", s(&c.exit_reason));
    Value::Object(m).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"{"id":"c-000001","tenant":"default","channel":"voice","source":null,"direction":"inbound","entry_point":"4008001234","customer":"13812345678","region":null,"business_line":"mobile","category":"mobile/plan-fees","business_type":"consultation","queue":"general","agent":"a017","arrived_at":"2021-01-04T09:12:44+08:00","ivr_start":"2021-01-04T09:12:44+08:00","ivr_end":"2021-01-04T09:13:20+08:00","queued_at":"2021-01-04T09:13:20+08:00","answered_at":"2021-01-04T09:13:31+08:00","ended_at":"2021-01-04T09:15:52+08:00","wrap_up_end":"2021-01-04T09:16:10+08:00","hold_s":0,"transfers":0,"transfer_correct":null,"outcome":"answered","survey":{"offered":true,"score":"very_satisfied","reason":null},"resolved_first":true,"marketing_attempts":0,"marketing_successes":0,"qa_score":null,"campaign":null}"#;

    fn reject(line: &str) -> Rejection {
        parse_contact_line(line.as_bytes(), 7, None).expect_err("should be rejected")
    }

    #[test]
    fn spec_example_parses() {
        let p = parse_contact_line(GOOD.as_bytes(), 1, None).expect("valid");
        assert_eq!(p.contact.id, "c-000001");
        assert_eq!(p.contact.outcome, Outcome::Answered);
        assert_eq!(p.contact.derived().wait_s, Some(11.0));
        assert_eq!(
            p.contact.survey.as_ref().and_then(|s| s.score),
            Some(SurveyScore::VerySatisfied)
        );
        // The writer and the parser agree.
        let again =
            parse_contact_line(to_json_line(&p.contact).as_bytes(), 1, None).expect("again");
        assert_eq!(again.contact, p.contact);
    }

    #[test]
    fn each_bad_kind_names_line_field_and_reason() {
        let r = reject("{\"id\":");
        assert_eq!((r.line, r.field.as_deref()), (7, None));
        assert!(r.reason.starts_with("truncated JSON"), "{}", r.reason);

        let r = reject(&GOOD.replace("\"campaign\":null", "\"campaign\":null,\"colour\":1"));
        assert_eq!(r.field.as_deref(), Some("colour"));
        assert_eq!(r.reason, "unknown field");

        let r = reject(&GOOD.replace("\"outcome\":\"answered\"", "\"outcome\":\"hangup\""));
        assert_eq!(r.field.as_deref(), Some("outcome"));
        assert!(r.reason.contains("`hangup` is not one of"));

        let r = reject(&GOOD.replace("2021-01-04T09:15:52+08:00", "2021-01-04 09:15"));
        assert_eq!(r.field.as_deref(), Some("ended_at"));

        let r = reject(&GOOD.replace(
            "\"answered_at\":\"2021-01-04T09:13:31+08:00\"",
            "\"answered_at\":\"2021-01-04T09:13:00+08:00\"",
        ));
        assert_eq!(r.field.as_deref(), Some("answered_at"));
        assert!(r.reason.contains("before `queued_at`"), "{}", r.reason);

        let r = reject(&GOOD.replace(
            "\"answered_at\":\"2021-01-04T09:13:31+08:00\"",
            "\"answered_at\":null",
        ));
        assert_eq!(r.field.as_deref(), Some("answered_at"));
        assert!(r.reason.starts_with("missing"));

        let r = reject(&GOOD.replace("\"hold_s\":0", "\"hold_s\":\"long\""));
        assert_eq!(r.field.as_deref(), Some("hold_s"));
        // Bounded values: a duration past 7 days, a contact spanning more, a text over 1 KiB,
        // each named by its field; a nested object of the wrong type names its field.
        let r = reject(&GOOD.replace("\"hold_s\":0", "\"hold_s\":1e308"));
        assert_eq!(r.field.as_deref(), Some("hold_s"));
        assert!(r.reason.contains("7 days"), "{}", r.reason);
        let r = reject(&GOOD.replace(
            "\"wrap_up_end\":\"2021-01-04T09:16:10+08:00\"",
            "\"wrap_up_end\":\"2021-01-14T09:16:10+08:00\"",
        ));
        assert_eq!(r.field.as_deref(), Some("wrap_up_end"));
        assert!(r.reason.contains("10.0 days"), "{}", r.reason);
        let long = "x".repeat(limits::max_text() + 1);
        let r = reject(&GOOD.replace("\"mobile/plan-fees\"", &format!("\"{long}\"")));
        assert_eq!(r.field.as_deref(), Some("category"));
        assert!(r.reason.contains("1025 bytes"), "{}", r.reason);
        let r = reject(&GOOD.replace(
            "\"survey\":{\"offered\":true,\"score\":\"very_satisfied\",\"reason\":null}",
            "\"survey\":\"x\"",
        ));
        assert_eq!(r.field.as_deref(), Some("survey"), "{}", r.reason);
        assert!(r.reason.contains("must be a JSON object"), "{}", r.reason);

        let r = reject(&GOOD.replace("\"score\":\"very_satisfied\"", "\"score\":\"meh\""));
        assert_eq!(r.field.as_deref(), Some("survey.score"));

        let r = reject(&GOOD.replace("\"reason\":null}", "\"reason\":null,\"x\":2}"));
        assert_eq!(r.field.as_deref(), Some("survey.x"));

        let r = reject("[1,2]");
        assert_eq!(r.field, None);

        let r = parse_contact_line(b"{\"id\":\"\xff\xfe\"}", 3, None).expect_err("bad utf8");
        assert_eq!(r.reason, "not valid UTF-8");
    }

    #[test]
    fn tenant_from_command_line() {
        let t = TenantId::new("bank").expect("tenant");
        let no_tenant = GOOD.replace("\"tenant\":\"default\",", "");
        let p = parse_contact_line(no_tenant.as_bytes(), 1, Some(&t)).expect("ok");
        assert_eq!(p.contact.tenant, t);
        let r = parse_contact_line(GOOD.as_bytes(), 1, Some(&t)).expect_err("other tenant");
        assert_eq!(r.field.as_deref(), Some("tenant"));
    }

    #[test]
    fn the_fingerprint_is_of_the_contact_not_of_its_line() {
        let p = parse_contact_line(GOOD.as_bytes(), 1, None).expect("good");
        let same = parse_contact_line(to_json_line(&p.contact).as_bytes(), 1, None)
            .expect("written again");
        assert_eq!(
            p.fingerprint, same.fingerprint,
            "other spacing and key order"
        );
        assert_eq!(p.fingerprint, contact_fingerprint(&p.contact));
        let changed = |f: &dyn Fn(&mut Contact)| {
            let mut c = p.contact.clone();
            f(&mut c);
            contact_fingerprint(&c)
        };
        let fp = p.fingerprint;
        assert_ne!(fp, changed(&|c| c.hold_s += 1.0));
        assert_ne!(fp, changed(&|c| c.transfers += 1));
        assert_ne!(fp, changed(&|c| c.exit_reason = Some("timeout".into())));
        assert_ne!(fp, changed(&|c| c.survey = None));
        assert_ne!(
            fp,
            changed(&|c| c.ended_at = c.ended_at.map(|t| t + jiff::SignedDuration::from_nanos(1)))
        );
        // Text moved from one field to the next is another contact.
        let a = changed(&|c| {
            c.business_line = Some("ab".into());
            c.category = None;
        });
        let b = changed(&|c| {
            c.business_line = Some("a".into());
            c.category = Some("b".into());
        });
        let e = changed(&|c| {
            c.business_line = Some(String::new());
            c.category = Some("ab".into());
        });
        assert!(a != b && b != e && a != e);
    }
}
