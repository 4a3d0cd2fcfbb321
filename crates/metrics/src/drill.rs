//! Drill-down: the contacts behind a figure.
//!
//! A contact metric is an aggregate over rows (`count_if(p)`, `sum(CASE WHEN p THEN x END)`,
//! `count(*)`, ...). The contacts a part of it (numerator or denominator) counted are the
//! rows that contribute to that aggregate: `p` for `count_if(p)`, `p AND x IS NOT NULL` for
//! an aggregate of `CASE WHEN p THEN x END`, `x IS NOT NULL` for an aggregate of `x`. The
//! predicate is read from the metric's own compiled SQL ([`rows_of`]), so it is never written
//! a second time: a metric changed in the catalog drills to what it now counts.

use crate::query::{parse_scope, ByItem, Filter, KpiQuery, TenantSettings};
use crate::sql::{relation_for, resolve, where_of, CompiledMetric, Reads};
use crate::{Catalog, MetricSpec, QueryError, Table};
use ccpulse_model::TenantId;
use serde_json::{json, Map, Value};

/// The most contacts one page may hold.
pub const MAX_LIMIT: usize = 10_000;
/// A page's contacts unless told otherwise.
pub const DEFAULT_LIMIT: usize = 50;

/// Which side of a metric's division to drill into.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Part {
    /// What the metric counts or sums (a count metric has only this).
    #[default]
    Numerator,
    /// What a ratio or an average divides by.
    Denominator,
}

impl Part {
    /// `numerator` or `denominator`.
    pub fn parse(text: &str) -> Result<Self, QueryError> {
        match text {
            "numerator" => Ok(Self::Numerator),
            "denominator" => Ok(Self::Denominator),
            other => Err(QueryError::Unsupported(format!(
                "part `{other}`: use numerator or denominator"
            ))),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Numerator => "numerator",
            Self::Denominator => "denominator",
        }
    }
}

/// One field of a drilled contact: its key in JSON and CSV, its SQL over `contacts`, and
/// whether it holds a number.
pub struct Field {
    pub name: &'static str,
    pub sql: &'static str,
    pub numeric: bool,
}

const fn text(name: &'static str, sql: &'static str) -> Field {
    Field {
        name,
        sql,
        numeric: false,
    }
}

const fn number(name: &'static str, sql: &'static str) -> Field {
    Field {
        name,
        sql,
        numeric: true,
    }
}

/// The fields of a drilled contact, in output order. Times are UTC (`...Z`) except `time`,
/// the tenant-local arrival that buckets and ranges use.
pub const FIELDS: &[Field] = &[
    text("id", "id"),
    text("time", "strftime(local_ts, '%Y-%m-%d %H:%M:%S')"),
    text("arrived_at", "strftime(arrived_at, '%Y-%m-%dT%H:%M:%SZ')"),
    text("queued_at", "strftime(queued_at, '%Y-%m-%dT%H:%M:%SZ')"),
    text("answered_at", "strftime(answered_at, '%Y-%m-%dT%H:%M:%SZ')"),
    text("ended_at", "strftime(ended_at, '%Y-%m-%dT%H:%M:%SZ')"),
    text("channel", "channel"),
    text("direction", "direction"),
    text("queue", "queue"),
    text("agent", "agent"),
    text("customer", "customer"),
    text("region", "region"),
    text("business_line", "business_line"),
    text("category", "category"),
    text("business_type", "business_type"),
    text("outcome", "outcome"),
    text("exit_reason", "exit_reason"),
    number("wait_s", "wait_s"),
    number("talk_s", "talk_s"),
    number("hold_s", "hold_s"),
    number("acw_s", "acw_s"),
    number("handle_s", "handle_s"),
    text("survey_score", "survey_score"),
    number("survey_rating", "survey_rating"),
    number("qa_score", "qa_score"),
    number("marketing_attempts", "marketing_attempts"),
    number("marketing_successes", "marketing_successes"),
];

/// The field named `name`.
pub fn field(name: &str) -> Option<&'static Field> {
    FIELDS.iter().find(|f| f.name == name)
}

/// An order of the contacts: a field, ascending or descending (`-wait_s`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sort {
    pub field: &'static str,
    pub descending: bool,
}

impl Sort {
    /// `FIELD` or `-FIELD`, a field of [`FIELDS`]; nothing else reaches the SQL.
    pub fn parse(text: &str) -> Result<Self, QueryError> {
        let (descending, name) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let f = field(name).ok_or_else(|| {
            QueryError::Unsupported(format!(
                "sort `{text}`: not a field (fields: {}; `-` before one sorts descending)",
                FIELDS.iter().map(|f| f.name).collect::<Vec<_>>().join(", ")
            ))
        })?;
        Ok(Self {
            field: f.name,
            descending,
        })
    }

