//! Spreadsheets and CSV exports of any system, read through a mapping file (TOML) that says
//! which column holds which field. Each record becomes a canonical contact JSON object and
//! goes through the same validation as `--format contacts`, so a mapped file can never store
//! what a canonical one could not.
//!
//! Times: the contact starts at `datetime` (one column) or `date` + `time` (two), read in the
//! mapping's `zone` (else the tenant's), in the formats `[format]` gives (strftime: `date`,
//! `time`, `datetime`; ISO dates and `H:MM:SS` times always work). Many exports carry
//! durations rather than end times: `ivr_s`, `wait_s`, `talk_s`, `hold_s`, `acw_s` (seconds,
//! or `H:MM:SS`) lay the contact out from its start: IVR, then the queue, then the answer and
//! the talk. Where an export has the times themselves, the columns `ivr_end`, `queued_at`,
//! `answered_at`, `ended_at` and `wrap_up_end` give them (a date and time, or a time of day on
//! the start's date, the next day when it is earlier than the start); a time given wins over
//! the duration that would lead to it.
//!
//! ```toml
//! [format]
//! delimiter = "\t"          # CSV only; default ","
//! sheet = "Sheet1"          # xlsx only; default the first sheet
//! date = "%y%m%d"           # strftime format of the date column; ISO dates always work
//! time = "%I:%M:%S %p"      # strftime format of times of day; H:MM:SS always works
//! datetime = "%d/%m/%Y %H:%M" # strftime format of one-column date and times
//! zone = "Asia/Jerusalem"   # IANA zone of the times; default the tenant's
//! [columns]                 # field = "column header"
//! id = "call_id"
//! date = "date"
//! time = "vru_entry"
//! wait_s = "q_time"
//! outcome = "outcome"
//! [defaults]                # constant fields
//! direction = "inbound"
//! [null]                    # values that mean empty, per field
//! agent = ["NO_SERVER"]
//! [values.outcome]          # source value = canonical value
//! AGENT = "answered"
//! [unqueued.outcome]        # outcome when the record has no wait (never reached a queue)
//! HANG = "self_service"
//! ```

use std::collections::BTreeMap;
use std::path::Path;

use ccpulse_model::TenantId;
use jiff::civil::{Date, DateTime, Time};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::contacts::{parse_contact_line, ParsedContact};
use crate::Rejection;

/// A mapping file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mapping {
    /// What the mapping is for, shown in messages.
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub format: FormatOptions,
    /// Field → source column header (or several, joined with `-`: an id unique only with
    /// its line or date).
    pub columns: BTreeMap<String, Columns>,
    /// Field → constant value, for fields no column holds.
    #[serde(default)]
    pub defaults: BTreeMap<String, toml::Value>,
    /// Field → source values that mean "empty".
    #[serde(default)]
    pub null: BTreeMap<String, Vec<String>>,
    /// Field → source value → canonical value.
    #[serde(default)]
    pub values: BTreeMap<String, BTreeMap<String, toml::Value>>,
    /// `outcome` → source value → the outcome when the record has no wait.
    #[serde(default)]
    pub unqueued: BTreeMap<String, BTreeMap<String, toml::Value>>,
}

/// One column, or several whose values are joined with `-`.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Columns {
    One(String),
    Many(Vec<String>),
}

impl Columns {
    fn names(&self) -> Vec<&str> {
        match self {
            Columns::One(c) => vec![c.as_str()],
            Columns::Many(cs) => cs.iter().map(String::as_str).collect(),
        }
    }
}

impl std::fmt::Display for Columns {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.names().join("\" + \""))
    }
}

/// How the file is laid out.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FormatOptions {
    pub delimiter: Option<String>,
    pub sheet: Option<String>,
    pub date: Option<String>,
    /// strftime format of a time of day (`%I:%M:%S %p`).
    pub time: Option<String>,
    /// strftime format of a date and time in one column.
    pub datetime: Option<String>,
    pub zone: Option<String>,
    /// `reject` (default) or `zero`: what a negative duration (a source's clock skew) means.
    pub negative_durations: Option<String>,
}

