//! The ClickHouse dialect: the same catalog and questions compiled to SQL that ClickHouse
//! runs, down to the version Debian ships (18.16).
//!
//! What differs from DuckDB's SQL, and how this module writes it:
//! - no common table expressions in 18.16: the aggregate is a subquery;
//! - `count_if` is `countIf`; `true` / `false` are `1` / `0` (booleans are `UInt8`); `//` starts
//!   a comment (integer division is `intDiv`); no `printf` / `lpad` (labels are built with
//!   `concat` and two-digit padding by `substring(toString(100 + x), 2, 2)`);
//! - `quantile_cont` (linear interpolation between the two nearest values) has no exact
//!   equivalent in 18.16 (`quantileExact` takes the upper value; `quantileExactInclusive` came
//!   later): it is computed from the sorted values, with the same formula as DuckDB's;
//! - the HTTP interface of 18.16 binds no parameters: values are quoted literals;
//! - contacts live in a `ReplacingMergeTree` (a contact written again is a new version of the
//!   same (tenant, id)): every read says `FINAL`, so each contact counts once, as in DuckDB.

use std::fmt::Write as _;

use crate::query::{Bucket, ByItem, Dimension, KpiQuery, TenantSettings};
use crate::sql::{resolve, scale_of, value_of, CompiledQuery, OutputKind, Reads};
use crate::{Catalog, QueryError, Table};