    fn sql(self) -> String {
        let column = if self.field == "time" {
            "local_ts"
        } else {
            field(self.field).map_or("local_ts", |f| f.sql)
        };
        let dir = if self.descending { "DESC" } else { "ASC" };
        format!("{column} {dir} NULLS LAST, local_ts, id")
    }
}

/// A drill-down question: the contacts behind one part of one metric over a tenant, range
/// and filters, a page of them in an order.
#[derive(Debug, Clone, PartialEq)]
pub struct DrillQuery {
    pub tenant: TenantId,
    pub metric: MetricSpec,
    pub part: Part,
    pub from: Option<jiff::civil::DateTime>,
    pub to: Option<jiff::civil::DateTime>,
    pub filters: Vec<Filter>,
    pub sort: Option<Sort>,
    pub limit: usize,
    pub offset: usize,
}

/// A drill-down question as text, the way the command line and the API receive it.
#[derive(Debug, Clone, Copy, Default)]
pub struct DrillText<'a> {
    pub metric: &'a str,
    pub part: Option<&'a str>,
    pub from: Option<&'a str>,
    pub to: Option<&'a str>,
    pub filters: &'a [String],
    pub sort: Option<&'a str>,
    pub limit: Option<&'a str>,
    pub offset: Option<&'a str>,
}

impl DrillQuery {
    /// Reads a question given as text; every error says which part is wrong.
    pub fn parse(tenant: TenantId, text: &DrillText<'_>) -> Result<Self, QueryError> {
        let count = |what: &str, v: Option<&str>, default: usize| -> Result<usize, QueryError> {
            v.map_or(Ok(default), |v| {
                v.trim().parse::<usize>().map_err(|_| {
                    QueryError::Unsupported(format!("{what} `{v}`: expected a whole number"))
                })
            })
        };
        let limit = count("limit", text.limit, DEFAULT_LIMIT)?;
        if limit == 0 || limit > MAX_LIMIT {
            return Err(QueryError::Unsupported(format!(
                "limit {limit}: a page holds 1 to {MAX_LIMIT} contacts (use offset for more)"
            )));
        }
        let (from, to, filters) = parse_scope(text.from, text.to, text.filters)?;
        Ok(Self {
            tenant,
            metric: MetricSpec::parse(text.metric.trim())?,
            part: text.part.map(Part::parse).transpose()?.unwrap_or_default(),
            from,
            to,
            filters,
            sort: text.sort.map(Sort::parse).transpose()?,
            limit,
            offset: count("offset", text.offset, 0)?,
        })
    }

    /// The KPI question whose figure this drills into.
    pub fn kpi_question(&self) -> KpiQuery {
        KpiQuery {
            tenant: self.tenant.clone(),
            metrics: vec![self.metric.clone()],
            by: Vec::<ByItem>::new(),
            from: self.from,
            to: self.to,
            filters: self.filters.clone(),
            fill: false,
        }
    }
}

/// A drill-down compiled: the count and the page, with their bound values.
#[derive(Debug, Clone, PartialEq)]
pub struct CompiledDrill {
    pub metric: CompiledMetric,
    /// The SQL predicate of the rows the part counts.
    pub predicate: String,
    /// `SELECT count(*)` of those rows.
    pub count_sql: String,
    /// The page: the columns of [`FIELDS`] in order.
    pub rows_sql: String,
    /// Values for the `?` placeholders of both (the page adds none: limit and offset are
    /// written in as numbers).
    pub params: Vec<String>,
}

/// Compiles a drill-down for the tenant's `settings`.
pub fn compile_drill(
    catalog: &Catalog,
    q: &DrillQuery,
    settings: &TenantSettings,
) -> Result<CompiledDrill, QueryError> {
    compile_drill_for(catalog, q, settings, crate::Dialect::DuckDb)
}