/// The longest duration a contact's part may have (100 days): anything longer is a mistake of
/// the export, not a call.
const MAX_DURATION_S: f64 = 100.0 * 86_400.0;

/// Fields a column may fill.
const TEXT_FIELDS: &[&str] = &[
    "id",
    "channel",
    "source",
    "direction",
    "entry_point",
    "customer",
    "region",
    "business_line",
    "category",
    "business_type",
    "queue",
    "agent",
    "exit_reason",
    "call_id",
    "campaign",
    "transfer_target",
    "outcome",
];
const TIME_FIELDS: &[&str] = &["datetime", "date", "time"];
/// The moments of a contact after its start, where an export has them as times.
const MOMENT_FIELDS: &[&str] = &[
    "ivr_end",
    "queued_at",
    "answered_at",
    "ended_at",
    "wrap_up_end",
];
const DURATION_FIELDS: &[&str] = &["ivr_s", "wait_s", "talk_s", "hold_s", "acw_s"];
const OTHER_FIELDS: &[&str] = &[
    "resolved_first",
    "transfer_correct",
    "transfers",
    "qa_score",
    "survey_score",
    "survey_rating",
];

impl Mapping {
    /// Reads and checks a mapping file.
    pub fn load(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("mapping {}: {e}", path.display()))?;
        let m: Mapping =
            toml::from_str(&text).map_err(|e| format!("mapping {}: {e}", path.display()))?;
        for field in m.columns.keys().chain(m.defaults.keys()) {
            let known = [
                TEXT_FIELDS,
                TIME_FIELDS,
                MOMENT_FIELDS,
                DURATION_FIELDS,
                OTHER_FIELDS,
            ]
            .iter()
            .any(|set| set.contains(&field.as_str()));
            if !known {
                return Err(format!(
                    "mapping {}: unknown field `{field}` (fields: {})",
                    path.display(),
                    [
                        TEXT_FIELDS,
                        TIME_FIELDS,
                        MOMENT_FIELDS,
                        DURATION_FIELDS,
                        OTHER_FIELDS
                    ]
                    .concat()
                    .join(", ")
                ));
            }
        }
        if !m.columns.contains_key("id") {
            return Err(format!(
                "mapping {}: `columns.id` is required",
                path.display()
            ));
        }
        if !(m.columns.contains_key("datetime") || m.columns.contains_key("date")) {
            return Err(format!(
                "mapping {}: give `columns.datetime`, or `columns.date` (and `columns.time`)",
                path.display()
            ));
        }
        if !matches!(
            m.format.negative_durations.as_deref(),
            None | Some("reject" | "zero")
        ) {
            return Err(format!(
                "mapping {}: negative_durations is `reject` or `zero`",
                path.display()
            ));
        }
        if let Some(z) = &m.format.zone {
            TimeZone::get(z)
                .map_err(|_| format!("mapping {}: unknown zone `{z}`", path.display()))?;
        }
        Ok(m)
    }

    /// The CSV delimiter (`\t` may be written as an escape or a real tab).
    pub fn delimiter(&self) -> u8 {
        match self.format.delimiter.as_deref() {
            Some("\\t" | "\t" | "tab") => b'\t',
            Some(d) => d.bytes().next().unwrap_or(b','),
            None => b',',
        }
    }
}

/// A file's header resolved against a mapping: field → column index.
pub struct Resolved<'m> {
    mapping: &'m Mapping,
    index: BTreeMap<&'m str, Vec<usize>>,
    zone: TimeZone,
    tenant: TenantId,
    /// The header as a CSV line: the first line of every rejection's raw text, so that a
    /// rejected row can be replayed on its own.
    header_line: String,
}

