//! Drill-down: the contacts behind a figure, and one contact whole with its timeline.

use ::duckdb::types::Value;
use ccpulse_metrics::drill::{compile_drill, Cell, CompiledDrill, DrillQuery, Drilled, FIELDS};
use ccpulse_metrics::Catalog;
use ccpulse_model::TenantId;

use crate::lists::{reveal_customer, Reveal};
use crate::{DuckDbStore, Result};

/// The columns of a contact's card beyond the drill-down fields.
pub(crate) const CARD_EXTRA: &[(&str, &str, bool)] = &[
    ("source", "source", false),
    ("entry_point", "entry_point", false),
    ("campaign", "campaign", false),
    (
        "ivr_start",
        "strftime(ivr_start, '%Y-%m-%dT%H:%M:%SZ')",
        false,
    ),
    ("ivr_end", "strftime(ivr_end, '%Y-%m-%dT%H:%M:%SZ')", false),
    (
        "ring_start",
        "strftime(ring_start, '%Y-%m-%dT%H:%M:%SZ')",
        false,
    ),
    (
        "wrap_up_end",
        "strftime(wrap_up_end, '%Y-%m-%dT%H:%M:%SZ')",
        false,
    ),
    ("ivr_s", "ivr_s", true),
    ("ring_s", "ring_s", true),
    ("transfers", "transfers", true),
    ("transfer_target", "transfer_target", false),
    (
        "transfer_correct",
        "CAST(transfer_correct AS VARCHAR)",
        false,
    ),
    ("survey_offered", "CAST(survey_offered AS VARCHAR)", false),
    ("survey_reason", "survey_reason", false),
    ("resolved_first", "CAST(resolved_first AS VARCHAR)", false),
];

/// A moment of a contact's life: from the events that built it, or from its own times.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Moment {
    /// UTC, RFC 3339.
    pub at: String,
    /// The event type (`queued`, `answered`, ...) or the moment's name (`arrived`, ...).
    pub kind: String,
    /// The event as it came (JSON text), for moments from the events API.
    pub body: Option<String>,
}

/// One contact whole: every field by name, and its timeline.
#[derive(Debug, Clone, PartialEq)]
pub struct ContactCard {
    pub fields: Vec<(&'static str, Cell)>,
    /// `events` when the timeline is the events that built the contact, `contact` when it
    /// is the contact's own times (imported records).
    pub timeline_source: &'static str,
    pub timeline: Vec<Moment>,
}

impl ContactCard {
    /// `{"contact": {field: value, ...}, "order": [field, ...], "timeline_source": ...,
    /// "timeline": [{at, kind, event?}]}`, an event's JSON as it came.
    pub fn to_json(&self) -> serde_json::Value {
        let contact: serde_json::Map<String, serde_json::Value> = self
            .fields
            .iter()
            .map(|(n, c)| ((*n).to_owned(), c.to_json()))
            .collect();
        let timeline: Vec<serde_json::Value> = self
            .timeline
            .iter()
            .map(|m| {
                let mut v = serde_json::json!({"at": m.at, "kind": m.kind});
                if let Some(body) = &m.body {
                    v["event"] = serde_json::from_str(body)
                        .unwrap_or_else(|_| serde_json::Value::String(body.clone()));
                }
                v
            })
            .collect();
        serde_json::json!({
            "contact": contact,
            "order": self.fields.iter().map(|(n, _)| *n).collect::<Vec<_>>(),
            "timeline_source": self.timeline_source,
            "timeline": timeline,
        })
    }
}

fn cell(v: Value, numeric: bool) -> Cell {
    #[allow(clippy::cast_precision_loss)]
    let num = |v: Value| match v {
        Value::Double(d) => Some(d),
        Value::Float(f) => Some(f64::from(f)),
        Value::Int(i) => Some(f64::from(i)),
        Value::BigInt(i) => Some(i as f64),
        Value::SmallInt(i) => Some(f64::from(i)),
        Value::TinyInt(i) => Some(f64::from(i)),
        _ => None,
    };
    if numeric {
        Cell::Num(num(v))
    } else {
        Cell::Text(match v {
            Value::Text(s) => Some(s),
            Value::Null => None,
            other => num(other).map(|n| n.to_string()),
        })
    }
}

/// How customers leave the store for one answer: `reveal` by the tenant's rule `keep`.
#[derive(Debug, Clone, Copy)]
struct Revealed {
    reveal: Reveal,
    keep: [usize; 2],
}

impl Revealed {
    fn customer(self, s: &str) -> String {
        reveal_customer(s, self.reveal, self.keep)
    }

