WITH agg AS (
  SELECT team AS k0,
         count_if(left_in_range) AS n0,
         (count_if(at_start) + count_if(at_end)) / 2 AS d0
  FROM (SELECT a.tenant, a.id AS agent, a.team,
          a.left_on >= DATE '2024-01-01' AND a.left_on < DATE '2024-04-01' AS left_in_range,
          coalesce(a.hired_on < DATE '2024-01-01', true)
            AND coalesce(a.left_on >= DATE '2024-01-01', true) AS at_start,
          coalesce(a.hired_on < DATE '2024-04-01', true)
            AND coalesce(a.left_on >= DATE '2024-04-01', true) AS at_end,
          CAST(DATE '2024-01-01' AS TIMESTAMP) AS local_ts
   FROM agents a)
  WHERE tenant = ? AND local_ts >= CAST(? AS TIMESTAMP) AND local_ts < CAST(? AS TIMESTAMP)
  GROUP BY k0
)
SELECT k0 AS b0,
       CASE WHEN d0 = 0 OR d0 IS NULL THEN NULL ELSE CAST(coalesce(n0, 0) AS DOUBLE) / d0 END AS v0,
       n0,
       d0
FROM agg
ORDER BY k0 NULLS LAST
-- params: default | 2024-01-01 00:00:00 | 2024-04-01 00:00:00