impl<'m> Resolved<'m> {
    /// Resolves `header`; `Err` names the columns the file lacks.
    pub fn new(
        mapping: &'m Mapping,
        header: &[String],
        tenant: &TenantId,
        tenant_zone: &TimeZone,
    ) -> Result<Self, String> {
        let mut index = BTreeMap::new();
        let mut missing = Vec::new();
        for (field, columns) in &mapping.columns {
            let mut found = Vec::new();
            for column in columns.names() {
                match header.iter().position(|h| h.trim() == column.trim()) {
                    Some(i) => found.push(i),
                    None => missing.push(format!("`{column}` (for {field})")),
                }
            }
            index.insert(field.as_str(), found);
        }
        if !missing.is_empty() {
            return Err(format!(
                "the header has no column {}; it has: {}",
                missing.join(", "),
                header.join(", ")
            ));
        }
        let zone = match &mapping.format.zone {
            Some(z) => TimeZone::get(z).map_err(|_| format!("unknown zone `{z}`"))?,
            None => tenant_zone.clone(),
        };
        Ok(Self {
            mapping,
            index,
            zone,
            tenant: tenant.clone(),
            header_line: csv_line(header),
        })
    }

    /// The cell of `field`, `None` when there is none or it means empty.
    fn cell<'r>(&self, record: &'r [String], field: &str) -> Option<std::borrow::Cow<'r, str>> {
        let columns = self.index.get(field)?;
        let v: std::borrow::Cow<'r, str> = if let [one] = columns.as_slice() {
            record.get(*one)?.trim().into()
        } else {
            let parts: Vec<&str> = columns
                .iter()
                .map(|i| record.get(*i).map_or("", |s| s.trim()))
                .collect();
            if parts.iter().all(|p| p.is_empty()) {
                return None;
            }
            parts.join("-").into()
        };
        if v.is_empty() {
            return None;
        }
        if self
            .mapping
            .null
            .get(field)
            .is_some_and(|nulls| nulls.iter().any(|n| *n == *v))
        {
            return None;
        }
        Some(v)
    }

    /// A field's value after the value map, as JSON; constants from `defaults`.
    fn value(&self, record: &[String], field: &str) -> Option<Value> {
        let Some(raw) = self.cell(record, field) else {
            return self.mapping.defaults.get(field).map(toml_to_json);
        };
        if let Some(v) = self
            .mapping
            .values
            .get(field)
            .and_then(|m| m.get(raw.as_ref()))
        {
            return Some(toml_to_json(v));
        }
        Some(Value::String(raw.into_owned()))
    }

    fn seconds(&self, record: &[String], field: &'static str) -> Result<Option<f64>, Bad> {
        match self.cell(record, field) {
            None => Ok(None),
            Some(raw) => {
                let zero = self.mapping.format.negative_durations.as_deref() == Some("zero");
                if zero && raw.starts_with('-') && parse_duration(&raw[1..]).is_some() {
                    return Ok(Some(0.0));
                }
                let secs = parse_duration(&raw)
                    .ok_or_else(|| Bad::new(field, format!("`{raw}` is not seconds or H:MM:SS")))?;
                if secs > MAX_DURATION_S {
                    return Err(Bad::new(
                        field,
                        format!("`{raw}` is longer than 100 days: no part of one contact is"),
                    ));
                }
                Ok(Some(secs))
            }
        }
    }

    /// When the contact started, as a local time.
    fn start(&self, record: &[String]) -> Result<DateTime, Bad> {
        let f = &self.mapping.format;
        let local = if self.index.contains_key("datetime") {
            let raw = self
                .cell(record, "datetime")
                .ok_or_else(|| Bad::new("datetime", "empty"))?;
            parse_datetime(
                &raw,
                f.datetime.as_deref(),
                f.date.as_deref(),
                f.time.as_deref(),
            )
            .ok_or_else(|| {
                Bad::new(
                    "datetime",
                    format!(
                        "`{raw}` is not a date and time{}",
                        f.datetime
                            .as_deref()
                            .map(|d| format!(" in the format {d}"))
                            .unwrap_or_default()
                    ),
                )
            })?
        } else {
            let raw = self
                .cell(record, "date")
                .ok_or_else(|| Bad::new("date", "empty"))?;
            let date = parse_date(&raw, self.mapping.format.date.as_deref()).ok_or_else(|| {
                Bad::new(
                    "date",
                    format!(
                        "`{raw}` is not a date in the format {}",
                        self.mapping.format.date.as_deref().unwrap_or("%Y-%m-%d")
                    ),
                )
            })?;
            let time = match self.cell(record, "time") {
                None if self.index.contains_key("time") => {
                    return Err(Bad::new("time", "empty"));
                }
                None => Time::midnight(),
                Some(raw) => parse_time_as(&raw, f.time.as_deref()).ok_or_else(|| {
                    Bad::new(
                        "time",
                        format!(
                            "`{raw}` is not a time {}",
                            f.time.as_deref().unwrap_or("H:MM:SS")
                        ),
                    )
                })?,
            };
            date.to_datetime(time)
        };
        Ok(local)
    }

    /// A local time of the contact in its zone.
    fn instant(&self, field: &str, local: DateTime) -> Result<Timestamp, Bad> {
        self.zone
            .to_timestamp(local)
            .map_err(|e| Bad::new(field, format!("{local} in {}: {e}", zone_name(&self.zone))))
    }

    /// A moment column (`ended_at`, ...): a date and time, or a time of day on the start's date
    /// (the next day when it comes before the start); `None` when the record has none.
    fn moment(
        &self,
        record: &[String],
        field: &'static str,
        start: DateTime,
    ) -> Result<Option<Timestamp>, Bad> {
        let Some(raw) = self.cell(record, field) else {
            return Ok(None);
        };
        let f = &self.mapping.format;
        let local = match parse_datetime(
            &raw,
            f.datetime.as_deref(),
            f.date.as_deref(),
            f.time.as_deref(),
        ) {
            Some(dt) => dt,
            None => {
                let t = parse_time_as(&raw, f.time.as_deref()).ok_or_else(|| {
                    Bad::new(
                        field,
                        format!("`{raw}` is not a date and time or a time of day"),
                    )
                })?;
                let same_day = start.date().to_datetime(t);
                if same_day < start {
                    start
                        .date()
                        .tomorrow()
                        .map_err(|e| Bad::new(field, e.to_string()))?
                        .to_datetime(t)
                } else {
                    same_day
                }
            }
        };
        self.instant(field, local).map(Some)
    }

    /// The canonical JSON object of one record.
    fn to_canonical(&self, record: &[String]) -> Result<Value, Bad> {
        let mut m = Map::new();
        m.insert("tenant".into(), Value::String(self.tenant.to_string()));
        for field in TEXT_FIELDS.iter().chain(
            [
                "resolved_first",
                "transfer_correct",
                "transfers",
                "qa_score",
            ]
            .iter(),
        ) {
            if *field == "outcome" {
                continue;
            }
            if let Some(v) = self.value(record, field) {
                let v = match (*field, v) {
                    ("transfers", Value::String(s)) => Value::from(
                        s.parse::<u32>()
                            .map_err(|_| Bad::new("transfers", format!("`{s}` is not a count")))?,
                    ),
                    ("qa_score", Value::String(s)) => serde_json::json!(s
                        .parse::<f64>()
                        .map_err(|_| Bad::new("qa_score", format!("`{s}` is not a number")))?),
                    ("resolved_first" | "transfer_correct", Value::String(s)) => {
                        Value::Bool(parse_bool(&s).ok_or_else(|| {
                            Bad::new(
                                field,
                                format!("`{s}` is not yes/no (map it in [values.{field}])"),
                            )
                        })?)
                    }
                    (_, v) => v,
                };
                m.insert((*field).to_owned(), v);
            }
        }
        m.entry("direction")
            .or_insert_with(|| Value::String("inbound".into()));

        let start_local = self.start(record)?;
        let start = self.instant("time", start_local)?;
        let moment = |field| self.moment(record, field, start_local);
        let (ivr_end, queued_at, answered_at, ended_at, wrap_up_end) = (
            moment("ivr_end")?,
            moment("queued_at")?,
            moment("answered_at")?,
            moment("ended_at")?,
            moment("wrap_up_end")?,
        );
        let ivr = self.seconds(record, "ivr_s")?;
        let wait = self.seconds(record, "wait_s")?;
        let talk = self.seconds(record, "talk_s")?;
        let acw = self.seconds(record, "acw_s")?;
        if let Some(h) = self.seconds(record, "hold_s")? {
            m.insert("hold_s".into(), serde_json::json!(h));
        }

        // The outcome: mapped, or (no wait: never queued) from [unqueued.outcome].
        let raw_outcome = self.cell(record, "outcome");
        let outcome = match raw_outcome {
            Some(raw) if wait.is_none() => self
                .mapping
                .unqueued
                .get("outcome")
                .and_then(|u| u.get(raw.as_ref()))
                .map(toml_to_json)
                .or_else(|| self.value(record, "outcome")),
            _ => self.value(record, "outcome"),
        };
        let outcome = match outcome {
            Some(Value::String(s)) => s,
            Some(other) => other.to_string(),
            None => return Err(Bad::new("outcome", "empty and no default")),
        };

        let at = |t: Timestamp| Value::String(t.to_string());
        // Durations are bounded (MAX_DURATION_S), so adding them cannot overflow.
        let plus = |t: Timestamp, s: f64| {
            SignedDuration::try_from_secs_f64(s)
                .ok()
                .and_then(|d| t.checked_add(d).ok())
                .unwrap_or(t)
        };
        m.insert("arrived_at".into(), at(start));
        let mut cursor = start;
        if ivr.is_some() || ivr_end.is_some() {
            m.insert("ivr_start".into(), at(start));
            cursor = ivr_end.unwrap_or_else(|| plus(start, ivr.unwrap_or(0.0)));
            m.insert("ivr_end".into(), at(cursor));
        }
        let queued = !matches!(
            outcome.as_str(),
            "self_service" | "not_connected" | "closed"
        ) || queued_at.is_some();
        let mut ended = cursor;
        if queued {
            let entered = queued_at.unwrap_or(cursor);
            m.insert("queued_at".into(), at(entered));
            if outcome == "answered" {
                let answered = answered_at.unwrap_or_else(|| plus(entered, wait.unwrap_or(0.0)));
                m.insert("answered_at".into(), at(answered));
                ended = plus(answered, talk.unwrap_or(0.0));
            } else {
                ended = plus(entered, wait.unwrap_or(0.0));
            }
        } else if let Some(t) = talk {
            ended = plus(cursor, t);
        }
        let ended = ended_at.unwrap_or(ended);
        m.insert("ended_at".into(), at(ended));
        if wrap_up_end.is_some() || acw.is_some() {
            let done = wrap_up_end.unwrap_or_else(|| plus(ended, acw.unwrap_or(0.0)));
            m.insert("wrap_up_end".into(), at(done));
        }
        m.insert("outcome".into(), Value::String(outcome));

        let score = self.value(record, "survey_score");
        let rating = match self.cell(record, "survey_rating") {
            None => None,
            Some(raw) => Some(
                raw.parse::<f64>()
                    .map_err(|_| Bad::new("survey_rating", format!("`{raw}` is not a number")))?,
            ),
        };
        if score.is_some() || rating.is_some() {
            m.insert(
                "survey".into(),
                serde_json::json!({"offered": true, "score": score, "rating": rating}),
            );
        }
        Ok(Value::Object(m))
    }

    /// Turns one record (line `line` of the file) into a contact or a located rejection.
    pub fn convert(&self, record: &[String], line: u64) -> Result<ParsedContact, Rejection> {
        let raw = || format!("{}\n{}", self.header_line, csv_line(record));
        let json = self.to_canonical(record).map_err(|b| {
            Rejection::new(
                line,
                Some(&self.column_of(&b.field)),
                b.reason,
                raw().as_bytes(),
            )
        })?;
        let text = json.to_string();
        parse_contact_line(text.as_bytes(), line, Some(&self.tenant)).map_err(|mut r| {
            r.raw = raw();
            r.field = r.field.map(|f| self.column_of(&f));
            r
        })
    }

    /// `field (column "header")` for messages.
    fn column_of(&self, field: &str) -> String {
        let base = field.split('.').next().unwrap_or(field);
        let key = match base {
            f @ ("ivr_end" | "queued_at" | "answered_at" | "ended_at" | "wrap_up_end")
                if self.mapping.columns.contains_key(f) =>
            {
                f
            }
            "arrived_at" | "ivr_start" | "ivr_end" | "queued_at" | "answered_at" | "ended_at" => {
                "time"
            }
            "survey" => "survey_score",
            other => other,
        };
        match self.mapping.columns.get(key) {
            Some(col) => format!("{field} (column \"{col}\")"),
            None => field.to_owned(),
        }
    }
}

