//! Day rollups: a question about whole days, answered from its aggregates per day.
//!
//! A question over contacts whose figures are all counts and sums (`count_if`, `count`,
//! `sum`), bucketed by day or coarser and cut by dimensions of the contact, adds up from the
//! same aggregates taken per day. The store keeps those day rows per question shape (keys,
//! filters, aggregates) and tenant, and takes each day again whenever that day's contacts
//! changed (see `ccpulse_store`'s rollups): a year's view then reads a few thousand rows
//! instead of every contact, and stays exact.

use std::fmt::Write as _;

use crate::query::{Bucket, ByItem, Dimension, KpiQuery};
use crate::sql::{filter_clauses, keys_of, outer_select, scale_of, value_of, CompiledMetric};

/// How a compiled question is answered from day rows.
#[derive(Debug, Clone, PartialEq)]
pub struct Rollup {
    /// Names the shape (keys, filters, aggregates): the same for every range and tenant.
    pub shape: String,
    /// Builds the rows of the days `{days}` (a list of `DATE '...'` literals) of one tenant:
    /// `tenant, day, k0.., a0..`; bound values in [`Rollup::build_params`].
    pub build_sql: String,
    pub build_params: Vec<String>,
    /// The question over the day rows in `{table}`; bound values in [`Rollup::params`].
    pub sql: String,
    pub params: Vec<String>,
    /// The range's first day and the day after its last, tenant-local (all days when none).
    pub from_day: Option<jiff::civil::Date>,
    pub to_day: Option<jiff::civil::Date>,
}

/// How an aggregate adds up across days.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Sum {
    /// A count: the days' counts add up, none is 0.
    Count,
    /// A sum: the days' sums add up, none is null.
    Sum,
}

/// Whether `sql` is one call of an aggregate that adds up across days (one call: not
/// `count(..) / count(..)`).
fn additive(sql: &str) -> Option<Sum> {
    use crate::drill::call;
    let sql = sql.trim();
    if sql.to_ascii_uppercase().contains("DISTINCT") || sql.contains(" OVER ") {
        None
    } else if call(sql, "count_if").is_some() || call(sql, "count").is_some() {
        Some(Sum::Count)
    } else if call(sql, "sum").is_some() {
        Some(Sum::Sum)
    } else {
        None
    }
}

/// Whether a `--by` item or filter is the same for every contact of a day.
fn day_level(item: ByItem) -> bool {
    match item {
        ByItem::Bucket(b) => !matches!(b, Bucket::Min15 | Bucket::Min30 | Bucket::Hour),
        ByItem::Dimension(d) => !matches!(
            d,
            Dimension::HourOfDay
                | Dimension::TimeOfDay
                | Dimension::WaitBand
                | Dimension::Anomaly
                | Dimension::ServiceChannel
                | Dimension::Team
        ),
    }
}

/// A whole day, or none: the day; anything else: not a question of whole days.
fn whole_day(t: Option<jiff::civil::DateTime>) -> Result<Option<jiff::civil::Date>, ()> {
    match t {
        None => Ok(None),
        Some(t) if t.time() == jiff::civil::Time::midnight() => Ok(Some(t.date())),
        Some(_) => Err(()),
    }
}