    /// An event as it came, its `customer` as this answer may show it.
    fn event_body(self, body: String) -> String {
        if self.reveal == Reveal::Shown {
            return body;
        }
        match serde_json::from_str::<serde_json::Value>(&body) {
            Ok(mut v) => {
                if let Some(c) = v
                    .get("customer")
                    .and_then(|c| c.as_str())
                    .map(str::to_owned)
                {
                    v["customer"] = serde_json::Value::String(self.customer(&c));
                }
                v.to_string()
            }
            // Events are stored as JSON; anything else is not shown as it came.
            Err(_) => String::from("{}"),
        }
    }
}

/// Column `i` of a row as the field `name`, the customer as `r` allows.
fn field_of(
    row: &::duckdb::Row<'_>,
    i: usize,
    name: &str,
    numeric: bool,
    r: Revealed,
) -> Result<Cell> {
    Ok(match cell(row.get::<_, Value>(i)?, numeric) {
        Cell::Text(Some(s)) if name == "customer" => Cell::Text(Some(r.customer(&s))),
        other => other,
    })
}

impl DuckDbStore {
    /// The drill-down compiled with the tenant's settings, not run.
    pub fn compile_drill(&self, catalog: &Catalog, q: &DrillQuery) -> Result<CompiledDrill> {
        Ok(compile_drill(catalog, q, &self.settings_of(&q.tenant))?)
    }

    /// The contacts behind `q`'s figure: how many, and the page asked for; customers as
    /// `reveal` allows (masked by the tenant's rule).
    pub fn drill(&self, catalog: &Catalog, q: &DrillQuery, reveal: Reveal) -> Result<Drilled> {
        let c = self.compile_drill(catalog, q)?;
        let r = Revealed {
            reveal,
            keep: self.settings_of(&q.tenant).mask_keep,
        };
        let params = ::duckdb::params_from_iter(c.params.iter());
        let total: i64 = self.conn.query_row(&c.count_sql, params, |r| r.get(0))?;
        let mut stmt = self.conn.prepare(&c.rows_sql)?;
        let mut rows = stmt.query(::duckdb::params_from_iter(c.params.iter()))?;
        let mut out = Vec::new();
        while let Some(row) = rows.next()? {
            let mut cells = Vec::with_capacity(FIELDS.len());
            for (i, f) in FIELDS.iter().enumerate() {
                cells.push(field_of(row, i, f.name, f.numeric, r)?);
            }
            out.push(cells);
        }
        Ok(Drilled {
            total: u64::try_from(total).unwrap_or(0),
            rows: out,
        })
    }

    /// One contact of `tenant` with every field and its timeline; `None` when there is no
    /// such contact. The customer (in its fields and in the events that built it) as `reveal`
    /// allows.
    pub fn contact_card(
        &self,
        tenant: &TenantId,
        id: &str,
        reveal: Reveal,
    ) -> Result<Option<ContactCard>> {
        let r = Revealed {
            reveal,
            keep: self.settings_of(tenant).mask_keep,
        };
        let columns: Vec<(&'static str, &str, bool)> = FIELDS
            .iter()
            .map(|f| (f.name, f.sql, f.numeric))
            .chain(CARD_EXTRA.iter().copied())
            .collect();
        let sql = format!(
            "SELECT {} FROM contacts WHERE tenant = ? AND id = ?",
            columns
                .iter()
                .map(|(_, s, _)| *s)
                .collect::<Vec<_>>()
                .join(", ")
        );
        let mut stmt = self.conn.prepare(&sql)?;
        let mut rows = stmt.query(::duckdb::params![tenant.as_str(), id])?;
        let Some(row) = rows.next()? else {
            return Ok(None);
        };
        let mut fields = Vec::with_capacity(columns.len());
        for (i, (name, _, numeric)) in columns.iter().enumerate() {
            fields.push((*name, field_of(row, i, name, *numeric, r)?));
        }
        let mut events = self.timeline_events(tenant, id)?;
        for m in &mut events {
            m.body = m.body.take().map(|b| r.event_body(b));
        }
        let (timeline_source, timeline) = if events.is_empty() {
            ("contact", moments_of(&fields))
        } else {
            ("events", events)
        };
        Ok(Some(ContactCard {
            fields,
            timeline_source,
            timeline,
        }))
    }

    /// The logged events of a contact, in the order they happened.
    fn timeline_events(&self, tenant: &TenantId, id: &str) -> Result<Vec<Moment>> {
        let mut stmt = self.conn.prepare(
            "SELECT strftime(event_at, '%Y-%m-%dT%H:%M:%S.%fZ'), type, body FROM events
             WHERE tenant = ? AND contact_id = ? ORDER BY event_at, seq",
        )?;
        let rows = stmt.query_map(::duckdb::params![tenant.as_str(), id], |r| {
            Ok(Moment {
                at: r.get(0)?,
                kind: r.get(1)?,
                body: r.get(2)?,
            })
        })?;
        Ok(rows.collect::<std::result::Result<_, _>>()?)
    }
}

/// A contact's own times as its timeline, in order.
pub(crate) fn moments_of(fields: &[(&'static str, Cell)]) -> Vec<Moment> {
    const MOMENTS: &[&str] = &[
        "arrived_at",
        "ivr_start",
        "ivr_end",
        "queued_at",
        "ring_start",
        "answered_at",
        "ended_at",
        "wrap_up_end",
    ];
    let mut out: Vec<Moment> = MOMENTS
        .iter()
        .filter_map(|m| {
            let (_, c) = fields.iter().find(|(n, _)| n == m)?;
            let Cell::Text(Some(at)) = c else { return None };
            Some(Moment {
                at: at.clone(),
                kind: m.trim_end_matches("_at").to_owned(),
                body: None,
            })
        })
        .collect();
    // Same-second moments keep the contact's order (a stable sort).
    out.sort_by(|a, b| a.at.cmp(&b.at));
    out
}
