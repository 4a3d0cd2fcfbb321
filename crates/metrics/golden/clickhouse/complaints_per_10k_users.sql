SELECT concat(toString(intDiv(k0, 100)), '-', substring(toString(100 + k0 % 100), 2, 2)) AS b0,
       CASE WHEN d0 = 0 OR d0 IS NULL THEN NULL ELSE CAST(coalesce(n0, 0) AS Nullable(Float64)) / d0 * 10000 END AS v0,
       n0,
       d0
FROM (SELECT k0, max(n0) AS n0, max(d0) AS d0 FROM (SELECT k0, CAST(n0 AS Nullable(Float64)) AS n0, CAST(NULL AS Nullable(Float64)) AS d0 FROM (SELECT local_month AS k0, countIf(kind = 'complaint') AS n0 FROM (SELECT *, closed_us IS NULL AS is_open,
          (closed_us - created_us) / 3.6e9 AS resolution_hours,
          (toInt64(now()) * 1000000 - created_us) / 3.6e9 AS age_hours,
          toDate(local_ts) AS local_date, toInt8(toHour(local_ts)) AS local_hour,
          toInt16(toHour(local_ts) * 4 + intDiv(toMinute(local_ts), 15)) AS local_slot,
          toInt8(toDayOfWeek(toDate(local_ts))) AS local_weekday,
          toInt32(toYear(toDate(local_ts)) * 100 + toMonth(toDate(local_ts))) AS local_month,
          toInt32(toYear(toMonday(toDate(local_ts)) + 3) * 100
                  + intDiv(toDayOfYear(toMonday((toDate(local_ts))) + 3) - 1, 7) + 1) AS local_week,
          (tenant, id) GLOBAL IN (
            SELECT tenant, id FROM (
              SELECT tenant, id, created_us, assumeNotNull(customer) AS c, assumeNotNull(leaf) AS l
              FROM tickets FINAL WHERE customer IS NOT NULL AND leaf IS NOT NULL)
            ALL INNER JOIN (
              SELECT tenant, id AS p_id, assumeNotNull(closed_us) AS p_closed,
                     assumeNotNull(customer) AS c, assumeNotNull(leaf) AS l
              FROM tickets FINAL
              WHERE kind = 'complaint' AND closed_us IS NOT NULL AND customer IS NOT NULL AND leaf IS NOT NULL) USING (tenant, c, l)
            WHERE p_id != id AND p_closed <= created_us) AS is_repeat
   FROM tickets FINAL) WHERE tenant = 'default' AND local_ts >= toDateTime('2024-01-01 00:00:00', 'UTC') AND local_ts < toDateTime('2024-04-01 00:00:00', 'UTC') GROUP BY k0)
   UNION ALL
   SELECT k0, CAST(NULL AS Nullable(Float64)) AS n0, CAST(d0 AS Nullable(Float64)) AS d0 FROM (SELECT local_month AS k0, sum(subscribers) / nullif(count(DISTINCT month), 0) AS d0 FROM (SELECT tenant, business_line, month, subscribers, toDateTime(concat(month, '-01 00:00:00'), 'UTC') AS local_ts, toDate(toDateTime(concat(month, '-01 00:00:00'), 'UTC')) AS local_date, toInt8(toHour(toDateTime(concat(month, '-01 00:00:00'), 'UTC'))) AS local_hour,
          toInt16(toHour(toDateTime(concat(month, '-01 00:00:00'), 'UTC')) * 4 + intDiv(toMinute(toDateTime(concat(month, '-01 00:00:00'), 'UTC')), 15)) AS local_slot,
          toInt8(toDayOfWeek(toDate(toDateTime(concat(month, '-01 00:00:00'), 'UTC')))) AS local_weekday,
          toInt32(toYear(toDate(toDateTime(concat(month, '-01 00:00:00'), 'UTC'))) * 100 + toMonth(toDate(toDateTime(concat(month, '-01 00:00:00'), 'UTC')))) AS local_month,
          toInt32(toYear(toMonday(toDate(toDateTime(concat(month, '-01 00:00:00'), 'UTC'))) + 3) * 100
                  + intDiv(toDayOfYear(toMonday((toDate(toDateTime(concat(month, '-01 00:00:00'), 'UTC')))) + 3) - 1, 7) + 1) AS local_week
   FROM subscribers FINAL) WHERE tenant = 'default' AND local_ts >= toDateTime('2024-01-01 00:00:00', 'UTC') AND local_ts < toDateTime('2024-04-01 00:00:00', 'UTC') GROUP BY k0)) GROUP BY k0)
ORDER BY k0 NULLS LAST