/// Compiles a drill-down for the tenant's `settings` in `dialect`.
pub fn compile_drill_for(
    catalog: &Catalog,
    q: &DrillQuery,
    settings: &TenantSettings,
    dialect: crate::Dialect,
) -> Result<CompiledDrill, QueryError> {
    let metric = resolve(catalog, &q.metric, settings)?;
    let cannot = |why: &str| {
        QueryError::Unsupported(format!(
            "metric `{}` cannot be drilled to contacts: {why}",
            q.metric.written
        ))
    };
    let (aggregate, table) = match q.part {
        Part::Numerator => (metric.numerator_sql.as_str(), metric.table),
        Part::Denominator => (
            metric
                .denominator_sql
                .as_deref()
                .ok_or_else(|| cannot("it has no denominator"))?,
            metric.denominator_table,
        ),
    };
    if table != Table::Contacts {
        return Err(cannot(&format!(
            "its {} is computed over {}, not contacts",
            q.part.name(),
            table.as_str()
        )));
    }
    let predicate = rows_of(aggregate)
        .ok_or_else(|| cannot("its aggregate is not a count or a sum over contacts"))?;
    let question = q.kpi_question();
    let reads = Reads::of(std::slice::from_ref(&metric), Table::Contacts);
    let order = q.sort.map_or_else(|| "local_ts, id".to_owned(), Sort::sql);
    if dialect == crate::Dialect::ClickHouse {
        let (relation, where_sql) =
            crate::clickhouse::relation_and_where(&question, &reads, settings)?;
        let predicate = crate::clickhouse::expr(&predicate)?;
        let wheres = format!("{where_sql} AND ({predicate})");
        let columns = FIELDS
            .iter()
            .map(|f| crate::clickhouse::expr(f.sql))
            .collect::<Result<Vec<_>, _>>()?;
        let order = crate::clickhouse::expr(&order)?;
        return Ok(CompiledDrill {
            count_sql: format!("SELECT count() FROM {relation} WHERE {wheres}"),
            rows_sql: format!(
                "SELECT {} FROM {relation} WHERE {wheres} ORDER BY {order} LIMIT {} OFFSET {}",
                columns.join(", "),
                q.limit,
                q.offset
            ),
            metric,
            predicate,
            params: Vec::new(),
        });
    }
    let relation = relation_for(Table::Contacts, &question, &reads, settings)?;
    let (where_sql, params) = where_of(&question);
    let wheres = format!("{where_sql} AND ({predicate})");
    let columns: Vec<&str> = FIELDS.iter().map(|f| f.sql).collect();
    Ok(CompiledDrill {
        count_sql: format!("SELECT count(*) FROM {relation} WHERE {wheres}"),
        rows_sql: format!(
            "SELECT {} FROM {relation} WHERE {wheres} ORDER BY {order} LIMIT {} OFFSET {}",
            columns.join(", "),
            q.limit,
            q.offset
        ),
        metric,
        predicate,
        params,
    })
}

/// A value of a drilled contact's field.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(Option<String>),
    Num(Option<f64>),
}

impl Cell {
    /// As JSON: null for nothing, whole numbers as integers.
    pub fn to_json(&self) -> Value {
        match self {
            Cell::Text(t) => t.as_ref().map_or(Value::Null, |t| json!(t)),
            Cell::Num(n) => crate::json_value(*n, crate::Unit::Count),
        }
    }

    /// As text for a table or CSV: empty for nothing.
    pub fn text(&self) -> String {
        match self.to_json() {
            Value::Null => String::new(),
            Value::String(s) => s,
            other => other.to_string(),
        }
    }
}

/// A page of drilled contacts and how many there are in all.
#[derive(Debug, Clone, PartialEq)]
pub struct Drilled {
    pub total: u64,
    /// One per contact, the fields of [`FIELDS`] in order.
    pub rows: Vec<Vec<Cell>>,
}

impl Drilled {
    /// `{"total": N, "rows": [{field: value, ...}]}`.
    pub fn to_json(&self) -> Value {
        let rows: Vec<Value> = self
            .rows
            .iter()
            .map(|r| {
                let obj: Map<String, Value> = FIELDS
                    .iter()
                    .zip(r)
                    .map(|(f, c)| (f.name.to_owned(), c.to_json()))
                    .collect();
                Value::Object(obj)
            })
            .collect();
        json!({ "total": self.total, "rows": rows })
    }

    /// A header of the field names, then a line per contact.
    pub fn to_csv(&self) -> Result<String, csv::Error> {
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record(FIELDS.iter().map(|f| f.name))?;
        for r in &self.rows {
            w.write_record(r.iter().map(Cell::text))?;
        }
        let bytes = w
            .into_inner()
            .map_err(|e| csv::Error::from(e.into_error()))?;
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }
}

/// The predicate of the rows an aggregate counts, read from its SQL; `None` for an
/// expression that is not one aggregate of rows (a CASE over aggregates, say).
pub fn rows_of(aggregate: &str) -> Option<String> {
    let a = aggregate.trim();
    // coalesce(AGG, 0): the rows of AGG.
    if let Some(inner) = call(a, "coalesce") {
        let args = split_args(inner);
        return match args.as_slice() {
            [agg, zero] if zero.trim() == "0" => rows_of(agg),
            _ => None,
        };
    }
    if let Some(inner) = call(a, "count_if") {
        return Some(inner.trim().to_owned());
    }
    for f in [
        "count",
        "sum",
        "max",
        "min",
        "avg",
        "quantile_cont",
        "median",
    ] {
        let Some(inner) = call(a, f) else { continue };
        let args = split_args(inner);
        let first = args.first()?.trim();
        if f == "count" && first == "*" {
            return Some("TRUE".to_owned());
        }
        let value = first.strip_prefix("DISTINCT ").unwrap_or(first).trim();
        return Some(match case_when(value) {
            Some((when, then)) => format!("({when}) AND ({then}) IS NOT NULL"),
            None => format!("({value}) IS NOT NULL"),
        });
    }
    None
}

