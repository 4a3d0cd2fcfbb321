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
    let tenant = literal(query.tenant.as_str());
    let mut rel = if extra.is_empty() {
        "contacts FINAL".to_owned()
    } else {
        format!("(SELECT *, {} FROM contacts FINAL)", extra.join(", "))
    };
    if anomaly || reads.talk_p95 {
        // The queue's 95th percentile of talk over the 30 days where the range ends (or the
        // tenant's data ends), joined by queue (a missing queue is a queue of its own, as
        // DuckDB's IS NOT DISTINCT FROM has it).
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
        rel = format!(
            "(SELECT * FROM (SELECT *, {key} FROM {rel})
   ANY LEFT JOIN (SELECT {key}, {} AS talk_p95 FROM contacts FINAL
              WHERE tenant = {tenant} AND is_answered AND talk_s IS NOT NULL
                AND local_ts >= {end} - 2592000 AND local_ts < {end}
              GROUP BY queue_key) USING (queue_key))",
            quantile_cont("talk_s", "0.95")
        );
        if anomaly {
            rel = format!(
                "(SELECT *, multiIf(is_answered AND talk_s < {short}, 'ultra_short', \
                 is_answered AND talk_s > {factor} * talk_p95, 'ultra_long', 'none') AS anomaly \
                 FROM {rel})",
                short = crate::sql::fmt_num(settings.ultra_short_talk),
                factor = crate::sql::fmt_num(settings.ultra_long_factor),
            );
        }
    }
    if let Some(days) = reads.repeat_days {
        rel = with_gaps(query, days, rel);
    }
    Ok(with_team(query, rel))
}

/// `contacts` with each inbound contact's gaps to the same customer's inbound contacts about
/// the same category (`prev_gap_s`, `next_gap_s`, the DuckDB dialect's lag and lead): each
/// customer and category's contacts of the days a repeat can reach, in time order (then by
/// id) as arrays, their differences joined back by id.
fn with_gaps(query: &KpiQuery, days: f64, contacts: String) -> String {
    let tenant = literal(query.tenant.as_str());
    // A day more than the window on each side: local time and UTC differ by hours.
    #[allow(clippy::cast_possible_truncation)]
    let margin = ((days.ceil() as i64).saturating_add(1)).saturating_mul(86_400);
    let mut window = vec![
        format!("tenant = {tenant}"),
        "is_inbound AND customer IS NOT NULL AND category IS NOT NULL".to_owned(),
    ];
    let at = |t: jiff::civil::DateTime| {
        format!(
            "toDateTime({}, 'UTC')",
            literal(&t.strftime("%Y-%m-%d %H:%M:%S").to_string())
        )
    };
    if let Some(from) = query.from {
        window.push(format!("local_ts >= {} - {margin}", at(from)));
    }
    if let Some(to) = query.to {
        window.push(format!("local_ts < {} + {margin}", at(to)));
    }
    let order = "arraySort((i, b, c) -> (b, c), arrayEnumerate(ids), bs, ids)";
    let times = format!("arrayMap(i -> bs[i], {order})");
    format!(
        "(SELECT * FROM (SELECT * FROM {contacts})
   ANY LEFT JOIN (
     SELECT {tenant} AS tenant, id, prev_gap_s, next_gap_s FROM (
       SELECT arrayMap(i -> ids[i], {order}) AS sorted_ids, {times} AS times,
              arrayMap((b, j) -> if(j = 1, NULL, (b - times[j - 1]) / 1e6), times, arrayEnumerate(times)) AS prevs,
              arrayMap((b, j) -> if(j = length(times), NULL, (times[j + 1] - b) / 1e6), times, arrayEnumerate(times)) AS nexts
       FROM (SELECT groupArray(id) AS ids, groupArray(bucket_us) AS bs
             FROM contacts FINAL WHERE {} GROUP BY customer, category))
     ARRAY JOIN sorted_ids AS id, prevs AS prev_gap_s, nexts AS next_gap_s)
   USING (tenant, id))",
        window.join(" AND ")
    )
}