struct Bad {
    field: String,
    reason: String,
}

impl Bad {
    fn new(field: &str, reason: impl Into<String>) -> Self {
        Self {
            field: field.to_owned(),
            reason: reason.into(),
        }
    }
}

fn zone_name(z: &TimeZone) -> String {
    z.iana_name().unwrap_or("the zone").to_owned()
}

fn toml_to_json(v: &toml::Value) -> Value {
    match v {
        toml::Value::String(s) => Value::String(s.clone()),
        toml::Value::Integer(i) => Value::from(*i),
        toml::Value::Float(f) => serde_json::json!(f),
        toml::Value::Boolean(b) => Value::Bool(*b),
        other => Value::String(other.to_string()),
    }
}

fn parse_bool(s: &str) -> Option<bool> {
    match s.to_ascii_lowercase().as_str() {
        "y" | "yes" | "true" | "1" | "是" => Some(true),
        "n" | "no" | "false" | "0" | "否" => Some(false),
        _ => None,
    }
}

/// `fields` as one comma-separated line, quoted where needed.
fn csv_line(fields: &[String]) -> String {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new());
    // Writing to memory cannot fail.
    let _ = w.write_record(fields);
    let bytes = w.into_inner().unwrap_or_default();
    String::from_utf8_lossy(&bytes)
        .trim_end_matches('\n')
        .to_owned()
}

