SELECT concat(toString(intDiv(k0, 100)), '-', substring(toString(100 + k0 % 100), 2, 2)) AS b0,
       k1 AS b1,
       coalesce(CAST(n0 AS Nullable(Float64)), 0) AS v0,
       n0,
       d0
FROM (
  SELECT local_month AS k0,
         queue AS k1,
         countIf((is_answered) AND talk_s > 3 * talk_p95) AS n0,
         CAST(NULL AS Nullable(Float64)) AS d0
  FROM (SELECT * FROM (SELECT *, ifNull(queue, '\0') AS queue_key FROM contacts FINAL)
   ANY LEFT JOIN (SELECT ifNull(queue, '\0') AS queue_key, if(length(arraySort(groupArray(toFloat64(talk_s)))) = 0, NULL, arraySort(groupArray(toFloat64(talk_s)))[toUInt64(floor((0.95) * (length(arraySort(groupArray(toFloat64(talk_s)))) - 1))) + 1] + ((0.95) * (length(arraySort(groupArray(toFloat64(talk_s)))) - 1) - floor((0.95) * (length(arraySort(groupArray(toFloat64(talk_s)))) - 1))) * (arraySort(groupArray(toFloat64(talk_s)))[toUInt64(ceil((0.95) * (length(arraySort(groupArray(toFloat64(talk_s)))) - 1))) + 1] - arraySort(groupArray(toFloat64(talk_s)))[toUInt64(floor((0.95) * (length(arraySort(groupArray(toFloat64(talk_s)))) - 1))) + 1])) AS talk_p95 FROM contacts FINAL
              WHERE tenant = 'default' AND is_answered AND talk_s IS NOT NULL
                AND local_ts >= toDateTime('2024-04-01 00:00:00', 'UTC') - 2592000 AND local_ts < toDateTime('2024-04-01 00:00:00', 'UTC')
              GROUP BY queue_key) USING (queue_key))
  WHERE tenant = 'default' AND local_ts >= toDateTime('2024-01-01 00:00:00', 'UTC') AND local_ts < toDateTime('2024-04-01 00:00:00', 'UTC') AND queue IN ('vip', 'general')
  GROUP BY k0, k1
)
ORDER BY k0 NULLS LAST, k1 NULLS LAST