/// `contacts` with their agent's team when the question cuts or filters by team (a contact
/// without an agent has none: the key `\0` is no agent's).
fn with_team(query: &KpiQuery, contacts: String) -> String {
    if !query.uses(Dimension::Team) {
        return contacts;
    }
    format!(
        "(SELECT * FROM (SELECT *, ifNull(agent, '\\0') AS agent_key FROM {contacts})
   ANY LEFT JOIN (SELECT tenant, id AS agent_key, team FROM agents FINAL) USING (tenant, agent_key))"
    )
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
        "(SELECT toDateTime(d, 'UTC') + s * 900 AS local_ts, {}
   FROM (SELECT toDate('{first}') + number AS d FROM system.numbers LIMIT {days})
   ARRAY JOIN range(96) AS s)",
        local_columns("(toDateTime(d, 'UTC') + s * 900)")
    ))
}

/// The tenant-local columns contacts carry, of the same types, from `x`: a local wall-clock
/// time as a `DateTime('UTC')`; the ISO week from the week's Thursday.
fn local_columns(x: &str) -> String {
    let d = format!("toDate({x})");
    format!(
        "{d} AS local_date, toInt8(toHour({x})) AS local_hour,
          toInt16(toHour({x}) * 4 + intDiv(toMinute({x}), 15)) AS local_slot,
          toInt8(toDayOfWeek({d})) AS local_weekday,
          toInt32(toYear({d}) * 100 + toMonth({d})) AS local_month,
          toInt32(toYear(toMonday({d}) + 3) * 100
                  + intDiv(toDayOfYear(toMonday(({d})) + 3) - 1, 7) + 1) AS local_week"
    )
}

/// Tickets with the local columns and whether each is a repeat: the same customer and leaf
/// category as a complaint closed at or before its creation (another ticket: pairs of one
/// customer's tickets joined, then looked up with IN, as 18.16 joins on equality only; GLOBAL:
/// on a cluster the pairs are found once, over every shard, and sent to each).
fn tickets_relation() -> String {
    let known = "customer IS NOT NULL AND leaf IS NOT NULL";
    format!(
        "(SELECT *, closed_us IS NULL AS is_open,
          (closed_us - created_us) / 3.6e9 AS resolution_hours,
          (toInt64(now()) * 1000000 - created_us) / 3.6e9 AS age_hours,
          {local},
          (tenant, id) GLOBAL IN (
            SELECT tenant, id FROM (
              SELECT tenant, id, created_us, assumeNotNull(customer) AS c, assumeNotNull(leaf) AS l
              FROM tickets FINAL WHERE {known})
            ALL INNER JOIN (
              SELECT tenant, id AS p_id, assumeNotNull(closed_us) AS p_closed,
                     assumeNotNull(customer) AS c, assumeNotNull(leaf) AS l
              FROM tickets FINAL
              WHERE kind = 'complaint' AND closed_us IS NOT NULL AND {known}) USING (tenant, c, l)
            WHERE p_id != id AND p_closed <= created_us) AS is_repeat
   FROM tickets FINAL)",
        local = local_columns("local_ts")
    )
}

/// The subscriber base with the local columns, each month on its first day.
fn subscribers_relation() -> String {
    let first = "toDateTime(concat(month, '-01 00:00:00'), 'UTC')";
    format!(
        "(SELECT tenant, business_line, month, subscribers, {first} AS local_ts, {}
   FROM subscribers FINAL)",
        local_columns(first)
    )
}

/// Agents over the question's period (see [`Table::Agents`]).
fn agents_relation(query: &KpiQuery) -> Result<String, QueryError> {
    let (from, to) = crate::sql::agents_period(query)?;
    let (from, to) = (format!("toDate('{from}')"), format!("toDate('{to}')"));
    Ok(format!(
        "(SELECT tenant, id AS agent, team,
          ifNull(left_on >= {from} AND left_on < {to}, 0) AS left_in_range,
          ifNull(hired_on < {from}, 1) AND ifNull(left_on >= {from}, 1) AS at_start,
          ifNull(hired_on < {to}, 1) AND ifNull(left_on >= {to}, 1) AS at_end,
          toDateTime({from}, 'UTC') AS local_ts
   FROM agents FINAL)"
    ))
}