/// Reads a rejected row again: `raw` is what the quarantine kept of it (the file's header
/// and the row, as CSV lines), `line` its line in the file.
pub fn replay_row(
    raw: &str,
    mapping: &Mapping,
    tenant: &TenantId,
    tenant_zone: &TimeZone,
    line: u64,
) -> Result<ParsedContact, Rejection> {
    let mut rows = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(raw.as_bytes())
        .into_records();
    let mut next = || -> Option<Vec<String>> {
        rows.next()?
            .ok()
            .map(|r| r.iter().map(str::to_owned).collect())
    };
    let (Some(header), Some(row)) = (next(), next()) else {
        return Err(Rejection::new(
            line,
            None,
            "the quarantine holds no header and row for this record: import its file again",
            raw.as_bytes(),
        ));
    };
    let resolved = Resolved::new(mapping, &header, tenant, tenant_zone).map_err(|e| {
        Rejection::new(
            line,
            None,
            format!("does not fit the mapping: {e}"),
            raw.as_bytes(),
        )
    })?;
    resolved.convert(&row, line)
}

/// `123`, `123.5`, `2:23` (M:SS) or `0:02:23` (H:MM:SS) to seconds.
pub fn parse_duration(s: &str) -> Option<f64> {
    let s = s.trim();
    let parts: Vec<&str> = s.split(':').collect();
    let num = |p: &str| -> Option<f64> {
        let v: f64 = p.trim().parse().ok()?;
        (v.is_finite() && v >= 0.0).then_some(v)
    };
    match parts.as_slice() {
        [secs] => num(secs),
        [m, sec] => Some(num(m)? * 60.0 + num(sec)?),
        [h, m, sec] => Some(num(h)? * 3600.0 + num(m)? * 60.0 + num(sec)?),
        _ => None,
    }
}

