WITH agg AS (
  SELECT local_month AS k0,
         queue AS k1,
         count_if((is_inbound AND customer IS NOT NULL AND category IS NOT NULL) AND prev_gap_s <= 7 * 86400) AS n0,
         count_if((is_inbound AND customer IS NOT NULL AND category IS NOT NULL)) AS d0
  FROM (SELECT c.*,
          CASE WHEN c.is_inbound AND c.customer IS NOT NULL AND c.category IS NOT NULL THEN (epoch_us(c.bucket_at) - epoch_us(lag(c.bucket_at) OVER w)) / 1e6 END AS prev_gap_s, CASE WHEN c.is_inbound AND c.customer IS NOT NULL AND c.category IS NOT NULL THEN (epoch_us(lead(c.bucket_at) OVER w) - epoch_us(c.bucket_at)) / 1e6 END AS next_gap_s FROM contacts c
   WHERE c.tenant = 'default' AND c.local_ts >= TIMESTAMP '2024-01-01 00:00:00' - INTERVAL 8 DAY AND c.local_ts < TIMESTAMP '2024-04-01 00:00:00' + INTERVAL 8 DAY
   WINDOW w AS (PARTITION BY c.is_inbound AND c.customer IS NOT NULL AND c.category IS NOT NULL, c.customer, c.category ORDER BY c.bucket_at, c.id))
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