/// What the store binds in an agent-state question before it runs: the range's bounds in
/// UTC microseconds (the tenant's time zone turns its local bounds into them), now, and the
/// tenant's time zone (see [`bind_agent_states`]).
const FROM_US: &str = "{from_us}";
const TO_US: &str = "{to_us}";
const NOW_US: &str = "{now_us}";
const TZ: &str = "{tz}";

/// `sql` with the agent-state bounds bound: `from_us` / `to_us` the range (None: open), `now`
/// what an interval still open runs to, `tz` the tenant's time zone.
pub fn bind_agent_states(
    sql: &str,
    from_us: Option<i64>,
    to_us: Option<i64>,
    now_us: i64,
    tz: &str,
) -> String {
    let int = |n: i64| format!("toInt64({n})");
    sql.replace(FROM_US, &int(from_us.unwrap_or(0)))
        .replace(TO_US, &int(to_us.unwrap_or(i64::MAX / 4)))
        .replace(NOW_US, &int(now_us))
        .replace(TZ, &literal(tz))
}

/// A UTC time in microseconds as the tenant's local wall clock, a `DateTime('UTC')`.
fn wall_clock(us: &str) -> String {
    format!("toDateTime(toString(toDateTime(toUInt32(intDiv({us}, 1000000)), {TZ})), 'UTC')")
}

/// Agent intervals of the tenant cut into the tenant-local 15-minute slots of the range (see
/// [`Table::AgentStates`]): each interval's slots made with `arrayJoin` (18.16 joins on
/// equality only), each slot clipped to the range; an interval still open runs to now.
fn agent_pieces(query: &KpiQuery) -> String {
    const SLOT: &str = "900000000";
    let tenant = literal(query.tenant.as_str());
    format!(
        "(SELECT *, toInt64(n) * {SLOT} AS raw_us, greatest(raw_us, {FROM_US}) AS slot_start,
          least(raw_us + {SLOT}, {TO_US}) AS slot_end,
          {wall_at} AS at_local, {wall_start} AS local_ts,
          (least(until_us, slot_end) - greatest(start_us, slot_start)) / 1e6 AS secs
   FROM (SELECT *, intDiv(greatest(start_us, {FROM_US}), {SLOT})
                   + arrayJoin(range(toUInt64(intDiv(least(until_us, {TO_US}) - 1, {SLOT})
                                              - intDiv(greatest(start_us, {FROM_US}), {SLOT}) + 1))) AS n
         FROM (SELECT *, ifNull(end_us, {NOW_US}) AS until_us FROM agent_states FINAL
               WHERE tenant = {tenant} AND start_us < {TO_US} AND ifNull(end_us, {NOW_US}) > {FROM_US}))
   WHERE start_us < slot_end AND until_us > slot_start)",
        wall_at = wall_clock("raw_us"),
        wall_start = wall_clock("slot_start"),
    )
}

/// The agent-state rows (or the presence steps) of a question, with the agent's team and the
/// schedule columns when asked for.
fn agent_states_relation(
    table: Table,
    query: &KpiQuery,
    reads: &Reads,
) -> Result<String, QueryError> {
    let pieces = agent_pieces(query);
    let local = local_columns("at_local");
    let mut rel = if table == Table::AgentStates {
        format!(
            "(SELECT tenant, agent, queue, state, reason, start_us, slot_start, local_ts, {local}, secs
   FROM {pieces})"
        )
    } else {
        // Each logged-in piece as +1 at its start and -1 at its end.
        format!(
            "(SELECT tenant, agent, queue, slot_start, local_ts, {local},
          step.1 AS t, step.2 AS delta
   FROM {pieces}
   ARRAY JOIN [(toInt64(greatest(start_us, slot_start)), toInt8(1)),
              (toInt64(least(until_us, slot_end)), toInt8(-1))] AS step
   WHERE state = 'logged_in')"
        )
    };
    if query.uses(Dimension::Team) {
        rel = format!(
            "(SELECT * FROM {rel} ANY LEFT JOIN (SELECT tenant, id AS agent, team FROM agents FINAL) \
             USING (tenant, agent))"
        );
    }
    if reads.schedule {
        // Each agent's scheduled seconds of a day on the first piece of every local day they
        // have one (by slot, start and state).
        // A piece's order as text of one length (a tuple cannot be NULL, as join_use_nulls
        // would make it).
        let order = "concat(toString(toInt64(slot_start) + 1000000000000000000), \
                     toString(toInt64(start_us) + 1000000000000000000), state)";
        let first = format!(
            "(SELECT tenant, agent, local_date, min({order}) AS first_piece
   FROM {rel} GROUP BY tenant, agent, local_date)"
        );
        rel = format!(
            "(SELECT *, if({order} = first_piece, scheduled_minutes * 60, NULL) AS sched_secs,
          scheduled_minutes IS NOT NULL AS has_schedule
   FROM (SELECT * FROM {rel}
         ANY LEFT JOIN (SELECT tenant, id AS agent, scheduled_minutes FROM agents FINAL) USING (tenant, agent))
   ANY LEFT JOIN {first} USING (tenant, agent, local_date))"
        );
    }
    Ok(rel)
}