/// `7:02:47`, `07:02`, `07:02:47.5` to a time of day.
pub fn parse_time(s: &str) -> Option<Time> {
    let parts: Vec<&str> = s.trim().split(':').collect();
    let int = |p: &str| -> Option<i8> { p.trim().parse().ok() };
    let (h, m, sec) = match parts.as_slice() {
        [h, m] => (int(h)?, int(m)?, 0.0),
        [h, m, s] => (int(h)?, int(m)?, s.trim().parse::<f64>().ok()?),
        _ => return None,
    };
    if !(0.0..60.0).contains(&sec) {
        return None;
    }
    let whole = sec.trunc() as i8;
    let nanos = ((sec - sec.trunc()) * 1e9).round() as i32;
    Time::new(h, m, whole, nanos.min(999_999_999)).ok()
}

fn parse_date(s: &str, format: Option<&str>) -> Option<Date> {
    let s = s.trim();
    if let Some(f) = format {
        if let Ok(d) = Date::strptime(f, s) {
            return Some(d);
        }
    }
    // ISO, also what spreadsheet date cells become (possibly with a time of 00:00:00).
    let day = s.split(['T', ' ']).next().unwrap_or(s);
    day.parse().ok()
}

/// A time of day in `format` (strftime), else `H:MM:SS`.
fn parse_time_as(s: &str, format: Option<&str>) -> Option<Time> {
    let s = s.trim();
    if let Some(f) = format {
        if let Ok(t) = Time::strptime(f, s) {
            return Some(t);
        }
    }
    parse_time(s)
}

