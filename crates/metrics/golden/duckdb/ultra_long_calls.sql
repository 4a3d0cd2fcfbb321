WITH agg AS (
  SELECT local_month AS k0,
         queue AS k1,
         count_if((is_answered) AND talk_s > 3 * talk_p95) AS n0,
         CAST(NULL AS DOUBLE) AS d0
  FROM (SELECT c.*,
          p95.talk_p95 FROM contacts c
   LEFT JOIN (SELECT queue, quantile_cont(talk_s, 0.95) AS talk_p95 FROM contacts
              WHERE tenant = 'default' AND is_answered AND talk_s IS NOT NULL
                AND local_ts >= TIMESTAMP '2024-04-01 00:00:00' - INTERVAL 30 DAY AND local_ts < TIMESTAMP '2024-04-01 00:00:00'
              GROUP BY queue) p95 ON p95.queue IS NOT DISTINCT FROM c.queue)
  WHERE tenant = ? AND local_ts >= CAST(? AS TIMESTAMP) AND local_ts < CAST(? AS TIMESTAMP) AND queue IN (?, ?)
  GROUP BY k0, k1
)
SELECT printf('%d-%02d', k0 // 100, k0 % 100) AS b0,
       k1 AS b1,
       coalesce(CAST(n0 AS DOUBLE), 0) AS v0,
       n0,
       d0
FROM agg
ORDER BY k0 NULLS LAST, k1 NULLS LAST
-- params: default | 2024-01-01 00:00:00 | 2024-04-01 00:00:00 | vip | general
