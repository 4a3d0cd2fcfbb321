SELECT concat(toString(intDiv(k0, 100)), '-', substring(toString(100 + k0 % 100), 2, 2)) AS b0,
       k1 AS b1,
       CAST(n0 AS Nullable(Float64)) AS v0,
       n0,
       d0
FROM (
  SELECT local_month AS k0,
         queue AS k1,
         max(CASE WHEN (is_inbound AND reached_queue) THEN wait_s END) AS n0,
         CAST(NULL AS Nullable(Float64)) AS d0
  FROM contacts FINAL
  WHERE tenant = 'default' AND local_ts >= toDateTime('2024-01-01 00:00:00', 'UTC') AND local_ts < toDateTime('2024-04-01 00:00:00', 'UTC') AND queue IN ('vip', 'general')
  GROUP BY k0, k1
)
ORDER BY k0 NULLS LAST, k1 NULLS LAST
