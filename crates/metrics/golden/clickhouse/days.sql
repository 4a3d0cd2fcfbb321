SELECT concat(toString(intDiv(k0, 100)), '-', substring(toString(100 + k0 % 100), 2, 2)) AS b0,
       coalesce(CAST(n0 AS Nullable(Float64)), 0) AS v0,
       n0,
       d0
FROM (SELECT *, CAST(NULL AS Nullable(Float64)) AS d0 FROM (SELECT local_month AS k0, count(DISTINCT local_date) AS n0 FROM (SELECT toDateTime(d, 'UTC') + s * 900 AS local_ts, toDate((toDateTime(d, 'UTC') + s * 900)) AS local_date, toInt8(toHour((toDateTime(d, 'UTC') + s * 900))) AS local_hour,
          toInt16(toHour((toDateTime(d, 'UTC') + s * 900)) * 4 + intDiv(toMinute((toDateTime(d, 'UTC') + s * 900)), 15)) AS local_slot,
          toInt8(toDayOfWeek(toDate((toDateTime(d, 'UTC') + s * 900)))) AS local_weekday,
          toInt32(toYear(toDate((toDateTime(d, 'UTC') + s * 900))) * 100 + toMonth(toDate((toDateTime(d, 'UTC') + s * 900)))) AS local_month,
          toInt32(toYear(toMonday(toDate((toDateTime(d, 'UTC') + s * 900))) + 3) * 100
                  + intDiv(toDayOfYear(toMonday((toDate((toDateTime(d, 'UTC') + s * 900)))) + 3) - 1, 7) + 1) AS local_week
   FROM (SELECT toDate('2024-01-01') + number AS d FROM system.numbers LIMIT 91)
   ARRAY JOIN range(96) AS s) WHERE local_ts >= toDateTime('2024-01-01 00:00:00', 'UTC') AND local_ts < toDateTime('2024-04-01 00:00:00', 'UTC') GROUP BY k0))
ORDER BY k0 NULLS LAST