/// A date and time: in `format` (strftime) when given, ISO, or a date (in `date_format`) and a
/// time of day (in `time_format`) separated by a space or `T`.
fn parse_datetime(
    s: &str,
    format: Option<&str>,
    date_format: Option<&str>,
    time_format: Option<&str>,
) -> Option<DateTime> {
    let s = s.trim();
    if let Some(f) = format {
        if let Ok(dt) = DateTime::strptime(f, s) {
            return Some(dt);
        }
    }
    if let Ok(dt) = s.parse::<DateTime>() {
        return Some(dt);
    }
    let (d, t) = s.split_once([' ', 'T'])?;
    Some(parse_date(d, date_format)?.to_datetime(parse_time_as(t, time_format)?))
}

/// One row of a spreadsheet cell values as text: dates as `YYYY-MM-DD`, times of day as
/// `HH:MM:SS`, both as `YYYY-MM-DD HH:MM:SS`, whole numbers without `.0`.
pub fn cell_text(cell: &calamine::Data) -> String {
    use calamine::Data;
    match cell {
        Data::Empty | Data::Error(_) => String::new(),
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Bool(b) => b.to_string(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) => {
            if f.fract() == 0.0 && f.abs() < 1e15 {
                format!("{}", *f as i64)
            } else {
                f.to_string()
            }
        }
        Data::DateTime(dt) => excel_serial_text(dt.as_f64(), dt.is_duration()),
    }
}

/// Excel's serial day number (1900 system) as text.
fn excel_serial_text(serial: f64, duration: bool) -> String {
    let total_secs = (serial * 86_400.0).round() as i64;
    let (days, secs) = (total_secs.div_euclid(86_400), total_secs.rem_euclid(86_400));
    let hms = format!("{:02}:{:02}:{:02}", secs / 3600, secs / 60 % 60, secs % 60);
    if duration {
        return format!(
            "{}:{:02}:{:02}",
            total_secs / 3600,
            total_secs / 60 % 60,
            total_secs % 60
        );
    }
    if days == 0 {
        return hms;
    }
    // Serial 25569 is 1970-01-01. A serial beyond the calendar stays the number it is (and is
    // then refused where a date is read, as any text that is no date).
    let Some(date) = jiff::Span::new()
        .try_days(days - 25_569)
        .ok()
        .and_then(|span| Date::constant(1970, 1, 1).checked_add(span).ok())
        .map(|d| d.to_string())
    else {
        return serial.to_string();
    };
    if secs == 0 {
        date
    } else {
        format!("{date} {hms}")
    }
}

/// Which reader a mapped file needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sheet {
    Csv,
    Xlsx,
}

