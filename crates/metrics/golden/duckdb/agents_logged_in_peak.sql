WITH p0 AS (
    SELECT k0,
           k1,
           max(logged_in) AS n0
    FROM (SELECT *, sum(delta) OVER (PARTITION BY slot_start, k0, k1 ORDER BY t, delta ROWS UNBOUNDED PRECEDING) AS logged_in
          FROM (SELECT local_month AS k0, queue AS k1, slot_start, t, delta
                FROM (SELECT a.tenant, a.agent, a.queue,
          g.slot_start, g.local_ts, g.local_date, g.local_slot, g.local_hour, g.local_weekday,
          g.local_month, g.local_week,
          unnest([greatest(a.start_at, g.slot_start),
                  least(coalesce(a.end_at, TIMESTAMP '{now}'), g.slot_end)]) AS t,
          unnest([1, -1]) AS delta
   FROM agent_states a JOIN agent_slots g
     ON a.start_at < g.slot_end AND coalesce(a.end_at, TIMESTAMP '{now}') > g.slot_start
   WHERE a.state = 'logged_in')
                WHERE tenant = ? AND local_ts >= CAST(? AS TIMESTAMP) AND local_ts < CAST(? AS TIMESTAMP) AND queue IN (?, ?)))
    
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
