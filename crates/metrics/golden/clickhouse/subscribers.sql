SELECT concat(toString(intDiv(k0, 100)), '-', substring(toString(100 + k0 % 100), 2, 2)) AS b0,
       CAST(n0 AS Nullable(Float64)) AS v0,
       n0,
       d0
FROM (
  SELECT local_month AS k0,
         sum(subscribers) / nullif(count(DISTINCT month), 0) AS n0,
         CAST(NULL AS Nullable(Float64)) AS d0
  FROM (SELECT tenant, business_line, month, subscribers, toDateTime(concat(month, '-01 00:00:00'), 'UTC') AS local_ts, toDate(toDateTime(concat(month, '-01 00:00:00'), 'UTC')) AS local_date, toInt8(toHour(toDateTime(concat(month, '-01 00:00:00'), 'UTC'))) AS local_hour,
          toInt16(toHour(toDateTime(concat(month, '-01 00:00:00'), 'UTC')) * 4 + intDiv(toMinute(toDateTime(concat(month, '-01 00:00:00'), 'UTC')), 15)) AS local_slot,
          toInt8(toDayOfWeek(toDate(toDateTime(concat(month, '-01 00:00:00'), 'UTC')))) AS local_weekday,
          toInt32(toYear(toDate(toDateTime(concat(month, '-01 00:00:00'), 'UTC'))) * 100 + toMonth(toDate(toDateTime(concat(month, '-01 00:00:00'), 'UTC')))) AS local_month,
          toInt32(toYear(toMonday(toDate(toDateTime(concat(month, '-01 00:00:00'), 'UTC'))) + 3) * 100
                  + intDiv(toDayOfYear(toMonday((toDate(toDateTime(concat(month, '-01 00:00:00'), 'UTC')))) + 3) - 1, 7) + 1) AS local_week
   FROM subscribers FINAL)
  WHERE tenant = 'default' AND local_ts >= toDateTime('2024-01-01 00:00:00', 'UTC') AND local_ts < toDateTime('2024-04-01 00:00:00', 'UTC')
  GROUP BY k0
)
ORDER BY k0 NULLS LAST