/// The rows `table`'s metrics run over, as [`crate::sql::relation_for`] gives them to DuckDB.
fn relation_for(
    table: Table,
    query: &KpiQuery,
    reads: &Reads,
    settings: &TenantSettings,
) -> Result<String, QueryError> {
    crate::sql::check_table(table, query, reads)?;
    match table {
        Table::Contacts | Table::SurveyRanks => contacts_relation(query, reads, settings),
        Table::ChannelLegs => channel_legs_relation(query, reads, settings),
        Table::Days => days_relation(query),
        Table::Tickets => Ok(tickets_relation()),
        Table::Subscribers => Ok(subscribers_relation()),
        Table::Agents => agents_relation(query),
        Table::AgentStates | Table::AgentPresence => agent_states_relation(table, query, reads),
    }
}

/// A contact's survey answer as a number (the DuckDB dialect's `SURVEY_SCORE_NUMBER`): 18.16's
/// `CASE x WHEN` answers NULL, `multiIf` does not.
const SURVEY_SCORE_NUMBER: &str =
    "coalesce(survey_rating, multiIf(survey_score = 'dissatisfied', 1, \
    survey_score = 'neutral', 2, survey_score = 'satisfied', 3, \
    survey_score = 'very_satisfied', 4, NULL))";

/// The average ranks (1-based, ties sharing the mean of their places) of the values of array
/// `a`, in its order: sorted once, each run of equal values found from both ends.
fn average_ranks(a: &str) -> String {
    let order = format!("arraySort((i, v) -> v, arrayEnumerate({a}), {a})");
    let sorted = format!("arrayMap(i -> {a}[i], {order})");
    format!(
        "arraySort((r, i) -> i,
            arrayMap((p, u, e) -> (p - (u - 1) + p + (e - 1)) / 2,
                     arrayEnumerate({sorted}), arrayEnumerateUniq({sorted}),
                     arrayReverse(arrayEnumerateUniq(arrayReverse({sorted})))),
            {order})"
    )
}