/// A value as a ClickHouse string literal.
pub fn literal(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('\'');
    for c in value.chars() {
        match c {
            '\'' => out.push_str("\\'"),
            '\\' => out.push_str("\\\\"),
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

fn unsupported(what: &str) -> QueryError {
    QueryError::Unsupported(format!(
        "{what} is not available on the ClickHouse store yet"
    ))
}

/// Where the single-quoted string starting at `start` ends (the index after its closing quote).
fn string_end(bytes: &[u8], start: usize) -> usize {
    let mut i = start + 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'\'' if bytes.get(i + 1) == Some(&b'\'') => i += 2,
            b'\'' => return i + 1,
            _ => i += 1,
        }
    }
    bytes.len()
}

/// The index of the `)` closing the `(` at `open`, and the top-level arguments between.
fn arguments(sql: &str, open: usize) -> Option<(usize, Vec<&str>)> {
    let bytes = sql.as_bytes();
    let mut depth = 0usize;
    let mut args = Vec::new();
    let mut from = open + 1;
    let mut i = open;
    while i < bytes.len() {
        match bytes[i] {
            b'\'' => {
                i = string_end(bytes, i);
                continue;
            }
            b'(' => depth += 1,
            b')' => {
                depth -= 1;
                if depth == 0 {
                    args.push(sql[from..i].trim());
                    return Some((i, args));
                }
            }
            b',' if depth == 1 => {
                args.push(sql[from..i].trim());
                from = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// DuckDB's `quantile_cont(x, p)`: the sorted values' linear interpolation at `p * (n - 1)`;
/// null without values.
fn quantile_cont(x: &str, p: &str) -> String {
    let s = format!("arraySort(groupArray(toFloat64({x})))");
    let h = format!("({p}) * (length({s}) - 1)");
    let lo = format!("{s}[toUInt64(floor({h})) + 1]");
    let hi = format!("{s}[toUInt64(ceil({h})) + 1]");
    format!("if(length({s}) = 0, NULL, {lo} + ({h} - floor({h})) * ({hi} - {lo}))")
}

/// A catalog expression (DuckDB's SQL) in ClickHouse's: functions renamed, boolean literals
/// as numbers, `quantile_cont` interpolated by hand. Fails on what has no translation here.
pub fn expr(sql: &str) -> Result<String, QueryError> {
    let bytes = sql.as_bytes();
    let mut out = String::with_capacity(sql.len() + 16);
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        if c == b'\'' {
            let end = string_end(bytes, i);
            // DuckDB doubles a quote inside a string; ClickHouse reads that too.
            out.push_str(&sql[i..end]);
            i = end;
        } else if c.is_ascii_alphabetic() || c == b'_' {
            let start = i;
            while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                i += 1;
            }
            let word = &sql[start..i];
            let mut j = i;
            while j < bytes.len() && bytes[j] == b' ' {
                j += 1;
            }
            let call = bytes.get(j) == Some(&b'(');
            match (word.to_ascii_lowercase().as_str(), call) {
                ("count_if", true) => out.push_str("countIf"),
                ("quantile_cont", true) => {
                    let (close, args) = arguments(sql, j)
                        .ok_or_else(|| unsupported("an unclosed quantile_cont("))?;
                    let [x, p] = args.as_slice() else {
                        return Err(unsupported("quantile_cont with other than two arguments"));
                    };
                    out.push_str(&quantile_cont(&expr(x)?, &expr(p)?));
                    i = close + 1;
                }
                ("true", false) => out.push('1'),
                ("false", false) => out.push('0'),
                // The same argument order and, for the formats ccpulse writes (%Y %m %d %H
                // %M %S), the same codes.
                ("strftime", true) => out.push_str("formatDateTime"),
                ("ilike" | "epoch_us" | "printf" | "lpad" | "list", _) => {
                    return Err(unsupported(&format!("SQL `{word}`")));
                }
                _ => out.push_str(word),
            }
        } else if c == b'/' && bytes.get(i + 1) == Some(&b'/') {
            return Err(unsupported("integer division `//` in a catalog expression"));
        } else if c == b':' && bytes.get(i + 1) == Some(&b':') {
            return Err(unsupported("a `::` cast in a catalog expression"));
        } else {
            let ch = sql[i..].chars().next().unwrap_or(' ');
            out.push(ch);
            i += ch.len_utf8();
        }
    }
    Ok(out)
}

/// The metrics' numerators and denominators in ClickHouse's SQL.
fn translate(metrics: &mut [crate::sql::CompiledMetric]) -> Result<(), QueryError> {
    for m in metrics {
        m.numerator_sql = expr(&m.numerator_sql)?;
        m.denominator_sql = m.denominator_sql.as_deref().map(expr).transpose()?;
    }
    Ok(())
}

/// The value column `v{i}` of metric `m` (DuckDB's, its casts nullable: a NULL cast to a
/// plain type is an error in ClickHouse, not a NULL).
fn value_column(i: usize, m: &crate::sql::CompiledMetric) -> String {
    value_of(i, m, &scale_of(m)).replace(" AS DOUBLE)", " AS Nullable(Float64))")
}

/// A metric without a denominator has a NULL one.
const NO_DENOMINATOR: &str = "CAST(NULL AS Nullable(Float64))";

/// Two digits, zero-padded, of a small non-negative integer expression.
fn pad2(x: &str) -> String {
    format!("substring(toString(100 + {x}), 2, 2)")
}

/// The column (or expression) holding a dimension.
fn dimension_column(d: Dimension) -> String {
    match d {
        Dimension::HourOfDay => "local_hour".to_owned(),
        Dimension::Weekday => "local_weekday".to_owned(),
        Dimension::Province => {
            "if(region IS NULL, NULL, splitByChar('/', assumeNotNull(region))[1])".to_owned()
        }
        Dimension::TimeOfDay => format!(
            "concat({}, ':', {})",
            pad2("intDiv(local_slot, 4)"),
            pad2("(local_slot % 4) * 15")
        ),
        other => other.name().to_owned(),
    }
}

/// The raw key expressions of a `--by` item and its label over the key aliases `keys`.
fn by_sql(item: ByItem, keys: &[String]) -> (Vec<String>, String, OutputKind) {
    let k = |i: usize| keys.get(i).map_or("NULL", String::as_str).to_owned();
    let hhmm = |hh: String, mm: String| {
        format!(
            "concat(formatDateTime({}, '%Y-%m-%d'), 'T', {}, ':', {})",
            k(0),
            pad2(&hh),
            pad2(&mm)
        )
    };
    let year_and = |sep: &str, divisor: u32, rest: String| {
        format!(
            "concat(toString(intDiv({0}, {divisor})), '{sep}', {rest})",
            k(0)
        )
    };
    let owned = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
    match item {
        ByItem::Bucket(b) => {
            let (raw, label) = match b {
                Bucket::Min15 => (
                    owned(&["local_date", "local_slot"]),
                    hhmm(
                        format!("intDiv({}, 4)", k(1)),
                        format!("({} % 4) * 15", k(1)),
                    ),
                ),
                Bucket::Min30 => (
                    owned(&["local_date", "intDiv(local_slot, 2)"]),
                    hhmm(
                        format!("intDiv({}, 2)", k(1)),
                        format!("({} % 2) * 30", k(1)),
                    ),
                ),
                Bucket::Hour => (
                    owned(&["local_date", "local_hour"]),
                    hhmm(k(1), "0".to_owned()),
                ),
                Bucket::Day => (
                    owned(&["local_date"]),
                    format!("formatDateTime({}, '%Y-%m-%d')", k(0)),
                ),
                Bucket::Week => (
                    owned(&["local_week"]),
                    year_and("-W", 100, pad2(&format!("{} % 100", k(0)))),
                ),
                Bucket::Month => (
                    owned(&["local_month"]),
                    year_and("-", 100, pad2(&format!("{} % 100", k(0)))),
                ),
                Bucket::Quarter => (
                    owned(&[
                        "intDiv(local_month, 100) * 10 + intDiv(local_month % 100 - 1, 3) + 1",
                    ]),
                    year_and("-Q", 10, format!("toString({} % 10)", k(0))),
                ),
                Bucket::Year => (
                    owned(&["intDiv(local_month, 100)"]),
                    format!("toString({})", k(0)),
                ),
            };
            (raw, label, OutputKind::Text)
        }
        ByItem::Dimension(Dimension::TimeOfDay) => (
            owned(&["local_slot"]),
            format!(
                "concat({}, ':', {})",
                pad2(&format!("intDiv({}, 4)", k(0))),
                pad2(&format!("({} % 4) * 15", k(0)))
            ),
            OutputKind::Text,
        ),
        ByItem::Dimension(Dimension::WaitBand) => (
            owned(&["wait_band_no", "wait_band"]),
            k(1),
            OutputKind::Text,
        ),
        ByItem::Dimension(d) => {
            let kind = if d.is_numeric() {
                OutputKind::Integer
            } else {
                OutputKind::Text
            };
            (vec![dimension_column(d)], k(0), kind)
        }
    }
}

/// The wait band columns (see the DuckDB dialect's): `wait_band_no` and `wait_band`.
fn wait_band_columns(settings: &TenantSettings) -> String {
    let mut no = String::from("multiIf(wait_s IS NULL, NULL");
    let mut label = no.clone();
    let mut lower = "0".to_owned();
    for (i, b) in settings.wait_bands.iter().enumerate() {
        let upper = crate::sql::fmt_num(*b);
        let _ = write!(no, ", wait_s < {upper}, {i}");
        let _ = write!(label, ", wait_s < {upper}, '{lower}-{upper}'");
        lower = upper;
    }
    let _ = write!(no, ", {}) AS wait_band_no", settings.wait_bands.len());
    let _ = write!(label, ", '{lower}+') AS wait_band");
    format!("{no}, {label}")
}

/// A voice contact's self service was a voice bot: its entry point or source says so (the
/// DuckDB dialect's `VOICE_BOT`, with `ILIKE` and `contains` as ClickHouse has them).
const VOICE_BOT: &str = "(positionCaseInsensitiveUTF8(ifNull(entry_point, ''), 'bot') > 0 \
    OR positionCaseInsensitiveUTF8(ifNull(source, ''), 'bot') > 0 \
    OR position(ifNull(entry_point, ''), '机器人') > 0 OR position(ifNull(entry_point, ''), '智能语音') > 0 \
    OR position(ifNull(source, ''), '机器人') > 0 OR position(ifNull(source, ''), '智能语音') > 0)";

/// The channel that served a contact last (the DuckDB dialect's `SERVED_BY`).
fn served_by() -> String {
    format!(
        "multiIf(channel <> 'voice', channel, reached_queue, 'agent', \
         ivr_start IS NOT NULL OR ifNull(outcome = 'self_service', 0), \
         if({VOICE_BOT}, 'voice_bot', 'ivr'), 'agent')"
    )
}

/// Inbound contacts once per service channel they used (see [`Table::ChannelLegs`]).
fn channel_legs_relation(
    query: &KpiQuery,
    reads: &Reads,
    settings: &TenantSettings,
) -> Result<String, QueryError> {
    let base = contacts_with(query, reads, settings, false)?;
    Ok(format!(
        "(SELECT *, if({VOICE_BOT}, 'voice_bot', 'ivr') AS service_channel,
          outcome = 'self_service' AND NOT reached_queue AS resolved_here
   FROM {base} WHERE is_inbound AND channel = 'voice'
     AND (ivr_start IS NOT NULL OR outcome = 'self_service')
   UNION ALL
   SELECT *, if(channel = 'voice', 'agent', channel) AS service_channel,
          is_answered AND transfers = 0 AND ifNull(resolved_first, 1) AS resolved_here
   FROM {base} WHERE is_inbound AND (reached_queue OR channel <> 'voice'))"
    ))
}

/// The contacts a question reads, each once (`FINAL`), with the columns it needs.
fn contacts_relation(
    query: &KpiQuery,
    reads: &Reads,
    settings: &TenantSettings,
) -> Result<String, QueryError> {
    contacts_with(query, reads, settings, true)
}

/// The contacts with the columns the question needs; `service_channel` with `served`.
fn contacts_with(
    query: &KpiQuery,
    reads: &Reads,
    settings: &TenantSettings,
    served: bool,
) -> Result<String, QueryError> {
    if query.uses(Dimension::Team) {
        return Err(unsupported("cutting by team"));
    }
    if reads.repeat_days.is_some() {
        return Err(unsupported("a repeat-contact metric"));
    }
    if reads.schedule {
        return Err(unsupported("a metric against the agents' schedules"));
    }
    let mut extra = Vec::new();
    if served && query.uses(Dimension::ServiceChannel) {
        extra.push(format!("{} AS service_channel", served_by()));
    }
    if query.uses(Dimension::WaitBand) {
        extra.push(wait_band_columns(settings));
    }
    let anomaly = query.uses(Dimension::Anomaly);
    if anomaly || reads.talk_p95 {
        // The queue's 95th percentile of talk over the 30 days where the range ends (or the
        // tenant's data ends), joined by queue (a missing queue is a queue of its own, as
        // DuckDB's IS NOT DISTINCT FROM has it).
        let tenant = literal(query.tenant.as_str());
        let end = query.to.map_or_else(
            || format!("(SELECT max(local_ts) + 1 FROM contacts FINAL WHERE tenant = {tenant})"),
            |to| {
                format!(
                    "toDateTime({}, 'UTC')",
                    literal(&to.strftime("%Y-%m-%d %H:%M:%S").to_string())
                )
            },
        );
        let key = "ifNull(queue, '\\0') AS queue_key";
        let own: String = extra.iter().map(|e| format!(", {e}")).collect();
        let joined = format!(
            "(SELECT * FROM (SELECT *{own}, {key} FROM contacts FINAL)
   ANY LEFT JOIN (SELECT {key}, {} AS talk_p95 FROM contacts FINAL
              WHERE tenant = {tenant} AND is_answered AND talk_s IS NOT NULL
                AND local_ts >= {end} - 2592000 AND local_ts < {end}
              GROUP BY queue_key) USING (queue_key))",
            quantile_cont("talk_s", "0.95")
        );
        if !anomaly {
            return Ok(joined);
        }
        return Ok(format!(
            "(SELECT *, multiIf(is_answered AND talk_s < {short}, 'ultra_short', \
             is_answered AND talk_s > {factor} * talk_p95, 'ultra_long', 'none') AS anomaly \
             FROM {joined})",
            short = crate::sql::fmt_num(settings.ultra_short_talk),
            factor = crate::sql::fmt_num(settings.ultra_long_factor),
        ));
    }
    if extra.is_empty() {
        return Ok("contacts FINAL".to_owned());
    }
    Ok(format!(
        "(SELECT *, {} FROM contacts FINAL)",
        extra.join(", ")
    ))
}

/// The WHERE clause: tenant, range (tenant-local) and filters, values as literals.
fn where_of(query: &KpiQuery) -> String {
    where_with(query, true)
}

/// The WHERE clause over the range and the filters, the tenant and every filter with
/// `contacts`, else only the calendar's (what [`Table::Days`] has).
fn where_with(query: &KpiQuery, contacts: bool) -> String {
    let mut wheres = Vec::new();
    if contacts {
        wheres.push(format!("tenant = {}", literal(query.tenant.as_str())));
    }
    if let Some(from) = query.from {
        wheres.push(format!(
            "local_ts >= toDateTime({}, 'UTC')",
            literal(&from.strftime("%Y-%m-%d %H:%M:%S").to_string())
        ));
    }
    if let Some(to) = query.to {
        wheres.push(format!(
            "local_ts < toDateTime({}, 'UTC')",
            literal(&to.strftime("%Y-%m-%d %H:%M:%S").to_string())
        ));
    }
    for f in query
        .filters
        .iter()
        .filter(|f| contacts || crate::sql::calendar_item(ByItem::Dimension(f.dimension)))
    {
        let values: Vec<String> = f
            .values
            .iter()
            .map(|v| {
                if f.dimension.is_numeric() {
                    format!("toInt64OrNull({})", literal(v))
                } else {
                    literal(v)
                }
            })
            .collect();
        wheres.push(format!(
            "{} IN ({})",
            dimension_column(f.dimension),
            values.join(", ")
        ));
    }
    if wheres.is_empty() {
        wheres.push("1".to_owned());
    }
    wheres.join(" AND ")
}

/// Every quarter hour of the days around the question's range (the DuckDB dialect's calendar),
/// with the local columns contacts carry, of the same types (the join on them needs it); the
/// ISO week from the week's Thursday.
fn days_relation(query: &KpiQuery) -> Result<String, QueryError> {
    let (first, last) = crate::sql::calendar_days(query)?;
    let days = first.until(last).map_or(0, |span| span.get_days()).max(0);
    Ok(format!(
        "(SELECT toDateTime(d, 'UTC') + s * 900 AS local_ts, d AS local_date,
          toInt16(s) AS local_slot, toInt8(intDiv(s, 4)) AS local_hour,
          toInt8(toDayOfWeek(d)) AS local_weekday,
          toInt32(toYear(d) * 100 + toMonth(d)) AS local_month,
          toInt32(toYear(toMonday(d) + 3) * 100
                  + intDiv(toDayOfYear(toMonday(d) + 3) - 1, 7) + 1) AS local_week
   FROM (SELECT toDate('{first}') + number AS d FROM system.numbers LIMIT {days})
   ARRAY JOIN range(96) AS s)"
    ))
}