/// `inner` when `text` is exactly `name(inner)`, its opening parenthesis closed by the last
/// character.
pub(crate) fn call<'a>(text: &'a str, name: &str) -> Option<&'a str> {
    let rest = text.strip_prefix(name)?.strip_prefix('(')?;
    let inner = rest.strip_suffix(')')?;
    (closing(rest) == Some(rest.len() - 1)).then_some(inner)
}

/// The byte index in `text` of the `)` that closes an already open parenthesis, skipping
/// quoted strings.
fn closing(text: &str) -> Option<usize> {
    let mut depth = 1usize;
    let mut quoted = false;
    for (i, c) in text.char_indices() {
        match c {
            '\'' => quoted = !quoted,
            '(' if !quoted => depth += 1,
            ')' if !quoted => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
    }
    None
}

/// The arguments of a call, split at top-level commas.
fn split_args(inner: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut depth, mut quoted, mut start) = (0usize, false, 0usize);
    for (i, c) in inner.char_indices() {
        match c {
            '\'' => quoted = !quoted,
            '(' if !quoted => depth += 1,
            ')' if !quoted => depth = depth.saturating_sub(1),
            ',' if !quoted && depth == 0 => {
                out.push(&inner[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&inner[start..]);
    out
}

/// `(p, x)` for `CASE WHEN p THEN x END` with one branch and no ELSE.
fn case_when(text: &str) -> Option<(&str, &str)> {
    let body = text.strip_prefix("CASE WHEN ")?.strip_suffix(" END")?;
    let (when, then) = body.split_once(" THEN ")?;
    let nested = |s: &str| s.contains("CASE ") || s.contains(" WHEN ") || s.contains(" ELSE ");
    (!nested(when) && !nested(then)).then_some((when.trim(), then.trim()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rows_of_each_aggregate_form() {
        assert_eq!(rows_of("count(*)").as_deref(), Some("TRUE"));
        assert_eq!(
            rows_of("count_if((is_inbound) AND wait_s <= 20)").as_deref(),
            Some("(is_inbound) AND wait_s <= 20")
        );
        assert_eq!(
            rows_of("sum(CASE WHEN (is_answered) THEN wait_s END)").as_deref(),
            Some("((is_answered)) AND (wait_s) IS NOT NULL")
        );
        assert_eq!(
            rows_of("coalesce(sum(CASE WHEN x THEN talk_s END), 0)").as_deref(),
            Some("(x) AND (talk_s) IS NOT NULL")
        );
        assert_eq!(
            rows_of("quantile_cont(CASE WHEN a THEN wait_s END, 0.9)").as_deref(),
            Some("(a) AND (wait_s) IS NOT NULL")
        );
        assert_eq!(
            rows_of("count(DISTINCT customer)").as_deref(),
            Some("(customer) IS NOT NULL")
        );
        assert_eq!(
            rows_of("sum(qa_score)").as_deref(),
            Some("(qa_score) IS NOT NULL")
        );
        // Not one aggregate of rows.
        assert_eq!(rows_of("count_if(a) + count_if(b)"), None);
        assert_eq!(rows_of("sum(a) / nullif(count(b), 0)"), None);
        assert_eq!(
            rows_of("CASE WHEN x = 'idle' THEN 1 ELSE sum(secs) END"),
            None
        );
        // A quoted parenthesis does not close anything.
        assert_eq!(
            rows_of("count_if(reason = ')')").as_deref(),
            Some("reason = ')'")
        );
    }

    #[test]
    fn sort_names_only_fields_and_limits_are_bounded() {
        assert_eq!(
            Sort::parse("-wait_s").expect("sort"),
            Sort {
                field: "wait_s",
                descending: true
            }
        );
        assert!(Sort::parse("wait_s; DROP TABLE contacts").is_err());
        assert!(Sort::parse("1").is_err());
        let tenant = TenantId::new("t").expect("tenant");
        let text = |limit| DrillText {
            metric: "abandoned",
            limit,
            ..DrillText::default()
        };
        assert_eq!(
            DrillQuery::parse(tenant.clone(), &text(None))
                .expect("default")
                .limit,
            DEFAULT_LIMIT
        );
        assert!(DrillQuery::parse(tenant.clone(), &text(Some("10001"))).is_err());
        assert!(DrillQuery::parse(tenant, &text(Some("-1"))).is_err());
    }
}
