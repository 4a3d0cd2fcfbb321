WITH agg AS (
  SELECT local_month AS k0,
         queue AS k1,
         sum(CASE WHEN (is_answered) THEN talk_s END) AS n0,
         count_if((is_answered)) AS d0
  FROM contacts
  WHERE tenant = ? AND local_ts >= CAST(? AS TIMESTAMP) AND local_ts < CAST(? AS TIMESTAMP) AND queue IN (?, ?)
  GROUP BY k0, k1
)
SELECT printf('%d-%02d', k0 // 100, k0 % 100) AS b0,
       k1 AS b1,
       CASE WHEN d0 = 0 OR d0 IS NULL THEN NULL ELSE CAST(coalesce(n0, 0) AS DOUBLE) / d0 END AS v0,
       n0,
       d0
FROM agg
ORDER BY k0 NULLS LAST, k1 NULLS LAST
-- params: default | 2024-01-01 00:00:00 | 2024-04-01 00:00:00 | vip | general