/// A question whose metrics count calendar days (`days`, `arrivals_per_day`, ...): an
/// aggregate over the calendar grouped by the question's calendar keys, and one over the
/// contacts by all keys, joined on the calendar keys (no CTEs and one JOIN a level in 18.16).
fn compile_with_days(
    query: &KpiQuery,
    mut metrics: Vec<crate::sql::CompiledMetric>,
    settings: &TenantSettings,
) -> Result<CompiledQuery, QueryError> {
    translate(&mut metrics)?;
    let (inner_keys, labels, by) = crate::sql::keys_with(query, by_sql);
    let calendar: Vec<bool> = query
        .by
        .iter()
        .flat_map(|item| vec![crate::sql::calendar_item(*item); by_sql(*item, &[]).0.len()])
        .collect();
    let all_calendar = calendar.iter().all(|c| *c);
    let mut parts: Vec<(Table, Vec<String>)> = vec![(Table::Days, Vec::new())];
    let mut outs = Vec::new();
    for (i, m) in metrics.iter().enumerate() {
        for (t, sql, name) in [
            (m.table, m.numerator_sql.as_str(), format!("n{i}")),
            (
                m.denominator_table,
                m.denominator_sql.as_deref().unwrap_or(NO_DENOMINATOR),
                format!("d{i}"),
            ),
        ] {
            if !matches!(t, Table::Days | Table::Contacts) {
                return Err(unsupported(&format!(
                    "`{}` (a metric over {})",
                    m.written,
                    t.as_str()
                )));
            }
            if !parts.iter().any(|(p, _)| *p == t) {
                parts.push((t, Vec::new()));
            }
            if let Some((_, aggs)) = parts.iter_mut().find(|(p, _)| *p == t) {
                aggs.push(format!("{sql} AS {name}"));
            }
        }
        outs.push(value_column(i, m));
    }
    let key_name = |k: usize| format!("k{k}");
    let part_sql = |table: Table, aggs: &[String], empty: bool| -> Result<String, QueryError> {
        let (relation, where_sql, keys): (String, String, Vec<usize>) = if table == Table::Days {
            let own = (0..inner_keys.len()).filter(|k| calendar[*k]).collect();
            (days_relation(query)?, where_with(query, false), own)
        } else {
            let reads = Reads::of(&metrics, Table::Contacts);
            let own = (0..inner_keys.len()).collect();
            (
                contacts_relation(query, &reads, settings)?,
                where_of(query),
                own,
            )
        };
        let select: Vec<String> = if empty {
            aggs.to_vec()
        } else {
            keys.iter()
                .map(|k| inner_keys[*k].clone())
                .chain(aggs.iter().cloned())
                .collect()
        };
        let mut sql = format!(
            "SELECT {} FROM {relation} WHERE {}",
            select.join(", "),
            if empty { "0".to_owned() } else { where_sql }
        );
        if !empty && !keys.is_empty() {
            let names: Vec<String> = keys.iter().map(|k| key_name(*k)).collect();
            let _ = write!(sql, " GROUP BY {}", names.join(", "));
        }
        Ok(sql)
    };
    // The rows: the calendar's when every key is the calendar's (a bucket without contacts is
    // still a bucket of the range), the contacts' otherwise; the other part joined on the
    // calendar keys.
    let days = parts
        .iter()
        .find(|(t, _)| *t == Table::Days)
        .map(|(_, a)| a.clone())
        .unwrap_or_default();
    let contacts = parts
        .iter()
        .find(|(t, _)| *t == Table::Contacts)
        .map(|(_, a)| a.clone());
    let calendar_names: Vec<String> = (0..inner_keys.len())
        .filter(|k| calendar[*k])
        .map(key_name)
        .collect();
    let all_names: Vec<String> = (0..inner_keys.len()).map(key_name).collect();
    let join = |on: &[String]| {
        if on.is_empty() {
            " CROSS JOIN ".to_owned()
        } else {
            format!(" ANY LEFT JOIN ({{}}) USING ({})", on.join(", "))
        }
    };
    if contacts.is_none() && !all_calendar {
        return Err(crate::sql::calendar_only(query));
    }
    let (from, empty_from) = match &contacts {
        None => (
            format!("({})", part_sql(Table::Days, &days, false)?),
            format!("({})", part_sql(Table::Days, &days, true)?),
        ),
        Some(c) => {
            let (base, other, on) = if all_calendar {
                (Table::Days, Table::Contacts, &all_names)
            } else {
                (Table::Contacts, Table::Days, &calendar_names)
            };
            let aggs_of = |t: Table| {
                if t == Table::Days {
                    days.as_slice()
                } else {
                    c.as_slice()
                }
            };
            let glue = join(on);
            let other_sql = part_sql(other, aggs_of(other), false)?;
            let from = if on.is_empty() {
                format!(
                    "({}) CROSS JOIN ({other_sql})",
                    part_sql(base, aggs_of(base), false)?
                )
            } else {
                format!(
                    "({}){}",
                    part_sql(base, aggs_of(base), false)?,
                    glue.replace("{}", &other_sql)
                )
            };
            let empty_from = format!(
                "({}) CROSS JOIN ({})",
                part_sql(Table::Days, &days, true)?,
                part_sql(Table::Contacts, c, true)?
            );
            (from, empty_from)
        }
    };
    let sql = format!(
        "SELECT {}",
        crate::sql::outer_select_from(&labels, &outs, metrics.len(), all_names.len(), &from)
    );
    let empty_sql = format!(
        "SELECT {} FROM {empty_from}",
        crate::sql::figure_columns(&outs, metrics.len()).join(", ")
    );
    let range_sql = format!(
        "SELECT min(local_ts), max(local_ts) FROM contacts FINAL WHERE {}",
        where_of(query)
    );
    Ok(CompiledQuery {
        sql,
        params: Vec::new(),
        by,
        metrics,
        empty_sql,
        range_sql,
        from: query.from,
        to: query.to,
        table: Table::Days,
        rollup: None,
    })
}

