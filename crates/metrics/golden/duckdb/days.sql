WITH p0 AS (
    SELECT local_month AS k0,
           count(DISTINCT local_date) AS n0
    FROM (SELECT CAST(d AS TIMESTAMP) + to_minutes(CAST(s * 15 AS BIGINT)) AS local_ts,
          CAST(d AS DATE) AS local_date, CAST(s AS SMALLINT) AS local_slot,
          CAST(s // 4 AS TINYINT) AS local_hour, CAST(isodow(d) AS TINYINT) AS local_weekday,
          year(d) * 100 + month(d) AS local_month, isoyear(d) * 100 + week(d) AS local_week
   FROM range(DATE '2024-01-01', DATE '2024-04-01', INTERVAL 1 DAY) t(d) CROSS JOIN range(0, 96) u(s))
    WHERE local_ts >= CAST(? AS TIMESTAMP) AND local_ts < CAST(? AS TIMESTAMP)
    GROUP BY k0
  ),
keys AS (SELECT k0 FROM p0),
agg AS (
  SELECT keys.k0 AS k0,
         p0.n0 AS n0,
         CAST(NULL AS DOUBLE) AS d0
  FROM keys LEFT JOIN p0 ON keys.k0 IS NOT DISTINCT FROM p0.k0
)
SELECT printf('%d-%02d', k0 // 100, k0 % 100) AS b0,
       coalesce(CAST(n0 AS DOUBLE), 0) AS v0,
       n0,
       d0
FROM agg
ORDER BY k0 NULLS LAST
-- params: 2024-01-01 00:00:00 | 2024-04-01 00:00:00
