WITH p0 AS (
    SELECT k0,
           k1,
           count(*) AS n0
    FROM (SELECT *, rank() OVER (PARTITION BY k0, k1 ORDER BY wait_s) + (count(*) OVER (PARTITION BY k0, k1, wait_s) - 1) / 2.0 AS wait_rank, rank() OVER (PARTITION BY k0, k1 ORDER BY score) + (count(*) OVER (PARTITION BY k0, k1, score) - 1) / 2.0 AS score_rank
          FROM (SELECT local_month AS k0, queue AS k1, wait_s, coalesce(survey_rating, CASE survey_score WHEN 'dissatisfied' THEN 1 WHEN 'neutral' THEN 2 WHEN 'satisfied' THEN 3 WHEN 'very_satisfied' THEN 4 END) AS score
                FROM contacts
                WHERE tenant = ? AND local_ts >= CAST(? AS TIMESTAMP) AND local_ts < CAST(? AS TIMESTAMP) AND queue IN (?, ?) AND wait_s IS NOT NULL AND coalesce(survey_rating, CASE survey_score WHEN 'dissatisfied' THEN 1 WHEN 'neutral' THEN 2 WHEN 'satisfied' THEN 3 WHEN 'very_satisfied' THEN 4 END) IS NOT NULL))
    
    GROUP BY k0, k1
  ),
keys AS (SELECT k0, k1 FROM p0),
agg AS (
  SELECT keys.k0 AS k0,
         keys.k1 AS k1,
         p0.n0 AS n0,
         CAST(NULL AS DOUBLE) AS d0
  FROM keys LEFT JOIN p0 ON keys.k0 IS NOT DISTINCT FROM p0.k0 AND keys.k1 IS NOT DISTINCT FROM p0.k1
)
SELECT printf('%d-%02d', k0 // 100, k0 % 100) AS b0,
       k1 AS b1,
       coalesce(CAST(n0 AS DOUBLE), 0) AS v0,
       n0,
       d0
FROM agg
ORDER BY k0 NULLS LAST, k1 NULLS LAST
-- params: default | 2024-01-01 00:00:00 | 2024-04-01 00:00:00 | vip | general