/// One part of a question: `table`'s aggregates `aggs` grouped by its keys (`inner` the key
/// expressions, `names` their aliases), in levels for the presence count and the ranks.
fn part_sql(
    table: Table,
    relation: &str,
    where_sql: &str,
    inner: &[String],
    names: &[String],
    aggs: &[String],
) -> Result<String, QueryError> {
    let group = if names.is_empty() {
        String::new()
    } else {
        format!(" GROUP BY {}", names.join(", "))
    };
    let outer = |from: &str| {
        let cols: Vec<String> = names.iter().chain(aggs).cloned().collect();
        format!("SELECT {} FROM ({from}){group}", cols.join(", "))
    };
    let with_inner = |extra: &[&str]| -> String {
        inner
            .iter()
            .cloned()
            .chain(extra.iter().map(|e| (*e).to_owned()))
            .collect::<Vec<_>>()
            .join(", ")
    };
    Ok(match table {
        Table::AgentPresence => {
            // The running count of logged-in agents within each slot and key (filters
            // applied first): the steps in time order (a -1 before a +1 at the same
            // instant), summed.
            let by: Vec<&str> = ["slot_start"]
                .into_iter()
                .chain(names.iter().map(String::as_str))
                .collect();
            let keep: Vec<&str> = names.iter().map(String::as_str).collect();
            let running = format!(
                "SELECT {}, arrayCumSum(arrayMap(x -> x.2, arraySort(groupArray((t, delta))))) AS running
   FROM {relation} WHERE {where_sql} GROUP BY {}",
                with_inner(&["slot_start"]),
                by.join(", ")
            );
            let levels = format!(
                "SELECT {}logged_in FROM ({running}) ARRAY JOIN running AS logged_in",
                keep.iter().map(|k| format!("{k}, ")).collect::<String>()
            );
            outer(&levels)
        }
        Table::SurveyRanks => {
            // The pairs of each group, their average ranks within it, the aggregate.
            let score = SURVEY_SCORE_NUMBER;
            let pairs = format!(
                "SELECT {} FROM {relation} WHERE {where_sql} AND wait_s IS NOT NULL AND ({score}) IS NOT NULL",
                with_inner(&["toFloat64(wait_s) AS w", &format!("toFloat64({score}) AS s")])
            );
            let keep: String = names.iter().map(|k| format!("{k}, ")).collect();
            let arrays = format!(
                "SELECT {keep}groupArray(w) AS ws, groupArray(s) AS ss FROM ({pairs}){group}"
            );
            let ranked = format!(
                "SELECT {keep}wait_s, score, wait_rank, score_rank FROM ({arrays})
   ARRAY JOIN ws AS wait_s, ss AS score, {} AS wait_rank, {} AS score_rank",
                average_ranks("ws"),
                average_ranks("ss")
            );
            outer(&ranked)
        }
        _ => {
            let cols: Vec<String> = inner.iter().chain(aggs).cloned().collect();
            format!(
                "SELECT {} FROM {relation} WHERE {where_sql}{group}",
                cols.join(", ")
            )
        }
    })
}