/// The day rollup of a question over plain `relation` with `metrics`, when it has one.
pub(crate) fn rollup_of(
    query: &KpiQuery,
    metrics: &[CompiledMetric],
    relation: &str,
) -> Option<Rollup> {
    if relation != "contacts"
        || !query.by.iter().all(|b| day_level(*b))
        || !query
            .filters
            .iter()
            .all(|f| day_level(ByItem::Dimension(f.dimension)))
    {
        return None;
    }
    let from_day = whole_day(query.from).ok()?;
    let to_day = whole_day(query.to).ok()?;
    // Each metric's numerator and denominator as day aggregates a0, a1, ...
    let mut aggs: Vec<String> = Vec::new();
    let mut sums: Vec<String> = Vec::new();
    let mut outs = Vec::new();
    for (i, m) in metrics.iter().enumerate() {
        for (part, sql) in [
            ("n", Some(&m.numerator_sql)),
            ("d", m.denominator_sql.as_ref()),
        ] {
            let Some(sql) = sql else {
                sums.push(format!("CAST(NULL AS DOUBLE) AS {part}{i}"));
                continue;
            };
            let a = aggs.len();
            let total = match additive(sql)? {
                Sum::Count => format!("coalesce(sum(a{a}), 0)"),
                Sum::Sum => format!("sum(a{a})"),
            };
            aggs.push(format!("{sql} AS a{a}"));
            sums.push(format!("{total} AS {part}{i}"));
        }
        let scale = scale_of(m);
        outs.push(value_of(i, m, &scale));
    }
    let (inner_keys, labels, _) = keys_of(query);
    let key_names: Vec<String> = (0..inner_keys.len()).map(|i| format!("k{i}")).collect();

    let mut build_params = vec![query.tenant.to_string()];
    let (filters, values) = filter_clauses(query.filters.iter());
    build_params.extend(values);
    let filters: Vec<String> = filters.iter().map(|f| format!(" AND {f}")).collect();
    let group: String = key_names.iter().map(|k| format!(", {k}")).collect();
    let build_sql = format!(
        "SELECT tenant, local_date AS day{}, {}\nFROM contacts\nWHERE tenant = ?{} AND local_date IN ({{days}})\nGROUP BY tenant, day{group}",
        inner_keys.iter().map(|k| format!(", {k}")).collect::<String>(),
        aggs.join(", "),
        filters.concat(),
    );
    // The shape names what the day rows hold, whatever the values bound to the filters.
    let shape = format!(
        "{:016x}",
        xxhash_rust::xxh3::xxh3_64(format!("{build_sql}\n{:?}", &build_params[1..]).as_bytes())
    );

    let mut params = vec![query.tenant.to_string()];
    let mut range = String::new();
    if let Some(d) = from_day {
        range.push_str(" AND day >= CAST(? AS DATE)");
        params.push(d.to_string());
    }
    if let Some(d) = to_day {
        range.push_str(" AND day < CAST(? AS DATE)");
        params.push(d.to_string());
    }
    let mut sql = String::from("WITH agg AS (\n  SELECT ");
    let select: Vec<String> = key_names.iter().cloned().chain(sums).collect();
    sql.push_str(&select.join(",\n         "));
    let _ = write!(sql, "\n  FROM {{table}}\n  WHERE tenant = ?{range}");
    if !key_names.is_empty() {
        let _ = write!(sql, "\n  GROUP BY {}", key_names.join(", "));
    }
    sql.push_str("\n)\nSELECT ");
    sql.push_str(&outer_select(
        &labels,
        &outs,
        metrics.len(),
        key_names.len(),
    ));
    Some(Rollup {
        shape,
        build_sql,
        build_params,
        sql,
        params,
        from_day,
        to_day,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_single_counts_and_sums_add_up() {
        assert_eq!(additive("count_if(is_inbound)"), Some(Sum::Count));
        assert_eq!(additive("count(CASE WHEN a THEN b END)"), Some(Sum::Count));
        assert_eq!(
            additive("sum(CASE WHEN (a) THEN wait_s END)"),
            Some(Sum::Sum)
        );
        assert_eq!(additive("count(DISTINCT customer)"), None);
        assert_eq!(additive("quantile_cont(wait_s, 0.9)"), None);
        assert_eq!(additive("avg(wait_s)"), None);
        assert_eq!(additive("sum(a) / sum(b)"), None);
        assert_eq!(additive("count_if(x IN ('a)', 'it''s'))"), Some(Sum::Count));
        assert_eq!(additive("count_if(a) + count_if(')')"), None);
    }
}
