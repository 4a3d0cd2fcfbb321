WITH agg AS (
  SELECT local_month AS k0,
         sum(CASE WHEN state = 'logged_in' AND has_schedule THEN secs END) AS n0,
         sum(sched_secs) AS d0
  FROM (SELECT a.tenant, a.agent, a.queue, a.state, a.reason,
          g.slot_start, g.local_ts, g.local_date, g.local_slot, g.local_hour, g.local_weekday,
          g.local_month, g.local_week,
          (epoch_us(least(coalesce(a.end_at, TIMESTAMP '{now}'), g.slot_end))
           - epoch_us(greatest(a.start_at, g.slot_start))) / 1e6 AS secs,
          CASE WHEN row_number() OVER (PARTITION BY a.tenant, a.agent, g.local_date
                                       ORDER BY g.slot_start, a.start_at, a.state) = 1
               THEN sa.scheduled_minutes * 60 END AS sched_secs,
          sa.scheduled_minutes IS NOT NULL AS has_schedule
   FROM agent_states a JOIN agent_slots g
     ON a.start_at < g.slot_end AND coalesce(a.end_at, TIMESTAMP '{now}') > g.slot_start
   LEFT JOIN agents sa ON sa.tenant = a.tenant AND sa.id = a.agent)
  WHERE tenant = ? AND local_ts >= CAST(? AS TIMESTAMP) AND local_ts < CAST(? AS TIMESTAMP)
  GROUP BY k0
)
SELECT printf('%d-%02d', k0 // 100, k0 % 100) AS b0,
       CASE WHEN d0 = 0 OR d0 IS NULL THEN NULL ELSE CAST(coalesce(n0, 0) AS DOUBLE) / d0 END AS v0,
       n0,
       d0
FROM agg
ORDER BY k0 NULLS LAST
-- params: default | 2024-01-01 00:00:00 | 2024-04-01 00:00:00