/// Questions over several tables (or a metric whose numerator and denominator live in two),
/// the calendar, the presence count and the ranks: one aggregate per table over the same keys
/// and filters. The parts that have every key make the rows together (their figures as
/// nullable doubles in one UNION ALL, grouped by the keys: no CTEs, and one JOIN a level in
/// 18.16); the calendar, when some keys are not its own, joins them on the calendar keys.
fn compile_parts(
    query: &KpiQuery,
    mut metrics: Vec<crate::sql::CompiledMetric>,
    settings: &TenantSettings,
) -> Result<CompiledQuery, QueryError> {
    let tables = crate::sql::tables_of(&metrics);
    let reads: Vec<Reads> = tables.iter().map(|t| Reads::of(&metrics, *t)).collect();
    translate(&mut metrics)?;
    let (inner_keys, labels, by) = crate::sql::keys_with(query, by_sql);
    let names: Vec<String> = (0..inner_keys.len()).map(|k| format!("k{k}")).collect();
    let calendar = crate::sql::calendar_keys_with(query, by_sql);
    let own_keys = |t: Table| -> Vec<usize> {
        (0..names.len())
            .filter(|k| t != Table::Days || calendar[*k])
            .collect()
    };
    // Each part's aggregates, SQL and emptied SQL (no rows: the figures of nothing).
    let mut parts = Vec::new();
    let mut ranges = Vec::new();
    for (g, table) in tables.iter().enumerate() {
        let relation = relation_for(*table, query, &reads[g], settings)?;
        let where_sql = where_with(query, *table != Table::Days);
        let aggs = crate::sql::part_aggregates(&metrics, *table);
        let agg_sql: Vec<String> = aggs.iter().map(|(n, e)| format!("{e} AS {n}")).collect();
        let own = own_keys(*table);
        let sql = part_sql(
            *table,
            &relation,
            &where_sql,
            &own.iter()
                .map(|k| inner_keys[*k].clone())
                .collect::<Vec<_>>(),
            &own.iter().map(|k| names[*k].clone()).collect::<Vec<_>>(),
            &agg_sql,
        )?;
        let empty = format!(
            "SELECT {} FROM {} WHERE 0",
            agg_sql.join(", "),
            crate::sql::empty_relation(*table, &relation)
        );
        ranges.push(format!("SELECT local_ts FROM {relation} WHERE {where_sql}"));
        parts.push((*table, aggs, sql, empty, own.len() == names.len()));
    }
    let mut cols = Vec::new();
    let mut outs = Vec::new();
    for (i, m) in metrics.iter().enumerate() {
        cols.push(format!("n{i}"));
        cols.push(if m.denominator_sql.is_some() {
            format!("d{i}")
        } else {
            format!("{NO_DENOMINATOR} AS d{i}")
        });
        outs.push(value_column(i, m));
    }
    let nest = |parts: &[String], glue: &str| -> String {
        let mut from = format!("({})", parts[0]);
        for p in &parts[1..] {
            from = format!("(SELECT * FROM {from}{glue}({p}))");
        }
        from
    };
    let empties: Vec<String> = parts.iter().map(|p| p.3.clone()).collect();
    let empty_from = nest(&empties, " CROSS JOIN ");
    let from = if names.is_empty() {
        let all: Vec<String> = parts.iter().map(|p| p.2.clone()).collect();
        nest(&all, " CROSS JOIN ")
    } else {
        let full: Vec<usize> = (0..parts.len()).filter(|g| parts[*g].4).collect();
        if full.is_empty() {
            return Err(crate::sql::calendar_only(query));
        }
        let mut rows = if full.len() == 1 {
            format!("({})", parts[full[0]].2)
        } else {
            // Every figure of a full part as a nullable double, NULL in the other parts'
            // branches; the greatest of a key's one value and NULLs is that value.
            let figures: Vec<String> = full
                .iter()
                .flat_map(|g| parts[*g].1.iter().map(|(n, _)| n.clone()))
                .collect();
            let branches: Vec<String> = full
                .iter()
                .map(|g| {
                    let own: Vec<&String> = parts[*g].1.iter().map(|(n, _)| n).collect();
                    let cols: Vec<String> = names
                        .iter()
                        .cloned()
                        .chain(figures.iter().map(|f| {
                            if own.contains(&f) {
                                format!("CAST({f} AS Nullable(Float64)) AS {f}")
                            } else {
                                format!("{NO_DENOMINATOR} AS {f}")
                            }
                        }))
                        .collect();
                    format!("SELECT {} FROM ({})", cols.join(", "), parts[*g].2)
                })
                .collect();
            let maxes: Vec<String> = names
                .iter()
                .cloned()
                .chain(figures.iter().map(|f| format!("max({f}) AS {f}")))
                .collect();
            format!(
                "(SELECT {} FROM ({}) GROUP BY {})",
                maxes.join(", "),
                branches.join("\n   UNION ALL\n   "),
                names.join(", ")
            )
        };
        // The calendar of keys not all its own joins on the calendar keys (the days of a
        // range are the same for every queue or agent).
        for (table, _, sql, _, is_full) in &parts {
            if *is_full {
                continue;
            }
            let on: Vec<String> = own_keys(*table).iter().map(|k| names[*k].clone()).collect();
            rows = if on.is_empty() {
                format!("(SELECT * FROM {rows} CROSS JOIN ({sql}))")
            } else {
                format!(
                    "(SELECT * FROM {rows} ANY LEFT JOIN ({sql}) USING ({}))",
                    on.join(", ")
                )
            };
        }
        rows
    };
    // A metric without a denominator has a NULL one.
    let missing: Vec<String> = metrics
        .iter()
        .enumerate()
        .filter(|(_, m)| m.denominator_sql.is_none())
        .map(|(i, _)| format!("{NO_DENOMINATOR} AS d{i}"))
        .collect();
    let from = if missing.is_empty() {
        from
    } else {
        format!("(SELECT *, {} FROM {from})", missing.join(", "))
    };
    let sql = format!(
        "SELECT {}",
        crate::sql::outer_select_from(&labels, &outs, metrics.len(), names.len(), &from)
    );
    let empty_sql = format!(
        "SELECT {} FROM (SELECT {} FROM {empty_from})",
        crate::sql::figure_columns(&outs, metrics.len()).join(", "),
        cols.join(", ")
    );
    let range_sql = format!(
        "SELECT min(local_ts), max(local_ts) FROM ({})",
        ranges.join(" UNION ALL ")
    );
    let table = crate::sql::question_table(&tables);
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
    if crate::sql::needs_parts(&metrics) {
        return compile_parts(query, metrics, settings);
    }
    let table = metrics.first().map_or(Table::Contacts, |m| m.table);
    let reads = Reads::of(&metrics, table);
    let relation = relation_for(table, query, &reads, settings)?;
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
