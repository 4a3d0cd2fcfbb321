WITH agg AS (
  SELECT local_month AS k0,
         sum(subscribers) / nullif(count(DISTINCT month), 0) AS n0,
         CAST(NULL AS DOUBLE) AS d0
  FROM (SELECT s.tenant, s.business_line, s.month, s.subscribers,
          CAST(s.month || '-01' AS TIMESTAMP) AS local_ts,
          CAST(s.month || '-01' AS DATE) AS local_date, 0 AS local_hour, 0 AS local_slot,
          isodow(CAST(s.month || '-01' AS DATE)) AS local_weekday,
          CAST(replace(s.month, '-', '') AS INTEGER) AS local_month,
          isoyear(CAST(s.month || '-01' AS DATE)) * 100
            + week(CAST(s.month || '-01' AS DATE)) AS local_week
   FROM subscribers s)
  WHERE tenant = ? AND local_ts >= CAST(? AS TIMESTAMP) AND local_ts < CAST(? AS TIMESTAMP)
  GROUP BY k0
)
SELECT printf('%d-%02d', k0 // 100, k0 % 100) AS b0,
       CAST(n0 AS DOUBLE) AS v0,
       n0,
       d0
FROM agg
ORDER BY k0 NULLS LAST
-- params: default | 2024-01-01 00:00:00 | 2024-04-01 00:00:00