/// The relation and WHERE clause (values as literals) of a question's contacts.
pub(crate) fn relation_and_where(
    query: &KpiQuery,
    reads: &Reads,
    settings: &TenantSettings,
) -> Result<(String, String), QueryError> {
    Ok((contacts_relation(query, reads, settings)?, where_of(query)))
}

/// Compiles `query` for ClickHouse: contact metrics by any bucket and the contact dimensions.
pub(crate) fn compile(
    catalog: &Catalog,
    query: &KpiQuery,
    settings: &TenantSettings,
) -> Result<CompiledQuery, QueryError> {
    let mut metrics = query
        .metrics
        .iter()
        .map(|m| resolve(catalog, m, settings))
        .collect::<Result<Vec<_>, _>>()?;
    if metrics
        .iter()
        .any(|m| m.table == Table::Days || m.denominator_table == Table::Days)
    {
        return compile_with_days(query, metrics, settings);
    }
    let table = metrics.first().map_or(Table::Contacts, |m| m.table);
    let single = |t: Table| matches!(t, Table::Contacts | Table::ChannelLegs) && t == table;
    for m in &metrics {
        if !single(m.table) || !single(m.denominator_table) {
            return Err(unsupported(&format!(
                "`{}` (a metric over {})",
                m.written,
                if single(m.table) {
                    m.denominator_table.as_str()
                } else {
                    m.table.as_str()
                }
            )));
        }
    }
    let reads = Reads::of(&metrics, table);
    let relation = if table == Table::ChannelLegs {
        channel_legs_relation(query, &reads, settings)?
    } else {
        contacts_relation(query, &reads, settings)?
    };
    translate(&mut metrics)?;
    let where_sql = where_of(query);

    let (inner_keys, labels, by) = crate::sql::keys_with(query, by_sql);

    let mut aggs = Vec::new();
    let mut outs = Vec::new();
    for (i, m) in metrics.iter().enumerate() {
        aggs.push(format!("{} AS n{i}", m.numerator_sql));
        aggs.push(format!(
            "{} AS d{i}",
            m.denominator_sql.as_deref().unwrap_or(NO_DENOMINATOR)
        ));
        outs.push(value_column(i, m));
    }

    let mut inner = format!(
        "SELECT {}\n  FROM {relation}\n  WHERE {where_sql}",
        inner_keys
            .iter()
            .chain(&aggs)
            .cloned()
            .collect::<Vec<_>>()
            .join(",\n         ")
    );
    if !inner_keys.is_empty() {
        let keys: Vec<String> = (0..inner_keys.len()).map(|i| format!("k{i}")).collect();
        let _ = write!(inner, "\n  GROUP BY {}", keys.join(", "));
    }
    let sql = format!(
        "SELECT {}",
        crate::sql::outer_select_from(
            &labels,
            &outs,
            metrics.len(),
            inner_keys.len(),
            &format!("(\n  {inner}\n)")
        )
    );
    let empty_sql = format!(
        "SELECT {} FROM (SELECT {} FROM {relation} WHERE 0)",
        crate::sql::figure_columns(&outs, metrics.len()).join(", "),
        aggs.join(", ")
    );
    let range_sql =
        format!("SELECT min(local_ts), max(local_ts) FROM {relation} WHERE {where_sql}");
    Ok(CompiledQuery {
        sql,
        params: Vec::new(),
        by,
        metrics,
        empty_sql,
        range_sql,
        from: query.from,
        to: query.to,
        table,
        rollup: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expressions_translate_outside_strings_only() {
        assert_eq!(
            expr("count_if(is_inbound AND coalesce(x, false) AND y = 'count_if(true)')")
                .expect("translates"),
            "countIf(is_inbound AND coalesce(x, 0) AND y = 'count_if(true)')"
        );
        assert_eq!(
            expr("count_if(reason = 'it''s')").expect("translates"),
            "countIf(reason = 'it''s')"
        );
        let q = expr("quantile_cont(CASE WHEN a THEN wait_s END, 0.9)").expect("translates");
        assert!(
            q.contains("groupArray(toFloat64(CASE WHEN a THEN wait_s END))"),
            "{q}"
        );
        assert!(expr("count_if(a // 2 = 1)").is_err());
        assert!(expr("count_if(a ILIKE '%x%')").is_err());
    }

    #[test]
    fn literals_are_escaped() {
        assert_eq!(literal(r"it's \ ok"), r"'it\'s \\ ok'");
    }
}