/// A record with its line (CSV) or row (xlsx) number, or why it could not be read.
pub type Row = (u64, Result<Vec<String>, String>);

/// The header and records of a mapped file: each record with its line (CSV) or row (xlsx)
/// number, or the reason it could not be read.
pub struct Records {
    pub header: Vec<String>,
    pub rows: Box<dyn Iterator<Item = Row>>,
}

/// Opens `name` (CSV: also `-` and `.gz`) as records.
pub fn read_records(name: &str, kind: Sheet, mapping: &Mapping) -> Result<Records, String> {
    match kind {
        Sheet::Csv => {
            let input = crate::open_input(name).map_err(|e| e.to_string())?;
            let reader = csv::ReaderBuilder::new()
                .delimiter(mapping.delimiter())
                .flexible(true)
                .has_headers(false)
                .from_reader(input.reader);
            let mut records = reader.into_byte_records();
            let header = match records.next() {
                Some(Ok(h)) => h
                    .iter()
                    .map(|f| {
                        String::from_utf8_lossy(f)
                            .trim_start_matches('\u{feff}')
                            .to_owned()
                    })
                    .collect(),
                Some(Err(e)) => return Err(format!("{name}: header: {e}")),
                None => return Err(format!("{name}: empty file, no header")),
            };
            // The last line read (the header first), for a read that fails without a position.
            let mut last = 1;
            let rows = records.map(move |r| match r {
                Ok(rec) => {
                    let line = rec.position().map_or(last + 1, csv::Position::line);
                    last = line;
                    let fields: Result<Vec<String>, String> = rec
                        .iter()
                        .enumerate()
                        .map(|(i, f)| {
                            std::str::from_utf8(f)
                                .map(str::to_owned)
                                .map_err(|_| format!("column {} is not UTF-8", i + 1))
                        })
                        .collect();
                    (line, fields)
                }
                Err(e) => {
                    let (line, reason) = crate::input::csv_read_error(&e, last);
                    (line, Err(reason))
                }
            });
            Ok(Records {
                header,
                rows: Box::new(rows),
            })
        }
        Sheet::Xlsx => {
            use calamine::Reader as _;
            let mut book =
                calamine::open_workbook_auto(name).map_err(|e| format!("{name}: {e}"))?;
            let sheet = match &mapping.format.sheet {
                Some(s) => s.clone(),
                None => book
                    .sheet_names()
                    .first()
                    .cloned()
                    .ok_or_else(|| format!("{name}: no sheet"))?,
            };
            let range = book
                .worksheet_range(&sheet)
                .map_err(|e| format!("{name}: sheet `{sheet}`: {e}"))?;
            let first_row = u64::from(range.start().map_or(0, |(r, _)| r)) + 1;
            let mut rows = range
                .rows()
                .map(|r| r.iter().map(cell_text).collect::<Vec<_>>());
            let header = rows
                .next()
                .ok_or_else(|| format!("{name}: sheet `{sheet}` is empty"))?;
            let body: Vec<Row> = rows
                .enumerate()
                .filter(|(_, r)| r.iter().any(|c| !c.trim().is_empty()))
                .map(|(i, r)| (first_row + 1 + i as u64, Ok(r)))
                .collect();
            Ok(Records {
                header,
                rows: Box::new(body.into_iter()),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_and_times() {
        assert_eq!(parse_duration("143"), Some(143.0));
        assert_eq!(parse_duration("00:02:23"), Some(143.0));
        assert_eq!(parse_duration("2:23"), Some(143.0));
        assert_eq!(parse_duration("-3"), None);
        assert_eq!(parse_time("7:02:47"), Time::new(7, 2, 47, 0).ok());
        assert_eq!(parse_time("25:00"), None);
        assert_eq!(
            parse_date("990201", Some("%y%m%d")),
            Some(Date::constant(1999, 2, 1))
        );
        assert_eq!(excel_serial_text(44197.0, false), "2021-01-01");
        assert_eq!(excel_serial_text(0.5, false), "12:00:00");
    }
}
