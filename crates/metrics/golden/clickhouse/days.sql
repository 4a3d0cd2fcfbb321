SELECT concat(toString(intDiv(k0, 100)), '-', substring(toString(100 + k0 % 100), 2, 2)) AS b0,
       coalesce(CAST(n0 AS Nullable(Float64)), 0) AS v0,
       n0,
       d0
FROM (SELECT local_month AS k0, count(DISTINCT local_date) AS n0, CAST(NULL AS Nullable(Float64)) AS d0 FROM (SELECT toDateTime(d, 'UTC') + s * 900 AS local_ts, d AS local_date,
          toInt16(s) AS local_slot, toInt8(intDiv(s, 4)) AS local_hour,
          toInt8(toDayOfWeek(d)) AS local_weekday,
          toInt32(toYear(d) * 100 + toMonth(d)) AS local_month,
          toInt32(toYear(toMonday(d) + 3) * 100
                  + intDiv(toDayOfYear(toMonday(d) + 3) - 1, 7) + 1) AS local_week
   FROM (SELECT toDate('2024-01-01') + number AS d FROM system.numbers LIMIT 91)
   ARRAY JOIN range(96) AS s) WHERE local_ts >= toDateTime('2024-01-01 00:00:00', 'UTC') AND local_ts < toDateTime('2024-04-01 00:00:00', 'UTC') GROUP BY k0)
ORDER BY k0 NULLS LAST
