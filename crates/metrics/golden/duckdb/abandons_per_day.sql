WITH p0 AS (
    SELECT local_month AS k0,
           queue AS k1,
           count_if((is_inbound AND reached_queue AND is_abandon_outcome)) AS n0
    FROM contacts
    WHERE tenant = ? AND local_ts >= CAST(? AS TIMESTAMP) AND local_ts < CAST(? AS TIMESTAMP) AND queue IN (?, ?)
    GROUP BY k0, k1
  ),
p1 AS (
    SELECT local_month AS k0,
           count(DISTINCT local_date) AS d0
    FROM (SELECT CAST(d AS TIMESTAMP) + to_minutes(CAST(s * 15 AS BIGINT)) AS local_ts,
          CAST(d AS DATE) AS local_date, CAST(s AS SMALLINT) AS local_slot,
          CAST(s // 4 AS TINYINT) AS local_hour, CAST(isodow(d) AS TINYINT) AS local_weekday,
          year(d) * 100 + month(d) AS local_month, isoyear(d) * 100 + week(d) AS local_week
   FROM range(DATE '2024-01-01', DATE '2024-04-01', INTERVAL 1 DAY) t(d) CROSS JOIN range(0, 96) u(s))
    WHERE local_ts >= CAST(? AS TIMESTAMP) AND local_ts < CAST(? AS TIMESTAMP)
    GROUP BY k0
  ),
keys AS (SELECT k0, k1 FROM p0),
agg AS (
  SELECT keys.k0 AS k0,
         keys.k1 AS k1,
         p0.n0 AS n0,
         p1.d0 AS d0
  FROM keys LEFT JOIN p0 ON keys.k0 IS NOT DISTINCT FROM p0.k0 AND keys.k1 IS NOT DISTINCT FROM p0.k1 LEFT JOIN p1 ON keys.k0 IS NOT DISTINCT FROM p1.k0
)
SELECT printf('%d-%02d', k0 // 100, k0 % 100) AS b0,
       k1 AS b1,
       CASE WHEN d0 = 0 OR d0 IS NULL THEN NULL ELSE CAST(coalesce(n0, 0) AS DOUBLE) / d0 END AS v0,
       n0,
       d0
FROM agg
ORDER BY k0 NULLS LAST, k1 NULLS LAST
-- params: default | 2024-01-01 00:00:00 | 2024-04-01 00:00:00 | vip | general | 2024-01-01 00:00:00 | 2024-04-01 00:00:00
