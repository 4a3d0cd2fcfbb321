WITH agg AS (
  SELECT local_month AS k0,
         queue AS k1,
         sum(CASE WHEN state = 'logged_in' THEN secs END) AS n0,
         900 * count(DISTINCT CASE WHEN state = 'logged_in' THEN slot_start END) AS d0
  FROM (SELECT a.tenant, a.agent, a.queue, a.state, a.reason,
          g.slot_start, g.local_ts, g.local_date, g.local_slot, g.local_hour, g.local_weekday,
          g.local_month, g.local_week,
          (epoch_us(least(coalesce(a.end_at, TIMESTAMP '{now}'), g.slot_end))
           - epoch_us(greatest(a.start_at, g.slot_start))) / 1e6 AS secs
   FROM agent_states a JOIN agent_slots g
     ON a.start_at < g.slot_end AND coalesce(a.end_at, TIMESTAMP '{now}') > g.slot_start)
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
