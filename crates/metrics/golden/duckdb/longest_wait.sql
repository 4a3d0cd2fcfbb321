WITH agg AS (
  SELECT local_month AS k0,
         queue AS k1,
         max(CASE WHEN (is_inbound AND reached_queue) THEN wait_s END) AS n0,
         CAST(NULL AS DOUBLE) AS d0
  FROM contacts
  WHERE tenant = ? AND local_ts >= CAST(? AS TIMESTAMP) AND local_ts < CAST(? AS TIMESTAMP) AND queue IN (?, ?)
  GROUP BY k0, k1
)
SELECT printf('%d-%02d', k0 // 100, k0 % 100) AS b0,
       k1 AS b1,
       CAST(n0 AS DOUBLE) AS v0,
       n0,
       d0
FROM agg
ORDER BY k0 NULLS LAST, k1 NULLS LAST
-- params: default | 2024-01-01 00:00:00 | 2024-04-01 00:00:00 | vip | general
